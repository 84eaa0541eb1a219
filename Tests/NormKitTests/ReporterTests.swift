import Foundation
import NormKit
import Schematron
import TestSupport
import Testing
import XMLCore

/// Golden-file tests for every reporter on one fixed run, plus validation of SARIF against the official JSON schema and of SVRL against the ISO RELAX NG grammar.
///
/// `RECORD_GOLDEN=1` rewrites the golden files.
@Suite("Reporters")
struct ReporterTests {
  static let golden = Fixtures.root.appendingPathComponent("Tests/NormKitTests/Fixtures/golden")
  static let shared = Fixtures.root.deletingLastPathComponent().appendingPathComponent("shared/schemas")

  /// A run over three inputs: a rule finding with citations, a malformed file and an XSD-invalid file, with one finding waived.
  ///
  /// Paths are relative to the repository.
  static func fixedRun(svrl: Bool = false) async throws -> RunSummary {
    let rules = RepositoryRules.shared
    let pack = try RulePack.load(
      path: Fixtures.path("Tests/NormKitTests/Fixtures/broken-pack"), vocabularies: rules.categories.engineVocabularies)
    let inputs = [
      "Tests/NormKitTests/Fixtures/broken-pack/examples/BRK-001/fail-wrong-line.xml",
      "Samples/xg-galdria-2025-malformed.xml", "Samples/xh-hollenmark-2025-schema-invalid.xml",
    ]
    let previous = FileManager.default.currentDirectoryPath
    FileManager.default.changeCurrentDirectoryPath(Fixtures.root.path)
    defer { FileManager.default.changeCurrentDirectoryPath(previous) }
    var reports = await Checker(CheckConfiguration(packs: [pack], schema: rules.schema, wantSVRL: svrl))
      .check(inputs.map { .file($0) }, jobs: 2)
    let waivers = try WaiverSet(
      contentsOfFile: Fixtures.path("Tests/NormKitTests/Fixtures/waivers.xml"),
      schema: XMLSchema(contentsOfFile: Fixtures.path("Rules/waivers/waivers.xsd")))
    var problems = waivers.apply(to: &reports, today: "2026-11-23", strict: false)
    problems.input = "Tests/NormKitTests/Fixtures/waivers.xml"
    for index in problems.findings.indices { problems.findings[index].file = problems.input }
    reports.append(problems)
    return RunSummary(
      reports: reports, packs: [pack], catalog: rules.catalog, asOf: nil, failOn: .error, toolVersion: "0.0.0-test")
  }

  func compare(_ text: String, golden name: String) throws {
    let url = Self.golden.appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1" {
      try text.write(to: url, atomically: true, encoding: .utf8)
      return
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    #expect(text == expected, "\(name) differs from the golden file; RECORD_GOLDEN=1 swift test re-records it")
  }

  @Test func text() async throws {
    let run = try await Self.fixedRun()
    try compare(TextReporter().render(run), golden: "report.txt")
    try compare(TextReporter(quiet: true).render(run), golden: "report-quiet.txt")
    let coloured = TextReporter(colour: true).render(run)
    #expect(coloured.contains("\u{1B}[1;31merror\u{1B}[0m"))
  }

  @Test func json() async throws {
    let run = try await Self.fixedRun()
    let text = JSONReporter().render(run)
    try compare(text, golden: "report.json")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    #expect(object["schemaVersion"] as? String == JSONReporter.schemaVersion)
  }

  @Test func sarifIsGoldenAndValidAgainstTheOfficialSchema() async throws {
    let run = try await Self.fixedRun()
    let text = SARIFReporter().render(run)
    try compare(text, golden: "report.sarif")
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("normcheck-\(UUID()).sarif")
    try text.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let schema = Self.shared.appendingPathComponent("sarif-schema-2.1.0.json").path
    let script = """
      import json, sys, jsonschema
      schema = json.load(open(sys.argv[1])); log = json.load(open(sys.argv[2]))
      jsonschema.Draft7Validator(schema).validate(log)
      r = log["runs"][0]
      assert r["taxonomies"][0]["name"] == "norms" and r["taxonomies"][0]["taxa"], "no norms taxonomy"
      assert any(x.get("suppressions") for x in r["results"]), "no suppression"
      assert all("normcheck/v1" in x["partialFingerprints"] for x in r["results"])
      print("ok")
      """
    let outcome = try runProcess("/usr/bin/env", ["python3", "-c", script, schema, file.path])
    #expect(outcome.status == 0 && outcome.output.contains("ok"), "SARIF invalid: \(outcome.output)")
  }

  @Test func junit() async throws {
    let run = try await Self.fixedRun()
    let text = JUnitReporter().render(run)
    try compare(text, golden: "report.junit.xml")
    let document = try Document(string: text)
    let context = XPathContext(document: document)
    #expect(try context.evaluate("count(/testsuites/testsuite)").numberValue == 4)
    #expect(try context.evaluate("count(//testcase[@name='BRK-001']/failure)").numberValue == 1)
    #expect(try context.evaluate("count(//testcase[@name='NC-XML']/error)").numberValue == 1)
    #expect(
      try context.evaluate("count(//testcase[@name='NC-XSD']/system-out[starts-with(., 'waived:')])").numberValue == 1)
  }

  @Test func github() async throws {
    let run = try await Self.fixedRun()
    let text = GitHubReporter().render(run)
    try compare(text, golden: "report.github.txt")
    #expect(
      text.split(separator: "\n").allSatisfy {
        $0.hasPrefix("::error ") || $0.hasPrefix("::warning ") || $0.hasPrefix("::notice ")
      })
  }

  @Test func svrlIsGoldenAndValidAgainstTheISOGrammar() async throws {
    let run = try await Self.fixedRun(svrl: true)
    let report = try #require(run.reports.first)
    let text = SVRLReporter().render(report, run: run)
    try compare(text, golden: "report.svrl.xml")
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("normcheck-\(UUID()).svrl")
    try text.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let rng = Self.shared.appendingPathComponent("svrl-2016.rng").path
    let outcome = try runProcess("/usr/bin/xmllint", ["--noout", "--relaxng", rng, file.path])
    #expect(outcome.status == 0, "SVRL invalid: \(outcome.output)")
  }

  @Test func reporterIdentifiersAreUnique() {
    let identifiers = [
      TextReporter.identifier, JSONReporter.identifier, SARIFReporter.identifier, JUnitReporter.identifier,
      SVRLReporter.identifier, GitHubReporter.identifier,
    ]
    #expect(Set(identifiers).count == identifiers.count)
  }
}

@Suite("Text reporter against hostile text")
struct TextReporterHostileTests {
  /// A file name or a message built from document content must not start a new output line
  /// (a GitHub workflow command, a forged finding) nor reach the terminal as escape codes.
  @Test func controlCharactersAreEscaped() {
    let hostile = "x.xml\n::error file=y::forged\u{1B}[31m"
    let finding = Finding(
      ruleID: "R-1", origin: .rule, severity: .error, message: "bad\nname\u{7}", fix: "do\rthis", file: hostile,
      line: 3, column: 1)
    let report = DocumentReport(
      input: hostile, state: "X\nA", cycle: nil, findings: [finding], rulesApplied: [], schematronResults: [:],
      parsed: true)
    let text = TextReporter().render(
      RunSummary(reports: [report], packs: [], catalog: NormCatalog(), asOf: nil, failOn: .error, toolVersion: "t"))
    for line in text.split(separator: "\n") {
      #expect(!line.hasPrefix("::"), "a line starts a workflow command: \(line)")
    }
    #expect(!text.contains("\u{1B}"))
    #expect(!text.contains("\u{7}"))
    #expect(text.contains("x.xml\\n::error file=y::forged\\u{1b}[31m:3:1: error: [R-1] bad\\nname\\u{7}"))
  }
}
