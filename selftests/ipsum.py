# SPDX-License-Identifier: GPL-2.0
"""The Internet checksum (RFC 1071), for the Python selftests that build
packets by hand."""
import struct


def cksum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack(f"!{len(b) // 2}H", b))
    t = (t >> 16) + (t & 0xFFFF)
    t += t >> 16
    return ~t & 0xFFFF
