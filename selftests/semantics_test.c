// SPDX-License-Identifier: GPL-2.0
/*
 * Socket semantics over lo0 that programs rely on: a 0-byte datagram
 * makes its socket readable (poll, select, epoll); an ICMP port
 * unreachable shows in SO_ERROR each time it comes; a pending error
 * fails sends the book's way (net.bsdinet.socket.send_clears_error=0:
 * every send until taken) or Linux's (1: the first send takes it);
 * send(MSG_OOB) on UDP; SO_PROTOCOL; a stray high flag bit on recvmsg;
 * ephemeral ports sequential (net.bsdinet.ip.portrange_randomized=0)
 * or spread (1).
 * Runs in the test VM with bsdinet loaded, as root.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/bsdinet.h>

#include "kselftest_harness.h"
#include "bsdinet_test.h"

#define SYSCTL "/proc/sys/net/bsdinet/"

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

/* A socket bound to 127.0.0.1 and an ephemeral port. */
static int udp_bound(void)
{
	struct sockaddr_in sin = lo(0);
	int s = udp();

	if (s >= 0 && bind(s, (struct sockaddr *)&sin, sizeof(sin))) {
		close(s);
		return -1;
	}
	return s;
}

/* Reads a sysctl (-1 if absent), and sets it if val >= 0. */
static int sysctl(const char *name, int val)
{
	char path[128];
	int old = -1;
	FILE *f;

	snprintf(path, sizeof(path), SYSCTL "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &old) != 1)
		old = -1;
	fclose(f);
	if (val >= 0) {
		f = fopen(path, "w");
		if (!f || fprintf(f, "%d\n", val) < 0 || fclose(f))
			return -1;
	}
	return old;
}

static int so_error(int s)
{
	int err = -1;
	socklen_t len = sizeof(err);

	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len))
		return -errno;
	return err;
}

/* A UDP socket connected to a port nobody listens on. */
static int connected_to_closed_port(void)
{
	int gone = udp_bound(), s = udp();
	struct sockaddr_in to = lo(port_of(gone));

	close(gone);
	if (s < 0 || connect(s, (struct sockaddr *)&to, sizeof(to)))
		return -1;
	return s;
}

/* The ICMP port unreachable comes back through lo0 at once; give the
 * stack a moment anyway. */
static void settle(void)
{
	usleep(100 * 1000);
}

TEST(zero_byte_datagram_is_readable)
{
	int a = udp(), b = udp_bound(), ep = epoll_create1(0);
	struct sockaddr_in to = lo(port_of(b));
	struct pollfd p = { .fd = b, .events = POLLIN };
	struct epoll_event ev = { .events = EPOLLIN }, got;
	struct timeval tv = { 2, 0 };
	fd_set r;
	char buf[8];

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, sendto(a, "", 0, 0, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(1, poll(&p, 1, 2000));
	EXPECT_TRUE(p.revents & POLLIN);
	FD_ZERO(&r);
	FD_SET(b, &r);
	EXPECT_EQ(1, select(b + 1, &r, NULL, NULL, &tv));
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev));
	EXPECT_EQ(1, epoll_wait(ep, &got, 1, 2000));
	EXPECT_EQ(0, recv(b, buf, sizeof(buf), MSG_DONTWAIT));
	/* Taken: not readable any more. */
	EXPECT_EQ(0, poll(&p, 1, 0));
	close(ep);
	close(a);
	close(b);
}

TEST(icmp_error_each_time_in_so_error)
{
	int s = connected_to_closed_port();

	ASSERT_LE(0, s);
	ASSERT_EQ(1, send(s, "x", 1, 0));
	settle();
	EXPECT_EQ(ECONNREFUSED, so_error(s));
	EXPECT_EQ(0, so_error(s));
	/* The same error again, after the first was taken. */
	ASSERT_EQ(1, send(s, "y", 1, 0)) TH_LOG("second send: %s", strerror(errno));
	settle();
	EXPECT_EQ(ECONNREFUSED, so_error(s));
	ASSERT_EQ(1, send(s, "z", 1, 0)) TH_LOG("third send: %s", strerror(errno));
	settle();
	EXPECT_EQ(ECONNREFUSED, so_error(s));
	close(s);
}

static unsigned short cksum(const void *p, int len)
{
	const unsigned short *w = p;
	unsigned sum = 0;

	for (; len > 1; len -= 2)
		sum += *w++;
	if (len)
		sum += *(const unsigned char *)w;
	sum = (sum >> 16) + (sum & 0xffff);
	sum += sum >> 16;
	return ~sum;
}

/* An ICMP port unreachable for a datagram from s's address to its peer,
 * sent to 127.0.0.1 on a raw ICMP socket, as a router would send it. */
static int inject_port_unreachable(int raw, int s)
{
	struct sockaddr_in me, peer, to = lo(0);
	socklen_t len = sizeof(me);
	unsigned char m[36] = { 3, 3 };	/* type, code; 4 bytes unused */
	unsigned char *ip = m + 8, *uh = m + 28;
	unsigned short sum;

	if (getsockname(s, (struct sockaddr *)&me, &len))
		return -1;
	len = sizeof(peer);
	if (getpeername(s, (struct sockaddr *)&peer, &len))
		return -1;
	ip[0] = 0x45;
	ip[3] = 28;			/* total length */
	ip[8] = 64;			/* ttl */
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &me.sin_addr, 4);
	memcpy(ip + 16, &peer.sin_addr, 4);
	sum = cksum(ip, 20);
	memcpy(ip + 10, &sum, 2);
	memcpy(uh, &me.sin_port, 2);
	memcpy(uh + 2, &peer.sin_port, 2);
	uh[5] = 9;			/* length: 8 + 1 byte */
	sum = cksum(m, sizeof(m));
	memcpy(m + 2, &sum, 2);
	return sendto(raw, m, sizeof(m), 0, (struct sockaddr *)&to, sizeof(to)) == sizeof(m) ? 0 : -1;
}

/* The same ICMP error, injected twice: each shows in SO_ERROR. */
TEST(injected_icmp_error_each_time_in_so_error)
{
	int s = connected_to_closed_port(), raw = socket(AF_BSDINET, SOCK_RAW, IPPROTO_ICMP);

	ASSERT_LE(0, s);
	ASSERT_LE(0, raw);
	for (int i = 1; i <= 3; i++) {
		ASSERT_EQ(0, inject_port_unreachable(raw, s)) TH_LOG("inject: %s", strerror(errno));
		settle();
		EXPECT_EQ(ECONNREFUSED, so_error(s)) TH_LOG("ICMP error %d", i);
		EXPECT_EQ(0, so_error(s));
	}
	close(raw);
	close(s);
}

/* send_clears_error: 0, the book's sosend (so_error fails every send
 * until SO_ERROR or a receive takes it); 1, Linux's (the first send
 * reports it and clears it). */
static void pending_error_sends(struct __test_metadata *_metadata, int clears)
{
	int old = sysctl("socket/send_clears_error", clears);
	int s = connected_to_closed_port();
	char buf[4];

	ASSERT_NE(-1, old) TH_LOG("no sysctl net.bsdinet.socket.send_clears_error");
	ASSERT_LE(0, s);
	EXPECT_EQ(1, send(s, "x", 1, 0));
	settle();
	EXPECT_EQ(-1, send(s, "y", 1, 0));
	EXPECT_EQ(ECONNREFUSED, errno);
	if (clears) {
		EXPECT_EQ(1, send(s, "z", 1, 0)) TH_LOG("second send: %s", strerror(errno));
		settle();
		/* That send's error is pending in its turn. */
		EXPECT_EQ(ECONNREFUSED, so_error(s));
	} else {
		EXPECT_EQ(-1, send(s, "z", 1, 0));
		EXPECT_EQ(ECONNREFUSED, errno);
		/* A receive takes it (and finds nothing). */
		EXPECT_EQ(-1, recv(s, buf, sizeof(buf), MSG_DONTWAIT));
		EXPECT_EQ(ECONNREFUSED, errno);
		EXPECT_EQ(1, send(s, "w", 1, 0)) TH_LOG("send after the receive: %s", strerror(errno));
	}
	close(s);
	sysctl("socket/send_clears_error", old);
}

TEST(pending_error_fails_every_send_book)
{
	pending_error_sends(_metadata, 0);
}

TEST(pending_error_fails_first_send_linux)
{
	pending_error_sends(_metadata, 1);
}

TEST(udp_send_oob_is_eopnotsupp)
{
	int a = udp(), b = udp_bound();
	struct sockaddr_in to = lo(port_of(b));

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	EXPECT_EQ(-1, sendto(a, "x", 1, MSG_OOB, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(EOPNOTSUPP, errno);
	close(a);
	close(b);
}

TEST(so_protocol)
{
	int u = udp(), r = socket(AF_BSDINET, SOCK_RAW, IPPROTO_ICMP), v = -1;
	socklen_t len = sizeof(v);

	ASSERT_LE(0, u);
	ASSERT_LE(0, r);
	EXPECT_EQ(0, getsockopt(u, SOL_SOCKET, SO_PROTOCOL, &v, &len));
	EXPECT_EQ(IPPROTO_UDP, v);
	len = sizeof(v);
	EXPECT_EQ(0, getsockopt(r, SOL_SOCKET, SO_PROTOCOL, &v, &len));
	EXPECT_EQ(IPPROTO_ICMP, v);
	len = sizeof(v);
	EXPECT_EQ(0, getsockopt(u, SOL_SOCKET, SO_DOMAIN, &v, &len));
	EXPECT_EQ(AF_BSDINET, v);
	close(u);
	close(r);
}

TEST(recvmsg_stray_high_flag)
{
	int a = udp(), b = udp_bound();
	struct sockaddr_in to = lo(port_of(b)), from;
	char buf[16];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1 };

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(5, sendto(a, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to)));
	usleep(10000);
	/*
	 * 0x800000 is the stack's own "continue a MSG_WAITALL read" bit,
	 * which a caller must not be able to set. (Not 0x40000000: that is
	 * MSG_CMSG_CLOEXEC, which Linux's core hands back in msg_flags for
	 * every family.)
	 */
	EXPECT_EQ(5, recvmsg(b, &m, MSG_DONTWAIT | 0x800000)) TH_LOG("recvmsg: %s", strerror(errno));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(AF_BSDINET, from.sin_family);
	EXPECT_EQ(port_of(a), ntohs(from.sin_port));
	EXPECT_EQ(0, m.msg_flags);
	close(a);
	close(b);
}

#define NPORTS 10

static void ephemeral_ports(int ports[NPORTS])
{
	for (int i = 0; i < NPORTS; i++) {
		int s = udp_bound();

		ports[i] = s < 0 ? -1 : port_of(s);
		close(s);
	}
}

TEST(ephemeral_ports_sequential)
{
	int old = sysctl("ip/portrange_randomized", 0), p[NPORTS];

	ASSERT_NE(-1, old) TH_LOG("no sysctl net.bsdinet.ip.portrange_randomized");
	ephemeral_ports(p);
	for (int i = 1; i < NPORTS; i++) {
		/* The book's in_pcbbind: the next port, 1024 after 5000. */
		EXPECT_EQ(p[i - 1] == 5000 ? 1024 : p[i - 1] + 1, p[i]);
		EXPECT_TRUE(p[i] >= 1024 && p[i] <= 5000) TH_LOG("port %d", p[i]);
	}
	sysctl("ip/portrange_randomized", old);
}

TEST(ephemeral_ports_randomized)
{
	int old = sysctl("ip/portrange_randomized", 1), p[NPORTS], next = 0, lo = 65535, hi = 0;

	ASSERT_NE(-1, old) TH_LOG("no sysctl net.bsdinet.ip.portrange_randomized");
	ephemeral_ports(p);
	for (int i = 0; i < NPORTS; i++) {
		EXPECT_TRUE(p[i] >= 1024) TH_LOG("port %d", p[i]);
		if (i && p[i] == p[i - 1] + 1)
			next++;
		lo = p[i] < lo ? p[i] : lo;
		hi = p[i] > hi ? p[i] : hi;
	}
	TH_LOG("ports %d .. %d, %d of %d one after the last", lo, hi, next, NPORTS - 1);
	EXPECT_LT(next, 3);
	EXPECT_LT(1000, hi - lo);
	sysctl("ip/portrange_randomized", old);
}

TEST_HARNESS_MAIN
