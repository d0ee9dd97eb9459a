# SPDX-License-Identifier: GPL-2.0-or-later
# dup_syn.py - both ends of tests/e2e/dup_syn.sh, run inside its namespaces.
# Owns: sending a guest's own SYN-ACK again, mid-transfer, and checking
# every byte at the host. Not here: the verdicts (dup_syn.sh).
#   dup_syn.py guest PORT BYTES   (in the guest, with tap0) accept one
#       connection through the forward, send BYTES of a pattern; while the
#       host does not read (the tail waits in the router's buffer), send
#       the SYN-ACK this guest answered the connection with once more, as
#       a late retransmission would arrive; then FIN. Prints READY, then
#       "resent 1" (or 0 when its SYN-ACK was not seen) and "sent BYTES".
#   dup_syn.py host PORT BYTES WAIT   (on the host) connect with a small
#       receive buffer, do not read for WAIT s, then read to EOF; prints
#       "got N intact|short|corrupt".
import socket
import struct
import sys
import threading
import time

from hostile_frames import csum  # RFC 1071, beside this file


def pattern(n):
    return bytes((i * 7 + 13) & 255 for i in range(n))


def guest(port, nbytes):
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    raw.bind(("tap0", 0))
    synacks = {}

    def sniff():
        while True:
            f = raw.recv(65535)
            if len(f) < 54 or f[12:14] != b"\x08\x00" or f[23] != 6:
                continue
            t = 14 + (f[14] & 15) * 4
            sport, dport = struct.unpack("!HH", f[t:t + 4])
            if sport == port and f[t + 13] & 0x12 == 0x12:
                synacks.setdefault(dport, f)

    threading.Thread(target=sniff, daemon=True).start()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(8)
    print("READY", flush=True)
    c, peer = ls.accept()
    sender = threading.Thread(target=c.sendall, args=(pattern(nbytes),))
    sender.start()
    time.sleep(2)
    f = synacks.get(peer[1])
    if f:
        # The kernel computed no checksum (offloaded): compute it.
        f = bytearray(f)
        t = 14 + (f[14] & 15) * 4
        end = 14 + struct.unpack("!H", f[16:18])[0]
        f[t + 16:t + 18] = b"\0\0"
        seg = bytes(f[t:end])
        ph = bytes(f[26:34]) + struct.pack("!BBH", 0, 6, len(seg))
        f[t + 16:t + 18] = struct.pack("!H", csum(ph + seg))
        raw.send(bytes(f[:end]))
    print("resent %d" % (1 if f else 0), flush=True)
    sender.join()
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096):
        pass
    print("sent %d" % nbytes, flush=True)


def host(port, nbytes, wait):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    s.settimeout(30)
    s.connect(("127.0.0.1", port))
    time.sleep(wait)
    got = bytearray()
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
    want = pattern(nbytes)
    verdict = ("intact" if got == want else
               "short" if want.startswith(bytes(got)) else "corrupt")
    print("got %d %s" % (len(got), verdict))


if __name__ == "__main__":
    if sys.argv[1] == "guest":
        guest(int(sys.argv[2]), int(sys.argv[3]))
    else:
        host(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
