#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bsdinet as a multicast router between two Linux namespaces (chapter 14):
# a sender in one reaches a receiver in the other once a forwarding entry
# exists, added by the project's tool (tools/mrtctl, after the upcall for
# the unknown group it prints) and by Debian's smcroute through the
# LD_PRELOAD library; the TTL goes down by one; a TTL threshold and the
# reverse-path check hold datagrams back and are counted; the vifs put
# the devices in all-multicast mode while they exist; closing the
# daemon's socket or detaching a device leaves nothing behind.
# (Tunnels to Linux's ipip are not tested: the test kernel has no
# CONFIG_NET_IPIP; tests/mcast.rs runs a tunnel between two stacks.)
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
tools=$top/tools/out
. "$here/out/ktap_helpers.sh"
. "$here/lib.sh"
export PATH=$PATH:/usr/sbin:/sbin
preload=$tools/libbsdinet_preload.so

A="ip netns exec bsdmra" B="ip netns exec bsdmrb"
tmp=$(mktemp -d)
jobs_=()
cleanup() {
	for j in "${jobs_[@]}"; do killtree "$j"; done
	exec 7>&- 2>/dev/null
	ip link del ma0 2>/dev/null
	ip link del mb0 2>/dev/null
	ip netns del bsdmra 2>/dev/null
	ip netns del bsdmrb 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

G=239.2.2.2 G2=239.2.2.3 SRC=10.80.0.2
mrt() { counter mrt "$1"; }
# allmulti DEV: 1 while the device receives every multicast address
# (IFF_ALLMULTI, 0x200, in the kernel's own flags: `ip link` shows only
# the user's allmulticast setting)
allmulti() { echo $(( ($(cat /sys/class/net/$1/flags) & 0x200) != 0 )); }
# sendto GROUP TTL TEXT [PORT]: one datagram from namespace A's 10.80.0.2
sendto() {
	printf %s "$3" | $A socat -u - "UDP4-DATAGRAM:$1:${4:-6000},ip-multicast-if=$SRC,ip-multicast-ttl=$2"
}
got() { cat "$tmp"/rx* | grep -c "^got $1 "; } # got TEXT: how often B's receivers had it

ktap_print_header
ktap_set_plan 15

for x in a b; do
	ip netns add bsdmr$x || exit 1
	ip link add m${x}0 type veth peer name m${x}1 netns bsdmr$x || exit 1
	ip link set m${x}0 up
done
$A ip addr add 10.80.0.2/24 dev ma1 && $A ip link set ma1 up && $A ip link set lo up
$B ip addr add 10.81.0.2/24 dev mb1 && $B ip link set mb1 up && $B ip link set lo up
"$tools/ifconfig" ma0 attach 10.80.0.1 netmask 255.255.255.0 up &&
	"$tools/ifconfig" mb0 attach 10.81.0.1 netmask 255.255.255.0 up || exit 1
mbufs0=$(counter mbuf m_mbufs)

# Linux's receivers in B (C, quicker to start than python3), with the
# TTL of each datagram: G on port 6000, G2 on 6001.
peer=$here/out/mcast_peer
bg $B "$peer" lrecv $G 10.81.0.2 6000 100 600 >"$tmp/rx"
bg $B "$peer" lrecv $G2 10.81.0.2 6001 100 600 >"$tmp/rx2"

# The project's tool as the daemon.
mkfifo "$tmp/in" "$tmp/in2"
"$tools/mrtctl" 'vif 0 10.80.0.1; vif 1 10.81.0.1' <"$tmp/in" >"$tmp/mrt" 2>&1 &
jobs_+=($!)
exec 7>"$tmp/in"
waitfor 30 test "$(grep -c '^ok' "$tmp/mrt")" = 2
check "mrtctl: vifs 0 and 1 added" test "$(grep -c '^ok' "$tmp/mrt")" = 2
check "the vifs put ma0 and mb0 in all-multicast mode" waitfor 30 test "$(allmulti ma0)$(allmulti mb0)" = 11
waitfor 60 eval 'grep -q joined "$tmp/rx" && grep -q joined "$tmp/rx2"'

sendto $G 4 one
waitfor 30 grep -q upcall "$tmp/mrt"
check "an upcall for the unknown ($SRC, $G) came in by vif 0" \
	grep -q "^upcall nocache vif 0 $SRC $G$" "$tmp/mrt"
echo "mfc $SRC $G 0 1:1" >&7
waitfor 30 test "$(got one)" = 1
sendto $G 4 two
waitfor 30 test "$(got two)" = 1
sed 's/^/# /' "$tmp/rx"
check "Linux in B received both: the held one and the next, TTL 4 - 1" \
	test "$(grep -c "^got one from $SRC ttl 3$" "$tmp/rx")$(grep -c "^got two from $SRC ttl 3$" "$tmp/rx")" = 11
out=$("$tools/netstat" -g)
printf '%s\n' "$out" | sed 's/^/# /'
check "netstat -g shows the vifs and the entry" grep -qzE \
	"10\.80\.0\.1.*10\.81\.0\.1.*$SRC +$G +0 +[0-9]+ +0 +1:1" <<<"$out"

# A threshold of 4: TTL 4 does not pass it.
t0=$(mrt mrts_ttl_thresh)
echo "mfc $SRC $G 0 1:4" >&7
sendto $G 4 three
waitfor 30 test "$(mrt mrts_ttl_thresh)" -gt "$t0"
sleep 1
check "threshold 4 held back TTL 4 (mrts_ttl_thresh $t0 -> $(mrt mrts_ttl_thresh))" \
	test "$(mrt mrts_ttl_thresh)" = $((t0 + 1)) -a "$(got three)" = 0
# The reverse-path check: an entry whose parent is vif 1 for a source
# that comes in by vif 0.
w0=$(mrt mrts_wrong_if)
echo "mfc $SRC $G 1 0:1" >&7
sendto $G 4 four
waitfor 30 test "$(mrt mrts_wrong_if)" -gt "$w0"
check "the RPF check counted the datagram from the wrong vif ($w0 -> $(mrt mrts_wrong_if))" \
	test "$(mrt mrts_wrong_if)" = $((w0 + 1)) -a "$(got four)" = 0
out=$("$tools/netstat" -gs)
printf '%s\n' "$out" | sed 's/^/# /'
check "netstat -gs counts lookups, misses, upcalls and the wrong interface" grep -qzE \
	'[0-9]+ multicast forwarding cache lookups.*1 multicast forwarding cache miss.*1 upcall to mrouted.*1 datagram arrived on wrong interface' <<<"$out"

# The daemon goes: everything with it.
exec 7>&-
waitfor 30 test "$(mrt ip_mrouter)" = 0
check "mrtctl gone: no vif, no entry, ma0 and mb0 out of all-multicast" \
	waitfor 30 test "$(tail -n +2 /proc/bsdinet/vif | wc -l)$(mrt mfc.count)$(allmulti ma0)$(allmulti mb0)" = 0000

# Debian's smcroute, through the LD_PRELOAD library (Linux's MRT_* and
# structures translated).
cat >"$tmp/smcroute.conf" <<EOF
phyint ma0 enable
phyint mb0 enable
mroute from ma0 source $SRC group $G2 to mb0
EOF
LD_PRELOAD=$preload smcrouted -n -N -f "$tmp/smcroute.conf" -u "$tmp/smc.sock" -P "$tmp/smc.pid" \
	-l debug >"$tmp/smc.log" 2>&1 &
smc=$!
jobs_+=($smc)
waitfor 60 grep -q "$G2" /proc/bsdinet/mfc
sed 's/^/# /' /proc/bsdinet/vif /proc/bsdinet/mfc
check "smcroute made two vifs and the ($SRC, $G2) entry" \
	eval 'test "$(tail -n +2 /proc/bsdinet/vif | wc -l)" = 2 && grep -qE "^$SRC $G2 [0-9]+ .* [0-9]+:[0-9]+$" /proc/bsdinet/mfc'
sendto $G2 8 five 6001
waitfor 30 test "$(got five)" = 1
sed 's/^/# /' "$tmp/rx2"
check "through smcroute's entry: Linux in B received it with TTL 7" grep -q "^got five from $SRC ttl 7$" "$tmp/rx2"
kill $smc
wait $smc 2>/dev/null
tail -n 5 "$tmp/smc.log" | sed 's/^/# smcrouted: /'
waitfor 30 test "$(mrt ip_mrouter)" = 0
check "smcroute gone: no vif, no entry" test "$(tail -n +2 /proc/bsdinet/vif | wc -l)$(mrt mfc.count)" = 00

# A vif on a device that goes.
"$tools/mrtctl" 'vif 0 10.80.0.1; vif 1 10.81.0.1' <"$tmp/in2" >"$tmp/mrt2" 2>&1 &
jobs_+=($!)
exec 7>"$tmp/in2"
waitfor 30 test "$(tail -n +2 /proc/bsdinet/vif | wc -l)" = 2
"$tools/ifconfig" mb0 detach
check "mb0 detached: its vif went, mb0 left all-multicast" \
	test "$(tail -n +2 /proc/bsdinet/vif | wc -l)$(allmulti mb0)" = 10
exec 7>&-
waitfor 30 test "$(mrt ip_mrouter)" = 0
"$tools/ifconfig" ma0 detach
check "all gone: no vif, no membership but lo0's" \
	test "$(tail -n +2 /proc/bsdinet/vif | wc -l) $(tail -n +2 /proc/bsdinet/mcast | tr '\n' ' ')" = "0 lo0 224.0.0.1 1 0 0 "
check "mbufs back to where they were ($mbufs0 -> $(counter mbuf m_mbufs))" \
	waitfor 30 test "$(counter mbuf m_mbufs)" -le "$mbufs0"

ktap_finished
