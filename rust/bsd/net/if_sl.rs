//! SLIP, Serial Line IP (`net/if_sl.c`; book section 5.3; RFC 1055).
//!
//! A datagram goes on the line between FRAME_END bytes, with FRAME_END
//! and FRAME_ESCAPE inside it sent as two-byte escapes (`sl_encode`,
//! `SlDecoder`). A tty switched to the SLIP line discipline gets an
//! interface, sl0, sl1, ... (`slopen`, `slclose`); datagrams with the
//! low-delay type of service wait on an interactive queue that is sent
//! before the interface's `if_snd` (`sloutput`, `slstart`), and frames
//! from the line go to IP (`slinput`). The link flags choose Van
//! Jacobson header compression (`slcompress`). The platform owns the tty:
//! it calls `slinput` with what the line received and `slstart` when the
//! line can take more.

use crate::bsd::kern::uipc_mbuf::{m_copydata, m_devget, m_freem, Mbuf};
use crate::bsd::net::bpf::{
    bpf_mtap, bpfattach, CHDR_LEN, DLT_SLIP, SLIPDIR_IN, SLIPDIR_OUT, SLIP_HDRLEN, SLX_CHDR,
    SLX_DIR,
};
use crate::bsd::net::bpf_filter::{Body, BpfPkt};
use crate::bsd::net::if_::*;
use crate::bsd::net::slcompress::*;
use crate::bsd::netinet::in_::{InAddr, IPPROTO_ICMP, IPPROTO_TCP};
use crate::bsd::netinet::ip::IPTOS_LOWDELAY;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;
use crate::bsd::sys::slab::Slab;
use crate::platform::Vec;

/// Frame delimiter and escapes (`FRAME_END` ...).
pub const FRAME_END: u8 = 0xc0;
pub const FRAME_ESCAPE: u8 = 0xdb;
pub const TRANS_FRAME_END: u8 = 0xdc;
pub const TRANS_FRAME_ESCAPE: u8 = 0xdd;

/// The book's SLIP MTU (`SLMTU`): 296 bytes, so that an interactive
/// segment (40 bytes of headers and 256 of data) goes in one frame.
pub const SLMTU: usize = 296;
/// Room the book leaves in front of a received frame for the header that
/// decompression rebuilds (`BUFOFFSET`: 128 bytes of TCP/IP header and
/// a link header for bpf).
pub const BUFOFFSET: usize = 128 + 16;
/// The largest frame the input buffer holds (`SLMAX`: a cluster less
/// `BUFOFFSET`); longer frames are errors.
pub const SLMAX: usize = 2048 - BUFOFFSET;

/// Appends datagram `pkt` to `out` framed as `slstart` sends it: a
/// FRAME_END first when the line was idle (`idle`: it flushes any noise
/// the other end has gathered), the escaped bytes, and a FRAME_END.
pub fn sl_encode(pkt: &[u8], idle: bool, out: &mut Vec<u8>) -> Result {
    let escapes = pkt.iter().filter(|&&c| c == FRAME_END || c == FRAME_ESCAPE).count();
    out.reserve(pkt.len() + escapes + 2).map_err(|_| ENOBUFS)?;
    // Room was reserved above, so no push below can fail.
    if idle {
        let _ = out.push(FRAME_END);
    }
    for &c in pkt {
        match c {
            FRAME_END => {
                let _ = out.push(FRAME_ESCAPE);
                let _ = out.push(TRANS_FRAME_END);
            }
            FRAME_ESCAPE => {
                let _ = out.push(FRAME_ESCAPE);
                let _ = out.push(TRANS_FRAME_ESCAPE);
            }
            c => {
                let _ = out.push(c);
            }
        }
    }
    let _ = out.push(FRAME_END);
    Ok(())
}

/// What one received byte completed (`slinput`'s outcomes).
#[derive(Debug, PartialEq, Eq)]
pub enum SlInput<'a> {
    /// Nothing yet: the byte was stored, or was an escape.
    More,
    /// A whole frame (at least 3 bytes, the book's minimum; shorter
    /// ones, such as the FRAME_END that opens a frame, are ignored).
    Frame(&'a [u8]),
    /// A frame was thrown away: longer than the limit (`SLMAX`, or the
    /// interface's MTU), ended by FRAME_END right after FRAME_ESCAPE, or
    /// holding a byte the line marked bad. Counted in `if_ierrors`.
    Error,
}

/// The receive side of a line (`sc_buf`, `sc_mp`, `sc_escape` and the
/// `SC_ERROR` flag of `struct sl_softc`).
pub struct SlDecoder {
    buf: Vec<u8>,
    escape: bool,
    /// The frame is too long: the rest of it is thrown away (`SC_ERROR`).
    error: bool,
    /// The last byte ended a frame the caller was shown: the buffer is
    /// emptied before the next byte.
    shown: bool,
    /// The longest frame taken: `SLMAX` for the book's buffer; a SLIP
    /// interface sets its MTU (`set_max`).
    max: usize,
    /// Frames thrown away: the caller's `if_ierrors`.
    pub ierrors: u64,
}

impl SlDecoder {
    /// A decoder with its `SLMAX`-byte buffer; ENOBUFS without memory.
    pub fn new() -> Result<Self> {
        let mut buf = Vec::new();
        buf.reserve(SLMAX).map_err(|_| ENOBUFS)?;
        Ok(SlDecoder { buf, escape: false, error: false, shown: false, max: SLMAX, ierrors: 0 })
    }

    /// Frames longer than `max` bytes are errors from now on.
    pub fn set_max(&mut self, max: usize) {
        self.max = max;
    }

    /// The line reported a bad byte (framing, parity, overrun, break):
    /// the frame it was part of is thrown away and counted (the book's
    /// `TTY_ERRORMASK` check setting `SC_ERROR`).
    pub fn mark_error(&mut self) {
        if core::mem::take(&mut self.shown) {
            self.buf.clear();
        }
        self.error = true;
    }

    /// Whether part of a frame has been gathered.
    pub fn in_frame(&self) -> bool {
        !self.shown && (!self.buf.is_empty() || self.error || self.escape)
    }

    /// Takes one byte from the line (`slinput`).
    ///
    /// One difference from the book: FRAME_END right after FRAME_ESCAPE
    /// is an error (RFC 1055 leaves it undefined; the book ends the frame
    /// and drops the escape), so a frame cut by line noise is not handed
    /// up with a byte missing. FRAME_ESCAPE before any other byte keeps
    /// that byte, as the book (and RFC 1055) do.
    pub fn input(&mut self, c: u8) -> SlInput<'_> {
        if core::mem::take(&mut self.shown) {
            self.buf.clear();
        }
        let c = match c {
            TRANS_FRAME_ESCAPE if self.escape => FRAME_ESCAPE,
            TRANS_FRAME_END if self.escape => FRAME_END,
            FRAME_ESCAPE => {
                self.escape = true;
                return SlInput::More;
            }
            FRAME_END => {
                let bad = core::mem::take(&mut self.error) || core::mem::take(&mut self.escape);
                if bad {
                    self.ierrors += 1;
                    self.buf.clear();
                    return SlInput::Error;
                }
                if self.buf.len() < 3 {
                    self.buf.clear();
                    return SlInput::More;
                }
                self.shown = true;
                return SlInput::Frame(&self.buf[..]);
            }
            c => c,
        };
        self.escape = false;
        if self.error {
            return SlInput::More;
        }
        if self.buf.len() < self.max && self.buf.push(c).is_ok() {
            return SlInput::More;
        }
        // Too long: the rest of the frame is thrown away, and counted
        // once, at its end.
        self.error = true;
        self.buf.clear();
        SlInput::More
    }

    /// The line went quiet or hung up mid-frame: what was gathered is
    /// thrown away, counted as an error if there was any.
    pub fn flush(&mut self) {
        if self.in_frame() {
            self.ierrors += 1;
        }
        self.shown = false;
        self.buf.clear();
        self.escape = false;
        self.error = false;
    }
}

/// Link flags of a SLIP interface, set with `ifconfig sl0 link0` ...:
/// compress TCP headers (`SC_COMPRESS`), drop ICMP (`SC_NOICMP`), and
/// start compressing when the other end does (`SC_AUTOCOMP`, on at
/// open).
pub const SC_COMPRESS: u16 = IFF_LINK0;
pub const SC_NOICMP: u16 = IFF_LINK1;
pub const SC_AUTOCOMP: u16 = IFF_LINK2;

/// A frame begun and then nothing from the line for this many ticks
/// (100 ms) is thrown away and counted. The book waits for the next
/// FRAME_END; this counts a line that went quiet without one.
pub const SL_QUIET_TICKS: u64 = 20;

/// The abort sequence (`ABT_*`): with IFF_DEBUG set, `ABT_COUNT` ESC
/// characters, each after `ABT_IDLE` seconds of quiet and all within
/// `ABT_WINDOW` seconds, close the line, so that a person at the other
/// end can get the tty back.
pub const ABT_ESC: u8 = 0x1b;
pub const ABT_IDLE: u64 = 1;
pub const ABT_COUNT: u32 = 3;
pub const ABT_WINDOW: u64 = ABT_COUNT as u64 * 2 + 2;

/// One SLIP line (`struct sl_softc`; its `sc_if` lives in `ifnet`).
pub struct SlSoftc {
    /// The interface (`sc_if`), an index in `ifnet`.
    pub sc_if: usize,
    /// The unit number: `sl<unit>`.
    pub sc_unit: u16,
    /// The platform's handle for the tty (`sc_ttyp`), not 0.
    pub sc_ttyp: usize,
    /// Interactive datagrams, sent before those of `if_snd` (`sc_fastq`).
    pub sc_fastq: Ifqueue,
    /// Header compression state of both directions (`sc_comp`).
    pub sc_comp: Slcompress,
    /// Datagrams sent from `sc_fastq` (the book counts them in
    /// `if_omcasts`, marked XXX).
    pub sc_fastsent: u64,
    dec: SlDecoder,
    /// The frame being written to the line, and how much of it went.
    obuf: Vec<u8>,
    opos: usize,
    /// A datagram copied out of its mbufs for compression and framing.
    pkt: Vec<u8>,
    /// `ticks` when the last byte came.
    lastin: u64,
    /// The abort sequence so far (`sc_abortcount`, `sc_starttime`), and
    /// the second the last byte came (`sc_lasttime`).
    abortcount: u32,
    starttime: u64,
    lasttime: u64,
}

impl SlSoftc {
    /// Whether the line has output waiting: a frame part written, or
    /// datagrams on either queue (`slstart` has work).
    pub fn sl_busy(&self, ifnet: &Slab<Ifnet>) -> bool {
        self.opos < self.obuf.len()
            || !self.sc_fastq.is_empty()
            || ifnet.get(self.sc_if).is_some_and(|i| !i.if_snd.is_empty())
    }
}

/// The line with tty handle `ttyp`, by its index in `sl_softc`.
fn sl_of(st: &Stack, ttyp: usize) -> Option<usize> {
    st.sl_softc.iter().find(|(_, sc)| sc.sc_ttyp == ttyp).map(|(k, _)| k)
}

/// The unit of the line of tty `ttyp` (`SLIOCGUNIT`).
pub fn sl_unit(st: &Stack, ttyp: usize) -> Option<u16> {
    sl_of(st, ttyp).and_then(|k| st.sl_softc.get(k)).map(|sc| sc.sc_unit)
}

/// The tty handle of SLIP interface `ifp`.
pub fn sl_ttyp(st: &Stack, ifp: usize) -> Option<usize> {
    st.sl_softc.iter().find(|(_, sc)| sc.sc_if == ifp).map(|(_, sc)| sc.sc_ttyp)
}

/// The line discipline's open (`slopen`): tty `ttyp` gets a SLIP
/// interface with the lowest free unit, down, with the book's SLMTU and
/// SC_AUTOCOMP. Returns the interface. EBUSY if the tty has one
/// already, ENOBUFS without memory.
pub fn slopen(st: &mut Stack, ttyp: usize) -> Result<usize> {
    if ttyp == 0 || sl_of(st, ttyp).is_some() {
        return Err(EBUSY);
    }
    let free = |st: &Stack, u: u16| {
        !st.sl_softc.iter().any(|(_, sc)| sc.sc_unit == u)
            && IfName::new("sl", u).is_ok_and(|n| ifunit(st, n.as_bytes()).is_none())
    };
    let unit = (0..1000).find(|&u| free(st, u)).ok_or(ENXIO)?;
    let mut sc = SlSoftc {
        sc_if: 0,
        sc_unit: unit,
        sc_ttyp: ttyp,
        sc_fastq: Ifqueue::new(IFQ_MAXLEN),
        sc_comp: sl_compress_init(MAX_STATES - 1),
        sc_fastsent: 0,
        dec: SlDecoder::new()?,
        obuf: Vec::new(),
        opos: 0,
        pkt: Vec::new(),
        lastin: st.ticks,
        abortcount: 0,
        starttime: 0,
        lasttime: 0,
    };
    sc.obuf.reserve(2 * SLMTU + 2).map_err(|_| ENOBUFS)?;
    sc.pkt.reserve(SLMTU).map_err(|_| ENOBUFS)?;
    let mut ifnet = Ifnet::new(
        IfName::new("sl", unit)?,
        IfKind::Slip,
        IFF_POINTOPOINT | SC_AUTOCOMP | IFF_MULTICAST,
        SLMTU as u32,
    );
    ifnet.if_softc = ttyp;
    ifnet.if_bpf = Some(bpfattach(DLT_SLIP, SLIP_HDRLEN));
    let ifp = if_attach(st, ifnet)?;
    sc.sc_if = ifp;
    if let Err(e) = st.sl_softc.insert(sc) {
        if_detach(st, ifp);
        return Err(e);
    }
    crate::bsd::net::rtsock::rt_ifmsg(st, ifp);
    Ok(ifp)
}

/// The line discipline's close (`slclose`), also on hangup: the
/// interface goes, with its addresses, routes and queued datagrams. The
/// book marks its static interface down instead; here it is detached, as
/// FreeBSD does with cloned interfaces.
pub fn slclose(st: &mut Stack, ttyp: usize) {
    let Some(k) = sl_of(st, ttyp) else { return };
    let Some(mut sc) = st.sl_softc.remove(k) else { return };
    sc.sc_fastq.flush(&mut st.mbpool);
    if_detach(st, sc.sc_if);
}

/// Output (`sloutput`): `m`, an IP datagram, waits on the interactive
/// queue if its type of service asks for low delay, else on `if_snd`,
/// for `slstart`. ICMP is dropped with ENETRESET under SC_NOICMP (the
/// book's answer, marked XXX there).
pub fn sloutput(st: &mut Stack, ifp: usize, m: Mbuf, _dst: InAddr) -> Result {
    let Stack { sl_softc, ifnet, mbpool, .. } = st;
    let sc = sl_softc.iter_mut().find(|(_, sc)| sc.sc_if == ifp).map(|(_, sc)| sc);
    let (Some(sc), Some(ifn)) = (sc, ifnet.get_mut(ifp)) else {
        m_freem(mbpool, m);
        return Err(ENETDOWN);
    };
    if ifn.if_flags & IFF_UP == 0 {
        m_freem(mbpool, m);
        return Err(ENETDOWN);
    }
    let hdr = m.mtod();
    let (tos, proto) = (hdr.get(1).copied().unwrap_or(0), hdr.get(9).copied().unwrap_or(0));
    if ifn.if_flags & SC_NOICMP != 0 && i32::from(proto) == IPPROTO_ICMP {
        m_freem(mbpool, m);
        return Err(ENETRESET);
    }
    let ifq = if tos & IPTOS_LOWDELAY != 0 { &mut sc.sc_fastq } else { &mut ifn.if_snd };
    match ifq.enqueue(m) {
        Ok(()) => Ok(()),
        Err(m) => {
            ifn.if_data.ifi_oerrors += 1;
            m_freem(mbpool, m);
            Err(ENOBUFS)
        }
    }
}

/// Sends what line `ttyp` will take (`slstart`): the rest of the frame in
/// progress, then datagrams, the interactive queue's first, each
/// compressed if SC_COMPRESS is set and framed. `write` hands bytes to
/// the line and says how many it took; fewer than offered means the line
/// is full, and the platform calls again when it drains. `idle`: nothing
/// is waiting on the line, so the first frame opens with FRAME_END.
pub fn slstart(st: &mut Stack, ttyp: usize, mut idle: bool, mut write: impl FnMut(&[u8]) -> usize) {
    let Some(k) = sl_of(st, ttyp) else { return };
    let Stack { sl_softc, ifnet, mbpool, bpf, .. } = st;
    let Some(sc) = sl_softc.get_mut(k) else { return };
    let Some(ifn) = ifnet.get_mut(sc.sc_if) else { return };
    loop {
        while sc.opos < sc.obuf.len() {
            let n = write(&sc.obuf[sc.opos..]).min(sc.obuf.len() - sc.opos);
            if n == 0 {
                return;
            }
            sc.opos += n;
            ifn.if_data.ifi_obytes += n as u64;
        }
        let m = match sc.sc_fastq.dequeue() {
            Some(m) => {
                sc.sc_fastsent += 1;
                m
            }
            None => match ifn.if_snd.dequeue() {
                Some(m) => m,
                None => return,
            },
        };
        let copied = copy_out(&m, &mut sc.pkt);
        m_freem(mbpool, m);
        sc.obuf.clear();
        sc.opos = 0;
        let bif = ifn.if_bpf.as_ref().filter(|b| !b.bif_dlist.is_empty());
        let framed = copied.and_then(|()| {
            // BPF sees the datagram as it was and the header as it went
            // (the book's slstart copies the packet aside before
            // compressing it, section 31.5).
            let mut orig = Vec::new();
            if bif.is_some() && orig.reserve(sc.pkt.len()).is_ok() {
                for &b in sc.pkt.iter() {
                    let _ = orig.push(b); // room was reserved
                }
            }
            let pkt = &mut sc.pkt[..];
            let tcp = pkt.len() > 9 && i32::from(pkt[9]) == IPPROTO_TCP;
            let (ty, out) = if ifn.if_flags & SC_COMPRESS != 0 && tcp {
                sc.sc_comp.sl_compress_tcp(pkt, true)
            } else {
                (TYPE_IP, pkt)
            };
            sl_mark(ty, out);
            if let Some(bif) = bif {
                let hdr = sl_bpfhdr(SLIPDIR_OUT, out);
                bpf_mtap(bpf, bif, &BpfPkt { hdr: &hdr, body: Body::Buf(&orig) });
            }
            sl_encode(out, idle, &mut sc.obuf)
        });
        match framed {
            Ok(()) => {
                ifn.if_data.ifi_opackets += 1;
                idle = false;
            }
            Err(_) => {
                sc.obuf.clear();
                ifn.if_data.ifi_oerrors += 1;
            }
        }
    }
}

/// SLIP's header for BPF (`SLIP_HDRLEN` bytes): the direction, then the
/// first `CHDR_LEN` bytes of the frame as it crossed the line, its
/// compressed TCP header when it had one.
fn sl_bpfhdr(dir: u8, frame: &[u8]) -> [u8; SLIP_HDRLEN] {
    let mut h = [0u8; SLIP_HDRLEN];
    h[SLX_DIR] = dir;
    let n = frame.len().min(CHDR_LEN);
    if let (Some(d), Some(s)) = (h.get_mut(SLX_CHDR..SLX_CHDR + n), frame.get(..n)) {
        d.copy_from_slice(s);
    }
    h
}

/// Copies datagram `m` into `buf`.
fn copy_out(m: &Mbuf, buf: &mut Vec<u8>) -> Result {
    let len = m.m_pkthdr().map_or(0, |ph| ph.len);
    buf.clear();
    buf.reserve(len).map_err(|_| ENOBUFS)?;
    for _ in 0..len {
        let _ = buf.push(0); // room was reserved
    }
    m_copydata(m, 0, buf)
}

/// Bytes received on line `ttyp` (`slinput`, a byte at a time as the
/// book's tty interrupt delivers them). `flags`, when the platform has
/// them, marks bytes the line received badly (not 0): their frame is an
/// error. Whole frames go to IP's input queue, decompressed if they are
/// compressed TCP and SC_COMPRESS is set, or SC_AUTOCOMP is and an
/// uncompressed TCP frame comes (which sets SC_COMPRESS). With IFF_DEBUG
/// set, the abort sequence closes the line (`slclose`), as in the book.
pub fn slinput(st: &mut Stack, ttyp: usize, bytes: &[u8], flags: Option<&[u8]>) {
    let Some(k) = sl_of(st, ttyp) else { return };
    if slinput_bytes(st, k, bytes, flags) {
        let unit = st.sl_softc.get(k).map_or(0, |sc| sc.sc_unit);
        crate::platform::log(format_args!("sl{unit}: abort sequence, line closed"));
        slclose(st, ttyp);
    }
}

/// `slinput` for line `k`; whether the abort sequence came.
fn slinput_bytes(st: &mut Stack, k: usize, bytes: &[u8], flags: Option<&[u8]>) -> bool {
    let now = st.time_second();
    let Stack { sl_softc, ifnet, mbpool, ipintrq, ticks, bpf, .. } = st;
    let Some(sc) = sl_softc.get_mut(k) else { return false };
    let Some(ifn) = ifnet.get_mut(sc.sc_if) else { return false };
    sc.lastin = *ticks;
    ifn.if_data.ifi_ibytes += bytes.len() as u64;
    sc.dec.set_max(ifn.if_data.ifi_mtu as usize);
    for (i, &c) in bytes.iter().enumerate() {
        if ifn.if_flags & IFF_DEBUG != 0 {
            if c == ABT_ESC {
                if sc.abortcount > 0 && now >= sc.starttime + ABT_WINDOW {
                    sc.abortcount = 0;
                }
                if now >= sc.lasttime + ABT_IDLE {
                    sc.abortcount += 1;
                    if sc.abortcount == 1 {
                        sc.starttime = now;
                    }
                    if sc.abortcount >= ABT_COUNT {
                        return true;
                    }
                }
            } else {
                sc.abortcount = 0;
            }
            sc.lasttime = now;
        }
        if flags.and_then(|f| f.get(i)).is_some_and(|&f| f != 0) {
            sc.dec.mark_error();
            continue;
        }
        let frame = match sc.dec.input(c) {
            SlInput::More => continue,
            SlInput::Error => {
                ifn.if_data.ifi_ierrors += 1;
                // RFC 1144: the decompressor tosses until the next
                // explicit connection id.
                let _ = sc.sc_comp.sl_uncompress_tcp(&[], TYPE_ERROR);
                continue;
            }
            SlInput::Frame(f) => f,
        };
        let ty = sl_frame_type(frame[0]);
        let bpfhdr = sl_bpfhdr(SLIPDIR_IN, frame);
        let fl = ifn.if_flags;
        let m = match ty {
            TYPE_IP => m_devget(mbpool, frame, 0, Some(sc.sc_if)).ok(),
            TYPE_UNCOMPRESSED_TCP | TYPE_COMPRESSED_TCP
                if fl & SC_COMPRESS != 0
                    || (fl & SC_AUTOCOMP != 0
                        && ty == TYPE_UNCOMPRESSED_TCP
                        && frame.len() >= 40) =>
            {
                let dg = sc.sc_comp.sl_uncompress_tcp(frame, ty);
                if dg.is_some() {
                    ifn.if_flags |= SC_COMPRESS;
                }
                dg.and_then(|dg| m_devget(mbpool, &dg, 0, Some(sc.sc_if)).ok())
            }
            _ => None,
        };
        let Some(m) = m else {
            ifn.if_data.ifi_ierrors += 1;
            continue;
        };
        if let Some(bif) = ifn.if_bpf.as_ref().filter(|b| !b.bif_dlist.is_empty()) {
            bpf_mtap(bpf, bif, &BpfPkt::chain(&bpfhdr, &m));
        }
        if ifn.if_flags & IFF_UP == 0 {
            ifn.if_data.ifi_iqdrops += 1;
            m_freem(mbpool, m);
            continue;
        }
        ifn.if_data.ifi_ipackets += 1;
        if let Err(m) = ipintrq.enqueue(m) {
            ifn.if_data.ifi_ierrors += 1;
            ifn.if_data.ifi_iqdrops += 1;
            m_freem(mbpool, m);
        }
    }
    false
}

/// The SLIP timer, every second: a line quiet for `SL_QUIET_TICKS` in
/// the middle of a frame loses it, counted as an input error.
pub fn sltimer(st: &mut Stack) {
    let Stack { sl_softc, ifnet, ticks, .. } = st;
    for (_, sc) in sl_softc.iter_mut() {
        if sc.dec.in_frame() && ticks.wrapping_sub(sc.lastin) >= SL_QUIET_TICKS {
            sc.dec.flush();
            let _ = sc.sc_comp.sl_uncompress_tcp(&[], TYPE_ERROR);
            if let Some(ifn) = ifnet.get_mut(sc.sc_if) {
                ifn.if_data.ifi_ierrors += 1;
            }
        }
    }
}
