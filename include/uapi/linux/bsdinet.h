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
 * an unknown protocol gives EPROTONOSUPPORT; SOCK_RAW without CAP_NET_RAW gives EACCES (the book's
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
/* Receive a group on an interface (bifr_addr: the group, or INADDR_ANY
 * for all of them), and stop; CAP_NET_ADMIN. */
#define BSDINET_SIOCADDMULTI	_IOW('i', 49, struct bsdinet_ifreq)
#define BSDINET_SIOCDELMULTI	_IOW('i', 50, struct bsdinet_ifreq)

/*
 * Linux network devices as bsdinet interfaces (BSD's SIOCIFCREATE and
 * SIOCIFDESTROY numbers; only bifr_name is read).
 *
 * BSDINET_SIOCIFCREATE attaches the Linux device bifr_name, of the
 * socket's network namespace, as a bsdinet interface of the same name:
 * an Ethernet with ARP (ARPHRD_ETHER: veth, tap, a NIC) with the device's
 * MAC address, or a point-to-point link without a link header
 * (ARPHRD_NONE: tun) whose other end is set as its destination address.
 * The interface starts down, with the device's MTU; it is RUNNING while
 * the device is up and has carrier, and follows the device's MTU, MAC
 * address and name. From then on the device's IPv4 and ARP frames go to
 * bsdinet instead of Linux's stack (packet sockets, tcpdump, still see
 * them); other frames (IPv6, VLAN-tagged ...) still go to Linux.
 *
 * The interface goes away, with its addresses and routes, on
 * BSDINET_SIOCIFDESTROY (bifr_name: the interface), when the device is
 * unregistered or moves to another namespace, and when bsdinet unloads.
 *
 * Both need CAP_NET_ADMIN (EPERM). BSDINET_SIOCIFCREATE: ENODEV no such
 * device; EOPNOTSUPP loopback, or another link type; EEXIST attached
 * already, or an interface has that name; EBUSY the device's receive
 * hook is another's (a bridge or bond port, a macvlan's lower device);
 * EINVAL a name bsdinet cannot take (only printable ASCII).
 * BSDINET_SIOCIFDESTROY: ENXIO no such interface; EOPNOTSUPP an interface
 * without a device (lo0).
 */
#define BSDINET_SIOCIFDESTROY	_IOW('i', 121, struct bsdinet_ifreq)
#define BSDINET_SIOCIFCREATE	_IOW('i', 122, struct bsdinet_ifreq)

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
 * SLIP (book chapter 5): a tty switched to line discipline
 * N_BSDINET_SLIP with TIOCSETD gets a point-to-point interface, sl0,
 * sl1, ..., with SLIP's MTU of 296 (ifconfig ... mtu changes it). The
 * caller needs CAP_NET_ADMIN (EPERM). The interface goes when the tty is
 * closed, hangs up or changes discipline. BSDINET_SLIOCGUNIT on the tty
 * gives the unit (so does SIOCGIFNAME, as Linux's slip, giving the name).
 * The link flags: LINK0 compresses TCP/IP headers (Van Jacobson, RFC
 * 1144), LINK1 drops ICMP, LINK2 (on at first) turns LINK0 on when the
 * other end sends a compressed header. tools/slattach does all this.
 */
#define N_BSDINET_SLIP		29	/* N_DEVELOPMENT: N_SLIP is Linux's slip.ko */
#define BSDINET_SLIOCGUNIT	_IOR('t', 88, int)
#define BSDINET_SC_COMPRESS	BSDINET_IFF_LINK0
#define BSDINET_SC_NOICMP	BSDINET_IFF_LINK1
#define BSDINET_SC_AUTOCOMP	BSDINET_IFF_LINK2

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
 *	BSDINET_IP_RECVDSTADDR, and IP_HDRINCL on raw sockets; the
 *	multicast options of chapter 12 (below), and on a raw IGMP socket
 *	the multicast routing daemon's BSDINET_MRT_* (below).
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
 * Multicast (chapter 12), with Linux's option numbers (<netinet/in.h>),
 * level IPPROTO_IP, on UDP and raw sockets:
 *	IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP  struct ip_mreq { group,
 *		address of the interface (INADDR_ANY: the route's to the
 *		group) }, or struct ip_mreqn whose imr_ifindex, when not 0,
 *		is bsdinet's interface index (/proc/bsdinet/if's "index").
 *		EINVAL: not a class D group, or shorter than ip_mreq;
 *		EADDRNOTAVAIL: no such interface, or it cannot multicast,
 *		or (drop) not a member; EADDRINUSE: a member already;
 *		ETOOMANYREFS: more than 20 groups on one socket.
 *	IP_MULTICAST_IF  struct in_addr (or ip_mreqn): the interface to send
 *		on; INADDR_ANY: routing's choice. EADDRNOTAVAIL as above.
 *	IP_MULTICAST_TTL  unsigned char or int, 0..255 (-1: 1, the default)
 *	IP_MULTICAST_LOOP  unsigned char or int: loop a copy back when this
 *		host is in the group (default 1)
 * getsockopt gives TTL and LOOP as an int, or as one byte when optlen is
 * less than an int; IP_ADD/DROP_MEMBERSHIP cannot be read (EOPNOTSUPP).
 */

/*
 * Multicast routing (chapter 14): the routing daemon's options on a raw
 * IGMP socket (socket(AF_BSDINET, SOCK_RAW, IPPROTO_IGMP)), level
 * IPPROTO_IP, with 4.4BSD's structures; 1000 + the book's numbers, clear
 * of Linux's MRT_* (200...), whose structures differ (the LD_PRELOAD
 * library translates Linux's). They need CAP_NET_ADMIN (EACCES), and all
 * but MRT_INIT must come from the socket that did MRT_INIT (EACCES).
 * Closing that socket is MRT_DONE.
 *	BSDINET_MRT_INIT	int 1: this socket is the daemon's (EADDRINUSE:
 *				there is one; EOPNOTSUPP: not raw IGMP)
 *	BSDINET_MRT_DONE	end: every vif and cache entry goes
 *	BSDINET_MRT_ADD_VIF	struct bsdinet_vifctl (EINVAL: number >= 32;
 *				EADDRINUSE: taken; EADDRNOTAVAIL: not our
 *				address; EOPNOTSUPP: no multicast there)
 *	BSDINET_MRT_DEL_VIF	struct bsdinet_vifctl (its number)
 *	BSDINET_MRT_ADD_MFC	struct bsdinet_mfcctl: add or change an entry
 *	BSDINET_MRT_DEL_MFC	struct bsdinet_mfcctl (ESRCH: no such entry)
 *	BSDINET_MRT_VERSION	getsockopt, int: 0x0305
 *	BSDINET_MRT_ASSERT	int: send IGMPMSG_WRONGVIF upcalls
 * Upcalls are read from the socket (recvfrom, from the datagram's
 * source) as struct bsdinet_igmpmsg, 20 bytes, whose second 8 bits are 0
 * where an IGMP datagram's header has its protocol (2).
 */
#define BSDINET_MRT_INIT	1100
#define BSDINET_MRT_DONE	1101
#define BSDINET_MRT_ADD_VIF	1102
#define BSDINET_MRT_DEL_VIF	1103
#define BSDINET_MRT_ADD_MFC	1104
#define BSDINET_MRT_DEL_MFC	1105
#define BSDINET_MRT_VERSION	1106
#define BSDINET_MRT_ASSERT	1107

#define BSDINET_MAXVIFS		32
#define BSDINET_VIFF_TUNNEL	0x1	/* IP-in-IP to vifc_rmt_addr */

struct bsdinet_vifctl {
	__u16 vifc_vifi;		/* 0..31 */
	__u8 vifc_flags;		/* BSDINET_VIFF_TUNNEL */
	__u8 vifc_threshold;		/* shown in /proc/bsdinet/vif */
	__be32 vifc_lcl_addr;		/* our address: the interface */
	__be32 vifc_rmt_addr;		/* a tunnel's other end */
};

struct bsdinet_mfcctl {
	__be32 mfcc_origin;
	__be32 mfcc_mcastgrp;
	__u16 mfcc_parent;			/* the vif it must come in by */
	__u8 mfcc_ttls[BSDINET_MAXVIFS];	/* per vif: forward when the
						 * TTL is above it; 0 never */
};

#define BSDINET_IGMPMSG_NOCACHE		1	/* no cache entry */
#define BSDINET_IGMPMSG_WRONGVIF	2	/* came in on another vif */

struct bsdinet_igmpmsg {
	__u32 unused1, unused2;
	__u8 im_msgtype;
	__u8 im_mbz;			/* 0 */
	__u8 im_vif;			/* the vif it came in by (32: none) */
	__u8 unused3;
	__be32 im_src, im_dst;
};

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

/*
 * Routing sockets (the book's chapter 20): the routing table read and
 * changed with messages, as 4.4BSD's PF_ROUTE.
 *
 *	int s = socket(AF_BSDROUTE, SOCK_RAW, 0);	(or AF_BSDINET: only
 *							 messages about it)
 *
 * Linux's AF_ROUTE is netlink, so bsdinet registers a family of its own:
 * 23 was AF_IRDA, whose implementation left Linux in 4.17 (insmod fails
 * with EEXIST, and says so in the kernel log, if something holds it).
 * Another protocol is EPROTONOSUPPORT, another type ESOCKTNOSUPPORT.
 *
 * Anyone may open one, read what the stack says (route additions and
 * deletions, misses, redirects, interface and address changes) and ask
 * (RTM_GET); the other requests need CAP_NET_ADMIN when the socket was
 * created: EPERM otherwise.
 *
 * A message is one write() or read(): a header (struct bsdinet_rt_msghdr,
 * or for RTM_IFINFO struct bsdinet_if_msghdr, for RTM_NEWADDR and
 * RTM_DELADDR struct bsdinet_ifa_msghdr), then the socket addresses that
 * its addrs field names (BSDINET_RTA_*), in the order of those bits, each
 * in BSD's layout (sa_len first) and taking BSDINET_RT_ROUNDUP(sa_len)
 * bytes. Every header's msglen is the whole message's length; the version
 * is BSDINET_RTM_VERSION. Integer fields are in the machine's byte order;
 * addresses and ports in sockaddrs are in network byte order.
 *
 * Requests (write): RTM_ADD (RTA_DST and RTA_GATEWAY, RTA_NETMASK for a
 * network route, none, or RTF_HOST, for a host route; RTA_GENMASK for the
 * routes a cloning route makes; the metrics that rtm_inits names, and the
 * locks of those in rmx_locks), RTM_DELETE (RTA_DST, RTA_NETMASK),
 * RTM_GET (RTA_DST: the route used for it, with RTA_IFP and RTA_IFA back
 * when asked by either bit), RTM_CHANGE (the route with exactly RTA_DST
 * and RTA_NETMASK: a new RTA_GATEWAY, interface by RTA_IFP or RTA_IFA,
 * metrics, RTA_GENMASK) and RTM_LOCK (the locks: rmx_locks names those
 * changed, rtm_inits those set). Each request comes back to the sender
 * (unless it set SO_USELOOPBACK to 0) and goes to every other routing
 * socket, with RTF_DONE in rtm_flags, or with rtm_errno set and the same
 * error from write(). rtm_pid is set to the sender's process id; rtm_seq
 * is the sender's, to match answers.
 *
 *	EINVAL		shorter than the header, or rtm_msglen is not the
 *			length written (passed to no one); an address that
 *			runs past the end or is not of the length its family
 *			has (below); no RTA_DST; RTM_ADD without a gateway
 *	EPROTONOSUPPORT	rtm_version is not BSDINET_RTM_VERSION
 *	EOPNOTSUPP	not one of the five requests (passed to no one)
 *	EAFNOSUPPORT	an address of a family that has no place there
 *	EPERM		not RTM_GET, and no CAP_NET_ADMIN
 *	ESRCH		RTM_DELETE, GET, CHANGE or LOCK of a route not there
 *	ETOOMANYREFS	RTM_CHANGE or LOCK: the destination is a route's, but
 *			not with the mask given (the book's errno)
 *	EEXIST		RTM_ADD of a route that is there
 *	ENETUNREACH	RTM_ADD: no interface reaches the gateway
 *	ENOBUFS		no memory
 *	EISCONN		sendto() with an address
 *
 * Addresses in messages: struct bsdinet_rt_sockaddr_in (sin_len 16,
 * family AF_BSDINET) for destinations, gateways, interface addresses,
 * authors and broadcast addresses; masks (RTA_NETMASK, RTA_GENMASK) are
 * written as one too, and read from up to 16 bytes of any family, the
 * bytes of sin_addr past sa_len being 0 (BSD's route(8) cuts them short;
 * sa_len 0 is the mask 0.0.0.0, taking 8 bytes). Link-level addresses
 * are struct bsdinet_sockaddr_dl, family BSDINET_AF_LINK: as a gateway
 * (ARP entries, and an Ethernet's own routes, name the interface by
 * sdl_index with the station's address, or none yet), and as RTA_IFP,
 * which the stack writes with the interface's name and address and reads
 * by sdl_index, or by name when sdl_index is 0. sdl_alen must be 0 or 6.
 *
 * rmx_expire counts seconds from now, both ways (0: never; a route whose
 * time is up shows 1): 4.4BSD's is a time of day, which programs cannot
 * relate to bsdinet's clock.
 *
 * Messages the stack sends by itself: RTM_ADD and RTM_DELETE of
 * interface routes (with RTM_NEWADDR before the first and RTM_DELADDR
 * after the second: an address added or deleted), RTM_DELETE of routes
 * through an interface that goes away, RTM_MISS (a lookup found no route,
 * or could not clone one: rtm_errno), RTM_RESOLVE (a route cloned from an
 * RTF_XRESOLVE route wants its link address from user space), RTM_REDIRECT
 * (an ICMP redirect: destination, gateway, mask, author; rtm_errno when it
 * was refused), and RTM_IFINFO (flags changed: no addresses). A socket
 * whose receive buffer (8192 bytes) is full loses what comes.
 */
#define AF_BSDROUTE		23
#define PF_BSDROUTE		AF_BSDROUTE

#define BSDINET_RTM_VERSION	3

/* Message types (rtm_type). */
#define BSDINET_RTM_ADD		0x1	/* add a route */
#define BSDINET_RTM_DELETE	0x2	/* delete a route */
#define BSDINET_RTM_CHANGE	0x3	/* change gateway, interface, metrics */
#define BSDINET_RTM_GET		0x4	/* report a route */
#define BSDINET_RTM_LOSING	0x5	/* the kernel suspects a partition */
#define BSDINET_RTM_REDIRECT	0x6	/* told to use a different route */
#define BSDINET_RTM_MISS	0x7	/* lookup failed on this address */
#define BSDINET_RTM_LOCK	0x8	/* fix metrics */
#define BSDINET_RTM_RESOLVE	0xb	/* request to resolve dst to lladdr */
#define BSDINET_RTM_NEWADDR	0xc	/* address added to an interface */
#define BSDINET_RTM_DELADDR	0xd	/* address deleted */
#define BSDINET_RTM_IFINFO	0xe	/* interface going up or down */

/* Route flags (rtm_flags; rt_flags in /proc/bsdinet/route). */
#define BSDINET_RTF_UP		0x1	/* usable */
#define BSDINET_RTF_GATEWAY	0x2	/* destination is a gateway */
#define BSDINET_RTF_HOST	0x4	/* host entry (net otherwise) */
#define BSDINET_RTF_REJECT	0x8	/* host or net unreachable */
#define BSDINET_RTF_DYNAMIC	0x10	/* created by redirect */
#define BSDINET_RTF_MODIFIED	0x20	/* modified by redirect */
#define BSDINET_RTF_DONE	0x40	/* message confirmed */
#define BSDINET_RTF_MASK	0x80	/* subnet mask present */
#define BSDINET_RTF_CLONING	0x100	/* generate new routes on use */
#define BSDINET_RTF_XRESOLVE	0x200	/* external daemon resolves name */
#define BSDINET_RTF_LLINFO	0x400	/* link-level information (ARP) */
#define BSDINET_RTF_STATIC	0x800	/* added by hand */
#define BSDINET_RTF_BLACKHOLE	0x1000	/* discard packets silently */
#define BSDINET_RTF_PROTO2	0x4000	/* protocol-specific: for ARP, */
#define BSDINET_RTF_ANNOUNCE	BSDINET_RTF_PROTO2 /* a published entry */
#define BSDINET_RTF_PROTO1	0x8000	/* protocol-specific */

/* Metrics (rtm_inits: those set; rmx_locks: those locked). */
#define BSDINET_RTV_MTU		0x1
#define BSDINET_RTV_HOPCOUNT	0x2
#define BSDINET_RTV_EXPIRE	0x4
#define BSDINET_RTV_RPIPE	0x8
#define BSDINET_RTV_SPIPE	0x10
#define BSDINET_RTV_SSTHRESH	0x20
#define BSDINET_RTV_RTT		0x40
#define BSDINET_RTV_RTTVAR	0x80

/* The addresses a message carries (addrs), in this order. */
#define BSDINET_RTA_DST		0x1	/* destination */
#define BSDINET_RTA_GATEWAY	0x2	/* gateway */
#define BSDINET_RTA_NETMASK	0x4	/* network mask */
#define BSDINET_RTA_GENMASK	0x8	/* mask of the routes cloned */
#define BSDINET_RTA_IFP		0x10	/* interface: its link address */
#define BSDINET_RTA_IFA		0x20	/* interface address */
#define BSDINET_RTA_AUTHOR	0x40	/* the redirect's sender */
#define BSDINET_RTA_BRD		0x80	/* broadcast or p2p destination */
#define BSDINET_RTAX_MAX	8

/* Bytes a sockaddr of sa_len takes in a message (ROUNDUP, 8-byte longs). */
#define BSDINET_RT_ROUNDUP(a)	((a) > 0 ? (1 + (((a) - 1) | 7)) : 8)

/* The family of link-level addresses in messages (BSD's AF_LINK). */
#define BSDINET_AF_LINK		18

/* Interface types (sdl_type, ifi_type; BSD's net/if_types.h). */
#define BSDINET_IFT_OTHER	0x1	/* tun */
#define BSDINET_IFT_ETHER	0x6
#define BSDINET_IFT_LOOP	0x18
#define BSDINET_IFT_SLIP	0x1c

/* A socket address in a message: BSD's struct sockaddr. */
struct bsdinet_rt_sockaddr {
	__u8	sa_len;		/* total length */
	__u8	sa_family;
	char	sa_data[14];
};

/* An internet address in a message: BSD's struct sockaddr_in. */
struct bsdinet_rt_sockaddr_in {
	__u8	sin_len;	/* 16 */
	__u8	sin_family;	/* AF_BSDINET */
	__be16	sin_port;	/* 0 */
	__be32	sin_addr;
	__u8	sin_zero[8];
};

/* A link-level address: BSD's struct sockaddr_dl. */
struct bsdinet_sockaddr_dl {
	__u8	sdl_len;	/* total length: 20, or more for a long name */
	__u8	sdl_family;	/* BSDINET_AF_LINK */
	__u16	sdl_index;	/* the interface's index, 0 for none */
	__u8	sdl_type;	/* BSDINET_IFT_* */
	__u8	sdl_nlen;	/* bytes of name at the start of sdl_data */
	__u8	sdl_alen;	/* bytes of link address after the name: 0, 6 */
	__u8	sdl_slen;	/* link-layer selector: 0 */
	char	sdl_data[12];	/* name, then address; may be longer */
};

/* A route's metrics (struct rt_metrics: u_long, 8 bytes on x86_64, with
 * 4.4BSD-Lite2's rmx_pksent). */
struct bsdinet_rt_metrics {
	__u64	rmx_locks;	/* BSDINET_RTV_* the stack must leave alone */
	__u64	rmx_mtu;	/* path MTU, 0 for the interface's */
	__u64	rmx_hopcount;
	__u64	rmx_expire;	/* seconds from now until it goes; 0 never */
	__u64	rmx_recvpipe;
	__u64	rmx_sendpipe;
	__u64	rmx_ssthresh;
	__u64	rmx_rtt;
	__u64	rmx_rttvar;
	__u64	rmx_pksent;
};

/* The header of route messages (struct rt_msghdr): 120 bytes. */
struct bsdinet_rt_msghdr {
	__u16	rtm_msglen;	/* the whole message's length */
	__u8	rtm_version;	/* BSDINET_RTM_VERSION */
	__u8	rtm_type;	/* BSDINET_RTM_* */
	__u16	rtm_index;	/* the interface's index */
	__u16	rtm_pad;
	__s32	rtm_flags;	/* BSDINET_RTF_* */
	__s32	rtm_addrs;	/* BSDINET_RTA_* present */
	__s32	rtm_pid;	/* the sender's process, 0 for the stack */
	__s32	rtm_seq;	/* the sender's number */
	__s32	rtm_errno;	/* why a request failed */
	__s32	rtm_use;	/* times the route was used (dumps, RTM_GET) */
	__u64	rtm_inits;	/* BSDINET_RTV_* being set */
	struct bsdinet_rt_metrics rtm_rmx;
};

/* An interface's data (struct if_data), in RTM_IFINFO messages. */
struct bsdinet_if_data {
	__u8	ifi_type;	/* BSDINET_IFT_* */
	__u8	ifi_addrlen;	/* link address length */
	__u8	ifi_hdrlen;	/* link header length */
	__u8	ifi_pad[5];
	__u64	ifi_mtu;
	__u64	ifi_metric;
	__u64	ifi_baudrate;	/* 0: not known */
	__u64	ifi_ipackets;
	__u64	ifi_ierrors;
	__u64	ifi_opackets;
	__u64	ifi_oerrors;
	__u64	ifi_collisions;
	__u64	ifi_ibytes;
	__u64	ifi_obytes;
	__u64	ifi_imcasts;
	__u64	ifi_omcasts;
	__u64	ifi_iqdrops;
	__u64	ifi_noproto;
	__s64	ifi_lastchange_sec;	/* struct timeval; not kept: 0 */
	__s64	ifi_lastchange_usec;
};

/* The header of RTM_IFINFO (struct if_msghdr): 152 bytes. */
struct bsdinet_if_msghdr {
	__u16	ifm_msglen;
	__u8	ifm_version;
	__u8	ifm_type;	/* BSDINET_RTM_IFINFO */
	__s32	ifm_addrs;	/* BSDINET_RTA_IFP in dumps, none otherwise */
	__s32	ifm_flags;	/* the interface's flags (BSDINET_IFF_*) */
	__u16	ifm_index;
	__u16	ifm_pad;
	struct bsdinet_if_data ifm_data;
};

/* The header of RTM_NEWADDR and RTM_DELADDR (struct ifa_msghdr, padded
 * from BSD's 20 bytes to 24 so that what follows stays aligned). The
 * addresses: RTA_IFA (the address), RTA_NETMASK, RTA_BRD (broadcast or
 * point-to-point destination, when there is one) and, but in dumps,
 * RTA_IFP. */
struct bsdinet_ifa_msghdr {
	__u16	ifam_msglen;
	__u8	ifam_version;
	__u8	ifam_type;	/* BSDINET_RTM_NEWADDR or _DELADDR */
	__s32	ifam_addrs;
	__s32	ifam_flags;	/* 1: the address has its route (IFA_ROUTE) */
	__u16	ifam_index;	/* the interface's index */
	__u16	ifam_pad;
	__s32	ifam_metric;
	__u32	ifam_pad2;
};

/*
 * SO_USELOOPBACK (int, SOL_SOCKET; on by default): a routing socket hears
 * the answers to its own requests. Linux has no such option: the number
 * is 1000 + 4.4BSD's (0x40). Linux's socket core answers getsockopt() at
 * SOL_SOCKET itself, so it can be set but not read back.
 */
#define BSDINET_SO_USELOOPBACK	1064

/*
 * The table dumps of 4.4BSD's sysctl(CTL_NET, PF_ROUTE, 0, af, op, arg),
 * read with getsockopt() on a routing socket at level BSDINET_SOL_ROUTE,
 * the optname being op:
 *
 *	BSDINET_NET_RT_DUMP	every route, as RTM_GET messages, in the
 *				table's order (rtm_pid, rtm_seq, rtm_errno 0)
 *	BSDINET_NET_RT_FLAGS	the routes with one of the flags in arg
 *	BSDINET_NET_RT_IFLIST	each interface (arg: the one of that index,
 *				or 0 for all) as RTM_IFINFO with RTA_IFP, then
 *				each of its addresses as RTM_NEWADDR
 *
 * The messages follow each other in optval, each msglen long. arg, for
 * the last two, is an int in the first 4 bytes of optval on the way in
 * (optlen must be 4 or more: EINVAL). When optlen is smaller than the
 * dump, nothing is copied, optlen is set to the size needed, and the
 * call fails with ENOMEM: ask again with that much, or more, as the
 * table may grow meanwhile (sysctl answers the same with its oldlenp). An
 * empty dump sets optlen to 0. Another op is EINVAL; on another kind of
 * socket the level is ENOPROTOOPT.
 */
#define BSDINET_SOL_ROUTE	AF_BSDROUTE
#define BSDINET_NET_RT_DUMP	1
#define BSDINET_NET_RT_FLAGS	2
#define BSDINET_NET_RT_IFLIST	3

/*
 * BPF, the BSD packet filter (the book's chapter 31): /dev/bsdbpf is a
 * cloning device, each open a descriptor (bpf_d) in the stack of the
 * opener's network namespace. Opening needs CAP_NET_RAW (EPERM). The
 * names carry a BSDINET_ prefix where libpcap's <pcap/bpf.h> defines the
 * BSD ones; the layouts are BSD's, and a struct bsdinet_bpf_insn is
 * libpcap's struct bpf_insn, so a program from pcap_compile() can be
 * installed as it is.
 *
 *	BSDINET_BIOCSETIF	attach to an interface by name (any bsdinet
 *				interface: lo0, slN, hooked Ethernet and tun);
 *				ENXIO for none. Allocates the buffers and
 *				empties them.
 *	BSDINET_BIOCGETIF	the interface's name
 *	BSDINET_BIOCGDLT	its data-link type: BSDINET_DLT_NULL (lo0, tun:
 *				a 4-byte address family in host order, 2 for
 *				AF_INET), BSDINET_DLT_EN10MB, BSDINET_DLT_SLIP
 *				(16 bytes: direction, then the first 15 bytes of
 *				the frame as on the line: a compressed TCP/IP
 *				header); EINVAL before BIOCSETIF
 *	BSDINET_BIOCSETF	install a filter (bf_len 0: none, every packet
 *				whole); bpf_validate() refuses bad programs
 *				with EINVAL (at most BSDINET_BPF_MAXINSNS)
 *	BSDINET_BIOCGBLEN/SBLEN	the buffer size: set before BIOCSETIF only
 *				(else EINVAL), clamped to [32, 512 KiB], the
 *				size given back; 4096 by default
 *	BSDINET_BIOCFLUSH	empty the buffers, zero the counts
 *	BSDINET_BIOCPROMISC	promiscuous mode on the interface's Linux
 *				device (Ethernet, tun), undone at close
 *	BSDINET_BIOCGSTATS	packets seen (bs_recv) and dropped because
 *				both buffers were full (bs_drop)
 *	BSDINET_BIOCIMMEDIATE	non-zero: a read returns as soon as a packet
 *				is caught, not when a buffer fills
 *	BSDINET_BIOCSRTIMEOUT/GRTIMEOUT the read timeout (0: none); when it
 *				passes, read returns what was caught, maybe 0
 *				bytes
 *	BSDINET_BIOCVERSION	BSDINET_BPF_MAJOR_VERSION.MINOR
 *	FIONREAD		bytes waiting; FIONBIO non-blocking reads
 *				(EAGAIN)
 *
 * Another ioctl is EINVAL. read() must ask for exactly the buffer size
 * (EINVAL) and returns a whole buffer: records, each a struct
 * bsdinet_bpf_hdr, bh_hdrlen bytes from the record's start to the packet
 * (padded so that the network header is aligned), bh_caplen bytes of the
 * packet (bh_datalen on the wire), the next record at
 * BSDINET_BPF_WORDALIGN(bh_hdrlen + bh_caplen). poll() says readable
 * when a buffer is full or, in immediate mode, a packet is there, or
 * (with a read timeout) once the timeout has passed since poll first
 * found nothing and something was caught meanwhile. When
 * the interface goes away the capture ends: the reader gets what was
 * left, then ENXIO. write() sends one frame out of the interface: a
 * whole Ethernet frame; on DLT_NULL interfaces the 4-byte family
 * (AF_INET, 2) then an IP datagram; on SLIP a bare IP datagram.
 */
#define BSDINET_BPF_DEVICE	"/dev/bsdbpf"

struct bsdinet_bpf_insn {
	__u16 code;
	__u8 jt;
	__u8 jf;
	__u32 k;
};

struct bsdinet_bpf_program {
	__u32 bf_len;
	struct bsdinet_bpf_insn *bf_insns;
};

struct bsdinet_bpf_stat {
	__u32 bs_recv;
	__u32 bs_drop;
};

struct bsdinet_bpf_version {
	__u16 bv_major;
	__u16 bv_minor;
};

struct bsdinet_bpf_timeval {
	__s64 tv_sec;
	__s64 tv_usec;
};

/* The record header: 18 bytes and padding; time stamps are 32-bit. */
struct bsdinet_bpf_hdr {
	__u32 bh_sec;
	__u32 bh_usec;
	__u32 bh_caplen;
	__u32 bh_datalen;
	__u16 bh_hdrlen;
};

#define BSDINET_BPF_ALIGNMENT	4
#define BSDINET_BPF_WORDALIGN(x) (((x) + (BSDINET_BPF_ALIGNMENT - 1)) & ~(BSDINET_BPF_ALIGNMENT - 1))
#define BSDINET_BPF_MAXINSNS	512
#define BSDINET_BPF_MAJOR_VERSION 1
#define BSDINET_BPF_MINOR_VERSION 1

#define BSDINET_DLT_NULL	0
#define BSDINET_DLT_EN10MB	1
#define BSDINET_DLT_SLIP	8
#define BSDINET_SLIPDIR_IN	0
#define BSDINET_SLIPDIR_OUT	1

#define BSDINET_BIOCGBLEN	_IOR('B', 102, __u32)
#define BSDINET_BIOCSBLEN	_IOWR('B', 102, __u32)
#define BSDINET_BIOCSETF	_IOW('B', 103, struct bsdinet_bpf_program)
#define BSDINET_BIOCFLUSH	_IO('B', 104)
#define BSDINET_BIOCPROMISC	_IO('B', 105)
#define BSDINET_BIOCGDLT	_IOR('B', 106, __u32)
#define BSDINET_BIOCGETIF	_IOR('B', 107, struct bsdinet_ifreq)
#define BSDINET_BIOCSETIF	_IOW('B', 108, struct bsdinet_ifreq)
#define BSDINET_BIOCSRTIMEOUT	_IOW('B', 109, struct bsdinet_bpf_timeval)
#define BSDINET_BIOCGRTIMEOUT	_IOR('B', 110, struct bsdinet_bpf_timeval)
#define BSDINET_BIOCGSTATS	_IOR('B', 111, struct bsdinet_bpf_stat)
#define BSDINET_BIOCIMMEDIATE	_IOW('B', 112, __u32)
#define BSDINET_BIOCVERSION	_IOR('B', 113, struct bsdinet_bpf_version)

#endif /* _UAPI_LINUX_BSDINET_H */
