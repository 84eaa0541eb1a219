import Testing
import XMLCore

@Suite("XPath 1.0 parser")
struct XPathSyntaxTests {
  @Test(
    "Valid expressions parse",
    arguments: [
      "1", "-1", "- - 2", "'a'", "\"b\"", ".5", "3.", "$v", "$p:v", "/", "//a", "a/b//c", "../@id", "@*", "a:*",
      "*", "* * *", "div div div", "mod mod mod", "and and or", "a | b | c", "count(//x[@id = current()/@id]) = 1",
      "f:g(1, 'two', $three)", "processing-instruction('x')", "processing-instruction()", "text() | comment()",
      "node()[1]", "ancestor-or-self::*[last()]", "preceding-sibling::ref[@facility = $x]", "(a | b)[2]/c",
      "$x[1]/y", "last-updated < 3", "a-b", "a - b", "child::div", "a[. = 'x' and @y != 2 or not(z)]",
      "string-length(normalize-space(.)) > 0", "sum(x) div count(x) >= 0.5",
    ])
  func parses(source: String) throws {
    _ = try XPathSyntax.parse(source)
    _ = try XPathExpression(source)  // libxml2 agrees
  }

  @Test(
    "Invalid expressions are rejected with an offset",
    arguments: [
      "count(", "a[", "1 +", "a b", "@@x", "//[x]", "f(,)", "'open", "$", "a::b", "p:", "!x", "a ! b", "()", "/ /",
      "x[1]]", "1 = = 2",
    ])
  func rejects(source: String) {
    #expect(throws: XMLError.self) { try XPathSyntax.parse(source) }
    #expect(throws: XMLError.self) { try XPathExpression(source) }
  }

  @Test func operatorDisambiguation() throws {
    // The first 'div' is a name test, the second the operator, the third a name test.
    guard case .binary("div", .path(false, let lhs), .path(false, let rhs)) = try XPathSyntax.parse("div div div")
    else {
      Issue.record("not parsed as division")
      return
    }
    #expect(lhs.first?.test == .name(.init(prefix: nil, local: "div")))
    #expect(rhs.first?.test == .name(.init(prefix: nil, local: "div")))
    guard case .binary("*", .path(false, _), .path(false, _)) = try XPathSyntax.parse("* * *") else {
      Issue.record("not parsed as multiplication")
      return
    }
    guard case .path(false, let steps) = try XPathSyntax.parse("a-b") else {
      Issue.record("a-b is a name")
      return
    }
    #expect(steps.first?.test == .name(.init(prefix: nil, local: "a-b")))
  }

  @Test func rewritingReplacesTopDownWithinTheScope() throws {
    let syntax = try XPathSyntax.parse("concat($a, f($a)) = $a or count(x[$a] | $a/y) > -$a")
    var seen: [String] = []
    func renameA(_ node: XPathSyntax) -> XPathSyntax? {
      seen.append(node.description)
      guard case .variable(let name) = node, name.local == "a" else { return nil }
      return .literal("A")
    }
    // Everywhere: predicates, union members and filter primaries too.
    let everywhere = syntax.rewritten(renameA)
    #expect(everywhere == (try XPathSyntax.parse("concat('A', f('A')) = 'A' or count(x['A'] | 'A'/y) > -'A'")))
    // Operands only: not inside the union (a path and a filter expression).
    let operands = syntax.rewritten(in: .operands, renameA)
    #expect(operands == (try XPathSyntax.parse("concat('A', f('A')) = 'A' or count(x[$a] | $a/y) > -'A'")))
    // A replacement is taken as it is: nothing inside it is asked about; order is left to right.
    seen = []
    let replaced = syntax.rewritten { node in
      seen.append(node.description)
      if case .function(let name, _) = node, name.local == "concat" { return .number(1) }
      return nil
    }
    #expect(replaced == (try XPathSyntax.parse("1 = $a or count(x[$a] | $a/y) > -$a")))
    #expect(!seen.contains("$a") || seen.firstIndex(of: "$a")! > seen.firstIndex(of: "concat($a, f($a))")!)
    #expect(!seen.contains("f($a)"))
    // Everywhere, in order: operands left to right; in a filter expression its primary, then
    // its predicates, then its steps' predicates.
    var variables: [String] = []
    _ = try XPathSyntax.parse("$a + ($b | c[$c])[$d]/e[$e] - f($g)").rewritten { node in
      if case .variable(let name) = node { variables.append(name.local) }
      return nil
    }
    #expect(variables == ["a", "b", "c", "d", "e", "g"])
    variables = []
    _ = try XPathSyntax.parse("$a + ($b | c[$c])[$d]/e[$e] - f($g)").rewritten(in: .operands) { node in
      if case .variable(let name) = node { variables.append(name.local) }
      return nil
    }
    #expect(variables == ["a", "g"])
  }

  @Test func staticFacts() throws {
    let syntax = try XPathSyntax.parse("count(d:f[@id = $v:x]) = f:n(key('k', @r), $y) and e:*")
    #expect(syntax.prefixes == ["d", "v", "f", "e"])
    #expect(syntax.functionCalls.map { "\($0.name)/\($0.arity)" } == ["count/1", "f:n/2", "key/2"])
    #expect(syntax.variableReferences.map(\.description) == ["v:x", "y"])
  }

  @Test func doubleSlashExpands() throws {
    guard case .path(true, let steps) = try XPathSyntax.parse("//a") else {
      Issue.record("not a path")
      return
    }
    #expect(steps.map(\.axis) == ["descendant-or-self", "child"])
  }
}

@Suite("XPath parser limits")
struct XPathParserLimitTests {
  /// Found by fuzzing: deep nesting overflowed the stack.
  ///
  /// It must be a clear error instead.
  @Test(arguments: [
    String(repeating: "(", count: 5_000) + "1" + String(repeating: ")", count: 5_000),
    String(repeating: "-", count: 50_000) + "1",
    String(repeating: "*[", count: 5_000) + "1" + String(repeating: "]", count: 5_000),
    String(repeating: "f(", count: 5_000) + String(repeating: ")", count: 5_000),
  ])
  func deepNestingIsAnError(source: String) {
    let error = #expect(throws: XMLError.self) { try XPathSyntax.parse(source) }
    #expect(error?.message.contains("nested more than 256 levels") == true)
  }

  @Test func realisticNestingIsFine() throws {
    let source = String(repeating: "(", count: 100) + "1" + String(repeating: ")", count: 100)
    _ = try XPathSyntax.parse(source)
  }
}
