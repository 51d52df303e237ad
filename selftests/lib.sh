# SPDX-License-Identifier: GPL-2.0
# What the shell selftests share; sourced after ktap_helpers.sh.

check() { # check DESCRIPTION COMMAND...: one result from a command's status
	local desc=$1
	shift
	if "$@"; then ktap_test_pass "$desc"; else ktap_test_fail "$desc"; fi
}
not() { ! "$@"; }
counter() { # counter FILE NAME: a counter of /proc/bsdinet/FILE
	sed -n "s/^$2 //p" "/proc/bsdinet/$1"
}
iffield() { # iffield IF COLUMN: a column of interface IF in /proc/bsdinet/if
	awk -v i="$1" -v c="$2" 'NR == 1 { for (f = 1; f <= NF; f++) col[$f] = f; next }
		$1 == i { print $col[c] }' /proc/bsdinet/if
}
waitfor() { # waitfor SECONDS COMMAND...: until the command succeeds
	local t=$(($1 * 10))
	shift
	while ! "$@"; do
		((t-- > 0)) || return 1
		sleep 0.1
	done
}

# For tests with background jobs: `bg CMD...` starts one and notes its
# pid in jobs_, for cleanup to end with killtree.
bg() { "$@" & jobs_+=($!); }
# killtree PID: the process and what it started (bg's shell functions
# run in a subshell whose child the subshell's end would leave behind).
killtree() {
	local c
	for c in $(pgrep -P "$1"); do killtree "$c"; done
	kill "$1" 2>/dev/null
}
sha() { sha256sum <"$1" | cut -c1-64; } # the sha256 of file $1
