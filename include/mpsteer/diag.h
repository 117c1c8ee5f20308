/* SPDX-License-Identifier: MIT */
/*
 * sock_diag: MPTCP connections and their TCP subflows, without the
 * application's file descriptors.
 *
 * Connections come from an INET_DIAG dump with protocol IPPROTO_MPTCP
 * (struct mptcp_info in INET_DIAG_INFO); subflows from a TCP dump whose
 * sockets carry the "mptcp" ULP block (MPTCP_SUBFLOW_ATTR_*), which ties each
 * subflow to its connection by the local token.
 */
#ifndef MPSTEER_DIAG_H
#define MPSTEER_DIAG_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mpsteer.h"

/* Subflow ULP flags (MPTCP_SUBFLOW_FLAG_*). */
enum {
	MPS_SF_MCAP_REM = 1 << 0,
	MPS_SF_MCAP_LOC = 1 << 1,
	MPS_SF_JOIN_REM = 1 << 2,
	MPS_SF_JOIN_LOC = 1 << 3,
	MPS_SF_BKUP_REM = 1 << 4,
	MPS_SF_BKUP_LOC = 1 << 5,
	MPS_SF_FULLY_ESTABLISHED = 1 << 6,
	MPS_SF_CONNECTED = 1 << 7,
	MPS_SF_MAPVALID = 1 << 8,
};

/* mptcp_info flags (MPTCP_INFO_FLAG_*). */
enum {
	MPS_INFO_FALLBACK = 1 << 0,
	MPS_INFO_REMOTE_KEY_RECEIVED = 1 << 1,
};

struct mps_subflow {
	struct mps_addr local, remote; /* v4-mapped addresses unmapped */
	int ifindex;                   /* bound device, else the one holding `local` */
	char ifname[IF_NAMESIZE];      /* "" when unknown */
	uint8_t state;                 /* TCP_ESTABLISHED ... */
	uint8_t loc_id, rem_id;
	uint32_t flags;                /* MPS_SF_* */
	bool backup_local;             /* we asked the peer to treat it as backup */
	bool backup_peer;              /* the peer asked us */
	uint32_t token_loc, token_rem;
	uint32_t rtt_us, rttvar_us, cwnd;
	uint32_t min_rtt_us;           /* the kernel's windowed minimum: the path's baseline */
	uint8_t backoff;               /* RTO backoffs in a row (icsk_backoff) */
	uint8_t retransmits;           /* unrecovered RTOs of the current episode */
	uint32_t unacked, lost, total_retrans; /* segments */
	uint32_t last_ack_recv_ms;     /* since the last ACK came in */
	uint64_t bytes_acked, bytes_received, bytes_sent, bytes_retrans;
	uint64_t delivery_rate;        /* bytes/s */
	uint32_t inode;
	uint64_t cgroup_id;            /* INET_DIAG_CGROUP_ID (cgroup v2 inode), 0 when absent */
};

struct mps_conn {
	uint32_t token;                /* local token */
	struct mps_addr local, remote; /* first subflow's addresses */
	uint8_t state;                 /* TCP_* of the MPTCP socket */
	uint32_t inode;
	uint64_t cookie;               /* sock_diag cookie */
	uint32_t info_flags;           /* MPS_INFO_* */
	bool fallback;
	uint8_t subflows_reported;     /* mptcp_info.mptcpi_subflows (extra subflows) */
	uint8_t local_addr_used, add_addr_signal, add_addr_accepted;
	uint64_t bytes_sent, bytes_received, bytes_acked, bytes_retrans;
	uint32_t last_data_sent_ms, last_data_recv_ms; /* 0 when not reported */
	uint64_t cgroup_id;            /* of the socket's creator (cgroup v2 inode), 0 when absent */
	/* Filled by the snapshot, not by diag: */
	pid_t pid;                     /* 0 when no process owns the socket (e.g. orphaned) */
	char comm[16];
	size_t n_subflows;
	struct mps_subflow *subflows;  /* owned */
};

/* Raw dumps. Callbacks get borrowed structs. */
typedef int (*mps_conn_cb)(const struct mps_conn *c, void *data);
typedef int (*mps_subflow_cb)(const struct mps_subflow *s, void *data);
/* Every MPTCP socket except listeners (listeners too when with_listeners). */
int mps_diag_conns(bool with_listeners, mps_conn_cb cb, void *data);
/* One connection by its local token; -ENOENT when none. */
int mps_diag_conn_by_token(uint32_t token, struct mps_conn *out);
/* Every TCP socket that is an MPTCP subflow (ULP "mptcp"). */
int mps_diag_subflows(mps_subflow_cb cb, void *data);
/* A socket the caller keeps for repeated queries (a daemon's periodic samples). */
struct mps_diag_sock;
int mps_diag_sock_new(struct mps_diag_sock **out);
void mps_diag_sock_free(struct mps_diag_sock *s);
/* mps_diag_conns(false, ...) through s. */
int mps_diag_conns_on(struct mps_diag_sock *s, mps_conn_cb cb, void *data);
/* One TCP socket by its addresses: family is the socket's (AF_INET6 for a v4-mapped one:
 * give the plain v4 addresses, they are mapped here), ifindex its bound device (0: none;
 * an unbound socket matches any). */
struct mps_sock_id {
	int family;
	struct mps_addr local, remote;
	int ifindex;
};
/*
 * Exact lookups of n sockets, sent in batches of requests in one message each: the kernel
 * finds each in its hash instead of walking every socket of the machine, so a few busy
 * subflows cost a few lookups however many sockets exist. cb runs for each one found
 * (found[i] set when found is not NULL); the others are skipped.
 */
int mps_diag_subflows_lookup(struct mps_diag_sock *s, const struct mps_sock_id *ids, size_t n,
			     bool *found, mps_subflow_cb cb, void *data);

/* Parsers of one diag reply message (exposed for tests and fuzzing). */
struct nlmsghdr;
int mps_diag_parse_conn(const struct nlmsghdr *nlh, struct mps_conn *out);
/* Returns 0, or -ENOENT when the TCP socket is not an MPTCP subflow. */
int mps_diag_parse_subflow(const struct nlmsghdr *nlh, struct mps_subflow *out);

/*
 * A consistent picture of the namespace: every connection with its subflows,
 * interface names and owning process. Built by joining the dumps above with
 * rtnl (interface names) and proc (owners).
 */
struct mps_snapshot {
	size_t n_conns;
	struct mps_conn *conns; /* owned */
};
enum {
	MPS_SNAP_OWNERS = 1 << 0, /* resolve pid/comm through /proc (costly on big hosts) */
};
int mps_snapshot_new(unsigned what, struct mps_snapshot **out);
void mps_snapshot_free(struct mps_snapshot *s);
struct mps_conn *mps_snapshot_find(const struct mps_snapshot *s, uint32_t token);

const char *mps_tcp_state_name(uint8_t state); /* "ESTAB", "SYN-SENT", ... */

#endif
