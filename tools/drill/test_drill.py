# SPDX-License-Identifier: GPL-2.0
"""Host tests of drill's script reader: the suite's scripts parse, bad
scripts fail with their line number, and mutated scripts never crash it.
Run: python3 -m unittest discover -s tools/drill"""

import glob
import os
import random
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
