public import Hummingbird
import Synchronization

/// An app's signals: Flask's and Quart's lifecycle signals, and named signals of your own.
///
/// Each lifecycle signal is sent with the app's name as sender. Receivers run in connection order.
public final class AppSignals: Sendable {
    /// Sent when a request starts, before any hook.
    public let requestStarted = Signal<Request>("request-started")
    /// Sent with the response just before it is returned to the server.
    public let requestFinished = Signal<Response>("request-finished")
    /// Sent with an error that no handler expected: one that ends in a 5xx response.
    public let gotRequestException = Signal<any Error>("got-request-exception")
    /// Sent at the end of every request, with the error it raised if any.
    public let requestTearingDown = Signal<(any Error)?>("request-tearing-down")
    /// Sent after a template rendered.
    public let templateRendered = Signal<TemplateRendered>("template-rendered")

    private let named = Mutex<[String: any Sendable]>([:])

    init() {}

    /// The signal called `name`, created on first use (Blinker's `signal(name)`): the same instance every time.
    ///
    /// Asking for an existing name with another payload type is a programming error and stops the process.
    public func named<Payload: Sendable>(_ name: String, payload: Payload.Type = Payload.self) -> Signal<Payload> {
        self.named.withLock { signals in
            if let existing = signals[name] {
                guard let signal = existing as? Signal<Payload> else {
                    preconditionFailure("signal \"\(name)\" exists with another payload type than \(Payload.self)")
                }
                return signal
            }
            let signal = Signal<Payload>(name)
            signals[name] = signal
            return signal
        }
    }
}

/// The payload of ``AppSignals/templateRendered``.
public struct TemplateRendered: Sendable {
    /// The template's name.
    public let template: String
    /// The context it was rendered with.
    public let context: [String: any Sendable]
}
