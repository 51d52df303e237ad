#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Loading and unloading bsdinet.ko: sockets pin the module, repeated
# load/unload cycles, and a refused load when AF_BSDINET is taken.
# Runs in the test VM with bsdinet loaded, as root.
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/out/ktap_helpers.sh"
ko=$top/bsdinet.ko

loaded() { grep -q '^bsdinet ' /proc/modules; }

ktap_print_header
ktap_set_plan 8

# rmmod is refused while a socket is open, and works after the last close.
coproc HOLD { exec "$here/out/hold_socket" 1; }
read -r -t 60 line <&"${HOLD[0]}"
if [ "$line" = ready ] && ! rmmod bsdinet 2>/dev/null && loaded; then
	ktap_test_pass "rmmod refused while a socket is open"
else
	ktap_test_fail "rmmod refused while a socket is open (holder said '$line')"
fi
refs() { awk '$1 == "bsdinet" { print $3 }' /proc/modules; }
held=$(refs)
echo >&"${HOLD[1]}"
wait "$HOLD_PID"
rc=$?
ktap_test_result "the socket's references are dropped on close ($held, then $(refs))" \
	[ "$held" -gt 0 -a "$(refs)" = 0 -a $rc = 0 ]
rmmod bsdinet && ! loaded
ktap_test_result "rmmod after the last close" [ $? = 0 ]

# 50 load/unload cycles, each with a socket opened and closed.
ok=1
for i in $(seq 50); do
	if ! insmod "$ko" || ! "$here/out/hold_socket" </dev/null >/dev/null || ! rmmod bsdinet; then
		ktap_print_msg "cycle $i failed"
		ok=0
		break
	fi
done
ktap_test_result "50 insmod/rmmod cycles" [ $ok = 1 ]

# Another module holding the family number: insmod fails and says why.
mark=$(dmesg | wc -l)
insmod "$here/out/famhog.ko"
out=$(insmod "$ko" 2>&1)
rc=$?
if [ $rc != 0 ] && ! loaded && dmesg | tail -n +$((mark + 1)) | grep -q 'address family 19 (AF_BSDINET) is already registered'; then
	ktap_test_pass "insmod refused while AF_BSDINET is taken"
else
	ktap_test_fail "insmod refused while AF_BSDINET is taken (rc $rc: $out)"
	dmesg | tail -n 5 | sed 's/^/# /'
fi
rmmod famhog

# fail_at=N makes init fail at its N-th step: each failure must say so
# and leave nothing behind (no family, no /proc or sysctl files, no
# module); the first N past the last step loads normally. kmemleak is
# checked by run.sh at the end.
afs_free() { # socket() in both families gives EAFNOSUPPORT
	local out
	# sockprobe stops at its first EAFNOSUPPORT: one line each.
	out=$("$top/tools/out/sockprobe" 2>&1; "$here/out/hold_socket" 0 23 </dev/null 2>&1)
	[ "$(grep -c 'Address family not supported' <<<"$out")" = 2 ]
}
bad= steps=
for n in $(seq 20); do
	mark=$(dmesg | wc -l)
	if insmod "$ko" fail_at=$n 2>/dev/null; then
		steps=$((n - 1))
		break
	fi
	left=
	dmesg | tail -n +$((mark + 1)) | grep -q "bsdinet: fail_at=$n: failing" || left="$left no-log-line"
	loaded && left="$left module"
	[ -e /proc/bsdinet ] && left="$left /proc/bsdinet"
	[ -e /proc/net/bsdinet ] && left="$left /proc/net/bsdinet"
	[ -e /proc/sys/net/bsdinet ] && left="$left /proc/sys/net/bsdinet"
	[ -e /dev/bsdbpf ] && left="$left /dev/bsdbpf"
	afs_free || left="$left a-family"
	[ -n "$left" ] && bad="$bad fail_at=$n:$left"
done
[ -n "$bad" ] && ktap_print_msg "left behind:$bad"
ktap_test_result "insmod fail_at=N fails at each of ${steps:-?} steps, says so, leaves nothing registered" \
	[ -n "$steps" -a "${steps:-0}" -gt 0 -a -z "$bad" ]
ok=0
if loaded && [ "${steps:-0}" -gt 0 ] && "$here/out/hold_socket" </dev/null >/dev/null; then
	rmmod bsdinet && ok=1
fi
ktap_test_result "insmod fail_at=$((${steps:-20} + 1)), past the last step (${steps:-?}), loads and works" [ $ok = 1 ]
loaded && rmmod bsdinet

# Leave bsdinet loaded for the tests that follow.
insmod "$ko" && loaded && "$here/out/hold_socket" </dev/null >/dev/null
ktap_test_result "insmod once the family is free again" [ $? = 0 ]

ktap_finished
