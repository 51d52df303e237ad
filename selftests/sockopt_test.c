// SPDX-License-Identifier: GPL-2.0
/*
 * Socket options (the book's chapter 17, ip_ctloutput and rip_ctloutput)
 * with Linux's option numbers. Linux's core answers getsockopt(SOL_SOCKET)
 * from its struct sock, so these also check that bsdinet keeps it in step.
 * Runs in the test VM with bsdinet loaded, as root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/bsdinet.h>

#include "kselftest_harness.h"

#define PROTO 253	/* RFC 3692's experimental protocol: nobody else's */

static int geti(int s, int level, int name, int *v)
{
	socklen_t len = sizeof(*v);
	int r;

	*v = -12345;
	r = getsockopt(s, level, name, v, &len);
	if (r == 0 && len != sizeof(*v))
		return -2;
	return r;
}

static int seti(int s, int level, int name, int v)
{
	return setsockopt(s, level, name, &v, sizeof(v));
}

static struct sockaddr_in lo(void)
{
	struct sockaddr_in sin = { .sin_family = AF_BSDINET };

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sin;
}

FIXTURE(raw) {
	int s;
};

FIXTURE_SETUP(raw)
{
	self->s = socket(AF_BSDINET, SOCK_RAW, IPPROTO_ICMP);
	ASSERT_LE(0, self->s);
}

FIXTURE_TEARDOWN(raw)
{
	close(self->s);
}

/* The sizes are the BSD socket buffers' exactly: not Linux's defaults, and
 * not doubled as Linux doubles its own. */
TEST_F(raw, buffer_sizes)
{
	int v;

	ASSERT_EQ(0, geti(self->s, SOL_SOCKET, SO_RCVBUF, &v));
	EXPECT_EQ(8192, v);	/* rip_recvspace, from socket() on */
	ASSERT_EQ(0, geti(self->s, SOL_SOCKET, SO_SNDBUF, &v));
	EXPECT_EQ(8192, v);
	ASSERT_EQ(0, seti(self->s, SOL_SOCKET, SO_RCVBUF, 65536));
	ASSERT_EQ(0, geti(self->s, SOL_SOCKET, SO_RCVBUF, &v));
	EXPECT_EQ(65536, v);
	ASSERT_EQ(0, seti(self->s, SOL_SOCKET, SO_SNDBUF, 10000));
	ASSERT_EQ(0, geti(self->s, SOL_SOCKET, SO_SNDBUF, &v));
	EXPECT_EQ(10000, v);
	/* More than sb_max allows: sbreserve's ENOBUFS. */
	EXPECT_EQ(-1, seti(self->s, SOL_SOCKET, SO_RCVBUF, 1 << 20));
	EXPECT_EQ(ENOBUFS, errno);
	EXPECT_EQ(-1, seti(self->s, SOL_SOCKET, SO_SNDBUF, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, seti(self->s, SOL_SOCKET, SO_RCVBUF, -1));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, geti(self->s, SOL_SOCKET, SO_RCVBUF, &v));
	EXPECT_EQ(65536, v);
}

static int maxsockbuf(int val)
{
	const char *path = "/proc/sys/net/bsdinet/socket/maxsockbuf";
	FILE *f = fopen(path, "r");
	int old = -1;

	if (!f || fscanf(f, "%d", &old) != 1)
		old = -1;
	if (f)
		fclose(f);
	if (val >= 0) {
		f = fopen(path, "w");
		if (!f || fprintf(f, "%d\n", val) < 0 || fclose(f))
			return -1;
	}
	return old;
}

/* net.bsdinet.socket.maxsockbuf is the book's sb_max (FreeBSD's
 * kern.ipc.maxsockbuf): 256 KiB by default, where 1 MiB is ENOBUFS; raised
 * to 2 MiB, 1 MiB fits; out of its range (64 KiB-16 MiB) it is EINVAL. */
TEST_F(raw, maxsockbuf_sysctl)
{
	int v, old = maxsockbuf(-1);

	ASSERT_EQ(262144, old);
	EXPECT_EQ(-1, seti(self->s, SOL_SOCKET, SO_RCVBUF, 1 << 20));
	EXPECT_EQ(ENOBUFS, errno);
	ASSERT_EQ(old, maxsockbuf(2 << 20));
	EXPECT_EQ(0, seti(self->s, SOL_SOCKET, SO_RCVBUF, 1 << 20));
	ASSERT_EQ(0, geti(self->s, SOL_SOCKET, SO_RCVBUF, &v));
	EXPECT_EQ(1 << 20, v);
	EXPECT_EQ(-1, maxsockbuf(1000));
	EXPECT_EQ(-1, maxsockbuf(64 << 20));
	EXPECT_EQ(2 << 20, maxsockbuf(old));
	EXPECT_EQ(-1, seti(self->s, SOL_SOCKET, SO_SNDBUF, 1 << 20));
	EXPECT_EQ(ENOBUFS, errno);
}

TEST_F(raw, flags)
{
	static const int names[] = {
		SO_REUSEADDR, SO_BROADCAST, SO_KEEPALIVE, SO_DEBUG,
		SO_DONTROUTE, SO_OOBINLINE, SO_REUSEPORT,
	};
	int v;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		ASSERT_EQ(0, geti(self->s, SOL_SOCKET, names[i], &v));
		EXPECT_EQ(0, v) TH_LOG("option %d", names[i]);
		ASSERT_EQ(0, seti(self->s, SOL_SOCKET, names[i], 5));
		ASSERT_EQ(0, geti(self->s, SOL_SOCKET, names[i], &v));
		EXPECT_EQ(1, v) TH_LOG("option %d", names[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		ASSERT_EQ(0, seti(self->s, SOL_SOCKET, names[i], 0));
		ASSERT_EQ(0, geti(self->s, SOL_SOCKET, names[i], &v));
		EXPECT_EQ(0, v) TH_LOG("option %d", names[i]);
	}
}

TEST_F(raw, linger)
{
	struct linger l = { .l_onoff = 1, .l_linger = 7 };
	socklen_t len = sizeof(l);

	ASSERT_EQ(0, setsockopt(self->s, SOL_SOCKET, SO_LINGER, &l, sizeof(l)));
	memset(&l, 0, sizeof(l));
	ASSERT_EQ(0, getsockopt(self->s, SOL_SOCKET, SO_LINGER, &l, &len));
	EXPECT_EQ(sizeof(l), len);
	EXPECT_EQ(1, l.l_onoff);
	EXPECT_EQ(7, l.l_linger);
	l.l_onoff = 0;
	ASSERT_EQ(0, setsockopt(self->s, SOL_SOCKET, SO_LINGER, &l, sizeof(l)));
	ASSERT_EQ(0, getsockopt(self->s, SOL_SOCKET, SO_LINGER, &l, &len));
	EXPECT_EQ(0, l.l_onoff);
	/* A struct linger, with a time that fits the book's short. */
	EXPECT_EQ(-1, setsockopt(self->s, SOL_SOCKET, SO_LINGER, &l, sizeof(int)));
	EXPECT_EQ(EINVAL, errno);
	l.l_linger = -1;
	EXPECT_EQ(-1, setsockopt(self->s, SOL_SOCKET, SO_LINGER, &l, sizeof(l)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(raw, low_water_marks)
{
	int v;

	ASSERT_EQ(0, geti(self->s, SOL_SOCKET, SO_RCVLOWAT, &v));
	EXPECT_EQ(1, v);
	ASSERT_EQ(0, seti(self->s, SOL_SOCKET, SO_RCVLOWAT, 100));
	ASSERT_EQ(0, geti(self->s, SOL_SOCKET, SO_RCVLOWAT, &v));
	EXPECT_EQ(100, v);
	/* Cut to the buffer's size. */
	ASSERT_EQ(0, seti(self->s, SOL_SOCKET, SO_RCVLOWAT, 1 << 30));
	ASSERT_EQ(0, geti(self->s, SOL_SOCKET, SO_RCVLOWAT, &v));
	EXPECT_EQ(8192, v);
	EXPECT_EQ(-1, seti(self->s, SOL_SOCKET, SO_RCVLOWAT, 0));
	EXPECT_EQ(EINVAL, errno);
	/* Set in the BSD socket; Linux's core always reads it as 1. */
	ASSERT_EQ(0, seti(self->s, SOL_SOCKET, SO_SNDLOWAT, 100));
	ASSERT_EQ(0, geti(self->s, SOL_SOCKET, SO_SNDLOWAT, &v));
	EXPECT_EQ(1, v);
}

/* The timeouts are Linux's: recvmsg sleeps with sk_rcvtimeo. */
TEST_F(raw, receive_timeout)
{
	struct timeval tv = { .tv_usec = 200000 };
	socklen_t len = sizeof(tv);
	struct timespec t0, t1;
	char c;
	long ms;

	ASSERT_EQ(0, setsockopt(self->s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	memset(&tv, 0, sizeof(tv));
	ASSERT_EQ(0, getsockopt(self->s, SOL_SOCKET, SO_RCVTIMEO, &tv, &len));
	EXPECT_EQ(0, tv.tv_sec);
	EXPECT_EQ(200000, tv.tv_usec);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(-1, recv(self->s, &c, 1, 0));
	EXPECT_EQ(EAGAIN, errno);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	EXPECT_LE(150, ms);
	EXPECT_GT(5000, ms);
	ASSERT_EQ(0, setsockopt(self->s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
}

TEST_F(raw, type_and_error)
{
	int v;

	ASSERT_EQ(0, geti(self->s, SOL_SOCKET, SO_TYPE, &v));
	EXPECT_EQ(SOCK_RAW, v);
	ASSERT_EQ(0, geti(self->s, SOL_SOCKET, SO_ERROR, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(-1, seti(self->s, SOL_SOCKET, SO_ERROR, 1));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, seti(self->s, SOL_SOCKET, SO_TYPE, 1));
	EXPECT_EQ(ENOPROTOOPT, errno);
}

TEST_F(raw, ttl_and_tos)
{
	int v;

	ASSERT_EQ(0, geti(self->s, IPPROTO_IP, IP_TTL, &v));
	EXPECT_EQ(64, v);
	ASSERT_EQ(0, seti(self->s, IPPROTO_IP, IP_TTL, 33));
	ASSERT_EQ(0, geti(self->s, IPPROTO_IP, IP_TTL, &v));
	EXPECT_EQ(33, v);
	EXPECT_EQ(-1, seti(self->s, IPPROTO_IP, IP_TTL, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, seti(self->s, IPPROTO_IP, IP_TTL, 256));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, geti(self->s, IPPROTO_IP, IP_TTL, &v));
	EXPECT_EQ(33, v);
	/* -1: the default, as in Linux. */
	ASSERT_EQ(0, seti(self->s, IPPROTO_IP, IP_TTL, -1));
	ASSERT_EQ(0, geti(self->s, IPPROTO_IP, IP_TTL, &v));
	EXPECT_EQ(64, v);

	ASSERT_EQ(0, geti(self->s, IPPROTO_IP, IP_TOS, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, seti(self->s, IPPROTO_IP, IP_TOS, 0x10));
	ASSERT_EQ(0, geti(self->s, IPPROTO_IP, IP_TOS, &v));
	EXPECT_EQ(0x10, v);
	EXPECT_EQ(-1, seti(self->s, IPPROTO_IP, IP_TOS, 256));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, seti(self->s, IPPROTO_IP, IP_TOS, -1));
	EXPECT_EQ(EINVAL, errno);
}

/* They go out with the datagrams. */
TEST(ttl_tos_on_the_wire)
{
	int s = socket(AF_BSDINET, SOCK_RAW, PROTO);
	struct sockaddr_in to = lo();
	unsigned char buf[100];

	ASSERT_LE(0, s);
	ASSERT_EQ(0, seti(s, IPPROTO_IP, IP_TTL, 33));
	ASSERT_EQ(0, seti(s, IPPROTO_IP, IP_TOS, 0x10));
	ASSERT_EQ(5, sendto(s, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(25, recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(0x10, buf[1]);
	EXPECT_EQ(33, buf[8]);
	close(s);
}

TEST_F(raw, receive_flags)
{
	static const int names[] = { IP_RECVOPTS, IP_RETOPTS, BSDINET_IP_RECVDSTADDR };
	int v;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		ASSERT_EQ(0, geti(self->s, IPPROTO_IP, names[i], &v));
		EXPECT_EQ(0, v);
		ASSERT_EQ(0, seti(self->s, IPPROTO_IP, names[i], 3));
		ASSERT_EQ(0, geti(self->s, IPPROTO_IP, names[i], &v));
		EXPECT_EQ(1, v) TH_LOG("option %d", names[i]);
		ASSERT_EQ(0, seti(self->s, IPPROTO_IP, names[i], 0));
		ASSERT_EQ(0, geti(self->s, IPPROTO_IP, names[i], &v));
		EXPECT_EQ(0, v);
	}
	EXPECT_EQ(IP_RETOPTS, IP_RECVRETOPTS);
}

TEST(ip_options)
{
	/* Record route, room for two addresses, aligned by a NOP. */
	static const unsigned char rr[12] = { 1, 7, 11, 4 };
	/* Loose source route ->10.0.0.1->10.0.0.2. */
	static const unsigned char lsrr[12] = { 1, 131, 11, 4, 10, 0, 0, 1, 10, 0, 0, 2 };
	int s = socket(AF_BSDINET, SOCK_RAW, PROTO);
	struct sockaddr_in to = lo();
	unsigned char buf[100];
	socklen_t len = sizeof(buf);

	ASSERT_LE(0, s);
	ASSERT_EQ(0, getsockopt(s, IPPROTO_IP, IP_OPTIONS, buf, &len));
	EXPECT_EQ(0U, len);
	ASSERT_EQ(0, setsockopt(s, IPPROTO_IP, IP_OPTIONS, rr, sizeof(rr)));
	len = sizeof(buf);
	ASSERT_EQ(0, getsockopt(s, IPPROTO_IP, IP_OPTIONS, buf, &len));
	ASSERT_EQ(sizeof(rr), len);
	EXPECT_EQ(0, memcmp(rr, buf, len));
	/* Sent with the datagram; lo0 records 127.0.0.1 on the way in. */
	ASSERT_EQ(4, sendto(s, "data", 4, 0, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(36, recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(0x48, buf[0]);	/* 32 bytes of header */
	EXPECT_EQ(8, buf[23]);		/* the pointer moved on */
	EXPECT_EQ(0, memcmp(&to.sin_addr, buf + 24, 4));
	EXPECT_EQ(0, memcmp("data", buf + 32, 4));

	/* A source route reads back as it was given. */
	ASSERT_EQ(0, setsockopt(s, IPPROTO_IP, IP_OPTIONS, lsrr, sizeof(lsrr)));
	len = sizeof(buf);
	ASSERT_EQ(0, getsockopt(s, IPPROTO_IP, IP_OPTIONS, buf, &len));
	ASSERT_EQ(sizeof(lsrr), len);
	EXPECT_EQ(0, memcmp(lsrr, buf, len));
	/* Cut short to the caller's length. */
	len = 3;
	ASSERT_EQ(0, getsockopt(s, IPPROTO_IP, IP_OPTIONS, buf, &len));
	EXPECT_EQ(3U, len);

	/* Bad options: a length below 2, more than a header holds. */
	buf[0] = 7, buf[1] = 1, buf[2] = 4, buf[3] = 0;
	EXPECT_EQ(-1, setsockopt(s, IPPROTO_IP, IP_OPTIONS, buf, 4));
	EXPECT_EQ(EINVAL, errno);
	memset(buf, 1, sizeof(buf));
	EXPECT_EQ(-1, setsockopt(s, IPPROTO_IP, IP_OPTIONS, buf, 41));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(s, IPPROTO_IP, IP_OPTIONS, buf, 100000));
	EXPECT_EQ(EINVAL, errno);
	/* None: off. */
	ASSERT_EQ(0, setsockopt(s, IPPROTO_IP, IP_OPTIONS, NULL, 0));
	len = sizeof(buf);
	ASSERT_EQ(0, getsockopt(s, IPPROTO_IP, IP_OPTIONS, buf, &len));
	EXPECT_EQ(0U, len);
	close(s);
}

TEST(hdrincl)
{
	int s = socket(AF_BSDINET, SOCK_RAW, PROTO);
	struct sockaddr_in to = lo();
	unsigned char pkt[24] = { 0x45, 0, 0, 0, 0, 0, 0, 0, 99, PROTO };
	unsigned char buf[100];
	int v;

	ASSERT_LE(0, s);
	ASSERT_EQ(0, geti(s, IPPROTO_IP, IP_HDRINCL, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, seti(s, IPPROTO_IP, IP_HDRINCL, 1));
	ASSERT_EQ(0, geti(s, IPPROTO_IP, IP_HDRINCL, &v));
	EXPECT_EQ(1, v);
	/* Now the user gives the header. */
	memcpy(pkt + 12, &to.sin_addr, 4);
	memcpy(pkt + 16, &to.sin_addr, 4);
	memcpy(pkt + 20, "mine", 4);
	ASSERT_EQ(24, sendto(s, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(24, recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(99, buf[8]);
	EXPECT_EQ(0, memcmp("mine", buf + 20, 4));
	EXPECT_EQ(-1, sendto(s, pkt, 10, 0, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, seti(s, IPPROTO_IP, IP_HDRINCL, 0));
	ASSERT_EQ(0, geti(s, IPPROTO_IP, IP_HDRINCL, &v));
	EXPECT_EQ(0, v);
	close(s);
}

TEST_F(raw, bad_lengths)
{
	static int big[1024] = { 7 };
	int v = 5;
	socklen_t len;
	char c;

	/* An int option needs an int. */
	EXPECT_EQ(-1, setsockopt(self->s, IPPROTO_IP, IP_TTL, &v, 2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(self->s, IPPROTO_IP, IP_HDRINCL, &v, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(self->s, SOL_SOCKET, SO_RCVBUF, &v, 3));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(self->s, SOL_SOCKET, SO_REUSEADDR, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	/* More is read for its first int. */
	ASSERT_EQ(0, setsockopt(self->s, IPPROTO_IP, IP_TTL, big, sizeof(big)));
	ASSERT_EQ(0, geti(self->s, IPPROTO_IP, IP_TTL, &v));
	EXPECT_EQ(7, v);
	/* getsockopt cuts the value short, or says EINVAL for a length
	 * below 0. */
	len = 1;
	c = 0;
	ASSERT_EQ(0, getsockopt(self->s, IPPROTO_IP, IP_TTL, &c, &len));
	EXPECT_EQ(1U, len);
	EXPECT_EQ(7, c);
	len = 0;
	ASSERT_EQ(0, getsockopt(self->s, IPPROTO_IP, IP_TTL, &c, &len));
	EXPECT_EQ(0U, len);
	len = -1;
	EXPECT_EQ(-1, getsockopt(self->s, IPPROTO_IP, IP_TTL, &v, &len));
	EXPECT_EQ(EINVAL, errno);
	/* Bad pointers. */
	EXPECT_EQ(-1, setsockopt(self->s, IPPROTO_IP, IP_TTL, (void *)8, 4));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, setsockopt(self->s, SOL_SOCKET, SO_RCVBUF, (void *)8, 4));
	EXPECT_EQ(EFAULT, errno);
	len = 4;
	EXPECT_EQ(-1, getsockopt(self->s, IPPROTO_IP, IP_TTL, (void *)8, &len));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, getsockopt(self->s, IPPROTO_IP, IP_TTL, &v, (socklen_t *)8));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(raw, unknown_options)
{
	int v = 1;

	/* Linux's own SOL_SOCKET options that bsdinet does not have. */
	EXPECT_EQ(-1, seti(self->s, SOL_SOCKET, SO_PRIORITY, 1));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, seti(self->s, SOL_SOCKET, SO_RCVBUFFORCE, 100000));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, seti(self->s, SOL_SOCKET, 12345, 1));
	EXPECT_EQ(ENOPROTOOPT, errno);
	/* IP options that are not built, or unknown (the multicast ones
	 * are chapter 12's: mcast_test.sh). */
	EXPECT_EQ(0, seti(self->s, IPPROTO_IP, IP_MULTICAST_TTL, 1));
	EXPECT_EQ(-1, seti(self->s, IPPROTO_IP, IP_PKTINFO, 1));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, seti(self->s, IPPROTO_IP, 99, 1));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, geti(self->s, IPPROTO_IP, 99, &v));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(0, geti(self->s, IPPROTO_IP, IP_MULTICAST_LOOP, &v));
	EXPECT_EQ(1, v);
	/* Levels raw IP does not have. */
	EXPECT_EQ(-1, seti(self->s, IPPROTO_TCP, 1, 1));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, geti(self->s, IPPROTO_RAW, 1, &v));
	EXPECT_EQ(ENOPROTOOPT, errno);
}

/*
 * SO_ERROR: Linux's core reads it from sk_err, which bsdinet keeps in step
 * with the BSD socket's so_error. An ICMP port unreachable gives a
 * connected UDP socket ECONNREFUSED (udp_ctlinput); whoever takes it,
 * getsockopt or recv, takes it once.
 */
TEST(so_error)
{
	struct sockaddr_in to = lo();
	struct pollfd p;
	int s, v;
	char c;

	s = socket(AF_BSDINET, SOCK_DGRAM, 0);
	if (s < 0 && errno == EPROTONOSUPPORT)
		SKIP(return, "UDP is not built");
	ASSERT_LE(0, s);
	to.sin_port = htons(9);
	ASSERT_EQ(0, connect(s, (struct sockaddr *)&to, sizeof(to)));

	/* Taken by getsockopt: recv no longer sees it. */
	ASSERT_EQ(1, send(s, "x", 1, 0));
	p = (struct pollfd){ .fd = s, .events = POLLIN };
	ASSERT_EQ(1, poll(&p, 1, 1000));
	EXPECT_TRUE(p.revents & POLLERR);
	ASSERT_EQ(0, geti(s, SOL_SOCKET, SO_ERROR, &v));
	EXPECT_EQ(ECONNREFUSED, v);
	ASSERT_EQ(0, geti(s, SOL_SOCKET, SO_ERROR, &v));
	EXPECT_EQ(0, v);
	p.revents = 0;
	EXPECT_EQ(0, poll(&p, 1, 0));
	EXPECT_EQ(-1, recv(s, &c, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);

	/* Taken by recv: getsockopt no longer sees it. */
	ASSERT_EQ(1, send(s, "x", 1, 0));
	EXPECT_EQ(-1, recv(s, &c, 1, MSG_DONTWAIT));
	EXPECT_EQ(ECONNREFUSED, errno);
	ASSERT_EQ(0, geti(s, SOL_SOCKET, SO_ERROR, &v));
	EXPECT_EQ(0, v);
	close(s);
}

/* A bound UDP socket on 127.0.0.1 and one to send to it from. */
static int udp_pair(int *rcv, struct sockaddr_in *to)
{
	socklen_t len = sizeof(*to);
	int snd = socket(AF_BSDINET, SOCK_DGRAM, 0);

	*rcv = socket(AF_BSDINET, SOCK_DGRAM, 0);
	*to = lo();
	if (snd < 0 || *rcv < 0 || bind(*rcv, (struct sockaddr *)to, sizeof(*to)) ||
	    getsockname(*rcv, (struct sockaddr *)to, &len))
		return -1;
	return snd;
}

/* recvmsg() into `cbuf`; returns the datagram's length. */
static ssize_t recv_with_control(int s, void *cbuf, size_t clen, int *flags)
{
	char data[64];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = clen };
	ssize_t n = recvmsg(s, &msg, MSG_DONTWAIT);

	*flags = msg.msg_flags;
	return n;
}

static struct cmsghdr *find_cmsg(void *cbuf, size_t clen, int level, int type)
{
	struct msghdr msg = { .msg_control = cbuf, .msg_controllen = clen };
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == level && c->cmsg_type == type)
			return c;
	return NULL;
}

/* IP_RECVDSTADDR and IP_RECVOPTS deliver control messages with Linux's
 * cmsg layout; a short control buffer gets MSG_CTRUNC. */
TEST(recvmsg_control)
{
	union { char buf[256]; struct cmsghdr align; } cb;
	unsigned char rr[8] = { 7, 7, 4 }, want[8] = { 7, 7, 8, 127, 0, 0, 1, 0 };
	struct sockaddr_in to;
	struct cmsghdr *c;
	int r, s = udp_pair(&r, &to), flags;
	struct in_addr dst;

	ASSERT_LE(0, s);
	ASSERT_EQ(0, seti(r, IPPROTO_IP, BSDINET_IP_RECVDSTADDR, 1));
	ASSERT_EQ(0, seti(r, IPPROTO_IP, IP_RECVOPTS, 1));
	ASSERT_EQ(0, setsockopt(s, IPPROTO_IP, IP_OPTIONS, rr, sizeof(rr)));
	ASSERT_EQ(2, sendto(s, "hi", 2, 0, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(2, recv_with_control(r, cb.buf, sizeof(cb.buf), &flags));
	EXPECT_EQ(0, flags & MSG_CTRUNC);
	c = find_cmsg(cb.buf, sizeof(cb.buf), IPPROTO_IP, BSDINET_IP_RECVDSTADDR);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(CMSG_LEN(sizeof(dst)), c->cmsg_len);
	memcpy(&dst, CMSG_DATA(c), sizeof(dst));
	EXPECT_EQ(htonl(INADDR_LOOPBACK), dst.s_addr);
	c = find_cmsg(cb.buf, sizeof(cb.buf), IPPROTO_IP, IP_RECVOPTS);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(CMSG_LEN(sizeof(want)), c->cmsg_len);
	EXPECT_EQ(0, memcmp(want, CMSG_DATA(c), sizeof(want)));

	/* Room for a header only: the datagram arrives, the control is cut. */
	ASSERT_EQ(2, sendto(s, "hi", 2, 0, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(2, recv_with_control(r, cb.buf, sizeof(struct cmsghdr), &flags));
	EXPECT_EQ(MSG_CTRUNC, flags & MSG_CTRUNC);
	/* Asked for nothing: no control at all. */
	ASSERT_EQ(0, seti(r, IPPROTO_IP, BSDINET_IP_RECVDSTADDR, 0));
	ASSERT_EQ(0, seti(r, IPPROTO_IP, IP_RECVOPTS, 0));
	ASSERT_EQ(2, sendto(s, "hi", 2, 0, (struct sockaddr *)&to, sizeof(to)));
	{
		char data[8];
		struct iovec iov = { data, sizeof(data) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cb.buf, .msg_controllen = sizeof(cb.buf) };

		ASSERT_EQ(2, recvmsg(r, &msg, MSG_DONTWAIT));
		EXPECT_EQ(0U, msg.msg_controllen);
	}
	close(s);
	close(r);
}

static ssize_t send_control(int s, struct sockaddr_in *to, void *cbuf, size_t clen)
{
	struct iovec iov = { "x", 1 };
	struct msghdr msg = { .msg_name = to, .msg_namelen = sizeof(*to),
			      .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = clen };

	return sendmsg(s, &msg, 0);
}

/* sendmsg() control data: well formed and for another level, ignored;
 * one bsdinet would have to act on but does not know, EINVAL; truncated or
 * overlong, EINVAL; and nothing is sent for a refused one. */
TEST(sendmsg_control)
{
	union { char buf[CMSG_SPACE(8) * 2]; struct cmsghdr align; } cb;
	struct cmsghdr *c = &cb.align;
	struct sockaddr_in to;
	int r, s = udp_pair(&r, &to), fd = 0;
	char in[4];

	ASSERT_LE(0, s);
	memset(&cb, 0, sizeof(cb));
	c->cmsg_len = CMSG_LEN(4);
	c->cmsg_level = IPPROTO_TCP;
	c->cmsg_type = 1;
	EXPECT_EQ(1, send_control(s, &to, cb.buf, CMSG_SPACE(4)));
	EXPECT_EQ(1, recv(r, in, sizeof(in), MSG_DONTWAIT));

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(c), &fd, sizeof(fd));
	EXPECT_EQ(-1, send_control(s, &to, cb.buf, CMSG_SPACE(4)));
	EXPECT_EQ(EINVAL, errno);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_TTL;
	EXPECT_EQ(-1, send_control(s, &to, cb.buf, CMSG_SPACE(4)));
	EXPECT_EQ(EINVAL, errno);

	c->cmsg_level = IPPROTO_TCP;
	/* Shorter than a header. */
	EXPECT_EQ(-1, send_control(s, &to, cb.buf, sizeof(struct cmsghdr) - 4));
	EXPECT_EQ(EINVAL, errno);
	/* A length past the buffer, and one shorter than the header. */
	c->cmsg_len = CMSG_LEN(64);
	EXPECT_EQ(-1, send_control(s, &to, cb.buf, CMSG_SPACE(4)));
	EXPECT_EQ(EINVAL, errno);
	c->cmsg_len = 8;
	EXPECT_EQ(-1, send_control(s, &to, cb.buf, CMSG_SPACE(4)));
	EXPECT_EQ(EINVAL, errno);
	/* A second message cut short. */
	c->cmsg_len = CMSG_LEN(4);
	EXPECT_EQ(-1, send_control(s, &to, cb.buf, CMSG_SPACE(4) + 8));
	EXPECT_EQ(EINVAL, errno);
	/* Nothing of the refused ones arrived. */
	EXPECT_EQ(-1, recv(r, in, sizeof(in), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	close(s);
	close(r);
}

TEST_HARNESS_MAIN
