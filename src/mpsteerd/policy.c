/* SPDX-License-Identifier: MIT */
/*
 * Subflow policies as a pure function: from what is known of a connection
 * (initial addresses, the peer's announced addresses, the subflows it has or
 * is getting, usable local addresses) to the subflows to create now.
 * Backoff and priorities are applied by the caller (pathmgr.c).
 */
#include <string.h>

#include "mpsteerd.h"

struct planner {
	const struct mpsd_plan_in *in;
	struct mpsd_pair *out;
	size_t n, max;
	size_t budget; /* subflows the cap still allows */
};

static bool has_existing(const struct planner *p, const struct mps_addr *local, int ifindex,
			 const struct mps_addr *remote)
{
	const struct mpsd_plan_in *in = p->in;

	for (size_t i = 0; i < in->n_existing; i++) {
		const struct mpsd_pair *e = &in->existing[i];

		if (local && !mps_addr_same_ip(&e->local, local))
			continue;
		if (!local && e->ifindex != ifindex)
			continue;
		if (remote && !mps_addr_same_ip(&e->remote, remote))
			continue;
		return true;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct mpsd_pair *e = &p->out[i];

		if ((local ? mps_addr_same_ip(&e->local, local) : e->ifindex == ifindex) &&
		    (!remote || mps_addr_same_ip(&e->remote, remote)))
			return true;
	}
	return false;
}

static bool emit(struct planner *p, const struct mpsd_local *l, const struct mps_addr *remote)
{
	struct mpsd_pair *o;

	if (p->n >= p->max || !p->budget)
		return false;
	o = &p->out[p->n++];
	o->ifindex = l ? l->ifindex : p->in->ifindex0;
	if (l)
		o->local = l->addr;
	else
		o->local = p->in->local0;
	o->local.port = 0;
	o->remote = *remote;
	p->budget--;
	return true;
}

/* The peer's initial address may not be joined when it said deny-join-id0. */
static bool remote0_usable(const struct mpsd_plan_in *in)
{
	return !in->deny_join_id0;
}

static void remote_with_port(const struct mpsd_plan_in *in, size_t i, struct mps_addr *out)
{
	*out = in->remotes[i];
	if (!out->port)
		out->port = in->remote0.port;
}

/* One subflow per local interface to the peer's initial address. */
static void plan_per_iface(struct planner *p)
{
	const struct mpsd_plan_in *in = p->in;
	struct mps_addr target = in->remote0;

	if (!remote0_usable(in)) {
		/* Use the first address the peer announced instead. */
		if (!in->n_remotes)
			return;
		remote_with_port(in, 0, &target);
	}
	for (size_t i = 0; i < in->n_locals; i++) {
		const struct mpsd_local *l = &in->locals[i];
		bool seen = false;

		if (l->addr.family != target.family)
			continue;
		/* One per interface: skip later addresses of an interface already chosen. */
		for (size_t j = 0; j < i; j++)
			if (in->locals[j].ifindex == l->ifindex &&
			    in->locals[j].addr.family == target.family)
				seen = true;
		if (seen || has_existing(p, NULL, l->ifindex, NULL))
			continue;
		/* An address of this interface may already carry a subflow (ifindex unknown). */
		if (has_existing(p, &l->addr, 0, NULL))
			continue;
		emit(p, l, &target);
	}
}

static void plan_fullmesh(struct planner *p)
{
	const struct mpsd_plan_in *in = p->in;
	struct mps_addr r;

	for (size_t k = 0; k <= in->n_remotes; k++) {
		if (k == 0) {
			if (!remote0_usable(in))
				continue;
			r = in->remote0;
		} else {
			remote_with_port(in, k - 1, &r);
		}
		for (size_t i = 0; i < in->n_locals; i++) {
			const struct mpsd_local *l = &in->locals[i];

			if (l->addr.family != r.family || has_existing(p, &l->addr, 0, &r))
				continue;
			emit(p, l, &r);
		}
	}
}

/* n subflows in all over the initial address pair, each from its own port. */
static void plan_ndiffports(struct planner *p)
{
	const struct mpsd_plan_in *in = p->in;
	size_t have = 0;

	if (!remote0_usable(in))
		return;
	for (size_t i = 0; i < in->n_existing; i++)
		if (mps_addr_same_ip(&in->existing[i].local, &in->local0) &&
		    mps_addr_same_ip(&in->existing[i].remote, &in->remote0))
			have++;
	/* The initial address must still be usable (its interface up). */
	for (size_t i = 0; i < in->n_locals; i++) {
		if (!mps_addr_same_ip(&in->locals[i].addr, &in->local0))
			continue;
		while (have < in->policy.n && emit(p, &in->locals[i], &in->remote0))
			have++;
		break;
	}
}

size_t mpsd_plan(const struct mpsd_plan_in *in, struct mpsd_pair *out, size_t max)
{
	struct planner p = { .in = in, .out = out, .max = max };

	if (in->n_existing >= in->max_subflows)
		return 0;
	p.budget = in->max_subflows - in->n_existing;
	switch (in->policy.kind) {
	case MPSD_POL_PER_IFACE:
		plan_per_iface(&p);
		break;
	case MPSD_POL_FULLMESH:
		plan_fullmesh(&p);
		break;
	case MPSD_POL_NDIFFPORTS:
		plan_ndiffports(&p);
		break;
	case MPSD_POL_NONE:
		break;
	}
	return p.n;
}
