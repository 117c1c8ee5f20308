/* SPDX-License-Identifier: MIT */
/* mpsteerd's event loop: the timer heap fires in deadline order, never what was cancelled. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/mpsteerd/mpsteerd.h"

#define N 400

struct rig {
	struct mpsd d;
	struct mpsd_timer t[N];
	uint64_t due[N];
	bool cancelled[N];
	size_t fired, order[N];
};

static void fire(struct mpsd *d, void *data)
{
	struct rig *r = (struct rig *)d; /* d is the rig's first member */
	size_t i = (size_t)((struct mpsd_timer *)data - r->t);

	r->order[r->fired++] = i;
}

static void stop_cb(struct mpsd *d, void *data)
{
	loop_stop(d);
}

static void test_heap_order(void **state)
{
	static struct rig r;
	struct mpsd_timer last = { 0 };
	size_t live = 0;

	memset(&r, 0, sizeof(r));
	r.d.loop.epfd = r.d.loop.tfd = -1;
	assert_int_equal(loop_init(&r.d), 0);
	srand(7);
	for (size_t i = 0; i < N; i++)
		timer_arm(&r.d, &r.t[i], (uint64_t)(rand() % 40), fire, &r.t[i]);
	/* Re-arming moves a timer; cancelling takes it out from anywhere in the heap. */
	for (size_t i = 0; i < N; i += 3)
		timer_arm(&r.d, &r.t[i], (uint64_t)(rand() % 40), fire, &r.t[i]);
	for (size_t i = 1; i < N; i += 5) {
		timer_cancel(&r.d, &r.t[i]);
		r.cancelled[i] = true;
		assert_int_equal(r.t[i].due_ms, 0);
	}
	timer_cancel(&r.d, &r.t[1]); /* twice: harmless */
	for (size_t i = 0; i < N; i++) {
		r.due[i] = r.t[i].due_ms;
		live += !r.cancelled[i];
	}
	/* Due after every other: it fires last however loaded the machine is. */
	timer_arm(&r.d, &last, 200, stop_cb, NULL);
	assert_int_equal(loop_run(&r.d), 0);
	assert_int_equal(r.fired, live);
	for (size_t k = 0; k < r.fired; k++) {
		assert_false(r.cancelled[r.order[k]]);
		assert_int_equal(r.t[r.order[k]].due_ms, 0); /* fired: no longer armed */
		if (k)
			assert_true(r.due[r.order[k - 1]] <= r.due[r.order[k]]);
	}
	timer_cancel(&r.d, &last);
	assert_int_equal(r.d.loop.n_heap, 0);
	loop_fini(&r.d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heap_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
