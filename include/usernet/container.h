/* SPDX-License-Identifier: GPL-2.0-or-later */
/* container.h - container_of, to reach a struct from one embedded in it. */
#ifndef USERNET_CONTAINER_H
#define USERNET_CONTAINER_H

#include <stddef.h>

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

#endif
