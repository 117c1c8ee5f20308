/* SPDX-License-Identifier: MIT */
/*
 * libmpsteer — the table of contents.
 *
 * One module per kernel interface:
 *   pm.h    generic netlink "mptcp_pm": path-manager commands and events
 *   diag.h  sock_diag: MPTCP connections (mptcp_info) and their TCP subflows
 *   rtnl.h  rtnetlink: links and addresses
 *   proc.h  socket inode -> owning process
 *   steer.h selection of connections and subflows ("primary ... via ...")
 *
 * Conventions (every module):
 *   - functions return 0 or -errno; nothing prints, nothing exits;
 *   - x_new()/x_free() pairs own memory, x_free(NULL) is a no-op;
 *   - pointers handed to callbacks are borrowed and valid only during the call;
 *   - ports are in host byte order in every struct of this library.
 */
#ifndef MPSTEER_H
#define MPSTEER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MPS_VERSION "0.1.0"

/* An IPv4 or IPv6 address with an optional port (0 = none). */
struct mps_addr {
	uint16_t family; /* AF_INET, AF_INET6 or AF_UNSPEC (unset) */
	uint16_t port;   /* host order, 0 when absent */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
	uint32_t scope_id; /* interface index of a scoped IPv6 link-local address, else 0 */
};

/* Longest text of mps_addr_format(): "[v6%scope]:port" and NUL (an interface name is at
 * most 15 characters). */
#define MPS_ADDRSTRLEN (INET6_ADDRSTRLEN + 24)

/*
 * Parses "1.2.3.4", "1.2.3.4:80", "::1", "[::1]:80", "fe80::1", and link-local addresses with
 * a scope: "fe80::1%eth0", "[fe80::1%eth0]:80", "fe80::1%3" (an interface of the caller's
 * network namespace, by name or index, into scope_id). Ports are accepted only when
 * allow_port; a v4-mapped v6 address stays v6. Returns 0, -ENODEV (no such interface) or
 * -EINVAL.
 */
int mps_addr_parse(const char *s, bool allow_port, struct mps_addr *out);
/* Formats without port when port == 0; v6 with port as "[a]:p"; a scope as "%ifname" (or
 * "%index" when no interface has it). Returns buf. */
char *mps_addr_format(const struct mps_addr *a, char *buf, size_t len);
/* Address only (no port); true when equal. */
bool mps_addr_same_ip(const struct mps_addr *a, const struct mps_addr *b);
/* Address and port equal. */
bool mps_addr_equal(const struct mps_addr *a, const struct mps_addr *b);
/* Treats ::ffff:a.b.c.d as a.b.c.d: subflows of v4 peers on v6 sockets are listed that way. */
void mps_addr_unmap(struct mps_addr *a);
size_t mps_addr_len(const struct mps_addr *a); /* 4, 16 or 0 */
bool mps_addr_is_set(const struct mps_addr *a);
struct sockaddr_storage;
/* The socket address of a (port, IPv6 scope included); returns its length. */
unsigned mps_addr_to_sockaddr(const struct mps_addr *a, struct sockaddr_storage *ss);


/*
 * Numbers as every parser of this project reads them: decimal, or hex with "0x"; leading
 * zeros stay decimal; no sign, no blanks, nothing after. -EINVAL on bad syntax, -ERANGE above
 * max (or beyond 64 bits). The _prefix form stops at the first non-digit and returns it in end.
 */
int mps_parse_u64(const char *s, uint64_t max, uint64_t *out);
int mps_parse_u64_prefix(const char *s, uint64_t max, uint64_t *out, const char **end);
int mps_parse_u32(const char *s, uint32_t max, uint32_t *out);

#endif
