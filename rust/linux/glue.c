// SPDX-License-Identifier: GPL-2.0
/*
 * What Rust cannot reach through the kernel's generated bindings: the
 * registration tables (they need THIS_MODULE and designated initializers),
 * struct sock (net/sock.h is not in 6.12's bindings) and inline helpers.
 * Every function here is a thin wrapper; the logic is in rust/.
 */
#include <linux/module.h>
#include <linux/random.h>
#include <linux/net.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include "../../include/uapi/linux/bsdinet.h"
#include "glue.h"

/* A Linux socket's struct sock, with the index of its BSD socket. */
struct bsdinet_sock {
	struct sock sk;		/* must be first */
	long so;
	int err_shown;		/* the so_error last put in sk_err (stack lock) */
	u32 err_gen;		/* the so_error_gen it had then (stack lock) */
	bool atomic;		/* its protocol is PR_ATOMIC (set at create) */
	/* The book's sblock(): one sender and one receiver at a time, as calls
	 * sleep halfway through. Taken before the stack lock, never after. */
	struct mutex snd_lock;
	struct mutex rcv_lock;
};

static struct proto bsdinet_proto = {
	.name = "BSDINET",
	.owner = THIS_MODULE,
	.obj_size = sizeof(struct bsdinet_sock),
};

const struct proto_ops bsdinet_ops = {
	.family = AF_BSDINET,
	.owner = THIS_MODULE,
	.release = bsdinet_release,
	.bind = bsdinet_bind,
	.connect = bsdinet_connect,
	.socketpair = sock_no_socketpair,
	.accept = bsdinet_accept,
	.getname = bsdinet_getname,
	.poll = bsdinet_poll,
	.ioctl = bsdinet_ioctl,
	.listen = bsdinet_listen,
	.shutdown = bsdinet_shutdown,
	.setsockopt = bsdinet_setsockopt,
	.getsockopt = bsdinet_getsockopt,
	.sendmsg = bsdinet_sendmsg,
	.recvmsg = bsdinet_recvmsg,
	.mmap = sock_no_mmap,
};

const struct net_proto_family bsdinet_family_ops = {
	.family = AF_BSDINET,
	.create = bsdinet_create,
	.owner = THIS_MODULE,
};

/* Routing sockets (AF_BSDROUTE): the same calls, in a family of their own. */
const struct proto_ops bsdroute_ops = {
	.family = AF_BSDROUTE,
	.owner = THIS_MODULE,
	.release = bsdinet_release,
	.bind = bsdinet_bind,
	.connect = bsdinet_connect,
	.socketpair = sock_no_socketpair,
	.accept = sock_no_accept,
	.getname = bsdinet_getname,
	.poll = bsdinet_poll,
	.ioctl = bsdinet_ioctl,
	.listen = sock_no_listen,
	.shutdown = bsdinet_shutdown,
	.setsockopt = bsdinet_setsockopt,
	.getsockopt = bsdinet_getsockopt,
	.sendmsg = bsdinet_sendmsg,
	.recvmsg = bsdinet_recvmsg,
	.mmap = sock_no_mmap,
};

const struct net_proto_family bsdroute_family_ops = {
	.family = AF_BSDROUTE,
	.create = bsdroute_create,
	.owner = THIS_MODULE,
};

int bsdinet_proto_register(void)
{
	return proto_register(&bsdinet_proto, 0);
}

void bsdinet_proto_unregister(void)
{
	proto_unregister(&bsdinet_proto);
}

/* Gives @sock a struct sock of @ops's family, referring to no BSD socket yet. */
static int bsdinet_sk_alloc_ops(struct net *net, struct socket *sock, int kern,
				const struct proto_ops *ops)
{
	struct sock *sk = sk_alloc(net, ops->family, GFP_KERNEL, &bsdinet_proto, kern);

	if (!sk)
		return -ENOBUFS;
	sock->ops = ops;
	sock_init_data(sock, sk);
	/* bsdinet answers SOL_SOCKET options itself (BSD's sosetopt). */
	set_bit(SOCK_CUSTOM_SOCKOPT, &sock->flags);
	((struct bsdinet_sock *)sk)->so = -1;
	((struct bsdinet_sock *)sk)->err_shown = 0;
	((struct bsdinet_sock *)sk)->err_gen = 0;
	((struct bsdinet_sock *)sk)->atomic = false;
	mutex_init(&((struct bsdinet_sock *)sk)->snd_lock);
	mutex_init(&((struct bsdinet_sock *)sk)->rcv_lock);
	return 0;
}

int bsdinet_sk_alloc(struct net *net, struct socket *sock, int kern)
{
	return bsdinet_sk_alloc_ops(net, sock, kern, &bsdinet_ops);
}

int bsdroute_sk_alloc(struct net *net, struct socket *sock, int kern)
{
	return bsdinet_sk_alloc_ops(net, sock, kern, &bsdroute_ops);
}

/* The calling process's id, as it sees it (the book's curproc->p_pid). */
int bsdinet_current_pid(void)
{
	return task_tgid_vnr(current);
}

/* The BSD socket of @sk, its protocol number and whether it is atomic. */
void bsdinet_sk_set_so(struct sock *sk, long so, int protocol, bool atomic)
{
	((struct bsdinet_sock *)sk)->so = so;
	((struct bsdinet_sock *)sk)->atomic = atomic;
	sk->sk_protocol = protocol;	/* SO_PROTOCOL */
}

bool bsdinet_sk_atomic(struct sock *sk)
{
	return ((struct bsdinet_sock *)sk)->atomic;
}

/* SO_ACCEPTCONN reads sk_state (sk_getsockopt). */
void bsdinet_sk_set_listening(struct sock *sk)
{
	WRITE_ONCE(sk->sk_state, TCP_LISTEN);
}

/* accept()'s flags: whether it may not wait, and for whom the socket is. */
void bsdinet_accept_arg(struct proto_accept_arg *arg, int *nonblock, int *kern)
{
	*nonblock = !!(arg->flags & O_NONBLOCK);
	*kern = arg->kern;
}

struct net *bsdinet_sk_net(struct sock *sk)
{
	return sock_net(sk);
}

long bsdinet_sk_so(struct sock *sk)
{
	return ((struct bsdinet_sock *)sk)->so;
}

struct sock *bsdinet_sock_sk(struct socket *sock)
{
	return sock->sk;
}

/* Drops the socket's struct sock: on release, or when create fails. */
void bsdinet_sk_free(struct socket *sock)
{
	struct sock *sk = sock->sk;

	sock_orphan(sk);
	sock->sk = NULL;
	sock_put(sk);
}

int bsdinet_sk_net_raw_capable(struct socket *sock, int kern)
{
	return kern || ns_capable(sock_net(sock->sk)->user_ns, CAP_NET_RAW);
}

int bsdinet_sk_net_bind_capable(struct socket *sock, int kern)
{
	return kern || ns_capable(sock_net(sock->sk)->user_ns, CAP_NET_BIND_SERVICE);
}

int bsdinet_sk_net_admin_capable(struct socket *sock)
{
	return ns_capable(sock_net(sock->sk)->user_ns, CAP_NET_ADMIN);
}

struct net *bsdinet_sock_net(struct socket *sock)
{
	return sock_net(sock->sk);
}

/* Wakes everyone sleeping on or polling @sk (sorwakeup/sowwakeup). */
void bsdinet_sk_wake(struct sock *sk)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_all(&wq->wait);
	rcu_read_unlock();
}

/* A reference that keeps @sk (not its socket) alive past the stack lock,
 * for a wakeup delivered once the lock is dropped (vnet.rs's with_stack). */
void bsdinet_sk_hold(struct sock *sk)
{
	sock_hold(sk);
}

void bsdinet_sk_put(struct sock *sk)
{
	sock_put(sk);
}

static void bsdinet_sk_flag(struct sock *sk, enum sock_flags flag, bool on)
{
	if (on)
		sock_set_flag(sk, flag);
	else
		sock_reset_flag(sk, flag);
}

/*
 * Mirrors a BSD socket's SOL_SOCKET options into @sk, where Linux's
 * sk_getsockopt() reads them. Called under the stack lock, which orders
 * every writer of these fields: SOCK_CUSTOM_SOCKOPT keeps Linux's
 * sock_setsockopt() from them (socket.rs hands it only the timeouts).
 */
void bsdinet_sk_set_opts(struct sock *sk, const struct bsdinet_sk_opts *o)
{
	WRITE_ONCE(sk->sk_sndbuf, o->sndbuf);
	WRITE_ONCE(sk->sk_rcvbuf, o->rcvbuf);
	WRITE_ONCE(sk->sk_rcvlowat, o->rcvlowat);
	/* l_linger is 0..32767 seconds (sosetopt checks), so no overflow. */
	WRITE_ONCE(sk->sk_lingertime, (unsigned long)o->linger * HZ);
	sk->sk_reuse = o->reuseaddr ? SK_CAN_REUSE : SK_NO_REUSE;
	sk->sk_reuseport = o->reuseport;
	bsdinet_sk_flag(sk, SOCK_DBG, o->debug);
	bsdinet_sk_flag(sk, SOCK_KEEPOPEN, o->keepalive);
	bsdinet_sk_flag(sk, SOCK_LOCALROUTE, o->dontroute);
	bsdinet_sk_flag(sk, SOCK_BROADCAST, o->broadcast);
	bsdinet_sk_flag(sk, SOCK_URGINLINE, o->oobinline);
	bsdinet_sk_flag(sk, SOCK_LINGER, o->lingeron);
}

/*
 * sk_err is what getsockopt(SO_ERROR) reads and clears (sock_error()
 * exchanges it with 0, without our lock). Puts @new there if it still
 * holds @old; returns what it held.
 */
int bsdinet_sk_err_cmpxchg(struct sock *sk, int old, int new)
{
	return cmpxchg(&sk->sk_err, old, new);
}

/* The so_error last shown in sk_err, and its generation. */
int bsdinet_sk_err_shown(struct sock *sk, u32 *gen)
{
	*gen = ((struct bsdinet_sock *)sk)->err_gen;
	return ((struct bsdinet_sock *)sk)->err_shown;
}

void bsdinet_sk_set_err_shown(struct sock *sk, int err, u32 gen)
{
	((struct bsdinet_sock *)sk)->err_shown = err;
	((struct bsdinet_sock *)sk)->err_gen = gen;
}

/* Shows a new error in sk_err whatever it held. */
void bsdinet_sk_err_set(struct sock *sk, int err)
{
	WRITE_ONCE(sk->sk_err, err);
}

/* setsockopt()'s value may be in user or kernel memory. */
int bsdinet_copy_from_sockptr(void *dst, sockptr_t src, size_t size)
{
	return copy_from_sockptr(dst, src, size) ? -EFAULT : 0;
}

/* Linux's own SOL_SOCKET code, for the options it keeps (the timeouts). */
int bsdinet_sock_setsockopt(struct socket *sock, int level, int name, sockptr_t val,
			    unsigned int len)
{
	return sock_setsockopt(sock, level, name, val, len);
}

void bsdinet_poll_wait(struct file *file, struct socket *sock, poll_table *p)
{
	sock_poll_wait(file, sock, p);
}

/* Sleeping for a socket (sbwait): the wait_woken() pattern, so that a
 * wakeup between the test and the sleep is not lost. */
void bsdinet_wait_add(struct sock *sk, struct wait_queue_entry *w)
{
	init_waitqueue_func_entry(w, woken_wake_function);
	w->private = current;
	add_wait_queue(sk_sleep(sk), w);
}

void bsdinet_wait_del(struct sock *sk, struct wait_queue_entry *w)
{
	remove_wait_queue(sk_sleep(sk), w);
}

long bsdinet_rcvtimeo(struct sock *sk, int nonblock)
{
	return sock_rcvtimeo(sk, nonblock);
}

long bsdinet_sndtimeo(struct sock *sk, int nonblock)
{
	return sock_sndtimeo(sk, nonblock);
}

int bsdinet_intr_errno(long timeo)
{
	return sock_intr_errno(timeo);
}

size_t bsdinet_copy_from_msg(struct msghdr *msg, void *buf, size_t len)
{
	return copy_from_iter(buf, len, &msg->msg_iter);
}

size_t bsdinet_copy_to_msg(struct msghdr *msg, const void *buf, size_t len)
{
	return copy_to_iter(buf, len, &msg->msg_iter);
}

/*
 * The control data of a sendmsg(): the socket core has copied it into the
 * kernel (____sys_sendmsg). A message whose control is still in user
 * memory is refused.
 */
int bsdinet_msg_control(struct msghdr *msg, const void **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	if (!msg->msg_controllen)
		return 0;
	if (msg->msg_control_is_user)
		return -EINVAL;
	*buf = msg->msg_control;
	*len = msg->msg_controllen;
	return 0;
}

/* One control message out to recvmsg()'s caller (MSG_CTRUNC when short). */
int bsdinet_put_cmsg(struct msghdr *msg, int level, int type, int len, const void *data)
{
	return put_cmsg(msg, level, type, len, (void *)data);
}

/* sosend's EPIPE raises SIGPIPE, as BSD's sendit() does. */
void bsdinet_sigpipe(void)
{
	send_sig(SIGPIPE, current, 0);
}

/* SIGURG to the socket's owner (fcntl F_SETOWN), as BSD's sohasoutofband. */
void bsdinet_sk_sigurg(struct sock *sk)
{
	sk_send_sigurg(sk);
}

/* sblock(): @rcv picks the receive side. 0, or -EINTR on a signal. */
int bsdinet_sblock(struct sock *sk, int rcv)
{
	struct bsdinet_sock *bs = (struct bsdinet_sock *)sk;

	return mutex_lock_interruptible(rcv ? &bs->rcv_lock : &bs->snd_lock);
}

void bsdinet_sbunlock(struct sock *sk, int rcv)
{
	struct bsdinet_sock *bs = (struct bsdinet_sock *)sk;

	mutex_unlock(rcv ? &bs->rcv_lock : &bs->snd_lock);
}

/* SO_LINGER's wait for close(): @secs in jiffies, 0 for none when the
 * socket is non-blocking (the book does not linger then). */
long bsdinet_linger_timeo(struct socket *sock, int secs)
{
	if (sock->file && (sock->file->f_flags & O_NONBLOCK))
		return 0;
	return secs > 0 ? (long)secs * HZ : MAX_SCHEDULE_TIMEOUT;
}

/* Milliseconds since midnight UT (the book's iptime()). */
u32 bsdinet_iptime(void)
{
	struct timespec64 ts;

	ktime_get_real_ts64(&ts);
	return (u32)((ts.tv_sec % 86400) * 1000 + ts.tv_nsec / NSEC_PER_MSEC);
}

/* The kernel's random numbers (ports, ISNs): the platform's random source. */
u32 bsdinet_random_u32(void)
{
	return get_random_u32();
}

/* Fault injection for tests: module init fails at its fail_at-th step. */
static int fail_at;
module_param(fail_at, int, 0444);
MODULE_PARM_DESC(fail_at, "fail module init at this step (tests; 0: never)");

int bsdinet_fail_at(void)
{
	return fail_at;
}
