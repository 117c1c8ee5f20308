/* SPDX-License-Identifier: MIT */
/*
 * Health checks: why a namespace, a connection or a destination gets no
 * MPTCP (or only one subflow). Gathering the facts talks to the kernel
 * (mps_facts_*); judging them is one pure function (mps_check) that turns
 * facts into findings, each ok / hint / problem with the command that fixes it.
 */
#ifndef MPSTEER_CHECK_H
#define MPSTEER_CHECK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mpsteer.h"
#include "pm.h"

#define MPS_FACTS_MAX 16	 /* endpoints, interfaces, routes, connections, rules kept */
#define MPS_MIB_MAX 128		 /* MPTcpExt counters */

struct mps_endpoint_fact {
	struct mps_pm_addr ep;	 /* address, id, flags (MPS_PM_FLAG_*), ifindex */
};

struct mps_iface_fact {
	char name[IF_NAMESIZE];
	int ifindex;
	bool up;		 /* administratively up */
	bool carrier;		 /* lower layer up (IFF_LOWER_UP) */
	bool has_addr;		 /* an IPv4 or global IPv6 address */
	int rp_filter;		 /* effective: max(conf/all, conf/IF); -1 unknown */
};

/* A route lookup from a local address to the peer (RTM_GETROUTE with source). */
struct mps_route_fact {
	struct mps_addr src, dst;
	int src_ifindex;	 /* interface holding src (or the endpoint's) */
	int oif;		 /* where the lookup sends it; 0 with err */
	int err;		 /* 0 or -ENETUNREACH ... */
	bool has_gw;
	struct mps_addr gw;	 /* a gateway on src's interface, for the fix */
};

struct mps_mib_counter {
	char name[40];		 /* without "MPTcpExt" */
	uint64_t total, delta;	 /* delta over the sample */
};

enum mps_probe_result {
	MPS_PROBE_NONE,		 /* not run (no ADDR:PORT) */
	MPS_PROBE_MPTCP,	 /* the peer answered MP_CAPABLE */
	MPS_PROBE_FALLBACK,	 /* connected, but as plain TCP */
	MPS_PROBE_REFUSED,
	MPS_PROBE_TIMEOUT,
	MPS_PROBE_ERROR,	 /* probe_err says why */
};

struct mps_conn_fact {
	uint32_t token;
	struct mps_addr remote;
	bool fallback, remote_key; /* fell back; the peer's key was received (MP_CAPABLE seen) */
	size_t n_subflows;	 /* established */
};

/* An nftables rule of this namespace that strips or drops the MPTCP option. */
struct mps_nft_rule {
	char family[16], table[64], chain[64];
	unsigned handle;
	char text[160];
};

struct mps_facts {
	int enabled;		 /* net.mptcp.enabled: 1, 0, -1 unknown */
	bool userspace_pm;	 /* new connections of this namespace are on the userspace PM */
	/* Sockets subscribed to "mptcp_pm_events" (joins on a userspace PM depend on them). */
	int listeners_here;	 /* in this namespace; -1 unknown */
	int listeners_all;	 /* on the whole machine (every namespace with a process); -1 unknown */
	pid_t listener_pid;	 /* one of them (0 unknown), preferring this namespace */
	char listener_comm[16];
	bool have_limits;
	struct mps_pm_limits limits;
	size_t n_endpoints, n_ifaces, n_routes, n_conns, n_nft;
	struct mps_endpoint_fact endpoints[MPS_FACTS_MAX];
	struct mps_iface_fact ifaces[MPS_FACTS_MAX];
	struct mps_route_fact routes[MPS_FACTS_MAX];
	struct mps_conn_fact conns[MPS_FACTS_MAX];
	struct mps_nft_rule nft[4];
	bool have_peer;		 /* a destination was given */
	struct mps_addr peer;
	enum mps_probe_result probe;
	int probe_err;
	unsigned sample_ms;	 /* length of the MIB sample, 0 = none */
	size_t n_mib;
	struct mps_mib_counter mib[MPS_MIB_MAX];
};

enum mps_level { MPS_OK, MPS_HINT, MPS_PROBLEM };

struct mps_finding {
	enum mps_level level;
	const char *id;		 /* stable name, e.g. "no-event-listener" (static) */
	char text[320];		 /* what was found */
	char fix[320];		 /* a command that fixes it, "" when none */
};

struct mps_findings {
	size_t n, cap;
	struct mps_finding *v;	 /* owned */
};
void mps_findings_free(struct mps_findings *f);
const char *mps_level_name(enum mps_level l); /* "ok", "hint", "problem" */

/* Judges the facts (pure, no I/O). 0 or -ENOMEM. */
int mps_check(const struct mps_facts *f, struct mps_findings *out);

/* ---- gathering (talks to the kernel and /proc) ---- */

/*
 * Counts the sockets subscribed to netlink group `group` of NETLINK_GENERIC on
 * the whole machine: /proc/PID/net/netlink of one process per network namespace
 * (the kernel's join check is global). Namespaces without any process are not
 * seen. Fills listeners_here / listeners_all / listener_pid / listener_comm.
 */
int mps_facts_listeners(struct mps_facts *f, unsigned group);
/*
 * Parses one line of /proc/net/netlink ("sk Eth Pid Groups Rmem ... Inode"):
 * the protocol, the first 32 group bits, the inode. -EINVAL for the header or junk.
 */
int mps_netlink_line_parse(const char *line, int *proto, uint32_t *groups, uint32_t *inode);
/* MPTcpExt counters of /proc/net/netstat into f->mib (totals); -ENOENT without MPTCP. */
int mps_facts_mib(struct mps_facts *f);
/* Parses the two "MPTcpExt:" lines of /proc/net/netstat text into f->mib. */
int mps_mib_parse(const char *text, struct mps_facts *f);
/* Sets each counter's delta to (now - total) and total to now. */
void mps_mib_delta(struct mps_facts *f, const struct mps_facts *now);
/*
 * Connects an MPTCP socket to dst (with port) within timeout_ms and reports
 * whether the peer answered MP_CAPABLE. Closes it at once.
 */
int mps_probe_mptcp(const struct mps_addr *dst, unsigned timeout_ms, enum mps_probe_result *res,
		    int *err);
/*
 * Finds, in the text of "nft -a list ruleset", rules that reset or drop the
 * MPTCP TCP option; fills f->nft.
 */
void mps_nft_parse(const char *ruleset, struct mps_facts *f);

#endif
