import Firewall
import Foundation
import ProxyCore
import RateLimit
import Testing
import TestSupport
import Yams

/// The recipes in deploy/: what can be checked without a container engine or a cluster.
@Suite struct DeployTests {
    static let deploy = repositoryRoot + "/deploy"

    static func yaml(_ path: String) throws -> [Node] {
        try Array(Yams.compose_all(yaml: try String(contentsOfFile: path, encoding: .utf8)).compactMap { $0 })
    }

    static func text(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    // MARK: Configs

    @Test func everyShippedConfigIsValid() throws {
        let demo = try ProxyConfigFile.load(path: Self.deploy + "/rampart.yaml")
        #expect(demo.listen == ProxyConfig.Address(host: "127.0.0.1", port: 8080))
        #expect(demo.adminListen == ProxyConfig.Address(host: "127.0.0.1", port: 9901))
        #expect(demo.rulesDirectory == "rules")

        let container = try ProxyConfigFile.load(path: Self.deploy + "/container/rampart.yaml", environment: ["RAMPART_ADMIN_TOKEN": "t"])
        #expect(container.listen.port == 8080 && container.adminListen.port == 9901)
        #expect(container.rulesDirectory == "/etc/rampart/rules")
        #expect(throws: (any Error).self, "the container's admin listener is not on loopback: no token, no start") {
            try ProxyConfigFile.load(path: Self.deploy + "/container/rampart.yaml")
        }
    }

    // MARK: Container

    /// The Dockerfile's runtime stage installs exactly the Debian packages of the libraries the binary links.
    @Test func theRuntimeImageHasTheLibrariesTheBinaryLinks() async throws {
        let dockerfile = try Self.text(Self.deploy + "/container/Dockerfile")
        let stages = dockerfile.components(separatedBy: "\nFROM ")
        #expect(stages.count == 3, "a build stage and a runtime stage")
        let runtime = try #require(stages.last)
        #expect(runtime.hasPrefix("debian:bookworm-slim"))
        let install = try #require(runtime.range(of: #"apt-get install -y --no-install-recommends ([a-z0-9.+\- ]+)"#, options: .regularExpression))
        let packages = Set(runtime[install].split(separator: " ").dropFirst(4).map(String.init))
        #expect(runtime.contains("USER rampart"), "runs as a non-root user")
        #expect(runtime.contains("HEALTHCHECK") && runtime.contains("\"health\""), "the health check asks /healthz through `rampart health`")
        #expect(runtime.contains("EXPOSE 8080 9901"))
        #expect(stages[1].contains("--static-swift-stdlib"), "the Swift runtime is linked in, so the image needs no toolchain")

        let ldd = try await runProgram("/usr/bin/ldd", [CheckCommandTests.binary])
        try #require(ldd.status == 0, "\(ldd.errors)")
        var needed = Set<String>()
        for line in ldd.output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count >= 3, parts[1] == "=>" else { continue }
            let path = String(parts[2])
            // Swift's own runtime libraries come from the toolchain here and are linked statically in the image.
            if path.hasPrefix("/opt/swift") || path.contains("/swift/linux/") { continue }
            needed.insert(try await Self.debianPackage(of: path))
        }
        // libc6, libgcc-s1 and libstdc++6 are part of debian:bookworm-slim itself (apt needs them).
        let base: Set<String> = ["libc6", "libgcc-s1", "libstdc++6"]
        #expect(needed.subtracting(base) == packages, "the binary links \(needed.sorted()); the image installs \(packages.sorted())")
        #expect(packages == ["libpcre2-8-0", "zlib1g", "libssl3"])
    }

    /// The container and the systemd recipe install the release build (`scripts/release-build.sh`), which has the
    /// benchmark's flags; they used plain `swift build -c release`, without `-enforce-exclusivity=unchecked`.
    @Test func deploymentsInstallTheReleaseBuild() throws {
        let dockerfile = try Self.text(Self.deploy + "/container/Dockerfile")
        #expect(dockerfile.contains("RUN scripts/release-build.sh --static-swift-stdlib"))
        #expect(dockerfile.contains("cp .build-release/rampart "))
        #expect(!dockerfile.contains("--product rampart"), "rampart is not built a second way")
        let recipe = try Self.text(Self.deploy + "/README.md")
        #expect(recipe.contains("make release && install -m 755 .build-release/rampart /usr/local/bin/rampart"))
        let makefile = try Self.text(repositoryRoot + "/Makefile")
        let script = try Self.text(repositoryRoot + "/scripts/release-build.sh")
        #expect(makefile.contains("SWIFT_RELEASE_FLAGS := -c release -Xswiftc -enforce-exclusivity=unchecked"))
        #expect(script.contains("flags=(-c release -Xswiftc -enforce-exclusivity=unchecked "))
    }

    /// The release build trains its profile with `Benchmarks/proxy/train.py` through the default rules and stops
    /// if an ordinary request is not answered 200 or an attack not 403. A rule change that broke either would
    /// stop `make release` and the container build; it fails here first, against the debug build.
    @Test func theReleaseBuildsTrainingTrafficIsAnsweredAsItRequires() async throws {
        let train = repositoryRoot + "/Benchmarks/proxy/train.py"
        let backend = try ChildProcess("python3", arguments: { port in [train, "backend", "\(port)"] })
        defer { backend.kill() }
        let shipped = try Self.text(repositoryRoot + "/Benchmarks/proxy/rampart-train.yaml")
        let config = shipped.replacingOccurrences(of: "127.0.0.1:9105", with: "127.0.0.1:\(backend.port)")
            .replacingOccurrences(of: "rules: Benchmarks/proxy/rules", with: "rules: \(repositoryRoot)/Benchmarks/proxy/rules")
        #expect(config.contains("127.0.0.1:\(backend.port)") && config.contains("rules: \(repositoryRoot)"), "the training config's backend and rules moved")
        let path = NSTemporaryDirectory() + "rampart-train-\(UUID().uuidString).yaml"
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (listenPort, adminPort) = (try freePort(), try freePort())
        let proxy = try ChildProcess(CheckCommandTests.binary, arguments: { _ in
            ["serve", "--config", path, "--threads", "1", "--log-level", "warning"]
        }, environment: ["RAMPART_LISTEN": "127.0.0.1:\(listenPort)", "RAMPART_ADMIN_LISTEN": "127.0.0.1:\(adminPort)"], port: listenPort)
        defer { proxy.kill() }
        try await backend.ready()
        try await proxy.ready()
        let sent = try await runProgram("/usr/bin/env", ["python3", train, "send", "\(proxy.port)", "40"])
        #expect(sent.status == 0, "\(sent.output)\(sent.errors)")
        #expect(sent.output.contains(" x 200") && sent.output.contains(" x 403"), "\(sent.output)")
    }

    static func debianPackage(of library: String) async throws -> String {
        for path in [library, library.replacingOccurrences(of: "/usr/lib/", with: "/lib/"), library.replacingOccurrences(of: "/lib/", with: "/usr/lib/")] {
            let owner = try await runProgram("/usr/bin/dpkg", ["-S", path])
            if owner.status == 0, let name = owner.output.split(separator: ":").first { return String(name) }
        }
        throw RawHTTPConnection.Failure.malformed("no Debian package owns \(library)")
    }

    @Test func theComposeFileRunsTheServicesBehindRampart() throws {
        let compose = try #require(try Self.yaml(Self.deploy + "/container/compose.yaml").first)
        let services = try #require(compose["services"])
        for name in ["teams", "burgers", "rampart"] { #expect(services[Node(name)] != nil, "service \(name)") }
        let rampart = try #require(services["rampart"])
        let ports = rampart["ports"]?.sequence?.compactMap(\.string) ?? []
        #expect(ports.contains("127.0.0.1:8080:8080") && ports.contains("127.0.0.1:9901:9901"))
        let volumes = rampart["volumes"]?.sequence?.compactMap(\.string) ?? []
        #expect(volumes.contains("../../rules:/etc/rampart/rules:ro"), "the repository's rules, live")
        let config = try ProxyConfigFile.load(path: Self.deploy + "/container/rampart.yaml", environment: ["RAMPART_ADMIN_TOKEN": "t"])
        for (upstream, service) in [("teams", "teams"), ("burgers", "burgers")] {
            let server = try #require(config.upstreams.first { $0.name == upstream }?.servers.first)
            #expect(server.host == service)
            let entrypoint = services[Node(service)]?["entrypoint"]?.sequence?.compactMap(\.string) ?? []
            #expect(entrypoint.contains(String(server.port)), "\(service) listens where Rampart sends \(upstream)")
        }
    }

    // MARK: systemd

    @Test func theSystemdUnitVerifiesAndReloadsOnSIGHUP() async throws {
        let unit = try Self.text(Self.deploy + "/systemd/rampart.service")
        for directive in ["ExecReload=/bin/kill -HUP $MAINPID", "DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "ProtectHome=yes"] {
            #expect(unit.contains("\n" + directive + "\n"), "\(directive)")
        }
        let analyze = "/usr/bin/systemd-analyze"
        try #require(FileManager.default.isExecutableFile(atPath: analyze), "systemd-analyze is missing: `make test` installs systemd")
        // verify insists that ExecStart's binary exists: point it at the one built here.
        let copy = NSTemporaryDirectory() + "rampart-\(UUID().uuidString).service"
        try unit.replacingOccurrences(of: "/usr/local/bin/rampart", with: CheckCommandTests.binary).write(toFile: copy, atomically: true, encoding: .utf8)
        let result = try await runProgram(analyze, ["verify", copy])
        #expect(result.status == 0)
        let complaints = result.errors.split(separator: "\n").filter { $0.contains(copy) }
        #expect(complaints.isEmpty, "systemd-analyze found problems: \(complaints)")
    }

    // MARK: Kubernetes

    @Test func theSidecarManifestsAgree() throws {
        let documents = try Self.yaml(Self.deploy + "/kubernetes/rampart-config.yaml")
        let configMap = try #require(documents.first { $0["kind"]?.string == "ConfigMap" })
        let configText = try #require(configMap["data"]?["rampart.yaml"]?.string)
        let config = try ProxyConfigFile.parse(configText, file: "rampart-config.yaml", environment: ["RAMPART_ADMIN_TOKEN": "t"])
        #expect(documents.contains { $0["kind"]?.string == "Secret" && $0["metadata"]?["name"]?.string == "rampart-admin" })

        let deployment = try #require(try Self.yaml(Self.deploy + "/kubernetes/deployment.yaml").first)
        let pod = try #require(deployment["spec"]?["template"]?["spec"])
        let containers = pod["containers"]?.sequence ?? []
        let rampart = try #require(containers.first { $0["name"]?.string == "rampart" })
        let app = try #require(containers.first { $0["name"]?.string == "app" })
        func port(_ name: String) -> Int? { rampart["ports"]?.sequence?.first { $0["name"]?.string == name }?["containerPort"]?.int }
        #expect(port("http") == config.listen.port)
        #expect(port("admin") == config.adminListen.port)
        #expect(rampart["readinessProbe"]?["httpGet"]?["path"]?.string == "/readyz")
        #expect(rampart["readinessProbe"]?["httpGet"]?["port"]?.string == "admin")
        #expect(rampart["livenessProbe"]?["httpGet"]?["path"]?.string == "/healthz")
        #expect(rampart["env"]?.sequence?.contains { $0["name"]?.string == "RAMPART_ADMIN_TOKEN" } == true)

        // The app listens where the config sends traffic.
        let upstream = try #require(config.upstreams.first?.servers.first)
        #expect(upstream.host == "127.0.0.1")
        let command = app["command"]?.sequence?.compactMap(\.string) ?? []
        #expect(command.contains(String(upstream.port)))

        // The config file and the rules are mounted where the config and the arguments say.
        let mounts = rampart["volumeMounts"]?.sequence ?? []
        func mountPath(_ volume: String) -> String? { mounts.first { $0["name"]?.string == volume }?["mountPath"]?.string }
        let args = rampart["args"]?.sequence?.compactMap(\.string) ?? []
        #expect(args.contains((mountPath("config") ?? "?") + "/rampart.yaml"))
        #expect(mountPath("rules") == config.rulesDirectory)
        #expect(mounts.allSatisfy { $0["subPath"] == nil }, "subPath mounts never see ConfigMap updates")

        // The Service sends traffic to Rampart's port, not the app's.
        let service = try #require(try Self.yaml(Self.deploy + "/kubernetes/service.yaml").first)
        #expect(service["spec"]?["ports"]?.sequence?.first?["targetPort"]?.string == "http")
        #expect(service["spec"]?["selector"] == deployment["spec"]?["selector"]?["matchLabels"])
    }

    /// rules-configmap.sh turns rules/ into a ConfigMap; the Deployment projects every key back to its path,
    /// and the result, laid out as the kubelet does (`..data` and links), loads with the same rules.
    @Test func theRulesConfigMapMountsAsTheRulesDirectory() async throws {
        let generated = try await runProgram("/bin/bash", [Self.deploy + "/kubernetes/rules-configmap.sh", repositoryRoot + "/rules"])
        try #require(generated.status == 0, "\(generated.errors)")
        let configMap = try #require(try Yams.compose(yaml: generated.output))
        #expect(configMap["metadata"]?["name"]?.string == "rampart-rules")
        let data = try #require(configMap["data"]?.mapping)

        let deployment = try #require(try Self.yaml(Self.deploy + "/kubernetes/deployment.yaml").first)
        let volume = try #require(deployment["spec"]?["template"]?["spec"]?["volumes"]?.sequence?.first { $0["name"]?.string == "rules" })
        #expect(volume["configMap"]?["name"]?.string == "rampart-rules")
        let items = (volume["configMap"]?["items"]?.sequence ?? []).compactMap { item -> (String, String)? in
            guard let key = item["key"]?.string, let path = item["path"]?.string else { return nil }
            return (key, path)
        }
        #expect(Set(items.map(\.0)) == Set(data.keys.compactMap(\.string)), "every rule file is projected, and nothing else")

        // The kubelet's layout: files in a timestamped hidden directory, `..data` linking to it, and links.
        let root = NSTemporaryDirectory() + "rampart-k8s-" + UUID().uuidString
        let manager = FileManager.default
        for (key, path) in items {
            let file = root + "/..2026_11_25/" + path
            try manager.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try #require(data[Node(key)]?.string).write(toFile: file, atomically: true, encoding: .utf8)
        }
        try manager.createSymbolicLink(atPath: root + "/..data", withDestinationPath: "..2026_11_25")
        for top in Set(items.map { String($0.1.split(separator: "/")[0]) }) {
            try manager.createSymbolicLink(atPath: root + "/" + top, withDestinationPath: "..data/" + top)
        }
        let mounted = try RuleSetLoader.load(path: root + "/firewall")
        let original = try RuleSetLoader.load(path: repositoryRoot + "/rules/firewall")
        #expect(mounted.rules.map(\.id) == original.rules.map(\.id))
        #expect(try PolicyFile.load(path: root + "/ratelimits.yaml").map(\.name) == PolicyFile.load(path: repositoryRoot + "/rules/ratelimits.yaml").map(\.name))
    }
}
