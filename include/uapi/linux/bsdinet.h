/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * bsdinet: the 4.4BSD-Lite ("Net/3") TCP/IP stack as a Linux module.
 *
 * This is the user-space ABI. A program written for AF_INET runs over
 * bsdinet by creating its sockets with AF_BSDINET instead and putting
 * AF_BSDINET in sin_family: addresses are plain struct sockaddr_in, and
 * protocol numbers are the usual IPPROTO_* values.
 *
 *	#include <netinet/in.h>
 *	#include <linux/bsdinet.h>
 *
 *	int s = socket(AF_BSDINET, SOCK_RAW, IPPROTO_ICMP);
 *	struct sockaddr_in sin = { .sin_family = AF_BSDINET, ... };
 */
#ifndef _UAPI_LINUX_BSDINET_H
#define _UAPI_LINUX_BSDINET_H

/*
 * The address family. Linux 6.12 names every number below AF_MAX (46);
 * 19 was AF_ECONET, whose implementation left Linux in 3.5, so nothing in
 * 6.12 registers it. If something does, insmod fails with EEXIST and says
 * so in the kernel log. (The module parameter "family" exists only so the
 * test suite can exercise that failure; programs use AF_BSDINET.)
 */
#define AF_BSDINET	19
#define PF_BSDINET	AF_BSDINET

/*
 * The internet domain's protocol switch (the book's inetsw[], in_proto.c).
 * socket(AF_BSDINET, type, protocol) looks it up as 4.4BSD's socreate()
 * does: pffindproto() when protocol != 0, else pffindtype(). The raw
 * wildcard entry (protocol 0) catches every other SOCK_RAW protocol.
 *
 *	type		protocol	user requests
 *	SOCK_DGRAM	IPPROTO_UDP	udp_usrreq
 *	SOCK_STREAM	IPPROTO_TCP	tcp_usrreq
 *	SOCK_RAW	IPPROTO_RAW	rip_usrreq
 *	SOCK_RAW	IPPROTO_ICMP	rip_usrreq
 *	SOCK_RAW	IPPROTO_IGMP	rip_usrreq
 *	SOCK_RAW	0 (wildcard)	rip_usrreq
 *
 * Errors of socket(): a type with no entry gives ESOCKTNOSUPPORT; a
 * protocol that the domain has only under another type gives EPROTOTYPE;
 * an unknown protocol, or an entry whose protocol is not built yet, gives
 * EPROTONOSUPPORT; SOCK_RAW without CAP_NET_RAW gives EACCES (the book's
 * rip_usrreq PRU_ATTACH check).
 */

#endif /* _UAPI_LINUX_BSDINET_H */
