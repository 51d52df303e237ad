#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# SLIP (book chapter 5) over pty pairs: bsdinet's line discipline on one
# end, and on the other Linux's own slip driver (slip.ko, N_SLIP) or a
# Python peer that controls every byte (slip_peer.py). Ping and UDP both
# ways with Linux, the MTU changed on both ends, bad input from the line
# counted, TCP headers compressed (Van Jacobson) between bsdinet and
# Linux, low-delay datagrams overtaking bulk ones, and the interface
# going away on a hangup during a ping flood, on another discipline, on
# the book's abort sequence, on a kill and on rmmod; no mbuf left.
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
tools=$top/tools/out
. "$here/out/ktap_helpers.sh"
. "$here/lib.sh"
export PATH=$PATH:/usr/sbin:/sbin

peer() { # peer KEY: a value slip_peer.py printed
	sed -n "s/^$1 //p" /tmp/bsdinet-slpeer.out
}

cleanup() {
	for p in ${cap:-} ${lslattach:-} ${bslattach:-} ${flood:-}; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT

ktap_print_header
ktap_set_plan 30

mbufs0=$(counter mbuf m_mbufs) clusters0=$(counter mbuf m_clusters) refs0=$(cat /sys/module/bsdinet/refcnt)
[ -e /sys/module/slhc ] || insmod "$here/out/slhc.ko"
[ -e /sys/module/slip ] || insmod "$here/out/slip.ko"
mkdir -p /run/lock

newdev() { comm -13 <(echo "$before") <(ls /sys/class/net) | grep '^sl'; }
# pair MODE: bsdinet's slattach -p on a new pty's master and Linux's
# slattach -p MODE on its slave, addressed 10.9.0.1 and 10.9.0.2. Sets
# bname, slave, ldev, bslattach and lslattach.
pair() {
	rm -f /tmp/bsdinet-slattach.out
	"$tools/slattach" -p >/tmp/bsdinet-slattach.out &
	bslattach=$!
	waitfor 5 test -s /tmp/bsdinet-slattach.out
	read -r bname slave </tmp/bsdinet-slattach.out
	before=$(ls /sys/class/net)
	slattach -L -p "$1" -s 115200 "$slave" >/dev/null 2>&1 &
	lslattach=$!
	waitfor 5 newdev >/dev/null
	ldev=$(newdev)
	"$tools/ifconfig" "$bname" 10.9.0.1 10.9.0.2 up
	ip addr add 10.9.0.2 peer 10.9.0.1 dev "$ldev" && ip link set "$ldev" up
}

pair cslip
echo "# bsdinet's $bname on the pty master, Linux's ${ldev:-?} on $slave"
check "slattach -p: bsdinet's sl0, and Linux's slip on the slave ($ldev)" \
	test "$bname" = sl0 -a -n "$ldev"
out=$("$tools/ifconfig" sl0)
printf '%s\n' "$out" | sed 's/^/# /'
check "sl0: up, point-to-point, link2 (autocompress), mtu 296, 10.9.0.1 --> 10.9.0.2" grep -qzE \
	'sl0: flags=[0-9a-f]+<UP,POINTOPOINT,LINK2,MULTICAST> mtu 296.*inet 10\.9\.0\.1 .*--> 10\.9\.0\.2' <<<"$out"
out=$("$tools/netstat" -rn 2>&1)
check "the host route to the other end: 10.9.0.2 UH sl0" grep -qE '^10\.9\.0\.2 .*UH.* sl0' <<<"$out"

tcpdump -q -i "$ldev" -w /tmp/bsdinet-slip.pcap -U 2>/dev/null &
cap=$!
sleep 1
out=$("$tools/ping" -c 3 -W 3 10.9.0.2 2>&1)
printf '%s\n' "$out" | tail -n 2 | sed 's/^/# /'
check "bsdinet pings Linux over SLIP" grep -q ' 0.0% packet loss' <<<"$out"
out=$(ping -c 3 -W 3 10.9.0.1 2>&1)
printf '%s\n' "$out" | tail -n 2 | sed 's/^/# /'
check "Linux pings bsdinet over SLIP" grep -q ' 0% packet loss' <<<"$out"

pre="env LD_PRELOAD=$tools/libbsdinet_preload.so"
$pre socat -u UDP4-RECV:9200 OPEN:/tmp/bsdinet-sludp1.out,creat,trunc &
rcv=$!
socat -u UDP4-RECV:9201 OPEN:/tmp/bsdinet-sludp2.out,creat,trunc &
rcv2=$!
sleep 1
echo "from Linux to bsdinet over SLIP" | socat -u - UDP4:10.9.0.1:9200
echo "from bsdinet to Linux over SLIP" | $pre socat -u - UDP4:10.9.0.2:9201
sleep 1
kill $rcv $rcv2 2>/dev/null
both() { grep -q 'from Linux to bsdinet' /tmp/bsdinet-sludp1.out &&
	grep -q 'from bsdinet to Linux' /tmp/bsdinet-sludp2.out; }
check "UDP both ways: socat on bsdinet (LD_PRELOAD) and socat on Linux" both

# TCP with compressed headers (RFC 1144): Linux's end is cslip; bsdinet's
# has only link2 (autocompress) until Linux's first compressed-format
# header turns link0 on. Both ways, socat on each end (bsdinet's through
# the LD_PRELOAD library).
for n in $(seq -f %03g 0 29); do
	for i in 1 2 3; do printf 'segment %s over SLIP ' "$n"; done; echo
done >/tmp/bsdinet-sltcp.in
socat -u TCP4-LISTEN:5555,reuseaddr OPEN:/tmp/bsdinet-sltcp.out,creat,trunc &
rcv=$!
sleep 1
timeout 60 $pre socat -u OPEN:/tmp/bsdinet-sltcp.in TCP4:10.9.0.2:5555
timeout 30 tail --pid=$rcv -f /dev/null
check "TCP from bsdinet to Linux over cslip: every byte arrived" cmp -s /tmp/bsdinet-sltcp.in /tmp/bsdinet-sltcp.out
$pre socat -u TCP4-LISTEN:5556,reuseaddr OPEN:/tmp/bsdinet-sltcp2.out,creat,trunc &
rcv=$!
sleep 1
timeout 60 socat -u OPEN:/tmp/bsdinet-sltcp.in TCP4:10.9.0.1:5556
timeout 30 tail --pid=$rcv -f /dev/null
check "TCP from Linux to bsdinet over cslip: every byte arrived" cmp -s /tmp/bsdinet-sltcp.in /tmp/bsdinet-sltcp2.out
slrow() { awk -v c="$1" 'NR == 1 { for (f = 1; f <= NF; f++) col[$f] = f; next }
	$1 == "sl0" { print $col[c] }' /proc/bsdinet/sl; }
sed 's/^/# /' /proc/bsdinet/sl
check "autocompress turned link0 on; headers compressed both ways ($(slrow sls_compressed) out, $(slrow sls_compressedin) in)" \
	test $(( $(iffield sl0 flags) & 0x1000 )) != 0 -a "$(slrow sls_compressed)" -ge 5 \
	-a "$(slrow sls_compressedin)" -ge 1 -a "$(slrow sls_errorin)" = 0

# Bigger datagrams: 1006 on both ends (as 4.3BSD's SLIP used), so a
# 1000-byte datagram goes in one frame.
"$tools/ifconfig" sl0 mtu 1006 && ip link set "$ldev" mtu 1006
frag=$(counter ip ips_fragmented)
o1=$(ping -c 2 -W 3 -s 972 -M do 10.9.0.1 2>&1)
o2=$("$tools/ping" -c 2 -W 3 -s 972 10.9.0.2 2>&1)
check "mtu 1006: 1000-byte datagrams both ways, unfragmented" \
	test "$(grep -c ' 0% packet loss' <<<"$o1")" = 1 -a "$(grep -c ' 0.0% packet loss' <<<"$o2")" = 1 \
	-a "$(counter ip ips_fragmented)" = "$frag"
check "sl0 counts: packets in and out, no errors" test "$(iffield sl0 ipackets)" -ge 8 \
	-a "$(iffield sl0 opackets)" -ge 8 -a "$(iffield sl0 ierrors)" = 0 -a "$(iffield sl0 oerrors)" = 0

sleep 1
kill $cap 2>/dev/null
wait $cap 2>/dev/null
cap=
n=$(tshark -r /tmp/bsdinet-slip.pcap 2>/dev/null | wc -l)
bad=$(tshark -r /tmp/bsdinet-slip.pcap -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
	-o icmp.check_checksum:TRUE -o tcp.check_checksum:TRUE -Y '_ws.malformed || ip.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad" || tcp.checksum.status == "Bad"' 2>/dev/null)
printf '%s\n' "$bad" | head -n 5 | sed 's/^/# /'
tcp=$(tshark -r /tmp/bsdinet-slip.pcap -Y 'tcp && ip.src == 10.9.0.1' 2>/dev/null | wc -l)
check "tshark on Linux's $ldev: $n packets ($tcp TCP segments from bsdinet, as Linux decompressed them), none malformed, no bad checksum" \
	test "$n" -ge 16 -a "$tcp" -ge 12 -a -z "$bad"

# A tty in the discipline does not pin the module (rmmod hangs it up).
check "the line holds no module reference ($(cat /sys/module/bsdinet/refcnt)/$refs0)" \
	test "$(cat /sys/module/bsdinet/refcnt)" = "$refs0"

# The Python peer: every byte under the test's control.
timeout 120 "$here/slip_peer.py" "$tools" line >/tmp/bsdinet-slpeer.out
sed 's/^/# peer: /' /tmp/bsdinet-slpeer.out
check "a second line: $(peer attached), echo over it" test "$(peer attached)" = sl1 -a "$(peer echo)" = 1
check "a frame longer than the MTU: one input error" test "$(peer err_toolong)" = 1
check "ESC before END: one input error" test "$(peer err_esc_end)" = 1
check "a line quiet mid-frame: one input error" test "$(peer err_quiet)" = 1
check "4000 random bytes: counted ($(peer err_noise)), and the line still works" \
	test "$(peer err_noise)" -ge 1 -a "$(peer echo_after_noise)" = 1
check "low-delay datagrams overtake bulk ones on a full line ($(peer order))" \
	test "$(peer order | tr -cd F | wc -c)" = 3 -a "$(peer overtaken)" -ge 1
check "hangup during a ping flood: the interface goes, slattach sees it" \
	test "$(peer flood_replies)" -ge 10 -a "$(peer slattach_exit)" = 1 -a "$(peer gone)" = 1

timeout 60 "$here/slip_peer.py" "$tools" setd >/tmp/bsdinet-slpeer.out
check "another discipline (TIOCSETD N_TTY) takes the interface away" \
	test "$(peer gone)" = 1 -a "$(peer slattach_exit)" = 1
timeout 60 "$here/slip_peer.py" "$tools" abort >/tmp/bsdinet-slpeer.out
check "debug flag: the abort sequence (three ESCs a second apart) closes the line" \
	test "$(peer gone)" = 1 -a "$(peer slattach_exit)" = 1
timeout 60 "$here/slip_peer.py" "$tools" eperm >/tmp/bsdinet-slpeer.out
check "TIOCSETD without CAP_NET_ADMIN: $(peer setd)" test "$(peer setd)" = "Operation not permitted"

# The first line goes while Linux floods it: both slattachs killed. (A
# pty's discipline is closed when both ends are: killing bsdinet's end
# hangs Linux's up, and Linux's slattach going ends the pair.)
ping -f -w 4 10.9.0.1 >/dev/null 2>&1 &
flood=$!
sleep 2
kill -9 $bslattach $lslattach
wait $bslattach $lslattach 2>/dev/null
bslattach= lslattach=
wait $flood 2>/dev/null
flood=
gone() { ! "$tools/ifconfig" sl0 >/dev/null 2>&1; }
waitfor 5 gone
check "killing both ends' slattach during a flood takes sl0 away" gone
check "no SLIP interface is left" not grep -q '^sl' /proc/bsdinet/if
# Datagrams in flight come back to the pool within a moment.
back() { [ "$(counter mbuf m_mbufs)" = "$mbufs0" ] && [ "$(counter mbuf m_clusters)" = "$clusters0" ]; }
waitfor 5 back
check "every mbuf and cluster is back ($(counter mbuf m_mbufs)/$mbufs0, $(counter mbuf m_clusters)/$clusters0)" back

# Which end's exit takes which sl0 (as the README says): Linux's slattach
# going takes Linux's sl0 and leaves bsdinet's up (the pty's discipline
# closes only when both ends have); bsdinet's slattach going takes its own.
pair slip
kill $lslattach
wait $lslattach 2>/dev/null
lslattach=
lgone() { [ ! -e "/sys/class/net/$ldev" ]; }
waitfor 5 lgone
sleep 1
out=$("$tools/ifconfig" sl0 2>&1)
printf '%s\n' "$out" | head -n 1 | sed 's/^/# /'
check "Linux's slattach killed: Linux's $ldev goes, bsdinet's sl0 stays up" \
	eval 'lgone && grep -q "^sl0: flags=[0-9a-f]*<UP," <<<"$out"'
kill $bslattach
wait $bslattach 2>/dev/null
bslattach=
waitfor 5 gone
check "then bsdinet's slattach killed: bsdinet's sl0 goes" gone

# rmmod with a line up and Linux flooding it: exit hangs the tty up, which
# takes sl0 away; slattach sees it go. Then bsdinet is loaded again for
# the tests that follow.
pair slip
ping -f -w 4 10.9.0.1 >/dev/null 2>&1 &
flood=$!
sleep 1
rmmod bsdinet
rc=$?
wait $bslattach
brc=$?
bslattach=
check "rmmod during a flood over $bname: the module goes, slattach sees its line gone" \
	test "$bname" = sl0 -a "$rc" = 0 -a ! -e /sys/module/bsdinet -a "$brc" = 1
wait $flood 2>/dev/null
flood=
kill $lslattach 2>/dev/null
wait $lslattach 2>/dev/null
lslattach=
insmod "$top/bsdinet.ko"
check "insmod again: bsdinet is back" test -e /proc/bsdinet/if

ktap_finished
