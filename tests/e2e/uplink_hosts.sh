#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uplink_hosts.sh - two "hosts" joined by vxvde:// uplinks, QEMU guests on
# both.
# Owns: one L2 segment across two daemons (internal), and a natnet whose
#   router and DHCP server live on host A serving a guest on host B
#   (router=off,dhcp=off there). Not here: vde_switch and vde_plug
#   (uplink.sh), namespaces, teardown, reporting (lib.sh).
#
# How it works
# Namespaces A and B are the two hosts, joined by a veth pair with
# multicast on and a route for 224.0.0.0/4 on it: every vxvde datagram
# stays between them, never on the machine's own interfaces. A usernetd in
# each serves
#   internal:seg,uplink=vxvde://239.255.77.1/port=P1
#   natnet:lan,uplink=vxvde://239.255.77.2/port=P2   (B: router=off,dhcp=off)
# Guest GA (A, seg) and guest GB (B, seg) take static addresses; GA sends
# 10 MiB to GB, sha256 compared. Guest GC (B, lan) asks for a lease, which
# only A's natnet can give, and fetches a file from a server on A's
# loopback through the gateway 10.0.2.2 (A's router).
#
# Sanitizers: usernetd is the ASan+UBSan build (build/san); see
# backend/san_dlopen.c for how libvdeplug's modules load under ASan.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

e2e_init uplink_hosts
e2e_need qemu-system-x86_64 socat ip ss busybox cpio

USERNETD=${USERNETD:-$E2E_SRC/build/san/usernetd}
export USERNET_PLUGIN_PATH=${USERNET_PLUGIN_PATH:-$(dirname "$USERNETD")/plugins}
[ -x "$USERNETD" ] || e2e_cannot_run "no usernetd at $USERNETD (make SANITIZE=1 BUILD=build/san build, or set USERNETD)"

HA=un-uph-$$-a
HB=un-uph-$$-b
P1=$((15000 + $$ % 1000))
P2=$((P1 + 1000))
HOST_PORT=$((22000 + $$ % 1000))
SEG="vxvde://239.255.77.1/port=$P1"
LAN="vxvde://239.255.77.2/port=$P2"

guest=$(e2e_guest_dir) || e2e_cannot_run "cannot build the test guest (tests/e2e/guest/build.sh)"
export E2E_GUEST=$guest

## Two hosts and a wire between them, multicast on it only

e2e_netns_add "$HA"
e2e_netns_add "$HB"
e2e_netns_link "$HA" 192.168.77.1/24 "$HB" 192.168.77.2/24 ||
	e2e_cannot_run "cannot link $HA and $HB"
for h in "$HA:e2e0" "$HB:e2e1"; do
	ip -n "${h%%:*}" link set "${h#*:}" multicast on
	ip -n "${h%%:*}" route add 224.0.0.0/4 dev "${h#*:}"
done

e2e_random_file "$E2E_TMP/host.bin" 1M
e2e_bg "$E2E_TMP/host.srv" ip netns exec "$HA" socat -U \
	"TCP-LISTEN:$HOST_PORT,bind=127.0.0.1,reuseaddr,fork" "OPEN:$E2E_TMP/host.bin,rdonly"
e2e_wait_for 5 e2e_listening "$HA" tcp 127.0.0.1 "$HOST_PORT" || e2e_cannot_run "no file server in $HA"

# daemon HOST NS SPEC...: usernetd in NS; its dir in DIR_HOST.
declare -A DIRS LOGS
daemon() {
	local h=$1 ns=$2 run
	shift 2
	run=$(e2e_user_dir)
	DIRS[$h]=$run/usernet
	LOGS[$h]=$run/usernetd.log
	local args=()
	for spec in "$@"; do args+=(-n "$spec"); done
	e2e_bg "${LOGS[$h]}" ip netns exec "$ns" "$USERNETD" -v -d "${DIRS[$h]}" "${args[@]}"
	e2e_wait_for 20 grep -q "usernetd: lan (natnet) ready" "${LOGS[$h]}" ||
		e2e_cannot_run "usernetd in $ns did not get ready: $(tail -n 5 "${LOGS[$h]}")"
}
daemon a "$HA" "internal:seg,uplink=$SEG" "natnet:lan,uplink=$LAN"
daemon b "$HB" "internal:seg,uplink=$SEG" "natnet:lan,router=off,dhcp=off,uplink=$LAN"

## The guests

e2e_guest_script "$E2E_TMP/ga.sh" PEER=10.88.0.2 <<'EOF'
ip addr add 10.88.0.1/24 dev eth0
ip link set eth0 up
dd if=/dev/urandom of=/tmp/bulk bs=1M count=10 2>/dev/null
obs bulk_sha "$(sha /tmp/bulk)"
i=0
until timeout 60 socat -u OPEN:/tmp/bulk "TCP:$PEER:7000,connect-timeout=2" 2>/dev/null; do
	i=$((i + 1))
	[ $i -ge 40 ] && break
	sleep 1
done
obs send_tries $i
EOF
e2e_guest_script "$E2E_TMP/gb.sh" <<'EOF'
ip addr add 10.88.0.2/24 dev eth0
ip link set eth0 up
timeout 150 socat -u TCP-LISTEN:7000,reuseaddr CREATE:/tmp/rx
obs rx_sha "$(sha /tmp/rx)"
EOF
e2e_guest_script "$E2E_TMP/gc.sh" HOST_PORT="$HOST_PORT" <<'EOF'
dhcp eth0 lease
timeout 30 socat -u "TCP:10.0.2.2:$HOST_PORT,connect-timeout=10" CREATE:/tmp/host
obs host_sha "$(sha /tmp/host)"
EOF

e2e_guest_run ga "vde,id=n0,sock=${DIRS[a]}/seg.vde" "mac=52:54:00:77:00:0a" "$E2E_TMP/ga.sh" >"$E2E_TMP/ga.out" 2>&1 &
GA=$!
e2e_guest_run gb "vde,id=n0,sock=${DIRS[b]}/seg.vde" "mac=52:54:00:77:00:0b" "$E2E_TMP/gb.sh" >"$E2E_TMP/gb.out" 2>&1 &
GB=$!
e2e_guest_run gc "vde,id=n0,sock=${DIRS[b]}/lan.vde" "mac=52:54:00:77:00:0c" "$E2E_TMP/gc.sh" >"$E2E_TMP/gc.out" 2>&1 &
GC=$!
wait $GA $GB $GC

ga=$(cat "$E2E_TMP/ga.out")
gb=$(cat "$E2E_TMP/gb.out")
gc=$(cat "$E2E_TMP/gc.out")

## (a) one segment across two hosts

e2e_expect_eq vxvde-bulk-10MiB "sha256 of what GB (host B) got from GA (host A)" \
	"$(e2e_obs "$gb" rx_sha)" "$(e2e_obs "$ga" bulk_sha)"

## (b) host A's router and DHCP serve host B's guest

e2e_expect_eq natnet-lease-from-a "GC's udhcpc" "$(e2e_obs "$gc" lease_rc)" 0
case $(e2e_obs "$gc" lease_addr) in
10.0.2.*) e2e_ok natnet-lease-addr ;;
*) e2e_not_ok natnet-lease-addr "GC got '$(e2e_obs "$gc" lease_addr)'" ;;
esac
e2e_expect_eq natnet-gateway "GC's default route" "$(e2e_obs "$gc" lease_route)" 10.0.2.2
e2e_expect_eq natnet-reaches-a-host "sha256 of A's host file in GC" \
	"$(e2e_obs "$gc" host_sha)" "$(e2e_sha256 "$E2E_TMP/host.bin")"
grep -q "\[usernet-dhcp\]" "${LOGS[b]}" &&
	e2e_not_ok natnet-b-has-no-dhcp "host B's DHCP server spoke: $(grep -m1 "usernet-dhcp" "${LOGS[b]}")" ||
	e2e_ok natnet-b-has-no-dhcp

for h in a b; do
	grep -q "Sanitizer" "${LOGS[$h]}" &&
		e2e_not_ok "sanitizer-clean-$h" "$(grep -m1 Sanitizer "${LOGS[$h]}")" ||
		e2e_ok "sanitizer-clean-$h"
done

e2e_finish
