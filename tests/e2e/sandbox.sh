#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# sandbox.sh - usernetd sandboxes itself once serving (backend/sandbox.c).
# Owns: what the kernel reports for a sandboxed and an unsandboxed daemon,
#   and Landlock's limit on capture files. Not here: that every feature
#   still works sandboxed (every other e2e script runs the default, which
#   is sandboxed); teardown and reporting (lib.sh).
#
# How it works
# A daemon started from a working directory of its own, with one
# --capture-dir: /proc/PID/status must say NoNewPrivs 1 and Seccomp 2 (a
# filter). Captures into DIR, the working directory and the capture dir
# work; one into another directory gets an error reply naming the sandbox,
# no file appears, and the daemon still answers. With --no-sandbox: Seccomp
# 0, NoNewPrivs 0, and the same capture works.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

e2e_init sandbox

USERNETD=${USERNETD:-$E2E_SRC/build/usernetd}
CTL=${USERNETCTL:-$(dirname "$USERNETD")/usernetctl}
export USERNET_PLUGIN_PATH=${USERNET_PLUGIN_PATH:-$(dirname "$USERNETD")/plugins}
[ -x "$USERNETD" ] || e2e_cannot_run "no usernetd at $USERNETD (make, or set USERNETD)"
[ -x "$CTL" ] || e2e_cannot_run "no usernetctl at $CTL (make)"
# The daemon starts in a directory of its own: no relative paths.
USERNETD=$(realpath "$USERNETD")
USERNET_PLUGIN_PATH=$(realpath "$USERNET_PLUGIN_PATH")

mkdir -p "$E2E_TMP/cwd" "$E2E_TMP/caps" "$E2E_TMP/elsewhere"

# start NAME ARGS...: a daemon in DIR $E2E_TMP/NAME/usernet, working
# directory $E2E_TMP/cwd; sets DAEMON and DIR.
start() {
	local run name=$1
	shift
	run=$(e2e_user_dir)
	DIR=$run/usernet
	e2e_bg "$run/usernetd.log" sh -c 'cd "$1" && shift && exec "$@"' sh "$E2E_TMP/cwd" \
		"$USERNETD" -v -d "$DIR" "$@" -n nat:t
	DAEMON=$E2E_BG_PID
	LOG=$run/usernetd.log
	e2e_wait_for 20 grep -q "control socket" "$LOG" ||
		e2e_not_ok "start-$name" "not ready: $(tail -n5 "$LOG")"
}
status() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$DAEMON/status"; }
ctl() { "$CTL" -d "$DIR" "$@"; }

# capture NAME FILE: a capture of t to FILE starts and stops.
capture() {
	local msg
	if msg=$(ctl capture start t "$2" 2>&1) && ctl capture stop t >/dev/null 2>&1 &&
		[ -s "$2" ]; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1" "capture to $2: $msg"
	fi
}

## Sandboxed, the default

start sandboxed --capture-dir "$E2E_TMP/caps"
e2e_expect_eq no-new-privs "NoNewPrivs" "$(status NoNewPrivs)" 1
e2e_expect_eq seccomp-filter "Seccomp" "$(status Seccomp)" 2
grep -q "sandbox: on" "$LOG" && e2e_ok sandbox-logged || e2e_not_ok sandbox-logged "$(cat "$LOG")"

capture capture-in-dir "$DIR/a.pcap"
capture capture-in-cwd "$E2E_TMP/cwd/b.pcap"
capture capture-in-capture-dir "$E2E_TMP/caps/c.pcap"

landlock=$(python3 -c 'import ctypes; print(ctypes.CDLL(None).syscall(444, None, 0, 1))' 2>/dev/null)
if [ "${landlock:--1}" -gt 0 ] 2>/dev/null; then
	if msg=$(ctl capture start t "$E2E_TMP/elsewhere/d.pcap" 2>&1); then
		e2e_not_ok capture-elsewhere-refused "succeeded: $msg"
	elif [[ $msg == *"Permission denied"*"sandbox"*"--capture-dir"* ]]; then
		e2e_ok capture-elsewhere-refused
	else
		e2e_not_ok capture-elsewhere-refused "said '$msg'"
	fi
	[ -e "$E2E_TMP/elsewhere/d.pcap" ] && e2e_not_ok capture-elsewhere-no-file "file exists" ||
		e2e_ok capture-elsewhere-no-file
else
	e2e_skip_check capture-elsewhere-refused "the kernel has no Landlock"
fi
if ctl list >/dev/null 2>&1 && kill -0 "$DAEMON"; then
	e2e_ok keeps-serving
else
	e2e_not_ok keeps-serving "list failed or daemon gone: $(tail -n5 "$LOG")"
fi
grep -q "refused system call" "$LOG" && e2e_not_ok no-refused-calls "$(grep 'refused system call' "$LOG")" ||
	e2e_ok no-refused-calls
rm -f "$DIR/a.pcap" # DIR is removed at exit only when empty
e2e_bg_stop "$DAEMON"
[ -e "$DIR" ] && e2e_not_ok dir-removed "$DIR left behind" || e2e_ok dir-removed

## --no-sandbox

start unsandboxed --no-sandbox
e2e_expect_eq no-sandbox-seccomp "Seccomp" "$(status Seccomp)" 0
e2e_expect_eq no-sandbox-no-new-privs "NoNewPrivs" "$(status NoNewPrivs)" 0
capture no-sandbox-capture-elsewhere "$E2E_TMP/elsewhere/e.pcap"
e2e_bg_stop "$DAEMON"
e2e_finish
