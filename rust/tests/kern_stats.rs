//! The text files of `/proc/bsdinet` (`kern/kern_stats.rs`): their format,
//! and that they show what the stack counted.

mod common;
use common::*;

use std::collections::HashMap;

use bsdinet::bsd::kern::kern_stats::*;
use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::kern::uipc_socket2::SB_MAX;
use bsdinet::bsd::net::if_::ifioctl;
use bsdinet::bsd::netinet::in_::*;
use bsdinet::bsd::netinet::in_pcb::{in_pcballoc, InpHead};
use bsdinet::bsd::netinet::in_proto::INETDOMAIN;
use bsdinet::bsd::netinet::ip_icmp::*;
use bsdinet::bsd::netinet::tcp::Tcphdr;
use bsdinet::bsd::netinet::tcp_debug::*;
use bsdinet::bsd::netinet::tcp_fsm::*;
use bsdinet::bsd::netinet::tcp_var::{TcpIpHdr, Tcpcb};
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::socket::*;
use bsdinet::bsd::sys::sockio::*;

fn text(st: &Stack, f: StatsFile) -> String {
    let b = render(st, f).expect("render");
    String::from_utf8(b.to_vec()).expect("ASCII")
}

/// A counter file as a map, after checking its shape: `name value` lines,
/// every name once.
fn counters(st: &Stack, f: StatsFile) -> HashMap<String, u64> {
    let t = text(st, f);
    assert!(t.ends_with('\n'), "{f:?}: ends with a newline");
    let mut m = HashMap::new();
    for line in t.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields.len(), 2, "{f:?}: {line:?} is `name value`");
        let v = fields[1].parse::<u64>().unwrap_or_else(|_| panic!("{f:?}: {line:?}: a number"));
        assert!(m.insert(fields[0].to_string(), v).is_none(), "{f:?}: {} twice", fields[0]);
    }
    m
}

/// A table file as rows of column name -> field, after checking its shape:
/// a header, then rows with as many single-space-separated fields.
fn table(st: &Stack, f: StatsFile) -> Vec<HashMap<String, String>> {
    let t = text(st, f);
    assert!(t.ends_with('\n'), "{f:?}: ends with a newline");
    let mut lines = t.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(' ').collect();
    lines
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            assert_eq!(fields.len(), header.len(), "{f:?}: row {line:?} fits header {header:?}");
            assert!(fields.iter().all(|f| !f.is_empty()), "{f:?}: {line:?}: empty field");
            header.iter().map(|h| h.to_string()).zip(fields.iter().map(|f| f.to_string())).collect()
        })
        .collect()
}

/// The `field: value` pairs of a statistics structure's `Debug` output,
/// arrays as `field.i`: every field it has, whatever is added later.
fn debug_fields(dbg: &str) -> Vec<(String, u64)> {
    let body = &dbg[dbg.find('{').unwrap() + 1..dbg.rfind('}').unwrap()];
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(colon) = rest.find(':') {
        let name = rest[..colon].trim().trim_start_matches(',').trim().to_string();
        rest = rest[colon + 1..].trim_start();
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').unwrap();
            for (i, v) in r[..end].split(',').enumerate() {
                out.push((format!("{name}.{i}"), v.trim().parse().unwrap()));
            }
            rest = &r[end + 1..];
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            out.push((name, rest[..end].trim().parse().unwrap()));
            rest = &rest[end..];
        }
    }
    out
}

fn udp(st: &mut Stack) -> usize {
    socreate(st, &INETDOMAIN, SOCK_DGRAM, 0, Cred::default(), 1).expect("udp socket")
}

#[test]
fn file_names_and_numbers() {
    for (i, f) in STATS_FILES.iter().enumerate() {
        assert_eq!(*f as usize, i);
        assert_eq!(StatsFile::from_index(i as i32), Some(*f));
        assert_eq!(StatsFile::from_name(f.name()), Some(*f));
    }
    let names: Vec<&str> = STATS_FILES.iter().map(|f| f.name()).collect();
    assert_eq!(
        names,
        [
            "ip",
            "icmp",
            "udp",
            "mbuf",
            "if",
            "pcb",
            "route",
            "arp",
            "rtstat",
            "sl",
            "tcp",
            "tcp_debug",
            "igmp",
            "mcast",
            "ether_multi",
            "mrt",
            "vif",
            "mfc"
        ]
    );
    assert_eq!(StatsFile::from_index(-1), None);
    assert_eq!(StatsFile::from_index(STATS_FILES.len() as i32), None);
    assert_eq!(StatsFile::from_index(i32::MAX), None);
    assert_eq!(StatsFile::from_name("tcpstat"), None);
}

#[test]
fn every_field_of_the_book_structures_is_there() {
    let mut st = stack();
    // Distinct values, so that a field shown under another's name shows.
    st.ipstat.ips_total = 1;
    st.ipstat.ips_badfrags = 2;
    st.ipstat.ips_rawout = 3;
    st.icmpstat.icps_outhist[18] = 4;
    st.icmpstat.icps_inhist[0] = 5;
    st.icmpstat.icps_reflect = 6;
    st.udpstat.udpps_pcbcachemiss = 7;
    st.udpstat.udps_opackets = 8;
    st.mbpool.mbstat.m_drain = 9;
    st.mbpool.mbstat.m_mtypes[15] = 10;
    st.tcpstat.tcps_connattempt = 11;
    st.tcpstat.tcps_badsyn = 12;
    st.tcpstat.tcps_noport = 13;
    st.tcpstat.tcps_sndrexmitfast = 14;
    let cases = [
        (StatsFile::Ip, format!("{:?}", st.ipstat)),
        (StatsFile::Icmp, format!("{:?}", st.icmpstat)),
        (StatsFile::Udp, format!("{:?}", st.udpstat)),
        (StatsFile::Mbuf, format!("{:?}", st.mbpool.mbstat)),
        (StatsFile::Tcp, format!("{:?}", st.tcpstat)),
    ];
    for (f, dbg) in cases {
        let c = counters(&st, f);
        let fields = debug_fields(&dbg);
        assert!(fields.len() >= 9, "{f:?}: parsed {dbg}");
        for (name, v) in fields {
            assert_eq!(c.get(&name), Some(&v), "{f:?}: {name}");
        }
    }
    let tcp = counters(&st, StatsFile::Tcp);
    assert_eq!(tcp.len(), debug_fields(&format!("{:?}", st.tcpstat)).len() + 2, "and the gauges");
    assert_eq!((tcp["tcb.count"], tcp["tcp_debug.entries"]), (0, 0));
    assert!(text(&st, StatsFile::Tcp).starts_with("tcps_connattempt 11\ntcps_accepts 0\n"));
    let icmp = counters(&st, StatsFile::Icmp);
    assert_eq!(icmp.len(), 8 + 2 * (usize::from(ICMP_MAXTYPE) + 1), "every histogram entry");
    let mbuf = counters(&st, StatsFile::Mbuf);
    assert_eq!((mbuf["mpfail"], mbuf["mcfail"], mbuf["MSIZE"]), (0, 0, 128));
    assert!(mbuf.contains_key("MCLBYTES"));
}

#[test]
fn ip_file_has_the_queues() {
    let st = stack();
    let ip = counters(&st, StatsFile::Ip);
    assert_eq!(ip["ipq.nqueues"], 0);
    assert_eq!(ip["ipq.nfrags"], 0);
    assert_eq!(ip["ipintrq.ifq_len"], 0);
    assert_eq!(ip["ipintrq.ifq_maxlen"], 50);
    assert_eq!(ip["ipintrq.ifq_drops"], 0);
    // The first line is the first field of ipstat.
    assert!(text(&st, StatsFile::Ip).starts_with("ips_total 0\n"));
}

#[test]
fn ping_localhost_shows_in_ip_and_icmp() {
    let mut st = stack();
    let so = raw(&mut st, IPPROTO_ICMP);
    for seq in 0..3 {
        let req = icmp_msg(ICMP_ECHO, 0x4242, seq, b"netstat");
        send(&mut st, so, Some(&sin(LOCALHOST, 0)), &req).unwrap();
        recv(&mut st, so, 2048, 0).unwrap();
    }
    let icmp = counters(&st, StatsFile::Icmp);
    assert_eq!(icmp["icps_inhist.8"], 3, "echo requests received");
    assert_eq!(icmp["icps_inhist.0"], 3, "echo replies received");
    assert_eq!(icmp["icps_outhist.0"], 3, "echo replies sent");
    assert_eq!(icmp["icps_outhist.8"], 0, "requests came from a raw socket, not ICMP");
    assert_eq!(icmp["icps_reflect"], 3);
    assert_eq!(icmp["icps_error"], 0);
    let ip = counters(&st, StatsFile::Ip);
    assert_eq!(ip["ips_total"], 6);
    assert_eq!(ip["ips_delivered"], 6);
    assert_eq!(ip["ips_localout"], 6);
    assert_eq!(ip["ips_badsum"], 0);
    // The same on lo0 and in the route's use count.
    let ifs = table(&st, StatsFile::If);
    assert_eq!(ifs[0]["ipackets"], "6");
    assert_eq!(ifs[0]["opackets"], "6");
    assert_ne!(ifs[0]["ibytes"], "0");
    assert_eq!(ifs[0]["ibytes"], ifs[0]["obytes"]);
    soclose(&mut st, so);
}

#[test]
fn udp_sockets_are_in_pcb() {
    let mut st = stack();
    let a = udp(&mut st);
    let b = udp(&mut st);
    sobind(&mut st, b, &sin(LOCALHOST, 7777)).unwrap();
    let r = raw(&mut st, IPPROTO_ICMP);
    let rows = table(&st, StatsFile::Pcb);
    let proto: Vec<&str> = rows.iter().map(|r| r["proto"].as_str()).collect();
    assert_eq!(proto, ["udp", "udp", "raw"], "TCP, then UDP, then raw");
    let row = rows.iter().find(|r| r["local"] == "127.0.0.1:7777").expect("the bound socket");
    assert_eq!(row["foreign"], "0.0.0.0:0");
    assert_eq!((row["recvq"].as_str(), row["sendq"].as_str()), ("0", "0"));
    assert_eq!((row["state"].as_str(), row["drops"].as_str()), ("-", "0"));
    assert!(rows.iter().any(|r| r["proto"] == "udp" && r["local"] == "0.0.0.0:0"));
    assert!(rows.iter().any(|r| r["proto"] == "raw" && r["local"] == "0.0.0.0:0"));

    // A datagram waiting shows in recvq, the sender's implicit bind in
    // its local address, and a connected socket's peer in foreign.
    send(&mut st, a, Some(&sin(LOCALHOST, 7777)), b"twelve bytes").unwrap();
    soconnect(&mut st, r, &sin(LOCALHOST, 0)).unwrap();
    let rows = table(&st, StatsFile::Pcb);
    let row = rows.iter().find(|r| r["local"] == "127.0.0.1:7777").unwrap();
    assert!(row["recvq"].parse::<usize>().unwrap() >= 12, "{row:?}");
    assert!(rows.iter().any(|r| r["proto"] == "udp"
        && r["local"].starts_with("0.0.0.0:")
        && r["local"] != "0.0.0.0:0"));
    assert!(rows.iter().any(|r| r["proto"] == "raw" && r["foreign"] == "127.0.0.1:0"));
    let udp = counters(&st, StatsFile::Udp);
    assert_eq!((udp["udps_ipackets"], udp["udps_opackets"]), (1, 1));
    let mbuf = counters(&st, StatsFile::Mbuf);
    assert!(mbuf["m_mbufs"] > 0, "the datagram is held in mbufs");
    assert_eq!(mbuf["m_mbufs"], (0..16).map(|t| mbuf[&format!("m_mtypes.{t}")]).sum::<u64>());

    for so in [a, b, r] {
        soclose(&mut st, so);
    }
    assert_eq!(table(&st, StatsFile::Pcb).len(), 0);
    assert_eq!(counters(&st, StatsFile::Mbuf)["m_mbufs"], 0);
}

#[test]
fn full_receive_buffer_counts_drops() {
    let mut st = stack();
    let (a, b) = (udp(&mut st), udp(&mut st));
    sobind(&mut st, b, &sin(LOCALHOST, 9999)).unwrap();
    st.so(b).so_rcv.sbreserve(100, SB_MAX).unwrap();
    for _ in 0..3 {
        send(&mut st, a, Some(&sin(LOCALHOST, 9999)), &[7; 80]).unwrap();
    }
    let rows = table(&st, StatsFile::Pcb);
    let row = rows.iter().find(|r| r["local"] == "127.0.0.1:9999").unwrap();
    assert_eq!(row["drops"], "2", "{row:?}");
    assert_eq!(counters(&st, StatsFile::Udp)["udps_fullsock"], 2);
}

#[test]
fn interfaces_with_their_addresses() {
    let mut st = stack();
    let rows = table(&st, StatsFile::If);
    assert_eq!(rows.len(), 1);
    let lo0 = &rows[0];
    assert_eq!(lo0["name"], "lo0");
    assert_eq!(lo0["index"], "1");
    assert_eq!(lo0["mtu"], "1536");
    assert_eq!(lo0["flags"], "0x8009");
    assert_eq!(lo0["addrs"], "127.0.0.1/255.0.0.0");
    for c in ["ipackets", "ierrors", "opackets", "oerrors", "collisions", "iqdrops"] {
        assert_eq!(lo0[c], "0", "{c}");
    }
    let header = text(&st, StatsFile::If).lines().next().unwrap().to_string();
    assert_eq!(
        header,
        "name index mtu flags ipackets ierrors opackets oerrors collisions ibytes obytes iqdrops addrs noproto omcasts imcasts lladdr"
    );

    // An alias comes second.
    let so = raw(&mut st, 0);
    let mut req = [0u8; IFALIASREQ_LEN];
    req[..3].copy_from_slice(b"lo0");
    set_sockaddr_at(&mut req, IFRA_ADDR, &SockaddrIn::new(InAddr(0x7f00_0102), 0)).unwrap();
    set_sockaddr_at(&mut req, IFRA_MASK, &SockaddrIn::new(InAddr(0xffff_ff00), 0)).unwrap();
    ifioctl(&mut st, so, SIOCAIFADDR, &mut req, true).unwrap();
    let rows = table(&st, StatsFile::If);
    assert_eq!(rows[0]["addrs"], "127.0.0.1/255.0.0.0,127.0.1.2/255.255.255.0");
    soclose(&mut st, so);
}

#[test]
fn an_interface_without_addresses() {
    let mut st = Stack::new();
    assert_eq!(text(&st, StatsFile::If).lines().count(), 1, "just the header");
    assert_eq!(text(&st, StatsFile::Route).lines().count(), 1, "just the header");
    bsdinet::bsd::net::if_loop::loattach(&mut st).unwrap();
    let rows = table(&st, StatsFile::If);
    assert_eq!(rows[0]["addrs"], "-");
    assert_eq!(rows[0]["flags"], "0x8008", "down");
}

#[test]
fn routes() {
    let mut st = stack();
    let rows = table(&st, StatsFile::Route);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    assert_eq!(r["destination"], "127.0.0.1");
    assert_eq!(r["netmask"], "255.255.255.255");
    assert_eq!(r["gateway"], "127.0.0.1");
    assert_eq!(r["flags"], "0x5", "RTF_UP|RTF_HOST");
    assert_eq!(r["interface"], "lo0");
    // Traffic uses the route.
    let so = raw(&mut st, IPPROTO_ICMP);
    send(&mut st, so, Some(&sin(LOCALHOST, 0)), &icmp_msg(ICMP_ECHO, 1, 1, b"")).unwrap();
    let used: u64 = table(&st, StatsFile::Route)[0]["use"].parse().unwrap();
    assert!(used >= 1);
    soclose(&mut st, so);
}

#[test]
fn every_file_is_printable_ascii_lines() {
    let mut st = stack();
    let _keep = (udp(&mut st), raw(&mut st, IPPROTO_ICMP));
    for f in STATS_FILES {
        let t = text(&st, f);
        assert!(!t.is_empty());
        for line in t.lines() {
            assert!(!line.is_empty(), "{f:?}: empty line");
            assert!(line.bytes().all(|c| c.is_ascii_graphic() || c == b' '), "{f:?}: {line:?}");
            assert!(!line.contains("  ") && !line.starts_with(' ') && !line.ends_with(' '));
        }
    }
}

/// A TCP PCB with a control block in state `state`, on a socket of its
/// own (made as a UDP socket: the PCB and the block are put together by
/// hand, as `tcp_attach` would, so that the files can be checked without
/// TCP's user requests).
fn tcp_pcb(st: &mut Stack, state: i16) -> (usize, usize, usize) {
    let so = udp(st);
    let inp = in_pcballoc(st, so, InpHead::Tcp).expect("a TCP PCB");
    let mut tcb = Tcpcb::new(inp);
    tcb.t_state = state;
    let tp = st.tcpcbs.insert(tcb).expect("a tcpcb");
    st.inpcbs.get_mut(inp).unwrap().inp_ppcb = Some(tp);
    (so, inp, tp)
}

#[test]
fn tcp_pcbs_show_their_state_and_timers() {
    let mut st = stack();
    let _u = udp(&mut st);
    let (_, inp, tp) = tcp_pcb(&mut st, TCPS_ESTABLISHED);
    {
        let p = st.inpcbs.get_mut(inp).unwrap();
        p.inp_laddr = InAddr(LOCALHOST);
        p.inp_lport = 5001;
        p.inp_faddr = InAddr(LOCALHOST);
        p.inp_fport = 1025;
    }
    let t = st.tcpcbs.get_mut(tp).unwrap();
    t.t_timer = [3, 0, 14400, 0];
    t.t_rxtshift = 2;
    let (_, inp2, _) = tcp_pcb(&mut st, TCPS_TIME_WAIT);
    st.inpcbs.get_mut(inp2).unwrap().inp_ppcb = None;
    let rows = table(&st, StatsFile::Pcb);
    let header = text(&st, StatsFile::Pcb).lines().next().unwrap().to_string();
    assert_eq!(
        header,
        "proto recvq sendq local foreign state drops tcb rxtshift rexmt persist keep 2msl"
    );
    let proto: Vec<&str> = rows.iter().map(|r| r["proto"].as_str()).collect();
    assert_eq!(proto, ["tcp", "tcp", "udp", "udp", "udp"], "TCP first: {rows:?}");
    let r = &rows[0];
    assert_eq!((r["local"].as_str(), r["foreign"].as_str()), ("127.0.0.1:5001", "127.0.0.1:1025"));
    assert_eq!(r["state"], "ESTABLISHED");
    assert_eq!(r["tcb"], tp.to_string());
    let timers: Vec<&str> =
        ["rxtshift", "rexmt", "persist", "keep", "2msl"].iter().map(|c| r[*c].as_str()).collect();
    assert_eq!(timers, ["2", "3", "0", "14400", "0"]);
    // A TCP PCB without its control block yet, and the UDP ones: `-`.
    for r in &rows[1..] {
        assert_eq!((r["state"].as_str(), r["tcb"].as_str(), r["2msl"].as_str()), ("-", "-", "-"));
    }
    assert_eq!(counters(&st, StatsFile::Tcp)["tcb.count"], 2);
    // Every state by its name.
    for s in 0..TCP_NSTATES as i16 {
        st.tcpcbs.get_mut(tp).unwrap().t_state = s;
        assert_eq!(table(&st, StatsFile::Pcb)[0]["state"], TCPSTATES[s as usize]);
    }
    st.tcpcbs.get_mut(tp).unwrap().t_state = 99;
    assert_eq!(table(&st, StatsFile::Pcb)[0]["state"], "?");
}

fn hdr(seq: u32, ack: u32, flags: u8, win: u16) -> Tcphdr {
    Tcphdr {
        th_sport: 1025,
        th_dport: 5001,
        th_seq: seq,
        th_ack: ack,
        th_off: 5,
        th_flags: flags,
        th_win: win,
        th_sum: 0,
        th_urp: 0,
    }
}

#[test]
fn tcp_debug_is_the_trace_ring_oldest_first() {
    let mut st = stack();
    let (so, _, tp) = tcp_pcb(&mut st, TCPS_SYN_SENT);
    assert_eq!(text(&st, StatsFile::TcpDebug).lines().count(), 1, "just the header");
    // Without SO_DEBUG nothing is recorded.
    tcp_trace(&mut st, TA_OUTPUT, TCPS_CLOSED, Some(tp), None, 0);
    assert_eq!(table(&st, StatsFile::TcpDebug).len(), 0);
    st.so(so).so_options |= SO_DEBUG;
    let ti = TcpIpHdr {
        ti_src: InAddr(LOCALHOST),
        ti_dst: InAddr(LOCALHOST),
        ti_sport: 1025,
        ti_dport: 5001,
    };
    st.ticks = 7;
    {
        let t = st.tcpcbs.get_mut(tp).unwrap();
        t.snd_una = 1000;
        t.snd_nxt = 1001;
        t.t_timer[0] = 6;
        t.t_flags = 0x0081;
    }
    tcp_trace(
        &mut st,
        TA_OUTPUT,
        TCPS_CLOSED,
        Some(tp),
        Some((ti, hdr(1000, 0, 0x02, 16384), 0)),
        0,
    );
    st.ticks = 8;
    tcp_trace(&mut st, TA_USER, TCPS_SYN_SENT, Some(tp), None, 19 | 2 << 8);
    let rows = table(&st, StatsFile::TcpDebug);
    assert_eq!(rows.len(), 2);
    let (a, b) = (&rows[0], &rows[1]);
    assert_eq!(a["time"], "700");
    assert_eq!(
        (a["act"].as_str(), a["ostate"].as_str(), a["state"].as_str()),
        ("output", "CLOSED", "SYN_SENT")
    );
    assert_eq!(a["tcb"], tp.to_string());
    assert_eq!((a["src"].as_str(), a["sport"].as_str()), ("127.0.0.1", "1025"));
    assert_eq!((a["dst"].as_str(), a["dport"].as_str()), ("127.0.0.1", "5001"));
    assert_eq!((a["seq"].as_str(), a["ack"].as_str(), a["len"].as_str()), ("1000", "0", "0"));
    assert_eq!((a["flags"].as_str(), a["win"].as_str(), a["req"].as_str()), ("0x02", "16384", "0"));
    assert_eq!((a["t_flags"].as_str(), a["rexmt"].as_str()), ("0x0081", "6"));
    assert_eq!((a["snd_una"].as_str(), a["snd_nxt"].as_str()), ("1000", "1001"));
    assert_eq!((b["act"].as_str(), b["req"].as_str(), b["time"].as_str()), ("user", "531", "800"));
    for c in ["src", "sport", "dst", "dport", "seq", "ack", "len", "flags", "win", "urp"] {
        assert_eq!(b[c], "-", "{c}");
    }
    // Past TCP_NDEBUG entries the oldest go; the rest stay in order.
    for i in 0..TCP_NDEBUG as u32 + 5 {
        st.ticks = 100 + u64::from(i);
        let len = i as usize;
        tcp_trace(
            &mut st,
            TA_INPUT,
            TCPS_SYN_SENT,
            Some(tp),
            Some((ti, hdr(i, 0, 0x10, 1), len)),
            0,
        );
    }
    let rows = table(&st, StatsFile::TcpDebug);
    assert_eq!(rows.len(), TCP_NDEBUG);
    let seqs: Vec<u32> = rows.iter().map(|r| r["seq"].parse().unwrap()).collect();
    assert_eq!(seqs, (5..TCP_NDEBUG as u32 + 5).collect::<Vec<_>>());
    assert_eq!(counters(&st, StatsFile::Tcp)["tcp_debug.entries"], TCP_NDEBUG as u64);
}
