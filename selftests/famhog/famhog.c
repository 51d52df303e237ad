// SPDX-License-Identifier: GPL-2.0
/*
 * famhog: a test module that registers AF_BSDINET's family number first,
 * so that the tests can see bsdinet refuse to load with a clear message.
 */
#include <linux/module.h>
#include <linux/net.h>
#include "../../include/uapi/linux/bsdinet.h"

static int famhog_create(struct net *net, struct socket *sock, int protocol, int kern)
{
	return -EPROTONOSUPPORT;
}

static const struct net_proto_family famhog_family = {
	.family = AF_BSDINET,
	.create = famhog_create,
	.owner = THIS_MODULE,
};

static int __init famhog_init(void)
{
	return sock_register(&famhog_family);
}

static void __exit famhog_exit(void)
{
	sock_unregister(AF_BSDINET);
}

module_init(famhog_init);
module_exit(famhog_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("bsdinet selftest: occupies AF_BSDINET");
