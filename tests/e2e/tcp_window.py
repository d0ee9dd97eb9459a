# SPDX-License-Identifier: GPL-2.0-or-later
# tcp_window.py - both ends of tests/e2e/tcp_window.sh, run inside its
# namespaces. Owns: moving a pattern each way and checking every byte.
# Not here: the verdicts (tcp_window.sh).
#   tcp_window.py host PORT BYTES MODE   (on the host, 127.0.0.1:PORT)
#       accept one connection. MODE slow: read nothing for 3 s with a
#       small receive buffer (the guest's bytes back up in the router),
#       then read to EOF. MODE both: first send BYTES, reading nothing
#       until all of it is written, then read to EOF. Prints READY, then
#       "host got N intact|short|corrupt".
#   tcp_window.py guest ADDR PORT BYTES MODE   (in the guest) connect,
#       send BYTES (and in MODE both read BYTES at the same time), half
#       close, read to EOF; prints "guest got N intact|short|corrupt".
import socket
import sys
import threading
import time


def pattern(n):
    return (bytes(range(251)) * (n // 251 + 1))[:n]


def verdict(who, got, want):
    v = ("intact" if got == want else
         "short" if want.startswith(bytes(got)) else "corrupt")
    print("%s got %d %s" % (who, len(got), v), flush=True)


def read_all(s):
    got = bytearray()
    while True:
        b = s.recv(65536)
        if not b:
            return got
        got += b


def host(port, nbytes, mode):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ls.bind(("127.0.0.1", port))
    ls.listen(1)
    print("READY", flush=True)
    c, _ = ls.accept()
    c.settimeout(60)
    if mode == "slow":
        time.sleep(3)
    else:
        c.sendall(pattern(nbytes))
        c.shutdown(socket.SHUT_WR)
    verdict("host", read_all(c), pattern(nbytes))


def guest(addr, port, nbytes, mode):
    s = socket.create_connection((addr, port), timeout=60)
    got = bytearray()
    reader = None
    if mode == "both":
        reader = threading.Thread(target=lambda: got.extend(read_all(s)))
        reader.start()
    s.sendall(pattern(nbytes))
    s.shutdown(socket.SHUT_WR)
    if reader:
        reader.join()
        verdict("guest", got, pattern(nbytes))
    else:
        read_all(s)
        print("guest sent %d" % nbytes, flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "host":
        host(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        guest(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
