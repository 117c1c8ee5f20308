#!/usr/bin/env bash
# Rules choose each connection's steering policy (first match wins, else the
# default), by local port, process name and cgroup; a connection pinned with
# `mpsteer primary ... via` is left alone by its policy until `... auto`.
#
#   client ns (mpsteerd: handover, prefer c1 c2)   router ns   server ns (mpsteerd: rules)
#   +----------------+                              +--------+  +-------------------------+
#   | c1 10.1.1.2    |------------------------------| r1  r0 |--| s0 10.9.0.2             |
#   | c2 10.1.2.2    |------------------------------| r2     |  | nginx :8080   (port)    |
#   +----------------+                              +--------+  | ncat -l :9000 (process) |
#   ncat clients, each one idle connection                      | ncat -l :9001 (cgroup)  |
#                                                               | iperf3 -s :5201 (none)  |
#                                                               +-------------------------+
set -eu
TEST_NAME=daemon_rules
. "$(dirname "$0")/daemon_lib.sh"
netns_init
command -v jq >/dev/null || skip "jq is not installed"
command -v ncat >/dev/null || skip "ncat is not installed"
command -v nginx >/dev/null || skip "nginx is not installed"
command -v iperf3 >/dev/null || skip "iperf3 is not installed"
CG_ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
[ -n "$CG_ROOT" ] || skip "cgroup v2 is not mounted"
CG=/mpsd-rules-$$
mkdir "$CG_ROOT$CG" || skip "cannot create a cgroup under $CG_ROOT"
cg_cleanup() { # the cgroup's processes are the test's, gone by now
	rmdir "$CG_ROOT$CG" 2>/dev/null || true
}
trap 'cg_cleanup; _cleanup' EXIT
daemon_topo 2

steer_confs handover "prefer=c1 c2" dwell_ms=1000
cat >>"$TMP/server.conf" <<EOF2
[steering]
policy = none
[rule cg]
cgroup = $CG
policy = interactive
[rule web]
local_port = 8080
policy = interactive
[rule by-name]
process = ncat
local_port = 9000-9001
policy = handover
EOF2
daemon_start "$SRV" "$TMP/server.conf"
SRV_DPID=$DPID
daemon_start "$CLI" "$TMP/client.conf"
nginx_dual "$SRV" 8080
ncat_sink "$SRV" 9000 "$TMP/recv0"
# The same program in the cgroup: the cgroup rule comes first.
mkfifo "$TMP/cg-in.fifo"
exec {cgfd}<>"$TMP/cg-in.fifo" # kept open: ncat must not see EOF (see ncat_sink)
# Joined outside the namespace (`ip netns exec` hides the cgroup file system); the
# membership is inherited across the exec.
bash -c "echo \$\$ >'$CG_ROOT$CG/cgroup.procs' &&
	exec ip netns exec '$SRV' '$MPSTEER' run -- ncat -l -k 9001" <"$TMP/cg-in.fifo" \
	>"$TMP/recv1" &
_PIDS+=("$!")
wait_for 10 "ncat listening on 9001" listening "$SRV" 9001
mptcp_bg "$SRV" iperf3 -s -p 5201
wait_for 10 "iperf3 listening" listening "$SRV" 5201

conn_by_port() { # the server daemon's view of the connection on local port $1: jq $2
	ctl "$SRV" '{"cmd":"conns"}' |
		jq -r "[.conns[] | select(.local | endswith(\":$1\"))][0] | $2"
}
ncat_hold "$CLI" $SRV4 8080 "GET / HTTP/1.1"
ncat_hold "$CLI" $SRV4 9000 "to ncat"
ncat_hold "$CLI" $SRV4 9001 "to ncat in the cgroup"
mptcp_bg "$CLI" iperf3 -c $SRV4 -p 5201 -t 30 -b 1M
resolved() { # "policy/rule" of the server's connection on port $1, once it is not pending
	local v
	v=$(conn_by_port "$1" '.steering.policy + "/" + (.steering.rule // "-")')
	case $v in pending/* | null/* | "") return 1 ;; esac
	echo "$v"
}
wait_eq 10 "nginx's connection: by port" interactive/web resolved 8080
wait_eq 10 "ncat's: by process name" handover/by-name resolved 9000
wait_eq 10 "ncat's in the cgroup: by cgroup (first match)" interactive/cg resolved 9001
wait_eq 10 "iperf3's: no rule, the default" none/- resolved 5201
check "status counts the connections per policy (interactive)" 2 \
	"$(dstat "$SRV" steering.policies.interactive.connections)"
check "owners were looked up" 1 "$(( $(dstat "$SRV" steering.owner_lookups) >= 1 ? 1 : 0 ))"

# One side steers a connection (KERNEL.md: either side's MP_PRIO makes a subflow backup):
# iperf3's connections have no policy on the server.
log "pin a client connection to c2, then hand it back"
# (iperf3's data connection, the busy one: steering looks at connections that move data)
TOKEN=$(kconns "$CLI" | jq -r '[.[] | select(.remote | endswith(":5201"))] |
	max_by(.bytes_sent).token')
kbackup() { # the kernel's backup flag of the client's subflow of TOKEN on c$1
	kconns "$CLI" | jq -r "[.[] | select(.token == $TOKEN) | .subflows[] |
		select(.state == \"ESTAB\" and (.local | startswith(\"10.1.$1.2:\"))) |
		.backup_local] | join(\",\")"
}
wait_eq 10 "a subflow on c2" true kbackup 2
wait_eq 10 "handover chose c1" false kbackup 1
mps "$CLI" primary token "$TOKEN" via c2 >/dev/null
check "pinned: c1 now backup" true "$(kbackup 1)"
check "pinned: c2 primary" false "$(kbackup 2)"
check "the daemon shows the pin" true "$(dconn "$CLI" "$TOKEN" .steering.pinned)"
d0=$(dconn "$CLI" "$TOKEN" .steering.decisions)
s0=$(dstat "$CLI" steering.pinned_skips)
# The policy runs (and would want c1 back) but leaves the pinned connection alone.
wait_ge 10 "the policy skipped the pinned connection" $((s0 + 3)) dstat "$CLI" steering.pinned_skips
check "no decision while pinned" "$d0" "$(dconn "$CLI" "$TOKEN" .steering.decisions)"
check "still pinned to c2" "true false" "$(kbackup 1) $(kbackup 2)"
mps "$CLI" primary token "$TOKEN" auto >/dev/null
wait_eq 10 "auto: c1 primary again" false kbackup 1
check "auto: c2 backup again" true "$(kbackup 2)"
check "not pinned any more" false "$(dconn "$CLI" "$TOKEN" .steering.pinned)"

log "reload: a bad file is refused, the running rules stay; a good one re-decides"
cp "$TMP/server.conf" "$TMP/server.good"
printf '[rule broken]\nlocal_port = 99999\npolicy = handover\n' >>"$TMP/server.conf"
line=$(grep -n '^local_port = 99999' "$TMP/server.conf" | cut -d: -f1)
err=$("$MPSTEERD" -n -c "$TMP/server.conf" 2>&1 || true)
check "mpsteerd -n names file:line and the value" 1 \
	"$(grep -c "server.conf:$line: bad value '99999' for key 'local_port'" <<<"$err")"
reply=$(ctl "$SRV" '{"cmd":"reload"}')
check "reload refused" false "$(jq -r .ok <<<"$reply")"
check "... naming file:line" 1 "$(jq -r .error <<<"$reply" | grep -c "server.conf:$line:")"
check "the running rules stay" interactive/web "$(resolved 8080)"
sed 's/^policy = none$/policy = handover/; /^\[rule web\]/,/^policy/d' "$TMP/server.good" \
	>"$TMP/server.conf"
kill -HUP "$SRV_DPID"
wait_eq 10 "after SIGHUP: no web rule, the new default" handover/- resolved 8080
check "the other rules still hold" handover/by-name "$(resolved 9000)"
log "PASS ($CHECKS checks)"
