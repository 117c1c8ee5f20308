/* SPDX-License-Identifier: MIT */
/*
 * Address prefixes and lists of them: who may use the proxy, which destinations
 * it refuses. Pure: parse, match, format.
 */
#ifndef MPS_PROXY_ACL_H
#define MPS_PROXY_ACL_H

#include <stdbool.h>
#include <stddef.h>

#include "mpsteer/mpsteer.h"

#define ACL_MAX 64

struct acl_prefix {
	struct mps_addr addr; /* port unused */
	unsigned int plen;    /* 0..32 / 0..128 */
};

struct acl {
	size_t n;
	struct acl_prefix p[ACL_MAX];
};

/* "10.0.0.0/8", "fd00::/8", "192.0.2.1" (a host). Host bits must be zero. 0 / -EINVAL. */
int acl_prefix_parse(const char *s, struct acl_prefix *out);
/* Adds a prefix; -ENOSPC when full, -EINVAL on bad text. */
int acl_add(struct acl *acl, const char *s);
/* Whether a (v4-mapped v6 counts as v4) falls in one of the prefixes. */
bool acl_match(const struct acl *acl, const struct mps_addr *a);
/* Defaults: clients from loopback only; destinations refused: loopback, unspecified,
 * link-local, multicast, broadcast (the proxy's own host and what is never a peer). */
void acl_default_clients(struct acl *acl);
void acl_default_refused(struct acl *acl);
char *acl_prefix_format(const struct acl_prefix *p, char *buf, size_t len);

#endif
