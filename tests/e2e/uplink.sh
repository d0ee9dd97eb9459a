#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uplink.sh - uplink=vde:// to a real vde_switch (Debian's vde2), vde_plug
# (Debian's vdeplug) as a client of usernet's own VDE endpoint, and the
# uplink refusals, with namespaces as guests.
# Owns: the vde_switch uplink's life (lease and host through it, the switch
#   killed and restarted, one loss and one recovery logged), vde_plug on
#   our endpoint, the exact errors for bad uplinks, uplink-optional=on, a
#   QEMU guest on the natnet while the switch is gone, the foreign-DHCP
#   warning (exact text, once).
#   Not here: vxvde between two daemons (uplink_hosts.sh), namespaces,
#   teardown, reporting (lib.sh).
#
# How it works
# Namespace H is "the host": usernetd serves natnet:lab,uplink=vde://SW
# there, a vde_switch runs on SW, and a file server listens on H's
# 127.0.0.1. Namespace v sits behind the vde_switch (`vde_plug vde://SW
# tap://tapv` inside it); a and b are usernet NICs (usernet-plug on
# lab.stream and lab.dgram); d is `vde_plug vde://DIR/lab.vde tap://tapd`,
# vde_plug talking to usernet's own VDE endpoint. Each runs udhcpc and
# fetches the host's file through 10.0.2.2. A QEMU guest q on lab.vde
# takes a lease meanwhile. Then the vde_switch is killed: a and b still
# reach each other and q pings both (it waits on the control server's
# "gone" action for that moment); it is restarted with a new vde_plug in
# v, and v gets its lease and the host back with usernetd untouched.
# Last, dnsmasq in namespace r behind the vde_switch is a second DHCP
# server: v asks three times, the daemon logs the warning exactly once.
#
# Sanitizers: usernetd is the ASan+UBSan build (build/san). libvdeplug
# loads its modules with RTLD_DEEPBIND, which the ASan runtime refuses;
# backend/san_dlopen.c strips that flag in sanitizer builds, so the uplink
# code runs under ASan like the rest.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

e2e_init uplink
e2e_need ip ss socat busybox sha256sum vde_switch vde_plug dnsmasq python3

e2e_need_usernet

H=un-up-$$-h
declare -A NS MAC
for g in a b d r v x; do NS[$g]=un-up-$$-$g; done
MAC=([a]=52:54:00:ab:00:0a [b]=52:54:00:ab:00:0b [d]=52:54:00:ab:00:0d [v]=52:54:00:ab:00:0e [r]=52:54:00:ab:00:0c)
HOST_PORT=$((21000 + $$ % 1000))
SW=$E2E_TMP/sw
run=$(e2e_user_dir)
DIR=$run/usernet
LOG=$run/usernetd.log

e2e_netns_add "$H"
for g in "${!NS[@]}"; do e2e_netns_add "${NS[$g]}"; done

# The udhcpc hook: the address on the interface, the lease in $LEASE_OUT.
cat >"$E2E_TMP/hook.sh" <<'EOF'
#!/bin/sh
case "$1" in
deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
bound | renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/$mask" dev "$interface"
	ip route replace default via "$router" dev "$interface"
	echo "$ip" >"$LEASE_OUT"
	;;
esac
exit 0
EOF
chmod 0755 "$E2E_TMP/hook.sh"

## Helpers

# switch_start: a vde_switch on $SW (daemon; its pid in $E2E_TMP/sw.pid).
switch_start() {
	rm -f "$E2E_TMP/sw.pid"
	vde_switch -s "$SW" -d -p "$E2E_TMP/sw.pid" || return 1
	e2e_wait_for 5 test -s "$E2E_TMP/sw.pid" && e2e_wait_for 5 test -S "$SW/ctl"
}
switch_stop() {
	[ -s "$E2E_TMP/sw.pid" ] && e2e_kill "$(cat "$E2E_TMP/sw.pid")"
	rm -f "$E2E_TMP/sw.pid"
}
e2e_defer switch_stop

# tap_up GUEST TAP: wait for TAP in GUEST's namespace, give it GUEST's MAC.
tap_up() {
	e2e_wait_for 5 ip -n "${NS[$1]}" link show "$2" >/dev/null 2>&1 || return 1
	ip -n "${NS[$1]}" link set "$2" address "${MAC[$1]}" && ip -n "${NS[$1]}" link set "$2" up
}

# vplug GUEST URL TAP: vde_plug URL tap://TAP inside GUEST's namespace.
vplug() {
	e2e_bg "$E2E_TMP/vde_plug.$1.log" ip netns exec "${NS[$1]}" vde_plug "$2" "tap://$3"
	VPLUG[$1]=$E2E_BG_PID
	tap_up "$1" "$3"
}

# uplug GUEST ENDPOINT: usernet-plug on ENDPOINT, tap0 in GUEST's namespace.
uplug() {
	e2e_bg "$E2E_TMP/plug.$1.log" "$PLUG" --tap tap0 --netns "${NS[$1]}" "$2"
	tap_up "$1" tap0
}

# lease GUEST IFACE: udhcpc; 0 and the address in LEASE[GUEST] when bound.
lease() {
	rm -f "$E2E_TMP/lease.$1"
	LEASE_OUT=$E2E_TMP/lease.$1 timeout 40 ip netns exec "${NS[$1]}" busybox udhcpc -i "$2" \
		-f -q -n -t 6 -T 2 -s "$E2E_TMP/hook.sh" >"$E2E_TMP/udhcpc.$1.log" 2>&1
	LEASE[$1]=$(cat "$E2E_TMP/lease.$1" 2>/dev/null)
	[ -n "${LEASE[$1]}" ]
}

# check_lease NAME GUEST IFACE
check_lease() {
	if lease "$2" "$3"; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1" "no lease for $2: $(tail -n 2 "$E2E_TMP/udhcpc.$2.log" | tr '\n' ' ')"
	fi
}

# check_host NAME GUEST: GUEST fetches the host's file via 10.0.2.2.
check_host() {
	rm -f "$E2E_TMP/host.$2.rx"
	timeout 30 ip netns exec "${NS[$2]}" socat -u "TCP:10.0.2.2:$HOST_PORT,connect-timeout=10" \
		"CREATE:$E2E_TMP/host.$2.rx" 2>"$E2E_TMP/host.$2.err"
	e2e_expect_eq "$1" "sha256 of the host's file in $2" \
		"$(e2e_sha256 "$E2E_TMP/host.$2.rx")" "$(e2e_sha256 "$E2E_TMP/host.bin")"
}

# check_ping NAME FROM TO_ADDR
check_ping() {
	if ip netns exec "${NS[$2]}" busybox ping -q -c 3 -w 15 "$3" >"$E2E_TMP/ping.$1" 2>&1; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1" "$2 -> $3: $(tail -n 2 "$E2E_TMP/ping.$1" | tr '\n' ' ')"
	fi
}

## Bad uplinks: exact errors (each daemon in namespace x: no network, so a
## name never reaches the machine's DNS)

# refused NAME SPEC TEXT: usernetd -n SPEC exits non-zero, saying TEXT.
refused() {
	local out rc
	out=$(timeout 20 ip netns exec "${NS[x]}" "$USERNETD" -d "$run/refused" -n "$2" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && [[ $out == *"$3"* ]]; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1" "exit $rc, said: $out"
	fi
}
refused refuse-unknown-scheme "natnet:lab,uplink=foo://bar" \
	"--net 'natnet:lab,uplink=foo://bar': network 'lab': uplink 'foo://bar': cannot open: unknown URL scheme 'foo' (libvdeplug has no module libvdeplug_foo.so)"
refused refuse-no-switch "internal:lab,uplink=vde://$E2E_TMP/nosw" \
	"network 'lab': uplink 'vde://$E2E_TMP/nosw': cannot open: no vde_switch answers there (No such file or directory)"
refused refuse-vxvde-address "hostonly:lab,uplink=vxvde://300.1.2.3" \
	"network 'lab': uplink 'vxvde://300.1.2.3': cannot open: malformed address: '300.1.2.3' is not an IPv4 or IPv6 multicast group (vxvde://GROUP[/OPTION...], e.g. vxvde://239.0.0.1)"
refused refuse-vxvde-unicast "internal:lab,uplink=vxvde://10.1.2.3" \
	"malformed address: '10.1.2.3' is not an IPv4 or IPv6 multicast group"
refused refuse-optional-bad "internal:lab,uplink=vde://$SW,uplink-optional=maybe" \
	"uplink-optional"
refused refuse-router-off-fwd "natnet:lab,router=off,hostfwd=tcp::2222-10.0.2.15:22" \
	"router: is off, so forwards have no router to live on"

# uplink-optional=on: starts without it, says so once, keeps retrying.
e2e_bg "$E2E_TMP/optional.log" ip netns exec "${NS[x]}" "$USERNETD" -v -d "$run/optional" \
	-n "internal:opt,uplink=vde://$E2E_TMP/nosw,uplink-optional=on"
OPT=$E2E_BG_PID
if e2e_wait_for 20 grep -q "usernetd: opt (internal) ready" "$E2E_TMP/optional.log" &&
	e2e_wait_for 10 grep -q "attempt 2;" "$E2E_TMP/optional.log" &&
	grep -q "uplink 'vde://$E2E_TMP/nosw': cannot open: no vde_switch answers there (No such file or directory); uplink-optional=on: starting without it" "$E2E_TMP/optional.log"; then
	e2e_ok optional-starts-and-retries
else
	e2e_not_ok optional-starts-and-retries "$(tail -n 5 "$E2E_TMP/optional.log")"
fi
e2e_bg_stop "$OPT"

## The host: vde_switch, usernetd with the uplink, a file server

switch_start || e2e_cannot_run "vde_switch did not start on $SW"
e2e_random_file "$E2E_TMP/host.bin" 1M
e2e_bg "$E2E_TMP/host.srv" ip netns exec "$H" socat -U \
	"TCP-LISTEN:$HOST_PORT,bind=127.0.0.1,reuseaddr,fork" "OPEN:$E2E_TMP/host.bin,rdonly"
e2e_wait_for 5 e2e_listening "$H" tcp 127.0.0.1 "$HOST_PORT" || e2e_cannot_run "no file server"
e2e_bg "$LOG" ip netns exec "$H" "$USERNETD" -v -d "$DIR" -n "natnet:lab,uplink=vde://$SW"
DAEMON=$E2E_BG_PID
e2e_wait_for 20 grep -q "usernetd: lab (natnet) ready" "$LOG" ||
	e2e_cannot_run "usernetd did not get ready: $(tail -n 5 "$LOG")"

declare -A VPLUG LEASE
uplug a "$DIR/lab.stream" && uplug b "dgram:$DIR/lab.dgram" ||
	e2e_not_ok usernet-nics "no tap0: $(cat "$E2E_TMP"/plug.*.log)"
check_lease lease-a a tap0
check_lease lease-b b tap0

## A QEMU guest on the natnet (lab.vde): it takes a lease now, then waits
## for the host to say the vde_switch is gone and pings a and b (action
## "gone" returns once $E2E_TMP/switch.gone exists; "pinged" marks the end).

action_gone() {
	local i
	for ((i = 0; i < 900; i++)); do
		[ -e "$E2E_TMP/switch.gone" ] && return 0
		sleep 0.1
	done
	return 1
}
action_pinged() { touch "$E2E_TMP/guest.pinged"; }
QGUEST=
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	QSKIP="qemu-system-x86_64 is not installed"
elif ! E2E_GUEST=$(e2e_guest_dir); then
	QSKIP="cannot build the test guest (tests/e2e/guest/build.sh)"
else
	export E2E_GUEST
	CTRL_PORT=$((23000 + $$ % 1000))
	E2E_NS=$H e2e_control_start "$CTRL_PORT" action_gone action_pinged ||
		e2e_not_ok guest-control "no control server in $H"
	e2e_guest_script "$E2E_TMP/q.sh" GW=10.0.2.2 CTRL_PORT="$CTRL_PORT" A="${LEASE[a]}" B="${LEASE[b]}" <<'GUEST'
dhcp eth0 lease
host_do gone
obs ping_a "$(ping_count "$A")"
obs ping_b "$(ping_count "$B")"
host_do pinged
GUEST
	e2e_guest_run q "vde,id=n0,sock=$DIR/lab.vde" "mac=52:54:00:ab:00:0f" "$E2E_TMP/q.sh" >"$E2E_TMP/q.out" 2>&1 &
	QGUEST=$!
fi

## (c) behind the vde_switch

vplug v "vde://$SW" tapv || e2e_not_ok vde-plug-v "no tapv: $(cat "$E2E_TMP/vde_plug.v.log")"
check_lease switch-lease v tapv
check_host switch-reaches-host v
check_ping switch-pings-nic v "${LEASE[a]}"
show=$("$CTL" -d "$DIR" --json show lab 2>&1)
case $show in
*'"uplinks"'*'"url"'*"vde://$SW"*'"state"'*'"up"'*) e2e_ok show-uplink-up ;;
*) e2e_not_ok show-uplink-up "show said: $show" ;;
esac
stats=$("$CTL" -d "$DIR" --json stats lab 2>&1)
case $stats in
*'"lab/uplink-'*'"rx_frames"'*) e2e_ok stats-uplink-port ;;
*) e2e_not_ok stats-uplink-port "stats said: $stats" ;;
esac

## (d) vde_plug on usernet's own VDE endpoint

vplug d "vde://$DIR/lab.vde" tapd || e2e_not_ok vde-plug-d "no tapd: $(cat "$E2E_TMP/vde_plug.d.log")"
check_lease endpoint-lease d tapd
check_host endpoint-reaches-host d
check_ping endpoint-pings-nic d "${LEASE[b]}"

## The vde_switch goes away: the natnet's own NICs keep talking

switch_stop
touch "$E2E_TMP/switch.gone"
e2e_wait_for 10 grep -q "uplink lab/uplink-.* lost" "$LOG"
e2e_bg_stop "${VPLUG[v]}" # it ends with its switch, or now
check_ping nics-while-switch-gone a "${LEASE[b]}"
kill -0 "$DAEMON" 2>/dev/null && e2e_ok daemon-survives-switch || e2e_not_ok daemon-survives-switch "usernetd exited"
show=$("$CTL" -d "$DIR" --json show lab 2>&1)
case $show in
*'"state"'*'"reconnecting"'*) e2e_ok show-uplink-reconnecting ;;
*) e2e_not_ok show-uplink-reconnecting "show said: $show" ;;
esac

## It comes back: v is online again, usernetd never restarted

# The QEMU guest pings a and b now, with the switch still gone.
if [ -n "$QGUEST" ]; then
	guest_pinged() { [ -e "$E2E_TMP/guest.pinged" ] || ! kill -0 "$QGUEST" 2>/dev/null; }
	e2e_wait_for 120 guest_pinged
	wait "$QGUEST"
	q=$(cat "$E2E_TMP/q.out")
	e2e_expect_eq qemu-guest-lease "the QEMU guest's udhcpc" "$(e2e_obs "$q" lease_rc)" 0
	e2e_expect_eq qemu-reaches-a-while-switch-gone "echo replies from a (stream NIC)" "$(e2e_obs "$q" ping_a)" 3
	e2e_expect_eq qemu-reaches-b-while-switch-gone "echo replies from b (dgram NIC)" "$(e2e_obs "$q" ping_b)" 3
	e2e_expect_eq qemu-pinged-before-switch-back "the guest's pinged action" "$(e2e_obs "$q" ctl_pinged)" "done 0"
else
	e2e_skip_check qemu-reaches-nics-while-switch-gone "$QSKIP"
fi
sleep 3
switch_start || e2e_not_ok switch-restart "vde_switch did not start again"
if e2e_wait_for 25 grep -q "uplink lab/uplink-.* back up" "$LOG"; then
	e2e_ok uplink-recovers
else
	e2e_not_ok uplink-recovers "no recovery in the log: $(tail -n 3 "$LOG")"
fi
vplug v "vde://$SW" tapv || e2e_not_ok vde-plug-v-again "no tapv: $(cat "$E2E_TMP/vde_plug.v.log")"
check_lease switch-lease-again v tapv
check_host switch-reaches-host-again v
check_ping switch-pings-nic-again v "${LEASE[a]}"
e2e_expect_eq log-one-loss "uplink loss lines" "$(grep -c "uplink lab/uplink-.* lost" "$LOG")" 1
e2e_expect_eq log-one-recovery "uplink recovery lines" "$(grep -c "uplink lab/uplink-.* back up" "$LOG")" 1

## A second DHCP server behind the vde_switch: dnsmasq in r. usernet's own
## server answers a DISCOVER in front of the switch, so the rogue hears
## only clients on its side: v asks (broadcast flag set, so dnsmasq's
## offer floods through the vde_switch into the uplink) three times, and
## the daemon warns exactly once (at most once a minute).

vplug r "vde://$SW" tapr || e2e_not_ok vde-plug-r "no tapr: $(cat "$E2E_TMP/vde_plug.r.log")"
ip -n "${NS[r]}" addr add 10.0.2.250/24 dev tapr
e2e_bg "$E2E_TMP/dnsmasq.out" ip netns exec "${NS[r]}" dnsmasq --keep-in-foreground \
	--conf-file=/dev/null --no-resolv --no-hosts --no-poll --user=root --port=0 \
	--interface=tapr --bind-interfaces --pid-file= --no-ping \
	--dhcp-leasefile="$E2E_TMP/dnsmasq.leases" \
	--dhcp-range=10.0.2.200,10.0.2.210,255.255.255.0,5m \
	--log-dhcp --log-facility="$E2E_TMP/dnsmasq.log"
ROGUE=$E2E_BG_PID
e2e_wait_for 5 grep -q "DHCP, sockets bound" "$E2E_TMP/dnsmasq.log" 2>/dev/null
for i in 1 2 3; do
	timeout 10 ip netns exec "${NS[v]}" busybox udhcpc -i tapv -B -f -q -n -t 2 -T 1 \
		-s /bin/true >>"$E2E_TMP/udhcpc.rogue.log" 2>&1
done
UPORT=$("$CTL" -d "$DIR" --json show lab 2>/dev/null | python3 -c '
import json, sys
def walk(o):
    if isinstance(o, dict):
        if "uplinks" in o: return o["uplinks"][0]["port"]
        o = list(o.values())
    if isinstance(o, list):
        for v in o:
            r = walk(v)
            if r: return r
print(walk(json.load(sys.stdin)) or "")')
e2e_wait_for 5 grep -q "another DHCP server answers" "$LOG"
n=$(grep -c "DHCPOFFER" "$E2E_TMP/dnsmasq.log" 2>/dev/null)
[ "${n:-0}" -ge 2 ] && e2e_ok rogue-dhcp-answers ||
	e2e_not_ok rogue-dhcp-answers "dnsmasq offered ${n:-0} times: $(tail -n 3 "$E2E_TMP/dnsmasq.log" "$E2E_TMP/dnsmasq.out")"
WARN="network 'lab': another DHCP server answers on this segment (10.0.2.250, through $UPORT); two servers hand out clashing leases: set dhcp=off on all networks of the segment but one"
e2e_expect_eq rogue-dhcp-warned-once "warnings with the exact text" "$(grep -cF "$WARN" "$LOG")" 1
e2e_expect_eq rogue-dhcp-no-other-warning "foreign-DHCP warnings in all" \
	"$(grep -c "another DHCP server answers" "$LOG")" 1
e2e_bg_stop "$ROGUE"

e2e_bg_stop "$DAEMON"
grep -q "Sanitizer" "$LOG" "$E2E_TMP/optional.log" &&
	e2e_not_ok sanitizer-clean "$(grep -h -m1 Sanitizer "$LOG" "$E2E_TMP/optional.log")" ||
	e2e_ok sanitizer-clean

e2e_finish
