import Foundation
import Schematron
import TestSupport
import Testing
import XMLCore

/// An expression that fails while checking a document becomes an EvaluationFailure; the rest
/// of the document is still checked.
@Suite("Evaluation failures")
struct EvaluationErrorTests {
  static let vocabularyRules = """
    <pattern id="p">
      <rule id="r1" context="item">
        <report id="before" test="true()">before <value-of select="@term"/></report>
        <assert id="vocab" test="nc:in-vocabulary(@term, 'unloaded')">unknown term</assert>
        <report id="after" test="true()">after <value-of select="@term"/></report>
      </rule>
    </pattern>
    <pattern id="p2">
      <rule id="r2" context="doc">
        <report id="other" test="count(item) = 2">other rule</report>
      </rule>
    </pattern>
    """

  @Test func failingAssertIsReportedAndTheRestStillRuns() throws {
    let schema = try compileInline(Self.vocabularyRules)
    let result = Evaluator(schema).validate(
      try Document(string: "<doc>\n<item term='a'/>\n<item term='b'/>\n</doc>", sourceName: "terms.xml"))
    #expect(
      result.findings.map { "\($0.assertionID ?? "-"): \($0.text)" } == [
        "before: before a", "after: after a", "before: before b", "after: after b", "other: other rule",
      ])
    #expect(result.failures.count == 2)
    for (failure, line) in zip(result.failures, [2, 3]) {
      #expect(failure.assertionID == "vocab")
      #expect(failure.ruleID == "r1")
      #expect(failure.patternID == "p")
      #expect(failure.expression == "nc:in-vocabulary(@term, 'unloaded')")
      #expect(failure.message.contains("no vocabulary named 'unloaded'"), "\(failure.message)")
      #expect(failure.location?.file == "terms.xml")
      #expect(failure.location?.line == line)
      #expect(failure.schemaLocation.file == "inline.sch")
      #expect(failure.description.contains("cannot evaluate 'nc:in-vocabulary(@term, 'unloaded')'"))
    }
    #expect(!result.isClean(atOrAbove: .fatal))
  }

  @Test func theSameSchemaWithTheVocabularyLoadedHasNoFailure() throws {
    let schema = try compileInline(
      Self.vocabularyRules, options: .init(vocabularies: ["unloaded": Vocabulary(parents: ["a": String?.none])]))
    let result = Evaluator(schema).validate(try Document(string: "<doc><item term='a'/><item term='b'/></doc>"))
    #expect(result.failures.isEmpty)
    #expect(result.findings.filter { $0.assertionID == "vocab" }.map(\.location.path) == ["/doc[1]/item[2]"])
  }

  @Test func operationBudgetExceededIsAFailureOfThatAssert() throws {
    var xml = "<doc>"
    for index in 0..<300 { xml += "<item n='\(index)'/>" }
    xml += "</doc>"
    let schema = try compileInline(
      """
      <pattern id="costly">
        <rule id="root" context="/doc">
          <report id="cheap" test="item">cheap</report>
          <assert id="expensive" test="count(item[count(../item) = 300]) = 0">quadratic</assert>
        </rule>
      </pattern>
      """)
    let document = try Document(string: xml, sourceName: "big.xml")
    let unlimited = Evaluator(schema).validate(document)
    #expect(unlimited.failures.isEmpty)
    #expect(unlimited.findings.compactMap(\.assertionID) == ["cheap", "expensive"])

    let limited = Evaluator(schema).validate(document, options: .init(operationLimit: 20_000))
    #expect(limited.findings.compactMap(\.assertionID) == ["cheap"])
    #expect(limited.failures.count == 1, "\(limited.failures)")
    let failure = try #require(limited.failures.first)
    #expect(failure.assertionID == "expensive")
    #expect(failure.ruleID == "root")
    #expect(failure.expression == "count(item[count(../item) = 300]) = 0")
    #expect(failure.message.contains("operation budget"), "\(failure.message)")
    #expect(failure.location?.path == "/doc[1]")
  }

  @Test func failuresInMessagesLetsAndSubjectsAreReported() throws {
    let result = try evaluateInlineRule(
      """
      <rule context="item" subject="nc:in-vocabulary(., 'v2')">
        <let name="bad" value="nc:in-vocabulary(., 'v1')"/>
        <report id="r" test="true()">text <value-of select="nc:in-vocabulary(., 'v3')"/> end</report>
      </rule>
      """, document: "<doc><item/></doc>")
    #expect(result.findings.map(\.text) == ["text end"])
    #expect(result.findings.first?.location.path == "/doc[1]/item[1]")
    let messages = result.failures.map(\.message)
    #expect(result.failures.count == 3, "\(result.failures)")
    for name in ["v1", "v2", "v3"] {
      #expect(messages.contains { $0.contains("'\(name)'") }, "\(name): \(messages)")
    }
  }

  @Test func maxFindingsTruncates() throws {
    let schema = try compileInline(
      """
      <pattern id="p1"><rule context="item"><report id="each" test="true()">item</report></rule></pattern>
      <pattern id="p2"><rule context="doc"><report id="late" test="true()">late</report></rule></pattern>
      """)
    let document = try Document(string: "<doc>" + String(repeating: "<item/>", count: 10) + "</doc>")
    let cut = Evaluator(schema).validate(document, options: .init(maxFindings: 4))
    #expect(cut.truncated)
    #expect(cut.findings.count == 4)
    #expect(cut.findings.allSatisfy { $0.assertionID == "each" })
    let exact = Evaluator(schema).validate(document, options: .init(maxFindings: 11))
    #expect(!exact.truncated)
    #expect(exact.findings.count == 11)
    let whole = Evaluator(schema).validate(document)
    #expect(!whole.truncated)
    #expect(whole.findings.last?.assertionID == "late")
  }
}
