// SPDX-License-Identifier: GPL-2.0
/*
 * ifconfig for bsdinet's interfaces, in the manner of 4.4BSD's:
 *
 *	ifconfig -a                        show every interface
 *	ifconfig lo0                       show one
 *	ifconfig lo0 127.0.0.2 [netmask 255.0.0.0] [broadcast A] [alias]
 *	ifconfig lo0 127.0.0.2 -alias      delete an address
 *	ifconfig lo0 up | down | mtu N | metric N | debug | -debug
 *	ifconfig sl0 10.0.0.1 10.0.0.2     an address and, on a point-to-point
 *	                                   link, the other end's (or: dest A)
 *	ifconfig sl0 link0 | -link0 ...    the link flags (SLIP: link0
 *	                                   compresses TCP headers, link1 drops
 *	                                   ICMP, link2 lets the peer turn
 *	                                   link0 on)
 *	ifconfig veth0 attach              make Linux device veth0 (Ethernet
 *	                                   or tun) a bsdinet interface
 *	ifconfig veth0 detach              give it back to Linux
 *
 * Arguments act in order: `ifconfig veth0 attach 10.0.0.1 up` attaches,
 * then configures. It talks to bsdinet only, through the ioctls of
 * <linux/bsdinet.h>, and reads Ethernet addresses from its routing
 * socket's interface list (NET_RT_IFLIST), as 4.4BSD's ifconfig does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/param.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/bsdinet.h>

static int s;

static const char *const flagnames[16] = {
	"UP", "BROADCAST", "DEBUG", "LOOPBACK", "POINTOPOINT", "NOTRAILERS",
	"RUNNING", "NOARP", "PROMISC", "ALLMULTI", "OACTIVE", "SIMPLEX",
	"LINK0", "LINK1", "LINK2", "MULTICAST",
};

static void die(const char *what, const char *ifname)
{
	fprintf(stderr, "ifconfig: %s%s%s: %s\n", ifname ? ifname : "",
		ifname ? ": " : "", what, strerror(errno));
	exit(1);
}

static struct in_addr sa_in(const struct bsdinet_sockaddr *sa)
{
	return ((const struct sockaddr_in *)sa)->sin_addr;
}

static void set_sa(struct bsdinet_sockaddr *sa, const char *text)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;

	memset(sa, 0, sizeof(*sa));
	sin->sin_family = AF_BSDINET;
	if (inet_pton(AF_INET, text, &sin->sin_addr) != 1) {
		fprintf(stderr, "ifconfig: %s: bad address\n", text);
		exit(1);
	}
}

static int getreq(unsigned long cmd, const char *name, struct bsdinet_ifreq *r)
{
	memset(r, 0, sizeof(*r));
	strncpy(r->bifr_name, name, sizeof(r->bifr_name) - 1);
	return ioctl(s, cmd, r);
}

/* Prints "ether" and the link address of Ethernet interface @name, from
 * the routing socket's interface list; nothing when that is not there. */
static void show_ether(const char *name)
{
	int r = socket(AF_BSDROUTE, SOCK_RAW, 0), arg = 0;
	socklen_t len = 0, got = 0;
	char *buf = NULL;

	if (r < 0)
		return;
	/* ENOMEM says how much is needed; the list may grow meanwhile. */
	for (int tries = 0; tries < 4 && !got; tries++) {
		socklen_t want = len + 4096;

		free(buf);
		buf = malloc(want);
		if (!buf)
			break;
		memcpy(buf, &arg, sizeof(arg));	/* every interface */
		len = want;
		if (getsockopt(r, BSDINET_SOL_ROUTE, BSDINET_NET_RT_IFLIST, buf, &len) == 0)
			got = len;
		else if (errno != ENOMEM)
			break;
	}
	close(r);
	for (size_t off = 0, end; off + 4 <= got; off = end) {
		struct bsdinet_if_msghdr ifm;
		unsigned short msglen;
		size_t p = off + sizeof(ifm);

		/* Each message starts with its length, version and type. */
		memcpy(&msglen, buf + off, sizeof(msglen));
		end = off + msglen;
		if (msglen < 4 || end > got)
			break;
		if ((unsigned char)buf[off + 3] != BSDINET_RTM_IFINFO || p > end)
			continue;
		memcpy(&ifm, buf + off, sizeof(ifm));
		/* The addresses follow in the order of their bits. */
		for (int i = 0; i < BSDINET_RTAX_MAX && p < end; i++) {
			struct bsdinet_sockaddr_dl sdl = { 0 };
			unsigned char salen = (unsigned char)buf[p];
			const unsigned char *a;

			if (!(ifm.ifm_addrs & (1 << i)))
				continue;
			if ((1 << i) != BSDINET_RTA_IFP || salen < 8 || p + salen > end) {
				p += BSDINET_RT_ROUNDUP(salen);
				continue;
			}
			memcpy(&sdl, buf + p, MIN((size_t)salen, sizeof(sdl)));
			a = (const unsigned char *)buf + p + 8 + sdl.sdl_nlen;
			if (sdl.sdl_family == BSDINET_AF_LINK && sdl.sdl_type == BSDINET_IFT_ETHER &&
			    sdl.sdl_alen == 6 && sdl.sdl_nlen == strlen(name) &&
			    8 + sdl.sdl_nlen + 6 <= salen && !memcmp(buf + p + 8, name, sdl.sdl_nlen))
				printf("\tether %02x:%02x:%02x:%02x:%02x:%02x\n",
				       a[0], a[1], a[2], a[3], a[4], a[5]);
			break;
		}
	}
	free(buf);
}

/* The groups the interface is in (/proc/bsdinet/mcast; rows of
 * "interface group refcount timer lastreporter"), one line each. */
static void show_groups(const char *name)
{
	FILE *f = fopen("/proc/bsdinet/mcast", "r");
	char line[256], ifn[64], group[64];
	unsigned int refs;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %63s %u", ifn, group, &refs) == 3 && !strcmp(ifn, name))
			printf("\tgroup %s refs %u\n", group, refs);
	fclose(f);
}

static void show(const char *name)
{
	struct bsdinet_ifreq r;
	struct bsdinet_ifconf ifc;
	struct bsdinet_ifreq reqs[64];
	int flags, mtu = 0, metric = 0;

	if (getreq(BSDINET_SIOCGIFFLAGS, name, &r) < 0)
		die("SIOCGIFFLAGS", name);
	flags = (unsigned short)r.bifr_flags;
	if (getreq(BSDINET_SIOCGIFMTU, name, &r) == 0)
		mtu = r.bifr_mtu;
	if (getreq(BSDINET_SIOCGIFMETRIC, name, &r) == 0)
		metric = r.bifr_metric;
	printf("%s: flags=%x<", name, flags);
	for (int i = 0, first = 1; i < 16; i++)
		if (flags & (1 << i)) {
			printf("%s%s", first ? "" : ",", flagnames[i]);
			first = 0;
		}
	printf("> mtu %d", mtu);
	if (metric)
		printf(" metric %d", metric);
	printf("\n");
	show_ether(name);

	ifc.bifc_len = sizeof(reqs);
	ifc.bifc_req = reqs;
	if (ioctl(s, BSDINET_SIOCGIFCONF, &ifc) < 0)
		die("SIOCGIFCONF", NULL);
	for (size_t i = 0; i < ifc.bifc_len / sizeof(reqs[0]); i++) {
		struct bsdinet_ifreq q;
		char a[INET_ADDRSTRLEN];

		if (strcmp(reqs[i].bifr_name, name) || reqs[i].bifr_addr.sa_family != AF_BSDINET)
			continue;
		printf("\tinet %s", inet_ntop(AF_INET, &(struct in_addr){ sa_in(&reqs[i].bifr_addr).s_addr }, a, sizeof(a)));
		/* The netmask and broadcast address are the first address's. */
		if (getreq(BSDINET_SIOCGIFNETMASK, name, &q) == 0)
			printf(" netmask 0x%08x", ntohl(sa_in(&q.bifr_addr).s_addr));
		if ((flags & BSDINET_IFF_BROADCAST) && getreq(BSDINET_SIOCGIFBRDADDR, name, &q) == 0)
			printf(" broadcast %s", inet_ntop(AF_INET, &(struct in_addr){ sa_in(&q.bifr_addr).s_addr }, a, sizeof(a)));
		if ((flags & BSDINET_IFF_POINTOPOINT) && getreq(BSDINET_SIOCGIFDSTADDR, name, &q) == 0)
			printf(" --> %s", inet_ntop(AF_INET, &(struct in_addr){ sa_in(&q.bifr_addr).s_addr }, a, sizeof(a)));
		printf("\n");
	}
	show_groups(name);
}

static void show_all(void)
{
	struct bsdinet_ifreq reqs[64];
	struct bsdinet_ifconf ifc = { .bifc_len = sizeof(reqs), .bifc_req = reqs };
	char last[BSDINET_IFNAMSIZ] = "";

	if (ioctl(s, BSDINET_SIOCGIFCONF, &ifc) < 0)
		die("SIOCGIFCONF", NULL);
	for (size_t i = 0; i < ifc.bifc_len / sizeof(reqs[0]); i++) {
		if (!strcmp(reqs[i].bifr_name, last))
			continue;
		memcpy(last, reqs[i].bifr_name, sizeof(last));
		show(last);
	}
}

static void setflag(const char *name, int flag, int on)
{
	struct bsdinet_ifreq r;

	if (getreq(BSDINET_SIOCGIFFLAGS, name, &r) < 0)
		die("SIOCGIFFLAGS", name);
	r.bifr_flags = on ? (r.bifr_flags | flag) : (r.bifr_flags & ~flag);
	if (ioctl(s, BSDINET_SIOCSIFFLAGS, &r) < 0)
		die("SIOCSIFFLAGS", name);
}

static void setint(const char *name, unsigned long cmd, const char *what, const char *v)
{
	struct bsdinet_ifreq r;

	getreq(0, name, &r);
	r.bifr_mtu = atoi(v); /* bifr_metric shares the storage */
	if (ioctl(s, cmd, &r) < 0)
		die(what, name);
}

int main(int argc, char **argv)
{
	struct bsdinet_ifaliasreq ifra;
	int have_addr = 0, have_dst = 0, delete = 0;

	s = socket(AF_BSDINET, SOCK_RAW, 0);
	if (s < 0)
		die("socket(AF_BSDINET) (is bsdinet.ko loaded? are you root?)", NULL);
	if (argc < 2 || !strcmp(argv[1], "-a")) {
		show_all();
		return 0;
	}
	const char *name = argv[1];
	if (argc == 2) {
		show(name);
		return 0;
	}
	memset(&ifra, 0, sizeof(ifra));
	strncpy(ifra.bifra_name, name, sizeof(ifra.bifra_name) - 1);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "attach") || !strcmp(a, "detach")) {
			struct bsdinet_ifreq r;
			int attach = a[0] == 'a';

			getreq(0, name, &r);
			if (ioctl(s, attach ? BSDINET_SIOCIFCREATE : BSDINET_SIOCIFDESTROY, &r) < 0)
				die(attach ? "attach (SIOCIFCREATE)" : "detach (SIOCIFDESTROY)", name);
		} else if (!strcmp(a, "up"))
			setflag(name, BSDINET_IFF_UP, 1);
		else if (!strcmp(a, "down"))
			setflag(name, BSDINET_IFF_UP, 0);
		else if (!strcmp(a, "debug"))
			setflag(name, BSDINET_IFF_DEBUG, 1);
		else if (!strcmp(a, "-debug"))
			setflag(name, BSDINET_IFF_DEBUG, 0);
		else if (!strncmp(a, "link", 4) && a[4] >= '0' && a[4] <= '2' && !a[5])
			setflag(name, BSDINET_IFF_LINK0 << (a[4] - '0'), 1);
		else if (!strncmp(a, "-link", 5) && a[5] >= '0' && a[5] <= '2' && !a[6])
			setflag(name, BSDINET_IFF_LINK0 << (a[5] - '0'), 0);
		else if (!strcmp(a, "alias"))
			;	/* SIOCAIFADDR always adds */
		else if (!strcmp(a, "-alias") || !strcmp(a, "delete"))
			delete = 1;
		else if (v && !strcmp(a, "mtu"))
			setint(name, BSDINET_SIOCSIFMTU, "SIOCSIFMTU", argv[++i]);
		else if (v && !strcmp(a, "metric"))
			setint(name, BSDINET_SIOCSIFMETRIC, "SIOCSIFMETRIC", argv[++i]);
		else if (v && !strcmp(a, "netmask"))
			set_sa(&ifra.bifra_mask, argv[++i]);
		else if (v && (!strcmp(a, "broadcast") || !strcmp(a, "dest")))
			set_sa(&ifra.bifra_broadaddr, argv[++i]);
		else if (!have_addr && a[0] >= '0' && a[0] <= '9') {
			set_sa(&ifra.bifra_addr, a);
			have_addr = 1;
		} else if (!have_dst && a[0] >= '0' && a[0] <= '9') {
			set_sa(&ifra.bifra_broadaddr, a);
			have_dst = 1;
		} else {
			fprintf(stderr, "ifconfig: %s: unknown argument\n", a);
			return 1;
		}
	}
	if (delete) {
		struct bsdinet_ifreq r;

		getreq(0, name, &r);
		r.bifr_addr = ifra.bifra_addr;
		if (ioctl(s, BSDINET_SIOCDIFADDR, &r) < 0)
			die("SIOCDIFADDR", name);
	} else if (have_addr || ifra.bifra_mask.sa_family || ifra.bifra_broadaddr.sa_family) {
		if (ioctl(s, BSDINET_SIOCAIFADDR, &ifra) < 0)
			die("SIOCAIFADDR", name);
	}
	return 0;
}
