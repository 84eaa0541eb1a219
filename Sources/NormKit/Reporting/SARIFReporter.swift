import Foundation
import Schematron

/// SARIF 2.1.0 (OASIS), as GitHub code scanning and other CI tools read it.
///
/// Rules carry short and full descriptions, help text and markdown with the citation and a
/// link; results carry the region (line, column), the XPath as a logical location, a
/// `partialFingerprints` entry that does not depend on line numbers, and a suppression when
/// a waiver covers them. The norms are a SARIF taxonomy that rules relate to.
/// Spec: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
public struct SARIFReporter: Reporter {
  /// `sarif`.
  public static let identifier = "sarif"
  /// One line.
  public static let summary = "SARIF 2.1.0 for code scanning: rules, norms taxonomy, fingerprints, suppressions"

  /// `baselineState` per fingerprint + file, for cycle diffs (empty: none written).
  public var baselineStates: [String: String]

  /// Creates the reporter.
  public init(baselineStates: [String: String] = [:]) {
    self.baselineStates = baselineStates
  }

  struct Log: Encodable {
    var schema = "https://json.schemastore.org/sarif-2.1.0.json"
    var version = "2.1.0"
    var runs: [Run]
    enum CodingKeys: String, CodingKey {
      case schema = "$schema"
      case version, runs
    }
  }
  struct Run: Encodable {
    var tool: Tool
    var taxonomies: [Component]
    var results: [Result]
    var columnKind = "unicodeCodePoints"
    var originalUriBaseIds: [String: ArtifactLocationBase]?
  }
  struct ArtifactLocationBase: Encodable {
    var uri: String
  }
  struct Tool: Encodable {
    var driver: Component
  }
  struct Component: Encodable {
    var name: String
    var version: String?
    var semanticVersion: String?
    var informationUri: String?
    var organization: String?
    var shortDescription: Text?
    var rules: [Descriptor]?
    var taxa: [Descriptor]?
    var supportedTaxonomies: [ComponentReference]?
    var isComprehensive: Bool?
  }
  struct ComponentReference: Encodable {
    var name: String
  }
  struct Text: Encodable {
    var text: String
    var markdown: String?
  }
  struct Descriptor: Encodable {
    var id: String
    var name: String?
    var shortDescription: Text?
    var fullDescription: Text?
    var help: Text?
    var helpUri: String?
    var defaultConfiguration: Configuration?
    var relationships: [Relationship]?
    var properties: Properties?
  }
  struct Configuration: Encodable {
    var level: String
  }
  struct Relationship: Encodable {
    var target: Target
    var kinds: [String]
  }
  struct Target: Encodable {
    var id: String
    var toolComponent: ComponentReference
  }
  struct Properties: Encodable {
    var tags: [String]?
    var pack: String?
    var verificationStatus: String?
  }
  struct Result: Encodable {
    var ruleId: String
    var ruleIndex: Int?
    var level: String
    var message: Text
    var locations: [Location]
    var partialFingerprints: [String: String]
    var suppressions: [Suppression]?
    var taxa: [Target]?
    var baselineState: String?
  }
  struct Location: Encodable {
    var physicalLocation: PhysicalLocation
    var logicalLocations: [LogicalLocation]?
  }
  struct PhysicalLocation: Encodable {
    var artifactLocation: ArtifactLocation
    var region: Region?
  }
  struct ArtifactLocation: Encodable {
    var uri: String
  }
  struct Region: Encodable {
    var startLine: Int
    var startColumn: Int?
  }
  struct LogicalLocation: Encodable {
    var fullyQualifiedName: String
    var kind = "element"
  }
  struct Suppression: Encodable {
    var kind = "external"
    var status = "accepted"
    var justification: String
  }

  static func level(_ severity: Severity) -> String {
    switch severity {
    case .fatal, .error: "error"
    case .warning: "warning"
    case .info: "note"
    }
  }

  /// The built-in ids of findings that do not come from packs, described for SARIF.
  static let builtinRules: [(id: String, name: String, text: String)] = [
    ("NC-INPUT", "unreadable-input", "The input cannot be read: missing, not a regular file, or over a size limit."),
    ("NC-XML", "not-well-formed", "The input is not well-formed XML, so nothing else could be checked."),
    ("NC-XSD", "schema-invalid", "The declaration does not conform to the normcheck declaration schema."),
    ("NC-EVAL", "rule-not-evaluated", "A rule could not be evaluated on this input; the rest was checked."),
    ("NC-LIMIT", "too-many-findings", "More findings than the configured maximum; the rest were not collected."),
  ]

  /// Renders the run.
  public func render(_ run: RunSummary) -> String {
    var descriptors: [Descriptor] = []
    var index: [String: Int] = [:]
    var citedNorms = Set<String>()
    for rule in Self.builtinRules {
      index[rule.id] = descriptors.count
      descriptors.append(
        Descriptor(
          id: rule.id, name: rule.name, shortDescription: Text(text: rule.text), fullDescription: Text(text: rule.text),
          help: Text(text: rule.text, markdown: rule.text), helpUri: nil,
          defaultConfiguration: Configuration(level: "error"),
          relationships: nil, properties: Properties(tags: ["normcheck"], pack: nil, verificationStatus: nil)))
    }
    for pack in run.packs {
      for rule in pack.rules where index[rule.id] == nil {
        index[rule.id] = descriptors.count
        citedNorms.formUnion(rule.norms)
        descriptors.append(descriptor(rule, run: run))
      }
    }
    let findings = run.reports.flatMap(\.findings)
    citedNorms.formUnion(findings.flatMap(\.norms))
    let results = findings.map { finding in
      var region: Region?
      if finding.line > 0 {
        region = Region(startLine: finding.line, startColumn: finding.column > 0 ? finding.column : nil)
      }
      return Result(
        ruleId: finding.ruleID, ruleIndex: index[finding.ruleID], level: Self.level(finding.severity),
        message: Text(text: finding.message),
        locations: [
          Location(
            physicalLocation: PhysicalLocation(
              artifactLocation: ArtifactLocation(uri: Self.uri(finding.file)), region: region),
            logicalLocations: finding.xpath.map { [LogicalLocation(fullyQualifiedName: $0)] })
        ],
        partialFingerprints: ["normcheck/v1": finding.fingerprint],
        suppressions: finding.waiver.map {
          [Suppression(justification: "\($0.justification) (owner \($0.owner), expires \($0.expires))")]
        },
        taxa: finding.norms.isEmpty
          ? nil : finding.norms.map { Target(id: $0, toolComponent: ComponentReference(name: "norms")) },
        baselineState: baselineStates.isEmpty
          ? (finding.baselined ? "unchanged" : nil) : baselineStates[finding.fingerprint + finding.file])
    }
    let taxa = citedNorms.sorted().map { id -> Descriptor in
      let norm = run.catalog[id]
      return Descriptor(
        id: id, name: norm?.title, shortDescription: Text(text: norm?.title ?? id),
        fullDescription: norm.map { Text(text: "\($0.citation). \($0.paraphrase)") }, help: nil, helpUri: norm?.url,
        defaultConfiguration: nil, relationships: nil,
        properties: norm.map { Properties(tags: [$0.level], pack: nil, verificationStatus: $0.status) })
    }
    let log = Log(runs: [
      Run(
        tool: Tool(
          driver: Component(
            name: "normcheck", version: run.toolVersion, semanticVersion: run.toolVersion, informationUri: nil,
            organization: nil,
            shortDescription: Text(text: "Checks states' cyber-norm declarations against the norms."),
            rules: descriptors, taxa: nil, supportedTaxonomies: [ComponentReference(name: "norms")],
            isComprehensive: nil)),
        taxonomies: [
          Component(
            name: "norms", version: nil, semanticVersion: nil, informationUri: nil, organization: "normcheck",
            shortDescription: Text(text: "International cyber norms, CBMs, IHL protections and CERT standards"),
            rules: nil, taxa: taxa, supportedTaxonomies: nil, isComprehensive: false)
        ],
        results: results)
    ])
    return JSONOutput.string(log)
  }

  private func descriptor(_ rule: RuleInfo, run: RunSummary) -> Descriptor {
    let citations = rule.norms.map(run.citation)
    var full = rule.message
    if let topic = rule.topic { full = "\(topic): \(full)" }
    var markdown = "**\(rule.id)** — \(rule.message)\n\n"
    if !citations.isEmpty {
      markdown +=
        "**Norms:** "
        + rule.norms.map { id in
          let text = run.citation(id)
          if let url = run.catalog[id]?.url { return "[\(text)](\(url))" }
          return text
        }.joined(separator: "; ") + "\n\n"
    }
    if let fix = rule.fix { markdown += "**How to fix:** \(fix)\n" }
    var help = rule.message
    if !citations.isEmpty { help += "\nNorms: " + citations.joined(separator: "; ") }
    if let fix = rule.fix { help += "\nHow to fix: \(fix)" }
    return Descriptor(
      id: rule.id, name: rule.id, shortDescription: Text(text: rule.topic ?? rule.message),
      fullDescription: Text(text: full), help: Text(text: help, markdown: markdown), helpUri: rule.see,
      defaultConfiguration: Configuration(level: Self.level(rule.severity)),
      relationships: rule.norms.map {
        Relationship(target: Target(id: $0, toolComponent: ComponentReference(name: "norms")), kinds: ["relevant"])
      },
      properties: Properties(tags: ["normcheck", rule.pack], pack: rule.pack, verificationStatus: nil))
  }

  /// A relative URI reference for a path (percent-encoded; `<stdin>` becomes `stdin`).
  static func uri(_ path: String) -> String {
    if path == "<stdin>" { return "stdin" }
    var allowed = CharacterSet.urlPathAllowed
    allowed.remove(charactersIn: ":")
    return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
  }
}
