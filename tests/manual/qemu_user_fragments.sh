#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qemu_user_fragments.sh - shows, once, that QEMU's own -netdev user dies on
# DESIGN.md's crashing IPv4 fragments while usernetd keeps serving. Not run
# by make check (it proves the hostile suite can fail; see issue 10).
# Owns: nothing but the comparison. Frames: tests/e2e/hostile_frames.py --killers.
#
# How it works: in a fresh namespace (so nothing leaves the machine), QEMU
# runs with no guest: -netdev user joined by a hub to a -netdev stream
# server, so the frame sender is a NIC on libslirp. Then usernetd's nat
# network gets the same frames on its stream endpoint. Prints each one's
# fate. Usage: qemu_user_fragments.sh [BUILD_DIR]   (default build)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
ns=un-qf-$$
tmp=$(mktemp -d)
trap 'ip netns del $ns 2>/dev/null; rm -rf "$tmp"' EXIT
ip netns add "$ns" && ip -n "$ns" link set lo up

echo "== QEMU $(qemu-system-x86_64 --version | head -n1), libslirp $(dpkg-query -W -f '${Version}' libslirp0 2>/dev/null)"
ip netns exec "$ns" qemu-system-x86_64 -M none -nodefaults -display none -monitor none \
	-netdev user,id=u0 \
	-netdev stream,id=s0,server=on,addr.type=unix,addr.path="$tmp/q.sock" \
	-netdev hubport,id=h0,hubid=0,netdev=u0 -netdev hubport,id=h1,hubid=0,netdev=s0 \
	>"$tmp/qemu.log" 2>&1 &
qpid=$!
for _ in $(seq 50); do [ -S "$tmp/q.sock" ] && break; sleep 0.1; done
python3 "$top/tests/e2e/hostile_frames.py" --killers --hold 2 "$tmp/q.sock"
wait "$qpid"
rc=$?
if [ "$rc" -gt 128 ]; then
	echo "QEMU -netdev user: died on signal $((rc - 128)) ($(kill -l $((rc - 128))))"
else
	echo "QEMU -netdev user: exit status $rc"
fi
tail -n 3 "$tmp/qemu.log" | sed 's/^/  qemu: /'

echo "== usernetd ($build)"
ip netns exec "$ns" env USERNET_PLUGIN_PATH="$build/plugins" "$build/usernetd" -d "$tmp/u" -n nat:t \
	>"$tmp/usernetd.log" 2>&1 &
upid=$!
for _ in $(seq 50); do [ -S "$tmp/u/t.stream" ] && break; sleep 0.1; done
python3 "$top/tests/e2e/hostile_frames.py" --killers --hold 3 "$tmp/u/t.stream" &
sleep 2
if kill -0 "$upid" 2>/dev/null; then
	echo "usernetd: alive (pid $upid); stats while the sender is attached:"
	"$build/usernetctl" -d "$tmp/u" stats t | sed 's/^/  /'
	wait
	kill "$upid"
	wait "$upid"
else
	wait "$upid"
	echo "usernetd: DIED (status $?)"
fi
