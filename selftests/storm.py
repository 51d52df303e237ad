# SPDX-License-Identifier: GPL-2.0
# A storm of malformed frames for router_test.sh: run by Debian's python3
# with scapy, inside the namespace whose interface faces bsdinet.
#   storm.py IFACE BSDINET_ADDR BSDINET_MAC
import sys

from scapy.all import ARP, ICMP, IP, UDP, Ether, Raw, conf, get_if_hwaddr, sendp

iface, target, mac = sys.argv[1], sys.argv[2], sys.argv[3]
conf.verb = 0
src = "10.1.0.2"
eth = Ether(dst=mac, type=0x0800)


def ip(**kw):
    """An IP header for bsdinet, built (checksum and lengths) by scapy."""
    return IP(src=src, dst=target, **kw)


def raw_ip(p, **patch):
    """The bytes of packet p with header bytes overwritten, checksum kept
    or broken as asked."""
    b = bytearray(bytes(p))
    for off, val in patch.items():
        b[int(off[1:])] = val
    return bytes(b)


frames = []
# Truncated and bad ARP: a header cut short, wrong lengths, unknown op.
frames.append(Ether(dst="ff:ff:ff:ff:ff:ff", type=0x0806) / Raw(b"\x00\x01\x08\x00\x06"))
# (Addresses given: scapy cannot find its own without a route lookup. The
# sender's real link address: an unknown op still teaches ARP, as the book.)
arp = dict(psrc=src, pdst=target, hwsrc=get_if_hwaddr(iface))
frames.append(Ether(dst="ff:ff:ff:ff:ff:ff") / Raw(bytes(ARP(**arp))[:6] + b"\x00\x08" + bytes(ARP(**arp))[8:]))
frames.append(Ether(dst="ff:ff:ff:ff:ff:ff") / Raw(b"\x00\x01\x86\xdd" + bytes(ARP(**arp))[4:]))
frames.append(Ether(dst="ff:ff:ff:ff:ff:ff") / Raw(b"\x00\x01\x08\x00\x08\x04" + bytes(ARP(**arp))[6:]))
# IP: version 6 in an IPv4 frame, header length below 5, header length
# beyond the packet, total length beyond the frame, total length below
# the header, a bad header checksum.
good = ip() / ICMP() / Raw(b"x" * 32)
frames.append(eth / Raw(raw_ip(good, b0=0x65)))
frames.append(eth / Raw(raw_ip(good, b0=0x43)))
frames.append(eth / Raw(bytes(ip(ihl=15))[:20]))
frames.append(eth / Raw(bytes(ip(len=1000) / ICMP())))
frames.append(eth / Raw(bytes(ip(len=12) / ICMP())))
frames.append(eth / Raw(bytes(ip(chksum=0x1234) / ICMP())))
# Truncated IP: fewer than 20 bytes.
frames.append(eth / Raw(bytes(good)[:12]))
# Bad option lengths: a record route whose length runs past the header,
# an option of length 0, a source route with a bad pointer.
frames.append(eth / ip(options=b"\x07\x27\x04\x00") / ICMP())
frames.append(eth / ip(options=b"\x44\x00\x05\x00") / ICMP())
frames.append(eth / ip(options=b"\x83\x07\x01\x0a\x02\x00\x02\x00") / ICMP())
# Fragments: overlapping, beyond 64 KB, and a lone middle fragment.
frames.append(eth / ip(id=77, flags="MF", frag=0) / Raw(b"a" * 48))
frames.append(eth / ip(id=77, flags="MF", frag=2) / Raw(b"b" * 48))
frames.append(eth / ip(id=77, frag=4) / Raw(b"c" * 16))
frames.append(eth / ip(id=78, frag=8189) / Raw(b"d" * 64))
frames.append(eth / ip(id=79, flags="MF", frag=100, proto=17) / Raw(b"e" * 8))
# UDP with a bad checksum and a length that lies.
frames.append(eth / ip() / UDP(dport=9, chksum=0x1111) / Raw(b"bad"))
frames.append(eth / ip() / UDP(dport=9, len=200) / Raw(b"liar"))

for _ in range(3):
    sendp(frames, iface=iface)
print(f"sent {3 * len(frames)} malformed frames")
