import Foundation
import Testing
import XMLCore

@Suite("Concurrency")
struct ConcurrencyTests {
  /// Many documents parsed and evaluated at once, each on its own task; results must match
  /// a sequential run, and errors must stay with the document that caused them.
  @Test func parseAndEvaluateInParallel() async throws {
    func work(_ index: Int) throws -> String {
      if index % 7 == 0 {
        // A broken document among the good ones: its error must name it.
        do {
          _ = try Document(string: "<r><unclosed></r>", sourceName: "broken-\(index).xml")
          return "unexpected success"
        } catch let error as XMLError {
          return error.location.file
        }
      }
      var text = "<r xmlns='urn:c'>"
      for item in 0..<(50 + index) { text += "<item n='\(item)'>v\(item)</item>" }
      text += "</r>"
      let document = try Document(string: text, sourceName: "doc-\(index).xml")
      let context = XPathContext(document: document, namespaces: ["c": "urn:c"])
      let ns = "urn:normcheck:concurrency"
      context.register(function: QualifiedName("twice", namespace: ns)) { call in
        .number(call.arguments[0].numberValue * 2)
      }
      context.bind(prefix: "f", to: ns)
      let expression = try XPathExpression("f:twice(count(c:item[@n mod 2 = 0]))")
      let value = try context.evaluate(expression, at: document.rootElement)
      return "\(document.sourceName)=\(value.numberValue)"
    }
    let indices = Array(0..<200)
    let expected = try indices.map(work)
    let results = try await withThrowingTaskGroup(of: (Int, String).self) { group in
      for index in indices { group.addTask { (index, try work(index)) } }
      var results = [String](repeating: "", count: indices.count)
      for try await (index, value) in group { results[index] = value }
      return results
    }
    #expect(results == expected)
    #expect(results[7] == "broken-7.xml")
    #expect(results[8] == "doc-8.xml=58.0")
  }
}
