/* SPDX-License-Identifier: MIT */
/*
 * Which steering policy a connection gets: the first [rule NAME] whose every
 * criterion holds (local port, peer prefix, process name, cgroup), else the
 * [steering] policy. Pure: the facts come in, the process and cgroup only if
 * known, so the caller can look the owner up once for many connections.
 */
#include <errno.h>
#include <string.h>

#include "mpsteerd.h"

static bool rule_needs_owner(const struct mpsd_steer_rule *r)
{
	return r->n_process || r->n_cgroup;
}

bool mpsd_rules_need_owner(const struct mpsd_steer_cfg *cfg)
{
	for (size_t i = 0; i < cfg->n_rules; i++)
		if (rule_needs_owner(&cfg->rules[i]))
			return true;
	return false;
}

static bool port_hit(const struct mpsd_steer_rule *r, uint16_t port)
{
	return !r->port_lo || (port >= r->port_lo && port <= r->port_hi);
}

static bool process_hit(const struct mpsd_steer_rule *r, const char *comm)
{
	if (!r->n_process)
		return true;
	for (size_t i = 0; i < r->n_process; i++)
		if (!strcmp(r->process[i], comm))
			return true;
	return false;
}

static bool cgroup_hit(const struct mpsd_steer_rule *r, const struct mpsd_conn_facts *f)
{
	if (!r->n_cgroup)
		return true;
	for (size_t i = 0; i < r->n_cgroup; i++)
		if (f->in_cgroup(r->cgroup[i], f->ctx))
			return true;
	return false;
}

int mpsd_rule_match(const struct mpsd_steer_cfg *cfg, const struct mpsd_conn_facts *f)
{
	for (size_t i = 0; i < cfg->n_rules; i++) {
		const struct mpsd_steer_rule *r = &cfg->rules[i];

		/* The cheap criteria first: a rule they rule out needs no owner. */
		if (!port_hit(r, f->local.port) ||
		    (r->peer.n && !mpsd_matchlist_hit(&r->peer, NULL, &f->peer)))
			continue;
		if ((r->n_process && !f->comm) || (r->n_cgroup && !f->in_cgroup))
			return -EAGAIN;
		if (process_hit(r, f->comm) && cgroup_hit(r, f))
			return (int)i;
	}
	return -1;
}

bool mpsd_steer_uses(const struct mpsd_steer_cfg *cfg, enum mpsd_steer_kind k)
{
	if (cfg->dflt == k)
		return true;
	for (size_t i = 0; i < cfg->n_rules; i++)
		if (cfg->rules[i].policy == k)
			return true;
	return false;
}

bool mpsd_rules_need_process(const struct mpsd_steer_cfg *cfg)
{
	return mpsd_rules_need_owner(cfg); /* cgroups too: from the owner's /proc/PID/cgroup */
}
