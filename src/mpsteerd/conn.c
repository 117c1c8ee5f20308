/* SPDX-License-Identifier: MIT */
/*
 * The connection table: a hash by local token. Every connection the daemon
 * knows lives here from its CREATED event (or adoption) until its CLOSED
 * event (or until reconciliation finds it gone), and is then freed whole.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpsteerd.h"

static size_t slot(uint32_t token, size_t n)
{
	/* Tokens are random already; the multiply spreads low-entropy test values. */
	return (size_t)((token * 2654435761u) % n);
}

static int rehash(struct mpsd_conns *t, size_t n)
{
	struct mpsd_conn **b = calloc(n, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_buckets; i++) {
		struct mpsd_conn *c = t->buckets[i], *next;

		for (; c; c = next) {
			next = c->hnext;
			c->hnext = b[slot(c->token, n)];
			b[slot(c->token, n)] = c;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->n_buckets = n;
	return 0;
}

static int grow(struct mpsd_conns *t)
{
	return rehash(t, t->n_buckets ? t->n_buckets * 2 : 256);
}

/* Shrinks after a burst so that memory returns to its starting level;
 * the hysteresis (1/8 vs. full) keeps it from resizing back and forth. */
static void maybe_shrink(struct mpsd_conns *t)
{
	size_t n = t->n_buckets;

	if (n <= 256 || t->n * 8 > t->n_buckets)
		return;
	while (n > 256 && t->n * 2 < n / 2)
		n /= 2;
	rehash(t, n); /* on ENOMEM the old table stays */
}

struct mpsd_conn *conn_find(struct mpsd *d, uint32_t token)
{
	struct mpsd_conns *t = &d->conns;

	if (!t->n_buckets)
		return NULL;
	for (struct mpsd_conn *c = t->buckets[slot(token, t->n_buckets)]; c; c = c->hnext)
		if (c->token == token)
			return c;
	return NULL;
}

struct mpsd_conn *conn_new(struct mpsd *d, uint32_t token)
{
	struct mpsd_conns *t = &d->conns;
	struct mpsd_conn *c;

	if (t->n >= t->n_buckets && grow(t))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->token = token;
	c->hnext = t->buckets[slot(token, t->n_buckets)];
	t->buckets[slot(token, t->n_buckets)] = c;
	t->n++;
	return c;
}

void conn_free(struct mpsd *d, struct mpsd_conn *c)
{
	struct mpsd_conns *t = &d->conns;
	struct mpsd_conn **pp;

	if (!c)
		return;
	timer_cancel(d, &c->timer);
	conn_unmark(d, c);
	conn_steer_unlink(d, c);
	for (pp = &t->buckets[slot(c->token, t->n_buckets)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == c) {
			*pp = c->hnext;
			t->n--;
			break;
		}
	}
	free(c->sf);
	free(c);
	maybe_shrink(t);
}

size_t conn_count(struct mpsd *d)
{
	return d->conns.n;
}

void conn_foreach(struct mpsd *d, conn_iter_cb cb, void *data)
{
	/* Collect first: cb may free connections (and shrink the table). */
	struct mpsd_conns *t = &d->conns;
	struct mpsd_conn **all;
	size_t n = 0;

	if (!t->n)
		return;
	all = malloc(t->n * sizeof(*all));
	if (!all)
		return;
	for (size_t i = 0; i < t->n_buckets; i++)
		for (struct mpsd_conn *c = t->buckets[i]; c; c = c->hnext)
			all[n++] = c;
	for (size_t i = 0; i < n; i++)
		cb(d, all[i], data);
	free(all);
}

void conn_free_all(struct mpsd *d)
{
	struct mpsd_conns *t = &d->conns;

	for (size_t i = 0; i < t->n_buckets; i++) {
		struct mpsd_conn *c = t->buckets[i], *next;

		for (; c; c = next) {
			next = c->hnext;
			timer_cancel(d, &c->timer);
			conn_unmark(d, c);
			conn_steer_unlink(d, c);
			free(c->sf);
			free(c);
		}
	}
	free(t->buckets);
	t->buckets = NULL;
	t->n_buckets = t->n = 0;
}

void conn_mark_dirty(struct mpsd *d, struct mpsd_conn *c)
{
	struct mpsd_conns *t = &d->conns;

	if (c->dirty)
		return;
	c->dirty = true;
	c->dprev = NULL;
	c->dnext = t->dirty;
	if (t->dirty)
		t->dirty->dprev = c;
	t->dirty = c;
}

void conn_unmark(struct mpsd *d, struct mpsd_conn *c)
{
	if (!c->dirty)
		return;
	if (c->dprev)
		c->dprev->dnext = c->dnext;
	else
		d->conns.dirty = c->dnext;
	if (c->dnext)
		c->dnext->dprev = c->dprev;
	c->dirty = false;
	c->dnext = c->dprev = NULL;
}

struct mpsd_conn *conn_dirty_pop(struct mpsd *d)
{
	struct mpsd_conn *c = d->conns.dirty;

	if (c)
		conn_unmark(d, c);
	return c;
}

struct mpsd_sf *conn_sf_add(struct mpsd_conn *c)
{
	if (c->n_sf == c->cap_sf) {
		size_t n = c->cap_sf ? c->cap_sf * 2 : 4;
		struct mpsd_sf *s = realloc(c->sf, n * sizeof(*s));

		if (!s)
			return NULL;
		c->sf = s;
		c->cap_sf = n;
	}
	memset(&c->sf[c->n_sf], 0, sizeof(c->sf[0]));
	return &c->sf[c->n_sf++];
}

void conn_sf_del(struct mpsd_conn *c, struct mpsd_sf *sf)
{
	size_t i = (size_t)(sf - c->sf);

	if (i >= c->n_sf)
		return;
	c->sf[i] = c->sf[--c->n_sf];
}

static bool port_ok(const struct mps_addr *want, const struct mps_addr *have)
{
	return !want->port || !have->port || want->port == have->port;
}

struct mpsd_sf *conn_sf_find(struct mpsd_conn *c, const struct mps_addr *local,
			     const struct mps_addr *remote)
{
	for (size_t i = 0; i < c->n_sf; i++) {
		struct mpsd_sf *s = &c->sf[i];

		if (mps_addr_same_ip(&s->local, local) && mps_addr_same_ip(&s->remote, remote) &&
		    port_ok(local, &s->local) && port_ok(remote, &s->remote))
			return s;
	}
	return NULL;
}

void conn_local_id_note(struct mpsd_conn *c, const struct mps_addr *addr, uint8_t id)
{
	struct mps_addr a = *addr;

	a.port = 0;
	for (size_t i = 0; i < c->n_lids; i++)
		if (mps_addr_same_ip(&c->lids[i].addr, &a))
			return;
	if (c->n_lids < sizeof(c->lids) / sizeof(c->lids[0]))
		c->lids[c->n_lids++] = (struct mpsd_lid){ .addr = a, .id = id };
}

int conn_local_id(struct mpsd_conn *c, const struct mps_addr *addr)
{
	uint8_t used[32] = { 0 };

	if (mps_addr_same_ip(addr, &c->local0))
		return 0;
	for (size_t i = 0; i < c->n_lids; i++) {
		if (mps_addr_same_ip(&c->lids[i].addr, addr))
			return c->lids[i].id;
		used[c->lids[i].id / 8] |= (uint8_t)(1 << (c->lids[i].id % 8));
	}
	if (c->n_lids >= sizeof(c->lids) / sizeof(c->lids[0]))
		return -ENOSPC;
	for (int id = 1; id < 256; id++) {
		if (!(used[id / 8] & (1 << (id % 8)))) {
			conn_local_id_note(c, addr, (uint8_t)id);
			return id;
		}
	}
	return -ENOSPC;
}

struct mpsd_retry *conn_retry(struct mpsd_conn *c, const struct mps_addr *local,
			      const struct mps_addr *remote, bool create)
{
	size_t n = sizeof(c->retry) / sizeof(c->retry[0]);

	for (size_t i = 0; i < c->n_retry; i++)
		if (mps_addr_same_ip(&c->retry[i].local, local) &&
		    mps_addr_same_ip(&c->retry[i].remote, remote))
			return &c->retry[i];
	if (!create)
		return NULL;
	if (c->n_retry == n) /* forget the oldest path */
		memmove(c->retry, c->retry + 1, (--c->n_retry) * sizeof(c->retry[0]));
	c->retry[c->n_retry] = (struct mpsd_retry){ .local = *local, .remote = *remote };
	return &c->retry[c->n_retry++];
}

const char *conn_policy_name(struct mpsd *d, const struct mpsd_conn *c, char *buf, size_t len)
{
	if (c->unmanaged)
		snprintf(buf, len, "unmanaged");
	else
		mpsd_policy_format(c->server_side ? &d->cfg.server : &d->cfg.client, buf, len);
	return buf;
}

/* The connection a request may override: managed by us, else -ENOENT with the reason. */
static struct mpsd_conn *overridable(struct mpsd *d, uint32_t token, char *err, size_t errlen)
{
	struct mpsd_conn *c = conn_find(d, token);

	if (!c || c->unmanaged) {
		snprintf(err, errlen, "token 0x%08x is not managed by this daemon", token);
		return NULL;
	}
	return c;
}

int conn_override_set(struct mpsd *d, uint32_t token, const char *via,
		      const struct mps_ifcache *ifc, struct mpsd_conn **out, char *err,
		      size_t errlen)
{
	struct mpsd_conn *c = overridable(d, token, err, errlen);
	struct mps_path p;
	int ret;

	if (!c)
		return -ENOENT;
	if (strlen(via) >= sizeof(c->override)) {
		snprintf(err, errlen, "path too long");
		return -EINVAL;
	}
	ret = mps_path_parse(via, ifc, &p, err, errlen);
	if (ret)
		return ret;
	c->override_path = p;
	c->has_override = true;
	snprintf(c->override, sizeof(c->override), "%s", via);
	*out = c;
	return 0;
}

int conn_override_clear(struct mpsd *d, uint32_t token, struct mpsd_conn **out, char *err,
			size_t errlen)
{
	struct mpsd_conn *c = overridable(d, token, err, errlen);

	if (!c)
		return -ENOENT;
	c->has_override = false;
	c->override[0] = '\0';
	*out = c;
	return 0;
}

void conn_steer_link(struct mpsd *d, struct mpsd_conn *c)
{
	struct mpsd_conns *t = &d->conns;

	if (c->steer.listed)
		return;
	c->steer.listed = true;
	c->steer.sprev = NULL;
	c->steer.snext = t->steered;
	if (t->steered)
		t->steered->steer.sprev = c;
	t->steered = c;
	t->n_steered++;
}

void conn_steer_unlink(struct mpsd *d, struct mpsd_conn *c)
{
	if (!c->steer.listed)
		return;
	if (c->steer.sprev)
		c->steer.sprev->steer.snext = c->steer.snext;
	else
		d->conns.steered = c->steer.snext;
	if (c->steer.snext)
		c->steer.snext->steer.sprev = c->steer.sprev;
	c->steer.listed = false;
	c->steer.snext = c->steer.sprev = NULL;
	d->conns.n_steered--;
}
