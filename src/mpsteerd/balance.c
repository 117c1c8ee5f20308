/* SPDX-License-Identifier: MIT */
/*
 * The balance policy as pure functions: from the measured load of the access
 * networks and the measured usage of each connection to a plan of primary
 * changes that makes the networks' utilisations (load / capacity) as equal as
 * possible.
 *
 * Greedy, heaviest first: while the utilisations spread by more than the
 * band, move the connection whose move lowers the spread the most (the first,
 * i.e. heaviest, that brings it within half the band wins at once, so few
 * connections move). Hysteresis comes from two thresholds: nothing moves
 * while the spread is within the band, and once moving, the plan aims at half
 * of it. A move is taken only if it lowers the sum of squared deviations
 * (never a move that the same measurements would undo), idle connections and
 * those moved less than a dwell ago stay where they are.
 *
 * On a saturated network the measured rates are shares, not demands: once a
 * connection leaves it, the others take up what it freed and it may grow where
 * it goes. So a plan makes one move off a saturated network and stops; the
 * next measurements say whether more is needed.
 */
#include <stdlib.h>
#include <string.h>

#include "mpsteerd.h"

int mpsd_access_of(const struct mpsd_config *c, const char *ifname, const struct mps_addr *peer)
{
	struct mps_addr p;

	if (peer) {
		p = *peer;
		mps_addr_unmap(&p);
		peer = &p;
	}
	for (size_t i = 0; i < c->n_access; i++) {
		const struct mpsd_access *a = &c->access[i];

		if (mpsd_matchlist_hit(&a->clients, NULL, peer) ||
		    (ifname && mpsd_matchlist_hit(&a->interfaces, ifname, NULL)))
			return (int)i;
	}
	return -1;
}

bool mpsd_access_dedicated(const struct mpsd_config *c, size_t idx, const char *ifname)
{
	if (idx >= c->n_access || !mpsd_matchlist_hit(&c->access[idx].interfaces, ifname, NULL))
		return false;
	for (size_t i = 0; i < c->n_access; i++)
		if (i != idx && mpsd_matchlist_hit(&c->access[i].interfaces, ifname, NULL))
			return false;
	return true;
}

/* Utilisation of a network: its busier direction over its capacity. */
static double util_of(const uint64_t load[2], uint64_t capacity)
{
	uint64_t l = load[0] > load[1] ? load[0] : load[1];

	return capacity ? (double)l / (double)capacity : 0.0;
}

static uint64_t conn_rate(const struct mpsd_bal_conn *c)
{
	return c->rate[0] > c->rate[1] ? c->rate[0] : c->rate[1];
}

struct state {
	size_t n;
	uint64_t load[MPSD_MAX_ACCESS][2];
	uint64_t cap[MPSD_MAX_ACCESS];
};

static void spread_of(const struct state *s, double *spread, double *sq)
{
	double lo = 0, hi = 0, sum = 0, mean, u[MPSD_MAX_ACCESS];
	size_t k = 0;

	*sq = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (!s->cap[i])
			continue;
		u[k] = util_of(s->load[i], s->cap[i]);
		if (!k || u[k] < lo)
			lo = u[k];
		if (!k || u[k] > hi)
			hi = u[k];
		sum += u[k++];
	}
	*spread = hi - lo;
	if (!k)
		return;
	mean = sum / (double)k;
	for (size_t i = 0; i < k; i++)
		*sq += (u[i] - mean) * (u[i] - mean);
}

static void shift(struct state *s, const struct mpsd_bal_conn *c, int from, int to, int sign)
{
	for (int d = 0; d < 2; d++) {
		uint64_t r = c->rate[d];

		if (sign > 0) {
			s->load[from][d] = s->load[from][d] > r ? s->load[from][d] - r : 0;
			s->load[to][d] += r;
		} else {
			s->load[to][d] = s->load[to][d] > r ? s->load[to][d] - r : 0;
			s->load[from][d] += r;
		}
	}
}

/* Heaviest first; equal rates by token, so that a plan does not depend on table order. */
static int by_rate(const void *a, const void *b, void *base)
{
	const struct mpsd_bal_conn *x = (const struct mpsd_bal_conn *)base + *(const size_t *)a;
	const struct mpsd_bal_conn *y = (const struct mpsd_bal_conn *)base + *(const size_t *)b;
	uint64_t rx = conn_rate(x), ry = conn_rate(y);

	if (rx != ry)
		return rx > ry ? -1 : 1;
	return x->token < y->token ? -1 : x->token > y->token;
}

static bool movable(const struct mpsd_bal_conn *c, const struct mpsd_bal_params *p, size_t n)
{
	if (c->primary < 0 || (size_t)c->primary >= n || conn_rate(c) < p->idle_bps)
		return false;
	if (c->moved_ms && p->now_ms < c->moved_ms + p->dwell_ms)
		return false;
	return (c->paths & ~(1u << c->primary)) != 0;
}

struct pick {
	size_t conn;
	int to;
	double spread, sq;
};

/* The best move of one connection, or false when none lowers the squared deviations. */
static bool best_target(struct state *s, const struct mpsd_bal_conn *c, double sq0,
			struct pick *out)
{
	bool found = false;

	for (size_t t = 0; t < s->n; t++) {
		double spread, sq;

		if ((int)t == c->primary || !s->cap[t] || !(c->paths & (1u << t)))
			continue;
		shift(s, c, c->primary, (int)t, 1);
		spread_of(s, &spread, &sq);
		shift(s, c, c->primary, (int)t, -1);
		/* Strictly better by a margin: rounding must not make a move. */
		if (sq < sq0 - 1e-9 && (!found || sq < out->sq - 1e-12)) {
			out->to = (int)t;
			out->spread = spread;
			out->sq = sq;
			found = true;
		}
	}
	return found;
}

static bool next_move(struct state *s, const struct mpsd_bal_conn *conns, const size_t *order,
		      size_t n_conns, const bool *moved, const struct mpsd_bal_params *p,
		      double sq0, struct pick *best)
{
	bool found = false;

	for (size_t k = 0; k < n_conns; k++) {
		const struct mpsd_bal_conn *c = &conns[order[k]];
		struct pick pk = { 0 };

		if (moved[order[k]] || !movable(c, p, s->n) || !best_target(s, c, sq0, &pk))
			continue;
		pk.conn = order[k];
		if (!found || pk.sq < best->sq - 1e-12) {
			*best = pk;
			found = true;
		}
		if (pk.spread <= p->band / 2) /* heaviest that reaches the target: done */
			break;
	}
	return found;
}

size_t mpsd_balance(const struct mpsd_bal_net *nets, size_t n_nets,
		    const struct mpsd_bal_conn *conns, size_t n_conns,
		    const struct mpsd_bal_params *p, struct mpsd_bal_move *moves, size_t max,
		    struct mpsd_bal_summary *sum)
{
	struct state s = { .n = n_nets < MPSD_MAX_ACCESS ? n_nets : MPSD_MAX_ACCESS };
	size_t *order = NULL, n = 0;
	bool *moved = NULL;
	double sq;

	for (size_t i = 0; i < s.n; i++) {
		s.cap[i] = nets[i].capacity;
		s.load[i][0] = nets[i].load[0];
		s.load[i][1] = nets[i].load[1];
		sum->util_before[i] = util_of(s.load[i], s.cap[i]);
	}
	spread_of(&s, &sum->spread_before, &sq);
	sum->verdict = MPSD_BAL_BALANCED;
	if (sum->spread_before > p->band && n_conns) {
		order = malloc(n_conns * sizeof(*order));
		moved = calloc(n_conns, sizeof(*moved));
		if (!order || !moved) {
			sum->verdict = MPSD_BAL_NOMEM;
			goto out;
		}
		for (size_t i = 0; i < n_conns; i++)
			order[i] = i;
		qsort_r(order, n_conns, sizeof(*order), by_rate, (void *)conns);
		sum->verdict = MPSD_BAL_STUCK;
		while (n < max && n < p->max_moves) {
			struct pick pk = { 0 };
			double spread;

			spread_of(&s, &spread, &sq);
			if (spread <= p->band / 2)
				break;
			if (!next_move(&s, conns, order, n_conns, moved, p, sq, &pk))
				break;
			moves[n++] = (struct mpsd_bal_move){ .conn = pk.conn,
							     .from = conns[pk.conn].primary,
							     .to = pk.to,
							     .rate = conn_rate(&conns[pk.conn]) };
			moved[pk.conn] = true;
			shift(&s, &conns[pk.conn], conns[pk.conn].primary, pk.to, 1);
			sum->verdict = MPSD_BAL_MOVED;
			if (sum->util_before[conns[pk.conn].primary] >= MPSD_BAL_SATURATED)
				break;
		}
	}
out:
	for (size_t i = 0; i < s.n; i++)
		sum->util_after[i] = util_of(s.load[i], s.cap[i]);
	spread_of(&s, &sum->spread_after, &sq);
	free(order);
	free(moved);
	return n;
}

const char *mpsd_bal_verdict_name(enum mpsd_bal_verdict v)
{
	switch (v) {
	case MPSD_BAL_BALANCED:
		return "within band";
	case MPSD_BAL_MOVED:
		return "rebalanced";
	case MPSD_BAL_STUCK:
		return "no movable connection helps";
	default:
		return "out of memory";
	}
}
