import Foundation
import Schematron
import XMLCore

/// JUnit XML: one `testsuite` per input, one `testcase` per rule applied (plus the input,
/// well-formedness and schema checks); failures carry the findings.
public struct JUnitReporter: Reporter {
  /// `junit`.
  public static let identifier = "junit"
  /// One line.
  public static let summary = "JUnit XML: a testsuite per input, a testcase per rule, failures with findings"

  /// Creates the reporter.
  public init() {}

  /// Renders the run.
  public func render(_ run: RunSummary) -> String {
    var suites = ""
    var totalTests = 0
    var totalFailures = 0
    var totalErrors = 0
    for report in run.reports {
      var cases: [(classname: String, name: String, findings: [Finding])] = []
      let byRule = Dictionary(grouping: report.findings, by: \.ruleID)
      cases.append(("normcheck.input", "NC-INPUT", byRule["NC-INPUT"] ?? []))
      cases.append(("normcheck.xml", "NC-XML", byRule["NC-XML"] ?? []))
      cases.append(("normcheck.xsd", "NC-XSD", byRule["NC-XSD"] ?? []))
      var seen = Set<String>()
      for rule in report.rulesApplied where seen.insert(rule.id).inserted {
        cases.append((rule.pack, rule.id, byRule[rule.id] ?? []))
      }
      for (id, findings) in byRule.sorted(by: { $0.key < $1.key })
      where !seen.contains(id) && !["NC-INPUT", "NC-XML", "NC-XSD"].contains(id) {
        cases.append((findings.first?.pack ?? "normcheck", id, findings))
      }
      var body = ""
      var failures = 0
      var errors = 0
      var skipped = 0
      for testCase in cases {
        body += "    <testcase classname=\"\(escape(testCase.classname))\" name=\"\(escape(testCase.name))\""
        let active = testCase.findings.filter { !$0.isWaived }
        if testCase.findings.isEmpty {
          body += "/>\n"
          continue
        }
        body += ">\n"
        if active.isEmpty {
          skipped += 1
          body += "      <skipped message=\"waived\"/>\n"
        } else {
          let isError = active.contains { $0.origin != .rule }
          if isError { errors += 1 } else { failures += 1 }
          let element = isError ? "error" : "failure"
          let worst = active.map(\.severity).max() ?? .error
          let first = active[0]
          body +=
            "      <\(element) message=\"\(escape(active.count == 1 ? first.message : "\(active.count) findings; first: \(first.message)"))\" type=\"\(worst.rawValue)\">"
          body += escape(active.map { describe($0, run) }.joined(separator: "\n"))
          body += "</\(element)>\n"
        }
        let waived = testCase.findings.filter(\.isWaived)
        if !waived.isEmpty {
          body +=
            "      <system-out>\(escape(waived.map { "waived: " + describe($0, run) }.joined(separator: "\n")))</system-out>\n"
        }
        body += "    </testcase>\n"
      }
      totalTests += cases.count
      totalFailures += failures
      totalErrors += errors
      var name = report.input
      if let state = report.state { name += " [\(state)\(report.cycle.map { " \($0)" } ?? "")]" }
      suites +=
        "  <testsuite name=\"\(escape(name))\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\">\n"
      suites += body
      suites += "  </testsuite>\n"
    }
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      + "<testsuites name=\"normcheck\" tests=\"\(totalTests)\" failures=\"\(totalFailures)\" errors=\"\(totalErrors)\">\n"
      + suites + "</testsuites>\n"
  }

  private func describe(_ finding: Finding, _ run: RunSummary) -> String {
    var text =
      "\(finding.file):\(finding.line):\(finding.column): \(finding.severity.rawValue): [\(finding.ruleID)] \(finding.message)"
    if !finding.norms.isEmpty { text += " (" + finding.norms.map(run.citation).joined(separator: "; ") + ")" }
    if let xpath = finding.xpath { text += "\n  at \(xpath)" }
    if let fix = finding.fix { text += "\n  fix: \(fix)" }
    return text
  }

  private func escape(_ text: String) -> String { XMLEscaping.escape(text) }
}
