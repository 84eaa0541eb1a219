import XMLCore

/// How serious a finding is, mapped from `role` and `flag` (see ``Severity/init(role:flag:kind:)``).
public enum Severity: String, Hashable, Sendable, Codable, Comparable, CaseIterable {
  case info, warning, error, fatal

  private var rank: Int {
    switch self {
    case .info: 0
    case .warning: 1
    case .error: 2
    case .fatal: 3
    }
  }

  /// Orders by seriousness: info < warning < error < fatal.
  public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }

  /// Reads a role or flag value, case-insensitively.
  ///
  /// | value | severity |
  /// |---|---|
  /// | `fatal`, `critical` | fatal |
  /// | `error`, `err`, `violation` | error |
  /// | `warning`, `warn`, `caution` | warning |
  /// | `info`, `information`, `informational`, `note`, `hint` | info |
  public init?(keyword: String) {
    switch keyword.lowercased() {
    case "fatal", "critical": self = .fatal
    case "error", "err", "violation": self = .error
    case "warning", "warn", "caution": self = .warning
    case "info", "information", "informational", "note", "hint": self = .info
    default: return nil
    }
  }

  /// The severity of a finding: the first of the assertion's role, its flag, the rule's role
  /// and the rule's flag that is a known keyword; otherwise `error` for a failed assert and
  /// `warning` for a successful report.
  public init(assertion: Assertion, rule: ResolvedRule) {
    for candidate in [assertion.role, assertion.flag, rule.role, rule.flag] {
      if let candidate, let severity = Severity(keyword: candidate) {
        self = severity
        return
      }
    }
    self = assertion.kind == .assert ? .error : .warning
  }
}

/// Where in a checked document something is.
public struct NodeLocation: Hashable, Sendable, Codable {
  /// The document's name (its path, or `<stdin>`).
  public var file: String
  /// The 1-based line of the node (0: unknown).
  public var line: Int
  /// The 1-based column of the node (0: unknown).
  public var column: Int
  /// The node's canonical XPath (``XMLCore/Node/path``).
  public var path: String
  /// The node's path anchored at the nearest element with an id (``XMLCore/Node/anchoredPath``).
  public var anchoredPath: String

  /// Creates a location.
  public init(file: String, line: Int, column: Int, path: String, anchoredPath: String? = nil) {
    self.file = file
    self.line = line
    self.column = column
    self.path = path
    self.anchoredPath = anchoredPath ?? path
  }

  /// The location of `node`.
  public init(_ node: Node) {
    self.init(
      file: node.document.sourceName, line: node.line, column: node.column, path: node.path,
      anchoredPath: node.anchoredPath)
  }
}

/// A failed assert or a successful report, with everything its schema says about it.
public struct SchematronFinding: Hashable, Sendable {
  /// A diagnostic or property, rendered for this finding.
  public struct Reference: Hashable, Sendable {
    /// The diagnostic or property id.
    public var id: String
    /// Its `role`.
    public var role: String?
    /// Its rendered text.
    public var text: String
  }

  /// `assert` (failed) or `report` (successful).
  public var kind: Assertion.Kind
  /// The assertion's `@id`.
  public var assertionID: String?
  /// The rule's `@id`.
  public var ruleID: String?
  /// The pattern's `@id`.
  public var patternID: String?
  /// The assertion's `@role`.
  public var role: String?
  /// The assertion's `@flag`.
  public var flag: String?
  /// The severity from role and flag.
  public var severity: Severity
  /// The test expression.
  public var test: String
  /// The rendered message, whitespace normalized.
  public var text: String
  /// Rendered diagnostics referred to by the assertion.
  public var diagnostics: [Reference]
  /// Rendered properties referred to by the assertion.
  public var properties: [Reference]
  /// `@see`.
  public var see: String?
  /// `@icon`.
  public var icon: String?
  /// `@fpi`.
  public var fpi: String?
  /// The node the finding is about (the subject if one is given, else the rule's context node).
  public var location: NodeLocation
  /// The rule's context as written.
  public var ruleContext: String
  /// Where the assertion is written in the schema.
  public var schemaLocation: SchemaLocation
}

/// An expression that could not be evaluated; the rest of the document is still checked.
public struct EvaluationFailure: Hashable, Sendable, CustomStringConvertible {
  /// The pattern's id.
  public var patternID: String?
  /// The rule's id.
  public var ruleID: String?
  /// The assertion's id, when the failure is in an assertion.
  public var assertionID: String?
  /// The expression.
  public var expression: String
  /// What went wrong.
  public var message: String
  /// The node being checked, when there was one.
  public var location: NodeLocation?
  /// Where the expression is written in the schema.
  public var schemaLocation: SchemaLocation

  /// `schema:line: message in 'expression' (at node)`.
  public var description: String {
    var text = "\(schemaLocation): cannot evaluate '\(expression)': \(message)"
    if let location { text += " (checking \(location.path) at \(location.file):\(location.line))" }
    return text
  }
}

/// A rule that handled a node (SVRL `fired-rule`).
public struct FiredRule: Hashable, Sendable {
  /// Index of the pattern in ``CompiledSchema/resolved``.
  public var patternIndex: Int
  /// Index of the rule in its pattern.
  public var ruleIndex: Int
  /// How many findings precede this firing in ``ValidationResult/findings``.
  public var firstFinding: Int
  /// The document the node belongs to (differs from the checked one under `@documents`).
  public var document: String
}

/// Everything that checking one document produced.
public struct ValidationResult: Sendable {
  /// The checked document's name.
  public var document: String
  /// The phase that ran.
  public var phase: String
  /// Failed asserts and successful reports: pattern by pattern, in document order.
  public var findings: [SchematronFinding]
  /// Expressions that could not be evaluated.
  public var failures: [EvaluationFailure]
  /// The rules that fired, when ``Evaluator/Options/recordFiredRules`` is set.
  public var firedRules: [FiredRule]
  /// Whether findings were cut off at ``Evaluator/Options/maxFindings``.
  public var truncated: Bool
  /// Whether checking stopped because the XPath operation budget ran out.
  public var stoppedByBudget: Bool = false
  /// XPath operations counted by libxml2 while checking this document (for budgets and profiling).
  public var operationCount: UInt = 0
  /// Slices of patterns whose rules were fired on threads of their own and kept
  /// (``Evaluator/Options/threads``); 0 when everything ran on the calling thread.
  public var parallelSlices: Int = 0
  /// Time per expression, slowest first, when ``Evaluator/Options/profile`` is set.
  public var profile: [ProfileEntry] = []
  /// The rules that handled at least one node, as (pattern index, rule index): the rules that applied to the document.
  ///
  /// Always recorded.
  public var appliedRules: Set<RuleReference> = []

  /// A rule of the compiled schema, by position.
  public struct RuleReference: Hashable, Sendable {
    /// Index of the pattern in ``CompiledSchema/resolved``.
    public var pattern: Int
    /// Index of the rule in its pattern.
    public var rule: Int
  }

  /// Whether nothing at or above `severity` was found and nothing failed to evaluate.
  public func isClean(atOrAbove severity: Severity = .error) -> Bool {
    failures.isEmpty && !findings.contains { $0.severity >= severity }
  }
}

/// The time one expression of a schema took while checking a document (``Evaluator/Options/profile``).
public struct ProfileEntry: Hashable, Sendable {
  /// What the expression is.
  public enum Kind: String, Hashable, Sendable, Codable {
    /// A rule's `@context`, evaluated once per pattern and document.
    case context
    /// A `let`, evaluated once per node of its rule (or once, at schema and pattern level).
    case letBinding = "let"
    /// An `assert` or `report` test, once per node of its rule.
    case test
    /// Rendering the message of an assertion that fired.
    case message
  }

  /// What identifies an entry: the kind and where the expression is written.
  public struct Key: Hashable, Sendable {
    /// What the expression is.
    public var kind: Kind
    /// `$name` for a let, the assertion's id for a test or message, the context for a rule.
    public var label: String
    /// The expression as written.
    public var expression: String
    /// The pattern's id, if it has one.
    public var patternID: String?
    /// Where the expression is written.
    public var location: SchemaLocation

    init(_ binding: Let, pattern: ResolvedPattern?) {
      kind = .letBinding
      label = "$" + binding.name
      if case .expression(let source) = binding.value { expression = source } else { expression = "(content)" }
      patternID = pattern?.id
      location = binding.location
    }

    init(_ assertion: Assertion, pattern: ResolvedPattern, message: Bool = false) {
      kind = message ? .message : .test
      label = assertion.id ?? "\(assertion.kind.rawValue) at line \(assertion.location.line)"
      expression = assertion.test
      patternID = pattern.id
      location = assertion.location
    }

    init(context rule: ResolvedRule, pattern: ResolvedPattern) {
      kind = .context
      label = rule.id ?? "rule at line \(rule.location.line)"
      expression = rule.context
      patternID = pattern.id
      location = rule.location
    }
  }

  /// What the entry is about.
  public var key: Key
  /// How many times the expression was evaluated.
  public var evaluations: Int = 0
  /// The time spent in all of them, in nanoseconds.
  public var nanoseconds: UInt64 = 0

  /// Creates an empty entry.
  public init(key: Key) { self.key = key }

  mutating func record(_ elapsed: UInt64) {
    evaluations += 1
    nanoseconds &+= elapsed
  }

  mutating func absorb(_ other: ProfileEntry) {
    evaluations += other.evaluations
    nanoseconds &+= other.nanoseconds
  }
}
