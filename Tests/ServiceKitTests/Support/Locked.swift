import Synchronization

/// A lock-protected value that escaping closures can capture (a `Mutex` is non-copyable and cannot be).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { self.mutex = Mutex(value) }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try self.mutex.withLock { try body(&$0) }
    }
}
