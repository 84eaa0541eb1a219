import Foundation
import Schematron
import TestSupport
import Testing
import XMLCore

/// Differential conformance: every case of `Tests/SchematronConformance` (written for and
/// answered by lxml's ISO skeleton, or by hand where lxml cannot run the construct) must give
/// the same multiset of (kind, id, location, test) as normcheck.
@Suite("Conformance with lxml isoschematron")
struct ConformanceTests {
  struct Run: CustomTestStringConvertible, Sendable {
    var caseName: String
    var document: String
    var phase: String?
    var expected: String
    var testDescription: String { "\(caseName)/\(document)\(phase.map { " [\($0)]" } ?? "")" }
  }

  static let casesDirectory = Fixtures.root.appendingPathComponent("Tests/SchematronConformance/cases")

  static var runs: [Run] {
    let fm = FileManager.default
    let cases = (try? fm.contentsOfDirectory(atPath: casesDirectory.path).sorted()) ?? []
    var runs: [Run] = []
    for name in cases {
      let directory = casesDirectory.appendingPathComponent(name)
      let files = (try? fm.contentsOfDirectory(atPath: directory.path).sorted()) ?? []
      let documents = files.filter { $0.hasSuffix(".xml") && !$0.contains(".expected") }
      var phases: [String?] = [nil]
      if let text = try? String(contentsOf: directory.appendingPathComponent("phases.txt"), encoding: .utf8) {
        phases += text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
          .filter { !$0.isEmpty && !$0.hasPrefix("#!") }
      }
      for document in documents {
        let stem = String(document.dropLast(4))
        for phase in phases {
          let suffix = phase.map { "." + ($0 == "#ALL" ? "ALL" : $0) } ?? ""
          // Where normcheck follows ISO and the skeleton does not (@subject), the case
          // carries a hand-written ISO expectation.
          let iso = "\(stem)\(suffix).expected.iso.json"
          let plain = "\(stem)\(suffix).expected.json"
          let expected = files.contains(iso) ? iso : plain
          guard files.contains(expected) else { continue }
          runs.append(Run(caseName: name, document: document, phase: phase, expected: expected))
        }
      }
    }
    return runs
  }

  struct Entry: Hashable, Comparable, Codable, CustomStringConvertible {
    var kind: String
    var id: String?
    var location: String
    var test: String
    static func < (a: Entry, b: Entry) -> Bool { a.description < b.description }
    var description: String { "\(kind) \(id ?? "-") @ \(location) [\(test)]" }
  }

  static func normalize(_ test: String) -> String {
    test.split(whereSeparator: \.isWhitespace).joined(separator: " ")
  }

  @Test func corpusIsPresent() {
    #expect(Self.runs.count >= 40)
  }

  @Test(arguments: runs)
  func agreesWithTheOracle(run: Run) throws {
    let directory = Self.casesDirectory.appendingPathComponent(run.caseName)
    let schema = try CompiledSchema.load(
      contentsOfFile: directory.appendingPathComponent("schema.sch").path,
      options: .init(phase: run.phase))
    let document = try Document(contentsOfFile: directory.appendingPathComponent(run.document).path)
    let result = Evaluator(schema).validate(document)
    #expect(result.failures.isEmpty, "evaluation failures: \(result.failures)")
    let actual = result.findings.map {
      Entry(
        kind: $0.kind == .assert ? "failed-assert" : "successful-report", id: $0.assertionID,
        location: $0.location.path, test: Self.normalize($0.test))
    }.sorted()
    let data = try Data(contentsOf: directory.appendingPathComponent(run.expected))
    let expected = try JSONDecoder().decode([Entry].self, from: data).map {
      Entry(kind: $0.kind, id: $0.id, location: $0.location, test: Self.normalize($0.test))
    }.sorted()
    #expect(
      actual == expected,
      "missing: \(expected.filter { !actual.contains($0) }), extra: \(actual.filter { !expected.contains($0) })")
  }
}
