import Foundation
import Testing
import XMLCore

@testable import Schematron

/// The wide forms of expressions, evaluated at elements with large subtrees, give what the
/// expressions give as written.
@Suite("Child paths at elements with many children")
struct ChildPathOptimizerTests {
  static let namespaces = ["d": "urn:t"]

  static func rewrite(_ source: String) throws -> (String?, [String]) {
    try PathOptimizerTests.rewrite(source) {
      ChildPathOptimizer.rewrite($0, namespaces: namespaces, isBoolean: { $0.local == "is-member" }, paths: &$1)
    }
  }

  static func printed(_ source: String) throws -> String { try PathOptimizerTests.printed(source) }

  @Test func whichPathsAreRewritten() throws {
    #expect(try Self.rewrite("d:list/d:c/@id") == ("nci:children('0')", [Self.printed("d:list/d:c/@id")]))
    let (operands, operandPaths) = try Self.rewrite("count(d:c) = 2 and d:x")
    #expect(try operands == Self.printed("count(nci:children('0')) = 2 and nci:children('1')"))
    #expect(try operandPaths == ["d:c", "d:x"].map(Self.printed))
    // A step whose predicates select no position is taken in; they filter the answer.
    #expect(
      try Self.rewrite("d:list/d:c[@id = 'a' or normalize-space()]/@ref")
        == (Self.printed("nci:children('0')[@id = 'a' or normalize-space()]/@ref"), [Self.printed("d:list/d:c")]))
    #expect(
      try Self.rewrite("d:c[p:is-member(@id, 's')]").0 == Self.printed("nci:children('0')[p:is-member(@id, 's')]"))
    // A positional predicate (or one that may be a number) ends the part before it.
    #expect(try Self.rewrite("d:list/d:c[2]").0 == Self.printed("nci:children('0')/d:c[2]"))
    for positional in ["d:c[last()]", "d:c[$n]", "d:c[count(d:x)]", "d:c[p:other(.)]", "d:c[position() > 1 and @id]"] {
      #expect(try Self.rewrite(positional).0 == nil, "\(positional)")
    }
    // Union members and filter primaries are evaluated at the context node; predicates and the
    // steps after a filter are not.
    #expect(
      try Self.rewrite("(d:a | d:b)[1]/d:c")
        == (Self.printed("(nci:children('0') | nci:children('1'))[1]/d:c"), ["d:a", "d:b"].map(Self.printed)))
    #expect(try Self.rewrite("/d:r[d:a]").0 == nil)
    #expect(try Self.rewrite("$x/d:a").0 == nil)
    // Other axes, node-type tests, unknown prefixes, absolute paths: as written.
    for source in ["@id", "descendant::d:c", "text()", "p:c", "/d:r/d:c", "//d:c", "..", ".", "self::d:c"] {
      #expect(try Self.rewrite(source).0 == nil, "\(source)")
    }
  }

  static let schema = """
    <schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt">
      <ns prefix="d" uri="urn:t"/>
      <pattern>
        <rule context="d:list[d:c/@ref]">
          <report id="refs" test="true()"><value-of select="count(d:c/@ref)"/></report>
        </rule>
      </pattern>
      <pattern>
        <rule context="d:r | d:list | d:c">
          <let name="cs" value="d:list/d:c[@id != '']"/>
          <report id="count" test="count($cs) &gt;= 0"><value-of select="count($cs)"/></report>
          <report id="second" test="d:list/d:c[2]/@id = 'c1'">second</report>
          <report id="notes" test="d:note[normalize-space()] and not(d:c)">notes</report>
          <report id="union" test="count(d:note | d:list/d:c[@ref]) &gt; 3"><value-of select="count(d:note | d:list/d:c[@ref])"/></report>
          <report id="deep" test="d:list/d:c/d:x/@v = 'deep'">deep</report>
          <report id="last" test="string((d:list | d:note)[last()]/@id) != ''">last</report>
          <let name="k1" value="count(d:list/d:c[@ref])"/>
          <let name="k2" value="count(d:note[''])"/>
          <let name="k3" value="count(d:note[string(@id)])"/>
          <let name="k4" value="count(d:list/d:c[contains(@id, '1')])"/>
          <report id="kinds" test="true()"><value-of select="$k1"/>,<value-of select="$k2"/>,<value-of select="$k3"/>,<value-of select="$k4"/></report>
        </rule>
      </pattern>
    </schema>
    """

  /// A document whose root and lists have more children than the wide threshold, with nested
  /// elements of the same names at other depths (which the index range holds and the walk up
  /// must reject).
  static func document(entities: Bool = false) throws -> Document {
    var text = entities ? "<!DOCTYPE r [<!ENTITY e \"entity text\">]>" : ""
    text += "<r xmlns=\"urn:t\"><note id=\"n0\"> x \(entities ? "&e;" : "") </note>"
    for list in 0..<3 {
      text += "<list id=\"l\(list)\">"
      for item in 0..<(list == 1 ? 5 : 120) {
        text += "<c id=\"c\(item)\"\(item % 7 == 0 ? " ref=\"c\(item / 2)\"" : "")>"
        if item % 10 == 3 { text += "<x v=\"deep\"/><list><c id=\"inner\"/></list>" }
        text += "</c>"
      }
      text += "</list><note id=\"n\(list + 1)\">\(list == 2 ? "" : "text")</note>"
    }
    for extra in 0..<80 { text += "<note id=\"e\(extra)\"/>" }
    return try Document(string: text + "</r>")
  }

  @Test func sameFindingsAsThePathsAsWritten() throws {
    let loaded = try SchemaLoader.load(bytes: Array(Self.schema.utf8), sourceName: "children.sch")
    let optimized = try CompiledSchema(loaded)
    let plain = try CompiledSchema(loaded, options: .init(optimizeLookups: false))
    #expect(optimized.childPaths.count >= 5)
    #expect(!optimized.wide.isEmpty)
    #expect(plain.childPaths.isEmpty && plain.wide.isEmpty)
    let document = try Self.document()
    #expect((document.rootElement?.descendantElementCount ?? 0) >= DocumentRun.Session.wideSubtree)
    let expected = LookupOptimizerTests.findings(plain, document)
    #expect(expected.count > 100)
    #expect(LookupOptimizerTests.findings(optimized, document) == expected)
    #expect(Evaluator(optimized).validate(document).failures.isEmpty)
    // A document that declares entities has no recorded subtrees: the expressions as written.
    let withEntities = try Self.document(entities: true)
    #expect(withEntities.rootElement?.descendantElementCount == nil)
    #expect(
      LookupOptimizerTests.findings(optimized, withEntities) == LookupOptimizerTests.findings(plain, withEntities))
  }
}
