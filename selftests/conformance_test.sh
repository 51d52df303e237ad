#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The conformance suite: every packet script under selftests/conformance
# run by tools/drill/drill.py against bsdinet (each script in a network
# namespace of its own, on a tun device). CONFORMANCE_STACKS="bsd linux"
# runs it against Linux's own stack too (`make conformance` does: left
# out of `make test` for its time budget); CONFORMANCE_JOBS scripts run
# at once (2, one per CPU of the VM).
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top" || exit 1
scripts=$(find selftests/conformance -name '*.pkt' | sort)
rc=0
for stack in ${CONFORMANCE_STACKS:-bsd}; do
	echo "# conformance: $(echo "$scripts" | wc -l) scripts against $stack"
	/usr/bin/python3 tools/drill/drill.py --stack "$stack" -j "${CONFORMANCE_JOBS:-2}" $scripts || rc=1
done
exit $rc
