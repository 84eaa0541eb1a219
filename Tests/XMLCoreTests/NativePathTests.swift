import Foundation
import Testing
import XMLCore

/// Paths answered natively from the element index (`register(paths:)` for absolute paths,
/// `register(childPaths:)` for child steps from the context element) give exactly the nodes the
/// paths give as written, charge the operation budget, and leave the calls they cannot answer
/// to the Swift function of the same name.
@Suite("Native path answers")
struct NativePathTests {
  static let ns = "urn:n"

  /// Elements named a, b and c nested in every order up to four levels, with ids, in and out
  /// of the namespace, and a root with more children than a walk should need.
  static func document(seed: UInt64 = 7) throws -> Document {
    var state = seed
    func next(_ bound: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((state >> 33) % UInt64(bound))
    }
    var counter = 0
    func element(depth: Int) -> String {
      let name = ["a", "b", "c", "n:a"][next(4)]
      counter += 1
      var text = "<\(name) id=\"e\(counter)\"\(next(3) == 0 ? " n:id=\"x\(counter)\"" : "")>"
      if depth < 4 {
        for _ in 0..<next(depth == 0 ? 1 : 4) { text += element(depth: depth + 1) }
        text += next(2) == 0 ? " t " : ""
      }
      return text + "</\(name)>"
    }
    var text = "<r xmlns:n=\"\(ns)\">"
    for _ in 0..<300 { text += element(depth: 1) }
    return try Document(string: text + "</r>")
  }

  final class Calls: @unchecked Sendable { var count = 0 }

  /// A context with `name` answering `paths` natively (child paths or absolute paths) and, as
  /// its Swift fallback, the paths as written.
  static func context(
    _ document: Document, name: QualifiedName, sources: [String], paths: [ElementPath], child: Bool,
    calls: Calls
  ) -> XPathContext {
    let context = XPathContext(document: document, namespaces: ["n": ns])
    context.register(function: name) { call in
      calls.count += 1
      guard let number = Int(call.arguments[0].stringValue), sources.indices.contains(number) else {
        throw XPathFunctionError("no path numbered \(call.arguments[0].stringValue)")
      }
      return try call.context.evaluate(sources[number], at: call.contextNode)
    }
    if child {
      context.register(childPaths: name) { paths.indices.contains($0) ? paths[$0] : nil }
    } else {
      context.register(paths: name) { paths.indices.contains($0) ? paths[$0] : nil }
    }
    return context
  }

  static func test(_ local: String?, _ namespace: String? = nil) -> ElementPath.Test {
    ElementPath.Test(namespace: namespace, localName: local)
  }

  static let childSources = ["a", "a/b", "a/b/c", "*/b", "a/@id", "b/*/@id", "n:a/c/@n:id", "*/*/*", "n:*/@*"]
  static let childPaths: [ElementPath] = [
    ElementPath(absolute: false, steps: [test("a")]),
    ElementPath(absolute: false, steps: [test("a"), test("b")]),
    ElementPath(absolute: false, steps: [test("a"), test("b"), test("c")]),
    ElementPath(absolute: false, steps: [.any, test("b")]),
    ElementPath(absolute: false, steps: [test("a")], attribute: test("id")),
    ElementPath(absolute: false, steps: [test("b"), .any], attribute: test("id")),
    ElementPath(absolute: false, steps: [test("a", ns), test("c")], attribute: test("id", ns)),
    ElementPath(absolute: false, steps: [.any, .any, .any]),
    ElementPath(absolute: false, steps: [test(nil, ns)], attribute: .any),
  ]

  @Test func childPathsGiveWhatThePathsGive() throws {
    let document = try Self.document()
    let calls = Calls()
    let name = QualifiedName("children", namespace: "urn:test")
    let native = Self.context(
      document, name: name, sources: Self.childSources, paths: Self.childPaths, child: true, calls: calls)
    native.bind(prefix: "t", to: "urn:test")
    let plain = XPathContext(document: document, namespaces: ["n": Self.ns])
    let elements = try plain.evaluate("//*").nodes
    #expect(elements.count > 1_000)
    #expect((document.rootElement?.descendantElementCount ?? 0) == elements.count - 1)
    var compared = 0
    for (number, source) in Self.childSources.enumerated() {
      let call = try XPathExpression("t:children('\(number)')")
      let counted = try XPathExpression("count(t:children('\(number)'))")
      let asWritten = try XPathExpression(source)
      for element in elements {
        let expected = try plain.evaluate(asWritten, at: element).nodes
        let found = try native.evaluate(call, at: element).nodes
        #expect(found == expected, "\(source) at \(element.path)")
        // Counted natively too.
        #expect(try native.evaluate(counted, at: element) == .number(Double(expected.count)), "\(source)")
        compared += expected.count
      }
    }
    #expect(compared > 1_000)
    // Every call at an element of the document was answered natively.
    #expect(calls.count == 0)
    // At the document node, or with an unknown number, the Swift function answers.
    #expect(try native.evaluate("count(t:children('0'))").numberValue == 0)
    #expect(calls.count == 1)
    #expect(throws: (any Error).self) { try native.evaluate("t:children('99')", at: elements[0]) }
  }

  @Test func absolutePathsGiveWhatThePathsGive() throws {
    let document = try Self.document(seed: 11)
    let calls = Calls()
    let name = QualifiedName("path", namespace: "urn:test")
    let sources = ["/r/a/b", "//a/b/@id", "/r/*/n:a/c", "//*/*/*/@n:id"]
    let paths = [
      ElementPath(absolute: true, steps: [Self.test("r"), Self.test("a"), Self.test("b")]),
      ElementPath(absolute: false, steps: [Self.test("a"), Self.test("b")], attribute: Self.test("id")),
      ElementPath(absolute: true, steps: [Self.test("r"), .any, Self.test("a", Self.ns), Self.test("c")]),
      ElementPath(absolute: false, steps: [.any, .any, .any], attribute: Self.test("id", Self.ns)),
    ]
    let native = Self.context(document, name: name, sources: sources, paths: paths, child: false, calls: calls)
    native.bind(prefix: "t", to: "urn:test")
    let plain = XPathContext(document: document, namespaces: ["n": Self.ns])
    let someElement = try plain.evaluate("(//c)[5]").nodes[0]
    for (number, source) in sources.enumerated() {
      let expected = try plain.evaluate(source).nodes
      #expect(!expected.isEmpty, "\(source)")
      #expect(try native.evaluate("t:path('\(number)')").nodes == expected, "\(source)")
      // The same wherever it is evaluated.
      #expect(try native.evaluate("t:path('\(number)')", at: someElement).nodes == expected, "\(source)")
      #expect(try native.evaluate("count(t:path('\(number)'))", at: someElement) == .number(Double(expected.count)))
    }
    #expect(calls.count == 0)
    // In another document, the Swift function answers (the path as written, there).
    let other = try Self.document(seed: 12)
    native.adopt(other)
    let elsewhere = try XPathContext(document: other).evaluate("(//b)[1]").nodes[0]
    let fallbackAnswer = try native.evaluate("t:path('0')", at: elsewhere).nodes
    #expect(calls.count == 1)
    let fallbackCount = try native.evaluate("count(t:path('0'))", at: elsewhere)
    #expect(calls.count == 2)
    #expect(fallbackCount == .number(Double(fallbackAnswer.count)))
    #expect(fallbackAnswer == (try XPathContext(document: other).evaluate("/r/a/b").nodes))
  }

  /// Native answers are charged to the operation budget: an expression that calls them over
  /// and over runs out of it, as the paths as written do, and a single call is answered.
  @Test func nativeAnswersRunOutOfBudget() throws {
    let document = try Self.document(seed: 3)
    let root = try #require(document.rootElement)
    let plain = XPathContext(document: document)
    let expected = try plain.evaluate("count(/r/a/b)").numberValue
    #expect(expected > 10)
    plain.operationLimit = 20_000
    #expect(throws: XMLError.self) { try plain.evaluate("count(//*[count(/r/a/b) > 0])") }
    for child in [false, true] {
      let function = child ? "children" : "path"
      let path =
        child
        ? ElementPath(absolute: false, steps: [Self.test("a"), Self.test("b")])
        : ElementPath(absolute: true, steps: [Self.test("r"), Self.test("a"), Self.test("b")])
      let native = Self.context(
        document, name: QualifiedName(function, namespace: "urn:test"), sources: [child ? "a/b" : "/r/a/b"],
        paths: [path], child: child, calls: Calls())
      native.bind(prefix: "t", to: "urn:test")
      // Once for each of the document's elements, at the root element.
      let repeated = child ? "count(//*[/r[count(t:children('0')) > 0]])" : "count(//*[count(t:path('0')) > 0])"
      native.operationLimit = 20_000
      #expect(throws: XMLError.self, "\(function)") { try native.evaluate(repeated) }
      native.operationLimit = 20_000
      #expect(try native.evaluate("count(t:\(function)('0'))", at: root).numberValue == expected, "\(function)")
    }
  }
}
