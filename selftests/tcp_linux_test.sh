#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bsdinet's TCP against Linux's own. bsdinet holds one end of a veth pair
# (10.66.0.1), Linux's stack the other (10.66.0.2, in a namespace):
# connections both ways with socat, nc and python3 (LD_PRELOAD on
# bsdinet's side; bsdinet's tcp_peer against Linux's nc), 20 MB each way checked by sha256; then the same over
# a bad network (delay 5 ms, loss 1%, reorder 5%, duplicate 1%: netem's
# figures, played by selftests/impair.c between two tun devices because
# the test kernel has no qdiscs), where /proc/bsdinet/tcp must show
# retransmissions, fast retransmits and out-of-order segments handled;
# ECONNREFUSED from Linux's RST; ETIMEDOUT against a black hole and
# against a peer gone silent, with the timers shortened by sysctl; a
# zero-linger close seen as a RST on the wire (tcpdump, tshark);
# keepalive finding a vanished peer; and netstat -a, -s and trpt on live
# connections. BSDINET_TCP_MB (20) and BSDINET_TCP_BAD_MB (3) set the
# sizes.
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
tools=$top/tools/out
peer=$here/out/tcp_peer
lib=$tools/libbsdinet_preload.so
. "$here/out/ktap_helpers.sh"
. "$here/lib.sh"
export PATH=$PATH:/usr/sbin:/sbin

ns=bsdtcp
N="ip netns exec $ns"
mb=${BSDINET_TCP_MB:-20}
badmb=${BSDINET_TCP_BAD_MB:-3}
tmp=$(mktemp -d /tmp/bsdinet-tcp.XXXXXX)
sysctls="msl keepidle keepintvl keepcnt keepinit rexmtmin rexmtmax sendspace recvspace"
declare -A saved
for s in $sysctls; do saved[$s]=$(cat /proc/sys/net/bsdinet/tcp/$s); done
jobs_=()
cleanup() {
	for p in "${jobs_[@]}"; do killtree "$p"; done
	for s in $sysctls; do echo "${saved[$s]}" >/proc/sys/net/bsdinet/tcp/$s; done
	"$tools/route" delete -net 10.99.0.0 -netmask 255.255.0.0 >/dev/null 2>&1
	ip link del be0 2>/dev/null
	ip link del bt0 2>/dev/null
	ip netns del $ns 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
pre() { LD_PRELOAD=$lib "$@"; }
tcpstat() { counter tcp "$1"; }
# listening HOW PORT: a listener on PORT, in bsdinet ("bsd": its pcb
# file) or in the namespace ("linux": ss).
listening() {
	if [ "$1" = bsd ]; then
		grep -qE "^tcp [0-9]+ [0-9]+ [0-9.]+:$2 0\.0\.0\.0:0 LISTEN " /proc/bsdinet/pcb
	else
		$N ss -Htln "sport = :$2" | grep -q .
	fi
}

lap0=$(date +%s)
lap() { # lap WHAT: how long the part before took
	local t
	t=$(date +%s)
	echo "# $1 (the part before took $((t - lap0)) s)"
	lap0=$t
}

ktap_print_header
ktap_set_plan 22

ip netns add $ns || exit 1
ip link add be0 type veth peer name be1 netns $ns || exit 1
$N ip link set lo up && $N ip addr add 10.66.0.2/24 dev be1 && $N ip link set be1 up
ip link set be0 up
"$tools/ifconfig" be0 attach 10.66.0.1 netmask 255.255.255.0 up
# Buffers for bulk data (the book's 8 KB keep a long path half idle).
echo 65536 >/proc/sys/net/bsdinet/tcp/sendspace
echo 65536 >/proc/sys/net/bsdinet/tcp/recvspace
out=$($N ping -c 2 -i 0.2 -W 3 10.66.0.1 2>&1)
check "the veth pair is up: Linux pings bsdinet" grep -q ' 0% packet loss' <<<"$out"

head -c "${mb}M" /dev/urandom >"$tmp/src"
want=$(sha "$tmp/src")

# ---- Linux connects to bsdinet: socat over LD_PRELOAD receives.
lap 'Linux connects to bsdinet'
bg pre socat -u TCP4-LISTEN:5001,bind=10.66.0.1,reuseaddr CREATE:"$tmp/in1"
server=$!
waitfor 60 listening bsd 5001
t0=$(date +%s.%N)
$N timeout 600 socat -u FILE:"$tmp/src" TCP4:10.66.0.1:5001 2>"$tmp/err1"
rc=$?
timeout 60 tail --pid=$server -f /dev/null
t=$(echo "$(date +%s.%N) - $t0" | bc)
got=$(sha "$tmp/in1")
echo "# Linux -> bsdinet: $mb MB in ${t%.*} s (socat rc $rc)"
check "Linux's socat sends $mb MB to bsdinet's socat (sha256 alike)" test "$got" = "$want"

# ---- bsdinet connects to Linux: socat over LD_PRELOAD sends.
lap 'bsdinet connects to Linux'
bg $N socat -u TCP4-LISTEN:5002,bind=10.66.0.2,reuseaddr CREATE:"$tmp/in2"
server=$!
waitfor 30 listening linux 5002
t0=$(date +%s.%N)
timeout 600 env LD_PRELOAD="$lib" socat -u FILE:"$tmp/src" TCP4:10.66.0.2:5002 2>"$tmp/err2"
rc=$?
timeout 60 tail --pid=$server -f /dev/null
t=$(echo "$(date +%s.%N) - $t0" | bc)
got=$(sha "$tmp/in2")
echo "# bsdinet -> Linux: $mb MB in ${t%.*} s (socat rc $rc)"
check "bsdinet's socat sends $mb MB to Linux's socat (sha256 alike)" test "$got" = "$want"
rm -f "$tmp/in1" "$tmp/in2"

# ---- python3 echo server on bsdinet, nc from Linux; and back.
lap 'python3 echo server on bsdinet, nc from Linux; and back.'
bg pre /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.66.0.1", 5003)); s.listen(5)
c, a = s.accept()
data = b""
while True:
    d = c.recv(4096)
    if not d: break
    data += d
c.sendall(data.upper()); c.close()'
waitfor 90 listening bsd 5003
out=$(echo "hello from linux" | $N timeout 30 nc -N 10.66.0.1 5003 2>&1)
check "nc on Linux gets its line back from python3 on bsdinet ($out)" test "$out" = "HELLO FROM LINUX"
# nc listening on Linux: bsdinet's client sends a line, nc answers one.
bg $N sh -c "echo from linux | exec nc -N -l 10.66.0.2 5004 >$tmp/nc.out"
waitfor 30 listening linux 5004
out=$(timeout 30 "$peer" echo 10.66.0.2 5004 "from bsdinet" 2>&1 | grep . | tail -n 1)
sleep 0.5
check "nc on Linux and bsdinet's client trade lines ($out; $(cat "$tmp/nc.out"))" \
	test "$out" = "from linux" -a "$(cat "$tmp/nc.out")" = "from bsdinet"

# ---- netstat and trpt on live connections.
lap 'netstat and trpt on live connections.'
bg $N socat -u TCP4-LISTEN:5005,bind=10.66.0.2,reuseaddr,fork /dev/null
waitfor 30 listening linux 5005
bg pre socat -u TCP4-LISTEN:5006,bind=10.66.0.1,reuseaddr /dev/null
waitfor 60 listening bsd 5006
bg "$peer" -d send 10.66.0.2 5005
sleep 2
out=$("$tools/netstat" -a -p tcp)
printf '%s\n' "$out" | sed 's/^/# /'
check "netstat -a: the connection to Linux ESTABLISHED" \
	grep -qE '^tcp +[0-9]+ +[0-9]+ +10\.66\.0\.1\.[0-9]+ +10\.66\.0\.2\.5005 +ESTABLISHED$' <<<"$out"
check "netstat -a: the listener on 5006 (LISTEN); without -a it is not shown" eval \
	"grep -qE '^tcp +0 +0 +10\.66\.0\.1\.5006 +\*\.\* +LISTEN$' <<<\"\$out\" &&
	 ! \"$tools/netstat\" -p tcp | grep -q '\.5006 .*LISTEN'"
out=$("$tools/netstat" -s -p tcp)
printf '%s\n' "$out" | head -n 14 | sed 's/^/# /'
sent=$(sed -n 's/^\t\t\([0-9]*\) data packets (\([0-9]*\) bytes)$/\2/p' <<<"$out")
check "netstat -s: data bytes sent ($sent) at least the $mb MB" \
	test "${sent:-0}" -ge $((mb * 1048576))
# The SO_DEBUG connection, live: the last 100 events are its data.
tcb=$("$tools/netstat" -aA -p tcp | awk '$6 == "10.66.0.2.5005" { print $1; exit }')
out=$("$tools/trpt" -p "$tcb" 2>&1)
printf '%s\n' "$out" | tail -n 6 | sed 's/^/# /'
check "trpt -p $tcb: the live SO_DEBUG connection's segments" eval \
	"grep -qE '^[0-9]{3} ESTABLISHED:output \[[0-9a-f]+\.\.[0-9a-f]+\)@[0-9a-f]+\(win=[0-9a-f]+\)<ACK' <<<\"\$out\" &&
	 grep -qE '^[0-9]{3} ESTABLISHED:input [0-9a-f]+@[0-9a-f]+.*<ACK>.* -> ESTABLISHED$' <<<\"\$out\""
out=$("$tools/trpt" -j)
check "trpt -j lists it ($(tr '\n' ' ' <<<"$out"))" grep -qx "$tcb" <<<"$out"
for p in "${jobs_[@]}"; do killtree "$p"; done
jobs_=()
# A short one from its start: the handshake, the data and the FINs.
bg $N socat -u TCP4-LISTEN:5010,bind=10.66.0.2,reuseaddr /dev/null
waitfor 30 listening linux 5010
"$peer" -d echo 10.66.0.2 5010 hello >/dev/null
out=$("$tools/trpt" -a 2>&1)
printf '%s\n' "$out" | tail -n 14 | sed 's/^/# /'
check "trpt -a: a whole SO_DEBUG connection (SYN, SYN+ACK, data, FIN)" eval \
	"grep -qE '^[0-9]{3} (CLOSED|SYN_SENT):output \(src=10\.66\.0\.1,[0-9]+, dst=10\.66\.0\.2,5010\)[0-9a-f]+@[0-9a-f]+\(win=[0-9a-f]+\)<SYN>' <<<\"\$out\" &&
	 grep -qE 'SYN_SENT:input .*<SYN,ACK>.* -> ESTABLISHED$' <<<\"\$out\" &&
	 grep -qE 'ESTABLISHED:output .*\[[0-9a-f]+\.\.[0-9a-f]+\)@' <<<\"\$out\" &&
	 grep -qE ':output .*<ACK,FIN>' <<<\"\$out\""
for p in "${jobs_[@]}"; do killtree "$p"; done
jobs_=()

# ---- ECONNREFUSED: Linux answers a SYN to a closed port with a RST.
lap 'ECONNREFUSED'
out=$("$peer" connect 10.66.0.2 9 2>&1)
check "connect to a closed port on Linux: ECONNREFUSED ($out)" test "$out" = "connect: Connection refused"

# ---- A zero-linger close is a RST on the wire.
lap 'A zero-linger close is a RST on the wire.'
$N tcpdump -q -i be1 -U -w "$tmp/rst.pcap" tcp port 5007 2>/dev/null &
cap=$!
jobs_+=($cap)
bg $N socat -u TCP4-LISTEN:5007,bind=10.66.0.2,reuseaddr /dev/null
waitfor 30 listening linux 5007
waitfor 10 test -s "$tmp/rst.pcap"
out=$("$peer" linger0 10.66.0.2 5007 2>&1)
sleep 1
kill -INT $cap
wait $cap 2>/dev/null
# One tshark run (it is slow to start in the VM): source and flags.
pkts=$(tshark -r "$tmp/rst.pcap" -T fields -e ip.src -e ip.dst -e tcp.flags 2>/dev/null)
rsts=0 fins=0
while read -r src dst flags; do
	echo "# $src -> $dst flags $flags"
	[ "$src" = 10.66.0.1 ] || continue
	((flags & 0x04)) && rsts=$((rsts + 1))
	((flags & 0x01)) && fins=$((fins + 1))
done <<<"$pkts"
check "SO_LINGER 0: close sends a RST, not a FIN ($rsts RST, $fins FIN from bsdinet)" \
	test "$rsts $fins" = "1 0"

# ---- Black hole: Linux drops what it does not route (no forwarding).
lap 'Black hole'
echo 3000 >/proc/sys/net/bsdinet/tcp/keepinit
"$tools/route" add -net 10.99.0.0 -netmask 255.255.0.0 10.66.0.2 >/dev/null
drops0=$(tcpstat tcps_conndrops)
t0=$(date +%s)
out=$(timeout 60 "$peer" connect 10.99.0.1 80 2>&1)
t=$(($(date +%s) - t0))
check "connect into a black hole: ETIMEDOUT after keepinit=3 s ($out, ${t} s)" \
	test "$out" = "connect: Connection timed out" -a "$t" -ge 2 -a "$t" -le 15
check "counted as an embryonic connection dropped ($drops0 -> $(tcpstat tcps_conndrops))" \
	test "$(tcpstat tcps_conndrops)" -gt "$drops0"

# ---- A peer gone silent: retransmissions time out (rexmt shortened).
lap 'A peer gone silent'
echo 500 >/proc/sys/net/bsdinet/tcp/rexmtmin
echo 500 >/proc/sys/net/bsdinet/tcp/rexmtmax
bg $N socat -u TCP4-LISTEN:5008,bind=10.66.0.2,reuseaddr /dev/null
waitfor 30 listening linux 5008
tdrops0=$(tcpstat tcps_timeoutdrop)
coproc SEND { exec "$peer" send 10.66.0.2 5008 2>&1; }
sendpid=$SEND_PID
exec {sendout}<&"${SEND[0]}"
read -r -t 30 first <&$sendout
# Linux forgets the address: it drops bsdinet's segments without a word.
$N ip addr del 10.66.0.2/24 dev be1
t0=$(date +%s)
read -r -t 120 last <&$sendout
t=$(($(date +%s) - t0))
exec {sendout}<&-
wait "$sendpid" 2>/dev/null
# The book's sosend answers EPIPE once the connection is gone (it tests
# SS_CANTSENDMORE before so_error); the ETIMEDOUT is in SO_ERROR.
check "data to a peer gone silent: ETIMEDOUT after the retransmissions ($first; $last; $t s)" \
	eval '[[ "$last" =~ ^send:\ (Connection\ timed\ out|Broken\ pipe\ \(SO_ERROR:\ Connection\ timed\ out\))$ ]]'
check "counted as dropped by the retransmission timer ($tdrops0 -> $(tcpstat tcps_timeoutdrop))" \
	test "$(tcpstat tcps_timeoutdrop)" -gt "$tdrops0"
$N ip addr add 10.66.0.2/24 dev be1

# ---- Keepalive finds a vanished peer (keepidle 1 s, 3 probes 1 s
lap 'Keepalive finds a vanished peer (keepidle 1 s, 3 probes 1 s'
# apart). A probe is out of Linux's window (snd_una - 1, the book's);
# Linux answers such segments at most every tcp_invalid_ratelimit
# (500 ms): off here, so that every probe is answered.
$N sysctl -qw net.ipv4.tcp_invalid_ratelimit=0
echo 1000 >/proc/sys/net/bsdinet/tcp/keepidle
echo 1000 >/proc/sys/net/bsdinet/tcp/keepintvl
echo 3 >/proc/sys/net/bsdinet/tcp/keepcnt
bg $N socat -u TCP4-LISTEN:5009,bind=10.66.0.2,reuseaddr /dev/null
waitfor 30 listening linux 5009
kdrops0=$(tcpstat tcps_keepdrops) probes0=$(tcpstat tcps_keepprobe)
coproc KEEP { exec "$peer" keepalive 10.66.0.2 5009 2>&1; }
keeppid=$KEEP_PID
exec {keepout}<&"${KEEP[0]}"
read -r -t 30 first <&$keepout
sleep 5
alive=$(kill -0 "$keeppid" 2>/dev/null && echo alive)
$N ip addr del 10.66.0.2/24 dev be1
t0=$(date +%s)
read -r -t 60 last <&$keepout
t=$(($(date +%s) - t0))
exec {keepout}<&-
wait "$keeppid" 2>/dev/null
check "keepalive: an idle connection lives while Linux answers the probes ($first: $alive)" \
	test "$alive" = alive -a "$(tcpstat tcps_keepprobe)" -gt "$probes0"
check "keepalive: then ETIMEDOUT once Linux is gone ($last, $t s; $kdrops0 -> $(tcpstat tcps_keepdrops) drops)" \
	test "$last" = "recv: Connection timed out" -a "$(tcpstat tcps_keepdrops)" -gt "$kdrops0"
$N ip addr add 10.66.0.2/24 dev be1
for s in keepidle keepintvl keepcnt keepinit rexmtmin rexmtmax; do
	echo "${saved[$s]}" >/proc/sys/net/bsdinet/tcp/$s
done
for p in "${jobs_[@]}"; do killtree "$p"; done
jobs_=()

# ---- A bad network: two tun devices joined by impair (netem's figures).
lap 'A bad network'
ip tuntap add dev bt0 mode tun && ip link set bt0 up &&
	$N ip tuntap add dev lt0 mode tun && $N ip link set lt0 up &&
	$N ip addr add 10.67.0.2 peer 10.67.0.1 dev lt0
coproc IMPAIR { exec "$here/out/impair" bt0 $ns lt0 5 1 5 1 42; }
impairpid=$IMPAIR_PID
jobs_+=("$impairpid")
exec {impout}<&"${IMPAIR[0]}"
read -r -t 10 ready <&$impout
"$tools/ifconfig" bt0 attach && "$tools/ifconfig" bt0 10.67.0.1 dest 10.67.0.2 up
out=$($N ping -c 3 -i 0.3 -W 3 10.67.0.1 2>&1 | tail -n 2)
echo "# $ready; $out"
head -c "${badmb}M" /dev/urandom >"$tmp/src"
want=$(sha "$tmp/src")
declare -A c0
names="tcps_sndrexmitpack tcps_sndrexmitfast tcps_rexmttimeo tcps_rcvoopack tcps_rcvduppack tcps_rcvdupack"
for n in $names; do c0[$n]=$(tcpstat $n); done
bg pre socat -u TCP4-LISTEN:5011,bind=10.67.0.1,reuseaddr CREATE:"$tmp/in1"
server=$!
waitfor 60 listening bsd 5011
t0=$(date +%s)
$N timeout 600 socat -u FILE:"$tmp/src" TCP4:10.67.0.1:5011
timeout 60 tail --pid=$server -f /dev/null
t1=$(date +%s)
bg $N socat -u TCP4-LISTEN:5012,bind=10.67.0.2,reuseaddr CREATE:"$tmp/in2"
server=$!
waitfor 30 listening linux 5012
timeout 600 env LD_PRELOAD="$lib" socat -u FILE:"$tmp/src" TCP4:10.67.0.2:5012
timeout 60 tail --pid=$server -f /dev/null
t2=$(date +%s)
echo "# over the bad network: $badmb MB in $((t1 - t0)) s to bsdinet, $((t2 - t1)) s from it"
check "a bad network: $badmb MB from Linux to bsdinet intact (sha256)" test "$(sha "$tmp/in1")" = "$want"
check "a bad network: $badmb MB from bsdinet to Linux intact (sha256)" test "$(sha "$tmp/in2")" = "$want"
d=""
for n in $names; do
	eval "d_$n=\$(( \$(tcpstat $n) - ${c0[$n]} ))"
	d="$d ${n#tcps_}+$(eval echo \$d_$n)"
done
kill -TERM "$impairpid"
read -r -t 10 stats <&$impout
echo "# impair: $stats"
echo "# /proc/bsdinet/tcp:$d"
check "retransmissions, fast retransmits and out-of-order segments counted ($d)" \
	test "$d_tcps_sndrexmitpack" -gt 0 -a "$d_tcps_sndrexmitfast" -gt 0 -a "$d_tcps_rcvoopack" -gt 0

lap end
ktap_finished
