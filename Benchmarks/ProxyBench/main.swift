// The proxy's data plane on a synchronous `main`, for valgrind (Benchmarks/proxy-instructions.sh).
//
// `rampart serve` runs under Swift's async entry point, which parks the main thread in Dispatch's
// `dispatch_main`; valgrind 3.19 dies with an internal error on that thread's `sigsuspend` before the proxy
// starts. This host builds the same `ProxyServer` from a config file and starts it from a task while the main
// thread waits on a semaphore, then sleeps until the process is killed. The task is detached: top-level code
// runs on the main actor, which a task started here would otherwise wait for, behind the semaphore.
//
//     ProxyBench CONFIG
import Dispatch
import Foundation
import Logging
import ProxyCore
import RampartProxy
import Synchronization

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: ProxyBench CONFIG\n".utf8))
    exit(2)
}
let server: ProxyServer
do {
    let config = try ProxyConfigFile.load(path: CommandLine.arguments[1], environment: ProcessInfo.processInfo.environment)
    var logger = Logger(label: "proxy-bench")
    logger.logLevel = .warning
    server = try ProxyServer(config: config, threads: 1, logger: logger)
} catch {
    FileHandle.standardError.write(Data("ProxyBench: \(error)\n".utf8))
    exit(1)
}
let started = DispatchSemaphore(value: 0)
let failure = Mutex<String?>(nil)
Task.detached {
    do {
        _ = try await server.start()
    } catch {
        failure.withLock { $0 = "\(error)" }
    }
    started.signal()
}
started.wait()
if let message = failure.withLock({ $0 }) {
    FileHandle.standardError.write(Data("ProxyBench: \(message)\n".utf8))
    exit(1)
}
while true { sleep(3600) }
