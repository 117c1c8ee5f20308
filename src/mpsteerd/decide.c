/* SPDX-License-Identifier: MIT */
/*
 * Steering decisions as pure functions: the health of a path from its samples,
 * and which path a connection's primary should be under the handover and
 * interactive policies. No I/O and no clock: time comes in as `now`, state
 * the caller keeps (struct mpsd_health per subflow, struct mpsd_steer_state
 * per connection) comes in and goes out. steer.c applies what they decide.
 */
#include <fnmatch.h>
#include <string.h>

#include "mpsteerd.h"

static const char *const health_names[] = {
	[MPSD_H_OK] = "ok", [MPSD_H_CARRIER] = "carrier", [MPSD_H_BACKOFF] = "rto-backoff",
	[MPSD_H_STALL] = "stall", [MPSD_H_RTT] = "rtt",
};

const char *mpsd_health_name(enum mpsd_health_why w)
{
	return (unsigned)w < sizeof(health_names) / sizeof(health_names[0]) ? health_names[w] : "?";
}

static const char *const reason_names[MPSD_R_N] = {
	[MPSD_R_NONE] = "none", [MPSD_R_INITIAL] = "initial", [MPSD_R_UNHEALTHY] = "unhealthy",
	[MPSD_R_RETURN] = "return", [MPSD_R_LOWER_RTT] = "lower-rtt",
	[MPSD_R_PREFERRED] = "preferred", [MPSD_R_GONE] = "gone", [MPSD_R_BALANCE] = "balance",
};

const char *mpsd_reason_name(enum mpsd_reason r)
{
	return (unsigned)r < MPSD_R_N ? reason_names[r] : "?";
}

/* ---- health ---- */

/* How long nothing acked counts as a stall: the configured time, but never less than the
 * path's retransmission timeout (srtt + 4 rttvar; the kernel keeps rttvar at 50 ms or more),
 * so that a slow or queue-bloated path is not "dead" while a lost tail is still being
 * probed (TLP, at about two RTTs, comes before it). */
static uint64_t stall_limit_ms(const struct mpsd_health_cfg *cfg, const struct mpsd_sample *s)
{
	uint64_t rto_ms = ((uint64_t)s->srtt_us + 4ull * s->rttvar_us) / 1000;

	return rto_ms > cfg->stall_ms ? rto_ms : cfg->stall_ms;
}

static enum mpsd_health_why verdict(const struct mpsd_health_cfg *cfg,
				    const struct mpsd_health *h, bool carrier, uint64_t now)
{
	const struct mpsd_sample *s = &h->last;

	if (!carrier)
		return MPSD_H_CARRIER;
	if (!s->at_ms)
		return MPSD_H_OK; /* nothing known against it */
	if (cfg->backoff && s->backoff >= cfg->backoff)
		return MPSD_H_BACKOFF;
	if (s->unacked && now - h->progress_ms >= stall_limit_ms(cfg, s))
		return MPSD_H_STALL;
	if (s->min_rtt_us && cfg->rtt_factor &&
	    (uint64_t)s->srtt_us > (uint64_t)s->min_rtt_us * cfg->rtt_factor &&
	    s->srtt_us - s->min_rtt_us > cfg->rtt_excess_ms * 1000u)
		return MPSD_H_RTT;
	return MPSD_H_OK;
}

static uint64_t delta(uint64_t now, uint64_t before)
{
	return now >= before ? now - before : 0; /* a new socket in the same place */
}

static void fold_sample(struct mpsd_health *h, const struct mpsd_sample *s, uint64_t now)
{
	const struct mpsd_sample *prev = &h->last;
	bool first = !prev->at_ms;
	bool probed = h->probe_at_ms && now - h->probe_at_ms < MPSD_PROBE_STALE_MS;

	h->d_acked = first ? 0 : delta(s->bytes_acked, prev->bytes_acked);
	h->d_received = first ? 0 : delta(s->bytes_received, prev->bytes_received);
	h->d_ms = first ? 0 : (uint32_t)delta(s->at_ms, prev->at_ms);
	/* The stall clock starts at the first sample that sees data outstanding: a connection
	 * that sends after a quiet spell has not been stalled since its previous sample. */
	if (first || !s->unacked || h->d_acked || !prev->unacked)
		h->progress_ms = now;
	/* Probes' RTT while they answer; an idle subflow's srtt is as old as its traffic. */
	if (!probed && (first || h->d_acked || h->d_received || s->srtt_us != prev->srtt_us ||
			!h->rtt_us)) {
		h->rtt_us = s->srtt_us;
		h->rtt_at_ms = now;
	}
	h->last = *s;
}

void mpsd_health_update(const struct mpsd_health_cfg *cfg, struct mpsd_health *h, bool carrier,
			const struct mpsd_sample *s, uint64_t now)
{
	enum mpsd_health_why why;

	if (s)
		fold_sample(h, s, now);
	why = verdict(cfg, h, carrier, now);
	if (why != h->why || !h->since_ms) {
		h->why = why;
		h->since_ms = now;
	}
}

void mpsd_health_probe(struct mpsd_health *h, uint32_t rtt_us, uint64_t now)
{
	bool fresh = h->probe_at_ms && now - h->probe_at_ms < MPSD_PROBE_STALE_MS;

	/* Smoothed like srtt (7/8 old, 1/8 new) would lag a queue by seconds: 1/2. */
	h->rtt_us = fresh ? (uint32_t)(((uint64_t)h->rtt_us + rtt_us) / 2) : rtt_us;
	h->rtt_at_ms = now;
	h->probe_at_ms = now;
}

/* ---- choosing ---- */

unsigned mpsd_rank(const struct mpsd_matchlist *l, const char *ifname,
		   const struct mps_addr *local, const struct mps_addr *remote)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct mpsd_match *m = &l->m[i];

		if (m->is_prefix ? mpsd_prefix_contains(&m->prefix, m->plen, local) ||
					   mpsd_prefix_contains(&m->prefix, m->plen, remote)
				 : (ifname && fnmatch(m->glob, ifname, 0) == 0))
			return (unsigned)i;
	}
	return MPSD_RANK_NONE;
}

static int current(const struct mpsd_path *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].primary)
			return (int)i;
	return -1;
}

static bool healthy(const struct mpsd_path *p)
{
	return p->h->why == MPSD_H_OK;
}

/* The healthy path of lowest rank; the current primary wins ties, then the first given. */
static int best_ranked(const struct mpsd_path *p, size_t n, int cur)
{
	int best = cur >= 0 && healthy(&p[cur]) ? cur : -1;

	for (size_t i = 0; i < n; i++)
		if (healthy(&p[i]) && (best < 0 || p[i].rank < p[best].rank))
			best = (int)i;
	return best;
}

static bool decide(struct mpsd_decision *out, const struct mpsd_path *p, int from, int to,
		   enum mpsd_reason reason, struct mpsd_steer_state *st, uint64_t now)
{
	memset(out, 0, sizeof(*out));
	out->to = (size_t)to;
	out->from = from;
	out->reason = reason;
	out->to_rtt_us = p[to].h->rtt_us;
	if (from >= 0) {
		const struct mpsd_health *h = p[from].h;

		out->why = h->why;
		out->from_rtt_us = h->rtt_us;
		out->from_min_rtt_us = h->last.min_rtt_us;
		out->from_backoff = h->last.backoff;
		out->from_stall_ms = h->last.unacked ? now - h->progress_ms : 0;
	}
	st->since_ms = now;
	st->cand = 0;
	st->cand_since_ms = 0;
	return true;
}

bool mpsd_decide_handover(const struct mpsd_handover_cfg *cfg, const struct mpsd_path *p,
			  size_t n, struct mpsd_steer_state *st, uint64_t now,
			  struct mpsd_decision *out)
{
	int cur = current(p, n), best = best_ranked(p, n, cur);

	if (best < 0 || best == cur)
		return false; /* nothing healthy to go to, or already there */
	if (cur < 0)
		return decide(out, p, cur, best, MPSD_R_INITIAL, st, now);
	if (!healthy(&p[cur]))
		return decide(out, p, cur, best, MPSD_R_UNHEALTHY, st, now);
	/* Both healthy and best is preferred: back only once it has stayed healthy. */
	if (now - p[best].h->since_ms >= cfg->dwell_ms)
		return decide(out, p, cur, best, MPSD_R_RETURN, st, now);
	return false;
}

/* The healthy path with the lowest known RTT other than skip; ties go to the lower rank. */
static int lowest_rtt(const struct mpsd_path *p, size_t n, int skip)
{
	int best = -1;

	for (size_t i = 0; i < n; i++) {
		if ((int)i == skip || !healthy(&p[i]) || !p[i].h->rtt_us)
			continue;
		if (best < 0 || p[i].h->rtt_us < p[best].h->rtt_us ||
		    (p[i].h->rtt_us == p[best].h->rtt_us && p[i].rank < p[best].rank))
			best = (int)i;
	}
	return best;
}

/* a is better than b by the margin and by the minimum difference. */
static bool clearly_lower(const struct mpsd_interactive_cfg *cfg, uint32_t a, uint32_t b)
{
	return (uint64_t)a * (100 + cfg->margin_pct) < (uint64_t)b * 100 &&
	       b - a >= cfg->min_diff_ms * 1000u;
}

/* A better path must stay better for the hold time, the same one all along. */
static bool held(const struct mpsd_interactive_cfg *cfg, const struct mpsd_path *cand,
		 struct mpsd_steer_state *st, uint64_t now)
{
	if (!st->cand_since_ms || st->cand != cand->id) {
		st->cand = cand->id;
		st->cand_since_ms = now;
	}
	return now - st->cand_since_ms >= cfg->hold_ms;
}

bool mpsd_decide_interactive(const struct mpsd_interactive_cfg *cfg, const struct mpsd_path *p,
			     size_t n, struct mpsd_steer_state *st, uint64_t now,
			     struct mpsd_decision *out)
{
	int cur = current(p, n), best;
	uint32_t rc, rb;

	if (cur < 0 || !healthy(&p[cur])) {
		best = lowest_rtt(p, n, cur);
		if (best < 0)
			best = best_ranked(p, n, -1); /* healthy, RTT not known yet */
		if (best < 0)
			return false;
		return decide(out, p, cur, best, cur < 0 ? MPSD_R_INITIAL : MPSD_R_UNHEALTHY, st,
			      now);
	}
	best = lowest_rtt(p, n, cur);
	rc = p[cur].h->rtt_us;
	if (best < 0 || !rc) {
		st->cand_since_ms = 0;
		return false;
	}
	rb = p[best].h->rtt_us;
	if (clearly_lower(cfg, rb, rc)) {
		if (held(cfg, &p[best], st, now))
			return decide(out, p, cur, best, MPSD_R_LOWER_RTT, st, now);
		return false;
	}
	/* Similar RTTs: the preferred path, if there is one (never on RTT noise alone). */
	if (p[best].rank < p[cur].rank && !clearly_lower(cfg, rc, rb)) {
		if (held(cfg, &p[best], st, now))
			return decide(out, p, cur, best, MPSD_R_PREFERRED, st, now);
		return false;
	}
	st->cand_since_ms = 0;
	return false;
}
