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

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * Interface and address ioctls on any AF_BSDINET socket (the book's
 * chapters 4 and 6; 4.4BSD's numbers in Linux's encoding). Linux answers
 * its own SIOCGIFCONF (0x8912) and friends in its socket core for Linux's
 * interfaces; these reach bsdinet and its interfaces (lo0, ...). Setting
 * needs CAP_NET_ADMIN (EPERM otherwise); an unknown interface is ENXIO;
 * an address the interface does not have is EADDRNOTAVAIL.
 */
#define BSDINET_IFNAMSIZ	16

/* struct sockaddr's layout; the addresses are struct sockaddr_in with
 * sin_family = AF_BSDINET (AF_UNSPEC, 0, means "not given"). */
struct bsdinet_sockaddr {
	__u16	sa_family;
	char	sa_data[14];
};

/*
 * Linux's struct ifreq layout: 40 bytes. The members carry a "b" in front
 * of BSD's names because glibc's <net/if.h> defines ifr_name, ifr_addr ...
 * as macros.
 */
struct bsdinet_ifreq {
	char	bifr_name[BSDINET_IFNAMSIZ];	/* "lo0", NUL-terminated */
	union {
		struct bsdinet_sockaddr	bifr_addr;
		struct bsdinet_sockaddr	bifr_dstaddr;
		struct bsdinet_sockaddr	bifr_broadaddr;
		short			bifr_flags;
		int			bifr_metric;
		int			bifr_mtu;
		char			bifr_pad[24];
	};
};

/* SIOCAIFADDR: add or change an address, its netmask and its broadcast
 * (or, point to point, destination) address. */
struct bsdinet_ifaliasreq {
	char	bifra_name[BSDINET_IFNAMSIZ];
	struct bsdinet_sockaddr	bifra_addr;
	struct bsdinet_sockaddr	bifra_broadaddr;	/* or the destination */
	struct bsdinet_sockaddr	bifra_mask;
};

/* SIOCGIFCONF: one ifreq per address (AF_UNSPEC for an interface with
 * none), as many as fit in ifc_len bytes; ifc_len is set to the bytes
 * used. */
struct bsdinet_ifconf {
	int	bifc_len;
	union {
		char			*bifc_buf;
		struct bsdinet_ifreq	*bifc_req;
	};
};

#define BSDINET_SIOCSIFADDR	_IOW('i', 12, struct bsdinet_ifreq)
#define BSDINET_SIOCSIFDSTADDR	_IOW('i', 14, struct bsdinet_ifreq)
#define BSDINET_SIOCSIFFLAGS	_IOW('i', 16, struct bsdinet_ifreq)
#define BSDINET_SIOCGIFFLAGS	_IOWR('i', 17, struct bsdinet_ifreq)
#define BSDINET_SIOCSIFBRDADDR	_IOW('i', 19, struct bsdinet_ifreq)
#define BSDINET_SIOCSIFNETMASK	_IOW('i', 22, struct bsdinet_ifreq)
#define BSDINET_SIOCGIFMETRIC	_IOWR('i', 23, struct bsdinet_ifreq)
#define BSDINET_SIOCSIFMETRIC	_IOW('i', 24, struct bsdinet_ifreq)
#define BSDINET_SIOCDIFADDR	_IOW('i', 25, struct bsdinet_ifreq)
#define BSDINET_SIOCAIFADDR	_IOW('i', 26, struct bsdinet_ifaliasreq)
#define BSDINET_SIOCGIFADDR	_IOWR('i', 33, struct bsdinet_ifreq)
#define BSDINET_SIOCGIFDSTADDR	_IOWR('i', 34, struct bsdinet_ifreq)
#define BSDINET_SIOCGIFBRDADDR	_IOWR('i', 35, struct bsdinet_ifreq)
#define BSDINET_SIOCGIFCONF	_IOWR('i', 36, struct bsdinet_ifconf)
#define BSDINET_SIOCGIFNETMASK	_IOWR('i', 37, struct bsdinet_ifreq)
#define BSDINET_SIOCGIFMTU	_IOWR('i', 51, struct bsdinet_ifreq)
#define BSDINET_SIOCSIFMTU	_IOW('i', 52, struct bsdinet_ifreq)

/* Interface flags (4.4BSD's values; IFF_LOOPBACK etc. in Linux's
 * net/if.h mostly agree, but not all do). */
#define BSDINET_IFF_UP		0x1
#define BSDINET_IFF_BROADCAST	0x2
#define BSDINET_IFF_DEBUG	0x4
#define BSDINET_IFF_LOOPBACK	0x8
#define BSDINET_IFF_POINTOPOINT	0x10
#define BSDINET_IFF_NOTRAILERS	0x20
#define BSDINET_IFF_RUNNING	0x40
#define BSDINET_IFF_NOARP	0x80
#define BSDINET_IFF_PROMISC	0x100
#define BSDINET_IFF_ALLMULTI	0x200
#define BSDINET_IFF_OACTIVE	0x400
#define BSDINET_IFF_SIMPLEX	0x800
#define BSDINET_IFF_LINK0	0x1000
#define BSDINET_IFF_LINK1	0x2000
#define BSDINET_IFF_LINK2	0x4000
#define BSDINET_IFF_MULTICAST	0x8000

/*
 * Socket options (the book's chapter 17 and ip_ctloutput). Programs use
 * Linux's numbers from <sys/socket.h> and <netinet/in.h>; bsdinet gives
 * them 4.4BSD's meaning:
 *
 *	SOL_SOCKET: SO_DEBUG, SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE,
 *	SO_DONTROUTE, SO_BROADCAST, SO_OOBINLINE (int), SO_LINGER (struct
 *	linger, l_linger 0..32767), SO_SNDBUF and SO_RCVBUF (1..240941
 *	bytes, ENOBUFS above; getsockopt gives the size set, not doubled),
 *	SO_SNDLOWAT and SO_RCVLOWAT (1 up to the buffer size), SO_RCVTIMEO
 *	and SO_SNDTIMEO (Linux's own). Others are ENOPROTOOPT.
 *	getsockopt(SO_SNDLOWAT) reads 1, as Linux's socket core answers.
 *
 *	IPPROTO_IP: IP_OPTIONS (at most 40 bytes; read back as set),
 *	IP_TOS (0..255), IP_TTL (1..255, or -1 for the default),
 *	IP_RECVOPTS, IP_RETOPTS (4.4BSD's IP_RECVRETOPTS),
 *	BSDINET_IP_RECVDSTADDR, and IP_HDRINCL on raw sockets. Multicast
 *	options are ENOPROTOOPT until multicast is built.
 *
 * An int option needs 4 bytes or more (EINVAL otherwise); getsockopt cuts
 * a value short to the caller's optlen.
 */

/*
 * IP_RECVDSTADDR (int, IPPROTO_IP): receive the datagram's destination
 * address with it. Linux has no such option; its number here is 1000 +
 * 4.4BSD's (7), clear of Linux's IPPROTO_IP numbers (IP_* up to 52,
 * netfilter's 64..131, MRT_* 200..213, IP_VS from 1152).
 */
#define BSDINET_IP_RECVDSTADDR	1007

/*
 * Control messages. recvmsg() on a UDP or raw socket delivers, at level
 * IPPROTO_IP, with Linux's cmsg layout (CMSG_FIRSTHDR and friends):
 *	BSDINET_IP_RECVDSTADDR	struct in_addr, the datagram's destination
 *	IP_RECVOPTS		the datagram's IP options as they arrived
 *	IP_RETOPTS		(for IP_RETOPTS set) the reversed source
 *				route, in the form IP_OPTIONS takes
 * MSG_CTRUNC says the control buffer was too short. sendmsg() checks the
 * control it is given: a malformed message (cmsg_len shorter than a
 * cmsghdr or past msg_controllen, a piece left too short for another) or
 * one longer than 96 bytes of data is EINVAL, and so is any message of
 * level SOL_SOCKET or IPPROTO_IP, none of which bsdinet acts on; messages
 * of other levels are ignored.
 */

#endif /* _UAPI_LINUX_BSDINET_H */
