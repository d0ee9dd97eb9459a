#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# fwd_capture.sh - forwards added and removed at run time, and packet
# captures, through usernetctl against real peers.
# Owns: the fwd and capture checks. Not here: booting guests, namespaces
# (lib.sh).
#
# How it works
# One usernetd in a namespace made here serves nat:t and natnet:lab.
# - nat: a capture of t starts before a QEMU guest boots; the guest takes
#   a DHCP lease and serves a token on a TCP port, then asks the host
#   (control server) to act: `fwd add` a rule, fetch the token through it,
#   `show` (the guest's IP as nat learnt it), `fwd rm` it, connect again
#   (refused). tshark reads the capture while it is still open and must
#   see DISCOVER, OFFER, REQUEST, ACK with the guest's MAC.
# - natnet: a namespace guest (usernet-plug, static address) serves a
#   token; `fwd add` a VirtualBox rule with a NAME, fetch the token, a
#   second rule with the same NAME is refused, `fwd rm` by NAME closes the
#   port, removing it again is not-found; a NIC capture sees the traffic.
# - errors: a host port in use, a capture to an unwritable path; the
#   daemon keeps serving (list still answers, the process lives).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_init fwd_capture
e2e_need qemu-system-x86_64 socat ip ss busybox cpio tshark

e2e_need_usernet

NS=un-fc-$$
GNS=un-fc-$$-g
BASE=$((23000 + ($$ % 1000) * 10))
export CTRL_PORT=$BASE FWD_PORT=$((BASE + 1)) NN_PORT=$((BASE + 2)) BUSY_PORT=$((BASE + 3))
export GUEST_PORT=7200 NN_GUEST_PORT=7300 NN_IP=10.0.2.60
export TOKEN=usernet-fwd-$$ NN_TOKEN=usernet-portfwd-$$
GUEST_MAC=52:54:00:12:34:56

guest=$(e2e_guest_dir) || e2e_cannot_run "cannot build the test guest (tests/e2e/guest/build.sh)"
export E2E_GUEST=$guest
e2e_netns_add "$NS"
e2e_netns_add "$GNS"
E2E_NS=$NS
run=$(e2e_user_dir)
export DIR=$run/usernet CTL

e2e_bg "$run/usernetd.log" ip netns exec "$NS" "$USERNETD" -v -d "$DIR" \
	--capture-dir "$E2E_TMP" -n nat:t -n natnet:lab
DAEMON=$E2E_BG_PID
e2e_wait_for 20 sh -c "grep -q 'usernetd: t (nat) ready' $run/usernetd.log && grep -q 'usernetd: lab (natnet) ready' $run/usernetd.log" ||
	e2e_cannot_run "usernetd did not get ready: $(tail -n 5 "$run/usernetd.log")"

# ctl ARGS...: usernetctl on the daemon's DIR, in its namespace.
ctl() { ip netns exec "$NS" "$CTL" -d "$DIR" "$@"; }
# fetch PORT OUT: connect to 127.0.0.1:PORT in $NS, what it sends into OUT
# (socat's complaint in OUT.err); 0 when connected.
fetch() { ip netns exec "$NS" timeout 20 socat -u "TCP:127.0.0.1:$1" "CREATE:$2" 2>"$2.err"; }

# expect_fail NAME WANT ARGS...: usernetctl ARGS fails, saying WANT.
expect_fail() {
	local name=$1 want=$2 msg
	shift 2
	if msg=$(ctl "$@" 2>&1); then
		e2e_not_ok "$name" "usernetctl $* succeeded: $msg"
	elif [[ $msg != *"$want"* ]]; then
		e2e_not_ok "$name" "usernetctl $* said '$msg', want '$want'"
	else
		e2e_ok "$name"
	fi
}

## nat: a QEMU guest, a forward added and removed while it runs, a capture

# What the host does when the guest is listening (control server, in $NS).
action_fwd() {
	local rule="tcp::$FWD_PORT-:$GUEST_PORT"
	"$CTL" -d "$DIR" fwd add t "$rule" >"$E2E_TMP/fwd_add.out" 2>&1 || return 1
	"$CTL" -d "$DIR" fwd list t >"$E2E_TMP/fwd_list.out" 2>&1
	timeout 20 socat -u "TCP:127.0.0.1:$FWD_PORT" "CREATE:$E2E_TMP/fwd.rx"
	"$CTL" -d "$DIR" --json show t >"$E2E_TMP/show_t.json" 2>&1
	"$CTL" -d "$DIR" fwd rm t "$rule" >"$E2E_TMP/fwd_rm.out" 2>&1 || return 1
	timeout 20 socat -u "TCP:127.0.0.1:$FWD_PORT" - >/dev/null 2>"$E2E_TMP/fwd_after.err"
	echo $? >"$E2E_TMP/fwd_after.rc"
}
e2e_control_start "$CTRL_PORT" action_fwd || e2e_cannot_run "no control server"

if ctl capture start t "$E2E_TMP/dhcp.pcap" >"$E2E_TMP/cap.out" 2>&1; then
	e2e_ok capture_start
else
	e2e_not_ok capture_start "$(cat "$E2E_TMP/cap.out")"
fi

e2e_guest_script "$E2E_TMP/nat.sh" GW=10.0.2.2 CTRL_PORT="$CTRL_PORT" \
	GUEST_PORT="$GUEST_PORT" TOKEN="$TOKEN" <<'EOF'
lap boot
dhcp eth0 lease
echo "$TOKEN" >/tmp/token
timeout 60 socat -u OPEN:/tmp/token "TCP-LISTEN:$GUEST_PORT,reuseaddr" &
wait_listen tcp "$GUEST_PORT" && host_do fwd || kill $!
wait $!
EOF
out=$(e2e_guest_run nat "stream,id=n0,server=off,addr.type=unix,addr.path=$DIR/t.stream" "" "$E2E_TMP/nat.sh")
rc=$?
[ "$rc" -eq 0 ] || e2e_not_ok nat_guest "guest script ended with $rc (serial log: $E2E_TMP/nat.serial)"
e2e_expect_eq nat_lease "the guest's lease" "$(e2e_obs "$out" lease_addr)" "10.0.2.15/24"
e2e_expect_eq nat_host_do "the host's fwd action" "$(e2e_obs "$out" ctl_fwd)" "done 0"
e2e_expect_eq fwd_add_reached_guest "what the forward gave" "$(cat "$E2E_TMP/fwd.rx" 2>/dev/null)" "$TOKEN"
if grep -q "tcp::$FWD_PORT-:$GUEST_PORT" "$E2E_TMP/fwd_list.out" 2>/dev/null; then
	e2e_ok fwd_list_shows_rule
else
	e2e_not_ok fwd_list_shows_rule "$(cat "$E2E_TMP/fwd_list.out" 2>/dev/null)"
fi
if grep -q '"ip" *: *"10.0.2.15"' "$E2E_TMP/show_t.json" 2>/dev/null; then
	e2e_ok show_nat_guest_ip
else
	e2e_not_ok show_nat_guest_ip "no ip 10.0.2.15 in show: $(head -c 600 "$E2E_TMP/show_t.json" 2>/dev/null)"
fi
if [ "$(cat "$E2E_TMP/fwd_after.rc" 2>/dev/null)" != 0 ] &&
	grep -q "Connection refused" "$E2E_TMP/fwd_after.err" 2>/dev/null; then
	e2e_ok fwd_rm_closed_port
else
	e2e_not_ok fwd_rm_closed_port "after fwd rm: rc $(cat "$E2E_TMP/fwd_after.rc" 2>/dev/null), $(cat "$E2E_TMP/fwd_after.err" 2>/dev/null)"
fi

# tshark reads the capture while it is still being written.
tshark -r "$E2E_TMP/dhcp.pcap" -Y dhcp -T fields -e dhcp.option.dhcp -e dhcp.hw.mac_addr \
	>"$E2E_TMP/dhcp.txt" 2>"$E2E_TMP/tshark.err"
# dhcp.hw.mac_addr: chaddr, then option 61's MAC when the client sends it
seen=$(awk -v mac="$GUEST_MAC" 'index($2, mac) == 1 { t[$1] = 1 }
	END { printf "%s%s%s%s", t[1] ? "DISCOVER " : "", t[2] ? "OFFER " : "",
		t[3] ? "REQUEST " : "", t[5] ? "ACK" : "" }' "$E2E_TMP/dhcp.txt")
e2e_expect_eq capture_dhcp_exchange "what tshark saw" "$seen" "DISCOVER OFFER REQUEST ACK"
# each frame once: one DISCOVER from the guest, not a copy per path
e2e_expect_eq capture_frames_once "DISCOVER records" "$(awk '$1 == 1' "$E2E_TMP/dhcp.txt" | wc -l)" 1
if ctl capture stop t >"$E2E_TMP/cap_stop.out" 2>&1; then
	e2e_ok capture_stop
else
	e2e_not_ok capture_stop "$(cat "$E2E_TMP/cap_stop.out")"
fi
expect_fail capture_stop_again "no capture" capture stop t

## natnet: a namespace guest, a named VirtualBox rule added and removed by NAME

e2e_bg "$E2E_TMP/plug.log" "$PLUG" --tap tap0 --netns "$GNS" "$DIR/lab.stream"
e2e_wait_for 5 ip -n "$GNS" link show tap0 >/dev/null 2>&1 || e2e_not_ok nn_plug "no tap0: $(cat "$E2E_TMP/plug.log")"
ip -n "$GNS" addr add "$NN_IP/24" dev tap0
ip -n "$GNS" link set tap0 up
ip -n "$GNS" route add default via 10.0.2.2
echo "$NN_TOKEN" >"$E2E_TMP/nn_token"
e2e_bg "$E2E_TMP/nn_server.log" ip netns exec "$GNS" socat \
	"TCP-LISTEN:$NN_GUEST_PORT,reuseaddr,fork" "EXEC:cat $E2E_TMP/nn_token"
e2e_wait_for 5 e2e_listening "$GNS" tcp 0.0.0.0 "$NN_GUEST_PORT" || e2e_not_ok nn_server "guest server did not start"
nic=$(ctl --json show lab | grep -o '"lab/stream-[0-9]*"' | head -n1 | tr -d '"')
ctl capture start "${nic:-lab/stream-1}" "$E2E_TMP/nic.pcap" >"$E2E_TMP/nic_cap.out" 2>&1 ||
	e2e_not_ok nic_capture_start "$(cat "$E2E_TMP/nic_cap.out")"

rule="web:tcp:[]:$NN_PORT:[$NN_IP]:$NN_GUEST_PORT"
if ctl fwd add lab "$rule" >"$E2E_TMP/nn_add.out" 2>&1; then
	e2e_ok portfwd_add
else
	e2e_not_ok portfwd_add "$(cat "$E2E_TMP/nn_add.out")"
fi
fetch "$NN_PORT" "$E2E_TMP/nn.rx"
e2e_expect_eq portfwd_reached_guest "what the portfwd gave" "$(cat "$E2E_TMP/nn.rx" 2>/dev/null)" "$NN_TOKEN"
expect_fail portfwd_name_twice "name 'web' is already used" fwd add lab "web:tcp:[]:$BUSY_PORT:[$NN_IP]:22"
expect_fail hostfwd_needs_guest "has no guest address" fwd add lab "tcp::$BUSY_PORT-:22"
if ctl fwd list lab 2>&1 | grep -q "web"; then e2e_ok portfwd_listed; else e2e_not_ok portfwd_listed "$(ctl fwd list lab 2>&1)"; fi
if ctl fwd rm lab web >"$E2E_TMP/nn_rm.out" 2>&1; then
	e2e_ok portfwd_rm_by_name
else
	e2e_not_ok portfwd_rm_by_name "$(cat "$E2E_TMP/nn_rm.out")"
fi
if fetch "$NN_PORT" "$E2E_TMP/nn2.rx"; then
	e2e_not_ok portfwd_rm_closed_port "still connects after fwd rm"
elif grep -q "Connection refused" "$E2E_TMP/nn2.rx.err"; then
	e2e_ok portfwd_rm_closed_port
else
	e2e_not_ok portfwd_rm_closed_port "$(cat "$E2E_TMP/nn2.rx.err")"
fi
expect_fail portfwd_rm_again "no forward is named 'web'" fwd rm lab web
ctl capture stop "${nic:-lab/stream-1}" >/dev/null 2>&1
n=$(tshark -r "$E2E_TMP/nic.pcap" -Y "tcp.port == $NN_GUEST_PORT && ip.addr == $NN_IP" 2>/dev/null | wc -l)
if [ "$n" -gt 0 ]; then e2e_ok nic_capture_sees_forward; else e2e_not_ok nic_capture_sees_forward "no TCP to $NN_IP:$NN_GUEST_PORT in the NIC capture"; fi

## errors: the daemon answers and keeps serving

e2e_bg "$E2E_TMP/busy.log" ip netns exec "$NS" socat TCP-LISTEN:$BUSY_PORT,bind=127.0.0.1,reuseaddr,fork /dev/null
e2e_wait_for 5 e2e_listening "$NS" tcp 127.0.0.1 "$BUSY_PORT"
expect_fail fwd_port_in_use "is in use" fwd add t "tcp::$BUSY_PORT-:22"
expect_fail fwd_rm_missing "no tcp forward listens" fwd rm t "tcp::$BUSY_PORT-:22"
expect_fail capture_unwritable "No such file or directory" capture start t /nonexistent-usernet/dir/x.pcap
expect_fail capture_unknown_nic "has no NIC" capture start lab/vde-99 "$E2E_TMP/x.pcap"
if ctl list >"$E2E_TMP/list.out" 2>&1 && grep -q lab "$E2E_TMP/list.out" && kill -0 "$DAEMON"; then
	e2e_ok daemon_keeps_serving
else
	e2e_not_ok daemon_keeps_serving "$(cat "$E2E_TMP/list.out")"
fi
e2e_bg_stop "$DAEMON"
if grep -q "ERROR: AddressSanitizer\|runtime error" "$run/usernetd.log"; then
	e2e_not_ok daemon_sanitizers "$(grep -m3 "ERROR\|runtime error" "$run/usernetd.log")"
else
	e2e_ok daemon_sanitizers
fi

e2e_finish
