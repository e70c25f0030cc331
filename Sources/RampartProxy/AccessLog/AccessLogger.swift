public import Logging
public import ProxyCore

/// The proxy's access log: a `Logger` over ``AccessLogHandler``, the sampling share for allowed requests,
/// and the sink, kept for reopening on SIGUSR1.
public struct AccessLogger: Sendable {
    /// The logger each request's entry (``AccessLogEntry``) goes through.
    public let logger: Logger
    /// The share of allowed requests logged.
    public let sampleAllowed: Double
    /// Where the lines are written.
    public let sink: AccessLogSink

    /// Opens the log `config` describes.
    ///
    /// - Throws: ``AccessLogError`` when the file cannot be opened.
    public init(_ config: ProxyConfig.AccessLog) throws(AccessLogError) {
        let sink = try AccessLogSink(path: config.path)
        self.init(sink: sink, sampleAllowed: config.sampleAllowed)
    }

    /// A log writing to `sink`.
    public init(sink: AccessLogSink, sampleAllowed: Double = 1) {
        self.sink = sink
        self.sampleAllowed = sampleAllowed
        self.logger = Logger(label: "rampart.access") { _ in AccessLogHandler(sink: sink) }
    }
}
