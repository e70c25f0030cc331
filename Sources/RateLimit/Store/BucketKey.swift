/// Identifies one bucket: a policy's namespace and the request's key under it.
///
/// The namespace is the policy's name and limit, so a reload that keeps a policy unchanged keeps its buckets,
/// and one that changes its limit starts it afresh.
public struct BucketKey: Hashable, Sendable {
    /// The policy's namespace.
    public let namespace: String
    /// The request's key.
    public let key: String

    /// Creates a key.
    public init(namespace: String, key: String) {
        self.namespace = namespace
        self.key = key
    }
}
