#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The far end of a SLIP line for slip_test.sh: holds the master side of a
pty pair while bsdinet's slattach puts the slave in bsdinet's SLIP line
discipline, and speaks SLIP itself, so that the test controls every byte
the line carries and every moment it is read.

    slip_peer.py TOOLS MODE

MODE:
  line    echo over the line; bad input, each kind counted as an input
          error; the interactive queue (low-delay datagrams overtake bulk
          ones while the line is full); a hangup during a ping flood.
  setd    another discipline set on the tty takes the interface away.
  abort   with ifconfig's debug flag, three ESCs a second apart close the
          line (the book's abort sequence).
  eperm   TIOCSETD by a user without CAP_NET_ADMIN fails with EPERM.
Prints "key value" lines for the test to check.
"""
import fcntl, os, pty, random, select, struct, subprocess, sys, threading, time, tty

from ipsum import cksum

END, ESC, ESC_END, ESC_ESC = 0xC0, 0xDB, 0xDC, 0xDD
N_BSDINET_SLIP, N_TTY = 29, 0
TIOCSETD = 0x5423
HERE_ADDR, BSD_ADDR = "10.9.1.2", "10.9.1.1"

tools, mode = sys.argv[1], sys.argv[2]
out = lambda k, v: print(f"{k} {v}", flush=True)


def encode(pkt):
    b = bytearray([END])
    for c in pkt:
        b += {END: bytes([ESC, ESC_END]), ESC: bytes([ESC, ESC_ESC])}.get(c, bytes([c]))
    return bytes(b + bytes([END]))


class Reader:
    """Unframes what bsdinet sends."""
    def __init__(self, fd):
        self.fd, self.buf, self.esc = fd, bytearray(), False

    def frames(self, timeout):
        got, end = [], time.time() + timeout
        while time.time() < end:
            r, _, _ = select.select([self.fd], [], [], max(0, min(0.2, end - time.time())))
            if not r:
                if got:
                    break
                continue
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                break
            for c in data:
                if c == END:
                    if self.buf:
                        got.append(bytes(self.buf))
                    self.buf = bytearray()
                elif c == ESC:
                    self.esc = True
                else:
                    if self.esc:
                        c = {ESC_END: END, ESC_ESC: ESC}.get(c, c)
                    self.esc = False
                    self.buf.append(c)
        return got


def aton(a):
    return bytes(int(x) for x in a.split("."))


def echo_request(seq, data=b"slip peer"):
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x5150, seq) + data
    icmp = icmp[:2] + struct.pack("!H", cksum(icmp)) + icmp[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), seq, 0, 64, 1, 0,
                     aton(HERE_ADDR), aton(BSD_ADDR))
    ip = ip[:10] + struct.pack("!H", cksum(ip)) + ip[12:]
    return ip + icmp


def is_reply(f, seq=None):
    return (len(f) >= 28 and f[9] == 1 and f[20] == 0 and
            (seq is None or struct.unpack("!H", f[26:28])[0] == seq))


def ifcounter(name, col):
    with open("/proc/bsdinet/if") as f:
        lines = [l.split() for l in f]
    idx = lines[0].index(col)
    for l in lines[1:]:
        if l[0] == name:
            return int(l[idx])
    return None


def attach():
    """A pty pair; bsdinet's slattach on the slave. Returns (master,
    slattach process, interface name)."""
    master, slave = pty.openpty()
    path = os.ttyname(slave)
    os.close(slave)
    tty.setraw(master)
    p = subprocess.Popen([f"{tools}/slattach", path], stdout=subprocess.PIPE, text=True)
    name = p.stdout.readline().strip()
    out("attached", name or "-")
    return master, p, name


def wait_exit(p):
    """slattach's exit status once its line is gone ("hung": it never
    noticed)."""
    try:
        p.wait(10)
        out("slattach_exit", p.returncode)
    except subprocess.TimeoutExpired:
        p.kill()
        out("slattach_exit", "hung")


def ifconfig(*args):
    return subprocess.run([f"{tools}/ifconfig", *args], capture_output=True, text=True)


def line():
    master, p, name = attach()
    r = ifconfig(name, BSD_ADDR, HERE_ADDR, "up")
    out("ifconfig", r.returncode)
    rd = Reader(master)

    def ping(seq):
        os.write(master, encode(echo_request(seq)))
        return any(is_reply(f, seq) for f in rd.frames(5))

    out("echo", int(ping(1)))

    # Bad input, one kind at a time; each must cost one input error.
    def errors_after(data, wait=0.5):
        before = ifcounter(name, "ierrors")
        os.write(master, data)
        time.sleep(wait)
        return ifcounter(name, "ierrors") - before
    out("err_toolong", errors_after(bytes([END]) + bytes([0x45]) * 400 + bytes([END])))
    out("err_esc_end", errors_after(bytes([END, 0x45, 1, 2, ESC, END])))
    out("err_quiet", errors_after(bytes([END, 0x45, 0, 0, 28]), wait=3.5))
    rnd = random.Random(1)
    noise = bytes(rnd.randrange(256) for _ in range(4000))
    out("err_noise", errors_after(noise + bytes([END])))
    out("echo_after_noise", int(ping(2)))

    # The interactive queue: the line fills (nobody reads the master; a
    # pty holds about 20 KB), bulk datagrams wait on if_snd, then
    # low-delay ones are sent; reading shows the order they left in.
    ifconfig(name, "mtu", "1006")
    send = f"""
import socket
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
f = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
f.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0x10)
for n in range(40):
    try: b.sendto(b"B" * 900, ("{HERE_ADDR}", 9))
    except OSError: pass
for n in range(3):
    f.sendto(b"F", ("{HERE_ADDR}", 9))
"""
    env = dict(os.environ, LD_PRELOAD=f"{tools}/libbsdinet_preload.so")
    out("sender", subprocess.run([sys.executable, "-c", send], env=env).returncode)
    frames = rd.frames(10)
    udp = [f for f in frames if len(f) > 28 and f[9] == 17]
    kinds = "".join("F" if f[1] & 0x10 else "B" for f in udp)
    out("order", kinds)
    first_fast = kinds.find("F")
    out("overtaken", kinds[first_fast:].count("B") if first_fast >= 0 else -1)

    # A ping flood, then the line hangs up (the master closes).
    stop = threading.Event()
    def flood():
        seq = 100
        while not stop.is_set():
            try:
                os.write(master, encode(echo_request(seq & 0xFFFF)))
            except OSError:
                return
            seq += 1
            time.sleep(0.002)
    t = threading.Thread(target=flood)
    t.start()
    replies = sum(1 for f in rd.frames(2) if is_reply(f))
    out("flood_replies", replies)
    stop.set()
    t.join()
    os.close(master)
    wait_exit(p)
    out("gone", int(ifconfig(name).returncode != 0))


def setd():
    master, p, name = attach()
    fd = os.open(p.args[1], os.O_RDWR | os.O_NOCTTY)
    fcntl.ioctl(fd, TIOCSETD, struct.pack("i", N_TTY))
    time.sleep(0.2)
    out("gone", int(ifconfig(name).returncode != 0))
    wait_exit(p)
    os.close(fd)
    os.close(master)


def abort():
    master, p, name = attach()
    ifconfig(name, "debug")
    for _ in range(3):
        time.sleep(1.5)
        os.write(master, b"\x1b")
    time.sleep(0.5)
    out("gone", int(ifconfig(name).returncode != 0))
    wait_exit(p)
    os.close(master)


def eperm():
    master, slave = pty.openpty()
    os.setgroups([])
    os.setresgid(65534, 65534, 65534)
    os.setresuid(65534, 65534, 65534)
    try:
        fcntl.ioctl(slave, TIOCSETD, struct.pack("i", N_BSDINET_SLIP))
        out("setd", "succeeded")
    except OSError as e:
        out("setd", os.strerror(e.errno))


{"line": line, "setd": setd, "abort": abort, "eperm": eperm}[mode]()
