/* SPDX-License-Identifier: MIT */
/*
 * Internal: constants of the generic netlink family "mptcp_pm" as of Linux 6.18
 * (include/uapi/linux/mptcp_pm.h, Documentation/netlink/specs/mptcp_pm.yaml).
 * Carried here under our own names because Debian's uapi headers are 6.1 and
 * lack the listener events, the FLAGS bits and SERVER_SIDE; our own prefix
 * keeps this file usable next to <linux/mptcp.h>.
 *
 * Commands, endpoint flags and event types are public: include/mpsteer/pm.h.
 */
#ifndef MPS_UAPI_MPTCP_H
#define MPS_UAPI_MPTCP_H

#define MPS_PM_GENL_NAME "mptcp_pm"
#define MPS_PM_GENL_VERSION 1
#define MPS_PM_EV_GRP_NAME "mptcp_pm_events"

/* Top-level attributes of commands and their replies (MPTCP_PM_ATTR_*). */
enum {
	MPS_PM_ATTR_UNSPEC = 0,
	MPS_PM_ATTR_ADDR = 1,          /* nest, MPS_PM_ADDR_ATTR_* */
	MPS_PM_ATTR_RCV_ADD_ADDRS = 2, /* u32 */
	MPS_PM_ATTR_SUBFLOWS = 3,      /* u32 */
	MPS_PM_ATTR_TOKEN = 4,         /* u32, host order */
	MPS_PM_ATTR_LOC_ID = 5,        /* u8 */
	MPS_PM_ATTR_ADDR_REMOTE = 6,   /* nest, MPS_PM_ADDR_ATTR_* */
	MPS_PM_ATTR_MAX = MPS_PM_ATTR_ADDR_REMOTE,
};

/* Address nest (MPTCP_PM_ADDR_ATTR_*). */
enum {
	MPS_PM_ADDR_ATTR_UNSPEC = 0,
	MPS_PM_ADDR_ATTR_FAMILY = 1, /* u16 */
	MPS_PM_ADDR_ATTR_ID = 2,     /* u8 */
	MPS_PM_ADDR_ATTR_ADDR4 = 3,  /* 4 bytes, network order */
	MPS_PM_ADDR_ATTR_ADDR6 = 4,  /* 16 bytes */
	MPS_PM_ADDR_ATTR_PORT = 5,   /* u16, HOST order (unlike the events) */
	MPS_PM_ADDR_ATTR_FLAGS = 6,  /* u32, MPS_PM_FLAG_* */
	MPS_PM_ADDR_ATTR_IF_IDX = 7, /* s32 */
	MPS_PM_ADDR_ATTR_MAX = MPS_PM_ADDR_ATTR_IF_IDX,
};

/* Event attributes (MPTCP_ATTR_*). */
enum {
	MPS_PM_EV_ATTR_UNSPEC = 0,
	MPS_PM_EV_ATTR_TOKEN = 1,        /* u32, host order */
	MPS_PM_EV_ATTR_FAMILY = 2,       /* u16 */
	MPS_PM_EV_ATTR_LOC_ID = 3,       /* u8 */
	MPS_PM_EV_ATTR_REM_ID = 4,       /* u8 */
	MPS_PM_EV_ATTR_SADDR4 = 5,       /* 4 bytes, network order */
	MPS_PM_EV_ATTR_SADDR6 = 6,       /* 16 bytes */
	MPS_PM_EV_ATTR_DADDR4 = 7,       /* 4 bytes, network order */
	MPS_PM_EV_ATTR_DADDR6 = 8,       /* 16 bytes */
	MPS_PM_EV_ATTR_SPORT = 9,        /* u16, NETWORK order */
	MPS_PM_EV_ATTR_DPORT = 10,       /* u16, NETWORK order */
	MPS_PM_EV_ATTR_BACKUP = 11,      /* u8 */
	MPS_PM_EV_ATTR_ERROR = 12,       /* u8 */
	MPS_PM_EV_ATTR_FLAGS = 13,       /* u16, MPS_EV_FLAG_* */
	MPS_PM_EV_ATTR_TIMEOUT = 14,     /* u32 */
	MPS_PM_EV_ATTR_IF_IDX = 15,      /* s32 */
	MPS_PM_EV_ATTR_RESET_REASON = 16, /* u32 */
	MPS_PM_EV_ATTR_RESET_FLAGS = 17, /* u32 */
	MPS_PM_EV_ATTR_SERVER_SIDE = 18, /* u8, before 6.18 (now a FLAGS bit) */
	MPS_PM_EV_ATTR_MAX = MPS_PM_EV_ATTR_SERVER_SIDE,
};

/* MPTCP reset reasons (RFC 8684, 3.6; MPTCP_RST_*). */
enum {
	MPS_RST_EUNSPEC = 0,
	MPS_RST_EMPTCP = 1,
	MPS_RST_ERESOURCE = 2,
	MPS_RST_EPROHIBIT = 3,
	MPS_RST_EWQ2BIG = 4,
	MPS_RST_EBADPERF = 5,
	MPS_RST_EMIDDLEBOX = 6,
};

#endif
