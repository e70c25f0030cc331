public import Hummingbird
public import Logging
public import NIOCore

/// The per-request context every ServiceKit handler and hook receives: a Hummingbird `RequestContext` with
/// Quart's request-scoped objects.
///
/// It is a value made fresh for each request, so nothing in it is shared between concurrent requests.
public struct ServiceContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer's address (Quart's `request.remote_addr`, as a socket address).
    public let remoteAddress: SocketAddress?
    /// Per-request globals (Quart's `g`).
    public let g: Globals
    /// The signed-cookie session (Quart's `session`), loaded before the first hook runs.
    public internal(set) var session: Session
    /// The endpoint name of the matched route (`teams.get_team`); `nil` before routing or for no match.
    public internal(set) var endpoint: String?
    var runtime: AppRuntime?

    /// Called by the server for each request.
    public init(source: ApplicationRequestContextSource) {
        self.init(coreContext: .init(source: source), remoteAddress: source.channel.remoteAddress)
    }

    /// A context for a request that did not come over a socket: in-process test clients and benchmarks.
    public init(logger: Logger, remoteAddress: SocketAddress? = nil) {
        self.init(coreContext: .init(source: DetachedSource(logger: logger)), remoteAddress: remoteAddress)
    }

    private struct DetachedSource: RequestContextSource {
        let logger: Logger
    }

    init(coreContext: CoreRequestContextStorage, remoteAddress: SocketAddress?) {
        self.coreContext = coreContext
        self.remoteAddress = remoteAddress
        self.g = Globals()
        self.session = Session()
    }

    /// The app's configuration.
    public var config: ServiceConfig { self.runtime?.config ?? AppRuntime.defaultConfig }

    /// The app's signals.
    public var signals: AppSignals? { self.runtime?.signals }

    /// `MAX_CONTENT_LENGTH`, which Hummingbird applies when decoding bodies.
    public var maxUploadSize: Int { (self.runtime ?? AppRuntime.detached).maxContentLength ?? Int.max }

    /// The peer's IP address as text (`"127.0.0.1"`), or `nil` for a non-IP peer.
    public var remoteAddr: String? { self.remoteAddress?.ipAddress }

    /// Builds URLs by endpoint name: `try context.urlFor("teams.get_team", team_id: 1)`.
    /// A name starting with `.` is relative to the current blueprint.
    public var urlFor: URLBuilder {
        URLBuilder(routes: self.runtime?.routesByName ?? [:], currentEndpoint: self.endpoint)
    }

    /// Renders a template from the app's templates folder and sends ``AppSignals/templateRendered``.
    public func renderTemplate(_ name: String, _ values: [String: any Sendable] = [:]) async throws -> String {
        guard let runtime = self.runtime, let templates = runtime.templates else {
            throw TemplateError(template: name, reason: "the app has no templates folder; set ServiceApp.templateFolder")
        }
        let text = try templates.render(name, values)
        if runtime.signals.templateRendered.hasReceivers {
            await runtime.signals.templateRendered.send(from: runtime.name, TemplateRendered(template: name, context: values))
        }
        return text
    }
}
