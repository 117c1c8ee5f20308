/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the sock_diag reply parsers (mps_diag_parse_conn,
 * mps_diag_parse_subflow). The input is one reply message; its nlmsg_len is
 * set to the input size, as mnl_cb_run guarantees before a parser sees it,
 * and its type to SOCK_DIAG_BY_FAMILY so that the fuzzer spends its time in
 * the attributes rather than in the first check. The golden captures make a
 * good seed corpus:
 *   mkdir corpus; for f in tests/unit/golden/diag_*.hex; do
 *     grep -v '^#' "$f" | xxd -r -p > corpus/$(basename "$f" .hex); done
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/sock_diag.h>

#include "mpsteer/diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touch every field so that one left uninitialised shows under the sanitizers. */
static unsigned consume_conn(const struct mps_conn *c)
{
	char l[MPS_ADDRSTRLEN], r[MPS_ADDRSTRLEN];

	mps_addr_format(&c->local, l, sizeof(l));
	mps_addr_format(&c->remote, r, sizeof(r));
	return (unsigned)(l[0] + r[0] + mps_tcp_state_name(c->state)[0]) + c->token + c->inode +
	       (unsigned)c->cookie + c->info_flags + c->fallback + c->subflows_reported +
	       c->local_addr_used + c->add_addr_signal + c->add_addr_accepted +
	       (unsigned)(c->bytes_sent + c->bytes_received + c->bytes_acked + c->bytes_retrans) +
	       c->last_data_sent_ms + c->last_data_recv_ms;
}

static unsigned consume_subflow(const struct mps_subflow *s)
{
	char l[MPS_ADDRSTRLEN], r[MPS_ADDRSTRLEN];

	mps_addr_format(&s->local, l, sizeof(l));
	mps_addr_format(&s->remote, r, sizeof(r));
	return (unsigned)(l[0] + r[0]) + (unsigned)s->ifindex + (unsigned char)s->ifname[0] +
	       s->state + s->loc_id + s->rem_id + s->flags + s->backup_local + s->backup_peer +
	       s->token_loc + s->token_rem + s->rtt_us + s->rttvar_us + s->cwnd + s->inode +
	       (unsigned)(s->bytes_acked + s->bytes_received + s->bytes_sent + s->bytes_retrans +
			  s->delivery_rate);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nlmsghdr *nlh;
	struct mps_subflow s;
	struct mps_conn c;
	volatile unsigned sink = 0;

	if (size < sizeof(*nlh) || size > 65536)
		return 0;
	/* An exact-size heap copy: ASan reports any read past the message. */
	nlh = malloc(size);
	if (!nlh)
		return 0;
	memcpy(nlh, data, size);
	nlh->nlmsg_len = (uint32_t)size;
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	if (mps_diag_parse_conn(nlh, &c) == 0)
		sink += consume_conn(&c);
	if (mps_diag_parse_subflow(nlh, &s) == 0)
		sink += consume_subflow(&s);
	free(nlh);
	(void)sink;
	return 0;
}
