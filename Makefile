# Front door. `make demo` and `make test` do all the set-up on a fresh Debian 12 machine.
BUILD_DIR ?= build/Release
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)
CTEST_FLAGS ?= --output-on-failure -j $(JOBS)

.PHONY: all deps build_dependencies configure build build_connector test demo bench sanitize clean

all: build

deps:
	@bash scripts/deps.sh

# Fivetran's build pipeline hook.
build_dependencies: deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DAC_BUILD_TESTS=ON $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Exactly one executable: build/Release/athena-connector (no tests, tools or benchmarks).
build_connector:
	@cmake -S . -B build/Release -G Ninja -DCMAKE_BUILD_TYPE=Release -DAC_BUILD_TESTS=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build build/Release --target athena-connector -j $(JOBS)

test: build
	@ctest --test-dir $(BUILD_DIR) $(CTEST_FLAGS)

demo: build
	@bash scripts/demo.sh $(BUILD_DIR)

bench: build
	@bash bench/e2e/run.sh $(BUILD_DIR)

# Address + undefined-behaviour sanitizer build and test run, in its own build dir.
sanitize:
	@$(MAKE) test BUILD_DIR=build/Sanitize CMAKE_FLAGS="-DSANITIZE=address,undefined -DCMAKE_BUILD_TYPE=RelWithDebInfo"

clean:
	rm -rf build
