import Foundation
import Schematron

/// GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` annotation per
/// unwaived finding, with file, line, column and the rule id as title.
public struct GitHubReporter: Reporter {
  /// `github`.
  public static let identifier = "github"
  /// One line.
  public static let summary = "GitHub Actions annotations (::error file=…,line=…::message)"

  /// Creates the reporter.
  public init() {}

  /// Renders the run.
  public func render(_ run: RunSummary) -> String {
    var out = ""
    for finding in run.reports.flatMap(\.findings) where !finding.isWaived {
      let command =
        switch finding.severity {
        case .fatal, .error: "error"
        case .warning: "warning"
        case .info: "notice"
        }
      var properties = ["file=\(property(finding.file))"]
      if finding.line > 0 { properties.append("line=\(finding.line)") }
      if finding.column > 0 { properties.append("col=\(finding.column)") }
      properties.append("title=\(property(finding.ruleID))")
      var message = finding.message
      if !finding.norms.isEmpty { message += " (" + finding.norms.map(run.citation).joined(separator: "; ") + ")" }
      if let fix = finding.fix { message += "\nFix: \(fix)" }
      out += "::\(command) \(properties.joined(separator: ","))::\(data(message))\n"
    }
    return out
  }

  /// Escaping of a command's message (`%`, CR, LF).
  private func data(_ text: String) -> String {
    text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
      .replacingOccurrences(of: "\n", with: "%0A")
  }

  /// Escaping of a command's property values (also `:` and `,`).
  private func property(_ text: String) -> String {
    data(text).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
  }
}
