/* SPDX-License-Identifier: MIT */
/*
 * mpsteer top's arithmetic, without I/O (unit-tested): rates from two
 * snapshots, the connections sorted, per-interface totals.
 */
#ifndef MPS_TOPRATES_H
#define MPS_TOPRATES_H

#include <net/if.h>
#include <stdint.h>

#include "mpsteer/diag.h"

enum top_sort { TOP_SORT_RATE, TOP_SORT_SEND, TOP_SORT_RECV, TOP_SORT_TOKEN, TOP_SORT_N };
const char *top_sort_name(enum top_sort s);

struct top_sf {
	const struct mps_subflow *sf; /* borrowed from the current snapshot */
	double send_bps, recv_bps;    /* bit/s over the interval */
};
struct top_conn {
	const struct mps_conn *c;     /* borrowed */
	double send_bps, recv_bps;    /* sum of its subflows */
	size_t n_sf;
	struct top_sf *sf;            /* owned */
};
struct top_iface {
	char name[IF_NAMESIZE];
	double send_bps, recv_bps;
	unsigned subflows;
};
struct top_view {
	size_t n_conns, n_ifaces;
	struct top_conn *conns;       /* sorted */
	struct top_iface *ifaces;     /* by name */
};

/*
 * The view of cur against prev (may be NULL: no rates yet) over interval_ms; a subflow
 * new since prev counts from zero. keep(c, data) selects connections (NULL: all).
 * 0 or -ENOMEM. The view borrows from cur: free it before cur.
 */
int top_view_build(const struct mps_snapshot *prev, const struct mps_snapshot *cur,
		   uint64_t interval_ms, enum top_sort sort,
		   bool (*keep)(const struct mps_conn *c, void *data), void *data,
		   struct top_view *out);
void top_view_free(struct top_view *v);
/* "12.3 Mbit/s" style into buf. */
const char *top_rate(double bps, char *buf, size_t len);

#endif
