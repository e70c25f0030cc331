#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reverse routing, Flask's `url_for`: `try urlFor("teams.get_team", team_id: 1)` gives `/teams/1`.
///
/// The first, unlabelled argument is the endpoint name; labelled arguments fill the route's parameters, and
/// the ones the route does not have become the query string.
@dynamicCallable
public struct URLBuilder: Sendable {
    let routes: [String: RoutePattern]
    let currentEndpoint: String?

    /// Builds the URL; throws when the endpoint is unknown or a parameter is missing or does not fit.
    public func dynamicallyCall(withKeywordArguments arguments: KeyValuePairs<String, any Sendable>) throws(RouteError) -> String {
        guard let (label, first) = arguments.first, label.isEmpty, var endpoint = first as? String else {
            throw RouteError(pattern: "urlFor", reason: "the first argument must be the endpoint name, without a label")
        }
        if endpoint.hasPrefix("."), let current = self.currentEndpoint, let dot = current.firstIndex(of: ".") {
            endpoint = String(current[..<dot]) + endpoint
        }
        guard let pattern = self.routes[endpoint] else {
            throw RouteError(pattern: endpoint, reason: "no endpoint has this name")
        }
        var values: [String: String] = [:]
        for (name, value) in arguments.dropFirst() {
            values[name] = switch value {
            case let uuid as UUID: uuid.uuidString.lowercased()
            default: "\(value)"
            }
        }
        return try pattern.build(values)
    }
}
