// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/bsdinet/: one read-only file per statistics table of the stack.
 * The names, and the text of each file, come from the Rust side
 * (rust/linux/procfs.rs, rust/bsd/kern/kern_stats.rs); this file only
 * holds the procfs calls. /proc/net would be per network namespace, and
 * the stack is one for the whole system, so the directory is at the top.
 * The tunables are sysctls under /proc/sys/net/bsdinet.
 */
#include <linux/errno.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/sysctl.h>
#include "procfs.h"

static struct proc_dir_entry *bsdinet_proc_dir;

/* The book's defaults, but ICMP mask replies on (bsdinet's choice). */
struct bsdinet_sysctl bsdinet_sysctl = {
	.ip_forwarding = 0,
	.ip_redirect = 1,
	.ip_ttl = 64,
	.icmp_maskrepl = 1,
	.udp_checksum = 1,
};

static int bsdinet_ttl_max = 255;

#define BSDINET_BOOL(name, field) {						\
	.procname = name, .data = &bsdinet_sysctl.field, .maxlen = sizeof(int),	\
	.mode = 0644, .proc_handler = proc_dointvec_minmax,			\
	.extra1 = SYSCTL_ZERO, .extra2 = SYSCTL_ONE }

static struct ctl_table bsdinet_ip_table[] = {
	BSDINET_BOOL("forwarding", ip_forwarding),
	BSDINET_BOOL("redirect", ip_redirect),
	{ .procname = "ttl", .data = &bsdinet_sysctl.ip_ttl, .maxlen = sizeof(int),
	  .mode = 0644, .proc_handler = proc_dointvec_minmax,
	  .extra1 = SYSCTL_ONE, .extra2 = &bsdinet_ttl_max },
};
static struct ctl_table bsdinet_icmp_table[] = {
	BSDINET_BOOL("maskrepl", icmp_maskrepl),
};
static struct ctl_table bsdinet_udp_table[] = {
	BSDINET_BOOL("checksum", udp_checksum),
};
static struct ctl_table_header *bsdinet_sysctl_hdr[3];

static void bsdinet_sysctl_exit(void)
{
	for (int i = 0; i < ARRAY_SIZE(bsdinet_sysctl_hdr); i++) {
		unregister_sysctl_table(bsdinet_sysctl_hdr[i]);
		bsdinet_sysctl_hdr[i] = NULL;
	}
}

static int bsdinet_sysctl_init(void)
{
	bsdinet_sysctl_hdr[0] = register_sysctl("net/bsdinet/ip", bsdinet_ip_table);
	bsdinet_sysctl_hdr[1] = register_sysctl("net/bsdinet/icmp", bsdinet_icmp_table);
	bsdinet_sysctl_hdr[2] = register_sysctl("net/bsdinet/udp", bsdinet_udp_table);
	for (int i = 0; i < ARRAY_SIZE(bsdinet_sysctl_hdr); i++) {
		if (!bsdinet_sysctl_hdr[i]) {
			bsdinet_sysctl_exit();
			return -ENOMEM;
		}
	}
	return 0;
}

/* seq_file's show: m->private is the file's number (proc_create_single_data). */
static int bsdinet_proc_show(struct seq_file *m, void *v)
{
	return bsdinet_stats_show((int)(long)m->private, m);
}

/* Makes the empty directory /proc/bsdinet, and the sysctl tables. */
int bsdinet_procfs_init(void)
{
	int err = bsdinet_sysctl_init();

	if (err)
		return err;
	bsdinet_proc_dir = proc_mkdir("bsdinet", NULL);
	if (!bsdinet_proc_dir) {
		bsdinet_sysctl_exit();
		return -ENOMEM;
	}
	return 0;
}

/* Adds /proc/bsdinet/<name>, mode 0444, showing file number `which`. */
int bsdinet_procfs_add(const char *name, int which)
{
	if (!bsdinet_proc_dir)
		return -ENOENT;
	if (!proc_create_single_data(name, 0444, bsdinet_proc_dir, bsdinet_proc_show,
				     (void *)(long)which))
		return -ENOMEM;
	return 0;
}

/*
 * Removes the directory and its files, if made. proc_remove waits for the
 * reads in progress to finish, and none starts afterwards.
 */
void bsdinet_procfs_exit(void)
{
	proc_remove(bsdinet_proc_dir);
	bsdinet_proc_dir = NULL;
	bsdinet_sysctl_exit();
}
