import Foundation
import XMLCore

/// One norm, measure or article of the catalog (`Rules/catalog/norms.xml`).
public struct Norm: Hashable, Sendable, Codable {
  /// The stable id, e.g.
  ///
  /// `GGE2015-13f`.
  public var id: String
  /// A short title in our own words.
  public var title: String
  /// The source's id in the catalog, e.g.
  ///
  /// `GGE2015`.
  public var source: String
  /// The normative level (`binding`, `un-norm`, `cbm`, `proposal`, `technical-standard`, `derived`).
  public var level: String
  /// The document symbol, e.g.
  ///
  /// `A/70/174`.
  public var symbol: String?
  /// Where in the document: paragraph, article or section, as the reference gives it.
  public var location: String?
  /// The year of the source.
  public var year: String?
  /// A public URL, where the reference gives one.
  public var url: String?
  /// `verified`, `recalled` or `unverified`, as the research reference says.
  public var status: String
  /// What the norm asks, in our own words.
  public var paraphrase: String

  /// `A/70/174 para. 13(f) (2015)`, with an unverified marker where it applies.
  public var citation: String {
    var parts: [String] = []
    if let symbol { parts.append(symbol) } else { parts.append(source) }
    if let location { parts.append(location) }
    var text = parts.joined(separator: " ")
    if let year, !(symbol ?? "").contains(year) { text += " (\(year))" }
    if status != "verified" { text += " [\(status)]" }
    return text
  }
}

/// The norm catalog: every norm a rule may cite.
public struct NormCatalog: Sendable {
  /// The norms by id.
  public private(set) var norms: [String: Norm] = [:]
  /// Source titles by source id.
  public private(set) var sourceTitles: [String: String] = [:]

  /// The namespace of the catalog format.
  public static let namespace = "urn:normcheck:catalog:1"

  /// Reads a catalog document.
  public init(document: Document) throws {
    let context = XPathContext(document: document, namespaces: ["c": Self.namespace])
    var sources: [String: (symbol: String?, year: String?, url: String?)] = [:]
    for source in try context.evaluate("/c:catalog/c:sources/c:source").nodes {
      guard let id = source.attribute("id") else { continue }
      sourceTitles[id] = try context.evaluate("string(c:title)", at: source).stringValue
      sources[id] = (
        try Self.optional(context, "c:symbol", at: source), try Self.optional(context, "c:year", at: source),
        try Self.optional(context, "c:url", at: source)
      )
    }
    for node in try context.evaluate("//c:norm").nodes {
      guard let id = node.attribute("id") else { continue }
      let source = node.attribute("source") ?? ""
      let fallback = sources[source]
      norms[id] = Norm(
        id: id, title: try context.evaluate("normalize-space(c:title)", at: node).stringValue, source: source,
        level: node.attribute("level") ?? "",
        symbol: try Self.optional(context, "c:symbol", at: node) ?? fallback?.symbol,
        location: try Self.optional(context, "c:location", at: node),
        year: try Self.optional(context, "c:year", at: node) ?? fallback?.year,
        url: try Self.optional(context, "c:url", at: node) ?? fallback?.url,
        status: try context.evaluate("string(c:verification/@status)", at: node).stringValue,
        paraphrase: try context.evaluate("normalize-space(c:paraphrase)", at: node).stringValue)
    }
  }

  /// An empty catalog.
  public init() {}

  private static func optional(_ context: XPathContext, _ path: String, at node: Node) throws -> String? {
    let value = try context.evaluate("normalize-space(\(path))", at: node).stringValue
    return value.isEmpty ? nil : value
  }

  /// The norm with `id`, if the catalog has it.
  public subscript(id: String) -> Norm? { norms[id] }

  /// All norms sorted by id.
  public var all: [Norm] { norms.values.sorted { $0.id < $1.id } }
}
