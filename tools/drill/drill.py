#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""drill: packet scripts in packetdrill's dialect, run against bsdinet or
Linux's own stack through a tun device.

Each script runs in a network namespace of its own (so on a fresh bsdinet
stack, which is per namespace): a tun device "drill0" is the wire, the
stack under test is 192.168.0.1 on it and the script plays 192.168.0.2 at the other end
(packetdrill's default is 192.0.2.1: bsdinet, as 4.4BSD, takes a peer off the
local subnet to want the 512-byte default MSS).
System calls are made on AF_BSDINET sockets (--stack bsd) or AF_INET ones
(--stack linux); packets the script injects ("<") are written to the tun
device and those the stack must send (">") are read from it and matched
field by field. Documentation/conformance.rst describes the language.
"""

import ctypes
import ctypes.util
import errno as errno_mod
import json
import os
import re
import select
import socket
import struct
import subprocess
import sys
import threading
import time

AF_BSDINET = 19
LOCAL_IP = "192.168.0.1"
REMOTE_IP = "192.168.0.2"
LOCAL_PORT = 8080  # bind(..., ...) binds INADDR_ANY:8080
REMOTE_PORT = 8080  # connect(..., ...) and sendto(..., ...) go to 192.168.0.2:8080
PEER_PORT = 40000  # the script's port when the stack listens
REMOTE_ISN = 0x10000  # the script's sequence numbers are relative to this
TUN = "drill0"
STACKS = ("bsd", "linux")


class ScriptError(Exception):
    """A script the runner cannot read: names the file and line."""

    def __init__(self, path, line, msg):
        super().__init__(f"{path}:{line}: {msg}")
        self.path, self.line, self.msg = path, line, msg


class Failure(Exception):
    """The stack did not do what the script says."""

    def __init__(self, line, msg):
        super().__init__(f"line {line}: {msg}")
        self.line, self.msg = line, msg


# --------------------------------------------------------------------------
# Constants scripts may name (Linux's numbers: bsdinet takes the same).

CONSTANTS = {
    "AF_INET": 2, "PF_INET": 2, "SOCK_STREAM": 1, "SOCK_DGRAM": 2, "SOCK_RAW": 3,
    "SOCK_NONBLOCK": 0o4000,
    "IPPROTO_IP": 0, "IPPROTO_ICMP": 1, "IPPROTO_TCP": 6, "IPPROTO_UDP": 17,
    "SOL_SOCKET": 1, "SO_DEBUG": 1, "SO_REUSEADDR": 2, "SO_TYPE": 3, "SO_ERROR": 4,
    "SO_DONTROUTE": 5, "SO_BROADCAST": 6, "SO_SNDBUF": 7, "SO_RCVBUF": 8,
    "SO_KEEPALIVE": 9, "SO_OOBINLINE": 10, "SO_LINGER": 13, "SO_REUSEPORT": 15,
    "SO_RCVLOWAT": 18, "SO_SNDLOWAT": 19, "SO_ACCEPTCONN": 30, "SO_PROTOCOL": 38,
    "TCP_NODELAY": 1, "TCP_MAXSEG": 2, "TCP_KEEPIDLE": 4, "TCP_KEEPINTVL": 5,
    "TCP_KEEPCNT": 6,
    "IP_TOS": 1, "IP_TTL": 2, "IP_OPTIONS": 4,
    "MSG_OOB": 1, "MSG_PEEK": 2, "MSG_DONTROUTE": 4, "MSG_DONTWAIT": 0x40,
    "MSG_EOR": 0x80, "MSG_WAITALL": 0x100, "MSG_NOSIGNAL": 0x4000,
    "SHUT_RD": 0, "SHUT_WR": 1, "SHUT_RDWR": 2,
    "F_GETFL": 3, "F_SETFL": 4, "O_RDONLY": 0, "O_WRONLY": 1, "O_RDWR": 2,
    "O_NONBLOCK": 0o4000,
    "POLLIN": 0x1, "POLLPRI": 0x2, "POLLOUT": 0x4, "POLLERR": 0x8, "POLLHUP": 0x10,
    "POLLNVAL": 0x20, "POLLRDNORM": 0x40, "POLLRDBAND": 0x80, "POLLWRNORM": 0x100,
    "POLLRDHUP": 0x2000,
    "SIOCATMARK": 0x8905, "FIONREAD": 0x541B, "SIOCINQ": 0x541B, "SIOCOUTQ": 0x5411,
    "INADDR_ANY": 0,
}
ERRNOS = {name: num for num, name in errno_mod.errorcode.items()}

ICMP_TYPES = {
    "echo_reply": 0, "unreachable": 3, "source_quench": 4, "redirect": 5,
    "echo_request": 8, "time_exceeded": 11, "parameter_problem": 12,
    "timestamp_request": 13, "timestamp_reply": 14, "address_mask_request": 17,
    "address_mask_reply": 18,
}
ICMP_CODES = {
    "net_unreachable": 0, "host_unreachable": 1, "protocol_unreachable": 2,
    "port_unreachable": 3, "frag_needed": 4, "source_route_failed": 5,
    "net_unknown": 6, "host_unknown": 7, "host_isolated": 8, "net_prohibited": 9,
    "host_prohibited": 10, "net_tos_unreachable": 11, "host_tos_unreachable": 12,
    "redirect_net": 0, "redirect_host": 1, "ttl_exceeded": 0,
    "reassembly_timeout": 0,
}
TCP_FLAGS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, ".": 0x10, "U": 0x20,
             "E": 0x40, "W": 0x80}

# --------------------------------------------------------------------------
# The script language.

TOKEN = re.compile(r"""\s*(?:
    (?P<addr>\d+\.\d+\.\d+\.\d+)
  | (?P<num>0[xX][0-9a-fA-F]+|\d+\.\d*|\.\d+|\d+)
  | (?P<ell>\.\.\.)
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<p>[()\[\]{},=|:<>~+\-.*!/])
)""", re.X)


def tokenize(text, err):
    toks, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            err(f"cannot read {text[pos:].strip()[:20]!r}")
        kind = m.lastgroup
        toks.append((kind, m.group(kind)))
        pos = m.end()
    return toks


class Toks:
    """A cursor over one line's tokens, with the line's error reporter."""

    def __init__(self, toks, err):
        self.t, self.i, self.err = toks, 0, err

    def peek(self, k=0):
        return self.t[self.i + k] if self.i + k < len(self.t) else (None, None)

    def next(self):
        if self.i >= len(self.t):
            self.err("unexpected end of line")
        tok = self.t[self.i]
        self.i += 1
        return tok

    def take(self, value):
        if self.peek()[1] == value:
            self.i += 1
            return True
        return False

    def expect(self, value):
        kind, got = self.next()
        if got != value:
            self.err(f"expected {value!r}, got {got!r}")

    def number(self, what="a number"):
        neg = self.take("-")
        kind, v = self.next()
        if kind != "num" or "." in v:
            self.err(f"expected {what}, got {v!r}")
        n = int(v, 16) if v[:2] in ("0x", "0X") else int(v, 10)
        return -n if neg else n

    def word(self, what="a name"):
        kind, v = self.next()
        if kind != "id":
            self.err(f"expected {what}, got {v!r}")
        return v

    def done(self):
        return self.i >= len(self.t)


def parse_seconds(tok, err):
    kind, v = tok
    if kind != "num":
        err(f"expected a time, got {v!r}")
    try:
        return float(int(v, 0)) if v.lower().startswith("0x") else float(v)
    except ValueError:
        err(f"bad time {v!r}")


class Time:
    """When an event happens: kind 'abs', 'rel' or 'any'; lo..hi (a range
    a~b, else lo == hi); end for a blocking call (t1...t2)."""

    def __init__(self, kind, lo=0.0, hi=0.0, end=None, end_rel=False):
        self.kind, self.lo, self.hi, self.end, self.end_rel = kind, lo, hi, end, end_rel


NUM = r"(?:\d+(?:\.\d+)?|\.\d+)"
TIME_RE = re.compile(rf"^(\*|[+]?{NUM}(?:~[+]?{NUM})?(?:\.\.\.[+]?{NUM})?)\s+")


def parse_time(text, err):
    m = TIME_RE.match(text)
    if not m:
        err("a line starts with a time (0.1, +0.1, *, a~b or a...b)")
    spec, rest = m.group(1), text[m.end():]
    if spec == "*":
        return Time("any"), rest
    end = None
    end_rel = False
    if "..." in spec:
        spec, e = spec.split("...", 1)
        end_rel = e.startswith("+")
        end = parse_seconds(("num", e.lstrip("+")), err)
    parts = spec.split("~")
    rel = parts[0].startswith("+")
    if len(parts) == 2 and parts[1].startswith("+") != rel:
        err("both ends of a range are relative (+a~+b) or both absolute")
    lo = parse_seconds(("num", parts[0].lstrip("+")), err)
    hi = parse_seconds(("num", parts[-1].lstrip("+")), err)
    if hi < lo:
        err(f"range {spec} ends before it starts")
    if end is not None and len(parts) == 2:
        err("a blocking call (a...b) cannot start in a range")
    return Time("rel" if rel else "abs", lo, hi, end, end_rel), rest


# Values in system-call arguments.
class Ellipsis_:
    def __repr__(self):
        return "..."


ELLIPSIS = Ellipsis_()


class Sym:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


class Call:
    def __init__(self, name, args):
        self.name, self.args = name, args


class Or:
    def __init__(self, parts):
        self.parts = parts


def parse_values(tk, close):
    """Values separated by commas up to `close` (taken)."""
    items = []
    if not tk.take(close):
        items.append(parse_value(tk))
        while tk.take(","):
            items.append(parse_value(tk))
        tk.expect(close)
    return items


def parse_value(tk):
    parts = [parse_atom(tk)]
    while tk.take("|"):
        parts.append(parse_atom(tk))
    return parts[0] if len(parts) == 1 else Or(parts)


def parse_atom(tk):
    kind, v = tk.peek()
    if kind is None:
        tk.err("unexpected end of line in the arguments")
    if kind == "ell":
        tk.next()
        return ELLIPSIS
    if kind == "num" or v == "-":
        return tk.number()
    if kind == "str":
        tk.next()
        return bytes(v[1:-1], "utf-8").decode("unicode_escape")
    if kind == "addr":
        tk.next()
        return v
    if v == "[":
        tk.next()
        return parse_values(tk, "]")
    if v == "{":
        tk.next()
        fields = {}
        if not tk.take("}"):
            while True:
                key = tk.word("a field name")
                tk.expect("=")
                fields[key] = parse_value(tk)
                if tk.take("}"):
                    break
                tk.expect(",")
        return fields
    if kind == "id":
        tk.next()
        if tk.take("("):
            return Call(v, parse_values(tk, ")"))
        return Sym(v)
    tk.err(f"unexpected {v!r} in the arguments")


SYSCALLS = {
    # name: number of arguments
    "socket": 3, "bind": 3, "listen": 2, "accept": 3, "connect": 3, "write": 3,
    "read": 3, "send": 4, "recv": 4, "sendto": 6, "recvfrom": 6,
    "setsockopt": 5, "getsockopt": 5, "close": 1, "shutdown": 2, "poll": 3,
    "fcntl": (2, 3), "ioctl": 3, "getsockname": 3, "getpeername": 3,
}


class Syscall:
    def __init__(self, name, args, result, errno_name):
        self.name, self.args, self.result, self.errno = name, args, result, errno_name


def parse_syscall(text, err):
    tk = Toks(tokenize(text, err), err)
    name = tk.word("a system call")
    if name not in SYSCALLS:
        err(f"unknown system call {name!r}")
    tk.expect("(")
    args = parse_values(tk, ")")
    want = SYSCALLS[name]
    if len(args) not in (want if isinstance(want, tuple) else (want,)):
        err(f"{name} takes {want} arguments, not {len(args)}")
    tk.expect("=")
    if tk.peek()[0] == "ell":
        tk.next()
        result = ELLIPSIS
    else:
        result = tk.number("the call's result")
    errno_name = None
    if result == -1:
        if tk.done():
            err("-1 is followed by the errno's name (-1 EAGAIN)")
        errno_name = tk.word("an errno name after -1")
        if errno_name not in ERRNOS:
            err(f"unknown errno {errno_name}")
    if tk.take("("):  # a comment: (Operation now in progress), (flags O_RDWR)
        depth = 1
        while depth:
            v = tk.next()[1]
            depth += {"(": 1, ")": -1}.get(v, 0)
    if not tk.done():
        err(f"unexpected {tk.peek()[1]!r} after the result")
    return Syscall(name, args, result, errno_name)


class Packet:
    """One packet line. Fields left None are not checked (outbound) or take
    their defaults (inbound)."""

    def __init__(self):
        self.proto = None  # "tcp", "udp", "icmp"
        self.flags = None
        self.seq = self.end = self.len = None
        self.ack = self.win = self.urg = None
        self.options = None  # list of (name, values); None: unchecked
        self.udp_len = None
        self.icmp_type = self.icmp_code = None
        self.mtu = self.icmp_id = self.icmp_seq = self.icmp_len = None
        self.embedded = None
        self.src = self.dst = self.sport = self.dport = None
        self.ttl = self.tos = None
        # IP-level fields (Documentation/conformance.rst, "IP fields"):
        self.ipid = None  # identification
        self.frag = None  # (start, end): this fragment's bytes of the IP payload
        self.ipopt = None  # list of IP options: ("rr", slots, [addrs]), ("nop",), ("eol",), ("raw", [bytes])
        self.ipver = self.iphl = self.iplen = self.ipproto = None  # header overrides (inbound)
        self.ipcsum = None  # "bad" (inbound)
        self.ulen = None  # the UDP length field, when not the datagram's (inbound)
        self.ptr = None  # a parameter problem's pointer (outbound)
        self.df = None
        self.csum = None  # "bad", "zero" (inbound)


def parse_options(tk):
    opts = []
    if tk.take(">"):  # <>: no options at all
        return opts
    if tk.take("..."):
        tk.expect(">")
        return None
    if tk.peek()[0] == "ell":
        tk.next()
        tk.expect(">")
        return None
    while True:
        name = tk.word("a TCP option")
        if name == "mss":
            opts.append(("mss", [tk.number()]))
        elif name == "wscale":
            opts.append(("wscale", [tk.number()]))
        elif name in ("nop", "eol", "sackOK"):
            opts.append((name, []))
        elif name == "TS":
            if tk.word() != "val":
                tk.err("TS val N ecr N")
            val = tk.number()
            if tk.word() != "ecr":
                tk.err("TS val N ecr N")
            opts.append(("TS", [val, tk.number()]))
        elif name == "sack":
            blocks = []
            while tk.peek()[0] == "num":
                a = tk.number()
                tk.expect(":")
                blocks += [a, tk.number()]
            if not blocks:
                tk.err("sack needs blocks a:b")
            opts.append(("sack", blocks))
        else:
            tk.err(f"unknown TCP option {name!r}")
        if tk.take(">"):
            return opts
        tk.expect(",")


def parse_seq(tk, pkt):
    pkt.seq = tk.number()
    tk.expect(":")
    pkt.end = tk.number()
    tk.expect("(")
    pkt.len = tk.number()
    tk.expect(")")
    if pkt.end - pkt.seq != pkt.len:
        tk.err(f"{pkt.seq}:{pkt.end}({pkt.len}): the length is end - start")


def parse_extras(tk, pkt):
    """The runner's own fields after a packet (not packetdrill's)."""
    while not tk.done():
        key = tk.word("a packet field")
        if key in ("src", "dst"):
            kind, v = tk.next()
            if kind != "addr":
                tk.err(f"{key} takes an address a.b.c.d")
            setattr(pkt, key, v)
        elif key in ("sport", "dport", "ttl", "tos"):
            setattr(pkt, key, tk.number())
        elif key == "df":
            pkt.df = True
        elif key in ("ipid", "ipver", "iphl", "iplen", "ipproto", "ulen"):
            setattr(pkt, key, tk.number())
        elif key == "ipcsum":
            if tk.word("bad") != "bad":
                tk.err("ipcsum bad")
            pkt.ipcsum = "bad"
        elif key == "frag":
            start = tk.number("a fragment's first byte")
            tk.expect(":")
            end = tk.number("a fragment's end")
            if start % 8 or end <= start:
                tk.err("frag start:end: start a multiple of 8, end after it")
            pkt.frag = (start, end)
        elif key == "ipopt":
            pkt.ipopt = parse_ipopts(tk)
        elif key == "csum":
            v = tk.word("bad, zero or nonzero")
            if v not in ("bad", "zero", "nonzero"):
                tk.err("csum bad, csum zero or csum nonzero")
            pkt.csum = v
        else:
            tk.err(f"unknown packet field {key!r}")


def parse_ipopts(tk):
    """ipopt [rr N a.b.c.d ..., nop, eol, 0x07 ...]: record route with N
    slots and the addresses already in it, NOP, EOL, or raw bytes."""
    tk.expect("[")
    opts = []
    if tk.take("]"):
        return opts
    while True:
        kind, v = tk.peek()
        if v == "rr":
            tk.next()
            slots = tk.number("the record route's slots")
            if not 1 <= slots <= 9:
                tk.err("a record route option has 1 to 9 slots")
            addrs = []
            while tk.peek()[0] == "addr":
                addrs.append(tk.next()[1])
            if len(addrs) > slots:
                tk.err("more addresses than slots")
            opts.append(("rr", slots, addrs))
        elif v in ("nop", "eol"):
            tk.next()
            opts.append((v,))
        elif kind == "num":
            raw = []
            while tk.peek()[0] == "num":
                b = tk.number()
                if not 0 <= b <= 255:
                    tk.err("an option byte is 0 to 255")
                raw.append(b)
            if opts and opts[-1][0] == "raw":  # 7, 7, 4 is one run of bytes
                opts[-1][1].extend(raw)
            else:
                opts.append(("raw", raw))
        else:
            tk.err(f"unknown IP option {v!r} (rr N, nop, eol or bytes)")
        if tk.take("]"):
            return opts
        tk.expect(",")


def ipopt_bytes(opts):
    """IP options as bytes, padded with EOL to whole words."""
    out = b""
    for o in opts:
        if o[0] == "rr":
            _, slots, addrs = o
            out += struct.pack("!BBB", 7, 3 + 4 * slots, 4 + 4 * len(addrs))
            out += b"".join(socket.inet_aton(a) for a in addrs) + bytes(4 * (slots - len(addrs)))
        elif o[0] == "nop":
            out += b"\x01"
        elif o[0] == "eol":
            out += b"\x00"
        else:
            out += bytes(o[1])
    return out + b"\0" * (-len(out) % 4)


def parse_ipopts_wire(data):
    """A header's options as parse_ipopts gives them; other options as
    raw bytes, padding EOLs dropped."""
    opts, i = [], 0
    while i < len(data):
        kind = data[i]
        if kind == 0:
            break
        if kind == 1:
            opts.append(("nop",))
            i += 1
            continue
        ln = data[i + 1] if i + 1 < len(data) else 0
        if ln < 2 or i + ln > len(data):
            opts.append(("raw", list(data[i:])))
            break
        body = data[i:i + ln]
        if kind == 7 and ln >= 3 and (ln - 3) % 4 == 0 and 4 <= body[2]:
            n = min((body[2] - 4) // 4, (ln - 3) // 4)
            opts.append(("rr", (ln - 3) // 4, [socket.inet_ntoa(body[3 + 4 * j:7 + 4 * j]) for j in range(n)]))
        else:
            opts.append(("raw", list(body)))
        i += ln
    return opts


def format_ipopts(opts):
    out = []
    for o in opts:
        if o[0] == "rr":
            out.append(" ".join(["rr", str(o[1])] + o[2]))
        elif o[0] == "raw":
            out.append(" ".join(f"{b:#04x}" for b in o[1]))
        else:
            out.append(o[0])
    return "[" + ", ".join(out) + "]"


def parse_packet(text, err, embedded=False):
    tk = Toks(tokenize(text, err), err)
    pkt = Packet()
    kind, v = tk.peek()
    if v == "udp":
        tk.next()
        pkt.proto = "udp"
        tk.expect("(")
        pkt.udp_len = tk.number()
        tk.expect(")")
    elif v == "icmp":
        tk.next()
        pkt.proto = "icmp"
        if tk.peek()[0] == "num":  # a type by number: icmp 15 (information request)
            pkt.icmp_type = tk.number()
            if not 0 <= pkt.icmp_type <= 255:
                err("an ICMP type is 0 to 255")
        else:
            t = tk.word("an ICMP type")
            if t not in ICMP_TYPES:
                err(f"unknown ICMP type {t!r}")
            pkt.icmp_type = ICMP_TYPES[t]
        if tk.peek()[1] in ICMP_CODES:
            pkt.icmp_code = ICMP_CODES[tk.next()[1]]
        while True:
            if tk.take("mtu"):
                pkt.mtu = tk.number()
            elif tk.take("id"):
                pkt.icmp_id = tk.number()
            elif tk.take("seq"):
                pkt.icmp_seq = tk.number()
            elif tk.take("ptr"):
                pkt.ptr = tk.number()
            elif tk.peek()[1] == "(":
                tk.next()
                pkt.icmp_len = tk.number()
                tk.expect(")")
            elif tk.peek()[1] == "[":
                if embedded:
                    err("an embedded packet cannot hold another")
                depth, start = 0, tk.i
                while True:
                    v = tk.next()[1]
                    depth += {"[": 1, "]": -1}.get(v, 0)
                    if depth == 0:
                        break
                inner = " ".join(t[1] for t in tk.t[start + 1:tk.i - 1])
                pkt.embedded = parse_packet(inner, err, embedded=True)
            else:
                break
    else:
        pkt.proto = "tcp"
        flags = 0
        # Flags: a word of S F P R U E W and "." (S. is SYN+ACK).
        while True:
            kind, v = tk.peek()
            if kind == "id" and all(c in TCP_FLAGS for c in v):
                flags |= sum(TCP_FLAGS[c] for c in v)
                tk.next()
            elif v == "." and not (embedded and tk.peek(1)[1] == ":"):
                flags |= TCP_FLAGS["."]
                tk.next()
            else:
                break
        if not flags and not embedded:
            err(f"a TCP packet starts with its flags (S, S., ., P., F., R ...), not {v!r}")
        pkt.flags = flags if flags else None
        if tk.peek()[0] == "num":
            parse_seq(tk, pkt)
        while not tk.done():
            v = tk.peek()[1]
            if v == "ack":
                tk.next()
                pkt.ack = tk.number()
            elif v == "win":
                tk.next()
                pkt.win = tk.number()
            elif v == "urg":
                tk.next()
                pkt.urg = tk.number()
            elif v == "<":
                tk.next()
                pkt.options = parse_options(tk)
                if pkt.options is None:
                    pkt.options = "any"
            else:
                break
    parse_extras(tk, pkt)
    return pkt


class Event:
    def __init__(self, line, stack, time_, kind, body, text):
        self.line, self.stack, self.time, self.kind, self.body = line, stack, time_, kind, body
        self.text = text


class Script:
    def __init__(self, path, events, options):
        self.path, self.events, self.options = path, events, options


OPTIONS = {"tolerance_usecs": int, "stacks": str}


def strip_comments(text):
    # /* ... */ may span lines; keep the newlines so line numbers hold.
    def blank(m):
        return "\n" * m.group(0).count("\n")

    text = re.sub(r"/\*.*?\*/", blank, text, flags=re.S)
    return [re.sub(r"//.*", "", line) for line in text.split("\n")]


def parse_script(text, path="<script>"):
    if "/*" in re.sub(r"/\*.*?\*/", "", text, flags=re.S):
        line = text[:text.rfind("/*")].count("\n") + 1
        raise ScriptError(path, line, "comment /* never closed")
    events, options = [], {}
    for n, line in enumerate(strip_comments(text), 1):
        def err(msg, n=n):
            raise ScriptError(path, n, msg)

        line = line.strip()
        if not line:
            continue
        if line.startswith("--"):
            m = re.fullmatch(r"--([a-z_]+)=(\S+)", line)
            if not m or m.group(1) not in OPTIONS:
                err(f"unknown option line {line!r} (known: --tolerance_usecs=N, --stacks=bsd,linux)")
            if events:
                err("option lines come before the first event")
            try:
                options[m.group(1)] = OPTIONS[m.group(1)](m.group(2))
            except ValueError:
                err(f"bad value in {line!r}")
            if m.group(1) == "stacks" and not set(options["stacks"].split(",")) <= set(STACKS):
                err("--stacks= names bsd and/or linux")
            continue
        stack = None
        m = re.match(r"(bsd|linux):\s*", line)
        if m:
            stack, line = m.group(1), line[m.end():]
        time_, rest = parse_time(line + " ", err)
        rest = rest.strip()
        if not rest:
            err("an event after the time")
        if rest.startswith("<") or rest.startswith(">"):
            kind = "in" if rest[0] == "<" else "out"
            if time_.end is not None:
                err("only a system call can block (a...b)")
            if kind == "in" and time_.kind == "any":
                err("an inbound packet needs a time, not *")
            body = parse_packet(rest[1:], err)
            if kind == "in" and body.proto == "tcp" and body.seq is None:
                err("an inbound TCP packet needs seq:end(len)")
        elif rest.startswith("`"):
            if not rest.endswith("`") or len(rest) < 2:
                err("a command is written `like this`")
            kind, body = "cmd", rest[1:-1]
        else:
            kind, body = "call", parse_syscall(rest, err)
        events.append(Event(n, stack, time_, kind, body, rest))
    if not events:
        raise ScriptError(path, 1, "no events")
    return Script(path, events, options)


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise ScriptError(path, 0, f"cannot read: {e}")
    return parse_script(text, path)


# --------------------------------------------------------------------------
# Packets on the wire.

def cksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_header(src, dst, proto, payload_len, ttl=64, tos=0, df=False, ident=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + payload_len, ident,
                    0x4000 if df else 0, ttl, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", cksum(h)) + h[12:]


def ip_rewrite(raw, pkt):
    """An inbound packet's IP header redone with the line's IP fields:
    options, identification, a fragment of the payload, and header fields
    made wrong on purpose (version, header length, total length, protocol,
    checksum)."""
    hdr, payload = bytearray(raw[:20]), raw[20:]
    opts = ipopt_bytes(pkt.ipopt or [])
    frag = struct.unpack("!H", hdr[6:8])[0] & 0x4000  # DF
    if pkt.frag is not None:
        start, end = pkt.frag
        if end < len(payload):
            frag |= 0x2000  # MF: more of the datagram follows
        payload = payload[start:end]
        frag |= start // 8
    hl = (20 + len(opts)) // 4 if pkt.iphl is None else pkt.iphl
    hdr[0] = ((4 if pkt.ipver is None else pkt.ipver) << 4) | (hl & 0xF)
    total = 20 + len(opts) + len(payload) if pkt.iplen is None else pkt.iplen
    struct.pack_into("!HHH", hdr, 2, total, pkt.ipid or 0, frag)
    if pkt.ipproto is not None:
        hdr[9] = pkt.ipproto
    h = bytes(hdr[:10]) + b"\0\0" + bytes(hdr[12:]) + opts
    c = cksum(h)
    if pkt.ipcsum == "bad":
        c ^= 0x5A5A
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def pseudo(src, dst, proto, length):
    return socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, proto, length)


def tcp_options_bytes(opts):
    out = b""
    for name, vals in opts:
        if name == "mss":
            out += struct.pack("!BBH", 2, 4, vals[0])
        elif name == "wscale":
            out += struct.pack("!BBB", 3, 3, vals[0])
        elif name == "nop":
            out += b"\x01"
        elif name == "eol":
            out += b"\x00"
        elif name == "sackOK":
            out += b"\x04\x02"
        elif name == "TS":
            out += struct.pack("!BBII", 8, 10, vals[0] & 0xFFFFFFFF, vals[1] & 0xFFFFFFFF)
        elif name == "sack":
            out += struct.pack("!BB", 5, 2 + 4 * len(vals))
            out += b"".join(struct.pack("!I", v & 0xFFFFFFFF) for v in vals)
    return out + b"\0" * (-len(out) % 4)


def parse_tcp_options(data):
    opts, i = [], 0
    while i < len(data):
        kind = data[i]
        if kind == 0:
            opts.append(("eol", []))
            break
        if kind == 1:
            opts.append(("nop", []))
            i += 1
            continue
        if i + 1 >= len(data) or data[i + 1] < 2 or i + data[i + 1] > len(data):
            opts.append(("bad", [kind]))
            break
        ln, body = data[i + 1], data[i + 2:i + data[i + 1]]
        if kind == 2 and ln == 4:
            opts.append(("mss", [struct.unpack("!H", body)[0]]))
        elif kind == 3 and ln == 3:
            opts.append(("wscale", [body[0]]))
        elif kind == 4 and ln == 2:
            opts.append(("sackOK", []))
        elif kind == 8 and ln == 10:
            opts.append(("TS", list(struct.unpack("!II", body))))
        elif kind == 5 and ln >= 2:
            opts.append(("sack", [struct.unpack("!I", body[j:j + 4])[0] for j in range(0, len(body) - 3, 4)]))
        else:
            opts.append((f"opt{kind}", list(body)))
        i += ln
    return opts


def format_options(opts):
    out = []
    for name, vals in opts:
        if name == "TS":
            out.append(f"TS val {vals[0]} ecr {vals[1]}")
        elif name == "sack":
            out.append("sack " + " ".join(f"{vals[j]}:{vals[j + 1]}" for j in range(0, len(vals) - 1, 2)))
        else:
            out.append(" ".join([name] + [str(v) for v in vals]))
    return "<" + ",".join(out) + ">"


def flag_string(flags):
    s = "".join(c for c in "SFPRUEW" if flags & TCP_FLAGS[c])
    return s + "." if flags & 0x10 else s or "(none)"


class Wire:
    """A packet read off the tun device, decoded."""

    def __init__(self, raw):
        self.raw = raw
        self.ok = len(raw) >= 20 and raw[0] >> 4 == 4
        if not self.ok:
            return
        hl = (raw[0] & 0xF) * 4
        (self.tos, self.total, _, frag, self.ttl, self.proto, _) = struct.unpack("!xBHHHBBH", raw[:12])
        self.df = bool(frag & 0x4000)
        self.src = socket.inet_ntoa(raw[12:16])
        self.dst = socket.inet_ntoa(raw[16:20])
        self.ip_ok = cksum(raw[:hl]) == 0
        self.frag = frag & 0x3FFF
        self.ident = struct.unpack("!H", raw[4:6])[0]
        self.ipopts = parse_ipopts_wire(raw[20:hl])
        body = raw[hl:self.total]
        self.body = body
        self.l4_ok = True
        if self.proto == 6 and len(body) >= 20 and not self.frag:
            (self.sport, self.dport, self.seq, self.ack, off, self.flags, self.win, _,
             self.urg) = struct.unpack("!HHIIBBHHH", body[:20])
            doff = (off >> 4) * 4
            self.options = parse_tcp_options(body[20:doff])
            self.payload = body[doff:]
            self.l4_ok = cksum(pseudo(self.src, self.dst, 6, len(body)) + body) == 0
        elif self.proto == 17 and len(body) >= 8 and not self.frag:
            self.sport, self.dport, self.ulen, c = struct.unpack("!HHHH", body[:8])
            self.csum = c
            self.payload = body[8:]
            self.l4_ok = c == 0 or cksum(pseudo(self.src, self.dst, 17, len(body)) + body) == 0
        elif self.proto == 1 and len(body) >= 8:
            self.icmp_type, self.icmp_code = body[0], body[1]
            self.icmp_rest = body[4:8]
            self.payload = body[8:]
            self.l4_ok = cksum(body) == 0
        else:
            self.proto = ("frag", self.proto) if self.frag else ("ip", self.proto)


def describe(w, flow):
    """A packet as a script line, in the script's sequence space."""
    if not w.ok:
        return f"non-IPv4 ({len(w.raw)} bytes)"
    if w.proto == 6:
        seq = (w.seq - flow.local_isn) & 0xFFFFFFFF if flow.local_isn is not None else w.seq
        n = len(w.payload)
        s = f"{flag_string(w.flags)} {seq}:{(seq + n) & 0xFFFFFFFF}({n})"
        if w.flags & 0x10:
            s += f" ack {(w.ack - REMOTE_ISN) & 0xFFFFFFFF}"
        s += f" win {w.win}"
        if w.flags & 0x20:
            s += f" urg {w.urg}"
        if w.options:
            s += " " + format_options(w.options)
    elif w.proto == 17:
        s = f"udp ({len(w.payload)})"
    elif w.proto == 1:
        names = {v: k for k, v in ICMP_TYPES.items()}
        s = f"icmp {names.get(w.icmp_type, w.icmp_type)} code {w.icmp_code}"
    else:
        s = f"IP protocol {w.proto}"
    return f"{s}  [{w.src} > {w.dst}]"


# --------------------------------------------------------------------------
# The host: namespace, tun device and system calls.

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
libc.fcntl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]


class SockaddrIn(ctypes.Structure):
    _fields_ = [("family", ctypes.c_ushort), ("port", ctypes.c_uint16),
                ("addr", ctypes.c_uint32), ("zero", ctypes.c_char * 8)]


class PollFd(ctypes.Structure):
    _fields_ = [("fd", ctypes.c_int), ("events", ctypes.c_short), ("revents", ctypes.c_short)]


def ioc(direction, nr, size):
    return (direction << 30) | (size << 16) | (ord("i") << 8) | nr


def ifreq(data=b""):
    return TUN.encode().ljust(16, b"\0") + data.ljust(24, b"\0")


def sin(family, ip):
    return struct.pack("=HH4s8x", family, 0, socket.inet_aton(ip))


def setup(stack):
    """In a new network namespace: the tun device and the stack's address,
    set with ioctls (a process per step costs seconds in the test VM)."""
    import fcntl

    CLONE_NEWNET = 0x40000000
    if libc.unshare(CLONE_NEWNET):
        raise RuntimeError(f"unshare(CLONE_NEWNET): {os.strerror(ctypes.get_errno())}")
    for k in ("all", "default"):
        path = f"/proc/sys/net/ipv6/conf/{k}/disable_ipv6"
        if os.path.exists(path):
            with open(path, "w") as f:
                f.write("1")
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    IFF_TUN, IFF_NO_PI, TUNSETIFF = 0x0001, 0x1000, 0x400454CA
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", TUN.encode(), IFF_TUN | IFF_NO_PI))
    SIOCSIFFLAGS, SIOCSIFADDR, SIOCSIFDSTADDR = 0x8914, 0x8916, 0x8918
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for name in (b"lo", TUN.encode()):
            fcntl.ioctl(s, SIOCSIFFLAGS, name.ljust(16, b"\0") + struct.pack("H", 1).ljust(24, b"\0"))
        if stack == "linux":
            fcntl.ioctl(s, SIOCSIFADDR, ifreq(sin(socket.AF_INET, LOCAL_IP)))
            fcntl.ioctl(s, SIOCSIFDSTADDR, ifreq(sin(socket.AF_INET, REMOTE_IP)))
    if stack == "bsd":
        # tools/ifconfig.c's attach, address and up.
        with socket.socket(AF_BSDINET, socket.SOCK_DGRAM) as s:
            fcntl.ioctl(s, ioc(1, 122, 40), ifreq())  # SIOCIFCREATE
            fcntl.ioctl(s, ioc(1, 26, 64), TUN.encode().ljust(16, b"\0") + sin(AF_BSDINET, LOCAL_IP)
                        + sin(AF_BSDINET, REMOTE_IP) + bytes(16))  # SIOCAIFADDR
            flags = struct.unpack_from("h", fcntl.ioctl(s, ioc(3, 17, 40), ifreq()), 16)[0]
            fcntl.ioctl(s, ioc(1, 16, 40), ifreq(struct.pack("h", flags | 1)))  # SIOCSIFFLAGS up
    return fd


class Flow:
    """The one connection a script plays: ports and initial sequence numbers."""

    def __init__(self):
        self.lport = LOCAL_PORT
        self.rport = PEER_PORT
        self.bound = False
        self.local_isn = None
        self.ts = {}  # the script's TS val -> the stack's
        self.last_ts = None


class Runner:
    def __init__(self, script, stack, tun_fd, tolerance):
        self.script, self.stack, self.tun = script, stack, tun_fd
        self.tol = script.options.get("tolerance_usecs", tolerance) / 1e6
        self.family = AF_BSDINET if stack == "bsd" else socket.AF_INET
        self.fds = {}  # the script's fd -> ours
        self.flow = Flow()
        self.pending = []  # blocking calls still running: (event, thread, box, due)
        self.t0 = None
        self.last = 0.0  # script time of the previous event
        self.trace = []  # what happened, for DRILL_DEBUG

    def note(self, text):
        self.trace.append(f"{self.now():8.3f} {text}")

    # -- time ------------------------------------------------------------
    def now(self):
        return time.monotonic() - self.t0

    def wait_until(self, t, line):
        """Sleep until script time t; a packet the stack sends meanwhile is
        one the script did not expect."""
        while True:
            self.reap(line)
            left = t - self.now()
            if left <= 0:
                return
            r, _, _ = select.select([self.tun], [], [], min(left, 0.05))
            if r:
                w = self.read_packet()
                if w is not None:
                    raise Failure(line, f"unexpected packet {describe(w, self.flow)} at {self.now():.3f} s")

    def read_packet(self):
        try:
            raw = os.read(self.tun, 65536)
        except BlockingIOError:
            return None
        w = Wire(raw)
        if not w.ok:
            return None  # IPv6 and the like: not ours to judge
        self.note(f"> {describe(w, self.flow)}")
        return w

    # -- values ----------------------------------------------------------
    def value(self, v, line):
        if isinstance(v, int):
            return v
        if isinstance(v, Sym):
            if v.name in CONSTANTS:
                return CONSTANTS[v.name]
            if v.name in ERRNOS:
                return ERRNOS[v.name]
            raise Failure(line, f"unknown constant {v.name}")
        if isinstance(v, Or):
            n = 0
            for p in v.parts:
                n |= self.value(p, line)
            return n
        if isinstance(v, Call) and v.name in ("htons", "htonl", "ntohs") and len(v.args) == 1:
            return self.value(v.args[0], line)  # ports and addresses are numbers here
        if isinstance(v, list) and len(v) == 1:
            return self.value(v[0], line)
        raise Failure(line, f"expected a number, got {v!r}")

    def fd(self, v, line):
        n = self.value(v, line)
        if n not in self.fds:
            return 10000 + n  # a descriptor nobody opened: EBADF
        return self.fds[n]

    def sockaddr(self, v, line, default):
        sa = SockaddrIn()
        sa.family = self.family
        if v is ELLIPSIS:
            ip, port = default
        elif isinstance(v, dict):
            ip = v.get("sin_addr", 0)
            if isinstance(ip, Call) and ip.name == "inet_addr":
                ip = ip.args[0]
            if isinstance(ip, (Sym, int)):
                ip = socket.inet_ntoa(struct.pack("!I", self.value(ip, line)))
            port = self.value(v.get("sin_port", 0), line)
            fam = v.get("sa_family", v.get("sin_family"))
            if fam is not None and self.value(fam, line) != socket.AF_INET:
                sa.family = self.value(fam, line)
        else:
            raise Failure(line, f"expected ... or a sockaddr, got {v!r}")
        sa.port = socket.htons(port)
        sa.addr = struct.unpack("=I", socket.inet_aton(ip))[0]
        return sa, ip, port

    # -- system calls ----------------------------------------------------
    def do_call(self, sc, line):
        """Make the call; return (result, errno)."""
        a = sc.args
        n = sc.name
        e = 0
        ctypes.set_errno(0)
        if n == "socket":
            dom = socket.AF_INET if a[0] is ELLIPSIS else self.value(a[0], line)
            if dom == socket.AF_INET:
                dom = self.family
            r = libc.socket(dom, self.value(a[1], line), self.value(a[2], line))
        elif n == "bind":
            sa, ip, port = self.sockaddr(a[1], line, ("0.0.0.0", LOCAL_PORT))
            r = libc.bind(self.fd(a[0], line), ctypes.byref(sa), ctypes.sizeof(sa))
            if r == 0:
                self.flow.lport, self.flow.bound = port, True
        elif n == "listen":
            r = libc.listen(self.fd(a[0], line), self.value(a[1], line))
        elif n == "accept":
            sa = SockaddrIn()
            ln = ctypes.c_uint(ctypes.sizeof(sa))
            r = libc.accept(self.fd(a[0], line), ctypes.byref(sa), ctypes.byref(ln))
        elif n == "connect":
            sa, ip, port = self.sockaddr(a[1], line, (REMOTE_IP, REMOTE_PORT))
            if not self.flow.bound and self.flow.rport != port:
                self.flow.lport = None  # an ephemeral port: learned from the SYN
            self.flow.rport = port
            r = libc.connect(self.fd(a[0], line), ctypes.byref(sa), ctypes.sizeof(sa))
        elif n in ("write", "send", "sendto"):
            count = self.value(a[2], line)
            buf = ctypes.create_string_buffer(max(count, 1))
            flags = self.value(a[3], line) if n != "write" else 0
            if n == "sendto":
                sa, ip, port = self.sockaddr(a[4], line, (REMOTE_IP, REMOTE_PORT))
                self.flow.rport = port
                r = libc.sendto(self.fd(a[0], line), buf, count, flags, ctypes.byref(sa), ctypes.sizeof(sa))
            else:
                r = libc.send(self.fd(a[0], line), buf, count, flags)
        elif n in ("read", "recv", "recvfrom"):
            count = self.value(a[2], line)
            buf = ctypes.create_string_buffer(max(count, 1))
            flags = self.value(a[3], line) if n != "read" else 0
            if n == "recvfrom" and isinstance(a[4], dict):
                # The sender's address is checked: {sin_addr=..., sin_port=...}.
                sa = SockaddrIn()
                ln = ctypes.c_uint(ctypes.sizeof(sa))
                r = libc.recvfrom(self.fd(a[0], line), buf, count, flags, ctypes.byref(sa), ctypes.byref(ln))
                e = ctypes.get_errno()
                if r >= 0:
                    got_ip = socket.inet_ntoa(struct.pack("=I", sa.addr))
                    _, ip, port = self.sockaddr(a[4], line, None)
                    if (got_ip, socket.ntohs(sa.port)) != (ip, port):
                        raise Failure(line, f"recvfrom: expected from {ip}:{port}, got {got_ip}:{socket.ntohs(sa.port)}")
                return r, e if r < 0 else 0
            r = libc.recv(self.fd(a[0], line), buf, count, flags)
        elif n == "setsockopt":
            lvl, opt = self.value(a[1], line), self.value(a[2], line)
            v = a[3]
            if isinstance(v, dict):  # struct linger
                data = struct.pack("ii", self.value(v.get("l_onoff", v.get("onoff", 0)), line),
                                   self.value(v.get("l_linger", v.get("linger", 0)), line))
            else:
                data = struct.pack("i", self.value(v, line))
            ln = len(data) if a[4] is ELLIPSIS else self.value(a[4], line)
            buf = ctypes.create_string_buffer(data, max(len(data), ln))
            r = libc.setsockopt(self.fd(a[0], line), lvl, opt, buf, ln)
        elif n == "getsockopt":
            lvl, opt = self.value(a[1], line), self.value(a[2], line)
            buf = ctypes.create_string_buffer(64)
            ln = ctypes.c_uint(64 if a[4] is ELLIPSIS else self.value(a[4], line))
            r = libc.getsockopt(self.fd(a[0], line), lvl, opt, buf, ctypes.byref(ln))
            e = ctypes.get_errno()
            if r == 0:
                self.check_getsockopt(a[3], buf.raw[:ln.value], line)
            return r, e
        elif n == "close":
            fd = self.fd(a[0], line)
            r = libc.close(fd)
            if r == 0:
                self.fds.pop(self.value(a[0], line), None)
        elif n == "shutdown":
            r = libc.shutdown(self.fd(a[0], line), self.value(a[1], line))
        elif n == "poll":
            want = a[0] if isinstance(a[0], list) else []
            arr = (PollFd * max(len(want), 1))()
            for i, p in enumerate(want):
                if not isinstance(p, dict):
                    raise Failure(line, "poll takes [{fd=N, events=..., revents=...}]")
                arr[i].fd = self.fd(p.get("fd", -1), line)
                arr[i].events = self.value(p.get("events", 0), line)
            r = libc.poll(arr, len(want), self.value(a[2], line))
            e = ctypes.get_errno()
            for i, p in enumerate(want):
                if "revents" in p and r >= 0:
                    exp = self.value(p["revents"], line)
                    if arr[i].revents != exp:
                        raise Failure(line, f"poll revents: expected {exp:#x}, got {arr[i].revents:#x}")
            return r, e
        elif n == "fcntl":
            arg = self.value(a[2], line) if len(a) == 3 else 0
            r = libc.fcntl(self.fd(a[0], line), self.value(a[1], line), arg)
        elif n == "ioctl":
            val = ctypes.c_int(0)
            r = libc.ioctl(self.fd(a[0], line), self.value(a[1], line), ctypes.byref(val))
            e = ctypes.get_errno()
            if r == 0 and a[2] is not ELLIPSIS and self.value(a[2], line) != val.value:
                raise Failure(line, f"ioctl value: expected {self.value(a[2], line)}, got {val.value}")
            return r, e
        elif n in ("getsockname", "getpeername"):
            sa = SockaddrIn()
            ln = ctypes.c_uint(ctypes.sizeof(sa))
            r = getattr(libc, n)(self.fd(a[0], line), ctypes.byref(sa), ctypes.byref(ln))
            e = ctypes.get_errno()
            if r == 0 and isinstance(a[1], dict):
                got_ip = socket.inet_ntoa(struct.pack("=I", sa.addr))
                _, ip, port = self.sockaddr(a[1], line, None)
                if (got_ip, socket.ntohs(sa.port)) != (ip, port):
                    raise Failure(line, f"{n}: expected {ip}:{port}, got {got_ip}:{socket.ntohs(sa.port)}")
            return r, e
        else:
            raise Failure(line, f"{n} not implemented")
        return r, ctypes.get_errno() if r < 0 else e

    def check_getsockopt(self, want, got, line):
        if want is ELLIPSIS:
            return
        if isinstance(want, dict):  # struct linger
            on, lg = struct.unpack("ii", got[:8].ljust(8, b"\0"))
            exp_on = self.value(want.get("l_onoff", want.get("onoff", 0)), line)
            exp_lg = self.value(want.get("l_linger", want.get("linger", 0)), line)
            if (bool(on), lg) != (bool(exp_on), exp_lg):
                raise Failure(line, f"getsockopt linger: expected {{{exp_on}, {exp_lg}}}, got {{{on}, {lg}}}")
            return
        exp = self.value(want, line)
        v = struct.unpack("i", got[:4].ljust(4, b"\0"))[0]
        if v != exp:
            names = {n: k for k, n in ERRNOS.items()}
            extra = f" ({names[v]})" if isinstance(want, list) and want and isinstance(want[0], Sym) \
                and want[0].name in ERRNOS and v in names else ""
            raise Failure(line, f"getsockopt value: expected {exp}, got {v}{extra}")

    def check_result(self, ev, r, e):
        sc = ev.body
        if sc.name in ("socket", "accept") and r >= 0 and isinstance(sc.result, int) and sc.result >= 0:
            self.fds[sc.result] = r
        if sc.result is ELLIPSIS:
            return
        names = {n: k for k, n in ERRNOS.items()}
        if r != sc.result and not (sc.name in ("socket", "accept") and r >= 0 and sc.result >= 0):
            if sc.name == "fcntl" and sc.result >= 0 and r >= 0 and r & ~0o100000 == sc.result:
                return  # O_LARGEFILE, which glibc adds
            got = f"-1 {names.get(e, e)}" if r < 0 else str(r)
            raise Failure(ev.line, f"{sc.name}: expected {sc.result}"
                          f"{' ' + sc.errno if sc.errno else ''}, got {got}")
        if r < 0 and sc.errno and names.get(e) != sc.errno:
            raise Failure(ev.line, f"{sc.name}: expected errno {sc.errno}, got {names.get(e, e)}")

    def start_call(self, ev, due):
        box = {}

        def body():
            try:
                box["r"] = self.do_call(ev.body, ev.line)
            except Failure as f:
                box["f"] = f
            box["t"] = self.now()

        th = threading.Thread(target=body, daemon=True)
        th.start()
        return th, box

    def reap(self, line):
        """Check blocking calls that have returned."""
        for item in list(self.pending):
            ev, th, box, due = item
            if th.is_alive():
                if self.now() > due[1] + self.tol:
                    raise Failure(ev.line, f"{ev.body.name} still blocked at {self.now():.3f} s,"
                                  f" expected to return by {due[1]:.3f} s")
                continue
            self.pending.remove(item)
            self.finish_call(ev, box, due)

    def finish_call(self, ev, box, due):
        if "f" in box:
            raise box["f"]
        t = box["t"]
        self.trace.append(f"{t:8.3f} line {ev.line}: {ev.body.name} = {box['r'][0]}"
                          f"{' errno ' + str(box['r'][1]) if box['r'][0] < 0 else ''}")
        if t < due[0] - self.tol:
            raise Failure(ev.line, f"{ev.body.name} returned at {t:.3f} s, expected at {due[0]:.3f} s")
        self.check_result(ev, *box["r"])

    # -- packets ---------------------------------------------------------
    def build(self, pkt, line):
        f = self.flow
        src = pkt.src or REMOTE_IP
        dst = pkt.dst or LOCAL_IP
        if pkt.proto == "tcp":
            flags = pkt.flags or 0
            seq = (REMOTE_ISN + pkt.seq) & 0xFFFFFFFF
            ack = 0
            if pkt.ack is not None:
                flags |= 0x10
                ack = pkt.ack if f.local_isn is None else (f.local_isn + pkt.ack) & 0xFFFFFFFF
            opts = []
            for name, vals in (pkt.options if isinstance(pkt.options, list) else []):
                if name == "TS":
                    ecr = vals[1]
                    if ecr:
                        ecr = f.ts.get(ecr, f.last_ts if f.last_ts is not None else ecr)
                    vals = [vals[0], ecr]
                opts.append((name, vals))
            ob = tcp_options_bytes(opts)
            lport = f.lport if f.lport is not None else LOCAL_PORT
            sport = pkt.sport if pkt.sport is not None else f.rport
            dport = pkt.dport if pkt.dport is not None else lport
            hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (5 + len(ob) // 4) << 4,
                              flags, 65535 if pkt.win is None else pkt.win, 0, pkt.urg or 0)
            body = hdr + ob + b"\0" * pkt.len
            c = cksum(pseudo(src, dst, 6, len(body)) + body)
            proto = 6
            body = body[:16] + struct.pack("!H", self.mangle(c, pkt)) + body[18:]
        elif pkt.proto == "udp":
            lport = f.lport if f.lport is not None else LOCAL_PORT
            sport = pkt.sport if pkt.sport is not None else f.rport
            dport = pkt.dport if pkt.dport is not None else lport
            body = struct.pack("!HHHH", sport, dport, 8 + pkt.udp_len, 0) + b"\0" * pkt.udp_len
            if pkt.ulen is not None:  # a length field that is not the datagram's
                body = body[:4] + struct.pack("!H", pkt.ulen) + body[6:]
                c = cksum(pseudo(src, dst, 17, pkt.ulen) + body[:pkt.ulen]) or 0xFFFF
            else:
                c = cksum(pseudo(src, dst, 17, len(body)) + body) or 0xFFFF
            proto = 17
            body = body[:6] + struct.pack("!H", self.mangle(c, pkt)) + body[8:]
        else:
            proto = 1
            if pkt.embedded is not None:
                rest = struct.pack("!HH", 0, pkt.mtu or 0)
                data = self.embedded(pkt.embedded, line)
            else:
                rest = struct.pack("!HH", pkt.icmp_id or 0, pkt.icmp_seq or 0)
                data = b"\0" * (pkt.icmp_len or 0)
            if pkt.ptr is not None:
                rest = struct.pack("!BBH", pkt.ptr, 0, 0)
            body = struct.pack("!BBH", pkt.icmp_type, pkt.icmp_code or 0, 0) + rest + data
            body = body[:2] + struct.pack("!H", self.mangle(cksum(body), pkt)) + body[4:]
        raw = ip_header(src, dst, proto, len(body), ttl=64 if pkt.ttl is None else pkt.ttl,
                        tos=pkt.tos or 0, df=bool(pkt.df)) + body
        if any(v is not None for v in (pkt.ipid, pkt.frag, pkt.ipopt, pkt.ipver, pkt.iphl,
                                       pkt.iplen, pkt.ipproto, pkt.ipcsum)):
            raw = ip_rewrite(raw, pkt)
        return raw

    @staticmethod
    def mangle(c, pkt):
        if pkt.csum == "bad":
            return c ^ 0x5A5A
        if pkt.csum == "zero":
            return 0
        return c

    def embedded(self, e, line):
        """The stack's own packet quoted in an ICMP error: its IP header and
        the first 8 bytes of its transport header."""
        f = self.flow
        lport = f.lport if f.lport is not None else LOCAL_PORT
        sport = e.sport if e.sport is not None else lport
        dport = e.dport if e.dport is not None else f.rport
        if e.proto == "udp":
            l4 = struct.pack("!HHHH", sport, dport, 8 + e.udp_len, 0)
            return ip_header(e.src or LOCAL_IP, e.dst or REMOTE_IP, 17, 8 + e.udp_len) + l4
        if e.proto == "tcp":
            if e.seq is None:
                raise Failure(line, "an embedded TCP segment needs seq:end(len)")
            seq = e.seq if f.local_isn is None else (f.local_isn + e.seq) & 0xFFFFFFFF
            l4 = struct.pack("!HHI", sport, dport, seq)
            return ip_header(e.src or LOCAL_IP, e.dst or REMOTE_IP, 6, 20 + e.len, df=True) + l4
        raise Failure(line, "ICMP errors quote TCP or UDP packets here")

    def match(self, pkt, w, line):
        """Check an outbound packet against its line; learn ISN, port, TS."""
        f = self.flow
        what = describe(w, f)

        def bad(field, exp, got):
            raise Failure(line, f"{field}: expected {exp}, got {got}\n#   got: {what}")

        if not w.ip_ok:
            bad("IP checksum", "valid", "bad")
        if pkt.ttl is not None and w.ttl != pkt.ttl:
            bad("ttl", pkt.ttl, w.ttl)
        if pkt.tos is not None and w.tos != pkt.tos:
            bad("tos", pkt.tos, w.tos)
        if pkt.df is not None and not w.df:
            bad("DF", "set", "clear")
        if w.src != (pkt.src or LOCAL_IP):
            bad("source address", pkt.src or LOCAL_IP, w.src)
        if w.dst != (pkt.dst or REMOTE_IP):
            bad("destination address", pkt.dst or REMOTE_IP, w.dst)
        want = {"tcp": 6, "udp": 17, "icmp": 1}[pkt.proto]
        if pkt.ipopt is not None and w.ipopts != pkt.ipopt:
            bad("IP options", format_ipopts(pkt.ipopt), format_ipopts(w.ipopts))
        if pkt.frag is not None:
            # One fragment of the datagram the line describes: its place and
            # size, and MF unless it ends the datagram.
            if w.proto != ("frag", want):
                bad("fragment", f"a fragment of a {pkt.proto} datagram", what)
            start, end = pkt.frag
            whole = {"udp": 8 + (pkt.udp_len or 0)}.get(pkt.proto, end)
            got = ((w.frag & 0x1FFF) * 8, (w.frag & 0x1FFF) * 8 + len(w.body))
            if got != (start, end):
                bad("fragment", f"{start}:{end}", f"{got[0]}:{got[1]}")
            if bool(w.frag & 0x2000) != (end < whole):
                bad("MF", "set" if end < whole else "clear", "set" if w.frag & 0x2000 else "clear")
            if pkt.ipid is not None and w.ident != pkt.ipid:
                bad("IP id", pkt.ipid, w.ident)
            return
        if w.proto != want:
            bad("protocol", pkt.proto, what)
        if not w.l4_ok:
            bad(f"{pkt.proto} checksum", "valid", "bad")
        # Outbound UDP: csum zero, the sender computed none; csum nonzero,
        # it computed one (a zero field is otherwise taken as valid).
        if pkt.proto == "udp" and pkt.csum in ("zero", "nonzero") and (w.csum == 0) != (pkt.csum == "zero"):
            bad("UDP checksum field", "0" if pkt.csum == "zero" else "computed", w.csum)
        if pkt.proto in ("tcp", "udp"):
            if f.lport is None:
                f.lport = w.sport
            if w.sport != (pkt.sport or f.lport):
                bad("source port", pkt.sport or f.lport, w.sport)
            if w.dport != (pkt.dport or f.rport):
                bad("destination port", pkt.dport or f.rport, w.dport)
        if pkt.proto == "udp":
            if len(w.payload) != pkt.udp_len:
                bad("UDP length", pkt.udp_len, len(w.payload))
            return
        if pkt.proto == "icmp":
            if w.icmp_type != pkt.icmp_type:
                bad("ICMP type", pkt.icmp_type, w.icmp_type)
            if pkt.icmp_code is not None and w.icmp_code != pkt.icmp_code:
                bad("ICMP code", pkt.icmp_code, w.icmp_code)
            ident, sq = struct.unpack("!HH", w.icmp_rest)
            if pkt.icmp_id is not None and ident != pkt.icmp_id:
                bad("ICMP id", pkt.icmp_id, ident)
            if pkt.icmp_seq is not None and sq != pkt.icmp_seq:
                bad("ICMP seq", pkt.icmp_seq, sq)
            if pkt.icmp_len is not None and len(w.payload) != pkt.icmp_len:
                bad("ICMP data length", pkt.icmp_len, len(w.payload))
            if pkt.mtu is not None and sq != pkt.mtu:
                bad("ICMP next-hop MTU", pkt.mtu, sq)
            if pkt.ptr is not None and w.icmp_rest[0] != pkt.ptr:
                bad("ICMP pointer", pkt.ptr, w.icmp_rest[0])
            if pkt.embedded is not None:
                self.match_quoted(pkt.embedded, w, line, bad)
            return
        if pkt.flags is not None and w.flags != pkt.flags:
            bad("flags", flag_string(pkt.flags), flag_string(w.flags))
        if w.flags & 0x02:
            f.local_isn = (w.seq - (pkt.seq or 0)) & 0xFFFFFFFF
        if pkt.seq is not None:
            seq = (w.seq - f.local_isn) & 0xFFFFFFFF if f.local_isn is not None else w.seq
            if seq != pkt.seq & 0xFFFFFFFF:
                bad("seq", pkt.seq, seq)
            if len(w.payload) != pkt.len:
                bad("length", pkt.len, len(w.payload))
        if pkt.ack is not None:
            if not w.flags & 0x10:
                bad("ACK flag", "set", "clear")
            got = (w.ack - REMOTE_ISN) & 0xFFFFFFFF
            if got != pkt.ack & 0xFFFFFFFF:
                bad("ack", pkt.ack, got)
        if pkt.win is not None and w.win != pkt.win:
            bad("win", pkt.win, w.win)
        if pkt.urg is not None and w.urg != pkt.urg:
            bad("urg", pkt.urg, w.urg)
        for name, vals in w.options:
            if name == "TS":
                f.last_ts = vals[0]
        if isinstance(pkt.options, list):
            exp_names = [o[0] for o in pkt.options]
            got_names = [o[0] for o in w.options]
            # Padding at the end (EOL/NOP after the last option) is not an option.
            while got_names and got_names[-1] in ("eol",) and exp_names[-1:] != ["eol"]:
                got_names.pop()
            if exp_names != got_names:
                bad("options", format_options(pkt.options), format_options(w.options))
            for (name, ev), (_, gv) in zip(pkt.options, w.options):
                if name == "TS":
                    f.ts[ev[0]] = gv[0]
                    if gv[1] != ev[1]:
                        bad("TS ecr", ev[1], gv[1])
                elif ev != gv:
                    bad(name, " ".join(map(str, ev)), " ".join(map(str, gv)))

    def match_quoted(self, e, w, line, bad):
        q = w.payload
        if len(q) < 28:
            bad("quoted packet", "IP header and 8 bytes", f"{len(q)} bytes")
        hl = (q[0] & 0xF) * 4
        proto = q[9]
        want = {"tcp": 6, "udp": 17}[e.proto]
        if proto != want:
            bad("quoted protocol", want, proto)
        sport, dport = struct.unpack("!HH", q[hl:hl + 4])
        if e.sport is not None and sport != e.sport:
            bad("quoted source port", e.sport, sport)
        if e.dport is not None and dport != e.dport:
            bad("quoted destination port", e.dport, dport)
        qlen = struct.unpack("!H", q[2:4])[0]
        if e.proto == "udp" and e.udp_len is not None and qlen != hl + 8 + e.udp_len:
            bad("quoted IP length", hl + 8 + e.udp_len, qlen)

    # -- the script ------------------------------------------------------
    def due(self, ev):
        """The script time window [lo, hi] of an event."""
        t = ev.time
        if t.kind == "any":
            return None
        base = self.last if t.kind == "rel" else 0.0
        return base + t.lo, base + t.hi

    def execute(self):
        events = [e for e in self.script.events if e.stack in (None, self.stack)]
        self.t0 = time.monotonic()
        for ev in events:
            when = self.due(ev)
            if ev.kind == "out":
                self.expect(ev, when)
                continue
            start = when[0] if when else self.now()
            self.wait_until(start, ev.line)
            issued = self.now()
            if ev.kind == "in":
                self.note(f"< line {ev.line}: {ev.text}")
                os.write(self.tun, self.build(ev.body, ev.line))
            elif ev.kind == "cmd":
                r = subprocess.run(ev.body, shell=True, capture_output=True, text=True)
                if r.returncode:
                    raise Failure(ev.line, f"command failed ({r.returncode}): {(r.stderr or r.stdout).strip()}")
            else:
                self.call(ev, start)
            # The next relative time counts from when this really happened,
            # so a slow machine's lateness does not pile up.
            self.last = max(start, issued)
        # Blocking calls still running must return by their time.
        while self.pending:
            self.wait_until(self.now() + 0.01, self.script.events[-1].line)
        # A packet already queued that no line expected.
        while True:
            r, _, _ = select.select([self.tun], [], [], 0.02)
            if not r:
                break
            w = self.read_packet()
            if w is not None:
                raise Failure(events[-1].line, f"unexpected packet {describe(w, self.flow)} after the last line")

    def call(self, ev, start):
        t = ev.time
        if t.end is not None:
            end = (start + t.end) if t.end_rel else t.end
            th, box = self.start_call(ev, start)
            self.pending.append((ev, th, box, (end, end)))
            self.note(f"line {ev.line}: {ev.body.name} starts")
            return
        th, box = self.start_call(ev, start)
        # A call that is not marked blocking must return at once.
        th.join(max(self.tol, 2.0))
        if th.is_alive():
            raise Failure(ev.line, f"{ev.body.name} blocked (a blocking call is written start...end)")
        self.finish_call(ev, box, (start, start))

    def expect(self, ev, when):
        deadline = (when[1] if when else self.now() + 60) + self.tol
        while True:
            self.reap(ev.line)
            left = deadline - self.now()
            if left <= 0:
                late = ""
                r, _, _ = select.select([self.tun], [], [], 1.0)
                w = self.read_packet() if r else None
                if w is not None:
                    late = f"; {describe(w, self.flow)} came at {self.now():.3f} s"
                raise Failure(ev.line, f"timed out waiting for {ev.text!r} (by {deadline:.3f} s){late}")
            r, _, _ = select.select([self.tun], [], [], min(left, 0.05))
            if not r:
                continue
            w = self.read_packet()
            if w is None:
                continue
            t = self.now()
            if when and t < when[0] - self.tol:
                raise Failure(ev.line, f"packet {describe(w, self.flow)} came at {t:.3f} s,"
                              f" expected at {when[0]:.3f}~{when[1]:.3f} s")
            self.match(ev.body, w, ev.line)
            self.last = t
            return


# --------------------------------------------------------------------------
# Driving scripts: each in a child process of its own namespace.

def run_one(path, stack, tolerance):
    """In a forked child: returns None on success or the failure text."""
    script = load(path)
    fd = setup(stack)
    runner = Runner(script, stack, fd, tolerance)
    try:
        runner.execute()
    except Failure as f:
        return str(f) + debug_dump(stack, runner)
    return None


def debug_dump(stack, runner):
    """With DRILL_DEBUG=1: what happened (and came in the second after),
    and bsdinet's counters that are not 0 and its connections."""
    if not os.environ.get("DRILL_DEBUG"):
        return ""
    end = time.monotonic() + 1
    while time.monotonic() < end:
        if select.select([runner.tun], [], [], 0.1)[0]:
            runner.read_packet()
    out = ["trace: " + t for t in runner.trace]
    if stack != "bsd":
        return "\n" + "\n".join(out)
    for name in ("tcp", "pcb"):
        try:
            with open(f"/proc/net/bsdinet/{name}") as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        out += [f"{name}: {ln.strip()}" for ln in lines
                if name != "tcp" or re.search(r"[1-9]", ln)]
    return "\n" + "\n".join(out)


def skipped(script, stack):
    stacks = script.options.get("stacks")
    return stacks is not None and stack not in stacks.split(",")


def main(argv):
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stack", choices=STACKS, default="bsd")
    ap.add_argument("--tolerance_usecs", type=int, default=int(os.environ.get("DRILL_TOLERANCE_USECS", 500000)))
    ap.add_argument("-j", "--jobs", type=int, default=1)
    ap.add_argument("--retries", type=int, choices=(0, 1), default=1,
                    help="run a failed script once more (default 1)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds a script may take")
    ap.add_argument("--parse-only", action="store_true", help="read the scripts, run nothing")
    ap.add_argument("scripts", nargs="+")
    args = ap.parse_args(argv)

    print("TAP version 13")
    print(f"1..{len(args.scripts)}")
    passed = failed = 0
    results = {}
    queue = list(enumerate(args.scripts, 1))
    first_try = {}  # script number -> its first run's failure
    retried = 0
    running = {}  # pid -> (n, path, read end, started)
    next_out = 1

    def report(n, path, ok, text, secs):
        nonlocal passed, failed
        if ok:
            passed += 1
            print(f"ok {n} - {path} ({args.stack}{', ' + text if text else ''}, {secs:.1f} s)")
        else:
            failed += 1
            print(f"not ok {n} - {path} ({args.stack}, {secs:.1f} s)")
            for ln in text.splitlines():
                print(f"#   {ln}")
        sys.stdout.flush()

    while queue or running:
        while queue and len(running) < max(1, args.jobs):
            n, path = queue.pop(0)
            try:
                script = load(path)
            except ScriptError as e:
                results[n] = (path, False, str(e), 0.0)
                continue
            if skipped(script, args.stack):
                results[n] = (path, True, f"# SKIP not for {args.stack}", 0.0)
                continue
            if args.parse_only:
                results[n] = (path, True, "parsed", 0.0)
                continue
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                try:
                    res = run_one(path, args.stack, args.tolerance_usecs)
                except Exception as e:  # the runner's own trouble: report it, not a traceback
                    res = f"runner error: {type(e).__name__}: {e}"
                os.write(w, json.dumps(res).encode())
                os._exit(0)
            os.close(w)
            running[pid] = (n, path, r, time.monotonic())
        # Collect finished children.
        fds = {v[2]: pid for pid, v in running.items()}
        ready, _, _ = select.select(list(fds), [], [], 0.2) if fds else ([], [], [])
        for rfd in ready:
            pid = fds[rfd]
            n, path, _, started = running.pop(pid)
            data = b""
            while True:
                chunk = os.read(rfd, 65536)
                if not chunk:
                    break
                data += chunk
            os.close(rfd)
            os.waitpid(pid, 0)
            try:
                res = json.loads(data) if data else "the runner died"
            except ValueError:
                res = "the runner's answer was garbled"
            secs = time.monotonic() - started
            if res is not None and n not in first_try and args.retries:
                # A debug kernel under emulation on a busy machine is
                # sometimes late: run a failed script once more, and say
                # so, with the first failure, if the second run passes.
                first_try[n] = res
                queue.append((n, path))
                continue
            if res is None and n in first_try:
                retried += 1
                results[n] = (path, True, "passed on a second run; the first: "
                              + first_try[n].splitlines()[0], secs)
                continue
            results[n] = (path, res is None, res or "", secs)
        for pid, (n, path, rfd, started) in list(running.items()):
            if time.monotonic() - started > args.timeout:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                os.close(rfd)
                running.pop(pid)
                results[n] = (path, False, f"timed out after {args.timeout:.0f} s", args.timeout)
        while next_out in results:
            path, ok, text, secs = results.pop(next_out)
            if ok and text.startswith("# SKIP"):
                passed += 1
                print(f"ok {next_out} - {path} {text}")
            else:
                report(next_out, path, ok, text, secs)
            next_out += 1
    again = f" ({retried} on a second run)" if retried else ""
    print(f"{passed} passed{again}, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
