#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# slow_nic.sh - a NIC that stops reading costs only itself, and the send
# queue bound is the network's (send-queue-frames, send-queue-bytes).
# Owns: the per-NIC send queue bound against real stream peers. Not here:
#   the queue itself (tests/unit/test_frame.c), the three NICs
#   (slow_nic.py), reporting (lib.sh).
#
# How it works
# An internal network has three stream NICs: one stalled (4 KiB receive
# buffer, never reads), one reading, one sending 3000 broadcast frames of
# 1 KiB. The reader must get all 3000, the stalled NIC is counted
# queue-full for what did not fit, and the daemon lives. Run three times:
# send-queue-frames=16; send-queue-frames=2048; and 2048 frames but
# send-queue-bytes=131072 (about 128 such frames). Whatever the socket
# buffers take, the stalled NIC must lose about 2000 frames more with 16
# frames or 128 KiB than with 2048 frames.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

e2e_init slow_nic
e2e_need python3 jq
e2e_need_usernet internal

N=3000
HERE=$(dirname "$0")
run=$(e2e_user_dir)
declare -A DROPS

# try NAME KEYS: a daemon with internal:lan,KEYS and the three NICs.
try() {
	local dir=$run/$1 log=$run/$1.log out
	e2e_bg "$log" "$USERNETD" -d "$dir" -n "internal:lan,$2"
	e2e_wait_for 20 grep -q "lan (internal) ready" "$log" ||
		e2e_cannot_run "usernetd did not get ready: $(tail -n 5 "$log")"
	timeout 60 python3 "$HERE/slow_nic.py" "$dir/lan.stream" "$N" 5 >"$E2E_TMP/$1.out" 2>&1 &
	local nics=$!
	e2e_wait_for 40 grep -q '^got ' "$E2E_TMP/$1.out"
	DROPS[$1]=$("$CTL" -d "$dir" --json stats lan |
		jq '[.networks[0].nics[].drops."queue-full"] | max')
	wait "$nics"
	out=$(cat "$E2E_TMP/$1.out")
	e2e_log "$2: $out; queue-full on the stalled NIC: ${DROPS[$1]}"
	e2e_expect_eq "$1-reader" "the reading NIC, $2" "$out" "got $N of $N"
	if kill -0 "$E2E_BG_PID" 2>/dev/null; then e2e_ok "$1-alive"; else e2e_not_ok "$1-alive" "usernetd died"; fi
	e2e_bg_stop "$E2E_BG_PID"
}

try small send-queue-frames=16
try large send-queue-frames=2048
try bytes "send-queue-frames=2048,send-queue-bytes=131072"
for t in small bytes; do
	if [ "${DROPS[large]}" -ge 0 ] && [ "${DROPS[$t]}" -gt $((DROPS[large] + 1500)) ]; then
		e2e_ok "$t-bound"
	else
		e2e_not_ok "$t-bound" "queue-full: $t ${DROPS[$t]}, large ${DROPS[large]}"
	fi
done
e2e_finish
