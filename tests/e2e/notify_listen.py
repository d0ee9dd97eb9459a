#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# notify_listen.py - a unix datagram listener standing in for a service
# manager's NOTIFY_SOCKET (or journald's socket), for tests/e2e/notify.sh.
# Owns: receiving datagrams and, the moment READY=1 arrives, checking that
#   what the daemon promised exists already.
# Not here: the verdicts (notify.sh reads OUT).
#
# Usage: notify_listen.py SOCKET OUT [CHECK...]
# SOCKET is a path, or an abstract name written with a leading '@' (as in
# $NOTIFY_SOCKET). OUT gets "listening" once bound, then one line per
# datagram, "dgram " and its text with newlines shown as '|'; after a
# datagram holding READY=1 a line "ready-check ok" or "ready-check failed:
# WHY". A CHECK is sock:PATH (a unix socket exists there), grep:FILE:TEXT
# (FILE holds TEXT) or tcp:HOST:PORT (something accepts there).
import os
import socket
import stat
import sys


def check(spec):
    kind, _, arg = spec.partition(":")
    if kind == "sock":
        try:
            return stat.S_ISSOCK(os.stat(arg).st_mode) or f"{arg} is no socket"
        except OSError as e:
            return f"{arg}: {e.strerror}"
    if kind == "grep":
        path, _, text = arg.partition(":")
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return text in f.read() or f"{path} lacks '{text}'"
        except OSError as e:
            return f"{path}: {e.strerror}"
    if kind == "tcp":
        host, _, port = arg.rpartition(":")
        try:
            socket.create_connection((host, int(port)), timeout=2).close()
            return True
        except OSError as e:
            return f"tcp {arg}: {e.strerror}"
    return f"unknown check '{spec}'"


def main():
    name, out, checks = sys.argv[1], sys.argv[2], sys.argv[3:]
    addr = "\0" + name[1:] if name.startswith("@") else name
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(addr)
    with open(out, "a", buffering=1, encoding="utf-8") as f:
        f.write("listening\n")
        while True:
            data = s.recv(1 << 17)
            text = data.decode("utf-8", "replace")
            f.write("dgram " + text.replace("\n", "|") + "\n")
            if "READY=1" in text.split("\n"):
                bad = [r for r in map(check, checks) if r is not True]
                f.write("ready-check " + ("failed: " + "; ".join(bad) if bad else "ok") + "\n")


if __name__ == "__main__":
    main()
