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
}
