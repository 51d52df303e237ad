//! Van Jacobson TCP/IP header compression (`net/slcompress.c`, RFC 1144)
//! over byte slices instead of mbufs.
//!
//! The sender keeps the last header of up to `MAX_STATES` connections
//! (`tstate`, in LRU order on a circular list) and sends only what
//! changed; the receiver keeps the same headers (`rstate`) and rebuilds
//! them. An uncompressed packet carries the connection number in the IP
//! protocol byte and (re)loads a slot. A lost or damaged packet would
//! desynchronise the deltas, so any error sets `SLF_TOSS` and compressed
//! packets are dropped until one names its connection again.
//!
//! Beyond the book, for safety on arbitrary input: every length is
//! checked; the sender only compresses a packet whose `ip_len` is its
//! length, and sends uncompressed when TCP flags other than PUSH/URG or
//! the reserved bits change (the book would silently lose them); the
//! receiver decodes into a copy of the state, so a truncated packet
//! leaves the state as it was, and refuses a slot never loaded.

use crate::bsd::netinet::in_cksum::in_cksum;
use crate::platform::Vec;

/// Connection slots (must be > 2 and < 256).
pub const MAX_STATES: usize = 16;
/// Largest TCP/IP header kept: 60 bytes of IP plus 60 of TCP, rounded.
pub const MAX_HDR: usize = 128;

/// Packet types, the marks in the high bits of a frame's first byte.
pub const TYPE_IP: u8 = 0x40;
pub const TYPE_UNCOMPRESSED_TCP: u8 = 0x70;
pub const TYPE_COMPRESSED_TCP: u8 = 0x80;
pub const TYPE_ERROR: u8 = 0x00;

/// Bits in the change mask, the first byte of a compressed header.
pub const NEW_C: u8 = 0x40;
pub const NEW_I: u8 = 0x20;
pub const NEW_S: u8 = 0x08;
pub const NEW_A: u8 = 0x04;
pub const NEW_W: u8 = 0x02;
pub const NEW_U: u8 = 0x01;
/// Combinations that cannot happen as changes and so mean something else:
/// echoed interactive traffic (seq and ack advance by the last data
/// length) and unidirectional data (seq advances by it).
pub const SPECIAL_I: u8 = NEW_S | NEW_W | NEW_U;
pub const SPECIAL_D: u8 = NEW_S | NEW_A | NEW_W | NEW_U;
pub const SPECIALS_MASK: u8 = NEW_S | NEW_A | NEW_W | NEW_U;
/// The TCP PUSH flag, carried as is.
pub const TCP_PUSH_BIT: u8 = 0x10;

/// `flags`: toss compressed packets until a connection id is seen.
pub const SLF_TOSS: u32 = 1;

const IPPROTO_TCP: u8 = 6;
const TH_FIN: u8 = 0x01;
const TH_SYN: u8 = 0x02;
const TH_RST: u8 = 0x04;
const TH_PUSH: u8 = 0x08;
const TH_ACK: u8 = 0x10;
const TH_URG: u8 = 0x20;

// Offsets in the IP and TCP headers.
const IP_LEN: usize = 2;
const IP_ID: usize = 4;
const IP_OFF: usize = 6;
const IP_P: usize = 9;
const IP_SUM: usize = 10;
const IP_SRC: usize = 12;
const TH_SEQ: usize = 4;
const TH_ACKN: usize = 8;
const TH_OFF: usize = 12;
const TH_FLAGS: usize = 13;
const TH_WIN: usize = 14;
const TH_SUM: usize = 16;
const TH_URP: usize = 18;

fn get16(b: &[u8], o: usize) -> u16 {
    u16::from_be_bytes([b[o], b[o + 1]])
}
fn get32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
fn put16(b: &mut [u8], o: usize, v: u16) {
    b[o..o + 2].copy_from_slice(&v.to_be_bytes());
}
fn put32(b: &mut [u8], o: usize, v: u32) {
    b[o..o + 4].copy_from_slice(&v.to_be_bytes());
}

fn add16(b: &mut [u8], o: usize, d: u16) {
    let v = get16(b, o).wrapping_add(d);
    put16(b, o, v);
}
fn add32(b: &mut [u8], o: usize, d: u32) {
    let v = get32(b, o).wrapping_add(d);
    put32(b, o, v);
}

/// One connection's state (`struct cstate`).
#[derive(Clone, Copy)]
pub struct Cstate {
    /// Next slot on the sender's LRU list.
    pub cs_next: u8,
    /// Header length, 0 while the slot has never been loaded.
    pub cs_hlen: u16,
    /// Connection number of this slot.
    pub cs_id: u8,
    /// The last IP and TCP header (`cs_ip` and what follows it).
    pub cs_hdr: [u8; MAX_HDR],
}

impl Cstate {
    const EMPTY: Cstate = Cstate { cs_next: 0, cs_hlen: 0, cs_id: 0, cs_hdr: [0; MAX_HDR] };

    fn ip_hlen(&self) -> usize {
        usize::from(self.cs_hdr[0] & 0x0f) << 2
    }
}

/// One direction pair's compression state (`struct slcompress`).
#[derive(Clone)]
pub struct Slcompress {
    /// Most recently used transmit slot's predecessor: the list's end.
    pub last_cs: u8,
    pub last_recv: u8,
    pub last_xmit: u8,
    pub flags: u32,
    /// Outbound TCP packets, compressed ones, slot searches, and
    /// searches that failed (a slot was reused).
    pub sls_packets: u32,
    pub sls_compressed: u32,
    pub sls_searches: u32,
    pub sls_misses: u32,
    /// Inbound uncompressed and compressed packets, errors, and
    /// compressed packets tossed while `SLF_TOSS` was set.
    pub sls_uncompressedin: u32,
    pub sls_compressedin: u32,
    pub sls_errorin: u32,
    pub sls_tossed: u32,
    pub tstate: [Cstate; MAX_STATES],
    pub rstate: [Cstate; MAX_STATES],
}

impl Default for Slcompress {
    fn default() -> Self {
        sl_compress_init(MAX_STATES - 1)
    }
}

/// A fresh state using transmit slots `0..=max_state` (clamped to
/// `MAX_STATES - 1`), linked in a circle; tossing until the first id.
pub fn sl_compress_init(max_state: usize) -> Slcompress {
    let max = max_state.min(MAX_STATES - 1);
    let mut comp = Slcompress {
        last_cs: 0,
        last_recv: 255,
        last_xmit: 255,
        flags: SLF_TOSS,
        sls_packets: 0,
        sls_compressed: 0,
        sls_searches: 0,
        sls_misses: 0,
        sls_uncompressedin: 0,
        sls_compressedin: 0,
        sls_errorin: 0,
        sls_tossed: 0,
        tstate: [Cstate::EMPTY; MAX_STATES],
        rstate: [Cstate::EMPTY; MAX_STATES],
    };
    for i in (1..=max).rev() {
        comp.tstate[i].cs_id = i as u8;
        comp.tstate[i].cs_next = (i - 1) as u8;
    }
    comp.tstate[0].cs_next = max as u8;
    comp.tstate[0].cs_id = 0;
    comp
}

/// Appends a delta: one byte if 1..255, else 0 and two bytes. `ENCODEZ`
/// (`zero_ok` false) also takes 0 as three bytes, since its field's
/// presence is implied by a zero-valued default.
fn encode(new_seq: &mut [u8; 16], cp: &mut usize, n: u32, zero_ok: bool) {
    let n = n as u16;
    if n >= 256 || (!zero_ok && n == 0) {
        new_seq[*cp] = 0;
        new_seq[*cp + 1..*cp + 3].copy_from_slice(&n.to_be_bytes());
        *cp += 3;
    } else {
        new_seq[*cp] = n as u8;
        *cp += 1;
    }
}

/// Reads a delta as `encode` wrote it; None if the packet ends first.
fn decode(buf: &[u8], cp: &mut usize) -> Option<u32> {
    match *buf.get(*cp)? {
        0 => {
            let v = u16::from_be_bytes([*buf.get(*cp + 1)?, *buf.get(*cp + 2)?]);
            *cp += 3;
            Some(u32::from(v))
        }
        b => {
            *cp += 1;
            Some(u32::from(b))
        }
    }
}

/// The IP and TCP header lengths of a plausible TCP/IP datagram (version
/// 4, no shorter than its headers), or None.
fn tcpip_hlen(pkt: &[u8]) -> Option<(usize, usize)> {
    if pkt.len() < 40 || pkt[0] >> 4 != 4 {
        return None;
    }
    let iphl = usize::from(pkt[0] & 0x0f) << 2;
    if iphl < 20 || pkt.len() < iphl + 20 {
        return None;
    }
    let thl = usize::from(pkt[iphl + TH_OFF] >> 4) << 2;
    if thl < 20 || pkt.len() < iphl + thl {
        return None;
    }
    Some((iphl, iphl + thl))
}

impl Slcompress {
    /// Does transmit slot `cs` hold the connection of `pkt` (TCP at `th`)?
    fn same_conn(&self, cs: usize, pkt: &[u8], th: usize) -> bool {
        let c = &self.tstate[cs];
        let oth = c.ip_hlen();
        c.cs_hlen != 0
            && pkt[IP_SRC..IP_SRC + 8] == c.cs_hdr[IP_SRC..IP_SRC + 8]
            && pkt[th..th + 4] == c.cs_hdr[oth..oth + 4]
    }

    /// Compresses `pkt`, an IP datagram (`sl_compress_tcp`). Returns the
    /// type and the bytes to send: for TYPE_COMPRESSED_TCP the tail of
    /// `pkt` (compressed header then data), for TYPE_UNCOMPRESSED_TCP all
    /// of `pkt` with the connection number in the protocol byte, for
    /// TYPE_IP `pkt` unchanged. The caller ORs the type into the first
    /// byte (`sl_mark`). With `compress_cid` the connection number is
    /// left out when it is the same as the last packet's.
    pub fn sl_compress_tcp<'a>(
        &mut self,
        pkt: &'a mut [u8],
        compress_cid: bool,
    ) -> (u8, &'a mut [u8]) {
        // Bail on anything but an unfragmented TCP segment with just
        // ACK of the control bits; and one whose length is its datagram's,
        // which the receiver will rebuild from the frame.
        let Some((iphl, hlen)) = tcpip_hlen(pkt) else {
            return (TYPE_IP, pkt);
        };
        if pkt[IP_P] != IPPROTO_TCP
            || get16(pkt, IP_OFF) & 0x3fff != 0
            || usize::from(get16(pkt, IP_LEN)) != pkt.len()
            || pkt[iphl + TH_FLAGS] & (TH_SYN | TH_FIN | TH_RST | TH_ACK) != TH_ACK
        {
            return (TYPE_IP, pkt);
        }
        let th = iphl;
        self.sls_packets = self.sls_packets.wrapping_add(1);

        // Find the connection, trying the most recent first: the list is
        // circular in LRU order, `last_cs` its oldest entry, whose
        // `cs_next` is the newest.
        let mut cs = usize::from(self.tstate[usize::from(self.last_cs)].cs_next);
        let mut miss = false;
        if !self.same_conn(cs, pkt, th) {
            let lastcs = usize::from(self.last_cs);
            let mut lcs;
            let mut found = false;
            loop {
                lcs = cs;
                cs = usize::from(self.tstate[cs].cs_next);
                self.sls_searches = self.sls_searches.wrapping_add(1);
                if self.same_conn(cs, pkt, th) {
                    found = true;
                    break;
                }
                if cs == lastcs {
                    break;
                }
            }
            if found {
                // Move to the front of the list.
                if cs == lastcs {
                    self.last_cs = lcs as u8;
                } else {
                    self.tstate[lcs].cs_next = self.tstate[cs].cs_next;
                    self.tstate[cs].cs_next = self.tstate[lastcs].cs_next;
                    self.tstate[lastcs].cs_next = cs as u8;
                }
            } else {
                // Reuse the oldest (`lastcs`, now `cs`): making its
                // predecessor the list's end makes it the newest.
                self.sls_misses = self.sls_misses.wrapping_add(1);
                self.last_cs = lcs as u8;
                miss = true;
            }
        }
        if miss {
            return self.uncompressed(cs, pkt, hlen);
        }

        // Only the fields we encode may have changed: version, header
        // length and TOS; DF; TTL and protocol; TCP header length (and
        // the reserved bits, and flags other than PUSH and URG); IP and
        // TCP options. Otherwise send the header whole.
        let o = self.tstate[cs].cs_hdr;
        let oth = th;
        if pkt[0..2] != o[0..2]
            || pkt[6..10] != o[6..10]
            || pkt[th + TH_OFF] != o[oth + TH_OFF]
            || (pkt[th + TH_FLAGS] ^ o[oth + TH_FLAGS]) & !(TH_PUSH | TH_URG) != 0
            || pkt[20..iphl] != o[20..iphl]
            || pkt[th + 20..hlen] != o[oth + 20..hlen]
        {
            return self.uncompressed(cs, pkt, hlen);
        }

        // What changed, in the receiver's order: urgent, window, ack, seq.
        let mut new_seq = [0u8; 16];
        let mut cp = 0;
        let mut changes = 0u8;
        if pkt[th + TH_FLAGS] & TH_URG != 0 {
            encode(&mut new_seq, &mut cp, u32::from(get16(pkt, th + TH_URP)), false);
            changes |= NEW_U;
        } else if get16(pkt, th + TH_URP) != get16(&o, oth + TH_URP) {
            // URG clear but the pointer moved: legal, so send it whole.
            return self.uncompressed(cs, pkt, hlen);
        }
        let dw = get16(pkt, th + TH_WIN).wrapping_sub(get16(&o, oth + TH_WIN));
        if dw != 0 {
            encode(&mut new_seq, &mut cp, u32::from(dw), true);
            changes |= NEW_W;
        }
        let delta_a = get32(pkt, th + TH_ACKN).wrapping_sub(get32(&o, oth + TH_ACKN));
        if delta_a != 0 {
            if delta_a > 0xffff {
                return self.uncompressed(cs, pkt, hlen);
            }
            encode(&mut new_seq, &mut cp, delta_a, true);
            changes |= NEW_A;
        }
        // A retransmission moves seq backwards: a huge unsigned delta.
        let delta_s = get32(pkt, th + TH_SEQ).wrapping_sub(get32(&o, oth + TH_SEQ));
        if delta_s != 0 {
            if delta_s > 0xffff {
                return self.uncompressed(cs, pkt, hlen);
            }
            encode(&mut new_seq, &mut cp, delta_s, true);
            changes |= NEW_S;
        }

        // The special encodings leave URG as the receiver has it, so
        // they cannot clear a URG the last packet had (the book loses it).
        let special_ok = o[oth + TH_FLAGS] & TH_URG == 0;
        let olen = u32::from(get16(&o, IP_LEN));
        let last_data = olen.wrapping_sub(hlen as u32);
        // Data after a pure ack (interactive traffic) goes compressed;
        // anything else unchanged is likely a retransmission or window
        // probe, which must get through even if the receiver missed the
        // first copy. Changes that look like the special encodings must
        // go whole too.
        let data_after_ack = get16(pkt, IP_LEN) != get16(&o, IP_LEN) && olen == hlen as u32;
        match changes {
            0 if data_after_ack => {}
            0 | SPECIAL_I | SPECIAL_D => return self.uncompressed(cs, pkt, hlen),
            // Echoed interactive traffic.
            c if c == NEW_S | NEW_A && special_ok && delta_s == delta_a && delta_s == last_data => {
                changes = SPECIAL_I;
                cp = 0;
            }
            // Unidirectional data.
            NEW_S if special_ok && delta_s == last_data => {
                changes = SPECIAL_D;
                cp = 0;
            }
            _ => {}
        }
        let di = get16(pkt, IP_ID).wrapping_sub(get16(&o, IP_ID));
        if di != 1 {
            encode(&mut new_seq, &mut cp, u32::from(di), false);
            changes |= NEW_I;
        }
        if pkt[th + TH_FLAGS] & TH_PUSH != 0 {
            changes |= TCP_PUSH_BIT;
        }
        let sum = get16(pkt, th + TH_SUM);
        self.save(cs, pkt, hlen);

        // Overwrite the tail of the header in place: change mask,
        // connection number unless implied, checksum, deltas.
        let id = self.tstate[cs].cs_id;
        let off = if !compress_cid || self.last_xmit != id {
            self.last_xmit = id;
            let off = hlen - (cp + 4);
            pkt[off] = changes | NEW_C;
            pkt[off + 1] = id;
            off
        } else {
            let off = hlen - (cp + 3);
            pkt[off] = changes;
            off
        };
        let s = hlen - cp - 2;
        put16(pkt, s, sum);
        pkt[hlen - cp..hlen].copy_from_slice(&new_seq[..cp]);
        self.sls_compressed = self.sls_compressed.wrapping_add(1);
        (TYPE_COMPRESSED_TCP, &mut pkt[off..])
    }

    fn save(&mut self, cs: usize, pkt: &[u8], hlen: usize) {
        let c = &mut self.tstate[cs];
        c.cs_hdr[..hlen].copy_from_slice(&pkt[..hlen]);
        c.cs_hlen = hlen as u16;
    }

    /// Loads slot `cs` and sends `pkt` whole, naming the slot in `ip_p`.
    fn uncompressed<'a>(
        &mut self,
        cs: usize,
        pkt: &'a mut [u8],
        hlen: usize,
    ) -> (u8, &'a mut [u8]) {
        self.save(cs, pkt, hlen);
        let id = self.tstate[cs].cs_id;
        pkt[IP_P] = id;
        self.last_xmit = id;
        (TYPE_UNCOMPRESSED_TCP, pkt)
    }

    /// Errors (`bad:` in the book): toss until a connection id comes.
    fn bad(&mut self) -> Option<Vec<u8>> {
        self.flags |= SLF_TOSS;
        self.sls_errorin = self.sls_errorin.wrapping_add(1);
        None
    }

    /// Rebuilds the datagram from a received packet of type `ty`
    /// (`sl_uncompress_tcp`); None if it was tossed or bad (or memory
    /// ran out). An uncompressed packet's first byte may still carry its
    /// type mark. Checksums: the IP header's is recomputed, TCP's is the
    /// one the sender carried.
    pub fn sl_uncompress_tcp(&mut self, buf: &[u8], ty: u8) -> Option<Vec<u8>> {
        match ty {
            TYPE_UNCOMPRESSED_TCP => return self.uncompressed_in(buf),
            TYPE_COMPRESSED_TCP => {}
            _ => return self.bad(),
        }
        self.sls_compressedin = self.sls_compressedin.wrapping_add(1);
        let Some(&changes) = buf.first() else {
            return self.bad();
        };
        let mut cp = 1;
        if changes & NEW_C != 0 {
            // An explicit, valid slot clears the toss.
            match buf.get(1) {
                Some(&id) if usize::from(id) < MAX_STATES => {
                    self.flags &= !SLF_TOSS;
                    self.last_recv = id;
                    cp = 2;
                }
                _ => return self.bad(),
            }
        } else if self.flags & SLF_TOSS != 0 {
            self.sls_tossed = self.sls_tossed.wrapping_add(1);
            return None;
        }
        let slot = usize::from(self.last_recv);
        if slot >= MAX_STATES || self.rstate[slot].cs_hlen == 0 {
            return self.bad();
        }
        // Work on a copy so that a truncated packet changes nothing.
        let mut cs = self.rstate[slot];
        let hlen = usize::from(cs.cs_hlen);
        let iphl = cs.ip_hlen();
        let th = iphl;
        let h = &mut cs.cs_hdr;
        let (Some(&s0), Some(&s1)) = (buf.get(cp), buf.get(cp + 1)) else {
            return self.bad();
        };
        h[th + TH_SUM] = s0;
        h[th + TH_SUM + 1] = s1;
        cp += 2;
        if changes & TCP_PUSH_BIT != 0 {
            h[th + TH_FLAGS] |= TH_PUSH;
        } else {
            h[th + TH_FLAGS] &= !TH_PUSH;
        }
        let last_data = u32::from(get16(h, IP_LEN)).wrapping_sub(hlen as u32);
        match changes & SPECIALS_MASK {
            SPECIAL_I => {
                add32(h, th + TH_ACKN, last_data);
                add32(h, th + TH_SEQ, last_data);
            }
            SPECIAL_D => {
                add32(h, th + TH_SEQ, last_data);
            }
            _ => {
                let ok = (|| {
                    if changes & NEW_U != 0 {
                        h[th + TH_FLAGS] |= TH_URG;
                        put16(h, th + TH_URP, decode(buf, &mut cp)? as u16);
                    } else {
                        h[th + TH_FLAGS] &= !TH_URG;
                    }
                    if changes & NEW_W != 0 {
                        let d = decode(buf, &mut cp)? as u16;
                        add16(h, th + TH_WIN, d);
                    }
                    if changes & NEW_A != 0 {
                        let d = decode(buf, &mut cp)?;
                        add32(h, th + TH_ACKN, d);
                    }
                    if changes & NEW_S != 0 {
                        let d = decode(buf, &mut cp)?;
                        add32(h, th + TH_SEQ, d);
                    }
                    Some(())
                })();
                if ok.is_none() {
                    return self.bad();
                }
            }
        }
        if changes & NEW_I != 0 {
            let Some(d) = decode(buf, &mut cp) else {
                return self.bad();
            };
            add16(h, IP_ID, d as u16);
        } else {
            add16(h, IP_ID, 1);
        }
        // The rest is data; the datagram's length follows from it.
        let data = &buf[cp.min(buf.len())..];
        let Ok(len) = u16::try_from(hlen + data.len()) else {
            return self.bad();
        };
        put16(h, IP_LEN, len);
        self.rstate[slot] = cs;

        let mut out = Vec::new();
        if out.reserve(usize::from(len)).is_err() {
            return None;
        }
        for &b in cs.cs_hdr[..hlen].iter().chain(data) {
            out.push(b).ok()?;
        }
        // The state keeps ip_sum zero, so this sums the header as is.
        let sum = in_cksum([&out[..iphl]]);
        put16(&mut out, IP_SUM, sum);
        Some(out)
    }

    /// An uncompressed packet: load the slot it names, clear the toss,
    /// and give the datagram back with its protocol restored.
    fn uncompressed_in(&mut self, buf: &[u8]) -> Option<Vec<u8>> {
        let mut hdr = [0u8; MAX_HDR];
        let n = buf.len().min(MAX_HDR);
        hdr[..n].copy_from_slice(&buf[..n]);
        // Take off the type mark (slinput's `&= 0x4f`).
        hdr[0] = (hdr[0] & 0x0f) | 0x40;
        let Some((_, hlen)) = tcpip_hlen(&hdr[..n]) else {
            return self.bad();
        };
        let id = hdr[IP_P];
        if usize::from(id) >= MAX_STATES {
            return self.bad();
        }
        hdr[IP_P] = IPPROTO_TCP;
        let mut out = Vec::new();
        if out.reserve(buf.len()).is_err() {
            return None;
        }
        for &b in hdr[..hlen].iter().chain(&buf[hlen..]) {
            out.push(b).ok()?;
        }
        let cs = &mut self.rstate[usize::from(id)];
        cs.cs_hdr = [0; MAX_HDR];
        cs.cs_hdr[..hlen].copy_from_slice(&hdr[..hlen]);
        put16(&mut cs.cs_hdr, IP_SUM, 0);
        cs.cs_hlen = hlen as u16;
        self.last_recv = id;
        self.flags &= !SLF_TOSS;
        self.sls_uncompressedin = self.sls_uncompressedin.wrapping_add(1);
        Some(out)
    }
}

/// Marks a frame's first byte with its type, as `sloutput`/`slstart` do.
pub fn sl_mark(ty: u8, pkt: &mut [u8]) {
    if let Some(b) = pkt.first_mut() {
        *b |= ty;
    }
}

/// A received frame's type from its first byte, as `slinput` reads it:
/// 0x4x is IP, 0x7x uncompressed TCP, any byte with the top bit
/// compressed TCP; anything else TYPE_ERROR.
pub fn sl_frame_type(first: u8) -> u8 {
    match first & 0xf0 {
        0x40 => TYPE_IP,
        c if c & 0x80 != 0 => TYPE_COMPRESSED_TCP,
        TYPE_UNCOMPRESSED_TCP => TYPE_UNCOMPRESSED_TCP,
        _ => TYPE_ERROR,
    }
}
