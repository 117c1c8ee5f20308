/* SPDX-License-Identifier: MIT */
/*
 * Generic netlink family "mptcp_pm": the kernel's path-manager API.
 *
 * A struct mps_pm is one netlink socket in the caller's network namespace.
 * Commands are synchronous (request, then ACK or NLMSG_ERROR). The kernel's
 * extended-ACK text of the last failed command is kept in the handle and read
 * with mps_pm_errmsg(). Event sockets are separate handles: mps_pm_subscribe()
 * joins the "mptcp_pm_events" group and the fd is then only read with
 * mps_pm_recv_events().
 *
 * Message building and parsing are exposed (mps_pm_msg_*, mps_pm_event_parse)
 * so that they can be tested against golden bytes without a kernel.
 */
#ifndef MPSTEER_PM_H
#define MPSTEER_PM_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/netlink.h>

#include "mpsteer.h"

/* Commands (MPTCP_PM_CMD_*), carried here: Debian's uapi headers are 6.1. */
enum mps_pm_cmd {
	MPS_PM_CMD_ADD_ADDR = 1,
	MPS_PM_CMD_DEL_ADDR = 2,
	MPS_PM_CMD_GET_ADDR = 3,
	MPS_PM_CMD_FLUSH_ADDRS = 4,
	MPS_PM_CMD_SET_LIMITS = 5,
	MPS_PM_CMD_GET_LIMITS = 6,
	MPS_PM_CMD_SET_FLAGS = 7,
	MPS_PM_CMD_ANNOUNCE = 8,
	MPS_PM_CMD_REMOVE = 9,
	MPS_PM_CMD_SUBFLOW_CREATE = 10,
	MPS_PM_CMD_SUBFLOW_DESTROY = 11,
};

/* Endpoint / address flags (MPTCP_PM_ADDR_FLAG_*). */
enum {
	MPS_PM_FLAG_SIGNAL = 1 << 0,
	MPS_PM_FLAG_SUBFLOW = 1 << 1,
	MPS_PM_FLAG_BACKUP = 1 << 2,
	MPS_PM_FLAG_FULLMESH = 1 << 3,
	MPS_PM_FLAG_IMPLICIT = 1 << 4,
	MPS_PM_FLAG_LAMINAR = 1 << 5,
};

/* An address as the path manager knows it: endpoint, announced or local address. */
struct mps_pm_addr {
	struct mps_addr addr; /* port host order; 0 = none */
	uint8_t id;           /* 0 = none/unset (ids are 1..255 when set) */
	uint32_t flags;       /* MPS_PM_FLAG_* */
	int32_t ifindex;      /* 0 = none */
	unsigned has;         /* MPS_PM_HAS_* presence bits (parsed addresses) */
};
enum {
	MPS_PM_HAS_ID = 1 << 0,
	MPS_PM_HAS_FLAGS = 1 << 1,
	MPS_PM_HAS_IFINDEX = 1 << 2,
	MPS_PM_HAS_PORT = 1 << 3,
};

struct mps_pm_limits {
	uint32_t rcv_add_addrs;
	uint32_t subflows;
};

/* Event types (MPTCP_EVENT_*): the genl command of an event message. */
enum mps_event_type {
	MPS_EV_UNSPEC = 0,
	MPS_EV_CREATED = 1,
	MPS_EV_ESTABLISHED = 2,
	MPS_EV_CLOSED = 3,
	MPS_EV_ANNOUNCED = 6,
	MPS_EV_REMOVED = 7,
	MPS_EV_SUB_ESTABLISHED = 10,
	MPS_EV_SUB_CLOSED = 11,
	MPS_EV_SUB_PRIORITY = 13,
	MPS_EV_LISTENER_CREATED = 15,
	MPS_EV_LISTENER_CLOSED = 16,
};

/* Event flags (MPTCP_PM_EV_FLAG_*). */
enum {
	MPS_EV_FLAG_DENY_JOIN_ID0 = 1 << 0,
	MPS_EV_FLAG_SERVER_SIDE = 1 << 1,
};

/* Presence bits of struct mps_event. */
enum {
	MPS_EVH_TOKEN = 1 << 0,
	MPS_EVH_FAMILY = 1 << 1,
	MPS_EVH_LOC_ID = 1 << 2,
	MPS_EVH_REM_ID = 1 << 3,
	MPS_EVH_SADDR = 1 << 4,
	MPS_EVH_DADDR = 1 << 5,
	MPS_EVH_SPORT = 1 << 6,
	MPS_EVH_DPORT = 1 << 7,
	MPS_EVH_BACKUP = 1 << 8,
	MPS_EVH_ERROR = 1 << 9,
	MPS_EVH_FLAGS = 1 << 10,
	MPS_EVH_TIMEOUT = 1 << 11,
	MPS_EVH_IF_IDX = 1 << 12,
	MPS_EVH_RESET_REASON = 1 << 13,
	MPS_EVH_RESET_FLAGS = 1 << 14,
	MPS_EVH_SERVER_SIDE = 1 << 15,
};

/*
 * One decoded event. saddr/daddr carry the ports (host order after parsing;
 * the kernel sends them in network order). For ANNOUNCED, daddr is the
 * announced address (the kernel sends no FAMILY; it is derived from the
 * address attribute).
 */
struct mps_event {
	enum mps_event_type type;
	unsigned has; /* MPS_EVH_* */
	uint32_t token;
	uint16_t family;
	uint8_t loc_id, rem_id;
	struct mps_addr saddr, daddr;
	uint8_t backup; /* the peer's MP_PRIO request (SUB_PRIORITY) or join flag */
	uint8_t error;
	uint16_t flags; /* MPS_EV_FLAG_*; SERVER_SIDE attribute (pre-6.18) folded in */
	uint32_t timeout;
	int32_t ifindex;
	uint32_t reset_reason, reset_flags;
};

const char *mps_event_name(enum mps_event_type t);      /* "CREATED", ... ; NULL if unknown */
int mps_event_type_from_name(const char *name);         /* -EINVAL if unknown */
const char *mps_reset_reason_name(uint32_t reason);     /* "unspecified", ...; NULL if unknown */

struct mps_pm;

/* Opens a socket in the current netns and resolves the family.
 * -EPROTONOSUPPORT when the kernel has no "mptcp_pm" family (no MPTCP). */
int mps_pm_new(struct mps_pm **out);
void mps_pm_free(struct mps_pm *pm);
/* Text of the kernel's extended ACK for the last failed call, or "" */
const char *mps_pm_errmsg(const struct mps_pm *pm);
uint16_t mps_pm_family_id(const struct mps_pm *pm);
/* The id of the "mptcp_pm_events" multicast group (0 when the kernel has none). */
uint32_t mps_pm_event_group(const struct mps_pm *pm);

/* Events: join the group (CAP_NET_ADMIN). Sets a large receive buffer. */
int mps_pm_subscribe(struct mps_pm *pm);
int mps_pm_fd(const struct mps_pm *pm);
/*
 * Reads what is pending (non-blocking when the fd is) and calls cb for each
 * event. Returns 0, -EAGAIN when nothing was pending, -ENOBUFS when the kernel
 * dropped events (the caller must resync), or the first non-zero value cb
 * returned. Unknown attributes are skipped; events of unknown type are passed
 * with their type number.
 */
typedef int (*mps_event_cb)(const struct mps_event *ev, void *data);
int mps_pm_recv_events(struct mps_pm *pm, mps_event_cb cb, void *data);

/* Userspace path-manager commands (per connection token). */
int mps_pm_announce(struct mps_pm *pm, uint32_t token, const struct mps_pm_addr *a);
int mps_pm_remove(struct mps_pm *pm, uint32_t token, uint8_t loc_id);
int mps_pm_subflow_create(struct mps_pm *pm, uint32_t token, const struct mps_pm_addr *local,
			  const struct mps_addr *remote);
int mps_pm_subflow_destroy(struct mps_pm *pm, uint32_t token, const struct mps_addr *local,
			   const struct mps_addr *remote);
/* MP_PRIO on the subflow local->remote (ports must be set). */
int mps_pm_set_backup(struct mps_pm *pm, uint32_t token, const struct mps_addr *local,
		      const struct mps_addr *remote, bool backup);

/* In-kernel path manager (endpoints and limits). */
int mps_pm_add_addr(struct mps_pm *pm, const struct mps_pm_addr *a);
int mps_pm_del_addr(struct mps_pm *pm, uint8_t id, const struct mps_addr *a /* may be NULL */);
typedef int (*mps_pm_addr_cb)(const struct mps_pm_addr *a, void *data);
/* Dump endpoints (token == 0) or one userspace-PM connection's local addresses. */
int mps_pm_get_addrs(struct mps_pm *pm, uint32_t token, mps_pm_addr_cb cb, void *data);
int mps_pm_flush_addrs(struct mps_pm *pm);
int mps_pm_set_limits(struct mps_pm *pm, const struct mps_pm_limits *l);
int mps_pm_get_limits(struct mps_pm *pm, struct mps_pm_limits *l);
/* Endpoint flags (in-kernel PM): by id or address. */
int mps_pm_set_endpoint_flags(struct mps_pm *pm, const struct mps_pm_addr *a);

/*
 * Message building (no I/O): writes a complete request into buf
 * (at least MNL_SOCKET_BUFFER_SIZE bytes) and returns its nlmsghdr.
 * The parameters mirror the commands above; seq is put into the header.
 */
struct nlmsghdr *mps_pm_msg_new(void *buf, uint16_t family_id, uint8_t cmd, uint32_t seq,
				uint16_t nlflags);
void mps_pm_msg_put_addr(struct nlmsghdr *nlh, uint16_t attr, const struct mps_pm_addr *a);
void mps_pm_msg_put_token(struct nlmsghdr *nlh, uint32_t token);

/*
 * Parses one event message (a generic netlink message of the events group).
 * Returns 0, or -EINVAL when the message is malformed (attributes of wrong size).
 */
int mps_pm_event_parse(const struct nlmsghdr *nlh, struct mps_event *ev);
/* Parses an MPTCP_PM_ATTR_ADDR nest (as in GET_ADDR replies). */
int mps_pm_addr_parse_nest(const struct nlattr *nest, struct mps_pm_addr *out);

#endif
