import Foundation
import Schematron
import TestSupport
import Testing
import XMLCore

/// The element index, the lookup indexes and the parts computed once per document must never
/// change a result: every built-in pack gives the same findings with them and with plain libxml2
/// evaluation, on every sample and on every example of every pack (passing and failing ones).
@Suite("Built-in packs: indexed and plain evaluation agree")
struct IndexedEvaluationTests {
  static func documents(for pack: String) -> [String] {
    let fm = FileManager.default
    var paths: [String] = []
    let samples = Fixtures.root.appendingPathComponent("Samples")
    for name in (try? fm.contentsOfDirectory(atPath: samples.path)) ?? [] where name.hasSuffix(".xml") {
      paths.append(samples.appendingPathComponent(name).path)
    }
    let examples = rulesDirectory.appendingPathComponent("packs/\(pack)/examples")
    if let walker = fm.enumerator(atPath: examples.path) {
      for case let relative as String in walker where relative.hasSuffix(".xml") {
        paths.append(examples.appendingPathComponent(relative).path)
      }
    }
    return paths.sorted()
  }

  static func findings(_ schema: CompiledSchema, _ document: Document) -> [String] {
    let result = Evaluator(schema).validate(document, options: .init(parameters: ["as-of": .string("2026-06-01")]))
    return result.findings.map { "\($0.assertionID ?? "-") \($0.location.path) \($0.text)" }
      + result.failures.map { "failure \($0.expression) \($0.message)" }
  }

  @Test(arguments: RepositoryRules.packNames)
  func sameFindings(pack: String) throws {
    let rules = RepositoryRules.shared
    let path = rulesDirectory.appendingPathComponent("packs/\(pack)/pack.sch").path
    let loader = SchemaLoader.Options(root: rulesDirectory)
    func compile(_ optimize: Bool) throws -> CompiledSchema {
      try CompiledSchema.load(
        contentsOfFile: path,
        options: .init(
          parameters: ["as-of": .string("")], vocabularies: rules.categories.engineVocabularies,
          optimizeLookups: optimize, hoistInvariants: optimize),
        loaderOptions: loader)
    }
    let indexed = try compile(true)
    let plain = try compile(false)
    let documents = Self.documents(for: pack)
    #expect(documents.count > 10)
    var fired = 0
    for path in documents {
      guard let document = try? Document(contentsOfFile: path) else { continue }  // the malformed sample
      let expected = Self.findings(plain, document)
      #expect(Self.findings(indexed, document) == expected, "\(path)")
      fired += expected.count
    }
    #expect(fired > 0)
  }
}
