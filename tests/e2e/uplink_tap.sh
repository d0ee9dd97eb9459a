#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uplink_tap.sh - bridged mode (uplink=tap://) on internal and hostonly
# networks and a random-MAC flood from an uplink, with namespaces as guests
# and as the host.
# Owns: tap:// with a tap made beforehand for an unprivileged daemon, the
#   host's own NIC on a hostonly network, the MAC table cap against an
#   uplink. Not here: vde_switch, vde_plug and the foreign-DHCP warning
#   (uplink.sh), vxvde (uplink_hosts.sh), namespaces,
#   teardown, reporting (lib.sh).
#
# How it works
# Namespace H is "the host". Two persistent taps are made there for
# nobody (`ip tuntap add ... mode tap user nobody`) and usernetd runs in H
# as nobody (no CAP_NET_ADMIN) with
#   internal:br,mac-table-size=64,uplink=tap://ubr0
#   hostonly:ho,uplink=tap://uho0
# Namespaces g1, g3 are NICs on br (usernet-plug, static 10.77.0.0/24
# addresses), g2 a NIC on ho (DHCP). H puts 10.77.0.1 on ubr0 and
# 192.168.56.2 on uho0 and pings the guests by their addresses, both ways.
# (A second DHCP server cannot be shown here: usernet's server answers a
# DISCOVER in front of the switch, so a server behind the tap never hears
# g2; uplink.sh puts one behind the vde_switch instead.) Then python sends 3000 frames from
# random source MACs into ubr0: the uplink port counts table-full, the
# log says the table is full (64 entries), and g1, g3 and H still talk.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

e2e_init uplink_tap
e2e_need ip busybox python3 setpriv
e2e_need_usernet

H=un-upt-$$-h
declare -A NS MAC
for g in g1 g2 g3; do NS[$g]=un-upt-$$-$g; done
MAC=([g1]=52:54:00:ac:00:01 [g2]=52:54:00:ac:00:02 [g3]=52:54:00:ac:00:03)
run=$(e2e_user_dir)
DIR=$run/usernet
LOG=$run/usernetd.log

e2e_netns_add "$H"
for g in "${!NS[@]}"; do e2e_netns_add "${NS[$g]}"; done

for t in ubr0 uho0; do
	ip -n "$H" tuntap add dev "$t" mode tap user nobody ||
		e2e_cannot_run "cannot make tap $t in $H"
done

e2e_udhcpc_ip_hook "$E2E_TMP/hook.sh"

# uplug GUEST ENDPOINT: usernet-plug on ENDPOINT, tap0 up in GUEST's namespace.
uplug() {
	e2e_bg "$E2E_TMP/plug.$1.log" "$PLUG" --tap tap0 --netns "${NS[$1]}" "$2"
	e2e_wait_for 5 ip -n "${NS[$1]}" link show tap0 >/dev/null 2>&1 || return 1
	ip -n "${NS[$1]}" link set tap0 address "${MAC[$1]}" && ip -n "${NS[$1]}" link set tap0 up
}

# lease GUEST: udhcpc on tap0; "ADDR SERVER" in LEASE[GUEST] when bound.
lease() {
	rm -f "$E2E_TMP/lease.$1"
	LEASE_OUT=$E2E_TMP/lease.$1 timeout 30 ip netns exec "${NS[$1]}" busybox udhcpc -i tap0 \
		-f -q -n -t 4 -T 2 -s "$E2E_TMP/hook.sh" >"$E2E_TMP/udhcpc.$1.log" 2>&1
	LEASE[$1]=$(cat "$E2E_TMP/lease.$1" 2>/dev/null)
	[ -n "${LEASE[$1]}" ]
}

# check_ping NAME NS TO_ADDR
check_ping() {
	if ip netns exec "$2" busybox ping -q -c 2 -w 10 "$3" >"$E2E_TMP/ping.$1" 2>&1; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1" "$2 -> $3: $(tail -n 2 "$E2E_TMP/ping.$1" | tr '\n' ' ')"
	fi
}

# json_get CMD PYEXPR: runs usernetctl --json CMD, prints PYEXPR over it (j).
json_get() {
	local cmd=$1
	shift
	"$CTL" -d "$DIR" --json $cmd 2>/dev/null | python3 -c "import json,sys
j=json.load(sys.stdin)
try: print($1)
except Exception as e: print('?', e)"
}

## usernetd in H on the two taps: as nobody when nobody may open
## /dev/net/tun (usually mode 0666; some containers make it 0600), else
## as root (the CAP_NET_ADMIN path)

DUSER=
setpriv --reuid=nobody --regid="$(id -gn nobody)" --clear-groups -- \
	test -r /dev/net/tun -a -w /dev/net/tun 2>/dev/null && DUSER=nobody
[ -n "$DUSER" ] && chown nobody "$run"
E2E_NS=$H E2E_USER=$DUSER e2e_prefix
e2e_bg "$LOG" "${E2E_PRE[@]}" "$USERNETD" -v -d "$DIR" \
	-n "internal:br,mac-table-size=64,uplink=tap://ubr0" \
	-n "hostonly:ho,uplink=tap://uho0"
DAEMON=$E2E_BG_PID
daemon_ready() { grep -q "usernetd: ho (hostonly) ready" "$LOG" || ! kill -0 "$DAEMON" 2>/dev/null; }
e2e_wait_for 20 daemon_ready && grep -q "usernetd: ho (hostonly) ready" "$LOG" ||
	e2e_cannot_run "usernetd did not get ready: $(tail -n 5 "$LOG")"
if [ -n "$DUSER" ]; then
	e2e_expect_eq daemon-unprivileged "usernetd's uid" "$(e2e_uid_of "$DAEMON")" "$(id -u nobody)"
else
	e2e_skip_check daemon-unprivileged "nobody cannot open /dev/net/tun here ($(stat -c %A /dev/net/tun)); usernetd runs as root"
fi

ip -n "$H" addr add 10.77.0.1/24 dev ubr0
ip -n "$H" addr add 192.168.56.2/24 dev uho0
ip -n "$H" link set ubr0 up
ip -n "$H" link set uho0 up

declare -A LEASE
uplug g1 "$DIR/br.stream" && uplug g3 "dgram:$DIR/br.dgram" && uplug g2 "$DIR/ho.stream" ||
	e2e_not_ok usernet-nics "no tap0: $(cat "$E2E_TMP"/plug.*.log)"
ip -n "${NS[g1]}" addr add 10.77.0.10/24 dev tap0
ip -n "${NS[g3]}" addr add 10.77.0.30/24 dev tap0

## (1) bridged internal: H's tap address and a guest reach each other

check_ping bridged-host-to-guest "$H" 10.77.0.10
check_ping bridged-guest-to-host "${NS[g1]}" 10.77.0.1
case $(json_get "show br" "[u['state'] for u in j['uplinks']][0]") in
up) e2e_ok show-tap-uplink-up ;;
*) e2e_not_ok show-tap-uplink-up "show said: $("$CTL" -d "$DIR" --json show br 2>&1)" ;;
esac

## (1) hostonly: the host's own NIC reaches the guest by its DHCP address

if lease g2; then
	e2e_ok hostonly-lease
else
	e2e_not_ok hostonly-lease "no lease: $(tail -n 2 "$E2E_TMP/udhcpc.g2.log" | tr '\n' ' ')"
fi
G2=${LEASE[g2]}
case $G2 in
192.168.56.*) e2e_ok hostonly-lease-addr ;;
*) e2e_not_ok hostonly-lease-addr "g2 got '${LEASE[g2]}'" ;;
esac
check_ping hostonly-host-to-guest "$H" "${G2:-192.168.56.100}"
check_ping hostonly-guest-to-host-nic "${NS[g2]}" 192.168.56.2

## (3) a random-MAC flood from the br uplink: capped, the NICs keep talking

BR_PORT=$(json_get "show br" "j['uplinks'][0]['port']")
ip netns exec "$H" python3 - ubr0 3000 >"$E2E_TMP/flood.out" 2>&1 <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for i in range(int(sys.argv[2])):
    src = bytes([os.urandom(1)[0] & 0xfc | 0x02]) + os.urandom(5)  # unicast, local
    dst = b"\x02\x00\x5e" + os.urandom(3)                           # unknown unicast
    s.send(dst + src + b"\x88\xb5" + b"usernet-flood".ljust(46, b"\0"))
print("sent", sys.argv[2])
EOF
e2e_wait_for 5 grep -q "sent 3000" "$E2E_TMP/flood.out" || e2e_not_ok flood-sent "$(cat "$E2E_TMP/flood.out")"
sleep 0.5
# Every frame from a MAC the full table cannot learn counts table-full:
# rx_frames - table-full is what was learnt or refreshed (the 64 flood
# MACs that fit, and the tap's own MAC), so it stays near the cap. The tap's
# queue may drop some of the 3000 before the daemon reads them.
counts=$(json_get "stats br" "' '.join(str(x) for p in j['networks'][0]['nics'] if p['name']=='$BR_PORT' for x in (p['rx_frames'], p['drops']['table-full']))")
read -r rx full <<<"$counts"
if [[ $rx =~ ^[0-9]+$ ]] && [[ $full =~ ^[0-9]+$ ]] && [ "$full" -ge 1000 ] &&
	[ $((rx - full)) -le $((64 + 40)) ]; then
	e2e_ok flood-counted-table-full
else
	e2e_not_ok flood-counted-table-full "on $BR_PORT rx_frames, table-full are '$counts': $("$CTL" -d "$DIR" --json stats br 2>&1 | head -c 1500)"
fi
e2e_expect_eq flood-table-full-logged-once "table-full warnings" \
	"$(grep -c "switch 'br': MAC table full (64 entries); NIC $BR_PORT sends from MACs it cannot learn" "$LOG")" 1
check_ping flood-nics-keep-talking "${NS[g1]}" 10.77.0.30
check_ping flood-host-keeps-talking "$H" 10.77.0.30
kill -0 "$DAEMON" 2>/dev/null && e2e_ok daemon-survives || e2e_not_ok daemon-survives "usernetd exited"

e2e_bg_stop "$DAEMON"
grep -q "Sanitizer" "$LOG" && e2e_not_ok sanitizer-clean "$(grep -m1 Sanitizer "$LOG")" ||
	e2e_ok sanitizer-clean

e2e_finish
