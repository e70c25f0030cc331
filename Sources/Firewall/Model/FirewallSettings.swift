/// Rule-set-wide settings, from the `settings:` section of a rule file.
public struct FirewallSettings: Sendable, Equatable {
    /// A request whose anomaly score reaches this is rejected.
    public var anomalyThreshold: Int
    /// The status for a rejection by score.
    public var denyStatus: Int
    /// Nothing is blocked; decisions say "would block" (dry-run).
    public var detectionOnly: Bool

    /// Settings; the defaults are CRS's (threshold 5: one critical match blocks).
    public init(anomalyThreshold: Int = 5, denyStatus: Int = 403, detectionOnly: Bool = false) {
        self.anomalyThreshold = anomalyThreshold
        self.denyStatus = denyStatus
        self.detectionOnly = detectionOnly
    }
}
