/* SPDX-License-Identifier: MIT */
/*
 * SOCKS5 (RFC 1928) and its username/password sub-negotiation (RFC 1929):
 * parsers of what a client sends, builders of what a server answers, and the
 * reverse for the gateway, which is a SOCKS client of the server. Pure
 * functions over caller-owned buffers: no I/O, no allocation.
 *
 * Parsers return the number of bytes consumed (> 0), 0 when more bytes are
 * needed, or -EPROTO when the bytes can never become a valid message. On
 * -EPROTO from socks5_parse_request, *rep says which reply the server owes
 * the client (SOCKS5_REP_CMD_UNSUPPORTED, ..._ATYP_UNSUPPORTED, ..._FAILURE)
 * or SOCKS5_REP_NONE when the only answer is to close (not SOCKS version 5).
 */
#ifndef MPS_SOCKS5_H
#define MPS_SOCKS5_H

#include <stddef.h>
#include <stdint.h>

#include "mpsteer/mpsteer.h"

#define SOCKS5_VER 5
#define SOCKS5_AUTH_VER 1

enum socks5_method {
	SOCKS5_M_NOAUTH = 0x00,
	SOCKS5_M_USERPASS = 0x02,
	SOCKS5_M_NONE = 0xff, /* no acceptable method */
};

enum socks5_cmd { SOCKS5_CMD_CONNECT = 1, SOCKS5_CMD_BIND = 2, SOCKS5_CMD_UDP = 3 };
enum socks5_atyp { SOCKS5_ATYP_IPV4 = 1, SOCKS5_ATYP_DOMAIN = 3, SOCKS5_ATYP_IPV6 = 4 };

enum socks5_rep {
	SOCKS5_REP_OK = 0,
	SOCKS5_REP_FAILURE = 1,          /* general SOCKS server failure */
	SOCKS5_REP_NOT_ALLOWED = 2,      /* connection not allowed by ruleset */
	SOCKS5_REP_NET_UNREACH = 3,
	SOCKS5_REP_HOST_UNREACH = 4,
	SOCKS5_REP_REFUSED = 5,
	SOCKS5_REP_TTL_EXPIRED = 6,
	SOCKS5_REP_CMD_UNSUPPORTED = 7,
	SOCKS5_REP_ATYP_UNSUPPORTED = 8,
	SOCKS5_REP_NONE = 0x100,         /* not a reply: close without one */
};

/* Longest messages: greeting 2+255, auth 3+255+255, request/reply 4+1+255+2. */
#define SOCKS5_GREETING_MAX 257
#define SOCKS5_AUTH_MAX 513
#define SOCKS5_REQUEST_MAX 262
#define SOCKS5_REPLY_MAX 262

/* A destination: an address (with port) or a domain name (NUL-terminated) and a port. */
struct socks5_dest {
	uint8_t atyp;          /* enum socks5_atyp */
	struct mps_addr addr;  /* IPV4 / IPV6; port set in every case */
	char domain[256];      /* DOMAIN: 1..255 bytes, no NUL inside */
};

/* Greeting: which methods the client offers. Picks NOAUTH or USERPASS as
 * allowed by `want` (the method the server requires), else SOCKS5_M_NONE. */
int socks5_parse_greeting(const uint8_t *buf, size_t len, uint8_t want, uint8_t *method);
/* RFC 1929 request; user and pass receive NUL-terminated copies (256 bytes each). */
int socks5_parse_auth(const uint8_t *buf, size_t len, char *user, char *pass);
/* CONNECT request. Other commands and address types fail with *rep set. */
int socks5_parse_request(const uint8_t *buf, size_t len, struct socks5_dest *dst, int *rep);

/* Builders return the length written, or -ENOSPC. */
int socks5_build_method(uint8_t method, uint8_t *out, size_t len);
int socks5_build_auth_status(int ok, uint8_t *out, size_t len);
/* Reply with the bound address (unset -> 0.0.0.0:0). */
int socks5_build_reply(int rep, const struct mps_addr *bnd, uint8_t *out, size_t len);

/* The client side (gateway -> server): greeting offering one method,
 * RFC 1929 request, CONNECT request. */
int socks5_build_greeting(uint8_t method, uint8_t *out, size_t len);
int socks5_build_auth(const char *user, const char *pass, uint8_t *out, size_t len);
int socks5_build_request(const struct socks5_dest *dst, uint8_t *out, size_t len);
/* Server's answers, as parsers: method choice, auth status (*ok), CONNECT reply (*rep). */
int socks5_parse_method(const uint8_t *buf, size_t len, uint8_t *method);
int socks5_parse_auth_status(const uint8_t *buf, size_t len, int *ok);
int socks5_parse_reply(const uint8_t *buf, size_t len, int *rep);

/* The reply owed for a failed connect() or name lookup (-errno, or an EAI_* code
 * passed as socks5_rep_from_gai). */
int socks5_rep_from_errno(int err);
int socks5_rep_from_gai(int gai);
const char *socks5_rep_name(int rep);
/* "1.2.3.4:80", "[::1]:80", "name:80". Returns buf. */
char *socks5_dest_format(const struct socks5_dest *d, char *buf, size_t len);

#endif
