/* SPDX-License-Identifier: GPL-2.0 */
/* What crosses between procfs.c and rust/linux/procfs.rs: /proc/bsdinet. */
#ifndef BSDINET_PROCFS_H
#define BSDINET_PROCFS_H

struct seq_file;

/*
 * The stack's tunables, as sysctl(8) sets them under net.bsdinet (the
 * book's net.inet): written by proc_dointvec_minmax, read by the Rust
 * side into the stack before every request.
 */
struct bsdinet_sysctl {
	int ip_forwarding;	/* net.bsdinet.ip.forwarding: ipforwarding */
	int ip_redirect;	/* net.bsdinet.ip.redirect: ipsendredirects */
	int ip_ttl;		/* net.bsdinet.ip.ttl: ip_defttl */
	int icmp_maskrepl;	/* net.bsdinet.icmp.maskrepl: icmpmaskrepl */
	int udp_checksum;	/* net.bsdinet.udp.checksum: udpcksum */
};
extern struct bsdinet_sysctl bsdinet_sysctl;

/* In procfs.c. */
int bsdinet_procfs_init(void);
int bsdinet_procfs_add(const char *name, int which);
void bsdinet_procfs_exit(void);

/* In rust/linux/procfs.rs: renders file `which` (kern_stats::StatsFile). */
int bsdinet_stats_show(int which, struct seq_file *m);

#endif /* BSDINET_PROCFS_H */
