import CZlib

/// zlib compression (RFC 1950 streams), as Python's `zlib.compress` and `zlib.decompress` produce and read them.
///
/// Flask and Quart compress session cookies with zlib; ServiceKit uses the same format so cookies cross over.
public enum Zlib {
    /// Compresses `bytes` into a zlib stream at the default level (6, as Python's `zlib.compress`).
    public static func compress(_ bytes: [UInt8], level: Int32 = Z_DEFAULT_COMPRESSION) throws(ZlibError) -> [UInt8] {
        var capacity = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(capacity))
        let status = output.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                compress2(out.baseAddress, &capacity, input.baseAddress, uLong(input.count), level)
            }
        }
        guard status == Z_OK else { throw ZlibError(status: status) }
        output.removeSubrange(Int(capacity)...)
        return output
    }

    /// Inflates a zlib stream.
    ///
    /// - Parameter maxSize: the largest output accepted; a stream that inflates past it is rejected, so a small
    ///   hostile input (a "zip bomb" in a cookie) cannot exhaust memory.
    public static func decompress(_ bytes: [UInt8], maxSize: Int = 1 << 20) throws(ZlibError) -> [UInt8] {
        var stream = z_stream()
        var status = inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw ZlibError(status: status) }
        defer { inflateEnd(&stream) }

        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        var input = bytes
        status = input.withUnsafeMutableBufferPointer { inputBuffer -> Int32 in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = uInt(inputBuffer.count)
            while true {
                let result = chunk.withUnsafeMutableBufferPointer { chunkBuffer -> Int32 in
                    stream.next_out = chunkBuffer.baseAddress
                    stream.avail_out = uInt(chunkBuffer.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                if output.count + produced > maxSize { return Z_BUF_ERROR }
                output.append(contentsOf: chunk[0..<produced])
                if result == Z_STREAM_END { return Z_OK }
                if result != Z_OK { return result == Z_BUF_ERROR ? Z_DATA_ERROR : result }
            }
        }
        guard status == Z_OK else { throw ZlibError(status: status) }
        return output
    }
}

/// A zlib call failed: the input is not a zlib stream, is truncated, or inflates past the allowed size.
public struct ZlibError: Error, Sendable, CustomStringConvertible {
    /// The zlib status code (`Z_DATA_ERROR`, `Z_BUF_ERROR`, ...).
    public let status: Int32

    public var description: String {
        switch self.status {
        case Z_DATA_ERROR: "zlib: the input is not a valid or complete zlib stream"
        case Z_BUF_ERROR: "zlib: the output would exceed the allowed size"
        case Z_MEM_ERROR: "zlib: out of memory"
        default: "zlib: error \(self.status)"
        }
    }
}
