// SPDX-License-Identifier: GPL-2.0
/*
 * IP multicast on bsdinet for mcast_test.sh (chapter 12):
 *
 *	mcast_peer recv GROUP IFADDR PORT N SECS
 *		bind *.PORT, join GROUP on the interface of IFADDR, say
 *		"joined", print each datagram ("got TEXT from ADDR") until N
 *		came or SECS passed; exit 0 if N came
 *	mcast_peer send GROUP IFADDR PORT TTL LOOP N
 *		N datagrams to GROUP.PORT out of IFADDR's interface with
 *		IP_MULTICAST_TTL TTL and IP_MULTICAST_LOOP LOOP, from a socket
 *		that is itself in the group on PORT; prints "looped K" (how
 *		many it heard back) and the options as getsockopt reads them
 *	mcast_peer hold GROUP IFADDR
 *		join and say "joined", then wait for stdin to close
 *	mcast_peer lrecv GROUP IFADDR PORT N SECS
 *		as recv, on Linux's own stack (AF_INET), printing each
 *		datagram's TTL too ("got TEXT from ADDR ttl T")
 *
 * Joining a group from C, as the README shows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <linux/bsdinet.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static struct in_addr addr(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "bad address %s\n", s);
		exit(2);
	}
	return a;
}

/* The family of the sockets: bsdinet's, or Linux's for lrecv. */
static int family = AF_BSDINET;

/* A UDP socket on *.port that joined group on the interface of ifaddr. */
static int member(const char *group, const char *ifaddr, int port)
{
	struct sockaddr_in sin = { .sin_family = family, .sin_port = htons(port) };
	struct ip_mreq mreq = { .imr_multiaddr = addr(group), .imr_interface = addr(ifaddr) };
	int one = 1;
	int s = socket(family, SOCK_DGRAM, 0);

	if (s < 0)
		die("socket(AF_BSDINET, SOCK_DGRAM)");
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("SO_REUSEADDR");
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)))
		die("bind");
	if (setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)))
		die("IP_ADD_MEMBERSHIP");
	return s;
}

static int wait_in(int s, int ms)
{
	struct pollfd p = { .fd = s, .events = POLLIN };

	return poll(&p, 1, ms);
}

static int do_recv(char **av)
{
	int s = member(av[0], av[1], atoi(av[2]));
	int n = atoi(av[3]), got = 0, one = 1;
	time_t end = time(NULL) + atoi(av[4]);

	if (family == AF_INET && setsockopt(s, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one)))
		die("IP_RECVTTL");
	printf("joined\n");
	fflush(stdout);
	while (got < n && time(NULL) < end) {
		struct sockaddr_in from;
		char buf[2048], a[INET_ADDRSTRLEN], cbuf[64];
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from),
				      .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c;
		ssize_t r;

		if (wait_in(s, 200) <= 0)
			continue;
		r = recvmsg(s, &msg, MSG_DONTWAIT);
		if (r < 0 && errno == EAGAIN)
			continue;
		if (r < 0)
			die("recvmsg");
		buf[r] = 0;
		printf("got %s from %s", buf, inet_ntop(AF_INET, &from.sin_addr, a, sizeof(a)));
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL)
				printf(" ttl %d", *(int *)CMSG_DATA(c));
		printf("\n");
		fflush(stdout);
		got++;
	}
	return got == n ? 0 : 1;
}

static int do_send(char **av)
{
	int port = atoi(av[2]);
	int s = member(av[0], av[1], port);
	struct in_addr ifa = addr(av[1]);
	unsigned char ttl = atoi(av[3]), loop = atoi(av[4]);
	int n = atoi(av[5]), looped = 0, v;
	socklen_t l = sizeof(v);
	struct sockaddr_in to = { .sin_family = AF_BSDINET, .sin_port = htons(port) };

	to.sin_addr = addr(av[0]);
	if (setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof(ifa)))
		die("IP_MULTICAST_IF");
	if (setsockopt(s, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)))
		die("IP_MULTICAST_TTL");
	if (setsockopt(s, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)))
		die("IP_MULTICAST_LOOP");
	for (int i = 0; i < n; i++) {
		char msg[32];

		snprintf(msg, sizeof(msg), "bsd%d", i);
		if (sendto(s, msg, strlen(msg), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			die("sendto");
	}
	while (wait_in(s, 500) > 0) {
		char buf[64];

		if (recv(s, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			looped++;
		else if (errno != EAGAIN)
			die("recv");
	}
	printf("looped %d\n", looped);
	if (getsockopt(s, IPPROTO_IP, IP_MULTICAST_TTL, &v, &l))
		die("getsockopt IP_MULTICAST_TTL");
	printf("ttl %d", v);
	l = sizeof(v);
	if (getsockopt(s, IPPROTO_IP, IP_MULTICAST_LOOP, &v, &l))
		die("getsockopt IP_MULTICAST_LOOP");
	printf(" loop %d", v);
	l = sizeof(ifa);
	if (getsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &ifa, &l))
		die("getsockopt IP_MULTICAST_IF");
	printf(" if %s\n", inet_ntoa(ifa));
	return 0;
}

static int do_hold(char **av)
{
	char c;

	member(av[0], av[1], 0);
	printf("joined\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}

int main(int ac, char **av)
{
	if (ac == 7 && !strcmp(av[1], "recv"))
		return do_recv(av + 2);
	if (ac == 8 && !strcmp(av[1], "send"))
		return do_send(av + 2);
	if (ac == 4 && !strcmp(av[1], "hold"))
		return do_hold(av + 2);
	if (ac == 7 && !strcmp(av[1], "lrecv")) {
		family = AF_INET;
		return do_recv(av + 2);
	}
	fprintf(stderr, "usage: mcast_peer recv GROUP IFADDR PORT N SECS | "
		"send GROUP IFADDR PORT TTL LOOP N | hold GROUP IFADDR | lrecv ...\n");
	return 2;
}
