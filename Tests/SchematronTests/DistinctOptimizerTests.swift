import Foundation
import Testing

@testable import Schematron
@testable import XMLCore

/// `set:distinct` over an attribute of plain absolute paths, answered from a shared attribute
/// index, selects the same nodes as the call as written.
@Suite("Distinct attribute values from an attribute index")
struct DistinctOptimizerTests {
  static let namespaces = ["d": "urn:t", "p": "urn:p"]

  static func rewrite(_ source: String) throws -> (String?, [AttributeIndexRequest]) {
    var indexes: [(source: String, request: AttributeIndexRequest)] = []
    let result = DistinctOptimizer.rewrite(
      try XPathSyntax.parse(source), namespaces: namespaces,
      isDistinct: { $0.prefix == "set" && $0.local == "distinct" }, indexes: &indexes)
    return (result?.description, indexes.map(\.request))
  }

  @Test func whichCallsAreRewritten() throws {
    let (union, requests) = try Self.rewrite("set:distinct(/d:r/d:list/d:c/@k | /d:r/d:more/d:c/@k)")
    #expect(union == "nci:distinct('0')")
    #expect(requests.count == 1)
    #expect(requests.first?.paths.count == 2)
    #expect(requests.first?.attribute == ElementPath.Test(namespace: nil, localName: "k"))
    // Inside other expressions, `//` paths, namespaced attributes; the same call once.
    let (nested, nestedRequests) = try Self.rewrite(
      "count(set:distinct(//d:c/@p:k)) = count(set:distinct(//d:c/@p:k)) + count(set:distinct(/d:r/d:c/@k))")
    #expect(
      try nested
        == XPathSyntax.parse("count(nci:distinct('0')) = count(nci:distinct('0')) + count(nci:distinct('1'))")
        .description)
    #expect(nestedRequests.map(\.attribute.namespace) == ["urn:p", nil])
    #expect(nestedRequests.first?.paths.first?.absolute == false)
    // Different attributes, any attribute, predicates, relative paths, elements, another
    // function, another axis, two arguments, an unknown prefix: as written.
    for source in [
      "set:distinct(/d:r/d:c/@k | /d:r/d:c/@j)", "set:distinct(/d:r/d:c/@*)", "set:distinct(/d:r/d:c[1]/@k)",
      "set:distinct(/d:r/d:c[@j]/@k)", "set:distinct(d:r/d:c/@k)", "set:distinct(/d:r/d:c)",
      "set:other(/d:r/d:c/@k)", "set:distinct(/d:r//d:c/@k)", "set:distinct(/d:r/d:c/@k, 1)",
      "set:distinct(/q:r/d:c/@k)", "set:distinct(/d:r/d:c/@q:k)", "set:distinct(/d:r/d:c/@k | $x)",
      "set:distinct(/d:r/d:c/@k | /d:r/d:c/@p:k)", "set:distinct(/d:r/d:c/@k | d:c/@k)",
    ] {
      #expect(try Self.rewrite(source).0 == nil, "\(source)")
    }
  }

  static let schema = """
    <schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt">
      <ns prefix="d" uri="urn:t"/>
      <ns prefix="p" uri="urn:p"/>
      <ns prefix="set" uri="http://exslt.org/sets"/>
      <let name="ks" value="set:distinct(/d:r/d:list/d:c/@k | /d:r/d:more/d:c/@k)"/>
      <let name="pks" value="set:distinct(//d:c/@p:k)"/>
      <let name="overlap" value="set:distinct(/d:r/*/d:c/@k | /d:r/d:list/d:c/@k | //d:c/@k)"/>
      <pattern>
        <rule context="d:r">
          <report id="count" test="true()"><value-of select="count($ks)"/> <value-of select="count($pks)"/> <value-of select="count(set:distinct(/d:r/d:list/d:c/@k))"/></report>
          <report id="order" test="true()">[<value-of select="$ks[1]"/>] [<value-of select="$ks[2]"/>] [<value-of select="$ks[last()]"/>] <value-of select="name($ks[1]/..)"/> <value-of select="count($ks[1]/../preceding::*)"/> <value-of select="count($ks[last()]/../preceding::*)"/></report>
        </rule>
        <rule context="d:c">
          <report id="chosen" test="@k and count($ks | @k) = count($ks)">the first <value-of select="@k"/></report>
          <report id="pchosen" test="count($pks | @p:k) = count($pks)">the first p:k <value-of select="@p:k"/></report>
          <report id="ochosen" test="@k and count($overlap | @k) = count($overlap)">the first overall <value-of select="@k"/></report>
        </rule>
      </pattern>
    </schema>
    """

  /// Values first met under either path, empty values, elements without the attribute, an
  /// attribute in a namespace, and none at all.
  static let documents = [
    """
    <r xmlns="urn:t" xmlns:p="urn:p"><more><c k="b"/><c k=""/></more><list><c k="a"/><c/><c k="b" p:k="x"/><c k="a"/>\
    <c k=""/></list><more><c k="c" p:k="x"/><c k="a" p:k="y"/></more></r>
    """,
    "<r xmlns=\"urn:t\"><list/></r>",
    // A document that declares entities: indexed after the parse; values with a reference.
    """
    <!DOCTYPE r [<!ENTITY e "b">]>
    <r xmlns="urn:t" xmlns:p="urn:p"><list><c k="&e;"/><c k="b" p:k="&e;"/><c k="a&e;"/><c k="ab"/></list></r>
    """,
  ]

  @Test func sameNodesAsTheCallAsWritten() throws {
    let (optimized, plain) = try LookupOptimizerTests.compiledBothWays(Self.schema, name: "distinct.sch")
    #expect(optimized.distinctIndexes.count == 4)
    #expect(plain.distinctIndexes.isEmpty)
    #expect(optimized.attributeIndexRequests.count >= 3)
    for text in Self.documents {
      let document = try Document(string: text)
      let expected = LookupOptimizerTests.findings(plain, document)
      #expect(expected.contains { $0.hasPrefix("report count") })
      #expect(LookupOptimizerTests.findings(optimized, document) == expected, "\(text)")
      // The indexes collected while parsing, as a host asks for them.
      let indexed = try Document(string: text, indexing: optimized.attributeIndexRequests)
      #expect(LookupOptimizerTests.findings(optimized, indexed) == expected, "\(text)")
    }
  }

  /// A document large enough for the parser's indexing thread and arena.
  @Test func sameNodesOnALargeDocument() throws {
    let (optimized, plain) = try LookupOptimizerTests.compiledBothWays(Self.schema, name: "distinct.sch")
    var text = "<r xmlns=\"urn:t\" xmlns:p=\"urn:p\"><list>"
    for index in 0..<36_000 {
      text += "<c k=\"v\(index * 7919 % 97)\" p:k=\"w\(index % 5)\" n=\"\(index)\"/>"
      if index == 15_000 { text += "</list><more><c k=\"new\"/><c k=\"v3\"/></more><list>" }
    }
    text += "</list></r>"
    #expect(text.utf8.count > 1_000_000)
    let document = try Document(string: text, indexing: optimized.attributeIndexRequests)
    let expected = LookupOptimizerTests.findings(plain, document)
    #expect(expected.filter { $0.hasPrefix("report chosen") }.count == 98)
    #expect(LookupOptimizerTests.findings(optimized, document) == expected)
    // On the parser's indexing thread, with the requests known or named while it runs.
    let pending = PendingIndexRequests()
    pending.fulfil(optimized.attributeIndexRequests)
    for indexing in [IndexRequests.known(optimized.attributeIndexRequests), .pending(pending)] {
      let threaded = try Document(
        bytes: Array(text.utf8), sourceName: "<memory>", indexing: indexing, arena: .automatic,
        indexingThread: .always)
      #expect(threaded.attributeIndexes.count == optimized.attributeIndexRequests.count)
      #expect(LookupOptimizerTests.findings(optimized, threaded) == expected)
    }
  }
}
