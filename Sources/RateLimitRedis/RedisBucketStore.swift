import CLibCrypto
import NIOCore
public import RateLimit

/// Token buckets in Redis, shared by every proxy instance that points at the same server.
///
/// A decision is one atomic round trip: a Lua script, loaded once and called by EVALSHA, reads every bucket of
/// the request, and takes tokens from all or none as ``LocalBucketStore`` does. A bucket's key expires when it
/// would be full again, so Redis forgets exactly the buckets that no longer matter.
public final class RedisBucketStore: Sendable {
    private let connection: RedisConnection
    private let keyPrefix: String

    /// The script, and its SHA-1 for EVALSHA.
    static let script = """
        local now = tonumber(ARGV[1])
        if not now then
          local t = redis.call('TIME')
          now = tonumber(t[1]) + tonumber(t[2]) / 1000000
        end
        local n = #KEYS
        local avail, has, blocked = {}, {}, false
        for i = 1, n do
          local b = 1 + (i - 1) * 4
          local rate, burst, cost = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3])
          local state = redis.call('HMGET', KEYS[i], 't', 'u')
          local tokens, updated = tonumber(state[1]), tonumber(state[2])
          if not tokens then tokens, updated = burst, now end
          local a = math.min(burst, tokens + math.max(0, now - updated) * rate)
          avail[i] = a
          has[i] = a + 1e-9 >= cost
          if ARGV[b + 4] == '1' and not has[i] then blocked = true end
        end
        local result = {}
        for i = 1, n do
          local b = 1 + (i - 1) * 4
          local rate, burst, cost = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3])
          local a = avail[i]
          if not blocked then
            if has[i] then a = math.max(0, a - cost) end
            redis.call('HSET', KEYS[i], 't', string.format('%.17g', a), 'u', string.format('%.17g', now))
            redis.call('PEXPIRE', KEYS[i], math.max(60000, math.ceil((burst - a) / rate * 1000) + 1000))
          end
          result[#result + 1] = has[i] and 1 or 0
          result[#result + 1] = string.format('%.17g', a)
        end
        return result
        """
    static let scriptSHA: String = {
        var digest = [UInt8](repeating: 0, count: 20)
        var length: UInt32 = 0
        let bytes = Array(script.utf8)
        _ = bytes.withUnsafeBufferPointer { EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_sha1(), nil) }
        return digest.map { byte in
            let hex = Array("0123456789abcdef")
            return String([hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
        }.joined()
    }()

    /// Creates a store over `connection`; bucket keys start with `keyPrefix`.
    public init(connection: RedisConnection, keyPrefix: String = "rampart:ratelimit:") {
        self.connection = connection
        self.keyPrefix = keyPrefix
    }

    /// Decides `takes` as ``LocalBucketStore/decide(_:)`` does, in Redis.
    ///
    /// - Parameter now: the time in seconds; `nil` uses Redis' own clock, so every instance agrees on time.
    public func decide(_ takes: [LocalBucketStore.Take], now: Double? = nil) -> EventLoopFuture<[LocalBucketStore.Outcome]> {
        var arguments = ["EVALSHA", Self.scriptSHA, String(takes.count)]
        arguments += takes.map { self.keyPrefix + $0.bucket.namespace + "|" + $0.bucket.key }
        arguments.append(now.map { String($0) } ?? "")
        for take in takes {
            arguments += [String(take.ratePerSecond), String(take.burst), String(take.cost), take.blocking ? "1" : "0"]
        }
        let command = arguments
        return self.connection.send(command)
            .flatMapError { error in
                // Redis lost the script (restart, SCRIPT FLUSH): EVAL sends it again and caches it.
                guard case RedisConnectionError.reply(let message) = error, message.hasPrefix("NOSCRIPT") else {
                    return self.connection.eventLoop.makeFailedFuture(error)
                }
                var eval = command
                eval[0] = "EVAL"
                eval[1] = Self.script
                return self.connection.send(eval)
            }
            .flatMapThrowing { reply in try Self.outcomes(from: reply, takes: takes) }
    }

    static func outcomes(from reply: RESPValue, takes: [LocalBucketStore.Take]) throws -> [LocalBucketStore.Outcome] {
        guard case .array(let values?) = reply, values.count == takes.count * 2 else {
            throw RESPError("the rate-limit script answered \(reply)")
        }
        return try takes.enumerated().map { offset, take in
            guard case .integer(let has) = values[offset * 2], let available = values[offset * 2 + 1].string.flatMap(Double.init) else {
                throw RESPError("the rate-limit script answered \(reply)")
            }
            let allowed = has == 1
            return LocalBucketStore.Outcome(
                allowed: allowed,
                remaining: available,
                retryAfter: allowed ? 0 : max(0, take.cost - available) / take.ratePerSecond,
                resetAfter: (take.burst - available) / take.ratePerSecond
            )
        }
    }
}
