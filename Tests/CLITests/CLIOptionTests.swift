import Foundation
import TestSupport
import Testing

/// Every option of `check` and the secretariat commands, through the built binary on Samples/.
@Suite("normcheck options end to end")
struct CLIOptionTests {
  let cli = CLITests()
  let model = "Samples/xa-arvenia-2026-model.xml"
  let belmora = "Samples/xb-belmora-2025-no-cert.xml"

  func temporaryDirectory() throws -> URL { try Fixtures.makeTemporaryDirectory() }

  @Test func asOfMovesFreshness() throws {
    // OAS-006: an OAS-listed contact not updated within 183 days of the as-of date.
    let submission = try cli.run(["check", "--pack", "oas", "--format", "json", belmora])
    #expect(!submission.stdout.contains("\"OAS-006\""))
    let later = try cli.run(["check", "--pack", "oas", "--as-of", "2029-01-01", "--format", "json", belmora])
    #expect(later.stdout.contains("\"ruleId\" : \"OAS-006\""))
  }

  @Test func phaseSelectsPatterns() throws {
    let directory = try temporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let pack = directory.appendingPathComponent("phased.sch")
    try """
    <schema xmlns="http://purl.oclc.org/dsdl/schematron" defaultPhase="quick">
      <ns prefix="d" uri="urn:normcheck:declaration:1"/>
      <phase id="quick"><active pattern="a"/></phase>
      <phase id="full"><active pattern="a"/><active pattern="b"/></phase>
      <pattern id="a"><rule context="d:declaration"><report id="A-1" test="true()">a ran</report></rule></pattern>
      <pattern id="b"><rule context="d:declaration"><report id="B-1" test="true()">b ran</report></rule></pattern>
    </schema>
    """.write(to: pack, atomically: true, encoding: .utf8)
    let quick = try cli.run(["check", "--pack", pack.path, model])
    #expect(quick.stdout.contains("[A-1]") && !quick.stdout.contains("[B-1]"))
    let full = try cli.run(["check", "--pack", pack.path, "--phase", "full", model])
    #expect(full.stdout.contains("[A-1]") && full.stdout.contains("[B-1]"))
    let all = try cli.run(["check", "--pack", pack.path, "--phase", "#ALL", model])
    #expect(all.stdout.contains("[B-1]"))
    let unknown = try cli.run(["check", "--pack", pack.path, "--phase", "nosuch", model])
    #expect(unknown.status == 2)
    #expect(unknown.stderr.contains("unknown phase 'nosuch'"))
    // A built-in pack is named as such and by its place in Rules/, not by the directory its
    // material was unpacked to; the heading and the problem are joined by a space.
    let builtin = try cli.run(["check", "--pack", "cert-rfc2350", "--phase", "nosuch", model])
    #expect(builtin.status == 2)
    #expect(
      builtin.stderr.contains("pack cert-rfc2350 (built-in) cannot be loaded: Rules/packs/cert-rfc2350/pack.sch:"))
    #expect(builtin.stderr.contains("unknown phase 'nosuch'"))
    #expect(!builtin.stderr.contains("normcheck-rules") && !builtin.stderr.contains(":;"))
  }

  @Test func baselineCountsOnlyNewFindings() throws {
    let directory = try temporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let baseline = directory.appendingPathComponent("baseline.json").path
    let first = try cli.run(["check", "--fail-on", "info", "--write-baseline", baseline, belmora])
    #expect(first.status == 1)
    #expect(FileManager.default.fileExists(atPath: baseline))
    // Same findings: nothing new, exit 0, findings still shown as in the baseline.
    let again = try cli.run(["check", "--fail-on", "info", "--baseline", baseline, belmora])
    #expect(again.status == 0, "\(again.stdout)")
    #expect(again.stdout.contains("[in baseline]"))
    // Lines inserted at the top shift every finding; the baseline still holds them all.
    let shifted = directory.appendingPathComponent("xb.xml")
    let text = try String(contentsOfFile: Fixtures.path(belmora), encoding: .utf8)
    try text.replacingOccurrences(of: "<declaration ", with: "<!-- a\n\n\ncomment -->\n<declaration ")
      .write(to: shifted, atomically: true, encoding: .utf8)
    let baselineText = try String(contentsOfFile: baseline, encoding: .utf8)
    try baselineText.replacingOccurrences(of: belmora, with: shifted.path).write(
      toFile: baseline, atomically: true, encoding: .utf8)
    let moved = try cli.run(["check", "--fail-on", "info", "--baseline", baseline, shifted.path])
    #expect(moved.status == 0, "\(moved.stdout)")
    let bad = try cli.run(["check", "--baseline", directory.appendingPathComponent("none.json").path, belmora])
    #expect(bad.status == 2)
  }

  @Test func waiversAndStrictWaivers() throws {
    let waivers = "Tests/NormKitTests/Fixtures/waivers.xml"
    let outcome = try cli.run(["check", "--waivers", waivers, "Samples/xh-hollenmark-2025-schema-invalid.xml"])
    #expect(outcome.stdout.contains("[waived until 2027-06-30"))
    #expect(outcome.stdout.contains("[NC-WAIVER-EXPIRED]"))
    #expect(outcome.stdout.contains("[NC-WAIVER-UNUSED]"))
    #expect(outcome.status == 1)  // two XSD errors remain unwaived
    let strict = try cli.run(["check", "--waivers", waivers, "--strict-waivers", model])
    #expect(strict.status == 1)
    #expect(strict.stdout.contains("error: [NC-WAIVER-UNUSED]"))
    let lenient = try cli.run(["check", "--waivers", waivers, model])
    #expect(lenient.status == 0)
    let broken = try cli.run(["check", "--waivers", model, model])
    #expect(broken.status == 2)
  }

  @Test func everyFormatThroughTheCLI() throws {
    let directory = try temporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let invalid = "Samples/xh-hollenmark-2025-schema-invalid.xml"
    let sarif = try cli.run(["check", "--format", "sarif", invalid])
    #expect(sarif.stdout.contains("\"version\" : \"2.1.0\""))
    let junit = try cli.run(["check", "--format", "junit", invalid])
    #expect(junit.stdout.hasPrefix("<?xml") && junit.stdout.contains("<testsuites"))
    let github = try cli.run(["check", "--format", "github", invalid])
    #expect(
      github.stdout.hasPrefix("::error file=Samples/xh-hollenmark-2025-schema-invalid.xml,line=13,col=3,title=NC-XSD::")
    )
    let html = try cli.run(["check", "--format", "html", invalid])
    #expect(html.stdout.hasPrefix("<!DOCTYPE html>") && html.stdout.contains("Needs work"))
    let svrl = try cli.run(["check", "--format", "svrl", model])
    #expect(svrl.stdout.contains("<svrl:schematron-output"))
    // Several inputs: one SVRL file each in the output directory; without it, a usage error.
    let several = try cli.run(["check", "--format", "svrl", "--output", directory.path, model, belmora])
    #expect(several.status == 1 || several.status == 0)
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    #expect(files == ["Samples_xa-arvenia-2026-model.svrl.xml", "Samples_xb-belmora-2025-no-cert.svrl.xml"])
    #expect(try cli.run(["check", "--format", "svrl", model, belmora]).status == 2)
  }

  @Test func quietPrintsFindingsAndSummaryOnly() throws {
    let outcome = try cli.run(["check", "--quiet", "Samples/"])
    #expect(!outcome.stdout.contains("fix:"))
    #expect(!outcome.stdout.contains("no findings\n"))
    #expect(outcome.stdout.contains("9 files checked"))
  }

  @Test func matrixFormats() throws {
    let text = try cli.run(["matrix", "Samples/"])
    #expect(text.status == 0)
    #expect(text.stdout.contains("XH 2025"))
    #expect(text.stdout.contains("FAIL"))
    let csv = try cli.run(["matrix", "--format", "csv", "Samples/"])
    let header = csv.stdout.split(separator: "\r\n").first ?? ""
    #expect(header.hasPrefix("state,cycle,file,form,"))
    #expect(csv.stdout.split(separator: "\r\n").count == 10)
    let json = try cli.run(["matrix", "--format", "json", "--by", "rules", "Samples/"])
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect(object["axis"] as? String == "rules")
    let html = try cli.run(["matrix", "--format", "html", "Samples/"])
    #expect(html.stdout.contains("<table>") && html.stdout.contains("XE"))
  }

  @Test func diffOfTwoCyclesOfOneState() throws {
    let old = "Samples/xe-estmark-2025-stale.xml"
    let new = "Samples/xe-estmark-2026-later-cycle.xml"
    let text = try cli.run(["diff", old, new])
    #expect(text.status == 0)
    #expect(text.stdout.hasPrefix("XE: "))
    #expect(text.stdout.contains("By norm"))
    let json = try cli.run(["diff", "--format", "json", old, new])
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    let states = try #require(object["states"] as? [[String: Any]])
    #expect(states.map { $0["state"] as? String } == ["XE"])
    // The later cycle fixed the stale contacts and the expired key, and broke a reference.
    let introduced = (states[0]["introduced"] as? [[String: Any]] ?? []).compactMap { $0["ruleId"] as? String }
    let resolved = (states[0]["resolved"] as? [[String: Any]] ?? []).compactMap { $0["ruleId"] as? String }
    let persisting = (states[0]["persisting"] as? [[String: Any]] ?? []).compactMap { $0["ruleId"] as? String }
    #expect(introduced == ["INT-002"])
    #expect(resolved.contains("CERT-008") && resolved.contains("UN-019"))
    #expect(!persisting.isEmpty && !persisting.contains("CERT-008"))
    // Directories of two cycles, paired by state code.
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    for (cycle, file) in [("2025", old), ("2026", new)] {
      let folder = directory.appendingPathComponent(cycle)
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      try FileManager.default.copyItem(
        atPath: Fixtures.path(file), toPath: folder.appendingPathComponent("estmark.xml").path)
    }
    let byDirectory = try cli.run([
      "diff", "--fail-on", "error", directory.appendingPathComponent("2025").path,
      directory.appendingPathComponent("2026").path,
    ])
    #expect(byDirectory.status == 1)  // an error was introduced
    #expect(byDirectory.stdout.hasPrefix("XE: 1 introduced, 10 resolved"))
    let sarif = try cli.run(["diff", "--format", "sarif", old, new])
    #expect(sarif.stdout.contains("\"baselineState\""))
    let html = try cli.run(["diff", "--format", "html", old, new])
    #expect(html.stdout.contains("Changes between cycles"))
  }
}
