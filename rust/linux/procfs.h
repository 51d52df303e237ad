/* SPDX-License-Identifier: GPL-2.0 */
/* What crosses between procfs.c and rust/linux/procfs.rs: /proc/bsdinet. */
#ifndef BSDINET_PROCFS_H
#define BSDINET_PROCFS_H

struct seq_file;

/* In procfs.c. */
int bsdinet_procfs_init(void);
int bsdinet_procfs_add(const char *name, int which);
void bsdinet_procfs_exit(void);

/* In rust/linux/procfs.rs: renders file `which` (kern_stats::StatsFile). */
int bsdinet_stats_show(int which, struct seq_file *m);

#endif /* BSDINET_PROCFS_H */
