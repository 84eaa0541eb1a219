import Foundation
import Schematron
import TestSupport
import Testing
import XMLCore

/// SVRL output: valid against the ISO SVRL 2016 grammar, and saying what the result says.
@Suite("SVRL")
struct SVRLTests {
  static let grammar = Fixtures.root.deletingLastPathComponent().appendingPathComponent("shared/schemas/svrl-2016.rng")
  static let xmllint = "/usr/bin/xmllint"

  /// Renders the SVRL of a fixture schema on a fixture document.
  func render(
    _ schema: String, _ document: String, phase: String? = nil
  ) throws -> (svrl: String, result: ValidationResult) {
    let compiled = try Fixture.compile(schema, options: .init(phase: phase))
    let result = Evaluator(compiled).validate(
      try Fixture.document(document), options: .init(recordFiredRules: true))
    return (SVRLWriter.render(result, schema: compiled), result)
  }

  /// Validates `svrl` with xmllint against the SVRL grammar; fails (never skips) when either is missing.
  func expectValid(_ svrl: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    try #require(
      FileManager.default.fileExists(atPath: Self.grammar.path),
      "the SVRL grammar is missing at \(Self.grammar.path)", sourceLocation: sourceLocation)
    try #require(
      FileManager.default.isExecutableFile(atPath: Self.xmllint), "xmllint is missing at \(Self.xmllint)",
      sourceLocation: sourceLocation)
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let file = directory.appendingPathComponent("report.svrl")
    try svrl.write(to: file, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.xmllint)
    process.arguments = ["--noout", "--relaxng", Self.grammar.path, file.path]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(
      process.terminationStatus == 0, "SVRL is not valid:\n\(output)\n\(svrl)", sourceLocation: sourceLocation)
  }

  /// An XPath context on the parsed SVRL with the `svrl` and `normcheck` prefixes.
  func parse(_ svrl: String) throws -> XPathContext {
    let document = try Document(string: svrl, sourceName: "report.svrl")
    return XPathContext(
      document: document, namespaces: ["svrl": SVRLWriter.namespace, "normcheck": SVRLWriter.extensionNamespace])
  }

  func strings(_ context: XPathContext, _ expression: String) throws -> [String] {
    try context.evaluate(expression).nodes.map(\.stringValue)
  }

  func number(_ context: XPathContext, _ expression: String) throws -> Double {
    try context.evaluate(expression).numberValue
  }

  @Test func diagnosticsAndProperties() throws {
    let (svrl, result) = try render("constructs/messages.sch", "constructs/messages.xml")
    try expectValid(svrl)
    let context = try parse(svrl)
    #expect(try number(context, "count(//svrl:failed-assert)") == Double(result.findings.count))
    #expect(try number(context, "count(//svrl:failed-assert)") == 1)
    #expect(try strings(context, "//svrl:failed-assert/@id") == ["positive"])
    #expect(try strings(context, "//svrl:failed-assert/@location") == ["/*:doc[1]/*:item[1]"])
    #expect(try strings(context, "//svrl:failed-assert/@test") == ["@v > 0"])
    #expect(
      try strings(context, "//svrl:failed-assert/svrl:text")
        == ["Element x:item (child x:sub) has a bad value -2 rtl."])
    #expect(try strings(context, "//svrl:diagnostic-reference/@diagnostic") == ["fix-it", "where"])
    #expect(try strings(context, "//svrl:diagnostic-reference/svrl:text") == ["Set v of i1 above zero.", "In x:doc."])
    #expect(try strings(context, "//svrl:property-reference/@property") == ["norm"])
    #expect(try strings(context, "//svrl:property-reference/@role") == ["citation"])
    #expect(try strings(context, "//svrl:property-reference/svrl:text") == ["Norm N-42"])
    #expect(try strings(context, "//svrl:ns-prefix-in-attribute-values/@prefix") == ["x"])
    #expect(try strings(context, "//svrl:ns-prefix-in-attribute-values/@uri") == ["urn:example:x"])
    #expect(try strings(context, "//svrl:active-pattern/@id") == ["messages"])
    #expect(try strings(context, "//svrl:fired-rule/@context") == ["x:item", "x:item"])
    // Line, column and severity travel in the extension element.
    #expect(try strings(context, "//svrl:failed-assert/svrl:text/normcheck:location/@line") == ["2"])
    #expect(try strings(context, "//svrl:failed-assert/svrl:text/normcheck:location/@severity") == ["error"])
    // No phase attribute for #ALL.
    #expect(try number(context, "count(/svrl:schematron-output/@phase)") == 0)
  }

  @Test func patternThatFiresNothing() throws {
    let (svrl, _) = try render("svrl/silent.sch", "constructs/lets.xml")
    try expectValid(svrl)
    let context = try parse(svrl)
    #expect(try strings(context, "/svrl:schematron-output/@title") == ["One pattern fires, one handles nothing"])
    #expect(try strings(context, "/svrl:schematron-output/@schemaVersion") == ["1.0"])
    #expect(try strings(context, "//svrl:active-pattern/@id") == ["fires"])
    #expect(try strings(context, "//svrl:active-pattern/@name") == ["Fires on the root"])
    #expect(try number(context, "count(//comment()[contains(., 'silent')])") == 1)
    #expect(try strings(context, "//svrl:fired-rule/@role") == ["warning"])
    #expect(try strings(context, "//svrl:successful-report/@role") == ["info"])
    #expect(try strings(context, "//svrl:successful-report/@flag") == ["seen"])
    #expect(try strings(context, "//svrl:successful-report/svrl:text") == ["root & all <fine>"])
    #expect(try strings(context, "//svrl:successful-report/svrl:text/normcheck:location/@severity") == ["info"])
    #expect(try number(context, "count(//svrl:failed-assert)") == 0)
  }

  @Test func namedPhase() throws {
    let (svrl, _) = try render("constructs/phases.sch", "constructs/lets.xml", phase: "full")
    try expectValid(svrl)
    let context = try parse(svrl)
    #expect(try strings(context, "/svrl:schematron-output/@phase") == ["full"])
    #expect(try strings(context, "//svrl:active-pattern/@id") == ["p1", "p2"])
    #expect(try strings(context, "//svrl:successful-report/@id") == ["r1", "r2"])
    #expect(try strings(context, "//svrl:successful-report/@location") == ["/doc[1]", "/doc[1]"])
  }

  @Test func firingsAndFindingsInterleave() throws {
    let (svrl, result) = try render("constructs/first-match.sch", "constructs/first-match.xml")
    try expectValid(svrl)
    let context = try parse(svrl)
    #expect(try number(context, "count(//svrl:fired-rule)") == 6)
    #expect(try number(context, "count(//svrl:successful-report)") == Double(result.findings.count))
    // Each report comes straight after the fired-rule it belongs to, under its active pattern.
    let reports = try context.evaluate("//svrl:successful-report").nodes
    let owners = try reports.map { report in
      try context.evaluate("preceding-sibling::*[1][self::svrl:fired-rule]/@context", at: report).stringValue
    }
    #expect(owners == ["*", "item", "item[@special]", "*", "item", "item"])
    let patterns = try reports.map { report in
      try context.evaluate("preceding-sibling::svrl:active-pattern[1]/@id", at: report).stringValue
    }
    #expect(patterns == ["first", "first", "first", "first", "second", "second"])
    #expect(
      try strings(context, "//svrl:successful-report/@location") == result.findings.map(\.location.path))
  }

  @Test func repeatedIDsStayUniqueAndValid() throws {
    let (svrl, result) = try render("svrl/repeated.sch", "svrl/repeated.xml")
    #expect(result.findings.count == 5)
    try expectValid(svrl)
    let context = try parse(svrl)
    #expect(try number(context, "count(//svrl:failed-assert)") == 4)
    #expect(try number(context, "count(//svrl:successful-report)") == 1)
    #expect(try number(context, "count(//svrl:fired-rule)") == 4)
    #expect(
      try strings(context, "//svrl:failed-assert/svrl:text")
        == ["item i1 has no v", "item x has no v", "odd name", "item i4 has no v"])
    #expect(
      try strings(context, "//svrl:failed-assert/@location") == [
        "/doc[1]/item[1]", "/doc[1]/item[3]", "/doc[1]/item[3]", "/doc[1]/item[4]",
      ])
    // Every assertion id is still recorded, on the element or in the extension.
    #expect(
      try strings(context, "//svrl:failed-assert/@id | //svrl:failed-assert/svrl:text/normcheck:location/@id").sorted()
        == ["1st-letter", "has-v", "has-v", "has-v"])
  }

  @Test func patternWithDocuments() throws {
    let (svrl, result) = try render("constructs/documents/schema.sch", "constructs/documents/data/main.xml")
    #expect(result.findings.count == 3)
    try expectValid(svrl)
    let context = try parse(svrl)
    #expect(try strings(context, "//svrl:active-pattern/@documents") == ["/doc/ref/@href"])
    #expect(try number(context, "count(//svrl:fired-rule)") == 3)
    #expect(try strings(context, "//svrl:successful-report/svrl:text") == ["main", "part one", "part two"])
    #expect(try number(context, "count(//comment()[contains(., 'part1.xml')])") == 1)
  }

  @Test func abstractPatternTestsAreEscaped() throws {
    let (svrl, _) = try render("constructs/abstract.sch", "constructs/abstract.xml")
    try expectValid(svrl)
    let context = try parse(svrl)
    #expect(try strings(context, "//svrl:failed-assert/@test") == ["number(@v) <= 10", "number(@v) <= 3"])
    #expect(try strings(context, "//svrl:active-pattern/@id") == ["items", "boxes"])
  }

  @Test func renderingTwiceGivesTheSameText() throws {
    let first = try render("constructs/messages.sch", "constructs/messages.xml").svrl
    let second = try render("constructs/messages.sch", "constructs/messages.xml").svrl
    #expect(first == second)
  }
}
