// SPDX-License-Identifier: GPL-2.0
/*
 * Linux net_devices as bsdinet interfaces: the receive hook, the queue
 * that carries frames from softirq to process context, transmission and
 * the netdevice notifier. What these mean for the stack is decided in
 * rust/linux/netdev.rs; the helpers here hold what bindgen cannot reach
 * (inline functions, rtnl-protected fields, the hook itself).
 *
 * Locking: rtnl before the stack mutex. The hook runs in softirq and takes
 * neither: it queues the frame and schedules a work item, which feeds the
 * stack under its mutex. Frames are taken off the queue only under the
 * stack mutex, so a detach that purges the queue under it too (after the
 * hook is gone) leaves no frame that names the detached device.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/gso.h>
#include "netdev.h"

/* Frames waiting for the stack, over every device; beyond this, dropped. */
#define BSDINET_RXQ_MAX 1000

struct bsdinet_netdev {
	struct net_device *dev;
	netdevice_tracker tracker;
	bool tun;
	atomic_t rx_drops;	/* not yet counted in the interface's ifi_iqdrops */
};

/*
 * A queued frame's device (skb->cb is ours once the hook consumed it;
 * GSO's control block lives further on, at SKB_GSO_CB_OFFSET).
 */
struct bsdinet_skb_cb {
	struct bsdinet_netdev *nd;
};
#define BSDINET_CB(skb) ((struct bsdinet_skb_cb *)(skb)->cb)

static struct sk_buff_head bsdinet_rxq;
/*
 * Segments of a GSO frame not yet handed out: touched only under the
 * stack mutex, and empty whenever the mutex is free (netdev.rs).
 */
static struct sk_buff_head bsdinet_rx_segs;

static void bsdinet_rx_work_fn(struct work_struct *work)
{
	bsdinet_netdev_rx();
}
static DECLARE_WORK(bsdinet_rx_work, bsdinet_rx_work_fn);

static void bsdinet_rx_drop(struct bsdinet_netdev *nd, struct sk_buff *skb)
{
	atomic_inc(&nd->rx_drops);
	kfree_skb(skb);
}

/*
 * The receive hook: IPv4 and ARP frames (IPv4 packets on a tun device)
 * are the stack's, so Linux's own protocols do not see them; PF_PACKET
 * taps already have. Everything else, and VLAN-tagged frames, go on to
 * Linux.
 */
static rx_handler_result_t bsdinet_rx_handler(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct bsdinet_netdev *nd = rcu_dereference(skb->dev->rx_handler_data);

	if (skb->protocol != htons(ETH_P_IP) && (nd->tun || skb->protocol != htons(ETH_P_ARP)))
		return RX_HANDLER_PASS;
	if (skb_vlan_tag_present(skb))
		return RX_HANDLER_PASS;
	if (!nd->tun && (!skb_mac_header_was_set(skb) ||
			 skb->data - skb_mac_header(skb) != ETH_HLEN))
		return RX_HANDLER_PASS;
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb) {
		atomic_inc(&nd->rx_drops);
		return RX_HANDLER_CONSUMED;
	}
	*pskb = skb;
	if (skb_queue_len_lockless(&bsdinet_rxq) >= BSDINET_RXQ_MAX) {
		dev_core_stats_rx_dropped_inc(skb->dev);
		bsdinet_rx_drop(nd, skb);
		return RX_HANDLER_CONSUMED;
	}
	/* ether_input wants the whole frame. */
	if (!nd->tun)
		__skb_push(skb, ETH_HLEN);
	/* It may wait a while: let its sender's socket go. */
	skb_orphan(skb);
	BSDINET_CB(skb)->nd = nd;
	skb_queue_tail(&bsdinet_rxq, skb);
	schedule_work(&bsdinet_rx_work);
	return RX_HANDLER_CONSUMED;
}

void bsdinet_rx_schedule(void)
{
	schedule_work(&bsdinet_rx_work);
}

/*
 * Cuts a GSO frame (veth passes a local sender's 64K TCP frames whole)
 * into the segments the wire would have carried, as Open vSwitch does
 * for its upcalls. A GSO frame without a checksum is malformed.
 */
static void bsdinet_rx_segment(struct bsdinet_netdev *nd, struct sk_buff *skb)
{
	struct sk_buff *segs, *seg, *next;

	if (skb->ip_summed == CHECKSUM_NONE) {
		bsdinet_rx_drop(nd, skb);
		return;
	}
	segs = __skb_gso_segment(skb, NETIF_F_SG, false);
	if (IS_ERR_OR_NULL(segs)) {
		bsdinet_rx_drop(nd, skb);
		return;
	}
	consume_skb(skb);
	skb_list_walk_safe(segs, seg, next) {
		skb_mark_not_on_list(seg);
		BSDINET_CB(seg)->nd = nd;
		__skb_queue_tail(&bsdinet_rx_segs, seg);
	}
}

/*
 * The next frame for the stack (under the stack mutex): linear, with the
 * checksum a device left to software filled in. Returns NULL when none
 * is left; else the skb to give back to bsdinet_rx_free(), and its
 * device, data and length.
 */
struct sk_buff *bsdinet_rx_next(struct bsdinet_netdev **ndp, const u8 **data, unsigned int *len)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&bsdinet_rx_segs) ?: skb_dequeue(&bsdinet_rxq))) {
		struct bsdinet_netdev *nd = BSDINET_CB(skb)->nd;

		if (skb_is_gso(skb)) {
			bsdinet_rx_segment(nd, skb);
			continue;
		}
		if (skb_linearize(skb) ||
		    (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb))) {
			bsdinet_rx_drop(nd, skb);
			continue;
		}
		*ndp = nd;
		*data = skb->data;
		*len = skb->len;
		return skb;
	}
	return NULL;
}

bool bsdinet_rx_segs_pending(void)
{
	return !skb_queue_empty(&bsdinet_rx_segs);
}

void bsdinet_rx_free(struct sk_buff *skb)
{
	consume_skb(skb);
}

/*
 * Drops the queued frames of @nd, or of every device when NULL (under the
 * stack mutex, once @nd's hook is gone).
 */
void bsdinet_rx_purge(struct bsdinet_netdev *nd)
{
	struct sk_buff_head gone;
	struct sk_buff *skb, *tmp;
	unsigned long flags;

	__skb_queue_head_init(&gone);
	spin_lock_irqsave(&bsdinet_rxq.lock, flags);
	skb_queue_walk_safe(&bsdinet_rxq, skb, tmp) {
		if (!nd || BSDINET_CB(skb)->nd == nd) {
			__skb_unlink(skb, &bsdinet_rxq);
			__skb_queue_tail(&gone, skb);
		}
	}
	spin_unlock_irqrestore(&bsdinet_rxq.lock, flags);
	skb_queue_walk_safe(&bsdinet_rx_segs, skb, tmp) {
		if (!nd || BSDINET_CB(skb)->nd == nd) {
			__skb_unlink(skb, &bsdinet_rx_segs);
			__skb_queue_tail(&gone, skb);
		}
	}
	__skb_queue_purge(&gone);
}

unsigned int bsdinet_netdev_take_drops(struct bsdinet_netdev *nd)
{
	return atomic_xchg(&nd->rx_drops, 0);
}

/*
 * A frame of @len zeroed bytes for @nd, with the device's headroom;
 * @data is where to copy it.
 */
struct sk_buff *bsdinet_tx_alloc(struct bsdinet_netdev *nd, unsigned int len, u8 **data)
{
	struct net_device *dev = nd->dev;
	unsigned int room = LL_RESERVED_SPACE(dev);
	struct sk_buff *skb = alloc_skb(room + len + dev->needed_tailroom, GFP_KERNEL);

	if (!skb)
		return NULL;
	skb_reserve(skb, room);
	*data = skb_put_zero(skb, len);
	return skb;
}

void bsdinet_tx_free(struct sk_buff *skb)
{
	kfree_skb(skb);
}

/*
 * Sends a frame bsdinet_tx_alloc() made: a whole Ethernet frame, or an
 * IPv4 datagram on a tun device. Returns dev_queue_xmit()'s answer.
 */
int bsdinet_tx(struct bsdinet_netdev *nd, struct sk_buff *skb)
{
	skb->dev = nd->dev;
	if (nd->tun) {
		skb_reset_network_header(skb);
		skb->protocol = htons(ETH_P_IP);
	} else {
		if (skb->len < ETH_HLEN) {
			kfree_skb(skb);
			return -EINVAL;
		}
		skb_reset_mac_header(skb);
		skb_set_network_header(skb, ETH_HLEN);
		skb->protocol = eth_hdr(skb)->h_proto;
	}
	return dev_queue_xmit(skb);
}

/* Takes device @name of @net, with a reference, as a future interface. */
int bsdinet_netdev_open(struct net *net, const char *name, struct bsdinet_netdev **ndp)
{
	struct bsdinet_netdev *nd = kzalloc(sizeof(*nd), GFP_KERNEL);

	if (!nd)
		return -ENOMEM;
	nd->dev = netdev_get_by_name(net, name, &nd->tracker, GFP_KERNEL);
	if (!nd->dev) {
		kfree(nd);
		return -ENODEV;
	}
	*ndp = nd;
	return 0;
}

/* Drops what bsdinet_netdev_open() took (hook gone, interface detached). */
void bsdinet_netdev_close(struct bsdinet_netdev *nd)
{
	netdev_put(nd->dev, &nd->tracker);
	kfree(nd);
}

/*
 * Under rtnl: whether @nd can be attached. A device being unregistered
 * is gone (its notifications are past: hooking it would hold it forever);
 * loopback and link types other than Ethernet and bare IP (tun) are not
 * supported; the hook may be ours already or another's (a bridge port).
 */
static int bsdinet_netdev_check(struct bsdinet_netdev *nd)
{
	struct net_device *dev = nd->dev;

	ASSERT_RTNL();
	if (dev->reg_state != NETREG_REGISTERED)
		return -ENODEV;
	if (dev->flags & IFF_LOOPBACK)
		return -EOPNOTSUPP;
	if (dev->type == ARPHRD_ETHER && dev->addr_len == ETH_ALEN)
		nd->tun = false;
	else if (dev->type == ARPHRD_NONE)
		nd->tun = true;
	else
		return -EOPNOTSUPP;
	if (rtnl_dereference(dev->rx_handler) == bsdinet_rx_handler)
		return -EEXIST;
	if (netdev_is_rx_handler_busy(dev) || (dev->priv_flags & IFF_NO_RX_HANDLER))
		return -EBUSY;
	return 0;
}

/* Under rtnl: @nd's name, address, MTU and link state. */
void bsdinet_netdev_info(struct bsdinet_netdev *nd, struct bsdinet_netdev_info *info)
{
	struct net_device *dev = nd->dev;

	ASSERT_RTNL();
	memset(info, 0, sizeof(*info));
	strscpy(info->name, dev->name, sizeof(info->name));
	if (!nd->tun)
		memcpy(info->lladdr, dev->dev_addr, ETH_ALEN);
	info->mtu = dev->mtu;
	info->tun = nd->tun;
	info->link_up = netif_running(dev) && netif_carrier_ok(dev);
}

/* Under rtnl: checks @nd (see bsdinet_netdev_check) and fills @info. */
int bsdinet_netdev_prepare(struct bsdinet_netdev *nd, struct bsdinet_netdev_info *info)
{
	int err = bsdinet_netdev_check(nd);

	if (!err)
		bsdinet_netdev_info(nd, info);
	return err;
}

/* Under rtnl, after bsdinet_netdev_prepare(): frames start to arrive. */
int bsdinet_netdev_hook(struct bsdinet_netdev *nd)
{
	int err = netdev_rx_handler_register(nd->dev, bsdinet_rx_handler, nd);

	return err == -EINVAL ? -EBUSY : err;
}

/*
 * Under rtnl: no frame reaches the hook once this returns (it waits for
 * the receive paths in progress: synchronize_net()).
 */
void bsdinet_netdev_unhook(struct bsdinet_netdev *nd)
{
	netdev_rx_handler_unregister(nd->dev);
}

void bsdinet_rtnl_lock(void)
{
	rtnl_lock();
}

void bsdinet_rtnl_unlock(void)
{
	rtnl_unlock();
}

/* Under rtnl. Only devices our hook is on are attached. */
static int bsdinet_netdev_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct bsdinet_netdev *nd;
	unsigned int what;

	if (rtnl_dereference(dev->rx_handler) != bsdinet_rx_handler)
		return NOTIFY_DONE;
	nd = rtnl_dereference(dev->rx_handler_data);
	switch (event) {
	case NETDEV_UNREGISTER:		/* also on a move to another namespace */
	case NETDEV_PRE_TYPE_CHANGE:	/* it may stop being an Ethernet */
		bsdinet_netdev_gone(nd);
		return NOTIFY_DONE;
	case NETDEV_UP:
	case NETDEV_DOWN:
	case NETDEV_CHANGE:		/* carrier */
		what = BSDINET_NETDEV_LINK;
		break;
	case NETDEV_CHANGEMTU:
		what = BSDINET_NETDEV_MTU;
		break;
	case NETDEV_CHANGEADDR:
		what = BSDINET_NETDEV_ADDR;
		break;
	case NETDEV_CHANGENAME:
		what = BSDINET_NETDEV_NAME;
		break;
	default:
		return NOTIFY_DONE;
	}
	bsdinet_netdev_changed(nd, what);
	return NOTIFY_DONE;
}

static struct notifier_block bsdinet_netdev_nb = {
	.notifier_call = bsdinet_netdev_event,
};

int bsdinet_netdev_init(void)
{
	skb_queue_head_init(&bsdinet_rxq);
	__skb_queue_head_init(&bsdinet_rx_segs);
	return register_netdevice_notifier(&bsdinet_netdev_nb);
}

/*
 * Unregistering the notifier replays NETDEV_UNREGISTER for every device
 * of every namespace, which detaches the attached ones; then no hook is
 * left to queue frames, and the work can be stopped for good.
 */
void bsdinet_netdev_exit(void)
{
	unregister_netdevice_notifier(&bsdinet_netdev_nb);
	cancel_work_sync(&bsdinet_rx_work);
	skb_queue_purge(&bsdinet_rxq);
	__skb_queue_purge(&bsdinet_rx_segs);
}
