# The two commands of the README. Both install what is missing, then build.
#   make demo   set up, build, and run mdivicom's main job on examples/
#   make test   set up, build, run the whole test suite, a short fuzz pass and clang-tidy on the
#               files changed since main (what CI runs)
#   make fuzz   build the libFuzzer targets in build-fuzz/ (clang-14) and run each FUZZ_SECONDS
#   make test-sanitize   the suite under ASan, UBSan and LSan in build-sanitize/ (not run by CI: ~3x
#                        the build's CPU, see README's Options)
#   make tidy   clang-tidy on the sources changed since the merge-base with main (TIDY_BASE=commit)
#   make deb    build, then the Debian package $(BUILD)/mdivicom_<version>_<arch>.deb (cmake/Package.cmake)

BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
# make test's fuzz pass: each target over its seed corpus, then this many seconds of fuzzing.
TEST_FUZZ_SECONDS ?= 15

.PHONY: all deps build demo test bench clean format-check fuzz-build fuzz test-sanitize tidy deb

all: build

deps:
	scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DMDIVICOM_WERROR=ON
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	scripts/demo.sh $(BUILD)

# What cmake --install installs (stripped), in /usr, with its Depends read from what the programs
# link (dpkg-shlibdeps). Install it with: apt install ./$(BUILD)/mdivicom_*.deb
deb: build
	cd $(BUILD) && cpack -G DEB

# The suite, then a short pass of every fuzz target (a fuzz build from scratch takes ~14 min of
# CPU, ~8 min on 2 cores; the pass 13 x TEST_FUZZ_SECONDS), then clang-tidy on the files changed
# since main, one file per changed header (scripts/tidy.sh --quick: 3-17 s of CPU a file; none on main).
test: build fuzz-build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 600
	scripts/fuzz.sh $(FUZZ_BUILD) $(TEST_FUZZ_SECONDS)
	BUILD=$(BUILD) JOBS=$(JOBS) scripts/tidy.sh --quick $(TIDY_BASE)

# Debug: _GLIBCXX_ASSERTIONS on; the fuzz settings compile at -O1 (cmake/Settings.cmake).
fuzz-build: deps
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++-14 -DMDIVICOM_FUZZ=ON \
	  -DMDIVICOM_WERROR=ON
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzzers

fuzz: fuzz-build
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# The suite under ASan, UBSan and LSan (GCC), in its own build tree; test cases tagged
# [no-sanitizer] are left out (tests/CMakeLists.txt).
test-sanitize: deps
	cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMDIVICOM_SANITIZE=ON -DMDIVICOM_WERROR=ON
	cmake --build build-sanitize -j$(JOBS)
	cd build-sanitize && ctest --output-on-failure -j$(JOBS) --timeout 900

# Every source a change affects: a changed header brings in all that include it, up to the whole
# of src/ (~16 min of CPU). make test runs the --quick form.
tidy: build
	BUILD=$(BUILD) JOBS=$(JOBS) scripts/tidy.sh $(TIDY_BASE)

bench: build
	for b in bench/*.sh; do echo "== $$b"; "$$b" $(BUILD) || exit 1; done

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD) build-sanitize
