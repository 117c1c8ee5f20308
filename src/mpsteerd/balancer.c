/* SPDX-License-Identifier: MIT */
/*
 * The balance policy in the daemon: the cross-connection steering policy's
 * `tick` (see steer.c). Every sample tick it adds what each subflow moved to
 * its connection's and its access network's window; once a window of
 * [balance] interval_ms is complete it turns the windows into rates (bit/s),
 * reads the interface counters of dedicated interfaces for the networks'
 * whole load, asks balance.c for a plan, and applies each move with
 * steer_set_primary(), which records the decision. A connection gets its
 * initial primary (the access network it was made on) at its first tick, so
 * that only one network carries it until the plan says otherwise.
 *
 * The windows after one with moves only settle (MPSD_BAL_SETTLE_WINDOWS): they
 * hold the moved connections' ramp-up on their new network and the old
 * network's queue draining, rates no plan should be made on (one window of
 * 0.5 or 1 s was measured too short: a second heavy connection followed the
 * first). Decisions come from the window after them.
 */
#include <stdlib.h>
#include <string.h>

#include "mpsteerd.h"

/* The access network of a subflow (-1: none). */
static int sf_access(struct mpsd *d, const struct mpsd_sf *sf)
{
	const struct mpsd_iface *f = links_iface(d, sf->ifindex);

	return mpsd_access_of(&d->cfg, f ? f->link.name : NULL, &sf->remote);
}

/* The subflow carrying c now: its steered primary, else the one it was made with. */
static const struct mpsd_sf *primary_sf(const struct mpsd_conn *c)
{
	const struct mpsd_sf *first = NULL;

	for (size_t i = 0; i < c->n_sf; i++) {
		const struct mpsd_sf *sf = &c->sf[i];

		if (sf->state != SF_ESTABLISHED)
			continue;
		if (c->steer.has_primary) {
			if (mps_addr_equal(&sf->local, &c->steer.pri_local) &&
			    mps_addr_equal(&sf->remote, &c->steer.pri_remote))
				return sf;
			continue;
		}
		if (mps_addr_same_ip(&sf->remote, &c->remote0) &&
		    sf->remote.port == c->remote0.port)
			return sf;
		if (!first)
			first = sf;
	}
	return c->steer.has_primary ? NULL : first;
}

/* An established subflow of c on access network a (the first). */
static const struct mpsd_sf *sf_on(struct mpsd *d, const struct mpsd_conn *c, int a)
{
	for (size_t i = 0; i < c->n_sf; i++)
		if (c->sf[i].state == SF_ESTABLISHED && sf_access(d, &c->sf[i]) == a)
			return &c->sf[i];
	return NULL;
}

/* Adds this tick's samples to the windows of the connections and networks. */
static void accumulate(struct mpsd *d, struct mpsd_conn **conns, size_t n)
{
	struct mpsd_balancer *b = &d->balancer;

	for (size_t k = 0; k < n; k++) {
		struct mpsd_conn *c = conns[k];

		if (c->bal.window_ms != b->window_ms) { /* its bytes are of an older window */
			c->bal.window_ms = b->window_ms;
			c->bal.bytes[0] = c->bal.bytes[1] = 0;
		}
		for (size_t i = 0; i < c->n_sf; i++) {
			const struct mpsd_sf *sf = &c->sf[i];
			int a;

			if (sf->state != SF_ESTABLISHED || sf->sampled != d->sampler.tick)
				continue;
			c->bal.bytes[0] += sf->health.d_acked;
			c->bal.bytes[1] += sf->health.d_received;
			a = sf_access(d, sf);
			if (a >= 0) {
				b->sf_bytes[a][0] += sf->health.d_acked;
				b->sf_bytes[a][1] += sf->health.d_received;
			}
		}
	}
}

/* Sum of the byte counters of access network a's dedicated interfaces; false if none. */
static bool iface_bytes(struct mpsd *d, size_t a, uint64_t out[2])
{
	bool any = false;

	out[0] = out[1] = 0;
	for (size_t i = 0; i < d->links.n_ifaces; i++) {
		const struct mps_link *l = &d->links.ifaces[i].link;
		const struct mpsd_ifstat *s;

		if (!mpsd_access_dedicated(&d->cfg, a, l->name))
			continue;
		s = sample_ifstat(d, l->ifindex);
		if (!s)
			continue;
		out[0] += s->tx_bytes;
		out[1] += s->rx_bytes;
		any = true;
	}
	return any;
}

static uint64_t bps(uint64_t bytes, uint64_t ms)
{
	return ms ? bytes * 8000 / ms : 0;
}

/* The networks' loads over the window that ends now. */
static void measure_nets(struct mpsd *d, uint64_t ms, struct mpsd_bal_net *nets)
{
	struct mpsd_balancer *b = &d->balancer;

	for (size_t a = 0; a < d->cfg.n_access; a++) {
		uint64_t now_b[2];
		bool ded = iface_bytes(d, a, now_b);

		nets[a].capacity = d->cfg.access[a].capacity;
		for (int dir = 0; dir < 2; dir++) {
			if (ded && b->has_if[a] && now_b[dir] >= b->if_bytes[a][dir])
				nets[a].load[dir] = bps(now_b[dir] - b->if_bytes[a][dir], ms);
			else if (ded && b->has_if[a])
				nets[a].load[dir] = 0; /* an interface went: counters restarted */
			else
				nets[a].load[dir] = bps(b->sf_bytes[a][dir], ms);
		}
		b->has_if[a] = ded;
		memcpy(b->if_bytes[a], now_b, sizeof(now_b));
		b->util_pm[a] = (unsigned)(1000 * (nets[a].load[0] > nets[a].load[1]
							   ? nets[a].load[0] : nets[a].load[1]) /
					   nets[a].capacity);
	}
	memset(b->sf_bytes, 0, sizeof(b->sf_bytes));
}

/* The first choice of a connection: the network it was made on, recorded once. */
static void initial_primary(struct mpsd *d, struct mpsd_conn *c)
{
	const struct mpsd_sf *sf = primary_sf(c);
	struct mpsd_decision dec = { .reason = MPSD_R_INITIAL, .from = -1 };

	if (sf && sf_access(d, sf) >= 0)
		steer_set_primary(d, c, sf, MPSD_STEER_BALANCE, &dec);
}

static void conn_input(struct mpsd *d, struct mpsd_conn *c, uint64_t ms, struct mpsd_bal_conn *o)
{
	const struct mpsd_sf *p = primary_sf(c);

	*o = (struct mpsd_bal_conn){ .token = c->token, .primary = p ? sf_access(d, p) : -1,
				     .moved_ms = c->bal.moved_ms };
	if (c->bal.window_ms == d->balancer.window_ms) {
		o->rate[0] = bps(c->bal.bytes[0], ms);
		o->rate[1] = bps(c->bal.bytes[1], ms);
	}
	c->bal.rate_bps = o->rate[0] > o->rate[1] ? o->rate[0] : o->rate[1];
	for (size_t i = 0; i < c->n_sf; i++) {
		int a = c->sf[i].state == SF_ESTABLISHED ? sf_access(d, &c->sf[i]) : -1;

		if (a >= 0)
			o->paths |= 1u << a;
	}
}

static void apply(struct mpsd *d, struct mpsd_conn *c, const struct mpsd_bal_move *m,
		  const struct mpsd_bal_summary *sum, uint64_t now)
{
	const struct mpsd_sf *to = sf_on(d, c, m->to);
	struct mpsd_decision dec = { .reason = MPSD_R_BALANCE, .from = m->from };

	if (!to)
		return;
	dec.bal_rate_bps = m->rate;
	dec.bal_from = (uint8_t)m->from;
	dec.bal_to = (uint8_t)m->to;
	dec.bal_from_pm = (uint16_t)(sum->util_before[m->from] * 1000);
	dec.bal_to_pm = (uint16_t)(sum->util_before[m->to] * 1000);
	log_info("token 0x%08x: balance %s -> %s (its rate %llu kbit/s; utilisation %s %.2f, %s "
		 "%.2f; planned %.2f / %.2f)", c->token, d->cfg.access[m->from].name,
		 d->cfg.access[m->to].name, (unsigned long long)(m->rate / 1000),
		 d->cfg.access[m->from].name, sum->util_before[m->from],
		 d->cfg.access[m->to].name, sum->util_before[m->to], sum->util_after[m->from],
		 sum->util_after[m->to]);
	c->bal.moved_ms = now;
	c->bal.moves++;
	d->balancer.moves++;
	steer_set_primary(d, c, to, MPSD_STEER_BALANCE, &dec);
}

static void decide(struct mpsd *d, struct mpsd_conn **conns, size_t n, uint64_t ms,
		   uint64_t now)
{
	const struct mpsd_balance_cfg *bc = &d->cfg.balance;
	struct mpsd_bal_params p = { .band = bc->band_pct / 100.0, .dwell_ms = bc->dwell_ms,
				     .idle_bps = bc->idle_bps, .now_ms = now,
				     .max_moves = bc->max_moves };
	struct mpsd_bal_net nets[MPSD_MAX_ACCESS];
	struct mpsd_bal_summary sum;
	struct mpsd_bal_conn *in = NULL;
	struct mpsd_bal_move *mv = NULL;
	size_t nm;

	measure_nets(d, ms, nets);
	if (d->balancer.settling) {
		d->balancer.settling--;
		return;
	}
	in = n ? calloc(n, sizeof(*in)) : NULL;
	mv = calloc(bc->max_moves, sizeof(*mv));
	if ((n && !in) || !mv) {
		log_warn("balance: out of memory, no decision this time");
		goto out;
	}
	for (size_t k = 0; k < n; k++)
		conn_input(d, conns[k], ms, &in[k]);
	nm = mpsd_balance(nets, d->cfg.n_access, in, n, &p, mv, bc->max_moves, &sum);
	d->balancer.rounds++;
	d->balancer.spread_pm = (unsigned)(sum.spread_before * 1000);
	d->balancer.verdict = sum.verdict;
	if (nm || log_enabled(MPSD_LOG_DEBUG))
		log_msg(nm ? MPSD_LOG_INFO : MPSD_LOG_DEBUG,
			"balance: %zu connections, utilisation spread %.2f (band %.2f): %s, %zu "
			"moves", n, sum.spread_before, p.band, mpsd_bal_verdict_name(sum.verdict),
			nm);
	for (size_t i = 0; i < nm; i++)
		apply(d, conns[mv[i].conn], &mv[i], &sum, now);
	d->balancer.settling = nm ? MPSD_BAL_SETTLE_WINDOWS : 0;
out:
	free(in);
	free(mv);
}

/* Every connection of the policy that is not pinned: the tick is given only those due now
 * (busy ones, all of them every idle period), a plan needs them all. NULL when none (or
 * out of memory: no decision then). */
static struct mpsd_conn **owned(struct mpsd *d, size_t *n)
{
	struct mpsd_conn **v = NULL;
	size_t cap = 0;

	*n = 0;
	for (struct mpsd_conn *c = d->conns.steered; c; c = c->steer.snext) {
		if (!c->steer.resolved || c->gone || c->has_override ||
		    c->steer.kind != MPSD_STEER_BALANCE)
			continue;
		if (*n == cap) {
			struct mpsd_conn **nv = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*v));

			if (!nv)
				break;
			v = nv;
		}
		v[(*n)++] = c;
	}
	return v;
}

static void balance_tick(struct mpsd *d, struct mpsd_conn **due, size_t n_due, uint64_t now)
{
	struct mpsd_balancer *b = &d->balancer;
	struct mpsd_conn **conns;
	size_t n;

	if (!d->cfg.n_access)
		return;
	/* Only the connections due now were sampled: the others have nothing to add. */
	for (size_t k = 0; k < n_due; k++)
		if (!due[k]->steer.has_primary)
			initial_primary(d, due[k]);
	if (!b->window_ms || now > b->window_ms + 3 * (uint64_t)d->cfg.balance.interval_ms) {
		struct mpsd_bal_net scratch[MPSD_MAX_ACCESS];

		/* A window starts here (the first one, or after ticks without connections of
		 * the policy): counters now, rates from the next one. */
		b->window_ms = now;
		b->settling = 0;
		measure_nets(d, 0, scratch);
		return;
	}
	accumulate(d, due, n_due);
	if (now < b->window_ms + d->cfg.balance.interval_ms)
		return;
	conns = owned(d, &n);
	if (conns)
		decide(d, conns, n, now - b->window_ms, now);
	b->window_ms = now;
	free(conns);
}

const struct mpsd_steer_ops balance_steer_ops = { .tick = balance_tick };

void balancer_config_changed(struct mpsd *d)
{
	/* Its counters and sums are per access network, by position in the old config. */
	memset(d->balancer.sf_bytes, 0, sizeof(d->balancer.sf_bytes));
	memset(d->balancer.has_if, 0, sizeof(d->balancer.has_if));
	memset(d->balancer.util_pm, 0, sizeof(d->balancer.util_pm));
	d->balancer.window_ms = 0;
	d->balancer.settling = 0;
}
