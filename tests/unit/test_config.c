/* SPDX-License-Identifier: MIT */
/* mpsteerd's parts without I/O: config parser, policy decisions, connection table. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/mpsteerd/mpsteerd.h"

/* The daemon state the connection table lives in, and the one loop call conn.c makes. */
static struct mpsd daemon;
static int timers_cancelled;
void timer_cancel(struct mpsd *d, struct mpsd_timer *t)
{
	timers_cancelled++;
}

static int load(const char *text, struct mpsd_config *c, char *err)
{
	mpsd_config_defaults(c);
	return mpsd_config_load_string("t.conf", text, c, err, 256);
}

static void test_defaults(void **state)
{
	struct mpsd_config c;
	char err[256] = "";

	assert_int_equal(load("", &c, err), 0);
	assert_int_equal(c.client.kind, MPSD_POL_PER_IFACE);
	assert_int_equal(c.server.kind, MPSD_POL_NONE);
	assert_int_equal(c.pm_mode, MPSD_PM_SET);
	assert_int_equal(c.n_announce, 0);
	/* Default deny: loopback, containers, bridges, veth. */
	assert_false(mpsd_config_iface_allowed(&c, "lo", ""));
	assert_false(mpsd_config_iface_allowed(&c, "docker0", "bridge"));
	assert_false(mpsd_config_iface_allowed(&c, "br-1a2b", "bridge"));
	assert_false(mpsd_config_iface_allowed(&c, "virbr0", "bridge"));
	assert_false(mpsd_config_iface_allowed(&c, "veth12", "veth"));
	assert_true(mpsd_config_iface_allowed(&c, "eth0", ""));
	assert_true(mpsd_config_iface_allowed(&c, "wlan0", ""));
}

static void test_full(void **state)
{
	struct mpsd_config c;
	char err[256] = "";
	const char *text = "# comment\n"
			   "[daemon]\n"
			   "path_manager = check\n"
			   "log_level = debug\n"
			   "reconcile_interval = 5\n"
			   "max_subflows = 4\n"
			   "event_buffer = 64K\n"
			   "[client]\n"
			   "policy = ndiffports 3\n"
			   "[server]\n"
			   "policy = none\n"
			   "announce = 10.0.0.1, eth1 [2001:db8::1]:8080\n"
			   "[interfaces]\n"
			   "allow = veth* eth*\n"
			   "backup = wwan* 10.9.0.0/16\n"
			   "[links]\n"
			   "on_down = backup\n"
			   "retry_base_ms = 100\n"
			   "[routing]\n"
			   "source_routing = yes\n"
			   "table_base = 9000\n";
	struct mps_addr a;

	assert_int_equal(load(text, &c, err), 0);
	assert_int_equal(c.pm_mode, MPSD_PM_CHECK);
	assert_int_equal(c.log_level, MPSD_LOG_DEBUG);
	assert_int_equal(c.reconcile_s, 5);
	assert_int_equal(c.max_subflows, 4);
	assert_int_equal(c.event_buffer, 65536);
	assert_int_equal(c.client.kind, MPSD_POL_NDIFFPORTS);
	assert_int_equal(c.client.n, 3);
	assert_int_equal(c.n_announce, 3);
	assert_false(c.announce[0].is_iface);
	assert_true(c.announce[1].is_iface);
	assert_string_equal(c.announce[1].ifname, "eth1");
	assert_int_equal(c.announce[2].addr.port, 8080);
	assert_true(mpsd_config_iface_allowed(&c, "veth0", "veth"));
	assert_false(mpsd_config_iface_allowed(&c, "wlan0", ""));
	assert_true(mpsd_matchlist_hit(&c.backup, "wwan0", NULL));
	mps_addr_parse("10.9.3.4", false, &a);
	assert_true(mpsd_matchlist_hit(&c.backup, "eth0", &a));
	mps_addr_parse("10.10.3.4", false, &a);
	assert_false(mpsd_matchlist_hit(&c.backup, "eth0", &a));
	assert_int_equal(c.link_down, MPSD_LD_BACKUP);
	assert_int_equal(c.retry_base_ms, 100);
	assert_true(c.source_routing);
	assert_int_equal(c.table_base, 9000);
}

/* Errors name file:line, the key and the bad value. */
/* Each text is refused, with a message starting with want. */
struct err_case {
	const char *text, *want;
};

static void expect_errors(const struct err_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct mpsd_config c;
		char err[256] = "";

		assert_int_equal(load(cases[i].text, &c, err), -EINVAL);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)))
			fail_msg("case %zu: got \"%s\", want prefix \"%s\"", i, err, cases[i].want);
	}
}

static void test_errors(void **state)
{
	static const struct err_case cases[] = {
		{ "[client]\npolicy = meshy\n", "t.conf:2: bad value 'meshy' for key 'policy'" },
		{ "[daemon]\n\nmax_subflows = 0\n",
		  "t.conf:3: bad value '0' for key 'max_subflows' (1..64)" },
		{ "[daemon]\nlog_level = loud\n",
		  "t.conf:2: bad value 'loud' for key 'log_level'" },
		{ "[daemon]\npath_manager = kernel\n",
		  "t.conf:2: bad value 'kernel' for key 'path_manager'" },
		{ "[client]\npolicy = ndiffports x\n",
		  "t.conf:2: bad value 'ndiffports x' for key 'policy'" },
		{ "[client]\ncolour = red\n",
		  "t.conf:2: unknown key 'colour' in section [client]" },
		{ "[nope]\na = b\n", "t.conf:2: unknown section [nope]" },
		{ "[interfaces]\nbackup = 10.0.0.0/40\n", "t.conf:2: bad value '10.0.0.0/40'" },
		{ "[server]\nannounce = 1.2.3.4:99999\n",
		  "t.conf:2: bad value '1.2.3.4:99999' for key 'announce'" },
		{ "[routing]\nsource_routing = maybe\n",
		  "t.conf:2: bad value 'maybe' for key 'source_routing'" },
		{ "[daemon]\ncontrol_group = no-such-group-xyz\n",
		  "t.conf:2: bad value 'no-such-group-xyz' for key 'control_group'" },
		{ "[daemon\n", "t.conf:1: syntax error" },
		{ "[daemon]\nevent_buffer = 12Q\n",
		  "t.conf:2: bad value '12Q' for key 'event_buffer'" },
		{ "[daemon]\nevent_buffer = 1K\n",
		  "t.conf:2: bad value '1K' for key 'event_buffer'" },
	};

	expect_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Input that is wrong is refused, never read as something else. */
static void test_refused_not_reinterpreted(void **state)
{
	static const struct err_case cases[] = {
		/* 17179869185 << 30 and 18014398509481988 << 10 wrap around to 1 GiB / 4 KiB. */
		{ "[daemon]\nevent_buffer = 17179869185G\n",
		  "t.conf:2: bad value '17179869185G' for key 'event_buffer'" },
		{ "[daemon]\nevent_buffer = 18014398509481988K\n",
		  "t.conf:2: bad value '18014398509481988K' for key 'event_buffer'" },
		{ "[daemon]\nevent_buffer = 99999999999999999999999\n",
		  "t.conf:2: bad value '99999999999999999999999'" },
		{ "[daemon]\nevent_buffer = 2G\n", "t.conf:2: bad value '2G'" },
		{ "[daemon]\nevent_buffer = +8K\n", "t.conf:2: bad value '+8K'" },
		{ "[daemon]\nevent_buffer = 8KK\n", "t.conf:2: bad value '8KK'" },
		{ "[daemon]\nevent_buffer = K\n", "t.conf:2: bad value 'K'" },
		{ "[daemon]\nmax_subflows = 4294967300\n", "t.conf:2: bad value '4294967300'" },
		{ "[daemon]\nmax_subflows = 18446744073709551620\n",
		  "t.conf:2: bad value '18446744073709551620'" },
		{ "[daemon]\nmax_subflows = -1\n", "t.conf:2: bad value '-1'" },
		{ "[daemon]\nmax_subflows = 0x\n", "t.conf:2: bad value '0x'" },
		{ "[routing]\ntable_base = 0x80000000\n", "t.conf:2: bad value '0x80000000'" },
		{ "[links]\nretry_limit = 1e3\n", "t.conf:2: bad value '1e3'" },
		{ "[daemon]\ncontrol_idle_timeout = 0\n", "t.conf:2: bad value '0'" },
		{ "[daemon]\ncontrol_queue_limit = 1K\n", "t.conf:2: bad value '1K'" },
		/* A line beyond inih's buffer was split and its tail parsed as a phantom line. */
		{ "[client]\n"
		  "policy = none                                                                    "
		  "                                                                                 "
		  "                                                                     fullmesh = x\n",
		  "t.conf:2: line longer than 197 characters" },
		{ "[interfaces]\nallow = fe80::/10%eth0\n", "t.conf:2: bad value 'fe80::/10%eth0'" },
		{ "[server]\nannounce = fe80::1%lo\n", "t.conf:2: bad value 'fe80::1%lo' for key" },
	};

	expect_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_numbers_taken(void **state)
{
	struct mpsd_config c;
	char err[256] = "", line[300];

	assert_int_equal(load("[daemon]\nevent_buffer = 1G\nmax_subflows = 010\n"
			      "reconcile_interval = 0x10\n", &c, err), 0);
	assert_int_equal(c.event_buffer, 1u << 30);
	assert_int_equal(c.max_subflows, 10); /* decimal, not octal */
	assert_int_equal(c.reconcile_s, 16);
	assert_int_equal(load("[daemon]\nevent_buffer = 4k\n", &c, err), 0);
	assert_int_equal(c.event_buffer, 4096);
	assert_int_equal(c.ctl_idle_s, MPSD_CTL_IDLE_S);
	assert_int_equal(load("[daemon]\ncontrol_queue_limit = 8K\ncontrol_idle_timeout = 2\n", &c,
			      err), 0);
	assert_int_equal(c.ctl_unpriv_queue, 8192);
	assert_int_equal(c.ctl_idle_s, 2);
	/* The longest line inih takes whole (197 characters), CRLF or not. */
	snprintf(line, sizeof(line), "[interfaces]\nallow = eth0%*s\r\n", 197 - 12, "");
	assert_int_equal(load(line, &c, err), 0);
	assert_int_equal(c.allow.n, 1);
	snprintf(line, sizeof(line), "[interfaces]\nallow = eth0%*s", 197 - 12 + 1, "");
	assert_int_equal(load(line, &c, err), -EINVAL);
	assert_string_equal(err, "t.conf:2: line longer than 197 characters (a long list can be "
			    "split over several lines of the same key)");
}

/* A file is read whole: a NUL byte is named, not taken for its end. */
static void test_file_nul(void **state)
{
	static const char text[] = "[daemon]\nlog_level = info\nlog_level = debug\0 junk\n";
	char path[] = "/tmp/mpsteerd-test-XXXXXX", err[256] = "", want[300];
	struct mpsd_config c;
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	fclose(f);
	mpsd_config_defaults(&c);
	assert_int_equal(mpsd_config_load(path, &c, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: NUL byte in the line", path);
	assert_string_equal(err, want);
	remove(path);
}

/* What the daemon keeps after start-up: CAP_NET_ADMIN, and CAP_NET_BIND_SERVICE to bind. */
static void test_privs_needed(void **state)
{
	struct mpsd_config c;
	char err[256] = "", buf[64];

	assert_int_equal(load("", &c, err), 0);
	assert_true(privs_needed(&c) == 1ull << 12);
	assert_string_equal(privs_format(privs_needed(&c), buf, sizeof(buf)), "CAP_NET_ADMIN");
	assert_int_equal(load("[server]\nannounce = 10.0.0.1:443\n", &c, err), 0);
	assert_string_equal(privs_format(privs_needed(&c), buf, sizeof(buf)),
			    "CAP_NET_ADMIN CAP_NET_BIND_SERVICE");
	assert_string_equal(privs_format(0, buf, sizeof(buf)), "none");
}

static void test_policy_names(void **state)
{
	static const char *const ok[] = { "none", "per-interface", "fullmesh", "ndiffports 2" };
	struct mpsd_policy p;
	char buf[32];

	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(mpsd_policy_parse(ok[i], &p), 0);
		assert_string_equal(mpsd_policy_format(&p, buf, sizeof(buf)), ok[i]);
	}
	assert_int_equal(mpsd_policy_parse("ndiffports", &p), -EINVAL);
	assert_int_equal(mpsd_policy_parse("ndiffports 0", &p), -EINVAL);
	assert_int_equal(mpsd_policy_parse("ndiffports 65", &p), -EINVAL);
	assert_int_equal(mpsd_policy_parse("", &p), -EINVAL);
}

static void test_prefix(void **state)
{
	struct mps_addr p, a;

	mps_addr_parse("2001:db8::", false, &p);
	mps_addr_parse("2001:db8:ffff::1", false, &a);
	assert_true(mpsd_prefix_contains(&p, 32, &a));
	assert_false(mpsd_prefix_contains(&p, 48, &a));
	mps_addr_parse("10.0.0.0", false, &p);
	mps_addr_parse("10.0.0.255", false, &a);
	assert_true(mpsd_prefix_contains(&p, 24, &a));
	assert_false(mpsd_prefix_contains(&p, 25, &a));
	assert_true(mpsd_prefix_contains(&p, 0, &a));
	mps_addr_parse("::ffff:10.0.0.1", false, &a); /* another family */
	assert_false(mpsd_prefix_contains(&p, 8, &a));
}

/* ---- policy ---- */

static struct mps_addr A(const char *s)
{
	struct mps_addr a;

	assert_int_equal(mps_addr_parse(s, true, &a), 0);
	return a;
}

struct rig {
	struct mpsd_local locals[4];
	struct mpsd_pair existing[4];
	struct mps_addr remotes[2];
	struct mpsd_plan_in in;
};

/* Client with eth0 10.0.1.2 (initial subflow to 10.0.0.1:80) and eth1 10.0.2.2, wlan 10.0.3.2. */
static void rig_init(struct rig *r, enum mpsd_policy_kind kind)
{
	memset(r, 0, sizeof(*r));
	r->locals[0] = (struct mpsd_local){ .ifindex = 2, .ifname = "eth0", .addr = A("10.0.1.2") };
	r->locals[1] = (struct mpsd_local){ .ifindex = 3, .ifname = "eth1", .addr = A("10.0.2.2") };
	r->locals[2] = (struct mpsd_local){ .ifindex = 4, .ifname = "wlan0",
					     .addr = A("10.0.3.2") };
	r->locals[3] = (struct mpsd_local){ .ifindex = 3, .ifname = "eth1",
					     .addr = A("2001:db8::2") };
	r->existing[0] = (struct mpsd_pair){ .ifindex = 2, .local = A("10.0.1.2:40000"),
					     .remote = A("10.0.0.1:80") };
	r->in.policy.kind = kind;
	r->in.max_subflows = 8;
	r->in.local0 = A("10.0.1.2:40000");
	r->in.remote0 = A("10.0.0.1:80");
	r->in.ifindex0 = 2;
	r->in.existing = r->existing;
	r->in.n_existing = 1;
	r->in.locals = r->locals;
	r->in.n_locals = 4;
	r->in.remotes = r->remotes;
}

static void test_plan_per_iface(void **state)
{
	struct mpsd_pair out[8];
	struct rig r;
	char buf[MPS_ADDRSTRLEN];

	rig_init(&r, MPSD_POL_PER_IFACE);
	assert_int_equal(mpsd_plan(&r.in, out, 8), 2);
	assert_int_equal(out[0].ifindex, 3);
	assert_string_equal(mps_addr_format(&out[0].local, buf, sizeof(buf)), "10.0.2.2");
	assert_string_equal(mps_addr_format(&out[0].remote, buf, sizeof(buf)), "10.0.0.1:80");
	assert_int_equal(out[1].ifindex, 4);
	/* With those created, nothing more. */
	r.existing[1] = out[0];
	r.existing[2] = out[1];
	r.in.n_existing = 3;
	assert_int_equal(mpsd_plan(&r.in, out, 8), 0);
	/* The initial subflow gone (its link died and came back): re-created. */
	r.existing[0] = r.existing[2];
	r.in.n_existing = 2;
	assert_int_equal(mpsd_plan(&r.in, out, 8), 1);
	assert_int_equal(out[0].ifindex, 2);
}

static void test_plan_cap_and_deny_id0(void **state)
{
	struct mpsd_pair out[8];
	struct rig r;
	char buf[MPS_ADDRSTRLEN];

	rig_init(&r, MPSD_POL_PER_IFACE);
	r.in.max_subflows = 2;
	assert_int_equal(mpsd_plan(&r.in, out, 8), 1);
	r.in.max_subflows = 1;
	assert_int_equal(mpsd_plan(&r.in, out, 8), 0);
	/* deny-join-id0: not to the initial address; an announced one instead. */
	r.in.max_subflows = 8;
	r.in.deny_join_id0 = true;
	assert_int_equal(mpsd_plan(&r.in, out, 8), 0);
	r.remotes[0] = A("10.0.9.1");
	r.in.n_remotes = 1;
	assert_int_equal(mpsd_plan(&r.in, out, 8), 2);
	assert_string_equal(mps_addr_format(&out[0].remote, buf, sizeof(buf)), "10.0.9.1:80");
}

static void test_plan_fullmesh(void **state)
{
	struct mpsd_pair out[16];
	struct rig r;

	rig_init(&r, MPSD_POL_FULLMESH);
	r.remotes[0] = A("10.0.8.1:8080");
	r.in.n_remotes = 1;
	/* 3 IPv4 locals x 2 remotes, minus the initial pair; the IPv6 local has no v6 peer. */
	assert_int_equal(mpsd_plan(&r.in, out, 16), 5);
	assert_int_equal(out[4].remote.port, 8080);
	r.in.max_subflows = 4;
	assert_int_equal(mpsd_plan(&r.in, out, 16), 3);
}

static void test_plan_ndiffports(void **state)
{
	struct mpsd_pair out[8];
	struct rig r;

	rig_init(&r, MPSD_POL_NDIFFPORTS);
	r.in.policy.n = 3;
	assert_int_equal(mpsd_plan(&r.in, out, 8), 2);
	assert_true(mps_addr_same_ip(&out[0].local, &r.in.local0));
	assert_int_equal(out[0].local.port, 0);
	assert_true(mps_addr_equal(&out[1].remote, &r.in.remote0));
	/* The initial interface unusable: nothing (the pair needs its address). */
	r.in.locals = r.locals + 1;
	r.in.n_locals = 3;
	assert_int_equal(mpsd_plan(&r.in, out, 8), 0);
}

static void test_plan_none(void **state)
{
	struct mpsd_pair out[8];
	struct rig r;

	rig_init(&r, MPSD_POL_NONE);
	assert_int_equal(mpsd_plan(&r.in, out, 8), 0);
}

/* ---- connection table ---- */

static void count_cb(struct mpsd *d, struct mpsd_conn *c, void *data)
{
	(*(size_t *)data)++;
}

static void free_odd_cb(struct mpsd *d, struct mpsd_conn *c, void *data)
{
	if (c->token & 1)
		conn_free(d, c);
}

static void test_conn_table(void **state)
{
	const uint32_t n = 20000;
	size_t seen = 0;

	/* Sequential tokens: the worst case for a plain modulo hash. */
	for (uint32_t t = 1; t <= n; t++)
		assert_non_null(conn_new(&daemon, t));
	assert_int_equal(conn_count(&daemon), n);
	for (uint32_t t = 1; t <= n; t++) {
		assert_int_equal(conn_find(&daemon, t)->token, t);
		conn_mark_dirty(&daemon, conn_find(&daemon, t));
	}
	assert_null(conn_find(&daemon, n + 1));
	conn_foreach(&daemon, count_cb, &seen);
	assert_int_equal(seen, n);
	/* The callback may free what it is given. */
	conn_foreach(&daemon, free_odd_cb, NULL);
	assert_int_equal(conn_count(&daemon), n / 2);
	assert_null(conn_find(&daemon, 3));
	assert_non_null(conn_find(&daemon, 4));
	/* The update list holds the survivors, each once. */
	conn_mark_dirty(&daemon, conn_find(&daemon, 4));
	for (struct mpsd_conn *c = daemon.conns.dirty; c; c = c->dnext)
		seen--;
	assert_int_equal(seen, n / 2);
	/* Freed one by one down to nothing: the table shrinks and stays usable. */
	for (uint32_t t = 2; t <= n; t += 2)
		conn_free(&daemon, conn_find(&daemon, t));
	assert_int_equal(conn_count(&daemon), 0);
	assert_null(daemon.conns.dirty); /* every freed connection left the update list */
	assert_int_equal(timers_cancelled, (int)n);
	assert_non_null(conn_new(&daemon, 7));
	assert_non_null(conn_find(&daemon, 7));
	conn_free_all(&daemon);
	assert_int_equal(conn_count(&daemon), 0);
	conn_free(&daemon, NULL);
}

static void test_conn_local_ids(void **state)
{
	struct mpsd_conn *c = conn_new(&daemon, 42);
	struct mps_addr a = A("10.0.2.2"), b = A("10.0.3.2"), b6 = A("2001:db8::2");
	struct mps_addr a_port = A("10.0.2.2:5555");
	int ia, ib, ib6;

	c->local0 = A("10.0.1.2:40000");
	assert_int_equal(conn_local_id(c, &c->local0), 0); /* the initial address is id 0 */
	ia = conn_local_id(c, &a);
	ib = conn_local_id(c, &b);
	ib6 = conn_local_id(c, &b6);
	assert_true(ia >= 1 && ib >= 1 && ib6 >= 1);
	assert_int_not_equal(ia, ib);
	assert_int_not_equal(ib, ib6);
	assert_int_equal(conn_local_id(c, &a_port), ia); /* same address, same id */
	/* An id the kernel chose (a peer's join) is kept, and not handed out again. */
	struct mps_addr d = A("10.0.4.2"), e = A("10.0.5.2");

	conn_local_id_note(c, &d, 9);
	assert_int_equal(conn_local_id(c, &d), 9);
	for (int i = 0; i < 5; i++) {
		struct mps_addr x = A("10.0.6.2");

		x.v4.s_addr += (uint32_t)i << 24;
		assert_int_not_equal(conn_local_id(c, &x), 9);
	}
	assert_int_not_equal(conn_local_id(c, &e), 9);
	conn_free(&daemon, c);
}

static void test_conn_subflows_and_retry(void **state)
{
	struct mpsd_conn *c = conn_new(&daemon, 43);
	struct mps_addr l = A("10.0.2.2"), r = A("10.0.0.1:80"), lp = A("10.0.2.2:1234");
	struct mpsd_sf *sf;

	for (int i = 0; i < 10; i++) { /* grows past its first allocation */
		sf = conn_sf_add(c);
		assert_non_null(sf);
		sf->local = A("10.0.9.9");
		sf->remote = r;
	}
	sf = conn_sf_add(c);
	sf->local = l; /* pending: no local port yet */
	sf->remote = r;
	assert_ptr_equal(conn_sf_find(c, &lp, &r), sf);
	sf->local = lp; /* established */
	assert_null(conn_sf_find(c, &(struct mps_addr){ .family = AF_INET, .port = 99,
						    .v4 = lp.v4 }, &r));
	conn_sf_del(c, sf);
	assert_int_equal(c->n_sf, 10);
	assert_null(conn_sf_find(c, &lp, &r));
	/* Retry records: found again by address pair, the oldest forgotten when full. */
	struct mpsd_retry *rt = conn_retry(c, &l, &r, true);

	rt->failures = 3;
	assert_ptr_equal(conn_retry(c, &lp, &r, false), rt); /* ports do not matter */
	for (int i = 0; i < 8; i++) {
		struct mps_addr x = A("10.0.7.1");

		x.v4.s_addr += (uint32_t)i << 24;
		conn_retry(c, &x, &r, true);
	}
	assert_null(conn_retry(c, &l, &r, false));
	conn_free(&daemon, c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_refused_not_reinterpreted),
		cmocka_unit_test(test_numbers_taken),
		cmocka_unit_test(test_privs_needed),
		cmocka_unit_test(test_file_nul),
		cmocka_unit_test(test_policy_names),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_plan_per_iface),
		cmocka_unit_test(test_plan_cap_and_deny_id0),
		cmocka_unit_test(test_plan_fullmesh),
		cmocka_unit_test(test_plan_ndiffports),
		cmocka_unit_test(test_plan_none),
		cmocka_unit_test(test_conn_table),
		cmocka_unit_test(test_conn_local_ids),
		cmocka_unit_test(test_conn_subflows_and_retry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
