// SPDX-License-Identifier: GPL-2.0
/*
 * netbench: the bench's small load generator, the same code over either
 * stack (AF_BSDINET or AF_INET), so that only the stack differs.
 *
 *   netbench [-f bsd|inet] [-t SECS] [-s SIZE] [-p PORT] [-a ADDR] [-b RCVBUF] [-n N] TEST
 *
 *   udp_rr     request/response of SIZE bytes over UDP, one socket each side
 *   udp_bulk   a sender floods SIZE-byte datagrams for SECS; prints what the
 *              receiver got (and what was offered) in Mbit/s
 *   tcp_rr     request/response of SIZE bytes over one TCP connection
 *   tcp_crr    connect, SIZE-byte request and response, close (netperf's TCP_CRR)
 *   tcp_hold   open N connections (both ends here), then print the kernel
 *              memory they took (per connection) and the CPU the idle stack
 *              uses holding them for SECS; N=0 opens as many as it can
 *              (up to -m MAX, default 100000) and prints how many
 *
 * The server side is a child process; the result is one line,
 * "TEST VALUE UNIT [extra ...]", on stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/bsdinet.h>

static int family = AF_BSDINET;
static double secs = 3;
static size_t size = 1;
static int port = 9100;
static const char *addr = "127.0.0.1";
static int rcvbuf;
static long nconn = 10000, maxconn = 100000;

static void die(const char *what)
{
	fprintf(stderr, "netbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct sockaddr_in sa(int p)
{
	struct sockaddr_in s = { .sin_family = family, .sin_port = htons(p) };

	if (inet_pton(AF_INET, addr, &s.sin_addr) != 1) {
		fprintf(stderr, "netbench: bad address %s\n", addr);
		exit(2);
	}
	return s;
}

static int sock(int type)
{
	int s = socket(family, type, 0), one = 1;

	if (s < 0)
		die("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (type == SOCK_STREAM)
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (rcvbuf && setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
		die("SO_RCVBUF");
	return s;
}

static void timeout(int s, double t)
{
	struct timeval tv = { .tv_sec = (time_t)t, .tv_usec = (t - (time_t)t) * 1e6 };

	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static int listener(int p)
{
	int s = sock(SOCK_STREAM);
	struct sockaddr_in a = sa(p);

	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	if (listen(s, 128) < 0)
		die("listen");
	return s;
}

/* Full reads and writes of a stream (SIZE may exceed one segment). */
static int readn(int s, char *b, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(s, b + got, n - got, 0);

		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

static int writen(int s, const char *b, size_t n)
{
	size_t put = 0;

	while (put < n) {
		ssize_t r = send(s, b + put, n - put, MSG_NOSIGNAL);

		if (r <= 0)
			return -1;
		put += r;
	}
	return 0;
}

static pid_t child(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0)
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the client */
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static void udp_rr(void)
{
	char *buf = calloc(1, size + 1);
	struct sockaddr_in a = sa(port);
	int srv = sock(SOCK_DGRAM);
	long n = 0, lost = 0;
	pid_t pid;
	double t0, t;

	if (bind(srv, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	pid = child();
	if (pid == 0) {
		for (;;) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t r = recvfrom(srv, buf, size, 0, (struct sockaddr *)&from, &fl);

			if (r >= 0)
				sendto(srv, buf, r, 0, (struct sockaddr *)&from, fl);
		}
	}
	close(srv);
	int c = sock(SOCK_DGRAM);

	if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	timeout(c, 0.5);
	t0 = now();
	while ((t = now()) - t0 < secs) {
		if (send(c, buf, size, 0) < 0)
			die("send");
		if (recv(c, buf, size, 0) < 0)
			lost++;
		else
			n++;
	}
	reap(pid);
	printf("udp_rr %.0f trans/s lost=%ld\n", n / (t - t0), lost);
}

static void udp_bulk(void)
{
	char *buf = calloc(1, size);
	struct sockaddr_in a = sa(port);
	int srv = sock(SOCK_DGRAM), pfd[2];
	long sent = 0, errs = 0, got = 0;
	pid_t pid;
	double t0, t;

	if (bind(srv, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	if (pipe(pfd) < 0)
		die("pipe");
	pid = child();
	if (pid == 0) {
		long n = 0;

		timeout(srv, 0.5);
		/* Counting starts with the first datagram, ends 0.5 s after the last. */
		while (recv(srv, buf, size, 0) >= 0)
			n++;
		if (write(pfd[1], &n, sizeof(n)) != sizeof(n))
			_exit(1);
		_exit(0);
	}
	close(srv);
	int c = sock(SOCK_DGRAM);

	if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	t0 = now();
	while ((t = now()) - t0 < secs) {
		for (int i = 0; i < 16; i++) {
			if (send(c, buf, size, 0) < 0)
				errs++;
			else
				sent++;
		}
	}
	if (read(pfd[0], &got, sizeof(got)) != sizeof(got))
		got = -1;
	waitpid(pid, NULL, 0);
	printf("udp_bulk %.1f Mbit/s offered=%.1f errors=%ld\n", got * size * 8 / (t - t0) / 1e6,
	       sent * size * 8 / (t - t0) / 1e6, errs);
}

static void tcp_server(int l, int persistent)
{
	char *buf = calloc(1, size);

	for (;;) {
		int s = accept(l, NULL, NULL);

		if (s < 0)
			continue;
		if (persistent) {
			while (readn(s, buf, size) == 0 && writen(s, buf, size) == 0)
				;
		} else if (readn(s, buf, size) == 0) {
			writen(s, buf, size);
		}
		close(s);
	}
}

static void tcp_rr(int crr)
{
	char *buf = calloc(1, size);
	struct sockaddr_in a = sa(port);
	int l = listener(port), c = -1;
	long n = 0, errs = 0;
	pid_t pid;
	double t0, t;

	pid = child();
	if (pid == 0)
		tcp_server(l, !crr);
	close(l);
	if (!crr) {
		c = sock(SOCK_STREAM);
		if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
			die("connect");
	}
	t0 = now();
	while ((t = now()) - t0 < secs) {
		if (crr) {
			c = sock(SOCK_STREAM);
			if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0) {
				errs++;
				close(c);
				continue;
			}
		}
		if (writen(c, buf, size) < 0 || readn(c, buf, size) < 0) {
			if (!crr)
				die("tcp_rr");
			errs++;
		} else {
			n++;
		}
		if (crr) {
			/* The server closes first (TIME_WAIT is on its side). */
			recv(c, buf, 1, 0);
			close(c);
		}
	}
	reap(pid);
	printf("%s %.0f trans/s errors=%ld\n", crr ? "tcp_crr" : "tcp_rr", n / (t - t0), errs);
}

/* Kernel memory in use, in bytes: MemTotal - MemFree, and Slab. */
static void meminfo(long *used, long *slab)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long total = 0, free_ = 0;

	*slab = 0;
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "MemTotal: %ld", &total);
		sscanf(line, "MemFree: %ld", &free_);
		sscanf(line, "Slab: %ld", slab);
	}
	if (f)
		fclose(f);
	*used = (total - free_) * 1024;
	*slab *= 1024;
}

/* CPU time used (all but idle and iowait), in clock ticks. */
static long long busy(long long *all)
{
	FILE *f = fopen("/proc/stat", "r");
	long long v[10] = { 0 }, sum = 0;

	if (!f || fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1],
			 &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) < 4)
		die("/proc/stat");
	fclose(f);
	for (int i = 0; i < 8; i++)
		sum += v[i];
	*all = sum;
	return sum - v[3] - v[4];
}

static void tcp_hold(void)
{
	long want = nconn ? nconn : maxconn, n = 0, used0, slab0, used1, slab1;
	int nl = (want + 19999) / 20000;
	int *fd = calloc(2 * want, sizeof(int)), *l = calloc(nl, sizeof(int));
	struct rlimit rl = { 2 * want + 64, 2 * want + 64 };
	const char *why = "limit";

	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("RLIMIT_NOFILE (fs.nr_open?)");
	for (int i = 0; i < nl; i++)
		l[i] = listener(port + i);
	sleep(1);
	meminfo(&used0, &slab0);
	while (n < want) {
		/* 20,000 connections per listening port, each from its own port. */
		struct sockaddr_in me = sa(30000 + n % 20000), srv = sa(port + n / 20000);
		int c = socket(family, SOCK_STREAM, 0), one = 1;

		if (c < 0) {
			why = strerror(errno);
			break;
		}
		setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(c, (struct sockaddr *)&me, sizeof(me)) < 0 ||
		    connect(c, (struct sockaddr *)&srv, sizeof(srv)) < 0) {
			why = strerror(errno);
			close(c);
			break;
		}
		int a = accept(l[n / 20000], NULL, NULL);

		if (a < 0) {
			why = strerror(errno);
			close(c);
			break;
		}
		fd[2 * n] = c;
		fd[2 * n + 1] = a;
		n++;
	}
	sleep(2);
	meminfo(&used1, &slab1);
	long long all0, all1, b0 = busy(&all0), b1;

	sleep(secs);
	b1 = busy(&all1);
	printf("tcp_hold %ld conns mem_per_conn=%ld slab_per_conn=%ld idle_cpu=%.2f%% stop=%s\n", n,
	       n ? (used1 - used0) / n : 0, n ? (slab1 - slab0) / n : 0,
	       all1 > all0 ? 100.0 * (b1 - b0) / (all1 - all0) : 0.0, n < want ? why : "target");
	fflush(stdout);
	for (long i = 0; i < 2 * n; i++)
		close(fd[i]);
}

int main(int argc, char **argv)
{
	int o;

	while ((o = getopt(argc, argv, "f:t:s:p:a:b:n:m:")) != -1) {
		switch (o) {
		case 'f':
			family = strcmp(optarg, "inet") == 0 ? AF_INET : AF_BSDINET;
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 's':
			size = atol(optarg);
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'a':
			addr = optarg;
			break;
		case 'b':
			rcvbuf = atoi(optarg);
			break;
		case 'n':
			nconn = atol(optarg);
			break;
		case 'm':
			maxconn = atol(optarg);
			break;
		default:
			fprintf(stderr, "usage: netbench [-f bsd|inet] [-t secs] [-s size] [-p port] [-a addr] "
					"[-b rcvbuf] [-n conns] [-m max] udp_rr|udp_bulk|tcp_rr|tcp_crr|tcp_hold\n");
			return 2;
		}
	}
	if (optind >= argc || size < 1) {
		fprintf(stderr, "netbench: which test?\n");
		return 2;
	}
	const char *t = argv[optind];

	if (!strcmp(t, "udp_rr"))
		udp_rr();
	else if (!strcmp(t, "udp_bulk"))
		udp_bulk();
	else if (!strcmp(t, "tcp_rr"))
		tcp_rr(0);
	else if (!strcmp(t, "tcp_crr"))
		tcp_rr(1);
	else if (!strcmp(t, "tcp_hold"))
		tcp_hold();
	else {
		fprintf(stderr, "netbench: unknown test %s\n", t);
		return 2;
	}
	return 0;
}
