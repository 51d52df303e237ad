//! One instance of the stack: every piece of state hangs off `Stack`, so
//! that host tests can run several stacks side by side and the module can
//! keep one per network namespace. FreeBSD calls this a "vnet".

use crate::bsd::kern::uipc_domain::Protosw;
use crate::bsd::kern::uipc_mbuf::MbufPool;
use crate::bsd::kern::uipc_socket::{Cred, Socket, SOMAXCONN_DEFAULT};
use crate::bsd::net::if_::if_up;
use crate::bsd::net::if_::{IfKind, IfName, Ifnet, Ifqueue, IFQ_MAXLEN};
use crate::bsd::net::if_loop::loattach;
use crate::bsd::net::if_sl::SlSoftc;
use crate::bsd::net::raw_cb::Rawcb;
use crate::bsd::net::route::{RouteTable, Rtentry, Sockaddr};
use crate::bsd::net::rtsock::RouteCb;
use crate::bsd::netinet::if_ether::Arpstat;
use crate::bsd::netinet::in_::InIfaddr;
use crate::bsd::netinet::in_::{in_control, InAddr, SockaddrIn, INADDR_LOOPBACK};
use crate::bsd::netinet::in_pcb::{InpHead, Inpcb, InpcbInfo};
use crate::bsd::netinet::ip::{Ipstat, IPDEFTTL};
use crate::bsd::netinet::ip_icmp::Icmpstat;
use crate::bsd::netinet::ip_options::IpSrcrt;
use crate::bsd::netinet::ip_reass::IpReass;
use crate::bsd::netinet::tcp_debug::TcpDebug;
use crate::bsd::netinet::tcp_var::{TcpVars, Tcpcb, Tcpstat};
use crate::bsd::netinet::udp_usrreq::Udpstat;
use crate::bsd::sys::errno::Result;
use crate::bsd::sys::slab::Slab;
use crate::bsd::sys::sockio::{
    set_sockaddr_at, IFALIASREQ_LEN, IFNAMSIZ, IFRA_ADDR, IFRA_MASK, SIOCAIFADDR,
};
use crate::platform::Vec;

/// A whole TCP/IP stack.
pub struct Stack {
    /// Every socket (`struct socket`), by index.
    pub sockets: Slab<Socket>,
    /// Every internet PCB, by index.
    pub inpcbs: Slab<Inpcb>,
    /// Each protocol's PCB tables, indexed by `InpHead`.
    pub pcbinfo: [InpcbInfo; 3],
    /// The interfaces (`ifnet`).
    pub ifnet: Slab<Ifnet>,
    /// The mbuf allocator: its limits and `mbstat`.
    pub mbpool: MbufPool,
    /// The SLIP lines (`sl_softc`).
    pub sl_softc: Slab<SlSoftc>,
    /// The last interface index handed out (`if_index`).
    pub if_index: u16,
    /// Every internet address, in the order they were added (`in_ifaddr`).
    pub in_ifaddr: Vec<InIfaddr>,
    /// The routing table, its routes and `rtstat`.
    pub rtable: RouteTable,
    /// ARP statistics.
    pub arpstat: Arpstat,
    /// The control blocks of routing sockets (`rawcb`), by index.
    pub rawcb: Slab<Rawcb>,
    /// How many routing sockets listen (`route_cb`).
    pub route_cb: RouteCb,
    /// The process making the current request (the book's
    /// `curproc->p_pid`, for `rtm_pid`): set by the platform around a
    /// send, 0 otherwise.
    pub curpid: i32,
    /// Whether datagrams for others are forwarded (`ipforwarding`; off,
    /// as on a BSD host, until `sysctl net.inet.ip.forwarding=1`).
    pub ipforwarding: bool,
    /// Whether forwarding sends ICMP redirects (`ipsendredirects`).
    pub ipsendredirects: bool,
    /// Whether other subnets of an attached network count as local
    /// (`subnetsarelocal`; the book's default is yes).
    pub subnetsarelocal: bool,
    /// Whether ephemeral ports are chosen at random (RFC 6056; FreeBSD's
    /// `net.inet.ip.portrange.randomized`). Off by default: the book's
    /// sequential ports.
    pub ipport_randomized: bool,
    /// Whether a send that reports the socket's pending error also clears
    /// it, as Linux does. Off by default: the book's `sosend` leaves it
    /// for a receive or SO_ERROR to take, so every send fails until then.
    pub sosend_clears_error: bool,
    /// IP statistics (`ipstat`).
    pub ipstat: Ipstat,
    /// The next IP datagram identifier (`ip_id`).
    pub ip_id: u16,
    /// The default TTL of outgoing datagrams (`ip_defttl`).
    pub ip_defttl: u8,
    /// Datagrams received, waiting for `ipintr` (`ipintrq`).
    pub ipintrq: Ifqueue,
    /// Datagrams being reassembled (`ipq`).
    pub ipq: IpReass,
    /// The source route of the datagram being received (`ip_srcrt`).
    pub ip_srcrt: IpSrcrt,
    /// ICMP statistics (`icmpstat`).
    pub icmpstat: Icmpstat,
    /// Whether address mask requests are answered (`icmpmaskrepl`; the
    /// book's default is no, bsdinet's is yes).
    pub icmpmaskrepl: bool,
    /// UDP statistics (`udpstat`).
    pub udpstat: Udpstat,
    /// Whether UDP checksums are computed and checked (`udpcksum`).
    pub udpcksum: bool,
    /// Every TCP control block (`tcpcb`), by index; PCBs name theirs in
    /// `inp_ppcb`.
    pub tcpcbs: Slab<Tcpcb>,
    /// TCP statistics (`tcpstat`).
    pub tcpstat: Tcpstat,
    /// TCP's tunables and clocks.
    pub tcp: TcpVars,
    /// The `SO_DEBUG` trace ring (`tcp_debug[]`).
    pub tcp_debug: TcpDebug,
    /// The largest listen() backlog (`somaxconn`; the book's SOMAXCONN
    /// of 5 is bsdinet's only with `net.bsdinet.socket.somaxconn=5`).
    pub somaxconn: i32,
    /// The largest socket buffer (the book's `sb_max`, a constant there;
    /// FreeBSD's kern.ipc.maxsockbuf, `net.bsdinet.socket.maxsockbuf`
    /// here): SO_SNDBUF/SO_RCVBUF above about 94% of it fail with ENOBUFS.
    pub sb_max: usize,
    /// 100 ms ticks since the stack started.
    pub ticks: u64,
    /// Upcall arguments of sockets whose sleepers must be woken once the
    /// current request returns (filled by `sorwakeup`/`sowwakeup`).
    wakeups: Vec<usize>,
    /// Upcall arguments of sockets whose owner gets SIGURG once the
    /// current request returns (`sohasoutofband`'s `gsignal`).
    sigurgs: Vec<usize>,
    /// Group memberships of the interfaces (`in_multihead`), by index.
    pub in_multi: Slab<crate::bsd::netinet::in_mcast::InMulti>,
    /// Changes to the Linux devices' multicast filters that the
    /// platform has yet to make (`if_mcreq`): what the book's drivers do
    /// when SIOCADDMULTI answers ENETRESET.
    pub if_mcreqs: Vec<crate::bsd::net::if_::McReq>,
    /// IGMP statistics (`igmpstat`).
    pub igmpstat: crate::bsd::netinet::igmp::Igmpstat,
    /// IGMP's timers and querier memory.
    pub igmp: crate::bsd::netinet::igmp::IgmpVars,
    /// Whether IGMP answers version-2 queriers by RFC 2236
    /// (`net.bsdinet.igmp.v2`; off gives the book's IGMPv1 only).
    pub igmp_v2: bool,
    /// The multicast routing daemon's socket (`ip_mrouter`), if one did
    /// MRT_INIT.
    pub ip_mrouter: Option<usize>,
    /// Multicast routing: vifs, the forwarding cache and `mrtstat`.
    pub mrt: crate::bsd::netinet::ip_mroute::Mrt,
    /// The BPF descriptors (`net/bpf.c`).
    pub bpf: crate::bsd::net::bpf::Bpf,
    /// Invariants found broken (`Stack::bug`): a stale index met by an
    /// accessor, and the like. The platform turns an increase during a
    /// request into a warning and EIO.
    pub invariant_failures: u64,
    /// Stand-ins that the accessors hand out for a missing object.
    pub(crate) spares: Spares,
}

/// Objects for the accessors (`so`, `pcb`, `ifp`, `rt`) to hand out when
/// the index they are given names nothing, so that a bug in the stack
/// costs a counted error instead of a panic with the stack's lock held.
/// Each is made afresh every time it is handed out.
pub(crate) struct Spares {
    pub so: Socket,
    pub pcb: Inpcb,
    pub ifp: Ifnet,
    pub rt: Rtentry,
    pub tp: Tcpcb,
}

/// The protocol of the spare socket: no user requests, so every request
/// to it fails with EOPNOTSUPP.
static SPARE_PROTO: Protosw = Protosw { pr_name: "spare", ..Protosw::NONE };

impl Spares {
    fn new() -> Self {
        Spares {
            so: Socket::new(&SPARE_PROTO, Cred::default(), 0),
            pcb: Inpcb::new(InpHead::Raw, usize::MAX, 0),
            ifp: Ifnet::new(IfName([0; IFNAMSIZ]), IfKind::Loopback, 0, 0),
            rt: Rtentry::new(InAddr(0), InAddr(0), Sockaddr::In(InAddr(0))),
            tp: Tcpcb::new(usize::MAX),
        }
    }
}

impl Default for Stack {
    fn default() -> Self {
        Self::new()
    }
}

impl Stack {
    /// A stack with no interfaces and no sockets.
    pub fn new() -> Self {
        let mut st = Stack {
            sockets: Slab::new(),
            inpcbs: Slab::new(),
            pcbinfo: [InpcbInfo::new(), InpcbInfo::new(), InpcbInfo::new()],
            ifnet: Slab::new(),
            mbpool: MbufPool::new(),
            sl_softc: Slab::new(),
            if_index: 0,
            in_ifaddr: Vec::new(),
            rtable: RouteTable::default(),
            arpstat: Arpstat::default(),
            rawcb: Slab::new(),
            route_cb: RouteCb::default(),
            curpid: 0,
            ipforwarding: false,
            ipsendredirects: true,
            subnetsarelocal: true,
            ipport_randomized: false,
            sosend_clears_error: false,
            ipstat: Ipstat::default(),
            ip_id: 0,
            ip_defttl: IPDEFTTL,
            ipintrq: Ifqueue::new(IFQ_MAXLEN),
            ipq: IpReass::new(),
            ip_srcrt: IpSrcrt::default(),
            icmpstat: Icmpstat::default(),
            icmpmaskrepl: true,
            udpstat: Udpstat::default(),
            udpcksum: true,
            tcpcbs: Slab::new(),
            tcpstat: Tcpstat::default(),
            tcp: TcpVars::default(),
            tcp_debug: TcpDebug::default(),
            somaxconn: SOMAXCONN_DEFAULT,
            sb_max: crate::bsd::kern::uipc_socket2::SB_MAX,
            ticks: 0,
            wakeups: Vec::new(),
            sigurgs: Vec::new(),
            in_multi: Slab::new(),
            if_mcreqs: Vec::new(),
            igmpstat: Default::default(),
            igmp: Default::default(),
            igmp_v2: true,
            ip_mrouter: None,
            mrt: Default::default(),
            bpf: Default::default(),
            invariant_failures: 0,
            spares: Spares::new(),
        };
        st.tcp.tcp_iss_secret = core::array::from_fn(|_| crate::platform::random_u32());
        crate::bsd::netinet::igmp::igmp_init(&mut st);
        st
    }

    /// What autoconfiguration and /etc/rc do at boot: attach lo0 and give
    /// it 127.0.0.1/8.
    pub fn boot(&mut self) -> Result {
        let lo0 = loattach(self)?;
        let mut req = [0u8; IFALIASREQ_LEN];
        req[..3].copy_from_slice(b"lo0");
        set_sockaddr_at(&mut req, IFRA_ADDR, &SockaddrIn::new(INADDR_LOOPBACK, 0))?;
        set_sockaddr_at(&mut req, IFRA_MASK, &SockaddrIn::new(InAddr(0xff00_0000), 0))?;
        in_control(self, SIOCAIFADDR, &mut req, Some(lo0), true)?;
        if_up(self, lo0);
        Ok(())
    }

    /// Counts and logs a broken invariant (a bug in the stack itself),
    /// where the book would panic: nothing reachable from a system call
    /// or a packet may panic, as the platform holds the stack's lock. The
    /// 1st, 2nd, 4th, 8th... are logged, so that a packet flood that
    /// finds a bug does not flood the log too.
    pub fn bug(&mut self, what: &str) {
        self.invariant_failures = self.invariant_failures.wrapping_add(1);
        let n = self.invariant_failures;
        if n.is_power_of_two() {
            crate::platform::log(format_args!("bsdinet: invariant failure #{n}: {what}"));
        }
    }

    /// Socket `so`. A missing socket is a bug in the stack itself: it is
    /// counted (`bug`) and a blank spare stands in.
    pub fn so(&mut self, so: usize) -> &mut Socket {
        if self.sockets.get(so).is_none() {
            self.bug("no such socket");
            let blank = Socket::new(&SPARE_PROTO, Cred::default(), 0);
            let mut old = core::mem::replace(&mut self.spares.so, blank);
            old.so_snd.sbflush(&mut self.mbpool);
            old.so_rcv.sbflush(&mut self.mbpool);
        }
        let Stack { sockets, spares, .. } = self;
        sockets.get_mut(so).unwrap_or(&mut spares.so)
    }

    /// Socket `so` and the mbuf pool, borrowed together (for the socket
    /// buffers' work); a missing socket as in `so`.
    pub fn so_mbpool(&mut self, so: usize) -> (&mut Socket, &mut MbufPool) {
        self.so(so);
        let Stack { sockets, spares, mbpool, .. } = self;
        (sockets.get_mut(so).unwrap_or(&mut spares.so), mbpool)
    }

    /// PCB `inp`. A missing PCB is a bug in the stack itself: it is
    /// counted (`bug`) and a blank spare stands in.
    pub fn pcb(&mut self, inp: usize) -> &mut Inpcb {
        if self.inpcbs.get(inp).is_none() {
            self.bug("no such pcb");
            self.spares.pcb = Inpcb::new(InpHead::Raw, usize::MAX, 0);
        }
        let Stack { inpcbs, spares, .. } = self;
        inpcbs.get_mut(inp).unwrap_or(&mut spares.pcb)
    }

    /// TCP control block `tp`. A missing one is a bug in the stack
    /// itself: it is counted (`bug`) and a blank spare stands in.
    pub fn tp(&mut self, tp: usize) -> &mut Tcpcb {
        if self.tcpcbs.get(tp).is_none() {
            self.bug("no such tcpcb");
            let blank = Tcpcb::new(usize::MAX);
            let mut old = core::mem::replace(&mut self.spares.tp, blank);
            while let Some(r) = old.t_segq.pop() {
                crate::bsd::kern::uipc_mbuf::m_freem(&mut self.mbpool, r.m);
            }
        }
        let Stack { tcpcbs, spares, .. } = self;
        tcpcbs.get_mut(tp).unwrap_or(&mut spares.tp)
    }

    /// Asks the platform to wake the sleepers of socket `so`, if it has a
    /// wakeup handle.
    pub fn wakeup(&mut self, so: usize) {
        let arg = self.so(so).so_upcallarg;
        if arg != 0 && !self.wakeups.contains(&arg) {
            // If memory is short the wakeup is lost: sleepers also wake
            // on signals and timeouts, as BSD's tsleep callers do.
            let _ = self.wakeups.push(arg);
        }
    }

    /// What the book does at software interrupt level once a request
    /// returns: IP input of the datagrams queued meanwhile (`ipintr`), and
    /// the protocols' drain if mbufs ran short. The platform calls this
    /// after every request, timer and received packet.
    pub fn softint(&mut self) {
        crate::bsd::netinet::ip_input::ipintr(self);
        crate::bsd::kern::uipc_domain::m_reclaim(self);
    }

    /// The clock (the book's `hardclock` calling `pffasttimo` every
    /// 200 ms and `pfslowtimo` every 500 ms), ticking every 100 ms.
    pub fn tick(&mut self) {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks % 2 == 0 {
            crate::bsd::kern::uipc_domain::pffasttimo(self);
        }
        if self.ticks % 5 == 0 {
            crate::bsd::kern::uipc_domain::pfslowtimo(self);
        }
        if self.ticks % 10 == 0 {
            crate::bsd::net::if_sl::sltimer(self);
        }
        if self.ticks % (10 * crate::bsd::netinet::if_ether::ARPT_PRUNE) == 0 {
            crate::bsd::netinet::if_ether::arptimer(self);
        }
        self.softint();
    }

    /// Asks the platform to send SIGURG to the owner of socket `so`
    /// (the book's `gsignal(so->so_pgid, SIGURG)`), with its wakeup.
    pub fn sigurg(&mut self, so: usize) {
        let arg = self.so(so).so_upcallarg;
        if arg != 0 && !self.sigurgs.contains(&arg) {
            // Lost without memory, as a signal may be.
            let _ = self.sigurgs.push(arg);
        }
    }

    /// Drops the pending wakeup and signal of handle `arg` (its socket
    /// was closed).
    pub(crate) fn forget_wakeups(&mut self, arg: usize) {
        // `wakeup` and `sigurg` queue each handle once.
        if let Some(i) = self.wakeups.iter().position(|&a| a == arg) {
            self.wakeups.remove(i);
        }
        if let Some(i) = self.sigurgs.iter().position(|&a| a == arg) {
            self.sigurgs.remove(i);
        }
    }

    /// Takes the pending SIGURGs, for the platform to send.
    pub fn take_sigurgs(&mut self, mut f: impl FnMut(usize)) {
        while let Some(arg) = self.sigurgs.pop() {
            f(arg);
        }
    }

    /// Takes the pending wakeups, for the platform to deliver.
    pub fn take_wakeups(&mut self, mut f: impl FnMut(usize)) {
        while let Some(arg) = self.wakeups.pop() {
            f(arg);
        }
    }
}
