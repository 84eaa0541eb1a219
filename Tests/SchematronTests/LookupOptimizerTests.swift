import Foundation
import Schematron
import TestSupport
import Testing
import XMLCore

/// The lookup optimizer must never change a result: every conformance case gives the same
/// findings with and without it, and values that are not strings or node-sets fall back.
@Suite("Indexed lookups")
struct LookupOptimizerTests {
  static func findings(_ schema: CompiledSchema, _ document: Document) -> [String] {
    Evaluator(schema).validate(document).findings.map {
      "\($0.kind) \($0.assertionID ?? "-") \($0.location.path) \($0.text)"
    }
  }

  @Test(arguments: ConformanceTests.runs)
  func sameFindingsWithAndWithoutIndexes(run: ConformanceTests.Run) throws {
    let directory = ConformanceTests.casesDirectory.appendingPathComponent(run.caseName)
    let path = directory.appendingPathComponent("schema.sch").path
    let optimized = try CompiledSchema.load(contentsOfFile: path, options: .init(phase: run.phase))
    let plain = try CompiledSchema.load(contentsOfFile: path, options: .init(phase: run.phase, optimizeLookups: false))
    #expect(plain.indexedExpressionCount == 0)
    let document = try Document(contentsOfFile: directory.appendingPathComponent(run.document).path)
    #expect(Self.findings(optimized, document) == Self.findings(plain, document))
  }

  static let schema = """
    <schema xmlns="http://purl.oclc.org/dsdl/schematron">
      <ns prefix="d" uri="urn:t"/>
      <pattern>
        <rule context="d:f">
          <assert id="unique" test="count(//d:f[@id = current()/@id]) = 1">dup <value-of select="@id"/></assert>
        </rule>
        <rule context="d:ref">
          <let name="r" value="@to"/>
          <assert id="resolves" test="//d:f[@id = $r]">dangling <value-of select="@to"/></assert>
          <assert id="numeric" test="not(//d:f[@n = 7])">some f has n equal to the number 7</assert>
          <assert id="relative" test="count(//d:f[@id = ../@to]) = 0">not rewritten: relative value</assert>
        </rule>
      </pattern>
    </schema>
    """

  @Test func naturalFormsAreIndexedAndRelativeOnesAreNot() throws {
    let schema = try CompiledSchema(SchemaLoader.load(bytes: Array(Self.schema.utf8), sourceName: "t.sch"))
    // unique, resolves and numeric are rewritten; relative is not (its value depends on the f tested).
    #expect(schema.indexedExpressionCount == 3)
    let document = try Document(
      string: """
        <r xmlns="urn:t"><f id="a" n="7.0"/><f id="b" n="x"/><f id="a"/><ref to="b"/><ref to="zz"/></r>
        """)
    let result = Evaluator(schema).validate(document)
    #expect(result.failures.isEmpty)
    let fired = result.findings.map { "\($0.assertionID!) \($0.location.path)" }
    #expect(
      fired == [
        "unique /*:r[1]/*:f[1]", "unique /*:r[1]/*:f[3]",
        // n = 7 is a numeric comparison: '7.0' equals 7, which the fallback finds.
        "numeric /*:r[1]/*:ref[1]", "resolves /*:r[1]/*:ref[2]", "numeric /*:r[1]/*:ref[2]",
      ])
    let plain = try CompiledSchema(
      SchemaLoader.load(bytes: Array(Self.schema.utf8), sourceName: "t.sch"), options: .init(optimizeLookups: false))
    #expect(LookupOptimizerTests.findings(plain, document) == LookupOptimizerTests.findings(schema, document))
  }
}
