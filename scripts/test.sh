#!/usr/bin/env bash
# `make test`: the host tests (cargo test), then the selftests in the VM.
# Ends with one line for both: "N passed, N failed[, N skipped]".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
log=$(mktemp /tmp/bsdinet-test.XXXXXX)
trap 'rm -f "$log"' EXIT

pass=0 fail=0 skip=0 status=0

echo "== host tests (cargo test)"
(cd "$top/rust" && cargo test --quiet 2>&1) | tee "$log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
while read -r p f i; do
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + i))
done < <(sed -n 's/^test result: .*\. \([0-9]*\) passed; \([0-9]*\) failed; \([0-9]*\) ignored.*/\1 \2 \3/p' "$log")
grep -q '^test result:' "$log" || { echo "bsdinet: cargo test ran no test" >&2; status=1; }

echo "== host tests (drill's script reader: python3 -m unittest)"
(cd "$top/tools/drill" && python3 -m unittest test_drill 2>&1) | tee "$log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
ran=$(sed -n 's/^Ran \([0-9]*\) tests\{0,1\} in .*/\1/p' "$log")
bad=$(sed -n 's/^FAILED (\(.*\))$/\1/p' "$log" | tr ',' '\n' | awk -F= '{ n += $2 } END { print n + 0 }')
if [ -z "$ran" ]; then
	echo "bsdinet: drill's tests ran no test" >&2; fail=$((fail + 1)) status=1
else
	fail=$((fail + ${bad:-0})) pass=$((pass + ran - ${bad:-0}))
fi

# `make run` as the README tells a newcomer to start: no CMD, and here no
# terminal (so no shell). It must show the module, its family and the
# protocol table, on a VM with two CPUs, and exit 0.
echo "== make run (no CMD, no terminal)"
make -s -C "$top" run CMD= </dev/null 2>&1 | tr -d '\r' | tee "$log"
rc=${PIPESTATUS[0]}
run_check() { # run_check DESCRIPTION COMMAND...: one result, counted below
	if "${@:2}"; then
		pass=$((pass + 1)); echo "ok - make run: $1"
	else
		fail=$((fail + 1)) status=1; echo "not ok - make run: $1"
	fi
}
shows() { grep -qE "$1" "$log"; }
run_check "exits 0 ($rc)" test "$rc" = 0
run_check "the VM has 2 CPUs" shows '^== the VM: 2 CPUs'
run_check "bsdinet is in /proc/modules" shows '^bsdinet [0-9]+ [0-9]+'
run_check "its log says AF_BSDINET (19) is registered" shows 'bsdinet: .*AF_BSDINET \(19\)'
run_check "the protocol table: UDP and raw ICMP sockets open" \
	eval "shows '^SOCK_DGRAM +17 +udp +ok \(fd' && shows '^SOCK_RAW +1 +icmp +ok \(fd'"

echo "== selftests in the VM"
"$here/vm.sh" test 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
line=$(tr -d '\r' <"$log" | sed -n 's/^selftests: \([0-9]*\) passed, \([0-9]*\) failed\(, \([0-9]*\) skipped\)\{0,1\}$/\1 \2 \4/p' | tail -n 1)
if [ -z "$line" ]; then
	echo "bsdinet: the VM run reported no results" >&2
	fail=$((fail + 1)) status=1
else
	read -r p f s <<<"$line"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + ${s:-0}))
fi

[ "$fail" = 0 ] || status=1
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
exit $status
