# shellcheck shell=bash
# A stream of small HTTP requests over two access paths: the topology, load and measures
# shared by eval scenarios c (handover) and d (bufferbloat) and by bench/handover_stall.sh
# and bench/bufferbloat.sh. Source after eval/lib.sh (bench scripts: after bench/lib.sh, then
# call rq_tools).
#
#   client ns                          router ns             server ns
#   +------------------------------+   +--------------+      +----------------------------+
#   | c1 10.1.1.2 "Wi-Fi" (default)|---| r1 tbf       |      | s0 10.9.0.2                |
#   | c2 10.1.2.2 "cellular"       |---| r2 tbf    r0 |------| nginx :80 (mpsteer run),   |
#   | reqgen (mpsteer run or TCP)  |   +--------------+      | in-kernel PM               |
#   +------------------------------+                         +----------------------------+
#   tbf RQ_RATE Mbit/s on both ends of each path; rq_topo's QUEUE makes r1's queue (the
#   Wi-Fi downlink) deep.
#
#   rq_tools                   builds $REQGEN (eval/lib/reqgen.c) when eval_init did not
#   rq_bench_init              bench_init and rq_tools, for the bench scripts
#   rq_pick ARM...             RQ_ARMS: those of the arms that can be measured here
#   rq_topo [QUEUE_BYTES]      the topology above, nginx serving /r (RQ_BYTES bytes)
#   rq_arm_up ARM              the client's path manager for ARM (see rq_arms below)
#   rq_arm_down ARM
#   rq_stream ARM OUT SECS     reqgen in the background ($RQ_PID): for SECS s, a request of /r
#                              every RQ_INTERVAL_MS (one at a time), each failing after
#                              RQ_TIMEOUT_MS; CSV to OUT
#   rq_ready ARM               waits until the stream runs (and has its 2 subflows on MPTCP)
#   rq_fail carrier|blackhole  path 1 fails: its carrier is lost (the router's end goes down)
#                              or it silently drops everything (nftables on the router)
#   rq_restore carrier|blackhole
#   rq_cross_start SECONDS     plain-TCP bulk download (iperf3) to c1 that fills r1's queue
#   rq_cross_stop
#   rq_stats CSV [FROM]        "requests failed stalled p50 p95 p99 stall" (ms) of requests
#                              sent at or after FROM (CSV's first column: when it was sent, s;
#                              reqgen's output or rq_failure_run's); failed ones count as at least
#                              RQ_TIMEOUT_MS; stalled: > 1 s; stall: the longest time without
#                              a completed response
#   rq_policy ARM              true when this mpsteerd has ARM's policy (handover, interactive)
#   rq_available ARM           true when ARM can be measured here (else says why)
#   rq_label ARM               the arm's name for people
#   rq_failure_run ARM MODE PRE DUR POST OUT   one stream, path 1 failing for DUR s
#   rq_bloat_run ARM SECS QUEUE OUT            one stream, cross traffic filling r1's queue
#
# Arms: tcp (plain TCP, no MPTCP), kernel (the in-kernel PM, an endpoint on c2: a second
# active subflow), kernel-backup (the same endpoint flagged backup), mptcpd (its sspi plugin,
# where installed), handover, interactive (mpsteerd with that policy, c1 preferred).

RQ_RATE=${RQ_RATE:-20}
RQ_BYTES=${RQ_BYTES:-2000}
RQ_INTERVAL_MS=${RQ_INTERVAL_MS:-50}
RQ_TIMEOUT_MS=${RQ_TIMEOUT_MS:-5000}
_rq_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# rq_bench_init: what a bench script does before rq_topo (eval scenarios call eval_init).
rq_bench_init() {
	bench_init
	# shellcheck disable=SC2034 # where eval_missing notes an arm it cannot measure
	EVAL_OUT=$TMP
	rq_tools
}

# rq_pick ARM...: RQ_ARMS, the arms given that can be measured here, in order (rq_available
# says why one cannot); fails when none can.
rq_pick() {
	local a
	RQ_ARMS=()
	for a in "$@"; do
		if rq_available "$a"; then RQ_ARMS+=("$a"); fi
	done
	[ ${#RQ_ARMS[@]} -gt 0 ] || fail "no arm of '$*' can be measured here"
}

rq_tools() {
	[ -x "${REQGEN:-}" ] && return 0
	REQGEN=$TMP/reqgen
	cc -O2 -Wall -o "$REQGEN" "$_rq_lib/reqgen.c" || fail "cannot build reqgen"
}

rq_topo() {
	local p
	bench_topo 2
	# A host's connection manager drops the routes of a link without carrier: new
	# connections and subflows then take the other uplink.
	ip netns exec "$CLI" sysctl -qw net.ipv4.conf.all.ignore_routes_with_linkdown=1
	for p in 1 2; do
		eval_shape "$CLI" c$p "$RQ_RATE"
		eval_shape "$RTR" r$p "$RQ_RATE"
	done
	[ -z "${1:-}" ] || eval_shape "$RTR" r1 "$RQ_RATE" "$1"
	mkdir -p "$TMP/rqwww"
	head -c "$RQ_BYTES" /dev/urandom >"$TMP/rqwww/r"
	eval_nginx "$SRV" 80 "$TMP/rqwww"
}

# rq_conf ARM: the client's mpsteerd configuration for a policy arm.
rq_conf() {
	cat <<-EOF
	[client]
	policy = per-interface
	[interfaces]
	allow = c*
	EOF
	case $1 in
	handover) printf '[steering]\npolicy = handover\n[handover]\nprefer = c1 c2\n' ;;
	interactive) printf '[steering]\npolicy = interactive\n[interactive]\nprefer = c1 c2\n' ;;
	esac
}

rq_policy() {
	rq_conf "$1" >"$TMP/rq-$1.conf"
	"$MPSTEERD" -n -c "$TMP/rq-$1.conf" >/dev/null 2>&1
}

# rq_available ARM: true when ARM can be measured here. A policy arm this mpsteerd lacks is
# reported missing (eval_missing); mptcpd not installed is only logged.
rq_available() {
	case $1 in
	handover | interactive)
		rq_policy "$1" && return 0
		eval_missing "this mpsteerd has no $1 policy: the $1 arm was not measured"
		return 1
		;;
	mptcpd)
		[ -x "$MPTCPD" ] && return 0
		log "mptcpd is not installed: its arm is left out"
		return 1
		;;
	esac
}

# rq_label ARM: the arm's name in tables and plots.
rq_label() {
	case $1 in
	handover) echo "mpsteerd handover" ;;
	interactive) echo "mpsteerd interactive" ;;
	kernel) echo "in-kernel PM" ;;
	kernel-backup) echo "in-kernel PM, c2 backup" ;;
	mptcpd) echo "mptcpd (sspi)" ;;
	tcp) echo "plain TCP" ;;
	*) echo "$1" ;;
	esac
}

rq_arm_up() {
	ip -n "$CLI" mptcp endpoint flush
	case $1 in
	tcp) ;;
	kernel | kernel-backup)
		set_pm "$CLI" kernel
		ip -n "$CLI" mptcp limits set subflows 2
		if [ "$1" = kernel-backup ]; then
			ip -n "$CLI" mptcp endpoint add 10.1.2.2 dev c2 subflow backup
		else
			ip -n "$CLI" mptcp endpoint add 10.1.2.2 dev c2 subflow
		fi
		;;
	mptcpd) client_pm_up mptcpd ;;
	handover | interactive)
		rq_policy "$1" || fail "this mpsteerd has no $1 policy"
		daemon_up "$CLI" "$TMP/rq-$1.conf" 2>>"$TMP/mpsteerd-$1.log"
		PM_PID=$DPID
		;;
	*) fail "unknown arm $1" ;;
	esac
}

rq_arm_down() {
	case $1 in
	mptcpd | handover | interactive) daemon_down "$PM_PID" ;;
	kernel | kernel-backup) ip -n "$CLI" mptcp endpoint flush ;;
	esac
	set_pm "$CLI" kernel
}

rq_stream() {
	local arm=$1 out=$2 secs=$3
	if [ "$arm" = tcp ]; then
		bg "$CLI" "$REQGEN" $SRV4 80 /r "$RQ_INTERVAL_MS" "$secs" "$RQ_TIMEOUT_MS" >"$out"
	else
		mptcp_bg "$CLI" "$REQGEN" $SRV4 80 /r "$RQ_INTERVAL_MS" "$secs" "$RQ_TIMEOUT_MS" \
			>"$out"
	fi
	RQ_PID=$BG_PID
	RQ_OUT=$out
}

_rq_estab() {
	mps "$CLI" --direct -j conns | jq '[.[] | .subflows[] | select(.state == "ESTAB")] | length'
}

rq_ready() {
	wait_for 10 "the first responses ($1)" _has_rows "$RQ_OUT" 5
	case $1 in
	tcp) ;;
	# mptcpd 0.12's sspi plugin adds no subflow to a connection this host made
	# ("sspi_connection_established is unimplemented"): it stays on one path.
	mptcpd) wait_eq 10 "the stream's subflow ($1)" 1 _rq_estab ;;
	*) wait_eq 10 "the stream's two subflows ($1)" 2 _rq_estab ;;
	esac
}

rq_fail() {
	case $1 in
	carrier) ip -n "$RTR" link set r1 down ;;
	blackhole)
		ip netns exec "$RTR" nft -f - <<-'EOF'
		table inet rqbh {
			chain forward_drop {
				type filter hook forward priority 0;
				iifname "r1" drop
				oifname "r1" drop
			}
		}
		EOF
		;;
	esac
}

rq_restore() {
	case $1 in
	carrier)
		ip -n "$RTR" link set r1 up
		ip -n "$CLI" neigh flush dev c1
		ip -n "$RTR" neigh flush dev r1
		;;
	blackhole) ip netns exec "$RTR" nft delete table inet rqbh ;;
	esac
}

rq_cross_start() {
	eval_need iperf3 "the cross traffic"
	# A loss-based sender (the default here may be BBR, which keeps queues short) and a
	# receive window that is large from the start: the queue fills within a second.
	ip netns exec "$CLI" sysctl -qw net.ipv4.tcp_rmem="4096 4194304 8388608"
	bg "$CLI" iperf3 -s -1 -B 10.1.1.2 -p 5201 >"$TMP/cross-srv.log" 2>&1
	RQ_CROSS_SRV=$BG_PID
	wait_for 10 "iperf3 listening" listening "$CLI" 5201
	bg "$SRV" iperf3 -c 10.1.1.2 -p 5201 -C cubic -P 4 -t "$1" >"$TMP/cross.log" 2>&1
	RQ_CROSS=$BG_PID
}

rq_cross_stop() {
	kill -TERM "$RQ_CROSS" "$RQ_CROSS_SRV" 2>/dev/null || true
	wait "$RQ_CROSS" "$RQ_CROSS_SRV" 2>/dev/null || true
}

rq_stats() {
	python3 - "$1" "${2:--1e18}" "$RQ_TIMEOUT_MS" <<-'PY'
	import csv, math, sys
	lines = list(csv.reader(open(sys.argv[1])))[1:]
	since = float(sys.argv[2])
	rows = [(float(t), float(ms), st) for t, ms, st, _ in lines if float(t) >= since]
	tmo = float(sys.argv[3])
	if not rows:
	    print("0 0 0 nan nan nan nan")
	    sys.exit()
	ms = sorted(m if st == "ok" else max(m, tmo) for _, m, st in rows)
	ok = [(t, m) for t, m, st in rows if st == "ok"]
	done = sorted(t + m / 1000 for t, m in ok)
	gap = max((b - a for a, b in zip(done, done[1:])), default=0)
	pct = [ms[max(math.ceil(len(ms) * p / 100), 1) - 1] for p in (50, 95, 99)]
	print(len(rows), len(rows) - len(ok), sum(m > 1000 for _, m in ok),
	      *("%.1f" % v for v in pct), "%.0f" % (gap * 1000))
	PY
}

# _rq_sleep_until EPOCH: the experiment's schedule (not a wait for state).
_rq_sleep_until() {
	sleep "$(awk -v t="$1" -v n="$EPOCHREALTIME" \
		'BEGIN { d = t - n; printf "%.3f", (d > 0 ? d : 0) }')"
}

# rq_quiet: the client has no MPTCP connection left and path 1 answers again.
rq_quiet() {
	wait_eq 10 "no connection left on the client" 0 kconns "$CLI"
	wait_eq 5 "carrier on c1" 1 carrier "$CLI" c1
	wait_for 10 "c1 reaches the server" reach "$CLI" 10.1.1.2 $SRV4
}

# rq_failure_run ARM MODE PRE DUR POST OUT: one stream of PRE + DUR + POST seconds; path 1
# fails (MODE: carrier or blackhole) PRE s after the first request and is restored DUR s
# later. OUT: "t_s,ms,status,conn", t_s when the request was sent, in s since the failure.
rq_failure_run() {
	local arm=$1 mode=$2 pre=$3 dur=$4 post=$5 out=$6 t0 tf
	rq_arm_up "$arm"
	rq_stream "$arm" "$TMP/rq-run.csv" $((pre + dur + post))
	rq_ready "$arm"
	t0=$(sed -n 2p "$TMP/rq-run.csv" | cut -d, -f1)
	_rq_sleep_until "$(awk -v a="$t0" -v b="$pre" 'BEGIN { printf "%.6f", a + b }')"
	tf=$EPOCHREALTIME
	rq_fail "$mode"
	_rq_sleep_until "$(awk -v a="$tf" -v b="$dur" 'BEGIN { printf "%.6f", a + b }')"
	rq_restore "$mode"
	wait "$RQ_PID" || fail "the request stream failed ($arm, $mode)"
	rq_arm_down "$arm"
	rq_quiet
	awk -F, -v tf="$tf" 'NR == 1 { print "t_s,ms,status,conn"; next }
		{ printf "%.3f,%s,%s,%s\n", $1 - tf, $2, $3, $4 }' "$TMP/rq-run.csv" >"$out"
	eval_require "$out" $(((pre + post) * 1000 / RQ_INTERVAL_MS / 2)) \
		"the request stream of $arm ($mode)"
}

# _rq_backlog: bytes queued in r1's tbf (the Wi-Fi downlink).
_rq_backlog() {
	ip netns exec "$RTR" tc -s qdisc show dev r1 |
		awk '/backlog/ { v = $2; sub(/b$/, "", v); if (v ~ /K$/) v *= 1000
			else if (v ~ /M$/) v *= 1000000; print int(v); exit }'
}

# rq_bloat_run ARM SECS QUEUE OUT: a stream of SECS seconds while plain-TCP cross traffic
# keeps r1's queue (QUEUE bytes deep) full; the stream starts once half of it is filled.
# OUT: "t_s,ms,status,conn", t_s when the request was sent, in s since the stream started.
rq_bloat_run() {
	local arm=$1 secs=$2 queue=$3 out=$4 t0
	rq_arm_up "$arm"
	rq_cross_start $((secs + 30))
	wait_ge 20 "cross traffic filling the Wi-Fi queue" $((queue / 2)) _rq_backlog
	rq_stream "$arm" "$TMP/rq-run.csv" "$secs"
	rq_ready "$arm"
	wait "$RQ_PID" || fail "the request stream failed ($arm)"
	rq_cross_stop
	rq_arm_down "$arm"
	rq_quiet
	t0=$(sed -n 2p "$TMP/rq-run.csv" | cut -d, -f1)
	awk -F, -v t0="$t0" 'NR == 1 { print "t_s,ms,status,conn"; next }
		{ printf "%.3f,%s,%s,%s\n", $1 - t0, $2, $3, $4 }' "$TMP/rq-run.csv" >"$out"
	eval_require "$out" "$secs" "the request stream of $arm"
}
