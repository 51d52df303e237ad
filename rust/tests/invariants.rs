//! A broken invariant inside the stack (a stale index) is counted, logged
//! and survived: no panic, as one would oops with the stack's lock held.

use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::netinet::in_proto::INETDOMAIN;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use bsdinet::bsd::sys::socket::SOCK_DGRAM;
use bsdinet::platform::take_log;

#[test]
fn stale_indices_are_counted_not_fatal() {
    let mut st = Stack::new();
    st.boot().unwrap();
    take_log();
    assert_eq!(st.invariant_failures, 0);
    // Each accessor hands out a blank spare, however it was left.
    st.so(99_999).so_state = 0x7ff;
    assert_eq!(st.so(99_999).so_state, 0);
    st.pcb(99_999).inp_lport = 7;
    assert_eq!(st.pcb(99_999).inp_lport, 0);
    st.ifp(99_999).if_flags = 1;
    assert_eq!(st.ifp(99_999).if_flags, 0);
    st.rt(99_999).rt_refcnt = 3;
    assert_eq!(st.rt(99_999).rt_refcnt, 0);
    assert_eq!(st.invariant_failures, 8);
    // Logged sparingly: the 1st, 2nd, 4th and 8th.
    let log = take_log();
    assert_eq!(log.len(), 4, "{log:?}");
    assert!(log[0].contains("no such socket"), "{log:?}");
    // The spare socket has no protocol to talk to.
    assert_eq!(usrreq(&mut st, 99_999, Pru::Listen), Err(EOPNOTSUPP));
    // The stack goes on working.
    let u = socreate(&mut st, &INETDOMAIN, SOCK_DGRAM, 0, Cred::default(), 1).unwrap();
    let n = st.invariant_failures;
    soclose(&mut st, u);
    assert_eq!(st.invariant_failures, n);
    assert_eq!(st.sockets.len(), 0);
}

#[test]
fn the_bug_counter() {
    let mut st = Stack::new();
    for _ in 0..5 {
        st.bug("test");
    }
    assert_eq!(st.invariant_failures, 5);
    assert_eq!(take_log().len(), 3);
}
