import Foundation
import Schematron

/// The time one expression of a pack took on one input.
public struct PackProfileEntry: Sendable {
  /// The pack's id.
  public var pack: String
  /// The expression and its time.
  public var entry: ProfileEntry

  /// Creates an entry.
  public init(pack: String, entry: ProfileEntry) {
    self.pack = pack
    self.entry = entry
  }
}

/// The slowest expressions of a run, summed over its inputs: what `check --profile` prints.
public enum ProfileReport {
  /// A table of the `top` expressions that took the most time over all `reports`.
  public static func render(_ reports: [DocumentReport], top: Int = 25) -> String {
    struct Key: Hashable {
      var pack: String
      var key: ProfileEntry.Key
    }
    var totals: [Key: (evaluations: Int, nanoseconds: UInt64)] = [:]
    for report in reports {
      for item in report.profile {
        let key = Key(pack: item.pack, key: item.entry.key)
        let sum = totals[key, default: (0, 0)]
        totals[key] = (sum.evaluations + item.entry.evaluations, sum.nanoseconds &+ item.entry.nanoseconds)
      }
    }
    let all = totals.sorted {
      $0.value.nanoseconds != $1.value.nanoseconds
        ? $0.value.nanoseconds > $1.value.nanoseconds : "\($0.key.key.location)" < "\($1.key.key.location)"
    }
    let grand = all.reduce(UInt64(0)) { $0 &+ $1.value.nanoseconds }
    var lines = [
      "Profile: \(all.count) expressions, \(milliseconds(grand)) ms of evaluation in all (\(reports.count) inputs); the \(min(top, all.count)) slowest:",
      String(format: "%10@ %6@ %10@ %10@  %@", "ms", "share", "evals", "µs/eval", "what (pack, kind, where)"),
    ]
    for (key, value) in all.prefix(top) {
      let share = grand == 0 ? 0 : Double(value.nanoseconds) * 100 / Double(grand)
      let perEvaluation = value.evaluations == 0 ? 0 : Double(value.nanoseconds) / Double(value.evaluations) / 1000
      let file = URL(fileURLWithPath: key.key.location.file).lastPathComponent
      var expression = key.key.expression.split(whereSeparator: \.isWhitespace).joined(separator: " ")
      if expression.count > 100 { expression = String(expression.prefix(97)) + "..." }
      lines.append(
        String(
          format: "%10@ %5.1f%% %10d %10.1f  %@ %@ %@ (%@:%d%@)", milliseconds(value.nanoseconds), share,
          value.evaluations, perEvaluation, key.pack, key.key.kind.rawValue, key.key.label, file,
          key.key.location.line, key.key.patternID.map { ", pattern \($0)" } ?? ""))
      lines.append(String(repeating: " ", count: 41) + expression)
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func milliseconds(_ nanoseconds: UInt64) -> String {
    String(format: "%.1f", Double(nanoseconds) / 1_000_000)
  }
}
