// swift-tools-version:6.0
import PackageDescription

/// System libraries come from Debian's -dev packages (`make test` installs them).
let systemLibraries: [Target] = [
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),
]

let package = Package(
    name: "Rampart",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ServiceKit", targets: ["ServiceKit"]),
        .library(name: "ServiceKitTesting", targets: ["ServiceKitTesting"]),
        .library(name: "Firewall", targets: ["Firewall"]),
        .executable(name: "rampart", targets: ["Rampart"]),
        .executable(name: "teams-service", targets: ["TeamsService"]),
        .executable(name: "burger-service", targets: ["BurgerService"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/stencilproject/Stencil", from: "0.15.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: systemLibraries + [
        // The Quart/Flask-style framework every Rampart service (and the proxy's admin listener) is built on.
        .target(
            name: "ServiceKit",
            dependencies: [
                "CZlib",
                "CLibCrypto",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Stencil", package: "Stencil"),
            ]
        ),
        // In-process and live test clients for ServiceKit apps.
        .target(
            name: "ServiceKitTesting",
            dependencies: [
                "ServiceKit",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        // Command-line options and start-up shared by ServiceKit services.
        .target(
            name: "ServiceKitCLI",
            dependencies: ["ServiceKit", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // IP addresses and CIDR blocks: trusted proxies, rate-limit grouping, firewall address rules.
        .target(name: "NetworkAddress"),
        // Reading human-edited YAML (rules, policies, config) with file:line:column errors.
        .target(name: "RuleFile", dependencies: [.product(name: "Yams", package: "Yams")]),
        // Rate limiting: token buckets and concurrency limits per policy, no sockets.
        .target(name: "RateLimit", dependencies: ["CMemoryHint", "NetworkAddress", "RuleFile", .product(name: "Yams", package: "Yams")]),
        // A cache prefetch, which Swift cannot spell: the rate limiter's batched decisions overlap their memory reads.
        .target(name: "CMemoryHint"),
        // The shared rate-limit store: a pipelined RESP client on SwiftNIO and the Redis bucket script.
        .target(
            name: "RateLimitRedis",
            dependencies: [
                "RateLimit",
                "CLibCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The request firewall: PCRE2 rule matching, no sockets.
        .target(
            name: "Firewall",
            dependencies: ["CPCRE2", "NetworkAddress", "RuleFile", .product(name: "Yams", package: "Yams")]
        ),

        // The proxy's pure logic: config, routes, client resolution, header rewriting, server selection, validation.
        .target(
            name: "ProxyCore",
            dependencies: [
                "NetworkAddress", "RuleFile",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The data plane on SwiftNIO: listener, per-loop upstream pools, the request path.
        .target(
            name: "RampartProxy",
            dependencies: [
                "ProxyCore", "Firewall", "RateLimit", "RateLimitRedis", "ServiceKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // The `rampart` executable: serve, check, version.
        .executableTarget(
            name: "Rampart",
            dependencies: [
                "Firewall", "RateLimit", "RuleFile", "ProxyCore", "RampartProxy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // Example backend services.
        .executableTarget(
            name: "TeamsService",
            dependencies: ["ServiceKit", "ServiceKitCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "BurgerService",
            dependencies: ["ServiceKit", "ServiceKitCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            resources: [.copy("templates")]
        ),

        // Benchmark peers: the same hello endpoint on ServiceKit and on plain Hummingbird.
        .executableTarget(
            name: "HelloServiceKit",
            dependencies: ["ServiceKit"],
            path: "Benchmarks/HelloServiceKit"
        ),
        .executableTarget(
            name: "HelloHummingbird",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Benchmarks/HelloHummingbird"
        ),

        // Helpers shared by the test targets: Python peers, locks for closures.
        .target(
            name: "TestSupport",
            dependencies: [.product(name: "NIOPosix", package: "swift-nio")],
            path: "Tests/Support"
        ),
        // Heap allocation counting for benchmarks (interposes malloc; linked only into benchmark executables).
        .target(name: "CAllocationCounter", path: "Benchmarks/CAllocationCounter"),
        .executableTarget(name: "FirewallBench", dependencies: ["Firewall", "CAllocationCounter"], path: "Benchmarks/FirewallBench"),
        .executableTarget(
            name: "ProxyBench",
            dependencies: ["ProxyCore", "RampartProxy", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/ProxyBench"
        ),
        .executableTarget(
            name: "RateLimitBench",
            dependencies: ["RateLimit", "RateLimitRedis", .product(name: "NIOPosix", package: "swift-nio")],
            path: "Benchmarks/RateLimitBench"
        ),

        // Request corpora for the firewall (OWASP CRS regression cases, our benign traffic) and the replay tool.
        .target(name: "FirewallCorpora", dependencies: ["Firewall", .product(name: "Yams", package: "Yams")], path: "Tools/FirewallCorpora"),
        .executableTarget(name: "crs-replay", dependencies: ["FirewallCorpora", "Firewall"], path: "Tools/CRSReplay"),

        .testTarget(
            name: "ServiceKitTests",
            dependencies: [
                "ServiceKit",
                "TestSupport",
                "ServiceKitTesting",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "FirewallTests", dependencies: ["Firewall", "FirewallCorpora", "RuleFile", "TestSupport", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "RateLimitTests", dependencies: ["RateLimit", "NetworkAddress", "RateLimitRedis", "TestSupport"]),
        .testTarget(name: "ProxyCoreTests", dependencies: ["ProxyCore", "NetworkAddress", .product(name: "NIOHTTP1", package: "swift-nio")]),
        .testTarget(
            name: "RampartTests",
            dependencies: [
                "TestSupport", "RampartProxy", "ProxyCore", "Firewall", "RateLimit", "NetworkAddress", "ServiceKit", "ServiceKitTesting",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ExampleServicesTests",
            dependencies: [
                "TeamsService", "BurgerService", "ServiceKitTesting", "TestSupport",
            ]
        ),
    ]
)
