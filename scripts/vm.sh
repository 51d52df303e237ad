#!/usr/bin/env bash
# Boot the test kernel under QEMU with the host's root filesystem (read-only,
# over 9p) and the repository (read-write, at the same path), load
# bsdinet.ko, and either open a shell, run a command, or run the selftests.
#
#   scripts/vm.sh run                 shell on the console (exits at once without a terminal)
#   scripts/vm.sh run -- CMD ARGS...  run CMD in the current directory; its exit status is ours
#   scripts/vm.sh test                run selftests/run.sh; fails on any failed test or kernel report
#
# Environment: BSDINET_VM_TIMEOUT (seconds, default 3600), BSDINET_VM_MEM (default 1G),
# BSDINET_KERNEL (test or bench: which kernel of scripts/kernel.sh boots, default test),
# BSDINET_MODULE (the bsdinet.ko to load, a path under the repository; default ./bsdinet.ko).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
kdir=$("$here/kernel.sh" "${BSDINET_KERNEL:-test}")
mode=${1:?usage: vm.sh run [-- CMD...] | test}
shift
[ "${1:-}" = "--" ] && shift

out=$(mktemp -d /tmp/bsdinet-vm.XXXXXX)
trap 'rm -rf "$out"' EXIT
{
	printf 'BSDINET_TOP=%q\n' "$top"
	printf 'BSDINET_CWD=%q\n' "$PWD"
	printf 'BSDINET_MODE=%q\n' "$mode"
	printf 'BSDINET_MODULE=%q\n' "$(realpath "${BSDINET_MODULE:-$top/bsdinet.ko}")"
	[ -t 0 ] && [ -t 1 ] && echo "BSDINET_TTY=1"
	# printf '%q ' with no argument prints '': an empty command, not none.
	printf 'BSDINET_CMD=('
	[ $# -eq 0 ] || printf '%q ' "$@"
	echo ')'
} >"$out/env"

timeout=${BSDINET_VM_TIMEOUT:-3600}
console=(-serial stdio -display none)
if [ -t 0 ] && [ -t 1 ] && [ "$mode" = run ] && [ $# -eq 0 ]; then
	console=(-serial mon:stdio -display none)
fi

# Two sockets, not two cores: the test kernel has no ACPI, and QEMU lists
# only one core per socket in the MP table, so -smp 2 gives the guest one CPU.
set +e
timeout --foreground "$timeout" qemu-system-x86_64 \
	-machine pc -cpu qemu64 -smp 2,sockets=2 -m "${BSDINET_VM_MEM:-1G}" -no-reboot \
	-kernel "$kdir/arch/x86/boot/bzImage" \
	-append "console=ttyS0 loglevel=4 panic=-1 root=root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose ro init=$here/vm-init bsdinet.out=$out" \
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=root,mount_tag=root \
	-fsdev local,id=out,path="$out",security_model=none \
	-device virtio-9p-pci,fsdev=out,mount_tag=out \
	-fsdev local,id=top,path="$top",security_model=none \
	-device virtio-9p-pci,fsdev=top,mount_tag=top \
	-net none "${console[@]}" </dev/stdin | tee "$out/console" | tr -d '\r'
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" = 124 ]; then
	echo "bsdinet: the VM did not finish within ${timeout}s" >&2
	exit 1
fi
if [ ! -e "$out/status" ]; then
	echo "bsdinet: the VM stopped without reporting a result (crash or panic?)" >&2
	exit 1
fi
exit "$(cat "$out/status")"
