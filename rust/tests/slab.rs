//! The object table against a plain model.

use bsdinet::bsd::sys::slab::Slab;
use proptest::prelude::*;
use std::collections::BTreeMap;

proptest! {
    #[test]
    fn slab_matches_a_map(ops in prop::collection::vec((any::<bool>(), 0usize..64, any::<u32>()), 0..400)) {
        let mut slab = Slab::new();
        let mut model = BTreeMap::new();
        for (insert, pick, v) in ops {
            if insert || model.is_empty() {
                let i = slab.insert(v).unwrap();
                prop_assert!(model.insert(i, v).is_none(), "index {} handed out twice", i);
            } else {
                let i = *model.keys().nth(pick % model.len()).unwrap();
                prop_assert_eq!(slab.remove(i), model.remove(&i));
                prop_assert_eq!(slab.remove(i), None);
            }
            prop_assert_eq!(slab.len(), model.len());
            let all: Vec<(usize, u32)> = slab.iter().map(|(i, v)| (i, *v)).collect();
            let want: Vec<(usize, u32)> = model.iter().map(|(i, v)| (*i, *v)).collect();
            prop_assert_eq!(all, want);
        }
    }

    /// Big objects, a few per chunk, so that operations cross chunks; and
    /// indices never seen are answered `None`.
    #[test]
    fn big_objects_across_chunks(ops in prop::collection::vec((0u8..3, 0usize..4096, any::<u32>()), 0..300)) {
        let mut slab: Slab<[u32; 1000]> = Slab::new();
        let mut model = BTreeMap::new();
        prop_assert_eq!(slab.per_chunk(), 4);
        let mut high = 0;
        for (op, pick, v) in ops {
            match op {
                0 => {
                    let i = slab.insert([v; 1000]).unwrap();
                    prop_assert!(model.insert(i, v).is_none());
                    high = high.max(i + 1);
                }
                1 if !model.is_empty() => {
                    let i = *model.keys().nth(pick % model.len()).unwrap();
                    prop_assert_eq!(slab.remove(i).map(|a| a[999]), model.remove(&i));
                }
                _ => {
                    prop_assert_eq!(slab.get(pick).map(|a| a[0]), model.get(&pick).copied());
                    if let Some(a) = slab.get_mut(pick) {
                        a[0] = v;
                        a[999] = v;
                        model.insert(pick, v);
                    }
                }
            }
            prop_assert_eq!(slab.len(), model.len());
            for (i, a) in slab.iter_mut() {
                prop_assert_eq!(Some(&a[0]), model.get(&i));
            }
            // A chunk is made only when every slot is taken.
            prop_assert_eq!(slab.chunks(), high.div_ceil(4));
        }
    }
}

/// The performance goal: 100,000 sockets' worth of entries, in chunks of
/// 16 KiB at most, all freed and reused.
#[test]
fn a_hundred_thousand_entries() {
    const N: usize = 100_000;
    let mut slab: Slab<[u64; 40]> = Slab::new();
    assert!(slab.per_chunk() * 320 <= 16 * 1024);
    for i in 0..N {
        assert_eq!(slab.insert([i as u64; 40]), Ok(i));
    }
    assert_eq!(slab.len(), N);
    assert_eq!(slab.chunks(), N.div_ceil(slab.per_chunk()));
    assert_eq!(slab.get(N - 1).map(|a| a[39]), Some(N as u64 - 1));
    assert!(slab.get(N).is_none());
    // Every other one out, then the rest.
    for i in (0..N).step_by(2).chain((1..N).step_by(2)) {
        assert_eq!(slab.remove(i).map(|a| a[0]), Some(i as u64));
        assert!(slab.get(i).is_none());
    }
    assert!(slab.is_empty());
    assert_eq!(slab.iter().count(), 0);
    // The freed slots come back, the last freed first; no chunk is added.
    let chunks = slab.chunks();
    for k in 0..N {
        let i = slab.insert([7; 40]).unwrap();
        assert!(i < N);
        if k == 0 {
            assert_eq!(i, N - 1);
        }
    }
    assert_eq!((slab.len(), slab.chunks()), (N, chunks));
}

#[test]
fn zero_sized_entries() {
    let mut slab = Slab::new();
    let a = slab.insert(()).unwrap();
    let b = slab.insert(()).unwrap();
    assert_ne!(a, b);
    assert_eq!(slab.remove(a), Some(()));
    assert_eq!(slab.remove(a), None);
    assert_eq!(slab.insert(()), Ok(a));
    assert_eq!(slab.len(), 2);
}
