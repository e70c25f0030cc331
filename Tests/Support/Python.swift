import Foundation

/// The path of a Python peer script in `Tests/Peers`.
public func peerScript(_ script: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Peers").appendingPathComponent(script).path
}

/// Runs a Python peer script from `Tests/Peers` and returns its exit status and standard output.
public func runPeer(_ script: String, _ arguments: [String], stdin: String? = nil) async throws -> (status: Int32, output: String) {
    let result = try await runProgram("/usr/bin/env", ["python3", peerScript(script)] + arguments, stdin: stdin)
    return (result.status, result.output.trimmingCharacters(in: .whitespacesAndNewlines))
}

/// The repository's root, from this file's place in it.
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// Runs `executable` to completion and returns its exit status, standard output and standard error.
///
/// The waiting happens on a Dispatch thread (``offloaded(_:)``): a test blocked here must not hold one of the
/// few Swift concurrency threads that in-process servers of other tests need. Output is read to the end before
/// waiting, so the child never blocks on a full pipe; it suits the short outputs of peers and tools.
public func runProgram(_ executable: String, _ arguments: [String], stdin: String? = nil) async throws -> (status: Int32, output: String, errors: String) {
    try await offloaded { try runProgramBlocking(executable, arguments, stdin: stdin) }
}

private func runProgramBlocking(_ executable: String, _ arguments: [String], stdin: String?) throws -> (status: Int32, output: String, errors: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    let input = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
}
