/* SPDX-License-Identifier: GPL-2.0 */
/* The functions that cross between glue.c and the Rust code. */
#ifndef BSDINET_GLUE_H
#define BSDINET_GLUE_H

#include <linux/net.h>
#include <linux/wait.h>

/* The socket calls, in rust/linux/socket.rs. */
int bsdinet_create(struct net *net, struct socket *sock, int protocol, int kern);
int bsdinet_release(struct socket *sock);
int bsdinet_bind(struct socket *sock, struct sockaddr *addr, int len);
int bsdinet_connect(struct socket *sock, struct sockaddr *addr, int len, int flags);
int bsdinet_accept(struct socket *sock, struct socket *newsock, struct proto_accept_arg *arg);
int bsdinet_getname(struct socket *sock, struct sockaddr *addr, int peer);
__poll_t bsdinet_poll(struct file *file, struct socket *sock, struct poll_table_struct *wait);
int bsdinet_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg);
int bsdinet_listen(struct socket *sock, int backlog);
int bsdinet_shutdown(struct socket *sock, int how);
int bsdinet_setsockopt(struct socket *sock, int level, int name, sockptr_t val, unsigned int len);
int bsdinet_getsockopt(struct socket *sock, int level, int name, char __user *val, int __user *len);
int bsdinet_sendmsg(struct socket *sock, struct msghdr *msg, size_t len);
int bsdinet_recvmsg(struct socket *sock, struct msghdr *msg, size_t len, int flags);
int bsdroute_create(struct net *net, struct socket *sock, int protocol, int kern);

/*
 * A BSD socket's SOL_SOCKET options as Linux's core reports them: Linux
 * answers getsockopt(SOL_SOCKET) from struct sock without asking the
 * protocol, so socket.rs writes these there after every change.
 */
struct bsdinet_sk_opts {
	int sndbuf;		/* so_snd.sb_hiwat */
	int rcvbuf;		/* so_rcv.sb_hiwat */
	int rcvlowat;		/* so_rcv.sb_lowat */
	int linger;		/* so_linger, seconds */
	bool debug, reuseaddr, reuseport, keepalive;	/* so_options bits */
	bool dontroute, broadcast, oobinline, lingeron;
};

/* Helpers, in glue.c. */
int bsdinet_proto_register(void);
void bsdinet_proto_unregister(void);
int bsdinet_sk_alloc(struct net *net, struct socket *sock, int kern);
int bsdroute_sk_alloc(struct net *net, struct socket *sock, int kern);
int bsdinet_current_pid(void);
void bsdinet_sk_set_so(struct sock *sk, long so, int protocol, bool atomic);
bool bsdinet_sk_atomic(struct sock *sk);
void bsdinet_sk_set_listening(struct sock *sk);
struct net *bsdinet_sk_net(struct sock *sk);
void bsdinet_accept_arg(struct proto_accept_arg *arg, int *nonblock, int *kern);
long bsdinet_sk_so(struct sock *sk);
struct sock *bsdinet_sock_sk(struct socket *sock);
void bsdinet_sk_free(struct socket *sock);
int bsdinet_sk_net_raw_capable(struct socket *sock, int kern);
int bsdinet_sk_net_bind_capable(struct socket *sock, int kern);
int bsdinet_sk_net_admin_capable(struct socket *sock);
struct net *bsdinet_sock_net(struct socket *sock);
void bsdinet_sk_wake(struct sock *sk);
void bsdinet_sk_hold(struct sock *sk);
void bsdinet_sk_put(struct sock *sk);
void bsdinet_sk_set_opts(struct sock *sk, const struct bsdinet_sk_opts *o);
int bsdinet_sk_err_cmpxchg(struct sock *sk, int old, int new);
int bsdinet_sk_err_shown(struct sock *sk, u32 *gen);
void bsdinet_sk_set_err_shown(struct sock *sk, int err, u32 gen);
void bsdinet_sk_err_set(struct sock *sk, int err);
int bsdinet_copy_from_sockptr(void *dst, sockptr_t src, size_t size);
int bsdinet_sock_setsockopt(struct socket *sock, int level, int name, sockptr_t val,
			    unsigned int len);
void bsdinet_poll_wait(struct file *file, struct socket *sock, poll_table *p);
void bsdinet_wait_add(struct sock *sk, struct wait_queue_entry *w);
void bsdinet_wait_del(struct sock *sk, struct wait_queue_entry *w);
long bsdinet_rcvtimeo(struct sock *sk, int nonblock);
long bsdinet_sndtimeo(struct sock *sk, int nonblock);
int bsdinet_intr_errno(long timeo);
size_t bsdinet_copy_from_msg(struct msghdr *msg, void *buf, size_t len);
size_t bsdinet_copy_to_msg(struct msghdr *msg, const void *buf, size_t len);
int bsdinet_msg_control(struct msghdr *msg, const void **buf, size_t *len);
int bsdinet_put_cmsg(struct msghdr *msg, int level, int type, int len, const void *data);
void bsdinet_sigpipe(void);
void bsdinet_sk_sigurg(struct sock *sk);
int bsdinet_sblock(struct sock *sk, int rcv);
void bsdinet_sbunlock(struct sock *sk, int rcv);
long bsdinet_linger_timeo(struct socket *sock, int secs);
int bsdinet_fail_at(void);
u32 bsdinet_iptime(void);
u32 bsdinet_random_u32(void);

#endif /* BSDINET_GLUE_H */
