// SPDX-License-Identifier: GPL-2.0
/*
 * bsdinet's interface and address ioctls on lo0, with their errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bsdinet.h>

#include "kselftest_harness.h"

static void set_in(struct bsdinet_sockaddr *sa, uint32_t host)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;

	memset(sa, 0, sizeof(*sa));
	sin->sin_family = AF_BSDINET;
	sin->sin_addr.s_addr = htonl(host);
}

static uint32_t get_in(const struct bsdinet_sockaddr *sa)
{
	return ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
}

FIXTURE(lo0) {
	int s;
	struct bsdinet_ifreq r;
};

FIXTURE_SETUP(lo0)
{
	self->s = socket(AF_BSDINET, SOCK_RAW, 0);
	ASSERT_LE(0, self->s);
	memset(&self->r, 0, sizeof(self->r));
	strcpy(self->r.bifr_name, "lo0");
}

FIXTURE_TEARDOWN(lo0)
{
	close(self->s);
}

static int count_addrs(int s, uint32_t want, int *seen)
{
	struct bsdinet_ifreq reqs[32];
	struct bsdinet_ifconf ifc = { .bifc_len = sizeof(reqs), .bifc_req = reqs };
	int n;

	if (ioctl(s, BSDINET_SIOCGIFCONF, &ifc) < 0)
		return -1;
	n = ifc.bifc_len / sizeof(reqs[0]);
	*seen = 0;
	for (int i = 0; i < n; i++)
		if (!strcmp(reqs[i].bifr_name, "lo0") && get_in(&reqs[i].bifr_addr) == want)
			(*seen)++;
	return n;
}

TEST_F(lo0, configured_at_load)
{
	int seen;

	ASSERT_EQ(0, ioctl(self->s, BSDINET_SIOCGIFFLAGS, &self->r));
	EXPECT_EQ(BSDINET_IFF_UP | BSDINET_IFF_LOOPBACK | BSDINET_IFF_MULTICAST,
		  (unsigned short)self->r.bifr_flags);
	ASSERT_EQ(0, ioctl(self->s, BSDINET_SIOCGIFMTU, &self->r));
	EXPECT_EQ(1536, self->r.bifr_mtu);
	ASSERT_EQ(0, ioctl(self->s, BSDINET_SIOCGIFADDR, &self->r));
	EXPECT_EQ(AF_BSDINET, self->r.bifr_addr.sa_family);
	EXPECT_EQ(INADDR_LOOPBACK, get_in(&self->r.bifr_addr));
	ASSERT_EQ(0, ioctl(self->s, BSDINET_SIOCGIFNETMASK, &self->r));
	EXPECT_EQ(0xff000000, get_in(&self->r.bifr_addr));
	EXPECT_EQ(-1, ioctl(self->s, BSDINET_SIOCGIFBRDADDR, &self->r));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1, count_addrs(self->s, INADDR_LOOPBACK, &seen));
	EXPECT_EQ(1, seen);
}

TEST_F(lo0, ifconf_truncates)
{
	struct bsdinet_ifreq reqs[2];
	struct bsdinet_ifconf ifc = { .bifc_len = sizeof(reqs[0]) - 1, .bifc_req = reqs };

	ASSERT_EQ(0, ioctl(self->s, BSDINET_SIOCGIFCONF, &ifc));
	EXPECT_EQ(0, ifc.bifc_len);
	ifc.bifc_len = -1;
	EXPECT_EQ(-1, ioctl(self->s, BSDINET_SIOCGIFCONF, &ifc));
	EXPECT_EQ(EINVAL, errno);
	ifc.bifc_len = sizeof(reqs);
	ifc.bifc_buf = (char *)8;
	EXPECT_EQ(-1, ioctl(self->s, BSDINET_SIOCGIFCONF, &ifc));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->s, BSDINET_SIOCGIFCONF, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(lo0, add_and_delete_an_alias)
{
	struct bsdinet_ifaliasreq ifra = { .bifra_name = "lo0" };
	struct sockaddr_in sin = { .sin_family = AF_BSDINET };
	int seen, before, t;

	before = count_addrs(self->s, 0x7f000002, &seen);
	ASSERT_EQ(0, seen);
	set_in(&ifra.bifra_addr, 0x7f000002);
	set_in(&ifra.bifra_mask, 0xff000000);
	ASSERT_EQ(0, ioctl(self->s, BSDINET_SIOCAIFADDR, &ifra));
	EXPECT_EQ(before + 1, count_addrs(self->s, 0x7f000002, &seen));
	EXPECT_EQ(1, seen);

	/* The new address is usable: a socket binds to it. */
	t = socket(AF_BSDINET, SOCK_RAW, 0);
	sin.sin_addr.s_addr = htonl(0x7f000002);
	EXPECT_EQ(0, bind(t, (struct sockaddr *)&sin, sizeof(sin)));
	close(t);

	set_in(&self->r.bifr_addr, 0x7f000002);
	ASSERT_EQ(0, ioctl(self->s, BSDINET_SIOCDIFADDR, &self->r));
	EXPECT_EQ(before, count_addrs(self->s, 0x7f000002, &seen));
	EXPECT_EQ(0, seen);
	EXPECT_EQ(-1, ioctl(self->s, BSDINET_SIOCDIFADDR, &self->r));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	t = socket(AF_BSDINET, SOCK_RAW, 0);
	EXPECT_EQ(-1, bind(t, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	close(t);
}

TEST_F(lo0, bad_requests)
{
	struct bsdinet_ifreq r = { .bifr_name = "lo9" };

	EXPECT_EQ(-1, ioctl(self->s, BSDINET_SIOCGIFFLAGS, &r));
	EXPECT_EQ(ENXIO, errno);
	memset(r.bifr_name, 'x', sizeof(r.bifr_name));
	EXPECT_EQ(-1, ioctl(self->s, BSDINET_SIOCGIFFLAGS, &r));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->s, BSDINET_SIOCGIFFLAGS, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	/* Addresses no interface can have. */
	set_in(&self->r.bifr_addr, 0xe0000001);
	EXPECT_EQ(-1, ioctl(self->s, BSDINET_SIOCSIFADDR, &self->r));
	EXPECT_EQ(EINVAL, errno);
	self->r.bifr_addr.sa_family = AF_INET;
	EXPECT_EQ(-1, ioctl(self->s, BSDINET_SIOCSIFADDR, &self->r));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	self->r.bifr_mtu = 40;
	EXPECT_EQ(-1, ioctl(self->s, BSDINET_SIOCSIFMTU, &self->r));
	EXPECT_EQ(EINVAL, errno);
	/* Not an interface ioctl at all. */
	EXPECT_EQ(-1, ioctl(self->s, _IOW('z', 1, int), &r));
	EXPECT_EQ(EOPNOTSUPP, errno);
	/* Nothing changed. */
	ASSERT_EQ(0, ioctl(self->s, BSDINET_SIOCGIFADDR, &self->r));
	EXPECT_EQ(INADDR_LOOPBACK, get_in(&self->r.bifr_addr));
}

/* Changing the configuration needs CAP_NET_ADMIN; reading it does not. */
TEST_F(lo0, needs_cap_net_admin)
{
	pid_t pid;
	int status;

	/* The socket stays open across setuid: only the caller's
	 * capabilities at ioctl time count. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct bsdinet_ifaliasreq ifra = { .bifra_name = "lo0" };

		if (setuid(65534))
			_exit(2);
		if (ioctl(self->s, BSDINET_SIOCGIFADDR, &self->r))
			_exit(3);
		set_in(&ifra.bifra_addr, 0x7f000003);
		if (ioctl(self->s, BSDINET_SIOCAIFADDR, &ifra) == 0 || errno != EPERM)
			_exit(4);
		self->r.bifr_flags = 0;
		if (ioctl(self->s, BSDINET_SIOCSIFFLAGS, &self->r) == 0 || errno != EPERM)
			_exit(5);
		set_in(&self->r.bifr_addr, INADDR_LOOPBACK);
		if (ioctl(self->s, BSDINET_SIOCDIFADDR, &self->r) == 0 || errno != EPERM)
			_exit(6);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(lo0, flags_down_and_up)
{
	ASSERT_EQ(0, ioctl(self->s, BSDINET_SIOCGIFFLAGS, &self->r));
	self->r.bifr_flags &= ~BSDINET_IFF_UP;
	ASSERT_EQ(0, ioctl(self->s, BSDINET_SIOCSIFFLAGS, &self->r));
	ASSERT_EQ(0, ioctl(self->s, BSDINET_SIOCGIFFLAGS, &self->r));
	EXPECT_EQ(0, self->r.bifr_flags & BSDINET_IFF_UP);
	self->r.bifr_flags |= BSDINET_IFF_UP;
	ASSERT_EQ(0, ioctl(self->s, BSDINET_SIOCSIFFLAGS, &self->r));
	ASSERT_EQ(0, ioctl(self->s, BSDINET_SIOCGIFFLAGS, &self->r));
	EXPECT_EQ(BSDINET_IFF_UP, self->r.bifr_flags & BSDINET_IFF_UP);
}

TEST_HARNESS_MAIN
