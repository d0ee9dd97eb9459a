#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# deps.sh - install every package usernet needs to build and test (make deps).
# deps.sh bench: the benchmark's peers instead (make bench-deps, bench/run.sh):
# the anchors it compares with and what its guest and tools need.
# deps.sh fuzz: clang and libFuzzer for make fuzz (the replay in make check
# builds with gcc and needs neither).
# Does nothing when all are present; as root it runs apt-get (with
# apt-get update first when the package lists are missing or stale);
# otherwise it prints the command to run and fails.

BUILD_PKGS="gcc make pkg-config libc6-dev libglib2.0-dev libslirp-dev \
libcmocka-dev libvdeplug-dev libjson-glib-dev libsystemd-dev libseccomp-dev"
TEST_PKGS="qemu-system-x86 busybox-static iperf3 socat dnsmasq-base iproute2 \
util-linux procps cpio kmod xz-utils zstd vdeplug vde2 systemd groff-base tshark \
jq python3 strace"

# Never part of make deps: only make bench needs these.
BENCH_PKGS="passt slirp4netns vde2 iperf3 qemu-system-x86 busybox-static socat \
iproute2 cpio libc6-dev gcc"

# Never part of make deps: only make fuzz needs these.
FUZZ_PKGS="clang libclang-rt-14-dev"

pkgs="$BUILD_PKGS $TEST_PKGS"
[ "${1:-}" = bench ] && pkgs=$BENCH_PKGS
[ "${1:-}" = fuzz ] && pkgs=$FUZZ_PKGS

missing=""
for p in $pkgs; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)
	[ "$status" = installed ] || missing="$missing $p"
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run as root: apt-get install$missing" >&2
	exit 1
fi

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
install() {
	apt-get install -y --no-install-recommends $missing
}
if ! install; then
	echo "deps: apt-get install failed; updating package lists and retrying"
	apt-get update && install
fi
