// SPDX-License-Identifier: GPL-2.0
/*
 * arp for bsdinet, in the manner and the words of 4.4BSD's arp(8): ARP
 * entries are host routes with RTF_LLINFO (the book's chapter 21), read
 * and changed through a routing socket (AF_BSDROUTE; <linux/bsdinet.h>).
 *
 *	arp [-n] host                 show the entry of host
 *	arp [-n] -a                   show every entry
 *	arp -d host                   delete the entry of host
 *	arp -s host ether [temp] [pub]
 *	                              add an entry: ether is the station's
 *	                              address (xx:xx:xx:xx:xx:xx); temp makes
 *	                              it go after 20 minutes, as a learned one
 *	                              does; pub answers ARP requests for host
 *	                              with it (a published entry)
 *
 * host is a dotted quad (addresses are always numeric; -n is accepted).
 * As BSD's arp does, -s finds the interface by asking for the route to
 * host (RTM_GET): the Ethernet whose network holds it; an entry already
 * there for host is replaced. Exit status: 0; 1 when the request failed
 * or bsdinet is not loaded; 2 for a bad command line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "rtmsg.h"

static int s, seq;

static void usage(void)
{
	fprintf(stderr,
		"usage: arp [-n] hostname\n"
		"       arp [-n] -a\n"
		"       arp -d hostname\n"
		"       arp -s hostname ether_addr [temp] [pub]\n");
	exit(2);
}

static uint32_t host_addr(const char *text)
{
	struct in_addr a;

	if (!inet_aton(text, &a)) {
		fprintf(stderr, "arp: %s: bad address\n", text);
		exit(2);
	}
	return ntohl(a.s_addr);
}

/* A message being built and, for RTM_GET, its answer. */
static union {
	struct bsdinet_rt_msghdr rtm;
	char buf[512];
} m;

static size_t put_sa(size_t off, const void *sa, size_t len)
{
	memcpy(m.buf + off, sa, len);
	return off + BSDINET_RT_ROUNDUP(len);
}

/*
 * Sends a message of type @cmd about @host: RTA_DST, with @sdl as
 * RTA_GATEWAY for RTM_ADD, flags and expire given. For RTM_GET the answer
 * replaces the message. Returns 0 or the errno.
 */
static int rtmsg(int cmd, uint32_t host, const struct bsdinet_sockaddr_dl *sdl, int flags,
		 uint64_t expire)
{
	struct bsdinet_rt_sockaddr_in sin = {
		.sin_len = sizeof(sin), .sin_family = AF_BSDINET, .sin_addr = htonl(host),
	};
	size_t off = sizeof(m.rtm);
	pid_t pid = getpid();

	memset(&m, 0, sizeof(m));
	m.rtm.rtm_version = BSDINET_RTM_VERSION;
	m.rtm.rtm_type = cmd;
	m.rtm.rtm_seq = ++seq;
	m.rtm.rtm_flags = flags;
	m.rtm.rtm_addrs = BSDINET_RTA_DST;
	off = put_sa(off, &sin, sizeof(sin));
	if (cmd == BSDINET_RTM_ADD) {
		m.rtm.rtm_addrs |= BSDINET_RTA_GATEWAY;
		m.rtm.rtm_flags |= BSDINET_RTF_HOST | BSDINET_RTF_STATIC;
		m.rtm.rtm_inits = BSDINET_RTV_EXPIRE;
		m.rtm.rtm_rmx.rmx_expire = expire;
		off = put_sa(off, sdl, sdl->sdl_len);
	}
	m.rtm.rtm_msglen = off;
	if (write(s, &m, off) < 0)
		return errno;
	if (cmd != BSDINET_RTM_GET)
		return 0;
	for (;;) {
		ssize_t n = read(s, &m, sizeof(m));

		if (n < 0)
			return errno;
		if ((size_t)n >= sizeof(m.rtm) && m.rtm.rtm_seq == seq && m.rtm.rtm_pid == pid &&
		    m.rtm.rtm_type == cmd)
			return m.rtm.rtm_errno;
	}
}

/* The answer to RTM_GET: its destination and link-level gateway. */
static int answer(uint32_t *dst, const struct bsdinet_sockaddr_dl **sdl)
{
	struct rt_addrs info;

	if (rt_xaddrs(&m, m.rtm.rtm_msglen, &info) || !info.sa[0])
		return -1;
	*dst = rt_inaddr(info.sa[0]);
	*sdl = info.sa[1] && info.sa[1]->sa_family == BSDINET_AF_LINK && info.sa[1]->sa_len >= 8 ?
		       (const void *)info.sa[1] : NULL;
	return 0;
}

/* Whether the answer is the ARP entry of host @host. */
static int is_entry(uint32_t host, const struct bsdinet_sockaddr_dl **sdl)
{
	uint32_t dst;

	return answer(&dst, sdl) == 0 && dst == host && *sdl &&
	       (m.rtm.rtm_flags & BSDINET_RTF_LLINFO) && !(m.rtm.rtm_flags & BSDINET_RTF_GATEWAY) &&
	       (*sdl)->sdl_type == BSDINET_IFT_ETHER;
}

/* One entry, as BSD's arp prints it. */
static void print_entry(const struct bsdinet_rt_msghdr *rtm, const struct rt_ifnames *names)
{
	struct rt_addrs info;
	char addr[20];
	const struct bsdinet_sockaddr_dl *sdl;
	const char *ifn;

	if (rt_xaddrs(rtm, rtm->rtm_msglen, &info) || !info.sa[0] || !info.sa[1] ||
	    info.sa[1]->sa_family != BSDINET_AF_LINK || info.sa[1]->sa_len < 8)
		return;
	sdl = (const void *)info.sa[1];
	rt_dotted(addr, sizeof(addr), rt_inaddr(info.sa[0]));
	printf("? (%s) at ", addr);
	if (sdl->sdl_alen == 6) {
		char ether[20];

		rt_linkname(ether, sizeof(ether), sdl);
		printf("%s", ether);
	} else {
		printf("(incomplete)");
	}
	ifn = names ? rt_ifname(names, sdl->sdl_index) : NULL;
	if (ifn)
		printf(" on %s", ifn);
	if (rtm->rtm_rmx.rmx_expire == 0)
		printf(" permanent");
	else
		printf(" expires in %llu seconds", (unsigned long long)rtm->rtm_rmx.rmx_expire);
	if (rtm->rtm_flags & BSDINET_RTF_ANNOUNCE)
		printf(" published");
	if (rtm->rtm_flags & BSDINET_RTF_REJECT)
		printf(" reject");
	putchar('\n');
}

/* Every entry (or only host's): the routes with RTF_LLINFO. */
static int dump(int all, uint32_t host, const char *name)
{
	size_t len = 0;
	char *buf = rt_dump(s, BSDINET_NET_RT_FLAGS, BSDINET_RTF_LLINFO, &len);
	struct rt_ifnames names;
	int found = 0;

	if (!buf) {
		perror("arp: route-sysctl-estimate");
		return 1;
	}
	rt_ifnames(s, &names);
	for (size_t off = 0; off + sizeof(struct bsdinet_rt_msghdr) <= len;) {
		struct bsdinet_rt_msghdr *rtm = (void *)(buf + off);
		struct rt_addrs info;

		if (rtm->rtm_msglen < sizeof(*rtm) || off + rtm->rtm_msglen > len)
			break;
		off += rtm->rtm_msglen;
		if (rt_xaddrs(rtm, rtm->rtm_msglen, &info) || !info.sa[0])
			continue;
		if (!all && rt_inaddr(info.sa[0]) != host)
			continue;
		found = 1;
		print_entry(rtm, &names);
	}
	free(buf);
	if (!all && !found) {
		printf("%s (%s) -- no entry\n", name, name);
		return 1;
	}
	return 0;
}

static int delete(const char *name)
{
	uint32_t host = host_addr(name);
	const struct bsdinet_sockaddr_dl *sdl;
	int e = rtmsg(BSDINET_RTM_GET, host, NULL, 0, 0);

	if (e || !is_entry(host, &sdl)) {
		fprintf(stderr, "arp: delete: cannot locate %s\n", name);
		return 1;
	}
	e = rtmsg(BSDINET_RTM_DELETE, host, NULL, BSDINET_RTF_HOST, 0);
	if (e) {
		fprintf(stderr, "arp: delete %s: %s\n", name, strerror(e));
		return 1;
	}
	printf("%s (%s) deleted\n", name, name);
	return 0;
}

static int set(int argc, char **argv)
{
	uint32_t host = host_addr(argv[0]);
	struct bsdinet_sockaddr_dl sdl_m = { .sdl_len = sizeof(sdl_m),
					     .sdl_family = BSDINET_AF_LINK };
	const struct bsdinet_sockaddr_dl *sdl;
	unsigned int ea[6];
	uint64_t expire = 0;
	int flags = 0, e;
	char junk;

	if (sscanf(argv[1], "%x:%x:%x:%x:%x:%x%c", &ea[0], &ea[1], &ea[2], &ea[3], &ea[4],
		   &ea[5], &junk) != 6) {
		fprintf(stderr, "arp: invalid Ethernet address '%s'\n", argv[1]);
		return 1;
	}
	for (int i = 0; i < 6; i++) {
		if (ea[i] > 255) {
			fprintf(stderr, "arp: invalid Ethernet address '%s'\n", argv[1]);
			return 1;
		}
		sdl_m.sdl_data[i] = ea[i];
	}
	sdl_m.sdl_alen = 6;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "temp"))
			expire = 20 * 60;
		else if (!strcmp(argv[i], "pub"))
			flags |= BSDINET_RTF_ANNOUNCE;
		else
			usage();
	}
	/* The interface: from the route that host takes (the subnet's,
	 * cloning, whose gateway names the Ethernet), or its entry. */
	e = rtmsg(BSDINET_RTM_GET, host, NULL, 0, 0);
	if (e) {
		fprintf(stderr, "arp: %s: %s\n", argv[0], e == ESRCH ? "no route to host" : strerror(e));
		return 1;
	}
	if (is_entry(host, &sdl)) {
		sdl_m.sdl_type = sdl->sdl_type;
		sdl_m.sdl_index = sdl->sdl_index;
		e = rtmsg(BSDINET_RTM_DELETE, host, NULL, BSDINET_RTF_HOST, 0);
		if (e) {
			fprintf(stderr, "arp: %s: cannot replace the entry: %s\n", argv[0], strerror(e));
			return 1;
		}
	} else {
		uint32_t dst;

		if (answer(&dst, &sdl) || !sdl || (m.rtm.rtm_flags & BSDINET_RTF_GATEWAY) ||
		    sdl->sdl_type != BSDINET_IFT_ETHER) {
			fprintf(stderr, "arp: cannot intuit interface index and type for %s\n",
				argv[0]);
			return 1;
		}
		sdl_m.sdl_type = sdl->sdl_type;
		sdl_m.sdl_index = sdl->sdl_index;
	}
	e = rtmsg(BSDINET_RTM_ADD, host, &sdl_m, flags, expire);
	if (e) {
		fprintf(stderr, "arp: %s: %s\n", argv[0], strerror(e));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int c, aflag = 0, dflag = 0, sflag = 0;

	while ((c = getopt(argc, argv, "+nads")) != -1) {
		switch (c) {
		case 'n': break;
		case 'a': aflag = 1; break;
		case 'd': dflag = 1; break;
		case 's': sflag = 1; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (aflag + dflag + sflag > 1)
		usage();
	if (aflag) {
		if (argc)
			usage();
		s = rt_socket("arp");
		return dump(1, 0, NULL);
	}
	if (dflag) {
		if (argc != 1)
			usage();
		s = rt_socket("arp");
		return delete(argv[0]);
	}
	if (sflag) {
		if (argc < 2 || argc > 4)
			usage();
		s = rt_socket("arp");
		return set(argc, argv);
	}
	if (argc != 1)
		usage();
	s = rt_socket("arp");
	return dump(0, host_addr(argv[0]), argv[0]);
}
