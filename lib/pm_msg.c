/* SPDX-License-Identifier: MIT */
/*
 * "mptcp_pm" messages: building requests and parsing events and replies.
 * No I/O here. Every attribute read goes through a policy table below, whose
 * types were checked against the kernel's mptcp_pm.yaml and, where the two
 * disagree, against what Linux 6.18 actually sends (tests/unit/golden/).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "mpsteer/pm.h"
#include "pm_msg.h"
#include "uapi_mptcp.h"

/* ---- policy tables ---------------------------------------------------- */

enum pol_type {
	POL_NONE = 0, /* not known to us: skipped */
	POL_U8,
	POL_U16,
	POL_U32,
	POL_IN4,
	POL_IN6,
	POL_NEST,
};

/* Exact payload length of each type; a nest may have any length. */
static const uint8_t pol_len[] = {
	[POL_U8] = 1, [POL_U16] = 2, [POL_U32] = 4, [POL_IN4] = 4, [POL_IN6] = 16,
};

/* Events (MPTCP_ATTR_*). Ports are u16 in network order, IF_IDX an s32. */
static const uint8_t ev_policy[MPS_PM_EV_ATTR_MAX + 1] = {
	[MPS_PM_EV_ATTR_TOKEN] = POL_U32,	 [MPS_PM_EV_ATTR_FAMILY] = POL_U16,
	[MPS_PM_EV_ATTR_LOC_ID] = POL_U8,	 [MPS_PM_EV_ATTR_REM_ID] = POL_U8,
	[MPS_PM_EV_ATTR_SADDR4] = POL_IN4,	 [MPS_PM_EV_ATTR_SADDR6] = POL_IN6,
	[MPS_PM_EV_ATTR_DADDR4] = POL_IN4,	 [MPS_PM_EV_ATTR_DADDR6] = POL_IN6,
	[MPS_PM_EV_ATTR_SPORT] = POL_U16,	 [MPS_PM_EV_ATTR_DPORT] = POL_U16,
	[MPS_PM_EV_ATTR_BACKUP] = POL_U8,	 [MPS_PM_EV_ATTR_ERROR] = POL_U8,
	[MPS_PM_EV_ATTR_FLAGS] = POL_U16,	 [MPS_PM_EV_ATTR_TIMEOUT] = POL_U32,
	[MPS_PM_EV_ATTR_IF_IDX] = POL_U32,	 [MPS_PM_EV_ATTR_RESET_REASON] = POL_U32,
	[MPS_PM_EV_ATTR_RESET_FLAGS] = POL_U32, [MPS_PM_EV_ATTR_SERVER_SIDE] = POL_U8,
};

/* Address nest (MPTCP_PM_ADDR_ATTR_*). The port is u16 in host order here. */
static const uint8_t addr_policy[MPS_PM_ADDR_ATTR_MAX + 1] = {
	[MPS_PM_ADDR_ATTR_FAMILY] = POL_U16, [MPS_PM_ADDR_ATTR_ID] = POL_U8,
	[MPS_PM_ADDR_ATTR_ADDR4] = POL_IN4,  [MPS_PM_ADDR_ATTR_ADDR6] = POL_IN6,
	[MPS_PM_ADDR_ATTR_PORT] = POL_U16,   [MPS_PM_ADDR_ATTR_FLAGS] = POL_U32,
	[MPS_PM_ADDR_ATTR_IF_IDX] = POL_U32,
};

/* Top level of command replies (MPTCP_PM_ATTR_*). */
static const uint8_t top_policy[MPS_PM_ATTR_MAX + 1] = {
	[MPS_PM_ATTR_ADDR] = POL_NEST,	    [MPS_PM_ATTR_RCV_ADD_ADDRS] = POL_U32,
	[MPS_PM_ATTR_SUBFLOWS] = POL_U32,   [MPS_PM_ATTR_TOKEN] = POL_U32,
	[MPS_PM_ATTR_LOC_ID] = POL_U8,	    [MPS_PM_ATTR_ADDR_REMOTE] = POL_NEST,
};

/*
 * Fills tb[0..max] from the attribute stream [p, p + len). Unlike
 * mnl_attr_parse(), which silently stops at a bad attribute, anything that
 * does not fit exactly (truncated header, length past the end, trailing
 * bytes, a known attribute of the wrong size) is -EINVAL: a message we
 * misread would steer the wrong subflow. Unknown attributes are skipped so
 * that newer kernels keep working.
 */
static int attr_table(const void *p, size_t len, const uint8_t *policy, unsigned max,
		      const struct nlattr **tb)
{
	const unsigned char *cur = p;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	while (len > 0) {
		const struct nlattr *a = (const struct nlattr *)cur;
		uint16_t type, plen;
		size_t step;

		if (len < NLA_HDRLEN || a->nla_len < NLA_HDRLEN || a->nla_len > len)
			return -EINVAL;
		type = a->nla_type & NLA_TYPE_MASK;
		plen = a->nla_len - NLA_HDRLEN;
		if (type <= max && policy[type] != POL_NONE) {
			if (policy[type] != POL_NEST && plen != pol_len[policy[type]])
				return -EINVAL;
			tb[type] = a;
		}
		step = NLA_ALIGN(a->nla_len);
		if (step > len)
			step = len; /* unpadded last attribute */
		cur += step;
		len -= step;
	}
	return 0;
}

/* Payload of a generic netlink message after its genlmsghdr, checked. */
static int genl_payload(const struct nlmsghdr *nlh, const struct genlmsghdr **genl,
			const void **p, size_t *len)
{
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -EINVAL;
	*genl = mnl_nlmsg_get_payload(nlh);
	*p = (const unsigned char *)*genl + GENL_HDRLEN;
	*len = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	return 0;
}

static uint8_t get_u8(const struct nlattr *a)
{
	return *(const uint8_t *)mnl_attr_get_payload(a);
}

/* Attribute payloads need not be aligned for their type in a fuzzed buffer. */
static uint16_t get_u16(const struct nlattr *a)
{
	uint16_t v;

	memcpy(&v, mnl_attr_get_payload(a), sizeof(v));
	return v;
}

static uint32_t get_u32(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, mnl_attr_get_payload(a), sizeof(v));
	return v;
}

static void get_in(const struct nlattr *a, uint16_t family, struct mps_addr *out)
{
	out->family = family;
	memcpy(&out->v6, mnl_attr_get_payload(a), family == AF_INET ? 4 : 16);
}

/* ---- building ----------------------------------------------------------- */

struct nlmsghdr *mps_pm_msg_new(void *buf, uint16_t family_id, uint8_t cmd, uint32_t seq,
				uint16_t nlflags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	/* libmnl 1.0.4 does not clear attribute padding: without this the
	 * bytes sent would depend on what the buffer held before. */
	memset(buf, 0, (size_t)MNL_SOCKET_BUFFER_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = family_id;
	nlh->nlmsg_flags = NLM_F_REQUEST | nlflags;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = MPS_PM_GENL_VERSION;
	return nlh;
}

/*
 * Only what is set goes into the nest: the kernel reads a missing attribute
 * as "none", and some commands reject attributes they do not expect. An id
 * or flags of 0 is sent only when the caller marks it present (has bits),
 * e.g. SET_FLAGS must say flags = 0 to clear backup.
 */
void mps_pm_msg_put_addr(struct nlmsghdr *nlh, uint16_t attr, const struct mps_pm_addr *a)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, attr);

	if (mps_addr_is_set(&a->addr)) {
		mnl_attr_put_u16(nlh, MPS_PM_ADDR_ATTR_FAMILY, a->addr.family);
		if (a->addr.family == AF_INET)
			mnl_attr_put(nlh, MPS_PM_ADDR_ATTR_ADDR4, 4, &a->addr.v4);
		else
			mnl_attr_put(nlh, MPS_PM_ADDR_ATTR_ADDR6, 16, &a->addr.v6);
	}
	if (a->id || (a->has & MPS_PM_HAS_ID))
		mnl_attr_put_u8(nlh, MPS_PM_ADDR_ATTR_ID, a->id);
	if (a->addr.port)
		mnl_attr_put_u16(nlh, MPS_PM_ADDR_ATTR_PORT, a->addr.port); /* host order */
	if (a->flags || (a->has & MPS_PM_HAS_FLAGS))
		mnl_attr_put_u32(nlh, MPS_PM_ADDR_ATTR_FLAGS, a->flags);
	if (a->ifindex)
		mnl_attr_put_u32(nlh, MPS_PM_ADDR_ATTR_IF_IDX, (uint32_t)a->ifindex);
	mnl_attr_nest_end(nlh, nest);
}

void mps_pm_msg_put_token(struct nlmsghdr *nlh, uint32_t token)
{
	mnl_attr_put_u32(nlh, MPS_PM_ATTR_TOKEN, token);
}

static void put_plain_addr(struct nlmsghdr *nlh, uint16_t attr, const struct mps_addr *addr)
{
	struct mps_pm_addr a = { .addr = *addr };

	mps_pm_msg_put_addr(nlh, attr, &a);
}

struct nlmsghdr *mps_pm_build_announce(void *buf, uint16_t family_id, uint32_t token,
				       const struct mps_pm_addr *a)
{
	struct nlmsghdr *nlh = mps_pm_msg_new(buf, family_id, MPS_PM_CMD_ANNOUNCE, 0, 0);
	struct mps_pm_addr sig = *a;

	sig.flags |= MPS_PM_FLAG_SIGNAL;
	mps_pm_msg_put_token(nlh, token);
	mps_pm_msg_put_addr(nlh, MPS_PM_ATTR_ADDR, &sig);
	return nlh;
}

struct nlmsghdr *mps_pm_build_remove(void *buf, uint16_t family_id, uint32_t token,
				     uint8_t loc_id)
{
	struct nlmsghdr *nlh = mps_pm_msg_new(buf, family_id, MPS_PM_CMD_REMOVE, 0, 0);

	mps_pm_msg_put_token(nlh, token);
	mnl_attr_put_u8(nlh, MPS_PM_ATTR_LOC_ID, loc_id);
	return nlh;
}

struct nlmsghdr *mps_pm_build_subflow(void *buf, uint16_t family_id, uint8_t cmd, uint32_t token,
				      const struct mps_pm_addr *local,
				      const struct mps_addr *remote)
{
	struct nlmsghdr *nlh = mps_pm_msg_new(buf, family_id, cmd, 0, 0);

	mps_pm_msg_put_token(nlh, token);
	mps_pm_msg_put_addr(nlh, MPS_PM_ATTR_ADDR, local);
	put_plain_addr(nlh, MPS_PM_ATTR_ADDR_REMOTE, remote);
	return nlh;
}

struct nlmsghdr *mps_pm_build_set_backup(void *buf, uint16_t family_id, uint32_t token,
					 const struct mps_addr *local,
					 const struct mps_addr *remote, bool backup)
{
	struct nlmsghdr *nlh = mps_pm_msg_new(buf, family_id, MPS_PM_CMD_SET_FLAGS, 0, 0);
	struct mps_pm_addr loc = {
		.addr = *local,
		.flags = backup ? MPS_PM_FLAG_BACKUP : 0,
		.has = MPS_PM_HAS_FLAGS, /* flags 0 is the request to clear backup */
	};

	mps_pm_msg_put_token(nlh, token);
	mps_pm_msg_put_addr(nlh, MPS_PM_ATTR_ADDR, &loc);
	put_plain_addr(nlh, MPS_PM_ATTR_ADDR_REMOTE, remote);
	return nlh;
}

struct nlmsghdr *mps_pm_build_addr_cmd(void *buf, uint16_t family_id, uint8_t cmd,
				       const struct mps_pm_addr *a)
{
	struct nlmsghdr *nlh = mps_pm_msg_new(buf, family_id, cmd, 0, 0);

	mps_pm_msg_put_addr(nlh, MPS_PM_ATTR_ADDR, a);
	return nlh;
}

struct nlmsghdr *mps_pm_build_get_addrs(void *buf, uint16_t family_id, uint32_t token)
{
	struct nlmsghdr *nlh = mps_pm_msg_new(buf, family_id, MPS_PM_CMD_GET_ADDR, 0, NLM_F_DUMP);

	if (token)
		mps_pm_msg_put_token(nlh, token);
	return nlh;
}

struct nlmsghdr *mps_pm_build_set_limits(void *buf, uint16_t family_id,
					 const struct mps_pm_limits *l)
{
	struct nlmsghdr *nlh = mps_pm_msg_new(buf, family_id, MPS_PM_CMD_SET_LIMITS, 0, 0);

	mnl_attr_put_u32(nlh, MPS_PM_ATTR_RCV_ADD_ADDRS, l->rcv_add_addrs);
	mnl_attr_put_u32(nlh, MPS_PM_ATTR_SUBFLOWS, l->subflows);
	return nlh;
}

/* ---- parsing replies ---------------------------------------------------- */

int mps_pm_addr_parse_nest(const struct nlattr *nest, struct mps_pm_addr *out)
{
	const struct nlattr *tb[MPS_PM_ADDR_ATTR_MAX + 1];
	int err;

	memset(out, 0, sizeof(*out));
	if (nest->nla_len < NLA_HDRLEN)
		return -EINVAL;
	err = attr_table(mnl_attr_get_payload(nest), nest->nla_len - NLA_HDRLEN, addr_policy,
			 MPS_PM_ADDR_ATTR_MAX, tb);
	if (err)
		return err;
	if (tb[MPS_PM_ADDR_ATTR_ADDR4])
		get_in(tb[MPS_PM_ADDR_ATTR_ADDR4], AF_INET, &out->addr);
	else if (tb[MPS_PM_ADDR_ATTR_ADDR6])
		get_in(tb[MPS_PM_ADDR_ATTR_ADDR6], AF_INET6, &out->addr);
	if (tb[MPS_PM_ADDR_ATTR_ID]) {
		out->id = get_u8(tb[MPS_PM_ADDR_ATTR_ID]);
		out->has |= MPS_PM_HAS_ID;
	}
	if (tb[MPS_PM_ADDR_ATTR_PORT]) {
		out->addr.port = get_u16(tb[MPS_PM_ADDR_ATTR_PORT]);
		out->has |= MPS_PM_HAS_PORT;
	}
	if (tb[MPS_PM_ADDR_ATTR_FLAGS]) {
		out->flags = get_u32(tb[MPS_PM_ADDR_ATTR_FLAGS]);
		out->has |= MPS_PM_HAS_FLAGS;
	}
	if (tb[MPS_PM_ADDR_ATTR_IF_IDX]) {
		out->ifindex = (int32_t)get_u32(tb[MPS_PM_ADDR_ATTR_IF_IDX]);
		out->has |= MPS_PM_HAS_IFINDEX;
	}
	return 0;
}

static int reply_table(const struct nlmsghdr *nlh, const struct nlattr **tb)
{
	const struct genlmsghdr *genl;
	const void *p;
	size_t len;

	if (genl_payload(nlh, &genl, &p, &len))
		return -EINVAL;
	return attr_table(p, len, top_policy, MPS_PM_ATTR_MAX, tb);
}

int mps_pm_addr_reply_parse(const struct nlmsghdr *nlh, struct mps_pm_addr *out)
{
	const struct nlattr *tb[MPS_PM_ATTR_MAX + 1];

	if (reply_table(nlh, tb))
		return -EINVAL;
	if (!tb[MPS_PM_ATTR_ADDR])
		return -ENOENT;
	return mps_pm_addr_parse_nest(tb[MPS_PM_ATTR_ADDR], out);
}

int mps_pm_limits_parse(const struct nlmsghdr *nlh, struct mps_pm_limits *l)
{
	const struct nlattr *tb[MPS_PM_ATTR_MAX + 1];

	memset(l, 0, sizeof(*l));
	if (reply_table(nlh, tb))
		return -EINVAL;
	if (tb[MPS_PM_ATTR_RCV_ADD_ADDRS])
		l->rcv_add_addrs = get_u32(tb[MPS_PM_ATTR_RCV_ADD_ADDRS]);
	if (tb[MPS_PM_ATTR_SUBFLOWS])
		l->subflows = get_u32(tb[MPS_PM_ATTR_SUBFLOWS]);
	return 0;
}

/* ---- parsing events ----------------------------------------------------- */

/* Sets the has bit of every attribute present; the values are copied below. */
static void event_ids(const struct nlattr **tb, struct mps_event *ev)
{
	static const struct {
		uint8_t attr;
		unsigned bit;
	} map[] = {
		{ MPS_PM_EV_ATTR_TOKEN, MPS_EVH_TOKEN },
		{ MPS_PM_EV_ATTR_FAMILY, MPS_EVH_FAMILY },
		{ MPS_PM_EV_ATTR_LOC_ID, MPS_EVH_LOC_ID },
		{ MPS_PM_EV_ATTR_REM_ID, MPS_EVH_REM_ID },
		{ MPS_PM_EV_ATTR_SADDR4, MPS_EVH_SADDR },
		{ MPS_PM_EV_ATTR_SADDR6, MPS_EVH_SADDR },
		{ MPS_PM_EV_ATTR_DADDR4, MPS_EVH_DADDR },
		{ MPS_PM_EV_ATTR_DADDR6, MPS_EVH_DADDR },
		{ MPS_PM_EV_ATTR_SPORT, MPS_EVH_SPORT },
		{ MPS_PM_EV_ATTR_DPORT, MPS_EVH_DPORT },
		{ MPS_PM_EV_ATTR_BACKUP, MPS_EVH_BACKUP },
		{ MPS_PM_EV_ATTR_ERROR, MPS_EVH_ERROR },
		{ MPS_PM_EV_ATTR_FLAGS, MPS_EVH_FLAGS },
		{ MPS_PM_EV_ATTR_TIMEOUT, MPS_EVH_TIMEOUT },
		{ MPS_PM_EV_ATTR_IF_IDX, MPS_EVH_IF_IDX },
		{ MPS_PM_EV_ATTR_RESET_REASON, MPS_EVH_RESET_REASON },
		{ MPS_PM_EV_ATTR_RESET_FLAGS, MPS_EVH_RESET_FLAGS },
		{ MPS_PM_EV_ATTR_SERVER_SIDE, MPS_EVH_SERVER_SIDE },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (tb[map[i].attr])
			ev->has |= map[i].bit;
}

/* Addresses and ports; SADDR6 wins over SADDR4 should both be present. */
static void event_addrs(const struct nlattr **tb, struct mps_event *ev)
{
	if (tb[MPS_PM_EV_ATTR_SADDR4])
		get_in(tb[MPS_PM_EV_ATTR_SADDR4], AF_INET, &ev->saddr);
	if (tb[MPS_PM_EV_ATTR_SADDR6])
		get_in(tb[MPS_PM_EV_ATTR_SADDR6], AF_INET6, &ev->saddr);
	if (tb[MPS_PM_EV_ATTR_DADDR4])
		get_in(tb[MPS_PM_EV_ATTR_DADDR4], AF_INET, &ev->daddr);
	if (tb[MPS_PM_EV_ATTR_DADDR6])
		get_in(tb[MPS_PM_EV_ATTR_DADDR6], AF_INET6, &ev->daddr);
	/* Events carry ports in network order, unlike the command address nest. */
	if (tb[MPS_PM_EV_ATTR_SPORT])
		ev->saddr.port = ntohs(get_u16(tb[MPS_PM_EV_ATTR_SPORT]));
	if (tb[MPS_PM_EV_ATTR_DPORT])
		ev->daddr.port = ntohs(get_u16(tb[MPS_PM_EV_ATTR_DPORT]));
}

static void event_scalars(const struct nlattr **tb, struct mps_event *ev)
{
	if (tb[MPS_PM_EV_ATTR_TOKEN])
		ev->token = get_u32(tb[MPS_PM_EV_ATTR_TOKEN]);
	if (tb[MPS_PM_EV_ATTR_FAMILY])
		ev->family = get_u16(tb[MPS_PM_EV_ATTR_FAMILY]);
	if (tb[MPS_PM_EV_ATTR_LOC_ID])
		ev->loc_id = get_u8(tb[MPS_PM_EV_ATTR_LOC_ID]);
	if (tb[MPS_PM_EV_ATTR_REM_ID])
		ev->rem_id = get_u8(tb[MPS_PM_EV_ATTR_REM_ID]);
	if (tb[MPS_PM_EV_ATTR_BACKUP])
		ev->backup = get_u8(tb[MPS_PM_EV_ATTR_BACKUP]);
	if (tb[MPS_PM_EV_ATTR_ERROR])
		ev->error = get_u8(tb[MPS_PM_EV_ATTR_ERROR]);
	if (tb[MPS_PM_EV_ATTR_FLAGS])
		ev->flags = get_u16(tb[MPS_PM_EV_ATTR_FLAGS]);
	if (tb[MPS_PM_EV_ATTR_TIMEOUT])
		ev->timeout = get_u32(tb[MPS_PM_EV_ATTR_TIMEOUT]);
	if (tb[MPS_PM_EV_ATTR_IF_IDX])
		ev->ifindex = (int32_t)get_u32(tb[MPS_PM_EV_ATTR_IF_IDX]);
	if (tb[MPS_PM_EV_ATTR_RESET_REASON])
		ev->reset_reason = get_u32(tb[MPS_PM_EV_ATTR_RESET_REASON]);
	if (tb[MPS_PM_EV_ATTR_RESET_FLAGS])
		ev->reset_flags = get_u32(tb[MPS_PM_EV_ATTR_RESET_FLAGS]);
	if (tb[MPS_PM_EV_ATTR_SERVER_SIDE] && get_u8(tb[MPS_PM_EV_ATTR_SERVER_SIDE]))
		ev->flags |= MPS_EV_FLAG_SERVER_SIDE;
}

/*
 * Kernels before 6.18 send SERVER_SIDE as its own u8; fold it into flags so
 * that callers test one bit whatever the kernel. ANNOUNCED has no FAMILY:
 * take it from the address so that every event with an address has one.
 */
static void event_normalize(struct mps_event *ev)
{
	if (ev->has & MPS_EVH_SERVER_SIDE)
		ev->has |= MPS_EVH_FLAGS;
	if (!(ev->has & MPS_EVH_FAMILY)) {
		if (ev->has & MPS_EVH_DADDR)
			ev->family = ev->daddr.family;
		else if (ev->has & MPS_EVH_SADDR)
			ev->family = ev->saddr.family;
		if (ev->family)
			ev->has |= MPS_EVH_FAMILY;
	}
}

int mps_pm_event_parse(const struct nlmsghdr *nlh, struct mps_event *ev)
{
	const struct nlattr *tb[MPS_PM_EV_ATTR_MAX + 1];
	const struct genlmsghdr *genl;
	const void *p;
	size_t len;
	int err;

	memset(ev, 0, sizeof(*ev));
	if (genl_payload(nlh, &genl, &p, &len))
		return -EINVAL;
	err = attr_table(p, len, ev_policy, MPS_PM_EV_ATTR_MAX, tb);
	if (err)
		return err;
	ev->type = (enum mps_event_type)genl->cmd;
	event_ids(tb, ev);
	event_addrs(tb, ev);
	event_scalars(tb, ev);
	event_normalize(ev);
	return 0;
}

/* ---- names -------------------------------------------------------------- */

static const char *const event_names[] = {
	[MPS_EV_CREATED] = "CREATED",
	[MPS_EV_ESTABLISHED] = "ESTABLISHED",
	[MPS_EV_CLOSED] = "CLOSED",
	[MPS_EV_ANNOUNCED] = "ANNOUNCED",
	[MPS_EV_REMOVED] = "REMOVED",
	[MPS_EV_SUB_ESTABLISHED] = "SUB_ESTABLISHED",
	[MPS_EV_SUB_CLOSED] = "SUB_CLOSED",
	[MPS_EV_SUB_PRIORITY] = "SUB_PRIORITY",
	[MPS_EV_LISTENER_CREATED] = "LISTENER_CREATED",
	[MPS_EV_LISTENER_CLOSED] = "LISTENER_CLOSED",
};

#define N_EVENT_NAMES (sizeof(event_names) / sizeof(event_names[0]))

const char *mps_event_name(enum mps_event_type t)
{
	if ((unsigned)t >= N_EVENT_NAMES)
		return NULL;
	return event_names[t];
}

/* Case-insensitive: "created" on a command line is as clear as "CREATED". */
int mps_event_type_from_name(const char *name)
{
	size_t i;

	for (i = 0; name && i < N_EVENT_NAMES; i++)
		if (event_names[i] && strcasecmp(name, event_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

/* RFC 8684, section 3.6: the MP_TCPRST reason codes. */
const char *mps_reset_reason_name(uint32_t reason)
{
	static const char *const names[] = {
		[MPS_RST_EUNSPEC] = "unspecified",
		[MPS_RST_EMPTCP] = "mptcp-specific",
		[MPS_RST_ERESOURCE] = "lack-of-resources",
		[MPS_RST_EPROHIBIT] = "administratively-prohibited",
		[MPS_RST_EWQ2BIG] = "too-much-outstanding-data",
		[MPS_RST_EBADPERF] = "unacceptable-performance",
		[MPS_RST_EMIDDLEBOX] = "middlebox-interference",
	};

	return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : NULL;
}
