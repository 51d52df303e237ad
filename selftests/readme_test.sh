#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The README's commands, as a new user types them: every command line of
# the "What works today" section (the `make run CMD='...'` examples run
# as their CMD, since this already is the VM), in order, from the top of
# the repository. Each must succeed; `route monitor` must run until
# stopped. Placeholders (./myprog, prog args..., python3 ...) and the
# make targets themselves are left out: `make run` is checked by
# scripts/test.sh, and `make test` is what runs this.
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/out/ktap_helpers.sh"
. "$here/lib.sh"
export PATH=$PATH:/usr/sbin:/sbin
cd "$top" || exit 1

work=$(mktemp -d /tmp/bsdinet-readme.XXXXXX)
cleanup() {
	# shellcheck disable=SC2046
	kill $(jobs -p) 2>/dev/null
	wait 2>/dev/null
	# The socat example's receiver, if its datagram never came.
	pkill -f 'socat UDP4-RECVFROM:7,bind=127.0.0.1' 2>/dev/null
	ip netns del peer 2>/dev/null
	ip netns del a 2>/dev/null
	ip netns del b 2>/dev/null
	ip link del be0 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# The command lines: six spaces in, in the section "What works today";
# `make run CMD='X'` becomes X, trailing comments go.
sed -n '/^What works today/,/^Other targets/p' README |
	sed -n 's/^      \([^ ].*\)$/\1/p' |
	sed -e "s/^make run CMD='\(.*\)'.*\$/\1/" -e 's/  *# .*$//' >"$work/commands"
ncmd=$(wc -l <"$work/commands")

ktap_print_header
ktap_set_plan "$((ncmd + 1))"
check "the README shows commands to try ($ncmd)" test "$ncmd" -ge 25

# Each line runs in this shell, as at a prompt: `&` lines are jobs of
# this shell and `kill %1` means the first of them (bsdinet's slattach;
# no line before it leaves a job). Each line's output goes to a file.
forwarding=$(cat /proc/sys/net/bsdinet/ip/forwarding)
# A fresh VM has no slip.ko loaded; slip_test.sh leaves it loaded.
rmmod slip slhc 2>/dev/null
n=0
while IFS= read -r cmd <&3; do
	n=$((n + 1))
	run=$cmd
	case "$cmd" in
	*"slattach -p &")
		run="${cmd%&} >$work/slattach.out &" ;;
	*/dev/pts/N*)
		waitfor 5 test -s "$work/slattach.out"
		read -r _ pts <"$work/slattach.out"
		run=${cmd//\/dev\/pts\/N/$pts} ;;
	*"route monitor")
		# Runs until stopped: stop it after 2 seconds.
		run="timeout 2 $cmd; [ \$? = 124 ]" ;;
	"kill %1")
		run="kill %1 && { wait %1; waitfor 5 eval '! tools/out/ifconfig sl0 >/dev/null 2>&1'; }" ;;
	esac
	eval "$run" >"$work/out.$n" 2>&1 </dev/null
	status=$?
	case "$run" in *"&") sleep 1 ;; esac
	grep -v '^$' "$work/out.$n" | tail -n 4 | sed 's/^/# /'
	check "README: $cmd" test "$status" = 0
done 3<"$work/commands"
sysctl -q -w net.bsdinet.ip.forwarding="$forwarding"

ktap_finished
