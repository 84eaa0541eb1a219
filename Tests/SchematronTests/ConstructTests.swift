import Foundation
import Schematron
import TestSupport
import Testing
import XMLCore

/// Schematron constructs evaluated on real documents: lets, phases, abstract patterns,
/// extends, includes, messages, subjects, severities, rule order and `@documents`.
@Suite("Schematron constructs")
struct ConstructTests {
  /// `(assertion id, text)` of each finding, in order.
  func summary(_ result: ValidationResult) -> [String] {
    result.findings.map { "\($0.assertionID ?? "-"): \($0.text)" }
  }

  // MARK: Lets

  @Test func letsAtEveryLevelWithShadowingAndRestore() throws {
    let result = try Fixture.validate("constructs/lets.sch", "constructs/lets.xml")
    #expect(result.failures.isEmpty, "\(result.failures)")
    #expect(result.phase == "#ALL")
    #expect(
      summary(result) == [
        // Rule let shadows the pattern let only while its rule fires; the pattern value is back
        // for the next firing of the other rule.
        "restored: pattern-3", "shadowed: rule-2", "restored: pattern-3",
        // Schema let by value; schema let by content (two elements); rule lets in order.
        "schema-let: count=3", "content-let: 2:8:limit", "ordered-let: 1+2",
      ])
    #expect(
      result.findings.map(\.location.path).prefix(3) == ["/doc[1]/item[1]", "/doc[1]/item[2]", "/doc[1]/item[3]"])
  }

  @Test func namedPhaseRunsOnlyItsPatterns() throws {
    let result = try Fixture.validate("constructs/lets.sch", "constructs/lets.xml", compile: .init(phase: "shadowing"))
    #expect(result.phase == "shadowing")
    #expect(Set(result.findings.compactMap(\.patternID)) == ["shadow"])
    #expect(result.findings.count == 3)
  }

  @Test(
    arguments: [
      (nil, "basic", ["r1"]), ("#DEFAULT", "basic", ["r1"]), ("#ALL", "#ALL", ["r1", "r2", "r3"]),
      ("full", "full", ["r1", "r2"]), ("basic", "basic", ["r1"]),
    ] as [(String?, String, [String])])
  func phases(requested: String?, ran: String, ids: [String]) throws {
    let result = try Fixture.validate("constructs/phases.sch", "constructs/lets.xml", compile: .init(phase: requested))
    #expect(result.phase == ran)
    #expect(result.findings.compactMap(\.assertionID) == ids)
    let resolved = try Resolver.resolve(
      SchemaLoader.load(contentsOfFile: Fixture.path("constructs/phases.sch")), phase: requested)
    #expect(resolved.phase == ran)
    #expect(resolved.patterns.compactMap(\.id) == ids.map { "p" + $0.dropFirst() })
  }

  @Test func phaseLets() throws {
    let strict = try Fixture.validate("constructs/phase-let.sch", "constructs/phase-let.xml")
    #expect(strict.phase == "strict")
    #expect(strict.findings.map(\.text) == ["v=7 limit=5", "v=15 limit=5", "v=30 limit=5"])
    let lenient = try Fixture.validate(
      "constructs/phase-let.sch", "constructs/phase-let.xml", compile: .init(phase: "lenient"))
    #expect(lenient.findings.map(\.text) == ["v=30 limit=20"])
    // Under #ALL no phase let is in scope, so $limit is undefined.
    let problems = loadProblems("constructs/phase-let.sch", options: .init(phase: "#ALL"))
    #expect(problems.map(\.kind) == [.unknownVariable, .unknownVariable])
    #expect(problems.map(\.expression) == ["number(@v) <= $limit", "$limit"])
  }

  // MARK: Abstract patterns and extends

  @Test func abstractPatternParametersMatchWholeNames() throws {
    let schema = try Fixture.compile("constructs/abstract.sch")
    #expect(schema.resolved.patterns.map(\.id) == ["items", "boxes"])
    #expect(schema.resolved.patterns.map { $0.rules.map(\.context) } == [["item"], ["box"]])
    let result = Evaluator(schema).validate(try Fixture.document("constructs/abstract.xml"))
    #expect(result.failures.isEmpty, "\(result.failures)")
    // `$a` is not replaced inside `$ab`, nor in a string literal naming `$abc`; literal text stays as written.
    #expect(
      result.findings.map(\.text) == ["$a: item v=11 above 10 ($abc)", "$a: box v=4 above 3 ($abc)"])
    #expect(result.findings.map(\.test) == ["number(@v) <= 10", "number(@v) <= 3"])
    #expect(result.findings.map(\.patternID) == ["items", "boxes"])
    #expect(result.findings.map(\.location.path) == ["/doc[1]/item[2]", "/doc[1]/box[2]"])
  }

  @Test func extendsChainsExpandInOrder() throws {
    let result = try Fixture.validate("constructs/extends.sch", "constructs/extends.xml")
    #expect(result.failures.isEmpty, "\(result.failures)")
    #expect(
      summary(result) == [
        "name: name missing", "id: id missing", "own: v missing", "kind: kind missing on item",
        "name: name missing", "own: v missing", "kind: kind missing on item",
      ])
    #expect(
      result.findings.map(\.location.path) == Array(repeating: "/doc[1]/item[1]", count: 4)
        + Array(repeating: "/doc[1]/item[3]", count: 3))
    // The concrete rule's id and context are reported, not the abstract rule's.
    #expect(result.findings.allSatisfy { $0.ruleContext == "item" })
  }

  // MARK: Includes

  @Test func includeOfPatternRuleAndFragment() throws {
    let schema = try Fixture.compile("constructs/include/main.sch")
    #expect(schema.resolved.patterns.map(\.id) == ["included-pattern", "with-included-rule", "with-fragment"])
    let result = Evaluator(schema).validate(try Fixture.document("constructs/include/doc.xml"))
    #expect(result.failures.isEmpty, "\(result.failures)")
    #expect(
      summary(result) == ["from-pattern-file: pattern file", "from-rule-file: rule file", "from-fragment: fragment b1"])
    #expect(result.findings[1].location.path == "/doc[1]/item[2]")
    #expect(result.findings[0].schemaLocation.file.hasSuffix("constructs/include/parts/pattern.sch"))
    #expect(result.findings[1].schemaLocation.file.hasSuffix("constructs/include/parts/rule.sch"))
    #expect(result.findings[2].schemaLocation.file.hasSuffix("constructs/include/parts/library.xml"))
    #expect(
      result.findings[2].schemaLocation.line
        == (try Fixture.line(of: "from-fragment", in: "constructs/include/parts/library.xml")))
  }

  // MARK: Messages

  @Test func diagnosticsPropertiesAndRichMessages() throws {
    let result = try Fixture.validate("constructs/messages.sch", "constructs/messages.xml")
    #expect(result.failures.isEmpty, "\(result.failures)")
    #expect(result.findings.count == 1)
    let finding = try #require(result.findings.first)
    #expect(finding.assertionID == "positive")
    #expect(finding.text == "Element x:item (child x:sub) has a bad value -2 rtl.")
    #expect(finding.diagnostics.map(\.id) == ["fix-it", "where"])
    #expect(finding.diagnostics.map(\.text) == ["Set v of i1 above zero.", "In x:doc."])
    #expect(finding.diagnostics.map(\.role) == ["hint", nil])
    #expect(finding.properties.map(\.id) == ["norm"])
    #expect(finding.properties.map(\.text) == ["Norm N-42"])
    #expect(finding.properties.map(\.role) == ["citation"])
    #expect(finding.location.path == "/*:doc[1]/*:item[1]")
    #expect(finding.location.line == 2)
    #expect(finding.location.anchoredPath == "//*:item[@id='i1']")
  }

  @Test func subjectOnRuleAndOnAssert() throws {
    let result = try Fixture.validate("constructs/subject.sch", "constructs/subject.xml")
    #expect(result.failures.isEmpty, "\(result.failures)")
    let byID = Dictionary(uniqueKeysWithValues: result.findings.map { ($0.assertionID ?? "", $0.location) })
    #expect(byID.count == 4)
    #expect(byID["rule-subject"]?.path == "/doc[1]/item[1]/@v")
    #expect(byID["rule-subject"]?.line == 2)
    #expect(byID["assert-subject"]?.path == "/doc[1]/item[1]/label[1]")
    #expect(byID["assert-subject"]?.line == 3)
    // A subject selecting nothing leaves the finding on the context node.
    #expect(byID["empty-subject"]?.path == "/doc[1]/item[1]")
    #expect(byID["no-subject"]?.path == "/doc[1]/other[1]")
    #expect(byID["no-subject"]?.line == 5)
  }

  // MARK: Severity

  struct SeverityCase: Sendable, CustomTestStringConvertible {
    var kind: String
    var assertAttributes: String
    var ruleAttributes: String
    var expected: Severity
    var testDescription: String { "<\(kind) \(assertAttributes)> in <rule \(ruleAttributes)> → \(expected)" }
  }

  static let severityCases: [SeverityCase] = [
    SeverityCase(kind: "assert", assertAttributes: "", ruleAttributes: "", expected: .error),
    SeverityCase(kind: "report", assertAttributes: "", ruleAttributes: "", expected: .warning),
    SeverityCase(kind: "assert", assertAttributes: "role='warning'", ruleAttributes: "", expected: .warning),
    SeverityCase(kind: "report", assertAttributes: "role='fatal'", ruleAttributes: "", expected: .fatal),
    SeverityCase(kind: "report", assertAttributes: "role='error'", ruleAttributes: "", expected: .error),
    SeverityCase(kind: "assert", assertAttributes: "role='info' flag='fatal'", ruleAttributes: "", expected: .info),
    SeverityCase(kind: "assert", assertAttributes: "role='custom' flag='warn'", ruleAttributes: "", expected: .warning),
    SeverityCase(kind: "assert", assertAttributes: "", ruleAttributes: "role='info'", expected: .info),
    SeverityCase(kind: "report", assertAttributes: "", ruleAttributes: "role='critical'", expected: .fatal),
    SeverityCase(kind: "assert", assertAttributes: "role='error'", ruleAttributes: "role='info'", expected: .error),
    SeverityCase(kind: "assert", assertAttributes: "flag='note'", ruleAttributes: "role='fatal'", expected: .info),
    SeverityCase(kind: "assert", assertAttributes: "", ruleAttributes: "flag='caution'", expected: .warning),
    SeverityCase(
      kind: "report", assertAttributes: "role='unknown'", ruleAttributes: "role='other'", expected: .warning),
    SeverityCase(kind: "assert", assertAttributes: "role='WARNING'", ruleAttributes: "", expected: .warning),
    SeverityCase(kind: "assert", assertAttributes: "role='violation'", ruleAttributes: "", expected: .error),
    SeverityCase(kind: "report", assertAttributes: "role='hint'", ruleAttributes: "", expected: .info),
  ]

  @Test(arguments: severityCases)
  func severityFromRoleAndFlag(severityCase: SeverityCase) throws {
    // The assert's test is false and the report's is true: both fire.
    let test = severityCase.kind == "assert" ? "false()" : "true()"
    let result = try evaluateInlineRule(
      """
      <rule context="/*" \(severityCase.ruleAttributes)>
        <\(severityCase.kind) id="a" test="\(test)" \(severityCase.assertAttributes)>fired</\(severityCase.kind)>
      </rule>
      """)
    #expect(result.findings.count == 1)
    #expect(result.findings.first?.severity == severityCase.expected)
    #expect(result.isClean(atOrAbove: .error) == (severityCase.expected < .error))
  }

  @Test func findingCarriesRoleFlagAndLinks() throws {
    let result = try evaluateInlineRule(
      """
      <rule context="/*" flag="rule-flag">
        <assert id="a1" test="false()" role="warning" see="https://example.org/a1" icon="i.png" fpi="-//X//A1">one</assert>
        <assert id="a2" test="false()" flag="own-flag">two</assert>
        <report id="r1" test="false()">never</report>
        <assert id="a3" test="true()">never</assert>
      </rule>
      """)
    #expect(result.findings.map(\.assertionID) == ["a1", "a2"])
    #expect(result.findings.map(\.kind) == [.assert, .assert])
    #expect(result.findings.map(\.role) == ["warning", nil])
    #expect(result.findings.map(\.flag) == ["rule-flag", "own-flag"])
    #expect(result.findings[0].see == "https://example.org/a1")
    #expect(result.findings[0].icon == "i.png")
    #expect(result.findings[0].fpi == "-//X//A1")
  }

  // MARK: Rule order

  @Test func firstMatchingRuleHandlesANodeInEachPattern() throws {
    let result = try Fixture.validate("constructs/first-match.sch", "constructs/first-match.xml")
    #expect(result.failures.isEmpty)
    #expect(
      result.findings.map { "\($0.patternID ?? "-")/\($0.assertionID ?? "-")@\($0.location.path)" } == [
        "first/any@/doc[1]", "first/general@/doc[1]/item[1]", "first/special@/doc[1]/item[2]",
        "first/any@/doc[1]/other[1]", "second/second@/doc[1]/item[1]", "second/second@/doc[1]/item[2]",
      ])
  }

  @Test func firedRulesAreRecordedOnlyOnRequest() throws {
    let schema = try Fixture.compile("constructs/first-match.sch")
    let document = try Fixture.document("constructs/first-match.xml")
    #expect(Evaluator(schema).validate(document).firedRules.isEmpty)
    let recorded = Evaluator(schema).validate(document, options: .init(recordFiredRules: true)).firedRules
    #expect(recorded.map { "\($0.patternIndex).\($0.ruleIndex)" } == ["0.2", "0.1", "0.0", "0.2", "1.0", "1.0"])
    #expect(recorded.map(\.firstFinding) == [0, 1, 2, 3, 4, 5])
  }

  // MARK: @documents

  @Test func documentsReadsSiblingFilesAndRefusesEscapes() throws {
    let result = try Fixture.validate("constructs/documents/schema.sch", "constructs/documents/data/main.xml")
    #expect(summary(result) == ["main-seen: main", "part-seen: part one", "part-seen: part two"])
    #expect(result.findings[1].location.file == Fixture.path("constructs/documents/data/part1.xml"))
    #expect(result.findings[2].location.file == Fixture.path("constructs/documents/data/sub/part2.xml"))
    #expect(result.failures.count == 2, "\(result.failures)")
    for (failure, uri) in zip(result.failures, ["../escape.xml", "sub/../../escape.xml"]) {
      #expect(failure.patternID == "others")
      #expect(failure.expression == "/doc/ref/@href")
      #expect(failure.message.contains("'\(uri)'"), "\(failure.message)")
      #expect(failure.message.contains("outside"))
    }
    #expect(!allText(result).contains("ESCAPED-CANARY"))
  }
}

/// Runs an inline schema made of one pattern holding `rule` on `<doc/>`.
func evaluateInlineRule(_ rule: String, document xml: String = "<doc/>") throws -> ValidationResult {
  let schema = try compileInline("<pattern id='p'>\(rule)</pattern>")
  return Evaluator(schema).validate(try Document(string: xml, sourceName: "inline.xml"))
}
