/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toprates.h"

const char *top_sort_name(enum top_sort s)
{
	static const char *const names[] = { "rate", "send", "recv", "token" };

	return s < TOP_SORT_N ? names[s] : "?";
}

const char *top_rate(double bps, char *buf, size_t len)
{
	if (bps >= 1e9)
		snprintf(buf, len, "%.2f Gbit/s", bps / 1e9);
	else if (bps >= 1e6)
		snprintf(buf, len, "%.1f Mbit/s", bps / 1e6);
	else if (bps >= 1e3)
		snprintf(buf, len, "%.1f kbit/s", bps / 1e3);
	else
		snprintf(buf, len, "%.0f bit/s", bps);
	return buf;
}

static const struct mps_subflow *prev_sf(const struct mps_snapshot *prev, uint32_t token,
					 const struct mps_subflow *sf)
{
	const struct mps_conn *c = prev ? mps_snapshot_find(prev, token) : NULL;
	size_t i;

	for (i = 0; c && i < c->n_subflows; i++)
		if (mps_addr_equal(&c->subflows[i].local, &sf->local) &&
		    mps_addr_equal(&c->subflows[i].remote, &sf->remote))
			return &c->subflows[i];
	return NULL;
}

/* Bytes since prev as bit/s; a counter that went back (a reused tuple) counts from zero. */
static double rate(uint64_t now, uint64_t before, uint64_t interval_ms)
{
	if (!interval_ms)
		return 0;
	return (double)(now >= before ? now - before : now) * 8000.0 / (double)interval_ms;
}

static int add_iface(struct top_view *v, const struct top_sf *t)
{
	const char *name = t->sf->ifname[0] ? t->sf->ifname : "?";
	struct top_iface *x;
	size_t i;

	for (i = 0; i < v->n_ifaces; i++)
		if (!strcmp(v->ifaces[i].name, name))
			break;
	if (i == v->n_ifaces) {
		x = realloc(v->ifaces, (v->n_ifaces + 1) * sizeof(*x));
		if (!x)
			return -ENOMEM;
		v->ifaces = x;
		memset(&x[i], 0, sizeof(x[i]));
		snprintf(x[i].name, sizeof(x[i].name), "%s", name);
		v->n_ifaces++;
	}
	v->ifaces[i].send_bps += t->send_bps;
	v->ifaces[i].recv_bps += t->recv_bps;
	v->ifaces[i].subflows++;
	return 0;
}

static int conn_build(const struct mps_snapshot *prev, const struct mps_conn *c, uint64_t ms,
		      struct top_view *v, struct top_conn *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->c = c;
	out->sf = calloc(c->n_subflows ? c->n_subflows : 1, sizeof(*out->sf));
	if (!out->sf)
		return -ENOMEM;
	for (i = 0; i < c->n_subflows; i++) {
		const struct mps_subflow *sf = &c->subflows[i], *p = prev_sf(prev, c->token, sf);
		struct top_sf *t = &out->sf[out->n_sf++];

		t->sf = sf;
		if (prev) {
			t->send_bps = rate(sf->bytes_acked, p ? p->bytes_acked : 0, ms);
			t->recv_bps = rate(sf->bytes_received, p ? p->bytes_received : 0, ms);
		}
		out->send_bps += t->send_bps;
		out->recv_bps += t->recv_bps;
		if (add_iface(v, t))
			return -ENOMEM;
	}
	return 0;
}

static enum top_sort sort_key;

static int cmp_conn(const void *a, const void *b)
{
	const struct top_conn *x = a, *y = b;
	double kx, ky;

	switch (sort_key) {
	case TOP_SORT_SEND: kx = x->send_bps; ky = y->send_bps; break;
	case TOP_SORT_RECV: kx = x->recv_bps; ky = y->recv_bps; break;
	case TOP_SORT_TOKEN: kx = -(double)x->c->token; ky = -(double)y->c->token; break;
	default: kx = x->send_bps + x->recv_bps; ky = y->send_bps + y->recv_bps; break;
	}
	if (kx != ky)
		return kx < ky ? 1 : -1;
	return x->c->token < y->c->token ? -1 : x->c->token > y->c->token;
}

static int cmp_iface(const void *a, const void *b)
{
	return strcmp(((const struct top_iface *)a)->name, ((const struct top_iface *)b)->name);
}

int top_view_build(const struct mps_snapshot *prev, const struct mps_snapshot *cur,
		   uint64_t interval_ms, enum top_sort sort,
		   bool (*keep)(const struct mps_conn *c, void *data), void *data,
		   struct top_view *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->conns = calloc(cur->n_conns ? cur->n_conns : 1, sizeof(*out->conns));
	if (!out->conns)
		return -ENOMEM;
	for (i = 0; i < cur->n_conns; i++) {
		if (keep && !keep(&cur->conns[i], data))
			continue;
		if (conn_build(prev, &cur->conns[i], interval_ms, out, &out->conns[out->n_conns++])) {
			top_view_free(out);
			return -ENOMEM;
		}
	}
	sort_key = sort;
	qsort(out->conns, out->n_conns, sizeof(*out->conns), cmp_conn);
	qsort(out->ifaces, out->n_ifaces, sizeof(*out->ifaces), cmp_iface);
	return 0;
}

void top_view_free(struct top_view *v)
{
	size_t i;

	for (i = 0; v && i < v->n_conns; i++)
		free(v->conns[i].sf);
	if (v) {
		free(v->conns);
		free(v->ifaces);
		memset(v, 0, sizeof(*v));
	}
}
