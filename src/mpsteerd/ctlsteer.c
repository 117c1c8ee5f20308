/* SPDX-License-Identifier: MIT */
/*
 * Steering as the control socket shows it: a connection's policy and last
 * decision (conns), a subflow's health, the decision counts (status), and
 * the event a monitor gets for each decision. JSON only; no state of its own.
 */
#include <jansson.h>

#include "mpsteerd.h"

static json_t *addr_json(const struct mps_addr *a)
{
	char buf[MPS_ADDRSTRLEN];

	return mps_addr_is_set(a) ? json_string(mps_addr_format(a, buf, sizeof(buf))) : json_null();
}

static json_t *end_json(const char *dev, const struct mps_addr *l, const struct mps_addr *r)
{
	if (!mps_addr_is_set(l))
		return json_null();
	return json_pack("{s:s, s:o, s:o}", "dev", dev, "local", addr_json(l), "remote",
			 addr_json(r));
}

static const char *access_name(const struct mpsd_config *cfg, unsigned i)
{
	return i < cfg->n_access ? cfg->access[i].name : "?";
}

/* A balance decision's measured values: the connection's rate, the networks' utilisations. */
static void balance_fields(json_t *j, const struct mpsd_config *cfg,
			   const struct mpsd_decision *dec)
{
	json_object_set_new(j, "from_access", json_string(access_name(cfg, dec->bal_from)));
	json_object_set_new(j, "to_access", json_string(access_name(cfg, dec->bal_to)));
	json_object_set_new(j, "rate_bps", json_integer((json_int_t)dec->bal_rate_bps));
	json_object_set_new(j, "from_util", json_real(dec->bal_from_pm / 1000.0));
	json_object_set_new(j, "to_util", json_real(dec->bal_to_pm / 1000.0));
}

static json_t *record_json(const struct mpsd_config *cfg, const struct mpsd_steer_record *r,
			   uint64_t now)
{
	const struct mpsd_decision *dec = &r->dec;
	json_t *j;

	if (!r->at_ms)
		return json_null();
	j = json_pack("{s:s, s:s, s:s?, s:I, s:o, s:o, s:I, s:I, s:I, s:i, s:I}",
			 "policy", mpsd_steer_name(r->policy),
			 "reason", mpsd_reason_name(dec->reason),
			 "health", dec->reason == MPSD_R_UNHEALTHY ? mpsd_health_name(dec->why)
								    : NULL,
			 "ago_ms", (json_int_t)(now - r->at_ms),
			 "from", end_json(r->from_dev, &r->from_local, &r->from_remote),
			 "to", end_json(r->to_dev, &r->to_local, &r->to_remote),
			 "from_rtt_us", (json_int_t)dec->from_rtt_us,
			 "to_rtt_us", (json_int_t)dec->to_rtt_us,
			 "from_min_rtt_us", (json_int_t)dec->from_min_rtt_us,
			 "from_backoff", (int)dec->from_backoff,
			 "from_stall_ms", (json_int_t)dec->from_stall_ms);
	if (j && dec->reason == MPSD_R_BALANCE)
		balance_fields(j, cfg, dec);
	return j;
}

json_t *ctlsteer_conn(struct mpsd *d, const struct mpsd_conn *c)
{
	const struct mpsd_conn_steer *s = &c->steer;
	const char *rule = s->rule >= 0 && (size_t)s->rule < d->cfg.steer.n_rules
				   ? d->cfg.steer.rules[s->rule].name
				   : NULL;

	json_t *j = json_pack("{s:s, s:s?, s:b, s:b, s:o, s:I, s:o}",
			      "policy", s->resolved ? mpsd_steer_name(s->kind) : "pending",
			      "rule", s->resolved ? rule : NULL,
			      "pinned", c->has_override, "busy", s->busy,
			      "primary", s->has_primary ? end_json("", &s->pri_local,
								    &s->pri_remote)
							: json_null(),
			      "decisions", (json_int_t)s->decisions,
			      "last", record_json(&d->cfg, &s->last, now_ms()));

	if (j && s->resolved && s->kind == MPSD_STEER_BALANCE) /* what its plans saw of it */
		json_object_set_new(j, "balance", json_pack("{s:I, s:I}", "rate_bps",
							     (json_int_t)c->bal.rate_bps, "moves",
							     (json_int_t)c->bal.moves));
	return j;
}

json_t *ctlsteer_subflow(const struct mpsd_sf *sf)
{
	const struct mpsd_health *h = &sf->health;

	if (!h->last.at_ms && h->why == MPSD_H_OK)
		return json_null(); /* never sampled */
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:i, s:I, s:I, s:I, s:I, s:I}",
			 "state", mpsd_health_name(h->why),
			 "srtt_us", (json_int_t)h->last.srtt_us,
			 "rtt_us", (json_int_t)h->rtt_us,
			 "min_rtt_us", (json_int_t)h->last.min_rtt_us,
			 "rttvar_us", (json_int_t)h->last.rttvar_us,
			 "backoff", (int)h->last.backoff,
			 "unacked", (json_int_t)h->last.unacked,
			 "total_retrans", (json_int_t)h->last.total_retrans,
			 "delivery_rate", (json_int_t)h->last.delivery_rate,
			 "acked_bytes", (json_int_t)h->d_acked,
			 "received_bytes", (json_int_t)h->d_received);
}

/* The balance policy's last window: each access network's utilisation, and its plans. */
static json_t *balance_status(const struct mpsd *d)
{
	const struct mpsd_balancer *b = &d->balancer;
	json_t *nets = json_array();

	for (size_t i = 0; i < d->cfg.n_access; i++)
		json_array_append_new(nets, json_pack("{s:s, s:I, s:f}", "name",
						      d->cfg.access[i].name, "capacity_bps",
						      (json_int_t)d->cfg.access[i].capacity,
						      "utilisation", b->util_pm[i] / 1000.0));
	return json_pack("{s:o, s:f, s:s, s:I, s:I}", "access", nets, "spread",
			 b->spread_pm / 1000.0, "verdict",
			 b->rounds ? mpsd_bal_verdict_name(b->verdict) : "none yet", "rounds",
			 (json_int_t)b->rounds, "moves", (json_int_t)b->moves);
}

json_t *ctlsteer_status(struct mpsd *d)
{
	const struct mpsd_steer_stats *st = &d->steer.stats;
	json_t *pol = json_object(), *j;

	for (int k = MPSD_STEER_NONE + 1; k < MPSD_STEER_N; k++) {
		json_t *reasons = json_object();

		for (int r = MPSD_R_NONE + 1; r < MPSD_R_N; r++)
			if (st->reasons[k][r])
				json_object_set_new(reasons, mpsd_reason_name(r),
						    json_integer((json_int_t)st->reasons[k][r]));
		json_object_set_new(pol, mpsd_steer_name(k),
				    json_pack("{s:I, s:I, s:o}", "decisions",
					      (json_int_t)st->decisions[k], "connections",
					      (json_int_t)st->conns[k], "reasons", reasons));
	}
	j = json_pack("{s:s, s:I, s:o, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I}}",
			 "default", mpsd_steer_name(d->cfg.steer.dflt),
			 "steered", (json_int_t)d->conns.n_steered, "policies", pol,
			 "pinned_skips", (json_int_t)st->pinned_skips,
			 "closed_stalled", (json_int_t)st->closed_stalled,
			 "owner_lookups", (json_int_t)st->owner_lookups,
			 "sampling", "ticks", (json_int_t)d->sampler.ticks,
			 "idle_ticks", (json_int_t)d->sampler.idle_ticks,
			 "lookups", (json_int_t)d->sampler.lookups,
			 "subflows", (json_int_t)d->sampler.subflows,
			 "errors", (json_int_t)d->sampler.errors,
			 "cpu_us", (json_int_t)d->sampler.cpu_us);
	if (j && d->cfg.n_access)
		json_object_set_new(j, "balance", balance_status(d));
	return j;
}

json_t *ctlsteer_decision(struct mpsd *d, const struct mpsd_conn *c)
{
	json_t *j = record_json(&d->cfg, &c->steer.last, now_ms());

	if (json_is_object(j)) {
		json_object_set_new(j, "event", json_string("decision"));
		json_object_set_new(j, "token", json_integer((json_int_t)c->token));
		json_object_del(j, "ago_ms");
	}
	return j;
}
