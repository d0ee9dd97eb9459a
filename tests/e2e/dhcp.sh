#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# dhcp.sh - the switched networks' DHCP server against busybox udhcpc, in
# network namespaces joined to a natnet by usernet-plug.
# Owns: what a real client gets from backend/dhcp.c: the lease and its
#   options, a reservation, a full range, the same address after the NIC
#   re-attaches. Not here: namespaces, teardown, reporting (lib.sh); the
#   switch and the router (natnet's own tests).
#
# How it works
# usernetd serves natnet:lab with a two-address range, a short lease, an
# MTU, a domain and a search list, and a reservation for guest c's MAC.
# Guests a, b, c, d are namespaces whose tap0 (fixed MACs) is plugged into
# lab.stream; each runs `busybox udhcpc -q -n` with a hook that records the
# variables udhcpc sets and applies only the address (never the host's
# /etc/resolv.conf). a and b fill the range, c gets its reserved address
# and name, d gets nothing and the daemon says the range is full. a pings b
# on the leased addresses. a's plug stops and a new one starts (a new tap,
# same MAC): a gets its address back although the range is still full.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

e2e_init dhcp
e2e_need ip busybox

e2e_need_usernet natnet

declare -A NS MAC PLUG_PID
for g in a b c d; do NS[$g]=un-dhcp-$$-$g; done
MAC=([a]=52:54:00:d0:00:01 [b]=52:54:00:d0:00:02 [c]=52:54:00:d0:00:03 [d]=52:54:00:d0:00:04)
SPEC="natnet:lab,dhcp-range=10.0.2.15-10.0.2.16,dhcp-lease=300,mtu=1400"
SPEC+=",domainname=lab.test,dnssearch=a.lab.test,dnssearch=b.lab.test"
SPEC+=",dhcp-host=${MAC[c]},,10.0.2.50,,guest-c"

run=$(e2e_user_dir)
DIR=$run/usernet

# The udhcpc hook: KEY=VALUE lines into $LEASE_OUT, the address on the tap.
cat >"$E2E_TMP/hook.sh" <<'EOF'
#!/bin/sh
case "$1" in
deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
bound | renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/$mask" dev "$interface"
	for k in ip mask router dns serverid lease mtu domain search hostname; do
		eval "echo $k=\$$k"
	done >"$LEASE_OUT"
	;;
esac
exit 0
EOF
chmod 0755 "$E2E_TMP/hook.sh"

# attach GUEST: a plug with a fresh tap0 carrying GUEST's MAC.
attach() {
	local g=$1
	e2e_bg "$E2E_TMP/plug.$g.log" "$PLUG" -v --tap tap0 --netns "${NS[$g]}" "$DIR/lab.stream"
	PLUG_PID[$g]=$E2E_BG_PID
	if ! e2e_wait_for 5 ip -n "${NS[$g]}" link show tap0 >/dev/null 2>&1; then
		e2e_not_ok "tap-$g" "no tap0 in ${NS[$g]}: $(cat "$E2E_TMP/plug.$g.log")"
		return 1
	fi
	ip -n "${NS[$g]}" link set tap0 address "${MAC[$g]}"
	ip -n "${NS[$g]}" link set tap0 up
}

# lease GUEST: udhcpc once; its record in $E2E_TMP/lease.GUEST. 0 if bound.
lease() {
	local g=$1
	rm -f "$E2E_TMP/lease.$g"
	LEASE_OUT=$E2E_TMP/lease.$g timeout 30 ip netns exec "${NS[$g]}" \
		busybox udhcpc -i tap0 -f -q -n -t 3 -T 2 -O search -O mtu \
		-s "$E2E_TMP/hook.sh" >"$E2E_TMP/udhcpc.$g.log" 2>&1
}

got() { sed -n "s/^$2=//p" "$E2E_TMP/lease.$1" 2>/dev/null; }

# check_lease NAME GUEST KEY WANT
check_lease() { e2e_expect_eq "$1" "$2's $3" "$(got "$2" "$3")" "$4"; }

e2e_bg "$run/usernetd.log" "$USERNETD" -v -d "$DIR" -n "$SPEC"
e2e_wait_for 20 grep -q "usernetd: lab (natnet) ready" "$run/usernetd.log" ||
	e2e_cannot_run "usernetd did not get ready: $(tail -n 5 "$run/usernetd.log")"
for g in a b c d; do e2e_netns_add "${NS[$g]}"; done

## A lease and every option

attach a || e2e_finish
lease a || e2e_not_ok lease-a "udhcpc: $(tail -n 3 "$E2E_TMP/udhcpc.a.log" | tr '\n' ' ')"
check_lease lease-a-ip a ip 10.0.2.15
check_lease lease-a-mask a mask 24
check_lease lease-a-router a router 10.0.2.2
check_lease lease-a-dns a dns 10.0.2.3
check_lease lease-a-server a serverid 10.0.2.2
check_lease lease-a-time a lease 300
check_lease lease-a-mtu a mtu 1400
check_lease lease-a-domain a domain lab.test
check_lease lease-a-search a search "a.lab.test b.lab.test"

attach b || e2e_finish
lease b
check_lease lease-b-ip b ip 10.0.2.16

## A reservation outside the range, with its name

attach c || e2e_finish
lease c
check_lease reserved-c-ip c ip 10.0.2.50
check_lease reserved-c-name c hostname guest-c

## The range is full: no lease, a clear log line

attach d || e2e_finish
if lease d; then
	e2e_not_ok range-full-no-lease "d got $(got d ip)"
else
	e2e_ok range-full-no-lease
fi
if grep -q 'DHCP range 10.0.2.15-10.0.2.16 is full' "$run/usernetd.log"; then
	e2e_ok range-full-logged
else
	e2e_not_ok range-full-logged "no 'is full' line in usernetd.log"
fi

## The leases carry traffic

if ip netns exec "${NS[a]}" busybox ping -q -c 2 -w 10 10.0.2.16 >"$E2E_TMP/ping.ab" 2>&1; then
	e2e_ok leased-ping-ab
else
	e2e_not_ok leased-ping-ab "$(tail -n 2 "$E2E_TMP/ping.ab" | tr '\n' ' ')"
fi

## Re-attach: a new tap with the same MAC gets the same address

e2e_bg_stop "${PLUG_PID[a]}"
e2e_wait_for 5 sh -c "! ip -n ${NS[a]} link show tap0 >/dev/null 2>&1"
attach a || e2e_finish
lease a
check_lease reattach-same-ip a ip 10.0.2.15

e2e_finish
