#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Linux network devices attached to bsdinet at run time (ifconfig DEV
# attach / detach): a veth pair whose other end is Linux's stack in a
# network namespace, pinging both ways with ARP, and UDP whose checksum
# or segmentation Linux left to the device; the errors of attach and
# detach; a tun device carrying bare IP; the device following Linux's
# link state, MTU and name; and detaching by ioctl, by a move to another
# namespace, by the device's removal during a ping flood and by rmmod,
# leaving nothing behind.
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
tools=$top/tools/out
. "$here/out/ktap_helpers.sh"
. "$here/lib.sh"
export PATH=$PATH:/usr/sbin:/sbin

running() { # running IF: IFF_RUNNING (0x40) set
	local f
	f=$(iffield "$1" flags)
	[ -n "$f" ] && (( f & 0x40 ))
}
# errof ARGS...: ifconfig's message for a command that must fail
errof() { "$tools/ifconfig" "$@" 2>&1 && echo "(succeeded)"; }

ns=bsdeth
N="ip netns exec $ns"
cleanup() {
	[ -n "${flood:-}" ] && kill $flood 2>/dev/null
	[ -n "${cap:-}" ] && kill "$cap" 2>/dev/null
	for d in be0 be2 bt0 bm0; do ip link del "$d" 2>/dev/null; done
	ip netns del $ns 2>/dev/null
	ip netns del bsdeth2 2>/dev/null
}
trap cleanup EXIT

ktap_print_header
ktap_set_plan 24

ip netns add $ns || exit 1
ip link add be0 type veth peer name be1 netns $ns || exit 1
$N ip link set lo up && $N ip addr add 10.77.0.2/24 dev be1 && $N ip link set be1 up
ip link set be0 up
mac=$(cat /sys/class/net/be0/address)
peermac=$($N cat /sys/class/net/be1/address)
mbufs0=$(counter mbuf m_mbufs) clusters0=$(counter mbuf m_clusters)

# The README's one line: attach, address, up.
"$tools/ifconfig" be0 attach 10.77.0.1 netmask 255.255.255.0 up
check "ifconfig be0 attach 10.77.0.1 netmask 255.255.255.0 up (one line)" test $? = 0
waitfor 5 running be0
out=$("$tools/ifconfig" be0)
printf '%s\n' "$out" | sed 's/^/# /'
check "be0 is an Ethernet: up, broadcast, running, mtu 1500, 10.77.0.1" grep -qzE \
	'be0: flags=[0-9a-f]+<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500.*inet 10\.77\.0\.1 netmask 0xffffff00 broadcast 10\.77\.0\.255' <<<"$out"
check "ifconfig be0 shows its Ethernet address ($mac)" grep -q "ether $mac" <<<"$out"

# Errors.
err=$(errof be0 attach)
check "attach again: EEXIST ($err)" grep -q 'File exists' <<<"$err"
err=$(errof nosuchdev attach)
check "attach of no device: ENODEV ($err)" grep -q 'No such device$' <<<"$err"
err=$(errof lo attach)
check "attach of Linux's lo: EOPNOTSUPP ($err)" grep -q 'Operation not supported' <<<"$err"
err="$(errof lo0 detach); $(errof nosuchif detach)"
check "detach of lo0: EOPNOTSUPP, of no interface: ENXIO ($err)" \
	grep -qz 'Operation not supported.*No such device or address' <<<"$err"
err=$(setpriv --bounding-set=-net_admin "$tools/ifconfig" be0 detach 2>&1 && echo "(succeeded)")
err2=$(setpriv --bounding-set=-net_admin "$tools/ifconfig" be0 attach 2>&1 && echo "(succeeded)")
check "detach and attach without CAP_NET_ADMIN: EPERM ($err; $err2)" \
	test "$(printf '%s\n' "$err" "$err2" | grep -c 'Operation not permitted')" = 2

# Traffic both ways, with ARP.
out=$($N ping -c 3 -i 0.2 -W 3 10.77.0.1 2>&1)
printf '%s\n' "$out" | tail -n 2 | sed 's/^/# /'
check "Linux pings bsdinet" grep -q ' 0% packet loss' <<<"$out"
out=$("$tools/ping" -c 3 -i 0.2 10.77.0.2 2>&1)
printf '%s\n' "$out" | tail -n 2 | sed 's/^/# /'
check "bsdinet pings Linux" grep -q '3 packets received' <<<"$out"
out=$(ip -n $ns neigh show 10.77.0.1)
echo "# $out"
check "Linux's ARP table has bsdinet's address" grep -q "lladdr $mac" <<<"$out"
out=$(grep ' be0$' /proc/bsdinet/route)
printf '%s\n' "$out" | sed 's/^/# /'
arp_entry() { # a route to 10.77.0.2 at $peermac with RTF_LLINFO (0x400)
	local dst mask gw flags rest
	while read -r dst mask gw flags rest; do
		[ "$dst $gw" = "10.77.0.2 $peermac" ] && ((flags & 0x400)) && return 0
	done <<<"$out"
	return 1
}
check "/proc/bsdinet/route has the ARP entry (RTF_LLINFO) for 10.77.0.2 at $peermac" arp_entry

# UDP from Linux: its checksum left to the device (veth), and a GSO
# datagram (UDP_SEGMENT) that arrives whole and is cut up on the way in.
tcpdump -q -i be0 -U -w /tmp/bsdinet-gso.pcap udp port 9000 2>/dev/null &
cap=$!
coproc UDP {
	exec env LD_PRELOAD="$tools/libbsdinet_preload.so" /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.1", 9000))
s.settimeout(90)  # python starts slowly in the VM
print("ready", flush=True)
got = []
try:
    while len(got) < 4:
        d = s.recv(65535)
        got.append("%d%s" % (len(d), "" if len(set(d)) == 1 else "?"))
except socket.timeout:
    pass
print(" ".join(got), flush=True)'
}
# Bash drops UDP and UDP_PID once it has exited: keep them.
udppid=$UDP_PID
exec {udpout}<&"${UDP[0]}"
read -r -t 120 ready <&$udpout
waitfor 10 test -s /tmp/bsdinet-gso.pcap
sleep 1
badsum0=$(counter udp udps_badsum)
$N /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"x" * 100, ("10.77.0.1", 9000))
s.setsockopt(socket.SOL_UDP, 103, 1000)  # UDP_SEGMENT
s.sendto(b"y" * 3000, ("10.77.0.1", 9000))'
read -r -t 120 got <&$udpout
exec {udpout}<&-
wait "$udppid"
sleep 1
kill -INT $cap
wait $cap
cap=
big=$(tcpdump -r /tmp/bsdinet-gso.pcap -nn 'greater 2000' 2>/dev/null | wc -l)
rm -f /tmp/bsdinet-gso.pcap
check "UDP from Linux: 100, then 3000 bytes in 3 GSO segments ($ready: $got; $big frame of 3000 on the wire)" \
	test "$got $big" = "100 1000 1000 1000 1" -a "$(counter udp udps_badsum)" = "$badsum0"

# The device's state follows Linux's.
ip link set be0 mtu 1400
mtu=$(iffield be0 mtu)
ip link set be0 address 02:42:00:00:00:01
ether=$("$tools/ifconfig" be0 | sed -n 's/^\tether //p')
ip link set be0 address "$mac"
ip link set be0 down
waitfor 5 eval '! running be0'
down=$?
ip link set be0 name be9 && ip link set be9 up
waitfor 5 running be9
up=$?
renamed=$(iffield be9 index)
ip link set be9 down && ip link set be9 name be0 && ip link set be0 up
waitfor 5 running be0
check "MTU ($mtu), address ($ether), link down ($down) and up ($up), name (be9: index $renamed) follow Linux" \
	test "$mtu $ether $down $up" = "1400 02:42:00:00:00:01 0 0" -a -n "$renamed"
ip link set be0 mtu 1500

# A tun device: bare IPv4, point to point. python3 holds the tun and
# sends an echo request; bsdinet's reply comes back through the tun.
ip tuntap add dev bt0 mode tun && ip link set bt0 up &&
	"$tools/ifconfig" bt0 attach && "$tools/ifconfig" bt0 10.78.0.1 dest 10.78.0.2 up
out=$("$tools/ifconfig" bt0)
printf '%s\n' "$out" | sed 's/^/# /'
check "a tun device attaches as a point-to-point interface" grep -qzE \
	'bt0: flags=[0-9a-f]+<UP,POINTOPOINT,NOARP,MULTICAST> mtu 1500.*inet 10\.78\.0\.1 .*--> 10\.78\.0\.2' <<<"$out"
out=$(timeout 120 /usr/bin/python3 - <<'EOF' 2>&1
import fcntl, os, select, struct, subprocess, time
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
fd = os.open('/dev/net/tun', os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', b'bt0', 0x0001 | 0x1000))  # TUNSETIFF, IFF_TUN|IFF_NO_PI
# Carrier is on now; wait until bsdinet's interface is running.
for _ in range(50):
    rows = [l.split() for l in open('/proc/bsdinet/if')]
    if any(r[0] == 'bt0' and int(r[3], 16) & 0x40 for r in rows[1:]): break
    time.sleep(0.1)
icmp = struct.pack('!BBHHH', 8, 0, 0, 0x4242, 1) + b'through the tun'
icmp = icmp[:2] + struct.pack('!H', csum(icmp)) + icmp[4:]
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(icmp), 7, 0, 64, 1, 0,
                 bytes([10, 78, 0, 2]), bytes([10, 78, 0, 1]))
ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
os.write(fd, ip + icmp)
end = time.time() + 10
while time.time() < end:
    if not select.select([fd], [], [], 1)[0]: continue
    p = os.read(fd, 2000)
    if p[0] >> 4 == 4 and p[9] == 1 and p[20] == 0 and p[12:16] == bytes([10, 78, 0, 1]) \
            and p[24:26] == b'\x42\x42' and p.endswith(b'through the tun'):
        print('echo reply from 10.78.0.1'); break
    print('other packet', p[:24].hex())
EOF
)
printf '%s\n' "$out" | sed 's/^/# /'
check "an echo request written to the tun gets bsdinet's reply" grep -q '^echo reply from 10.78.0.1$' <<<"$out"
"$tools/ifconfig" bt0 detach
check "ifconfig bt0 detach" test $? = 0 -a -z "$(iffield bt0 index)"
ip link del bt0

# Detach by ioctl, attach again: Linux's stack gets its frames back meanwhile.
"$tools/ifconfig" be0 detach
gone=$(grep -c ' be0$' /proc/bsdinet/route)
"$tools/ifconfig" be0 attach && "$tools/ifconfig" be0 10.77.0.1 netmask 255.255.255.0 up
waitfor 5 running be0
out=$($N ping -c 1 -W 3 10.77.0.1 2>&1)
check "detach ($gone routes left), attach again, and ping" \
	test "$gone" = 0 -a -n "$(grep ' 0% packet loss' <<<"$out")"

# A device that moves to another namespace is detached.
ip link add bm0 type veth peer name bm1 netns $ns && ip link set bm0 up &&
	"$tools/ifconfig" bm0 attach && ip netns add bsdeth2 && ip link set bm0 netns bsdeth2
check "a device moved to another namespace is detached" \
	test $? = 0 -a -z "$(iffield bm0 index)" -a -z "$(grep ' bm0$' /proc/bsdinet/route)"
ip netns del bsdeth2

# Attach and detach, then Linux deletes the veth, while flooded from the
# namespace.
$N ping -f -s 1000 10.77.0.1 >/dev/null 2>&1 &
flood=$!
$N ping -f -s 3000 10.77.0.1 >/dev/null 2>&1 &
flood="$flood $!"
sleep 2
ok=1
for i in $(seq 10); do
	"$tools/ifconfig" be0 detach && "$tools/ifconfig" be0 attach &&
		"$tools/ifconfig" be0 10.77.0.1 netmask 255.255.255.0 up || { ok=0; break; }
done
check "10 detach and attach cycles during a ping flood" test $ok = 1
waitfor 5 running be0
sleep 3
in0=$(iffield be0 ipackets)
timeout 30 ip link del be0
rc=$?
kill $flood 2>/dev/null
wait $flood 2>/dev/null
flood=
echo "# the flood brought $in0 packets in"
check "ip link del be0 during a ping flood ($rc; $in0 packets in)" test "$rc" = 0 -a "${in0:-0}" -gt 100
out=$("$tools/ifconfig" -a)
printf '%s\n' "$out" | sed 's/^/# /'
check "be0 is gone from ifconfig -a, /proc/bsdinet/if and route" \
	test -z "$(grep be0 <<<"$out")$(iffield be0 index)$(grep ' be0$' /proc/bsdinet/route)"
mbufs=$(counter mbuf m_mbufs) clusters=$(counter mbuf m_clusters)
check "mbufs and clusters back where they were ($mbufs0/$clusters0 -> $mbufs/$clusters)" \
	test "$mbufs/$clusters" = "$mbufs0/$clusters0"

# rmmod, flooded, detaches every device; the device is Linux's again.
ip link add be2 type veth peer name be3 netns $ns && ip link set be2 up &&
	$N ip addr add 10.79.0.2/24 dev be3 && $N ip link set be3 up &&
	"$tools/ifconfig" be2 attach && "$tools/ifconfig" be2 10.79.0.1 netmask 255.255.255.0 up
waitfor 5 running be2
$N ping -f -s 1000 10.79.0.1 >/dev/null 2>&1 &
flood=$!
sleep 2
inr=$(iffield be2 ipackets)
rmmod bsdinet
rc=$?
kill $flood 2>/dev/null
wait $flood 2>/dev/null
flood=
insmod "$top/bsdinet.ko"
"$tools/ifconfig" be2 attach && "$tools/ifconfig" be2 detach && timeout 30 ip link del be2
check "rmmod with be2 attached and flooded ($inr in); after insmod it attaches again, and goes ($rc $?)" \
	test "$rc $?" = "0 0" -a "${inr:-0}" -gt 50

ktap_finished
