/// The coverage the default rule set must keep on the corpus (issue: firewall), checked by a test.
public enum CorpusGate {
    /// The attack families gated: LFI, RFI, RCE, PHP, generic, XSS, SQLi, Java.
    public static let families = ["930", "931", "932", "933", "934", "941", "942", "944"]
    /// The least share of PL1 attacks blocked across the gated families.
    public static let overall = 0.75
    /// The least share in any one gated family.
    public static let perFamily = 0.50
}
