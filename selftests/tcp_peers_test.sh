#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# TCP between peers the other TCP tests do not pair: bsdinet with
# bsdinet (two namespaces, each with its own stack, joined by a veth
# pair: a transfer each way checked by sha256, and a listener with 50
# concurrent clients), and with Linux across a veth pair for what
# tcp_linux_test leaves out: urgent data both ways (MSG_OOB, SIGURG to
# the F_SETOWN owner, SO_OOBINLINE and SIOCATMARK), ECONNRESET when Linux
# aborts, and a timed SO_LINGER that waits for a peer gone silent. A
# capture of Linux's end is read by tshark: no malformed segment, no bad
# checksum from bsdinet (Linux's own leave their checksums to the device).
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
tools=$top/tools/out
lib=$tools/libbsdinet_preload.so
py=$here/tcp_peer.py
. "$here/out/ktap_helpers.sh"
. "$here/lib.sh"
export PATH=$PATH:/usr/sbin:/sbin

A="ip netns exec bsdpa"
B="ip netns exec bsdpb"
L="ip netns exec bsdpl"
tmp=$(mktemp -d /tmp/bsdinet-peers.XXXXXX)
jobs_=()
cleanup() {
	for p in "${jobs_[@]}"; do killtree "$p"; done
	for n in bsdpa bsdpb bsdpl; do ip netns del $n 2>/dev/null; done
	ip link del bq0 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
pre() { LD_PRELOAD=$lib "$@"; }
# serve OUT CMD...: starts a server whose first line says it listens
serve() {
	local out=$1
	shift
	"$@" >"$out.out" 2>"$out.err" &
	jobs_+=($!)
	waitfor 20 grep -q ready "$out.out"
}

ktap_print_header
ktap_set_plan 10

# ---- bsdinet with bsdinet.
ip netns add bsdpa && ip netns add bsdpb &&
	ip -n bsdpa link add pa type veth peer name pb netns bsdpb &&
	ip -n bsdpa link set pa up && ip -n bsdpb link set pb up || exit 1
$A "$tools/ifconfig" pa attach 10.89.0.1 netmask 255.255.255.0 up &&
	$B "$tools/ifconfig" pb attach 10.89.0.2 netmask 255.255.255.0 up || exit 1
for n in bsdpa bsdpb; do
	ip netns exec $n sh -c 'echo 65536 >/proc/sys/net/bsdinet/tcp/sendspace; echo 65536 >/proc/sys/net/bsdinet/tcp/recvspace'
done
$A "$tools/ping" -c 1 -W 3 10.89.0.2 >/dev/null 2>&1
head -c 4000000 /dev/urandom >"$tmp/src"
want=$(sha "$tmp/src")
$B env LD_PRELOAD="$lib" socat -u TCP4-LISTEN:7001,reuseaddr CREATE:"$tmp/ab" &
jobs_+=($!)
waitfor 20 $B grep -qE ':7001 0\.0\.0\.0:0 LISTEN' /proc/bsdinet/pcb
t0=$(date +%s)
timeout 120 $A env LD_PRELOAD="$lib" socat -u FILE:"$tmp/src" TCP4:10.89.0.2:7001
timeout 30 tail --pid="${jobs_[-1]}" -f /dev/null
t1=$(date +%s)
check "bsdinet to bsdinet: 4 MB from bsdpa to bsdpb intact (sha256; $((t1 - t0)) s)" \
	test "$(sha "$tmp/ab")" = "$want"
$A env LD_PRELOAD="$lib" socat -u TCP4-LISTEN:7002,reuseaddr CREATE:"$tmp/ba" &
jobs_+=($!)
waitfor 20 $A grep -qE ':7002 0\.0\.0\.0:0 LISTEN' /proc/bsdinet/pcb
timeout 120 $B env LD_PRELOAD="$lib" socat -u FILE:"$tmp/src" TCP4:10.89.0.1:7002
timeout 30 tail --pid="${jobs_[-1]}" -f /dev/null
check "bsdinet to bsdinet: 4 MB from bsdpb to bsdpa intact (sha256)" test "$(sha "$tmp/ba")" = "$want"
serve "$tmp/echo" $B env LD_PRELOAD="$lib" python3 "$py" echo-serve 7003 50
out=$(timeout 120 $A env LD_PRELOAD="$lib" python3 "$py" echo-clients 10.89.0.2 7003 50 2>"$tmp/cl.err")
tail -n 3 "$tmp/cl.err" | sed 's/^/# /'
timeout 30 tail --pid="${jobs_[-1]}" -f /dev/null
check "a listener on bsdpb answers 50 concurrent clients from bsdpa ($out; $(tail -n 1 "$tmp/echo.out"))" \
	test "$out" = "answered 50" -a "$(tail -n 1 "$tmp/echo.out")" = "served 50"

# ---- bsdinet with Linux.
ip netns add bsdpl || exit 1
ip link add bq0 type veth peer name bq1 netns bsdpl || exit 1
$L ip link set lo up && $L ip addr add 10.69.0.2/24 dev bq1 && $L ip link set bq1 up
ip link set bq0 up
"$tools/ifconfig" bq0 attach 10.69.0.1 netmask 255.255.255.0 up
$L tcpdump -q -i bq1 -U -w "$tmp/cap.pcap" 2>/dev/null &
cap=$!
jobs_+=($cap)
$L ping -c 1 -W 3 10.69.0.1 >/dev/null 2>&1

serve "$tmp/u1" $L python3 "$py" urg-serve 7010
out=$(timeout 60 env LD_PRELOAD="$lib" python3 "$py" urg-client 10.69.0.2 7010 2>"$tmp/err")
timeout 30 tail --pid="${jobs_[-1]}" -f /dev/null
srv=$(tail -n 1 "$tmp/u1.out")
check "urgent data from bsdinet to Linux: out of band with SIGURG, then inline at the mark ($srv)" \
	test "$srv" = "serve abc oob=! def inline gh atmark=1 ? sigurg=True"
check "urgent data from Linux to bsdinet: SIGURG and MSG_OOB on bsdinet ($out)" \
	test "$out" = "client x oob=U sigurg=True"
serve "$tmp/u2" env LD_PRELOAD="$lib" python3 "$py" urg-serve 7011
out=$(timeout 60 $L python3 "$py" urg-client 10.69.0.1 7011 2>"$tmp/err")
timeout 30 tail --pid="${jobs_[-1]}" -f /dev/null
srv=$(tail -n 1 "$tmp/u2.out")
check "urgent data from Linux to bsdinet: out of band with SIGURG, then inline at the mark ($srv)" \
	test "$srv" = "serve abc oob=! def inline gh atmark=1 ? sigurg=True"
check "urgent data from bsdinet to Linux: SIGURG and MSG_OOB on Linux ($out)" \
	test "$out" = "client x oob=U sigurg=True"

serve "$tmp/ab1" $L python3 "$py" abort-serve 7012
out=$(timeout 60 env LD_PRELOAD="$lib" python3 "$py" abort-client 10.69.0.2 7012 2>"$tmp/err")
check "Linux aborts (SO_LINGER 0): bsdinet's recv fails ECONNRESET ($out)" test "$out" = "recv: ECONNRESET"

# A timed linger: close() waits while the data is unacknowledged (the
# peer's end taken down), then returns when the time runs out.
$L socat -u TCP4-LISTEN:7013,reuseaddr /dev/null &
jobs_+=($!)
waitfor 20 sh -c "$L ss -Htln 'sport = :7013' | grep -q ."
coproc LG { exec env LD_PRELOAD="$lib" python3 "$py" linger 10.69.0.2 7013 2; }
read -r -t 20 line <&"${LG[0]}"
$L ip link set bq1 down
echo go >&"${LG[1]}"
read -r -t 20 line <&"${LG[0]}"
$L ip link set bq1 up
check "SO_LINGER 2 with the peer gone: close() waits about 2 s ($line)" \
	grep -qE '^close took (1\.[89]|2\.[0-9]) s$' <<<"$line"

sleep 1
kill $cap 2>/dev/null
wait $cap 2>/dev/null
n=$(tshark -r "$tmp/cap.pcap" -Y 'tcp && ip.src == 10.69.0.1' 2>/dev/null | wc -l)
bad=$(tshark -r "$tmp/cap.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
	-Y 'ip.src == 10.69.0.1 && (_ws.malformed || ip.checksum.status == "Bad" || tcp.checksum.status == "Bad")' 2>/dev/null)
printf '%s\n' "$bad" | head -n 5 | sed 's/^/# /'
check "tshark on Linux's end: $n TCP segments from bsdinet, none malformed, no bad checksum" \
	test "$n" -ge 20 -a -z "$bad"
ktap_finished
