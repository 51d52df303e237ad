// SPDX-License-Identifier: GPL-2.0
/*
 * Privilege across namespaces: a process that moves into a new user and
 * network namespace (unshare -Urn) keeps the AF_BSDINET and AF_BSDROUTE
 * sockets it opened in the initial namespace, but every privileged
 * operation on the initial namespace's stack through them fails with
 * EPERM (EACCES for a bind to a port below 1024): it holds its
 * capabilities only in its own user namespace. In its own network
 * namespace it runs a stack of its own: lo0, UDP, a raw ICMP socket and
 * ping, addresses and routes, none of it seen by the initial namespace.
 * Runs in the test VM with bsdinet loaded, as root.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bsdinet.h>

#include "kselftest.h"

#define NTESTS 17

static void sa_in(struct bsdinet_sockaddr *sa, const char *addr)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_BSDINET;
	inet_pton(AF_INET, addr, &sin->sin_addr);
}

/* SIOCAIFADDR or SIOCDIFADDR of ADDR/8 on lo0; 0 or errno. */
static int lo0_addr(int s, unsigned long cmd, const char *addr)
{
	struct bsdinet_ifaliasreq ifra;

	memset(&ifra, 0, sizeof(ifra));
	strcpy(ifra.bifra_name, "lo0");
	sa_in(&ifra.bifra_addr, addr);
	if (cmd == BSDINET_SIOCAIFADDR)
		sa_in(&ifra.bifra_mask, "255.0.0.0");
	/* struct ifreq's address sits where ifaliasreq's does. */
	return ioctl(s, cmd, &ifra) ? errno : 0;
}

static int ifreq_ioctl(int s, unsigned long cmd, const char *name, short flags)
{
	struct bsdinet_ifreq r;

	memset(&r, 0, sizeof(r));
	strncpy(r.bifr_name, name, sizeof(r.bifr_name) - 1);
	r.bifr_flags = flags;
	return ioctl(s, cmd, &r) ? errno : 0;
}

static short lo0_flags(int s)
{
	struct bsdinet_ifreq r;

	memset(&r, 0, sizeof(r));
	strcpy(r.bifr_name, "lo0");
	return ioctl(s, BSDINET_SIOCGIFFLAGS, &r) ? -1 : r.bifr_flags;
}

/* Does lo0 of the socket's stack have ADDR? (SIOCGIFCONF) */
static int has_addr(int s, const char *addr)
{
	struct bsdinet_ifreq reqs[64];
	struct bsdinet_ifconf ifc = { .bifc_len = sizeof(reqs), .bifc_req = reqs };
	struct in_addr want;

	inet_pton(AF_INET, addr, &want);
	if (ioctl(s, BSDINET_SIOCGIFCONF, &ifc))
		return -1;
	for (size_t i = 0; i < ifc.bifc_len / sizeof(reqs[0]); i++) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&reqs[i].bifr_addr;

		if (sin->sin_family == AF_BSDINET && sin->sin_addr.s_addr == want.s_addr)
			return 1;
	}
	return 0;
}

/* A routing request for DST/16 (via 127.0.0.1 for RTM_ADD); 0 or errno. */
static int route(int r, int type, const char *dst)
{
	struct {
		struct bsdinet_rt_msghdr h;
		struct bsdinet_rt_sockaddr_in a[3];
	} m;
	int n = type == BSDINET_RTM_ADD ? 3 : 2;

	memset(&m, 0, sizeof(m));
	m.h.rtm_version = BSDINET_RTM_VERSION;
	m.h.rtm_type = type;
	m.h.rtm_flags = BSDINET_RTF_UP | BSDINET_RTF_STATIC | (n == 3 ? BSDINET_RTF_GATEWAY : 0);
	m.h.rtm_addrs = BSDINET_RTA_DST | BSDINET_RTA_NETMASK | (n == 3 ? BSDINET_RTA_GATEWAY : 0);
	m.h.rtm_seq = 1;
	for (int i = 0; i < n; i++) {
		m.a[i].sin_len = sizeof(m.a[i]);
		m.a[i].sin_family = AF_BSDINET;
	}
	/* In the order of the bits: DST, GATEWAY, NETMASK. */
	inet_pton(AF_INET, dst, &m.a[0].sin_addr);
	if (n == 3) {
		inet_pton(AF_INET, "127.0.0.1", &m.a[1].sin_addr);
		inet_pton(AF_INET, "255.255.0.0", &m.a[2].sin_addr);
	} else {
		inet_pton(AF_INET, "255.255.0.0", &m.a[1].sin_addr);
	}
	m.h.rtm_msglen = sizeof(m.h) + n * sizeof(m.a[0]);
	return write(r, &m, m.h.rtm_msglen) < 0 ? errno : 0;
}

static int bind_port(int s, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_BSDINET, .sin_port = htons(port) };

	return bind(s, (struct sockaddr *)&sin, sizeof(sin)) ? errno : 0;
}

static int wait_in(int s, int ms)
{
	struct pollfd p = { .fd = s, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		ksft_print_msg("%s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static unsigned short cksum(const void *p, int len)
{
	const unsigned short *w = p;
	unsigned sum = 0;

	for (; len > 1; len -= 2)
		sum += *w++;
	if (len)
		sum += *(const unsigned char *)w;
	sum = (sum >> 16) + (sum & 0xffff);
	sum += sum >> 16;
	return ~sum;
}

/* An echo request to 127.0.0.1 on a raw ICMP socket, and its reply. */
static int ping_self(int s)
{
	unsigned char req[16] = { 8, 0, 0, 0, 0x12, 0x34, 0, 1, 'u', 's', 'e', 'r', 'n', 's' };
	unsigned char buf[256];
	struct sockaddr_in to = { .sin_family = AF_BSDINET };
	unsigned short c = cksum(req, sizeof(req));

	memcpy(req + 2, &c, 2);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sendto(s, req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return 0;
	/* Raw ICMP sockets see the request too; wait for the reply. */
	while (wait_in(s, 3000)) {
		ssize_t n = recv(s, buf, sizeof(buf), 0);
		int hl = (buf[0] & 15) * 4;

		if (n >= hl + 8 && buf[hl] == 0 && buf[hl + 4] == 0x12 && buf[hl + 5] == 0x34)
			return 1;
	}
	return 0;
}

static int udp_round_trip(void)
{
	int a = socket(AF_BSDINET, SOCK_DGRAM, 0), b = socket(AF_BSDINET, SOCK_DGRAM, 0);
	struct sockaddr_in to = { .sin_family = AF_BSDINET };
	socklen_t len = sizeof(to);
	char buf[16];
	int ok = 0;

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (a >= 0 && b >= 0 && !bind(b, (struct sockaddr *)&to, sizeof(to)) &&
	    !getsockname(b, (struct sockaddr *)&to, &len) &&
	    sendto(a, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to)) == 5 && wait_in(b, 3000))
		ok = recv(b, buf, sizeof(buf), 0) == 5 && !memcmp(buf, "hello", 5);
	close(a);
	close(b);
	return ok;
}

/* The call's error must be want (0: success); the call runs once. */
#define EXPECT_ERR(want, call, what)							\
	do {										\
		int got_ = (call);							\
		ksft_test_result(got_ == (want), "%s: %s (%s)\n", what,		\
				 (want) ? strerror(want) : "succeeds",			\
				 got_ ? strerror(got_) : "succeeded");			\
	} while (0)

int main(void)
{
	int u, r, sync1[2], sync2[2], status;
	short flags;
	pid_t pid;
	char c;

	ksft_print_header();
	ksft_set_plan(NTESTS);
	/* Set up in the initial namespace: an attached veth (bu0), one not
	 * attached (bu2), an alias and a route to take away. */
	if (system("ip link add bu0 type veth peer name bu1 && ip link add bu2 type veth peer name bu3"))
		ksft_exit_fail_msg("ip link add failed\n");
	u = socket(AF_BSDINET, SOCK_DGRAM, 0);
	r = socket(AF_BSDROUTE, SOCK_RAW, 0);
	if (u < 0 || r < 0)
		ksft_exit_fail_msg("socket: %s\n", strerror(errno));
	flags = lo0_flags(u);
	if (ifreq_ioctl(u, BSDINET_SIOCIFCREATE, "bu0", 0) || lo0_addr(u, BSDINET_SIOCAIFADDR, "127.0.0.9") ||
	    route(r, BSDINET_RTM_ADD, "10.124.0.0"))
		ksft_exit_fail_msg("set-up in the initial namespace failed: %s\n", strerror(errno));
	if (pipe(sync1) || pipe(sync2))
		ksft_exit_fail_msg("pipe\n");
	fflush(stdout);

	pid = fork();
	if (pid == 0) {
		int s, raw, rt;

		if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
			ksft_exit_fail_msg("unshare(CLONE_NEWUSER | CLONE_NEWNET): %s\n", strerror(errno));
		/* Root inside, as unshare -Ur. */
		write_file("/proc/self/setgroups", "deny");
		write_file("/proc/self/uid_map", "0 0 1");
		write_file("/proc/self/gid_map", "0 0 1");

		/* The initial namespace's stack, through the old sockets. */
		EXPECT_ERR(EPERM, lo0_addr(u, BSDINET_SIOCAIFADDR, "127.0.0.8"), "SIOCAIFADDR on the initial lo0");
		EXPECT_ERR(EPERM, lo0_addr(u, BSDINET_SIOCDIFADDR, "127.0.0.9"), "SIOCDIFADDR on the initial lo0");
		EXPECT_ERR(EPERM, ifreq_ioctl(u, BSDINET_SIOCSIFFLAGS, "lo0", flags), "SIOCSIFFLAGS on the initial lo0");
		EXPECT_ERR(EPERM, ifreq_ioctl(u, BSDINET_SIOCIFCREATE, "bu2", 0), "SIOCIFCREATE (attach) in the initial namespace");
		EXPECT_ERR(EPERM, ifreq_ioctl(u, BSDINET_SIOCIFDESTROY, "bu0", 0), "SIOCIFDESTROY (detach) in the initial namespace");
		EXPECT_ERR(EPERM, route(r, BSDINET_RTM_ADD, "10.123.0.0"), "RTM_ADD on the initial routing socket");
		EXPECT_ERR(EPERM, route(r, BSDINET_RTM_DELETE, "10.124.0.0"), "RTM_DELETE on the initial routing socket");
		EXPECT_ERR(EACCES, bind_port(u, 1023), "bind to port 1023 in the initial namespace");

		/* Its own stack. */
		s = socket(AF_BSDINET, SOCK_DGRAM, 0);
		ksft_test_result(s >= 0 && has_addr(s, "127.0.0.1") == 1 && has_addr(s, "127.0.0.9") == 0,
				 "the new namespace has its own lo0: 127.0.0.1, not the initial one's alias\n");
		ksft_test_result(udp_round_trip(), "UDP round trip over its own lo0\n");
		EXPECT_ERR(0, bind_port(s, 80), "bind to port 80 in its own namespace");
		raw = socket(AF_BSDINET, SOCK_RAW, IPPROTO_ICMP);
		ksft_test_result(raw >= 0, "a raw ICMP socket (CAP_NET_RAW in its own user namespace): %s\n",
				 raw >= 0 ? "ok" : strerror(errno));
		ksft_test_result(raw >= 0 && ping_self(raw), "ping 127.0.0.1 on it\n");
		EXPECT_ERR(0, lo0_addr(s, BSDINET_SIOCAIFADDR, "127.0.0.10"), "SIOCAIFADDR on its own lo0");
		/* Ask the parent whether the initial namespace sees it. */
		c = 0;
		if (write(sync1[1], "?", 1) != 1 || read(sync2[0], &c, 1) != 1)
			c = 0;
		ksft_test_result(c == 'n', "the initial namespace's lo0 does not have it\n");
		rt = socket(AF_BSDROUTE, SOCK_RAW, 0);
		EXPECT_ERR(0, rt < 0 ? errno : route(rt, BSDINET_RTM_ADD, "10.125.0.0"), "RTM_ADD on its own routing socket");
		EXPECT_ERR(0, rt < 0 ? errno : route(rt, BSDINET_RTM_DELETE, "10.125.0.0"), "RTM_DELETE on its own routing socket");
		ksft_finished();
	}
	close(sync1[1]);
	close(sync2[0]);
	if (read(sync1[0], &c, 1) == 1) {
		c = has_addr(u, "127.0.0.10") == 0 ? 'n' : 'y';
		if (write(sync2[1], &c, 1) != 1)
			perror("write");
	}
	waitpid(pid, &status, 0);
	/* Clean up, whatever the child managed to do. */
	route(r, BSDINET_RTM_DELETE, "10.124.0.0");
	route(r, BSDINET_RTM_DELETE, "10.123.0.0");
	lo0_addr(u, BSDINET_SIOCDIFADDR, "127.0.0.9");
	lo0_addr(u, BSDINET_SIOCDIFADDR, "127.0.0.8");
	if (system("ip link del bu0; ip link del bu2"))
		ksft_print_msg("ip link del failed\n");
	return WIFEXITED(status) ? WEXITSTATUS(status) : KSFT_FAIL;
}
