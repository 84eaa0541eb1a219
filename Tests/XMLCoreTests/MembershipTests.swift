import Foundation
import Testing
import XMLCore

/// Membership tests answered natively (`register(membership:)`) must give exactly what the
/// Swift function of the same name gives, whatever the first argument's type, and leave every
/// call they cannot answer to it.
@Suite("Native membership tests")
struct MembershipTests {
  static let xml = """
    <r xmlns:p="urn:p" xmlns:q="urn:dam">
      <f c="dam"/><f c="hospital"/><f c=""/><f c="dams"/><f c="da"/><f c="x&#xE9;"/>
      <f>dam</f><f><g>da</g><g>m</g></f><f c="a long term that is not a small string"/>
      <f c="42"/><f c="true"/>
    </r>
    """
  static let terms = [
    "dam", "hospital", "", "xé", "a long term that is not a small string", "42", "true", "urn:dam", "10000000000",
    "0.000001",
  ]

  final class Calls: @unchecked Sendable { var count = 0 }

  static func contexts(calls: Calls) throws -> (plain: XPathContext, native: XPathContext) {
    let document = try Document(string: xml)
    let set = StringSet(terms + ["dam"])
    func make(_ counting: Calls?) -> XPathContext {
      let context = XPathContext(document: document, namespaces: ["p": "urn:p"])
      context.register(function: QualifiedName("in")) { call in
        counting?.count += 1
        guard call.arguments[1].stringValue == "terms" else { throw XPathFunctionError("no such set") }
        // By code points, as XPath compares strings.
        return .boolean(terms.contains { Array($0.utf8) == Array(call.arguments[0].stringValue.utf8) })
      }
      return context
    }
    let plain = make(nil)
    let native = make(calls)
    native.register(membership: QualifiedName("in")) { $0 == "terms" ? set : nil }
    return (plain, native)
  }

  @Test func sameAnswersAsTheSwiftFunction() throws {
    let calls = Calls()
    let (plain, native) = try Self.contexts(calls: calls)
    let arguments = [
      "'dam'", "'da'", "''", "'dams'", "concat('d', 'am')", "42", "40 + 2", "true()", "false()", "//f[1]/@c",
      "//f/@c", "//f[3]/@c", "//f[6]/@c", "//f[7]", "//f[8]", "//nothing", "//f[9]/@c", "//f[10]/@c",
      "//f[11]/@c", "/r/namespace::q", "//f[4]/@c | //f[1]/@c",
      // Numbers XPath writes in full (libxml2 would write 1e+10), and a decomposed spelling of
      // a term held precomposed (different code points: not the same string in XPath).
      "100000 * 100000", "10000000000", "0.000001", "1 div 1000000", "'xe\u{301}'",
    ]
    var holds = 0
    for argument in arguments {
      let expression = "in(\(argument), 'terms')"
      let expected = try plain.evaluate(expression)
      #expect(try native.evaluate(expression) == expected, "\(expression)")
      if expected.booleanValue { holds += 1 }
    }
    #expect(holds >= 10)
    // Only the six numbers went to the Swift function (libxml2 writes some numbers otherwise).
    #expect(calls.count == 6)
    // From every element, with its own attribute.
    for node in try plain.evaluate("//f").nodes {
      #expect(try native.evaluate("in(@c, 'terms')", at: node) == plain.evaluate("in(@c, 'terms')", at: node))
    }
    #expect(calls.count == 6)
  }

  @Test func callsItCannotAnswerGoToTheSwiftFunction() throws {
    let calls = Calls()
    let (_, native) = try Self.contexts(calls: calls)
    #expect(throws: XMLError.self) { try native.evaluate("in('dam', 'other')") }
    #expect(calls.count == 1)
    #expect(throws: XMLError.self) { try native.evaluate("in('dam', 1)") }
    #expect(calls.count == 2)
    #expect(try native.evaluate("in('dam', 'terms')").booleanValue)
    #expect(calls.count == 2)
  }

  @Test func stringSetsHoldExactlyTheirStrings() {
    let words = (0..<500).map { "term-\($0)" }
    let set = StringSet(words + ["", "é", "term-1"])
    #expect(set.count == 502)
    for word in words { #expect(set.contains(word)) }
    #expect(set.contains(""))
    #expect(set.contains("é"))
    for absent in ["term-", "term-5000", "Term-1", "e", "term-1 "] { #expect(!set.contains(absent), "\(absent)") }
    #expect(!StringSet([]).contains(""))
  }
}
