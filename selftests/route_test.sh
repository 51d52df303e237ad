#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Routing sockets (AF_BSDROUTE) through the tools that use them: route
# add/get/change/delete, route monitor in the background seeing RTM_ADD,
# RTM_DELETE, RTM_MISS and an address's RTM_NEWADDR as they happen,
# netstat -rn against /proc/bsdinet/route, EPERM without CAP_NET_ADMIN,
# arp on a veth pair whose other end is Linux's stack, and insmod refused
# while another module holds AF_BSDROUTE.
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
tools=$top/tools/out
. "$here/out/ktap_helpers.sh"
. "$here/lib.sh"
export PATH=$PATH:/usr/sbin:/sbin

show() { printf '%s\n' "$1" | sed 's/^/# /'; }
route() { "$tools/route" "$@"; }
# has ERE: stdin, its lines joined by "~", matches ERE (grep cannot match
# across lines).
has() { tr '\n' '~' | grep -qE "$1"; }

ns=bsdrt
mon=/tmp/route_monitor.$$
cleanup() {
	[ -n "${monpid:-}" ] && kill "$monpid" 2>/dev/null
	ip link del rv0 2>/dev/null
	ip netns del $ns 2>/dev/null
	rm -f "$mon"
}
trap cleanup EXIT

ktap_print_header
ktap_set_plan 18

# route monitor, in the background from the start.
"$tools/route" monitor >"$mon" 2>&1 &
monpid=$!
# It listens once it hears the answer to a request of ours.
listening() { route get 127.0.0.1 >/dev/null 2>&1; grep -q 'RTM_GET' "$mon"; }
waitfor 20 listening
check "route monitor started and hears requests" grep -q 'RTM_GET: Report Metrics' "$mon"

# add, get, change, delete.
out=$(route add -net 10.0.0.0/8 127.0.0.2 2>&1)
show "$out"
check "route add -net 10.0.0.0/8 127.0.0.2" test "$out" = "add net 10.0.0.0/8: gateway 127.0.0.2"
out=$(route get 10.1.2.3 2>&1)
show "$out"
check "route get 10.1.2.3: the net, its mask, gateway, lo0, flags" has \
	'destination: 10\.0\.0\.0~ +mask: 255\.0\.0\.0~ +gateway: 127\.0\.0\.2~ +interface: lo0~ +flags: <UP,GATEWAY,DONE,STATIC>~' <<<"$out"
out=$(route change -net 10.0.0.0/8 127.0.0.3 -lock -mtu 1200 2>&1 && route get 10.1.2.3 2>&1)
show "$out"
check "route change: new gateway, MTU 1200 locked" has \
	'gateway: 127\.0\.0\.3~.*~ +0 +0 +0 +0 +0 +0 +1200L +0 *~' <<<"$out"
out=$(route add -net 10.0.0.0/8 127.0.0.2 2>&1)
rc=$?
check "adding it again: EEXIST, exit 1 ($out)" \
	test "$rc $out" = "1 route: add net 10.0.0.0/8: gateway 127.0.0.2: File exists"

# netstat -rn shows what /proc/bsdinet/route has, in the same order.
route add -host 10.9.8.7 127.0.0.2 -reject >/dev/null
out=$("$tools/netstat" -rn)
show "$out"
check "netstat -rn shows the network route and the reject host route" has \
	'~10 +127\.0\.0\.3 +UGS +[0-9]+ +lo0~(.*~)?10\.9\.8\.7 +127\.0\.0\.2 +UGHRS +0 +lo0~' <<<"$out"
# Rows of both as "gateway flags use interface", flags as netstat's letters.
letters() {
	local dst mask gw flags use ifn s i
	local -a l=(U G H R D M d C X L S B 1 2)
	local -a b=(1 2 4 8 16 32 64 256 512 1024 2048 4096 32768 16384)
	while read -r dst mask gw flags use ifn; do
		[ "$dst" = destination ] && continue
		s=
		for i in "${!b[@]}"; do (( flags & b[i] )) && s+=${l[i]}; done
		echo "$gw $s $use $ifn"
	done </proc/bsdinet/route
}
proc=$(letters)
net=$(awk 'NR > 4 { print $2, $3, $4, $5 }' <<<"$out")
show "$proc"
check "netstat -rn matches /proc/bsdinet/route ($(wc -l <<<"$proc") routes)" test "$proc" = "$net"

# What the monitor saw: our add and the MISS of a datagram without a route.
"$tools/ping" -c 1 -W 1 192.0.2.1 >/dev/null 2>&1
route delete -host 10.9.8.7 >/dev/null
waitfor 10 grep -q 'RTM_DELETE' "$mon"
waitfor 10 grep -q 'RTM_MISS' "$mon"
show "$(head -n 40 "$mon")"
check "route monitor saw RTM_ADD of 10.0.0.0 via 127.0.0.2" has \
	'RTM_ADD: Add Route: len [0-9]+, pid: [0-9]+, seq 1, errno 0, flags:<UP,GATEWAY,DONE,STATIC>~locks: <> inits: <>~sockaddrs: <DST,GATEWAY,NETMASK>~ 10\.0\.0\.0 127\.0\.0\.2 255\.0\.0\.0~' <"$mon"
check "route monitor saw RTM_MISS of 192.0.2.1" has \
	'RTM_MISS: Lookup failed on this address: len [0-9]+, pid: 0, seq 0, errno 0, flags:<DONE>~locks: <> inits: <>~sockaddrs: <DST>~ 192\.0\.2\.1~' <"$mon"
check "route monitor saw RTM_DELETE of 10.9.8.7" has \
	'RTM_DELETE: Delete Route: len [0-9]+, pid: [0-9]+, seq 1, errno 0, flags:<UP,HOST,DONE>~locks: <> inits: <>~sockaddrs: <DST>~ 10\.9\.8\.7~' <"$mon"

out=$(route delete -net 10.0.0.0/8 2>&1; route get 10.1.2.3 2>&1)
rc=$?
show "$out"
check "route delete; then get says not in table ($rc)" \
	test "$out" = $'delete net 10.0.0.0/8\nroute: get 10.1.2.3: not in table' -a $rc = 1

# Without CAP_NET_ADMIN: changes are refused, questions answered.
out=$(setpriv --bounding-set=-net_admin "$tools/route" add -host 10.5.5.5 127.0.0.2 2>&1)
rc=$?
out2=$(setpriv --bounding-set=-net_admin "$tools/route" get 127.0.0.1 2>&1)
rc2=$?
show "$out"
check "without CAP_NET_ADMIN: add is EPERM ($rc), get works ($rc2)" \
	test "$rc $rc2 ${out##*: }" = "1 0 Operation not permitted"

# arp, on a veth pair whose other end is Linux's stack.
if ip netns add $ns && ip link add rv0 type veth peer name rv1 netns $ns &&
	ip -n $ns link set lo up && ip -n $ns addr add 10.79.0.2/24 dev rv1 &&
	ip -n $ns link set rv1 up && ip link set rv0 up &&
	"$tools/ifconfig" rv0 attach; then
	peermac=$(ip netns exec $ns cat /sys/class/net/rv1/address)
	"$tools/ifconfig" rv0 10.79.0.1 netmask 255.255.255.0 up
	waitfor 10 grep -q 'RTM_NEWADDR' "$mon"
	show "$(grep -A 3 'RTM_NEWADDR' "$mon")"
	check "route monitor saw RTM_NEWADDR of 10.79.0.1 on rv0" has \
		'RTM_NEWADDR: address being added to iface: len [0-9]+, if# [0-9]+, metric 0, flags:<>~sockaddrs: <NETMASK,IFP,IFA,BRD>~ 255\.255\.255\.0 rv0:[0-9a-f:]+ 10\.79\.0\.1 10\.79\.0\.255~' <"$mon"
	"$tools/ping" -c 1 -W 5 10.79.0.2 >/dev/null 2>&1
	"$tools/arp" -s 10.79.0.5 2:0:0:0:79:5 &&
		"$tools/arp" -s 10.79.0.6 02:00:00:00:79:06 temp pub
	out=$("$tools/arp" -a)
	show "$out"
	check "arp -a: the learned entry, and those added, permanent or temporary and published" \
		has "\? \(10\.79\.0\.2\) at $peermac on rv0 expires in [0-9]+ seconds~(.*~)?\? \(10\.79\.0\.5\) at 02:00:00:00:79:05 on rv0 permanent~\? \(10\.79\.0\.6\) at 02:00:00:00:79:06 on rv0 expires in 1[0-9]{3} seconds published~" <<<"$out"
	out=$("$tools/arp" -d 10.79.0.5; "$tools/arp" 10.79.0.5; "$tools/arp" -d 10.79.0.5 2>&1)
	show "$out"
	check "arp -d deletes the entry, once" test "$out" = \
		$'10.79.0.5 (10.79.0.5) deleted\n10.79.0.5 (10.79.0.5) -- no entry\narp: delete: cannot locate 10.79.0.5'
	out=$("$tools/arp" -s 127.0.0.1 2:0:0:0:0:9 2>&1)
	check "arp -s of a host on no Ethernet fails ($out)" \
		test "$out" = "arp: cannot intuit interface index and type for 127.0.0.1"
	"$tools/ifconfig" rv0 detach
else
	for t in "RTM_NEWADDR" "arp -a" "arp -d" "arp -s"; do
		ktap_test_fail "$t: no veth pair attached"
	done
fi

kill "$monpid"
wait "$monpid" 2>/dev/null
monpid=

# Another module holding AF_BSDROUTE: insmod fails and says why.
ko=$top/bsdinet.ko
loaded() { grep -q '^bsdinet ' /proc/modules; }
mark=$(dmesg | wc -l)
if rmmod bsdinet && insmod "$here/out/famhog.ko" family=23; then
	out=$(insmod "$ko" 2>&1)
	rc=$?
	if [ $rc != 0 ] && ! loaded &&
		dmesg | tail -n +$((mark + 1)) | grep -q 'address family 23 (AF_BSDROUTE) is already registered'; then
		ktap_test_pass "insmod refused while AF_BSDROUTE is taken"
	else
		ktap_test_fail "insmod refused while AF_BSDROUTE is taken (rc $rc: $out)"
	fi
	rmmod famhog
else
	ktap_test_fail "insmod refused while AF_BSDROUTE is taken (cannot set up)"
fi
insmod "$ko" && loaded && "$tools/route" get 127.0.0.1 >/dev/null
check "insmod once AF_BSDROUTE is free again" test $? = 0

ktap_finished
