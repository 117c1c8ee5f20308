/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink: link and address dumps, the in-memory interface cache, the
 * change monitor, and the routes/rules of source-address routing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "mpsteer/rtnl.h"
#include "nl.h"

/* <linux/if.h> would clash with <net/if.h>, which lacks this one. */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif

/* ---- parsing (shared by dumps and the monitor) ------------------------ */

static int link_info_cb(const struct nlattr *attr, void *data)
{
	struct mps_link *l = data;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
	    mnl_attr_validate(attr, MNL_TYPE_STRING) == 0) {
		size_t len = mnl_attr_get_payload_len(attr);

		if (len >= sizeof(l->kind))
			len = sizeof(l->kind) - 1;
		memcpy(l->kind, mnl_attr_get_payload(attr), len);
		l->kind[len] = '\0';
	}
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	struct mps_link *l = data;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0 &&
		    mnl_attr_get_payload_len(attr) <= sizeof(l->name))
			strcpy(l->name, mnl_attr_get_str(attr));
		break;
	case IFLA_OPERSTATE:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) == 0)
			l->operstate = mnl_attr_get_u8(attr);
		break;
	case IFLA_LINKINFO:
		mnl_attr_parse_nested(attr, link_info_cb, l);
		break;
	case IFLA_STATS64: {
		struct rtnl_link_stats64 st = { 0 };
		size_t len = mnl_attr_get_payload_len(attr);

		/* Copied by the length the kernel sent: the struct grows at its end. */
		memcpy(&st, mnl_attr_get_payload(attr), len < sizeof(st) ? len : sizeof(st));
		l->rx_bytes = st.rx_bytes;
		l->tx_bytes = st.tx_bytes;
		break;
	}
	}
	return MNL_CB_OK;
}

static int parse_link(const struct nlmsghdr *nlh, struct mps_link *l)
{
	const struct ifinfomsg *ifi;

	memset(l, 0, sizeof(*l));
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return -EINVAL;
	ifi = mnl_nlmsg_get_payload(nlh);
	l->ifindex = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	l->up = ifi->ifi_flags & IFF_UP;
	l->carrier = ifi->ifi_flags & IFF_LOWER_UP;
	l->loopback = ifi->ifi_flags & IFF_LOOPBACK;
	if (mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, l) < 0)
		return -EINVAL;
	return 0;
}

struct addr_attrs {
	const struct nlattr *local, *address;
	uint32_t flags;
	bool have_flags;
};

static int addr_attr_cb(const struct nlattr *attr, void *data)
{
	struct addr_attrs *aa = data;

	switch (mnl_attr_get_type(attr)) {
	case IFA_LOCAL:
		aa->local = attr;
		break;
	case IFA_ADDRESS:
		aa->address = attr;
		break;
	case IFA_FLAGS:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0) {
			aa->flags = mnl_attr_get_u32(attr);
			aa->have_flags = true;
		}
		break;
	}
	return MNL_CB_OK;
}

static int parse_addr(const struct nlmsghdr *nlh, struct mps_ifaddr *a)
{
	struct addr_attrs aa = { 0 };
	const struct ifaddrmsg *ifa;
	const struct nlattr *ip;
	size_t len;

	memset(a, 0, sizeof(*a));
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
		return -EINVAL;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, &aa) < 0)
		return -EINVAL;
	/* On point-to-point links IFA_ADDRESS is the peer: IFA_LOCAL is ours. */
	ip = aa.local ? aa.local : aa.address;
	len = ifa->ifa_family == AF_INET ? 4 : 16;
	if (!ip || mnl_attr_get_payload_len(ip) != len)
		return -EINVAL;
	a->addr.family = ifa->ifa_family;
	memcpy(&a->addr.v6, mnl_attr_get_payload(ip), len);
	a->ifindex = (int)ifa->ifa_index;
	a->prefixlen = ifa->ifa_prefixlen;
	a->scope = ifa->ifa_scope;
	a->flags = aa.have_flags ? aa.flags : ifa->ifa_flags;
	return 0;
}

/* ---- dumps ------------------------------------------------------------ */

struct dump_ctx {
	mps_link_cb link_cb;
	mps_ifaddr_cb addr_cb;
	void *data;
	int err;
};

static int link_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct mps_link l;

	if (nlh->nlmsg_type != RTM_NEWLINK || parse_link(nlh, &l))
		return MNL_CB_OK;
	d->err = d->link_cb(&l, d->data);
	return d->err ? MNL_CB_STOP : MNL_CB_OK;
}

static int addr_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct mps_ifaddr a;

	if (nlh->nlmsg_type != RTM_NEWADDR || parse_addr(nlh, &a))
		return MNL_CB_OK;
	d->err = d->addr_cb(&a, d->data);
	return d->err ? MNL_CB_STOP : MNL_CB_OK;
}

/* One request on a fresh NETLINK_ROUTE socket. */
static int rtnl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	struct mps_nl nl;
	int err;

	err = mps_nl_open(&nl, NETLINK_ROUTE);
	if (err)
		return err;
	err = mps_nl_talk(&nl, nlh, cb, data);
	mps_nl_close(&nl);
	return err;
}

int mps_rtnl_links(mps_link_cb cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct dump_ctx d = { .link_cb = cb, .data = data };
	struct ifinfomsg *ifi;
	int err;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	err = rtnl_talk(nlh, link_msg_cb, &d);
	return err ? err : d.err;
}

int mps_rtnl_addrs(int family, mps_ifaddr_cb cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct dump_ctx d = { .addr_cb = cb, .data = data };
	struct ifaddrmsg *ifa;
	int err;

	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = family;
	err = rtnl_talk(nlh, addr_msg_cb, &d);
	return err ? err : d.err;
}

/* ---- interface cache -------------------------------------------------- */

/*
 * Makes room for item n of an array whose capacity is implied by its count
 * (8, then doubling): the public struct has no capacity field.
 */
static int grow(void **items, size_t n, size_t size)
{
	void *p;

	if (n && (n < 8 || (n & (n - 1))))
		return 0; /* still room */
	p = realloc(*items, (n ? n * 2 : 8) * size);
	if (!p)
		return -ENOMEM;
	*items = p;
	return 0;
}

static int cache_link(const struct mps_link *l, void *data)
{
	struct mps_ifcache *c = data;

	if (grow((void **)&c->links, c->n_links, sizeof(*l)))
		return -ENOMEM;
	c->links[c->n_links++] = *l;
	return 0;
}

static int cache_addr(const struct mps_ifaddr *a, void *data)
{
	struct mps_ifcache *c = data;

	if (grow((void **)&c->addrs, c->n_addrs, sizeof(*a)))
		return -ENOMEM;
	c->addrs[c->n_addrs++] = *a;
	return 0;
}

int mps_ifcache_new(struct mps_ifcache **out)
{
	struct mps_ifcache *c = calloc(1, sizeof(*c));
	int err;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	err = mps_rtnl_links(cache_link, c);
	if (!err)
		err = mps_rtnl_addrs(AF_UNSPEC, cache_addr, c);
	if (err) {
		mps_ifcache_free(c);
		return err < 0 ? err : -EIO;
	}
	*out = c;
	return 0;
}

void mps_ifcache_free(struct mps_ifcache *c)
{
	if (!c)
		return;
	free(c->links);
	free(c->addrs);
	free(c);
}

const struct mps_link *mps_ifcache_link(const struct mps_ifcache *c, int ifindex)
{
	size_t i;

	for (i = 0; c && i < c->n_links; i++)
		if (c->links[i].ifindex == ifindex)
			return &c->links[i];
	return NULL;
}

const struct mps_link *mps_ifcache_link_by_name(const struct mps_ifcache *c, const char *name)
{
	size_t i;

	for (i = 0; c && name && i < c->n_links; i++)
		if (strncmp(c->links[i].name, name, sizeof(c->links[i].name)) == 0)
			return &c->links[i];
	return NULL;
}

const struct mps_ifaddr *mps_ifcache_addr(const struct mps_ifcache *c, const struct mps_addr *a)
{
	struct mps_addr ip;
	size_t i;

	if (!c || !a)
		return NULL;
	/* v4 peers of v6 sockets show up v4-mapped; interfaces hold the plain v4. */
	ip = *a;
	mps_addr_unmap(&ip);
	for (i = 0; i < c->n_addrs; i++)
		if (mps_addr_same_ip(&c->addrs[i].addr, &ip))
			return &c->addrs[i];
	return NULL;
}

/* ---- monitor ---------------------------------------------------------- */

struct mps_rtnl {
	struct mnl_socket *sk;
};

/* Big enough for a burst of link flaps on a host with many interfaces. */
#define MONITOR_RCVBUF (4 << 20)

int mps_rtnl_monitor_new(struct mps_rtnl **out)
{
	struct mps_rtnl *r = calloc(1, sizeof(*r));
	int size = MONITOR_RCVBUF, err;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!r->sk)
		goto fail;
	if (mnl_socket_bind(r->sk, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
			    MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	/* FORCE passes rmem_max when privileged; otherwise take what the limit allows. */
	if (setsockopt(mnl_socket_get_fd(r->sk), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(mnl_socket_get_fd(r->sk), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	*out = r;
	return 0;
fail:
	err = -errno;
	mps_rtnl_free(r);
	return err;
}

void mps_rtnl_free(struct mps_rtnl *r)
{
	if (!r)
		return;
	if (r->sk)
		mnl_socket_close(r->sk);
	free(r);
}

int mps_rtnl_fd(const struct mps_rtnl *r)
{
	return mnl_socket_get_fd(r->sk);
}

struct ev_ctx {
	mps_rtnl_ev_cb cb;
	void *data;
	int ret;
};

/* Fills ev from one notification; -ENOENT for types we do not report. */
static int parse_event(const struct nlmsghdr *nlh, struct mps_rtnl_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		ev->type = nlh->nlmsg_type == RTM_NEWLINK ? MPS_RTNL_LINK_NEW : MPS_RTNL_LINK_DEL;
		return parse_link(nlh, &ev->link);
	case RTM_NEWADDR:
	case RTM_DELADDR:
		ev->type = nlh->nlmsg_type == RTM_NEWADDR ? MPS_RTNL_ADDR_NEW : MPS_RTNL_ADDR_DEL;
		return parse_addr(nlh, &ev->ifaddr);
	}
	return -ENOENT;
}

static int ev_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ev_ctx *e = data;
	struct mps_rtnl_event ev;

	if (parse_event(nlh, &ev))
		return MNL_CB_OK; /* other types, or malformed: nothing to report */
	e->ret = e->cb(&ev, e->data);
	return e->ret ? MNL_CB_STOP : MNL_CB_OK;
}

int mps_rtnl_recv(struct mps_rtnl *r, mps_rtnl_ev_cb cb, void *data)
{
	char buf[32768];
	struct ev_ctx e = { .cb = cb, .data = data };
	struct sockaddr_nl from;
	socklen_t fromlen;
	bool got = false;
	ssize_t n;

	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(mnl_socket_get_fd(r->sk), buf, sizeof(buf), 0,
			     (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return got ? 0 : -EAGAIN;
			return -errno; /* -ENOBUFS: notifications were lost, resync */
		}
		got = true;
		if (from.nl_pid != 0)
			continue; /* only the kernel speaks on these groups */
		mnl_cb_run(buf, n, 0, 0, ev_msg_cb, &e);
		if (e.ret)
			return e.ret;
	}
}

/* ---- source routing --------------------------------------------------- */

/* Tables above 255 only fit RTA_TABLE / FRA_TABLE; the header byte says "see attribute". */
static uint8_t table_byte(uint32_t table)
{
	return table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
}

static int put_addr(struct nlmsghdr *nlh, uint16_t type, const struct mps_addr *a)
{
	mnl_attr_put(nlh, type, mps_addr_len(a), &a->v6);
	return 0;
}

static int route_msg(int cmd, uint32_t table, int ifindex, const struct mps_addr *gw, int family)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	bool has_gw = gw && mps_addr_is_set(gw);
	struct rtmsg *rtm;
	int err;

	if (has_gw && family == AF_UNSPEC)
		family = gw->family;
	if ((family != AF_INET && family != AF_INET6) || (has_gw && gw->family != family) ||
	    ifindex <= 0 || table == 0)
		return -EINVAL;
	nlh->nlmsg_type = cmd;
	/*
	 * ACK explicitly: REPLACE and EXCL share their bits with NLM_F_DUMP's
	 * ROOT and MATCH, which mps_nl_talk would take for a dump.
	 */
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	/* REPLACE: a new gateway (DHCP renewal) overwrites the table's old default. */
	if (cmd == RTM_NEWROUTE)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_REPLACE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family;
	rtm->rtm_table = table_byte(table);
	rtm->rtm_type = RTN_UNICAST;
	if (cmd == RTM_NEWROUTE) {
		rtm->rtm_protocol = RTPROT_STATIC;
		rtm->rtm_scope = has_gw || family == AF_INET6 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	} else {
		rtm->rtm_scope = RT_SCOPE_NOWHERE; /* delete: any scope */
	}
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	if (has_gw)
		put_addr(nlh, RTA_GATEWAY, gw);
	err = rtnl_talk(nlh, NULL, NULL);
	if (cmd == RTM_NEWROUTE && err == -EEXIST)
		return 0;
	if (cmd == RTM_DELROUTE && (err == -ESRCH || err == -ENOENT))
		return 0;
	return err;
}

int mps_rtnl_route_add(uint32_t table, int ifindex, const struct mps_addr *gw, int family)
{
	return route_msg(RTM_NEWROUTE, table, ifindex, gw, family);
}

int mps_rtnl_route_del(uint32_t table, int ifindex, const struct mps_addr *gw, int family)
{
	return route_msg(RTM_DELROUTE, table, ifindex, gw, family);
}

static int rule_msg(int cmd, uint32_t table, uint32_t prio, const struct mps_addr *from)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr *frh;
	int err;

	if (!from || !mps_addr_is_set(from) || table == 0)
		return -EINVAL;
	nlh->nlmsg_type = cmd;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK; /* see route_msg */
	/* EXCL makes the kernel refuse an identical rule instead of stacking a duplicate. */
	if (cmd == RTM_NEWRULE)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = from->family;
	frh->src_len = mps_addr_len(from) * 8;
	frh->table = table_byte(table);
	frh->action = FR_ACT_TO_TBL;
	put_addr(nlh, FRA_SRC, from);
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, prio);
	err = rtnl_talk(nlh, NULL, NULL);
	if (cmd == RTM_NEWRULE && err == -EEXIST)
		return 0;
	if (cmd == RTM_DELRULE && (err == -ENOENT || err == -ESRCH))
		return 0;
	return err;
}

int mps_rtnl_rule_add(uint32_t table, uint32_t prio, const struct mps_addr *from)
{
	return rule_msg(RTM_NEWRULE, table, prio, from);
}

int mps_rtnl_rule_del(uint32_t table, uint32_t prio, const struct mps_addr *from)
{
	return rule_msg(RTM_DELRULE, table, prio, from);
}

/* ---- default gateway lookup ------------------------------------------- */

struct gw_ctx {
	int ifindex, family;
	struct mps_addr *gw;
	bool found;
};

struct route_attrs {
	uint32_t table;
	int oif;
	const struct nlattr *gateway, *multipath, *dst;
};

static int route_attr_cb(const struct nlattr *attr, void *data)
{
	struct route_attrs *ra = data;

	switch (mnl_attr_get_type(attr)) {
	case RTA_TABLE:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			ra->table = mnl_attr_get_u32(attr);
		break;
	case RTA_OIF:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			ra->oif = (int)mnl_attr_get_u32(attr);
		break;
	case RTA_GATEWAY:
		ra->gateway = attr;
		break;
	case RTA_MULTIPATH:
		ra->multipath = attr;
		break;
	}
	return MNL_CB_OK;
}

static bool take_gateway(struct gw_ctx *g, const struct nlattr *attr)
{
	size_t len = g->family == AF_INET ? 4 : 16;

	if (!attr || mnl_attr_get_payload_len(attr) != len)
		return false;
	memset(g->gw, 0, sizeof(*g->gw));
	g->gw->family = g->family;
	memcpy(&g->gw->v6, mnl_attr_get_payload(attr), len);
	g->found = true;
	return true;
}

/* Gateway attribute among a nexthop's attributes, or NULL. */
static const struct nlattr *nexthop_gateway(const struct rtnexthop *nh)
{
	const struct nlattr *attr = (const struct nlattr *)((const char *)nh + RTNH_LENGTH(0));
	int left = nh->rtnh_len - RTNH_LENGTH(0);

	for (; mnl_attr_ok(attr, left); attr = mnl_attr_next(attr)) {
		left -= MNL_ALIGN(attr->nla_len);
		if (mnl_attr_get_type(attr) == RTA_GATEWAY)
			return attr;
	}
	return NULL;
}

/* RTA_MULTIPATH: rtnexthop records, each followed by its own attributes. */
static void gateway_in_multipath(struct gw_ctx *g, const struct nlattr *mp)
{
	const char *p = mnl_attr_get_payload(mp);
	size_t left = mnl_attr_get_payload_len(mp), step;
	const struct rtnexthop *nh;

	while (left >= sizeof(*nh)) {
		nh = (const struct rtnexthop *)p;
		if (nh->rtnh_len < sizeof(*nh) || nh->rtnh_len > left)
			return;
		if (nh->rtnh_ifindex == g->ifindex && take_gateway(g, nexthop_gateway(nh)))
			return;
		step = RTNH_ALIGN(nh->rtnh_len);
		if (step >= left)
			return;
		left -= step;
		p += step;
	}
}

static int gw_route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct gw_ctx *g = data;
	struct route_attrs ra = { 0 };
	const struct rtmsg *rtm;

	if (g->found || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*rtm)))
		return MNL_CB_OK;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_dst_len != 0 || rtm->rtm_type != RTN_UNICAST || rtm->rtm_family != g->family)
		return MNL_CB_OK;
	ra.table = rtm->rtm_table;
	if (mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, &ra) < 0 || ra.table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	if (ra.oif == g->ifindex)
		take_gateway(g, ra.gateway);
	else if (ra.multipath)
		gateway_in_multipath(g, ra.multipath);
	return MNL_CB_OK;
}

int mps_rtnl_gateway_of(int ifindex, int family, struct mps_addr *gw)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct gw_ctx g = { .ifindex = ifindex, .family = family, .gw = gw };
	struct rtmsg *rtm;
	int err;

	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family;
	err = rtnl_talk(nlh, gw_route_cb, &g);
	if (err)
		return err;
	return g.found ? 0 : -ENOENT;
}
