//! Radix trees for routing lookups (`net/radix.h`, `net/radix.c`; book
//! chapter 18).
//!
//! A PATRICIA tree, as in the book: internal nodes test one bit of the key
//! (`rn_b`, `rn_bmask`, `rn_off`), leaves hold a key and an optional mask,
//! and routes with the same key but different masks hang off one leaf as
//! its `rn_dupedkey` chain, most specific first (section 18.9). Routes that
//! apply to a whole subtree are also noted on the highest internal node
//! they cover (`rn_mklist`, `struct radix_mask`), so that `rn_match` can
//! backtrack to them (sections 18.9, 18.10). Masks are kept once each in a
//! second radix tree (the book's `mask_rnhead`, section 18.8), so that equal
//! masks are the same object and compare by identity.
//!
//! Pointers become indices into an arena. As in the book, every route owns
//! a pair of nodes (`struct radix_node rt_nodes[2]`): the leaf at `2 * p`
//! and an internal node at `2 * p + 1` ("`tt + 1`"), which `rn_insert`
//! puts wherever the new key's bit belongs, so the internal node a route
//! owns need not be its leaf's parent. A leaf never moves, so its index is
//! the route's handle (`RnId`).
//!
//! Differences from the book, each for a reason given where it is done:
//! keys are plain `keylen`-byte addresses (no `sockaddr` length byte, so
//! the tree's offset is 0); keys are stored masked (the book leaves that
//! to `rtrequest`); a mask no longer used leaves the mask tree; the end
//! marker with all-ones key can equal a real address (255.255.255.255);
//! every allocation is made before the tree changes, so a failure leaves
//! it as it was.

use crate::bsd::sys::errno::{Errno, Result, EEXIST, EINVAL, ENOBUFS};
use crate::platform::Vec;

/// A leaf's handle: stable while the leaf is in the tree.
pub type RnId = usize;

/// The longest key accepted: the book's keys carry their length in a byte.
pub const RN_MAXKEYLEN: usize = 255;

// rn_flags (section 18.5).
/// The leaf's mask is contiguous ("normal"), so one bit index decides.
const RNF_NORMAL: u8 = 1;
/// One of the three nodes made by `rn_inithead`.
const RNF_ROOT: u8 = 2;
/// The node is in the tree.
const RNF_ACTIVE: u8 = 4;

// The fixed nodes of every tree, `rnh_nodes[3]` in the book (section
// 18.8): pair 0 is the left end marker (key all zeros) and the top
// (`rnh_treetop`), pair 1's leaf is the right end marker (key all ones);
// its internal half stays unused.
const LEFT: usize = 0;
const TOP: usize = 1;
const RIGHT: usize = 2;
const FIXED_PAIRS: usize = 2;

/// `normal_chars[]`: the byte of a contiguous mask with `i` leading ones.
const NORMAL_CHARS: [u8; 9] = [0, 0x80, 0xc0, 0xe0, 0xf0, 0xf8, 0xfc, 0xfe, 0xff];

/// `struct radix_node` (section 18.5). The book overlays the leaf and
/// internal fields in a union; here both are present and `rn_b` tells
/// which ones mean something (negative: a leaf).
#[derive(Clone, Copy)]
struct RadixNode {
    /// Internal node: the annotations of routes covering this subtree;
    /// leaf: the annotation made for this route, if it was lifted.
    rn_mklist: Option<usize>,
    /// Parent; for a leaf behind the head of a duped-key chain, the leaf
    /// before it.
    rn_p: usize,
    /// Internal node: the bit tested; leaf: -1 - index of the mask.
    rn_b: i32,
    rn_bmask: u8,
    rn_flags: u8,
    // Leaf only.
    /// The mask: a leaf of the mask tree; None for a host entry.
    rn_mask: Option<usize>,
    rn_dupedkey: Option<usize>,
    // Internal node only.
    rn_off: usize,
    rn_l: usize,
    rn_r: usize,
}

const IDLE: RadixNode = RadixNode {
    rn_mklist: None,
    rn_p: 0,
    rn_b: -1,
    rn_bmask: 0,
    rn_flags: 0,
    rn_mask: None,
    rn_dupedkey: None,
    rn_off: 0,
    rn_l: 0,
    rn_r: 0,
};

/// `struct radix_mask` (section 18.5): a route noted on an internal node.
/// As in the book it names the mask, not the leaf, so that routes with the
/// same (non-contiguous) mask under one node share it (`rm_refs`).
#[derive(Clone, Copy)]
struct RadixMask {
    /// -1 - index of the mask, as the leaf's `rn_b`.
    rm_b: i32,
    rm_mklist: Option<usize>,
    /// A leaf of the mask tree.
    rm_mask: usize,
    /// How many more routes than one use this annotation.
    rm_refs: i32,
}

/// The `radix_mask` arena; `free` is the book's `rn_mkfreelist`.
struct Rms {
    v: Vec<RadixMask>,
    free: Vec<usize>,
    live: usize,
}

impl Rms {
    const fn new() -> Self {
        Rms { v: Vec::new(), free: Vec::new(), live: 0 }
    }

    /// Makes sure `n` annotations can be made without allocating.
    fn reserve(&mut self, n: usize) -> Result {
        let pushes = n.saturating_sub(self.free.len());
        self.v.reserve(pushes).map_err(|_| ENOBUFS)?;
        // Room in `free` for every slot, so that MKFree never allocates.
        let need = (self.v.len() + pushes).saturating_sub(self.free.len());
        self.free.reserve(need).map_err(|_| ENOBUFS)
    }

    /// `MKGet`.
    fn get(&mut self, m: RadixMask) -> Option<usize> {
        let i = match self.free.pop() {
            Some(i) => {
                self.v[i] = m;
                i
            }
            None => {
                self.v.push(m).ok()?;
                self.v.len() - 1
            }
        };
        self.live += 1;
        Some(i)
    }

    /// `MKFree`.
    fn put(&mut self, i: usize) {
        // Cannot fail: `reserve` made room for every slot.
        let _ = self.free.push(i);
        self.live -= 1;
    }
}

/// A key as the tree sees it: `v`, under `m` when given. Searching with a
/// mask is the book's `rn_search_m`, and masking keys this way spares the
/// copy the book makes into `maskedKey` or through `rt_maskedcopy`.
#[derive(Clone, Copy)]
struct Key<'a> {
    v: &'a [u8],
    m: Option<&'a [u8]>,
}

impl Key<'_> {
    fn at(&self, i: usize) -> u8 {
        let b = self.v.get(i).copied().unwrap_or(0);
        match self.m {
            Some(m) => b & m.get(i).copied().unwrap_or(0),
            None => b,
        }
    }
}

/// Where `rn_insert` puts a key: the first half of the book's function,
/// split off so that allocations can be made before the tree changes.
#[derive(Clone, Copy)]
enum Ins {
    /// The key is there: the head of its chain.
    Dup(usize),
    /// A new internal node testing bit `b` goes between `p` and `x`.
    New { b: i32, p: usize, x: usize },
}

/// The nodes of one tree with their keys and values (the book's
/// `radix_node_head` without the function pointers).
struct Tree<T> {
    keylen: usize,
    /// Two per pair: leaf, internal node.
    nodes: Vec<RadixNode>,
    /// `keylen` bytes per pair: the leaf's `rn_key`.
    keys: Vec<u8>,
    /// One per pair: the route's value (`None` for the markers).
    vals: Vec<Option<T>>,
    /// Free pairs.
    free: Vec<usize>,
}

impl<T> Tree<T> {
    /// `rn_inithead`: the three fixed nodes (section 18.8).
    fn new(keylen: usize) -> Result<Self> {
        let mut t = Tree {
            keylen,
            nodes: Vec::new(),
            keys: Vec::new(),
            vals: Vec::new(),
            free: Vec::new(),
        };
        for _ in 0..FIXED_PAIRS {
            t.grow()?;
        }
        let marker = RadixNode { rn_p: TOP, rn_flags: RNF_ROOT | RNF_ACTIVE, ..IDLE };
        t.nodes[LEFT] = marker;
        t.nodes[RIGHT] = marker;
        t.nodes[TOP] = RadixNode {
            rn_p: TOP,
            rn_b: 0,
            rn_bmask: 0x80,
            rn_flags: RNF_ROOT | RNF_ACTIVE,
            rn_l: LEFT,
            rn_r: RIGHT,
            ..IDLE
        };
        for b in &mut t.keys[keylen..2 * keylen] {
            *b = 0xff;
        }
        Ok(t)
    }

    /// Adds an idle pair at the end of the arena.
    fn grow(&mut self) -> Result<usize> {
        let p = self.vals.len();
        self.nodes.reserve(2).map_err(|_| ENOBUFS)?;
        self.keys.reserve(self.keylen).map_err(|_| ENOBUFS)?;
        self.vals.reserve(1).map_err(|_| ENOBUFS)?;
        // Cannot fail after the reservations; undone all the same if it did.
        let ok = self.nodes.push(IDLE).is_ok()
            && self.nodes.push(IDLE).is_ok()
            && (0..self.keylen).all(|_| self.keys.push(0).is_ok())
            && self.vals.push(None).is_ok();
        if !ok {
            while self.nodes.len() > 2 * p {
                self.nodes.pop();
            }
            while self.keys.len() > p * self.keylen {
                self.keys.pop();
            }
            while self.vals.len() > p {
                self.vals.pop();
            }
            return Err(ENOBUFS);
        }
        Ok(p)
    }

    /// A pair for a new route (the book's `R_Malloc` of an rtentry).
    fn alloc_pair(&mut self) -> Result<usize> {
        // Room in `free` for every pair, so that `free_pair` never allocates.
        let need = (self.vals.len() + 1).saturating_sub(self.free.len());
        self.free.reserve(need).map_err(|_| ENOBUFS)?;
        match self.free.pop() {
            Some(p) => Ok(p),
            None => self.grow(),
        }
    }

    /// Gives pair `p` back, with its value.
    fn free_pair(&mut self, p: usize) -> Option<T> {
        self.nodes[2 * p] = IDLE;
        self.nodes[2 * p + 1] = IDLE;
        let v = self.vals[p].take();
        let _ = self.free.push(p);
        v
    }

    /// Pairs in use beyond the fixed ones.
    fn pairs_in_use(&self) -> usize {
        self.vals.len() - FIXED_PAIRS - self.free.len()
    }

    /// The key of leaf `x`.
    fn key(&self, x: usize) -> &[u8] {
        let p = x >> 1;
        self.keys.get(p * self.keylen..(p + 1) * self.keylen).unwrap_or(&[])
    }

    fn is_leaf(&self, x: usize) -> bool {
        self.nodes[x].rn_b < 0
    }

    fn is_root(&self, x: usize) -> bool {
        self.nodes[x].rn_flags & RNF_ROOT != 0
    }

    /// The child of internal node `x` that key `k` leads to.
    fn child(&self, x: usize, k: Key<'_>) -> usize {
        let n = &self.nodes[x];
        if k.at(n.rn_off) & n.rn_bmask != 0 {
            n.rn_r
        } else {
            n.rn_l
        }
    }

    /// `rn_search` (section 18.11), and `rn_search_m` when `k` has a mask:
    /// follows the key's bits from `head` down to a leaf.
    fn rn_search(&self, k: Key<'_>, head: usize) -> usize {
        let mut x = head;
        while !self.is_leaf(x) {
            x = self.child(x, k);
        }
        x
    }

    /// The first bit at which `k` and leaf `t`'s key differ.
    fn first_diff(&self, k: Key<'_>, t: usize) -> Option<i32> {
        let key = self.key(t);
        (0..self.keylen).find_map(|i| {
            let d = k.at(i) ^ key.get(i).copied().unwrap_or(0);
            (d != 0).then(|| (i * 8) as i32 + d.leading_zeros() as i32)
        })
    }

    /// The first half of `rn_insert`: search for the key; if
    /// it is not there, find where the bit it differs at belongs.
    fn find_insert(&self, k: Key<'_>) -> Ins {
        let t = self.rn_search(k, TOP);
        let Some(b) = self.first_diff(k, t) else {
            return Ins::Dup(t);
        };
        let mut x = TOP;
        let mut p;
        loop {
            p = x;
            x = self.child(x, k);
            // The book's `b > (unsigned) x->rn_b`: stop at a leaf too.
            let xb = self.nodes[x].rn_b;
            if xb < 0 || xb >= b {
                break;
            }
        }
        Ins::New { b, p, x }
    }

    /// Writes `k` as the key of pair `p`.
    fn set_key(&mut self, p: usize, k: Key<'_>) {
        let kl = self.keylen;
        if let Some(dst) = self.keys.get_mut(p * kl..(p + 1) * kl) {
            for (i, d) in dst.iter_mut().enumerate() {
                *d = k.at(i);
            }
        }
    }

    /// `rn_newpair` and the second half of `rn_insert`: pair `pair`'s internal node, testing bit `b`, goes between
    /// `p` and `x`, with the new leaf as its other child.
    fn rn_insert_at(&mut self, k: Key<'_>, b: i32, p: usize, x: usize, pair: usize) -> usize {
        let (tt, t) = (2 * pair, 2 * pair + 1);
        self.nodes[t] = RadixNode {
            rn_b: b,
            rn_bmask: 0x80 >> (b & 7),
            rn_off: (b >> 3) as usize,
            rn_l: tt,
            rn_flags: RNF_ACTIVE,
            ..IDLE
        };
        self.nodes[tt] = RadixNode { rn_p: t, rn_flags: RNF_ACTIVE, ..IDLE };
        self.set_key(pair, k);
        if k.at(self.nodes[p].rn_off) & self.nodes[p].rn_bmask == 0 {
            self.nodes[p].rn_l = t;
        } else {
            self.nodes[p].rn_r = t;
        }
        self.nodes[x].rn_p = t;
        self.nodes[t].rn_p = p;
        if k.at(self.nodes[t].rn_off) & self.nodes[t].rn_bmask == 0 {
            self.nodes[t].rn_r = x;
        } else {
            self.nodes[t].rn_r = tt;
            self.nodes[t].rn_l = x;
        }
        tt
    }

    /// In internal node `p`, the child `old` becomes `new`.
    fn replace_child(&mut self, p: usize, old: usize, new: usize) {
        if self.nodes[p].rn_l == old {
            self.nodes[p].rn_l = new;
        } else {
            self.nodes[p].rn_r = new;
        }
    }

    /// Internal node `from` moves to the free slot `to` (the book's
    /// `*t = *x` with the links fixed).
    fn move_node(&mut self, from: usize, to: usize) {
        let n = self.nodes[from];
        self.nodes[to] = n;
        self.nodes[n.rn_l].rn_p = to;
        self.nodes[n.rn_r].rn_p = to;
        self.replace_child(n.rn_p, from, to);
        self.nodes[from] = IDLE;
    }

    /// The second half of `rn_delete`: takes leaf
    /// `tt`, whose chain starts at `saved_tt`, out of the tree. Annotations
    /// on a removed internal node are demoted to the node taking its place.
    fn rn_unlink(&mut self, tt: usize, saved_tt: usize, rm: &mut Rms) {
        let t = self.nodes[tt].rn_p;
        let ti = tt | 1;
        if let Some(dupedkey) = self.nodes[saved_tt].rn_dupedkey {
            // A duped key: only the chain changes.
            let x = if tt == saved_tt {
                self.nodes[dupedkey].rn_p = t;
                self.replace_child(t, tt, dupedkey);
                dupedkey
            } else {
                let mut p = saved_tt;
                while self.nodes[p].rn_dupedkey != Some(tt) {
                    match self.nodes[p].rn_dupedkey {
                        Some(n) => p = n,
                        None => break, // "rn_delete: couldn't find us"
                    }
                }
                if self.nodes[p].rn_dupedkey == Some(tt) {
                    let next = self.nodes[tt].rn_dupedkey;
                    self.nodes[p].rn_dupedkey = next;
                    if let Some(n) = next {
                        self.nodes[n].rn_p = p;
                    }
                }
                saved_tt
            };
            // Only the route that first brought the key has its internal
            // node in use; the chain keeps it, in a pair that stays.
            if self.nodes[ti].rn_flags & RNF_ACTIVE != 0 {
                self.move_node(ti, x | 1);
            }
            return;
        }
        // The only leaf with its key: its parent t goes too, the sibling
        // x takes t's place.
        let x = if self.nodes[t].rn_l == tt { self.nodes[t].rn_r } else { self.nodes[t].rn_l };
        let p = self.nodes[t].rn_p;
        self.replace_child(p, t, x);
        self.nodes[x].rn_p = p;
        // Demote routes attached to t.
        if let Some(mk) = self.nodes[t].rn_mklist.take() {
            if !self.is_leaf(x) {
                // x's own annotations are more specific: append t's.
                match self.nodes[x].rn_mklist {
                    None => self.nodes[x].rn_mklist = Some(mk),
                    Some(mut m) => {
                        while let Some(n) = rm.v[m].rm_mklist {
                            m = n;
                        }
                        rm.v[m].rm_mklist = Some(mk);
                    }
                }
            } else {
                // A search for any key under t now ends at x's chain, where
                // its routes are checked directly: drop their annotations.
                let mut m = Some(mk);
                while let Some(mi) = m {
                    m = rm.v[mi].rm_mklist;
                    let mut y = Some(x);
                    while let Some(yi) = y {
                        if self.nodes[yi].rn_mklist == Some(mi) {
                            self.nodes[yi].rn_mklist = None;
                            rm.v[mi].rm_refs -= 1;
                        }
                        y = self.nodes[yi].rn_dupedkey;
                    }
                    if rm.v[mi].rm_refs < 0 {
                        rm.put(mi);
                    }
                    // Else "rn_delete: Orphaned Mask": left alone.
                }
            }
        }
        // We may be holding an active internal node elsewhere in the
        // tree: it moves into t's slot.
        if t != ti {
            self.move_node(ti, t);
        }
    }

    /// The next duped-key chain in key order after the one at `head`.
    fn next_head(&self, head: usize) -> Option<usize> {
        // If at right child go back up, otherwise, go right.
        let mut rn = head;
        while rn != TOP && self.nodes[self.nodes[rn].rn_p].rn_r == rn {
            rn = self.nodes[rn].rn_p;
        }
        if rn == TOP {
            return None;
        }
        Some(self.leftmost(self.nodes[self.nodes[rn].rn_p].rn_r))
    }

    fn leftmost(&self, mut rn: usize) -> usize {
        while !self.is_leaf(rn) {
            rn = self.nodes[rn].rn_l;
        }
        rn
    }

    /// Checks the links and bits; gives the number of leaves.
    fn verify_shape(&self) -> core::result::Result<usize, &'static str> {
        let (mut internal, mut heads, mut leaves) = (0usize, 0usize, 0usize);
        let mut n = TOP;
        let mut steps = 0;
        loop {
            steps += 1;
            if steps > self.nodes.len() + 2 {
                return Err("cycle");
            }
            let nd = &self.nodes[n];
            if nd.rn_flags & RNF_ACTIVE == 0 {
                return Err("inactive node in the tree");
            }
            if nd.rn_b >= 0 {
                internal += 1;
                if nd.rn_b as usize >= self.keylen * 8
                    || nd.rn_off != (nd.rn_b >> 3) as usize
                    || nd.rn_bmask != 0x80 >> (nd.rn_b & 7)
                {
                    return Err("bad bit");
                }
                for c in [nd.rn_l, nd.rn_r] {
                    if self.nodes[c].rn_p != n {
                        return Err("bad parent");
                    }
                    if self.nodes[c].rn_b >= 0 && self.nodes[c].rn_b <= nd.rn_b {
                        return Err("bits not increasing");
                    }
                }
                n = nd.rn_l;
                continue;
            }
            heads += 1;
            let k = Key { v: self.key(n), m: None };
            if self.rn_search(k, TOP) != n {
                return Err("leaf not found by its key");
            }
            let mut prev = n;
            let mut y = nd.rn_dupedkey;
            leaves += 1;
            while let Some(yi) = y {
                let yn = &self.nodes[yi];
                if yn.rn_b >= 0 || yn.rn_flags & RNF_ACTIVE == 0 || yn.rn_p != prev {
                    return Err("bad chain");
                }
                if self.key(yi) != self.key(n) {
                    return Err("chain keys differ");
                }
                if yn.rn_mask.is_none() && yn.rn_flags & RNF_ROOT == 0 {
                    return Err("host entry behind the chain's head");
                }
                leaves += 1;
                prev = yi;
                y = yn.rn_dupedkey;
                if leaves > self.nodes.len() {
                    return Err("cycle in chain");
                }
            }
            // Preorder: climb while a right child, then go right.
            let mut rn = n;
            while rn != TOP && self.nodes[self.nodes[rn].rn_p].rn_r == rn {
                rn = self.nodes[rn].rn_p;
            }
            if rn == TOP {
                break;
            }
            n = self.nodes[self.nodes[rn].rn_p].rn_r;
        }
        if internal + 1 != heads {
            return Err("internal nodes and leaves do not add up");
        }
        let active = self.nodes.iter().filter(|n| n.rn_flags & RNF_ACTIVE != 0).count();
        if active != internal + leaves {
            return Err("active nodes outside the tree");
        }
        Ok(leaves)
    }
}

/// The book's `rn_refines`: whether mask `m` is strictly more specific
/// than `n` (has all of its bits and more).
fn rn_refines(m: &[u8], n: &[u8]) -> bool {
    let mut equal = true;
    for (&a, &b) in m.iter().zip(n) {
        if b & !a != 0 {
            return false;
        }
        if a != b {
            equal = false;
        }
    }
    !equal
}

/// The index of a mask (its first zero bit) and whether it is normal
/// (nothing but zeros after that), as `rn_addmask` computes them.
fn mask_index(mask: &[u8]) -> (i32, bool) {
    let Some(i) = mask.iter().position(|&c| c != 0xff) else {
        return ((mask.len() * 8) as i32, true);
    };
    let ones = mask[i].leading_ones() as usize;
    let normal = mask[i] == NORMAL_CHARS[ones] && mask[i + 1..].iter().all(|&c| c == 0);
    ((i * 8 + ones) as i32, normal)
}

/// What the arenas hold beyond the fixed nodes, to check for leaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RnUsage {
    /// Node pairs of routes (one per route).
    pub route_pairs: usize,
    /// Node pairs of the mask tree (one per distinct mask in use, but the
    /// all-zeros mask, which is the mask tree's left end marker).
    pub mask_pairs: usize,
    /// `radix_mask` annotations.
    pub radix_masks: usize,
}

/// A routing tree (`struct radix_node_head`) whose routes carry a `V`.
pub struct RadixNodeHead<V> {
    rnh: Tree<V>,
    /// `mask_rnhead`; the value of a mask is the number of routes using it.
    /// The book has one for all trees; one per tree keeps them apart.
    masks: Tree<u32>,
    rm: Rms,
    len: usize,
}

impl<V> RadixNodeHead<V> {
    /// A tree whose keys are `keylen` bytes (4 for IPv4 addresses, network
    /// byte order); `rn_inithead` with the mask tree of `rn_init`.
    pub fn rn_inithead(keylen: usize) -> Result<Self> {
        if keylen == 0 || keylen > RN_MAXKEYLEN {
            return Err(EINVAL);
        }
        Ok(RadixNodeHead {
            rnh: Tree::new(keylen)?,
            masks: Tree::new(keylen)?,
            rm: Rms::new(),
            len: 0,
        })
    }

    /// The mask to use: None for a host entry (an all-ones mask is one).
    fn netmask<'a>(&self, mask: Option<&'a [u8]>) -> Result<Option<&'a [u8]>> {
        match mask {
            Some(m) if m.len() != self.rnh.keylen => Err(EINVAL),
            Some(m) if m.iter().all(|&c| c == 0xff) => Ok(None),
            m => Ok(m),
        }
    }

    /// `rn_addmask(mask, 1, ...)`: the mask tree's leaf for `netmask`. The
    /// all-zeros mask is the mask tree's left end marker, as in the book.
    fn mask_search(&self, netmask: &[u8]) -> Option<usize> {
        let x = self.masks.rn_search(Key { v: netmask, m: None }, TOP);
        (x != RIGHT && self.masks.key(x) == netmask).then_some(x)
    }

    /// The rest of `rn_addmask`: enters a new mask in the
    /// mask tree, with pair `pair`, noting its index and whether it is
    /// normal in the leaf.
    fn mask_insert(&mut self, netmask: &[u8], pair: usize) -> usize {
        let k = Key { v: netmask, m: None };
        match self.masks.find_insert(k) {
            Ins::Dup(x) => {
                // "rn_addmask: mask impossibly already in tree"
                self.masks.free_pair(pair);
                x
            }
            Ins::New { b, p, x } => {
                let tt = self.masks.rn_insert_at(k, b, p, x, pair);
                let (index, normal) = mask_index(netmask);
                self.masks.nodes[tt].rn_b = -1 - index;
                if normal {
                    self.masks.nodes[tt].rn_flags |= RNF_NORMAL;
                }
                self.masks.vals[pair] = Some(0);
                tt
            }
        }
    }

    /// One route fewer uses mask `m`; the last one takes it out of the
    /// mask tree (the book keeps masks forever, which non-contiguous ones
    /// would make a leak).
    fn mask_rele(&mut self, m: usize) {
        let Some(Some(refs)) = self.masks.vals.get_mut(m >> 1) else {
            return; // The fixed all-zeros mask.
        };
        *refs -= 1;
        if *refs == 0 {
            self.masks.rn_unlink(m, m, &mut Rms::new());
            self.masks.free_pair(m >> 1);
        }
    }

    /// `rn_new_radix_mask`: an annotation for leaf `tt`,
    /// in front of `next`.
    fn rn_new_radix_mask(&mut self, tt: usize, next: Option<usize>) -> Option<usize> {
        let n = &self.rnh.nodes[tt];
        let rm_mask = n.rn_mask?;
        // Cannot fail: rn_addroute reserved room first.
        let m = self.rm.get(RadixMask { rm_b: n.rn_b, rm_mklist: next, rm_mask, rm_refs: 0 })?;
        self.rnh.nodes[tt].rn_mklist = Some(m);
        Some(m)
    }

    /// The highest internal node that a route with mask index `b`, on the
    /// chain headed by `saved_tt`, applies to in full; None if it applies
    /// below its leaf's parent only ("can't lift at all"; section 18.9).
    fn lift_point(&self, saved_tt: usize, b: i32) -> Option<usize> {
        let nodes = &self.rnh.nodes;
        let mut t = nodes[saved_tt].rn_p;
        if b > nodes[t].rn_b {
            return None;
        }
        let mut x;
        loop {
            x = t;
            t = nodes[t].rn_p;
            if !(b <= nodes[t].rn_b && x != TOP) {
                break;
            }
        }
        Some(x)
    }

    /// Adds `key`/`mask` (None: a host entry, all ones) with value `v`
    /// (`rn_addroute`). EEXIST if that key and
    /// mask are there already (value given back). The key is stored
    /// masked.
    pub fn rn_addroute(
        &mut self,
        key: &[u8],
        mask: Option<&[u8]>,
        v: V,
    ) -> core::result::Result<RnId, (Errno, V)> {
        if key.len() != self.rnh.keylen {
            return Err((EINVAL, v));
        }
        let netmask = match self.netmask(mask) {
            Ok(m) => m,
            Err(e) => return Err((e, v)),
        };
        let k = Key { v: key, m: netmask };
        let mut mask_id = netmask.and_then(|nm| self.mask_search(nm));
        let ins = self.rnh.find_insert(k);
        // Refuse a duplicate before anything changes; the book finds it
        // walking the chain below. The end markers are no routes.
        let mut rm_need = 1;
        match ins {
            Ins::Dup(head) if netmask.is_none() || mask_id.is_some() => {
                let mut y = Some(head);
                while let Some(yi) = y {
                    let n = &self.rnh.nodes[yi];
                    if n.rn_flags & RNF_ROOT == 0 && n.rn_mask == mask_id {
                        return Err((EEXIST, v));
                    }
                    y = n.rn_dupedkey;
                }
            }
            Ins::New { x, .. } if self.rnh.is_leaf(x) => {
                // "Promote general routes from below" may note every route
                // of x's chain on the new node.
                let mut y = Some(x);
                while let Some(yi) = y {
                    rm_need += usize::from(self.rnh.nodes[yi].rn_mask.is_some());
                    y = self.rnh.nodes[yi].rn_dupedkey;
                }
            }
            _ => {}
        }
        // Every allocation now, so that nothing below can fail.
        if let Err(e) = self.rm.reserve(rm_need) {
            return Err((e, v));
        }
        let pair = match self.rnh.alloc_pair() {
            Ok(p) => p,
            Err(e) => return Err((e, v)),
        };
        if let (Some(nm), None) = (netmask, mask_id) {
            match self.masks.alloc_pair() {
                Ok(mp) => mask_id = Some(self.mask_insert(nm, mp)),
                Err(e) => {
                    self.rnh.free_pair(pair);
                    return Err((e, v));
                }
            }
        }
        let tt = 2 * pair;
        // b_leaf: -1 - index of the mask; b: the index.
        let b_leaf = mask_id.map_or(-1, |m| self.masks.nodes[m].rn_b);
        let b = -1 - b_leaf;

        let saved_tt = match ins {
            Ins::New { b, p, x } => self.rnh.rn_insert_at(k, b, p, x, pair),
            Ins::Dup(head) => {
                // Deal with duplicated keys: the chain is sorted most
                // specific first, hosts (no mask) at the head.
                let nm = netmask.unwrap_or(&[]);
                let mut prev: Option<usize> = None;
                let mut y = Some(head);
                while let Some(yi) = y {
                    let n = self.rnh.nodes[yi];
                    if netmask.is_none()
                        || n.rn_mask
                            .is_some_and(|m| b_leaf < n.rn_b || rn_refines(nm, self.masks.key(m)))
                    {
                        break;
                    }
                    prev = y;
                    y = n.rn_dupedkey;
                }
                self.rnh.nodes[tt] = RadixNode { rn_flags: RNF_ACTIVE, ..IDLE };
                self.rnh.set_key(pair, k);
                match prev {
                    None => {
                        // Link in at head of list.
                        let t = self.rnh.nodes[head].rn_p;
                        self.rnh.nodes[tt].rn_dupedkey = Some(head);
                        self.rnh.nodes[tt].rn_p = t;
                        self.rnh.nodes[head].rn_p = tt;
                        self.rnh.replace_child(t, head, tt);
                        tt
                    }
                    Some(p) => {
                        let next = self.rnh.nodes[p].rn_dupedkey;
                        self.rnh.nodes[tt].rn_dupedkey = next;
                        self.rnh.nodes[tt].rn_p = p;
                        self.rnh.nodes[p].rn_dupedkey = Some(tt);
                        if let Some(n) = next {
                            self.rnh.nodes[n].rn_p = tt;
                        }
                        head
                    }
                }
            }
        };
        // Put mask in tree.
        if let Some(m) = mask_id {
            let mflags = self.masks.nodes[m].rn_flags;
            let n = &mut self.rnh.nodes[tt];
            n.rn_mask = Some(m);
            n.rn_b = b_leaf;
            n.rn_flags |= mflags & RNF_NORMAL;
            if let Some(Some(refs)) = self.masks.vals.get_mut(m >> 1) {
                *refs += 1;
            }
        }
        self.rnh.vals[pair] = Some(v);
        self.len += 1;

        if let Ins::New { .. } = ins {
            // Promote general routes from below: the new
            // node t may now be the highest one their masks cover.
            let t = self.rnh.nodes[saved_tt].rn_p;
            let b_leaf_t = -1 - self.rnh.nodes[t].rn_b;
            let x = if self.rnh.nodes[t].rn_r == saved_tt {
                self.rnh.nodes[t].rn_l
            } else {
                self.rnh.nodes[t].rn_r
            };
            if self.rnh.is_leaf(x) {
                let mut last: Option<usize> = None;
                let mut y = Some(x);
                while let Some(yi) = y {
                    let n = self.rnh.nodes[yi];
                    if n.rn_mask.is_some() && n.rn_b >= b_leaf_t && n.rn_mklist.is_none() {
                        if let Some(m) = self.rn_new_radix_mask(yi, None) {
                            match last {
                                None => self.rnh.nodes[t].rn_mklist = Some(m),
                                Some(l) => self.rm.v[l].rm_mklist = Some(m),
                            }
                            last = Some(m);
                        }
                    }
                    y = n.rn_dupedkey;
                }
            } else if let Some(first) = self.rnh.nodes[x].rn_mklist {
                // Skip over masks whose index is > that of new node; the
                // rest move up to it.
                let mut prev: Option<usize> = None;
                let mut m = Some(first);
                while let Some(mi) = m {
                    if self.rm.v[mi].rm_b >= b_leaf_t {
                        break;
                    }
                    prev = m;
                    m = self.rm.v[mi].rm_mklist;
                }
                self.rnh.nodes[t].rn_mklist = m;
                match prev {
                    None => self.rnh.nodes[x].rn_mklist = None,
                    Some(p) => self.rm.v[p].rm_mklist = None,
                }
            }
        }

        // Add new route to highest possible ancestor's list.
        let (Some(mask_id), Some(nm)) = (mask_id, netmask) else {
            return Ok(tt); // A host: can't lift at all.
        };
        let Some(x) = self.lift_point(saved_tt, b) else {
            return Ok(tt);
        };
        // Sorted by rm_b, most specific first.
        let mut prev: Option<usize> = None;
        let mut m = self.rnh.nodes[x].rn_mklist;
        while let Some(mi) = m {
            let r = self.rm.v[mi];
            if r.rm_b < b_leaf {
                prev = m;
                m = r.rm_mklist;
                continue;
            }
            if r.rm_b > b_leaf {
                break;
            }
            if r.rm_mask == mask_id {
                // Another route with this (non-contiguous) mask: share.
                self.rm.v[mi].rm_refs += 1;
                self.rnh.nodes[tt].rn_mklist = Some(mi);
                return Ok(tt);
            }
            if rn_refines(nm, self.masks.key(r.rm_mask)) {
                break;
            }
            prev = m;
            m = r.rm_mklist;
        }
        if let Some(n) = self.rn_new_radix_mask(tt, m) {
            match prev {
                None => self.rnh.nodes[x].rn_mklist = Some(n),
                Some(p) => self.rm.v[p].rm_mklist = Some(n),
            }
        }
        Ok(tt)
    }

    /// The leaf for exactly `key`/`mask`, with the head of its chain.
    fn find(&self, key: &[u8], mask: Option<&[u8]>) -> Option<(usize, usize)> {
        if key.len() != self.rnh.keylen {
            return None;
        }
        let netmask = self.netmask(mask).ok()?;
        let mask_id = match netmask {
            Some(nm) => Some(self.mask_search(nm)?),
            None => None,
        };
        let k = Key { v: key, m: netmask };
        let saved_tt = self.rnh.rn_search(k, TOP);
        if self.rnh.first_diff(k, saved_tt).is_some() {
            return None;
        }
        let mut y = Some(saved_tt);
        while let Some(yi) = y {
            let n = &self.rnh.nodes[yi];
            if n.rn_flags & RNF_ROOT == 0 && n.rn_mask == mask_id {
                return Some((saved_tt, yi));
            }
            y = n.rn_dupedkey;
        }
        None
    }

    /// Removes `key`/`mask` (`rn_delete`); None if
    /// absent. Unlike 4.4BSD-Lite, the mask must match even when the key
    /// has no duplicates.
    pub fn rn_delete(&mut self, key: &[u8], mask: Option<&[u8]>) -> Option<V> {
        let (saved_tt, tt) = self.find(key, mask)?;
        let tn = self.rnh.nodes[tt];
        // Delete our route from mask lists.
        if let (Some(mask_id), Some(saved_m)) = (tn.rn_mask, tn.rn_mklist) {
            self.rnh.nodes[tt].rn_mklist = None;
            // Else "rn_delete: inconsistent annotation".
            if self.rm.v[saved_m].rm_mask == mask_id {
                self.rm.v[saved_m].rm_refs -= 1;
                if self.rm.v[saved_m].rm_refs < 0 {
                    if let Some(x) = self.lift_point(saved_tt, -1 - tn.rn_b) {
                        let mut prev: Option<usize> = None;
                        let mut m = self.rnh.nodes[x].rn_mklist;
                        while let Some(mi) = m {
                            let next = self.rm.v[mi].rm_mklist;
                            if mi == saved_m {
                                match prev {
                                    None => self.rnh.nodes[x].rn_mklist = next,
                                    Some(p) => self.rm.v[p].rm_mklist = next,
                                }
                                self.rm.put(mi);
                                break;
                            }
                            prev = m;
                            m = next;
                        }
                        // Not found: "couldn't find our annotation".
                    }
                }
            }
        }
        // Eliminate us from tree.
        self.rnh.rn_unlink(tt, saved_tt, &mut self.rm);
        if let Some(m) = tn.rn_mask {
            self.mask_rele(m);
        }
        self.len -= 1;
        self.rnh.free_pair(tt >> 1)
    }

    /// Whether leaf `t`'s key matches `v` under its mask
    /// (`rn_satisfies_leaf`).
    fn rn_satisfies_leaf(&self, v: &[u8], t: usize) -> bool {
        let key = self.rnh.key(t);
        let mask = self.rnh.nodes[t].rn_mask.map(|m| self.masks.key(m));
        v.iter().zip(key).enumerate().all(|(i, (&a, &b))| {
            let m = mask.map_or(0xff, |m| m.get(i).copied().unwrap_or(0));
            (a ^ b) & m == 0
        })
    }

    /// Longest-prefix match (`rn_match`, section 18.10): the most
    /// specific leaf whose key matches `key` under its mask.
    pub fn rn_match(&self, key: &[u8]) -> Option<RnId> {
        if key.len() != self.rnh.keylen {
            return None;
        }
        let nodes = &self.rnh.nodes;
        let v = Key { v: key, m: None };
        let mut t = self.rnh.rn_search(v, TOP);
        // See if we match exactly as a host destination, or at least learn
        // how many bits match, for normal mask finesse.
        let rn_b = match self.rnh.first_diff(v, t) {
            Some(b) => -1 - b,
            None => {
                // The head of the chain is the most specific route with
                // this key. "This extra grot is in case we are explicitly
                // asked to look up the default": skip the end marker.
                let h = if self.rnh.is_root(t) { nodes[t].rn_dupedkey } else { Some(t) };
                if h.is_some() {
                    return h;
                }
                // The all-ones marker is a real address here (the book's
                // keys are sockaddrs, which never equal it): go on.
                -1 - (self.rnh.keylen * 8) as i32
            }
        };
        let saved_t = t;
        // If there is a host route in a duped-key chain, it will be first.
        let mut y = Some(t);
        while let Some(yi) = y {
            let n = &nodes[yi];
            y = n.rn_dupedkey;
            if n.rn_mask.is_none() {
                continue; // A host (or a marker): the key differs.
            }
            // Even if we don't match exactly as a host, we may match if
            // the leaf we wound up at is a route to a net.
            if n.rn_flags & RNF_NORMAL != 0 {
                if rn_b <= n.rn_b {
                    return Some(yi);
                }
            } else if self.rn_satisfies_leaf(key, yi) {
                return Some(yi);
            }
        }
        // Start searching up the tree: each annotation names a mask; the
        // route with it, if any, is where the masked key leads.
        t = saved_t;
        loop {
            t = nodes[t].rn_p;
            let mut m = nodes[t].rn_mklist;
            while let Some(mi) = m {
                let r = &self.rm.v[mi];
                let mask = self.masks.key(r.rm_mask);
                let mk = Key { v: key, m: Some(mask) };
                let mut x = Some(self.rnh.rn_search(mk, t));
                while let Some(xi) = x {
                    if nodes[xi].rn_mask == Some(r.rm_mask) {
                        break;
                    }
                    x = nodes[xi].rn_dupedkey;
                }
                if let Some(xi) = x {
                    if self.rnh.first_diff(mk, xi).is_none() {
                        return Some(xi);
                    }
                }
                m = r.rm_mklist;
            }
            if t == TOP {
                return None;
            }
        }
    }

    /// Exact key and mask (`rn_lookup`). The book's version returns the
    /// best match when no mask is given; this one looks for a host entry.
    pub fn rn_lookup(&self, key: &[u8], mask: Option<&[u8]>) -> Option<RnId> {
        self.find(key, mask).map(|(_, tt)| tt)
    }

    /// Visits every leaf in key order (dupedkey chains in their order);
    /// stops early when `f` returns false (`rn_walktree`).
    pub fn rn_walktree(&self, mut f: impl FnMut(RnId, &V) -> bool) {
        let mut h = self.rnh.leftmost(TOP);
        loop {
            // Find the next chain first, as the book does (there, `f` may
            // delete the leaf it is given).
            let next = self.rnh.next_head(h);
            let mut y = Some(h);
            while let Some(yi) = y {
                y = self.rnh.nodes[yi].rn_dupedkey;
                if let Some(Some(v)) = self.rnh.vals.get(yi >> 1) {
                    if !self.rnh.is_root(yi) && !f(yi, v) {
                        return;
                    }
                }
            }
            // The book stops at the right end marker; here a host entry
            // can share its key, so stop after the last chain instead.
            match next {
                Some(n) => h = n,
                None => return,
            }
        }
    }

    /// Whether `id` is a route's leaf.
    fn live(&self, id: RnId) -> bool {
        id & 1 == 0 && matches!(self.rnh.vals.get(id >> 1), Some(Some(_)))
    }

    /// The value of leaf `id`.
    pub fn get(&self, id: RnId) -> Option<&V> {
        if id & 1 != 0 {
            return None;
        }
        self.rnh.vals.get(id >> 1)?.as_ref()
    }

    /// The value of leaf `id`, mutably.
    pub fn get_mut(&mut self, id: RnId) -> Option<&mut V> {
        if id & 1 != 0 {
            return None;
        }
        self.rnh.vals.get_mut(id >> 1)?.as_mut()
    }

    /// The key of leaf `id` (masked); empty if there is no such leaf.
    pub fn rn_key(&self, id: RnId) -> &[u8] {
        if self.live(id) {
            self.rnh.key(id)
        } else {
            &[]
        }
    }

    /// The mask of leaf `id`: None for a host entry (or no such leaf).
    pub fn rn_mask(&self, id: RnId) -> Option<&[u8]> {
        if !self.live(id) {
            return None;
        }
        self.rnh.nodes[id].rn_mask.map(|m| self.masks.key(m))
    }

    /// Number of leaves.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no routes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The key length given to `rn_inithead`.
    pub fn keylen(&self) -> usize {
        self.rnh.keylen
    }

    /// What the arenas hold beyond the fixed nodes; all zero when the tree
    /// is empty.
    pub fn rn_usage(&self) -> RnUsage {
        RnUsage {
            route_pairs: self.rnh.pairs_in_use(),
            mask_pairs: self.masks.pairs_in_use(),
            radix_masks: self.rm.live,
        }
    }

    /// The internal nodes in preorder, for tests and debugging: `f(bit,
    /// None)` for each node, then `f(bit, Some(mask))` for each of its
    /// annotations (`rn_mklist`) in order. Bits count from 0, the high
    /// bit of the first byte.
    pub fn rn_dump(&self, mut f: impl FnMut(usize, Option<&[u8]>)) {
        let nodes = &self.rnh.nodes;
        let mut n = TOP;
        loop {
            if !self.rnh.is_leaf(n) {
                let bit = nodes[n].rn_b as usize;
                f(bit, None);
                let mut m = nodes[n].rn_mklist;
                while let Some(mi) = m {
                    f(bit, Some(self.masks.key(self.rm.v[mi].rm_mask)));
                    m = self.rm.v[mi].rm_mklist;
                }
                n = nodes[n].rn_l;
                continue;
            }
            let mut rn = n;
            while rn != TOP && nodes[nodes[rn].rn_p].rn_r == rn {
                rn = nodes[rn].rn_p;
            }
            if rn == TOP {
                return;
            }
            n = nodes[nodes[rn].rn_p].rn_r;
        }
    }

    /// Checks the invariants of both trees and of the annotations, for
    /// tests: links, bits, chains, that every route's annotation is on the
    /// node the book's rules put it, the annotation counts and order, and
    /// the mask reference counts. Slow (quadratic).
    pub fn rn_verify(&self) -> core::result::Result<(), &'static str> {
        let leaves = self.rnh.verify_shape()?;
        if leaves != self.len + 2 {
            return Err("len is off");
        }
        if self.rnh.pairs_in_use() != self.len {
            return Err("route pairs leaked");
        }
        let mask_leaves = self.masks.verify_shape()?;
        if mask_leaves != self.masks.pairs_in_use() + 2 {
            return Err("mask pairs leaked");
        }
        let nodes = &self.rnh.nodes;
        let mut in_lists = 0;
        for (i, n) in nodes.iter().enumerate() {
            if n.rn_flags & RNF_ACTIVE == 0 {
                continue;
            }
            if n.rn_b >= 0 {
                // Annotations sorted by rm_b.
                let mut last = i32::MIN;
                let mut m = n.rn_mklist;
                while let Some(mi) = m {
                    in_lists += 1;
                    if in_lists > self.rm.live {
                        return Err("annotation lists too long");
                    }
                    let r = &self.rm.v[mi];
                    if r.rm_b < last {
                        return Err("annotations out of order");
                    }
                    last = r.rm_b;
                    let users =
                        nodes.iter().filter(|y| y.rn_b < 0 && y.rn_mklist == Some(mi)).count();
                    if users as i32 != r.rm_refs + 1 {
                        return Err("rm_refs is off");
                    }
                    m = r.rm_mklist;
                }
                continue;
            }
            if n.rn_flags & RNF_ROOT != 0 {
                continue;
            }
            // A route's leaf.
            let key = self.rnh.key(i);
            if let Some(mk) = n.rn_mask {
                let mask = self.masks.key(mk);
                if key.iter().zip(mask).any(|(&k, &m)| k & !m != 0) {
                    return Err("key has bits outside its mask");
                }
                if n.rn_b != self.masks.nodes[mk].rn_b {
                    return Err("leaf index differs from its mask's");
                }
            }
            let head = self.rnh.rn_search(Key { v: key, m: None }, TOP);
            let want = match n.rn_mask {
                Some(_) => self.lift_point(head, -1 - n.rn_b),
                None => None,
            };
            match (want, n.rn_mklist) {
                (None, None) => {}
                (Some(x), Some(m)) => {
                    if self.rm.v[m].rm_mask != n.rn_mask.unwrap_or(usize::MAX)
                        || self.rm.v[m].rm_b != n.rn_b
                    {
                        return Err("annotation for another mask");
                    }
                    let mut l = nodes[x].rn_mklist;
                    while l.is_some() && l != Some(m) {
                        l = l.and_then(|li| self.rm.v[li].rm_mklist);
                    }
                    if l.is_none() {
                        return Err("annotation not on its node");
                    }
                }
                (Some(_), None) => return Err("lifted route without annotation"),
                (None, Some(_)) => return Err("annotation for a route not lifted"),
            }
        }
        if in_lists != self.rm.live {
            return Err("annotations leaked");
        }
        for (i, n) in self.masks.nodes.iter().enumerate() {
            if n.rn_b >= 0 || n.rn_flags & (RNF_ACTIVE | RNF_ROOT) != RNF_ACTIVE {
                continue;
            }
            let users = nodes
                .iter()
                .filter(|y| y.rn_b < 0 && y.rn_flags & RNF_ACTIVE != 0 && y.rn_mask == Some(i))
                .count();
            match self.masks.vals.get(i >> 1) {
                Some(Some(refs)) if *refs as usize == users && users > 0 => {}
                _ => return Err("mask reference count is off"),
            }
        }
        Ok(())
    }
}
