#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# robustness.sh - bad peers on every endpoint while a real guest moves data.
# Owns: the robustness checks: the guest's transfers survive, the daemon
#   keeps its PID and keeps serving, bad peers are logged once each, no
#   sanitizer report. Not here: the bad peers themselves (garbage.py);
#   namespaces, guests, reporting (lib.sh).
#
# Usage: USERNETD=build/san/usernetd USERNET_PLUGIN_PATH=build/san/plugins \
#          tests/e2e/robustness.sh
#
# How it works
# One usernetd in a namespace made here ($NS) serves two nat networks:
# t (listen=, a hostfwd) and g. A TCG guest on t.stream sends 10 MiB to a
# host server through 10.0.2.2 and receives 10 MiB through the hostfwd
# (sha256 compared). Meanwhile garbage.py hits every endpoint of both
# networks (VDE ctl, stream, dgram, tcp) with malformed requests and frames,
# round after round, until the guest is done. On t every bad peer is also
# refused, as t's one NIC is the guest: it must not be displaced. Then a
# fresh namespace guest (usernet-plug + udhcpc) gets a lease through each
# endpoint of g and of t, and the daemon's log is read: one line per bad
# peer at most (plus attach/detach lines), the expected warnings, no
# sanitizer report; finally it must stop cleanly on SIGTERM.
# shellcheck disable=SC2317 # the action_* functions run in the control server
# shellcheck disable=SC2016 # eval'd conditions expand when run
set -uo pipefail
. "$(dirname "$0")/lib.sh"

e2e_init robustness
e2e_need qemu-system-x86_64 socat ip ss python3 busybox cpio

e2e_need_usernet

NS=un-rob-$$
PNS=un-rob-$$-p
base=$((20000 + $$ % 20000))
T_TCP=$base G_TCP=$((base + 1)) UP_PORT=$((base + 2)) FWD_PORT=$((base + 3))
export CTRL_PORT=$((base + 4)) FWD_PORT E2E_TMP
BULK=10485760

guest=$(e2e_guest_dir) || e2e_cannot_run "cannot build the test guest (tests/e2e/guest/build.sh)"
export E2E_GUEST=$guest
e2e_netns_add "$NS"
e2e_netns_add "$PNS"
E2E_NS=$NS

run=$(e2e_user_dir)
DIR=$run/u
LOG=$run/usernetd.log
e2e_bg "$LOG" ip netns exec "$NS" env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=1" \
	"$USERNETD" -d "$DIR" \
	-n "nat:t,listen=127.0.0.1:$T_TCP,hostfwd=tcp:127.0.0.1:$FWD_PORT-:7001" \
	-n "nat:g,listen=127.0.0.1:$G_TCP"
DPID=$E2E_BG_PID
both_ready() { grep -q "usernetd: g (nat) ready" "$LOG" && grep -q "usernetd: t (nat) ready" "$LOG"; }
e2e_wait_for 20 both_ready || e2e_cannot_run "usernetd did not get ready: $(tail -n 5 "$LOG")"

## The victim: a guest on t.stream moving 10 MiB each way

e2e_random_file "$E2E_TMP/fwd_in.bin" "$BULK"
action_push_tcp() { socat -u "OPEN:$E2E_TMP/fwd_in.bin" "TCP:127.0.0.1:$FWD_PORT"; }
e2e_bg "$E2E_TMP/up.out" ip netns exec "$NS" socat -u \
	"TCP-LISTEN:$UP_PORT,bind=127.0.0.1,reuseaddr" "CREATE:$E2E_TMP/up.rx"
if ! e2e_control_start "$CTRL_PORT" action_push_tcp ||
	! e2e_wait_for 5 e2e_listening "$NS" tcp 127.0.0.1 "$UP_PORT"; then
	e2e_not_ok host_servers "host servers did not start"
fi

e2e_guest_script "$E2E_TMP/victim.sh" GW=10.0.2.2 CTRL_PORT="$CTRL_PORT" \
	UP_PORT="$UP_PORT" BULK="$BULK" <<'EOF'
lap boot
dhcp eth0 lease
lap dhcp
head -c "$BULK" /dev/urandom >/tmp/up
obs up_sha "$(sha /tmp/up)"
timeout 90 socat -u OPEN:/tmp/up "TCP:$GW:$UP_PORT"
lap tcp_up
rm -f /tmp/up
timeout 90 socat -u "TCP-LISTEN:7001,reuseaddr" CREATE:/tmp/fwd_in &
wait_listen tcp 7001 && host_do push_tcp || kill $!
wait $!
obs fwd_in_sha "$(sha /tmp/fwd_in)"
lap fwd_in
EOF

## The garbage, on every endpoint of both networks, until the guest is done

STOP=$E2E_TMP/garbage.stop
e2e_bg "$E2E_TMP/garbage.out" ip netns exec "$NS" python3 "$E2E_DIR/garbage.py" \
	--dir "$DIR" --net t --net g --tcp "t=$T_TCP" --tcp "g=$G_TCP" \
	--dgram-burst t=300 --until "$STOP" --min-rounds 3 --max-rounds 200 --pause 0.3
GPID=$E2E_BG_PID

out=$(e2e_guest_run victim "stream,id=n0,server=off,addr.type=unix,addr.path=$DIR/t.stream" "" "$E2E_TMP/victim.sh")
rc=$?
touch "$STOP"
e2e_wait_for 60 eval '! kill -0 "$GPID" 2>/dev/null'
e2e_bg_stop "$GPID"
summary=$(tail -n 1 "$E2E_TMP/garbage.out")
e2e_log "garbage: $summary; guest phases: $(printf '%s\n' "$out" | sed -n 's/^t_\([a-z0-9_]*\)=/\1 /p' | tr '\n' ',')"
[ "$rc" -eq 0 ] || e2e_not_ok victim_guest "guest script ended with $rc (serial log: $E2E_TMP/victim.serial)"

e2e_expect_eq victim_lease "guest's address" "$(e2e_obs "$out" lease_ip)" 10.0.2.15
# expect_sha NAME FILE GUEST_KEY: the host's FILE matches the guest's sha, full size.
expect_sha() { e2e_expect_sha "$1" "$2" "$(e2e_obs "$out" "$3")" "$BULK"; }
expect_sha victim_tcp_up_under_garbage "$E2E_TMP/up.rx" up_sha
expect_sha victim_hostfwd_down_under_garbage "$E2E_TMP/fwd_in.bin" fwd_in_sha

# "peers N rounds R dgram N stream N tap N tcp N vde N errors N"
read -r w1 peers _ rounds _ <<<"$summary"
gerrs=${summary##* errors }
[ "$w1" = peers ] || peers=
if [ -n "$peers" ] && [ "$rounds" -ge 3 ] 2>/dev/null && [ "$gerrs" = 0 ]; then
	e2e_ok garbage_ran
else
	e2e_not_ok garbage_ran "garbage.py said '$summary' (want >= 3 rounds, 0 errors): $(grep '^#' "$E2E_TMP/garbage.out" | head -n 3)"
	peers=${peers:-0}
fi

# The guest's NIC was never displaced: no other t NIC was ever attached
# while it was there, and it detached only once, when QEMU exited.
victim_port=$(sed -n "s/.*NIC \(t\/stream-[0-9]*\) attached (pid [0-9]*.*/\1/p" "$LOG" | head -n 1)
if [ -z "$victim_port" ]; then
	e2e_not_ok victim_not_displaced "no attach line for the guest's NIC on t"
else
	others=$(sed -n "/NIC $(printf '%s' "$victim_port" | sed 's/\//\\\//') attached/,/NIC $(printf '%s' "$victim_port" | sed 's/\//\\\//') detached/p" "$LOG" |
		grep -c "NIC t/[a-z]*-[0-9]* attached")
	e2e_expect_eq victim_not_displaced "NICs attached to t while the guest was" "$others" 1
fi

## Still the same daemon, still serving: a fresh lease through every endpoint

if kill -0 "$DPID" 2>/dev/null && [ "$(cat "/proc/$DPID/comm" 2>/dev/null)" = usernetd ]; then
	e2e_ok daemon_same_pid
else
	e2e_not_ok daemon_same_pid "usernetd (pid $DPID) is gone: $(tail -n 5 "$LOG")"
fi

cat >"$E2E_TMP/hook.sh" <<'EOF'
#!/bin/sh
case "$1" in
deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
bound | renew) echo "ip=$ip" >"$LEASE_OUT" ;;
esac
exit 0
EOF
chmod 0755 "$E2E_TMP/hook.sh"

# fresh_lease NET ENDPOINT: a new usernet-plug into $PNS through ENDPOINT
# gets a DHCP lease. A nat network refuses a NIC while the last bad peer
# is still attached (a dgram client is noticed gone within the 10 s sweep),
# so a refused plug is retried for up to 15 s. A dgram endpoint keeps at
# most 256 clients; the vanished ones of the burst go within its 10 s sweep,
# so udhcpc tries for 20 s.
fresh_lease() {
	local name=fresh_lease_$1_$2 ep=$3 i plug ip=
	for ((i = 0; i < 30; i++)); do
		e2e_bg "$E2E_TMP/plug.$1.$2.log" ip netns exec "$NS" "$PLUG" -v --tap tap0 \
			--netns "$PNS" "$ep"
		plug=$E2E_BG_PID
		# "joined" is said once connected; a refused NIC is closed at once.
		if e2e_wait_for 3 grep -qs joined "$E2E_TMP/plug.$1.$2.log" &&
			sleep 0.5 && kill -0 "$plug" 2>/dev/null; then
			break
		fi
		e2e_bg_stop "$plug"
		plug=
		sleep 0.5
	done
	if [ -z "$plug" ]; then
		e2e_not_ok "$name" "usernet-plug never attached: $(tail -n 2 "$E2E_TMP/plug.$1.$2.log" | tr '\n' ' ')"
		return
	fi
	e2e_wait_for 5 ip -n "$PNS" link show tap0 >/dev/null 2>&1
	# The victim's MAC: the network's router then offers its first address.
	ip -n "$PNS" link set tap0 address 52:54:00:12:34:56
	ip -n "$PNS" link set tap0 up
	rm -f "$E2E_TMP/lease.$1.$2"
	LEASE_OUT=$E2E_TMP/lease.$1.$2 timeout 30 ip netns exec "$PNS" \
		busybox udhcpc -i tap0 -f -q -n -t 20 -T 1 -s "$E2E_TMP/hook.sh" \
		>"$E2E_TMP/udhcpc.$1.$2.log" 2>&1
	ip=$(sed -n 's/^ip=//p' "$E2E_TMP/lease.$1.$2" 2>/dev/null)
	e2e_bg_stop "$plug"
	e2e_wait_for 5 eval '! ip -n "$PNS" link show tap0 >/dev/null 2>&1'
	e2e_expect_eq "$name" "leased address" "$ip" 10.0.2.15
}

for net in g t; do
	tcp=$G_TCP
	[ "$net" = t ] && tcp=$T_TCP
	fresh_lease "$net" dgram "dgram:$DIR/$net.dgram"
	fresh_lease "$net" vde "vde://$DIR/$net.vde"
	fresh_lease "$net" stream "$DIR/$net.stream"
	fresh_lease "$net" tcp "tcp:127.0.0.1:$tcp"
done

## The log: each kind of bad peer named, one line per peer at most, no sanitizer

# expect_log NAME PATTERN: the daemon logged a warning matching PATTERN.
expect_log() {
	if grep -Eq "$2" "$LOG"; then e2e_ok "$1"; else e2e_not_ok "$1" "no line matching '$2' in $LOG"; fi
}
expect_log log_vde_bad_magic 'warning: network "g": vde client .*bad request: magic 0xdeadbeef'
expect_log log_vde_bad_version 'warning: network "g": vde client .*bad request: protocol version 2'
expect_log log_vde_truncated 'warning: network "g": vde client .*bad request: request truncated at 50 bytes'
expect_log log_stream_len0 'warning: network "g": g/(stream|tcp)-[0-9]+ .*broke QEMU stream framing: frame length 0 '
expect_log log_stream_len65551 'warning: network "g": g/stream-[0-9]+ .*broke QEMU stream framing: frame length 65551 '
expect_log log_tcp_lenmax 'warning: network "g": g/tcp-[0-9]+ .*broke QEMU stream framing: frame length 4294967295 '
expect_log log_stream_mid_frame 'network "g": g/(stream|tcp)-[0-9]+ .*closed in the middle of a frame'
expect_log log_t_refused "warning: network 't': NIC t/(vde|stream|tcp|dgram)-[0-9]+ .*refused: a nat network serves one NIC"
expect_log log_dgram_unbound 'warning: network "g": .*g.dgram: frames from a socket without an address'

# Every bad peer may cost a warning plus an attach and a detach line; the
# plugs, startup and shutdown a few dozen more. A per-frame log (runts,
# oversized datagrams) would blow far past this.
lines=$(wc -l <"$LOG")
limit=$((3 * peers + 100))
if [ "$peers" -gt 0 ] && [ "$lines" -le "$limit" ]; then
	e2e_ok log_not_flooded
else
	e2e_not_ok log_not_flooded "$lines log lines for $peers bad peers (limit $limit)"
fi
warnings=$(grep -c 'warning:' "$LOG")
if [ "$warnings" -le $((peers + 20)) ]; then
	e2e_ok log_one_warning_per_peer
else
	e2e_not_ok log_one_warning_per_peer "$warnings warnings for $peers bad peers"
fi
e2e_log "usernetd.log: $lines lines, $warnings warnings, $peers bad peers"

# Shutdown: SIGTERM ends it cleanly (LeakSanitizer runs at exit).
kill -TERM "$DPID" 2>/dev/null
if e2e_wait_for 10 eval '! kill -0 "$DPID" 2>/dev/null'; then
	wait "$DPID" 2>/dev/null
	drc=$?
	e2e_expect_eq daemon_clean_exit "exit status" "$drc" 0
else
	e2e_not_ok daemon_clean_exit "still running 10 s after SIGTERM"
fi
sed -i "/^$DPID\$/d" "$E2E_TMP/pids"
if grep -Eq 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|SUMMARY: [A-Za-z]*Sanitizer' "$LOG"; then
	e2e_not_ok no_sanitizer_report "$(grep -Em 3 'Sanitizer|runtime error' "$LOG" | tr '\n' ' ')"
else
	e2e_ok no_sanitizer_report
fi

e2e_finish
