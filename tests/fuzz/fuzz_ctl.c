/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: mpsteerd's control socket as a local client reaches it. The daemon's
 * own ctlsrv.c is compiled in (its static functions included), with the real connection
 * table (conn.c), config (config.c) and metrics rendering (metrics.c); what would touch the
 * kernel is faked below: a fake
 * daemon state with three connections on two interfaces, overrides recorded as pathmgr.c
 * records them, no MP_PRIO sent, reload succeeding or failing at the input's word.
 *
 * Input: byte 0 chooses the peer (root, a member of control_group, anyone), how the
 * rest is cut into writes, whether the peer reads its replies at once, whether the client is
 * left to go idle, and whether a reload fails; the rest is written to the daemon's socket as
 * the client would. Every reply must be one JSON object line with "ok".
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../src/mpsteerd/ctlsrv.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- what the real daemon does through the kernel, faked ---- */

static struct mps_link fake_links[] = {
	{ .ifindex = 2, .name = "eth0", .up = true, .carrier = true },
	{ .ifindex = 3, .name = "wlan0", .up = true, .carrier = true },
};
static struct mps_ifaddr fake_addrs[2];
static struct mps_ifcache fake_cache = { 2, 2, fake_links, fake_addrs };
static struct mpsd_iface fake_ifaces[2];
static uint64_t fake_now = 1000000;
static struct mpsd_timer *armed_idle;
static bool reload_fails;

const struct mpsd_iface *links_iface(struct mpsd *d, int ifindex)
{
	return ifindex == 2 ? &fake_ifaces[0] : ifindex == 3 ? &fake_ifaces[1] : NULL;
}

/* As pathmgr.c records them, without sending MP_PRIO. */
int pm_override_set(struct mpsd *d, uint32_t token, const char *via, char *err, size_t errlen)
{
	struct mpsd_conn *c;
	int ret = conn_override_set(d, token, via, &fake_cache, &c, err, errlen);

	if (!ret)
		d->stats.overrides++;
	return ret;
}

int pm_override_clear(struct mpsd *d, uint32_t token, char *err, size_t errlen)
{
	struct mpsd_conn *c;

	return conn_override_clear(d, token, &c, err, errlen);
}

static int fake_reload(struct mpsd *d, char *err, size_t errlen)
{
	if (reload_fails)
		return snprintf(err, errlen, "fuzz.conf:2: bad value 'x' for key 'policy'"), -EINVAL;
	return 0;
}

int loop_add(struct mpsd *d, int fd, uint32_t events, mpsd_io_cb cb, void *data)
{
	return 0;
}

int loop_mod(struct mpsd *d, int fd, uint32_t events, void *data)
{
	return 0;
}

void loop_del(struct mpsd *d, int fd)
{
}

void timer_arm(struct mpsd *d, struct mpsd_timer *t, uint64_t ms, mpsd_timer_cb cb, void *data)
{
	t->due_ms = fake_now + ms;
	t->cb = cb;
	t->data = data;
	armed_idle = t;
}

void timer_cancel(struct mpsd *d, struct mpsd_timer *t)
{
	t->due_ms = 0;
	if (armed_idle == t)
		armed_idle = NULL;
}

uint64_t now_ms(void)
{
	return fake_now;
}

/* ---- the fake daemon ---- */

static struct mpsd D;

static void add_conn_fixture(uint32_t token, bool server, bool unmanaged, int n_sf)
{
	struct mpsd_conn *c = conn_new(&D, token);

	if (!c)
		abort();
	c->state = CONN_ESTABLISHED;
	c->server_side = server;
	c->unmanaged = unmanaged;
	mps_addr_parse(server ? "10.0.1.2:443" : "10.0.1.1:40000", true, &c->local0);
	mps_addr_parse(server ? "10.0.9.9:5555" : "10.0.2.2:443", true, &c->remote0);
	for (int i = 0; i < n_sf; i++) {
		struct mpsd_sf *sf = conn_sf_add(c);

		if (!sf)
			abort();
		sf->state = i ? SF_PENDING : SF_ESTABLISHED;
		sf->local = c->local0;
		sf->remote = c->remote0;
		sf->ifindex = 2 + i;
		sf->loc_id = (uint8_t)i;
		sf->ours = i > 0;
	}
}

static void setup(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	log_init(MPSD_LOG_ERR + 1, false); /* errors only: the harness must stay quiet */
	mpsd_config_defaults(&D.cfg);
	D.cfg.has_group = true;
	D.cfg.gid = 4242;
	D.reload = fake_reload;
	D.ctl.lfd = -1;
	fake_ifaces[0].link = fake_links[0];
	fake_ifaces[1].link = fake_links[1];
	mps_addr_parse("10.0.1.1", false, &fake_addrs[0].addr);
	fake_addrs[0].ifindex = 2;
	mps_addr_parse("10.0.3.1", false, &fake_addrs[1].addr);
	fake_addrs[1].ifindex = 3;
	add_conn_fixture(0x1a2b3c4d, false, false, 2);
	add_conn_fixture(6699, true, false, 1);
	add_conn_fixture(7, false, true, 0);
}

/* Every reply line is a JSON object with a boolean "ok". */
static void read_replies(int fd, char *buf, size_t *len, size_t cap)
{
	ssize_t n;

	while ((n = recv(fd, buf + *len, cap - *len, MSG_DONTWAIT)) > 0) {
		char *p = buf, *nl;

		*len += (size_t)n;
		while ((nl = memchr(p, '\n', *len - (size_t)(p - buf)))) {
			json_t *j = json_loadb(p, (size_t)(nl - p), 0, NULL);

			if (!j || !json_is_boolean(json_object_get(j, "ok")))
				abort();
			json_decref(j);
			p = nl + 1;
		}
		*len -= (size_t)(p - buf);
		memmove(buf, p, *len);
		if (*len == cap) /* a line longer than any reply */
			abort();
	}
}

static bool alive(void)
{
	return D.ctl.clients[0] != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char rbuf[1 << 20];
	static const uid_t uids[] = { 0, 1000, 65534, 0 };
	struct mpsd_client *cl;
	size_t off = 1, rlen = 0, chunk;
	int sv[2], flags;

	if (size < 1)
		return 0;
	setup();
	D.metrics.bytes_at_ms = fake_now; /* "metrics": byte counts cached, no sock_diag dump */
	flags = data[0];
	reload_fails = flags & 0x40;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		return 0;
	/* A small buffer: replies go out in pieces, EPOLLOUT paths and the queue limit too. */
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &(int){ flags & 0x20 ? 4096 : 65536 },
		   sizeof(int));
	D.cfg.ctl_unpriv_queue = flags & 0x80 ? 4096 : MPSD_CTL_UNPRIV_QUEUE;
	cl = calloc(1, sizeof(*cl));
	cl->rbuf = malloc(MPS_CTL_MAX_REQUEST);
	cl->fd = sv[0];
	cl->cred_ok = (flags & 3) != 3;
	cl->cred.uid = uids[flags & 3];
	cl->cred.gid = (flags & 3) == 1 ? D.cfg.gid : 65534;
	D.ctl.clients[0] = cl;
	client_progress(&D, cl);
	/* Writes of 1..64 bytes, or all at once. */
	chunk = flags & 0x1c ? (size_t)1 << ((flags >> 2) & 7) : size;
	while (off < size && alive()) {
		size_t n = size - off < chunk ? size - off : chunk;
		ssize_t w = send(sv[1], data + off, n, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w > 0)
			off += (size_t)w;
		client_io(&D, sv[0], EPOLLIN, cl);
		if (!(flags & 0x20) || w <= 0) {
			read_replies(sv[1], rbuf, &rlen, sizeof(rbuf));
			if (alive())
				client_io(&D, sv[0], EPOLLOUT, cl);
		}
		if (w <= 0 && alive() && !cl->wlen)
			break; /* the daemon reads nothing more (its buffer is full) */
	}
	if (alive())
		shutdown(sv[1], SHUT_WR);
	for (int i = 0; i < 64 && alive(); i++) {
		client_io(&D, sv[0], EPOLLIN | EPOLLOUT, cl);
		read_replies(sv[1], rbuf, &rlen, sizeof(rbuf));
	}
	if (alive() && armed_idle) {
		fake_now = armed_idle->due_ms;
		armed_idle->cb(&D, armed_idle->data); /* gone idle: closed */
	}
	if (alive())
		client_free(&D, cl);
	if (D.ctl.unpriv_queued)
		abort(); /* every byte counted is given back */
	close(sv[1]);
	return 0;
}
