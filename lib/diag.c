/* SPDX-License-Identifier: MIT */
/*
 * sock_diag for MPTCP: connections (protocol 262 through INET_DIAG_REQ_PROTOCOL,
 * struct mptcp_info in INET_DIAG_INFO) and subflows (TCP sockets carrying the
 * "mptcp" ULP block).
 *
 * The parsers trust nothing but nlh->nlmsg_len (the caller guarantees that
 * many bytes are readable): every header and attribute length is checked,
 * unknown attributes are skipped, structs the kernel may grow or shrink
 * (tcp_info, mptcp_info) are copied by the length it returned.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h> /* struct tcp_info with bytes_* (netinet/tcp.h's is older) */

#include "mpsteer/diag.h"
#include "nl.h"
#include "uapi_diag.h"

/* Every TCP state except LISTEN (TCP_ESTABLISHED = 1 ... TCP_NEW_SYN_RECV = 12). */
#define STATES_ALL 0xfffu
#define STATES_NO_LISTEN (STATES_ALL & ~(1u << MPS_TCP_LISTEN))

/* Both families: an AF_INET6 socket may carry v4-mapped subflows, an AF_INET one never v6. */
static const uint8_t families[] = { AF_INET, AF_INET6 };

/* The carried values are ABI; where the host's uapi has them they must agree. */
_Static_assert(MPS_INET_DIAG_REQ_PROTOCOL == INET_DIAG_REQ_PROTOCOL, "INET_DIAG_REQ_PROTOCOL");
_Static_assert(MPS_INET_DIAG_INFO == INET_DIAG_INFO, "INET_DIAG_INFO");
_Static_assert(MPS_INET_DIAG_ULP_INFO == INET_DIAG_ULP_INFO, "INET_DIAG_ULP_INFO");
_Static_assert(MPS_INET_DIAG_CGROUP_ID == INET_DIAG_CGROUP_ID, "INET_DIAG_CGROUP_ID");
_Static_assert(MPS_INET_ULP_INFO_MPTCP == INET_ULP_INFO_MPTCP, "INET_ULP_INFO_MPTCP");

/* ---- parsing ---------------------------------------------------------- */

/* The inet_diag_msg at the head of a SOCK_DIAG_BY_FAMILY reply, or NULL. */
static const struct inet_diag_msg *diag_msg(const struct nlmsghdr *nlh)
{
	const struct inet_diag_msg *m;

	if (!nlh || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*m)) ||
	    nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return NULL;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return NULL;
	return m;
}

/*
 * Walks len bytes of attributes. Unlike mnl_attr_parse, which stops quietly
 * at the first attribute that does not fit, a message cut inside an attribute
 * (or with bytes after the last one) is -EINVAL: the kernel fills its
 * messages exactly.
 */
static int attr_walk(const void *start, size_t len, mnl_attr_cb_t cb, void *data)
{
	const struct nlattr *attr = start;
	size_t step;

	while (len >= sizeof(*attr)) {
		if (attr->nla_len < sizeof(*attr) || attr->nla_len > len)
			return -EINVAL;
		if (cb(attr, data) == MNL_CB_ERROR)
			return -EINVAL;
		step = MNL_ALIGN(attr->nla_len);
		if (step >= len)
			return 0; /* the last attribute's padding may be missing */
		len -= step;
		attr = (const struct nlattr *)((const char *)attr + step);
	}
	return len ? -EINVAL : 0;
}

static int attr_walk_msg(const struct nlmsghdr *nlh, size_t hdrlen, mnl_attr_cb_t cb, void *data)
{
	size_t off = MNL_NLMSG_HDRLEN + MNL_ALIGN(hdrlen);

	if (nlh->nlmsg_len < off)
		return 0; /* no attributes */
	return attr_walk((const char *)nlh + off, nlh->nlmsg_len - off, cb, data);
}

static int attr_walk_nested(const struct nlattr *nest, mnl_attr_cb_t cb, void *data)
{
	return attr_walk(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), cb, data);
}

static void sockid_addr(int family, const __be32 ip[4], __be16 port, struct mps_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	memcpy(&a->v6, ip, family == AF_INET ? 4 : 16);
	a->port = ntohs(port);
	mps_addr_unmap(a);
}

/* Copies a kernel struct of possibly different size: at most dlen bytes, rest zero. */
static void copy_by_len(void *dst, size_t dlen, const struct nlattr *attr)
{
	size_t n = mnl_attr_get_payload_len(attr);

	memset(dst, 0, dlen);
	memcpy(dst, mnl_attr_get_payload(attr), n < dlen ? n : dlen);
}

struct conn_attrs {
	const struct nlattr *info;
	uint64_t cgroup_id;
};

static int conn_attr_cb(const struct nlattr *attr, void *data)
{
	struct conn_attrs *ca = data;

	if (mnl_attr_get_type(attr) == MPS_INET_DIAG_INFO)
		ca->info = attr;
	else if (mnl_attr_get_type(attr) == MPS_INET_DIAG_CGROUP_ID &&
		 mnl_attr_get_payload_len(attr) == 8)
		ca->cgroup_id = mnl_attr_get_u64(attr);
	return MNL_CB_OK;
}

static void conn_fill_info(struct mps_conn *c, const struct nlattr *attr)
{
	struct mps_uapi_mptcp_info mi;

	copy_by_len(&mi, sizeof(mi), attr);
	c->token = mi.mptcpi_token;
	c->info_flags = mi.mptcpi_flags;
	c->fallback = mi.mptcpi_flags & MPS_MPTCP_INFO_FLAG_FALLBACK;
	c->subflows_reported = mi.mptcpi_subflows;
	c->local_addr_used = mi.mptcpi_local_addr_used;
	c->add_addr_signal = mi.mptcpi_add_addr_signal;
	c->add_addr_accepted = mi.mptcpi_add_addr_accepted;
	c->bytes_sent = mi.mptcpi_bytes_sent;
	c->bytes_received = mi.mptcpi_bytes_received;
	c->bytes_acked = mi.mptcpi_bytes_acked;
	c->bytes_retrans = mi.mptcpi_bytes_retrans;
	c->last_data_sent_ms = mi.mptcpi_last_data_sent;
	c->last_data_recv_ms = mi.mptcpi_last_data_recv;
}

int mps_diag_parse_conn(const struct nlmsghdr *nlh, struct mps_conn *out)
{
	const struct inet_diag_msg *m = diag_msg(nlh);
	struct conn_attrs ca = { 0 };

	memset(out, 0, sizeof(*out));
	if (!m)
		return -EINVAL;
	if (attr_walk_msg(nlh, sizeof(*m), conn_attr_cb, &ca) < 0)
		return -EINVAL;
	sockid_addr(m->idiag_family, m->id.idiag_src, m->id.idiag_sport, &out->local);
	sockid_addr(m->idiag_family, m->id.idiag_dst, m->id.idiag_dport, &out->remote);
	out->state = m->idiag_state;
	out->inode = m->idiag_inode;
	out->cookie = (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
	/* Without INET_DIAG_INFO (not requested) the token stays 0. */
	if (ca.info)
		conn_fill_info(out, ca.info);
	out->cgroup_id = ca.cgroup_id;
	return 0;
}

struct sf_attrs {
	const struct nlattr *info; /* tcp_info */
	const struct nlattr *mptcp; /* INET_ULP_INFO_MPTCP nest */
	bool is_mptcp;             /* INET_ULP_INFO_NAME == "mptcp" */
	uint64_t cgroup_id;
};

static bool ulp_name_is_mptcp(const struct nlattr *attr)
{
	const char *p = mnl_attr_get_payload(attr);
	size_t len = mnl_attr_get_payload_len(attr);

	/* nla_put_string includes the NUL; accept its absence too. */
	return len >= 5 && memcmp(p, "mptcp", 5) == 0 && (len == 5 || p[5] == '\0');
}

static int ulp_attr_cb(const struct nlattr *attr, void *data)
{
	struct sf_attrs *sa = data;

	switch (mnl_attr_get_type(attr)) {
	case MPS_INET_ULP_INFO_NAME:
		sa->is_mptcp = ulp_name_is_mptcp(attr);
		break;
	case MPS_INET_ULP_INFO_MPTCP:
		sa->mptcp = attr;
		break;
	}
	return MNL_CB_OK;
}

static int sf_attr_cb(const struct nlattr *attr, void *data)
{
	struct sf_attrs *sa = data;

	switch (mnl_attr_get_type(attr)) {
	case MPS_INET_DIAG_INFO:
		sa->info = attr;
		break;
	case MPS_INET_DIAG_ULP_INFO:
		if (attr_walk_nested(attr, ulp_attr_cb, sa) < 0)
			return MNL_CB_ERROR;
		break;
	case MPS_INET_DIAG_CGROUP_ID:
		if (mnl_attr_get_payload_len(attr) == 8)
			sa->cgroup_id = mnl_attr_get_u64(attr);
		break;
	}
	return MNL_CB_OK;
}

/* Expected payload size of each MPTCP_SUBFLOW_ATTR_* we read; 0 = not read. */
static const uint8_t sf_attr_len[MPS_MPTCP_SUBFLOW_ATTR_MAX_ + 1] = {
	[MPS_MPTCP_SUBFLOW_ATTR_TOKEN_REM] = 4,
	[MPS_MPTCP_SUBFLOW_ATTR_TOKEN_LOC] = 4,
	[MPS_MPTCP_SUBFLOW_ATTR_FLAGS] = 4,
	[MPS_MPTCP_SUBFLOW_ATTR_ID_REM] = 1,
	[MPS_MPTCP_SUBFLOW_ATTR_ID_LOC] = 1,
};

static int mptcp_sf_attr_cb(const struct nlattr *attr, void *data)
{
	struct mps_subflow *s = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type > MPS_MPTCP_SUBFLOW_ATTR_MAX_ || !sf_attr_len[type])
		return MNL_CB_OK;
	if (mnl_attr_get_payload_len(attr) != sf_attr_len[type])
		return MNL_CB_ERROR;
	switch (type) {
	case MPS_MPTCP_SUBFLOW_ATTR_TOKEN_REM:
		s->token_rem = mnl_attr_get_u32(attr);
		break;
	case MPS_MPTCP_SUBFLOW_ATTR_TOKEN_LOC:
		s->token_loc = mnl_attr_get_u32(attr);
		break;
	case MPS_MPTCP_SUBFLOW_ATTR_FLAGS:
		s->flags = mnl_attr_get_u32(attr);
		break;
	case MPS_MPTCP_SUBFLOW_ATTR_ID_REM:
		s->rem_id = mnl_attr_get_u8(attr);
		break;
	case MPS_MPTCP_SUBFLOW_ATTR_ID_LOC:
		s->loc_id = mnl_attr_get_u8(attr);
		break;
	}
	return MNL_CB_OK;
}

static void sf_fill_tcp_info(struct mps_subflow *s, const struct nlattr *attr)
{
	struct tcp_info ti;

	copy_by_len(&ti, sizeof(ti), attr);
	s->rtt_us = ti.tcpi_rtt;
	s->rttvar_us = ti.tcpi_rttvar;
	s->cwnd = ti.tcpi_snd_cwnd;
	s->bytes_acked = ti.tcpi_bytes_acked;
	s->bytes_received = ti.tcpi_bytes_received;
	s->bytes_sent = ti.tcpi_bytes_sent;
	s->bytes_retrans = ti.tcpi_bytes_retrans;
	s->delivery_rate = ti.tcpi_delivery_rate;
	s->min_rtt_us = ti.tcpi_min_rtt;
	s->backoff = ti.tcpi_backoff;
	s->retransmits = ti.tcpi_retransmits;
	s->unacked = ti.tcpi_unacked;
	s->lost = ti.tcpi_lost;
	s->total_retrans = ti.tcpi_total_retrans;
	s->last_ack_recv_ms = ti.tcpi_last_ack_recv;
}

/*
 * Backup bits, measured on 6.18: after `ip mptcp endpoint change id N backup`
 * on the client (which sends MP_PRIO on its subflows of that endpoint), the
 * client's subflow shows BKUP_LOC and the server's end of the same subflow
 * shows BKUP_REM; `nobackup` clears both. So BKUP_LOC = "we asked the peer to
 * treat it as backup", BKUP_REM = "the peer asked us". The scheduler honours
 * either (KERNEL.md).
 */
static void sf_fill_backup(struct mps_subflow *s)
{
	s->backup_local = s->flags & MPS_SF_BKUP_LOC;
	s->backup_peer = s->flags & MPS_SF_BKUP_REM;
}

int mps_diag_parse_subflow(const struct nlmsghdr *nlh, struct mps_subflow *out)
{
	const struct inet_diag_msg *m = diag_msg(nlh);
	struct sf_attrs sa = { 0 };

	memset(out, 0, sizeof(*out));
	if (!m)
		return -EINVAL;
	if (attr_walk_msg(nlh, sizeof(*m), sf_attr_cb, &sa) < 0)
		return -EINVAL;
	if (!sa.is_mptcp)
		return -ENOENT;
	sockid_addr(m->idiag_family, m->id.idiag_src, m->id.idiag_sport, &out->local);
	sockid_addr(m->idiag_family, m->id.idiag_dst, m->id.idiag_dport, &out->remote);
	out->state = m->idiag_state;
	out->inode = m->idiag_inode;
	out->ifindex = (int)m->id.idiag_if;
	/*
	 * Tokens, ids and flags come without privilege (checked on 6.18 as uid
	 * 65534 with no capabilities); only the sequence numbers, which we do not
	 * read, need CAP_NET_ADMIN.
	 */
	if (sa.mptcp && attr_walk_nested(sa.mptcp, mptcp_sf_attr_cb, out) < 0) {
		memset(out, 0, sizeof(*out));
		return -EINVAL;
	}
	sf_fill_backup(out);
	out->cgroup_id = sa.cgroup_id;
	if (sa.info)
		sf_fill_tcp_info(out, sa.info);
	return 0;
}

/* ---- requests --------------------------------------------------------- */

/*
 * Builds an inet_diag_req_v2. sdiag_protocol is a u8, so MPTCP (262) goes in
 * INET_DIAG_REQ_PROTOCOL; the kernel prefers that attribute when present.
 */
static struct nlmsghdr *diag_req(char *buf, uint8_t family, uint32_t protocol, uint32_t states,
				 bool dump)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *r;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0);
	r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
	r->sdiag_family = family;
	r->sdiag_protocol = protocol > 255 ? IPPROTO_TCP : (uint8_t)protocol;
	r->idiag_states = states;
	r->idiag_ext = 1 << (MPS_INET_DIAG_INFO - 1);
	r->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (protocol > 255)
		mnl_attr_put_u32(nlh, MPS_INET_DIAG_REQ_PROTOCOL, protocol);
	return nlh;
}

struct dump_ctx {
	mps_conn_cb conn_cb;
	mps_subflow_cb sf_cb;
	void *data;
	int err; /* parse error or the callback's non-zero value */
};

static int conn_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct mps_conn c;

	d->err = mps_diag_parse_conn(nlh, &c);
	if (!d->err)
		d->err = d->conn_cb(&c, d->data);
	return d->err ? MNL_CB_STOP : MNL_CB_OK;
}

static int sf_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct mps_subflow s;

	d->err = mps_diag_parse_subflow(nlh, &s);
	if (d->err == -ENOENT) {
		d->err = 0; /* plain TCP */
		return MNL_CB_OK;
	}
	if (!d->err)
		d->err = d->sf_cb(&s, d->data);
	return d->err ? MNL_CB_STOP : MNL_CB_OK;
}

/* One dump per family; stops at the first error or non-zero callback value. Through `own`
 * when given, else a socket of its own. */
static int dump_both(struct mps_nl *own, uint32_t protocol, uint32_t states, mnl_cb_t cb,
		     struct dump_ctx *d)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mps_nl tmp, *nl = own ? own : &tmp;
	size_t i;
	int err = 0;

	if (!own)
		err = mps_nl_open(&tmp, NETLINK_SOCK_DIAG);
	if (err)
		return err;
	for (i = 0; i < sizeof(families) && !err && !d->err; i++)
		err = mps_nl_talk(nl, diag_req(buf, families[i], protocol, states, true), cb, d);
	if (!own)
		mps_nl_close(&tmp);
	return err ? err : d->err;
}

int mps_diag_conns(bool with_listeners, mps_conn_cb cb, void *data)
{
	struct dump_ctx d = { .conn_cb = cb, .data = data };

	return dump_both(NULL, IPPROTO_MPTCP, with_listeners ? STATES_ALL : STATES_NO_LISTEN, conn_msg_cb,
			 &d);
}

int mps_diag_subflows(mps_subflow_cb cb, void *data)
{
	struct dump_ctx d = { .sf_cb = cb, .data = data };

	/* Listening TCP sockets of MPTCP listeners carry the ULP too, but no connection. */
	return dump_both(NULL, IPPROTO_TCP, STATES_NO_LISTEN, sf_msg_cb, &d);
}

struct mps_diag_sock {
	struct mps_nl nl;
};

int mps_diag_sock_new(struct mps_diag_sock **out)
{
	struct mps_diag_sock *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	err = mps_nl_open(&s->nl, NETLINK_SOCK_DIAG);
	if (err) {
		free(s);
		return err;
	}
	*out = s;
	return 0;
}

void mps_diag_sock_free(struct mps_diag_sock *s)
{
	if (!s)
		return;
	mps_nl_close(&s->nl);
	free(s);
}

int mps_diag_conns_on(struct mps_diag_sock *s, mps_conn_cb cb, void *data)
{
	struct dump_ctx d = { .conn_cb = cb, .data = data };

	return dump_both(&s->nl, IPPROTO_MPTCP, STATES_NO_LISTEN, conn_msg_cb, &d);
}

static void put_sockid(struct inet_diag_sockid *id, const struct mps_sock_id *k)
{
	const struct mps_addr *a[2] = { &k->local, &k->remote };
	__be32 *ip[2] = { id->idiag_src, id->idiag_dst };

	for (int i = 0; i < 2; i++) {
		if (k->family == AF_INET6 && a[i]->family == AF_INET) {
			ip[i][2] = htonl(0xffff); /* ::ffff:a.b.c.d */
			memcpy(&ip[i][3], &a[i]->v4, 4);
		} else {
			memcpy(ip[i], &a[i]->v6, a[i]->family == AF_INET ? 4 : 16);
		}
	}
	id->idiag_sport = htons(k->local.port);
	id->idiag_dport = htons(k->remote.port);
	id->idiag_if = (uint32_t)k->ifindex;
	id->idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	id->idiag_cookie[1] = INET_DIAG_NOCOOKIE;
}

#define LOOKUP_BATCH 128 /* replies of one batch fit a default receive buffer */

struct lookup_ctx {
	uint32_t seq0;
	size_t n, answered;
	bool *found;
	mps_subflow_cb cb;
	void *data;
	int err;
};

static void lookup_reply(const struct nlmsghdr *nlh, struct lookup_ctx *x)
{
	struct mps_subflow sf;
	size_t i = nlh->nlmsg_seq - x->seq0;

	if (i >= x->n)
		return; /* not an answer to this batch */
	x->answered++;
	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY || mps_diag_parse_subflow(nlh, &sf))
		return; /* NLMSG_ERROR (not found) or not a subflow */
	if (x->found)
		x->found[i] = true;
	if (!x->err)
		x->err = x->cb(&sf, x->data);
}

static int lookup_batch(struct mps_nl *nl, const struct mps_sock_id *ids, size_t n,
			struct lookup_ctx *x)
{
	char buf[LOOKUP_BATCH * 96], rbuf[32768];
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, sizeof(buf));

	x->seq0 = nl->seq + 1;
	x->n = n;
	x->answered = 0;
	for (size_t i = 0; i < n; i++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b));
		struct inet_diag_req_v2 *r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));

		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		nlh->nlmsg_flags = NLM_F_REQUEST;
		nlh->nlmsg_seq = ++nl->seq;
		r->sdiag_family = (uint8_t)ids[i].family;
		r->sdiag_protocol = IPPROTO_TCP;
		r->idiag_states = STATES_ALL;
		r->idiag_ext = 1 << (MPS_INET_DIAG_INFO - 1);
		put_sockid(&r->id, &ids[i]);
		mnl_nlmsg_batch_next(b);
	}
	if (mnl_socket_sendto(nl->sk, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0) {
		mnl_nlmsg_batch_stop(b);
		return -errno;
	}
	mnl_nlmsg_batch_stop(b);
	while (x->answered < n) {
		ssize_t len = mnl_socket_recvfrom(nl->sk, rbuf, sizeof(rbuf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)rbuf;
		int left = (int)len;

		if (len < 0)
			return -errno;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
			lookup_reply(nlh, x);
	}
	return 0;
}

int mps_diag_subflows_lookup(struct mps_diag_sock *s, const struct mps_sock_id *ids, size_t n,
			     bool *found, mps_subflow_cb cb, void *data)
{
	struct lookup_ctx x = { .cb = cb, .data = data };
	int err = 0;

	for (size_t i = 0; i < n && !err && !x.err; i += LOOKUP_BATCH) {
		x.found = found ? found + i : NULL;
		err = lookup_batch(&s->nl, ids + i, n - i < LOOKUP_BATCH ? n - i : LOOKUP_BATCH, &x);
	}
	return err ? err : x.err;
}

struct by_token {
	uint32_t token;
	struct mps_conn *out;
	bool found;
};

static int by_token_cb(const struct mps_conn *c, void *data)
{
	struct by_token *bt = data;

	if (c->token != bt->token)
		return 0;
	*bt->out = *c;
	bt->found = true;
	return 1; /* stop the dump */
}

static int exact_cb(const struct nlmsghdr *nlh, void *data)
{
	struct by_token *bt = data;
	struct mps_conn c;

	if (mps_diag_parse_conn(nlh, &c) == 0 && c.token == bt->token) {
		*bt->out = c;
		bt->found = true;
	}
	return MNL_CB_OK;
}

/*
 * The kernel looks the token up itself when the request is not a dump and
 * carries it in idiag_cookie[0] (mptcp_diag_dump_one); the family only routes
 * the request to inet_diag. Kernels without that path get a dump + filter.
 */
static int conn_by_token_exact(struct by_token *bt)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = diag_req(buf, AF_INET, IPPROTO_MPTCP, STATES_ALL, false);
	struct inet_diag_req_v2 *r = mnl_nlmsg_get_payload(nlh);
	struct mps_nl nl;
	int err;

	r->id.idiag_cookie[0] = bt->token;
	r->id.idiag_cookie[1] = 0;
	err = mps_nl_open(&nl, NETLINK_SOCK_DIAG);
	if (err)
		return err;
	err = mps_nl_talk(&nl, nlh, exact_cb, bt);
	mps_nl_close(&nl);
	return err;
}

int mps_diag_conn_by_token(uint32_t token, struct mps_conn *out)
{
	struct by_token bt = { .token = token, .out = out };
	int err;

	memset(out, 0, sizeof(*out));
	err = conn_by_token_exact(&bt);
	if (bt.found)
		return 0;
	if (err == -ENOENT)
		return -ENOENT;
	err = mps_diag_conns(true, by_token_cb, &bt);
	if (bt.found)
		return 0;
	return err < 0 ? err : -ENOENT;
}
