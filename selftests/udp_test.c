// SPDX-License-Identifier: GPL-2.0
/*
 * UDP over bsdinet's lo0 (book chapter 23, with IP output, fragmentation
 * and reassembly of chapters 8-10 and ICMP errors of chapter 11 under it).
 * Runs in the test VM with bsdinet loaded, as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/bsdinet.h>

#include "kselftest_harness.h"
#include "bsdinet_test.h"

#define MAXDGRAM 65507

static int udp(void)
{
	return socket(AF_BSDINET, SOCK_DGRAM, 0);
}

static unsigned short port_of(int s)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(s, (struct sockaddr *)&sin, &len))
		return 0;
	return ntohs(sin.sin_port);
}

FIXTURE(pair) {
	int a, b;
	struct sockaddr_in to;
};

FIXTURE_SETUP(pair)
{
	int big = 2 * (MAXDGRAM + 100);

	self->a = udp();
	self->b = udp();
	ASSERT_LE(0, self->a);
	ASSERT_LE(0, self->b);
	self->to = lo(0);
	ASSERT_EQ(0, bind(self->b, (struct sockaddr *)&self->to, sizeof(self->to)));
	self->to.sin_port = htons(port_of(self->b));
	ASSERT_NE(0, self->to.sin_port);
	/* The book's defaults (9216 and 41600) are too small for 64K. */
	ASSERT_EQ(0, setsockopt(self->a, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big)));
	ASSERT_EQ(0, setsockopt(self->b, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)));
}

FIXTURE_TEARDOWN(pair)
{
	close(self->a);
	close(self->b);
}

/* Every size from 0 to 65507 bytes, checked byte for byte: sizes above
 * lo0's MTU (1536) are fragmented by ip_output and reassembled by
 * ip_reass, and the statistics count each datagram and fragment. */
#define LOMTU 1536
#define FRAGDATA ((LOMTU - 20) & ~7) /* data bytes in each fragment */

TEST_F_TIMEOUT(pair, echo_every_size, 1800)
{
	static unsigned char out[MAXDGRAM + 1], in[MAXDGRAM + 1];
	struct sockaddr_in from;
	socklen_t flen;
	long long frags = 0, fragmented = 0;
	long long ipackets = bsd_stat("udp", "udps_ipackets");
	long long reassembled = bsd_stat("ip", "ips_reassembled");
	long long ofragments = bsd_stat("ip", "ips_ofragments");
	long long fragments = bsd_stat("ip", "ips_fragments");
	long long nfragmented = bsd_stat("ip", "ips_fragmented");

	for (int i = 0; i <= MAXDGRAM; i++)
		out[i] = (i * 7 + (i >> 8)) & 0xff;
	for (int n = 0; n <= MAXDGRAM; n++) {
		out[0] = n & 0xff; /* each datagram differs from the last */
		ASSERT_EQ(n, sendto(self->a, out, n, 0, (struct sockaddr *)&self->to,
				    sizeof(self->to))) TH_LOG("size %d: %s", n, strerror(errno));
		flen = sizeof(from);
		ASSERT_EQ(n, recvfrom(self->b, in, sizeof(in), MSG_DONTWAIT,
				      (struct sockaddr *)&from, &flen)) TH_LOG("size %d: %s", n, strerror(errno));
		ASSERT_EQ(0, memcmp(in, out, n)) TH_LOG("size %d differs", n);
		ASSERT_EQ(AF_BSDINET, from.sin_family);
		ASSERT_EQ(htonl(INADDR_LOOPBACK), from.sin_addr.s_addr);
		ASSERT_EQ(port_of(self->a), ntohs(from.sin_port));
		if (20 + 8 + n > LOMTU) {
			fragmented++;
			frags += (8 + n + FRAGDATA - 1) / FRAGDATA;
		}
	}
	EXPECT_EQ(MAXDGRAM + 1, bsd_stat("udp", "udps_ipackets") - ipackets);
	EXPECT_EQ(fragmented, bsd_stat("ip", "ips_fragmented") - nfragmented);
	EXPECT_EQ(fragmented, bsd_stat("ip", "ips_reassembled") - reassembled);
	EXPECT_EQ(frags, bsd_stat("ip", "ips_ofragments") - ofragments);
	EXPECT_EQ(frags, bsd_stat("ip", "ips_fragments") - fragments);
	/* One byte more than IP can carry. */
	EXPECT_EQ(-1, sendto(self->a, out, MAXDGRAM + 1, 0, (struct sockaddr *)&self->to,
			     sizeof(self->to)));
	EXPECT_EQ(EMSGSIZE, errno);
}

/* A connected socket learns from ICMP port unreachable (udp_ctlinput). */
TEST(connrefused)
{
	int s = udp();
	struct sockaddr_in to = lo(9);
	char c;

	ASSERT_LE(0, s);
	ASSERT_EQ(0, connect(s, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(1, send(s, "x", 1, 0));
	EXPECT_EQ(-1, recv(s, &c, 1, MSG_DONTWAIT));
	EXPECT_EQ(ECONNREFUSED, errno);
	/* The error is reported once. */
	EXPECT_EQ(-1, recv(s, &c, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	/* Sending again fails the same way, on the next call. */
	ASSERT_EQ(1, send(s, "x", 1, 0));
	EXPECT_EQ(-1, send(s, "x", 1, 0));
	EXPECT_EQ(ECONNREFUSED, errno);
	close(s);
}

/* Ephemeral ports are the book's: 1024 to 5000, each one new. */
TEST(ephemeral_ports)
{
	int s[20];
	unsigned short prev = 0;
	struct sockaddr_in to = lo(9);

	for (int i = 0; i < 20; i++) {
		s[i] = udp();
		ASSERT_LE(0, s[i]);
		ASSERT_EQ(0, port_of(s[i]));
		/* sendto binds an unbound socket, as connect does. */
		if (i % 2) {
			ASSERT_EQ(0, sendto(s[i], "", 0, 0, (struct sockaddr *)&to, sizeof(to)));
		} else {
			ASSERT_EQ(0, connect(s[i], (struct sockaddr *)&to, sizeof(to)));
		}
		unsigned short p = port_of(s[i]);
		EXPECT_LE(1024, p);
		EXPECT_GE(5000, p);
		EXPECT_NE(prev, p);
		prev = p;
	}
	for (int i = 0; i < 20; i++)
		close(s[i]);
}

/* EADDRINUSE and the two reuse options (book section 22.7). */
TEST(addrinuse_and_reuse)
{
	int a = udp(), b = udp(), c = udp(), one = 1;
	struct sockaddr_in any = lo(0), l = lo(0);

	any.sin_addr.s_addr = htonl(INADDR_ANY);
	ASSERT_EQ(0, bind(a, (struct sockaddr *)&any, sizeof(any)));
	any.sin_port = l.sin_port = htons(port_of(a));
	EXPECT_EQ(-1, bind(b, (struct sockaddr *)&any, sizeof(any)));
	EXPECT_EQ(EADDRINUSE, errno);
	EXPECT_EQ(-1, bind(b, (struct sockaddr *)&l, sizeof(l)));
	EXPECT_EQ(EADDRINUSE, errno);
	/* SO_REUSEADDR: a specific address beside the wildcard. */
	ASSERT_EQ(0, setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	EXPECT_EQ(0, bind(b, (struct sockaddr *)&l, sizeof(l)));
	/* ... but not the very same address and port twice. */
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	EXPECT_EQ(-1, bind(c, (struct sockaddr *)&l, sizeof(l)));
	EXPECT_EQ(EADDRINUSE, errno);
	close(a);
	close(b);
	close(c);
	/* SO_REUSEPORT on both: full duplicates. */
	a = udp();
	b = udp();
	ASSERT_EQ(0, setsockopt(a, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)));
	ASSERT_EQ(0, setsockopt(b, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)));
	l.sin_port = htons(6000);
	EXPECT_EQ(0, bind(a, (struct sockaddr *)&l, sizeof(l)));
	EXPECT_EQ(0, bind(b, (struct sockaddr *)&l, sizeof(l)));
	/* A privileged port needs CAP_NET_BIND_SERVICE: root has it. */
	c = udp();
	l.sin_port = htons(80);
	EXPECT_EQ(0, bind(c, (struct sockaddr *)&l, sizeof(l)));
	close(a);
	close(b);
	close(c);
}

TEST(nonblocking)
{
	int s = udp();
	char c;
	struct sockaddr_in l = lo(0);

	ASSERT_EQ(0, bind(s, (struct sockaddr *)&l, sizeof(l)));
	EXPECT_EQ(-1, recv(s, &c, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, fcntl(s, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, recv(s, &c, 1, 0));
	EXPECT_EQ(EAGAIN, errno);
	close(s);
}

struct later {
	int s;
	struct sockaddr_in to;
};

static void *send_later(void *arg)
{
	struct later *l = arg;

	usleep(200 * 1000);
	sendto(l->s, "wake", 4, 0, (struct sockaddr *)&l->to, sizeof(l->to));
	return NULL;
}

/* poll and epoll sleep until a datagram arrives, and wake when it does. */
TEST_F(pair, poll_and_epoll_wake)
{
	struct later l = { self->a, self->to };
	struct pollfd p = { .fd = self->b, .events = POLLIN };
	struct epoll_event ev = { .events = EPOLLIN }, got;
	pthread_t t;
	char buf[8];

	EXPECT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, send_later, &l));
	EXPECT_EQ(1, poll(&p, 1, 5000));
	EXPECT_EQ(POLLIN, p.revents);
	pthread_join(t, NULL);
	EXPECT_EQ(4, recv(self->b, buf, sizeof(buf), 0));

	int ep = epoll_create1(0);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->b, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &got, 1, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, send_later, &l));
	EXPECT_EQ(1, epoll_wait(ep, &got, 1, 5000));
	EXPECT_TRUE(got.events & EPOLLIN);
	pthread_join(t, NULL);
	EXPECT_EQ(4, recv(self->b, buf, sizeof(buf), 0));
	/* Blocking recv is woken by a datagram too. */
	ASSERT_EQ(0, pthread_create(&t, NULL, send_later, &l));
	EXPECT_EQ(4, recv(self->b, buf, sizeof(buf), 0));
	pthread_join(t, NULL);
	close(ep);
}

/* A receiver that never reads: its buffer fills, later datagrams are
 * dropped (udps_fullsock), and the sender never fails or blocks. */
TEST_F_TIMEOUT(pair, full_receiver, 1200)
{
	char buf[2048] = { 0 };
	long n = getenv("BSDINET_FLOOD") ? atol(getenv("BSDINET_FLOOD")) : 100000;
	long got = 0;
	long long fullsock = bsd_stat("udp", "udps_fullsock");
	long long ipackets = bsd_stat("udp", "udps_ipackets");

	for (long i = 0; i < n; i++) {
		ASSERT_EQ(100, sendto(self->a, buf, 100, 0, (struct sockaddr *)&self->to,
				      sizeof(self->to))) TH_LOG("datagram %ld: %s", i, strerror(errno));
	}
	while (recv(self->b, buf, sizeof(buf), MSG_DONTWAIT) == 100)
		got++;
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_LT(0, got);
	EXPECT_GT(n, got);
	/* Every datagram arrived; each one not received was counted. */
	EXPECT_EQ(n, bsd_stat("udp", "udps_ipackets") - ipackets);
	EXPECT_EQ(n - got, bsd_stat("udp", "udps_fullsock") - fullsock);
	TH_LOG("%ld sent, %ld received", n, got);
}

TEST(bad_addresses)
{
	int s = udp();
	struct sockaddr_in to = lo(9);

	ASSERT_LE(0, s);
	EXPECT_EQ(-1, sendto(s, "x", 1, 0, (struct sockaddr *)&to, 8));
	EXPECT_EQ(EINVAL, errno);
	to.sin_family = AF_INET;
	EXPECT_EQ(-1, sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	to = lo(0);
	EXPECT_EQ(-1, sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	EXPECT_EQ(-1, send(s, "x", 1, 0));
	EXPECT_EQ(EDESTADDRREQ, errno);
	to = lo(9);
	to.sin_addr.s_addr = htonl(0x0a000001);
	EXPECT_EQ(-1, sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(EHOSTUNREACH, errno);
	/* A bad buffer. */
	to = lo(9);
	EXPECT_EQ(-1, sendto(s, (void *)8, 10, 0, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(EFAULT, errno);
	close(s);
}

TEST_HARNESS_MAIN
