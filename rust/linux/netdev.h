/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What crosses between netdev.c and rust/linux/netdev.rs: Linux
 * net_devices attached to bsdinet as interfaces.
 */
#ifndef BSDINET_NETDEV_H
#define BSDINET_NETDEV_H

#include <linux/if.h>
#include <linux/types.h>

struct net;
struct net_device;
struct sk_buff;
struct bsdinet_vnet;
struct bsdinet_netdev;		/* an attached device: the interface's if_softc */

/* A device as the interface sees it (read under rtnl). */
struct bsdinet_netdev_info {
	char name[IFNAMSIZ];
	u8 lladdr[6];
	u32 mtu;
	bool tun;		/* ARPHRD_NONE: bare IPv4, no link header */
	bool link_up;		/* netif_running() && netif_carrier_ok() */
};

/* What a notifier event changed, for bsdinet_netdev_changed(). */
#define BSDINET_NETDEV_LINK	0x1
#define BSDINET_NETDEV_MTU	0x2
#define BSDINET_NETDEV_ADDR	0x4
#define BSDINET_NETDEV_NAME	0x8

/* bsdinet_netdev_mc()'s operations. */
#define BSDINET_MC_ADD		0
#define BSDINET_MC_DEL		1
#define BSDINET_MC_ALLMULTI_ON	2
#define BSDINET_MC_ALLMULTI_OFF	3

/* In netdev.c. */
void bsdinet_netdev_mc(struct bsdinet_netdev *nd, int op, const u8 *addr);
int bsdinet_netdev_init(void);
void bsdinet_netdev_exit(void);
int bsdinet_netdev_open(struct net *net, const char *name, struct bsdinet_netdev **ndp);
void bsdinet_netdev_close(struct bsdinet_netdev *nd);
int bsdinet_netdev_prepare(struct bsdinet_netdev *nd, struct bsdinet_netdev_info *info);
int bsdinet_netdev_hook(struct bsdinet_netdev *nd);
void bsdinet_netdev_unhook(struct bsdinet_netdev *nd);
void bsdinet_netdev_info(struct bsdinet_netdev *nd, struct bsdinet_netdev_info *info);
struct bsdinet_vnet *bsdinet_netdev_vnet(struct bsdinet_netdev *nd);
unsigned int bsdinet_netdev_take_drops(struct bsdinet_netdev *nd);
unsigned int bsdinet_netdev_take_tx_errors(struct bsdinet_netdev *nd);
bool bsdinet_rx_prepare(struct bsdinet_netdev *nd);
struct sk_buff *bsdinet_rx_next(struct bsdinet_netdev *nd, const u8 **data, unsigned int *len);
void bsdinet_rx_free(struct sk_buff *skb);
void bsdinet_rx_schedule(struct bsdinet_netdev *nd);
struct sk_buff *bsdinet_tx_alloc(struct bsdinet_netdev *nd, unsigned int len, u8 **data);
void bsdinet_tx_free(struct sk_buff *skb);
int bsdinet_tx(struct bsdinet_netdev *nd, struct sk_buff *skb);
void bsdinet_netdev_bpf_promisc(struct net_device *dev, int inc);
void bsdinet_rtnl_lock(void);
void bsdinet_rtnl_unlock(void);

/* In rust/linux/netdev.rs. */
void bsdinet_netdev_rx(struct bsdinet_netdev *nd);
void bsdinet_netdev_gone(struct bsdinet_netdev *nd);
void bsdinet_netdev_changed(struct bsdinet_netdev *nd, unsigned int what);

#endif /* BSDINET_NETDEV_H */
