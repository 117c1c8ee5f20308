#!/usr/bin/env bash
# One entry point for a fresh machine: install what is needed, build, then
#   scripts/bootstrap.sh demo   run the two-path steering demo
#   scripts/bootstrap.sh test   run every test (unit, netns integration)
#   scripts/bootstrap.sh build  only install and build
# Needs root (apt-get, network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-build}
build=${BUILDDIR:-build}

pkgs=(
	# build
	build-essential meson ninja-build pkg-config clang
	libmnl-dev libjansson-dev libinih-dev libseccomp-dev libsystemd-dev libcmocka-dev
	# tests and demo: real peers and tools
	iproute2 nftables iperf3 ncat curl nginx-light python3 jq tmux man-db
	golang-go gcc-multilib
	# benchmarks: the tools users have today
	mptcpd mptcpd-plugins microsocks
	# evaluation (eval/run.sh): plots, the VPN of scenario a
	gnuplot-nox openvpn openssl
)

install_deps() {
	local missing=()
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "bootstrap: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# Services from packages (nginx, mptcpd) must not start on install.
	local made_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		made_policy=1
	fi
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	[ $made_policy = 0 ] || rm -f /usr/sbin/policy-rc.d
}

do_build() {
	if [ ! -f "$build/build.ninja" ]; then
		meson setup "$build" >/dev/null
	fi
	ninja -C "$build"
}

install_deps
do_build
case "$what" in
build) ;;
demo) exec ./demo/two-path.sh "$build" ;;
test) exec ./scripts/test.sh "$build" ;;
*) echo "usage: $0 [build|demo|test]" >&2; exit 64 ;;
esac
