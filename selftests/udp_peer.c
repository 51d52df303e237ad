// SPDX-License-Identifier: GPL-2.0
/*
 * UDP over bsdinet for the shell tests (netns_test.sh, smp_test.sh):
 *
 *	udp_peer serve PORT N        bind *.PORT, say "ready", echo N
 *	                             datagrams back (10 s for each), exit 0
 *	udp_peer ask ADDR PORT N     N round trips to ADDR.PORT (3 s each);
 *	                             prints "N/N", exit 0 if all came back
 *	udp_peer loop SECONDS        round trips between two sockets on lo0
 *	                             for SECONDS; prints the count, exit 1
 *	                             on an error or a datagram lost
 *	udp_peer hold                two sockets on lo0; says "ready", then
 *	                             one round trip per line of stdin,
 *	                             answering "ok" or the error; exits at EOF
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/bsdinet.h>

static int udp_bound(const char *addr, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_BSDINET, .sin_port = htons(port) };
	int s = socket(AF_BSDINET, SOCK_DGRAM, 0);

	if (s < 0) {
		perror("socket(AF_BSDINET, SOCK_DGRAM)");
		exit(1);
	}
	inet_pton(AF_INET, addr, &sin.sin_addr);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("bind");
		exit(1);
	}
	return s;
}

static int wait_in(int s, int ms)
{
	struct pollfd p = { .fd = s, .events = POLLIN };

	return poll(&p, 1, ms);
}

/* One datagram from a to b and back; 0, or an error message. */
static const char *round_trip(int a, int b, unsigned n)
{
	struct sockaddr_in to, from;
	socklen_t len = sizeof(to);
	char out[64], in[64];
	ssize_t r;

	if (getsockname(b, (struct sockaddr *)&to, &len))
		return strerror(errno);
	snprintf(out, sizeof(out), "datagram %u", n);
	if (sendto(a, out, strlen(out), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return strerror(errno);
	if (wait_in(b, 5000) != 1)
		return "timeout (there)";
	len = sizeof(from);
	r = recvfrom(b, in, sizeof(in), 0, (struct sockaddr *)&from, &len);
	if (r < 0)
		return strerror(errno);
	if (sendto(b, in, r, 0, (struct sockaddr *)&from, len) < 0)
		return strerror(errno);
	if (wait_in(a, 5000) != 1)
		return "timeout (back)";
	r = recv(a, in, sizeof(in), 0);
	if (r < 0)
		return strerror(errno);
	if ((size_t)r != strlen(out) || memcmp(in, out, r))
		return "wrong data";
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "serve") && argc == 4) {
		int s = udp_bound("0.0.0.0", atoi(argv[2])), n = atoi(argv[3]);
		struct sockaddr_in from;
		socklen_t len;
		char buf[2048];

		printf("ready\n");
		for (int i = 0; i < n; i++) {
			ssize_t r;

			if (wait_in(s, 10000) != 1) {
				fprintf(stderr, "serve: nothing came (%d of %d)\n", i, n);
				return 1;
			}
			len = sizeof(from);
			r = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
			if (r < 0 || sendto(s, buf, r, 0, (struct sockaddr *)&from, len) < 0) {
				perror("serve");
				return 1;
			}
		}
		return 0;
	}
	if (!strcmp(mode, "ask") && argc == 5) {
		struct sockaddr_in to = { .sin_family = AF_BSDINET, .sin_port = htons(atoi(argv[3])) };
		int s = udp_bound("0.0.0.0", 0), n = atoi(argv[4]), got = 0;
		char out[64], in[64];

		inet_pton(AF_INET, argv[2], &to.sin_addr);
		for (int i = 0; i < n; i++) {
			snprintf(out, sizeof(out), "question %d", i);
			if (sendto(s, out, strlen(out), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
				perror("ask: sendto");
				break;
			}
			if (wait_in(s, 3000) != 1)
				continue;
			ssize_t r = recv(s, in, sizeof(in), 0);
			if (r == (ssize_t)strlen(out) && !memcmp(in, out, r))
				got++;
		}
		printf("%d/%d\n", got, n);
		return got == n ? 0 : 1;
	}
	if (!strcmp(mode, "loop") && argc == 3) {
		int a = udp_bound("127.0.0.1", 0), b = udp_bound("127.0.0.1", 0);
		time_t end = time(NULL) + atoi(argv[2]);
		unsigned n = 0;
		const char *err;

		while (time(NULL) < end) {
			if ((err = round_trip(a, b, n))) {
				printf("%u, then: %s\n", n, err);
				return 1;
			}
			n++;
		}
		printf("%u\n", n);
		return 0;
	}
	if (!strcmp(mode, "hold") && argc == 2) {
		int a = udp_bound("127.0.0.1", 0), b = udp_bound("127.0.0.1", 0);
		char line[64];
		unsigned n = 0;

		printf("ready\n");
		while (fgets(line, sizeof(line), stdin)) {
			const char *err = round_trip(a, b, n++);

			printf("%s\n", err ? err : "ok");
		}
		return 0;
	}
	fprintf(stderr, "usage: udp_peer serve PORT N | ask ADDR PORT N | loop SECONDS | hold\n");
	return 2;
}
