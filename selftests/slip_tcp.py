#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A TCP connection driven by hand over bsdinet's raw IP (bsdinet has no
TCP yet), for slip_test.sh: SYN, NSEG data segments and FIN from SRC to
Linux at DST:PORT, run under the LD_PRELOAD library. Across a SLIP line
whose ends compress TCP/IP headers (RFC 1144) the segments and Linux's
acknowledgements travel compressed, and the TCP checksums prove each
rebuilt header right. Prints "acked N" (the bytes Linux acknowledged) and
"sent N".

    slip_tcp.py SRC DST PORT NSEG
"""
import select, socket, struct, sys, time

from ipsum import cksum

FIN, SYN, PSH, ACK = 0x01, 0x02, 0x08, 0x10
src, dst, port, nseg = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
SPORT, ISN = 40000, 1000
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)


def send(seq, ack, flags, data=b""):
    h = struct.pack("!HHIIBBHHH", SPORT, port, seq, ack, 5 << 4, flags, 8192, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, 20 + len(data))
    h = h[:16] + struct.pack("!H", cksum(pseudo + h + data)) + h[18:]
    s.sendto(h + data, (dst, 0))


def recv(timeout, want):
    """The first segment from Linux's end for which want(flags, ack) holds:
    (seq, ack, flags, data length), or None."""
    end = time.time() + timeout
    while (left := end - time.time()) > 0:
        if not select.select([s], [], [], left)[0]:
            break
        pkt = s.recv(65535)
        hl = (pkt[0] & 0x0F) * 4
        sp, dp, seq, ack, off, fl = struct.unpack("!HHIIBB", pkt[hl:hl + 14])
        if sp == port and dp == SPORT and want(fl, ack):
            return seq, ack, fl, len(pkt) - hl - (off >> 4) * 4
    return None


send(ISN, 0, SYN)
r = recv(5, lambda fl, ack: fl & (SYN | ACK) == SYN | ACK)
if not r:
    sys.exit("no SYN-ACK from Linux")
rcv = r[0] + 1
seq = ISN + 1
send(seq, rcv, ACK)
for n in range(nseg):
    data = f"segment {n:03d} over SLIP ".encode() * 3 + b"\n"
    send(seq, rcv, ACK | PSH, data)
    seq += len(data)
    time.sleep(0.05)
r = recv(5, lambda fl, ack: ack == seq)
print("sent", seq - ISN - 1)
print("acked", (r[1] if r else ISN + 1) - ISN - 1, flush=True)
send(seq, rcv, FIN | ACK)
r = recv(5, lambda fl, ack: fl & FIN)
if r:
    send(seq + 1, r[0] + r[3] + 1, ACK)
