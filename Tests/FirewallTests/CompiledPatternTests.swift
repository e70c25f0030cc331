import Firewall
import Testing

@Suite("PCRE2 patterns")
struct CompiledPatternTests {
    @Test func compilesWithJITAndMatches() throws {
        let pattern = try CompiledPattern(#"union\s+(all\s+)?select"#, options: .caseless)
        #expect(pattern.isJIT)
        #expect(try pattern.matches("1 UNION ALL  Select password from users"))
        #expect(try !pattern.matches("the union, then select a leader"))
        #expect(try pattern.matches(Array("x union select y".utf8)))
    }

    @Test func invalidPatternReportsOffsetAndReason() {
        let error = #expect(throws: PatternCompileError.self) { try CompiledPattern("abc(def") }
        #expect(error?.offset == 7)
        #expect(error?.message.contains("missing closing parenthesis") == true)
    }

    @Test func catastrophicBacktrackingStopsAtTheLimit() throws {
        let pattern = try CompiledPattern("^(a+)+$", matchLimit: 10_000)
        let subject = String(repeating: "a", count: 40) + "b"
        #expect(throws: PatternMatchError.limitExceeded(pattern: "^(a+)+$")) { try pattern.matches(subject) }
        #expect(try pattern.matches("aaaa"))
    }

    @Test func invalidUTF8InTheSubjectIsNotAnError() throws {
        let pattern = try CompiledPattern("evil")
        #expect(try pattern.matches([0xFF, 0xFE] + Array("evil".utf8)))
    }

    @Test func sharedAcrossThreads() async throws {
        let pattern = try CompiledPattern(#"\d{3}-\d{4}"#)
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<200 {
                group.addTask { try pattern.matches(index.isMultiple(of: 2) ? "call 555-1234" : "no number") }
            }
            var matched = 0
            for try await result in group where result { matched += 1 }
            #expect(matched == 100)
        }
    }
}
