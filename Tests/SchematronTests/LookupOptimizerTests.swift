import Foundation
import TestSupport
import Testing
import XMLCore

@testable import Schematron

/// The lookup optimizer must never change a result: every conformance case gives the same
/// findings with and without it, and values that are not strings or node-sets fall back.
@Suite("Indexed lookups")
struct LookupOptimizerTests {
  static func findings(_ schema: CompiledSchema, _ document: Document) -> [String] {
    Evaluator(schema).validate(document).findings.map {
      "\($0.kind) \($0.assertionID ?? "-") \($0.location.path) \($0.text)"
    }
  }

  /// `schema` compiled with every rewrite, and with none: what the rewrites must agree with.
  static func compiledBothWays(
    _ schema: String, name: String
  ) throws -> (
    optimized: CompiledSchema, plain: CompiledSchema
  ) {
    let loaded = try SchemaLoader.load(bytes: Array(schema.utf8), sourceName: name)
    return (
      try CompiledSchema(loaded),
      try CompiledSchema(loaded, options: .init(optimizeLookups: false, hoistInvariants: false))
    )
  }

  @Test(arguments: ConformanceTests.runs)
  func sameFindingsWithAndWithoutIndexes(run: ConformanceTests.Run) throws {
    let directory = ConformanceTests.casesDirectory.appendingPathComponent(run.caseName)
    let path = directory.appendingPathComponent("schema.sch").path
    let optimized = try CompiledSchema.load(contentsOfFile: path, options: .init(phase: run.phase))
    let plain = try CompiledSchema.load(
      contentsOfFile: path, options: .init(phase: run.phase, optimizeLookups: false, hoistInvariants: false))
    #expect(plain.indexedExpressionCount == 0)
    #expect(plain.hoistedExpressionCount == 0)
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
          <!-- Several values (the list's other elements): answered by the Swift function. -->
          <let name="others" value="../d:other/@to"/>
          <report id="repeat" test="preceding-sibling::d:ref[@to = $x]">repeat <value-of select="@to"/></report>
          <report id="several" test="count(following-sibling::d:ref[@to = $others]) = 2">two later refs to others</report>
          <report id="later" test="count(following-sibling::d:ref[@to = current()/@to]) &gt; 1">twice more</report>
          <assert id="same-list" test="count(preceding-sibling::d:ref[@to = current()/@to]) &lt; 3">too many</assert>
          <report id="filtered" test="//d:ref[@to = $x][not(@skip)][@to != 'v0']">filtered <value-of select="@to"/></report>
          <report id="positional" test="//d:ref[@to = $x][2] = .">second of its value in its list</report>
        </rule>
      </pattern>
      <pattern>
        <!-- A namespace node has no siblings: these lookups are always empty. -->
        <rule context="d:ref">
          <let name="all" value="../d:ref/@to"/>
          <let name="one" value="@to"/>
          <report id="namespace-node" test="namespace::*[following-sibling::d:ref[@to = $all] or preceding-sibling::d:ref[@to = $all] or following-sibling::d:ref[@to = $one]] or @to[preceding-sibling::d:ref[@to = $one]]">a namespace node or attribute with siblings</report>
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
    // repeat, several, later, same-list, filtered and namespace-node are indexed; positional ([2]) is not.
    #expect(optimized.indexedExpressionCount == 6)
    let document = try Document(string: Self.document(seed: UInt64(seed)))
    let a = LookupOptimizerTests.findings(optimized, document)
    #expect(a == LookupOptimizerTests.findings(plain, document))
    #expect(!a.isEmpty)
  }

  /// The rule whose lookup has several values (the Swift function's path) fires on some seeds,
  /// so that the comparison above exercises it.
  @Test func severalValuesFireAcrossSeeds() throws {
    let loaded = try SchemaLoader.load(bytes: Array(Self.schema.utf8), sourceName: "s.sch")
    let optimized = try CompiledSchema(loaded)
    let fired = try (1...20).map { seed in
      try LookupOptimizerTests.findings(optimized, Document(string: Self.document(seed: UInt64(seed))))
        .filter { $0.contains(" several ") }.count
    }
    #expect(fired.reduce(0, +) > 0)
  }
}

/// Parts that depend only on the document are computed once per document and written in as
/// literals; the findings and messages must be those of the expressions as written.
@Suite("Invariant parts")
struct InvariantHoistingTests {
  static let schema = """
    <schema xmlns="http://purl.oclc.org/dsdl/schematron">
      <ns prefix="d" uri="urn:t"/>
      <pattern>
        <rule context="d:f">
          <assert id="prefix" test="starts-with(@id, concat(translate(/d:r/@state, 'ABC', 'abc'), '-'))">bad id <value-of select="concat(/d:r/@state, ':', @id)"/></assert>
          <assert id="count" test="@n &lt;= count(/d:r/d:f) - 1">n too large <value-of select="count(/d:r/d:f) * 2"/></assert>
          <assert id="nan" test="not(@n = number(/d:r/@missing))">never: NaN equals nothing</assert>
          <assert id="ratio" test="@n != sum(/d:r/d:f/@n) div 4">a non-integral part stays as written</assert>
          <report id="quotes" test="@label = string(/d:r/@quoted)">label is the quoted text</report>
          <report id="flag" test="/d:r/@flag = 'on' and @n &gt; 1">flagged</report>
          <report id="predicate" test="/d:r/d:f[@n = current()/@n][2]">a repeated n (not hoisted: current())</report>
          <report id="inner" test="count(/d:r/d:f[@id = /d:r/@first]) = 1 and @id = /d:r/@first">the first one</report>
          <report id="negative" test="@n = -count(/d:r/d:g) + 3">n is three minus the g count</report>
        </rule>
      </pattern>
    </schema>
    """

  static let documents = [
    """
    <r xmlns="urn:t" state="XA" flag="on" first="xa-1" quoted="it's &quot;q&quot;"><f id="xa-1" n="0" label="it's &quot;q&quot;"/>
      <f id="xa-2" n="3"/><f id="xb-3" n="2"/><f id="xa-4" n="2"/><g/></r>
    """,
    """
    <r xmlns="urn:t" state="AB" first="none" quoted="plain"><f id="ab-1" n="1" label="plain"/><f id="AB-2" n="3"/></r>
    """,
    "<r xmlns=\"urn:t\"><f id=\"-x\" n=\"x\"/></r>",
  ]

  @Test func sameFindingsAsWritten() throws {
    let loaded = try SchemaLoader.load(bytes: Array(Self.schema.utf8), sourceName: "h.sch")
    let hoisted = try CompiledSchema(loaded)
    let plain = try CompiledSchema(loaded, options: .init(hoistInvariants: false))
    // prefix, count and its message, nan, ratio, quotes, flag and negative; not the predicate
    // (current()), not inner (its count is an indexed lookup first), not the prefix message
    // (its only document-wide part is a node-set).
    #expect(hoisted.hoistedExpressionCount == 8, "\(hoisted.invariants.keys.sorted())")
    #expect(plain.hoistedExpressionCount == 0)
    var fired = Set<String>()
    for text in Self.documents {
      let document = try Document(string: text)
      let expected = LookupOptimizerTests.findings(plain, document)
      #expect(LookupOptimizerTests.findings(hoisted, document) == expected)
      #expect(Evaluator(hoisted).validate(document).failures.isEmpty)
      for finding in expected { fired.insert(String(finding.split(separator: " ")[1])) }
    }
    #expect(fired == ["prefix", "count", "ratio", "quotes", "flag", "predicate", "inner", "negative"])
  }

  @Test func partsAreTakenOnlyAtTheExpressionsOwnLevel() throws {
    func plan(_ source: String) throws -> String? {
      try InvariantHoister.plan(XPathSyntax.parse(source)).map {
        "\($0.template) | \($0.parts.map(\.description).joined(separator: " ; "))"
      }
    }
    #expect(
      try plan("@a = concat(/r/@b, 'x')") == "(attribute::a = $nci:invariant-0) | concat(/child::r/attribute::b, 'x')")
    // Node-sets are not taken (a literal cannot stand for them), nor parts in predicates or steps.
    #expect(try plan("@a = /r/@b") == nil)
    #expect(try plan("f[@a = string(/r/@b)]") == nil)
    #expect(try plan("count(/r/f) + $v") == "($nci:invariant-0 + $v) | count(/child::r/child::f)")
    #expect(try plan("string(/r/f[@a = $v])") == nil)
    #expect(try plan("string()") == nil)
    #expect(try plan("nc:f(/r/@a)") == nil)
    #expect(try plan("string(/r/f[position() = last()])") != nil)
    #expect(
      try plan("count(/r/f[@id = /r/@first]) = 1 and @id = 'x'")
        == "($nci:invariant-0 and (attribute::id = 'x')) | (count(/child::r/child::f[(attribute::id = /child::r/attribute::first)]) = 1)"
    )
  }

  @Test func literalsStateValuesExactly() {
    #expect(InvariantHoister.literal(for: .string("it's")) == .literal("it's"))
    #expect(InvariantHoister.literal(for: .string("it's \"q\"")) == nil)
    #expect(InvariantHoister.literal(for: .number(3)) == .number(3))
    #expect(InvariantHoister.literal(for: .number(-3)) == .negate(.number(3)))
    #expect(InvariantHoister.literal(for: .number(0.1)) == nil)
    #expect(InvariantHoister.literal(for: .number(-0.0)) == nil)
    #expect(InvariantHoister.literal(for: .number(.nan))?.description == "(0 div 0)")
    #expect(InvariantHoister.literal(for: .boolean(false))?.description == "false()")
    #expect(InvariantHoister.literal(for: .nodeSet([])) == nil)
  }

  /// Expressions are compiled from their printed form only where that is exact; the indexes
  /// answer for the session's document only; `key()` and the lookups keep apart.
  @Test func edgesFoundInReview() throws {
    let schema = """
      <schema xmlns="http://purl.oclc.org/dsdl/schematron" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
        <ns prefix="d" uri="urn:t"/>
        <xsl:key name="0" match="d:g" use="@id"/>
        <pattern>
          <rule context="d:r">
            <let name="list" value="d:list"/>
            <report id="tiny" test="@v &gt; 0.0000000000000001 and boolean(/d:r)">v is above 1e-16</report>
            <report id="pi" test="processing-instruction(&quot;it's&quot;) or count(/d:r/d:f) &gt; 5">never (a PI target has no quote)</report>
            <report id="fragment" test="count($list/d:c[preceding-sibling::d:c[@id = 'a']]) = 1">one repeated c</report>
            <report id="key" test="key('0', 'k') and //d:f[@id = current()/@first]">key and lookup</report>
          </rule>
        </pattern>
      </schema>
      """
    let (optimized, plain) = try LookupOptimizerTests.compiledBothWays(schema, name: "e.sch")
    for text in [
      "<r xmlns=\"urn:t\" v=\"0.00000000000000005\" first=\"k\"><f id=\"k\"/><g id=\"k\"/><list><c id=\"a\"/><c id=\"a\"/></list></r>",
      "<r xmlns=\"urn:t\" v=\"0.0000000000000002\" first=\"z\"><f id=\"k\"/><list><c id=\"a\"/><c id=\"b\"/></list></r>",
    ] {
      let document = try Document(string: text)
      let expected = LookupOptimizerTests.findings(plain, document)
      #expect(LookupOptimizerTests.findings(optimized, document) == expected, "\(text)")
      #expect(Evaluator(optimized).validate(document).failures.isEmpty)
    }
    let first = try Document(
      string:
        "<r xmlns=\"urn:t\" v=\"0.00000000000000005\" first=\"k\"><f id=\"k\"/><g id=\"k\"/><list><c id=\"a\"/><c id=\"a\"/></list></r>"
    )
    #expect(
      Set(LookupOptimizerTests.findings(plain, first).map { $0.split(separator: " ")[1] }) == ["fragment", "key"])
  }

  /// Keys and lookups compare values by code points, as XPath does, whichever index answers.
  ///
  /// The shared one of a plain key, or the one an evaluation builds for a filtered match, a
  /// computed `use` or a lookup on a filtered path. A precomposed `é` is not a decomposed one.
  @Test func valuesAreComparedByCodePoints() throws {
    let schema = """
      <schema xmlns="http://purl.oclc.org/dsdl/schematron" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
        <ns prefix="d" uri="urn:t"/>
        <xsl:key name="plain" match="d:a" use="@id"/>
        <xsl:key name="filtered" match="d:a[@id]" use="@id"/>
        <xsl:key name="computed" match="d:a" use="string(@id)"/>
        <pattern>
          <rule context="d:a">
            <report id="same" test="true()"><value-of select="count(key('plain', @id))"/>,<value-of select="count(key('filtered', @id))"/>,<value-of select="count(key('computed', @id))"/>,<value-of select="count(//d:a[@kind][@id = current()/@id])"/></report>
          </rule>
        </pattern>
      </schema>
      """
    let (optimized, plain) = try LookupOptimizerTests.compiledBothWays(schema, name: "k.sch")
    #expect(!optimized.lookups.isEmpty)
    let document = try Document(
      string: "<r xmlns=\"urn:t\"><a id=\"\u{E9}\" kind=\"x\"/><a id=\"e\u{301}\" kind=\"x\"/><a id=\"\u{E9}\"/></r>")
    let texts = Evaluator(optimized).validate(document).findings.map(\.text)
    #expect(texts == ["2,2,2,1", "1,1,1,1", "2,2,2,1"])
    #expect(LookupOptimizerTests.findings(optimized, document) == LookupOptimizerTests.findings(plain, document))
  }
}
