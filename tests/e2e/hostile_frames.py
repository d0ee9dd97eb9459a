#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# hostile_frames.py - one hostile NIC on a usernet stream endpoint, for
# tests/e2e/hostile.sh.
# Owns: the crafted Ethernet frames (what each attack sends and how many).
# Not here: the verdicts (hostile.sh reads stats, the log and the guests).
#
# Usage: hostile_frames.py SOCKET [--rounds N] [--seed S] [--hold S] [--killers]
# Connects to SOCKET (a usernetd NET.stream, QEMU's stream framing: a 4-byte
# big-endian length, then the frame) and sends, in order: a DHCP starvation
# (DISCOVERs from thousands of MACs), IPv4 fragments (lone first, middle and
# last ones; DESIGN.md's lone last fragment 0.0.0.0 -> 255.255.255.255 UDP
# offset 256, 439 bytes on the wire; overlapping pairs; incomplete
# datagrams; a valid two-fragment ping to the gateway in reverse order),
# IPv6 fragments (the same shapes), ARP and NDP floods, a MAC flood (random
# source MACs), and frames whose Ethernet, IP, UDP and TCP lengths lie.
# A thread reads and counts what the daemon sends back. Prints one line:
# "sent N rx R echo-replies E" (E counts replies to the reversed ping),
# then stays attached --hold seconds, so its NIC's counters can be read.
import argparse
import random
import socket
import struct
import sys
import threading
import time

GW4 = bytes([10, 0, 2, 2])
GW_MAC = b"\x52\x55\x0a\x00\x02\x02"
BCAST = b"\xff" * 6
sent = 0
rx = {"frames": 0, "echo": 0}


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def rmac(rng):
    return bytes([0x52, 0x54] + [rng.randrange(256) for _ in range(4)])


def eth(dst, src, etype, payload):
    return dst + src + struct.pack("!H", etype) + payload


def ip4(src, dst, proto, payload, ident=0, frag=0, mf=False, tot=None, ihl=5):
    flags_off = (0x2000 if mf else 0) | (frag // 8)
    length = tot if tot is not None else 20 + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, length & 0xFFFF, ident,
                    flags_off, 64, proto, 0, src, dst)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ip6(src, dst, nh, payload, plen=None):
    length = plen if plen is not None else len(payload)
    return struct.pack("!IHBB16s16s", 0x60000000, length & 0xFFFF, nh, 64,
                       src, dst) + payload


def frag6(nh, off, mf, ident, data):
    return struct.pack("!BBHI", nh, 0, (off & 0xFFF8) | (1 if mf else 0),
                       ident) + data


def icmp_echo(ident, seq, data):
    h = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    return h[:2] + struct.pack("!H", csum(h)) + h[4:]


class Peer:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        threading.Thread(target=self.reader, daemon=True).start()

    def send(self, frame):
        global sent
        self.s.sendall(struct.pack("!I", len(frame)) + frame)
        sent += 1

    def reader(self):
        buf = b""
        while True:
            try:
                d = self.s.recv(65536)
            except OSError:
                return
            if not d:
                return
            buf += d
            while len(buf) >= 4:
                n = struct.unpack("!I", buf[:4])[0]
                if len(buf) < 4 + n:
                    break
                f, buf = buf[4:4 + n], buf[4 + n:]
                rx["frames"] += 1
                # IPv4 ICMP echo reply with our id 0x4242
                if (len(f) >= 42 and f[12:14] == b"\x08\x00" and f[23] == 1
                        and f[34] == 0 and f[38:40] == b"\x42\x42"):
                    rx["echo"] += 1


def dhcp_discover(rng, mac):
    xid = rng.randrange(1 << 32)
    bootp = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0,
                        0x8000, b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4,
                        mac + b"\0" * 10, b"", b"")
    opts = b"\x63\x82\x53\x63" + b"\x35\x01\x01" + b"\x3d\x07\x01" + mac + b"\xff"
    payload = bootp + opts
    udp = struct.pack("!HHHH", 68, 67, 8 + len(payload), 0) + payload
    return eth(BCAST, mac, 0x0800,
               ip4(b"\0" * 4, b"\xff" * 4, 17, udp, ident=rng.randrange(65536)))


def attack_dhcp(p, rng, n):
    for _ in range(n):
        p.send(dhcp_discover(rng, rmac(rng)))


def attack_frag4(p, rng, mac, n):
    me = bytes([10, 0, 2, 99])
    # DESIGN.md: lone last fragment, 0.0.0.0 -> 255.255.255.255, UDP,
    # offset 256, 439 bytes on the wire.
    killer = eth(BCAST, mac, 0x0800,
                 ip4(b"\0" * 4, b"\xff" * 4, 17, bytes(439 - 34), ident=0x1234,
                     frag=256))
    assert len(killer) == 439
    for _ in range(4):
        p.send(killer)
    for i in range(n):
        ident = rng.randrange(65536)
        kind = i % 5
        data = bytes(rng.randrange(256) for _ in range(64))
        if kind == 0:    # lone first
            p.send(eth(GW_MAC, mac, 0x0800, ip4(me, GW4, 17, data, ident, 0, True)))
        elif kind == 1:  # lone middle, far offset
            p.send(eth(GW_MAC, mac, 0x0800,
                       ip4(me, GW4, 17, data, ident, 8 * rng.randrange(1, 8000), True)))
        elif kind == 2:  # lone last
            p.send(eth(GW_MAC, mac, 0x0800,
                       ip4(me, GW4, 1, data, ident, 8 * rng.randrange(1, 8000))))
        elif kind == 3:  # overlapping pair, then a last one
            p.send(eth(GW_MAC, mac, 0x0800, ip4(me, GW4, 17, data, ident, 0, True)))
            p.send(eth(GW_MAC, mac, 0x0800, ip4(me, GW4, 17, data, ident, 32, True)))
            p.send(eth(GW_MAC, mac, 0x0800, ip4(me, GW4, 17, data, ident, 64)))
        else:            # offset + length past 65535
            p.send(eth(GW_MAC, mac, 0x0800,
                       ip4(me, GW4, 17, data, ident, 65528, True)))
    # DESIGN.md: a valid two-fragment ping to the gateway, reverse order.
    for seq in range(5):
        icmp = icmp_echo(0x4242, seq, bytes(range(256)) * 4)
        ident = 0x7000 + seq
        p.send(eth(GW_MAC, mac, 0x0800, ip4(me, GW4, 1, icmp[512:], ident, 512)))
        p.send(eth(GW_MAC, mac, 0x0800, ip4(me, GW4, 1, icmp[:512], ident, 0, True)))


def attack_frag6(p, rng, mac, n):
    src = bytes.fromhex("fe80000000000000") + mac[:3] + b"\xff\xfe" + mac[3:] + b"\0"
    src = src[:16]
    dst = bytes.fromhex("fe800000000000000000000000000002")
    dmac = b"\x33\x33\x00\x00\x00\x02"
    for i in range(n):
        ident = rng.randrange(1 << 32)
        data = bytes(rng.randrange(256) for _ in range(64))
        kind = i % 4
        if kind == 0:
            fr = [frag6(17, 0, True, ident, data)]
        elif kind == 1:
            fr = [frag6(17, 8 * rng.randrange(1, 8000), False, ident, data)]
        elif kind == 2:
            fr = [frag6(58, 0, True, ident, data), frag6(58, 16, True, ident, data),
                  frag6(58, 48, False, ident, data)]
        else:  # atomic fragment with a lying payload length
            fr = [frag6(58, 0, False, ident, data)]
        for f in fr:
            plen = None if kind != 3 else 1400
            p.send(eth(dmac, mac, 0x86DD, ip6(src, dst, 44, f, plen)))


def attack_arp(p, rng, n):
    for _ in range(n):
        m = rmac(rng)
        sip = bytes([10, 0, 2, rng.randrange(256)])
        tip = GW4 if rng.randrange(2) else bytes([10, 0, 2, rng.randrange(256)])
        arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, rng.choice((1, 2)),
                          m, sip, b"\0" * 6, tip)
        p.send(eth(BCAST, m, 0x0806, arp))


def attack_ndp(p, rng, n):
    for _ in range(n):
        m = rmac(rng)
        src = bytes.fromhex("fe80000000000000") + bytes(rng.randrange(256) for _ in range(8))
        tgt = bytes.fromhex("fe800000000000000000000000000002")
        ns = struct.pack("!BBHI16s", 135, 0, 0, 0, tgt) + b"\x01\x01" + m
        dst = bytes.fromhex("ff0200000000000000000001ff000002")
        ph = src + dst + struct.pack("!IxxxB", len(ns), 58)
        ns = ns[:2] + struct.pack("!H", csum(ph + ns)) + ns[4:]
        p.send(eth(b"\x33\x33\xff\x00\x00\x02", m, 0x86DD, ip6(src, dst, 58, ns)))


def attack_macs(p, rng, n):
    for _ in range(n):
        m = rmac(rng)
        p.send(eth(rmac(rng), m, 0x88B5, bytes(46)))


def attack_lies(p, rng, mac, n):
    me = bytes([10, 0, 2, 99])
    for i in range(n):
        k = i % 8
        udp = struct.pack("!HHHH", 1234, 53, 8 + 40, 0) + bytes(40)
        tcp = struct.pack("!HHIIBBHHH", 1234, 80, 1, 0, 0x50, 0x02, 1024, 0, 0)
        if k == 0:    # IPv4 total length beyond the frame
            f = eth(GW_MAC, mac, 0x0800, ip4(me, GW4, 17, udp, tot=1500))
        elif k == 1:  # total length below the header
            f = eth(GW_MAC, mac, 0x0800, ip4(me, GW4, 17, udp, tot=10))
        elif k == 2:  # IHL 15 (60 bytes) in a 40-byte datagram
            f = eth(GW_MAC, mac, 0x0800, ip4(me, GW4, 17, bytes(20), ihl=15))
        elif k == 3:  # UDP length beyond the datagram
            f = eth(GW_MAC, mac, 0x0800,
                    ip4(me, GW4, 17, struct.pack("!HHHH", 1, 53, 9000, 0) + bytes(8)))
        elif k == 4:  # TCP data offset 15 in a 20-byte segment
            f = eth(GW_MAC, mac, 0x0800, ip4(me, GW4, 6, tcp[:12] + b"\xf0" + tcp[13:]))
        elif k == 5:  # IPv6 payload length beyond the frame
            f = eth(b"\x33\x33\0\0\0\x02", mac, 0x86DD,
                    ip6(b"\xfe\x80" + bytes(14), bytes.fromhex("fe800000000000000000000000000002"),
                        17, udp, plen=9000))
        elif k == 6:  # truncated Ethernet / IPv4 header
            f = eth(GW_MAC, mac, 0x0800, b"\x45\x00")
        else:         # IPv4 with an 802.1Q tag lying about its inner type
            f = GW_MAC + mac + b"\x81\x00\x00\x01\x08\x00" + b"\x45"
        p.send(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dhcp", type=int, default=3000)
    ap.add_argument("--hold", type=float, default=2.0,
                    help="seconds to stay attached afterwards (stats are per NIC)")
    ap.add_argument("--killers", action="store_true",
                    help="send only DESIGN.md's two crashing fragment shapes")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    p = Peer(a.socket)
    mac = b"\x52\x54\x00\x66\x66\x66"
    if a.killers:
        attack_frag4(p, rng, mac, 0)
        print("sent %d" % sent)
        sys.stdout.flush()
        time.sleep(a.hold)
        return 0
    attack_dhcp(p, rng, a.dhcp)
    for _ in range(a.rounds):
        attack_frag4(p, rng, mac, 3000)
        attack_frag6(p, rng, mac, 2000)
        attack_arp(p, rng, 3000)
        attack_ndp(p, rng, 3000)
        attack_macs(p, rng, 5000)
        attack_lies(p, rng, mac, 2000)
    # the reversed ping again, once the floods are over
    attack_frag4(p, rng, mac, 0)
    print("sent %d rx %d echo-replies %d" % (sent, rx["frames"], rx["echo"]))
    sys.stdout.flush()
    time.sleep(a.hold)
    return 0


if __name__ == "__main__":
    sys.exit(main())
