@testable import Firewall
import Testing

@Suite struct ValueBufferTests {
    /// A byte at 0x80 or above is found at every position of ranges up to 20 bytes (two eight-byte steps and
    /// each tail), and bytes outside the range are not looked at.
    @Test func isASCIIFindsAHighByteAnywhereInTheRange() {
        let bytes = [0xC3] + [UInt8](repeating: 0x61, count: 40) + [0xFF]
        var buffer = ValueBuffer()
        buffer.append(bytes)
        for start in 1...4 {
            for length in 0...20 {
                let range = start..<(start + length)
                #expect(buffer.isASCII(range))
                #expect(!buffer.isASCII(0..<range.upperBound), "the high byte at 0")
                for position in range {
                    var changed = ValueBuffer()
                    changed.append(bytes.enumerated().map { $0.offset == position ? 0x80 : $0.element })
                    #expect(!changed.isASCII(range), "0x80 at \(position) of \(range)")
                }
            }
        }
        #expect(!buffer.isASCII(41..<42))
    }
}
