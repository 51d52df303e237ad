#!/usr/bin/env bash
# Build a kernel once and cache it outside the repository.
#
#   scripts/kernel.sh [test]   the test kernel: selftests/config (KASAN, kmemleak, lockdep ...)
#   scripts/kernel.sh bench    the bench kernel: selftests/config without its debugging
#                              section, then bench/config (no debug options)
#
# The cache key is a hash of everything the kernel build depends on: the
# Linux source package version, the toolchain versions (not the rest of
# versions.sh: a new Debian package for the tests must not rebuild the
# kernel), the configuration fragment and this script. A build in progress leaves no stamp,
# so an interrupted build resumes (make is incremental) on the next run.
# The test kernel lives in $CACHE_DIR/kernel-KEY, the bench kernel in
# $CACHE_DIR/bench-KEY; each flavour keeps only its newest key.
# Prints the kernel build directory (KDIR) on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/versions.sh"

flavour=${1:-test}
case $flavour in
test) prefix=kernel ;;
bench) prefix=bench ;;
*) echo "usage: kernel.sh [test|bench]" >&2; exit 2 ;;
esac
fragment() {
	if [ "$flavour" = bench ]; then
		sed '/^# --- debugging/,$d' "$top/selftests/config"
		cat "$top/bench/config"
	else
		cat "$top/selftests/config"
	fi
}
key=$( {
	echo "$LINUX_SOURCE_PKG $LINUX_SOURCE_VERSION $RUSTC_PKG_VERSION $RUSTC_VERSION $LLVM_VERSION $BINDGEN_VERSION"
	fragment
	cat "$here/kernel.sh"
	dpkg-query -W "$LINUX_SOURCE_PKG" rustc-web clang-"$LLVM_VERSION" 2>/dev/null
} | sha256sum | cut -c1-16)
dir="$CACHE_DIR/$prefix-$key"
kdir="$dir/linux"
stamp="$dir/complete"
log="$dir/build.log"
kmake=(make -C "$kdir" LLVM=-"$LLVM_VERSION" RUSTC="$RUSTC" HOSTRUSTC="$RUSTC" BINDGEN="$BINDGEN")

if [ ! -e "$stamp" ]; then
	mkdir -p "$dir"
	# One build at a time: a second caller waits, then finds the stamp.
	exec 9>"$CACHE_DIR/lock"
	flock 9
fi
if [ ! -e "$stamp" ]; then
	start=$(date +%s)
	if [ ! -e "$kdir/Makefile" ]; then
		echo "bsdinet: unpacking $LINUX_SOURCE_PKG into $kdir" >&2
		rm -rf "$kdir.tmp" && mkdir -p "$kdir.tmp"
		tar -C "$kdir.tmp" -xf /usr/src/$LINUX_SOURCE_PKG.tar.xz
		mv "$kdir.tmp/$LINUX_SOURCE_PKG" "$kdir" && rmdir "$kdir.tmp"
	fi
	fragment >"$dir/config"
	echo "bsdinet: building the $flavour kernel (cold builds take a while; log: $log)" >&2
	{
		"${kmake[@]}" rustavailable &&
		"${kmake[@]}" tinyconfig &&
		"$kdir/scripts/kconfig/merge_config.sh" -m -O "$kdir" "$kdir/.config" "$dir/config" &&
		"${kmake[@]}" olddefconfig
	} >"$log" 2>&1 || { tail -n 30 "$log" >&2; echo "bsdinet: kernel configuration failed" >&2; exit 1; }
	# Every option of the fragment must have survived olddefconfig.
	# A later line of the fragment overrides an earlier one (bench/config over selftests/config).
	missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$dir/config" | tac | awk -F= '!seen[$1]++' | while read -r line; do
		opt=${line%%=*} val=${line#*=}
		if [ "$val" = n ]; then
			grep -qx "$opt=y" "$kdir/.config" && echo "$line"
		else
			grep -qx "$line" "$kdir/.config" || echo "$line"
		fi
	done || true)
	if [ -n "$missing" ]; then
		echo "bsdinet: these options of the $flavour fragment ($dir/config) did not take:" >&2
		echo "$missing" >&2
		exit 1
	fi
	"${kmake[@]}" -j"$(nproc)" bzImage modules >>"$log" 2>&1 ||
		{ tail -n 40 "$log" >&2; echo "bsdinet: kernel build failed; log: $log" >&2; exit 1; }
	echo "$(( $(date +%s) - start ))" >"$stamp"
	# Keep one kernel in the cache: older keys are dead weight (gigabytes each).
	for old in "$CACHE_DIR/$prefix"-*; do
		[ "$old" = "$dir" ] || rm -rf "$old"
	done
	echo "bsdinet: $flavour kernel built in $(cat "$stamp") s" >&2
fi
echo "$kdir"
