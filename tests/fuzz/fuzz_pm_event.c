/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: everything of the "mptcp_pm" module that reads bytes
 * from the kernel. The input is one datagram as recv() would return it; it
 * is walked like mps_pm_recv_events() does, and each message is given to the
 * event, address-reply and limits parsers. The golden captures make a good
 * seed corpus:
 *   mkdir corpus; for f in tests/unit/golden/ev*.hex; do
 *     xxd -r -p "$f" > corpus/$(basename "$f" .hex); done
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>

#include "mpsteer/pm.h"
#include "pm_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touch every field so that a parser leaving one uninitialised is caught
 * by the sanitizers rather than hidden by the optimiser. */
static unsigned consume(const struct mps_event *ev)
{
	char s[MPS_ADDRSTRLEN], d[MPS_ADDRSTRLEN];
	const char *name = mps_event_name(ev->type);
	const char *rr = mps_reset_reason_name(ev->reset_reason);

	mps_addr_format(&ev->saddr, s, sizeof(s));
	mps_addr_format(&ev->daddr, d, sizeof(d));
	return (unsigned)(s[0] + d[0] + (name ? name[0] : 0) + (rr ? rr[0] : 0)) + ev->has +
	       ev->token + ev->family + ev->loc_id + ev->rem_id + ev->backup + ev->error +
	       ev->flags + ev->timeout + (unsigned)ev->ifindex + ev->reset_flags;
}

static unsigned one_message(const struct nlmsghdr *nlh)
{
	struct mps_event ev;
	struct mps_pm_addr a;
	struct mps_pm_limits l;
	unsigned sink = 0;

	if (mps_pm_event_parse(nlh, &ev) == 0)
		sink += consume(&ev);
	if (mps_pm_addr_reply_parse(nlh, &a) == 0)
		sink += a.id + a.flags + (unsigned)a.ifindex + a.has + a.addr.port;
	if (mps_pm_limits_parse(nlh, &l) == 0)
		sink += l.subflows + l.rcv_add_addrs;
	return sink;
}

/* As lib/pm.c walks a datagram (mnl_nlmsg_ok() takes nlmsg_len >= 2^31 as
 * negative and lets it through). */
static int msg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (uint32_t)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size heap copy: ASan reports any read past the datagram. */
	uint8_t *buf = malloc(size ? size : 1);
	const struct nlmsghdr *nlh = (const void *)buf;
	int len = (int)size;
	volatile unsigned sink = 0;

	if (!buf || size > 65536) {
		free(buf);
		return 0;
	}
	memcpy(buf, data, size);
	for (; msg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
		sink += one_message(nlh);
	free(buf);
	(void)sink;
	return 0;
}
