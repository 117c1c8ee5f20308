/* SPDX-License-Identifier: MIT */
/*
 * The one number parser behind every numeric argument, config value and request field:
 * decimal, or hexadecimal with 0x. Leading zeros are decimal (never octal), and signs,
 * blanks, empty strings and trailing text are refused instead of being read around.
 */
#include <errno.h>
#include <stdint.h>

#include "mpsteer/mpsteer.h"

static int digit(char c, unsigned base)
{
	int d = c >= '0' && c <= '9' ? c - '0'
	      : c >= 'a' && c <= 'f' ? c - 'a' + 10
	      : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;

	return d < (int)base ? d : -1;
}

int mps_parse_u64_prefix(const char *s, uint64_t max, uint64_t *out, const char **end)
{
	unsigned base = 10;
	uint64_t v = 0;
	int d, n = 0;

	if (!s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && digit(s[2], 16) >= 0) {
		base = 16;
		s += 2;
	}
	for (; (d = digit(*s, base)) >= 0; s++, n++) {
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return -ERANGE;
		v = v * base + (uint64_t)d;
	}
	if (!n)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*out = v;
	*end = s;
	return 0;
}

int mps_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	const char *end;
	uint64_t v;
	int err = mps_parse_u64_prefix(s, max, &v, &end);

	if (err)
		return err;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int mps_parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int err = mps_parse_u64(s, max, &v);

	if (!err)
		*out = (uint32_t)v;
	return err;
}
