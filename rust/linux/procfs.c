// SPDX-License-Identifier: GPL-2.0
/*
 * A namespace's /proc/net/bsdinet/ (one read-only file per statistics
 * table of its stack) and its sysctls under /proc/sys/net/bsdinet. The
 * names, and the text of each file, come from the Rust side
 * (rust/linux/procfs.rs, rust/bsd/kern/kern_stats.rs); this file only
 * holds the procfs and sysctl calls. /proc/bsdinet is a symlink to
 * net/bsdinet, so that each reader sees its own namespace's stack, as
 * with /proc/net.
 */
#include <linux/errno.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include "vnet.h"

static int bsdinet_ttl_max = 255;
/*
 * TCP's limits. Intervals are milliseconds, at least 1 (one slow tick,
 * 500 ms, once rounded up); the largest keep the timers' sums (keepidle
 * + keepcnt * keepintvl, in slow ticks) far inside an int.
 */
static int bsdinet_mss_min = 64, bsdinet_mss_max = 65495;
static int bsdinet_space_min = 512, bsdinet_space_max = 240 * 1024;
static int bsdinet_hour_ms = 3600 * 1000, bsdinet_10days_ms = 10 * 24 * 3600 * 1000;
static int bsdinet_keepcnt_max = 100;
static int bsdinet_somaxconn_max = 65535;
/* uipc_socket2.rs: SB_MAX_MIN, SB_MAX_LIMIT */
static int bsdinet_maxsockbuf_min = 64 * 1024, bsdinet_maxsockbuf_max = 16 * 1024 * 1024;

/* .data holds the field's offset in struct bsdinet_sysctl until rebased. */
#define BSDINET_FIELD(field) ((void *)offsetof(struct bsdinet_sysctl, field))
#define BSDINET_INT(name, field, min, max) {					\
	.procname = name, .data = BSDINET_FIELD(field), .maxlen = sizeof(int),	\
	.mode = 0644, .proc_handler = proc_dointvec_minmax,			\
	.extra1 = (min), .extra2 = (max) }
#define BSDINET_BOOL(name, field) {						\
	.procname = name, .data = BSDINET_FIELD(field), .maxlen = sizeof(int),	\
	.mode = 0644, .proc_handler = proc_dointvec_minmax,			\
	.extra1 = SYSCTL_ZERO, .extra2 = SYSCTL_ONE }

static const struct ctl_table bsdinet_ip_table[] = {
	BSDINET_BOOL("forwarding", ip_forwarding),
	BSDINET_BOOL("redirect", ip_redirect),
	{ .procname = "ttl", .data = BSDINET_FIELD(ip_ttl), .maxlen = sizeof(int),
	  .mode = 0644, .proc_handler = proc_dointvec_minmax,
	  .extra1 = SYSCTL_ONE, .extra2 = &bsdinet_ttl_max },
	BSDINET_BOOL("portrange_randomized", ip_portrange_randomized),
};
static const struct ctl_table bsdinet_icmp_table[] = {
	BSDINET_BOOL("maskrepl", icmp_maskrepl),
};
static const struct ctl_table bsdinet_udp_table[] = {
	BSDINET_BOOL("checksum", udp_checksum),
};
static const struct ctl_table bsdinet_igmp_table[] = {
	BSDINET_BOOL("v2", igmp_v2),
};
static const struct ctl_table bsdinet_socket_table[] = {
	BSDINET_BOOL("send_clears_error", socket_send_clears_error),
	BSDINET_INT("somaxconn", socket_somaxconn, SYSCTL_ONE, &bsdinet_somaxconn_max),
	BSDINET_INT("maxsockbuf", socket_maxsockbuf, &bsdinet_maxsockbuf_min, &bsdinet_maxsockbuf_max),
};
/* The book's tunables by their BSD names, and two modern switches. */
static const struct ctl_table bsdinet_tcp_table[] = {
	BSDINET_BOOL("rfc1323", tcp_rfc1323),
	BSDINET_INT("mssdflt", tcp_mssdflt, &bsdinet_mss_min, &bsdinet_mss_max),
	BSDINET_INT("sendspace", tcp_sendspace, &bsdinet_space_min, &bsdinet_space_max),
	BSDINET_INT("recvspace", tcp_recvspace, &bsdinet_space_min, &bsdinet_space_max),
	BSDINET_INT("keepidle", tcp_keepidle, SYSCTL_ONE, &bsdinet_10days_ms),
	BSDINET_INT("keepintvl", tcp_keepintvl, SYSCTL_ONE, &bsdinet_hour_ms),
	BSDINET_INT("keepcnt", tcp_keepcnt, SYSCTL_ONE, &bsdinet_keepcnt_max),
	BSDINET_INT("keepinit", tcp_keepinit, SYSCTL_ONE, &bsdinet_hour_ms),
	BSDINET_INT("msl", tcp_msl, SYSCTL_ONE, &bsdinet_hour_ms),
	BSDINET_INT("rexmtmin", tcp_rexmtmin, SYSCTL_ONE, &bsdinet_hour_ms),
	BSDINET_INT("rexmtmax", tcp_rexmtmax, SYSCTL_ONE, &bsdinet_hour_ms),
	BSDINET_INT("persmin", tcp_persmin, SYSCTL_ONE, &bsdinet_hour_ms),
	BSDINET_INT("persmax", tcp_persmax, SYSCTL_ONE, &bsdinet_hour_ms),
	BSDINET_BOOL("iss_rfc6528", tcp_iss_rfc6528),
	BSDINET_BOOL("rfc5961", tcp_rfc5961),
	BSDINET_BOOL("timer_walk", tcp_timer_walk),
};

static const struct {
	const char *path;
	const struct ctl_table *table;
	size_t n;
} bsdinet_sysctl_dirs[BSDINET_SYSCTL_DIRS] = {
	{ "net/bsdinet/ip", bsdinet_ip_table, ARRAY_SIZE(bsdinet_ip_table) },
	{ "net/bsdinet/icmp", bsdinet_icmp_table, ARRAY_SIZE(bsdinet_icmp_table) },
	{ "net/bsdinet/udp", bsdinet_udp_table, ARRAY_SIZE(bsdinet_udp_table) },
	{ "net/bsdinet/socket", bsdinet_socket_table, ARRAY_SIZE(bsdinet_socket_table) },
	{ "net/bsdinet/tcp", bsdinet_tcp_table, ARRAY_SIZE(bsdinet_tcp_table) },
	{ "net/bsdinet/igmp", bsdinet_igmp_table, ARRAY_SIZE(bsdinet_igmp_table) },
};

static void bsdinet_sysctl_exit(struct bsdinet_vnet *vn)
{
	for (int i = 0; i < BSDINET_SYSCTL_DIRS; i++) {
		if (vn->sysctl_hdr[i])
			unregister_net_sysctl_table(vn->sysctl_hdr[i]);
		kfree(vn->sysctl_table[i]);
		vn->sysctl_hdr[i] = NULL;
		vn->sysctl_table[i] = NULL;
	}
}

/* The namespace's own copy of each table, pointing at its own values. */
static int bsdinet_sysctl_init(struct bsdinet_vnet *vn)
{
	for (int i = 0; i < BSDINET_SYSCTL_DIRS; i++) {
		size_t n = bsdinet_sysctl_dirs[i].n;
		struct ctl_table *t = kmemdup(bsdinet_sysctl_dirs[i].table, n * sizeof(*t),
					      GFP_KERNEL);

		if (!t)
			goto fail;
		for (size_t j = 0; j < n; j++)
			t[j].data = (char *)&vn->sysctl + (uintptr_t)t[j].data;
		vn->sysctl_table[i] = t;
		vn->sysctl_hdr[i] = register_net_sysctl_sz(vn->net, bsdinet_sysctl_dirs[i].path,
							   t, n);
		if (!vn->sysctl_hdr[i])
			goto fail;
	}
	return 0;
fail:
	bsdinet_sysctl_exit(vn);
	return -ENOMEM;
}

/* seq_file's show: the namespace is the file's, the file number its data. */
static int bsdinet_proc_show(struct seq_file *m, void *v)
{
	struct bsdinet_vnet *vn = bsdinet_vnet_of(seq_file_single_net(m));

	return bsdinet_stats_show(vn, (int)(long)pde_data(file_inode(m->file)), m);
}

/* Adds /proc/net/bsdinet/<name>, mode 0444, showing file number @which. */
int bsdinet_procfs_add(struct bsdinet_vnet *vn, const char *name, int which)
{
	if (!proc_create_net_single(name, 0444, vn->proc, bsdinet_proc_show,
				    (void *)(long)which))
		return -ENOMEM;
	return 0;
}

/* The namespace's sysctls, /proc/net/bsdinet and its files. */
int bsdinet_procfs_net_init(struct bsdinet_vnet *vn)
{
	int err = bsdinet_sysctl_init(vn);

	if (err)
		return err;
	vn->proc = proc_net_mkdir(vn->net, "bsdinet", vn->net->proc_net);
	if (!vn->proc) {
		bsdinet_sysctl_exit(vn);
		return -ENOMEM;
	}
	err = bsdinet_procfs_files(vn);
	if (err)
		bsdinet_procfs_net_exit(vn);
	return err;
}

/* proc_remove waits for the reads in progress, and none starts after. */
void bsdinet_procfs_net_exit(struct bsdinet_vnet *vn)
{
	proc_remove(vn->proc);
	vn->proc = NULL;
	bsdinet_sysctl_exit(vn);
}

static struct proc_dir_entry *bsdinet_proc_link;

/* /proc/bsdinet -> net/bsdinet: the reader's own namespace's files. */
int bsdinet_procfs_link(void)
{
	bsdinet_proc_link = proc_symlink("bsdinet", NULL, "net/bsdinet");
	return bsdinet_proc_link ? 0 : -ENOMEM;
}

void bsdinet_procfs_unlink(void)
{
	proc_remove(bsdinet_proc_link);
	bsdinet_proc_link = NULL;
}
