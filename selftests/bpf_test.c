// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/bsdbpf, the BSD packet filter (book chapter 31), on bsdinet's lo0:
 * the ioctls and their errors, bpf_validate refusing bad programs, the
 * buffers (whole-buffer reads of bpf_hdr records, drops when both are
 * full), immediate mode, the read timeout, non-blocking reads and poll,
 * write, and CAP_NET_RAW. Runs in the test VM with bsdinet loaded, as
 * root; bpf_test.sh covers bpfdump, Ethernet, SLIP and detaching.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/bsdinet.h>

#include "kselftest_harness.h"

#define BPF_LD_B_ABS	0x30
#define BPF_JEQ_K	0x15
#define BPF_RET_K	0x06
#define BPF_JA		0x05

static int bpf_open(const char *ifname, __u32 blen)
{
	struct bsdinet_ifreq ifr;
	int fd = open(BSDINET_BPF_DEVICE, O_RDWR);

	if (fd < 0)
		return -1;
	if (blen && ioctl(fd, BSDINET_BIOCSBLEN, &blen) < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.bifr_name, sizeof(ifr.bifr_name), "%s", ifname);
	if (ioctl(fd, BSDINET_BIOCSETIF, &ifr) < 0)
		return -1;
	return fd;
}

static int setf(int fd, struct bsdinet_bpf_insn *insns, unsigned int n)
{
	struct bsdinet_bpf_program p = { .bf_len = n, .bf_insns = insns };

	return ioctl(fd, BSDINET_BIOCSETF, &p);
}

/* "udp" on DLT_NULL: the protocol byte at 4 + 9. */
static struct bsdinet_bpf_insn udp_prog[] = {
	{ BPF_LD_B_ABS, 0, 0, 13 },
	{ BPF_JEQ_K, 0, 1, 17 },
	{ BPF_RET_K, 0, 0, 65535 },
	{ BPF_RET_K, 0, 0, 0 },
};

/* A UDP datagram to 127.0.0.1:port over bsdinet (lo0's tap sees it). */
static void send_udp(unsigned short port, size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_BSDINET, .sin_port = htons(port) };
	char buf[2048];
	int s = socket(AF_BSDINET, SOCK_DGRAM, 0);

	memset(buf, 'u', sizeof(buf));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s >= 0) {
		sendto(s, buf, len, 0, (struct sockaddr *)&sin, sizeof(sin));
		close(s);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The records of a buffer: checks each, counts them. */
static int records(const unsigned char *buf, ssize_t n, unsigned int *caplen0)
{
	ssize_t off = 0;
	int k = 0;

	while (off + (ssize_t)sizeof(struct bsdinet_bpf_hdr) <= n) {
		struct bsdinet_bpf_hdr h;

		memcpy(&h, buf + off, sizeof(h));
		if (h.bh_hdrlen != 20 || off + h.bh_hdrlen + h.bh_caplen > n ||
		    h.bh_caplen > h.bh_datalen)
			return -1;
		if (k == 0 && caplen0)
			*caplen0 = h.bh_caplen;
		k++;
		off += BSDINET_BPF_WORDALIGN(h.bh_hdrlen + h.bh_caplen);
	}
	return off == BSDINET_BPF_WORDALIGN(n) ? k : -1;
}

TEST(ioctls)
{
	struct bsdinet_bpf_version v;
	struct bsdinet_ifreq ifr;
	__u32 x;
	int fd = open(BSDINET_BPF_DEVICE, O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, BSDINET_BIOCVERSION, &v));
	EXPECT_EQ(BSDINET_BPF_MAJOR_VERSION, v.bv_major);
	ASSERT_EQ(0, ioctl(fd, BSDINET_BIOCGBLEN, &x));
	EXPECT_EQ((unsigned int)(4096), x);
	/* Huge and tiny sizes are bounded. */
	x = 0xffffffff;
	ASSERT_EQ(0, ioctl(fd, BSDINET_BIOCSBLEN, &x));
	EXPECT_EQ((unsigned int)(512 * 1024), x);
	x = 1;
	ASSERT_EQ(0, ioctl(fd, BSDINET_BIOCSBLEN, &x));
	EXPECT_EQ((unsigned int)(32), x);
	/* Before an interface: no link type, reads fail. */
	EXPECT_EQ(-1, ioctl(fd, BSDINET_BIOCGDLT, &x));
	EXPECT_EQ(EINVAL, errno);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.bifr_name, "nosuch9");
	EXPECT_EQ(-1, ioctl(fd, BSDINET_BIOCSETIF, &ifr));
	EXPECT_EQ(ENXIO, errno);
	strcpy(ifr.bifr_name, "lo0");
	ASSERT_EQ(0, ioctl(fd, BSDINET_BIOCSETIF, &ifr));
	ASSERT_EQ(0, ioctl(fd, BSDINET_BIOCGDLT, &x));
	EXPECT_EQ((unsigned int)(BSDINET_DLT_NULL), x);
	memset(&ifr, 0, sizeof(ifr));
	ASSERT_EQ(0, ioctl(fd, BSDINET_BIOCGETIF, &ifr));
	EXPECT_STREQ("lo0", ifr.bifr_name);
	/* The size is fixed once attached. */
	x = 8192;
	EXPECT_EQ(-1, ioctl(fd, BSDINET_BIOCSBLEN, &x));
	EXPECT_EQ(EINVAL, errno);
	/* Unknown ioctls. */
	EXPECT_EQ(-1, ioctl(fd, _IO('B', 200)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, _IOR('B', 102, __u64), &x));
	EXPECT_EQ(EINVAL, errno);
	/* Reads must be of the buffer size. */
	char small[10];
	EXPECT_EQ(-1, read(fd, small, sizeof(small)));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

TEST(bad_programs)
{
	struct bsdinet_bpf_insn ret = { BPF_RET_K, 0, 0, 1 };
	struct bsdinet_bpf_insn progs[][2] = {
		{ { BPF_JA, 0, 0, 0xffffffff }, ret },		/* "backward" jump */
		{ { BPF_JEQ_K, 1, 0, 0 }, ret },		/* out of range */
		{ { 0xff, 0, 0, 0 }, ret },			/* bad opcode */
		{ { 0x34, 0, 0, 0 }, ret },			/* A /= 0 */
		{ { 0x02, 0, 0, 16 }, ret },			/* M[16] = A */
		{ ret, { BPF_LD_B_ABS, 0, 0, 0 } },		/* no final RET */
	};
	static struct bsdinet_bpf_insn big[513];
	int fd = bpf_open("lo0", 0);

	ASSERT_LE(0, fd);
	for (unsigned int i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		EXPECT_EQ(-1, setf(fd, progs[i], 2)) TH_LOG("program %u", i);
		EXPECT_EQ(EINVAL, errno);
	}
	for (int i = 0; i < 513; i++)
		big[i] = ret;
	EXPECT_EQ(-1, setf(fd, big, 513));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, setf(fd, big, 512));
	EXPECT_EQ(-1, setf(fd, (void *)8, 2));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, setf(fd, NULL, 0));
	close(fd);
}

TEST(timeout_immediate_nonblocking)
{
	struct bsdinet_bpf_timeval tv = { 0, 300000 }, tv2;
	unsigned char buf[4096];
	unsigned int caplen = 0;
	__u32 n;
	int fd = bpf_open("lo0", 0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setf(fd, udp_prog, 4));
	ASSERT_EQ(0, ioctl(fd, BSDINET_BIOCSRTIMEOUT, &tv));
	ASSERT_EQ(0, ioctl(fd, BSDINET_BIOCGRTIMEOUT, &tv2));
	EXPECT_EQ(300000, tv2.tv_usec);
	tv2.tv_usec = 1000000;
	EXPECT_EQ(-1, ioctl(fd, BSDINET_BIOCSRTIMEOUT, &tv2));
	EXPECT_EQ(EINVAL, errno);
	/* Nothing: the timeout passes, read returns 0. */
	double t0 = now();
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	EXPECT_LE(0.25, now() - t0);
	/* One datagram, not a full buffer: the timeout returns it. */
	send_udp(9, 100);
	ASSERT_EQ(0, ioctl(fd, FIONREAD, &n));
	EXPECT_EQ((unsigned int)(20 + 4 + 20 + 8 + 100), n);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	EXPECT_EQ(0, poll(&pfd, 1, 100)) TH_LOG("not readable before a buffer fills");
	t0 = now();
	ssize_t r = read(fd, buf, sizeof(buf));
	EXPECT_EQ(20 + 4 + 20 + 8 + 100, r);
	EXPECT_LE(0.25, now() - t0);
	EXPECT_EQ(1, records(buf, r, &caplen));
	EXPECT_EQ((unsigned int)(4 + 20 + 8 + 100), caplen);
	/* poll with the read timeout: readable once it runs out. */
	send_udp(9, 20);
	t0 = now();
	EXPECT_EQ(1, poll(&pfd, 1, 3000));
	EXPECT_LE(0.25, now() - t0);
	EXPECT_GT(2.0, now() - t0);
	t0 = now();
	EXPECT_EQ(20 + 4 + 20 + 8 + 20, read(fd, buf, sizeof(buf)));
	EXPECT_GT(0.2, now() - t0);
	/* Non-blocking: EAGAIN. */
	int fl = fcntl(fd, F_GETFL);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, fl | O_NONBLOCK));
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	/* Immediate mode: each packet at once, and poll says so. */
	n = 1;
	ASSERT_EQ(0, ioctl(fd, BSDINET_BIOCIMMEDIATE, &n));
	send_udp(9, 10);
	EXPECT_EQ(1, poll(&pfd, 1, 1000));
	t0 = now();
	r = read(fd, buf, sizeof(buf));
	EXPECT_EQ(20 + 4 + 20 + 8 + 10, r);
	EXPECT_GT(0.1, now() - t0);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, fl));
	close(fd);
}

TEST(full_buffers_drop)
{
	struct bsdinet_bpf_stat st;
	unsigned char buf[256];
	int fd = bpf_open("lo0", 256);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setf(fd, udp_prog, 4));
	/* 152-byte records: one per buffer; two kept, the rest dropped. */
	for (int i = 0; i < 10; i++)
		send_udp(9, 100);
	/* Each datagram's ICMP port unreachable is seen and rejected too. */
	ASSERT_EQ(0, ioctl(fd, BSDINET_BIOCGSTATS, &st));
	EXPECT_EQ((unsigned int)(20), st.bs_recv);
	EXPECT_EQ((unsigned int)(8), st.bs_drop);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(152, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(1, records(buf, 152, NULL));
	ASSERT_EQ(0, ioctl(fd, BSDINET_BIOCFLUSH));
	ASSERT_EQ(0, ioctl(fd, BSDINET_BIOCGSTATS, &st));
	EXPECT_EQ((unsigned int)(0), st.bs_recv + st.bs_drop);
	/* A snap length from the filter: 10 bytes of each. */
	struct bsdinet_bpf_insn snap = { BPF_RET_K, 0, 0, 10 };
	ASSERT_EQ(0, setf(fd, &snap, 1));
	for (int i = 0; i < 4; i++)
		send_udp(9, 100);
	/* 32-byte records (20 + 10, aligned): 8 fill the buffer. */
	ASSERT_EQ(0, ioctl(fd, BSDINET_BIOCGSTATS, &st));
	EXPECT_EQ((unsigned int)(8), st.bs_recv);
	EXPECT_EQ((unsigned int)(0), st.bs_drop);
	__u32 on = 1;
	ASSERT_EQ(0, ioctl(fd, BSDINET_BIOCIMMEDIATE, &on));
	ssize_t r = read(fd, buf, sizeof(buf));
	EXPECT_EQ(7 * 32 + 30, r);
	EXPECT_EQ(8, records(buf, r, NULL));
	close(fd);
}

TEST(write_on_lo0)
{
	/* An ICMP echo request to 127.0.0.1, as read gives it. */
	unsigned char f[4 + 20 + 8] = { 2, 0, 0, 0, 0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0,
					127, 0, 0, 1, 127, 0, 0, 1, 8, 0, 0xf7, 0xfe, 0, 1, 0, 0 };
	unsigned int sum = 0;
	struct bsdinet_bpf_insn all = { BPF_RET_K, 0, 0, 65535 };
	struct bsdinet_bpf_timeval tv = { 0, 200000 };
	unsigned char buf[4096];
	int fd = bpf_open("lo0", 0);

	for (int i = 4; i < 24; i += 2)
		sum += f[i] << 8 | f[i + 1];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = ~((sum & 0xffff) + (sum >> 16)) & 0xffff;
	f[14] = sum >> 8;
	f[15] = sum & 0xff;
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setf(fd, &all, 1));
	ASSERT_EQ(0, ioctl(fd, BSDINET_BIOCSRTIMEOUT, &tv));
	/*
	 * Sent out of lo0, so input: the tap sees it leave, then the
	 * stack's echo reply.
	 */
	EXPECT_EQ((ssize_t)sizeof(f), write(fd, f, sizeof(f)));
	ssize_t r = read(fd, buf, sizeof(buf));
	ASSERT_EQ(2, records(buf, r, NULL));
	EXPECT_EQ(0, memcmp(buf + 20, f, sizeof(f)));
	EXPECT_EQ(0, buf[52 + 20 + 4 + 20]) TH_LOG("an echo reply");
	f[0] = 9;
	EXPECT_EQ(-1, write(fd, f, sizeof(f)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	close(fd);
}

TEST(needs_cap_net_raw)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		syscall(SYS_capget, &h, d);
		d[0].effective &= ~(1u << CAP_NET_RAW);
		d[0].permitted &= ~(1u << CAP_NET_RAW);
		if (syscall(SYS_capset, &h, d))
			_exit(2);
		int fd = open(BSDINET_BPF_DEVICE, O_RDWR);
		_exit(fd < 0 && errno == EPERM ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Reads a descriptor until told to stop (the tap_cost test's reader). */
static volatile int reader_stop;
static void *reader(void *arg)
{
	static unsigned char buf[32768];
	int fd = *(int *)arg;

	while (!reader_stop)
		read(fd, buf, sizeof(buf));
	return NULL;
}

/* ns per datagram sent to a bound, never-read UDP socket on lo0. */
static double send_cost(int n)
{
	struct sockaddr_in sin = { .sin_family = AF_BSDINET, .sin_port = htons(9999) };
	char buf[64] = "tap";
	int r = socket(AF_BSDINET, SOCK_DGRAM, 0), s = socket(AF_BSDINET, SOCK_DGRAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(r, (struct sockaddr *)&sin, sizeof(sin));
	double t0 = now();
	for (int i = 0; i < n; i++)
		sendto(s, buf, sizeof(buf), 0, (struct sockaddr *)&sin, sizeof(sin));
	double t = now() - t0;
	close(s);
	close(r);
	return t * 1e9 / n;
}

/*
 * What a tap costs: datagrams over lo0 with no descriptor, with one whose
 * filter rejects everything, and with one capturing everything with a
 * reader draining it. Reported, not judged (TCG makes the numbers slow
 * and noisy); the best of three rounds each.
 */
FIXTURE(cost) {};
FIXTURE_SETUP(cost) {}
FIXTURE_TEARDOWN(cost) {}

TEST_F_TIMEOUT(cost, tap, 600)
{
	struct bsdinet_bpf_insn none = { BPF_RET_K, 0, 0, 0 }, all = { BPF_RET_K, 0, 0, 65535 };
	struct bsdinet_bpf_timeval tv = { 0, 50000 };
	double best[3] = { 1e18, 1e18, 1e18 };
	const int n = 3000;
	pthread_t th;

	for (int round = 0; round < 3; round++) {
		double c = send_cost(n);
		best[0] = c < best[0] ? c : best[0];
		int fd = bpf_open("lo0", 0);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, setf(fd, &none, 1));
		c = send_cost(n);
		best[1] = c < best[1] ? c : best[1];
		close(fd);
		fd = bpf_open("lo0", 32768);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, setf(fd, &all, 1));
		ASSERT_EQ(0, ioctl(fd, BSDINET_BIOCSRTIMEOUT, &tv));
		reader_stop = 0;
		ASSERT_EQ(0, pthread_create(&th, NULL, reader, &fd));
		c = send_cost(n);
		best[2] = c < best[2] ? c : best[2];
		reader_stop = 1;
		pthread_join(th, NULL);
		close(fd);
	}
	ksft_print_msg("tap cost: %.0f ns per datagram with no listener, %.0f with a filter that rejects all (+%.1f%%), %.0f capturing all (+%.1f%%)\n",
		       best[0], best[1], (best[1] / best[0] - 1) * 100, best[2],
		       (best[2] / best[0] - 1) * 100);
}

TEST_HARNESS_MAIN
