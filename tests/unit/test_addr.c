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
				     "10.0.0.1:80x", "::1:80:", "10.0.0.1: 80", "10.0.0.1:+80",
				     "10.0.0.1:0x50x" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mps_addr_parse(bad[i], true, &a), -EINVAL);
	assert_int_equal(mps_addr_parse("10.0.0.1:80", false, &a), -EINVAL);
	assert_int_equal(mps_addr_parse("[::1]:80", false, &a), -EINVAL);
}

static void test_scoped(void **state)
{
	struct mps_addr a;

	/* lo exists in every network namespace, with index 1. */
	roundtrip("fe80::1%lo", false, "fe80::1%lo");
	roundtrip("fe80::1%1", false, "fe80::1%lo");
	roundtrip("[fe80::1%lo]:80", true, "[fe80::1%lo]:80");
	roundtrip("ff02::1%lo", false, "ff02::1%lo");
	assert_int_equal(mps_addr_parse("fe80::1%lo", false, &a), 0);
	assert_int_equal(a.scope_id, 1);
	assert_int_equal(mps_addr_parse("fe80::1%no-such-if0", true, &a), -ENODEV);
	assert_int_equal(mps_addr_parse("fe80::1%999999", true, &a), -ENODEV);
	assert_int_equal(mps_addr_parse("[fe80::1%no-such-if0]:80", true, &a), -ENODEV);
	assert_int_equal(mps_addr_parse("fe80::1%lo%lo", true, &a), -ENODEV);
	static const char *bad[] = { "fe80::1%", "fe80::1%0", "10.0.0.1%lo", "2001:db8::1%lo",
				     "[fe80::1%lo]x",
				     "fe80::1%a-name-far-too-long-for-an-interface" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mps_addr_parse(bad[i], true, &a) != -EINVAL)
			fail_msg("\"%s\" taken", bad[i]);
	assert_int_equal(mps_addr_parse("[fe80::1%lo]:80", false, &a), -EINVAL);
	a.scope_id = 4242; /* an index no interface has: printed as a number */
	char buf[MPS_ADDRSTRLEN];
	assert_string_equal(mps_addr_format(&a, buf, sizeof(buf)), "fe80::1%4242");
}

static void test_numbers(void **state)
{
	uint64_t v;
	uint32_t w;

	assert_int_equal(mps_parse_u64("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(mps_parse_u64("010", 100, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(mps_parse_u64("0x1A2b", UINT64_MAX, &v), 0);
	assert_int_equal(v, 0x1a2b);
	assert_int_equal(mps_parse_u64("18446744073709551615", UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(mps_parse_u64("18446744073709551616", UINT64_MAX, &v), -ERANGE);
	assert_int_equal(mps_parse_u64("0x10000000000000000", UINT64_MAX, &v), -ERANGE);
	assert_int_equal(mps_parse_u32("4294967295", UINT32_MAX, &w), 0);
	assert_int_equal(mps_parse_u32("4294967296", UINT32_MAX, &w), -ERANGE);
	assert_int_equal(mps_parse_u32("256", 255, &w), -ERANGE);
	static const char *bad[] = { "", " 1", "1 ", "+1", "-1", "0x", "0x-1", "1e3", "1.0",
				     "12abc", "0b101", "\t7" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mps_parse_u64(bad[i], UINT64_MAX, &v) != -EINVAL)
			fail_msg("\"%s\" taken", bad[i]);
	assert_int_equal(mps_parse_u64(NULL, 1, &v), -EINVAL);
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
		cmocka_unit_test(test_scoped),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_unmap_compare),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
