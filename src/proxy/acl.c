/* SPDX-License-Identifier: MIT */
/* Address prefix lists: see acl.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"

static bool bits_match(const uint8_t *a, const uint8_t *p, unsigned int plen)
{
	unsigned int full = plen / 8, rest = plen % 8;

	if (memcmp(a, p, full))
		return false;
	return !rest || ((a[full] ^ p[full]) & (0xff << (8 - rest))) == 0;
}

int acl_prefix_parse(const char *s, struct acl_prefix *out)
{
	char tmp[MPS_ADDRSTRLEN], *slash, *end;
	unsigned long plen;
	unsigned int max, i;

	if (!s || strlen(s) >= sizeof(tmp))
		return -EINVAL;
	strcpy(tmp, s);
	slash = strchr(tmp, '/');
	if (slash)
		*slash = '\0';
	if (mps_addr_parse(tmp, false, &out->addr))
		return -EINVAL;
	max = out->addr.family == AF_INET ? 32 : 128;
	plen = max;
	if (slash) {
		if (!slash[1] || slash[1] == '-' || slash[1] == '+')
			return -EINVAL;
		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (errno || *end || plen > max)
			return -EINVAL;
	}
	out->plen = (unsigned int)plen;
	/* Host bits set are a typo more often than intent: refuse them. */
	for (i = out->plen; i < max; i++)
		if (((const uint8_t *)&out->addr.v6)[i / 8] & (0x80 >> (i % 8)))
			return -EINVAL;
	return 0;
}

int acl_add(struct acl *acl, const char *s)
{
	struct acl_prefix p;

	if (acl_prefix_parse(s, &p))
		return -EINVAL;
	if (acl->n >= ACL_MAX)
		return -ENOSPC;
	acl->p[acl->n++] = p;
	return 0;
}

bool acl_match(const struct acl *acl, const struct mps_addr *a)
{
	struct mps_addr u = *a;
	size_t i;

	mps_addr_unmap(&u);
	for (i = 0; i < acl->n; i++)
		if (acl->p[i].addr.family == u.family &&
		    bits_match((const uint8_t *)&u.v6, (const uint8_t *)&acl->p[i].addr.v6,
			       acl->p[i].plen))
			return true;
	return false;
}

static void add_all(struct acl *acl, const char *const *list)
{
	acl->n = 0;
	for (; *list; list++)
		acl_add(acl, *list);
}

void acl_default_clients(struct acl *acl)
{
	static const char *const d[] = { "127.0.0.0/8", "::1/128", NULL };

	add_all(acl, d);
}

void acl_default_refused(struct acl *acl)
{
	static const char *const d[] = { "127.0.0.0/8", "0.0.0.0/8", "169.254.0.0/16",
					 "224.0.0.0/3", "::1/128", "::/128", "fe80::/10",
					 "ff00::/8", NULL };

	add_all(acl, d);
}

char *acl_prefix_format(const struct acl_prefix *p, char *buf, size_t len)
{
	char a[MPS_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", mps_addr_format(&p->addr, a, sizeof(a)), p->plen);
	return buf;
}
