import NetworkAddress

/// What a rule condition tests each (transformed) target value with.
public enum RuleOperator: Sendable {
    /// A PCRE2 regular expression (JIT, bounded by match limits).
    case regex(CompiledPattern)
    /// Any of many phrases, ASCII case ignored, in one pass.
    case phrases(PhraseMatcher)
    /// The value is exactly these bytes.
    case equals([UInt8])
    /// The value is exactly one of these.
    case oneOf(Set<[UInt8]>)
    /// The value contains these bytes.
    case contains([UInt8])
    /// The value starts with these bytes.
    case beginsWith([UInt8])
    /// The value ends with these bytes.
    case endsWith([UInt8])
    /// The value is an IP address inside one of these networks.
    case cidr([CIDRBlock])
    /// The value is a decimal integer that compares so with the number (use with the `length` transform or a
    /// `count(...)` target).
    case numeric(NumericComparison, Int)

    /// The operator names accepted in rule files.
    public static let names = ["regex", "phrases", "equals", "in", "contains", "begins_with", "ends_with", "cidr", "eq", "ne", "lt", "le", "gt", "ge"]

    /// Whether `value` satisfies the operator (before any negation).
    ///
    /// - Throws: ``PatternMatchError`` when a regex hits its match limit.
    func matches(_ value: ArraySlice<UInt8>) throws(PatternMatchError) -> Bool {
        switch self {
        case .regex(let pattern): return try pattern.matches(value)
        case .phrases(let matcher): return matcher.matches(value)
        case .equals(let expected): return value.elementsEqual(expected)
        case .oneOf(let set):
            // A short list (allowed methods, versions) is scanned, which allocates nothing; a long one is
            // looked up, with the value copied into an array for the set's key type.
            guard set.count > 16 else { return set.contains { $0.count == value.count && $0.elementsEqual(value) } }
            return set.contains(Array(value))
        case .contains(let needle): return needle.isEmpty || ByteSearch.firstIndex(of: needle, in: value) != nil
        case .beginsWith(let prefix): return value.starts(with: prefix)
        case .endsWith(let suffix): return value.count >= suffix.count && value.suffix(suffix.count).elementsEqual(suffix)
        case .cidr(let blocks):
            guard let address = IPAddress(String(decoding: value, as: UTF8.self)) else { return false }
            return blocks.contains { $0.contains(address) }
        case .numeric(let comparison, let number):
            guard let parsed = Int(String(decoding: value, as: UTF8.self)) else { return false }
            return comparison.holds(parsed, number)
        }
    }
}

extension RuleOperator {
    /// Whether `number` (a length or a count) satisfies the operator. A numeric comparison takes it as it is;
    /// other operators are asked about its decimal digits.
    ///
    /// - Throws: ``PatternMatchError`` when a regex hits its match limit.
    func matches(number: Int) throws(PatternMatchError) -> Bool {
        if case .numeric(let comparison, let bound) = self { return comparison.holds(number, bound) }
        return try self.matches(Array(String(number).utf8)[...])
    }
}

/// A comparison of two integers.
public enum NumericComparison: String, Sendable, CaseIterable {
    /// Equal.
    case eq
    /// Not equal.
    case ne
    /// Less than.
    case lt
    /// Less than or equal.
    case le
    /// Greater than.
    case gt
    /// Greater than or equal.
    case ge

    func holds(_ left: Int, _ right: Int) -> Bool {
        switch self {
        case .eq: left == right
        case .ne: left != right
        case .lt: left < right
        case .le: left <= right
        case .gt: left > right
        case .ge: left >= right
        }
    }
}
