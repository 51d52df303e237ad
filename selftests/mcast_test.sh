#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# IP multicast and IGMP against Linux over a veth pair (chapters 12-13):
# a program on bsdinet joins a group and receives Linux's datagrams, and
# Linux receives bsdinet's, with IP_MULTICAST_TTL and IP_MULTICAST_LOOP
# observed; the device's multicast list (ip maddr) follows joins and
# leaves; tshark sees bsdinet's IGMP reports at join and in answer to a
# scapy querier's v2 and v1 queries, and none for 224.0.0.1; malformed
# IGMP from scapy is counted; detaching the device while a socket is in
# a group leaves no membership behind.
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
tools=$top/tools/out
. "$here/out/ktap_helpers.sh"
. "$here/lib.sh"
export PATH=$PATH:/usr/sbin:/sbin
peer=$here/out/mcast_peer

ns=bsdmc
N="ip netns exec $ns"
tmp=$(mktemp -d)
jobs_=()
cleanup() {
	for j in "${jobs_[@]}"; do killtree "$j"; done
	exec 7>&- 2>/dev/null
	ip link del mc0 2>/dev/null
	ip netns del $ns 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

maddr() { ip maddr show dev mc0 | grep -c "$1"; } # maddr MAC: 1 if on mc0's list
members() { awk -v i="$1" -v g="$2" '$1 == i && $2 == g { print $3 }' /proc/bsdinet/mcast; }
G=239.1.2.3 GMAC=01:00:5e:01:02:03

ktap_print_header
ktap_set_plan 16

ip netns add $ns || exit 1
ip link add mc0 type veth peer name mc1 netns $ns || exit 1
$N ip link set lo up && $N ip addr add 10.79.0.2/24 dev mc1 && $N ip link set mc1 up
ip link set mc0 up
"$tools/ifconfig" mc0 attach 10.79.0.1 netmask 255.255.255.0 up || exit 1
waitfor 30 grep -q '^mc0 224.0.0.1 1 ' /proc/bsdinet/mcast
mbufs0=$(counter mbuf m_mbufs)

# Everything on the wire (tcpdump starts faster than tshark), read by
# tshark at the end.
bg $N tcpdump -i mc1 -n -U -w "$tmp/mc.pcap" 2>/dev/null
waitfor 60 test -s "$tmp/mc.pcap"

check "mc0 is in 224.0.0.1 (its address joined it), not yet in $G" \
	test "$(members mc0 224.0.0.1)/$(maddr $GMAC)" = 1/0

# bsdinet joins and receives Linux's datagrams.
bg timeout 60 "$peer" recv $G 10.79.0.1 5000 3 20 >"$tmp/recv"
waitfor 30 grep -q joined "$tmp/recv"
check "ip maddr shows $GMAC on mc0 once bsdinet joined $G" test "$(maddr $GMAC)" = 1
for i in 0 1 2; do
	printf linux$i | $N socat -u - UDP4-DATAGRAM:$G:5000,ip-multicast-if=10.79.0.2
done
waitfor 30 test "$(grep -c '^got' "$tmp/recv")" = 3
sed 's/^/# /' "$tmp/recv"
check "bsdinet received Linux's 3 datagrams to $G from 10.79.0.2" \
	test "$(grep -c '^got linux[0-2] from 10.79.0.2' "$tmp/recv")" = 3
waitfor 30 test "$(maddr $GMAC)" = 0
check "the receiver left: $GMAC off mc0's list, no membership" test "$(maddr $GMAC)/$(members mc0 $G)" = 0/

# Linux receives bsdinet's, with the TTL it was given; loopback as asked.
bg $N timeout 120 "$peer" lrecv 239.1.2.4 10.79.0.2 5001 4 100 >"$tmp/linux"
waitfor 60 grep -q joined "$tmp/linux"
out=$(timeout 30 "$peer" send 239.1.2.4 10.79.0.1 5001 3 1 2; timeout 30 "$peer" send 239.1.2.4 10.79.0.1 5001 3 0 2)
printf '%s\n' "$out" | sed 's/^/# /'
check "IP_MULTICAST_LOOP 1: both came back to the sender; 0: none" \
	test "$(grep -o 'looped [0-9]*' <<<"$out" | tr '\n' ,)" = "looped 2,looped 0,"
check "getsockopt gives TTL 3, the loop flag, the interface" \
	test "$(grep -c 'ttl 3 loop [01] if 10.79.0.1' <<<"$out")" = 2
waitfor 30 test "$(grep -c ttl "$tmp/linux")" = 4
sed 's/^/# /' "$tmp/linux"
check "Linux received bsdinet's 4 datagrams with TTL 3 from 10.79.0.1" \
	test "$(grep -c '^got bsd[01] from 10.79.0.1 ttl 3$' "$tmp/linux")" = 4

# A member for the queries.
mkfifo "$tmp/hold"
"$peer" hold $G 10.79.0.1 <"$tmp/hold" >"$tmp/holdout" &
holdpid=$!
exec 7>"$tmp/hold"
waitfor 60 grep -q joined "$tmp/holdout"
check "a second member joined $G" test "$(members mc0 $G)" = 1
reports0=$(counter igmp igps_snd_reports)
# The querier: a v2 query (1 s to answer), then a v1 query (10 s), then
# malformed IGMP: too short, a bad checksum, an unknown type.
timeout 120 $N /usr/bin/python3 - <<'EOF' 2>&1 | sed 's/^/# /'
import logging, time
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, Raw, sendp
from scapy.contrib.igmp import IGMP
e = Ether(src="02:00:00:00:01:01", dst="01:00:5e:00:00:01")
ip = IP(src="10.79.0.2", dst="224.0.0.1", ttl=1, proto=2)
sendp(e / ip / IGMP(type=0x11, mrcode=10, gaddr="0.0.0.0"), iface="mc1", verbose=False)
time.sleep(2)
sendp(e / ip / IGMP(type=0x11, mrcode=0, gaddr="0.0.0.0"), iface="mc1", verbose=False)
sendp(e / ip / Raw(b"\x11\x00\xee\xff"), iface="mc1", verbose=False)
sendp(e / ip / Raw(b"\x11\x00\x00\x00\x00\x00\x00\x00"), iface="mc1", verbose=False)
sendp(e / ip / IGMP(type=0x42, mrcode=0, gaddr="0.0.0.0"), iface="mc1", verbose=False)
print("sent")
EOF
waitfor 40 test "$(counter igmp igps_snd_reports)" -ge $((reports0 + 2))
check "two queries answered with reports ($reports0 -> $(counter igmp igps_snd_reports))" \
	test "$(counter igmp igps_snd_reports)" -ge $((reports0 + 2))
s=$(for c in igps_rcv_queries igps_rcv_v2queries igps_rcv_tooshort igps_rcv_badsum igps_rcv_unknown; do
	printf '%s=%s ' $c "$(counter igmp $c)"; done)
check "IGMP counted 2 queries (1 v2), 1 short, 1 bad checksum, 1 unknown type ($s)" \
	test "$s" = "igps_rcv_queries=2 igps_rcv_v2queries=1 igps_rcv_tooshort=1 igps_rcv_badsum=1 igps_rcv_unknown=1 "

# The device goes while a socket is in the group.
"$tools/ifconfig" mc0 detach
check "detached with a member: no membership on mc0 left, $GMAC off its list" \
	test "$(grep -c '^mc0 ' /proc/bsdinet/mcast)/$(maddr $GMAC)" = 0/0
exec 7>&-
timeout 60 tail --pid=$holdpid -f /dev/null
check "the member closed: only lo0's 224.0.0.1 is left" \
	test "$(tail -n +2 /proc/bsdinet/mcast | tr '\n' ' ')" = "lo0 224.0.0.1 1 0 0 "
check "mbufs back to where they were ($mbufs0 -> $(counter mbuf m_mbufs))" \
	waitfor 30 test "$(counter mbuf m_mbufs)" -le "$mbufs0"

# What tshark saw: reports at join and after each query, from bsdinet.
sleep 1
for j in "${jobs_[@]}"; do killtree "$j"; done
jobs_=()
sleep 1
rep=$(tshark -r "$tmp/mc.pcap" -n -Y 'igmp && ip.src == 10.79.0.1' -T fields \
	-e frame.time_relative -e igmp.type -e igmp.maddr -e ip.dst -e ip.ttl 2>/dev/null)
printf '%s\n' "$rep" | sed 's/^/# /'
check "tshark: v2 reports (0x16) for $G to $G with TTL 1 (join, queries)" \
	test "$(grep -cP "\t0x16\t$G\t$G\t1$" <<<"$rep")" -ge 3
check "tshark: a v1 report (0x12) for $G after the v1 query" \
	grep -qP "\t0x12\t$G\t$G\t1$" <<<"$rep"
check "tshark: no report for 224.0.0.1" not grep -q '224\.0\.0\.1' <<<"$rep"

ktap_finished
