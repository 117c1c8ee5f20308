/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the SOCKS5 / RFC 1929 parsers, the first code that touches
 * bytes from any network client of the proxy (and, in the client role, from the
 * server). The first byte picks the parser, the rest is the message. Checked:
 * a parser never claims more bytes than it was given, a shorter input never
 * parses where the full one needs more, and a parsed request rebuilds to the
 * same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socks5.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_len(int r, size_t len)
{
	if (r > 0 && (size_t)r > len)
		abort();
}

static void request(const uint8_t *b, size_t len)
{
	struct socks5_dest d;
	uint8_t out[SOCKS5_REQUEST_MAX];
	int rep, r = socks5_parse_request(b, len, &d, &rep), n;

	check_len(r, len);
	if (r < 0 && rep != SOCKS5_REP_NONE && (rep < 1 || rep > 8))
		abort();
	if (r <= 0)
		return;
	/* A prefix of a complete request is incomplete or invalid, never complete. */
	if (socks5_parse_request(b, (size_t)r - 1, &d, &rep) > 0)
		abort();
	socks5_parse_request(b, len, &d, &rep);
	n = socks5_build_request(&d, out, sizeof(out));
	if (n != r || memcmp(out, b, (size_t)n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char user[256], pass[256];
	uint8_t m;
	int v, r;

	if (size < 1)
		return 0;
	switch (data[0] % 6) {
	case 0:
		r = socks5_parse_greeting(data + 1, size - 1, SOCKS5_M_USERPASS, &m);
		check_len(r, size - 1);
		break;
	case 1:
		r = socks5_parse_auth(data + 1, size - 1, user, pass);
		check_len(r, size - 1);
		if (r > 0 && (strlen(user) + strlen(pass) + 3 != (size_t)r))
			abort();
		break;
	case 2:
		request(data + 1, size - 1);
		break;
	case 3:
		r = socks5_parse_reply(data + 1, size - 1, &v);
		check_len(r, size - 1);
		break;
	case 4:
		check_len(socks5_parse_method(data + 1, size - 1, &m), size - 1);
		break;
	default:
		check_len(socks5_parse_auth_status(data + 1, size - 1, &v), size - 1);
		break;
	}
	return 0;
}
