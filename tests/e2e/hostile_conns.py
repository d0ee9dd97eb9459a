#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# hostile_conns.py - connection floods for tests/e2e/hostile.sh, run inside
# the namespaces the test made.
# Owns: the host service, the guest's many connections, the SYN flood.
# Not here: the verdicts (hostile.sh compares the numbers printed).
#
# Usage:
#   hostile_conns.py serve ADDR PORT         echo server (one byte back per byte)
#   hostile_conns.py connect ADDR PORT N     50 early connections, checked;
#       then N more at once, each kept open; waits up to 20 s; checks the
#       early ones again (with EARLY_READY=FILE set, FILE is created once
#       the early ones are checked: the floods may start then).
#       Prints "early E connected C failed F pending P early_after A".
#   hostile_conns.py flood ADDR PORT N       N connects without waiting
#       (half-open from the server's view until they finish or fail),
#       from the host side of a forward. Prints "flood N".
#   hostile_conns.py synflood ADDR PORT N    N raw TCP SYNs from random
#       source ports (the kernel answers the SYN-ACKs with RST).
import os
import random
import resource
import select
import selectors
import socket
import struct
import sys
import time


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def serve(addr, port):
    raise_nofile()
    sel = selectors.DefaultSelector()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(8192)
    ls.setblocking(False)
    sel.register(ls, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if s is ls:
                try:
                    c, _ = ls.accept()
                except OSError:
                    continue
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ)
                continue
            try:
                d = s.recv(4096)
            except OSError:
                d = b""
            if not d:
                sel.unregister(s)
                s.close()
                continue
            try:
                s.send(d)
            except OSError:
                pass


def echo_ok(s):
    try:
        s.settimeout(10)
        s.sendall(b"x")
        return s.recv(1) == b"x"
    except OSError:
        return False


def connect(addr, port, n):
    raise_nofile()
    early = []
    for _ in range(50):
        s = socket.socket()
        s.settimeout(10)
        try:
            s.connect((addr, port))
        except OSError:
            s.close()
            continue
        early.append(s)
    early_ok = sum(echo_ok(s) for s in early)
    if os.environ.get("EARLY_READY"):  # the caller starts the floods now
        open(os.environ["EARLY_READY"], "w").close()
    socks = {}
    failed = 0
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        e = s.connect_ex((addr, port))
        if e not in (0, 115):  # EINPROGRESS
            failed += 1
            s.close()
            continue
        socks[s.fileno()] = s
    p = select.poll()
    for fd in socks:
        p.register(fd, select.POLLOUT)
    connected = 0
    held = []
    end = time.monotonic() + 20
    while socks and time.monotonic() < end:
        for fd, _ in p.poll(500):
            s = socks.pop(fd)
            p.unregister(fd)
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected += 1
                held.append(s)  # open until the end: the daemon holds them too
            else:
                failed += 1
                s.close()
    pending = len(socks)
    early_after = sum(echo_ok(s) for s in early)
    for s in held + list(socks.values()):
        s.close()
    print("early %d connected %d failed %d pending %d early_after %d"
          % (early_ok, connected, failed, pending, early_after))
    return 0


def flood(addr, port, n):
    raise_nofile()
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((addr, port))
        socks.append(s)
    time.sleep(3)
    for s in socks:
        s.close()
    print("flood %d" % n)
    return 0


def csum(data):
    if len(data) % 2:
        data += b"\0"
    t = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF


def synflood(addr, port, n):
    src = socket.inet_aton(os.environ["SRC"])
    dst = socket.inet_aton(addr)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    rng = random.Random(7)
    for _ in range(n):
        sport = rng.randrange(20000, 60000)
        tcp = struct.pack("!HHIIBBHHH", sport, port, rng.randrange(1 << 32), 0,
                          0x50, 0x02, 64240, 0, 0)
        ph = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(ph + tcp)) + tcp[18:]
        try:
            s.sendto(tcp, (addr, 0))
        except OSError:
            time.sleep(0.001)
    print("synflood %d" % n)
    return 0


if __name__ == "__main__":
    mode, a, p = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "serve":
        sys.exit(serve(a, p))
    n = int(sys.argv[4])
    sys.exit({"connect": connect, "flood": flood, "synflood": synflood}[mode](a, p, n))
