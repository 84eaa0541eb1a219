import Foundation
import Testing
import XMLCore

/// The parser stores each element's document order for libxml2 (what xmlXPathOrderDocElems
/// would) and collects the element index as it goes; node-sets must come out in document
/// order and indexed selections must equal libxml2's, with and without declared entities.
@Suite("Document order and the element index")
struct DocumentOrderTests {
  /// Names in a pre-order walk of the elements.
  static func preorder(_ node: Node) -> [String] {
    node.childElements.flatMap { [$0.attribute("n") ?? $0.localName] + preorder($0) }
  }

  static func document(entities: Bool) throws -> Document {
    var xml = entities ? "<!DOCTYPE r [<!ENTITY e \"<x n='x-entity'/>\">]>\n" : ""
    xml += "<r xmlns:p=\"urn:p\">"
    for i in 0..<300 {
      // Interleaved names and namespaces, nesting every 7th, so that no name forms one run.
      let nested = i % 7 == 0 ? "<c n=\"c\(i)\"><a n=\"a\(i)-in\"/></c>" : ""
      xml += "<a n=\"a\(i)\"/><p:a n=\"pa\(i)\"/><b n=\"b\(i)\">\(nested)</b>"
      if entities && i == 150 { xml += "&e;" }
    }
    xml += "</r>"
    return try Document(string: xml)
  }

  @Test(arguments: [false, true])
  func unionsComeOutInDocumentOrder(entities: Bool) throws {
    let document = try Self.document(entities: entities)
    let context = XPathContext(document: document, namespaces: ["p": "urn:p"])
    let expected = Self.preorder(document.documentNode)
    for expression in ["//b | //a | //p:a | //c", "//c | //p:a[position() mod 2 = 0] | //a", "(//*)[last()] | //*[1]"] {
      let names = try context.evaluate(expression).nodes.map { $0.attribute("n") ?? $0.localName }
      let order = Dictionary(uniqueKeysWithValues: expected.enumerated().map { ($1, $0) })
      #expect(names.count > 2, "\(expression)")
      #expect(names.map { order[$0]! } == names.map { order[$0]! }.sorted(), "\(expression)")
    }
  }

  /// Runs in document order are joined by their bounds when they do not overlap, and sorted
  /// together when they do: the same nodes as sorting them all, every time.
  @Test(arguments: [false, true])
  func mergedRunsEqualTheSortedUnion(entities: Bool) throws {
    let document = try Self.document(entities: entities)
    let context = XPathContext(document: document, namespaces: ["p": "urn:p"])
    let runs = [
      "/r/a[position() < 100]", "/r/b[position() > 200]", "//c", "/r/p:a[position() >= 100 and position() < 200]",
      "//b[3]/@n", "/r/a[last()]", "//a[@n = 'a7-in']", "/r/*[position() = 150]", "//nothing",
    ]
    var compared = 0
    for first in runs.indices {
      for second in runs.indices {
        for third in [first, (second + 3) % runs.count] {
          let nodes = try [first, second, third].map { try context.evaluate(runs[$0]).nodes }
          let expected = context.documentOrder(Array(nodes.joined()))
          #expect(
            context.documentOrder(mergingRuns: nodes) == expected, "\(runs[first]) | \(runs[second]) | \(runs[third])")
          compared += expected.count
        }
      }
    }
    #expect(compared > 10_000)
    #expect(context.documentOrder(mergingRuns: []).isEmpty)
    let single = try context.evaluate("//c").nodes
    #expect(context.documentOrder(mergingRuns: [[], single, []]) == single)
  }

  @Test(arguments: [false, true])
  func indexedSelectionsEqualLibxml2(entities: Bool) throws {
    let document = try Self.document(entities: entities)
    let context = XPathContext(document: document, namespaces: ["p": "urn:p"])
    let a = ElementPath.Test(namespace: nil, localName: "a")
    let pa = ElementPath.Test(namespace: "urn:p", localName: "a")
    let b = ElementPath.Test(namespace: nil, localName: "b")
    let c = ElementPath.Test(namespace: nil, localName: "c")
    let r = ElementPath.Test(namespace: nil, localName: "r")
    let cases: [(ElementPath, String)] = [
      (ElementPath(absolute: false, steps: [a]), "//a"),
      (ElementPath(absolute: false, steps: [b, c, a]), "//b/c/a"),
      (ElementPath(absolute: false, steps: [pa]), "//p:a"),
      (ElementPath(absolute: true, steps: [r, b]), "/r/b"),
    ]
    for (elementPath, expression) in cases {
      let indexed = document.select(elementPath) { _, _ in true }
      let plain = try context.evaluate(expression).nodes
      #expect(indexed == plain, "\(expression)")
      #expect(!indexed.isEmpty)
    }
    // Filtered steps, the root's parent (the document node), attributes, a step that never
    // matches an ancestor: asked about exactly the nodes on the way.
    let n = ElementPath.Test(namespace: nil, localName: "n")
    let filteredCases: [(ElementPath, String)] = [
      (ElementPath(absolute: false, steps: [b, c, a], filtered: [1]), "//b/c[@n = 'c14' or @n = 'c70']/a"),
      (ElementPath(absolute: true, steps: [r, b], filtered: [0, 1]), "/r/b[@n = 'b3' or @n = 'b299']"),
      (ElementPath(absolute: true, steps: [b, c]), "/b/c"),
      (ElementPath(absolute: false, steps: [r]), "//r"),
      (ElementPath(absolute: false, steps: [c, a], attribute: n), "//c/a/@n"),
      (ElementPath(absolute: false, steps: [a, b]), "//a/b"),
    ]
    for (elementPath, expression) in filteredCases {
      var asked: [Int: Int] = [:]
      let indexed = document.select(elementPath) { step, node in
        asked[step, default: 0] += 1
        return node.localName == "r" || ["c14", "c70", "b3", "b299"].contains(node.attribute("n") ?? "")
      }
      #expect(indexed == (try context.evaluate(expression).nodes), "\(expression)")
      #expect(!indexed.isEmpty || expression == "/b/c" || expression == "//a/b", "\(expression)")
      if elementPath.steps.count == 3 {
        // Only the a elements inside a c (every 7th of 300) reach the filtered step.
        #expect(asked == [1: 43], "\(expression)")
      }
    }
  }
}
