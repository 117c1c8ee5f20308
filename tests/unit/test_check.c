/* SPDX-License-Identifier: MIT */
/* The health checks of mpsteer diagnose: facts in, findings out. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "mpsteer/check.h"

static struct mps_facts f;
static struct mps_findings fs;

static const struct mps_finding *find(const char *id)
{
	size_t i;

	for (i = 0; i < fs.n; i++)
		if (!strcmp(fs.v[i].id, id))
			return &fs.v[i];
	return NULL;
}

static size_t problems(void)
{
	size_t i, n = 0;

	for (i = 0; i < fs.n; i++)
		n += fs.v[i].level == MPS_PROBLEM;
	return n;
}

/* A healthy in-kernel-PM client: c1 (index 2) and c2 (3), endpoint on c2, routed via c2. */
static int setup(void **state)
{
	memset(&f, 0, sizeof(f));
	f.enabled = 1;
	f.listeners_here = f.listeners_all = 0;
	f.have_limits = true;
	f.limits.subflows = 2;
	f.n_ifaces = 2;
	strcpy(f.ifaces[0].name, "c1");
	strcpy(f.ifaces[1].name, "c2");
	for (int i = 0; i < 2; i++) {
		f.ifaces[i].ifindex = 2 + i;
		f.ifaces[i].up = f.ifaces[i].carrier = f.ifaces[i].has_addr = true;
	}
	f.n_endpoints = 1;
	mps_addr_parse("10.0.2.1", false, &f.endpoints[0].ep.addr);
	f.endpoints[0].ep.id = 1;
	f.endpoints[0].ep.ifindex = 3;
	f.endpoints[0].ep.flags = MPS_PM_FLAG_SUBFLOW;
	f.n_routes = 1;
	f.routes[0].src = f.endpoints[0].ep.addr;
	mps_addr_parse("10.0.1.2", false, &f.routes[0].dst);
	f.routes[0].src_ifindex = f.routes[0].oif = 3;
	memset(&fs, 0, sizeof(fs));
	return 0;
}

static int teardown(void **state)
{
	mps_findings_free(&fs);
	return 0;
}

static void test_healthy(void **state)
{
	assert_int_equal(mps_check(&f, &fs), 0);
	assert_int_equal(problems(), 0);
	assert_non_null(find("route"));
}

static void test_disabled(void **state)
{
	f.enabled = 0;
	assert_int_equal(mps_check(&f, &fs), 0);
	assert_string_equal(find("mptcp-disabled")->fix, "sysctl -w net.mptcp.enabled=1");
}

static void test_listeners(void **state)
{
	f.userspace_pm = true;
	assert_int_equal(mps_check(&f, &fs), 0);
	assert_int_equal(find("no-event-listener")->level, MPS_PROBLEM);
	mps_findings_free(&fs);
	/* Someone elsewhere listens: joins work, but nothing here manages subflows. */
	f.listeners_all = 1;
	f.listener_pid = 42;
	strcpy(f.listener_comm, "mpsteerd");
	assert_int_equal(mps_check(&f, &fs), 0);
	assert_null(find("no-event-listener"));
	assert_int_equal(find("no-local-listener")->level, MPS_HINT);
	assert_non_null(strstr(find("no-local-listener")->text, "pid 42, mpsteerd"));
	mps_findings_free(&fs);
	f.listeners_here = 1;
	assert_int_equal(mps_check(&f, &fs), 0);
	assert_int_equal(find("event-listener")->level, MPS_OK);
	/* Limits and endpoints belong to the in-kernel PM only. */
	assert_null(find("limits"));
	assert_int_equal(problems(), 0);
}

static void test_limits_and_endpoints(void **state)
{
	f.limits.subflows = 0;
	f.endpoints[0].ep.flags = 0;
	assert_int_equal(mps_check(&f, &fs), 0);
	assert_string_equal(find("limits-subflows-0")->fix, "ip mptcp limits set subflows 2");
	assert_string_equal(find("endpoint-unused")->fix,
			    "ip mptcp endpoint delete id 1; ip mptcp endpoint add 10.0.2.1 dev c2 subflow");
	mps_findings_free(&fs);
	f.limits.subflows = 2;
	f.endpoints[0].ep.flags = MPS_PM_FLAG_SUBFLOW;
	f.ifaces[1].up = false;
	assert_int_equal(mps_check(&f, &fs), 0);
	assert_string_equal(find("endpoint-down")->fix, "ip link set c2 up");
	mps_findings_free(&fs);
	/* Up without carrier: no command brings the peer back. */
	f.ifaces[1].up = true;
	f.ifaces[1].carrier = false;
	assert_int_equal(mps_check(&f, &fs), 0);
	assert_string_equal(find("endpoint-down")->fix, "");
}

static void test_routes(void **state)
{
	f.routes[0].oif = 2;
	f.routes[0].has_gw = true;
	mps_addr_parse("10.0.2.2", false, &f.routes[0].gw);
	assert_int_equal(mps_check(&f, &fs), 0);
	assert_non_null(strstr(find("source-route")->text, "would leave via c1"));
	assert_string_equal(find("source-route")->fix,
			    "ip rule add from 10.0.2.1 table 103; ip route add default via 10.0.2.2 "
			    "dev c2 table 103");
	mps_findings_free(&fs);
	f.routes[0].err = -ENETUNREACH;
	assert_int_equal(mps_check(&f, &fs), 0);
	assert_int_equal(find("no-route")->level, MPS_PROBLEM);
}

static void test_probe_and_nft(void **state)
{
	static const char ruleset[] =
		"table inet fw { # handle 7\n"
		"\tchain out { # handle 1\n"
		"\t\ttype filter hook output priority filter; policy accept;\n"
		"\t\ttcp dport 22 accept # handle 3\n"
		"\t\ttcp flags syn reset tcp option mptcp # handle 4\n"
		"\t}\n}\n";

	f.have_peer = true;
	mps_addr_parse("10.0.1.2", true, &f.peer);
	assert_int_equal(mps_check(&f, &fs), 0);
	assert_int_equal(find("probe-skipped")->level, MPS_HINT);
	mps_findings_free(&fs);
	mps_addr_parse("10.0.1.2:80", true, &f.peer);
	f.probe = MPS_PROBE_FALLBACK;
	assert_int_equal(mps_check(&f, &fs), 0);
	assert_non_null(strstr(find("peer-no-mptcp")->text, "the server does not use MPTCP"));
	mps_findings_free(&fs);
	mps_nft_parse(ruleset, &f);
	assert_int_equal(f.n_nft, 1);
	assert_int_equal(mps_check(&f, &fs), 0);
	assert_string_equal(find("nft-strips-mptcp")->fix, "nft delete rule inet fw out handle 4");
	assert_non_null(strstr(find("peer-no-mptcp")->text, "nftables rule above"));
	mps_findings_free(&fs);
	f.n_nft = 0;
	f.probe = MPS_PROBE_MPTCP;
	assert_int_equal(mps_check(&f, &fs), 0);
	assert_int_equal(problems(), 0);
}

static void test_parsers(void **state)
{
	static const char netstat[] =
		"TcpExt: SyncookiesSent X\nTcpExt: 0 1\n"
		"MPTcpExt: MPCapableSYNRX MPJoinRejected DataCsumErr\n"
		"MPTcpExt: 5 3 0\n";
	static struct mps_facts now;
	uint32_t groups, inode;
	int proto;

	assert_int_equal(mps_netlink_line_parse("sk Eth Pid Groups Rmem Wmem Dump Locks Drops "
						"Inode\n", &proto, &groups, &inode), -EINVAL);
	assert_int_equal(mps_netlink_line_parse("0000000033a750de 16  4242       00000100 0  0  0  "
						"2        0        98765\n", &proto, &groups, &inode), 0);
	assert_int_equal(proto, 16);
	assert_int_equal(groups, 0x100);
	assert_int_equal(inode, 98765);
	assert_int_equal(mps_mib_parse(netstat, &f), 0);
	assert_int_equal(f.n_mib, 3);
	assert_string_equal(f.mib[1].name, "MPJoinRejected");
	assert_int_equal(f.mib[1].total, 3);
	now = f;
	now.mib[1].total = 7;
	mps_mib_delta(&f, &now);
	assert_int_equal(f.mib[1].delta, 4);
	assert_int_equal(mps_check(&f, &fs), 0);
	assert_non_null(strstr(find("mib-changing")->text, "MPJoinRejected +4"));
	assert_int_equal(mps_mib_parse("TcpExt: A\nTcpExt: 1\n", &f), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_healthy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listeners, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_and_endpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_and_nft, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parsers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
