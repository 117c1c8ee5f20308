/*
 * reqgen: a stream of small HTTP/1.1 requests on one keep-alive connection, the load of
 * the handover and bufferbloat scenarios.
 *
 *   reqgen ADDR PORT PATH INTERVAL_MS SECONDS TIMEOUT_MS
 *
 * A request is due every INTERVAL_MS; it is sent when it is due, or as soon as the previous
 * one completed if that was later (one request at a time, like an interactive client), and
 * its time is counted from when it was sent to the last byte of its response, as curl's
 * time_total. A stall therefore shows as one long request, and fewer requests are made while
 * it lasts. A request not complete TIMEOUT_MS after it was sent fails; so does one whose
 * connection breaks or that is answered with another status than 200. After a failure the
 * connection is closed and the next request opens a new one (a plain socket(): `mpsteer
 * run` makes it MPTCP or not). No request is sent after SECONDS.
 *
 * Prints "sent,ms,status,conn" then one line per request: when it was sent (CLOCK_REALTIME,
 * seconds), its time in ms (up to the failure for a failed one), "ok", "timeout" or "error",
 * and the number of the connection it used (1, 2, ...). Ends after SECONDS, or at SIGTERM /
 * SIGINT.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

struct gen {
	struct sockaddr_in addr;
	char req[512];
	size_t req_len;
	int fd;
	int conn;
	char buf[1 << 16];
};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	double d = t - now_s();

	if (d > 0) {
		struct timespec ts = { (time_t)d, (long)((d - (time_t)d) * 1e9) };

		nanosleep(&ts, NULL);
	}
}

/* wait_fd: 1 when FD is ready for EVENTS before DEADLINE, 0 at the deadline, -1 on signal. */
static int wait_fd(int fd, short events, double deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		double left = deadline - now_s();
		int r;

		if (stop)
			return -1;
		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)(left * 1000) + 1);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static void drop(struct gen *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
}

/* connect_by: 0 connected, -ETIMEDOUT at the deadline, another -errno on failure. */
static int connect_by(struct gen *g, double deadline)
{
	int err = 0, one = 1;
	socklen_t len = sizeof(err);

	g->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g->fd < 0)
		return -errno;
	setsockopt(g->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	g->conn++;
	if (connect(g->fd, (struct sockaddr *)&g->addr, sizeof(g->addr)) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	switch (wait_fd(g->fd, POLLOUT, deadline)) {
	case 0:
		return -ETIMEDOUT;
	case -1:
		return -EINTR;
	}
	getsockopt(g->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	return -err;
}

/* response_done: the length of a complete 200 response in buf[0..n), 0 if incomplete,
 * -1 if it is not a 200 or has no Content-Length. */
static long response_done(const char *buf, size_t n)
{
	const char *end = memmem(buf, n, "\r\n\r\n", 4), *cl;
	long body;

	if (!end)
		return 0;
	if (n < 12 || memcmp(buf + 9, "200", 3))
		return -1;
	cl = memmem(buf, end - buf, "Content-Length:", 15);
	if (!cl)
		return -1;
	body = atol(cl + 15);
	return (size_t)(end + 4 - buf) + body <= n ? (end + 4 - buf) + body : 0;
}

/* one_request: 0 ok, -ETIMEDOUT when DEADLINE passed, another -errno on failure. */
static int one_request(struct gen *g, double deadline)
{
	size_t have = 0, sent = 0;
	int r;

	if (g->fd < 0 && (r = connect_by(g, deadline)) < 0)
		return r;
	while (sent < g->req_len) {
		ssize_t w = send(g->fd, g->req + sent, g->req_len - sent, MSG_NOSIGNAL);

		if (w < 0 && errno != EAGAIN)
			return -errno;
		if (w > 0)
			sent += w;
		else if ((r = wait_fd(g->fd, POLLOUT, deadline)) <= 0)
			return r ? -EINTR : -ETIMEDOUT;
	}
	for (;;) {
		long done = response_done(g->buf, have);
		ssize_t n;

		if (done < 0)
			return -EPROTO;
		if (done > 0) /* no pipelining: nothing may follow the response */
			return have == (size_t)done ? 0 : -EPROTO;
		if (have == sizeof(g->buf))
			return -EMSGSIZE;
		n = recv(g->fd, g->buf + have, sizeof(g->buf) - have, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if (n > 0)
			have += n;
		else if ((r = wait_fd(g->fd, POLLIN, deadline)) <= 0)
			return r ? -EINTR : -ETIMEDOUT;
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	static struct gen g = { .fd = -1 };
	double interval, secs, timeout, t0;

	if (argc != 7 || inet_pton(AF_INET, argv[1], &g.addr.sin_addr) != 1 ||
	    (interval = atof(argv[4]) / 1000) <= 0 || (secs = atof(argv[5])) <= 0 ||
	    (timeout = atof(argv[6]) / 1000) <= 0) {
		fprintf(stderr, "usage: reqgen ADDR PORT PATH INTERVAL_MS SECONDS TIMEOUT_MS\n");
		return 64;
	}
	g.addr.sin_family = AF_INET;
	g.addr.sin_port = htons(atoi(argv[2]));
	g.req_len = snprintf(g.req, sizeof(g.req), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n",
			     argv[3], argv[1]);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("sent,ms,status,conn\n");
	t0 = now_s();
	for (long i = 0; !stop; i++) {
		double due = t0 + i * interval, sent;
		int r;

		sleep_until(due);
		sent = now_s();
		if (stop || sent - t0 >= secs)
			break;
		if (sent - due > interval)
			i = (long)((sent - t0) / interval); /* skip the slots a slow request used */
		r = one_request(&g, sent + timeout);
		if (r == -EINTR)
			break;
		printf("%.6f,%.3f,%s,%d\n", sent, (now_s() - sent) * 1000,
		       r == 0 ? "ok" : r == -ETIMEDOUT ? "timeout" : "error", g.conn);
		fflush(stdout);
		if (r < 0)
			drop(&g);
	}
	drop(&g);
	return 0;
}
