//! Socket state changes and socket buffers (`kern/uipc_socket2.c`; book
//! chapter 15 and 16).

use crate::bsd::kern::uipc_socket::*;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::{Result, ENOBUFS};

/// Largest socket buffer (`sb_max`).
pub const SB_MAX: usize = 256 * 1024;

/// A socket buffer's accounting (`struct sockbuf`). The data itself joins
/// with mbufs; until then nothing is ever queued and `sb_cc` stays 0.
#[derive(Default)]
pub struct Sockbuf {
    /// Bytes in the buffer.
    pub sb_cc: usize,
    /// High water mark: the buffer's size.
    pub sb_hiwat: usize,
    /// Low water mark: readiness threshold.
    pub sb_lowat: usize,
    /// Most storage (mbufs plus clusters) the buffer may hold.
    pub sb_mbmax: usize,
}

impl Sockbuf {
    /// Room left (`sbspace`).
    pub fn sbspace(&self) -> usize {
        self.sb_hiwat.saturating_sub(self.sb_cc)
    }

    /// Sets the buffer's size (`sbreserve`).
    pub fn sbreserve(&mut self, cc: usize) -> Result {
        // The book's test: the size plus its mbuf overhead must fit sb_max.
        if cc == 0 || cc > SB_MAX * 2048 / (2048 + 128) {
            return Err(ENOBUFS);
        }
        self.sb_hiwat = cc;
        self.sb_mbmax = (cc * 8).min(SB_MAX);
        self.sb_lowat = self.sb_lowat.min(self.sb_hiwat);
        Ok(())
    }
}

/// Sizes both buffers of a socket (`soreserve`).
pub fn soreserve(so: &mut Socket, sndcc: usize, rcvcc: usize) -> Result {
    so.so_snd.sbreserve(sndcc)?;
    so.so_rcv.sbreserve(rcvcc)?;
    if so.so_rcv.sb_lowat == 0 {
        so.so_rcv.sb_lowat = 1;
    }
    if so.so_snd.sb_lowat == 0 {
        so.so_snd.sb_lowat = MCLBYTES;
    }
    so.so_snd.sb_lowat = so.so_snd.sb_lowat.min(so.so_snd.sb_hiwat);
    Ok(())
}

/// Size of an mbuf cluster, the send buffer's default low water mark.
pub const MCLBYTES: usize = 2048;

/// The socket is connected (`soisconnected`).
pub fn soisconnected(st: &mut Stack, so: usize) {
    let s = st.so(so);
    s.so_state &= !(SS_ISCONNECTING | SS_ISDISCONNECTING);
    s.so_state |= SS_ISCONNECTED;
    sorwakeup(st, so);
    sowwakeup(st, so);
}

/// The socket is disconnected (`soisdisconnected`).
pub fn soisdisconnected(st: &mut Stack, so: usize) {
    let s = st.so(so);
    s.so_state &= !(SS_ISCONNECTING | SS_ISCONNECTED | SS_ISDISCONNECTING);
    s.so_state |= SS_CANTRCVMORE | SS_CANTSENDMORE;
    sorwakeup(st, so);
    sowwakeup(st, so);
}

/// Nothing more will be sent (`socantsendmore`).
pub fn socantsendmore(st: &mut Stack, so: usize) {
    st.so(so).so_state |= SS_CANTSENDMORE;
    sowwakeup(st, so);
}

/// Nothing more will be received (`socantrcvmore`).
pub fn socantrcvmore(st: &mut Stack, so: usize) {
    st.so(so).so_state |= SS_CANTRCVMORE;
    sorwakeup(st, so);
}

/// Readers of `so` may proceed (`sorwakeup`): the platform wakes them once
/// the current request is done.
pub fn sorwakeup(st: &mut Stack, so: usize) {
    st.wakeup(so);
}

/// Writers of `so` may proceed (`sowwakeup`).
pub fn sowwakeup(st: &mut Stack, so: usize) {
    st.wakeup(so);
}
