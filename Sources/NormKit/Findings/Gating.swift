import Foundation
import Schematron
import XMLCore

/// A baseline: the fingerprints of accepted findings.
///
/// Findings in the baseline are still reported but do not count towards the exit code. Matching is by fingerprint
/// and input (file path, or state code for declarations), never by line.
public struct Baseline: Sendable, Codable, Equatable {
  /// One accepted finding.
  public struct Entry: Sendable, Codable, Hashable {
    /// The finding's fingerprint.
    public var fingerprint: String
    /// The rule id (for readers of the file).
    public var ruleId: String
    /// The input's path as checked.
    public var file: String
    /// The declaration's state code, when known.
    public var state: String?
    /// The message (for readers of the file).
    public var message: String
  }

  /// The version of the file format.
  public var schemaVersion = "1.0"
  /// The entries, sorted.
  public var findings: [Entry]

  /// A baseline of every unwaived finding of `reports`.
  public init(reports: [DocumentReport]) {
    findings = reports.flatMap { report in
      report.findings.filter { !$0.isWaived }.map {
        Entry(
          fingerprint: $0.fingerprint, ruleId: $0.ruleID, file: report.input, state: report.state, message: $0.message)
      }
    }.sorted { ($0.file, $0.fingerprint, $0.ruleId) < ($1.file, $1.fingerprint, $1.ruleId) }
  }

  /// Reads a baseline file.
  public init(contentsOfFile path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw NormKitError.configuration("cannot read the baseline \(path)")
    }
    do {
      self = try JSONDecoder().decode(Baseline.self, from: data)
    } catch {
      throw NormKitError.configuration("\(path) is not a normcheck baseline (JSON with schemaVersion and findings)")
    }
  }

  /// The file's text (sorted, pretty JSON).
  public var text: String {
    return JSONOutput.string(self)
  }

  /// Marks the findings of `reports` that the baseline holds.
  public func apply(to reports: inout [DocumentReport]) {
    var byFile: [String: Set<String>] = [:]
    var byState: [String: Set<String>] = [:]
    for entry in findings {
      byFile[entry.file, default: []].insert(entry.fingerprint)
      if let state = entry.state { byState[state, default: []].insert(entry.fingerprint) }
    }
    for index in reports.indices {
      let report = reports[index]
      for findingIndex in report.findings.indices {
        let fingerprint = report.findings[findingIndex].fingerprint
        if byFile[report.input]?.contains(fingerprint) == true
          || report.state.map({ byState[$0]?.contains(fingerprint) == true }) == true
        {
          reports[index].findings[findingIndex].baselined = true
        }
      }
    }
  }
}

/// A waiver: an accepted finding with a justification, an owner and an expiry date.
public struct Waiver: Sendable, Hashable {
  /// The rule id.
  public var rule: String
  /// The state code it applies to.
  public var state: String?
  /// The file it applies to (the path as checked, or its last components).
  public var file: String?
  /// The node it applies to (canonical or id-anchored path).
  public var xpath: String?
  /// Why.
  public var justification: String
  /// Who answers for it.
  public var owner: String
  /// Last day it applies (YYYY-MM-DD).
  public var expires: String
  /// Where it is written.
  public var line: Int

  /// Whether the waiver matches `finding` of `report`.
  func matches(_ finding: Finding, in report: DocumentReport, anchored: String?) -> Bool {
    guard finding.ruleID == rule else { return false }
    if let state, report.state != state { return false }
    if let file, !(report.input == file || report.input.hasSuffix("/" + file)) { return false }
    if let xpath, finding.xpath != xpath, anchored != xpath { return false }
    return true
  }
}

/// A waivers file (`urn:normcheck:waivers:1`, schema `Rules/waivers/waivers.xsd`).
public struct WaiverSet: Sendable {
  /// The namespace of the format.
  public static let namespace = "urn:normcheck:waivers:1"
  /// The file.
  public var path: String
  /// The waivers in file order.
  public var waivers: [Waiver]

  /// Reads and validates a waivers file; `schema` is the waivers XSD.
  public init(contentsOfFile path: String, schema: XMLSchema) throws {
    let document: Document
    do {
      document = try Document(contentsOfFile: path)
    } catch {
      throw NormKitError.configuration("waivers file \(error)")
    }
    if let error = schema.validate(document).first {
      throw NormKitError.configuration("waivers file \(error.location): \(error.message)")
    }
    self.path = path
    waivers = (document.rootElement?.childElements ?? []).map { node in
      Waiver(
        rule: node.attribute("rule") ?? "", state: node.attribute("state"), file: node.attribute("file"),
        xpath: node.attribute("xpath"),
        justification: node.childElements.first?.stringValue.split(whereSeparator: \.isWhitespace).joined(
          separator: " ")
          ?? "",
        owner: node.attribute("owner") ?? "", expires: node.attribute("expires") ?? "", line: node.line)
    }
    for waiver in waivers where waiver.state == nil && waiver.file == nil {
      throw NormKitError.configuration(
        "waivers file \(path):\(waiver.line): a waiver of \(waiver.rule) must name a state or a file")
    }
  }

  /// Marks waived findings in `reports`; returns a report on the waivers file itself.
  ///
  /// That report holds a finding per expired waiver and per waiver that matched nothing.
  /// `today` is YYYY-MM-DD; `strict` makes those findings errors instead of warnings.
  public func apply(to reports: inout [DocumentReport], today: String, strict: Bool) -> DocumentReport {
    var used = Set<Int>()
    var problems: [Finding] = []
    for (index, waiver) in waivers.enumerated() where waiver.expires < today {
      problems.append(
        Finding(
          ruleID: "NC-WAIVER-EXPIRED", origin: .input, severity: strict ? .error : .warning,
          message:
            "the waiver of \(waiver.rule) owned by \(waiver.owner) expired on \(waiver.expires); its findings count again",
          fix: "Fix the findings, or renew the waiver with a new expiry date and justification.", file: path,
          line: waiver.line, column: 0))
      used.insert(index)  // an expired waiver is reported as expired, not as unused
    }
    for reportIndex in reports.indices {
      let report = reports[reportIndex]
      for findingIndex in report.findings.indices {
        let finding = report.findings[findingIndex]
        guard
          let (index, waiver) = waivers.enumerated().first(where: {
            $0.element.expires >= today && $0.element.matches(finding, in: report, anchored: finding.anchor)
          })
        else { continue }
        used.insert(index)
        reports[reportIndex].findings[findingIndex].waiver = WaiverReference(
          justification: waiver.justification, owner: waiver.owner, expires: waiver.expires)
      }
    }
    for (index, waiver) in waivers.enumerated() where !used.contains(index) {
      problems.append(
        Finding(
          ruleID: "NC-WAIVER-UNUSED", origin: .input, severity: strict ? .error : .warning,
          message: "the waiver of \(waiver.rule)\(waiver.state.map { " for \($0)" } ?? "") matches no finding",
          fix: "Remove the waiver: the finding it covered is gone.", file: path, line: waiver.line, column: 0))
    }
    return DocumentReport(
      input: path, state: nil, cycle: nil, findings: problems, rulesApplied: [], schematronResults: [:], parsed: true)
  }
}
