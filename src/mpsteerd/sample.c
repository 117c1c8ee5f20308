/* SPDX-License-Identifier: MIT */
/*
 * Health sampling of steered connections. Which connections carry traffic
 * comes from one MPTCP sock_diag dump on the slow (idle) ticks: a connection
 * whose byte counters moved, or that has data outstanding, is busy. The
 * subflows of busy connections are then looked up one by one, all in one
 * batch of exact requests, every fast tick (tcp_info: srtt, rttvar, min RTT,
 * backoff, retransmissions, unacked, delivery rate, bytes acked and
 * received), folded into each subflow's struct mpsd_health by decide.c. No
 * dump walks the machine's TCP sockets, so thousands of idle connections cost
 * one small record each per slow tick. Interface byte counters come from one
 * rtnetlink dump per tick.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mpsteerd.h"

struct tick_ctx {
	struct mpsd *d;
	uint64_t now;
	bool all;
	size_t n;
};

static bool carrier(struct mpsd *d, int ifindex)
{
	const struct mpsd_iface *f = links_iface(d, ifindex);

	return !f || (f->link.up && f->link.carrier); /* unknown: nothing against it */
}

static void to_sample(const struct mps_subflow *s, uint64_t now, struct mpsd_sample *out)
{
	*out = (struct mpsd_sample){
		.at_ms = now, .srtt_us = s->rtt_us, .rttvar_us = s->rttvar_us,
		.min_rtt_us = s->min_rtt_us, .backoff = s->backoff, .retransmits = s->retransmits,
		.unacked = s->unacked, .lost = s->lost, .total_retrans = s->total_retrans,
		.bytes_acked = s->bytes_acked, .bytes_received = s->bytes_received,
		.delivery_rate = s->delivery_rate,
	};
}

static int on_subflow(const struct mps_subflow *s, void *data)
{
	struct tick_ctx *x = data;
	struct mpsd *d = x->d;
	struct mpsd_conn *c = conn_find(d, s->token_loc);
	struct mpsd_sample smp;
	struct mpsd_sf *sf;

	if (!c || !c->steer.listed || c->steer.kind == MPSD_STEER_NONE)
		return 0;
	if (!x->all && !c->steer.busy)
		return 0;
	sf = conn_sf_find(c, &s->local, &s->remote);
	if (!sf || sf->state != SF_ESTABLISHED || sf->local.port != s->local.port)
		return 0;
	to_sample(s, x->now, &smp);
	mpsd_health_update(&d->cfg.steer.health, &sf->health, carrier(d, sf->ifindex), &smp,
			   x->now);
	sf->sampled = d->sampler.tick;
	x->n++;
	return 0;
}

static int grow(void **a, size_t *cap, size_t n, size_t size)
{
	void *b;

	if (n < *cap)
		return 0;
	b = realloc(*a, (*cap ? *cap * 2 : 64) * size);
	if (!b)
		return -ENOMEM;
	*a = b;
	*cap = *cap ? *cap * 2 : 64;
	return 0;
}

/* Idle tick: a connection whose counters moved, or with data outstanding, is busy. */
static int on_conn(const struct mps_conn *k, void *data)
{
	struct tick_ctx *x = data;
	struct mpsd_sampler *s = &x->d->sampler;
	struct mpsd_conn *c = conn_find(x->d, k->token);
	uint64_t moved;

	if (!c || !c->steer.listed || c->steer.kind == MPSD_STEER_NONE)
		return 0;
	moved = k->bytes_sent + k->bytes_received;
	c->steer.busy = moved != c->steer.bytes_seen || k->bytes_sent > k->bytes_acked ||
			!c->steer.decided_ms;
	c->steer.bytes_seen = moved;
	if (c->steer.busy && !grow((void **)&s->busy, &s->cap_busy, s->n_busy, sizeof(*s->busy)))
		s->busy[s->n_busy++] = c->token;
	return 0;
}

/* The live busy connections of this tick into s->cur. */
static void busy_current(struct mpsd *d)
{
	struct mpsd_sampler *s = &d->sampler;

	s->n_cur = 0;
	for (size_t i = 0; i < s->n_busy; i++) {
		struct mpsd_conn *c = conn_find(d, s->busy[i]);

		if (!c || !c->steer.listed || !c->steer.busy || c->steer.kind == MPSD_STEER_NONE)
			continue;
		if (grow((void **)&s->cur, &s->cap_cur, s->n_cur, sizeof(*s->cur)))
			return;
		s->cur[s->n_cur++] = c;
	}
}

void sample_prune(struct mpsd *d)
{
	struct mpsd_sampler *s = &d->sampler;
	size_t k = 0;

	for (size_t i = 0; i < s->n_cur; i++)
		if (s->cur[i]->steer.busy && !s->cur[i]->gone)
			s->busy[k++] = s->cur[i]->token;
	s->n_busy = k;
	s->n_cur = 0;
}

static void add_id(struct mps_sock_id *id, const struct mpsd_sf *sf, bool mapped)
{
	*id = (struct mps_sock_id){ .family = sf->local.family, .local = sf->local,
				    .remote = sf->remote, .ifindex = sf->ifindex };
	/* A dual-stack socket carries IPv4 subflows v4-mapped. */
	if (mapped || sf->diag_family == AF_INET6)
		id->family = AF_INET6;
}

/* The busy connections' established subflows; second: only v4 ones not found as AF_INET. */
static size_t busy_ids(struct mpsd *d, struct mps_sock_id **out, struct mpsd_sf ***sfs)
{
	size_t n = 0, max = 0;

	for (size_t i = 0; i < d->sampler.n_cur; i++)
		max += d->sampler.cur[i]->n_sf;
	*out = malloc((max + 1) * sizeof(**out));
	*sfs = malloc((max + 1) * sizeof(**sfs));
	if (!*out || !*sfs)
		return 0;
	for (size_t j = 0; j < d->sampler.n_cur; j++) {
		struct mpsd_conn *c = d->sampler.cur[j];

		for (size_t i = 0; i < c->n_sf; i++) {
			struct mpsd_sf *sf = &c->sf[i];

			if (sf->state != SF_ESTABLISHED || !sf->local.port || !sf->remote.port)
				continue;
			add_id(&(*out)[n], sf, false);
			(*sfs)[n++] = sf;
		}
	}
	return n;
}

static int lookup_busy(struct mpsd *d, struct tick_ctx *x)
{
	struct mps_sock_id *ids = NULL;
	struct mpsd_sf **sfs = NULL;
	size_t n = busy_ids(d, &ids, &sfs), k = 0;
	bool *found = calloc(n + 1, sizeof(bool));
	int err = found ? 0 : -ENOMEM;

	if (!err && n)
		err = mps_diag_subflows_lookup(d->sampler.diag, ids, n, found, on_subflow, x);
	/* IPv4 ones not found as AF_INET: a dual-stack socket's, v4-mapped. */
	for (size_t i = 0; !err && i < n; i++) {
		if (found[i] || ids[i].family != AF_INET)
			continue;
		add_id(&ids[k], sfs[i], true);
		sfs[k++] = sfs[i];
	}
	if (!err && k) {
		memset(found, 0, k * sizeof(bool));
		err = mps_diag_subflows_lookup(d->sampler.diag, ids, k, found, on_subflow, x);
		for (size_t i = 0; !err && i < k; i++)
			if (found[i])
				sfs[i]->diag_family = AF_INET6;
	}
	d->sampler.lookups += n + k;
	free(found);
	free(ids);
	free(sfs);
	return err;
}

static struct mpsd_ifstat *ifstat_get(struct mpsd_sampler *s, int ifindex)
{
	struct mpsd_ifstat *f;

	for (size_t i = 0; i < s->n_if; i++)
		if (s->ifs[i].ifindex == ifindex)
			return &s->ifs[i];
	if (s->n_if == s->cap_if) {
		size_t n = s->cap_if ? s->cap_if * 2 : 8;

		f = realloc(s->ifs, n * sizeof(*f));
		if (!f)
			return NULL;
		s->ifs = f;
		s->cap_if = n;
	}
	f = &s->ifs[s->n_if++];
	memset(f, 0, sizeof(*f));
	f->ifindex = ifindex;
	return f;
}

static uint64_t rate_bps(uint64_t now_b, uint64_t then_b, uint64_t ms)
{
	return ms && now_b >= then_b ? (now_b - then_b) * 8000 / ms : 0;
}

static int on_link(const struct mps_link *l, void *data)
{
	struct tick_ctx *x = data;
	struct mpsd_ifstat *f = ifstat_get(&x->d->sampler, l->ifindex);

	if (!f)
		return 0;
	if (f->at_ms && x->now > f->at_ms) {
		f->rx_bps = rate_bps(l->rx_bytes, f->rx_bytes, x->now - f->at_ms);
		f->tx_bps = rate_bps(l->tx_bytes, f->tx_bytes, x->now - f->at_ms);
	}
	f->rx_bytes = l->rx_bytes;
	f->tx_bytes = l->tx_bytes;
	f->at_ms = x->now;
	return 0;
}

const struct mpsd_ifstat *sample_ifstat(const struct mpsd *d, int ifindex)
{
	for (size_t i = 0; i < d->sampler.n_if; i++)
		if (d->sampler.ifs[i].ifindex == ifindex)
			return &d->sampler.ifs[i];
	return NULL;
}

int sample_tick(struct mpsd *d, bool all, uint64_t now)
{
	struct tick_ctx x = { .d = d, .now = now, .all = all };
	int err = 0;

	if (!d->sampler.diag)
		err = mps_diag_sock_new(&d->sampler.diag);
	d->sampler.tick++;
	d->sampler.ticks++;
	d->sampler.idle_ticks += all;
	if (!err && all) {
		d->sampler.n_busy = 0;
		err = mps_diag_conns_on(d->sampler.diag, on_conn, &x);
	}
	busy_current(d);
	if (!err)
		err = lookup_busy(d, &x);
	if (err) {
		d->sampler.errors++;
		log_debug("sampling: sock_diag: %s", strerror(-err));
		mps_diag_sock_free(d->sampler.diag); /* a fresh socket next time */
		d->sampler.diag = NULL;
	}
	d->sampler.subflows += x.n;
	/* Interface counters: rates over at least MPSD_IFSTAT_MS, not every fast tick. */
	if (now - d->sampler.ifstat_ms >= MPSD_IFSTAT_MS) {
		d->sampler.ifstat_ms = now;
		if (mps_rtnl_links(on_link, &x))
			d->sampler.errors++;
	}
	return err;
}

void sample_fini(struct mpsd *d)
{
	mps_diag_sock_free(d->sampler.diag);
	free(d->sampler.ifs);
	free(d->sampler.busy);
	free(d->sampler.cur);
	memset(&d->sampler, 0, sizeof(d->sampler));
}
