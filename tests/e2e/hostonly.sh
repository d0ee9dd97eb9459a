#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# hostonly.sh - the "hostonly" kind (VirtualBox Host-only) with namespace
# guests joined by usernet-plug, beside a natnet on the same daemon.
# Owns: what a host-only guest sees: a lease in 192.168.56.0/24 from .1
#   without DNS, the host's loopback through .1, nothing beyond it, the
#   other host-only guest, a portfwd rule from the host.
#   Not here: DHCP details (dhcp.sh), natnet itself (natnet.sh).
#
# How it works
# usernetd runs in namespace NS, whose loopback plays the host, with a veth
# to namespace OUT (198.51.100.2) playing "outside": a TCP server there
# answers a token and logs each connection. Guests h1 (reserved .50,
# target of the portfwd rule) and h2 plug into hostonly:ho, guest n1 into
# natnet:nn. h1 reaches the host server through 192.168.56.1 but neither
# the outside server nor its ping; n1 reaches both; OUT's log must hold
# n1's connection and nothing from h1. A QEMU guest (vde endpoint) then
# gets a pool lease, reaches the host, and not the outside.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_init hostonly
e2e_need socat ip ss busybox cpio

e2e_need_usernet hostonly

NS=un-ho-$$
OUT=un-ho-$$-out
OUTSIDE=198.51.100.2
BASE=$((20000 + ($$ % 1000) * 10 + 5))
HOST_PORT=$BASE
OUT_PORT=$((BASE + 1))
FWD_PORT=$((BASE + 2))
PEER_PORT=7200
FWD_GUEST_PORT=7100
TOKEN=usernet-host-$$
declare -A MAC
MAC=([h1]=52:54:00:38:00:01 [h2]=52:54:00:38:00:02 [n1]=52:54:00:38:00:03)
H1=192.168.56.50

e2e_netns_add "$NS"
e2e_netns_add "$OUT"
e2e_netns_link "$NS" 198.51.100.1/24 "$OUT" "$OUTSIDE/24" || e2e_cannot_run "cannot make a veth pair"
for g in h1 h2 n1; do e2e_netns_add "$NS-$g"; done
run=$(e2e_user_dir)
DIR=$run/usernet

e2e_bg "$run/usernetd.log" ip netns exec "$NS" "$USERNETD" -v -d "$DIR" \
	-n "hostonly:ho,dhcp-host=${MAC[h1]},,$H1,portfwd=web:tcp:[]:$FWD_PORT:[$H1]:$FWD_GUEST_PORT" \
	-n "natnet:nn"
DAEMON=$E2E_BG_PID
e2e_wait_for 20 sh -c "grep -q 'usernetd: ho (hostonly) ready' $run/usernetd.log && grep -q 'usernetd: nn (natnet) ready' $run/usernetd.log" ||
	e2e_cannot_run "usernetd did not get ready: $(tail -n 5 "$run/usernetd.log")"

## Servers: the host's loopback (in NS) and the outside (in OUT)

e2e_bg "$E2E_TMP/host.out" ip netns exec "$NS" socat \
	"TCP-LISTEN:$HOST_PORT,bind=127.0.0.1,reuseaddr,fork" "SYSTEM:echo $TOKEN"
: >"$E2E_TMP/outside.log"
e2e_bg "$E2E_TMP/out.out" ip netns exec "$OUT" socat \
	"TCP-LISTEN:$OUT_PORT,bind=$OUTSIDE,reuseaddr,fork" \
	"SYSTEM:echo \$SOCAT_PEERADDR >>$E2E_TMP/outside.log; echo outside-$$"
e2e_wait_for 5 e2e_listening "$NS" tcp 127.0.0.1 "$HOST_PORT" &&
	e2e_wait_for 5 e2e_listening "$OUT" tcp "$OUTSIDE" "$OUT_PORT" ||
	e2e_cannot_run "servers did not start"

## Guests

cat >"$E2E_TMP/hook.sh" <<'EOF'
#!/bin/sh
case "$1" in
deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
bound | renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/$mask" dev "$interface"
	[ -n "$router" ] && ip route replace default via "${router%% *}"
	for k in ip mask router dns serverid; do eval "echo $k=\$$k"; done >"$LEASE_OUT"
	;;
esac
exit 0
EOF
chmod 0755 "$E2E_TMP/hook.sh"

# attach GUEST NET: a plug with tap0 (GUEST's MAC) on NET's stream endpoint.
attach() {
	e2e_bg "$E2E_TMP/plug.$1.log" "$PLUG" --tap tap0 --netns "$NS-$1" "$DIR/$2.stream"
	e2e_wait_for 5 ip -n "$NS-$1" link show tap0 >/dev/null 2>&1 || return 1
	ip -n "$NS-$1" link set tap0 address "${MAC[$1]}" && ip -n "$NS-$1" link set tap0 up
}
lease() {
	LEASE_OUT=$E2E_TMP/lease.$1 timeout 30 ip netns exec "$NS-$1" busybox udhcpc -i tap0 \
		-f -q -n -t 5 -T 2 -s "$E2E_TMP/hook.sh" >"$E2E_TMP/udhcpc.$1.log" 2>&1
}
got() { sed -n "s/^$2=//p" "$E2E_TMP/lease.$1" 2>/dev/null; }
in_ns() { local g=$1; shift; ip netns exec "$NS-$g" "$@"; }
# fetch GUEST ADDR PORT: what a TCP server there says (empty: nothing).
fetch() { in_ns "$1" timeout 8 socat -T 6 -u "TCP:$2:$3,connect-timeout=5" - 2>/dev/null; }
pings() {
	in_ns "$1" busybox ping -c 3 -W 2 -w 8 "$2" 2>/dev/null | sed -n 's/.* \([0-9]*\) packets received.*/\1/p'
}

attach h1 ho && attach h2 ho && attach n1 nn || e2e_cannot_run "usernet-plug failed: $(cat "$E2E_TMP"/plug.*.log)"
pids=()
for g in h1 h2 n1; do
	lease "$g" &
	pids+=($!)
done
wait "${pids[@]}"
e2e_expect_eq lease-h1 "h1's address" "$(got h1 ip)/$(got h1 mask)" "$H1/24"
case $(got h2 ip) in
192.168.56.1[0-9][0-9] | 192.168.56.2[0-9][0-9]) e2e_ok lease-h2-pool ;;
*) e2e_not_ok lease-h2-pool "h2's address is '$(got h2 ip)', expected one from 192.168.56.100" ;;
esac
e2e_expect_eq lease-gateway "h1's router" "$(got h1 router)" 192.168.56.1
e2e_expect_eq lease-server "h1's DHCP server" "$(got h1 serverid)" 192.168.56.1
if [ -z "$(got h1 dns)" ]; then e2e_ok lease-no-dns; else e2e_not_ok lease-no-dns "h1 was given DNS $(got h1 dns)"; fi
e2e_expect_eq lease-n1 "n1's router" "$(got n1 router)" 10.0.2.2

## The host's loopback through the gateway; nothing beyond

e2e_expect_eq host-service "what h1 got from 192.168.56.1:$HOST_PORT" "$(fetch h1 192.168.56.1 "$HOST_PORT")" "$TOKEN"
e2e_expect_eq host-service-h2 "what h2 got from 192.168.56.1:$HOST_PORT" "$(fetch h2 192.168.56.1 "$HOST_PORT")" "$TOKEN"
e2e_expect_eq ping-gateway "h1's ping replies from 192.168.56.1" "$(pings h1 192.168.56.1)" 3
got_out=$(fetch h1 "$OUTSIDE" "$OUT_PORT")
if [ -z "$got_out" ]; then e2e_ok outside-blocked; else e2e_not_ok outside-blocked "h1 got '$got_out' from $OUTSIDE"; fi
e2e_expect_eq outside-ping-blocked "h1's ping replies from $OUTSIDE" "$(pings h1 "$OUTSIDE")" 0
e2e_expect_eq natnet-outside "what n1 got from $OUTSIDE:$OUT_PORT" "$(fetch n1 "$OUTSIDE" "$OUT_PORT")" "outside-$$"
e2e_expect_eq outside-saw "connections the outside server saw" "$(wc -l <"$E2E_TMP/outside.log")" 1

## Guests reach each other

e2e_expect_eq ping-h1-h2 "h1's ping replies from h2" "$(pings h1 "$(got h2 ip)")" 3
e2e_bg "$E2E_TMP/peer.out" in_ns h2 socat "TCP-LISTEN:$PEER_PORT,reuseaddr" "SYSTEM:echo peer-$$"
e2e_wait_for 5 e2e_listening "$NS-h2" tcp 0.0.0.0 "$PEER_PORT"
e2e_expect_eq tcp-h1-h2 "what h1 got from h2" "$(fetch h1 "$(got h2 ip)" "$PEER_PORT")" "peer-$$"

## A QEMU guest (TCG) on the vde endpoint meets the same walls

if command -v qemu-system-x86_64 >/dev/null && guest=$(e2e_guest_dir); then
	export E2E_GUEST=$guest
	E2E_NS=$NS
	e2e_guest_script "$E2E_TMP/q.sh" GW=192.168.56.1 HOST_PORT="$HOST_PORT" \
		OUTSIDE="$OUTSIDE" OUT_PORT="$OUT_PORT" <<'EOF'
dhcp eth0 lease
obs host "$(timeout 10 socat -u "TCP:$GW:$HOST_PORT" - 2>/dev/null)"
obs outside "$(timeout 8 socat -u "TCP:$OUTSIDE:$OUT_PORT,connect-timeout=5" - 2>/dev/null)"
obs ping_gw "$(ping_count "$GW")"
EOF
	q=$(e2e_guest_run q "vde,id=n0,sock=$DIR/ho.vde" "" "$E2E_TMP/q.sh")
	case $(e2e_obs "$q" lease_addr) in
	192.168.56.1[0-9][0-9]/24 | 192.168.56.2[0-9][0-9]/24) e2e_ok qemu-lease ;;
	*) e2e_not_ok qemu-lease "QEMU guest's address '$(e2e_obs "$q" lease_addr)' (serial: $E2E_TMP/q.serial)" ;;
	esac
	e2e_expect_eq qemu-host-service "what the QEMU guest got from the host" "$(e2e_obs "$q" host)" "$TOKEN"
	e2e_expect_eq qemu-ping-gateway "the QEMU guest's ping replies" "$(e2e_obs "$q" ping_gw)" 3
	if [ -z "$(e2e_obs "$q" outside)" ] && [ "$(wc -l <"$E2E_TMP/outside.log")" -eq 1 ]; then
		e2e_ok qemu-outside-blocked
	else
		e2e_not_ok qemu-outside-blocked "got '$(e2e_obs "$q" outside)'; outside saw $(wc -l <"$E2E_TMP/outside.log") connections"
	fi
else
	e2e_not_ok qemu-guest "no QEMU or test guest (tests/e2e/guest/build.sh)"
fi

## portfwd from the host to h1

e2e_bg "$E2E_TMP/fwd.out" in_ns h1 socat "TCP-LISTEN:$FWD_GUEST_PORT,reuseaddr" "SYSTEM:echo fwd-$$"
e2e_wait_for 5 e2e_listening "$NS-h1" tcp 0.0.0.0 "$FWD_GUEST_PORT"
e2e_expect_eq portfwd-h1 "what the host got from 127.0.0.1:$FWD_PORT" \
	"$(ip netns exec "$NS" timeout 8 socat -T 6 -u "TCP:127.0.0.1:$FWD_PORT" - 2>/dev/null)" "fwd-$$"

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
