/* SPDX-License-Identifier: MIT */
/*
 * Prints the raw sock_diag replies mpsteer parses, one message per paragraph:
 * a "# ..." line saying what it is, then the message as hex, 32 bytes a line.
 * Used to capture tests/unit/golden/diag_*.hex from a live kernel:
 *
 *   cc -D_GNU_SOURCE -Iinclude -Ilib -o diag_capture tests/tools/diag_capture.c \
 *      lib/diag.c lib/snapshot.c lib/rtnl.c lib/proc.c lib/route.c lib/addr.c \
 *      lib/nl.c -lmnl
 *   ip netns exec NS ./diag_capture mptcp|tcp
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <libmnl/libmnl.h>

#include "mpsteer/diag.h"
#include "uapi_diag.h"

static void hexdump(const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		printf("%02x%s", b[i], (i + 1) % 32 == 0 || i + 1 == len ? "\n" : "");
	printf("\n");
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	char l[MPS_ADDRSTRLEN], r[MPS_ADDRSTRLEN];
	struct mps_subflow s;
	struct mps_conn c;

	if (*(const int *)data == IPPROTO_MPTCP && mps_diag_parse_conn(nlh, &c) == 0)
		printf("# conn %s %s -> %s token %08x\n", mps_tcp_state_name(c.state),
		       mps_addr_format(&c.local, l, sizeof(l)),
		       mps_addr_format(&c.remote, r, sizeof(r)), c.token);
	else if (*(const int *)data == IPPROTO_TCP && mps_diag_parse_subflow(nlh, &s) == 0)
		printf("# subflow %s -> %s token %08x ids %u/%u flags %#x if %d\n",
		       mps_addr_format(&s.local, l, sizeof(l)),
		       mps_addr_format(&s.remote, r, sizeof(r)),
		       s.token_loc, s.loc_id, s.rem_id, s.flags, s.ifindex);
	else
		printf("# other (plain TCP or unparsed)\n");
	hexdump(nlh, nlh->nlmsg_len);
	return MNL_CB_OK;
}

static int dump(struct mnl_socket *sk, int family, int protocol)
{
	char buf[32768];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *r;
	unsigned seq = 1;
	ssize_t n;
	int ret;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
	r->sdiag_family = family;
	r->sdiag_protocol = IPPROTO_TCP;
	r->idiag_states = 0xfff;
	r->idiag_ext = 1 << (INET_DIAG_INFO - 1);
	if (protocol == IPPROTO_MPTCP)
		mnl_attr_put_u32(nlh, INET_DIAG_REQ_PROTOCOL, protocol);
	if (mnl_socket_sendto(sk, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		n = mnl_socket_recvfrom(sk, buf, sizeof(buf));
		if (n < 0)
			return -1;
		ret = mnl_cb_run(buf, n, seq, mnl_socket_get_portid(sk), msg_cb, &protocol);
	} while (ret > 0);
	return ret;
}

int main(int argc, char **argv)
{
	int protocol = argc > 1 && strcmp(argv[1], "mptcp") == 0 ? IPPROTO_MPTCP : IPPROTO_TCP;
	struct mnl_socket *sk = mnl_socket_open(NETLINK_SOCK_DIAG);

	if (!sk || mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink");
		return 1;
	}
	if (dump(sk, AF_INET, protocol) < 0 || dump(sk, AF_INET6, protocol) < 0) {
		perror("dump");
		return 1;
	}
	mnl_socket_close(sk);
	return 0;
}
