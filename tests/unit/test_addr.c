/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>

#include "mpsteer/mpsteer.h"

static void roundtrip(const char *in, bool port, const char *want)
{
	struct mps_addr a;
	char buf[MPS_ADDRSTRLEN];

	assert_int_equal(mps_addr_parse(in, port, &a), 0);
	assert_string_equal(mps_addr_format(&a, buf, sizeof(buf)), want);
}

static void test_parse_format(void **state)
{
	roundtrip("10.0.0.1", false, "10.0.0.1");
	roundtrip("10.0.0.1:443", true, "10.0.0.1:443");
	roundtrip("::1", false, "::1");
	roundtrip("[2001:db8::1]:80", true, "[2001:db8::1]:80");
	roundtrip("[2001:db8::1]", true, "2001:db8::1");
	roundtrip("fe80::1", true, "fe80::1");
}

static void test_parse_rejects(void **state)
{
	struct mps_addr a;
	static const char *bad[] = { "", "10.0.0", "10.0.0.1:", "10.0.0.1:0", "10.0.0.1:65536",
				     "10.0.0.1:-1", "[10.0.0.1]:80", "[::1", "[::1]x", "eth0",
				     "10.0.0.1:80x", "::1:80:" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mps_addr_parse(bad[i], true, &a), -EINVAL);
	assert_int_equal(mps_addr_parse("10.0.0.1:80", false, &a), -EINVAL);
	assert_int_equal(mps_addr_parse("[::1]:80", false, &a), -EINVAL);
}

static void test_unmap_compare(void **state)
{
	struct mps_addr a, b;

	assert_int_equal(mps_addr_parse("::ffff:10.1.2.3", false, &a), 0);
	assert_int_equal(a.family, AF_INET6);
	mps_addr_unmap(&a);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(mps_addr_parse("10.1.2.3:5", true, &b), 0);
	assert_true(mps_addr_same_ip(&a, &b));
	assert_false(mps_addr_equal(&a, &b));
	a.port = 5;
	assert_true(mps_addr_equal(&a, &b));
	assert_int_equal(mps_addr_len(&a), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_unmap_compare),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
