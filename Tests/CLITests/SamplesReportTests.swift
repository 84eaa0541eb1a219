import Foundation
import TestSupport
import Testing

/// Samples/README.md ends with the exact findings normcheck reports per sample; this keeps that list true.
///
/// `RECORD_GOLDEN=1` rewrites it.
@Suite("Samples/README.md matches what normcheck reports")
struct SamplesReportTests {
  static let start = "<!-- normcheck-findings:start -->"
  static let end = "<!-- normcheck-findings:end -->"

  @Test func readmeListsTheActualFindings() throws {
    let outcome = try CLITests().run(["check", "--format", "json", "--jobs", "2", "Samples/"])
    #expect(outcome.status == 1)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
    let files = try #require(object["files"] as? [[String: Any]])
    var block = "\n"
    for file in files {
      let path = (file["path"] as? String ?? "").replacingOccurrences(of: "Samples/", with: "")
      let findings = file["findings"] as? [[String: Any]] ?? []
      block += "- `\(path)`: "
      if findings.isEmpty {
        block += "no findings.\n"
        continue
      }
      let entries = findings.map { finding in
        "\(finding["line"] as? Int ?? 0): \(finding["ruleId"] as? String ?? "?") (\(finding["severity"] as? String ?? "?"))"
      }
      block += "\(findings.count) finding\(findings.count == 1 ? "" : "s") — " + entries.joined(separator: ", ") + ".\n"
    }
    let url = Fixtures.root.appendingPathComponent("Samples/README.md")
    let readme = try String(contentsOf: url, encoding: .utf8)
    let startRange = try #require(readme.range(of: Self.start))
    let endRange = try #require(readme.range(of: Self.end))
    let current = String(readme[startRange.upperBound..<endRange.lowerBound])
    if ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1" {
      let updated = readme.replacingCharacters(in: startRange.upperBound..<endRange.lowerBound, with: block)
      try updated.write(to: url, atomically: true, encoding: .utf8)
      return
    }
    #expect(current == block, "Samples/README.md is out of date: RECORD_GOLDEN=1 swift test --filter SamplesReport")
    // The model declaration passes everything.
    #expect(block.contains("- `xa-arvenia-2026-model.xml`: no findings."))
  }
}
