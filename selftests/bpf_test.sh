#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# BPF (book chapter 31) with the capture tool: bpfdump on bsdinet's lo0
# writing pcap files that tshark reads (ICMP, and UDP to one port); on a
# hooked veth, where bsdinet's capture must equal Linux's tcpdump on the
# same device, with promiscuous mode and write(); on a SLIP line, with
# directions and compressed TCP headers; a small buffer under a flood
# (drops counted); no CAP_NET_RAW; the capture ended by the device's
# removal, by a kill, and rmmod refused while a descriptor is open.
# bpf_test (C) covers the ioctls, bad programs and the buffers in detail.
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
tools=$top/tools/out
. "$here/out/ktap_helpers.sh"
. "$here/lib.sh"
export PATH=$PATH:/usr/sbin:/sbin

ns=bsdbpf
N="ip netns exec $ns"
pre="env LD_PRELOAD=$tools/libbsdinet_preload.so"
cleanup() {
	for p in ${cap:-} ${lcap:-} ${bslattach:-} ${lslattach:-}; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip link del bb0 2>/dev/null
	ip link del bbt0 2>/dev/null
	ip netns del $ns 2>/dev/null
	rm -f /tmp/bsdinet-bpf*
}
trap cleanup EXIT

# capture OUT ARGS...: bpfdump ARGS in the background, its output in
# OUT.out and OUT.err; waits until it listens. Sets cap.
capture() {
	local out=$1
	shift
	rm -f "$out.err"
	"$tools/bpfdump" "$@" >"$out.out" 2>"$out.err" &
	cap=$!
	waitfor 10 grep -q listening "$out.err"
}
# finish: ends the capture (SIGINT) and waits for it.
finish() {
	kill -INT "$cap" 2>/dev/null
	wait "$cap"
	cap=
}

ktap_print_header
ktap_set_plan 16

refs0=$(cat /sys/module/bsdinet/refcnt)
mbufs0=$(counter mbuf m_mbufs)

check "/dev/bsdbpf is a character device, root's only" \
	test -c /dev/bsdbpf -a "$(stat -c %a /dev/bsdbpf)" = 600

# lo0: pings to 127.0.0.1, in a file tshark reads.
f=/tmp/bsdinet-bpf-lo.pcap
capture $f -i lo0 -w $f -c 4 icmp
"$tools/ping" -c 2 -i 0.2 127.0.0.1 >/dev/null 2>&1
wait $cap
cap=
out=$(tshark -r $f -T fields -e ip.src -e ip.dst -e icmp.type 2>/dev/null)
printf '%s\n' "$out" | sed 's/^/# /'
check "bpfdump -i lo0 -w f.pcap icmp: tshark reads 2 echo requests and 2 replies, 127.0.0.1 both ways" \
	test "$(printf '%s\n' "$out" | sort | uniq -c | awk '{ print $1, $2, $3, $4 }' | tr '\n' ' ')" = \
	"2 127.0.0.1 127.0.0.1 0 2 127.0.0.1 127.0.0.1 8 "
enc=$(capinfos -E $f 2>/dev/null | sed -n 's/^File encapsulation: *//p')
check "the file's link type is DLT_NULL ($enc)" grep -qi null <<<"$enc"

f=/tmp/bsdinet-bpf-udp.pcap
capture $f -i lo0 -w $f -c 2 udp port 7777
for p in 7778 7777 7779 7777; do
	echo "to port $p" | $pre socat -u - UDP4:127.0.0.1:$p 2>/dev/null
done
timeout 10 tail --pid=$cap -f /dev/null
finish
out=$(tshark -r $f -T fields -e udp.dstport -e data.data 2>/dev/null)
printf '%s\n' "$out" | sed 's/^/# /'
check "udp port 7777: only the two datagrams to 7777" \
	test "$(cut -f1 <<<"$out" | tr '\n' ' ')" = "7777 7777 "

# The summary lines and -d.
capture /tmp/bsdinet-bpf-sum -i lo0 -c 1 'icmp[icmptype] = icmp-echo'
"$tools/ping" -c 1 127.0.0.1 >/dev/null 2>&1
timeout 10 tail --pid=$cap -f /dev/null
finish
out=$(cat /tmp/bsdinet-bpf-sum.out)
prog=$("$tools/bpfdump" -d -i lo0 icmp 2>&1)
printf '%s\n' "$out" "$prog" | head -n 4 | sed 's/^/# /'
check "summary: one echo request line; -d prints the program" \
	eval 'grep -q "IP 127.0.0.1 > 127.0.0.1: ICMP echo request" <<<"$out" && grep -q "^(000) ld" <<<"$prog"'

# A veth hooked by bsdinet: its capture equals Linux's on the device.
ip netns add $ns
ip link add bb0 type veth peer name bb1 netns $ns
$N ip link set lo up && $N ip addr add 10.78.0.2/24 dev bb1 && $N ip link set bb1 up
$N sysctl -qw net.ipv6.conf.all.disable_ipv6=1
sysctl -qw net.ipv6.conf.bb0.disable_ipv6=1 2>/dev/null
ip link set bb0 up
"$tools/ifconfig" bb0 attach 10.78.0.1 netmask 255.255.255.0 up
waitfor 5 eval '(( $(iffield bb0 flags) & 0x40 ))'
fb=/tmp/bsdinet-bpf-eb.pcap fl=/tmp/bsdinet-bpf-el.pcap
tcpdump -i bb0 -U -w $fl 'ip or arp' 2>/tmp/bsdinet-bpf-tcpdump.err &
lcap=$!
capture $fb -i bb0 -p -w $fb ip or arp
waitfor 10 grep -q listening /tmp/bsdinet-bpf-tcpdump.err
promisc=$(ip -d link show bb0 | grep -o 'promiscuity [0-9]*')
$N ping -c 3 -i 0.2 10.78.0.1 >/dev/null 2>&1
"$tools/ping" -c 3 -i 0.2 10.78.0.2 >/dev/null 2>&1
echo "to Linux" | $pre socat -u - UDP4:10.78.0.2:9 2>/dev/null
sleep 1
finish
kill -INT $lcap; wait $lcap; lcap=
fields="-T fields -e frame.len -e eth.src -e eth.dst -e eth.type -e ip.src -e ip.dst -e ip.proto -e ip.id"
tshark -r $fb $fields 2>/dev/null | sort >/tmp/bsdinet-bpf-eb.txt
tshark -r $fl $fields 2>/dev/null | sort >/tmp/bsdinet-bpf-el.txt
diff /tmp/bsdinet-bpf-el.txt /tmp/bsdinet-bpf-eb.txt | head -n 6 | sed 's/^/# /'
n=$(wc -l </tmp/bsdinet-bpf-eb.txt)
check "veth: bsdinet's capture on bb0 equals Linux's tcpdump on it ($n frames, ARP, ICMP, UDP)" \
	eval '[ "$n" -ge 14 ] && cmp -s /tmp/bsdinet-bpf-el.txt /tmp/bsdinet-bpf-eb.txt'
promisc2=$(ip -d link show bb0 | grep -o 'promiscuity [0-9]*')
check "BIOCPROMISC: bb0 promiscuous while capturing ($promisc), not after ($promisc2)" \
	test "$promisc" != "promiscuity 0" -a "$promisc2" = "promiscuity 0"

# write(): a frame from bsdinet's address to Linux's, Linux answers.
bmac=$(cat /sys/class/net/bb0/address) lmac=$($N cat /sys/class/net/bb1/address)
echos0=$($N awk '/^Icmp:/ { if (h) print $10; h = 1 }' /proc/net/snmp)
/usr/bin/python3 - "$bmac" "$lmac" <<'EOF'
import fcntl, os, struct, sys
def mac(s): return bytes(int(x, 16) for x in s.split(":"))
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
icmp = struct.pack("!BBHHH", 8, 0, 0, 77, 1) + b"bpfwrite"
icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 1, 0, 64, 1, 0,
                 bytes([10, 78, 0, 1]), bytes([10, 78, 0, 2]))
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
frame = mac(sys.argv[2]) + mac(sys.argv[1]) + b"\x08\x00" + ip + icmp
fd = os.open("/dev/bsdbpf", os.O_RDWR)
BIOCSETIF = (1 << 30) | (40 << 16) | (ord("B") << 8) | 108
fcntl.ioctl(fd, BIOCSETIF, b"bb0".ljust(40, b"\0"))
os.write(fd, frame)
os.close(fd)
EOF
sleep 1
echos=$($N awk '/^Icmp:/ { if (h) print $10; h = 1 }' /proc/net/snmp)
check "write() on /dev/bsdbpf: Linux got the echo request ($echos0 -> $echos InEchos)" \
	test "$echos" = $((echos0 + 1))

# The device removed during a capture: bpfdump's read ends with ENXIO.
capture /tmp/bsdinet-bpf-gone -i bb0
$N ping -c 2 -i 0.2 10.78.0.1 >/dev/null 2>&1
ip link del bb0
timeout 10 tail --pid=$cap -f /dev/null
wait $cap
rc=$?
cap=
err=$(grep read: /tmp/bsdinet-bpf-gone.err)
check "bb0 removed during a capture: bpfdump ends ($rc: $err)" \
	eval 'test $rc = 1 && grep -q "No such device or address" <<<"$err"'

# A tun device (DLT_NULL both ways): python holds the tun and writes an
# echo request; bsdinet's reply comes back through it.
ip tuntap add dev bbt0 mode tun && ip link set bbt0 up &&
	"$tools/ifconfig" bbt0 attach && "$tools/ifconfig" bbt0 10.80.0.1 dest 10.80.0.2 up
f=/tmp/bsdinet-bpf-tun.pcap
capture $f -i bbt0 -w $f -c 2 icmp
timeout 120 /usr/bin/python3 - <<'EOF' >/dev/null 2>&1
import fcntl, os, select, struct, time
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
fd = os.open('/dev/net/tun', os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', b'bbt0', 0x0001 | 0x1000))  # TUNSETIFF, IFF_TUN|IFF_NO_PI
for _ in range(50):
    rows = [l.split() for l in open('/proc/bsdinet/if')]
    if any(r[0] == 'bbt0' and int(r[3], 16) & 0x40 for r in rows[1:]): break
    time.sleep(0.1)
icmp = struct.pack('!BBHHH', 8, 0, 0, 0x4343, 1) + b'tun'
icmp = icmp[:2] + struct.pack('!H', csum(icmp)) + icmp[4:]
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(icmp), 7, 0, 64, 1, 0,
                 bytes([10, 80, 0, 2]), bytes([10, 80, 0, 1]))
ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
os.write(fd, ip + icmp)
select.select([fd], [], [], 5)
EOF
timeout 10 tail --pid=$cap -f /dev/null
finish
out=$(tshark -r $f -T fields -e ip.src -e ip.dst -e icmp.type 2>/dev/null)
printf '%s\n' "$out" | sed 's/^/# /'
check "tun: the echo request in and the reply out, behind DLT_NULL" \
	test "$(printf '%s\n' "$out" | tr '\t\n' '  ')" = "10.80.0.2 10.80.0.1 8 10.80.0.1 10.80.0.2 0 "
"$tools/ifconfig" bbt0 detach
ip link del bbt0

# SLIP, with Linux's cslip at the other end: directions, compressed TCP.
[ -e /sys/module/slhc ] || insmod "$here/out/slhc.ko"
[ -e /sys/module/slip ] || insmod "$here/out/slip.ko"
mkdir -p /run/lock
newdev() { comm -13 <(echo "$before") <(ls /sys/class/net) | grep '^sl'; }
rm -f /tmp/bsdinet-bpf-slattach.out
"$tools/slattach" -p >/tmp/bsdinet-bpf-slattach.out &
bslattach=$!
waitfor 5 test -s /tmp/bsdinet-bpf-slattach.out
read -r bname slave </tmp/bsdinet-bpf-slattach.out
before=$(ls /sys/class/net)
slattach -L -p cslip -s 115200 "$slave" >/dev/null 2>&1 &
lslattach=$!
waitfor 5 newdev >/dev/null
ldev=$(newdev)
"$tools/ifconfig" "$bname" 10.79.0.1 10.79.0.2 up
ip addr add 10.79.0.2 peer 10.79.0.1 dev "$ldev" && ip link set "$ldev" up
f=/tmp/bsdinet-bpf-sl.pcap
capture $f -i "$bname" -w $f
"$tools/ping" -c 2 -i 0.2 10.79.0.2 >/dev/null 2>&1
# Compressed TCP headers (link0): six segments of one connection, written
# whole through a raw socket (IP_HDRINCL), compressed on the line after
# the first; Linux's cslip rebuilds them and its TCP answers each with
# a RST.
"$tools/ifconfig" "$bname" link0
timeout 120 $pre /usr/bin/python3 - <<'EOF'
import socket, struct
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
src, dst = bytes([10, 79, 0, 1]), bytes([10, 79, 0, 2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
for n in range(6):
    data = b'0123456789'
    tcp = struct.pack('!HHIIBBHHH', 1234, 5557, 1 + 10 * n, 1, 0x50, 0x18, 512, 0, 0) + data
    tcp = tcp[:16] + struct.pack('!H', csum(src + dst + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 100 + n, 0, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    s.sendto(ip + tcp, ('10.79.0.2', 0))
EOF
sleep 2
finish
out=$(tcpdump -e -nn -r $f 2>/dev/null)
printf "%s\n" "$out" | head -n 12 | sed "s/^/# /"
in=$(grep -c '^[0-9:.]* I ' <<<"$out") outn=$(grep -c '^[0-9:.]* O ' <<<"$out")
ctcp=$(grep -c ' ctcp ' <<<"$out")
check "$bname: capture shows directions ($outn out, $in in) and compressed TCP headers ($ctcp ctcp)" \
	test "$in" -ge 3 -a "$outn" -ge 3 -a "$ctcp" -ge 2
kill $bslattach $lslattach 2>/dev/null
wait $bslattach $lslattach 2>/dev/null
bslattach= lslattach=

# A small buffer and a flood while the reader is stopped: drops.
capture /tmp/bsdinet-bpf-flood -i lo0 -B 256 -U udp
kill -STOP $cap
$pre /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(100): s.sendto(b"x" * 100, ("127.0.0.1", 9))'
kill -CONT $cap
sleep 0.5
finish
sed 's/^/# /' /tmp/bsdinet-bpf-flood.err | tail -n 3
drop=$(sed -n 's/^\([0-9]*\) packets dropped by kernel/\1/p' /tmp/bsdinet-bpf-flood.err)
recv=$(sed -n 's/^\([0-9]*\) packets received by filter/\1/p' /tmp/bsdinet-bpf-flood.err)
check "a 256-byte buffer and 100 datagrams, reader stopped: ${drop:-?} dropped of ${recv:-?} (BIOCGSTATS)" \
	test "${drop:-0}" -ge 90 -a "${recv:-0}" -ge 100

# No CAP_NET_RAW.
err=$(setpriv --bounding-set=-net_raw "$tools/bpfdump" -i lo0 2>&1)
check "without CAP_NET_RAW: EPERM ($err)" grep -q 'Operation not permitted' <<<"$err"

# A reader killed mid-capture, during a flood.
capture /tmp/bsdinet-bpf-kill -i lo0 -w /dev/null
"$tools/ping" -c 20 -i 0.01 127.0.0.1 >/dev/null 2>&1 &
pinger=$!
sleep 0.1
kill -9 $cap
wait $cap 2>/dev/null
cap=
wait $pinger
back() { [ "$(cat /sys/module/bsdinet/refcnt)" = "$refs0" ]; }
waitfor 5 back
check "a capture killed during a flood leaves no reference ($(cat /sys/module/bsdinet/refcnt)/$refs0)" back
mb() { [ "$(counter mbuf m_mbufs)" = "$mbufs0" ]; }
waitfor 5 mb
check "every mbuf is back ($(counter mbuf m_mbufs)/$mbufs0)" mb

# rmmod while a descriptor is open: refused; after close, fine.
exec 5<>/dev/bsdbpf
rmmod bsdinet 2>/dev/null
r1=$?
exec 5<&-
rmmod bsdinet
r2=$?
insmod "$top/bsdinet.ko"
check "rmmod with /dev/bsdbpf open refused ($r1), fine after close ($r2); loads again" \
	test $r1 != 0 -a $r2 = 0 -a -c /dev/bsdbpf

ktap_finished
