/* SPDX-License-Identifier: MIT */
/*
 * The config file: INI sections [daemon] [client] [server] [interfaces]
 * [links] [routing] [access NAME] [balance] [steering] [health] [handover] [interactive]
 * [rule NAME] (see mpsteerd.conf(5)). Parsing is pure: it fills a
 * struct mpsd_config and names the first bad line as "file:line: ...".
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <grp.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mpsteerd.h"

static const char *const default_deny[] = { "lo", "docker*", "br-*", "virbr*", "veth*" };

void mpsd_config_defaults(struct mpsd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->pm_mode = MPSD_PM_SET;
	c->log_level = MPSD_LOG_INFO;
	c->reconcile_s = MPSD_RECONCILE_S;
	c->event_buffer = MPSD_EVENT_BUFFER;
	c->ctl_idle_s = MPSD_CTL_IDLE_S;
	c->ctl_unpriv_queue = MPSD_CTL_UNPRIV_QUEUE;
	c->client.kind = MPSD_POL_PER_IFACE;
	c->server.kind = MPSD_POL_NONE;
	c->max_subflows = MPSD_MAX_SUBFLOWS;
	for (size_t i = 0; i < sizeof(default_deny) / sizeof(default_deny[0]); i++)
		snprintf(c->deny.m[c->deny.n++].glob, sizeof(c->deny.m[0].glob), "%s",
			 default_deny[i]);
	c->link_down = MPSD_LD_CLOSE;
	c->retry_base_ms = MPSD_RETRY_BASE_MS;
	c->retry_max_ms = MPSD_RETRY_MAX_MS;
	c->retry_limit = MPSD_RETRY_LIMIT;
	c->flap_base_ms = MPSD_FLAP_BASE_MS;
	c->flap_max_ms = MPSD_FLAP_MAX_MS;
	c->table_base = MPSD_TABLE_BASE;
	c->rule_prio = MPSD_RULE_PRIO;
	c->balance = (struct mpsd_balance_cfg){ .band_pct = MPSD_BAL_BAND_PCT,
						.dwell_ms = MPSD_BAL_DWELL_MS,
						.idle_bps = MPSD_BAL_IDLE_BPS,
						.interval_ms = MPSD_BAL_INTERVAL_MS,
						.max_moves = MPSD_BAL_MAX_MOVES };
	c->steer.busy_ms = MPSD_SAMPLE_BUSY_MS;
	c->steer.idle_ms = MPSD_SAMPLE_IDLE_MS;
	c->steer.health = (struct mpsd_health_cfg){ .backoff = MPSD_HEALTH_BACKOFF,
						    .stall_ms = MPSD_HEALTH_STALL_MS,
						    .rtt_factor = MPSD_HEALTH_RTT_FACTOR,
						    .rtt_excess_ms = MPSD_HEALTH_RTT_EXCESS };
	c->steer.handover.dwell_ms = MPSD_HO_DWELL_MS;
	c->steer.handover.close_stalled = true;
	c->steer.interactive.margin_pct = MPSD_IA_MARGIN_PCT;
	c->steer.interactive.min_diff_ms = MPSD_IA_MIN_DIFF_MS;
	c->steer.interactive.hold_ms = MPSD_IA_HOLD_MS;
	c->steer.interactive.probe_ms = MPSD_IA_PROBE_MS;
}

static const char *const steer_names[MPSD_STEER_N] = {
	[MPSD_STEER_NONE] = "none", [MPSD_STEER_HANDOVER] = "handover",
	[MPSD_STEER_INTERACTIVE] = "interactive", [MPSD_STEER_BALANCE] = "balance",
};

const char *mpsd_steer_name(enum mpsd_steer_kind k)
{
	return (unsigned)k < MPSD_STEER_N ? steer_names[k] : "?";
}

int mpsd_steer_parse(const char *s, enum mpsd_steer_kind *out)
{
	for (int k = 0; k < MPSD_STEER_N; k++) {
		if (!strcmp(s, steer_names[k])) {
			*out = (enum mpsd_steer_kind)k;
			return 0;
		}
	}
	return -EINVAL;
}

const char *mpsd_policy_format(const struct mpsd_policy *p, char *buf, size_t len)
{
	switch (p->kind) {
	case MPSD_POL_PER_IFACE:
		snprintf(buf, len, "per-interface");
		break;
	case MPSD_POL_FULLMESH:
		snprintf(buf, len, "fullmesh");
		break;
	case MPSD_POL_NDIFFPORTS:
		snprintf(buf, len, "ndiffports %u", p->n);
		break;
	default:
		snprintf(buf, len, "none");
		break;
	}
	return buf;
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	uint32_t v;

	if (mps_parse_u32(s, max, &v) || v < min)
		return -EINVAL;
	*out = v;
	return 0;
}

int mpsd_policy_parse(const char *s, struct mpsd_policy *out)
{
	if (!strcmp(s, "none")) {
		*out = (struct mpsd_policy){ .kind = MPSD_POL_NONE };
	} else if (!strcmp(s, "per-interface")) {
		*out = (struct mpsd_policy){ .kind = MPSD_POL_PER_IFACE };
	} else if (!strcmp(s, "fullmesh")) {
		*out = (struct mpsd_policy){ .kind = MPSD_POL_FULLMESH };
	} else if (!strncmp(s, "ndiffports", 10) && (s[10] == ' ' || s[10] == '\t')) {
		unsigned n;

		s += 11;
		while (*s == ' ' || *s == '\t')
			s++;
		if (parse_uint(s, 1, 64, &n))
			return -EINVAL;
		*out = (struct mpsd_policy){ .kind = MPSD_POL_NDIFFPORTS, .n = n };
	} else {
		return -EINVAL;
	}
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcmp(s, "1") ||
	    !strcasecmp(s, "on"))
		*out = true;
	else if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcmp(s, "0") ||
		 !strcasecmp(s, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* "10.0.0.0/8", "2001:db8::/32", "10.1.2.3" (a host); else an interface glob. */
static int parse_match(const char *s, struct mpsd_match *m)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	unsigned plen;

	memset(m, 0, sizeof(*m));
	if (strlen(s) >= sizeof(buf) || strchr(s, '%')) /* a prefix has no scope */
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (mps_addr_parse(buf, false, &m->prefix) == 0) {
		unsigned max = m->prefix.family == AF_INET ? 32 : 128;

		if (slash && parse_uint(slash + 1, 0, max, &plen))
			return -EINVAL;
		m->is_prefix = true;
		m->plen = (uint8_t)(slash ? plen : max);
		return 0;
	}
	if (slash || strlen(s) >= IF_NAMESIZE + 4 || !*s)
		return -EINVAL;
	snprintf(m->glob, sizeof(m->glob), "%s", s);
	return 0;
}

bool mpsd_prefix_contains(const struct mps_addr *prefix, uint8_t plen, const struct mps_addr *a)
{
	const uint8_t *p, *q;
	size_t full;

	if (!a || prefix->family != a->family)
		return false;
	p = (const uint8_t *)&prefix->v4;
	q = (const uint8_t *)&a->v4;
	full = plen / 8;
	if (memcmp(p, q, full))
		return false;
	if (plen % 8) {
		uint8_t mask = (uint8_t)(0xff << (8 - plen % 8));

		return (p[full] & mask) == (q[full] & mask);
	}
	return true;
}

bool mpsd_matchlist_hit(const struct mpsd_matchlist *l, const char *ifname,
			const struct mps_addr *addr)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct mpsd_match *m = &l->m[i];

		if (m->is_prefix ? mpsd_prefix_contains(&m->prefix, m->plen, addr)
				 : (ifname && fnmatch(m->glob, ifname, 0) == 0))
			return true;
	}
	return false;
}

bool mpsd_config_iface_allowed(const struct mpsd_config *c, const char *ifname, const char *kind)
{
	/* An explicit allow beats the deny list: that is how veth test rigs opt in. */
	if (c->allow.n)
		return mpsd_matchlist_hit(&c->allow, ifname, NULL);
	return !mpsd_matchlist_hit(&c->deny, ifname, NULL);
}

/* ---- the inih handler ---- */

struct load_ctx {
	struct mpsd_config *c;
	char msg[200];      /* first semantic error, without "file:line: " */
	bool deny_seen;     /* first "deny" replaces the defaults, later ones append */
	const int *section_line; /* the reader's: line of the last section header */
	const int *line;         /* ... and of the line being parsed */
	int balance_line;        /* the first line that chose the balance policy, 0: none */
};

typedef int (*key_fn)(struct load_ctx *x, const char *key, const char *val);

/* Splits a list on spaces and commas; calls fn per word. */
static int each_word(const char *val, int (*fn)(struct load_ctx *, const char *, void *),
		     struct load_ctx *x, void *arg)
{
	char buf[1024], *save = NULL, *w;
	int err;

	if (strlen(val) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, val);
	for (w = strtok_r(buf, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
		err = fn(x, w, arg);
		if (err)
			return err;
	}
	return 0;
}

static int add_match(struct load_ctx *x, const char *w, void *arg)
{
	struct mpsd_matchlist *l = arg;

	if (l->n >= MPSD_MAX_PATTERNS) {
		snprintf(x->msg, sizeof(x->msg), "too many entries (at most %d)",
			 MPSD_MAX_PATTERNS);
		return -E2BIG;
	}
	if (parse_match(w, &l->m[l->n])) {
		snprintf(x->msg, sizeof(x->msg), "bad value '%s' (not an interface name, glob or "
			 "address prefix)", w);
		return -EINVAL;
	}
	l->n++;
	return 0;
}

static int add_announce(struct load_ctx *x, const char *w, void *arg)
{
	struct mpsd_config *c = x->c;
	struct mpsd_announce *a;

	if (c->n_announce >= MPSD_MAX_ANNOUNCE) {
		snprintf(x->msg, sizeof(x->msg), "too many announce entries (at most %d)",
			 MPSD_MAX_ANNOUNCE);
		return -E2BIG;
	}
	a = &c->announce[c->n_announce];
	memset(a, 0, sizeof(*a));
	if (strchr(w, '%')) {
		snprintf(x->msg, sizeof(x->msg), "bad value '%s' for key 'announce' (a scoped "
			 "link-local address means nothing to the peer)", w);
		return -EINVAL;
	}
	if (mps_addr_parse(w, true, &a->addr) == 0) {
		c->n_announce++;
		return 0;
	}
	if (strlen(w) >= IF_NAMESIZE || strpbrk(w, ":/[]*?")) {
		snprintf(x->msg, sizeof(x->msg), "bad value '%s' for key 'announce' (not an "
			 "address[:port] or interface name)", w);
		return -EINVAL;
	}
	a->is_iface = true;
	snprintf(a->ifname, sizeof(a->ifname), "%s", w);
	c->n_announce++;
	return 0;
}

#define BAD(x, key, val) \
	(snprintf((x)->msg, sizeof((x)->msg), "bad value '%s' for key '%s'", (val), (key)), -EINVAL)

static int set_uint(struct load_ctx *x, const char *key, const char *val, unsigned min,
		    unsigned max, unsigned *out)
{
	if (parse_uint(val, min, max, out))
		return snprintf(x->msg, sizeof(x->msg), "bad value '%s' for key '%s' (%u..%u)", val,
				key, min, max), -EINVAL;
	return 0;
}

/* A count with an optional K, M or G suffix (powers of kilo: 1024 for bytes, 1000 for
 * rates): 0 or -EINVAL / -ERANGE. Checked before the product, so no count wraps around
 * into the range. */
static int scaled_parse(const char *s, uint64_t max, uint64_t kilo, uint64_t *out)
{
	static const char suffix[] = "KMG";
	const char *end, *p;
	uint64_t v, mul = 1;
	int err;

	err = mps_parse_u64_prefix(s, UINT64_MAX, &v, &end);
	if (err)
		return err;
	if (*end && (p = strchr(suffix, *end == 'k' ? 'K' : *end)) != NULL) {
		for (long i = 0; i <= p - suffix; i++)
			mul *= kilo;
		end++;
	}
	if (*end)
		return -EINVAL;
	if (v > max / mul)
		return -ERANGE;
	*out = v * mul;
	return 0;
}

static int set_size(struct load_ctx *x, const char *key, const char *val, unsigned min,
		    unsigned max, unsigned *out)
{
	uint64_t v;

	if (scaled_parse(val, max, 1024, &v) || v < min)
		return snprintf(x->msg, sizeof(x->msg),
				"bad value '%s' for key '%s' (%u..%u bytes, K/M/G suffixes)", val,
				key, min, max), -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int sec_daemon(struct load_ctx *x, const char *key, const char *val)
{
	struct mpsd_config *c = x->c;
	int lvl;

	if (!strcmp(key, "path_manager")) {
		if (!strcmp(val, "set"))
			c->pm_mode = MPSD_PM_SET;
		else if (!strcmp(val, "check"))
			c->pm_mode = MPSD_PM_CHECK;
		else
			return BAD(x, key, val);
	} else if (!strcmp(key, "log_level")) {
		lvl = log_level_parse(val);
		if (lvl < 0)
			return BAD(x, key, val);
		c->log_level = lvl;
	} else if (!strcmp(key, "control_group")) {
		struct group *g = getgrnam(val);

		if (!g)
			return snprintf(x->msg, sizeof(x->msg),
					"bad value '%s' for key '%s' (no such group)", val, key),
			       -EINVAL;
		snprintf(c->group, sizeof(c->group), "%s", val);
		c->gid = g->gr_gid;
		c->has_group = true;
	} else if (!strcmp(key, "reconcile_interval")) {
		return set_uint(x, key, val, 1, 3600, &c->reconcile_s);
	} else if (!strcmp(key, "event_buffer")) {
		return set_size(x, key, val, 4096, 1u << 30, &c->event_buffer);
	} else if (!strcmp(key, "control_idle_timeout")) {
		return set_uint(x, key, val, 1, 3600, &c->ctl_idle_s);
	} else if (!strcmp(key, "control_queue_limit")) {
		return set_size(x, key, val, 4096, 1u << 30, &c->ctl_unpriv_queue);
	} else if (!strcmp(key, "max_subflows")) {
		return set_uint(x, key, val, 1, 64, &c->max_subflows);
	} else if (!strcmp(key, "metrics_listen")) {
		/* ADDR:PORT of the Prometheus endpoint; "" or "off" turns it off. */
		if (!*val || !strcmp(val, "off")) {
			memset(&c->metrics_listen, 0, sizeof(c->metrics_listen));
			return 0;
		}
		if (mps_addr_parse(val, true, &c->metrics_listen) || !c->metrics_listen.port)
			return snprintf(x->msg, sizeof(x->msg), "bad value '%s' for key '%s' "
					"(ADDR:PORT, [ADDR6]:PORT or off)", val, key), -EINVAL;
	} else {
		return -ENOENT;
	}
	return 0;
}

static int sec_client(struct load_ctx *x, const char *key, const char *val)
{
	if (strcmp(key, "policy"))
		return -ENOENT;
	if (mpsd_policy_parse(val, &x->c->client))
		return BAD(x, key, val);
	return 0;
}

static int sec_server(struct load_ctx *x, const char *key, const char *val)
{
	if (!strcmp(key, "policy")) {
		if (mpsd_policy_parse(val, &x->c->server))
			return BAD(x, key, val);
		return 0;
	}
	if (!strcmp(key, "announce"))
		return each_word(val, add_announce, x, NULL);
	return -ENOENT;
}

static int sec_interfaces(struct load_ctx *x, const char *key, const char *val)
{
	struct mpsd_config *c = x->c;

	if (!strcmp(key, "allow"))
		return each_word(val, add_match, x, &c->allow);
	if (!strcmp(key, "deny")) {
		if (!x->deny_seen)
			c->deny.n = 0;
		x->deny_seen = true;
		return each_word(val, add_match, x, &c->deny);
	}
	if (!strcmp(key, "backup"))
		return each_word(val, add_match, x, &c->backup);
	return -ENOENT;
}

static int sec_links(struct load_ctx *x, const char *key, const char *val)
{
	struct mpsd_config *c = x->c;

	if (!strcmp(key, "on_down")) {
		if (!strcmp(val, "close"))
			c->link_down = MPSD_LD_CLOSE;
		else if (!strcmp(val, "backup"))
			c->link_down = MPSD_LD_BACKUP;
		else
			return BAD(x, key, val);
		return 0;
	}
	if (!strcmp(key, "retry_base_ms"))
		return set_uint(x, key, val, 10, 600000, &c->retry_base_ms);
	if (!strcmp(key, "retry_max_ms"))
		return set_uint(x, key, val, 10, 3600000, &c->retry_max_ms);
	if (!strcmp(key, "retry_limit"))
		return set_uint(x, key, val, 0, 1000, &c->retry_limit);
	if (!strcmp(key, "flap_base_ms"))
		return set_uint(x, key, val, 0, 600000, &c->flap_base_ms);
	if (!strcmp(key, "flap_max_ms"))
		return set_uint(x, key, val, 0, 3600000, &c->flap_max_ms);
	return -ENOENT;
}

static int sec_routing(struct load_ctx *x, const char *key, const char *val)
{
	struct mpsd_config *c = x->c;
	unsigned v = 0;
	int err;

	if (!strcmp(key, "source_routing"))
		return parse_bool(val, &c->source_routing) ? BAD(x, key, val) : 0;
	if (!strcmp(key, "table_base")) {
		/* Leaves room for ifindexes below the reserved tables 253..255. */
		err = set_uint(x, key, val, 256, 0x7fffffff, &v);
		if (!err)
			c->table_base = v;
		return err;
	}
	if (!strcmp(key, "rule_priority")) {
		err = set_uint(x, key, val, 1, 32765, &v);
		if (!err)
			c->rule_prio = v;
		return err;
	}
	return -ENOENT;
}

/* A rate in bit/s with an optional K, M or G suffix (powers of 1000). */
static int set_rate(struct load_ctx *x, const char *key, const char *val, uint64_t min,
		    uint64_t *out)
{
	const uint64_t max = 1000000000000ull;

	if (scaled_parse(val, max, 1000, out) || *out < min)
		return snprintf(x->msg, sizeof(x->msg), "bad value '%s' for key '%s' (bit/s, %llu.."
				"1000G, K/M/G suffixes)", val, key, (unsigned long long)min),
		       -EINVAL;
	return 0;
}

/* One entry of a list that must be an address prefix (want_prefix) or must not be. */
static int add_match_kind(struct load_ctx *x, const char *w, struct mpsd_matchlist *l,
			  bool want_prefix, const char *key)
{
	int err = add_match(x, w, l);

	if (!err && l->m[l->n - 1].is_prefix != want_prefix) {
		l->n--;
		snprintf(x->msg, sizeof(x->msg), "bad value '%s' for key '%s' (not %s)", w, key,
			 want_prefix ? "an address prefix" : "an interface name or glob");
		return -EINVAL;
	}
	return err;
}

/* Client prefixes only: an access network is reached from addresses, not names. */
static int add_prefix(struct load_ctx *x, const char *w, void *arg)
{
	return add_match_kind(x, w, arg, true, "clients");
}

static int add_iface(struct load_ctx *x, const char *w, void *arg)
{
	return add_match_kind(x, w, arg, false, "interfaces");
}

static bool access_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (!n || n >= sizeof(((struct mpsd_access *)0)->name))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("-_.", name[i]))
			return false;
	return true;
}

/* The [access NAME] section being read: found by name, created at its first key. */
static struct mpsd_access *access_get(struct load_ctx *x, const char *name)
{
	struct mpsd_config *c = x->c;
	struct mpsd_access *a;

	if (!access_name_ok(name)) {
		snprintf(x->msg, sizeof(x->msg), "bad access network name '%s' (1..31 letters, "
			 "digits, '-', '_', '.')", name);
		return NULL;
	}
	for (size_t i = 0; i < c->n_access; i++)
		if (!strcmp(c->access[i].name, name))
			return &c->access[i];
	if (c->n_access >= MPSD_MAX_ACCESS) {
		snprintf(x->msg, sizeof(x->msg), "too many access networks (at most %d)",
			 MPSD_MAX_ACCESS);
		return NULL;
	}
	a = &c->access[c->n_access++];
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->line = x->section_line ? (unsigned)*x->section_line : 0;
	return a;
}

static int sec_access(struct load_ctx *x, const char *name, const char *key, const char *val)
{
	struct mpsd_access *a = access_get(x, name);

	if (!a)
		return -EINVAL;
	if (!strcmp(key, "clients"))
		return each_word(val, add_prefix, x, &a->clients);
	if (!strcmp(key, "interfaces"))
		return each_word(val, add_iface, x, &a->interfaces);
	if (!strcmp(key, "capacity"))
		return set_rate(x, key, val, 1000, &a->capacity);
	return -ENOENT;
}

static int sec_balance(struct load_ctx *x, const char *key, const char *val)
{
	struct mpsd_balance_cfg *b = &x->c->balance;

	if (!strcmp(key, "band"))
		return set_uint(x, key, val, 1, 100, &b->band_pct);
	if (!strcmp(key, "dwell_ms"))
		return set_uint(x, key, val, 0, 3600000, &b->dwell_ms);
	if (!strcmp(key, "idle_rate"))
		return set_rate(x, key, val, 0, &b->idle_bps);
	if (!strcmp(key, "interval_ms"))
		return set_uint(x, key, val, 100, 600000, &b->interval_ms);
	if (!strcmp(key, "max_moves"))
		return set_uint(x, key, val, 1, 1000, &b->max_moves);
	return -ENOENT;
}

/* ---- steering ---- */

static int set_steer(struct load_ctx *x, const char *key, const char *val,
		     enum mpsd_steer_kind *out)
{
	if (mpsd_steer_parse(val, out))
		return snprintf(x->msg, sizeof(x->msg), "bad value '%s' for key '%s' (none, "
				"handover, interactive or balance)", val, key), -EINVAL;
	if (*out == MPSD_STEER_BALANCE && !x->balance_line && x->line)
		x->balance_line = *x->line;
	return 0;
}

static int sec_steering(struct load_ctx *x, const char *key, const char *val)
{
	struct mpsd_steer_cfg *s = &x->c->steer;

	if (!strcmp(key, "policy"))
		return set_steer(x, key, val, &s->dflt);
	if (!strcmp(key, "sample_busy_ms"))
		return set_uint(x, key, val, 10, 60000, &s->busy_ms);
	if (!strcmp(key, "sample_idle_ms"))
		return set_uint(x, key, val, 10, 600000, &s->idle_ms);
	return -ENOENT;
}

static int sec_health(struct load_ctx *x, const char *key, const char *val)
{
	struct mpsd_health_cfg *h = &x->c->steer.health;

	if (!strcmp(key, "rto_backoff"))
		return set_uint(x, key, val, 0, 15, &h->backoff);
	if (!strcmp(key, "stall_ms"))
		return set_uint(x, key, val, 10, 600000, &h->stall_ms);
	if (!strcmp(key, "rtt_factor"))
		return set_uint(x, key, val, 0, 1000, &h->rtt_factor);
	if (!strcmp(key, "rtt_excess_ms"))
		return set_uint(x, key, val, 0, 600000, &h->rtt_excess_ms);
	return -ENOENT;
}

/* A prefer list: the first occurrence of the key replaces nothing, each adds in order. */
static int sec_handover(struct load_ctx *x, const char *key, const char *val)
{
	struct mpsd_handover_cfg *h = &x->c->steer.handover;

	if (!strcmp(key, "prefer"))
		return each_word(val, add_match, x, &h->prefer);
	if (!strcmp(key, "dwell_ms"))
		return set_uint(x, key, val, 0, 3600000, &h->dwell_ms);
	if (!strcmp(key, "on_stall")) {
		if (strcmp(val, "close") && strcmp(val, "backup"))
			return snprintf(x->msg, sizeof(x->msg), "bad value '%s' for key '%s' (close "
					"or backup)", val, key), -EINVAL;
		h->close_stalled = !strcmp(val, "close");
		return 0;
	}
	return -ENOENT;
}

static int sec_interactive(struct load_ctx *x, const char *key, const char *val)
{
	struct mpsd_interactive_cfg *ia = &x->c->steer.interactive;

	if (!strcmp(key, "prefer"))
		return each_word(val, add_match, x, &ia->prefer);
	if (!strcmp(key, "margin"))
		return set_uint(x, key, val, 0, 1000, &ia->margin_pct);
	if (!strcmp(key, "min_diff_ms"))
		return set_uint(x, key, val, 0, 60000, &ia->min_diff_ms);
	if (!strcmp(key, "hold_ms"))
		return set_uint(x, key, val, 0, 3600000, &ia->hold_ms);
	if (!strcmp(key, "probe_ms"))
		return set_uint(x, key, val, 0, 600000, &ia->probe_ms);
	return -ENOENT;
}

/* The [rule NAME] section being read: found by name, created at its first key. */
static struct mpsd_steer_rule *rule_get(struct load_ctx *x, const char *name)
{
	struct mpsd_steer_cfg *s = &x->c->steer;
	struct mpsd_steer_rule *r;

	if (!access_name_ok(name)) {
		snprintf(x->msg, sizeof(x->msg), "bad rule name '%s' (1..31 letters, digits, '-', "
			 "'_', '.')", name);
		return NULL;
	}
	for (size_t i = 0; i < s->n_rules; i++)
		if (!strcmp(s->rules[i].name, name))
			return &s->rules[i];
	if (s->n_rules >= MPSD_MAX_RULES) {
		snprintf(x->msg, sizeof(x->msg), "too many rules (at most %d)", MPSD_MAX_RULES);
		return NULL;
	}
	r = &s->rules[s->n_rules++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->line = x->section_line ? (unsigned)*x->section_line : 0;
	return r;
}

/* "443" or "8000-8100". */
static int set_ports(struct load_ctx *x, const char *key, const char *val,
		     struct mpsd_steer_rule *r)
{
	char lo[16], *dash;
	uint32_t a, b;

	if (strlen(val) >= sizeof(lo))
		return BAD(x, key, val);
	strcpy(lo, val);
	dash = strchr(lo, '-');
	if (dash)
		*dash = '\0';
	if (mps_parse_u32(lo, 65535, &a) || !a ||
	    (dash ? mps_parse_u32(dash + 1, 65535, &b) || b < a : (b = a, 0)))
		return snprintf(x->msg, sizeof(x->msg), "bad value '%s' for key '%s' (a port "
				"1..65535 or a range N-M)", val, key), -EINVAL;
	r->port_lo = (uint16_t)a;
	r->port_hi = (uint16_t)b;
	return 0;
}

static int add_peer(struct load_ctx *x, const char *w, void *arg)
{
	return add_match_kind(x, w, arg, true, "peer");
}

static int add_process(struct load_ctx *x, const char *w, void *arg)
{
	struct mpsd_steer_rule *r = arg;

	if (r->n_process >= MPSD_RULE_LIST || strlen(w) >= sizeof(r->process[0]))
		return snprintf(x->msg, sizeof(x->msg), "bad value '%s' for key 'process' (at most "
				"%d names of up to 15 characters)", w, MPSD_RULE_LIST), -EINVAL;
	strcpy(r->process[r->n_process++], w);
	return 0;
}

static int add_cgroup(struct load_ctx *x, const char *w, void *arg)
{
	struct mpsd_steer_rule *r = arg;

	if (r->n_cgroup >= MPSD_RULE_LIST || w[0] != '/' || strlen(w) >= sizeof(r->cgroup[0]) ||
	    strstr(w, "/../") || !strcmp(w + strlen(w) - (strlen(w) > 2 ? 3 : 0), "/.."))
		return snprintf(x->msg, sizeof(x->msg), "bad value '%s' for key 'cgroup' (at most "
				"%d absolute cgroup v2 paths, up to 127 characters)", w,
				MPSD_RULE_LIST), -EINVAL;
	strcpy(r->cgroup[r->n_cgroup++], w);
	return 0;
}

static int sec_rule(struct load_ctx *x, const char *name, const char *key, const char *val)
{
	struct mpsd_steer_rule *r = rule_get(x, name);

	if (!r)
		return -EINVAL;
	if (!strcmp(key, "policy")) {
		r->has_policy = true;
		return set_steer(x, key, val, &r->policy);
	}
	if (!strcmp(key, "local_port"))
		return set_ports(x, key, val, r);
	if (!strcmp(key, "peer"))
		return each_word(val, add_peer, x, &r->peer);
	if (!strcmp(key, "process"))
		return each_word(val, add_process, x, r);
	if (!strcmp(key, "cgroup"))
		return each_word(val, add_cgroup, x, r);
	return -ENOENT;
}

static const struct {
	const char *name;
	key_fn fn;
} sections[] = {
	{ "daemon", sec_daemon },   { "client", sec_client }, { "server", sec_server },
	{ "interfaces", sec_interfaces }, { "links", sec_links }, { "routing", sec_routing },
	{ "balance", sec_balance }, { "steering", sec_steering }, { "health", sec_health },
	{ "handover", sec_handover }, { "interactive", sec_interactive },
};

/* Sections with a name: [access NAME], [rule NAME]. */
static const struct {
	const char *name;
	int (*fn)(struct load_ctx *x, const char *name, const char *key, const char *val);
} named[] = {
	{ "access", sec_access },
	{ "rule", sec_rule },
};

static int handler(void *user, const char *section, const char *key, const char *val)
{
	struct load_ctx *x = user;
	int err;

	if (!key) /* a section header alone (INI_CALL_HANDLER_ON_NEW_SECTION builds) */
		return 1;
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		size_t n = strlen(named[i].name);
		const char *name = section + n;

		if (strncmp(section, named[i].name, n) || (*name != ' ' && *name != '\t'))
			continue;
		while (*name == ' ' || *name == '\t')
			name++;
		err = named[i].fn(x, name, key, val);
		goto out;
	}
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		if (strcmp(section, sections[i].name))
			continue;
		err = sections[i].fn(x, key, val);
		goto out;
	}
	if (!x->msg[0])
		snprintf(x->msg, sizeof(x->msg), "unknown section [%s]", section);
	return 0;
out:
	if (err == -ENOENT && !x->msg[0])
		snprintf(x->msg, sizeof(x->msg), "unknown key '%s' in section [%s]", key, section);
	return err ? 0 : 1;
}

/*
 * inih reads lines into a buffer of a fixed size (INI_MAX_LINE, 200 in Debian's build) and
 * silently splits a longer line, its tail parsed as a phantom next line. Lines are fed to it
 * here one at a time instead, so an over-long line stops the parse and is named as an error.
 */
struct text_reader {
	const char *p, *end;
	int line;     /* lines handed out so far */
	int too_long; /* the line that did not fit, 0 if none */
	int limit;    /* its limit in characters */
	int nul;      /* first line with a NUL byte, 0 if none */
	int section_line; /* the last section header, for checks made after the parse */
};

static char *next_line(char *str, int num, void *stream)
{
	struct text_reader *r = stream;
	const char *nl;
	size_t len, text;

	if (r->too_long || r->nul || r->p >= r->end)
		return NULL;
	nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	len = nl ? (size_t)(nl + 1 - r->p) : (size_t)(r->end - r->p);
	text = nl ? len - 1 : len; /* without its "\n" ... */
	if (text && r->p[text - 1] == '\r')
		text--;        /* ... and "\r" */
	r->line++;
	/* ini.h: the buffer must be 3 more than the longest line ('\r', '\n', '\0'). */
	if (num < 4 || text > (size_t)num - 3) {
		r->too_long = r->line;
		r->limit = num < 4 ? 0 : num - 3;
		return NULL;
	}
	if (memchr(r->p, '\0', len)) {
		r->nul = r->line;
		return NULL;
	}
	memcpy(str, r->p, len);
	str[len] = '\0';
	r->p += len;
	if (str[strspn(str, " \t")] == '[')
		r->section_line = r->line;
	return str;
}

/* Checks that need the whole file: each access network complete. */
static int check_access(const char *name, const struct mpsd_config *c, int balance_line,
			char *err, size_t errlen)
{
	if (balance_line && !c->n_access)
		return snprintf(err, errlen, "%s:%d: policy balance needs access networks "
				"([access NAME] sections), there are none", name, balance_line),
		       -EINVAL;
	for (size_t i = 0; i < c->n_access; i++) {
		const struct mpsd_access *a = &c->access[i];

		if (!a->capacity)
			return snprintf(err, errlen, "%s:%u: [access %s] has no capacity", name,
					a->line, a->name), -EINVAL;
		if (!a->clients.n && !a->interfaces.n)
			return snprintf(err, errlen, "%s:%u: [access %s] names neither clients nor "
					"interfaces", name, a->line, a->name), -EINVAL;
	}
	return 0;
}

/* Every rule says which policy its connections get. */
static int check_rules(const char *name, const struct mpsd_config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->steer.n_rules; i++)
		if (!c->steer.rules[i].has_policy)
			return snprintf(err, errlen, "%s:%u: [rule %s] has no policy", name,
					c->steer.rules[i].line, c->steer.rules[i].name), -EINVAL;
	return 0;
}

static int finish(const char *name, int line, const struct text_reader *r, struct load_ctx *x,
		  char *err, size_t errlen)
{
	struct mpsd_config *c = x->c;

	if (line < 0)
		return snprintf(err, errlen, "%s: cannot allocate memory", name), -ENOMEM;
	if (line > 0) {
		snprintf(err, errlen, "%s:%d: %s", name, line, x->msg[0] ? x->msg : "syntax error");
		return -EINVAL;
	}
	if (r->too_long) {
		snprintf(err, errlen, "%s:%d: line longer than %d characters (a long list can be "
			 "split over several lines of the same key)", name, r->too_long, r->limit);
		return -EINVAL;
	}
	if (r->nul) {
		snprintf(err, errlen, "%s:%d: NUL byte in the line", name, r->nul);
		return -EINVAL;
	}
	if (c->retry_max_ms < c->retry_base_ms) {
		snprintf(err, errlen, "%s: retry_max_ms (%u) is below retry_base_ms (%u)", name,
			 c->retry_max_ms, c->retry_base_ms);
		return -EINVAL;
	}
	if (check_access(name, c, x->balance_line, err, errlen))
		return -EINVAL;
	return check_rules(name, c, err, errlen);
}

static int load_text(const char *name, const char *text, size_t len, struct mpsd_config *c,
		     char *err, size_t errlen)
{
	struct load_ctx x = { .c = c };
	struct text_reader r = { .p = text, .end = text + len };

	x.section_line = &r.section_line;
	x.line = &r.line;
	return finish(name, ini_parse_stream(next_line, &r, handler, &x), &r, &x, err, errlen);
}

/* A config file is small; anything larger than this is not one. */
#define CONFIG_MAX_BYTES (1u << 20)

int mpsd_config_load(const char *path, struct mpsd_config *c, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t len;
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	buf = malloc(CONFIG_MAX_BYTES + 1);
	if (!buf) {
		fclose(f);
		return snprintf(err, errlen, "%s: cannot allocate memory", path), -ENOMEM;
	}
	len = fread(buf, 1, CONFIG_MAX_BYTES + 1, f);
	if (ferror(f)) {
		ret = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	} else if (len > CONFIG_MAX_BYTES) {
		ret = -EFBIG;
		snprintf(err, errlen, "%s: larger than %u bytes", path, CONFIG_MAX_BYTES);
	} else {
		snprintf(c->path, sizeof(c->path), "%s", path);
		ret = load_text(path, buf, len, c, err, errlen);
	}
	free(buf);
	fclose(f);
	return ret;
}

int mpsd_config_load_string(const char *name, const char *text, struct mpsd_config *c, char *err,
			    size_t errlen)
{
	return load_text(name, text, strlen(text), c, err, errlen);
}
