//! IP options (book chapter 9): `ip_dooptions`, `ip_rtaddr`, `save_rte`,
//! `ip_srcroute`, `ip_stripoptions` from `netinet/ip_input.c`, and
//! `ip_insertoptions`, `ip_optcopy`, `ip_pcbopts` from `ip_output.c`.
//!
//! Headers stay in network byte order in the mbuf (see `ip.rs`), so every
//! field is read and written here with explicit byte order, and `ip_len`
//! is always the total length.
//!
//! What differs from Net/3, and why:
//! - `ip_dooptions` neither forwards nor sends the ICMP error itself: it
//!   says what to do (`DoOpt`) and its caller, `ip_input`, does it. It
//!   clears the saved source route itself (`ip_nhops = 0` is in `ipintr`
//!   in the book). It works on a copy of the header and writes it back
//!   only when an option changed it, so that a header in a shared cluster
//!   is copied only then; when there is no memory for that, or `ip_hl`
//!   claims more than the datagram holds, the datagram is `DoOpt::Drop`.
//! - Lengths the book trusts are checked, as later BSDs check them: an
//!   option length below 2 (the book loops forever on 0), RR, LSRR and SSRR
//!   too short to hold their pointer, a timestamp pointer below 5 (the
//!   book writes the time over the option's own header).
//! - Timestamp room: the book's `ipt_ptr > ipt_len - 4` and
//!   `ipt_ptr + 8 > ipt_len` are one byte too strict (the pointer counts
//!   from 1), so it never uses the last slot. Here a slot is used when it
//!   fits (RFC 791), so a 40-byte timestamp holds 9 times.
//! - Parameter problem pointers name the offending byte: the length byte
//!   for a bad length, the pointer byte, the overflow/flags byte; the book
//!   points at the start of a timestamp option for all of its errors. An
//!   option whose length byte would be past the header is pointed at by
//!   its type byte, which is in the header.
//! - `ip_srcroute` gives the option length of the route it returns
//!   (`3 + 4 * hops`), not the received one, which differs when the
//!   received length was not `3 + 4n`.
//! - `ip_insertoptions` fails with ENOBUFS (the packet freed) when it needs
//!   an mbuf and gets none; the book sends the packet without the options.
//!   It sets `ip_hl` (the book's `ip_output` does) and pads the options to
//!   a multiple of 4.
//! - `ip_optcopy` copies only what fits in the buffer it is given, and
//!   skips NOPs, as their copied bit says (later BSDs keep them).
//! - `ip_pcbopts` pads the user's options with EOL; the book wants a
//!   multiple of 4 (of `sizeof(long)`, which on LP64 systems is 8).

use crate::bsd::kern::uipc_mbuf::{
    m_adj, m_copydata, m_free, m_freem, m_writable, Mbuf, MbufPool, M_PREPEND,
};
use crate::bsd::net::route::{rtalloc, rtfree};
use crate::bsd::netinet::in_::{in_multicast, InAddr, INADDR_ANY};
use crate::bsd::netinet::ip::{IP_HDRLEN, IP_MAXPACKET};
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;

/// Most option bytes an IP header holds.
pub const MAX_IPOPTLEN: usize = 40;

/// End of option list.
pub const IPOPT_EOL: u8 = 0;
/// No operation (padding).
pub const IPOPT_NOP: u8 = 1;
/// Record route.
pub const IPOPT_RR: u8 = 7;
/// Timestamp.
pub const IPOPT_TS: u8 = 68;
/// Security (RFC 1108); passed over.
pub const IPOPT_SECURITY: u8 = 130;
/// Loose source and record route.
pub const IPOPT_LSRR: u8 = 131;
/// Stream identifier; passed over.
pub const IPOPT_SATID: u8 = 136;
/// Strict source and record route.
pub const IPOPT_SSRR: u8 = 137;

/// Offset of the type in an option.
pub const IPOPT_OPTVAL: usize = 0;
/// Offset of the length in an option.
pub const IPOPT_OLEN: usize = 1;
/// Offset of the pointer in RR, LSRR, SSRR and TS.
pub const IPOPT_OFFSET: usize = 2;
/// Smallest pointer of RR, LSRR and SSRR (it counts from 1).
pub const IPOPT_MINOFF: u8 = 4;

/// Timestamp flags (the low 4 bits of the timestamp's fourth byte; the
/// high 4 are the overflow counter): times only.
pub const IPOPT_TS_TSONLY: u8 = 0;
/// Timestamp flag: each system records its address and the time.
pub const IPOPT_TS_TSANDADDR: u8 = 1;
/// Timestamp flag: only the listed systems record the time.
pub const IPOPT_TS_PRESPEC: u8 = 3;

/// Whether option type `o` goes in every fragment (`IPOPT_COPIED`).
#[allow(non_snake_case)]
pub const fn IPOPT_COPIED(o: u8) -> bool {
    o & 0x80 != 0
}

// ICMP types and codes this file reports (`netinet/ip_icmp.h`).
const ICMP_UNREACH: u8 = 3;
const ICMP_UNREACH_HOST: u8 = 1;
const ICMP_UNREACH_SRCFAIL: u8 = 5;
const ICMP_PARAMPROB: u8 = 12;

/// Options to insert into outgoing datagrams (`struct ipoption`): the
/// first hop of a source route, and the option bytes, padded to 4 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipoption {
    /// First hop of a source route, or INADDR_ANY.
    pub ipopt_dst: InAddr,
    pub ipopt_list: [u8; MAX_IPOPTLEN],
    /// Bytes of `ipopt_list` in use.
    pub ipopt_len: usize,
}

impl Ipoption {
    /// The option bytes in use.
    pub fn options(&self) -> &[u8] {
        self.ipopt_list.get(..self.ipopt_len).unwrap_or(&self.ipopt_list)
    }
}

/// The source route of the datagram being received (`ip_srcrt`, with
/// `ip_nhops`), saved by `save_rte` for `ip_srcroute`.
#[derive(Clone, Copy, Debug)]
pub struct IpSrcrt {
    /// The datagram's source: the last hop of the reply route.
    dst: InAddr,
    /// Addresses in the route (`ip_nhops`); 0 when none is saved.
    nhops: usize,
    /// The option as received (the book's `srcopt` and `route`).
    srcopt: [u8; MAX_IPOPTLEN],
}

impl Default for IpSrcrt {
    fn default() -> Self {
        IpSrcrt { dst: INADDR_ANY, nhops: 0, srcopt: [0; MAX_IPOPTLEN] }
    }
}

/// What `ip_dooptions` decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DoOpt {
    /// Go on processing the datagram.
    Continue,
    /// A source route sends it on: ip_dst now holds the next hop (the
    /// book's `ip_forward(m, 1)`, `srcrt` set).
    Forward,
    /// Bad or unsupported: send ICMP `ty`/`code`, pointing at byte `ptr`
    /// of the header for a parameter problem (`ips_badoptions` is
    /// counted already).
    Error { ty: u8, code: u8, ptr: u8 },
    /// Could not be processed: no memory to write the changed header
    /// back (it was in a shared cluster), or `ip_hl` claims more bytes
    /// than the datagram has. Drop it.
    Drop,
}

/// An ICMP error for `ip_dooptions`: type, code, pointer.
#[derive(Clone, Copy)]
struct Bad(u8, u8, u8);

type Res<T> = core::result::Result<T, Bad>;

/// A parameter problem at byte `off` of the header.
fn paramprob(off: usize) -> Bad {
    // Options end at byte 60: the offset always fits.
    Bad(ICMP_PARAMPROB, 0, u8::try_from(off).unwrap_or(u8::MAX))
}

const SRCFAIL: Bad = Bad(ICMP_UNREACH, ICMP_UNREACH_SRCFAIL, 0);

/// The address in the 4 bytes at `b[i..]`, if there are 4.
fn addr_at(b: &[u8], i: usize) -> Option<InAddr> {
    let a = b.get(i..i.checked_add(4)?)?;
    Some(InAddr(u32::from_be_bytes([a[0], a[1], a[2], a[3]])))
}

/// Writes `a` into the 4 bytes at `b[i..]`, if there are 4.
fn set_addr(b: &mut [u8], i: usize, a: InAddr) -> Option<()> {
    b.get_mut(i..i.checked_add(4)?)?.copy_from_slice(&a.0.to_be_bytes());
    Some(())
}

/// `n` rounded up to a multiple of 4.
fn round4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

/// Offsets of ip_src and ip_dst in the header.
const IP_SRC: usize = 12;
const IP_DST: usize = 16;

/// The address we send from towards `dst`: the interface address of the
/// route to it (`ip_rtaddr`).
fn ip_rtaddr(st: &mut Stack, dst: InAddr) -> Option<InAddr> {
    let rt = rtalloc(st, dst)?;
    let ifa = st.rt(rt).rt_ifa;
    rtfree(st, rt);
    Some(ifa)
}

/// Processes the options of the datagram in `m` (`ip_dooptions`; book
/// section 9.3), whose header is in network byte order and, when an
/// option changes it, contiguous in the first mbuf. Record route, source
/// routes and timestamps update the header in place; the checksum is left
/// to the caller. A source route ending here is saved for `ip_srcroute`.
///
/// It forgets the previous datagram's source route first: for a datagram
/// without options, the caller resets `Stack::ip_srcrt` itself (or calls
/// this, which then does nothing else).
pub fn ip_dooptions(st: &mut Stack, m: &mut Mbuf) -> DoOpt {
    st.ip_srcrt.nhops = 0;
    let hlen = match m.mtod().first() {
        Some(&b) => usize::from(b & 0x0f) << 2,
        None => return DoOpt::Continue,
    };
    if hlen <= IP_HDRLEN {
        return DoOpt::Continue;
    }
    // Work on a copy: most datagrams change nothing, and need no
    // writable header then.
    let mut buf = [0u8; IP_HDRLEN + MAX_IPOPTLEN];
    if m_copydata(m, 0, &mut buf[..hlen]).is_err() {
        return DoOpt::Drop; // ip_input checks ip_hl before.
    }
    let orig = buf;
    let rcvif = m.m_pkthdr().and_then(|h| h.rcvif);
    let r = dooptions(st, &mut buf[..hlen], rcvif);
    if buf != orig {
        match m_writable(&mut st.mbpool, m).map(|b| b.get_mut(..hlen)) {
            Ok(Some(ip)) => ip.copy_from_slice(&buf[..hlen]),
            _ => return DoOpt::Drop,
        }
    }
    match r {
        Ok(true) => DoOpt::Forward,
        Ok(false) => DoOpt::Continue,
        Err(Bad(ty, code, ptr)) => {
            st.ipstat.ips_badoptions += 1;
            DoOpt::Error { ty, code, ptr }
        }
    }
}

/// The loop of `ip_dooptions` over header `ip` (exactly `ip_hl` bytes):
/// whether to forward, or the error.
fn dooptions(st: &mut Stack, ip: &mut [u8], rcvif: Option<usize>) -> Res<bool> {
    // The destination on arrival, for TSANDADDR (the book's `dst`).
    let dst = addr_at(ip, IP_DST).unwrap_or(INADDR_ANY);
    let mut forward = false;
    let mut off = IP_HDRLEN;
    while off < ip.len() {
        let cnt = ip.len() - off;
        let opt = ip[off];
        if opt == IPOPT_EOL {
            break;
        }
        if opt == IPOPT_NOP {
            off += 1;
            continue;
        }
        let optlen = match ip.get(off + IPOPT_OLEN) {
            Some(&l) => usize::from(l),
            None => return Err(paramprob(off)),
        };
        if optlen < 2 || optlen > cnt {
            return Err(paramprob(off + IPOPT_OLEN));
        }
        // The fixed header (with ip_dst) and this option, apart.
        let (head, rest) = ip.split_at_mut(off);
        let cp = rest.get_mut(..optlen).ok_or(paramprob(off))?;
        match opt {
            IPOPT_LSRR | IPOPT_SSRR => {
                if let Some(fwd) = do_srcrt(st, head, cp, off)? {
                    forward = fwd;
                }
            }
            IPOPT_RR => do_rr(st, head, cp, off)?,
            IPOPT_TS => do_ts(st, cp, off, dst, rcvif)?,
            _ => {}
        }
        off += optlen;
    }
    Ok(forward)
}

/// The pointer of RR, LSRR or SSRR `cp` (at header offset `off`) made
/// 0-origin, or the parameter problem of a short option or a pointer into
/// the option's own header.
fn route_off(cp: &[u8], off: usize) -> Res<usize> {
    let ptr = *cp.get(IPOPT_OFFSET).ok_or(paramprob(off + IPOPT_OLEN))?;
    if ptr < IPOPT_MINOFF {
        return Err(paramprob(off + IPOPT_OFFSET));
    }
    Ok(usize::from(ptr) - 1)
}

/// Advances the pointer of option `cp` by `n`.
fn advance(cp: &mut [u8], n: u8) {
    if let Some(p) = cp.get_mut(IPOPT_OFFSET) {
        *p = p.wrapping_add(n);
    }
}

/// Loose or strict source route `cp` (book section 9.6). When the
/// datagram is at the next hop listed (one of our addresses), the next
/// address becomes ip_dst and our outgoing address takes its slot.
/// Returns whether to forward, or `None` when the option changed nothing.
fn do_srcrt(st: &mut Stack, head: &mut [u8], cp: &mut [u8], off: usize) -> Res<Option<bool>> {
    let strict = cp[IPOPT_OPTVAL] == IPOPT_SSRR;
    let slot = route_off(cp, off)?;
    let ip_dst = addr_at(head, IP_DST).ok_or(paramprob(off))?;
    if st.ifa_ifwithaddr(ip_dst).is_none() {
        // Not a listed hop: a strict route went astray; a loose one is
        // simply forwarded by ip_input towards ip_dst.
        return if strict { Err(SRCFAIL) } else { Ok(None) };
    }
    let Some(next) = addr_at(cp, slot) else {
        // The route is done: the datagram is for us.
        let src = addr_at(head, IP_SRC).unwrap_or(INADDR_ANY);
        save_rte(st, cp, src);
        return Ok(None);
    };
    // Strict: the next hop must be on an attached network.
    let ia = if strict {
        st.ifa_ifwithdstaddr(next).or_else(|| st.ifa_ifwithnet(next)).map(|ia| ia.ia_addr)
    } else {
        ip_rtaddr(st, next)
    };
    let ia = ia.ok_or(SRCFAIL)?;
    set_addr(head, IP_DST, next).ok_or(paramprob(off))?;
    set_addr(cp, slot, ia).ok_or(paramprob(off))?;
    advance(cp, 4);
    // Multicast next hops are left to ip_input's multicast code.
    Ok(Some(!in_multicast(next)))
}

/// Record route `cp` (book section 9.5): our address towards ip_dst in
/// the next free slot; nothing when the option is full.
fn do_rr(st: &mut Stack, head: &[u8], cp: &mut [u8], off: usize) -> Res<()> {
    let slot = route_off(cp, off)?;
    if slot.saturating_add(4) > cp.len() {
        return Ok(());
    }
    let ip_dst = addr_at(head, IP_DST).ok_or(paramprob(off))?;
    // For us: the address it came to; else the one it leaves from.
    let ia = st
        .ifa_ifwithaddr(ip_dst)
        .map(|ia| ia.ia_addr)
        .or_else(|| ip_rtaddr(st, ip_dst))
        .ok_or(Bad(ICMP_UNREACH, ICMP_UNREACH_HOST, 0))?;
    set_addr(cp, slot, ia).ok_or(paramprob(off))?;
    advance(cp, 4);
    Ok(())
}

/// Timestamp `cp` (book section 9.7): the time, with our address or only
/// where our address is listed, by the option's flag; a full option
/// counts an overflow instead.
fn do_ts(st: &Stack, cp: &mut [u8], off: usize, dst: InAddr, rcvif: Option<usize>) -> Res<()> {
    const OFLW: usize = 3;
    if cp.len() < 5 {
        return Err(paramprob(off + IPOPT_OLEN));
    }
    let ptr = cp[IPOPT_OFFSET];
    if ptr < 5 {
        return Err(paramprob(off + IPOPT_OFFSET));
    }
    let mut p = usize::from(ptr) - 1;
    let flg = cp[OFLW] & 0x0f;
    if p + 4 > cp.len() {
        let oflw = (cp[OFLW] >> 4).wrapping_add(1) & 0x0f;
        if oflw == 0 {
            return Err(paramprob(off + OFLW));
        }
        cp[OFLW] = (oflw << 4) | flg;
        return Ok(());
    }
    match flg {
        IPOPT_TS_TSONLY => {}
        IPOPT_TS_TSANDADDR | IPOPT_TS_PRESPEC => {
            if p + 8 > cp.len() {
                return Err(paramprob(off + IPOPT_OFFSET));
            }
            if flg == IPOPT_TS_TSANDADDR {
                // The address of the receiving interface facing `dst`.
                let Some(ia) =
                    rcvif.and_then(|ifp| st.ifaof_ifpforaddr(dst, ifp)).map(|ia| ia.ia_addr)
                else {
                    return Ok(());
                };
                set_addr(cp, p, ia).ok_or(paramprob(off))?;
            } else {
                let listed = addr_at(cp, p).ok_or(paramprob(off))?;
                if st.ifa_ifwithaddr(listed).is_none() {
                    return Ok(()); // Not our turn.
                }
            }
            p += 4;
        }
        _ => return Err(paramprob(off + OFLW)),
    }
    let t = crate::platform::iptime().to_be_bytes();
    cp.get_mut(p..p + 4).ok_or(paramprob(off))?.copy_from_slice(&t);
    // p + 4 is at most 40: the new pointer fits.
    cp[IPOPT_OFFSET] = u8::try_from(p + 5).unwrap_or(u8::MAX);
    Ok(())
}

/// Saves source route option `option`, which brought a datagram from
/// `src` to us, for `ip_srcroute` (`save_rte`).
fn save_rte(st: &mut Stack, option: &[u8], src: InAddr) {
    let olen = option.len();
    let Some(to) = st.ip_srcrt.srcopt.get_mut(..olen) else {
        return;
    };
    to.copy_from_slice(option);
    st.ip_srcrt.nhops = olen.saturating_sub(IPOPT_OFFSET + 1) / 4;
    st.ip_srcrt.dst = src;
}

/// The reversed source route of the last datagram, to send replies by
/// (`ip_srcroute`; book section 9.6): `ipopt_dst` is the first hop (the
/// last address recorded), the list a NOP and the route option, the
/// pointer reset to 4, with the other addresses in reverse order and the
/// datagram's source last. `None` when the last datagram brought no
/// source route to us.
pub fn ip_srcroute(st: &Stack) -> Option<Ipoption> {
    let sr = &st.ip_srcrt;
    let n = sr.nhops;
    let route = |i: usize| addr_at(&sr.srcopt, IPOPT_OFFSET + 1 + 4 * i);
    let first = route(n.checked_sub(1)?)?;
    let mut list = [IPOPT_EOL; MAX_IPOPTLEN];
    list[0] = IPOPT_NOP;
    list[1] = sr.srcopt[IPOPT_OPTVAL];
    // n <= 9: the length fits.
    list[2] = u8::try_from(IPOPT_OFFSET + 1 + 4 * n).ok()?;
    list[3] = IPOPT_MINOFF;
    let mut q = 4;
    for i in (0..n - 1).rev() {
        set_addr(&mut list, q, route(i)?)?;
        q += 4;
    }
    set_addr(&mut list, q, sr.dst)?;
    Some(Ipoption { ipopt_dst: first, ipopt_list: list, ipopt_len: q + 4 })
}

/// Removes the options from the datagram in `m` (`ip_stripoptions`),
/// whose header is contiguous in the first mbuf: the data moves up over
/// them, and `ip_hl`, `ip_len` and `m_pkthdr.len` shrink. The first mbuf
/// must be writable (not a shared cluster: see `m_writable`), as
/// `ip_input` leaves it for the protocols; if it is not, the datagram is
/// left as it is.
pub fn ip_stripoptions(m: &mut Mbuf) {
    let hlen = match m.mtod().first() {
        Some(&b) => usize::from(b & 0x0f) << 2,
        None => return,
    };
    if hlen <= IP_HDRLEN || m.m_len() < hlen {
        return;
    }
    let olen = hlen - IP_HDRLEN;
    let len = m.m_len() - olen;
    let Some(d) = m.mtod_mut() else {
        return;
    };
    d.copy_within(hlen.., IP_HDRLEN);
    d[0] = (d[0] & 0xf0) | (IP_HDRLEN >> 2) as u8;
    let ip_len = u16::from_be_bytes([d[2], d[3]]).saturating_sub(olen as u16);
    d[2..4].copy_from_slice(&ip_len.to_be_bytes());
    // Shrinking always succeeds.
    let _ = m.set_len(len);
    if let Some(h) = m.m_pkthdr_mut() {
        h.len = h.len.saturating_sub(olen);
    }
}

/// Inserts `opt` after the 20-byte IP header of `m`, whose `ip_len` is
/// set (`ip_insertoptions`; book section 9.8): into the first mbuf when
/// it has room in front, else into a new mbuf with the header. ip_dst
/// becomes `ipopt_dst` when that is set; `ip_hl`, `ip_len` and
/// `m_pkthdr.len` grow. Returns the packet and its header length. A
/// packet the options would make longer than IP_MAXPACKET is returned
/// unchanged. ENOBUFS when memory runs out, EINVAL for a first mbuf
/// shorter than 20 bytes or options longer than MAX_IPOPTLEN: the packet
/// is freed then.
pub fn ip_insertoptions(mp: &mut MbufPool, m: Mbuf, opt: &Ipoption) -> Result<(Mbuf, usize)> {
    let (Some(src), true) = (opt.ipopt_list.get(..opt.ipopt_len), m.m_len() >= IP_HDRLEN) else {
        m_freem(mp, m);
        return Err(EINVAL);
    };
    let optlen = round4(src.len());
    let mut hdr = [0u8; IP_HDRLEN];
    hdr.copy_from_slice(&m.mtod()[..IP_HDRLEN]);
    let ip_len = usize::from(u16::from_be_bytes([hdr[2], hdr[3]]));
    if ip_len + optlen > IP_MAXPACKET {
        return Ok((m, usize::from(hdr[0] & 0x0f) << 2));
    }
    let mut m = if m.m_leadingspace() >= optlen {
        M_PREPEND(mp, m, optlen)?
    } else {
        // The header moves to a new mbuf in front, with the options.
        let mut m = m;
        m_adj(&mut m, IP_HDRLEN as isize);
        let mut m = M_PREPEND(mp, m, IP_HDRLEN + optlen)?;
        if m.m_next().is_some_and(|n| n.m_len() == 0) {
            if let Some(empty) = m.take_next() {
                let rest = m_free(mp, empty);
                m.set_next(rest);
            }
        }
        m
    };
    let hlen = IP_HDRLEN + optlen;
    let d = match m_writable(mp, &mut m).map(|d| d.get_mut(..hlen)) {
        Ok(Some(d)) => d,
        Ok(None) | Err(_) => {
            m_freem(mp, m);
            return Err(ENOBUFS);
        }
    };
    d[..IP_HDRLEN].copy_from_slice(&hdr);
    d[IP_HDRLEN..IP_HDRLEN + src.len()].copy_from_slice(src);
    d[IP_HDRLEN + src.len()..].fill(IPOPT_EOL);
    d[0] = (d[0] & 0xf0) | (hlen >> 2) as u8;
    // Checked above: at most IP_MAXPACKET.
    d[2..4].copy_from_slice(&((ip_len + optlen) as u16).to_be_bytes());
    if opt.ipopt_dst != INADDR_ANY {
        set_addr(d, IP_DST, opt.ipopt_dst);
    }
    Ok((m, hlen))
}

/// Copies the options of header `src` (the whole header of the
/// datagram) that go in every fragment, those whose copied bit is set,
/// into `dst`, the option bytes of a fragment's header (`ip_optcopy`;
/// book section 10.4), padded with EOL to a multiple of 4. Options that do
/// not fit in `dst` are left out. Returns the bytes of options written.
pub fn ip_optcopy(src: &[u8], dst: &mut [u8]) -> usize {
    let hlen = src.first().map_or(0, |&b| usize::from(b & 0x0f) << 2);
    let opts = src.get(IP_HDRLEN..hlen.min(src.len())).unwrap_or(&[]);
    let mut n = 0;
    let mut i = 0;
    while let Some(&opt) = opts.get(i) {
        if opt == IPOPT_EOL {
            break;
        }
        if opt == IPOPT_NOP {
            i += 1;
            continue;
        }
        let optlen = opts.get(i + IPOPT_OLEN).map_or(0, |&l| usize::from(l));
        if optlen < 2 {
            break; // Bogus; ip_dooptions refuses it. Never loop.
        }
        let o = opts.get(i..).unwrap_or(&[]);
        let o = o.get(..optlen).unwrap_or(o);
        if IPOPT_COPIED(opt) && round4(n + o.len()) <= dst.len() {
            dst[n..n + o.len()].copy_from_slice(o);
            n += o.len();
        }
        i += optlen;
    }
    let padded = round4(n);
    dst[n..padded].fill(IPOPT_EOL);
    padded
}

/// Checks the IP_OPTIONS of a setsockopt() (`ip_pcbopts`; book section
/// 9.9) and makes them ready for `ip_insertoptions`. Empty options turn
/// them off (`Ok(None)`). In a source route the user lists the first hop
/// first (the route `->A->B->C->D` is given as A, B, C, D): it moves to
/// `ipopt_dst` and leaves the option. EINVAL for a length below 2 or
/// beyond the options, a source route without a first hop, or options
/// that do not fit in a header.
pub fn ip_pcbopts(optval: &[u8]) -> Result<Option<Ipoption>> {
    if optval.is_empty() {
        return Ok(None);
    }
    // A source route's first hop leaves the options: 4 more bytes.
    if optval.len() > MAX_IPOPTLEN + 4 {
        return Err(EINVAL);
    }
    let mut out = [IPOPT_EOL; MAX_IPOPTLEN + 4];
    let mut dst = INADDR_ANY;
    let mut n = 0;
    let mut i = 0;
    while let Some(&opt) = optval.get(i) {
        if opt == IPOPT_EOL {
            // Whatever follows the end goes as it is, as in the book.
            let rest = &optval[i..];
            out.get_mut(n..n + rest.len()).ok_or(EINVAL)?.copy_from_slice(rest);
            n += rest.len();
            break;
        }
        if opt == IPOPT_NOP {
            *out.get_mut(n).ok_or(EINVAL)? = IPOPT_NOP;
            n += 1;
            i += 1;
            continue;
        }
        let optlen = usize::from(*optval.get(i + IPOPT_OLEN).ok_or(EINVAL)?);
        if optlen < 2 {
            return Err(EINVAL);
        }
        let o = optval.get(i..i + optlen).ok_or(EINVAL)?;
        if opt == IPOPT_LSRR || opt == IPOPT_SSRR {
            // At least the first hop.
            let first = IPOPT_OFFSET + 1;
            if optlen < first + 4 {
                return Err(EINVAL);
            }
            dst = addr_at(o, first).ok_or(EINVAL)?;
            let to = out.get_mut(n..n + optlen - 4).ok_or(EINVAL)?;
            to[..first].copy_from_slice(&o[..first]);
            to[IPOPT_OLEN] = (optlen - 4) as u8;
            to[first..].copy_from_slice(&o[first + 4..]);
            n += optlen - 4;
        } else {
            out.get_mut(n..n + optlen).ok_or(EINVAL)?.copy_from_slice(o);
            n += optlen;
        }
        i += optlen;
    }
    let len = round4(n);
    if len > MAX_IPOPTLEN {
        return Err(EINVAL);
    }
    let mut list = [IPOPT_EOL; MAX_IPOPTLEN];
    list.copy_from_slice(&out[..MAX_IPOPTLEN]);
    Ok(Some(Ipoption { ipopt_dst: dst, ipopt_list: list, ipopt_len: len }))
}
