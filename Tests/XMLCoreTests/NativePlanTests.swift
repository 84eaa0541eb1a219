import Foundation
import Testing

@testable import XMLCore

/// Expressions answered in Swift (``NativePlan``) give exactly what libxml2 gives for them, at
/// every element, and are left to libxml2 wherever the shape does not hold.
@Suite("Native answers of common expressions")
struct NativePlanTests {
  /// Facilities with shared, missing, empty and namespaced ids and categories; a value held in
  /// pieces (an entity reference); elements the key does not index.
  static let xml = """
    <!DOCTYPE r [<!ENTITY e "ent">]>
    <r xmlns:p="urn:p" id="x">
      <f id="x" c="dam" n="  a&#9;&#10; b  "/><f id="x" c="hospital" ref="r1" n="a b"/><f id="y" ref="dam" c="nope"/><f c="" id=""/><f/>
      <f id="x" p:c="dam"/><f id="a&e;" c="da&e;"/><g id="x" c="dam"/><f ref="z" c="dams" id="z"/>
      <f id="y" c="hospital"/><f id="" ref=""/><f id="q" c="xé" ref="hospital" n="&#9;"/><f p:id="x" id="w"/>
    </r>
    """
  static let terms = StringSet(["dam", "hospital", "", "xé"])

  /// A context as the Schematron evaluator sets one up: `key('ids', …)` over `f/@id` as a Swift
  /// function with the indexed lookup on top, and `p:in(value, 'terms')` as a Swift function
  /// with the membership test on top.
  static func context(_ document: Document, native: Bool) -> XPathContext {
    let context = XPathContext(document: document, namespaces: ["p": "urn:p"])
    context.answersNatively = native
    let index = document.attributeIndex(
      of: ElementPath(absolute: false, steps: [ElementPath.Test(namespace: nil, localName: "f")]),
      attribute: ElementPath.Test(namespace: nil, localName: "id"))
    context.register(function: QualifiedName("key")) { call in
      guard call.arguments[0].stringValue == "ids" else { return .nodeSet([]) }
      let values: [String] =
        if case .nodeSet(let nodes) = call.arguments[1] { nodes.map(\.stringValue) } else {
          [call.arguments[1].stringValue]
        }
      return .nodeSet(call.context.documentOrder(values.flatMap { index[$0] }))
    }
    context.register(indexedLookup: QualifiedName("key")) { $0 == "ids" ? index : nil }
    context.register(function: QualifiedName("in", namespace: "urn:p")) { call in
      guard call.arguments[1].stringValue == "terms" else { throw XPathFunctionError("no such set") }
      return .boolean(terms.contains(call.arguments[0].stringValue))
    }
    context.register(membership: QualifiedName("in", namespace: "urn:p")) { $0 == "terms" ? terms : nil }
    return context
  }

  static let booleans = [
    "key('ids', @id)", "key('ids', @id)[2]", "key('ids', @id)[3]", "not(key('ids', @id)[2])",
    "key('ids', @id)[2] and @c", "key('ids', @id)[2] and count(key('ids', @id)) > 2",
    "key('ids', @id)[2] or p:in(@c, 'terms')", "p:in(@c, 'terms')", "not(p:in(@c, 'terms'))", "p:in(@p:c, 'terms')",
    "p:in(@ref, 'terms') or key('ids', @ref)", "p:in($v, 'terms')", "p:in('dam', 'terms')", "p:in(@c, 'other')",
    "key('other', @id)", "key('ids', @p:id)", "key('ids', @ref)[1]", "key('ids', $v)", "key('ids', 'x')[2]",
    "@c and p:in(@c, 'terms')", "not(not(key('ids', @id)))",
    "@c = 'dam'", "@c != 'dam'", "@c = @ref", "@c != @ref", "string(@c) != 'dam'", "normalize-space(@n) != ''",
    "normalize-space(@n) = 'a b'", "string(@n) = 'a b'", "starts-with(@id, 'x')", "starts-with(@c, '')",
    "contains(@c, 'spi')", "contains(@ref, @c)", "starts-with(@nothing, '')", "@c = $v", "$v != @c",
    "normalize-space(@p:c) = 'dam'", "not(@ref = 'dam') and starts-with(@c, 'h')", "contains(@c, '')",
    "'dam' = @c", "string(@nothing) = ''", "@nothing != 'x'", "contains(@c, 'a&e;')",
    "normalize-space(@n) = ''", "normalize-space(@c) != ''", "normalize-space(@nothing) = ''",
    "normalize-space(@nothing) != ''",
  ]

  static let values = [
    "string(@c)", "string(@c | @ref)", "string(@ref | @c)", "string(@p:c | @c)", "string(@c | @id | @ref)",
    "string(@nothing)",
  ]

  /// Every expression at every element, and `$v` holding a string, a number and a node-set.
  @Test(arguments: ["'dam'", "42", "//f[2]/@c"])
  func sameAnswersAsLibxml2(variable: String) throws {
    let document = try Document(string: Self.xml)
    let (libxml, native) = (Self.context(document, native: false), Self.context(document, native: true))
    for context in [libxml, native] { context.setVariable("v", try libxml.evaluate(variable)) }
    let elements = try libxml.evaluate("//*").nodes
    #expect(elements.count == 14)
    var held = 0
    for source in Self.booleans {
      let expression = try XPathExpression(source)
      #expect(expression.nativeShape != nil, "\(source)")
      for element in elements {
        // An error (`p:in` with a set it does not know) must be the same too.
        func outcome(_ context: XPathContext) -> String {
          do { return try context.evaluateBoolean(expression, at: element) ? "true" : "false" } catch {
            return "\(error)"
          }
        }
        let expected = outcome(libxml)
        #expect(outcome(native) == expected, "\(source) at \(element.path)")
        if expected == "true" { held += 1 }
      }
    }
    #expect(held > 100)
    for source in Self.values {
      let expression = try XPathExpression(source)
      for element in elements {
        func value(in context: XPathContext) throws -> XPathValue {
          let variable = context.variable(QualifiedName("out"))
          let previous = try context.bind(variable, toResultOf: expression, at: element)
          defer { context.restore(variable, previous) }
          return try context.evaluate("$out")
        }
        #expect(try value(in: native) == value(in: libxml), "\(source) at \(element.path)")
      }
    }
  }

  /// An answer costs one operation of the budget, where libxml2 counts several; once the budget
  /// is spent, libxml2 evaluates and reports it.
  @Test func answersAreChargedToTheBudget() throws {
    let document = try Document(string: Self.xml)
    let native = Self.context(document, native: true)
    let libxml = Self.context(document, native: false)
    let element = try #require(native.evaluate("//f[2]").nodes.first)
    let expression = try XPathExpression("key('ids', @id)[2] and p:in(@c, 'terms')")
    for context in [native, libxml] { context.operationLimit = 1_000 }
    #expect(try native.evaluateBoolean(expression, at: element))
    #expect(native.operationCount == 1)
    #expect(try libxml.evaluateBoolean(expression, at: element))
    #expect(libxml.operationCount > 1)
    native.operationLimit = 20
    #expect(throws: XMLError.self) {
      for _ in 0..<100 { _ = try native.evaluateBoolean(expression, at: element) }
    }
  }

  /// A built-in function that the context shadows is the context's, not XPath's; a node of
  /// another document, and a context node that is not an element, are left to libxml2.
  @Test func leftToLibxml2WhereTheShapeDoesNotHold() throws {
    let document = try Document(string: Self.xml)
    let other = try Document(string: "<r><f id='x' c='dam'/></r>")
    let (libxml, native) = (Self.context(document, native: false), Self.context(document, native: true))
    for context in [libxml, native] {
      context.register(function: QualifiedName("not")) { call in .boolean(call.arguments[0].booleanValue) }
      context.register(function: QualifiedName("string")) { _ in .string("shadowed") }
      context.register(function: QualifiedName("starts-with")) { _ in .boolean(true) }
    }
    let element = try #require(native.evaluate("//f[1]").nodes.first)
    let negation = try XPathExpression("not(p:in(@c, 'terms'))")
    #expect(try native.evaluateBoolean(negation, at: element) == true)
    #expect(try libxml.evaluateBoolean(negation, at: element) == true)
    let variable = native.variable(QualifiedName("out"))
    _ = try native.bind(variable, toResultOf: XPathExpression("string(@c | @ref)"), at: element)
    #expect(try native.evaluate("$out") == .string("shadowed"))
    let prefix = try XPathExpression("starts-with(@c, 'zzz')")
    #expect(try native.evaluateBoolean(prefix, at: element) == true)
    let foreign = try #require(other.rootElement?.children.first)
    let membership = try XPathExpression("p:in(@c, 'terms') and key('ids', @id)")
    #expect(try native.evaluateBoolean(membership, at: foreign) == libxml.evaluateBoolean(membership, at: foreign))
    let text = try #require(native.evaluate("//f[1]/following-sibling::text()[1]").nodes.first)
    #expect(try native.evaluateBoolean(membership, at: text) == libxml.evaluateBoolean(membership, at: text))
  }

  /// `p = 'x'` and `p != 'x'` for a path of child steps ending in an attribute, as written or
  /// as the call that answers it at a large subtree: XPath's existential comparison, answered
  /// natively (not left to libxml2) at every element of a document without entities.
  @Test func comparisonsOverChildPaths() throws {
    let document = try NativePathTests.document(seed: 5)
    let name = QualifiedName("children", namespace: "urn:test")
    let calls = NativePathTests.Calls()
    let sources = ["a/@id", "b/*/@id", "n:a/c/@n:id", "*/b/@id", "*/@n:id"]
    let paths = sources.map { source -> ElementPath in
      let parts = source.split(separator: "/").map(String.init)
      func test(_ part: String) -> ElementPath.Test {
        let bare = part.hasPrefix("@") ? String(part.dropFirst()) : part
        if bare == "*" { return .any }
        if bare.hasPrefix("n:") { return NativePathTests.test(String(bare.dropFirst(2)), NativePathTests.ns) }
        return NativePathTests.test(bare)
      }
      return ElementPath(absolute: false, steps: parts.dropLast().map(test), attribute: test(parts.last!))
    }
    let native = NativePathTests.context(
      document, name: name, sources: sources, paths: paths, child: true, calls: calls)
    native.bind(prefix: "t", to: "urn:test")
    let plain = XPathContext(document: document, namespaces: ["n": NativePathTests.ns])
    plain.bind(prefix: "t", to: "urn:test")
    plain.register(function: name) { call in
      try call.context.evaluate(sources[Int(call.arguments[0].stringValue)!], at: call.contextNode)
    }
    plain.answersNatively = false
    let elements = try plain.evaluate("//*").nodes
    var (held, answered) = (0, 0)
    for (number, source) in sources.enumerated() {
      for element in elements {
        // The last value the path selects here (so that the walk runs to it), and one it never selects.
        let values = try plain.evaluate(source, at: element).nodes.map(\.stringValue)
        for literal in [values.last ?? "none", "none"] {
          for form in [source, "t:children('\(number)')"] {
            for expressionSource in [
              "\(form) = '\(literal)'", "\(form) != '\(literal)'", "'\(literal)' = \(form)",
              "boolean(\(form) = '\(literal)')", "not(\(form) = '\(literal)') or @id = 'e1'",
            ] {
              let expression = try XPathExpression(expressionSource)
              #expect(expression.nativeShape != nil, "\(expressionSource)")
              let expected = try plain.evaluateBoolean(expression, at: element)
              #expect(
                try native.evaluateBoolean(expression, at: element) == expected,
                "\(expressionSource) at \(element.path)")
              if expected { held += 1 }
              if let plan = native.nativePlan(for: expression), native.answer(plan, at: element.pointer) != .unknown {
                answered += 1
              }
            }
          }
        }
      }
    }
    #expect(held > 1_000)
    #expect(answered == sources.count * elements.count * 2 * 2 * 5)
    #expect(calls.count == 0)
    // Two node-sets compared, or a path with a predicate: not this shape.
    for source in ["a/@id = b/@id", "a[1]/@id = 'x'", "a/b = 'x'", "t:children('0') = a/@id"] {
      let expression = try XPathExpression(source)
      if let plan = native.nativePlan(for: expression) {
        #expect(native.answer(plan, at: elements[0].pointer) == .unknown, "\(source)")
      }
    }
  }

  /// Which shapes are recognised.
  @Test func shapes() throws {
    func shaped(_ source: String) throws -> Bool { try XPathExpression(source).nativeShape != nil }
    for source in Self.booleans + Self.values { #expect(try shaped(source), "\(source)") }
    for source in [
      "@id", "key('ids', @id)/@c", "key('ids', @id)[@c]", "key('ids', @a | @b)", "string(@*)", "string(@c[. = 'x'])",
      "generate-id() = 'x'", "count(key('ids', @id)) > 1", "string(f/@c)", "p:in(@c, $set)", "true()",
      "key('ids', @id)[1.5]", "key('ids', @id)[0]", "@c = 5", "@c < 'x'", "string(@c | @ref) = 'x'",
      "@* = 'dam'", "substring(@c, 1) = 'd'", "starts-with(@c)",
    ] {
      #expect(try !shaped(source), "\(source)")
    }
  }
}
