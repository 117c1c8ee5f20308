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
	unsigned gw_wait;     /* attempts spent waiting for the gateway to return */
	uint32_t table, prio; /* as created: a reload may change the config */
};


static bool wanted(struct mpsd *d, const struct mps_ifaddr *a)
{
	const struct mpsd_iface *f = links_iface(d, a->ifindex);

	return d->cfg.source_routing && f && !f->link.loopback && a->scope == 0 /* universe */ &&
	       mpsd_config_iface_allowed(&d->cfg, f->link.name, f->link.kind);
}

#define GW_RETRY_MS 500
#define GW_RETRIES 20

/* Returns true when the route waits for its gateway (to be tried again). */
static bool install(struct mpsd *d, struct route_rec *r)
{
	char buf[MPS_ADDRSTRLEN];
	struct mps_addr gw;
	bool wait = false;
	int err;

	if (!r->route) {
		if (mps_rtnl_gateway_of(r->ifindex, r->family, &gw) == 0) {
			r->gw = gw;
		} else if (mps_addr_is_set(&r->gw) && r->gw_wait < GW_RETRIES) {
			/* The uplink had a gateway: its default route comes back after the
			 * link (DHCP, NetworkManager); an on-link guess would be wrong. */
			r->gw_wait++;
			wait = true;
		} else {
			memset(&r->gw, 0, sizeof(r->gw));
		}
	}
	if (!r->route && !wait) {
		err = mps_rtnl_route_add(r->table, r->ifindex,
					 mps_addr_is_set(&r->gw) ? &r->gw : NULL, r->family);
		if (err)
			log_warn("source routing: default route in table %u: %s", r->table,
				 strerror(-err));
		else
			r->route = true;
		r->gw_wait = 0;
	}
	if (!r->rule) {
		err = mps_rtnl_rule_add(r->table, r->prio, &r->addr);
		if (err)
			log_warn("source routing: rule from %s: %s",
				 mps_addr_format(&r->addr, buf, sizeof(buf)), strerror(-err));
		else
			r->rule = true;
	}
	return wait;
}

static void install_pending(struct mpsd *d, void *data)
{
	bool again = false;

	for (size_t i = 0; i < d->routes.n_recs; i++)
		again |= install(d, &d->routes.recs[i]);
	if (again)
		timer_arm(d, &d->routes.install_timer, GW_RETRY_MS, install_pending, NULL);
}

/* Called from inside rtnetlink dumps and notifications: the work is deferred
 * to a timer, as the rtnetlink socket is busy until the callback returns. */
static void schedule_install(struct mpsd *d)
{
	if (!d->routes.install_timer.due_ms)
		timer_arm(d, &d->routes.install_timer, 0, install_pending, NULL);
}

void route_addr_added(struct mpsd *d, const struct mps_ifaddr *a)
{
	struct route_rec *r;

	if (!wanted(d, a))
		return;
	for (size_t i = 0; i < d->routes.n_recs; i++)
		if (mps_addr_same_ip(&d->routes.recs[i].addr, &a->addr))
			return;
	r = realloc(d->routes.recs, (d->routes.n_recs + 1) * sizeof(*r));
	if (!r)
		return;
	d->routes.recs = r;
	r = &d->routes.recs[d->routes.n_recs++];
	memset(r, 0, sizeof(*r));
	r->ifindex = a->ifindex;
	r->addr = a->addr;
	r->family = a->addr.family;
	r->table = d->cfg.table_base + (uint32_t)a->ifindex;
	r->prio = d->cfg.rule_prio;
	schedule_install(d);
}

static bool table_shared(struct mpsd *d, size_t skip, int family)
{
	for (size_t i = 0; i < d->routes.n_recs; i++)
		if (i != skip && d->routes.recs[i].table == d->routes.recs[skip].table &&
		    d->routes.recs[i].family == family &&
		    d->routes.recs[i].route)
			return true;
	return false;
}

static void uninstall(struct mpsd *d, size_t i)
{
	struct route_rec *r = &d->routes.recs[i];

	if (r->rule)
		mps_rtnl_rule_del(r->table, r->prio, &r->addr);
	if (r->route && !table_shared(d, i, r->family))
		mps_rtnl_route_del(r->table, r->ifindex,
				   mps_addr_is_set(&r->gw) ? &r->gw : NULL, r->family);
	d->routes.recs[i] = d->routes.recs[--d->routes.n_recs];
}

void route_addr_removed(struct mpsd *d, const struct mps_ifaddr *a)
{
	for (size_t i = 0; i < d->routes.n_recs; i++) {
		if (mps_addr_same_ip(&d->routes.recs[i].addr, &a->addr)) {
			uninstall(d, i);
			return;
		}
	}
}

/* The kernel drops routes of an interface that went down: put ours back. */
void route_iface_up(struct mpsd *d, int ifindex)
{
	for (size_t i = 0; i < d->routes.n_recs; i++) {
		if (d->routes.recs[i].ifindex != ifindex)
			continue;
		d->routes.recs[i].route = false;
	}
	schedule_install(d);
}

void route_cleanup_all(struct mpsd *d)
{
	timer_cancel(d, &d->routes.install_timer);
	while (d->routes.n_recs)
		uninstall(d, d->routes.n_recs - 1);
	free(d->routes.recs);
	d->routes.recs = NULL;
}

void route_config_changed(struct mpsd *d)
{
	/* Records keep the table and priority they were made with; a changed
	 * table_base or rule_priority applies after this fresh start. */
	route_cleanup_all(d);
	if (d->cfg.source_routing)
		links_foreach_addr(d, route_addr_added);
}
