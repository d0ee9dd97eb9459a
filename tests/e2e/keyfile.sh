#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# keyfile.sh - usernetd -c FILE: one key file defining a network of each
# kind, loaded and exercised, and a table of bad files.
# Owns: what a key file gives a user: every group becomes a network with
#   its endpoints and its ready line; natnet and internal carry a namespace
#   guest's traffic; each bad file is refused with its own message naming
#   FILE:[KIND:NAME]: KEY. Not here: each kind's behaviour (natnet.sh,
#   hostonly.sh, internal.sh, nat.sh), SPEC syntax (daemon_cli.sh).
#
# How it works
# usernetd runs in namespace NS with lab.conf: nat:n1 (a hostfwd),
# natnet:nn (net 10.7.0.0/24), hostonly:ho, internal:in (DHCP on its own
# range); repeatable keys are one GLib list (a;b). Namespace guests plug
# in with usernet-plug: one on nn gets a lease and pings the gateway; two
# on in get leases and ping each other.
# Then each bad file is started in NS and must exit non-zero printing its
# expected error; a port held by socat stands for "already in use".
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_init keyfile
e2e_need socat ip ss busybox

e2e_need_usernet natnet hostonly internal

NS=un-kf-$$
BASE=$((20000 + ($$ % 1000) * 10 + 8))
FWD_PORT=$BASE
BUSY_PORT=$((BASE + 1))
declare -A MAC
MAC=([g1]=52:54:00:4b:00:01 [i1]=52:54:00:4b:00:02 [i2]=52:54:00:4b:00:03)

e2e_netns_add "$NS"
for g in g1 i1 i2; do e2e_netns_add "$NS-$g"; done
run=$(e2e_user_dir)
DIR=$run/usernet
CONF=$E2E_TMP/lab.conf
cat >"$CONF" <<EOF
# one network of each kind
[nat:n1]
hostfwd=tcp::$FWD_PORT-:22

[natnet:nn]
net=10.7.0.0/24
dhcpstart=10.7.0.100

[hostonly:ho]

[internal:in]
net=192.168.77.0/24
dhcp=on
dhcp-range=192.168.77.10-192.168.77.20
EOF

e2e_bg "$run/usernetd.log" ip netns exec "$NS" "$USERNETD" -v -d "$DIR" -c "$CONF"
DAEMON=$E2E_BG_PID
all_ready() {
	grep -q 'usernetd: n1 (nat) ready' "$1" && grep -q 'usernetd: nn (natnet) ready' "$1" &&
		grep -q 'usernetd: ho (hostonly) ready' "$1" && grep -q 'usernetd: in (internal) ready' "$1"
}
e2e_wait_for 20 all_ready "$run/usernetd.log" ||
	e2e_cannot_run "usernetd did not get ready: $(tail -n 5 "$run/usernetd.log")"

## Every group is a network with its endpoints

for k in nat:n1 natnet:nn hostonly:ho internal:in; do
	n=${k#*:}
	if grep -q "usernetd: $n (${k%%:*}) ready" "$run/usernetd.log" &&
		[ -S "$DIR/$n.stream" ] && [ -S "$DIR/$n.dgram" ] && [ -S "$DIR/$n.vde/ctl" ]; then
		e2e_ok "endpoints-$n"
	else
		e2e_not_ok "endpoints-$n" "ready line or endpoint missing: $(ls -R "$DIR" | tr '\n' ' ')"
	fi
done
if e2e_listening "$NS" tcp 127.0.0.1 "$FWD_PORT"; then e2e_ok nat-hostfwd-bound; else
	e2e_not_ok nat-hostfwd-bound "nothing listens on 127.0.0.1:$FWD_PORT in $NS"; fi

## natnet and internal carry a namespace guest's traffic

e2e_udhcpc_ip_hook "$E2E_TMP/hook.sh"
attach() {
	e2e_bg "$E2E_TMP/plug.$1.log" "$PLUG" --tap tap0 --netns "$NS-$1" "$DIR/$2.stream"
	e2e_wait_for 5 ip -n "$NS-$1" link show tap0 >/dev/null 2>&1 || return 1
	ip -n "$NS-$1" link set tap0 address "${MAC[$1]}" && ip -n "$NS-$1" link set tap0 up
}
lease() {
	LEASE_OUT=$E2E_TMP/lease.$1 timeout 30 ip netns exec "$NS-$1" busybox udhcpc -i tap0 \
		-f -q -n -t 5 -T 2 -s "$E2E_TMP/hook.sh" >"$E2E_TMP/udhcpc.$1.log" 2>&1
	cat "$E2E_TMP/lease.$1" 2>/dev/null
}
pings() {
	ip netns exec "$NS-$1" busybox ping -c 3 -W 2 -w 8 "$2" 2>/dev/null |
		sed -n 's/.* \([0-9]*\) packets received.*/\1/p'
}

attach g1 nn && attach i1 in && attach i2 in || e2e_cannot_run "usernet-plug failed: $(cat "$E2E_TMP"/plug.*.log)"
e2e_expect_eq natnet-lease "g1's address on nn" "$(lease g1)" 10.7.0.100
e2e_expect_eq natnet-ping-gateway "g1's ping replies from 10.7.0.2" "$(pings g1 10.7.0.2)" 3
i1=$(lease i1)
i2=$(lease i2)
if [ -n "$i1" ] && [ -n "$i2" ] && [ "$i1" != "$i2" ] &&
	[ "${i1%.*}" = 192.168.77 ] && [ "${i2%.*}" = 192.168.77 ]; then
	e2e_ok internal-leases
else
	e2e_not_ok internal-leases "i1 '$i1', i2 '$i2', expected two from 192.168.77.10-20"
fi
e2e_expect_eq internal-ping "i1's ping replies from i2" "$(pings i1 "$i2")" 3
if kill -0 "$DAEMON" 2>/dev/null; then e2e_ok daemon-alive; else
	e2e_not_ok daemon-alive "usernetd exited: $(tail -n 3 "$run/usernetd.log")"; fi

## Bad files, each with its own error

e2e_bg "$E2E_TMP/busy.out" ip netns exec "$NS" socat "TCP-LISTEN:$BUSY_PORT,bind=127.0.0.1,reuseaddr,fork" "SYSTEM:true"
e2e_wait_for 5 e2e_listening "$NS" tcp 127.0.0.1 "$BUSY_PORT"

# bad NAME EXTRA_ARGS WANT: the file on stdin (as $E2E_TMP/NAME.conf) is
# refused: usernetd exits non-zero, printing WANT (FILE stands for its path).
bad() {
	local name=$1 extra=$2 f=$E2E_TMP/$1.conf out rc want
	cat >"$f"
	want=${3//FILE/$f}
	# shellcheck disable=SC2086 # EXTRA_ARGS are words
	out=$(ip netns exec "$NS" timeout 10 "$USERNETD" -d "$run/bad.$name" -c "$f" $extra 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then
		e2e_not_ok "bad-$name" "usernetd exited $rc (accepted the file)"
	elif [[ $out != *"$want"* ]]; then
		e2e_not_ok "bad-$name" "said '$out', expected '$want'"
	elif [[ $out == *AddressSanitizer* || $out == *"runtime error"* ]]; then
		e2e_not_ok "bad-$name" "sanitizer: $out"
	else
		e2e_ok "bad-$name"
	fi
}

bad unknown-key "" "usernetd: error: FILE:[natnet:a]: bogus: unknown key for kind natnet (known: " <<'EOF'
[natnet:a]
bogus=1
EOF
bad unknown-key-internal "" "FILE:[internal:b]: hostfwd: unknown key for kind internal" <<'EOF'
[internal:b]
hostfwd=tcp::2222-10.0.2.15:22
EOF
bad bad-address "" "FILE:[natnet:a]: net: '10.0.2.300' is not an IPv4 address; write net=ADDR[/LEN], for example net=10.0.2.0/24" <<'EOF'
[natnet:a]
net=10.0.2.300/24
EOF
bad reservation-outside "" "FILE:[natnet:a]: dhcp-host: '52:54:00:00:00:01,10.9.9.9': 10.9.9.9 is outside 10.0.2.0/24; pick an address inside net" <<'EOF'
[natnet:a]
dhcp-host=52:54:00:00:00:01,10.9.9.9
EOF
bad reservation-outside-hostonly "" "FILE:[hostonly:h]: dhcp-host: '52:54:00:00:00:01,10.0.2.15': 10.0.2.15 is outside 192.168.56.0/24; pick an address inside net" <<'EOF'
[hostonly:h]
dhcp-host=52:54:00:00:00:01,10.0.2.15
EOF
bad same-name "-n natnet:a" "usernetd: error: --net 'natnet:a': a network named 'a' is already defined by FILE:[natnet:a]; give each network its own name" <<'EOF'
[natnet:a]
EOF
bad hostfwd-no-guest "" "FILE:[natnet:a]: hostfwd: 'tcp::2222-:22' has no guest address; on a shared network write it, e.g. tcp::2222-10.0.2.15:22" <<'EOF'
[natnet:a]
hostfwd=tcp::2222-:22
EOF
bad hostfwd-no-guest-hostonly "" "FILE:[hostonly:h]: hostfwd: 'tcp::2222-:22' has no guest address; on a shared network write it, e.g. tcp::2222-192.168.56.101:22" <<'EOF'
[hostonly:h]
hostfwd=tcp::2222-:22
EOF
bad portfwd-no-guest "" "FILE:[natnet:a]: portfwd: 'ssh:tcp:[]:2222:[]:22': no guest IP; on a shared network write it, e.g. ssh:tcp:[]:2222:[10.0.2.15]:22" <<'EOF'
[natnet:a]
portfwd=ssh:tcp:[]:2222:[]:22
EOF
bad portfwd-same-name "" "FILE:[hostonly:h]: portfwd: 'ssh:tcp:[]:2223:[192.168.56.9]:22': name 'ssh' is already used by 'ssh:tcp:[]:2222:[192.168.56.8]:22'; give each rule its own NAME" <<'EOF'
[hostonly:h]
portfwd=ssh:tcp:[]:2222:[192.168.56.8]:22;ssh:tcp:[]:2223:[192.168.56.9]:22
EOF
bad port-in-use "" "hostfwd tcp::$BUSY_PORT-10.0.2.15:22: 127.0.0.1:$BUSY_PORT is in use; pick another host port or stop what holds it" <<EOF
[natnet:a]
hostfwd=tcp::$BUSY_PORT-10.0.2.15:22
EOF
bad port-in-use-portfwd "" "127.0.0.1:$BUSY_PORT is in use; pick another host port or stop what holds it" <<EOF
[hostonly:h]
portfwd=web:tcp:[]:$BUSY_PORT:[192.168.56.8]:80
EOF

if kill -0 "$DAEMON" 2>/dev/null; then e2e_ok daemon-undisturbed; else
	e2e_not_ok daemon-undisturbed "the running usernetd exited"; fi
# The daemon stops cleanly: nothing from the sanitizers (ASan/UBSan builds).
e2e_bg_stop "$DAEMON"
if grep -qE 'Sanitizer|runtime error' "$run/usernetd.log"; then
	e2e_not_ok daemon-clean-exit "$(grep -m3 -E 'Sanitizer|runtime error' "$run/usernetd.log" | tr '\n' ' ')"
else
	e2e_ok daemon-clean-exit
fi
e2e_finish
