/* SPDX-License-Identifier: MIT */
/*
 * The judgement of mpsteer diagnose: facts in, findings out, no I/O.
 * Each check adds at most a few findings; a problem is something that keeps
 * MPTCP (or an extra subflow) from working, a hint something worth knowing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpsteer/check.h"

void mps_findings_free(struct mps_findings *f)
{
	if (!f)
		return;
	free(f->v);
	memset(f, 0, sizeof(*f));
}

const char *mps_level_name(enum mps_level l)
{
	return l == MPS_PROBLEM ? "problem" : l == MPS_HINT ? "hint" : "ok";
}

__attribute__((format(printf, 5, 6)))
static int add(struct mps_findings *out, enum mps_level level, const char *id, const char *fix,
	       const char *fmt, ...)
{
	struct mps_finding *f;
	va_list ap;

	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 16;
		struct mps_finding *v = realloc(out->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		out->v = v;
		out->cap = cap;
	}
	f = &out->v[out->n++];
	memset(f, 0, sizeof(*f));
	f->level = level;
	f->id = id;
	snprintf(f->fix, sizeof(f->fix), "%s", fix ? fix : "");
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
	return 0;
}

static const struct mps_iface_fact *iface(const struct mps_facts *f, int ifindex)
{
	size_t i;

	for (i = 0; i < f->n_ifaces; i++)
		if (f->ifaces[i].ifindex == ifindex)
			return &f->ifaces[i];
	return NULL;
}

static const char *ifname(const struct mps_facts *f, int ifindex)
{
	const struct mps_iface_fact *i = iface(f, ifindex);

	return i ? i->name : "?";
}

static int check_enabled(const struct mps_facts *f, struct mps_findings *o)
{
	if (f->enabled == 0)
		return add(o, MPS_PROBLEM, "mptcp-disabled", "sysctl -w net.mptcp.enabled=1",
			   "MPTCP is disabled in this namespace (net.mptcp.enabled = 0): "
			   "IPPROTO_MPTCP sockets fail and programs use plain TCP");
	if (f->enabled < 0)
		return add(o, MPS_PROBLEM, "mptcp-missing", "",
			   "this kernel has no MPTCP (no net.mptcp sysctls)");
	return add(o, MPS_OK, "mptcp-enabled", NULL, "MPTCP is enabled");
}

static int check_listener(const struct mps_facts *f, struct mps_findings *o)
{
	char who[64] = "";

	if (!f->userspace_pm)
		return add(o, MPS_OK, "path-manager", NULL, "path manager: in-kernel");
	if (f->listener_pid)
		snprintf(who, sizeof(who), " (pid %d, %s)", (int)f->listener_pid, f->listener_comm);
	if (f->listeners_all == 0)
		return add(o, MPS_PROBLEM, "no-event-listener",
			   "start mpsteerd in this namespace (mpsteerd, or systemctl start mpsteerd)",
			   "path manager: userspace, but no process on this machine listens to MPTCP "
			   "events: the kernel rejects every MP_JOIN and nothing creates subflows or "
			   "announces addresses");
	if (f->listeners_all < 0)
		return add(o, MPS_HINT, "event-listener-unknown", "",
			   "path manager: userspace; cannot tell whether anything listens to MPTCP "
			   "events (joins are accepted only while something does)");
	if (f->listeners_here == 0)
		return add(o, MPS_HINT, "no-local-listener",
			   "start mpsteerd in this namespace (mpsteerd, or systemctl start mpsteerd)",
			   "path manager: userspace; joins are accepted only because a process in "
			   "another namespace listens to MPTCP events%s; nothing in this namespace "
			   "creates subflows or announces addresses", who);
	return add(o, MPS_OK, "event-listener", NULL,
		   "path manager: userspace, events listened to%s", who);
}

static unsigned n_with_flag(const struct mps_facts *f, uint32_t flag)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < f->n_endpoints; i++)
		n += !!(f->endpoints[i].ep.flags & flag);
	return n;
}

static int check_limits(const struct mps_facts *f, struct mps_findings *o)
{
	unsigned want = n_with_flag(f, MPS_PM_FLAG_SUBFLOW);
	char fix[96];
	int ret = 0;

	if (f->userspace_pm || !f->have_limits)
		return 0;
	snprintf(fix, sizeof(fix), "ip mptcp limits set subflows %u", want ? want : 2);
	if (!f->limits.subflows && (want || f->n_endpoints))
		ret = add(o, MPS_PROBLEM, "limits-subflows-0", fix,
			  "the in-kernel path manager's limits allow 0 extra subflows: %u endpoint(s) "
			  "with 'subflow' are never used and joins from peers are refused",
			  want);
	else if (f->limits.subflows < want)
		ret = add(o, MPS_HINT, "limits-subflows-low", fix,
			  "limits allow %u extra subflows for %u 'subflow' endpoints",
			  f->limits.subflows, want);
	else
		ret = add(o, MPS_OK, "limits", NULL, "limits: %u subflows, %u accepted ADD_ADDR",
			  f->limits.subflows, f->limits.rcv_add_addrs);
	return ret;
}

static int check_endpoint(const struct mps_facts *f, const struct mps_pm_addr *e,
			  struct mps_findings *o)
{
	const struct mps_iface_fact *i = e->ifindex ? iface(f, e->ifindex) : NULL;
	char a[MPS_ADDRSTRLEN], fix[320];

	mps_addr_format(&e->addr, a, sizeof(a));
	if (!(e->flags & (MPS_PM_FLAG_SUBFLOW | MPS_PM_FLAG_SIGNAL))) {
		snprintf(fix, sizeof(fix), "ip mptcp endpoint delete id %u; ip mptcp endpoint add %s%s%s "
			 "subflow", e->id, a, i ? " dev " : "", i ? i->name : "");
		return add(o, MPS_PROBLEM, "endpoint-unused", fix,
			   "endpoint id %u %s has neither 'subflow' nor 'signal': it is never used",
			   e->id, a);
	}
	if (i && (!i->up || !i->carrier)) {
		snprintf(fix, sizeof(fix), "ip link set %s up", i->name);
		return add(o, MPS_PROBLEM, "endpoint-down", i->up ? "" : fix,
			   "endpoint id %u %s is on %s, which is %s: no subflow can use it", e->id, a,
			   i->name, i->up ? "up but has no carrier (cable, peer or lower device down)"
					  : "down");
	}
	if (!(e->flags & MPS_PM_FLAG_SUBFLOW) && f->have_peer) {
		snprintf(fix, sizeof(fix), "ip mptcp endpoint delete id %u; ip mptcp endpoint add %s%s%s "
			 "subflow", e->id, a, i ? " dev " : "", i ? i->name : "");
		return add(o, MPS_HINT, "endpoint-signal-only", fix,
			   "endpoint id %u %s is 'signal' only: announced to peers, but connections "
			   "this host opens get no subflow from it", e->id, a);
	}
	return add(o, MPS_OK, "endpoint", NULL, "endpoint id %u %s%s%s%s%s%s", e->id, a,
		   i ? " dev " : "", i ? i->name : "",
		   e->flags & MPS_PM_FLAG_SUBFLOW ? " subflow" : "",
		   e->flags & MPS_PM_FLAG_SIGNAL ? " signal" : "",
		   e->flags & MPS_PM_FLAG_BACKUP ? " backup" : "");
}

static int check_endpoints(const struct mps_facts *f, struct mps_findings *o)
{
	size_t i, usable = 0;
	int ret;

	if (f->userspace_pm)
		return 0;
	for (i = 0; i < f->n_ifaces; i++)
		usable += f->ifaces[i].up && f->ifaces[i].has_addr;
	if (!f->n_endpoints)
		return add(o, MPS_HINT, "no-endpoints",
			   usable > 1 ? "ip mptcp endpoint add ADDR dev IFNAME subflow" : "",
			   "the in-kernel path manager has no endpoints: connections this host opens "
			   "stay on one subflow");
	for (i = 0; i < f->n_endpoints; i++) {
		ret = check_endpoint(f, &f->endpoints[i].ep, o);
		if (ret)
			return ret;
	}
	return 0;
}

static int check_route(const struct mps_facts *f, const struct mps_route_fact *r,
		       struct mps_findings *o)
{
	char s[MPS_ADDRSTRLEN], d[MPS_ADDRSTRLEN], gw[MPS_ADDRSTRLEN] = "GATEWAY", fix[320];
	const char *want = ifname(f, r->src_ifindex);
	int table = 100 + r->src_ifindex;

	mps_addr_format(&r->src, s, sizeof(s));
	mps_addr_format(&r->dst, d, sizeof(d));
	if (r->has_gw)
		mps_addr_format(&r->gw, gw, sizeof(gw));
	snprintf(fix, sizeof(fix), "ip rule add from %s table %d; ip route add %s via %s dev %s "
		 "table %d", s, table, r->has_gw ? "default" : d, gw, want, table);
	if (r->err)
		return add(o, MPS_PROBLEM, "no-route", fix, "no route from %s to %s: %s", s, d,
			   strerror(-r->err));
	if (r->oif != r->src_ifindex)
		return add(o, MPS_PROBLEM, "source-route", fix,
			   "a subflow from %s (%s) to %s would leave via %s: %s has no source "
			   "routing (rule and table of its own)", s, want, d, ifname(f, r->oif), s);
	return add(o, MPS_OK, "route", NULL, "route from %s to %s via %s", s, d, want);
}

static int check_ifaces(const struct mps_facts *f, struct mps_findings *o)
{
	size_t i, up = 0;
	char fix[96];
	int ret;

	for (i = 0; i < f->n_ifaces; i++)
		up += f->ifaces[i].up && f->ifaces[i].carrier && f->ifaces[i].has_addr;
	for (i = 0; i < f->n_ifaces; i++) {
		const struct mps_iface_fact *x = &f->ifaces[i];

		ret = 0;
		if (x->has_addr && (!x->up || !x->carrier)) {
			snprintf(fix, sizeof(fix), "ip link set %s up", x->name);
			ret = add(o, MPS_HINT, "iface-down", x->up ? "" : fix,
				  "interface %s has an address but is %s", x->name,
				  x->up ? "without carrier" : "down");
		} else if (x->rp_filter == 1 && up > 1 && x->up && x->has_addr) {
			snprintf(fix, sizeof(fix), "sysctl -w net.ipv4.conf.%s.rp_filter=2", x->name);
			ret = add(o, MPS_HINT, "rp-filter-strict", fix,
				  "strict reverse-path filtering on %s drops packets of subflows whose "
				  "route back leaves by another interface", x->name);
		}
		if (ret)
			return ret;
	}
	return 0;
}

/* Counters that say something failed; the others (MPCapableSYNRX ...) are traffic. */
static const char *const bad_counters[] = {
	"MPCapableFallbackACK", "MPCapableFallbackSYNACK", "MPCapableSYNTXDrop",
	"MPCapableSYNTXDisabled", "MPCapableEndpAttempt", "MPFallbackTokenInit",
	"MPJoinRejected", "MPJoinSynAckHMacFailure", "MPJoinAckHMacFailure",
	"MPJoinSynTxCreatSkErr", "MPJoinSynTxBindErr", "MPJoinSynTxConnectErr",
	"MPJoinNoTokenFound", "DataCsumErr", "AddAddrDrop", "AddAddrTxDrop", "RmAddrDrop",
	"RmAddrTxDrop", "Blackhole", "DSSFallback", "InfiniteMapRx", "MPFailRx", "SubflowStale",
};

static bool is_bad(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(bad_counters) / sizeof(bad_counters[0]); i++)
		if (!strcmp(bad_counters[i], name))
			return true;
	return false;
}

static int check_mib(const struct mps_facts *f, struct mps_findings *o)
{
	char changed[320] = "", totals[320] = "";
	size_t i, c = 0, t = 0;

	for (i = 0; i < f->n_mib; i++) {
		const struct mps_mib_counter *m = &f->mib[i];

		if (!is_bad(m->name) || !m->total)
			continue;
		if (m->delta && c < sizeof(changed))
			c += snprintf(changed + c, sizeof(changed) - c, "%s%s +%llu", c ? ", " : "",
				      m->name, (unsigned long long)m->delta);
		if (t < sizeof(totals))
			t += snprintf(totals + t, sizeof(totals) - t, "%s%s %llu", t ? ", " : "",
				      m->name, (unsigned long long)m->total);
	}
	if (c)
		return add(o, MPS_HINT, "mib-changing", "",
			   "failure counters rose during the %.1f s sample: %s", f->sample_ms / 1000.0,
			   changed);
	if (t)
		return add(o, MPS_HINT, "mib-totals", "",
			   "failure counters since the namespace was made: %s", totals);
	return f->n_mib ? add(o, MPS_OK, "mib", NULL, "no MPTCP failure counter is set") : 0;
}

static int check_nft(const struct mps_facts *f, struct mps_findings *o)
{
	char fix[320];
	size_t i;
	int ret;

	for (i = 0; i < f->n_nft; i++) {
		const struct mps_nft_rule *r = &f->nft[i];

		snprintf(fix, sizeof(fix), "nft delete rule %s %s %s handle %u", r->family, r->table,
			 r->chain, r->handle);
		ret = add(o, MPS_PROBLEM, "nft-strips-mptcp", fix,
			  "an nftables rule of this namespace strips the MPTCP option, so "
			  "connections fall back to TCP: %s %s %s: \"%s\"", r->family, r->table,
			  r->chain, r->text);
		if (ret)
			return ret;
	}
	return 0;
}

static int check_probe(const struct mps_facts *f, struct mps_findings *o)
{
	char d[MPS_ADDRSTRLEN];

	mps_addr_format(&f->peer, d, sizeof(d));
	switch (f->probe) {
	case MPS_PROBE_NONE:
		return f->have_peer && !f->peer.port
			       ? add(o, MPS_HINT, "probe-skipped", "",
				     "no port given: whether %s answers MP_CAPABLE was not tested "
				     "(diagnose %s:PORT)", d, d)
			       : 0;
	case MPS_PROBE_MPTCP:
		return add(o, MPS_OK, "probe", NULL, "%s answered MP_CAPABLE", d);
	case MPS_PROBE_FALLBACK:
		return add(o, MPS_PROBLEM, "peer-no-mptcp",
			   f->n_nft ? "remove the nftables rule above"
				    : "run the server on MPTCP (mpsteer run -- SERVER); check firewalls "
				      "and middleboxes on the path",
			   "%s answered without MP_CAPABLE: the connection fell back to TCP at the "
			   "handshake (%s)", d,
			   f->n_nft ? "the nftables rule above strips the option"
				    : "the server does not use MPTCP, or a middlebox strips the option");
	case MPS_PROBE_REFUSED:
		return add(o, MPS_PROBLEM, "probe-refused", "", "%s refused the connection", d);
	case MPS_PROBE_TIMEOUT:
		return add(o, MPS_PROBLEM, "probe-timeout", "", "%s did not answer in time", d);
	default:
		return add(o, MPS_PROBLEM, "probe-error", "", "cannot connect to %s: %s", d,
			   strerror(f->probe_err > 0 ? f->probe_err : -f->probe_err));
	}
}

static int check_conns(const struct mps_facts *f, struct mps_findings *o)
{
	char r[MPS_ADDRSTRLEN];
	size_t i;
	int ret = 0;

	for (i = 0; i < f->n_conns && !ret; i++) {
		const struct mps_conn_fact *c = &f->conns[i];

		mps_addr_format(&c->remote, r, sizeof(r));
		if (c->fallback)
			ret = add(o, MPS_PROBLEM, "conn-fallback", "",
				  "connection %u to %s fell back to TCP %s", c->token, r,
				  c->remote_key ? "after the handshake (the peer or a middlebox "
						  "broke the MPTCP options of data packets)"
						: "at the handshake (the peer did not answer MP_CAPABLE)");
		else
			ret = add(o, MPS_OK, "conn", NULL, "connection %u to %s: MPTCP, %zu subflow(s)",
				  c->token, r, c->n_subflows);
	}
	return ret;
}

int mps_check(const struct mps_facts *f, struct mps_findings *out)
{
	int (*const checks[])(const struct mps_facts *, struct mps_findings *) = {
		check_enabled, check_listener, check_limits, check_endpoints, check_ifaces,
		check_nft, check_probe, check_conns, check_mib,
	};
	size_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		ret = checks[i](f, out);
		if (ret)
			goto fail;
	}
	for (i = 0; i < f->n_routes; i++) {
		ret = check_route(f, &f->routes[i], out);
		if (ret)
			goto fail;
	}
	return 0;
fail:
	mps_findings_free(out);
	return ret;
}
