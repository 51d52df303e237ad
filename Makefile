# SPDX-License-Identifier: GPL-2.0
# bsdinet: the 4.4BSD-Lite TCP/IP stack as a Linux module.
#
#   make            build bsdinet.ko (installs tools and builds the test kernel if needed)
#   make run        boot the test VM with bsdinet loaded; CMD='...' runs a command there
#   make test       host tests (cargo test) and the VM selftests
#   make host-test  host tests only
#   make vm-test    VM selftests only
#   make bench      bsdinet side by side with Linux's stack on the bench kernel (not part of test)
#   make clean
#
# The kernel builds (scripts/kernel.sh: the test kernel, and the bench kernel
# without debugging options) are cached in ~/.cache/bsdinet.

versions = $(shell . scripts/versions.sh && echo $$LLVM_VERSION $$RUSTC $$BINDGEN)
LLVM_VERSION = $(word 1,$(versions))
RUSTC = $(word 2,$(versions))
BINDGEN = $(word 3,$(versions))

# Recipes find the kernel with `kdir=$$(scripts/kernel.sh) && ...`, so that
# it is built (once) after deps, and a failed build stops make at once.
KMAKE = $(MAKE) -C $$kdir M=$(CURDIR) LLVM=-$(LLVM_VERSION) RUSTC=$(RUSTC) \
	HOSTRUSTC=$(RUSTC) BINDGEN=$(BINDGEN)

.PHONY: all module deps run test host-test vm-test conformance selftests tools bench clean

all: module

deps:
	@scripts/deps.sh

module: deps
	@+kdir=$$(scripts/kernel.sh) && $(KMAKE) modules

tools: deps
	@+$(MAKE) -s -C tools

selftests: module
	@+kdir=$$(scripts/kernel.sh) && $(MAKE) -s -C selftests KDIR=$$kdir LLVM_VERSION=$(LLVM_VERSION)

run: module tools selftests
	@scripts/vm.sh run $(if $(CMD),-- $(CMD))

host-test:
	cd rust && cargo test --quiet
	cd tools/drill && python3 -m unittest test_drill

vm-test: selftests tools
	@scripts/vm.sh test

# The packet-script suite alone, both stacks (STACKS=bsd for one).
conformance: module tools selftests
	@scripts/vm.sh run -- env CONFORMANCE_STACKS='$(or $(STACKS),bsd linux)' selftests/conformance_test.sh

test: selftests tools
	@scripts/test.sh

# The bench kernel is another kernel, and Kbuild 6.12 builds an external
# module in its source directory: bsdinet.ko for it is built from a copy of
# the module's sources in bench/out/module, so the test build stays as it is.
BENCH_MOD = $(CURDIR)/bench/out/module
bench: deps tools
	@+kdir=$$(scripts/kernel.sh bench) && mkdir -p $(BENCH_MOD) && \
	tar --exclude='*.o' --exclude='.*' --exclude='*.ko' --exclude='*.mod*' --exclude='*.rmeta' --exclude='*.d' \
		-cf - Kbuild include rust/bsdinet.rs rust/bsd rust/linux | tar -C $(BENCH_MOD) -xf - && \
	$(MAKE) -s -C $$kdir M=$(BENCH_MOD) LLVM=-$(LLVM_VERSION) RUSTC=$(RUSTC) HOSTRUSTC=$(RUSTC) \
		BINDGEN=$(BINDGEN) modules && \
	$(MAKE) -s -C bench
	@BSDINET_KERNEL=bench BSDINET_MODULE=$(BENCH_MOD)/bsdinet.ko BSDINET_VM_TIMEOUT=3600 \
		scripts/vm.sh run -- bench/run.sh $(BENCH_ARGS)

clean:
	find . -path ./rust/target -prune -o \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
		-o -name '*.mod.c' -o -name '.*.cmd' -o -name '*.rmeta' -o -name '*.d' \) -print0 | xargs -0 rm -f
	rm -f Module.symvers modules.order
	@+$(MAKE) -s -C selftests clean
	@+$(MAKE) -s -C tools clean
	rm -rf bench/out
	rm -rf rust/target
