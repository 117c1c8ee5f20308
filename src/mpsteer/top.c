/* SPDX-License-Identifier: MIT */
/*
 * mpsteer top: connections sorted by throughput, each subflow's interface,
 * role, rtt and rates, and per-interface totals, refreshed like top(1).
 * Plain ANSI: the screen is redrawn whole each interval, lines cut to the
 * terminal's width. Keys: s sort, f filter (a selector), p pause, q quit.
 * Not a terminal (or -j): one snapshot, rates over one interval, then exit.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "mpsteer/proc.h"
#include "out.h"
#include "toprates.h"

#define DEFAULT_INTERVAL_MS 1000

struct top {
	struct args a;          /* selector, interval, count */
	bool filter;            /* a.sel applies */
	char filter_text[128];
	enum top_sort sort;
	bool paused, tty;
	unsigned width, height;
	struct mps_proc_map *owners; /* for pid selectors */
	struct mps_snapshot *prev, *cur;
	uint64_t prev_ms, cur_ms;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool keep(const struct mps_conn *c, void *data)
{
	struct top *t = data;

	return !t->filter || mps_selector_match(&t->a.sel, c, t->owners);
}

static int sample(struct top *t)
{
	struct mps_snapshot *s = NULL;
	int ret = mps_snapshot_new(MPS_SNAP_OWNERS, &s);

	if (ret)
		return ret;
	mps_snapshot_free(t->prev);
	t->prev = t->cur;
	t->prev_ms = t->cur_ms;
	t->cur = s;
	t->cur_ms = mono_ms();
	return 0;
}

/* One line, cut to the width on a terminal. */
__attribute__((format(printf, 2, 3)))
static void line(const struct top *t, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (t->tty && t->width && strlen(buf) > t->width)
		buf[t->width] = '\0';
	fputs(buf, stdout);
	fputs(t->tty ? "\033[K\n" : "\n", stdout);
}

static void draw_conn(const struct top *t, const struct top_conn *tc, unsigned *rows)
{
	char peer[MPS_ADDRSTRLEN], s1[24], s2[24], who[40] = "-";
	size_t i;

	if (tc->c->pid)
		snprintf(who, sizeof(who), "%s/%d", tc->c->comm, (int)tc->c->pid);
	mps_addr_format(&tc->c->remote, peer, sizeof(peer));
	line(t, "%-11u %-18s %-24s %14s %14s%s", tc->c->token, who, peer,
	     top_rate(tc->send_bps, s1, sizeof(s1)), top_rate(tc->recv_bps, s2, sizeof(s2)),
	     tc->c->fallback ? " TCP-fallback" : "");
	(*rows)++;
	for (i = 0; i < tc->n_sf && (!t->tty || *rows + 1 < t->height); i++, (*rows)++) {
		const struct top_sf *s = &tc->sf[i];

		line(t, "  %-9s %-7s %-8s rtt %7.2fms%13s %14s %14s",
		     s->sf->ifname[0] ? s->sf->ifname : "?",
		     s->sf->backup_local || s->sf->backup_peer ? "backup" : "primary",
		     mps_tcp_state_name(s->sf->state), s->sf->rtt_us / 1000.0, "",
		     top_rate(s->send_bps, s1, sizeof(s1)), top_rate(s->recv_bps, s2, sizeof(s2)));
	}
}

static void draw(struct top *t, const struct top_view *v)
{
	char s1[24], s2[24];
	unsigned rows = 0;
	size_t i;

	if (t->tty)
		fputs("\033[H", stdout);
	line(t, "mpsteer top: %zu connection%s, every %.1f s, sort %s%s%s%s", v->n_conns,
	     v->n_conns == 1 ? "" : "s", t->a.interval_ms / 1000.0, top_sort_name(t->sort),
	     t->filter ? ", filter " : "", t->filter ? t->filter_text : "",
	     t->paused ? ", PAUSED" : "");
	if (t->tty)
		line(t, "keys: s sort, f filter, p pause, q quit");
	line(t, "%-11s %9s %14s %14s", "INTERFACE", "SUBFLOWS", "SEND", "RECV");
	for (i = 0; i < v->n_ifaces; i++)
		line(t, "%-11s %9u %14s %14s", v->ifaces[i].name, v->ifaces[i].subflows,
		     top_rate(v->ifaces[i].send_bps, s1, sizeof(s1)),
		     top_rate(v->ifaces[i].recv_bps, s2, sizeof(s2)));
	line(t, "%s", "");
	line(t, "%-11s %-18s %-24s %14s %14s", "TOKEN", "PROCESS", "PEER", "SEND", "RECV");
	rows = 5 + (unsigned)v->n_ifaces + (t->tty ? 1 : 0);
	for (i = 0; i < v->n_conns && (!t->tty || rows + 1 < t->height); i++)
		draw_conn(t, &v->conns[i], &rows);
	if (t->tty)
		fputs("\033[J", stdout);
	fflush(stdout);
}

static json_t *view_json(const struct top *t, const struct top_view *v)
{
	json_t *ifs = json_array(), *conns = json_array();
	size_t i, j;

	for (i = 0; i < v->n_ifaces; i++)
		json_array_append_new(ifs, json_pack("{s:s,s:i,s:f,s:f}", "ifname", v->ifaces[i].name,
			"subflows", (int)v->ifaces[i].subflows, "send_bps", v->ifaces[i].send_bps,
			"recv_bps", v->ifaces[i].recv_bps));
	for (i = 0; i < v->n_conns; i++) {
		const struct top_conn *c = &v->conns[i];
		json_t *sfs = json_array();

		for (j = 0; j < c->n_sf; j++)
			json_array_append_new(sfs, json_pack("{s:s,s:o,s:o,s:b,s:i,s:f,s:f}",
				"ifname", c->sf[j].sf->ifname, "local", out_addr(&c->sf[j].sf->local),
				"remote", out_addr(&c->sf[j].sf->remote),
				"backup", c->sf[j].sf->backup_local || c->sf[j].sf->backup_peer,
				"rtt_us", (int)c->sf[j].sf->rtt_us, "send_bps", c->sf[j].send_bps,
				"recv_bps", c->sf[j].recv_bps));
		json_array_append_new(conns, json_pack("{s:I,s:o,s:f,s:f,s:o}", "token",
			(json_int_t)c->c->token, "remote", out_addr(&c->c->remote), "send_bps",
			c->send_bps, "recv_bps", c->recv_bps, "subflows", sfs));
	}
	return json_pack("{s:I,s:o,s:o}", "interval_ms", (json_int_t)(t->cur_ms - t->prev_ms),
			 "interfaces", ifs, "conns", conns);
}

static int show(struct top *t)
{
	struct top_view v;
	int ret = top_view_build(t->prev, t->cur, t->cur_ms - t->prev_ms, t->sort, keep, t, &v);

	if (ret)
		return ret;
	if (cli.json)
		out_json(view_json(t, &v));
	else
		draw(t, &v);
	top_view_free(&v);
	return 0;
}

static void term_size(struct top *t)
{
	struct winsize ws;

	t->width = 80;
	t->height = 24;
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col && ws.ws_row) {
		t->width = ws.ws_col;
		t->height = ws.ws_row;
	}
}

/* Reads a selector ("peer 10.0.0.1", "pid 42", empty: none) on the last line. */
static void prompt_filter(struct top *t, struct termios *raw, const struct termios *orig)
{
	char buf[128], kind[16], val[100], err[256];
	struct mps_selector sel;
	int n;

	tcsetattr(STDIN_FILENO, TCSANOW, orig);
	printf("\033[%u;1H\033[Kfilter (token T | pid P | peer ADDR[:PORT], empty: none): ",
	       t->height);
	fflush(stdout);
	if (!fgets(buf, sizeof(buf), stdin))
		buf[0] = '\0';
	tcsetattr(STDIN_FILENO, TCSANOW, raw);
	buf[strcspn(buf, "\n")] = '\0';
	n = sscanf(buf, "%15s %99s", kind, val);
	if (n <= 0) {
		t->filter = false;
		return;
	}
	if (n != 2 || mps_selector_parse(kind, val, &sel, err, sizeof(err))) {
		snprintf(t->filter_text, sizeof(t->filter_text), "(invalid: %.100s)", buf);
		return;
	}
	t->a.sel = sel;
	t->filter = true;
	snprintf(t->filter_text, sizeof(t->filter_text), "%s %s", kind, val);
	if (sel.kind == MPS_SEL_PID && !t->owners)
		mps_proc_map_new(&t->owners);
}

/* Waits up to ms for a key; returns it, or 0. */
static int key_wait(uint64_t ms)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	char c;

	if (poll(&p, 1, (int)ms) <= 0 || read(STDIN_FILENO, &c, 1) != 1)
		return 0;
	return c;
}

static int interactive(struct top *t)
{
	struct termios orig, raw;
	uint64_t next = mono_ms() + t->a.interval_ms;
	unsigned shown = 0;
	int ret = 0, k;

	tcgetattr(STDIN_FILENO, &orig);
	raw = orig;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	fputs("\033[?25l\033[H\033[2J", stdout); /* hide the cursor, clear */
	while (!stop && !ret) {
		uint64_t now = mono_ms();

		if (now >= next) {
			next = now + t->a.interval_ms;
			if (!t->paused && !(ret = sample(t))) {
				term_size(t);
				ret = show(t);
				if (t->a.count && ++shown >= t->a.count)
					break;
			}
			continue;
		}
		k = key_wait(next - now);
		if (k == 'q' || k == 'Q')
			break;
		if (k == 'p' || k == ' ')
			t->paused = !t->paused;
		else if (k == 's')
			t->sort = (t->sort + 1) % TOP_SORT_N;
		else if (k == 'f')
			prompt_filter(t, &raw, &orig);
		if (k && !ret && t->prev) /* redraw with the new settings at once */
			ret = show(t);
	}
	fputs("\033[?25h\n", stdout);
	tcsetattr(STDIN_FILENO, TCSANOW, &orig);
	return ret;
}

static int run(struct top *t)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int ret;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = sample(t);
	if (ret) {
		cli_err("top: cannot list MPTCP connections: %s", strerror(-ret));
		return ret;
	}
	if (t->tty)
		return interactive(t);
	/* One snapshot: rates need two samples one interval apart. */
	poll(NULL, 0, (int)t->a.interval_ms);
	ret = sample(t);
	return ret ? ret : show(t);
}

int cmd_top(int argc, char **argv)
{
	static const struct args_spec spec = {
		.cmd = "top", .allowed = KW_SELECTOR | KW_INTERVAL | KW_COUNT, .one_of = KW_SELECTOR,
	};
	struct top t = { 0 };
	size_t i;
	int ret;

	if (args_parse(&spec, argc - 1, argv + 1, &t.a))
		return EX_USAGE;
	if (!(t.a.has & KW_INTERVAL))
		t.a.interval_ms = DEFAULT_INTERVAL_MS;
	t.filter = t.a.has & KW_SELECTOR;
	for (i = 1; t.filter && i + 1 < (size_t)argc; i++)
		if (!strcmp(argv[i], "token") || !strcmp(argv[i], "pid") || !strcmp(argv[i], "peer"))
			snprintf(t.filter_text, sizeof(t.filter_text), "%s %s", argv[i], argv[i + 1]);
	if (t.filter && t.a.sel.kind == MPS_SEL_PID)
		mps_proc_map_new(&t.owners);
	t.tty = !cli.json && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
	ret = run(&t);
	mps_snapshot_free(t.prev);
	mps_snapshot_free(t.cur);
	mps_proc_map_free(t.owners);
	return ret ? cli_exit_code(ret) : EX_OK;
}
