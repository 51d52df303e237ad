// SPDX-License-Identifier: GPL-2.0
/*
 * netstat for bsdinet, in the manner and the words of 4.4BSD's:
 *
 *	netstat [-aA] [-p proto]   active internet sockets ("PCBs"); -a
 *	                           includes servers (TCP listeners and
 *	                           sockets on a wildcard local address);
 *	                           -A shows each TCP socket's control block
 *	                           number (which trpt -p takes)
 *	netstat -s[s] [-p proto]   statistics of tcp, udp, ip and icmp (-ss:
 *	                           only the non-zero counters)
 *	netstat -i                 interfaces and their addresses
 *	netstat -m                 mbufs
 *	netstat -r                 the routing table (from a routing
 *	                           socket's dump, as 4.4BSD's reads it
 *	                           with sysctl)
 *
 * -p restricts -s and the socket list to one protocol (tcp, udp, ip, icmp
 * or raw). -n is accepted and changes nothing: addresses and ports are
 * always shown as numbers (bsdinet has no resolver of its own). Only one
 * of -i, -m, -r, -s is acted on, in that order, as in 4.4BSD.
 *
 * Where BSD's netstat read the kernel's structures from /dev/kmem, this
 * one reads the text files of /proc/bsdinet (tcp, ip, icmp, udp, mbuf,
 * if, pcb), whose format rust/bsd/kern/kern_stats.rs describes: lines
 * of "name value" for counters, a header of column names then one row per
 * line for tables. Counters or columns it does not find count as 0 or
 * are left blank, so it keeps working when files gain entries. The
 * environment variable BSDINET_PROCDIR names another directory to read
 * (for tests). bsdinet's own additions to the book's output: the
 * "raw" sockets in the socket list, the m_pullup/m_copym failures of -m,
 * ip's "too long" and "malformed fragment" counters, and tcp's counters
 * that 4.4BSD did not have (listen queue overflows, fast retransmits,
 * challenge ACKs, segments dropped for memory or for no connection,
 * bad SYNs, persist drops), worded as later BSDs word them.
 *
 * Exit status: 0; 1 when bsdinet is not loaded (no /proc/bsdinet) or a
 * file cannot be read; 2 for a bad command line.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rtmsg.h"

#define PROCDIR "/proc/bsdinet"

static const char *procdir = PROCDIR;
static int aflag, Aflag, gflag, iflag, mflag, rflag, sflag;
static const char *pflag;

static void usage(void)
{
	fprintf(stderr,
		"usage: netstat [-aAn] [-p proto]\n"
		"       netstat -s[s] [-p proto]\n"
		"       netstat -i [-n]\n"
		"       netstat -g [-s]\n"
		"       netstat -m\n"
		"       netstat -r [-n]\n");
	exit(2);
}

/* The whole of /proc/bsdinet/<name>, NUL-terminated; exits on error. */
static char *slurp(const char *name)
{
	char path[256];
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", procdir, name);
	f = fopen(path, "r");
	if (!f || !buf) {
		fprintf(stderr, "netstat: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	for (;;) {
		size_t n = fread(buf + len, 1, cap - len - 1, f);

		len += n;
		if (len < cap - 1) {
			if (ferror(f)) {
				fprintf(stderr, "netstat: %s: read error\n", path);
				exit(1);
			}
			break;
		}
		cap *= 2;
		buf = realloc(buf, cap);
		if (!buf) {
			fprintf(stderr, "netstat: out of memory\n");
			exit(1);
		}
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* Splits `line` in place into at most `max` space-separated fields. */
static int split(char *line, char **f, int max)
{
	int n = 0;
	char *save, *tok;

	for (tok = strtok_r(line, " \t", &save); tok && n < max; tok = strtok_r(NULL, " \t", &save))
		f[n++] = tok;
	return n;
}

/* ---- Counter files: "name value" lines. ---- */

struct counters {
	char *text;
};

static struct counters counters(const char *name)
{
	struct counters c = { slurp(name) };
	return c;
}

/* Counter `name`, or 0 when the file has no such line. */
static unsigned long long get(const struct counters *c, const char *name)
{
	size_t n = strlen(name);
	const char *p = c->text;

	while (p && *p) {
		if (!strncmp(p, name, n) && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

static unsigned long long geti(const struct counters *c, const char *name, int i)
{
	char key[64];

	snprintf(key, sizeof(key), "%s.%d", name, i);
	return get(c, key);
}

static const char *plural(unsigned long long n)
{
	return n != 1 ? "s" : "";
}

/* ---- Table files: a header line, then rows. ---- */

#define MAXCOL 32

struct table {
	char *text;
	int ncol, nrow;
	char *col[MAXCOL];
	char *(*row)[MAXCOL];
};

static struct table table(const char *name)
{
	struct table t = { .text = slurp(name) };
	char *save, *line;
	int cap = 16;

	t.row = malloc(cap * sizeof(*t.row));
	if (!t.row) {
		fprintf(stderr, "netstat: out of memory\n");
		exit(1);
	}
	for (line = strtok_r(t.text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!t.ncol) {
			t.ncol = split(line, t.col, MAXCOL);
			continue;
		}
		if (t.nrow == cap) {
			cap *= 2;
			t.row = realloc(t.row, cap * sizeof(*t.row));
			if (!t.row) {
				fprintf(stderr, "netstat: out of memory\n");
				exit(1);
			}
		}
		memset(t.row[t.nrow], 0, sizeof(t.row[t.nrow]));
		split(line, t.row[t.nrow], MAXCOL);
		t.nrow++;
	}
	return t;
}

/* Field `name` of row `r`, or "" when there is no such column. */
static const char *field(const struct table *t, int r, const char *name)
{
	for (int i = 0; i < t->ncol; i++)
		if (!strcmp(t->col[i], name))
			return t->row[r][i] ? t->row[r][i] : "";
	return "";
}

static unsigned long long num(const struct table *t, int r, const char *name)
{
	return strtoull(field(t, r, name), NULL, 0);
}

/* ---- Addresses, numeric, as 4.4BSD's -n prints them. ---- */

static uint32_t parse_addr(const char *s)
{
	unsigned a, b, c, d;

	if (sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d) != 4)
		return 0;
	return (uint32_t)a << 24 | (b & 255) << 16 | (c & 255) << 8 | (d & 255);
}

static void dotted(char *buf, size_t len, uint32_t a)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/*
 * A network number, as 4.4BSD's netname(): trailing zero bytes dropped
 * ("127"); then, as later BSDs do, "/bits" when the mask is not the one
 * of the address's class, or "&0xmask" when it is not contiguous.
 */
static void netname(char *buf, size_t len, uint32_t net, uint32_t mask)
{
	uint32_t classmask = !(net & 0x80000000) ? 0xff000000 :
			     (net & 0xc0000000) == 0x80000000 ? 0xffff0000 :
			     (net & 0xe0000000) == 0xc0000000 ? 0xffffff00 : 0xffffffff;
	int bits = __builtin_popcount(mask);
	size_t n;

	net &= mask;
	if (!(net & 0xffffff))
		n = snprintf(buf, len, "%u", net >> 24);
	else if (!(net & 0xffff))
		n = snprintf(buf, len, "%u.%u", net >> 24, (net >> 16) & 255);
	else if (!(net & 0xff))
		n = snprintf(buf, len, "%u.%u.%u", net >> 24, (net >> 16) & 255, (net >> 8) & 255);
	else
		n = snprintf(buf, len, "%u.%u.%u.%u", net >> 24, (net >> 16) & 255,
			     (net >> 8) & 255, net & 255);
	if (n >= len)
		return;
	if (bits && mask != (uint32_t)(0xffffffffu << (32 - bits)))
		snprintf(buf + n, len - n, "&0x%x", mask);
	else if (mask != classmask)
		snprintf(buf + n, len - n, "/%d", bits);
}

/* "addr:port" from the pcb file as 4.4BSD's inetprint(): "127.0.0.1.53",
 * "*.53", "*.*". */
static void inetprint(char *buf, size_t len, const char *addrport)
{
	char addr[32];
	const char *colon = strrchr(addrport, ':');
	unsigned long port = colon ? strtoul(colon + 1, NULL, 10) : 0;
	size_t n = colon ? (size_t)(colon - addrport) : strlen(addrport);

	if (n >= sizeof(addr))
		n = sizeof(addr) - 1;
	memcpy(addr, addrport, n);
	addr[n] = '\0';
	if (!strcmp(addr, "0.0.0.0"))
		strcpy(addr, "*");
	if (port)
		snprintf(buf, len, "%.16s.%lu", addr, port);
	else
		snprintf(buf, len, "%.16s.*", addr);
}

/* ---- netstat -s ---- */

#define p(f, m)                                           \
	do {                                              \
		unsigned long long v_ = get(&c, f);       \
		if (v_ || sflag <= 1)                     \
			printf(m, v_, plural(v_));        \
	} while (0)
#define p1(f, m)                                          \
	do {                                              \
		unsigned long long v_ = get(&c, f);       \
		if (v_ || sflag <= 1)                     \
			printf(m, v_);                    \
	} while (0)

#define p2(f1, f2, m)                                                     \
	do {                                                              \
		unsigned long long a_ = get(&c, f1), b_ = get(&c, f2);    \
		if (a_ || b_ || sflag <= 1)                               \
			printf(m, a_, plural(a_), b_, plural(b_));        \
	} while (0)
#define p2a(f1, f2, m)                                                    \
	do {                                                              \
		unsigned long long a_ = get(&c, f1), b_ = get(&c, f2);    \
		if (a_ || b_ || sflag <= 1)                               \
			printf(m, a_, plural(a_), b_);                    \
	} while (0)
#define py(f, m)                                                          \
	do {                                                              \
		unsigned long long v_ = get(&c, f);                       \
		if (v_ || sflag <= 1)                                     \
			printf(m, v_, v_ != 1 ? "ies" : "y");             \
	} while (0)
#define p3(f, m)                                                          \
	do {                                                              \
		unsigned long long v_ = get(&c, f);                       \
		if (v_ || sflag <= 1)                                     \
			printf(m, v_, v_ != 1 ? "es" : "");               \
	} while (0)

/* 4.4BSD's tcp_stats(), line for line; bsdinet's own counters (marked)
 * where later BSDs print theirs. */
static void tcp_stats(void)
{
	struct counters c = counters("tcp");

	printf("tcp:\n");
	p("tcps_sndtotal", "\t%llu packet%s sent\n");
	p2("tcps_sndpack", "tcps_sndbyte", "\t\t%llu data packet%s (%llu byte%s)\n");
	p2("tcps_sndrexmitpack", "tcps_sndrexmitbyte",
	   "\t\t%llu data packet%s (%llu byte%s) retransmitted\n");
	p("tcps_sndrexmitfast", "\t\t%llu fast retransmit%s\n");	/* bsdinet */
	p2a("tcps_sndacks", "tcps_delack", "\t\t%llu ack-only packet%s (%llu delayed)\n");
	p("tcps_sndurg", "\t\t%llu URG only packet%s\n");
	p("tcps_sndprobe", "\t\t%llu window probe packet%s\n");
	p("tcps_sndwinup", "\t\t%llu window update packet%s\n");
	p("tcps_sndctrl", "\t\t%llu control packet%s\n");
	p("tcps_challengeack", "\t\t%llu challenge ACK%s sent\n");	/* bsdinet */
	p("tcps_rcvtotal", "\t%llu packet%s received\n");
	p2("tcps_rcvackpack", "tcps_rcvackbyte", "\t\t%llu ack%s (for %llu byte%s)\n");
	p("tcps_rcvdupack", "\t\t%llu duplicate ack%s\n");
	p("tcps_rcvacktoomuch", "\t\t%llu ack%s for unsent data\n");
	p2("tcps_rcvpack", "tcps_rcvbyte", "\t\t%llu packet%s (%llu byte%s) received in-sequence\n");
	p2("tcps_rcvduppack", "tcps_rcvdupbyte",
	   "\t\t%llu completely duplicate packet%s (%llu byte%s)\n");
	p("tcps_pawsdrop", "\t\t%llu old duplicate packet%s\n");
	p2("tcps_rcvpartduppack", "tcps_rcvpartdupbyte",
	   "\t\t%llu packet%s with some dup. data (%llu byte%s duped)\n");
	p2("tcps_rcvoopack", "tcps_rcvoobyte", "\t\t%llu out-of-order packet%s (%llu byte%s)\n");
	p2("tcps_rcvpackafterwin", "tcps_rcvbyteafterwin",
	   "\t\t%llu packet%s (%llu byte%s) of data after window\n");
	p("tcps_rcvwinprobe", "\t\t%llu window probe%s\n");
	p("tcps_rcvwinupd", "\t\t%llu window update packet%s\n");
	p("tcps_rcvafterclose", "\t\t%llu packet%s received after close\n");
	p("tcps_rcvbadsum", "\t\t%llu discarded for bad checksum%s\n");
	p("tcps_rcvbadoff", "\t\t%llu discarded for bad header offset field%s\n");
	p1("tcps_rcvshort", "\t\t%llu discarded because packet too short\n");
	p1("tcps_rcvmemdrop", "\t\t%llu discarded due to memory problems\n");	/* bsdinet */
	p("tcps_noport", "\t\t%llu packet%s for no connection (reset sent)\n");	/* bsdinet */
	p1("tcps_rcvbadflags", "\t\t%llu discarded for flags the state does not take\n");	/* bsdinet */
	p("tcps_connattempt", "\t%llu connection request%s\n");
	p("tcps_accepts", "\t%llu connection accept%s\n");
	p("tcps_badsyn", "\t%llu bad connection attempt%s\n");	/* bsdinet */
	p("tcps_listendrop", "\t%llu listen queue overflow%s\n");	/* bsdinet */
	p("tcps_connects", "\t%llu connection%s established (including accepts)\n");
	p2("tcps_closed", "tcps_drops", "\t%llu connection%s closed (including %llu drop%s)\n");
	p("tcps_conndrops", "\t%llu embryonic connection%s dropped\n");
	p2("tcps_rttupdated", "tcps_segstimed", "\t%llu segment%s updated rtt (of %llu attempt%s)\n");
	p("tcps_rexmttimeo", "\t%llu retransmit timeout%s\n");
	p("tcps_timeoutdrop", "\t\t%llu connection%s dropped by rexmit timeout\n");
	p("tcps_persisttimeo", "\t%llu persist timeout%s\n");
	p("tcps_persistdrop", "\t\t%llu connection%s dropped by persist timeout\n");	/* Net/3 */
	p("tcps_keeptimeo", "\t%llu keepalive timeout%s\n");
	p("tcps_keepprobe", "\t\t%llu keepalive probe%s sent\n");
	p("tcps_keepdrops", "\t\t%llu connection%s dropped by keepalive\n");
	p("tcps_predack", "\t%llu correct ACK header prediction%s\n");
	p("tcps_preddat", "\t%llu correct data packet header prediction%s\n");
	p3("tcps_pcbcachemiss", "\t%llu cache miss%s\n");
	free(c.text);
}

static void udp_stats(void)
{
	struct counters c = counters("udp");
	unsigned long long in = get(&c, "udps_ipackets"), bad;

	printf("udp:\n");
	p("udps_ipackets", "\t%llu datagram%s received\n");
	p1("udps_hdrops", "\t%llu with incomplete header\n");
	p1("udps_badlen", "\t%llu with bad data length field\n");
	p1("udps_badsum", "\t%llu with bad checksum\n");
	p1("udps_noport", "\t%llu dropped due to no socket\n");
	p("udps_noportbcast", "\t%llu broadcast/multicast datagram%s dropped due to no socket\n");
	p1("udps_fullsock", "\t%llu dropped due to full socket buffers\n");
	bad = get(&c, "udps_hdrops") + get(&c, "udps_badlen") + get(&c, "udps_badsum") +
	      get(&c, "udps_noport") + get(&c, "udps_noportbcast") + get(&c, "udps_fullsock");
	in = in > bad ? in - bad : 0;
	if (in || sflag <= 1)
		printf("\t%llu delivered\n", in);
	p("udps_opackets", "\t%llu datagram%s output\n");
	free(c.text);
}

/* 4.4BSD's igmp_stats(). */
static void igmp_stats(void)
{
	struct counters c = counters("igmp");

	printf("igmp:\n");
	p("igps_rcv_total", "\t%llu message%s received\n");
	p("igps_rcv_tooshort", "\t%llu message%s received with too few bytes\n");
	p("igps_rcv_badsum", "\t%llu message%s received with bad checksum\n");
	py("igps_rcv_queries", "\t%llu membership quer%s received\n");
	py("igps_rcv_badqueries", "\t%llu membership quer%s received with invalid field(s)\n");
	p("igps_rcv_reports", "\t%llu membership report%s received\n");
	p("igps_rcv_badreports", "\t%llu membership report%s received with invalid field(s)\n");
	p("igps_rcv_ourreports", "\t%llu membership report%s received for groups to which we belong\n");
	p("igps_snd_reports", "\t%llu membership report%s sent\n");
	/* bsdinet's: RFC 2236 and unknown types. */
	py("igps_rcv_v2queries", "\t%llu version 2 quer%s received\n");
	p("igps_snd_leaves", "\t%llu leave message%s sent\n");
	p("igps_rcv_unknown", "\t%llu message%s of unknown type received\n");
	free(c.text);
}

static void ip_stats(void)
{
	struct counters c = counters("ip");

	printf("ip:\n");
	p("ips_total", "\t%llu total packet%s received\n");
	p("ips_badsum", "\t%llu bad header checksum%s\n");
	p1("ips_toosmall", "\t%llu with size smaller than minimum\n");
	p1("ips_tooshort", "\t%llu with data size < data length\n");
	p1("ips_toolong", "\t%llu with ip length > max ip packet size\n");
	p1("ips_badhlen", "\t%llu with header length < data size\n");
	p1("ips_badlen", "\t%llu with data length < header length\n");
	p1("ips_badoptions", "\t%llu with bad options\n");
	p1("ips_badvers", "\t%llu with incorrect version number\n");
	p("ips_fragments", "\t%llu fragment%s received\n");
	p("ips_fragdropped", "\t%llu fragment%s dropped (dup or out of space)\n");
	p("ips_badfrags", "\t%llu malformed fragment%s dropped\n");
	p("ips_fragtimeout", "\t%llu fragment%s dropped after timeout\n");
	p("ips_reassembled", "\t%llu packet%s reassembled ok\n");
	p("ips_delivered", "\t%llu packet%s for this host\n");
	p("ips_noproto", "\t%llu packet%s for unknown/unsupported protocol\n");
	p("ips_forward", "\t%llu packet%s forwarded\n");
	p("ips_cantforward", "\t%llu packet%s not forwardable\n");
	p("ips_redirectsent", "\t%llu redirect%s sent\n");
	p("ips_localout", "\t%llu packet%s sent from this host\n");
	p("ips_rawout", "\t%llu packet%s sent with fabricated ip header\n");
	p("ips_odropped", "\t%llu output packet%s dropped due to no bufs, etc.\n");
	p("ips_noroute", "\t%llu output packet%s discarded due to no route\n");
	p("ips_fragmented", "\t%llu output datagram%s fragmented\n");
	p("ips_ofragments", "\t%llu fragment%s created\n");
	p("ips_cantfrag", "\t%llu datagram%s that can't be fragmented\n");
	free(c.text);
}

#define ICMP_MAXTYPE 18

static const char *const icmpnames[ICMP_MAXTYPE + 1] = {
	"echo reply", "#1", "#2", "destination unreachable", "source quench",
	"routing redirect", "#6", "#7", "echo", "#9", "#10", "time exceeded",
	"parameter problem", "time stamp", "time stamp reply",
	"information request", "information request reply",
	"address mask request", "address mask reply",
};

static void icmp_hist(const struct counters *c, const char *hist, const char *title)
{
	int first = 1;

	for (int i = 0; i <= ICMP_MAXTYPE; i++) {
		unsigned long long v = geti(c, hist, i);

		if (!v)
			continue;
		if (first) {
			printf("\t%s histogram:\n", title);
			first = 0;
		}
		printf("\t\t%s: %llu\n", icmpnames[i], v);
	}
}

static void icmp_stats(void)
{
	struct counters c = counters("icmp");

	printf("icmp:\n");
	p("icps_error", "\t%llu call%s to icmp_error\n");
	p("icps_oldicmp", "\t%llu error%s not generated 'cuz old message was icmp\n");
	icmp_hist(&c, "icps_outhist", "Output");
	p("icps_badcode", "\t%llu message%s with bad code fields\n");
	p("icps_tooshort", "\t%llu message%s < minimum length\n");
	p("icps_checksum", "\t%llu bad checksum%s\n");
	p("icps_badlen", "\t%llu message%s with bad length\n");
	icmp_hist(&c, "icps_inhist", "Input");
	p("icps_reflect", "\t%llu message response%s generated\n");
	free(c.text);
}

/* 4.4BSD's mrt_stats(). */
static void mrt_stats(void)
{
	struct counters c = counters("mrt");

	printf("multicast forwarding:\n");
	p("mrts_mfc_lookups", "\t%llu multicast forwarding cache lookup%s\n");
	p("mrts_mfc_misses", "\t%llu multicast forwarding cache miss%s\n");
	p("mrts_upcalls", "\t%llu upcall%s to mrouted\n");
	p("mrts_upq_ovflw", "\t%llu upcall queue overflow%s\n");
	p("mrts_upq_sockfull", "\t%llu upcall%s dropped due to full socket buffer\n");
	p("mrts_cache_cleanups", "\t%llu cache cleanup%s\n");
	p("mrts_no_route", "\t%llu datagram%s with no route for origin\n");
	p("mrts_bad_tunnel", "\t%llu datagram%s arrived with bad tunneling\n");
	p("mrts_cant_tunnel", "\t%llu datagram%s could not be tunneled\n");
	p("mrts_wrong_if", "\t%llu datagram%s arrived on wrong interface\n");
	p("mrts_drop_sel", "\t%llu datagram%s selectively dropped\n");
	p("mrts_q_overflow", "\t%llu datagram%s dropped due to queue overflow\n");
	p("mrts_pkt2large", "\t%llu datagram%s dropped for being too large\n");
	p("mrts_ttl_thresh", "\t%llu datagram%s below the TTL threshold (bsdinet)\n");
	free(c.text);
}

#undef p
#undef p1
#undef p2
#undef p2a
#undef p3
#undef py

/* Whether -p allows protocol `name`. */
static int wanted(const char *name)
{
	return !pflag || !strcmp(pflag, name);
}

static void stats(void)
{
	/* 4.4BSD's order: tcp, udp, ip, icmp, igmp. */
	if (wanted("tcp"))
		tcp_stats();
	if (wanted("udp"))
		udp_stats();
	if (wanted("ip"))
		ip_stats();
	if (wanted("icmp"))
		icmp_stats();
	if (wanted("igmp"))
		igmp_stats();
}

/* ---- netstat -g: group memberships, and multicast routing ---- */

/* The vif table and the forwarding cache (4.4BSD's mroutepr()), when
 * the stack has them. */
static void mroutepr(void)
{
	struct table v, m;
	char path[256];

	snprintf(path, sizeof(path), "%s/vif", procdir);
	if (access(path, F_OK))
		return;
	v = table("vif");
	printf("\nVirtual Interface Table\n Vif   Thresh   Rate_limit   Local-Address   Remote-Address   Pkts_in   Pkts_out\n");
	for (int r = 0; r < v.nrow; r++)
		printf(" %3s   %6s   %10s   %-15s %-15s  %8s   %8s\n", field(&v, r, "vif"),
		       field(&v, r, "threshold"), field(&v, r, "rate_limit"), field(&v, r, "local"),
		       field(&v, r, "remote"), field(&v, r, "pkt_in"), field(&v, r, "pkt_out"));
	if (!v.nrow)
		printf(" (no vifs)\n");
	m = table("mfc");
	printf("\nMulticast Forwarding Cache\n Origin          Group            Parent   Pkts   Waiting   TTLs\n");
	for (int r = 0; r < m.nrow; r++)
		printf(" %-15s %-15s  %6s %6s %9s   %s\n", field(&m, r, "origin"), field(&m, r, "group"),
		       field(&m, r, "parent"), field(&m, r, "pkt_cnt"), field(&m, r, "waiting"),
		       field(&m, r, "ttls"));
	if (!m.nrow)
		printf(" (no entries)\n");
	free(v.text);
	free(v.row);
	free(m.text);
	free(m.row);
}

static void mcastpr(void)
{
	struct table t = table("mcast");
	struct table e = table("ether_multi");

	printf("Group Memberships\n%-8s %-15s %5s %5s\n", "Iface", "Group", "Refs", "Timer");
	for (int r = 0; r < t.nrow; r++)
		printf("%-8s %-15s %5s %5s\n", field(&t, r, "interface"), field(&t, r, "group"),
		       field(&t, r, "refcount"), field(&t, r, "timer"));
	printf("\nLink-layer Multicast Addresses\n%-8s %-17s %-17s %5s\n", "Iface", "Low",
	       "High", "Refs");
	for (int r = 0; r < e.nrow; r++)
		printf("%-8s %-17s %-17s %5s\n", field(&e, r, "interface"), field(&e, r, "addrlo"),
		       field(&e, r, "addrhi"), field(&e, r, "refcount"));
	free(t.text);
	free(t.row);
	free(e.text);
	free(e.row);
	mroutepr();
}

/* ---- netstat [-a]: the sockets ---- */

static void protopr(void)
{
	struct table t = table("pcb");
	char local[40], foreign[40];
	int first = 1;

	for (int r = 0; r < t.nrow; r++) {
		const char *proto = field(&t, r, "proto"), *state = field(&t, r, "state");

		if (!wanted(proto))
			continue;
		/* Servers only with -a: a wildcard local address (4.4BSD), or
		 * a TCP listener (later BSDs). */
		if (!aflag && (!strncmp(field(&t, r, "local"), "0.0.0.0:", 8) ||
			       !strcmp(state, "LISTEN")))
			continue;
		if (first) {
			printf("Active Internet connections%s\n", aflag ? " (including servers)" : "");
			if (Aflag)
				printf("%-8.8s ", "TCB");
			printf("%-5.5s %-6.6s %-6.6s  %-22.22s %-22.22s %s\n", "Proto", "Recv-Q",
			       "Send-Q", "Local Address", "Foreign Address", "(state)");
			first = 0;
		}
		inetprint(local, sizeof(local), field(&t, r, "local"));
		inetprint(foreign, sizeof(foreign), field(&t, r, "foreign"));
		if (Aflag)
			printf("%-8.8s ", *field(&t, r, "tcb") ? field(&t, r, "tcb") : "-");
		printf("%-5.5s %6llu %6llu  %-22.22s ", proto, num(&t, r, "recvq"),
		       num(&t, r, "sendq"), local);
		/* The TCP state; UDP and raw sockets have none ("-"). */
		if (*state && strcmp(state, "-"))
			printf("%-22.22s %s\n", foreign, state);
		else
			printf("%.22s\n", foreign);
	}
	free(t.row);
	free(t.text);
}

/* ---- netstat -i ---- */

#define IFF_UP 0x1

static void intpr(void)
{
	struct table t = table("if");

	printf("%-5.5s %-5.5s %-11.11s %-15.15s %8.8s %5.5s %8.8s %5.5s %5s\n", "Name", "Mtu",
	       "Network", "Address", "Ipkts", "Ierrs", "Opkts", "Oerrs", "Coll");
	for (int r = 0; r < t.nrow; r++) {
		char name[32], addrs[1024], *save, *a;
		const char *list = field(&t, r, "addrs");
		int none = !*list || !strcmp(list, "-");

		snprintf(name, sizeof(name), "%s%s", field(&t, r, "name"),
			 num(&t, r, "flags") & IFF_UP ? "" : "*");
		snprintf(addrs, sizeof(addrs), "%s", none ? "none/0" : list);
		/* One line per address, as 4.4BSD; "none" when it has none. */
		for (a = strtok_r(addrs, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
			char net[40] = "none", host[20] = "none";
			char *slash = strchr(a, '/');

			if (!none && slash) {
				uint32_t addr, mask;

				*slash = '\0';
				addr = parse_addr(a);
				mask = parse_addr(slash + 1);
				netname(net, sizeof(net), addr, mask);
				dotted(host, sizeof(host), addr);
			}
			printf("%-5.5s %-5llu %-11.11s %-15.15s %8llu %5llu %8llu %5llu %5llu\n",
			       name, num(&t, r, "mtu"), net, host, num(&t, r, "ipackets"),
			       num(&t, r, "ierrors"), num(&t, r, "opackets"), num(&t, r, "oerrors"),
			       num(&t, r, "collisions"));
		}
	}
	free(t.row);
	free(t.text);
}

/* ---- netstat -m ---- */

static const struct {
	int type;
	const char *name;
} mbtypes[] = {
	{ 1, "data" },
	{ 15, "oob data" },
	{ 14, "ancillary data" },
	{ 2, "packet headers" },
	{ 3, "socket structures" },
	{ 4, "protocol control blocks" },
	{ 5, "routing table entries" },
	{ 6, "IMP host table entries" },
	{ 7, "address resolution tables" },
	{ 11, "fragment reassembly queue headers" },
	{ 8, "socket names and addresses" },
	{ 10, "socket options" },
	{ 12, "access rights" },
	{ 13, "interface addresses" },
};

#define MT_NTYPES 16

static void mbpr(void)
{
	struct counters c = counters("mbuf");
	unsigned long long mbufs = get(&c, "m_mbufs"), clusters = get(&c, "m_clusters");
	unsigned long long msize = get(&c, "MSIZE"), mclbytes = get(&c, "MCLBYTES"), totmem;
	int seen[MT_NTYPES] = { [0] = 1 };

	printf("%llu mbufs in use:\n", mbufs);
	for (size_t i = 0; i < sizeof(mbtypes) / sizeof(mbtypes[0]); i++) {
		unsigned long long v = geti(&c, "m_mtypes", mbtypes[i].type);

		seen[mbtypes[i].type] = 1;
		if (v)
			printf("\t%llu mbufs allocated to %s\n", v, mbtypes[i].name);
	}
	for (int i = 0; i < MT_NTYPES; i++) {
		unsigned long long v = geti(&c, "m_mtypes", i);

		if (!seen[i] && v)
			printf("\t%llu mbufs allocated to <mbuf type %d>\n", v, i);
	}
	/* Clusters are freed at once, so all of those mapped are in use. */
	printf("%llu/%llu mapped pages in use\n", clusters, clusters);
	totmem = mbufs * msize + clusters * mclbytes;
	printf("%llu Kbytes allocated to network (%d%% in use)\n", totmem / 1024,
	       totmem ? 100 : 0);
	printf("%llu requests for memory denied\n", get(&c, "m_drops"));
	printf("%llu requests for memory delayed\n", get(&c, "m_wait"));
	printf("%llu calls to protocol drain routines\n", get(&c, "m_drain"));
	printf("%llu calls to m_pullup failed\n", get(&c, "mpfail"));
	printf("%llu calls to m_copym failed\n", get(&c, "mcfail"));
	free(c.text);
}

/* ---- netstat -r ---- */

static void p_flags(char *buf, unsigned long f)
{
	static const struct {
		unsigned long bit;
		char c;
	} bits[] = {
		{ 0x1, 'U' }, { 0x2, 'G' }, { 0x4, 'H' }, { 0x8, 'R' },
		{ 0x10, 'D' }, { 0x20, 'M' }, { 0x40, 'd' }, { 0x100, 'C' },
		{ 0x200, 'X' }, { 0x400, 'L' }, { 0x800, 'S' }, { 0x1000, 'B' },
		{ 0x8000, '1' }, { 0x4000, '2' },
	};

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (f & bits[i].bit)
			*buf++ = bits[i].c;
	*buf = '\0';
}

/* The routing table from a routing socket's dump (NET_RT_DUMP), as 4.4BSD's
 * netstat reads it with sysctl. */
static void routepr(void)
{
	int s = rt_socket("netstat");
	struct rt_ifnames names;
	size_t len = 0;
	char *buf = rt_dump(s, BSDINET_NET_RT_DUMP, 0, &len);

	if (!buf) {
		fprintf(stderr, "netstat: route dump: %s\n", strerror(errno));
		exit(1);
	}
	rt_ifnames(s, &names);
	close(s);
	printf("Routing tables\n\nInternet:\n");
	printf("%-16.16s %-18.18s %-6.6s %8.8s  %s\n", "Destination", "Gateway", "Flags", "Use",
	       "Interface");
	for (size_t off = 0; off + sizeof(struct bsdinet_rt_msghdr) <= len;) {
		struct bsdinet_rt_msghdr *rtm = (void *)(buf + off);
		struct rt_addrs info;
		uint32_t dst, mask;
		char dbuf[40], gbuf[24], flags[20];
		const char *ifn;

		if (rtm->rtm_msglen < sizeof(*rtm) || off + rtm->rtm_msglen > len)
			break;
		off += rtm->rtm_msglen;
		if (rt_xaddrs(rtm, rtm->rtm_msglen, &info) || !info.sa[0])
			continue;
		dst = rt_inaddr(info.sa[0]);
		/* No mask: a host route. */
		mask = info.sa[2] ? rt_inaddr(info.sa[2]) : 0xffffffff;
		if (mask == 0xffffffff)
			dotted(dbuf, sizeof(dbuf), dst);
		else if (!dst && !mask)
			strcpy(dbuf, "default");
		else
			netname(dbuf, sizeof(dbuf), dst, mask);
		rt_saname(gbuf, sizeof(gbuf), info.sa[1]);
		p_flags(flags, rtm->rtm_flags);
		ifn = rt_ifname(&names, rtm->rtm_index);
		printf("%-16.16s %-18.18s %-6.6s %8u  %s\n", dbuf, gbuf, flags,
		       (unsigned int)rtm->rtm_use, ifn ? ifn : "-");
	}
	free(buf);
}

int main(int argc, char **argv)
{
	const char *env = getenv("BSDINET_PROCDIR");
	int c;

	while ((c = getopt(argc, argv, "aAgimnp:rs")) != -1) {
		switch (c) {
		case 'a': aflag = 1; break;
		case 'A': Aflag = 1; break;
		case 'g': gflag = 1; break;
		case 'i': iflag = 1; break;
		case 'm': mflag = 1; break;
		case 'n': break;
		case 'p': pflag = optarg; break;
		case 'r': rflag = 1; break;
		case 's': sflag++; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (pflag && strcmp(pflag, "tcp") && strcmp(pflag, "udp") && strcmp(pflag, "ip") &&
	    strcmp(pflag, "icmp") && strcmp(pflag, "igmp") && strcmp(pflag, "raw")) {
		fprintf(stderr, "netstat: %s: unknown or uninstrumented protocol\n", pflag);
		exit(2);
	}
	if (env && *env)
		procdir = env;
	if (access(procdir, F_OK)) {
		if (errno == ENOENT)
			fprintf(stderr, "netstat: bsdinet is not loaded (no %s)\n", procdir);
		else
			fprintf(stderr, "netstat: %s: %s\n", procdir, strerror(errno));
		exit(1);
	}
	if (gflag && sflag)
		mrt_stats();
	else if (gflag)
		mcastpr();
	else if (mflag)
		mbpr();
	else if (iflag)
		intpr();
	else if (rflag)
		routepr();
	else if (sflag)
		stats();
	else
		protopr();
	return fflush(stdout) ? 1 : 0;
}
