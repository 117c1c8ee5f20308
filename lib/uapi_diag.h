/* SPDX-License-Identifier: MIT */
/*
 * Internal: sock_diag constants and structs newer than the build host's uapi
 * headers (Debian ships 6.1). Names carry an MPS_ prefix so that this file can
 * be included next to <linux/mptcp.h> without clashes. Values are ABI: they
 * never change once a kernel has shipped them.
 */
#ifndef MPS_UAPI_DIAG_H
#define MPS_UAPI_DIAG_H

#include <stdint.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/* TCP states (include/net/tcp_states.h); LISTEN is all we need here. */
#define MPS_TCP_ESTABLISHED 1
#define MPS_TCP_LISTEN 10

/* Request attributes after struct inet_diag_req_v2 (INET_DIAG_REQ_*). */
#define MPS_INET_DIAG_REQ_PROTOCOL 3 /* u32: which inet protocol to dump (6.0+ for MPTCP) */

/* Reply attributes (INET_DIAG_*) we read. */
#define MPS_INET_DIAG_INFO 2     /* tcp_info for TCP, mptcp_info for MPTCP */
#define MPS_INET_DIAG_SHUTDOWN 8
#define MPS_INET_DIAG_ULP_INFO 19 /* nest of MPS_INET_ULP_INFO_* */
#define MPS_INET_DIAG_CGROUP_ID 21 /* u64: cgroup v2 id (inode) of the socket, always sent */

/* Inside INET_DIAG_ULP_INFO. */
#define MPS_INET_ULP_INFO_NAME 1  /* string: "mptcp", "tls" */
#define MPS_INET_ULP_INFO_TLS 2
#define MPS_INET_ULP_INFO_MPTCP 3 /* nest of MPS_MPTCP_SUBFLOW_ATTR_* */

/* Inside INET_ULP_INFO_MPTCP (net/mptcp/diag.c). */
enum {
	MPS_MPTCP_SUBFLOW_ATTR_UNSPEC,
	MPS_MPTCP_SUBFLOW_ATTR_TOKEN_REM,    /* u32 */
	MPS_MPTCP_SUBFLOW_ATTR_TOKEN_LOC,    /* u32 */
	MPS_MPTCP_SUBFLOW_ATTR_RELWRITE_SEQ, /* u32 */
	MPS_MPTCP_SUBFLOW_ATTR_MAP_SEQ,      /* u64 */
	MPS_MPTCP_SUBFLOW_ATTR_MAP_SFSEQ,    /* u32 */
	MPS_MPTCP_SUBFLOW_ATTR_SSN_OFFSET,   /* u32 */
	MPS_MPTCP_SUBFLOW_ATTR_MAP_DATALEN,  /* u16 */
	MPS_MPTCP_SUBFLOW_ATTR_FLAGS,        /* u32, MPS_SF_* of diag.h */
	MPS_MPTCP_SUBFLOW_ATTR_ID_REM,       /* u8 */
	MPS_MPTCP_SUBFLOW_ATTR_ID_LOC,       /* u8 */
	MPS_MPTCP_SUBFLOW_ATTR_PAD,
	MPS_MPTCP_SUBFLOW_ATTR_MAX_ = MPS_MPTCP_SUBFLOW_ATTR_PAD,
};

/*
 * struct mptcp_info as of Linux 6.18 (96 bytes). Older kernels return a
 * prefix of it (40 bytes up to 6.4, 80 from 6.5, 96 from 6.10): copy by the
 * returned length and leave the rest zero.
 */
struct mps_uapi_mptcp_info {
	uint8_t mptcpi_subflows;
	uint8_t mptcpi_add_addr_signal;
	uint8_t mptcpi_add_addr_accepted;
	uint8_t mptcpi_subflows_max;
	uint8_t mptcpi_add_addr_signal_max;
	uint8_t mptcpi_add_addr_accepted_max;
	uint32_t mptcpi_flags;
	uint32_t mptcpi_token;
	uint64_t mptcpi_write_seq;
	uint64_t mptcpi_snd_una;
	uint64_t mptcpi_rcv_nxt;
	uint8_t mptcpi_local_addr_used;
	uint8_t mptcpi_local_addr_max;
	uint8_t mptcpi_csum_enabled;
	uint32_t mptcpi_retransmits;
	uint64_t mptcpi_bytes_retrans;
	uint64_t mptcpi_bytes_sent;
	uint64_t mptcpi_bytes_received;
	uint64_t mptcpi_bytes_acked;
	uint8_t mptcpi_subflows_total;
	uint8_t reserved[3]; /* not read here (zero on 6.18 even with fullmesh endpoints) */
	uint32_t mptcpi_last_data_sent; /* ms ago */
	uint32_t mptcpi_last_data_recv;
	uint32_t mptcpi_last_ack_recv;
};

#define MPS_MPTCP_INFO_FLAG_FALLBACK (1u << 0)
#define MPS_MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED (1u << 1)

_Static_assert(sizeof(struct mps_uapi_mptcp_info) == 96, "struct mptcp_info is 96 bytes on 6.18");

#endif
