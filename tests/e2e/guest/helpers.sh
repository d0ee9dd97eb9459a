# SPDX-License-Identifier: GPL-2.0-or-later
# helpers.sh - shell helpers for scripts run inside the test guest (busybox sh).
# Owns: reporting observations, DHCP, talking to the host's control server.
# Not here: deciding pass or fail; the host compares what the guest reports.
# e2e_guest_script puts this file first in every guest script, so changing it
# needs no guest rebuild.
#
# A guest reports what it observed as "KEY=value" lines; lib.sh's e2e_obs
# reads them back. Every network step runs under a timeout, so a stuck
# check costs seconds, not the whole boot.

# obs KEY VALUE...: report an observation.
obs() {
	k=$1
	shift
	echo "$k=$*"
}

# sha FILE: sha256 of FILE in hex.
sha() { sha256sum "$1" | cut -d' ' -f1; }

# dhcp IFACE PREFIX: run udhcpc on IFACE (up to $DHCP_TRIES discovers, 2 s
# apart), report the lease as PREFIX_KEY=value and what got applied
# (address, default route, resolv.conf).
dhcp() {
	ip link set "$1" up
	timeout 30 udhcpc -i "$1" -s /etc/udhcpc.script -n -q -t "${DHCP_TRIES:-5}" -T 2 \
		>/tmp/udhcpc.log 2>&1
	rc=$?
	obs "$2_rc" $rc
	[ $rc -eq 0 ] || sed 's/^/# /' /tmp/udhcpc.log
	sed "s/^/$2_/" "/tmp/lease.$1" 2>/dev/null
	obs "$2_addr" "$(ip -4 -o addr show dev "$1" | awk '{print $4}')"
	obs "$2_route" "$(ip -4 route show default | awk '{print $3; exit}')"
	obs "$2_resolv" "$(awk '/^nameserver/ {print $2; exit}' /etc/resolv.conf)"
}

# host_do ACTION: ask the host's control server ($GW:$CTRL_PORT) to run
# action_ACTION; reports ctl_ACTION=done RC. 0 when the action succeeded.
host_do() {
	r=$(echo "$1" | timeout 90 socat -t 90 - "TCP:$GW:$CTRL_PORT" 2>&1)
	obs "ctl_$1" "$r"
	[ "$r" = "done 0" ]
}

# wait_listen PROTO PORT: wait up to 5 s for a local tcp/udp socket on PORT.
wait_listen() {
	f=-ltn
	[ "$1" = udp ] && f=-lun
	i=0
	while [ $i -lt 50 ]; do
		netstat $f 2>/dev/null | grep -q ":$2 " && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# ping_count ADDR: how many of 3 echo requests to ADDR got a reply.
ping_count() {
	timeout 20 ping -c 3 -i 0.2 -W 5 "$1" 2>/dev/null |
		sed -n 's/.* \([0-9]*\) packets received.*/\1/p'
}

# counter IFACE NAME: an interface statistics counter (rx_bytes, tx_packets...).
counter() { cat "/sys/class/net/$1/statistics/$2"; }

# lap NAME: report t_NAME, the seconds since the previous lap (the first
# lap measures boot: kernel start to the script).
lap() {
	lap_now=$(cut -d' ' -f1 /proc/uptime)
	obs "t_$1" "$(awk -v a="${lap_t:-0}" -v b="$lap_now" 'BEGIN { printf "%.2f", b - a }')"
	lap_t=$lap_now
}

# lookup_a NAME: the first A record for NAME from the resolver in resolv.conf.
lookup_a() {
	timeout 10 nslookup -type=a "$1" 2>&1 |
		awk '/^Name:/ { n = 1 } n && /^Address/ { print $2; exit }'
}

# wait_ipv6 IFACE PREFIX: wait up to 10 s for a usable (not tentative)
# IPv6 address starting with PREFIX on IFACE; prints it as ADDR/LEN.
wait_ipv6() {
	i=0
	while [ $i -lt 100 ]; do
		a=$(ip -6 -o addr show dev "$1" | grep -v tentative |
			awk -v p="$2" 'index($4, p) == 1 { print $4; exit }')
		[ -n "$a" ] && echo "$a" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
