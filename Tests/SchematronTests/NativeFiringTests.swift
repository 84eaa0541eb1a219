import Foundation
import Schematron
import Testing
import XMLCore

/// Rules whose tests are answered in Swift pass most nodes without the evaluator's general
/// machinery (``DocumentRun``'s native pass); the findings, the operations counted and where a
/// budget runs out are those of the general way (which profiling takes for every node).
@Suite("Rules passed natively")
struct NativeFiringTests {
  static let schema = """
    <schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt">
      <pattern id="native">
        <rule context="f[@kind = 'x']">
          <assert id="N1" test="normalize-space(@name) != ''">Facility <value-of select="@id"/> has no name.</assert>
          <assert id="N2" test="starts-with(@id, 'f')">Id <value-of select="@id"/>.</assert>
          <report id="N3" test="@c = 'dam'">Dam <value-of select="@id"/> at <value-of select="current()/@id"/>.</report>
        </rule>
        <rule context="f">
          <assert id="N4" test="@c != 'nope' and string(@id) != ''">Facility <value-of select="@id"/>.</assert>
        </rule>
      </pattern>
      <pattern id="mixed">
        <rule context="f">
          <let name="c" value="@c"/>
          <assert id="M1" test="$c != 'dam' or @name">Dam <value-of select="@id"/> unnamed.</assert>
          <assert id="M2" test="count(../f[@c = current()/@c]) &lt; 150">Many <value-of select="$c"/>.</assert>
        </rule>
      </pattern>
    </schema>
    """

  static func document() throws -> Document {
    var xml = "<r>"
    for index in 0..<1_000 {
      let name = index % 97 == 0 ? "  " : "Facility \(index)"
      let id = index % 211 == 0 ? "g\(index)" : "f\(index)"
      let category = ["dam", "energy", "water", "nope", "x"][index % 5]
      xml += "<f id=\"\(id)\" kind=\"\(index % 3 == 0 ? "x" : "y")\" name=\"\(name)\" c=\"\(category)\"/>"
    }
    return try Document(string: xml + "</r>")
  }

  @Test(arguments: [0, 800, 4_000])
  func sameAsTheGeneralWay(budget: UInt) throws {
    let compiled = try CompiledSchema(SchemaLoader.load(bytes: Array(Self.schema.utf8), sourceName: "native.sch"))
    let document = try Self.document()
    let general = Evaluator(compiled).validate(document, options: .init(operationLimit: budget, profile: true))
    let native = Evaluator(compiled).validate(document, options: .init(operationLimit: budget))
    #expect(native.findings == general.findings)
    #expect(native.failures.count == general.failures.count)
    #expect(native.operationCount == general.operationCount)
    #expect(native.stoppedByBudget == general.stoppedByBudget)
    #expect(native.stoppedByBudget == (budget != 0))
    if budget == 0 {
      #expect(Set(native.findings.compactMap(\.assertionID)) == ["N1", "N2", "N3", "N4", "M2"])
      #expect(native.findings.count > 1_000)
    }
  }

  /// The rules fired on the nodes passed natively are recorded as the general way records them
  /// (SVRL's fired rules), in the same order and before the same findings, also when a pattern
  /// is fired in slices on other threads (each slice a range of the pattern's firings).
  @Test(arguments: [1, 2, 3])
  func sameFiredRules(threads: Int) throws {
    let compiled = try CompiledSchema(SchemaLoader.load(bytes: Array(Self.schema.utf8), sourceName: "native.sch"))
    let document = try Self.document()
    let general = Evaluator(compiled).validate(document, options: .init(recordFiredRules: true, profile: true))
    let native = Evaluator(compiled).validate(
      document, options: .init(recordFiredRules: true, threads: threads, minimumNodesPerThread: 64))
    #expect(native.findings == general.findings)
    #expect(native.firedRules == general.firedRules)
    // Both patterns fire on every facility: the first with its two rules alternating.
    #expect(native.firedRules.count == 2_000)
    #expect(Set(native.firedRules.filter { $0.patternIndex == 0 }.map(\.ruleIndex)) == [0, 1])
    #expect((native.parallelSlices > 0) == (threads > 1))
  }
}
