import Foundation
import Schematron
import XMLCore

/// The built-in material (XSD, catalog, vocabularies, packs) and the packs chosen for a run.
public struct NormEnvironment: Sendable {
  /// The rules directory in use.
  public let rulesDirectory: URL
  /// The norm catalog.
  public let catalog: NormCatalog
  /// The category vocabulary.
  public let categories: CategoryVocabulary
  /// The declaration XSD, compiled on first use (a run with `--no-xsd` never compiles it).
  public var declarationSchema: XMLSchema {
    get throws { try schema.value() }
  }
  private let schema: LazySchema

  /// Loads the built-in material.
  public static func builtin() throws -> NormEnvironment {
    let directory = try BuiltinRules.directory()
    func document(_ relative: String) throws -> Document {
      do {
        return try Document(contentsOfFile: directory.appendingPathComponent(relative).path)
      } catch {
        throw NormKitError.builtinRules("cannot read built-in \(relative): \(error)")
      }
    }
    let catalog = try NormCatalog(document: document("catalog/norms.xml"))
    let categories = try CategoryVocabulary(document: document("vocabularies/facility-categories.xml"))
    return NormEnvironment(
      rulesDirectory: directory, catalog: catalog, categories: categories,
      schema: LazySchema(path: directory.appendingPathComponent("schema/declaration.xsd").path))
  }

  /// The schema of waivers files.
  public func waiversSchema() throws -> XMLSchema {
    do {
      return try XMLSchema(contentsOfFile: rulesDirectory.appendingPathComponent("waivers/waivers.xsd").path)
    } catch {
      throw NormKitError.builtinRules("cannot load the waivers schema: \(error)")
    }
  }

  /// The names of the built-in packs (directories of `packs/` holding a `pack.sch`).
  public var builtinPackNames: [String] {
    let packs = rulesDirectory.appendingPathComponent("packs")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: packs.path)) ?? []
    return names.filter {
      FileManager.default.fileExists(atPath: packs.appendingPathComponent("\($0)/pack.sch").path)
    }.sorted()
  }

  /// Loads packs: built-in names, `.sch` files or directories; none given means all built-in.
  public func packs(_ selection: [String], phase: String? = nil) throws -> [RulePack] {
    let vocabularies = categories.engineVocabularies
    let packsRoot = rulesDirectory.appendingPathComponent("packs")
    let names = selection.isEmpty ? builtinPackNames : selection
    return try names.map { name in
      if builtinPackNames.contains(name) {
        do {
          return try RulePack.load(
            path: packsRoot.appendingPathComponent(name).path, builtin: true, phase: phase,
            vocabularies: vocabularies, root: rulesDirectory)
        } catch NormKitError.brokenPack(_, let problems) {
          // Named as in the source tree, not by the directory the built-in material was
          // unpacked to (only a phase the pack lacks can break a built-in pack).
          throw NormKitError.brokenPack(
            "\(name) (built-in)", problems.replacingOccurrences(of: rulesDirectory.path + "/", with: "Rules/"))
        }
      }
      guard FileManager.default.fileExists(atPath: name) else {
        throw NormKitError.unknownPack(name, known: builtinPackNames)
      }
      return try RulePack.load(path: name, phase: phase, vocabularies: vocabularies)
    }
  }
}

/// The declaration XSD, compiled once on first use and shared by every copy of the environment.
private final class LazySchema: @unchecked Sendable {
  private let path: String
  private let lock = NSLock()
  private var loaded: Result<XMLSchema, NormKitError>?

  init(path: String) { self.path = path }

  func value() throws -> XMLSchema {
    lock.lock()
    defer { lock.unlock() }
    if let loaded { return try loaded.get() }
    let result: Result<XMLSchema, NormKitError>
    do {
      result = .success(try XMLSchema(contentsOfFile: path))
    } catch {
      result = .failure(.builtinRules("cannot load the declaration schema: \(error)"))
    }
    loaded = result
    return try result.get()
  }
}
