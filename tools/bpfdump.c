// SPDX-License-Identifier: GPL-2.0
/*
 * bpfdump: capture on a bsdinet interface through /dev/bsdbpf (the BSD
 * packet filter of the book's chapter 31), as tcpdump does on BSD.
 *
 *	bpfdump -i IF [-w FILE] [-c COUNT] [-s SNAPLEN] [-B BUFSIZE] [-t MS]
 *		[-U] [-p] [-d] [EXPRESSION]
 *
 * The expression is compiled by libpcap (pcap_open_dead for the
 * interface's link type, pcap_compile) and installed with BIOCSETF, so
 * the kernel's bpf_filter runs it. -w writes a pcap file (tcpdump and
 * tshark read it); otherwise one line per packet. -c stops after COUNT
 * packets, -s keeps SNAPLEN bytes of each, -B sets the buffer size, -t
 * the read timeout (ms, default 100), -U immediate mode, -p promiscuous
 * mode, -d prints the compiled program and exits. At the end it prints
 * what BIOCGSTATS says, as tcpdump does: packets received by the filter
 * and dropped for want of buffer space. SIGINT and SIGTERM end it.
 *
 * DLT_SLIP: libpcap's code for it tests the IP version at the start of
 * the link header, where BSD's SLIP header has its direction byte, so
 * no IP expression would ever match. bpfdump compiles for DLT_RAW and
 * moves every packet load past the 16-byte SLIP header instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/bsdinet.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: bpfdump -i IF [-w FILE] [-c COUNT] [-s SNAPLEN] [-B BUFSIZE] "
			"[-t MS] [-U] [-p] [-d] [EXPRESSION]\n");
	exit(2);
}

static void die(const char *what)
{
	fprintf(stderr, "bpfdump: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned short get16(const unsigned char *p)
{
	return (unsigned short)(p[0] << 8 | p[1]);
}

/* One line for a packet: time, direction (SLIP), and what the IP is. */
static void summary(unsigned int dlt, const struct bsdinet_bpf_hdr *h, const unsigned char *p)
{
	unsigned int len = h->bh_caplen, off = 0;
	char tbuf[32];
	time_t t = h->bh_sec;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	printf("%s.%06u ", tbuf, h->bh_usec);
	switch (dlt) {
	case BSDINET_DLT_NULL:
		off = 4;
		break;
	case BSDINET_DLT_SLIP:
		if (len >= 16) {
			unsigned char c = p[1] & 0xf0;
			printf("%s %s ", p[0] == BSDINET_SLIPDIR_IN ? "I" : "O",
			       c & 0x80 ? "ctcp" : c == 0x70 ? "utcp" : "ip");
		}
		off = 16;
		break;
	case BSDINET_DLT_EN10MB:
		if (len >= 14) {
			printf("%02x:%02x:%02x:%02x:%02x:%02x > %02x:%02x:%02x:%02x:%02x:%02x ",
			       p[6], p[7], p[8], p[9], p[10], p[11], p[0], p[1], p[2], p[3], p[4], p[5]);
			if (get16(p + 12) != 0x0800) {
				printf("ethertype 0x%04x, length %u\n", get16(p + 12), h->bh_datalen);
				return;
			}
		}
		off = 14;
		break;
	}
	if (len < off + 20 || (p[off] >> 4) != 4) {
		printf("length %u\n", h->bh_datalen);
		return;
	}
	const unsigned char *ip = p + off;
	unsigned int hl = (ip[0] & 0xf) * 4;
	char src[16], dst[16];

	snprintf(src, sizeof(src), "%u.%u.%u.%u", ip[12], ip[13], ip[14], ip[15]);
	snprintf(dst, sizeof(dst), "%u.%u.%u.%u", ip[16], ip[17], ip[18], ip[19]);
	const unsigned char *l4 = ip + hl;
	int have4 = len >= off + hl + 4;

	switch (ip[9]) {
	case 1:
		if (have4)
			printf("IP %s > %s: ICMP %s, length %u\n", src, dst,
			       l4[0] == 8 ? "echo request" : l4[0] == 0 ? "echo reply" : "type",
			       get16(ip + 2) - hl);
		else
			printf("IP %s > %s: ICMP\n", src, dst);
		return;
	case 6:
	case 17:
		if (have4)
			printf("IP %s.%u > %s.%u: %s, length %u\n", src, get16(l4), dst, get16(l4 + 2),
			       ip[9] == 6 ? "TCP" : "UDP", get16(ip + 2) - hl);
		else
			printf("IP %s > %s: proto %u\n", src, dst, ip[9]);
		return;
	default:
		printf("IP %s > %s: proto %u, length %u\n", src, dst, ip[9], get16(ip + 2));
	}
}

int main(int argc, char **argv)
{
	const char *ifname = NULL, *wfile = NULL;
	long count = -1, captured = 0;
	int snaplen = 65535, bufsize = 32768, tmo_ms = 100, immediate = 0, promisc = 0, dump = 0;
	int c;

	while ((c = getopt(argc, argv, "i:w:c:s:B:t:Upd")) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 'w': wfile = optarg; break;
		case 'c': count = atol(optarg); break;
		case 's': snaplen = atoi(optarg); break;
		case 'B': bufsize = atoi(optarg); break;
		case 't': tmo_ms = atoi(optarg); break;
		case 'U': immediate = 1; break;
		case 'p': promisc = 1; break;
		case 'd': dump = 1; break;
		default: usage();
		}
	}
	if (!ifname)
		usage();
	/* The expression: the remaining words, joined. */
	char expr[4096] = "";
	for (int i = optind; i < argc; i++) {
		if (strlen(expr) + strlen(argv[i]) + 2 > sizeof(expr)) {
			fprintf(stderr, "bpfdump: expression too long\n");
			return 2;
		}
		if (i > optind)
			strcat(expr, " ");
		strcat(expr, argv[i]);
	}

	int fd = open(BSDINET_BPF_DEVICE, O_RDWR);
	if (fd < 0)
		die(BSDINET_BPF_DEVICE);
	__u32 blen = (__u32)bufsize;
	if (ioctl(fd, BSDINET_BIOCSBLEN, &blen) < 0)
		die("BIOCSBLEN");
	struct bsdinet_ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.bifr_name, sizeof(ifr.bifr_name), "%s", ifname);
	if (ioctl(fd, BSDINET_BIOCSETIF, &ifr) < 0)
		die(ifname);
	__u32 dlt;
	if (ioctl(fd, BSDINET_BIOCGDLT, &dlt) < 0)
		die("BIOCGDLT");

	/* Compile for the link type; SLIP as raw IP, moved (see above). */
	int pdlt = dlt == BSDINET_DLT_SLIP ? DLT_RAW : (int)dlt;
	pcap_t *dead = pcap_open_dead(pdlt, snaplen);
	struct bpf_program prog;
	if (!dead || pcap_compile(dead, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		fprintf(stderr, "bpfdump: %s\n", dead ? pcap_geterr(dead) : "pcap_open_dead failed");
		return 2;
	}
	if (dlt == BSDINET_DLT_SLIP) {
		for (unsigned int i = 0; i < prog.bf_len; i++) {
			struct bpf_insn *p = &prog.bf_insns[i];
			int cls = BPF_CLASS(p->code), mode = BPF_MODE(p->code);
			if ((cls == BPF_LD && (mode == BPF_ABS || mode == BPF_IND)) ||
			    (cls == BPF_LDX && mode == BPF_MSH))
				p->k += 16;
		}
	}
	if (dump) {
		bpf_dump(&prog, 1);
		return 0;
	}
	struct bsdinet_bpf_program bp = {
		.bf_len = prog.bf_len,
		.bf_insns = (struct bsdinet_bpf_insn *)prog.bf_insns,
	};
	if (ioctl(fd, BSDINET_BIOCSETF, &bp) < 0)
		die("BIOCSETF");
	if (immediate && ioctl(fd, BSDINET_BIOCIMMEDIATE, &(__u32){ 1 }) < 0)
		die("BIOCIMMEDIATE");
	if (promisc && ioctl(fd, BSDINET_BIOCPROMISC) < 0)
		die("BIOCPROMISC");
	struct bsdinet_bpf_timeval tv = { tmo_ms / 1000, (tmo_ms % 1000) * 1000 };
	if (ioctl(fd, BSDINET_BIOCSRTIMEOUT, &tv) < 0)
		die("BIOCSRTIMEOUT");

	pcap_dumper_t *pd = NULL;
	pcap_t *out = NULL;
	if (wfile) {
		out = pcap_open_dead((int)dlt, snaplen);
		pd = out ? pcap_dump_open(out, wfile) : NULL;
		if (!pd) {
			fprintf(stderr, "bpfdump: %s: %s\n", wfile, out ? pcap_geterr(out) : "?");
			return 1;
		}
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "bpfdump: listening on %s, link-type %u, buffer %u bytes\n", ifname, dlt, blen);

	unsigned char *buf = malloc(blen);
	int rc = 0;
	if (!buf)
		die("malloc");
	while (!stop && (count < 0 || captured < count)) {
		ssize_t n = read(fd, buf, blen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "bpfdump: read: %s\n", strerror(errno));
			rc = 1;
			break;
		}
		ssize_t off = 0;
		while (off + (ssize_t)sizeof(struct bsdinet_bpf_hdr) <= n &&
		       (count < 0 || captured < count)) {
			struct bsdinet_bpf_hdr h;
			memcpy(&h, buf + off, sizeof(h));
			const unsigned char *p = buf + off + h.bh_hdrlen;
			if (off + h.bh_hdrlen + h.bh_caplen > n)
				break;
			if (pd) {
				struct pcap_pkthdr ph = {
					.ts = { h.bh_sec, h.bh_usec },
					.caplen = h.bh_caplen,
					.len = h.bh_datalen,
				};
				pcap_dump((u_char *)pd, &ph, p);
			} else {
				summary(dlt, &h, p);
			}
			captured++;
			off += BSDINET_BPF_WORDALIGN(h.bh_hdrlen + h.bh_caplen);
		}
		if (pd)
			pcap_dump_flush(pd);
		else
			fflush(stdout);
	}
	struct bsdinet_bpf_stat st = { 0, 0 };
	ioctl(fd, BSDINET_BIOCGSTATS, &st);
	if (pd)
		pcap_dump_close(pd);
	fprintf(stderr, "%ld packets captured\n%u packets received by filter\n"
			"%u packets dropped by kernel\n", captured, st.bs_recv, st.bs_drop);
	close(fd);
	return rc;
}
