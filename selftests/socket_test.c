// SPDX-License-Identifier: GPL-2.0
/*
 * socket(AF_BSDINET, ...) and the socket calls of the raw IP protocol,
 * with the exact errno of every case.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/time.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bsdinet.h>

#include "kselftest_harness.h"

static const struct {
	int type, protocol, err; /* err 0: the socket is created */
} table[] = {
	/* inetsw[]: UDP, and TCP which is not built yet. */
	{ SOCK_DGRAM, 0, 0 },
	{ SOCK_DGRAM, IPPROTO_UDP, 0 },
	{ SOCK_STREAM, 0, 0 },
	{ SOCK_STREAM, IPPROTO_TCP, 0 },
	/* Raw IP: its entries and the wildcard. */
	{ SOCK_RAW, 0, 0 },
	{ SOCK_RAW, IPPROTO_RAW, 0 },
	{ SOCK_RAW, IPPROTO_ICMP, 0 },
	{ SOCK_RAW, IPPROTO_IGMP, 0 },
	{ SOCK_RAW, IPPROTO_UDP, 0 },
	{ SOCK_RAW, 89, 0 },
	{ SOCK_RAW, 254, 0 },
	/* Wrong combinations. */
	{ SOCK_DGRAM, IPPROTO_TCP, EPROTOTYPE },
	{ SOCK_STREAM, IPPROTO_UDP, EPROTOTYPE },
	{ SOCK_DGRAM, IPPROTO_ICMP, EPROTOTYPE },
	{ SOCK_STREAM, IPPROTO_RAW, EPROTOTYPE },
	{ SOCK_DGRAM, 89, EPROTONOSUPPORT },
	{ SOCK_STREAM, 132, EPROTONOSUPPORT },
	{ SOCK_RDM, 0, ESOCKTNOSUPPORT },
	{ SOCK_SEQPACKET, 0, ESOCKTNOSUPPORT },
	{ SOCK_SEQPACKET, IPPROTO_TCP, ESOCKTNOSUPPORT },
	{ SOCK_PACKET, 0, ESOCKTNOSUPPORT },
	{ SOCK_RAW, -1, EINVAL },
	{ SOCK_RAW, 256, EINVAL },
	{ SOCK_DGRAM, 1000, EINVAL },
	{ 11, 0, EINVAL },	/* beyond SOCK_MAX: refused by Linux's core */
};

TEST(protocol_switch)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		int s = socket(AF_BSDINET, table[i].type, table[i].protocol);
		int err = s < 0 ? errno : 0;

		EXPECT_EQ(table[i].err, err) {
			TH_LOG("socket(AF_BSDINET, %d, %d): want %s, got %s",
			       table[i].type, table[i].protocol,
			       strerror(table[i].err), strerror(err));
		}
		if (s >= 0) {
			int type = -1;
			socklen_t len = sizeof(type);

			ASSERT_EQ(0, getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &len));
			EXPECT_EQ(table[i].type, type);
			close(s);
		}
	}
}

TEST(type_flags)
{
	int s = socket(AF_BSDINET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	char c;

	ASSERT_LE(0, s);
	EXPECT_EQ(O_NONBLOCK, fcntl(s, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(s, F_GETFD));
	EXPECT_EQ(-1, recv(s, &c, 1, 0));
	EXPECT_EQ(EAGAIN, errno);
	close(s);
}

/* Raw sockets need CAP_NET_RAW: the book's EACCES for a non-root user. */
TEST(raw_unprivileged)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setuid(65534))
			_exit(2);
		if (socket(AF_BSDINET, SOCK_RAW, IPPROTO_ICMP) >= 0)
			_exit(3);
		_exit(errno == EACCES ? 0 : 4);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

FIXTURE(raw) {
	int s;
	struct sockaddr_in sin;
};

FIXTURE_SETUP(raw)
{
	self->s = socket(AF_BSDINET, SOCK_RAW, IPPROTO_ICMP);
	ASSERT_LE(0, self->s);
	memset(&self->sin, 0, sizeof(self->sin));
	self->sin.sin_family = AF_BSDINET;
	self->sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

FIXTURE_TEARDOWN(raw)
{
	close(self->s);
}

TEST_F(raw, names)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0xa5, sizeof(ss));
	ASSERT_EQ(0, getsockname(self->s, (struct sockaddr *)&ss, &len));
	EXPECT_EQ(sizeof(struct sockaddr_in), len);
	EXPECT_EQ(AF_BSDINET, sin->sin_family);
	EXPECT_EQ(0, sin->sin_port);
	EXPECT_EQ(INADDR_ANY, sin->sin_addr.s_addr);
	len = sizeof(ss);
	EXPECT_EQ(-1, getpeername(self->s, (struct sockaddr *)&ss, &len));
	EXPECT_EQ(ENOTCONN, errno);
}

TEST_F(raw, bad_addresses)
{
	struct sockaddr_in sin = self->sin;

	/* Too short for a sockaddr_in. */
	EXPECT_EQ(-1, bind(self->s, (struct sockaddr *)&sin, sizeof(sin) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, connect(self->s, (struct sockaddr *)&sin, 2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sendto(self->s, "x", 1, 0, (struct sockaddr *)&sin, 4));
	EXPECT_EQ(EINVAL, errno);
	/* Beyond sockaddr_storage: refused by Linux's core. */
	EXPECT_EQ(-1, bind(self->s, (struct sockaddr *)&sin, 4096));
	EXPECT_EQ(EINVAL, errno);
	/* Another family. */
	sin.sin_family = AF_INET;
	EXPECT_EQ(-1, bind(self->s, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	EXPECT_EQ(-1, connect(self->s, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	EXPECT_EQ(-1, sendto(self->s, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	/* A bad pointer. */
	EXPECT_EQ(-1, bind(self->s, (struct sockaddr *)8, sizeof(sin)));
	EXPECT_EQ(EFAULT, errno);
}

/* lo0 has 127.0.0.1: a raw socket binds to it or to the wildcard, not to
 * an address no interface has (rip_usrreq's ifa_ifwithaddr test). */
TEST_F(raw, bind_and_connect)
{
	struct sockaddr_in sin = self->sin;
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof(ss);

	sin.sin_addr.s_addr = htonl(0x0a000001);
	EXPECT_EQ(-1, bind(self->s, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	EXPECT_EQ(0, bind(self->s, (struct sockaddr *)&sin, sizeof(sin)));
	/* A sockaddr_storage-sized address is accepted, as Linux accepts it. */
	memcpy(&ss, &self->sin, sizeof(self->sin));
	ASSERT_EQ(0, bind(self->s, (struct sockaddr *)&ss, sizeof(ss)));
	ASSERT_EQ(0, getsockname(self->s, (struct sockaddr *)&ss, &len));
	EXPECT_EQ(htonl(INADDR_LOOPBACK), ((struct sockaddr_in *)&ss)->sin_addr.s_addr);

	sin.sin_addr.s_addr = htonl(0x7f000002);
	ASSERT_EQ(0, connect(self->s, (struct sockaddr *)&sin, sizeof(sin)));
	len = sizeof(ss);
	ASSERT_EQ(0, getpeername(self->s, (struct sockaddr *)&ss, &len));
	EXPECT_EQ(sin.sin_addr.s_addr, ((struct sockaddr_in *)&ss)->sin_addr.s_addr);
	EXPECT_EQ(AF_BSDINET, ((struct sockaddr_in *)&ss)->sin_family);
	/* Connected: sendto with an address is EISCONN. */
	EXPECT_EQ(-1, sendto(self->s, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EISCONN, errno);
}

TEST_F(raw, send_checks)
{
	static char big[9000];

	EXPECT_EQ(-1, send(self->s, "x", 1, 0));
	EXPECT_EQ(EDESTADDRREQ, errno);
	/* Larger than the raw send buffer (rip_sendspace, 8192). */
	EXPECT_EQ(-1, sendto(self->s, big, sizeof(big), 0,
			     (struct sockaddr *)&self->sin, sizeof(self->sin)));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(-1, sendto(self->s, (void *)8, 100, 0,
			     (struct sockaddr *)&self->sin, sizeof(self->sin)));
	EXPECT_EQ(EFAULT, errno);
	/* Sent: rip_output and ip_output on lo0. */
	EXPECT_EQ(1, sendto(self->s, "x", 1, 0,
			    (struct sockaddr *)&self->sin, sizeof(self->sin)));
	/* With only lo0, 10.0.0.1 has no route (ip_output's EHOSTUNREACH). */
	struct sockaddr_in far = self->sin;
	far.sin_addr.s_addr = htonl(0x0a000001);
	EXPECT_EQ(-1, sendto(self->s, "x", 1, 0, (struct sockaddr *)&far, sizeof(far)));
	EXPECT_EQ(EHOSTUNREACH, errno);
}

TEST_F(raw, unsupported_calls)
{
	int v = 1;
	socklen_t len = sizeof(v);

	EXPECT_EQ(-1, listen(self->s, 5));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, accept(self->s, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	/* Options the book does not have (sockopt_test.c has the rest). */
	EXPECT_EQ(-1, setsockopt(self->s, SOL_SOCKET, SO_PRIORITY, &v, sizeof(v)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, getsockopt(self->s, IPPROTO_IP, IP_PKTINFO, &v, &len));
	EXPECT_EQ(ENOPROTOOPT, errno);
	/* Linux's interface ioctls must not reach Linux's interfaces
	 * (SIOCGIFCONF itself never reaches a protocol: Linux answers it). */
	struct ifreq ifr = { .ifr_name = "lo" };
	EXPECT_EQ(-1, ioctl(self->s, SIOCGIFFLAGS, &ifr));
	EXPECT_EQ(EOPNOTSUPP, errno);
	int sv[2];
	EXPECT_EQ(-1, socketpair(AF_BSDINET, SOCK_RAW, 0, sv));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

TEST_F(raw, nonblocking_and_poll)
{
	char c;
	struct pollfd pfd = { .fd = self->s, .events = POLLIN | POLLOUT };

	EXPECT_EQ(-1, recv(self->s, &c, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);

	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = self->s };
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->s, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	/* shutdown(SHUT_RD) makes the socket readable: EOF. */
	ASSERT_EQ(0, shutdown(self->s, SHUT_RD));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 1000));
	EXPECT_EQ((uint32_t)(EPOLLIN | EPOLLRDHUP), ev.events);
	EXPECT_EQ(0, recv(self->s, &c, 1, 0));
	close(ep);
	EXPECT_EQ(-1, shutdown(self->s, 7));
	EXPECT_EQ(EINVAL, errno);
}

static void *shut_later(void *arg)
{
	usleep(200 * 1000);
	shutdown(*(int *)arg, SHUT_RDWR);
	return NULL;
}

/* A blocked recv wakes when another thread shuts the socket down. */
TEST_F(raw, wakeup_on_shutdown)
{
	pthread_t t;
	char c;

	ASSERT_EQ(0, pthread_create(&t, NULL, shut_later, &self->s));
	EXPECT_EQ(0, recv(self->s, &c, 1, 0));
	pthread_join(t, NULL);
	/* And sending after SHUT_WR is EPIPE (with MSG_NOSIGNAL, no signal). */
	EXPECT_EQ(-1, sendto(self->s, "x", 1, MSG_NOSIGNAL,
			     (struct sockaddr *)&self->sin, sizeof(self->sin)));
	EXPECT_EQ(EPIPE, errno);
}

static void on_alarm(int sig) { (void)sig; }

/* A blocked recv is interrupted by a signal: EINTR without SA_RESTART. */
TEST_F(raw, interrupted_by_signal)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct timeval tv = { .tv_usec = 300 * 1000 };
	char c;

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	struct itimerval it = { .it_value = tv };
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_EQ(-1, recv(self->s, &c, 1, 0));
	EXPECT_EQ(EINTR, errno);
}

/* 10,000 socket/close cycles: nothing may leak (kmemleak checks at the end
 * of the run) and nothing may fail. Slow under emulation with KASAN. */
FIXTURE(cycles) {};
FIXTURE_SETUP(cycles) {}
FIXTURE_TEARDOWN(cycles) {}
TEST_F_TIMEOUT(cycles, socket_close, 600)
{
	for (int i = 0; i < 10000; i++) {
		int s = socket(AF_BSDINET, SOCK_RAW, i % 256);

		ASSERT_LE(0, s) TH_LOG("cycle %d: %s", i, strerror(errno));
		ASSERT_EQ(0, close(s));
		/* and the refused ones, which allocate and free too */
		ASSERT_EQ(-1, socket(AF_BSDINET, SOCK_STREAM, 132));
	}
}

TEST_HARNESS_MAIN
