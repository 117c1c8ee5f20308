/* SPDX-License-Identifier: MIT */
/* The HTTP request head of a metrics scraper: what is answered, what is refused early. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "../../src/mpsteerd/mpsteerd.h"

static int status(const char *req, size_t max, bool *head)
{
	return metrics_http_status(req, strlen(req), max, head);
}

static void test_requests(void **state)
{
	bool head;

	assert_int_equal(status("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 4096, &head), 200);
	assert_false(head);
	assert_int_equal(status("HEAD /metrics HTTP/1.0\r\n\r\n", 4096, &head), 200);
	assert_true(head);
	assert_int_equal(status("GET /metrics?x=1 HTTP/1.1\n\n", 4096, &head), 200);
	assert_int_equal(status("GET / HTTP/1.1\r\n\r\n", 4096, &head), 404);
	assert_int_equal(status("GET /metricsfoo HTTP/1.1\r\n\r\n", 4096, &head), 404);
	assert_int_equal(status("POST /metrics HTTP/1.1\r\n\r\n", 4096, &head), 405);
	assert_int_equal(status("GET /metrics\r\n\r\n", 4096, &head), 400);
	assert_int_equal(status("GET /metrics SMTP/1.0\r\n\r\n", 4096, &head), 400);
}

static void test_incomplete_and_garbage(void **state)
{
	bool head;

	/* Not yet a whole head: wait for more. */
	assert_int_equal(status("", 4096, &head), 0);
	assert_int_equal(status("GE", 4096, &head), 0);
	assert_int_equal(status("GET /metrics HTTP/1.1\r\nHost: x\r\n", 4096, &head), 0);
	/* What cannot become HTTP is refused at once, before the buffer fills. */
	assert_int_equal(status("\x16\x03\x01", 4096, &head), 400);
	assert_int_equal(status("get /metrics", 4096, &head), 400);
	assert_int_equal(status("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4096, &head), 400);
	/* A head that never ends within the bound. */
	assert_int_equal(status("GET /metrics HTTP/1.1\r\nX: yyyyyyyyyy", 32, &head), 431);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_incomplete_and_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
