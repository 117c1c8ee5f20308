/* SPDX-License-Identifier: MIT */
/* SOCKS5 messages (RFC 1928, RFC 1929): see socks5.h. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "socks5.h"

/* 1 when buf starts with version ver and holds at least min bytes, 0 when it could
 * still, -EPROTO when the version is wrong. */
static int head(const uint8_t *buf, size_t len, uint8_t ver, size_t min)
{
	if (len < 1)
		return 0;
	if (buf[0] != ver)
		return -EPROTO;
	return len >= min;
}

int socks5_parse_greeting(const uint8_t *buf, size_t len, uint8_t want, uint8_t *method)
{
	size_t n, i;
	int r = head(buf, len, SOCKS5_VER, 2);

	if (r <= 0)
		return r;
	n = buf[1];
	if (n == 0)
		return -EPROTO;
	if (len < 2 + n)
		return 0;
	*method = SOCKS5_M_NONE;
	for (i = 0; i < n; i++)
		if (buf[2 + i] == want)
			*method = want;
	return (int)(2 + n);
}

/* One RFC 1929 field: length byte then bytes; 0 = need more, -EPROTO on empty. */
static int take_field(const uint8_t *buf, size_t len, size_t *off, char *out)
{
	size_t n;

	if (len < *off + 1)
		return 0;
	n = buf[*off];
	if (n == 0)
		return -EPROTO;
	if (len < *off + 1 + n)
		return 0;
	if (memchr(buf + *off + 1, '\0', n))
		return -EPROTO;
	memcpy(out, buf + *off + 1, n);
	out[n] = '\0';
	*off += 1 + n;
	return 1;
}

int socks5_parse_auth(const uint8_t *buf, size_t len, char *user, char *pass)
{
	size_t off = 1;
	int r = head(buf, len, SOCKS5_AUTH_VER, 1);

	if (r <= 0)
		return r;
	r = take_field(buf, len, &off, user);
	if (r <= 0)
		return r;
	r = take_field(buf, len, &off, pass);
	if (r <= 0)
		return r;
	return (int)off;
}

/* Address and port at buf+3 (request and reply share this layout). */
static int parse_addr(const uint8_t *buf, size_t len, struct socks5_dest *dst, int *rep)
{
	size_t need;

	memset(dst, 0, sizeof(*dst));
	dst->atyp = buf[3];
	switch (buf[3]) {
	case SOCKS5_ATYP_IPV4:
		need = 4 + 4 + 2;
		if (len < need)
			return 0;
		dst->addr.family = AF_INET;
		memcpy(&dst->addr.v4, buf + 4, 4);
		break;
	case SOCKS5_ATYP_IPV6:
		need = 4 + 16 + 2;
		if (len < need)
			return 0;
		dst->addr.family = AF_INET6;
		memcpy(&dst->addr.v6, buf + 4, 16);
		break;
	case SOCKS5_ATYP_DOMAIN:
		if (len < 5)
			return 0;
		need = 4 + 1 + (size_t)buf[4] + 2;
		if (buf[4] == 0 || memchr(buf + 5, '\0', len < need - 2 ? len - 5 : buf[4])) {
			*rep = SOCKS5_REP_FAILURE;
			return -EPROTO;
		}
		if (len < need)
			return 0;
		memcpy(dst->domain, buf + 5, buf[4]);
		dst->domain[buf[4]] = '\0';
		break;
	default:
		*rep = SOCKS5_REP_ATYP_UNSUPPORTED;
		return -EPROTO;
	}
	dst->addr.port = (uint16_t)(buf[need - 2] << 8 | buf[need - 1]);
	return (int)need;
}

int socks5_parse_request(const uint8_t *buf, size_t len, struct socks5_dest *dst, int *rep)
{
	int r = head(buf, len, SOCKS5_VER, 4);

	*rep = SOCKS5_REP_NONE;
	if (r <= 0)
		return r;
	if (buf[2] != 0) {
		*rep = SOCKS5_REP_FAILURE;
		return -EPROTO;
	}
	if (buf[1] != SOCKS5_CMD_CONNECT) {
		*rep = SOCKS5_REP_CMD_UNSUPPORTED;
		return -EPROTO;
	}
	return parse_addr(buf, len, dst, rep);
}

int socks5_build_method(uint8_t method, uint8_t *out, size_t len)
{
	if (len < 2)
		return -ENOSPC;
	out[0] = SOCKS5_VER;
	out[1] = method;
	return 2;
}

int socks5_build_auth_status(int ok, uint8_t *out, size_t len)
{
	if (len < 2)
		return -ENOSPC;
	out[0] = SOCKS5_AUTH_VER;
	out[1] = ok ? 0 : 1;
	return 2;
}

/* VER CODE RSV ATYP ADDR PORT: a request (code = CMD) or a reply (code = REP). */
static int build_msg(uint8_t code, const struct socks5_dest *d, uint8_t *out, size_t len)
{
	size_t alen = d->atyp == SOCKS5_ATYP_IPV4   ? 4
		      : d->atyp == SOCKS5_ATYP_IPV6 ? 16
						    : strlen(d->domain);
	size_t off = 4;

	if (d->atyp == SOCKS5_ATYP_DOMAIN && (alen == 0 || alen > 255))
		return -EINVAL;
	if (len < 4 + (d->atyp == SOCKS5_ATYP_DOMAIN) + alen + 2)
		return -ENOSPC;
	out[0] = SOCKS5_VER;
	out[1] = code;
	out[2] = 0;
	out[3] = d->atyp;
	if (d->atyp == SOCKS5_ATYP_DOMAIN) {
		out[off++] = (uint8_t)alen;
		memcpy(out + off, d->domain, alen);
	} else {
		memcpy(out + off, &d->addr.v6, alen);
	}
	off += alen;
	out[off++] = (uint8_t)(d->addr.port >> 8);
	out[off++] = (uint8_t)d->addr.port;
	return (int)off;
}

int socks5_build_reply(int rep, const struct mps_addr *bnd, uint8_t *out, size_t len)
{
	struct socks5_dest d = { .atyp = SOCKS5_ATYP_IPV4 };

	if (rep < 0 || rep > 0xff)
		rep = SOCKS5_REP_FAILURE;
	if (bnd && mps_addr_is_set(bnd)) {
		d.addr = *bnd;
		mps_addr_unmap(&d.addr);
		d.atyp = d.addr.family == AF_INET ? SOCKS5_ATYP_IPV4 : SOCKS5_ATYP_IPV6;
	}
	return build_msg((uint8_t)rep, &d, out, len);
}

int socks5_build_greeting(uint8_t method, uint8_t *out, size_t len)
{
	if (len < 3)
		return -ENOSPC;
	out[0] = SOCKS5_VER;
	out[1] = 1;
	out[2] = method;
	return 3;
}

int socks5_build_auth(const char *user, const char *pass, uint8_t *out, size_t len)
{
	size_t ul = strlen(user), pl = strlen(pass);

	if (!ul || ul > 255 || !pl || pl > 255)
		return -EINVAL;
	if (len < 3 + ul + pl)
		return -ENOSPC;
	out[0] = SOCKS5_AUTH_VER;
	out[1] = (uint8_t)ul;
	memcpy(out + 2, user, ul);
	out[2 + ul] = (uint8_t)pl;
	memcpy(out + 3 + ul, pass, pl);
	return (int)(3 + ul + pl);
}

int socks5_build_request(const struct socks5_dest *dst, uint8_t *out, size_t len)
{
	return build_msg(SOCKS5_CMD_CONNECT, dst, out, len);
}

/* The server's two-byte answers: version, then one value. */
static int parse_pair(const uint8_t *buf, size_t len, uint8_t ver, uint8_t *val)
{
	int r = head(buf, len, ver, 2);

	if (r <= 0)
		return r;
	*val = buf[1];
	return 2;
}

int socks5_parse_method(const uint8_t *buf, size_t len, uint8_t *method)
{
	return parse_pair(buf, len, SOCKS5_VER, method);
}

int socks5_parse_auth_status(const uint8_t *buf, size_t len, int *ok)
{
	uint8_t st;
	int r = parse_pair(buf, len, SOCKS5_AUTH_VER, &st);

	if (r > 0)
		*ok = st == 0;
	return r;
}

int socks5_parse_reply(const uint8_t *buf, size_t len, int *rep)
{
	struct socks5_dest bnd;
	int dummy, r = head(buf, len, SOCKS5_VER, 4);

	if (r <= 0)
		return r;
	r = parse_addr(buf, len, &bnd, &dummy);
	if (r > 0)
		*rep = buf[1];
	return r;
}

int socks5_rep_from_errno(int err)
{
	switch (err < 0 ? -err : err) {
	case ECONNREFUSED:
		return SOCKS5_REP_REFUSED;
	case ENETUNREACH:
	case ENETDOWN:
		return SOCKS5_REP_NET_UNREACH;
	case EHOSTUNREACH:
	case EHOSTDOWN:
	case EADDRNOTAVAIL:
		return SOCKS5_REP_HOST_UNREACH;
	case ETIMEDOUT:
		return SOCKS5_REP_TTL_EXPIRED;
	case EACCES:
	case EPERM:
		return SOCKS5_REP_NOT_ALLOWED;
	default:
		return SOCKS5_REP_FAILURE;
	}
}

int socks5_rep_from_gai(int gai)
{
	switch (gai) {
	case EAI_NONAME:
	case EAI_NODATA:
	case EAI_ADDRFAMILY:
	case EAI_AGAIN: /* no name server answered */
	case EAI_FAIL:
		return SOCKS5_REP_HOST_UNREACH;
	default:
		return SOCKS5_REP_FAILURE;
	}
}

const char *socks5_rep_name(int rep)
{
	static const char *const names[] = {
		"succeeded", "general failure", "not allowed by ruleset", "network unreachable",
		"host unreachable", "connection refused", "TTL expired", "command not supported",
		"address type not supported",
	};

	if (rep >= 0 && rep < (int)(sizeof(names) / sizeof(names[0])))
		return names[rep];
	return rep == SOCKS5_REP_NONE ? "closed without reply" : "unknown reply";
}

char *socks5_dest_format(const struct socks5_dest *d, char *buf, size_t len)
{
	if (d->atyp == SOCKS5_ATYP_DOMAIN)
		snprintf(buf, len, "%s:%u", d->domain, d->addr.port);
	else
		mps_addr_format(&d->addr, buf, len);
	return buf;
}
