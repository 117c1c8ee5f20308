/* SPDX-License-Identifier: MIT */
/* Route lookups through RTM_GETROUTE (see rtnl.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>

#include "mpsteer/rtnl.h"
#include "nl.h"

struct mps_router {
	struct mps_nl nl;
};

int mps_router_new(struct mps_router **out)
{
	struct mps_router *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return -ENOMEM;
	ret = mps_nl_open(&r->nl, NETLINK_ROUTE);
	if (ret) {
		free(r);
		return ret;
	}
	*out = r;
	return 0;
}

void mps_router_free(struct mps_router *r)
{
	if (!r)
		return;
	mps_nl_close(&r->nl);
	free(r);
}

static int oif_attr_cb(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == RTA_OIF && mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
		*(int *)data = (int)mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct rtmsg)))
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(struct rtmsg), oif_attr_cb, data);
	return MNL_CB_OK;
}

int mps_router_oif(struct mps_router *r, const struct mps_addr *src, const struct mps_addr *dst,
		   int *oif)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	size_t len = mps_addr_len(dst);
	int ret;

	if (!len || (mps_addr_is_set(src) && src->family != dst->family))
		return -EINVAL;
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = dst->family;
	rtm->rtm_dst_len = len * 8;
	mnl_attr_put(nlh, RTA_DST, len, &dst->v6);
	if (mps_addr_is_set(src)) {
		rtm->rtm_src_len = len * 8;
		mnl_attr_put(nlh, RTA_SRC, len, &src->v6);
	}
	*oif = 0;
	ret = mps_nl_talk(&r->nl, nlh, route_cb, oif);
	if (!ret && !*oif)
		ret = -ENETUNREACH;
	return ret;
}
