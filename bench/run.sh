#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The bench, inside the bench VM (`make bench` boots it with bsdinet loaded):
# every workload on bsdinet and on Linux's own stack in this one boot,
# interleaved round by round (the order alternates), then a table of medians,
# min/max and the ratio bsdinet / Linux.
#
#   bench/run.sh [-r ROUNDS] [-t SECS] [-n CONNS] [-m MAXCONNS] [-o FILE] [-p WORKLOAD] [WORKLOAD...]
#
#   -r  rounds per workload and stack (default 5)
#   -t  seconds per measurement (default 3)
#   -n  connections held for the memory and idle-CPU rows (default 10000)
#   -m  target of the "most connections" row (default 100000; 0 skips it)
#   -o  also write the raw results ("workload stack value" lines) to FILE
#   -p  profile WORKLOAD on bsdinet instead (perf record -e cpu-clock -a -g;
#       prints the top of perf report)
# Workloads (default all): udp_rr_1 udp_rr_1400 udp_bulk udp_bulk_eq
#   tcp_bulk_lo tcp_bulk_lo_eq tcp_bulk_lo_tuned tcp_bulk_veth tcp_bulk_veth_tuned tcp_rr tcp_crr
#   tcp_hold (tcp_max runs after the rounds, see -m)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
nb=$here/out/netbench
preload=$top/tools/out/libbsdinet_preload.so
ifconfig=$top/tools/out/ifconfig
rounds=5 secs=3 conns=10000 maxconns=100000 out= profile=
while getopts r:t:n:m:o:p: o; do
	case $o in
	r) rounds=$OPTARG ;;
	t) secs=$OPTARG ;;
	n) conns=$OPTARG ;;
	m) maxconns=$OPTARG ;;
	o) out=$OPTARG ;;
	p) profile=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
workloads=${*:-udp_rr_1 udp_rr_1400 udp_bulk udp_bulk_eq tcp_bulk_lo tcp_bulk_lo_eq tcp_bulk_lo_tuned tcp_bulk_veth tcp_bulk_veth_tuned tcp_rr tcp_crr tcp_hold}

results=$(mktemp /tmp/bench.XXXXXX)
ulimit -n 1048576 2>/dev/null || ulimit -n 65536

# --- the veth pairs: namespace a (the clients) to namespace b (Linux's iperf3).
# bsdinet's side is bva (attached, 10.78.0.1), Linux's side lva (10.79.0.1).
setup_veth() {
	ip netns add a && ip netns add b || return 1
	ip -n a link set lo up; ip -n b link set lo up
	ip -n a link add bva type veth peer name bvb netns b
	ip -n a link add lva type veth peer name lvb netns b
	ip -n a link set bva up; ip -n a link set lva up
	ip -n b addr add 10.78.0.2/24 dev bvb; ip -n b link set bvb up
	ip -n b addr add 10.79.0.2/24 dev lvb; ip -n b link set lvb up
	ip -n a addr add 10.79.0.1/24 dev lva
	ip netns exec a "$ifconfig" bva attach 10.78.0.1 netmask 255.255.255.0 up >/dev/null
	# ARP both ways before the first measurement.
	ip netns exec a "$top/tools/out/ping" -c 1 10.78.0.2 >/dev/null 2>&1
	ip netns exec a ping -c 1 10.79.0.2 >/dev/null 2>&1
}

# iperf3 [-w] over HOST, from NS (or here); prints the receiver's Mbit/s.
iperf() { # iperf STACK SERVER_NS CLIENT_NS HOST PORT [iperf3 options]
	local stack=$1 sns=$2 cns=$3 host=$4 port=$5
	shift 5
	local pre=() srv=() cli=()
	[ "$stack" = bsd ] && pre=(env LD_PRELOAD="$preload")
	[ -n "$sns" ] && srv=(ip netns exec "$sns")
	[ -n "$cns" ] && cli=(ip netns exec "$cns")
	# The server runs on bsdinet too over loopback, on Linux over the veth.
	local spre=("${pre[@]}")
	[ -n "$sns" ] && spre=()
	"${srv[@]}" "${spre[@]}" iperf3 -s -1 -B "$host" -p "$port" >/dev/null 2>&1 &
	local spid=$!
	sleep 0.5
	"${cli[@]}" "${pre[@]}" timeout $((${secs%.*} + 20)) iperf3 -c "$host" -p "$port" -t "$secs" -f m "$@" 2>&1 |
		awk '/receiver/ { for (i = 1; i < NF; i++) if ($(i + 1) == "Mbits/sec") v = $i } END { print v ? v : "nan" }'
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
}

nbv() { # netbench, value only
	"$nb" -t "$secs" "$@" | awk '{ print $2 }'
}

fam() { [ "$1" = bsd ] && echo bsd || echo inet; }

# bsdinet's tuning for bulk transfer, in the root namespace and in a.
tuned() {
	local space=8192 mtu=1536 ns
	[ "$1" = on ] && space=245760 mtu=16384
	for ns in "" a; do
		local x=()
		[ -n "$ns" ] && x=(ip netns exec "$ns")
		[ -n "$ns" ] && ! ip netns list | grep -qw "$ns" && continue
		"${x[@]}" sysctl -qw net.bsdinet.tcp.sendspace=$space net.bsdinet.tcp.recvspace=$space
		"${x[@]}" "$ifconfig" lo0 mtu $mtu
	done
}

# One measurement of WORKLOAD on STACK (bsd or linux), one number on stdout
# (unit in the table); tcp_hold prints three ("mem slab cpu").
measure() {
	local w=$1 s=$2 f
	f=$(fam "$s")
	case $w in
	udp_rr_1) nbv -f "$f" -s 1 udp_rr ;;
	udp_rr_1400) nbv -f "$f" -s 1400 udp_rr ;;
	udp_bulk) nbv -f "$f" -s 1400 udp_bulk ;;
	udp_bulk_eq) nbv -f "$f" -s 1400 -b 212992 udp_bulk ;;
	tcp_bulk_lo) iperf "$s" "" "" 127.0.0.1 5201 ;;
	tcp_bulk_lo_eq)
		[ "$s" = linux ] && ip link set lo mtu 1536
		iperf "$s" "" "" 127.0.0.1 5201 -w 240K
		ip link set lo mtu 65536
		;;
	tcp_bulk_veth)
		if [ "$s" = bsd ]; then iperf bsd b a 10.78.0.2 5201; else iperf linux b a 10.79.0.2 5201; fi
		;;
	# bsdinet tuned (Documentation/performance.rst): socket buffers of
	# 240 KiB and lo0's MTU 16384 (FreeBSD's LOMTU); Linux at its defaults.
	tcp_bulk_lo_tuned)
		[ "$s" = bsd ] && tuned on
		iperf "$s" "" "" 127.0.0.1 5201
		[ "$s" = bsd ] && tuned off
		;;
	tcp_bulk_veth_tuned)
		[ "$s" = bsd ] && tuned on
		if [ "$s" = bsd ]; then iperf bsd b a 10.78.0.2 5201; else iperf linux b a 10.79.0.2 5201; fi
		[ "$s" = bsd ] && tuned off
		;;
	tcp_rr) nbv -f "$f" -s 1 tcp_rr ;;
	tcp_crr) nbv -f "$f" -s 1 -p $((9200 + RANDOM % 100)) tcp_crr ;;
	tcp_hold)
		"$nb" -f "$f" -t 10 -n "$conns" -p 9500 tcp_hold |
			sed -n 's/.*mem_per_conn=\([0-9]*\) slab_per_conn=\([0-9]*\) idle_cpu=\([0-9.]*\)%.*/\1 \2 \3/p'
		;;
	*) echo "bench: unknown workload $w" >&2; return 1 ;;
	esac
}

if [ -n "$profile" ]; then
	setup_veth
	for w in ${profile//,/ }; do
		echo "== profile of $w on bsdinet (perf record -e cpu-clock -a -g, ${secs}s)"
		perf record -q -e cpu-clock -F 2000 -a -g -o /tmp/perf.data -- bash -c "$(declare -f iperf nbv fam tuned measure); \
			nb=$nb preload=$preload ifconfig=$ifconfig secs=$secs conns=$conns measure $w bsd" 2>/dev/null
		perf report -i /tmp/perf.data --no-children --sort sym --stdio -g none --percent-limit 0.7 2>/dev/null |
			grep -v '^#' | grep -v '^$' | head -n 45
		echo "== $w by command"
		perf report -i /tmp/perf.data --no-children --sort comm --stdio -g none 2>/dev/null |
			grep -v '^#' | grep -v '^$' | head -n 8
		[ -n "$out" ] && perf report -i /tmp/perf.data --children --stdio -G 2>/dev/null >"$out.$w"
	done
	exit 0
fi

echo "== bench: $(nproc) CPU in the guest ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), $(uname -r)"
echo "== $rounds rounds of ${secs}s, bsdinet and Linux interleaved; workloads: $workloads"
case " $workloads " in *" tcp_bulk_veth"*) setup_veth || echo "bench: no veth set-up" >&2 ;; esac
start=$(date +%s)
for r in $(seq 1 "$rounds"); do
	for w in $workloads; do
		# tcp_hold takes long and varies little: two rounds at most.
		[ "$w" = tcp_hold ] && [ "$r" -gt 2 ] && continue
		order="bsd linux"
		[ $((r % 2)) = 0 ] && order="linux bsd"
		for s in $order; do
			v=$(measure "$w" "$s")
			echo "$w $s ${v:-nan}" >>"$results"
			echo "round $r: $w $s ${v:-nan}"
		done
	done
done
if [ "$maxconns" != 0 ]; then
	echo "== the most connections bsdinet holds in this $(($(sed -n 's/MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo) / 1024)) MiB VM (target $maxconns)"
	line=$("$nb" -f bsd -t 10 -n 0 -m "$maxconns" -p 9600 tcp_hold)
	echo "$line"
	echo "tcp_max bsd $(echo "$line" | awk '{ print $2 }')" >>"$results"
	echo "tcp_max_cpu bsd $(echo "$line" | sed -n 's/.*idle_cpu=\([0-9.]*\)%.*/\1/p')" >>"$results"
fi
echo "== measured in $(($(date +%s) - start)) s"
[ -n "$out" ] && cp "$results" "$out"
python3 "$here/table.py" "$results"
