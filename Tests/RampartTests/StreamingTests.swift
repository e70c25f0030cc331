import Foundation
import Testing
import TestSupport

/// Large bodies stream through the `rampart` binary with backpressure: its peak memory stays far below the
/// body size. (The benchmark runs the same at 1 GiB; here 256 MiB each way keeps the suite quick.)
@Suite struct StreamingTests {
    static let size = 256 * 1024 * 1024

    /// The peak resident set (VmHWM) of `pid`, in bytes.
    static func peakRSS(_ pid: Int) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    @Test func uploadAndDownloadStreamInBoundedMemory() async throws {
        let backend = try ChildProcess("python3", arguments: { [peerScript("bulk_backend.py"), String($0)] })
        try await backend.ready()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-stream-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = """
            upstreams:
              bulk: {servers: [127.0.0.1:\(backend.port)]}
            routes:
              - {path_prefix: /, upstream: bulk}
            rules: \(repositoryRoot)/rules
            limits: {max_inspected_body: 65536, oversized_body: inspect_prefix}
            """
        try config.write(toFile: directory + "/rampart.yaml", atomically: true, encoding: .utf8)
        let proxyPort = try freePort()
        let proxy = try ChildProcess(repositoryRoot + "/.build/debug/rampart", arguments: { _ in
            ["serve", "--config", directory + "/rampart.yaml", "--threads", "1", "--log-level", "warning"]
        }, environment: ["RAMPART_LISTEN": "127.0.0.1:\(proxyPort)", "RAMPART_ADMIN_LISTEN": "127.0.0.1:\(try freePort())"], port: proxyPort)
        try await proxy.ready()

        let size = Self.size
        let (download, upload) = try await offloaded {
            let downloading = try RawHTTPConnection(port: proxyPort, timeout: 60)
            downloading.send("GET /download/\(size) HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            let download = try downloading.readCountingBody()

            let uploading = try RawHTTPConnection(port: proxyPort, timeout: 60)
            uploading.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\nContent-Length: \(size)\r\nConnection: close\r\n\r\n")
            let chunk = [UInt8](repeating: 0x61, count: 1 << 20)
            for _ in 0..<(size >> 20) { uploading.send(chunk) }
            return (download, try uploading.readResponse())
        }
        #expect(download.status == 200)
        #expect(download.bytes == size)
        #expect(upload.status == 200)
        #expect(upload.text == "{\"received\": \(size)}")
        let peak = try Self.peakRSS(proxy.pid)
        #expect(peak < 100 * 1024 * 1024, "peak RSS \(peak / 1024 / 1024) MiB")
    }
}
