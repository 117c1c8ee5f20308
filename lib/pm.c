/* SPDX-License-Identifier: MIT */
/*
 * "mptcp_pm" commands and events: the I/O half. Requests are built by
 * pm_msg.c; here they are sent through lib/nl.c, which keeps the kernel's
 * extended-ACK text for mps_pm_errmsg().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "mpsteer/pm.h"
#include "nl.h"
#include "pm_msg.h"
#include "uapi_mptcp.h"

/* Big enough that a burst of connections does not overflow it while the
 * daemon is busy; overflow is still reported (ENOBUFS) and handled. */
#define EV_RCVBUF (4 << 20)
/* Datagrams read per mps_pm_recv_events() call, so one busy socket cannot
 * starve the caller's event loop (it is level-triggered and calls again). */
#define EV_BATCH 64

struct mps_pm {
	struct mps_nl nl;
	uint16_t family_id;
	uint32_t ev_group; /* 0 if the kernel has no events group */
	bool subscribed;
	char rx[32768]; /* events; kernel event skbs are at most NLMSG_GOODSIZE */
};

/* Text for errors we detect ourselves, so that errmsg is never stale. */
static int fail(struct mps_pm *pm, int err, const char *msg)
{
	snprintf(pm->nl.errmsg, sizeof(pm->nl.errmsg), "%s", msg);
	return err;
}

/* ---- family resolution -------------------------------------------------- */

static int grp_cb(const struct nlattr *attr, void *data)
{
	struct mps_pm *pm = data;
	const struct nlattr *a, *name = NULL, *id = NULL;

	mnl_attr_for_each_nested(a, attr) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			name = a;
		else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
			 mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			id = a;
	}
	if (name && id && strcmp(mnl_attr_get_str(name), MPS_PM_EV_GRP_NAME) == 0)
		pm->ev_group = mnl_attr_get_u32(id);
	return MNL_CB_OK;
}

static int family_attr_cb(const struct nlattr *attr, void *data)
{
	struct mps_pm *pm = data;
	const struct nlattr *g;

	switch (mnl_attr_get_type(attr)) {
	case CTRL_ATTR_FAMILY_ID:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
			pm->family_id = mnl_attr_get_u16(attr);
		break;
	case CTRL_ATTR_MCAST_GROUPS:
		mnl_attr_for_each_nested(g, attr)
			grp_cb(g, pm);
		break;
	}
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, GENL_HDRLEN, family_attr_cb, data);
}

static int resolve_family(struct mps_pm *pm)
{
	char buf[MPS_PM_MSG_BUFSZ];
	struct nlmsghdr *nlh = mps_pm_msg_new(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0, 0);
	int err;

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, MPS_PM_GENL_NAME);
	err = mps_nl_talk(&pm->nl, nlh, family_cb, pm);
	if (err == -ENOENT)
		return -EPROTONOSUPPORT; /* no MPTCP in this kernel */
	if (err)
		return err;
	return pm->family_id ? 0 : -EPROTONOSUPPORT;
}

int mps_pm_new(struct mps_pm **out)
{
	struct mps_pm *pm;
	int err;

	*out = NULL;
	pm = calloc(1, sizeof(*pm));
	if (!pm)
		return -ENOMEM;
	err = mps_nl_open(&pm->nl, NETLINK_GENERIC);
	if (err) {
		free(pm);
		return err;
	}
	err = resolve_family(pm);
	if (err) {
		mps_pm_free(pm);
		return err;
	}
	pm->nl.errmsg[0] = '\0';
	*out = pm;
	return 0;
}

void mps_pm_free(struct mps_pm *pm)
{
	if (!pm)
		return;
	mps_nl_close(&pm->nl);
	free(pm);
}

const char *mps_pm_errmsg(const struct mps_pm *pm)
{
	return pm ? pm->nl.errmsg : "";
}

uint16_t mps_pm_family_id(const struct mps_pm *pm)
{
	return pm->family_id;
}

uint32_t mps_pm_event_group(const struct mps_pm *pm)
{
	return pm->ev_group;
}

int mps_pm_fd(const struct mps_pm *pm)
{
	return mnl_socket_get_fd(pm->nl.sk);
}

/* ---- events ------------------------------------------------------------- */

/*
 * NETLINK_NO_ENOBUFS is deliberately left off: a lost event must surface as
 * ENOBUFS so that the caller resyncs from sock_diag instead of trusting a
 * state that silently diverged.
 */
int mps_pm_subscribe(struct mps_pm *pm)
{
	int fd = mps_pm_fd(pm), sz = EV_RCVBUF;

	if (!pm->ev_group)
		return fail(pm, -ENOENT, "kernel has no mptcp_pm_events group");
	/* SO_RCVBUFFORCE passes rmem_max with CAP_NET_ADMIN, which joining needs anyway. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (mnl_socket_setsockopt(pm->nl.sk, NETLINK_ADD_MEMBERSHIP, &pm->ev_group,
				  sizeof(pm->ev_group)) < 0)
		return fail(pm, -errno, "cannot join mptcp_pm_events");
	pm->subscribed = true;
	pm->nl.errmsg[0] = '\0';
	return 0;
}

/* mnl_nlmsg_ok() casts nlmsg_len to int, so a length >= 2^31 passes it;
 * compare unsigned. */
static bool msg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (uint32_t)len;
}

/* Runs cb over each event of one datagram. Malformed or foreign messages
 * are skipped: one bad message must not hide the good ones after it. */
static int dispatch(struct mps_pm *pm, size_t n, mps_event_cb cb, void *data)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)pm->rx;
	int len = (int)n, ret;
	struct mps_event ev;

	for (; msg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_type != pm->family_id)
			continue;
		if (mps_pm_event_parse(nlh, &ev))
			continue;
		ret = cb(&ev, data);
		if (ret)
			return ret;
	}
	return 0;
}

int mps_pm_recv_events(struct mps_pm *pm, mps_event_cb cb, void *data)
{
	int fd = mps_pm_fd(pm), got = 0, ret;
	struct sockaddr_nl from;
	socklen_t fromlen;
	ssize_t n;

	while (got < EV_BATCH) {
		fromlen = sizeof(from);
		n = recvfrom(fd, pm->rx, sizeof(pm->rx), MSG_DONTWAIT, (struct sockaddr *)&from,
			     &fromlen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return got ? 0 : -EAGAIN;
			return -errno; /* -ENOBUFS: events were lost */
		}
		got++;
		/* Only the kernel speaks for the path manager: a privileged
		 * process could unicast look-alike events to our port id. */
		if (fromlen < sizeof(from) || from.nl_pid != 0)
			continue;
		ret = dispatch(pm, (size_t)n, cb, data);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- commands ----------------------------------------------------------- */

/* A subscribed socket receives events among replies; nl.c would take them
 * for replies. Commands need a handle of their own. */
static int talk(struct mps_pm *pm, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	if (pm->subscribed)
		return fail(pm, -EBUSY, "event socket: use another handle for commands");
	return mps_nl_talk(&pm->nl, nlh, cb, data);
}

static int check_addr(struct mps_pm *pm, const struct mps_addr *a, bool port, const char *what)
{
	char msg[64];

	if (!a || !mps_addr_is_set(a)) {
		snprintf(msg, sizeof(msg), "%s address missing", what);
		return fail(pm, -EINVAL, msg);
	}
	if (port && !a->port) {
		snprintf(msg, sizeof(msg), "%s port missing", what);
		return fail(pm, -EINVAL, msg);
	}
	return 0;
}

/* One subflow is named by both ends, each with its port. */
static int check_subflow_ends(struct mps_pm *pm, const struct mps_addr *local,
			      const struct mps_addr *remote)
{
	return check_addr(pm, local, true, "local") ?: check_addr(pm, remote, true, "remote");
}

int mps_pm_announce(struct mps_pm *pm, uint32_t token, const struct mps_pm_addr *a)
{
	char buf[MPS_PM_MSG_BUFSZ];
	int err = check_addr(pm, &a->addr, false, "announced");

	if (err)
		return err;
	if (!a->id)
		return fail(pm, -EINVAL, "announce needs an address id (1..255)");
	return talk(pm, mps_pm_build_announce(buf, pm->family_id, token, a), NULL, NULL);
}

int mps_pm_remove(struct mps_pm *pm, uint32_t token, uint8_t loc_id)
{
	char buf[MPS_PM_MSG_BUFSZ];

	return talk(pm, mps_pm_build_remove(buf, pm->family_id, token, loc_id), NULL, NULL);
}

int mps_pm_subflow_create(struct mps_pm *pm, uint32_t token, const struct mps_pm_addr *local,
			  const struct mps_addr *remote)
{
	char buf[MPS_PM_MSG_BUFSZ];
	int err = check_addr(pm, &local->addr, false, "local");

	if (!err)
		err = check_addr(pm, remote, true, "remote");
	if (err)
		return err;
	return talk(pm,
		    mps_pm_build_subflow(buf, pm->family_id, MPS_PM_CMD_SUBFLOW_CREATE, token,
					 local, remote),
		    NULL, NULL);
}

int mps_pm_subflow_destroy(struct mps_pm *pm, uint32_t token, const struct mps_addr *local,
			   const struct mps_addr *remote)
{
	char buf[MPS_PM_MSG_BUFSZ];
	struct mps_pm_addr loc = { .addr = *local };
	int err = check_subflow_ends(pm, local, remote);

	if (err)
		return err;
	return talk(pm,
		    mps_pm_build_subflow(buf, pm->family_id, MPS_PM_CMD_SUBFLOW_DESTROY, token,
					 &loc, remote),
		    NULL, NULL);
}

int mps_pm_set_backup(struct mps_pm *pm, uint32_t token, const struct mps_addr *local,
		      const struct mps_addr *remote, bool backup)
{
	char buf[MPS_PM_MSG_BUFSZ];
	int err = check_subflow_ends(pm, local, remote);

	if (err)
		return err;
	return talk(pm,
		    mps_pm_build_set_backup(buf, pm->family_id, token, local, remote, backup),
		    NULL, NULL);
}

int mps_pm_add_addr(struct mps_pm *pm, const struct mps_pm_addr *a)
{
	char buf[MPS_PM_MSG_BUFSZ];
	int err = check_addr(pm, &a->addr, false, "endpoint");

	if (err)
		return err;
	return talk(pm, mps_pm_build_addr_cmd(buf, pm->family_id, MPS_PM_CMD_ADD_ADDR, a), NULL,
		    NULL);
}

int mps_pm_del_addr(struct mps_pm *pm, uint8_t id, const struct mps_addr *a)
{
	char buf[MPS_PM_MSG_BUFSZ];
	struct mps_pm_addr pa = { .id = id, .has = MPS_PM_HAS_ID };

	if (a)
		pa.addr = *a;
	if (!id && !(a && mps_addr_is_set(a)))
		return fail(pm, -EINVAL, "endpoint id 0 needs an address");
	return talk(pm, mps_pm_build_addr_cmd(buf, pm->family_id, MPS_PM_CMD_DEL_ADDR, &pa), NULL,
		    NULL);
}

struct addrs_ctx {
	mps_pm_addr_cb cb;
	void *data;
	int ret; /* first non-zero value of cb, or a parse error */
};

/*
 * Once cb has said stop (or a reply was malformed) the rest of the dump is
 * still read and dropped: leaving it queued would make the next request on
 * this socket read stale replies.
 */
static int addrs_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addrs_ctx *c = data;
	struct mps_pm_addr a;
	int err;

	if (c->ret)
		return MNL_CB_OK;
	err = mps_pm_addr_reply_parse(nlh, &a);
	if (err == -ENOENT)
		return MNL_CB_OK;
	c->ret = err ? err : c->cb(&a, c->data);
	return MNL_CB_OK;
}

int mps_pm_get_addrs(struct mps_pm *pm, uint32_t token, mps_pm_addr_cb cb, void *data)
{
	char buf[MPS_PM_MSG_BUFSZ];
	struct addrs_ctx c = { .cb = cb, .data = data };
	int err = talk(pm, mps_pm_build_get_addrs(buf, pm->family_id, token), addrs_cb, &c);

	return err ? err : c.ret;
}

int mps_pm_flush_addrs(struct mps_pm *pm)
{
	char buf[MPS_PM_MSG_BUFSZ];

	return talk(pm, mps_pm_msg_new(buf, pm->family_id, MPS_PM_CMD_FLUSH_ADDRS, 0, 0), NULL,
		    NULL);
}

int mps_pm_set_limits(struct mps_pm *pm, const struct mps_pm_limits *l)
{
	char buf[MPS_PM_MSG_BUFSZ];

	return talk(pm, mps_pm_build_set_limits(buf, pm->family_id, l), NULL, NULL);
}

static int limits_cb(const struct nlmsghdr *nlh, void *data)
{
	if (mps_pm_limits_parse(nlh, data)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int mps_pm_get_limits(struct mps_pm *pm, struct mps_pm_limits *l)
{
	char buf[MPS_PM_MSG_BUFSZ];

	memset(l, 0, sizeof(*l));
	return talk(pm, mps_pm_msg_new(buf, pm->family_id, MPS_PM_CMD_GET_LIMITS, 0, 0), limits_cb,
		    l);
}

int mps_pm_set_endpoint_flags(struct mps_pm *pm, const struct mps_pm_addr *a)
{
	char buf[MPS_PM_MSG_BUFSZ];
	struct mps_pm_addr ep = *a;

	if (!a->id && !mps_addr_is_set(&a->addr))
		return fail(pm, -EINVAL, "endpoint id or address needed");
	ep.has |= MPS_PM_HAS_FLAGS; /* flags 0 clears backup and fullmesh */
	return talk(pm, mps_pm_build_addr_cmd(buf, pm->family_id, MPS_PM_CMD_SET_FLAGS, &ep), NULL,
		    NULL);
}
