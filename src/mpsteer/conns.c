/* SPDX-License-Identifier: MIT */
/*
 * mpsteer conns: every MPTCP connection of the namespace with its subflows.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "mpsteer/diag.h"
#include "mpsteer/proc.h"
#include "mpsteer/steer.h"
#include "out.h"

static json_t *subflow_json(const struct mps_subflow *sf)
{
	json_t *j = json_object();

	json_object_set_new(j, "local", out_addr(&sf->local));
	json_object_set_new(j, "remote", out_addr(&sf->remote));
	json_object_set_new(j, "ifname", sf->ifname[0] ? json_string(sf->ifname) : json_null());
	json_object_set_new(j, "ifindex", json_integer(sf->ifindex));
	json_object_set_new(j, "state", json_string(mps_tcp_state_name(sf->state)));
	json_object_set_new(j, "loc_id", json_integer(sf->loc_id));
	json_object_set_new(j, "rem_id", json_integer(sf->rem_id));
	json_object_set_new(j, "backup_local", json_boolean(sf->backup_local));
	json_object_set_new(j, "backup_peer", json_boolean(sf->backup_peer));
	json_object_set_new(j, "join", json_boolean(sf->flags & (MPS_SF_JOIN_LOC | MPS_SF_JOIN_REM)));
	json_object_set_new(j, "fully_established", json_boolean(sf->flags & MPS_SF_FULLY_ESTABLISHED));
	json_object_set_new(j, "rtt_us", json_integer(sf->rtt_us));
	json_object_set_new(j, "cwnd", json_integer(sf->cwnd));
	json_object_set_new(j, "bytes_sent", json_integer((json_int_t)sf->bytes_sent));
	json_object_set_new(j, "bytes_acked", json_integer((json_int_t)sf->bytes_acked));
	json_object_set_new(j, "bytes_received", json_integer((json_int_t)sf->bytes_received));
	json_object_set_new(j, "bytes_retrans", json_integer((json_int_t)sf->bytes_retrans));
	json_object_set_new(j, "delivery_rate", json_integer((json_int_t)sf->delivery_rate));
	return j;
}

/* The daemon lists connections it only knows of (in-kernel PM) as unmanaged. */
static bool daemon_manages(json_t *d)
{
	json_t *m = d ? json_object_get(d, "managed") : NULL;

	return d && (m ? json_is_true(m) : true);
}

static void daemon_fields(json_t *j, json_t *dconns, uint32_t token)
{
	json_t *d = dconns ? daemon_conn(dconns, token) : NULL;

	json_object_set_new(j, "managed", json_boolean(daemon_manages(d)));
	json_object_set(j, "policy", d && json_object_get(d, "policy") ? json_object_get(d, "policy")
								     : json_null());
	json_object_set(j, "override",
			d && json_object_get(d, "override") ? json_object_get(d, "override")
							    : json_null());
	json_object_set(j, "steering", d && json_object_get(d, "steering")
					       ? json_object_get(d, "steering") : json_null());
}

/* "steering handover (rule web), 2 decisions, last 3.2 s ago: wlan0 -> wwan0 (...)" */
static void steering_text(json_t *d)
{
	json_t *s = json_object_get(d, "steering"), *last, *rule;

	if (!json_is_object(s) || !strcmp(json_string_value(json_object_get(s, "policy")) ?: "",
					   "none"))
		return;
	last = json_object_get(s, "last");
	rule = json_object_get(s, "rule");
	printf("    steering %s (%s%s)%s, %lld decisions",
	       json_string_value(json_object_get(s, "policy")) ?: "?",
	       json_is_string(rule) ? "rule " : "default",
	       json_is_string(rule) ? json_string_value(rule) : "",
	       json_is_true(json_object_get(s, "pinned")) ? ", pinned" : "",
	       (long long)json_integer_value(json_object_get(s, "decisions")));
	if (json_is_object(last)) {
		printf(", last %.1f s ago: ",
		       json_integer_value(json_object_get(last, "ago_ms")) / 1000.0);
		decision_text(last);
	}
	printf("\n");
}

/* The converter's entry for c: the TCP connection on its other side. */
static json_t *proxy_of(const struct mps_conn *c, json_t *proxies)
{
	return proxies ? proxy_conn_find(proxies, &c->local, &c->remote) : NULL;
}

static void proxy_text(json_t *pc)
{
	printf("    proxy %s: tcp %s -> %s dest %s\n",
	       json_string_value(json_object_get(pc, "role")),
	       json_string_value(json_object_get(pc, "tcp_local")) ?: "-",
	       json_string_value(json_object_get(pc, "tcp_remote")) ?: "-",
	       json_string_value(json_object_get(pc, "dest")) ?: "-");
}

static json_t *conn_json(const struct mps_conn *c, json_t *dconns, json_t *proxies)
{
	json_t *j = json_object(), *subs = json_array();
	size_t i;

	json_object_set_new(j, "token", json_integer(c->token));
	json_object_set_new(j, "local", out_addr(&c->local));
	json_object_set_new(j, "remote", out_addr(&c->remote));
	json_object_set_new(j, "state", json_string(mps_tcp_state_name(c->state)));
	json_object_set_new(j, "pid", c->pid ? json_integer(c->pid) : json_null());
	json_object_set_new(j, "comm", c->comm[0] ? json_string(c->comm) : json_null());
	json_object_set_new(j, "fallback", json_boolean(c->fallback));
	json_object_set_new(j, "bytes_sent", json_integer((json_int_t)c->bytes_sent));
	json_object_set_new(j, "bytes_received", json_integer((json_int_t)c->bytes_received));
	json_object_set_new(j, "bytes_acked", json_integer((json_int_t)c->bytes_acked));
	json_object_set_new(j, "bytes_retrans", json_integer((json_int_t)c->bytes_retrans));
	daemon_fields(j, dconns, c->token);
	json_object_set(j, "proxy", proxy_of(c, proxies) ?: json_null());
	for (i = 0; i < c->n_subflows; i++)
		json_array_append_new(subs, subflow_json(&c->subflows[i]));
	json_object_set_new(j, "subflows", subs);
	return j;
}

static void subflow_text(const struct mps_subflow *sf)
{
	char l[MPS_ADDRSTRLEN], r[MPS_ADDRSTRLEN], b1[16], b2[16];

	printf("    %s -> %s dev %s id %u/%u %s", mps_addr_format(&sf->local, l, sizeof(l)),
	       mps_addr_format(&sf->remote, r, sizeof(r)), sf->ifname[0] ? sf->ifname : "?",
	       sf->loc_id, sf->rem_id, mps_tcp_state_name(sf->state));
	if (sf->backup_local || sf->backup_peer)
		printf(" backup(%s)", sf->backup_local && sf->backup_peer ? "both"
				      : sf->backup_local		 ? "local"
									 : "peer");
	else
		printf(" primary");
	printf(" rtt %.2fms acked %s recv %s\n", sf->rtt_us / 1000.0,
	       out_bytes(sf->bytes_acked, b1, sizeof(b1)),
	       out_bytes(sf->bytes_received, b2, sizeof(b2)));
}

static void conn_text(const struct mps_conn *c, json_t *dconns, json_t *proxies)
{
	json_t *pc = proxy_of(c, proxies);
	char l[MPS_ADDRSTRLEN], r[MPS_ADDRSTRLEN], b1[16], b2[16], b3[16];
	json_t *d = dconns ? daemon_conn(dconns, c->token) : NULL;
	size_t i;

	printf("token %u %s -> %s %s", c->token, mps_addr_format(&c->local, l, sizeof(l)),
	       mps_addr_format(&c->remote, r, sizeof(r)), mps_tcp_state_name(c->state));
	if (c->pid)
		printf(" pid %d (%s)", (int)c->pid, c->comm);
	if (c->fallback)
		printf(" FALLBACK-TO-TCP");
	printf("\n    sent %s recv %s acked %s", out_bytes(c->bytes_sent, b1, sizeof(b1)),
	       out_bytes(c->bytes_received, b2, sizeof(b2)),
	       out_bytes(c->bytes_acked, b3, sizeof(b3)));
	if (d && !daemon_manages(d)) {
		printf(" unmanaged");
	} else if (d) {
		json_t *pol = json_object_get(d, "policy"), *ov = json_object_get(d, "override");

		printf(" managed policy %s", json_is_string(pol) ? json_string_value(pol) : "-");
		if (json_is_string(ov))
			printf(" override via %s", json_string_value(ov));
	}
	printf("\n");
	if (pc)
		proxy_text(pc);
	if (d && daemon_manages(d))
		steering_text(d);
	for (i = 0; i < c->n_subflows; i++)
		subflow_text(&c->subflows[i]);
}

int cmd_conns(int argc, char **argv)
{
	static const struct args_spec spec = { .cmd = "conns", .allowed = KW_SELECTOR,
					       .one_of = KW_SELECTOR };
	struct mps_snapshot *snap = NULL;
	struct mps_proc_map *owners = NULL;
	json_t *arr = NULL, *dconns = NULL, *proxies;
	struct args a;
	bool filter;
	size_t i;
	int ret, derr;

	if (args_parse(&spec, argc - 1, argv + 1, &a))
		return EX_USAGE;
	filter = a.has & KW_SELECTOR;
	ret = mps_snapshot_new(MPS_SNAP_OWNERS, &snap);
	if (ret) {
		cli_err("cannot list MPTCP connections: %s%s", strerror(-ret),
			ret == -EINVAL || ret == -ENOENT ? " (is MPTCP built into this kernel?)" : "");
		return cli_exit_code(ret);
	}
	/* "pid P" means every connection P holds, as for primary: the snapshot
	 * names only the lowest-pid holder of a shared socket. */
	if (filter && a.sel.kind == MPS_SEL_PID && mps_proc_map_new(&owners))
		owners = NULL;
	if (!cli.direct)
		dconns = daemon_call(json_pack("{s:i,s:s}", "v", 1, "cmd", "conns"), &derr);
	proxies = proxy_states_load();
	if (cli.json)
		arr = json_array();
	for (i = 0; i < snap->n_conns; i++) {
		const struct mps_conn *c = &snap->conns[i];

		if (filter && !mps_selector_match(&a.sel, c, owners))
			continue;
		if (arr)
			json_array_append_new(arr, conn_json(c, dconns, proxies));
		else
			conn_text(c, dconns, proxies);
	}
	if (arr)
		out_json(arr);
	json_decref(dconns);
	json_decref(proxies);
	mps_proc_map_free(owners);
	mps_snapshot_free(snap);
	return EX_OK;
}
