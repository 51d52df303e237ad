// SPDX-License-Identifier: GPL-2.0
/*
 * slattach for bsdinet, in the manner of 4.4BSD's: puts a tty in
 * bsdinet's SLIP line discipline, which gives bsdinet an interface sl<N>,
 * prints its name, and holds the line until a signal (SIGHUP, SIGINT,
 * SIGTERM) or the interface goes (the line hung up, or with ifconfig's
 * debug flag the other end sent the abort sequence: three ESCs a second
 * apart); then the tty is given back to N_TTY and the interface is gone.
 *
 *	slattach [-s speed] TTY     a serial line (or a pty's slave)
 *	slattach -p                 a new pty pair: bsdinet on the master
 *	                            side; prints "sl0 /dev/pts/N", the slave
 *	                            for the other end (Linux's own
 *	                            `slattach -p slip /dev/pts/N`, say)
 *
 * Then: ifconfig sl0 10.0.0.1 10.0.0.2 up (an address and the other end's).
 * Needs CAP_NET_ADMIN.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <linux/bsdinet.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static speed_t baud(const char *s)
{
	static const struct { int n; speed_t v; } t[] = {
		{ 1200, B1200 }, { 2400, B2400 }, { 4800, B4800 }, { 9600, B9600 },
		{ 19200, B19200 }, { 38400, B38400 }, { 57600, B57600 },
		{ 115200, B115200 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (atoi(s) == t[i].n)
			return t[i].v;
	fprintf(stderr, "slattach: %s: unknown speed\n", s);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *speed = NULL, *path = NULL;
	int pty = 0, c, fd, unit, disc = N_BSDINET_SLIP, tty = 0 /* N_TTY */;
	char slave[64] = "";
	struct termios t;

	while ((c = getopt(argc, argv, "ps:")) != -1) {
		switch (c) {
		case 'p': pty = 1; break;
		case 's': speed = optarg; break;
		default: goto usage;
		}
	}
	if (pty == (optind < argc) || optind + !pty != argc)
		goto usage;
	path = pty ? "/dev/ptmx" : argv[optind];
	fd = open(path, O_RDWR | O_NOCTTY);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	if (pty && (grantpt(fd) || unlockpt(fd) || ptsname_r(fd, slave, sizeof(slave)))) {
		perror("slattach: pty");
		return 1;
	}
	/* Raw, 8 bits, no flow control: only the discipline reads the line. */
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		t.c_cflag |= CLOCAL | CREAD;
		t.c_cflag &= ~CRTSCTS;
		if (speed) {
			cfsetispeed(&t, baud(speed));
			cfsetospeed(&t, baud(speed));
		}
		if (tcsetattr(fd, TCSANOW, &t) < 0)
			perror("slattach: tcsetattr");
	}
	if (ioctl(fd, TIOCSETD, &disc) < 0) {
		perror("slattach: TIOCSETD (is bsdinet.ko loaded? are you root?)");
		return 1;
	}
	if (ioctl(fd, BSDINET_SLIOCGUNIT, &unit) < 0) {
		perror("slattach: SLIOCGUNIT");
		return 1;
	}
	printf("sl%d%s%s\n", unit, pty ? " " : "", slave);
	fflush(stdout);

	signal(SIGHUP, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* The interface goes with a hangup: then the unit is gone too. */
	while (!stop) {
		sleep(1);
		if (!stop && ioctl(fd, BSDINET_SLIOCGUNIT, &unit) < 0) {
			fprintf(stderr, "slattach: sl%d: gone (the line hung up, or the abort sequence came)\n",
				unit);
			return 1;
		}
	}
	ioctl(fd, TIOCSETD, &tty);
	return 0;
usage:
	fprintf(stderr, "usage: slattach [-s speed] TTY | slattach -p\n");
	return 2;
}
