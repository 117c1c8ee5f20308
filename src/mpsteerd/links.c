/* SPDX-License-Identifier: MIT */
/*
 * Interfaces and addresses, kept current from the rtnetlink monitor.
 *
 * An interface is usable when the config allows it, it is up with carrier,
 * and its flap delay is over. Transitions:
 *   usable --carrier lost / down / deleted--> unusable: its subflows are
 *            closed or demoted at once (pm_iface_down)
 *   unusable --up with carrier--> waiting (flap delay, longer while it flaps)
 *   waiting --delay over--> usable: every connection is updated (subflows re-created)
 */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "mpsteerd.h"

static struct mps_rtnl *mon;
static struct mps_router *router;
static struct mpsd_iface *ifaces;
static size_t n_ifaces, cap_ifaces;
static struct mps_ifaddr *addrs;
static size_t n_addrs, cap_addrs;
static struct mps_ifcache view;
static struct mps_link *view_links;
static bool view_dirty = true;
static struct mpsd_timer update_timer;

static void update_all_cb(void *data)
{
	pm_update_all();
}

/* Coalesces bursts of link events into one pass over the connections. */
static void schedule_update(void)
{
	if (!update_timer.due_ms)
		timer_arm(&update_timer, 20, update_all_cb, NULL);
}

static struct mpsd_iface *find_iface(int ifindex)
{
	for (size_t i = 0; i < n_ifaces; i++)
		if (ifaces[i].link.ifindex == ifindex)
			return &ifaces[i];
	return NULL;
}

const struct mpsd_iface *links_iface(int ifindex)
{
	return find_iface(ifindex);
}

static bool link_live(const struct mps_link *l)
{
	return l->up && l->carrier &&
	       (!l->loopback || mpsd_matchlist_hit(&cfg.allow, l->name, NULL)) &&
	       mpsd_config_iface_allowed(&cfg, l->name, l->kind);
}

static uint64_t flap_delay(const struct mpsd_iface *f)
{
	uint64_t d = cfg.flap_base_ms;

	for (unsigned i = 0; i < f->flaps && d < cfg.flap_max_ms; i++)
		d *= 2;
	return d > cfg.flap_max_ms ? cfg.flap_max_ms : d;
}

static void flap_over(void *data)
{
	struct mpsd_iface *f = data;

	if (!link_live(&f->link))
		return;
	f->usable = true;
	log_info("interface %s usable again", f->link.name);
	route_iface_up(f->link.ifindex);
	pm_iface_up(f->link.ifindex);
	schedule_update();
}

static void set_live(struct mpsd_iface *f, bool live, bool initial)
{
	uint64_t now = now_ms();

	if (initial) {
		f->usable = live; /* last_change 0: a first loss is not a flap */
		return;
	}
	if (!live) {
		timer_cancel(&f->flap_timer);
		if (!f->usable)
			return;
		f->usable = false;
		f->flaps = now - f->last_change < MPSD_FLAP_WINDOW_S * 1000ull ? f->flaps + 1 : 0;
		f->last_change = now;
		log_info("interface %s unusable (down or no carrier)", f->link.name);
		pm_iface_down(f->link.ifindex, NULL);
		return;
	}
	if (f->usable || f->flap_timer.due_ms)
		return;
	f->usable_at = now + flap_delay(f);
	log_debug("interface %s up, used in %llu ms", f->link.name,
		  (unsigned long long)(f->usable_at - now));
	timer_arm(&f->flap_timer, f->usable_at - now, flap_over, f);
}

/* Timers are embedded in ifaces[]: a realloc would move them, so their links
 * are re-pointed afterwards. */
static struct mpsd_iface *add_iface(const struct mps_link *l)
{
	if (n_ifaces == cap_ifaces) {
		size_t n = cap_ifaces ? cap_ifaces * 2 : 16;
		struct mpsd_iface *a;
		uint64_t due[n_ifaces ? n_ifaces : 1];

		for (size_t i = 0; i < n_ifaces; i++) {
			due[i] = ifaces[i].flap_timer.due_ms;
			timer_cancel(&ifaces[i].flap_timer);
		}
		a = realloc(ifaces, n * sizeof(*a));
		if (!a)
			return NULL;
		ifaces = a;
		cap_ifaces = n;
		for (size_t i = 0; i < n_ifaces; i++) {
			uint64_t now = now_ms();

			ifaces[i].flap_timer = (struct mpsd_timer){ 0 };
			if (due[i])
				timer_arm(&ifaces[i].flap_timer, due[i] > now ? due[i] - now : 0,
					  flap_over, &ifaces[i]);
		}
	}
	memset(&ifaces[n_ifaces], 0, sizeof(ifaces[0]));
	ifaces[n_ifaces].link = *l;
	view_dirty = true;
	return &ifaces[n_ifaces++];
}

static void del_iface(struct mpsd_iface *f)
{
	size_t i = (size_t)(f - ifaces), last = n_ifaces - 1;

	set_live(f, false, false);
	timer_cancel(&f->flap_timer);
	if (i != last) {
		uint64_t due = ifaces[last].flap_timer.due_ms, now = now_ms();

		timer_cancel(&ifaces[last].flap_timer);
		ifaces[i] = ifaces[last];
		ifaces[i].flap_timer = (struct mpsd_timer){ 0 };
		if (due)
			timer_arm(&ifaces[i].flap_timer, due > now ? due - now : 0, flap_over,
				  &ifaces[i]);
	}
	n_ifaces--;
	view_dirty = true;
}

static int on_link(const struct mps_link *l, bool initial)
{
	struct mpsd_iface *f = find_iface(l->ifindex);

	if (!f) {
		f = add_iface(l);
		if (!f)
			return -ENOMEM;
		set_live(f, link_live(l), initial);
		return 0;
	}
	view_dirty = true;
	f->link = *l;
	set_live(f, link_live(l), initial);
	return 0;
}

static bool addr_usable(const struct mps_ifaddr *a)
{
	return a->scope == RT_SCOPE_UNIVERSE &&
	       !(a->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED | IFA_F_DEPRECATED));
}

static int find_addr(const struct mps_ifaddr *a)
{
	for (size_t i = 0; i < n_addrs; i++)
		if (addrs[i].ifindex == a->ifindex && mps_addr_same_ip(&addrs[i].addr, &a->addr))
			return (int)i;
	return -1;
}

static int on_addr_new(const struct mps_ifaddr *a)
{
	int i = find_addr(a);

	if (i >= 0) {
		addrs[i] = *a;
		return 0;
	}
	if (n_addrs == cap_addrs) {
		size_t n = cap_addrs ? cap_addrs * 2 : 16;
		struct mps_ifaddr *na = realloc(addrs, n * sizeof(*na));

		if (!na)
			return -ENOMEM;
		addrs = na;
		cap_addrs = n;
	}
	addrs[n_addrs++] = *a;
	route_addr_added(a);
	return 0;
}

static void on_addr_del(const struct mps_ifaddr *a)
{
	int i = find_addr(a);

	if (i < 0)
		return;
	route_addr_removed(&addrs[i]);
	addrs[i] = addrs[--n_addrs];
	pm_iface_down(a->ifindex, &a->addr);
}

static int rtnl_cb(const struct mps_rtnl_event *ev, void *data)
{
	struct mpsd_iface *f;

	switch (ev->type) {
	case MPS_RTNL_LINK_NEW:
		on_link(&ev->link, false);
		break;
	case MPS_RTNL_LINK_DEL:
		f = find_iface(ev->link.ifindex);
		if (f)
			del_iface(f);
		break;
	case MPS_RTNL_ADDR_NEW:
		on_addr_new(&ev->ifaddr);
		if (addr_usable(&ev->ifaddr))
			schedule_update();
		break;
	case MPS_RTNL_ADDR_DEL:
		on_addr_del(&ev->ifaddr);
		break;
	}
	return 0;
}

static void on_readable(int fd, uint32_t events, void *data)
{
	int err;

	for (int i = 0; i < 64; i++) {
		err = mps_rtnl_recv(mon, rtnl_cb, NULL);
		if (err == -EAGAIN)
			return;
		if (err == -ENOBUFS) {
			log_warn("rtnetlink monitor overflowed: resyncing interfaces");
			stats.resyncs++;
			links_resync();
			return;
		}
		if (err) {
			log_warn("rtnetlink monitor: %s", strerror(-err));
			return;
		}
	}
}

static int dump_link_cb(const struct mps_link *l, void *data)
{
	bool *seen = data;
	struct mpsd_iface *f = find_iface(l->ifindex);

	if (f && seen)
		seen[f - ifaces] = true;
	return on_link(l, data == NULL);
}

static int dump_addr_cb(const struct mps_ifaddr *a, void *data)
{
	return on_addr_new(a);
}

int links_resync(void)
{
	bool *seen = calloc(n_ifaces + 1, sizeof(bool));
	struct mps_ifaddr *old = addrs;
	size_t n_old = n_addrs, n_before = n_ifaces;
	int err;

	if (!seen)
		return -ENOMEM;
	err = mps_rtnl_links(dump_link_cb, seen);
	/* Interfaces gone during the overflow. */
	for (size_t i = n_before; err == 0 && i-- > 0;)
		if (!seen[i])
			del_iface(&ifaces[i]);
	free(seen);
	addrs = NULL;
	n_addrs = cap_addrs = 0;
	if (!err)
		err = mps_rtnl_addrs(AF_UNSPEC, dump_addr_cb, NULL);
	for (size_t i = 0; i < n_old; i++) /* addresses gone meanwhile */
		if (find_addr(&old[i]) < 0)
			pm_iface_down(old[i].ifindex, &old[i].addr);
	free(old);
	view_dirty = true;
	schedule_update();
	return err;
}

int links_init(void)
{
	int err = mps_rtnl_monitor_new(&mon);

	if (err)
		return err;
	err = mps_router_new(&router);
	if (err)
		return err;
	/* Subscribed before the dump: a change during the dump is seen twice, not missed. */
	err = mps_rtnl_links(dump_link_cb, NULL);
	if (!err)
		err = mps_rtnl_addrs(AF_UNSPEC, dump_addr_cb, NULL);
	if (!err)
		err = loop_add(mps_rtnl_fd(mon), EPOLLIN, on_readable, NULL);
	return err;
}

void links_fini(void)
{
	timer_cancel(&update_timer);
	for (size_t i = 0; i < n_ifaces; i++)
		timer_cancel(&ifaces[i].flap_timer);
	if (mon)
		loop_del(mps_rtnl_fd(mon));
	mps_rtnl_free(mon);
	mon = NULL;
	mps_router_free(router);
	router = NULL;
	free(ifaces);
	free(addrs);
	free(view_links);
	ifaces = NULL;
	addrs = NULL;
	view_links = NULL;
	n_ifaces = cap_ifaces = n_addrs = cap_addrs = 0;
}

void links_config_changed(void)
{
	for (size_t i = 0; i < n_ifaces; i++)
		set_live(&ifaces[i], link_live(&ifaces[i].link), false);
	schedule_update();
}

size_t links_locals(int family, struct mpsd_local *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < n_addrs && n < max; i++) {
		const struct mps_ifaddr *a = &addrs[i];
		const struct mpsd_iface *f = find_iface(a->ifindex);

		if (!f || !f->usable || !addr_usable(a))
			continue;
		if (family != AF_UNSPEC && a->addr.family != family)
			continue;
		out[n].ifindex = a->ifindex;
		memcpy(out[n].ifname, f->link.name, sizeof(out[n].ifname));
		out[n].addr = a->addr;
		out[n].addr.port = 0;
		n++;
	}
	return n;
}

int links_oif(const struct mps_addr *local, const struct mps_addr *remote)
{
	struct mps_addr src = *local, dst = *remote;
	int oif = 0;

	src.port = dst.port = 0;
	if (router && mps_router_oif(router, &src, &dst, &oif) == 0 && oif > 0)
		return oif;
	return links_ifindex_of(local);
}

int links_ifindex_of(const struct mps_addr *a)
{
	for (size_t i = 0; i < n_addrs; i++)
		if (mps_addr_same_ip(&addrs[i].addr, a))
			return addrs[i].ifindex;
	return 0;
}

const struct mps_ifcache *links_ifcache(void)
{
	if (view_dirty) {
		struct mps_link *l = realloc(view_links, (n_ifaces + 1) * sizeof(*l));

		if (l) {
			view_links = l;
			for (size_t i = 0; i < n_ifaces; i++)
				view_links[i] = ifaces[i].link;
			view_dirty = false;
		}
	}
	view.links = view_links;
	view.n_links = view_dirty ? 0 : n_ifaces;
	view.addrs = addrs;
	view.n_addrs = n_addrs;
	return &view;
}

void links_foreach_addr(links_addr_cb cb)
{
	for (size_t i = 0; i < n_addrs; i++)
		cb(&addrs[i]);
}
