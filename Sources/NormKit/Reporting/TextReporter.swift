import Foundation
import Schematron

/// Compiler-style text, grouped per file, with fix hints and a summary.
///
/// Each finding is `path:line:col: error: [RULE-ID] message (citation)`. Colour only when
/// asked (a terminal without `NO_COLOR`).
public struct TextReporter: Reporter {
  /// `text`.
  public static let identifier = "text"
  /// One line.
  public static let summary = "compiler-style lines grouped per file, with fixes and a summary"

  /// Whether to use ANSI colour.
  public var colour: Bool
  /// Print only findings and the summary line (no fix hints).
  public var quiet: Bool

  /// Creates a text reporter.
  public init(colour: Bool = false, quiet: Bool = false) {
    self.colour = colour
    self.quiet = quiet
  }

  /// Text from inputs (file names, messages built from document content) with control
  /// characters shown as escapes, so that it can neither start a new line (a CI workflow
  /// command, a forged finding) nor drive the terminal.
  static func printable(_ text: String) -> String {
    func isControl(_ scalar: Unicode.Scalar) -> Bool {
      scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
    }
    guard text.unicodeScalars.contains(where: isControl) else { return text }
    var out = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      case "\r": out += "\\r"
      default:
        if isControl(scalar) {
          out += "\\u{\(String(scalar.value, radix: 16))}"
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out
  }

  private func paint(_ text: String, _ code: String) -> String {
    colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
  }

  private func label(_ severity: Severity) -> String {
    switch severity {
    case .fatal: paint("fatal", "1;31")
    case .error: paint("error", "1;31")
    case .warning: paint("warning", "1;33")
    case .info: paint("info", "1;36")
    }
  }

  /// Renders the run.
  public func render(_ run: RunSummary) -> String {
    var out = ""
    for report in run.reports {
      let findings = report.findings
      let header = Self.printable(
        report.state.map { " (state \($0)\(report.cycle.map { ", cycle \($0)" } ?? ""))" } ?? "")
      if findings.isEmpty {
        if !quiet { out += paint(Self.printable(report.input), "1") + header + ": no findings\n" }
        continue
      }
      if !quiet { out += paint(Self.printable(report.input), "1") + header + "\n" }
      for finding in findings {
        var position = Self.printable(finding.file)
        if finding.line > 0 {
          position += ":\(finding.line)"
          if finding.column > 0 { position += ":\(finding.column)" }
        }
        var line =
          "\(position): \(label(finding.severity)): [\(Self.printable(finding.ruleID))] \(Self.printable(finding.message))"
        if !finding.norms.isEmpty { line += " (" + finding.norms.map(run.citation).joined(separator: "; ") + ")" }
        if let waiver = finding.waiver {
          line += paint(" [waived until \(waiver.expires): \(Self.printable(waiver.justification))]", "2")
        }
        if finding.baselined { line += paint(" [in baseline]", "2") }
        out += line + "\n"
        if !quiet, let fix = finding.fix, !finding.isWaived {
          out += "    " + paint("fix:", "32") + " \(Self.printable(fix))\n"
        }
      }
    }
    out += summaryLine(run)
    return out
  }

  private func summaryLine(_ run: RunSummary) -> String {
    let counts = run.counts
    let waived = run.reports.flatMap(\.findings).filter(\.isWaived).count
    let files = run.reports.count
    let failing = run.reports.filter { report in report.findings.contains { !$0.isWaived } }.count
    var parts = Severity.allCases.reversed().compactMap { severity -> String? in
      guard let count = counts[severity], count > 0 else { return nil }
      return "\(count) \(severity.rawValue)\(count == 1 || severity == .info ? "" : "s")"
    }
    if waived > 0 { parts.append("\(waived) waived") }
    let found = parts.isEmpty ? "no findings" : parts.joined(separator: ", ")
    return "\(files) file\(files == 1 ? "" : "s") checked, \(failing) with findings: \(found)\n"
  }
}
