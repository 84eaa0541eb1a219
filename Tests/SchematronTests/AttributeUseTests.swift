import Foundation
import Schematron
import Testing
import XMLCore

/// What a schema's expressions can read of a checked document's attributes
/// (``CompiledSchema/attributesRead``), and that checking a document parsed with only those
/// gives the findings of the whole document.
@Suite("Attributes a schema reads")
struct AttributeUseTests {
  static func schema(_ body: String, extra: String = "") throws -> CompiledSchema {
    let text = """
      <schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt">
        <ns prefix="a" uri="urn:a"/><ns prefix="b" uri="urn:b"/>
        \(extra)
        <pattern>\(body)</pattern>
      </schema>
      """
    return try CompiledSchema(SchemaLoader.load(bytes: Array(text.utf8), sourceName: "use.sch"))
  }

  static func names(_ projection: AttributeProjection) -> String { projection.description }

  @Test func namesEveryAttributeStepOfEveryExpression() throws {
    let compiled = try Self.schema(
      """
      <let name="n" value="count(//a:f[@kind = 'x'])"/>
      <rule context="a:f[@b:flag]" subject="@subj">
        <let name="v" value="@val"/>
        <assert test="@id != '' and attribute::a:q" subject="@asubj" diagnostics="d">
          <value-of select="@msg"/> <name path="@named"/> <emph><value-of select="../@parent"/></emph>
        </assert>
        <report test="key('k', @ref) and @b:*">x</report>
      </rule>
      """,
      extra: """
        <let name="g" value="/a:r/@version"/>
        <xsl:key xmlns:xsl="http://www.w3.org/1999/XSL/Transform" name="k" match="a:f" use="@keyed"/>
        <diagnostics><diagnostic id="d"><value-of select="@diag"/></diagnostic></diagnostics>
        <properties><property id="p"><value-of select="@prop"/></property></properties>
        """)
    #expect(
      Self.names(compiled.attributesRead)
        == "{urn:a}q {urn:b}* {urn:b}flag {}asubj {}diag {}id {}keyed {}kind {}msg {}named {}parent {}prop {}ref {}subj {}val {}version"
    )
  }

  @Test(arguments: [
    "@*", "attribute::node()", "count(@*) > 1", "name(@*[1]) = 'x'", "id('x')", "a:f[@*]",
  ])
  func anyAttributeMeansNoProjection(_ test: String) throws {
    let compiled = try Self.schema("<rule context=\"a:f\"><assert test=\"\(test)\">x</assert></rule>")
    #expect(compiled.attributesRead.keepsAll)
  }

  @Test func aRuleContextOnAnyAttributeMeansNoProjection() throws {
    #expect(try Self.schema("<rule context=\"@*\"><assert test=\"true()\">x</assert></rule>").attributesRead.keepsAll)
    let named = try Self.schema("<rule context=\"a:f/@b:ref\"><assert test=\". != ''\">x</assert></rule>")
    #expect(Self.names(named.attributesRead) == "{urn:b}ref {}id")
  }

  @Test func textTestsOnTheAttributeAxisSelectNothing() throws {
    let compiled = try Self.schema("<rule context=\"a:f\"><assert test=\"not(attribute::text())\">x</assert></rule>")
    #expect(Self.names(compiled.attributesRead) == "{}id")
  }

  /// A document parsed with only what the schema reads gives the whole document's findings.
  @Test func findingsOfAProjectedDocumentAreTheWholeDocuments() throws {
    let compiled = try Self.schema(
      """
      <rule context="a:f[@kind = 'x']">
        <assert test="@b:ref = ../a:f/@id">Facility <value-of select="@id"/> refers to <value-of select="@b:ref"/>.</assert>
        <report test="generate-id(@b:ref) = ''">never</report>
      </rule>
      """)
    var xml = "<r xmlns=\"urn:a\" xmlns:b=\"urn:b\">"
    for index in 0..<500 {
      xml += "<f id=\"f\(index)\" kind=\"\(index % 3 == 0 ? "x" : "y")\" b:ref=\"f\(index * 7 % 600)\""
      xml += " other=\"o\" b:other=\"p\" name=\"n\(index)\"/>"
    }
    xml += "</r>"
    let projection = compiled.attributesRead
    #expect(!projection.keepsAll)
    let whole = try Document(string: xml)
    let projected = try Document(bytes: Array(xml.utf8), keeping: projection)
    #expect(try XPathContext(document: projected).evaluate("count(//@*)").numberValue == 500 * 3)
    let expected = Evaluator(compiled).validate(whole).findings
    #expect(expected.count > 20)
    let findings = Evaluator(compiled).validate(projected).findings
    #expect(findings.map(\.text) == expected.map(\.text))
    #expect(findings.map(\.location) == expected.map(\.location))
  }
}
