#!/usr/bin/env bash
# SIGHUP with a broken config during traffic: the daemon refuses it, names file:line, and
# the old config keeps running (policy, subflows, the transfer); a good one then applies.
#
#   client ns (mpsteerd, SIGHUP)      router ns      server ns (mpsteerd)
#   c1 10.1.1.2, c2 10.1.2.2 -------------------------- s0 10.9.0.2
#   ncat < stream (until the reloads end)              ncat -l -k :9000 > file
#   (unmodified, on MPTCP by mpsteer run; tbf 20mbit on c1 and c2)
set -eu
. "$(dirname "$0")/daemon_lib.sh"
daemon_test_init 2
shape_paths 20mbit
conf=$TMP/client.conf
printf '[interfaces]\nallow = c*\n[routing]\nsource_routing = yes\n' >"$conf"
printf '[interfaces]\nallow = s*\n' >"$TMP/server.conf"
daemon_start "$SRV" "$TMP/server.conf"
bg "$CLI" "$MPSTEERD" -c "$conf" 2>"$TMP/d.log"
CPID=$BG_PID
wait_for 10 "mpsteerd in $CLI answers" mps "$CLI" status
stream_start "$TMP/hups.done"
wait_eq 10 "a subflow on c2 (created by mpsteerd)" 1 on_iface_of "$CLI" c2
before=$(dview "$CLI")

# hup_refused DESC LINE-OF-THE-ERROR: SIGHUP, then the refusal naming it, the old config kept.
hup_refused() {
	local n
	n=$(count 'reload refused' cat "$TMP/d.log")
	kill -HUP "$CPID"
	wait_eq 10 "$1: the reload refused" $((n + 1)) count 'reload refused' cat "$TMP/d.log"
	grep 'reload refused' "$TMP/d.log" | tail -n1 >"$TMP/last"
	check "$1: the error names file:line" 1 \
		"$(count "reload refused, keeping the old config: $conf:$2: " cat "$TMP/last")"
	log "$1: $(cat "$TMP/last")"
	check "$1: the old policy runs" per-interface "$(dstat "$CLI" client_policy)"
	check "$1: the connections and subflows are as they were" "$before" "$(dview "$CLI")"
	check "$1: the daemon lives (same pid)" "$CPID" "$(dstat "$CLI" pid)"
}
printf '[interfaces]\nallow = c*\n[client]\npolicy = sometimes\n' >"$conf"
hup_refused "a bad value" 4
printf '[interfaces]\nallow = c*\n[client]\npolicy = fullmesh\n[links]\nretry_limit = -1\n' >"$conf"
hup_refused "a negative number (nothing half-applied)" 6
printf '[client]\npolicy = fullmesh\n[interfaces]\nallow = c* %200s\n' '' >"$conf"
hup_refused "an over-long line" 4
printf '[interfaces]\nallow = c*\n[daemon]\nevent_buffer = 17179869185G\n' >"$conf"
hup_refused "a size that would overflow" 4
printf '[interfaces]\nallow = c*\n[client]\npolicy = fullmesh\n' >"$conf"
kill -HUP "$CPID"
wait_eq 10 "a good config applies" fullmesh dstat "$CLI" client_policy
touch "$TMP/hups.done"
stream_check
log "4 broken configs refused during traffic, the old one kept each time; $(dstat "$CLI" \
	subflows_created) subflows created in all"
log "PASS ($CHECKS checks)"
