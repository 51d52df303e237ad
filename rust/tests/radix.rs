//! The radix tree of chapter 18 against the book's examples and a
//! brute-force longest-prefix match.

use bsdinet::bsd::net::radix::{RadixNodeHead, RnId, RnUsage};
use bsdinet::bsd::sys::errno::{EEXIST, EINVAL};
use proptest::prelude::*;

const EMPTY: RnUsage = RnUsage { route_pairs: 0, mask_pairs: 0, radix_masks: 0 };

fn ip(s: &str) -> u32 {
    let b: Vec<u8> = s.split('.').map(|p| p.parse().unwrap()).collect();
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn mask(len: u32) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len)
    }
}

/// The mask argument for a prefix length: None for a host.
fn marg(len: u32) -> Option<[u8; 4]> {
    (len < 32).then(|| mask(len).to_be_bytes())
}

fn add(t: &mut RadixNodeHead<u32>, key: &str, len: u32, v: u32) -> RnId {
    let m = marg(len);
    t.rn_addroute(&ip(key).to_be_bytes(), m.as_ref().map(|m| &m[..]), v)
        .map_err(|(e, _)| e)
        .unwrap()
}

fn del(t: &mut RadixNodeHead<u32>, key: &str, len: u32) -> Option<u32> {
    let m = marg(len);
    t.rn_delete(&ip(key).to_be_bytes(), m.as_ref().map(|m| &m[..]))
}

/// The value of the route matching `addr`.
fn lookup(t: &RadixNodeHead<u32>, addr: &str) -> Option<u32> {
    t.rn_match(&ip(addr).to_be_bytes()).map(|id| *t.get(id).unwrap())
}

/// A leaf's key and prefix length (32 for a host).
fn route(t: &RadixNodeHead<u32>, id: RnId) -> (u32, u32) {
    let key = u32::from_be_bytes(t.rn_key(id).try_into().unwrap());
    let len = t.rn_mask(id).map_or(32, |m| u32::from_be_bytes(m.try_into().unwrap()).count_ones());
    (key, len)
}

fn walk(t: &RadixNodeHead<u32>) -> Vec<u32> {
    let mut v = Vec::new();
    t.rn_walktree(|_, x| {
        v.push(*x);
        true
    });
    v
}

fn dump(t: &RadixNodeHead<u32>) -> Vec<(usize, Option<u32>)> {
    let mut v = Vec::new();
    t.rn_dump(|b, m| v.push((b, m.map(|m| u32::from_be_bytes(m.try_into().unwrap())))));
    v
}

/// The book's example routing table of chapter 18 (host bsdi: default,
/// loopback, the 140.252.13.32/27 Ethernet and three hosts on it, 224/8).
/// The bits tested are the book's less the 32 bits of sockaddr header in
/// front of the address there (32, 33, 35, 62, 63).
#[test]
fn figure_18_tree() {
    let mut t = RadixNodeHead::rn_inithead(4).unwrap();
    add(&mut t, "0.0.0.0", 0, 1); // default
    add(&mut t, "127.0.0.1", 32, 2);
    add(&mut t, "140.252.13.32", 27, 3);
    add(&mut t, "140.252.13.33", 32, 4);
    add(&mut t, "140.252.13.34", 32, 5);
    add(&mut t, "140.252.13.35", 32, 6);
    add(&mut t, "224.0.0.0", 8, 7);
    t.rn_verify().unwrap();
    assert_eq!(t.len(), 7);
    // The default route hangs off the top node's mask list, the /27 off
    // the node testing bit 30 (62 in the book); 224/8 is not lifted since
    // its leaf's parent tests bit 3, inside its mask.
    assert_eq!(
        dump(&t),
        vec![
            (0, None),
            (0, Some(0)),
            (1, None),
            (1, None),
            (30, None),
            (30, Some(mask(27))),
            (31, None),
            (31, None),
            (3, None),
        ]
    );
    for (a, want) in [
        ("140.252.13.33", Some(4)),
        ("140.252.13.34", Some(5)),
        ("140.252.13.35", Some(6)),
        ("140.252.13.32", Some(3)),
        ("140.252.13.36", Some(3)),
        ("140.252.13.63", Some(3)),
        ("140.252.13.64", Some(1)),
        ("140.252.13.1", Some(1)),
        ("127.0.0.1", Some(2)),
        ("127.0.0.2", Some(1)),
        ("224.0.0.1", Some(7)),
        ("224.255.1.2", Some(7)),
        ("225.0.0.1", Some(1)),
        ("0.0.0.0", Some(1)),
        ("255.255.255.255", Some(1)),
        ("10.1.2.3", Some(1)),
    ] {
        assert_eq!(lookup(&t, a), want, "{a}");
    }
    // Key order.
    assert_eq!(walk(&t), vec![1, 2, 3, 4, 5, 6, 7]);
    // Without the default route, the misses miss.
    assert_eq!(del(&mut t, "0.0.0.0", 0), Some(1));
    assert_eq!(lookup(&t, "140.252.13.64"), None);
    assert_eq!(lookup(&t, "0.0.0.0"), None);
    assert_eq!(lookup(&t, "255.255.255.255"), None);
    assert_eq!(lookup(&t, "140.252.13.40"), Some(3));
    t.rn_verify().unwrap();
    for (k, l) in [
        ("127.0.0.1", 32),
        ("140.252.13.32", 27),
        ("140.252.13.33", 32),
        ("140.252.13.34", 32),
        ("140.252.13.35", 32),
        ("224.0.0.0", 8),
    ] {
        assert!(del(&mut t, k, l).is_some());
        t.rn_verify().unwrap();
    }
    assert!(t.is_empty());
    assert_eq!(t.rn_usage(), EMPTY);
    assert_eq!(dump(&t), vec![(0, None)]);
}

/// Routes with one key and several masks share a leaf's duped-key chain,
/// most specific first, whatever order they came in.
#[test]
fn duplicate_keys() {
    for order in [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]] {
        let mut t = RadixNodeHead::rn_inithead(4).unwrap();
        let lens = [8, 16, 24, 32];
        for i in order {
            add(&mut t, "10.0.0.0", lens[i], lens[i]);
            t.rn_verify().unwrap();
        }
        assert_eq!(walk(&t), vec![32, 24, 16, 8]);
        assert_eq!(lookup(&t, "10.0.0.0"), Some(32));
        assert_eq!(lookup(&t, "10.0.0.5"), Some(24));
        assert_eq!(lookup(&t, "10.0.5.0"), Some(16));
        assert_eq!(lookup(&t, "10.5.0.0"), Some(8));
        assert_eq!(lookup(&t, "11.0.0.0"), None);
        assert_eq!(del(&mut t, "10.0.0.0", 16), Some(16));
        assert_eq!(lookup(&t, "10.0.5.0"), Some(8));
        // The host entry heads the chain.
        assert_eq!(del(&mut t, "10.0.0.0", 32), Some(32));
        assert_eq!(lookup(&t, "10.0.0.0"), Some(24));
        assert_eq!(del(&mut t, "10.0.0.0", 16), None);
        t.rn_verify().unwrap();
        assert_eq!(walk(&t), vec![24, 8]);
        assert_eq!(del(&mut t, "10.0.0.0", 8), Some(8));
        assert_eq!(del(&mut t, "10.0.0.0", 24), Some(24));
        assert_eq!(t.rn_usage(), EMPTY);
    }
}

#[test]
fn default_route() {
    let mut t = RadixNodeHead::rn_inithead(4).unwrap();
    assert_eq!(lookup(&t, "1.2.3.4"), None);
    let id = add(&mut t, "0.0.0.0", 0, 1);
    assert_eq!(route(&t, id), (0, 0));
    assert_eq!(t.rn_mask(id), Some(&[0u8; 4][..]));
    for a in ["0.0.0.0", "0.0.0.1", "1.2.3.4", "128.0.0.0", "255.255.255.255"] {
        assert_eq!(lookup(&t, a), Some(1), "{a}");
    }
    // Adding it again gives the value back.
    assert_eq!(t.rn_addroute(&[0; 4], Some(&[0; 4]), 9), Err((EEXIST, 9)));
    // Routes with the end markers' keys.
    add(&mut t, "0.0.0.0", 8, 2);
    add(&mut t, "0.0.0.0", 32, 3);
    add(&mut t, "255.255.255.255", 32, 4);
    add(&mut t, "255.255.255.0", 24, 5);
    t.rn_verify().unwrap();
    assert_eq!(lookup(&t, "0.0.0.0"), Some(3));
    assert_eq!(lookup(&t, "0.1.2.3"), Some(2));
    assert_eq!(lookup(&t, "255.255.255.255"), Some(4));
    assert_eq!(lookup(&t, "255.255.255.254"), Some(5));
    assert_eq!(lookup(&t, "255.255.254.255"), Some(1));
    assert_eq!(walk(&t), vec![3, 2, 1, 5, 4]);
    assert_eq!(del(&mut t, "255.255.255.255", 32), Some(4));
    // The all-ones key now leads to the bare end marker: the search goes
    // on up the tree.
    assert_eq!(lookup(&t, "255.255.255.255"), Some(5));
    assert_eq!(del(&mut t, "0.0.0.0", 32), Some(3));
    assert_eq!(lookup(&t, "0.0.0.0"), Some(2));
    assert_eq!(del(&mut t, "0.0.0.0", 8), Some(2));
    assert_eq!(lookup(&t, "0.0.0.0"), Some(1));
    assert_eq!(del(&mut t, "0.0.0.0", 0), Some(1));
    assert_eq!(lookup(&t, "0.0.0.0"), None);
    assert_eq!(lookup(&t, "1.1.1.1"), None);
    assert_eq!(del(&mut t, "255.255.255.0", 24), Some(5));
    t.rn_verify().unwrap();
    assert_eq!(t.rn_usage(), EMPTY);
}

/// Deleting a route whose own internal node is not its leaf's parent
/// moves that node into the parent's slot; deleting the
/// route that brought a duplicated key hands its node to the chain.
#[test]
fn delete_leaves_owning_internal_nodes() {
    let mut t = RadixNodeHead::rn_inithead(4).unwrap();
    // 10.0.0.1 brings the node for bit 4 (against the left end marker),
    // 10.0.0.2 the one for bit 30, 11.0.0.1 the one for bit 7 (above
    // bit 30's), 10.0.0.0/8 the one for bit 31, and is noted on bit 30's.
    let a = add(&mut t, "10.0.0.1", 32, 1);
    add(&mut t, "10.0.0.2", 32, 2);
    let c = add(&mut t, "11.0.0.1", 32, 3);
    add(&mut t, "10.0.0.0", 8, 4);
    t.rn_verify().unwrap();
    assert_eq!(
        dump(&t),
        vec![(0, None), (4, None), (7, None), (30, None), (30, Some(mask(8))), (31, None)]
    );
    // 10.0.0.1's parent is the /8's node for bit 31; its own node for bit
    // 4 moves there.
    assert_eq!(del(&mut t, "10.0.0.1", 32), Some(1));
    t.rn_verify().unwrap();
    assert_eq!(dump(&t), vec![(0, None), (4, None), (7, None), (30, None), (30, Some(mask(8)))]);
    assert_eq!(lookup(&t, "10.0.0.2"), Some(2));
    assert_eq!(lookup(&t, "10.0.0.1"), Some(4));
    assert_eq!(lookup(&t, "11.0.0.1"), Some(3));
    assert_eq!(t.get(c), Some(&3));
    assert_eq!(t.get(a), None);
    // With 10.0.0.2 gone, bit 30's node goes and so does its annotation:
    // the /8's chain is where every 10/8 search ends now.
    assert_eq!(del(&mut t, "10.0.0.2", 32), Some(2));
    t.rn_verify().unwrap();
    assert_eq!(dump(&t), vec![(0, None), (4, None), (7, None)]);
    assert_eq!(lookup(&t, "10.9.9.9"), Some(4));
    assert_eq!(lookup(&t, "11.0.0.1"), Some(3));

    // The /8, whose pair now holds bit 4's node, gets company on its key:
    // the /24 and the host go in front of it in the chain.
    add(&mut t, "10.0.0.0", 24, 5);
    add(&mut t, "10.0.0.0", 32, 6);
    t.rn_verify().unwrap();
    assert_eq!(walk(&t), vec![6, 5, 4, 3]);
    assert_eq!(del(&mut t, "10.0.0.0", 8), Some(4));
    t.rn_verify().unwrap();
    assert_eq!(dump(&t), vec![(0, None), (4, None), (7, None)]);
    assert_eq!(lookup(&t, "10.9.9.9"), None);
    assert_eq!(lookup(&t, "10.0.0.9"), Some(5));
    assert_eq!(del(&mut t, "10.0.0.0", 32), Some(6));
    t.rn_verify().unwrap();
    assert_eq!(lookup(&t, "10.0.0.0"), Some(5));
    assert_eq!(del(&mut t, "10.0.0.0", 24), Some(5));
    assert_eq!(del(&mut t, "11.0.0.1", 32), Some(3));
    t.rn_verify().unwrap();
    assert_eq!(t.rn_usage(), EMPTY);
}

#[test]
fn host_and_network_entries() {
    let mut t = RadixNodeHead::rn_inithead(4).unwrap();
    let k = ip("1.2.3.4").to_be_bytes();
    // An all-ones mask makes a host entry.
    let h = t.rn_addroute(&k, Some(&[255; 4]), 1).map_err(|(e, _)| e).unwrap();
    assert_eq!(t.rn_mask(h), None);
    assert_eq!(t.rn_addroute(&k, None, 2), Err((EEXIST, 2)));
    assert_eq!(t.rn_lookup(&k, None), Some(h));
    assert_eq!(t.rn_lookup(&k, Some(&[255; 4])), Some(h));
    // The key is stored masked.
    let n = t.rn_addroute(&k, Some(&mask(24).to_be_bytes()), 3).map_err(|(e, _)| e).unwrap();
    assert_eq!(route(&t, n), (ip("1.2.3.0"), 24));
    assert_eq!(t.rn_lookup(&ip("1.2.3.0").to_be_bytes(), Some(&mask(24).to_be_bytes())), Some(n));
    assert_eq!(t.rn_lookup(&k, Some(&mask(24).to_be_bytes())), Some(n));
    assert_eq!(t.rn_lookup(&ip("1.2.3.0").to_be_bytes(), None), None);
    assert_eq!(t.rn_lookup(&k, Some(&mask(16).to_be_bytes())), None);
    // A host and a net with the same key.
    add(&mut t, "1.2.3.0", 32, 4);
    assert_eq!(lookup(&t, "1.2.3.0"), Some(4));
    assert_eq!(lookup(&t, "1.2.3.4"), Some(1));
    assert_eq!(lookup(&t, "1.2.3.5"), Some(3));
    *t.get_mut(n).unwrap() = 30;
    assert_eq!(lookup(&t, "1.2.3.5"), Some(30));
    // Deleting needs the mask too.
    assert_eq!(del(&mut t, "1.2.3.4", 24), Some(30));
    assert_eq!(del(&mut t, "1.2.3.0", 24), None);
    assert_eq!(del(&mut t, "1.2.3.4", 16), None);
    assert_eq!(lookup(&t, "1.2.3.5"), None);
    assert_eq!(t.rn_delete(&k, Some(&[255; 4])), Some(1));
    assert_eq!(del(&mut t, "1.2.3.0", 32), Some(4));
    assert_eq!(t.rn_usage(), EMPTY);
}

#[test]
fn bad_arguments() {
    assert!(RadixNodeHead::<u32>::rn_inithead(0).is_err_and(|e| e == EINVAL));
    assert!(RadixNodeHead::<u32>::rn_inithead(256).is_err_and(|e| e == EINVAL));
    let mut t = RadixNodeHead::rn_inithead(4).unwrap();
    assert_eq!(t.rn_addroute(&[1, 2, 3], None, 1), Err((EINVAL, 1)));
    assert_eq!(t.rn_addroute(&[1, 2, 3, 4], Some(&[255; 3]), 2), Err((EINVAL, 2)));
    assert_eq!(t.rn_addroute(&[1, 2, 3, 4, 5], None, 3), Err((EINVAL, 3)));
    assert_eq!(t.rn_match(&[1, 2, 3]), None);
    assert_eq!(t.rn_lookup(&[1, 2, 3], None), None);
    assert_eq!(t.rn_delete(&[1, 2, 3, 4], Some(&[255; 5])), None);
    assert_eq!(t.rn_delete(&[1, 2, 3, 4], None), None);
    assert_eq!(t.get(0), None); // the left end marker
    assert_eq!(t.get(1), None);
    assert_eq!(t.get(12345), None);
    assert_eq!(t.rn_key(2), &[] as &[u8]);
    assert_eq!(t.rn_mask(99), None);
    assert!(t.is_empty());
    t.rn_verify().unwrap();
    // Other key lengths.
    let mut t6 = RadixNodeHead::rn_inithead(16).unwrap();
    let mut k = [0u8; 16];
    k[0] = 0x20;
    k[1] = 0x01;
    let mut m = [0u8; 16];
    m[..4].fill(0xff);
    t6.rn_addroute(&k, Some(&m), 1u32).map_err(|(e, _)| e).unwrap();
    k[15] = 1;
    assert_eq!(t6.rn_match(&k).and_then(|id| t6.get(id)), Some(&1));
    k[3] = 1;
    assert_eq!(t6.rn_match(&k), None);
    t6.rn_verify().unwrap();
}

#[test]
fn non_contiguous_masks() {
    let mut t = RadixNodeHead::rn_inithead(4).unwrap();
    let m = ip("255.0.255.0").to_be_bytes();
    t.rn_addroute(&ip("10.0.1.0").to_be_bytes(), Some(&m), 1).map_err(|(e, _)| e).unwrap();
    t.rn_addroute(&ip("10.0.2.0").to_be_bytes(), Some(&m), 2).map_err(|(e, _)| e).unwrap();
    add(&mut t, "10.0.0.0", 8, 3);
    t.rn_verify().unwrap();
    assert_eq!(lookup(&t, "10.5.1.7"), Some(1));
    assert_eq!(lookup(&t, "10.200.2.7"), Some(2));
    assert_eq!(lookup(&t, "10.5.3.7"), Some(3));
    assert_eq!(t.rn_delete(&ip("10.0.1.0").to_be_bytes(), Some(&m)), Some(1));
    t.rn_verify().unwrap();
    assert_eq!(lookup(&t, "10.5.1.7"), Some(3));
    assert_eq!(lookup(&t, "10.200.2.7"), Some(2));
    assert_eq!(t.rn_delete(&ip("10.0.2.0").to_be_bytes(), Some(&m)), Some(2));
    assert_eq!(del(&mut t, "10.0.0.0", 8), Some(3));
    assert_eq!(t.rn_usage(), EMPTY);
}

#[test]
fn walktree_stops_early() {
    let mut t = RadixNodeHead::rn_inithead(4).unwrap();
    for i in 0..10u32 {
        add(&mut t, &format!("10.0.{i}.0"), 24, i);
    }
    let mut seen = Vec::new();
    t.rn_walktree(|_, v| {
        seen.push(*v);
        seen.len() < 3
    });
    assert_eq!(seen, vec![0, 1, 2]);
}

// The model: routes as (masked key, prefix length, value).

#[derive(Clone, Debug)]
enum Op {
    Add(u32, u32),
    Del(u32, u32),
    Match(u32),
}

/// Keys that collide often, the end markers' keys among them.
const POOL: [u32; 12] = [
    0,
    u32::MAX,
    0x0a00_0000,
    0x0a00_0001,
    0x0a01_0000,
    0x8cfc_0d20,
    0x8cfc_0d21,
    0xc0a8_0101,
    0x7f00_0001,
    0xe000_0000,
    0x8000_0000,
    0x7fff_ffff,
];

fn key() -> impl Strategy<Value = u32> {
    prop_oneof![3 => prop::sample::select(&POOL[..]), 1 => any::<u32>()]
}

fn op() -> impl Strategy<Value = Op> {
    let len = prop_oneof![0u32..=32, prop::sample::select(vec![0u32, 8, 16, 24, 32])];
    prop_oneof![
        4 => (key(), len.clone()).prop_map(|(k, l)| Op::Add(k, l)),
        2 => (key(), len).prop_map(|(k, l)| Op::Del(k, l)),
        1 => key().prop_map(Op::Match),
    ]
}

struct Model {
    routes: Vec<(u32, u32, u32)>,
}

impl Model {
    fn best(&self, a: u32) -> Option<u32> {
        self.routes.iter().filter(|r| a & mask(r.1) == r.0).max_by_key(|r| r.1).map(|r| r.2)
    }

    /// Key order, most specific first within a key.
    fn walk(&self) -> Vec<u32> {
        let mut r = self.routes.clone();
        r.sort_by_key(|&(k, l, _)| (k, std::cmp::Reverse(l)));
        r.into_iter().map(|r| r.2).collect()
    }
}

fn check(t: &RadixNodeHead<u32>, model: &Model, probes: &[u32]) -> Result<(), TestCaseError> {
    prop_assert_eq!(t.rn_verify(), Ok(()));
    prop_assert_eq!(t.len(), model.routes.len());
    prop_assert_eq!(walk(t), model.walk());
    for &a in probes {
        let got = t.rn_match(&a.to_be_bytes()).map(|id| *t.get(id).unwrap());
        prop_assert_eq!(got, model.best(a), "match {:08x}", a);
    }
    for &(k, l, v) in &model.routes {
        let m = marg(l);
        let id = t.rn_lookup(&k.to_be_bytes(), m.as_ref().map(|m| &m[..]));
        prop_assert_eq!(id.and_then(|id| t.get(id)), Some(&v));
        prop_assert_eq!(route(t, id.unwrap()), (k, l));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn matches_brute_force(ops in prop::collection::vec(op(), 0..150), extra in prop::collection::vec(any::<u32>(), 8)) {
        let mut t = RadixNodeHead::rn_inithead(4).unwrap();
        let mut model = Model { routes: Vec::new() };
        let mut next = 0u32;
        for o in ops {
            let probe = match o {
                Op::Add(k, l) => {
                    let k = k & mask(l);
                    next += 1;
                    let m = marg(l);
                    let r = t.rn_addroute(&k.to_be_bytes(), m.as_ref().map(|m| &m[..]), next);
                    if model.routes.iter().any(|r| r.0 == k && r.1 == l) {
                        prop_assert_eq!(r, Err((EEXIST, next)));
                    } else {
                        let id = r.map_err(|(e, _)| e).unwrap();
                        prop_assert_eq!(route(&t, id), (k, l));
                        model.routes.push((k, l, next));
                    }
                    k
                }
                Op::Del(k, l) => {
                    let m = marg(l);
                    // Any key bits outside the mask are ignored.
                    let got = t.rn_delete(&k.to_be_bytes(), m.as_ref().map(|m| &m[..]));
                    let k = k & mask(l);
                    let i = model.routes.iter().position(|r| r.0 == k && r.1 == l);
                    prop_assert_eq!(got, i.map(|i| model.routes.remove(i).2));
                    k
                }
                Op::Match(a) => a,
            };
            let mut probes = vec![probe, probe ^ 1, probe | 0xff, probe ^ 0x100, !probe];
            probes.extend(model.routes.iter().flat_map(|r| [r.0, r.0 | !mask(r.1), r.0 ^ 0x8000]));
            probes.extend(&extra);
            probes.extend(POOL);
            check(&t, &model, &probes)?;
        }
        // Delete everything: nothing may stay behind.
        let mut routes = model.routes.clone();
        routes.reverse();
        routes.sort_by_key(|r| r.2 % 7);
        for (k, l, v) in routes {
            let m = marg(l);
            prop_assert_eq!(t.rn_delete(&k.to_be_bytes(), m.as_ref().map(|m| &m[..])), Some(v));
            prop_assert_eq!(t.rn_verify(), Ok(()));
        }
        prop_assert!(t.is_empty());
        prop_assert_eq!(t.rn_usage(), EMPTY);
        prop_assert_eq!(t.rn_match(&[0; 4]), None);
        prop_assert_eq!(walk(&t), Vec::<u32>::new());
    }

    /// Any masks, contiguous or not: a match is found whenever some route
    /// matches, and it does match (with non-contiguous masks "most
    /// specific" has no single meaning).
    #[test]
    fn any_masks(ops in prop::collection::vec((any::<bool>(), key(), prop_oneof![any::<u32>(), (0u32..=32).prop_map(mask)]), 0..80),
                 probes in prop::collection::vec(key(), 16)) {
        let mut t = RadixNodeHead::rn_inithead(4).unwrap();
        let mut routes: Vec<(u32, u32, u32)> = Vec::new();
        let mut next = 0;
        for (is_add, k, m) in ops {
            let k = k & m;
            let marg = (m != u32::MAX).then(|| m.to_be_bytes());
            let marg = marg.as_ref().map(|m| &m[..]);
            let i = routes.iter().position(|r| r.0 == k && r.1 == m);
            if is_add {
                next += 1;
                match (t.rn_addroute(&k.to_be_bytes(), marg, next), i) {
                    (Err((e, v)), Some(_)) => prop_assert_eq!((e, v), (EEXIST, next)),
                    (Ok(_), None) => routes.push((k, m, next)),
                    (r, i) => prop_assert!(false, "add {:08x}/{:08x}: {:?} {:?}", k, m, r, i),
                }
            } else {
                prop_assert_eq!(t.rn_delete(&k.to_be_bytes(), marg), i.map(|i| routes.remove(i).2));
            }
            prop_assert_eq!(t.rn_verify(), Ok(()));
            for a in probes.iter().copied().chain(routes.iter().map(|r| r.0 | !r.1)) {
                let got = t.rn_match(&a.to_be_bytes()).map(|id| *t.get(id).unwrap());
                let any = routes.iter().any(|r| a & r.1 == r.0);
                prop_assert_eq!(got.is_some(), any, "match {:08x}", a);
                if let Some(v) = got {
                    let r = routes.iter().find(|r| r.2 == v).unwrap();
                    prop_assert!(a & r.1 == r.0);
                    // With contiguous masks only, the longest prefix.
                    let contiguous = |m: u32| (!m).wrapping_add(1) & !m == 0;
                    let matching: Vec<_> = routes.iter().filter(|q| a & q.1 == q.0).collect();
                    if matching.iter().all(|q| contiguous(q.1)) {
                        let best = matching.iter().map(|q| q.1.count_ones()).max().unwrap();
                        prop_assert_eq!(r.1.count_ones(), best);
                    }
                }
            }
        }
        prop_assert_eq!(t.len(), routes.len());
        let mut n = 0;
        t.rn_walktree(|_, _| { n += 1; true });
        prop_assert_eq!(n, routes.len());
        for (k, m, v) in routes {
            let marg = (m != u32::MAX).then(|| m.to_be_bytes());
            prop_assert_eq!(t.rn_delete(&k.to_be_bytes(), marg.as_ref().map(|m| &m[..])), Some(v));
            prop_assert_eq!(t.rn_verify(), Ok(()));
        }
        prop_assert_eq!(t.rn_usage(), EMPTY);
    }
}
