#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The user tools, used as a person would: ifconfig and sockprobe.
here=$(cd "$(dirname "$0")" && pwd)
tools=$(dirname "$here")/tools/out
. "$here/out/ktap_helpers.sh"

# check DESCRIPTION COMMAND...: one result from a command's status.
check() {
	local desc=$1
	shift
	if "$@"; then ktap_test_pass "$desc"; else ktap_test_fail "$desc"; fi
}

ktap_print_header
ktap_set_plan 5

out=$("$tools/ifconfig" -a)
printf '%s\n' "$out" | sed 's/^/# /'
check "ifconfig -a shows lo0 up with 127.0.0.1/8" grep -qzE \
	'lo0: flags=8009<UP,LOOPBACK,MULTICAST> mtu 1536.*inet 127\.0\.0\.1 netmask 0xff000000' <<<"$out"

"$tools/ifconfig" lo0 127.0.0.7 netmask 255.0.0.0 alias
check "ifconfig lo0 127.0.0.7 alias" grep -q 'inet 127\.0\.0\.7 ' <<<"$("$tools/ifconfig" lo0)"

"$tools/ifconfig" lo0 127.0.0.7 -alias
check "ifconfig lo0 127.0.0.7 -alias" test -z "$("$tools/ifconfig" lo0 | grep 127.0.0.7)"

err=$("$tools/ifconfig" lo0 127.0.0.7 -alias 2>&1)
check "deleting it again fails clearly ($err)" \
	grep -q 'SIOCDIFADDR: Cannot assign requested address' <<<"$err"

out=$("$tools/sockprobe")
printf '%s\n' "$out" | sed 's/^/# /'
check "sockprobe: raw sockets open, UDP and TCP not built yet" \
	test "$(grep -c 'ok (fd' <<<"$out") $(grep -c 'Protocol not supported' <<<"$out")" = "5 2"

ktap_finished
