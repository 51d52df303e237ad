// SPDX-License-Identifier: GPL-2.0
/*
 * Storage for 100,000 sockets: 100,000 AF_BSDINET UDP sockets open at
 * once (each bound, so each has its pcb on the hash chains), a datagram
 * through the last one, then all closed. Prints how many opened and the
 * memory they took (MemAvailable and Slab of /proc/meminfo) as TAP
 * comments. A kernel warning on the way fails the run (run.sh checks
 * the log); kmemleak is checked there too.
 * Runs in the test VM with bsdinet loaded, as root.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/bsdinet.h>

#include "kselftest.h"

#define WANT 100000

static long meminfo(const char *key)
{
	char line[128];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = atol(line + n + 1);
	if (f)
		fclose(f);
	return v;
}

static long bsd_stat(const char *file, const char *name)
{
	char path[64], key[64];
	long long v, found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/bsdinet/%s", file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &v) == 2)
		if (!strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

/* The UDP PCBs /proc/bsdinet/pcb lists (rows starting "udp "): TCP PCBs
 * of earlier tests may still be ending their TIME_WAIT meanwhile. */
static long pcb_lines(void)
{
	FILE *f = fopen("/proc/bsdinet/pcb", "r");
	char line[256];
	long n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strncmp(line, "udp ", 4) == 0;
	fclose(f);
	return n;
}

int main(void)
{
	struct rlimit rl = { WANT + 100, WANT + 100 };
	struct sockaddr_in sin = { .sin_family = AF_BSDINET };
	long avail0, slab0, avail1, slab1, avail2, slab2, pcbs0, pcbs1;
	int *fds, n = 0, err = 0, bound = 1, lowmem = 0;
	struct timespec t0, t1, t2;
	FILE *f;

	ksft_print_header();
	ksft_set_plan(4);
	f = fopen("/proc/sys/fs/nr_open", "w");
	if (f) {
		fprintf(f, "%d\n", WANT + 1000);
		fclose(f);
	}
	if (setrlimit(RLIMIT_NOFILE, &rl))
		ksft_exit_fail_msg("setrlimit(RLIMIT_NOFILE, %d): %s\n", WANT + 100, strerror(errno));
	fds = calloc(WANT, sizeof(*fds));
	pcbs0 = pcb_lines();
	avail0 = meminfo("MemAvailable");
	slab0 = meminfo("Slab");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (n = 0; n < WANT; n++) {
		fds[n] = socket(AF_BSDINET, SOCK_DGRAM, 0);
		if (fds[n] < 0) {
			err = errno;
			break;
		}
		/* The first 2000 bound to an ephemeral port each (so they
		 * are on the hash chains); the rest stay unbound. */
		if (n == 2000)
			bound = 0;
		if (bound && bind(fds[n], (struct sockaddr *)&sin, sizeof(sin)))
			bound = 0;
		/* The debug kernel (KASAN, kmemleak) spends ~6.5 KB a socket:
		 * stop before the OOM killer would, and say how many fit. */
		if (n % 1000 == 999 && meminfo("MemAvailable") < 256 * 1024) {
			ksft_print_msg("%d open, MemAvailable below 256 MB: stopping\n", n + 1);
			n++;
			lowmem = 1;
			break;
		}
		if (n % 10000 == 9999) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			ksft_print_msg("%d open, MemAvailable %ld kB\n", n + 1, meminfo("MemAvailable"));
			/* Seconds, not minutes: stop if it gets that slow. */
			if (t1.tv_sec - t0.tv_sec > 300) {
				ksft_print_msg("more than 300 s: stopping\n");
				n++;
				err = ETIMEDOUT;
				break;
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	avail1 = meminfo("MemAvailable");
	slab1 = meminfo("Slab");
	pcbs1 = pcb_lines();
	ksft_print_msg("%d sockets open in %.1f s%s%s; MemAvailable -%ld kB, Slab +%ld kB (%ld bytes a socket)\n",
		       n, t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9,
		       err ? ", then: " : "", err ? strerror(err) : "", avail0 - avail1, slab1 - slab0,
		       n ? (avail0 - avail1) * 1024 / n : 0);
	ksft_test_result(n == WANT || (lowmem && n >= 50000),
			 "%d UDP sockets open at once, or all the VM's memory holds (%d)\n", WANT, n);
	ksft_test_result(pcbs1 - pcbs0 == n, "/proc/bsdinet/pcb lists each (%ld more UDP rows)\n", pcbs1 - pcbs0);

	/* The last one still works. */
	if (n > 0) {
		struct sockaddr_in to = sin;
		socklen_t len = sizeof(to);
		int s = fds[n - 1], ok = 0;
		char buf[8];

		if (!bound)
			bind(s, (struct sockaddr *)&to, sizeof(to));
		if (!getsockname(s, (struct sockaddr *)&to, &len) &&
		    sendto(s, "many", 4, 0, (struct sockaddr *)&to, sizeof(to)) == 4) {
			struct pollfd p = { .fd = s, .events = POLLIN };

			ok = poll(&p, 1, 5000) == 1 && recv(s, buf, sizeof(buf), 0) == 4;
		}
		ksft_test_result(ok, "a datagram to itself through socket %d\n", n);
	} else {
		ksft_test_result_skip("a datagram through the last socket (none open)\n");
	}

	for (int i = 0; i < n; i++)
		close(fds[i]);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	sleep(1); /* RCU-freed memory comes back a moment later */
	avail2 = meminfo("MemAvailable");
	slab2 = meminfo("Slab");
	ksft_print_msg("closed in %.1f s; MemAvailable back to %+ld kB, Slab %+ld kB of the start\n",
		       t2.tv_sec - t1.tv_sec + (t2.tv_nsec - t1.tv_nsec) / 1e9, avail2 - avail0,
		       slab2 - slab0);
	ksft_test_result(pcb_lines() == pcbs0 && bsd_stat("mbuf", "m_mbufs") >= 0,
			 "all closed: /proc/bsdinet/pcb as before (%ld UDP rows)\n", pcb_lines());
	ksft_finished();
}
