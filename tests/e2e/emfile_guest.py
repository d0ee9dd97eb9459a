#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# emfile_guest.py ADDR PORT MAX HOLD_S - run in a namespace guest by emfile.sh.
# Opens up to MAX connections to ADDR:PORT (an echo service) until three
# in a row fail, holds them HOLD_S seconds, checks each still echoes, closes
# them all, then opens five new ones and checks those. Prints KEY=VALUE lines.
import socket
import sys
import time

addr, port, most, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])


def say(k, v):
    print(f"{k}={v}", flush=True)


def connect():
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect((addr, port))
        return s
    except OSError:
        s.close()
        return None


def echoes(s, i):
    msg = f"hello {i}\n".encode()
    try:
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            chunk = s.recv(len(msg) - len(got))
            if not chunk:
                return False
            got += chunk
        return got == msg
    except OSError:
        return False


conns, fails = [], 0
while len(conns) < most and fails < 3:
    s = connect()
    if s:
        conns.append(s)
        fails = 0
    else:
        fails += 1
say("opened", len(conns))
say("refused", fails)
say("holding", 1)
time.sleep(hold)
say("echo_ok", sum(echoes(s, i) for i, s in enumerate(conns)))
for s in conns:
    s.close()
time.sleep(3)
new = [connect() for _ in range(5)]
say("after_ok", sum(1 for i, s in enumerate(new) if s and echoes(s, i)))
say("done", 1)
