// SPDX-License-Identifier: GPL-2.0
/*
 * trpt for bsdinet: prints the SO_DEBUG trace of TCP connections, in the
 * manner and the words of 4.4BSD's trpt(8) (book section 27.10):
 *
 *	trpt [-afjst] [-p tcb]...
 *
 * Where BSD's trpt read tcp_debug[] out of /dev/kmem, this one reads
 * /proc/bsdinet/tcp_debug, one row per trace entry, oldest first (the
 * format is in rust/bsd/kern/kern_stats.rs). A connection is traced
 * while its socket has SO_DEBUG (setsockopt(SOL_SOCKET, SO_DEBUG)); the
 * ring keeps the last 100 events of all of them.
 *
 * Without -p, every control block found in the ring is printed in turn,
 * each under a line with its number (the "tcb" of netstat -A and of
 * /proc/bsdinet/pcb), as BSD's under its address. Each event is one line:
 *
 *	time ostate:action details -> state
 *
 * time is the entry's time in BSD's form ((milliseconds / 10) % 1000:
 * hundredths of a second, in a 10-second round); details, for a segment
 * received (input), sent (output), answered by tcp_respond (respond) or
 * dropped (drop), are [seq..seq+len)@ack(win=w)<flags> in hex as BSD's
 * (just seq@ack when it carries no data, no window part when the window
 * is 0); for a user request (user), the request (CONNECT, SEND, ...) and,
 * for a timer, SLOWTIMO<REXMT>, <PERSIST>, <KEEP> or <2MSL>.
 *
 *	-a	the segments' addresses too: (src=A,port, dst=B,port)
 *	-f	follow: keep printing new events as they come (every second)
 *	-j	just list the control blocks that have events, one a line
 *	-p tcb	only this control block (may be repeated)
 *	-s	the sequence variables after each event (rcv_nxt rcv_wnd
 *		snd_una snd_nxt snd_max, then snd_wl1 snd_wl2 snd_wnd)
 *	-t	the timers that are running after each event, in slow ticks,
 *		with the retransmission shift
 *
 * BSDINET_PROCDIR names another directory than /proc/bsdinet (tests).
 * Exit status: 0; 1 when bsdinet is not loaded or the file cannot be
 * read; 2 for a bad command line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXCOL 64
#define MAXPCBS 64

static int aflag, fflag, jflag, sflag, tflag;
static const char *pcbs[MAXPCBS];
static int npcbs;
static char path[256];

static const char *const prurequests[] = {
	"ATTACH", "DETACH", "BIND", "LISTEN", "CONNECT", "ACCEPT", "DISCONNECT", "SHUTDOWN",
	"RCVD", "SEND", "ABORT", "CONTROL", "SENSE", "RCVOOB", "SENDOOB", "SOCKADDR",
	"PEERADDR", "CONNECT2", "FASTTIMO", "SLOWTIMO", "PROTORCV", "PROTOSEND",
};
#define PRU_NREQ (int)(sizeof(prurequests) / sizeof(prurequests[0]))
#define PRU_FASTTIMO 18
#define PRU_SLOWTIMO 19
static const char *const tcptimers[] = { "REXMT", "PERSIST", "KEEP", "2MSL" };

static void usage(void)
{
	fprintf(stderr, "usage: trpt [-afjst] [-p tcb]...\n");
	exit(2);
}

/* The file's rows; row 0 is the header. */
struct trace {
	char *text;
	int ncol, nrow;
	char *col[MAXCOL];
	char *(*row)[MAXCOL];
};

static int split(char *line, char **f, int max)
{
	int n = 0;
	char *save, *tok;

	for (tok = strtok_r(line, " ", &save); tok && n < max; tok = strtok_r(NULL, " ", &save))
		f[n++] = tok;
	return n;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "trpt: out of memory\n");
		exit(1);
	}
	return p;
}

static struct trace readtrace(void)
{
	struct trace t = { 0 };
	size_t len = 0, cap = 1 << 16;
	char *save, *line;
	int rcap = 128;
	FILE *f = fopen(path, "r");

	if (!f) {
		if (errno == ENOENT)
			fprintf(stderr, "trpt: %s: no such file (is bsdinet loaded?)\n", path);
		else
			fprintf(stderr, "trpt: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	t.text = xrealloc(NULL, cap);
	for (;;) {
		size_t n = fread(t.text + len, 1, cap - len - 1, f);

		len += n;
		if (len < cap - 1)
			break;
		cap *= 2;
		t.text = xrealloc(t.text, cap);
	}
	if (ferror(f)) {
		fprintf(stderr, "trpt: %s: read error\n", path);
		exit(1);
	}
	fclose(f);
	t.text[len] = '\0';
	t.row = xrealloc(NULL, rcap * sizeof(*t.row));
	for (line = strtok_r(t.text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!t.ncol) {
			t.ncol = split(line, t.col, MAXCOL);
			continue;
		}
		if (t.nrow == rcap) {
			rcap *= 2;
			t.row = xrealloc(t.row, rcap * sizeof(*t.row));
		}
		memset(t.row[t.nrow], 0, sizeof(t.row[t.nrow]));
		split(line, t.row[t.nrow], MAXCOL);
		t.nrow++;
	}
	return t;
}

static const char *field(const struct trace *t, int r, const char *name)
{
	for (int i = 0; i < t->ncol; i++)
		if (!strcmp(t->col[i], name))
			return t->row[r][i] ? t->row[r][i] : "-";
	return "-";
}

static unsigned long num(const struct trace *t, int r, const char *name)
{
	return strtoul(field(t, r, name), NULL, 0);
}

/* One event, as 4.4BSD trpt's tcp_trace(). */
static void tcp_trace(const struct trace *t, int r)
{
	const char *act = field(t, r, "act");
	unsigned long ms = num(t, r, "time");

	printf("%03lu %s:%s ", (ms / 10) % 1000, field(t, r, "ostate"), act);
	if (strcmp(field(t, r, "seq"), "-")) {
		unsigned long seq = num(t, r, "seq"), ack = num(t, r, "ack");
		unsigned long len = num(t, r, "len"), win = num(t, r, "win");
		unsigned long flags = num(t, r, "flags");

		if (aflag)
			printf("(src=%s,%s, dst=%s,%s)", field(t, r, "src"), field(t, r, "sport"),
			       field(t, r, "dst"), field(t, r, "dport"));
		if (len)
			printf("[%lx..%lx)", seq, (seq + len) & 0xffffffffUL);
		else
			printf("%lx", seq);
		printf("@%lx", ack);
		if (win)
			printf("(win=%lx)", win);
		if (flags) {
			static const struct {
				unsigned long bit;
				const char *name;
			} fl[] = { { 0x02, "SYN" }, { 0x10, "ACK" }, { 0x01, "FIN" },
				   { 0x04, "RST" }, { 0x08, "PUSH" }, { 0x20, "URG" } };
			const char *cp = "<";

			for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
				if (flags & fl[i].bit) {
					printf("%s%s", cp, fl[i].name);
					cp = ",";
				}
			printf(">");
		}
	} else if (!strcmp(act, "user")) {
		long req = strtol(field(t, r, "req"), NULL, 0);
		int timer = (int)(req >> 8) & 0xff;

		req &= 0xff;
		if (req < PRU_NREQ)
			printf("%s", prurequests[req]);
		else
			printf("#%ld", req);
		if ((req == PRU_SLOWTIMO || req == PRU_FASTTIMO) && timer < 4)
			printf("<%s>", tcptimers[timer]);
	}
	printf(" -> %s\n", field(t, r, "state"));
	if (sflag) {
		printf("\trcv_nxt %lx rcv_wnd %lx snd_una %lx snd_nxt %lx snd_max %lx\n",
		       num(t, r, "rcv_nxt"), num(t, r, "rcv_wnd"), num(t, r, "snd_una"),
		       num(t, r, "snd_nxt"), num(t, r, "snd_max"));
		printf("\tsnd_wl1 %lx snd_wl2 %lx snd_wnd %lx\n", num(t, r, "snd_wl1"),
		       num(t, r, "snd_wl2"), num(t, r, "snd_wnd"));
	}
	if (tflag) {
		static const char *const cols[] = { "rexmt", "persist", "keep", "2msl" };
		const char *cp = "\t";

		for (int i = 0; i < 4; i++) {
			unsigned long v = num(t, r, cols[i]);

			if (!v)
				continue;
			printf("%s%s=%lu", cp, tcptimers[i], v);
			if (i == 0)
				printf(" (t_rxtshft=%lu)", num(t, r, "rxtshift"));
			cp = ", ";
		}
		if (*cp != '\t')
			putchar('\n');
	}
}

/* The events of control block `tcb` (all of them when NULL) from row
 * `from` on. */
static void dotrace(const struct trace *t, const char *tcb, int from)
{
	for (int r = from; r < t->nrow; r++)
		if (!tcb || !strcmp(field(t, r, "tcb"), tcb))
			tcp_trace(t, r);
}

/* The control blocks with events, in the order of their first event. */
static int findpcbs(const struct trace *t, const char **out, int max)
{
	int n = 0;

	for (int r = 0; r < t->nrow; r++) {
		const char *tcb = field(t, r, "tcb");
		int seen = 0;

		for (int i = 0; i < n; i++)
			seen |= !strcmp(out[i], tcb);
		if (!seen && n < max)
			out[n++] = tcb;
	}
	return n;
}

static int wanted(const char *tcb)
{
	if (!npcbs)
		return 1;
	for (int i = 0; i < npcbs; i++)
		if (!strcmp(pcbs[i], tcb))
			return 1;
	return 0;
}

/* The whole of row r as one string, to find it again in a later read. */
static char *rowkey(const struct trace *t, int r)
{
	size_t len = 0;
	char *k = NULL;

	for (int i = 0; i < t->ncol; i++) {
		const char *f = t->row[r][i] ? t->row[r][i] : "";
		size_t n = strlen(f);

		k = xrealloc(k, len + n + 2);
		memcpy(k + len, f, n);
		len += n;
		k[len++] = ' ';
	}
	k = xrealloc(k, len + 1);
	k[len] = '\0';
	return k;
}

static void freetrace(struct trace *t)
{
	free(t->row);
	free(t->text);
}

/* -f: every second, the events after the last one printed. */
static void follow(struct trace *t)
{
	char *last = t->nrow ? rowkey(t, t->nrow - 1) : NULL;

	for (;;) {
		int from = 0;

		fflush(stdout);
		sleep(1);
		freetrace(t);
		*t = readtrace();
		if (last)
			for (int r = t->nrow - 1; r >= 0; r--) {
				char *k = rowkey(t, r);
				int same = !strcmp(k, last);

				free(k);
				if (same) {
					from = r + 1;
					break;
				}
			}
		for (int r = from; r < t->nrow; r++)
			if (wanted(field(t, r, "tcb")))
				tcp_trace(t, r);
		if (t->nrow) {
			free(last);
			last = rowkey(t, t->nrow - 1);
		}
	}
}

int main(int argc, char **argv)
{
	const char *dir = getenv("BSDINET_PROCDIR");
	struct trace t;
	int c;

	while ((c = getopt(argc, argv, "afjp:st")) != -1) {
		switch (c) {
		case 'a': aflag = 1; break;
		case 'f': fflag = 1; break;
		case 'j': jflag = 1; break;
		case 'p':
			if (npcbs == MAXPCBS) {
				fprintf(stderr, "trpt: too many -p\n");
				exit(2);
			}
			pcbs[npcbs++] = optarg;
			break;
		case 's': sflag = 1; break;
		case 't': tflag = 1; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	snprintf(path, sizeof(path), "%s/tcp_debug", dir && *dir ? dir : "/proc/bsdinet");
	t = readtrace();
	if (jflag) {
		const char *found[MAXPCBS];
		int n = findpcbs(&t, found, MAXPCBS);

		for (int i = 0; i < n; i++)
			printf("%s\n", found[i]);
		return fflush(stdout) ? 1 : 0;
	}
	if (npcbs) {
		/* As BSD: the named blocks' traces, one after the other. */
		for (int i = 0; i < npcbs; i++)
			dotrace(&t, pcbs[i], 0);
	} else if (!fflag) {
		const char *found[MAXPCBS];
		int n = findpcbs(&t, found, MAXPCBS);

		for (int i = 0; i < n; i++) {
			printf("\n%s:\n", found[i]);
			dotrace(&t, found[i], 0);
		}
	} else {
		dotrace(&t, NULL, 0);
	}
	if (fflag)
		follow(&t);
	freetrace(&t);
	return fflush(stdout) ? 1 : 0;
}
