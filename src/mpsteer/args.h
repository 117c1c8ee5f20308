/* SPDX-License-Identifier: MIT */
/*
 * The keywords of every command, parsed by one table: "token T", "peer ADDR",
 * "via PATH", "dry-run" ... A command says which words it takes (allowed),
 * which it needs (required) and which exclude each other (one_of); errors
 * name the word that was not taken and list what the command takes.
 */
#ifndef MPS_ARGS_H
#define MPS_ARGS_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "mpsteer/steer.h"

enum {
	KW_TOKEN = 1u << 0,	/* token T */
	KW_PID = 1u << 1,	/* pid P */
	KW_PEER = 1u << 2,	/* peer ADDR[:PORT] */
	KW_LOCAL = 1u << 3,	/* local ADDR[:PORT] */
	KW_REMOTE = 1u << 4,	/* remote ADDR[:PORT] */
	KW_ADDR = 1u << 5,	/* addr ADDR[:PORT] */
	KW_ID = 1u << 6,	/* id 1..255 */
	KW_DEV = 1u << 7,	/* dev IFNAME (must exist) */
	KW_EVENT = 1u << 8,	/* event NAME (repeatable) */
	KW_VIA = 1u << 9,	/* via PATH */
	KW_AUTO = 1u << 10,	/* auto */
	KW_DRY_RUN = 1u << 11,	/* dry-run */
	KW_INTERVAL = 1u << 12, /* interval SECONDS (0.1 .. 3600) */
	KW_COUNT = 1u << 13,	/* count N */
	KW_SAMPLE = 1u << 14,	/* sample SECONDS (0 .. 60) */
	KW_TIMEOUT = 1u << 15,	/* timeout SECONDS (0.1 .. 60) */
	KW_DECISIONS = 1u << 16, /* decisions */
};
#define KW_SELECTOR (KW_TOKEN | KW_PID | KW_PEER)
#define ARGS_MAX_EVENTS 16

struct args {
	unsigned has;
	struct mps_selector sel; /* set when has & KW_SELECTOR (and the command selects) */
	uint32_t token;
	struct mps_addr local, remote, addr;
	uint8_t id;
	int ifindex;
	size_t n_events;
	int events[ARGS_MAX_EVENTS];
	const char *via;
	unsigned interval_ms, count, sample_ms, timeout_ms;
	const char *positional; /* the one free word, when the spec takes one */
};

struct args_spec {
	const char *cmd;   /* "conns", "subflow add" ... for messages */
	unsigned allowed;  /* KW_* taken */
	unsigned required; /* KW_* that must be given */
	unsigned one_of;   /* at most one of these; with need_one_of exactly one */
	bool need_one_of;
	const char *positional; /* metavar of one free word ("ADDR[:PORT]"), NULL for none */
};

/* Parses argv (the words after the command); 0, or -EINVAL after printing one line. */
int args_parse(const struct args_spec *s, int argc, char **argv, struct args *a);

#endif
