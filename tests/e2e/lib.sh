# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh - sourced by every end-to-end test (bash).
# Owns: check reporting and the fail/skip policy, the scratch dir and
#   teardown, network namespaces, the test DNS server, running as nobody,
#   booting the test guest, and the backend under test (QEMU's -netdev user
#   or usernetd over one of its transports).
# Not here: the checks; each tests/e2e/<feature>.sh makes its own.
#
# How it works
# - e2e_init makes $E2E_TMP and one EXIT trap; e2e_defer pushes teardown
#   commands, run last-in first-out. $E2E_TMP goes at exit; its logs stay
#   when a check failed (everything stays with E2E_KEEP=1). Programs
#   started with e2e_bg are killed by PID at exit (or by e2e_bg_stop),
#   never by name.
# - Checks print "ok NAME" or "not ok NAME: reason"; e2e_finish prints
#   "N passed, N failed" and exits 1 on any failure.
# - A test that cannot run calls e2e_cannot_run: it fails under CI=true and
#   exits 77 (skip) with the reason otherwise.
# - E2E_NS (a namespace) and E2E_USER (empty for the caller, or "nobody")
#   say where and as whom QEMU and usernetd run.
# - The traffic rule: tests reach only loopback and namespaces they made.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_SRC=$(cd "$E2E_DIR/../.." && pwd)
E2E_PASSED=0
E2E_FAILED=0
E2E_SKIPPED=0
E2E_NS=${E2E_NS:-}
E2E_USER=${E2E_USER:-}
E2E_DNS_NAME=usernet.test
E2E_DNS_ADDR=192.0.2.7
E2E_GUEST_TIMEOUT=${E2E_GUEST_TIMEOUT:-120}

## Reporting and policy

e2e_ok() { echo "ok $1"; E2E_PASSED=$((E2E_PASSED + 1)); }
e2e_not_ok() { echo "not ok $1: $2"; E2E_FAILED=$((E2E_FAILED + 1)); }
e2e_skip_check() { echo "ok $1 # SKIP $2"; E2E_SKIPPED=$((E2E_SKIPPED + 1)); }

# e2e_expect_eq NAME WHAT GOT WANT: ok when GOT equals WANT (and is not empty).
e2e_expect_eq() {
	if [ -n "$3" ] && [ "$3" = "$4" ]; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1" "$2 is '${3}', expected '${4}'"
	fi
}

# e2e_cannot_run REASON: the test cannot run here. Never returns.
e2e_cannot_run() {
	if [ "${CI:-}" = true ]; then
		echo "not ok ${E2E_TEST:-e2e}: cannot run: $1"
		exit 1
	fi
	echo "skip ${E2E_TEST:-e2e}: $1"
	exit 77
}

# e2e_need PROGRAM...: each must be on PATH, else e2e_cannot_run.
e2e_need() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || e2e_cannot_run "$p is not installed"
	done
}

# e2e_finish: prints the summary; exits 1 on any failure, else 0.
e2e_finish() {
	local skipped=
	[ "$E2E_SKIPPED" -gt 0 ] && skipped=", $E2E_SKIPPED skipped"
	echo "$E2E_PASSED passed, $E2E_FAILED failed$skipped"
	[ "$E2E_FAILED" -eq 0 ]
	exit
}

e2e_log() { echo "# $*" >&2; }

## Scratch dir, teardown, background programs

# e2e_init NAME: scratch dir $E2E_TMP (kept when E2E_KEEP=1) and the EXIT trap.
e2e_init() {
	E2E_TEST=$1
	[ "$(id -u)" -eq 0 ] || e2e_cannot_run "needs root (network namespaces)"
	E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/usernet-e2e.XXXXXX")
	chmod 0711 "$E2E_TMP" # an unprivileged daemon reaches its own dir inside
	E2E_DEFERRED=()
	: >"$E2E_TMP/pids"
	trap e2e_teardown EXIT
	trap 'exit 130' INT TERM
	export E2E_TMP
}

# e2e_defer COMMAND...: run COMMAND at exit (last deferred runs first).
e2e_defer() { E2E_DEFERRED+=("$(printf '%q ' "$@")"); }

e2e_teardown() {
	local i rc=$?
	while read -r pid; do
		[ -n "$pid" ] && e2e_kill "$pid"
	done <"$E2E_TMP/pids"
	for ((i = ${#E2E_DEFERRED[@]} - 1; i >= 0; i--)); do
		eval "${E2E_DEFERRED[i]}" >/dev/null 2>&1 || true
	done
	if [ "${E2E_KEEP:-0}" = 1 ]; then
		e2e_log "kept $E2E_TMP"
	elif [ "$E2E_FAILED" -gt 0 ]; then
		find "$E2E_TMP" \( -name '*.bin' -o -name '*.rx' -o -name kernel -o -name initrd.img \) -delete
		e2e_log "logs kept in $E2E_TMP"
	else
		rm -rf "$E2E_TMP"
	fi
	return $rc
}

# e2e_kill PID: TERM, then KILL after 2 s. Only for PIDs this test started.
e2e_kill() {
	local i
	kill "$1" 2>/dev/null || return 0
	for ((i = 0; i < 20; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
}

# e2e_bg LOG COMMAND...: start COMMAND in the background, output to LOG.
# Sets E2E_BG_PID; the program is killed at exit. Safe in a subshell.
e2e_bg() {
	local log=$1
	shift
	"$@" </dev/null >"$log" 2>&1 &
	E2E_BG_PID=$!
	echo "$E2E_BG_PID" >>"$E2E_TMP/pids"
}

# e2e_bg_stop PID: stop one program started with e2e_bg.
e2e_bg_stop() {
	e2e_kill "$1"
	wait "$1" 2>/dev/null
	sed -i "/^$1\$/d" "$E2E_TMP/pids"
}

# e2e_uid_of PID: prints the real uid of a running process.
e2e_uid_of() { awk '/^Uid:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# e2e_bg_mark: prints a mark; e2e_bg_stop_since MARK stops every program
# started with e2e_bg after it.
e2e_bg_mark() { wc -l <"$E2E_TMP/pids"; }
e2e_bg_stop_since() {
	local pid
	for pid in $(tail -n +"$(($1 + 1))" "$E2E_TMP/pids"); do e2e_bg_stop "$pid"; done
}

# e2e_wait_for SECONDS COMMAND...: retry COMMAND every 0.1 s; 1 on timeout.
e2e_wait_for() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# e2e_expect_exit NAME PID STATUS TEXT LOG: PID (started with e2e_bg) ends
# within 10 s with STATUS, and LOG holds TEXT (when not empty).
e2e_expect_exit() {
	local name=$1 pid=$2 want=$3 text=$4 log=$5 rc
	if ! e2e_wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"; then
		e2e_not_ok "$name" "still running 10 s later"
		return
	fi
	wait "$pid"
	rc=$?
	sed -i "/^$pid\$/d" "$E2E_TMP/pids"
	if [ "$rc" != "$want" ]; then
		e2e_not_ok "$name" "exit status $rc, expected $want: $(tail -n 2 "$log")"
	elif [ -n "$text" ] && ! grep -qF -- "$text" "$log"; then
		e2e_not_ok "$name" "log lacks '$text': $(tail -n 2 "$log")"
	else
		e2e_ok "$name"
	fi
}

## Users, namespaces, DNS

# e2e_as_nobody COMMAND...: run COMMAND as nobody:nogroup, no supplementary groups.
e2e_as_nobody() { E2E_USER=nobody E2E_NS='' e2e_run "$@"; }

# e2e_prefix: sets the array E2E_PRE, the command prefix that runs a
# program in $E2E_NS as $E2E_USER (each when set). Every part execs the
# next, so a PID from "${E2E_PRE[@]}" PROGRAM & is PROGRAM's own.
e2e_prefix() {
	E2E_PRE=()
	[ -n "$E2E_NS" ] && E2E_PRE+=(ip netns exec "$E2E_NS")
	[ -n "$E2E_USER" ] && E2E_PRE+=(setpriv --reuid="$E2E_USER"
		--regid="$(id -gn "$E2E_USER")" --clear-groups -- env HOME=/nonexistent)
	return 0
}

# e2e_run COMMAND...: run COMMAND in $E2E_NS as $E2E_USER.
e2e_run() {
	e2e_prefix
	"${E2E_PRE[@]}" "$@"
}

# e2e_user_dir: prints a new directory under $E2E_TMP owned by $E2E_USER, mode 0700.
e2e_user_dir() {
	local d
	d=$(mktemp -d "$E2E_TMP/run.XXXXXX")
	[ -n "$E2E_USER" ] && chown "$E2E_USER:$(id -gn "$E2E_USER")" "$d"
	chmod 0700 "$d"
	echo "$d"
}

# e2e_netns_add NAME: a namespace with loopback up and ICMP sockets allowed
# for every group (libslirp's ping needs net.ipv4.ping_group_range). Removed at exit.
e2e_netns_add() {
	ip netns add "$1" || e2e_cannot_run "cannot create network namespace $1"
	e2e_defer ip netns del "$1"
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
}

# e2e_netns_link NS1 ADDR1/LEN NS2 ADDR2/LEN [IF1 IF2]: a veth pair between
# two namespaces, named IF1 (default e2e0) in NS1 and IF2 (e2e1) in NS2.
e2e_netns_link() {
	local if1=${5:-e2e0} if2=${6:-e2e1}
	ip link add "$if1" netns "$1" type veth peer name "$if2" netns "$3" || return 1
	ip -n "$1" addr add "$2" dev "$if1"
	ip -n "$3" addr add "$4" dev "$if2"
	ip -n "$1" link set "$if1" up
	ip -n "$3" link set "$if2" up
}

# e2e_listening NS PROTO ADDR PORT: is a socket bound there (tcp listen or udp)?
e2e_listening() {
	local flag=-ltn
	[ "$2" = udp ] && flag=-lun
	ip netns exec "$1" ss -H "$flag" "sport = :$4" | grep -qF "$3:$4"
}

# e2e_dns_start NS: dnsmasq on NS's loopback answering $E2E_DNS_NAME with
# $E2E_DNS_ADDR and nothing else (no upstream), queries logged to
# $E2E_TMP/dnsmasq.log; /etc/netns/NS/resolv.conf names it, so a NAT
# started with `ip netns exec NS` forwards guest DNS there.
e2e_dns_start() {
	mkdir -p "/etc/netns/$1"
	e2e_defer rm -rf "/etc/netns/$1"
	echo "nameserver 127.0.0.1" >"/etc/netns/$1/resolv.conf"
	e2e_bg "$E2E_TMP/dnsmasq.out" ip netns exec "$1" dnsmasq --keep-in-foreground \
		--conf-file=/dev/null --no-resolv --no-hosts --no-poll --user=root \
		--listen-address=127.0.0.1 --bind-interfaces --port=53 --pid-file= \
		--address="/$E2E_DNS_NAME/$E2E_DNS_ADDR" \
		--log-queries --log-facility="$E2E_TMP/dnsmasq.log"
	e2e_wait_for 5 e2e_listening "$1" udp 127.0.0.1 53 ||
		e2e_cannot_run "dnsmasq did not start: $(cat "$E2E_TMP/dnsmasq.out")"
}

## Data

# e2e_random_file PATH BYTES: BYTES of random data (suffixes K, M allowed).
e2e_random_file() { head -c "$2" /dev/urandom >"$1"; }

# e2e_sha256 PATH: prints the file's sha256 in hex (empty if unreadable).
e2e_sha256() { [ -r "$1" ] && sha256sum <"$1" | cut -d' ' -f1; }

## Host side of a guest script

# e2e_control_start PORT FUNCTION...: a control server on 127.0.0.1:PORT in
# $E2E_NS. A guest sends one line, an action name; the server runs the shell
# function action_NAME (given in FUNCTION...) on the host and answers
# "done RC". Guests use it to say "I am listening, connect now".
e2e_control_start() {
	local port=$1
	shift
	declare -f "$@" >"$E2E_TMP/actions.$port.sh"
	cat >"$E2E_TMP/control.$port.sh" <<EOF
. "$E2E_TMP/actions.$port.sh"
read -r action || exit 1
case \$action in *[!a-z0-9_]* | '') echo "bad action"; exit 1 ;; esac
echo "\$(date +%T.%N) \$action" >>"$E2E_TMP/control.log"
"action_\$action" </dev/null >>"$E2E_TMP/control.log" 2>&1
echo "done \$?"
EOF
	e2e_bg "$E2E_TMP/control.$port.out" ip netns exec "$E2E_NS" \
		socat -t 120 "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" \
		"EXEC:bash $E2E_TMP/control.$port.sh"
	e2e_wait_for 5 e2e_listening "$E2E_NS" tcp 127.0.0.1 "$port"
}

## The guest

# e2e_guest_dir: builds (or finds cached) the guest; prints its directory.
e2e_guest_dir() {
	local out
	out=$("$E2E_DIR/guest/build.sh" "${E2E_GUEST_CACHE:-}" | tail -n1) || return 1
	[ -f "$out/kernel" ] && echo "$out"
}

# e2e_guest_script OUT [NAME=VALUE]...: writes a guest script to OUT: the
# guest helpers, the variables, then the body read from stdin.
e2e_guest_script() {
	local out=$1 kv
	shift
	{
		cat "$E2E_DIR/guest/helpers.sh"
		for kv in "$@"; do printf '%s=%q\n' "${kv%%=*}" "${kv#*=}"; done
		cat
	} >"$out"
}

# e2e_guest_run NAME NETDEV NIC_OPTS SCRIPT: boots the guest (in $E2E_NS, as
# $E2E_USER) with `-netdev NETDEV` and a virtio-net-pci NIC (extra
# properties NIC_OPTS, e.g. host_mtu=65520), running SCRIPT.
# Prints the script's output; returns its exit code, 124 on timeout
# ($E2E_GUEST_TIMEOUT s), 125 when the guest never ran the script. The
# serial log stays in $E2E_TMP/NAME.serial, QEMU's own output in NAME.qemu,
# QEMU's uid in NAME.qemu-uid.
e2e_guest_run() {
	local name=$1 netdev=$2 nic=$3 guest run pid rc
	guest=${E2E_GUEST:-$(e2e_guest_dir)} || return 125
	run=$(e2e_user_dir)
	e2e_guest_stage "$guest" "$run" "$4"
	e2e_prefix
	timeout -k 5 "$E2E_GUEST_TIMEOUT" "${E2E_PRE[@]}" qemu-system-x86_64 \
		-accel tcg -m 256 -nodefaults -no-user-config -display none \
		-monitor none -no-reboot -serial "file:$run/serial" \
		-kernel "$run/kernel" -initrd "$run/initrd.img" \
		-append "console=ttyS0 quiet panic=-1 mitigations=off" \
		"${E2E_HANDOVER[@]}" -netdev "$netdev" \
		-device "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56${nic:+,$nic}" \
		>"$E2E_TMP/$name.qemu" 2>&1 &
	pid=$!
	e2e_wait_for 10 e2e_qemu_started "$pid" "$E2E_TMP/$name.qemu-uid"
	wait "$pid"
	e2e_guest_result "$name" "$?" "$run/serial"
	rc=$?
	rm -rf "$run"
	return "$rc"
}

# e2e_guest_stage GUEST RUN SCRIPT: copies kernel, initrd and SCRIPT into
# RUN (so $E2E_USER can read them) and sets E2E_HANDOVER, the QEMU options
# that hand SCRIPT over: fw_cfg, or an initramfs appended to the copy.
e2e_guest_stage() {
	cp "$1/kernel" "$1/initrd.img" "$2/"
	cp "$3" "$2/script"
	E2E_HANDOVER=(-fw_cfg "name=opt/usernet/script,file=$2/script")
	if ! grep -q '^script=fw_cfg' "$1/manifest"; then
		E2E_HANDOVER=()
		mkdir -p "$2/extra/usernet" && cp "$3" "$2/extra/usernet/script"
		(cd "$2/extra" && find . | cpio -o -H newc --quiet -R 0:0) >>"$2/initrd.img"
	fi
	if [ -n "$E2E_USER" ]; then chown -R "$E2E_USER" "$2"; fi
}

# e2e_guest_result NAME QEMU_RC SERIAL: keeps the serial log as
# $E2E_TMP/NAME.serial, prints the script's output, returns e2e_guest_run's code.
e2e_guest_result() {
	local name=$1 rc=$2
	tr -d '\r' <"$3" >"$E2E_TMP/$name.serial" 2>/dev/null
	sed -n '/^=== usernet-script-begin ===$/,/^=== usernet-script-end/p' \
		"$E2E_TMP/$name.serial" | sed '1d;$d'
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		e2e_log "guest $name timed out after ${E2E_GUEST_TIMEOUT}s"
		return 124
	fi
	rc=$(sed -n 's/^=== usernet-script-end rc=\([0-9]*\) ===$/\1/p' "$E2E_TMP/$name.serial")
	if [ -z "$rc" ]; then
		e2e_log "guest $name did not run its script; QEMU said: $(tail -n5 "$E2E_TMP/$name.qemu")"
		return 125
	fi
	return "$rc"
}

# e2e_qemu_started TIMEOUT_PID FILE: once timeout's child has become QEMU,
# writes QEMU's uid to FILE.
e2e_qemu_started() {
	local child
	child=$(cat "/proc/$1/task/$1/children" 2>/dev/null) || return 0 # gone already
	[ -n "$child" ] && [ "$(cat "/proc/${child%% *}/comm" 2>/dev/null)" = qemu-system-x86 ] || return 1
	e2e_uid_of "${child%% *}" >"$2"
}

# e2e_obs OUTPUT KEY: the value of the guest's last "KEY=value" line.
e2e_obs() { printf '%s\n' "$1" | sed -n "s/^$2=//p" | tail -n1; }

## The backend under test

E2E_BACKENDS="qemu-user usernet-vde usernet-stream usernet-dgram usernet-tcp"

# e2e_netdev_for BACKEND OPTIONS: prints the -netdev value for NIC "n0" on a
# NAT network with OPTIONS (QEMU -netdev user syntax). usernet-* start
# usernetd first (in $E2E_NS, as $E2E_USER), serving network "t" in a fresh
# directory; it runs until e2e_backend_stop or exit. Fine in $(...).
e2e_netdev_for() {
	local backend=$1 opts=$2 run dir
	case $backend in
	qemu-user)
		echo "user,id=n0${opts:+,$opts}"
		return
		;;
	usernet-vde | usernet-stream | usernet-dgram | usernet-tcp) ;;
	*)
		e2e_log "unknown backend '$backend' (one of: $E2E_BACKENDS)"
		return 1
		;;
	esac
	run=$(e2e_user_dir)
	dir=$run/usernet
	[ "$backend" = usernet-tcp ] && opts="${opts:+$opts,}listen=127.0.0.1:${E2E_TCP_PORT:-10999}"
	e2e_usernetd_start "$run" "$dir" "nat:t${opts:+,$opts}" || return 1
	case $backend in
	usernet-vde) echo "vde,id=n0,sock=$dir/t.vde" ;;
	usernet-stream) echo "stream,id=n0,server=off,addr.type=unix,addr.path=$dir/t.stream" ;;
	usernet-dgram) echo "dgram,id=n0,local.type=unix,local.path=$run/qemu.dgram,remote.type=unix,remote.path=$dir/t.dgram" ;;
	usernet-tcp) echo "socket,id=n0,connect=127.0.0.1:${E2E_TCP_PORT:-10999}" ;;
	esac
}

# e2e_usernetd_start RUN DIR SPEC: usernetd -d DIR -n SPEC, log in RUN/usernetd.log;
# waits for "usernetd: t (nat) ready". 1 when it fails to get there.
e2e_usernetd_start() {
	local usernetd=${USERNETD:-$E2E_SRC/build/san/usernetd} log=$1/usernetd.log
	[ -x "$usernetd" ] || {
		e2e_log "no usernetd at $usernetd (make SANITIZE=1 BUILD=build/san, or set USERNETD)"
		return 1
	}
	e2e_prefix
	e2e_bg "$log" "${E2E_PRE[@]}" env USERNET_PLUGIN_PATH="$(dirname "$usernetd")/plugins" \
		"$usernetd" -d "$2" -n "$3"
	echo "$E2E_BG_PID" >>"$E2E_TMP/daemons"
	if ! e2e_wait_for 20 e2e_usernetd_ready "$E2E_BG_PID" "$log" ||
		! kill -0 "$E2E_BG_PID" 2>/dev/null; then
		e2e_log "usernetd did not get ready: $(tail -n5 "$log")"
		return 1
	fi
	e2e_uid_of "$E2E_BG_PID" >"$E2E_TMP/usernetd.uid"
}

# e2e_usernetd_ready PID LOG: 0 once LOG has the ready line or PID has exited.
e2e_usernetd_ready() {
	grep -qs "usernetd: t (nat) ready" "$2" || ! kill -0 "$1" 2>/dev/null
}

# e2e_backend_stop: stops every usernetd started so far (a no-op for qemu-user).
e2e_backend_stop() {
	local pid
	[ -f "$E2E_TMP/daemons" ] || return 0
	while read -r pid; do e2e_bg_stop "$pid"; done <"$E2E_TMP/daemons"
	rm -f "$E2E_TMP/daemons"
}

## usernetd and usernet-plug under test

# e2e_need_usernet [KIND...]: sets USERNETD (default the ASan build),
# PLUG (usernet-plug), CTL (usernetctl) and USERNET_PLUGIN_PATH; each must
# exist, as must /dev/net/tun and KIND.so for each KIND, else
# e2e_cannot_run.
e2e_need_usernet() {
	local k
	USERNETD=${USERNETD:-$E2E_SRC/build/san/usernetd}
	PLUG=${USERNET_PLUG:-$(dirname "$USERNETD")/usernet-plug}
	CTL=${USERNETCTL:-$(dirname "$USERNETD")/usernetctl}
	export USERNET_PLUGIN_PATH=${USERNET_PLUGIN_PATH:-$(dirname "$USERNETD")/plugins}
	[ -x "$USERNETD" ] || e2e_cannot_run "no usernetd at $USERNETD (make SANITIZE=1 BUILD=build/san build, or set USERNETD)"
	[ -x "$PLUG" ] || e2e_cannot_run "no usernet-plug at $PLUG"
	[ -x "$CTL" ] || e2e_cannot_run "no usernetctl at $CTL"
	[ -e /dev/net/tun ] || e2e_cannot_run "no /dev/net/tun"
	for k in "$@"; do
		[ -e "$USERNET_PLUGIN_PATH/$k.so" ] || e2e_cannot_run "no $k plugin in $USERNET_PLUGIN_PATH"
	done
}

# e2e_udhcpc_ip_hook PATH: a udhcpc -s script at PATH that puts the lease
# on the interface and writes the bare address to $LEASE_OUT.
e2e_udhcpc_ip_hook() {
	cat >"$1" <<'EOF'
#!/bin/sh
case "$1" in
deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
bound | renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/$mask" dev "$interface"
	echo "$ip" >"$LEASE_OUT"
	;;
esac
exit 0
EOF
	chmod 0755 "$1"
}

# e2e_expect_sha NAME FILE GUEST_SHA MIN_BYTES: ok when the host's FILE has
# GUEST_SHA as its sha256 and at least MIN_BYTES.
e2e_expect_sha() {
	local host size
	host=$(e2e_sha256 "$2")
	size=$(stat -c %s "$2" 2>/dev/null || echo 0)
	if [ -z "$3" ] || [ "$host" != "$3" ]; then
		e2e_not_ok "$1" "sha256 differs: host ${host:-none} ($size bytes), guest ${3:-none}"
	elif [ "$size" -lt "$4" ]; then
		e2e_not_ok "$1" "only $size bytes"
	else
		e2e_ok "$1"
	fi
}
