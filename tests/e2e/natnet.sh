#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# natnet.sh - the "natnet" kind (VirtualBox NAT Network) with real peers:
# two QEMU guests, and twenty namespace guests joined with usernet-plug.
# Owns: what natnet guests see: distinct leases, guest-to-guest traffic,
#   the host's loopback through the gateway, a portfwd rule to one guest,
#   20 leases on one switch, the same address after a re-attach.
#   Not here: DHCP options (dhcp.sh), the nat kind (nat.sh).
#
# How it works
# usernetd runs in namespace NS (its loopback is "the host") serving
# natnet:lab (guest B has a reservation, so a portfwd rule can name it)
# and natnet:big. Guest A (TCG, vde endpoint) and guest B (stream
# endpoint) boot together, post their addresses to a mailbox on the host
# and read the other's, ping each other, fetch a file from a host server
# on 127.0.0.1 through 10.0.2.2, and A sends 10 MiB to B; B asks the host
# (control server) to fetch a token through the portfwd rule. Meanwhile 20
# namespaces plug into big.stream, run udhcpc and ping the gateway; one
# plug is replaced (new tap, same MAC) and the address must not change.
# shellcheck disable=SC2317 # action_* run in the control server
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_init natnet
e2e_need qemu-system-x86_64 socat ip ss busybox cpio

e2e_need_usernet

NS=un-nn-$$
BASE=$((20000 + ($$ % 1000) * 10))
export CTRL_PORT=$BASE HOST_PORT=$((BASE + 1)) MBOX_PORT=$((BASE + 2)) FWD_PORT=$((BASE + 3))
BULK_PORT=7000
FWD_GUEST_PORT=7100
TOKEN=usernet-portfwd-$$
MAC_A=52:54:00:4e:00:0a
MAC_B=52:54:00:4e:00:0b
IP_B=10.0.2.50
SCALE=${NATNET_SCALE:-20}

guest=$(e2e_guest_dir) || e2e_cannot_run "cannot build the test guest (tests/e2e/guest/build.sh)"
export E2E_GUEST=$guest
e2e_netns_add "$NS"
E2E_NS=$NS
run=$(e2e_user_dir)
DIR=$run/usernet

e2e_bg "$run/usernetd.log" ip netns exec "$NS" "$USERNETD" -v -d "$DIR" \
	-n "natnet:lab,dhcp-host=$MAC_B,,$IP_B,portfwd=web:tcp:[]:$FWD_PORT:[$IP_B]:$FWD_GUEST_PORT" \
	-n "natnet:big"
DAEMON=$E2E_BG_PID
e2e_wait_for 20 sh -c "grep -q 'usernetd: lab (natnet) ready' $run/usernetd.log && grep -q 'usernetd: big (natnet) ready' $run/usernetd.log" ||
	e2e_cannot_run "usernetd did not get ready: $(tail -n 5 "$run/usernetd.log")"

## Host side for the QEMU guests: a file server, a mailbox, the control server

e2e_random_file "$E2E_TMP/host.bin" 1M
e2e_bg "$E2E_TMP/host.out" ip netns exec "$NS" socat -U \
	"TCP-LISTEN:$HOST_PORT,bind=127.0.0.1,reuseaddr,fork" "OPEN:$E2E_TMP/host.bin"
: >"$E2E_TMP/mbox"
cat >"$E2E_TMP/mbox.sh" <<EOF
read -r l
[ -n "\$l" ] && echo "\$l" >>"$E2E_TMP/mbox"
cat "$E2E_TMP/mbox"
EOF
e2e_bg "$E2E_TMP/mbox.out" ip netns exec "$NS" socat -t 5 \
	"TCP-LISTEN:$MBOX_PORT,bind=127.0.0.1,reuseaddr,fork" "EXEC:bash $E2E_TMP/mbox.sh"
action_portfwd() { socat -u "TCP:127.0.0.1:$FWD_PORT" "CREATE:$E2E_TMP/fwd.rx"; }
e2e_control_start "$CTRL_PORT" action_portfwd || e2e_cannot_run "no control server"
e2e_wait_for 5 e2e_listening "$NS" tcp 127.0.0.1 "$HOST_PORT" &&
	e2e_wait_for 5 e2e_listening "$NS" tcp 127.0.0.1 "$MBOX_PORT" ||
	e2e_cannot_run "host servers did not start"

GUEST_COMMON=$(cat <<'EOF'
# post LINE: add LINE to the host's mailbox; prints the mailbox.
post() { echo "$1" | timeout 10 socat -t 5 - "TCP:$GW:$MBOX_PORT"; }
# peer KEY: wait up to 90 s for KEY=ADDR in the mailbox; prints ADDR.
peer() {
	i=0
	while [ $i -lt 180 ]; do
		a=$(post "" | sed -n "s/^$1=//p" | tail -n1)
		[ -n "$a" ] && echo "$a" && return 0
		sleep 0.5
		i=$((i + 1))
	done
	return 1
}
dhcp eth0 lease
me=$(ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
lap dhcp
EOF
)

e2e_guest_script "$E2E_TMP/a.sh" GW=10.0.2.2 MBOX_PORT="$MBOX_PORT" HOST_PORT="$HOST_PORT" \
	BULK_PORT="$BULK_PORT" <<EOF
lap boot
$GUEST_COMMON
post "a=\$me" >/dev/null
p=\$(peer b)
obs peer "\$p"
obs ping_peer "\$(ping_count "\$p")"
timeout 30 socat -u "TCP:\$GW:\$HOST_PORT" CREATE:/tmp/host
obs host_sha "\$(sha /tmp/host)"
dd if=/dev/urandom of=/tmp/bulk bs=1M count=10 2>/dev/null
obs bulk_sha "\$(sha /tmp/bulk)"
timeout 90 socat -u OPEN:/tmp/bulk "TCP:\$p:\$BULK_PORT"
obs send_rc \$?
lap bulk
EOF

e2e_guest_script "$E2E_TMP/b.sh" GW=10.0.2.2 MBOX_PORT="$MBOX_PORT" HOST_PORT="$HOST_PORT" \
	BULK_PORT="$BULK_PORT" CTRL_PORT="$CTRL_PORT" FWD_GUEST_PORT="$FWD_GUEST_PORT" TOKEN="$TOKEN" <<EOF
lap boot
$GUEST_COMMON
timeout 150 socat -u "TCP-LISTEN:\$BULK_PORT,reuseaddr" CREATE:/tmp/rx &
rx=\$!
echo "\$TOKEN" >/tmp/token
timeout 150 socat -u OPEN:/tmp/token "TCP-LISTEN:\$FWD_GUEST_PORT,reuseaddr" &
wait_listen tcp "\$BULK_PORT"
wait_listen tcp "\$FWD_GUEST_PORT"
post "b=\$me" >/dev/null
p=\$(peer a)
obs peer "\$p"
obs ping_peer "\$(ping_count "\$p")"
timeout 30 socat -u "TCP:\$GW:\$HOST_PORT" CREATE:/tmp/host
obs host_sha "\$(sha /tmp/host)"
host_do portfwd
wait \$rx
obs rx_sha "\$(sha /tmp/rx)"
lap bulk
EOF

t0=$(date +%s)
e2e_guest_run a "vde,id=n0,sock=$DIR/lab.vde" "mac=$MAC_A" "$E2E_TMP/a.sh" >"$E2E_TMP/a.out" 2>&1 &
GA=$!
e2e_guest_run b "stream,id=n0,server=off,addr.type=unix,addr.path=$DIR/lab.stream" \
	"mac=$MAC_B" "$E2E_TMP/b.sh" >"$E2E_TMP/b.out" 2>&1 &
GB=$!

## natnet at scale: namespace guests on big.stream (while the QEMU guests run)

e2e_udhcpc_ip_hook "$E2E_TMP/hook.sh"
declare -A PLUG_PID
mac_of() { printf '52:54:00:5c:00:%02x' "$1"; }

# attach I: a plug with a fresh tap0 carrying guest I's MAC.
attach() {
	e2e_bg "$E2E_TMP/plug.$1.log" "$PLUG" --tap tap0 --netns "$NS-$1" "$DIR/big.stream"
	PLUG_PID[$1]=$E2E_BG_PID
	e2e_wait_for 5 ip -n "$NS-$1" link show tap0 >/dev/null 2>&1 || return 1
	ip -n "$NS-$1" link set tap0 address "$(mac_of "$1")" && ip -n "$NS-$1" link set tap0 up
}
# lease I: udhcpc once; the address in $E2E_TMP/lease.I.
lease() {
	rm -f "$E2E_TMP/lease.$1"
	LEASE_OUT=$E2E_TMP/lease.$1 timeout 40 ip netns exec "$NS-$1" busybox udhcpc -i tap0 \
		-f -q -n -t 5 -T 3 -s "$E2E_TMP/hook.sh" >"$E2E_TMP/udhcpc.$1.log" 2>&1
}

attached=0
for i in $(seq 1 "$SCALE"); do
	e2e_netns_add "$NS-$i"
	attach "$i" && attached=$((attached + 1))
done
e2e_expect_eq scale-attached "plugged namespaces" "$attached" "$SCALE"
pids=()
for i in $(seq 1 "$SCALE"); do
	lease "$i" &
	pids+=($!)
done
wait "${pids[@]}"
leases=$(cat "$E2E_TMP"/lease.* 2>/dev/null | sort -u | wc -l)
e2e_expect_eq scale-distinct-leases "distinct leases" "$leases" "$SCALE"
bad=$(cat "$E2E_TMP"/lease.* 2>/dev/null | grep -cv '^10\.0\.2\.')
e2e_expect_eq scale-leases-in-net "leases outside 10.0.2.0/24" "$bad" 0
pids=()
for i in $(seq 1 "$SCALE"); do
	# libslirp holds 16 ARP entries: with 20 guests a reply may wait for
	# a re-ARP and the first be lost, so one reply of three is enough.
	{ ip netns exec "$NS-$i" busybox ping -q -c 3 -W 3 -w 15 10.0.2.2 >"$E2E_TMP/ping.$i" 2>&1
	  grep -q ' [1-9][0-9]* packets received' "$E2E_TMP/ping.$i" && echo "$i" >"$E2E_TMP/pingok.$i"; } &
	pids+=($!)
done
wait "${pids[@]}"
e2e_expect_eq scale-ping-gateway "guests reaching 10.0.2.2" "$(find "$E2E_TMP" -name 'pingok.*' | wc -l)" "$SCALE"

before=$(cat "$E2E_TMP/lease.1" 2>/dev/null)
e2e_bg_stop "${PLUG_PID[1]}"
e2e_wait_for 5 sh -c "! ip -n $NS-1 link show tap0 >/dev/null 2>&1"
if attach 1 && lease 1; then
	e2e_expect_eq scale-reattach-same-ip "guest 1's address after re-attach" "$(cat "$E2E_TMP/lease.1")" "$before"
else
	e2e_not_ok scale-reattach-same-ip "no lease after re-attach: $(tail -n 2 "$E2E_TMP/udhcpc.1.log" | tr '\n' ' ')"
fi
e2e_log "scale part: $(($(date +%s) - t0)) s"

## The QEMU guests' findings

wait "$GA"
ra=$?
wait "$GB"
rb=$?
e2e_log "QEMU guests: $(($(date +%s) - t0)) s"
a=$(cat "$E2E_TMP/a.out")
b=$(cat "$E2E_TMP/b.out")
[ "$ra" -eq 0 ] || e2e_not_ok guest-a-ran "script ended with $ra (serial: $E2E_TMP/a.serial)"
[ "$rb" -eq 0 ] || e2e_not_ok guest-b-ran "script ended with $rb (serial: $E2E_TMP/b.serial)"
la=$(e2e_obs "$a" lease_addr)
lb=$(e2e_obs "$b" lease_addr)
e2e_expect_eq lab-b-reserved "B's lease" "$lb" "$IP_B/24"
case $la in
10.0.2.*/24) if [ "$la" != "$lb" ]; then e2e_ok lab-distinct-leases; else e2e_not_ok lab-distinct-leases "both $la"; fi ;;
*) e2e_not_ok lab-distinct-leases "A's lease '$la'" ;;
esac
e2e_expect_eq lab-a-sees-b "A's peer" "$(e2e_obs "$a" peer)" "${lb%/*}"
e2e_expect_eq lab-b-sees-a "B's peer" "$(e2e_obs "$b" peer)" "${la%/*}"
e2e_expect_eq lab-ping-a-to-b "A's ping replies" "$(e2e_obs "$a" ping_peer)" 3
e2e_expect_eq lab-ping-b-to-a "B's ping replies" "$(e2e_obs "$b" ping_peer)" 3
hs=$(e2e_sha256 "$E2E_TMP/host.bin")
e2e_expect_eq lab-a-host-service "A's copy of the host file" "$(e2e_obs "$a" host_sha)" "$hs"
e2e_expect_eq lab-b-host-service "B's copy of the host file" "$(e2e_obs "$b" host_sha)" "$hs"
e2e_expect_eq lab-bulk-a-to-b "10 MiB sha256 at B" "$(e2e_obs "$b" rx_sha)" "$(e2e_obs "$a" bulk_sha)"
e2e_expect_eq lab-portfwd-to-b "token through portfwd" "$(cat "$E2E_TMP/fwd.rx" 2>/dev/null)" "$TOKEN"
if kill -0 "$DAEMON" 2>/dev/null; then e2e_ok daemon-alive; else
	e2e_not_ok daemon-alive "usernetd exited: $(tail -n 3 "$run/usernetd.log")"; fi
# The daemon stops cleanly: nothing from the sanitizers (ASan/UBSan builds).
e2e_bg_stop "$DAEMON"
if grep -qE 'Sanitizer|runtime error' "$run/usernetd.log"; then
	e2e_not_ok daemon-clean-exit "$(grep -m3 -E 'Sanitizer|runtime error' "$run/usernetd.log" | tr '\n' ' ')"
else
	e2e_ok daemon-clean-exit
fi
e2e_finish
