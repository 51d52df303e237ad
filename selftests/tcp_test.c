// SPDX-License-Identifier: GPL-2.0
/*
 * TCP over bsdinet's lo0, through the system calls (book chapters 24-30
 * under the socket layer of chapters 15-16): listen and accept, blocking
 * and non-blocking connect, data both ways with partial counts, the
 * receive flags, shutdown, EPIPE and SIGPIPE, resets, out-of-band data,
 * the TCP options, poll and epoll, many connections through TIME_WAIT,
 * and a full listen queue. Runs in the test VM with bsdinet loaded, as
 * root. Every blocking call has a receive or send timeout, so a stuck
 * connection fails its test instead of hanging the run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/bsdinet.h>
#include <linux/sockios.h>

#include "kselftest_harness.h"
#include "bsdinet_test.h"

#define SYSCTL "/proc/sys/net/bsdinet/"
#ifndef TCP_NODELAY
#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#endif

static void timeouts(int s, int secs)
{
	struct timeval tv = { .tv_sec = secs };

	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int tcp(void)
{
	int s = socket(AF_BSDINET, SOCK_STREAM, 0);

	if (s >= 0)
		timeouts(s, 10);
	return s;
}

static unsigned short port_of(int s)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(s, (struct sockaddr *)&sin, &len))
		return 0;
	return ntohs(sin.sin_port);
}

/* A listener on 127.0.0.1 and `port` (0: ephemeral). */
static int listener(unsigned short port, int backlog)
{
	struct sockaddr_in sin = lo(port);
	int s = tcp(), one = 1;

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) || listen(s, backlog)) {
		close(s);
		return -1;
	}
	return s;
}

/* A connection through listener `l`: *c the connecting end, *a the
 * accepted one. 0 or -errno. */
static int connect_accept(int l, int *c, int *a)
{
	struct sockaddr_in to = lo(port_of(l));

	*c = tcp();
	if (*c < 0)
		return -errno;
	if (connect(*c, (struct sockaddr *)&to, sizeof(to)))
		return -errno;
	*a = accept(l, NULL, NULL);
	if (*a < 0)
		return -errno;
	timeouts(*a, 10);
	return 0;
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

/* TCP rows of /proc/bsdinet/pcb; with `state`, those in that state;
 * with `port`, those whose local or foreign port it is. */
static int tcp_pcbs(const char *state, unsigned short port)
{
	char line[512], proto[16], local[64], foreign[64], st[32];
	FILE *f = fopen("/proc/bsdinet/pcb", "r");
	int n = 0;

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char lp[16], fp[16];

		if (sscanf(line, "%15s %*s %*s %63s %63s %31s", proto, local, foreign, st) != 4)
			continue;
		if (strcmp(proto, "tcp") || (state && strcmp(st, state)))
			continue;
		snprintf(lp, sizeof(lp), ":%u", port);
		snprintf(fp, sizeof(fp), "%s", lp);
		if (port && !(strlen(local) > strlen(lp) &&
			      !strcmp(local + strlen(local) - strlen(lp), lp)) &&
		    !(strlen(foreign) > strlen(fp) &&
		      !strcmp(foreign + strlen(foreign) - strlen(fp), fp)))
			continue;
		n++;
	}
	fclose(f);
	return n;
}

static int so_error(int s)
{
	int err = -1;
	socklen_t len = sizeof(err);

	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len))
		return -errno;
	return err;
}

static int intopt(int s, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(s, level, name, &v, &len))
		return -errno;
	return v;
}

/* Reads exactly n bytes (or to EOF or an error); the count read. */
static ssize_t readn(int s, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(s, (char *)buf + got, n - got, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return got ? (ssize_t)got : r;
		got += r;
	}
	return got;
}

static int nonblock(int s)
{
	return fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every test runs in its own process (the harness forks); the fixture
 * gives them their time limits and puts back the sysctl some change,
 * even after a failed assertion. */
FIXTURE(tcp) {
	int msl;
};

FIXTURE_SETUP(tcp)
{
	self->msl = sysctl("tcp/msl", -1);
}

FIXTURE_TEARDOWN(tcp)
{
	if (self->msl > 0)
		sysctl("tcp/msl", self->msl);
}

TEST_F_TIMEOUT(tcp, sysctls_refuse_nonsense, 120)
{
	static const char *const bad[][2] = {
		{ "tcp/msl", "0" },	  { "tcp/mssdflt", "10" },    { "tcp/rfc1323", "2" },
		{ "tcp/keepcnt", "0" },   { "tcp/keepidle", "-1" },   { "tcp/sendspace", "1" },
		{ "tcp/recvspace", "999999999" }, { "tcp/iss_rfc6528", "-1" },
		{ "socket/somaxconn", "0" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char path[128];
		int fd;

		snprintf(path, sizeof(path), SYSCTL "%s", bad[i][0]);
		fd = open(path, O_WRONLY);
		ASSERT_LE(0, fd) TH_LOG("%s", path);
		EXPECT_EQ(-1, write(fd, bad[i][1], strlen(bad[i][1])))
			TH_LOG("%s = %s", bad[i][0], bad[i][1]);
		EXPECT_EQ(EINVAL, errno);
		close(fd);
	}
	/* The defaults: the book's, with bsdinet's modern switches on. */
	EXPECT_EQ(30000, sysctl("tcp/msl", -1));
	EXPECT_EQ(512, sysctl("tcp/mssdflt", -1));
	EXPECT_EQ(7200000, sysctl("tcp/keepidle", -1));
	EXPECT_EQ(1, sysctl("tcp/iss_rfc6528", -1));
	EXPECT_EQ(1, sysctl("tcp/rfc5961", -1));
	EXPECT_EQ(128, sysctl("socket/somaxconn", -1));
}

TEST_F_TIMEOUT(tcp, listen_accept_and_accept4, 120)
{
	int l = listener(0, 5), c, a, a2, c2, flags;
	struct sockaddr_in peer, me, to;
	socklen_t len = sizeof(peer);

	ASSERT_LE(0, l);
	EXPECT_EQ(1, intopt(l, SOL_SOCKET, SO_ACCEPTCONN));
	ASSERT_EQ(0, connect_accept(l, &c, &a));
	EXPECT_EQ(0, intopt(c, SOL_SOCKET, SO_ACCEPTCONN));
	EXPECT_EQ(0, intopt(a, SOL_SOCKET, SO_ACCEPTCONN));
	EXPECT_EQ(SOCK_STREAM, intopt(a, SOL_SOCKET, SO_TYPE));
	/* The two ends see each other's addresses. */
	ASSERT_EQ(0, getpeername(a, (struct sockaddr *)&peer, &len));
	len = sizeof(me);
	ASSERT_EQ(0, getsockname(c, (struct sockaddr *)&me, &len));
	EXPECT_EQ(AF_BSDINET, peer.sin_family);
	EXPECT_EQ(me.sin_port, peer.sin_port);
	EXPECT_EQ(me.sin_addr.s_addr, peer.sin_addr.s_addr);
	EXPECT_EQ(port_of(l), port_of(a));
	len = sizeof(peer);
	ASSERT_EQ(0, getpeername(c, (struct sockaddr *)&peer, &len));
	EXPECT_EQ(htons(port_of(l)), peer.sin_port);
	EXPECT_EQ(1, tcp_pcbs("LISTEN", port_of(l)));

	/* accept4: the flags on the new descriptor. */
	to = lo(port_of(l));
	c2 = tcp();
	ASSERT_EQ(0, connect(c2, (struct sockaddr *)&to, sizeof(to)));
	len = sizeof(peer);
	a2 = accept4(l, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ASSERT_LE(0, a2);
	EXPECT_EQ(sizeof(peer), len);
	EXPECT_EQ(AF_BSDINET, peer.sin_family);
	flags = fcntl(a2, F_GETFL);
	EXPECT_TRUE(!!(flags & O_NONBLOCK));
	EXPECT_TRUE(!!(fcntl(a2, F_GETFD) & FD_CLOEXEC));
	EXPECT_EQ(-1, recv(a2, &flags, 1, 0));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_FALSE(!!(fcntl(a, F_GETFD) & FD_CLOEXEC));
	EXPECT_EQ(-1, accept4(l, NULL, NULL, 0x40000000));
	EXPECT_EQ(EINVAL, errno);

	/* Nothing queued: a non-blocking accept says EAGAIN. */
	nonblock(l);
	EXPECT_EQ(-1, accept(l, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	/* accept on a socket that does not listen. */
	EXPECT_EQ(-1, accept(c, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	close(c2);
	close(a2);
	close(a);
	close(c);
	close(l);
}

TEST_F_TIMEOUT(tcp, nonblocking_connect, 120)
{
	int l = listener(0, 5), c, a, r;
	struct sockaddr_in to = lo(port_of(l));
	struct pollfd p;

	ASSERT_LE(0, l);
	c = tcp();
	ASSERT_EQ(0, nonblock(c));
	r = connect(c, (struct sockaddr *)&to, sizeof(to));
	/* Over lo0 the handshake may be done before connect returns. */
	if (r) {
		ASSERT_EQ(EINPROGRESS, errno);
		r = connect(c, (struct sockaddr *)&to, sizeof(to));
		EXPECT_TRUE(r == 0 || errno == EALREADY || errno == EISCONN);
	}
	p = (struct pollfd){ .fd = c, .events = POLLOUT };
	ASSERT_EQ(1, poll(&p, 1, 5000));
	EXPECT_TRUE(!!(p.revents & POLLOUT));
	EXPECT_EQ(0, so_error(c));
	EXPECT_EQ(-1, connect(c, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(EISCONN, errno);
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(3, send(c, "abc", 3, 0));
	close(a);
	close(c);
	close(l);
}

TEST_F_TIMEOUT(tcp, connect_in_progress_then_ealready, 120)
{
	/* A listen queue of 1 takes two connections (the book's 3/2) and
	 * drops the next SYNs without a word: the third connection stays
	 * in SYN_SENT until its SYN is sent again, 3 s later. */
	int l = listener(0, 1), q[2], c;
	struct sockaddr_in to;
	struct pollfd p;

	ASSERT_LE(0, l);
	to = lo(port_of(l));
	for (int i = 0; i < 2; i++) {
		q[i] = tcp();
		nonblock(q[i]);
		connect(q[i], (struct sockaddr *)&to, sizeof(to));
	}
	usleep(300 * 1000);
	c = tcp();
	ASSERT_LE(0, c);
	ASSERT_EQ(0, nonblock(c));
	ASSERT_EQ(-1, connect(c, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(EINPROGRESS, errno);
	EXPECT_EQ(-1, connect(c, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(EALREADY, errno);
	EXPECT_EQ(1, tcp_pcbs("SYN_SENT", port_of(l)));
	p = (struct pollfd){ .fd = c, .events = POLLOUT };
	EXPECT_EQ(0, poll(&p, 1, 300));
	EXPECT_EQ(0, so_error(c));
	EXPECT_EQ(-1, send(c, "x", 1, MSG_NOSIGNAL));
	EXPECT_TRUE(errno == EAGAIN || errno == ENOTCONN);
	close(c);
	EXPECT_EQ(0, tcp_pcbs("SYN_SENT", port_of(l)));
	close(q[0]);
	close(q[1]);
	close(l);
}

TEST_F_TIMEOUT(tcp, connection_refused, 120)
{
	int gone = listener(0, 1), c;
	unsigned short port = port_of(gone);
	struct sockaddr_in to = lo(port);
	long long noport = bsd_stat("tcp", "tcps_noport");
	struct pollfd p;
	int r;

	ASSERT_LE(0, gone);
	close(gone);
	c = tcp();
	EXPECT_EQ(-1, connect(c, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(ECONNREFUSED, errno);
	close(c);
	EXPECT_LT(noport, bsd_stat("tcp", "tcps_noport"));

	/* Non-blocking: the refusal comes in SO_ERROR. */
	c = tcp();
	nonblock(c);
	r = connect(c, (struct sockaddr *)&to, sizeof(to));
	EXPECT_EQ(-1, r) TH_LOG("a connect to a closed port succeeded");
	if (r && errno == EINPROGRESS) {
		p = (struct pollfd){ .fd = c, .events = POLLOUT };
		EXPECT_EQ(1, poll(&p, 1, 5000));
		EXPECT_EQ(ECONNREFUSED, so_error(c));
	} else if (r) {
		EXPECT_EQ(ECONNREFUSED, errno);
	}
	close(c);
}

TEST_F_TIMEOUT(tcp, echo_with_partial_counts, 300)
{
	enum { TOTAL = 2 << 20 };
	int l = listener(0, 5), c, a, partial = 0, wouldblock = 0;
	unsigned char *out = malloc(TOTAL), *in = malloc(TOTAL);
	size_t sent = 0, got = 0;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, connect_accept(l, &c, &a));
	for (size_t i = 0; i < TOTAL; i++)
		out[i] = (unsigned char)(i * 7 + i / 251);
	nonblock(c);
	nonblock(a);
	while (got < TOTAL) {
		if (sent < TOTAL) {
			size_t want = TOTAL - sent < 100000 ? TOTAL - sent : 100000;
			ssize_t n = send(c, out + sent, want, 0);

			if (n > 0) {
				partial += (size_t)n < want;
				sent += n;
			} else {
				ASSERT_EQ(EAGAIN, errno);
				wouldblock++;
			}
		}
		ssize_t n = recv(a, in + got, TOTAL - got, 0);

		if (n > 0)
			got += n;
		else if (n == 0)
			break;
		else
			ASSERT_EQ(EAGAIN, errno);
		if (n < 0) {
			struct pollfd p = { .fd = a, .events = POLLIN };

			poll(&p, 1, 100);
		}
	}
	ASSERT_EQ((size_t)TOTAL, got);
	EXPECT_EQ(0, memcmp(in, out, TOTAL));
	TH_LOG("%d partial sends, %d EAGAIN", partial, wouldblock);
	EXPECT_LT(0, partial + wouldblock);

	/* And back, blocking, with the sender's end of file. */
	int fl = fcntl(a, F_GETFL);

	fcntl(a, F_SETFL, fl & ~O_NONBLOCK);
	fl = fcntl(c, F_GETFL);
	fcntl(c, F_SETFL, fl & ~O_NONBLOCK);
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		size_t off = 0;

		while (off < TOTAL) {
			ssize_t n = send(a, in + off, TOTAL - off, 0);

			if (n <= 0)
				_exit(1);
			off += n;
		}
		shutdown(a, SHUT_WR);
		_exit(0);
	}
	memset(in, 0, TOTAL);
	EXPECT_EQ((ssize_t)TOTAL, readn(c, in, TOTAL));
	EXPECT_EQ(0, memcmp(in, out, TOTAL));
	EXPECT_EQ(0, recv(c, in, 1, 0));
	int status;

	waitpid(pid, &status, 0);
	EXPECT_EQ(0, status);
	free(in);
	free(out);
	close(a);
	close(c);
	close(l);
}

struct dribble {
	int s;
	int pieces;
};

static void *dribbler(void *arg)
{
	struct dribble *d = arg;

	for (int i = 0; i < d->pieces; i++) {
		usleep(100 * 1000);
		send(d->s, "0123456789", 10, 0);
	}
	return NULL;
}

TEST_F_TIMEOUT(tcp, recv_flags_waitall_peek_dontwait, 120)
{
	int l = listener(0, 5), c, a;
	char buf[64];
	pthread_t t;
	struct dribble d;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, connect_accept(l, &c, &a));
	/* MSG_DONTWAIT on an empty buffer. */
	EXPECT_EQ(-1, recv(a, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	/* MSG_WAITALL waits for all 30 bytes, sent in three pieces. */
	d = (struct dribble){ .s = c, .pieces = 3 };
	pthread_create(&t, NULL, dribbler, &d);
	EXPECT_EQ(30, recv(a, buf, 30, MSG_WAITALL));
	pthread_join(t, NULL);
	EXPECT_EQ(0, memcmp(buf, "012345678901234567890123456789", 30));
	/* MSG_PEEK leaves the data. */
	ASSERT_EQ(5, send(c, "hello", 5, 0));
	usleep(100 * 1000);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(5, recv(a, buf, sizeof(buf), MSG_PEEK));
	EXPECT_EQ(5, recv(a, buf + 10, sizeof(buf) - 10, MSG_PEEK | MSG_DONTWAIT));
	EXPECT_EQ(3, recv(a, buf + 20, 3, 0));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(0, memcmp(buf + 20, "hel", 3));
	EXPECT_EQ(2, recv(a, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "lo", 2));
	/* MSG_WAITALL ends early at the end of the data. */
	send(c, "abc", 3, 0);
	shutdown(c, SHUT_WR);
	EXPECT_EQ(3, recv(a, buf, 10, MSG_WAITALL));
	close(a);
	close(c);
	close(l);
}

TEST_F_TIMEOUT(tcp, shutdown_each_way, 120)
{
	int l = listener(0, 5), c, a;
	char buf[16];

	ASSERT_LE(0, l);
	/* SHUT_WR: the peer reads the end of the data and can still send. */
	ASSERT_EQ(0, connect_accept(l, &c, &a));
	ASSERT_EQ(4, send(c, "ping", 4, 0));
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	EXPECT_EQ(4, readn(a, buf, 4));
	EXPECT_EQ(0, recv(a, buf, sizeof(buf), 0));
	EXPECT_EQ(4, send(a, "pong", 4, 0));
	EXPECT_EQ(4, readn(c, buf, 4));
	EXPECT_EQ(0, memcmp(buf, "pong", 4));
	EXPECT_EQ(1, tcp_pcbs("FIN_WAIT_2", port_of(c)));
	EXPECT_EQ(1, tcp_pcbs("CLOSE_WAIT", port_of(c)));
	ASSERT_EQ(0, shutdown(a, SHUT_WR));
	EXPECT_EQ(0, recv(c, buf, sizeof(buf), 0));
	close(a);
	close(c);

	/* SHUT_RD: reads see the end at once. */
	ASSERT_EQ(0, connect_accept(l, &c, &a));
	ASSERT_EQ(0, shutdown(c, SHUT_RD));
	EXPECT_EQ(0, recv(c, buf, sizeof(buf), 0));
	EXPECT_EQ(2, send(c, "ok", 2, 0));
	EXPECT_EQ(2, readn(a, buf, 2));
	close(a);
	close(c);

	/* SHUT_RDWR: both. */
	ASSERT_EQ(0, connect_accept(l, &c, &a));
	ASSERT_EQ(0, shutdown(c, SHUT_RDWR));
	EXPECT_EQ(0, recv(c, buf, sizeof(buf), 0));
	EXPECT_EQ(0, recv(a, buf, sizeof(buf), 0));
	EXPECT_EQ(-1, shutdown(l, 7));
	EXPECT_EQ(EINVAL, errno);
	close(a);
	close(c);
	close(l);
}

static volatile sig_atomic_t pipes;

static void on_sigpipe(int sig)
{
	pipes++;
}

TEST_F_TIMEOUT(tcp, epipe_sigpipe_and_nosignal, 120)
{
	int l = listener(0, 5), c, a;

	ASSERT_LE(0, l);
	signal(SIGPIPE, on_sigpipe);
	ASSERT_EQ(0, connect_accept(l, &c, &a));
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	pipes = 0;
	EXPECT_EQ(-1, send(c, "x", 1, 0));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(1, pipes);
	EXPECT_EQ(-1, send(c, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(1, pipes);
	EXPECT_EQ(-1, write(c, "x", 1));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(2, pipes);
	close(a);
	close(c);

	/* The peer closed: the first send draws its RST, later ones fail. */
	ASSERT_EQ(0, connect_accept(l, &c, &a));
	close(a);
	usleep(200 * 1000);
	int failed = 0, err = 0;

	for (int i = 0; i < 20 && !failed; i++) {
		if (send(c, "data", 4, MSG_NOSIGNAL) < 0) {
			failed = 1;
			err = errno;
		}
		usleep(50 * 1000);
	}
	EXPECT_TRUE(failed);
	EXPECT_TRUE(err == EPIPE || err == ECONNRESET);
	close(c);
	close(l);
	signal(SIGPIPE, SIG_DFL);
}

TEST_F_TIMEOUT(tcp, linger_zero_resets, 120)
{
	int l = listener(0, 5), c, a;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char buf[8];
	unsigned short port;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, connect_accept(l, &c, &a));
	port = port_of(c);
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(c);
	EXPECT_EQ(-1, recv(a, buf, sizeof(buf), 0));
	EXPECT_EQ(ECONNRESET, errno);
	/* No TIME_WAIT for a reset connection. */
	EXPECT_EQ(0, tcp_pcbs("TIME_WAIT", port));
	close(a);
	close(l);
}

TEST_F_TIMEOUT(tcp, out_of_band, 120)
{
	int l = listener(0, 5), c, a, mark, on = 1;
	char buf[16];
	struct pollfd p;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, connect_accept(l, &c, &a));
	ASSERT_EQ(3, send(c, "abc", 3, 0));
	ASSERT_EQ(1, send(c, "!", 1, MSG_OOB));
	p = (struct pollfd){ .fd = a, .events = POLLPRI };
	EXPECT_EQ(1, poll(&p, 1, 5000));
	EXPECT_TRUE(!!(p.revents & POLLPRI));
	usleep(100 * 1000);
	ASSERT_EQ(0, ioctl(a, SIOCATMARK, &mark));
	EXPECT_EQ(0, mark);
	/* A read stops at the mark. */
	EXPECT_EQ(3, recv(a, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	ASSERT_EQ(0, ioctl(a, SIOCATMARK, &mark));
	EXPECT_EQ(1, mark);
	EXPECT_EQ(1, recv(a, buf, sizeof(buf), MSG_OOB));
	EXPECT_EQ('!', buf[0]);
	EXPECT_EQ(-1, recv(a, buf, sizeof(buf), MSG_OOB));
	EXPECT_EQ(EINVAL, errno);

	/* SO_OOBINLINE: the byte stays in the stream. */
	ASSERT_EQ(0, setsockopt(a, SOL_SOCKET, SO_OOBINLINE, &on, sizeof(on)));
	EXPECT_EQ(1, intopt(a, SOL_SOCKET, SO_OOBINLINE));
	ASSERT_EQ(2, send(c, "xy", 2, 0));
	ASSERT_EQ(1, send(c, "#", 1, MSG_OOB));
	ASSERT_EQ(1, send(c, "z", 1, 0));
	usleep(200 * 1000);
	EXPECT_EQ(2, recv(a, buf, sizeof(buf), 0));
	ASSERT_EQ(0, ioctl(a, SIOCATMARK, &mark));
	EXPECT_EQ(1, mark);
	EXPECT_EQ(-1, recv(a, buf, sizeof(buf), MSG_OOB));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(2, readn(a, buf, 2));
	EXPECT_EQ(0, memcmp(buf, "#z", 2));
	close(a);
	close(c);
	close(l);
}

TEST_F_TIMEOUT(tcp, tcp_options, 120)
{
	int l = listener(0, 5), c, a, one = 1, mss;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, connect_accept(l, &c, &a));
	EXPECT_EQ(0, intopt(c, IPPROTO_TCP, TCP_NODELAY));
	ASSERT_EQ(0, setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	EXPECT_NE(0, intopt(c, IPPROTO_TCP, TCP_NODELAY));
	mss = intopt(c, IPPROTO_TCP, TCP_MAXSEG);
	TH_LOG("TCP_MAXSEG over lo0: %d", mss);
	/* lo0's MTU is 1536: at most 1496 bytes of data a segment. */
	EXPECT_LT(0, mss);
	EXPECT_GE(1496, mss);
	EXPECT_EQ(mss, intopt(a, IPPROTO_TCP, TCP_MAXSEG));
	EXPECT_EQ(IPPROTO_TCP, intopt(c, SOL_SOCKET, SO_PROTOCOL));
	EXPECT_EQ(-1, setsockopt(c, IPPROTO_TCP, 9999, &one, sizeof(one)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	close(a);
	close(c);
	close(l);
}

TEST_F_TIMEOUT(tcp, poll_and_epoll_rdhup, 120)
{
	int l = listener(0, 5), c, a, ep;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP }, got;
	struct pollfd p;
	char buf[8];

	ASSERT_LE(0, l);
	/* The listener is readable when a connection waits. */
	struct sockaddr_in to = lo(port_of(l));

	c = tcp();
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&to, sizeof(to)));
	p = (struct pollfd){ .fd = l, .events = POLLIN };
	EXPECT_EQ(1, poll(&p, 1, 5000));
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	/* A connected socket is writable, not readable. */
	p = (struct pollfd){ .fd = a, .events = POLLIN | POLLOUT };
	EXPECT_EQ(1, poll(&p, 1, 1000));
	EXPECT_EQ(POLLOUT, p.revents);

	ep = epoll_create1(0);
	ev.data.fd = a;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &got, 1, 100));
	send(c, "hi", 2, 0);
	ASSERT_EQ(1, epoll_wait(ep, &got, 1, 5000));
	EXPECT_TRUE(!!(got.events & EPOLLIN));
	EXPECT_FALSE(!!(got.events & EPOLLRDHUP));
	EXPECT_EQ(2, recv(a, buf, sizeof(buf), 0));
	shutdown(c, SHUT_WR);
	ASSERT_EQ(1, epoll_wait(ep, &got, 1, 5000));
	EXPECT_TRUE(!!(got.events & EPOLLIN));
	EXPECT_TRUE(!!(got.events & EPOLLRDHUP));
	p = (struct pollfd){ .fd = a, .events = POLLIN | POLLRDHUP };
	EXPECT_EQ(1, poll(&p, 1, 1000));
	EXPECT_TRUE(!!(p.revents & POLLRDHUP));
	/* Reset: POLLERR and POLLHUP. */
	struct linger lg = { 1, 0 };

	setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(c);
	usleep(200 * 1000);
	p = (struct pollfd){ .fd = a, .events = POLLIN };
	EXPECT_EQ(1, poll(&p, 1, 1000));
	EXPECT_TRUE(!!(p.revents & (POLLERR | POLLHUP)));
	close(ep);
	close(a);
	close(l);
}

TEST_F_TIMEOUT(tcp, many_connections_then_time_wait_ends, 600)
{
	enum { N = 2000 };
	int l = listener(0, 128), msl = sysctl("tcp/msl", 500), left = -1;
	unsigned short port;
	double t0 = now();
	char buf[4];

	ASSERT_LE(0, l);
	ASSERT_LT(0, msl);
	port = port_of(l);
	for (int i = 0; i < N; i++) {
		int c, a;

		ASSERT_EQ(0, connect_accept(l, &c, &a)) TH_LOG("connection %d", i);
		ASSERT_EQ(4, send(c, &i, 4, 0));
		ASSERT_EQ(4, readn(a, buf, 4));
		ASSERT_EQ(0, memcmp(buf, &i, 4));
		/* The client closes first and keeps the TIME_WAIT. */
		close(c);
		EXPECT_EQ(0, recv(a, buf, 4, 0));
		close(a);
	}
	TH_LOG("%d connections in %.1f s; %d in TIME_WAIT", N, now() - t0,
	       tcp_pcbs("TIME_WAIT", port));
	/* 2 MSL is 1 s now (msl = one slow tick): all go within seconds. */
	for (int i = 0; i < 300; i++) {
		left = tcp_pcbs(NULL, port);
		if (left == 1)
			break;
		usleep(100 * 1000);
	}
	EXPECT_EQ(1, left);
	close(l);
	EXPECT_EQ(0, tcp_pcbs(NULL, port));
	EXPECT_EQ(0, bsd_stat("tcp", "tcb.count") - tcp_pcbs(NULL, 0));
	sysctl("tcp/msl", msl);
}

TEST_F_TIMEOUT(tcp, addrinuse_in_time_wait, 120)
{
	int msl = sysctl("tcp/msl", 30000), l, c, a, s, one = 1;
	struct sockaddr_in me;
	unsigned short port;
	char buf[4];

	ASSERT_LT(0, msl);
	l = listener(0, 5);
	ASSERT_LE(0, l);
	port = port_of(l);
	ASSERT_EQ(0, connect_accept(l, &c, &a));
	close(l);
	/* The server's end closes first: its port goes to TIME_WAIT. */
	close(a);
	EXPECT_EQ(0, recv(c, buf, sizeof(buf), 0));
	close(c);
	usleep(200 * 1000);
	EXPECT_EQ(1, tcp_pcbs("TIME_WAIT", port));
	me = lo(port);
	s = tcp();
	EXPECT_EQ(-1, bind(s, (struct sockaddr *)&me, sizeof(me)));
	EXPECT_EQ(EADDRINUSE, errno);
	me.sin_addr.s_addr = 0;
	EXPECT_EQ(-1, bind(s, (struct sockaddr *)&me, sizeof(me)));
	EXPECT_EQ(EADDRINUSE, errno);
	close(s);
	s = tcp();
	ASSERT_EQ(0, setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	me = lo(port);
	EXPECT_EQ(0, bind(s, (struct sockaddr *)&me, sizeof(me)));
	EXPECT_EQ(0, listen(s, 5));
	close(s);
	sysctl("tcp/msl", msl);
}

TEST_F_TIMEOUT(tcp, full_backlog_drops_syns, 120)
{
	enum { N = 6 };
	int l = listener(0, 1), c[N], a, queued = 0;
	long long drops = bsd_stat("tcp", "tcps_listendrop");
	struct sockaddr_in to;
	char buf[2];

	ASSERT_LE(0, l);
	to = lo(port_of(l));
	for (int i = 0; i < N; i++) {
		c[i] = tcp();
		nonblock(c[i]);
		connect(c[i], (struct sockaddr *)&to, sizeof(to));
	}
	usleep(500 * 1000);
	for (int i = 0; i < N; i++) {
		struct pollfd p = { .fd = c[i], .events = POLLOUT };

		queued += poll(&p, 1, 0) == 1 && !so_error(c[i]);
	}
	TH_LOG("backlog 1: %d of %d connections completed, %lld SYNs dropped", queued, N,
	       bsd_stat("tcp", "tcps_listendrop") - drops);
	EXPECT_LT(0, queued);
	EXPECT_GT(N, queued);
	EXPECT_LT(drops, bsd_stat("tcp", "tcps_listendrop"));
	/* The queued connections are good. */
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(1, send(a, "!", 1, 0));
	for (int i = 0; i < N; i++) {
		if (recv(c[i], buf, 1, 0) == 1)
			break;
	}
	close(a);
	for (int i = 0; i < N; i++)
		close(c[i]);
	close(l);
}

TEST_HARNESS_MAIN
