#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# dup_syn.sh - a guest's late duplicate SYN-ACK must not cut a stream.
# Owns: the end-to-end check of backend/syn_guard.c. Not here: the
#   rewriting rules (tests/unit/test_syn_guard.c), the two ends
#   (dup_syn.py), namespaces and reporting (lib.sh).
#
# How it works
# libslirp 4.7 handles the MSS option of any SYN, even on an established
# connection, by re-reserving both socket buffers, which empties them. In
# namespace H (the host) usernetd serves natnet:lab with a forward to
# guest G (usernet-plug on lab.stream, 10.0.2.100). The host connects
# through the forward and does not read for 5 s, so the guest's 2.3 MB
# back up inside the router; meanwhile G sends its own SYN-ACK of that
# connection again, then FIN. The host must read every byte. Without the
# guard it got 2,176,872 of 2,300,000 bytes and a clean EOF (as through
# slirp4netns, whose libslirp is the same).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

e2e_init dup_syn
e2e_need ip python3
e2e_need_usernet natnet

H=un-ds-$$-h G=un-ds-$$-g
PORT=$((31000 + $$ % 1000)) GIP=10.0.2.100 BYTES=2300000
HERE=$(dirname "$0")
run=$(e2e_user_dir)
DIR=$run/usernet

e2e_netns_add "$H"
e2e_netns_add "$G"
e2e_bg "$run/usernetd.log" ip netns exec "$H" "$USERNETD" -d "$DIR" \
	-n "natnet:lab,portfwd=f:tcp:[]:$PORT:[$GIP]:$PORT"
e2e_wait_for 20 grep -q "lab (natnet) ready" "$run/usernetd.log" ||
	e2e_cannot_run "usernetd did not get ready: $(tail -n 5 "$run/usernetd.log")"
e2e_bg "$E2E_TMP/plug.log" "$PLUG" --tap tap0 --netns "$G" "$DIR/lab.stream"
e2e_wait_for 5 ip -n "$G" link show tap0 >/dev/null 2>&1 ||
	e2e_cannot_run "usernet-plug made no tap0: $(cat "$E2E_TMP/plug.log")"
ip -n "$G" addr add "$GIP/24" dev tap0
ip -n "$G" link set tap0 up
ip -n "$G" route add default via 10.0.2.2

e2e_bg "$E2E_TMP/guest.log" ip netns exec "$G" python3 -u "$HERE/dup_syn.py" guest "$PORT" "$BYTES"
e2e_wait_for 10 grep -q READY "$E2E_TMP/guest.log" || e2e_cannot_run "guest side did not start"
got=$(timeout 60 ip netns exec "$H" python3 "$HERE/dup_syn.py" host "$PORT" "$BYTES" 5 2>&1)
e2e_wait_for 10 grep -q '^sent ' "$E2E_TMP/guest.log"
e2e_log "host: $got; guest: $(grep -v READY "$E2E_TMP/guest.log" | tr '\n' ' ')"

e2e_expect_eq dup-sent "the guest's duplicate SYN-ACK" "$(sed -n 's/^resent //p' "$E2E_TMP/guest.log")" 1
e2e_expect_eq all-bytes "what the host read" "$got" "got $BYTES intact"
removed=$("$CTL" -d "$DIR" --json stats lab | python3 -c \
	'import json, sys; print(json.load(sys.stdin)["networks"][0]["syn-mss-removed"])')
e2e_expect_eq mss-removed "repeated SYNs rewritten" "$removed" 1
e2e_finish
