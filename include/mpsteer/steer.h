/* SPDX-License-Identifier: MIT */
/*
 * Steering: which connections a selector names, which subflows a path names,
 * and the MP_PRIO changes that make PATH the primary of each connection.
 *
 * Planning is pure (works on a snapshot) so that every check is done before
 * the first change is sent; applying rolls back what it did when a later
 * change fails, so a command never leaves a connection half-steered.
 */
#ifndef MPSTEER_STEER_H
#define MPSTEER_STEER_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"
#include "mpsteer.h"
#include "rtnl.h"

struct mps_pm;
struct mps_proc_map;

enum mps_sel_kind { MPS_SEL_TOKEN, MPS_SEL_PID, MPS_SEL_PEER };
struct mps_selector {
	enum mps_sel_kind kind;
	uint32_t token;
	pid_t pid;
	struct mps_addr peer; /* port 0 = any port */
};

enum mps_path_kind { MPS_PATH_IFACE, MPS_PATH_LOCAL, MPS_PATH_REMOTE };
struct mps_path {
	enum mps_path_kind kind;
	int ifindex;
	char ifname[IF_NAMESIZE];
	struct mps_addr addr; /* port 0 = any port */
};

/* Words of the CLI: "token 0x1a2b" / "pid 42" / "peer 10.0.0.1:443".
 * Returns 0 or -EINVAL with a message in err. */
int mps_selector_parse(const char *kind, const char *value, struct mps_selector *out, char *err,
		       size_t errlen);
/* An interface name (looked up in ifc) or an address; an address held by a
 * local interface is LOCAL, any other REMOTE. */
int mps_path_parse(const char *s, const struct mps_ifcache *ifc, struct mps_path *out, char *err,
		   size_t errlen);

bool mps_selector_match(const struct mps_selector *sel, const struct mps_conn *c,
			const struct mps_proc_map *owners);
bool mps_path_match(const struct mps_path *p, const struct mps_subflow *sf);

struct mps_prio_change {
	uint32_t token;
	struct mps_addr local, remote; /* with ports: identifies one subflow */
	bool backup;                   /* the new local request */
	bool was_backup;               /* the old local request (for rollback / report) */
	bool peer_backup;              /* the peer asks backup on it (we cannot clear that) */
};

struct mps_plan {
	size_t n_conns;      /* connections selected */
	size_t n;            /* changes, including no-op ones (backup == was_backup) */
	struct mps_prio_change *changes;
};
void mps_plan_free(struct mps_plan *p);

/*
 * Builds the plan for "primary SEL via PATH" over the snapshot. Fails, with
 * a message naming the bad input in err, when nothing matches the selector
 * (-ESRCH), a selected connection has no established subflow on PATH
 * (-ENOENT) or has fallen back to TCP (-EOPNOTSUPP).
 */
int mps_plan_primary(const struct mps_snapshot *snap, const struct mps_proc_map *owners,
		     const struct mps_selector *sel, const struct mps_path *path,
		     struct mps_plan *out, char *err, size_t errlen);

/*
 * Sends the changes that change something. On failure undoes those already
 * sent and returns the error with the kernel's text in err.
 * applied (may be NULL) receives the number of changes sent.
 */
int mps_plan_apply(struct mps_pm *pm, const struct mps_plan *p, size_t *applied, char *err,
		   size_t errlen);

#endif
