import ArgumentParser
import Foundation
import NormKit
import Schematron

extension Normcheck {
  /// `normcheck rules`: list packs and their rules.
  struct Rules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "rules",
      abstract: "List the packs and their rules (id, severity, norms cited).")

    @OptionGroup var packs: PackOptions

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
      let (_, loaded) = try packs.load()
      if json {
        FileHandle.standardOutput.write(Data(JSONOutput.string(loaded.flatMap(\.rules)).utf8))
        return
      }
      for pack in loaded {
        print("\(pack.id) — \(pack.title) (\(pack.rules.count) rules)")
        for rule in pack.rules {
          let norms = rule.norms.isEmpty ? "" : "  [\(rule.norms.joined(separator: ", "))]"
          print(
            "  \(rule.id.padding(toLength: 10, withPad: " ", startingAt: 0)) \(rule.severity.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(rule.topic ?? rule.message)\(norms)"
          )
        }
      }
    }
  }

  /// `normcheck explain RULE-ID`: what a rule checks, why, and how to fix a finding.
  struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "explain",
      abstract: "Explain a rule: what it checks and why, the norms and their citations, how to fix, an example.")

    @Argument(help: "The rule id, e.g. UN-001 (case-insensitive).")
    var ruleID: String

    @OptionGroup var packs: PackOptions

    func run() async throws {
      let (environment, loaded) = try packs.load()
      guard
        let (pack, rule) = loaded.lazy.compactMap({ pack in
          pack.rules.first { $0.id.caseInsensitiveCompare(ruleID) == .orderedSame }.map { (pack, $0) }
        }).first
      else {
        let known = loaded.flatMap(\.rules).map(\.id)
        let close = known.filter { $0.lowercased().hasPrefix(String(ruleID.lowercased().prefix(3))) }.prefix(8)
        throw ConfigurationError(
          "no rule '\(ruleID)' in the packs loaded\(close.isEmpty ? "" : "; did you mean \(close.joined(separator: ", "))?")"
        )
      }
      print(Explanation(rule: rule, pack: pack, catalog: environment.catalog).text)
    }
  }

  /// `normcheck norms`: the norm catalog.
  struct Norms: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "norms",
      abstract: "Print the norm catalog: ids, citations, status, paraphrases.")

    @Argument(help: "Only these norm ids (default: all).")
    var ids: [String] = []

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    func run() async throws {
      let environment: NormEnvironment
      do { environment = try NormEnvironment.builtin() } catch let error as NormKitError {
        throw ConfigurationError(error.description)
      }
      var norms = environment.catalog.all
      if !ids.isEmpty {
        let unknown = ids.filter { environment.catalog[$0] == nil }
        if !unknown.isEmpty { throw ConfigurationError("not in the catalog: \(unknown.joined(separator: ", "))") }
        norms = norms.filter { ids.contains($0.id) }
      }
      if json {
        FileHandle.standardOutput.write(Data(JSONOutput.string(norms).utf8))
        return
      }
      for norm in norms {
        print("\(norm.id)  \(norm.title)")
        print("    \(norm.citation) — \(norm.level), \(norm.status)\(norm.url.map { " — \($0)" } ?? "")")
        print("    \(norm.paraphrase)\n")
      }
    }
  }
}
