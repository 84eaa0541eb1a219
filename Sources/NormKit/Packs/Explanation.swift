import Foundation
import Schematron

/// The text `normcheck explain` prints for a rule.
public struct Explanation: Sendable {
  /// The rule.
  public var rule: RuleInfo
  /// Its pack.
  public var pack: RulePack
  /// The catalog.
  public var catalog: NormCatalog

  /// Creates an explanation.
  public init(rule: RuleInfo, pack: RulePack, catalog: NormCatalog) {
    self.rule = rule
    self.pack = pack
    self.catalog = catalog
  }

  /// The explanation: what, why, the norms, what triggers it, how to fix, a passing example.
  public var text: String {
    var out = "\(rule.id) (\(rule.severity.rawValue)) — pack \(pack.id): \(pack.title)\n"
    if let topic = rule.topic { out += "Topic: \(topic)\n" }
    out += "\nWhat it checks\n  \(rule.message)\n"
    out += "\nWhen it fires\n  "
    out +=
      rule.kind == .assert
      ? "On each node matching '\(rule.context)' where this does not hold: \(rule.test)\n"
      : "On each node matching '\(rule.context)' where this holds: \(rule.test)\n"
    if !rule.norms.isEmpty {
      out += "\nWhy: the norms\n"
      for id in rule.norms {
        if let norm = catalog[id] {
          out += "  \(id) — \(norm.title)\n    \(norm.citation)\(norm.url.map { ", \($0)" } ?? "")\n"
          out += "    \(norm.paraphrase)\n"
          if norm.status != "verified" {
            out += "    (The catalog marks this source \(norm.status): check it against the official text.)\n"
          }
        } else {
          out += "  \(id) (not in the catalog)\n"
        }
      }
    }
    if let fix = rule.fix { out += "\nHow to fix\n  \(fix)\n" }
    if let see = rule.see { out += "\nSee \(see)\n" }
    if let example = passingExample {
      out += "\nA declaration that passes (\(example.name))\n"
      out +=
        example.text.split(separator: "\n", omittingEmptySubsequences: false).prefix(40).map { "  " + $0 }
        .joined(separator: "\n") + "\n"
    }
    out += "\nDefined at \(rule.file):\(rule.line)\n"
    return out
  }

  private var passingExample: (name: String, text: String)? {
    let directory = URL(fileURLWithPath: pack.path).deletingLastPathComponent()
      .appendingPathComponent("examples/\(rule.id)")
    guard let files = try? FileManager.default.contentsOfDirectory(atPath: directory.path),
      let first = files.sorted().first(where: { $0.hasPrefix("pass") && $0.hasSuffix(".xml") }),
      let text = try? String(contentsOf: directory.appendingPathComponent(first), encoding: .utf8)
    else { return nil }
    return (first, text)
  }
}
