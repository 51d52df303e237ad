// SPDX-License-Identifier: GPL-2.0
/*
 * bsdinet's SLIP line discipline, number N_DEVELOPMENT (29): N_SLIP is
 * Linux's own slip driver. A tty switched to it (TIOCSETD) gets a SLIP
 * interface in bsdinet, sl0, sl1, ...; closing the tty, a hangup or
 * another discipline takes it away. What the bytes mean is decided in
 * rust/linux/slip.rs and rust/bsd/net/if_sl.rs; here are the
 * tty_ldisc_ops, the write to the tty and the work that resumes output
 * when the tty has drained.
 *
 * Lifetime: struct bsdinet_sl lives from open to close. Hangup detaches
 * the interface at once and close frees the struct; the tty layer calls
 * close with the discipline locked, so no receive_buf or write_wakeup runs
 * beside it. The stack holds an sl only while its interface exists
 * (detach runs under the stack's mutex), so a write from the stack always
 * finds it alive. write_wakeup may come in atomic context: it only
 * schedules the work.
 *
 * rmmod while lines are up: the tty layer pins the module for each tty in
 * the discipline (.owner). Open gives that reference back once its tty is
 * on bsdinet_sl_list, and bsdinet_slip_exit hangs up every tty on the list,
 * which closes the discipline; close (or a hangup, which leaves the tty
 * open but out of the discipline's hands) takes it again, for the tty
 * layer to drop. No open can race exit: a tty_set_ldisc that got the
 * discipline holds a module reference until our open runs, which makes
 * rmmod fail, and once the module is going it cannot get one. Exit's
 * hangup waits for the ldisc lock that tty_set_ldisc holds until our open
 * has returned.
 */
#include <linux/capability.h>
#include <linux/if.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sockios.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/tty_ldisc.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <linux/nsproxy.h>
#include <net/net_namespace.h>
#include "slip.h"
#include "vnet.h"

/* The BSD SLIOCGUNIT: the unit of the tty's interface (include/uapi). */
#define BSDINET_SLIOCGUNIT _IOR('t', 88, int)

struct bsdinet_sl {
	struct tty_struct *tty;
	struct net *net;	/* the opener's namespace, whose stack has the line */
	struct work_struct tx_work;
	struct list_head link;	/* on bsdinet_sl_list until hangup or close */
	bool pinned;		/* holds the module again (off the list) */
};

/* The ttys in the discipline that rmmod must hang up. */
static LIST_HEAD(bsdinet_sl_list);
static DEFINE_MUTEX(bsdinet_sl_lock);

/*
 * Takes @sl off the list, and pins the module again for the tty layer's
 * module_put at close.
 */
static void bsdinet_sl_unlist(struct bsdinet_sl *sl)
{
	mutex_lock(&bsdinet_sl_lock);
	list_del_init(&sl->link);
	if (!sl->pinned) {
		__module_get(THIS_MODULE);
		sl->pinned = true;
	}
	mutex_unlock(&bsdinet_sl_lock);
}

static void bsdinet_sl_tx_work(struct work_struct *work)
{
	bsdinet_sl_wakeup(container_of(work, struct bsdinet_sl, tx_work));
}

static int bsdinet_sl_open(struct tty_struct *tty)
{
	struct bsdinet_sl *sl;
	int unit;

	if (!ns_capable(current->nsproxy->net_ns->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	if (!tty->ops->write)
		return -EOPNOTSUPP;
	sl = kzalloc(sizeof(*sl), GFP_KERNEL);
	if (!sl)
		return -ENOMEM;
	sl->tty = tty;
	/* The line keeps its namespace, and so its stack, until it closes. */
	sl->net = get_net(current->nsproxy->net_ns);
	INIT_WORK(&sl->tx_work, bsdinet_sl_tx_work);
	INIT_LIST_HEAD(&sl->link);
	unit = bsdinet_sl_attach(sl);
	if (unit < 0) {
		put_net(sl->net);
		kfree(sl);
		return unit;
	}
	tty->disc_data = sl;
	tty->receive_room = 65536;	/* no flow control, as slip.ko */
	mutex_lock(&bsdinet_sl_lock);
	list_add(&sl->link, &bsdinet_sl_list);
	mutex_unlock(&bsdinet_sl_lock);
	module_put(THIS_MODULE);	/* see the top of the file */
	return 0;
}

static void bsdinet_sl_close(struct tty_struct *tty)
{
	struct bsdinet_sl *sl = tty->disc_data;

	if (!sl)
		return;
	bsdinet_sl_unlist(sl);
	bsdinet_sl_detach(sl);
	cancel_work_sync(&sl->tx_work);
	tty->disc_data = NULL;
	put_net(sl->net);
	kfree(sl);
}

static void bsdinet_sl_hangup(struct tty_struct *tty)
{
	struct bsdinet_sl *sl = tty->disc_data;

	if (!sl)
		return;
	bsdinet_sl_unlist(sl);
	bsdinet_sl_detach(sl);
}

static void bsdinet_sl_receive_buf(struct tty_struct *tty, const u8 *cp, const u8 *fp,
				   size_t count)
{
	struct bsdinet_sl *sl = tty->disc_data;

	if (!sl)
		return;
	bsdinet_sl_receive(sl, cp, fp, count);
	/*
	 * The bytes are consumed: on a pty, that is what lets the writer at
	 * the other end go on. n_tty wakes it as it reads; do the same, or
	 * Linux's slip there waits for a wakeup that never comes.
	 */
	if (tty->driver->type == TTY_DRIVER_TYPE_PTY && tty->link)
		tty_wakeup(tty->link);
}

static void bsdinet_sl_write_wakeup(struct tty_struct *tty)
{
	struct bsdinet_sl *sl = tty->disc_data;

	if (sl)
		schedule_work(&sl->tx_work);
}

static int bsdinet_sl_ioctl(struct tty_struct *tty, unsigned int cmd, unsigned long arg)
{
	struct bsdinet_sl *sl = tty->disc_data;
	char name[IFNAMSIZ];
	int unit;

	switch (cmd) {
	case BSDINET_SLIOCGUNIT:
	case SIOCGIFNAME:
		unit = sl ? bsdinet_sl_unit(sl) : -ENXIO;
		if (unit < 0)
			return unit;
		if (cmd == BSDINET_SLIOCGUNIT)
			return put_user(unit, (int __user *)arg);
		snprintf(name, sizeof(name), "sl%d", unit);
		return copy_to_user((void __user *)arg, name, strlen(name) + 1) ? -EFAULT : 0;
	default:
		return tty_mode_ioctl(tty, cmd, arg);
	}
}

static struct tty_ldisc_ops bsdinet_sl_ldisc = {
	.owner = THIS_MODULE,
	.num = N_DEVELOPMENT,
	.name = "bsdinet_slip",
	.open = bsdinet_sl_open,
	.close = bsdinet_sl_close,
	.hangup = bsdinet_sl_hangup,
	.ioctl = bsdinet_sl_ioctl,
	.receive_buf = bsdinet_sl_receive_buf,
	.write_wakeup = bsdinet_sl_write_wakeup,
};

/*
 * Hands bytes to the tty; how many it took. The tty calls write_wakeup
 * when it has room again (asked before writing, so no drain is missed).
 */
ssize_t bsdinet_sl_write(struct bsdinet_sl *sl, const u8 *buf, size_t len)
{
	set_bit(TTY_DO_WRITE_WAKEUP, &sl->tty->flags);
	return sl->tty->ops->write(sl->tty, buf, len);
}

/* The bsdinet of the line's namespace. */
struct bsdinet_vnet *bsdinet_sl_vnet(struct bsdinet_sl *sl)
{
	return bsdinet_vnet_of(sl->net);
}

/* Nothing waits in the tty's output buffer. */
bool bsdinet_sl_idle(struct bsdinet_sl *sl)
{
	return tty_chars_in_buffer(sl->tty) == 0;
}

int bsdinet_slip_init(void)
{
	return tty_register_ldisc(&bsdinet_sl_ldisc);
}

/*
 * rmmod: no new tty can enter the discipline, and every tty in it is hung
 * up, which detaches its interface and closes the discipline.
 */
void bsdinet_slip_exit(void)
{
	struct bsdinet_sl *sl;
	struct tty_struct *tty;
	bool stuck;

	tty_unregister_ldisc(&bsdinet_sl_ldisc);
	for (;;) {
		mutex_lock(&bsdinet_sl_lock);
		sl = list_first_entry_or_null(&bsdinet_sl_list, struct bsdinet_sl, link);
		tty = sl ? tty_kref_get(sl->tty) : NULL;
		mutex_unlock(&bsdinet_sl_lock);
		if (!tty)
			break;
		tty_vhangup(tty);	/* our hangup and close: off the list, freed */
		mutex_lock(&bsdinet_sl_lock);
		stuck = list_first_entry_or_null(&bsdinet_sl_list, struct bsdinet_sl, link) == sl;
		mutex_unlock(&bsdinet_sl_lock);
		tty_kref_put(tty);
		/* Not hung up (cannot happen): still ours, so not freed. */
		if (WARN_ON_ONCE(stuck)) {
			bsdinet_sl_unlist(sl);
			bsdinet_sl_detach(sl);
		}
	}
}
