# shellcheck shell=bash disable=SC2034
# (SC2034: the variables set here are read by the tests that source this file)
# Helpers of the converter tests (proxy_*.sh), on top of daemon_lib.sh.
#
# Topology of proxy_topo (daemon_topo 2 plus a web server behind the SOCKS server and,
# with "lan", a LAN host behind the client):
#
#   lan ns (no MPTCP)     client ns (mpsteerd)      router ns        server ns (mpsteerd)   web ns
#   +--------------+     +-------------------+     +-----------+     +------------------+  +------------+
#   | e0 192.168.1.2|----| l0 192.168.1.1    |     |           |     |                  |  |            |
#   +--------------+     | c1 10.1.1.2       |-----| r1 r0     |-----| s0 10.9.0.2      |  |            |
#                        | c2 10.1.2.2       |-----| r2        |     | w0 10.8.0.1      |--| w1 10.8.0.2|
#                        +-------------------+     +-----------+     +------------------+  +------------+
#                                                                                   nginx :80 (plain TCP)
#
# web.test resolves to 10.8.0.2 in the server namespace (/etc/netns/SRV/hosts).
#
#   proxy_topo [lan]       builds it; sets CLI RTR SRV WEB [LAN]
#   web_up FILE...         nginx in WEB on 80 (v4, v6) and 8080 serving $TMP/www
#                          (FILEs: NAME:BYTES of random data)
#   proxy_bg NS ROLE ARGS  mpsteer proxy ROLE in NS (log in $TMP/proxy-NS-ROLE.log), $PROXY_PID
#   pstat NS KEY [PID]     one counter of the proxy PID (default $PROXY_PID) in NS
#                          (`mpsteer -j proxy status`)

. "$(dirname "${BASH_SOURCE[0]}")/daemon_lib.sh"

WEB4=10.8.0.2

proxy_topo() {
	daemon_topo 2
	WEB=$(ns_new pxweb)
	link_pair "$SRV" w0 10.8.0.1/24 "$WEB" w1 $WEB4/24 fd08::1/64 fd08::2/64
	ip -n "$WEB" route add default via 10.8.0.1
	ip -n "$WEB" -6 route add default via fd08::1
	mkdir -p "/etc/netns/$SRV"
	_ETC_NETNS=/etc/netns/$SRV
	printf '%s web.test\nfd08::2 web6.test\n' $WEB4 >"/etc/netns/$SRV/hosts"
	trap '_proxy_cleanup' EXIT
	if [ "${1:-}" = lan ]; then
		LAN=$(ns_new pxlan)
		link_pair "$LAN" e0 192.168.1.2/24 "$CLI" l0 192.168.1.1/24
		ip -n "$LAN" route add default via 192.168.1.1
		# The LAN host has no MPTCP at all.
		ip netns exec "$LAN" sysctl -qw net.mptcp.enabled=0
	fi
}

# Removes the hosts file, then lib.sh's cleanup with the script's status. set +e first:
# under set -e, "(exit 1)" would end the trap before _cleanup kills the test's processes.
_proxy_cleanup() {
	local rc=$?
	set +e
	[ -n "${_ETC_NETNS:-}" ] && rm -rf "$_ETC_NETNS"
	(exit $rc)
	_cleanup
}

web_up() {
	local f d=$TMP/www
	mkdir -p "$d"
	for f in "$@"; do
		head -c "${f#*:}" /dev/urandom >"$d/${f%%:*}"
	done
	cat >"$TMP/nginx.conf" <<-CONF
	daemon off;
	user root;
	worker_processes 1;
	pid $TMP/nginx.pid;
	error_log $TMP/nginx-error.log;
	events { worker_connections 256; }
	http {
		access_log $TMP/nginx-access.log;
		client_body_temp_path $TMP/body;
		proxy_temp_path $TMP/proxy;
		fastcgi_temp_path $TMP/fastcgi;
		uwsgi_temp_path $TMP/uwsgi;
		scgi_temp_path $TMP/scgi;
		server { listen 80; listen [::]:80; listen 8080; root $d; }
	}
	CONF
	bg "$WEB" nginx -c "$TMP/nginx.conf" -e "$TMP/nginx-error.log"
	wait_for 10 "nginx listening on 80 in $WEB" listening "$WEB" 80
}

proxy_bg() {
	local ns=$1 role=$2
	shift 2
	bg "$ns" "$MPSTEER" proxy "$role" "$@" 2>"$TMP/proxy-$ns-$role.log"
	PROXY_PID=$BG_PID
	wait_for 10 "mpsteer proxy $role in $ns publishes its state" pstat "$ns" accepted
}

pstat() {
	local v
	v=$(mps "$1" -j proxy status |
		jq -er ".[] | select(.pid == ${3:-$PROXY_PID}) | .counters.$2") && echo "$v"
}

# sha_of FILE: the sha256 of a file served by the web server
sha_of() {
	sha256sum "$TMP/www/$1" | cut -d' ' -f1
}
