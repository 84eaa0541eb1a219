import Foundation
import NormKit
import Schematron
import TestSupport
import Testing
import XMLCore

/// Inputs parsed without the attributes no pack reads (``CheckConfiguration/projectsAttributes``)
/// are reported exactly as inputs parsed whole: a differential test over every sample, every
/// pack example, a large generated declaration and the shared benchmark pack.
@Suite("Attribute projection")
struct AttributeProjectionTests {
  static let rules = RepositoryRules.shared

  /// Every sample and every pack example, and the inputs of ``EarlyParseTests`` (a declaration
  /// of about 1.5 MB, a malformed file, a missing one).
  static func inputs(in directory: URL) throws -> [CheckInput] {
    var paths: [String] = []
    let samples = Fixtures.root.appendingPathComponent("Samples")
    for name in try FileManager.default.contentsOfDirectory(atPath: samples.path) where name.hasSuffix(".xml") {
      paths.append(samples.appendingPathComponent(name).path)
    }
    let packs = rulesDirectory.appendingPathComponent("packs")
    if let walk = FileManager.default.enumerator(atPath: packs.path) {
      for case let relative as String in walk where relative.hasSuffix(".xml") && relative.contains("examples/") {
        paths.append(packs.appendingPathComponent(relative).path)
      }
    }
    return paths.sorted().map { CheckInput.file($0) } + (try EarlyParseTests.inputs(in: directory))
  }

  static func packs(shared: Bool) throws -> [RulePack] {
    if shared {
      return [try RulePack.load(path: Fixtures.root.appendingPathComponent("Benchmarks/shared-pack.sch").path)]
    }
    return try RepositoryRules.packNames.map { try rules.pack($0) }
  }

  @Test(arguments: [false, true])
  func sameFindingsWithAndWithoutTheAttributesNoPackReads(sharedPack: Bool) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("projection-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    var whole = CheckConfiguration(packs: try Self.packs(shared: sharedPack), schema: nil, asOf: "2026-06-01")
    whole.projectsAttributes = false
    var projected = whole
    projected.projectsAttributes = true
    let wholeChecker = Checker(whole)
    let checker = Checker(projected)
    #expect(wholeChecker.attributeProjection.keepsAll)
    let projection = checker.attributeProjection
    // The packs name what they read; the declarations carry attributes none of them reads.
    #expect(!projection.keepsAll)
    #expect(projection.keeps(localName: "id", namespace: nil))
    #expect(projection.keeps(localName: "alpha2", namespace: nil))
    #expect(!projection.keeps(localName: "operator", namespace: nil))
    #expect(!projection.keeps(localName: "ownership", namespace: nil))
    var findings = 0
    var inputs = 0
    for input in try Self.inputs(in: directory) {
      inputs += 1
      let expected = wholeChecker.check(input, threads: 2)
      findings += expected.findings.count
      // Projected from the start; and from wherever the parse has got to when another thread
      // names the indexes and the projection, as `normcheck check` does.
      let early = PendingIndexRequests()
      Thread.detachNewThread { early.fulfil(checker.indexRequests, keeping: projection) }
      let reports = [
        checker.check(input, threads: 2),
        checker.check(Checker.parse(input, limits: projected.limits, indexing: early), threads: 1),
      ]
      for report in reports {
        #expect(report.parsed == expected.parsed, "\(input.name)")
        #expect(report.state == expected.state && report.cycle == expected.cycle, "\(input.name)")
        #expect(report.findings == expected.findings, "\(input.name)")
        #expect(report.applicableRules == expected.applicableRules, "\(input.name)")
      }
    }
    #expect(inputs > 50)
    #expect(findings > 100)
  }

  /// The XSD reads every attribute: a configuration that validates keeps them all.
  @Test func validationKeepsEveryAttribute() throws {
    let configuration = CheckConfiguration(packs: try Self.packs(shared: false), schema: Self.rules.schema)
    #expect(Checker(configuration).attributeProjection.keepsAll)
  }

  /// The tree really lacks the attributes left out, and keeps the others.
  @Test func theTreeKeepsOnlyWhatIsRead() throws {
    let checker = Checker(CheckConfiguration(packs: try Self.packs(shared: true), schema: nil))
    let xml = """
      <declaration xmlns="urn:normcheck:declaration:1"><state alpha2="XS"/>
      <criticalInfrastructure><facility id="xs-1" name="A" operator="O" region="XS-1" ownership="public"/>
      </criticalInfrastructure></declaration>
      """
    let report = checker.check(.bytes(name: "d.xml", Data(xml.utf8)))
    #expect(report.parsed)
    let document = try Document(
      bytes: Array(xml.utf8), sourceName: "d.xml", indexing: checker.indexRequests, keeping: checker.attributeProjection
    )
    let facility = try #require(
      try XPathContext(document: document, namespaces: ["d": Declaration.namespace]).evaluate("//d:facility").nodes
        .first)
    #expect(facility.attributes.map(\.localName).sorted() == ["id", "name", "region"])
  }
}
