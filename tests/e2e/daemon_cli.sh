#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# daemon_cli.sh - usernetd's command-line contract, seen from a shell:
# --help/--version, start-up errors that name the spec or file:group:key,
# the DIR rules, the lock against a second daemon, clean shutdown, and an
# unprivileged run. No guest needed.

USERNETD=${USERNETD:-build/usernetd}
USERNETCTL=${USERNETCTL:-$(dirname "$USERNETD")/usernetctl}
export USERNET_PLUGIN_PATH=${USERNET_PLUGIN_PATH:-$(dirname "$USERNETD")/plugins}
work=$(mktemp -d /tmp/usernet-cli.XXXXXX)
failures=0
pids=""

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

ok() { echo "ok $1"; }
not_ok() { echo "not ok $1: $2"; failures=$((failures + 1)); }

# expect_fail NAME EXPECTED_TEXT ARGS... : usernetd must exit non-zero
# before serving, printing EXPECTED_TEXT on stderr.
expect_fail() {
	name=$1
	text=$2
	shift 2
	out=$("$USERNETD" "$@" 2>&1 </dev/null)
	rc=$?
	if [ $rc = 0 ]; then
		not_ok "$name" "exited 0"
	elif ! printf '%s\n' "$out" | grep -qF -- "$text"; then
		not_ok "$name" "message '$out' lacks '$text'"
	elif printf '%s\n' "$out" | grep -q ' ready$'; then
		not_ok "$name" "announced a network before failing"
	else
		ok "$name"
	fi
}

# wait_ready LOG COUNT: wait until COUNT "ready" lines are in LOG.
wait_ready() {
	for _ in $(seq 100); do
		[ "$(grep -c ' ready$' "$1" 2>/dev/null)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

[ -x "$USERNETD" ] || { echo "not ok setup: $USERNETD not built"; exit 1; }

# --help and --version
if "$USERNETD" --help | grep -q -- '--net=SPEC' &&
	"$USERNETD" --help | grep -q 'hostfwd'; then ok help; else not_ok help "no --net or hostfwd"; fi
if "$USERNETD" --version | grep -Eq '^usernetd [0-9]+\.[0-9]+'; then ok version; else not_ok version "bad output"; fi

d="$work/d"
expect_fail unknown-kind "unknown network kind 'bogus' (available: " -d "$d" -n bogus:x
expect_fail unknown-key "--net 'nat:x,colour=red': colour: unknown key for kind nat" -d "$d" -n nat:x,colour=red
expect_fail bad-spec "is not KIND:NAME" -d "$d" -n nat
expect_fail bad-net "net" -d "$d" -n nat:x,net=10.0.2.0/40
expect_fail bad-addr "host" -d "$d" -n nat:x,host=10.0.2.999
expect_fail bad-hostfwd "hostfwd" -d "$d" -n nat:x,hostfwd=tcp::99999-:22
expect_fail bad-mtu "--net 'nat:x,mtu=70000': mtu: '70000' is not a number from 68 to 65520" -d "$d" -n nat:x,mtu=70000
expect_fail dup-name "a network named 'x' is already defined by --net 'nat:x'" -d "$d" -n nat:x -n nat:x
expect_fail stray-arg "unexpected argument 'extra'" -d "$d" extra

# A port in use: bound by a first daemon, refused by a second on another DIR.
port=$((20000 + $$ % 20000))
"$USERNETD" -d "$work/p1" -n "nat:a,hostfwd=tcp::$port-:22" >"$work/p1.log" 2>&1 &
pids="$pids $!"
if wait_ready "$work/p1.log" 1; then
	expect_fail port-in-use "hostfwd" -d "$work/p2" -n "nat:b,hostfwd=tcp::$port-:22"
else
	not_ok port-in-use "first daemon never ready: $(cat "$work/p1.log")"
fi

# Key-file errors name FILE:[GROUP]:KEY.
printf '[nat:one]\nnet=10.9.0.0/24\n[nat:two]\ncolour=red\n' >"$work/bad.conf"
expect_fail config-unknown-key "$work/bad.conf:[nat:two]: colour: unknown key" -d "$d" -c "$work/bad.conf"
printf '[nat:one]\nhost=10.0.2.300\n' >"$work/bad2.conf"
expect_fail config-bad-value "$work/bad2.conf:[nat:one]: host" -d "$d" -c "$work/bad2.conf"
expect_fail config-missing "$work/none.conf" -d "$d" -c "$work/none.conf"

# DIR rules: others may not enter it, it must be ours.
mkdir -m 0755 "$work/open"
expect_fail dir-mode "has mode 0755" -d "$work/open"
mkdir -m 0700 "$work/notmine" && chown nobody "$work/notmine" 2>/dev/null &&
	expect_fail dir-owner "belongs to uid" -d "$work/notmine"
long="$work/$(printf '%0100d' 0)"
expect_fail path-too-long "bytes" -d "$long"

# Default network, endpoints, second daemon refused, clean shutdown.
run="$work/run"
"$USERNETD" -d "$run" >"$work/run.log" 2>&1 &
main=$!
pids="$pids $main"
if wait_ready "$work/run.log" 1; then
	ok default-ready
	grep -q '^usernetd: default (nat) ready$' "$work/run.log" && ok default-name || not_ok default-name "$(cat "$work/run.log")"
	for e in default.vde/ctl default.stream default.dgram; do
		[ -S "$run/$e" ] && ok "endpoint-$e" || not_ok "endpoint-$e" "missing"
	done
	[ "$(stat -c %a "$run")" = 700 ] && ok dir-0700 || not_ok dir-0700 "mode $(stat -c %a "$run")"
	grep -q -- "-netdev vde,id=n0,sock=$run/default.vde" "$work/run.log" && ok qemu-option-vde || not_ok qemu-option-vde "$(cat "$work/run.log")"
	grep -q -- "-netdev stream,id=n0,server=off,addr.type=unix,addr.path=$run/default.stream" "$work/run.log" && ok qemu-option-stream || not_ok qemu-option-stream "missing"
	expect_fail second-daemon "another usernetd (pid $main) is serving $run" -d "$run"
	[ -S "$run/default.stream" ] && ok first-keeps-sockets || not_ok first-keeps-sockets "second daemon removed them"
	kill -TERM "$main"
	wait "$main"
	rc=$?
	[ $rc = 0 ] && ok sigterm-exit || not_ok sigterm-exit "exit $rc"
	[ ! -e "$run" ] && ok cleanup || not_ok cleanup "left: $(ls -A "$run")"
else
	not_ok default-ready "$(cat "$work/run.log")"
fi

# listen= adds a TCP endpoint.
"$USERNETD" -d "$work/t" -n "nat:t,listen=127.0.0.1:$((port + 1))" >"$work/t.log" 2>&1 &
tpid=$!
pids="$pids $tpid"
if wait_ready "$work/t.log" 1 && grep -q -- "-netdev socket,id=n0,connect=127.0.0.1:$((port + 1))" "$work/t.log"; then
	ok listen-endpoint
else
	not_ok listen-endpoint "$(cat "$work/t.log")"
fi
kill "$tpid" 2>/dev/null

# --busy-poll: after traffic the loop polls without sleeping, giving the
# CPU away between tries with sched_yield (nothing else in usernetd calls
# it); with 0 it always sleeps. strace counts the calls around three
# control commands.
expect_fail busy-poll-range "--busy-poll 1001: give 0 to 1000 microseconds" -d "$d" --busy-poll 1001
expect_fail busy-poll-negative "--busy-poll -1: give 0 to 1000 microseconds" -d "$d" --busy-poll -1
busy_yields() {
	"$USERNETD" -d "$work/bp$1" -n natnet:bp --busy-poll "$1" >"$work/bp$1.log" 2>&1 &
	bpid=$!
	pids="$pids $bpid"
	if ! wait_ready "$work/bp$1.log" 1; then
		echo "daemon not ready: $(cat "$work/bp$1.log")"
		return
	fi
	strace -f -qq -e trace=sched_yield -p "$bpid" -o "$work/bp$1.strace" &
	spid=$!
	sleep 1 # attached
	for _ in 1 2 3; do "$USERNETCTL" -d "$work/bp$1" list >/dev/null; done
	sleep 0.5
	kill "$spid"
	wait "$spid" 2>/dev/null
	kill "$bpid"
	grep -c sched_yield "$work/bp$1.strace"
}
on=$(busy_yields 1000)
off=$(busy_yields 0)
if [ "$on" -ge 5 ] 2>/dev/null && [ "$off" -le 1 ] 2>/dev/null; then
	ok busy-poll
else
	not_ok busy-poll "sched_yield calls: $on with --busy-poll 1000 (want 5 or more), $off with 0 (want at most 1)"
fi

# An ordinary user: DIR owned by nobody, daemon run as nobody.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	ud="$work/nobody"
	mkdir -m 0700 "$ud" && chown nobody:nogroup "$ud" && chmod 0711 "$work"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$USERNETD" -d "$ud/run" -n nat:u >"$work/u.log" 2>&1 &
	upid=$!
	pids="$pids $upid"
	if wait_ready "$work/u.log" 1 && [ "$(stat -c %U "$ud/run/u.stream")" = nobody ]; then
		ok unprivileged
	else
		not_ok unprivileged "$(cat "$work/u.log")"
	fi
	kill "$upid" 2>/dev/null
fi

[ $failures = 0 ]
