#!/usr/bin/env bash
# Install what bsdinet needs, idempotently: Debian packages and bindgen-cli.
# Prints nothing when everything is already there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.sh"

die() { echo "bsdinet: $*" >&2; exit 1; }
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"

want=()
need() { # need PACKAGE [VERSION]
	local have
	have=$(dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null || true)
	case "$have" in
	"install ok installed ${2:-}"*) ;;
	*) want+=("$1${2:+=$2}") ;;
	esac
}
need "$LINUX_SOURCE_PKG" "$LINUX_SOURCE_VERSION"
for p in rustc-web rust-web-src libstd-rust-web-dev; do need $p "$RUSTC_PKG_VERSION"; done
for p in clang lld llvm libclang; do
	[ $p = libclang ] && need libclang-$LLVM_VERSION-dev || need $p-$LLVM_VERSION
done
for p in $DEB_PACKAGES; do need "$p"; done

mkdir -p "$CACHE_DIR"
if [ ${#want[@]} -gt 0 ]; then
	echo "bsdinet: installing ${want[*]}"
	$sudo apt-get update -qq >/dev/null || die "apt-get update failed"
	install() {
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --allow-downgrades \
			"$@" >>"$CACHE_DIR/apt.log" 2>&1
	}
	if ! install "${want[@]}"; then
		# Debian's security archive drops old kernel sources after a while:
		# take the current one rather than fail (the kernel cache key
		# follows the version actually installed).
		want=("${want[@]/#$LINUX_SOURCE_PKG=*/$LINUX_SOURCE_PKG}")
		echo "bsdinet: $LINUX_SOURCE_PKG=$LINUX_SOURCE_VERSION is not available; trying the current version" >&2
		install "${want[@]}" || die "apt-get install ${want[*]} failed; see $CACHE_DIR/apt.log"
	fi
fi

"$RUSTC" --version 2>/dev/null | grep -q "^rustc $RUSTC_VERSION " ||
	die "$RUSTC is not rustc $RUSTC_VERSION (package rustc-web=$RUSTC_PKG_VERSION)"

if ! "$BINDGEN" --version 2>/dev/null | grep -q " $BINDGEN_VERSION\$"; then
	command -v cargo >/dev/null || die "cargo is missing: it is needed to install bindgen-cli"
	echo "bsdinet: installing bindgen-cli $BINDGEN_VERSION into $TOOLS_DIR"
	cargo install --quiet --locked bindgen-cli --version "$BINDGEN_VERSION" --root "$TOOLS_DIR" ||
		die "cargo install bindgen-cli $BINDGEN_VERSION failed"
fi
