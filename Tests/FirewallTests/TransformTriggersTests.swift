@testable import Firewall
import Testing

@Suite("Transform triggers")
struct TransformTriggersTests {
    /// The table-driven pass must give what reading each byte with its predecessor gives.
    @Test func tableAgreesWithBytewiseClassesOnRandomValues() {
        var generator = SystemRandomNumberGenerator()
        // Bytes that matter (and their neighbours) are drawn often, so pairs such as "//", " (" and "/." occur.
        let interesting: [UInt8] = Array("%+&\\\0\t \u{0B}/(.\"'^,;Aa".utf8) + [0x80, 0xA0, 0xFF]
        for _ in 0..<5_000 {
            let length = Int.random(in: 0...24, using: &generator)
            let value: [UInt8] = (0..<length).map { _ in
                Bool.random(using: &generator) ? interesting.randomElement(using: &generator) ?? 0 : UInt8.random(in: 0...255, using: &generator)
            }
            var expected = TransformTriggers.any
            var previous: UInt8?
            for byte in value {
                expected |= TransformTriggers.classes(of: byte, after: previous)
                previous = byte
            }
            #expect(TransformTriggers.classes(of: value[...]) == expected, "value \(value)")
        }
    }

    /// What the evaluation relies on to skip work: a transform leaves a value without its triggers as it is,
    /// and one whose only trigger present is an upper-case letter changes nothing but case (so the prefilter,
    /// which ignores case, can use the raw value's scan).
    @Test func transformsWithoutTheirTriggersChangeNothingButCase() {
        var generator = SystemRandomNumberGenerator()
        let interesting: [UInt8] = Array("%+&\\\0\t \u{0B}/(.\"'^,;AaZz#x0;PHNjcmlwdD4=-_@".utf8) + [0x80, 0xA0, 0xC3, 0xA9, 0xFF]
        let fold = { (bytes: [UInt8]) in bytes.map(AhoCorasick.fold) }
        for _ in 0..<5_000 {
            let length = Int.random(in: 0...16, using: &generator)
            let value: [UInt8] = (0..<length).map { _ in
                Int.random(in: 0..<4, using: &generator) > 0 ? interesting.randomElement(using: &generator) ?? 0 : UInt8.random(in: 0...255, using: &generator)
            }
            let classes = TransformTriggers.classes(of: value[...])
            for transform in Transform.allCases where transform.blockers & classes != 0 {
                #expect(transform.apply(value) == value, "\(transform) changed \(value), which holds a blocker")
            }
            for transform in Transform.allCases where transform.triggers & TransformTriggers.any == 0 {
                if transform.triggers & classes == 0 {
                    #expect(transform.apply(value) == value, "\(transform) changed \(value)")
                }
                if transform.triggers & ~TransformTriggers.upper & classes == 0 {
                    #expect(fold(transform.apply(value)) == fold(value), "\(transform) changed more than the case of \(value)")
                }
            }
        }
    }

    @Test func pairsNeedTheirPredecessor() {
        #expect(TransformTriggers.classes(of: Array("a/b".utf8)[...]) & TransformTriggers.pathSyntax == 0)
        #expect(TransformTriggers.classes(of: Array("a//b".utf8)[...]) & TransformTriggers.pathSyntax != 0)
        #expect(TransformTriggers.classes(of: Array(".hidden".utf8)[...]) & TransformTriggers.pathSyntax != 0, "a leading dot")
        #expect(TransformTriggers.classes(of: Array("a.b".utf8)[...]) & TransformTriggers.pathSyntax == 0)
        #expect(TransformTriggers.classes(of: Array("ls /etc".utf8)[...]) & TransformTriggers.spaceBeforeSlash != 0)
        #expect(TransformTriggers.classes(of: Array("a  b".utf8)[...]) & TransformTriggers.whitespaceRun != 0)
        #expect(TransformTriggers.classes(of: Array("a b".utf8)[...]) & TransformTriggers.whitespaceRun == 0)
    }
}
