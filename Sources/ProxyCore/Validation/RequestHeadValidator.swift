import NIOHTTP1

/// Refuses request heads that let a request be read two ways (request smuggling), before anything is forwarded.
public enum RequestHeadValidator {
    /// Why a head is refused.
    public struct Violation: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong, for the 400 body.
        public let description: String
    }

    /// Checks `head`; the violation explains the 400.
    public static func validate(_ head: HTTPRequestHead) -> Violation? {
        let lengths = head.headers[canonicalForm: "content-length"]
        let codings = head.headers[canonicalForm: "transfer-encoding"].map { $0.lowercased() }
        if !lengths.isEmpty && !codings.isEmpty {
            return Violation(description: "the request has both Content-Length and Transfer-Encoding")
        }
        if let first = lengths.first {
            guard lengths.allSatisfy({ $0 == first }), !first.isEmpty, first.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                return Violation(description: "Content-Length must be one decimal number")
            }
        }
        if !codings.isEmpty {
            guard codings.last == "chunked", codings.dropLast().allSatisfy({ ["gzip", "deflate", "compress", "x-gzip"].contains($0) }) else {
                return Violation(description: "unsupported Transfer-Encoding \"\(codings.joined(separator: ", "))\"; only chunked is accepted as the final coding")
            }
        }
        if head.version.major != 1 {
            return Violation(description: "only HTTP/1.x is spoken here")
        }
        for (name, value) in head.headers where name.isEmpty || value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) {
            return Violation(description: "header \"\(name)\" has a line break or NUL in it (obsolete line folding is refused)")
        }
        return nil
    }
}
