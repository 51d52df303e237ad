// SPDX-License-Identifier: GPL-2.0
/*
 * One bsdinet stack per network namespace (FreeBSD's VNET): pernet
 * operations make a namespace's stack, its clock, its /proc/net/bsdinet
 * and its sysctls when the namespace is made (or when the module loads,
 * for the namespaces that exist), and undo them when it goes.
 *
 * A namespace goes only once nothing holds it: every AF_BSDINET socket
 * (sk_alloc takes a reference for user sockets) and every SLIP line
 * (slip.c takes one) holds it; devices leave it, and so are detached
 * (NETDEV_UNREGISTER), before pernet subsystems exit.
 */
#include <linux/bug.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include "vnet.h"

static unsigned int bsdinet_net_id;

struct bsdinet_vnet *bsdinet_vnet_of(struct net *net)
{
	return net_generic(net, bsdinet_net_id);
}

/* The stack broke one of its own rules (Stack::invariant_failures). */
void bsdinet_warn(const char *what)
{
	WARN(1, "bsdinet: %s\n", what);
}

/*
 * The stack's clock: a tick for every 100 ms gone, as the book's clock
 * interrupt gives them. A work item that runs late (a busy machine) makes
 * up the ticks it missed, up to a second's worth, rather than slowing the
 * stack's timers down; the next one is due a period after the last due.
 */
static void bsdinet_tick_fn(struct work_struct *work)
{
	struct bsdinet_vnet *vn = container_of(to_delayed_work(work), struct bsdinet_vnet, tick);
	unsigned long period = msecs_to_jiffies(100), now;
	int n;

	for (n = 0; n < 10 && time_after_eq(jiffies, vn->next_tick); n++) {
		bsdinet_tick(vn);
		vn->next_tick += period;
	}
	if (time_after_eq(jiffies, vn->next_tick))
		vn->next_tick = jiffies + period;
	now = jiffies;
	if (READ_ONCE(vn->ticking))
		schedule_delayed_work(&vn->tick, time_after(vn->next_tick, now) ? vn->next_tick - now : 0);
}

static int __net_init bsdinet_net_init(struct net *net)
{
	struct bsdinet_vnet *vn = bsdinet_vnet_of(net);
	int err;

	vn->net = net;
	/* The book's defaults, but ICMP mask replies on (bsdinet's choice). */
	vn->sysctl = (struct bsdinet_sysctl){
		.ip_forwarding = 0,
		.ip_redirect = 1,
		.ip_ttl = 64,
		.ip_portrange_randomized = 0,
		.icmp_maskrepl = 1,
		.udp_checksum = 1,
		.socket_send_clears_error = 0,
		.igmp_v2 = 1,	/* RFC 2236's rules (bsdinet's choice) */
	};
	/* somaxconn and TCP's: the Stack's own defaults (vnet.rs). */
	bsdinet_sysctl_defaults(&vn->sysctl);
	skb_queue_head_init(&vn->txq);
	INIT_DELAYED_WORK(&vn->tick, bsdinet_tick_fn);
	vn->stack = bsdinet_stack_new();
	if (!vn->stack)
		return -ENOMEM;
	err = bsdinet_procfs_net_init(vn);
	if (err) {
		bsdinet_stack_free(vn->stack);
		vn->stack = NULL;
		return err;
	}
	WRITE_ONCE(vn->ticking, true);
	vn->next_tick = jiffies + msecs_to_jiffies(100);
	schedule_delayed_work(&vn->tick, msecs_to_jiffies(100));
	return 0;
}

static void __net_exit bsdinet_net_exit(struct net *net)
{
	struct bsdinet_vnet *vn = bsdinet_vnet_of(net);

	WRITE_ONCE(vn->ticking, false);
	cancel_delayed_work_sync(&vn->tick);
	bsdinet_procfs_net_exit(vn);
	bsdinet_tx_flush(vn);
	bsdinet_stack_free(vn->stack);
	vn->stack = NULL;
}

static struct pernet_operations bsdinet_net_ops = {
	.init = bsdinet_net_init,
	.exit = bsdinet_net_exit,
	.id = &bsdinet_net_id,
	.size = sizeof(struct bsdinet_vnet),
};

/* A stack for every namespace, now and to come; undone in reverse. */
int bsdinet_vnet_register(void)
{
	return register_pernet_subsys(&bsdinet_net_ops);
}

void bsdinet_vnet_unregister(void)
{
	unregister_pernet_subsys(&bsdinet_net_ops);
}
