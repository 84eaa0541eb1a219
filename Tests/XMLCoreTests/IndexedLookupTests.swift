import Foundation
import Testing
import XMLCore

/// Lookups answered from attribute indexes inside libxml2's evaluation must give exactly what
/// the Swift function of the same name gives, and leave every other call to it.
@Suite("Indexed lookups")
struct IndexedLookupTests {
  static let xml = """
    <r xmlns:p="urn:p">
      <a id="x"/><a id="y" p:id="px"/><b id="x"/><a id="dup"/><c><a id="dup"/></c>
      <a id="&#x20;spaced "/><a id="5"/><a/><a id="y"/><p:a id="x"/>
    </r>
    """

  /// Two contexts on one document: `key(name, value)` as a Swift function over `//a/@id`,
  /// and the same with the indexed lookup registered on top.
  final class Calls: @unchecked Sendable { var count = 0 }

  static func contexts(
    calls: Calls = Calls()
  ) throws -> (plain: XPathContext, indexed: XPathContext, document: Document) {
    let document = try Document(string: xml)
    let path = ElementPath(absolute: false, steps: [ElementPath.Test(namespace: nil, localName: "a")])
    let index = document.attributeIndex(of: path, attribute: ElementPath.Test(namespace: nil, localName: "id"))
    func make(counting: Calls?) -> XPathContext {
      let context = XPathContext(document: document, namespaces: ["p": "urn:p"])
      context.register(function: QualifiedName("key")) { call in
        counting?.count += 1
        guard call.arguments[0].stringValue == "ids" else { return .nodeSet([]) }
        let values: [String] =
          if case .nodeSet(let nodes) = call.arguments[1] { nodes.map(\.stringValue) } else {
            [call.arguments[1].stringValue]
          }
        return .nodeSet(call.context.documentOrder(values.flatMap { index[$0] }))
      }
      return context
    }
    let plain = make(counting: nil)
    let indexed = make(counting: calls)
    indexed.register(indexedLookup: QualifiedName("key")) { name in name == "ids" ? index : nil }
    return (plain, indexed, document)
  }

  @Test func sameAnswersAsTheSwiftFunction() throws {
    let (plain, indexed, _) = try Self.contexts()
    let expressions = [
      "key('ids', 'x')", "key('ids', 'dup')", "key('ids', 'dup')[2]", "count(key('ids', 'y'))", "key('ids', 'none')",
      "key('ids', ' spaced ')", "key('ids', 5)", "key('ids', 2 + 3)", "key('ids', true())", "key('ids', //b/@id)",
      "key('ids', //a/@id)", "key('ids', /r/*[1])", "key('ids', //p:a/@id)", "key('ids', //a/@p:id)",
      "key('other', 'x')", "key('ids', 'x') | key('ids', 'y')", "key('ids', //nothing)",
    ]
    var nonEmpty = 0
    for expression in expressions {
      let expected = try plain.evaluate(expression)
      let actual = try indexed.evaluate(expression)
      #expect(actual == expected, "\(expression)")
      if !expected.nodes.isEmpty { nonEmpty += 1 }
    }
    #expect(nonEmpty >= 8)
    // From every element as context node, with its own @id.
    for node in try plain.evaluate("//*").nodes {
      let expected = try plain.evaluate("key('ids', @id)", at: node)
      #expect(try indexed.evaluate("key('ids', @id)", at: node) == expected)
      #expect(
        try indexed.evaluateBoolean(XPathExpression("key('ids', @id)[2]"), at: node)
          == plain.evaluateBoolean(XPathExpression("key('ids', @id)[2]"), at: node))
    }
  }

  @Test func answersWithoutTheSwiftFunctionWhenItCan() throws {
    let calls = Calls()
    let (_, indexed, _) = try Self.contexts(calls: calls)
    _ = try indexed.evaluate("key('ids', 'x') | key('ids', /r/*[2]/@id) | key('ids', 'none')")
    #expect(calls.count == 0)
    _ = try indexed.evaluate("key('other', 'x')")
    _ = try indexed.evaluate("key('ids', //a/@id)")
    _ = try indexed.evaluate("key('ids', 5)")
    #expect(calls.count == 3)
  }

  /// A sibling selection keeps only the context element's earlier (or later) siblings among the
  /// matches: the same nodes as `preceding-sibling::a[@id = v]` (`following-sibling::`), from
  /// every element of the document, without calling the Swift function.
  @Test func siblingSelectionsMatchTheSiblingAxes() throws {
    let document = try Document(
      string: """
        <r><l><a id="1"/><a id="2"/><b id="1"/><a id="1"/><a id="1"/></l><l><a id="1"/><a id="2"/></l><a id="1"/></r>
        """)
    let path = ElementPath(absolute: false, steps: [ElementPath.Test(namespace: nil, localName: "a")])
    let index = document.attributeIndex(of: path, attribute: ElementPath.Test(namespace: nil, localName: "id"))
    let calls = Calls()
    let context = XPathContext(document: document)
    context.register(function: QualifiedName("siblings")) { call in
      calls.count += 1
      return .nodeSet([])
    }
    context.register(indexedLookup: QualifiedName("siblings")) { name in
      switch name {
      case "before": index.selecting(.precedingSiblings)
      case "after": index.selecting(.followingSiblings)
      default: index
      }
    }
    var nonEmpty = 0
    for node in try context.evaluate("//*").nodes {
      for (name, axis) in [("before", "preceding-sibling"), ("after", "following-sibling")] {
        let expected = try context.evaluate("\(axis)::a[@id = '\(node.attribute("id") ?? "")']", at: node)
        let actual = try context.evaluate("siblings('\(name)', @id)", at: node)
        #expect(actual == expected, "\(name) at \(node.path)")
        if !expected.nodes.isEmpty { nonEmpty += 1 }
      }
    }
    #expect(nonEmpty >= 5)
    // Only from the three elements without @id (an empty node-set is not one value), both ways.
    #expect(calls.count == 6)
    // All matches when nothing is selected, whatever the context.
    #expect(try context.evaluate("count(siblings('all', '1'))", at: document.documentNode).numberValue == 5)
  }

  /// `current()` answered natively gives what the Swift function gives: at top level, inside
  /// predicates, with no current node, and for a namespace node (which falls back to Swift).
  @Test func currentNodeWithoutTheSwiftFunction() throws {
    let document = try Document(string: IndexedLookupTests.xml)
    let calls = Calls()
    let context = XPathContext(document: document, namespaces: ["p": "urn:p"])
    context.register(function: QualifiedName("current")) { call in
      calls.count += 1
      return .nodeSet(call.context.currentNode.map { [$0] } ?? [])
    }
    context.register(currentNode: QualifiedName("current"))
    #expect(try context.evaluate("count(current())").numberValue == 0)
    let elements = try context.evaluate("//*").nodes
    for node in elements {
      context.currentNode = node
      #expect(try context.evaluate("current()", at: document.documentNode).nodes == [node])
      let expected = try context.evaluate("//*[@id = '\(node.attribute("id") ?? "-")']", at: node)
      #expect(try context.evaluate("//*[@id = current()/@id]", at: document.documentNode) == expected)
    }
    #expect(calls.count == 0)
    let namespaceNode = try #require(try context.evaluate("/r/namespace::p").nodes.first)
    context.currentNode = namespaceNode
    #expect(try context.evaluate("count(current())").numberValue == 1)
    #expect(calls.count == 1)
  }

  /// A large index (its table grows many times and probes past collisions) answers every value
  /// with exactly the elements `//a[@id][string(@id) = $v]` selects, in document order, through the
  /// subscript and through the native lookup: repeated values, the empty value, values longer
  /// than a small string, a value with an entity reference (which the tree does not hold in one
  /// piece) and values that are prefixes of one another.
  ///
  /// (`@id = $v` would not do as the oracle: libxml2 2.9 compares an attribute holding an entity
  /// reference by its text children only, so `@id = 'E'` is false where `string(@id)` is `E`.)
  @Test func largeIndexAgreesWithTheAttributeTest() throws {
    // Seeded: the same document every run.
    var generator = SeededGenerator(seed: 2026)
    var values = ["", "&e;", "x&e;", "v", "v1", "v10", "a-rather-long-identifier-of-facility-0001"]
    values += (0..<700).map { "id-\($0)" }
    var body = ""
    for position in 0..<2500 {
      let value = values[Int.random(in: 0..<values.count, using: &generator)]
      body += position % 7 == 0 ? "<a/>" : "<a id=\"\(value)\"/>"
      if position % 500 == 0 { body += "<b id=\"\(value)\"/>" }
    }
    let document = try Document(string: "<!DOCTYPE r [<!ENTITY e \"E\">]><r>\(body)</r>")
    let index = document.attributeIndex(
      of: ElementPath(absolute: false, steps: [ElementPath.Test(namespace: nil, localName: "a")]),
      attribute: ElementPath.Test(namespace: nil, localName: "id"))
    let context = XPathContext(document: document)
    context.register(function: QualifiedName("key")) { _ in .nodeSet([]) }
    context.register(indexedLookup: QualifiedName("key")) { _ in index }
    let lookedUp = values.map { $0.replacingOccurrences(of: "&e;", with: "E") } + ["id-", "missing", "E"]
    var found = 0
    for value in lookedUp {
      context.setVariable("v", .string(value))
      let expected = try context.evaluate("//a[@id][string(@id) = $v]").nodes
      #expect(index[value] == expected, "\(value)")
      #expect(try context.evaluate("key('ids', $v)").nodes == expected, "\(value)")
      found += expected.isEmpty ? 0 : 1
    }
    #expect(found > 500)
    #expect(!index["E"].isEmpty && !index["xE"].isEmpty)
  }
}

/// A small deterministic generator (SplitMix64) for reproducible test documents.
struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
