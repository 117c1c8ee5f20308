/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "../../src/mpsteerd/mpsteerd.h"
#include "confcases.h"

void expect_conf_errors(const struct conf_case *cases, size_t n)
{
	struct mpsd_config c;
	char err[256];

	for (size_t i = 0; i < n; i++) {
		mpsd_config_defaults(&c);
		err[0] = '\0';
		assert_int_equal(mpsd_config_load_string("t.conf", cases[i].text, &c, err,
							 sizeof(err)), -EINVAL);
		if (strncmp(err, cases[i].err, strlen(cases[i].err)))
			fail_msg("case %zu: '%s' does not start with '%s'", i, err, cases[i].err);
	}
}
