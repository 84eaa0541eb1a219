import Foundation
import Schematron
import TestSupport
import Testing
import XMLCore

/// One compiled schema checks many documents at once with the same results as one at a time.
@Suite("Schematron concurrency")
struct SchematronConcurrencyTests {
  static let kinds = Vocabulary(parents: ["road": String?.none, "bridge": "road", "dam": String?.none])

  /// A register with entries and references that differ from document to document.
  static func documentText(_ index: Int) -> String {
    let countries = ["CH", "XA", "QQ", "DEU"]
    var text = "<register prefix=\"R\">\n"
    for entry in 0..<(5 + index) {
      let id = entry % 5 == 3 ? "X\(entry)" : "R\(entry)"
      let date = (index + entry) % 7 == 0 ? "2024-02-30" : "2024-0\(entry % 9 + 1)-\(10 + (index + entry) % 18)"
      let code = entry % 4 == 2 ? "bad\(index)" : "CH-\(index * 100 + entry)"
      text +=
        "  <entry id=\"\(id)\" date=\"\(date)\" code=\"\(code)\" country=\"\(countries[(index + entry) % 4])\"/>\n"
    }
    for ref in 0..<(index % 6 + 2) {
      let kind = ["road", "bridge", "dam", "tunnel"][(index + ref) % 4]
      text += "  <ref to=\"R\((ref * index) % (7 + index))\" kind=\"\(kind)\"/>\n"
    }
    return text + "</register>\n"
  }

  /// Everything a result says, one line per finding or failure.
  static func check(_ schema: CompiledSchema, index: Int) throws -> [String] {
    let document = try Document(string: documentText(index), sourceName: "doc-\(index).xml")
    let result = Evaluator(schema).validate(document, options: .init(recordFiredRules: true))
    var lines = result.findings.map {
      "\($0.location.file):\($0.location.line) \($0.location.path) \($0.patternID ?? "-")/\($0.assertionID ?? "-")"
        + " [\($0.severity)] \($0.text)"
    }
    lines += result.failures.map(\.description)
    lines.append("fired \(result.firedRules.count), truncated \(result.truncated)")
    return lines
  }

  @Test func oneCompiledSchemaFromSixteenTasks() async throws {
    let schema = try Fixture.compile("concurrency/schema.sch", options: .init(vocabularies: ["kinds": Self.kinds]))
    let indices = Array(0..<16)
    let sequential = try indices.map { try Self.check(schema, index: $0) }

    // The documents really differ, and every kind of finding occurs somewhere.
    #expect(Set(sequential).count == indices.count)
    let all = sequential.joined().joined(separator: "\n")
    for id in ["date", "prefix", "popular", "code", "country", "target", "vocab", "count"] {
      #expect(all.contains("/\(id) "), "no finding of \(id)")
    }
    #expect(sequential.allSatisfy { $0.last?.hasSuffix("truncated false") == true })

    for _ in 0..<3 {
      let concurrent = try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
        for index in indices {
          group.addTask { (index, try Self.check(schema, index: index)) }
        }
        var results = [[String]](repeating: [], count: indices.count)
        for try await (index, lines) in group { results[index] = lines }
        return results
      }
      #expect(concurrent == sequential)
    }
  }

  @Test func documentsStayApartWhenCheckedTogether() async throws {
    let schema = try Fixture.compile("concurrency/schema.sch", options: .init(vocabularies: ["kinds": Self.kinds]))
    let results = try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
      for index in 0..<16 {
        group.addTask { (index, try Self.check(schema, index: index)) }
      }
      var collected: [Int: [String]] = [:]
      for try await (index, lines) in group { collected[index] = lines }
      return collected
    }
    #expect(results.count == 16)
    for (index, lines) in results {
      let findings = lines.dropLast()
      #expect(findings.allSatisfy { $0.hasPrefix("doc-\(index).xml:") }, "doc-\(index): \(findings)")
      #expect(lines.contains { $0.contains("summary/count") && $0.contains("\(5 + index) entries") })
    }
  }
}
