import Synchronization

/// Per-request storage, Quart's `g`: `before_request` hooks fill it, handlers and `after_request` hooks read it.
///
/// Each request gets its own instance, so values never cross between concurrent requests.
/// ```swift
/// app.beforeRequest { request, context in
///     context.g.user = request.authorization?.username ?? "Anonymous"
///     return nil
/// }
/// app.get("/api") { _, context in ["Hello": context.g.user as? String ?? ""] }
/// ```
@dynamicMemberLookup
public final class Globals: Sendable {
    private let values = Mutex<[String: any Sendable]>([:])

    /// Creates empty storage.
    public init() {}

    /// The value stored under `name`, or `nil`.
    public subscript(name: String) -> (any Sendable)? {
        get { self.values.withLock { $0[name] } }
        set { self.values.withLock { $0[name] = newValue } }
    }

    /// `g.user` reads and writes the value named `user`, as attribute access on Quart's `g`.
    public subscript(dynamicMember name: String) -> (any Sendable)? {
        get { self[name] }
        set { self[name] = newValue }
    }

    /// The value under `name` if it has type `T`.
    public func get<T: Sendable>(_ name: String, as type: T.Type = T.self) -> T? {
        self[name] as? T
    }

    /// Removes and returns the value under `name` (Quart's `g.pop`).
    @discardableResult
    public func pop(_ name: String) -> (any Sendable)? {
        self.values.withLock { $0.removeValue(forKey: name) }
    }

    /// The names that hold a value.
    public var names: [String] { self.values.withLock { Array($0.keys) } }
}
