/* SPDX-License-Identifier: MIT */
/*
 * Health sampling of steered connections: per tick one sock_diag dump of
 * established TCP subflows (tcp_info: srtt, rttvar, min RTT, backoff,
 * retransmissions, unacked, delivery rate, bytes acked and received), folded
 * into each subflow's struct mpsd_health by decide.c; and one rtnetlink dump
 * of interface byte counters. On ticks where only busy connections are due,
 * the kernel filters the dump down to their subflows (port pairs), so idle
 * connections cost nothing between their own, slower, ticks.
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

/* The port pairs of the busy connections' subflows; NULL (dump all) when too many. */
static struct mps_port_pair *busy_pairs(struct mpsd *d, size_t *n)
{
	struct mps_port_pair *p;
	size_t k = 0, max = 0;

	for (struct mpsd_conn *c = d->conns.steered; c; c = c->steer.snext)
		if (c->steer.busy)
			max += c->n_sf;
	*n = 0;
	if (max > MPS_DIAG_MAX_PAIRS || !(p = malloc((max + 1) * sizeof(*p))))
		return NULL;
	for (struct mpsd_conn *c = d->conns.steered; c; c = c->steer.snext) {
		if (!c->steer.busy)
			continue;
		for (size_t i = 0; i < c->n_sf; i++)
			if (c->sf[i].state == SF_ESTABLISHED && c->sf[i].local.port)
				p[k++] = (struct mps_port_pair){ c->sf[i].local.port,
								 c->sf[i].remote.port };
	}
	*n = k;
	return p;
}

static int dump_subflows(struct mpsd *d, struct tick_ctx *x)
{
	struct mps_port_pair *pairs;
	size_t n;
	int err;

	if (x->all)
		return mps_diag_subflows_established(d->sampler.diag, on_subflow, x);
	pairs = busy_pairs(d, &n);
	if (!pairs) {
		x->all = true; /* too many busy ones: a full dump is cheaper than the filter */
		return mps_diag_subflows_established(d->sampler.diag, on_subflow, x);
	}
	d->sampler.filtered_ticks++;
	err = mps_diag_subflows_ports(d->sampler.diag, pairs, n, on_subflow, x);
	free(pairs);
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
	if (!err)
		err = dump_subflows(d, &x);
	if (err) {
		d->sampler.errors++;
		log_debug("sampling: sock_diag: %s", strerror(-err));
		mps_diag_sock_free(d->sampler.diag); /* a fresh socket next time */
		d->sampler.diag = NULL;
	}
	d->sampler.subflows += x.n;
	if (mps_rtnl_links(on_link, &x))
		d->sampler.errors++;
	return err;
}

void sample_fini(struct mpsd *d)
{
	mps_diag_sock_free(d->sampler.diag);
	free(d->sampler.ifs);
	memset(&d->sampler, 0, sizeof(d->sampler));
}
