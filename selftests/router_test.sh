#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bsdinet as a router between two Linux network namespaces, each on a
# veth pair whose root-namespace end is attached to bsdinet:
#
#   left (Linux, 10.1.0.2) --veth-- [vl0 bsdinet vr0] --veth MTU 576-- right (Linux, 10.2.0.2)
#
# Ping and UDP (socat) across it, traceroute seeing its time exceeded,
# fragmentation onto the 576-byte link and "fragmentation needed" for DF,
# a redirect when one is due, a capture read by tshark with no malformed
# frame and no bad checksum, and a storm of malformed frames from scapy,
# each dropped and counted.
here=$(cd "$(dirname "$0")" && pwd)
tools=$(dirname "$here")/tools/out
. "$here/out/ktap_helpers.sh"
. "$here/lib.sh"
export PATH=$PATH:/usr/sbin:/sbin

L="ip netns exec bl"
R="ip netns exec br"
cleanup() {
	[ -n "${cap:-}" ] && kill "$cap" 2>/dev/null
	"$tools/ifconfig" vl0 detach 2>/dev/null
	"$tools/ifconfig" vr0 detach 2>/dev/null
	ip link del vl0 2>/dev/null
	ip link del vr0 2>/dev/null
	ip netns del bl 2>/dev/null
	ip netns del br 2>/dev/null
	sysctl -qw net.bsdinet.ip.forwarding=0
}
trap cleanup EXIT

ktap_print_header
ktap_set_plan 17

ip netns add bl && ip netns add br || exit 1
ip link add vl0 type veth peer name vl1 netns bl
ip link add vr0 mtu 576 type veth peer name vr1 mtu 576 netns br
ip link set vl0 up && ip link set vr0 up
$L ip link set lo up && $L ip addr add 10.1.0.2/24 dev vl1 && $L ip link set vl1 up
$R ip link set lo up && $R ip addr add 10.2.0.2/24 dev vr1 && $R ip link set vr1 up
$L ip route add default via 10.1.0.1
$R ip route add default via 10.2.0.1
"$tools/ifconfig" vl0 attach && "$tools/ifconfig" vl0 10.1.0.1 netmask 255.255.255.0 up &&
	"$tools/ifconfig" vr0 attach && "$tools/ifconfig" vr0 10.2.0.1 netmask 255.255.255.0 up
check "two veths attached and configured" test $? = 0

tcpdump -q -i vl0 -w /tmp/bsdinet-router.pcap -U 2>/dev/null &
cap=$!
sleep 1

# A host does not forward: forwarding is off by default.
check "forwarding off: no ping across" not $L ping -c 1 -W 2 10.2.0.2
check "... and counted in ips_cantforward" test "$(counter ip ips_cantforward)" -ge 1
sysctl -qw net.bsdinet.ip.forwarding=1
check "sysctl net.bsdinet.ip.forwarding=1" test "$(sysctl -n net.bsdinet.ip.forwarding)" = 1

out=$($L ping -c 3 -W 3 10.2.0.2 2>&1)
printf '%s\n' "$out" | tail -n 2 | sed 's/^/# /'
check "Linux pings Linux across bsdinet" grep -q ' 0% packet loss' <<<"$out"

$R socat -u UDP-RECV:9000 OPEN:/tmp/bsdinet-udp.out,creat,trunc &
rcv=$!
sleep 1
echo "across the router" | $L socat -u - UDP:10.2.0.2:9000
sleep 1
kill $rcv 2>/dev/null
check "UDP with socat across bsdinet" grep -q 'across the router' /tmp/bsdinet-udp.out

# UDP between bsdinet itself and Linux, both ways, with Debian's socat
# on bsdinet's side running over AF_BSDINET through the LD_PRELOAD library.
pre="env LD_PRELOAD=$tools/libbsdinet_preload.so"
$pre socat -u UDP4-RECV:9100 OPEN:/tmp/bsdinet-udp1.out,creat,trunc &
rcv=$!
sleep 1
echo "from Linux to bsdinet" | $L socat -u - UDP4:10.1.0.1:9100
$L socat -u UDP4-RECV:9101 OPEN:/tmp/bsdinet-udp2.out,creat,trunc &
rcv2=$!
sleep 1
echo "from bsdinet to Linux" | $pre socat -u - UDP4:10.1.0.2:9101
sleep 1
kill $rcv $rcv2 2>/dev/null
both() { grep -q 'from Linux to bsdinet' /tmp/bsdinet-udp1.out &&
	grep -q 'from bsdinet to Linux' /tmp/bsdinet-udp2.out; }
check "UDP both ways between socat on bsdinet (LD_PRELOAD) and socat on Linux" both

out=$($L traceroute -n -q 1 -w 2 10.2.0.2 2>&1)
printf '%s\n' "$out" | sed 's/^/# /'
check "traceroute sees bsdinet's time exceeded (hop 1 10.1.0.1)" grep -qE '^ 1  10\.1\.0\.1 ' <<<"$out"

frag=$(counter ip ips_fragmented)
out=$($L ping -c 2 -W 3 -s 1200 -M dont 10.2.0.2 2>&1)
check "1228-byte datagrams fragmented onto the 576-byte link" \
	test "$(grep -c ' 0% packet loss' <<<"$out")" = 1 -a "$(counter ip ips_fragmented)" -gt "$frag"

out=$($L ping -c 1 -W 3 -s 1200 -M do 10.2.0.2 2>&1)
printf '%s\n' "$out" | grep -i mtu | head -n 2 | sed 's/^/# /'
check "DF: fragmentation needed, with the next hop's MTU 576" grep -q 'mtu = 576' <<<"$out"

# A redirect: bsdinet routes 10.3.0.0/24 through 10.1.0.3, which is on
# the left link (a second address of the left host), so a datagram from
# the left host leaves by the interface it came in on.
$L ip addr add 10.1.0.3/24 dev vl1
"$tools/route" add -net 10.3.0.0 -netmask 255.255.255.0 10.1.0.3 >/dev/null 2>&1 ||
	echo "# (no route tool: the redirect check below fails)"
red=$(counter ip ips_redirectsent)
$L ping -c 1 -W 2 10.3.0.5 >/dev/null 2>&1
check "ICMP redirect sent when the datagram goes back out (ips_redirectsent)" \
	test "$(counter ip ips_redirectsent)" -gt "$red"

sleep 1
kill $cap 2>/dev/null
wait $cap 2>/dev/null
cap=
# Linux's side of a veth leaves UDP checksums to the receiver (checksum
# offload), so the capture shows them unfinished in Linux's frames: the
# checksums checked are those of frames bsdinet sent (and udps_badsum
# shows bsdinet found none bad in Linux's).
mac=$(cat /sys/class/net/vl0/address)
n=$(tshark -r /tmp/bsdinet-router.pcap 2>/dev/null | wc -l)
ours=$(tshark -r /tmp/bsdinet-router.pcap -Y "eth.src == $mac" 2>/dev/null | wc -l)
bad=$(tshark -r /tmp/bsdinet-router.pcap -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
	-o icmp.check_checksum:TRUE -Y "_ws.malformed || (eth.src == $mac && (ip.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\"))" \
	2>/dev/null)
printf '%s\n' "$bad" | head -n 5 | sed 's/^/# /'
# (Linux ignores this redirect: the new gateway is one of its own
# addresses. The capture shows what bsdinet sent.)
redir=$(tshark -r /tmp/bsdinet-router.pcap -Y 'icmp.type == 5 && icmp.code == 1 && icmp.redir_gw == 10.1.0.3' 2>/dev/null | wc -l)
check "the redirect on the wire: host 10.3.0.5, gateway 10.1.0.3 ($redir)" test "$redir" -ge 1
check "tshark: $n frames ($ours from bsdinet), none malformed, no bad checksum from bsdinet" \
	test "$n" -gt 20 -a "$ours" -gt 10 -a -z "$bad" -a "$(counter udp udps_badsum)" = 0

# The storm: malformed frames at bsdinet, each dropped and counted.
before_ip=$(cat /proc/bsdinet/ip)
before_arp=$(counter arp dropped)
$L /usr/bin/python3 "$here/storm.py" vl1 10.1.0.1 "$(cat /sys/class/net/vl0/address)" >/tmp/bsdinet-storm.out 2>&1
check "scapy sent the storm" test $? = 0
sed 's/^/# /' /tmp/bsdinet-storm.out | tail -n 3
after() { sed -n "s/^$1 //p" /proc/bsdinet/ip; }
before() { sed -n "s/^$1 //p" <<<"$before_ip"; }
grew=1
for c in ips_badsum ips_badhlen ips_badlen ips_tooshort ips_badoptions ips_badvers ips_fragments; do
	if [ "$(after $c)" -le "$(before $c)" ]; then
		echo "# $c did not grow: $(before $c) -> $(after $c)"
		grew=0
	fi
done
check "every malformed kind counted (ips_badsum, badhlen, badlen, tooshort, badoptions, badvers)" test $grew = 1
check "malformed ARP counted (arp dropped)" test "$(counter arp dropped)" -gt "$before_arp"
out=$($L ping -c 1 -W 3 10.1.0.1 2>&1)
check "bsdinet still answers after the storm" grep -q ' 0% packet loss' <<<"$out"

ktap_finished
