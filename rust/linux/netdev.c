// SPDX-License-Identifier: GPL-2.0
/*
 * Linux net_devices as bsdinet interfaces: the receive hook, the queue
 * that carries frames from softirq to process context, transmission and
 * the netdevice notifier. What these mean for the stack is decided in
 * rust/linux/netdev.rs; the helpers here hold what bindgen cannot reach
 * (inline functions, rtnl-protected fields, the hook itself).
 *
 * Locking: rtnl before the stack mutex. The hook runs in softirq and takes
 * neither: it queues the frame on the device's own queue (bounded in
 * bytes) and schedules the device's work, which prepares a batch and
 * feeds it to the stack of the device's namespace under its mutex. A
 * detach removes the hook, then stops the work and drops what is queued.
 * Frames out are queued on the namespace's transmit queue under the
 * mutex and handed to their device once it is dropped.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/refcount.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/gso.h>
#include "netdev.h"
#include "vnet.h"

/* Bytes (skb->truesize) a device's frames may hold waiting for the stack. */
#define BSDINET_RXQ_BYTES (2 << 20)
/* Frames handed to the stack per hold of its lock. */
#define BSDINET_RX_BATCH 32

struct bsdinet_netdev {
	struct net_device *dev;
	netdevice_tracker tracker;
	struct bsdinet_vnet *vn;	/* the stack of the device's namespace */
	refcount_t ref;			/* the attachment, and each frame on vn->txq */
	bool tun;
	struct sk_buff_head rxq;	/* from the hook to the receive work */
	unsigned int rxq_bytes;		/* their truesize, under rxq.lock */
	struct sk_buff_head batch;	/* the receive work's, ready for the stack */
	struct work_struct rx_work;
	atomic_t rx_drops;	/* not yet counted in the interface's ifi_iqdrops */
	atomic_t tx_errors;	/* not yet counted in its ifi_oerrors */
	atomic_t bpf_promisc;	/* BPF descriptors in BIOCPROMISC (bpf.c) */
	atomic_t allmulti_want;	/* the stack's all-multicast count (vifs) */
	int allmulti_set;	/* what dev_set_allmulti() was given, under rtnl */
	bool mc_closed;		/* unhooked: allmulti_set given back, under rtnl */
	struct work_struct mc_work;	/* applies allmulti_want under rtnl */
};

/*
 * A queued frame's device: skb->cb is ours once the hook consumed it
 * (GSO's control block lives further on, at SKB_GSO_CB_OFFSET), and on
 * the way out until dev_queue_xmit().
 */
struct bsdinet_skb_cb {
	struct bsdinet_netdev *nd;
};
#define BSDINET_CB(skb) ((struct bsdinet_skb_cb *)(skb)->cb)

static void bsdinet_netdev_put(struct bsdinet_netdev *nd)
{
	if (refcount_dec_and_test(&nd->ref)) {
		netdev_put(nd->dev, &nd->tracker);
		kfree(nd);
	}
}

static void bsdinet_rx_drop(struct bsdinet_netdev *nd, struct sk_buff *skb)
{
	atomic_inc(&nd->rx_drops);
	kfree_skb(skb);
}

static void bsdinet_rx_work_fn(struct work_struct *work)
{
	bsdinet_netdev_rx(container_of(work, struct bsdinet_netdev, rx_work));
}

/*
 * The receive hook: IPv4 and ARP frames (IPv4 packets on a tun device)
 * are the stack's, so Linux's own protocols do not see them; PF_PACKET
 * taps already have. Everything else, and VLAN-tagged frames, go on to
 * Linux. Frames for other hosts (a tap made the device promiscuous) are
 * dropped here, as a BSD driver's address filter would, before any copy,
 * unless a BPF descriptor asked for promiscuous mode (BIOCPROMISC): then
 * they go to ether_input, whose tap shows them before it drops them.
 */
static rx_handler_result_t bsdinet_rx_handler(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct bsdinet_netdev *nd = rcu_dereference(skb->dev->rx_handler_data);
	unsigned long flags;

	if (skb->protocol != htons(ETH_P_IP) && (nd->tun || skb->protocol != htons(ETH_P_ARP)))
		return RX_HANDLER_PASS;
	if (skb_vlan_tag_present(skb))
		return RX_HANDLER_PASS;
	if (!nd->tun && (!skb_mac_header_was_set(skb) ||
			 skb->data - skb_mac_header(skb) != ETH_HLEN))
		return RX_HANDLER_PASS;
	if (skb->pkt_type == PACKET_OTHERHOST && !atomic_read(&nd->bpf_promisc)) {
		kfree_skb_reason(skb, SKB_DROP_REASON_OTHERHOST);
		return RX_HANDLER_CONSUMED;
	}
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb) {
		atomic_inc(&nd->rx_drops);
		return RX_HANDLER_CONSUMED;
	}
	*pskb = skb;
	/* ether_input wants the whole frame. */
	if (!nd->tun)
		__skb_push(skb, ETH_HLEN);
	/* It may wait a while: let its sender's socket go. */
	skb_orphan(skb);
	BSDINET_CB(skb)->nd = nd;
	spin_lock_irqsave(&nd->rxq.lock, flags);
	if (nd->rxq_bytes + skb->truesize > BSDINET_RXQ_BYTES) {
		spin_unlock_irqrestore(&nd->rxq.lock, flags);
		dev_core_stats_rx_dropped_inc(skb->dev);
		bsdinet_rx_drop(nd, skb);
		return RX_HANDLER_CONSUMED;
	}
	nd->rxq_bytes += skb->truesize;
	__skb_queue_tail(&nd->rxq, skb);
	spin_unlock_irqrestore(&nd->rxq.lock, flags);
	schedule_work(&nd->rx_work);
	return RX_HANDLER_CONSUMED;
}

void bsdinet_rx_schedule(struct bsdinet_netdev *nd)
{
	schedule_work(&nd->rx_work);
}

/*
 * Cuts a GSO frame (veth passes a local sender's 64K TCP frames whole)
 * into the segments the wire would have carried, as Open vSwitch does
 * for its upcalls; they go to the head of @todo, to be made linear in
 * turn. A GSO frame without a checksum is malformed.
 */
static void bsdinet_rx_segment(struct bsdinet_netdev *nd, struct sk_buff *skb,
			       struct sk_buff_head *todo)
{
	struct sk_buff *segs, *seg, *next;
	struct sk_buff_head list;

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
	__skb_queue_head_init(&list);
	skb_list_walk_safe(segs, seg, next) {
		skb_mark_not_on_list(seg);
		__skb_queue_tail(&list, seg);
	}
	skb_queue_splice(&list, todo);	/* next, in order */
}

/*
 * The receive work, before it takes the stack lock: moves up to a batch
 * of @nd's frames to its batch, each linear with the checksum a device
 * left to software filled in (GSO frames cut into segments). Returns
 * whether frames are left on the queue.
 */
bool bsdinet_rx_prepare(struct bsdinet_netdev *nd)
{
	struct sk_buff_head todo;
	struct sk_buff *skb;
	unsigned long flags;
	bool more;

	__skb_queue_head_init(&todo);
	spin_lock_irqsave(&nd->rxq.lock, flags);
	while (skb_queue_len(&todo) < BSDINET_RX_BATCH && (skb = __skb_dequeue(&nd->rxq))) {
		nd->rxq_bytes -= skb->truesize;
		__skb_queue_tail(&todo, skb);
	}
	more = !skb_queue_empty(&nd->rxq);
	spin_unlock_irqrestore(&nd->rxq.lock, flags);
	while ((skb = __skb_dequeue(&todo))) {
		if (skb_is_gso(skb))
			bsdinet_rx_segment(nd, skb, &todo);
		else if (skb_linearize(skb) ||
			 (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb)))
			bsdinet_rx_drop(nd, skb);
		else
			__skb_queue_tail(&nd->batch, skb);
	}
	return more;
}

/*
 * The next frame of @nd's batch (under the stack lock), or NULL; the skb
 * goes back to bsdinet_rx_free() once the stack has copied @data.
 */
struct sk_buff *bsdinet_rx_next(struct bsdinet_netdev *nd, const u8 **data, unsigned int *len)
{
	struct sk_buff *skb = __skb_dequeue(&nd->batch);

	if (skb) {
		*data = skb->data;
		*len = skb->len;
	}
	return skb;
}

void bsdinet_rx_free(struct sk_buff *skb)
{
	consume_skb(skb);
}

unsigned int bsdinet_netdev_take_drops(struct bsdinet_netdev *nd)
{
	return atomic_xchg(&nd->rx_drops, 0);
}

unsigned int bsdinet_netdev_take_tx_errors(struct bsdinet_netdev *nd)
{
	return atomic_xchg(&nd->tx_errors, 0);
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
 * Queues a frame bsdinet_tx_alloc() made, a whole Ethernet frame or an
 * IPv4 datagram on a tun device, on its namespace's transmit queue
 * (under the stack lock); bsdinet_tx_flush() sends it once the lock is
 * dropped. The frame holds @nd until then. Returns 0 or -EINVAL.
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
	refcount_inc(&nd->ref);
	BSDINET_CB(skb)->nd = nd;
	skb_queue_tail(&nd->vn->txq, skb);
	return 0;
}

/*
 * Sends what the stack queued (no stack lock held: a veth peer's whole
 * receive path runs in dev_queue_xmit). Frames a device refuses count in
 * its interface's ifi_oerrors.
 */
void bsdinet_tx_flush(struct bsdinet_vnet *vn)
{
	struct sk_buff *skb;

	/* Most requests queue nothing (lo0, sockets without a device): no
	 * lock taken then. A frame queued meanwhile is another caller's to
	 * flush, after its own request. */
	if (skb_queue_empty_lockless(&vn->txq))
		return;
	while ((skb = skb_dequeue(&vn->txq))) {
		struct bsdinet_netdev *nd = BSDINET_CB(skb)->nd;
		int rc = dev_queue_xmit(skb);

		if (rc != NET_XMIT_SUCCESS && rc != NET_XMIT_CN)
			atomic_inc(&nd->tx_errors);
		bsdinet_netdev_put(nd);
	}
}

/*
 * The all-multicast count needs rtnl, which the stack's lock may not
 * take (rtnl comes first): a work item applies the stack's count. It
 * holds a reference to @nd; once unhooked it does nothing.
 */
static struct workqueue_struct *bsdinet_mc_wq;	/* drained at module exit */

static void bsdinet_mc_work_fn(struct work_struct *work)
{
	struct bsdinet_netdev *nd = container_of(work, struct bsdinet_netdev, mc_work);
	int want;

	rtnl_lock();
	want = atomic_read(&nd->allmulti_want);
	if (!nd->mc_closed && want != nd->allmulti_set &&
	    !dev_set_allmulti(nd->dev, want - nd->allmulti_set))
		nd->allmulti_set = want;
	rtnl_unlock();
	bsdinet_netdev_put(nd);
}

/*
 * Under the stack lock, for an attached device: the stack's multicast
 * filter changes (SIOCADDMULTI's ENETRESET in the book's drivers).
 * dev_mc_add/dev_mc_del take only the device's address-list lock;
 * the address is counted as Linux counts its own users of it.
 */
void bsdinet_netdev_mc(struct bsdinet_netdev *nd, int op, const u8 *addr)
{
	switch (op) {
	case BSDINET_MC_ADD:
		dev_mc_add(nd->dev, addr);
		break;
	case BSDINET_MC_DEL:
		dev_mc_del(nd->dev, addr);
		break;
	case BSDINET_MC_ALLMULTI_ON:
	case BSDINET_MC_ALLMULTI_OFF:
		if (op == BSDINET_MC_ALLMULTI_ON)
			atomic_inc(&nd->allmulti_want);
		else
			atomic_dec_if_positive(&nd->allmulti_want);
		refcount_inc(&nd->ref);
		if (!queue_work(bsdinet_mc_wq, &nd->mc_work))
			bsdinet_netdev_put(nd);
		break;
	}
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
	nd->vn = bsdinet_vnet_of(net);
	refcount_set(&nd->ref, 1);
	skb_queue_head_init(&nd->rxq);
	__skb_queue_head_init(&nd->batch);
	INIT_WORK(&nd->rx_work, bsdinet_rx_work_fn);
	INIT_WORK(&nd->mc_work, bsdinet_mc_work_fn);
	*ndp = nd;
	return 0;
}

/*
 * Drops what bsdinet_netdev_open() took (hook gone, interface detached):
 * the receive work is stopped and its frames dropped; frames on their
 * way out keep @nd until sent.
 */
void bsdinet_netdev_close(struct bsdinet_netdev *nd)
{
	cancel_work_sync(&nd->rx_work);
	skb_queue_purge(&nd->rxq);
	__skb_queue_purge(&nd->batch);
	bsdinet_netdev_put(nd);
}

/* The bsdinet of @nd's namespace. */
struct bsdinet_vnet *bsdinet_netdev_vnet(struct bsdinet_netdev *nd)
{
	return nd->vn;
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
	/* The all-multicast count the stack set goes back. */
	nd->mc_closed = true;
	if (nd->allmulti_set)
		dev_set_allmulti(nd->dev, -nd->allmulti_set);
	nd->allmulti_set = 0;
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
	int err;

	bsdinet_mc_wq = alloc_workqueue("bsdinet_mc", 0, 0);
	if (!bsdinet_mc_wq)
		return -ENOMEM;
	err = register_netdevice_notifier(&bsdinet_netdev_nb);
	if (err)
		destroy_workqueue(bsdinet_mc_wq);
	return err;
}

/*
 * Unregistering the notifier replays NETDEV_UNREGISTER for every device
 * of every namespace, which detaches the attached ones.
 */
void bsdinet_netdev_exit(void)
{
	unregister_netdevice_notifier(&bsdinet_netdev_nb);
	destroy_workqueue(bsdinet_mc_wq);	/* runs what is queued */
}

/*
 * BIOCPROMISC (bpf.c): frames for other hosts go to bsdinet's BPF while
 * @inc's count is up. Under RTNL; a device bsdinet does not hook is
 * left alone.
 */
void bsdinet_netdev_bpf_promisc(struct net_device *dev, int inc)
{
	struct bsdinet_netdev *nd;

	ASSERT_RTNL();
	if (rcu_access_pointer(dev->rx_handler) != bsdinet_rx_handler)
		return;
	nd = rtnl_dereference(dev->rx_handler_data);
	if (nd && inc > 0)
		atomic_inc(&nd->bpf_promisc);
	else if (nd)	/* hooked again since: its count started at 0 */
		atomic_dec_if_positive(&nd->bpf_promisc);
}
