import Foundation
import Schematron
import XMLCore

/// What running one pack's examples found.
public struct PackTestReport: Sendable {
  /// The pack.
  public var pack: String
  /// Examples run.
  public var examplesRun: Int
  /// Everything wrong, one sentence each, naming the file (empty: the pack passes).
  public var problems: [String]

  /// Whether every example behaved and every rule is covered.
  public var passed: Bool { problems.isEmpty }
}

/// Runs a pack's examples: `examples/<RULE-ID>/pass-*.xml` must not trigger the rule,
/// `fail-*.xml` must trigger it exactly as `fail-*.expected.json` lists (rule id and line).
///
/// Also checks what makes a rule reportable: at least one pass and one fail example per rule,
/// examples valid against the declaration schema, a citation of a norm the catalog knows,
/// and a fix hint.
public struct PackExampleRunner: Sendable {
  /// The declaration XSD examples must satisfy (`nil`: not checked).
  public var schema: XMLSchema?
  /// The catalog citations must resolve in (`nil`: not checked).
  public var catalog: NormCatalog?

  /// Creates a runner.
  public init(schema: XMLSchema?, catalog: NormCatalog?) {
    self.schema = schema
    self.catalog = catalog
  }

  struct Expected: Decodable, Hashable {
    var rule: String
    var line: Int
  }

  /// Runs the examples in `examples` (default: the `examples` directory beside the pack).
  public func run(_ pack: RulePack, examples: URL? = nil) -> PackTestReport {
    let directory =
      examples ?? URL(fileURLWithPath: pack.path).deletingLastPathComponent().appendingPathComponent("examples")
    var report = PackTestReport(pack: pack.id, examplesRun: 0, problems: [])
    let fm = FileManager.default
    let ruleIDs = Set(pack.rules.map(\.id))
    for rule in pack.rules {
      if rule.norms.isEmpty {
        report.problems.append(
          "\(rule.file):\(rule.line): rule \(rule.id) cites no norm (properties with role 'citation')")
      }
      if let catalog {
        for norm in rule.norms where catalog[norm] == nil {
          report.problems.append(
            "\(rule.file):\(rule.line): rule \(rule.id) cites '\(norm)', which is not in the catalog")
        }
      }
      if rule.fix == nil {
        report.problems.append("\(rule.file):\(rule.line): rule \(rule.id) has no fix (a diagnostic with role 'fix')")
      }
    }
    let present = ((try? fm.contentsOfDirectory(atPath: directory.path)) ?? []).filter { !$0.hasPrefix(".") }
    for name in present where !ruleIDs.contains(name) {
      report.problems.append("\(directory.path)/\(name): examples for a rule the pack does not define")
    }
    let checker = Checker(CheckConfiguration(packs: [pack], schema: nil))
    for rule in pack.rules {
      let ruleDirectory = directory.appendingPathComponent(rule.id)
      let files = ((try? fm.contentsOfDirectory(atPath: ruleDirectory.path)) ?? []).sorted()
      let passes = files.filter { $0.hasPrefix("pass") && $0.hasSuffix(".xml") }
      let fails = files.filter { $0.hasPrefix("fail") && $0.hasSuffix(".xml") }
      if passes.isEmpty || fails.isEmpty {
        report.problems.append(
          "rule \(rule.id) of pack \(pack.id) needs at least one pass- and one fail- example in \(ruleDirectory.path)")
      }
      for file in passes + fails {
        let path = ruleDirectory.appendingPathComponent(file).path
        report.examplesRun += 1
        let result = checker.check(.file(path))
        if let schema, result.parsed, let document = try? Document(contentsOfFile: path) {
          for error in schema.validate(document) {
            report.problems.append(
              "\(path):\(error.location.line): example is not a valid declaration: \(error.message)")
          }
        }
        for finding in result.findings where finding.origin != .rule {
          report.problems.append("\(path):\(finding.line): \(finding.ruleID): \(finding.message)")
        }
        let actual = result.findings.filter { $0.ruleID == rule.id }.map { Expected(rule: $0.ruleID, line: $0.line) }
        if file.hasPrefix("pass") {
          for finding in actual {
            report.problems.append("\(path):\(finding.line): \(rule.id) fired on a pass example")
          }
          continue
        }
        let expectedPath = ruleDirectory.appendingPathComponent(String(file.dropLast(4)) + ".expected.json")
        guard let data = fm.contents(atPath: expectedPath.path),
          let expected = try? JSONDecoder().decode([Expected].self, from: data)
        else {
          report.problems.append("\(expectedPath.path): missing or not a JSON list of {rule, line}")
          continue
        }
        if expected.isEmpty || expected.contains(where: { $0.rule != rule.id }) {
          report.problems.append("\(expectedPath.path): must list at least one finding, all of rule \(rule.id)")
        }
        let missing = Self.subtract(expected, actual)
        let extra = Self.subtract(actual, expected)
        for item in missing {
          report.problems.append("\(path):\(item.line): expected \(item.rule) here, it did not fire")
        }
        for item in extra {
          report.problems.append("\(path):\(item.line): \(item.rule) fired here, not expected")
        }
      }
    }
    return report
  }

  /// Multiset difference.
  static func subtract(_ a: [Expected], _ b: [Expected]) -> [Expected] {
    var remaining = b
    var result: [Expected] = []
    for item in a {
      if let index = remaining.firstIndex(of: item) { remaining.remove(at: index) } else { result.append(item) }
    }
    return result
  }
}
