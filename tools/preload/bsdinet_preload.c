// SPDX-License-Identifier: GPL-2.0
/*
 * libbsdinet_preload.so: run unmodified AF_INET programs over AF_BSDINET.
 *
 *	LD_PRELOAD=tools/out/libbsdinet_preload.so prog args...
 *
 * socket(AF_INET, type, protocol) becomes socket(AF_BSDINET, type,
 * protocol); every other family passes through. On the sockets made that
 * way (and their dups), sin_family is rewritten both ways: AF_INET ->
 * AF_BSDINET in addresses going to the kernel (on a copy: the caller's
 * buffer may be const), AF_BSDINET -> AF_INET in addresses coming back (in
 * the caller's buffer, when the returned length covers sa_family), and
 * getsockopt(SOL_SOCKET, SO_DOMAIN) answers AF_INET.
 *
 * Which fds are bsdinet sockets is kept in a table indexed by fd (sized by
 * RLIMIT_NOFILE's hard limit, mapped lazily) holding one of three states:
 * unknown, bsdinet, or something else. socket(), accept(), the dup family
 * and socketpair() set it; close() and close_range() reset it to unknown;
 * an fd still unknown when an address crosses it (inherited across exec,
 * received with SCM_RIGHTS, beyond the table) is asked once with
 * getsockopt(SO_DOMAIN). A stale "unknown" costs one getsockopt; only a
 * wrong "bsdinet" or "other" could rewrite the wrong socket, and those are
 * set only right after the kernel made the fd.
 *
 * Calls through glibc's internal or "__"-prefixed names (res_send's DNS
 * sockets, __recvfrom_chk) and raw syscall() are not seen. A bad address
 * pointer faults here instead of returning EFAULT, since the family is
 * read before the call.
 *
 * Multicast routing daemons (smcroute, igmpproxy) use Linux's MRT_*
 * options (200 ...) and structures on their raw IGMP socket: setsockopt
 * and getsockopt translate them to bsdinet's (BSDINET_MRT_*, 4.4BSD's
 * vifctl and mfcctl). A vif given by Linux interface index
 * (VIFF_USE_IFINDEX) gets the address bsdinet has on the interface of
 * that name; register vifs (PIM) and MRT_TABLE and the other later
 * options are ENOPROTOOPT. Upcalls need no translation: struct igmpmsg
 * is the same.
 *
 * BSDINET_PRELOAD_DEBUG=1 prints each mapping on stderr.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/bsdinet.h>

#define EXPORT __attribute__((visibility("default")))

/* The real functions, resolved once with dlsym(RTLD_NEXT). */
#define REAL_FUNCS(X)							\
	X(socket, int, (int, int, int))					\
	X(socketpair, int, (int, int, int, int[2]))			\
	X(bind, int, (int, const struct sockaddr *, socklen_t))		\
	X(connect, int, (int, const struct sockaddr *, socklen_t))	\
	X(accept, int, (int, struct sockaddr *, socklen_t *))		\
	X(accept4, int, (int, struct sockaddr *, socklen_t *, int))	\
	X(getsockname, int, (int, struct sockaddr *, socklen_t *))	\
	X(getpeername, int, (int, struct sockaddr *, socklen_t *))	\
	X(getsockopt, int, (int, int, int, void *, socklen_t *))	\
	X(setsockopt, int, (int, int, int, const void *, socklen_t))	\
	X(sendto, ssize_t, (int, const void *, size_t, int,		\
			    const struct sockaddr *, socklen_t))	\
	X(sendmsg, ssize_t, (int, const struct msghdr *, int))		\
	X(sendmmsg, int, (int, struct mmsghdr *, unsigned int, int))	\
	X(recvfrom, ssize_t, (int, void *, size_t, int,		\
			      struct sockaddr *, socklen_t *))		\
	X(recvmsg, ssize_t, (int, struct msghdr *, int))		\
	X(recvmmsg, int, (int, struct mmsghdr *, unsigned int, int,	\
			  struct timespec *))				\
	X(dup, int, (int))						\
	X(dup2, int, (int, int))					\
	X(dup3, int, (int, int, int))					\
	X(fcntl, int, (int, int, ...))					\
	X(fcntl64, int, (int, int, ...))				\
	X(close, int, (int))						\
	X(close_range, int, (unsigned int, unsigned int, int))		\
	X(closefrom, void, (int))

#define DECLARE_REAL(name, ret, args) static ret (*real_##name) args;
REAL_FUNCS(DECLARE_REAL)

/* Per-fd state. UNKNOWN is 0, so a fresh (or reset) entry is unknown. */
enum { FD_UNKNOWN = 0, FD_OTHER = 1, FD_BSD = 2 };

static unsigned char *fd_state;	/* fd_max bytes, atomic accesses only */
static unsigned long fd_max;
static unsigned long fd_high;	/* 1 + highest fd ever recorded */
static int debug;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
	int saved = errno;

#define RESOLVE(name, ret, args) real_##name = (ret(*) args)dlsym(RTLD_NEXT, #name);
	REAL_FUNCS(RESOLVE)

	const char *d = getenv("BSDINET_PRELOAD_DEBUG");
	debug = d && *d && strcmp(d, "0") != 0;

	/* The hard limit bounds every fd the process can have, even after a
	 * setrlimit(); pages are only touched when an fd is recorded. */
	struct rlimit rl;
	unsigned long n = 1 << 16;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		n = rl.rlim_max;
		if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (1UL << 24))
			n = 1UL << 24;
		if (n < rl.rlim_cur && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur <= (1UL << 24))
			n = rl.rlim_cur;
	}
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p != MAP_FAILED) {
		fd_state = p;
		fd_max = n;
	}	/* else every fd stays unknown and is asked each time: slower, still right */
	errno = saved;
}

static inline void ensure_init(void)
{
	pthread_once(&once, init);
}

__attribute__((constructor)) static void preload_ctor(void)
{
	ensure_init();
}

static void dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void dbg(const char *fmt, ...)
{
	char buf[256];
	int saved = errno, n;
	va_list ap;

	n = snprintf(buf, sizeof(buf), "bsdinet_preload[%d]: ", (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0) {
		/* nothing to do */
	}
	errno = saved;
}
#define DBG(...) do { if (debug) dbg(__VA_ARGS__); } while (0)

static void set_state(int fd, int state)
{
	if (fd < 0 || (unsigned long)fd >= fd_max)
		return;
	__atomic_store_n(&fd_state[fd], (unsigned char)state, __ATOMIC_RELAXED);
	unsigned long high = __atomic_load_n(&fd_high, __ATOMIC_RELAXED);
	while ((unsigned long)fd >= high &&
	       !__atomic_compare_exchange_n(&fd_high, &high, (unsigned long)fd + 1, 1,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void forget(int fd)
{
	if (fd >= 0 && (unsigned long)fd < fd_max)
		__atomic_store_n(&fd_state[fd], FD_UNKNOWN, __ATOMIC_RELAXED);
}

static void forget_range(unsigned long first, unsigned long last)
{
	unsigned long high = __atomic_load_n(&fd_high, __ATOMIC_RELAXED);

	if (last >= high)
		last = high ? high - 1 : 0;
	for (unsigned long fd = first; fd <= last && fd < high; fd++)
		__atomic_store_n(&fd_state[fd], FD_UNKNOWN, __ATOMIC_RELAXED);
}

/* Is fd a bsdinet socket? An unknown fd is asked once. */
static int is_bsd(int fd)
{
	int state = FD_UNKNOWN;

	if (fd < 0)
		return 0;
	if ((unsigned long)fd < fd_max)
		state = __atomic_load_n(&fd_state[fd], __ATOMIC_RELAXED);
	if (state != FD_UNKNOWN)
		return state == FD_BSD;

	int saved = errno, domain = -1;
	socklen_t len = sizeof(domain);
	if (real_getsockopt && real_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0) {
		state = domain == AF_BSDINET ? FD_BSD : FD_OTHER;
		set_state(fd, state);
	} else if (errno == ENOTSOCK) {
		set_state(fd, FD_OTHER);
	}	/* EBADF and the rest: not recorded */
	errno = saved;
	return state == FD_BSD;
}

static void copy_state(int from, int to)
{
	int state = FD_UNKNOWN;

	if (from >= 0 && (unsigned long)from < fd_max)
		state = __atomic_load_n(&fd_state[from], __ATOMIC_RELAXED);
	if (state == FD_UNKNOWN)
		forget(to);
	else
		set_state(to, state);
	if (state == FD_BSD)
		DBG("fd %d -> fd %d: still bsdinet", from, to);
}

#define FAMILY_END (offsetof(struct sockaddr, sa_family) + sizeof(sa_family_t))

static sa_family_t get_family(const void *addr)
{
	sa_family_t f;

	memcpy(&f, (const char *)addr + offsetof(struct sockaddr, sa_family), sizeof(f));
	return f;
}

static void put_family(void *addr, sa_family_t f)
{
	memcpy((char *)addr + offsetof(struct sockaddr, sa_family), &f, sizeof(f));
}

/*
 * An address going to the kernel: if it is AF_INET on a bsdinet fd, copy
 * it into *copy with AF_BSDINET and return the copy; else return addr as
 * is. Addresses longer than sockaddr_storage pass unchanged: the kernel
 * refuses them (EINVAL) whatever their family.
 */
static const struct sockaddr *addr_in(const char *call, int fd, const struct sockaddr *addr,
				      socklen_t len, struct sockaddr_storage *copy)
{
	if (!addr || len < FAMILY_END || len > sizeof(*copy))
		return addr;
	if (get_family(addr) != AF_INET || !is_bsd(fd))
		return addr;
	memcpy(copy, addr, len);
	put_family(copy, AF_BSDINET);
	DBG("%s(%d): AF_INET -> AF_BSDINET", call, fd);
	return (const struct sockaddr *)copy;
}

/*
 * An address the kernel wrote: inlen was the buffer's size, outlen the
 * length the kernel reported; it copied min(inlen, outlen) bytes.
 */
static void addr_out(const char *call, int fd, void *addr, socklen_t inlen, socklen_t outlen)
{
	if (!addr || inlen < FAMILY_END || outlen < FAMILY_END)
		return;
	if (get_family(addr) != AF_BSDINET || !is_bsd(fd))
		return;
	put_family(addr, AF_INET);
	DBG("%s(%d): AF_BSDINET -> AF_INET", call, fd);
}

/* fds received with SCM_RIGHTS: their numbers were just allocated, so
 * whatever the table says about them is stale. */
static void received_fds(struct msghdr *msg)
{
	if (!msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr))
		return;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			forget(fd);
		}
	}
}

#define NEED(name, fail)			\
	do {					\
		ensure_init();			\
		if (!real_##name) {		\
			errno = ENOSYS;		\
			return fail;		\
		}				\
	} while (0)

static const char *type_name(int type, char buf[64])
{
	static const char *const names[] = {
		[SOCK_STREAM] = "SOCK_STREAM", [SOCK_DGRAM] = "SOCK_DGRAM",
		[SOCK_RAW] = "SOCK_RAW", [SOCK_RDM] = "SOCK_RDM",
		[SOCK_SEQPACKET] = "SOCK_SEQPACKET",
	};
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (base >= 0 && base < (int)(sizeof(names) / sizeof(names[0])) && names[base])
		snprintf(buf, 64, "%s", names[base]);
	else
		snprintf(buf, 64, "%d", base);
	if (type & SOCK_NONBLOCK)
		strcat(buf, "|SOCK_NONBLOCK");
	if (type & SOCK_CLOEXEC)
		strcat(buf, "|SOCK_CLOEXEC");
	return buf;
}

EXPORT int socket(int domain, int type, int protocol)
{
	char tbuf[64];

	NEED(socket, -1);
	if (domain != AF_INET) {
		int fd = real_socket(domain, type, protocol);
		if (fd >= 0)
			set_state(fd, FD_OTHER);
		return fd;
	}
	int fd = real_socket(AF_BSDINET, type, protocol);
	if (fd >= 0)
		set_state(fd, FD_BSD);
	DBG("socket(AF_INET, %s, %d) -> socket(AF_BSDINET) = %d%s%s", type_name(type, tbuf),
	    protocol, fd, fd < 0 ? ": " : "", fd < 0 ? strerror(errno) : "");
	return fd;
}

EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	NEED(socketpair, -1);
	int ret = real_socketpair(domain, type, protocol, sv);
	if (ret == 0) {
		set_state(sv[0], FD_OTHER);
		set_state(sv[1], FD_OTHER);
	}
	return ret;
}

EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_storage copy;

	NEED(bind, -1);
	return real_bind(fd, addr_in("bind", fd, addr, len, &copy), len);
}

EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_storage copy;

	NEED(connect, -1);
	return real_connect(fd, addr_in("connect", fd, addr, len, &copy), len);
}

EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
		      const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_storage copy;

	NEED(sendto, -1);
	return real_sendto(fd, buf, n, flags, addr_in("sendto", fd, addr, len, &copy), len);
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct sockaddr_storage copy;

	NEED(sendmsg, -1);
	if (!msg || !msg->msg_name)
		return real_sendmsg(fd, msg, flags);
	const struct sockaddr *name = addr_in("sendmsg", fd, msg->msg_name, msg->msg_namelen, &copy);
	if (name == msg->msg_name)
		return real_sendmsg(fd, msg, flags);
	struct msghdr m = *msg;
	m.msg_name = (void *)name;
	return real_sendmsg(fd, &m, flags);
}

/* sendmmsg with rewritten names goes to the kernel in chunks of copies;
 * as the kernel does, an error after some messages were sent is dropped
 * and the count returned. */
#define MMSG_CHUNK 32
#define MMSG_MAX 1024	/* UIO_MAXIOV: the kernel handles no more at once */

EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	NEED(sendmmsg, -1);
	if (!vec || vlen == 0)
		return real_sendmmsg(fd, vec, vlen, flags);
	if (vlen > MMSG_MAX)
		vlen = MMSG_MAX;	/* as the kernel does */

	int rewrite = 0;
	for (unsigned int i = 0; i < vlen && !rewrite; i++) {
		const struct msghdr *h = &vec[i].msg_hdr;
		rewrite = h->msg_name && h->msg_namelen >= FAMILY_END &&
			  h->msg_namelen <= sizeof(struct sockaddr_storage) &&
			  get_family(h->msg_name) == AF_INET;
	}
	if (!rewrite || !is_bsd(fd))
		return real_sendmmsg(fd, vec, vlen, flags);

	struct mmsghdr m[MMSG_CHUNK];
	struct sockaddr_storage names[MMSG_CHUNK];
	unsigned int done = 0;
	while (done < vlen) {
		unsigned int n = vlen - done < MMSG_CHUNK ? vlen - done : MMSG_CHUNK;
		for (unsigned int i = 0; i < n; i++) {
			const struct msghdr *h = &vec[done + i].msg_hdr;
			m[i].msg_hdr = *h;
			m[i].msg_len = 0;
			m[i].msg_hdr.msg_name = (void *)addr_in("sendmmsg", fd, h->msg_name,
								 h->msg_namelen, &names[i]);
		}
		int ret = real_sendmmsg(fd, m, n, flags);
		if (ret < 0)
			return done ? (int)done : -1;
		for (int i = 0; i < ret; i++)
			vec[done + i].msg_len = m[i].msg_len;
		done += ret;
		if ((unsigned int)ret < n)
			break;
	}
	return done;
}

static int do_accept(const char *call, int fd, struct sockaddr *addr, socklen_t *len,
		     int flags, int four)
{
	socklen_t inlen = addr && len ? *len : 0;
	int bsd = is_bsd(fd);
	int nfd = four ? real_accept4(fd, addr, len, flags) : real_accept(fd, addr, len);

	if (nfd < 0)
		return nfd;
	set_state(nfd, bsd ? FD_BSD : FD_OTHER);
	if (bsd) {
		DBG("%s(%d) = %d (bsdinet)", call, fd, nfd);
		if (addr && len)
			addr_out(call, fd, addr, inlen, *len);
	}
	return nfd;
}

EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	NEED(accept, -1);
	return do_accept("accept", fd, addr, len, 0, 0);
}

EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	NEED(accept4, -1);
	return do_accept("accept4", fd, addr, len, flags, 1);
}

EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	NEED(getsockname, -1);
	socklen_t inlen = addr && len ? *len : 0;
	int ret = real_getsockname(fd, addr, len);
	if (ret == 0 && len)
		addr_out("getsockname", fd, addr, inlen, *len);
	return ret;
}

EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	NEED(getpeername, -1);
	socklen_t inlen = addr && len ? *len : 0;
	int ret = real_getpeername(fd, addr, len);
	if (ret == 0 && len)
		addr_out("getpeername", fd, addr, inlen, *len);
	return ret;
}

/* Linux's multicast routing options (<linux/mroute.h>). */
#define LINUX_MRT_INIT		200
#define LINUX_MRT_DONE		201
#define LINUX_MRT_ADD_VIF	202
#define LINUX_MRT_DEL_VIF	203
#define LINUX_MRT_ADD_MFC	204
#define LINUX_MRT_DEL_MFC	205
#define LINUX_MRT_VERSION	206
#define LINUX_MRT_ASSERT	207
#define LINUX_MRT_MAX		215
#define LINUX_VIFF_TUNNEL	0x1
#define LINUX_VIFF_REGISTER	0x4
#define LINUX_VIFF_USE_IFINDEX	0x8

struct linux_vifctl {
	unsigned short vifc_vifi;
	unsigned char vifc_flags;
	unsigned char vifc_threshold;
	unsigned int vifc_rate_limit;
	union {
		uint32_t vifc_lcl_addr;
		int vifc_lcl_ifindex;
	};
	uint32_t vifc_rmt_addr;
};

/* Linux's struct mfcctl starts as 4.4BSD's: origin, group, parent, ttls. */
#define LINUX_MFCCTL_HEAD 42

/* bsdinet's address on the interface whose Linux index is @ifindex. */
static int ifindex_addr(int fd, int ifindex, uint32_t *addr)
{
	struct bsdinet_ifreq r;
	char name[IF_NAMESIZE];

	if (!if_indextoname(ifindex, name))
		return -1;
	memset(&r, 0, sizeof(r));
	snprintf(r.bifr_name, sizeof(r.bifr_name), "%s", name);
	if (ioctl(fd, BSDINET_SIOCGIFADDR, &r) < 0)
		return -1;
	memcpy(addr, (char *)&r.bifr_addr + 4, 4);
	return 0;
}

/* setsockopt of a Linux MRT_* option on a bsdinet socket. */
static int mrt_setsockopt(int fd, int name, const void *val, socklen_t len)
{
	struct bsdinet_vifctl vc;
	struct bsdinet_mfcctl mc;
	struct linux_vifctl lv;

	switch (name) {
	case LINUX_MRT_INIT:
	case LINUX_MRT_DONE:
	case LINUX_MRT_ASSERT:
		DBG("setsockopt(%d, MRT %d) -> BSDINET_MRT %d", fd, name, name - 200 + BSDINET_MRT_INIT);
		return real_setsockopt(fd, IPPROTO_IP, name - 200 + BSDINET_MRT_INIT, val, len);
	case LINUX_MRT_ADD_VIF:
	case LINUX_MRT_DEL_VIF:
		if (!val || len < sizeof(lv)) {
			errno = EINVAL;
			return -1;
		}
		memcpy(&lv, val, sizeof(lv));
		if (lv.vifc_flags & LINUX_VIFF_REGISTER) {
			errno = EOPNOTSUPP;
			return -1;
		}
		memset(&vc, 0, sizeof(vc));
		vc.vifc_vifi = lv.vifc_vifi;
		vc.vifc_flags = lv.vifc_flags & LINUX_VIFF_TUNNEL ? BSDINET_VIFF_TUNNEL : 0;
		vc.vifc_threshold = lv.vifc_threshold;
		vc.vifc_rmt_addr = lv.vifc_rmt_addr;
		vc.vifc_lcl_addr = lv.vifc_lcl_addr;
		if ((lv.vifc_flags & LINUX_VIFF_USE_IFINDEX) && name == LINUX_MRT_ADD_VIF &&
		    ifindex_addr(fd, lv.vifc_lcl_ifindex, &vc.vifc_lcl_addr) < 0) {
			errno = EADDRNOTAVAIL;
			return -1;
		}
		DBG("setsockopt(%d, MRT %s_VIF %u) -> bsdinet vifctl", fd,
		    name == LINUX_MRT_ADD_VIF ? "ADD" : "DEL", vc.vifc_vifi);
		return real_setsockopt(fd, IPPROTO_IP, name - 200 + BSDINET_MRT_INIT, &vc, sizeof(vc));
	case LINUX_MRT_ADD_MFC:
	case LINUX_MRT_DEL_MFC:
		if (!val || len < LINUX_MFCCTL_HEAD) {
			errno = EINVAL;
			return -1;
		}
		memset(&mc, 0, sizeof(mc));
		memcpy(&mc, val, LINUX_MFCCTL_HEAD);
		DBG("setsockopt(%d, MRT %s_MFC) -> bsdinet mfcctl", fd,
		    name == LINUX_MRT_ADD_MFC ? "ADD" : "DEL");
		return real_setsockopt(fd, IPPROTO_IP, name - 200 + BSDINET_MRT_INIT, &mc, sizeof(mc));
	default:
		DBG("setsockopt(%d, MRT %d): not in bsdinet", fd, name);
		errno = ENOPROTOOPT;
		return -1;
	}
}

EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	NEED(setsockopt, -1);
	if (level == IPPROTO_IP && name >= LINUX_MRT_INIT && name <= LINUX_MRT_MAX && is_bsd(fd))
		return mrt_setsockopt(fd, name, val, len);
	return real_setsockopt(fd, level, name, val, len);
}

EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	NEED(getsockopt, -1);
	if (level == IPPROTO_IP && name >= LINUX_MRT_INIT && name <= LINUX_MRT_MAX && is_bsd(fd)) {
		if (name != LINUX_MRT_VERSION && name != LINUX_MRT_ASSERT) {
			errno = ENOPROTOOPT;
			return -1;
		}
		return real_getsockopt(fd, level, name - 200 + BSDINET_MRT_INIT, val, len);
	}
	int ret = real_getsockopt(fd, level, name, val, len);
	if (ret == 0 && level == SOL_SOCKET && name == SO_DOMAIN && val && len &&
	    *len >= sizeof(int)) {
		int domain;

		memcpy(&domain, val, sizeof(domain));
		if (domain == AF_BSDINET) {
			set_state(fd, FD_BSD);
			domain = AF_INET;
			memcpy(val, &domain, sizeof(domain));
			DBG("getsockopt(%d, SO_DOMAIN): AF_BSDINET -> AF_INET", fd);
		}
	}
	return ret;
}

EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags,
			struct sockaddr *addr, socklen_t *len)
{
	NEED(recvfrom, -1);
	socklen_t inlen = addr && len ? *len : 0;
	ssize_t ret = real_recvfrom(fd, buf, n, flags, addr, len);
	if (ret >= 0 && addr && len)
		addr_out("recvfrom", fd, addr, inlen, *len);
	return ret;
}

EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	NEED(recvmsg, -1);
	socklen_t inlen = msg && msg->msg_name ? msg->msg_namelen : 0;
	ssize_t ret = real_recvmsg(fd, msg, flags);
	if (ret >= 0 && msg) {
		addr_out("recvmsg", fd, msg->msg_name, inlen, msg->msg_namelen);
		received_fds(msg);
	}
	return ret;
}

EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
		    struct timespec *timeout)
{
	socklen_t inlen[MMSG_MAX];
	unsigned int n = vlen < MMSG_MAX ? vlen : MMSG_MAX;

	NEED(recvmmsg, -1);
	for (unsigned int i = 0; vec && i < n; i++)
		inlen[i] = vec[i].msg_hdr.msg_name ? vec[i].msg_hdr.msg_namelen : 0;
	int ret = real_recvmmsg(fd, vec, vlen, flags, timeout);
	for (int i = 0; i < ret && (unsigned int)i < n; i++) {
		addr_out("recvmmsg", fd, vec[i].msg_hdr.msg_name, inlen[i],
			 vec[i].msg_hdr.msg_namelen);
		received_fds(&vec[i].msg_hdr);
	}
	return ret;
}

EXPORT int dup(int fd)
{
	NEED(dup, -1);
	int nfd = real_dup(fd);
	if (nfd >= 0)
		copy_state(fd, nfd);
	return nfd;
}

EXPORT int dup2(int fd, int nfd)
{
	NEED(dup2, -1);
	int ret = real_dup2(fd, nfd);
	if (ret >= 0 && ret != fd)
		copy_state(fd, ret);
	return ret;
}

EXPORT int dup3(int fd, int nfd, int flags)
{
	NEED(dup3, -1);
	int ret = real_dup3(fd, nfd, flags);
	if (ret >= 0)
		copy_state(fd, ret);
	return ret;
}

/* Every fcntl command takes no argument, an int or a pointer; like glibc's
 * own fcntl, pass on whatever is in the argument's slot. */
static int do_fcntl(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
	int ret = real(fd, cmd, arg);

	if (ret >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		copy_state(fd, ret);
	return ret;
}

EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;

	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	NEED(fcntl, -1);
	return do_fcntl(real_fcntl, fd, cmd, arg);
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;

	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	NEED(fcntl64, -1);
	return do_fcntl(real_fcntl64, fd, cmd, arg);
}

/* Forget before closing: once the kernel frees the number, another thread
 * may get it and record it. */
EXPORT int close(int fd)
{
	NEED(close, -1);
	forget(fd);
	return real_close(fd);
}

EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	NEED(close_range, -1);
	if (!(flags & CLOSE_RANGE_CLOEXEC))
		forget_range(first, last);
	return real_close_range(first, last, flags);
}

EXPORT void closefrom(int first)
{
	ensure_init();
	if (first >= 0)
		forget_range(first, ~0UL);
	if (real_closefrom)
		real_closefrom(first);
}
