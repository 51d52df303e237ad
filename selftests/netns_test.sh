#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# One bsdinet stack per network namespace: two namespaces, each with its
# own stack, joined by a veth pair; ping and UDP both ways between the
# two stacks; each namespace's lo0, interfaces, netstat -i, statistics
# and sysctls its own; a device moved to another namespace detached;
# `ip netns del` with a device attached and no socket tears the stack
# down, and with a socket open the stack lives (and works) until the
# socket's process exits; rmmod with namespaces alive, a fresh stack in
# each after insmod, and kmemleak clean once they came and went.
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
tools=$top/tools/out
. "$here/out/ktap_helpers.sh"
. "$here/lib.sh"
export PATH=$PATH:/usr/sbin:/sbin

A="ip netns exec bsdns1"
B="ip netns exec bsdns2"
cleanup() {
	[ -n "${holdpid:-}" ] && kill "$holdpid" 2>/dev/null
	[ -n "${srv:-}" ] && kill "$srv" 2>/dev/null
	for n in bsdns1 bsdns2 bsdns3 bsdns4; do ip netns del $n 2>/dev/null; done
	ip link del bn0 2>/dev/null
	grep -q '^bsdinet ' /proc/modules || insmod "$top/bsdinet.ko"
}
trap cleanup EXIT
# nscounter NS FILE NAME: a counter of /proc/bsdinet/FILE in namespace NS
nscounter() { ip netns exec "$1" sed -n "s/^$3 //p" "/proc/bsdinet/$2"; }
nsif() { ip netns exec "$1" awk 'NR > 1 { print $1 }' /proc/bsdinet/if | sort | tr '\n' ' '; }

ktap_print_header
ktap_set_plan 22

ip netns add bsdns1 && ip netns add bsdns2 &&
	ip -n bsdns1 link add va type veth peer name vb netns bsdns2 &&
	ip -n bsdns1 link set va up && ip -n bsdns2 link set vb up || exit 1

# /proc/bsdinet is the namespace's own.
link=$(readlink /proc/bsdinet)
check "/proc/bsdinet is a symlink to /proc/net/bsdinet ($link)" \
	test -d /proc/net/bsdinet -a "${link#/proc/}" = net/bsdinet
out=$($A "$tools/ifconfig" lo0 2>&1)
printf '%s\n' "$out" | sed 's/^/# bsdns1: /'
check "a new namespace has its own lo0 with 127.0.0.1/8" grep -qzE \
	'lo0: flags=[0-9a-f]+<UP,LOOPBACK,MULTICAST>.*inet 127\.0\.0\.1 netmask 0xff000000' <<<"$out"

$A "$tools/ifconfig" va attach 10.88.0.1 netmask 255.255.255.0 up &&
	$B "$tools/ifconfig" vb attach 10.88.0.2 netmask 255.255.255.0 up
check "each namespace attaches its end of the veth pair" test $? = 0
ifs="$(nsif bsdns1)/ $(nsif bsdns2)/ $(awk 'NR > 1 { print $1 }' /proc/bsdinet/if | grep -c '^v[ab]$')"
check "each stack has its own interfaces ($ifs)" test "$ifs" = "lo0 va / lo0 vb / 0"
err=$("$tools/ifconfig" va attach 2>&1 && echo "(succeeded)")
check "the initial namespace cannot attach bsdns1's device ($err)" grep -q 'No such device$' <<<"$err"

# Traffic between the two stacks.
va_running() { local f; f=$($A awk '$1 == "va" { print $4 }' /proc/bsdinet/if); [ -n "$f" ] && (( f & 0x40 )); }
waitfor 5 va_running
total0=$(counter ip ips_total)
b0=$(nscounter bsdns2 ip ips_total)
out=$($A "$tools/ping" -c 3 -i 0.2 10.88.0.2 2>&1)
printf '%s\n' "$out" | tail -n 2 | sed 's/^/# /'
check "bsdns1's bsdinet pings bsdns2's bsdinet" grep -q '3 packets received' <<<"$out"
out=$($B "$tools/ping" -c 3 -i 0.2 10.88.0.1 2>&1)
printf '%s\n' "$out" | tail -n 2 | sed 's/^/# /'
check "bsdns2's bsdinet pings bsdns1's bsdinet" grep -q '3 packets received' <<<"$out"
b1=$(nscounter bsdns2 ip ips_total)
total1=$(counter ip ips_total)
check "the statistics are each namespace's own (bsdns2 ips_total $b0 -> $b1, initial $total0 -> $total1)" \
	test "$((b1 - b0))" -ge 6 -a "$total1" = "$total0"

udp() { # udp SERVER-NS CLIENT-NS ADDR: 5 UDP round trips from client to server
	coproc SRV { exec ip netns exec "$1" "$here/out/udp_peer" serve 7001 5; }
	srv=$SRV_PID
	read -r -t 20 ready <&"${SRV[0]}"
	ip netns exec "$2" "$here/out/udp_peer" ask "$3" 7001 5
	wait "$srv"
	srv=
}
out=$(udp bsdns2 bsdns1 10.88.0.2 2>&1)
check "UDP from bsdns1 to bsdns2 and back ($out)" test "$out" = 5/5
out=$(udp bsdns1 bsdns2 10.88.0.1 2>&1)
check "UDP from bsdns2 to bsdns1 and back ($out)" test "$out" = 5/5

out="$($A "$tools/netstat" -i 2>&1 | awk 'NR > 1 { print $1 }' | sort -u | tr '\n' ' ')/ $("$tools/netstat" -i | grep -c '^v[ab] ')"
check "netstat -i shows each namespace its own interfaces ($out)" test "$out" = "lo0 va / 0"

# Sysctls, old and new, per namespace.
sc=/proc/sys/net/bsdinet
news="$(cat $sc/ip/portrange_randomized $sc/socket/send_clears_error 2>&1 | tr '\n' ' ')/ $($A cat $sc/ip/portrange_randomized $sc/socket/send_clears_error 2>&1 | tr '\n' ' ')"
check "the new sysctls ip.portrange_randomized and socket.send_clears_error, in each namespace ($news)" \
	test "$(grep -Ec '^[01] [01] / [01] [01] $' <<<"$news")" = 1
both=$sc/ip/ttl\ $sc/ip/forwarding\ $sc/udp/checksum
theirs0="$($B sh -c "cat $both" | tr '\n' ' ')/ $(sh -c "cat $both" | tr '\n' ' ')"
$A sysctl -q -w net.bsdinet.ip.ttl=33 net.bsdinet.ip.forwarding=1 net.bsdinet.udp.checksum=0 \
	net.bsdinet.ip.portrange_randomized=1 net.bsdinet.socket.send_clears_error=1
mine="$($A cat $sc/ip/ttl $sc/ip/forwarding $sc/udp/checksum $sc/ip/portrange_randomized $sc/socket/send_clears_error | tr '\n' ' ')"
theirs="$($B sh -c "cat $both" | tr '\n' ' ')/ $(sh -c "cat $both" | tr '\n' ' ')"
check "sysctls set in bsdns1 ($mine) leave bsdns2's and the initial namespace's as they were ($theirs)" \
	test "$mine" = "33 1 0 1 1 " -a "$theirs" = "$theirs0"

# A device moved from bsdns1 to bsdns3 leaves bsdns1's stack and is not
# bsdns3's until attached there.
ip netns add bsdns3 && ip -n bsdns1 link add vm0 type veth peer name vm1 &&
	ip -n bsdns1 link set vm0 up && $A "$tools/ifconfig" vm0 attach 10.89.0.1 up &&
	ip -n bsdns1 link set vm0 netns bsdns3
out="$(nsif bsdns1)/ $(nsif bsdns3)"
check "a device moved to another namespace is detached from its stack ($out)" \
	test "$out" = "lo0 va / lo0 "
ip netns exec bsdns3 "$tools/ifconfig" vm0 attach 10.89.0.3 netmask 255.255.255.0 up
check "and the other namespace's stack can attach it" test "$(nsif bsdns3)" = "lo0 vm0 "

# ip netns del with a device attached and no socket: the namespace goes
# (its veth, and so the peer bn1 in bsdns2, are deleted), whatever
# bsdinet held of it given back.
ip netns add bsdns4 && ip -n bsdns4 link add bn0 type veth peer name bn1 netns bsdns2 &&
	ip -n bsdns4 link set bn0 up && ip netns exec bsdns4 "$tools/ifconfig" bn0 attach 10.90.0.1 up
ip netns del bsdns4
peer_gone() { ! ip -n bsdns2 link show "$1" >/dev/null 2>&1; }
waitfor 20 peer_gone bn1
check "ip netns del with a device attached and no socket: the namespace is gone" peer_gone bn1
ip netns del bsdns3

# ip netns del with a socket open in it: the stack lives on while the
# process holds the socket, and works; when it exits the namespace goes.
work=$(mktemp -d /tmp/bsdinet-netns.XXXXXX)
mkfifo "$work/in" "$work/out"
ip netns exec bsdns1 "$here/out/udp_peer" hold <"$work/in" >"$work/out" &
holdpid=$!
exec {hin}>"$work/in" {hout}<"$work/out"
read -r -t 20 ready <&$hout
ip netns del bsdns1
sleep 1
echo >&$hin
read -r -t 20 rt <&$hout
out=$($B "$tools/ping" -c 2 -i 0.2 10.88.0.1 2>&1)
check "bsdns1 deleted with a socket open: the socket still works ($ready, $rt)" test "$ready $rt" = "ready ok"
check "and its stack still answers bsdns2's ping" grep -q '2 packets received' <<<"$out"
exec {hin}>&- {hout}<&-
wait "$holdpid"
holdpid=
rm -rf "$work"
waitfor 20 peer_gone vb
check "once the process exits, the namespace is gone (its veth with it)" peer_gone vb

# rmmod with bsdns2 alive and a device attached there (then re-attached);
# after insmod the namespace has a fresh stack with lo0 only.
ip -n bsdns2 link add vc type veth peer name vd && ip -n bsdns2 link set vc up &&
	$B "$tools/ifconfig" vc attach 10.91.0.1 netmask 255.255.255.0 up
rmmod bsdinet
rc=$?
insmod "$top/bsdinet.ko"
rc2=$?
out=$($B "$tools/ifconfig" -a 2>&1)
printf '%s\n' "$out" | grep '^[a-z]' | sed 's/^/# bsdns2 after insmod: /'
check "rmmod with bsdns2's stack alive ($rc), insmod ($rc2): bsdns2 has a fresh stack with lo0 only" \
	test "$rc $rc2 $(nsif bsdns2)" = "0 0 lo0 "
out=$($B "$tools/ping" -c 1 127.0.0.1 2>&1)
check "and it pings its own 127.0.0.1" grep -q '1 packets received' <<<"$out"
ip netns del bsdns2

# The namespaces came and went: unload, load, and nothing leaked.
for i in $(seq 50); do [ -z "$(ip netns list)" ] && break; sleep 0.1; done
rmmod bsdinet && insmod "$top/bsdinet.ko"
rc=$?
if [ -w /sys/kernel/debug/kmemleak ]; then
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak && echo scan >/sys/kernel/debug/kmemleak
	leaks=$(cat /sys/kernel/debug/kmemleak)
	printf '%s\n' "$leaks" | head -n 40 | sed 's/^/# /'
	check "rmmod and insmod after the namespaces came and went ($rc); kmemleak clean" \
		test "$rc" = 0 -a -z "$leaks"
else
	ktap_test_skip "kmemleak clean after the namespaces came and went (no kmemleak)"
fi

ktap_finished
