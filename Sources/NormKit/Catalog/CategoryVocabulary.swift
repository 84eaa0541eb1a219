import Foundation
import Schematron
import XMLCore

/// A protected-facility category of `Rules/vocabularies/facility-categories.xml`.
public struct FacilityCategory: Hashable, Sendable, Codable {
  /// The stable id, e.g.
  ///
  /// `dam`.
  public var id: String
  /// The label.
  public var label: String
  /// The parent category, if any (an exclusion of the parent covers this one).
  public var parent: String?
  /// The protection regimes, e.g.
  ///
  /// `ihl-special`, `un-norm`.
  public var regimes: [String]
  /// Norm ids of the sources.
  public var sources: [String]
}

/// The category vocabulary, and the vocabularies rule packs can query.
public struct CategoryVocabulary: Sendable {
  /// The namespace of the vocabulary format.
  public static let namespace = "urn:normcheck:vocabulary:1"
  /// The vocabulary name of all categories, for `nc:in-vocabulary(…, 'facility-categories')`.
  public static let allCategories = "facility-categories"

  /// The categories by id.
  public private(set) var categories: [String: FacilityCategory] = [:]

  /// Reads the vocabulary document.
  public init(document: Document) throws {
    let context = XPathContext(document: document, namespaces: ["v": Self.namespace])
    for node in try context.evaluate("//v:category").nodes {
      guard let id = node.attribute("id") else { continue }
      categories[id] = FacilityCategory(
        id: id, label: try context.evaluate("normalize-space(v:label)", at: node).stringValue,
        parent: node.attribute("parent"),
        regimes: (node.attribute("regimes") ?? "").split(separator: " ").map(String.init),
        sources: try context.evaluate("v:source/@ref", at: node).nodes.map(\.stringValue))
    }
  }

  /// An empty vocabulary.
  public init() {}

  /// The vocabularies for the engine: `facility-categories` (all, with the hierarchy) and one
  /// `regime:<id>` per regime holding the categories that carry it and their descendants.
  public var engineVocabularies: [String: Vocabulary] {
    let parents = categories.mapValues { $0.parent }
    var result = [Self.allCategories: Vocabulary(parents: parents)]
    let regimes = Set(categories.values.flatMap(\.regimes))
    let all = Vocabulary(parents: parents)
    for regime in regimes {
      let carriers = categories.values.filter { $0.regimes.contains(regime) }.map(\.id)
      var members: [String: String?] = [:]
      for category in categories.keys where carriers.contains(where: { all.isWithin(category, $0) }) {
        members[category] = parents[category] ?? nil
      }
      result["regime:\(regime)"] = Vocabulary(parents: members)
    }
    return result
  }
}
