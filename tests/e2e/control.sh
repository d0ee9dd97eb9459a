#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# control.sh - the control socket and usernetctl against a running daemon,
# with a network namespace as the guest.
# Owns: list, show, stats, net add, net rm as usernetctl shows them; a
#   natnet added at run time that a guest joins and gets a lease from;
#   stats counting the frames the guest sent; malformed requests each
#   answered with their own error; a too-large line and idle clients
#   dropped while the daemon keeps serving. Not here: forwards and
#   captures (fwd_capture.sh), the protocol's exact messages (unit
#   test_control.c).
#
# How it works
# usernetd serves natnet:lab with a short idle timeout
# (USERNET_CONTROL_IDLE_S=2). `usernetctl net add natnet:run,...` makes a
# second network; a namespace's tap0 is plugged into run.stream by
# usernet-plug and busybox udhcpc takes a lease. The namespace pings the
# gateway N times; stats must count at least N frames received and sent on
# its NIC. Raw requests go over the socket with socat.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

e2e_init control
e2e_need ip busybox socat jq

e2e_need_usernet
[ -e /dev/net/tun ] || e2e_cannot_run "no /dev/net/tun"
[ -e "$USERNET_PLUGIN_PATH/natnet.so" ] || e2e_cannot_run "no natnet plugin in $USERNET_PLUGIN_PATH"

NS=un-ctl-$$
MAC=52:54:00:c0:00:01
PINGS=5
run=$(e2e_user_dir)
DIR=$run/usernet
SOCK=$DIR/control

ctl() { "$CTL" -d "$DIR" "$@"; }
# raw LINE...: the reply lines to these request lines, one connection.
raw() { printf '%s\n' "$@" | socat -t 2 - "UNIX-CONNECT:$SOCK"; }
# expect NAME CMD...: CMD must succeed; its output in $OUT.
expect() {
	local name=$1
	shift
	if OUT=$("$@" 2>&1); then e2e_ok "$name"; else e2e_not_ok "$name" "exit $?: $OUT"; fi
}

e2e_bg "$run/usernetd.log" env USERNET_CONTROL_IDLE_S=2 "$USERNETD" -v -d "$DIR" -n natnet:lab
DAEMON=$E2E_BG_PID
e2e_wait_for 20 grep -q "^usernetd: control socket $SOCK\$" "$run/usernetd.log" ||
	e2e_cannot_run "usernetd did not get ready: $(tail -n 5 "$run/usernetd.log")"
e2e_netns_add "$NS"

## The socket and the start-up lines

e2e_expect_eq socket-mode "mode of $SOCK" "$(stat -c %a "$SOCK")" 600
e2e_expect_eq socket-announced-once "control socket lines" \
	"$(grep -c 'control socket' "$run/usernetd.log")" 1

## list and show

expect list ctl list
if grep -Eq '^lab +natnet +10\.0\.2\.0/24 +0 +vde stream dgram tap$' <<<"$OUT"; then
	e2e_ok list-row
else
	e2e_not_ok list-row "no row for lab: $OUT"
fi
expect list-json ctl --json list
e2e_expect_eq list-json-stream "lab's stream option" \
	"$(jq -r '.networks[0].endpoints[] | select(.transport == "stream") | .qemu' <<<"$OUT")" \
	"-netdev stream,id=n0,server=off,addr.type=unix,addr.path=$DIR/lab.stream"
expect show ctl show lab
grep -q '^lab (natnet), mtu 1500, created ' <<<"$OUT" && e2e_ok show-header ||
	e2e_not_ok show-header "$OUT"

## net add: a natnet at run time, joined by a namespace guest

expect net-add ctl net add natnet:run,net=10.7.0.0/24,mtu=1400
grep -q '^run (natnet) added$' <<<"$OUT" && e2e_ok net-add-said || e2e_not_ok net-add-said "$OUT"
[ -S "$DIR/run.stream" ] && [ -S "$DIR/run.vde/ctl" ] && e2e_ok net-add-endpoints ||
	e2e_not_ok net-add-endpoints "$(ls "$DIR")"
grep -q '^usernetd: run (natnet) ready$' "$run/usernetd.log" && e2e_ok net-add-ready-line ||
	e2e_not_ok net-add-ready-line "no ready line in the log"
expect list-after-add ctl list
grep -Eq '^run +natnet +10\.7\.0\.0/24 +0 ' <<<"$OUT" && e2e_ok list-shows-run || e2e_not_ok list-shows-run "$OUT"

cat >"$E2E_TMP/hook.sh" <<'EOF'
#!/bin/sh
case "$1" in
deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
bound | renew)
	ip addr add "$ip/$mask" dev "$interface"
	echo "ip=$ip" >"$LEASE_OUT"
	;;
esac
exit 0
EOF
chmod 0755 "$E2E_TMP/hook.sh"

e2e_bg "$E2E_TMP/plug.log" "$PLUG" --tap tap0 --netns "$NS" "$DIR/run.stream"
PLUG_PID=$E2E_BG_PID
if ! e2e_wait_for 5 ip -n "$NS" link show tap0 >/dev/null 2>&1; then
	e2e_not_ok plug "no tap0: $(cat "$E2E_TMP/plug.log")"
	e2e_finish
fi
ip -n "$NS" link set tap0 address "$MAC"
ip -n "$NS" link set tap0 up
LEASE_OUT=$E2E_TMP/lease timeout 30 ip netns exec "$NS" busybox udhcpc -i tap0 -f -q -n \
	-t 3 -T 2 -s "$E2E_TMP/hook.sh" >"$E2E_TMP/udhcpc.log" 2>&1
e2e_expect_eq lease-on-added-net "the guest's lease" \
	"$(sed -n 's/^ip=//p' "$E2E_TMP/lease" 2>/dev/null)" 10.7.0.15

expect show-nic ctl --json show run
e2e_expect_eq show-nic-count "NICs on run" "$(jq '.nics | length' <<<"$OUT")" 1
e2e_expect_eq show-nic-mac "the NIC's MAC" "$(jq -r '.nics[0].mac' <<<"$OUT")" "$MAC"
e2e_expect_eq show-nic-transport "the NIC's transport" "$(jq -r '.nics[0].transport' <<<"$OUT")" stream
e2e_expect_eq show-nic-ip "the NIC's address" "$(jq -r '.nics[0].ip // empty' <<<"$OUT")" 10.7.0.15
NIC=$(jq -r '.nics[0].name' <<<"$OUT")
expect show-table ctl show run
grep -q "$MAC" <<<"$OUT" && e2e_ok show-table-mac || e2e_not_ok show-table-mac "$OUT"

## stats counts what the guest sent

counter() { ctl --json stats run | jq ".networks[0].nics[] | select(.name == \"$NIC\") | .$1"; }
rx0=$(counter rx_frames)
tx0=$(counter tx_frames)
if ip netns exec "$NS" busybox ping -c "$PINGS" -W 2 10.7.0.2 >"$E2E_TMP/ping.log" 2>&1; then
	e2e_ok ping-gateway
else
	e2e_not_ok ping-gateway "$(tail -n 2 "$E2E_TMP/ping.log")"
fi
rx1=$(counter rx_frames)
tx1=$(counter tx_frames)
if [ -n "$rx0" ] && [ $((rx1 - rx0)) -ge "$PINGS" ] && [ $((tx1 - tx0)) -ge "$PINGS" ]; then
	e2e_ok stats-count-pings
else
	e2e_not_ok stats-count-pings "rx $rx0 -> $rx1, tx $tx0 -> $tx1 after $PINGS pings"
fi
expect stats-table ctl stats
grep -Eq "^run +$NIC +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +0\$" <<<"$OUT" && e2e_ok stats-row ||
	e2e_not_ok stats-row "$OUT"

## Malformed requests: each its own reply, in order, on one connection

codes=$(raw 'not json' '[1]' '{}' '{"command": 7}' '{"command": "reboot"}' \
	'{"command": "show"}' '{"command": "show", "network": "nope"}' \
	'{"command": "net-add", "spec": "natnet:x,colour=red"}' \
	'{"command": "net-add", "spec": "natnet:run"}' \
	'{"command": "net-remove", "network": "nope"}' '{"id": 9, "command": "list"}' |
	jq -r 'if .ok then "ok:\(.id)" else .error.code end' | tr '\n' ' ')
e2e_expect_eq malformed-each-answered "reply codes" "$codes" \
	"bad-request bad-request bad-request bad-request unknown-command bad-request not-found config busy not-found ok:9 "

## Many clients at once

pids=()
for i in $(seq 20); do
	raw "{\"id\": $i, \"command\": \"list\"}" >"$E2E_TMP/many.$i" &
	pids+=($!)
done
wait "${pids[@]}"
n=$(cat "$E2E_TMP"/many.* | jq -r 'select(.ok) | .id' | sort -n | tr '\n' ' ')
e2e_expect_eq many-clients "answered ids" "$n" "$(seq 20 | tr '\n' ' ')"

## A line over 64 KiB: too-large, then the connection closes

# held SECONDS OUTFILE: socat on the control socket with stdin as it is;
# prints how long the daemon kept the connection (stdin stays open longer).
held() {
	local start=$(date +%s)
	timeout 35 socat -t 1 - "UNIX-CONNECT:$SOCK" >"$1" 2>/dev/null
	echo $(($(date +%s) - start))
}

took=$({ head -c 71680 /dev/zero | tr '\0' x; echo; sleep 12; } | held "$E2E_TMP/large.out")
e2e_expect_eq too-large-code "reply" "$(jq -r .error.code "$E2E_TMP/large.out")" too-large
[ "$took" -lt 10 ] && e2e_ok too-large-closed || e2e_not_ok too-large-closed "connection open for ${took}s"

## Silent and half-line clients are dropped; the daemon serves meanwhile

(sleep 12 | held "$E2E_TMP/silent.out" >"$E2E_TMP/silent.s") &
pids=($!)
({ printf '{"comm'; sleep 12; } | held "$E2E_TMP/half.out" >"$E2E_TMP/half.s") &
pids+=($!)
sleep 0.5
expect serves-while-idle-clients ctl list
ip netns exec "$NS" busybox ping -c 1 -W 2 10.7.0.2 >/dev/null 2>&1 && e2e_ok ping-while-idle-clients ||
	e2e_not_ok ping-while-idle-clients "no reply from the gateway"
e2e_wait_for 10 test -s "$E2E_TMP/silent.s" -a -s "$E2E_TMP/half.s"
s=$(cat "$E2E_TMP/silent.s")
h=$(cat "$E2E_TMP/half.s")
[ -n "$s" ] && [ "$s" -lt 10 ] && e2e_ok silent-client-dropped || e2e_not_ok silent-client-dropped "kept ${s:-over 10 }s"
[ -n "$h" ] && [ "$h" -lt 10 ] && e2e_ok half-line-client-dropped || e2e_not_ok half-line-client-dropped "kept ${h:-over 10 }s"
grep -q 'sent no complete request for 2 s; dropped' "$run/usernetd.log" && e2e_ok idle-logged ||
	e2e_not_ok idle-logged "no drop line in the log"

## usernetctl's own errors

ctl show nope >/dev/null 2>"$E2E_TMP/err"
rc=$?
e2e_expect_eq ctl-error-exit "exit status" "$rc" 1
grep -q "no network named 'nope'" "$E2E_TMP/err" && e2e_ok ctl-error-message || e2e_not_ok ctl-error-message "$(cat "$E2E_TMP/err")"
ctl show >/dev/null 2>&1
e2e_expect_eq ctl-usage-exit "exit status" "$?" 2
"$CTL" --help | grep -q 'net add SPEC' && e2e_ok ctl-help || e2e_not_ok ctl-help "no command list"

## net rm: endpoints vanish, the NIC is detached

expect net-rm ctl net rm run
[ ! -e "$DIR/run.stream" ] && [ ! -e "$DIR/run.vde" ] && e2e_ok net-rm-endpoints-gone ||
	e2e_not_ok net-rm-endpoints-gone "$(ls "$DIR")"
e2e_wait_for 5 sh -c "! kill -0 $PLUG_PID 2>/dev/null" && e2e_ok net-rm-plug-detached ||
	e2e_not_ok net-rm-plug-detached "usernet-plug still connected"
expect list-after-rm ctl list
grep -q '^run ' <<<"$OUT" && e2e_not_ok net-rm-listed "$OUT" || e2e_ok net-rm-listed

## Shutdown removes the socket

kill -0 "$DAEMON" && e2e_ok daemon-alive || e2e_not_ok daemon-alive "usernetd exited"
e2e_bg_stop "$DAEMON"
[ ! -e "$SOCK" ] && e2e_ok socket-removed || e2e_not_ok socket-removed "$SOCK left"
if grep -q 'ERROR: AddressSanitizer\|runtime error' "$run/usernetd.log"; then
	e2e_not_ok sanitizers "$(grep -m1 'AddressSanitizer\|runtime error' "$run/usernetd.log")"
else
	e2e_ok sanitizers
fi

e2e_finish
