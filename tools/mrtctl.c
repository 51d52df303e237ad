// SPDX-License-Identifier: GPL-2.0
/*
 * mrtctl: a multicast routing daemon driven by hand (chapter 14). It opens
 * a raw IGMP socket on bsdinet, takes it with BSDINET_MRT_INIT, and reads
 * commands, one a line, from its arguments (separated by ";") and then
 * from stdin, answering each with "ok" or "error: ...":
 *
 *	vif N LOCAL [threshold T] [tunnel REMOTE]  add vif N on the interface
 *			of our address LOCAL (or an IP-in-IP tunnel to REMOTE)
 *	delvif N	remove vif N
 *	mfc ORIGIN GROUP PARENT VIF:TTL...  add or change a forwarding entry:
 *			datagrams from ORIGIN to GROUP coming in by vif PARENT
 *			go out of each VIF whose TTL they are above
 *	delmfc ORIGIN GROUP
 *	assert on|off	IGMPMSG_WRONGVIF upcalls
 *	version		the kernel's MRT_VERSION
 *
 * Upcalls are printed as they come: "upcall nocache vif V ORIGIN GROUP".
 * Multicast routing ends (every vif and entry goes) when mrtctl exits: at
 * the end of stdin, or on SIGTERM/SIGINT.
 *
 *	tools/out/mrtctl 'vif 0 10.80.0.1; vif 1 10.81.0.1; mfc 10.80.0.2 239.1.1.1 0 1:1' </dev/tty
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/bsdinet.h>

static int s;

static int addr(const char *str, __be32 *a)
{
	return inet_pton(AF_INET, str, a) == 1 ? 0 : -1;
}

static int mrt(int name, const void *v, socklen_t len)
{
	return setsockopt(s, IPPROTO_IP, name, v, len);
}

/* One command; its words in w[0..n). Prints the answer. */
static void command(char **w, int n)
{
	int r = -1;

	errno = EINVAL;
	if (n >= 3 && !strcmp(w[0], "vif")) {
		struct bsdinet_vifctl vc = { .vifc_vifi = atoi(w[1]), .vifc_threshold = 1 };

		r = addr(w[2], &vc.vifc_lcl_addr);
		for (int i = 3; r == 0 && i + 1 < n; i += 2) {
			if (!strcmp(w[i], "threshold")) {
				vc.vifc_threshold = atoi(w[i + 1]);
			} else if (!strcmp(w[i], "tunnel")) {
				vc.vifc_flags |= BSDINET_VIFF_TUNNEL;
				r = addr(w[i + 1], &vc.vifc_rmt_addr);
			} else {
				r = -1;
			}
		}
		if (r == 0)
			r = mrt(BSDINET_MRT_ADD_VIF, &vc, sizeof(vc));
	} else if (n == 2 && !strcmp(w[0], "delvif")) {
		struct bsdinet_vifctl vc = { .vifc_vifi = atoi(w[1]) };

		r = mrt(BSDINET_MRT_DEL_VIF, &vc, sizeof(vc));
	} else if (n >= 4 && (!strcmp(w[0], "mfc") || !strcmp(w[0], "delmfc"))) {
		struct bsdinet_mfcctl mc = { .mfcc_parent = atoi(w[3]) };

		r = addr(w[1], &mc.mfcc_origin) | addr(w[2], &mc.mfcc_mcastgrp);
		for (int i = 4; r == 0 && i < n; i++) {
			unsigned int v, t;

			if (sscanf(w[i], "%u:%u", &v, &t) != 2 || v >= BSDINET_MAXVIFS || t > 255)
				r = -1;
			else
				mc.mfcc_ttls[v] = t;
		}
		if (r == 0)
			r = mrt(w[0][0] == 'm' ? BSDINET_MRT_ADD_MFC : BSDINET_MRT_DEL_MFC, &mc,
				sizeof(mc));
	} else if (n == 3 && !strcmp(w[0], "delmfc")) {
		struct bsdinet_mfcctl mc = { 0 };

		r = addr(w[1], &mc.mfcc_origin) | addr(w[2], &mc.mfcc_mcastgrp);
		if (r == 0)
			r = mrt(BSDINET_MRT_DEL_MFC, &mc, sizeof(mc));
	} else if (n == 2 && !strcmp(w[0], "assert")) {
		int on = !strcmp(w[1], "on");

		r = mrt(BSDINET_MRT_ASSERT, &on, sizeof(on));
	} else if (n == 1 && !strcmp(w[0], "version")) {
		int v;
		socklen_t l = sizeof(v);

		r = getsockopt(s, IPPROTO_IP, BSDINET_MRT_VERSION, &v, &l);
		if (r == 0) {
			printf("version 0x%04x\n", v);
			fflush(stdout);
			return;
		}
	}
	if (r == 0)
		printf("ok\n");
	else
		printf("error: %s\n", strerror(errno));
	fflush(stdout);
}

/* The commands of `line`, separated by ";". */
static void commands(char *line)
{
	char *save1, *cmd;

	for (cmd = strtok_r(line, ";\n", &save1); cmd; cmd = strtok_r(NULL, ";\n", &save1)) {
		char *w[48], *save2;
		int n = 0;

		for (char *t = strtok_r(cmd, " \t", &save2); t && n < 48; t = strtok_r(NULL, " \t", &save2))
			w[n++] = t;
		if (n)
			command(w, n);
	}
}

static void upcall(void)
{
	struct bsdinet_igmpmsg im;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	unsigned char buf[2048];
	ssize_t r = recv(s, buf, sizeof(buf), 0);

	/* Real IGMP (protocol 2 in the header) is not an upcall. */
	if (r < (ssize_t)sizeof(im) || buf[9] != 0)
		return;
	memcpy(&im, buf, sizeof(im));
	printf("upcall %s vif %u %s %s\n",
	       im.im_msgtype == BSDINET_IGMPMSG_NOCACHE ? "nocache" :
	       im.im_msgtype == BSDINET_IGMPMSG_WRONGVIF ? "wrongvif" : "other",
	       im.im_vif, inet_ntop(AF_INET, &im.im_src, a, sizeof(a)),
	       inet_ntop(AF_INET, &im.im_dst, b, sizeof(b)));
	fflush(stdout);
}

static volatile sig_atomic_t stop;

static void onsig(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	int one = 1, in_open = 1;
	struct sigaction sa = { .sa_handler = onsig };
	char line[1024];

	s = socket(AF_BSDINET, SOCK_RAW, IPPROTO_IGMP);
	if (s < 0) {
		perror("mrtctl: socket(AF_BSDINET, SOCK_RAW, IPPROTO_IGMP)");
		return 1;
	}
	if (mrt(BSDINET_MRT_INIT, &one, sizeof(one))) {
		perror("mrtctl: MRT_INIT");
		return 1;
	}
	setvbuf(stdin, NULL, _IONBF, 0);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (int i = 1; i < argc; i++) {
		snprintf(line, sizeof(line), "%s", argv[i]);
		commands(line);
	}
	while (!stop && in_open) {
		struct pollfd p[2] = { { .fd = s, .events = POLLIN }, { .fd = 0, .events = POLLIN } };

		if (poll(p, 2, -1) < 0)
			continue;
		if (p[0].revents & POLLIN)
			upcall();
		if (p[1].revents & (POLLIN | POLLHUP)) {
			if (fgets(line, sizeof(line), stdin))
				commands(line);
			else
				in_open = 0;
		}
	}
	return 0;
}
