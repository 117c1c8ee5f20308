/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "nl.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

int mps_nl_open(struct mps_nl *nl, int bus)
{
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->sk = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!nl->sk)
		return -errno;
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		mnl_socket_close(nl->sk);
		nl->sk = NULL;
		return err;
	}
	/* Both are best effort: old kernels lack them and still work. */
	mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = (uint32_t)getpid() << 8;
	return 0;
}

void mps_nl_close(struct mps_nl *nl)
{
	if (nl && nl->sk) {
		mnl_socket_close(nl->sk);
		nl->sk = NULL;
	}
}

static int ext_ack_attr_cb(const struct nlattr *attr, void *data)
{
	const char **msg = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		*msg = mnl_attr_get_str(attr);
	return MNL_CB_OK;
}

void mps_nl_ext_ack_text(const struct nlmsghdr *nlh, char *buf, size_t len)
{
	const struct nlmsgerr *e;
	const char *msg = NULL;
	size_t off;

	buf[0] = '\0';
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	e = mnl_nlmsg_get_payload(nlh);
	off = sizeof(*e);
	/* Without NLM_F_CAPPED the request is echoed after the error header. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (NLMSG_LENGTH(off) > nlh->nlmsg_len)
		return;
	mnl_attr_parse(nlh, off, ext_ack_attr_cb, &msg);
	if (msg)
		snprintf(buf, len, "%s", msg);
}

struct talk_ctx {
	struct mps_nl *nl;
	int err;
};

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk_ctx *t = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		t->err = -EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP; /* the ACK */
	t->err = e->error < 0 ? e->error : -e->error;
	mps_nl_ext_ack_text(nlh, t->nl->errmsg, sizeof(t->nl->errmsg));
	return MNL_CB_ERROR;
}

static int noop_cb(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_OK;
}

static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk_ctx *t = data;

	/* A dump may end with an error code in NLMSG_DONE's payload. */
	if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(int))) {
		int e = *(int *)mnl_nlmsg_get_payload(nlh);

		if (e < 0) {
			t->err = e;
			/* Dumps carry their extended ACK after the error code. */
			if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
			    nlh->nlmsg_len > mnl_nlmsg_size(sizeof(int))) {
				const char *msg = NULL;

				mnl_attr_parse(nlh, sizeof(int), ext_ack_attr_cb, &msg);
				if (msg)
					snprintf(t->nl->errmsg, sizeof(t->nl->errmsg), "%s", msg);
			}
			return MNL_CB_ERROR;
		}
	}
	return MNL_CB_STOP;
}

/* mnl passes one data pointer to both data and control callbacks: this
 * wrapper keeps the caller's pointer for cb. */
struct talk_wrap {
	struct talk_ctx t;
	mnl_cb_t cb;
	void *data;
};

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk_wrap *w = data;

	return w->cb ? w->cb(nlh, w->data) : MNL_CB_OK;
}

int mps_nl_talk(struct mps_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = noop_cb,
		[NLMSG_ERROR] = error_cb,
		[NLMSG_DONE] = done_cb,
	};
	char buf[32768]; /* MNL_SOCKET_DUMP_SIZE of newer libmnl */
	struct talk_wrap w = { .t = { .nl = nl }, .cb = cb, .data = data };
	uint32_t seq = ++nl->seq;
	ssize_t n;
	int ret;

	nl->errmsg[0] = '\0';
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = 0;
	/* NLM_F_DUMP is two bits that NEW requests reuse as REPLACE and EXCL:
	 * only both together mean a dump. */
	if ((nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl->sk, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		/* The control callbacks get &w too; talk_ctx is its first member. */
		ret = mnl_cb_run2(buf, n, seq, nl->portid, data_cb, &w, ctl, NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR)
			return w.t.err ? w.t.err : (errno ? -errno : -EIO);
		if (ret == MNL_CB_STOP)
			return 0;
	}
}
