#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# control_guest.sh - the control socket against a real QEMU guest: a natnet
# added at run time that the guest joins, and malformed requests answered
# while the guest's bulk transfer runs.
# Owns: a run-time `net add` network serving a QEMU guest (lease, host
#   loopback service through the gateway, `net rm` detaching it); a table
#   of malformed requests, each on its own connection with its own error
#   code, sent while 16 MiB flow guest -> host, the transfer then completing
#   intact. Not here: the protocol against namespace guests, idle clients
#   (control.sh); forwards and captures (fwd_capture.sh).
#
# How it works
# usernetd runs in namespace NS (its loopback is "the host") serving
# natnet:lab. `usernetctl net add natnet:NET,net=10.8.0.0/24` makes a second
# network; a TCG guest joins NET through its stream endpoint, takes a
# lease, fetches 256 KiB from a host server on 127.0.0.1 through 10.8.0.2,
# then sends 16 MiB to a host sink through 10.8.0.2. The sink (python)
# reads slowly until the table is done, so the transfer is provably in
# flight: it must grow while the table runs and not be complete before it
# ends. Then it reads at full speed; both sha256 must match.
# shellcheck disable=SC2015,SC2317 # A && ok || not_ok: e2e_ok always succeeds
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_init control_guest
e2e_need qemu-system-x86_64 socat ip ss busybox cpio jq python3

e2e_need_usernet natnet

NS=un-cg-$$
NET=rt$$
BASE=$((26000 + ($$ % 1000) * 10))
HOST_PORT=$BASE
SINK_PORT=$((BASE + 1))
BULK_MB=16
MAC=52:54:00:c6:00:01

guest=$(e2e_guest_dir) || e2e_cannot_run "cannot build the test guest (tests/e2e/guest/build.sh)"
export E2E_GUEST=$guest
e2e_netns_add "$NS"
E2E_NS=$NS
run=$(e2e_user_dir)
DIR=$run/usernet
SOCK=$DIR/control

ctl() { "$CTL" -d "$DIR" "$@"; }
# expect NAME CMD...: CMD must succeed; its output in $OUT.
expect() {
	local name=$1
	shift
	if OUT=$("$@" 2>&1); then e2e_ok "$name"; else e2e_not_ok "$name" "exit $?: $OUT"; fi
}

e2e_bg "$run/usernetd.log" ip netns exec "$NS" "$USERNETD" -v -d "$DIR" -n natnet:lab
DAEMON=$E2E_BG_PID
e2e_wait_for 20 grep -q "^usernetd: control socket $SOCK\$" "$run/usernetd.log" ||
	e2e_cannot_run "usernetd did not get ready: $(tail -n 5 "$run/usernetd.log")"

## Host side: a small file server and a paced sink on NS's loopback

e2e_random_file "$E2E_TMP/small.bin" 256K
e2e_bg "$E2E_TMP/small.out" ip netns exec "$NS" socat -U \
	"TCP-LISTEN:$HOST_PORT,bind=127.0.0.1,reuseaddr,fork" "OPEN:$E2E_TMP/small.bin"
cat >"$E2E_TMP/sink.py" <<'EOF'
import os, socket, sys, time
port, out, flag = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(1)
c, _ = ls.accept()
with open(out, "wb", buffering=0) as f:
    while True:
        paced = not os.path.exists(flag)
        b = c.recv(32768 if paced else 1 << 20)
        if not b:
            break
        f.write(b)
        if paced:
            time.sleep(0.02)  # about 1.6 MB/s until the table is done
EOF
e2e_bg "$E2E_TMP/sink.out" ip netns exec "$NS" python3 "$E2E_TMP/sink.py" \
	"$SINK_PORT" "$E2E_TMP/sink.rx" "$E2E_TMP/table.done"
e2e_wait_for 5 e2e_listening "$NS" tcp 127.0.0.1 "$HOST_PORT" &&
	e2e_wait_for 5 e2e_listening "$NS" tcp 127.0.0.1 "$SINK_PORT" ||
	e2e_cannot_run "host servers did not start: $(cat "$E2E_TMP/sink.out")"

## net add at run time

expect net-add ctl net add "natnet:$NET,net=10.8.0.0/24"
[ -S "$DIR/$NET.stream" ] && e2e_ok net-add-endpoint || e2e_not_ok net-add-endpoint "$(ls "$DIR")"

## The guest joins NET and sends BULK_MB MiB to the host

e2e_guest_script "$E2E_TMP/g.sh" GW=10.8.0.2 HOST_PORT="$HOST_PORT" SINK_PORT="$SINK_PORT" \
	BULK_MB="$BULK_MB" <<'EOF'
lap boot
dhcp eth0 lease
timeout 30 socat -u "TCP:$GW:$HOST_PORT" CREATE:/tmp/small
obs small_sha "$(sha /tmp/small)"
dd if=/dev/urandom of=/tmp/bulk bs=1M count="$BULK_MB" 2>/dev/null
obs bulk_sha "$(sha /tmp/bulk)"
lap prep
timeout 100 socat -u OPEN:/tmp/bulk "TCP:$GW:$SINK_PORT"
obs send_rc $?
lap bulk
EOF
t0=$(date +%s)
e2e_guest_run g "stream,id=n0,server=off,addr.type=unix,addr.path=$DIR/$NET.stream" \
	"mac=$MAC" "$E2E_TMP/g.sh" >"$E2E_TMP/g.out" 2>&1 &
GUEST=$!

## Malformed requests, each on its own connection, while the transfer runs

size() { stat -c %s "$E2E_TMP/sink.rx" 2>/dev/null || echo 0; }
BULK=$((BULK_MB * 1048576))
if e2e_wait_for 90 sh -c "[ \$(stat -c %s '$E2E_TMP/sink.rx' 2>/dev/null || echo 0) -ge 1048576 ]"; then
	e2e_ok transfer-started
else
	e2e_not_ok transfer-started "no data at the sink: $(tail -n 3 "$E2E_TMP/g.out")"
fi
e2e_log "transfer under way after $(($(date +%s) - t0)) s"

# code INPUT_FILE: the error code of the one reply to what INPUT_FILE holds.
code() { socat -t 3 - "UNIX-CONNECT:$SOCK" <"$1" 2>/dev/null | jq -r 'if .ok then "ok" else .error.code end' 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }
# case NAME WANT LINE: LINE (with a newline) on a connection of its own.
case_line() {
	printf '%s\n' "$3" >"$E2E_TMP/req.$1"
	e2e_expect_eq "malformed-$1" "reply code" "$(code "$E2E_TMP/req.$1")" "$2"
}
before=$(size)
case_line not-json bad-request 'not json'
case_line json-array bad-request '["list"]'
case_line json-string bad-request '"list"'
case_line missing-command bad-request '{"id": 1}'
case_line command-number bad-request '{"command": 7}'
case_line unknown-command unknown-command '{"command": "reboot"}'
case_line network-number bad-request '{"command": "show", "network": 5}'
case_line rule-array bad-request "{\"command\": \"fwd-add\", \"network\": \"$NET\", \"rule\": [\"tcp::1-:2\"]}"
case_line missing-network bad-request '{"command": "net-remove"}'
case_line unknown-network not-found '{"command": "show", "network": "nope"}'
case_line rm-unknown-network not-found '{"command": "net-remove", "network": "nope"}'
case_line stats-unknown-network not-found '{"command": "stats", "network": "nope"}'
case_line bad-spec-key config '{"command": "net-add", "spec": "natnet:x,colour=red"}'
case_line bad-spec-kind config '{"command": "net-add", "spec": "nosuchkind:x"}'
case_line bad-spec-mtu config '{"command": "net-add", "spec": "natnet:x,mtu=70000"}'
case_line spec-name-taken busy "{\"command\": \"net-add\", \"spec\": \"natnet:$NET\"}"
case_line bad-rule config "{\"command\": \"fwd-add\", \"network\": \"$NET\", \"rule\": \"tcp:nonsense\"}"
{ head -c 71680 /dev/zero | tr '\0' x; echo; } >"$E2E_TMP/req.large"
e2e_expect_eq malformed-70k-line "reply code" "$(code "$E2E_TMP/req.large")" too-large
printf '{"command": "li' >"$E2E_TMP/req.half"
e2e_expect_eq malformed-half-line-close "reply code" "$(code "$E2E_TMP/req.half")" bad-request
after=$(size)
touch "$E2E_TMP/table.done"
e2e_log "table: sink at $before then $after of $BULK bytes"
if [ "$after" -gt "$before" ] && [ "$after" -lt "$BULK" ]; then
	e2e_ok transfer-during-table
else
	e2e_not_ok transfer-during-table "sink went $before -> $after of $BULK bytes during the table"
fi
expect serves-after-table ctl list
grep -Eq "^$NET +natnet +10\.8\.0\.0/24 +1 " <<<"$OUT" && e2e_ok list-shows-guest ||
	e2e_not_ok list-shows-guest "$OUT"

## The guest's findings

wait "$GUEST"
rc=$?
e2e_log "guest: $(($(date +%s) - t0)) s, $(grep '^t_' "$E2E_TMP/g.out" | tr '\n' ' ')"
out=$(cat "$E2E_TMP/g.out")
[ "$rc" -eq 0 ] || e2e_not_ok guest-ran "script ended with $rc (serial: $E2E_TMP/g.serial)"
e2e_expect_eq guest-lease "the guest's lease on $NET" "$(e2e_obs "$out" lease_addr)" 10.8.0.15/24
e2e_expect_eq guest-host-service "the guest's copy of the host file" \
	"$(e2e_obs "$out" small_sha)" "$(e2e_sha256 "$E2E_TMP/small.bin")"
e2e_expect_eq guest-send "the guest's socat" "$(e2e_obs "$out" send_rc)" 0
e2e_wait_for 10 sh -c "[ \$(stat -c %s '$E2E_TMP/sink.rx') -ge $BULK ]"
e2e_expect_eq bulk-sha "sha256 of $BULK_MB MiB at the host" \
	"$(e2e_sha256 "$E2E_TMP/sink.rx")" "$(e2e_obs "$out" bulk_sha)"

expect show-after ctl --json show "$NET"
e2e_expect_eq show-lease-mac "the lease's MAC" "$(jq -r '.leases[0].mac // empty' <<<"$OUT")" "$MAC"

## net rm: the endpoint vanishes, the network is gone, the daemon serves on

expect net-rm ctl net rm "$NET"
[ ! -e "$DIR/$NET.stream" ] && e2e_ok net-rm-endpoint-gone || e2e_not_ok net-rm-endpoint-gone "$(ls "$DIR")"
expect list-after-rm ctl list
if grep -q "^$NET " <<<"$OUT"; then e2e_not_ok net-rm-listed "$OUT"; else e2e_ok net-rm-listed; fi
grep -q '^lab ' <<<"$OUT" && e2e_ok lab-still-listed || e2e_not_ok lab-still-listed "$OUT"

if kill -0 "$DAEMON" 2>/dev/null; then e2e_ok daemon-alive; else
	e2e_not_ok daemon-alive "usernetd exited: $(tail -n 3 "$run/usernetd.log")"; fi
e2e_bg_stop "$DAEMON"
if grep -qE 'Sanitizer|runtime error' "$run/usernetd.log"; then
	e2e_not_ok sanitizers "$(grep -m3 -E 'Sanitizer|runtime error' "$run/usernetd.log" | tr '\n' ' ')"
else
	e2e_ok sanitizers
fi
e2e_log "total: $(($(date +%s) - t0)) s after net add"
e2e_finish
