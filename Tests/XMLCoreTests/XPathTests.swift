import Foundation
import Testing
import XMLCore

@Suite("XPath 1.0")
struct XPathTests {
  let document: Document
  let context: XPathContext

  init() throws {
    document = try parseFixture("sample.xml")
    context = XPathContext(document: document, namespaces: ["n": testNamespace])
  }

  @Test func typedResults() throws {
    #expect(try context.evaluate("count(//n:facility)") == .number(3))
    #expect(try context.evaluate("string(//n:facility[2]/@id)") == .string("f2"))
    #expect(try context.evaluate("//n:facility/@category = 'hospital'") == .boolean(true))
    let nodes = try context.evaluate("//n:facility").nodes
    #expect(nodes.map { $0.attribute("id") } == ["f1", "f2", "f3"])
    #expect(try context.evaluate("1 div 0").numberValue == .infinity)
  }

  @Test func compileOnceEvaluateManyAgainstContextNodes() throws {
    let expression = try XPathExpression("concat(@id, ':', n:name)")
    let facilities = try context.evaluate("//n:facility").nodes
    let values = try facilities.map { try context.evaluate(expression, at: $0).stringValue }
    #expect(values == ["f1:North Dam", "f2:General Hospital", "f3:South Dam"])
    let relative = try XPathExpression("count(following-sibling::n:facility)")
    #expect(try facilities.map { try context.evaluate(relative, at: $0).numberValue } == [2, 1, 0])
    #expect(try context.evaluateBoolean(XPathExpression("@category = 'dam'"), at: facilities[2]))
    #expect(try !context.evaluateBoolean(XPathExpression("@category = 'dam'"), at: facilities[1]))
  }

  @Test func prefixesComeFromTheCallerNotTheDocument() throws {
    // The document binds 'd'; the context does not, so 'd:' is an error, not a match.
    let error = try #require(xmlError { _ = try context.evaluate("//d:facility") })
    #expect(error.kind == .xpathEvaluation)
    #expect(error.expression == "//d:facility")
    // A prefix of the caller's choosing works.
    context.bind(prefix: "decl", to: testNamespace)
    #expect(try context.evaluate("count(//decl:facility)").numberValue == 3)
  }

  @Test func variables() throws {
    context.setVariable("wanted", .string("f3"))
    #expect(try context.evaluate("string(//n:facility[@id = $wanted]/n:name)").stringValue == "South Dam")
    let dams = try context.evaluate("//n:facility[@category = 'dam']")
    context.setVariable(QualifiedName("dams", namespace: "urn:vars"), dams)
    context.bind(prefix: "v", to: "urn:vars")
    #expect(try context.evaluate("count($v:dams)").numberValue == 2)
    #expect(try context.evaluate("$v:dams[2]/@id = 'f3'").booleanValue)
    context.setVariable("wanted", nil)
    let error = try #require(xmlError { _ = try context.evaluate("$wanted") })
    #expect(error.kind == .xpathEvaluation)
  }

  /// A variable bound to an expression's result as libxml2 gives it, then restored: nested
  /// bindings of one name come back in turn, node-sets keep their nodes and order, a failed
  /// evaluation leaves the variable as it was, and `setVariable` and handles share one value.
  @Test func variablesBoundToResultsAndRestored() throws {
    let facilities = try context.evaluate("//n:facility").nodes
    let outer = context.variable(QualifiedName("v"))
    #expect(context.variable(QualifiedName("v")) == outer)
    #expect(context.variable(QualifiedName("v", namespace: "urn:vars")) != outer)
    #expect(xmlError { _ = try context.evaluate("$v") }?.kind == .xpathEvaluation)
    let first = context.bind(outer, to: .string("outer"))
    #expect(try context.evaluate("$v").stringValue == "outer")
    var saved: [XPathContext.PreviousValue] = []
    for facility in facilities {
      saved.append(try context.bind(outer, toResultOf: XPathExpression("string(@id)"), at: facility))
      #expect(try context.evaluate("$v").stringValue == facility.attribute("id"))
    }
    for (facility, previous) in zip(facilities, saved).reversed() {
      #expect(try context.evaluate("$v").stringValue == facility.attribute("id"))
      context.restore(outer, previous)
    }
    #expect(try context.evaluate("$v").stringValue == "outer")
    // A node-set result, used many times over.
    let dams = try context.bind(outer, toResultOf: XPathExpression("//n:facility[@category = 'dam']"))
    for _ in 0..<3 {
      #expect(try context.evaluate("$v/@id").nodes.map(\.stringValue) == ["f1", "f3"])
      #expect(try context.evaluate("$v[2]/n:name").stringValue == "South Dam")
    }
    // A failed evaluation binds nothing.
    #expect(xmlError { _ = try context.bind(outer, toResultOf: XPathExpression("$nothing")) } != nil)
    #expect(try context.evaluate("count($v)").numberValue == 2)
    context.restore(outer, dams)
    #expect(try context.evaluate("$v").stringValue == "outer")
    context.setVariable("v", .number(4))
    #expect(try context.evaluate("$v * 2").numberValue == 8)
    context.restore(outer, first)
    #expect(xmlError { _ = try context.evaluate("$v") }?.kind == .xpathEvaluation)
  }

  @Test func variablesOfTheSameLocalNameInOtherNamespaces() throws {
    context.bind(prefix: "a", to: "urn:a")
    context.bind(prefix: "b", to: "urn:b")
    context.bind(prefix: "ab", to: "urn:ab")
    context.setVariable("x", .string("none"))
    context.setVariable(QualifiedName("x", namespace: "urn:a"), .string("a"))
    context.setVariable(QualifiedName("x", namespace: "urn:b"), .string("b"))
    context.setVariable(QualifiedName("xy", namespace: "urn:a"), .string("a-xy"))
    // Each compiled many times over, in turn: names are resolved by content, never by address alone.
    let expressions = try ["$x", "$a:x", "$b:x", "$a:xy", "concat($a:x, $b:x, $x)"].map { try XPathExpression($0) }
    for _ in 0..<3 {
      for (expression, expected) in zip(expressions, ["none", "a", "b", "a-xy", "abnone"]) {
        #expect(try context.evaluate(expression).stringValue == expected)
      }
      #expect(try context.evaluate("$a:x").stringValue == "a")
      #expect(try context.evaluate("$b:x").stringValue == "b")
    }
    #expect(xmlError { _ = try context.evaluate("$ab:x") }?.kind == .xpathEvaluation)
    // The same compiled reference, its prefix bound to another URI of the same length in turn
    // (the URI string is freed on rebinding, and a later one may take its address).
    let reference = try XPathExpression("$p:x")
    for round in 0..<6 {
      context.bind(prefix: "p", to: round % 2 == 0 ? "urn:a" : "urn:b")
      #expect(try context.evaluate(reference).stringValue == (round % 2 == 0 ? "a" : "b"))
    }
    // Expressions compiled, evaluated and freed in turn (their names may take each other's addresses).
    context.setVariable("y", .string("why"))
    for round in 0..<6 {
      let name = round % 2 == 0 ? "x" : "y"
      #expect(try context.evaluate(XPathExpression("$\(name)")).stringValue == (round % 2 == 0 ? "none" : "why"))
    }
  }

  @Test func extensionFunctions() throws {
    let ns = "urn:normcheck:test-functions"
    context.bind(prefix: "f", to: ns)
    context.register(function: QualifiedName("upper", namespace: ns)) { call in
      .string(call.arguments.first?.stringValue.uppercased() ?? "")
    }
    context.register(function: QualifiedName("same-category", namespace: ns)) { call in
      let category = call.contextNode?.attribute("category")
      let all = try call.context.evaluate("//n:facility")
      return .nodeSet(all.nodes.filter { $0.attribute("category") == category })
    }
    #expect(try context.evaluate("f:upper(string(//n:facility[1]/n:name))").stringValue == "NORTH DAM")
    let first = try #require(context.evaluate("//n:facility[1]").nodes.first)
    #expect(try context.evaluate("count(f:same-category())", at: first).numberValue == 2)
    // A node-set returned by a function can be navigated further.
    #expect(try context.evaluate("f:same-category()[2]/n:name", at: first).stringValue == "South Dam")
  }

  @Test func extensionFunctionErrorsSurface() throws {
    let ns = "urn:normcheck:test-functions"
    context.bind(prefix: "f", to: ns)
    context.register(function: QualifiedName("fail", namespace: ns)) { call in
      throw XPathFunctionError("cannot handle '\(call.arguments.first?.stringValue ?? "")'")
    }
    let node = try #require(context.evaluate("//n:facility[2]").nodes.first)
    let error = try #require(xmlError { _ = try context.evaluate("f:fail('abc') or true()", at: node) })
    #expect(error.kind == .extensionFunction)
    #expect(error.message == "cannot handle 'abc'")
    #expect(error.location.line == 5)
    // The context remains usable afterwards.
    #expect(try context.evaluate("1 + 1").numberValue == 2)
  }

  @Test func unknownFunctionIsAnError() throws {
    let error = try #require(xmlError { _ = try context.evaluate("nosuch(1)") })
    #expect(error.kind == .xpathEvaluation)
    #expect(error.message.lowercased().contains("function"))
  }

  @Test("Syntax errors are reported with the offset", arguments: ["//n:facility[", "1 +", "@@id", "count(", "//[x]"])
  func syntaxErrors(source: String) throws {
    let error = try #require(xmlError { _ = try XPathExpression(source) })
    #expect(error.kind == .xpathSyntax)
    #expect(error.expression == source)
    #expect(error.message.contains("offset"))
  }

  @Test func operationBudget() throws {
    context.operationLimit = 1_000
    let error = try #require(
      xmlError { _ = try context.evaluate("count(//node()[count(//node()) > 0][count(//node()) > 0])") })
    #expect(error.kind == .xpathEvaluation)
    context.operationLimit = 0
    #expect(try context.evaluate("count(//n:facility)").numberValue == 3)
  }

  @Test func stringConversionsFollowXPath() {
    #expect(XPathValue.number(3).stringValue == "3")
    #expect(XPathValue.number(-0.5).stringValue == "-0.5")
    #expect(XPathValue.number(.nan).stringValue == "NaN")
    #expect(XPathValue.string(" 12.5 ").numberValue == 12.5)
    #expect(XPathValue.string("1e3").numberValue.isNaN)
    #expect(XPathValue.string("").booleanValue == false)
    #expect(XPathValue.nodeSet([]).stringValue == "")
  }

  @Test func namespaceNodes() throws {
    let nodes = try context.evaluate("/*/namespace::*").nodes
    let prefixes = Set(nodes.map(\.localName))
    #expect(prefixes.isSuperset(of: ["d", "o", "xml"]))
    let d = try #require(nodes.first { $0.localName == "d" })
    #expect(d.kind == .namespace)
    #expect(d.stringValue == testNamespace)
    #expect(d.path == "/*:declaration[1]/namespace::d")
  }
}

@Suite("XPath re-entrancy")
struct XPathReentrancyTests {
  /// A function that evaluates XPath on the same context (as key() does to build its index)
  /// must not disturb the evaluation that called it.
  @Test func nestedEvaluationKeepsTheOuterContextNode() throws {
    let document = try parseFixture("sample.xml")
    let context = XPathContext(document: document, namespaces: ["n": testNamespace, "f": "urn:f"])
    context.register(function: QualifiedName("nested", namespace: "urn:f")) { call in
      // Evaluates from the root, moving libxml2's context node elsewhere.
      _ = try call.context.evaluate("count(//n:facility/n:name)", at: nil)
      return .boolean(true)
    }
    let second = try #require(context.evaluate("//n:facility[2]").nodes.first)
    // After f:nested() returns, @id must still be read from the second facility.
    #expect(try context.evaluate("concat(string(f:nested()), '-', @id)", at: second).stringValue == "true-f2")
    #expect(try context.evaluateBoolean(XPathExpression("f:nested() and @id = 'f2'"), at: second))
  }
}
