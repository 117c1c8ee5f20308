/* SPDX-License-Identifier: MIT */
/*
 * Echo probes of paths that carry no traffic: a backup subflow's smoothed RTT
 * is as old as its last data, so the interactive policy could never see a
 * drained queue on a path it left. One ICMP (or ICMPv6) echo per path (local
 * address, peer address, interface) at most every probe_ms, sent from the
 * path's own address and interface (IP_PKTINFO), through the same queues as
 * the subflow; the reply's RTT goes to every subflow on that path.
 */
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mpsteerd.h"

#define PROBE_MAX_TARGETS 256

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint16_t csum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static struct mpsd_probe_target *target(struct mpsd *d, const struct mpsd_sf *sf, bool create)
{
	struct mpsd_probes *p = &d->probes;

	for (size_t i = 0; i < p->n; i++)
		if (mps_addr_same_ip(&p->t[i].local, &sf->local) &&
		    mps_addr_same_ip(&p->t[i].remote, &sf->remote) && p->t[i].ifindex == sf->ifindex)
			return &p->t[i];
	if (!create || p->n == PROBE_MAX_TARGETS)
		return NULL;
	if (p->n == p->cap) {
		size_t n = p->cap ? p->cap * 2 : 8;
		struct mpsd_probe_target *t = realloc(p->t, n * sizeof(*t));

		if (!t)
			return NULL;
		p->t = t;
		p->cap = n;
	}
	p->t[p->n] = (struct mpsd_probe_target){ .local = sf->local, .remote = sf->remote,
						 .ifindex = sf->ifindex };
	p->t[p->n].local.port = p->t[p->n].remote.port = 0;
	return &p->t[p->n++];
}

/* A reply: the RTT goes to every subflow on that path of the busy connections. */
static void deliver(struct mpsd *d, const struct mpsd_probe_target *t, uint32_t rtt_us)
{
	uint64_t now = now_ms();

	for (size_t k = 0; k < d->sampler.n_busy; k++) {
		struct mpsd_conn *c = conn_find(d, d->sampler.busy[k]);

		for (size_t i = 0; c && i < c->n_sf; i++)
			if (mps_addr_same_ip(&c->sf[i].local, &t->local) &&
			    mps_addr_same_ip(&c->sf[i].remote, &t->remote))
				mpsd_health_probe(&c->sf[i].health, rtt_us, now);
	}
	d->probes.replies++;
}

static void on_reply(struct mpsd *d, const struct mps_addr *from, uint16_t id, uint16_t seq)
{
	struct mpsd_probes *p = &d->probes;

	if (id != p->id)
		return;
	for (size_t i = 0; i < p->n; i++) {
		struct mpsd_probe_target *t = &p->t[i];

		if (t->seq == seq && t->sent_us && mps_addr_same_ip(&t->remote, from)) {
			uint64_t rtt = now_us() - t->sent_us;

			t->sent_us = 0; /* one answer per probe */
			deliver(d, t, rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt);
			return;
		}
	}
}

static void on_readable(struct mpsd *d, int fd, uint32_t events, void *data)
{
	uint8_t buf[512];
	struct sockaddr_storage ss;

	for (int k = 0; k < 64; k++) {
		socklen_t sl = sizeof(ss);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);
		struct mps_addr from = { 0 };
		const uint8_t *icmp = buf;

		if (n < 0)
			return;
		if (ss.ss_family == AF_INET) {
			const struct sockaddr_in *s = (const struct sockaddr_in *)&ss;
			size_t hl = n > 0 ? (size_t)(buf[0] & 0xf) * 4 : 0; /* v4 raw: with its header */

			if ((size_t)n < hl + 8 || buf[hl] != ICMP_ECHOREPLY)
				continue;
			icmp = buf + hl;
			from.family = AF_INET;
			from.v4 = s->sin_addr;
		} else {
			const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&ss;

			if (n < 8 || buf[0] != ICMP6_ECHO_REPLY)
				continue;
			from.family = AF_INET6;
			from.v6 = s->sin6_addr;
			mps_addr_unmap(&from);
		}
		on_reply(d, &from, (uint16_t)(icmp[4] << 8 | icmp[5]),
			 (uint16_t)(icmp[6] << 8 | icmp[7]));
	}
}

static int open_sock(struct mpsd *d, int family)
{
	int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);

	if (fd < 0)
		return -errno;
	if (family == AF_INET6) {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	} else {
		uint32_t mask = ~(1u << ICMP_ECHOREPLY); /* ICMP_FILTER: bits of types dropped */

		setsockopt(fd, SOL_RAW, 1 /* ICMP_FILTER */, &mask, sizeof(mask));
	}
	if (loop_add(d, fd, EPOLLIN, on_readable, NULL)) {
		close(fd);
		return -ENOMEM;
	}
	return fd;
}

/* An echo from the path's own address and interface. */
static int send_echo(struct mpsd *d, struct mpsd_probe_target *t)
{
	struct mpsd_probes *p = &d->probes;
	bool v4 = t->local.family == AF_INET;
	int *fd = v4 ? &p->fd4 : &p->fd6;
	uint8_t pkt[16] = { v4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST, 0 };
	char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))] = { 0 };
	struct sockaddr_storage ss = { 0 };
	struct iovec iov = { pkt, sizeof(pkt) };
	struct msghdr m = { .msg_name = &ss, .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf };
	struct cmsghdr *cm = (struct cmsghdr *)cbuf;

	if (*fd < 0 && (*fd = open_sock(d, t->local.family)) < 0) {
		int err = *fd;

		*fd = -1;
		return err;
	}
	t->seq = ++p->seq;
	pkt[4] = (uint8_t)(p->id >> 8);
	pkt[5] = (uint8_t)p->id;
	pkt[6] = (uint8_t)(t->seq >> 8);
	pkt[7] = (uint8_t)t->seq;
	if (v4) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;
		struct in_pktinfo pi = { .ipi_ifindex = t->ifindex, .ipi_spec_dst = t->local.v4 };
		uint16_t c = csum(pkt, sizeof(pkt));

		memcpy(&pkt[2], &c, 2);
		s->sin_family = AF_INET;
		s->sin_addr = t->remote.v4;
		m.msg_namelen = sizeof(*s);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		m.msg_controllen = CMSG_SPACE(sizeof(pi));
	} else { /* the kernel computes the ICMPv6 checksum */
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
		struct in6_pktinfo pi = { .ipi6_addr = t->local.v6,
					  .ipi6_ifindex = (unsigned)t->ifindex };

		s->sin6_family = AF_INET6;
		s->sin6_addr = t->remote.v6;
		m.msg_namelen = sizeof(*s);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		m.msg_controllen = CMSG_SPACE(sizeof(pi));
	}
	if (sendmsg(*fd, &m, MSG_DONTWAIT) < 0)
		return -errno;
	t->sent_us = now_us();
	t->sent_ms = now_ms();
	p->sent++;
	return 0;
}

void probe_tick(struct mpsd *d, uint64_t now)
{
	unsigned every = d->cfg.steer.interactive.probe_ms;

	if (!every)
		return;
	if (!d->probes.id)
		d->probes.id = (uint16_t)(getpid() ^ 0x6d70);
	/* The busy ones: an idle connection needs no fresh RTT until it sends again. */
	for (size_t k = 0; k < d->sampler.n_cur; k++) {
		const struct mpsd_conn *c = d->sampler.cur[k];

		if (c->steer.kind != MPSD_STEER_INTERACTIVE || c->has_override)
			continue;
		for (size_t i = 0; i < c->n_sf; i++) {
			const struct mpsd_sf *sf = &c->sf[i];
			struct mpsd_probe_target *t;

			if (sf->state != SF_ESTABLISHED || !sf->local.port)
				continue;
			t = target(d, sf, true);
			if (!t || now - t->sent_ms < every)
				continue;
			if (send_echo(d, t))
				d->probes.errors++;
		}
	}
}

void probe_fini(struct mpsd *d)
{
	struct mpsd_probes *p = &d->probes;

	for (int *fd = &p->fd4; fd; fd = fd == &p->fd4 ? &p->fd6 : NULL) {
		if (*fd >= 0) {
			loop_del(d, *fd);
			close(*fd);
		}
		*fd = -1;
	}
	free(p->t);
	p->t = NULL;
	p->n = p->cap = 0;
}
