# Front door. `make demo` and `make test` do all the set-up on a fresh Debian 12 machine.
# Compiler: g++ 12 by default; `make test CXX=clang++-16 CC=clang-16` builds and tests with Fivetran's
# compiler (in build/Release-clang, so both builds can live side by side).
BUILD_DIR ?= build/Release$(if $(findstring clang,$(CXX)),-clang,)
CONNECTOR_BUILD_DIR ?= build/Release
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)
CTEST_FLAGS ?= --output-on-failure -j $(JOBS)

COMPILER_FLAGS :=
ifneq ($(origin CXX),default)
COMPILER_FLAGS += -DCMAKE_CXX_COMPILER=$(CXX)
export CXX
endif
ifneq ($(origin CC),default)
COMPILER_FLAGS += -DCMAKE_C_COMPILER=$(CC)
export CC
endif

.PHONY: all deps build_dependencies configure build build_connector test demo bench sanitize fuzz \
        fuzz-build bench-tables bench-soak bench-partitions standalone-check format format-check clean

all: build

deps:
	@bash scripts/deps.sh

# Fivetran's build pipeline hooks: `make build_dependencies` then `make build_connector`.
build_dependencies: deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DAC_BUILD_TESTS=ON $(COMPILER_FLAGS) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Exactly one executable: build/Release/athena-connector (no tests, tools or benchmarks), linked
# statically but for glibc.
build_connector:
	@cmake -S . -B $(CONNECTOR_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DAC_BUILD_TESTS=OFF $(COMPILER_FLAGS) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(CONNECTOR_BUILD_DIR) --target athena-connector -j $(JOBS)

test: build
	@ctest --test-dir $(BUILD_DIR) $(CTEST_FLAGS)

demo: build
	@bash scripts/demo.sh $(BUILD_DIR)

bench: build
	@bash bench/e2e/run.sh $(BUILD_DIR)

# A database of 20 tables (10 M rows) through the gRPC path with max_parallel_tables 1/4/8, and the
# bytes a deselected column saves (bench/e2e/tables.sh).
bench-tables: build
	@bash bench/e2e/tables.sh $(BUILD_DIR)

# A table of 365 daily partitions (10 M rows): the first sync, then the incremental sync after one
# new day, bytes scanned from athena-local's query log (bench/e2e/partitions.sh).
bench-partitions: build
	@bash bench/e2e/partitions.sh $(BUILD_DIR)

# Several tables (1.2 M rows) through the gRPC path under 28% mixed faults, the connector killed
# (SIGKILL) at random points and restarted, 3 times: exact rows every run, wall time against a
# fault-free run, peak RSS, retries (bench/soak/run.sh; SOAK_* variables there).
bench-soak: build
	@bash bench/soak/run.sh $(BUILD_DIR)

# Builds the connector as Fivetran does (build_dependencies, build_connector, clang-16) in its own
# build dir, then runs it alone in a minimal Debian 12 root (debootstrap minbase, cached in .deps/):
# --help, the gRPC server against athena-local outside the root, debug into a warehouse.
standalone-check: build
	@bash scripts/standalone_check.sh $(BUILD_DIR)

# Address + undefined-behaviour sanitizer build and test run, in its own build dir.
SANITIZER_ENV = UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
sanitize:
	@$(SANITIZER_ENV) $(MAKE) test BUILD_DIR=build/Sanitize \
	  CMAKE_FLAGS="-DSANITIZE=address,undefined -DCMAKE_BUILD_TYPE=RelWithDebInfo"

# libFuzzer targets (tests/fuzz/) with clang-16, ASan and UBSan in build/Fuzz; each runs
# FUZZ_SECONDS from its seed corpus (new entries in build/Fuzz/fuzz-corpus/); fails on any crash.
FUZZ_BUILD_DIR ?= build/Fuzz
FUZZ_SECONDS ?= 60
fuzz-build: deps
	@cmake -S . -B $(FUZZ_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAC_BUILD_TESTS=OFF \
	  -DAC_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++-16 -DCMAKE_C_COMPILER=clang-16 $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(FUZZ_BUILD_DIR) --target ac_fuzzers -j $(JOBS)

fuzz: fuzz-build
	@bash scripts/fuzz.sh $(FUZZ_BUILD_DIR) $(FUZZ_SECONDS)

# The one code style (.clang-format, clang-format 16): `make format` rewrites the C++ sources,
# `make format-check` (run by CI) lists files that differ and fails.
CLANG_FORMAT ?= clang-format-16
FORMAT_FILES = $(shell git ls-files '*.cc' '*.h')

format: deps
	@$(CLANG_FORMAT) -i $(FORMAT_FILES)

format-check: deps
	@$(CLANG_FORMAT) --dry-run -Werror $(FORMAT_FILES) && echo "format-check: $(words $(FORMAT_FILES)) files match .clang-format"

clean:
	rm -rf build
