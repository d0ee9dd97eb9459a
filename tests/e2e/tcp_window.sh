#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tcp_window.sh - guest TCP connections through libslirp get a window
# larger than 64 KiB, and lose no byte to it.
# Owns: the end-to-end check of backend/tcp_window.c with a real kernel as
#   the guest. Not here: the rewriting rules (tests/unit/test_tcp_window.c),
#   the two ends (tcp_window.py), namespaces and reporting (lib.sh).
#
# How it works
# In namespace H usernetd serves natnet:lab (the default tcp-window, 256
# KiB) and natnet:plain (tcp-window=64: libslirp's own window). Namespace
# G1 joins lab and G2 joins plain with usernet-plug, each as 10.0.2.100.
# On each, the guest uploads 4 MB to a host that reads nothing for 3 s
# (slow): libslirp's buffer fills, its window closes, and on lab the
# segments past it wait in usernetd. The guest's kernel must report the
# window scale usernetd offered (ss: wscale:2,N) on lab and none on plain.
# Then both ends send 4 MB at once while the host reads nothing until it
# has written all (both): the guest's ACKs of the host's bytes must not
# wait behind its held data, or neither side ever finishes. Every byte
# is checked at both ends.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

e2e_init tcp_window
e2e_need ip ss python3
e2e_need_usernet natnet

H=un-tw-$$-h
PORT=$((32000 + $$ % 1000)) GIP=10.0.2.100 BYTES=4000000
HERE=$(dirname "$0")
run=$(e2e_user_dir)
DIR=$run/usernet

e2e_netns_add "$H"
e2e_bg "$run/usernetd.log" ip netns exec "$H" "$USERNETD" -d "$DIR" \
	-n natnet:lab -n "natnet:plain,tcp-window=64"
e2e_wait_for 20 grep -q "plain (natnet) ready" "$run/usernetd.log" ||
	e2e_cannot_run "usernetd did not get ready: $(tail -n 5 "$run/usernetd.log")"

# join_guest NS NET: NS on NET's stream endpoint as $GIP.
join_guest() {
	e2e_netns_add "$1"
	e2e_bg "$E2E_TMP/plug-$1.log" "$PLUG" --tap tap0 --netns "$1" "$DIR/$2.stream"
	e2e_wait_for 5 ip -n "$1" link show tap0 >/dev/null 2>&1 ||
		e2e_cannot_run "usernet-plug made no tap0 in $1: $(cat "$E2E_TMP/plug-$1.log")"
	ip -n "$1" addr add "$GIP/24" dev tap0
	ip -n "$1" link set tap0 up
	ip -n "$1" route add default via 10.0.2.2
}

# transfer NS MODE PORT: one run of tcp_window.py; sets $host_said,
# $guest_said and $wscale (ss's wscale field while it ran, or "none").
transfer() {
	local ns=$1 mode=$2 port=$3 hostlog=$E2E_TMP/host-$1-$2.log gpid
	e2e_bg "$hostlog" ip netns exec "$H" python3 -u "$HERE/tcp_window.py" host "$port" "$BYTES" "$mode"
	e2e_wait_for 10 grep -q READY "$hostlog" || e2e_cannot_run "host side did not start"
	timeout 90 ip netns exec "$ns" python3 -u "$HERE/tcp_window.py" guest 10.0.2.2 "$port" \
		"$BYTES" "$mode" >"$E2E_TMP/guest-$1-$2.log" 2>&1 &
	gpid=$!
	sleep 1.5
	wscale=$(ip netns exec "$ns" ss -tin dst 10.0.2.2 | grep -o 'wscale:[0-9,]*' | head -n1)
	wait "$gpid"
	e2e_wait_for 10 grep -q "host got" "$hostlog"
	host_said=$(sed -n 's/^host got //p' "$hostlog")
	guest_said=$(grep -v READY "$E2E_TMP/guest-$1-$2.log" | tr '\n' ' ')
	wscale=${wscale:-none}
	e2e_log "$ns $mode: host got $host_said; guest: $guest_said; $wscale"
}

# window_stat NET KEY: the router counter KEY of network NET.
window_stat() {
	"$CTL" -d "$DIR" --json stats "$1" | python3 -c \
		'import json, sys; print(json.load(sys.stdin)["networks"][0][sys.argv[1]])' "$2"
}

G1=un-tw-$$-g1 G2=un-tw-$$-g2
join_guest "$G1" lab
join_guest "$G2" plain

transfer "$G1" slow "$PORT"
e2e_expect_eq lab-slow-bytes "what the host read (lab)" "$host_said" "$BYTES intact"
e2e_expect_eq lab-wscale "the guest kernel's window scales (peer, own)" "${wscale%,*}" "wscale:2"
e2e_expect_eq lab-held "segments held past libslirp's window" \
	"$([ "$(window_stat lab tcp-window-segments-held)" -gt 0 ] && echo some)" some
transfer "$G1" both $((PORT + 1))
e2e_expect_eq lab-both-host "what the host read, both sending (lab)" "$host_said" "$BYTES intact"
e2e_expect_eq lab-both-guest "what the guest read, both sending (lab)" "$guest_said" "guest got $BYTES intact "
e2e_expect_eq lab-scaled "connections scaled" "$(window_stat lab tcp-window-scaled)" 2
e2e_expect_eq lab-held-now "bytes still held" "$(window_stat lab tcp-window-held-bytes)" 0

transfer "$G2" slow $((PORT + 2))
e2e_expect_eq plain-slow-bytes "what the host read (plain)" "$host_said" "$BYTES intact"
e2e_expect_eq plain-wscale "the guest kernel's window scales (tcp-window=64)" "$wscale" none
transfer "$G2" both $((PORT + 3))
e2e_expect_eq plain-both "both ends' bytes (plain)" "$host_said / $guest_said" \
	"$BYTES intact / guest got $BYTES intact "
e2e_expect_eq plain-untouched "segments held, connections scaled (plain)" \
	"$(window_stat plain tcp-window-segments-held) $(window_stat plain tcp-window-scaled)" "0 0"
e2e_finish
