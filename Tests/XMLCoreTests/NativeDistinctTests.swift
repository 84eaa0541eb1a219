import Foundation
import Testing
import XMLCore

/// `set:distinct` answered natively (`register(firstOfEachStringValue:)`) gives exactly what
/// the Swift function of the same name gives, and leaves what it cannot answer to it.
@Suite("Native set:distinct")
struct NativeDistinctTests {
  static let xml = """
    <r xmlns:p="urn:p"><!--c--><!--c-->
      <a c="dam" d="x"/><a c="hospital"/><a c=""/><a c="dam"/><a c="d&#x61;m"/><a/>
      <b>dam</b><b><i>da</i><i>m</i></b><b><![CDATA[dam]]></b><b>x</b><b>hospital</b>
      <?pi dam?><?pi dam?><p:a c="hospital"/>
    </r>
    """

  final class Calls: @unchecked Sendable { var count = 0 }

  @Test func sameAnswersAsTheSwiftFunction() throws {
    let document = try Document(string: Self.xml)
    let calls = Calls()
    func make(native: Bool) -> XPathContext {
      let context = XPathContext(document: document, namespaces: ["p": "urn:p"])
      context.register(function: QualifiedName("distinct")) { call in
        if native { calls.count += 1 }
        var seen = Set<String>()
        return .nodeSet(call.arguments[0].nodes.filter { seen.insert($0.stringValue).inserted })
      }
      if native { context.register(firstOfEachStringValue: QualifiedName("distinct")) }
      return context
    }
    let plain = make(native: false)
    let native = make(native: true)
    let arguments = [
      "//@c", "//a/@c | //b", "//b | //a/@c", "//b/text()", "//comment()", "//processing-instruction()",
      "//node()", "//@*", "//b", "//nothing", "/r", "//b[last()] | //b[1] | //@c", "//i | //b",
    ]
    var sizes: [Int] = []
    for argument in arguments {
      let expected = try plain.evaluate("distinct(\(argument))")
      #expect(try native.evaluate("distinct(\(argument))") == expected, "\(argument)")
      #expect(
        try native.evaluate("count(distinct(\(argument)))") == plain.evaluate("count(distinct(\(argument)))"))
      sizes.append(expected.nodes.count)
    }
    #expect(sizes.contains { $0 > 3 })
    #expect(calls.count == 0)
    // Namespace nodes, and an argument that is not a node-set, go to the Swift function.
    #expect(
      try native.evaluate("count(distinct(/r/namespace::*))") == plain.evaluate("count(distinct(/r/namespace::*))"))
    #expect(calls.count == 1)
    #expect(try native.evaluate("distinct('x')") == plain.evaluate("distinct('x')"))
    #expect(calls.count == 2)
  }
}
