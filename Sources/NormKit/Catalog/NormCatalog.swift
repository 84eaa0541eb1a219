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
    let reader = Reader(XPathContext(document: document, namespaces: ["c": Self.namespace]))
    var sources: [String: (symbol: String?, year: String?, url: String?)] = [:]
    for source in try reader.value("/c:catalog/c:sources/c:source", at: document.documentNode).nodes {
      guard let id = source.attribute("id") else { continue }
      sourceTitles[id] = try reader.value("string(c:title)", at: source).stringValue
      sources[id] = (
        try reader.optional("c:symbol", at: source), try reader.optional("c:year", at: source),
        try reader.optional("c:url", at: source)
      )
    }
    for node in try reader.value("//c:norm", at: document.documentNode).nodes {
      guard let id = node.attribute("id") else { continue }
      let source = node.attribute("source") ?? ""
      let fallback = sources[source]
      norms[id] = Norm(
        id: id, title: try reader.value("normalize-space(c:title)", at: node).stringValue, source: source,
        level: node.attribute("level") ?? "",
        symbol: try reader.optional("c:symbol", at: node) ?? fallback?.symbol,
        location: try reader.optional("c:location", at: node),
        year: try reader.optional("c:year", at: node) ?? fallback?.year,
        url: try reader.optional("c:url", at: node) ?? fallback?.url,
        status: try reader.value("string(c:verification/@status)", at: node).stringValue,
        paraphrase: try reader.value("normalize-space(c:paraphrase)", at: node).stringValue)
    }
  }

  /// An empty catalog.
  public init() {}

  /// Evaluates the catalog's few expressions, each compiled once (not once per norm).
  private final class Reader {
    let context: XPathContext
    var compiled: [String: XPathExpression] = [:]

    init(_ context: XPathContext) { self.context = context }

    func value(_ source: String, at node: Node) throws -> XPathValue {
      if let expression = compiled[source] { return try context.evaluate(expression, at: node) }
      let expression = try XPathExpression(source)
      compiled[source] = expression
      return try context.evaluate(expression, at: node)
    }

    func optional(_ path: String, at node: Node) throws -> String? {
      let value = try value("normalize-space(\(path))", at: node).stringValue
      return value.isEmpty ? nil : value
    }
  }

  /// The norm with `id`, if the catalog has it.
  public subscript(id: String) -> Norm? { norms[id] }

  /// All norms sorted by id.
  public var all: [Norm] { norms.values.sorted { $0.id < $1.id } }
}
