// SPDX-License-Identifier: GPL-2.0
/*
 * sockprobe: ask socket(AF_BSDINET, type, protocol) for each entry of the
 * internet domain's protocol switch and show what it answers.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/bsdinet.h>

static const struct {
	int type, protocol;
	const char *name;
} probes[] = {
	{ SOCK_DGRAM, IPPROTO_UDP, "udp" },
	{ SOCK_STREAM, IPPROTO_TCP, "tcp" },
	{ SOCK_RAW, IPPROTO_RAW, "raw" },
	{ SOCK_RAW, IPPROTO_ICMP, "icmp" },
	{ SOCK_RAW, IPPROTO_IGMP, "igmp" },
	{ SOCK_RAW, 0, "raw wildcard" },
	{ SOCK_RAW, 89, "raw wildcard (OSPF)" },
};

static const char *type_name(int type)
{
	switch (type) {
	case SOCK_STREAM: return "SOCK_STREAM";
	case SOCK_DGRAM: return "SOCK_DGRAM";
	case SOCK_RAW: return "SOCK_RAW";
	}
	return "?";
}

int main(void)
{
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		int s = socket(AF_BSDINET, probes[i].type, probes[i].protocol);
		int err = errno;

		printf("%-11s %3d  %-20s ", type_name(probes[i].type),
		       probes[i].protocol, probes[i].name);
		if (s < 0) {
			printf("%s\n", strerror(err));
			if (err == EAFNOSUPPORT)
				return 1; /* bsdinet is not loaded */
			continue;
		}
		struct sockaddr_in sin;
		socklen_t len = sizeof(sin);
		if (getsockname(s, (struct sockaddr *)&sin, &len) == 0)
			printf("ok (fd %d, family %d)\n", s, sin.sin_family);
		else
			printf("ok (fd %d), getsockname: %s\n", s, strerror(errno));
		close(s);
	}
	return 0;
}
