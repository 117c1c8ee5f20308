/* SPDX-License-Identifier: MIT */
/*
 * The balance policy's decision (balance.c) on recorded inputs: two or three
 * access networks, their measured loads, connections with measured rates.
 * Rates in Mbit/s for readability (M()).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "../../src/mpsteerd/mpsteerd.h"
#include "confcases.h"

#define M(x) ((uint64_t)((x) * 1000000.0))
#define NOW 1000000 /* ms */
#define BOTH 3u     /* subflows on access networks 0 and 1 */

static const struct mpsd_bal_params params = {
	.band = 0.10, .dwell_ms = 30000, .idle_bps = 100000, .now_ms = NOW, .max_moves = 64,
};

static struct mpsd_bal_conn down(uint32_t token, double mbit, int primary)
{
	return (struct mpsd_bal_conn){ .token = token, .rate = { M(mbit), M(mbit) / 50 },
				       .primary = primary, .paths = BOTH };
}

/* Loads from the connections plus background[i]; capacities in Mbit/s. */
static void measure(struct mpsd_bal_net *nets, size_t n, const double *cap,
		    const double *background, const struct mpsd_bal_conn *c, size_t nc)
{
	for (size_t i = 0; i < n; i++)
		nets[i] = (struct mpsd_bal_net){ .capacity = M(cap[i]),
						 .load = { M(background[i]), 0 } };
	for (size_t k = 0; k < nc; k++)
		for (int d = 0; d < 2; d++)
			nets[c[k].primary].load[d] += c[k].rate[d];
}

/* Applies a plan to the connections as the daemon would (primary, move time). */
static void apply(struct mpsd_bal_conn *c, const struct mpsd_bal_move *mv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(c[mv[i].conn].primary, mv[i].from);
		c[mv[i].conn].primary = mv[i].to;
		c[mv[i].conn].moved_ms = NOW;
	}
}

static size_t run(const double *cap, const double *bg, size_t n_nets, struct mpsd_bal_conn *c,
		  size_t nc, const struct mpsd_bal_params *p, struct mpsd_bal_move *mv,
		  struct mpsd_bal_summary *sum)
{
	struct mpsd_bal_net nets[MPSD_MAX_ACCESS];

	measure(nets, n_nets, cap, bg, c, nc);
	return mpsd_balance(nets, n_nets, c, nc, p, mv, 64, sum);
}

/* 100 and 50 Mbit/s: six 10 Mbit/s users all on the first -> two move, 40% each. */
static void test_capacity_weights(void **state)
{
	const double cap[] = { 100, 50 }, bg[] = { 0, 0 };
	struct mpsd_bal_conn c[6];
	struct mpsd_bal_move mv[64];
	struct mpsd_bal_summary sum;
	size_t n;

	for (uint32_t i = 0; i < 6; i++)
		c[i] = down(i + 1, 10, 0);
	n = run(cap, bg, 2, c, 6, &params, mv, &sum);
	assert_int_equal(n, 2);
	assert_int_equal(sum.verdict, MPSD_BAL_MOVED);
	assert_true(sum.util_before[0] > 0.59 && sum.util_before[0] < 0.61);
	assert_true(sum.util_after[0] > 0.39 && sum.util_after[0] < 0.41);
	assert_true(sum.util_after[1] > 0.39 && sum.util_after[1] < 0.41);
	assert_true(sum.spread_after < 0.01);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(mv[i].from, 0);
		assert_int_equal(mv[i].to, 1);
	}
}

/* Equal users: the lower tokens move first, whatever their order in the table. */
static void test_ties(void **state)
{
	const double cap[] = { 100, 100 }, bg[] = { 0, 0 };
	struct mpsd_bal_conn c[4] = { down(40, 20, 0), down(30, 20, 0), down(20, 20, 0),
				      down(10, 20, 0) };
	struct mpsd_bal_move mv[64];
	struct mpsd_bal_summary sum;
	size_t n;

	n = run(cap, bg, 2, c, 4, &params, mv, &sum);
	assert_int_equal(n, 2);
	assert_int_equal(c[mv[0].conn].token, 10);
	assert_int_equal(c[mv[1].conn].token, 20);
	/* Equal networks: nothing to do. */
	apply(c, mv, n);
	n = run(cap, bg, 2, c, 4, &params, mv, &sum);
	assert_int_equal(n, 0);
	assert_int_equal(sum.verdict, MPSD_BAL_BALANCED);
	assert_true(sum.spread_before < 1e-9);
}

/* Idle connections stay, however loaded their network is. */
static void test_idle_never_moved(void **state)
{
	const double cap[] = { 100, 100 }, bg[] = { 90, 0 };
	struct mpsd_bal_conn c[8];
	struct mpsd_bal_move mv[64];
	struct mpsd_bal_summary sum;
	size_t n;

	for (uint32_t i = 0; i < 8; i++)
		c[i] = down(i + 1, 0.05, 0); /* 50 kbit/s: below idle_rate */
	n = run(cap, bg, 2, c, 8, &params, mv, &sum);
	assert_int_equal(n, 0);
	assert_int_equal(sum.verdict, MPSD_BAL_STUCK);
	/* One busy user among them: only it moves. */
	c[3] = down(4, 30, 0);
	n = run(cap, bg, 2, c, 8, &params, mv, &sum);
	assert_int_equal(n, 1);
	assert_int_equal(c[mv[0].conn].token, 4);
}

/* A connection moved less than dwell_ms ago stays; another one goes instead. */
static void test_dwell(void **state)
{
	const double cap[] = { 100, 100 }, bg[] = { 0, 0 };
	struct mpsd_bal_conn c[3] = { down(1, 40, 0), down(2, 40, 0), down(3, 20, 1) };
	struct mpsd_bal_move mv[64];
	struct mpsd_bal_summary sum;
	struct mpsd_bal_params p = params;
	size_t n;

	c[0].moved_ms = NOW - 10000;
	c[1].moved_ms = NOW - 10000;
	n = run(cap, bg, 2, c, 3, &p, mv, &sum);
	assert_int_equal(n, 0); /* both heavy ones dwell; moving 3 to A would not help */
	assert_int_equal(sum.verdict, MPSD_BAL_STUCK);
	c[1].moved_ms = NOW - 30000; /* dwell over exactly now */
	n = run(cap, bg, 2, c, 3, &p, mv, &sum);
	assert_int_equal(n, 1);
	assert_int_equal(c[mv[0].conn].token, 2);
	/* No dwell: the heaviest (lower token on a tie) goes. */
	p.dwell_ms = 0;
	c[1].moved_ms = 0;
	n = run(cap, bg, 2, c, 3, &p, mv, &sum);
	assert_int_equal(n, 1);
	assert_int_equal(c[mv[0].conn].token, 1);
}

/* Within the band nothing moves; once outside, the plan aims at half of it; the same
 * measurements never make a connection go back (no ping-pong). */
static void test_hysteresis(void **state)
{
	const double cap[] = { 100, 100 }, bg[] = { 0, 0 };
	struct mpsd_bal_conn c[6] = { down(1, 24, 0), down(2, 24, 0), down(3, 4, 0),
				      down(4, 1, 0),  down(5, 1, 0),  down(6, 40, 1) };
	struct mpsd_bal_move mv[64];
	struct mpsd_bal_summary sum;
	struct mpsd_bal_params p = params;
	size_t n;

	/* 54% vs 40%: 14 points > band 10 -> moves until <= 5 points: 4 (50/44) then one
	 * 1 Mbit/s (49/45), not the second one (48/46) although it would even out more. */
	n = run(cap, bg, 2, c, 6, &p, mv, &sum);
	assert_int_equal(n, 2);
	assert_int_equal(c[mv[0].conn].token, 3);
	assert_int_equal(c[mv[1].conn].token, 4);
	assert_true(sum.spread_after < 0.05);
	/* 49% vs 45%, within the band: nothing, even with the dwell off. */
	apply(c, mv, n);
	p.dwell_ms = 0;
	n = run(cap, bg, 2, c, 6, &p, mv, &sum);
	assert_int_equal(n, 0);
	assert_int_equal(sum.verdict, MPSD_BAL_BALANCED);
	/* One heavy user alone: moving it would only mirror the imbalance. */
	struct mpsd_bal_conn one = down(9, 50, 0);
	n = run(cap, bg, 2, &one, 1, &p, mv, &sum);
	assert_int_equal(n, 0);
	assert_int_equal(sum.verdict, MPSD_BAL_STUCK);
	/* Repeated rounds on fresh measurements converge and then stay put. */
	struct mpsd_bal_conn many[10];
	for (uint32_t i = 0; i < 10; i++)
		many[i] = down(i + 1, 3.0 + i, 0);
	size_t total = 0;
	for (int round = 0; round < 5; round++) {
		n = run(cap, bg, 2, many, 10, &p, mv, &sum);
		apply(many, mv, n);
		total += n;
		if (round >= 1)
			assert_int_equal(n, 0);
	}
	assert_true(total >= 1 && total <= 5);
}

/* Non-MPTCP background load on the first network counts like any other load. */
static void test_background(void **state)
{
	const double cap[] = { 100, 100 }, bg[] = { 40, 0 };
	struct mpsd_bal_conn c[6] = { down(1, 10, 0), down(2, 10, 0), down(3, 10, 0),
				      down(4, 10, 0), down(5, 5, 0), down(6, 5, 0) };
	struct mpsd_bal_move mv[64];
	struct mpsd_bal_summary sum;
	size_t n, heavy = 0;

	/* 90% vs 0%: 45 Mbit/s must go, the fewest users that make it are 10+10+10+10+5. */
	n = run(cap, bg, 2, c, 6, &params, mv, &sum);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		heavy += mv[i].rate == M(10);
	assert_int_equal(heavy, 4);
	assert_true(sum.spread_after < 1e-6);
}

/* Off a saturated network one move per plan: its measured rates are shares of what it can
 * carry, and moving on them would overshoot (both heavy users to the empty network). */
static void test_saturated(void **state)
{
	const double cap[] = { 40, 40 }, bg[] = { 10, 0 };
	struct mpsd_bal_conn c[6] = { down(1, 11, 0), down(2, 11, 0), down(3, 2, 0),
				      down(4, 2, 0),  down(5, 2, 0),  down(6, 2, 0) };
	struct mpsd_bal_move mv[64];
	struct mpsd_bal_summary sum;
	size_t n;

	n = run(cap, bg, 2, c, 6, &params, mv, &sum);
	assert_true(sum.util_before[0] >= MPSD_BAL_SATURATED);
	assert_int_equal(n, 1);
	assert_int_equal(c[mv[0].conn].token, 1);
	/* Next round: the one moved filled the other network, the rest its own: balanced. */
	apply(c, mv, n);
	c[0].rate[0] = M(40);
	c[1].rate[0] = M(22);
	n = run(cap, bg, 2, c, 6, &params, mv, &sum);
	assert_int_equal(n, 0);
	assert_int_equal(sum.verdict, MPSD_BAL_BALANCED);
}

/* Only networks a connection has a subflow on are candidates; three networks. */
static void test_paths_and_three_networks(void **state)
{
	const double cap[] = { 100, 100, 100 }, bg[] = { 0, 0, 0 };
	struct mpsd_bal_conn c[3] = { down(1, 30, 0), down(2, 30, 0), down(3, 30, 0) };
	struct mpsd_bal_move mv[64];
	struct mpsd_bal_summary sum;
	size_t n;

	c[0].paths = 1u;        /* only network 0 */
	c[1].paths = 1u | 4u;   /* 0 and 2 */
	c[2].paths = 1u | 2u;   /* 0 and 1 */
	n = run(cap, bg, 3, c, 3, &params, mv, &sum);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		assert_int_not_equal(mv[i].conn, 0);
		assert_true(c[mv[i].conn].paths & (1u << mv[i].to));
	}
	assert_true(sum.spread_after < 1e-6);
	/* A connection whose primary is unknown is not moved. */
	c[1].primary = -1;
	c[2].primary = -1;
	n = run(cap, bg, 3, c, 1, &params, mv, &sum);
	assert_int_equal(n, 0);
}

/* Utilisation is that of the busier direction: an upload-heavy user counts by its upload. */
static void test_directions_and_limit(void **state)
{
	const double cap[] = { 100, 100 }, bg[] = { 0, 0 };
	struct mpsd_bal_conn c[8];
	struct mpsd_bal_move mv[64];
	struct mpsd_bal_summary sum;
	struct mpsd_bal_params p = params;
	size_t n;

	for (uint32_t i = 0; i < 8; i++)
		c[i] = down(i + 1, 1, 0);
	c[0].rate[1] = M(60); /* uploads 60 */
	n = run(cap, bg, 2, c, 8, &p, mv, &sum);
	assert_true(sum.util_before[0] > 0.59);
	assert_int_equal(n, 1);
	assert_int_equal(c[mv[0].conn].token, 1);
	/* max_moves bounds a plan. */
	for (uint32_t i = 0; i < 8; i++)
		c[i] = down(i + 1, 10, 0);
	p.max_moves = 2;
	n = run(cap, bg, 2, c, 8, &p, mv, &sum);
	assert_int_equal(n, 2);
	assert_int_equal(sum.verdict, MPSD_BAL_MOVED);
}

/* The access network of a subflow: by local interface or by the peer's prefix. */
static void test_access_of(void **state)
{
	struct mpsd_config conf;
	char err[256] = "";
	struct mps_addr a;

	mpsd_config_defaults(&conf);
	const char *text = "[access A]\nclients = 10.1.0.0/16\ncapacity = 60M\n"
			   "[access B]\ninterfaces = sb* sx\ncapacity = 1G\n"
			   "[access C]\ninterfaces = sx\ncapacity = 1G\n";

	assert_int_equal(mpsd_config_load_string("t.conf", text, &conf, err, sizeof(err)), 0);
	mps_addr_parse("::ffff:10.1.3.4", false, &a);
	assert_int_equal(mpsd_access_of(&conf, "eth0", &a), 0);
	mps_addr_parse("10.2.3.4", false, &a);
	assert_int_equal(mpsd_access_of(&conf, "sb0", &a), 1);
	assert_int_equal(mpsd_access_of(&conf, "eth0", &a), -1);
	assert_int_equal(mpsd_access_of(&conf, NULL, NULL), -1);
	assert_true(mpsd_access_dedicated(&conf, 1, "sb0"));
	assert_false(mpsd_access_dedicated(&conf, 1, "sx"));  /* shared with C */
	assert_false(mpsd_access_dedicated(&conf, 0, "sb0")); /* A has no interfaces */
}

/* [access NAME] and [balance]: values, and errors that name file:line. */
static void test_config(void **state)
{
	static const struct conf_case bad[] = {
		{ "[daemon]\n\n[access A]\nclients = 10.1.0.0/16\n",
		  "t.conf:3: [access A] has no capacity" },
		{ "[access A]\ncapacity = 10M\n[access B]\n# nothing\ncapacity = 1G\n",
		  "t.conf:1: [access A] names neither clients nor interfaces" },
		{ "[access A]\ncapacity = 10Q\n", "t.conf:2: bad value '10Q' for key 'capacity'" },
		{ "[access A]\ncapacity = 999999999999G\n",
		  "t.conf:2: bad value '999999999999G' for key 'capacity'" },
		{ "[access A]\ncapacity = -5M\n", "t.conf:2: bad value '-5M' for key 'capacity'" },
		{ "[access A]\ncapacity = 10\n", "t.conf:2: bad value '10' for key 'capacity'" },
		{ "[access A]\nclients = wlan*\n",
		  "t.conf:2: bad value 'wlan*' for key 'clients' (not an address prefix)" },
		{ "[access A]\ninterfaces = 10.0.0.0/8\n",
		  "t.conf:2: bad value '10.0.0.0/8' for key 'interfaces'" },
		{ "[access A]\ncolour = red\n",
		  "t.conf:2: unknown key 'colour' in section [access A]" },
		{ "[access a/b]\ncapacity = 1M\n", "t.conf:2: bad access network name 'a/b'" },
		{ "[access]\ncapacity = 1M\n", "t.conf:2: unknown section [access]" },
		{ "[daemon]\n[steering]\n\npolicy = balance\n",
		  "t.conf:4: policy balance needs access networks" },
		{ "[rule vpn]\nlocal_port = 1194\npolicy = balance\n",
		  "t.conf:3: policy balance needs access networks" },
		{ "[balance]\nband = 0\n", "t.conf:2: bad value '0' for key 'band' (1..100)" },
		{ "[balance]\nidle_rate = 1T\n", "t.conf:2: bad value '1T' for key 'idle_rate'" },
		{ "[balance]\ninterval_ms = 10\n",
		  "t.conf:2: bad value '10' for key 'interval_ms'" },
	};
	struct mpsd_config c;
	char err[256];

	expect_conf_errors(bad, sizeof(bad) / sizeof(bad[0]));
	mpsd_config_defaults(&c);
	assert_int_equal(c.balance.band_pct, MPSD_BAL_BAND_PCT);
	assert_int_equal(mpsd_config_load_string("t.conf",
		"[access wifi-a]\nclients = 10.1.0.0/16, fd01::/32\ninterfaces = sa\n"
		"capacity = 60M\n[balance]\nband = 5\ndwell_ms = 2000\nidle_rate = 250K\n"
		"interval_ms = 500\nmax_moves = 3\n[access wifi-a]\nclients = 10.3.0.0/16\n"
		"[access lte]\ninterfaces = wwan*\ncapacity = 2500K\n", &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_access, 2);
	assert_string_equal(c.access[0].name, "wifi-a");
	assert_int_equal(c.access[0].clients.n, 3); /* a section given twice appends */
	assert_int_equal(c.access[0].capacity, 60000000);
	assert_int_equal(c.access[1].capacity, 2500000);
	assert_int_equal(c.access[1].line, 13);
	assert_int_equal(c.balance.band_pct, 5);
	assert_int_equal(c.balance.dwell_ms, 2000);
	assert_int_equal(c.balance.idle_bps, 250000);
	assert_int_equal(c.balance.interval_ms, 500);
	assert_int_equal(c.balance.max_moves, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capacity_weights),
		cmocka_unit_test(test_ties),
		cmocka_unit_test(test_idle_never_moved),
		cmocka_unit_test(test_dwell),
		cmocka_unit_test(test_hysteresis),
		cmocka_unit_test(test_background),
		cmocka_unit_test(test_saturated),
		cmocka_unit_test(test_paths_and_three_networks),
		cmocka_unit_test(test_directions_and_limit),
		cmocka_unit_test(test_access_of),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
