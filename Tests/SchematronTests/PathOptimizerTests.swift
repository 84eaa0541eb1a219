import Foundation
import Testing
import XMLCore

@testable import Schematron

/// Plain absolute paths answered from the element index give what the paths give as written.
@Suite("Absolute paths from the element index")
struct PathOptimizerTests {
  static let namespaces = ["d": "urn:t"]

  static func rewrite(_ source: String) throws -> (String?, [String]) {
    try rewrite(source) { PathOptimizer.rewrite($0, namespaces: namespaces, paths: &$1) }
  }

  /// `source` as `optimizer` rewrites it (`nil`: unchanged), and the sources of the paths it numbered.
  static func rewrite(
    _ source: String,
    by optimizer: (XPathSyntax, inout [(source: String, path: ElementPath)]) -> XPathSyntax?
  ) throws -> (String?, [String]) {
    var paths: [(source: String, path: ElementPath)] = []
    let result = optimizer(try XPathSyntax.parse(source), &paths)
    return (result?.description, paths.map(\.source))
  }

  /// `source` as the printer writes it (full axis names).
  static func printed(_ source: String) throws -> String { try XPathSyntax.parse(source).description }

  @Test func whichPathsAreRewritten() throws {
    #expect(try Self.rewrite("/d:r/d:list/d:c/@id") == ("nci:path('0')", [Self.printed("/d:r/d:list/d:c/@id")]))
    #expect(try Self.rewrite("count(//d:a/d:c)").0 == "count(nci:path('0'))")
    // What follows the plain part stays, so that positions keep their meaning.
    let (positional, paths) = try Self.rewrite("/d:r/d:list/d:c[2]/@id")
    #expect(try positional == Self.printed("nci:path('0')/d:c[2]/@id"))
    #expect(try paths == [Self.printed("/d:r/d:list")])
    // Paths inside the predicates, and both sides of a union, in turn.
    let (nested, nestedPaths) = try Self.rewrite("/d:r/d:list/d:c[@id = /d:r/d:list/d:c/@ref] | //d:x/d:y")
    #expect(try nested == Self.printed("nci:path('0')[@id = nci:path('1')] | nci:path('2')"))
    #expect(try nestedPaths == ["/d:r/d:list/d:c", "/d:r/d:list/d:c/@ref", "//d:x/d:y"].map(Self.printed))
    // A step whose predicates are not positional is taken in: they filter the call's answer.
    let (filtered, filteredPaths) = try Self.rewrite("/d:r/d:list/d:c[@id = 'x' and d:y]/@ref")
    #expect(try filtered == Self.printed("nci:path('0')[@id = 'x' and d:y]/@ref"))
    #expect(try filteredPaths == [Self.printed("/d:r/d:list/d:c")])
    #expect(try Self.rewrite("/d:r/d:list[d:c]").0 == Self.printed("nci:path('0')[d:c]"))
    // … but not when one of them is positional, or the step is the first.
    #expect(try Self.rewrite("/d:r/d:list/d:c[@id][2]").0 == Self.printed("nci:path('0')/d:c[@id][2]"))
    #expect(try Self.rewrite("/d:r/d:list/d:c[last()]").0 == Self.printed("nci:path('0')/d:c[last()]"))
    #expect(try Self.rewrite("/d:r/d:list/d:c[$v]").0 == Self.printed("nci:path('0')/d:c[$v]"))
    // Too short, another axis, a node-type test, an unknown prefix, a relative path: as written.
    for source in [
      "/d:r", "/d:r/@id", "//@id", "/d:r/descendant::d:c", "/d:r/text()", "/d:r/p:c", "d:list/d:c", "//d:c[1]",
      "/d:r//d:c", "/d:r[1]/d:list", "//d:c", "count(//*)",
    ] {
      #expect(try Self.rewrite(source).0 == nil, "\(source)")
    }
  }

  static let schema = """
    <schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt">
      <ns prefix="d" uri="urn:t"/>
      <pattern>
        <rule context="d:c">
          <report id="ids" test="true()"><value-of select="count(/d:r/d:list/d:c/@id)"/> <value-of select="string(/d:r/d:list/d:c[2]/@id)"/></report>
          <report id="last" test=". = //d:list/d:c[last()]">last c of a list</report>
          <report id="any" test="count(//*) &gt; 10 and count(/d:r/*/*) = count(//d:list/*)">all</report>
          <report id="refers" test="@id = /d:r/d:list/d:c/@ref">referred to</report>
          <report id="filtered" test="/d:r/d:list/d:c[@ref = current()/@id]">referred to, filtered</report>
          <report id="second" test="@id = /d:r/d:list/d:c[@id][2]/@id">the second with an id</report>
          <report id="lists" test="count(/d:r/d:list[d:c/@ref]/d:c) = 3">lists with references</report>
          <report id="other" test="count(document('other.xml')/d:r[count(/d:r/d:list/d:c) = 1]) = 1">other document</report>
        </rule>
      </pattern>
    </schema>
    """

  @Test func sameFindingsAsThePathsAsWritten() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paths-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try Self.schema.write(to: directory.appendingPathComponent("pack.sch"), atomically: true, encoding: .utf8)
    try "<r xmlns=\"urn:t\"><list><c id=\"only\"/></list></r>".write(
      to: directory.appendingPathComponent("other.xml"), atomically: true, encoding: .utf8)
    let path = directory.appendingPathComponent("pack.sch").path
    let optimized = try CompiledSchema.load(contentsOfFile: path)
    let plain = try CompiledSchema.load(contentsOfFile: path, options: .init(optimizeLookups: false))
    #expect(optimized.paths.count >= 5)
    #expect(plain.paths.isEmpty)
    let document = try Document(
      string: """
        <r xmlns="urn:t"><list><c id="a" ref="b"/><c id="b"/><c/></list><x/><list><c id="c" ref="a"/></list></r>
        """)
    let expected = LookupOptimizerTests.findings(plain, document)
    #expect(expected.count > 8)
    #expect(LookupOptimizerTests.findings(optimized, document) == expected)
    #expect(Evaluator(optimized).validate(document).failures.isEmpty)
  }
}
