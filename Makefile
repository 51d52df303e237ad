# SPDX-License-Identifier: GPL-2.0
# bsdinet: the 4.4BSD-Lite TCP/IP stack as a Linux module.
#
#   make            build bsdinet.ko (installs tools and builds the test kernel if needed)
#   make run        boot the test VM with bsdinet loaded; CMD='...' runs a command there
#   make test       host tests (cargo test) and the VM selftests
#   make host-test  host tests only
#   make vm-test    VM selftests only
#   make clean
#
# The kernel build (scripts/kernel.sh) is cached in ~/.cache/bsdinet.

versions = $(shell . scripts/versions.sh && echo $$LLVM_VERSION $$RUSTC $$BINDGEN)
LLVM_VERSION = $(word 1,$(versions))
RUSTC = $(word 2,$(versions))
BINDGEN = $(word 3,$(versions))

KDIR = $(shell scripts/kernel.sh)
KMAKE = $(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=-$(LLVM_VERSION) RUSTC=$(RUSTC) \
	HOSTRUSTC=$(RUSTC) BINDGEN=$(BINDGEN)

.PHONY: all module deps run test host-test vm-test selftests tools clean

all: module

deps:
	@scripts/deps.sh

module: deps
	@+$(KMAKE) modules

tools: deps
	@+$(MAKE) -s -C tools

selftests: module
	@+$(MAKE) -s -C selftests KDIR=$(KDIR) LLVM_VERSION=$(LLVM_VERSION)

run: module tools
	@scripts/vm.sh run $(if $(CMD),-- $(CMD))

host-test:
	cd rust && cargo test --quiet

vm-test: selftests tools
	@scripts/vm.sh test

test: selftests tools
	@scripts/test.sh

clean:
	@+$(KMAKE) clean 2>/dev/null || true
	@+$(MAKE) -s -C selftests clean
	@+$(MAKE) -s -C tools clean
	rm -rf rust/target
