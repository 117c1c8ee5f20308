/* SPDX-License-Identifier: MIT */
/*
 * The snapshot: the MPTCP dump and the TCP subflow dump joined by the local
 * token, decorated with interface names (rtnl) and owners (proc).
 *
 * The two dumps are not atomic: a subflow whose connection appeared or left
 * between them has no match and is dropped; a connection may show fewer
 * subflows than mptcp_info reports. Callers wanting exactness take another
 * snapshot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>

#include "mpsteer/diag.h"
#include "mpsteer/proc.h"
#include "mpsteer/rtnl.h"

/* A growable array of fixed-size items. */
struct vec {
	void *items;
	size_t n, cap, size;
};

static void *vec_push(struct vec *v)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		void *p = realloc(v->items, cap * v->size);

		if (!p)
			return NULL;
		v->items = p;
		v->cap = cap;
	}
	return (char *)v->items + v->n++ * v->size;
}

static int collect_conn(const struct mps_conn *c, void *data)
{
	struct mps_conn *slot = vec_push(data);

	if (!slot)
		return -ENOMEM;
	*slot = *c;
	return 0;
}

static int collect_subflow(const struct mps_subflow *s, void *data)
{
	struct mps_subflow *slot = vec_push(data);

	if (!slot)
		return -ENOMEM;
	*slot = *s;
	return 0;
}

static int cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

static int conn_cmp_token(const void *a, const void *b)
{
	const struct mps_conn *x = a, *y = b;

	return cmp_u32(x->token, y->token);
}

static int conn_cmp(const void *a, const void *b)
{
	const struct mps_conn *x = a, *y = b;

	return conn_cmp_token(a, b) ?: cmp_u32(x->inode, y->inode);
}

/*
 * Subflows grouped by connection token, then (loc_id, local port) for stable
 * output. On a server every subflow has loc_id 0 and the listening port, so
 * (rem_id, remote port) break the tie; subflows share their connection's inode.
 */
static int subflow_cmp(const void *a, const void *b)
{
	const struct mps_subflow *x = a, *y = b;

	return cmp_u32(x->token_loc, y->token_loc) ?: cmp_u32(x->loc_id, y->loc_id) ?:
	       cmp_u32(x->local.port, y->local.port) ?: cmp_u32(x->rem_id, y->rem_id) ?:
	       cmp_u32(x->remote.port, y->remote.port);
}

/*
 * Route lookups by (local, remote) address pair: the many connections of a
 * client to one server share a few pairs, and each lookup is a netlink round
 * trip. Bounded; pairs beyond the bound are looked up every time.
 */
#define ROUTE_CACHE_MAX 256
struct route_cache {
	struct mps_router *rt;
	size_t n;
	struct {
		struct mps_addr local, remote;
		int oif;
	} e[ROUTE_CACHE_MAX];
};

static int route_cache_oif(struct route_cache *rc, const struct mps_addr *local,
			   const struct mps_addr *remote)
{
	int oif = 0;
	size_t i;

	for (i = 0; i < rc->n; i++)
		if (mps_addr_same_ip(&rc->e[i].local, local) &&
		    mps_addr_same_ip(&rc->e[i].remote, remote))
			return rc->e[i].oif;
	if (!rc->rt || mps_router_oif(rc->rt, local, remote, &oif))
		oif = 0;
	if (rc->n < ROUTE_CACHE_MAX) {
		rc->e[rc->n].local = *local;
		rc->e[rc->n].remote = *remote;
		rc->e[rc->n++].oif = oif;
	}
	return oif;
}

/*
 * The bound device if any, else the interface the kernel routes local ->
 * remote through (a server's joined subflows keep the server's initial
 * address but travel the client's other path), else the interface holding
 * the local address.
 */
static void subflow_ifname(struct mps_subflow *s, const struct mps_ifcache *ifc,
			   struct route_cache *rc)
{
	const struct mps_ifaddr *ia;
	const struct mps_link *l;

	if (!ifc)
		return;
	if (!s->ifindex)
		s->ifindex = route_cache_oif(rc, &s->local, &s->remote);
	if (!s->ifindex) {
		ia = mps_ifcache_addr(ifc, &s->local);
		if (ia)
			s->ifindex = ia->ifindex;
	}
	l = s->ifindex ? mps_ifcache_link(ifc, s->ifindex) : NULL;
	if (l)
		memcpy(s->ifname, l->name, sizeof(s->ifname));
}

/* Hands each connection its run of the sorted subflow array (copied: conns own theirs). */
static int join(struct mps_snapshot *snap, struct mps_subflow *sf, size_t n_sf)
{
	size_t i, j = 0, k;
	struct mps_conn *c;

	for (i = 0; i < snap->n_conns; i++) {
		c = &snap->conns[i];
		while (j < n_sf && sf[j].token_loc < c->token)
			j++;
		for (k = j; k < n_sf && sf[k].token_loc == c->token; k++)
			;
		/* Token 0: a listener, or a socket not yet (or no longer) hashed. */
		if (k == j || !c->token)
			continue;
		c->subflows = malloc((k - j) * sizeof(*sf));
		if (!c->subflows)
			return -ENOMEM;
		memcpy(c->subflows, &sf[j], (k - j) * sizeof(*sf));
		c->n_subflows = k - j;
	}
	return 0;
}

static void resolve_owners(struct mps_snapshot *snap)
{
	struct mps_proc_map *pm;
	struct mps_conn *c;
	size_t i;

	/* Owners are decoration: a failed /proc scan leaves pid 0. */
	if (mps_proc_map_new(&pm))
		return;
	for (i = 0; i < snap->n_conns; i++) {
		c = &snap->conns[i];
		if (mps_proc_map_lookup(pm, c->inode, &c->pid, c->comm)) {
			c->pid = 0;
			c->comm[0] = '\0';
		}
	}
	mps_proc_map_free(pm);
}

static int snapshot_build(unsigned what, struct mps_snapshot *snap)
{
	struct vec conns = { .size = sizeof(struct mps_conn) };
	struct vec sfs = { .size = sizeof(struct mps_subflow) };
	struct mps_ifcache *ifc = NULL;
	struct route_cache *rc = NULL;
	size_t i;
	int err;

	err = mps_diag_conns(false, collect_conn, &conns);
	snap->conns = conns.items;
	snap->n_conns = conns.n;
	if (!err)
		err = mps_diag_subflows(collect_subflow, &sfs);
	if (err)
		goto out;
	/* Interface names are decoration too: without rtnl, ifname stays "". */
	mps_ifcache_new(&ifc);
	rc = calloc(1, sizeof(*rc));
	if (!rc) {
		err = -ENOMEM;
		goto out;
	}
	mps_router_new(&rc->rt);
	for (i = 0; i < sfs.n; i++)
		subflow_ifname((struct mps_subflow *)sfs.items + i, ifc, rc);
	qsort(snap->conns, snap->n_conns, sizeof(*snap->conns), conn_cmp);
	qsort(sfs.items, sfs.n, sizeof(struct mps_subflow), subflow_cmp);
	err = join(snap, sfs.items, sfs.n);
	if (!err && (what & MPS_SNAP_OWNERS))
		resolve_owners(snap);
out:
	if (rc)
		mps_router_free(rc->rt);
	free(rc);
	mps_ifcache_free(ifc);
	free(sfs.items);
	return err;
}

int mps_snapshot_new(unsigned what, struct mps_snapshot **out)
{
	struct mps_snapshot *snap = calloc(1, sizeof(*snap));
	int err;

	*out = NULL;
	if (!snap)
		return -ENOMEM;
	err = snapshot_build(what, snap);
	if (err) {
		mps_snapshot_free(snap);
		return err < 0 ? err : -EIO;
	}
	*out = snap;
	return 0;
}

void mps_snapshot_free(struct mps_snapshot *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n_conns; i++)
		free(s->conns[i].subflows);
	free(s->conns);
	free(s);
}

struct mps_conn *mps_snapshot_find(const struct mps_snapshot *s, uint32_t token)
{
	struct mps_conn key = { .token = token };

	if (!s || !s->n_conns)
		return NULL;
	return bsearch(&key, s->conns, s->n_conns, sizeof(*s->conns), conn_cmp_token);
}

const char *mps_tcp_state_name(uint8_t state)
{
	static const char *const names[] = {
		[TCP_ESTABLISHED] = "ESTAB",
		[TCP_SYN_SENT] = "SYN-SENT",
		[TCP_SYN_RECV] = "SYN-RECV",
		[TCP_FIN_WAIT1] = "FIN-WAIT-1",
		[TCP_FIN_WAIT2] = "FIN-WAIT-2",
		[TCP_TIME_WAIT] = "TIME-WAIT",
		[TCP_CLOSE] = "UNCONN",
		[TCP_CLOSE_WAIT] = "CLOSE-WAIT",
		[TCP_LAST_ACK] = "LAST-ACK",
		[TCP_LISTEN] = "LISTEN",
		[TCP_CLOSING] = "CLOSING",
		[12] = "NEW-SYN-RECV",
	};

	if (state < sizeof(names) / sizeof(names[0]) && names[state])
		return names[state];
	return "UNKNOWN";
}
