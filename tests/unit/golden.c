/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "golden.h"

size_t golden_load_hex(const char *name, unsigned char *out, size_t cap)
{
	const char *dir = getenv("TESTDATA");
	char path[512], line[8192];
	size_t n = 0, i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/golden/%s.hex", dir ? dir : ".", name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s (is TESTDATA set?)", path);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		for (i = 0; line[i] && line[i + 1] && line[i] != '\n'; i += 2) {
			unsigned v;

			assert_int_equal(sscanf(&line[i], "%2x", &v), 1);
			assert_true(n < cap);
			out[n++] = (unsigned char)v;
		}
	}
	fclose(f);
	return n;
}

void golden_assert_ip(const struct mps_addr *a, const char *ip, uint16_t port)
{
	struct mps_addr want;

	assert_int_equal(mps_addr_parse(ip, false, &want), 0);
	assert_int_equal(a->family, want.family);
	assert_true(mps_addr_same_ip(a, &want));
	assert_int_equal(a->port, port);
}
