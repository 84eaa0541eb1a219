import Foundation
import NormKit
import Schematron
import TestSupport
import Testing
import XMLCore

/// Firing a pattern's rules on several threads must never change a result: findings, failures,
/// fired rules (for SVRL) and applied rules are those of the sequential run, also when the
/// findings limit or the operation budget cuts the run short.
@Suite("Parallel evaluation gives the sequential result")
struct ParallelEvaluationTests {
  /// Everything a result says, except the operation count (helpers build some keys again).
  struct Outcome: Equatable, CustomStringConvertible {
    var findings: [SchematronFinding]
    var failures: [EvaluationFailure]
    var firedRules: [FiredRule]
    var appliedRules: Set<ValidationResult.RuleReference>
    var truncated: Bool
    var stoppedByBudget: Bool

    init(_ result: ValidationResult) {
      findings = result.findings
      failures = result.failures
      firedRules = result.firedRules
      appliedRules = result.appliedRules
      truncated = result.truncated
      stoppedByBudget = result.stoppedByBudget
    }

    var description: String {
      "\(findings.count) findings, \(failures.count) failures, \(firedRules.count) fired rules, truncated \(truncated), budget \(stoppedByBudget)"
    }
  }

  static func run(
    _ schema: CompiledSchema, _ document: Document, threads: Int, grain: Int = 1, maxFindings: Int = 10_000,
    operationLimit: UInt = 0
  ) -> ValidationResult {
    Evaluator(schema).validate(
      document,
      options: .init(
        parameters: ["as-of": .string("2026-06-01")], maxFindings: maxFindings, operationLimit: operationLimit,
        recordFiredRules: true, threads: threads, minimumNodesPerThread: grain))
  }

  /// A declaration of `facilities` facilities for the shared benchmark pack: every 97th id
  /// repeats an earlier one, every 89th lacks the state's prefix, every 13th off-limits entry names no facility, every 7th is repeated.
  static func declaration(facilities: Int) throws -> Document {
    var xml = """
      <declaration xmlns="urn:normcheck:declaration:1"><state alpha2="NL"/>
      <submission submitted="2026-05-01" cycle="2026"/><criticalInfrastructure>

      """
    for n in 0..<facilities {
      let id = n % 97 == 96 ? "nl-\(n / 2)" : n % 89 == 88 ? "be-\(n)" : "nl-\(n)"
      let region = n % 41 == 0 ? "BE-VAN" : "NL-UT"
      let name = n % 53 == 0 ? " " : "Facility \(n)"
      xml += "<facility id=\"\(id)\" name=\"\(name)\" region=\"\(region)\" category=\"energy\"/>\n"
    }
    xml += "</criticalInfrastructure><offLimits>\n"
    for n in stride(from: 0, to: facilities, by: 3) {
      let ref = n % 13 == 0 ? "missing-\(n)" : "nl-\(n)"
      xml += "<facilityRef ref=\"\(ref)\"/>\n"
      if n % 7 == 0 { xml += "<facilityRef ref=\"\(ref)\"/>\n" }
    }
    xml += "</offLimits></declaration>\n"
    return try Document(string: xml, sourceName: "synthetic.xml")
  }

  static let sharedPack: CompiledSchema = {
    try! CompiledSchema.load(contentsOfFile: Fixtures.path("Benchmarks/shared-pack.sch"))
  }()

  @Test(arguments: RepositoryRules.packNames)
  func builtinPacksOnEveryExample(pack: String) throws {
    let schema = try RepositoryRules.shared.pack(pack).schema
    var fired = 0
    for path in IndexedEvaluationTests.documents(for: pack) {
      guard let document = try? Document(contentsOfFile: path) else { continue }  // the malformed sample
      let sequential = Self.run(schema, document, threads: 1)
      for threads in [2, 3] {
        let parallel = Self.run(schema, document, threads: threads)
        #expect(Outcome(parallel) == Outcome(sequential), "\(path) with \(threads) threads")
      }
      fired += sequential.findings.count
    }
    #expect(fired > 0)
  }

  @Test func sharedPackOnALargeDeclaration() throws {
    let document = try Self.declaration(facilities: 3_000)
    let sequential = Self.run(Self.sharedPack, document, threads: 1, grain: 512)
    #expect(sequential.parallelSlices == 0)
    let ids = Set(sequential.findings.compactMap(\.assertionID))
    #expect(ids.isSuperset(of: ["SH-001", "SH-002", "SH-003", "SH-010", "SH-011", "SH-012"]), "\(ids.sorted())")
    for threads in [2, 4] {
      let parallel = Self.run(Self.sharedPack, document, threads: threads, grain: 512)
      // facilities (3 000 nodes) and unique-facility-ids: sliced; the off-limits list: 1 000 nodes, sliced in two.
      #expect(parallel.parallelSlices >= 2 * threads + 2, "\(parallel.parallelSlices) slices")
      #expect(Outcome(parallel) == Outcome(sequential))
    }
  }

  @Test(arguments: [1, 7, 40, 150, 10_000])
  func findingsLimit(maxFindings: Int) throws {
    let document = try Self.declaration(facilities: 2_000)
    let sequential = Self.run(Self.sharedPack, document, threads: 1, maxFindings: maxFindings)
    let parallel = Self.run(Self.sharedPack, document, threads: 3, grain: 16, maxFindings: maxFindings)
    #expect(sequential.truncated == (maxFindings < 10_000))
    #expect(Outcome(parallel) == Outcome(sequential))
  }

  @Test func operationBudget() throws {
    let document = try Self.declaration(facilities: 2_000)
    // libxml2 counts operations only under a limit.
    let total = Self.run(Self.sharedPack, document, threads: 1, operationLimit: 1 << 40).operationCount
    #expect(total > 10_000)
    var stopped = 0
    for fraction in [0.01, 0.2, 0.5, 0.9] {
      let limit = UInt(Double(total) * fraction)
      let sequential = Self.run(Self.sharedPack, document, threads: 1, operationLimit: limit)
      let parallel = Self.run(Self.sharedPack, document, threads: 3, grain: 16, operationLimit: limit)
      #expect(Outcome(parallel) == Outcome(sequential), "budget \(limit) of \(total)")
      if sequential.stoppedByBudget { stopped += 1 }
    }
    #expect(stopped >= 3)
  }

  /// With several packs and threads the checker runs packs at once, each on a view of the
  /// document, or, for a large document (here: any, through `slicedPacksFromElements`), one
  /// pack after the other with each pattern's nodes split across the threads: reports, SVRL
  /// results included, are those of one thread either way.
  @Test(arguments: [false, true])
  func checkerRunsPacksAtOnceOrSliced(sliced: Bool) throws {
    let rules = RepositoryRules.shared
    let packs = try RepositoryRules.packNames.map { try rules.pack($0) }
    var configuration = CheckConfiguration(packs: packs, schema: rules.schema, asOf: "2026-06-01")
    configuration.wantSVRL = true
    #expect(configuration.slicedPacksFromElements > 1_000)
    if sliced { configuration.slicedPacksFromElements = 0 }
    let checker = Checker(configuration)
    let samples = Fixtures.root.appendingPathComponent("Samples")
    let names = try FileManager.default.contentsOfDirectory(atPath: samples.path).filter { $0.hasSuffix(".xml") }
      .sorted()
    #expect(names.count > 5)
    var findings = 0
    for name in names {
      let input = CheckInput.file(samples.appendingPathComponent(name).path)
      let sequential = checker.check(input, threads: 1)
      findings += sequential.findings.count
      for threads in [2, 3] {
        let parallel = checker.check(input, threads: threads)
        #expect(parallel.findings == sequential.findings, "\(name) with \(threads) threads")
        #expect(parallel.applicableRules == sequential.applicableRules)
        #expect(parallel.schematronResults.keys.sorted() == sequential.schematronResults.keys.sorted())
        for (pack, result) in sequential.schematronResults {
          #expect(parallel.schematronResults[pack].map(Outcome.init) == Outcome(result), "\(name), \(pack)")
        }
      }
    }
    #expect(findings > 20)
  }
}
