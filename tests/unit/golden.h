/* SPDX-License-Identifier: MIT */
/* Helpers shared by the unit tests that read golden messages (tests/unit/golden/). */
#ifndef MPS_TEST_GOLDEN_H
#define MPS_TEST_GOLDEN_H

#include <stddef.h>
#include <stdint.h>

#include "mpsteer/mpsteer.h"

/*
 * Reads $TESTDATA/golden/NAME.hex: '#' lines are comments, the rest is hex.
 * Fails the test when the file is missing or longer than cap. Returns its length.
 */
size_t golden_load_hex(const char *name, unsigned char *out, size_t cap);
/* Asserts that a holds exactly ip (no port in ip) and port. */
void golden_assert_ip(const struct mps_addr *a, const char *ip, uint16_t port);

#endif
