// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/bsdinet/: one read-only file per statistics table of the stack.
 * The names, and the text of each file, come from the Rust side
 * (rust/linux/procfs.rs, rust/bsd/kern/kern_stats.rs); this file only
 * holds the procfs calls. /proc/net would be per network namespace, and
 * the stack is one for the whole system, so the directory is at the top.
 */
#include <linux/errno.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include "procfs.h"

static struct proc_dir_entry *bsdinet_proc_dir;

/* seq_file's show: m->private is the file's number (proc_create_single_data). */
static int bsdinet_proc_show(struct seq_file *m, void *v)
{
	return bsdinet_stats_show((int)(long)m->private, m);
}

/* Makes the empty directory /proc/bsdinet. */
int bsdinet_procfs_init(void)
{
	bsdinet_proc_dir = proc_mkdir("bsdinet", NULL);
	return bsdinet_proc_dir ? 0 : -ENOMEM;
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
}
