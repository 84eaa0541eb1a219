import Foundation
import Schematron

/// JSON in a documented, versioned shape (`schemaVersion` "1.0"), keys sorted.
///
/// ```
/// { "schemaVersion": "1.0", "tool": {"name", "version"}, "asOf",
///   "summary": {"files", "filesWithFindings", "fatal", "error", "warning", "info", "waived", "failed"},
///   "files": [ { "path", "state", "cycle", "parsed",
///                "findings": [ { "ruleId", "pack", "origin", "severity", "message", "norms": [{"id", "citation"}],
///                                "fix", "see", "line", "column", "xpath", "fingerprint", "waiver", "baselined" } ] } ] }
/// ```
public struct JSONReporter: Reporter {
  /// `json`.
  public static let identifier = "json"
  /// One line.
  public static let summary = "versioned JSON (schemaVersion 1.0), deterministic key order"
  /// The version of the JSON shape.
  public static let schemaVersion = "1.0"

  /// Creates the reporter.
  public init() {}

  struct Output: Encodable {
    var schemaVersion: String
    var tool: Tool
    var asOf: String?
    var summary: Summary
    var files: [File]
  }
  struct Tool: Encodable {
    var name: String
    var version: String
  }
  struct Summary: Encodable {
    var files: Int
    var filesWithFindings: Int
    var fatal: Int
    var error: Int
    var warning: Int
    var info: Int
    var waived: Int
    var failed: Bool
  }
  struct File: Encodable {
    var path: String
    var state: String?
    var cycle: String?
    var parsed: Bool
    var findings: [Item]
  }
  struct Item: Encodable {
    var ruleId: String
    var pack: String?
    var origin: String
    var severity: String
    var message: String
    var norms: [NormRef]
    var fix: String?
    var see: String?
    var line: Int
    var column: Int
    var xpath: String?
    var fingerprint: String
    var waiver: WaiverReference?
    var baselined: Bool
  }
  struct NormRef: Encodable {
    var id: String
    var citation: String?
  }

  /// Renders the run.
  public func render(_ run: RunSummary) -> String {
    let counts = run.counts
    let output = Output(
      schemaVersion: Self.schemaVersion, tool: Tool(name: "normcheck", version: run.toolVersion), asOf: run.asOf,
      summary: Summary(
        files: run.reports.count,
        filesWithFindings: run.reports.filter { $0.findings.contains { !$0.isWaived } }.count,
        fatal: counts[.fatal] ?? 0, error: counts[.error] ?? 0, warning: counts[.warning] ?? 0,
        info: counts[.info] ?? 0,
        waived: run.reports.flatMap(\.findings).filter(\.isWaived).count, failed: run.fails),
      files: run.reports.map { report in
        File(
          path: report.input, state: report.state, cycle: report.cycle, parsed: report.parsed,
          findings: report.findings.map { finding in
            Item(
              ruleId: finding.ruleID, pack: finding.pack, origin: finding.origin.rawValue,
              severity: finding.severity.rawValue, message: finding.message,
              norms: finding.norms.map { NormRef(id: $0, citation: run.catalog[$0]?.citation) }, fix: finding.fix,
              see: finding.see, line: finding.line, column: finding.column, xpath: finding.xpath,
              fingerprint: finding.fingerprint, waiver: finding.waiver, baselined: finding.baselined)
          })
      })
    return JSONOutput.string(output)
  }
}
