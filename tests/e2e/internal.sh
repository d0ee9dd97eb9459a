#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# internal.sh - the internal kind end to end, with namespaces as guests
# joined by usernet-plug over each endpoint.
# Owns: the internal checks and usernet-plug's own (endpoints, --netns,
#   --mtu, exit codes). Not here: namespaces, teardown, reporting (lib.sh).
#
# How it works
# usernetd serves internal:lab (plus listen= on loopback for the tcp
# endpoint). Namespace guests get static addresses in 10.77.0.0/24:
#   a (stream endpoint, --mtu 1400) and b (vde): two NICs, a plain wire;
#   ping, then 4 MiB over TCP, sha256 compared.
#   c (dgram) joins: three NICs, a switch; pings between all, 4 MiB c->a,
#   and a->b unicast must not flood to c (learning).
#   d (tcp endpoint, usernet-plug run outside d with --netns) joins: ping.
# Isolation: no gateway answers (ARP for .254 fails, a default route via it
# reaches nothing), each guest's neighbours are only the other guests'
# taps, and usernetd holds no inet socket but its loopback listener.
# Last, usernet-plug ends 0 on SIGTERM, and 1 with a message on every
# endpoint when usernetd stops.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

e2e_init internal
e2e_need ip ss socat busybox sha256sum

e2e_need_usernet

TCP_PORT=${E2E_TCP_PORT:-10977}
DATA_PORT=5001
BULK=4M
NET=10.77.0
declare -A NS ADDR PLUG_PID
for g in a b c d; do NS[$g]=un-int-$$-$g; done
ADDR=([a]=$NET.1 [b]=$NET.2 [c]=$NET.3 [d]=$NET.4)

run=$(e2e_user_dir)
DIR=$run/usernet

## Helpers

# in_ns GUEST COMMAND...: run COMMAND in GUEST's namespace.
in_ns() {
	local g=$1
	shift
	ip netns exec "${NS[$g]}" "$@"
}

# plug GUEST ARGS...: usernet-plug with ARGS, log in plug.GUEST.log.
plug() {
	local g=$1
	shift
	e2e_bg "$E2E_TMP/plug.$g.log" "$PLUG" -v "$@"
	PLUG_PID[$g]=$E2E_BG_PID
}

# guest_up GUEST: wait for its tap0, bring it up with its address.
guest_up() {
	local g=$1
	if ! e2e_wait_for 5 ip -n "${NS[$g]}" link show tap0 >/dev/null 2>&1; then
		e2e_not_ok "tap-$g" "no tap0 in ${NS[$g]}: $(cat "$E2E_TMP/plug.$g.log")"
		return 1
	fi
	ip -n "${NS[$g]}" addr add "${ADDR[$g]}/24" dev tap0
	ip -n "${NS[$g]}" link set tap0 up
}

# check_ping NAME FROM TO: FROM gets an answer from TO's address.
check_ping() {
	if in_ns "$2" busybox ping -q -c 3 -w 10 "${ADDR[$3]}" >"$E2E_TMP/ping.$2$3" 2>&1; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1" "$(tail -n 2 "$E2E_TMP/ping.$2$3" | tr '\n' ' ')"
	fi
}

# check_bulk NAME FROM TO: BULK bytes over TCP from FROM to TO, sha256 compared.
check_bulk() {
	local name=$1 from=$2 to=$3 out=$E2E_TMP/bulk.$2$3.rx pid
	e2e_bg "$E2E_TMP/bulk.$from$to.srv" ip netns exec "${NS[$to]}" socat -u \
		"TCP-LISTEN:$DATA_PORT,bind=${ADDR[$to]},reuseaddr" "CREATE:$out"
	pid=$E2E_BG_PID
	if ! e2e_wait_for 5 e2e_listening "${NS[$to]}" tcp "${ADDR[$to]}" "$DATA_PORT"; then
		e2e_not_ok "$name" "socat did not listen in ${NS[$to]}"
		return
	fi
	timeout 60 ip netns exec "${NS[$from]}" socat -u "OPEN:$E2E_TMP/bulk.bin" \
		"TCP:${ADDR[$to]}:$DATA_PORT" 2>"$E2E_TMP/bulk.$from$to.cli"
	e2e_wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
	e2e_expect_eq "$name" "sha256 of what ${ADDR[$to]} got" \
		"$(e2e_sha256 "$out")" "$(e2e_sha256 "$E2E_TMP/bulk.bin")"
	e2e_bg_stop "$pid"
}

rx_bytes() { in_ns "$1" cat /sys/class/net/tap0/statistics/rx_bytes; }

## Refusals at start

out=$("$USERNETD" -d "$run/refused" -n internal:x,dhcp=on 2>&1)
case $out in
*"--net 'internal:x,dhcp=on': dhcp: on needs a range: add dhcp-range=FIRST-LAST"*) e2e_ok refuse-dhcp ;;
*) e2e_not_ok refuse-dhcp "usernetd said: $out" ;;
esac
out=$("$USERNETD" -d "$run/refused" -n internal:x,hostfwd=tcp::2222-:22 2>&1)
case $out in
*"hostfwd: unknown key for kind internal"*) e2e_ok refuse-hostfwd ;;
*) e2e_not_ok refuse-hostfwd "usernetd said: $out" ;;
esac
out=$("$PLUG" --help 2>&1)
case $out in *"--netns"*"tcp:HOST:PORT"*) e2e_ok plug-help ;; *) e2e_not_ok plug-help "$out" ;; esac
"$PLUG" /nonexistent/lab.stream >"$E2E_TMP/plug.bad" 2>&1
e2e_expect_eq plug-no-endpoint "exit status" "$?" 1

## The daemon and two guests: a wire

e2e_bg "$run/usernetd.log" "$USERNETD" -d "$DIR" -n "internal:lab,listen=127.0.0.1:$TCP_PORT"
DAEMON=$E2E_BG_PID
e2e_wait_for 20 grep -q "usernetd: lab (internal) ready" "$run/usernetd.log" ||
	e2e_cannot_run "usernetd did not get ready: $(tail -n 5 "$run/usernetd.log")"

for g in a b c d; do e2e_netns_add "${NS[$g]}"; done
e2e_random_file "$E2E_TMP/bulk.bin" "$BULK"

plug a --tap tap0 --mtu 1400 --netns "${NS[a]}" "$DIR/lab.stream"
e2e_bg "$E2E_TMP/plug.b.log" ip netns exec "${NS[b]}" "$PLUG" -v --tap tap0 "vde://$DIR/lab.vde"
PLUG_PID[b]=$E2E_BG_PID
guest_up a && guest_up b || e2e_finish
e2e_expect_eq plug-mtu "tap0 mtu in ${NS[a]}" \
	"$(ip -n "${NS[a]}" -o link show tap0 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')" 1400

check_ping wire-ping-ab a b
check_ping wire-ping-ba b a
check_bulk wire-bulk-ab a b

## A third guest over dgram: a switch

e2e_bg "$E2E_TMP/plug.c.log" ip netns exec "${NS[c]}" "$PLUG" -v --tap tap0 "dgram:$DIR/lab.dgram"
PLUG_PID[c]=$E2E_BG_PID
guest_up c || e2e_finish
check_ping switch-ping-ca c a
check_ping switch-ping-cb c b
check_ping switch-ping-ac a c
check_bulk switch-bulk-ca c a
before=$(rx_bytes c)
check_bulk switch-bulk-ab a b
flooded=$(($(rx_bytes c) - before))
if [ "$flooded" -lt 1000000 ]; then
	e2e_ok switch-learns
else
	e2e_not_ok switch-learns "c's tap got $flooded bytes of a->b unicast traffic"
fi

## A fourth over tcp, its plug outside the namespace (--netns)

plug d --tap tap0 --netns "/run/netns/${NS[d]}" "tcp:127.0.0.1:$TCP_PORT"
guest_up d || e2e_finish
check_ping tcp-ping-da d a
check_ping tcp-ping-bd b d

## Nothing else is there

in_ns a ip route add default via "$NET.254"
in_ns a busybox ping -q -c 2 -w 3 "$NET.254" >/dev/null 2>&1 &&
	e2e_not_ok isolated-no-gateway "something answers at $NET.254" || e2e_ok isolated-no-gateway
in_ns a timeout 5 socat -u - TCP:10.0.2.2:22,connect-timeout=3 </dev/null >/dev/null 2>&1 &&
	e2e_not_ok isolated-no-host "a TCP connection to 10.0.2.2 (nat's host) succeeded" ||
	e2e_ok isolated-no-host
macs=" "
for g in a b c d; do macs+="$(ip -n "${NS[$g]}" -o link show tap0 | sed -n 's/.*link\/ether \([0-9a-f:]*\) .*/\1/p') "; done
strangers=""
for g in a b c d; do
	for m in $(ip -n "${NS[$g]}" neigh show dev tap0 | sed -n 's/.* lladdr \([0-9a-f:]*\).*/\1/p'); do
		case $macs in *" $m "*) ;; *) strangers+=" $g:$m" ;; esac
	done
done
[ -z "$strangers" ] && e2e_ok isolated-neighbours ||
	e2e_not_ok isolated-neighbours "neighbours that are no guest's tap:$strangers"
inet=$(ss -H -tuanp | grep "pid=$DAEMON," | grep -v "127.0.0.1:$TCP_PORT" || true)
[ -z "$inet" ] && e2e_ok isolated-no-inet-sockets ||
	e2e_not_ok isolated-no-inet-sockets "usernetd holds: $inet"

## Unprivileged: usernetd and usernet-plug as nobody, the plug in unshare -rn

# A private mount namespace gets a /dev/net/tun of mode 0666, as
# distributions ship it (containers often have 0600); nothing else changes.
unpriv_plug() { # DIR: as nobody, in a new user+network namespace
	cat >"$E2E_TMP/unpriv.sh" <<EOF
"$PLUG" -v --tap tap0 --mtu 1400 "\$1/solo.stream" 2>"\$1/../unpriv.plug" &
pid=\$!
for i in \$(seq 50); do ip link show tap0 >/dev/null 2>&1 && break; sleep 0.1; done
ip link set tap0 up && ip addr add $NET.101/24 dev tap0 &&
	busybox ping -q -c 3 -w 10 $NET.102
rc=\$?
kill \$pid
wait \$pid
exit \$rc
EOF
	unshare -m sh -c 'mount -t tmpfs -o mode=0755 none /dev/net &&
		mknod -m 0666 /dev/net/tun c 10 200 &&
		exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
			unshare -rn sh "$1" "$2"' sh "$E2E_TMP/unpriv.sh" "$1"
}

if setpriv --reuid=nobody --regid=nogroup --clear-groups -- unshare -rn true 2>/dev/null; then
	E2E_USER=nobody
	urun=$(e2e_user_dir)
	e2e_prefix
	e2e_bg "$urun/usernetd.log" "${E2E_PRE[@]}" env USERNET_PLUGIN_PATH="$USERNET_PLUGIN_PATH" \
		"$USERNETD" -d "$urun/usernet" -n internal:solo
	UDAEMON=$E2E_BG_PID
	E2E_USER=
	NS[e]=${NS[a]}-e
	ADDR[e]=$NET.102
	e2e_netns_add "${NS[e]}"
	if e2e_wait_for 20 grep -q "usernetd: solo (internal) ready" "$urun/usernetd.log"; then
		e2e_bg "$E2E_TMP/plug.e.log" ip netns exec "${NS[e]}" "$PLUG" -v "dgram:$urun/usernet/solo.dgram"
		PLUG_PID[e]=$E2E_BG_PID
		guest_up e
		if unpriv_plug "$urun/usernet" >"$E2E_TMP/unpriv.out" 2>&1; then
			e2e_ok unprivileged-plug
		else
			e2e_not_ok unprivileged-plug "$(tail -n 3 "$E2E_TMP/unpriv.out" "$urun/unpriv.plug" | tr '\n' ' ')"
		fi
		e2e_bg_stop "${PLUG_PID[e]}"
	else
		e2e_not_ok unprivileged-daemon "usernetd as nobody did not get ready: $(tail -n 3 "$urun/usernetd.log")"
	fi
	e2e_bg_stop "$UDAEMON"
else
	e2e_skip_check unprivileged-plug "user namespaces are not allowed here"
fi

## How usernet-plug ends

kill -TERM "${PLUG_PID[d]}"
e2e_expect_exit plug-sigterm-exits-0 "${PLUG_PID[d]}" 0 "" "$E2E_TMP/plug.d.log"
e2e_bg_stop "$DAEMON"
e2e_expect_exit plug-stream-gone "${PLUG_PID[a]}" 1 "went away" "$E2E_TMP/plug.a.log"
e2e_expect_exit plug-vde-gone "${PLUG_PID[b]}" 1 "went away" "$E2E_TMP/plug.b.log"
e2e_expect_exit plug-dgram-gone "${PLUG_PID[c]}" 1 "went away" "$E2E_TMP/plug.c.log"
[ -e "$DIR/.usernet-plug-${PLUG_PID[c]}.dgram" ] &&
	e2e_not_ok plug-dgram-cleanup "its socket is left in $DIR" || e2e_ok plug-dgram-cleanup

for log in "$run/usernetd.log" "${urun:-$run}/usernetd.log" "$E2E_TMP"/plug.*.log; do
	grep -q "Sanitizer" "$log" && e2e_not_ok "sanitizer-clean" "$log: $(grep -m1 Sanitizer "$log")"
done

e2e_finish
