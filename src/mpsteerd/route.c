/* SPDX-License-Identifier: MIT */
/*
 * Optional source-address routing ([routing] source_routing = yes): for each
 * usable address, a rule "from ADDR lookup T" and, in table T (= table_base +
 * ifindex), a default route out of the address' interface. A subflow bound
 * to an interface's address then really leaves through it.
 *
 * Only what this file created is ever deleted: every route and rule is
 * recorded here and removed when its address goes and when the daemon exits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mpsteerd.h"

struct route_rec {
	int ifindex;
	struct mps_addr addr; /* the rule's source */
	bool rule, route;
	struct mps_addr gw;   /* unset: link route */
	int family;
};

static struct route_rec *recs;
static size_t n_recs;

static uint32_t table_of(int ifindex)
{
	return cfg.table_base + (uint32_t)ifindex;
}

static bool wanted(const struct mps_ifaddr *a)
{
	const struct mpsd_iface *f = links_iface(a->ifindex);

	return cfg.source_routing && f && !f->link.loopback && a->scope == 0 /* universe */ &&
	       mpsd_config_iface_allowed(&cfg, f->link.name, f->link.kind);
}

static void install(struct route_rec *r)
{
	char buf[MPS_ADDRSTRLEN];
	int err;

	if (!r->route) {
		if (mps_rtnl_gateway_of(r->ifindex, r->family, &r->gw))
			memset(&r->gw, 0, sizeof(r->gw));
		err = mps_rtnl_route_add(table_of(r->ifindex), r->ifindex,
					 mps_addr_is_set(&r->gw) ? &r->gw : NULL, r->family);
		if (err)
			log_warn("source routing: default route in table %u: %s",
				 table_of(r->ifindex), strerror(-err));
		else
			r->route = true;
	}
	if (!r->rule) {
		err = mps_rtnl_rule_add(table_of(r->ifindex), cfg.rule_prio, &r->addr);
		if (err)
			log_warn("source routing: rule from %s: %s",
				 mps_addr_format(&r->addr, buf, sizeof(buf)), strerror(-err));
		else
			r->rule = true;
	}
}

void route_addr_added(const struct mps_ifaddr *a)
{
	struct route_rec *r;

	if (!wanted(a))
		return;
	for (size_t i = 0; i < n_recs; i++)
		if (mps_addr_same_ip(&recs[i].addr, &a->addr))
			return;
	r = realloc(recs, (n_recs + 1) * sizeof(*r));
	if (!r)
		return;
	recs = r;
	r = &recs[n_recs++];
	memset(r, 0, sizeof(*r));
	r->ifindex = a->ifindex;
	r->addr = a->addr;
	r->family = a->addr.family;
	install(r);
}

static bool table_shared(size_t skip, int ifindex, int family)
{
	for (size_t i = 0; i < n_recs; i++)
		if (i != skip && recs[i].ifindex == ifindex && recs[i].family == family &&
		    recs[i].route)
			return true;
	return false;
}

static void uninstall(size_t i)
{
	struct route_rec *r = &recs[i];

	if (r->rule)
		mps_rtnl_rule_del(table_of(r->ifindex), cfg.rule_prio, &r->addr);
	if (r->route && !table_shared(i, r->ifindex, r->family))
		mps_rtnl_route_del(table_of(r->ifindex), r->ifindex,
				   mps_addr_is_set(&r->gw) ? &r->gw : NULL, r->family);
	recs[i] = recs[--n_recs];
}

void route_addr_removed(const struct mps_ifaddr *a)
{
	for (size_t i = 0; i < n_recs; i++) {
		if (mps_addr_same_ip(&recs[i].addr, &a->addr)) {
			uninstall(i);
			return;
		}
	}
}

/* The kernel drops routes of an interface that went down: put ours back. */
void route_iface_up(int ifindex)
{
	for (size_t i = 0; i < n_recs; i++) {
		if (recs[i].ifindex != ifindex)
			continue;
		recs[i].route = false;
		install(&recs[i]);
	}
}

void route_cleanup_all(void)
{
	while (n_recs)
		uninstall(n_recs - 1);
	free(recs);
	recs = NULL;
}
