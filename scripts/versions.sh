# Every pinned version bsdinet builds with, in one place (sourced by scripts/*.sh).
LINUX_SOURCE_PKG=linux-source-6.12
LINUX_SOURCE_VERSION=6.12.117-1~deb12u1
RUSTC_PKG_VERSION=1.85.0+dfsg3-1~deb12u3   # rustc-web, rust-web-src, libstd-rust-web-dev
RUSTC_VERSION=1.85.0
LLVM_VERSION=19                             # clang-19 lld-19 llvm-19 libclang-19-dev
BINDGEN_VERSION=0.70.1                      # bindgen-cli from crates.io

# Debian packages installed at whatever version bookworm has.
DEB_PACKAGES="flex bison bc libelf-dev libssl-dev cpio kmod qemu-system-x86
  busybox-static iproute2 iputils-ping traceroute net-tools socat iperf3 python3 python3-scapy tshark
  tcpdump gcc make curl netcat-openbsd nginx-light wrk libpcap-dev smcroute igmpproxy"

TOOLS_DIR=${BSDINET_TOOLS_DIR:-/opt/bsdinet-tools}
CACHE_DIR=${BSDINET_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bsdinet}
RUSTC=/usr/bin/rustc
BINDGEN=$TOOLS_DIR/bin/bindgen
