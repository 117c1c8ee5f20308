#!/usr/bin/env bash
# Scenario a, the research experiment: the primary subflow of an unmodified OpenVPN server's
# MPTCP connection is switched from one access path to the other in the middle of a large
# download through the tunnel; per-path throughput over time, both directions.
#
#   client ns                       router ns           vpn ns                   web ns
#   +-------------------------+     +-----------+      +--------------------+   +------------+
#   | c1 10.1.1.2  path A ----|-tbf-| r1        |      | s0 10.9.0.2 :1194  |   |            |
#   | c2 10.1.2.2  path B ----|-tbf-| r2     r0 |------| openvpn (server)   |   | nginx      |
#   | openvpn (client)        |     +-----------+      | w0 10.7.0.1 -------|---| w1 10.7.0.2|
#   | tun0 10.8.0.2 ==========|==== tunnel (TCP, on MPTCP) ====== tun0 10.8.0.1 |            |
#   | curl (download), ncat (upload) through the tunnel                     |   |            |
#   +-------------------------+                        +--------------------+   +------------+
#
# Both OpenVPN ends run unmodified under `mpsteer run`; the client's in-kernel path manager
# adds a subflow on c2 to the tunnel's connection. Each path is shaped by tbf in both
# directions (RATE Mbit/s). Through the tunnel the client downloads SIZE MB from nginx with
# curl and, at the same time, uploads SIZE MB with ncat (so both directions carry data).
# Traffic starts on path A; once 40% of the download has arrived the primary is switched to
# path B. Arms, one after the other on the same topology:
#   mpsteer    the VPN server on the userspace path manager (mpsteerd accepts the joins);
#              `mpsteer primary pid <openvpn> via 10.1.2.2` run on the server switches the
#              VPN server's connection, from the server's side, both directions (MP_PRIO).
#   in-kernel  the in-kernel path manager everywhere; the client's endpoints are flipped with
#              `ip mptcp endpoint change id N backup|nobackup`, which changes every connection
#              using those addresses (no per-connection control).
# A bystander, a second MPTCP connection of the client (reqgen, a small request stream to
# nginx on the VPN host, not through the tunnel), shows whether a switch moves other
# connections too. The client's c1/c2 byte counters are sampled every EVAL_TICK_MS (100 ms)
# for the plot.
# Env: RATE (Mbit/s per path and direction), SIZE (MB each way).
set -eu
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib/openvpn.sh"
RATE=${RATE:-$(eval_size 20 40)}
SIZE=${SIZE:-$(eval_size 6 80)}
eval_init "primary switch of an OpenVPN connection: mpsteer primary (per connection, from the \
server) vs the in-kernel PM's endpoint backup flags (endpoint-wide, from the client)"
eval_need curl "the download"
eval_need ncat "the upload"
eval_need openvpn "the VPN"

bench_topo 2
WEB=$(ns_new ewb)
link_pair "$SRV" w0 10.7.0.1/24 "$WEB" w1 10.7.0.2/24
ip -n "$WEB" route add default via 10.7.0.1
for p in 1 2; do
	eval_shape "$CLI" c$p "$RATE"
	eval_shape "$RTR" r$p "$RATE"
done
mkdir -p "$TMP/www"
echo ok >"$TMP/www/index.html"
head -c $((SIZE * 1000000)) /dev/urandom >"$TMP/www/big"
head -c $((SIZE * 1000000)) /dev/urandom >"$TMP/up"
want_sha=$(sha256sum <"$TMP/www/big" | cut -d' ' -f1)
head -c 2000 /dev/urandom >"$TMP/www/r"
eval_nginx "$WEB" 80 "$TMP/www"
eval_nginx "$SRV" 8080 "$TMP/www"
bg "$WEB" ncat -l -k 9000 --recv-only >"$TMP/upload.got"
UP_PID=$BG_PID
wait_for 10 "ncat listening" listening "$WEB" 9000

estab() {
	mps "$1" --direct -j conns | jq '[.[] | .subflows[] | select(.state == "ESTAB")] | length'
}
# by_bytes IF: bytes the bystander connection (the client's request stream to the VPN
# host's port 8080) moved over the client's IF, both directions (the kernel's subflow view).
by_bytes() {
	mps "$CLI" --direct -j conns | jq --arg i "$1" '[.[] | select(.remote | endswith(":8080"))
		| .subflows[] | select(.ifname == $i) | .bytes_received + .bytes_acked] | add // 0'
}
# arrived_ge N: N bytes received on c1 + c2 since the download started.
arrived_ge() {
	local rx=$(($(ifbytes "$CLI" c1 rx) + $(ifbytes "$CLI" c2 rx)))
	[ $((rx - $(cat "$TMP/rx0"))) -ge "$1" ]
}
# uploaded_ge BYTES: the upload receiver behind the VPN has BYTES (of every arm so far)
uploaded_ge() {
	[ "$(stat -c %s "$TMP/upload.got")" -ge "$1" ]
}
UP_WANT=0

# arm NAME: one download + upload through a fresh tunnel, the primary switched mid-way.
arm() {
	local name=$1 dpid="" curl_pid ncat_pid by_pid got a0 b0 a1 b1
	ip -n "$CLI" mptcp endpoint flush
	ip -n "$CLI" mptcp limits set subflows 2
	case $name in
	mpsteer)
		set_pm "$SRV" userspace
		daemon_up "$SRV" /dev/null 2>>"$TMP/mpsteerd.log"
		dpid=$DPID
		ip -n "$CLI" mptcp endpoint add 10.1.2.2 dev c2 subflow
		;;
	in-kernel)
		set_pm "$SRV" kernel
		ip -n "$CLI" mptcp endpoint add 10.1.1.2 id 1 dev c1
		ip -n "$CLI" mptcp endpoint add 10.1.2.2 id 2 dev c2 subflow backup
		;;
	esac
	ovpn_server "$SRV" "$SRV4"
	ovpn_client "$CLI" "$SRV4" 10.7.0.0/24
	wait_eq 10 "the tunnel's two subflows ($name)" 2 estab "$CLI"
	# The bystander: another MPTCP connection of the same client address, to another
	# program on the VPN host (a small request stream). It should stay where it is.
	mptcp_bg "$CLI" "$REQGEN" "$SRV4" 8080 /r 50 600 5000 >"$TMP/bystander.$name.csv"
	by_pid=$BG_PID
	wait_eq 10 "the bystander's two subflows ($name)" 4 estab "$CLI"
	if [ "$name" = mpsteer ]; then
		mps "$SRV" primary peer 10.1.1.2 via 10.1.1.2 >>"$TMP/primary.log"
	fi
	wait_for 10 "nginx through the tunnel" ip netns exec "$CLI" curl -sf -o /dev/null \
		http://10.7.0.2/
	eval_series_start "$name" "$CLI" c1 c2
	echo $(($(ifbytes "$CLI" c1 rx) + $(ifbytes "$CLI" c2 rx))) >"$TMP/rx0"
	bg "$CLI" curl -sf -o "$TMP/down.$name" http://10.7.0.2/big
	curl_pid=$BG_PID
	# shellcheck disable=SC2217 # bg hands its stdin on
	bg "$CLI" ncat --send-only 10.7.0.2 9000 <"$TMP/up"
	ncat_pid=$BG_PID
	wait_for 120 "40% of the download ($name)" arrived_ge $((SIZE * 400000))
	a0=$(by_bytes c1) b0=$(by_bytes c2)
	eval_mark "$name" "primary -> path B"
	case $name in
	mpsteer)
		# The VPN server's connections only: by its process.
		mps "$SRV" primary pid "$(app_pid "$OVPN_SRV_PID")" via 10.1.2.2 \
			>>"$TMP/primary.log"
		;;
	in-kernel)
		ip -n "$CLI" mptcp endpoint change id 2 nobackup
		ip -n "$CLI" mptcp endpoint change id 1 backup
		;;
	esac
	wait "$curl_pid" || fail "the download failed ($name)"
	wait "$ncat_pid" || fail "the upload failed ($name)"
	# ncat is done once the tunnel took its bytes: they arrive before the tunnel goes down.
	UP_WANT=$((UP_WANT + SIZE * 1000000))
	wait_for 30 "the upload behind the VPN ($name)" uploaded_ge $UP_WANT
	eval_series_stop "$name"
	a1=$(by_bytes c1) b1=$(by_bytes c2)
	kill -TERM "$by_pid"
	wait "$by_pid" || true
	[ $((a1 - a0 + b1 - b0)) -gt 0 ] || fail "the bystander moved no data ($name)"
	echo "$name $(((b1 - b0) * 100 / (a1 - a0 + b1 - b0)))" >>"$TMP/bystander"
	got=$(sha256sum <"$TMP/down.$name" | cut -d' ' -f1)
	[ "$got" = "$want_sha" ] || fail "the download arrived damaged ($name)"
	ovpn_down
	[ -z "$dpid" ] || daemon_down "$dpid"
	log "$name: $SIZE MB down intact"
}

arm mpsteer
arm in-kernel
kill -TERM "$UP_PID"
wait "$UP_PID" 2>/dev/null || true
got=$(stat -c %s "$TMP/upload.got")
[ "$got" = $((2 * SIZE * 1000000)) ] || fail "the uploads arrived incomplete: $got bytes"

# figures ARM: "share_before share_after reaction_ms rate_Mbps dip_ms" from ARM.csv: the share
# of the traffic received on path A before the switch, on path B from 1 s after it to the
# end; the time from the switch to the first interval with >= 90% of it on path B; the mean
# received rate; the longest run of intervals within 3 s after the switch whose received
# rate fell below half the mean of the 2 s before it (the disruption the switch caused).
figures() {
	local ts
	ts=$(cut -d, -f1 "$EVAL_OUT/$1.events.csv")
	awk -F, -v ts="$ts" 'NR == 1 { next }
		{ a = $2; b = $4; dt = $1 - p; p = $1 }
		$1 <= ts { ba += a * dt; bt += (a + b) * dt }
		$1 > ts - 2 && $1 <= ts { pre += (a + b) * dt; pt += dt }
		$1 > ts + 1 { aa += b * dt; at += (a + b) * dt }
		$1 > ts && !r && a + b > 0 && b / (a + b) >= 0.9 { r = ($1 - ts) * 1000 }
		$1 > ts && $1 <= ts + 3 {
			if (a + b < pre / pt / 2) { run += dt; if (run > dip) dip = run } else run = 0 }
		{ tot += (a + b) * dt; end = $1 }
		END { printf "%.1f %.1f %.0f %.1f %.0f\n", 100 * ba / bt, 100 * aa / at, r,
			tot / end, dip * 1000 }' "$EVAL_OUT/$1.csv"
}
for a in mpsteer in-kernel; do
	eval_require "$EVAL_OUT/$a.csv" 10 "per-path samples of the $a arm"
	read -r before after react gp dip < <(figures "$a")
	echo "$a $before $after $react $gp $dip" >>"$TMP/figures"
	log "$a: path A ${before}% before the switch, path B ${after}% after; reaction ${react} ms"
done

plot() {
	local png=$1 A='#1f77b4' B='#d62728'
	{
		echo "set multiplot layout 2,1"
		echo "set xlabel 'time since the download started (s)'"
		echo "set ylabel 'throughput (Mbit/s)'"
		echo "set yrange [0:$((RATE * 13 / 10))]"
		echo "set xrange [0:$(tail -qn1 "$EVAL_OUT/mpsteer.csv" "$EVAL_OUT/in-kernel.csv" |
			cut -d, -f1 | sort -g | tail -n1)]"
		for a in mpsteer in-kernel; do
			echo "unset arrow; unset label"
			eval_gp_marks "$a"
			if [ "$a" = mpsteer ]; then
				echo "set title 'mpsteer primary on the VPN server" \
					"(this connection only)'"
			else
				echo "set title 'in-kernel PM: ip mptcp endpoint change ..." \
					"backup (every connection of the address)'"
			fi
			printf "plot '%s' using 1:2 skip 1 with lines lw 2 lc rgb '%s' title '%s'" \
				"$EVAL_OUT/$a.csv" "$A" "path A down"
			printf ", '' using 1:3 skip 1 with lines dt 3 lw 2 lc rgb '%s' title '%s'" \
				"$A" "path A up"
			printf ", '' using 1:4 skip 1 with lines lw 2 lc rgb '%s' title '%s'" \
				"$B" "path B down"
			printf ", '' using 1:5 skip 1 with lines dt 3 lw 2 lc rgb '%s' title '%s'" \
				"$B" "path B up"
			echo
		done
		echo "unset multiplot"
	} | eval_gnuplot "$EVAL_OUT/$png" 1000 700
}
plot openvpn_paths.png

read -r _ mb ma mr mg md < <(grep '^mpsteer ' "$TMP/figures")
read -r _ kb ka kr kg kd < <(grep '^in-kernel ' "$TMP/figures")
mby=$(awk '$1 == "mpsteer" { print $2 }' "$TMP/bystander")
kby=$(awk '$1 == "in-kernel" { print $2 }' "$TMP/bystander")
eval_md "OpenVPN $(openvpn --version | head -n1 | cut -d' ' -f2) (TCP, unmodified, both ends" \
	"under \`mpsteer run\`) over two paths of $RATE Mbit/s each way (tbf); a $SIZE MB" \
	"download" \
	"(curl from nginx behind the VPN server) and a $SIZE MB upload (ncat) through the tunnel" \
	"at the same time; the primary is switched from path A to path B once 40% of the download" \
	"has arrived. Samples of the client's interface counters every $EVAL_TICK_MS ms; the" \
	"download's sha256 and the upload's byte count checked. A bystander, a second MPTCP" \
	"connection of the same client address to another program on the VPN host (a request" \
	"every 50 ms), shows what else each way of switching moves: \`mpsteer primary pid" \
	"<openvpn> via 10.1.2.2\` selects the VPN server's connections only, the endpoint flags" \
	"change every connection of the address."
eval_md_plot openvpn_paths.png "per-path throughput of the OpenVPN client, both directions"
printf '%s\t%s\t%s\n' "" "mpsteer primary (per connection)" "in-kernel endpoint flags" \
	"received on path A before the switch (interface counters)" "$mb%" "$kb%" \
	"received on path B from 1 s after the switch" "$ma%" "$ka%" \
	"switch to the first 100 ms sample with >= 90% received on path B" "$mr ms" "$kr ms" \
	"mean received rate, both paths" "$mg Mbit/s" "$kg Mbit/s" \
	"received rate below half its level, within 3 s after the switch" "$md ms" "$kd ms" \
	"another connection of the client (bystander): its traffic on path B after the switch" \
	"$mby%" "$kby%" | eval_md_table
eval_headline "received on the new path from 1 s after the switch" "mpsteer" "$ma" "in-kernel" \
	"$ka" %
eval_headline "interruption at the switch (rate below half, 100 ms samples)" "mpsteer" \
	"$md" "in-kernel" "$kd" ms
eval_headline "another connection of the client moved along (its traffic on the new path)" \
	"mpsteer" "$mby" "in-kernel" "$kby" %
eval_done
