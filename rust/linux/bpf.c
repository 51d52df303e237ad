// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/bsdbpf: the book's /dev/bpf (chapter 31) as one cloning misc
 * device: every open is a new descriptor (struct bpf_d) in the stack of
 * the opener's network namespace. rust/linux/bpf.rs and
 * rust/bsd/net/bpf.rs do the work; here are the file operations, the
 * sleeping read with its timeout, poll, and promiscuous mode on a Linux
 * device.
 *
 * Lifetime: struct bsdinet_bpf lives from open to release, and holds the
 * namespace (so its stack) for as long. Its descriptor is in the stack
 * from open until release removes it under the stack lock, so a wakeup
 * from the stack (always under that lock) finds it alive. The open file
 * pins the module (fops.owner): rmmod is refused while one is open.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/nsproxy.h>
#include <linux/poll.h>
#include <linux/rtnetlink.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/timer.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <net/net_namespace.h>
#include "bpf.h"
#include "netdev.h"
#include "vnet.h"

/* The read timeout's ioctls (include/uapi/linux/bsdinet.h). */
struct bsdinet_bpf_timeval {
	__s64 tv_sec;
	__s64 tv_usec;
};
#define BSDINET_BIOCPROMISC	_IO('B', 105)
#define BSDINET_BIOCSRTIMEOUT	_IOW('B', 109, struct bsdinet_bpf_timeval)
#define BSDINET_BIOCGRTIMEOUT	_IOR('B', 110, struct bsdinet_bpf_timeval)

struct bsdinet_bpf {
	struct net *net;
	struct bsdinet_vnet *vn;
	long d;				/* the descriptor, in vn's stack */
	wait_queue_head_t wq;		/* readers and pollers */
	struct bsdinet_bpf_timeval rtout; /* the read timeout (bd_rtout) */
	long rtimeo;			/* the same in jiffies, 0 for none */
	int promisc_ifindex;		/* the Linux device made promiscuous */
	struct timer_list rtimer;	/* poll's read timeout (FreeBSD's bd_callout) */
	bool timed_out;			/* it ran out: a read takes the store buffer */
};

/* The time of day for BPF's time stamps (the book's microtime()). */
void bsdinet_microtime(u32 *sec, u32 *usec)
{
	struct timespec64 ts;

	ktime_get_real_ts64(&ts);
	*sec = (u32)ts.tv_sec;
	*usec = (u32)(ts.tv_nsec / NSEC_PER_USEC);
}

/* bpf_wakeup: called under the stack lock, while the descriptor is open. */
void bsdinet_bpf_wake(void *arg)
{
	struct bsdinet_bpf *bf = arg;

	wake_up_interruptible_poll(&bf->wq, EPOLLIN | EPOLLRDNORM);
}

/*
 * poll's read timeout: once it runs out, what the store buffer holds is
 * ready (FreeBSD's bpf_timed_out; the book's select has no timeout).
 */
static void bsdinet_bpf_rtimer(struct timer_list *t)
{
	struct bsdinet_bpf *bf = from_timer(bf, t, rtimer);

	WRITE_ONCE(bf->timed_out, true);
	wake_up_interruptible_poll(&bf->wq, EPOLLIN | EPOLLRDNORM);
}

static int bsdinet_bpf_fopen(struct inode *inode, struct file *file)
{
	struct net *net = current->nsproxy->net_ns;
	struct bsdinet_bpf *bf;
	long d;

	if (!ns_capable(net->user_ns, CAP_NET_RAW))
		return -EPERM;
	bf = kzalloc(sizeof(*bf), GFP_KERNEL);
	if (!bf)
		return -ENOMEM;
	bf->net = get_net(net);
	bf->vn = bsdinet_vnet_of(net);
	init_waitqueue_head(&bf->wq);
	timer_setup(&bf->rtimer, bsdinet_bpf_rtimer, 0);
	d = bsdinet_bpf_open(bf->vn, bf);
	if (d < 0) {
		put_net(bf->net);
		kfree(bf);
		return d;
	}
	bf->d = d;
	file->private_data = bf;
	return stream_open(inode, file);
}

static void bsdinet_bpf_unpromisc(struct bsdinet_bpf *bf)
{
	struct net_device *dev;

	if (!bf->promisc_ifindex)
		return;
	rtnl_lock();
	dev = __dev_get_by_index(bf->net, bf->promisc_ifindex);
	if (dev) {
		dev_set_promiscuity(dev, -1);
		bsdinet_netdev_bpf_promisc(dev, -1);
	}
	rtnl_unlock();
	bf->promisc_ifindex = 0;
}

static int bsdinet_bpf_release(struct inode *inode, struct file *file)
{
	struct bsdinet_bpf *bf = file->private_data;

	timer_shutdown_sync(&bf->rtimer);
	bsdinet_bpf_close(bf->vn, bf->d);
	bsdinet_bpf_unpromisc(bf);
	put_net(bf->net);
	kfree(bf);
	return 0;
}

/*
 * bpfread: whole buffers only. Sleeps until the hold buffer fills, a
 * packet comes in immediate mode, or the read timeout passes (then what
 * the store buffer has, maybe nothing: 0).
 */
static ssize_t bsdinet_bpf_fread(struct file *file, char __user *buf, size_t count,
				 loff_t *ppos)
{
	struct bsdinet_bpf *bf = file->private_data;
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	long timeo = bf->rtimeo ? bf->rtimeo : MAX_SCHEDULE_TIMEOUT;
	bool timed_out = READ_ONCE(bf->timed_out);
	ssize_t ret;

	add_wait_queue(&bf->wq, &wait);
	for (;;) {
		ret = bsdinet_bpf_read(bf->vn, bf->d, buf, count, timed_out);
		if (ret != -EAGAIN || (file->f_flags & O_NONBLOCK))
			break;
		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, timeo);
		if (!timeo)
			timed_out = true;
	}
	remove_wait_queue(&bf->wq, &wait);
	if (ret >= 0)
		WRITE_ONCE(bf->timed_out, false);
	return ret;
}

static ssize_t bsdinet_bpf_fwrite(struct file *file, const char __user *buf, size_t count,
				  loff_t *ppos)
{
	struct bsdinet_bpf *bf = file->private_data;

	return bsdinet_bpf_write(bf->vn, bf->d, buf, count);
}

static __poll_t bsdinet_bpf_poll(struct file *file, poll_table *wait)
{
	struct bsdinet_bpf *bf = file->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &bf->wq, wait);
	if (bsdinet_bpf_readable(bf->vn, bf->d, READ_ONCE(bf->timed_out)))
		mask |= EPOLLIN | EPOLLRDNORM;
	else if (bf->rtimeo && !READ_ONCE(bf->timed_out) && !timer_pending(&bf->rtimer))
		mod_timer(&bf->rtimer, jiffies + bf->rtimeo);
	return mask;
}

/* BIOCPROMISC on a hooked Linux device: its promiscuity, undone at close. */
static int bsdinet_bpf_setpromisc(struct bsdinet_bpf *bf)
{
	char name[IFNAMSIZ];
	struct net_device *dev;
	int err;

	err = bsdinet_bpf_promisc(bf->vn, bf->d, name);
	if (err < 0)
		return err;
	if (err > 0 || bf->promisc_ifindex)	/* no Linux device, or done */
		return 0;
	rtnl_lock();
	dev = __dev_get_by_name(bf->net, name);
	err = dev ? dev_set_promiscuity(dev, 1) : -ENXIO;
	if (!err) {
		bsdinet_netdev_bpf_promisc(dev, 1);
		bf->promisc_ifindex = dev->ifindex;
	}
	rtnl_unlock();
	return err;
}

static long bsdinet_bpf_fioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct bsdinet_bpf *bf = file->private_data;
	void __user *up = (void __user *)arg;
	struct bsdinet_bpf_timeval tv;

	switch (cmd) {
	case BSDINET_BIOCSRTIMEOUT:
		if (copy_from_user(&tv, up, sizeof(tv)))
			return -EFAULT;
		if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= USEC_PER_SEC ||
		    tv.tv_sec > MAX_SCHEDULE_TIMEOUT / HZ - 1)
			return -EINVAL;
		bf->rtout = tv;
		bf->rtimeo = tv.tv_sec * HZ + usecs_to_jiffies(tv.tv_usec);
		if (!bf->rtimeo && (tv.tv_sec || tv.tv_usec))
			bf->rtimeo = 1;
		return 0;
	case BSDINET_BIOCGRTIMEOUT:
		return copy_to_user(up, &bf->rtout, sizeof(bf->rtout)) ? -EFAULT : 0;
	case BSDINET_BIOCPROMISC:
		return bsdinet_bpf_setpromisc(bf);
	default:
		return bsdinet_bpf_ioctl(bf->vn, bf->d, cmd, arg);
	}
}

static const struct file_operations bsdinet_bpf_fops = {
	.owner = THIS_MODULE,
	.open = bsdinet_bpf_fopen,
	.release = bsdinet_bpf_release,
	.read = bsdinet_bpf_fread,
	.write = bsdinet_bpf_fwrite,
	.poll = bsdinet_bpf_poll,
	.unlocked_ioctl = bsdinet_bpf_fioctl,
};

static struct miscdevice bsdinet_bpf_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "bsdbpf",
	.fops = &bsdinet_bpf_fops,
	.mode = 0600,
};

int bsdinet_bpf_init(void)
{
	return misc_register(&bsdinet_bpf_dev);
}

void bsdinet_bpf_exit(void)
{
	misc_deregister(&bsdinet_bpf_dev);
}
