#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tap_handoff.py - bad clients of a DIR/NAME.tap endpoint (the tap
# hand-off, backend/tap_proto.h), for tests/e2e/tap_handoff.sh and
# tests/e2e/garbage.py.
# Owns: what each bad client sends and the answer it gets.
# Not here: the verdicts (the callers compare answers and counters).
#
# Usage: tap_handoff.py PATH   (as root, in a network namespace the test
# made: some cases create tun devices there)
# Runs every case in BAD_CLIENTS once, then a client that connects and
# leaves; prints "NAME: ANSWER" per case (ANSWER is the daemon's line, or
# "(closed)" when it closed without one).
import fcntl
import os
import socket
import struct
import sys

HELLO = b"usernet-tap 1\n"
TUNSETIFF = 0x400454CA
IFF_TUN, IFF_TAP, IFF_NO_PI, IFF_VNET_HDR = 0x0001, 0x0002, 0x1000, 0x4000


def tun_open(name, flags):
    """A /dev/net/tun descriptor attached to device NAME with FLAGS
    (flags None: opened, not attached)."""
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
    if flags is not None:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), flags))
    return fd


def answer(sock):
    """The daemon's answer line, or "(closed)"."""
    sock.settimeout(15)
    got = b""
    while not got.endswith(b"\n"):
        chunk = sock.recv(512)
        if not chunk:
            break
        got += chunk
    return got.decode(errors="replace").strip() or "(closed)"


def ask(path, data, fds):
    """Send DATA with FDS (closed here afterwards) in one message."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        if fds:
            socket.send_fds(s, [data], fds)
        else:
            s.sendall(data)
        return answer(s)
    finally:
        s.close()
        for fd in fds:
            os.close(fd)


def pipe_ends():
    r, w = os.pipe()
    return [r, w]


BAD_CLIENTS = [
    ("wrong-hello", lambda: (b"hello\n", [])),
    ("no-fd", lambda: (HELLO, [])),
    ("two-fds", lambda: (HELLO, pipe_ends())),
    ("ten-fds", lambda: (HELLO, pipe_ends() * 1 + [os.dup(0) for _ in range(8)])),
    ("not-a-tap", lambda: (HELLO, pipe_ends()[:1])),
    ("tun-unattached", lambda: (HELLO, [tun_open("", None)])),
    ("tun-not-tap", lambda: (HELLO, [tun_open("untun0", IFF_TUN | IFF_NO_PI)])),
    ("tap-with-pi", lambda: (HELLO, [tun_open("unpi0", IFF_TAP)])),
    ("tap-vnet-hdr", lambda: (HELLO, [tun_open("unvnet0", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)])),
]


def run_bad_clients(path):
    """Every bad client once; returns [(name, answer)]."""
    out = []
    for name, make in BAD_CLIENTS:
        data, fds = make()
        out.append((name, ask(path, data, fds)))
    return out


def connect_and_leave(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.close()


def main():
    path = sys.argv[1]
    for name, ans in run_bad_clients(path):
        print(f"{name}: {ans}", flush=True)
    connect_and_leave(path)
    print("connect-and-leave: done", flush=True)


if __name__ == "__main__":
    main()
