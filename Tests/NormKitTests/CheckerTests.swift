import Foundation
import NormKit
import Schematron
import TestSupport
import Testing
import XMLCore

@Suite("Checker")
struct CheckerTests {
  let rules = RepositoryRules.shared

  func sample(_ name: String) -> String { Fixtures.path("Samples/\(name)") }

  @Test func validSamplesConformToTheSchema() throws {
    let valid = [
      "xa-arvenia-2026-model.xml", "xb-belmora-2025-no-cert.xml", "xc-corvala-2026-diplomatic-only.xml",
      "xd-dravonia-2025-doctrine-conflict.xml", "xe-estmark-2025-stale.xml", "xe-estmark-2026-later-cycle.xml",
      "xf-ferrovia-2026-large.xml",
    ]
    let checker = Checker(CheckConfiguration(packs: [], schema: rules.schema))
    for name in valid {
      let report = checker.check(.file(sample(name)))
      #expect(report.parsed)
      #expect(report.findings.isEmpty, "\(name): \(report.findings.map(\.message))")
      #expect(report.state != nil)
    }
  }

  @Test func malformedAndSchemaInvalidSamplesAreFindingsWithLocations() throws {
    let checker = Checker(CheckConfiguration(packs: [], schema: rules.schema))
    let malformed = checker.check(.file(sample("xg-galdria-2025-malformed.xml")))
    #expect(!malformed.parsed)
    #expect(malformed.findings.map(\.ruleID) == ["NC-XML"])
    #expect(malformed.findings.first?.line == 24)
    #expect(malformed.findings.first?.severity == .error)
    let invalid = checker.check(.file(sample("xh-hollenmark-2025-schema-invalid.xml")))
    #expect(invalid.findings.map(\.ruleID) == ["NC-XSD", "NC-XSD", "NC-XSD"])
    #expect(invalid.findings.map(\.line) == [13, 25, 43])
    #expect(invalid.findings.allSatisfy { $0.column > 0 && $0.xpath != nil })
  }

  @Test func batchKeepsInputOrderAndSurvivesBadInputs() async throws {
    let inputs = CheckInput.expand([Fixtures.path("Samples"), "/nonexistent/x.xml"])
    #expect(inputs.count == 10)
    let checker = Checker(CheckConfiguration(packs: [], schema: rules.schema))
    let sequential = await checker.check(inputs, jobs: 1)
    let parallel = await checker.check(inputs, jobs: 4)
    #expect(sequential.map(\.input) == inputs.map(\.name))
    #expect(parallel.map(\.input) == sequential.map(\.input))
    #expect(parallel.map { $0.findings.map(\.fingerprint) } == sequential.map { $0.findings.map(\.fingerprint) })
    #expect(parallel.last?.findings.first?.ruleID == "NC-INPUT")
    #expect(parallel.filter(\.parsed).count == 8)
  }

  /// With two threads the XSD is validated while the packs run (the declaration schema only
  /// reads the tree it validates); the report must be the one-thread report, finding for
  /// finding, on every sample and on generated declarations with schema errors.
  @Test func schemaValidationAlongsideThePacksGivesTheSameReport() throws {
    #expect(rules.schema.validationOnlyReads)
    let packs = try RepositoryRules.packNames.map { try rules.pack($0) }
    let checker = Checker(CheckConfiguration(packs: packs, schema: rules.schema, asOf: "2026-06-01"))
    var inputs = CheckInput.expand([Fixtures.path("Samples")])
    // A large sample with schema errors spread through it: every 50th facility lacks its name.
    let large = try String(contentsOfFile: sample("xf-ferrovia-2026-large.xml"), encoding: .utf8)
    var broken = ""
    for (index, line) in large.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      broken += index % 50 == 0 ? line.replacingOccurrences(of: " name=\"", with: " label=\"") : String(line)
      broken += "\n"
    }
    inputs.append(.bytes(name: "broken-large.xml", Data(broken.utf8)))
    var schemaErrors = 0
    for input in inputs {
      let sequential = checker.check(input, threads: 1)
      let alongside = checker.check(input, threads: 2)
      #expect(alongside.findings == sequential.findings, "\(input.name)")
      #expect(alongside.applicableRules == sequential.applicableRules, "\(input.name)")
      schemaErrors += sequential.findings.filter { $0.ruleID == "NC-XSD" }.count
    }
    #expect(schemaErrors > 10)
  }

  @Test func directoryExpansionIsRecursiveSortedAndXMLOnly() throws {
    let inputs = CheckInput.expand([Fixtures.path("Samples")]).map(\.name)
    #expect(inputs == inputs.sorted())
    #expect(inputs.allSatisfy { $0.hasSuffix(".xml") })
    #expect(!inputs.contains { $0.hasSuffix(".py") })
    #expect(CheckInput.expand(["-"]) == [.standardInput])
  }

  /// Bytes in memory (uploads) are checked exactly like the file they came from, under the
  /// name given, and the size limit applies before parsing.
  @Test func bytesInMemoryAreCheckedLikeFilesAndLimited() throws {
    let packs = try RepositoryRules.packNames.map { try rules.pack($0) }
    let checker = Checker(CheckConfiguration(packs: packs, schema: rules.schema, asOf: "2026-06-01"))
    for name in [
      "xb-belmora-2025-no-cert.xml", "xg-galdria-2025-malformed.xml", "xh-hollenmark-2025-schema-invalid.xml",
    ] {
      let data = try Data(contentsOf: URL(fileURLWithPath: sample(name)))
      let fromFile = checker.check(.file(sample(name)))
      let fromBytes = checker.check(.bytes(name: "upload/\(name)", data))
      #expect(fromBytes.input == "upload/\(name)")
      #expect(fromBytes.findings.map(\.ruleID) == fromFile.findings.map(\.ruleID), "\(name)")
      #expect(fromBytes.findings.map(\.line) == fromFile.findings.map(\.line), "\(name)")
      #expect(fromBytes.findings.allSatisfy { $0.file == "upload/\(name)" })
      #expect(fromBytes.state == fromFile.state && fromBytes.parsed == fromFile.parsed)
    }
    let small = Checker(
      CheckConfiguration(packs: [], schema: rules.schema, limits: ParseLimits(maxInputBytes: 100)))
    let tooLarge = small.check(.bytes(name: "big.xml", Data(repeating: UInt8(ascii: " "), count: 101)))
    #expect(!tooLarge.parsed)
    #expect(tooLarge.findings.map(\.ruleID) == ["NC-LIMIT"])
    #expect(tooLarge.findings.first?.message.contains("more than the limit of 100 bytes") == true)
  }

  /// A finding keeps its fingerprint when lines are inserted above it, and the fingerprint
  /// follows the facility's id, not its position.
  @Test func fingerprintsAreLineIndependent() throws {
    let pack = try #require(
      try? RulePack.load(
        path: Fixtures.path("Tests/NormKitTests/Fixtures/broken-pack"),
        vocabularies: rules.categories.engineVocabularies))
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let original = try String(
      contentsOfFile: Fixtures.path("Tests/NormKitTests/Fixtures/broken-pack/examples/BRK-001/fail-wrong-line.xml"),
      encoding: .utf8)
    let shifted = original.replacingOccurrences(
      of: "<criticalInfrastructure>",
      with: "<criticalInfrastructure>\n    <facility id=\"xa-new-1\" category=\"dam\" name=\"New Dam\"/>\n\n")
    try original.write(to: directory.appendingPathComponent("a.xml"), atomically: true, encoding: .utf8)
    try shifted.write(to: directory.appendingPathComponent("b.xml"), atomically: true, encoding: .utf8)
    let checker = Checker(CheckConfiguration(packs: [pack], schema: nil))
    let before = checker.check(.file(directory.appendingPathComponent("a.xml").path)).findings.filter {
      $0.ruleID == "BRK-001"
    }
    let after = checker.check(.file(directory.appendingPathComponent("b.xml").path)).findings.filter {
      $0.ruleID == "BRK-001"
    }
    #expect(before.count == 1 && after.count == 1)
    #expect(before.first?.line != after.first?.line)
    #expect(before.first?.xpath != after.first?.xpath)  // facility[1] became facility[2]
    #expect(before.first?.fingerprint == after.first?.fingerprint)
  }
}
