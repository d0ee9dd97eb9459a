#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# run_fuzzers.sh BUILD SECONDS TARGET... - run each libFuzzer harness
# BUILD/fuzzers/fuzz_TARGET for SECONDS (make fuzz), one after another.
# Seeds: tests/fuzz/corpus/TARGET (read only); what the fuzzer finds new
# goes to BUILD/corpus/TARGET and stays for the next run. A crash, leak or
# hang leaves its input in BUILD/crashes/TARGET/; copy it to
# tests/fuzz/regressions/TARGET/ once fixed, so make check replays it.
# Prints per harness: executions per second, coverage (cov: edges, ft:
# features), corpus size and the result; the full log is BUILD/logs/.
# Exits 1 when any harness crashed.

build=$(cd "$1" && pwd) || exit 1
secs=$2
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)

export USERNET_PLUGIN_PATH="$build/plugins"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Longest input per harness: a few frames, or two whole stream frames.
max_len() {
	case $1 in
	stream_deframer) echo 140000 ;;
	vde_request) echo 512 ;;
	ip_reassembly | frame_path_*) echo 8192 ;;
	*) echo 4096 ;;
	esac
}

failed=""
printf '%-18s %8s %7s %8s %7s  %s\n' harness exec/s cov ft corpus result
for t in "$@"; do
	bin="$build/fuzzers/fuzz_$t"
	work="$build/corpus/$t"
	crashes="$build/crashes/$t"
	log="$build/logs/$t.log"
	mkdir -p "$work" "$crashes" "$build/logs"
	"$bin" -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$crashes/" "$work" "$top/tests/fuzz/corpus/$t" \
		>"$log" 2>&1
	rc=$?
	# The last status line: "#N DONE cov: C ft: F corp: N/S ... exec/s: E"
	status=$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -n 1)
	cov=$(echo "$status" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$status" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$status" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	if [ $rc = 0 ]; then
		result="ok"
	else
		result="CRASHED (exit $rc): $(ls "$crashes" | head -n 3 | tr '\n' ' ')"
		failed="$failed $t"
	fi
	printf '%-18s %8s %7s %8s %7s  %s\n' "$t" "${eps:-?}" "${cov:-?}" \
		"${ft:-?}" "${corp:-?}" "$result"
done
if [ -n "$failed" ]; then
	echo "fuzz: crashed:$failed (inputs in $build/crashes/, logs in $build/logs/)"
	exit 1
fi
