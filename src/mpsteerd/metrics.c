/* SPDX-License-Identifier: MIT */
/*
 * Prometheus text exposition (version 0.0.4) of the daemon's counters and
 * gauges, served on an opt-in HTTP listener (metrics_listen) and through the
 * control socket ("metrics"). The listener never blocks the daemon: every
 * socket is non-blocking, a request head is bounded (MPSD_METRICS_REQ_MAX),
 * each scraper has MPSD_METRICS_TIMEOUT_S to finish, at most
 * MPSD_METRICS_CLIENTS are served at once and further ones are refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mpsteerd.h"

struct mpsd_scraper {
	int fd;
	size_t in_len;
	char in[MPSD_METRICS_REQ_MAX];
	char *out; /* status line, headers and body */
	size_t out_len, out_off;
	struct mpsd_timer timer;
};

struct mpsd_iface_bytes {
	char ifname[IF_NAMESIZE];
	uint64_t sent, received;
};

/* ---- rendering ---- */

static void label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	family(f, name, "counter", help);
	fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

/* The steering policies' decisions (steer.c) and the sampling they cost. */
static void steering(struct mpsd *d, FILE *f)
{
	const struct mpsd_steer_stats *st = &d->steer.stats;
	int k, r;

	family(f, "mpsteerd_steering_decisions_total", "counter",
	       "Primary changes decided, by steering policy.");
	for (k = MPSD_STEER_NONE + 1; k < MPSD_STEER_N; k++)
		fprintf(f, "mpsteerd_steering_decisions_total{policy=\"%s\"} %llu\n",
			mpsd_steer_name(k), (unsigned long long)st->decisions[k]);
	family(f, "mpsteerd_steering_decision_reasons_total", "counter",
	       "Primary changes decided, by steering policy and reason.");
	for (k = MPSD_STEER_NONE + 1; k < MPSD_STEER_N; k++)
		for (r = MPSD_R_NONE + 1; r < MPSD_R_N; r++)
			fprintf(f, "mpsteerd_steering_decision_reasons_total{policy=\"%s\","
				"reason=\"%s\"} %llu\n", mpsd_steer_name(k), mpsd_reason_name(r),
				(unsigned long long)st->reasons[k][r]);
	family(f, "mpsteerd_steering_connections_total", "counter",
	       "Connections given to each steering policy.");
	for (k = MPSD_STEER_NONE + 1; k < MPSD_STEER_N; k++)
		fprintf(f, "mpsteerd_steering_connections_total{policy=\"%s\"} %llu\n",
			mpsd_steer_name(k), (unsigned long long)st->conns[k]);
	counter(f, "mpsteerd_steering_pinned_skips_total",
		"Decisions not made because the connection is pinned.", st->pinned_skips);
	counter(f, "mpsteerd_sampling_ticks_total", "Health samples of steered subflows taken.",
		d->sampler.ticks);
	counter(f, "mpsteerd_sampling_errors_total", "Health samples that failed.",
		d->sampler.errors);
	family(f, "mpsteerd_sampling_cpu_seconds_total", "counter",
	       "CPU time spent sampling and deciding.");
	fprintf(f, "mpsteerd_sampling_cpu_seconds_total %.6f\n", d->sampler.cpu_us / 1e6);
	family(f, "mpsteerd_connections_steered", "gauge",
	       "Connections a steering policy currently owns.");
	fprintf(f, "mpsteerd_connections_steered %llu\n", (unsigned long long)d->conns.n_steered);
}

static void counters(struct mpsd *d, FILE *f)
{
	const struct mpsd_stats *s = &d->stats;
	const struct {
		const char *name, *help;
		uint64_t v;
	} c[] = {
		{ "mpsteerd_events_total", "Path-manager events handled.", s->events },
		{ "mpsteerd_resyncs_total", "Resyncs after the kernel dropped events.", s->resyncs },
		{ "mpsteerd_reconciles_total", "Comparisons of the table with sock_diag.",
		  s->reconciles },
		{ "mpsteerd_connections_established_total", "Connections established.",
		  s->conns_established },
		{ "mpsteerd_connections_closed_total", "Connections closed.", s->conns_closed },
		{ "mpsteerd_connections_adopted_total", "Connections found in sock_diag.",
		  s->adopted },
		{ "mpsteerd_connections_reaped_total", "Connections gone without a CLOSED event.",
		  s->reaped },
		{ "mpsteerd_subflows_created_total", "Subflows created by the daemon.",
		  s->subflows_created },
		{ "mpsteerd_subflows_failed_total", "Subflows that failed to come up.",
		  s->subflows_failed },
		{ "mpsteerd_subflows_retried_total", "Subflow creations retried after a failure.",
		  s->subflows_retried },
		{ "mpsteerd_subflows_closed_link_total", "Subflows closed because their link went.",
		  s->subflows_closed_link },
		{ "mpsteerd_subflows_demoted_total", "Subflows made backup because their link went.",
		  s->demoted },
		{ "mpsteerd_announces_total", "Addresses announced (ADD_ADDR).", s->announced },
		{ "mpsteerd_overrides_total", "Primary overrides recorded.", s->overrides },
		{ "mpsteerd_control_requests_total", "Control-socket requests.", s->ctl_requests },
		{ "mpsteerd_metrics_scrapes_total", "HTTP scrapes answered.", d->metrics.scrapes },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		counter(f, c[i].name, c[i].help, c[i].v);
	family(f, "mpsteerd_metrics_refused_total", "counter",
	       "HTTP scrapers turned away, by reason.");
	fprintf(f, "mpsteerd_metrics_refused_total{reason=\"busy\"} %llu\n"
		   "mpsteerd_metrics_refused_total{reason=\"bad_request\"} %llu\n"
		   "mpsteerd_metrics_refused_total{reason=\"timeout\"} %llu\n",
		(unsigned long long)d->metrics.refused, (unsigned long long)d->metrics.bad_requests,
		(unsigned long long)d->metrics.timeouts);
}

/* Connections by state and policy, subflows by interface and state. */
#define MAX_GROUPS 64
struct group {
	char a[IF_NAMESIZE + 32], b[16];
	uint64_t n;
};
struct groups {
	size_t n;
	struct group g[MAX_GROUPS];
};

static void group_add(struct groups *gs, const char *a, const char *b, uint64_t n)
{
	size_t i;

	for (i = 0; i < gs->n; i++)
		if (!strcmp(gs->g[i].a, a) && !strcmp(gs->g[i].b, b))
			break;
	if (i == gs->n) {
		if (gs->n == MAX_GROUPS)
			return;
		snprintf(gs->g[i].a, sizeof(gs->g[i].a), "%s", a);
		snprintf(gs->g[i].b, sizeof(gs->g[i].b), "%s", b);
		gs->g[i].n = 0;
		gs->n++;
	}
	gs->g[i].n += n;
}

struct tally {
	struct groups conns, sfs;
};

static void tally_conn(struct mpsd *d, struct mpsd_conn *c, void *data)
{
	struct tally *t = data;
	char pol[32];
	size_t i;

	group_add(&t->conns, conn_policy_name(d, c, pol, sizeof(pol)),
		  c->state == CONN_ESTABLISHED ? "established" : "created", 1);
	for (i = 0; i < c->n_sf; i++) {
		const struct mpsd_iface *ifc = links_iface(d, c->sf[i].ifindex);

		group_add(&t->sfs, ifc ? ifc->link.name : "unknown",
			  c->sf[i].state == SF_ESTABLISHED ? "established" : "pending", 1);
	}
}

static void gauges(struct mpsd *d, FILE *f)
{
	static struct tally t; /* a few kB: not on the stack */
	size_t i;

	memset(&t, 0, sizeof(t));
	conn_foreach(d, tally_conn, &t);
	family(f, "mpsteerd_uptime_seconds", "gauge", "Seconds since the daemon started.");
	fprintf(f, "mpsteerd_uptime_seconds %llu\n",
		(unsigned long long)((now_ms() - d->stats.start_ms) / 1000));
	family(f, "mpsteerd_connections", "gauge", "Connections tracked, by policy and state.");
	for (i = 0; i < t.conns.n; i++) {
		fputs("mpsteerd_connections{policy=\"", f);
		label_value(f, t.conns.g[i].a);
		fprintf(f, "\",state=\"%s\"} %llu\n", t.conns.g[i].b,
			(unsigned long long)t.conns.g[i].n);
	}
	family(f, "mpsteerd_subflows", "gauge", "Subflows of tracked connections, by interface "
	       "and state.");
	for (i = 0; i < t.sfs.n; i++) {
		fputs("mpsteerd_subflows{interface=\"", f);
		label_value(f, t.sfs.g[i].a);
		fprintf(f, "\",state=\"%s\"} %llu\n", t.sfs.g[i].b, (unsigned long long)t.sfs.g[i].n);
	}
}

static struct mpsd_iface_bytes *bytes_slot(struct mpsd_metrics *m, const char *ifname)
{
	struct mpsd_iface_bytes *v;
	size_t i;

	for (i = 0; i < m->n_bytes; i++)
		if (!strcmp(m->bytes[i].ifname, ifname))
			return &m->bytes[i];
	v = realloc(m->bytes, (m->n_bytes + 1) * sizeof(*v));
	if (!v)
		return NULL;
	m->bytes = v;
	v = &m->bytes[m->n_bytes++];
	memset(v, 0, sizeof(*v));
	snprintf(v->ifname, sizeof(v->ifname), "%s", ifname);
	return v;
}

/* A subflow of the dump, on the interface the daemon knows it by (no route lookup). */
static int add_bytes(const struct mps_subflow *sf, void *data)
{
	struct mpsd *d = data;
	struct mpsd_conn *c = conn_find(d, sf->token_loc);
	struct mpsd_sf *known = c ? conn_sf_find(c, &sf->local, &sf->remote) : NULL;
	const struct mpsd_iface *ifc = known ? links_iface(d, known->ifindex) : NULL;
	struct mpsd_iface_bytes *b = bytes_slot(&d->metrics, ifc ? ifc->link.name : "unknown");

	if (b) {
		b->sent += sf->bytes_acked;
		b->received += sf->bytes_received;
	}
	return 0;
}

/* One sock_diag dump at most every MPSD_METRICS_CACHE_MS: scrapes stay cheap. */
static void refresh_bytes(struct mpsd *d)
{
	struct mpsd_metrics *m = &d->metrics;

	if (m->bytes_at_ms && now_ms() - m->bytes_at_ms < MPSD_METRICS_CACHE_MS)
		return;
	m->bytes_at_ms = now_ms();
	m->n_bytes = 0;
	if (mps_diag_subflows(add_bytes, d))
		log_debug("metrics: subflow dump failed: bytes partial until the next one");
}

static void bytes(struct mpsd *d, FILE *f)
{
	const struct mpsd_metrics *m = &d->metrics;
	size_t i, dir;

	refresh_bytes(d);
	for (dir = 0; dir < 2; dir++) {
		const char *name = dir ? "mpsteerd_subflow_received_bytes" : "mpsteerd_subflow_sent_bytes";

		family(f, name, "gauge", dir ? "Bytes received on the live MPTCP subflows of the "
		       "namespace, by interface (unknown: not the daemon's)." : "Bytes sent and "
		       "acknowledged on the live MPTCP subflows of the namespace, by interface "
		       "(unknown: not the daemon's).");
		for (i = 0; i < m->n_bytes; i++) {
			fprintf(f, "%s{interface=\"", name);
			label_value(f, m->bytes[i].ifname);
			fprintf(f, "\"} %llu\n", (unsigned long long)(dir ? m->bytes[i].received
									   : m->bytes[i].sent));
		}
	}
}

char *metrics_render(struct mpsd *d, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	counters(d, f);
	steering(d, f);
	gauges(d, f);
	bytes(d, f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- the HTTP listener ---- */

static void scraper_free(struct mpsd *d, struct mpsd_scraper *s)
{
	size_t i;

	for (i = 0; i < MPSD_METRICS_CLIENTS; i++)
		if (d->metrics.clients[i] == s)
			d->metrics.clients[i] = NULL;
	timer_cancel(d, &s->timer);
	loop_del(d, s->fd);
	close(s->fd);
	free(s->out);
	free(s);
}

static void scraper_timeout(struct mpsd *d, void *data)
{
	d->metrics.timeouts++;
	log_debug("metrics: a scraper made no request in %ds: closed", MPSD_METRICS_TIMEOUT_S);
	scraper_free(d, data);
}

static int respond(struct mpsd_scraper *s, int status, bool head, char *body, size_t blen)
{
	const char *reason = status == 200 ? "OK" : status == 404 ? "Not Found"
			     : status == 405 ? "Method Not Allowed"
			     : status == 431 ? "Request Header Fields Too Large" : "Bad Request";
	char hdr[256];
	int n;

	n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, reason,
		     status == 200 ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain",
		     blen);
	s->out = malloc((size_t)n + blen);
	if (!s->out)
		return -ENOMEM;
	memcpy(s->out, hdr, (size_t)n);
	if (!head)
		memcpy(s->out + n, body, blen);
	s->out_len = (size_t)n + (head ? 0 : blen);
	return 0;
}

/* Writes what the socket takes; true when the reply is out (or the peer went). */
static bool flush_out(struct mpsd_scraper *s)
{
	ssize_t n;

	while (s->out_off < s->out_len) {
		n = send(s->fd, s->out + s->out_off, s->out_len - s->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno != EAGAIN && errno != EINTR;
		s->out_off += (size_t)n;
	}
	return true;
}

static int answer(struct mpsd *d, struct mpsd_scraper *s, int status, bool head)
{
	char *body, msg[64];
	size_t len;
	int ret;

	if (status != 200) {
		d->metrics.bad_requests++;
		len = (size_t)snprintf(msg, sizeof(msg), "%d: the metrics are at /metrics\n", status);
		return respond(s, status, head, msg, len);
	}
	d->metrics.scrapes++;
	body = metrics_render(d, &len);
	if (!body)
		return -ENOMEM;
	ret = respond(s, 200, head, body, len);
	free(body);
	return ret;
}

static void scraper_io(struct mpsd *d, int fd, uint32_t events, void *data)
{
	struct mpsd_scraper *s = data;
	bool head;
	ssize_t n;
	int status;

	if (s->out) {
		if (flush_out(s))
			scraper_free(d, s);
		return;
	}
	n = recv(fd, s->in + s->in_len, sizeof(s->in) - s->in_len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		scraper_free(d, s);
		return;
	}
	s->in_len += (size_t)n;
	status = metrics_http_status(s->in, s->in_len, sizeof(s->in), &head);
	if (!status)
		return;
	if (answer(d, s, status, head) || flush_out(s)) {
		scraper_free(d, s);
		return;
	}
	loop_mod(d, fd, EPOLLOUT, s); /* the rest when the socket drains */
}

static void accept_one(struct mpsd *d, int cfd)
{
	struct mpsd_scraper *s;
	size_t i;

	for (i = 0; i < MPSD_METRICS_CLIENTS && d->metrics.clients[i]; i++)
		;
	s = i < MPSD_METRICS_CLIENTS ? calloc(1, sizeof(*s)) : NULL;
	if (!s) {
		static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
					   "Content-Length: 0\r\nConnection: close\r\n\r\n";

		d->metrics.refused++;
		if (send(cfd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			log_debug("metrics: refused scraper: %s", strerror(errno));
		close(cfd);
		return;
	}
	s->fd = cfd;
	if (loop_add(d, cfd, EPOLLIN, scraper_io, s)) {
		close(cfd);
		free(s);
		return;
	}
	d->metrics.clients[i] = s;
	timer_arm(d, &s->timer, MPSD_METRICS_TIMEOUT_S * 1000ull, scraper_timeout, s);
}

static void on_accept(struct mpsd *d, int fd, uint32_t events, void *data)
{
	int cfd, i;

	/* A bounded batch per wake-up: a connect flood cannot keep the loop here. */
	for (i = 0; i < 64; i++) {
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("metrics: accept: %s", strerror(errno));
			return;
		}
		accept_one(d, cfd);
	}
}

static int listen_on(const struct mps_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t len = mps_addr_to_sockaddr(a, &ss);
	int fd, one = 1;

	fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 16)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int metrics_init(struct mpsd *d)
{
	const struct mps_addr *a = &d->cfg.metrics_listen;
	char buf[MPS_ADDRSTRLEN];
	int fd;

	d->metrics.lfd = -1;
	if (!mps_addr_is_set(a))
		return 0;
	mps_addr_format(a, buf, sizeof(buf));
	fd = listen_on(a);
	if (fd < 0) {
		log_err("metrics: cannot listen on %s: %s", buf, strerror(-fd));
		return fd;
	}
	if (loop_add(d, fd, EPOLLIN, on_accept, NULL)) {
		close(fd);
		return -ENOMEM;
	}
	d->metrics.lfd = fd;
	d->metrics.bound = *a;
	log_info("metrics: Prometheus text on http://%s/metrics", buf);
	return 0;
}

void metrics_fini(struct mpsd *d)
{
	size_t i;

	for (i = 0; i < MPSD_METRICS_CLIENTS; i++)
		if (d->metrics.clients[i])
			scraper_free(d, d->metrics.clients[i]);
	if (d->metrics.lfd >= 0) {
		loop_del(d, d->metrics.lfd);
		close(d->metrics.lfd);
	}
	d->metrics.lfd = -1;
	memset(&d->metrics.bound, 0, sizeof(d->metrics.bound));
	free(d->metrics.bytes);
	d->metrics.bytes = NULL;
	d->metrics.n_bytes = 0;
	d->metrics.bytes_at_ms = 0;
}

void metrics_config_changed(struct mpsd *d)
{
	const struct mps_addr *a = &d->cfg.metrics_listen, *b = &d->metrics.bound;

	if (mps_addr_equal(a, b) && a->family == b->family)
		return;
	metrics_fini(d);
	if (metrics_init(d))
		log_err("metrics: the listener stays off until the next reload");
}
