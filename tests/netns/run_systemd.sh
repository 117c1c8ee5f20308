#!/usr/bin/env bash
# `mpsteer systemd enable|disable|show UNIT` against units in a temporary root.
#
#   $ROOT/lib/systemd/system/web.service            vendor unit (never modified)
#   $ROOT/etc/systemd/system/web.service.d/10-local.conf   admin drop-in overriding ExecStart
#   $ROOT/etc/systemd/system/web.service.d/mpsteer.conf    ours
#   one network namespace NS, to run the wrapped ExecStart= for real
#
# Checked: the drop-in wraps the ExecStart= systemd would really use (drop-ins merged, resets
# honoured, prefixes kept), Type=forking gets --detach, Type=notify gets NotifyAccess=all,
# preload mode extends the unit's own LD_PRELOAD / GODEBUG, "@" is refused, disable removes
# only ours, the vendor unit is byte for byte unchanged, and the wrapped command line really
# gives the service MPTCP sockets.
set -eu
TEST_NAME=run-systemd
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/run_lib.sh"
run_init
run_progs
run_ns mps-runsd
NS=mps-runsd-$$

ROOT=$TMP/root
VENDOR=$ROOT/lib/systemd/system
ETC=$ROOT/etc/systemd/system
mkdir -p "$VENDOR" "$ETC/web.service.d"
cat >"$VENDOR/web.service" <<EOF
[Unit]
Description=a web server
[Service]
Type=forking
PIDFile=/run/web.pid
Environment="GODEBUG=http2debug=1" LD_PRELOAD=/usr/lib/libfoo.so
ExecStart=/usr/sbin/web --vendor
[Install]
WantedBy=multi-user.target
EOF
cat >"$ETC/web.service.d/10-local.conf" <<EOF
[Service]
ExecStart=
ExecStart=-/usr/sbin/web -g 'daemon on;' \\
	--conf /etc/web/local.conf
EOF
cat >"$VENDOR/notify.service" <<EOF
[Service]
Type=notify
ExecStart=$TP kinds
ExecStart=+/bin/echo second
EOF
cat >"$VENDOR/argv0.service" <<EOF
[Service]
ExecStart=@/usr/bin/real fake-argv0 --x
EOF
vendor_sha=$(cat "$VENDOR"/* | sha256sum)

sd() {
	"$MPSTEER" systemd "$@"
}
dropin() {
	grep -v '^#' "$ETC/$1.d/mpsteer.conf"
}
exists() {
	[ -e "$1" ] && echo yes || echo no
}

sd enable --root "$ROOT" --exec /usr/sbin/mpsteer web >"$TMP/out" || fail "enable failed"
check "enable: says where it wrote" "wrote $ETC/web.service.d/mpsteer.conf" "$(head -1 "$TMP/out")"
check "enable: asks for daemon-reload instead of calling it" 1 \
	"$(grep -c 'systemctl daemon-reload' "$TMP/out")"
check "enable: wraps the effective ExecStart, keeps the - prefix, --detach for forking" \
	"[Service]
ExecStart=
ExecStart=-/usr/sbin/mpsteer run --detach -- /usr/sbin/web -g 'daemon on;'  --conf /etc/web/local.conf" \
	"$(dropin web.service)"
sd enable --root "$ROOT" --exec /usr/sbin/mpsteer web >/dev/null
check "enable twice: same drop-in (never wraps itself)" 3 "$(dropin web.service | wc -l)"
check "show prints it" "# $ETC/web.service.d/mpsteer.conf" "$(sd show --root "$ROOT" web | head -1)"

sd enable --root "$ROOT" --exec /usr/sbin/mpsteer notify.service >/dev/null
check "notify: every ExecStart wrapped, NotifyAccess=all" \
	"[Service]
ExecStart=
ExecStart=/usr/sbin/mpsteer run -- $TP kinds
ExecStart=+/usr/sbin/mpsteer run -- /bin/echo second
NotifyAccess=all" "$(dropin notify.service)"

rc=0
sd enable --root "$ROOT" argv0 2>"$TMP/err" || rc=$?
check "\"@\" prefix refused (EX_DATAERR)" 65 "$rc"
check "\"@\" refused: no drop-in left" no "$(exists "$ETC/argv0.service.d/mpsteer.conf")"
rc=0
sd enable --root "$ROOT" missing 2>/dev/null || rc=$?
check "unknown unit: EX_NOINPUT" 66 "$rc"

MPSTEER_PRELOAD=/opt/lib/libmpsteer-preload.so \
	sd enable --mode preload --root "$ROOT" web >/dev/null
check "preload: extends the unit's LD_PRELOAD and GODEBUG" \
	'[Service]
Environment="LD_PRELOAD=/opt/lib/libmpsteer-preload.so:/usr/lib/libfoo.so"
Environment="GODEBUG=http2debug=1,multipathtcp=1"' "$(dropin web.service)"

sd disable --root "$ROOT" web >/dev/null
check "disable: ours removed" no "$(exists "$ETC/web.service.d/mpsteer.conf")"
check "disable: the admin's drop-in stays" yes "$(exists "$ETC/web.service.d/10-local.conf")"
rc=0
sd show --root "$ROOT" web >/dev/null || rc=$?
check "show after disable: EX_NOINPUT" 66 "$rc"
check "vendor units untouched" "$vendor_sha" "$(cat "$VENDOR"/* | sha256sum)"

if command -v systemd-analyze >/dev/null; then
	sd enable --root "$ROOT" web >/dev/null
	check "systemd's own parser merges our drop-in last" "$ETC/web.service.d/mpsteer.conf" \
		"$(systemd-analyze --root="$ROOT" cat-config systemd/system/web.service 2>/dev/null |
			sed -n 's/^# \(\/.*\)/\1/p' | tail -1)"
fi

# The wrapped command line runs for real (ExecStart= quoting is shell-like for this one).
line=$(sed -n "s|^ExecStart=/usr/sbin/mpsteer|$MPSTEER|p" "$ETC/notify.service.d/mpsteer.conf" |
	head -1)
ip netns exec "$NS" sh -c "$line" >"$TMP/kinds.txt" 2>/dev/null ||
	fail "wrapped ExecStart failed: $line"
check "wrapped ExecStart: the service's TCP socket is MPTCP" 262 \
	"$(proto_of "$TMP/kinds.txt" tcpplain)"

log "PASS ($CHECKS checks)"
