//! IP reassembly (book sections 10.6-10.11): datagrams cut by a small
//! fragmenter, fed in order, reversed, shuffled, duplicated, overlapping
//! with other boundaries, must come back byte for byte; bad input, time-outs,
//! `ip_drain` and the limits must drop and count, and leave no mbuf behind.

use bsdinet::bsd::kern::uipc_mbuf::*;
use bsdinet::bsd::netinet::in_::InAddr;
use bsdinet::bsd::netinet::in_cksum::in_cksum;
use bsdinet::bsd::netinet::ip::*;
use bsdinet::bsd::netinet::ip_reass::*;
use proptest::prelude::*;

type TestResult = std::result::Result<(), TestCaseError>;

/// A datagram to fragment: its header (options included) and data.
#[derive(Clone)]
struct Dgram {
    hdr: Vec<u8>,
    data: Vec<u8>,
}

/// A datagram of `len` bytes of data that differ between seeds, with
/// `optlen` bytes of options (NOPs).
fn dgram(id: u16, p: u8, src: u32, optlen: usize, len: usize, seed: u8) -> Dgram {
    let ip = Ip {
        ip_hl: IP_HDRLEN + optlen,
        ip_v: IPVERSION,
        ip_tos: 0,
        ip_len: 0,
        ip_id: id,
        ip_off: 0,
        ip_ttl: 64,
        ip_p: p,
        ip_sum: 0,
        ip_src: InAddr(src),
        ip_dst: InAddr(0x0a00_0002),
    };
    let mut hdr = vec![1u8; IP_HDRLEN + optlen];
    ip.emit(&mut hdr).unwrap();
    let data =
        (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed ^ (i >> 8) as u8)).collect();
    Dgram { hdr, data }
}

/// Writes a fragment's length, offset and MF in `h`, and its checksum.
fn set_fields(h: &mut [u8], len: usize, off: usize, mf: bool) {
    let ip_len = (h.len() + len) as u16;
    h[2..4].copy_from_slice(&ip_len.to_be_bytes());
    let ip_off = (off / 8) as u16 | if mf { IP_MF } else { 0 };
    h[6..8].copy_from_slice(&ip_off.to_be_bytes());
    h[10..12].copy_from_slice(&[0, 0]);
    let sum = in_cksum([&h[..]]);
    h[10..12].copy_from_slice(&sum.to_be_bytes());
}

/// A fragment carrying `data` at offset `off`: the whole header at offset
/// 0, the 20 bytes without options elsewhere (as ip_output copies only
/// the options marked for copying).
fn frag_with(d: &Dgram, off: usize, data: &[u8], mf: bool) -> Vec<u8> {
    let mut h = if off == 0 { d.hdr.clone() } else { d.hdr[..IP_HDRLEN].to_vec() };
    h[0] = 0x40 | (h.len() / 4) as u8;
    set_fields(&mut h, data.len(), off, mf);
    h.extend_from_slice(data);
    h
}

/// The fragment of `d` holding its data `off..end`.
fn frag(d: &Dgram, off: usize, end: usize) -> Vec<u8> {
    frag_with(d, off, &d.data[off..end], end < d.data.len())
}

/// Cuts `d` for an interface MTU of `mtu`, as ip_output does.
fn fragment(d: &Dgram, mtu: usize) -> Vec<Vec<u8>> {
    let per = (mtu - d.hdr.len()) & !7;
    cut(d, &(per..d.data.len()).step_by(per).collect::<Vec<_>>())
}

/// Cuts `d` at the given offsets (multiples of 8, increasing).
fn cut(d: &Dgram, at: &[usize]) -> Vec<Vec<u8>> {
    let mut bounds = vec![0];
    bounds.extend(at.iter().copied().filter(|&a| a > 0 && a < d.data.len()));
    bounds.push(d.data.len());
    bounds.dedup();
    bounds.windows(2).map(|w| frag(d, w[0], w[1])).collect()
}

/// What reassembly must give: the header of `first` (the offset-0
/// fragment that was queued first) with ip_len and ip_off rewritten, its
/// checksum as it came, then all the data.
fn expected(d: &Dgram, first: &[u8]) -> Vec<u8> {
    let mut v = first[..d.hdr.len()].to_vec();
    v[2..4].copy_from_slice(&((d.hdr.len() + d.data.len()) as u16).to_be_bytes());
    v[6..8].copy_from_slice(&[0, 0]);
    v.extend_from_slice(&d.data);
    v
}

fn bytes(m: &Mbuf) -> Vec<u8> {
    m.segments().flatten().copied().collect()
}

/// A fragment as an mbuf chain, laid out by `layout`: one m_devget; the
/// header in an mbuf of its own; or a copy sharing the original's
/// clusters (the original is pushed on `keep`, to check it after).
fn mbuf(mp: &mut MbufPool, b: &[u8], layout: u8, keep: &mut Vec<Mbuf>) -> Mbuf {
    match layout % 3 {
        0 => m_devget(mp, b, 0, None).unwrap(),
        1 => {
            let hl = usize::from(b[0] & 0xf) * 4;
            let mut m = m_devget(mp, &b[..hl], 0, None).unwrap();
            if b.len() > hl {
                let n = m_devget(mp, &b[hl..], 0, None).unwrap();
                m_cat(mp, &mut m, n);
            }
            m
        }
        _ => {
            let orig = m_devget(mp, b, 0, None).unwrap();
            let copy = m_copym(mp, &orig, 0, M_COPYALL).unwrap();
            keep.push(orig);
            copy
        }
    }
}

/// One reassembler, its pool and counters.
#[derive(Default)]
struct Host {
    mp: MbufPool,
    st: Ipstat,
    ipq: IpReass,
    /// Originals of shared copies, freed by `finish`.
    keep: Vec<Mbuf>,
}

impl Host {
    fn new() -> Self {
        Self::default()
    }

    /// Feeds one fragment (as one m_devget); returns the datagram's bytes
    /// if it completed.
    fn feed(&mut self, b: &[u8]) -> Option<Vec<u8>> {
        self.feed_as(b, 0)
    }

    fn feed_as(&mut self, b: &[u8], layout: u8) -> Option<Vec<u8>> {
        let m = mbuf(&mut self.mp, b, layout, &mut self.keep);
        let m = self.ipq.ip_reass(&mut self.mp, &mut self.st, m)?;
        let v = bytes(&m);
        assert_eq!(m.m_pkthdr().map(|h| h.len), Some(v.len()));
        assert!(m.iter().skip(1).all(|n| n.m_pkthdr().is_none()));
        m_freem(&mut self.mp, m);
        Some(v)
    }

    /// Feeds them all; returns the datagrams that completed.
    fn feed_all<'a>(&mut self, frags: impl IntoIterator<Item = &'a Vec<u8>>) -> Vec<Vec<u8>> {
        frags.into_iter().filter_map(|f| self.feed(f)).collect()
    }

    /// Drains, frees what is kept, and checks no mbuf is left.
    fn finish(mut self) {
        self.ipq.ip_drain(&mut self.mp, &mut self.st);
        assert_eq!(self.ipq.nqueues(), 0);
        for m in self.keep.drain(..) {
            m_freem(&mut self.mp, m);
        }
        assert_eq!(self.mp.mbstat.m_mbufs, 0);
        assert_eq!(self.mp.mbstat.m_clusters, 0);
    }
}

/// A permutation of 0..n from `seed` (xorshift; the tests need no more).
fn shuffle<T>(v: &mut [T], seed: u64) {
    let mut x = seed | 1;
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
}

#[test]
fn in_order_reversed_shuffled() {
    for (optlen, len, mtu) in
        [(0, 9, 28), (0, 100, 68), (4, 1472, 576), (40, 8000, 1500), (0, 65515, 1500)]
    {
        let d = dgram(7, 17, 0x0a00_0001, optlen, len, 3);
        let frags = fragment(&d, mtu);
        let want = expected(&d, &frags[0]);
        let mut orders = vec![frags.clone(), frags.iter().rev().cloned().collect()];
        for seed in 1..4 {
            let mut f = frags.clone();
            shuffle(&mut f, seed);
            orders.push(f);
        }
        for order in orders {
            let mut h = Host::new();
            let got = h.feed_all(&order);
            assert_eq!(got, vec![want.clone()]);
            assert_eq!(h.st.ips_fragments, frags.len() as u64);
            assert_eq!(h.st.ips_reassembled, 1);
            assert_eq!(h.st.ips_fragdropped, 0);
            assert_eq!(h.ipq.nqueues(), 0);
            h.finish();
        }
    }
}

#[test]
fn mbuf_layouts_and_shared_clusters() {
    let d = dgram(9, 17, 0x0a00_0001, 8, 5000, 5);
    let frags = fragment(&d, 1500);
    for layout in 0..3 {
        let mut h = Host::new();
        let got: Vec<_> = frags.iter().filter_map(|f| h.feed_as(f, layout)).collect();
        assert_eq!(got, vec![expected(&d, &frags[0])]);
        // The header was rewritten in a copy, not in the shared original.
        for (orig, f) in h.keep.iter().zip(&frags) {
            assert_eq!(&bytes(orig), f);
        }
        h.finish();
    }
}

#[test]
fn duplicates() {
    let d = dgram(1, 6, 0x0a00_0001, 0, 3000, 1);
    let frags = fragment(&d, 576);
    let mut h = Host::new();
    let mut got = Vec::new();
    for f in &frags {
        got.extend(h.feed(f));
        got.extend(h.feed(f));
    }
    assert_eq!(got, vec![expected(&d, &frags[0])]);
    // Every duplicate before the last fragment was dropped; the last one's
    // twin starts a new datagram, which waits.
    let n = frags.len() as u64;
    assert_eq!(h.st.ips_fragments, 2 * n);
    assert_eq!(h.st.ips_fragdropped, n - 1);
    assert_eq!((h.ipq.nqueues(), h.ipq.nfrags()), (1, 1));
    h.ipq.ip_drain(&mut h.mp, &mut h.st);
    assert_eq!(h.st.ips_fragdropped, n);
    h.finish();
}

#[test]
fn overlaps_follow_the_books_rule() {
    // Each fragment has bytes of its own, so the winner of each overlap
    // shows: [8,24) 'x' first; [16,32) 'y' loses [16,24) to 'x', the
    // fragment before it; [0,16) 'z' wins [8,16) over 'x', after it.
    let d = dgram(2, 17, 0x0a00_0001, 0, 40, 0);
    let mut h = Host::new();
    assert_eq!(h.feed(&frag_with(&d, 8, &[b'x'; 16], true)), None);
    assert_eq!(h.feed(&frag_with(&d, 16, &[b'y'; 16], true)), None);
    let first = frag_with(&d, 0, &[b'z'; 16], true);
    assert_eq!(h.feed(&first), None);
    let got = h.feed(&frag_with(&d, 32, &[b'w'; 8], false)).unwrap();
    let data = [&[b'z'; 16][..], &[b'x'; 8], &[b'y'; 8], &[b'w'; 8]].concat();
    assert_eq!(got, expected(&Dgram { hdr: d.hdr.clone(), data }, &first));
    assert_eq!((h.st.ips_fragments, h.st.ips_fragdropped, h.st.ips_reassembled), (4, 0, 1));
    h.finish();
}

#[test]
fn covered_fragments_are_dropped() {
    let d = dgram(3, 17, 0x0a00_0001, 0, 64, 0);
    let mut h = Host::new();
    assert_eq!(h.feed(&frag_with(&d, 32, &[b'c'; 16], true)), None);
    assert_eq!(h.feed(&frag_with(&d, 8, &[b'a'; 8], true)), None);
    // [32,48) overlapped at its front by [24,40): trimmed to [40,48).
    assert_eq!(h.feed(&frag_with(&d, 24, &[b'a'; 16], true)), None);
    assert_eq!(h.ipq.nfrags(), 3);
    // [8,16) and [24,40) wholly under the new [0,40): dequeued.
    let first = frag_with(&d, 0, &[b'b'; 40], true);
    assert_eq!(h.feed(&first), None);
    assert_eq!(h.st.ips_fragdropped, 2);
    assert_eq!(h.ipq.nfrags(), 2);
    // A new [0,8) is wholly covered by the fragment before it.
    assert_eq!(h.feed(&frag_with(&d, 0, &[b'q'; 8], true)), None);
    assert_eq!(h.st.ips_fragdropped, 3);
    let got = h.feed(&frag_with(&d, 48, &[b'd'; 16], false)).unwrap();
    let data = [&[b'b'; 40][..], &[b'c'; 8], &[b'd'; 16]].concat();
    assert_eq!(got, expected(&Dgram { hdr: d.hdr.clone(), data }, &first));
    h.finish();
}

#[test]
fn other_boundaries() {
    // Two fragmentations of the same datagram, with different offsets
    // and header lengths, mixed: the first completion is the datagram.
    let d = dgram(4, 17, 0x0a00_0001, 12, 9000, 9);
    let a = fragment(&d, 1500);
    let b = cut(&d, &[8, 600, 1704, 2000, 4096, 7000, 8992]);
    for seed in 0..20 {
        let mut mixed: Vec<_> = a.iter().chain(&b).cloned().collect();
        shuffle(&mut mixed, seed);
        let first0 =
            mixed.iter().position(|f| f[6..8] == [0, 0] || f[6..8] == IP_MF.to_be_bytes()).unwrap();
        let mut h = Host::new();
        let got = h.feed_all(&mixed);
        assert!(!got.is_empty());
        assert_eq!(got[0], expected(&d, &mixed[first0]));
        h.finish();
    }
}

#[test]
fn interleaved_datagrams() {
    // Same addresses, different ip_id; and the same ip_id with another
    // protocol or source: four datagrams, kept apart.
    let ds = [
        dgram(100, 17, 0x0a00_0001, 0, 3000, 1),
        dgram(101, 17, 0x0a00_0001, 0, 2000, 2),
        dgram(100, 6, 0x0a00_0001, 4, 2500, 3),
        dgram(100, 17, 0x0a00_0009, 0, 1000, 4),
    ];
    let fs: Vec<_> = ds.iter().map(|d| fragment(d, 576)).collect();
    let mut all: Vec<_> =
        fs.iter().enumerate().flat_map(|(i, f)| f.iter().map(move |b| (i, b))).collect();
    shuffle(&mut all, 42);
    let mut h = Host::new();
    let mut done = [false; 4];
    for (i, b) in all {
        if let Some(got) = h.feed(b) {
            assert_eq!(got, expected(&ds[i], &fs[i][0]));
            done[i] = true;
        }
    }
    assert_eq!(done, [true; 4]);
    assert_eq!(h.st.ips_reassembled, 4);
    h.finish();
}

#[test]
fn missing_fragment_times_out() {
    let d = dgram(5, 17, 0x0a00_0001, 4, 3000, 7);
    let frags = fragment(&d, 576);
    for missing in [0, 2, frags.len() - 1] {
        let mut h = Host::new();
        let rest: Vec<_> =
            frags.iter().enumerate().filter(|&(i, _)| i != missing).map(|(_, f)| f).collect();
        assert!(h.feed_all(rest.iter().copied()).is_empty());
        assert_eq!(h.ipq.nfrags(), frags.len() - 1);
        for _ in 1..IPFRAGTTL {
            assert!(h.ipq.ip_slowtimo(&mut h.mp, &mut h.st).is_empty());
        }
        assert_eq!(h.ipq.nqueues(), 1);
        let mut expired = h.ipq.ip_slowtimo(&mut h.mp, &mut h.st);
        assert_eq!(h.ipq.nqueues(), 0);
        assert_eq!(h.st.ips_fragtimeout, 1);
        assert_eq!(h.st.ips_fragdropped, 0);
        if missing == 0 {
            assert!(expired.is_empty());
        } else {
            // The first fragment as it came, for ICMP time exceeded.
            assert_eq!(expired.len(), 1);
            let m = expired.pop().unwrap();
            assert_eq!(bytes(&m), frags[0]);
            assert_eq!(m.m_pkthdr().map(|h| h.len), Some(frags[0].len()));
            m_freem(&mut h.mp, m);
        }
        assert_eq!(h.mp.mbstat.m_mbufs, 0);
        h.finish();
    }
}

#[test]
fn timer_ages_each_queue_from_its_start() {
    let d1 = dgram(1, 17, 0x0a00_0001, 0, 100, 1);
    let d2 = dgram(2, 17, 0x0a00_0001, 0, 100, 2);
    let mut h = Host::new();
    h.feed(&frag(&d1, 0, 48));
    for _ in 0..10 {
        assert!(h.ipq.ip_slowtimo(&mut h.mp, &mut h.st).is_empty());
    }
    h.feed(&frag(&d2, 48, 100));
    for _ in 10..IPFRAGTTL - 1 {
        assert!(h.ipq.ip_slowtimo(&mut h.mp, &mut h.st).is_empty());
    }
    let mut exp = h.ipq.ip_slowtimo(&mut h.mp, &mut h.st);
    assert_eq!((exp.len(), h.ipq.nqueues(), h.st.ips_fragtimeout), (1, 1, 1));
    let m = exp.pop().unwrap();
    assert_eq!(bytes(&m), frag(&d1, 0, 48));
    m_freem(&mut h.mp, m);
    for _ in 0..10 {
        assert!(h.ipq.ip_slowtimo(&mut h.mp, &mut h.st).is_empty());
    }
    assert_eq!((h.ipq.nqueues(), h.st.ips_fragtimeout), (0, 2));
    h.finish();
}

#[test]
fn drain_frees_everything() {
    let mut h = Host::new();
    let mut n = 0;
    for id in 0..5u16 {
        let d = dgram(id, 17, 0x0a00_0001, 0, 4000, id as u8);
        let frags = fragment(&d, 1500);
        n += h.feed_all(&frags[1..]).len() + frags.len() - 1;
    }
    assert_eq!((h.ipq.nqueues(), h.ipq.nfrags()), (5, n));
    h.ipq.ip_drain(&mut h.mp, &mut h.st);
    assert_eq!(h.st.ips_fragdropped, n as u64);
    assert_eq!((h.ipq.nqueues(), h.mp.mbstat.m_mbufs, h.mp.mbstat.m_clusters), (0, 0, 0));
    h.finish();
}

#[test]
fn bad_fragments() {
    let d = dgram(6, 17, 0x0a00_0001, 0, 200, 0);
    let mut h = Host::new();
    // MF set with data not a multiple of 8, or no data at all.
    assert_eq!(h.feed(&frag_with(&d, 0, &d.data[..12], true)), None);
    assert_eq!(h.feed(&frag_with(&d, 64, &[], true)), None);
    // Shorter than its ip_len.
    let mut short = frag(&d, 0, 64);
    short.truncate(short.len() - 8);
    assert_eq!(h.feed(&short), None);
    // Not an IP header at all.
    let mut garbage = frag(&d, 0, 64);
    garbage[0] = 0x65;
    assert_eq!(h.feed(&garbage), None);
    assert_eq!(h.st.ips_badfrags, 4);
    assert_eq!(h.st.ips_fragdropped, 4);
    assert_eq!(h.ipq.nqueues(), 0);
    // Padding after ip_len is cut; a last fragment may end anywhere.
    let mut padded = frag(&d, 0, 64);
    padded.extend_from_slice(&[0xee; 6]);
    assert_eq!(h.feed(&padded), None);
    let got = h.feed(&frag(&d, 64, 200)).unwrap();
    assert_eq!(got, expected(&d, &padded));
    assert_eq!((h.st.ips_fragments, h.st.ips_reassembled), (6, 1));
    h.finish();
}

#[test]
fn empty_first_fragment() {
    // Not something ip_input passes (offset 0 and MF clear is no
    // fragment), but it must not put a second header inside the data.
    let d = dgram(6, 17, 0x0a00_0001, 0, 24, 0);
    let mut h = Host::new();
    assert_eq!(h.feed(&frag(&d, 8, 16)), None);
    let empty = frag_with(&d, 0, &[], false);
    assert_eq!(h.feed(&empty), None);
    assert_eq!(h.feed(&frag(&d, 0, 8)), None);
    assert_eq!(h.feed(&frag(&d, 16, 24)), Some(expected(&d, &empty)));
    h.finish();
}

#[test]
fn too_long() {
    // The largest datagram goes through; one byte more does not.
    let d = dgram(7, 17, 0x0a00_0001, 0, IP_MAXPACKET - IP_HDRLEN, 1);
    let mut h = Host::new();
    let frags = fragment(&d, 9000);
    let got = h.feed_all(&frags);
    assert_eq!(got, vec![expected(&d, &frags[0])]);
    assert_eq!(&got[0][2..4], &[0xff, 0xff]);

    // A fragment past IP_MAXPACKET drops itself and its queue.
    let last = frag_with(&d, 65512, &[0; 8], false);
    h.feed(&frags[0]);
    h.feed(&frags[1]);
    assert_eq!(h.feed(&last), None);
    assert_eq!(h.st.ips_toolong, 1);
    assert_eq!(h.st.ips_fragdropped, 3);
    assert_eq!(h.ipq.nqueues(), 0);
    // With no queue, just the fragment.
    assert_eq!(h.feed(&last), None);
    assert_eq!((h.st.ips_toolong, h.st.ips_fragdropped), (2, 4));

    // Data that fits with 20 bytes of header, but not with the first
    // fragment's options: found at completion.
    let d = dgram(8, 17, 0x0a00_0001, 8, IP_MAXPACKET - IP_HDRLEN, 1);
    let frags = cut(&d, &(8000..65515).step_by(8000).collect::<Vec<_>>());
    assert!(h.feed_all(&frags).is_empty());
    assert_eq!(h.st.ips_toolong, 3);
    assert_eq!(h.st.ips_fragdropped, 4 + frags.len() as u64);
    assert_eq!(h.ipq.nqueues(), 0);
    h.finish();
}

#[test]
fn default_limits_take_the_largest_datagrams() {
    assert_eq!(IpReass::new().maxfragpackets, MAXFRAGPACKETS);
    // A 65507-byte UDP datagram over a 576-byte MTU (119 fragments), and
    // with 40 bytes of options (127), shuffled.
    for optlen in [0, 40] {
        let d = dgram(9, 17, 0x0a00_0001, optlen, IP_MAXPACKET - IP_HDRLEN - optlen, 4);
        let mut frags = fragment(&d, 576);
        assert!(frags.len() <= MAXFRAGSPERPACKET);
        let want = expected(&d, &frags[0]);
        shuffle(&mut frags, 5);
        let mut h = Host::new();
        assert_eq!(h.feed_all(&frags), vec![want]);
        h.finish();
    }
}

#[test]
fn limits() {
    // maxfragpackets: a fragment that would start one more queue is dropped.
    let mut h = Host::new();
    h.ipq.maxfragpackets = 4;
    let ds: Vec<_> = (0..5u16).map(|id| dgram(id, 17, 0x0a00_0001, 0, 1000, 0)).collect();
    for d in &ds {
        h.feed(&frag(d, 0, 512));
    }
    assert_eq!((h.ipq.nqueues(), h.st.ips_fragdropped), (4, 1));
    // ... while the others still complete.
    assert!(h.feed(&frag(&ds[0], 512, 1000)).is_some());
    assert!(h.feed(&frag(&ds[4], 0, 512)).is_none());
    assert_eq!((h.ipq.nqueues(), h.st.ips_fragdropped), (4, 1));
    h.finish();

    // maxfragsperpacket: exactly enough completes, one more is dropped.
    let d = dgram(1, 17, 0x0a00_0001, 0, 800, 0);
    let frags = cut(&d, &[96, 200, 304, 400, 504]);
    let mut h = Host::new();
    h.ipq.maxfragsperpacket = frags.len();
    assert_eq!(h.feed_all(&frags).len(), 1);
    h.ipq.maxfragsperpacket = frags.len() - 1;
    assert!(h.feed_all(&frags).is_empty());
    assert_eq!(h.st.ips_fragdropped, 1);
    assert_eq!(h.ipq.nfrags(), frags.len() - 1);
    // A fragment that replaces those it covers is no more.
    assert!(h.feed(&frag(&d, 0, 800)).is_some());
    assert_eq!(h.ipq.nqueues(), 0);
    h.finish();

    // maxfrags: fragments in all.
    let mut h = Host::new();
    h.ipq.maxfrags = 3;
    let ds: Vec<_> = (0..4u16).map(|id| dgram(id, 17, 0x0a00_0001, 0, 100, 0)).collect();
    for d in &ds {
        h.feed(&frag(d, 48, 96));
    }
    assert_eq!((h.ipq.nfrags(), h.st.ips_fragdropped), (3, 1));
    // One that replaces the one it covers fits.
    h.feed(&frag(&ds[0], 0, 96));
    assert_eq!((h.ipq.nfrags(), h.st.ips_fragdropped), (3, 2));
    h.ipq.maxfrags = 4;
    assert_eq!(h.feed(&frag(&ds[0], 96, 100)), Some(expected(&ds[0], &frag(&ds[0], 0, 96))));
    h.finish();

    // No queues allowed: everything is dropped, nothing kept.
    let mut h = Host::new();
    h.ipq.maxfragsperpacket = 0;
    assert!(h.feed_all(&fragment(&d, 576)).is_empty());
    assert_eq!((h.ipq.nqueues(), h.st.ips_fragdropped), (0, 2));
    h.finish();
}

/// A random case for `check_random`.
#[derive(Debug)]
struct Case {
    optlen: usize,
    len: usize,
    /// Where to cut, twice (made multiples of 8 in 8..len: at least two
    /// fragments, each a real one).
    cuts_a: Vec<usize>,
    cuts_b: Vec<usize>,
    /// Which fragments of the second cut to feed, cycled.
    take_b: Vec<bool>,
    /// Which fragments to feed twice, cycled.
    dups: Vec<bool>,
    /// The order.
    seed: u64,
    /// The mbuf layout of each fragment, cycled.
    layouts: Vec<u8>,
}

/// Feeds fragments of one datagram cut two ways (every fragment of the
/// first cut, some of the second, some twice), in a random order and
/// random mbuf layouts; every datagram that completes must be the
/// original, at least one must, and every mbuf must be freed.
fn check_random(c: Case) -> TestResult {
    let Case { optlen, len, cuts_a, cuts_b, take_b, dups, seed, layouts } = c;
    let d = dgram(77, 17, 0x0a00_0001, optlen, len, seed as u8);
    let norm = |c: Vec<usize>| {
        let mut c: Vec<_> = c.into_iter().map(|x| 8 + x % ((len - 1) / 8) * 8).collect();
        c.sort();
        c
    };
    let a = cut(&d, &norm(cuts_a));
    let b = cut(&d, &norm(cuts_b));
    let mut all = a.clone();
    all.extend(b.iter().zip(take_b.iter().cycle()).filter(|(_, &t)| t).map(|(f, _)| f.clone()));
    let dup: Vec<_> =
        all.iter().zip(dups.iter().cycle()).filter(|(_, &t)| t).map(|(f, _)| f.clone()).collect();
    all.extend(dup);
    shuffle(&mut all, seed);
    let mut h = Host::new();
    let mut got = Vec::new();
    let mut firsts = Vec::new();
    for (f, l) in all.iter().zip(layouts.iter().cycle()) {
        if f[6..8] == [0, 0] || f[6..8] == IP_MF.to_be_bytes() {
            firsts.push(f.clone());
        }
        got.extend(h.feed_as(f, *l));
    }
    prop_assert!(!got.is_empty());
    prop_assert_eq!(h.st.ips_fragments, all.len() as u64);
    prop_assert_eq!(h.st.ips_reassembled, got.len() as u64);
    prop_assert_eq!(h.st.ips_badfrags + h.st.ips_toolong, 0);
    for g in &got {
        // The header of one of the offset-0 fragments.
        prop_assert!(firsts.iter().any(|f| *g == expected(&d, f)));
    }
    prop_assert_eq!(&got[0], &expected(&d, &firsts[0]));
    for orig in &h.keep {
        prop_assert!(all.contains(&bytes(orig)));
    }
    let queued = h.ipq.nfrags() as u64;
    let dropped = h.st.ips_fragdropped;
    h.ipq.ip_drain(&mut h.mp, &mut h.st);
    prop_assert_eq!(h.st.ips_fragdropped, dropped + queued);
    h.finish();
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_fragments(
        optlen in prop::sample::select(vec![0usize, 4, 40]),
        len in prop_oneof![9usize..64, 9usize..3000, 3000usize..20000],
        cuts_a in prop::collection::vec(any::<usize>(), 1..40),
        cuts_b in prop::collection::vec(any::<usize>(), 1..40),
        take_b in prop::collection::vec(any::<bool>(), 1..8),
        dups in prop::collection::vec(prop::bool::weighted(0.2), 1..8),
        seed in any::<u64>(),
        layouts in prop::collection::vec(0u8..3, 1..8),
    ) {
        check_random(Case { optlen, len, cuts_a, cuts_b, take_b, dups, seed, layouts })?;
    }
}
