# The two set-up commands: `make demo` and `make test`. Both install what is missing first.
SWIFT_RELEASE_FLAGS := -c release -Xswiftc -enforce-exclusivity=unchecked

.PHONY: deps build test demo bench crs-report clean

deps:
	@scripts/install-deps.sh

build: deps
	swift build

test: build
	swift test

demo: deps
	swift build $(SWIFT_RELEASE_FLAGS)
	@scripts/demo.sh

bench:
	@RAMPART_BENCH=1 scripts/install-deps.sh
	@Benchmarks/servicekit-hello.sh
	@Benchmarks/ratelimit.sh
	swift build $(SWIFT_RELEASE_FLAGS) --product FirewallBench
	.build/release/FirewallBench rules/firewall

# Regenerates docs/crs-report.md: the default rules against the CRS corpus in ../shared/crs and our benign corpus.
crs-report: build
	@Tools/crs-report.sh

clean:
	rm -rf .build
