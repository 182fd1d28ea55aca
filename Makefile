# qinfer — the two commands a new user needs:
#   make run    set up, build, make a demo model if MODEL is not given, and run it
#   make test   set up, build, and run every test (unit, sanitizers, ARM, oracles, server)
SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
ARM_BUILD ?= build-arm
# Emulated ARM server CPUs: Cortex-A72 (NEON only, like Phytium), Neoverse-N1 (dotprod, like
# Kunpeng 920 / Altra), max (SVE, i8mm, bf16, like Graviton3/4).
ARM_CPUS ?= cortex-a72 neoverse-n1 max
# Slow tests of code that does not dispatch on CPU features run on the last CPU model only
# (the same instructions execute on all three); everything else runs on each.
ARM_LAST_CPU_ONLY := SamplerStatistics.LargeVocabularyFastPaths:TokenMask.EqualsTryingEveryToken:TokenMask.RandomTokensAlwaysMakeValidDocuments:ConstrainedGeneration.*
# Statistical and random-walk property tests at Qwen3's vocabulary size take minutes unoptimized;
# they check results, which the Release and aarch64 runs do, and the same code paths run under
# the sanitizers in the smaller tests beside them.
ASAN_SKIP := SamplerStatistics.LargeVocabularyFastPaths:TokenMask.RandomTokensAlwaysMakeValidDocuments
VENV := .deps/venv
PYTHON := $(VENV)/bin/python
DEMO_MODEL := models/demo-qwen3-0.6B
MODEL ?= $(DEMO_MODEL)
PROMPT ?= Hello! What can you do for a bank that keeps its data on-premises?

.PHONY: all setup setup-build build build-asan build-arm run test test-unit test-asan test-arm test-reference test-integration clean

all: build

setup:
	scripts/setup.sh

setup-build:
	scripts/setup.sh --build-only

build: setup-build
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

build-asan: setup-build
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DQINFER_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)

build-arm: setup
	cmake -S . -B $(ARM_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake >/dev/null
	cmake --build $(ARM_BUILD) -j $(JOBS) --target $$(cd tests/unit && for d in */; do printf 'test_%s ' "$${d%/}"; done)

$(DEMO_MODEL)/config.json: | build
	$(BUILD)/qinfer mkmodel --preset 0.6B --format hf --dtype bf16 --seed 1 --out $(DEMO_MODEL)

run: build $(if $(filter $(DEMO_MODEL),$(MODEL)),$(DEMO_MODEL)/config.json)
	@echo "== qinfer run on $(MODEL) (demo weights are random: the text is meaningless) =="
	$(BUILD)/qinfer run -m $(MODEL) -p "$(PROMPT)" -n 48 --no-think --verbose

test: setup build build-asan build-arm
	$(MAKE) test-unit test-asan test-arm test-reference test-integration

# Test programs run $(JOBS) at a time: most are single-threaded, and none is timed.
test-unit:
	cd $(BUILD) && ctest -j $(JOBS) --output-on-failure

test-asan:
	cd $(ASAN_BUILD) && GTEST_FILTER='-$(ASAN_SKIP)' ctest -j $(JOBS) --output-on-failure

test-arm:
	@last=$(lastword $(ARM_CPUS)); for cpu in $(ARM_CPUS); do \
	  filter='*'; [ $$cpu = $$last ] || filter='-$(ARM_LAST_CPU_ONLY)'; \
	  echo "== unit tests on emulated aarch64 -cpu $$cpu (gtest filter $$filter) =="; \
	  (cd $(ARM_BUILD) && QEMU_CPU=$$cpu GTEST_FILTER="$$filter" ctest -j $(JOBS) --output-on-failure) || exit 1; \
	done
	@# -cpu max runs SVE at 512 bits; Graviton4 has 128-bit and Graviton3 256-bit vectors.
	@for vl in 128 256; do echo "== kernels at SVE $$vl-bit =="; \
	  (cd $(ARM_BUILD) && QEMU_CPU=max,sve$$vl=on ctest -R '^kernels$$' --output-on-failure) || exit 1; \
	done

test-reference:
	QINFER_BIN=$(abspath $(BUILD))/qinfer $(PYTHON) -m pytest -q tests/reference

# `qinfer serve` on a tiny random-weight model, driven by the official openai SDKs and raw HTTP.
test-integration:
	QINFER_BIN=$(abspath $(BUILD))/qinfer $(PYTHON) -m pytest -q tests/integration

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(ARM_BUILD)
