import Foundation
import Schematron
import TestSupport
import Testing
import XMLCore

/// Load-time errors: every problem names the file, the line, the offending expression and its kind.
@Suite("Schema loading errors")
struct LoaderTests {
  /// One expected problem: where (a marker on the line) and what.
  struct Expected: Sendable, CustomTestStringConvertible {
    var file: String
    var kind: SchematronProblem.Kind
    var marker: String
    var expression: String?
    var messageContains: String
    var testDescription: String { "\(file): \(kind.rawValue) at '\(marker)'" }
  }

  /// Checks that `problems` holds one problem like `expected` and returns it.
  @discardableResult
  func expectProblem(
    _ problems: [SchematronProblem], _ expected: Expected, sourceLocation: Testing.SourceLocation = #_sourceLocation
  ) throws -> SchematronProblem? {
    let line = try Fixture.line(of: expected.marker, in: expected.file)
    let matching = problems.filter {
      $0.kind == expected.kind && $0.location.line == line && $0.expression == expected.expression
    }
    #expect(
      matching.count == 1, "expected one \(expected) at line \(line) in \(problems)", sourceLocation: sourceLocation)
    guard let problem = matching.first else { return nil }
    #expect(
      problem.location.file == Fixture.path(expected.file), "problem names \(problem.location.file)",
      sourceLocation: sourceLocation)
    if !expected.messageContains.isEmpty {
      #expect(
        problem.message.contains(expected.messageContains), "message: \(problem.message)",
        sourceLocation: sourceLocation)
    }
    // The printed form carries file, line and expression, as a compiler would print them.
    #expect(problem.description.hasPrefix("\(Fixture.path(expected.file)):\(line):"), sourceLocation: sourceLocation)
    if let expression = expected.expression {
      #expect(problem.description.hasSuffix("'\(expression)'"), sourceLocation: sourceLocation)
    }
    return problem
  }

  @Test(arguments: ["xslt2", "xslt3", "xpath2", "xpath3"])
  func unsupportedQueryBindings(binding: String) throws {
    let file = "load/qb-\(binding).sch"
    let problems = loadProblems(file)
    #expect(problems.count == 1)
    try expectProblem(
      problems,
      Expected(
        file: file, kind: .unsupportedQueryBinding, marker: "queryBinding=", expression: nil,
        messageContains: "'\(binding)'"))
  }

  @Test func supportedQueryBindingsLoad() throws {
    for binding in ["xslt", "XSLT", "xpath", "exslt", "xslt1", "xpath1"] {
      let schema = try compileInline(
        "<pattern><rule context='/*'><assert test='true()'>ok</assert></rule></pattern>",
        attributes: "queryBinding='\(binding)'")
      #expect(schema.schema.queryBinding == binding.lowercased())
    }
  }

  static let singleProblems: [Expected] = [
    Expected(
      file: "load/unknown-prefix.sch", kind: .unknownPrefix, marker: "q:item", expression: "q:item",
      messageContains: "prefix 'q'"),
    Expected(
      file: "load/unknown-function.sch", kind: .unknownFunction, marker: "nosuch(.)", expression: "nosuch(.)",
      messageContains: "nosuch"),
    Expected(
      file: "load/unknown-function.sch", kind: .unknownFunction, marker: "nc:nosuch", expression: "nc:nosuch(@d)",
      messageContains: "urn:normcheck:functions:1"),
    Expected(
      file: "load/wrong-arity.sch", kind: .unknownFunction, marker: "contains(1)", expression: "contains(1)",
      messageContains: "contains() takes 2 argument(s), not 1"),
    Expected(
      file: "load/wrong-arity.sch", kind: .unknownFunction, marker: "nc:is-date(@a, @b)",
      expression: "nc:is-date(@a, @b)", messageContains: "not 2"),
    Expected(
      file: "load/undefined-variable.sch", kind: .unknownVariable, marker: "$missing", expression: "$missing > 0",
      messageContains: "$missing"),
    Expected(
      file: "load/undefined-variable.sch", kind: .unknownVariable, marker: "$later = 4", expression: "$later = 4",
      messageContains: "$later"),
    Expected(
      file: "load/undefined-variable.sch", kind: .unknownVariable, marker: "$local = 2", expression: "$local = 2",
      messageContains: "$local"),
    Expected(
      file: "load/xpath-syntax.sch", kind: .xpathSyntax, marker: "count(\"", expression: "count(",
      messageContains: "XPath syntax error"),
    Expected(
      file: "load/xpath-syntax.sch", kind: .xpathSyntax, marker: "a[\"", expression: "a[",
      messageContains: "XPath syntax error"),
    Expected(
      file: "load/compile-references.sch", kind: .unknownReference, marker: "no-such-diagnostic", expression: nil,
      messageContains: "unknown diagnostic 'no-such-diagnostic'"),
    Expected(
      file: "load/compile-references.sch", kind: .unknownReference, marker: "no-such-property", expression: nil,
      messageContains: "unknown property 'no-such-property'"),
    Expected(
      file: "load/compile-references.sch", kind: .unknownReference, marker: "nokey",
      expression: "count(key('nokey', @ref)) = 1", messageContains: "key('nokey'"),
    Expected(
      file: "load/resolver-references.sch", kind: .unknownReference, marker: "no-such-abstract", expression: nil,
      messageContains: "is-a='no-such-abstract'"),
    Expected(
      file: "load/resolver-references.sch", kind: .unknownReference, marker: "is-a=\"concrete\"", expression: nil,
      messageContains: "is-a='concrete' names no abstract pattern"),
    Expected(
      file: "load/resolver-references.sch", kind: .unknownReference, marker: "no-such-rule", expression: nil,
      messageContains: "no abstract rule 'no-such-rule'"),
  ]

  @Test(arguments: singleProblems)
  func problemNamesFileLineAndExpression(expected: Expected) throws {
    try expectProblem(loadProblems(expected.file), expected)
  }

  @Test func validExpressionsNextToBadOnesAreNotReported() {
    // Each fixture has exactly its bad expressions reported, nothing for the good ones.
    #expect(loadProblems("load/unknown-prefix.sch").count == 1)
    #expect(loadProblems("load/xpath-syntax.sch").count == 2)
    #expect(loadProblems("load/unknown-function.sch").count == 2)
    #expect(loadProblems("load/wrong-arity.sch").count == 2)
    #expect(loadProblems("load/undefined-variable.sch").count == 3)
    #expect(loadProblems("load/compile-references.sch").count == 3)
    #expect(loadProblems("load/resolver-references.sch").count == 3)
  }

  @Test func severalProblemsInOneFileAreAllReported() throws {
    let file = "load/several-problems.sch"
    let problems = loadProblems(file)
    let expected: [(SchematronProblem.Kind, String, String, String)] = [
      (.unknownPrefix, "x:item", "x:item", "prefix 'x'"),
      (.xpathSyntax, "count(item\"", "count(item", "expected ')'"),
      (.unknownVariable, "$nowhere", "$nowhere", "$nowhere"),
      (.unknownFunction, "frobnicate", "frobnicate(.)", "unknown function frobnicate()"),
      (.unknownFunction, "starts-with", "starts-with(@a)", "takes 2 argument(s), not 1"),
    ]
    #expect(problems.count == expected.count, "\(problems)")
    for (kind, marker, expression, message) in expected {
      try expectProblem(
        problems,
        Expected(file: file, kind: kind, marker: marker, expression: expression, messageContains: message))
    }
    // In the order of the file.
    #expect(problems.map(\.location.line) == problems.map(\.location.line).sorted())
  }

  @Test func includeCycleNamesTheChain() throws {
    let problems = loadProblems("load/include-cycle/a.sch")
    let problem = try #require(problems.first { $0.kind == .includeCycle }, "\(problems)")
    #expect(problem.message.contains("a.sch → b.sch → a.sch"), "\(problem.message)")
    #expect(problem.location.file.hasSuffix("load/include-cycle/b.sch"))
    #expect(problem.location.line == (try Fixture.line(of: "a.sch", in: "load/include-cycle/b.sch")))
  }

  @Test func includingOwnSchemaByFragmentIsACycle() throws {
    // `#whole` is the schema element of the including file itself: reading it would recurse forever.
    let problems = loadProblems("load/include-cycle/self-fragment.sch")
    let problem = try #require(problems.first { $0.kind == .includeCycle }, "\(problems)")
    #expect(problem.message.contains("self-fragment.sch"))
    #expect(problem.location.line == (try Fixture.line(of: "<include", in: "load/include-cycle/self-fragment.sch")))
  }

  @Test func ruleExtendingItselfByHrefIsACycle() throws {
    let problems = loadProblems("load/include-cycle/extends-self.sch")
    let problem = try #require(problems.first { $0.kind == .includeCycle }, "\(problems)")
    #expect(problem.message.contains("self-extending-rule.sch → self-extending-rule.sch"), "\(problem.message)")
    #expect(problem.location.file.hasSuffix("self-extending-rule.sch"))
  }

  @Test func missingIncludeFile() throws {
    let problems = loadProblems("load/missing-include.sch")
    #expect(problems.count == 1)
    let problem = try #require(problems.first)
    #expect(problem.kind == .unreadable)
    #expect(problem.message.contains("parts/not-there.sch"))
    #expect(problem.location.file == Fixture.path("load/missing-include.sch"))
    #expect(problem.location.line == (try Fixture.line(of: "not-there", in: "load/missing-include.sch")))
  }

  @Test func includesOutsideThePackAreRefusedUnread() throws {
    let file = "load/include-outside/pack/pack.sch"
    let problems = loadProblems(file)
    for href in ["../../etc/passwd", "/etc/passwd", "http://example.org/rules.sch", "../outside.sch"] {
      let line = try Fixture.line(of: "\"\(href)\"", in: file)
      let matching = problems.filter { $0.location.line == line }
      #expect(matching.count == 1, "\(href): \(problems)")
      #expect(matching.first?.kind == .includeOutsideRoot, "\(href)")
      #expect(matching.first?.message.contains("'\(href)'") == true, "\(href)")
    }
    #expect(problems.count == 4)
    #expect(!problems.contains { $0.message.contains("OUTSIDE-RULE-WAS-READ") || $0.message.contains("root:") })
  }

  @Test func includeRootCanBeWidened() throws {
    // With the loader's root one level up, ../outside.sch becomes legal and its rule is read.
    let options = SchemaLoader.Options(root: URL(fileURLWithPath: Fixture.path("load/include-outside")))
    let text = """
      <schema xmlns="http://purl.oclc.org/dsdl/schematron">
        <pattern><include href="../outside.sch"/></pattern>
      </schema>
      """
    let schema = try SchemaLoader.load(
      bytes: Array(text.utf8), sourceName: "inline.sch",
      baseURL: URL(fileURLWithPath: Fixture.path("load/include-outside/pack/inline.sch")), options: options)
    #expect(schema.patterns.first?.rules.first?.context == "/*")
  }

  @Test func unknownPhase() throws {
    let schema = try SchemaLoader.load(contentsOfFile: Fixture.path("constructs/phases.sch"))
    let attempts: [() throws -> Void] = [
      { _ = try Resolver.resolve(schema, phase: "nosuch") },
      { _ = try CompiledSchema(schema, options: .init(phase: "nosuch")) },
    ]
    for attempt in attempts {
      let error = try #require(throws: SchematronLoadError.self) { try attempt() }
      #expect(error.problems.count == 1)
      let problem = try #require(error.problems.first)
      #expect(problem.kind == .unknownReference)
      #expect(problem.message.contains("'nosuch'"))
      #expect(problem.message.contains("basic, full"))
      #expect(problem.location.file == Fixture.path("constructs/phases.sch"))
      #expect(problem.location.line == (try Fixture.line(of: "<schema", in: "constructs/phases.sch")))
    }
  }

  @Test func unknownDefaultPhase() throws {
    let error = try #require(throws: SchematronLoadError.self) {
      _ = try compileInline(
        "<pattern id='p'><rule context='/*'><assert test='true()'>ok</assert></rule></pattern>",
        attributes: "defaultPhase='missing'")
    }
    #expect(error.problems.map(\.kind) == [.unknownReference])
    #expect(error.problems.first?.message.contains("'missing'") == true)
  }

  @Test func phaseActivatingUnknownPattern() throws {
    let error = try #require(throws: SchematronLoadError.self) {
      _ = try compileInline(
        """
        <phase id="ph"><active pattern="ghost"/></phase>
        <pattern id="p"><rule context="/*"><assert test="true()">ok</assert></rule></pattern>
        """)
    }
    #expect(error.problems.map(\.kind) == [.unknownReference])
    #expect(error.problems.first?.message.contains("'ghost'") == true)
  }

  @Test func rootElementMustBeSchematronSchema() throws {
    for file in ["load/not-schematron.sch", "load/pattern-root.sch"] {
      let problems = loadProblems(file)
      #expect(problems.count == 1, "\(file)")
      #expect(problems.first?.kind == .malformed)
      #expect(problems.first?.message.contains("root element must be <schema>") == true)
      #expect(problems.first?.location.file == Fixture.path(file))
      #expect(problems.first?.location.line == 2)
    }
  }

  @Test func malformedXMLNamesTheLine() throws {
    let file = "load/malformed-xml.sch"
    let problems = loadProblems(file)
    #expect(problems.count == 1)
    let problem = try #require(problems.first)
    #expect(problem.kind == .unreadable)
    #expect(problem.location.file == Fixture.path(file))
    #expect(problem.location.line == (try Fixture.line(of: "</patern>", in: file)))
    #expect(problem.message.lowercased().contains("patern"))
  }

  @Test func missingSchemaFile() throws {
    let problems = loadProblems("load/there-is-no-such-file.sch")
    #expect(problems.map(\.kind) == [.unreadable])
  }

  @Test func problemInIncludedFileNamesThatFile() throws {
    let problems = loadProblems("load/error-in-include/main.sch")
    #expect(problems.count == 1)
    let problem = try #require(problems.first)
    #expect(problem.kind == .xpathSyntax)
    #expect(problem.expression == "@a = = 1")
    #expect(problem.location.file.hasSuffix("load/error-in-include/parts/rule.sch"), "\(problem.location.file)")
    #expect(problem.location.line == (try Fixture.line(of: "@a = = 1", in: "load/error-in-include/parts/rule.sch")))
  }

  @Test func malformedElementsAreReported() throws {
    let error = try #require(throws: SchematronLoadError.self) {
      _ = try compileInline(
        """
        <let value="1"/>
        <pattern>
          <rule><assert test="true()">no context</assert></rule>
          <rule context="/*"><assert>no test</assert><bogus/></rule>
        </pattern>
        <ns prefix="only"/>
        """)
    }
    #expect(error.problems.count == 5, "\(error.problems)")
    #expect(error.problems.allSatisfy { $0.kind == .malformed })
    #expect(error.problems.allSatisfy { $0.location.file == "inline.sch" && $0.location.line > 0 })
  }

  @Test func duplicateIDs() throws {
    let error = try #require(throws: SchematronLoadError.self) {
      _ = try compileInline(
        """
        <pattern id="same"><rule context="/*"><assert test="true()" diagnostics="d">x</assert></rule></pattern>
        <pattern id="same"><rule context="/*"><assert test="true()">x</assert></rule></pattern>
        <diagnostics><diagnostic id="d">one</diagnostic><diagnostic id="d">two</diagnostic></diagnostics>
        """)
    }
    #expect(error.problems.map(\.kind) == [.duplicateID], "\(error.problems)")
    #expect(error.problems.first?.message.contains("diagnostic id 'd'") == true)
  }

  @Test func ruleContextMustBeAPattern() throws {
    let error = try #require(throws: SchematronLoadError.self) {
      _ = try compileInline(
        "<pattern><rule context=\"count(//a) > 1\"><assert test=\"true()\">x</assert></rule></pattern>")
    }
    #expect(error.problems.map(\.kind) == [.malformed])
    #expect(error.problems.first?.expression == "count(//a) > 1")
  }
}

@Suite("Resolver limits")
struct ResolverLimitTests {
  /// Found by fuzzing: a chain of 12 000 abstract rules extending each other overflowed the stack.
  @Test func longExtendsChainIsAnError() throws {
    var text = "<schema xmlns=\"http://purl.oclc.org/dsdl/schematron\"><pattern>"
    text += "<rule context=\"a\"><extends rule=\"r0\"/></rule>"
    for index in 0..<5_000 {
      text += "<rule abstract=\"true\" id=\"r\(index)\"><extends rule=\"r\(index + 1)\"/></rule>"
    }
    text += "<rule abstract=\"true\" id=\"r5000\"><assert test=\"true()\">x</assert></rule></pattern></schema>"
    let schema = try SchemaLoader.load(bytes: Array(text.utf8), sourceName: "chain.sch")
    do {
      _ = try Resolver.resolve(schema)
      Issue.record("a 5 000-long extends chain was accepted")
    } catch let error as SchematronLoadError {
      #expect(error.description.contains("extends chains deeper than 64"))
    }
  }
}
