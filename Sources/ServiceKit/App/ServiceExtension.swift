/// A reusable piece of app behaviour (Quart's extensions): in one call it registers hooks, signal receivers,
/// config defaults and routes on an app.
///
/// ```swift
/// struct RequestTiming: ServiceExtension {
///     func register(on app: ServiceApp) throws {
///         app.config.declare("TIMING_HEADER", type: .string, default: "X-Elapsed")
///         app.beforeRequest { _, context in context.g.started = ContinuousClock.now; return nil }
///         app.afterRequest { response, _, context in ... }
///     }
/// }
/// try app.install(RequestTiming())
/// ```
public protocol ServiceExtension {
    /// Registers the extension's pieces on `app`.
    func register(on app: ServiceApp) throws
}
