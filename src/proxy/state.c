/* SPDX-License-Identifier: MIT */
/*
 * The proxy's state file: counters and one entry per connection, rewritten
 * (write to a temporary file, rename) once a second. `mpsteer proxy status`
 * prints it; `mpsteer conns` finds each converted MPTCP connection's TCP peer
 * in it. Named after the network namespace and the pid, so that the CLI reads
 * only the proxies of its own namespace.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "proxy.h"

const char *pconn_state_name(enum pconn_state st)
{
	static const char *const names[] = { "greeting", "auth",     "request", "resolving",
					     "connecting", "upstream", "relay" };

	return st <= PC_RELAY ? names[st] : "?";
}

static json_t *addr_json(const struct mps_addr *a)
{
	char buf[MPS_ADDRSTRLEN];

	return mps_addr_is_set(a) ? json_string(mps_addr_format(a, buf, sizeof(buf))) : json_null();
}

static json_t *conn_json(const struct proxy *p, const struct pconn *c)
{
	/* The MPTCP side: accepted in the socks role, opened in the client role. */
	bool socks = p->conf.role == PROXY_SOCKS;
	char d[300];
	json_t *dest = c->dest.atyp ? json_string(socks5_dest_format(&c->dest, d, sizeof(d)))
				    : json_null();

	return json_pack("{s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:I,s:I,s:I}", "id", (json_int_t)c->id,
			 "state", pconn_state_name(c->st),
			 "mptcp_local", addr_json(socks ? &c->a_local : &c->b_local),
			 "mptcp_remote", addr_json(socks ? &c->a_peer : &c->b_peer),
			 "tcp_local", addr_json(socks ? &c->b_local : &c->a_local),
			 "tcp_remote", addr_json(socks ? &c->b_peer : &c->a_peer),
			 "dest", dest,
			 "bytes_up", (json_int_t)c->ab.bytes, "bytes_down", (json_int_t)c->ba.bytes,
			 "age_s", (json_int_t)(p->now - c->started));
}

static json_t *counters_json(const struct proxy *p)
{
	const struct counters *k = &p->ctr;

	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
			 "active", (json_int_t)p->n_conns, "accepted", (json_int_t)k->accepted,
			 "completed", (json_int_t)k->completed,
			 "refused_client", (json_int_t)k->refused_client,
			 "refused_dest", (json_int_t)k->refused_dest,
			 "auth_failed", (json_int_t)k->auth_failed,
			 "bad_request", (json_int_t)k->bad_request,
			 "resolve_failed", (json_int_t)k->resolve_failed,
			 "connect_failed", (json_int_t)k->connect_failed,
			 "timeouts", (json_int_t)k->timeouts,
			 "relay_errors", (json_int_t)k->relay_errors,
			 "bytes_up", (json_int_t)k->bytes_ab,
			 "bytes_down", (json_int_t)k->bytes_ba);
}

static int state_path(struct proxy *p)
{
	unsigned long long ino;
	int r;

	if (p->state_path[0])
		return 0;
	if (p->conf.state_file[0]) {
		snprintf(p->state_path, sizeof(p->state_path), "%s", p->conf.state_file);
		return 0;
	}
	r = mps_netns_id(&ino);
	if (r)
		return r;
	mkdir(mps_ctl_rundir(), 0755);
	snprintf(p->state_path, sizeof(p->state_path), "%s/proxy-%llu-%d.json", mps_ctl_rundir(),
		 ino, (int)getpid());
	return 0;
}

int state_write(struct proxy *p)
{
	char tmp[PATH_MAX + 8], a[MPS_ADDRSTRLEN];
	json_t *j, *conns = json_array(), *lst = json_array();
	int r = state_path(p);

	if (r)
		return r;
	for (const struct pconn *c = p->conns; c; c = c->next)
		json_array_append_new(conns, conn_json(p, c));
	for (int i = 0; i < p->n_lst; i++)
		json_array_append_new(lst, json_pack("{s:s,s:s}", "addr",
			mps_addr_format(&p->lst[i].addr, a, sizeof(a)), "kind",
			p->lst[i].type ? (p->conf.tmode == TMODE_TPROXY ? "tproxy" : "redirect")
				       : "socks5"));
	j = json_pack("{s:s,s:i,s:o,s:o,s:o}", "role",
		      p->conf.role == PROXY_SOCKS ? "socks" : "client", "pid", (int)getpid(),
		      "listen", lst, "counters", counters_json(p), "conns", conns);
	if (p->conf.role == PROXY_CLIENT)
		json_object_set_new(j, "server", addr_json(&p->conf.server));
	snprintf(tmp, sizeof(tmp), "%s.tmp", p->state_path);
	r = json_dump_file(j, tmp, JSON_COMPACT) ? -EIO : 0;
	if (!r && rename(tmp, p->state_path) < 0)
		r = -errno;
	json_decref(j);
	return r;
}

void state_remove(struct proxy *p)
{
	if (p->state_path[0])
		unlink(p->state_path);
}
