/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink: links, addresses, and the routing pieces the daemon manages.
 */
#ifndef MPSTEER_RTNL_H
#define MPSTEER_RTNL_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "mpsteer.h"

struct mps_link {
	int ifindex;
	char name[IF_NAMESIZE];
	unsigned flags;    /* IFF_* */
	uint8_t operstate; /* IF_OPER_* */
	bool up;           /* IFF_UP */
	bool carrier;      /* IFF_LOWER_UP */
	bool loopback;     /* IFF_LOOPBACK */
	char kind[16];     /* IFLA_INFO_KIND ("veth", "bridge", ...), "" if none */
	uint64_t rx_bytes, tx_bytes; /* IFLA_STATS64, 0 when absent */
};

struct mps_ifaddr {
	int ifindex;
	struct mps_addr addr; /* port 0 */
	uint8_t prefixlen;
	uint8_t scope;     /* RT_SCOPE_* */
	uint32_t flags;    /* IFA_F_* (IFA_FLAGS when present) */
};

typedef int (*mps_link_cb)(const struct mps_link *l, void *data);
typedef int (*mps_ifaddr_cb)(const struct mps_ifaddr *a, void *data);

int mps_rtnl_links(mps_link_cb cb, void *data);
/* family: AF_INET, AF_INET6 or AF_UNSPEC for both. */
int mps_rtnl_addrs(int family, mps_ifaddr_cb cb, void *data);

/* Small in-memory tables for lookups by the snapshot and the CLI. */
struct mps_ifcache {
	size_t n_links, n_addrs;
	struct mps_link *links;
	struct mps_ifaddr *addrs;
};
int mps_ifcache_new(struct mps_ifcache **out);
void mps_ifcache_free(struct mps_ifcache *c);
const struct mps_link *mps_ifcache_link(const struct mps_ifcache *c, int ifindex);
const struct mps_link *mps_ifcache_link_by_name(const struct mps_ifcache *c, const char *name);
/* Interface holding this local address (ports ignored), or NULL. */
const struct mps_ifaddr *mps_ifcache_addr(const struct mps_ifcache *c, const struct mps_addr *a);

/*
 * Route lookups: the interface a packet from src to dst leaves through, as
 * the kernel decides it now (RTM_GETROUTE with source, honouring policy
 * rules). A subflow's interface is this one — not the one holding its local
 * address: a server's joined subflows keep the server's initial address but
 * travel the path the client chose.
 */
struct mps_router;
int mps_router_new(struct mps_router **out);
void mps_router_free(struct mps_router *r);
/* -ENETUNREACH / -EHOSTUNREACH when there is no route. */
int mps_router_oif(struct mps_router *r, const struct mps_addr *src, const struct mps_addr *dst,
		   int *oif);

/* Change notifications (daemon): RTMGRP_LINK | IPv4/IPv6 address groups. */
enum mps_rtnl_ev_type { MPS_RTNL_LINK_NEW, MPS_RTNL_LINK_DEL, MPS_RTNL_ADDR_NEW, MPS_RTNL_ADDR_DEL };
struct mps_rtnl_event {
	enum mps_rtnl_ev_type type;
	struct mps_link link;     /* LINK_* */
	struct mps_ifaddr ifaddr; /* ADDR_* */
};
typedef int (*mps_rtnl_ev_cb)(const struct mps_rtnl_event *ev, void *data);
struct mps_rtnl;
int mps_rtnl_monitor_new(struct mps_rtnl **out);
void mps_rtnl_free(struct mps_rtnl *r);
int mps_rtnl_fd(const struct mps_rtnl *r);
/* Like mps_pm_recv_events: 0, -EAGAIN, -ENOBUFS (resync), or cb's value. */
int mps_rtnl_recv(struct mps_rtnl *r, mps_rtnl_ev_cb cb, void *data);

/* Source routing: table `table` gets a default route via gw (or a link route when
 * gw is unset) out of ifindex, and a rule "from addr lookup table" with priority prio.
 * All return 0 / -errno; add is idempotent (-EEXIST is treated as success). */
int mps_rtnl_route_add(uint32_t table, int ifindex, const struct mps_addr *gw, int family);
int mps_rtnl_route_del(uint32_t table, int ifindex, const struct mps_addr *gw, int family);
int mps_rtnl_rule_add(uint32_t table, uint32_t prio, const struct mps_addr *from);
int mps_rtnl_rule_del(uint32_t table, uint32_t prio, const struct mps_addr *from);
/* Default gateway of the main table reached through ifindex (for route_add), -ENOENT if none. */
int mps_rtnl_gateway_of(int ifindex, int family, struct mps_addr *gw);

#endif
