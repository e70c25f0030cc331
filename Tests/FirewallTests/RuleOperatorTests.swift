@testable import Firewall
import Testing

@Suite("Rule operators")
struct RuleOperatorTests {
    static func slice(_ text: String) -> ArraySlice<UInt8> { Array(text.utf8)[...] }

    @Test(arguments: [3, 40])
    func inMatchesWholeMembersOnly(memberCount: Int) throws {
        // A short list is scanned and a long one looked up (RuleOperator.matches); both must give the same answers.
        let members = ["GET", "HEAD", "POST"] + (3..<memberCount).map { "M\($0)" }
        let oneOf = RuleOperator.oneOf(Set(members.map { Array($0.utf8) }))
        #expect(try oneOf.matches(Self.slice("GET")))
        #expect(try oneOf.matches(Self.slice("POST")))
        #expect(try !oneOf.matches(Self.slice("PUT")), "same length as GET, not a member")
        #expect(try !oneOf.matches(Self.slice("GE")), "a prefix of a member")
        #expect(try !oneOf.matches(Self.slice("GETS")), "a member followed by more")
        #expect(try !oneOf.matches(Self.slice("get")), "case is not ignored")
        #expect(try !oneOf.matches(Self.slice("")))
        // A slice that does not start at 0, as the evaluation's values are.
        let inner = Array("xxHEADyy".utf8)[2..<6]
        #expect(try oneOf.matches(inner))
    }
}
