import Foundation
import TestSupport
import Testing

/// Runs the built `normcheck` binary and checks standard output, standard error, files and
/// exit codes, as a user or a pipeline sees them.
@Suite("normcheck CLI end to end")
struct CLITests: Sendable {
  struct Outcome {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// The binary SwiftPM built next to the test bundle.
  static var binary: URL {
    var directory = Bundle.main.bundleURL
    for _ in 0..<4 {
      let candidate = directory.appendingPathComponent("normcheck")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      directory = directory.deletingLastPathComponent()
    }
    return Fixtures.root.appendingPathComponent(".build/debug/normcheck")
  }

  func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Outcome {
    let process = Process()
    process.executableURL = Self.binary
    process.arguments = arguments
    process.currentDirectoryURL = Fixtures.root
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    env.removeValue(forKey: "NORMCHECK_RULES_DIR")
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
    let stderrData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Outcome(
      status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
      stderr: String(decoding: stderrData, as: UTF8.self))
  }

  @Test func readmeFirstCommandChecksTheSamples() throws {
    let outcome = try run(["check", "Samples/"])
    #expect(outcome.status == 1)  // the malformed and schema-invalid samples are errors
    #expect(outcome.stdout.contains("Samples/xg-galdria-2025-malformed.xml:24:"))
    #expect(outcome.stdout.contains("[NC-XML]"))
    #expect(outcome.stdout.contains("Samples/xh-hollenmark-2025-schema-invalid.xml:13:3: error: [NC-XSD]"))
    #expect(outcome.stdout.contains("9 files checked"))
    #expect(outcome.stderr.isEmpty, "stderr: \(outcome.stderr)")
  }

  @Test func failOnThresholds() throws {
    #expect(try run(["check", "--fail-on", "never", "Samples/"]).status == 0)
    let model = "Samples/xa-arvenia-2026-model.xml"
    #expect(try run(["check", model]).status == 0)
  }

  @Test func usageErrorsExitTwoWithOneLine() throws {
    for arguments in [
      ["check", "--format", "yaml", "Samples/"], ["check", "--pack", "no-such-pack", "Samples/"],
      ["check", "--as-of", "2026-13-40", "Samples/"], ["check", "--jobs", "0", "Samples/"], ["check"],
      ["check", "--no-such-option", "Samples/"],
    ] {
      let outcome = try run(arguments)
      #expect(outcome.status == 2, "\(arguments)")
      #expect(outcome.stderr.hasPrefix("normcheck: "), "\(arguments): \(outcome.stderr)")
      #expect(outcome.stderr.split(separator: "\n").count == 1, "\(arguments): \(outcome.stderr)")
      #expect(outcome.stdout.isEmpty)
    }
  }

  @Test func brokenPackIsAConfigurationError() throws {
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let binding = directory.appendingPathComponent("binding.sch")
    try """
    <schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
      <pattern><rule context="*"><assert test="true()">x</assert></rule></pattern>
    </schema>
    """.write(to: binding, atomically: true, encoding: .utf8)
    var outcome = try run(["check", "--pack", binding.path, "--no-xsd", "Samples/xa-arvenia-2026-model.xml"])
    #expect(outcome.status == 2)
    #expect(outcome.stderr.contains("binding.sch:1:1"))
    #expect(outcome.stderr.contains("xslt2"))
    #expect(outcome.stderr.split(separator: "\n").count == 1)
    let syntax = directory.appendingPathComponent("syntax.sch")
    try """
    <schema xmlns="http://purl.oclc.org/dsdl/schematron">
      <pattern><rule context="*">
        <assert test="count(">x</assert>
        <assert test="d:x">unbound prefix</assert>
      </rule></pattern>
    </schema>
    """.write(to: syntax, atomically: true, encoding: .utf8)
    outcome = try run(["check", "--pack", syntax.path, "--no-xsd", "Samples/xa-arvenia-2026-model.xml"])
    #expect(outcome.status == 2)
    #expect(outcome.stderr.contains("syntax.sch:3:5"))
    #expect(outcome.stderr.contains("'count('"))
    #expect(outcome.stderr.contains("syntax.sch:4:5"))
    #expect(outcome.stderr.contains("prefix 'd'"))
  }

  @Test func standardInput() throws {
    let text = try String(contentsOfFile: Fixtures.path("Samples/xg-galdria-2025-malformed.xml"), encoding: .utf8)
    let outcome = try run(["check", "-"], stdin: text)
    #expect(outcome.status == 1)
    #expect(outcome.stdout.contains("<stdin>:24:"))
  }

  @Test func jsonOutputToAFileIsDeterministic() throws {
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let first = directory.appendingPathComponent("a/report.json")
    let second = directory.appendingPathComponent("b.json")
    #expect(try run(["check", "--format", "json", "--output", first.path, "--jobs", "1", "Samples/"]).status == 1)
    #expect(try run(["check", "--format", "json", "--output", second.path, "--jobs", "3", "Samples/"]).status == 1)
    let a = try Data(contentsOf: first)
    #expect(a == (try Data(contentsOf: second)))
    let json = try #require(try JSONSerialization.jsonObject(with: a) as? [String: Any])
    #expect(json["schemaVersion"] as? String == "1.0")
    let summary = try #require(json["summary"] as? [String: Any])
    #expect(summary["files"] as? Int == 9)
    #expect(summary["failed"] as? Bool == true)
    // No temporary files are left beside the output.
    let left = try FileManager.default.contentsOfDirectory(atPath: first.deletingLastPathComponent().path)
    #expect(left == ["report.json"])
  }

  /// A declaration large enough to be parsed into an arena (see XMLCore's `ParseArena`) gets the
  /// report it gets without one: XSD validation, which records IDs in the tree on its own
  /// thread, and the built-in packs on a tree whose memory the arena holds.
  @Test func largeDeclarationsGetTheSameReportWithoutAnArena() throws {
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let sample = try String(contentsOfFile: Fixtures.path("Samples/xf-ferrovia-2026-large.xml"), encoding: .utf8)
    var lines = sample.components(separatedBy: "\n")
    let facilities = lines.indices.filter { lines[$0].contains("<facility ") }
    let copies = (1...3).flatMap { copy in
      facilities.map { lines[$0].replacingOccurrences(of: "id=\"xf-", with: "id=\"xf-c\(copy)-") }
    }
    lines.insert(contentsOf: copies, at: try #require(facilities.last) + 1)
    let large = directory.appendingPathComponent("xf-large.xml")
    try lines.joined(separator: "\n").write(to: large, atomically: true, encoding: .utf8)
    #expect(try Data(contentsOf: large).count > 1 << 20)
    let withArena = try run(["check", "--format", "json", "--jobs", "2", large.path])
    let without = try run(
      ["check", "--format", "json", "--jobs", "2", large.path], environment: ["NORMCHECK_PARSE_ARENA": "0"])
    #expect(withArena.status == without.status)
    #expect(withArena.stderr.isEmpty, "stderr: \(withArena.stderr)")
    #expect(withArena.stdout == without.stdout)
    let json = try #require(try JSONSerialization.jsonObject(with: Data(withArena.stdout.utf8)) as? [String: Any])
    let files = try #require(json["files"] as? [[String: Any]])
    let findings = try #require(files.first?["findings"] as? [[String: Any]])
    #expect(files.first?["parsed"] as? Bool == true)
    #expect(!findings.isEmpty)
  }

  @Test func anySchematronOnAnyXML() throws {
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let pack = directory.appendingPathComponent("orders.sch")
    try """
    <schema xmlns="http://purl.oclc.org/dsdl/schematron">
      <pattern id="p"><rule context="line">
        <assert id="qty" test="@qty &gt; 0">Line <value-of select="@n"/> has no quantity.</assert>
      </rule></pattern>
    </schema>
    """.write(to: pack, atomically: true, encoding: .utf8)
    let document = directory.appendingPathComponent("orders.xml")
    try "<orders>\n  <line n='1' qty='2'/>\n  <line n='2' qty='0'/>\n</orders>\n".write(
      to: document, atomically: true, encoding: .utf8)
    let outcome = try run(["check", "--pack", pack.path, "--no-xsd", document.path])
    #expect(outcome.status == 1)
    #expect(outcome.stdout.contains("orders.xml:3:3: error: [qty] Line 2 has no quantity."))
  }

  @Test func inputsAreNeverModified() throws {
    let path = Fixtures.path("Samples/xe-estmark-2025-stale.xml")
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    _ = try run(["check", path])
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
  }

  @Test func helpDocumentsExitCodes() throws {
    let outcome = try run(["check", "--help"])
    #expect(outcome.status == 0)
    #expect(outcome.stdout.contains("Exit codes"))
  }
}

@Suite("normcheck rules, explain, norms, test-pack")
struct CLISubcommandTests {
  let cli = CLITests()
  let brokenPack = "Tests/NormKitTests/Fixtures/broken-pack"

  @Test func rulesListsIdsSeveritiesAndNorms() throws {
    let outcome = try cli.run(["rules", "--pack", brokenPack])
    #expect(outcome.status == 0)
    #expect(outcome.stdout.contains("BRK-001    error"))
    #expect(outcome.stdout.contains("[GGE2015-13f]"))
    let json = try cli.run(["rules", "--json", "--pack", brokenPack])
    let rules = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
    #expect(rules.map { $0["id"] as? String } == ["BRK-001", "BRK-002"])
  }

  @Test func explainGivesNormCitationFixAndExample() throws {
    let outcome = try cli.run(["explain", "brk-001", "--pack", brokenPack])
    #expect(outcome.status == 0)
    #expect(outcome.stdout.contains("A/70/174 para. 13(f) (2015)"))
    #expect(outcome.stdout.contains("How to fix\n  Rename the facility."))
    #expect(outcome.stdout.contains("A declaration that passes"))
    let missing = try cli.run(["explain", "BRK-999", "--pack", brokenPack])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("did you mean BRK-001, BRK-002"))
  }

  @Test func normsPrintsTheCatalog() throws {
    let outcome = try cli.run(["norms", "GGE2015-13h"])
    #expect(outcome.status == 0)
    #expect(outcome.stdout.contains("A/70/174 para. 13(h)"))
    #expect(try cli.run(["norms", "NO-SUCH-NORM"]).status == 2)
    let all = try cli.run(["norms", "--json"])
    let norms = try #require(try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [[String: Any]])
    #expect(norms.count >= 100)
  }

  @Test func testPackReportsEveryProblemAndExitsOne() throws {
    let outcome = try cli.run(["test-pack", brokenPack])
    #expect(outcome.status == 1)
    #expect(outcome.stdout.contains("broken-pack: 6 problems"))
    #expect(outcome.stdout.contains("BRK-001 fired on a pass example"))
  }

  @Test func testPackLintsDeadRulesAndMissingIDs() throws {
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let pack = directory.appendingPathComponent("lint.sch")
    try """
    <schema xmlns="http://purl.oclc.org/dsdl/schematron">
      <pattern id="p">
        <rule context="a"><assert test="@x">no id here</assert></rule>
        <rule context=" a "><assert id="L-1" test="@y">shadowed</assert></rule>
      </pattern>
    </schema>
    """.write(to: pack, atomically: true, encoding: .utf8)
    let outcome = try cli.run(["test-pack", "--no-xsd", pack.path])
    #expect(outcome.status == 1)
    #expect(outcome.stdout.contains("lint.sch:3: assert without an id"))
    #expect(outcome.stdout.contains("lint.sch:4: rule ' a ' can never fire"))
    #expect(outcome.stdout.contains("L-1 cites no norm"))
  }
}
