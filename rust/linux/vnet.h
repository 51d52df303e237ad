/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One bsdinet per network namespace (FreeBSD's "vnet"): what crosses
 * between vnet.c, procfs.c, netdev.c and rust/linux/vnet.rs.
 */
#ifndef BSDINET_VNET_H
#define BSDINET_VNET_H

#include <linux/skbuff.h>
#include <linux/workqueue.h>

struct net;
struct seq_file;

/* A namespace's tunables: sysctls under net.bsdinet (procfs.c). */
struct bsdinet_sysctl {
	int ip_forwarding;
	int ip_redirect;
	int ip_ttl;
	int ip_portrange_randomized;
	int icmp_maskrepl;
	int udp_checksum;
	int socket_send_clears_error;
	int socket_somaxconn;
	int socket_maxsockbuf;
	/* TCP: intervals in milliseconds (vnet.rs turns them into slow ticks). */
	int tcp_rfc1323;
	int tcp_mssdflt;
	int tcp_sendspace;
	int tcp_recvspace;
	int tcp_keepidle;
	int tcp_keepintvl;
	int tcp_keepcnt;
	int tcp_keepinit;
	int tcp_msl;
	int tcp_rexmtmin;
	int tcp_rexmtmax;
	int tcp_persmin;
	int tcp_persmax;
	int tcp_iss_rfc6528;
	int tcp_rfc5961;
	int tcp_timer_walk;
	int igmp_v2;		/* answer IGMPv2 queriers by RFC 2236 */
};

#define BSDINET_SYSCTL_DIRS 6	/* ip, icmp, udp, socket, tcp, igmp */

/*
 * A network namespace's bsdinet, in its net_generic() slot from the
 * namespace's creation to its end. rust/linux/vnet.rs reads the first two
 * fields: keep them first and in this order.
 */
struct bsdinet_vnet {
	void *stack;			/* the Rust Mutex<Stack> */
	struct bsdinet_sysctl sysctl;	/* written by sysctl, read under the stack lock */
	struct net *net;
	struct delayed_work tick;	/* the stack's clock, every 100 ms */
	unsigned long next_tick;	/* jiffies the next tick is due at */
	bool ticking;
	struct sk_buff_head txq;	/* frames to send once the stack lock is free */
	struct proc_dir_entry *proc;	/* /proc/net/bsdinet */
	struct ctl_table_header *sysctl_hdr[BSDINET_SYSCTL_DIRS];
	struct ctl_table *sysctl_table[BSDINET_SYSCTL_DIRS];
};

/* In vnet.c. */
int bsdinet_vnet_register(void);
void bsdinet_vnet_unregister(void);
struct bsdinet_vnet *bsdinet_vnet_of(struct net *net);
void bsdinet_warn(const char *what);

/* In procfs.c: a namespace's /proc/net/bsdinet and sysctls. */
int bsdinet_procfs_net_init(struct bsdinet_vnet *vn);
void bsdinet_procfs_net_exit(struct bsdinet_vnet *vn);
int bsdinet_procfs_add(struct bsdinet_vnet *vn, const char *name, int which);
int bsdinet_procfs_link(void);
void bsdinet_procfs_unlink(void);

/* In netdev.c: the frames queued by if_start, sent outside the lock. */
void bsdinet_tx_flush(struct bsdinet_vnet *vn);

/* In rust/linux/vnet.rs and procfs.rs. */
void *bsdinet_stack_new(void);
void bsdinet_stack_free(void *stack);
void bsdinet_tick(struct bsdinet_vnet *vn);
void bsdinet_sysctl_defaults(struct bsdinet_sysctl *s);
int bsdinet_procfs_files(struct bsdinet_vnet *vn);
int bsdinet_stats_show(struct bsdinet_vnet *vn, int which, struct seq_file *m);

#endif /* BSDINET_VNET_H */
