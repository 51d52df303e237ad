// SPDX-License-Identifier: GPL-2.0
/*
 * One TCP connection over bsdinet (AF_BSDINET), for the shell tests: the
 * calls whose exact errors matter, which socat and python3 report less
 * plainly.
 *
 *	tcp_peer [-d] connect ADDR PORT     connect, say "connected", close
 *	tcp_peer [-d] echo ADDR PORT MSG    connect, send MSG, print what
 *	                                    comes back until the peer closes
 *	tcp_peer [-d] linger0 ADDR PORT     connect, send a line, close with
 *	                                    SO_LINGER 0 (a RST)
 *	tcp_peer [-d] keepalive ADDR PORT   connect with SO_KEEPALIVE, then
 *	                                    wait in recv() for the error
 *	tcp_peer [-d] send ADDR PORT        connect, say "connected", then
 *	                                    send until a send fails
 *
 * -d sets SO_DEBUG first (the connection shows in trpt). Prints the
 * failing call and strerror(errno) on failure (e.g. "connect:
 * Connection refused") and exits 1; exits 0 otherwise. The keepalive
 * and send modes end with the error ("recv: Connection timed out") and
 * exit 0 when the call failed, 1 when it did not; send adds SO_ERROR
 * when it is set ("send: Broken pipe (SO_ERROR: Connection timed
 * out)").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/bsdinet.h>

static int fail(const char *call)
{
	printf("%s: %s\n", call, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_BSDINET };
	int debug = 0, s, one = 1;
	const char *mode;
	char buf[65536];

	if (argc > 1 && !strcmp(argv[1], "-d")) {
		debug = 1;
		argv++;
		argc--;
	}
	if (argc < 4) {
		fprintf(stderr, "usage: tcp_peer [-d] connect|echo|linger0|keepalive|send ADDR PORT [MSG]\n");
		return 2;
	}
	mode = argv[1];
	if (inet_pton(AF_INET, argv[2], &sin.sin_addr) != 1) {
		fprintf(stderr, "tcp_peer: bad address %s\n", argv[2]);
		return 2;
	}
	sin.sin_port = htons(atoi(argv[3]));
	setvbuf(stdout, NULL, _IONBF, 0);
	s = socket(AF_BSDINET, SOCK_STREAM, 0);
	if (s < 0)
		return fail("socket");
	if (debug && setsockopt(s, SOL_SOCKET, SO_DEBUG, &one, sizeof(one)))
		return fail("SO_DEBUG");
	if (!strcmp(mode, "keepalive") &&
	    setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)))
		return fail("SO_KEEPALIVE");
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)))
		return fail("connect");
	printf("connected\n");
	if (!strcmp(mode, "connect")) {
		return close(s) ? fail("close") : 0;
	} else if (!strcmp(mode, "echo") && argc > 4) {
		size_t len = strlen(argv[4]);
		ssize_t n;

		if (send(s, argv[4], len, 0) != (ssize_t)len)
			return fail("send");
		shutdown(s, SHUT_WR);
		while ((n = recv(s, buf, sizeof(buf), 0)) > 0)
			fwrite(buf, 1, n, stdout);
		if (n < 0)
			return fail("recv");
		printf("\n");
		return close(s) ? fail("close") : 0;
	} else if (!strcmp(mode, "linger0")) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		if (send(s, "reset follows\n", 14, 0) != 14)
			return fail("send");
		usleep(200 * 1000);
		if (setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
			return fail("SO_LINGER");
		return close(s) ? fail("close") : 0;
	} else if (!strcmp(mode, "keepalive")) {
		ssize_t n = recv(s, buf, sizeof(buf), 0);

		if (n >= 0) {
			printf("recv: %zd bytes\n", n);
			return 1;
		}
		fail("recv");
		return 0;
	} else if (!strcmp(mode, "send")) {
		memset(buf, 'x', sizeof(buf));
		for (;;)
			if (send(s, buf, 1000, MSG_NOSIGNAL) < 0) {
				int err = errno, soerr = 0;
				socklen_t len = sizeof(soerr);

				/* The book's sosend says EPIPE once the connection
				 * is gone, whatever the cause: SO_ERROR has it. */
				getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &len);
				printf("send: %s", strerror(err));
				if (soerr)
					printf(" (SO_ERROR: %s)", strerror(soerr));
				printf("\n");
				return 0;
			}
	}
	fprintf(stderr, "tcp_peer: unknown mode %s\n", mode);
	return 2;
}
