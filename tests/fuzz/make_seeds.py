#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# make_seeds.py - write the seed inputs of every fuzz harness into
# tests/fuzz/corpus/<target>/ and the known crashers into
# tests/fuzz/regressions/<target>/ (run it after changing a format; the
# files are committed, so make check needs no Python).
# Frames are built here as a guest sends them (RFC 791/793/768/826/2131,
# 8200/4861), the same ones the unit tests build in C
# (tests/unit/guest_frames.h, test_ip_guard.c, test_dhcp.c). The record
# format is fuzz_util.h's: control byte, 2-byte big-endian length, bytes.
import os
import socket
import struct

TOP = os.path.dirname(os.path.abspath(__file__))
GUEST = bytes.fromhex("525400123456")
GUEST2 = bytes.fromhex("525400123457")
HOST = bytes.fromhex("52550a000202")
BCAST = b"\xff" * 6


def cksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4a(s):
    return socket.inet_pton(socket.AF_INET, s)


def ip6a(s):
    return socket.inet_pton(socket.AF_INET6, s)


def eth(dst, typ, payload, src=GUEST):
    return dst + src + struct.pack("!H", typ) + payload


def ipv4(proto, src, dst, payload, ident=0x1234, flags_off=0, tot=None):
    tot = 20 + len(payload) if tot is None else tot
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, ident, flags_off, 64,
                    proto, 0, ip4a(src), ip4a(dst))
    h = h[:10] + struct.pack("!H", cksum(h)) + h[12:]
    return h + payload


def l4_cksum4(proto, src, dst, seg):
    ph = ip4a(src) + ip4a(dst) + struct.pack("!BBH", 0, proto, len(seg))
    return cksum(ph + seg)


def udp4(src, dst, sport, dport, data):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = l4_cksum4(17, src, dst, seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def tcp4_syn(src, dst, sport, dport):
    seg = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, 0x02,
                      65535, 0, 0)
    c = l4_cksum4(6, src, dst, seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def icmp_echo(ident, seq, n):
    data = bytes((i * 7) & 0xFF for i in range(n))
    h = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    return h[:2] + struct.pack("!H", cksum(h)) + h[4:]


def ipv6(nh, src, dst, payload, hop=64):
    return struct.pack("!IHBB", 0x60000000, len(payload), nh, hop) + \
        ip6a(src) + ip6a(dst) + payload


def icmp6(src, dst, body):
    ph = ip6a(src) + ip6a(dst) + struct.pack("!I3xB", len(body), 58)
    c = cksum(ph + body)
    return body[:2] + struct.pack("!H", c) + body[4:]


def arp_request(sender_ip, target_ip, mac=GUEST):
    return eth(BCAST, 0x0806, struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) +
               mac + ip4a(sender_ip) + b"\0" * 6 + ip4a(target_ip), src=mac)


def dhcp(msgtype, mac=GUEST, xid=0x1234abcd, ciaddr="0.0.0.0", opts=b""):
    bootp = struct.pack("!BBBBIHH4s4s4s4s", 1, 1, 6, 0, xid, 0, 0x8000,
                        ip4a(ciaddr), b"\0" * 4, b"\0" * 4, b"\0" * 4)
    bootp += mac + b"\0" * 10 + b"\0" * 64 + b"\0" * 128
    bootp += bytes([99, 130, 83, 99, 53, 1, msgtype]) + opts + \
        bytes([55, 4, 1, 3, 6, 15, 255])
    src = ciaddr
    dst = "255.255.255.255" if ciaddr == "0.0.0.0" else "10.0.2.2"
    return eth(BCAST, 0x0800, ipv4(17, src, dst, udp4(src, dst, 68, 67, bootp)),
               src=mac)


def dhcp_request(ip, mac=GUEST):
    return dhcp(3, mac, opts=bytes([50, 4]) + ip4a(ip) +
                bytes([54, 4]) + ip4a("10.0.2.2") + bytes([12, 5]) + b"guest")


def ping(dst="10.0.2.2", n=32, ident=0x4242):
    return eth(HOST, 0x0800, ipv4(1, "10.0.2.15", dst, icmp_echo(1, 1, n),
                                  ident=ident))


def frags4(whole_ip, cuts, ident=None):
    """Split the IPv4 datagram @whole_ip at payload offsets @cuts."""
    hdr, pl = whole_ip[:20], whole_ip[20:]
    proto = hdr[9]
    src = socket.inet_ntop(socket.AF_INET, hdr[12:16])
    dst = socket.inet_ntop(socket.AF_INET, hdr[16:20])
    ident = struct.unpack("!H", hdr[4:6])[0] if ident is None else ident
    bounds = [0] + cuts + [len(pl)]
    out = []
    for a, b in zip(bounds, bounds[1:]):
        more = 0x2000 if b < len(pl) else 0
        out.append(ipv4(proto, src, dst, pl[a:b], ident=ident,
                        flags_off=more | (a // 8)))
    return out


def frags6(nh, payload, cuts, ident=0x11223344):
    bounds = [0] + cuts + [len(payload)]
    out = []
    for a, b in zip(bounds, bounds[1:]):
        more = 1 if b < len(payload) else 0
        fh = struct.pack("!BBHI", nh, 0, a | more, ident)
        out.append(eth(HOST, 0x86dd, ipv6(44, "fec0::15", "fec0::2",
                                           fh + payload[a:b])))
    return out


def udp6_payload(n):
    data = bytes((i * 13) & 0xFF for i in range(n))
    return struct.pack("!HHHH", 40000, 53, 8 + n, 0) + data


def ndp_ns(target="fec0::2"):
    t = ip6a(target)
    sol = "ff02::1:ff" + "%02x:%02x%02x" % (t[13], t[14], t[15])
    body = struct.pack("!BBHI", 135, 0, 0, 0) + t + bytes([1, 1]) + GUEST
    mac = bytes([0x33, 0x33]) + ip6a(sol)[12:]
    return eth(mac, 0x86dd, ipv6(58, "fe80::5054:ff:fe12:3456", sol,
                                 icmp6("fe80::5054:ff:fe12:3456", sol, body),
                                 hop=255))


def ndp_rs():
    body = struct.pack("!BBHI", 133, 0, 0, 0) + bytes([1, 1]) + GUEST
    dst = "ff02::2"
    return eth(bytes.fromhex("333300000002"), 0x86dd,
               ipv6(58, "fe80::5054:ff:fe12:3456", dst,
                    icmp6("fe80::5054:ff:fe12:3456", dst, body), hop=255))


def ping6():
    body = struct.pack("!BBHHH", 128, 0, 0, 1, 1) + b"usernet!" * 4
    return eth(HOST, 0x86dd, ipv6(58, "fec0::15", "fec0::2",
                                  icmp6("fec0::15", "fec0::2", body)))


def dns_query():
    q = struct.pack("!HHHHHH", 0x77, 0x0100, 1, 0, 0, 0) + \
        b"\x07example\x04test\x00" + struct.pack("!HH", 1, 1)
    return eth(HOST, 0x0800, ipv4(17, "10.0.2.15", "10.0.2.3",
                                  udp4("10.0.2.15", "10.0.2.3", 40000, 53, q)))


def syn(dst="10.0.2.2", port=22):
    return eth(HOST, 0x0800, ipv4(6, "10.0.2.15", dst,
                                  tcp4_syn("10.0.2.15", dst, 40000, port)))


def lone_last_fragment():
    """DESIGN.md: 0.0.0.0 to 255.255.255.255, UDP, offset 256, 439 bytes."""
    f = eth(BCAST, 0x0800, ipv4(17, "0.0.0.0", "255.255.255.255",
                                b"\0" * (439 - 34), ident=0x4242,
                                flags_off=256 // 8))
    assert len(f) == 439
    return f


def reverse_ping():
    """DESIGN.md: a valid two-fragment ping, sent in reverse order."""
    whole = ipv4(1, "10.0.2.15", "10.0.2.2", icmp_echo(1, 1, 1000), ident=0x99)
    return [eth(HOST, 0x0800, f) for f in reversed(frags4(whole, [512]))]


def records(frames, ctl=0):
    out = b""
    for f in frames:
        c, f = (f if isinstance(f, tuple) else (ctl, f))
        out += struct.pack("!BH", c, len(f)) + f
    return out


def write(kind, target, name, data):
    d = os.path.join(TOP, kind, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as fh:
        fh.write(data)


def stream(frames):
    return b"".join(struct.pack("!I", len(f)) + f for f in frames)


def vde_request(typ, path, descr=b""):
    sun = struct.pack("=H", socket.AF_UNIX) + path.encode()
    sun += b"\0" * (110 - len(sun))
    return struct.pack("=III", 0xFEEDFACE, 3, typ) + sun + descr


def main():
    arp = arp_request("10.0.2.15", "10.0.2.2")
    disc = dhcp(1)
    req = dhcp_request("10.0.2.15")

    c = "stream_deframer"
    write("corpus", c, "three-frames", b"\x00" + stream([arp, disc, ping()]))
    write("corpus", c, "split-reads", b"\x07" + stream([disc] * 4))
    write("corpus", c, "zero-length", b"\x01" + stream([arp]) + b"\0\0\0\0")
    write("corpus", c, "too-large", b"\x02" + struct.pack("!I", 65551) + arp)
    write("corpus", c, "max-frame", b"\x03" + stream([b"\xab" * 65550, arp]))

    c = "vde_request"
    write("corpus", c, "any-port", vde_request(0, "/tmp/vde.123-0", b"qemu"))
    write("corpus", c, "port-5", vde_request(5 << 8, "/run/user/0/vde", b""))
    write("corpus", c, "port0", vde_request(1, "/tmp/x", b"vde_plug: user=root"))
    write("corpus", c, "long-descr", vde_request(0, "/a", b"d" * 128))

    c = "spec"
    specs = [
        b"nat:default",
        b"nat:lab,net=10.0.3.0/24,host=10.0.3.2,dns=10.0.3.3,dhcpstart=10.0.3.15,"
        b"hostfwd=tcp::2222-:22,hostfwd=udp:127.0.0.1:5353-10.0.3.15:53,restrict=on",
        b"nat:v6,ipv6=on,ipv6-net=fd00::/64,ipv6-host=fd00::2,ipv6-dns=fd00::3,"
        b"hostname=guest,domainname=example.test,dnssearch=a.test,dnssearch=b.test",
        b"nat:boot,tftp=/srv/tftp,bootfile=pxelinux.0,tftp-server-name=boot,"
        b"guestfwd=tcp:10.0.2.100:80-cmd:netcat 127.0.0.1 80,mtu=9000",
        b"natnet:shared,dhcp-range=10.0.2.100-10.0.2.199,dhcp-lease=3600,"
        b"dhcp-host=52:54:00:12:34:56,,10.0.2.50,,web,portfwd=ssh:tcp:[]:2222:[10.0.2.50]:22,"
        b"mac-table-size=64",
        b"hostonly:ho,net=192.168.56.0/24,hostfwd=tcp:[::1]:8080-192.168.56.101:80",
        b"internal:lan,dhcp=on,net=10.9.0.0/24,dhcpstart=10.9.0.50,"
        b"listen=127.0.0.1:5555",
        b"nat:bad,net=10.0.2.0/33,hostfwd=unix:/tmp/fwd.sock-:22",
    ]
    for i, s in enumerate(specs):
        write("corpus", c, "spec-%d" % i, s)
    write("corpus", c, "keyfile", b"nat:x\0[nat:default]\nhostfwd=tcp::2222-:22;tcp::8080-:80\n"
          b"restrict=on\n\n[natnet:shared]\nnet=10.0.5.0/24\ndhcp-host=52:54:00:00:00:01,10.0.5.9\n"
          b"portfwd=web:tcp:[127.0.0.1]:8080:[10.0.5.9]:80\n")
    write("corpus", c, "keyfile-repeat", b"internal:y,dhcp=on,dhcpstart=10.0.2.15\0"
          b"# comment\n[internal:y]\ndhcp=on\ndhcp=off\n[hostonly:h]\nipv6=on\nipv4=off\n")

    c = "control_request"
    reqs = [
        b'{"command":"list"}',
        b'{"id":1,"command":"show","network":"n0"}',
        b'{"id":"x","command":"show","network":"n1"}',
        b'{"command":"stats"}',
        b'{"command":"stats","network":"n1"}',
        b'{"command":"fwd-list"}',
        b'{"command":"fwd-add","network":"n0","rule":"tcp:127.0.0.1:40022-:22"}',
        b'{"command":"fwd-add","network":"n1","rule":"web:tcp:[127.0.0.1]:40080:[10.0.2.15]:80"}',
        b'{"command":"fwd-remove","network":"n1","rule":"ssh"}',
        b'{"command":"fwd-remove","network":"n0","rule":"tcp:127.0.0.1:1-:22"}',
        b'{"command":"nope"}',
        b'{"command":3}',
        b'[1,2]',
        b'{"command":"show"',
    ]
    for i, r in enumerate(reqs):
        write("corpus", c, "request-%d" % i, r)

    c = "dhcp_input"
    write("corpus", c, "discover", b"\0" + records([disc]))
    write("corpus", c, "discover-request", b"\0" + records([disc, (2, req)]))
    write("corpus", c, "reserved", b"\0" + records([
        dhcp(1, bytes.fromhex("525400123499")),
        dhcp_request("10.0.2.50", bytes.fromhex("525400123499"))]))
    write("corpus", c, "two-clients-expire", b"\0" + records([
        disc, req, (1, dhcp(1, GUEST2)), (0xfe, dhcp(8, ciaddr="10.0.2.15")),
        (0xff, dhcp(7, ciaddr="10.0.2.15")),
        dhcp(4, opts=bytes([50, 4]) + ip4a("10.0.2.15"))]))
    write("corpus", c, "internal-arp", b"\x01" + records([
        arp_request("10.0.2.100", "10.0.2.2"), disc,
        (1, dhcp(1, GUEST2)), (0, dhcp(1, bytes.fromhex("525400000003"))),
        (0, dhcp(1, bytes.fromhex("525400000004")))]))

    c = "ip_reassembly"
    whole = ipv4(1, "10.0.2.15", "10.0.2.2", icmp_echo(1, 1, 1000), ident=7)
    fr = [eth(HOST, 0x0800, f) for f in frags4(whole, [256, 512, 768])]
    write("corpus", c, "v4-in-order", records(fr))
    write("corpus", c, "v4-reverse", records(list(reversed(fr))))
    write("corpus", c, "v4-overlap", records([fr[0], fr[1],
          eth(HOST, 0x0800, frags4(whole, [248, 512])[1]), fr[3]]))
    write("corpus", c, "v4-timeout", records([fr[0], (0xfc, fr[1]), (0xfc, fr[2])]))
    write("corpus", c, "v4-two-ports", records([fr[0], (1, fr[1]), (3, fr[2]), fr[3]]))
    p6 = udp6_payload(2000)
    write("corpus", c, "v6-in-order", records(frags6(17, p6, [1000])))
    write("corpus", c, "v6-reverse", records(list(reversed(frags6(17, p6, [800, 1600])))))
    write("corpus", c, "v6-atomic", records(frags6(17, udp6_payload(40), [])))
    write("corpus", c, "whole-frames", records([arp, ping(), syn(), ping6(), ndp_ns()]))
    write("regressions", c, "lone-last-fragment", records([lone_last_fragment()]))
    write("regressions", c, "reverse-ping", records(reverse_ping()))

    guest = [arp, disc, req, syn(), ping(), ping6(), ndp_ns(), ndp_rs(), dns_query()]
    for c in ("frame_path_nat", "frame_path_natnet"):
        write("corpus", c, "guest-session", records(guest, ctl=2))
        write("corpus", c, "arp", records([arp], ctl=2))
        write("corpus", c, "dhcp", records([disc, req], ctl=2))
        write("corpus", c, "tcp-syn-gateway", records([arp, syn()], ctl=2))
        write("corpus", c, "tcp-syn-outside", records([syn("192.0.2.1", 80)], ctl=2))
        write("corpus", c, "icmp-echo", records([ping(), ping("10.0.2.3")], ctl=2))
        write("corpus", c, "ipv6-ndp", records([ndp_rs(), ndp_ns(), ping6()], ctl=2))
        write("corpus", c, "fragments-in-order", records(fr, ctl=2))
        write("corpus", c, "fragments-v6", records(frags6(17, p6, [1000]), ctl=2))
        write("regressions", c, "lone-last-fragment",
              records([lone_last_fragment()], ctl=2))
        write("regressions", c, "reverse-ping", records(reverse_ping(), ctl=2))
    write("corpus", "frame_path_natnet", "two-guests", records([
        (2, arp), (3, arp_request("10.0.2.16", "10.0.2.15", GUEST2)),
        (2, disc), (3, dhcp(1, GUEST2)),
        (3, eth(GUEST, 0x0800, ipv4(1, "10.0.2.16", "10.0.2.15",
                                    icmp_echo(2, 1, 16)), src=GUEST2))]))


if __name__ == "__main__":
    main()
