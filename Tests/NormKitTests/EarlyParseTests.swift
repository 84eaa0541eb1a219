import Foundation
import NormKit
import Schematron
import TestSupport
import Testing
import XMLCore

/// An input parsed before the packs are known (``Checker/parse(_:limits:indexing:)``) is
/// reported exactly as one the checker reads itself, whenever its attribute indexes are named.
@Suite("Inputs parsed while the packs load")
struct EarlyParseTests {
  /// Files to check: a declaration of about 1.5 MB (large enough for the parser's helper
  /// threads), a sample, a malformed file and a missing one.
  static func inputs(in directory: URL) throws -> [CheckInput] {
    var xml = """
      <declaration xmlns="urn:normcheck:declaration:1"><state alpha2="NL"/>
      <submission submitted="2026-05-01" cycle="2026"/><criticalInfrastructure>

      """
    let categories = ["energy", "health.hospitals", "water.drinking", "finance.banking", "no-such-category"]
    for n in 0..<14_000 {
      let id = n % 97 == 96 ? "nl-\(n / 2)" : "nl-\(n)"
      xml += "<facility id=\"\(id)\" name=\"Facility \(n)\" region=\"NL-UT\" category=\"\(categories[n % 5])\"/>\n"
    }
    xml += "</criticalInfrastructure><offLimits>\n"
    for n in stride(from: 0, to: 14_000, by: 3) {
      xml += "<facilityRef ref=\"\(n % 13 == 0 ? "missing-\(n)" : "nl-\(n)")\"/>\n"
    }
    xml += "</offLimits></declaration>\n"
    #expect(xml.utf8.count > 1_000_000)
    let large = directory.appendingPathComponent("large.xml")
    try xml.write(to: large, atomically: true, encoding: .utf8)
    let malformed = directory.appendingPathComponent("malformed.xml")
    try "<declaration><state></declaration>".write(to: malformed, atomically: true, encoding: .utf8)
    let samples = Fixtures.root.appendingPathComponent("Samples")
    let sample = try FileManager.default.contentsOfDirectory(atPath: samples.path).filter { $0.hasSuffix(".xml") }
      .sorted().first!
    return [large.path, samples.appendingPathComponent(sample).path, malformed.path, "/nonexistent/x.xml"].map {
      CheckInput.file($0)
    }
  }

  @Test func sameReportsWheneverTheIndexesAreNamed() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("early-parse-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let rules = RepositoryRules.shared
    let configuration = CheckConfiguration(
      packs: try RepositoryRules.packNames.map { try rules.pack($0) }, schema: rules.schema, asOf: "2026-06-01")
    let checker = Checker(configuration)
    #expect(!checker.indexRequests.isEmpty)
    var findings = 0
    for input in try Self.inputs(in: directory) {
      let expected = checker.check(input, threads: 2)
      findings += expected.findings.count
      func early(
        _ name: (PendingIndexRequests) -> Void, after: (PendingIndexRequests) -> Void = { _ in }
      ) -> DocumentReport {
        let pending = PendingIndexRequests()
        name(pending)
        let parsed = Checker.parse(input, limits: configuration.limits, indexing: pending)
        after(pending)
        return checker.check(parsed, threads: 2)
      }
      let reports = [
        early { $0.fulfil(checker.indexRequests) },
        // Named only after the parse: the indexes are built on first use.
        early({ _ in }, after: { $0.fulfil(checker.indexRequests) }),
        // Named by another thread that compiles the packs meanwhile, as `normcheck check` does.
        early { pending in
          Thread.detachNewThread {
            let packs = (try? RepositoryRules.packNames.map { try rules.pack($0) }) ?? []
            pending.fulfil(Checker(CheckConfiguration(packs: packs, schema: rules.schema)).indexRequests)
          }
        },
      ]
      for report in reports {
        #expect(report.parsed == expected.parsed, "\(input.name)")
        #expect(report.findings == expected.findings, "\(input.name)")
        #expect(report.applicableRules == expected.applicableRules, "\(input.name)")
      }
    }
    #expect(findings > 100)
  }
}
