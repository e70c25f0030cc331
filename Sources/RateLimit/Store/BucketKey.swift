/// Identifies one bucket: a policy's namespace and the request's key under it.
///
/// The namespace is the policy's name and limit, so a reload that keeps a policy unchanged keeps its buckets,
/// and one that changes its limit starts it afresh.
public struct BucketKey: Hashable, Sendable {
    /// The policy's namespace.
    public let namespace: String
    /// The request's key.
    public let key: String
    /// Hashed once (``BucketHasher``): a decision needs the hash to pick a shard and again to find the bucket.
    let hash: Int

    /// Creates a key.
    public init(namespace: String, key: String) {
        self.init(namespace: namespace, namespaceHash: namespace.hashValue, key: key)
    }

    /// Creates a key whose namespace was hashed before (`namespace.hashValue`): a limiter hashes each policy's
    /// namespace once, so a decision hashes only the request's short key.
    init(namespace: String, namespaceHash: Int, key: String) {
        self.namespace = namespace
        self.key = key
        self.hash = BucketHasher.process.hash(key, namespaceHash: namespaceHash)
    }

    public static func == (lhs: BucketKey, rhs: BucketKey) -> Bool {
        lhs.hash == rhs.hash && lhs.key == rhs.key && lhs.namespace == rhs.namespace
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(self.hash) }
}
