/* SPDX-License-Identifier: MIT */
/*
 * The control socket (protocol in src/common/ctl.h and mpsteerd(8)).
 *
 * Every client is non-blocking with bounded buffers: a request line longer
 * than MPS_CTL_MAX_REQUEST gets an error and the connection is closed; while
 * a reply is being written, no further request of that client is read.
 * Anyone may read state; changes need root or the configured group, as the
 * peer was when it connected (SO_PEERCRED, SO_PEERGROUPS). The last few client
 * slots are kept for such privileged peers.
 *
 * Nobody holds the daemon's resources for free: a client that makes no progress (sends
 * nothing, or reads nothing of its reply) for control_idle_timeout is closed, whoever it
 * is, so no uid (root included) can keep every slot; and the reply bytes waiting in our
 * buffers for unprivileged clients are capped all together (control_queue_limit): a client
 * that would go beyond is dropped, with the reason logged, and the others are served.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "mpsteerd.h"

struct mpsd_client {
	int fd;
	struct ucred cred;
	char *rbuf;
	size_t rlen;
	char *wbuf;
	size_t wlen, woff;
	bool closing; /* close once the reply is out */
	bool cred_ok; /* SO_PEERCRED worked: else never privileged */
	size_t counted;          /* of wlen - woff, counted in d->ctl.unpriv_queued */
	struct mpsd_timer idle;  /* no progress until it fires: closed */
	bool monitor; /* asked for "monitor": gets every steering decision as a line */
};

/* A monitor that falls this far behind is closed rather than buffered without end. */
#define MONITOR_BACKLOG (1u << 20)

static void client_free(struct mpsd *d, struct mpsd_client *cl)
{
	for (size_t i = 0; i < MPSD_MAX_CLIENTS; i++)
		if (d->ctl.clients[i] == cl)
			d->ctl.clients[i] = NULL;
	d->ctl.unpriv_queued -= cl->counted;
	timer_cancel(d, &cl->idle);
	loop_del(d, cl->fd);
	close(cl->fd);
	free(cl->rbuf);
	free(cl->wbuf);
	free(cl);
}

/* Supplementary groups as the kernel recorded them at connect() (Linux 4.13). */
static bool peer_in_group(int fd, gid_t gid)
{
	gid_t small[64], *g = small;
	socklen_t len = sizeof(small);
	bool found = false;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) < 0) {
		/* ERANGE: len now says how much room the list needs. */
		if (errno != ERANGE || !(g = malloc(len)))
			return false;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) < 0)
			len = 0;
	}
	for (size_t i = 0; i < len / sizeof(gid_t) && !found; i++)
		found = g[i] == gid;
	if (g != small)
		free(g);
	return found;
}

/*
 * From the credentials the kernel saved when the client connected, against the current
 * config (a reload may drop the group). Reading /proc/PID/status instead would judge whichever
 * process holds that pid by then (the client may have passed the fd on and exited), or groups
 * gained since.
 */
static bool privileged(struct mpsd *d, const struct mpsd_client *cl)
{
	if (!cl->cred_ok)
		return false;
	if (cl->cred.uid == 0)
		return true;
	if (!d->cfg.has_group)
		return false;
	return cl->cred.gid == d->cfg.gid || peer_in_group(cl->fd, d->cfg.gid);
}

/* ---- bounds: idle clients, bytes queued to unprivileged ones ---- */

static void client_progress(struct mpsd *d, struct mpsd_client *cl);

static void client_idle(struct mpsd *d, void *data)
{
	struct mpsd_client *cl = data;

	/* A monitor with nothing to read waits for us, not we for it. */
	if (cl->monitor && !cl->wlen) {
		client_progress(d, cl);
		return;
	}
	d->stats.ctl_idle_closed++;
	log_info("control: uid %u closed: no progress for %us (control_idle_timeout)",
		 (unsigned)cl->cred.uid, d->cfg.ctl_idle_s);
	client_free(d, cl);
}

/* Bytes came in or went out: the client is alive. */
static void client_progress(struct mpsd *d, struct mpsd_client *cl)
{
	timer_arm(d, &cl->idle, d->cfg.ctl_idle_s * 1000ull, client_idle, cl);
}

/*
 * Brings the global count of bytes queued to unprivileged clients up to date with this
 * client's buffer; false when it would go beyond the limit (the caller drops the client).
 */
static bool client_account(struct mpsd *d, struct mpsd_client *cl)
{
	size_t queued = cl->wlen - cl->woff;

	if (queued && privileged(d, cl))
		queued = 0;
	d->ctl.unpriv_queued = d->ctl.unpriv_queued - cl->counted + queued;
	cl->counted = queued;
	return d->ctl.unpriv_queued <= d->cfg.ctl_unpriv_queue;
}

/* ---- requests ---- */

static json_t *sf_json(struct mpsd *d, const struct mpsd_sf *sf)
{
	char l[MPS_ADDRSTRLEN], r[MPS_ADDRSTRLEN];
	const struct mpsd_iface *f = links_iface(d, sf->ifindex);

	return json_pack("{s:s, s:s, s:s?, s:i, s:i, s:s, s:b, s:b, s:b, s:o}",
			 "local", mps_addr_format(&sf->local, l, sizeof(l)),
			 "remote", mps_addr_format(&sf->remote, r, sizeof(r)),
			 "dev", f ? f->link.name : NULL,
			 "loc_id", sf->loc_id, "rem_id", sf->rem_id,
			 "state", sf->state == SF_PENDING ? "pending" : "established",
			 "backup", sf->backup_local, "peer_backup", sf->backup_peer,
			 "created_by_daemon", sf->ours, "health", ctlsteer_subflow(sf));
}

static json_t *conn_json(struct mpsd *d, const struct mpsd_conn *c)
{
	char l[MPS_ADDRSTRLEN], r[MPS_ADDRSTRLEN], pol[32];
	json_t *sfs = json_array(), *j;

	for (size_t i = 0; i < c->n_sf; i++)
		json_array_append_new(sfs, sf_json(d, &c->sf[i]));
	j = json_pack("{s:I, s:b, s:s, s:s?, s:s, s:s, s:s, s:b, s:i, s:i, s:i, s:o}",
		      "token", (json_int_t)c->token, "managed", !c->unmanaged,
		      "policy", conn_policy_name(d, c, pol, sizeof(pol)),
		      "override", c->has_override ? c->override : NULL,
		      "side", c->server_side ? "server" : "client",
		      "local", mps_addr_format(&c->local0, l, sizeof(l)),
		      "remote", mps_addr_format(&c->remote0, r, sizeof(r)),
		      "established", c->state == CONN_ESTABLISHED,
		      "subflows_created", c->subflows_created,
		      "subflows_failed", c->subflows_failed,
		      "subflows_retried", c->subflows_retried, "subflows", sfs);
	json_object_set_new(j, "steering", ctlsteer_conn(d, c));
	return j;
}

static void add_conn(struct mpsd *d, struct mpsd_conn *c, void *data)
{
	json_array_append_new(data, conn_json(d, c));
}

/* "token" as a number, or a string "0x1a2b" / "6699". */
static int get_token(json_t *req, uint32_t *token, char *err, size_t errlen)
{
	json_t *t = json_object_get(req, "token");

	if (json_is_integer(t) && json_integer_value(t) >= 0 &&
	    json_integer_value(t) <= UINT32_MAX) {
		*token = (uint32_t)json_integer_value(t);
		return 0;
	}
	if (json_is_string(t) && !mps_parse_u32(json_string_value(t), UINT32_MAX, token))
		return 0;
	snprintf(err, errlen, "missing or bad \"token\" (a 32-bit number)");
	return -EINVAL;
}

static json_t *req_conns(struct mpsd *d, json_t *req, char *err, size_t errlen)
{
	json_t *arr = json_array();
	uint32_t token;

	if (json_object_get(req, "token")) {
		struct mpsd_conn *c;

		if (get_token(req, &token, err, errlen)) {
			json_decref(arr);
			return NULL;
		}
		c = conn_find(d, token);
		if (c)
			json_array_append_new(arr, conn_json(d, c));
	} else {
		conn_foreach(d, add_conn, arr);
	}
	return json_pack("{s:b, s:o}", "ok", 1, "conns", arr);
}

static json_t *req_status(struct mpsd *d, json_t *req, char *err, size_t errlen)
{
	char cp[32], sp[32];
	json_t *j;

	j = json_pack("{s:b, s:s, s:i, s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I,"
		      " s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		      "ok", 1, "version", MPS_VERSION, "pid", (int)getpid(),
		      "uptime_s", (json_int_t)((now_ms() - d->stats.start_ms) / 1000),
		      "config", d->cfg.path[0] ? d->cfg.path : "(defaults)",
		      "client_policy", mpsd_policy_format(&d->cfg.client, cp, sizeof(cp)),
		      "server_policy", mpsd_policy_format(&d->cfg.server, sp, sizeof(sp)),
		      "log_level", log_level_name(d->cfg.log_level),
		      "connections", (json_int_t)conn_count(d),
		      "events", (json_int_t)d->stats.events,
		      "conns_established", (json_int_t)d->stats.conns_established,
		      "conns_closed", (json_int_t)d->stats.conns_closed,
		      "resyncs", (json_int_t)d->stats.resyncs,
		      "reconciles", (json_int_t)d->stats.reconciles,
		      "adopted", (json_int_t)d->stats.adopted,
		      "reaped", (json_int_t)d->stats.reaped,
		      "vanished", (json_int_t)d->stats.vanished,
		      "subflows_created", (json_int_t)d->stats.subflows_created,
		      "subflows_failed", (json_int_t)d->stats.subflows_failed,
		      "subflows_retried", (json_int_t)d->stats.subflows_retried,
		      "subflows_closed_link", (json_int_t)d->stats.subflows_closed_link,
		      "demoted", (json_int_t)d->stats.demoted,
		      "announced", (json_int_t)d->stats.announced,
		      "overrides", (json_int_t)d->stats.overrides,
		      "ctl_requests", (json_int_t)d->stats.ctl_requests,
		      "ctl_idle_closed", (json_int_t)d->stats.ctl_idle_closed,
		      "ctl_queue_dropped", (json_int_t)d->stats.ctl_queue_dropped);
	json_object_set_new(j, "steering", ctlsteer_status(d));
	return j;
}

static json_t *req_override_set(struct mpsd *d, json_t *req, char *err, size_t errlen)
{
	json_t *via = json_object_get(req, "via");
	uint32_t token;

	if (get_token(req, &token, err, errlen))
		return NULL;
	if (!json_is_string(via)) {
		snprintf(err, errlen, "missing \"via\" string (interface or address)");
		return NULL;
	}
	if (pm_override_set(d, token, json_string_value(via), err, errlen))
		return NULL;
	return mps_ctl_ok_new();
}

static json_t *req_override_clear(struct mpsd *d, json_t *req, char *err, size_t errlen)
{
	uint32_t token;

	if (get_token(req, &token, err, errlen) || pm_override_clear(d, token, err, errlen))
		return NULL;
	return mps_ctl_ok_new();
}

static json_t *req_reload(struct mpsd *d, json_t *req, char *err, size_t errlen)
{
	if (d->reload(d, err, errlen))
		return NULL;
	return mps_ctl_ok_new();
}

/* The Prometheus text, as the HTTP listener serves it (mpsteer metrics). */
static json_t *req_metrics(struct mpsd *d, json_t *req, char *err, size_t errlen)
{
	size_t len;
	char *text = metrics_render(d, &len);
	json_t *rep;

	if (!text) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rep = json_pack("{s:b, s:s%}", "ok", 1, "text", text, len);
	free(text);
	return rep;
}

static const struct {
	const char *name;
	json_t *(*fn)(struct mpsd *d, json_t *req, char *err, size_t errlen);
	bool changes; /* needs privilege */
} requests[] = {
	{ "status", req_status, false },
	{ "conns", req_conns, false },
	{ "metrics", req_metrics, false },
	{ "override-set", req_override_set, true },
	{ "override-clear", req_override_clear, true },
	{ "reload", req_reload, true },
};

static json_t *dispatch(struct mpsd *d, struct mpsd_client *cl, const char *line, size_t len)
{
	char err[256] = "";
	const char *cmd;
	json_t *req, *rep = NULL;
	size_t i;

	if (mps_ctl_parse_request(line, len, &req, &cmd, err, sizeof(err)))
		return mps_ctl_error_new(err);
	for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		if (!strcmp(cmd, requests[i].name))
			break;
	if (!strcmp(cmd, "monitor")) {
		cl->monitor = true; /* events follow the reply, one line each */
		rep = mps_ctl_ok_new();
	} else if (i == sizeof(requests) / sizeof(requests[0])) {
		snprintf(err, sizeof(err), "unknown command '%.64s'", cmd);
	} else if (requests[i].changes && !privileged(d, cl)) {
		snprintf(err, sizeof(err), "permission denied: '%s' needs root%s", cmd,
			 d->cfg.has_group ? " or the control group" : "");
		log_info("control: uid %u denied '%s'", (unsigned)cl->cred.uid, cmd);
	} else {
		rep = requests[i].fn(d, req, err, sizeof(err));
		if (!rep && !err[0])
			snprintf(err, sizeof(err), "out of memory");
	}
	json_decref(req);
	return rep ? rep : mps_ctl_error_new(err);
}

/* ---- I/O ---- */

static void client_io(struct mpsd *d, int fd, uint32_t events, void *data);

static void flush(struct mpsd *d, struct mpsd_client *cl)
{
	size_t woff0 = cl->woff;

	while (cl->woff < cl->wlen) {
		ssize_t n = send(cl->fd, cl->wbuf + cl->woff, cl->wlen - cl->woff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			cl->closing = true;
			cl->wlen = cl->woff = 0;
			client_account(d, cl);
			return;
		}
		cl->woff += (size_t)n;
	}
	if (cl->woff > woff0)
		client_progress(d, cl);
	if (cl->woff == cl->wlen) {
		free(cl->wbuf);
		cl->wbuf = NULL;
		cl->wlen = cl->woff = 0;
	}
	client_account(d, cl);
	loop_mod(d, cl->fd, cl->wlen ? EPOLLOUT : EPOLLIN, cl);
}

static void queue_reply(struct mpsd *d, struct mpsd_client *cl, json_t *rep)
{
	char *s = rep ? json_dumps(rep, JSON_COMPACT) : NULL;
	size_t len;

	json_decref(rep);
	if (!s) {
		cl->closing = true;
		return;
	}
	len = strlen(s);
	cl->wbuf = s;
	s[len] = '\n'; /* the NUL becomes the line end; wlen excludes nothing else */
	cl->wlen = len + 1;
	cl->woff = 0;
	flush(d, cl);
	if (!client_account(d, cl)) {
		d->stats.ctl_queue_dropped++;
		log_warn("control: uid %u dropped: its reply (%zu bytes unread) would take the "
			 "bytes queued to unprivileged clients beyond %u (control_queue_limit)",
			 (unsigned)cl->cred.uid, cl->wlen - cl->woff, d->cfg.ctl_unpriv_queue);
		cl->wlen = cl->woff = 0;
		client_account(d, cl);
		cl->closing = true;
	}
}

static void client_push(struct mpsd *d, struct mpsd_client *cl, const char *line, size_t n)
{
	char *b;

	if (cl->wlen - cl->woff + n > MONITOR_BACKLOG) {
		log_info("control: a monitor fell %u bytes behind: closed", MONITOR_BACKLOG);
		return client_free(d, cl);
	}
	if (cl->woff) {
		memmove(cl->wbuf, cl->wbuf + cl->woff, cl->wlen - cl->woff);
		cl->wlen -= cl->woff;
		cl->woff = 0;
	}
	b = realloc(cl->wbuf, cl->wlen + n);
	if (!b)
		return client_free(d, cl);
	memcpy(b + cl->wlen, line, n);
	cl->wbuf = b;
	cl->wlen += n;
	flush(d, cl);
	if (!client_account(d, cl)) {
		d->stats.ctl_queue_dropped++;
		log_warn("control: uid %u dropped: a monitor beyond control_queue_limit",
			 (unsigned)cl->cred.uid);
		client_free(d, cl);
	}
}

/* Every steering decision, to every monitor. */
static void on_decision(struct mpsd *d, const struct mpsd_conn *c)
{
	json_t *ev = ctlsteer_decision(d, c);
	char *s = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
	size_t n;

	json_decref(ev);
	if (!s)
		return;
	n = strlen(s);
	s[n] = '\n';
	for (size_t i = 0; i < MPSD_MAX_CLIENTS; i++) {
		struct mpsd_client *cl = d->ctl.clients[i];

		if (cl && cl->monitor && !cl->closing)
			client_push(d, cl, s, n + 1);
	}
	free(s);
}

static void error_and_close(struct mpsd *d, struct mpsd_client *cl, const char *msg)
{
	d->stats.ctl_errors++;
	cl->closing = true;
	queue_reply(d, cl, mps_ctl_error_new(msg));
}

/* Handles at most one complete line: the next waits until its reply is out. */
static void process(struct mpsd *d, struct mpsd_client *cl)
{
	char *nl = memchr(cl->rbuf, '\n', cl->rlen);
	size_t len;

	if (!nl) {
		if (cl->rlen >= MPS_CTL_MAX_REQUEST)
			error_and_close(d, cl, "request too long");
		return;
	}
	len = (size_t)(nl - cl->rbuf);
	d->stats.ctl_requests++;
	queue_reply(d, cl, dispatch(d, cl, cl->rbuf, len));
	memmove(cl->rbuf, nl + 1, cl->rlen - len - 1);
	cl->rlen -= len + 1;
}

static void drain(struct mpsd *d, struct mpsd_client *cl)
{
	while (!cl->wlen && !cl->closing && cl->rlen) {
		size_t before = cl->rlen;

		process(d, cl);
		if (cl->rlen == before && !cl->wlen)
			break; /* an incomplete line: wait for more */
	}
}

static void client_io(struct mpsd *d, int fd, uint32_t events, void *data)
{
	struct mpsd_client *cl = data;
	ssize_t n;

	if (events & EPOLLOUT)
		flush(d, cl);
	if (!cl->wlen && !cl->closing && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		n = recv(fd, cl->rbuf + cl->rlen, MPS_CTL_MAX_REQUEST - cl->rlen, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return client_free(d, cl);
		if (n > 0) {
			cl->rlen += (size_t)n;
			client_progress(d, cl);
		}
	}
	drain(d, cl);
	if (!cl->wlen && cl->closing)
		client_free(d, cl);
}

/*
 * Unprivileged clients could otherwise hold every slot for up to control_idle_timeout and
 * lock root and the control group out of override and reload meanwhile.
 */
#define CTL_RESERVED_PRIVILEGED 4

static int free_slot(struct mpsd *d, const struct mpsd_client *cl)
{
	size_t unpriv = 0;
	int slot = -1;

	for (int i = 0; i < MPSD_MAX_CLIENTS; i++) {
		if (!d->ctl.clients[i] && slot < 0)
			slot = i;
		else if (d->ctl.clients[i] && !privileged(d, d->ctl.clients[i]))
			unpriv++;
	}
	if (!privileged(d, cl) && unpriv >= MPSD_MAX_CLIENTS - CTL_RESERVED_PRIVILEGED)
		return -1;
	return slot;
}

static void turn_away(int s)
{
	static const char busy[] = "{\"ok\":false,\"error\":\"too many clients\"}\n";

	if (send(s, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("control: %s", strerror(errno));
	close(s);
}

static void on_accept(struct mpsd *d, int fd, uint32_t events, void *data)
{
	struct mpsd_client *cl;
	socklen_t len;
	int s, slot;

	s = accept4(d->ctl.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (s < 0)
		return;
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return turn_away(s);
	cl->fd = s;
	len = sizeof(cl->cred);
	cl->cred_ok = getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cl->cred, &len) == 0;
	slot = free_slot(d, cl);
	if (slot >= 0)
		cl->rbuf = malloc(MPS_CTL_MAX_REQUEST);
	if (slot < 0 || !cl->rbuf) {
		free(cl);
		return turn_away(s);
	}
	d->ctl.clients[slot] = cl;
	client_progress(d, cl);
	if (loop_add(d, s, EPOLLIN, client_io, cl))
		client_free(d, cl);
}

/*
 * Another daemon of this namespace answers on the socket: refuse to start. Non-blocking: a
 * daemon that is hung with its backlog full (EAGAIN) still owns the socket, and must neither
 * block our start nor lose its socket to us.
 */
static bool socket_alive(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), ok;

	if (s < 0)
		return false;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	ok = connect(s, (struct sockaddr *)&sun, sizeof(sun)) == 0 || errno == EAGAIN;
	close(s);
	return ok;
}

int ctlsrv_init(struct mpsd *d)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;
	int err;

	err = mps_ctl_path(d->ctl.sock_path, sizeof(d->ctl.sock_path));
	if (err)
		return err;
	if (mkdir(mps_ctl_rundir(), 0755) < 0 && errno != EEXIST)
		return -errno;
	if (socket_alive(d->ctl.sock_path)) {
		log_err("another mpsteerd answers on %s", d->ctl.sock_path);
		d->ctl.sock_path[0] = '\0';
		return -EADDRINUSE;
	}
	unlink(d->ctl.sock_path); /* stale, from a daemon that was killed */
	d->ctl.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (d->ctl.lfd < 0)
		return -errno;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", d->ctl.sock_path);
	/* Everyone may connect and read; changes are checked per request. */
	old = umask(0111);
	err = bind(d->ctl.lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ? -errno : 0;
	umask(old);
	if (!err && listen(d->ctl.lfd, 16) < 0)
		err = -errno;
	if (!err)
		err = loop_add(d, d->ctl.lfd, EPOLLIN, on_accept, NULL);
	if (!err)
		log_info("control socket %s", d->ctl.sock_path);
	d->steer.on_decision = on_decision;
	return err;
}

void ctlsrv_fini(struct mpsd *d)
{
	for (size_t i = 0; i < MPSD_MAX_CLIENTS; i++)
		if (d->ctl.clients[i])
			client_free(d, d->ctl.clients[i]);
	if (d->ctl.lfd >= 0) {
		loop_del(d, d->ctl.lfd);
		close(d->ctl.lfd);
		d->ctl.lfd = -1;
	}
	if (d->ctl.sock_path[0])
		unlink(d->ctl.sock_path);
}
