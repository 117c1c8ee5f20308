/* SPDX-License-Identifier: MIT */
/*
 * mpsteer primary SELECTOR via PATH: make PATH the non-backup subflow(s) of
 * every selected connection and all others backup (MP_PRIO), so traffic in
 * both directions moves to PATH.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "mpsteer/pm.h"
#include "mpsteer/proc.h"
#include "mpsteer/steer.h"
#include "out.h"

struct primary_args {
	struct mps_selector sel;
	const char *path_word; /* NULL with "auto" */
	bool dry_run;
};

static int parse_args(int argc, char **argv, struct primary_args *a)
{
	static const struct args_spec spec = {
		.cmd = "primary", .allowed = KW_SELECTOR | KW_VIA | KW_AUTO | KW_DRY_RUN,
		.one_of = KW_SELECTOR, .need_one_of = true,
	};
	struct args w;

	memset(a, 0, sizeof(*a));
	if (args_parse(&spec, argc - 1, argv + 1, &w))
		return -EINVAL;
	if (!(w.has & KW_VIA) == !(w.has & KW_AUTO)) {
		cli_err("primary needs either \"via PATH\" or \"auto\" after the selector");
		return -EINVAL;
	}
	if ((w.has & KW_AUTO) && (w.has & KW_DRY_RUN)) {
		cli_err("primary: \"dry-run\" goes with \"via PATH\", not with \"auto\"");
		return -EINVAL;
	}
	a->sel = w.sel;
	a->path_word = w.via;
	a->dry_run = w.has & KW_DRY_RUN;
	return 0;
}

static const struct mps_subflow *find_subflow(const struct mps_snapshot *s,
					      const struct mps_prio_change *c)
{
	const struct mps_conn *conn = mps_snapshot_find(s, c->token);
	size_t i;

	for (i = 0; conn && i < conn->n_subflows; i++)
		if (mps_addr_equal(&conn->subflows[i].local, &c->local) &&
		    mps_addr_equal(&conn->subflows[i].remote, &c->remote))
			return &conn->subflows[i];
	return NULL;
}

static const char *role(bool backup)
{
	return backup ? "backup" : "primary";
}

/* A PATH that every subflow is on (e.g. a server's own initial address) steers nothing. */
static void warn_if_all_primary(const struct mps_plan *p, uint32_t token, const char *path)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->changes[i].token == token && p->changes[i].backup)
			return;
	cli_warn("every subflow of connection %u is via %s: none is backup now", token, path);
}

static void report(const struct mps_snapshot *snap, const struct mps_plan *p, const char *path,
		   bool dry_run)
{
	char l[MPS_ADDRSTRLEN], r[MPS_ADDRSTRLEN];
	json_t *conns = json_array(), *cj = NULL, *changes = NULL;
	size_t i, n = 0;

	for (i = 0; i < p->n; i++) {
		const struct mps_prio_change *c = &p->changes[i];
		const struct mps_subflow *sf = find_subflow(snap, c);
		const char *ifn = sf && sf->ifname[0] ? sf->ifname : "?";

		if (!i || c->token != p->changes[i - 1].token) {
			cj = json_pack("{s:i,s:s}", "token", (json_int_t)c->token, "via", path);
			changes = json_array();
			json_object_set_new(cj, "subflows", changes);
			json_array_append_new(conns, cj);
			if (!cli.json)
				printf("token %u: primary via %s%s\n", c->token, path,
				       dry_run ? " (dry run)" : "");
		}
		n += c->backup != c->was_backup;
		json_array_append_new(changes, json_pack("{s:o,s:o,s:s,s:b,s:b,s:b,s:b}",
			"local", out_addr(&c->local), "remote", out_addr(&c->remote), "ifname", ifn,
			"backup_before", c->was_backup, "backup", c->backup,
			"changed", c->backup != c->was_backup, "backup_peer", c->peer_backup));
		if (!cli.json)
			printf("    %s -> %s dev %s: %s%s%s\n", mps_addr_format(&c->local, l, sizeof(l)),
			       mps_addr_format(&c->remote, r, sizeof(r)), ifn, role(c->was_backup),
			       c->backup != c->was_backup ? " -> " : " (unchanged)",
			       c->backup != c->was_backup ? role(c->backup) : "");
		if (i + 1 == p->n || p->changes[i + 1].token != c->token)
			warn_if_all_primary(p, c->token, path);
		if (!c->backup && c->peer_backup)
			cli_warn("the peer asked for backup on %s -> %s: the peer's traffic may not follow",
				 mps_addr_format(&c->local, l, sizeof(l)),
				 mps_addr_format(&c->remote, r, sizeof(r)));
	}
	if (cli.json)
		out_json(json_pack("{s:b,s:i,s:o}", "dry_run", dry_run, "changed", (json_int_t)n,
				   "conns", conns));
	else
		json_decref(conns);
}

/* Tells the daemon to keep (via != NULL) or drop an override; the change itself is already made. */
static int tell_daemon(uint32_t token, const char *via)
{
	json_t *reply;
	int err;

	reply = daemon_call(via ? json_pack("{s:i,s:s,s:I,s:s}", "v", 1, "cmd", "override-set", "token",
					    (json_int_t)token, "via", via)
				: json_pack("{s:i,s:s,s:I}", "v", 1, "cmd", "override-clear", "token",
					    (json_int_t)token),
			    &err);
	if (!reply)
		return err; /* no daemon: nothing to record */
	if (!json_is_true(json_object_get(reply, "ok")))
		cli_warn("mpsteerd did not %s the override of token %u: %s", via ? "record" : "clear",
			 token, json_string_value(json_object_get(reply, "error")) ?: "?");
	json_decref(reply);
	return 0;
}

static void record_with_daemon(const struct mps_plan *p, const char *via)
{
	size_t i;

	for (i = 0; i < p->n && !cli.direct; i++) {
		if (i && p->changes[i].token == p->changes[i - 1].token)
			continue;
		if (tell_daemon(p->changes[i].token, via))
			return;
	}
}

/* "auto": only the daemon can hand a connection back to its policy. */
static int clear_overrides(const struct mps_snapshot *snap, const struct mps_proc_map *owners,
			   const struct mps_selector *sel)
{
	size_t i, n = 0;
	int ret;

	for (i = 0; i < snap->n_conns; i++) {
		if (!mps_selector_match(sel, &snap->conns[i], owners))
			continue;
		n++;
		ret = tell_daemon(snap->conns[i].token, NULL);
		if (ret) {
			cli_err("\"auto\" needs mpsteerd running in this namespace (%s)", strerror(-ret));
			return ret;
		}
		if (!cli.json)
			printf("token %u: override cleared\n", snap->conns[i].token);
	}
	if (!n) {
		cli_err("no MPTCP connection matches the selector");
		return -ESRCH;
	}
	return 0;
}

static int load(const struct primary_args *a, struct mps_snapshot **snap,
		struct mps_proc_map **owners, struct mps_ifcache **ifc)
{
	/* Owners are needed only to select by pid, and then from a full map of
	 * every holder (the snapshot keeps just the lowest pid): one /proc scan. */
	int ret = mps_snapshot_new(0, snap);

	if (ret) {
		cli_err("cannot list MPTCP connections: %s", strerror(-ret));
		return ret;
	}
	if (a->sel.kind == MPS_SEL_PID) {
		if (mps_proc_exists(a->sel.pid)) {
			cli_err("no process with pid %d", (int)a->sel.pid);
			return -ESRCH;
		}
		ret = mps_proc_map_new(owners);
		if (ret) {
			cli_err("cannot read /proc: %s", strerror(-ret));
			return ret;
		}
	}
	ret = mps_ifcache_new(ifc);
	if (ret)
		cli_err("cannot list interfaces: %s", strerror(-ret));
	return ret;
}

int cmd_primary(int argc, char **argv)
{
	struct mps_snapshot *snap = NULL;
	struct mps_proc_map *owners = NULL;
	struct mps_ifcache *ifc = NULL;
	struct mps_pm *pm = NULL;
	struct primary_args a;
	struct mps_path path;
	struct mps_plan plan = { 0 };
	char err[512];
	int ret;

	if (parse_args(argc, argv, &a))
		return EX_USAGE;
	ret = load(&a, &snap, &owners, &ifc);
	if (ret)
		goto out;
	if (!a.path_word) {
		ret = clear_overrides(snap, owners, &a.sel);
		goto out;
	}
	ret = mps_path_parse(a.path_word, ifc, &path, err, sizeof(err));
	if (ret) {
		cli_err("%s", err);
		goto out;
	}
	ret = mps_plan_primary(snap, owners, &a.sel, &path, &plan, err, sizeof(err));
	if (ret) {
		cli_err("%s", err);
		goto out;
	}
	if (!a.dry_run) {
		if (!out_has_net_admin()) {
			cli_err("changing subflow priorities needs CAP_NET_ADMIN (run as root)");
			ret = -EPERM;
			goto out;
		}
		ret = mps_pm_new(&pm);
		if (ret) {
			cli_err("cannot open the MPTCP path manager: %s", strerror(-ret));
			goto out;
		}
		ret = mps_plan_apply(pm, &plan, NULL, err, sizeof(err));
		if (ret) {
			cli_err("%s; nothing was changed", err);
			goto out;
		}
	}
	report(snap, &plan, a.path_word, a.dry_run);
	if (!a.dry_run)
		record_with_daemon(&plan, a.path_word);
out:
	mps_plan_free(&plan);
	mps_pm_free(pm);
	mps_ifcache_free(ifc);
	mps_proc_map_free(owners);
	mps_snapshot_free(snap);
	return ret ? cli_exit_code(ret) : EX_OK;
}
