#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tap_handoff.sh - the .tap endpoint: usernet-plug hands a namespace's tap
# to usernetd, which then reads and writes it itself.
# Owns: the hand-off end to end (traffic, show and stats, bad clients, how
#   the NIC and usernet-plug end, an unprivileged daemon). Not here: the
#   other endpoints (internal.sh, natnet.sh), the natnet kind (natnet.sh).
#
# How it works
# usernetd runs in namespace H (its loopback is "the host") with
# natnet:lab. Guest a hands its tap over (usernet-plug --netns, outside a),
# guest b joins over the stream endpoint; a gets a lease by DHCP, pings the
# gateway and b, and sends 8 MiB to a server on H's loopback through
# 10.0.2.2 (sha256 compared), then 8 MiB back to H through a forward
# added at run time (sends to a, and to the host, in bursts: ACKs merged,
# host writes corked). a's tap has usernet-plug's raised transmit queue,
# b's (--txqueuelen 0) the kernel's. tap_handoff.py then sends every kind
# of bad hello: each gets "error ..." and is counted in stats, and a's traffic
# still flows. Ends: stopping the plug detaches the NIC and removes the tap;
# deleting the tap detaches the NIC and ends the plug (1); usernetd
# stopping ends the plug (1). Last, usernetd as nobody takes a tap from a
# root usernet-plug, and from a usernet-plug run as nobody in unshare -rn.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_init tap_handoff
e2e_need ip socat busybox sha256sum python3 jq

e2e_need_usernet natnet

H=un-th-$$-h
A=un-th-$$-a
B=un-th-$$-b
HOST_PORT=$((21000 + ($$ % 1000)))
GUEST_PORT=5001
BULK=8M
run=$(e2e_user_dir)
DIR=$run/usernet

## Helpers

# ctl ARGS...: usernetctl against DIR, JSON out.
ctl() { "$CTL" -d "$DIR" --json "$@"; }

# plug LOG ARGS...: usernet-plug -v with ARGS in the background; PLUG_PID.
plug() {
	local log=$1
	shift
	e2e_bg "$log" "$PLUG" -v "$@"
	PLUG_PID=$E2E_BG_PID
}

# nic_count NIC: how many NICs of lab are named NIC (0 or 1).
nic_count() { ctl show lab | jq --arg n "$1" '[.nics[] | select(.name == $n)] | length'; }

# tap_gone NS: no tap0 in NS.
tap_gone() { ! ip -n "$1" link show tap0 >/dev/null 2>&1; }

## The daemon, a guest handing its tap over, a guest over stream

for ns in "$H" "$A" "$B"; do e2e_netns_add "$ns"; done
e2e_bg "$run/usernetd.log" ip netns exec "$H" "$USERNETD" -d "$DIR" -n natnet:lab
DAEMON=$E2E_BG_PID
e2e_wait_for 20 grep -qs "usernetd: lab (natnet) ready" "$run/usernetd.log" ||
	e2e_cannot_run "usernetd did not get ready: $(tail -n 5 "$run/usernetd.log")"
grep -qF "  tap     usernet-plug --netns PID|PATH '$DIR/lab.tap'" "$run/usernetd.log" &&
	e2e_ok ready-line || e2e_not_ok ready-line "no tap line: $(grep -A6 ready "$run/usernetd.log")"

plug "$E2E_TMP/plug.a.log" --netns "$A" --tap tap0 --mtu 1500 "$DIR/lab.tap"
PLUG_A=$PLUG_PID
e2e_bg "$E2E_TMP/plug.b.log" ip netns exec "$B" "$PLUG" --tap tap0 --txqueuelen 0 "$DIR/lab.stream"
if ! e2e_wait_for 5 ip -n "$A" link show tap0 >/dev/null 2>&1 ||
	! e2e_wait_for 5 ip -n "$B" link show tap0 >/dev/null 2>&1; then
	e2e_cannot_run "no tap0: $(cat "$E2E_TMP"/plug.*.log)"
fi
e2e_wait_for 5 grep -qs "joined tap endpoint $DIR/lab.tap as lab/tap-[0-9]*$" "$E2E_TMP/plug.a.log" &&
	e2e_ok plug-says-nic || e2e_not_ok plug-says-nic "$(cat "$E2E_TMP/plug.a.log")"
NIC_A=$(sed -n 's/.* as \(lab\/tap-[0-9]*\)$/\1/p' "$E2E_TMP/plug.a.log")

e2e_udhcpc_ip_hook "$E2E_TMP/udhcpc.sh"
for g in "$A" "$B"; do
	LEASE_OUT=$E2E_TMP/lease.$g timeout 20 ip netns exec "$g" busybox udhcpc -q -n -f \
		-t 10 -T 1 -i tap0 -s "$E2E_TMP/udhcpc.sh" >"$E2E_TMP/udhcpc.$g.log" 2>&1
done
IP_A=$(cat "$E2E_TMP/lease.$A" 2>/dev/null)
IP_B=$(cat "$E2E_TMP/lease.$B" 2>/dev/null)
case $IP_A in 10.0.2.*) e2e_ok dhcp-over-handoff ;; *) e2e_not_ok dhcp-over-handoff "no lease: $(tail -n 3 "$E2E_TMP/udhcpc.$A.log")" ;; esac
ip -n "$A" route add default via 10.0.2.2 2>/dev/null

ping_from() { ip netns exec "$1" busybox ping -q -c 3 -w 10 "$2" >"$E2E_TMP/ping.out" 2>&1; }
ping_from "$A" 10.0.2.2 && e2e_ok ping-gateway || e2e_not_ok ping-gateway "$(tail -n 2 "$E2E_TMP/ping.out")"
ping_from "$A" "$IP_B" && e2e_ok ping-stream-guest || e2e_not_ok ping-stream-guest "$(tail -n 2 "$E2E_TMP/ping.out")"

# 8 MiB from a to H's loopback through the gateway.
e2e_random_file "$E2E_TMP/bulk.bin" "$BULK"
e2e_bg "$E2E_TMP/srv.log" ip netns exec "$H" socat -u \
	"TCP-LISTEN:$HOST_PORT,bind=127.0.0.1,reuseaddr" "CREATE:$E2E_TMP/bulk.rx"
SRV=$E2E_BG_PID
e2e_wait_for 5 e2e_listening "$H" tcp 127.0.0.1 "$HOST_PORT"
timeout 60 ip netns exec "$A" socat -u "OPEN:$E2E_TMP/bulk.bin" "TCP:10.0.2.2:$HOST_PORT" 2>"$E2E_TMP/bulk.cli"
e2e_wait_for 10 sh -c "! kill -0 $SRV 2>/dev/null"
e2e_expect_eq bulk-to-host "sha256 of what the host got" \
	"$(e2e_sha256 "$E2E_TMP/bulk.rx")" "$(e2e_sha256 "$E2E_TMP/bulk.bin")"

# The same from b over the stream endpoint: libslirp ACKs every segment,
# and ACKs that queue behind a newer one for b are merged and counted.
e2e_bg "$E2E_TMP/srv2.log" ip netns exec "$H" socat -u \
	"TCP-LISTEN:$HOST_PORT,bind=127.0.0.1,reuseaddr" "CREATE:$E2E_TMP/bulk2.rx"
SRV=$E2E_BG_PID
e2e_wait_for 5 e2e_listening "$H" tcp 127.0.0.1 "$HOST_PORT"
ip -n "$B" route add default via 10.0.2.2 2>/dev/null
timeout 60 ip netns exec "$B" socat -u "OPEN:$E2E_TMP/bulk.bin" "TCP:10.0.2.2:$HOST_PORT" 2>"$E2E_TMP/bulk2.cli"
e2e_wait_for 10 sh -c "! kill -0 $SRV 2>/dev/null"
e2e_expect_eq bulk-stream-to-host "sha256 of what the host got from b" \
	"$(e2e_sha256 "$E2E_TMP/bulk2.rx")" "$(e2e_sha256 "$E2E_TMP/bulk.bin")"
merged=$(ctl stats lab | jq '[.networks[0].nics[] | select(.name | startswith("lab/stream-")) | .tx_acks_merged] | add')
if [ -n "$merged" ] && [ "$merged" -gt 0 ]; then e2e_ok stats-acks-merged; else
	e2e_not_ok stats-acks-merged "b's tx_acks_merged is '$merged' after 8 MiB"; fi
corked=$(ctl stats lab | jq '.networks[0]["host-writes-corked"]')
if [ -n "$corked" ] && [ "$corked" -gt 0 ]; then e2e_ok stats-host-writes-corked; else
	e2e_not_ok stats-host-writes-corked "host-writes-corked is '$corked' after 16 MiB to the host"; fi
# usernetd writes a handed-over tap itself, and merges queued ACKs there too.
merged=$(ctl stats lab | jq --arg n "$NIC_A" '.networks[0].nics[] | select(.name == $n) | .tx_acks_merged')
if [ -n "$merged" ] && [ "$merged" -gt 0 ]; then e2e_ok tap-acks-merged; else
	e2e_not_ok tap-acks-merged "a's tx_acks_merged is '$merged' after 8 MiB"; fi

# A forward into a, with a sending: libslirp accepts the host's
# connection and sends a its SYN; that SYN names the socket, so what a
# sends in bursts is corked on the way to the host as well.
corked0=$(ctl stats lab | jq '.networks[0]["host-writes-corked"]')
"$CTL" -d "$DIR" fwd add lab "up:tcp:[127.0.0.1]:$((HOST_PORT + 1)):[$IP_A]:$GUEST_PORT" >"$E2E_TMP/fwd.out" 2>&1 &&
	e2e_ok fwd-add || e2e_not_ok fwd-add "$(cat "$E2E_TMP/fwd.out")"
e2e_bg "$E2E_TMP/gsrv.log" ip netns exec "$A" socat -u "OPEN:$E2E_TMP/bulk.bin" \
	"TCP-LISTEN:$GUEST_PORT,reuseaddr"
e2e_wait_for 5 e2e_listening "$A" tcp 0.0.0.0 "$GUEST_PORT"
timeout 60 ip netns exec "$H" socat -u "TCP:127.0.0.1:$((HOST_PORT + 1))" \
	"CREATE:$E2E_TMP/bulk3.rx" 2>"$E2E_TMP/bulk3.cli"
e2e_expect_eq bulk-forward-from-guest "sha256 of what the host got through the forward" \
	"$(e2e_sha256 "$E2E_TMP/bulk3.rx")" "$(e2e_sha256 "$E2E_TMP/bulk.bin")"
corked=$(ctl stats lab | jq '.networks[0]["host-writes-corked"]')
if [ -n "$corked" ] && [ -n "$corked0" ] && [ "$corked" -gt "$corked0" ]; then e2e_ok forward-writes-corked; else
	e2e_not_ok forward-writes-corked "host-writes-corked went from '$corked0' to '$corked' over 8 MiB through the forward"; fi

# usernet-plug made a's tap with room for 16 MiB of 1500-byte frames
# (16777216 / 1500), not the kernel's 1000: a full queue drops frames.
qlen() { ip -n "$1" -o link show tap0 | sed -n 's/.* qlen \([0-9]*\).*/\1/p'; }
e2e_expect_eq tap-txqueuelen "a's tap0 qlen" "$(qlen "$A")" 11184
e2e_expect_eq tap-txqueuelen-0 "b's tap0 qlen (--txqueuelen 0: the kernel's)" "$(qlen "$B")" 1000
out=$("$PLUG" --txqueuelen -5 "$DIR/lab.tap" 2>&1)
e2e_expect_eq plug-bad-txqueuelen "exit status and message" "$?: $out" \
	"2: usernet-plug: --txqueuelen -5: give 0 to 1000000 frames (try --help)"

## What control shows

show=$(ctl show lab)
e2e_expect_eq show-endpoint "the tap endpoint" \
	"$(jq -r '.endpoints[] | select(.transport == "tap") | "\(.address) \(.qemu // "no-qemu") \(.plug)"' <<<"$show")" \
	"$DIR/lab.tap no-qemu usernet-plug --netns PID|PATH '$DIR/lab.tap'"
rx=$(ctl stats lab | jq --arg n "$NIC_A" '.networks[0].nics[] | select(.name == $n) | .rx_bytes')
if [ -n "$rx" ] && [ "$rx" -gt 8000000 ]; then e2e_ok stats-counts-tap; else
	e2e_not_ok stats-counts-tap "$NIC_A rx_bytes is '$rx', expected above 8000000"; fi

## Bad clients: an error answer each, counted, and a keeps its traffic

ip netns exec "$H" python3 "$E2E_DIR/tap_handoff.py" "$DIR/lab.tap" >"$E2E_TMP/bad.out" 2>&1
expect_answer() { # CASE TEXT
	local got
	got=$(sed -n "s/^$1: //p" "$E2E_TMP/bad.out")
	case $got in
	"error "*"$2"*) e2e_ok "bad-$1" ;;
	*) e2e_not_ok "bad-$1" "answer '$got', expected error ...$2... ($(tail -n 2 "$E2E_TMP/bad.out"))" ;;
	esac
}
expect_answer wrong-hello 'the hello is not "usernet-tap 1"'
expect_answer no-fd "carries 0 file descriptors; send exactly one"
expect_answer two-fds "carries 2 file descriptors"
expect_answer ten-fds "file descriptors (cut)"
expect_answer not-a-tap "not an attached tun/tap device"
expect_answer tun-unattached "not an attached tun/tap device"
expect_answer tun-not-tap "untun0 is not a plain tap"
expect_answer tap-with-pi "unpi0 is not a plain tap"
expect_answer tap-vnet-hdr "unvnet0 is not a plain tap"
grep -qx "connect-and-leave: done" "$E2E_TMP/bad.out" && e2e_ok bad-connect-and-leave ||
	e2e_not_ok bad-connect-and-leave "$(tail -n 2 "$E2E_TMP/bad.out")"
e2e_expect_eq bad-counted "stats clients-dropped.tap" \
	"$(ctl stats lab | jq '.networks[0]["clients-dropped"].tap')" 9
ping_from "$A" 10.0.2.2 && e2e_ok bad-clients-cost-nothing ||
	e2e_not_ok bad-clients-cost-nothing "a lost its gateway: $(tail -n 2 "$E2E_TMP/ping.out")"
e2e_expect_eq bad-no-nic "NICs of lab, by transport" \
	"$(ctl show lab | jq -r '[.nics[].name | sub("-[0-9]+$"; "")] | sort | join(" ")')" "lab/stream lab/tap"

## How it ends

kill -TERM "$PLUG_A"
e2e_expect_exit plug-sigterm-exits-0 "$PLUG_A" 0 "" "$E2E_TMP/plug.a.log"
nic_gone() { [ "$(nic_count "$1")" = 0 ]; }
e2e_wait_for 5 nic_gone "$NIC_A" && e2e_ok stop-plug-detaches || e2e_not_ok stop-plug-detaches "$NIC_A still listed"
e2e_wait_for 5 tap_gone "$A" && e2e_ok stop-plug-removes-tap || e2e_not_ok stop-plug-removes-tap "tap0 still in $A"

plug "$E2E_TMP/plug.a2.log" --netns "$A" --tap tap0 "$DIR/lab.tap"
e2e_wait_for 5 grep -qs "as lab/tap-" "$E2E_TMP/plug.a2.log"
nic=$(sed -n 's/.* as \(lab\/tap-[0-9]*\)$/\1/p' "$E2E_TMP/plug.a2.log")
ip -n "$A" link del tap0
e2e_expect_exit tap-deleted-ends-plug "$PLUG_PID" 1 "usernetd let go of NIC $nic" "$E2E_TMP/plug.a2.log"
e2e_expect_eq tap-deleted-detaches "NICs named $nic" "$(nic_count "$nic")" 0

plug "$E2E_TMP/plug.a3.log" --netns "$A" --tap tap0 "$DIR/lab.tap"
e2e_wait_for 5 grep -qs "as lab/tap-" "$E2E_TMP/plug.a3.log"
e2e_bg_stop "$DAEMON"
e2e_expect_exit daemon-stop-ends-plug "$PLUG_PID" 1 "usernetd let go of NIC" "$E2E_TMP/plug.a3.log"
[ ! -e "$DIR/lab.tap" ] && e2e_ok endpoint-removed || e2e_not_ok endpoint-removed "$DIR/lab.tap left behind"

## Unprivileged: usernetd as nobody

E2E_USER=nobody
urun=$(e2e_user_dir)
E2E_USER=
e2e_bg "$urun/usernetd.log" ip netns exec "$H" setpriv --reuid=nobody --regid=nogroup \
	--clear-groups -- env USERNET_PLUGIN_PATH="$USERNET_PLUGIN_PATH" \
	"$USERNETD" -d "$urun/usernet" -n natnet:solo
e2e_wait_for 20 grep -qs "usernetd: solo (natnet) ready" "$urun/usernetd.log" ||
	e2e_cannot_run "usernetd as nobody did not get ready: $(tail -n 3 "$urun/usernetd.log")"
e2e_expect_eq unpriv-daemon-user "usernetd's uid" "$(e2e_uid_of "$E2E_BG_PID")" "$(id -u nobody)"
plug "$E2E_TMP/plug.u.log" --netns "$A" --tap tap0 "$urun/usernet/solo.tap"
e2e_wait_for 5 ip -n "$A" link show tap0 >/dev/null 2>&1
ip -n "$A" addr add 10.0.2.100/24 dev tap0 && ip -n "$A" link set tap0 up
ping_from "$A" 10.0.2.2 && e2e_ok unpriv-daemon-root-plug ||
	e2e_not_ok unpriv-daemon-root-plug "$(tail -n 2 "$E2E_TMP/ping.out") $(cat "$E2E_TMP/plug.u.log")"
e2e_bg_stop "$PLUG_PID"

# usernet-plug as nobody too, in its own user and network namespace. A
# private mount namespace gets a /dev/net/tun of mode 0666, as
# distributions ship it; nothing else changes.
cat >"$E2E_TMP/unpriv.sh" <<EOF
"$PLUG" -v --tap tap0 "\$1/solo.tap" 2>"\$1/../unpriv.plug" &
pid=\$!
for i in \$(seq 50); do ip link show tap0 >/dev/null 2>&1 && break; sleep 0.1; done
ip link set tap0 up && ip addr add 10.0.2.101/24 dev tap0 &&
	busybox ping -q -c 3 -w 10 10.0.2.2
rc=\$?
kill \$pid
wait \$pid
exit \$rc
EOF
if setpriv --reuid=nobody --regid=nogroup --clear-groups -- unshare -rn true 2>/dev/null; then
	if unshare -m sh -c 'mount -t tmpfs -o mode=0755 none /dev/net &&
		mknod -m 0666 /dev/net/tun c 10 200 &&
		exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
			unshare -rn sh "$1" "$2"' sh "$E2E_TMP/unpriv.sh" "$urun/usernet" >"$E2E_TMP/unpriv.out" 2>&1; then
		e2e_ok unpriv-both
	else
		e2e_not_ok unpriv-both "$(tail -n 3 "$E2E_TMP/unpriv.out" "$urun/unpriv.plug" | tr '\n' ' ')"
	fi
else
	e2e_skip_check unpriv-both "user namespaces are not allowed here"
fi

for log in "$run/usernetd.log" "$urun/usernetd.log" "$E2E_TMP"/plug.*.log; do
	grep -q "Sanitizer" "$log" && e2e_not_ok sanitizer-clean "$log: $(grep -m1 Sanitizer "$log")"
done
e2e_finish
