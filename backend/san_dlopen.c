/* SPDX-License-Identifier: GPL-2.0-or-later */
/* san_dlopen.c - lets libvdeplug load its modules in an AddressSanitizer
 * build. Owns: nothing in a normal build (the file is empty then).
 *
 * How it works: libvdeplug's vde_open dlopen()s its scheme modules
 * (libvdeplug_vde.so, _vxvde.so, _tap.so ...) with RTLD_DEEPBIND, and the
 * ASan runtime's dlopen interceptor aborts the process on that flag. When
 * built with -fsanitize=address, usernetd (linked with -rdynamic) defines
 * dlopen itself: every dlopen in the process, libvdeplug's included,
 * reaches this one first; it drops RTLD_DEEPBIND and calls the next
 * dlopen in the lookup order, ASan's own interceptor, which then loads the
 * module as usual. DEEPBIND only makes a module prefer its own symbols to
 * the process's; libvdeplug's modules define nothing usernetd does (all of
 * usernetd's symbols are un_-prefixed), so without it they bind the same. */
#if defined(__SANITIZE_ADDRESS__)

#include <dlfcn.h>

void *dlopen(const char *file, int mode)
{
	static void *(*next)(const char *, int);

	if (!next)
		next = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	return next(file, mode & ~RTLD_DEEPBIND);
}

#else
/* ISO C wants something in a translation unit. */
typedef int san_dlopen_unused;
#endif
