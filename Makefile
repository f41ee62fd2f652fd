# The two commands of the README. Both install what is missing, then build.
#   make demo   set up, build, and run mdivicom's main job on examples/
#   make test   set up, build, and run the whole test suite (what CI runs)

BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all deps build demo test bench clean format-check

all: build

deps:
	scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DMDIVICOM_WERROR=ON
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	scripts/demo.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 600

bench: build
	for b in bench/*.sh; do echo "== $$b"; "$$b" $(BUILD) || exit 1; done

clean:
	rm -rf $(BUILD)
