import Foundation
import Schematron

/// What changed between two cycles of declarations: findings introduced, resolved and
/// persisting, matched by line-independent fingerprints, per state and per norm.
public struct CycleDiff: Sendable {
  /// The findings of one state across the two cycles.
  public struct StateChange: Sendable {
    /// The state code (or the file name when unknown).
    public var state: String
    /// The old input, if the state was in the old cycle.
    public var oldFile: String?
    /// The new input, if the state is in the new cycle.
    public var newFile: String?
    /// In the new cycle only.
    public var introduced: [Finding]
    /// In the old cycle only.
    public var resolved: [Finding]
    /// In both (the new cycle's finding).
    public var persisting: [Finding]
  }

  /// Per state, sorted by state.
  public var states: [StateChange]

  /// Compares two cycles.
  ///
  /// Declarations are paired by state code, or by file name when the state is unknown.
  public init(old: [DocumentReport], new: [DocumentReport]) {
    func key(_ report: DocumentReport) -> String {
      report.state ?? URL(fileURLWithPath: report.input).lastPathComponent
    }
    let oldByState = Dictionary(old.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })
    let newByState = Dictionary(new.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })
    states = Set(oldByState.keys).union(newByState.keys).sorted().map { state in
      let before = oldByState[state]?.findings.filter(\.counts) ?? []
      let after = newByState[state]?.findings.filter(\.counts) ?? []
      let beforePrints = Set(before.map(\.fingerprint))
      let afterPrints = Set(after.map(\.fingerprint))
      return StateChange(
        state: state, oldFile: oldByState[state]?.input, newFile: newByState[state]?.input,
        introduced: after.filter { !beforePrints.contains($0.fingerprint) },
        resolved: before.filter { !afterPrints.contains($0.fingerprint) },
        persisting: after.filter { beforePrints.contains($0.fingerprint) })
    }
  }

  /// Per norm: (introduced, resolved, persisting) counts; findings without a norm under `(none)`.
  public var byNorm: [(norm: String, introduced: Int, resolved: Int, persisting: Int)] {
    var table: [String: (Int, Int, Int)] = [:]
    func add(_ findings: [Finding], _ slot: Int) {
      for finding in findings {
        for norm in finding.norms.isEmpty ? ["(none)"] : finding.norms {
          var entry = table[norm] ?? (0, 0, 0)
          switch slot {
          case 0: entry.0 += 1
          case 1: entry.1 += 1
          default: entry.2 += 1
          }
          table[norm] = entry
        }
      }
    }
    for state in states {
      add(state.introduced, 0)
      add(state.resolved, 1)
      add(state.persisting, 2)
    }
    return table.keys.sorted().map {
      (norm: $0, introduced: table[$0]!.0, resolved: table[$0]!.1, persisting: table[$0]!.2)
    }
  }

  /// Human-readable text.
  public func text(catalog: NormCatalog) -> String {
    var out = ""
    for state in states {
      let files = [state.oldFile, state.newFile].map { $0 ?? "(absent)" }.joined(separator: " → ")
      out +=
        "\(state.state): \(state.introduced.count) introduced, \(state.resolved.count) resolved, \(state.persisting.count) persisting (\(files))\n"
      for finding in state.introduced { out += "  + \(line(finding))\n" }
      for finding in state.resolved { out += "  - \(line(finding))\n" }
      for finding in state.persisting { out += "  = \(line(finding))\n" }
    }
    out += "\nBy norm (introduced / resolved / persisting):\n"
    for entry in byNorm {
      let title = catalog[entry.norm].map { " — \($0.title)" } ?? ""
      out += "  \(entry.norm)\(title): \(entry.introduced) / \(entry.resolved) / \(entry.persisting)\n"
    }
    return out
  }

  private func line(_ finding: Finding) -> String {
    "\(finding.file):\(finding.line): \(finding.severity.rawValue): [\(finding.ruleID)] \(finding.message)"
  }

  /// JSON: per state the three lists (rule id, severity, message, norms, file, line, fingerprint).
  public var json: String {
    struct Item: Encodable {
      var ruleId: String
      var severity: String
      var message: String
      var norms: [String]
      var file: String
      var line: Int
      var fingerprint: String
    }
    struct State: Encodable {
      var state: String
      var oldFile: String?
      var newFile: String?
      var introduced: [Item]
      var resolved: [Item]
      var persisting: [Item]
    }
    struct Norm: Encodable {
      var norm: String
      var introduced: Int
      var resolved: Int
      var persisting: Int
    }
    struct Output: Encodable {
      var schemaVersion = "1.0"
      var states: [State]
      var norms: [Norm]
    }
    func items(_ findings: [Finding]) -> [Item] {
      findings.map {
        Item(
          ruleId: $0.ruleID, severity: $0.severity.rawValue, message: $0.message, norms: $0.norms, file: $0.file,
          line: $0.line, fingerprint: $0.fingerprint)
      }
    }
    let output = Output(
      states: states.map {
        State(
          state: $0.state, oldFile: $0.oldFile, newFile: $0.newFile, introduced: items($0.introduced),
          resolved: items($0.resolved), persisting: items($0.persisting))
      },
      norms: byNorm.map {
        Norm(norm: $0.norm, introduced: $0.introduced, resolved: $0.resolved, persisting: $0.persisting)
      })
    return JSONOutput.string(output)
  }

  /// SARIF for the new cycle, every result with its `baselineState` (`new`, `unchanged`), and
  /// the resolved findings as `absent` results.
  public func sarif(_ run: RunSummary) -> String {
    var reports: [DocumentReport] = []
    var states: [String: String] = [:]
    for state in self.states {
      for finding in state.introduced { states[finding.fingerprint + finding.file] = "new" }
      for finding in state.persisting { states[finding.fingerprint + finding.file] = "unchanged" }
      for finding in state.resolved { states[finding.fingerprint + finding.file] = "absent" }
      let findings = state.introduced + state.persisting + state.resolved
      reports.append(
        DocumentReport(
          input: state.newFile ?? state.oldFile ?? state.state, state: state.state, cycle: nil, findings: findings,
          rulesApplied: [], schematronResults: [:], parsed: true))
    }
    var summary = run
    summary.reports = reports
    return SARIFReporter(baselineStates: states).render(summary)
  }
}
