import Foundation
import TestSupport

/// A built example service running as a child process (`swift build` puts it in .build/debug).
final class ServiceProcess: @unchecked Sendable {  // safe: `process` and the pipes are set in init, then only read
    // Foundation's Process is not annotated Sendable, but its terminate and wait calls are thread-safe.
    let process = Process()
    private let stdout = Pipe()
    private let stderr = Pipe()

    static func start(_ product: String, _ arguments: [String]) throws -> ServiceProcess {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let binary = root.appendingPathComponent(".build/debug/\(product)")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw ServiceProcessError(reason: "\(binary.path) is missing: run `swift build` (make test does) before these tests")
        }
        let service = ServiceProcess()
        service.process.executableURL = binary
        service.process.arguments = arguments
        service.process.standardOutput = service.stdout
        service.process.standardError = service.stderr
        try service.process.run()
        return service
    }

    func waitUntilListening(port: Int) async throws {
        do {
            try await waitForPort(port) { self.process.isRunning }
        } catch {
            throw ServiceProcessError(reason: "nothing listened on \(port): \(self.errorOutput)")
        }
    }

    func waitForExit() async -> Int32 {
        while self.process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        return self.process.terminationStatus
    }

    var output: String { String(decoding: self.stdout.fileHandleForReading.availableData, as: UTF8.self) }
    var errorOutput: String { String(decoding: self.stderr.fileHandleForReading.availableData, as: UTF8.self) }

    deinit {
        if self.process.isRunning { self.process.terminate() }
    }
}

struct ServiceProcessError: Error, CustomStringConvertible {
    let reason: String
    var description: String { self.reason }
}

