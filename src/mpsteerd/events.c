/* SPDX-License-Identifier: MIT */
/*
 * mptcp_pm events -> connection state, and the reconciliation with sock_diag
 * that adopts connections the daemon has not seen (start-up, lost events) and
 * frees those whose CLOSED event never came.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "mpsteerd.h"

/* The receive buffer of the event socket: a burst of events waits there while
 * the daemon works; what does not fit is lost (and answered by a resync). */
void events_set_buffer(struct mpsd *d, unsigned bytes)
{
	int sz = (int)bytes;

	if (d->events.sock &&
	    setsockopt(mps_pm_fd(d->events.sock), SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		log_warn("event socket buffer of %u bytes: %s", bytes, strerror(errno));
}

static void flush_dirty(struct mpsd *d)
{
	struct mpsd_conn *c;

	while ((c = conn_dirty_pop(d)))
		if (pm_conn_refresh(d, c)) /* false: freed */
			steer_conn_seen(d, c);
}

static struct mpsd_conn *conn_from_event(struct mpsd *d, const struct mps_event *ev)
{
	struct mpsd_conn *c = conn_find(d, ev->token);

	if (!c) {
		c = conn_new(d, ev->token);
		if (!c) {
			log_err("out of memory for token 0x%08x", ev->token);
			return NULL;
		}
		c->state = CONN_CREATED;
		c->created_ms = now_ms();
	}
	if (ev->has & MPS_EVH_SADDR) {
		c->local0 = ev->saddr;
		c->family = ev->saddr.family;
	}
	if (ev->has & MPS_EVH_DADDR)
		c->remote0 = ev->daddr;
	if (ev->has & MPS_EVH_FLAGS) {
		c->server_side = ev->flags & MPS_EV_FLAG_SERVER_SIDE;
		c->deny_join_id0 = ev->flags & MPS_EV_FLAG_DENY_JOIN_ID0;
	}
	if (ev->has & MPS_EVH_IF_IDX && ev->ifindex > 0)
		c->ifindex0 = ev->ifindex;
	else if (!c->ifindex0 && (ev->has & MPS_EVH_DADDR))
		c->ifindex0 = links_oif(d, &c->local0, &c->remote0);
	return c;
}

static int sf_ifindex(struct mpsd *d, const struct mps_event *ev)
{
	if (ev->has & MPS_EVH_IF_IDX && ev->ifindex > 0)
		return ev->ifindex;
	return links_oif(d, &ev->saddr, &ev->daddr);
}

/* The subflow of an event: exact ports, else one we created (no local port yet). */
static struct mpsd_sf *event_sf(struct mpsd_conn *c, const struct mps_event *ev)
{
	struct mpsd_sf *sf = conn_sf_find(c, &ev->saddr, &ev->daddr);

	if (sf && sf->local.port && sf->local.port != ev->saddr.port)
		sf = NULL;
	if (sf)
		return sf;
	for (size_t i = 0; i < c->n_sf; i++)
		if (c->sf[i].state == SF_PENDING && !c->sf[i].local.port &&
		    mps_addr_same_ip(&c->sf[i].local, &ev->saddr) &&
		    mps_addr_same_ip(&c->sf[i].remote, &ev->daddr))
			return &c->sf[i];
	return NULL;
}

static void on_established(struct mpsd *d, const struct mps_event *ev)
{
	struct mpsd_conn *c = conn_from_event(d, ev);
	struct mpsd_sf *sf;

	if (!c)
		return;
	c->state = CONN_ESTABLISHED;
	conn_local_id_note(c, &c->local0, 0);
	if (!conn_sf_find(c, &c->local0, &c->remote0)) {
		sf = conn_sf_add(c);
		if (sf) {
			sf->state = SF_ESTABLISHED;
			sf->local = c->local0;
			sf->remote = c->remote0;
			sf->ifindex = c->ifindex0;
			sf->since_ms = now_ms();
		}
	}
	conn_mark_dirty(d, c);
}

static void on_announced(struct mpsd *d, struct mpsd_conn *c, const struct mps_event *ev)
{
	size_t max = sizeof(c->remotes) / sizeof(c->remotes[0]);

	for (size_t i = 0; i < c->n_remotes; i++) {
		if (c->remote_ids[i] == ev->rem_id) {
			c->remotes[i] = ev->daddr;
			return conn_mark_dirty(d, c);
		}
	}
	if (c->n_remotes == max)
		return;
	c->remotes[c->n_remotes] = ev->daddr;
	c->remote_ids[c->n_remotes++] = ev->rem_id;
	conn_mark_dirty(d, c);
}

static void on_removed(struct mpsd *d, struct mpsd_conn *c, const struct mps_event *ev)
{
	for (size_t i = 0; i < c->n_remotes; i++) {
		if (c->remote_ids[i] != ev->rem_id)
			continue;
		c->remotes[i] = c->remotes[c->n_remotes - 1];
		c->remote_ids[i] = c->remote_ids[c->n_remotes - 1];
		c->n_remotes--;
		return;
	}
}

static void on_sub_established(struct mpsd *d, struct mpsd_conn *c, const struct mps_event *ev)
{
	struct mpsd_sf *sf = event_sf(c, ev);

	if (!sf) {
		sf = conn_sf_add(c); /* a join by the peer */
		if (!sf)
			return;
	}
	sf->state = SF_ESTABLISHED;
	sf->local = ev->saddr;
	sf->remote = ev->daddr;
	sf->loc_id = ev->loc_id;
	sf->rem_id = ev->rem_id;
	sf->ifindex = sf_ifindex(d, ev);
	sf->since_ms = now_ms();
	conn_local_id_note(c, &ev->saddr, ev->loc_id);
	/* The override or static rules cover new subflows too. */
	conn_mark_dirty(d, c);
}

static void on_sub_closed(struct mpsd *d, struct mpsd_conn *c, const struct mps_event *ev)
{
	char l[MPS_ADDRSTRLEN], r[MPS_ADDRSTRLEN];
	struct mpsd_sf *sf = event_sf(c, ev);
	bool lived, pending;
	struct mps_addr local, remote;

	/* Not ours to track any more: closed by us on link loss, or unknown. */
	if (!sf)
		return;
	pending = sf->state == SF_PENDING;
	lived = !pending && now_ms() - sf->since_ms >= MPSD_STABLE_S * 1000ull;
	local = sf->local;
	remote = sf->remote;
	local.port = 0;
	conn_sf_del(c, sf);
	log_debug("token 0x%08x: subflow %s -> %s closed (error %u%s)", c->token,
		  mps_addr_format(&ev->saddr, l, sizeof(l)),
		  mps_addr_format(&ev->daddr, r, sizeof(r)),
		  ev->error, pending ? ", handshake failed" : "");
	if (pending || ev->error) {
		d->stats.subflows_failed++;
		c->subflows_failed++;
	}
	if (c->state != CONN_ESTABLISHED)
		return;
	/* Re-created by the next update after a backoff; the policy decides whether. */
	pm_note_failure(d, c, &local, &remote, lived);
}

static void on_sub_priority(struct mpsd *d, struct mpsd_conn *c, const struct mps_event *ev)
{
	struct mpsd_sf *sf = event_sf(c, ev);

	if (sf)
		sf->backup_peer = ev->backup;
}

static int on_event(const struct mps_event *raw, void *data)
{
	struct mpsd *d = data;
	struct mps_event unmapped = *raw, *ev = &unmapped;
	struct mpsd_conn *c;

	d->stats.events++;
	if (!(ev->has & MPS_EVH_TOKEN))
		return 0;
	/* A dual-stack listener's IPv4 clients come as ::ffff:a.b.c.d: the
	 * daemon thinks (and commands the kernel) in plain IPv4, like diag. */
	mps_addr_unmap(&unmapped.saddr);
	mps_addr_unmap(&unmapped.daddr);
	switch (ev->type) {
	case MPS_EV_CREATED:
		conn_from_event(d, ev);
		return 0;
	case MPS_EV_ESTABLISHED:
		d->stats.conns_established++;
		on_established(d, ev);
		return 0;
	case MPS_EV_CLOSED:
		d->stats.conns_closed++;
		conn_free(d, conn_find(d, ev->token)); /* also leaves the update list */
		return 0;
	default:
		break;
	}
	c = conn_find(d, ev->token);
	if (!c)
		return 0; /* unknown connection: reconciliation adopts it */
	switch (ev->type) {
	case MPS_EV_ANNOUNCED:
		on_announced(d, c, ev);
		break;
	case MPS_EV_REMOVED:
		on_removed(d, c, ev);
		break;
	case MPS_EV_SUB_ESTABLISHED:
		on_sub_established(d, c, ev);
		break;
	case MPS_EV_SUB_CLOSED:
		on_sub_closed(d, c, ev);
		break;
	case MPS_EV_SUB_PRIORITY:
		on_sub_priority(d, c, ev);
		break;
	default:
		break;
	}
	return 0;
}

/* After an overflow the dump is the only way to learn the lost events: a failed one is tried
 * again at once, backing off from 50 ms to 5 s, not at the next reconcile_interval. */
#define RESYNC_RETRY_MS 50
#define RESYNC_RETRY_MAX_MS 5000

static void resync(struct mpsd *d);

static void resync_cb(struct mpsd *d, void *data)
{
	resync(d);
}

static void resync(struct mpsd *d)
{
	unsigned n = d->events.resync_failures;
	uint64_t ms = (uint64_t)RESYNC_RETRY_MS << (n < 7 ? n : 7);
	int err = events_reconcile(d);

	if (!err) {
		if (n)
			log_info("resync done after %u failed dumps", n);
		d->events.resync_failures = 0;
		timer_cancel(d, &d->events.resync_timer);
		return;
	}
	if (ms > RESYNC_RETRY_MAX_MS)
		ms = RESYNC_RETRY_MAX_MS;
	d->events.resync_failures++;
	log_warn("resync: sock_diag dump failed (%s), trying again in %llu ms", strerror(-err),
		 (unsigned long long)ms);
	timer_arm(d, &d->events.resync_timer, ms, resync_cb, NULL);
}

static void on_readable(struct mpsd *d, int fd, uint32_t events, void *data)
{
	/* Bounded per wakeup so that the control socket and timers stay served. */
	for (int i = 0; i < 16; i++) {
		int err = mps_pm_recv_events(d->events.sock, on_event, d);

		if (err == -EAGAIN)
			break;
		if (err == -ENOBUFS) {
			log_warn("event socket overflowed: events lost, resyncing with sock_diag");
			d->stats.resyncs++;
			resync(d);
			return;
		}
		if (err) {
			log_warn("reading events: %s", strerror(-err));
			break;
		}
	}
	flush_dirty(d);
}

int events_init(struct mpsd *d)
{
	int err = mps_pm_new(&d->events.sock), fd, fl;

	if (err)
		return err;
	err = mps_pm_subscribe(d->events.sock);
	if (err)
		return err;
	fd = mps_pm_fd(d->events.sock);
	events_set_buffer(d, d->cfg.event_buffer);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return loop_add(d, fd, EPOLLIN, on_readable, NULL);
}

void events_fini(struct mpsd *d)
{
	timer_cancel(d, &d->events.resync_timer);
	if (d->events.sock)
		loop_del(d, mps_pm_fd(d->events.sock));
	mps_pm_free(d->events.sock);
	d->events.sock = NULL;
}

/* ---- reconciliation ---- */

struct recon {
	uint64_t start_ms;
	uint16_t *listen_ports; /* local ports with an MPTCP listener: server-side hint */
	size_t n_listen;
	bool listeners_loaded;
};

static int listener_cb(const struct mps_conn *lc, void *data)
{
	struct recon *x = data;
	uint16_t *p;

	if (lc->state != TCP_LISTEN)
		return 0;
	p = realloc(x->listen_ports, (x->n_listen + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	x->listen_ports = p;
	p[x->n_listen++] = lc->local.port;
	return 0;
}

static bool is_server_side(struct recon *x, const struct mps_conn *k)
{
	if (!x->listeners_loaded) {
		x->listeners_loaded = true;
		mps_diag_conns(true, listener_cb, x);
	}
	for (size_t i = 0; i < x->n_listen; i++)
		if (x->listen_ports[i] == k->local.port)
			return true;
	return false;
}

static void sync_subflows(struct mpsd *d, struct mpsd_conn *c, const struct mps_conn *k)
{
	/* Established records the kernel no longer has: their SUB_CLOSED was lost. */
	for (size_t i = c->n_sf; i-- > 0;) {
		bool found = false;

		if (c->sf[i].state != SF_ESTABLISHED)
			continue;
		for (size_t j = 0; j < k->n_subflows && !found; j++)
			found = mps_addr_equal(&c->sf[i].local, &k->subflows[j].local) &&
				mps_addr_equal(&c->sf[i].remote, &k->subflows[j].remote);
		if (!found)
			conn_sf_del(c, &c->sf[i]);
	}
	for (size_t j = 0; j < k->n_subflows; j++) {
		const struct mps_subflow *ks = &k->subflows[j];
		struct mpsd_sf *sf = conn_sf_find(c, &ks->local, &ks->remote);

		if (ks->state != TCP_ESTABLISHED)
			continue;
		if (!sf || (sf->local.port && sf->local.port != ks->local.port))
			sf = conn_sf_add(c);
		if (!sf)
			return;
		if (sf->state != SF_ESTABLISHED || !sf->local.port)
			sf->since_ms = now_ms();
		/* A known subflow keeps its interface (the bound one, from its events). */
		if (!sf->ifindex)
			sf->ifindex = links_oif(d, &ks->local, &ks->remote);
		sf->state = SF_ESTABLISHED;
		sf->local = ks->local;
		sf->remote = ks->remote;
		sf->loc_id = ks->loc_id;
		sf->rem_id = ks->rem_id;
		sf->backup_local = ks->backup_local;
		sf->backup_peer = ks->backup_peer;
		conn_local_id_note(c, &ks->local, ks->loc_id);
	}
}

static void adopt(struct mpsd *d, struct recon *x, const struct mps_conn *k)
{
	char l[MPS_ADDRSTRLEN], r[MPS_ADDRSTRLEN];
	struct mpsd_conn *c = conn_new(d, k->token);

	if (!c)
		return;
	c->state = CONN_ESTABLISHED;
	c->created_ms = now_ms();
	c->local0 = k->local;
	c->remote0 = k->remote;
	c->family = k->local.family;
	c->ifindex0 = links_oif(d, &k->local, &k->remote);
	c->server_side = is_server_side(x, k);
	conn_local_id_note(c, &c->local0, 0);
	d->stats.adopted++;
	pm_probe_managed(d, c);
	log_msg(d->stats.reconciles > 1 ? MPSD_LOG_DEBUG : MPSD_LOG_INFO,
		"token 0x%08x: adopted %s -> %s (%s side, %zu subflows%s)", k->token,
		mps_addr_format(&k->local, l, sizeof(l)), mps_addr_format(&k->remote, r, sizeof(r)),
		c->server_side ? "server" : "client", k->n_subflows,
		c->unmanaged ? ", in-kernel path manager: not managed" : "");
}

static void reap_one(struct mpsd *d, struct mpsd_conn *c, void *data)
{
	const struct recon *x = data;

	/* Created after the dump started: its absence proves nothing. */
	if (c->seen_gen == d->events.generation || c->created_ms >= x->start_ms)
		return;
	log_debug("token 0x%08x: gone from sock_diag, freed (CLOSED event missed)", c->token);
	d->stats.reaped++;
	conn_free(d, c);
}

/* Reads every queued event first: a connection whose CREATED event merely
 * waits in the queue is not "missing" and must not be adopted. */
static void drain(struct mpsd *d)
{
	for (int i = 0; i < 4096; i++) {
		int err = mps_pm_recv_events(d->events.sock, on_event, d);

		if (err == -ENOBUFS) {
			d->stats.resyncs++; /* this reconciliation is the answer */
			continue;
		}
		if (err)
			break;
	}
	flush_dirty(d);
}

int events_reconcile(struct mpsd *d)
{
	struct recon x = { .start_ms = now_ms() };
	uint64_t adopted0, reaped0;
	struct mps_snapshot *snap;
	int err;

	if (d->events.sock)
		drain(d);
	x.start_ms = now_ms();
	err = mps_snapshot_new(0, &snap);
	if (err) {
		log_warn("reconciliation: sock_diag dump failed: %s", strerror(-err));
		return err;
	}
	/* Events of the dump's duration: connections closed meanwhile are freed by
	 * their CLOSED event, not reaped below as if it had been lost. */
	if (d->events.sock)
		drain(d);
	d->events.generation++;
	d->stats.reconciles++;
	adopted0 = d->stats.adopted;
	reaped0 = d->stats.reaped;
	for (size_t i = 0; i < snap->n_conns; i++) {
		const struct mps_conn *k = &snap->conns[i];
		struct mpsd_conn *c;

		/* No token yet (SYN sent) or no peer: nothing to manage (yet). */
		if (k->state == TCP_LISTEN || k->state == TCP_CLOSE || k->fallback || !k->token ||
		    !k->remote.port)
			continue;
		c = conn_find(d, k->token);
		if (!c) {
			adopt(d, &x, k);
			c = conn_find(d, k->token);
			if (!c)
				continue;
		}
		c->seen_gen = d->events.generation;
		if (k->state == TCP_ESTABLISHED && c->state == CONN_CREATED)
			c->state = CONN_ESTABLISHED;
		sync_subflows(d, c, k);
		if (pm_conn_refresh(d, c)) /* false: freed */
			steer_conn_seen(d, c);
	}
	conn_foreach(d, reap_one, &x);
	if (d->stats.adopted != adopted0 || d->stats.reaped != reaped0)
		log_info("reconciliation: %llu connections adopted, %llu freed (CLOSED missed)",
			 (unsigned long long)(d->stats.adopted - adopted0),
			 (unsigned long long)(d->stats.reaped - reaped0));
	mps_snapshot_free(snap);
	free(x.listen_ports);
	/* Give memory of a past burst back to the system. */
	malloc_trim(0);
	return 0;
}
