# Thin wrapper over CMake. The README's two commands are `make run` and
# `make test`; both install missing Debian packages first (scripts/deps.sh).
BUILD    ?= build
SANITIZE ?= 0
WERROR   ?= 0
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
# The sanitizer build is a Debug build: assertions and the expensive
# invariant checks (LAN_DEBUG_CHECKS) run there, where a failure is cheap to
# read. Any other build is RelWithDebInfo. BUILD_TYPE=... overrides both.
BUILD_TYPE ?= $(if $(filter 1,$(SANITIZE)),Debug,RelWithDebInfo)
CMAKE_FLAGS ?=
# Tests labelled `slow` (crash loops, big tournaments) run only when SLOW=1.
SLOW     ?= 1
LISTEN   ?= 127.0.0.1:7447
HTTP     ?= 127.0.0.1:8080
DB       ?= lanthanide.db

.PHONY: all build deps configure run test test-asan bench fuzz format docs clean

all: build

deps:
	@bash scripts/deps.sh

# CMake runs on every build with every option spelled out, so a second
# `make test WERROR=1` over a build configured with WERROR=0 really builds
# with -Werror (options live in the cache, and a cache that exists is not
# reconfigured by itself). When nothing changed this costs a second and
# rebuilds nothing. CMAKE_FLAGS comes last and so wins.
configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DLAN_SANITIZE=$(if $(filter 1,$(SANITIZE)),ON,OFF) \
	  -DLAN_WERROR=$(if $(filter 1,$(WERROR)),ON,OFF) $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	bash scripts/run.sh $(BUILD) $(LISTEN) $(DB) $(HTTP)

# Labels left out: `slow` when SLOW=0, and `browser` (Chromium driving the
# web client) in the sanitizer build, where ASan and Chromium together are
# slow and the server's code paths are the ones integration_ws covers.
empty :=
space := $(empty) $(empty)
EXCLUDE = $(subst $(space),|,$(strip $(if $(filter 0,$(SLOW)),slow) \
            $(if $(filter 1,$(SANITIZE)),browser)))

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(if $(EXCLUDE),-LE '$(EXCLUDE)',)

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer, in a
# Debug build (assertions and LAN_DEBUG_CHECKS on), without the `slow` and
# `browser` labels.
test-asan:
	$(MAKE) test BUILD=build-asan SANITIZE=1 SLOW=0

bench: build
	bash bench/run.sh $(BUILD)

fuzz: deps
	bash scripts/deps.sh fuzz
	CC=clang cmake -S . -B build-fuzz -DLAN_FUZZ=ON -DLAN_TESTS=OFF -DLAN_BENCH=OFF
	cmake --build build-fuzz -j $(JOBS)
	bash fuzz/run.sh build-fuzz

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# Documents generated from the code (the test docs_orders_current checks
# that the committed ones are current).
docs: build
	$(BUILD)/bin/lanthanide schema --markdown > docs/orders.md

clean:
	rm -rf build build-asan build-fuzz
