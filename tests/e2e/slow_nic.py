# SPDX-License-Identifier: GPL-2.0-or-later
# slow_nic.py - three stream NICs on one network for tests/e2e/slow_nic.sh.
# Owns: a sender, a NIC that never reads, a reader that counts.
# Not here: the verdicts (slow_nic.sh).
#   slow_nic.py SOCKET N HOLD   connect a stalled NIC (tiny receive buffer, never
#       reads) and a reading NIC, then send N broadcast frames of 1000
#       bytes from a third, paced so a reading NIC keeps up; prints
#       "got K of N" for the reader once it has had them all or 10 s passed
#       since the last one, and stays attached HOLD s more.
import socket
import struct
import sys
import threading
import time


def nic(path, rcvbuf=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(path)
    return s


def frame(src_last, i):
    src = bytes([0x52, 0x54, 0x00, 0x5e, 0x00, src_last])
    return b"\xff" * 6 + src + b"\x88\xb5" + struct.pack("!I", i) + bytes(996)


def main():
    path, n, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    stalled = nic(path, rcvbuf=4096)
    reader = nic(path)
    sender = nic(path)
    got = {"n": 0, "last": time.monotonic()}

    def read():
        buf = b""
        while True:
            d = reader.recv(65536)
            if not d:
                return
            buf += d
            while len(buf) >= 4:
                ln = struct.unpack("!I", buf[:4])[0]
                if len(buf) < 4 + ln:
                    break
                if buf[4 + 12:4 + 14] == b"\x88\xb5":
                    got["n"] += 1
                    got["last"] = time.monotonic()
                buf = buf[4 + ln:]

    threading.Thread(target=read, daemon=True).start()
    # Each NIC sends one frame first, so the switch has three ports.
    for i, s in enumerate((stalled, reader)):
        f = frame(0x10 + i, 0)[:14] + b"hello"
        f = f[:12] + b"\x88\xb6" + f[14:] + bytes(60)
        s.sendall(struct.pack("!I", len(f)) + f)
    time.sleep(0.5)
    for i in range(n):
        f = frame(0x20, i)
        sender.sendall(struct.pack("!I", len(f)) + f)
        if i % 5 == 4:
            time.sleep(0.005)
    while got["n"] < n and time.monotonic() - got["last"] < 10:
        time.sleep(0.1)
    print("got %d of %d" % (got["n"], n), flush=True)
    time.sleep(hold)  # the NICs' counters are read while they are attached
    stalled.close()


if __name__ == "__main__":
    main()
