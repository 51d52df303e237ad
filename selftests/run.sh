#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs bsdinet's selftests inside the test VM (scripts/vm.sh test), then
# checks the kernel: any warning, BUG, oops, lockdep, KASAN or kmemleak
# report fails the run. Prints TAP and ends with "N passed, N failed".
here=$(cd "$(dirname "$0")" && pwd)
shopt -s lastpipe # count() runs in this shell, so its totals survive
cd "$here" || exit 1
timeout=$(sed -n 's/^timeout=//p' settings)
pass=0 fail=0 skip=0

count() { # reads a test's TAP output, echoes it, counts its results
	local line
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case "$line" in
		"ok "*"# SKIP"*) skip=$((skip + 1)) ;;
		"ok "*) pass=$((pass + 1)) ;;
		"not ok "*) fail=$((fail + 1)) ;;
		esac
	done
}

result() { # result OK|FAIL description
	if [ "$1" = OK ]; then
		pass=$((pass + 1)); echo "ok - $2"
	else
		fail=$((fail + 1)); echo "not ok - $2"
	fi
}

echo "TAP version 13"
for t in $(cat out/tests); do
	echo "# selftests: bsdinet: $t"
	start=$(date +%s)
	# A test stuck for 10 minutes: show what every blocked task waits on.
	( sleep 600; echo "# $t: still running after 600 s; blocked tasks:"
	  for d in /proc/[0-9]*; do
		grep -q '^State:.*D' "$d/status" 2>/dev/null || continue
		echo "# $(cat "$d/comm") (${d#/proc/}):"; sed 's/^/#   /' "$d/stack"
	  done ) &
	dog=$!
	{
		timeout "$timeout" "./$t" &
		tp=$!
		wait "$tp"
		rc=$?
		# A process the test left running (a server it never stopped)
		# would hold this pipe open for ever: timeout made the test a
		# process group of its own, so end what is left of it.
		kill -KILL -- -"$tp" 2>/dev/null
		exit "$rc"
	} 2>&1 | count
	rc=${PIPESTATUS[0]}
	kill "$dog" 2>/dev/null
	echo "# $t took $(($(date +%s) - start)) s"
	# A crash or a timeout counts even when the output looked fine.
	[ "$rc" = 0 ] || [ "$rc" = 4 ] || result FAIL "$t exited with status $rc"
done

# Kernel reports. kmemleak only reports objects older than 5 s, and
# finds more on a second scan.
if [ -e /sys/kernel/debug/kmemleak ]; then
	sleep 6
	# A scan fails with EPERM or EBUSY once kmemleak has disabled itself.
	if ! { echo scan >/sys/kernel/debug/kmemleak && echo scan >/sys/kernel/debug/kmemleak; } 2>/dev/null; then
		result FAIL "kmemleak: cannot scan (disabled?)"
	elif leaks=$(cat /sys/kernel/debug/kmemleak) && [ -z "$leaks" ]; then
		result OK "kmemleak: no leaks"
	else
		printf '%s\n' "$leaks" | head -n 60 | sed 's/^/# /'
		result FAIL "kmemleak: leaks reported"
	fi
else
	result FAIL "kmemleak: not available in this kernel"
fi
bad='WARNING:|BUG:|Oops|general protection|KASAN|kmemleak: [0-9]+ new suspected|circular locking|recursive locking|inconsistent lock|lock held when returning|sleeping function called|Call Trace|panicked|UBSAN|RCU stall|hung_task|blocked for more than'
if dmesg | grep -E -q "$bad"; then
	dmesg | grep -E -B 5 -A 30 "$bad" | head -n 120 | sed 's/^/# /'
	result FAIL "kernel log: reports found"
else
	result OK "kernel log: no warning, BUG, oops, lockdep, KASAN or kmemleak report"
fi

echo "selftests: $pass passed, $fail failed${skip:+, $skip skipped}" | sed 's/, 0 skipped$//'
[ "$fail" = 0 ]
