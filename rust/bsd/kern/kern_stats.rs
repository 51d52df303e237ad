//! The stack's statistics and tables as text, for user space: the module
//! serves each as a read-only file `/proc/bsdinet/<name>`
//! (`rust/linux/procfs.rs`), and `tools/netstat.c` reads them, as BSD's
//! netstat reads `ipstat`, `ifnet` and the PCB lists out of `/dev/kmem`.
//!
//! # Format (an ABI: programs parse it)
//!
//! Text in ASCII, one record per line, each line ending in `\n`; fields
//! are separated by one space and never contain whitespace. Numbers are
//! unsigned decimal unless said otherwise; a `0x` number is hexadecimal.
//! An address is dotted quad (`127.0.0.1`), host byte order turned into
//! the usual notation; `0.0.0.0` is the wildcard.
//!
//! Counter files (`ip`, `icmp`, `udp`, `tcp`, `mbuf`, `arp`, `rtstat`) have one `name value` pair
//! per line. The names are the book's structure fields (`ips_total 12`);
//! an array element or the member of a named structure is written
//! `name.member` (`icps_outhist.8 3`, `ipintrq.ifq_drops 0`). The lines
//! come in the order below, but readers should look counters up by name
//! and ignore names they do not know: new counters may be added anywhere.
//!
//! Table files (`if`, `pcb`, `route`, `sl`, `tcp_debug`, `mcast`,
//! `ether_multi`, `vif`, `mfc`) start with one header line naming
//! the columns, then one row per line with as many fields as the header.
//! Readers should find columns by their header names: new columns may be
//! appended at the end of the rows.
//!
//! - `ip`: every field of `struct ipstat` (`netinet/ip.rs`), in its order:
//!   `ips_total` ... `ips_rawout`, then bsdinet's `ips_toolong` and
//!   `ips_badfrags`; then `ipq.nqueues` (datagrams being reassembled),
//!   `ipq.nfrags` (fragments held for them), `ipintrq.ifq_len`,
//!   `ipintrq.ifq_maxlen` and `ipintrq.ifq_drops` (IP's input queue).
//! - `icmp`: every field of `struct icmpstat` in its order; each histogram
//!   (`icps_outhist`, messages sent by type; `icps_inhist`, received by
//!   type) as one line per ICMP type from 0 to `ICMP_MAXTYPE` (18), zero
//!   or not, so the set of names never changes: `icps_outhist.0 3` ...
//!   `icps_outhist.18 0`.
//! - `udp`: every field of `struct udpstat` in its order (`udps_ipackets`
//!   ... `udps_opackets`, with `udpps_pcbcachemiss`).
//! - `tcp`: every field of `struct tcpstat` (`netinet/tcp_var.rs`) in its
//!   order: the book's `tcps_connattempt` ... `tcps_badsyn` (with Net/3's
//!   `tcps_persistdrop`), then bsdinet's `tcps_listendrop` (connection
//!   requests dropped for a full listen queue), `tcps_sndrexmitfast` (fast
//!   retransmissions), `tcps_challengeack` (RFC 5961 challenge ACKs sent),
//!   `tcps_rcvmemdrop` (segments dropped for want of memory),
//!   `tcps_noport` (segments for no connection) and `tcps_rcvbadflags`
//!   (segments dropped for flags their state does not take); then `tcb.count` (TCP
//!   control blocks in existence now) and `tcp_debug.entries` (entries in
//!   the trace ring).
//! - `igmp`: `struct igmpstat` (`netinet/igmp.rs`): the book's
//!   `igps_rcv_total` ... `igps_snd_reports`, then bsdinet's
//!   `igps_snd_leaves`, `igps_rcv_v2queries` and `igps_rcv_unknown`
//!   (RFC 2236 leaves sent, v2 queries heard, messages of unknown type);
//!   then `igmp_v2` (1 when v2 queriers are answered by RFC 2236).
//! - `mcast`: columns `interface group refcount timer lastreporter`,
//!   one row per group membership of an interface (`struct in_multi`,
//!   `netinet/in_mcast.rs`): references held (sockets, addresses for
//!   224.0.0.1, multicast routing), IGMP's report timer in 200 ms ticks
//!   (0: none pending), and 1 when our report was the last one heard.
//! - `ether_multi`: columns `interface addrlo addrhi refcount`, one row
//!   per Ethernet multicast range an interface receives (`struct
//!   ether_multi`); `addrlo` = `addrhi` for one group's address,
//!   `01:00:5e:00:00:00`-`01:00:5e:7f:ff:ff` for all (a vif).
//! - `mrt`: `struct mrtstat` (`netinet/ip_mroute.rs`): the book's
//!   `mrts_mfc_lookups` ... `mrts_upq_sockfull`, then bsdinet's
//!   `mrts_ttl_thresh` (copies held back by a vif's TTL threshold); then
//!   `ip_mrouter` (1 while a routing daemon holds MRT_INIT), `mfc.count`
//!   (cache entries) and `unresolved.count` (entries waiting for the
//!   daemon).
//! - `vif`: columns `vif flags threshold rate_limit local remote
//!   interface pkt_in pkt_out bytes_in bytes_out`, one row per virtual
//!   interface in use (`viftable[]`); `flags` in hex (`0x1`: a tunnel,
//!   whose `remote` is the other end), `rate_limit` always 0 (none).
//! - `mfc`: columns `origin group parent pkt_cnt byte_cnt wrong_if
//!   waiting ttls`, one row per forwarding cache entry, then one per
//!   unresolved (origin, group) with `parent` `-` and `waiting` the
//!   datagrams held for the daemon's answer; `ttls` lists `vif:threshold`
//!   for each vif the group goes out of, comma-separated, or `-`.
//! - `arp`: FreeBSD's `struct arpstat` (`netinet/if_ether.rs`), with
//!   `holddrops` (datagrams ARP's one-packet hold replaced).
//! - `rtstat`: `struct rtstat` (`net/route.rs`), then `rtentries`
//!   (routes allocated, in the tree or still referenced).
//! - `mbuf`: `struct mbstat`: `m_mbufs`, `m_clusters` (in use now),
//!   `m_drops`, `m_wait`, `m_drain`, then `m_mtypes.0` ... `m_mtypes.15`
//!   (mbufs in use by `MT_*` type number); then `mpfail` and `mcfail` (the
//!   book's `MPFail` and `MCFail`: `m_pullup` and `m_copym` failures), and
//!   the constants `MSIZE` and `MCLBYTES` to turn counts into bytes.
//! - `if`: columns `name index mtu flags ipackets ierrors opackets oerrors
//!   collisions ibytes obytes iqdrops addrs`, one row per interface in
//!   attach order. `flags` is `if_flags` in hex (`0x8049`: the `IFF_*`
//!   bits). `addrs` lists the interface's internet addresses in the
//!   order they were added, comma-separated, each `address/netmask` (the
//!   netmask dotted, `127.0.0.1/255.0.0.0`), or `-` when it has none;
//!   `noproto`, `omcasts`, `imcasts`; `lladdr` is the Ethernet address
//!   (`02:00:00:00:00:01`) or `-`.
//! - `pcb`: columns `proto recvq sendq local foreign state drops tcb
//!   rxtshift rexmt persist keep 2msl`, one row
//!   per internet PCB: the TCP ones, then UDP, then raw IP. `proto` is
//!   `tcp`, `udp` or `raw`; `recvq` and `sendq` are the bytes in the
//!   socket's receive and send buffers (`sb_cc`); `local` and `foreign`
//!   are `address:port` (`0.0.0.0:0` is the wildcard; a raw PCB's ports
//!   are 0); `state` is the TCP state's name (`tcpstates[]`, e.g.
//!   `ESTABLISHED`) for TCP and `-` for the others (and for TCP until its
//!   control block exists); `drops` counts datagrams the socket's receive
//!   buffer had no room for (`sb_drops`). The rest are the TCP control
//!   block's, `-` for the others: `tcb` its number (the `tcb` of
//!   `tcp_debug`, which `trpt -p` takes), `rxtshift` its retransmissions
//!   in a row (`t_rxtshift`), and its four timers (`t_timer[TCPT_REXMT]`
//!   ... `t_timer[TCPT_2MSL]`) in slow ticks (500 ms) left, 0 when off.
//! - `route`: columns `destination netmask gateway flags use interface`,
//!   one row per route in the radix tree's order (`net/route.rs`). The
//!   gateway is an address, a link address (`02:00:00:00:00:01`, an ARP
//!   entry) or `link#N` (a route to interface index N, or an ARP entry
//!   still unanswered). `flags` is `rt_flags` in hex (`RTF_*`: `0x1` up, `0x2`
//!   gateway, `0x4` host...); `use` is `rt_use`; `interface` is the name
//!   of the interface the route sends on (`-` if it is gone).
//! - `sl`: columns `name fastq fastq_drops fastsent sls_packets
//!   sls_compressed sls_searches sls_misses sls_uncompressedin
//!   sls_compressedin sls_errorin sls_tossed`, one row per SLIP line
//!   (`net/if_sl.rs`): datagrams on its interactive queue now, dropped
//!   there, and sent from it; then its header compression's counters
//!   (`struct slcompress`, `net/slcompress.rs`).
//! - `tcp_debug`: the `SO_DEBUG` trace ring (`netinet/tcp_debug.rs`, the
//!   book's `tcp_debug[]`), which `tools/trpt.c` prints: one row per
//!   entry, oldest first, at most `TCP_NDEBUG` (100). Columns:
//!   `time` (milliseconds since the stack started, in steps of its 100 ms
//!   clock), `act` (`tanames[]`: `input`, `output`, `user`, `respond`,
//!   `drop`), `ostate` (the state before the event, by name), `tcb` (the
//!   control block's number, as in `pcb`), `src sport dst dport` (the
//!   segment's addresses and ports), `seq ack len flags win urp` (its
//!   sequence and acknowledgment numbers, data length, `th_flags` in hex
//!   (`0x12` is SYN|ACK), window as sent, urgent pointer), `req` (the
//!   user request's `PRU_*` number, with the timer in bits 8 and up for
//!   `PRU_SLOWTIMO`, as the book; 0 for segments). The segment's ten
//!   fields are `-` when the event has no segment (a user request, a
//!   timer). Then the control block after the event: `state` (by name),
//!   `t_flags` (hex), `rexmt persist keep 2msl` (its timers), `rxtshift`,
//!   `srtt` and `rttvar` (scaled, as kept), and `snd_una snd_nxt snd_max
//!   snd_wnd snd_cwnd snd_ssthresh snd_wl1 snd_wl2 snd_up rcv_nxt
//!   rcv_wnd rcv_adv rcv_up iss irs`.

use core::fmt::{self, Write};

use crate::bsd::kern::uipc_mbuf::{MCLBYTES, MSIZE};
use crate::bsd::net::if_::{IfKind, IfName};
use crate::bsd::net::route::{RtId, Sockaddr};
use crate::bsd::netinet::in_::InAddr;
use crate::bsd::netinet::in_pcb::InpHead;
use crate::bsd::netinet::tcp_debug::{TANAMES, TCP_NDEBUG};
use crate::bsd::netinet::tcp_fsm::tcpstate_name;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::{Result, ENOBUFS};
use crate::platform::Vec;

/// The files, in the order of their numbers (`StatsFile as i32`), which
/// the module uses to tell its `/proc` files apart.
pub const STATS_FILES: [StatsFile; 18] = [
    StatsFile::Ip,
    StatsFile::Icmp,
    StatsFile::Udp,
    StatsFile::Mbuf,
    StatsFile::If,
    StatsFile::Pcb,
    StatsFile::Route,
    StatsFile::Arp,
    StatsFile::Rt,
    StatsFile::Sl,
    StatsFile::Tcp,
    StatsFile::TcpDebug,
    StatsFile::Igmp,
    StatsFile::Mcast,
    StatsFile::EtherMulti,
    StatsFile::Mrt,
    StatsFile::Vif,
    StatsFile::Mfc,
];

/// One file of statistics or of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatsFile {
    Ip = 0,
    Icmp = 1,
    Udp = 2,
    Mbuf = 3,
    If = 4,
    Pcb = 5,
    Route = 6,
    Arp = 7,
    Rt = 8,
    Sl = 9,
    Tcp = 10,
    TcpDebug = 11,
    Igmp = 12,
    Mcast = 13,
    EtherMulti = 14,
    Mrt = 15,
    Vif = 16,
    Mfc = 17,
}

impl StatsFile {
    /// The file's name (`/proc/bsdinet/<name>`).
    pub fn name(self) -> &'static str {
        match self {
            StatsFile::Ip => "ip",
            StatsFile::Icmp => "icmp",
            StatsFile::Udp => "udp",
            StatsFile::Mbuf => "mbuf",
            StatsFile::If => "if",
            StatsFile::Pcb => "pcb",
            StatsFile::Route => "route",
            StatsFile::Arp => "arp",
            StatsFile::Rt => "rtstat",
            StatsFile::Sl => "sl",
            StatsFile::Tcp => "tcp",
            StatsFile::TcpDebug => "tcp_debug",
            StatsFile::Igmp => "igmp",
            StatsFile::Mcast => "mcast",
            StatsFile::EtherMulti => "ether_multi",
            StatsFile::Mrt => "mrt",
            StatsFile::Vif => "vif",
            StatsFile::Mfc => "mfc",
        }
    }

    /// The file numbered `n`, if there is one.
    pub fn from_index(n: i32) -> Option<StatsFile> {
        usize::try_from(n).ok().and_then(|i| STATS_FILES.get(i).copied())
    }

    /// The file called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<StatsFile> {
        STATS_FILES.iter().copied().find(|f| f.name() == name)
    }
}

/// Renders file `which` from the stack's current state.
pub fn render(st: &Stack, which: StatsFile) -> Result<Vec<u8>> {
    let mut out = Out { buf: Vec::new() };
    out.buf.reserve(1024).map_err(|_| ENOBUFS)?;
    let r = match which {
        StatsFile::Ip => ip_text(st, &mut out),
        StatsFile::Icmp => icmp_text(st, &mut out),
        StatsFile::Udp => udp_text(st, &mut out),
        StatsFile::Mbuf => mbuf_text(st, &mut out),
        StatsFile::If => if_text(st, &mut out),
        StatsFile::Pcb => pcb_text(st, &mut out),
        StatsFile::Route => route_text(st, &mut out),
        StatsFile::Arp => arp_text(st, &mut out),
        StatsFile::Rt => rt_text(st, &mut out),
        StatsFile::Sl => sl_text(st, &mut out),
        StatsFile::Tcp => tcp_text(st, &mut out),
        StatsFile::TcpDebug => tcp_debug_text(st, &mut out),
        StatsFile::Igmp => igmp_text(st, &mut out),
        StatsFile::Mcast => mcast_text(st, &mut out),
        StatsFile::EtherMulti => ether_multi_text(st, &mut out),
        StatsFile::Mrt => mrt_text(st, &mut out),
        StatsFile::Vif => vif_text(st, &mut out),
        StatsFile::Mfc => mfc_text(st, &mut out),
    };
    // Formatting only fails when the buffer cannot grow.
    r.map_err(|_| ENOBUFS)?;
    Ok(out.buf)
}

/// A text buffer that grows fallibly: a failed allocation is `fmt::Error`.
struct Out {
    buf: Vec<u8>,
}

impl Write for Out {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.buf.reserve(s.len()).map_err(|_| fmt::Error)?;
        for &b in s.as_bytes() {
            // Room was reserved just above, so this cannot fail.
            self.buf.push(b).map_err(|_| fmt::Error)?;
        }
        Ok(())
    }
}

/// An address in dotted-quad notation.
struct Dotted(InAddr);

impl fmt::Display for Dotted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0 .0.to_be_bytes();
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

/// An interface name, with any byte that is not printable ASCII (or is a
/// space) shown as `?` so that a row keeps its fields.
struct Name<'a>(&'a IfName);

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0.as_bytes();
        if b.is_empty() {
            return f.write_str("?");
        }
        for &c in b {
            f.write_char(if c.is_ascii_graphic() { char::from(c) } else { '?' })?;
        }
        Ok(())
    }
}

/// `name value` lines for fields of one structure, named as the fields.
macro_rules! counters {
    ($w:expr, $s:expr, $($f:ident),* $(,)?) => {
        $( writeln!($w, concat!(stringify!($f), " {}"), $s.$f)?; )*
    };
}

fn ip_text(st: &Stack, w: &mut Out) -> fmt::Result {
    let s = &st.ipstat;
    counters!(
        w,
        s,
        ips_total,
        ips_badsum,
        ips_tooshort,
        ips_toosmall,
        ips_badhlen,
        ips_badlen,
        ips_fragments,
        ips_fragdropped,
        ips_fragtimeout,
        ips_forward,
        ips_cantforward,
        ips_redirectsent,
        ips_noproto,
        ips_delivered,
        ips_localout,
        ips_odropped,
        ips_reassembled,
        ips_fragmented,
        ips_ofragments,
        ips_cantfrag,
        ips_badoptions,
        ips_noroute,
        ips_badvers,
        ips_rawout,
        ips_toolong,
        ips_badfrags,
    );
    writeln!(w, "ipq.nqueues {}", st.ipq.nqueues())?;
    writeln!(w, "ipq.nfrags {}", st.ipq.nfrags())?;
    writeln!(w, "ipintrq.ifq_len {}", st.ipintrq.len())?;
    writeln!(w, "ipintrq.ifq_maxlen {}", st.ipintrq.ifq_maxlen)?;
    writeln!(w, "ipintrq.ifq_drops {}", st.ipintrq.ifq_drops)
}

fn icmp_text(st: &Stack, w: &mut Out) -> fmt::Result {
    let s = &st.icmpstat;
    counters!(w, s, icps_error, icps_oldshort, icps_oldicmp);
    for (t, n) in s.icps_outhist.iter().enumerate() {
        writeln!(w, "icps_outhist.{t} {n}")?;
    }
    counters!(w, s, icps_badcode, icps_tooshort, icps_checksum, icps_badlen, icps_reflect);
    for (t, n) in s.icps_inhist.iter().enumerate() {
        writeln!(w, "icps_inhist.{t} {n}")?;
    }
    Ok(())
}

fn udp_text(st: &Stack, w: &mut Out) -> fmt::Result {
    let s = &st.udpstat;
    counters!(
        w,
        s,
        udps_ipackets,
        udps_hdrops,
        udps_badsum,
        udps_badlen,
        udps_noport,
        udps_noportbcast,
        udps_fullsock,
        udpps_pcbcachemiss,
        udps_opackets,
    );
    Ok(())
}

fn igmp_text(st: &Stack, w: &mut Out) -> fmt::Result {
    let s = &st.igmpstat;
    counters!(
        w,
        s,
        igps_rcv_total,
        igps_rcv_tooshort,
        igps_rcv_badsum,
        igps_rcv_queries,
        igps_rcv_badqueries,
        igps_rcv_reports,
        igps_rcv_badreports,
        igps_rcv_ourreports,
        igps_snd_reports,
        igps_snd_leaves,
        igps_rcv_v2queries,
        igps_rcv_unknown,
    );
    writeln!(w, "igmp_v2 {}", u8::from(st.igmp_v2))
}

/// The name of interface `ifp`, `?` if it is gone.
fn ifname(st: &Stack, ifp: usize) -> Name<'_> {
    static NONE: IfName = IfName([0; crate::bsd::sys::sockio::IFNAMSIZ]);
    Name(st.ifnet.get(ifp).map_or(&NONE, |i| &i.if_name))
}

fn mcast_text(st: &Stack, w: &mut Out) -> fmt::Result {
    writeln!(w, "interface group refcount timer lastreporter")?;
    for (_, m) in st.in_multi.iter() {
        writeln!(
            w,
            "{} {} {} {} {}",
            ifname(st, m.inm_ifp),
            Dotted(m.inm_addr),
            m.inm_refcount,
            m.inm_timer,
            u8::from(m.inm_lastreporter)
        )?;
    }
    Ok(())
}

/// An Ethernet address, colon-separated hex.
struct Mac([u8; 6]);

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", a[0], a[1], a[2], a[3], a[4], a[5])
    }
}

fn ether_multi_text(st: &Stack, w: &mut Out) -> fmt::Result {
    writeln!(w, "interface addrlo addrhi refcount")?;
    for (_, ifp) in st.ifnet.iter() {
        for e in ifp.ac_multiaddrs.iter() {
            writeln!(
                w,
                "{} {} {} {}",
                Name(&ifp.if_name),
                Mac(e.enm_addrlo),
                Mac(e.enm_addrhi),
                e.enm_refcount
            )?;
        }
    }
    Ok(())
}

fn mrt_text(st: &Stack, w: &mut Out) -> fmt::Result {
    let s = &st.mrt.mrtstat;
    counters!(
        w,
        s,
        mrts_mfc_lookups,
        mrts_mfc_misses,
        mrts_upcalls,
        mrts_no_route,
        mrts_bad_tunnel,
        mrts_cant_tunnel,
        mrts_wrong_if,
        mrts_upq_ovflw,
        mrts_cache_cleanups,
        mrts_drop_sel,
        mrts_q_overflow,
        mrts_pkt2large,
        mrts_upq_sockfull,
        mrts_ttl_thresh,
    );
    writeln!(w, "ip_mrouter {}", u8::from(st.ip_mrouter.is_some()))?;
    writeln!(w, "mfc.count {}", st.mrt.mfctable.len())?;
    writeln!(w, "unresolved.count {}", st.mrt.unres.len())
}

fn vif_text(st: &Stack, w: &mut Out) -> fmt::Result {
    writeln!(
        w,
        "vif flags threshold rate_limit local remote interface pkt_in pkt_out bytes_in bytes_out"
    )?;
    for (i, v) in st.mrt.viftable.iter().enumerate() {
        let Some(v) = v else { continue };
        writeln!(
            w,
            "{i} {:#x} {} 0 {} {} {} {} {} {} {}",
            v.v_flags,
            v.v_threshold,
            Dotted(v.v_lcl_addr),
            Dotted(v.v_rmt_addr),
            ifname(st, v.v_ifp),
            v.v_pkt_in,
            v.v_pkt_out,
            v.v_bytes_in,
            v.v_bytes_out
        )?;
    }
    Ok(())
}

fn mfc_text(st: &Stack, w: &mut Out) -> fmt::Result {
    writeln!(w, "origin group parent pkt_cnt byte_cnt wrong_if waiting ttls")?;
    for m in st.mrt.mfctable.iter() {
        write!(
            w,
            "{} {} {} {} {} {} 0 ",
            Dotted(m.mfc_origin),
            Dotted(m.mfc_mcastgrp),
            m.mfc_parent,
            m.mfc_pkt_cnt,
            m.mfc_byte_cnt,
            m.mfc_wrong_if
        )?;
        let mut sep = "";
        for (i, &t) in m.mfc_ttls.iter().enumerate().filter(|(_, &t)| t > 0) {
            write!(w, "{sep}{i}:{t}")?;
            sep = ",";
        }
        writeln!(w, "{}", if sep.is_empty() { "-" } else { "" })?;
    }
    for u in st.mrt.unres.iter() {
        writeln!(w, "{} {} - 0 0 0 {} -", Dotted(u.origin), Dotted(u.group), u.pkts.len())?;
    }
    Ok(())
}

fn arp_text(st: &Stack, w: &mut Out) -> fmt::Result {
    let s = &st.arpstat;
    counters!(
        w, s, txrequests, txreplies, rxrequests, rxreplies, received, dupips, dropped, timeouts,
        holddrops,
    );
    Ok(())
}

fn rt_text(st: &Stack, w: &mut Out) -> fmt::Result {
    let s = &st.rtable.rtstat;
    counters!(w, s, rts_badredirect, rts_dynamic, rts_newgateway, rts_unreach, rts_wildcard);
    writeln!(w, "rtentries {}", st.rtable.rtentries.len())
}

fn mbuf_text(st: &Stack, w: &mut Out) -> fmt::Result {
    let s = &st.mbpool.mbstat;
    counters!(w, s, m_mbufs, m_clusters, m_drops, m_wait, m_drain);
    for (t, n) in s.m_mtypes.iter().enumerate() {
        writeln!(w, "m_mtypes.{t} {n}")?;
    }
    counters!(w, st.mbpool, mpfail, mcfail);
    writeln!(w, "MSIZE {MSIZE}")?;
    writeln!(w, "MCLBYTES {MCLBYTES}")
}

fn if_text(st: &Stack, w: &mut Out) -> fmt::Result {
    writeln!(
        w,
        "name index mtu flags ipackets ierrors opackets oerrors collisions ibytes obytes iqdrops addrs noproto omcasts imcasts lladdr"
    )?;
    for (i, ifp) in st.ifnet.iter() {
        let d = &ifp.if_data;
        write!(
            w,
            "{} {} {} {:#x} {} {} {} {} {} {} {} {} ",
            Name(&ifp.if_name),
            ifp.if_index,
            d.ifi_mtu,
            ifp.if_flags,
            d.ifi_ipackets,
            d.ifi_ierrors,
            d.ifi_opackets,
            d.ifi_oerrors,
            d.ifi_collisions,
            d.ifi_ibytes,
            d.ifi_obytes,
            d.ifi_iqdrops,
        )?;
        let mut sep = "";
        for ia in st.in_ifaddr.iter().filter(|ia| ia.ia_ifp == i) {
            write!(w, "{sep}{}/{}", Dotted(ia.ia_addr), Dotted(InAddr(ia.ia_subnetmask)))?;
            sep = ",";
        }
        write!(w, "{}", if sep.is_empty() { "-" } else { "" })?;
        write!(w, " {} {} {} ", d.ifi_noproto, d.ifi_omcasts, d.ifi_imcasts)?;
        match ifp.if_kind {
            IfKind::Ether => {
                let e = ifp.if_lladdr;
                writeln!(
                    w,
                    "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                    e[0], e[1], e[2], e[3], e[4], e[5]
                )
            }
            _ => writeln!(w, "-"),
        }?;
    }
    Ok(())
}

fn pcb_text(st: &Stack, w: &mut Out) -> fmt::Result {
    writeln!(
        w,
        "proto recvq sendq local foreign state drops tcb rxtshift rexmt persist keep 2msl"
    )?;
    for (head, proto) in [(InpHead::Tcp, "tcp"), (InpHead::Udp, "udp"), (InpHead::Raw, "raw")] {
        for (_, inp) in st.inpcbs.iter().filter(|(_, inp)| inp.inp_head == head) {
            let (rcv, snd, drops) = st
                .sockets
                .get(inp.inp_socket)
                .map_or((0, 0, 0), |so| (so.so_rcv.sb_cc, so.so_snd.sb_cc, so.so_rcv.sb_drops));
            write!(
                w,
                "{proto} {rcv} {snd} {}:{} {}:{} ",
                Dotted(inp.inp_laddr),
                inp.inp_lport,
                Dotted(inp.inp_faddr),
                inp.inp_fport,
            )?;
            // The TCP state from the control block (`inp_ppcb`), as
            // netstat reads `tcpcb.t_state` (figure 24.15's names).
            let tcb = inp.inp_ppcb.and_then(|i| st.tcpcbs.get(i).map(|tp| (i, tp)));
            match tcb {
                Some((i, tp)) if head == InpHead::Tcp => {
                    let [rexmt, persist, keep, msl2] = tp.t_timer;
                    writeln!(
                        w,
                        "{} {drops} {i} {} {rexmt} {persist} {keep} {msl2}",
                        tcpstate_name(tp.t_state),
                        tp.t_rxtshift,
                    )?;
                }
                _ => writeln!(w, "- {drops} - - - - - -")?,
            }
        }
    }
    Ok(())
}

fn tcp_text(st: &Stack, w: &mut Out) -> fmt::Result {
    let s = &st.tcpstat;
    counters!(
        w,
        s,
        tcps_connattempt,
        tcps_accepts,
        tcps_connects,
        tcps_drops,
        tcps_conndrops,
        tcps_closed,
        tcps_segstimed,
        tcps_rttupdated,
        tcps_delack,
        tcps_timeoutdrop,
        tcps_rexmttimeo,
        tcps_persisttimeo,
        tcps_keeptimeo,
        tcps_keepprobe,
        tcps_keepdrops,
        tcps_sndtotal,
        tcps_sndpack,
        tcps_sndbyte,
        tcps_sndrexmitpack,
        tcps_sndrexmitbyte,
        tcps_sndacks,
        tcps_sndprobe,
        tcps_sndurg,
        tcps_sndwinup,
        tcps_sndctrl,
        tcps_rcvtotal,
        tcps_rcvpack,
        tcps_rcvbyte,
        tcps_rcvbadsum,
        tcps_rcvbadoff,
        tcps_rcvshort,
        tcps_rcvduppack,
        tcps_rcvdupbyte,
        tcps_rcvpartduppack,
        tcps_rcvpartdupbyte,
        tcps_rcvoopack,
        tcps_rcvoobyte,
        tcps_rcvpackafterwin,
        tcps_rcvbyteafterwin,
        tcps_rcvafterclose,
        tcps_rcvwinprobe,
        tcps_rcvdupack,
        tcps_rcvacktoomuch,
        tcps_rcvackpack,
        tcps_rcvackbyte,
        tcps_rcvwinupd,
        tcps_pawsdrop,
        tcps_predack,
        tcps_preddat,
        tcps_pcbcachemiss,
        tcps_persistdrop,
        tcps_badsyn,
        tcps_listendrop,
        tcps_sndrexmitfast,
        tcps_challengeack,
        tcps_rcvmemdrop,
        tcps_noport,
        tcps_rcvbadflags,
    );
    writeln!(w, "tcb.count {}", st.tcpcbs.len())?;
    writeln!(w, "tcp_debug.entries {}", st.tcp_debug.entries.len())
}

/// The trace ring oldest first (`tcp_debx` is where the next entry goes,
/// so the oldest once the ring is full), one row per entry.
fn tcp_debug_text(st: &Stack, w: &mut Out) -> fmt::Result {
    writeln!(
        w,
        "time act ostate tcb src sport dst dport seq ack len flags win urp req \
         state t_flags rexmt persist keep 2msl rxtshift srtt rttvar snd_una snd_nxt snd_max \
         snd_wnd snd_cwnd snd_ssthresh snd_wl1 snd_wl2 snd_up rcv_nxt rcv_wnd rcv_adv rcv_up \
         iss irs"
    )?;
    let d = &st.tcp_debug;
    let n = d.entries.len();
    let first = if n < TCP_NDEBUG { 0 } else { d.tcp_debx % n.max(1) };
    for k in 0..n {
        let Some(e) = d.entries.get((first + k) % n) else { continue };
        let act = TANAMES.get(usize::from(e.td_act)).copied().unwrap_or("?");
        write!(
            w,
            "{} {act} {} {} ",
            e.td_time.wrapping_mul(100),
            tcpstate_name(e.td_ostate),
            e.td_tcb
        )?;
        match e.td_ti {
            Some(ti) => write!(
                w,
                "{} {} {} {} ",
                Dotted(ti.ti_src),
                ti.ti_sport,
                Dotted(ti.ti_dst),
                ti.ti_dport
            )?,
            None => w.write_str("- - - - ")?,
        }
        match e.td_th {
            Some((th, len)) => write!(
                w,
                "{} {} {len} {:#04x} {} {} ",
                th.th_seq, th.th_ack, th.th_flags, th.th_win, th.th_urp
            )?,
            None => w.write_str("- - - - - - ")?,
        }
        let c = &e.td_cb;
        let [rexmt, persist, keep, msl2] = c.t_timer;
        write!(
            w,
            "{} {} {:#06x} {rexmt} {persist} {keep} {msl2} {} {} {}",
            e.td_req,
            tcpstate_name(c.t_state),
            c.t_flags,
            c.t_rxtshift,
            c.t_srtt,
            c.t_rttvar,
        )?;
        let seqs = [
            c.snd_una,
            c.snd_nxt,
            c.snd_max,
            c.snd_wnd,
            c.snd_cwnd,
            c.snd_ssthresh,
            c.snd_wl1,
            c.snd_wl2,
            c.snd_up,
            c.rcv_nxt,
            c.rcv_wnd,
            c.rcv_adv,
            c.rcv_up,
            c.iss,
            c.irs,
        ];
        for v in seqs {
            write!(w, " {v}")?;
        }
        writeln!(w)?;
    }
    Ok(())
}

fn route_text(st: &Stack, w: &mut Out) -> fmt::Result {
    writeln!(w, "destination netmask gateway flags use interface")?;
    let mut r = Ok(());
    st.rtable.walk(|id| {
        r = route_line(st, w, id);
        r.is_ok()
    });
    r
}

fn route_line(st: &Stack, w: &mut Out, id: RtId) -> fmt::Result {
    let Some(rt) = st.rtable.rtentries.get(id) else { return Ok(()) };
    write!(w, "{} {} ", Dotted(rt.rt_dst), Dotted(rt.rt_mask))?;
    match rt.rt_gateway {
        Sockaddr::In(a) => write!(w, "{}", Dotted(a))?,
        Sockaddr::Dl(sdl) if sdl.sdl_alen == 0 => write!(w, "link#{}", sdl.sdl_index)?,
        Sockaddr::Dl(sdl) => {
            for (i, b) in sdl.lladdr().iter().enumerate() {
                write!(w, "{}{:02x}", if i > 0 { ":" } else { "" }, b)?;
            }
        }
    }
    write!(w, " {:#x} {} ", rt.rt_flags, rt.rt_use)?;
    match st.ifnet.get(rt.rt_ifp) {
        Some(ifp) => writeln!(w, "{}", Name(&ifp.if_name)),
        None => writeln!(w, "-"),
    }
}

fn sl_text(st: &Stack, w: &mut Out) -> fmt::Result {
    writeln!(
        w,
        "name fastq fastq_drops fastsent sls_packets sls_compressed sls_searches sls_misses \
         sls_uncompressedin sls_compressedin sls_errorin sls_tossed"
    )?;
    for (_, sc) in st.sl_softc.iter() {
        let Some(ifp) = st.ifnet.get(sc.sc_if) else { continue };
        let c = &sc.sc_comp;
        writeln!(
            w,
            "{} {} {} {} {} {} {} {} {} {} {} {}",
            Name(&ifp.if_name),
            sc.sc_fastq.len(),
            sc.sc_fastq.ifq_drops,
            sc.sc_fastsent,
            c.sls_packets,
            c.sls_compressed,
            c.sls_searches,
            c.sls_misses,
            c.sls_uncompressedin,
            c.sls_compressedin,
            c.sls_errorin,
            c.sls_tossed,
        )?;
    }
    Ok(())
}
