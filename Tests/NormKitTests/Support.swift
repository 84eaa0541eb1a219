import Foundation
import NormKit
import Schematron
import TestSupport
import XMLCore

/// The repository's `Rules/` directory (the source of truth; the binary embeds a copy).
let rulesDirectory = Fixtures.root.appendingPathComponent("Rules")

/// Loaded once: catalog, vocabulary, XSD of the repository's Rules/.
struct RepositoryRules: Sendable {
  let catalog: NormCatalog
  let categories: CategoryVocabulary
  let schema: XMLSchema

  static let shared: RepositoryRules = {
    do {
      let catalog = try NormCatalog(
        document: Document(contentsOfFile: rulesDirectory.appendingPathComponent("catalog/norms.xml").path))
      let categories = try CategoryVocabulary(
        document: Document(
          contentsOfFile: rulesDirectory.appendingPathComponent("vocabularies/facility-categories.xml").path))
      let schema = try XMLSchema(contentsOfFile: rulesDirectory.appendingPathComponent("schema/declaration.xsd").path)
      return RepositoryRules(catalog: catalog, categories: categories, schema: schema)
    } catch {
      fatalError("Rules/ cannot be loaded: \(error)")
    }
  }()

  /// The pack directories under Rules/packs.
  static var packNames: [String] {
    let packs = rulesDirectory.appendingPathComponent("packs")
    return ((try? FileManager.default.contentsOfDirectory(atPath: packs.path)) ?? []).filter {
      FileManager.default.fileExists(atPath: packs.appendingPathComponent("\($0)/pack.sch").path)
    }.sorted()
  }

  func pack(_ name: String) throws -> RulePack {
    try RulePack.load(
      path: rulesDirectory.appendingPathComponent("packs/\(name)").path, builtin: true,
      vocabularies: categories.engineVocabularies, root: rulesDirectory)
  }
}
