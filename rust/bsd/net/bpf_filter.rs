//! The BPF filter machine (`net/bpf_filter.c`). The book (chapter 31)
//! shows the filter's place and not its code; the machine is McCanne and
//! Jacobson's (USENIX 1993), which section 31.1 cites, in Net/3's form.
//!
//! A program is an array of `BpfInsn` run on a packet by an accumulator
//! machine (A, X and 16 words of scratch memory `M[]`). Jumps go forward
//! only, so every program that `bpf_validate` accepts ends after at most
//! one pass over its instructions. A load past the end of the packet ends
//! the program with 0 ("reject"), as the book's does, and so does a
//! division by a zero X.
//!
//! bsdinet differs from the book in three ways: the packet is a
//! `BpfPkt` (a link header the interface made up, then the bytes of an
//! mbuf chain or of a buffer) instead of the book's "buffer or mbuf
//! chain" switch on `buflen`; `bpf_validate` also refuses unknown
//! opcodes (FreeBSD's check, not the book's); and the later BSD ALU
//! operations `BPF_MOD` and `BPF_XOR`, which libpcap's compiler emits for
//! `%` and `^`, are accepted.

use crate::bsd::kern::uipc_mbuf::Mbuf;

/// One instruction (`struct bpf_insn`, `net/bpf.h`): the opcode, the
/// jump offsets if true and if false, and the generic field `k`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BpfInsn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

impl BpfInsn {
    /// `BPF_STMT(code, k)`.
    pub const fn stmt(code: u16, k: u32) -> Self {
        BpfInsn { code, jt: 0, jf: 0, k }
    }

    /// `BPF_JUMP(code, k, jt, jf)`.
    pub const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> Self {
        BpfInsn { code, jt, jf, k }
    }

    /// The instruction from its 8 bytes in user memory (host order).
    pub fn from_bytes(b: [u8; 8]) -> Self {
        BpfInsn {
            code: u16::from_ne_bytes([b[0], b[1]]),
            jt: b[2],
            jf: b[3],
            k: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
        }
    }
}

/// Bytes of one instruction in user memory.
pub const BPF_INSN_LEN: usize = 8;
/// The most instructions in a program (`BPF_MAXINSNS`).
pub const BPF_MAXINSNS: usize = 512;
/// Words of scratch memory (`BPF_MEMWORDS`).
pub const BPF_MEMWORDS: u32 = 16;

// Instruction classes (`BPF_CLASS`).
pub const BPF_LD: u16 = 0x00;
pub const BPF_LDX: u16 = 0x01;
pub const BPF_ST: u16 = 0x02;
pub const BPF_STX: u16 = 0x03;
pub const BPF_ALU: u16 = 0x04;
pub const BPF_JMP: u16 = 0x05;
pub const BPF_RET: u16 = 0x06;
pub const BPF_MISC: u16 = 0x07;
// ld/ldx fields: size (`BPF_SIZE`) and mode (`BPF_MODE`).
pub const BPF_W: u16 = 0x00;
pub const BPF_H: u16 = 0x08;
pub const BPF_B: u16 = 0x10;
pub const BPF_IMM: u16 = 0x00;
pub const BPF_ABS: u16 = 0x20;
pub const BPF_IND: u16 = 0x40;
pub const BPF_MEM: u16 = 0x60;
pub const BPF_LEN: u16 = 0x80;
pub const BPF_MSH: u16 = 0xa0;
// alu/jmp fields: operation (`BPF_OP`) and source (`BPF_SRC`).
pub const BPF_ADD: u16 = 0x00;
pub const BPF_SUB: u16 = 0x10;
pub const BPF_MUL: u16 = 0x20;
pub const BPF_DIV: u16 = 0x30;
pub const BPF_OR: u16 = 0x40;
pub const BPF_AND: u16 = 0x50;
pub const BPF_LSH: u16 = 0x60;
pub const BPF_RSH: u16 = 0x70;
pub const BPF_NEG: u16 = 0x80;
pub const BPF_MOD: u16 = 0x90;
pub const BPF_XOR: u16 = 0xa0;
pub const BPF_JA: u16 = 0x00;
pub const BPF_JEQ: u16 = 0x10;
pub const BPF_JGT: u16 = 0x20;
pub const BPF_JGE: u16 = 0x30;
pub const BPF_JSET: u16 = 0x40;
pub const BPF_K: u16 = 0x00;
pub const BPF_X: u16 = 0x08;
// ret: the value returned (`BPF_RVAL`).
pub const BPF_A: u16 = 0x10;
// misc: `BPF_MISCOP`.
pub const BPF_TAX: u16 = 0x00;
pub const BPF_TXA: u16 = 0x80;

/// A packet as the filter and `catchpacket` see it: `hdr`, a link header
/// the interface made up for BPF (the book's fake mbuf in front of the
/// chain: the address family of lo0, SLIP's direction and compressed
/// header), followed by `body`.
#[derive(Clone, Copy)]
pub struct BpfPkt<'a> {
    pub hdr: &'a [u8],
    pub body: Body<'a>,
}

/// The bytes after the made-up header.
#[derive(Clone, Copy)]
pub enum Body<'a> {
    Buf(&'a [u8]),
    Chain(&'a Mbuf),
}

impl<'a> BpfPkt<'a> {
    /// A packet in one buffer (the book's `bpf_tap`).
    pub fn buf(b: &'a [u8]) -> Self {
        BpfPkt { hdr: &[], body: Body::Buf(b) }
    }

    /// Header `hdr`, then the packet of chain `m` (the book's `bpf_mtap`).
    pub fn chain(hdr: &'a [u8], m: &'a Mbuf) -> Self {
        BpfPkt { hdr, body: Body::Chain(m) }
    }

    /// Bytes of the packet (header included).
    pub fn len(&self) -> usize {
        self.hdr.len()
            + match self.body {
                Body::Buf(b) => b.len(),
                Body::Chain(m) => m.m_pkthdr().map_or_else(|| m.m_length(), |ph| ph.len),
            }
    }

    /// Whether the packet has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Copies `dst.len()` bytes from offset `off`; false when they are not
    /// all there (the book's `m_xword`/`m_xhalf` setting `merr`).
    pub fn copy(&self, off: usize, dst: &mut [u8]) -> bool {
        let mut off = off;
        let mut done = 0;
        if off < self.hdr.len() {
            let src = self.hdr.get(off..).unwrap_or(&[]);
            let n = src.len().min(dst.len());
            if let (Some(d), Some(s)) = (dst.get_mut(..n), src.get(..n)) {
                d.copy_from_slice(s);
            }
            done = n;
            off = 0;
        } else {
            off -= self.hdr.len();
        }
        if done == dst.len() {
            return true;
        }
        let Some(rest) = dst.get_mut(done..) else { return false };
        match self.body {
            Body::Buf(b) => match b.get(off..).and_then(|s| s.get(..rest.len())) {
                Some(s) => {
                    rest.copy_from_slice(s);
                    true
                }
                None => false,
            },
            Body::Chain(m) => {
                let mut got = 0;
                for seg in m.segments() {
                    if off >= seg.len() {
                        off -= seg.len();
                        continue;
                    }
                    let s = seg.get(off..).unwrap_or(&[]);
                    off = 0;
                    let n = s.len().min(rest.len() - got);
                    if let (Some(d), Some(s)) = (rest.get_mut(got..got + n), s.get(..n)) {
                        d.copy_from_slice(s);
                    }
                    got += n;
                    if got == rest.len() {
                        return true;
                    }
                }
                false
            }
        }
    }

    /// The `N` bytes at `off`, or None past the end.
    fn load<const N: usize>(&self, off: u32) -> Option<[u8; N]> {
        let mut b = [0u8; N];
        self.copy(usize::try_from(off).ok()?, &mut b).then_some(b)
    }
}

/// Runs program `pc` on packet `p` (`bpf_filter`): returns
/// how many bytes of the packet to keep, 0 to reject it. No program
/// accepts everything (the book's `bd_filter == 0`). The program must
/// have passed `bpf_validate`; were it not to, a bad instruction or a
/// jump out of the program still just returns 0.
pub fn bpf_filter(pc: &[BpfInsn], p: &BpfPkt<'_>) -> u32 {
    if pc.is_empty() {
        return u32::MAX;
    }
    let wirelen = u32::try_from(p.len()).unwrap_or(u32::MAX);
    let mut a: u32 = 0;
    let mut x: u32 = 0;
    let mut mem = [0u32; BPF_MEMWORDS as usize];
    let mut i: usize = 0;
    loop {
        let Some(ins) = pc.get(i) else { return 0 };
        i += 1;
        let k = ins.k;
        match ins.code {
            c if c == BPF_RET | BPF_K => return k,
            c if c == BPF_RET | BPF_A => return a,
            c if c == BPF_LD | BPF_W | BPF_ABS => match p.load::<4>(k) {
                Some(b) => a = u32::from_be_bytes(b),
                None => return 0,
            },
            c if c == BPF_LD | BPF_H | BPF_ABS => match p.load::<2>(k) {
                Some(b) => a = u32::from(u16::from_be_bytes(b)),
                None => return 0,
            },
            c if c == BPF_LD | BPF_B | BPF_ABS => match p.load::<1>(k) {
                Some(b) => a = u32::from(b[0]),
                None => return 0,
            },
            c if c == BPF_LD | BPF_W | BPF_LEN => a = wirelen,
            c if c == BPF_LDX | BPF_W | BPF_LEN => x = wirelen,
            c if c == BPF_LD | BPF_W | BPF_IND => {
                match x.checked_add(k).and_then(|o| p.load::<4>(o)) {
                    Some(b) => a = u32::from_be_bytes(b),
                    None => return 0,
                }
            }
            c if c == BPF_LD | BPF_H | BPF_IND => {
                match x.checked_add(k).and_then(|o| p.load::<2>(o)) {
                    Some(b) => a = u32::from(u16::from_be_bytes(b)),
                    None => return 0,
                }
            }
            c if c == BPF_LD | BPF_B | BPF_IND => {
                match x.checked_add(k).and_then(|o| p.load::<1>(o)) {
                    Some(b) => a = u32::from(b[0]),
                    None => return 0,
                }
            }
            // The IP header length: 4 * (P[k] & 0xf).
            c if c == BPF_LDX | BPF_MSH | BPF_B => match p.load::<1>(k) {
                Some(b) => x = u32::from(b[0] & 0xf) << 2,
                None => return 0,
            },
            c if c == BPF_LD | BPF_IMM => a = k,
            c if c == BPF_LDX | BPF_IMM => x = k,
            c if c == BPF_LD | BPF_MEM => a = mem.get(k as usize).copied().unwrap_or(0),
            c if c == BPF_LDX | BPF_MEM => x = mem.get(k as usize).copied().unwrap_or(0),
            c if c == BPF_ST => match mem.get_mut(k as usize) {
                Some(m) => *m = a,
                None => return 0,
            },
            c if c == BPF_STX => match mem.get_mut(k as usize) {
                Some(m) => *m = x,
                None => return 0,
            },
            c if c == BPF_JMP | BPF_JA => i = i.saturating_add(k as usize),
            c if c & 0x7 == BPF_JMP => {
                let v = if c & BPF_X != 0 { x } else { k };
                let hit = match c & 0xf0 {
                    BPF_JGT => a > v,
                    BPF_JGE => a >= v,
                    BPF_JEQ => a == v,
                    BPF_JSET => a & v != 0,
                    _ => return 0,
                };
                i = i.saturating_add(usize::from(if hit { ins.jt } else { ins.jf }));
            }
            c if c == BPF_ALU | BPF_NEG => a = a.wrapping_neg(),
            c if c & 0x7 == BPF_ALU => {
                let v = if c & BPF_X != 0 { x } else { k };
                a = match c & 0xf0 {
                    BPF_ADD => a.wrapping_add(v),
                    BPF_SUB => a.wrapping_sub(v),
                    BPF_MUL => a.wrapping_mul(v),
                    BPF_DIV => match a.checked_div(v) {
                        Some(q) => q,
                        None => return 0,
                    },
                    BPF_MOD => match a.checked_rem(v) {
                        Some(r) => r,
                        None => return 0,
                    },
                    BPF_AND => a & v,
                    BPF_OR => a | v,
                    BPF_XOR => a ^ v,
                    BPF_LSH => a.checked_shl(v).unwrap_or(0),
                    BPF_RSH => a.checked_shr(v).unwrap_or(0),
                    _ => return 0,
                };
            }
            c if c == BPF_MISC | BPF_TAX => x = a,
            c if c == BPF_MISC | BPF_TXA => a = x,
            _ => return 0,
        }
    }
}

/// Whether `code` is an instruction of the machine.
fn bpf_known(code: u16) -> bool {
    if code > 0xff {
        return false;
    }
    let class = code & 0x7;
    match class {
        BPF_LD => {
            let (size, mode) = (code & 0x18, code & 0xe0);
            code == BPF_LD | BPF_IMM
                || code == BPF_LD | BPF_MEM
                || code == BPF_LD | BPF_W | BPF_LEN
                || ((mode == BPF_ABS || mode == BPF_IND) && size != 0x18)
        }
        BPF_LDX => {
            code == BPF_LDX | BPF_IMM
                || code == BPF_LDX | BPF_MEM
                || code == BPF_LDX | BPF_W | BPF_LEN
                || code == BPF_LDX | BPF_MSH | BPF_B
        }
        BPF_ST | BPF_STX => code == class,
        BPF_ALU => {
            let op = code & 0xf0;
            if op == BPF_NEG {
                code == BPF_ALU | BPF_NEG
            } else {
                op <= BPF_XOR && code & !(0xf0 | BPF_X | 0x7) == 0
            }
        }
        BPF_JMP => {
            let op = code & 0xf0;
            if op == BPF_JA {
                code == BPF_JMP | BPF_JA
            } else {
                op <= BPF_JSET && code & !(0xf0 | BPF_X | 0x7) == 0
            }
        }
        BPF_RET => code == BPF_RET | BPF_K || code == BPF_RET | BPF_A,
        _ => code == BPF_MISC | BPF_TAX || code == BPF_MISC | BPF_TXA,
    }
}

/// Checks a program before it is installed (`bpf_validate`, called by
/// `bpf_setf`, section 31.4): 1 to `BPF_MAXINSNS` known instructions, every
/// jump forward and inside the program, every scratch index below
/// `BPF_MEMWORDS`, no division (or remainder) by a constant 0, and a
/// `RET` last, so that the program always ends.
pub fn bpf_validate(f: &[BpfInsn]) -> bool {
    let len = f.len();
    if len == 0 || len > BPF_MAXINSNS {
        return false;
    }
    for (i, p) in f.iter().enumerate() {
        if !bpf_known(p.code) {
            return false;
        }
        let class = p.code & 0x7;
        let from = i + 1;
        if class == BPF_JMP {
            if p.code == BPF_JMP | BPF_JA {
                if (p.k as usize).checked_add(from).is_none_or(|t| t >= len) {
                    return false;
                }
            } else if from + usize::from(p.jt) >= len || from + usize::from(p.jf) >= len {
                return false;
            }
        }
        let mem = class == BPF_ST
            || class == BPF_STX
            || ((class == BPF_LD || class == BPF_LDX) && p.code & 0xe0 == BPF_MEM);
        if mem && p.k >= BPF_MEMWORDS {
            return false;
        }
        if class == BPF_ALU
            && p.code & BPF_X == 0
            && (p.code & 0xf0 == BPF_DIV || p.code & 0xf0 == BPF_MOD)
            && p.k == 0
        {
            return false;
        }
    }
    f.last().is_some_and(|p| p.code & 0x7 == BPF_RET)
}
