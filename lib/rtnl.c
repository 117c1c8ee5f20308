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
