#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The user tools, used as a person would: ifconfig, sockprobe, netstat
# with the /proc/bsdinet files it reads, and trpt.
here=$(cd "$(dirname "$0")" && pwd)
tools=$(dirname "$here")/tools/out
. "$here/out/ktap_helpers.sh"
. "$here/lib.sh"


ktap_print_header
ktap_set_plan 21

out=$("$tools/ifconfig" -a)
printf '%s\n' "$out" | sed 's/^/# /'
check "ifconfig -a shows lo0 up with 127.0.0.1/8" grep -qzE \
	'lo0: flags=8009<UP,LOOPBACK,MULTICAST> mtu 1536.*inet 127\.0\.0\.1 netmask 0xff000000' <<<"$out"

"$tools/ifconfig" lo0 127.0.0.7 netmask 255.0.0.0 alias
check "ifconfig lo0 127.0.0.7 alias" grep -q 'inet 127\.0\.0\.7 ' <<<"$("$tools/ifconfig" lo0)"

"$tools/ifconfig" lo0 127.0.0.7 -alias
check "ifconfig lo0 127.0.0.7 -alias" test -z "$("$tools/ifconfig" lo0 | grep 127.0.0.7)"

err=$("$tools/ifconfig" lo0 127.0.0.7 -alias 2>&1)
check "deleting it again fails clearly ($err)" \
	grep -q 'SIOCDIFADDR: Cannot assign requested address' <<<"$err"

out=$("$tools/sockprobe")
printf '%s\n' "$out" | sed 's/^/# /'
check "sockprobe: raw, UDP and TCP sockets open" \
	test "$(grep -c 'ok (fd' <<<"$out") $(grep -c 'Protocol not supported' <<<"$out")" = "7 0"

# /proc/bsdinet and netstat (rust/bsd/kern/kern_stats.rs has the format).
check "/proc/bsdinet/ip has ips_total" grep -qE '^ips_total [0-9]+$' /proc/bsdinet/ip
modes=$(stat -c '%n %a' /proc/bsdinet/* 2>&1)
printf '%s\n' "$modes" | sed 's/^/# /'
check "/proc/bsdinet has its 18 files, each read-only (0444)" \
	test "$(grep -cE '/(ip|icmp|udp|mbuf|if|pcb|route|arp|rtstat|sl|tcp|tcp_debug|igmp|mcast|ether_multi|mrt|vif|mfc) 444$' <<<"$modes") $(wc -l <<<"$modes")" = "18 18"
check "/proc/bsdinet/tcp starts with tcps_connattempt and has tcps_listendrop" \
	eval 'head -n 1 /proc/bsdinet/tcp | grep -qE "^tcps_connattempt [0-9]+$" && grep -qE "^tcps_listendrop [0-9]+$" /proc/bsdinet/tcp'
check "/proc/bsdinet/tcp_debug has its header" \
	grep -q '^time act ostate tcb src sport dst dport seq ack len flags win urp req state ' /proc/bsdinet/tcp_debug

# icmp's "echo reply" (output histogram) and "echo" (input histogram)
# counts in netstat -s, 0 when absent.
echo_counts() {
	"$tools/netstat" -s -p icmp | awk '
		/Output histogram/ { h = "out"; next }
		/Input histogram/ { h = "in"; next }
		/^\t[^\t]/ { h = "" }
		h == "out" && /echo reply:/ { out = $NF }
		h == "in" && /\techo:/ { in_ = $NF }
		END { print out + 0, in_ + 0 }'
}
read -r out0 in0 <<<"$(echo_counts)"
"$tools/ping" -c 3 -i 0.2 127.0.0.1 | sed 's/^/# /'
read -r out1 in1 <<<"$(echo_counts)"
check "netstat -s: ping -c 3 adds 3 echoes in ($in0 -> $in1) and 3 replies out ($out0 -> $out1)" \
	test "$((in1 - in0)) $((out1 - out0))" = "3 3"

py=/usr/bin/python3
if [ -x "$py" ]; then
	# A UDP socket held over bsdinet by an unmodified program.
	coproc UDP {
		exec env LD_PRELOAD="$tools/libbsdinet_preload.so" "$py" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 7355))
print("ready", flush=True)
sys.stdin.readline()'
	}
	read -r -t 20 ready <&"${UDP[0]}"
	out=$("$tools/netstat" -a)
	printf '%s\n' "$out" | sed 's/^/# /'
	check "netstat -a lists the UDP socket python3 holds on 127.0.0.1.7355 ($ready)" \
		grep -qE '^udp +0 +0 +127\.0\.0\.1\.7355 +\*\.\*$' <<<"$out"
	[ -n "${UDP[1]:-}" ] && echo >&"${UDP[1]}"
	wait "$UDP_PID"
	check "netstat -a: the socket is gone once python3 closed it" \
		test -z "$("$tools/netstat" -a | grep '127\.0\.0\.1\.7355')"
else
	ktap_test_skip "netstat -a lists a UDP socket (no $py)"
	ktap_test_skip "netstat -a: the socket is gone once closed (no $py)"
fi

out=$("$tools/netstat" -s -p tcp)
printf '%s\n' "$out" | head -n 8 | sed 's/^/# /'
check "netstat -s -p tcp: BSD's tcp statistics" \
	test "$(head -n 3 <<<"$out" | sed -E 's/[0-9]+/N/g; s/(packet|byte)s?/\1s/g' | tr '\t\n' '>|')" = \
	"tcp:|>N packets sent|>>N data packets (N bytes)|"
check "netstat -s: tcp comes first, then udp, ip, icmp, igmp (4.4BSD's order)" \
	test "$("$tools/netstat" -s | grep -E '^[a-z]+:$' | tr -d '\n')" = "tcp:udp:ip:icmp:igmp:"

# trpt: the trace ring (empty unless a socket has SO_DEBUG).
out=$("$tools/trpt" -j)
rc=$?
check "trpt -j exits 0 ($rc; $(grep -c . <<<"$out") control blocks traced)" test "$rc" = 0
err=$(BSDINET_PROCDIR=/nonexistent "$tools/trpt" 2>&1)
rc=$?
check "trpt without /proc/bsdinet exits 1 ($err)" test "$rc" = 1

out=$("$tools/netstat" -i)
printf '%s\n' "$out" | sed 's/^/# /'
check "netstat -i shows lo0 with network 127 and address 127.0.0.1" \
	grep -qE '^lo0 +[0-9]+ +127 +127\.0\.0\.1 ' <<<"$out"

out=$("$tools/netstat" -rn)
printf '%s\n' "$out" | sed 's/^/# /'
check "netstat -rn shows the host route to 127.0.0.1 on lo0" \
	grep -qE '^127\.0\.0\.1 +127\.0\.0\.1 +UH +[0-9]+ +lo0$' <<<"$out"

out=$("$tools/netstat" -m)
printf '%s\n' "$out" | sed 's/^/# /'
check "netstat -m shows the mbufs in use" grep -qE '^[0-9]+ mbufs in use:$' <<<"$out"

err=$(BSDINET_PROCDIR=/nonexistent "$tools/netstat" -s 2>&1)
rc=$?
check "netstat without /proc/bsdinet says bsdinet is not loaded and exits 1 ($err)" \
	test "$rc $(grep -c 'bsdinet is not loaded' <<<"$err")" = "1 1"
"$tools/netstat" -x 2>/dev/null
rc=$?
check "netstat with an unknown option exits 2 ($rc)" test "$rc" = 2

ktap_finished
