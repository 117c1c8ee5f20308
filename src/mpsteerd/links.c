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

static void update_all_cb(struct mpsd *d, void *data)
{
	d->links.ops->changed(d);
}

/* Coalesces bursts of link events into one pass over the connections. */
static void schedule_update(struct mpsd *d)
{
	if (!d->links.update_timer.due_ms)
		timer_arm(d, &d->links.update_timer, 20, update_all_cb, NULL);
}

static struct mpsd_iface *find_iface(struct mpsd *d, int ifindex)
{
	for (size_t i = 0; i < d->links.n_ifaces; i++)
		if (d->links.ifaces[i].link.ifindex == ifindex)
			return &d->links.ifaces[i];
	return NULL;
}

const struct mpsd_iface *links_iface(struct mpsd *d, int ifindex)
{
	return find_iface(d, ifindex);
}

static bool link_live(struct mpsd *d, const struct mps_link *l)
{
	return l->up && l->carrier &&
	       (!l->loopback || mpsd_matchlist_hit(&d->cfg.allow, l->name, NULL)) &&
	       mpsd_config_iface_allowed(&d->cfg, l->name, l->kind);
}

static uint64_t flap_delay(struct mpsd *d, const struct mpsd_iface *f)
{
	uint64_t ms = d->cfg.flap_base_ms;

	for (unsigned i = 0; i < f->flaps && ms < d->cfg.flap_max_ms; i++)
		ms *= 2;
	return ms > d->cfg.flap_max_ms ? d->cfg.flap_max_ms : ms;
}

static void flap_over(struct mpsd *d, void *data)
{
	struct mpsd_iface *f = data;

	if (!link_live(d, &f->link))
		return;
	f->usable = true;
	log_info("interface %s usable again", f->link.name);
	d->links.ops->usable(d, f->link.ifindex);
	schedule_update(d);
}

static void set_live(struct mpsd *d, struct mpsd_iface *f, bool live, bool initial)
{
	uint64_t now = now_ms();

	if (initial) {
		f->usable = live; /* last_change 0: a first loss is not a flap */
		return;
	}
	if (!live) {
		timer_cancel(d, &f->flap_timer);
		if (!f->usable)
			return;
		f->usable = false;
		f->flaps = now - f->last_change < MPSD_FLAP_WINDOW_S * 1000ull ? f->flaps + 1 : 0;
		f->last_change = now;
		log_info("interface %s unusable (down or no carrier)", f->link.name);
		d->links.ops->lost(d, f->link.ifindex, NULL);
		return;
	}
	if (f->usable || f->flap_timer.due_ms)
		return;
	f->usable_at = now + flap_delay(d, f);
	log_debug("interface %s up, used in %llu ms", f->link.name,
		  (unsigned long long)(f->usable_at - now));
	timer_arm(d, &f->flap_timer, f->usable_at - now, flap_over, f);
}

/* Timers are embedded in d->links.ifaces[]: a realloc would move them, so their links
 * are re-pointed afterwards. */
static struct mpsd_iface *add_iface(struct mpsd *d, const struct mps_link *l)
{
	if (d->links.n_ifaces == d->links.cap_ifaces) {
		size_t n = d->links.cap_ifaces ? d->links.cap_ifaces * 2 : 16;
		struct mpsd_iface *a;
		uint64_t due[d->links.n_ifaces ? d->links.n_ifaces : 1];

		for (size_t i = 0; i < d->links.n_ifaces; i++) {
			due[i] = d->links.ifaces[i].flap_timer.due_ms;
			timer_cancel(d, &d->links.ifaces[i].flap_timer);
		}
		a = realloc(d->links.ifaces, n * sizeof(*a));
		if (!a)
			return NULL;
		d->links.ifaces = a;
		d->links.cap_ifaces = n;
		for (size_t i = 0; i < d->links.n_ifaces; i++) {
			uint64_t now = now_ms();

			d->links.ifaces[i].flap_timer = (struct mpsd_timer){ 0 };
			if (due[i])
				timer_arm(d, &d->links.ifaces[i].flap_timer, due[i] > now ? due[i] - now : 0,
					  flap_over, &d->links.ifaces[i]);
		}
	}
	memset(&d->links.ifaces[d->links.n_ifaces], 0, sizeof(d->links.ifaces[0]));
	d->links.ifaces[d->links.n_ifaces].link = *l;
	d->links.view_dirty = true;
	return &d->links.ifaces[d->links.n_ifaces++];
}

static void del_iface(struct mpsd *d, struct mpsd_iface *f)
{
	size_t i = (size_t)(f - d->links.ifaces), last = d->links.n_ifaces - 1;

	set_live(d, f, false, false);
	timer_cancel(d, &f->flap_timer);
	if (i != last) {
		uint64_t due = d->links.ifaces[last].flap_timer.due_ms, now = now_ms();

		timer_cancel(d, &d->links.ifaces[last].flap_timer);
		d->links.ifaces[i] = d->links.ifaces[last];
		d->links.ifaces[i].flap_timer = (struct mpsd_timer){ 0 };
		if (due)
			timer_arm(d, &d->links.ifaces[i].flap_timer, due > now ? due - now : 0, flap_over,
				  &d->links.ifaces[i]);
	}
	d->links.n_ifaces--;
	d->links.view_dirty = true;
}

static int on_link(struct mpsd *d, const struct mps_link *l, bool initial)
{
	struct mpsd_iface *f = find_iface(d, l->ifindex);

	if (!f) {
		f = add_iface(d, l);
		if (!f)
			return -ENOMEM;
		set_live(d, f, link_live(d, l), initial);
		return 0;
	}
	d->links.view_dirty = true;
	f->link = *l;
	set_live(d, f, link_live(d, l), initial);
	return 0;
}

static bool addr_usable(const struct mps_ifaddr *a)
{
	return a->scope == RT_SCOPE_UNIVERSE &&
	       !(a->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED | IFA_F_DEPRECATED));
}

static int find_addr(struct mpsd *d, const struct mps_ifaddr *a)
{
	for (size_t i = 0; i < d->links.n_addrs; i++)
		if (d->links.addrs[i].ifindex == a->ifindex &&
		    mps_addr_same_ip(&d->links.addrs[i].addr, &a->addr))
			return (int)i;
	return -1;
}

static int on_addr_new(struct mpsd *d, const struct mps_ifaddr *a)
{
	int i = find_addr(d, a);

	if (i >= 0) {
		d->links.addrs[i] = *a;
		return 0;
	}
	if (d->links.n_addrs == d->links.cap_addrs) {
		size_t n = d->links.cap_addrs ? d->links.cap_addrs * 2 : 16;
		struct mps_ifaddr *na = realloc(d->links.addrs, n * sizeof(*na));

		if (!na)
			return -ENOMEM;
		d->links.addrs = na;
		d->links.cap_addrs = n;
	}
	d->links.addrs[d->links.n_addrs++] = *a;
	d->links.ops->addr_added(d, a);
	return 0;
}

static void on_addr_del(struct mpsd *d, const struct mps_ifaddr *a)
{
	int i = find_addr(d, a);

	if (i < 0)
		return;
	d->links.ops->addr_removed(d, &d->links.addrs[i]);
	d->links.addrs[i] = d->links.addrs[--d->links.n_addrs];
	d->links.ops->lost(d, a->ifindex, &a->addr);
}

static int rtnl_cb(const struct mps_rtnl_event *ev, void *data)
{
	struct mpsd *d = data;
	struct mpsd_iface *f;

	switch (ev->type) {
	case MPS_RTNL_LINK_NEW:
		on_link(d, &ev->link, false);
		break;
	case MPS_RTNL_LINK_DEL:
		f = find_iface(d, ev->link.ifindex);
		if (f)
			del_iface(d, f);
		break;
	case MPS_RTNL_ADDR_NEW:
		on_addr_new(d, &ev->ifaddr);
		if (addr_usable(&ev->ifaddr))
			schedule_update(d);
		break;
	case MPS_RTNL_ADDR_DEL:
		on_addr_del(d, &ev->ifaddr);
		break;
	}
	return 0;
}

static void on_readable(struct mpsd *d, int fd, uint32_t events, void *data)
{
	int err;

	for (int i = 0; i < 64; i++) {
		err = mps_rtnl_recv(d->links.mon, rtnl_cb, d);
		if (err == -EAGAIN)
			return;
		if (err == -ENOBUFS) {
			log_warn("rtnetlink monitor overflowed: resyncing interfaces");
			d->stats.resyncs++;
			links_resync(d);
			return;
		}
		if (err) {
			log_warn("rtnetlink monitor: %s", strerror(-err));
			return;
		}
	}
}

struct link_dump {
	struct mpsd *d;
	bool *seen; /* NULL: the first dump */
};

static int dump_link_cb(const struct mps_link *l, void *data)
{
	struct link_dump *x = data;
	struct mpsd_iface *f = find_iface(x->d, l->ifindex);

	if (f && x->seen)
		x->seen[f - x->d->links.ifaces] = true;
	return on_link(x->d, l, x->seen == NULL);
}

static int dump_addr_cb(const struct mps_ifaddr *a, void *data)
{
	return on_addr_new(data, a);
}

int links_resync(struct mpsd *d)
{
	bool *seen = calloc(d->links.n_ifaces + 1, sizeof(bool));
	struct mps_ifaddr *old = d->links.addrs;
	size_t n_old = d->links.n_addrs, n_before = d->links.n_ifaces;
	int err;

	if (!seen)
		return -ENOMEM;
	err = mps_rtnl_links(dump_link_cb, &(struct link_dump){ .d = d, .seen = seen });
	/* Interfaces gone during the overflow. */
	for (size_t i = n_before; err == 0 && i-- > 0;)
		if (!seen[i])
			del_iface(d, &d->links.ifaces[i]);
	free(seen);
	d->links.addrs = NULL;
	d->links.n_addrs = d->links.cap_addrs = 0;
	if (!err)
		err = mps_rtnl_addrs(AF_UNSPEC, dump_addr_cb, d);
	for (size_t i = 0; i < n_old; i++) /* addresses gone meanwhile */
		if (find_addr(d, &old[i]) < 0)
			d->links.ops->lost(d, old[i].ifindex, &old[i].addr);
	free(old);
	d->links.view_dirty = true;
	schedule_update(d);
	return err;
}

int links_init(struct mpsd *d)
{
	int err = mps_rtnl_monitor_new(&d->links.mon);

	if (err)
		return err;
	err = mps_router_new(&d->links.router);
	if (err)
		return err;
	/* Subscribed before the dump: a change during the dump is seen twice, not missed. */
	err = mps_rtnl_links(dump_link_cb, &(struct link_dump){ .d = d });
	if (!err)
		err = mps_rtnl_addrs(AF_UNSPEC, dump_addr_cb, d);
	if (!err)
		err = loop_add(d, mps_rtnl_fd(d->links.mon), EPOLLIN, on_readable, NULL);
	return err;
}

void links_fini(struct mpsd *d)
{
	timer_cancel(d, &d->links.update_timer);
	for (size_t i = 0; i < d->links.n_ifaces; i++)
		timer_cancel(d, &d->links.ifaces[i].flap_timer);
	if (d->links.mon)
		loop_del(d, mps_rtnl_fd(d->links.mon));
	mps_rtnl_free(d->links.mon);
	d->links.mon = NULL;
	mps_router_free(d->links.router);
	d->links.router = NULL;
	free(d->links.ifaces);
	free(d->links.addrs);
	free(d->links.view_links);
	d->links.ifaces = NULL;
	d->links.addrs = NULL;
	d->links.view_links = NULL;
	d->links.n_ifaces = d->links.cap_ifaces = d->links.n_addrs = d->links.cap_addrs = 0;
}

void links_config_changed(struct mpsd *d)
{
	for (size_t i = 0; i < d->links.n_ifaces; i++)
		set_live(d, &d->links.ifaces[i], link_live(d, &d->links.ifaces[i].link), false);
	schedule_update(d);
}

size_t links_locals(struct mpsd *d, int family, struct mpsd_local *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < d->links.n_addrs && n < max; i++) {
		const struct mps_ifaddr *a = &d->links.addrs[i];
		const struct mpsd_iface *f = find_iface(d, a->ifindex);

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

int links_oif(struct mpsd *d, const struct mps_addr *local, const struct mps_addr *remote)
{
	struct mps_addr src = *local, dst = *remote;
	int oif = 0;

	src.port = dst.port = 0;
	if (d->links.router && mps_router_oif(d->links.router, &src, &dst, &oif) == 0 && oif > 0)
		return oif;
	return links_ifindex_of(d, local);
}

int links_ifindex_of(struct mpsd *d, const struct mps_addr *a)
{
	for (size_t i = 0; i < d->links.n_addrs; i++)
		if (mps_addr_same_ip(&d->links.addrs[i].addr, a))
			return d->links.addrs[i].ifindex;
	return 0;
}

const struct mps_ifcache *links_ifcache(struct mpsd *d)
{
	if (d->links.view_dirty) {
		struct mps_link *l = realloc(d->links.view_links, (d->links.n_ifaces + 1) * sizeof(*l));

		if (l) {
			d->links.view_links = l;
			for (size_t i = 0; i < d->links.n_ifaces; i++)
				d->links.view_links[i] = d->links.ifaces[i].link;
			d->links.view_dirty = false;
		}
	}
	d->links.view.links = d->links.view_links;
	d->links.view.n_links = d->links.view_dirty ? 0 : d->links.n_ifaces;
	d->links.view.addrs = d->links.addrs;
	d->links.view.n_addrs = d->links.n_addrs;
	return &d->links.view;
}

void links_foreach_addr(struct mpsd *d, links_addr_cb cb)
{
	for (size_t i = 0; i < d->links.n_addrs; i++)
		cb(d, &d->links.addrs[i]);
}
