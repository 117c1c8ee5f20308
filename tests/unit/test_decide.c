/* SPDX-License-Identifier: MIT */
/*
 * mpsteerd's steering decisions on recorded samples: subflow health (stall,
 * RTO backoff, RTT far above the baseline, carrier), handover (preference,
 * dwell, ties), interactive (margin, hold time, a path that flaps, equal
 * paths), the rules that choose a policy, and their config keys.
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

static struct mpsd_config cfg;

static int setup(void **state)
{
	mpsd_config_defaults(&cfg);
	return 0;
}

/* A sample of a subflow moving data: acked grows by `acked` per call. */
struct rec {
	struct mpsd_health h;
	struct mpsd_sample s;
};

static void feed(struct rec *r, uint64_t now, uint32_t srtt_ms, uint64_t acked, uint32_t unacked,
		 uint8_t backoff, bool carrier)
{
	r->s.at_ms = now;
	r->s.srtt_us = srtt_ms * 1000;
	r->s.rttvar_us = srtt_ms * 250;
	if (!r->s.min_rtt_us || r->s.min_rtt_us > r->s.srtt_us)
		r->s.min_rtt_us = r->s.srtt_us;
	r->s.bytes_acked += acked;
	r->s.unacked = unacked;
	r->s.backoff = backoff;
	mpsd_health_update(&cfg.steer.health, &r->h, carrier, &r->s, now);
}

/* ---- health ---- */

static void test_health_stall(void **state)
{
	struct rec r = { 0 };
	uint64_t t;

	for (t = 1000; t <= 2000; t += 100)
		feed(&r, t, 10, 50000, 20, 0, true);
	assert_int_equal(r.h.why, MPSD_H_OK);
	assert_int_equal(r.h.d_acked, 50000);
	/* Blackholed: data outstanding, nothing acked. Not yet after 150 ms ... */
	for (t = 2050; t <= 2150; t += 50)
		feed(&r, t, 10, 0, 20, 0, true);
	assert_int_equal(r.h.why, MPSD_H_OK);
	/* ... a stall at 200 ms (the default stall_ms), since then. */
	feed(&r, 2200, 10, 0, 20, 0, true);
	assert_int_equal(r.h.why, MPSD_H_STALL);
	assert_int_equal(r.h.since_ms, 2200);
	/* Idle (nothing outstanding) is not a stall. */
	feed(&r, 2300, 10, 0, 0, 0, true);
	assert_int_equal(r.h.why, MPSD_H_OK);
	assert_int_equal(r.h.since_ms, 2300);
	/* Sending again after 10 s of quiet: the stall clock starts now, not at the last ack. */
	feed(&r, 12300, 10, 0, 5, 0, true);
	assert_int_equal(r.h.why, MPSD_H_OK);
	feed(&r, 12400, 10, 0, 5, 0, true);
	assert_int_equal(r.h.why, MPSD_H_OK);
	feed(&r, 12500, 10, 0, 5, 0, true);
	assert_int_equal(r.h.why, MPSD_H_STALL);
}

static void test_health_slow_path_is_not_a_stall(void **state)
{
	struct rec r = { 0 };

	/* 300 ms RTT (a bloated queue): acks come every 300 ms, each sample may see none. */
	feed(&r, 1000, 300, 1000, 50, 0, true);
	feed(&r, 1100, 300, 0, 50, 0, true);
	feed(&r, 1400, 300, 0, 50, 0, true);
	feed(&r, 1550, 300, 0, 50, 0, true);
	assert_int_equal(r.h.why, MPSD_H_OK); /* silence up to its RTO (300 + 4 x 75 ms) */
	feed(&r, 1600, 300, 0, 50, 0, true);
	assert_int_equal(r.h.why, MPSD_H_STALL);
}

static void test_health_backoff_rtt_carrier(void **state)
{
	struct rec r = { 0 };

	feed(&r, 1000, 10, 1000, 5, 0, true);
	feed(&r, 1100, 10, 1000, 5, 1, true);
	assert_int_equal(r.h.why, MPSD_H_OK);
	feed(&r, 1200, 10, 1000, 5, 2, true); /* rto_backoff = 2 */
	assert_int_equal(r.h.why, MPSD_H_BACKOFF);
	feed(&r, 1300, 10, 1000, 5, 0, true);
	assert_int_equal(r.h.why, MPSD_H_OK);
	/* 8 x the baseline of 10 ms is not enough: also 200 ms above it. */
	feed(&r, 1400, 150, 1000, 5, 0, true);
	assert_int_equal(r.h.why, MPSD_H_OK);
	feed(&r, 1500, 250, 1000, 5, 0, true);
	assert_int_equal(r.h.why, MPSD_H_RTT);
	mpsd_health_update(&cfg.steer.health, &r.h, false, NULL, 1600);
	assert_int_equal(r.h.why, MPSD_H_CARRIER);
	/* Counters that go backwards (a new socket) give no huge delta. */
	r.s.bytes_acked = 0;
	feed(&r, 1700, 10, 0, 0, 0, true);
	assert_int_equal(r.h.d_acked, 0);
}

/* ---- handover ---- */

static struct mpsd_health H(enum mpsd_health_why why, uint64_t since, uint32_t rtt_us)
{
	return (struct mpsd_health){ .why = why, .since_ms = since, .rtt_us = rtt_us };
}

static void test_handover(void **state)
{
	struct mpsd_handover_cfg *hc = &cfg.steer.handover;
	struct mpsd_health wifi = H(MPSD_H_OK, 0, 5000), cell = H(MPSD_H_OK, 0, 40000);
	struct mpsd_path p[2] = { { .id = 1, .rank = 1, .h = &cell }, { .id = 2, .rank = 0, .h = &wifi } };
	struct mpsd_steer_state st = { 0 };
	struct mpsd_decision dec;

	hc->dwell_ms = 3000;
	/* The first choice: the preferred healthy path, at once. */
	assert_true(mpsd_decide_handover(hc, p, 2, &st, 100, &dec));
	assert_int_equal(dec.to, 1);
	assert_int_equal(dec.from, -1);
	assert_int_equal(dec.reason, MPSD_R_INITIAL);
	p[1].primary = true;
	assert_false(mpsd_decide_handover(hc, p, 2, &st, 200, &dec));
	/* Wi-Fi stalls: away at once, with the reason and the values. */
	wifi = H(MPSD_H_STALL, 1000, 5000);
	wifi.last.unacked = 10;
	wifi.progress_ms = 600;
	assert_true(mpsd_decide_handover(hc, p, 2, &st, 1000, &dec));
	assert_int_equal(dec.to, 0);
	assert_int_equal(dec.reason, MPSD_R_UNHEALTHY);
	assert_int_equal(dec.why, MPSD_H_STALL);
	assert_int_equal(dec.from_stall_ms, 400);
	p[1].primary = false;
	p[0].primary = true;
	/* Healthy again, but not for the dwell time yet: stay. */
	wifi = H(MPSD_H_OK, 2000, 5000);
	assert_false(mpsd_decide_handover(hc, p, 2, &st, 4999, &dec));
	/* A flap restarts the dwell. */
	wifi = H(MPSD_H_BACKOFF, 4999, 5000);
	assert_false(mpsd_decide_handover(hc, p, 2, &st, 5000, &dec));
	wifi = H(MPSD_H_OK, 5100, 5000);
	assert_false(mpsd_decide_handover(hc, p, 2, &st, 8000, &dec));
	assert_true(mpsd_decide_handover(hc, p, 2, &st, 8100, &dec));
	assert_int_equal(dec.reason, MPSD_R_RETURN);
	assert_int_equal(dec.to, 1);
}

static void test_handover_nothing_healthy_and_ties(void **state)
{
	struct mpsd_handover_cfg *hc = &cfg.steer.handover;
	struct mpsd_health a = H(MPSD_H_STALL, 0, 0), b = H(MPSD_H_CARRIER, 0, 0);
	struct mpsd_path p[2] = { { .id = 1, .rank = 0, .primary = true, .h = &a },
				  { .id = 2, .rank = 1, .h = &b } };
	struct mpsd_steer_state st = { 0 };
	struct mpsd_decision dec;

	/* Nowhere better to go: keep the primary (the kernel still retries it). */
	assert_false(mpsd_decide_handover(hc, p, 2, &st, 100, &dec));
	/* Equal ranks (both unlisted): the current primary keeps it. */
	a = H(MPSD_H_OK, 0, 0);
	b = H(MPSD_H_OK, 0, 0);
	p[0].rank = p[1].rank = MPSD_RANK_NONE;
	assert_false(mpsd_decide_handover(hc, p, 2, &st, 100000, &dec));
	/* Without a primary: the first listed of equal ones. */
	p[0].primary = false;
	assert_true(mpsd_decide_handover(hc, p, 2, &st, 100000, &dec));
	assert_int_equal(dec.to, 0);
}

static void test_rank(void **state)
{
	struct mpsd_config c;
	char err[256];
	struct mps_addr l, r;

	mpsd_config_defaults(&c);
	assert_int_equal(mpsd_config_load_string("t.conf", "[handover]\nprefer = wlan* 10.2.0.0/16\n"
						  "prefer = eth0\n", &c, err, sizeof(err)), 0);
	assert_int_equal(mps_addr_parse("10.2.3.4", false, &l), 0);
	assert_int_equal(mps_addr_parse("10.9.0.2", false, &r), 0);
	assert_int_equal(mpsd_rank(&c.steer.handover.prefer, "wlan1", NULL, NULL), 0);
	assert_int_equal(mpsd_rank(&c.steer.handover.prefer, "wwan0", &l, &r), 1);
	assert_int_equal(mpsd_rank(&c.steer.handover.prefer, "eth0", NULL, &r), 2);
	assert_int_equal(mpsd_rank(&c.steer.handover.prefer, "eth1", &r, &r), MPSD_RANK_NONE);
}

/* ---- interactive ---- */

static void test_interactive_moves_after_hold(void **state)
{
	struct mpsd_interactive_cfg *ic = &cfg.steer.interactive;
	struct mpsd_health p1 = H(MPSD_H_OK, 0, 10000), p2 = H(MPSD_H_OK, 0, 12000);
	struct mpsd_path p[2] = { { .id = 1, .rank = 0, .h = &p1 }, { .id = 2, .rank = 1, .h = &p2 } };
	struct mpsd_steer_state st = { 0 };
	struct mpsd_decision dec;
	uint64_t t;

	assert_true(mpsd_decide_interactive(ic, p, 2, &st, 0, &dec));
	assert_int_equal(dec.to, 0); /* lowest RTT */
	assert_int_equal(dec.reason, MPSD_R_INITIAL);
	p[0].primary = true;
	/* A queue builds on path 1: 10 -> 200 ms. Only after the hold time (1 s). */
	for (t = 1000; t < 2000; t += 100) {
		p1.rtt_us = 200000;
		assert_false(mpsd_decide_interactive(ic, p, 2, &st, t, &dec));
	}
	assert_true(mpsd_decide_interactive(ic, p, 2, &st, 2000, &dec));
	assert_int_equal(dec.to, 1);
	assert_int_equal(dec.reason, MPSD_R_LOWER_RTT);
	assert_int_equal(dec.from_rtt_us, 200000);
	assert_int_equal(dec.to_rtt_us, 12000);
	p[0].primary = false;
	p[1].primary = true;
	/* The queue drains (a probe sees 10 ms): similar RTTs, path 1 preferred: back after hold. */
	p1.rtt_us = 10000;
	assert_false(mpsd_decide_interactive(ic, p, 2, &st, 3000, &dec));
	assert_true(mpsd_decide_interactive(ic, p, 2, &st, 4000, &dec));
	assert_int_equal(dec.to, 0);
	assert_int_equal(dec.reason, MPSD_R_PREFERRED);
}

static void test_interactive_flapping_path(void **state)
{
	struct mpsd_interactive_cfg *ic = &cfg.steer.interactive;
	struct mpsd_health p1 = H(MPSD_H_OK, 0, 50000), p2 = H(MPSD_H_OK, 0, 20000);
	struct mpsd_path p[2] = { { .id = 1, .rank = MPSD_RANK_NONE, .primary = true, .h = &p1 },
				  { .id = 2, .rank = MPSD_RANK_NONE, .h = &p2 } };
	struct mpsd_steer_state st = { 0 };
	struct mpsd_decision dec;
	int decisions = 0;

	/* Path 2 looks better every other 600 ms: never for a whole hold time. */
	for (uint64_t t = 0; t < 20000; t += 100) {
		p2.rtt_us = (t / 600) % 2 ? 20000 : 60000;
		decisions += mpsd_decide_interactive(ic, p, 2, &st, t, &dec);
	}
	assert_int_equal(decisions, 0);
}

static void test_interactive_equal_paths_do_not_flap(void **state)
{
	struct mpsd_interactive_cfg *ic = &cfg.steer.interactive;
	struct mpsd_health p1 = H(MPSD_H_OK, 0, 10000), p2 = H(MPSD_H_OK, 0, 10000);
	struct mpsd_path p[2] = { { .id = 1, .rank = MPSD_RANK_NONE, .h = &p1 },
				  { .id = 2, .rank = MPSD_RANK_NONE, .h = &p2 } };
	struct mpsd_steer_state st = { 0 };
	struct mpsd_decision dec;
	int decisions = 0;

	/* RTT noise of +-20% on both, for a minute of 100 ms samples. */
	for (uint64_t t = 0; t < 60000; t += 100) {
		p1.rtt_us = 10000 + (uint32_t)((t * 7919) % 4000) - 2000;
		p2.rtt_us = 10000 + (uint32_t)((t * 104729) % 4000) - 2000;
		if (mpsd_decide_interactive(ic, p, 2, &st, t, &dec)) {
			decisions++;
			p[0].primary = dec.to == 0;
			p[1].primary = dec.to == 1;
		}
	}
	assert_int_equal(decisions, 1); /* the initial choice only */
}

static void test_interactive_unhealthy_and_unknown(void **state)
{
	struct mpsd_interactive_cfg *ic = &cfg.steer.interactive;
	struct mpsd_health p1 = H(MPSD_H_BACKOFF, 0, 5000), p2 = H(MPSD_H_OK, 0, 0);
	struct mpsd_path p[2] = { { .id = 1, .rank = 0, .primary = true, .h = &p1 },
				  { .id = 2, .rank = 1, .h = &p2 } };
	struct mpsd_steer_state st = { 0 };
	struct mpsd_decision dec;

	/* The primary is unhealthy and the other's RTT unknown: go to it anyway. */
	assert_true(mpsd_decide_interactive(ic, p, 2, &st, 0, &dec));
	assert_int_equal(dec.to, 1);
	assert_int_equal(dec.reason, MPSD_R_UNHEALTHY);
	assert_int_equal(dec.why, MPSD_H_BACKOFF);
	/* A lower RTT on an unhealthy path does not count. */
	p[0].primary = false;
	p[1].primary = true;
	p2.rtt_us = 100000;
	for (uint64_t t = 0; t < 5000; t += 100)
		assert_false(mpsd_decide_interactive(ic, p, 2, &st, t, &dec));
}

/* ---- rules ---- */

static bool in_cg(const char *path, void *ctx)
{
	return !strcmp(path, ctx);
}

static void test_rules(void **state)
{
	struct mpsd_config c;
	char err[256] = "";
	struct mpsd_conn_facts f = { 0 };
	static const char conf[] = "[steering]\npolicy = handover\n"
				   "[rule web]\nlocal_port = 443\npolicy = interactive\n"
				   "[rule lan]\npeer = 192.168.0.0/16\npolicy = none\n"
				   "[rule voice]\nprocess = sipd assistant\npolicy = handover\n"
				   "[rule batch]\ncgroup = /batch.slice\nlocal_port = 8000-8100\n"
				   "policy = none\n";

	mpsd_config_defaults(&c);
	assert_int_equal(mpsd_config_load_string("t.conf", conf, &c, err, sizeof(err)), 0);
	assert_int_equal(c.steer.n_rules, 4);
	assert_true(mpsd_rules_need_owner(&c.steer));
	assert_int_equal(mps_addr_parse("10.1.1.2:443", true, &f.local), 0);
	assert_int_equal(mps_addr_parse("192.168.1.9:5000", true, &f.peer), 0);
	/* First match wins, and the cheap criteria need no owner. */
	assert_int_equal(mpsd_rule_match(&c.steer, &f), 0);
	f.local.port = 5555;
	assert_int_equal(mpsd_rule_match(&c.steer, &f), 1);
	assert_int_equal(mps_addr_parse("10.9.0.2:5000", true, &f.peer), 0);
	/* The process is needed now. */
	assert_int_equal(mpsd_rule_match(&c.steer, &f), -EAGAIN);
	f.comm = "assistant";
	assert_int_equal(mpsd_rule_match(&c.steer, &f), 2);
	f.comm = "curl";
	f.local.port = 8080;
	assert_int_equal(mpsd_rule_match(&c.steer, &f), -EAGAIN); /* batch needs the cgroup */
	f.in_cgroup = in_cg;
	f.ctx = "/batch.slice";
	assert_int_equal(mpsd_rule_match(&c.steer, &f), 3);
	f.ctx = "/other";
	assert_int_equal(mpsd_rule_match(&c.steer, &f), -1); /* the default */
	f.local.port = 8101;
	f.ctx = "/batch.slice";
	assert_int_equal(mpsd_rule_match(&c.steer, &f), -1);
}

static void test_steering_config(void **state)
{
	static const struct conf_case bad[] = {
		{ "[steering]\npolicy = fastest\n", "t.conf:2: bad value 'fastest' for key 'policy'" },
		{ "[rule a]\nlocal_port = 443\n", "t.conf:1: [rule a] has no policy" },
		{ "[rule a]\npolicy = handover\n[rule b]\nlocal_port = 9-3\n",
		  "t.conf:4: bad value '9-3' for key 'local_port'" },
		{ "[rule a]\npeer = eth0\n", "t.conf:2: bad value 'eth0' for key 'peer'" },
		{ "[rule a]\ncgroup = relative/x\n", "t.conf:2: bad value 'relative/x' for key 'cgroup'" },
		{ "[rule a]\ncgroup = /a/../b\n", "t.conf:2: bad value '/a/../b' for key 'cgroup'" },
		{ "[rule a]\nprocess = averyveryverylongname\n",
		  "t.conf:2: bad value 'averyveryverylongname' for key 'process'" },
		{ "[rule a b]\npolicy = none\n", "t.conf:2: bad rule name 'a b'" },
		{ "[handover]\ndwell = 3\n", "t.conf:2: unknown key 'dwell' in section [handover]" },
		{ "[health]\nrto_backoff = 16\n", "t.conf:2: bad value '16' for key 'rto_backoff'" },
		{ "[interactive]\nmargin = -1\n", "t.conf:2: bad value '-1' for key 'margin'" },
		{ "[handover]\non_stall = drop\n", "t.conf:2: bad value 'drop' for key 'on_stall'" },
	};
	struct mpsd_config c;
	char err[256];

	expect_conf_errors(bad, sizeof(bad) / sizeof(bad[0]));
	mpsd_config_defaults(&c);
	assert_int_equal(mpsd_config_load_string("t.conf", "[steering]\npolicy = interactive\n"
						  "sample_busy_ms = 50\nsample_idle_ms = 5000\n"
						  "[health]\nstall_ms = 700\n[interactive]\n"
						  "hold_ms = 2500\nprobe_ms = 0\n", &c, err, sizeof(err)), 0);
	assert_int_equal(c.steer.dflt, MPSD_STEER_INTERACTIVE);
	assert_int_equal(c.steer.busy_ms, 50);
	assert_int_equal(c.steer.idle_ms, 5000);
	assert_int_equal(c.steer.health.stall_ms, 700);
	assert_int_equal(c.steer.interactive.hold_ms, 2500);
	assert_int_equal(c.steer.interactive.probe_ms, 0);
	assert_true(c.steer.handover.close_stalled); /* the default */
	assert_int_equal(mpsd_config_load_string("t.conf", "[handover]\non_stall = backup\n", &c,
						  err, sizeof(err)), 0);
	assert_false(c.steer.handover.close_stalled);
	assert_string_equal(mpsd_steer_name(MPSD_STEER_BALANCE), "balance");
	assert_string_equal(mpsd_reason_name(MPSD_R_RETURN), "return");
	assert_string_equal(mpsd_health_name(MPSD_H_STALL), "stall");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_health_stall, setup),
		cmocka_unit_test_setup(test_health_slow_path_is_not_a_stall, setup),
		cmocka_unit_test_setup(test_health_backoff_rtt_carrier, setup),
		cmocka_unit_test_setup(test_handover, setup),
		cmocka_unit_test_setup(test_handover_nothing_healthy_and_ties, setup),
		cmocka_unit_test_setup(test_rank, setup),
		cmocka_unit_test_setup(test_interactive_moves_after_hold, setup),
		cmocka_unit_test_setup(test_interactive_flapping_path, setup),
		cmocka_unit_test_setup(test_interactive_equal_paths_do_not_flap, setup),
		cmocka_unit_test_setup(test_interactive_unhealthy_and_unknown, setup),
		cmocka_unit_test_setup(test_rules, setup),
		cmocka_unit_test_setup(test_steering_config, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
