/* SPDX-License-Identifier: GPL-2.0 */
/* What the C selftests share: bsdinet's loopback address and its
 * counters in /proc/bsdinet. Include after the system headers. */
#ifndef BSDINET_TEST_H
#define BSDINET_TEST_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <linux/bsdinet.h>

/* 127.0.0.1:port on bsdinet's lo0. */
static inline struct sockaddr_in lo(unsigned short port)
{
	struct sockaddr_in sin = { .sin_family = AF_BSDINET, .sin_port = htons(port) };

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sin;
}

/* A counter of /proc/bsdinet/<file> (lines "name value"); -1 if absent. */
static inline long long bsd_stat(const char *file, const char *name)
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

#endif
