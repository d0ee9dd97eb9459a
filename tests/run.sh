#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh BUILD_DIR - run every unit test binary and every end-to-end script
# against the build in BUILD_DIR; end with "N passed, N failed".
# A test that exits 77 was skipped: a failure when CI=true (TESTING.md).
# Set TESTS="pattern ..." to run only matching tests.

build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd) || exit 1
logdir="$build/test-logs"
mkdir -p "$logdir"

export USERNETD="$build/usernetd"
export USERNET_PLUGIN_PATH="$build/plugins"
export USERNET_BUILD="$build"
export USERNET_TOP="$top"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

passed=0
failed=0
skipped=0
failures=""

selected() {
	[ -z "$TESTS" ] && return 0
	for pat in $TESTS; do
		case $1 in *$pat*) return 0 ;; esac
	done
	return 1
}

run_one() { # NAME TIMEOUT CMD...
	name=$1
	limit=$2
	shift 2
	selected "$name" || return 0
	log="$logdir/$(echo "$name" | tr '/' '_').log"
	start=$(date +%s)
	timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	if [ $rc = 0 ]; then
		passed=$((passed + 1))
		echo "PASS $name (${secs}s)"
	elif [ $rc = 77 ] && [ "$CI" != true ]; then
		skipped=$((skipped + 1))
		echo "SKIP $name: $(tail -n 1 "$log")"
	else
		failed=$((failed + 1))
		failures="$failures $name"
		[ $rc = 124 ] && echo "FAIL $name: timed out after ${limit}s" ||
			echo "FAIL $name (exit $rc, ${secs}s); last lines of $log:"
		tail -n 25 "$log" | sed 's/^/    /'
	fi
}

for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" 120 "$t"
done

for t in "$top"/tests/e2e/*.sh; do
	[ -f "$t" ] || continue
	case $(basename "$t") in lib*.sh) continue ;; esac
	# A script with a line "# run-with: BACKEND=a BACKEND=b" runs once per
	# setting (the nat suite: QEMU's -netdev user and each transport).
	settings=$(sed -n 's/^# run-with: //p' "$t")
	if [ -z "$settings" ]; then
		run_one "e2e/$(basename "$t" .sh)" 900 bash "$t"
		continue
	fi
	for setting in $settings; do
		run_one "e2e/$(basename "$t" .sh)[${setting#*=}]" 900 env "$setting" bash "$t"
	done
done

[ -n "$failures" ] && echo "failed:$failures"
if [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ $failed = 0 ]
