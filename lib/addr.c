/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpsteer/mpsteer.h"

static int parse_port(const char *s, uint16_t *port)
{
	uint32_t v;

	if (mps_parse_u32(s, 65535, &v) || v == 0)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* "eth0" or "3": an interface of this namespace. Only link-local addresses have a scope. */
static int parse_scope(const char *s, struct mps_addr *out)
{
	uint32_t idx = 0;

	if (out->family != AF_INET6 ||
	    !(IN6_IS_ADDR_LINKLOCAL(&out->v6) || IN6_IS_ADDR_MC_LINKLOCAL(&out->v6)) || !*s)
		return -EINVAL;
	if (mps_parse_u32(s, INT32_MAX, &idx) == 0) {
		char name[IF_NAMESIZE];

		if (!idx)
			return -EINVAL;
		if (!if_indextoname(idx, name))
			return -ENODEV;
	} else {
		if (strlen(s) >= IF_NAMESIZE)
			return -EINVAL;
		idx = if_nametoindex(s);
		if (!idx)
			return -ENODEV;
	}
	out->scope_id = idx;
	return 0;
}

static int parse_ip(char *s, struct mps_addr *out)
{
	char *pct = strchr(s, '%');

	if (pct) {
		*pct = '\0';
		if (inet_pton(AF_INET6, s, &out->v6) != 1)
			return -EINVAL;
		out->family = AF_INET6;
		return parse_scope(pct + 1, out);
	}
	if (inet_pton(AF_INET, s, &out->v4) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &out->v6) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int mps_addr_parse(const char *s, bool allow_port, struct mps_addr *out)
{
	char tmp[MPS_ADDRSTRLEN];
	const char *colon;
	char *end;
	int err;

	memset(out, 0, sizeof(*out));
	if (!s || strlen(s) >= sizeof(tmp))
		return -EINVAL;
	strcpy(tmp, s);
	if (tmp[0] == '[') {
		end = strchr(tmp, ']');
		if (!end)
			return -EINVAL;
		*end++ = '\0';
		err = parse_ip(tmp + 1, out);
		if (err)
			return err;
		if (out->family != AF_INET6)
			return -EINVAL;
		if (*end == '\0')
			return 0;
		if (*end != ':' || !allow_port)
			return -EINVAL;
		return parse_port(end + 1, &out->port);
	}
	colon = strchr(tmp, ':');
	if (colon && strchr(colon + 1, ':'))
		return parse_ip(tmp, out); /* bare IPv6, no port */
	if (colon) {
		if (!allow_port)
			return -EINVAL;
		tmp[colon - tmp] = '\0';
		if (parse_ip(tmp, out) || out->family != AF_INET)
			return -EINVAL;
		return parse_port(colon + 1, &out->port);
	}
	return parse_ip(tmp, out);
}

char *mps_addr_format(const struct mps_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN + IF_NAMESIZE + 1], name[IF_NAMESIZE];
	size_t n;

	if (!a || !mps_addr_is_set(a)) {
		snprintf(buf, len, "-");
		return buf;
	}
	inet_ntop(a->family, a->family == AF_INET ? (const void *)&a->v4 : (const void *)&a->v6, ip,
		  sizeof(ip));
	n = strlen(ip);
	if (a->family == AF_INET6 && a->scope_id) {
		if (if_indextoname(a->scope_id, name))
			snprintf(ip + n, sizeof(ip) - n, "%%%s", name);
		else
			snprintf(ip + n, sizeof(ip) - n, "%%%u", a->scope_id);
	}
	if (!a->port)
		snprintf(buf, len, "%s", ip);
	else if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, a->port);
	else
		snprintf(buf, len, "%s:%u", ip, a->port);
	return buf;
}

size_t mps_addr_len(const struct mps_addr *a)
{
	return a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;
}

bool mps_addr_is_set(const struct mps_addr *a)
{
	return a->family == AF_INET || a->family == AF_INET6;
}

bool mps_addr_same_ip(const struct mps_addr *a, const struct mps_addr *b)
{
	return a->family == b->family && mps_addr_len(a) &&
	       memcmp(&a->v6, &b->v6, mps_addr_len(a)) == 0;
}

bool mps_addr_equal(const struct mps_addr *a, const struct mps_addr *b)
{
	return mps_addr_same_ip(a, b) && a->port == b->port;
}

void mps_addr_unmap(struct mps_addr *a)
{
	struct in_addr v4;

	if (a->family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&a->v6))
		return;
	memcpy(&v4, &a->v6.s6_addr[12], 4);
	memset(&a->v6, 0, sizeof(a->v6));
	a->v4 = v4;
	a->family = AF_INET;
}

unsigned mps_addr_to_sockaddr(const struct mps_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		s4->sin_addr = a->v4;
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(a->port);
	s6->sin6_addr = a->v6;
	s6->sin6_scope_id = a->scope_id;
	return sizeof(*s6);
}
