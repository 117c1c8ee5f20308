/* SPDX-License-Identifier: MIT */
/*
 * Developer tool for the "mptcp_pm" module: runs one command against the
 * kernel and prints the errno and extended-ACK text, or captures raw event
 * messages as hex (one line per message: "NAME HEX"), which is how the files
 * in tests/unit/golden/ were made. Not installed, not built by meson:
 *   cc -D_GNU_SOURCE -Iinclude -Ilib -o pmtool tests/tools/pmtool.c \
 *      build/lib/libmpsteer.a -lmnl
 *
 *   pmtool capture COUNT
 *   pmtool announce TOKEN ID ADDR[:PORT]
 *   pmtool remove TOKEN ID
 *   pmtool sf-create TOKEN ID LOCAL REMOTE:PORT
 *   pmtool sf-destroy TOKEN LOCAL:PORT REMOTE:PORT
 *   pmtool backup TOKEN LOCAL:PORT REMOTE:PORT 0|1
 *   pmtool add ID ADDR FLAGS | del ID [ADDR] | flush | addrs [TOKEN]
 *   pmtool limits [RCV SUBFLOWS] | epflags ID FLAGS
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "mpsteer/pm.h"

static unsigned long num(const char *s)
{
	return strtoul(s, NULL, 0);
}

static struct mps_addr addr(const char *s)
{
	struct mps_addr a;

	if (mps_addr_parse(s, true, &a)) {
		fprintf(stderr, "bad address %s\n", s);
		exit(2);
	}
	return a;
}

static int print_addr(const struct mps_pm_addr *a, void *data)
{
	char b[MPS_ADDRSTRLEN];

	printf("addr %s id %u flags 0x%x ifindex %d has 0x%x\n", mps_addr_format(&a->addr, b, sizeof(b)),
	       a->id, a->flags, a->ifindex, a->has);
	return 0;
}

static void print_event(const struct mps_event *ev)
{
	char s[MPS_ADDRSTRLEN], d[MPS_ADDRSTRLEN];

	fprintf(stderr, "# %s token %08x fam %u loc %u rem %u %s -> %s bk %u err %u fl 0x%x if %d has 0x%x\n",
		mps_event_name(ev->type) ? mps_event_name(ev->type) : "?", ev->token, ev->family,
		ev->loc_id, ev->rem_id, mps_addr_format(&ev->saddr, s, sizeof(s)),
		mps_addr_format(&ev->daddr, d, sizeof(d)), ev->backup, ev->error, ev->flags,
		ev->ifindex, ev->has);
}

static int capture(struct mps_pm *pm, int count)
{
	char buf[32768];
	int fd = mps_pm_fd(pm);

	int err = mps_pm_subscribe(pm);
	if (err)
		return err;
	printf("READY\n");
	fflush(stdout);
	while (count > 0) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		const struct nlmsghdr *nlh = (void *)buf;
		int len = (int)n;

		if (n < 0)
			return -errno;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			struct mps_event ev;
			const unsigned char *p = (const void *)nlh;

			if (mps_pm_event_parse(nlh, &ev))
				continue;
			printf("%s ", mps_event_name(ev.type) ? mps_event_name(ev.type) : "UNKNOWN");
			for (unsigned i = 0; i < nlh->nlmsg_len; i++)
				printf("%02x", p[i]);
			printf("\n");
			fflush(stdout);
			print_event(&ev);
			count--;
		}
	}
	return 0;
}

static int run(struct mps_pm *pm, int argc, char **argv)
{
	const char *c = argv[1];

	if (!strcmp(c, "capture") && argc == 3)
		return capture(pm, (int)num(argv[2]));
	if (!strcmp(c, "announce") && argc == 5) {
		struct mps_pm_addr a = { .addr = addr(argv[4]), .id = (uint8_t)num(argv[3]) };
		return mps_pm_announce(pm, (uint32_t)num(argv[2]), &a);
	}
	if (!strcmp(c, "remove") && argc == 4)
		return mps_pm_remove(pm, (uint32_t)num(argv[2]), (uint8_t)num(argv[3]));
	if (!strcmp(c, "sf-create") && argc == 6) {
		struct mps_pm_addr l = { .addr = addr(argv[4]), .id = (uint8_t)num(argv[3]) };
		struct mps_addr r = addr(argv[5]);
		return mps_pm_subflow_create(pm, (uint32_t)num(argv[2]), &l, &r);
	}
	if (!strcmp(c, "sf-destroy") && argc == 5) {
		struct mps_addr l = addr(argv[3]), r = addr(argv[4]);
		return mps_pm_subflow_destroy(pm, (uint32_t)num(argv[2]), &l, &r);
	}
	if (!strcmp(c, "backup") && argc == 6) {
		struct mps_addr l = addr(argv[3]), r = addr(argv[4]);
		return mps_pm_set_backup(pm, (uint32_t)num(argv[2]), &l, &r, num(argv[5]) != 0);
	}
	if (!strcmp(c, "add") && argc == 5) {
		struct mps_pm_addr a = { .addr = addr(argv[3]), .id = (uint8_t)num(argv[2]),
					 .flags = (uint32_t)num(argv[4]) };
		return mps_pm_add_addr(pm, &a);
	}
	if (!strcmp(c, "del") && (argc == 3 || argc == 4)) {
		struct mps_addr a;
		if (argc == 4)
			a = addr(argv[3]);
		return mps_pm_del_addr(pm, (uint8_t)num(argv[2]), argc == 4 ? &a : NULL);
	}
	if (!strcmp(c, "flush"))
		return mps_pm_flush_addrs(pm);
	if (!strcmp(c, "addrs"))
		return mps_pm_get_addrs(pm, argc > 2 ? (uint32_t)num(argv[2]) : 0, print_addr, NULL);
	if (!strcmp(c, "limits") && argc == 4) {
		struct mps_pm_limits l = { (uint32_t)num(argv[2]), (uint32_t)num(argv[3]) };
		return mps_pm_set_limits(pm, &l);
	}
	if (!strcmp(c, "limits")) {
		struct mps_pm_limits l;
		int err = mps_pm_get_limits(pm, &l);
		if (!err)
			printf("rcv_add_addrs %u subflows %u\n", l.rcv_add_addrs, l.subflows);
		return err;
	}
	if (!strcmp(c, "epflags") && argc == 4) {
		struct mps_pm_addr a = { .id = (uint8_t)num(argv[2]), .flags = (uint32_t)num(argv[3]) };
		return mps_pm_set_endpoint_flags(pm, &a);
	}
	fprintf(stderr, "usage: see the comment at the top of pmtool.c\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct mps_pm *pm;
	int err;

	if (argc < 2)
		return 2;
	err = mps_pm_new(&pm);
	if (err) {
		printf("new: %d (%s)\n", err, strerror(-err));
		return 1;
	}
	err = run(pm, argc, argv);
	printf("ret %d (%s) errmsg \"%s\"\n", err, err ? strerror(-err) : "ok", mps_pm_errmsg(pm));
	mps_pm_free(pm);
	return err ? 1 : 0;
}
