//! IP reassembly (`ip_reass`, `ip_freef`, `ip_slowtimo`, `ip_drain` in
//! `netinet/ip_input.c`; book sections 10.6-10.11).
//!
//! What follows the book: one queue (`Ipq`, the book's `struct ipq`) per
//! datagram, keyed by source, destination, identifier and protocol, holds
//! its fragments (`Ipasfrag`) sorted by offset. A new fragment is trimmed
//! at its front by what the fragment before it already holds (dropped when
//! wholly covered); the fragments after it are trimmed at their front by
//! what it brings (dropped when wholly covered). So queued fragments never
//! overlap, and where data overlaps, the preceding fragment's bytes, queued
//! earlier, win over the new ones, and the new bytes win over those of the
//! following fragments: the book's rule, kept. The datagram is complete
//! when the fragments leave no hole and the last one has MF clear. A queue
//! lives `IPFRAGTTL` ticks of `ip_slowtimo`.
//!
//! What is different, and why:
//! - Headers stay in network byte order (`ip_input` does not convert them).
//!   The fragment at offset 0 keeps its header, options included, in front
//!   of its data; the others are cut down to their data. The reassembled
//!   datagram is that header, with `ip_len` (header and data) and `ip_off`
//!   (0) rewritten and the checksum left as it was, then all the data.
//! - Bounds, from FreeBSD, so that bad or hostile input cannot grow the
//!   queues without limit: `maxfragpackets` queues, `maxfragsperpacket`
//!   fragments in one queue, `maxfrags` in all; a fragment that would go
//!   past IP_MAXPACKET drops its datagram (`ips_toolong`), and a fragment
//!   with MF set whose data is not a non-zero multiple of 8 is dropped
//!   (`ips_badfrags`).
//! - Counters: `ips_fragments` counts every fragment received.
//!   `ips_fragdropped` counts every fragment freed before it is part of
//!   a datagram (FreeBSD's rule: the book counts only the dropped new
//!   fragment, and one per queue in `ip_drain`), also when `ips_toolong` or
//!   `ips_badfrags` says why, except on timeout: there, as in the book,
//!   `ips_fragtimeout` counts one per queue.
//! - RFC 1122 3.3.2: `ip_slowtimo` hands back the offset-0 fragment of each
//!   expired datagram, for the caller to send an ICMP time exceeded
//!   (reassembly, code 1); the book frees it.
//! - Allocation failures drop the fragment; space is reserved before a
//!   queue is changed, so a failure never leaves it half updated.

use crate::bsd::kern::uipc_mbuf::{m_adj, m_cat, m_free, m_freem, m_writable, Mbuf, MbufPool};
use crate::bsd::netinet::in_::InAddr;
use crate::bsd::netinet::ip::{Ip, Ipstat, IP_HDRLEN, IP_MAXPACKET, IP_MF, IP_OFFMASK};
use crate::platform::Vec;

/// Life of a reassembly queue in `ip_slowtimo` ticks of 500 ms
/// (`IPFRAGTTL`: 30 seconds).
pub const IPFRAGTTL: u8 = 60;
/// Default `maxfragpackets`: datagrams being reassembled at once.
pub const MAXFRAGPACKETS: usize = 64;
/// Default `maxfragsperpacket`: enough for a 65535-byte datagram over a
/// 576-byte MTU (119 fragments, 127 with 40 bytes of options).
pub const MAXFRAGSPERPACKET: usize = 128;
/// Default `maxfrags`: fragments queued in all (each may hold a cluster:
/// about 2.3 MB at most).
pub const MAXFRAGS: usize = 1024;

/// One queued fragment (`struct ipasfrag`).
struct Ipasfrag {
    /// Offset of its first data byte in the datagram.
    off: usize,
    /// Bytes of data.
    len: usize,
    /// More fragments follow (`ipf_mff`).
    mff: bool,
    /// Bytes of IP header in front of the data: the fragment at offset 0
    /// keeps its header, the others have none.
    hlen: usize,
    m: Mbuf,
}

impl Ipasfrag {
    fn end(&self) -> usize {
        self.off.saturating_add(self.len)
    }
}

/// One datagram being reassembled (`struct ipq`).
struct Ipq {
    ipq_ttl: u8,
    ipq_p: u8,
    ipq_id: u16,
    ipq_src: InAddr,
    ipq_dst: InAddr,
    /// Sorted by offset, never overlapping.
    frags: Vec<Ipasfrag>,
}

/// The reassembly queues (the book's `ipq` list) and their limits.
pub struct IpReass {
    ipq: Vec<Ipq>,
    /// Most datagrams being reassembled at once (FreeBSD's
    /// `maxfragpackets`); a fragment that would start one more is dropped.
    pub maxfragpackets: usize,
    /// Most fragments queued for one datagram (`maxfragsperpacket`).
    pub maxfragsperpacket: usize,
    /// Most fragments queued in all (`maxfrags`).
    pub maxfrags: usize,
}

impl Default for IpReass {
    fn default() -> Self {
        Self::new()
    }
}

/// Drops fragment `m` (the book's `dropfrag`).
fn dropfrag(mp: &mut MbufPool, ipstat: &mut Ipstat, m: Mbuf) -> Option<Mbuf> {
    ipstat.ips_fragdropped += 1;
    m_freem(mp, m);
    None
}

/// Frees every fragment of `fp` (`ip_freef`); returns how many there were.
fn ip_freef(mp: &mut MbufPool, fp: Ipq) -> u64 {
    free_frags(mp, fp.frags)
}

/// Frees fragments; returns how many there were.
fn free_frags(mp: &mut MbufPool, mut frags: Vec<Ipasfrag>) -> u64 {
    let mut n = 0;
    while let Some(q) = frags.pop() {
        m_freem(mp, q.m);
        n += 1;
    }
    n
}

/// Trims `n` bytes from the front of a fragment's chain, and the mbufs that
/// this empties (`m_adj` leaves them), so that no empty mbufs end up inside
/// the datagram.
fn trim_front(mp: &mut MbufPool, m: &mut Mbuf, n: usize) {
    m_adj(m, isize::try_from(n).unwrap_or(isize::MAX));
    while m.m_len() == 0 {
        match m.take_next() {
            Some(next) => {
                let empty = core::mem::replace(m, next);
                m_free(mp, empty);
            }
            None => break,
        }
    }
}

impl IpReass {
    /// No datagrams being reassembled; the default limits.
    pub fn new() -> Self {
        IpReass {
            ipq: Vec::new(),
            maxfragpackets: MAXFRAGPACKETS,
            maxfragsperpacket: MAXFRAGSPERPACKET,
            maxfrags: MAXFRAGS,
        }
    }

    /// Datagrams being reassembled.
    pub fn nqueues(&self) -> usize {
        self.ipq.len()
    }

    /// Fragments queued in all.
    pub fn nfrags(&self) -> usize {
        self.ipq.iter().map(|fp| fp.frags.len()).sum()
    }

    /// Takes one fragment `m` from `ip_input` (header validated, contiguous
    /// in the first mbuf, network byte order); returns the whole datagram
    /// once its last missing piece arrives, else `None` (the fragment is
    /// queued or dropped). See the module's comment for the rules.
    pub fn ip_reass(&mut self, mp: &mut MbufPool, ipstat: &mut Ipstat, m: Mbuf) -> Option<Mbuf> {
        ipstat.ips_fragments += 1;
        let ip = match Ip::parse(m.mtod()) {
            Ok(ip) => ip,
            Err(_) => {
                ipstat.ips_badfrags += 1;
                return dropfrag(mp, ipstat, m);
            }
        };
        let mut m = m;
        let hlen = ip.ip_hl;
        let ip_len = usize::from(ip.ip_len);
        let have = m.m_length();
        if have < ip_len {
            ipstat.ips_badfrags += 1;
            return dropfrag(mp, ipstat, m);
        }
        if have > ip_len {
            // Link-level padding, should ip_input have left any.
            m_adj(&mut m, -isize::try_from(have - ip_len).unwrap_or(isize::MAX));
        }
        if let Some(h) = m.m_pkthdr_mut() {
            h.len = ip_len;
        }
        let mut len = ip_len.saturating_sub(hlen);
        let mut off = usize::from(ip.ip_off & IP_OFFMASK) << 3;
        let mff = ip.ip_off & IP_MF != 0;
        // Only the last fragment may end anywhere; an empty one with MF set
        // would only take room.
        if mff && (len == 0 || len % 8 != 0) {
            ipstat.ips_badfrags += 1;
            return dropfrag(mp, ipstat, m);
        }
        let qi = self.ipq.iter().position(|fp| {
            fp.ipq_id == ip.ip_id
                && fp.ipq_src == ip.ip_src
                && fp.ipq_dst == ip.ip_dst
                && fp.ipq_p == ip.ip_p
        });
        if off + len > IP_MAXPACKET - IP_HDRLEN {
            // Even with the smallest header the datagram is too long.
            ipstat.ips_toolong += 1;
            if let Some(fp) = qi.and_then(|i| self.ipq.remove(i)) {
                ipstat.ips_fragdropped += ip_freef(mp, fp);
            }
            return dropfrag(mp, ipstat, m);
        }

        // Where the fragment goes, worked out before anything changes.
        let frags: &[Ipasfrag] = qi.and_then(|i| self.ipq.get(i)).map_or(&[], |fp| &fp.frags);
        // Before the first fragment that begins after this one.
        let i = frags.iter().position(|q| q.off > off).unwrap_or(frags.len());
        // The preceding fragment keeps its data: trim ours.
        let over =
            i.checked_sub(1).and_then(|j| frags.get(j)).map_or(0, |p| p.end().saturating_sub(off));
        if over > 0 && over >= len {
            return dropfrag(mp, ipstat, m); // A duplicate.
        }
        off += over;
        len -= over;
        let end = off + len;
        // Following fragments that ours covers wholly go.
        let tail = frags.get(i..).unwrap_or(&[]);
        let covered = tail.iter().take_while(|q| q.off < end && q.end() <= end).count();
        let queued = frags.len() - covered + 1;
        let total = self.nfrags() - covered + 1;
        if queued > self.maxfragsperpacket
            || total > self.maxfrags
            || (qi.is_none() && self.ipq.len() >= self.maxfragpackets)
        {
            return dropfrag(mp, ipstat, m);
        }
        let qi = match qi {
            Some(qi) => qi,
            None => {
                let mut fp = Ipq {
                    ipq_ttl: IPFRAGTTL,
                    ipq_p: ip.ip_p,
                    ipq_id: ip.ip_id,
                    ipq_src: ip.ip_src,
                    ipq_dst: ip.ip_dst,
                    frags: Vec::new(),
                };
                // Room for as many fragments as this one's size makes
                // likely, at once: growing one by one would reallocate.
                let likely = (IP_MAXPACKET / len.max(8)).min(self.maxfragsperpacket);
                // fp holds no mbuf yet: losing it on failure loses nothing.
                if fp.frags.reserve(likely).is_err() || self.ipq.push(fp).is_err() {
                    return dropfrag(mp, ipstat, m);
                }
                self.ipq.len() - 1
            }
        };
        let Some(fp) = self.ipq.get_mut(qi) else {
            return dropfrag(mp, ipstat, m);
        };
        if fp.frags.reserve(1).is_err() {
            if fp.frags.is_empty() {
                self.ipq.remove(qi);
            }
            return dropfrag(mp, ipstat, m);
        }

        // Only the fragment at offset 0 keeps its header (not a second
        // one, behind an empty first: the book lets a last fragment be
        // empty).
        let hlen = if off == 0 && i == 0 { hlen } else { 0 };
        if hlen == 0 {
            trim_front(mp, &mut m, ip.ip_hl + over);
        }
        for _ in 0..covered {
            if let Some(q) = fp.frags.remove(i) {
                m_freem(mp, q.m);
                ipstat.ips_fragdropped += 1;
            }
        }
        // The next one may still overlap: trim it (it is not at offset 0).
        if let Some(q) = fp.frags.get_mut(i) {
            if q.off < end {
                let cut = end - q.off;
                trim_front(mp, &mut q.m, cut);
                q.off += cut;
                q.len = q.len.saturating_sub(cut);
            }
        }
        let f = Ipasfrag { off, len, mff, hlen, m };
        if fp.frags.push(f).is_err() {
            // Cannot fail after the reserve; were it to, the mbuf would be
            // freed uncounted in mbstat.
            ipstat.ips_fragdropped += 1;
            return None;
        }
        if let Some(t) = fp.frags.get_mut(i..) {
            t.rotate_right(1);
        }

        // Complete when no hole is left and the last fragment has MF clear.
        let mut next = 0;
        for q in fp.frags.iter() {
            if q.off != next {
                return None;
            }
            next = q.end();
        }
        if fp.frags.last().is_none_or(|q| q.mff) {
            return None;
        }
        let fp = self.ipq.remove(qi)?;
        Self::reassemble(mp, ipstat, fp, next)
    }

    /// Concatenates the fragments of complete datagram `fp`, `next` bytes
    /// of data, behind the first fragment's header.
    fn reassemble(mp: &mut MbufPool, ipstat: &mut Ipstat, fp: Ipq, next: usize) -> Option<Mbuf> {
        let hlen = fp.frags.first().map_or(0, |q| q.hlen);
        let ip_len = hlen + next;
        let ip_len16 = match u16::try_from(ip_len) {
            Ok(v) if ip_len <= IP_MAXPACKET => v,
            _ => {
                // Too long only with the options of the first header.
                ipstat.ips_toolong += 1;
                ipstat.ips_fragdropped += ip_freef(mp, fp);
                return None;
            }
        };
        let mut frags = fp.frags;
        frags.reverse();
        let first = frags.pop()?;
        let mut m = first.m;
        // The header is rewritten in place; it may be in a shared cluster.
        match m_writable(mp, &mut m) {
            Ok(b) => {
                if let Some(h) = b.get_mut(2..8) {
                    h[..2].copy_from_slice(&ip_len16.to_be_bytes());
                    h[4..].copy_from_slice(&0u16.to_be_bytes());
                }
            }
            Err(_) => {
                m_freem(mp, m);
                ipstat.ips_fragdropped += 1 + free_frags(mp, frags);
                return None;
            }
        }
        while let Some(q) = frags.pop() {
            m_cat(mp, &mut m, q.m);
        }
        if let Some(h) = m.m_pkthdr_mut() {
            h.len = ip_len;
        }
        ipstat.ips_reassembled += 1;
        Some(m)
    }

    /// Ages the queues, every 500 ms: a datagram not complete after
    /// `IPFRAGTTL` calls is freed, counting `ips_fragtimeout` once. Returns
    /// the offset-0 fragment of each, as received (its header and at least
    /// 8 bytes of data), for the caller to send an ICMP time exceeded for
    /// reassembly and free.
    pub fn ip_slowtimo(&mut self, mp: &mut MbufPool, ipstat: &mut Ipstat) -> Vec<Mbuf> {
        let mut expired = Vec::new();
        let mut i = 0;
        while let Some(fp) = self.ipq.get_mut(i) {
            fp.ipq_ttl = fp.ipq_ttl.saturating_sub(1);
            if fp.ipq_ttl > 0 {
                i += 1;
                continue;
            }
            let Some(mut fp) = self.ipq.remove(i) else { break };
            ipstat.ips_fragtimeout += 1;
            if fp.frags.first().is_some_and(|q| q.off == 0 && q.hlen > 0) {
                if let Some(q) = fp.frags.remove(0) {
                    if expired.reserve(1).is_ok() {
                        // Cannot fail after the reserve.
                        let _ = expired.push(q.m);
                    } else {
                        m_freem(mp, q.m);
                    }
                }
            }
            ip_freef(mp, fp);
        }
        expired
    }

    /// Frees the datagrams any of whose fragments came in on interface
    /// `ifp`, which is going away (its slot may be reused), counting each
    /// fragment in `ips_fragdropped` (FreeBSD's `ip_reass` purge on
    /// interface departure; the book never detaches an interface).
    pub fn ip_purge_if(&mut self, mp: &mut MbufPool, ipstat: &mut Ipstat, ifp: usize) {
        let mut i = 0;
        while let Some(fp) = self.ipq.get(i) {
            let from_ifp =
                fp.frags.iter().any(|q| q.m.m_pkthdr().is_some_and(|ph| ph.rcvif == Some(ifp)));
            if !from_ifp {
                i += 1;
                continue;
            }
            if let Some(fp) = self.ipq.remove(i) {
                ipstat.ips_fragdropped += ip_freef(mp, fp);
            }
        }
    }

    /// Frees every queue (`ip_drain`, when mbufs run short), counting each
    /// fragment in `ips_fragdropped`.
    pub fn ip_drain(&mut self, mp: &mut MbufPool, ipstat: &mut Ipstat) {
        while let Some(fp) = self.ipq.pop() {
            ipstat.ips_fragdropped += ip_freef(mp, fp);
        }
    }
}
