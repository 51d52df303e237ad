//! A simulated network for TCP tests: stacks joined two by two by
//! point-to-point (tun) links, a fake clock, and a link that can lose,
//! duplicate, reorder and delay datagrams from a seeded generator, so
//! that every run of a test sees the same network.
//!
//! Station `i` has address `10.0.0.(i+1)` on its `tun0`, joined to
//! station `1 - i` (two stations), MTU as asked. Time moves in the
//! stacks' 100 ms ticks: `tick` advances both clocks one tick and
//! carries what is due; `run` carries until the network is quiet
//! without moving the clock (frames with a delay wait for their tick).

use super::fuzz::Rng;
use super::*;
use bsdinet::bsd::kern::uipc_mbuf::{m_copydata, m_devget};
use bsdinet::bsd::net::if_::if_up;
use bsdinet::bsd::net::if_ethersubr::if_link_state;
use bsdinet::bsd::net::if_tun::{tunattach, tuninput};
use bsdinet::bsd::netinet::in_::{in_control, InAddr, SockaddrIn};
use bsdinet::bsd::netinet::tcp::{Tcphdr, TCP_HDRLEN};
use bsdinet::bsd::sys::sockio::*;

/// The address of station `i`.
pub fn addr(i: usize) -> u32 {
    0x0a00_0001 + i as u32
}

/// What the link does to datagrams, in thousandths and ticks.
#[derive(Clone, Copy, Default, Debug)]
pub struct Impair {
    pub loss: u32,
    pub dup: u32,
    /// Chance that a datagram is held back one to three ticks more than
    /// the others (so that later ones pass it).
    pub reorder: u32,
    /// Ticks every datagram takes.
    pub delay: u64,
}

/// A test's own drop rule: (from station, datagram) → lose it.
pub type DropRule = Box<dyn FnMut(usize, &[u8]) -> bool>;

/// A datagram on the wire.
struct InFlight {
    due: u64,
    to: usize,
    bytes: Vec<u8>,
}

/// Two stations and the link between them.
pub struct Sim {
    pub st: [Stack; 2],
    pub ifp: [usize; 2],
    /// Ticks since the start.
    pub now: u64,
    pub impair: Impair,
    pub rng: Rng,
    flight: Vec<InFlight>,
    /// Every datagram sent, as (from station, IP datagram), in order.
    pub wire: Vec<(usize, Vec<u8>)>,
    /// Datagrams for which this returns true are lost (after `wire`
    /// records them): the test's own drops.
    pub drop_if: Option<DropRule>,
}

impl Sim {
    /// Two stations on a link of MTU `mtu`, the link perfect.
    pub fn new(mtu: u32, seed: u64) -> Sim {
        let mk = |i: usize| {
            let mut st = stack();
            let ifp = tunattach(&mut st, b"tun0", mtu, 1).unwrap();
            if_link_state(&mut st, ifp, true);
            if_up(&mut st, ifp);
            let mut req = [0u8; IFALIASREQ_LEN];
            req[..4].copy_from_slice(b"tun0");
            set_sockaddr_at(&mut req, IFRA_ADDR, &SockaddrIn::new(InAddr(addr(i)), 0)).unwrap();
            set_sockaddr_at(&mut req, IFRA_BROADADDR, &SockaddrIn::new(InAddr(addr(1 - i)), 0))
                .unwrap();
            in_control(&mut st, SIOCAIFADDR, &mut req, Some(ifp), true).unwrap();
            (st, ifp)
        };
        let ((a, ia), (b, ib)) = (mk(0), mk(1));
        Sim {
            st: [a, b],
            ifp: [ia, ib],
            now: 0,
            impair: Impair::default(),
            rng: Rng::new(seed),
            flight: Vec::new(),
            wire: Vec::new(),
            drop_if: None,
        }
    }

    /// Takes what each station sent and puts it on the wire.
    fn collect(&mut self) -> bool {
        let mut any = false;
        for i in 0..2 {
            self.st[i].softint();
            let mut out = Vec::new();
            self.st[i].if_snd_drain(|_, m| {
                let mut b = vec![0u8; m.m_pkthdr().unwrap().len];
                m_copydata(m, 0, &mut b).unwrap();
                out.push(b);
            });
            for b in out {
                any = true;
                self.wire.push((i, b.clone()));
                if let Some(f) = self.drop_if.as_mut() {
                    if f(i, &b) {
                        continue;
                    }
                }
                let imp = self.impair;
                if self.rng.chance(imp.loss) {
                    continue;
                }
                let copies = if self.rng.chance(imp.dup) { 2 } else { 1 };
                for _ in 0..copies {
                    let extra =
                        if self.rng.chance(imp.reorder) { 1 + self.rng.next() % 3 } else { 0 };
                    let due = self.now + imp.delay + extra;
                    self.flight.push(InFlight { due, to: 1 - i, bytes: b.clone() });
                }
            }
        }
        any
    }

    /// Delivers what is due now; true if anything was.
    fn deliver(&mut self) -> bool {
        let now = self.now;
        let (due, later): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.flight).into_iter().partition(|f| f.due <= now);
        self.flight = later;
        for f in &due {
            let st = &mut self.st[f.to];
            let m = m_devget(&mut st.mbpool, &f.bytes, 0, Some(self.ifp[f.to])).unwrap();
            tuninput(st, self.ifp[f.to], m);
            st.softint();
        }
        !due.is_empty()
    }

    /// Carries datagrams until the network is quiet at this instant.
    pub fn run(&mut self) {
        for _ in 0..100_000 {
            let sent = self.collect();
            let got = self.deliver();
            if !sent && !got {
                return;
            }
        }
        panic!("the network never went quiet");
    }

    /// One tick (100 ms) on both clocks, then `run`.
    pub fn tick(&mut self) {
        self.now += 1;
        for st in self.st.iter_mut() {
            st.tick();
        }
        self.run();
    }

    /// `n` ticks.
    pub fn ticks(&mut self, n: u64) {
        for _ in 0..n {
            self.tick();
        }
    }

    /// Ticks until `f` holds, at most `limit` ticks; true if it held.
    pub fn until(&mut self, limit: u64, mut f: impl FnMut(&mut Sim) -> bool) -> bool {
        self.run();
        for _ in 0..limit {
            if f(self) {
                return true;
            }
            self.tick();
        }
        f(self)
    }

    /// The TCP segments on the wire from station `from`, as (header,
    /// data length), in order.
    pub fn segments(&self, from: usize) -> Vec<(Tcphdr, usize)> {
        self.wire.iter().filter(|(i, _)| *i == from).filter_map(|(_, b)| tcp_of(b)).collect()
    }
}

impl Sim {
    /// A connection from station 0 to a new listener on station 1 at
    /// `port`, accepted: (listener, client, server).
    pub fn connection(&mut self, port: u16) -> (usize, usize, usize) {
        let l = tcp_listen(&mut self.st[1], port, 5);
        let c = tcp_connect(&mut self.st[0], addr(1), port);
        assert!(self.until(100, |s| s.st[1].so(l).so_qlen() > 0), "no connection");
        let s = tcp_accept(&mut self.st[1], l).unwrap();
        self.run();
        (l, c, s)
    }

    /// Sends all of `data` from `x` (station 0) to `y` (station 1),
    /// reading at `y`, for at most `limit` ticks; what `y` read.
    pub fn transfer(&mut self, x: usize, y: usize, data: &[u8], limit: u64) -> Vec<u8> {
        let (mut sent, mut got) = (0, Vec::new());
        for _ in 0..limit {
            sent += tcp_send(&mut self.st[0], x, &data[sent..]);
            self.run();
            got.extend(tcp_recv(&mut self.st[1], y).unwrap_or_default());
            if got.len() == data.len() {
                break;
            }
            self.tick();
        }
        got
    }
}

/// The TCP header and data length of IP datagram `b`, if it is TCP.
pub fn tcp_of(b: &[u8]) -> Option<(Tcphdr, usize)> {
    if b.len() < 20 || b[9] != 6 {
        return None;
    }
    let hl = usize::from(b[0] & 15) * 4;
    let th = Tcphdr::parse(b.get(hl..)?)?;
    let len = u16::from_be_bytes([b[2], b[3]]) as usize;
    Some((th, len.saturating_sub(hl + usize::from(th.th_off) * 4).min(len)))
        .filter(|_| usize::from(th.th_off) * 4 >= TCP_HDRLEN)
}

/// A TCP socket of station `st` (its wakeup handle `arg`).
pub fn tcp_socket(st: &mut Stack) -> usize {
    socreate(st, &INETDOMAIN, SOCK_STREAM, 0, Cred::ROOT, 1).unwrap()
}

/// A listener on `port`.
pub fn tcp_listen(st: &mut Stack, port: u16, backlog: i32) -> usize {
    let so = tcp_socket(st);
    sobind(st, so, &sin(0, port)).unwrap();
    solisten(st, so, backlog).unwrap();
    so
}

/// Starts a connection from a new socket to `addr:port`.
pub fn tcp_connect(st: &mut Stack, addr: u32, port: u16) -> usize {
    let so = tcp_socket(st);
    soconnect(st, so, &sin(addr, port)).unwrap();
    st.softint();
    so
}

/// Takes a connection off listener `l`'s queue, if one is there.
pub fn tcp_accept(st: &mut Stack, l: usize) -> Option<usize> {
    soaccept_next(st, l, 1).ok().map(|(so, _)| so)
}

/// Queues as much of `data` as the send buffer takes; returns how much.
pub fn tcp_send(st: &mut Stack, so: usize, data: &[u8]) -> usize {
    let (n, r) = send_some(st, so, data, 0);
    match r {
        Ok(()) | Err(EWOULDBLOCK) => n,
        Err(e) => panic!("send: {e:?}"),
    }
}

/// Takes what is readable now (Ok(empty) at the end of the data).
pub fn tcp_recv(st: &mut Stack, so: usize) -> Result<Vec<u8>> {
    let r = recv(st, so, 1 << 20, MSG_DONTWAIT).map(|(b, _)| b);
    st.softint();
    r
}

/// Whether socket `so` is connected.
pub fn connected(st: &mut Stack, so: usize) -> bool {
    st.so(so).so_state & SS_ISCONNECTED != 0
}
