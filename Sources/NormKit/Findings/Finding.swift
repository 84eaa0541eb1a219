import Foundation
import Schematron

/// One problem normcheck reports about one input: a rule that fired, or an input that could
/// not be read, parsed or validated.
public struct Finding: Hashable, Sendable, Codable {
  /// Where a finding comes from.
  public enum Origin: String, Hashable, Sendable, Codable {
    /// A rule of a pack.
    case rule
    /// The input could not be read.
    case input
    /// The input is not well-formed XML.
    case wellFormedness = "well-formedness"
    /// The input does not conform to the declaration XSD.
    case schema
    /// A rule could not be evaluated on this input.
    case evaluation
  }

  /// The rule id (`NC-INPUT`, `NC-XML`, `NC-XSD`, `NC-EVAL` for the non-rule origins).
  public var ruleID: String
  /// The pack, for rule findings.
  public var pack: String?
  /// Where the finding comes from.
  public var origin: Origin
  /// How serious it is.
  public var severity: Severity
  /// What is wrong, naming the facility, contact or clause concerned.
  public var message: String
  /// Norm ids cited.
  public var norms: [String]
  /// How to fix it.
  public var fix: String?
  /// A link for more information.
  public var see: String?
  /// The input file (a path or `<stdin>`).
  public var file: String
  /// 1-based line (0: unknown).
  public var line: Int
  /// 1-based column (0: unknown).
  public var column: Int
  /// The canonical XPath of the node concerned, when there is one.
  public var xpath: String?
  /// A line-independent identity: rule id + the node's id-anchored path (+ message for non-rule findings), hashed.
  ///
  /// Stable under edits elsewhere in the file.
  public var fingerprint: String
  /// The waiver that covers the finding, if any.
  public var waiver: WaiverReference?
  /// Whether a baseline holds the finding (it is reported but does not fail the run).
  public var baselined: Bool
  /// The id-anchored path of the node, for matching waivers.
  public var anchor: String?

  /// Creates a finding; the fingerprint is computed from `ruleID` and `anchor`.
  public init(
    ruleID: String, pack: String? = nil, origin: Origin, severity: Severity, message: String, norms: [String] = [],
    fix: String? = nil, see: String? = nil, file: String, line: Int, column: Int, xpath: String? = nil,
    anchor: String? = nil
  ) {
    self.ruleID = ruleID
    self.pack = pack
    self.origin = origin
    self.severity = severity
    self.message = message
    self.norms = norms
    self.fix = fix
    self.see = see
    self.file = file
    self.line = line
    self.column = column
    self.xpath = xpath
    var hasher = FNV1a()
    hasher.combine(ruleID)
    hasher.combine(anchor ?? xpath ?? "")
    if origin != .rule { hasher.combine(message) }
    self.fingerprint = hasher.hex
    self.waiver = nil
    self.baselined = false
    self.anchor = anchor
  }

  /// Whether a waiver covers the finding.
  public var isWaived: Bool { waiver != nil }

  /// Whether the finding counts towards the exit code: neither waived nor in the baseline.
  public var counts: Bool { waiver == nil && !baselined }
}

/// The part of a waiver a finding records.
public struct WaiverReference: Hashable, Sendable, Codable {
  /// The waiver's justification.
  public var justification: String
  /// Who owns it.
  public var owner: String
  /// When it expires (YYYY-MM-DD).
  public var expires: String
}

/// Everything normcheck found in one input.
public struct DocumentReport: Sendable {
  /// The input as given (a path or `<stdin>`).
  public var input: String
  /// The state code the declaration names, when it could be read.
  public var state: String?
  /// The reporting cycle, when it could be read.
  public var cycle: String?
  /// The findings, in the order found: input, well-formedness, XSD, then pack by pack in
  /// document order.
  public var findings: [Finding]
  /// The rules applied to this input, by pack (for JUnit and matrices).
  public var rulesApplied: [RuleInfo]
  /// XPath operations the packs used on this input (libxml2's count, for budgets and profiling).
  public var operationCount: UInt = 0
  /// Time per expression of each pack, when ``CheckConfiguration/profile`` is set.
  public var profile: [PackProfileEntry] = []
  /// Ids of the rules whose context matched at least one node: the rules that applied.
  public var applicableRules: Set<String> = []
  /// The Schematron results per pack id, kept when SVRL is wanted.
  public var schematronResults: [String: ValidationResult]
  /// Whether the input was parsed.
  public var parsed: Bool

  /// Creates a report.
  public init(
    input: String, state: String?, cycle: String?, findings: [Finding], rulesApplied: [RuleInfo],
    schematronResults: [String: ValidationResult], parsed: Bool
  ) {
    self.input = input
    self.state = state
    self.cycle = cycle
    self.findings = findings
    self.rulesApplied = rulesApplied
    self.schematronResults = schematronResults
    self.parsed = parsed
  }
}
