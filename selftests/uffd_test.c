// SPDX-License-Identifier: GPL-2.0
/*
 * User copies outside the stack's lock: a recvfrom() into a page that
 * userfaultfd never serves (and a sendto() from one) blocks its own
 * caller only. While it is blocked, another process keeps exchanging
 * UDP datagrams over lo0, and a link change (down, up) on an attached
 * veth completes. Then the fault is served (UFFDIO_ZEROPAGE) and the
 * blocked call finishes with its datagram.
 * Runs in the test VM with bsdinet loaded, as root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/bsdinet.h>

#include "kselftest.h"

#define DGRAM 100

static long page;
static int uffd;
static int rx, tx; /* rx bound to 127.0.0.1; tx sends to it */
static struct sockaddr_in rx_addr;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int wait_in(int s, int ms)
{
	struct pollfd p = { .fd = s, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/* The other process: for each byte on fd `in`, UDP round trips between
 * two sockets of its own over lo0 for 3 seconds (5 s timeout each);
 * writes the count, or -1 on a failure, to fd `out`. */
static void udp_worker(int in, int out)
{
	struct sockaddr_in a_addr = { .sin_family = AF_BSDINET };
	socklen_t len = sizeof(a_addr);
	int a = socket(AF_BSDINET, SOCK_DGRAM, 0), b = socket(AF_BSDINET, SOCK_DGRAM, 0);
	char c, buf[64];

	a_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (a < 0 || b < 0 || bind(a, (struct sockaddr *)&a_addr, sizeof(a_addr)) ||
	    getsockname(a, (struct sockaddr *)&a_addr, &len))
		_exit(1);
	while (read(in, &c, 1) == 1) {
		double end = now() + 3;
		int n = 0;

		while (now() < end) {
			if (sendto(b, "ping", 4, 0, (struct sockaddr *)&a_addr, sizeof(a_addr)) != 4 ||
			    !wait_in(a, 5000) || recv(a, buf, sizeof(buf), 0) != 4) {
				n = -1;
				break;
			}
			n++;
		}
		if (write(out, &n, sizeof(n)) != sizeof(n))
			_exit(1);
	}
	_exit(0);
}

static void *do_recv(void *p)
{
	long n = recvfrom(rx, p, DGRAM, 0, NULL, NULL);

	return (void *)(n < 0 ? -(long)errno : n);
}

static void *do_send(void *p)
{
	long n = sendto(tx, p, DGRAM, 0, (struct sockaddr *)&rx_addr, sizeof(rx_addr));

	return (void *)(n < 0 ? -(long)errno : n);
}

static pid_t spawn(const char *cmd)
{
	pid_t pid = fork();

	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* A child's exit status, or -1 if it has not finished within `secs` (it
 * is then waited for once the fault is served). */
static int wait_for(pid_t pid, double secs)
{
	double end = now() + secs;
	int status;

	while (now() < end) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		usleep(50000);
	}
	return -1;
}

/* One case: a thread calls fn on the registered page at `addr`. */
static void run_case(const char *what, void *(*fn)(void *), char *addr, int go, int result)
{
	struct uffdio_zeropage zp = { .range = { .start = (unsigned long)addr, .len = page } };
	struct pollfd p = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;
	pthread_t t;
	void *ret;
	int n = -2, link = -1, faulted;
	pid_t ip;
	double t0;

	pthread_create(&t, NULL, fn, addr);
	faulted = poll(&p, 1, 10000) == 1 && read(uffd, &msg, sizeof(msg)) == sizeof(msg) &&
		  msg.event == UFFD_EVENT_PAGEFAULT &&
		  (msg.arg.pagefault.address & ~(page - 1)) == (unsigned long)addr;
	ksft_test_result(faulted, "%s: the call is blocked in a fault on the registered page\n", what);

	/* Meanwhile: another process's datagrams over lo0. */
	if (write(go, "g", 1) == 1 && wait_in(result, 10000) && read(result, &n, sizeof(n)) != sizeof(n))
		n = -2;
	ksft_test_result(n > 0, "%s: meanwhile another process does UDP round trips over lo0 (%d in 3 s)\n",
			 what, n);

	/* Meanwhile: a link change on an attached device. */
	t0 = now();
	ip = spawn("ip link set bf0 down && ip link set bf0 up");
	link = wait_for(ip, 10);
	ksft_test_result(link == 0, "%s: meanwhile ip link set bf0 down; up completes (%s, %.1f s)\n",
			 what, link < 0 ? "still blocked after 10 s" : link ? "failed" : "ok", now() - t0);

	/* Serve the fault: the call finishes. */
	if (ioctl(uffd, UFFDIO_ZEROPAGE, &zp))
		ksft_print_msg("UFFDIO_ZEROPAGE: %s\n", strerror(errno));
	pthread_join(t, &ret);
	ksft_test_result((long)ret == DGRAM, "%s: once the fault is served the call returns %d (%ld)\n",
			 what, DGRAM, (long)ret);
	if (link < 0)
		waitpid(ip, NULL, 0);
	if (n == -2) /* the worker may still be at it */
		if (wait_in(result, 20000) && read(result, &n, sizeof(n)) != sizeof(n))
			ksft_print_msg("the UDP worker did not answer\n");
}

int main(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int to_w[2], from_w[2], big = 1;
	socklen_t len = sizeof(rx_addr);
	char *mem, buf[DGRAM + 1];
	pid_t worker;

	ksft_print_header();
	ksft_set_plan(10);
	page = sysconf(_SC_PAGESIZE);

	/* The worker is forked before any thread exists. */
	if (pipe(to_w) || pipe(from_w))
		ksft_exit_fail_msg("pipe\n");
	worker = fork();
	if (worker == 0) {
		close(to_w[1]);
		close(from_w[0]);
		udp_worker(to_w[0], from_w[1]);
	}
	close(to_w[0]);
	close(from_w[1]);

	/* run.sh runs the tests in selftests/. */
	if (system("ip link add bf0 type veth peer name bf1 && ip link set bf0 up && ip link set bf1 up &&"
		   " ../tools/out/ifconfig bf0 attach 10.95.0.1 netmask 255.255.255.0 up"))
		ksft_exit_fail_msg("cannot set up an attached veth bf0\n");

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		ksft_exit_fail_msg("userfaultfd: %s\n", strerror(errno));
	mem = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (unsigned long)mem;
	reg.range.len = 2 * page;
	if (mem == MAP_FAILED || ioctl(uffd, UFFDIO_REGISTER, &reg))
		ksft_exit_fail_msg("UFFDIO_REGISTER: %s\n", strerror(errno));

	rx = socket(AF_BSDINET, SOCK_DGRAM, 0);
	tx = socket(AF_BSDINET, SOCK_DGRAM, 0);
	rx_addr.sin_family = AF_BSDINET;
	rx_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *)&rx_addr, sizeof(rx_addr)) ||
	    getsockname(rx, (struct sockaddr *)&rx_addr, &len))
		ksft_exit_fail_msg("socket: %s\n", strerror(errno));
	setsockopt(rx, SOL_SOCKET, SO_REUSEADDR, &big, sizeof(big));

	/* Receive: a datagram is queued, recvfrom copies it into the page. */
	memset(buf, 'r', DGRAM);
	if (sendto(tx, buf, DGRAM, 0, (struct sockaddr *)&rx_addr, sizeof(rx_addr)) != DGRAM ||
	    !wait_in(rx, 5000))
		ksft_exit_fail_msg("queueing a datagram: %s\n", strerror(errno));
	run_case("recvfrom into the page", do_recv, mem, to_w[1], from_w[0]);
	ksft_test_result(!memcmp(mem, buf, DGRAM), "recvfrom: the datagram is in the page\n");

	/* Send: sendto copies from the second page (zeros once served). */
	run_case("sendto from the page", do_send, mem + page, to_w[1], from_w[0]);
	memset(buf, 'x', sizeof(buf));
	ksft_test_result(wait_in(rx, 5000) && recv(rx, buf, sizeof(buf), 0) == DGRAM && !buf[0] && !buf[DGRAM - 1],
			 "sendto: its datagram (zeros) arrives\n");

	close(to_w[1]);
	waitpid(worker, NULL, 0);
	if (system("ip link del bf0"))
		ksft_print_msg("ip link del bf0 failed\n");
	ksft_finished();
}
