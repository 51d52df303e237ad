// SPDX-License-Identifier: GPL-2.0
/*
 * A bad network between two tun devices, in the manner of netem (which
 * the test kernel does not have: it is built without CONFIG_NET_SCHED):
 *
 *	impair TUN_A NETNS TUN_B [DELAY_MS LOSS% REORDER% DUP% [SEED]]
 *
 * TUN_A is opened in the caller's network namespace, TUN_B in NETNS (a
 * name under /run/netns, as `ip netns add` makes). Every IP packet
 * read from one is written to the other, each way alike, as
 * `tc qdisc add dev ... netem delay D loss L reorder R duplicate P`
 * would treat it: lost with probability L, else sent twice with
 * probability P, and delayed by D milliseconds, except a fraction R sent
 * at once (so overtaking the delayed ones: reordering). The random
 * numbers come from SEED (default 1), so a run can be repeated.
 * Prints "ready" once both devices are open, and its counts on SIGTERM
 * or SIGINT: "forwarded N lost N duplicated N reordered N".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MAXPKT 65536
#define QMAX 4096

struct pkt {
	double due;
	int len;
	unsigned char *data;
};

struct queue {
	struct pkt p[QMAX];
	int n;
};

static struct queue q[2];
static unsigned long forwarded, lost, duplicated, reordered, overflow;
static volatile sig_atomic_t done;

static void on_signal(int sig)
{
	done = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int tun_open(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);

	if (fd < 0) {
		perror("impair: /dev/net/tun");
		exit(1);
	}
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		fprintf(stderr, "impair: TUNSETIFF %s: %s\n", name, strerror(errno));
		exit(1);
	}
	return fd;
}

/* Queues a copy of the packet, in order of due time. */
static void enqueue(struct queue *qu, const unsigned char *b, int len, double due)
{
	int i;

	if (qu->n == QMAX) {
		overflow++;
		return;
	}
	i = qu->n;
	while (i > 0 && qu->p[i - 1].due > due) {
		qu->p[i] = qu->p[i - 1];
		i--;
	}
	qu->p[i].due = due;
	qu->p[i].len = len;
	qu->p[i].data = malloc(len);
	if (!qu->p[i].data) {
		memmove(&qu->p[i], &qu->p[i + 1], (qu->n - i) * sizeof(qu->p[0]));
		overflow++;
		return;
	}
	memcpy(qu->p[i].data, b, len);
	qu->n++;
}

int main(int argc, char **argv)
{
	double delay = 0, loss = 0, reorder = 0, dup = 0;
	static unsigned char buf[MAXPKT];
	char nspath[256];
	int fd[2], ns;
	unsigned int seed = 1;

	if (argc != 4 && argc != 8 && argc != 9) {
		fprintf(stderr, "usage: impair TUN_A NETNS TUN_B [DELAY_MS LOSS%% REORDER%% DUP%% [SEED]]\n");
		return 2;
	}
	if (argc >= 8) {
		delay = atof(argv[4]) / 1000;
		loss = atof(argv[5]) / 100;
		reorder = atof(argv[6]) / 100;
		dup = atof(argv[7]) / 100;
	}
	if (argc == 9)
		seed = strtoul(argv[8], NULL, 0);
	srandom(seed);
	fd[0] = tun_open(argv[1]);
	snprintf(nspath, sizeof(nspath), "/run/netns/%s", argv[2]);
	ns = open(nspath, O_RDONLY);
	if (ns < 0 || setns(ns, CLONE_NEWNET)) {
		fprintf(stderr, "impair: %s: %s\n", nspath, strerror(errno));
		return 1;
	}
	close(ns);
	fd[1] = tun_open(argv[3]);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!done) {
		struct pollfd p[2] = { { .fd = fd[0], .events = POLLIN }, { .fd = fd[1], .events = POLLIN } };
		double t = now(), next = t + 1;
		int timeout;

		/* Send what is due; queue 0 goes to fd[1], queue 1 to fd[0]. */
		for (int d = 0; d < 2; d++) {
			struct queue *qu = &q[d];
			int k = 0;

			while (k < qu->n && qu->p[k].due <= t) {
				if (write(fd[!d], qu->p[k].data, qu->p[k].len) == qu->p[k].len)
					forwarded++;
				free(qu->p[k].data);
				k++;
			}
			if (k) {
				memmove(&qu->p[0], &qu->p[k], (qu->n - k) * sizeof(qu->p[0]));
				qu->n -= k;
			}
			if (qu->n && qu->p[0].due < next)
				next = qu->p[0].due;
		}
		timeout = (int)((next - t) * 1000);
		if (timeout < 0)
			timeout = 0;
		if (poll(p, 2, timeout) < 0)
			continue;
		for (int d = 0; d < 2; d++) {
			for (int burst = 0; burst < 64 && (p[d].revents & POLLIN); burst++) {
				int len = read(fd[d], buf, sizeof(buf));
				double r = random() / (double)RAND_MAX, due = now() + delay;

				if (len <= 0)
					break;
				if (r < loss) {
					lost++;
					continue;
				}
				if (random() / (double)RAND_MAX < reorder) {
					due = now();
					reordered++;
				}
				enqueue(&q[d], buf, len, due);
				if (random() / (double)RAND_MAX < dup) {
					enqueue(&q[d], buf, len, due);
					duplicated++;
				}
			}
		}
	}
	printf("forwarded %lu lost %lu duplicated %lu reordered %lu overflow %lu\n", forwarded, lost,
	       duplicated, reordered, overflow);
	return 0;
}
