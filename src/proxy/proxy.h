/* SPDX-License-Identifier: MIT */
/*
 * The MPTCP <-> TCP converters (mpsteer proxy socks | client): table of contents.
 *
 *   socks5.c     SOCKS5 / RFC 1929 messages (pure, unit-tested, fuzzed)
 *   acl.c        address prefix lists (pure)
 *   proxy_conf.c settings: config file and command line, one key table (pure)
 *   engine.c     the event loop: listeners, handshakes, name lookups, connects, timers
 *   relay.c      the data path: splice through a pipe per direction, half-close,
 *                back-pressure (a direction reads only when its pipe is empty)
 *   state.c      counters and the connection map in a JSON state file, for
 *                `mpsteer proxy status` and `mpsteer conns`
 *
 * A connection (struct pconn) has two sides: `a`, the one we accepted, and `b`, the
 * one we opened. In the socks role a is the (usually MPTCP) client and b the plain
 * TCP destination; in the client role a is the LAN host and b the MPTCP connection
 * to the SOCKS server.
 *
 * States of a pconn and their transitions:
 *   GREETING -> AUTH -> REQUEST     socks role and the client's local SOCKS endpoint
 *   GREETING -> REQUEST             (no authentication)
 *   REQUEST  -> RESOLVING -> CONNECTING    a domain name (socks role)
 *   REQUEST  -> CONNECTING
 *   (accept of a transparent connection) -> CONNECTING      client role
 *   CONNECTING -> RELAY             socks role: reply sent to a
 *   CONNECTING -> UPSTREAM -> RELAY client role: the server's replies read from b
 *   any -> freed                    refusal, failure, timeout, or both directions done
 */
#ifndef MPS_PROXY_H
#define MPS_PROXY_H

#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "proxy_conf.h"
#include "socks5.h"

enum pconn_state {
	PC_GREETING,
	PC_AUTH,
	PC_REQUEST,
	PC_RESOLVING,
	PC_CONNECTING,
	PC_UPSTREAM,
	PC_RELAY,
};

/* What an epoll event points at: every such struct starts with its kind. */
enum ev_kind { EV_LISTEN, EV_SIDE, EV_RESOLVED, EV_TIMER, EV_SIGNAL };

struct proxy;
struct pconn;

struct pside {
	enum ev_kind kind; /* EV_SIDE */
	int fd;
	uint32_t events;   /* what epoll watches; 0 = not registered */
	struct pconn *c;
};

/* One direction of the relay: src -> pipe -> dst. */
struct pdir {
	int pipe[2];       /* made on first use; -1 before */
	size_t inpipe;     /* bytes in the pipe */
	bool eof;          /* src has sent FIN */
	bool shut;         /* dst has been shut down for writing */
	bool want_in, want_out;
	uint64_t bytes;
};

#define PCONN_CAND_MAX 8
#define PCONN_BUF 600 /* > the longest handshake message (RFC 1929 request: 513) */

struct pconn {
	struct proxy *p;
	struct pconn *prev, *next;
	uint64_t id;
	enum pconn_state st;
	bool lan_socks;              /* client role: a is a SOCKS client owed a reply */
	struct pside a, b;
	struct pdir ab, ba;
	uint8_t buf[PCONN_BUF];      /* handshake bytes not yet consumed */
	size_t blen;
	int up_stage;                /* client role, UPSTREAM: 0 method, 1 auth, 2 reply */
	struct socks5_dest dest;
	struct mps_addr a_local, a_peer, b_local, b_peer;
	struct mps_addr cand[PCONN_CAND_MAX]; /* addresses to try, in order */
	int n_cand, i_cand;
	int last_err;                /* of the last failed connect */
	struct presolve *rq;         /* pending name lookup */
	time_t deadline;             /* end of handshake + connect */
	time_t last_active;
	time_t started;
	bool dead;                   /* closed, freed after this batch of events */
};

struct counters {
	uint64_t accepted, completed, refused_client, refused_dest, auth_failed, bad_request,
		resolve_failed, connect_failed, timeouts, relay_errors, bytes_ab, bytes_ba;
};

struct plistener {
	enum ev_kind kind; /* EV_LISTEN */
	int fd;
	int type;          /* 0 SOCKS endpoint, 1 transparent */
	struct mps_addr addr;
	bool watching;
};

struct cred {
	char user[256], pass[256];
};

struct proxy {
	struct proxy_conf conf;
	int epfd;
	struct plistener lst[2];
	int n_lst;
	struct { enum ev_kind kind; int fd; } timer, sig, resolved; /* resolved: pipe read end */
	int resolved_w;
	struct cred *creds;
	size_t n_creds;
	struct pconn *conns;
	size_t n_conns;
	struct pconn *dead;          /* closed during this batch of events */
	uint64_t next_id;
	struct counters ctr;
	time_t now;                  /* CLOCK_MONOTONIC seconds, updated each loop turn */
	char state_path[PATH_MAX];
	bool stop;
};

/* engine.c: sets up from p->conf (listeners, credentials), runs until SIGINT/SIGTERM.
 * Returns 0 or -errno with a message in err (setup failures). */
int proxy_run(struct proxy *p, char *err, size_t errlen);
__attribute__((format(printf, 3, 4))) void proxy_log(struct proxy *p, int level,
						       const char *fmt, ...);
/* Logs why c ends (NULL: quietly) and frees it. */
void pconn_close(struct pconn *c, const char *why);
/* The same, resetting both sides (SO_LINGER 0) so that each far end learns at once: a
 * plain close() of an MPTCP socket whose receive queue is empty sends a DATA_FIN, and
 * what the peer sends after it is accepted silently, so a peer still sending would
 * only find out at its idle timeout. Unsent data is dropped: only for failures. */
void pconn_abort(struct pconn *c, const char *why);
/* Recomputes what epoll watches for both sides of c. */
void pconn_watch(struct pconn *c);
void pside_watch(struct proxy *p, struct pside *s, uint32_t ev);

/* relay.c */
/* Moves bytes on the side s became ready; closes c when done or failed. */
void relay_event(struct pconn *c, struct pside *s, uint32_t ev);
/* Starts relaying (both directions readable). */
void relay_start(struct pconn *c);
void relay_free(struct pconn *c);

/* state.c */
int state_write(struct proxy *p);
void state_remove(struct proxy *p);
const char *pconn_state_name(enum pconn_state st);

#endif
