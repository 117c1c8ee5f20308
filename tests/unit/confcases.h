/* SPDX-License-Identifier: MIT */
/* Config cases shared by the unit tests of mpsteerd's pure parts. */
#ifndef CONFCASES_H
#define CONFCASES_H

#include <stddef.h>

struct conf_case {
	const char *text; /* a config file ("t.conf") */
	const char *err;  /* what its error message starts with */
};

/* Each text is refused (-EINVAL) with a message starting with its err. */
void expect_conf_errors(const struct conf_case *cases, size_t n);

#endif
