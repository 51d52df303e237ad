#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bsdinet driven from both CPUs at once, for about 20 seconds: UDP
# senders and receivers over lo0, ping, a veth attached and detached
# while Linux floods it from a namespace, sysctl writes, address and
# route changes (ioctls, routing socket) and the /proc/bsdinet files
# read, all in parallel. Every worker must last to the end without an
# error, and the stack must work afterwards. Lockdep, KASAN and warnings
# are caught by run.sh from the kernel log.
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
tools=$top/tools/out
. "$here/out/ktap_helpers.sh"
. "$here/lib.sh"
export PATH=$PATH:/usr/sbin:/sbin

secs=${BSDINET_SMP_SECS:-20}
ns=bsdsmp
N="ip netns exec $ns"
work=$(mktemp -d /tmp/bsdinet-smp.XXXXXX)
sc=/proc/sys/net/bsdinet
saved=$(for f in ip/ttl ip/redirect icmp/maskrepl udp/checksum; do echo "$f $(cat $sc/$f)"; done)
cleanup() {
	# shellcheck disable=SC2046
	kill $(jobs -p) 2>/dev/null
	wait 2>/dev/null
	while read -r f v; do echo "$v" >"$sc/$f"; done <<<"$saved"
	"$tools/ifconfig" lo0 127.0.0.20 -alias 2>/dev/null
	"$tools/route" -q delete -net 10.97.0.0 -netmask 255.255.0.0 >/dev/null 2>&1
	ip link del bs0 2>/dev/null
	ip netns del $ns 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

ktap_print_header
ktap_set_plan 4

cpus=$(nproc)
check "the VM has two CPUs or more ($cpus)" test "$cpus" -ge 2

ip netns add $ns && ip link add bs0 type veth peer name bs1 netns $ns &&
	$N ip addr add 10.96.0.2/24 dev bs1 && $N ip link set bs1 up && ip link set bs0 up || exit 1

end=$(($EPOCHSECONDS + secs))
# worker NAME COMMAND...: runs the command until the end; counts rounds,
# keeps the first failure's output.
worker() {
	local name=$1 n=0 out
	shift
	while [ "$EPOCHSECONDS" -lt "$end" ]; do
		if ! out=$("$@" 2>&1); then
			printf '%s round %d: %s\n' "$name" "$n" "$out" | head -n 5 >"$work/$name.err"
			echo "$n" >"$work/$name.n"
			return 1
		fi
		n=$((n + 1))
	done
	echo "$n" >"$work/$name.n"
}
attach_detach() {
	"$tools/ifconfig" bs0 attach 10.96.0.1 netmask 255.255.255.0 up &&
		sleep 0.$((RANDOM % 5)) && "$tools/ifconfig" bs0 detach
}
sysctls() {
	echo $((64 + RANDOM % 2)) >$sc/ip/ttl && echo $((RANDOM % 2)) >$sc/ip/redirect &&
		echo $((RANDOM % 2)) >$sc/icmp/maskrepl && echo $((RANDOM % 2)) >$sc/udp/checksum
}
addresses() {
	"$tools/ifconfig" lo0 127.0.0.20 netmask 255.0.0.0 alias &&
		"$tools/ifconfig" lo0 127.0.0.20 -alias
}
routes() {
	"$tools/route" -q add -net 10.97.0.0 -netmask 255.255.0.0 127.0.0.1 >/dev/null &&
		"$tools/route" -q delete -net 10.97.0.0 -netmask 255.255.0.0 >/dev/null
}
readprocs() { cat /proc/bsdinet/* >/dev/null && "$tools/netstat" -an >/dev/null; }
pings() { "$tools/ping" -c 3 -i 0.1 127.0.0.1 >/dev/null; }
udp_loop() { "$here/out/udp_peer" loop "$((end - $EPOCHSECONDS))" >/dev/null; }

# Linux floods 10.96.0.1 from the namespace the whole time (it gets
# answers only while bs0 is attached).
$N ping -q -f -w "$((secs + 30))" 10.96.0.1 >/dev/null 2>&1 &
flood=$!
workers="udp1 udp2 attach sysctl addr route proc ping"
pids=
for w in $workers; do
	case $w in
	udp*) worker "$w" udp_loop & ;;
	attach) worker attach attach_detach & ;;
	sysctl) worker sysctl sysctls & ;;
	addr) worker addr addresses & ;;
	route) worker route routes & ;;
	proc) worker proc readprocs & ;;
	ping) worker ping pings & ;;
	esac
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
kill $flood 2>/dev/null
wait $flood 2>/dev/null
summary= failed=
for w in $workers; do
	summary="$summary $w:$(cat "$work/$w.n" 2>/dev/null || echo '?')"
	[ -s "$work/$w.err" ] && { failed="$failed $w"; sed 's/^/# /' "$work/$w.err"; }
	[ "$(cat "$work/$w.n" 2>/dev/null || echo 0)" -gt 0 ] || failed="$failed $w(no round)"
done
echo "# rounds in ${secs}s:$summary"
check "every worker ran to the end without an error (${failed:-none failed})" test -z "$failed"

out=$("$tools/ping" -c 3 -i 0.2 127.0.0.1 2>&1)
printf '%s\n' "$out" | tail -n 2 | sed 's/^/# /'
check "afterwards, ping 127.0.0.1 works" grep -q '3 packets received' <<<"$out"
out=$("$here/out/udp_peer" loop 1 2>&1)
check "and UDP over lo0 ($out round trips in 1 s)" test "${out:-0}" -gt 0

ktap_finished
