/* SPDX-License-Identifier: MIT */
/*
 * mpsteerd — the table of contents.
 *
 * The daemon is the userspace MPTCP path manager of one network namespace.
 * One file per role:
 *   main.c     options, start-up (sysctl, adoption, readiness), shutdown
 *   loop.c     epoll loop, timers (one timerfd), signals (signalfd)
 *   log.c      leveled logging to stderr or syslog
 *   config.c   the config file (inih) -> struct mpsd_config; pure
 *   policy.c   which subflows a connection should have; pure
 *   balance.c  the balance policy: primaries spread over access networks; pure
 *   balancer.c the balance policy in the daemon: measuring windows, plans applied
 *   decide.c   subflow health and the handover / interactive decisions; pure
 *   sample.c   health sampling: busy connections (MPTCP dump), their subflows (lookups)
 *   probe.c    echo probes of the paths of interactive connections (fresh RTTs)
 *   steer.c    steering: policy per connection (rules, pins), applying decisions
 *   conn.c     connection table: state, subflows, local ids, overrides
 *   events.c   mptcp_pm events -> connection state; resync on overflow
 *   pathmgr.c  acting on connections: create / close / demote subflows, announce
 *   links.c    interfaces and addresses (rtnetlink) and their usability
 *   route.c    optional source-address routing tables and rules
 *   metrics.c  Prometheus text exposition: rendering, and the opt-in HTTP listener
 *   ctlsrv.c   the control socket (see src/common/ctl.h)
 *   privs.c    least privilege after start-up: capabilities, no_new_privs, --user
 *   ctlsteer.c steering's views for the control socket (conns, status, monitor)
 *
 * Everything runs in one thread; handlers never block except on netlink
 * commands to the kernel, which answer at once.
 *
 * State: one `struct mpsd` (at the end of this file) holds all of it, one part
 * per module; every function takes it first as `d`, callbacks of the loop too.
 * Layers (each calls only those before it): loop, log, config, policy < conn <
 * links < route, pathmgr < events < metrics < ctlsrv < main. links.c reports upwards
 * through struct mpsd_links_ops, wired by main.c.
 */
#ifndef MPSTEERD_H
#define MPSTEERD_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "mpsteer/diag.h"
#include "mpsteer/mpsteer.h"
#include "mpsteer/pm.h"
#include "mpsteer/rtnl.h"
#include "mpsteer/steer.h"

/* ---- tunables (defaults; most can be changed in the config file) ---- */
#define MPSD_RECONCILE_S 30       /* sock_diag reconciliation period */
#define MPSD_EVENT_BUFFER (32u << 20) /* event socket receive buffer (bytes) */
#define MPSD_MAX_SUBFLOWS 8       /* per connection, the initial one included */
#define MPSD_RETRY_BASE_MS 500    /* first retry of a failed subflow */
#define MPSD_RETRY_MAX_MS 30000   /* backoff ceiling */
#define MPSD_RETRY_LIMIT 8        /* attempts per path before giving up until links change */
#define MPSD_FLAP_BASE_MS 200     /* delay before using an interface that came (back) up */
#define MPSD_FLAP_MAX_MS 30000    /* ... growing while it flaps */
#define MPSD_FLAP_WINDOW_S 60     /* stable this long: the flap count is forgotten */
#define MPSD_STABLE_S 30          /* a subflow that lived this long resets its backoff */
#define MPSD_MAX_CLIENTS 64       /* control-socket clients at once */
#define MPSD_CTL_IDLE_S 10        /* a control client making no progress this long is closed */
#define MPSD_CTL_UNPRIV_QUEUE (64u << 20) /* reply bytes queued to unprivileged clients, all
					     together: beyond, the client is dropped */
#define MPSD_MAX_PATTERNS 32      /* entries of one interface/prefix list */
#define MPSD_METRICS_CLIENTS 8    /* HTTP scrapers at once; more are refused */
#define MPSD_METRICS_REQ_MAX 4096 /* bytes of one HTTP request head */
#define MPSD_METRICS_TIMEOUT_S 5  /* a scraper must be done within this */
#define MPSD_METRICS_CACHE_MS 1000 /* subflow bytes are dumped at most this often */
#define MPSD_MAX_ANNOUNCE 16      /* server addresses to announce */
#define MPSD_TABLE_BASE 7000      /* source routing: table = base + ifindex */
#define MPSD_RULE_PRIO 7000       /* source routing: rule priority */
#define MPSD_MAX_ACCESS 8         /* access networks ([access NAME] sections) */
#define MPSD_BAL_BAND_PCT 10      /* balance: utilisation spread tolerated (points) */
#define MPSD_BAL_DWELL_MS 30000   /* balance: a moved connection stays this long */
#define MPSD_BAL_IDLE_BPS 100000  /* balance: below this rate (bit/s) a connection is idle */
#define MPSD_BAL_INTERVAL_MS 2000 /* balance: measuring window and decision period */
#define MPSD_BAL_MAX_MOVES 8      /* balance: primary changes per decision */
#define MPSD_BAL_SATURATED 0.95   /* balance: a network this full: one move off it per plan */
#define MPSD_MAX_RULES 16         /* [rule NAME] sections */
#define MPSD_SAMPLE_BUSY_MS 50    /* sampling period while a steered connection moves data */
#define MPSD_SAMPLE_IDLE_MS 2000  /* ... while none does */
#define MPSD_IFSTAT_MS 500        /* interface byte counters read at most this often */
#define MPSD_HEALTH_BACKOFF 2     /* unhealthy after this many RTOs in a row */
#define MPSD_HEALTH_STALL_MS 200  /* ... or data outstanding and nothing acked this long */
#define MPSD_HEALTH_RTT_FACTOR 8  /* ... or srtt above 8 x min RTT ... */
#define MPSD_HEALTH_RTT_EXCESS 200 /* ... and 200 ms above it */
#define MPSD_HO_DWELL_MS 3000     /* handover: healthy this long before traffic returns */
#define MPSD_IA_MARGIN_PCT 30     /* interactive: better by 30% ... */
#define MPSD_IA_MIN_DIFF_MS 5     /* ... and 5 ms ... */
#define MPSD_IA_HOLD_MS 1000      /* ... for 1 s, to move */
#define MPSD_IA_PROBE_MS 500      /* interactive: echo probe period of paths without traffic */

/* ---- log.c ---- */
enum mpsd_log_level { MPSD_LOG_ERR = 3, MPSD_LOG_WARN = 4, MPSD_LOG_INFO = 6, MPSD_LOG_DEBUG = 7 };
void log_init(int level, bool use_syslog);
void log_set_level(int level);
int log_level_parse(const char *s); /* -EINVAL if unknown */
const char *log_level_name(int level);
__attribute__((format(printf, 2, 3))) void log_msg(int level, const char *fmt, ...);
#define log_err(...) log_msg(MPSD_LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(MPSD_LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(MPSD_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(MPSD_LOG_DEBUG, __VA_ARGS__)
bool log_enabled(int level);

/* ---- config.c ---- */
enum mpsd_policy_kind { MPSD_POL_NONE, MPSD_POL_PER_IFACE, MPSD_POL_FULLMESH, MPSD_POL_NDIFFPORTS };
struct mpsd_policy {
	enum mpsd_policy_kind kind;
	/* ndiffports: subflows over the initial address pair, the initial one included */
	unsigned n;
};
/* Text of a policy ("per-interface", "ndiffports 4", ...) into buf; returns buf. */
const char *mpsd_policy_format(const struct mpsd_policy *p, char *buf, size_t len);
int mpsd_policy_parse(const char *s, struct mpsd_policy *out);

/* An interface glob ("wlan*") or an address prefix ("10.9.0.0/16", "2001:db8::/32"). */
struct mpsd_match {
	bool is_prefix;
	char glob[32];
	struct mps_addr prefix;
	uint8_t plen;
};
struct mpsd_matchlist {
	size_t n;
	struct mpsd_match m[MPSD_MAX_PATTERNS];
};
/* true when ifname matches a glob or addr (may be NULL) lies in a prefix. */
bool mpsd_matchlist_hit(const struct mpsd_matchlist *l, const char *ifname,
			const struct mps_addr *addr);
bool mpsd_prefix_contains(const struct mps_addr *prefix, uint8_t plen, const struct mps_addr *a);

/* A server address to announce: an interface (all its addresses) or one address[:port]. */
struct mpsd_announce {
	bool is_iface;
	char ifname[IF_NAMESIZE];
	struct mps_addr addr; /* port 0: the connection's own port */
};

/* An access network ([access NAME]): what reaches it and what it can carry. */
struct mpsd_access {
	char name[32];
	struct mpsd_matchlist clients;    /* peer prefixes behind it */
	struct mpsd_matchlist interfaces; /* local interfaces that reach it */
	uint64_t capacity;                /* bit/s in each direction */
	unsigned line;                    /* of its section header, for messages */
};
/* [balance]: the balance policy's tunables. */
struct mpsd_balance_cfg {
	unsigned band_pct;    /* band */
	unsigned dwell_ms;    /* dwell */
	uint64_t idle_bps;    /* idle_rate */
	unsigned interval_ms; /* interval */
	unsigned max_moves;   /* max_moves */
};

/*
 * Steering policies: which subflow of a connection is primary (the others are backup).
 * Not to be confused with the subflow policies above, which say which subflows exist.
 */
enum mpsd_steer_kind {
	MPSD_STEER_NONE,        /* static [interfaces] backup rules only */
	MPSD_STEER_HANDOVER,    /* the most preferred healthy path */
	MPSD_STEER_INTERACTIVE, /* the lowest smoothed RTT, with hysteresis */
	MPSD_STEER_BALANCE,     /* server side: access networks evenly used */
	MPSD_STEER_N
};
const char *mpsd_steer_name(enum mpsd_steer_kind k);
int mpsd_steer_parse(const char *s, enum mpsd_steer_kind *out); /* -EINVAL if unknown */

/* [health]: when a path (subflow) is unhealthy. */
struct mpsd_health_cfg {
	unsigned backoff;       /* rto_backoff: this many RTOs in a row */
	unsigned stall_ms;      /* stall_ms: data outstanding, nothing acked this long */
	unsigned rtt_factor;    /* rtt_factor: smoothed RTT above factor x the path's min RTT ... */
	unsigned rtt_excess_ms; /* rtt_excess_ms: ... and above it by this much */
};
/* [handover] */
struct mpsd_handover_cfg {
	struct mpsd_matchlist prefer; /* prefer: ordered interfaces, local or peer prefixes */
	unsigned dwell_ms;            /* dwell_ms: healthy this long before traffic returns */
	bool close_stalled;           /* on_stall = close (default) | backup */
};
/* [interactive] */
struct mpsd_interactive_cfg {
	struct mpsd_matchlist prefer; /* prefer: which of two similar paths to use */
	unsigned margin_pct;          /* margin: better by this many percent ... */
	unsigned min_diff_ms;         /* min_diff_ms: ... and by this much ... */
	unsigned hold_ms;             /* hold_ms: ... for this long */
	unsigned probe_ms;            /* probe_ms: echo probes of paths without traffic (0 off) */
};
/* [rule NAME]: connections it matches get its policy; first match wins. */
#define MPSD_RULE_LIST 4
struct mpsd_steer_rule {
	char name[32];
	unsigned line;                 /* of its section header */
	uint16_t port_lo, port_hi;     /* local_port N or N-M; 0-0: any */
	struct mpsd_matchlist peer;    /* peer: prefixes; empty: any */
	size_t n_process;              /* process: names (comm, 15 characters) */
	char process[MPSD_RULE_LIST][16];
	size_t n_cgroup;               /* cgroup: v2 paths, subtrees included */
	char cgroup[MPSD_RULE_LIST][128];    /* the owner's, as /proc/PID/cgroup names it */
	enum mpsd_steer_kind policy;   /* policy */
	bool has_policy;
};
struct mpsd_steer_cfg {
	enum mpsd_steer_kind dflt;     /* [steering] policy: without a matching rule */
	unsigned busy_ms, idle_ms;     /* [steering] sample_busy_ms, sample_idle_ms */
	size_t n_rules;                /* [rule NAME] sections, in file order */
	struct mpsd_steer_rule rules[MPSD_MAX_RULES];
	struct mpsd_health_cfg health;
	struct mpsd_handover_cfg handover;
	struct mpsd_interactive_cfg interactive;
};

enum mpsd_pm_mode { MPSD_PM_SET, MPSD_PM_CHECK };
enum mpsd_linkdown { MPSD_LD_CLOSE, MPSD_LD_BACKUP };

struct mpsd_config {
	char path[256];               /* "" when running without a file */
	enum mpsd_pm_mode pm_mode;    /* [daemon] path_manager = set | check */
	int log_level;                /* [daemon] log_level */
	char group[64];               /* [daemon] control_group: may change things too */
	gid_t gid;
	bool has_group;
	unsigned reconcile_s;         /* [daemon] reconcile_interval */
	unsigned event_buffer;        /* [daemon] event_buffer (bytes, K/M suffixes) */
	unsigned ctl_idle_s;          /* [daemon] control_idle_timeout (seconds) */
	unsigned ctl_unpriv_queue;    /* [daemon] control_queue_limit (bytes) */
	struct mps_addr metrics_listen; /* [daemon] metrics_listen (family AF_UNSPEC: off) */
	struct mpsd_policy client;    /* [client] policy */
	struct mpsd_policy server;    /* [server] policy: subflows from the server side */
	unsigned max_subflows;        /* [daemon] max_subflows */
	size_t n_announce;            /* [server] announce */
	struct mpsd_announce announce[MPSD_MAX_ANNOUNCE];
	struct mpsd_matchlist allow;  /* [interfaces] allow (empty: all) */
	struct mpsd_matchlist deny;   /* [interfaces] deny */
	struct mpsd_matchlist backup; /* [interfaces] backup */
	enum mpsd_linkdown link_down; /* [links] on_down = close | backup */
	unsigned retry_base_ms, retry_max_ms, retry_limit; /* [links] */
	unsigned flap_base_ms, flap_max_ms;                /* [links] */
	bool source_routing;          /* [routing] source_routing */
	uint32_t table_base, rule_prio; /* [routing] table_base, rule_priority */
	size_t n_access;              /* [access NAME] sections, in file order */
	struct mpsd_access access[MPSD_MAX_ACCESS];
	struct mpsd_balance_cfg balance; /* [balance] */
	struct mpsd_steer_cfg steer;  /* [steering] [health] [handover] [interactive] [rule NAME] */
};

void mpsd_config_defaults(struct mpsd_config *c);
/*
 * Loads a file over the defaults. On error returns -EINVAL (or -errno when
 * the file cannot be read) and writes "file:line: ..." into err.
 */
int mpsd_config_load(const char *path, struct mpsd_config *c, char *err, size_t errlen);
/* Same, from a string (tests); name is used in messages. */
int mpsd_config_load_string(const char *name, const char *text, struct mpsd_config *c, char *err,
			    size_t errlen);
/* true when an interface may carry subflows (allow/deny lists). */
bool mpsd_config_iface_allowed(const struct mpsd_config *c, const char *ifname, const char *kind);

/* ---- policy.c (pure) ---- */
/* A local address the policy may use. */
struct mpsd_local {
	int ifindex;
	char ifname[IF_NAMESIZE];
	struct mps_addr addr;
};
struct mpsd_pair {
	int ifindex;
	struct mps_addr local;  /* port 0 = any */
	struct mps_addr remote; /* with port */
};
/* What the policy knows of one connection. */
struct mpsd_plan_in {
	struct mpsd_policy policy;
	bool server_side;
	bool deny_join_id0;
	unsigned max_subflows;
	struct mps_addr local0, remote0; /* initial subflow, with ports */
	int ifindex0;
	size_t n_remotes;                /* announced by the peer, port 0 = remote0's port */
	const struct mps_addr *remotes;
	size_t n_existing;               /* subflows established or being created */
	const struct mpsd_pair *existing;
	size_t n_locals;                 /* usable local addresses (already filtered) */
	const struct mpsd_local *locals;
};
/* Fills out[] with the subflows to create now (at most max); returns their number. */
size_t mpsd_plan(const struct mpsd_plan_in *in, struct mpsd_pair *out, size_t max);

/* ---- balance.c (pure) ---- */
/* The access network a subflow uses: the first whose interfaces hold ifname or whose
 * clients hold peer (either may be NULL); -1 when none. */
int mpsd_access_of(const struct mpsd_config *c, const char *ifname, const struct mps_addr *peer);
/* true when ifname belongs to access network idx and to no other: its counters measure
 * idx's whole load, MPTCP or not. */
bool mpsd_access_dedicated(const struct mpsd_config *c, size_t idx, const char *ifname);
/* Rates are bit/s; [0] = sent by this host, [1] = received. */
struct mpsd_bal_net {
	uint64_t capacity;      /* 0: not balanced */
	uint64_t load[2];       /* everything measured on it, MPTCP or not */
};
struct mpsd_bal_conn {
	uint32_t token;
	uint64_t rate[2];       /* this connection's own usage */
	int primary;            /* access network carrying it; -1 unknown (never moved) */
	uint32_t paths;         /* bit i: it has an established subflow on access network i */
	uint64_t moved_ms;      /* its last primary change, 0 = never */
};
struct mpsd_bal_params {
	double band;            /* 0.10: utilisations may spread by 10 points */
	uint64_t dwell_ms, idle_bps, now_ms;
	unsigned max_moves;
};
struct mpsd_bal_move {
	size_t conn;            /* index into the conns given */
	int from, to;
	uint64_t rate;          /* its busier direction */
};
enum mpsd_bal_verdict { MPSD_BAL_BALANCED, MPSD_BAL_MOVED, MPSD_BAL_STUCK, MPSD_BAL_NOMEM };
struct mpsd_bal_summary {
	enum mpsd_bal_verdict verdict;
	double util_before[MPSD_MAX_ACCESS], util_after[MPSD_MAX_ACCESS]; /* after: predicted */
	double spread_before, spread_after;
};
/* The primary changes that even out the networks' utilisations; fills moves[] (at most max)
 * and sum, returns the number of moves. */
size_t mpsd_balance(const struct mpsd_bal_net *nets, size_t n_nets,
		    const struct mpsd_bal_conn *conns, size_t n_conns,
		    const struct mpsd_bal_params *p, struct mpsd_bal_move *moves, size_t max,
		    struct mpsd_bal_summary *sum);
const char *mpsd_bal_verdict_name(enum mpsd_bal_verdict v);

/* ---- decide.c (pure) ---- */
/* One subflow's tcp_info at one moment (sample.c fills it from sock_diag). */
struct mpsd_sample {
	uint64_t at_ms;             /* 0: none */
	uint32_t srtt_us, rttvar_us, min_rtt_us;
	uint8_t backoff, retransmits;
	uint32_t unacked, lost, total_retrans;
	uint64_t bytes_acked, bytes_received, delivery_rate;
};
/* Why a path is unhealthy; MPSD_H_OK when it is not. */
enum mpsd_health_why { MPSD_H_OK, MPSD_H_CARRIER, MPSD_H_BACKOFF, MPSD_H_STALL, MPSD_H_RTT };
const char *mpsd_health_name(enum mpsd_health_why w);
/*
 * A path's health, updated by each sample. Transitions (each logged by the caller):
 *   OK --carrier lost / backoff / stall / RTT far above baseline--> that reason
 *   any reason --all clear in a sample--> OK (good_since = then: the dwell counts from here)
 */
struct mpsd_health {
	enum mpsd_health_why why;
	uint64_t since_ms;          /* of the current verdict */
	uint64_t progress_ms;       /* last sample with acked bytes moving or nothing outstanding */
	struct mpsd_sample last;    /* the latest sample */
	uint64_t d_acked, d_received; /* bytes over the last sampling interval */
	uint32_t d_ms;              /* that interval */
	uint32_t rtt_us;            /* the RTT decisions use: echo probes' (smoothed), else srtt */
	uint64_t rtt_at_ms;
	uint64_t probe_at_ms;       /* last probe answer; 0: none */
};
/* Folds a new sample (NULL: none, only the carrier changed) into h at time now. */
void mpsd_health_update(const struct mpsd_health_cfg *cfg, struct mpsd_health *h, bool carrier,
			const struct mpsd_sample *s, uint64_t now);
/* An echo probe's RTT. While probes answer, decisions use their (smoothed) RTT on every
 * path, so that paths are compared alike (a TCP srtt carries delayed ACKs, an echo does
 * not); srtt again once they have not answered for MPSD_PROBE_STALE_MS. */
#define MPSD_PROBE_STALE_MS 3000
void mpsd_health_probe(struct mpsd_health *h, uint32_t rtt_us, uint64_t now);

/* One path (established subflow) of a connection, as a decision sees it. */
#define MPSD_RANK_NONE 1000 /* not in the prefer list: after every listed path */
struct mpsd_path {
	uint32_t id;                /* stable while the subflow lives (caller's choice) */
	unsigned rank;              /* position in the policy's prefer list */
	bool primary;               /* the one chosen now */
	const struct mpsd_health *h;
};
/* What a policy remembers of a connection between decisions. */
struct mpsd_steer_state {
	uint64_t since_ms;          /* the current primary chosen at; 0: never chosen */
	uint32_t cand;              /* interactive: a better path seen ... */
	uint64_t cand_since_ms;     /* ... since (0: none) */
};
enum mpsd_reason {
	MPSD_R_NONE,
	MPSD_R_INITIAL,     /* the first choice */
	MPSD_R_UNHEALTHY,   /* the primary turned unhealthy */
	MPSD_R_RETURN,      /* a preferred path healthy for the dwell time */
	MPSD_R_LOWER_RTT,   /* lower smoothed RTT by the margin for the hold time */
	MPSD_R_PREFERRED,   /* similar RTT, preferred path */
	MPSD_R_GONE,        /* the primary's subflow closed */
	MPSD_R_BALANCE,     /* access network utilisation */
	MPSD_R_N
};
const char *mpsd_reason_name(enum mpsd_reason r);
/* A change of primary, with the measured values behind it. */
struct mpsd_decision {
	size_t to;                  /* index into the paths given */
	int from;                   /* index, -1 when there was no primary */
	enum mpsd_reason reason;
	enum mpsd_health_why why;   /* UNHEALTHY: what was wrong with the one left */
	uint32_t from_rtt_us, to_rtt_us, from_min_rtt_us;
	unsigned from_backoff;
	uint64_t from_stall_ms;     /* how long nothing was acked */
	/* BALANCE: the connection's rate and the access networks' measured utilisations */
	uint64_t bal_rate_bps;
	uint8_t bal_from, bal_to;   /* access networks (indexes into cfg.access) */
	uint16_t bal_from_pm, bal_to_pm; /* utilisation, per mille, when decided */
};
/* Returns true and fills out when the primary should change; st is updated. */
bool mpsd_decide_handover(const struct mpsd_handover_cfg *cfg, const struct mpsd_path *p,
			  size_t n, struct mpsd_steer_state *st, uint64_t now,
			  struct mpsd_decision *out);
bool mpsd_decide_interactive(const struct mpsd_interactive_cfg *cfg, const struct mpsd_path *p,
			     size_t n, struct mpsd_steer_state *st, uint64_t now,
			     struct mpsd_decision *out);
/* What a rule can be matched on. comm and in_cgroup may be unknown (NULL): a rule that
 * needs them then cannot be decided yet. */
struct mpsd_conn_facts {
	struct mps_addr local, peer;
	const char *comm;
	bool (*in_cgroup)(const char *path, void *ctx); /* the owner's cgroup is path or below */
	void *ctx;
};
/* Index of the first rule that matches, -1 for none (the default policy), -EAGAIN when a
 * rule needs a fact not known yet. */
int mpsd_rule_match(const struct mpsd_steer_cfg *cfg, const struct mpsd_conn_facts *f);
/* true when some rule looks at the process or the cgroup (the owner must be found). */
bool mpsd_rules_need_owner(const struct mpsd_steer_cfg *cfg);
bool mpsd_rules_need_process(const struct mpsd_steer_cfg *cfg);
/* true when policy k is the default or some rule's. */
bool mpsd_steer_uses(const struct mpsd_steer_cfg *cfg, enum mpsd_steer_kind k);

/* Position of the first entry of l that the path matches, MPSD_RANK_NONE when none. */
unsigned mpsd_rank(const struct mpsd_matchlist *l, const char *ifname,
		   const struct mps_addr *local, const struct mps_addr *remote);

/* ---- loop.c ---- */
struct mpsd;
typedef void (*mpsd_io_cb)(struct mpsd *d, int fd, uint32_t events, void *data);
typedef void (*mpsd_timer_cb)(struct mpsd *d, void *data);
/* Embedded in its owner (no allocation per timer), cancelled by the owner before it is freed. */
struct mpsd_timer {
	uint64_t due_ms; /* 0: not armed */
	size_t slot;     /* position in the heap + 1; 0: not in it */
	mpsd_timer_cb cb;
	void *data;
};
struct mpsd_io {
	mpsd_io_cb cb;
	void *data;
};
struct mpsd_loop {
	int epfd, tfd;
	bool stopping;
	struct mpsd_timer **heap; /* binary min-heap by due_ms */
	size_t n_heap, cap_heap;
	struct mpsd_io *io;       /* indexed by fd: fds are small and dense in this process */
	size_t n_io;
};
int loop_init(struct mpsd *d);
void loop_fini(struct mpsd *d);
int loop_add(struct mpsd *d, int fd, uint32_t events, mpsd_io_cb cb, void *data);
int loop_mod(struct mpsd *d, int fd, uint32_t events, void *data_same_as_add);
void loop_del(struct mpsd *d, int fd);
/* Arms (or re-arms) t to fire after ms: O(log n). */
void timer_arm(struct mpsd *d, struct mpsd_timer *t, uint64_t ms, mpsd_timer_cb cb, void *data);
void timer_cancel(struct mpsd *d, struct mpsd_timer *t);
uint64_t now_ms(void); /* CLOCK_MONOTONIC */
/* Runs until loop_stop(); returns 0. */
int loop_run(struct mpsd *d);
void loop_stop(struct mpsd *d);

/* ---- links.c ---- */
struct mpsd_iface {
	struct mps_link link;
	bool usable;           /* allowed, up, carrier, and its flap delay over */
	uint64_t usable_at;    /* flap delay: not used before this time (ms) */
	unsigned flaps;
	uint64_t last_change;  /* ms */
	struct mpsd_timer flap_timer;
};
/*
 * What links.c reports upwards. It calls no other module of the daemon: main.c wires these to
 * route.c and pathmgr.c, so that the layers stay loop < conn < links < route, pathmgr < events.
 */
struct mpsd_links_ops {
	void (*usable)(struct mpsd *d, int ifindex);   /* (back) in use after its flap delay */
	/* Unusable interface (addr NULL) or address removed: its subflows must go now. */
	void (*lost)(struct mpsd *d, int ifindex, const struct mps_addr *addr);
	void (*addr_added)(struct mpsd *d, const struct mps_ifaddr *a);
	void (*addr_removed)(struct mpsd *d, const struct mps_ifaddr *a); /* before it is dropped */
	void (*changed)(struct mpsd *d); /* coalesced (20 ms): every connection may want more */
};
struct mpsd_links {
	const struct mpsd_links_ops *ops;
	struct mps_rtnl *mon;
	struct mps_router *router;
	struct mpsd_iface *ifaces;
	size_t n_ifaces, cap_ifaces;
	struct mps_ifaddr *addrs;
	size_t n_addrs, cap_addrs;
	struct mps_ifcache view;  /* links_ifcache() */
	struct mps_link *view_links;
	bool view_dirty;
	struct mpsd_timer update_timer;
};
int links_init(struct mpsd *d);
void links_fini(struct mpsd *d);
int links_resync(struct mpsd *d);
/* Usable local addresses of family (AF_UNSPEC: all); returns count (<= max). */
size_t links_locals(struct mpsd *d, int family, struct mpsd_local *out, size_t max);
const struct mpsd_iface *links_iface(struct mpsd *d, int ifindex);
/* Interface a packet from local to remote leaves through now (route lookup with
 * policy rules): a subflow's path. Falls back to the interface holding local. */
int links_oif(struct mpsd *d, const struct mps_addr *local, const struct mps_addr *remote);
/* Interface holding local address a, 0 if none. */
int links_ifindex_of(struct mpsd *d, const struct mps_addr *a);
/* A view usable by mps_path_parse / mps_ifcache_* (valid until the next rtnl event). */
const struct mps_ifcache *links_ifcache(struct mpsd *d);
void links_config_changed(struct mpsd *d);
typedef void (*links_addr_cb)(struct mpsd *d, const struct mps_ifaddr *a);
void links_foreach_addr(struct mpsd *d, links_addr_cb cb);

/* ---- route.c ---- */
struct route_rec;
struct mpsd_routes {
	struct route_rec *recs; /* every rule and route this daemon made, and only those */
	size_t n_recs;
	struct mpsd_timer install_timer;
};
void route_iface_up(struct mpsd *d, int ifindex);
void route_addr_added(struct mpsd *d, const struct mps_ifaddr *a);
void route_addr_removed(struct mpsd *d, const struct mps_ifaddr *a);
void route_cleanup_all(struct mpsd *d);
/* Source routing switched on or off by a reload. */
void route_config_changed(struct mpsd *d);

/* ---- conn.c ---- */
/*
 * Connection state. Transitions:
 *   (CREATED event)      -> CONN_CREATED
 *   CONN_CREATED  --ESTABLISHED-->  CONN_ESTABLISHED
 *   (adopted from diag)  -> CONN_ESTABLISHED
 *   any           --CLOSED / gone from diag--> freed
 */
enum mpsd_conn_state { CONN_CREATED, CONN_ESTABLISHED };
/*
 * Subflow state:
 *   (SUBFLOW_CREATE sent)  -> SF_PENDING
 *   SF_PENDING --SUB_ESTABLISHED--> SF_ESTABLISHED
 *   (join by the peer / initial / adopted) -> SF_ESTABLISHED
 *   any --SUB_CLOSED / destroyed--> removed
 */
enum mpsd_sf_state { SF_PENDING, SF_ESTABLISHED };
struct mpsd_sf {
	enum mpsd_sf_state state;
	struct mps_addr local, remote; /* ports set once established */
	int ifindex;
	uint8_t loc_id, rem_id;
	bool backup_local;  /* what we asked (MP_PRIO / join flag) */
	bool backup_peer;   /* what the peer asked */
	bool ours;          /* created by this daemon */
	uint64_t since_ms;
	struct mpsd_health health; /* steered connections: from sample.c */
	uint64_t sampled;   /* sample tick that saw it last */
	uint8_t diag_family; /* AF_INET6: an IPv4 subflow of a dual-stack socket (v4-mapped) */
};
/* Backoff of one wanted path (local ip -> remote ip) of a connection. */
struct mpsd_retry {
	struct mps_addr local, remote;
	unsigned failures;
	uint64_t not_before_ms;
};
struct mpsd_lid {
	struct mps_addr addr; /* port 0 */
	uint8_t id;
	bool announced;       /* ANNOUNCE sent for it (server side) */
};
/* The last decision on a connection, as `mpsteer conns` and monitors show it. */
struct mpsd_steer_record {
	uint64_t at_ms;                /* 0: none yet */
	enum mpsd_steer_kind policy;
	struct mpsd_decision dec;      /* reason and the measured values behind it */
	struct mps_addr from_local, from_remote, to_local, to_remote; /* from: unset if none */
	char from_dev[IF_NAMESIZE], to_dev[IF_NAMESIZE];
};
/*
 * A connection's steering. Transitions:
 *   (established) -> resolved: its policy from the rules (pending while a rule needs the
 *                   owning process or cgroup, found at the next sample tick)
 *   policy chooses a primary -> has_primary: pm_want_backup follows it
 *   pinned (override) -> the policy leaves it alone; override cleared ("auto") -> back
 *   primary's subflow closed -> has_primary false until the policy chooses again
 */
struct mpsd_conn_steer {
	enum mpsd_steer_kind kind;
	bool resolved;
	int rule;                      /* matching rule, -1: [steering] policy */
	bool listed;                   /* on the list of steered connections (conn.c) */
	struct mpsd_conn *snext, *sprev;
	bool has_primary;
	struct mps_addr pri_local, pri_remote;
	struct mpsd_steer_state st;
	bool busy;                     /* moved data in the last sample */
	uint64_t bytes_seen;           /* sent + received at the last idle tick */
	uint64_t decided_ms;           /* last time its policy ran */
	uint64_t decisions;
	struct mpsd_steer_record last;
};

/* What the balance policy keeps of a connection (balancer.c). */
struct mpsd_conn_bal {
	uint64_t window_ms;      /* the window bytes[] belongs to (its start) */
	uint64_t bytes[2];       /* sent, received in that window */
	uint64_t rate_bps;       /* busier direction over the last window */
	uint64_t moved_ms;       /* last move by the policy, 0: never (the dwell counts from it) */
	uint64_t moves;
};
struct mpsd_conn {
	uint32_t token;
	enum mpsd_conn_state state;
	bool server_side;
	bool deny_join_id0;
	bool unmanaged;         /* not on the userspace PM (e.g. older than the daemon's sysctl) */
	bool announced;
	uint16_t family;
	struct mps_addr local0, remote0;
	int ifindex0;
	size_t n_sf, cap_sf;
	struct mpsd_sf *sf;
	size_t n_remotes;
	struct mps_addr remotes[8];
	uint8_t remote_ids[8];
	size_t n_lids;
	struct mpsd_lid lids[16];
	size_t n_retry;
	struct mpsd_retry retry[8];
	bool has_override;
	char override[64];
	struct mps_path override_path;
	unsigned subflows_created, subflows_failed, subflows_retried;
	struct mpsd_timer timer; /* next reconcile of this connection (backoff) */
	struct mpsd_conn *hnext;
	bool gone;               /* the kernel no longer knows the token: free it */
	bool dirty;              /* on the update list (conn_mark_dirty) */
	struct mpsd_conn *dnext, *dprev;
	uint64_t seen_gen;       /* reconciliation generation */
	uint64_t created_ms;
	struct mpsd_conn_steer steer;
	struct mpsd_conn_bal bal;
};
/* The table, and the connections waiting for an update once the pending events are read. */
struct mpsd_conns {
	struct mpsd_conn **buckets;
	size_t n_buckets, n;
	struct mpsd_conn *dirty;
	struct mpsd_conn *steered;   /* connections with a steering policy (or one pending) */
	size_t n_steered;
};
struct mpsd_conn *conn_find(struct mpsd *d, uint32_t token);
struct mpsd_conn *conn_new(struct mpsd *d, uint32_t token); /* inserted; NULL on ENOMEM */
void conn_free(struct mpsd *d, struct mpsd_conn *c);        /* removes from the table */
size_t conn_count(struct mpsd *d);
typedef void (*conn_iter_cb)(struct mpsd *d, struct mpsd_conn *c, void *data);
void conn_foreach(struct mpsd *d, conn_iter_cb cb, void *data); /* cb may free c */
void conn_free_all(struct mpsd *d);
struct mpsd_sf *conn_sf_add(struct mpsd_conn *c);
void conn_sf_del(struct mpsd_conn *c, struct mpsd_sf *sf);
/* Established or pending subflow matching local ip/port and remote ip/port (port 0 = any). */
struct mpsd_sf *conn_sf_find(struct mpsd_conn *c, const struct mps_addr *local,
			     const struct mps_addr *remote);
/* The local id of addr in this connection, allocating a new one; 0 only for local0. */
int conn_local_id(struct mpsd_conn *c, const struct mps_addr *addr);
void conn_local_id_note(struct mpsd_conn *c, const struct mps_addr *addr, uint8_t id);
struct mpsd_retry *conn_retry(struct mpsd_conn *c, const struct mps_addr *local,
			      const struct mps_addr *remote, bool create);
const char *conn_policy_name(struct mpsd *d, const struct mpsd_conn *c, char *buf, size_t len);
/* Queues c for an update once the pending events are read: a burst of events
 * costs one update, and connections closed meanwhile cost none. */
void conn_mark_dirty(struct mpsd *d, struct mpsd_conn *c);
void conn_unmark(struct mpsd *d, struct mpsd_conn *c);
/* Takes the next queued connection off the list; NULL when none. */
struct mpsd_conn *conn_dirty_pop(struct mpsd *d);
/* Records an override of a managed connection (path "via" parsed against ifc) or clears it;
 * *out is the connection. -ENOENT when the token is not managed, -EINVAL bad path; err says
 * why. No message to the kernel: pathmgr.c applies it. */
int conn_override_set(struct mpsd *d, uint32_t token, const char *via,
		      const struct mps_ifcache *ifc, struct mpsd_conn **out, char *err,
		      size_t errlen);
int conn_override_clear(struct mpsd *d, uint32_t token, struct mpsd_conn **out, char *err,
			size_t errlen);
/* The list of steered connections (sample.c and steer.c walk it, not the whole table). */
void conn_steer_link(struct mpsd *d, struct mpsd_conn *c);
void conn_steer_unlink(struct mpsd *d, struct mpsd_conn *c);

/* ---- pathmgr.c ---- */
struct mpsd_stats {
	uint64_t events, conns_established, conns_closed, resyncs, reconciles;
	uint64_t subflows_created, subflows_failed, subflows_retried;
	uint64_t subflows_closed_link, demoted, announced, adopted, reaped, vanished, overrides;
	uint64_t ctl_requests, ctl_errors, ctl_idle_closed, ctl_queue_dropped;
	uint64_t start_ms;
};
/* MPTCP listeners the daemon opened for announced ports nobody listens on. */
struct mpsd_listener {
	struct mps_addr addr;
	int fd;
};
struct mpsd_listeners {
	struct mpsd_listener l[MPSD_MAX_ANNOUNCE * 4];
	size_t n;
};

/* Brings the connection to what the policy wants (subflows, announces, priorities). */
void pm_conn_update(struct mpsd *d, struct mpsd_conn *c);
/* pm_conn_update + pm_apply_priorities; frees c when the kernel no longer has it
 * (returns false then). */
bool pm_conn_refresh(struct mpsd *d, struct mpsd_conn *c);
/* Re-runs pm_conn_update on every connection (links changed). */
void pm_update_all(struct mpsd *d);
/* Backup state wanted for a subflow: override, else the steering policy's primary,
 * else static rules. */
bool pm_want_backup(struct mpsd *d, const struct mpsd_conn *c, const struct mpsd_sf *sf);
/* Sends MP_PRIO where the wanted backup state differs from the current one. */
void pm_apply_priorities(struct mpsd *d, struct mpsd_conn *c);
/* An interface became usable again: forget the backoff of its paths. */
void pm_iface_up(struct mpsd *d, int ifindex);
/* Interface went down / address removed: close or demote its subflows at once. */
void pm_iface_down(struct mpsd *d, int ifindex,
		   const struct mps_addr *addr /* NULL: whole interface */);
/* Closes sf now (its unacknowledged data goes out on the other subflows at once); the
 * subflow policy re-creates it on the next update. why is for the log. */
void pm_subflow_close(struct mpsd *d, struct mpsd_conn *c, struct mpsd_sf *sf, const char *why);
/* Tells the peer (REMOVE_ADDR, sent on a working subflow) that sf's local address is gone,
 * unless another subflow uses it: the peer stops sending on a path it cannot know is dead
 * (an MP_PRIO would travel that path). */
void pm_subflow_tell_gone(struct mpsd *d, struct mpsd_conn *c, const struct mpsd_sf *sf);
/* A subflow local->remote closed or failed: retry after a backoff (long_lived resets it). */
void pm_note_failure(struct mpsd *d, struct mpsd_conn *c, const struct mps_addr *local,
		     const struct mps_addr *remote, bool long_lived);
/* Records an override; -ENOENT when the token is not managed, -EINVAL bad path. */
int pm_override_set(struct mpsd *d, uint32_t token, const char *via, char *err, size_t errlen);
int pm_override_clear(struct mpsd *d, uint32_t token, char *err, size_t errlen);
/* An adopted connection: is it on the userspace PM (else: unmanaged), does it still exist? */
void pm_probe_managed(struct mpsd *d, struct mpsd_conn *c);
void pm_listeners_fini(struct mpsd *d);
int pm_listener_ensure(struct mpsd *d, const struct mps_addr *a);

/* ---- sample.c ---- */
/* An interface's byte counters and their rates over the last tick. */
struct mpsd_ifstat {
	int ifindex;
	uint64_t rx_bytes, tx_bytes;
	uint64_t rx_bps, tx_bps;       /* bit/s, over the last MPSD_IFSTAT_MS or more */
	uint64_t at_ms;
};
struct mpsd_sampler {
	struct mps_diag_sock *diag;
	uint64_t tick;                 /* number of the current tick */
	size_t n_if, cap_if;
	struct mpsd_ifstat *ifs;
	/* counters */
	uint64_t ticks, idle_ticks;    /* idle: with the MPTCP dump that finds busy connections */
	uint64_t lookups, subflows, errors; /* subflow lookups sent, samples taken */
	uint64_t cpu_us;               /* thread CPU time spent in ticks (sampling + deciding) */
	uint64_t ifstat_ms;            /* last interface counter dump */
	/* The busy connections by token (rebuilt each idle tick, pruned each fast tick), and
	 * during a tick the live ones: the fast ticks cost O(busy), not O(connections). */
	uint32_t *busy;
	size_t n_busy, cap_busy;
	struct mpsd_conn **cur;
	size_t n_cur, cap_cur;
};
/*
 * One tick. all (an idle tick): one MPTCP sock_diag dump marks the connections whose bytes
 * moved, or that have data outstanding, busy. Every tick: the busy connections' subflows
 * are looked up (one batch of exact sock_diag requests) and their health updated; interface
 * counters from one rtnl dump.
 */
int sample_tick(struct mpsd *d, bool all, uint64_t now);
/* After the tick's decisions: forgets the connections that fell idle. */
void sample_prune(struct mpsd *d);
void sample_fini(struct mpsd *d);
const struct mpsd_ifstat *sample_ifstat(const struct mpsd *d, int ifindex);

/* ---- probe.c ---- */
/* One path probed: echo requests from local (on ifindex) to remote. */
struct mpsd_probe_target {
	struct mps_addr local, remote; /* ports 0 */
	int ifindex;
	uint16_t seq;                  /* of the echo in flight */
	uint64_t sent_us;              /* 0: none in flight */
	uint64_t sent_ms;
};
struct mpsd_probes {
	int fd4, fd6;                  /* raw ICMP / ICMPv6 sockets, opened at the first probe */
	uint16_t id, seq;
	size_t n, cap;
	struct mpsd_probe_target *t;
	uint64_t sent, replies, errors;
};
/* Echo probes of the paths of busy interactive connections, each at most every probe_ms. */
void probe_tick(struct mpsd *d, uint64_t now);
void probe_fini(struct mpsd *d);

/* ---- steer.c ---- */
/*
 * A steering policy. Per-connection policies (handover, interactive) give `decide`, a pure
 * function of decide.c, and `prefer`, the list that ranks paths. Cross-connection policies
 * (balance) give `tick` instead: it runs once per sample tick with every connection the policy
 * owns that is not pinned, reads their subflows' health (c->sf[i].health: d_acked, d_received,
 * d_ms) and sample_ifstat(), and moves primaries with steer_set_primary(). Registered by
 * main.c with steer_register(), so steer.c does not depend on any policy's module.
 */
struct mpsd_steer_ops {
	bool (*decide)(const struct mpsd_config *cfg, const struct mpsd_path *p, size_t n,
		       struct mpsd_steer_state *st, uint64_t now, struct mpsd_decision *out);
	const struct mpsd_matchlist *(*prefer)(const struct mpsd_config *cfg);
	void (*tick)(struct mpsd *d, struct mpsd_conn **conns, size_t n, uint64_t now);
};
/* Decision counters (for status and metrics). */
struct mpsd_steer_stats {
	uint64_t decisions[MPSD_STEER_N];
	uint64_t reasons[MPSD_STEER_N][MPSD_R_N];
	uint64_t conns[MPSD_STEER_N];  /* connections it was given (resolved) */
	uint64_t pinned_skips;         /* decisions not made: connection pinned */
	uint64_t closed_stalled;       /* handover: stalled primaries closed (on_stall = close) */
	uint64_t owner_lookups;        /* /proc scans and diag dumps for process / cgroup rules */
};
struct mpsd_steer {
	const struct mpsd_steer_ops *ops[MPSD_STEER_N];
	struct mpsd_steer_stats stats;
	struct mpsd_timer timer;       /* the sample tick */
	uint64_t idle_due_ms;          /* next tick where idle connections are sampled too */
	size_t maybe_pending;          /* connections that waited for their owner since */
	/* Called after each decision (ctlsrv's monitors); NULL: nobody listens. */
	void (*on_decision)(struct mpsd *d, const struct mpsd_conn *c);
};
void steer_register(struct mpsd *d, enum mpsd_steer_kind k, const struct mpsd_steer_ops *ops);
void steer_init(struct mpsd *d);
void steer_fini(struct mpsd *d);
/* A connection is established or updated: its policy, the tick armed. */
void steer_conn_seen(struct mpsd *d, struct mpsd_conn *c);
/* Makes `to` the primary of c (the others backup) and records why. */
void steer_set_primary(struct mpsd *d, struct mpsd_conn *c, const struct mpsd_sf *to,
		       enum mpsd_steer_kind policy, const struct mpsd_decision *dec);
/* The config changed: every connection's policy is chosen again. */
void steer_config_changed(struct mpsd *d);

/* ---- ctlsteer.c: steering as the control socket shows it (JSON) ---- */
struct json_t;
struct json_t *ctlsteer_conn(struct mpsd *d, const struct mpsd_conn *c); /* conns: "steering" */
struct json_t *ctlsteer_subflow(const struct mpsd_sf *sf);               /* subflow: "health" */
struct json_t *ctlsteer_status(struct mpsd *d);                          /* status: "steering" */
struct json_t *ctlsteer_decision(struct mpsd *d, const struct mpsd_conn *c); /* monitor event */

/* ---- balancer.c ---- */
/* Windows after a move that only settle (the moved connections ramp up on their new
 * network while the old one drains its queue: measured 1-2 s on tbf-shaped paths). */
#define MPSD_BAL_SETTLE_WINDOWS 2
/* The balance policy's measuring window (one per daemon). */
struct mpsd_balancer {
	uint64_t window_ms;                       /* its start, 0: not started */
	uint64_t sf_bytes[MPSD_MAX_ACCESS][2];    /* what subflows moved on each network */
	uint64_t if_bytes[MPSD_MAX_ACCESS][2];    /* dedicated interfaces' counters at the start */
	bool has_if[MPSD_MAX_ACCESS];
	unsigned util_pm[MPSD_MAX_ACCESS];        /* last window's utilisation, per mille */
	unsigned spread_pm;                       /* ... their spread */
	enum mpsd_bal_verdict verdict;            /* of the last decision */
	unsigned settling;                        /* windows left to settle after moves */
	uint64_t rounds, moves;
};
/* The balance policy's steering ops (cross-connection: `tick`), registered by main.c. */
extern const struct mpsd_steer_ops balance_steer_ops;
/* The access networks may have changed: the next tick starts a new window. */
void balancer_config_changed(struct mpsd *d);

/* ---- events.c ---- */
struct mpsd_events {
	struct mps_pm *sock;  /* subscribed to mptcp_pm events */
	uint64_t generation;  /* of reconciliation */
	unsigned resync_failures;        /* dumps failed in a row after an overflow */
	struct mpsd_timer resync_timer;  /* the next try */
};
void events_set_buffer(struct mpsd *d, unsigned bytes);
int events_init(struct mpsd *d);
void events_fini(struct mpsd *d);
/* Compares the table with sock_diag: adopts missing connections, frees gone ones. */
int events_reconcile(struct mpsd *d);

/* ---- metrics.c ---- */
struct mpsd_scraper;
struct mpsd_iface_bytes;
struct mpsd_metrics {
	int lfd;                          /* -1: off */
	struct mps_addr bound;            /* what lfd listens on */
	struct mpsd_scraper *clients[MPSD_METRICS_CLIENTS];
	uint64_t scrapes, refused, bad_requests, timeouts;
	/* Per-interface subflow bytes, from one sock_diag dump at most every CACHE_MS. */
	uint64_t bytes_at_ms;
	size_t n_bytes;
	struct mpsd_iface_bytes *bytes;
};
int metrics_init(struct mpsd *d);   /* opens the listener when metrics_listen is set */
void metrics_fini(struct mpsd *d);
void metrics_config_changed(struct mpsd *d); /* after a reload: reopen if the address changed */
/* The exposition text (owned by the caller, free()); NULL on ENOMEM. */
char *metrics_render(struct mpsd *d, size_t *len);
/*
 * One HTTP request head (pure): 0 while incomplete, else the status to answer: 200 for
 * "GET /metrics" (HEAD too), 404 other paths, 405 other methods, 400 garbage; *head is set
 * for HEAD (the answer has no body),
 * 431 when max bytes came without the end of the head.
 */
int metrics_http_status(const char *buf, size_t len, size_t max, bool *head);

/* ---- ctlsrv.c ---- */
struct mpsd_client;
struct mpsd_ctl {
	int lfd;
	char sock_path[108];
	struct mpsd_client *clients[MPSD_MAX_CLIENTS];
	size_t unpriv_queued; /* reply bytes waiting in our buffers for unprivileged clients */
};
int ctlsrv_init(struct mpsd *d);
void ctlsrv_fini(struct mpsd *d);

/* ---- privs.c ---- */
/* Capabilities (bit = CAP_*) the daemon needs after start-up with this config: pure. */
uint64_t privs_needed(const struct mpsd_config *c);
/* "CAP_NET_ADMIN CAP_NET_BIND_SERVICE" (or "none") into buf; returns buf. */
const char *privs_format(uint64_t caps, char *buf, size_t len);
/* Becomes user (if not NULL), keeps only keep (of what it has: *kept), sets no_new_privs.
 * 0 or -errno with the reason in err. */
int privs_drop(const char *user, uint64_t keep, uint64_t *kept, char *err, size_t errlen);

/* ---- main.c ---- */
/* What the command line asked for. */
struct mpsd_opts {
	const char *config_path; /* NULL: defaults */
	bool config_explicit;
	int log_level;           /* -1: the config's */
	bool syslog;
	const char *user;        /* --user: run as this user after start-up */
};

/*
 * The daemon's whole state. One instance lives in main(); every module reaches its own part,
 * and the parts below it, through the `struct mpsd *d` each function takes first (timer and
 * I/O callbacks get it too). No module keeps state of its own in file-scope variables.
 */
struct mpsd {
	struct mpsd_config cfg;
	struct mpsd_stats stats;
	struct mpsd_opts opts;
	struct mpsd_loop loop;
	struct mpsd_conns conns;
	struct mpsd_links links;
	struct mpsd_routes routes;
	struct mpsd_events events;
	struct mps_pm *pm_cmd;   /* command socket */
	struct mpsd_listeners listeners;
	struct mpsd_ctl ctl;
	struct mpsd_metrics metrics;
	struct mpsd_sampler sampler;
	struct mpsd_probes probes;
	struct mpsd_steer steer;
	struct mpsd_balancer balancer;
	int sfd;                 /* signalfd */
	struct mpsd_timer reconcile_timer;
	/* Re-reads the config file (SIGHUP or "reload"); 0 or -errno with a message in err. */
	int (*reload)(struct mpsd *d, char *err, size_t errlen);
};

#endif
