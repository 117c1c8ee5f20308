# shellcheck shell=bash
# An OpenVPN tunnel (unmodified OpenVPN from Debian, TCP mode, point-to-point with TLS; each
# side checks the other's self-signed certificate by its fingerprint), both ends on MPTCP
# through `mpsteer run`. Source after eval/lib.sh.
#
#   ovpn_server NS ADDR        server on ADDR:1194 in NS, tunnel 10.8.0.1; $OVPN_SRV_PID
#   ovpn_client NS ADDR NET    client of the server at ADDR, tunnel 10.8.0.2, NET (a /24)
#                              routed through the tunnel; waits until the tunnel is up;
#                              $OVPN_CLI_PID
#   ovpn_down                  stops both ends

OVPN_PORT=1194

_ovpn_keys() {
	local n
	[ -f "$TMP/ovpn/cli.crt" ] && return 0
	eval_need openvpn "the VPN of the scenario"
	eval_need openssl "the VPN's certificates"
	mkdir -p "$TMP/ovpn"
	for n in srv cli; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-subj "/CN=$n" -days 2 -keyout "$TMP/ovpn/$n.key" -out "$TMP/ovpn/$n.crt" \
			2>/dev/null || fail "openssl cannot make the VPN's certificates"
	done
}

_ovpn_fp() {
	openssl x509 -in "$TMP/ovpn/$1.crt" -noout -fingerprint -sha256 | cut -d= -f2
}

# _ovpn_conf SIDE(srv|cli) PEER_SIDE: the common part of both ends' configuration.
_ovpn_conf() {
	cat <<-CONF
	dev tun0
	cert $TMP/ovpn/$1.crt
	key $TMP/ovpn/$1.key
	peer-fingerprint $(_ovpn_fp "$2")
	verb 3
	CONF
}

ovpn_server() {
	_ovpn_keys
	ip netns exec "$1" sysctl -qw net.ipv4.ip_forward=1
	{
		_ovpn_conf srv cli
		printf 'proto tcp-server\nlocal %s\nport %s\nifconfig 10.8.0.1 10.8.0.2\n' \
			"$2" $OVPN_PORT
		printf 'tls-server\ndh none\n'
	} >"$TMP/ovpn/srv.conf"
	mptcp_bg "$1" openvpn --config "$TMP/ovpn/srv.conf" >>"$TMP/ovpn/srv.log" 2>&1
	OVPN_SRV_PID=$BG_PID
	wait_for 10 "the OpenVPN server listening" listening "$1" $OVPN_PORT
}

_ovpn_up() {
	[ "$(grep -c 'Initialization Sequence Completed' "$TMP/ovpn/cli.log")" -gt "$1" ]
}

ovpn_client() {
	local before
	{
		_ovpn_conf cli srv
		printf 'proto tcp-client\nremote %s %s\n' "$2" $OVPN_PORT
		printf 'ifconfig 10.8.0.2 10.8.0.1\n'
		printf 'route %s 255.255.255.0\ntls-client\n' "${3%/*}"
	} >"$TMP/ovpn/cli.conf"
	touch "$TMP/ovpn/cli.log"
	before=$(grep -c 'Initialization Sequence Completed' "$TMP/ovpn/cli.log" || true)
	mptcp_bg "$1" openvpn --config "$TMP/ovpn/cli.conf" >>"$TMP/ovpn/cli.log" 2>&1
	OVPN_CLI_PID=$BG_PID
	wait_for 20 "the OpenVPN tunnel up" _ovpn_up "$before"
}

ovpn_down() {
	local p
	for p in "$OVPN_CLI_PID" "$OVPN_SRV_PID"; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}
