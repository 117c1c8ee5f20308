/* SPDX-License-Identifier: MIT */
/* Selectors, paths and primary plans: pure functions over a hand-made snapshot. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>

#include "mpsteer/steer.h"

static void addr(const char *s, struct mps_addr *a)
{
	assert_int_equal(mps_addr_parse(s, true, a), 0);
}

static void test_selector_parse(void **state)
{
	struct mps_selector s;
	char err[128];

	assert_int_equal(mps_selector_parse("token", "123", &s, err, sizeof(err)), 0);
	assert_int_equal(s.kind, MPS_SEL_TOKEN);
	assert_int_equal(s.token, 123);
	assert_int_equal(mps_selector_parse("token", "0xdeadbeef", &s, err, sizeof(err)), 0);
	assert_int_equal(s.token, 0xdeadbeef);
	assert_int_equal(mps_selector_parse("token", "4294967296", &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "4294967296"));
	assert_int_equal(mps_selector_parse("token", "-1", &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(mps_selector_parse("pid", "42", &s, err, sizeof(err)), 0);
	assert_int_equal(s.pid, 42);
	assert_int_equal(mps_selector_parse("pid", "0", &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(mps_selector_parse("peer", "[fd00::1]:443", &s, err, sizeof(err)), 0);
	assert_int_equal(s.peer.family, AF_INET6);
	assert_int_equal(s.peer.port, 443);
	assert_int_equal(mps_selector_parse("peer", "10.0.0.1", &s, err, sizeof(err)), 0);
	assert_int_equal(s.peer.port, 0);
	assert_int_equal(mps_selector_parse("user", "x", &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "\"user\""));
}

static struct mps_link links[] = {
	{ .ifindex = 1, .name = "lo" }, { .ifindex = 2, .name = "s1" }, { .ifindex = 3, .name = "s2" },
};
static struct mps_ifaddr addrs[2];
static struct mps_ifcache ifc = { .n_links = 3, .links = links, .n_addrs = 2, .addrs = addrs };

static void setup_ifc(void)
{
	addrs[0].ifindex = 2;
	addr("10.0.1.2", &addrs[0].addr);
	addrs[1].ifindex = 3;
	addr("10.0.2.2", &addrs[1].addr);
}

static void test_path_parse(void **state)
{
	struct mps_path p;
	char err[128];

	setup_ifc();
	assert_int_equal(mps_path_parse("s2", &ifc, &p, err, sizeof(err)), 0);
	assert_int_equal(p.kind, MPS_PATH_IFACE);
	assert_int_equal(p.ifindex, 3);
	assert_int_equal(mps_path_parse("10.0.2.2", &ifc, &p, err, sizeof(err)), 0);
	assert_int_equal(p.kind, MPS_PATH_LOCAL);
	assert_int_equal(mps_path_parse("10.0.2.1", &ifc, &p, err, sizeof(err)), 0);
	assert_int_equal(p.kind, MPS_PATH_REMOTE);
	assert_int_equal(mps_path_parse("wlan9", &ifc, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "\"wlan9\""));
}

/* Connection 7: subflows on s1 (initial) and s2 (joined), s2 asked backup by us earlier. */
static struct mps_subflow sf7[3];
static struct mps_subflow sf8[1];
static struct mps_conn conns[2];
static struct mps_snapshot snap = { .n_conns = 2, .conns = conns };

static int setup_snap(void **state)
{
	memset(sf7, 0, sizeof(sf7));
	memset(conns, 0, sizeof(conns));
	conns[0].token = 7;
	addr("10.0.1.2:5201", &conns[0].local);
	addr("10.0.1.1:40000", &conns[0].remote);
	conns[0].n_subflows = 3;
	conns[0].subflows = sf7;
	sf7[0] = (struct mps_subflow){ .ifindex = 2, .state = TCP_ESTABLISHED };
	addr("10.0.1.2:5201", &sf7[0].local);
	addr("10.0.1.1:40000", &sf7[0].remote);
	sf7[1] = (struct mps_subflow){ .ifindex = 3, .state = TCP_ESTABLISHED, .backup_local = true,
				       .backup_peer = true };
	addr("10.0.1.2:5201", &sf7[1].local);
	addr("10.0.2.1:40001", &sf7[1].remote);
	/* A subflow still connecting is left alone. */
	sf7[2] = (struct mps_subflow){ .ifindex = 3, .state = TCP_SYN_SENT };
	addr("10.0.1.2:5201", &sf7[2].local);
	addr("10.0.2.1:40002", &sf7[2].remote);
	conns[1].token = 8;
	addr("10.0.1.2:5201", &conns[1].local);
	addr("10.0.9.9:1234", &conns[1].remote);
	conns[1].fallback = true;
	conns[1].n_subflows = 1;
	conns[1].subflows = sf8;
	sf8[0] = sf7[0];
	return 0;
}

static void test_plan_primary(void **state)
{
	struct mps_selector sel;
	struct mps_path path;
	struct mps_plan plan;
	char err[256];

	setup_ifc();
	assert_int_equal(mps_selector_parse("peer", "10.0.1.1", &sel, err, sizeof(err)), 0);
	assert_int_equal(mps_path_parse("s2", &ifc, &path, err, sizeof(err)), 0);
	assert_int_equal(mps_plan_primary(&snap, NULL, &sel, &path, &plan, err, sizeof(err)), 0);
	assert_int_equal(plan.n_conns, 1);
	assert_int_equal(plan.n, 2);
	/* s1 becomes backup, s2 primary (we had asked backup on it; the peer still does). */
	assert_true(plan.changes[0].backup);
	assert_false(plan.changes[0].was_backup);
	assert_false(plan.changes[1].backup);
	assert_true(plan.changes[1].was_backup);
	assert_true(plan.changes[1].peer_backup);
	assert_int_equal(plan.changes[1].remote.port, 40001);
	mps_plan_free(&plan);
	mps_plan_free(&plan); /* idempotent */

	/* by remote address of the joined subflow */
	assert_int_equal(mps_path_parse("10.0.2.1", &ifc, &path, err, sizeof(err)), 0);
	assert_int_equal(mps_plan_primary(&snap, NULL, &sel, &path, &plan, err, sizeof(err)), 0);
	assert_true(plan.changes[0].backup);
	assert_false(plan.changes[1].backup);
	mps_plan_free(&plan);
}

static void test_plan_errors(void **state)
{
	struct mps_selector sel;
	struct mps_path path;
	struct mps_plan plan;
	char err[256];

	setup_ifc();
	assert_int_equal(mps_path_parse("s2", &ifc, &path, err, sizeof(err)), 0);
	mps_selector_parse("token", "99", &sel, err, sizeof(err));
	assert_int_equal(mps_plan_primary(&snap, NULL, &sel, &path, &plan, err, sizeof(err)), -ESRCH);
	assert_non_null(strstr(err, "token 99"));
	mps_selector_parse("token", "8", &sel, err, sizeof(err));
	assert_int_equal(mps_plan_primary(&snap, NULL, &sel, &path, &plan, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_non_null(strstr(err, "fallen back"));
	/* A path with only a connecting subflow does not count. */
	mps_selector_parse("token", "7", &sel, err, sizeof(err));
	assert_int_equal(mps_path_parse("10.0.2.1:40002", &ifc, &path, err, sizeof(err)), 0);
	assert_int_equal(mps_plan_primary(&snap, NULL, &sel, &path, &plan, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "10.0.2.1:40002"));
	assert_null(plan.changes);
	/* A selector matching a good and a fallen-back connection plans nothing. */
	conns[0].pid = conns[1].pid = 5;
	mps_selector_parse("pid", "5", &sel, err, sizeof(err));
	assert_int_equal(mps_path_parse("s2", &ifc, &path, err, sizeof(err)), 0);
	assert_int_equal(mps_plan_primary(&snap, NULL, &sel, &path, &plan, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_null(plan.changes);
}

static void test_selector_match_mapped(void **state)
{
	struct mps_selector sel;
	struct mps_conn c = { 0 };
	char err[64];

	/* A v4 peer seen on a v6 socket matches a v4 selector. */
	addr("::ffff:10.0.1.1", &c.remote);
	c.remote.port = 80;
	mps_selector_parse("peer", "10.0.1.1:80", &sel, err, sizeof(err));
	assert_true(mps_selector_match(&sel, &c, NULL));
	mps_selector_parse("peer", "10.0.1.1:81", &sel, err, sizeof(err));
	assert_false(mps_selector_match(&sel, &c, NULL));
	c.pid = 5;
	mps_selector_parse("pid", "5", &sel, err, sizeof(err));
	assert_true(mps_selector_match(&sel, &c, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selector_parse),
		cmocka_unit_test(test_path_parse),
		cmocka_unit_test_setup(test_plan_primary, setup_snap),
		cmocka_unit_test_setup(test_plan_errors, setup_snap),
		cmocka_unit_test(test_selector_match_mapped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
