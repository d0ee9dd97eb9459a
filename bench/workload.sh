# SPDX-License-Identifier: GPL-2.0-or-later
# workload.sh - the guest side of one benchmark run (busybox sh).
# Owns: bringing the NIC up (DHCP or a static address), then every
#   guest-side measure in a fixed order: ICMP RTT, 1-byte round trips,
#   TCP guest->host, TCP host->guest, and serving the 200-connection test.
# Not here: the host side (servers, CPU sampling, the 200-connection
#   client) and the table: bench/run.sh.
#
# Runs as the TCG guest's script (handed over with fw_cfg) and, unchanged,
# inside a network namespace (busybox sh, the host's iperf3 and unbench).
# bench/run.sh prepends the variables: GW, MTU, IFACE, SETUP ("dhcp",
# "static ADDR/LEN" or "none"), REPS, SECS, RR_SECS, IPERF_PORT, RR_PORT,
# FAN_PORT, FAN_N, FAN_BYTES, PING. Every result is a line
# "bench: KEY=VALUE"; a failed step prints "bench: KEY_error=REASON".
# Every network step runs under a timeout, so a dead backend costs seconds.

say() { echo "bench: $1=$2"; }

setup() {
	ip link set "$IFACE" up
	ip link set "$IFACE" mtu "$MTU"
	case $SETUP in
	dhcp)
		timeout 30 udhcpc -i "$IFACE" -s /etc/udhcpc.script -n -q -t 5 -T 2 >/tmp/udhcpc.log 2>&1 ||
			say setup_error "no DHCP lease: $(tail -n1 /tmp/udhcpc.log)"
		;;
	static*)
		ip addr add "${SETUP#static }" dev "$IFACE"
		ip route add default via "$GW" dev "$IFACE"
		;;
	esac
	# A DHCP MTU option may have changed it; the run's MTU is the point.
	ip link set "$IFACE" mtu "$MTU"
	say mtu "$(cat "/sys/class/net/$IFACE/mtu")"
	say addr "$(ip -4 -o addr show dev "$IFACE" | awk '{print $4}')"
}

# ping_rtt: average RTT (ms) of 10 echo requests to the gateway.
ping_rtt() {
	r=$(timeout 20 $PING -c 10 -i 0.2 -W 2 "$GW" 2>&1)
	a=$(echo "$r" | sed -n 's|.*min/avg/max = [0-9.]*/\([0-9.]*\)/.*|\1|p')
	if [ -n "$a" ]; then say ping "$a"; else say ping_error "$(echo "$r" | tail -n1)"; fi
}

rr() {
	r=$(timeout $((RR_SECS + 20)) unbench rr-client "$GW" "$RR_PORT" "$RR_SECS" 2>&1)
	a=$(echo "$r" | sed -n 's/^rr_rate=//p')
	if [ -n "$a" ]; then say rr "$a"; else say rr_error "${r:-timed out}"; fi
}

# iperf KEY [-R]: one iperf3 run against the host's one-off server; retried
# while the server restarts between runs. Prints "KEY=MBIT_S MBYTES".
iperf() {
	i=0
	while [ $i -lt 50 ]; do
		timeout $((SECS + 20)) iperf3 -c "$GW" -p "$IPERF_PORT" -t "$SECS" -f m $2 >/tmp/iperf.out 2>&1 && break
		grep -q -e refused -e busy /tmp/iperf.out || break
		sleep 0.2
		i=$((i + 1))
	done
	# "[  5] 0.00-5.00 sec 3.63 GBytes 6237 Mbits/sec receiver": -f m
	# fixes the rate's unit, not the transfer's.
	r=$(awk '/receiver/ { for (i = 4; i <= NF; i++) if ($i == "Mbits/sec") {
		b = $(i - 3); u = $(i - 2)
		if (u == "KBytes") b /= 1024; else if (u == "GBytes") b *= 1024; else if (u == "Bytes") b /= 1048576
		print $(i - 1), b } }' /tmp/iperf.out | tail -n1)
	if [ -n "$r" ]; then say "$1" "$r"
	else say "$1_error" "$(grep -e receiver -e error /tmp/iperf.out | tail -n1 | tr -s ' ')"; fi
}

setup
n=0
while [ $n -lt "$REPS" ]; do ping_rtt; n=$((n + 1)); done
n=0
while [ $n -lt "$REPS" ]; do rr; n=$((n + 1)); done
n=0
while [ $n -lt "$REPS" ]; do iperf up; n=$((n + 1)); done
n=0
while [ $n -lt "$REPS" ]; do iperf down -R; n=$((n + 1)); done
# The host waits for FAN_READY, then connects FAN_N at a time, REPS times.
timeout $((REPS * 90 + 30)) unbench fan-server "$FAN_PORT" "$FAN_BYTES" $((REPS * FAN_N))
say fan_server_rc $?
