/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What crosses between bpf.c and rust/linux/bpf.rs: the capture device
 * /dev/bsdbpf (the book's /dev/bpf, chapter 31).
 */
#ifndef BSDINET_BPF_H
#define BSDINET_BPF_H

#include <linux/types.h>

struct bsdinet_vnet;

/* In bpf.c. */
int bsdinet_bpf_init(void);
void bsdinet_bpf_exit(void);
void bsdinet_bpf_wake(void *arg);
void bsdinet_microtime(u32 *sec, u32 *usec);

/* In rust/linux/bpf.rs; @d is the descriptor's index in the stack. */
long bsdinet_bpf_open(struct bsdinet_vnet *vn, void *wakearg);
void bsdinet_bpf_close(struct bsdinet_vnet *vn, long d);
ssize_t bsdinet_bpf_read(struct bsdinet_vnet *vn, long d, char __user *buf, size_t count,
			 bool timed_out);
ssize_t bsdinet_bpf_write(struct bsdinet_vnet *vn, long d, const char __user *buf, size_t count);
int bsdinet_bpf_ioctl(struct bsdinet_vnet *vn, long d, unsigned int cmd, unsigned long arg);
bool bsdinet_bpf_readable(struct bsdinet_vnet *vn, long d, bool timed_out);
int bsdinet_bpf_promisc(struct bsdinet_vnet *vn, long d, char *name);

#endif /* BSDINET_BPF_H */
