/* SPDX-License-Identifier: MIT */
/*
 * Internal: the complete requests of every "mptcp_pm" command, built without
 * I/O so that pm.c only talks and the unit tests can compare bytes. Each
 * builder writes into buf (MPS_PM_MSG_BUFSZ bytes) with seq 0; mps_nl_talk()
 * fills in seq and the ACK flag when sending.
 */
#ifndef MPS_PM_MSG_H
#define MPS_PM_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "mpsteer/pm.h"

/* Fixed size: MNL_SOCKET_BUFFER_SIZE is a run-time expression. */
#define MPS_PM_MSG_BUFSZ 8192

/* ANNOUNCE: TOKEN + ADDR (SIGNAL is added to the flags: the kernel requires it). */
struct nlmsghdr *mps_pm_build_announce(void *buf, uint16_t family_id, uint32_t token,
				       const struct mps_pm_addr *a);
/* REMOVE: TOKEN + LOC_ID. */
struct nlmsghdr *mps_pm_build_remove(void *buf, uint16_t family_id, uint32_t token,
				     uint8_t loc_id);
/* SUBFLOW_CREATE / SUBFLOW_DESTROY: TOKEN + ADDR (local) + ADDR_REMOTE. */
struct nlmsghdr *mps_pm_build_subflow(void *buf, uint16_t family_id, uint8_t cmd, uint32_t token,
				      const struct mps_pm_addr *local,
				      const struct mps_addr *remote);
/* SET_FLAGS, userspace PM: TOKEN + ADDR (local) + ADDR_REMOTE, flags BACKUP or 0. */
struct nlmsghdr *mps_pm_build_set_backup(void *buf, uint16_t family_id, uint32_t token,
					 const struct mps_addr *local,
					 const struct mps_addr *remote, bool backup);
/* ADD_ADDR, DEL_ADDR, GET_ADDR (one id) and endpoint SET_FLAGS: one ADDR nest. */
struct nlmsghdr *mps_pm_build_addr_cmd(void *buf, uint16_t family_id, uint8_t cmd,
				       const struct mps_pm_addr *a);
/* GET_ADDR dump; with token != 0 the local addresses of one userspace-PM connection. */
struct nlmsghdr *mps_pm_build_get_addrs(void *buf, uint16_t family_id, uint32_t token);
/* SET_LIMITS with both values; GET_LIMITS / FLUSH_ADDRS: no attribute. */
struct nlmsghdr *mps_pm_build_set_limits(void *buf, uint16_t family_id,
					 const struct mps_pm_limits *l);

/* Parses a GET_LIMITS reply. 0 or -EINVAL. */
int mps_pm_limits_parse(const struct nlmsghdr *nlh, struct mps_pm_limits *l);
/* Parses one GET_ADDR reply (its ADDR nest). 0, -EINVAL, or -ENOENT without ADDR. */
int mps_pm_addr_reply_parse(const struct nlmsghdr *nlh, struct mps_pm_addr *out);

#endif
