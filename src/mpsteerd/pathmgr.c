/* SPDX-License-Identifier: MIT */
/*
 * Acting on connections: create the subflows the policy wants (with backoff),
 * announce server addresses, keep priorities (static rules or an override),
 * close or demote subflows of a dead interface, and reconcile with sock_diag.
 */
#include <errno.h>
#include <malloc.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mpsteerd.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif


#define MAX_PLAN 64
#define PENDING_TIMEOUT_MS 30000 /* a created subflow with no event after this is forgotten */

static const char *fmt(const struct mps_addr *a, char *buf)
{
	return mps_addr_format(a, buf, MPS_ADDRSTRLEN);
}

/* The connection closed and its CLOSED event is still queued (or was lost). */
static bool token_gone(struct mpsd *d, struct mpsd_conn *c, int err)
{
	if (err != -EINVAL || !strstr(mps_pm_errmsg(d->pm_cmd), "invalid token"))
		return false;
	c->gone = true;
	return true;
}

/* The kernel refuses userspace-PM commands on a connection of the in-kernel PM. */
static bool not_userspace(struct mpsd *d, int err)
{
	return err == -EINVAL && strstr(mps_pm_errmsg(d->pm_cmd), "userspace PM not selected");
}

static void mark_unmanaged(struct mpsd *d, struct mpsd_conn *c)
{
	if (!c->unmanaged)
		log_info("token 0x%08x: not on the userspace path manager, left alone", c->token);
	c->unmanaged = true;
}

static int noop_addr_cb(const struct mps_pm_addr *a, void *data)
{
	return 0;
}

void pm_probe_managed(struct mpsd *d, struct mpsd_conn *c)
{
	int err = mps_pm_get_addrs(d->pm_cmd, c->token, noop_addr_cb, NULL);

	if (err && not_userspace(d, err))
		mark_unmanaged(d, c);
	else if (err)
		token_gone(d, c, err);
}

static void sf_as_diag(struct mpsd *d, const struct mpsd_sf *sf, struct mps_subflow *out)
{
	const struct mpsd_iface *f = links_iface(d, sf->ifindex);

	memset(out, 0, sizeof(*out));
	out->local = sf->local;
	out->remote = sf->remote;
	out->ifindex = sf->ifindex;
	if (f)
		memcpy(out->ifname, f->link.name, sizeof(out->ifname));
	out->loc_id = sf->loc_id;
	out->rem_id = sf->rem_id;
	out->backup_local = sf->backup_local;
	out->backup_peer = sf->backup_peer;
}

static bool static_backup(struct mpsd *d, int ifindex, const struct mps_addr *local,
			  const struct mps_addr *remote)
{
	const struct mpsd_iface *f = links_iface(d, ifindex);
	const char *name = f ? f->link.name : NULL;

	return mpsd_matchlist_hit(&d->cfg.backup, name, local) ||
	       mpsd_matchlist_hit(&d->cfg.backup, NULL, remote);
}

/* The policy's primary is still there (else static rules apply until it chooses again). */
static bool steer_primary_present(const struct mpsd_conn *c)
{
	for (size_t i = 0; i < c->n_sf; i++)
		if (c->sf[i].state == SF_ESTABLISHED &&
		    mps_addr_equal(&c->sf[i].local, &c->steer.pri_local) &&
		    mps_addr_equal(&c->sf[i].remote, &c->steer.pri_remote))
			return true;
	return false;
}

bool pm_want_backup(struct mpsd *d, const struct mpsd_conn *c, const struct mpsd_sf *sf)
{
	const struct mpsd_iface *f = links_iface(d, sf->ifindex);
	struct mps_subflow ds;

	/* A subflow kept on a dead interface (on_down = backup) stays demoted. */
	if (f && !f->usable)
		return true;
	if (c->has_override) {
		sf_as_diag(d, sf, &ds);
		return !mps_path_match(&c->override_path, &ds);
	}
	if (c->steer.has_primary && steer_primary_present(c))
		return !(mps_addr_equal(&sf->local, &c->steer.pri_local) &&
			 mps_addr_equal(&sf->remote, &c->steer.pri_remote));
	return static_backup(d, sf->ifindex, &sf->local, &sf->remote);
}

static int set_backup(struct mpsd *d, struct mpsd_conn *c, struct mpsd_sf *sf, bool backup)
{
	char l[MPS_ADDRSTRLEN], r[MPS_ADDRSTRLEN];
	int err = mps_pm_set_backup(d->pm_cmd, c->token, &sf->local, &sf->remote, backup);

	if (err) {
		if (not_userspace(d, err))
			mark_unmanaged(d, c);
		else if (!token_gone(d, c, err))
			log_warn("token 0x%08x: backup %s on %s -> %s: %s%s%s", c->token,
				 backup ? "on" : "off", fmt(&sf->local, l), fmt(&sf->remote, r),
				 strerror(-err), *mps_pm_errmsg(d->pm_cmd) ? ": " : "",
				 mps_pm_errmsg(d->pm_cmd));
		return err;
	}
	log_debug("token 0x%08x: subflow %s -> %s backup %d -> %d", c->token, fmt(&sf->local, l),
		  fmt(&sf->remote, r), sf->backup_local, backup);
	sf->backup_local = backup;
	return 0;
}

void pm_apply_priorities(struct mpsd *d, struct mpsd_conn *c)
{
	if (c->unmanaged || c->gone)
		return;
	for (size_t i = 0; i < c->n_sf; i++) {
		struct mpsd_sf *sf = &c->sf[i];
		bool want;

		if (sf->state != SF_ESTABLISHED || !sf->local.port || !sf->remote.port)
			continue;
		want = pm_want_backup(d, c, sf);
		if (want != sf->backup_local && set_backup(d, c, sf, want) == -EINVAL &&
		    (c->unmanaged || c->gone))
			return;
	}
}

static uint64_t backoff_ms(const struct mpsd_config *cfg, unsigned failures)
{
	uint64_t ms = cfg->retry_base_ms;

	for (unsigned i = 1; i < failures && ms < cfg->retry_max_ms; i++)
		ms *= 2;
	return ms > cfg->retry_max_ms ? cfg->retry_max_ms : ms;
}

static void conn_timer_cb(struct mpsd *d, void *data)
{
	pm_conn_refresh(d, data);
}

/* Wakes the connection up at `at` (the earliest of its pending deadlines). */
static void conn_wake_at(struct mpsd *d, struct mpsd_conn *c, uint64_t at)
{
	uint64_t now = now_ms();

	if (c->timer.due_ms && c->timer.due_ms <= at)
		return;
	timer_arm(d, &c->timer, at > now ? at - now : 0, conn_timer_cb, c);
}

void pm_note_failure(struct mpsd *d, struct mpsd_conn *c, const struct mps_addr *local,
		     const struct mps_addr *remote, bool long_lived)
{
	struct mpsd_retry *r = conn_retry(c, local, remote, true);

	r->failures = long_lived ? 1 : r->failures + 1;
	r->not_before_ms = now_ms() + backoff_ms(&d->cfg, r->failures);
	if (d->cfg.retry_limit && r->failures > d->cfg.retry_limit) {
		char l[MPS_ADDRSTRLEN], rr[MPS_ADDRSTRLEN];

		log_info("token 0x%08x: giving up on %s -> %s after %u failures (until links "
			 "change)", c->token, fmt(local, l), fmt(remote, rr), r->failures);
		return;
	}
	conn_wake_at(d, c, r->not_before_ms);
}

/* false when backoff holds the path back (the connection's timer is armed). */
static bool path_allowed(struct mpsd *d, struct mpsd_conn *c, const struct mpsd_pair *p,
			 bool *retry)
{
	struct mpsd_retry *r = conn_retry(c, &p->local, &p->remote, false);

	*retry = r && r->failures;
	if (!r || !r->failures)
		return true;
	if (d->cfg.retry_limit && r->failures > d->cfg.retry_limit)
		return false;
	if (r->not_before_ms > now_ms()) {
		conn_wake_at(d, c, r->not_before_ms);
		return false;
	}
	return true;
}

static void create_subflow(struct mpsd *d, struct mpsd_conn *c, const struct mpsd_pair *p)
{
	char l[MPS_ADDRSTRLEN], r[MPS_ADDRSTRLEN];
	struct mps_pm_addr la = { .addr = p->local, .ifindex = p->ifindex };
	struct mpsd_sf tmp = { .local = p->local, .remote = p->remote, .ifindex = p->ifindex };
	struct mpsd_sf *sf;
	bool retry;
	int id, err;

	if (!path_allowed(d, c, p, &retry))
		return;
	id = conn_local_id(c, &p->local);
	if (id < 0)
		return;
	la.id = (uint8_t)id;
	la.has = MPS_PM_HAS_ID;
	/* Asked in the MP_JOIN itself: the subflow never carries traffic it should not. */
	if (pm_want_backup(d, c, &tmp))
		la.flags |= MPS_PM_FLAG_BACKUP;
	err = mps_pm_subflow_create(d->pm_cmd, c->token, &la, &p->remote);
	if (err) {
		if (not_userspace(d, err))
			return mark_unmanaged(d, c);
		if (token_gone(d, c, err))
			return;
		/* ENOTCONN: not fully established yet (no data exchanged): retried. */
		log_msg(err == -ENOTCONN ? MPSD_LOG_DEBUG : MPSD_LOG_INFO,
			"token 0x%08x: subflow %s -> %s: %s%s%s", c->token, fmt(&p->local, l),
			 fmt(&p->remote, r), strerror(-err), *mps_pm_errmsg(d->pm_cmd) ? ": " : "",
			 mps_pm_errmsg(d->pm_cmd));
		d->stats.subflows_failed++;
		c->subflows_failed++;
		pm_note_failure(d, c, &p->local, &p->remote, false);
		return;
	}
	log_debug("token 0x%08x: subflow %s -> %s (id %d%s) requested", c->token,
		  fmt(&p->local, l), fmt(&p->remote, r), id,
		  la.flags & MPS_PM_FLAG_BACKUP ? ", backup" : "");
	d->stats.subflows_created++;
	c->subflows_created++;
	if (retry) {
		d->stats.subflows_retried++;
		c->subflows_retried++;
	}
	sf = conn_sf_add(c);
	if (!sf)
		return;
	*sf = tmp;
	sf->state = SF_PENDING;
	sf->local.port = 0;
	sf->loc_id = (uint8_t)id;
	sf->backup_local = la.flags & MPS_PM_FLAG_BACKUP;
	sf->ours = true;
	sf->since_ms = now_ms();
}

static void announce_one(struct mpsd *d, struct mpsd_conn *c, const struct mps_addr *a);

/* Server side: announce the configured addresses once each. */
static void announce_all(struct mpsd *d, struct mpsd_conn *c)
{
	struct mpsd_local locals[64];
	size_t n;

	for (size_t i = 0; i < d->cfg.n_announce; i++) {
		const struct mpsd_announce *an = &d->cfg.announce[i];

		if (!an->is_iface) {
			if (an->addr.family == c->family)
				announce_one(d, c, &an->addr);
			continue;
		}
		n = links_locals(d, c->family, locals, 64);
		for (size_t k = 0; k < n; k++)
			if (!strcmp(locals[k].ifname, an->ifname))
				announce_one(d, c, &locals[k].addr);
	}
}

static void announce_one(struct mpsd *d, struct mpsd_conn *c, const struct mps_addr *a)
{
	char buf[MPS_ADDRSTRLEN];
	struct mps_pm_addr pa = { .addr = *a, .flags = MPS_PM_FLAG_SIGNAL, .has = MPS_PM_HAS_ID };
	int id, err;

	if (mps_addr_same_ip(a, &c->local0) && (!a->port || a->port == c->local0.port))
		return;
	id = conn_local_id(c, a);
	if (id <= 0)
		return;
	for (size_t i = 0; i < c->n_lids; i++)
		if (c->lids[i].id == id && c->lids[i].announced)
			return;
	pa.id = (uint8_t)id;
	if (a->port && a->port != c->local0.port)
		pm_listener_ensure(d, a);
	err = mps_pm_announce(d->pm_cmd, c->token, &pa);
	if (err) {
		if (not_userspace(d, err))
			return mark_unmanaged(d, c);
		if (token_gone(d, c, err))
			return;
		log_info("token 0x%08x: announce %s: %s%s%s", c->token, fmt(a, buf), strerror(-err),
			 *mps_pm_errmsg(d->pm_cmd) ? ": " : "", mps_pm_errmsg(d->pm_cmd));
		return;
	}
	for (size_t i = 0; i < c->n_lids; i++)
		if (c->lids[i].id == id)
			c->lids[i].announced = true;
	d->stats.announced++;
	log_debug("token 0x%08x: announced %s id %d", c->token, fmt(a, buf), id);
}

/* Drops pending subflows that never got an event (lost in an overflow). */
static void expire_pending(struct mpsd *d, struct mpsd_conn *c)
{
	uint64_t now = now_ms();

	for (size_t i = c->n_sf; i-- > 0;)
		if (c->sf[i].state == SF_PENDING && now - c->sf[i].since_ms > PENDING_TIMEOUT_MS)
			conn_sf_del(c, &c->sf[i]);
}

void pm_conn_update(struct mpsd *d, struct mpsd_conn *c)
{
	struct mpsd_local locals[64];
	struct mpsd_pair existing[MAX_PLAN], plan[MAX_PLAN];
	struct mpsd_plan_in in = { 0 };
	size_t n;

	if (c->unmanaged || c->gone || c->state != CONN_ESTABLISHED)
		return;
	if (c->server_side && d->cfg.n_announce)
		announce_all(d, c);
	expire_pending(d, c);
	in.policy = c->server_side ? d->cfg.server : d->cfg.client;
	if (in.policy.kind == MPSD_POL_NONE)
		return;
	in.server_side = c->server_side;
	in.deny_join_id0 = c->deny_join_id0;
	in.max_subflows = d->cfg.max_subflows;
	in.local0 = c->local0;
	in.remote0 = c->remote0;
	in.ifindex0 = c->ifindex0;
	in.n_remotes = c->n_remotes;
	in.remotes = c->remotes;
	for (n = 0; n < c->n_sf && n < MAX_PLAN; n++)
		existing[n] = (struct mpsd_pair){ .ifindex = c->sf[n].ifindex,
						  .local = c->sf[n].local,
						  .remote = c->sf[n].remote };
	in.n_existing = n;
	in.existing = existing;
	in.n_locals = links_locals(d, c->remote0.family, locals, 64);
	in.locals = locals;
	n = mpsd_plan(&in, plan, MAX_PLAN);
	for (size_t i = 0; i < n && !c->unmanaged && !c->gone; i++)
		create_subflow(d, c, &plan[i]);
}

bool pm_conn_refresh(struct mpsd *d, struct mpsd_conn *c)
{
	pm_conn_update(d, c);
	if (!c->gone)
		pm_apply_priorities(d, c);
	if (c->gone) {
		log_debug("token 0x%08x: gone (closed before its update)", c->token);
		d->stats.vanished++;
		conn_free(d, c);
		return false;
	}
	return true;
}

static void update_one(struct mpsd *d, struct mpsd_conn *c, void *data)
{
	pm_conn_refresh(d, c);
}

void pm_update_all(struct mpsd *d)
{
	conn_foreach(d, update_one, NULL);
}

struct iface_ctx {
	int ifindex;
	const struct mps_addr *addr;
};

static bool sf_on(const struct mpsd_sf *sf, const struct iface_ctx *x)
{
	if (x->addr)
		return mps_addr_same_ip(&sf->local, x->addr);
	return sf->ifindex == x->ifindex;
}

static void withdraw_announce(struct mpsd *d, struct mpsd_conn *c, const struct mps_addr *a)
{
	for (size_t i = 0; i < c->n_lids; i++) {
		if (!c->lids[i].announced || !mps_addr_same_ip(&c->lids[i].addr, a))
			continue;
		if (mps_pm_remove(d->pm_cmd, c->token, c->lids[i].id) == 0)
			log_debug("token 0x%08x: removed announced id %u", c->token, c->lids[i].id);
		c->lids[i].announced = false;
	}
}

void pm_subflow_close(struct mpsd *d, struct mpsd_conn *c, struct mpsd_sf *sf, const char *why)
{
	char l[MPS_ADDRSTRLEN], r[MPS_ADDRSTRLEN];

	/* Closing at once: the scheduler reinjects its data on the other subflows now, instead
	 * of after the retransmission timeouts of a dead path. */
	if (mps_pm_subflow_destroy(d->pm_cmd, c->token, &sf->local, &sf->remote) == 0)
		log_info("token 0x%08x: closed subflow %s -> %s (%s)", c->token, fmt(&sf->local, l),
			 fmt(&sf->remote, r), why);
	conn_sf_del(c, sf);
}

void pm_subflow_tell_gone(struct mpsd *d, struct mpsd_conn *c, const struct mpsd_sf *sf)
{
	for (size_t i = 0; i < c->n_sf; i++)
		if (&c->sf[i] != sf && c->sf[i].state == SF_ESTABLISHED &&
		    c->sf[i].loc_id == sf->loc_id)
			return; /* the address still carries another subflow */
	if (mps_pm_remove(d->pm_cmd, c->token, sf->loc_id) == 0)
		log_debug("token 0x%08x: told the peer that address id %u is gone", c->token,
			  sf->loc_id);
}

static void iface_down_one(struct mpsd *d, struct mpsd_conn *c, void *data)
{
	const struct iface_ctx *x = data;

	if (c->unmanaged)
		return;
	if (x->addr)
		withdraw_announce(d, c, x->addr);
	for (size_t i = c->n_sf; i-- > 0;) {
		struct mpsd_sf *sf = &c->sf[i];

		if (!sf_on(sf, x))
			continue;
		if (sf->state == SF_PENDING) {
			conn_sf_del(c, sf);
			continue;
		}
		if (d->cfg.link_down == MPSD_LD_BACKUP && !x->addr) {
			if (!sf->backup_local && set_backup(d, c, sf, true) == 0)
				d->stats.demoted++;
			continue;
		}
		pm_subflow_close(d, c, sf, x->addr ? "address removed" : "interface down");
		d->stats.subflows_closed_link++;
	}
	/* Traffic must not wait for an MP_PRIO of the dead path: promote the others now. */
	pm_apply_priorities(d, c);
}

void pm_iface_down(struct mpsd *d, int ifindex, const struct mps_addr *addr)
{
	struct iface_ctx x = { .ifindex = ifindex, .addr = addr };

	conn_foreach(d, iface_down_one, &x);
}

static void iface_up_one(struct mpsd *d, struct mpsd_conn *c, void *data)
{
	int ifindex = *(int *)data;

	for (size_t i = 0; i < c->n_retry; i++)
		if (links_ifindex_of(d, &c->retry[i].local) == ifindex)
			c->retry[i].failures = 0;
}

void pm_iface_up(struct mpsd *d, int ifindex)
{
	conn_foreach(d, iface_up_one, &ifindex);
}

int pm_override_set(struct mpsd *d, uint32_t token, const char *via, char *err, size_t errlen)
{
	struct mpsd_conn *c;
	int ret = conn_override_set(d, token, via, links_ifcache(d), &c, err, errlen);

	if (ret)
		return ret;
	d->stats.overrides++;
	log_info("token 0x%08x: override primary via %s", token, via);
	pm_apply_priorities(d, c);
	return 0;
}

int pm_override_clear(struct mpsd *d, uint32_t token, char *err, size_t errlen)
{
	struct mpsd_conn *c;
	int ret = conn_override_clear(d, token, &c, err, errlen);

	if (ret)
		return ret;
	log_info("token 0x%08x: override cleared", token);
	pm_apply_priorities(d, c);
	return 0;
}

/* ---- MPTCP listeners for announced ports nobody listens on ---- */

/*
 * Joins to the announced port attach to their connection inside the kernel
 * and never reach accept(); anything that does is a new connection nobody
 * serves here. Refuse it at once (RST) instead of leaving it in the queue.
 */
static void listener_refuse(struct mpsd *d, int fd, uint32_t events, void *data)
{
	struct linger rst = { .l_onoff = 1, .l_linger = 0 };
	int c;

	while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		setsockopt(c, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
		close(c);
		log_debug("refused a new connection on a join-only listener");
	}
}

int pm_listener_ensure(struct mpsd *d, const struct mps_addr *a)
{
	struct sockaddr_storage ss;
	char buf[MPS_ADDRSTRLEN];
	socklen_t len;
	int fd;

	for (size_t i = 0; i < d->listeners.n; i++)
		if (mps_addr_equal(&d->listeners.l[i].addr, a))
			return 0;
	if (d->listeners.n == sizeof(d->listeners.l) / sizeof(d->listeners.l[0]))
		return -ENOSPC;
	fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_MPTCP);
	if (fd < 0)
		return -errno;
	len = mps_addr_to_sockaddr(a, &ss);
	/* EADDRINUSE: a listener (the application's, or a wildcard one) covers the port. */
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0) {
		int err = -errno;

		close(fd);
		if (err != -EADDRINUSE)
			log_warn("listener %s: %s", fmt(a, buf), strerror(-err));
		return err == -EADDRINUSE ? 0 : err;
	}
	if (loop_add(d, fd, EPOLLIN, listener_refuse, NULL) < 0)
		log_warn("listener %s: new connections will wait unanswered", fmt(a, buf));
	d->listeners.l[d->listeners.n++] = (struct mpsd_listener){ .addr = *a, .fd = fd };
	log_info("listening on %s for joins to the announced address", fmt(a, buf));
	return 0;
}

void pm_listeners_fini(struct mpsd *d)
{
	for (size_t i = 0; i < d->listeners.n; i++) {
		loop_del(d, d->listeners.l[i].fd);
		close(d->listeners.l[i].fd);
	}
	d->listeners.n = 0;
}
