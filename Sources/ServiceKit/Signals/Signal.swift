import Logging
import Synchronization

/// A named event that receivers subscribe to, after Blinker's signals as Flask and Quart use them.
///
/// ```swift
/// let reportReady = Signal<Report>("report_ready")
/// reportReady.connect { sender, report in try await signer.sign(report) }
/// await reportReady.send(from: "reports", report)
/// ```
/// Receivers run one after another **in the order they were connected** (Blinker leaves the order undefined;
/// ServiceKit fixes it so dependent receivers behave predictably). A receiver may be synchronous or `async`.
/// A receiver that throws is logged and skipped: the others still run and the sender never sees the error.
public final class Signal<Payload: Sendable>: Sendable {
    /// What a receiver is called with: the sender's name and the payload.
    public typealias Receiver = @Sendable (_ sender: String, _ payload: Payload) async throws -> Void

    /// Identifies a connection, to disconnect it later.
    public struct Connection: Hashable, Sendable {
        fileprivate let id: Int
    }

    private struct Entry: Sendable {
        let connection: Connection
        let sender: String?
        let receiver: Receiver
    }

    private struct State {
        var entries: [Entry] = []
        var nextID = 0
    }

    /// The signal's name, as in Blinker's `NamedSignal`.
    public let name: String
    private let logger: Logger
    private let state = Mutex(State())

    /// Creates a signal called `name`; receivers' errors are logged to `logger`.
    public init(_ name: String, logger: Logger = Logger(label: "ServiceKit.signals")) {
        self.name = name
        self.logger = logger
    }

    /// Connects `receiver`, called for every send, or only for sends from `sender` when one is given.
    @discardableResult
    public func connect(sender: String? = nil, _ receiver: @escaping Receiver) -> Connection {
        self.state.withLock { state in
            let connection = Connection(id: state.nextID)
            state.nextID += 1
            state.entries.append(Entry(connection: connection, sender: sender, receiver: receiver))
            return connection
        }
    }

    /// Disconnects a receiver; it is not called for sends that start afterwards.
    public func disconnect(_ connection: Connection) {
        self.state.withLock { $0.entries.removeAll { $0.connection == connection } }
    }

    /// Whether any receiver is connected; senders may skip building an expensive payload when not.
    public var hasReceivers: Bool { self.state.withLock { !$0.entries.isEmpty } }

    /// Calls each receiver that accepts `sender`, in connection order, with `payload`.
    ///
    /// - Returns: how many receivers ran without throwing.
    @discardableResult
    public func send(from sender: String, _ payload: Payload) async -> Int {
        let entries = self.state.withLock { $0.entries }
        var succeeded = 0
        for entry in entries where entry.sender == nil || entry.sender == sender {
            do {
                try await entry.receiver(sender, payload)
                succeeded += 1
            } catch {
                self.logger.error(
                    "signal receiver failed",
                    metadata: ["signal": .string(self.name), "sender": .string(sender), "error": .string("\(error)")]
                )
            }
        }
        return succeeded
    }
}
