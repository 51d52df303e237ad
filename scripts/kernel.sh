#!/usr/bin/env bash
# Build the test kernel once and cache it outside the repository.
#
# The cache key is a hash of everything the kernel build depends on: the
# Linux source package version, the toolchain versions (not the rest of
# versions.sh: a new Debian package for the tests must not rebuild the
# kernel), the config fragment (selftests/config) and this script. A build in progress leaves no stamp,
# so an interrupted build resumes (make is incremental) on the next run.
# Prints the kernel build directory (KDIR) on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/versions.sh"

key=$( {
	echo "$LINUX_SOURCE_PKG $LINUX_SOURCE_VERSION $RUSTC_PKG_VERSION $RUSTC_VERSION $LLVM_VERSION $BINDGEN_VERSION"
	cat "$top/selftests/config" "$here/kernel.sh"
	dpkg-query -W "$LINUX_SOURCE_PKG" rustc-web clang-"$LLVM_VERSION" 2>/dev/null
} | sha256sum | cut -c1-16)
kdir="$CACHE_DIR/kernel-$key/linux"
stamp="$CACHE_DIR/kernel-$key/complete"
log="$CACHE_DIR/kernel-$key/build.log"
kmake=(make -C "$kdir" LLVM=-"$LLVM_VERSION" RUSTC="$RUSTC" HOSTRUSTC="$RUSTC" BINDGEN="$BINDGEN")

if [ ! -e "$stamp" ]; then
	mkdir -p "$CACHE_DIR/kernel-$key"
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
	echo "bsdinet: building the test kernel (cold builds take a while; log: $log)" >&2
	{
		"${kmake[@]}" rustavailable &&
		"${kmake[@]}" tinyconfig &&
		"$kdir/scripts/kconfig/merge_config.sh" -m -O "$kdir" "$kdir/.config" "$top/selftests/config" &&
		"${kmake[@]}" olddefconfig
	} >"$log" 2>&1 || { tail -n 30 "$log" >&2; echo "bsdinet: kernel configuration failed" >&2; exit 1; }
	# Every option of the fragment must have survived olddefconfig.
	missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$top/selftests/config" | while read -r line; do
		opt=${line%%=*} val=${line#*=}
		if [ "$val" = n ]; then
			grep -qx "$opt=y" "$kdir/.config" && echo "$line"
		else
			grep -qx "$line" "$kdir/.config" || echo "$line"
		fi
	done || true)
	if [ -n "$missing" ]; then
		echo "bsdinet: these options of selftests/config did not take:" >&2
		echo "$missing" >&2
		exit 1
	fi
	"${kmake[@]}" -j"$(nproc)" bzImage modules >>"$log" 2>&1 ||
		{ tail -n 40 "$log" >&2; echo "bsdinet: kernel build failed; log: $log" >&2; exit 1; }
	echo "$(( $(date +%s) - start ))" >"$stamp"
	# Keep one kernel in the cache: older keys are dead weight (gigabytes each).
	for old in "$CACHE_DIR"/kernel-*; do
		[ "$old" = "$CACHE_DIR/kernel-$key" ] || rm -rf "$old"
	done
	echo "bsdinet: test kernel built in $(cat "$stamp") s" >&2
fi
echo "$kdir"
