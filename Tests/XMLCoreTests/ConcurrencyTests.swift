import Foundation
import Testing

@testable import XMLCore

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

  /// Attribute indexes collected while parsing, read at once through views on several threads
  /// (natively, inside libxml2's evaluation, and through the Swift subscript), answer what
  /// indexes built from the finished tree answer on one thread.
  @Test func parseTimeIndexesReadThroughViewsInParallel() throws {
    let namespace = "urn:c"
    func test(_ local: String, _ namespace: String?) -> ElementPath.Test {
      ElementPath.Test(namespace: namespace, localName: local)
    }
    let path = ElementPath(absolute: false, steps: [test("item", namespace)])
    let request = AttributeIndexRequest(paths: [path], attribute: test("ref", nil))
    var text = "<r xmlns='urn:c'>"
    for item in 0..<3_000 { text += "<item n='\(item)' ref='r\(item % 700)'/>" }
    text += "</r>"
    let collected = try Document(string: text, indexing: [request])
    #expect(collected.attributeIndexes.count == 1)
    let tree = try Document(string: text)
    let fromTree = tree.attributeIndex(of: [path], attribute: request.attribute)
    let values = (0..<720).map { "r\($0)" }
    let expected = values.map { fromTree[$0].map(\.path) }
    let lookup = QualifiedName("by-ref", namespace: "urn:normcheck:concurrency")
    // One view per thread, made before the threads start (as the checker does).
    let shared = ViewsPerThread(views: (0..<8).map { _ in collected.view() })
    DispatchQueue.concurrentPerform(iterations: shared.views.count) { task in
      let view = shared.views[task]
      let index = view.attributeIndex(of: [path], attribute: request.attribute)
      let context = XPathContext(document: view, namespaces: ["c": namespace])
      context.register(function: lookup) { call in .nodeSet(index[call.arguments[1].stringValue]) }
      context.register(indexedLookup: lookup) { _ in index }
      context.bind(prefix: "f", to: lookup.namespace)
      var same = true
      for (number, value) in values.enumerated() where number % 8 == task || number % 3 == 0 {
        let native = (try? context.evaluate("f:by-ref('refs', '\(value)')").nodes.map(\.path)) ?? ["error"]
        same = same && native == expected[number] && index[value].map(\.path) == expected[number]
      }
      shared.results[task] = same
    }
    #expect(Array(shared.results) == Array(repeating: true, count: shared.views.count))
    #expect(expected.filter { !$0.isEmpty }.count == 700)
  }

  /// Documents parsed at once on several threads, each with its attribute indexes built on a
  /// thread of its own while its parser goes on (``IndexingPipeline``), get the indexes that
  /// the finished tree gives.
  @Test func indexingThreadsAlongsideParsers() throws {
    func test(_ local: String) -> ElementPath.Test { ElementPath.Test(namespace: "urn:c", localName: local) }
    let request = AttributeIndexRequest(
      paths: [ElementPath(absolute: true, steps: [test("r"), test("item")])],
      attribute: ElementPath.Test(namespace: nil, localName: "ref"))
    var text = "<r xmlns='urn:c'>"
    for item in 0..<12_000 { text += "<item n='\(item)' ref='r\(item % 900)'><sub ref='r\(item)'/></item>" }
    let bytes = Array((text + "</r>").utf8)
    let tree = try Document(bytes: bytes, sourceName: "t.xml", arena: .never, indexingThread: .never)
    let fromTree = tree.attributeIndex(of: request.paths, attribute: request.attribute)
    let values = (0..<905).map { "r\($0)" }
    let expected = values.map { fromTree[$0].map(\.documentPosition) }
    let results = ThreadResults(count: 4, initial: false)
    DispatchQueue.concurrentPerform(iterations: 4) { task in
      guard
        let document = try? Document(
          bytes: bytes, sourceName: "t.xml", indexing: [request], arena: .automatic, indexingThread: .always)
      else { return }
      let index = document.attributeIndex(of: request.paths, attribute: request.attribute)
      let same =
        document.attributeIndexes.count == 1
        && values.indices.allSatisfy { index[values[$0]].map(\.documentPosition) == expected[$0] }
      results.store(same, at: task)
    }
    #expect(results.all == [true, true, true, true])
  }

  /// Child paths answered natively from the recorded subtrees, through views on several
  /// threads at once, give what the paths as written give on one thread.
  @Test func childPathsThroughViewsInParallel() throws {
    var text = "<r>"
    for list in 0..<40 {
      text += "<list n='\(list)'>"
      for item in 0..<(list % 5 == 0 ? 90 : 3) { text += "<c n='\(item)'>\(item % 4 == 0 ? "<list/>" : "")</c>" }
      text += "</list><note/>"
    }
    let document = try Document(string: text + "</r>")
    let sources = ["list/c", "note", "list/c/list", "c"]
    let paths = [
      ElementPath(
        absolute: false, steps: [.init(namespace: nil, localName: "list"), .init(namespace: nil, localName: "c")]),
      ElementPath(absolute: false, steps: [.init(namespace: nil, localName: "note")]),
      ElementPath(
        absolute: false,
        steps: [
          .init(namespace: nil, localName: "list"), .init(namespace: nil, localName: "c"),
          .init(namespace: nil, localName: "list"),
        ]),
      ElementPath(absolute: false, steps: [.init(namespace: nil, localName: "c")]),
    ]
    let plain = XPathContext(document: document)
    let contexts = try plain.evaluate("/r | /r/list").nodes
    let expected = try contexts.map { node in try sources.map { try plain.evaluate($0, at: node).nodes.map(\.path) } }
    let shared = ViewsPerThread(views: (0..<8).map { _ in document.view() })
    let name = QualifiedName("children", namespace: "urn:normcheck:concurrency")
    DispatchQueue.concurrentPerform(iterations: shared.views.count) { task in
      let view = shared.views[task]
      let context = XPathContext(document: view)
      context.register(function: name) { _ in throw XPathFunctionError("answered natively only") }
      context.register(childPaths: name) { paths.indices.contains($0) ? paths[$0] : nil }
      context.bind(prefix: "t", to: name.namespace)
      guard let nodes = try? context.evaluate("/r | /r/list").nodes else { return }
      var same = true
      for (index, node) in nodes.enumerated() {
        for number in sources.indices {
          let found = (try? context.evaluate("t:children('\(number)')", at: node).nodes.map(\.path)) ?? ["error"]
          same = same && found == expected[index][number]
        }
      }
      shared.results[task] = same
    }
    #expect(Array(shared.results) == Array(repeating: true, count: shared.views.count))
    #expect(expected.joined().filter { !$0.isEmpty }.count > 40)
  }
}

/// One view of a document per thread, and one result per thread, which each thread writes
/// alone.
private final class ViewsPerThread: @unchecked Sendable {
  let views: [Document]
  let results: UnsafeMutableBufferPointer<Bool>

  init(views: [Document]) {
    self.views = views
    results = .allocate(capacity: views.count)
    results.initialize(repeating: false)
  }

  deinit { results.deallocate() }
}
