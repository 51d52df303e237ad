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
ktap_set_plan 6

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

# Leave bsdinet loaded for the tests that follow.
insmod "$ko" && loaded && "$here/out/hold_socket" </dev/null >/dev/null
ktap_test_result "insmod once the family is free again" [ $? = 0 ]

ktap_finished
