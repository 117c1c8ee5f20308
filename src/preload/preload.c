/* SPDX-License-Identifier: MIT */
/*
 * libmpsteer-preload.so: LD_PRELOAD socket() wrapper, the light mode of `mpsteer run`.
 *
 * socket(AF_INET|AF_INET6, SOCK_STREAM [| flags], 0|IPPROTO_TCP) asks for IPPROTO_MPTCP first.
 * When that fails for any reason (ENOPROTOOPT: net.mptcp.enabled=0, EPROTONOSUPPORT: no MPTCP
 * in the kernel, EINVAL, or anything else) the original call is made unchanged, so the program
 * gets exactly the socket, or the error, it would have got without us. Every other socket()
 * goes straight through.
 *
 * Reaches only programs that call libc's socket() through the dynamic linker: not static
 * binaries, not Go (raw syscalls; `mpsteer run` sets GODEBUG=multipathtcp=1 for Go 1.21+).
 *
 * If MPSTEER_PRELOAD_REPORT names an abstract unix socket, one datagram per intercepted call
 * tells `mpsteer run --verbose/--summary` what happened:
 *   "C pid domain type fd 0 lost"     converted to MPTCP
 *   "F pid domain type fd errno lost" MPTCP failed with errno, the program got its own socket
 *   "L pid 0 0 0 0 lost"              sent at exit when reports were lost since the last one
 * Reports never block the program: when the supervisor's queue is full (it is stopped, or
 * slower than the program) the report is dropped and counted, and "lost" carries the count
 * of reports dropped since the last one that got through.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <netinet/in.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

#define EXPORT __attribute__((visibility("default")))

typedef int (*socket_fn)(int, int, int);

static socket_fn real_socket;
static struct sockaddr_un report_addr;
static socklen_t report_len; /* 0: nobody listens */
static unsigned long lost;   /* reports dropped and not yet told (atomic: threads) */

static int raw_socket(int domain, int type, int protocol)
{
	return (int)syscall(SYS_socket, domain, type, protocol);
}

/* Read once per process image: the environment is copied into children and exec'd images. */
__attribute__((constructor)) static void preload_init(void)
{
	const char *name = getenv("MPSTEER_PRELOAD_REPORT");
	size_t len;

	real_socket = (socket_fn)dlsym(RTLD_NEXT, "socket");
	if (!real_socket)
		real_socket = raw_socket;
	if (!name || !*name)
		return;
	len = strlen(name);
	if (len + 1 > sizeof(report_addr.sun_path))
		return;
	report_addr.sun_family = AF_UNIX;
	memcpy(report_addr.sun_path + 1, name, len); /* abstract: leading NUL */
	report_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
}

/*
 * A fresh socket per report, never a cached one: a program may close or dup2() over any fd
 * number, and a cached fd reused for one of its TCP connections would receive our text.
 * Only paid when `mpsteer run` asked for reports.
 */
static void report(char kind, int domain, int type, int fd, int err)
{
	unsigned long told;
	char buf[128];
	int n, s, saved = errno;
	ssize_t sent = -1;

	if (!report_len)
		return;
	told = __atomic_exchange_n(&lost, 0, __ATOMIC_RELAXED);
	n = snprintf(buf, sizeof(buf), "%c %d %d %d %d %d %lu", kind, (int)getpid(), domain, type,
		     fd, err, told);
	s = real_socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s >= 0) {
		sent = sendto(s, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT,
			      (struct sockaddr *)&report_addr, report_len);
		close(s);
	}
	if (sent < 0)
		__atomic_add_fetch(&lost, told + (kind == 'L' ? 0 : 1), __ATOMIC_RELAXED);
	errno = saved;
}

/* The reports lost since the last one that got through, told once more at exit. */
__attribute__((destructor)) static void preload_fini(void)
{
	if (__atomic_load_n(&lost, __ATOMIC_RELAXED))
		report('L', 0, 0, 0, 0);
}

static int is_tcp_stream(int domain, int type, int protocol)
{
	return (domain == AF_INET || domain == AF_INET6) && (type & 0xf) == SOCK_STREAM &&
	       (protocol == 0 || protocol == IPPROTO_TCP);
}

EXPORT int socket(int domain, int type, int protocol)
{
	int fd, err, saved = errno;

	if (!real_socket)
		preload_init(); /* called by another constructor before ours */
	if (!is_tcp_stream(domain, type, protocol))
		return real_socket(domain, type, protocol);
	fd = real_socket(domain, type, IPPROTO_MPTCP);
	if (fd >= 0) {
		report('C', domain, type, fd, 0);
		return fd;
	}
	err = errno;
	fd = real_socket(domain, type, protocol);
	if (fd >= 0) {
		report('F', domain, type, fd, err);
		errno = saved; /* as the call alone would leave it: our failed attempt is private */
	}
	return fd;
}
