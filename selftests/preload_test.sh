#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tools/out/libbsdinet_preload.so: unmodified AF_INET programs (Debian's
# python3 and socat) run over AF_BSDINET under LD_PRELOAD. Each check is
# one that Linux's own stack would answer differently, so a pass shows the
# call reached bsdinet, or that an address came back rewritten.
# Runs in the test VM with bsdinet loaded, as root.
here=$(cd "$(dirname "$0")" && pwd)
shopt -s lastpipe # ktap_lines runs in this shell, so its counts survive
top=$(dirname "$here")
. "$here/out/ktap_helpers.sh"
. "$here/lib.sh"
lib=$top/tools/out/libbsdinet_preload.so
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ktap_print_header
if [ ! -x "$py" ]; then
	ktap_skip_all "no $py"
	exit "$KSFT_SKIP"
fi
[ -e "$lib" ] || ktap_exit_fail_msg "no $lib (make tools builds it)"
ktap_set_plan 34

# Runs Python's results through ktap: "ok DESC", "not ok DESC", "# ...".
ktap_lines() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok "*) ktap_test_pass "${line#ok }" ;;
		"not ok "*) ktap_test_fail "${line#not ok }" ;;
		*) printf '# %s\n' "${line#\# }" ;;
		esac
	done
}

common='
import errno, os, socket, sys
AF_INET, SOL_SOCKET = socket.AF_INET, socket.SOL_SOCKET
SO_DOMAIN = getattr(socket, "SO_DOMAIN", 39)
def check(desc, got, want):
    if got == want:
        print("ok", desc)
    else:
        print("not ok", desc)
        print("# got %r, want %r" % (got, want))
def err(f):
    try:
        f()
        return "no error"
    except OSError as e:
        return ename(e.errno)
def ename(e):
    # errorcode names 95 ENOTSUP, which Linux shares with EOPNOTSUPP
    return "EOPNOTSUPP" if e == errno.EOPNOTSUPP else errno.errorcode.get(e, e)
'

# 26 checks in one process under LD_PRELOAD, with the debug log on.
BSDINET_PRELOAD_DEBUG=1 LD_PRELOAD=$lib "$py" -c "$common"'
s = None
def make():
    global s
    s = socket.socket(AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
check("preload: socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) is created", err(make), "no error")
if s is None:
    sys.exit(1)
print("# raw socket fd %d" % s.fileno())
check("preload: s.family is AF_INET", s.family, AF_INET)
check("preload: getsockname() comes back as AF_INET 0.0.0.0 port 0", s.getsockname(), ("0.0.0.0", 0))
check("preload: getsockopt SO_DOMAIN answers AF_INET", s.getsockopt(SOL_SOCKET, SO_DOMAIN), AF_INET)
check("preload: getpeername() is ENOTCONN", err(s.getpeername), "ENOTCONN")
# Linux binds any address of 127/8 (its lo route is local); bsdinet owns
# at most 127.0.0.1 (lo0). Without the rewrite bsdinet says EAFNOSUPPORT.
check("preload: bind to 127.0.0.2 reaches bsdinet: EADDRNOTAVAIL",
      err(lambda: s.bind(("127.0.0.2", 0))), "EADDRNOTAVAIL")
# Before bsdinet has interfaces, raw bind and connect answer EADDRNOTAVAIL;
# once lo0 has 127.0.0.1 they work and the addresses come back as AF_INET.
# Each way is exact; other sockets, so s stays unbound and unconnected.
b1 = socket.socket(AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
got = err(lambda: b1.bind(("127.0.0.1", 0)))
lo0 = got == "no error"
print("# bsdinet has lo0 with 127.0.0.1:", "yes" if lo0 else "no")
check("preload: bind to 127.0.0.1, then getsockname()", (got, b1.getsockname()),
      ("no error", ("127.0.0.1", 0)) if lo0 else ("EADDRNOTAVAIL", ("0.0.0.0", 0)))
c = socket.socket(AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
check("preload: connect to 127.0.0.1, then getpeername()",
      (err(lambda: c.connect(("127.0.0.1", 0))), err(c.getpeername) if not lo0 else c.getpeername()),
      ("no error", ("127.0.0.1", 0)) if lo0 else ("EADDRNOTAVAIL", "ENOTCONN"))
b1.close(); c.close()
# An echo request to 127.0.0.1 comes back from the lo0 of bsdinet as a reply
# (type 0) from an AF_INET address; a raw socket of Linux would also see its
# own request first, which bsdinet, like 4.4BSD, does not pass up.
def echo(seq):
    b = bytearray(struct.pack("!BBHHH", 8, 0, 0, 0xb5d, seq) + b"bsdinet")
    x = sum(struct.unpack("!%dH" % (len(b) // 2), bytes(b[:len(b) & ~1]))) + (b[-1] << 8 if len(b) & 1 else 0)
    while x >> 16:
        x = (x & 0xffff) + (x >> 16)
    b[2:4] = struct.pack("!H", ~x & 0xffff)
    return bytes(b)
import struct
s.sendto(echo(1), ("127.0.0.1", 0))
d, a = s.recvfrom(2048)
check("preload: sendto 127.0.0.1: the echo reply comes from AF_INET 127.0.0.1", (d[20], d[26:28], a), (0, b"\x00\x01", ("127.0.0.1", 0)))
s.sendmsg([echo(2)], [], 0, ("127.0.0.1", 0))
d, a = s.recvfrom(2048)
check("preload: sendmsg with msg_name: the reply comes back", (d[20], d[26:28], a), (0, b"\x00\x02", ("127.0.0.1", 0)))
# Linux answers accept() on a raw socket EOPNOTSUPP, bsdinet EINVAL.
check("preload: accept reaches bsdinet: EINVAL", err(s.accept), "EINVAL")
# The calls Python does not make, through ctypes: the preloaded symbols
# come first in the global scope.
import ctypes, fcntl, struct
libc = ctypes.CDLL(None, use_errno=True)
INET = struct.pack("=H", AF_INET)
def sin(ip):
    return ctypes.create_string_buffer(INET + struct.pack("!H", 0) + socket.inet_aton(ip) + bytes(8), 16)
def cname(fd, size=16):
    buf = ctypes.create_string_buffer(b"\xa5" * 16, 16)
    n = ctypes.c_uint32(size)
    r = libc.getsockname(fd, buf, ctypes.byref(n))
    return (r, n.value, buf.raw[:2])
f = libc.fcntl(s.fileno(), fcntl.F_DUPFD, 50)
check("preload: fcntl(F_DUPFD) copy is mapped", (f >= 50, cname(f)), (True, (0, 16, INET)))
g = libc.dup3(s.fileno(), 60, os.O_CLOEXEC)
check("preload: dup3 copy is mapped", (g, cname(60)), (60, (0, 16, INET)))
libc.close(f); libc.close(g)
# A buffer too short for sa_family keeps what the kernel wrote (19).
check("preload: getsockname with a 1-byte buffer is left alone, 2 bytes rewritten",
      (cname(s.fileno(), 1), cname(s.fileno(), 2)), ((0, 16, b"\x13\xa5"), (0, 16, INET)))
dst = sin("127.0.0.2")
r = libc.bind(s.fileno(), dst, 16)
check("preload: bind rewrites a copy: the address passed in stays AF_INET",
      (r, ename(ctypes.get_errno()), dst.raw[:2]), (-1, "EADDRNOTAVAIL", INET))
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
class msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                ("iov", ctypes.POINTER(iovec)), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]
class mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", msghdr), ("len", ctypes.c_uint)]
payload = ctypes.create_string_buffer(b"x", 1)
iov = iovec(ctypes.cast(payload, ctypes.c_void_p), 1)
vec = (mmsghdr * 2)()
for m in vec:
    m.hdr.name, m.hdr.namelen = ctypes.cast(dst, ctypes.c_void_p), 16
    m.hdr.iov, m.hdr.iovlen = ctypes.pointer(iov), 1
r = libc.sendmmsg(s.fileno(), vec, 2, 0)
print("# sendmmsg of two 1-byte datagrams: %d (%s)" % (r, ename(ctypes.get_errno())))
check("preload: sendmmsg rewrites a copy: the address passed in stays AF_INET", dst.raw[:2], INET)
# UDP over bsdinet: its ephemeral ports are those of the book, 1024-5000 (Linux
# would pick one from 32768 up).
u = socket.socket(AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
v = socket.socket(AF_INET, socket.SOCK_DGRAM)
v.sendto(b"over bsdinet", u.getsockname())
d, a = u.recvfrom(100)
check("preload: a python3 UDP exchange over bsdinet, from an ephemeral port in 1024-5000",
      (d, a[0], a[1] == v.getsockname()[1], 1024 <= a[1] <= 5000), (b"over bsdinet", "127.0.0.1", True, True))
u.close(); v.close()
# TCP: a python3 echo over the lo0 of bsdinet.
ls = socket.socket(AF_INET, socket.SOCK_STREAM)
ls.bind(("127.0.0.1", 0)); ls.listen(1)
c = socket.create_connection(ls.getsockname(), timeout=10)
sv, peer = ls.accept()
c.sendall(b"tcp over bsdinet"); sv.sendall(sv.recv(100)[::-1])
check("preload: a python3 TCP exchange over bsdinet (accept names the peer)",
      (c.recv(100), peer == c.getsockname(), sv.family), (b"tenidsb revo pct", True, AF_INET))
c.close(); sv.close(); ls.close()
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
a.sendall(b"ping")
check("preload: an AF_UNIX socketpair passes through", (a.family, b.recv(4)), (socket.AF_UNIX, b"ping"))
socket.send_fds(a, [b"f"], [s.fileno()])
r = socket.socket(fileno=socket.recv_fds(b, 1, 1)[1][0])
check("preload: an fd received with SCM_RIGHTS is mapped", (r.family, r.getsockname()), (AF_INET, ("0.0.0.0", 0)))
r.close(); a.close(); b.close()
import subprocess
child = subprocess.run([sys.executable, "-c", "import socket, sys; print(socket.socket(fileno=int(sys.argv[1])).getsockname())",
                        str(s.fileno())], pass_fds=(s.fileno(),), capture_output=True, text=True)
check("preload: an fd inherited across exec is found to be bsdinet", child.stdout, "(\x270.0.0.0\x27, 0)\n")
for line in child.stderr.splitlines():
    print("# child:", line)
d = os.dup(s.fileno())
t = socket.socket(fileno=d)
check("preload: os.dup of the socket: getsockname() still AF_INET", t.getsockname(), ("0.0.0.0", 0))
check("preload: socket(fileno=dup) finds family AF_INET", t.family, AF_INET)
check("preload: SO_DOMAIN on the dup answers AF_INET", t.getsockopt(SOL_SOCKET, SO_DOMAIN), AF_INET)
s.close()
check("preload: the dup stays mapped after the original is closed",
      (t.getsockname(), err(lambda: t.bind(("127.0.0.2", 0)))), (("0.0.0.0", 0), "EADDRNOTAVAIL"))
os.dup2(d, 100)
u = socket.socket(fileno=100)
check("preload: os.dup2 to fd 100: getsockname() still AF_INET", u.getsockname(), ("0.0.0.0", 0))
t.close(); u.close()
' 2>"$tmp/debug" | ktap_lines
rc=${PIPESTATUS[0]}
check "preload: python3 under LD_PRELOAD exited 0 (status $rc)" [ "$rc" = 0 ]
# The debug log names each mapping.
missing=
for re in \
	'socket\(AF_INET, SOCK_RAW\|SOCK_CLOEXEC, 1\) -> socket\(AF_BSDINET\) = [0-9]+' \
	'socket\(AF_INET, SOCK_DGRAM\|SOCK_CLOEXEC, 0\) -> socket\(AF_BSDINET\) = [0-9]+' \
	'getsockname\([0-9]+\): AF_BSDINET -> AF_INET' \
	'getsockopt\([0-9]+, SO_DOMAIN\): AF_BSDINET -> AF_INET' \
	'bind\([0-9]+\): AF_INET -> AF_BSDINET' \
	'connect\([0-9]+\): AF_INET -> AF_BSDINET' \
	'sendto\([0-9]+\): AF_INET -> AF_BSDINET' \
	'sendmsg\([0-9]+\): AF_INET -> AF_BSDINET' \
	'fd [0-9]+ -> fd 100: still bsdinet'; do
	grep -Eq "^bsdinet_preload\[[0-9]+\]: $re\$" "$tmp/debug" || missing="$missing $re"
done
check "preload: BSDINET_PRELOAD_DEBUG=1 logs each mapping" [ -z "$missing" ]
[ -z "$missing" ] || printf '# missing from the debug log:%s\n' "$missing"
sed 's/^/# debug: /' "$tmp/debug" | head -n 40

# Without BSDINET_PRELOAD_DEBUG the library says nothing.
out=$(LD_PRELOAD=$lib "$py" -c 'import socket; print(socket.socket(socket.AF_INET, socket.SOCK_RAW, 1).getsockname())' 2>&1)
check "preload: silent without BSDINET_PRELOAD_DEBUG" [ "$out" = "('0.0.0.0', 0)" ]
[ "$out" = "('0.0.0.0', 0)" ] || printf '# output: %s\n' "$out"

# The same program without LD_PRELOAD gets Linux's own stack.
"$py" -c "$common"'
def udp():
    u = socket.socket(AF_INET, socket.SOCK_DGRAM)
    got = (u.getsockname(), u.getsockopt(SOL_SOCKET, SO_DOMAIN))
    u.close()
    return got
check("control, no preload: socket(AF_INET, SOCK_DGRAM) is Linux UDP", udp(), (("0.0.0.0", 0), AF_INET))
r = socket.socket(AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
check("control, no preload: raw bind to 127.0.0.2 succeeds on Linux lo", (err(lambda: r.bind(("127.0.0.2", 0))), r.getsockname()[0]), ("no error", "127.0.0.2"))
' 2>&1 | ktap_lines

# socat as a UDP echo server and as its client, both over bsdinet.
if ! socat=$(command -v socat); then
	for i in 1 2 3; do ktap_test_skip "socat: not installed"; done
else
	LD_PRELOAD=$lib "$socat" -T 5 UDP4-RECVFROM:7007,bind=127.0.0.1 PIPE 2>"$tmp/server" &
	server=$!
	for i in $(seq 50); do
		# The server's socket is bsdinet's: Linux's ss does not list it.
		grep -q . "$tmp/server" 2>/dev/null && break
		sleep 0.1
		[ -n "$(ss -Hulnp 2>/dev/null | grep 7007)" ] && break
		[ "$i" -ge 10 ] && break
	done
	got=$(echo "hello over bsdinet" | BSDINET_PRELOAD_DEBUG=1 LD_PRELOAD=$lib timeout 10 \
		"$socat" -T 3 - UDP4-SENDTO:127.0.0.1:7007 2>"$tmp/socat")
	check "preload: socat UDP client gets its line back from a socat echo server" \
		[ "$got" = "hello over bsdinet" ]
	wait "$server"
	mapped() {
		grep -Eq '^bsdinet_preload\[[0-9]+\]: socket\(AF_INET, SOCK_DGRAM, 17\) -> socket\(AF_BSDINET\) = [0-9]+$' "$tmp/socat" &&
			grep -Eq '^bsdinet_preload\[[0-9]+\]: sendto\([0-9]+\): AF_INET -> AF_BSDINET$' "$tmp/socat"
	}
	check "preload: socat's socket and its sendto address were mapped" mapped
	mapped || sed 's/^/# socat: /' "$tmp/socat" "$tmp/server"
	# Without the library the same server port is free on Linux's lo:
	# bsdinet's socket never touched Linux's port space.
	got=$( (timeout 5 "$socat" -T 2 UDP4-RECVFROM:7007,bind=127.0.0.1 PIPE &
		sleep 0.5; echo control | timeout 5 "$socat" -T 2 - UDP4-SENDTO:127.0.0.1:7007) 2>&1)
	check "control, no preload: socat UDP echo on Linux's stack" [ "$got" = "control" ]
fi

ktap_finished
