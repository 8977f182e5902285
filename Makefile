# The targets a newcomer runs. `make demo` and `make test` are the two README.md starts with.
CARGO ?= cargo
BIN := target/release/accessory

.PHONY: all build demo test bench fuzz deps lint clean

all: build

build:
	@[ -x $(BIN) ] || echo "== first build of accessory (release): about 4 minutes on a 2-core machine; later builds take seconds"
	$(CARGO) build --release --bin accessory

# Installs the system packages the tests and the demo use (Debian). Safe to run again.
deps:
	./scripts/install-deps.sh

# The main job on an embedded default: see scripts/demo.sh for what it does.
demo: build
	./scripts/demo.sh

# Skipped tests are listed after the run (tests/src/skip.rs); under CI=true a skip of something
# `make deps` installs, or of root, is a failure instead.
SKIPS := $(CURDIR)/target/test-skips.txt
# As root, installs what the tests use first (a no-op when present); otherwise says what is missing and
# the tests that need it are listed as skipped. The several-stations ledger tests get a PostgreSQL
# cluster of their own (scripts/test-postgres.sh, loopback, stopped afterwards) unless
# ACCESSORY_TEST_POSTGRES already names one; each test makes and drops its own database in it.
test:
	@if [ "$$(id -u)" -eq 0 ]; then ./scripts/install-deps.sh; else ./scripts/install-deps.sh --check || true; fi
	@[ -d target/debug ] || echo "== first test build: about 4 minutes on a 2-core machine"
	$(CARGO) build --workspace --bins
	@mkdir -p target && rm -f $(SKIPS)
	@pg="$${ACCESSORY_TEST_POSTGRES:-}"; started=; \
	if [ -z "$$pg" ]; then \
	  pg=$$(./scripts/test-postgres.sh start | sed -n 's/^ACCESSORY_TEST_POSTGRES=//p') && started=1 || pg=; \
	fi; \
	status=0; env $${pg:+ACCESSORY_TEST_POSTGRES=$$pg} ACCESSORY_TEST_SKIPS=$(SKIPS) $(CARGO) test --workspace --no-fail-fast || status=$$?; \
	[ -z "$$started" ] || ./scripts/test-postgres.sh stop; \
	if [ -s $(SKIPS) ]; then \
	  echo "== $$(wc -l < $(SKIPS)) test(s) SKIPPED (not passed; see why below):"; sort $(SKIPS); \
	else echo "== no test skipped"; fi; \
	exit $$status

# Simulator benchmarks: handshakes/s against openssl s_server, memory of a 1000-accessory fleet.
bench:
	$(CARGO) bench -p accessory-trust --bench verifier
	./scripts/bench-sim.sh
	./scripts/bench-provision.sh
	./scripts/bench-softap.sh

# Every fuzz target (docs/fuzzing.md), FUZZ_SECONDS each (default 60); nightly toolchain and cargo-fuzz.
fuzz:
	./scripts/fuzz.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

clean:
	$(CARGO) clean
