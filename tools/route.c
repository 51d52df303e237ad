// SPDX-License-Identifier: GPL-2.0
/*
 * route for bsdinet, in the manner and the words of 4.4BSD's route(8),
 * through a routing socket (AF_BSDROUTE; <linux/bsdinet.h>):
 *
 *	route [-nqv] add [-net | -host] destination gateway [netmask]
 *	route [-nqv] delete [-net | -host] destination [gateway]
 *	route [-nqv] change [-net | -host] destination gateway
 *	route [-nqv] get [-net | -host] destination
 *	route [-nqv] monitor
 *	route [-nqv] flush
 *
 * destination: a dotted quad, "default", or a network as a.b.c.d/bits (or
 * a dotted network with -net, "10" or "10.1" as BSD takes them). Without
 * -net or -host, an address whose host part (by its class) is 0 is a
 * network, as BSD decides. A network without a mask gets its class's,
 * widened to cover every byte that is not 0.
 *
 * Modifiers (before or among the arguments):
 *	-netmask m, -genmask m	masks (m dotted)
 *	-interface, -iface	the gateway is one of our interfaces: an
 *				address of it, or its name (lo0, eth0)
 *	-ifp name, -ifa addr	the interface, and the address of it, to use
 *	-static, -nostatic	RTF_STATIC (on by default for add, as BSD)
 *	-cloning, -xresolve, -reject, -blackhole, -llinfo, -proto1, -proto2
 *				set those flags
 *	-mtu n, -hopcount n, -expire n (seconds from now), -recvpipe n,
 *	-sendpipe n, -ssthresh n, -rtt n, -rttvar n	metrics
 *	-lock			lock the next metric; -lockrest: all that follow
 *
 * Addresses are always numeric (-n is accepted for BSD's sake); -q says
 * nothing on success; -v shows each message sent. monitor prints every
 * routing message as it comes until killed; flush deletes every route
 * through a gateway. Exit status: 0; 1 when a request failed or bsdinet
 * is not loaded; 2 for a bad command line.
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

static int s, qflag, vflag;
static int seq;

/* The request being built: header fields and addresses by RTAX index. */
static struct {
	int flags, addrs;
	unsigned long inits;
	struct bsdinet_rt_metrics rmx;
	unsigned char sa[BSDINET_RTAX_MAX][64];
} req;

static int locking, lockrest;

static void usage(const char *why)
{
	if (why)
		fprintf(stderr, "route: %s\n", why);
	fprintf(stderr,
		"usage: route [-nqv] add [-net | -host] destination gateway [netmask] [modifiers]\n"
		"       route [-nqv] delete [-net | -host] destination [gateway] [modifiers]\n"
		"       route [-nqv] change [-net | -host] destination gateway [modifiers]\n"
		"       route [-nqv] get [-net | -host] destination\n"
		"       route [-nqv] monitor\n"
		"       route [-nqv] flush\n"
		"modifiers: -netmask mask, -genmask mask, -interface, -ifp name, -ifa addr,\n"
		"       -static, -nostatic, -cloning, -xresolve, -reject, -blackhole, -llinfo,\n"
		"       -proto1, -proto2, -mtu n, -hopcount n, -expire secs, -recvpipe n,\n"
		"       -sendpipe n, -ssthresh n, -rtt n, -rttvar n, -lock, -lockrest\n");
	exit(2);
}

/* A dotted quad (or the partial forms inet_aton takes); exits if bad. */
static uint32_t inaddr(const char *text)
{
	struct in_addr a;

	if (!inet_aton(text, &a)) {
		fprintf(stderr, "route: %s: bad address\n", text);
		exit(2);
	}
	return ntohl(a.s_addr);
}

static void set_in(int rtax, uint32_t a)
{
	struct bsdinet_rt_sockaddr_in *sin = (void *)req.sa[rtax];

	memset(req.sa[rtax], 0, sizeof(req.sa[rtax]));
	sin->sin_len = sizeof(*sin);
	sin->sin_family = AF_BSDINET;
	sin->sin_addr = htonl(a);
	req.addrs |= 1 << rtax;
}

/* A link address naming an interface: by index, or by name (index 0). */
static void set_dl(int rtax, unsigned short index, const char *name)
{
	struct bsdinet_sockaddr_dl *sdl = (void *)req.sa[rtax];
	size_t n = name ? strlen(name) : 0;

	memset(req.sa[rtax], 0, sizeof(req.sa[rtax]));
	if (n > BSDINET_IFNAMSIZ)
		usage("interface name too long");
	sdl->sdl_len = 8 + n > sizeof(*sdl) ? 8 + n : sizeof(*sdl);
	sdl->sdl_family = BSDINET_AF_LINK;
	sdl->sdl_index = index;
	sdl->sdl_nlen = n;
	memcpy(sdl->sdl_data, name, n);
	req.addrs |= 1 << rtax;
}

/* The mask of network @net: its class's, widened to its last non-zero byte
 * (BSD's inet_makenetandmask). */
static uint32_t netmask_of(uint32_t net)
{
	uint32_t mask;

	if (!net)
		return 0;
	if (!(net & 0x80000000))
		mask = 0xff000000;
	else if ((net & 0xc0000000) == 0x80000000)
		mask = 0xffff0000;
	else
		mask = 0xffffff00;
	while (net & ~mask)
		mask = mask >> 8 | 0xff000000;
	return mask;
}

/* The class mask of host @a, to tell a network from a host. */
static uint32_t classmask(uint32_t a)
{
	return !(a & 0x80000000) ? 0xff000000 :
	       (a & 0xc0000000) == 0x80000000 ? 0xffff0000 : 0xffffff00;
}

/* "10", "10.1", "10.1.2": the network BSD means (bytes from the top). */
static uint32_t netaddr(const char *text)
{
	unsigned int b[4] = { 0 };
	int n = 0;
	const char *p = text;

	for (;;) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);

		if (end == p || v > 255 || n == 4) {
			fprintf(stderr, "route: %s: bad network\n", text);
			exit(2);
		}
		b[n++] = v;
		if (!*end)
			break;
		if (*end != '.')
			return inaddr(text);
		p = end + 1;
	}
	return b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
}

/* The destination: sets RTA_DST, and RTA_NETMASK for a network unless one
 * is given. Returns whether it is a host. */
static int destination(const char *text, int forcehost, int forcenet, int havemask)
{
	char buf[64];
	char *slash;
	uint32_t a;

	if (!strcmp(text, "default")) {
		set_in(0, 0);
		if (!havemask)
			set_in(2, 0);
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	slash = strchr(buf, '/');
	if (slash) {
		char *end;
		long bits = strtol(slash + 1, &end, 10);

		if (*end || bits < 0 || bits > 32)
			usage("bad prefix length");
		*slash = '\0';
		a = netaddr(buf);
		set_in(0, a);
		set_in(2, bits ? 0xffffffffu << (32 - bits) : 0);
		return bits == 32;
	}
	if (forcenet) {
		a = netaddr(buf);
		set_in(0, a);
		if (!havemask)
			set_in(2, netmask_of(a));
		return 0;
	}
	a = inaddr(buf);
	set_in(0, a);
	if (forcehost || havemask || (a & ~classmask(a)))
		return !havemask;
	set_in(2, netmask_of(a));
	return 0;
}

static void set_metric(const char *value, int flag, __u64 *field)
{
	char *end;
	unsigned long long v = strtoull(value, &end, 0);

	if (*end || !*value)
		usage("bad metric");
	*field = v;
	req.inits |= flag;
	if (locking || lockrest)
		req.rmx.rmx_locks |= flag;
	locking = 0;
}

static void print_msg(const void *m, size_t n);

/* Writes the request as a message of type @cmd; for RTM_GET, reads the
 * answer (ours: our pid and sequence number) into @answer. Returns 0 or
 * the errno. */
static int rtmsg(int cmd, void *answer, size_t anslen)
{
	static unsigned char buf[sizeof(struct bsdinet_rt_msghdr) + sizeof(req.sa)];
	struct bsdinet_rt_msghdr *rtm = (void *)buf;
	size_t len = sizeof(*rtm);
	pid_t pid = getpid();

	memset(buf, 0, sizeof(buf));
	rtm->rtm_version = BSDINET_RTM_VERSION;
	rtm->rtm_type = cmd;
	rtm->rtm_flags = req.flags;
	rtm->rtm_addrs = req.addrs;
	rtm->rtm_seq = ++seq;
	rtm->rtm_inits = req.inits;
	rtm->rtm_rmx = req.rmx;
	for (int i = 0; i < BSDINET_RTAX_MAX; i++) {
		const struct bsdinet_rt_sockaddr *sa = (const void *)req.sa[i];

		if (!(req.addrs & (1 << i)))
			continue;
		memcpy(buf + len, sa, sa->sa_len);
		len += BSDINET_RT_ROUNDUP(sa->sa_len);
	}
	rtm->rtm_msglen = len;
	if (vflag)
		print_msg(buf, len);
	if (write(s, buf, len) < 0)
		return errno;
	if (cmd != BSDINET_RTM_GET)
		return 0;
	for (;;) {
		ssize_t n = read(s, answer, anslen);
		const struct bsdinet_rt_msghdr *a = answer;

		if (n < 0)
			return errno;
		if ((size_t)n >= sizeof(*a) && a->rtm_seq == seq && a->rtm_pid == pid &&
		    a->rtm_type == cmd)
			return a->rtm_errno;
	}
}

static const char *const msgtypes[] = {
	"",
	"RTM_ADD: Add Route",
	"RTM_DELETE: Delete Route",
	"RTM_CHANGE: Change Metrics or flags",
	"RTM_GET: Report Metrics",
	"RTM_LOSING: Kernel Suspects Partitioning",
	"RTM_REDIRECT: Told to use different route",
	"RTM_MISS: Lookup failed on this address",
	"RTM_LOCK: fix specified metrics",
	"RTM_OLDADD: caused by SIOCADDRT",
	"RTM_OLDDEL: caused by SIOCDELRT",
	"RTM_RESOLVE: Route created by cloning",
	"RTM_NEWADDR: address being added to iface",
	"RTM_DELADDR: address being removed from iface",
	"RTM_IFINFO: iface status change",
};

/* The addresses of a message, one per field (pmsg_addrs). */
static void print_addrs(const void *m, size_t n, int addrs)
{
	struct rt_addrs info;
	char name[64];

	putchar('\n');
	if (!addrs)
		return;
	printf("sockaddrs: ");
	rt_bits(stdout, addrs, rt_addrnames, 8);
	putchar('\n');
	rt_xaddrs(m, n, &info);
	for (int i = 0; i < BSDINET_RTAX_MAX; i++) {
		if (!(addrs & (1 << i)))
			continue;
		if (info.sa[i] && info.sa[i]->sa_family == BSDINET_AF_LINK && info.sa[i]->sa_len >= 8) {
			const struct bsdinet_sockaddr_dl *sdl = (const void *)info.sa[i];
			char ifn[BSDINET_IFNAMSIZ + 1];

			rt_sdlname(ifn, sizeof(ifn), sdl);
			rt_linkname(name, sizeof(name), sdl);
			if (*ifn)
				printf(" %s:%s", ifn, name);
			else
				printf(" %s", name);
		} else {
			rt_saname(name, sizeof(name), info.sa[i]);
			printf(" %s", name);
		}
	}
	putchar('\n');
}

/* One routing message, as BSD's route monitor shows it (print_rtmsg). */
static void print_msg(const void *m, size_t n)
{
	const struct bsdinet_rt_msghdr *rtm = m;

	if (n < 4 || rtm->rtm_msglen > n) {
		printf("short message (%zu bytes)\n", n);
		return;
	}
	if (rtm->rtm_version != BSDINET_RTM_VERSION) {
		printf("routing message version %d not understood\n", rtm->rtm_version);
		return;
	}
	if (rtm->rtm_msglen < rt_hdrlen(rtm->rtm_type)) {
		printf("message of type %d too short (%u bytes)\n", rtm->rtm_type, rtm->rtm_msglen);
		return;
	}
	if (rtm->rtm_type < sizeof(msgtypes) / sizeof(msgtypes[0]) && *msgtypes[rtm->rtm_type])
		printf("%s: len %d, ", msgtypes[rtm->rtm_type], rtm->rtm_msglen);
	else
		printf("#%d: len %d, ", rtm->rtm_type, rtm->rtm_msglen);
	switch (rtm->rtm_type) {
	case BSDINET_RTM_IFINFO: {
		const struct bsdinet_if_msghdr *ifm = m;

		printf("if# %d, flags:", ifm->ifm_index);
		rt_bits(stdout, ifm->ifm_flags, rt_ifflagnames, 16);
		print_addrs(m, rtm->rtm_msglen, ifm->ifm_addrs);
		break;
	}
	case BSDINET_RTM_NEWADDR:
	case BSDINET_RTM_DELADDR: {
		const struct bsdinet_ifa_msghdr *ifam = m;

		printf("if# %d, metric %d, flags:", ifam->ifam_index, ifam->ifam_metric);
		rt_bits(stdout, ifam->ifam_flags, rt_flagnames, 16);
		print_addrs(m, rtm->rtm_msglen, ifam->ifam_addrs);
		break;
	}
	default:
		printf("pid: %ld, seq %d, errno %d, flags:", (long)rtm->rtm_pid, rtm->rtm_seq,
		       rtm->rtm_errno);
		rt_bits(stdout, rtm->rtm_flags, rt_flagnames, 16);
		printf("\nlocks: ");
		rt_bits(stdout, rtm->rtm_rmx.rmx_locks, rt_metricnames, 8);
		printf(" inits: ");
		rt_bits(stdout, rtm->rtm_inits, rt_metricnames, 8);
		print_addrs(m, rtm->rtm_msglen, rtm->rtm_addrs);
	}
	fflush(stdout);
}

static void monitor(void)
{
	static char msg[8192];

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		ssize_t n = read(s, msg, sizeof(msg));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("route: read");
			exit(1);
		}
		printf("got message of size %zd\n", n);
		print_msg(msg, n);
		putchar('\n');
		fflush(stdout);
	}
}

/* The answer to RTM_GET, as BSD's route get prints it (print_getmsg). */
static void print_getmsg(const char *dest, const void *m)
{
	const struct bsdinet_rt_msghdr *rtm = m;
	struct rt_addrs info;
	char buf[64], ifn[BSDINET_IFNAMSIZ + 1] = "";
	const struct bsdinet_rt_metrics *x = &rtm->rtm_rmx;
	const uint64_t v[8] = { x->rmx_recvpipe, x->rmx_sendpipe, x->rmx_ssthresh, x->rmx_rtt,
				x->rmx_rttvar, x->rmx_hopcount, x->rmx_mtu, x->rmx_expire };
	static const int bits[8] = { BSDINET_RTV_RPIPE, BSDINET_RTV_SPIPE,
				     BSDINET_RTV_SSTHRESH, BSDINET_RTV_RTT,
				     BSDINET_RTV_RTTVAR, BSDINET_RTV_HOPCOUNT,
				     BSDINET_RTV_MTU, BSDINET_RTV_EXPIRE };

	rt_xaddrs(m, rtm->rtm_msglen, &info);
	printf("   route to: %s\n", dest);
	if (info.sa[0]) {
		rt_saname(buf, sizeof(buf), info.sa[0]);
		printf("destination: %s\n", buf);
	}
	if (info.sa[2]) {
		rt_saname(buf, sizeof(buf), info.sa[2]);
		printf("       mask: %s\n", buf);
	}
	if (info.sa[1] && rtm->rtm_flags & BSDINET_RTF_GATEWAY) {
		rt_saname(buf, sizeof(buf), info.sa[1]);
		printf("    gateway: %s\n", buf);
	}
	if (info.sa[4] && info.sa[4]->sa_family == BSDINET_AF_LINK)
		rt_sdlname(ifn, sizeof(ifn), (const void *)info.sa[4]);
	if (*ifn)
		printf("  interface: %s\n", ifn);
	printf("      flags: ");
	rt_bits(stdout, rtm->rtm_flags, rt_flagnames, 16);
	printf("\n recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire\n");
	for (int i = 0; i < 8; i++)
		printf("%9llu%c", (unsigned long long)v[i],
		       x->rmx_locks & bits[i] ? 'L' : ' ');
	putchar('\n');
}

/* Deletes every route through a gateway (BSD's flushroutes). */
static int flush(void)
{
	size_t len = 0;
	char *buf = rt_dump(s, BSDINET_NET_RT_DUMP, 0, &len);
	int bad = 0;

	if (!buf) {
		perror("route: route-sysctl-estimate");
		return 1;
	}
	for (size_t off = 0; off + sizeof(struct bsdinet_rt_msghdr) <= len;) {
		struct bsdinet_rt_msghdr *rtm = (void *)(buf + off);
		struct rt_addrs info;
		char name[64];

		if (rtm->rtm_msglen < sizeof(*rtm) || off + rtm->rtm_msglen > len)
			break;
		off += rtm->rtm_msglen;
		if (!(rtm->rtm_flags & BSDINET_RTF_GATEWAY))
			continue;
		rt_xaddrs(rtm, rtm->rtm_msglen, &info);
		memset(&req, 0, sizeof(req));
		for (int i = 0; i < 3; i++)
			if (info.sa[i] && info.sa[i]->sa_len <= sizeof(req.sa[i])) {
				memcpy(req.sa[i], info.sa[i], info.sa[i]->sa_len);
				req.addrs |= 1 << i;
			}
		req.flags = rtm->rtm_flags;
		rt_saname(name, sizeof(name), info.sa[0]);
		int e = rtmsg(BSDINET_RTM_DELETE, NULL, 0);

		if (e) {
			fprintf(stderr, "route: delete %s: %s\n", name, strerror(e));
			bad = 1;
		} else if (!qflag) {
			printf("%-20.20s done\n", name);
		}
	}
	free(buf);
	return bad;
}

int main(int argc, char **argv)
{
	const char *cmd, *dest = NULL, *gate = NULL;
	int forcehost = 0, forcenet = 0, iface = 0, havemask = 0, ishost, type, e;
	const char *ifp = NULL, *ifa = NULL, *maskarg = NULL, *genmask = NULL;
	int c;

	/* "+": options stop at the command, so that -net is the command's. */
	while ((c = getopt(argc, argv, "+nqv")) != -1) {
		switch (c) {
		case 'n': break;
		case 'q': qflag = 1; break;
		case 'v': vflag = 1; break;
		default: usage(NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(NULL);
	cmd = argv[0];
	if (!strcmp(cmd, "add"))
		type = BSDINET_RTM_ADD;
	else if (!strcmp(cmd, "delete"))
		type = BSDINET_RTM_DELETE;
	else if (!strcmp(cmd, "change"))
		type = BSDINET_RTM_CHANGE;
	else if (!strcmp(cmd, "get"))
		type = BSDINET_RTM_GET;
	else if (!strcmp(cmd, "monitor") || !strcmp(cmd, "flush"))
		type = 0;
	else
		usage("unknown command");
	if (!type && argc > 1)
		usage(NULL);
	s = rt_socket("route");
	if (!strcmp(cmd, "monitor"))
		monitor();
	if (!strcmp(cmd, "flush"))
		return flush();
	if (type == BSDINET_RTM_ADD)
		req.flags = BSDINET_RTF_STATIC;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;

#define NEXT() (next ? (i++, next) : (usage("missing argument"), ""))
		if (a[0] != '-' || !a[1]) {
			if (!dest)
				dest = a;
			else if (!gate)
				gate = a;
			else if (!maskarg)
				maskarg = a;
			else
				usage("too many arguments");
			continue;
		}
		a++;
		if (!strcmp(a, "net")) forcenet = 1;
		else if (!strcmp(a, "host")) forcehost = 1;
		else if (!strcmp(a, "inet")) ;
		else if (!strcmp(a, "netmask")) maskarg = NEXT();
		else if (!strcmp(a, "genmask")) genmask = NEXT();
		else if (!strcmp(a, "interface") || !strcmp(a, "iface")) iface = 1;
		else if (!strcmp(a, "ifp")) ifp = NEXT();
		else if (!strcmp(a, "ifa")) ifa = NEXT();
		else if (!strcmp(a, "static")) req.flags |= BSDINET_RTF_STATIC;
		else if (!strcmp(a, "nostatic")) req.flags &= ~BSDINET_RTF_STATIC;
		else if (!strcmp(a, "cloning")) req.flags |= BSDINET_RTF_CLONING;
		else if (!strcmp(a, "xresolve")) req.flags |= BSDINET_RTF_XRESOLVE;
		else if (!strcmp(a, "reject")) req.flags |= BSDINET_RTF_REJECT;
		else if (!strcmp(a, "blackhole")) req.flags |= BSDINET_RTF_BLACKHOLE;
		else if (!strcmp(a, "llinfo")) req.flags |= BSDINET_RTF_LLINFO;
		else if (!strcmp(a, "proto1")) req.flags |= BSDINET_RTF_PROTO1;
		else if (!strcmp(a, "proto2")) req.flags |= BSDINET_RTF_PROTO2;
		else if (!strcmp(a, "lock")) locking = 1;
		else if (!strcmp(a, "lockrest")) lockrest = 1;
		else if (!strcmp(a, "mtu")) set_metric(NEXT(), BSDINET_RTV_MTU, &req.rmx.rmx_mtu);
		else if (!strcmp(a, "hopcount"))
			set_metric(NEXT(), BSDINET_RTV_HOPCOUNT, &req.rmx.rmx_hopcount);
		else if (!strcmp(a, "expire"))
			set_metric(NEXT(), BSDINET_RTV_EXPIRE, &req.rmx.rmx_expire);
		else if (!strcmp(a, "recvpipe"))
			set_metric(NEXT(), BSDINET_RTV_RPIPE, &req.rmx.rmx_recvpipe);
		else if (!strcmp(a, "sendpipe"))
			set_metric(NEXT(), BSDINET_RTV_SPIPE, &req.rmx.rmx_sendpipe);
		else if (!strcmp(a, "ssthresh"))
			set_metric(NEXT(), BSDINET_RTV_SSTHRESH, &req.rmx.rmx_ssthresh);
		else if (!strcmp(a, "rtt")) set_metric(NEXT(), BSDINET_RTV_RTT, &req.rmx.rmx_rtt);
		else if (!strcmp(a, "rttvar"))
			set_metric(NEXT(), BSDINET_RTV_RTTVAR, &req.rmx.rmx_rttvar);
		else {
			fprintf(stderr, "route: -%s: unknown modifier\n", a);
			usage(NULL);
		}
#undef NEXT
	}
	if (!dest)
		usage("no destination");
	if (type == BSDINET_RTM_ADD && !gate)
		usage("no gateway");
	if (forcehost && forcenet)
		usage("-host and -net");
	havemask = maskarg != NULL;
	ishost = destination(dest, forcehost, forcenet, havemask);
	if (maskarg) {
		set_in(2, inaddr(maskarg));
		ishost = 0;
	}
	/* As BSD's route: RTF_UP on every request. */
	req.flags |= BSDINET_RTF_UP;
	if (ishost) {
		req.flags |= BSDINET_RTF_HOST;
		req.addrs &= ~BSDINET_RTA_NETMASK;
	}
	if (genmask)
		set_in(3, inaddr(genmask));
	if (gate) {
		struct in_addr ga;

		if (iface && !inet_aton(gate, &ga)) {
			/* An interface by name: its index, from the list. */
			struct rt_ifnames names;
			int index = 0;

			rt_ifnames(s, &names);
			for (int i = 0; i < names.n; i++)
				if (!strcmp(names.ifs[i].name, gate))
					index = names.ifs[i].index;
			if (!index) {
				fprintf(stderr, "route: %s: no such interface\n", gate);
				return 1;
			}
			set_dl(1, index, NULL);
		} else {
			set_in(1, inaddr(gate));
		}
		if (!iface)
			req.flags |= BSDINET_RTF_GATEWAY;
	}
	if (ifp)
		set_dl(4, 0, ifp);
	if (ifa)
		set_in(5, inaddr(ifa));
	if (type == BSDINET_RTM_GET) {
		static union {
			struct bsdinet_rt_msghdr rtm;
			char buf[2048];
		} answer;

		/* Ask for the interface too. */
		if (!(req.addrs & BSDINET_RTA_IFP))
			set_dl(4, 0, NULL);
		e = rtmsg(type, &answer, sizeof(answer));
		if (e) {
			fprintf(stderr, "route: get %s: %s\n", dest,
				e == ESRCH ? "not in table" : strerror(e));
			return 1;
		}
		print_getmsg(dest, &answer);
		return 0;
	}
	e = rtmsg(type, NULL, 0);
	if (!e && qflag)
		return 0;
	{
		FILE *f = e ? stderr : stdout;

		fprintf(f, "%s%s %s %s", e ? "route: " : "", cmd, ishost ? "host" : "net", dest);
		if (gate)
			fprintf(f, ": gateway %s", gate);
		if (e)
			fprintf(f, ": %s", e == ESRCH ? "not in table" :
					   e == ENOBUFS ? "routing table overflow" : strerror(e));
		fputc('\n', f);
	}
	return e ? 1 : 0;
}
