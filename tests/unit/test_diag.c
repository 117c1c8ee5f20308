/* SPDX-License-Identifier: MIT */
/*
 * sock_diag replies without a kernel: messages captured from Linux 6.18
 * (tests/unit/golden/diag_*.hex, by tests/tools/diag_capture.c) parse to the
 * values the capture showed (cross-checked against `ss -MtniO` at capture
 * time), malformed or truncated input is -EINVAL and never a crash, unknown
 * attributes are skipped. Also the pure lookups of rtnl's interface cache,
 * the snapshot's find and the TCP state names.
 *
 * Capture setup: client netns 10.0.1.1/10.0.2.1 + fd00:1::1/fd00:2::1 (veth1,
 * veth2 = ifindex 2, 3), server 10.0.1.2/10.0.2.2 + fd00:1::2/fd00:2::2, client
 * endpoint `10.0.2.1 dev veth2 subflow` (id 1, flagged backup for the capture)
 * and `fd00:2::1 dev veth2 subflow` (id 2); python3 IPPROTO_MPTCP servers on
 * 5000 (v4) and 5001 (v6, dual stack) and a plain TCP server on 5002.
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
#include <linux/sock_diag.h>

#include "golden.h"
#include "mpsteer/diag.h"
#include "mpsteer/rtnl.h"

#define MSG_MAX 4096

/* ---- helpers ------------------------------------------------------------ */


/*
 * Each golden message in a heap block of exactly its size, so that valgrind
 * (and ASan) see any read past the end.
 */
static struct nlmsghdr *load_msg(const char *name, size_t *len)
{
	unsigned char buf[MSG_MAX];
	size_t n = golden_load_hex(name, buf, sizeof(buf));
	struct nlmsghdr *nlh = malloc(n);

	assert_non_null(nlh);
	memcpy(nlh, buf, n);
	assert_true(n >= sizeof(*nlh));
	assert_int_equal(nlh->nlmsg_len, n);
	assert_int_equal(nlh->nlmsg_type, SOCK_DIAG_BY_FAMILY);
	if (len)
		*len = n;
	return nlh;
}


static void parse_conn(const char *name, struct mps_conn *c)
{
	struct nlmsghdr *nlh = load_msg(name, NULL);

	assert_int_equal(mps_diag_parse_conn(nlh, c), 0);
	free(nlh);
}

static void parse_subflow(const char *name, struct mps_subflow *s)
{
	struct nlmsghdr *nlh = load_msg(name, NULL);

	assert_int_equal(mps_diag_parse_subflow(nlh, s), 0);
	free(nlh);
}

/* Fields the snapshot fills, never the parser. */
static void assert_conn_unjoined(const struct mps_conn *c)
{
	assert_int_equal(c->pid, 0);
	assert_string_equal(c->comm, "");
	assert_int_equal(c->n_subflows, 0);
	assert_null(c->subflows);
}

/* ---- connections ---------------------------------------------------------- */

static void test_conn_v4(void **state)
{
	struct mps_conn c;

	parse_conn("diag_conn_v4", &c);
	assert_int_equal(c.token, 0x206053d9);
	golden_assert_ip(&c.local, "10.0.1.1", 59500);
	golden_assert_ip(&c.remote, "10.0.1.2", 5000);
	assert_int_equal(c.state, 1); /* ESTABLISHED */
	assert_int_equal(c.inode, 993893);
	assert_int_equal(c.cookie, 0x1078);
	assert_int_equal(c.info_flags, MPS_INFO_REMOTE_KEY_RECEIVED);
	assert_false(c.fallback);
	assert_int_equal(c.subflows_reported, 1);
	assert_int_equal(c.local_addr_used, 2);
	assert_int_equal(c.add_addr_signal, 0);
	assert_int_equal(c.add_addr_accepted, 0);
	assert_int_equal(c.bytes_sent, 100000);
	assert_int_equal(c.bytes_received, 0);
	assert_int_equal(c.bytes_acked, 100000);
	assert_int_equal(c.bytes_retrans, 10240);
	assert_int_equal(c.last_data_sent_ms, 11320);
	assert_int_equal(c.last_data_recv_ms, 11320);
	assert_conn_unjoined(&c);
}

static void test_conn_mapped(void **state)
{
	struct mps_conn c;

	/* An AF_INET6 socket talking to a v4 peer: ::ffff:a.b.c.d shows as a.b.c.d. */
	parse_conn("diag_conn_mapped", &c);
	assert_int_equal(c.token, 0x38cab130);
	golden_assert_ip(&c.local, "10.0.1.1", 51650);
	golden_assert_ip(&c.remote, "10.0.1.2", 5001);
	assert_int_equal(c.inode, 993151);
	assert_int_equal(c.cookie, 0x1079);
	assert_int_equal(c.subflows_reported, 1);
	assert_int_equal(c.bytes_sent, 3000);
	assert_int_equal(c.bytes_acked, 3000);
	assert_int_equal(c.bytes_retrans, 0);
	assert_int_equal(c.last_data_sent_ms, 11312);
	assert_conn_unjoined(&c);
}

static void test_conn_v6(void **state)
{
	struct mps_conn c;

	parse_conn("diag_conn_v6", &c);
	assert_int_equal(c.token, 0xf4a5bf87);
	golden_assert_ip(&c.local, "fd00:1::1", 42238);
	golden_assert_ip(&c.remote, "fd00:1::2", 5001);
	assert_int_equal(c.state, 1);
	assert_int_equal(c.inode, 993889);
	assert_int_equal(c.cookie, 0x107a);
	assert_int_equal(c.info_flags, MPS_INFO_REMOTE_KEY_RECEIVED);
	assert_int_equal(c.subflows_reported, 1);
	assert_int_equal(c.local_addr_used, 2);
	assert_int_equal(c.bytes_sent, 50000);
	assert_int_equal(c.bytes_acked, 50000);
	assert_int_equal(c.last_data_sent_ms, 11372);
	assert_int_equal(c.last_data_recv_ms, 11372);
}

static void test_conn_fallback(void **state)
{
	struct mps_conn c;

	parse_conn("diag_conn_fallback", &c);
	assert_int_equal(c.token, 0x83151587);
	assert_true(c.fallback);
	assert_int_equal(c.info_flags, MPS_INFO_FALLBACK);
	assert_int_equal(c.subflows_reported, 0);
	assert_int_equal(c.local_addr_used, 0);
	golden_assert_ip(&c.remote, "10.0.1.2", 5002);
	assert_int_equal(c.bytes_sent, 3);
	assert_int_equal(c.bytes_acked, 4); /* the SYN counts at the TCP level */
	assert_int_equal(c.last_data_sent_ms, 22452);
}

static void test_conn_listen(void **state)
{
	struct mps_conn c;

	parse_conn("diag_conn_listen", &c);
	assert_int_equal(c.state, 10); /* LISTEN */
	assert_int_equal(c.token, 0);
	golden_assert_ip(&c.local, "0.0.0.0", 5000);
	golden_assert_ip(&c.remote, "0.0.0.0", 0);
	assert_int_equal(c.inode, 993816);
	assert_int_equal(c.bytes_sent, 0);
}

/* ---- subflows ------------------------------------------------------------- */

static void test_subflow_mcap(void **state)
{
	struct mps_subflow s;

	parse_subflow("diag_sf_mcap", &s);
	golden_assert_ip(&s.local, "10.0.1.1", 59500);
	golden_assert_ip(&s.remote, "10.0.1.2", 5000);
	assert_int_equal(s.ifindex, 0); /* not bound */
	assert_string_equal(s.ifname, "");
	assert_int_equal(s.state, 1);
	assert_int_equal(s.loc_id, 0);
	assert_int_equal(s.rem_id, 0);
	assert_int_equal(s.flags, MPS_SF_MCAP_REM | MPS_SF_MCAP_LOC | MPS_SF_FULLY_ESTABLISHED |
				  MPS_SF_CONNECTED);
	assert_false(s.backup_local);
	assert_false(s.backup_peer);
	assert_int_equal(s.token_loc, 0x206053d9);
	assert_int_equal(s.token_rem, 0); /* not sent on the MP_CAPABLE subflow */
	assert_int_equal(s.rtt_us, 335);
	assert_int_equal(s.rttvar_us, 599);
	assert_int_equal(s.cwnd, 81);
	assert_int_equal(s.bytes_acked, 98993);
	assert_int_equal(s.bytes_received, 0);
	assert_int_equal(s.bytes_sent, 98992);
	assert_int_equal(s.bytes_retrans, 0);
	assert_int_equal(s.delivery_rate, 282536585);
	assert_int_equal(s.inode, 993893); /* subflows report their connection's inode */
}

static void test_subflow_join_backup_local(void **state)
{
	struct mps_subflow s;

	/* Client side of the joined subflow whose endpoint was flagged backup. */
	parse_subflow("diag_sf_join_bkup_loc", &s);
	golden_assert_ip(&s.local, "10.0.2.1", 56015);
	golden_assert_ip(&s.remote, "10.0.1.2", 5000);
	assert_int_equal(s.ifindex, 3); /* bound to veth2 by the endpoint */
	assert_int_equal(s.loc_id, 1);
	assert_int_equal(s.rem_id, 0);
	assert_int_equal(s.flags, MPS_SF_JOIN_REM | MPS_SF_JOIN_LOC | MPS_SF_BKUP_LOC |
				  MPS_SF_FULLY_ESTABLISHED | MPS_SF_CONNECTED);
	assert_true(s.backup_local);
	assert_false(s.backup_peer);
	assert_int_equal(s.token_loc, 0x206053d9);
	assert_int_equal(s.token_rem, 0x45713def);
	assert_int_equal(s.rtt_us, 350);
	assert_int_equal(s.rttvar_us, 664);
	assert_int_equal(s.cwnd, 18);
	assert_int_equal(s.bytes_acked, 11249);
	assert_int_equal(s.bytes_sent, 11248);
	assert_int_equal(s.delivery_rate, 4379584);
}

static void test_subflow_join_backup_peer(void **state)
{
	struct mps_subflow s;

	/* The same subflow from the server: the peer asked. */
	parse_subflow("diag_sf_join_bkup_rem", &s);
	golden_assert_ip(&s.local, "10.0.1.2", 5000);
	golden_assert_ip(&s.remote, "10.0.2.1", 56015);
	assert_int_equal(s.ifindex, 0);
	assert_int_equal(s.loc_id, 0);
	assert_int_equal(s.rem_id, 1);
	assert_int_equal(s.flags, MPS_SF_JOIN_REM | MPS_SF_BKUP_REM | MPS_SF_FULLY_ESTABLISHED |
				  MPS_SF_CONNECTED);
	assert_false(s.backup_local);
	assert_true(s.backup_peer);
	assert_int_equal(s.token_loc, 0x45713def);
	assert_int_equal(s.token_rem, 0);
	assert_int_equal(s.rtt_us, 1000);
	assert_int_equal(s.rttvar_us, 500);
	assert_int_equal(s.cwnd, 10);
	assert_int_equal(s.bytes_received, 11248);
	assert_int_equal(s.bytes_sent, 0);
	assert_int_equal(s.inode, 993818);
}

static void test_subflow_mapped(void **state)
{
	struct mps_subflow s;

	parse_subflow("diag_sf_mapped", &s);
	golden_assert_ip(&s.local, "10.0.1.1", 51650);
	golden_assert_ip(&s.remote, "10.0.1.2", 5001);
	assert_int_equal(s.token_loc, 0x38cab130);
	assert_int_equal(s.flags, MPS_SF_MCAP_REM | MPS_SF_MCAP_LOC | MPS_SF_FULLY_ESTABLISHED |
				  MPS_SF_CONNECTED);
	assert_int_equal(s.rtt_us, 66);
	assert_int_equal(s.cwnd, 13);
	assert_int_equal(s.bytes_acked, 3001);
	assert_int_equal(s.delivery_rate, 271500000);
}

static void test_subflow_v6_join(void **state)
{
	struct mps_subflow s;

	parse_subflow("diag_sf_v6_join", &s);
	golden_assert_ip(&s.local, "fd00:2::1", 35889);
	golden_assert_ip(&s.remote, "fd00:1::2", 5001);
	assert_int_equal(s.ifindex, 3);
	assert_int_equal(s.loc_id, 2);
	assert_int_equal(s.rem_id, 0);
	assert_int_equal(s.flags, MPS_SF_JOIN_REM | MPS_SF_JOIN_LOC | MPS_SF_FULLY_ESTABLISHED |
				  MPS_SF_CONNECTED);
	assert_false(s.backup_local);
	assert_int_equal(s.token_loc, 0xf4a5bf87);
	assert_int_equal(s.token_rem, 0x9d4bbf6c);
	assert_int_equal(s.rtt_us, 51);
	assert_int_equal(s.rttvar_us, 25);
	assert_int_equal(s.inode, 993889);
}

static void test_subflow_fallback(void **state)
{
	struct mps_subflow s;

	parse_subflow("diag_sf_fallback", &s);
	assert_int_equal(s.token_loc, 0x83151587);
	assert_int_equal(s.flags, MPS_SF_MCAP_LOC | MPS_SF_CONNECTED);
	assert_int_equal(s.bytes_sent, 3);
	assert_int_equal(s.delivery_rate, 131636363);
}

static void test_plain_tcp_is_not_a_subflow(void **state)
{
	struct nlmsghdr *nlh = load_msg("diag_tcp_plain", NULL);
	struct mps_subflow s;

	assert_int_equal(mps_diag_parse_subflow(nlh, &s), -ENOENT);
	free(nlh);
}

/* ---- malformed input ------------------------------------------------------ */

static const char *const goldens[] = {
	"diag_conn_v4", "diag_conn_mapped", "diag_conn_v6", "diag_conn_fallback",
	"diag_conn_listen", "diag_sf_mcap", "diag_sf_join_bkup_loc", "diag_sf_join_bkup_rem",
	"diag_sf_mapped", "diag_sf_v6_join", "diag_sf_fallback", "diag_tcp_plain",
};

/* Both parsers on a copy of msg cut to len bytes (nlmsg_len says len too). */
static void parse_cut(const unsigned char *msg, size_t len, int *rc_conn, int *rc_sf)
{
	unsigned char *cut = malloc(len ? len : 1);
	struct nlmsghdr *nlh = (struct nlmsghdr *)cut;
	struct mps_subflow s;
	struct mps_conn c;

	assert_non_null(cut);
	memcpy(cut, msg, len);
	if (len >= sizeof(nlh->nlmsg_len))
		nlh->nlmsg_len = (uint32_t)len;
	if (len >= sizeof(*nlh)) {
		*rc_conn = mps_diag_parse_conn(nlh, &c);
		*rc_sf = mps_diag_parse_subflow(nlh, &s);
	} else {
		*rc_conn = *rc_sf = -EINVAL; /* callers guarantee a full header */
	}
	free(cut);
}

/* Cut at every length: a short header is -EINVAL, nothing reads past the end. */
static void test_truncated(void **state)
{
	size_t i, n, len;
	int rc, rs;

	for (i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++) {
		struct nlmsghdr *full = load_msg(goldens[i], &n);

		for (len = 0; len < n; len++) {
			parse_cut((const unsigned char *)full, len, &rc, &rs);
			if (len < NLMSG_HDRLEN + 72) {
				assert_int_equal(rc, -EINVAL);
				assert_int_equal(rs, -EINVAL);
			}
			assert_true(rc == 0 || rc == -EINVAL);
			assert_true(rs == 0 || rs == -EINVAL || rs == -ENOENT);
		}
		/* One byte short cuts the last attribute. */
		parse_cut((const unsigned char *)full, n - 1, &rc, &rs);
		assert_int_equal(rc, -EINVAL);
		assert_int_equal(rs, -EINVAL);
		free(full);
	}
}

/* Offset of the first attribute of type `type` at nesting level `start`, or 0. */
static size_t find_attr(const unsigned char *buf, size_t start, size_t end, uint16_t type)
{
	const struct nlattr *a;

	while (start + sizeof(*a) <= end) {
		a = (const struct nlattr *)(buf + start);
		if (a->nla_len < sizeof(*a))
			return 0;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return start;
		start += MNL_ALIGN(a->nla_len);
	}
	return 0;
}

#define ATTRS_OFF (NLMSG_HDRLEN + 72)

/* Offset of the MPTCP_SUBFLOW_ATTR_* nest of a golden subflow message. */
static size_t mptcp_nest(const unsigned char *buf, size_t n)
{
	size_t ulp = find_attr(buf, ATTRS_OFF, n, 19 /* INET_DIAG_ULP_INFO */);
	const struct nlattr *a = (const struct nlattr *)(buf + ulp);
	size_t nest;

	assert_true(ulp);
	nest = find_attr(buf, ulp + 4, ulp + a->nla_len, 3 /* INET_ULP_INFO_MPTCP */);
	assert_true(nest);
	return nest;
}

static void test_bad_lengths(void **state)
{
	unsigned char buf[MSG_MAX];
	size_t n = golden_load_hex("diag_sf_join_bkup_loc", buf, sizeof(buf));
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	size_t nest = mptcp_nest(buf, n), a;
	struct nlattr *attr;
	struct mps_subflow s;
	struct mps_conn c;

	/* An attribute claiming more than the message holds. */
	attr = (struct nlattr *)(buf + ATTRS_OFF);
	attr->nla_len = (uint16_t)(n - ATTRS_OFF + 4);
	assert_int_equal(mps_diag_parse_subflow(nlh, &s), -EINVAL);
	attr->nla_len = 2; /* shorter than its own header */
	assert_int_equal(mps_diag_parse_subflow(nlh, &s), -EINVAL);

	/* FLAGS (u32) as a u16 inside the mptcp nest: a length the policy rejects. */
	n = golden_load_hex("diag_sf_join_bkup_loc", buf, sizeof(buf));
	a = find_attr(buf, nest + 4, nest + ((struct nlattr *)(buf + nest))->nla_len, 8);
	assert_true(a);
	((struct nlattr *)(buf + a))->nla_len = 6;
	assert_int_equal(mps_diag_parse_subflow(nlh, &s), -EINVAL);
	assert_int_equal(s.token_loc, 0); /* nothing half-filled */

	/* Wrong message type, wrong family. */
	n = golden_load_hex("diag_sf_join_bkup_loc", buf, sizeof(buf));
	nlh->nlmsg_type = NLMSG_ERROR;
	assert_int_equal(mps_diag_parse_subflow(nlh, &s), -EINVAL);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	buf[NLMSG_HDRLEN] = AF_UNIX;
	assert_int_equal(mps_diag_parse_subflow(nlh, &s), -EINVAL);
	assert_int_equal(mps_diag_parse_conn(nlh, &c), -EINVAL);
	(void)n;
}

/* A newer kernel's unknown attributes, at both levels, change nothing. */
static void test_unknown_attrs_skipped(void **state)
{
	unsigned char buf[MSG_MAX];
	size_t n = golden_load_hex("diag_sf_join_bkup_loc", buf, sizeof(buf));
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct mps_subflow want, got;
	struct nlattr *a;

	assert_int_equal(mps_diag_parse_subflow(nlh, &want), 0);
	/* Top level: type 200 with 8 bytes appended. */
	a = (struct nlattr *)(buf + n);
	a->nla_len = 12;
	a->nla_type = 200;
	memset(a + 1, 0xab, 8);
	nlh->nlmsg_len = (uint32_t)(n + 12);
	assert_int_equal(mps_diag_parse_subflow(nlh, &got), 0);
	assert_memory_equal(&want, &got, sizeof(want));

	/* Inside the mptcp nest: retype ID_LOC as an unknown attribute: loc_id reads 0. */
	n = golden_load_hex("diag_sf_join_bkup_loc", buf, sizeof(buf));
	{
		size_t nest = mptcp_nest(buf, n);
		size_t end = nest + ((struct nlattr *)(buf + nest))->nla_len;
		size_t id = find_attr(buf, nest + 4, end, 10 /* ID_LOC */);

		assert_true(id);
		((struct nlattr *)(buf + id))->nla_type = 99;
	}
	assert_int_equal(mps_diag_parse_subflow(nlh, &got), 0);
	assert_int_equal(got.loc_id, 0);
	got.loc_id = want.loc_id;
	assert_memory_equal(&want, &got, sizeof(want));
}

/* Another ULP ("tls") is not a subflow. */
static void test_other_ulp(void **state)
{
	unsigned char buf[MSG_MAX];
	size_t n = golden_load_hex("diag_sf_mcap", buf, sizeof(buf));
	size_t ulp = find_attr(buf, ATTRS_OFF, n, 19);
	size_t name = find_attr(buf, ulp + 4, n, 1 /* INET_ULP_INFO_NAME */);
	struct mps_subflow s;

	assert_true(name);
	memcpy(buf + name + 4, "tls\0\0", 5);
	assert_int_equal(mps_diag_parse_subflow((struct nlmsghdr *)buf, &s), -ENOENT);
	memcpy(buf + name + 4, "mptcpx", 6); /* attribute is 6 bytes: "mptcp\0" */
	assert_int_equal(mps_diag_parse_subflow((struct nlmsghdr *)buf, &s), -ENOENT);
}

/* Short INET_DIAG_INFO (an older kernel's smaller struct): copied by length. */
static void test_short_info(void **state)
{
	unsigned char buf[MSG_MAX];
	size_t n = golden_load_hex("diag_conn_v4", buf, sizeof(buf));
	size_t info = find_attr(buf, ATTRS_OFF, n, 2 /* INET_DIAG_INFO */);
	struct nlattr *a = (struct nlattr *)(buf + info);
	struct mps_conn c;

	assert_true(info);
	assert_int_equal(a->nla_len, 4 + 96);
	/* 40 bytes: the 6.1 layout, up to rcv_nxt. The tail becomes an unknown attribute. */
	a->nla_len = 4 + 40;
	a = (struct nlattr *)(buf + info + 44);
	a->nla_len = 56;
	a->nla_type = 250;
	assert_int_equal(mps_diag_parse_conn((struct nlmsghdr *)buf, &c), 0);
	assert_int_equal(c.token, 0x206053d9);
	assert_int_equal(c.subflows_reported, 1);
	assert_int_equal(c.bytes_sent, 0);
	assert_int_equal(c.last_data_sent_ms, 0);
}

/* ---- interface cache, snapshot lookups, names --------------------------- */

static void test_ifcache_lookups(void **state)
{
	struct mps_link links[] = {
		{ .ifindex = 1, .name = "lo", .loopback = true },
		{ .ifindex = 2, .name = "veth1", .up = true, .carrier = true },
		{ .ifindex = 7, .name = "wlan0", .up = true },
	};
	struct mps_ifaddr addrs[3] = { { .ifindex = 2 }, { .ifindex = 7 }, { .ifindex = 2 } };
	struct mps_ifcache c = { .n_links = 3, .n_addrs = 3, .links = links, .addrs = addrs };
	struct mps_addr a;

	assert_int_equal(mps_addr_parse("10.0.1.1", false, &addrs[0].addr), 0);
	assert_int_equal(mps_addr_parse("192.168.1.5", false, &addrs[1].addr), 0);
	assert_int_equal(mps_addr_parse("fd00:1::1", false, &addrs[2].addr), 0);

	assert_ptr_equal(mps_ifcache_link(&c, 7), &links[2]);
	assert_null(mps_ifcache_link(&c, 3));
	assert_ptr_equal(mps_ifcache_link_by_name(&c, "veth1"), &links[1]);
	assert_null(mps_ifcache_link_by_name(&c, "veth"));
	assert_null(mps_ifcache_link_by_name(&c, NULL));

	assert_int_equal(mps_addr_parse("192.168.1.5:443", true, &a), 0); /* port ignored */
	assert_ptr_equal(mps_ifcache_addr(&c, &a), &addrs[1]);
	assert_int_equal(mps_addr_parse("::ffff:10.0.1.1", false, &a), 0); /* v4-mapped */
	assert_ptr_equal(mps_ifcache_addr(&c, &a), &addrs[0]);
	assert_int_equal(mps_addr_parse("[fd00:1::1]:80", true, &a), 0);
	assert_ptr_equal(mps_ifcache_addr(&c, &a), &addrs[2]);
	assert_int_equal(mps_addr_parse("10.0.1.2", false, &a), 0);
	assert_null(mps_ifcache_addr(&c, &a));

	assert_null(mps_ifcache_link(NULL, 1));
	assert_null(mps_ifcache_addr(NULL, &a));
	mps_ifcache_free(NULL);
}

static void test_snapshot_find(void **state)
{
	struct mps_conn conns[] = {
		{ .token = 3 }, { .token = 0x80000000 }, { .token = 0xfffffff0 },
	};
	struct mps_snapshot s = { .n_conns = 3, .conns = conns };
	struct mps_snapshot empty = { 0 };

	assert_ptr_equal(mps_snapshot_find(&s, 3), &conns[0]);
	assert_ptr_equal(mps_snapshot_find(&s, 0x80000000), &conns[1]);
	assert_ptr_equal(mps_snapshot_find(&s, 0xfffffff0), &conns[2]);
	assert_null(mps_snapshot_find(&s, 4));
	assert_null(mps_snapshot_find(&empty, 3));
	assert_null(mps_snapshot_find(NULL, 3));
	mps_snapshot_free(NULL);
}

static void test_state_names(void **state)
{
	assert_string_equal(mps_tcp_state_name(1), "ESTAB");
	assert_string_equal(mps_tcp_state_name(2), "SYN-SENT");
	assert_string_equal(mps_tcp_state_name(8), "CLOSE-WAIT");
	assert_string_equal(mps_tcp_state_name(10), "LISTEN");
	assert_string_equal(mps_tcp_state_name(0), "UNKNOWN");
	assert_string_equal(mps_tcp_state_name(200), "UNKNOWN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conn_v4),
		cmocka_unit_test(test_conn_mapped),
		cmocka_unit_test(test_conn_v6),
		cmocka_unit_test(test_conn_fallback),
		cmocka_unit_test(test_conn_listen),
		cmocka_unit_test(test_subflow_mcap),
		cmocka_unit_test(test_subflow_join_backup_local),
		cmocka_unit_test(test_subflow_join_backup_peer),
		cmocka_unit_test(test_subflow_mapped),
		cmocka_unit_test(test_subflow_v6_join),
		cmocka_unit_test(test_subflow_fallback),
		cmocka_unit_test(test_plain_tcp_is_not_a_subflow),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_unknown_attrs_skipped),
		cmocka_unit_test(test_other_ulp),
		cmocka_unit_test(test_short_info),
		cmocka_unit_test(test_ifcache_lookups),
		cmocka_unit_test(test_snapshot_find),
		cmocka_unit_test(test_state_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
