/* SPDX-License-Identifier: MIT */
/*
 * Steering: each connection gets a policy from the rules; a timer samples the
 * steered connections (sample.c) and asks each one's policy (decide.c, or a
 * cross-connection policy's tick) for a plan, which is applied here through
 * the userspace PM's MP_PRIO path (pm_apply_priorities follows the primary
 * chosen). A pinned connection (mpsteer primary ... via) is left alone until
 * its override is cleared (mpsteer primary ... auto).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpsteer/proc.h"
#include "mpsteerd.h"


static bool decide_handover(const struct mpsd_config *cfg, const struct mpsd_path *p, size_t n,
			    struct mpsd_steer_state *st, uint64_t now, struct mpsd_decision *out)
{
	return mpsd_decide_handover(&cfg->steer.handover, p, n, st, now, out);
}

static const struct mpsd_matchlist *prefer_handover(const struct mpsd_config *cfg)
{
	return &cfg->steer.handover.prefer;
}

static bool decide_interactive(const struct mpsd_config *cfg, const struct mpsd_path *p,
			       size_t n, struct mpsd_steer_state *st, uint64_t now,
			       struct mpsd_decision *out)
{
	return mpsd_decide_interactive(&cfg->steer.interactive, p, n, st, now, out);
}

static const struct mpsd_matchlist *prefer_interactive(const struct mpsd_config *cfg)
{
	return &cfg->steer.interactive.prefer;
}

static const struct mpsd_steer_ops handover_ops = {
	.decide = decide_handover, .prefer = prefer_handover,
};
static const struct mpsd_steer_ops interactive_ops = {
	.decide = decide_interactive, .prefer = prefer_interactive,
};

void steer_register(struct mpsd *d, enum mpsd_steer_kind k, const struct mpsd_steer_ops *ops)
{
	if ((unsigned)k < MPSD_STEER_N)
		d->steer.ops[k] = ops;
}

void steer_init(struct mpsd *d)
{
	steer_register(d, MPSD_STEER_HANDOVER, &handover_ops);
	steer_register(d, MPSD_STEER_INTERACTIVE, &interactive_ops);
}

void steer_fini(struct mpsd *d)
{
	timer_cancel(d, &d->steer.timer);
	probe_fini(d);
}

/* ---- policy per connection ---- */

static void tick_cb(struct mpsd *d, void *data);

static void arm(struct mpsd *d, uint64_t ms)
{
	timer_arm(d, &d->steer.timer, ms, tick_cb, NULL);
}

static void set_policy(struct mpsd *d, struct mpsd_conn *c, int rule)
{
	enum mpsd_steer_kind k = rule >= 0 ? d->cfg.steer.rules[rule].policy : d->cfg.steer.dflt;

	c->steer.kind = k;
	c->steer.rule = rule;
	c->steer.resolved = true;
	d->steer.stats.conns[k]++;
	log_debug("token 0x%08x: steering policy %s (%s%s)", c->token, mpsd_steer_name(k),
		  rule >= 0 ? "rule " : "default", rule >= 0 ? d->cfg.steer.rules[rule].name : "");
	if (k == MPSD_STEER_NONE)
		conn_steer_unlink(d, c);
	else
		conn_steer_link(d, c);
	if (k != MPSD_STEER_NONE && !d->steer.ops[k])
		log_warn("token 0x%08x: steering policy %s is not available in this build",
			 c->token, mpsd_steer_name(k));
}

/* From what the connection itself says; owner facts come later, in a batch. */
static void resolve(struct mpsd *d, struct mpsd_conn *c)
{
	struct mpsd_conn_facts f = { .local = c->local0, .peer = c->remote0 };
	int r = mpsd_rule_match(&d->cfg.steer, &f);

	if (r == -EAGAIN) {
		c->steer.kind = MPSD_STEER_NONE;
		d->steer.maybe_pending++;
		conn_steer_link(d, c); /* pending: the next tick finds its owner */
		if (!d->steer.timer.due_ms)
			arm(d, 0);
		return;
	}
	set_policy(d, c, r);
}

void steer_conn_seen(struct mpsd *d, struct mpsd_conn *c)
{
	if (c->unmanaged || c->gone || c->state != CONN_ESTABLISHED)
		return;
	if (!c->steer.resolved && !c->steer.listed)
		resolve(d, c);
	if (c->steer.listed && !d->steer.timer.due_ms)
		arm(d, d->cfg.steer.busy_ms);
}

static void reresolve(struct mpsd *d, struct mpsd_conn *c, void *data)
{
	enum mpsd_steer_kind old = c->steer.kind;
	bool had = c->steer.has_primary;

	conn_steer_unlink(d, c);
	c->steer.resolved = false;
	steer_conn_seen(d, c);
	/* Another policy (or one still pending) starts from nothing: static rules meanwhile. */
	if (!c->steer.resolved || c->steer.kind != old) {
		c->steer.has_primary = false;
		memset(&c->steer.st, 0, sizeof(c->steer.st));
	}
	if (had && !c->steer.has_primary)
		pm_apply_priorities(d, c);
}

void steer_config_changed(struct mpsd *d)
{
	conn_foreach(d, reresolve, NULL);
}

/* ---- owners, for process and cgroup rules ---- */

struct owner {
	uint32_t token, inode;
};
struct owners {
	struct owner *o;
	size_t n, cap;
};

static int owner_cb(const struct mps_conn *k, void *data)
{
	struct owners *w = data;

	if (w->n == w->cap) {
		size_t n = w->cap ? w->cap * 2 : 64;
		struct owner *o = realloc(w->o, n * sizeof(*o));

		if (!o)
			return -ENOMEM;
		w->o = o;
		w->cap = n;
	}
	w->o[w->n++] = (struct owner){ k->token, k->inode };
	return 0;
}

static const struct owner *owner_of(const struct owners *w, uint32_t token)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->o[i].token == token)
			return &w->o[i];
	return NULL;
}

/* The cgroup (v2) of process pid is path or below it: from /proc/PID/cgroup, which works
 * where the cgroup file system is not mounted (a daemon under `ip netns exec`). */
static bool in_cgroup(const char *path, void *ctx)
{
	const pid_t *pid = ctx;
	char file[64], line[512];
	bool hit = false;
	size_t n = strlen(path);
	FILE *f;

	if (!*pid)
		return false;
	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)*pid);
	f = fopen(file, "re");
	while (f && !hit && fgets(line, sizeof(line), f)) {
		const char *cg = line + 3;

		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		hit = !strcmp(path, "/") ||
		      (!strncmp(cg, path, n) && (cg[n] == '\0' || cg[n] == '/'));
	}
	if (f)
		fclose(f);
	return hit;
}

/* One MPTCP dump (inodes) and one /proc scan (owners) for all pending connections. */
static void resolve_pending(struct mpsd *d)
{
	struct owners w = { 0 };
	struct mps_proc_map *pm = NULL;
	struct mpsd_conn *c, *next;

	/* Counted up when one waits, reset here: a freed pending one costs one scan. */
	if (!d->steer.maybe_pending)
		return;
	d->steer.maybe_pending = 0;
	d->steer.stats.owner_lookups++;
	if (mps_diag_conns(false, owner_cb, &w))
		log_debug("steering: owners of connections: dump failed");
	if (mps_proc_map_new(&pm))
		pm = NULL;
	for (c = d->conns.steered; c; c = next) {
		const struct owner *o;
		struct mpsd_conn_facts f = { .local = c->local0, .peer = c->remote0 };
		char comm[16] = "";
		pid_t pid = 0;

		next = c->steer.snext;
		if (c->steer.resolved)
			continue;
		o = owner_of(&w, c->token);
		if (o && pm)
			mps_proc_map_lookup(pm, o->inode, &pid, comm);
		f.comm = comm; /* "" when no process holds it: no process rule matches */
		f.in_cgroup = in_cgroup;
		f.ctx = &pid;
		set_policy(d, c, mpsd_rule_match(&d->cfg.steer, &f));
	}
	mps_proc_map_free(pm);
	free(w.o);
}

/* ---- deciding ---- */

static bool is_primary(const struct mpsd_conn *c, const struct mpsd_sf *sf)
{
	return c->steer.has_primary && mps_addr_equal(&sf->local, &c->steer.pri_local) &&
	       mps_addr_equal(&sf->remote, &c->steer.pri_remote);
}

static const char *dev_of(struct mpsd *d, int ifindex)
{
	const struct mpsd_iface *f = links_iface(d, ifindex);

	return f ? f->link.name : "";
}

void steer_set_primary(struct mpsd *d, struct mpsd_conn *c, const struct mpsd_sf *to,
		       enum mpsd_steer_kind policy, const struct mpsd_decision *dec)
{
	char a[MPS_ADDRSTRLEN], b[MPS_ADDRSTRLEN];
	struct mpsd_steer_record *r = &c->steer.last;
	const struct mpsd_sf *from = NULL;

	for (size_t i = 0; i < c->n_sf && !from; i++)
		if (c->sf[i].state == SF_ESTABLISHED && is_primary(c, &c->sf[i]))
			from = &c->sf[i];
	memset(r, 0, sizeof(*r));
	r->at_ms = now_ms();
	r->policy = policy;
	r->dec = *dec;
	if (from) {
		r->from_local = from->local;
		r->from_remote = from->remote;
		snprintf(r->from_dev, sizeof(r->from_dev), "%s", dev_of(d, from->ifindex));
	}
	r->to_local = to->local;
	r->to_remote = to->remote;
	snprintf(r->to_dev, sizeof(r->to_dev), "%s", dev_of(d, to->ifindex));
	c->steer.has_primary = true;
	c->steer.pri_local = to->local;
	c->steer.pri_remote = to->remote;
	c->steer.decisions++;
	d->steer.stats.decisions[policy]++;
	d->steer.stats.reasons[policy][dec->reason < MPSD_R_N ? dec->reason : MPSD_R_NONE]++;
	log_info("token 0x%08x: %s: primary %s -> %s (%s%s%s, rtt %u -> %u us)", c->token,
		 mpsd_steer_name(policy), from ? r->from_dev : "-", r->to_dev,
		 mpsd_reason_name(dec->reason), dec->reason == MPSD_R_UNHEALTHY ? ": " : "",
		 dec->reason == MPSD_R_UNHEALTHY ? mpsd_health_name(dec->why) : "",
		 dec->from_rtt_us, dec->to_rtt_us);
	log_debug("token 0x%08x: new primary %s -> %s", c->token,
		  mps_addr_format(&to->local, a, sizeof(a)), mps_addr_format(&to->remote, b, sizeof(b)));
	pm_apply_priorities(d, c);
	if (d->steer.on_decision)
		d->steer.on_decision(d, c);
}

/* Subflows the dump did not report this tick still get their carrier looked at. */
static bool refresh_unsampled(struct mpsd *d, struct mpsd_conn *c, uint64_t now)
{
	bool busy = false;

	for (size_t i = 0; i < c->n_sf; i++) {
		struct mpsd_sf *sf = &c->sf[i];
		const struct mpsd_iface *f = links_iface(d, sf->ifindex);

		if (sf->state != SF_ESTABLISHED)
			continue;
		if (sf->sampled != d->sampler.tick)
			mpsd_health_update(&d->cfg.steer.health, &sf->health,
					   !f || (f->link.up && f->link.carrier), NULL, now);
		else
			busy |= sf->health.d_acked || sf->health.d_received ||
				sf->health.last.unacked;
	}
	return busy;
}

#define MAX_PATHS 16

static void decide_one(struct mpsd *d, struct mpsd_conn *c, const struct mpsd_steer_ops *ops,
		       uint64_t now)
{
	const struct mpsd_matchlist *prefer = ops->prefer ? ops->prefer(&d->cfg) : NULL;
	struct mpsd_path p[MAX_PATHS];
	struct mpsd_sf *sfs[MAX_PATHS];
	struct mpsd_decision dec;
	size_t n = 0;
	bool had = c->steer.has_primary, cur = false;

	for (size_t i = 0; i < c->n_sf && n < MAX_PATHS; i++) {
		struct mpsd_sf *sf = &c->sf[i];

		if (sf->state != SF_ESTABLISHED || !sf->local.port)
			continue;
		sfs[n] = sf;
		p[n] = (struct mpsd_path){
			.id = (uint32_t)sf->local.port << 16 | sf->remote.port,
			.rank = prefer ? mpsd_rank(prefer, dev_of(d, sf->ifindex), &sf->local,
						   &sf->remote)
				       : MPSD_RANK_NONE,
			.primary = is_primary(c, sf),
			.h = &sf->health,
		};
		cur |= p[n].primary;
		n++;
	}
	if (!n || !ops->decide(&d->cfg, p, n, &c->steer.st, now, &dec))
		return;
	if (had && !cur && dec.reason == MPSD_R_INITIAL)
		dec.reason = MPSD_R_GONE;
	steer_set_primary(d, c, sfs[dec.to], c->steer.kind, &dec);
	/* A path that stopped delivering holds data the others could carry now: closed, the
	 * kernel reinjects it at once (a backup would keep it until the connection's own
	 * retransmission timer); the subflow policy re-creates the subflow, which joins again
	 * once the path works. */
	if (c->steer.kind == MPSD_STEER_HANDOVER && d->cfg.steer.handover.close_stalled &&
	    dec.from >= 0 && dec.reason == MPSD_R_UNHEALTHY &&
	    (dec.why == MPSD_H_STALL || dec.why == MPSD_H_BACKOFF) && !c->gone) {
		pm_subflow_tell_gone(d, c, sfs[dec.from]);
		pm_subflow_close(d, c, sfs[dec.from], "stalled");
		d->steer.stats.closed_stalled++;
		conn_mark_dirty(d, c); /* the subflow policy makes a new one at the next update */
	}
}

struct batch {
	struct mpsd_conn **c;
	size_t n, cap;
};

static void batch_add(struct batch *b, struct mpsd_conn *c)
{
	if (b->n == b->cap) {
		size_t n = b->cap ? b->cap * 2 : 64;
		struct mpsd_conn **a = realloc(b->c, n * sizeof(*a));

		if (!a)
			return;
		b->c = a;
		b->cap = n;
	}
	b->c[b->n++] = c;
}

/*
 * Runs the policy of every connection due: the busy ones (sample.c), which include each new
 * one once. An idle connection has nothing new to decide on: a dead link's subflows are
 * closed or demoted by links.c at once, and its policy looks again when it sends. Returns
 * whether any moved data.
 */
static bool decide_all(struct mpsd *d, uint64_t now)
{
	struct batch cross[MPSD_STEER_N] = { 0 };
	bool any_busy = false;

	for (size_t i = 0; i < d->sampler.n_cur; i++) {
		struct mpsd_conn *c = d->sampler.cur[i];
		const struct mpsd_steer_ops *ops = d->steer.ops[c->steer.kind];

		if (!c->steer.resolved || c->gone)
			continue;
		c->steer.busy = refresh_unsampled(d, c, now);
		any_busy |= c->steer.busy;
		c->steer.decided_ms = now;
		if (!ops)
			continue;
		if (c->has_override) {
			d->steer.stats.pinned_skips++;
			continue;
		}
		if (ops->tick)
			batch_add(&cross[c->steer.kind], c);
		else
			decide_one(d, c, ops, now);
	}
	for (int k = 0; k < MPSD_STEER_N; k++) {
		if (cross[k].n)
			d->steer.ops[k]->tick(d, cross[k].c, cross[k].n, now);
		free(cross[k].c);
	}
	return any_busy;
}

static uint64_t thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void tick_cb(struct mpsd *d, void *data)
{
	const struct mpsd_steer_cfg *cfg = &d->cfg.steer;
	uint64_t cpu0 = thread_cpu_us(), now = now_ms();
	bool all, busy;

	if (!d->conns.n_steered)
		return; /* re-armed by the next steered connection */
	resolve_pending(d);
	all = now >= d->steer.idle_due_ms;
	if (all)
		d->steer.idle_due_ms = now + cfg->idle_ms;
	sample_tick(d, all, now);
	busy = decide_all(d, now);
	probe_tick(d, now);
	sample_prune(d);
	if (d->conns.n_steered) {
		uint64_t idle_in = d->steer.idle_due_ms > now ? d->steer.idle_due_ms - now : 0;

		arm(d, busy && cfg->busy_ms < idle_in ? cfg->busy_ms : idle_in);
	}
	d->sampler.cpu_us += thread_cpu_us() - cpu0;
}
