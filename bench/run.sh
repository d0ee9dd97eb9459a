#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh - `make bench`: usernet beside QEMU's -netdev user, passt,
# vde_switch+slirpvde and slirp4netns, with a kernel tap as the ceiling,
# measured in one run on the same guest; one Markdown table.
# Owns: preflight (refuses when a peer or the guest is missing), starting
#   each backend in a namespace made here, the host side of every measure,
#   CPU sampling, the resource and start-up measures, the result file.
# Not here: the guest side (bench/workload.sh), the traffic tools
#   (bench/unbench.c), the table (bench/report.awk), the guest image
#   (tests/e2e/guest/build.sh, used as it is).
#
# Usage: bench/run.sh [--profile] [BUILD_DIR]     (as root; BUILD_DIR default build)
#   BENCH_REPS=3 BENCH_SECS=5 (iperf3 -t) BENCH_RR_SECS=2 BENCH_FAN_N=200
#   BENCH_FAN_LIMIT=35 (s a 200-connection round may take before it fails)
#   BENCH_ONLY="uvde ustream uhand qemu passt slirpvde tap s4n res" picks columns,
#   BENCH_MTUS="1500 65520" the MTUs, BENCH_PARTS="vm ns res" the sections
#   (what is left out is "not measured: not selected"); BENCH_KEEP=1 keeps
#   the scratch dir; BENCH_OUT=FILE writes the table there instead;
#   BENCH_USERNETD_ARGS="--busy-poll 0" adds options to usernetd in the
#   traffic rows (for A/B runs of one option).
#   --profile: only usernet over VDE at MTU 1500, `perf record --call-graph dwarf` on
#   usernetd during the guest->host iperf3 runs; prints the top symbols.
#
# How it works
# Every backend run gets a fresh namespace ("the host": its loopback is what
# the guest reaches as 10.0.2.2, its /etc/netns resolv.conf names 127.0.0.1
# so no backend can reach the machine's DNS server). The backend, QEMU,
# iperf3 -s (one-off, restarted per run, the backend's CPU ticks read from
# /proc/PID/stat around each) and unbench rr-server run there. The guest
# runs bench/workload.sh and reports "bench: KEY=VALUE" lines on its serial
# console; the host runs the 200-connection client once the guest says
# FAN_READY. A watchdog stops the guest when the backend process dies, and
# every measure that got no result says why. Namespace rows run the same
# workload.sh with busybox sh inside a second namespace joined to the
# backend (usernet-plug into a natnet over VDE or stream, or handing its tap
# to usernetd through the .tap endpoint; or slirp4netns).
# The traffic rule: only loopback and namespaces made here are reached.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
PROFILE=0
[ "${1:-}" = --profile ] && PROFILE=1 && shift
build=$(cd "${1:-$top/build}" 2>/dev/null && pwd) || { echo "bench: no build dir ${1:-build}" >&2; exit 1; }

REPS=${BENCH_REPS:-3}
SECS=${BENCH_SECS:-5}
RR_SECS=${BENCH_RR_SECS:-2}
FAN_N=${BENCH_FAN_N:-200}
FAN_BYTES=1048576
FAN_LIMIT=${BENCH_FAN_LIMIT:-35} # s per round; SYN retries come at 1, 3, 7, 15, 31 s
DAEMON_ARGS=${BENCH_USERNETD_ARGS:-} # split on blanks on purpose
ONLY=${BENCH_ONLY:-uvde ustream uhand qemu passt slirpvde tap s4n res}
MTUS=${BENCH_MTUS:-1500 65520}
PARTS=${BENCH_PARTS:-vm ns res}
IPERF_PORT=5201
RR_PORT=7100
FAN_PORT=7300
MAC=52:54:00:12:34:56
TAG=ub$$
USERNETD=$build/usernetd
PLUG=$build/usernet-plug
export USERNET_PLUGIN_PATH=$build/plugins

log() { echo "bench: $*" >&2; }
# refuse REASON: the benchmark cannot run here; nothing is written.
refuse() {
	echo "bench: refusing to run: $*" >&2
	exit 1
}

## Preflight

[ "$(id -u)" -eq 0 ] || refuse "needs root (network namespaces, tap devices)"
sh "$top/scripts/deps.sh" bench || refuse "the benchmark's packages are missing (make bench-deps)"
for p in qemu-system-x86_64 iperf3 passt slirp4netns vde_switch slirpvde busybox cpio socat ip gcc; do
	command -v "$p" >/dev/null 2>&1 || refuse "$p is not installed (make bench-deps)"
done
[ -e /dev/net/tun ] || refuse "no /dev/net/tun (the tap ceiling and usernet-plug need it)"
for f in "$USERNETD" "$PLUG" "$build/plugins/nat.so" "$build/plugins/natnet.so"; do
	[ -e "$f" ] || refuse "$f is missing: run make first"
done
[ "$PROFILE" = 0 ] || command -v perf >/dev/null || refuse "--profile needs perf (apt-get install linux-perf)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/usernet-bench.XXXXXX")
chmod 0711 "$TMP"
# A snapshot of the build: every column runs the same binaries, even when
# the tree is rebuilt while the benchmark runs.
mkdir -p "$TMP/build/plugins"
cp "$USERNETD" "$PLUG" "$TMP/build/" && cp "$build"/plugins/*.so "$TMP/build/plugins/" ||
	refuse "cannot copy the build from $build"
BUILD_REV=$(git -C "$top" describe --always --dirty 2>/dev/null)
USERNETD=$TMP/build/usernetd PLUG=$TMP/build/usernet-plug
export USERNET_PLUGIN_PATH=$TMP/build/plugins
RES=$TMP/results
: >"$RES"
: >"$TMP/pids"
: >"$TMP/netns"

cleanup() {
	local pid ns
	while read -r pid; do
		[ -n "$pid" ] && kill "$pid" 2>/dev/null
	done <"$TMP/pids"
	sleep 0.3
	while read -r pid; do
		[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	done <"$TMP/pids"
	while read -r ns; do
		[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null && rm -rf "/etc/netns/$ns"
	done <"$TMP/netns"
	if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building bench/unbench (static, it also runs in the guest)"
gcc -std=gnu11 -O2 -Wall -Wextra -static -o "$TMP/unbench" "$here/unbench.c" ||
	refuse "cannot build bench/unbench.c statically (libc6-dev provides libc.a)"
UNBENCH=$TMP/unbench
export PATH="$TMP:$PATH" # unbench for namespace workloads

log "building (or finding) the test guest"
guest=$("$top/tests/e2e/guest/build.sh" | tail -n1) && [ -f "$guest/kernel" ] ||
	refuse "cannot build the test guest (tests/e2e/guest/build.sh)"
GUEST_FWCFG=0
grep -q '^script=fw_cfg' "$guest/manifest" && GUEST_FWCFG=1
mkdir -p "$TMP/guest/extra/usr/bin"
cp "$guest/kernel" "$TMP/guest/kernel"
cp "$UNBENCH" "$TMP/guest/extra/usr/bin/unbench"
# The kernel unpacks concatenated cpio archives: unbench joins the guest's own.
{ cat "$guest/initrd.img"; (cd "$TMP/guest/extra" && find . | cpio -o -H newc --quiet -R 0:0); } >"$TMP/guest/initrd.img"

## Small helpers

selected() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }

# put ROW COL VALUE...: numeric samples for one cell.
put() {
	local row=$1 col=$2
	shift 2
	echo "$row	$col	vals	$*" >>"$RES"
}
# put_text ROW COL TEXT: a cell that is a reason ("failed: ...", "n/a: ...").
put_text() { echo "$1	$2	text	$3" >>"$RES"; }
# put_all PREFIX MTU COL TEXT: TEXT in every row of one backend run.
put_all() {
	local r
	for r in ping rr up down fan cpuup cpudown; do put_text "$1_${r}_$2" "$3" "$4"; done
}

# ns_add NAME: a namespace with loopback up, ICMP sockets for every group
# and a resolv.conf naming its own loopback (nothing listens there).
ns_add() {
	ip netns add "$1" || return 1
	echo "$1" >>"$TMP/netns"
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
	mkdir -p "/etc/netns/$1"
	echo "nameserver 127.0.0.1" >"/etc/netns/$1/resolv.conf"
}
ns_del() {
	ip netns del "$1" 2>/dev/null
	rm -rf "/etc/netns/$1"
	sed -i "/^$1\$/d" "$TMP/netns"
}

# bg DIR NAME COMMAND...: start COMMAND; its PID goes to DIR/NAME.pid (the
# program's own: ip netns exec and env exec), its exit status to DIR/NAME.rc.
bg() {
	local d=$1 name=$2
	shift 2
	(
		"$@" </dev/null >"$d/$name.log" 2>&1 &
		echo $! >"$d/$name.pid"
		echo $! >>"$TMP/pids"
		wait $!
		echo $? >"$d/$name.rc"
	) &
	local i
	for ((i = 0; i < 50; i++)); do
		[ -s "$d/$name.pid" ] && return 0
		sleep 0.02
	done
}
pid_of() { cat "$1/$2.pid" 2>/dev/null; }

# stop PID...: TERM, then KILL after 2 s.
stop() {
	local p i
	for p in "$@"; do kill "$p" 2>/dev/null; done
	for p in "$@"; do
		for ((i = 0; i < 20; i++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
	done
	return 0
}

# wait_for SECONDS COMMAND...: retry every 0.1 s.
wait_for() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# cpu_ticks PID...: utime+stime of every PID, summed (clock ticks).
cpu_ticks() {
	local p t=0 f
	for p in "$@"; do
		f=$(cut -d')' -f2- "/proc/$p/stat" 2>/dev/null) || continue
		t=$((t + $(echo "$f" | awk '{print $12 + $13}')))
	done
	echo "$t"
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

# exit_reason DIR NAME LABEL: "LABEL exited with N" / "killed by signal N", plus its last log line.
exit_reason() {
	local rc why
	rc=$(cat "$1/$2.rc" 2>/dev/null)
	if [ -z "$rc" ]; then why="$3 exited"
	elif [ "$rc" -gt 128 ]; then why="$3 killed by signal $((rc - 128)) ($(kill -l $((rc - 128)) 2>/dev/null))"
	else why="$3 exited with status $rc"; fi
	local last
	last=$(grep -v '^$' "$1/$2.log" 2>/dev/null | grep -v 'Failed to send' | tail -n1 | cut -c1-80)
	echo "$why${last:+: \"$last\"}"
}

# usernetd_ready LOG N: the log has N ready lines.
usernetd_ready() { [ "$(grep -c ') ready$' "$1" 2>/dev/null)" -ge "$2" ]; }

## The host side of one workload

# host_servers NS BIND CPU_PIDS...: iperf3 one-off servers in a loop (CPU
# ticks of CPU_PIDS around each run into $D/cpu) and the round-trip server.
host_servers() {
	local ns=$1 bind=$2
	shift 2
	bg "$D" rr ip netns exec "$ns" "$UNBENCH" rr-server "$RR_PORT"
	(
		for ((k = 1; k <= 2 * REPS; k++)); do
			a=$(cpu_ticks "$@")
			if [ "$PROFILE" = 1 ] && [ "$k" = 1 ]; then
				# dwarf: Debian's GLib and libslirp keep no frame
				# pointers, and -g shows kernel symbols only.
				perf record -q --call-graph dwarf,16384 -o "$D/perf.data" \
					-p "$(IFS=,; echo "$*")" >"$D/perf.log" 2>&1 &
				echo $! >"$D/perf.pid"
			fi
			ip netns exec "$ns" iperf3 -s -1 -p "$IPERF_PORT" ${bind:+-B "$bind"} >>"$D/iperf3.log" 2>&1 &
			echo $! >"$D/iperf3.pid"
			echo $! >>"$TMP/pids"
			wait $!
			[ "$PROFILE" = 1 ] && [ "$k" = "$REPS" ] && kill -INT "$(cat "$D/perf.pid")" && sleep 1
			echo "$k $(($(cpu_ticks "$@") - a))" >>"$D/cpu"
		done
	) &
	echo $! >"$D/loop.pid"
	echo $! >>"$TMP/pids"
	wait_for 5 sh -c "ip netns exec $ns ss -Hltn | grep -q ':$IPERF_PORT ' && ip netns exec $ns ss -Hltn | grep -q ':$RR_PORT '"
}

host_servers_stop() {
	stop "$(cat "$D/loop.pid" 2>/dev/null)" "$(pid_of "$D" iperf3)" "$(pid_of "$D" rr)"
}

# workload_script OUT VAR=VALUE...: bench/workload.sh with its variables first.
workload_script() {
	local out=$1 kv
	shift
	{
		for kv in "$@" REPS="$REPS" SECS="$SECS" RR_SECS="$RR_SECS" IPERF_PORT="$IPERF_PORT" \
			RR_PORT="$RR_PORT" FAN_PORT="$FAN_PORT" FAN_N="$FAN_N" FAN_BYTES="$FAN_BYTES"; do
			printf '%s=%q\n' "${kv%%=*}" "${kv#*=}"
		done
		cat "$here/workload.sh"
	} >"$out"
}

# drive NS OUT WPID FAN_HOST WATCH_PIDS...: runs the host side while the
# workload (PID WPID, output OUT) runs: a watchdog that stops it when a
# backend process in WATCH_PIDS (NAME:PID) dies, and the 200-connection
# client once the workload says FAN_READY. Waits for the workload to end.
drive() {
	local ns=$1 out=$2 wpid=$3 fan_host=$4 k r
	shift 4
	(
		while kill -0 "$wpid" 2>/dev/null; do
			for w in "$@"; do
				if ! kill -0 "${w#*:}" 2>/dev/null; then
					exit_reason "$D" "${w%%:*}" "${w%%:*}" >"$D/died"
					sleep 1
					stop "$wpid"
					exit 0
				fi
			done
			sleep 0.3
		done
	) &
	local watchdog=$!
	local deadline=$((SECONDS + 120 + REPS * (4 * SECS + 3 * RR_SECS + 30)))
	while ! grep -q '^FAN_READY' "$out" 2>/dev/null; do
		kill -0 "$wpid" 2>/dev/null && [ $SECONDS -lt $deadline ] || break
		sleep 0.2
	done
	if grep -q '^FAN_READY' "$out" 2>/dev/null; then
		for ((k = 1; k <= REPS; k++)); do
			r=$(ip netns exec "$ns" "$UNBENCH" fan-client "$fan_host" "$FAN_PORT" "$FAN_N" "$FAN_BYTES" "$FAN_LIMIT")
			echo "fan $r" >>"$D/fan"
			case $r in *fan_bad=0*) ;; *) break ;; esac # one failed round decides the cell
		done
	fi
	for ((k = 0; k < 100; k++)); do
		kill -0 "$wpid" 2>/dev/null || break
		sleep 0.1
	done
	stop "$wpid"
	kill "$watchdog" 2>/dev/null
	wait "$watchdog" 2>/dev/null
}

# why_missing KEY: the reason a measure has too few results.
why_missing() {
	local e
	if [ -s "$D/died" ]; then echo "failed: $(cat "$D/died")"; return; fi
	e=$(grep -a "^bench: ${1}_error=" "$D/out" | head -n1 | sed 's/^[^=]*=//')
	[ -z "$e" ] && e=$(grep -a '^bench: setup_error=' "$D/out" | head -n1 | sed 's/^[^=]*=//')
	[ -z "$e" ] && ! grep -qa '^bench: mtu=' "$D/out" && e="the guest never ran its workload (see serial log)"
	echo "failed: ${e:-no result}"
}

# results PREFIX COL: turns $D/out, $D/cpu and $D/fan into cells of rows PREFIX_*.
results() {
	local p=$1 col=$2 key v n
	for key in ping rr up down; do
		v=$(grep -a "^bench: $key=" "$D/out" | sed 's/^[^=]*=//' | awk -v k="$key" '
			k == "up" || k == "down" { printf "%.3f ", $1 / 1000; next } { printf "%s ", $1 }')
		n=$(echo "$v" | wc -w)
		if [ "$n" -ge "$REPS" ]; then put "${p}_$key" "$col" $v; else put_text "${p}_$key" "$col" "$(why_missing "$key")"; fi
	done
	if [ -s "$D/fan" ] && ! grep -q 'fan_bad=[1-9]' "$D/fan" && [ "$(grep -c 'fan_ok=' "$D/fan")" -ge "$REPS" ]; then
		put "${p}_fan" "$col" $(sed -n 's/.*fan_seconds=\([0-9.]*\).*/\1/p' "$D/fan")
	elif [ -s "$D/fan" ]; then
		put_text "${p}_fan" "$col" "failed: $(grep -m1 'fan_bad=[1-9]\|^fan $' "$D/fan" | awk -v n="$FAN_N" '
			{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2]; if (i > 4) why = why " " $i } }
			END { printf "%d of %d connections did not complete within %.0f s (%s)", v["fan_bad"], n, v["fan_seconds"], substr(why, 2) }')"
	else
		put_text "${p}_fan" "$col" "$(why_missing fan_server)"
	fi
	[ -n "${CPU_NOTE:-}" ] && { put_text "${p}_cpuup" "$col" "$CPU_NOTE"; put_text "${p}_cpudown" "$col" "$CPU_NOTE"; return; }
	cpu_rows "$p" "$col" up 0
	cpu_rows "$p" "$col" down "$REPS"
}

# cpu_rows PREFIX COL KEY OFFSET: CPU seconds per GB (1e9 bytes) moved, per run.
cpu_rows() {
	local v
	v=$(paste <(grep -a "^bench: $3=" "$D/out" | sed 's/^[^=]*=//') \
		<(awk -v o="$4" -v r="$REPS" '$1 > o && $1 <= o + r {print $2}' "$D/cpu" 2>/dev/null) |
		awk -v hz="$(getconf CLK_TCK)" 'NF == 3 && $2 > 0 { printf "%.3f ", ($3 / hz) / ($2 * 1048576 / 1e9) }')
	if [ "$(echo "$v" | wc -w)" -ge "$REPS" ]; then put "${1}_cpu$3" "$2" $v; else put_text "${1}_cpu$3" "$2" "$(why_missing "$3")"; fi
}

## VM rows

# vm_backend COL MTU: starts the backend in $NS; sets NETDEV, FAN_HOST, SETUP,
# BIND, CPU_PIDS, WATCH, CPU_NOTE. 1 (with $D/start_error) when it cannot start.
vm_backend() {
	local col=$1 mtu=$2 p
	FAN_HOST=127.0.0.1 SETUP=dhcp BIND=127.0.0.1 CPU_PIDS=() WATCH=() CPU_NOTE=
	case $col in
	uvde | ustream)
		bg "$D" usernetd ip netns exec "$NS" "$USERNETD" -d "$D/un" $DAEMON_ARGS \
			-n "nat:t,mtu=$mtu,hostfwd=tcp:127.0.0.1:$FAN_PORT-:$FAN_PORT"
		wait_for 20 usernetd_ready "$D/usernetd.log" 1 || { exit_reason "$D" usernetd usernetd >"$D/start_error"; return 1; }
		p=$(pid_of "$D" usernetd)
		CPU_PIDS=("$p") WATCH=("usernetd:$p")
		if [ "$col" = uvde ]; then NETDEV="vde,id=n0,sock=$D/un/t.vde"
		else NETDEV="stream,id=n0,server=off,addr.type=unix,addr.path=$D/un/t.stream"; fi
		;;
	qemu)
		NETDEV="user,id=n0,hostfwd=tcp:127.0.0.1:$FAN_PORT-:$FAN_PORT"
		CPU_NOTE="n/a: libslirp runs inside the QEMU process"
		;;
	passt)
		# passt copies the addresses of the namespace's default-route
		# interface: a veth to a second namespace made here, which holds
		# 10.0.2.2. passt maps TCP and UDP for the gateway to $NS's
		# loopback; its ICMP goes to the real 10.0.2.2, whose kernel answers.
		ns_add "$NS-gw" || { echo "cannot create a namespace" >"$D/start_error"; return 1; }
		ip link add bv0 netns "$NS" type veth peer name bv1 netns "$NS-gw" &&
			ip -n "$NS" addr add 10.0.2.15/24 dev bv0 && ip -n "$NS-gw" addr add 10.0.2.2/24 dev bv1 &&
			ip -n "$NS" link set bv0 up && ip -n "$NS-gw" link set bv1 up &&
			ip -n "$NS" route add default via 10.0.2.2 || { echo "cannot make passt's template interface" >"$D/start_error"; return 1; }
		chmod 0777 "$D"
		bg "$D" passt ip netns exec "$NS" passt -f -e -q -1 -4 -m "$mtu" -t "$FAN_PORT" \
			--no-dhcp-dns --no-dhcp-search -s "$D/passt.sock"
		wait_for 10 test -S "$D/passt.sock" || { exit_reason "$D" passt passt >"$D/start_error"; return 1; }
		p=$(pid_of "$D" passt)
		CPU_PIDS=("$p") WATCH=("passt:$p")
		NETDEV="stream,id=n0,server=off,addr.type=unix,addr.path=$D/passt.sock"
		;;
	slirpvde)
		ip netns exec "$NS" vde_switch -s "$D/sw" -M "$D/sw.mgmt" -d -p "$D/vde_switch.pid" >"$D/vde_switch.log" 2>&1
		wait_for 5 test -s "$D/vde_switch.pid" || { echo "vde_switch did not start: $(tail -n1 "$D/vde_switch.log")" >"$D/start_error"; return 1; }
		cat "$D/vde_switch.pid" >>"$TMP/pids"
		bg "$D" slirpvde ip netns exec "$NS" slirpvde -s "$D/sw" -D -L "$FAN_PORT:10.0.2.15:$FAN_PORT"
		sleep 0.5
		p=$(pid_of "$D" slirpvde)
		kill -0 "$p" 2>/dev/null || { exit_reason "$D" slirpvde slirpvde >"$D/start_error"; return 1; }
		CPU_PIDS=("$p" "$(cat "$D/vde_switch.pid")") WATCH=("slirpvde:$p" "vde_switch:$(cat "$D/vde_switch.pid")")
		NETDEV="vde,id=n0,sock=$D/sw"
		;;
	tap)
		ip -n "$NS" tuntap add dev ubtap0 mode tap &&
			ip -n "$NS" addr add 10.0.2.2/24 dev ubtap0 &&
			ip -n "$NS" link set ubtap0 mtu "$mtu" &&
			ip -n "$NS" link set ubtap0 up || { echo "cannot make a tap device in the namespace" >"$D/start_error"; return 1; }
		NETDEV="tap,id=n0,ifname=ubtap0,script=no,downscript=no"
		FAN_HOST=10.0.2.15 SETUP="static 10.0.2.15/24" BIND=
		CPU_NOTE="n/a: the host kernel does the work"
		;;
	esac
}

# vm_run COL MTU: one guest on one backend at one MTU; cells of rows vm_*_MTU.
vm_run() {
	local col=$1 mtu=$2 nic="" qpid t0=$SECONDS
	NS=$TAG-$col-$mtu
	D=$TMP/vm-$col-$mtu
	mkdir -p "$D"
	ns_add "$NS" || { put_all vm "$mtu" "$col" "failed: cannot create a namespace"; return; }
	[ "$mtu" != 1500 ] && nic=",host_mtu=$mtu"
	if ! vm_backend "$col" "$mtu"; then
		put_all vm "$mtu" "$col" "failed: $(cat "$D/start_error")"
		vm_cleanup
		return
	fi
	host_servers "$NS" "$BIND" "${CPU_PIDS[@]}"
	workload_script "$D/script" GW=10.0.2.2 MTU="$mtu" IFACE=eth0 SETUP="$SETUP" PING=ping
	local handover=(-fw_cfg "name=opt/usernet/script,file=$D/script") initrd=$TMP/guest/initrd.img
	if [ "$GUEST_FWCFG" = 0 ]; then
		mkdir -p "$D/extra/usernet" && cp "$D/script" "$D/extra/usernet/script"
		{ cat "$initrd"; (cd "$D/extra" && find . | cpio -o -H newc --quiet -R 0:0); } >"$D/initrd.img"
		initrd=$D/initrd.img handover=()
	fi
	bg "$D" qemu ip netns exec "$NS" qemu-system-x86_64 -accel tcg -m 512 -nodefaults \
		-no-user-config -display none -monitor none -no-reboot -serial "file:$D/serial" \
		-kernel "$TMP/guest/kernel" -initrd "$initrd" \
		-append "console=ttyS0 quiet panic=-1 mitigations=off" "${handover[@]}" \
		-netdev "$NETDEV" -device "virtio-net-pci,netdev=n0,mac=$MAC$nic"
	qpid=$(pid_of "$D" qemu)
	drive "$NS" "$D/serial" "$qpid" "$FAN_HOST" "${WATCH[@]}"
	tr -d '\r' <"$D/serial" >"$D/out" 2>/dev/null
	results "vm" "$col"
	rename_mtu "$mtu"
	host_servers_stop
	log "$col at MTU $mtu: $((SECONDS - t0)) s$([ -s "$D/died" ] && echo "; $(cat "$D/died")")"
	vm_cleanup
}

# rename_mtu MTU: cells written as PREFIX_KEY get the MTU suffix.
rename_mtu() {
	awk -v m="$1" 'BEGIN { FS = OFS = "\t" } $1 ~ /^(vm|ns)_[a-z]+$/ { $1 = $1 "_" m } { print }' "$RES" >"$RES.tmp" &&
		mv "$RES.tmp" "$RES"
}

vm_cleanup() {
	local p
	for p in qemu slirpvde passt usernetd; do stop "$(pid_of "$D" $p)"; done
	[ -s "$D/vde_switch.pid" ] && stop "$(cat "$D/vde_switch.pid")"
	grep -qx "$NS-gw" "$TMP/netns" && ns_del "$NS-gw"
	ns_del "$NS"
}

## Namespace rows: a namespace (a real kernel) as the guest

# ns_run COL MTU: $G joined to a backend in $NS: usernet-plug into a natnet
# (over VDE or stream), or slirp4netns. Cells of rows ns_*_MTU.
ns_run() {
	local col=$1 mtu=$2 G p t0=$SECONDS wpid
	NS=$TAG-h-$col-$mtu G=$TAG-g-$col-$mtu
	D=$TMP/ns-$col-$mtu
	mkdir -p "$D"
	ns_add "$NS" && ns_add "$G" || { put_all ns "$mtu" "$col" "failed: cannot create namespaces"; return; }
	CPU_PIDS=() WATCH=() CPU_NOTE=
	if [ "$col" = s4n ]; then
		bg "$D" slirp4netns ip netns exec "$NS" slirp4netns --configure --mtu="$mtu" \
			--netns-type=path --api-socket "$D/api.sock" "/run/netns/$G" tap0
		p=$(pid_of "$D" slirp4netns)
		CPU_PIDS=("$p") WATCH=("slirp4netns:$p")
		if wait_for 10 test -S "$D/api.sock"; then
			echo "{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"tcp\", \"host_addr\": \"127.0.0.1\", \"host_port\": $FAN_PORT, \"guest_port\": $FAN_PORT}}" |
				socat -t 2 - "UNIX-CONNECT:$D/api.sock" >"$D/hostfwd.log" 2>&1
		fi
	else
		local ep=n.stream
		[ "$col" = uvde ] && ep=n.vde
		[ "$col" = uhand ] && ep=n.tap
		bg "$D" usernetd ip netns exec "$NS" "$USERNETD" -d "$D/un" $DAEMON_ARGS \
			-n "natnet:n,mtu=$mtu,portfwd=fan:tcp:[]:$FAN_PORT:[10.0.2.100]:$FAN_PORT"
		if wait_for 20 usernetd_ready "$D/usernetd.log" 1; then
			bg "$D" plug "$PLUG" --netns "$G" --tap tap0 --mtu "$mtu" "$D/un/$ep"
			wait_for 10 ip -n "$G" link show tap0 >/dev/null 2>&1 &&
				ip -n "$G" addr add 10.0.2.100/24 dev tap0 && ip -n "$G" link set tap0 up &&
				ip -n "$G" route add default via 10.0.2.2
		fi
		CPU_PIDS=("$(pid_of "$D" usernetd)" "$(pid_of "$D" plug)")
		WATCH=("usernetd:${CPU_PIDS[0]}" "usernet-plug:${CPU_PIDS[1]}")
	fi
	if ! wait_for 10 sh -c "ip -n $G -4 addr show dev tap0 2>/dev/null | grep -q 10.0.2.100"; then
		local why="the backend did not configure tap0"
		for w in "${WATCH[@]}"; do kill -0 "${w#*:}" 2>/dev/null || why=$(exit_reason "$D" "${w%%:*}" "${w%%:*}"); done
		put_all ns "$mtu" "$col" "failed: $why"
		ns_cleanup "$G"
		return
	fi
	host_servers "$NS" 127.0.0.1 "${CPU_PIDS[@]}"
	workload_script "$D/script" GW=10.0.2.2 MTU="$mtu" IFACE=tap0 SETUP=none PING="busybox ping"
	bg "$D" workload ip netns exec "$G" busybox sh "$D/script"
	wpid=$(pid_of "$D" workload)
	drive "$NS" "$D/workload.log" "$wpid" 127.0.0.1 "${WATCH[@]}"
	cp "$D/workload.log" "$D/out"
	results "ns" "$col"
	rename_mtu "$mtu"
	host_servers_stop
	log "namespace $col at MTU $mtu: $((SECONDS - t0)) s$([ -s "$D/died" ] && echo "; $(cat "$D/died")")"
	ns_cleanup "$G"
}

ns_cleanup() {
	local p
	for p in workload plug slirp4netns usernetd; do stop "$(pid_of "$D" $p)"; done
	ns_del "$1"
	ns_del "$NS"
}

## Resources and start-up (usernet only)

# nets K: "-n nat:n1 ... -n nat:nK"
nets() { local i; for ((i = 1; i <= $1; i++)); do printf -- '-n nat:n%d ' "$i"; done; }

res_idle() {
	local k r v p
	for k in 1 10 100; do
		v=
		for ((r = 1; r <= REPS; r++)); do
			D=$TMP/res-$k-$r
			mkdir -p "$D"
			# shellcheck disable=SC2046
			bg "$D" usernetd ip netns exec "$NS" "$USERNETD" -d "$D/un" $(nets "$k")
			p=$(pid_of "$D" usernetd)
			if wait_for 30 usernetd_ready "$D/usernetd.log" "$k"; then
				sleep 1
				v="$v $(awk -v k="$(rss_kib "$p")" 'BEGIN { printf "%.2f", k / 1024 }')"
			fi
			stop "$p"
		done
		if [ "$(echo "$v" | wc -w)" -ge "$REPS" ]; then put "res_mem_$k" uvde $v
		else put_text "res_mem_$k" uvde "failed: $(exit_reason "$D" usernetd usernetd)"; fi
		v=
		for ((r = 1; r <= REPS; r++)); do
			D=$TMP/start-$k-$r
			mkdir -p "$D"
			# shellcheck disable=SC2046
			v="$v $(ip netns exec "$NS" "$UNBENCH" ready-time "$k" "$USERNETD" -d "$D/un" $(nets "$k") 2>"$D/err" |
				sed -n 's/^ready_ms=//p')"
		done
		if [ "$(echo "$v" | wc -w)" -ge "$REPS" ]; then put "res_start_$k" uvde $v
		else put_text "res_start_$k" uvde "failed: $(tail -n1 "$D/err")"; fi
	done
}

# res_nics: RSS of usernetd with 50 namespaces plugged into one natnet,
# each with an address that has pinged the gateway.
res_nics() {
	local r i p v= ok g pings=()
	for ((r = 1; r <= REPS; r++)); do
		D=$TMP/nics-$r
		mkdir -p "$D"
		bg "$D" usernetd ip netns exec "$NS" "$USERNETD" -d "$D/un" -n natnet:lab
		p=$(pid_of "$D" usernetd)
		wait_for 20 usernetd_ready "$D/usernetd.log" 1 || break
		for ((i = 1; i <= 50; i++)); do
			g=$TAG-nic$i
			ns_add "$g"
			bg "$D" "plug$i" "$PLUG" --netns "$g" --tap tap0 "$D/un/lab.stream"
		done
		for ((i = 1; i <= 50; i++)); do
			g=$TAG-nic$i
			wait_for 5 ip -n "$g" link show tap0 >/dev/null 2>&1 &&
				ip -n "$g" addr add "10.0.2.$((100 + i))/24" dev tap0 && ip -n "$g" link set tap0 up
		done
		# Waves of 10: libslirp keeps 16 ARP entries, so 50 guests
		# pinging at once would measure its ARP thrash instead.
		for ((i = 1; i <= 50; i++)); do
			timeout 15 ip netns exec "$TAG-nic$i" busybox ping -c 3 -i 0.3 -W 2 10.0.2.2 >"$D/ping$i" 2>&1 &
			pings+=($!)
			if [ $((i % 10)) = 0 ]; then wait "${pings[@]}"; pings=(); fi
		done
		ok=$(grep -l ' [1-9][0-9]* packets received' "$D"/ping* 2>/dev/null | wc -l)
		sleep 1
		v="$v $(awk -v k="$(rss_kib "$p")" 'BEGIN { printf "%.2f", k / 1024 }')"
		echo "$ok" >>"$TMP/nics-ok"
		for ((i = 1; i <= 50; i++)); do stop "$(pid_of "$D" "plug$i")"; ns_del "$TAG-nic$i"; done
		stop "$p"
	done
	if [ "$(echo "$v" | wc -w)" -ge "$REPS" ] && [ "$(sort -n "$TMP/nics-ok" | head -n1)" = 50 ]; then
		put res_mem_nics50 uvde $v
	elif [ "$(echo "$v" | wc -w)" -ge "$REPS" ]; then
		put_text res_mem_nics50 uvde "failed: only $(sort -n "$TMP/nics-ok" | head -n1) of 50 NICs reached the gateway (RSS $v MiB)"
	else
		put_text res_mem_nics50 uvde "failed: $(exit_reason "$D" usernetd usernetd)"
	fi
}

res_run() {
	NS=$TAG-res
	ns_add "$NS" || return
	res_idle
	res_nics
	ns_del "$NS"
}

## The run

if [ "$PROFILE" = 1 ]; then
	REPS=1
	vm_run uvde 1500
	log "perf report (top symbols, children excluded):"
	perf report -i "$TMP/vm-uvde-1500/perf.data" -g none --no-children --sort dso,symbol --stdio 2>/dev/null |
		grep -v '^#' | grep '%' | head -n 25
	exit 0
fi

started=$(date +%s)
log "scratch: $TMP; REPS=$REPS SECS=$SECS FAN_N=$FAN_N; columns: $ONLY"
for mtu in $MTUS; do
	for col in uvde ustream qemu passt slirpvde tap; do
		if ! selected "$col" || [[ " $PARTS " != *" vm "* ]]; then
			put_all vm "$mtu" "$col" "not measured: not selected (BENCH_ONLY, BENCH_PARTS)"
			continue
		fi
		if [ "$mtu" != 1500 ] && [ "$col" = qemu ]; then
			put_all vm "$mtu" qemu "n/a: QEMU 7.2's -netdev user has no MTU option (libslirp's if_mtu stays 1500)"
			continue
		fi
		if [ "$mtu" != 1500 ] && [ "$col" = slirpvde ]; then
			put_all vm "$mtu" slirpvde "n/a: slirpvde's slirp has a fixed MTU of 1500"
			continue
		fi
		log "VM on $col at MTU $mtu"
		vm_run "$col" "$mtu"
	done
done
for mtu in $MTUS; do
	for col in uvde ustream uhand s4n; do
		if ! selected "$col" || [[ " $PARTS " != *" ns "* ]]; then
			put_all ns "$mtu" "$col" "not measured: not selected (BENCH_ONLY, BENCH_PARTS)"
			continue
		fi
		log "namespace on $col at MTU $mtu"
		ns_run "$col" "$mtu"
	done
done
if selected res && [[ " $PARTS " == *" res "* ]]; then
	log "resources and start-up"
	res_run
else
	for r in mem_1 mem_10 mem_100 mem_nics50 start_1 start_100; do
		put_text "res_$r" uvde "not measured: not selected (BENCH_ONLY, BENCH_PARTS)"
	done
fi

out=${BENCH_OUT:-$here/results/$(date +%Y-%m-%d)-$(hostname -s).md}
mkdir -p "$(dirname "$out")"
{
	echo "# usernet benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(hostname -s)"
	echo
	echo "## Machine"
	echo
	echo "- CPU: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n1)"
	echo "- kernel: $(uname -r)"
	echo "- QEMU: $(qemu-system-x86_64 --version | head -n1) (TCG, 1 vCPU, 512 MiB, virtio-net)"
	echo "- guest: $(sed -n 's/^kernel=//p' "$guest/manifest"), busybox $(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null), iperf3 $(dpkg-query -W -f='${Version}' iperf3 2>/dev/null)"
	echo "- libslirp: $(dpkg-query -W -f='${Version}' libslirp0 2>/dev/null); passt: $(dpkg-query -W -f='${Version}' passt 2>/dev/null); slirp4netns: $(dpkg-query -W -f='${Version}' slirp4netns 2>/dev/null); vde2: $(dpkg-query -W -f='${Version}' vde2 2>/dev/null)"
	echo "- usernet: $BUILD_REV (build: $build, $(nm "$USERNETD" 2>/dev/null | grep -q __asan && echo sanitizers || echo optimised -O2), copied at start)${DAEMON_ARGS:+; usernetd options: $DAEMON_ARGS}"
	echo "- run: $REPS repetitions, iperf3 -t $SECS, $FAN_N connections x 1 MiB, took $((($(date +%s) - started) / 60)) min"
	echo
	awk -v reps="$REPS" -f "$here/report.awk" "$here/rows" "$RES"
} >"$out"
cat "$out"
log "wrote $out"
