/* SPDX-License-Identifier: MIT */
/* mpsteer top's arithmetic: rates between two snapshots, sorting, per-interface totals. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "../../src/mpsteer/toprates.h"

static struct mps_subflow sfs[2][3];
static struct mps_conn conns[2][2];
static struct mps_snapshot snaps[2];

static void subflow(struct mps_subflow *sf, const char *ifname, const char *local,
		    uint64_t acked, uint64_t received)
{
	memset(sf, 0, sizeof(*sf));
	strcpy(sf->ifname, ifname);
	mps_addr_parse(local, true, &sf->local);
	mps_addr_parse("10.0.1.2:5201", true, &sf->remote);
	sf->bytes_acked = acked;
	sf->bytes_received = received;
}

/* Snapshot k: connection 1 (two subflows, c1 and c2), connection 2 (one, c1). */
static void build(int k, uint64_t base)
{
	subflow(&sfs[k][0], "c1", "10.0.1.1:1000", base, base / 10);
	subflow(&sfs[k][1], "c2", "10.0.2.1:1001", 2 * base, 0);
	subflow(&sfs[k][2], "c1", "10.0.1.1:1002", base / 100, 0);
	memset(conns[k], 0, sizeof(conns[k]));
	conns[k][0].token = 1;
	conns[k][0].n_subflows = 2;
	conns[k][0].subflows = &sfs[k][0];
	conns[k][1].token = 2;
	conns[k][1].n_subflows = 1;
	conns[k][1].subflows = &sfs[k][2];
	snaps[k].n_conns = 2;
	snaps[k].conns = conns[k];
}

static bool only_two(const struct mps_conn *c, void *data)
{
	return c->token == 2;
}

static void test_rates(void **state)
{
	struct top_view v;
	char buf[32];

	build(0, 1000000);
	build(1, 2000000); /* one second later: c1 +1 MB, c2 +2 MB on connection 1 */
	assert_int_equal(top_view_build(&snaps[0], &snaps[1], 1000, TOP_SORT_RATE, NULL, NULL, &v),
			 0);
	assert_int_equal(v.n_conns, 2);
	assert_int_equal(v.conns[0].c->token, 1);           /* the busiest first */
	assert_true(v.conns[0].send_bps == 24e6);            /* (1 + 2) MB/s */
	assert_true(v.conns[0].sf[0].recv_bps == 0.8e6);     /* 100 kB/s */
	assert_int_equal(v.n_ifaces, 2);
	assert_string_equal(v.ifaces[0].name, "c1");
	assert_int_equal(v.ifaces[0].subflows, 2);
	assert_true(v.ifaces[0].send_bps == 8e6 + 0.08e6);   /* both connections' c1 subflows */
	assert_true(v.ifaces[1].send_bps == 16e6);
	assert_string_equal(top_rate(v.ifaces[1].send_bps, buf, sizeof(buf)), "16.0 Mbit/s");
	top_view_free(&v);

	/* Sorted by token, and a filter. */
	assert_int_equal(top_view_build(&snaps[0], &snaps[1], 1000, TOP_SORT_TOKEN, NULL, NULL, &v),
			 0);
	assert_int_equal(v.conns[0].c->token, 1);
	top_view_free(&v);
	assert_int_equal(top_view_build(&snaps[0], &snaps[1], 1000, TOP_SORT_RATE, only_two, NULL,
					&v), 0);
	assert_int_equal(v.n_conns, 1);
	assert_int_equal(v.n_ifaces, 1);
	top_view_free(&v);
}

static void test_first_sample_and_new_subflows(void **state)
{
	struct top_view v;

	build(0, 1000000);
	build(1, 2000000);
	/* Without a previous snapshot there are rows but no rates yet. */
	assert_int_equal(top_view_build(NULL, &snaps[1], 0, TOP_SORT_RATE, NULL, NULL, &v), 0);
	assert_int_equal(v.n_conns, 2);
	assert_true(v.conns[0].send_bps == 0);
	top_view_free(&v);
	/* A subflow absent before counts from zero: its bytes came in this interval. */
	conns[0][0].n_subflows = 1;
	assert_int_equal(top_view_build(&snaps[0], &snaps[1], 2000, TOP_SORT_RATE, NULL, NULL, &v),
			 0);
	assert_true(v.conns[0].sf[1].send_bps == 4e6 * 8 / 2);
	top_view_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_first_sample_and_new_subflows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
