// SPDX-License-Identifier: GPL-2.0
/*
 * famhog: a test module that registers AF_BSDINET's family number first
 * (or, with family=23, AF_BSDROUTE's), so that the tests can see bsdinet
 * refuse to load with a clear message.
 */
#include <linux/module.h>
#include <linux/net.h>
#include "../../include/uapi/linux/bsdinet.h"

static int famhog_create(struct net *net, struct socket *sock, int protocol, int kern)
{
	return -EPROTONOSUPPORT;
}

static int family = AF_BSDINET;
module_param(family, int, 0444);
MODULE_PARM_DESC(family, "the address family to hold (default AF_BSDINET)");

static struct net_proto_family famhog_family = {
	.create = famhog_create,
	.owner = THIS_MODULE,
};

static int __init famhog_init(void)
{
	famhog_family.family = family;
	return sock_register(&famhog_family);
}

static void __exit famhog_exit(void)
{
	sock_unregister(family);
}

module_init(famhog_init);
module_exit(famhog_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("bsdinet selftest: occupies an address family (AF_BSDINET by default)");
