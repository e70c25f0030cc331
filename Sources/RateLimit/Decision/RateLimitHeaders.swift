/// The response fields of a rate-limit decision: the IETF `RateLimit-Policy` and `RateLimit` fields of
/// draft-ietf-httpapi-ratelimit-headers (structured-field lists, one item per policy), and `Retry-After`
/// on a refusal.
///
/// ```
/// RateLimit-Policy: "per-client";q=100;w=1
/// RateLimit: "per-client";r=0;t=3
/// Retry-After: 3
/// ```
public enum RateLimitHeaders {
    /// The fields for `decision`, as (name, value) pairs. Empty when no policy applied.
    ///
    /// - Parameter includeShadow: also describe shadow policies (off by default: they do not limit the client).
    public static func fields(for decision: RateLimitDecision, includeShadow: Bool = false) -> [(name: String, value: String)] {
        let verdicts = decision.verdicts.filter { includeShadow || !$0.shadow }
        guard !verdicts.isEmpty else { return [] }
        var fields = [
            (name: "RateLimit-Policy", value: verdicts.map { "\(self.quoted($0.policy));q=\($0.quota);w=\($0.window)" }.joined(separator: ", ")),
            (name: "RateLimit", value: verdicts.map { "\(self.quoted($0.policy));r=\($0.remaining);t=\($0.resetSeconds)" }.joined(separator: ", ")),
        ]
        if let retryAfter = decision.retryAfter { fields.append((name: "Retry-After", value: String(retryAfter))) }
        return fields
    }

    /// A structured-field string: quotes and backslashes escaped.
    private static func quoted(_ text: String) -> String {
        var quoted = "\""
        for character in text {
            if character == "\\" || character == "\"" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\""
    }
}
