import Foundation

/// The outcome of the last attempt to reload rules and policies, for /stats and `POST /reload`.
public struct ReloadStatus: Sendable {
    /// What started a reload.
    public enum Trigger: String, Sendable {
        /// A change in the rules directory, seen by inotify or by polling.
        case watch
        /// SIGHUP (`systemctl reload`).
        case signal
        /// `POST /reload` on the admin listener.
        case api
    }

    /// When the attempt finished.
    public let time: Date
    /// What started it.
    public let trigger: Trigger
    /// The error that kept the old rules serving (file:line:column and what is wrong); nil on success.
    public let error: String?
    /// The rule set's version afterwards (the old one when the reload failed).
    public let version: String

    /// Whether the new rules were swapped in.
    public var succeeded: Bool { self.error == nil }
}
