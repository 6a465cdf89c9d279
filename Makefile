# syncmap: the two-command quick start is `make lab` and `make test`.
# Every target installs missing Debian packages first (scripts/bootstrap), then
# configures and builds into its own folder under build/.

JOBS ?= $(shell nproc)
CMAKE_GENERATOR ?= Ninja
CONFIGURE = cmake -G "$(CMAKE_GENERATOR)" -S . -Wno-dev
LAB_ARGS ?=
SOAK_SECONDS ?= 600

.PHONY: all deps deps-core deps-bench lab test test-asan test-tsan bench bench-programs soak fuzz examples clean

all: test

deps:
	@scripts/bootstrap core peers plots fuzz

deps-core:
	@scripts/bootstrap core

# The benchmark matrix also runs peers in their own runtimes (Go, Java) and xenium.
deps-bench:
	@scripts/bootstrap core peers plots bench-peers

build/release/build.ninja: | deps
	$(CONFIGURE) -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYNCMAP_FUZZ=ON

build/asan/build.ninja: | deps
	$(CONFIGURE) -B build/asan -DCMAKE_BUILD_TYPE=Debug -DSYNCMAP_SANITIZE=address \
	  -DSYNCMAP_BUILD_BENCH=OFF -DSYNCMAP_BUILD_LAB=OFF

build/tsan/build.ninja: | deps
	$(CONFIGURE) -B build/tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYNCMAP_SANITIZE=thread \
	  -DSYNCMAP_BUILD_BENCH=OFF -DSYNCMAP_BUILD_LAB=OFF

# Examples only: no tests, benchmarks or lab to configure or build.
build/examples/build.ninja: | deps-core
	$(CONFIGURE) -B build/examples -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSYNCMAP_BUILD_TESTS=OFF -DSYNCMAP_BUILD_BENCH=OFF -DSYNCMAP_BUILD_LAB=OFF -DSYNCMAP_BUILD_SOAK=OFF

build/soak/build.ninja: | deps
	$(CONFIGURE) -B build/soak -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYNCMAP_BUILD_TESTS=OFF \
	  -DSYNCMAP_BUILD_BENCH=OFF -DSYNCMAP_BUILD_LAB=OFF -DSYNCMAP_BUILD_EXAMPLES=OFF

build/bench/build.ninja: | deps
	$(CONFIGURE) -B build/bench -DCMAKE_BUILD_TYPE=Release -DSYNCMAP_BUILD_TESTS=OFF

test: deps build/release/build.ninja
	cmake --build build/release -j $(JOBS)
	cd build/release && ctest --output-on-failure -j $(JOBS)

test-asan: deps build/asan/build.ninja
	cmake --build build/asan -j $(JOBS)
	cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) -LE no-sanitizer

test-tsan: deps build/tsan/build.ninja
	cmake --build build/tsan -j $(JOBS)
	cd build/tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  ctest --output-on-failure -j $(JOBS) -LE no-sanitizer

lab: deps build/release/build.ninja
	cmake --build build/release -j $(JOBS) --target syncmap-lab
	build/release/lab/syncmap-lab $(LAB_ARGS)

# The whole benchmark matrix, peers side by side, into bench-report/ (docs/BENCHMARKS.md).
# QUICK=1: a reduced matrix of the same shape, a few minutes.
bench: deps-bench build/bench/build.ninja
	cmake --build build/bench -j $(JOBS) --target syncmap-matrix
	bench/run_matrix $(if $(QUICK),--quick) build/bench

# The Google Benchmark programs with their targets' verdicts, one after another.
bench-programs: deps build/bench/build.ninja
	cmake --build build/bench -j $(JOBS)
	build/bench/bench/syncmap-bench
	build/bench/bench/syncmap-memory
	build/bench/bench/syncmap-traversal-bench
	build/bench/bench/syncmap-rcu-bench
	if [ -x build/bench/bench/go_map-bench ]; then build/bench/bench/go_map-bench; fi

# A bounded soak of sync_map (docs/LAB.md, "Soak"): SOAK_SECONDS (default 600) of churn,
# snapshots, scans, thread churn and clears, every result checked; writes soak-report/.
soak: deps build/soak/build.ninja
	cmake --build build/soak -j $(JOBS) --target syncmap-soak
	build/soak/soak/syncmap-soak --seconds $(SOAK_SECONDS) --report soak-report

examples: deps-core build/examples/build.ninja
	cmake --build build/examples -j $(JOBS) --target run_examples

clean:
	rm -rf build
