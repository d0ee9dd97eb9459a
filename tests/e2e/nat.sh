#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nat.sh - the nat kind end to end: a real guest behind one NAT backend.
# Owns: the nat checks, the host-side servers they talk to, and the verdicts.
# Not here: booting the guest and starting backends (lib.sh).
#
# Usage: BACKEND=qemu-user|usernet-vde|usernet-stream|usernet-dgram|usernet-tcp tests/e2e/nat.sh
#   (default qemu-user, QEMU's own -netdev user: the reference results).
#   usernet-* run ${USERNETD:-build/san/usernetd}. CI=true turns skips into failures.
#
# How it works
# Everything runs in a namespace made here ($NS), whose resolv.conf names a
# dnsmasq on its loopback; a second namespace ($OUT) on a veth plays the
# outside world. Three guests boot, each running several checks:
#   main    ipv4=on,ipv6=on plus hostfwd rules, QEMU (and usernetd) as
#           root: DHCP, ping, DNS, TCP and UDP both ways (10 MiB, sha256),
#           outbound NAT to $OUT, IPv6 SLAAC and TCP to the host's ::1.
#   v6only  ipv6=on alone: QEMU then switches IPv4 off (a quirk nat keeps).
#   custom  net=10.9.0.0/24,dhcpstart=10.9.0.50, virtio host_mtu=65520 (and
#           mtu=65520 for usernet; QEMU 7.2 has no such option), QEMU (and
#           usernetd) as nobody: DHCP, ICMP and DNS unprivileged, MTU.
# A guest reports what it saw as KEY=value lines; host-side servers record
# what they got; this script compares the two (sha256 for bulk data).
# shellcheck disable=SC2317 # the action_* functions run in the control server
# run-with: BACKEND=qemu-user BACKEND=usernet-vde BACKEND=usernet-stream BACKEND=usernet-dgram BACKEND=usernet-tcp
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

BACKEND=${BACKEND:-qemu-user}
e2e_init "nat[$BACKEND]"
e2e_need qemu-system-x86_64 socat dnsmasq ip ss setpriv cpio busybox
case " $E2E_BACKENDS " in *" $BACKEND "*) ;; *) e2e_cannot_run "unknown BACKEND=$BACKEND" ;; esac
case $BACKEND in usernet-*)
	[ -x "${USERNETD:-$E2E_SRC/build/san/usernetd}" ] ||
		e2e_cannot_run "no usernetd at ${USERNETD:-$E2E_SRC/build/san/usernetd}: make SANITIZE=1 BUILD=build/san build"
	;;
esac

NS=usernet-e2e-$$
OUT=usernet-e2e-$$-out
OUTSIDE=198.51.100.2
export CTRL_PORT=9000 UP_PORT=9001 DOWN_PORT=9002 UDP_PORT=9003 V6_PORT=9004
export OUTSIDE_PORT=9005 FWD_IN_PORT=9101 FWD_OUT_PORT=9102 FWD_UDP_PORT=9103
export UDP_IN_TOKEN=usernet-udp-in UDP_OUT_TOKEN=usernet-udp-out
BULK=10485760 # 10 MiB per bulk transfer

guest=$(e2e_guest_dir) || e2e_cannot_run "cannot build the test guest (tests/e2e/guest/build.sh)"
export E2E_GUEST=$guest
e2e_netns_add "$NS"
e2e_netns_add "$OUT"
e2e_netns_link "$NS" 198.51.100.1/24 "$OUT" "$OUTSIDE/24" || e2e_cannot_run "cannot make a veth pair"
e2e_dns_start "$NS"
E2E_NS=$NS
servers_mark=$(e2e_bg_mark)

e2e_random_file "$E2E_TMP/down.bin" "$BULK"
e2e_random_file "$E2E_TMP/fwd_in.bin" "$BULK"
e2e_random_file "$E2E_TMP/v6.bin" 1M
e2e_random_file "$E2E_TMP/outside.bin" 1M

# Host actions a guest triggers through the control server (lib.sh).
action_push_tcp() { socat -u "OPEN:$E2E_TMP/fwd_in.bin" "TCP:127.0.0.1:$FWD_IN_PORT"; }
action_pull_tcp() { socat -u "TCP:127.0.0.1:$FWD_OUT_PORT" "CREATE:$E2E_TMP/fwd_out.rx"; }
action_udp_fwd() {
	local try
	for try in 1 2 3; do
		echo "$UDP_IN_TOKEN" | socat -t 1 - "UDP:127.0.0.1:$FWD_UDP_PORT" >"$E2E_TMP/udp_fwd.reply"
		[ -s "$E2E_TMP/udp_fwd.reply" ] && break
	done
	echo "$try" >"$E2E_TMP/udp_fwd.tries"
}

# bulk_servers ADDR: one-shot servers on ADDR in $NS: UP_PORT receives into
# up.rx, DOWN_PORT sends down.bin.
bulk_servers() {
	rm -f "$E2E_TMP/up.rx"
	e2e_bg "$E2E_TMP/up.out" ip netns exec "$NS" socat -u \
		"TCP-LISTEN:$UP_PORT,bind=$1,reuseaddr" "CREATE:$E2E_TMP/up.rx"
	e2e_bg "$E2E_TMP/down.out" ip netns exec "$NS" socat -u \
		"OPEN:$E2E_TMP/down.bin" "TCP-LISTEN:$DOWN_PORT,bind=$1,reuseaddr"
	e2e_wait_for 5 e2e_listening "$NS" tcp "$1" "$UP_PORT" &&
		e2e_wait_for 5 e2e_listening "$NS" tcp "$1" "$DOWN_PORT"
}

# start_servers: everything the main guest talks to.
start_servers() {
	bulk_servers 127.0.0.1
	e2e_bg "$E2E_TMP/udp.out" ip netns exec "$NS" socat \
		"UDP-RECVFROM:$UDP_PORT,bind=127.0.0.1,fork" "SYSTEM:tee -a $E2E_TMP/udp.rx"
	e2e_bg "$E2E_TMP/v6.out" ip netns exec "$NS" socat -u \
		"OPEN:$E2E_TMP/v6.bin" "TCP6-LISTEN:$V6_PORT,bind=[::1],reuseaddr"
	e2e_bg "$E2E_TMP/outside.out" ip netns exec "$OUT" socat -u \
		"OPEN:$E2E_TMP/outside.bin" "TCP-LISTEN:$OUTSIDE_PORT,bind=$OUTSIDE,reuseaddr"
	e2e_control_start "$CTRL_PORT" action_push_tcp action_pull_tcp action_udp_fwd &&
		e2e_wait_for 5 e2e_listening "$NS" udp 127.0.0.1 "$UDP_PORT" &&
		e2e_wait_for 5 e2e_listening "$NS" tcp "[::1]" "$V6_PORT" &&
		e2e_wait_for 5 e2e_listening "$OUT" tcp "$OUTSIDE" "$OUTSIDE_PORT"
}

# stop_servers: the backend and every server started after dnsmasq.
stop_servers() {
	e2e_backend_stop
	e2e_bg_stop_since "$servers_mark"
}

# boot NAME OPTIONS NIC_OPTS SCRIPT: the guest on $BACKEND; sets $out.
boot() {
	local netdev t0 rc
	t0=$(date +%s.%N)
	if ! netdev=$(e2e_netdev_for "$BACKEND" "$2"); then
		e2e_not_ok "$1_backend" "cannot start $BACKEND with '$2'"
		out=
		return
	fi
	: >"$E2E_TMP/dnsmasq.log" # each guest's queries alone
	out=$(e2e_guest_run "$1" "$netdev" "$3" "$4")
	rc=$?
	[ "$rc" -eq 0 ] || e2e_not_ok "$1_guest" "guest script ended with $rc (serial log: $E2E_TMP/$1.serial)"
	e2e_log "guest $1: $(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN {printf "%.1f", t1 - t0}') s wall," \
		"boot to script $(e2e_obs "$out" t_boot) s; seconds per phase: $(phases)"
}

# phases: the guest's t_NAME timings as "NAME S, ...", boot left out.
phases() {
	printf '%s\n' "$out" | sed -n 's/^t_\([a-z0-9_]*\)=/\1 /p' | grep -v '^boot ' |
		paste -sd, | sed 's/,/, /g'
}

# expect_sha NAME FILE GUEST_KEY: host FILE and the guest's sha agree, FILE is bulk-sized.
expect_sha() { e2e_expect_sha "$1" "$2" "$(e2e_obs "$out" "$3")" "${4:-$BULK}"; }

# expect_lease NAME PREFIX IP ROUTER DNS: what udhcpc got and applied.
expect_lease() {
	local got want
	got="ip=$(e2e_obs "$out" "$2_ip") mask=$(e2e_obs "$out" "$2_mask") router=$(e2e_obs "$out" "$2_router")"
	got="$got dns=$(e2e_obs "$out" "$2_dns") applied=$(e2e_obs "$out" "$2_addr")"
	got="$got via=$(e2e_obs "$out" "$2_route") resolv=$(e2e_obs "$out" "$2_resolv")"
	want="ip=$3 mask=24 router=$4 dns=$5 applied=$3/24 via=$4 resolv=$5"
	e2e_expect_eq "$1" lease "$got" "$want"
}

# expect_dns NAME KEY: the guest got $E2E_DNS_ADDR and dnsmasq logged the query.
expect_dns() {
	local seen=no
	grep -q "query\[A\] $E2E_DNS_NAME from 127.0.0.1" "$E2E_TMP/dnsmasq.log" && seen=yes
	e2e_expect_eq "$1" "answer, query seen by dnsmasq" \
		"$(e2e_obs "$out" "$2"), $seen" "$E2E_DNS_ADDR, yes"
}

## Guest "main": default network, forwards, IPv6, as root.

e2e_guest_script "$E2E_TMP/main.sh" GW=10.0.2.2 OUTSIDE="$OUTSIDE" CTRL_PORT="$CTRL_PORT" \
	UP_PORT="$UP_PORT" DOWN_PORT="$DOWN_PORT" UDP_PORT="$UDP_PORT" V6_PORT="$V6_PORT" \
	OUTSIDE_PORT="$OUTSIDE_PORT" GFWD_IN=7001 GFWD_OUT=7002 GFWD_UDP=7003 \
	UDP_OUT_TOKEN="$UDP_OUT_TOKEN" <<'EOF'
lap boot
dhcp eth0 lease
lap dhcp
obs ping_gw "$(ping_count "$GW")"
lap ping_gw
obs dns_a "$(lookup_a usernet.test)"
lap dns
timeout 60 socat -u "TCP:$GW:$DOWN_PORT" CREATE:/tmp/down
obs tcp_down_sha "$(sha /tmp/down)"
lap tcp_down
obs tcp_up_sha "$(sha /tmp/down)"
timeout 60 socat -u OPEN:/tmp/down "TCP:$GW:$UP_PORT"
lap tcp_up
timeout 60 socat -u "TCP-LISTEN:$GFWD_IN,reuseaddr" CREATE:/tmp/fwd_in &
wait_listen tcp "$GFWD_IN" && host_do push_tcp || kill $!
wait $!
obs fwd_in_sha "$(sha /tmp/fwd_in)"
lap fwd_in
timeout 60 socat -u OPEN:/tmp/down "TCP-LISTEN:$GFWD_OUT,reuseaddr" &
wait_listen tcp "$GFWD_OUT" && host_do pull_tcp || kill $!
wait $!
lap fwd_out
obs udp_out_reply "$(echo "$UDP_OUT_TOKEN" | timeout 10 socat -t 1 - "UDP:$GW:$UDP_PORT")"
lap udp_out
timeout 60 socat "UDP-RECVFROM:$GFWD_UDP,fork" "SYSTEM:tee -a /tmp/udp_in" &
wait_listen udp "$GFWD_UDP" && host_do udp_fwd
kill $!
obs udp_fwd_seen "$(head -n1 /tmp/udp_in)"
lap udp_fwd
obs ping_outside "$(ping_count "$OUTSIDE")"
lap ping_outside
timeout 30 socat -u "TCP:$OUTSIDE:$OUTSIDE_PORT" CREATE:/tmp/outside
obs outside_sha "$(sha /tmp/outside)"
lap tcp_outside
obs ipv6_addr "$(wait_ipv6 eth0 fec0:)"
lap ipv6_slaac
timeout 30 socat -u "TCP6:[fec0::2]:$V6_PORT" CREATE:/tmp/v6
obs ipv6_sha "$(sha /tmp/v6)"
lap ipv6_tcp
EOF

start_servers || e2e_not_ok main_servers "host servers did not start"
boot main "ipv4=on,ipv6=on,hostfwd=tcp:127.0.0.1:$FWD_IN_PORT-:7001,hostfwd=tcp:127.0.0.1:$FWD_OUT_PORT-:7002,hostfwd=udp:127.0.0.1:$FWD_UDP_PORT-:7003" \
	"" "$E2E_TMP/main.sh"
stop_servers

expect_lease dhcp_default lease 10.0.2.15 10.0.2.2 10.0.2.3
e2e_expect_eq ping_gateway "echo replies from 10.0.2.2" "$(e2e_obs "$out" ping_gw)" 3
expect_dns dns dns_a
expect_sha tcp_host_to_guest "$E2E_TMP/down.bin" tcp_down_sha
expect_sha tcp_guest_to_host "$E2E_TMP/up.rx" tcp_up_sha
expect_sha tcp_hostfwd_to_guest "$E2E_TMP/fwd_in.bin" fwd_in_sha
expect_sha tcp_hostfwd_from_guest "$E2E_TMP/fwd_out.rx" tcp_up_sha
udp_rx=$(head -n1 "$E2E_TMP/udp.rx" 2>/dev/null)
e2e_expect_eq udp_guest_to_host "host received + guest got back" \
	"$udp_rx + $(e2e_obs "$out" udp_out_reply)" "$UDP_OUT_TOKEN + $UDP_OUT_TOKEN"
e2e_log "udp_hostfwd: $(cat "$E2E_TMP/udp_fwd.tries" 2>/dev/null || echo 0) datagram(s) sent"
e2e_expect_eq udp_hostfwd "guest received + host got back" \
	"$(e2e_obs "$out" udp_fwd_seen) + $(cat "$E2E_TMP/udp_fwd.reply" 2>/dev/null)" \
	"$UDP_IN_TOKEN + $UDP_IN_TOKEN"
e2e_expect_eq ping_outside "echo replies from $OUTSIDE" "$(e2e_obs "$out" ping_outside)" 3
expect_sha tcp_outside "$E2E_TMP/outside.bin" outside_sha 1048576
e2e_expect_eq ipv6_slaac "SLAAC address" "$(e2e_obs "$out" ipv6_addr)" fec0::5054:ff:fe12:3456/64
expect_sha ipv6_tcp_to_host_loopback "$E2E_TMP/v6.bin" ipv6_sha 1048576

## Guest "v6only": QEMU's quirk: ipv6=on without ipv4= switches IPv4 off.

e2e_guest_script "$E2E_TMP/v6only.sh" DHCP_TRIES=2 V6_PORT="$V6_PORT" <<'EOF'
lap boot
dhcp eth0 lease
lap dhcp
obs ipv6_addr "$(wait_ipv6 eth0 fec0:)"
lap ipv6_slaac
timeout 30 socat -u "TCP6:[fec0::2]:$V6_PORT" CREATE:/tmp/v6
obs ipv6_sha "$(sha /tmp/v6)"
lap ipv6_tcp
EOF

e2e_bg "$E2E_TMP/v6.out" ip netns exec "$NS" socat -u \
	"OPEN:$E2E_TMP/v6.bin" "TCP6-LISTEN:$V6_PORT,bind=[::1],reuseaddr"
e2e_wait_for 5 e2e_listening "$NS" tcp "[::1]" "$V6_PORT" || e2e_not_ok v6only_servers "host server did not start"
boot v6only ipv6=on "" "$E2E_TMP/v6only.sh"
stop_servers

e2e_expect_eq ipv6_on_alone_means_no_ipv4 "IPv4 lease (udhcpc exit code, address)" \
	"$(e2e_obs "$out" lease_rc) $(e2e_obs "$out" lease_ip)" "1 "
e2e_expect_eq ipv6_only_slaac "SLAAC address" "$(e2e_obs "$out" ipv6_addr)" fec0::5054:ff:fe12:3456/64
expect_sha ipv6_only_tcp_to_host_loopback "$E2E_TMP/v6.bin" ipv6_sha 1048576

## Guest "custom": another network and a 64 KiB MTU, everything as nobody.

e2e_guest_script "$E2E_TMP/custom.sh" GW=10.9.0.2 OUTSIDE="$OUTSIDE" \
	UP_PORT="$UP_PORT" DOWN_PORT="$DOWN_PORT" <<'EOF'
lap boot
dhcp eth0 lease
obs mtu "$(cat /sys/class/net/eth0/mtu)"
lap dhcp
obs ping_outside "$(ping_count "$OUTSIDE")"
lap ping_outside
obs dns_a "$(lookup_a usernet.test)"
lap dns
p0=$(counter eth0 rx_packets) b0=$(counter eth0 rx_bytes)
timeout 60 socat -u "TCP:$GW:$DOWN_PORT" CREATE:/tmp/down
obs rx_frame_avg $((($(counter eth0 rx_bytes) - b0) / ($(counter eth0 rx_packets) - p0 + 1)))
obs tcp_down_sha "$(sha /tmp/down)"
lap tcp_down
p0=$(counter eth0 tx_packets) b0=$(counter eth0 tx_bytes)
obs tcp_up_sha "$(sha /tmp/down)"
timeout 60 socat -u OPEN:/tmp/down "TCP:$GW:$UP_PORT"
obs tx_frame_avg $((($(counter eth0 tx_bytes) - b0) / ($(counter eth0 tx_packets) - p0 + 1)))
lap tcp_up
EOF

custom_opts="net=10.9.0.0/24,dhcpstart=10.9.0.50"
[ "$BACKEND" = qemu-user ] || custom_opts="$custom_opts,mtu=65520"
bulk_servers 127.0.0.1 || e2e_not_ok custom_servers "host servers did not start"
E2E_USER=nobody
boot custom "$custom_opts" host_mtu=65520 "$E2E_TMP/custom.sh"
E2E_USER=
stop_servers

expect_lease dhcp_custom lease 10.9.0.50 10.9.0.2 10.9.0.3
e2e_expect_eq nobody_ping_outside "echo replies from $OUTSIDE" "$(e2e_obs "$out" ping_outside)" 3
expect_dns nobody_dns dns_a
e2e_expect_eq mtu_guest_interface "eth0 MTU" "$(e2e_obs "$out" mtu)" 65520
expect_sha mtu_tcp_host_to_guest "$E2E_TMP/down.bin" tcp_down_sha
expect_sha mtu_tcp_guest_to_host "$E2E_TMP/up.rx" tcp_up_sha
uids="qemu $(cat "$E2E_TMP/custom.qemu-uid" 2>/dev/null)"
want="qemu $(id -u nobody)"
if [ "$BACKEND" != qemu-user ]; then
	uids="$uids usernetd $(cat "$E2E_TMP/usernetd.uid" 2>/dev/null)"
	want="$want usernetd $(id -u nobody)"
fi
e2e_expect_eq nobody_runs_everything "uids" "$uids" "$want"
frames="average frame in $(e2e_obs "$out" rx_frame_avg) bytes, out $(e2e_obs "$out" tx_frame_avg) bytes"
if [ "$BACKEND" = qemu-user ]; then
	e2e_skip_check mtu_big_frames "usernet-only: QEMU 7.2 -netdev user has no mtu option ($frames)"
elif [ "$(e2e_obs "$out" rx_frame_avg)" -gt 1514 ] 2>/dev/null &&
	[ "$(e2e_obs "$out" tx_frame_avg)" -gt 1514 ] 2>/dev/null; then
	e2e_ok mtu_big_frames
else
	e2e_not_ok mtu_big_frames "$frames, expected over 1514 with mtu=65520"
fi

e2e_finish
