#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# notify.sh - usernetd under a service manager, where PID 1 is not systemd:
# --notify, the user unit, where logs go, and the man pages.
# Owns: READY=1 only once every endpoint and the control socket exist, on
#   a path and an abstract NOTIFY_SOCKET; STOPPING=1 on SIGTERM; nothing
#   without --notify; the warning without NOTIFY_SOCKET; the journal only
#   when JOURNAL_STREAM names stderr; `systemd-analyze verify` on the unit
#   as installed; every man page renders without warnings; the example in
#   usernet.conf(5) runs.
#   Not here: the log-target choice for each malformed JOURNAL_STREAM
#   (tests/unit/test_log.c).
#
# How it works
# The test plays the manager (DESIGN.md, Tests and CI): notify_listen.py
# binds the NOTIFY_SOCKET and, the moment READY=1 arrives, checks that the
# endpoints, the control socket, the TCP endpoint and the ready lines exist.
# For the journal, a private mount namespace gets a tmpfs on /run, and
# notify_listen.py plays journald at /run/systemd/journal/socket: a daemon
# whose JOURNAL_STREAM names its stderr must log there (structured fields)
# and not on stderr; one with a stale JOURNAL_STREAM must do the opposite.
# No traffic leaves loopback.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_init notify
e2e_need python3 groff systemd-analyze unshare stat

USERNETD=${USERNETD:-$E2E_SRC/build/san/usernetd}
export USERNET_PLUGIN_PATH=${USERNET_PLUGIN_PATH:-$(dirname "$USERNETD")/plugins}
[ -x "$USERNETD" ] || e2e_cannot_run "no usernetd at $USERNETD (make SANITIZE=1 BUILD=build/san build, or set USERNETD)"
for kind in nat natnet hostonly internal; do
	[ -e "$USERNET_PLUGIN_PATH/$kind.so" ] || e2e_cannot_run "no $kind plugin in $USERNET_PLUGIN_PATH"
done
unset NOTIFY_SOCKET JOURNAL_STREAM

LISTEN=$E2E_DIR/notify_listen.py
TCP_PORT=$((21000 + $$ % 1000))

## Helpers

# listen_start SOCKET OUT [CHECK...]: notify_listen.py, bound when this returns.
listen_start() {
	e2e_bg "$2.log" python3 "$LISTEN" "$@"
	LISTEN_PID=$E2E_BG_PID
	e2e_wait_for 10 grep -qsx listening "$2" ||
		e2e_cannot_run "notify_listen.py did not bind $1: $(cat "$2.log")"
}

# daemon_bg OUT ERR COMMAND...: COMMAND in the background, stdout to OUT and
# stderr to ERR (not truncated: ERR's inode stays); killed at exit. Sets DAEMON_PID.
daemon_bg() {
	local out=$1 err=$2
	shift 2
	"$@" </dev/null >"$out" 2>>"$err" &
	DAEMON_PID=$!
	echo "$DAEMON_PID" >>"$E2E_TMP/pids"
}

not_running() { ! kill -0 "$1" 2>/dev/null; }

# daemon_stop PID: SIGTERM; sets STOP_RC (124 if it had not exited after 10 s).
daemon_stop() {
	kill -TERM "$1" 2>/dev/null
	if e2e_wait_for 10 not_running "$1"; then
		wait "$1"
		STOP_RC=$?
	else
		kill -KILL "$1" 2>/dev/null
		STOP_RC=124
	fi
	sed -i "/^$1\$/d" "$E2E_TMP/pids"
}

# ready_lines OUT N: OUT holds N "NAME (KIND) ready" lines and the control socket line.
ready_lines() {
	[ "$(grep -c ' ready$' "$1" 2>/dev/null)" -ge "$2" ] && grep -q 'control socket' "$1"
}

# got_lines FILE PATTERN: how many lines of FILE match PATTERN (grep -E).
got_lines() { grep -cE "$2" "$1" 2>/dev/null; }

## READY=1 on a path socket, after every endpoint; STOPPING=1 on SIGTERM

run=$(e2e_user_dir)
dir=$run/usernet
got=$E2E_TMP/notify.got
checks=("grep:$run/out:usernetd: wire (internal) ready" "grep:$run/out:control socket $dir/control"
	"sock:$dir/control" "tcp:127.0.0.1:$TCP_PORT")
for net in a lab ho wire; do
	checks+=("sock:$dir/$net.vde/ctl" "sock:$dir/$net.stream" "sock:$dir/$net.dgram")
done
listen_start "$E2E_TMP/notify.sock" "$got" "${checks[@]}"
daemon_bg "$run/out" "$run/err" env NOTIFY_SOCKET="$E2E_TMP/notify.sock" \
	"$USERNETD" --notify -d "$dir" -n nat:a -n natnet:lab -n hostonly:ho \
	-n "internal:wire,listen=127.0.0.1:$TCP_PORT"
pid=$DAEMON_PID
if e2e_wait_for 30 grep -qs '^ready-check' "$got"; then
	check=$(grep '^ready-check' "$got")
	e2e_expect_eq ready-after-endpoints "the listener's check at READY=1" "$check" "ready-check ok"
else
	e2e_not_ok ready-after-endpoints "no READY=1 in 30 s; daemon said: $(tail -n3 "$run/err")"
fi
e2e_expect_eq ready-status "the READY datagram" "$(grep -m1 '^dgram READY=1' "$got")" \
	"dgram READY=1|STATUS=serving 4 networks in $dir"
sleep 0.5
e2e_expect_eq ready-once "the number of READY=1 datagrams" "$(got_lines "$got" '^dgram READY=1')" 1
e2e_expect_eq no-stopping-while-serving "STOPPING=1 datagrams before SIGTERM" \
	"x$(got_lines "$got" 'STOPPING=1')" x0
daemon_stop "$pid"
e2e_expect_eq stop-exit "usernetd's exit status after SIGTERM" "$STOP_RC" 0
e2e_wait_for 5 grep -qs STOPPING=1 "$got"
e2e_expect_eq stopping "the datagram after SIGTERM" "$(grep -m1 STOPPING=1 "$got")" \
	"dgram STOPPING=1|STATUS=stopping"
if grep -q 'warning' "$run/err"; then
	e2e_not_ok notify-quiet "warnings: $(grep warning "$run/err" | head -n3)"
else
	e2e_ok notify-quiet
fi
e2e_bg_stop "$LISTEN_PID"

## An abstract NOTIFY_SOCKET ('@name', as systemd may set it)

run=$(e2e_user_dir)
abstract="@usernet-notify-$$-$RANDOM"
got=$E2E_TMP/abstract.got
listen_start "$abstract" "$got" "sock:$run/usernet/x.stream" "sock:$run/usernet/control"
daemon_bg "$run/out" "$run/err" env NOTIFY_SOCKET="$abstract" \
	"$USERNETD" --notify -d "$run/usernet" -n natnet:x
pid=$DAEMON_PID
e2e_wait_for 30 grep -qs '^ready-check' "$got"
e2e_expect_eq abstract-ready "the listener's check at READY=1" "$(grep '^ready-check' "$got")" "ready-check ok"
daemon_stop "$pid"
e2e_wait_for 5 grep -qs STOPPING=1 "$got"
e2e_expect_eq abstract-stopping "STOPPING=1 datagrams" "$(got_lines "$got" '^dgram STOPPING=1')" 1
e2e_bg_stop "$LISTEN_PID"

## Without --notify nothing is sent, even with NOTIFY_SOCKET set

run=$(e2e_user_dir)
got=$E2E_TMP/silent.got
listen_start "$E2E_TMP/silent.sock" "$got"
daemon_bg "$run/out" "$run/err" env NOTIFY_SOCKET="$E2E_TMP/silent.sock" \
	"$USERNETD" -d "$run/usernet" -n nat:s
pid=$DAEMON_PID
if e2e_wait_for 30 ready_lines "$run/out" 1; then
	sleep 1
	daemon_stop "$pid"
	sleep 0.5
	e2e_expect_eq silent-without-notify "datagrams received" "x$(got_lines "$got" '^dgram')" x0
else
	e2e_not_ok silent-without-notify "the daemon did not get ready: $(tail -n3 "$run/err")"
	daemon_stop "$pid"
fi
e2e_bg_stop "$LISTEN_PID"

## --notify without NOTIFY_SOCKET: a warning, and the daemon serves on

run=$(e2e_user_dir)
daemon_bg "$run/out" "$run/err" "$USERNETD" --notify -d "$run/usernet" -n nat:w
pid=$DAEMON_PID
if e2e_wait_for 30 ready_lines "$run/out" 1 &&
	e2e_wait_for 5 grep -qs 'NOTIFY_SOCKET is not set' "$run/err" && kill -0 "$pid" 2>/dev/null; then
	e2e_ok unset-socket-warns
else
	e2e_not_ok unset-socket-warns "stderr: $(tail -n3 "$run/err")"
fi
daemon_stop "$pid"
e2e_expect_eq unset-socket-exit "usernetd's exit status" "$STOP_RC" 0

## JOURNAL_STREAM: the journal only when it names stderr

# Runs inside `unshare -m`: a tmpfs on /run (private to the namespace), a
# fake journald, then one daemon per JOURNAL_STREAM case.
cat >"$E2E_TMP/journal.sh" <<'EOF'
set -u
mount -t tmpfs -o mode=0755 usernet-test /run || exit 3
mkdir -p /run/systemd/journal
python3 "$LISTEN" /run/systemd/journal/socket "$T/journal.got" >"$T/journal.log" 2>&1 &
listener=$!
for _ in $(seq 100); do grep -qsx listening "$T/journal.got" && break; sleep 0.1; done
# one_daemon NAME JOURNAL_STREAM_VALUE|match
one_daemon() {
	local name=$1 err=$T/$1.err value=$2 pid
	: >"$err"
	[ "$value" = match ] && value=$(stat -c '%d:%i' "$err")
	[ "$value" = stale ] && value="$(stat -c '%d' "$err"):$(($(stat -c '%i' "$err") + 1))"
	echo "mark $1" >>"$T/journal.got"
	# --notify's debug line is a record at debug priority (-v); its READY=1
	# lands on the fake journal too, only for the first daemon.
	if [ "$1" = match ]; then set -- --notify; else set --; fi
	NOTIFY_SOCKET=/run/systemd/journal/socket JOURNAL_STREAM=$value \
		"$USERNETD" -v "$@" -d "$T/j.dir" -n nat:j >"$T/$name.out" 2>>"$err" &
	pid=$!
	for _ in $(seq 300); do grep -qs ' ready$' "$T/$name.out" && break; sleep 0.1; done
	kill -TERM "$pid"
	wait "$pid"
	echo "$?" >"$T/$name.rc"
	sleep 0.3
}
one_daemon match match
one_daemon stale stale
one_daemon garbage garbage
kill "$listener"
EOF
if T=$E2E_TMP LISTEN=$LISTEN USERNETD=$USERNETD timeout 120 \
	unshare -m --propagation private bash "$E2E_TMP/journal.sh" >"$E2E_TMP/journal.sh.log" 2>&1; then
	jgot=$E2E_TMP/journal.got
	# The records between "mark match" and "mark stale" are the first daemon's.
	sed -n '/^mark match$/,/^mark stale$/p' "$jgot" >"$E2E_TMP/journal.match"
	rec=$(grep -m1 'MESSAGE=stopping on signal' "$E2E_TMP/journal.match")
	if [[ $rec == *"|PRIORITY=5|"* && $rec == *"|GLIB_DOMAIN=usernetd|"* &&
		$rec == *"|SYSLOG_IDENTIFIER=usernetd|"* ]]; then
		e2e_ok journal-when-stream-matches
	else
		e2e_not_ok journal-when-stream-matches "no structured record of 'stopping on signal'; got: $(head -c 600 "$E2E_TMP/journal.match")"
	fi
	rec=$(grep -m1 "MESSAGE=--notify: sent 'READY=1" "$E2E_TMP/journal.match")
	if [[ $rec == *"|PRIORITY=7|"* && $rec == *"|GLIB_DOMAIN=usernet-notify|"* ]]; then
		e2e_ok journal-debug-with-v
	else
		e2e_not_ok journal-debug-with-v "no debug record of --notify; got: $(head -c 600 "$E2E_TMP/journal.match")"
	fi
	e2e_expect_eq journal-not-stderr "log lines on stderr with a matching JOURNAL_STREAM" \
		"x$(got_lines "$E2E_TMP/match.err" '^usernetd: \[')" x0
	for case in stale garbage; do
		if grep -q '^usernetd: \[usernetd\] message: stopping on signal$' "$E2E_TMP/$case.err"; then
			e2e_ok "stderr-when-stream-$case"
		else
			e2e_not_ok "stderr-when-stream-$case" "stderr: $(tail -n3 "$E2E_TMP/$case.err")"
		fi
	done
	e2e_expect_eq journal-silent-when-stale "journal records after the matching daemon" \
		"x$(sed -n '/^mark stale$/,$p' "$jgot" | got_lines /dev/stdin '^dgram')" x0
	e2e_expect_eq journal-daemons-exit "exit statuses" \
		"$(cat "$E2E_TMP/match.rc" "$E2E_TMP/stale.rc" "$E2E_TMP/garbage.rc" | tr '\n' ' ')" "0 0 0 "
else
	e2e_skip_check journal "no private mount namespace here: $(tail -n2 "$E2E_TMP/journal.sh.log")"
fi

## The user unit, as `make install` writes it, passes systemd-analyze verify

prefix=$E2E_TMP/prefix
unit=$prefix/lib/systemd/user/usernetd.service
mkdir -p "$prefix/bin" "$prefix/lib/systemd/user" "$E2E_TMP/xdg"
chmod 0700 "$E2E_TMP/xdg"
for sec in 1 5 8; do
	mkdir -p "$prefix/share/man/man$sec"
	cp "$E2E_SRC"/doc/*."$sec" "$prefix/share/man/man$sec/"
done
ln -s "$USERNETD" "$prefix/bin/usernetd"
sed "s|@PREFIX@|$prefix|g" "$E2E_SRC/systemd/usernetd.service.in" >"$unit"
if grep -q '^Type=notify$' "$unit" && grep -q "^ExecStart=$prefix/bin/usernetd --notify" "$unit" &&
	! grep -q '@PREFIX@' "$unit"; then
	e2e_ok unit-form
else
	e2e_not_ok unit-form "$(grep -E '^(Type|ExecStart)=' "$unit")"
fi
out=$(cd "$E2E_TMP" && XDG_RUNTIME_DIR=$E2E_TMP/xdg MANPATH=$prefix/share/man:/usr/share/man \
	systemd-analyze --user verify "$unit" 2>&1)
rc=$?
if [ $rc = 0 ] && [ -z "$out" ]; then
	e2e_ok unit-verify
else
	e2e_not_ok unit-verify "systemd-analyze verify (exit $rc): $out"
fi

## Man pages

for page in usernetd.8 usernetctl.1 usernet.conf.5; do
	[ -f "$E2E_SRC/doc/$page" ] || e2e_not_ok "man-$page" "doc/$page is missing"
done
for page in "$E2E_SRC"/doc/*.[1-8]; do
	name=man-$(basename "$page")
	out=$(groff -man -ww -z "$page" 2>&1)
	rc=$?
	if [ $rc != 0 ] || [ -n "$out" ]; then
		e2e_not_ok "$name" "groff -man -ww -z (exit $rc): $out"
	elif command -v man >/dev/null && out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) &&
		[ -n "$out" ]; then
		e2e_not_ok "$name" "man --warnings -l: $out"
	else
		e2e_ok "$name"
	fi
done
if grep -q -- '\\-\\-notify' "$E2E_SRC/doc/usernetd.8"; then e2e_ok man-notify; else
	e2e_not_ok man-notify "usernetd.8 does not document --notify"; fi

## The example in usernet.conf(5) is a working configuration

run=$(e2e_user_dir)
sed -n '/^\.SH EXAMPLES/,/^\.SH SEE/p' "$E2E_SRC/doc/usernet.conf.5" |
	sed -n '/^\.EX$/,/^\.EE$/p' | sed '1d;$d' | sed 's/\\-/-/g; s/\\e/\\/g' >"$run/usernet.conf"
want=$(grep -c '^\[' "$run/usernet.conf")
daemon_bg "$run/out" "$run/err" "$USERNETD" -d "$run/usernet" -c "$run/usernet.conf"
pid=$DAEMON_PID
if [ "$want" -ge 4 ] && e2e_wait_for 30 ready_lines "$run/out" "$want"; then
	e2e_ok conf-example-runs
else
	e2e_not_ok conf-example-runs "$want groups; daemon said: $(tail -n3 "$run/err")"
fi
daemon_stop "$pid"

e2e_finish
