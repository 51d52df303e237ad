//! A fuzz target for IP input and IP options that runs in the normal test
//! suite, for a bounded time, with stable Rust and no libFuzzer.
//!
//! `fuzz_ip_input` builds stacks (lo0, sometimes a broadcast interface, a
//! default route, UDP and raw sockets) and feeds them datagrams as lo0 or
//! eth0 input: random bytes; well-formed headers with options, ICMP, UDP,
//! IGMP and other payloads, then mutated (version, header and total
//! length, truncation, padding, bits, with the header checksum made right
//! again or not); fragment series cut, shuffled, duplicated, overlapping,
//! oversized and incomplete; and "oracle" datagrams, valid UDP and echo
//! requests with valid options and fragments, that must come out intact.
//! Packets are processed one at a time, as `ipintr` does, so that each
//! `ip_input` call and each packet the stack sends back can be judged:
//!
//! - `ipstat` accounts for every datagram: each call counts `ips_total`
//!   once, and exactly one of the book's drop counters, `ips_cantforward`,
//!   a fragment kept or dropped, or a delivery (`ips_delivered`, which
//!   `rip_input` turns into `ips_noproto`); a fragment is queued or counted
//!   dropped; UDP accounts for each datagram it is given;
//! - what the stack sends is valid IP (version, lengths, header and ICMP
//!   checksums, well-formed options, one of our source addresses), and an
//!   ICMP error is never about an ICMP error, a datagram to a broadcast or
//!   multicast address or sent as a link-level broadcast, a fragment other
//!   than the first, or a source that names no single host;
//! - datagrams delivered to raw sockets are whole (never fragments, with a
//!   total length that is their length);
//! - clusters shared with the driver are never written;
//! - once the queues are drained, the reassembly queues timed out and the
//!   socket buffers read, every mbuf and cluster is back (`mbstat`).
//!
//! `fuzz_ip_options` calls the option code directly (`ip_dooptions`,
//! `ip_srcroute`, `ip_stripoptions`, `ip_optcopy`, `ip_pcbopts`,
//! `ip_insertoptions`) with random and structured option bytes on a
//! router with three interfaces.
//!
//! Time and seed: `BSDINET_FUZZ_SECS` (default 5) is shared between the
//! two, `BSDINET_FUZZ_SEED` picks the sequence (default fixed, so runs
//! are reproducible), and `BSDINET_FUZZ_ROUND` runs a single round. A
//! failure prints the seed, the round and the inputs in hex.

mod common;
use common::fuzz::*;
use common::*;

use std::collections::{BTreeMap, VecDeque};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bsdinet::bsd::kern::uipc_mbuf::*;
use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::kern::uipc_socket2::SB_MAX;
use bsdinet::bsd::net::if_::*;
use bsdinet::bsd::net::if_loop::looutput;
use bsdinet::bsd::net::route::*;
use bsdinet::bsd::netinet::in_::*;
use bsdinet::bsd::netinet::in_proto::INETDOMAIN;
use bsdinet::bsd::netinet::ip::*;
use bsdinet::bsd::netinet::ip_icmp::*;
use bsdinet::bsd::netinet::ip_input::{ip_drain, ip_input, ip_slowtimo};
use bsdinet::bsd::netinet::ip_options::*;
use bsdinet::bsd::netinet::ip_reass::IPFRAGTTL;
use bsdinet::bsd::netinet::udp_usrreq::Udpstat;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use bsdinet::bsd::sys::socket::*;
use bsdinet::bsd::sys::sockio::*;

// ---------------------------------------------------------------------
// Randomness, time and reporting.

/// "BSDINET4".
const DEFAULT_SEED: u64 = 0x4253_4449_4e45_5434;

/// Runs `round` with a fresh generator per round until this test's share
/// of `BSDINET_FUZZ_SECS` is spent (at least one round). `round` logs
/// each input it feeds, so that a failure can show them.
fn run_fuzz(name: &str, share: f64, mut round: impl FnMut(&mut Rng, &mut Vec<Vec<u8>>)) -> u64 {
    let seed = env_u64("BSDINET_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let only = env_u64("BSDINET_FUZZ_ROUND");
    let secs = std::env::var("BSDINET_FUZZ_SECS")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(5.0);
    let budget = Duration::from_secs_f64(secs * share);
    let start = Instant::now();
    let mut r = only.unwrap_or(0);
    let mut rounds = 0u64;
    loop {
        let mut rng = Rng::new(seed ^ r.wrapping_mul(0xd1b5_4a32_d192_ed03));
        rng.next();
        let mut inputs = Vec::new();
        let res = catch_unwind(AssertUnwindSafe(|| round(&mut rng, &mut inputs)));
        if let Err(e) = res {
            eprintln!(
                "{name} failed: BSDINET_FUZZ_SEED={seed:#x} BSDINET_FUZZ_ROUND={r} \
                 reproduces it; {} inputs, the last one is the failing one \
                 (or the round's final checks failed):",
                inputs.len()
            );
            for (i, b) in inputs.iter().enumerate() {
                eprintln!("  input {i} ({} bytes): {}", b.len(), hex(b));
            }
            resume_unwind(e);
        }
        rounds += 1;
        if only.is_some() || start.elapsed() >= budget {
            break;
        }
        r += 1;
    }
    eprintln!("{name}: {rounds} rounds in {:.1?}, seed {seed:#x}", start.elapsed());
    rounds
}

// ---------------------------------------------------------------------
// Packets.

const fn ip4(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}

const LOOP: u32 = LOCALHOST;
const ETH0: u32 = ip4(10, 0, 0, 1);
const ETH0_PEER: u32 = ip4(10, 0, 0, 7);
const ETH0_BCAST: u32 = ip4(10, 0, 0, 255);
const PPP0: u32 = ip4(172, 16, 0, 1);
const PPP0_DST: u32 = ip4(172, 16, 0, 2);
const FAR: u32 = ip4(8, 8, 8, 8);
const MCAST: u32 = ip4(224, 0, 0, 1);

/// The UDP port only oracle datagrams go to.
const ORACLE_PORT: u16 = 7777;
/// The first IP id the stack gives what it sends.
const ID_STACK: u16 = 0x4000;
/// What every oracle payload starts with.
const MARK: &[u8; 4] = b"ORCL";

const IPPROTO_ICMP_U8: u8 = 1;
const IPPROTO_IGMP_U8: u8 = 2;
const IPPROTO_TCP_U8: u8 = 6;
const IPPROTO_UDP_U8: u8 = 17;

fn get16(b: &[u8], off: usize) -> u16 {
    u16::from_be_bytes([b[off], b[off + 1]])
}

fn put16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_be_bytes());
}

fn addr(b: &[u8], off: usize) -> InAddr {
    InAddr(u32::from_be_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]]))
}

fn hlen(b: &[u8]) -> usize {
    usize::from(b[0] & 0x0f) << 2
}

/// Sets the header checksum, if the header is there to sum.
fn set_sum(b: &mut [u8]) {
    if b.len() < IP_HDRLEN {
        return;
    }
    let hl = hlen(b).clamp(IP_HDRLEN, b.len());
    put16(b, 10, 0);
    let s = cksum(&b[..hl]);
    put16(b, 10, s);
}

fn all(m: &Mbuf) -> Vec<u8> {
    let mut v = vec![0u8; m.m_length()];
    m_copydata(m, 0, &mut v).unwrap();
    v
}

/// The fields of a header to build.
#[derive(Clone)]
struct Hdr {
    tos: u8,
    id: u16,
    off: u16,
    ttl: u8,
    p: u8,
    src: u32,
    dst: u32,
    opts: Vec<u8>,
}

impl Hdr {
    fn new(p: u8, src: u32, dst: u32) -> Hdr {
        Hdr { tos: 0, id: 1, off: 0, ttl: 64, p, src, dst, opts: Vec::new() }
    }
}

/// `opts` padded with EOL to a multiple of 4 (at most 40 bytes).
fn pad(opts: &[u8]) -> Vec<u8> {
    let mut v = opts.to_vec();
    v.truncate(MAX_IPOPTLEN);
    while v.len() % 4 != 0 {
        v.push(IPOPT_EOL);
    }
    v
}

/// A datagram with header `h` (options padded) and `payload`, checksummed.
fn build(h: &Hdr, payload: &[u8]) -> Vec<u8> {
    let opts = pad(&h.opts);
    let hl = IP_HDRLEN + opts.len();
    let mut b = vec![0u8; hl];
    b[0] = (IPVERSION << 4) | (hl / 4) as u8;
    b[1] = h.tos;
    put16(&mut b, 2, (hl + payload.len()).min(0xffff) as u16);
    put16(&mut b, 4, h.id);
    put16(&mut b, 6, h.off);
    b[8] = h.ttl;
    b[9] = h.p;
    b[12..16].copy_from_slice(&h.src.to_be_bytes());
    b[16..20].copy_from_slice(&h.dst.to_be_bytes());
    b[20..hl].copy_from_slice(&opts);
    b.extend_from_slice(payload);
    set_sum(&mut b);
    b
}

/// The fragment of datagram `h` carrying `data` at byte `off`.
fn frag(h: &Hdr, opts: &[u8], off: usize, data: &[u8], mf: bool) -> Vec<u8> {
    let h = Hdr {
        off: (h.off & IP_DF) | ((off / 8) as u16 & IP_OFFMASK) | if mf { IP_MF } else { 0 },
        opts: opts.to_vec(),
        ..h.clone()
    };
    build(&h, data)
}

/// The options a fragment after the first carries: those whose copied
/// bit is set (as ip_output cuts them), none, or all (a sloppy sender).
fn later_opts(rng: &mut Rng, opts: &[u8]) -> Vec<u8> {
    match rng.below(3) {
        0 => {
            let mut hdr = vec![0u8; IP_HDRLEN];
            let o = pad(opts);
            hdr[0] = 0x40 | ((IP_HDRLEN + o.len()) / 4) as u8;
            hdr.extend_from_slice(&o);
            let mut dst = [0u8; MAX_IPOPTLEN];
            let n = ip_optcopy(&hdr, &mut dst);
            dst[..n].to_vec()
        }
        1 => Vec::new(),
        _ => opts.to_vec(),
    }
}

/// What a generator needs to know of the stack.
#[derive(Clone, Copy)]
struct Ctx {
    eth0: bool,
}

/// Our addresses.
fn ours(rng: &mut Rng, ctx: Ctx) -> u32 {
    if ctx.eth0 && rng.one_in(3) {
        ETH0
    } else {
        LOOP
    }
}

fn dst_addr(rng: &mut Rng, ctx: Ctx) -> u32 {
    match rng.below(24) {
        0..=11 => ours(rng, ctx),
        12 => rng.pick(&[ip4(127, 0, 0, 2), ip4(127, 255, 255, 255), ip4(127, 0, 0, 0)]),
        13 | 14 => rng.pick(&[ETH0_BCAST, ip4(10, 0, 0, 0), ip4(10, 255, 255, 255), ETH0_PEER]),
        15 | 16 => INADDR_BROADCAST.0,
        17 => INADDR_ANY.0,
        18 | 19 => rng.pick(&[MCAST, ip4(239, 255, 0, 1)]),
        20 => FAR,
        _ => rng.u32(),
    }
}

fn src_addr(rng: &mut Rng, ctx: Ctx) -> u32 {
    match rng.below(20) {
        0..=10 => ours(rng, ctx),
        11 => ETH0_PEER,
        12 => FAR,
        13 => INADDR_ANY.0,
        14 => INADDR_BROADCAST.0,
        15 => ETH0_BCAST,
        16 => rng.pick(&[MCAST, ip4(240, 0, 0, 1), ip4(127, 0, 0, 2)]),
        _ => rng.u32(),
    }
}

/// An address for an option's route or timestamp.
fn opt_addr(rng: &mut Rng, ctx: Ctx) -> u32 {
    match rng.below(10) {
        0..=3 => ours(rng, ctx),
        4..=6 => dst_addr(rng, ctx),
        7 => rng.pick(&[PPP0, PPP0_DST, ETH0_PEER, FAR]),
        _ => rng.u32(),
    }
}

/// One option, well-formed or not.
fn gen_option(rng: &mut Rng, ctx: Ctx) -> Vec<u8> {
    match rng.below(14) {
        0 => vec![IPOPT_EOL],
        1 => vec![IPOPT_NOP],
        2..=5 => {
            let ty = rng.pick(&[IPOPT_RR, IPOPT_LSRR, IPOPT_SSRR]);
            let k = rng.range(0, 9);
            let good = 3 + 4 * k;
            let len = if rng.one_in(5) {
                rng.pick(&[0, 1, 2, 3, good + 1, good.saturating_sub(1), rng.below(256)])
            } else {
                good
            };
            let ptr = if rng.one_in(5) {
                rng.pick(&[0, 1, 2, 3, 5, 4 + 4 * (k + 1), rng.below(256)])
            } else {
                4 + 4 * rng.range(0, k)
            };
            let mut v = vec![ty, len as u8, ptr as u8];
            for _ in 0..k {
                v.extend(opt_addr(rng, ctx).to_be_bytes());
            }
            v
        }
        6..=9 => {
            let flg = rng.pick(&[
                IPOPT_TS_TSONLY,
                IPOPT_TS_TSANDADDR,
                IPOPT_TS_PRESPEC,
                2,
                rng.u8() & 0x0f,
            ]);
            let per = if flg == IPOPT_TS_TSONLY { 4 } else { 8 };
            let k = rng.range(0, 36 / per);
            let good = 4 + per * k;
            let len = if rng.one_in(5) {
                rng.pick(&[0, 1, 2, 3, 4, 5, good + 1, good + 4, rng.below(256)])
            } else {
                good
            };
            let ptr = if rng.one_in(5) {
                rng.pick(&[0, 1, 4, 6, good + 1, rng.below(256)])
            } else {
                5 + per * rng.range(0, k)
            };
            let oflw = rng.pick(&[0u8, 1, 14, 15, rng.u8() >> 4]);
            let mut v = vec![IPOPT_TS, len as u8, ptr as u8, (oflw << 4) | flg];
            for _ in 0..k {
                if per == 8 {
                    v.extend(opt_addr(rng, ctx).to_be_bytes());
                }
                v.extend([0; 4]);
            }
            v
        }
        10 => {
            let mut v = vec![IPOPT_SECURITY, 11];
            v.extend(rng.bytes(9));
            v
        }
        11 => vec![IPOPT_SATID, 4, rng.u8(), rng.u8()],
        12 => {
            let len = rng.below(12);
            let mut v = vec![rng.u8(), len as u8];
            v.extend(rng.bytes(len.saturating_sub(2)));
            v
        }
        _ => {
            let n = rng.range(1, 6);
            rng.bytes(n)
        }
    }
}

/// Option bytes, at most 40, not padded.
fn gen_options(rng: &mut Rng, ctx: Ctx) -> Vec<u8> {
    let mut v = if rng.one_in(8) {
        let n = rng.below(41);
        rng.bytes(n)
    } else {
        let n = rng.range(1, 4);
        (0..n).flat_map(|_| gen_option(rng, ctx)).collect()
    };
    v.truncate(MAX_IPOPTLEN);
    v
}

/// Options that a correct stack processes without complaint, and that
/// leave a datagram for us to be delivered: record route, timestamps
/// whose overflow counter cannot overflow on the way there and back,
/// security; with `srcrt`, a source route that has ended here.
fn valid_options(rng: &mut Rng, ctx: Ctx, srcrt: bool) -> Vec<u8> {
    let mut v = Vec::new();
    for _ in 0..rng.range(1, 3) {
        let o = match rng.below(if srcrt { 6 } else { 5 }) {
            0 => vec![IPOPT_NOP],
            1 => {
                let k = rng.range(0, 9);
                let mut o = vec![IPOPT_RR, (3 + 4 * k) as u8, (4 + 4 * rng.range(0, k)) as u8];
                o.extend(std::iter::repeat_n(0, 4 * k));
                o
            }
            2 | 3 => {
                let flg = rng.pick(&[IPOPT_TS_TSONLY, IPOPT_TS_TSANDADDR, IPOPT_TS_PRESPEC]);
                let per = if flg == IPOPT_TS_TSONLY { 4 } else { 8 };
                let k = rng.range(1, 36 / per);
                let ptr = 5 + per * rng.range(0, k);
                let oflw = rng.below(14) as u8;
                let mut o = vec![IPOPT_TS, (4 + per * k) as u8, ptr as u8, (oflw << 4) | flg];
                for _ in 0..k {
                    if per == 8 {
                        o.extend(opt_addr(rng, ctx).to_be_bytes());
                    }
                    o.extend([0; 4]);
                }
                o
            }
            4 => {
                let mut o = vec![IPOPT_SECURITY, 11];
                o.extend(rng.bytes(9));
                o
            }
            _ => {
                // Every hop passed: the pointer is past the last address.
                let ty = rng.pick(&[IPOPT_LSRR, IPOPT_SSRR]);
                let k = rng.range(1, 4);
                let mut o = vec![ty, (3 + 4 * k) as u8, (4 + 4 * k) as u8];
                for _ in 0..k {
                    o.extend(opt_addr(rng, ctx).to_be_bytes());
                }
                o
            }
        };
        if v.len() + o.len() <= MAX_IPOPTLEN {
            v.extend(o);
        }
    }
    v
}

/// The UDP checksum of `udp` (header and data) from `src` to `dst`.
fn udp_sum(src: u32, dst: u32, udp: &[u8]) -> u16 {
    let mut b = Vec::with_capacity(12 + udp.len());
    b.extend(src.to_be_bytes());
    b.extend(dst.to_be_bytes());
    b.extend([0, IPPROTO_UDP_U8]);
    b.extend((udp.len() as u16).to_be_bytes());
    b.extend_from_slice(udp);
    match cksum(&b) {
        0 => 0xffff,
        s => s,
    }
}

/// A UDP datagram (header and data) with a right checksum.
fn udp_msg(src: u32, dst: u32, sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut u = vec![0u8; 8];
    put16(&mut u, 0, sport);
    put16(&mut u, 2, dport);
    put16(&mut u, 4, (8 + data.len()) as u16);
    u.extend_from_slice(data);
    let s = udp_sum(src, dst, &u);
    put16(&mut u, 6, s);
    u
}

/// A data length: mostly small, sometimes a few clusters.
fn data_len(rng: &mut Rng) -> usize {
    match rng.below(10) {
        0..=6 => rng.below(64),
        7 | 8 => rng.range(64, 600),
        _ => rng.range(600, 4000),
    }
}

/// UDP to one of the ports our sockets use, or another; lengths and
/// checksums right or not.
fn gen_udp(rng: &mut Rng, src: u32, dst: u32) -> Vec<u8> {
    let dport = match rng.below(8) {
        0..=5 => rng.pick(&[7, 9, 53, 1234, 5555]),
        _ => match rng.u16() {
            ORACLE_PORT => 1,
            p => p,
        },
    };
    let sport = rng.pick(&[9, 53, 1234, 1024, rng.u16()]);
    let n = data_len(rng);
    let data = rng.bytes(n);
    let mut u = udp_msg(src, dst, sport, dport, &data);
    match rng.below(12) {
        0 => put16(&mut u, 6, 0),
        1 => put16(&mut u, 6, rng.u16()),
        2 => {
            let l = rng.pick(&[0, 7, 8, u.len() + 1, u.len() - 1, rng.u16() as usize]);
            put16(&mut u, 4, l as u16);
        }
        3 => u.truncate(rng.below(8)),
        _ => {}
    }
    u
}

/// A header and 8 bytes, as an ICMP error quotes them.
fn gen_quote(rng: &mut Rng, ctx: Ctx) -> Vec<u8> {
    let p = rng.pick(&[IPPROTO_UDP_U8, IPPROTO_UDP_U8, IPPROTO_ICMP_U8, IPPROTO_TCP_U8, rng.u8()]);
    let mut h = Hdr::new(p, ours(rng, ctx), dst_addr(rng, ctx));
    if rng.one_in(5) {
        h.opts = gen_options(rng, ctx);
    }
    let mut eight = rng.bytes(8);
    if p == IPPROTO_UDP_U8 {
        // Our sockets' ports, so that udp_ctlinput finds them.
        put16(&mut eight, 0, rng.pick(&[1234, 53, 7, rng.u16()]));
        put16(&mut eight, 2, rng.pick(&[9, 53, 7, rng.u16()]));
    }
    let mut q = build(&h, &eight);
    put16(&mut q, 2, rng.range(28, 1500) as u16);
    if rng.one_in(6) {
        let n = rng.below(q.len());
        q.truncate(n);
    }
    if !q.is_empty() && rng.one_in(8) {
        q[0] = rng.u8();
    }
    q
}

/// An ICMP message of any type, mostly well-formed.
fn gen_icmp(rng: &mut Rng, ctx: Ctx) -> Vec<u8> {
    let ty = rng.pick(&[
        ICMP_ECHO,
        ICMP_ECHO,
        ICMP_ECHO,
        ICMP_ECHOREPLY,
        ICMP_UNREACH,
        ICMP_UNREACH,
        ICMP_SOURCEQUENCH,
        ICMP_REDIRECT,
        ICMP_TIMXCEED,
        ICMP_PARAMPROB,
        ICMP_TSTAMP,
        ICMP_TSTAMPREPLY,
        ICMP_IREQ,
        ICMP_MASKREQ,
        ICMP_MASKREPLY,
        ICMP_ROUTERADVERT,
        rng.u8(),
    ]);
    let code = if rng.one_in(4) { rng.u8() } else { rng.below(6) as u8 };
    let body = match ty {
        ICMP_ECHO | ICMP_ECHOREPLY => {
            let n = data_len(rng);
            rng.bytes(4 + n)
        }
        ICMP_UNREACH | ICMP_SOURCEQUENCH | ICMP_REDIRECT | ICMP_TIMXCEED | ICMP_PARAMPROB => {
            let mut b = rng.bytes(4);
            b.extend(gen_quote(rng, ctx));
            b
        }
        ICMP_TSTAMP | ICMP_TSTAMPREPLY => rng.bytes(16),
        ICMP_MASKREQ | ICMP_MASKREPLY => rng.bytes(8),
        _ => {
            let n = rng.below(40);
            rng.bytes(n)
        }
    };
    let mut msg = vec![ty, code, 0, 0];
    msg.extend(body);
    if rng.one_in(6) {
        // Short of its type's length, or even of the ICMP header.
        let n = rng.below(msg.len());
        msg.truncate(n);
    }
    if msg.len() >= 4 && !rng.one_in(10) {
        let s = cksum(&msg);
        put16(&mut msg, 2, s);
    }
    msg
}

fn gen_payload(rng: &mut Rng, ctx: Ctx, p: u8, src: u32, dst: u32) -> Vec<u8> {
    match p {
        IPPROTO_ICMP_U8 => gen_icmp(rng, ctx),
        IPPROTO_UDP_U8 => gen_udp(rng, src, dst),
        _ => {
            let n = data_len(rng);
            rng.bytes(n)
        }
    }
}

fn gen_proto(rng: &mut Rng) -> u8 {
    match rng.below(10) {
        0..=2 => IPPROTO_ICMP_U8,
        3..=5 => IPPROTO_UDP_U8,
        6 => IPPROTO_IGMP_U8,
        7 => rng.pick(&[IPPROTO_TCP_U8, 255, 0, 50]),
        _ => rng.u8(),
    }
}

/// A well-formed datagram: header, options now and then, a payload for
/// its protocol; sometimes a lone fragment.
fn gen_structured(rng: &mut Rng, ctx: Ctx) -> Vec<u8> {
    let p = gen_proto(rng);
    let mut h = Hdr::new(p, src_addr(rng, ctx), dst_addr(rng, ctx));
    h.tos = if rng.one_in(4) { rng.u8() } else { 0 };
    h.id = rng.u16() & 0x3fff;
    h.ttl = rng.pick(&[64, 64, 1, 0, 255, rng.u8()]);
    h.off = match rng.below(14) {
        0 => IP_DF,
        1 => IP_MF | rng.below(4) as u16,
        2 => rng.range(1, 8191) as u16,
        3 => IP_MF,
        4 => rng.u16(),
        _ => 0,
    };
    if rng.one_in(3) {
        h.opts = gen_options(rng, ctx);
    }
    let payload = gen_payload(rng, ctx, p, h.src, h.dst);
    build(&h, &payload)
}

/// Random bytes; sometimes behind the first byte of a header.
fn gen_random(rng: &mut Rng) -> Vec<u8> {
    let n = if rng.one_in(8) { rng.below(1600) } else { rng.below(80) };
    let mut b = rng.bytes(n);
    if !b.is_empty() && rng.one_in(2) {
        b[0] = 0x40 | (b[0] & 0x0f);
        if rng.one_in(2) {
            set_sum(&mut b);
        }
    }
    b
}

/// Breaks what makes a header valid, then (mostly) makes its checksum
/// right again, so that the break reaches the code that checks it.
fn mutate(rng: &mut Rng, b: &mut Vec<u8>) {
    for _ in 0..rng.range(1, 3) {
        if b.len() < IP_HDRLEN {
            break;
        }
        let len = b.len();
        let hl = hlen(b);
        match rng.below(12) {
            0 => b[0] = (rng.u8() & 0xf0) | (b[0] & 0x0f),
            1 => b[0] = (b[0] & 0xf0) | (rng.u8() & 0x0f),
            2 | 3 => {
                let l = rng.pick(&[
                    rng.u16() as usize,
                    hl.saturating_sub(1),
                    hl,
                    19,
                    20,
                    0,
                    0xffff,
                    len.saturating_sub(1),
                    len + 1,
                    len + rng.below(100),
                    rng.below(len + 1),
                ]);
                put16(b, 2, l as u16);
            }
            4 => b.truncate(rng.below(len + 1)),
            5 => {
                let n = rng.range(1, 64);
                b.extend(rng.bytes(n));
            }
            6 => {
                let i = rng.below(IP_HDRLEN.max(hl).min(len));
                b[i] ^= 1 << rng.below(8);
            }
            7 => {
                let i = rng.below(len);
                b[i] ^= 1 << rng.below(8);
            }
            8 => {
                let o = rng.u16();
                put16(b, 6, o);
            }
            9 => b[8] = rng.pick(&[0, 1]),
            10 => b[9] = rng.u8(),
            _ => {
                // Options of every kind, with the header length to match.
                let o = pad(&gen_options(rng, Ctx { eth0: true }));
                let body = b[hl.clamp(IP_HDRLEN, len)..].to_vec();
                b.truncate(IP_HDRLEN);
                b.extend(&o);
                b.extend(body);
                b[0] = (b[0] & 0xf0) | ((IP_HDRLEN + o.len()) / 4) as u8;
                let l = b.len().min(0xffff) as u16;
                put16(b, 2, l);
            }
        }
    }
    if rng.below(10) < 7 {
        set_sum(b);
    }
}

/// A datagram cut into fragments, then mistreated: shuffled, reversed,
/// duplicated, with a piece missing, overlapping pieces of other data,
/// pieces past 64 KB, bad lengths, a last fragment that says more follow.
/// Ids come from a small set, so that series from one round meet.
fn gen_series(rng: &mut Rng, ctx: Ctx) -> Vec<Vec<u8>> {
    let p = rng.pick(&[
        IPPROTO_ICMP_U8,
        IPPROTO_ICMP_U8,
        IPPROTO_UDP_U8,
        IPPROTO_UDP_U8,
        IPPROTO_TCP_U8,
        IPPROTO_IGMP_U8,
        99,
    ]);
    let src = if rng.one_in(4) { src_addr(rng, ctx) } else { ours(rng, ctx) };
    let dst = if rng.one_in(4) { dst_addr(rng, ctx) } else { ours(rng, ctx) };
    let mut h = Hdr::new(p, src, dst);
    h.id = rng.range(1, 6) as u16;
    if rng.one_in(3) {
        h.opts = gen_options(rng, ctx);
    }
    let n = rng.range(8, 4000);
    let payload = match p {
        IPPROTO_ICMP_U8 => icmp_msg(ICMP_ECHO, rng.u16(), rng.u16(), &rng.bytes(n)),
        IPPROTO_UDP_U8 => {
            let dport = rng.pick(&[7, 9, 53, 1234]);
            udp_msg(src, dst, rng.u16(), dport, &rng.bytes(n))
        }
        _ => rng.bytes(n),
    };
    let len = payload.len();
    let unit = (8 * rng.range(1, 200)).max(len.div_ceil(100).next_multiple_of(8));
    let mut cuts: Vec<usize> = if rng.one_in(3) {
        (0..rng.range(1, 12)).map(|_| 8 * rng.below(len / 8 + 1)).collect()
    } else {
        (unit..len).step_by(unit).collect()
    };
    cuts.push(0);
    cuts.push(len);
    cuts.sort_unstable();
    cuts.dedup();
    let mut out: Vec<Vec<u8>> = Vec::new();
    for w in cuts.windows(2) {
        let o = if w[0] == 0 { h.opts.clone() } else { later_opts(rng, &h.opts) };
        out.push(frag(&h, &o, w[0], &payload[w[0]..w[1]], w[1] < len));
    }
    if rng.one_in(3) {
        rng.shuffle(&mut out);
    }
    if rng.one_in(4) {
        out.reverse();
    }
    if rng.one_in(4) {
        for _ in 0..rng.range(1, 3) {
            let d = out[rng.below(out.len())].clone();
            let at = rng.below(out.len() + 1);
            out.insert(at, d);
        }
    }
    if out.len() > 1 && rng.one_in(5) {
        let i = rng.below(out.len());
        out.remove(i);
    }
    if rng.one_in(4) {
        // Overlapping, other bytes.
        let off = 8 * rng.below(len / 8 + 1);
        let n = rng.range(1, 600);
        let f = frag(&h, &[], off, &rng.bytes(n), rng.one_in(2));
        let at = rng.below(out.len() + 1);
        out.insert(at, f);
    }
    if rng.one_in(8) {
        // Past IP_MAXPACKET.
        let off = 8 * rng.range(8000, 8191);
        let n = 8 * rng.range(1, 250);
        let f = frag(&h, &[], off, &rng.bytes(n), rng.one_in(2));
        let at = rng.below(out.len() + 1);
        out.insert(at, f);
    }
    if rng.one_in(8) {
        // Bad lengths: not a multiple of 8 with MF set, or empty.
        let off = 8 * rng.below(len / 8 + 1);
        let n = rng.pick(&[0, 1, 7, 9, rng.range(1, 100)]);
        let f = frag(&h, &[], off, &rng.bytes(n), rng.one_in(3) || n == 0);
        let at = rng.below(out.len() + 1);
        out.insert(at, f);
    }
    if rng.one_in(8) {
        // The last one says more follow.
        let i = rng.below(out.len());
        let o = get16(&out[i], 6) | IP_MF;
        put16(&mut out[i], 6, o);
        set_sum(&mut out[i]);
    }
    if rng.one_in(6) {
        let i = rng.below(out.len());
        mutate(rng, &mut out[i]);
    }
    if rng.one_in(10) {
        // Another datagram's piece: other protocol or source, same id.
        let i = rng.below(out.len());
        let mut f = out[i].clone();
        if f.len() < IP_HDRLEN {
            // Cut short by a mutation.
        } else if rng.one_in(2) {
            f[9] ^= 0x40;
        } else {
            f[15] ^= 1;
        }
        set_sum(&mut f);
        out.push(f);
    }
    out
}

// ---------------------------------------------------------------------
// The stack under test.

/// What is known of a datagram as ip_input takes it, to judge what the
/// stack sends back while processing it.
#[derive(Clone, Copy, Debug, Default)]
struct Seen {
    /// A fragment: what comes back may be about the whole datagram.
    frag: bool,
    /// Came as a link-level broadcast or multicast (M_BCAST, M_MCAST).
    flagged: bool,
    /// To a broadcast or multicast address.
    bcast_dst: bool,
    /// An ICMP error message itself.
    icmp_error: bool,
    rcvif: Option<usize>,
}

/// Whether `a` is an IP broadcast or multicast address for a datagram
/// that came in on `rcvif`.
fn bcast_addr(st: &Stack, a: InAddr, rcvif: Option<usize>) -> bool {
    in_multicast(a)
        || a == INADDR_BROADCAST
        || a == INADDR_ANY
        || rcvif.is_some_and(|i| in_broadcast(st, a, i))
}

fn seen(st: &Stack, b: &[u8], flags: u16, rcvif: Option<usize>) -> Seen {
    let mut s = Seen { flagged: flags & (M_BCAST | M_MCAST) != 0, rcvif, ..Seen::default() };
    if b.len() < IP_HDRLEN {
        return s;
    }
    let hl = hlen(b);
    let len = usize::from(get16(b, 2)).min(b.len());
    s.frag = get16(b, 6) & (IP_MF | IP_OFFMASK) != 0;
    s.bcast_dst = bcast_addr(st, addr(b, 16), rcvif);
    s.icmp_error = b[9] == IPPROTO_ICMP_U8 && hl >= IP_HDRLEN && len > hl && !icmp_infotype(b[hl]);
    s
}

/// Who queued a datagram on ipintrq.
#[derive(Clone, Copy, Debug)]
enum Origin {
    /// The fuzzer, as a device would.
    Injected,
    /// The stack, while processing a datagram it received.
    Reply(Seen),
    /// The stack, from ip_slowtimo (time exceeded in reassembly).
    Timer,
}

/// The counters one ip_input call may move.
#[derive(Clone, Copy)]
struct Snap {
    ip: Ipstat,
    udp: Udpstat,
    nfrags: usize,
    nqueues: usize,
    udp_records: usize,
}

/// `b - a` of a counter.
fn d(a: u64, b: u64) -> i64 {
    b.wrapping_sub(a) as i64
}

/// The counters of `a` and `b` that differ, for messages (read off
/// `Ipstat`'s Debug form, so that no field list is kept here).
fn ipstat_diff(a: &Ipstat, b: &Ipstat) -> String {
    let (a, b) = (format!("{a:#?}"), format!("{b:#?}"));
    a.lines()
        .zip(b.lines())
        .filter(|(x, y)| x != y)
        .map(|(x, y)| {
            format!(" {} -> {}", x.trim().trim_end_matches(','), y.trim().trim_end_matches(','))
        })
        .collect()
}

/// Checks what one ip_input call counted.
fn check_input(a: &Snap, b: &Snap) {
    let (x, y) = (&a.ip, &b.ip);
    let diff = ipstat_diff(x, y);
    macro_rules! dd {
        ($f:ident) => {
            d(x.$f, y.$f)
        };
    }
    assert_eq!(dd!(ips_total), 1, "ips_total:{diff}");
    // The book's reasons to drop a datagram, each counted once.
    let drops = [
        dd!(ips_toosmall),
        dd!(ips_badvers),
        dd!(ips_badhlen),
        dd!(ips_badsum),
        dd!(ips_badlen),
        dd!(ips_tooshort),
        dd!(ips_badoptions),
        dd!(ips_odropped),
        dd!(ips_cantforward),
    ];
    assert!(drops.iter().all(|&v| v == 0 || v == 1), "a drop counted twice:{diff}");
    // Dropped, or a fragment that waits (or is dropped) in reassembly, or
    // delivered (to a protocol, or counted ips_noproto by rip_input).
    let fates = drops.iter().sum::<i64>() + dd!(ips_fragments) - dd!(ips_reassembled)
        + dd!(ips_delivered)
        + dd!(ips_noproto);
    assert_eq!(fates, 1, "ipstat does not account for the datagram once:{diff}");
    assert!((0..=1).contains(&dd!(ips_reassembled)), "{diff}");
    let dq = b.nfrags as i64 - a.nfrags as i64;
    let dropped = dd!(ips_fragdropped);
    if dd!(ips_fragments) == 1 {
        if dd!(ips_reassembled) == 0 {
            // Queued, or dropped (with whatever it took along).
            assert_eq!(dq + dropped, 1, "fragment neither queued nor dropped ({dq}):{diff}");
        } else {
            assert!(dq + dropped < 0, "reassembled from nothing ({dq}):{diff}");
        }
    } else {
        assert_eq!(dd!(ips_fragments), 0, "{diff}");
        assert_eq!((dq, dropped, dd!(ips_reassembled)), (0, 0, 0), "not a fragment:{diff}");
        assert_eq!(a.nqueues, b.nqueues);
    }
    assert_eq!(dd!(ips_fragtimeout), 0, "{diff}");

    // UDP accounts for what it is given.
    let (u, v) = (&a.udp, &b.udp);
    let du = d(u.udps_ipackets, v.udps_ipackets);
    assert!((0..=1).contains(&du), "udps_ipackets {du}");
    if du == 1 {
        let appended = b.udp_records as i64 - a.udp_records as i64;
        let noport = d(u.udps_noport, v.udps_noport);
        let bcast = if noport == 0 { d(u.udps_noportbcast, v.udps_noportbcast) } else { 0 };
        let fates = d(u.udps_hdrops, v.udps_hdrops)
            + d(u.udps_badlen, v.udps_badlen)
            + d(u.udps_badsum, v.udps_badsum)
            + noport
            + bcast
            + d(u.udps_fullsock, v.udps_fullsock)
            + appended;
        assert_eq!(fates, 1, "udpstat does not account for the datagram once: {u:?} {v:?}");
    }
}

/// Every option in `o` has a length that fits.
fn check_options(o: &[u8]) {
    let mut i = 0;
    while i < o.len() {
        match o[i] {
            IPOPT_EOL => break,
            IPOPT_NOP => i += 1,
            _ => {
                let l = usize::from(o.get(i + 1).copied().unwrap_or(0));
                assert!(l >= 2 && i + l <= o.len(), "bad option at {i} in output: {}", hex(o));
                i += l;
            }
        }
    }
}

struct Net {
    st: Stack,
    lo0: usize,
    eth0: Option<usize>,
    udp: Vec<usize>,
    raw: Vec<(usize, u8)>,
    oracle_udp: usize,
    oracle_raw: usize,
    /// Beside ipintrq: who queued each datagram in it.
    shadow: VecDeque<Origin>,
    /// ip_input calls.
    inputs: u64,
    /// Originals of input that shares their clusters, and their bytes.
    keep: Vec<(Mbuf, Vec<u8>)>,
    /// Mbufs are scarce in this round.
    tight: bool,
    /// Oracle payloads sent to the oracle UDP socket, and those that
    /// must reach it.
    sent_udp: Vec<Vec<u8>>,
    expect_udp: Vec<Vec<u8>>,
    /// Echo replies (ICMP messages) that must reach the raw ICMP socket.
    expect_echo: Vec<Vec<u8>>,
    /// IP ids used this round (oracle datagrams take others).
    ids: Vec<u16>,
    oracles: u32,
    base: (usize, usize),
}

fn udp_socket(st: &mut Stack) -> usize {
    socreate(st, &INETDOMAIN, SOCK_DGRAM, 0, Cred::ROOT, 1).expect("udp socket")
}

fn attach_eth0(st: &mut Stack, mtu: u32) -> usize {
    let ifp =
        Ifnet::new(IfName::new("eth", 0).unwrap(), IfKind::Loopback, IFF_UP | IFF_BROADCAST, mtu);
    let ifp = if_attach(st, ifp).unwrap();
    add_addr(st, ifp, InAddr(ETH0), InAddr(ip4(255, 255, 255, 0)), None);
    ifp
}

fn add_addr(st: &mut Stack, ifp: usize, a: InAddr, mask: InAddr, dst: Option<InAddr>) {
    let mut req = [0u8; IFALIASREQ_LEN];
    set_sockaddr_at(&mut req, IFRA_ADDR, &SockaddrIn::new(a, 0)).unwrap();
    set_sockaddr_at(&mut req, IFRA_MASK, &SockaddrIn::new(mask, 0)).unwrap();
    if let Some(d) = dst {
        set_sockaddr_at(&mut req, IFRA_BROADADDR, &SockaddrIn::new(d, 0)).unwrap();
    }
    in_control(st, SIOCAIFADDR, &mut req, Some(ifp), true).unwrap();
}

fn default_route(st: &mut Stack, gw: u32, ifp: usize, ifa: u32) {
    let _ = (ifp, ifa);
    let gw = Some(Sockaddr::In(InAddr(gw)));
    rtrequest(st, Req::Add, INADDR_ANY, gw, Some(INADDR_ANY), RTF_GATEWAY, false).unwrap();
}

/// Reads every datagram queued on `so`, passing each to `f`; the
/// buffer is empty after.
fn drain_socket(st: &mut Stack, so: usize, mut f: impl FnMut(&[u8])) {
    for _ in 0..100_000 {
        match recv(st, so, 70_000, 0) {
            Ok((data, r)) => {
                assert_eq!(r.len, r.reclen, "datagram cut short");
                f(&data);
            }
            Err(EWOULDBLOCK) => break,
            // A pending error (ECONNREFUSED), read once.
            Err(_) => {}
        }
    }
    let sb = &st.so(so).so_rcv;
    assert!(sb.sb_mb.is_empty() && sb.sb_cc == 0, "socket buffer left with data");
}

impl Net {
    fn new(rng: &mut Rng) -> Net {
        let mut st = stack();
        let lo0 = ifunit(&st, b"lo0").unwrap();
        if rng.one_in(4) {
            st.ifp(lo0).if_data.ifi_mtu = rng.pick(&[68, 296, 576]);
        }
        let eth0 = if rng.one_in(2) {
            let mtu = rng.pick(&[1500, 576, 296, 68, 1006]);
            Some(attach_eth0(&mut st, mtu))
        } else {
            None
        };
        if rng.one_in(2) {
            match eth0 {
                Some(e) if rng.one_in(2) => default_route(&mut st, ip4(10, 0, 0, 254), e, ETH0),
                _ => default_route(&mut st, LOOP, lo0, LOOP),
            }
        }
        // The stack numbers what it sends from here: apart from the ids
        // of injected datagrams (below 0x4000) and oracles (0x8000 up),
        // so that its replies' fragments do not join their queues.
        st.ip_id = ID_STACK;
        st.icmpmaskrepl = rng.one_in(2);
        st.udpcksum = !rng.one_in(8);

        let mut udp = Vec::new();
        for (a, port) in [(0, 7), (LOOP, 53), (0, 1234), (ETH0, 5555)] {
            if rng.one_in(3) || (a == ETH0 && eth0.is_none()) {
                continue;
            }
            let so = udp_socket(&mut st);
            sobind(&mut st, so, &sin(a, port)).unwrap();
            if port == 1234 && rng.one_in(2) {
                soconnect(&mut st, so, &sin(LOOP, 9)).unwrap();
            }
            if rng.one_in(4) {
                // Small: a full buffer drops.
                st.so(so).so_rcv.sbreserve(rng.range(1, 2000), SB_MAX).unwrap();
            }
            udp.push(so);
        }
        let oracle_udp = udp_socket(&mut st);
        sobind(&mut st, oracle_udp, &sin(0, ORACLE_PORT)).unwrap();
        st.so(oracle_udp).so_rcv.sbreserve(240_000, SB_MAX).unwrap();

        let mut raw = Vec::new();
        for p in [0u8, IPPROTO_IGMP_U8, IPPROTO_TCP_U8, 99, IPPROTO_ICMP_U8] {
            if rng.one_in(2) {
                continue;
            }
            let so = common::raw(&mut st, i32::from(p));
            match rng.below(5) {
                0 => sobind(&mut st, so, &sin(LOOP, 0)).unwrap(),
                1 => soconnect(&mut st, so, &sin(FAR, 0)).unwrap(),
                _ => {}
            }
            if rng.one_in(4) {
                st.so(so).so_rcv.sbreserve(rng.range(1, 3000), SB_MAX).unwrap();
            } else {
                st.so(so).so_rcv.sbreserve(100_000, SB_MAX).unwrap();
            }
            raw.push((so, p));
        }
        let oracle_raw = common::raw(&mut st, i32::from(IPPROTO_ICMP_U8));
        st.so(oracle_raw).so_rcv.sbreserve(240_000, SB_MAX).unwrap();

        let tight = rng.one_in(8);
        let base = (st.mbpool.mbstat.m_mbufs, st.mbpool.mbstat.m_clusters);
        Net {
            st,
            lo0,
            eth0,
            udp,
            raw,
            oracle_udp,
            oracle_raw,
            shadow: VecDeque::new(),
            inputs: 0,
            keep: Vec::new(),
            tight,
            sent_udp: Vec::new(),
            expect_udp: Vec::new(),
            expect_echo: Vec::new(),
            ids: Vec::new(),
            oracles: 0,
            base,
        }
    }

    fn ctx(&self) -> Ctx {
        Ctx { eth0: self.eth0.is_some() }
    }

    fn snap(&mut self) -> Snap {
        let st = &mut self.st;
        let mut udp_records = 0;
        for &so in self.udp.iter().chain([&self.oracle_udp]) {
            udp_records += st.so(so).so_rcv.sb_mb.len();
        }
        Snap {
            ip: st.ipstat,
            udp: st.udpstat,
            nfrags: st.ipq.nfrags(),
            nqueues: st.ipq.nqueues(),
            udp_records,
        }
    }

    /// `b` as a device might hand it over: in one mbuf or a cluster, with
    /// room in front or not; cut into a chain of mbufs (the header among
    /// several, empty ones); or in clusters shared with the driver.
    fn device_mbuf(&mut self, rng: &mut Rng, b: &[u8]) -> Mbuf {
        let mp = &mut self.st.mbpool;
        match rng.below(10) {
            0..=4 => m_devget(mp, b, rng.pick(&[0, 0, 16, MHLEN]), None).unwrap(),
            5..=7 => {
                let mut m = m_gethdr(mp, MT_DATA).unwrap();
                let k = rng.below(b.len().min(MHLEN) + 1);
                m.set_len(k).unwrap();
                m.mtod_mut().unwrap().copy_from_slice(&b[..k]);
                m.m_pkthdr_mut().unwrap().len = b.len();
                let mut rest = &b[k..];
                let mut pieces = Vec::new();
                while !rest.is_empty() || rng.one_in(8) {
                    let mut n = m_get(mp, MT_DATA).unwrap();
                    let want = match rng.below(4) {
                        0 => rng.below(4),
                        1 | 2 => rng.range(1, MLEN),
                        _ => rng.range(MLEN, MCLBYTES),
                    };
                    let k = want.min(rest.len());
                    if k > MLEN {
                        m_clget(mp, &mut n).unwrap();
                    }
                    n.set_len(k).unwrap();
                    n.mtod_mut().unwrap().copy_from_slice(&rest[..k]);
                    rest = &rest[k..];
                    pieces.push(n);
                }
                let mut next = None;
                while let Some(mut p) = pieces.pop() {
                    p.set_next(next);
                    next = Some(p);
                }
                m.set_next(next);
                m
            }
            _ => {
                let orig = m_devget(mp, b, 0, None).unwrap();
                let copy = m_copym(mp, &orig, 0, M_COPYALL).unwrap();
                self.keep.push((orig, b.to_vec()));
                copy
            }
        }
    }

    /// Feeds `b` as received on lo0 (or eth0), and processes it and all
    /// it leads to.
    fn inject(&mut self, rng: &mut Rng, b: &[u8], log: &mut Vec<Vec<u8>>) {
        log.push(b.to_vec());
        if b.len() >= 6 {
            self.ids.push(get16(b, 4));
        }
        let mut m = self.device_mbuf(rng, b);
        assert_eq!(m.m_pkthdr().unwrap().len, m.m_length());
        // The link's broadcast and multicast flags, mostly as the
        // destination would have them.
        if b.len() >= IP_HDRLEN {
            let dst = addr(b, 16);
            if in_multicast(dst) && !rng.one_in(4) {
                m.set_flags(M_MCAST);
            } else if (bcast_addr(&self.st, dst, self.eth0) && !rng.one_in(4)) || rng.one_in(40) {
                m.set_flags(M_BCAST);
            }
        }
        if self.tight {
            let s = &self.st.mbpool.mbstat;
            let (mbufs, clusters) = (s.m_mbufs, s.m_clusters);
            self.st.mbpool.nmbufs = mbufs + rng.below(24);
            self.st.mbpool.nmbclusters = clusters + rng.below(4);
        }
        assert!(self.st.ipintrq.is_empty());
        match self.eth0 {
            Some(e) if rng.one_in(4) => {
                m.m_pkthdr_mut().unwrap().rcvif = Some(e);
                if let Err(m) = self.st.ipintrq.enqueue(m) {
                    m_freem(&mut self.st.mbpool, m);
                }
            }
            _ => {
                let dst = if b.len() >= IP_HDRLEN { addr(b, 16) } else { INADDR_ANY };
                looutput(&mut self.st, self.lo0, m, dst).unwrap();
            }
        }
        self.shadow.push_back(Origin::Injected);
        self.pump();
        self.st.mbpool.nmbufs = usize::MAX;
        self.st.mbpool.nmbclusters = usize::MAX;
    }

    /// The software interrupt, one datagram at a time: `ipintr`, with
    /// each datagram judged, each ip_input call's counting checked, and
    /// what the stack queues meanwhile remembered as its replies.
    fn pump(&mut self) {
        let mut n = 0;
        while let Some(m) = self.st.ipintrq.dequeue() {
            let origin = self.shadow.pop_front().expect("ipintrq and its shadow differ");
            n += 1;
            assert!(n < 20_000, "the stack keeps sending");
            let b = all(&m);
            let pktlen = m.m_pkthdr().map(|h| h.len);
            assert_eq!(pktlen, Some(b.len()), "m_pkthdr.len");
            let rcvif = m.m_pkthdr().and_then(|h| h.rcvif);
            if !matches!(origin, Origin::Injected) {
                self.check_output(&b, origin);
            }
            let seen = seen(&self.st, &b, m.m_flags(), rcvif);
            let before = self.snap();
            let q0 = self.st.ipintrq.len();
            ip_input(&mut self.st, m);
            self.inputs += 1;
            let after = self.snap();
            check_input(&before, &after);
            for _ in q0..self.st.ipintrq.len() {
                self.shadow.push_back(Origin::Reply(seen));
            }
        }
        assert!(self.shadow.is_empty(), "ipintrq and its shadow differ");
        // The rest of the software interrupt: m_reclaim's drain.
        self.st.softint();
    }

    /// A datagram the stack sent (and looped back to itself).
    fn check_output(&self, b: &[u8], origin: Origin) {
        let st = &self.st;
        assert!(b.len() >= IP_HDRLEN, "output shorter than a header");
        assert_eq!(b[0] >> 4, IPVERSION, "output version");
        let hl = hlen(b);
        assert!((IP_HDRLEN..=b.len()).contains(&hl), "output header length {hl}");
        assert_eq!(usize::from(get16(b, 2)), b.len(), "output ip_len");
        assert_eq!(cksum(&b[..hl]), 0, "output header checksum");
        assert_ne!(b[8], 0, "output TTL");
        let src = addr(b, 12);
        assert!(st.in_ifaddr.iter().any(|ia| ia.ia_addr == src), "output from {src:?}");
        check_options(&b[IP_HDRLEN..hl]);
        assert_eq!(b[9], IPPROTO_ICMP_U8, "input makes nothing but ICMP");
        if get16(b, 6) & (IP_MF | IP_OFFMASK) != 0 {
            return; // A fragment of a long reply.
        }
        let icmp = &b[hl..];
        assert!(icmp.len() >= ICMP_MINLEN, "ICMP shorter than its header");
        assert_eq!(cksum(icmp), 0, "ICMP checksum");
        if icmp_infotype(icmp[0]) {
            return;
        }
        assert!(
            matches!(icmp[0], ICMP_UNREACH | ICMP_TIMXCEED | ICMP_PARAMPROB),
            "ICMP type {}",
            icmp[0]
        );
        // The datagram the error is about: its header and 8 bytes.
        let q = &icmp[ICMP_MINLEN..];
        assert!(q.len() >= IP_HDRLEN, "quote shorter than a header");
        let qhl = hlen(q);
        assert!(qhl >= IP_HDRLEN && qhl <= q.len(), "quote of {} for {qhl}", q.len());
        let qlen = usize::from(get16(q, 2));
        assert_eq!(q.len(), qhl + qlen.saturating_sub(qhl).min(8), "quote length");
        assert_eq!(get16(q, 6) & IP_OFFMASK, 0, "error about a fragment other than the first");
        let (qsrc, qdst) = (addr(q, 12), addr(q, 16));
        assert_eq!(addr(b, 16), qsrc, "error not sent to the source");
        assert!(
            qsrc != INADDR_ANY && qsrc != INADDR_BROADCAST && !in_multicast(qsrc),
            "error to {qsrc:?}, which names no single host"
        );
        if q[9] == IPPROTO_ICMP_U8 && q.len() > qhl {
            assert!(icmp_infotype(q[qhl]), "ICMP error about an ICMP error (type {})", q[qhl]);
        }
        let rcvif = match origin {
            Origin::Reply(s) => s.rcvif,
            _ => None,
        };
        // A source route rewrites ip_dst (to a next hop, which may be
        // anything): only a header without options shows where the
        // datagram was sent. (`Seen` judges whole datagrams as they came.)
        let arrived = qhl == IP_HDRLEN;
        assert!(!arrived || !bcast_addr(st, qdst, rcvif), "ICMP error about one to {qdst:?}");
        if let (Origin::Timer, true) = (origin, arrived) {
            // Reassembled datagrams are ours: for one of our addresses,
            // or a broadcast of some interface.
            let bcast = st.ifnet.iter().any(|(i, _)| in_broadcast(st, qdst, i));
            let ours = st.in_ifaddr.iter().any(|ia| ia.ia_addr == qdst);
            assert!(ours || !bcast, "reassembly error about a broadcast to {qdst:?}");
        }
        if let Origin::Reply(s) = origin {
            if !s.frag {
                assert!(!s.flagged, "ICMP error about a link-level broadcast");
                assert!(!s.bcast_dst, "ICMP error about a broadcast or multicast");
                assert!(!s.icmp_error, "ICMP error about an ICMP error");
            }
        }
    }

    /// One tick of ip_slowtimo, and what it sends.
    fn slowtimo(&mut self) {
        let a = self.snap();
        ip_slowtimo(&mut self.st);
        let b = self.snap();
        let diff = ipstat_diff(&a.ip, &b.ip);
        let expired = a.nqueues - b.nqueues;
        assert_eq!(d(a.ip.ips_fragtimeout, b.ip.ips_fragtimeout), expired as i64, "{diff}");
        assert_eq!(a.ip.ips_fragdropped, b.ip.ips_fragdropped, "{diff}");
        assert_eq!(a.ip.ips_total, b.ip.ips_total, "{diff}");
        for _ in 0..self.st.ipintrq.len() {
            self.shadow.push_back(Origin::Timer);
        }
        self.pump();
    }

    /// ip_drain: every queued fragment freed and counted.
    fn drain(&mut self) {
        let a = self.snap();
        ip_drain(&mut self.st);
        let b = self.snap();
        assert_eq!((b.nqueues, b.nfrags), (0, 0));
        assert_eq!(d(a.ip.ips_fragdropped, b.ip.ips_fragdropped), a.nfrags as i64);
    }

    /// An id no datagram of this round has used.
    fn fresh_id(&mut self) -> u16 {
        loop {
            self.oracles += 1;
            let id = 0x8000 | (self.oracles as u16 * 0x1f3);
            if !self.ids.contains(&id) {
                return id;
            }
        }
    }

    /// Whether a datagram of `n` fragments surely fits in the reassembly
    /// queues, and mbufs are plentiful, so that it must arrive.
    fn must_arrive(&self, n: usize) -> bool {
        let q = &self.st.ipq;
        !self.tight
            && q.nqueues() + 1 < q.maxfragpackets
            && q.nfrags() + n < q.maxfrags
            && n <= q.maxfragsperpacket
    }

    /// A valid UDP datagram to the oracle port, or a valid echo request,
    /// perhaps fragmented in any order: it must get through intact.
    fn oracle(&mut self, rng: &mut Rng, log: &mut Vec<Vec<u8>>) {
        let ctx = self.ctx();
        let echo = rng.one_in(2);
        let dst = ours(rng, ctx);
        let src = if rng.one_in(3) { ours(rng, ctx) } else { LOOP };
        let mut data = MARK.to_vec();
        data.extend((self.oracles + 1).to_be_bytes());
        let n = data_len(rng);
        data.extend(rng.bytes(n));
        let mut h = Hdr::new(IPPROTO_UDP_U8, src, dst);
        h.id = self.fresh_id();
        h.ttl = rng.pick(&[1, 64, 255]);
        if rng.one_in(2) {
            h.opts = valid_options(rng, ctx, !echo);
        }
        let mut expect = None;
        let payload = if echo {
            h.p = IPPROTO_ICMP_U8;
            let req = icmp_msg(ICMP_ECHO, h.id, rng.u16(), &data);
            let mut reply = req.clone();
            reply[0] = ICMP_ECHOREPLY;
            put16(&mut reply, 2, 0);
            let s = cksum(&reply);
            put16(&mut reply, 2, s);
            // The reply, with options, in fragments for the smallest MTU,
            // must fit in ipintrq, where they all wait at once.
            let mtu = self.st.ifnet.iter().map(|(_, i)| i.if_data.ifi_mtu).min().unwrap_or(68);
            let per = (mtu as usize - IP_MAXHDRLEN) & !7;
            if req.len().div_ceil(per) < IFQ_MAXLEN {
                expect = Some(reply);
            }
            req
        } else {
            let mut u = udp_msg(src, dst, rng.u16() | 1, ORACLE_PORT, &data);
            if rng.one_in(4) {
                put16(&mut u, 6, 0);
            }
            u
        };
        let len = payload.len();
        let mut frags = if len > 8 && rng.one_in(2) {
            let unit = (8 * rng.range(1, 64)).max(len.div_ceil(60).next_multiple_of(8));
            let cuts: Vec<usize> = (0..len).step_by(unit).chain([len]).collect();
            let mut v = Vec::new();
            for w in cuts.windows(2) {
                let o = if w[0] == 0 { h.opts.clone() } else { later_opts(rng, &h.opts) };
                // Source routes are copied into every fragment: a copy
                // that has ended here is as valid as the first.
                v.push(frag(&h, &o, w[0], &payload[w[0]..w[1]], w[1] < len));
            }
            if rng.one_in(2) {
                rng.shuffle(&mut v);
            }
            if rng.one_in(4) {
                let dup = v[rng.below(v.len())].clone();
                let at = rng.below(v.len() + 1);
                v.insert(at, dup);
            }
            v
        } else {
            vec![build(&h, &payload)]
        };
        if !echo {
            self.sent_udp.push(data.clone());
            if self.must_arrive(frags.len()) {
                self.expect_udp.push(data);
            }
        }
        if let (Some(reply), true) = (expect, self.must_arrive(frags.len())) {
            self.expect_echo.push(reply);
        }
        for f in frags.drain(..) {
            self.inject(rng, &f, log);
        }
    }

    /// Times out what reassembly holds, reads every socket, and checks
    /// that every mbuf came back and every oracle datagram arrived.
    fn finish(mut self) {
        for _ in 0..3 * IPFRAGTTL as usize {
            if self.st.ipq.nqueues() == 0 {
                break;
            }
            self.slowtimo();
        }
        assert_eq!(
            (self.st.ipq.nqueues(), self.st.ipq.nfrags()),
            (0, 0),
            "queues outlive IPFRAGTTL"
        );
        self.st.softint();
        assert!(self.st.ipintrq.is_empty());
        assert_eq!(self.st.ipstat.ips_total, self.inputs, "ips_total");

        for (m, b) in self.keep.drain(..) {
            assert!(all(&m) == b, "a cluster shared with the driver was written");
            m_freem(&mut self.st.mbpool, m);
        }
        let st = &mut self.st;
        for &(so, p) in &self.raw {
            drain_socket(st, so, |d| check_raw(d, p));
        }
        let mut echoes = Vec::new();
        drain_socket(st, self.oracle_raw, |d| {
            check_raw(d, IPPROTO_ICMP_U8);
            let hl = hlen(d);
            if d[hl] == ICMP_ECHOREPLY {
                echoes.push(d[hl..].to_vec());
            }
        });
        // An injected datagram with the id of a reply (a mutation can
        // make one) may have joined the reply's reassembly; a full buffer
        // may have dropped it.
        let used = ID_STACK..=st.ip_id;
        if self.ids.iter().any(|id| used.contains(id)) || st.so(self.oracle_raw).so_rcv.sb_drops > 0
        {
            ORACLES_WAIVED.fetch_add(self.expect_echo.len() as u64, Relaxed);
            self.expect_echo.clear();
        }
        ORACLES_CHECKED.fetch_add(self.expect_echo.len() as u64, Relaxed);
        for e in &self.expect_echo {
            assert!(echoes.contains(e), "echo reply never came: {}", hex(e));
        }
        for &so in &self.udp {
            drain_socket(st, so, |_| {});
        }
        let mut got = Vec::new();
        drain_socket(st, self.oracle_udp, |d| got.push(d.to_vec()));
        for g in &got {
            if g.starts_with(MARK) {
                assert!(self.sent_udp.contains(g), "oracle datagram corrupted: {}", hex(g));
            }
        }
        if st.so(self.oracle_udp).so_rcv.sb_drops > 0 {
            ORACLES_WAIVED.fetch_add(self.expect_udp.len() as u64, Relaxed);
            self.expect_udp.clear();
        }
        ORACLES_CHECKED.fetch_add(self.expect_udp.len() as u64, Relaxed);
        for e in &self.expect_udp {
            assert!(got.contains(e), "oracle datagram never came: {}", hex(e));
        }
        count_totals(st);
        let s = &st.mbpool.mbstat;
        assert_eq!((s.m_mbufs, s.m_clusters), self.base, "mbufs and clusters leaked");
        let mut all_sockets: Vec<usize> = self.udp.clone();
        all_sockets.extend(self.raw.iter().map(|r| r.0));
        all_sockets.extend([self.oracle_udp, self.oracle_raw]);
        for so in all_sockets {
            soclose(st, so);
        }
        let s = &st.mbpool.mbstat;
        assert_eq!((s.m_mbufs, s.m_clusters), (0, 0), "mbufs and clusters leaked");
        assert_eq!(st.invariant_failures, 0, "an invariant failed");
    }
}

/// A datagram a raw socket of protocol `p` received: whole, as ip_input
/// passed it up.
fn check_raw(d: &[u8], p: u8) {
    assert!(d.len() >= IP_HDRLEN, "raw: {}", hex(d));
    assert_eq!(d[0] >> 4, IPVERSION);
    let hl = hlen(d);
    assert!(hl >= IP_HDRLEN && hl <= d.len(), "raw: header length {hl} of {}", d.len());
    assert_eq!(usize::from(get16(d, 2)), d.len(), "raw: ip_len");
    assert_eq!(get16(d, 6) & (IP_MF | IP_OFFMASK), 0, "raw: a fragment");
    assert!(p == 0 || d[9] == p, "raw socket of protocol {p} got {}", d[9]);
    check_options(&d[IP_HDRLEN..hl]);
}

fn stack_round(rng: &mut Rng, log: &mut Vec<Vec<u8>>) {
    let mut net = Net::new(rng);
    for _ in 0..rng.range(1, 40) {
        let ctx = net.ctx();
        match rng.below(100) {
            0..=29 => {
                let b = gen_structured(rng, ctx);
                net.inject(rng, &b, log);
            }
            30..=44 => {
                let mut b = gen_structured(rng, ctx);
                mutate(rng, &mut b);
                net.inject(rng, &b, log);
            }
            45..=54 => {
                let b = gen_random(rng);
                net.inject(rng, &b, log);
            }
            55..=74 => {
                for f in gen_series(rng, ctx) {
                    net.inject(rng, &f, log);
                }
            }
            75..=89 => net.oracle(rng, log),
            90..=97 => net.slowtimo(),
            _ => net.drain(),
        }
    }
    net.finish();
}

/// Oracle datagrams checked, and those whose check was waived.
static ORACLES_CHECKED: AtomicU64 = AtomicU64::new(0);
static ORACLES_WAIVED: AtomicU64 = AtomicU64::new(0);

/// Counters summed over all rounds, to see what the generators reach.
static TOTALS: Mutex<BTreeMap<&str, u64>> = Mutex::new(BTreeMap::new());

/// The counters a long enough run must have moved: every way ip_input,
/// reassembly, ICMP and UDP drop or answer a datagram (the rarest ones,
/// such as ips_odropped, only take longer).
const MUST_REACH: &[&str] = &[
    "ips_badsum",
    "ips_tooshort",
    "ips_toosmall",
    "ips_badhlen",
    "ips_badlen",
    "ips_badvers",
    "ips_badoptions",
    "ips_cantforward",
    "ips_fragdropped",
    "ips_fragtimeout",
    "ips_reassembled",
    "ips_noproto",
    "ips_toolong",
    "ips_badfrags",
    "icps_oldicmp",
    "icps_oldshort",
    "icps_reflect",
    "icps_checksum",
    "icps_badlen",
    "udps_badsum",
    "udps_badlen",
    "udps_noport",
    "udps_noportbcast",
    "udps_fullsock",
    "m_drops",
];

fn count_totals(st: &Stack) {
    let mut t = TOTALS.lock().unwrap();
    let (ip, icmp, udp) = (&st.ipstat, &st.icmpstat, &st.udpstat);
    macro_rules! add {
        ($s:ident: $($f:ident),*) => { $( *t.entry(stringify!($f)).or_insert(0) += $s.$f; )* };
    }
    add!(ip: ips_badsum, ips_tooshort, ips_toosmall, ips_badhlen, ips_badlen, ips_badvers);
    add!(ip: ips_badoptions, ips_odropped, ips_cantforward, ips_fragments, ips_fragdropped);
    add!(ip: ips_fragtimeout, ips_reassembled, ips_delivered, ips_noproto, ips_toolong);
    add!(ip: ips_badfrags);
    add!(icmp: icps_error, icps_oldicmp, icps_oldshort, icps_reflect, icps_checksum, icps_badlen);
    add!(udp: udps_ipackets, udps_badsum, udps_badlen, udps_noport, udps_noportbcast);
    add!(udp: udps_fullsock);
    *t.entry("m_drops").or_insert(0) += st.mbpool.mbstat.m_drops;
}

#[test]
fn fuzz_ip_input() {
    let rounds = run_fuzz("fuzz_ip_input", 0.75, stack_round);
    let (c, w) = (ORACLES_CHECKED.load(Relaxed), ORACLES_WAIVED.load(Relaxed));
    let t = TOTALS.lock().unwrap();
    eprintln!("fuzz_ip_input: {c} oracle datagrams arrived intact, {w} not checked; {t:?}");
    // Not for a single round (BSDINET_FUZZ_ROUND), which may have none.
    assert!(c > 0 || rounds < 100, "no oracle datagram was checked");
    if rounds >= 2000 {
        for k in MUST_REACH {
            assert!(t.get(k).copied().unwrap_or(0) > 0, "{rounds} rounds never moved {k}");
        }
    }
}

// ---------------------------------------------------------------------
// The option code, directly.

/// The router of `tests/ip_options.rs`, smaller: lo0, eth0 10.0.0.1/24
/// (broadcast), ppp0 172.16.0.1 -> 172.16.0.2; a default route via eth0
/// or none.
fn router(rng: &mut Rng) -> (Stack, [Option<usize>; 5]) {
    let mut st = stack();
    let lo0 = ifunit(&st, b"lo0").unwrap();
    let eth0 = attach_eth0(&mut st, 1500);
    let ppp = Ifnet::new(
        IfName::new("ppp", 0).unwrap(),
        IfKind::Loopback,
        IFF_UP | IFF_POINTOPOINT,
        1500,
    );
    let ppp0 = if_attach(&mut st, ppp).unwrap();
    add_addr(&mut st, ppp0, InAddr(PPP0), InAddr(!0), Some(InAddr(PPP0_DST)));
    if rng.one_in(2) {
        default_route(&mut st, ip4(10, 0, 0, 254), eth0, ETH0);
    }
    (st, [None, Some(lo0), Some(eth0), Some(ppp0), Some(77)])
}

/// Where the walk of options `o` (the bytes after the fixed header)
/// finds something that `ip_dooptions` must refuse whatever the
/// addresses: a length that does not fit, a route or timestamp too short
/// for its pointer, a pointer into the option's own header. `None` when
/// the options hold together. Also whether all the options are ones
/// `ip_dooptions` passes over.
fn walk(o: &[u8]) -> (Option<usize>, bool) {
    let mut passive = true;
    let mut i = 0;
    while i < o.len() {
        let t = o[i];
        if t == IPOPT_EOL {
            break;
        }
        if t == IPOPT_NOP {
            i += 1;
            continue;
        }
        let Some(&l) = o.get(i + 1) else { return (Some(i), passive) };
        let l = usize::from(l);
        if l < 2 || l > o.len() - i {
            return (Some(i), passive);
        }
        let ptr = o.get(i + 2).copied().unwrap_or(0);
        match t {
            IPOPT_RR | IPOPT_LSRR | IPOPT_SSRR => {
                passive = false;
                if l < 3 || ptr < IPOPT_MINOFF {
                    return (Some(i), passive);
                }
            }
            IPOPT_TS => {
                passive = false;
                if l < 5 || ptr < 5 {
                    return (Some(i), passive);
                }
            }
            _ => {}
        }
        i += l;
    }
    (None, passive)
}

fn options_round(rng: &mut Rng, log: &mut Vec<Vec<u8>>) {
    let (mut st, ifs) = router(rng);
    let ctx = Ctx { eth0: true };
    let addrs = [ETH0, PPP0, PPP0_DST, ETH0_BCAST, ETH0_PEER, FAR, LOOP, 0, MCAST];
    let mut keep: Vec<(Mbuf, Vec<u8>)> = Vec::new();
    for _ in 0..rng.range(1, 32) {
        let opts = match rng.below(4) {
            0 => {
                let n = rng.below(41);
                rng.bytes(n)
            }
            1 => valid_options(rng, ctx, true),
            _ => gen_options(rng, ctx),
        };
        let a = |rng: &mut Rng| if rng.one_in(6) { rng.u32() } else { rng.pick(&addrs) };
        let h = Hdr { opts, ..Hdr::new(IPPROTO_UDP_U8, a(rng), a(rng)) };
        let n = if rng.one_in(4) { rng.range(200, 600) } else { rng.below(64) };
        let mut b = build(&h, &rng.bytes(n));
        if rng.one_in(6) {
            // ip_hl that lies.
            b[0] = 0x40 | (rng.u8() & 0x0f);
        }
        if rng.one_in(10) {
            let k = rng.below(b.len() + 1);
            b.truncate(k);
        }
        log.push(b.clone());
        let rcvif = rng.pick(&ifs);
        let shared = b.len() >= MINCLSIZE && rng.one_in(3);
        let mut m = if shared {
            let orig = m_devget(&mut st.mbpool, &b, 0, rcvif).unwrap();
            let copy = m_copym(&mut st.mbpool, &orig, 0, M_COPYALL).unwrap();
            keep.push((orig, b.clone()));
            copy
        } else if rng.one_in(3) && b.len() > 4 {
            // The header across two mbufs.
            let k = rng.range(1, b.len().min(MHLEN) - 1);
            let mut m = m_devget(&mut st.mbpool, &b[..k], 0, rcvif).unwrap();
            let mut n = m_get(&mut st.mbpool, MT_DATA).unwrap();
            if b.len() - k > MLEN {
                m_clget(&mut st.mbpool, &mut n).unwrap();
            }
            n.set_len(b.len() - k).unwrap();
            n.mtod_mut().unwrap().copy_from_slice(&b[k..]);
            m.set_next(Some(n));
            m.m_pkthdr_mut().unwrap().len = b.len();
            m
        } else {
            m_devget(&mut st.mbpool, &b, rng.pick(&[0, 40]), rcvif).unwrap()
        };
        if b.is_empty() {
            assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
            m_freem(&mut st.mbpool, m);
            continue;
        }
        let hl = hlen(&b);
        let (bad, passive) =
            if hl > IP_HDRLEN && hl <= b.len() { walk(&b[IP_HDRLEN..hl]) } else { (None, true) };
        for _ in 0..rng.range(1, 3) {
            let before = all(&m);
            let count = st.ipstat.ips_badoptions;
            let res = ip_dooptions(&mut st, &mut m);
            let after = all(&m);
            assert_eq!(after.len(), before.len(), "ip_dooptions changed the length");
            assert_eq!(m.m_pkthdr().unwrap().len, before.len());
            let errs = st.ipstat.ips_badoptions - count;
            assert_eq!(errs, u64::from(matches!(res, DoOpt::Error { .. })), "{res:?}");
            match res {
                DoOpt::Drop => {
                    // ip_hl beyond the datagram; or the header, to be
                    // changed, not contiguous as ip_input leaves it.
                    let whole = hl > IP_HDRLEN && hl > b.len();
                    assert!(whole || m.m_len() < hl, "Drop of a datagram that holds its header");
                    assert!(after == before);
                }
                DoOpt::Error { ty: ICMP_PARAMPROB, code: 0, ptr } => {
                    let ptr = usize::from(ptr);
                    assert!((IP_HDRLEN..hl).contains(&ptr), "parameter problem at {ptr} of {hl}");
                    if let Some(at) = bad {
                        assert!(ptr <= IP_HDRLEN + at + IPOPT_OFFSET, "pointer {ptr} past {at}");
                    }
                }
                DoOpt::Error { ty: ICMP_UNREACH, code, ptr } => {
                    assert!(code == ICMP_UNREACH_HOST || code == ICMP_UNREACH_SRCFAIL, "{res:?}");
                    assert_eq!(ptr, 0);
                }
                DoOpt::Error { .. } => panic!("{res:?}"),
                DoOpt::Continue | DoOpt::Forward => {
                    assert!(bad.is_none(), "options broken at {bad:?} accepted: {res:?}");
                }
            }
            if hl <= IP_HDRLEN || (passive && bad.is_none()) {
                assert!(matches!(res, DoOpt::Continue | DoOpt::Drop), "{res:?}");
                assert!(after == before, "options that ask nothing changed the datagram");
            }
            // Only ip_dst and the options change.
            let end = hl.max(IP_HDRLEN).min(before.len());
            assert_eq!(&after[..16.min(before.len())], &before[..16.min(before.len())]);
            assert_eq!(&after[end..], &before[end..]);
            if after.get(16..20) != before.get(16..20) {
                let o = &before[IP_HDRLEN..end];
                assert!(o.contains(&IPOPT_LSRR) || o.contains(&IPOPT_SSRR), "ip_dst changed");
            }
            if res == DoOpt::Forward {
                assert!(!in_multicast(addr(&after, 16)), "forward to a multicast next hop");
            }
            if let Some(o) = ip_srcroute(&st) {
                assert!(o.ipopt_len <= MAX_IPOPTLEN && o.ipopt_len % 4 == 0, "{o:?}");
                let l = o.options();
                assert_eq!(l[0], IPOPT_NOP);
                assert!(l[1] == IPOPT_LSRR || l[1] == IPOPT_SSRR);
                assert_eq!(usize::from(l[2]), o.ipopt_len - 1);
                assert_eq!(l[3], IPOPT_MINOFF);
                assert!(o.ipopt_dst != INADDR_ANY || l.len() >= 8);
            }
        }
        // Fragments' copies of the options.
        let whole = all(&m);
        if whole.len() >= IP_HDRLEN && hl <= whole.len() && bad.is_none() {
            let mut dst = vec![0xeeu8; rng.below(MAX_IPOPTLEN + 1)];
            let cut = hl.min(whole.len());
            let k = ip_optcopy(&whole[..cut], &mut dst);
            assert!(k <= dst.len() && k % 4 == 0 || k == 0, "ip_optcopy gave {k} of {}", dst.len());
            assert!(k <= cut.saturating_sub(IP_HDRLEN).next_multiple_of(4));
            // Only options whose copied bit is set, whole, then EOL.
            let mut i = 0;
            while i < k && dst[i] != IPOPT_EOL {
                let l = usize::from(dst[i + 1]);
                assert!(IPOPT_COPIED(dst[i]) && l >= 2 && i + l <= k, "{}", hex(&dst[..k]));
                i += l;
            }
            assert!(dst[i..k].iter().all(|&x| x == IPOPT_EOL), "{}", hex(&dst[..k]));
        }
        // Stripped, when the header is whole and writable.
        if hl > IP_HDRLEN && hl <= whole.len() && m.m_len() >= hl && m.mtod_mut().is_some() {
            let ip_len = usize::from(get16(&whole, 2));
            ip_stripoptions(&mut m);
            let s = all(&m);
            assert_eq!(s.len(), whole.len() - (hl - IP_HDRLEN));
            assert_eq!(s[0], (whole[0] & 0xf0) | 5);
            assert_eq!(usize::from(get16(&s, 2)), ip_len.saturating_sub(hl - IP_HDRLEN));
            assert_eq!(&s[4..IP_HDRLEN], &whole[4..IP_HDRLEN]);
            assert_eq!(&s[IP_HDRLEN..], &whole[hl..]);
            assert_eq!(m.m_pkthdr().unwrap().len, s.len());
        }
        m_freem(&mut st.mbpool, m);

        // The same bytes as IP_OPTIONS, into a datagram and out again.
        let o =
            if b.len() > IP_HDRLEN { &b[IP_HDRLEN..b.len().min(IP_HDRLEN + 44)] } else { &[][..] };
        if let Ok(Some(io)) = ip_pcbopts(o) {
            assert!(io.ipopt_len <= MAX_IPOPTLEN && io.ipopt_len % 4 == 0, "{io:?}");
            let plain = build(&Hdr::new(IPPROTO_UDP_U8, ETH0, FAR), &rng.bytes(30));
            let m = m_devget(&mut st.mbpool, &plain, rng.pick(&[0, 40]), None).unwrap();
            let (mut m, hl) = ip_insertoptions(&mut st.mbpool, m, &io).unwrap();
            assert_eq!(hl, IP_HDRLEN + io.ipopt_len);
            let with = all(&m);
            assert_eq!(hlen(&with), hl);
            assert_eq!(usize::from(get16(&with, 2)), with.len());
            assert_eq!(&with[IP_HDRLEN..hl], io.options());
            ip_stripoptions(&mut m);
            let mut back = all(&m);
            back[16..20].copy_from_slice(&FAR.to_be_bytes());
            assert_eq!(back, plain);
            m_freem(&mut st.mbpool, m);
        }
        let _ = Ip::parse(&b);
    }
    for (m, b) in keep {
        assert!(all(&m) == b, "ip_dooptions wrote a shared cluster");
        m_freem(&mut st.mbpool, m);
    }
    let s = &st.mbpool.mbstat;
    assert_eq!((s.m_mbufs, s.m_clusters), (0, 0), "mbufs and clusters leaked");
    assert_eq!(st.invariant_failures, 0, "an invariant failed");
}

#[test]
fn fuzz_ip_options() {
    run_fuzz("fuzz_ip_options", 0.25, options_round);
}

// ---------------------------------------------------------------------
// What the fuzzer found, as plain tests.

/// Feeds `b` as received on `ifp`, and lets the software interrupt run.
fn feed(st: &mut Stack, ifp: usize, b: &[u8]) {
    let m = m_devget(&mut st.mbpool, b, 0, None).unwrap();
    looutput(st, ifp, m, INADDR_ANY).unwrap();
    st.softint();
}

/// Closes `sockets` and checks that no mbuf is left.
fn close_all(st: &mut Stack, sockets: &[usize]) {
    for &so in sockets {
        soclose(st, so);
    }
    let s = &st.mbpool.mbstat;
    assert_eq!((s.m_mbufs, s.m_clusters), (0, 0));
}

/// A reassembled datagram has its first fragment's header, options and
/// all; ip_input gave its protocol the header length of the fragment
/// that completed it, so ICMP and UDP read their headers from inside the
/// options (the echo failed its checksum, the UDP datagram its length).
#[test]
fn reassembled_datagram_goes_up_with_its_own_header_length() {
    let mut st = stack();
    let lo0 = ifunit(&st, b"lo0").unwrap();
    let icmp = common::raw(&mut st, IPPROTO_ICMP);
    let udp = udp_socket(&mut st);
    sobind(&mut st, udp, &sin(0, ORACLE_PORT)).unwrap();
    // A NOP and record route with room: a 60-byte header.
    let opts = [&[IPOPT_NOP, IPOPT_RR, 39, 4][..], &[0; 36]].concat();
    let req = icmp_msg(ICMP_ECHO, 1, 2, &[7; 40]);
    let data = [9u8; 40];
    let dgram = udp_msg(LOOP, LOOP, 1000, ORACLE_PORT, &data);
    for (p, payload) in [(IPPROTO_ICMP_U8, &req), (IPPROTO_UDP_U8, &dgram)] {
        let h = Hdr { id: 0x100 + u16::from(p), ..Hdr::new(p, LOOP, LOOP) };
        // The first fragment with the options, the last without.
        feed(&mut st, lo0, &frag(&h, &opts, 0, &payload[..24], true));
        feed(&mut st, lo0, &frag(&h, &[], 24, &payload[24..], false));
    }
    assert_eq!(st.ipstat.ips_reassembled, 2);
    assert_eq!((st.icmpstat.icps_checksum, st.udpstat.udps_badlen), (0, 0));
    let (got, _) = recv(&mut st, icmp, 2048, 0).unwrap();
    let hl = hlen(&got);
    assert_eq!(got[hl], ICMP_ECHOREPLY);
    assert_eq!(&got[hl + 4..], &req[4..]);
    assert_eq!(recv(&mut st, udp, 2048, 0).unwrap().0, data);
    close_all(&mut st, &[icmp, udp]);
}

/// A datagram for a broadcast or multicast address gets no ICMP error
/// (RFC 1122 3.2.2) when the link did not flag it: icmp_error looked at
/// M_BCAST and M_MCAST alone, which lo0, or a unicast frame, never sets.
/// Nor when a source route has rewritten ip_dst to a unicast address
/// before the error.
#[test]
fn no_icmp_error_about_a_broadcast_or_multicast_the_link_did_not_flag() {
    let mut st = stack();
    let lo0 = ifunit(&st, b"lo0").unwrap();
    let eth0 = attach_eth0(&mut st, 1500);
    let icmp = common::raw(&mut st, IPPROTO_ICMP);
    // A timestamp too short for its pointer: a parameter problem.
    let bad = [IPOPT_TS, 4, 5, 0];
    let lsrr = [IPOPT_LSRR, 7, 4, 127, 0, 0, 1];
    let udp = udp_msg(LOOP, LOOP, 1000, 9, b"x");
    let dgram = |dst: u32, opts: &[u8]| {
        build(&Hdr { opts: opts.to_vec(), ..Hdr::new(IPPROTO_UDP_U8, LOOP, dst) }, &udp)
    };
    // For a unicast address: the error comes back to 127.0.0.1.
    feed(&mut st, lo0, &dgram(LOOP, &bad));
    assert_eq!(st.icmpstat.icps_outhist[usize::from(ICMP_PARAMPROB)], 1);
    let (got, _) = recv(&mut st, icmp, 2048, 0).unwrap();
    assert_eq!(got[IP_HDRLEN], ICMP_PARAMPROB);
    for dst in [INADDR_BROADCAST.0, MCAST, INADDR_ANY.0] {
        feed(&mut st, lo0, &dgram(dst, &bad));
    }
    feed(&mut st, eth0, &dgram(ETH0_BCAST, &bad));
    // eth0's broadcast address counts as ours in a source route, which
    // sends the datagram on to 127.0.0.1 before the timestamp fails.
    feed(&mut st, eth0, &dgram(ETH0_BCAST, &[&lsrr[..], &bad].concat()));
    assert_eq!(st.ipstat.ips_badoptions, 6);
    assert_eq!(st.icmpstat.icps_outhist[usize::from(ICMP_PARAMPROB)], 1);
    assert_eq!(recv(&mut st, icmp, 2048, 0).err(), Some(EWOULDBLOCK));
    close_all(&mut st, &[icmp]);
}

/// An ICMP message too short for its 8-byte header may be an error: no
/// ICMP error is sent about it. icmp_error looked at the type only when
/// the whole header was there, and answered a 4-byte "unreachable".
#[test]
fn no_icmp_error_about_an_icmp_message_too_short_for_its_header() {
    let mut st = stack();
    let lo0 = ifunit(&st, b"lo0").unwrap();
    let icmp = common::raw(&mut st, IPPROTO_ICMP);
    let bad = vec![IPOPT_TS, 4, 5, 0];
    let h = Hdr { opts: bad, ..Hdr::new(IPPROTO_ICMP_U8, LOOP, LOOP) };
    feed(&mut st, lo0, &build(&h, &[ICMP_UNREACH, 0, 0, 0]));
    assert_eq!(st.icmpstat.icps_oldshort, 1);
    assert_eq!(st.icmpstat.icps_outhist[usize::from(ICMP_PARAMPROB)], 0);
    // A whole echo request is answered with the parameter problem.
    feed(&mut st, lo0, &build(&h, &icmp_msg(ICMP_ECHO, 1, 1, &[])));
    assert_eq!(st.icmpstat.icps_outhist[usize::from(ICMP_PARAMPROB)], 1);
    let (got, _) = recv(&mut st, icmp, 2048, 0).unwrap();
    assert_eq!(got[IP_HDRLEN], ICMP_PARAMPROB);
    assert_eq!(recv(&mut st, icmp, 2048, 0).err(), Some(EWOULDBLOCK));
    close_all(&mut st, &[icmp]);
}

/// A header with options in a cluster the driver still shares, and no
/// cluster to copy it into: ip_input went on, ip_stripoptions could not
/// strip the options in place, and UDP read its header from them. It is
/// dropped now (`ips_odropped`).
#[test]
fn header_with_options_that_cannot_be_made_writable_is_dropped() {
    let mut st = stack();
    let lo0 = ifunit(&st, b"lo0").unwrap();
    let udp = udp_socket(&mut st);
    sobind(&mut st, udp, &sin(0, ORACLE_PORT)).unwrap();
    let mut u = udp_msg(LOOP, LOOP, 1000, ORACLE_PORT, &[3; 300]);
    put16(&mut u, 6, 0);
    let h = Hdr { opts: vec![IPOPT_NOP; 4], ..Hdr::new(IPPROTO_UDP_U8, LOOP, LOOP) };
    let b = build(&h, &u);
    let orig = m_devget(&mut st.mbpool, &b, 0, None).unwrap();
    let m = m_copym(&mut st.mbpool, &orig, 0, M_COPYALL).unwrap();
    st.mbpool.nmbclusters = st.mbpool.mbstat.m_clusters;
    looutput(&mut st, lo0, m, INADDR_ANY).unwrap();
    st.softint();
    st.mbpool.nmbclusters = usize::MAX;
    assert_eq!((st.ipstat.ips_odropped, st.udpstat.udps_ipackets), (1, 0));
    assert!(all(&orig) == b);
    m_freem(&mut st.mbpool, orig);
    // With memory, the same datagram arrives.
    feed(&mut st, lo0, &b);
    assert_eq!(recv(&mut st, udp, 2048, 0).unwrap().0, [3; 300]);
    close_all(&mut st, &[udp]);
}

/// When `m_copy` failed, `ip_fragment` dropped the fragment's header
/// mbuf without `m_free`, so `mbstat` counted it forever.
#[test]
fn ip_fragment_frees_the_fragment_it_was_building() {
    use bsdinet::bsd::netinet::ip_output::ip_output;
    let mut st = stack();
    let lo0 = ifunit(&st, b"lo0").unwrap();
    st.ifp(lo0).if_data.ifi_mtu = 576;
    let b = build(&Hdr::new(99, LOOP, LOOP), &[5; 3000]);
    let m = m_devget(&mut st.mbpool, &b, 0, None).unwrap();
    // Room for a fragment's header mbuf, not for the one of its data.
    st.mbpool.nmbufs = st.mbpool.mbstat.m_mbufs + 1;
    assert_eq!(ip_output(&mut st, m, None, 0, None), Err(ENOBUFS));
    st.mbpool.nmbufs = usize::MAX;
    st.softint();
    assert_eq!(st.mbpool.mbstat.m_mbufs, 0, "a fragment header leaked");
}
