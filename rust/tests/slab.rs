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
}
