#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# garbage.py - malformed requests and frames against every endpoint of a
# usernetd network, for tests/e2e/robustness.sh.
# Owns: the bad peers (what each one sends) and the count of peers made.
# Not here: the verdicts (robustness.sh reads the daemon's log).
#
# Usage: garbage.py --dir DIR --net NAME [--net NAME...] [--tcp NAME=PORT...]
#                   [--until FILE] [--min-rounds N] [--max-rounds N] [--pause S]
# Runs rounds until FILE exists (and at least N rounds are done). Each round,
# for each network: VDE ctl (wrong magic, wrong version, truncated requests,
# random bytes, connect-and-close, a valid handshake then bad datagrams),
# stream and tcp (length 0, 65551, 0xffffffff, a partial frame then EOF,
# random bytes, runt frames), dgram (empty, 1-byte, 70000-byte and random
# datagrams from several client addresses, and from an unbound socket;
# --dgram-burst: more client addresses than the endpoint keeps, once), tap
# (tap_handoff.py's bad hellos that need no tun device).
# Peers are made one at a time: a nat network takes one NIC, so a bad peer
# is dropped (or refused) before the next one comes. Prints one line at
# exit: "peers N rounds R" plus counts per endpoint kind.
import argparse
import os
import random
import socket
import struct
import sys
import tempfile
import time

import tap_handoff

VDE_MAGIC = 0xFEEDFACE
SUN_LEN = 110  # sizeof(struct sockaddr_un)
TIMEOUT = 3.0

counts = {"vde": 0, "stream": 0, "tcp": 0, "dgram": 0, "tap": 0}
errors = []


def sockaddr_un(path):
    p = path.encode()
    return struct.pack("=H", socket.AF_UNIX) + p + b"\0" * (SUN_LEN - 2 - len(p))


def vde_request(magic=VDE_MAGIC, version=3, rtype=0, path="/nonexistent",
                descr=b"usernet garbage"):
    return struct.pack("=III", magic, version, rtype) + sockaddr_un(path) + descr


def wait_closed(s, timeout=TIMEOUT):
    """Read until the daemon closes (or timeout); True when it closed."""
    s.settimeout(timeout)
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            if not s.recv(65536):
                return True
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass
    except OSError:
        pass
    return False


def send_all(s, data):
    try:
        s.sendall(data)
    except OSError:
        pass  # the daemon may already have dropped us: that is the point


def connect_unix_stream(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect(path)
    return s


def vde_round(ctl, tmp):
    def bad(data, shut=True):
        s = connect_unix_stream(ctl)
        counts["vde"] += 1
        send_all(s, data)
        if shut:
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        wait_closed(s)
        s.close()

    bad(vde_request(magic=0xDEADBEEF))
    bad(vde_request(version=2))
    full = vde_request()
    for n in (1, 4, 11, 12, 50, 121):
        bad(full[:n])
    bad(os.urandom(random.randint(16, 300)))
    s = connect_unix_stream(ctl)  # connect and close
    counts["vde"] += 1
    s.close()
    # A valid handshake, then garbage datagrams.
    local = os.path.join(tmp, "vde.%d" % random.getrandbits(32))
    d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    d.bind(local)
    s = connect_unix_stream(ctl)
    counts["vde"] += 1
    send_all(s, vde_request(path=local))
    try:
        ans = b""
        while len(ans) < SUN_LEN:
            chunk = s.recv(SUN_LEN - len(ans))
            if not chunk:
                break
            ans += chunk
    except OSError:
        ans = b""
    os.unlink(local)
    if len(ans) == SUN_LEN:
        theirs = ans[2:].split(b"\0", 1)[0].decode()
        try:
            d.connect(theirs)
            for frame in dgram_garbage():
                try:
                    d.send(frame)
                except OSError:
                    pass
        except OSError as e:
            errors.append("vde data socket %s: %s" % (theirs, e))
    s.close()
    d.close()


def dgram_garbage():
    yield b""
    yield b"\x01"
    yield os.urandom(13)
    yield os.urandom(70000)
    for _ in range(4):
        yield os.urandom(random.randint(14, 1514))
    # A broadcast frame with a random payload: it reaches the engine.
    yield b"\xff" * 6 + b"\x52\x54\x00\xee" + os.urandom(2) + os.urandom(random.randint(2, 200))


def stream_cases():
    L = lambda n: struct.pack(">I", n)
    yield "len0", L(0) + os.urandom(20), True
    yield "len65551", L(65551) + os.urandom(100), True
    yield "lenmax", L(0xFFFFFFFF) + os.urandom(100), True
    yield "partial", L(1000) + os.urandom(300), False
    yield "random", os.urandom(random.randint(8, 2000)), True
    runts = b"".join(L(n) + os.urandom(n) for n in (1, 5, 13, 13, 0x0) if n)
    yield "runts", runts, False


def stream_round(connect, kind):
    for name, data, _breaks in stream_cases():
        try:
            s = connect()
        except OSError as e:
            errors.append("%s connect: %s" % (kind, e))
            continue
        counts[kind] += 1
        send_all(s, data)
        # A peer that breaks framing is closed by the daemon; the others
        # close themselves (mid-frame, or after runts).
        if _breaks:
            wait_closed(s, 1.0)
        s.close()
        time.sleep(0.01)


def dgram_round(path, tmp, clients, linger):
    for i in range(clients):
        local = os.path.join(tmp, "dg.%d.%d" % (i, random.getrandbits(32)))
        d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        d.bind(local)
        counts["dgram"] += 1
        for frame in dgram_garbage():
            try:
                d.sendto(frame, path)
            except OSError:
                pass
        time.sleep(linger)  # still there when the daemon reads it
        d.close()
        os.unlink(local)
    # A sender without an address: cannot be answered.
    d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        d.sendto(os.urandom(60), path)
    except OSError:
        pass
    d.close()


def tap_round(path):
    """The tap hand-off's bad clients that need no tun device
    (tap_handoff.py): each is answered "error ..." and dropped."""
    for name, make in tap_handoff.BAD_CLIENTS:
        if name.startswith(("tun-", "tap-")):
            continue
        counts["tap"] += 1
        data, fds = make()
        tap_handoff.ask(path, data, fds)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--net", action="append", required=True)
    ap.add_argument("--tcp", action="append", default=[], help="NAME=PORT")
    ap.add_argument("--until")
    ap.add_argument("--min-rounds", type=int, default=1)
    ap.add_argument("--max-rounds", type=int, default=1000)
    ap.add_argument("--pause", type=float, default=0.2)
    ap.add_argument("--dgram-clients", type=int, default=3)
    ap.add_argument("--dgram-burst", action="append", default=[],
                    help="NAME=N: in the first round, N dgram clients on NAME")
    a = ap.parse_args()
    tcp = dict(t.split("=", 1) for t in a.tcp)
    burst = {k: int(v) for k, v in (b.split("=", 1) for b in a.dgram_burst)}
    tmp = tempfile.mkdtemp(prefix="usernet-garbage.")
    rounds = 0
    try:
        while rounds < a.max_rounds:
            if rounds >= a.min_rounds and (a.until is None or os.path.exists(a.until)):
                break
            for net in a.net:
                base = os.path.join(a.dir, net)
                for step in ("vde", "stream", "tcp", "dgram", "tap"):
                    try:
                        if step == "vde":
                            vde_round(os.path.join(base + ".vde", "ctl"), tmp)
                        elif step == "stream":
                            stream_round(lambda: connect_unix_stream(base + ".stream"), "stream")
                        elif step == "tcp" and net in tcp:
                            stream_round(lambda: socket.create_connection(
                                ("127.0.0.1", int(tcp[net])), timeout=TIMEOUT), "tcp")
                        elif step == "tap":
                            tap_round(base + ".tap")
                        elif step == "dgram":
                            n = burst.get(net, 0) if rounds == 0 else 0
                            dgram_round(base + ".dgram", tmp, n or a.dgram_clients,
                                        0.002 if n else 0.02)
                    except OSError as e:
                        errors.append("%s %s: %s" % (net, step, e))
            rounds += 1
            if a.until is not None and a.pause > 0:
                time.sleep(a.pause)
    finally:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)
    for e in errors[:20]:
        print("# garbage: " + e, file=sys.stderr)
    print("peers %d rounds %d %s errors %d" % (sum(counts.values()), rounds,
          " ".join("%s %d" % kv for kv in sorted(counts.items())), len(errors)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
