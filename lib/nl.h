/* SPDX-License-Identifier: MIT */
/*
 * Internal: one netlink socket with the conventions every module shares —
 * extended ACKs on, the kernel's error text kept, 0 / -errno results.
 */
#ifndef MPS_NL_H
#define MPS_NL_H

#include <libmnl/libmnl.h>
#include <stdint.h>

struct mps_nl {
	struct mnl_socket *sk;
	uint32_t portid;
	uint32_t seq;
	char errmsg[256]; /* extended-ACK text of the last failure, or "" */
};

/* bus: NETLINK_GENERIC, NETLINK_ROUTE, NETLINK_SOCK_DIAG. */
int mps_nl_open(struct mps_nl *nl, int bus);
void mps_nl_close(struct mps_nl *nl);

/*
 * Sends nlh (seq and portid filled in here; NLM_F_ACK added for non-dumps)
 * and runs cb over each data reply until the ACK or NLMSG_DONE. An
 * NLMSG_ERROR reply becomes its -errno, with the extended-ACK text copied to
 * nl->errmsg. A negative value returned by cb... is not possible with mnl
 * callbacks; cb returns MNL_CB_OK / MNL_CB_STOP / MNL_CB_ERROR (errno set).
 */
int mps_nl_talk(struct mps_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/* Extracts the NLMSGERR_ATTR_MSG text of an NLMSG_ERROR message into buf. */
void mps_nl_ext_ack_text(const struct nlmsghdr *nlh, char *buf, size_t len);

#endif
