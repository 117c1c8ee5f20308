/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpsteer/pm.h"
#include "mpsteer/proc.h"
#include "mpsteer/steer.h"

static int parse_u32(const char *s, uint32_t *out)
{
	return mps_parse_u32(s, UINT32_MAX, out) ? -EINVAL : 0;
}

int mps_selector_parse(const char *kind, const char *value, struct mps_selector *out, char *err,
		       size_t errlen)
{
	uint32_t v;

	memset(out, 0, sizeof(*out));
	if (!kind || !value) {
		snprintf(err, errlen, "a selector is \"token T\", \"pid P\" or \"peer ADDR[:PORT]\"");
		return -EINVAL;
	}
	if (!strcmp(kind, "token")) {
		out->kind = MPS_SEL_TOKEN;
		if (parse_u32(value, &out->token) == 0)
			return 0;
		snprintf(err, errlen, "invalid token \"%s\" (a 32-bit number)", value);
	} else if (!strcmp(kind, "pid")) {
		out->kind = MPS_SEL_PID;
		if (parse_u32(value, &v) == 0 && v > 0 && v <= 4194304) {
			out->pid = (pid_t)v;
			return 0;
		}
		snprintf(err, errlen, "invalid pid \"%s\"", value);
	} else if (!strcmp(kind, "peer")) {
		out->kind = MPS_SEL_PEER;
		if (mps_addr_parse(value, true, &out->peer) == 0)
			return 0;
		snprintf(err, errlen, "invalid peer \"%s\" (ADDR, ADDR:PORT or [ADDR6]:PORT)", value);
	} else {
		snprintf(err, errlen, "unknown selector \"%s\" (token, pid or peer)", kind);
	}
	return -EINVAL;
}

int mps_path_parse(const char *s, const struct mps_ifcache *ifc, struct mps_path *out, char *err,
		   size_t errlen)
{
	const struct mps_link *l;

	memset(out, 0, sizeof(*out));
	l = ifc ? mps_ifcache_link_by_name(ifc, s) : NULL;
	if (l) {
		out->kind = MPS_PATH_IFACE;
		out->ifindex = l->ifindex;
		snprintf(out->ifname, sizeof(out->ifname), "%s", l->name);
		return 0;
	}
	if (mps_addr_parse(s, true, &out->addr)) {
		snprintf(err, errlen, "path \"%s\" is neither an interface of this namespace nor an address",
			 s);
		return -EINVAL;
	}
	out->kind = ifc && mps_ifcache_addr(ifc, &out->addr) ? MPS_PATH_LOCAL : MPS_PATH_REMOTE;
	return 0;
}

static bool addr_match(const struct mps_addr *want, const struct mps_addr *have)
{
	struct mps_addr h = *have;

	mps_addr_unmap(&h);
	return mps_addr_same_ip(want, &h) && (!want->port || want->port == h.port);
}

bool mps_selector_match(const struct mps_selector *sel, const struct mps_conn *c,
			const struct mps_proc_map *owners)
{
	switch (sel->kind) {
	case MPS_SEL_TOKEN:
		return c->token == sel->token;
	case MPS_SEL_PID:
		if (owners)
			return mps_proc_map_owns(owners, sel->pid, c->inode) > 0;
		return c->pid == sel->pid;
	case MPS_SEL_PEER:
		return addr_match(&sel->peer, &c->remote);
	}
	return false;
}

bool mps_path_match(const struct mps_path *p, const struct mps_subflow *sf)
{
	switch (p->kind) {
	case MPS_PATH_IFACE:
		return sf->ifindex == p->ifindex;
	case MPS_PATH_LOCAL:
		return addr_match(&p->addr, &sf->local);
	case MPS_PATH_REMOTE:
		return addr_match(&p->addr, &sf->remote);
	}
	return false;
}

void mps_plan_free(struct mps_plan *p)
{
	if (!p)
		return;
	free(p->changes);
	p->changes = NULL;
	p->n = p->n_conns = 0;
}

static const char *path_text(const struct mps_path *p, char *buf, size_t len)
{
	if (p->kind == MPS_PATH_IFACE)
		snprintf(buf, len, "%s", p->ifname);
	else
		mps_addr_format(&p->addr, buf, len);
	return buf;
}

static const char *sel_text(const struct mps_selector *s, char *buf, size_t len)
{
	char a[MPS_ADDRSTRLEN];

	switch (s->kind) {
	case MPS_SEL_TOKEN:
		snprintf(buf, len, "token %u", s->token);
		break;
	case MPS_SEL_PID:
		snprintf(buf, len, "pid %d", (int)s->pid);
		break;
	case MPS_SEL_PEER:
		snprintf(buf, len, "peer %s", mps_addr_format(&s->peer, a, sizeof(a)));
		break;
	}
	return buf;
}

/* Checks one selected connection; returns how many established subflows are on the path. */
static int conn_check(const struct mps_conn *c, const struct mps_path *path, char *err,
		      size_t errlen)
{
	char pbuf[MPS_ADDRSTRLEN + IF_NAMESIZE];
	size_t i, on = 0, est = 0;

	if (c->fallback) {
		snprintf(err, errlen, "connection %u has fallen back to TCP: it has no subflows to steer",
			 c->token);
		return -EOPNOTSUPP;
	}
	for (i = 0; i < c->n_subflows; i++) {
		if (c->subflows[i].state != TCP_ESTABLISHED)
			continue;
		est++;
		on += mps_path_match(path, &c->subflows[i]);
	}
	if (!on) {
		snprintf(err, errlen, "connection %u has no established subflow via %s (%zu subflow%s)",
			 c->token, path_text(path, pbuf, sizeof(pbuf)), est, est == 1 ? "" : "s");
		return -ENOENT;
	}
	return 0;
}

static int plan_conn(const struct mps_conn *c, const struct mps_path *path, struct mps_plan *p)
{
	struct mps_prio_change *ch;
	size_t i;

	for (i = 0; i < c->n_subflows; i++) {
		const struct mps_subflow *sf = &c->subflows[i];

		if (sf->state != TCP_ESTABLISHED)
			continue;
		ch = realloc(p->changes, (p->n + 1) * sizeof(*ch));
		if (!ch)
			return -ENOMEM;
		p->changes = ch;
		ch = &p->changes[p->n++];
		memset(ch, 0, sizeof(*ch));
		ch->token = c->token;
		ch->local = sf->local;
		ch->remote = sf->remote;
		ch->backup = !mps_path_match(path, sf);
		ch->was_backup = sf->backup_local;
		ch->peer_backup = sf->backup_peer;
	}
	return 0;
}

int mps_plan_primary(const struct mps_snapshot *snap, const struct mps_proc_map *owners,
		     const struct mps_selector *sel, const struct mps_path *path,
		     struct mps_plan *out, char *err, size_t errlen)
{
	char sbuf[64 + MPS_ADDRSTRLEN];
	size_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	/* Check every selected connection before planning any change. */
	for (i = 0; i < snap->n_conns; i++) {
		if (!mps_selector_match(sel, &snap->conns[i], owners))
			continue;
		out->n_conns++;
		ret = conn_check(&snap->conns[i], path, err, errlen);
		if (ret)
			return ret;
	}
	if (!out->n_conns) {
		snprintf(err, errlen, "no MPTCP connection matches %s", sel_text(sel, sbuf, sizeof(sbuf)));
		return -ESRCH;
	}
	for (i = 0; i < snap->n_conns; i++) {
		if (!mps_selector_match(sel, &snap->conns[i], owners))
			continue;
		ret = plan_conn(&snap->conns[i], path, out);
		if (ret) {
			mps_plan_free(out);
			snprintf(err, errlen, "out of memory");
			return ret;
		}
	}
	return 0;
}

static int noop_addr_cb(const struct mps_pm_addr *a, void *data)
{
	return 0;
}

/* The userspace PM answers GET_ADDR with a token; any other PM refuses it. Read-only. */
static int probe_userspace(struct mps_pm *pm, uint32_t token, char *err, size_t errlen)
{
	int ret = mps_pm_get_addrs(pm, token, noop_addr_cb, NULL);
	const char *k = mps_pm_errmsg(pm);

	if (!ret)
		return 0;
	if (ret == -EPERM || ret == -EACCES) {
		snprintf(err, errlen, "changing connection %u needs CAP_NET_ADMIN", token);
		return ret;
	}
	if (strstr(k, "invalid token")) {
		snprintf(err, errlen, "connection %u is gone (kernel: %s)", token, k);
		return -ESRCH;
	}
	snprintf(err, errlen,
		 "connection %u is not on the userspace path manager: per-connection steering needs "
		 "\"sysctl net.mptcp.path_manager=userspace\" in this namespace before the connection "
		 "is made (kernel: %s)",
		 token, *k ? k : strerror(-ret));
	return -EOPNOTSUPP;
}

static int send_change(struct mps_pm *pm, const struct mps_prio_change *c, bool backup, char *err,
		       size_t errlen)
{
	char l[MPS_ADDRSTRLEN], r[MPS_ADDRSTRLEN];
	int ret = mps_pm_set_backup(pm, c->token, &c->local, &c->remote, backup);

	if (ret)
		snprintf(err, errlen, "connection %u: setting backup %s on %s -> %s failed: %s", c->token,
			 backup ? "on" : "off", mps_addr_format(&c->local, l, sizeof(l)),
			 mps_addr_format(&c->remote, r, sizeof(r)),
			 *mps_pm_errmsg(pm) ? mps_pm_errmsg(pm) : strerror(-ret));
	return ret;
}

/* Sends the changes of one pass: promotions (backup off) or demotions (backup on). */
static int apply_pass(struct mps_pm *pm, const struct mps_plan *p, bool demote, size_t *sent,
		      size_t *n_sent, char *err, size_t errlen)
{
	size_t i;
	int ret;

	for (i = 0; i < p->n; i++) {
		const struct mps_prio_change *c = &p->changes[i];

		if (c->backup != demote || c->backup == c->was_backup)
			continue;
		ret = send_change(pm, c, c->backup, err, errlen);
		if (ret)
			return ret;
		sent[(*n_sent)++] = i;
	}
	return 0;
}

int mps_plan_apply(struct mps_pm *pm, const struct mps_plan *p, size_t *applied, char *err,
		   size_t errlen)
{
	size_t i, n_sent = 0, *sent;
	int ret = 0;

	if (applied)
		*applied = 0;
	for (i = 0; i < p->n; i++) {
		if (i && p->changes[i].token == p->changes[i - 1].token)
			continue;
		ret = probe_userspace(pm, p->changes[i].token, err, errlen);
		if (ret)
			return ret;
	}
	sent = calloc(p->n + 1, sizeof(*sent));
	if (!sent) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* Promote first, then demote: the connection always keeps a non-backup path. */
	ret = apply_pass(pm, p, false, sent, &n_sent, err, errlen);
	if (!ret)
		ret = apply_pass(pm, p, true, sent, &n_sent, err, errlen);
	if (ret) {
		/* Best effort: restore what was sent, newest first. */
		while (n_sent--) {
			const struct mps_prio_change *c = &p->changes[sent[n_sent]];

			mps_pm_set_backup(pm, c->token, &c->local, &c->remote, c->was_backup);
		}
	} else if (applied) {
		*applied = n_sent;
	}
	free(sent);
	return ret;
}
