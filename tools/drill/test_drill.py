# SPDX-License-Identifier: GPL-2.0
"""Host tests of drill's script reader: the suite's scripts parse, bad
scripts fail with their line number, and mutated scripts never crash it.
Run: python3 -m unittest discover -s tools/drill"""

import glob
import os
import random
import re
import struct
import unittest

import drill

HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = sorted(glob.glob(os.path.join(HERE, "../../selftests/conformance/**/*.pkt"), recursive=True))


class Good(unittest.TestCase):
    def test_suite_parses(self):
        self.assertGreater(len(SUITE), 0)
        for path in SUITE:
            with self.subTest(path=path):
                script = drill.load(path)
                self.assertTrue(script.events)

    def test_times(self):
        s = drill.parse_script("0 close(3) = 0\n+0.1 close(3) = 0\n*  > . 1:1(0) ack 1\n"
                               "0.2~0.4 > . 1:1(0)\n+0~+0.25 > .\n0.1...0.3 accept(3, ..., ...) = 4\n"
                               "+0...+0.2 read(4, ..., 10) = 10\n")
        t = [e.time for e in s.events]
        self.assertEqual((t[0].kind, t[0].lo), ("abs", 0.0))
        self.assertEqual((t[1].kind, t[1].lo), ("rel", 0.1))
        self.assertEqual(t[2].kind, "any")
        self.assertEqual((t[3].lo, t[3].hi), (0.2, 0.4))
        self.assertEqual((t[4].kind, t[4].lo, t[4].hi), ("rel", 0.0, 0.25))
        self.assertEqual((t[5].lo, t[5].end, t[5].end_rel), (0.1, 0.3, False))
        self.assertEqual((t[6].kind, t[6].end, t[6].end_rel), ("rel", 0.2, True))

    def test_packets(self):
        s = drill.parse_script(
            "0 < S. 0:0(0) ack 1 win 5792 <mss 1460,sackOK,TS val 100 ecr 7,nop,wscale 7>\n"
            "+0 > P. 1:101(100) ack 1 urg 3 <...>\n"
            "+0 < udp (10) dst 255.255.255.255 csum zero\n"
            "+0 < icmp unreachable port_unreachable [udp (10)]\n"
            "+0 < icmp unreachable frag_needed mtu 576 [1:1461(1460)]\n"
            "+0 > icmp echo_reply id 7 seq 1 (56) ttl 64\n"
            "+0 < R 1:1(0) win 0\n"
            "+0 < . 1:1(0) ack 1 <sack 5:10 20:30,nop,nop>\n"
            "+0 > . 1:1(0) ack 1 <>\n")
        p = [e.body for e in s.events]
        self.assertEqual(p[0].flags, 0x12)
        self.assertEqual(p[0].options, [("mss", [1460]), ("sackOK", []), ("TS", [100, 7]),
                                        ("nop", []), ("wscale", [7])])
        self.assertEqual((p[1].seq, p[1].end, p[1].len, p[1].urg, p[1].options), (1, 101, 100, 3, "any"))
        self.assertEqual((p[2].proto, p[2].udp_len, p[2].dst, p[2].csum), ("udp", 10, "255.255.255.255", "zero"))
        self.assertEqual((p[3].icmp_type, p[3].icmp_code, p[3].embedded.proto), (3, 3, "udp"))
        self.assertEqual((p[4].mtu, p[4].embedded.seq, p[4].embedded.len), (576, 1, 1460))
        self.assertEqual((p[5].icmp_type, p[5].icmp_id, p[5].icmp_len, p[5].ttl), (0, 7, 56, 64))
        self.assertEqual(p[6].flags, 0x04)
        self.assertEqual(p[7].options[0], ("sack", [5, 10, 20, 30]))
        self.assertEqual(p[8].options, [])
        opts = drill.tcp_options_bytes(p[0].options)
        self.assertEqual(len(opts) % 4, 0)
        self.assertEqual(drill.parse_tcp_options(opts)[:5], p[0].options)

    def test_syscalls(self):
        s = drill.parse_script(
            "0 setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0\n"
            "+0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1\n"
            "+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
            "+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0\n"
            "+0 fcntl(3, F_GETFL) = 0x802 (flags O_RDWR|O_NONBLOCK)\n"
            "+0 bind(3, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr(\"192.0.2.1\")}, 16) = 0\n"
            "bsd: +0 `sysctl -qw net.bsdinet.tcp.rfc1323=0`\n")
        c = [e.body for e in s.events]
        self.assertEqual(c[0].args[3], {"l_onoff": 1, "l_linger": 0})
        self.assertEqual(c[1].result, 1)
        self.assertEqual((c[2].result, c[2].errno), (-1, "EINPROGRESS"))
        self.assertEqual(c[4].result, 0x802)
        self.assertEqual(c[5].args[1]["sin_port"].name, "htons")
        self.assertEqual((s.events[6].stack, s.events[6].kind), ("bsd", "cmd"))

    def test_ip_fields(self):
        s = drill.parse_script(
            "0 < icmp echo_request id 1 seq 1 (8) ipopt [rr 9]\n"
            "+0 > icmp echo_reply id 1 seq 1 (8) ipopt [rr 9 192.168.0.1, nop]\n"
            "+0 < udp (2000) ipid 7 frag 0:1480\n"
            "+0 > udp (2000) frag 1480:2008\n"
            "+0 < udp (10) ipver 6 iphl 4 iplen 200 ipproto 99 ipcsum bad ulen 30\n"
            "+0 < udp (10) ipopt [7, 7, 3, 0, 0, 0, 0, 0]\n"
            "+0 > icmp parameter_problem ptr 22 [udp (10)]\n"
            "+0 recvfrom(3, ..., 10, 0, {sin_addr=inet_addr(\"192.168.0.2\"), sin_port=htons(40000)}, ...) = 10\n")
        p = [e.body for e in s.events]
        self.assertEqual(p[0].ipopt, [("rr", 9, [])])
        self.assertEqual(p[1].ipopt, [("rr", 9, ["192.168.0.1"]), ("nop",)])
        self.assertEqual((p[2].ipid, p[2].frag), (7, (0, 1480)))
        self.assertEqual(p[3].frag, (1480, 2008))
        self.assertEqual((p[4].ipver, p[4].iphl, p[4].iplen, p[4].ipproto, p[4].ipcsum, p[4].ulen),
                         (6, 4, 200, 99, "bad", 30))
        self.assertEqual(p[5].ipopt, [("raw", [7, 7, 3, 0, 0, 0, 0, 0])])
        self.assertEqual(p[6].ptr, 22)
        self.assertEqual(p[7].args[4]["sin_port"].name, "htons")
        self.assertEqual(drill.parse_packet("icmp 15 id 1 seq 2 (0)", None).icmp_type, 15)
        self.assertEqual(drill.parse_packet("udp (10) csum nonzero", None).csum, "nonzero")
        # The options on the wire read back as they were written.
        opts = drill.ipopt_bytes(p[1].ipopt)
        self.assertEqual(len(opts) % 4, 0)
        self.assertEqual(drill.parse_ipopts_wire(opts), p[1].ipopt)

    def test_ip_rewrite(self):
        pkt = drill.parse_packet("udp (2000) ipid 7 frag 8:1488 ipopt [rr 2]", None)
        whole = drill.ip_header("192.168.0.2", "192.168.0.1", 17, 2008) + bytes(range(256)) * 8
        raw = drill.ip_rewrite(whole[:20 + 2008], pkt)
        w = drill.Wire(raw)
        self.assertTrue(w.ip_ok)
        self.assertEqual((w.ident, w.frag & 0x1FFF, bool(w.frag & 0x2000)), (7, 1, True))
        self.assertEqual(len(w.body), 1480)
        self.assertEqual(w.body, whole[20 + 8:20 + 1488])
        self.assertEqual(w.ipopts, [("rr", 2, [])])
        self.assertEqual(w.proto, ("frag", 17))
        last = drill.ip_rewrite(whole[:20 + 2008], drill.parse_packet("udp (2000) frag 1488:2008", None))
        self.assertFalse(drill.Wire(last).frag & 0x2000)
        bad = drill.ip_rewrite(whole[:48], drill.parse_packet("udp (20) ipcsum bad iphl 4", None))
        self.assertFalse(drill.Wire(bad).ip_ok)

    def test_options_and_comments(self):
        s = drill.parse_script("--tolerance_usecs=100000\n--stacks=bsd\n/* a\n comment */\n"
                               "0 close(3) = 0 // trailing\n")
        self.assertEqual(s.options, {"tolerance_usecs": 100000, "stacks": "bsd"})
        self.assertEqual(s.events[0].line, 5)

    def test_checksum(self):
        h = drill.ip_header("192.0.2.1", "192.168.0.1", 6, 20)
        self.assertEqual(drill.cksum(h), 0)
        w = drill.Wire(h + struct.pack("!HHIIBBHHH", 1, 2, 3, 4, 0x50, 2, 100, 0, 0))
        self.assertTrue(w.ip_ok)
        self.assertFalse(w.l4_ok)


class Rfc1122(unittest.TestCase):
    def test_rows_cite_tests_that_exist(self):
        """Documentation/rfc1122.rst names a test beside every row it does
        not call untested: each must exist, and the count must be right."""
        top = os.path.join(HERE, "../..")
        with open(os.path.join(top, "Documentation/rfc1122.rst"), encoding="utf-8") as f:
            text = f.read()
        rows = covered = 0
        for cell in re.findall(r"^   \* - .*?\n     - .*?\n     - .*?\n     - .*?\n     - .*?\n     - (.*)$",
                               text, re.M):
            if cell == "Test":
                continue
            rows += 1
            if cell == "untested":
                continue
            covered += 1
            for t in re.findall(r"``([^`]+)``", cell):
                with self.subTest(test=t):
                    if "::" in t:
                        path, fn = t.split("::")
                        with open(os.path.join(top, path), encoding="utf-8") as f:
                            self.assertRegex(f.read(), rf"\bfn {re.escape(fn)}\s*\(")
                    elif t.startswith("selftests/"):
                        self.assertTrue(os.path.exists(os.path.join(top, t)))
                    else:
                        self.assertTrue(os.path.exists(os.path.join(top, "selftests/conformance", t)))
        self.assertIn(f"{rows} rows; {covered} covered by a test, {rows - covered} untested.", text)


BAD = [
    # (script, line, words in the message)
    ("0 close(3) = 0\nfoo\n", 2, "time"),
    ("0 close(3) = 0\n+0 frobnicate(3) = 0\n", 2, "unknown system call"),
    ("0 close(3, 4) = 0\n", 1, "takes 1"),
    ("0 close(3) =\n", 1, "end of line"),
    ("0 close(3) = -1 EWHAT\n", 1, "unknown errno"),
    ("0 close(3) = -1\n", 1, "errno"),
    ("0 < S 0:0(0) <mss>\n", 1, "number"),
    ("0 < S 0:0(0) <foo 1>\n", 1, "unknown TCP option"),
    ("0 < S 0:5(0)\n", 1, "length"),
    ("0 < S\n", 1, "seq:end(len)"),
    ("0 < 1:1(0)\n", 1, "flags"),
    ("\n\n0 < icmp bogus\n", 3, "ICMP type"),
    ("0 < udp 10\n", 1, "expected '('"),
    ("0 < udp (10) colour red\n", 1, "unknown packet field"),
    ("0 < udp (10) dst 10\n", 1, "address"),
    ("* < udp (10)\n", 1, "needs a time"),
    ("0.1...0.2 < udp (10)\n", 1, "only a system call"),
    ("0.3~0.1 close(3) = 0\n", 1, "ends before"),
    ("+0.1~0.3 close(3) = 0\n", 1, "both ends"),
    ("0 `sysctl\n", 1, "command"),
    ("--frobs=1\n0 close(3) = 0\n", 1, "unknown option"),
    ("--stacks=solaris\n0 close(3) = 0\n", 1, "--stacks"),
    ("0 close(3) = 0\n--tolerance_usecs=5\n", 2, "before the first"),
    ("/* open\n\n0 close(3) = 0\n", 1, "never closed"),
    ("", 1, "no events"),
    ("0 close(3) = 0 extra\n", 1, "after the result"),
    ("0 poll([{fd=4 events=1}], 1, 0) = 1\n", 1, "expected ','"),
    ("0 close(3) = 0\n0 < S 0:0(0) $$\n", 2, "cannot read"),
    ("0 < udp (10) frag 3:10\n", 1, "multiple of 8"),
    ("0 < udp (10) ipopt [rr 10]\n", 1, "1 to 9 slots"),
    ("0 < udp (10) ipopt [rr 1 1.2.3.4 5.6.7.8]\n", 1, "more addresses"),
    ("0 < udp (10) ipopt [lsrr]\n", 1, "unknown IP option"),
    ("0 < udp (10) ipopt [300]\n", 1, "0 to 255"),
    ("0 < udp (10) ipcsum good\n", 1, "ipcsum bad"),
    ("0 < udp (10) csum good\n", 1, "csum bad, csum zero or csum nonzero"),
    ("0 < icmp 256\n", 1, "0 to 255"),
]


class Bad(unittest.TestCase):
    def test_errors_name_the_line(self):
        for text, line, words in BAD:
            with self.subTest(text=text):
                with self.assertRaises(drill.ScriptError) as cm:
                    drill.parse_script(text, "t.pkt")
                self.assertEqual(cm.exception.line, line, str(cm.exception))
                self.assertIn(words, cm.exception.msg)
                self.assertTrue(str(cm.exception).startswith(f"t.pkt:{line}: "))

    def test_mutations_never_crash(self):
        """Random damage to the suite's scripts: a ScriptError or a parse,
        never another exception (DRILL_FUZZ_ROUNDS, default 3000)."""
        rng = random.Random(int(os.environ.get("DRILL_FUZZ_SEED", "1")))
        texts = []
        for p in SUITE:
            with open(p, encoding="utf-8") as f:
                texts.append(f.read())
        pieces = ["(", ")", "[", "]", "{", "}", "<", ">", ",", ":", "~", "...", "+", "-", "=",
                  "`", "/*", "*/", "//", "0x", "-1", "99999999999", "S.", "udp", "icmp", "ack",
                  "win", "bsd:", "\n", " ", "\"", "|", "--stacks=bsd", "TS val", "mss"]
        for _ in range(int(os.environ.get("DRILL_FUZZ_ROUNDS", "3000"))):
            t = rng.choice(texts)
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(t) + 1)
                op = rng.randrange(3)
                if op == 0:
                    t = t[:i] + rng.choice(pieces) + t[i:]
                elif op == 1:
                    t = t[:i] + t[i + rng.randint(1, 8):]
                else:
                    t = t[:i]
            try:
                drill.parse_script(t, "fuzz.pkt")
            except drill.ScriptError:
                pass


if __name__ == "__main__":
    unittest.main()
