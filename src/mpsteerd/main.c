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
#include "mpsteerd.h"

#define DEFAULT_CONFIG MPS_SYSCONFDIR "/mpsteer/mpsteerd.conf"
#define PM_SYSCTL "/proc/sys/net/mptcp/path_manager"
#define PM_TYPE_SYSCTL "/proc/sys/net/mptcp/pm_type" /* before 6.15 */

struct mpsd_config cfg;
static const char *config_path; /* NULL: defaults */
static bool config_explicit;
static int cli_log_level = -1;
static bool opt_syslog;
static int sfd = -1;
static struct mpsd_timer reconcile_timer;

static void usage(FILE *f)
{
	fprintf(f, "Usage: mpsteerd [-c FILE] [-n] [-d] [-s] [-V]\n"
		   "  -c, --config FILE  config file (default " DEFAULT_CONFIG " if present)\n"
		   "  -n, --check        validate the config file and exit\n"
		   "  -d, --debug        log at debug level\n"
		   "  -s, --syslog       log to syslog instead of stderr\n"
		   "  -V, --version      print the version and exit\n");
}

static int read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
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
static int check_path_manager(void)
{
	bool legacy = access(PM_SYSCTL, F_OK) != 0;
	const char *path = legacy ? PM_TYPE_SYSCTL : PM_SYSCTL;
	const char *want = legacy ? "1" : "userspace";
	char cur[64];
	int err = read_file(path, cur, sizeof(cur));

	if (err) {
		log_err("cannot read %s: %s (is MPTCP enabled in this kernel?)", path,
			strerror(-err));
		return err;
	}
	if (!strcmp(cur, want))
		return 0;
	if (cfg.pm_mode == MPSD_PM_CHECK) {
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

static int load_config(struct mpsd_config *c, char *err, size_t errlen)
{
	mpsd_config_defaults(c);
	if (!config_path)
		return 0;
	return mpsd_config_load(config_path, c, err, errlen);
}

int mpsd_reload(char *err, size_t errlen)
{
	struct mpsd_config next;
	bool routing_changed;
	int ret;

	sd_notify(0, "RELOADING=1");
	ret = load_config(&next, err, errlen);
	if (ret) {
		log_err("reload refused, keeping the old config: %s", err);
		sd_notify(0, "READY=1");
		return ret;
	}
	if (cli_log_level >= 0)
		next.log_level = cli_log_level;
	routing_changed = next.source_routing != cfg.source_routing ||
			  next.table_base != cfg.table_base || next.rule_prio != cfg.rule_prio;
	cfg = next;
	if (routing_changed)
		route_config_changed();
	log_set_level(cfg.log_level);
	events_set_buffer(cfg.event_buffer);
	log_info("config reloaded from %s", config_path ? config_path : "(defaults)");
	links_config_changed();
	sd_notify(0, "READY=1");
	return 0;
}

static void reconcile_cb(void *data)
{
	pm_reconcile();
	timer_arm(&reconcile_timer, cfg.reconcile_s * 1000ull, reconcile_cb, NULL);
}

static void on_signal(int fd, uint32_t events, void *data)
{
	struct signalfd_siginfo si;
	char err[300];

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			mpsd_reload(err, sizeof(err));
			break;
		case SIGTERM:
		case SIGINT:
			log_info("signal %u: exiting", si.ssi_signo);
			loop_stop();
			break;
		default:
			break;
		}
	}
}

static int signals_init(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0)
		return -errno;
	return loop_add(sfd, EPOLLIN, on_signal, NULL);
}

static int start(void)
{
	int err;

	stats.start_ms = now_ms();
	if ((err = loop_init()) || (err = signals_init())) {
		log_err("event loop: %s", strerror(-err));
		return err;
	}
	err = events_init();
	if (err) {
		log_err("mptcp_pm events: %s%s", strerror(-err),
			err == -EPROTONOSUPPORT ? " (no MPTCP in this kernel)" : "");
		return err;
	}
	err = mps_pm_new(&pm_cmd);
	if (err) {
		log_err("mptcp_pm: %s", strerror(-err));
		return err;
	}
	if ((err = check_path_manager()))
		return err;
	err = links_init();
	if (err) {
		log_err("rtnetlink: %s", strerror(-err));
		return err;
	}
	err = ctlsrv_init();
	if (err) {
		log_err("control socket: %s", strerror(-err));
		return err;
	}
	err = pm_reconcile();
	if (err)
		return err;
	timer_arm(&reconcile_timer, cfg.reconcile_s * 1000ull, reconcile_cb, NULL);
	return 0;
}

static void stop(void)
{
	timer_cancel(&reconcile_timer);
	ctlsrv_fini();
	route_cleanup_all();
	pm_listeners_fini();
	conn_free_all();
	links_fini();
	events_fini();
	mps_pm_free(pm_cmd);
	pm_cmd = NULL;
	if (sfd >= 0)
		close(sfd);
	loop_fini();
}

static int parse_args(int argc, char **argv, bool *check)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "check", no_argument, NULL, 'n' },
		{ "debug", no_argument, NULL, 'd' },        { "syslog", no_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },      { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:ndsVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			config_explicit = true;
			break;
		case 'n':
			*check = true;
			break;
		case 'd':
			cli_log_level = MPSD_LOG_DEBUG;
			break;
		case 's':
			opt_syslog = true;
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

int main(int argc, char **argv)
{
	bool check = false;
	char err[300];
	int ret;

	log_init(MPSD_LOG_INFO, false);
	if (parse_args(argc, argv, &check))
		return 64; /* EX_USAGE */
	if (!config_explicit && access(DEFAULT_CONFIG, F_OK) == 0)
		config_path = DEFAULT_CONFIG;
	if (load_config(&cfg, err, sizeof(err))) {
		fprintf(stderr, "mpsteerd: %s\n", err);
		return 78; /* EX_CONFIG */
	}
	if (check) {
		printf("%s: ok\n", config_path ? config_path : "(no config file: defaults)");
		return 0;
	}
	if (cli_log_level >= 0)
		cfg.log_level = cli_log_level;
	log_init(cfg.log_level, opt_syslog);
	ret = start();
	if (ret == 0) {
		log_info("ready: %zu connections adopted, client policy %s", conn_count(),
			 mpsd_policy_format(&cfg.client, err, sizeof(err)));
		sd_notify(0, "READY=1");
		ret = loop_run();
		sd_notify(0, "STOPPING=1");
	}
	stop();
	return ret ? 69 /* EX_UNAVAILABLE */ : 0;
}
