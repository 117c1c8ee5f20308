/* SPDX-License-Identifier: MIT */
/*
 * mpsteer diagnose [SELECTOR] [ADDR[:PORT]]: why MPTCP does not work here, for
 * these connections, or to that destination. Gathers the facts (sysctls,
 * listeners, limits, endpoints, interfaces, routes, nftables, a probe, MIB
 * counters over a short sample), lets mps_check() judge them, prints each
 * finding with its fix. Exit status 1 when a problem was found.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "cli.h"
#include "mpsteer/check.h"
#include "mpsteer/diag.h"
#include "mpsteer/proc.h"
#include "mpsteer/rtnl.h"
#include "out.h"

#define DEFAULT_SAMPLE_MS 1000
#define DEFAULT_TIMEOUT_MS 3000

static void pm_facts(struct mps_facts *f)
{
	char v[32];

	f->listeners_here = f->listeners_all = -1; /* unknown until counted */
	f->enabled = mps_read_line("/proc/sys/net/mptcp/enabled", v, sizeof(v)) ? -1 : atoi(v);
	if (!mps_read_line("/proc/sys/net/mptcp/path_manager", v, sizeof(v)))
		f->userspace_pm = !strcmp(v, "userspace");
	else if (!mps_read_line("/proc/sys/net/mptcp/pm_type", v, sizeof(v)))
		f->userspace_pm = atoi(v) == 1;
}

static int add_endpoint(const struct mps_pm_addr *a, void *data)
{
	struct mps_facts *f = data;

	if (f->n_endpoints < MPS_FACTS_MAX)
		f->endpoints[f->n_endpoints++].ep = *a;
	return 0;
}

static void kernel_facts(struct mps_facts *f)
{
	struct mps_pm *pm = NULL;

	if (mps_pm_new(&pm))
		return;
	mps_facts_listeners(f, mps_pm_event_group(pm));
	if (!f->userspace_pm) {
		f->have_limits = !mps_pm_get_limits(pm, &f->limits);
		mps_pm_get_addrs(pm, 0, add_endpoint, f);
	}
	mps_pm_free(pm);
}

static int rp_filter(const char *ifname)
{
	char path[128], v[16];
	int all, one;

	if (mps_read_line("/proc/sys/net/ipv4/conf/all/rp_filter", v, sizeof(v)))
		return -1;
	all = atoi(v);
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", ifname);
	if (mps_read_line(path, v, sizeof(v)))
		return -1;
	one = atoi(v);
	return all > one ? all : one;
}

static void iface_facts(struct mps_facts *f, const struct mps_ifcache *ifc)
{
	size_t i, j;

	for (i = 0; i < ifc->n_links && f->n_ifaces < MPS_FACTS_MAX; i++) {
		const struct mps_link *l = &ifc->links[i];
		struct mps_iface_fact *x;

		if (l->loopback)
			continue;
		x = &f->ifaces[f->n_ifaces++];
		snprintf(x->name, sizeof(x->name), "%s", l->name);
		x->ifindex = l->ifindex;
		x->up = l->up;
		x->carrier = l->carrier;
		x->rp_filter = rp_filter(l->name);
		for (j = 0; j < ifc->n_addrs; j++)
			if (ifc->addrs[j].ifindex == l->ifindex && ifc->addrs[j].scope == 0)
				x->has_addr = true;
	}
}

static void add_route(struct mps_facts *f, struct mps_router *r, const struct mps_addr *src,
		      int src_ifindex, const struct mps_addr *dst)
{
	struct mps_route_fact *rf;
	struct mps_addr d = *dst;

	if (src->family != dst->family || f->n_routes == MPS_FACTS_MAX || !src_ifindex)
		return;
	d.port = 0;
	rf = &f->routes[f->n_routes++];
	memset(rf, 0, sizeof(*rf));
	rf->src = *src;
	rf->src.port = 0;
	rf->dst = d;
	rf->src_ifindex = src_ifindex;
	rf->err = mps_router_oif(r, &rf->src, &d, &rf->oif);
	rf->has_gw = !mps_rtnl_gateway_of(src_ifindex, d.family, &rf->gw);
}

/* The local addresses subflows would use: the endpoints' (in-kernel PM), else every address. */
static void route_facts(struct mps_facts *f, const struct mps_ifcache *ifc,
			const struct mps_addr *dst)
{
	struct mps_router *r = NULL;
	size_t i;

	if (mps_router_new(&r))
		return;
	if (!f->userspace_pm) {
		for (i = 0; i < f->n_endpoints; i++) {
			const struct mps_pm_addr *e = &f->endpoints[i].ep;
			const struct mps_ifaddr *a = mps_ifcache_addr(ifc, &e->addr);

			if (e->flags & MPS_PM_FLAG_SUBFLOW)
				add_route(f, r, &e->addr, e->ifindex ? e->ifindex : a ? a->ifindex : 0,
					  dst);
		}
	} else {
		for (i = 0; i < ifc->n_addrs; i++)
			if (ifc->addrs[i].scope == 0)
				add_route(f, r, &ifc->addrs[i].addr, ifc->addrs[i].ifindex, dst);
	}
	mps_router_free(r);
}

static void conn_facts(struct mps_facts *f, const struct mps_snapshot *s,
		       const struct args *a, const struct mps_proc_map *owners)
{
	size_t i, j;

	for (i = 0; i < s->n_conns && f->n_conns < MPS_FACTS_MAX; i++) {
		const struct mps_conn *c = &s->conns[i];
		struct mps_conn_fact *cf;

		if ((a->has & KW_SELECTOR) && !mps_selector_match(&a->sel, c, owners))
			continue;
		cf = &f->conns[f->n_conns++];
		cf->token = c->token;
		cf->remote = c->remote;
		cf->fallback = c->fallback;
		cf->remote_key = c->info_flags & MPS_INFO_REMOTE_KEY_RECEIVED;
		for (j = 0; j < c->n_subflows; j++)
			cf->n_subflows += c->subflows[j].state == 1; /* TCP_ESTABLISHED */
	}
}

static void nft_facts(struct mps_facts *f)
{
	static char buf[65536];
	size_t n;
	FILE *p = popen("nft -a list ruleset 2>/dev/null", "re");

	if (!p)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = '\0';
	pclose(p);
	mps_nft_parse(buf, f);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void mib_sample(struct mps_facts *f, const struct args *a)
{
	static struct mps_facts now; /* large: not on the stack */
	unsigned timeout = a->has & KW_TIMEOUT ? a->timeout_ms : DEFAULT_TIMEOUT_MS;

	f->sample_ms = a->has & KW_SAMPLE ? a->sample_ms : DEFAULT_SAMPLE_MS;
	mps_facts_mib(f);
	/* The probe runs inside the sample, so its own failures show in the counters. */
	if (f->have_peer && f->peer.port)
		mps_probe_mptcp(&f->peer, timeout, &f->probe, &f->probe_err);
	if (!f->sample_ms)
		return;
	sleep_ms(f->sample_ms);
	if (!mps_facts_mib(&now))
		mps_mib_delta(f, &now);
}

static int gather(struct mps_facts *f, const struct args *a)
{
	struct mps_snapshot *snap = NULL;
	struct mps_proc_map *owners = NULL;
	struct mps_ifcache *ifc = NULL;
	size_t i;
	int ret;

	pm_facts(f);
	kernel_facts(f);
	nft_facts(f);
	ret = mps_ifcache_new(&ifc);
	if (ret) {
		cli_err("diagnose: cannot list interfaces: %s", strerror(-ret));
		return ret;
	}
	iface_facts(f, ifc);
	if (f->enabled >= 0 && !mps_snapshot_new(0, &snap)) {
		if (a->has & KW_PID)
			mps_proc_map_new(&owners);
		conn_facts(f, snap, a, owners);
	}
	if (f->have_peer)
		route_facts(f, ifc, &f->peer);
	else
		for (i = 0; i < f->n_conns && i < 2; i++)
			route_facts(f, ifc, &f->conns[i].remote);
	mib_sample(f, a);
	mps_proc_map_free(owners);
	mps_snapshot_free(snap);
	mps_ifcache_free(ifc);
	return 0;
}

static json_t *findings_json(const struct mps_findings *fs, size_t problems, size_t hints)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < fs->n; i++) {
		const struct mps_finding *x = &fs->v[i];
		json_t *o = json_pack("{s:s,s:s,s:s}", "level", mps_level_name(x->level), "id", x->id,
				      "text", x->text);

		json_object_set_new(o, "fix", x->fix[0] ? json_string(x->fix) : json_null());
		json_array_append_new(arr, o);
	}
	return json_pack("{s:I,s:I,s:o}", "problems", (json_int_t)problems, "hints",
			 (json_int_t)hints, "findings", arr);
}

static void findings_text(const struct mps_findings *fs, size_t problems, size_t hints)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		const struct mps_finding *x = &fs->v[i];

		if (x->level == MPS_OK && !cli.verbose)
			continue;
		printf("%-8s %s\n", mps_level_name(x->level), x->text);
		if (x->fix[0])
			printf("         fix: %s\n", x->fix);
	}
	printf("%zu problem%s, %zu hint%s%s\n", problems, problems == 1 ? "" : "s", hints,
	       hints == 1 ? "" : "s", cli.verbose ? "" : " (-v: every check)");
}

int cmd_diagnose(int argc, char **argv)
{
	static const struct args_spec spec = {
		.cmd = "diagnose", .allowed = KW_SELECTOR | KW_SAMPLE | KW_TIMEOUT,
		.one_of = KW_SELECTOR, .positional = "ADDR[:PORT]",
	};
	static struct mps_facts f; /* large: not on the stack */
	struct mps_findings fs;
	size_t i, problems = 0, hints = 0;
	struct args a;
	int ret;

	if (args_parse(&spec, argc - 1, argv + 1, &a))
		return EX_USAGE;
	if (a.positional) {
		ret = mps_addr_parse(a.positional, true, &f.peer);
		if (ret) {
			cli_err("diagnose: \"%s\" is neither a keyword nor an address (ADDR[:PORT])",
				a.positional);
			return EX_USAGE;
		}
		f.have_peer = true;
	}
	ret = gather(&f, &a);
	if (!ret)
		ret = mps_check(&f, &fs);
	if (ret) {
		cli_err("diagnose: %s", strerror(-ret));
		return cli_exit_code(ret);
	}
	for (i = 0; i < fs.n; i++) {
		problems += fs.v[i].level == MPS_PROBLEM;
		hints += fs.v[i].level == MPS_HINT;
	}
	if (cli.json)
		out_json(findings_json(&fs, problems, hints));
	else
		findings_text(&fs, problems, hints);
	mps_findings_free(&fs);
	return problems ? 1 : EX_OK;
}
