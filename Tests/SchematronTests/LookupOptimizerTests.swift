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

@Suite("Indexed sibling lookups")
struct SiblingLookupTests {
  static let schema = """
    <schema xmlns="http://purl.oclc.org/dsdl/schematron">
      <ns prefix="d" uri="urn:t"/>
      <pattern>
        <rule context="d:ref">
          <let name="x" value="@to"/>
          <report id="repeat" test="preceding-sibling::d:ref[@to = $x]">repeat <value-of select="@to"/></report>
          <report id="later" test="count(following-sibling::d:ref[@to = current()/@to]) &gt; 1">twice more</report>
          <assert id="same-list" test="count(preceding-sibling::d:ref[@to = current()/@to]) &lt; 3">too many</assert>
          <report id="filtered" test="//d:ref[@to = $x][not(@skip)][@to != 'v0']">filtered <value-of select="@to"/></report>
          <report id="positional" test="//d:ref[@to = $x][2] = .">second of its value in its list</report>
        </rule>
      </pattern>
    </schema>
    """

  /// Random documents: several lists, random values with repeats, other elements between.
  static func document(seed: UInt64) -> String {
    var state = seed
    func next(_ bound: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((state >> 33) % UInt64(bound))
    }
    var text = "<r xmlns=\"urn:t\">"
    for _ in 0..<(2 + next(4)) {
      text += "<list>"
      for _ in 0..<(5 + next(30)) {
        text +=
          next(5) == 0 ? "<other to=\"v\(next(4))\"/>" : "<ref to=\"v\(next(6))\"\(next(3) == 0 ? " skip=\"1\"" : "")/>"
      }
      text += "</list>"
    }
    return text + "</r>"
  }

  @Test(arguments: 1...20)
  func sameFindingsAsWritten(seed: Int) throws {
    let loaded = try SchemaLoader.load(bytes: Array(Self.schema.utf8), sourceName: "s.sch")
    let optimized = try CompiledSchema(loaded)
    let plain = try CompiledSchema(loaded, options: .init(optimizeLookups: false))
    // repeat, later, same-list and filtered are indexed; positional ([2]) is not.
    #expect(optimized.indexedExpressionCount == 4)
    let document = try Document(string: Self.document(seed: UInt64(seed)))
    let a = LookupOptimizerTests.findings(optimized, document)
    #expect(a == LookupOptimizerTests.findings(plain, document))
    #expect(!a.isEmpty)
  }
}
