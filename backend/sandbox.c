/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sandbox.c - what usernetd may still do once it serves.
 * Owns: the one table of allowed system calls, the Landlock path rules,
 * entering both, and the message for a refused system call.
 * Not here: when to enter (main.c, after every network and the control
 * socket exist, before the loop), what a capture refusal means to the
 * client (capture.c adds un_sandbox_write_hint to its error).
 *
 * How it works: prctl(PR_SET_NO_NEW_PRIVS); then, where the kernel has
 * Landlock (any ABI), a ruleset handling every filesystem right the ABI
 * knows, with a rule per path of struct un_sandbox_paths; then a seccomp
 * filter (libseccomp, synchronised to every thread) allowing the calls in
 * sandbox_syscalls[]. The table was derived from the end-to-end suite run
 * under `strace -f` (every daemon of every script, ASan build and plain),
 * plus the paths the suite does not reach (tap:// uplinks, guestfwd cmd:,
 * ASan's leak check at exit).
 *
 * The default action is a trap, not a kill and not a silent errno: a
 * system call outside the table raises SIGSYS; the handler writes one
 * line per call number to stderr ("sandbox: refused system call N
 * (NAME)") and makes the call fail with ENOSYS. One VM's guest must not
 * take down every VM's network because an untested path in libslirp or
 * GLib made a call we did not see: failing with ENOSYS is what the code
 * already handles for old kernels, and glibc falls back (clone3, statx).
 * The call is still refused, and the log line names it for the table.
 * On an architecture whose signal context we do not edit here, the
 * default is SCMP_ACT_KILL_PROCESS (the audit log, `dmesg`, names the call
 * as syscall=N; `scmp_sys_resolver N` gives its name).
 *
 * Landlock does not govern connect() or sendto() on unix sockets, so
 * guestfwd unix: targets, VDE peers and NOTIFY_SOCKET need no rule;
 * bind() of a unix socket needs the directory's make-socket right, which
 * is why unix hostfwd directories are rules. Files opened before entering
 * (stderr, the DIR lock, endpoints) keep working. Limits: a TFTP root or
 * a unix hostfwd directory first named by `net add` or `fwd add` at run
 * time is refused (EACCES, an error reply); threads that GLib started
 * before entering are under seccomp but not under Landlock. */
#define G_LOG_DOMAIN "usernet-sandbox"

#include "sandbox.h"
#include "network.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <ucontext.h>
#include <unistd.h>

#include "usernet/error.h"
#include "usernet/router.h"
#include "usernet/uplink.h"

/* Rights newer than Debian 12's <linux/landlock.h>, by ABI. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif

#define LL_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_WRITE (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG | \
		  LANDLOCK_ACCESS_FS_TRUNCATE)
#define LL_SOCKETS (LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_REMOVE_FILE)
#define LL_ALL_ABI1 ((1ULL << 13) - 1)

/* The system calls usernetd makes once it serves. One entry per call;
 * a name this architecture lacks is skipped. Keep the groups. */
static const char *const sandbox_syscalls[] = {
	/* event loop: GLib's poll, eventfd wake-ups, the worker thread */
	"poll", "ppoll", "epoll_create1", "epoll_ctl", "epoll_wait",
	"epoll_pwait", "eventfd2", "futex", "sched_yield", "restart_syscall",
	"pipe2",
	/* sockets: endpoints, peers, control, libslirp's host sockets
	 * (TCP, UDP, ICMP datagram sockets for ping), guestfwd relays,
	 * NOTIFY_SOCKET, journald */
	"socket", "socketpair", "bind", "listen", "accept", "accept4",
	"connect", "shutdown", "getsockname", "getpeername", "setsockopt",
	"getsockopt", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg",
	"recvmmsg", "read", "write", "readv", "writev", "close", "fcntl",
	"ioctl", "dup", "dup3",
	/* files: capture files, the DIR lock, endpoints and unix forwards made
	 * and removed at run time, TFTP files, plugins loaded by `net add`,
	 * /etc/resolv.conf and /etc/hosts re-read by libslirp and the resolver */
	"openat", "open", "newfstatat", "fstat", "stat", "lstat", "statx",
	"lseek", "pread64", "getdents64", "unlink", "unlinkat", "mkdir",
	"mkdirat", "rmdir", "rename", "renameat", "renameat2", "readlink",
	"readlinkat", "access", "faccessat", "faccessat2", "fchmod", "chmod",
	"fchmodat", "flock", "statfs", "fstatfs", "fsync", "fdatasync", "ftruncate", "umask",
	"getcwd",
	/* libvdeplug uplinks reconnecting (vde:// datagram sockets, tap://) */
	"getpid", "getuid", "geteuid", "getgid", "getegid", "gettid",
	/* guestfwd cmd: (libslirp forks a shell) and ASan's symbolizer */
	"clone", "clone3", "vfork", "execve", "wait4", "kill", "tgkill",
	"setsid", "exit", "exit_group", "prctl", "set_robust_list",
	"rseq", "set_tid_address",
	/* time: libslirp's clock, GLib timeouts, log stamps */
	"clock_gettime", "clock_getres", "clock_nanosleep", "gettimeofday",
	"nanosleep", "time",
	/* memory: malloc, GLib slices, plugins mapped by dlopen */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
	/* signals: SIGINT/SIGTERM through GLib, this file's SIGSYS handler */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	/* GLib internals: random numbers, thread pools (resolver), CPU count */
	"getrandom", "sched_getaffinity", "sched_setaffinity",
	"getpriority", "setpriority", "uname", "sysinfo", "getrlimit",
	"prlimit64", "getresuid", "getresgid",
#if defined(__SANITIZE_ADDRESS__)
	/* sanitizer runtime: LeakSanitizer stops the world at exit from a
	 * task with every signal blocked (a trap there kills it silently and
	 * the daemon waits forever): ptrace, the old getdents on /proc/PID/task,
	 * /proc/self/maps; reports spawn the symbolizer */
	"ptrace", "waitid", "process_vm_readv", "msync", "mincore",
	"getppid", "getdents",
#endif
};

/* ---- paths ---- */

static char *sandbox_abs(const char *path)
{
	g_autofree char *cwd = NULL;

	if (g_path_is_absolute(path))
		return g_canonicalize_filename(path, "/");
	cwd = g_get_current_dir();
	return g_canonicalize_filename(path, cwd);
}

void un_sandbox_paths_add(struct un_sandbox_paths *p, const char *path,
			  unsigned access)
{
	g_autofree char *abs = sandbox_abs(path);
	struct un_sandbox_rule rule;

	for (guint i = 0; i < p->rules->len; i++) {
		struct un_sandbox_rule *r =
			&g_array_index(p->rules, struct un_sandbox_rule, i);

		if (strcmp(r->path, abs) == 0) {
			r->access |= access;
			return;
		}
	}
	rule.path = g_steal_pointer(&abs);
	rule.access = access;
	g_array_append_val(p->rules, rule);
}

void un_sandbox_paths_add_capture_dir(struct un_sandbox_paths *p,
				      const char *path)
{
	g_autofree char *abs = sandbox_abs(path);
	char *old = p->write_hint;

	un_sandbox_paths_add(p, abs, UN_SANDBOX_WRITE);
	p->write_hint = g_strdup_printf("%s, %s", old, abs);
	g_free(old);
}

static void rule_clear(gpointer data)
{
	g_free(((struct un_sandbox_rule *)data)->path);
}

struct un_sandbox_paths *un_sandbox_paths_new(const char *dir)
{
	static const char *const system_dirs[] = { "/usr", "/lib", "/lib64",
						   "/bin", "/sbin" };
	static const char *const resolver_files[] = {
		"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf",
		"/etc/host.conf", "/etc/gai.conf", "/etc/services",
		"/etc/protocols", "/etc/localtime", "/etc/ld.so.cache",
	};
	struct un_sandbox_paths *p = g_new0(struct un_sandbox_paths, 1);
	g_auto(GStrv) plugins = un_kind_plugin_dirs();
	g_autofree char *self = g_strdup_printf("/proc/%d", (int)getpid());
	g_autofree char *parent = NULL;

	p->rules = g_array_new(FALSE, TRUE, sizeof(struct un_sandbox_rule));
	g_array_set_clear_func(p->rules, rule_clear);
	p->write_hint = sandbox_abs(dir);
	parent = g_path_get_dirname(p->write_hint);
	un_sandbox_paths_add(p, dir, UN_SANDBOX_ALL);
	un_sandbox_paths_add(p, parent, UN_SANDBOX_RMDIR); /* DIR itself, at exit */
	for (gsize i = 0; i < G_N_ELEMENTS(system_dirs); i++)
		un_sandbox_paths_add(p, system_dirs[i], UN_SANDBOX_READ | UN_SANDBOX_EXEC);
	for (gsize i = 0; i < G_N_ELEMENTS(resolver_files); i++)
		un_sandbox_paths_add(p, resolver_files[i], UN_SANDBOX_READ);
	for (char **d = plugins; *d; d++)
		if (**d)
			un_sandbox_paths_add(p, *d, UN_SANDBOX_READ);
	un_sandbox_paths_add(p, self, UN_SANDBOX_READ);
	un_sandbox_paths_add(p, "/sys/devices/system/cpu", UN_SANDBOX_READ);
	un_sandbox_paths_add(p, "/dev/null", UN_SANDBOX_READ | UN_SANDBOX_WRITE);
	un_sandbox_paths_add(p, "/dev/urandom", UN_SANDBOX_READ);
	un_sandbox_paths_add(p, "/dev/net/tun",
			     UN_SANDBOX_READ | UN_SANDBOX_WRITE | UN_SANDBOX_DEVICE);
	return p;
}

void un_sandbox_paths_free(struct un_sandbox_paths *p)
{
	if (!p)
		return;
	g_array_unref(p->rules);
	g_free(p->write_hint);
	g_free(p);
}

void un_sandbox_paths_add_netdef(struct un_sandbox_paths *p,
				 const struct un_netdef *def)
{
	g_autofree char *tftp = g_key_file_get_string(def->kf, def->group,
						      "tftp", NULL);
	g_auto(GStrv) fwds = g_key_file_get_string_list(def->kf, def->group,
							"hostfwd", NULL, NULL);

	g_auto(GStrv) uplinks = g_key_file_get_string_list(def->kf, def->group,
							   "uplink", NULL, NULL);

	if (tftp && *tftp)
		un_sandbox_paths_add(p, tftp, UN_SANDBOX_READ);
	for (char **u = uplinks; u && *u; u++) {
		g_autofree char *sockets = un_uplink_socket_dir(*u);

		if (sockets) /* a vde_switch's DIR: reconnects bind there */
			un_sandbox_paths_add(p, sockets, UN_SANDBOX_SOCKETS);
	}
	for (char **r = fwds; r && *r; r++) {
		struct un_hostfwd fwd;
		g_autofree char *parent = NULL;

		if (!un_hostfwd_parse(*r, &fwd, NULL))
			continue;
		if (fwd.host.ss_family == AF_UNIX) {
			parent = g_path_get_dirname(
				((const struct sockaddr_un *)&fwd.host)->sun_path);
			un_sandbox_paths_add(p, parent, UN_SANDBOX_SOCKETS);
		}
		un_hostfwd_clear(&fwd);
	}
}

guint64 un_sandbox_landlock_rights(unsigned access, int abi)
{
	guint64 handled = LL_ALL_ABI1, rights = 0;

	if (abi >= 2)
		handled |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		handled |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		handled |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	if (access & UN_SANDBOX_ALL)
		return handled;
	if (access & UN_SANDBOX_READ)
		rights |= LL_READ;
	if (access & UN_SANDBOX_EXEC)
		rights |= LANDLOCK_ACCESS_FS_EXECUTE | LL_READ;
	if (access & UN_SANDBOX_WRITE)
		rights |= LL_WRITE;
	if (access & UN_SANDBOX_SOCKETS)
		rights |= LL_SOCKETS;
	if (access & UN_SANDBOX_RMDIR)
		rights |= LANDLOCK_ACCESS_FS_REMOVE_DIR;
	if (access & UN_SANDBOX_DEVICE)
		rights |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return rights & handled;
}

/* ---- Landlock ---- */

static int landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
			 LANDLOCK_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}

/* Rights a rule on a non-directory may carry: the file ones. */
static guint64 landlock_file_rights(guint64 rights)
{
	return rights & (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
			 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
			 LANDLOCK_ACCESS_FS_IOCTL_DEV);
}

/* Add one rule; a path that does not exist is no rule (nothing there to
 * reach). */
static gboolean landlock_add(int ruleset, const struct un_sandbox_rule *r,
			     int abi, GError **error)
{
	struct landlock_path_beneath_attr pb = { 0 };
	struct stat st;
	int fd = open(r->path, O_PATH | O_CLOEXEC);
	int ret, e;

	if (fd < 0) {
		g_debug("sandbox: no rule for %s: %s", r->path, g_strerror(errno));
		return TRUE;
	}
	pb.parent_fd = fd;
	pb.allowed_access = un_sandbox_landlock_rights(r->access, abi);
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		pb.allowed_access = landlock_file_rights(pb.allowed_access);
	ret = (int)syscall(SYS_landlock_add_rule, ruleset,
			   LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	e = errno;
	close(fd);
	if (ret != 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO,
			    "sandbox: Landlock rule for %s: %s; run with --no-sandbox to debug",
			    r->path, g_strerror(e));
		return FALSE;
	}
	return TRUE;
}

static gboolean landlock_enter(const struct un_sandbox_paths *p, int abi,
			       GError **error)
{
	struct landlock_ruleset_attr attr = { 0 };
	int ruleset;
	gboolean ok = TRUE;

	if (abi <= 0) {
		g_info("sandbox: the kernel has no Landlock; file access is not limited");
		return TRUE;
	}
	attr.handled_access_fs = un_sandbox_landlock_rights(UN_SANDBOX_ALL, abi);
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO,
			    "sandbox: Landlock ABI %d refused a ruleset: %s", abi,
			    g_strerror(errno));
		return FALSE;
	}
	for (guint i = 0; ok && i < p->rules->len; i++)
		ok = landlock_add(ruleset,
				  &g_array_index(p->rules, struct un_sandbox_rule, i),
				  abi, error);
	if (ok && syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO,
			    "sandbox: Landlock restrict_self: %s", g_strerror(errno));
		ok = FALSE;
	}
	close(ruleset);
	if (ok)
		g_debug("sandbox: Landlock ABI %d, %u path rules", abi, p->rules->len);
	return ok;
}

/* ---- seccomp ---- */

#define SANDBOX_NR_MAX 1024

/* Names of call numbers, resolved before the filter is in place (the
 * SIGSYS handler may not allocate); NULL where the number has none. */
static char *sandbox_names[SANDBOX_NR_MAX];
static volatile sig_atomic_t sandbox_logged[SANDBOX_NR_MAX];
static const char *sandbox_hint; /* set once sandboxed, for refusals */

static void sandbox_names_fill(void)
{
	for (int nr = 0; nr < SANDBOX_NR_MAX; nr++)
		if (!sandbox_names[nr])
			sandbox_names[nr] = seccomp_syscall_resolve_num_arch(
				SCMP_ARCH_NATIVE, nr);
}

/* Async-signal-safe: decimal digits of @v at the end of @buf. */
static char *sandbox_utoa(unsigned v, char *end)
{
	*--end = '\0';
	do
		*--end = (char)('0' + v % 10);
	while (v /= 10);
	return end;
}

static void sandbox_put(const char *s)
{
	ssize_t n = write(STDERR_FILENO, s, strlen(s));

	(void)n;
}

/* SIGSYS from the filter: name the call once, make it fail with ENOSYS. */
static void sandbox_sigsys(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	unsigned nr = (unsigned)si->si_syscall;
	char digits[16];
	int saved = errno;

	if (nr >= SANDBOX_NR_MAX || !sandbox_logged[nr]) {
		if (nr < SANDBOX_NR_MAX)
			sandbox_logged[nr] = 1;
		sandbox_put("usernetd: [usernet-sandbox] WARNING: sandbox: refused system call ");
		sandbox_put(sandbox_utoa(nr, digits + sizeof(digits)));
		sandbox_put(" (");
		sandbox_put(nr < SANDBOX_NR_MAX && sandbox_names[nr] ? sandbox_names[nr] : "?");
		sandbox_put("), failing it with ENOSYS; add it to sandbox.c's table if usernetd needs it, or run with --no-sandbox\n");
	}
#if defined(__x86_64__)
	uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#elif defined(__aarch64__)
	uc->uc_mcontext.regs[0] = (unsigned long long)-ENOSYS;
#endif
	errno = saved;
}

#if defined(__x86_64__) || defined(__aarch64__)
#define SANDBOX_DEFAULT_ACTION SCMP_ACT_TRAP
#else
#define SANDBOX_DEFAULT_ACTION SCMP_ACT_KILL_PROCESS
#endif

static gboolean sandbox_sigsys_install(GError **error)
{
	struct sigaction sa = { 0 };

	sa.sa_sigaction = sandbox_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO,
			    "sandbox: cannot handle SIGSYS: %s", g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

/* The filter of sandbox_syscalls[], loaded into every thread. */
static gboolean seccomp_enter(GError **error)
{
	scmp_filter_ctx f = seccomp_init(SANDBOX_DEFAULT_ACTION);
	const char *failed = NULL;
	int rc = 0;

	if (!f) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO,
			    "sandbox: libseccomp cannot make a filter");
		return FALSE;
	}
	if ((rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1)) < 0)
		failed = "synchronising threads";
	for (gsize i = 0; !failed && i < G_N_ELEMENTS(sandbox_syscalls); i++) {
		int nr = seccomp_syscall_resolve_name(sandbox_syscalls[i]);

		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if ((rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 0)) < 0)
			failed = sandbox_syscalls[i];
	}
	if (!failed && (rc = seccomp_load(f)) < 0)
		failed = "loading the filter";
	seccomp_release(f);
	if (failed) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO,
			    "sandbox: seccomp: %s: %s; run with --no-sandbox to debug",
			    failed, g_strerror(-rc));
		return FALSE;
	}
	return TRUE;
}

gboolean un_sandbox_enter(const struct un_sandbox_paths *p, GError **error)
{
	int abi;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		g_set_error(error, UN_ERROR, UN_ERROR_IO,
			    "sandbox: no_new_privs: %s", g_strerror(errno));
		return FALSE;
	}
	abi = landlock_abi();
	sandbox_names_fill();
	if (!landlock_enter(p, abi, error) || !sandbox_sigsys_install(error) ||
	    !seccomp_enter(error))
		return FALSE;
	sandbox_hint = g_strdup_printf(
		" (the sandbox lets capture files be written only under %s; "
		"start usernetd with --capture-dir=DIR for another directory)",
		p->write_hint);
	g_info("sandbox: on (%zu system calls allowed, Landlock ABI %d)",
	       G_N_ELEMENTS(sandbox_syscalls), abi);
	return TRUE;
}

const char *un_sandbox_write_hint(int err)
{
	return err == EACCES && sandbox_hint ? sandbox_hint : "";
}
