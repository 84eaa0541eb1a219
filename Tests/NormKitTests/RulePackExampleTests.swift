import Foundation
import NormKit
import Schematron
import TestSupport
import Testing

/// Every rule of every built-in pack is run on its pass and fail examples (Rules/packs/README.md).
@Suite("Built-in rule packs: examples")
struct RulePackExampleTests {
  @Test(arguments: RepositoryRules.packNames)
  func packExamples(pack name: String) throws {
    let rules = RepositoryRules.shared
    let pack = try rules.pack(name)
    #expect(!pack.rules.isEmpty, "pack \(name) defines no rule with an id")
    let report = PackExampleRunner(schema: rules.schema, catalog: rules.catalog).run(pack)
    #expect(report.examplesRun >= 2 * pack.rules.count)
    #expect(report.problems.isEmpty, "\(report.problems.joined(separator: "\n"))")
  }

  /// The runner itself must catch a rule without examples, a wrong expected line, a pass
  /// example that fires, and a citation the catalog lacks.
  @Test func runnerCatchesMistakes() throws {
    let rules = RepositoryRules.shared
    let directory = Fixtures.root.appendingPathComponent("Tests/NormKitTests/Fixtures/broken-pack")
    let pack = try RulePack.load(path: directory.path, vocabularies: rules.categories.engineVocabularies)
    let report = PackExampleRunner(schema: rules.schema, catalog: rules.catalog).run(pack)
    let text = report.problems.joined(separator: "\n")
    #expect(text.contains("BRK-002 of pack broken-pack needs at least one pass- and one fail- example"))
    #expect(text.contains("expected BRK-001 here, it did not fire"))
    #expect(text.contains("BRK-001 fired here, not expected"))
    #expect(text.contains("BRK-001 fired on a pass example"))
    #expect(text.contains("cites 'NOT-A-NORM', which is not in the catalog"))
    #expect(text.contains("rule BRK-002 has no fix"))
  }
}
