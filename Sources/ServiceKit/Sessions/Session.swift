import Synchronization

/// The signed-cookie session of one request: a dictionary that ServiceKit reads from the session cookie before
/// the request and writes back, signed, when it changed.
///
/// The cookie is readable by Flask and Quart with the same `SECRET_KEY`, and theirs by ServiceKit (see
/// ``SessionSerializer``). A cookie that is tampered with, expired or signed with another key reads as an empty
/// session.
public final class Session: Sendable {
    private struct State {
        var values: [String: SessionValue]
        var modified = false
        var permanent = false
    }

    private let state: Mutex<State>

    /// Creates a session holding `values`, as loaded from a cookie.
    public init(_ values: [String: SessionValue] = [:]) {
        self.state = Mutex(State(values: values))
    }

    /// The value under `key`; setting it marks the session modified.
    public subscript(key: String) -> SessionValue? {
        get { self.state.withLock { $0.values[key] } }
        set {
            self.state.withLock {
                $0.values[key] = newValue
                $0.modified = true
            }
        }
    }

    /// Removes every value.
    public func clear() {
        self.state.withLock {
            $0.modified = $0.modified || !$0.values.isEmpty
            $0.values.removeAll()
        }
    }

    /// Whether the cookie outlives the browser session, with `PERMANENT_SESSION_LIFETIME` as its max age.
    public var permanent: Bool {
        get { self.state.withLock { $0.permanent } }
        set {
            self.state.withLock {
                $0.modified = $0.modified || $0.permanent != newValue
                $0.permanent = newValue
            }
        }
    }

    /// Whether a value was set or removed during this request (Flask's `session.modified`).
    ///
    /// Mutating a value in place is not seen; set it again or mark the session modified.
    public var modified: Bool {
        get { self.state.withLock { $0.modified } }
        set { self.state.withLock { $0.modified = newValue } }
    }

    /// A copy of all values.
    public var values: [String: SessionValue] { self.state.withLock { $0.values } }

    /// Whether the session holds nothing.
    public var isEmpty: Bool { self.state.withLock { $0.values.isEmpty } }
}
