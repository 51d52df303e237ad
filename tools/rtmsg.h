/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What route, arp and netstat share about bsdinet's routing sockets
 * (<linux/bsdinet.h> describes them): opening one, the table dumps, the
 * addresses of a message, and printing them, numerically.
 */
#ifndef BSDINET_TOOLS_RTMSG_H
#define BSDINET_TOOLS_RTMSG_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bsdinet.h>

/* The addresses of a message, by RTAX index (rti_info[]); NULL: absent. */
struct rt_addrs {
	const struct bsdinet_rt_sockaddr *sa[BSDINET_RTAX_MAX];
};

/* A routing socket; exits saying why when there is none. */
static inline int rt_socket(const char *prog)
{
	int s = socket(AF_BSDROUTE, SOCK_RAW, 0);

	if (s < 0) {
		if (errno == EAFNOSUPPORT)
			fprintf(stderr, "%s: bsdinet is not loaded (no AF_BSDROUTE)\n", prog);
		else
			fprintf(stderr, "%s: socket(AF_BSDROUTE): %s\n", prog, strerror(errno));
		exit(1);
	}
	return s;
}

/*
 * A table dump (BSDINET_NET_RT_*, with @arg): the messages, malloc'd, and
 * their length in *lenp. getsockopt() says ENOMEM and the size needed when
 * the buffer is short; the table may grow meanwhile, so ask again.
 */
static inline char *rt_dump(int s, int op, int arg, size_t *lenp)
{
	socklen_t want = 4096;

	for (int tries = 0; tries < 8; tries++) {
		char *buf = malloc(want);
		socklen_t len = want;

		if (!buf)
			return NULL;
		memcpy(buf, &arg, sizeof(arg));
		if (getsockopt(s, BSDINET_SOL_ROUTE, op, buf, &len) == 0) {
			*lenp = len;
			return buf;
		}
		free(buf);
		if (errno != ENOMEM)
			return NULL;
		want = len + len / 10 + 512;
	}
	errno = ENOMEM;
	return NULL;
}

/* The header length of messages of type @type. */
static inline size_t rt_hdrlen(int type)
{
	switch (type) {
	case BSDINET_RTM_NEWADDR:
	case BSDINET_RTM_DELADDR:
		return sizeof(struct bsdinet_ifa_msghdr);
	case BSDINET_RTM_IFINFO:
		return sizeof(struct bsdinet_if_msghdr);
	default:
		return sizeof(struct bsdinet_rt_msghdr);
	}
}

/* The addrs field of message @m, whatever its header. */
static inline int rt_msgaddrs(const void *m)
{
	const struct bsdinet_rt_msghdr *rtm = m;

	if (rt_hdrlen(rtm->rtm_type) == sizeof(struct bsdinet_rt_msghdr))
		return rtm->rtm_addrs;
	return ((const struct bsdinet_if_msghdr *)m)->ifm_addrs;
}

/*
 * Finds the addresses of message @m, @len bytes long (rt_xaddrs); an
 * address that would run past the end is left out. Returns 0, or -1 when
 * the message is too short for its header.
 */
static inline int rt_xaddrs(const void *m, size_t len, struct rt_addrs *info)
{
	const struct bsdinet_rt_msghdr *rtm = m;
	size_t hl, off;
	int addrs;

	memset(info, 0, sizeof(*info));
	if (len < 4 || len < (hl = rt_hdrlen(rtm->rtm_type)))
		return -1;
	addrs = rt_msgaddrs(m);
	off = hl;
	for (int i = 0; i < BSDINET_RTAX_MAX && off < len; i++) {
		const struct bsdinet_rt_sockaddr *sa;

		if (!(addrs & (1 << i)))
			continue;
		sa = (const void *)((const char *)m + off);
		if (off + sa->sa_len > len)
			break;
		info->sa[i] = sa;
		off += BSDINET_RT_ROUNDUP(sa->sa_len);
	}
	return 0;
}

/* The internet address in @sa (a mask's missing bytes are 0). */
static inline uint32_t rt_inaddr(const struct bsdinet_rt_sockaddr *sa)
{
	unsigned char b[4] = { 0 };

	if (!sa)
		return 0;
	for (int i = 0; i < 4 && 4 + i < sa->sa_len; i++)
		b[i] = ((const unsigned char *)sa)[4 + i];
	return (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
}

static inline void rt_dotted(char *buf, size_t len, uint32_t a)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* A link-level address: the station's address, else "link#index". */
static inline void rt_linkname(char *buf, size_t len, const struct bsdinet_sockaddr_dl *sdl)
{
	const unsigned char *a = (const unsigned char *)sdl->sdl_data + sdl->sdl_nlen;

	if (sdl->sdl_alen == 6 && 8 + sdl->sdl_nlen + 6 <= sdl->sdl_len)
		snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3],
			 a[4], a[5]);
	else
		snprintf(buf, len, "link#%u", sdl->sdl_index);
}

/* Any address of a message, numerically. */
static inline void rt_saname(char *buf, size_t len, const struct bsdinet_rt_sockaddr *sa)
{
	if (!sa)
		snprintf(buf, len, "-");
	else if (sa->sa_family == BSDINET_AF_LINK && sa->sa_len >= 8)
		rt_linkname(buf, len, (const struct bsdinet_sockaddr_dl *)sa);
	else if (sa->sa_family == AF_BSDINET || sa->sa_len <= 16)
		rt_dotted(buf, len, rt_inaddr(sa));
	else
		snprintf(buf, len, "(%u) len %u", sa->sa_family, sa->sa_len);
}

/* The name an interface's link address carries, or "" */
static inline void rt_sdlname(char *buf, size_t len, const struct bsdinet_sockaddr_dl *sdl)
{
	size_t n = sdl->sdl_nlen;

	if (n >= len)
		n = len - 1;
	if (8 + n > sdl->sdl_len)
		n = 0;
	memcpy(buf, sdl->sdl_data, n);
	buf[n] = '\0';
}

/* Interface names by index, from the interface list (NET_RT_IFLIST). */
struct rt_ifnames {
	int n;
	struct {
		unsigned short index;
		char name[BSDINET_IFNAMSIZ];
	} ifs[256];
};

static inline void rt_ifnames(int s, struct rt_ifnames *names)
{
	size_t len = 0, off;
	char *buf = rt_dump(s, BSDINET_NET_RT_IFLIST, 0, &len);

	names->n = 0;
	for (off = 0; buf && off + 4 <= len && names->n < 256;) {
		const struct bsdinet_if_msghdr *ifm = (const void *)(buf + off);
		struct rt_addrs info;

		if (ifm->ifm_msglen < 4 || off + ifm->ifm_msglen > len)
			break;
		if (ifm->ifm_type == BSDINET_RTM_IFINFO &&
		    rt_xaddrs(ifm, ifm->ifm_msglen, &info) == 0 &&
		    info.sa[4] && info.sa[4]->sa_family == BSDINET_AF_LINK) {
			names->ifs[names->n].index = ifm->ifm_index;
			rt_sdlname(names->ifs[names->n].name, BSDINET_IFNAMSIZ,
				   (const struct bsdinet_sockaddr_dl *)info.sa[4]);
			names->n++;
		}
		off += ifm->ifm_msglen;
	}
	free(buf);
}

static inline const char *rt_ifname(const struct rt_ifnames *names, unsigned short index)
{
	for (int i = 0; i < names->n; i++)
		if (names->ifs[i].index == index)
			return names->ifs[i].name;
	return NULL;
}

/* Writes the bits of @v named in @names (bit 0 first) as <A,B,...>. */
static inline void rt_bits(FILE *f, unsigned long v, const char *const *names, int n)
{
	int any = 0;

	fputc('<', f);
	for (int i = 0; i < n; i++) {
		if ((v & (1ul << i)) && names[i] && *names[i]) {
			fprintf(f, "%s%s", any ? "," : "", names[i]);
			any = 1;
		}
	}
	fputc('>', f);
}

static const char *const __attribute__((unused)) rt_flagnames[16] = {
	"UP", "GATEWAY", "HOST", "REJECT", "DYNAMIC", "MODIFIED", "DONE", "MASK_PRESENT",
	"CLONING", "XRESOLVE", "LLINFO", "STATIC", "BLACKHOLE", "", "PROTO2", "PROTO1",
};

static const char *const __attribute__((unused)) rt_metricnames[8] = {
	"mtu", "hopcount", "expire", "recvpipe", "sendpipe", "ssthresh", "rtt", "rttvar",
};

static const char *const __attribute__((unused)) rt_addrnames[8] = {
	"DST", "GATEWAY", "NETMASK", "GENMASK", "IFP", "IFA", "AUTHOR", "BRD",
};

static const char *const __attribute__((unused)) rt_ifflagnames[16] = {
	"UP", "BROADCAST", "DEBUG", "LOOPBACK", "PTP", "NOTRAILERS", "RUNNING", "NOARP",
	"PPROMISC", "ALLMULTI", "OACTIVE", "SIMPLEX", "LINK0", "LINK1", "LINK2", "MULTICAST",
};

#endif /* BSDINET_TOOLS_RTMSG_H */
