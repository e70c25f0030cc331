# The two set-up commands: `make demo` and `make test`. Both install what is missing first.
SWIFT_RELEASE_FLAGS := -c release -Xswiftc -enforce-exclusivity=unchecked

.PHONY: deps build test demo release bench bench-proxy crs-report clean

deps:
	@scripts/install-deps.sh

build: deps
	swift build

test:
	@RAMPART_TEST=1 scripts/install-deps.sh
	swift build
	swift test --skip LiveReloadTests
	# Live reload is timed (a change applies within 1 s), so it runs alone, not beside every other suite on two cores.
	swift test --skip-build --filter LiveReloadTests

demo: deps
	swift build $(SWIFT_RELEASE_FLAGS)
	@scripts/demo.sh

# rampart as it is benchmarked and deployed, profile-guided: .build-release/rampart (about 10 minutes).
release: deps
	@scripts/release-build.sh

bench:
	@RAMPART_BENCH=1 scripts/install-deps.sh
	@Benchmarks/servicekit-hello.sh
	@Benchmarks/ratelimit.sh
	@Benchmarks/streaming.sh
	swift build $(SWIFT_RELEASE_FLAGS) --product FirewallBench
	.build/release/FirewallBench rules/firewall
	@Benchmarks/firewall-instructions.sh
	@Benchmarks/proxy-instructions.sh

# Rampart against nginx, haproxy and nginx+ModSecurity (../shared/bench/reference.sh, about 25 minutes with the
# release build). `rampart_plain` is the same proxy built without the profile, to show what the profile gives.
bench-proxy:
	@RAMPART_BENCH=1 scripts/install-deps.sh
	@scripts/release-build.sh
	swift build $(SWIFT_RELEASE_FLAGS) --product rampart
	../shared/bench/reference.sh \
	  --start "$(CURDIR)/.build-release/rampart serve --config Benchmarks/proxy/rampart-bench.yaml --threads 1 --log-level warning" \
	  --also rampart=http://127.0.0.1:8090 \
	  --start "$(CURDIR)/.build-release/rampart serve --config Benchmarks/proxy/rampart-bench-nofirewall.yaml --threads 1 --log-level warning" \
	  --also rampart_nofirewall=http://127.0.0.1:8091 \
	  --start "$(CURDIR)/.build-release/rampart serve --config Benchmarks/proxy/rampart-bench-accesslog.yaml --threads 1 --log-level warning" \
	  --also rampart_accesslog=http://127.0.0.1:8092 \
	  --start "$(CURDIR)/.build/release/rampart serve --config Benchmarks/proxy/rampart-bench-plain.yaml --threads 1 --log-level warning" \
	  --also rampart_plain=http://127.0.0.1:8093

# Regenerates docs/crs-report.md: the default rules against the CRS corpus in ../shared/crs and our benign corpus.
crs-report: build
	@Tools/crs-report.sh

clean:
	rm -rf .build
