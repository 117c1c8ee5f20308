/* SPDX-License-Identifier: MIT */
/*
 * "mptcp_pm" messages without a kernel: address nests round trip, events
 * captured from Linux 6.18 (tests/unit/golden/ev*.hex) parse to the values
 * the capture showed, requests match the bytes the kernel accepted
 * (golden/cmd_*.hex), and malformed input is -EINVAL, never a crash.
 *
 * MPS_GOLDEN_WRITE=1 rewrites the cmd_*.hex files from the builders instead
 * of comparing; only do that after checking the new bytes against a kernel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "golden.h"
#include "mpsteer/pm.h"
#include "pm_msg.h"
#include "uapi_mptcp.h"

#define FAMILY_ID 0x1c /* what the capture machine assigned; any value works */
#define SRV_PORT 0x1234 /* 4660: bytes differ, so a missed byte swap shows */
#define CLI_PORT 0x2345 /* 9029 */

static unsigned char msgbuf[MPS_PM_MSG_BUFSZ] __attribute__((aligned(4)));

/* ---- helpers ------------------------------------------------------------ */


static void parse_golden(const char *name, struct mps_event *ev)
{
	size_t n = golden_load_hex(name, msgbuf, sizeof(msgbuf));
	const struct nlmsghdr *nlh = (const void *)msgbuf;

	assert_true(n >= NLMSG_HDRLEN);
	assert_int_equal(nlh->nlmsg_len, n);
	assert_int_equal(nlh->nlmsg_type, FAMILY_ID);
	assert_int_equal(mps_pm_event_parse(nlh, ev), 0);
}


/* The attributes every subflow/connection event carries on this kernel. */
static const unsigned base_has = MPS_EVH_TOKEN | MPS_EVH_FAMILY | MPS_EVH_LOC_ID |
				 MPS_EVH_REM_ID | MPS_EVH_SADDR | MPS_EVH_DADDR |
				 MPS_EVH_SPORT | MPS_EVH_DPORT;

static struct nlmsghdr *event_msg(uint8_t type)
{
	return mps_pm_msg_new(msgbuf, FAMILY_ID, type, 0, 0);
}

/* ---- address nests ------------------------------------------------------ */

static const struct nlattr *first_attr(const struct nlmsghdr *nlh)
{
	return (const struct nlattr *)((const char *)mnl_nlmsg_get_payload(nlh) + GENL_HDRLEN);
}

static const struct nlattr *nest_find(const struct nlattr *nest, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static void roundtrip(const char *ip, uint16_t port)
{
	struct mps_pm_addr in = { .id = 7, .flags = MPS_PM_FLAG_SIGNAL | MPS_PM_FLAG_BACKUP,
				  .ifindex = 3 };
	struct mps_pm_addr out;
	struct nlmsghdr *nlh = event_msg(MPS_PM_CMD_ADD_ADDR);
	const struct nlattr *nest, *pa;
	uint16_t raw;

	assert_int_equal(mps_addr_parse(ip, false, &in.addr), 0);
	in.addr.port = port;
	mps_pm_msg_put_addr(nlh, MPS_PM_ATTR_ADDR, &in);
	nest = first_attr(nlh);
	assert_int_equal(mnl_attr_get_type(nest), MPS_PM_ATTR_ADDR);
	/* The command nest carries the port in host order (events do not). */
	pa = nest_find(nest, MPS_PM_ADDR_ATTR_PORT);
	assert_non_null(pa);
	memcpy(&raw, mnl_attr_get_payload(pa), 2);
	assert_int_equal(raw, port);
	assert_non_null(nest_find(nest, in.addr.family == AF_INET ? MPS_PM_ADDR_ATTR_ADDR4
								   : MPS_PM_ADDR_ATTR_ADDR6));
	assert_int_equal(mps_pm_addr_parse_nest(nest, &out), 0);
	assert_true(mps_addr_equal(&out.addr, &in.addr));
	assert_int_equal(out.id, 7);
	assert_int_equal(out.flags, in.flags);
	assert_int_equal(out.ifindex, 3);
	assert_int_equal(out.has,
			 MPS_PM_HAS_ID | MPS_PM_HAS_FLAGS | MPS_PM_HAS_IFINDEX | MPS_PM_HAS_PORT);
}

static void test_addr_roundtrip(void **state)
{
	roundtrip("10.0.2.2", SRV_PORT);
	roundtrip("2001:db8:2::2", CLI_PORT);
}

/* Zero id/flags/port are left out unless marked present: the kernel reads
 * a missing attribute as "none". */
static void test_addr_minimal(void **state)
{
	struct mps_pm_addr in = { 0 }, out;
	struct nlmsghdr *nlh = event_msg(MPS_PM_CMD_DEL_ADDR);

	in.has = MPS_PM_HAS_ID;
	mps_pm_msg_put_addr(nlh, MPS_PM_ATTR_ADDR, &in);
	assert_int_equal(mnl_attr_get_payload_len(first_attr(nlh)), NLA_ALIGN(NLA_HDRLEN + 1));
	assert_int_equal(mps_pm_addr_parse_nest(first_attr(nlh), &out), 0);
	assert_int_equal(out.has, MPS_PM_HAS_ID);
	assert_int_equal(out.addr.family, AF_UNSPEC);
}

static void test_addr_nest_bad_len(void **state)
{
	static const uint16_t types[] = { MPS_PM_ADDR_ATTR_FAMILY, MPS_PM_ADDR_ATTR_ID,
					  MPS_PM_ADDR_ATTR_ADDR4,  MPS_PM_ADDR_ATTR_ADDR6,
					  MPS_PM_ADDR_ATTR_PORT,   MPS_PM_ADDR_ATTR_FLAGS,
					  MPS_PM_ADDR_ATTR_IF_IDX };
	static const unsigned char junk[17];
	struct mps_pm_addr out;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct nlmsghdr *nlh = event_msg(MPS_PM_CMD_ADD_ADDR);
		struct nlattr *nest = mnl_attr_nest_start(nlh, MPS_PM_ATTR_ADDR);

		mnl_attr_put(nlh, types[i], types[i] == MPS_PM_ADDR_ATTR_ADDR6 ? 17 : 3, junk);
		mnl_attr_nest_end(nlh, nest);
		assert_int_equal(mps_pm_addr_parse_nest(nest, &out), -EINVAL);
	}
}

/* ---- golden events: IPv4 ---------------------------------------------- */

static void test_ev4_listener(void **state)
{
	struct mps_event ev;

	parse_golden("ev4_listener_created", &ev);
	assert_int_equal(ev.type, MPS_EV_LISTENER_CREATED);
	assert_int_equal(ev.has, MPS_EVH_FAMILY | MPS_EVH_SADDR | MPS_EVH_SPORT);
	assert_int_equal(ev.family, AF_INET);
	golden_assert_ip(&ev.saddr, "0.0.0.0", SRV_PORT);
	assert_int_equal(ev.token, 0);

	parse_golden("ev4_listener_closed", &ev);
	assert_int_equal(ev.type, MPS_EV_LISTENER_CLOSED);
	assert_int_equal(ev.has, MPS_EVH_FAMILY | MPS_EVH_SADDR | MPS_EVH_SPORT);
	golden_assert_ip(&ev.saddr, "0.0.0.0", SRV_PORT);
}

/* The server side carries both the 6.18 FLAGS bit and the old SERVER_SIDE u8. */
static void test_ev4_created(void **state)
{
	struct mps_event ev;

	parse_golden("ev4_created_server", &ev);
	assert_int_equal(ev.type, MPS_EV_CREATED);
	assert_int_equal(ev.has, base_has | MPS_EVH_FLAGS | MPS_EVH_SERVER_SIDE);
	assert_int_equal(ev.token, 0x38d97e17);
	assert_int_equal(ev.family, AF_INET);
	assert_int_equal(ev.loc_id, 0);
	assert_int_equal(ev.rem_id, 0);
	golden_assert_ip(&ev.saddr, "10.0.1.2", SRV_PORT);
	golden_assert_ip(&ev.daddr, "10.0.1.1", CLI_PORT);
	assert_int_equal(ev.flags, MPS_EV_FLAG_SERVER_SIDE);

	parse_golden("ev4_established_server", &ev);
	assert_int_equal(ev.type, MPS_EV_ESTABLISHED);
	assert_int_equal(ev.token, 0x38d97e17);
	assert_int_equal(ev.flags, MPS_EV_FLAG_SERVER_SIDE);
	golden_assert_ip(&ev.saddr, "10.0.1.2", SRV_PORT);
	golden_assert_ip(&ev.daddr, "10.0.1.1", CLI_PORT);

	parse_golden("ev4_created_client", &ev);
	assert_int_equal(ev.type, MPS_EV_CREATED);
	assert_int_equal(ev.has, base_has);
	assert_int_equal(ev.token, 0xc1aeba7a);
	assert_int_equal(ev.flags, 0);
	golden_assert_ip(&ev.saddr, "10.0.1.1", CLI_PORT);
	golden_assert_ip(&ev.daddr, "10.0.1.2", SRV_PORT);
}

static void test_ev4_subflows(void **state)
{
	struct mps_event ev;

	/* A join from the client's in-kernel PM (endpoint id 5 on ifindex 3). */
	parse_golden("ev4_sub_established_client", &ev);
	assert_int_equal(ev.type, MPS_EV_SUB_ESTABLISHED);
	assert_int_equal(ev.has, base_has | MPS_EVH_BACKUP | MPS_EVH_IF_IDX);
	assert_int_equal(ev.token, 0xc1aeba7a);
	assert_int_equal(ev.loc_id, 5);
	assert_int_equal(ev.rem_id, 0);
	golden_assert_ip(&ev.saddr, "10.0.2.1", 51675);
	golden_assert_ip(&ev.daddr, "10.0.1.2", SRV_PORT);
	assert_int_equal(ev.backup, 0);
	assert_int_equal(ev.ifindex, 3);

	parse_golden("ev4_sub_established_server", &ev);
	assert_int_equal(ev.has, base_has | MPS_EVH_BACKUP);
	assert_int_equal(ev.token, 0x38d97e17);
	assert_int_equal(ev.loc_id, 0);
	assert_int_equal(ev.rem_id, 5);
	golden_assert_ip(&ev.saddr, "10.0.1.2", SRV_PORT);
	golden_assert_ip(&ev.daddr, "10.0.2.1", 51675);

	/* SET_FLAGS backup on the server: the client sees the peer's request. */
	parse_golden("ev4_sub_priority", &ev);
	assert_int_equal(ev.type, MPS_EV_SUB_PRIORITY);
	assert_int_equal(ev.has, base_has | MPS_EVH_BACKUP | MPS_EVH_IF_IDX);
	assert_int_equal(ev.backup, 1);
	assert_int_equal(ev.loc_id, 5);
	golden_assert_ip(&ev.saddr, "10.0.2.1", 51675);
	golden_assert_ip(&ev.daddr, "10.0.1.2", SRV_PORT);

	/* REMOVE of id 7 on the server closes the client's subflow to that address. */
	parse_golden("ev4_sub_closed", &ev);
	assert_int_equal(ev.type, MPS_EV_SUB_CLOSED);
	assert_int_equal(ev.has, base_has | MPS_EVH_BACKUP);
	assert_int_equal(ev.loc_id, 5);
	assert_int_equal(ev.rem_id, 7);
	golden_assert_ip(&ev.saddr, "10.0.2.1", 53615);
	golden_assert_ip(&ev.daddr, "10.0.2.2", SRV_PORT);
	assert_int_equal(ev.error, 0);

	/* SUBFLOW_CREATE towards a port nobody listens on: ECONNREFUSED. */
	parse_golden("ev4_sub_closed_error", &ev);
	assert_int_equal(ev.type, MPS_EV_SUB_CLOSED);
	assert_int_equal(ev.has, base_has | MPS_EVH_BACKUP | MPS_EVH_ERROR);
	assert_int_equal(ev.token, 0x9bfc1154);
	assert_int_equal(ev.loc_id, 4);
	golden_assert_ip(&ev.saddr, "10.0.2.1", 46397);
	golden_assert_ip(&ev.daddr, "10.0.2.2", 5555);
	assert_int_equal(ev.error, ECONNREFUSED);
}

/* ANNOUNCED has no FAMILY: it is derived. Without a port in ANNOUNCE the
 * kernel reports the connection's port. */
static void test_ev4_announce_remove(void **state)
{
	struct mps_event ev;

	parse_golden("ev4_announced", &ev);
	assert_int_equal(ev.type, MPS_EV_ANNOUNCED);
	assert_int_equal(ev.has, MPS_EVH_TOKEN | MPS_EVH_FAMILY | MPS_EVH_REM_ID |
					 MPS_EVH_DADDR | MPS_EVH_DPORT);
	assert_int_equal(ev.token, 0xc1aeba7a);
	assert_int_equal(ev.family, AF_INET);
	assert_int_equal(ev.rem_id, 7);
	golden_assert_ip(&ev.daddr, "10.0.2.2", SRV_PORT);
	assert_int_equal(ev.saddr.family, AF_UNSPEC);

	/* An IPv6 address announced on an IPv4 connection. */
	parse_golden("ev_announced_v6_on_v4", &ev);
	assert_int_equal(ev.family, AF_INET6);
	assert_int_equal(ev.token, 0x38d97e17);
	assert_int_equal(ev.rem_id, 10);
	golden_assert_ip(&ev.daddr, "2001:db8:1::1", 41041);

	parse_golden("ev4_removed", &ev);
	assert_int_equal(ev.type, MPS_EV_REMOVED);
	assert_int_equal(ev.has, MPS_EVH_TOKEN | MPS_EVH_REM_ID);
	assert_int_equal(ev.token, 0xc1aeba7a);
	assert_int_equal(ev.rem_id, 7);

	parse_golden("ev4_closed", &ev);
	assert_int_equal(ev.type, MPS_EV_CLOSED);
	assert_int_equal(ev.has, MPS_EVH_TOKEN);
	assert_int_equal(ev.token, 0xe8226417);
}

/* ---- golden events: IPv6 ---------------------------------------------- */

static void test_ev6_connection(void **state)
{
	struct mps_event ev;

	parse_golden("ev6_listener_created", &ev);
	assert_int_equal(ev.type, MPS_EV_LISTENER_CREATED);
	assert_int_equal(ev.has, MPS_EVH_FAMILY | MPS_EVH_SADDR | MPS_EVH_SPORT);
	assert_int_equal(ev.family, AF_INET6);
	golden_assert_ip(&ev.saddr, "::", SRV_PORT);

	parse_golden("ev6_created_server", &ev);
	assert_int_equal(ev.type, MPS_EV_CREATED);
	assert_int_equal(ev.has, base_has | MPS_EVH_FLAGS | MPS_EVH_SERVER_SIDE);
	assert_int_equal(ev.token, 0x790d4623);
	assert_int_equal(ev.family, AF_INET6);
	assert_int_equal(ev.flags, MPS_EV_FLAG_SERVER_SIDE);
	golden_assert_ip(&ev.saddr, "2001:db8:1::2", SRV_PORT);
	golden_assert_ip(&ev.daddr, "2001:db8:1::1", CLI_PORT);

	parse_golden("ev6_established_server", &ev);
	assert_int_equal(ev.type, MPS_EV_ESTABLISHED);
	assert_int_equal(ev.token, 0x790d4623);

	parse_golden("ev6_created_client", &ev);
	assert_int_equal(ev.has, base_has);
	assert_int_equal(ev.token, 0x05c7c259);
	golden_assert_ip(&ev.saddr, "2001:db8:1::1", CLI_PORT);
	golden_assert_ip(&ev.daddr, "2001:db8:1::2", SRV_PORT);

	parse_golden("ev6_closed", &ev);
	assert_int_equal(ev.type, MPS_EV_CLOSED);
	assert_int_equal(ev.has, MPS_EVH_TOKEN);
	assert_int_equal(ev.token, 0x790d4623);

	parse_golden("ev6_listener_closed", &ev);
	assert_int_equal(ev.type, MPS_EV_LISTENER_CLOSED);
	golden_assert_ip(&ev.saddr, "::", SRV_PORT);
}

static void test_ev6_subflows(void **state)
{
	struct mps_event ev;

	/* SUBFLOW_CREATE on the client's userspace PM with local id 3. */
	parse_golden("ev6_sub_established_client", &ev);
	assert_int_equal(ev.type, MPS_EV_SUB_ESTABLISHED);
	assert_int_equal(ev.has, base_has | MPS_EVH_BACKUP);
	assert_int_equal(ev.token, 0x05c7c259);
	assert_int_equal(ev.loc_id, 3);
	assert_int_equal(ev.rem_id, 7);
	golden_assert_ip(&ev.saddr, "2001:db8:2::1", 37957);
	golden_assert_ip(&ev.daddr, "2001:db8:2::2", SRV_PORT);

	/* SET_FLAGS backup on the client; the server receives MP_PRIO. */
	parse_golden("ev6_sub_priority", &ev);
	assert_int_equal(ev.type, MPS_EV_SUB_PRIORITY);
	assert_int_equal(ev.has, base_has | MPS_EVH_BACKUP);
	assert_int_equal(ev.token, 0x790d4623);
	assert_int_equal(ev.backup, 1);
	assert_int_equal(ev.loc_id, 7);
	assert_int_equal(ev.rem_id, 3);
	golden_assert_ip(&ev.saddr, "2001:db8:2::2", SRV_PORT);
	golden_assert_ip(&ev.daddr, "2001:db8:2::1", 37957);

	parse_golden("ev6_sub_closed", &ev);
	assert_int_equal(ev.type, MPS_EV_SUB_CLOSED);
	golden_assert_ip(&ev.daddr, "2001:db8:2::1", 56479);
	assert_int_equal(ev.backup, 0);

	parse_golden("ev6_announced", &ev);
	assert_int_equal(ev.type, MPS_EV_ANNOUNCED);
	assert_int_equal(ev.family, AF_INET6);
	assert_int_equal(ev.rem_id, 8);
	golden_assert_ip(&ev.daddr, "2001:db8:2::2", SRV_PORT);

	parse_golden("ev6_removed", &ev);
	assert_int_equal(ev.type, MPS_EV_REMOVED);
	assert_int_equal(ev.rem_id, 8);
}

/* ---- synthetic events: older kernels, unknown and bad attributes -------- */

/* Before 6.18 the server side came only as attribute 18. */
static void test_ev_server_side_fold(void **state)
{
	struct nlmsghdr *nlh = event_msg(MPS_EV_CREATED);
	struct mps_event ev;

	mnl_attr_put_u32(nlh, MPS_PM_EV_ATTR_TOKEN, 1);
	mnl_attr_put_u8(nlh, MPS_PM_EV_ATTR_SERVER_SIDE, 1);
	assert_int_equal(mps_pm_event_parse(nlh, &ev), 0);
	assert_int_equal(ev.flags, MPS_EV_FLAG_SERVER_SIDE);
	assert_true(ev.has & MPS_EVH_FLAGS);

	nlh = event_msg(MPS_EV_CREATED);
	mnl_attr_put_u8(nlh, MPS_PM_EV_ATTR_SERVER_SIDE, 0);
	mnl_attr_put_u16(nlh, MPS_PM_EV_ATTR_FLAGS, MPS_EV_FLAG_DENY_JOIN_ID0);
	assert_int_equal(mps_pm_event_parse(nlh, &ev), 0);
	assert_int_equal(ev.flags, MPS_EV_FLAG_DENY_JOIN_ID0);
}

/* A newer kernel's attributes and event types must not break parsing. */
static void test_ev_unknown(void **state)
{
	static const unsigned char blob[5] = { 1, 2, 3, 4, 5 };
	struct nlmsghdr *nlh = event_msg(42);
	struct mps_event ev;

	mnl_attr_put(nlh, 99, sizeof(blob), blob);
	mnl_attr_put_u32(nlh, MPS_PM_EV_ATTR_TOKEN, 0xabcdef01);
	mnl_attr_put(nlh, MPS_PM_EV_ATTR_UNSPEC, 3, blob);
	mnl_attr_put_u32(nlh, MPS_PM_EV_ATTR_TIMEOUT | NLA_F_NET_BYTEORDER, 30);
	assert_int_equal(mps_pm_event_parse(nlh, &ev), 0);
	assert_int_equal(ev.type, 42);
	assert_int_equal(ev.token, 0xabcdef01);
	assert_int_equal(ev.timeout, 30);
	assert_int_equal(ev.has, MPS_EVH_TOKEN | MPS_EVH_TIMEOUT);
	assert_null(mps_event_name(ev.type));
}

static void test_ev_reset(void **state)
{
	struct nlmsghdr *nlh = event_msg(MPS_EV_SUB_CLOSED);
	struct mps_event ev;

	mnl_attr_put_u32(nlh, MPS_PM_EV_ATTR_RESET_REASON, 6);
	mnl_attr_put_u32(nlh, MPS_PM_EV_ATTR_RESET_FLAGS, 1);
	mnl_attr_put_u32(nlh, MPS_PM_EV_ATTR_IF_IDX, (uint32_t)-1);
	assert_int_equal(mps_pm_event_parse(nlh, &ev), 0);
	assert_int_equal(ev.has, MPS_EVH_RESET_REASON | MPS_EVH_RESET_FLAGS | MPS_EVH_IF_IDX);
	assert_int_equal(ev.reset_reason, 6);
	assert_int_equal(ev.reset_flags, 1);
	assert_int_equal(ev.ifindex, -1);
	assert_string_equal(mps_reset_reason_name(ev.reset_reason), "middlebox-interference");
}

static void test_ev_wrong_len(void **state)
{
	static const unsigned char junk[32];
	uint16_t t;

	for (t = MPS_PM_EV_ATTR_TOKEN; t <= MPS_PM_EV_ATTR_MAX; t++) {
		static const size_t lens[] = { 0, 3, 5, 8, 15, 17 };
		size_t i;

		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			struct nlmsghdr *nlh = event_msg(MPS_EV_CREATED);
			struct mps_event ev;
			int want;

			mnl_attr_put(nlh, t, lens[i], junk);
			want = mps_pm_event_parse(nlh, &ev);
			/* 0 only for none of these lengths: every known type is 1, 2, 4 or 16. */
			assert_int_equal(want, -EINVAL);
		}
	}
}

/* Offsets at which an attribute of a golden message ends. */
static bool at_boundary(const unsigned char *m, size_t len, size_t cut)
{
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;

	while (off < len) {
		const struct nlattr *a = (const void *)(m + off);

		if (cut == off)
			return true;
		if (cut >= off + a->nla_len && cut < off + NLA_ALIGN(a->nla_len))
			return true;
		off += NLA_ALIGN(a->nla_len);
	}
	return cut == off;
}

/* Every truncation of every golden event: -EINVAL unless it happens to fall
 * between attributes; under valgrind this also proves no read past the end. */
static void test_ev_truncated(void **state)
{
	static const char *const names[] = { "ev4_created_server", "ev4_sub_priority",
					     "ev4_announced",	   "ev6_created_server",
					     "ev6_sub_priority",   "ev4_sub_closed_error" };
	size_t i, cut;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		static unsigned char full[MPS_PM_MSG_BUFSZ] __attribute__((aligned(4)));
		size_t n = golden_load_hex(names[i], full, sizeof(full));

		for (cut = 0; cut < n; cut++) {
			unsigned char *m = malloc(cut > NLMSG_HDRLEN ? cut : NLMSG_HDRLEN);
			struct nlmsghdr *nlh = (void *)m;
			struct mps_event ev;
			int ret;

			memcpy(m, full, cut > NLMSG_HDRLEN ? cut : NLMSG_HDRLEN);
			nlh->nlmsg_len = (uint32_t)cut;
			ret = mps_pm_event_parse(nlh, &ev);
			if (cut >= NLMSG_HDRLEN + GENL_HDRLEN && at_boundary(full, n, cut))
				assert_int_equal(ret, 0);
			else
				assert_int_equal(ret, -EINVAL);
			free(m);
		}
	}
}

/* An attribute length larger than what is left, or smaller than a header. */
static void test_ev_bad_nla_len(void **state)
{
	struct nlmsghdr *nlh = event_msg(MPS_EV_CREATED);
	struct nlattr *a;
	struct mps_event ev;

	mnl_attr_put_u32(nlh, MPS_PM_EV_ATTR_TOKEN, 1);
	a = (struct nlattr *)((char *)mnl_nlmsg_get_payload(nlh) + GENL_HDRLEN);
	a->nla_len = 200;
	assert_int_equal(mps_pm_event_parse(nlh, &ev), -EINVAL);
	a->nla_len = 2;
	assert_int_equal(mps_pm_event_parse(nlh, &ev), -EINVAL);
	a->nla_len = 0;
	assert_int_equal(mps_pm_event_parse(nlh, &ev), -EINVAL);
}

/* ---- golden requests ---------------------------------------------------- */

static void check_cmd(const char *name, const struct nlmsghdr *nlh)
{
	static unsigned char want[MPS_PM_MSG_BUFSZ];
	size_t n;

	if (getenv("MPS_GOLDEN_WRITE")) {
		char path[512];
		FILE *f;
		size_t i;

		snprintf(path, sizeof(path), "%s/golden/%s.hex", getenv("TESTDATA"), name);
		f = fopen(path, "w");
		assert_non_null(f);
		for (i = 0; i < nlh->nlmsg_len; i++)
			fprintf(f, "%02x", ((const unsigned char *)nlh)[i]);
		fprintf(f, "\n");
		fclose(f);
		return;
	}
	n = golden_load_hex(name, want, sizeof(want));
	assert_int_equal(nlh->nlmsg_len, n);
	assert_memory_equal(nlh, want, n);
}

/* Each was sent with these values (only the token differs per run) and
 * accepted by Linux 6.18; see golden/README. */
static void test_cmd_golden(void **state)
{
	struct mps_pm_addr ann = { .id = 7 }, sfl = { .id = 3 }, ep = { .id = 9, .flags = 2 };
	struct mps_addr l, r;
	struct mps_pm_limits lim = { 3, 5 };

	assert_int_equal(mps_addr_parse("10.0.2.2", false, &ann.addr), 0);
	check_cmd("cmd_announce_v4", mps_pm_build_announce(msgbuf, FAMILY_ID, 0x38d97e17, &ann));

	assert_int_equal(mps_addr_parse("10.0.1.2:4660", true, &l), 0);
	assert_int_equal(mps_addr_parse("10.0.2.1:51675", true, &r), 0);
	check_cmd("cmd_set_backup_v4",
		  mps_pm_build_set_backup(msgbuf, FAMILY_ID, 0x38d97e17, &l, &r, true));
	check_cmd("cmd_clear_backup_v4",
		  mps_pm_build_set_backup(msgbuf, FAMILY_ID, 0x38d97e17, &l, &r, false));
	{
		struct mps_pm_addr loc = { .addr = l };

		check_cmd("cmd_subflow_destroy_v4",
			  mps_pm_build_subflow(msgbuf, FAMILY_ID, MPS_PM_CMD_SUBFLOW_DESTROY,
					       0x38d97e17, &loc, &r));
	}
	check_cmd("cmd_remove", mps_pm_build_remove(msgbuf, FAMILY_ID, 0x38d97e17, 7));

	assert_int_equal(mps_addr_parse("2001:db8:2::1", false, &sfl.addr), 0);
	assert_int_equal(mps_addr_parse("[2001:db8:2::2]:4660", true, &r), 0);
	check_cmd("cmd_subflow_create_v6",
		  mps_pm_build_subflow(msgbuf, FAMILY_ID, MPS_PM_CMD_SUBFLOW_CREATE, 0x05c7c259,
				       &sfl, &r));

	assert_int_equal(mps_addr_parse("10.0.1.1", false, &ep.addr), 0);
	check_cmd("cmd_add_addr_v4", mps_pm_build_addr_cmd(msgbuf, FAMILY_ID,
							   MPS_PM_CMD_ADD_ADDR, &ep));
	check_cmd("cmd_set_limits", mps_pm_build_set_limits(msgbuf, FAMILY_ID, &lim));
	check_cmd("cmd_get_addrs_token", mps_pm_build_get_addrs(msgbuf, FAMILY_ID, 0x05c7c259));
}

/* The port bytes of SUBFLOW_CREATE read independently of the builder: the
 * kernel takes the nest's port in host order (a swap makes the join go to
 * port 13330 and fail). */
static void test_cmd_port_bytes(void **state)
{
	struct mps_pm_addr loc = { .id = 3 };
	struct mps_addr r;
	const struct nlmsghdr *nlh;
	const struct nlattr *a, *remote = NULL, *port;
	uint16_t raw;

	assert_int_equal(mps_addr_parse("2001:db8:2::1", false, &loc.addr), 0);
	assert_int_equal(mps_addr_parse("[2001:db8:2::2]:4660", true, &r), 0);
	nlh = mps_pm_build_subflow(msgbuf, FAMILY_ID, MPS_PM_CMD_SUBFLOW_CREATE, 1, &loc, &r);
	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		if (mnl_attr_get_type(a) == MPS_PM_ATTR_ADDR_REMOTE)
			remote = a;
	assert_non_null(remote);
	port = nest_find(remote, MPS_PM_ADDR_ATTR_PORT);
	assert_non_null(port);
	memcpy(&raw, mnl_attr_get_payload(port), 2);
	assert_int_equal(raw, 4660);
}

static void test_replies(void **state)
{
	struct nlmsghdr *nlh = event_msg(MPS_PM_CMD_GET_LIMITS);
	struct mps_pm_limits l;
	struct mps_pm_addr a = { .id = 5, .flags = MPS_PM_FLAG_SUBFLOW, .ifindex = 3 }, out;

	mnl_attr_put_u32(nlh, MPS_PM_ATTR_RCV_ADD_ADDRS, 4);
	mnl_attr_put_u32(nlh, MPS_PM_ATTR_SUBFLOWS, 8);
	assert_int_equal(mps_pm_limits_parse(nlh, &l), 0);
	assert_int_equal(l.rcv_add_addrs, 4);
	assert_int_equal(l.subflows, 8);

	nlh = event_msg(MPS_PM_CMD_GET_ADDR);
	assert_int_equal(mps_pm_addr_reply_parse(nlh, &out), -ENOENT);
	assert_int_equal(mps_addr_parse("10.0.2.1", false, &a.addr), 0);
	mps_pm_msg_put_addr(nlh, MPS_PM_ATTR_ADDR, &a);
	assert_int_equal(mps_pm_addr_reply_parse(nlh, &out), 0);
	assert_true(mps_addr_equal(&out.addr, &a.addr));
	assert_int_equal(out.id, 5);
	assert_int_equal(out.ifindex, 3);

	nlh = event_msg(MPS_PM_CMD_GET_LIMITS);
	mnl_attr_put_u16(nlh, MPS_PM_ATTR_SUBFLOWS, 8);
	assert_int_equal(mps_pm_limits_parse(nlh, &l), -EINVAL);
}

/* ---- names -------------------------------------------------------------- */

static void test_names(void **state)
{
	static const char *const all[] = { "CREATED",	      "ESTABLISHED",  "CLOSED",
					   "ANNOUNCED",	      "REMOVED",      "SUB_ESTABLISHED",
					   "SUB_CLOSED",      "SUB_PRIORITY", "LISTENER_CREATED",
					   "LISTENER_CLOSED" };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		int t = mps_event_type_from_name(all[i]);

		assert_true(t > 0);
		assert_string_equal(mps_event_name((enum mps_event_type)t), all[i]);
	}
	assert_int_equal(mps_event_type_from_name("sub_priority"), MPS_EV_SUB_PRIORITY);
	assert_int_equal(mps_event_type_from_name("LISTENER_CREATED"), 15);
	assert_int_equal(mps_event_type_from_name("NOPE"), -EINVAL);
	assert_int_equal(mps_event_type_from_name(""), -EINVAL);
	assert_int_equal(mps_event_type_from_name(NULL), -EINVAL);
	assert_null(mps_event_name(MPS_EV_UNSPEC));
	assert_null(mps_event_name((enum mps_event_type)4));
	assert_null(mps_event_name((enum mps_event_type)1000));

	assert_string_equal(mps_reset_reason_name(0), "unspecified");
	assert_string_equal(mps_reset_reason_name(1), "mptcp-specific");
	assert_string_equal(mps_reset_reason_name(2), "lack-of-resources");
	assert_string_equal(mps_reset_reason_name(3), "administratively-prohibited");
	assert_string_equal(mps_reset_reason_name(4), "too-much-outstanding-data");
	assert_string_equal(mps_reset_reason_name(5), "unacceptable-performance");
	assert_string_equal(mps_reset_reason_name(6), "middlebox-interference");
	assert_null(mps_reset_reason_name(7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_roundtrip),
		cmocka_unit_test(test_addr_minimal),
		cmocka_unit_test(test_addr_nest_bad_len),
		cmocka_unit_test(test_ev4_listener),
		cmocka_unit_test(test_ev4_created),
		cmocka_unit_test(test_ev4_subflows),
		cmocka_unit_test(test_ev4_announce_remove),
		cmocka_unit_test(test_ev6_connection),
		cmocka_unit_test(test_ev6_subflows),
		cmocka_unit_test(test_ev_server_side_fold),
		cmocka_unit_test(test_ev_unknown),
		cmocka_unit_test(test_ev_reset),
		cmocka_unit_test(test_ev_wrong_len),
		cmocka_unit_test(test_ev_truncated),
		cmocka_unit_test(test_ev_bad_nla_len),
		cmocka_unit_test(test_cmd_golden),
		cmocka_unit_test(test_cmd_port_bytes),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
