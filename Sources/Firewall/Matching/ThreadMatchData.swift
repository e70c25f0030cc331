import CPCRE2

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One PCRE2 match-data block per thread, created on first use and freed when the thread exits, so a match
/// allocates nothing. Matching only reports whether a pattern matched, so one ovector pair serves every pattern.
enum ThreadMatchData {
    private static let key: pthread_key_t? = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { pointer in
            pcre2_match_data_free_8(OpaquePointer(pointer))
        }
        return status == 0 ? key : nil
    }()

    /// This thread's match data; nil only when out of memory.
    static func current() -> OpaquePointer? {
        guard let key = self.key else { return nil }
        if let existing = pthread_getspecific(key) { return OpaquePointer(existing) }
        guard let created = pcre2_match_data_create_8(1, nil) else { return nil }
        pthread_setspecific(key, UnsafeRawPointer(created))
        return created
    }
}
