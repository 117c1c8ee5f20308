/* SPDX-License-Identifier: MIT */
/*
 * The converters' event loop: listeners, the SOCKS5 handshakes (as a server towards
 * a, as a client towards the upstream server in the client role), name lookups
 * (getaddrinfo_a, completions come back through a pipe), non-blocking connects and
 * the one-second tick that enforces timeouts and writes the state file.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <netinet/tcp.h>

#include "proxy.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#define SO_ORIGINAL_DST_ 80 /* linux/netfilter_ipv4.h, IP6T_SO_ORIGINAL_DST too */

struct presolve {
	struct gaicb cb;
	struct addrinfo hints;
	char host[256], port[8];
	struct pconn *c; /* NULL once the connection is gone */
	int wfd;
};

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void proxy_log(struct proxy *p, int level, const char *fmt, ...)
{
	va_list ap;

	if (level > p->conf.log_level)
		return;
	/* Under systemd, "<N>" gives journald the level. */
	if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>", level + 3);
	else
		fprintf(stderr, "mpsteer-proxy: %s: ", level_names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void sockaddr_to(const struct sockaddr_storage *ss, struct mps_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;

		a->family = AF_INET;
		a->v4 = s->sin_addr;
		a->port = ntohs(s->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)ss;

		a->family = AF_INET6;
		a->v6 = s->sin6_addr;
		a->port = ntohs(s->sin6_port);
		mps_addr_unmap(a);
	}
}

static socklen_t sockaddr_from(const struct mps_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *s = (void *)ss;

		s->sin_family = AF_INET;
		s->sin_addr = a->v4;
		s->sin_port = htons(a->port);
		return sizeof(*s);
	}
	struct sockaddr_in6 *s6 = (void *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_addr = a->v6;
	s6->sin6_port = htons(a->port);
	return sizeof(*s6);
}

static void local_peer(int fd, struct mps_addr *local, struct mps_addr *peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (local && !getsockname(fd, (struct sockaddr *)&ss, &len))
		sockaddr_to(&ss, local);
	len = sizeof(ss);
	if (peer && !getpeername(fd, (struct sockaddr *)&ss, &len))
		sockaddr_to(&ss, peer);
}

/* A stream socket, MPTCP when asked and the kernel has it. */
static int stream_socket(int family, bool mptcp)
{
	int fd = -1;

	if (mptcp)
		fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_MPTCP);
	if (fd < 0 && (!mptcp || errno == ENOPROTOOPT || errno == EPROTONOSUPPORT ||
		       errno == EINVAL))
		fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return fd;
}

void pside_watch(struct proxy *p, struct pside *s, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = s };

	if (s->fd < 0 || ev == s->events)
		return;
	/* Unwatched sides are removed: a hung-up socket would otherwise report
	 * EPOLLHUP on every turn while the other side drains. */
	if (!ev)
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	else
		epoll_ctl(p->epfd, s->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s->fd, &e);
	s->events = ev;
}

void pconn_watch(struct pconn *c)
{
	uint32_t a = 0, b = 0;

	switch (c->st) {
	case PC_GREETING:
	case PC_AUTH:
	case PC_REQUEST:
		a = EPOLLIN;
		break;
	case PC_RESOLVING:
		break;
	case PC_CONNECTING:
		b = EPOLLOUT;
		break;
	case PC_UPSTREAM:
		b = EPOLLIN;
		break;
	case PC_RELAY:
		a = (c->ab.want_in ? EPOLLIN : 0) | (c->ba.want_out ? EPOLLOUT : 0);
		b = (c->ba.want_in ? EPOLLIN : 0) | (c->ab.want_out ? EPOLLOUT : 0);
		break;
	}
	pside_watch(c->p, &c->a, a);
	pside_watch(c->p, &c->b, b);
}

static void listeners_watch(struct proxy *p, bool on)
{
	for (int i = 0; i < p->n_lst; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.ptr = &p->lst[i] };

		if (p->lst[i].watching == on)
			continue;
		epoll_ctl(p->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, p->lst[i].fd, &e);
		p->lst[i].watching = on;
	}
}

void pconn_close(struct pconn *c, const char *why)
{
	struct proxy *p = c->p;
	char d[300], a[MPS_ADDRSTRLEN];

	if (why)
		proxy_log(p, PROXY_LOG_WARN, "conn %llu from %s to %s: %s",
			  (unsigned long long)c->id, mps_addr_format(&c->a_peer, a, sizeof(a)),
			  c->dest.atyp ? socks5_dest_format(&c->dest, d, sizeof(d)) : "-", why);
	if (c->rq)
		c->rq->c = NULL;
	pside_watch(p, &c->a, 0);
	pside_watch(p, &c->b, 0);
	if (c->a.fd >= 0)
		close(c->a.fd);
	if (c->b.fd >= 0)
		close(c->b.fd);
	c->a.fd = c->b.fd = -1;
	relay_free(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		p->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	p->n_conns--;
	/* Freed after the current batch of events, which may still point at it. */
	c->dead = true;
	c->next = p->dead;
	p->dead = c;
	if (p->n_conns < p->conf.max_conns)
		listeners_watch(p, true);
}

void pconn_abort(struct pconn *c, const char *why)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (c->a.fd >= 0)
		setsockopt(c->a.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (c->b.fd >= 0)
		setsockopt(c->b.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	pconn_close(c, why);
}

/* Small handshake messages go to fresh sockets whose buffers are empty: a short
 * write there means the peer is gone. */
static int send_all(int fd, const void *buf, size_t len)
{
	ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EAGAIN;
}

static void reply_a(struct pconn *c, int rep)
{
	uint8_t out[SOCKS5_REPLY_MAX];
	const struct mps_addr *bnd = rep == SOCKS5_REP_OK ? &c->b_local : NULL;
	int n = socks5_build_reply(rep, bnd, out, sizeof(out));

	if (n > 0)
		send_all(c->a.fd, out, (size_t)n);
}

/* Refuses c with a SOCKS reply (when a is a SOCKS client) and a log line. */
static void refuse(struct pconn *c, int rep, const char *why)
{
	char msg[256];

	if (rep != SOCKS5_REP_NONE && (c->p->conf.role == PROXY_SOCKS || c->lan_socks))
		reply_a(c, rep);
	snprintf(msg, sizeof(msg), "%s (reply: %s)", why, socks5_rep_name(rep));
	pconn_close(c, msg);
}

static void consume(struct pconn *c, int n)
{
	memmove(c->buf, c->buf + n, c->blen - (size_t)n);
	c->blen -= (size_t)n;
}

/* ---- connecting ------------------------------------------------------------ */

static void connect_next(struct pconn *c);

/* The message of one stage of the client's handshake: 0 greeting, 1 auth, 2 request. */
static int upstream_msg(struct pconn *c, int stage, uint8_t *out, size_t len)
{
	const struct proxy_conf *cf = &c->p->conf;

	if (stage == 0)
		return socks5_build_greeting(cf->user[0] ? SOCKS5_M_USERPASS : SOCKS5_M_NOAUTH, out,
					     len);
	if (stage == 1)
		return cf->user[0] ? socks5_build_auth(cf->user, cf->password, out, len) : 0;
	return socks5_build_request(&c->dest, out, len);
}

/* Sends the messages of stages from..2, or only that of `from` unless pipelining:
 * with one method offered they can all go at once (two round trips saved), which
 * not every server reads correctly. 0, or -1 when c was closed. */
static int upstream_send(struct pconn *c, int from)
{
	uint8_t out[3 + SOCKS5_AUTH_MAX + SOCKS5_REQUEST_MAX];
	int last = c->p->conf.pipeline ? 2 : from;
	size_t off = 0;
	int n;

	for (int st = from; st <= last; st++) {
		n = upstream_msg(c, st, out + off, sizeof(out) - off);
		if (n < 0) {
			refuse(c, SOCKS5_REP_FAILURE, "cannot encode the request");
			return -1;
		}
		off += (size_t)n;
	}
	if (send_all(c->b.fd, out, off)) {
		c->p->ctr.connect_failed++;
		refuse(c, SOCKS5_REP_FAILURE, "the SOCKS server closed during the handshake");
		return -1;
	}
	return 0;
}

/* b is connected: the socks role answers a and relays; the client role asks the server. */
static void connected(struct pconn *c)
{
	local_peer(c->b.fd, &c->b_local, &c->b_peer);
	if (c->p->conf.role == PROXY_CLIENT) {
		if (upstream_send(c, 0))
			return;
		c->st = PC_UPSTREAM;
		c->up_stage = 0;
		c->blen = 0;
		pconn_watch(c);
		return;
	}
	reply_a(c, SOCKS5_REP_OK);
	/* Bytes the client sent right behind its request. */
	if (c->blen && send_all(c->b.fd, c->buf, c->blen)) {
		pconn_close(c, "cannot forward the client's first bytes");
		return;
	}
	c->blen = 0;
	proxy_log(c->p, PROXY_LOG_DEBUG, "conn %llu: connected", (unsigned long long)c->id);
	relay_start(c);
}

static void connect_next(struct pconn *c)
{
	struct proxy *p = c->p;
	struct sockaddr_storage ss;
	char msg[128];
	socklen_t len;
	int fd, one = 1;

	if (c->b.fd >= 0) {
		pside_watch(p, &c->b, 0);
		close(c->b.fd);
		c->b.fd = -1;
	}
	if (c->i_cand >= c->n_cand) {
		p->ctr.connect_failed++;
		snprintf(msg, sizeof(msg), "connect failed: %s", strerror(c->last_err));
		refuse(c, socks5_rep_from_errno(c->last_err), msg);
		return;
	}
	len = sockaddr_from(&c->cand[c->i_cand++], &ss);
	fd = stream_socket(ss.ss_family, p->conf.role == PROXY_CLIENT || p->conf.upstream_mptcp);
	if (fd < 0) {
		c->last_err = errno;
		connect_next(c);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->b.fd = fd;
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		c->last_err = errno;
		connect_next(c);
		return;
	}
	c->st = PC_CONNECTING;
	pconn_watch(c);
}

static void connect_done(struct pconn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->b.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		c->last_err = err;
		connect_next(c);
		return;
	}
	connected(c);
}

/* Candidates for a destination: refused prefixes are dropped. */
static void add_cand(struct pconn *c, const struct mps_addr *a)
{
	if (c->n_cand < PCONN_CAND_MAX && !acl_match(&c->p->conf.refused, a))
		c->cand[c->n_cand++] = *a;
}

static void start_connect(struct pconn *c)
{
	struct proxy *p = c->p;

	c->n_cand = c->i_cand = 0;
	c->last_err = EHOSTUNREACH;
	if (p->conf.role == PROXY_CLIENT) {
		/* The gateway refuses by address only what it can see; names go to the server. */
		if (c->dest.atyp != SOCKS5_ATYP_DOMAIN &&
		    acl_match(&p->conf.refused, &c->dest.addr)) {
			p->ctr.refused_dest++;
			refuse(c, SOCKS5_REP_NOT_ALLOWED, "destination refused (refuse-dest)");
			return;
		}
		c->cand[c->n_cand++] = p->conf.server;
	} else {
		add_cand(c, &c->dest.addr);
		if (!c->n_cand) {
			p->ctr.refused_dest++;
			refuse(c, SOCKS5_REP_NOT_ALLOWED, "destination refused (refuse-dest)");
			return;
		}
	}
	connect_next(c);
}

/* ---- name lookups ------------------------------------------------------------ */

static void resolved_notify(union sigval sv)
{
	struct presolve *rq = sv.sival_ptr;
	ssize_t n = write(rq->wfd, &rq, sizeof(rq));

	(void)n; /* a pipe write of one pointer is atomic; the pipe has room for 8192 */
}

static void resolve_start(struct pconn *c)
{
	struct presolve *rq = calloc(1, sizeof(*rq));
	struct gaicb *list[1];
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD };
	int r;

	if (!rq) {
		refuse(c, SOCKS5_REP_FAILURE, "out of memory");
		return;
	}
	snprintf(rq->host, sizeof(rq->host), "%s", c->dest.domain);
	snprintf(rq->port, sizeof(rq->port), "%u", c->dest.addr.port);
	rq->hints.ai_socktype = SOCK_STREAM;
	rq->hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
	rq->cb.ar_name = rq->host;
	rq->cb.ar_service = rq->port;
	rq->cb.ar_request = &rq->hints;
	rq->c = c;
	rq->wfd = c->p->resolved_w;
	sev.sigev_notify_function = resolved_notify;
	sev.sigev_value.sival_ptr = rq;
	list[0] = &rq->cb;
	r = getaddrinfo_a(GAI_NOWAIT, list, 1, &sev);
	if (r) {
		free(rq);
		refuse(c, SOCKS5_REP_FAILURE, gai_strerror(r));
		return;
	}
	c->rq = rq;
	c->st = PC_RESOLVING;
	pconn_watch(c);
}

static void resolve_done(struct presolve *rq)
{
	struct pconn *c = rq->c;
	struct addrinfo *ai, *res = rq->cb.ar_result;
	int gai = gai_error(&rq->cb);
	bool any = false;
	char msg[300];

	if (c) {
		c->rq = NULL;
		c->n_cand = c->i_cand = 0;
		c->last_err = EHOSTUNREACH;
		for (ai = gai ? NULL : res; ai; ai = ai->ai_next) {
			struct mps_addr a;

			if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
				continue;
			sockaddr_to((const struct sockaddr_storage *)ai->ai_addr, &a);
			any = true;
			add_cand(c, &a);
		}
		if (gai || !any) {
			c->p->ctr.resolve_failed++;
			snprintf(msg, sizeof(msg), "cannot resolve \"%s\": %s", rq->host,
				 gai ? gai_strerror(gai) : "no address");
			refuse(c, socks5_rep_from_gai(gai ? gai : EAI_NONAME), msg);
		} else if (!c->n_cand) {
			c->p->ctr.refused_dest++;
			refuse(c, SOCKS5_REP_NOT_ALLOWED, "every address of the name is refused");
		} else {
			connect_next(c);
		}
	}
	if (res)
		freeaddrinfo(res);
	free(rq);
}

/* ---- the SOCKS5 server side of a ---------------------------------------------- */

static bool cred_ok(const struct proxy *p, const char *user, const char *pass)
{
	for (size_t i = 0; i < p->n_creds; i++)
		if (!strcmp(p->creds[i].user, user) && !strcmp(p->creds[i].pass, pass))
			return true;
	return false;
}

/* One parse step; >0: go on with the next message, 0: wait for bytes, <0: c is gone. */
static int socks_step(struct pconn *c)
{
	struct proxy *p = c->p;
	char user[256], pass[256];
	uint8_t out[4], method;
	int n, rep, want = p->n_creds ? SOCKS5_M_USERPASS : SOCKS5_M_NOAUTH;

	switch (c->st) {
	case PC_GREETING:
		n = socks5_parse_greeting(c->buf, c->blen, (uint8_t)want, &method);
		if (n <= 0)
			break;
		consume(c, n);
		send_all(c->a.fd, out, (size_t)socks5_build_method(method, out, sizeof(out)));
		if (method == SOCKS5_M_NONE) {
			p->ctr.auth_failed++;
			pconn_close(c, want == SOCKS5_M_USERPASS
					       ? "refused: no username/password"
					       : "refused: client needs authentication");
			return -1;
		}
		c->st = method == SOCKS5_M_USERPASS ? PC_AUTH : PC_REQUEST;
		return 1;
	case PC_AUTH:
		n = socks5_parse_auth(c->buf, c->blen, user, pass);
		if (n <= 0)
			break;
		consume(c, n);
		rep = cred_ok(p, user, pass);
		send_all(c->a.fd, out, (size_t)socks5_build_auth_status(rep, out, sizeof(out)));
		if (!rep) {
			char msg[300];

			p->ctr.auth_failed++;
			snprintf(msg, sizeof(msg), "refused: bad password for user \"%s\"", user);
			pconn_close(c, msg);
			return -1;
		}
		c->st = PC_REQUEST;
		return 1;
	case PC_REQUEST:
		n = socks5_parse_request(c->buf, c->blen, &c->dest, &rep);
		if (n < 0) {
			p->ctr.bad_request++;
			refuse(c, rep, "bad request");
			return -1;
		}
		if (n == 0)
			break;
		consume(c, n);
		c->deadline = p->now + p->conf.connect_timeout;
		if (c->dest.atyp == SOCKS5_ATYP_DOMAIN && p->conf.role == PROXY_SOCKS)
			resolve_start(c);
		else
			start_connect(c);
		return -1; /* no more input to parse now */
	default:
		return -1;
	}
	if (n < 0) {
		p->ctr.bad_request++;
		pconn_close(c, "bad SOCKS5 handshake (not version 5?)");
		return -1;
	}
	if (c->blen == sizeof(c->buf)) {
		p->ctr.bad_request++;
		pconn_close(c, "handshake message too long");
		return -1;
	}
	return 0;
}

/* Reads handshake bytes from fd into c->buf; 0, or -1 when c was closed. */
static int fill(struct pconn *c, int fd)
{
	ssize_t n = recv(fd, c->buf + c->blen, sizeof(c->buf) - c->blen, 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		c->p->ctr.bad_request++;
		pconn_close(c, n == 0 ? "closed during the handshake" : strerror(errno));
		return -1;
	}
	c->blen += (size_t)n;
	return 0;
}

static void handshake_a(struct pconn *c)
{
	if (fill(c, c->a.fd))
		return;
	while (socks_step(c) > 0)
		;
}

/* ---- the client role: the upstream server's answers -------------------------- */

/* 1: next message, 2: connected, 0: need bytes, -1: c was closed. */
static int upstream_step(struct pconn *c)
{
	uint8_t method;
	int n, v = 0;

	if (c->up_stage == 0) {
		n = socks5_parse_method(c->buf, c->blen, &method);
		v = method == (c->p->conf.user[0] ? SOCKS5_M_USERPASS : SOCKS5_M_NOAUTH);
	} else if (c->up_stage == 1) {
		n = socks5_parse_auth_status(c->buf, c->blen, &v);
	} else {
		n = socks5_parse_reply(c->buf, c->blen, &v);
	}
	if (n < 0) {
		c->p->ctr.bad_request++;
		pconn_close(c, "the SOCKS server speaks something else");
		return -1;
	}
	if (n == 0)
		return 0;
	consume(c, n);
	if (c->up_stage < 2 && !v) {
		c->p->ctr.auth_failed++;
		refuse(c, SOCKS5_REP_FAILURE, c->up_stage ? "the SOCKS server refused our password"
							  : "the SOCKS server refused our method");
		return -1;
	}
	if (c->up_stage == 2) {
		if (v != SOCKS5_REP_OK) {
			char msg[128];

			c->p->ctr.connect_failed++;
			snprintf(msg, sizeof(msg), "the SOCKS server answered: %s",
				 socks5_rep_name(v));
			refuse(c, v, msg);
			return -1;
		}
		return 2;
	}
	c->up_stage += c->up_stage == 0 && !c->p->conf.user[0] ? 2 : 1;
	if (!c->p->conf.pipeline && upstream_send(c, c->up_stage))
		return -1;
	return 1;
}

static void handshake_b(struct pconn *c)
{
	int r;

	if (fill(c, c->b.fd))
		return;
	while ((r = upstream_step(c)) == 1)
		;
	if (r < 0)
		return;
	if (r == 0) {
		if (c->blen == sizeof(c->buf))
			pconn_close(c, "the SOCKS server's reply is too long");
		return;
	}
	if (c->lan_socks)
		reply_a(c, SOCKS5_REP_OK);
	if (c->blen && send_all(c->a.fd, c->buf, c->blen)) {
		pconn_close(c, "cannot forward the server's first bytes");
		return;
	}
	c->blen = 0;
	relay_start(c);
}

/* ---- accepting ----------------------------------------------------------------- */

/* Transparent interception: where the LAN host wanted to go. */
static int original_dst(struct pconn *c, const struct plistener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (c->p->conf.tmode == TMODE_TPROXY) {
		c->dest.addr = c->a_local; /* TPROXY keeps the original destination */
	} else if (getsockopt(c->a.fd, SOL_IP, SO_ORIGINAL_DST_, &ss, &len) == 0 ||
		   (len = sizeof(ss),
		    getsockopt(c->a.fd, SOL_IPV6, SO_ORIGINAL_DST_, &ss, &len) == 0)) {
		sockaddr_to(&ss, &c->dest.addr);
	} else {
		return -errno;
	}
	c->dest.atyp = c->dest.addr.family == AF_INET ? SOCKS5_ATYP_IPV4 : SOCKS5_ATYP_IPV6;
	/* Not intercepted: the host connected to the listener itself (a loop). */
	if (mps_addr_equal(&c->dest.addr, &l->addr) ||
	    (c->dest.addr.port == l->addr.port && mps_addr_same_ip(&c->dest.addr, &c->a_local)))
		return -ELOOP;
	return 0;
}

static struct pconn *pconn_new(struct proxy *p, int fd)
{
	struct pconn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->p = p;
	c->id = ++p->next_id;
	c->a = (struct pside){ EV_SIDE, fd, 0, c };
	c->b = (struct pside){ EV_SIDE, -1, 0, c };
	c->ab.pipe[0] = c->ab.pipe[1] = c->ba.pipe[0] = c->ba.pipe[1] = -1;
	c->started = c->last_active = p->now;
	c->deadline = p->now + p->conf.connect_timeout;
	c->next = p->conns;
	if (p->conns)
		p->conns->prev = c;
	p->conns = c;
	p->n_conns++;
	p->ctr.accepted++;
	local_peer(fd, &c->a_local, &c->a_peer);
	return c;
}

static void accept_one(struct proxy *p, struct plistener *l, int fd)
{
	struct pconn *c = pconn_new(p, fd);
	char a[MPS_ADDRSTRLEN];
	int r, one = 1;

	if (!c) {
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!acl_match(&p->conf.clients, &c->a_peer)) {
		p->ctr.refused_client++;
		/* Before any SOCKS byte: nothing to reply, the client is not ours. */
		proxy_log(p, PROXY_LOG_WARN,
			  "conn %llu from %s: refused: client not in allow-client",
			  (unsigned long long)c->id, mps_addr_format(&c->a_peer, a, sizeof(a)));
		pconn_close(c, NULL);
		return;
	}
	if (l->type == 1) {
		r = original_dst(c, l);
		if (r) {
			p->ctr.bad_request++;
			pconn_close(c, r == -ELOOP
					       ? "refused: not intercepted (a connection to the "
						 "transparent listener itself)"
					       : "refused: no original destination (no REDIRECT?)");
			return;
		}
		start_connect(c);
		return;
	}
	c->lan_socks = p->conf.role == PROXY_CLIENT;
	c->st = PC_GREETING;
	pconn_watch(c);
}

static void accept_all(struct proxy *p, struct plistener *l)
{
	/* Bounded: other connections get their turn. */
	for (int i = 0; i < 64 && p->n_conns < p->conf.max_conns; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				proxy_log(p, PROXY_LOG_ERR, "accept: %s", strerror(errno));
			return;
		}
		accept_one(p, l, fd);
	}
	if (p->n_conns >= p->conf.max_conns) {
		proxy_log(p, PROXY_LOG_WARN, "max-conns %u reached: not accepting until one ends",
			  p->conf.max_conns);
		listeners_watch(p, false);
	}
}

/* ---- the loop ----------------------------------------------------------------- */

static void side_event(struct pside *s, uint32_t ev)
{
	struct pconn *c = s->c;

	switch (c->st) {
	case PC_GREETING:
	case PC_AUTH:
	case PC_REQUEST:
		handshake_a(c);
		break;
	case PC_CONNECTING:
		connect_done(c);
		break;
	case PC_UPSTREAM:
		handshake_b(c);
		break;
	case PC_RELAY:
		relay_event(c, s, ev);
		break;
	case PC_RESOLVING:
		break;
	}
}

static void tick(struct proxy *p)
{
	struct pconn *c, *next;
	uint64_t n;
	ssize_t r = read(p->timer.fd, &n, sizeof(n));

	(void)r;
	for (c = p->conns; c; c = next) {
		next = c->next;
		if (c->st != PC_RELAY && p->now >= c->deadline) {
			p->ctr.timeouts++;
			refuse(c, c->st >= PC_RESOLVING ? SOCKS5_REP_TTL_EXPIRED : SOCKS5_REP_NONE,
			       c->st >= PC_RESOLVING ? "connect timeout" : "handshake timeout");
		} else if (c->st == PC_RELAY && p->conf.idle_timeout &&
			   p->now - c->last_active >= (time_t)p->conf.idle_timeout) {
			p->ctr.timeouts++;
			pconn_abort(c, "idle timeout");
		}
	}
	state_write(p);
}

static void resolved_event(struct proxy *p)
{
	struct presolve *rq[64];
	ssize_t n = read(p->resolved.fd, rq, sizeof(rq));

	for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof(rq[0]); i++)
		resolve_done(rq[i]);
}

static void dispatch(struct proxy *p, struct epoll_event *e)
{
	enum ev_kind *k = e->data.ptr;

	switch (*k) {
	case EV_LISTEN:
		accept_all(p, (struct plistener *)k);
		break;
	case EV_SIDE:
		if (!((struct pside *)k)->c->dead)
			side_event((struct pside *)k, e->events);
		break;
	case EV_RESOLVED:
		resolved_event(p);
		break;
	case EV_TIMER:
		tick(p);
		break;
	case EV_SIGNAL:
		p->stop = true;
		break;
	}
}

static void free_dead(struct proxy *p)
{
	struct pconn *c, *next;

	for (c = p->dead; c; c = next) {
		next = c->next;
		free(c);
	}
	p->dead = NULL;
}

static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* ---- setup ---------------------------------------------------------------------- */

static int listen_on(struct proxy *p, const struct mps_addr *a, int type, char *err,
		     size_t errlen)
{
	struct plistener *l = &p->lst[p->n_lst];
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_from(a, &ss);
	char t[MPS_ADDRSTRLEN];
	int fd, one = 1, zero = 0;
	/* MPTCP where the peers are the MPTCP side (the SOCKS server); the gateway's LAN
	 * side is plain TCP, which SO_ORIGINAL_DST needs. */
	bool mptcp = p->conf.role == PROXY_SOCKS;

	fd = stream_socket(a->family, mptcp);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (type == 1 && p->conf.tmode == TMODE_TPROXY &&
	    setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 4096) < 0)
		goto fail;
	*l = (struct plistener){ EV_LISTEN, fd, type, *a, false };
	p->n_lst++;
	return 0;
fail:
	snprintf(err, errlen, "cannot listen on %s: %s", mps_addr_format(a, t, sizeof(t)),
		 strerror(errno));
	if (fd >= 0)
		close(fd);
	return -errno;
}

static int load_creds(struct proxy *p, char *err, size_t errlen)
{
	const char *path = p->conf.credentials;
	char line[1024], user[256], pass[256];
	FILE *f;
	int lineno = 0, r;

	if (!path[0])
		return 0;
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		snprintf(err, errlen, "cannot open credentials %s: %s", path, strerror(errno));
		return r;
	}
	while (fgets(line, sizeof(line), f)) {
		struct cred *nc;

		lineno++;
		r = proxy_cred_line(line, user, pass);
		if (r == 0)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s:%d: not \"user:password\"", path, lineno);
			fclose(f);
			return -EINVAL;
		}
		nc = realloc(p->creds, (p->n_creds + 1) * sizeof(*nc));
		if (!nc) {
			fclose(f);
			return -ENOMEM;
		}
		p->creds = nc;
		strcpy(nc[p->n_creds].user, user);
		strcpy(nc[p->n_creds].pass, pass);
		p->n_creds++;
	}
	fclose(f);
	if (!p->n_creds) {
		snprintf(err, errlen, "%s: no \"user:password\" line", path);
		return -EINVAL;
	}
	return 0;
}

static int setup_fds(struct proxy *p)
{
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	int pfd[2];
	sigset_t ss;

	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	p->sig.kind = EV_SIGNAL;
	p->sig.fd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
	p->timer.kind = EV_TIMER;
	p->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (p->sig.fd < 0 || p->timer.fd < 0 || pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	p->resolved.kind = EV_RESOLVED;
	p->resolved.fd = pfd[0];
	p->resolved_w = pfd[1];
	timerfd_settime(p->timer.fd, 0, &its, NULL);
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0)
		return -errno;
	struct epoll_event e = { .events = EPOLLIN };

	e.data.ptr = &p->sig;
	epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->sig.fd, &e);
	e.data.ptr = &p->timer;
	epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->timer.fd, &e);
	e.data.ptr = &p->resolved;
	epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->resolved.fd, &e);
	return 0;
}

/* Each connection holds up to 6 descriptors (2 sockets, 2 pipes). */
static void raise_nofile(struct proxy *p)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)p->conf.max_conns * 6 + 64)
		proxy_log(p, PROXY_LOG_WARN, "open-file limit %llu is low for max-conns %u",
			  (unsigned long long)rl.rlim_cur, p->conf.max_conns);
}

static int setup(struct proxy *p, char *err, size_t errlen)
{
	const struct proxy_conf *cf = &p->conf;
	int r;

	r = load_creds(p, err, errlen);
	if (r)
		return r;
	r = setup_fds(p);
	if (r) {
		snprintf(err, errlen, "cannot set up the event loop: %s", strerror(-r));
		return r;
	}
	p->now = mono_now();
	if (mps_addr_is_set(&cf->listen) && (r = listen_on(p, &cf->listen, 0, err, errlen)))
		return r;
	if (cf->role == PROXY_CLIENT && mps_addr_is_set(&cf->transparent) &&
	    (r = listen_on(p, &cf->transparent, 1, err, errlen)))
		return r;
	raise_nofile(p);
	listeners_watch(p, true);
	return state_write(p) == 0 ? 0 : (proxy_log(p, PROXY_LOG_WARN,
				 "cannot write the state file %s", p->state_path), 0);
}

int proxy_run(struct proxy *p, char *err, size_t errlen)
{
	struct epoll_event ev[256];
	char t[MPS_ADDRSTRLEN];
	int n, r;

	p->epfd = p->sig.fd = p->timer.fd = p->resolved.fd = p->resolved_w = -1;
	r = setup(p, err, errlen);
	if (r)
		return r;
	for (int i = 0; i < p->n_lst; i++)
		proxy_log(p, PROXY_LOG_INFO, "%s: listening on %s (%s)",
			  p->conf.role == PROXY_SOCKS ? "socks" : "client",
			  mps_addr_format(&p->lst[i].addr, t, sizeof(t)),
			  p->lst[i].type ? "transparent" : "SOCKS5");
	while (!p->stop) {
		n = epoll_wait(p->epfd, ev, 256, -1);
		if (n < 0 && errno != EINTR) {
			snprintf(err, errlen, "epoll_wait: %s", strerror(errno));
			r = -errno;
			break;
		}
		p->now = mono_now();
		for (int i = 0; i < n; i++)
			dispatch(p, &ev[i]);
		free_dead(p);
	}
	proxy_log(p, PROXY_LOG_INFO, "stopping: %zu connections open", p->n_conns);
	while (p->conns)
		pconn_close(p->conns, NULL);
	free_dead(p);
	state_remove(p);
	return r;
}
