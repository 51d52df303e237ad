//! SLIP, Serial Line IP (`net/if_sl.c`; book section 5.3; RFC 1055):
//! the framing of `slstart` (output) and `slinput` (input).
//!
//! A datagram goes on the line between FRAME_END bytes, with FRAME_END
//! and FRAME_ESCAPE inside it sent as two-byte escapes. The interface
//! itself (the line discipline, `sl0`, the interactive queue) comes with
//! the SLIP issue; what is here is the part both ends must agree on.

use crate::bsd::sys::errno::*;
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
    /// A frame was thrown away: longer than `SLMAX`, or ended by
    /// FRAME_END right after FRAME_ESCAPE. Counted in `if_ierrors`.
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
    /// Frames thrown away: the caller's `if_ierrors`.
    pub ierrors: u64,
}

impl SlDecoder {
    /// A decoder with its `SLMAX`-byte buffer; ENOBUFS without memory.
    pub fn new() -> Result<Self> {
        let mut buf = Vec::new();
        buf.reserve(SLMAX).map_err(|_| ENOBUFS)?;
        Ok(SlDecoder { buf, escape: false, error: false, shown: false, ierrors: 0 })
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
        if self.buf.len() < SLMAX && self.buf.push(c).is_ok() {
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
        if !core::mem::take(&mut self.shown) && (!self.buf.is_empty() || self.error) {
            self.ierrors += 1;
        }
        self.buf.clear();
        self.escape = false;
        self.error = false;
    }
}
