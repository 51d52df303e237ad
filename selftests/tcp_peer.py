#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""One end of tcp_peers_test.sh's TCP exchanges, run on bsdinet (under
the LD_PRELOAD library) or on Linux. Prints one result line.

    tcp_peer.py urg-serve PORT        accept; get urgent data (SIGURG,
                                      MSG_OOB), then inline (SO_OOBINLINE,
                                      SIOCATMARK); send urgent data back
    tcp_peer.py urg-client ADDR PORT  the other side of urg-serve
    tcp_peer.py abort-serve PORT      accept, then close with SO_LINGER 0
    tcp_peer.py abort-client ADDR PORT   connect; recv must fail ECONNRESET
    tcp_peer.py linger ADDR PORT SECS    connect, send, then close with
                                      SO_LINGER SECS: prints how long close took
    tcp_peer.py echo-serve PORT N     accept N clients at once, echo each
    tcp_peer.py echo-clients ADDR PORT N   N clients at once, each a line
"""
import errno, fcntl, os, select, signal, socket, struct, sys, threading, time

SIOCATMARK = 0x8905
cmd = sys.argv[1]


def listener(port, backlog=128):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(backlog)
    print("ready", flush=True)
    return s


def atmark(s):
    return struct.unpack("i", fcntl.ioctl(s.fileno(), SIOCATMARK, b"\0" * 4))[0]


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            break
        b += d
    return b


urgs = []
signal.signal(signal.SIGURG, lambda *a: urgs.append(1))

if cmd == "urg-serve":
    ls = listener(int(sys.argv[2]))
    c, _ = ls.accept()
    fcntl.fcntl(c.fileno(), fcntl.F_SETOWN, os.getpid())
    c.settimeout(10)
    # Out of band: "abc" then urgent "!" then "def".
    pre = recv_exact(c, 3)
    select.select([], [], [c], 10)
    oob = c.recv(1, socket.MSG_OOB)
    post = recv_exact(c, 3)
    # Inline: "gh" then urgent "?": the mark is before "?".
    c.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
    c.sendall(b"go")
    select.select([], [], [c], 10)
    first = recv_exact(c, 2)
    mark = atmark(c)
    rest = recv_exact(c, 1)
    # Back the other way.
    c.send(b"x")
    c.send(b"U", socket.MSG_OOB)
    time.sleep(1)
    c.close()
    print(f"serve {pre.decode()} oob={oob.decode()} {post.decode()} inline {first.decode()} "
          f"atmark={mark} {rest.decode()} sigurg={len(urgs) > 0}")
elif cmd == "urg-client":
    c = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=10)
    fcntl.fcntl(c.fileno(), fcntl.F_SETOWN, os.getpid())
    c.sendall(b"abc")
    time.sleep(0.3)
    c.send(b"!", socket.MSG_OOB)
    time.sleep(0.3)
    c.sendall(b"def")
    recv_exact(c, 2)
    c.sendall(b"gh")
    time.sleep(0.3)
    c.send(b"?", socket.MSG_OOB)
    x = recv_exact(c, 1)
    select.select([], [], [c], 10)
    u = c.recv(1, socket.MSG_OOB)
    time.sleep(0.2)
    print(f"client {x.decode()} oob={u.decode()} sigurg={len(urgs) > 0}")
elif cmd == "abort-serve":
    ls = listener(int(sys.argv[2]))
    c, _ = ls.accept()
    recv_exact(c, 5)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    print("aborted")
elif cmd == "abort-client":
    c = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=10)
    c.sendall(b"hello")
    try:
        d = c.recv(10)
        print(f"recv gave {d!r}")
    except OSError as e:
        print(f"recv: {errno.errorcode.get(e.errno, e.errno)}")
elif cmd == "linger":
    c = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=10)
    secs = int(sys.argv[4])
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, secs))
    print("connected", flush=True)
    sys.stdin.readline()  # the test blackholes the peer, then says go
    c.send(b"y" * 1000)
    # Blocking again (Python's timeouts make the fd non-blocking, and
    # the book does not linger for a non-blocking socket).
    c.settimeout(None)
    t = time.monotonic()
    c.close()
    print(f"close took {time.monotonic() - t:.1f} s")
elif cmd == "echo-serve":
    ls = listener(int(sys.argv[2]))
    n = int(sys.argv[3])
    done = []

    def serve(c):
        c.settimeout(30)
        d = c.recv(100)
        c.sendall(d.upper())
        c.close()
        done.append(1)
    ts = []
    for _ in range(n):
        c, _ = ls.accept()
        t = threading.Thread(target=serve, args=(c,))
        t.start()
        ts.append(t)
    for t in ts:
        t.join()
    print(f"served {len(done)}")
elif cmd == "echo-clients":
    addr, port, n = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    ok = []

    def client(i):
        c = socket.create_connection((addr, port), timeout=30)
        c.sendall(b"client %d" % i)
        if recv_exact(c, 100) == b"CLIENT %d" % i:
            ok.append(i)
        c.close()
    ts = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(f"answered {len(ok)}")
