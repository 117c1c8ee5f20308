/* SPDX-License-Identifier: MIT */
/*
 * mpsteerd: the userspace MPTCP path manager of one network namespace.
 *
 * Start-up order matters: the event subscription comes first, so that a
 * connection created while the daemon adopts the existing ones is seen
 * either by the dump or by an event (or both, which is harmless); readiness
 * is reported only after the adoption.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "config.h"
#include "mpsteer/proc.h"
#include "mpsteerd.h"

#define DEFAULT_CONFIG MPS_SYSCONFDIR "/mpsteer/mpsteerd.conf"
#define PM_SYSCTL "/proc/sys/net/mptcp/path_manager"
#define PM_TYPE_SYSCTL "/proc/sys/net/mptcp/pm_type" /* before 6.15 */


static void usage(FILE *f)
{
	fprintf(f, "Usage: mpsteerd [-c FILE] [-n] [-d] [-s] [-u USER] [-V]\n"
		   "  -c, --config FILE  config file (default " DEFAULT_CONFIG " if present)\n"
		   "  -u, --user USER    run as USER once started (from root; keeps only the\n"
		   "                     capabilities it needs, as it always does)\n"
		   "  -n, --check        validate the config file and exit\n"
		   "  -d, --debug        log at debug level\n"
		   "  -s, --syslog       log to syslog instead of stderr\n"
		   "  -V, --version      print the version and exit\n");
}

static int write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "we");
	int err = 0;

	if (!f)
		return -errno;
	if (fputs(s, f) < 0)
		err = -EIO;
	if (fclose(f) != 0 && !err)
		err = -errno;
	return err;
}

/* net.mptcp.path_manager must be "userspace" for the connections to be ours. */
static int check_path_manager(struct mpsd *d)
{
	bool legacy = access(PM_SYSCTL, F_OK) != 0;
	const char *path = legacy ? PM_TYPE_SYSCTL : PM_SYSCTL;
	const char *want = legacy ? "1" : "userspace";
	char cur[64];
	int err = mps_read_line(path, cur, sizeof(cur));

	if (err) {
		log_err("cannot read %s: %s (is MPTCP enabled in this kernel?)", path,
			strerror(-err));
		return err;
	}
	if (!strcmp(cur, want))
		return 0;
	if (d->cfg.pm_mode == MPSD_PM_CHECK) {
		log_err("net.mptcp.%s is '%s', not '%s', and path_manager = check: refusing to "
			"start (set it, or use path_manager = set)",
			legacy ? "pm_type" : "path_manager", cur, want);
		return -EPERM;
	}
	err = write_file(path, want);
	if (err) {
		log_err("cannot set %s to %s: %s", path, want, strerror(-err));
		return err;
	}
	log_info("net.mptcp.%s: %s -> %s (for new connections of this namespace)",
		 legacy ? "pm_type" : "path_manager", cur, want);
	return 0;
}

static int load_config(const struct mpsd_opts *o, struct mpsd_config *c, char *err,
		       size_t errlen)
{
	mpsd_config_defaults(c);
	if (!o->config_path)
		return 0;
	return mpsd_config_load(o->config_path, c, err, errlen);
}

static int reload(struct mpsd *d, char *err, size_t errlen)
{
	struct mpsd_config next;
	bool routing_changed;
	int ret;

	sd_notify(0, "RELOADING=1");
	ret = load_config(&d->opts, &next, err, errlen);
	if (ret) {
		log_err("reload refused, keeping the old config: %s", err);
		sd_notify(0, "READY=1");
		return ret;
	}
	if (d->opts.log_level >= 0)
		next.log_level = d->opts.log_level;
	routing_changed = next.source_routing != d->cfg.source_routing ||
			  next.table_base != d->cfg.table_base || next.rule_prio != d->cfg.rule_prio;
	d->cfg = next;
	if (routing_changed)
		route_config_changed(d);
	log_set_level(d->cfg.log_level);
	events_set_buffer(d, d->cfg.event_buffer);
	steer_config_changed(d);
	balancer_config_changed(d);
	log_info("config reloaded from %s",
		 d->opts.config_path ? d->opts.config_path : "(defaults)");
	links_config_changed(d);
	metrics_config_changed(d);
	sd_notify(0, "READY=1");
	return 0;
}

static void reconcile_cb(struct mpsd *d, void *data)
{
	events_reconcile(d);
	timer_arm(d, &d->reconcile_timer, d->cfg.reconcile_s * 1000ull, reconcile_cb, NULL);
}

static void on_signal(struct mpsd *d, int fd, uint32_t events, void *data)
{
	struct signalfd_siginfo si;
	char err[300];

	while (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			reload(d, err, sizeof(err));
			break;
		case SIGTERM:
		case SIGINT:
			log_info("signal %u: exiting", si.ssi_signo);
			loop_stop(d);
			break;
		default:
			break;
		}
	}
}

static int signals_init(struct mpsd *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	d->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sfd < 0)
		return -errno;
	return loop_add(d, d->sfd, EPOLLIN, on_signal, NULL);
}

/* Everything that needed more than CAP_NET_ADMIN is done: keep that alone (see privs.c). */
static int drop_privileges(struct mpsd *d)
{
	uint64_t kept = 0;
	char err[200], caps[64];
	int ret = privs_drop(d->opts.user, privs_needed(&d->cfg), &kept, err, sizeof(err));

	if (ret) {
		log_err("dropping privileges: %s", err);
		return ret;
	}
	log_info("privileges: uid %u, capabilities %s, no_new_privs", (unsigned)getuid(),
		 privs_format(kept, caps, sizeof(caps)));
	return 0;
}

static int start(struct mpsd *d)
{
	int err;

	d->stats.start_ms = now_ms();
	if ((err = loop_init(d)) || (err = signals_init(d))) {
		log_err("event loop: %s", strerror(-err));
		return err;
	}
	err = events_init(d);
	if (err) {
		log_err("mptcp_pm events: %s%s", strerror(-err),
			err == -EPROTONOSUPPORT ? " (no MPTCP in this kernel)" : "");
		return err;
	}
	err = mps_pm_new(&d->pm_cmd);
	if (err) {
		log_err("mptcp_pm: %s", strerror(-err));
		return err;
	}
	if ((err = check_path_manager(d)))
		return err;
	err = links_init(d);
	if (err) {
		log_err("rtnetlink: %s", strerror(-err));
		return err;
	}
	err = ctlsrv_init(d);
	if (err) {
		log_err("control socket: %s", strerror(-err));
		return err;
	}
	err = metrics_init(d);
	if (err)
		return err;
	steer_init(d);
	/* The cross-connection policy: steer.c knows it only by its ops. */
	steer_register(d, MPSD_STEER_BALANCE, &balance_steer_ops);
	err = events_reconcile(d);
	if (err)
		return err;
	timer_arm(d, &d->reconcile_timer, d->cfg.reconcile_s * 1000ull, reconcile_cb, NULL);
	return drop_privileges(d);
}

static void stop(struct mpsd *d)
{
	timer_cancel(d, &d->reconcile_timer);
	metrics_fini(d);
	steer_fini(d);
	ctlsrv_fini(d);
	route_cleanup_all(d);
	pm_listeners_fini(d);
	conn_free_all(d);
	links_fini(d);
	events_fini(d);
	mps_pm_free(d->pm_cmd);
	d->pm_cmd = NULL;
	sample_fini(d);
	if (d->sfd >= 0)
		close(d->sfd);
	loop_fini(d);
}

static int parse_args(int argc, char **argv, struct mpsd_opts *o, bool *check)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "check", no_argument, NULL, 'n' },
		{ "debug", no_argument, NULL, 'd' },        { "syslog", no_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },      { "help", no_argument, NULL, 'h' },
		{ "user", required_argument, NULL, 'u' },   { 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:ndsu:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			o->user = optarg;
			break;
		case 'c':
			o->config_path = optarg;
			o->config_explicit = true;
			break;
		case 'n':
			*check = true;
			break;
		case 'd':
			o->log_level = MPSD_LOG_DEBUG;
			break;
		case 's':
			o->syslog = true;
			break;
		case 'V':
			printf("mpsteerd %s\n", MPS_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* What links.c reports, handed to the modules above it. */
static void on_usable(struct mpsd *d, int ifindex)
{
	route_iface_up(d, ifindex);
	pm_iface_up(d, ifindex);
}

static const struct mpsd_links_ops links_ops = {
	.usable = on_usable,
	.lost = pm_iface_down,
	.addr_added = route_addr_added,
	.addr_removed = route_addr_removed,
	.changed = pm_update_all,
};

static void init_state(struct mpsd *d)
{
	memset(d, 0, sizeof(*d));
	d->opts.log_level = -1;
	d->sfd = d->loop.epfd = d->loop.tfd = d->ctl.lfd = d->metrics.lfd = -1;
	d->probes.fd4 = d->probes.fd6 = -1;
	d->links.ops = &links_ops;
	d->links.view_dirty = true;
	d->reload = reload;
}

int main(int argc, char **argv)
{
	struct mpsd daemon, *d = &daemon;
	bool check = false;
	char err[300];
	int ret;

	init_state(d);
	log_init(MPSD_LOG_INFO, false);
	if (parse_args(argc, argv, &d->opts, &check))
		return 64; /* EX_USAGE */
	if (!d->opts.config_explicit && access(DEFAULT_CONFIG, F_OK) == 0)
		d->opts.config_path = DEFAULT_CONFIG;
	if (load_config(&d->opts, &d->cfg, err, sizeof(err))) {
		fprintf(stderr, "mpsteerd: %s\n", err);
		return 78; /* EX_CONFIG */
	}
	if (check) {
		printf("%s: ok\n", d->opts.config_path ? d->opts.config_path
						      : "(no config file: defaults)");
		return 0;
	}
	if (d->opts.log_level >= 0)
		d->cfg.log_level = d->opts.log_level;
	log_init(d->cfg.log_level, d->opts.syslog);
	ret = start(d);
	if (ret == 0) {
		log_info("ready: %zu connections adopted, client policy %s", conn_count(d),
			 mpsd_policy_format(&d->cfg.client, err, sizeof(err)));
		sd_notify(0, "READY=1");
		ret = loop_run(d);
		sd_notify(0, "STOPPING=1");
	}
	stop(d);
	return ret ? 69 /* EX_UNAVAILABLE */ : 0;
}
