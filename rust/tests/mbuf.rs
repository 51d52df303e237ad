//! Mbufs (book chapter 2) against a plain byte vector: every operation on
//! random chains must leave the chain's bytes and `m_pkthdr.len` as the
//! model says, share clusters without letting writes through, and count
//! every mbuf and cluster in `mbstat` until all are freed.

use bsdinet::bsd::kern::uipc_mbuf::*;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use proptest::prelude::*;

type TestResult = std::result::Result<(), TestCaseError>;

fn bytes(m: &Mbuf) -> Vec<u8> {
    m.segments().flatten().copied().collect()
}

/// Bytes that differ from one position to the next and between seeds.
fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// A packet chain matches its model: bytes, lengths, one packet header.
fn check(m: &Mbuf, model: &[u8]) -> TestResult {
    prop_assert_eq!(bytes(m), model);
    prop_assert_eq!(m.m_length(), model.len());
    prop_assert_eq!(m.m_pkthdr().map(|h| h.len), Some(model.len()));
    prop_assert!(m.iter().skip(1).all(|n| n.m_pkthdr().is_none()));
    for n in m.iter() {
        prop_assert_eq!(n.m_flags() & M_EXT != 0, n.mclrefcnt().is_some());
    }
    Ok(())
}

/// The mbuf holding byte `pos` of the chain, and the offset in it.
fn locate(m: &mut Mbuf, mut pos: usize) -> Option<(&mut Mbuf, usize)> {
    let mut cur = Some(m);
    while let Some(x) = cur {
        if pos < x.m_len() {
            return Some((x, pos));
        }
        pos -= x.m_len();
        cur = x.m_next_mut();
    }
    None
}

#[derive(Debug, Clone)]
enum Op {
    /// m_devget of a fresh packet, then m_cat onto the chain.
    Cat {
        len: usize,
        off: usize,
        seed: u8,
    },
    /// m_cat of an empty mbuf (with a packet header or without).
    CatEmpty {
        hdr: bool,
    },
    /// m_copym of part of the chain, checked, then m_cat onto the chain
    /// itself: the chain then shares clusters with itself.
    CatCopy {
        off: usize,
        len: usize,
        all: bool,
    },
    /// M_PREPEND, then write the new bytes.
    Prepend {
        len: usize,
        seed: u8,
    },
    /// The book's m_prepend (no pkthdr.len update), then write.
    PrependFn {
        len: usize,
        seed: u8,
    },
    Adj(isize),
    Pullup(usize),
    CopyData {
        off: usize,
        len: usize,
    },
    /// Keep an m_copym(M_COPYALL) of the chain with a copy of the model.
    Snapshot,
    DropSnapshot(usize),
    /// Continue with a snapshot as the chain, and the chain as snapshot.
    Swap(usize),
    /// Write one byte of the chain (`cow`: through m_writable, else
    /// through mtod_mut when it allows).
    Write {
        pos: usize,
        val: u8,
        cow: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..5000, 0usize..=MHLEN, any::<u8>())
            .prop_map(|(len, off, seed)| Op::Cat { len, off, seed }),
        2 => (0usize..150, 0usize..=16, any::<u8>())
            .prop_map(|(len, off, seed)| Op::Cat { len, off, seed }),
        1 => any::<bool>().prop_map(|hdr| Op::CatEmpty { hdr }),
        2 => (any::<usize>(), any::<usize>(), any::<bool>())
            .prop_map(|(off, len, all)| Op::CatCopy { off, len, all }),
        3 => (0usize..=MHLEN, any::<u8>()).prop_map(|(len, seed)| Op::Prepend { len, seed }),
        1 => (0usize..=MHLEN, any::<u8>()).prop_map(|(len, seed)| Op::PrependFn { len, seed }),
        3 => (-3000isize..3000).prop_map(Op::Adj),
        3 => (0usize..=MHLEN + 20).prop_map(Op::Pullup),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(off, len)| Op::CopyData { off, len }),
        2 => Just(Op::Snapshot),
        1 => any::<usize>().prop_map(Op::DropSnapshot),
        1 => any::<usize>().prop_map(Op::Swap),
        3 => (any::<usize>(), any::<u8>(), any::<bool>())
            .prop_map(|(pos, val, cow)| Op::Write { pos, val, cow }),
    ]
}

struct World {
    mp: MbufPool,
    /// The chain under test; `None` after a failure freed it.
    chain: Option<Mbuf>,
    model: Vec<u8>,
    snaps: Vec<(Mbuf, Vec<u8>)>,
    /// Whether the pool has caps, so that ENOBUFS may happen.
    limited: bool,
}

impl World {
    /// An allocation failed: only with caps, and counted.
    fn enobufs(&self, e: Errno, drops_before: u64) -> TestResult {
        prop_assert_eq!(e, ENOBUFS);
        prop_assert!(self.limited, "ENOBUFS without limits");
        prop_assert!(self.mp.mbstat.m_drops > drops_before, "ENOBUFS not counted");
        Ok(())
    }

    /// Every chain matches its model, and mbstat counts exactly the mbufs
    /// and clusters that the chains hold.
    fn check_all(&self) -> TestResult {
        if let Some(c) = &self.chain {
            check(c, &self.model)?;
        }
        for (s, model) in &self.snaps {
            check(s, model)?;
        }
        let all: Vec<&Mbuf> = self
            .chain
            .iter()
            .chain(self.snaps.iter().map(|(s, _)| s))
            .flat_map(|c| c.iter())
            .collect();
        let st = &self.mp.mbstat;
        prop_assert_eq!(st.m_mbufs, all.len());
        prop_assert_eq!(st.m_mtypes.iter().sum::<usize>(), all.len());
        // Distinct clusters, each referenced exactly by the mbufs using it.
        let mut clusters: Vec<&Mbuf> = Vec::new();
        for m in all.iter().filter(|m| m.mclrefcnt().is_some()) {
            if !clusters.iter().any(|c| c.shares_cluster(m)) {
                clusters.push(m);
            }
        }
        prop_assert_eq!(st.m_clusters, clusters.len());
        for c in &clusters {
            let users = all.iter().filter(|m| m.shares_cluster(c)).count();
            prop_assert_eq!(c.mclrefcnt(), Some(users));
        }
        prop_assert!(st.m_mbufs <= self.mp.nmbufs && st.m_clusters <= self.mp.nmbclusters);
        Ok(())
    }

    fn step(&mut self, op: Op) -> TestResult {
        let drops = self.mp.mbstat.m_drops;
        if self.chain.is_none() {
            match m_devget(&mut self.mp, &self.model, 0, None) {
                Ok(c) => self.chain = Some(c),
                Err(e) => return self.enobufs(e, drops),
            }
        }
        let Some(mut chain) = self.chain.take() else { unreachable!() };
        let mp = &mut self.mp;
        let model = &mut self.model;
        match op {
            Op::Cat { len, off, seed } => {
                let data = pattern(seed, len);
                match m_devget(mp, &data, off, Some(3)) {
                    Ok(n) => {
                        check(&n, &data)?;
                        prop_assert_eq!(n.m_pkthdr().unwrap().rcvif, Some(3));
                        if !self.limited {
                            if len >= MINCLSIZE {
                                prop_assert_eq!(n.mclrefcnt(), Some(1));
                                prop_assert_eq!(n.m_leadingspace(), off);
                            } else if len + off <= MHLEN {
                                prop_assert_eq!(n.m_leadingspace(), off);
                                prop_assert!(n.m_next().is_none());
                            }
                        }
                        m_cat(mp, &mut chain, n);
                        model.extend_from_slice(&data);
                    }
                    Err(e) => {
                        self.chain = Some(chain);
                        return self.enobufs(e, drops);
                    }
                }
            }
            Op::CatEmpty { hdr } => {
                let n = if hdr { m_gethdr(mp, MT_DATA) } else { m_get(mp, MT_DATA) };
                match n {
                    Ok(n) => m_cat(mp, &mut chain, n),
                    Err(e) => {
                        self.chain = Some(chain);
                        return self.enobufs(e, drops);
                    }
                }
            }
            Op::CatCopy { off, len, all } => {
                let off = off % (model.len() + 1);
                let len = if all { M_COPYALL } else { len % (model.len() - off + 1) };
                let want = model[off..].get(..len).unwrap_or(&model[off..]).to_vec();
                match m_copym(mp, &chain, off, len) {
                    Ok(n) => {
                        prop_assert_eq!(bytes(&n), &want[..]);
                        let hdr = n.m_pkthdr().map(|h| h.len);
                        prop_assert_eq!(hdr, (off == 0).then_some(want.len()));
                        m_cat(mp, &mut chain, n);
                        model.extend_from_slice(&want);
                    }
                    Err(e) => {
                        self.chain = Some(chain);
                        return self.enobufs(e, drops);
                    }
                }
            }
            Op::Prepend { len, seed } => match M_PREPEND(mp, chain, len) {
                Ok(mut c) => {
                    let new = pattern(seed, len);
                    if len > 0 {
                        let first = c.mtod_mut().expect("M_PREPEND's room is writable");
                        prop_assert!(first.len() >= len);
                        first[..len].copy_from_slice(&new);
                    }
                    model.splice(0..0, new);
                    chain = c;
                }
                Err(e) => {
                    model.clear();
                    return self.enobufs(e, drops);
                }
            },
            Op::PrependFn { len, seed } => match m_prepend(mp, chain, len) {
                Ok(mut c) => {
                    prop_assert_eq!(c.m_len(), len);
                    prop_assert_eq!(c.m_pkthdr().unwrap().len, model.len());
                    prop_assert!(c.mtod().iter().all(|&b| b == 0));
                    c.m_pkthdr_mut().unwrap().len += len;
                    let new = pattern(seed, len);
                    c.mtod_mut().unwrap().copy_from_slice(&new);
                    model.splice(0..0, new);
                    chain = c;
                }
                Err(e) => {
                    model.clear();
                    return self.enobufs(e, drops);
                }
            },
            Op::Adj(n) => {
                m_adj(&mut chain, n);
                let k = n.unsigned_abs().min(model.len());
                if n >= 0 {
                    model.drain(..k);
                } else {
                    model.truncate(model.len() - k);
                }
            }
            Op::Pullup(len) => {
                let first = chain.m_len();
                let into_first = chain.mclrefcnt().is_none()
                    && len <= first + chain.m_trailingspace()
                    && chain.m_next().is_some();
                let can = first >= len || (len <= model.len() && (len <= MHLEN || into_first));
                let failures = mp.mpfail;
                match m_pullup(mp, chain, len) {
                    Ok(c) => {
                        prop_assert!(can, "m_pullup({}) should have failed", len);
                        prop_assert!(c.m_len() >= len);
                        chain = c;
                    }
                    Err(e) if can => {
                        model.clear();
                        prop_assert_eq!(mp.mpfail, failures + 1);
                        return self.enobufs(e, drops);
                    }
                    Err(e) => {
                        // Freed, as in the book. With caps, the new first
                        // mbuf may fail before the chain is found short.
                        prop_assert_eq!(mp.mpfail, failures + 1);
                        model.clear();
                        if e != EINVAL {
                            return self.enobufs(e, drops);
                        }
                        return Ok(());
                    }
                }
            }
            Op::CopyData { off, len } => {
                let off = off % (model.len() + 2);
                let len = len % (model.len() + 2);
                let mut out = vec![0xAA; len];
                let r = m_copydata(&chain, off, &mut out);
                if off + len <= model.len() {
                    prop_assert_eq!(r, Ok(()));
                    prop_assert_eq!(&out[..], &model[off..off + len]);
                } else {
                    prop_assert_eq!(r, Err(EINVAL));
                }
            }
            Op::Snapshot => match m_copym(mp, &chain, 0, M_COPYALL) {
                Ok(s) => self.snaps.push((s, model.clone())),
                Err(e) => {
                    self.chain = Some(chain);
                    return self.enobufs(e, drops);
                }
            },
            Op::DropSnapshot(i) => {
                if !self.snaps.is_empty() {
                    let (s, _) = self.snaps.remove(i % self.snaps.len());
                    m_freem(mp, s);
                }
            }
            Op::Swap(i) => {
                if !self.snaps.is_empty() {
                    let i = i % self.snaps.len();
                    let (s, smodel) = self.snaps.remove(i);
                    self.snaps.push((chain, std::mem::replace(model, smodel)));
                    chain = s;
                }
            }
            Op::Write { pos, val, cow } => {
                if !model.is_empty() {
                    let pos = pos % model.len();
                    let (m, at) = locate(&mut chain, pos).expect("byte in chain");
                    if cow {
                        match m_writable(mp, m) {
                            Ok(d) => {
                                d[at] = val;
                                model[pos] = val;
                            }
                            Err(e) => {
                                self.chain = Some(chain);
                                return self.enobufs(e, drops);
                            }
                        }
                    } else if m.mclrefcnt().is_some_and(|n| n > 1) {
                        prop_assert!(m.mtod_mut().is_none());
                        prop_assert_eq!(m.m_leadingspace() + m.m_trailingspace(), 0);
                    } else {
                        m.mtod_mut().expect("unshared data is writable")[at] = val;
                        model[pos] = val;
                    }
                }
            }
        }
        self.chain = Some(chain);
        Ok(())
    }
}

fn run(ops: Vec<Op>, caps: Option<(usize, usize)>, max_protohdr: usize, seed: u8) -> TestResult {
    let mut mp = MbufPool::new();
    mp.max_protohdr = max_protohdr;
    if let Some((nmbufs, nmbclusters)) = caps {
        mp.nmbufs = nmbufs;
        mp.nmbclusters = nmbclusters;
    }
    let model = pattern(seed, 300);
    let mut w = World { mp, chain: None, model, snaps: Vec::new(), limited: caps.is_some() };
    for op in ops {
        w.step(op)?;
        w.check_all()?;
    }
    let mut mp = w.mp;
    if let Some(c) = w.chain {
        m_freem(&mut mp, c);
    }
    for (s, _) in w.snaps {
        m_freem(&mut mp, s);
    }
    let st = &mp.mbstat;
    prop_assert_eq!((st.m_mbufs, st.m_clusters), (0, 0), "leaked");
    prop_assert_eq!(st.m_mtypes, [0; MT_NTYPES]);
    if caps.is_none() {
        prop_assert_eq!(st.m_drops, 0);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn chains_match_a_byte_vector(
        ops in prop::collection::vec(op(), 0..40),
        protohdr in prop_oneof![Just(0usize), Just(40usize)],
        seed in any::<u8>(),
    ) {
        run(ops, None, protohdr, seed)?;
    }

    #[test]
    fn exhaustion_fails_cleanly(
        ops in prop::collection::vec(op(), 0..40),
        nmbufs in 1usize..24,
        nmbclusters in 0usize..6,
        seed in any::<u8>(),
    ) {
        run(ops, Some((nmbufs, nmbclusters)), 40, seed)?;
    }
}

fn pool() -> MbufPool {
    MbufPool::new()
}

fn assert_empty(mp: &MbufPool) {
    let st = &mp.mbstat;
    assert_eq!((st.m_mbufs, st.m_clusters, st.m_mtypes), (0, 0, [0; MT_NTYPES]), "leaked");
}

#[test]
fn m_copym_shares_clusters_and_writes_stay_private() {
    let mut mp = pool();
    let data = pattern(7, 5000);
    let mut m = m_devget(&mut mp, &data, 0, None).unwrap();
    let nclusters = m.iter().filter(|n| n.mclrefcnt().is_some()).count();
    assert_eq!(nclusters, 3);
    assert_eq!(mp.mbstat.m_clusters, 3);

    let mut c = m_copym(&mut mp, &m, 0, M_COPYALL).unwrap();
    assert_eq!(bytes(&c), data);
    assert_eq!(c.m_pkthdr().unwrap().len, 5000);
    // Shared, not copied: same clusters, counted once, two references.
    assert_eq!(mp.mbstat.m_clusters, 3);
    for (a, b) in m.iter().zip(c.iter()) {
        assert!(a.shares_cluster(b));
        assert_eq!(a.mclrefcnt(), Some(2));
    }
    // Neither side may write in place, or grow into the shared cluster.
    assert!(m.mtod_mut().is_none() && c.mtod_mut().is_none());
    assert_eq!(c.m_trailingspace(), 0);
    assert_eq!(c.set_len(c.m_len() + 1), Err(EINVAL));

    // Copy on write: the copy's first mbuf gets its own cluster.
    m_writable(&mut mp, &mut c).unwrap()[0] ^= 0xff;
    assert_eq!(mp.mbstat.m_clusters, 4);
    assert!(!m.shares_cluster(&c));
    assert_eq!((m.mclrefcnt(), c.mclrefcnt()), (Some(1), Some(1)));
    assert_eq!(bytes(&m), data);
    assert_eq!(bytes(&c)[0], data[0] ^ 0xff);
    assert_eq!(bytes(&c)[1..], data[1..]);
    // The original's first cluster is its own again: writable in place.
    m.mtod_mut().unwrap()[1] = 0;
    assert_eq!(bytes(&c)[1], data[1]);

    m_freem(&mut mp, c);
    assert!(m.iter().all(|n| n.mclrefcnt() == Some(1)));
    assert_eq!(mp.mbstat.m_clusters, 3);
    m_freem(&mut mp, m);
    assert_empty(&mp);
}

#[test]
fn m_copym_of_a_middle_range() {
    let mut mp = pool();
    let data = pattern(1, 3000);
    let m = m_devget(&mut mp, &data, 0, Some(1)).unwrap();
    let c = m_copym(&mut mp, &m, 2040, 20).unwrap();
    // Across the first cluster's end: two mbufs, sharing both clusters.
    assert_eq!(bytes(&c), &data[2040..2060]);
    assert!(c.m_pkthdr().is_none());
    assert_eq!(c.iter().count(), 2);
    assert!(c.iter().all(|n| n.mclrefcnt() == Some(2)));
    m_freem(&mut mp, c);
    // Bad ranges: EINVAL where the book panics; nothing allocated.
    assert_eq!(m_copym(&mut mp, &m, 3001, 0).err(), Some(EINVAL));
    assert_eq!(m_copym(&mut mp, &m, 10, 2991).err(), Some(EINVAL));
    assert_eq!(m_copym(&mut mp, &m, usize::MAX, 1).err(), Some(EINVAL));
    // Nothing to copy: an empty mbuf, with the header when off is 0.
    let e = m_copym(&mut mp, &m, 3000, M_COPYALL).unwrap();
    assert_eq!((e.m_length(), e.m_pkthdr().is_none()), (0, true));
    let h = m_copy(&mut mp, &m, 0, 0).unwrap();
    assert_eq!(h.m_pkthdr().map(|h| (h.len, h.rcvif)), Some((0, Some(1))));
    m_freem(&mut mp, e);
    m_freem(&mut mp, h);
    m_freem(&mut mp, m);
    assert_empty(&mp);
}

#[test]
fn caps_give_enobufs_counted_and_nothing_leaks() {
    let mut mp = pool();
    mp.nmbufs = 2;
    let a = m_get(&mut mp, MT_DATA).unwrap();
    let b = m_gethdr(&mut mp, MT_HEADER).unwrap();
    assert_eq!(m_get(&mut mp, MT_DATA).err(), Some(ENOBUFS));
    assert_eq!(m_getclr(&mut mp, MT_DATA).err(), Some(ENOBUFS));
    assert_eq!(mp.mbstat.m_drops, 2);
    // The drain hook: asked for once, counted once.
    assert!(mp.m_reclaim());
    assert!(!mp.m_reclaim());
    assert_eq!((mp.mbstat.m_drain, mp.mbstat.m_wait), (1, 0));
    // After the drain, the next success counts m_wait (the book's retry).
    assert!(m_free(&mut mp, a).is_none());
    let a = m_get(&mut mp, MT_DATA).unwrap();
    assert_eq!(mp.mbstat.m_wait, 1);
    m_freem(&mut mp, a);
    m_freem(&mut mp, b);
    assert_empty(&mp);

    // Too few mbufs for the packet: ENOBUFS and the partial chain freed.
    mp.nmbufs = 3;
    mp.nmbclusters = 0;
    assert_eq!(m_devget(&mut mp, &[1; 5000], 0, None).err(), Some(ENOBUFS));
    assert_empty(&mp);
    // No clusters but enough mbufs: the book falls back to plain mbufs.
    mp.nmbufs = usize::MAX;
    let drops = mp.mbstat.m_drops;
    let m = m_devget(&mut mp, &pattern(2, 1000), 0, None).unwrap();
    assert_eq!(bytes(&m), pattern(2, 1000));
    assert!(m.iter().all(|n| n.mclrefcnt().is_none()));
    assert!(mp.mbstat.m_drops > drops);
    // A shared cluster cannot be copied on write without a cluster.
    m_freem(&mut mp, m);
    mp.nmbclusters = 1;
    let m = m_devget(&mut mp, &pattern(3, 1000), 0, None).unwrap();
    let mut c = m_copym(&mut mp, &m, 0, M_COPYALL).unwrap();
    assert_eq!(m_writable(&mut mp, &mut c).err(), Some(ENOBUFS));
    assert_eq!(bytes(&c), pattern(3, 1000));
    m_freem(&mut mp, c);
    m_freem(&mut mp, m);
    assert_empty(&mp);

    // m_prepend and m_pullup free the chain when they cannot allocate.
    mp.nmbufs = 1;
    let m = m_devget(&mut mp, &[5; 50], 0, None).unwrap();
    assert_eq!(m_prepend(&mut mp, m, 4).err(), Some(ENOBUFS));
    assert_empty(&mp);
    mp.nmbufs = 2;
    mp.nmbclusters = usize::MAX;
    let m = m_devget(&mut mp, &[5; 3000], 0, None).unwrap();
    assert_eq!(mp.mbstat.m_mbufs, 2);
    // The first mbuf is a cluster: the header needs a new mbuf.
    assert_eq!(m_pullup(&mut mp, m, MCLBYTES + 1).err(), Some(EINVAL));
    let mut m = m_devget(&mut mp, &[5; 3000], 0, None).unwrap();
    m_adj(&mut m, 2040);
    assert_eq!(m_pullup(&mut mp, m, 60).err(), Some(ENOBUFS));
    assert_eq!(mp.mpfail, 2);
    assert_empty(&mp);
}

#[test]
fn m_pullup_edges() {
    let mut mp = pool();
    // Beyond the chain's length: EINVAL, the chain freed, MPFail counted.
    let m = m_devget(&mut mp, &pattern(1, 30), 0, None).unwrap();
    assert_eq!(m_pullup(&mut mp, m, 31).err(), Some(EINVAL));
    assert_eq!(mp.mpfail, 1);
    assert_empty(&mp);
    // More than MHLEN when the first mbuf has no room: EINVAL too.
    let mut m = m_devget(&mut mp, &pattern(3, 3000), 0, None).unwrap();
    m_adj(&mut m, 2000);
    assert_eq!(m_pullup(&mut mp, m, MHLEN + 1).err(), Some(EINVAL));
    assert_empty(&mp);
    // Already there: the same chain back, untouched.
    let m = m_devget(&mut mp, &pattern(3, 3000), 0, None).unwrap();
    let m = m_pullup(&mut mp, m, 2048).unwrap();
    assert_eq!((m.m_len(), mp.mbstat.m_mbufs), (2048, 2));
    m_freem(&mut mp, m);
    // A cluster first, short: the header moves to a new mbuf in front.
    let data = pattern(4, 3000);
    let mut m = m_devget(&mut mp, &data, 0, Some(9)).unwrap();
    m_adj(&mut m, 2000);
    let p = m_pullup(&mut mp, m, 60).unwrap();
    assert_eq!(p.mtod(), &data[2000..2060]);
    assert_eq!(p.m_pkthdr(), Some(&PktHdr { len: 1000, rcvif: Some(9) }));
    assert!(p.iter().skip(1).all(|n| n.m_pkthdr().is_none()));
    assert_eq!(bytes(&p), &data[2000..]);
    m_freem(&mut mp, p);
    assert_empty(&mp);
    // max_protohdr: more than asked is pulled up, for the next protocol.
    mp.max_protohdr = 40;
    let mut m = m_devget(&mut mp, &data, 0, None).unwrap();
    m_adj(&mut m, 2040);
    let p = m_pullup(&mut mp, m, 20).unwrap();
    // 8 bytes from the first mbuf, then up to 40 from the next one (the
    // book's count is per mbuf copied from).
    assert_eq!(p.mtod(), &data[2040..2088]);
    m_freem(&mut mp, p);
    mp.max_protohdr = 0;
    assert_empty(&mp);

    // Pulled into the first mbuf itself when it has room, skipping and
    // freeing empty mbufs.
    let mut m = m_devget(&mut mp, &pattern(5, 10), 0, None).unwrap();
    let n = m_devget(&mut mp, &pattern(6, 1000), 0, None).unwrap();
    m_cat(&mut mp, &mut m, n);
    // [10 bytes][empty][1000 bytes in a cluster]
    let cluster = m.take_next();
    let mut zero = m_get(&mut mp, MT_DATA).unwrap();
    zero.set_next(cluster);
    m.set_next(Some(zero));
    assert_eq!(m.iter().map(Mbuf::m_len).collect::<Vec<_>>(), [10, 0, 1000]);
    let before = mp.mbstat.m_mbufs;
    let mut want = pattern(5, 10);
    want.extend(pattern(6, 1000));
    let m = m_pullup(&mut mp, m, 90).unwrap();
    assert_eq!(m.iter().map(Mbuf::m_len).collect::<Vec<_>>(), [90, 920]);
    assert_eq!(bytes(&m), want);
    assert_eq!(mp.mbstat.m_mbufs, before - 1);
    m_freem(&mut mp, m);
    assert_empty(&mp);
}

#[test]
fn m_adj_beyond_the_chain_and_extremes() {
    let mut mp = pool();
    for req in [1000isize, -1000, isize::MAX, isize::MIN, 0] {
        let mut m = m_devget(&mut mp, &pattern(1, 300), 0, None).unwrap();
        let mbufs = mp.mbstat.m_mbufs;
        m_adj(&mut m, req);
        let want = if req == 0 { 300 } else { 0 };
        assert_eq!((m.m_length(), m.m_pkthdr().unwrap().len), (want, want));
        // Emptied mbufs stay, as in the book.
        assert_eq!(mp.mbstat.m_mbufs, mbufs);
        m_freem(&mut mp, m);
    }
    // Trimming within one mbuf of a plain (no header) mbuf.
    let mut m = m_get(&mut mp, MT_DATA).unwrap();
    m.set_len(10).unwrap();
    m.mtod_mut().unwrap().copy_from_slice(&pattern(2, 10));
    m_adj(&mut m, 3);
    m_adj(&mut m, -3);
    assert_eq!(m.mtod(), &pattern(2, 10)[3..7]);
    assert_eq!(m.m_leadingspace(), 3);
    m_freem(&mut mp, m);
    assert_empty(&mp);
}

#[test]
fn zero_length_mbufs_and_packets() {
    let mut mp = pool();
    let m = m_devget(&mut mp, &[], 16, Some(2)).unwrap();
    assert_eq!((m.m_len(), m.m_pkthdr().unwrap().len, m.iter().count()), (0, 0, 1));
    assert_eq!(m.m_leadingspace(), 16);
    assert_eq!(m_devget(&mut mp, &[1], MHLEN + 1, None).err(), Some(EINVAL));
    // A chain with empty mbufs between the data: m_cat links an empty
    // mbuf after a cluster (it cannot copy into one).
    let mut m = m;
    for i in 0..4u8 {
        let e = m_get(&mut mp, MT_DATA).unwrap();
        m_cat(&mut mp, &mut m, e);
        let n = m_devget(&mut mp, &pattern(i, 300), 0, None).unwrap();
        m_cat(&mut mp, &mut m, n);
    }
    let model: Vec<u8> = (0..4u8).flat_map(|i| pattern(i, 300)).collect();
    assert_eq!(bytes(&m), model);
    assert_eq!(m.m_pkthdr().unwrap().len, model.len());
    assert!(m.iter().any(|n| n.m_len() == 0));
    let mut out = vec![0; 700];
    m_copydata(&m, 250, &mut out).unwrap();
    assert_eq!(out, model[250..950]);
    assert_eq!(m_copydata(&m, 1200, &mut []), Ok(()));
    assert_eq!(m_copydata(&m, 1201, &mut []), Err(EINVAL));
    assert_eq!(m_copydata(&m, 1100, &mut [0; 101]), Err(EINVAL));
    let c = m_copym(&mut mp, &m, 0, M_COPYALL).unwrap();
    assert_eq!(bytes(&c), model);
    assert!(c.iter().all(|n| n.m_len() > 0), "m_copym copies no empty mbufs");
    m_freem(&mut mp, c);
    m_freem(&mut mp, m);
    assert_empty(&mp);
}

#[test]
fn prepend_uses_leading_space_first() {
    let mut mp = pool();
    let m = m_devget(&mut mp, &pattern(1, 60), 16, None).unwrap();
    assert_eq!(m.m_leadingspace(), 16);
    let m = M_PREPEND(&mut mp, m, 14).unwrap();
    assert_eq!((m.iter().count(), m.m_leadingspace(), m.m_len()), (1, 2, 74));
    assert_eq!(m.m_pkthdr().unwrap().len, 74);
    let m = M_PREPEND(&mut mp, m, 20).unwrap();
    assert_eq!((m.iter().count(), m.m_len(), m.m_pkthdr().unwrap().len), (2, 20, 94));
    // The header moved to the new first mbuf; room is left before it.
    assert!(m.m_next().unwrap().m_pkthdr().is_none());
    assert!(m.m_leadingspace() >= MHLEN - 20 - 3);
    // Too big for one mbuf: EINVAL, and the chain is freed as the book's.
    assert_eq!(m_prepend(&mut mp, m, MHLEN + 1).err(), Some(EINVAL));
    assert_empty(&mp);
    let m = m_get(&mut mp, MT_DATA).unwrap();
    let m = m_prepend(&mut mp, m, MLEN).unwrap();
    assert_eq!((m.m_len(), m.m_pkthdr().is_none()), (MLEN, true));
    m_freem(&mut mp, m);
    assert_empty(&mp);
}

#[test]
fn small_api_edges() {
    let mut mp = pool();
    let mut m = m_gethdr(&mut mp, MT_HEADER).unwrap();
    assert_eq!((m.m_trailingspace(), m.m_leadingspace()), (MHLEN, 0));
    assert_eq!(m.set_len(MHLEN + 1), Err(EINVAL));
    m.m_align(20).unwrap();
    assert_eq!((m.m_leadingspace(), m.m_trailingspace()), (80, 20));
    m.set_len(20).unwrap();
    assert_eq!(m.m_align(4), Err(EINVAL)); // Has data.
    m.set_len(0).unwrap();
    assert_eq!(m.m_align(MHLEN + 1), Err(EINVAL));
    // Only the caller's flags move.
    m.set_flags(M_EOR | M_BCAST | M_EXT);
    m.clear_flags(M_PKTHDR | M_BCAST);
    assert_eq!(m.m_flags(), M_PKTHDR | M_EOR);
    // Types are counted.
    assert_eq!(mp.mbstat.m_mtypes[MT_HEADER.index()], 1);
    m_chtype(&mut mp, &mut m, MT_SONAME);
    assert_eq!(mp.mbstat.m_mtypes[MT_HEADER.index()], 0);
    assert_eq!(mp.mbstat.m_mtypes[MT_SONAME.index()], 1);
    // A cluster keeps the data already there.
    m.set_len(5).unwrap();
    m.mtod_mut().unwrap().copy_from_slice(b"hello");
    m_clget(&mut mp, &mut m).unwrap();
    m_clget(&mut mp, &mut m).unwrap(); // Already has one.
    assert_eq!((m.mtod(), m.m_trailingspace()), (&b"hello"[..], MCLBYTES - 5));
    assert_eq!(mp.mbstat.m_clusters, 1);
    assert!(format!("{m:?}").contains("m_lens: [5]"));
    m_freem(&mut mp, m);
    assert_empty(&mp);
    // The stack carries a pool, and mbufs can live in the stack's lock.
    assert_eq!(Stack::new().mbpool.mbstat, Mbstat::default());
    fn send<T: Send>() {}
    send::<Mbuf>();
    send::<MbufPool>();
}

#[test]
fn long_chains_drop_without_recursion() {
    let mut mp = pool();
    let mut m = m_gethdr(&mut mp, MT_DATA).unwrap();
    for _ in 0..200_000 {
        let mut n = m_get(&mut mp, MT_DATA).unwrap();
        n.set_next(m.take_next());
        m.set_next(Some(n));
    }
    // Dropped rather than freed: memory goes back, but mbstat keeps
    // counting it, as a leak would in the book.
    drop(m);
    assert_eq!(mp.mbstat.m_mbufs, 200_001);
}

#[test]
fn freed_mbufs_and_clusters_are_reused_zeroed() {
    let mut mp = pool();
    let mut m = m_get(&mut mp, MT_DATA).unwrap();
    m_clget(&mut mp, &mut m).unwrap();
    m.set_len(MCLBYTES).unwrap();
    m.mtod_mut().unwrap().fill(0xa5);
    m_freem(&mut mp, m);
    assert_empty(&mp);

    // The same storage comes back, zeroed and counted again.
    let mut m = m_get(&mut mp, MT_HEADER).unwrap();
    assert_eq!(mp.mbstat.m_mbufs, 1);
    assert_eq!(mp.mbstat.m_mtypes[MT_HEADER.index()], 1);
    m.set_len(MLEN).unwrap();
    assert!(m.mtod().iter().all(|&b| b == 0));
    m_clget(&mut mp, &mut m).unwrap();
    assert_eq!(mp.mbstat.m_clusters, 1);
    m.set_len(MCLBYTES).unwrap();
    assert!(m.mtod().iter().all(|&b| b == 0));

    // A cluster still shared is not put on the free list by its first
    // free: the copy keeps its bytes.
    m.mtod_mut().unwrap().fill(7);
    let c = m_copym(&mut mp, &m, 0, M_COPYALL).unwrap();
    m_freem(&mut mp, m);
    assert!(c.mtod().iter().all(|&b| b == 7));
    assert_eq!(mp.mbstat.m_clusters, 1);
    m_freem(&mut mp, c);
    assert_empty(&mp);

    // More frees than the lists keep: all counted out, nothing kept past
    // the limit (dropping the pool frees the rest).
    let chains: Vec<Mbuf> = (0..MFREE_MAX + 10)
        .map(|_| {
            let mut m = m_get(&mut mp, MT_DATA).unwrap();
            m_clget(&mut mp, &mut m).unwrap();
            m
        })
        .collect();
    assert_eq!(mp.mbstat.m_clusters, MFREE_MAX + 10);
    for m in chains {
        m_freem(&mut mp, m);
    }
    assert_empty(&mp);
}
