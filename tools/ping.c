// SPDX-License-Identifier: GPL-2.0
/*
 * ping for bsdinet, in the manner of 4.4BSD's: ICMP echo requests over a
 * raw AF_BSDINET socket, replies timed and counted.
 *
 *	ping [-c count] [-i wait] [-s size] [-t ttl] [-W timeout] [-R] [-q] host
 *
 * -R asks for the record-route option (IP_OPTIONS) and prints the route
 * each reply carries. Exit status: 0 when a reply came, 1 when none did,
 * 2 on an error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/bsdinet.h>

#define MAXPACKET 65507

static double now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0;
}

static unsigned short cksum(const void *p, size_t len)
{
	const unsigned char *b = p;
	unsigned long sum = 0;

	for (; len > 1; len -= 2, b += 2)
		sum += (b[0] << 8) | b[1];
	if (len)
		sum += b[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

static void usage(void)
{
	fprintf(stderr, "usage: ping [-c count] [-i wait] [-s size] [-t ttl] [-W timeout] [-R] [-q] host\n");
	exit(2);
}

/* Prints the record-route option of a reply's header, if it has one. */
static void print_rr(const unsigned char *opt, int len)
{
	for (int i = 0; i < len;) {
		int type = opt[i], olen;

		if (type == IPOPT_EOL)
			break;
		if (type == IPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len || (olen = opt[i + 1]) < 2 || i + olen > len)
			break;
		if (type == IPOPT_RR) {
			int ptr = opt[i + 2];

			printf("RR:");
			for (int j = 3; j + 4 <= olen && j + 1 < ptr; j += 4) {
				struct in_addr a;

				memcpy(&a, opt + i + j, 4);
				printf("\t%s\n", inet_ntoa(a));
			}
			if (ptr > olen)
				printf("\t(route full)\n");
		}
		i += olen;
	}
}

int main(int argc, char **argv)
{
	long count = -1, size = 56, ttl = -1;
	double wait_s = 1, timeout_s = 0;
	int rr = 0, quiet = 0, c;

	while ((c = getopt(argc, argv, "c:i:s:t:W:Rq")) != -1) {
		switch (c) {
		case 'c': count = strtol(optarg, NULL, 0); break;
		case 'i': wait_s = strtod(optarg, NULL); break;
		case 's': size = strtol(optarg, NULL, 0); break;
		case 't': ttl = strtol(optarg, NULL, 0); break;
		case 'W': timeout_s = strtod(optarg, NULL); break;
		case 'R': rr = 1; break;
		case 'q': quiet = 1; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || size < 0 || size > MAXPACKET - 8 || wait_s < 0)
		usage();

	struct sockaddr_in to = { .sin_family = AF_BSDINET };
	if (inet_pton(AF_INET, argv[optind], &to.sin_addr) != 1) {
		fprintf(stderr, "ping: %s: not an IPv4 address\n", argv[optind]);
		return 2;
	}
	int s = socket(AF_BSDINET, SOCK_RAW, IPPROTO_ICMP);
	if (s < 0) {
		perror("ping: socket");
		return 2;
	}
	if (rr) {
		/* NOP, then RR with room for 9 addresses: 40 bytes in all. */
		unsigned char opt[40] = { IPOPT_NOP, IPOPT_RR, 39, 4 };

		if (setsockopt(s, IPPROTO_IP, IP_OPTIONS, opt, sizeof(opt)) < 0) {
			perror("ping: record route");
			return 2;
		}
	}
	if (ttl >= 0 && setsockopt(s, IPPROTO_IP, IP_TTL, &(int){ ttl }, sizeof(int)) < 0) {
		perror("ping: IP_TTL");
		return 2;
	}
	int rcvbuf = 2 * (MAXPACKET + 100);
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(s, SOL_SOCKET, SO_SNDBUF, &rcvbuf, sizeof(rcvbuf));

	unsigned short ident = getpid() & 0xffff;
	static unsigned char out[MAXPACKET], in[MAXPACKET + 128];
	long sent = 0, received = 0;
	double tmin = 1e9, tmax = 0, tsum = 0, start = now_ms();

	printf("PING %s: %ld data bytes\n", argv[optind], size);
	fflush(stdout);
	for (;;) {
		if (count < 0 || sent < count) {
			struct icmphdr *icp = (struct icmphdr *)out;
			double t = now_ms();

			memset(out, 0, 8 + size);
			icp->type = ICMP_ECHO;
			icp->un.echo.id = htons(ident);
			icp->un.echo.sequence = htons(sent);
			if (size >= (long)sizeof(t))
				memcpy(out + 8, &t, sizeof(t));
			for (long i = 8 + sizeof(t); i < 8 + size; i++)
				out[i] = i;
			icp->checksum = cksum(out, 8 + size);
			if (sendto(s, out, 8 + size, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
				perror("ping: sendto");
				return 2;
			}
			sent++;
		}
		/* Collect replies until it is time to send again. */
		double until = now_ms() + wait_s * 1000;
		for (;;) {
			double left = until - now_ms();
			struct pollfd p = { .fd = s, .events = POLLIN };

			if (left <= 0 || poll(&p, 1, (int)left + 1) <= 0)
				break;
			struct sockaddr_in from;
			socklen_t flen = sizeof(from);
			ssize_t n = recvfrom(s, in, sizeof(in), 0, (struct sockaddr *)&from, &flen);

			if (n < 0) {
				perror("ping: recvfrom");
				continue;
			}
			int hlen = (in[0] & 0x0f) * 4;
			if (n < hlen + 8)
				continue;
			struct icmphdr *icp = (struct icmphdr *)(in + hlen);
			if (icp->type != ICMP_ECHOREPLY || ntohs(icp->un.echo.id) != ident)
				continue;
			double t0, rtt = 0;
			if (n - hlen - 8 >= (ssize_t)sizeof(t0)) {
				memcpy(&t0, in + hlen + 8, sizeof(t0));
				rtt = now_ms() - t0;
			}
			received++;
			tsum += rtt;
			tmin = rtt < tmin ? rtt : tmin;
			tmax = rtt > tmax ? rtt : tmax;
			if (!quiet) {
				printf("%zd bytes from %s: icmp_seq=%u ttl=%u time=%.3f ms\n",
				       n - hlen, inet_ntoa(from.sin_addr),
				       ntohs(icp->un.echo.sequence), in[8], rtt);
				if (hlen > 20)
					print_rr(in + 20, hlen - 20);
				fflush(stdout);
			}
			if (count >= 0 && received >= count)
				break;
		}
		if (count >= 0 && (received >= count || sent >= count))
			break;
		if (timeout_s > 0 && now_ms() - start >= timeout_s * 1000)
			break;
	}
	printf("\n--- %s ping statistics ---\n", argv[optind]);
	printf("%ld packets transmitted, %ld packets received, %.1f%% packet loss\n", sent,
	       received, sent ? 100.0 * (sent - received) / sent : 0.0);
	if (received)
		printf("round-trip min/avg/max = %.3f/%.3f/%.3f ms\n", tmin, tsum / received, tmax);
	return received ? 0 : 1;
}
