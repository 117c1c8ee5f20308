/* SPDX-License-Identifier: MIT */
/*
 * An ordinary TCP program for the `mpsteer run` tests: it never asks for MPTCP itself (except
 * `serve PORT mptcp`) and reports what its sockets turned out to be. Built dynamic and static.
 *
 *   serve PORT [mptcp|tcp]        echo server on [::]:PORT, one process per connection
 *   client HOST PORT IN OUT       send IN, half-close, write the echo to OUT; prints proto=N
 *   multi HOST PORT IN OUTPREFIX  the same from the main thread, a pthread and a forked child
 *   hold HOST PORT                connect, print "held proto=N", wait for a signal
 *   kinds                         prints SO_PROTOCOL and flags of UDP, Unix and TCP sockets
 *   exit N | selfkill SIG | wait  exit with N, kill itself, wait for a signal
 *   loop N [mptcp]                socket()+close() N times, prints ns per pair (mptcp: ask
 *                                 for IPPROTO_MPTCP itself, the cost of MPTCP sockets as such)
 *   writes N                      write() of one byte to /dev/null N times, prints ns per call
 *                                 (what a seccomp filter adds to every other system call)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

static int protocol_of(int fd)
{
	int p = -1;
	socklen_t len = sizeof(p);

	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &p, &len) < 0)
		return -errno;
	return p;
}

static int connect_to(const char *host, const char *port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd;

	/* No getaddrinfo(): static glibc cannot use NSS. */
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((unsigned short)atoi(port));
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((unsigned short)atoi(port));
		len = sizeof(*a6);
	} else {
		fprintf(stderr, "bad address %s\n", host);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0) {
		perror("connect");
		return -1;
	}
	return fd;
}

/* Sends IN while reading the echo, so any size works without deadlock. */
static int exchange(int fd, const char *in, const char *out)
{
	int ifd = open(in, O_RDONLY), ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	char sbuf[65536], rbuf[65536];
	ssize_t slen = 0, soff = 0, n;
	int sending = 1;

	if (ifd < 0 || ofd < 0)
		return -1;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN | (sending ? POLLOUT : 0) };

		if (poll(&p, 1, -1) < 0)
			return -1;
		if (sending && (p.revents & POLLOUT)) {
			if (soff == slen) {
				slen = read(ifd, sbuf, sizeof(sbuf));
				soff = 0;
				if (slen <= 0) {
					shutdown(fd, SHUT_WR);
					sending = 0;
					continue;
				}
			}
			n = send(fd, sbuf + soff, (size_t)(slen - soff), MSG_DONTWAIT);
			if (n > 0)
				soff += n;
		}
		if (p.revents & (POLLIN | POLLHUP)) {
			n = read(fd, rbuf, sizeof(rbuf));
			if (n <= 0)
				break;
			if (write(ofd, rbuf, (size_t)n) != n)
				return -1;
		}
	}
	close(ifd);
	close(ofd);
	return 0;
}

static int client(const char *tag, char **av)
{
	int fd = connect_to(av[0], av[1]);

	if (fd < 0)
		return 1;
	printf("%s proto=%d\n", tag, protocol_of(fd));
	fflush(stdout);
	if (exchange(fd, av[2], av[3]) < 0)
		return 1;
	close(fd);
	return 0;
}

static int hold(const char *host, const char *port)
{
	int fd = connect_to(host, port);

	if (fd < 0)
		return 1;
	printf("held proto=%d\n", protocol_of(fd));
	fflush(stdout);
	pause();
	return 0;
}

struct thread_arg {
	char *av[4];
	int ret;
};

static void *thread_main(void *p)
{
	struct thread_arg *t = p;

	t->ret = client("thread", t->av);
	return NULL;
}

static int multi(char **av)
{
	char out_main[4096], out_thread[4096], out_child[4096];
	struct thread_arg t = { .av = { av[0], av[1], av[2], out_thread } };
	char *mav[4] = { av[0], av[1], av[2], out_main };
	pthread_t th;
	int status, ret;
	pid_t pid;

	snprintf(out_main, sizeof(out_main), "%s.main", av[3]);
	snprintf(out_thread, sizeof(out_thread), "%s.thread", av[3]);
	snprintf(out_child, sizeof(out_child), "%s.child", av[3]);
	ret = client("main", mav);
	if (pthread_create(&th, NULL, thread_main, &t) || pthread_join(th, NULL))
		return 1;
	pid = fork();
	if (pid == 0) {
		char *cav[4] = { av[0], av[1], av[2], out_child };

		_exit(client("child", cav));
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 1;
	return ret || t.ret || !WIFEXITED(status) || WEXITSTATUS(status);
}

static void echo(int fd)
{
	char buf[65536];
	ssize_t n, off, w;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (off = 0; off < n; off += w)
			if ((w = write(fd, buf + off, (size_t)(n - off))) <= 0)
				_exit(1);
	_exit(0);
}

static int serve(const char *port, int mptcp)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	int fd, c, one = 1, zero = 0;

	signal(SIGCHLD, SIG_IGN); /* no zombies */
	a.sin6_port = htons((unsigned short)atoi(port));
	fd = socket(AF_INET6, SOCK_STREAM, mptcp ? IPPROTO_MPTCP : 0);
	if (fd < 0 && mptcp)
		fd = socket(AF_INET6, SOCK_STREAM, 0); /* MPTCP off in this netns */
	if (fd < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0) {
		perror("listen");
		return 1;
	}
	for (;;) {
		c = accept(fd, NULL, NULL);
		if (c < 0)
			continue;
		if (fork() == 0) {
			close(fd);
			echo(c);
		}
		close(c);
	}
}

static int flag_set(int fd, int cmd, int flag)
{
	return (fcntl(fd, cmd) & flag) ? 1 : 0;
}

/* UDP and Unix must stay what they are; TCP flags must survive the conversion. */
static int kinds(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0), x = socket(AF_UNIX, SOCK_STREAM, 0);
	int xd = socket(AF_UNIX, SOCK_DGRAM, 0);
	int t = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int p = socket(AF_INET, SOCK_STREAM, 0), e = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);

	if (u < 0 || x < 0 || xd < 0 || t < 0 || p < 0 || e < 0)
		return 1;
	printf("udp proto=%d\n", protocol_of(u));
	printf("unix proto=%d\n", protocol_of(x));
	printf("unixdgram proto=%d\n", protocol_of(xd));
	printf("tcp6flags proto=%d nonblock=%d cloexec=%d\n", protocol_of(t),
	       flag_set(t, F_GETFL, O_NONBLOCK), flag_set(t, F_GETFD, FD_CLOEXEC));
	printf("tcpplain proto=%d nonblock=%d cloexec=%d\n", protocol_of(p),
	       flag_set(p, F_GETFL, O_NONBLOCK), flag_set(p, F_GETFD, FD_CLOEXEC));
	printf("tcpexplicit proto=%d\n", protocol_of(e));
	return 0;
}

static int loop(long n, int proto)
{
	struct timespec a, b;
	long i;
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		fd = socket(AF_INET, SOCK_STREAM, proto);
		if (fd < 0)
			return 1;
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.0f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)n);
	return 0;
}

static int writes(long n)
{
	struct timespec a, b;
	int fd = open("/dev/null", O_WRONLY);
	long i;

	if (fd < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++)
		if (write(fd, "x", 1) != 1)
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.0f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)n);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "serve") && argc >= 3)
		return serve(argv[2], argc > 3 && !strcmp(argv[3], "mptcp"));
	if (!strcmp(cmd, "client") && argc == 6)
		return client("main", argv + 2);
	if (!strcmp(cmd, "multi") && argc == 6)
		return multi(argv + 2);
	if (!strcmp(cmd, "hold") && argc == 4)
		return hold(argv[2], argv[3]);
	if (!strcmp(cmd, "kinds"))
		return kinds();
	if (!strcmp(cmd, "exit") && argc == 3)
		return atoi(argv[2]);
	if (!strcmp(cmd, "selfkill") && argc == 3)
		return raise(atoi(argv[2])) ? 1 : 2;
	if (!strcmp(cmd, "wait")) {
		printf("waiting %d\n", (int)getpid());
		fflush(stdout);
		pause();
		return 0;
	}
	if (!strcmp(cmd, "writes") && argc == 3)
		return writes(atol(argv[2]));
	if (!strcmp(cmd, "loop") && argc >= 3)
		return loop(atol(argv[2]),
			    argc > 3 && !strcmp(argv[3], "mptcp") ? IPPROTO_MPTCP : 0);
	fprintf(stderr, "usage: see the comment at the top of mps_testprog.c\n");
	return 64;
}
