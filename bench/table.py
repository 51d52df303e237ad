#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The bench's table: reads "workload stack value..." lines (bench/run.sh),
prints medians, min/max and the ratio bsdinet / Linux as an RST simple table
(Documentation/performance.rst takes it as it is)."""
import statistics
import sys

ROWS = [  # key, description, unit, better
    ("udp_rr_1", "UDP request/response, 1 byte, loopback", "trans/s", "higher"),
    ("udp_rr_1400", "UDP request/response, 1400 bytes, loopback", "trans/s", "higher"),
    ("udp_bulk", "UDP bulk 1400 B received, loopback, defaults", "Mbit/s", "higher"),
    ("udp_bulk_eq", "UDP bulk 1400 B received, SO_RCVBUF 212992 both", "Mbit/s", "higher"),
    ("tcp_bulk_lo", "TCP bulk (iperf3), loopback, defaults", "Mbit/s", "higher"),
    ("tcp_bulk_lo_eq", "TCP bulk, loopback, MTU 1536 and -w 240K both", "Mbit/s", "higher"),
    ("tcp_bulk_lo_tuned", "TCP bulk, loopback, bsdinet tuned", "Mbit/s", "higher"),
    ("tcp_bulk_veth", "TCP bulk, veth to Linux (vs Linux to Linux)", "Mbit/s", "higher"),
    ("tcp_bulk_veth_tuned", "TCP bulk, veth to Linux, bsdinet tuned", "Mbit/s", "higher"),
    ("tcp_rr", "TCP request/response, 1 byte, loopback", "trans/s", "higher"),
    ("tcp_crr", "TCP connect/request/response/close", "conn/s", "higher"),
    ("tcp_mem", "kernel memory per idle connection (both ends)", "bytes", "lower"),
    ("tcp_slab", "of it in slab", "bytes", "lower"),
    ("idle_cpu", "CPU of the idle stack holding the connections", "%", "lower"),
    ("tcp_max", "most connections bsdinet holds (1 GiB VM)", "conns", "higher"),
    ("tcp_max_cpu", "CPU of the idle stack holding them", "%", "lower"),
]


def main():
    vals = {}
    for line in open(sys.argv[1]):
        f = line.split()
        if len(f) < 3:
            continue
        w, s, v = f[0], f[1], f[2:]
        if w == "tcp_hold":
            pairs = zip(("tcp_mem", "tcp_slab", "idle_cpu"), v)
        else:
            pairs = [(w, v[0])]
        for k, x in pairs:
            try:
                x = float(x)
            except ValueError:
                continue
            if x == x:  # not nan
                vals.setdefault((k, s), []).append(x)

    def fmt(x):
        if x is None:
            return "-"
        return f"{x:.2f}" if abs(x) < 10 else f"{x:.0f}"

    def cell(k, s):
        v = vals.get((k, s))
        if not v:
            return None, "-"
        m = statistics.median(v)
        return m, f"{fmt(m)} ({fmt(min(v))}-{fmt(max(v))}) n={len(v)}"

    rows = []
    for k, desc, unit, better in ROWS:
        mb, cb = cell(k, "bsd")
        ml, cl = cell(k, "linux")
        if mb is None and ml is None:
            continue
        ratio = f"{mb / ml:.2f}" if mb is not None and ml else "-"
        rows.append((f"{desc} [{unit}, {better} is better]", cb, cl, ratio))
    head = ("workload", "bsdinet median (min-max)", "Linux median (min-max)", "bsd/Linux")
    w = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
    sep = "  ".join("=" * n for n in w)
    print(sep)
    print("  ".join(h.ljust(n) for h, n in zip(head, w)).rstrip())
    print(sep)
    for r in rows:
        print("  ".join(c.ljust(n) for c, n in zip(r, w)).rstrip())
    print(sep)


main()
