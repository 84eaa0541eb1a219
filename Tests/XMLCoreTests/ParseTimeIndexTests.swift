import Foundation
import Testing

@testable import XMLCore

/// Attribute indexes collected while parsing answer exactly what the same indexes built on
/// first use from the finished tree answer.
@Suite("Attribute indexes collected while parsing")
struct ParseTimeIndexTests {
  static func test(_ local: String, _ namespace: String? = "urn:a") -> ElementPath.Test {
    ElementPath.Test(namespace: namespace, localName: local)
  }

  static let requests: [AttributeIndexRequest] = [
    // One path anywhere; the same under the root only; a union whose branches overlap.
    AttributeIndexRequest(paths: [ElementPath(absolute: false, steps: [test("f")])], attribute: test("id", nil)),
    AttributeIndexRequest(
      paths: [ElementPath(absolute: true, steps: [test("r"), test("list"), test("f")])], attribute: test("id", nil)),
    AttributeIndexRequest(
      paths: [
        ElementPath(absolute: false, steps: [test("list"), test("f")]),
        ElementPath(absolute: false, steps: [test("f")]),
        ElementPath(absolute: false, steps: [test("c")]),
      ],
      attribute: test("id", nil)),
    // A namespaced attribute; elements of any name.
    AttributeIndexRequest(paths: [ElementPath(absolute: false, steps: [test("f")])], attribute: test("ref", "urn:b")),
    AttributeIndexRequest(paths: [ElementPath(absolute: false, steps: [.any])], attribute: test("id", nil)),
  ]

  static func declaration(entities: Bool) -> String {
    var body = ""
    for index in 0..<6_000 {
      let id = "id-\(index % 150)"
      body += "<f id=\"\(index % 9 == 0 ? "" : id)\" b:ref=\"\(id)\">"
      body += index % 5 == 0 ? "<f id=\"\(id)\"/><c id=\"\(id)\"/>" : ""
      body += "</f>"
      if index % 50 == 0 { body += "</list><list><c id=\"\(id)\"/>" }
    }
    let doctype = entities ? "<!DOCTYPE r [<!ENTITY e \"x\">]>" : ""
    return "\(doctype)<r xmlns=\"urn:a\" xmlns:b=\"urn:b\"><list>\(body)</list><f id=\"last\"/></r>"
  }

  @Test(arguments: [(false, ParsePolicy.IndexingThread.never), (true, .never), (false, .always), (true, .always)])
  func sameAnswersAsIndexesBuiltOnFirstUse(entities: Bool, thread: ParsePolicy.IndexingThread) throws {
    let xml = Self.declaration(entities: entities)
    // Indexed on the parser's thread, or on a thread of their own while the parser goes on
    // (in chunks: the document has more elements than one chunk holds).
    let collected = try Document(
      bytes: Array(xml.utf8), sourceName: "<memory>", indexing: Self.requests, arena: .never, indexingThread: thread)
    #expect(collected.elementCount > IndexingPipeline.chunkSize)
    let later = try Document(string: xml)
    // Collected while parsing unless the document declares entities (then built on first use).
    #expect(collected.attributeIndexes.count == (entities ? 0 : Self.requests.count))
    #expect(later.attributeIndexes.isEmpty)
    var nonEmpty = 0
    for request in Self.requests {
      let fromParse = collected.attributeIndex(of: request.paths, attribute: request.attribute)
      let fromTree = later.attributeIndex(of: request.paths, attribute: request.attribute)
      // The first element of each value, in document order (what `set:distinct` is answered with).
      #expect(Self.firsts(fromParse) == Self.firsts(fromTree), "\(request)")
      #expect(Self.firsts(fromTree).count >= 150)
      for value in ["", "last", "none"] + (0..<150).map({ "id-\($0)" }) {
        let expected = fromTree[value].map(\.path)
        #expect(fromParse[value].map(\.path) == expected, "\(request) \(value)")
        if !expected.isEmpty { nonEmpty += 1 }
      }
    }
    #expect(nonEmpty > 500)
  }

  /// The paths of the first element of each value of `index`, in the table's order.
  static func firsts(_ index: AttributeIndex) -> [String] {
    var paths: [String] = []
    index.table.forEachFirst { paths.append(Node(document: index.document, pointer: $0).path) }
    return paths
  }

  /// A wait for requests blocks until they are named, or until the parse gives up on them.
  @Test func pendingRequestsWaitUntilNamedOrAbandoned() {
    final class Box: @unchecked Sendable { var value: [AttributeIndexRequest]?? = .none }
    for abandoning in [false, true] {
      let pending = PendingIndexRequests()
      let box = Box()
      let done = DispatchSemaphore(value: 0)
      Thread.detachNewThread {
        box.value = .some(pending.wait())
        done.signal()
      }
      // Not answered before it is named.
      #expect(done.wait(timeout: .now() + .milliseconds(50)) == .timedOut)
      if abandoning {
        pending.abandon()
      } else {
        pending.fulfil(Self.requests)
      }
      done.wait()
      #expect(box.value == .some(abandoning ? nil : Self.requests))
      // Named once only; a wait after that returns at once.
      pending.fulfil([])
      #expect(pending.wait() == (abandoning ? [] : Self.requests))
    }
  }

  /// A parse whose caller cancels its pending requests stops with a `.cancelled` error; one
  /// that is not cancelled, or that ends before the check (every 4 096 elements), is whole.
  @Test func cancelledRequestsStopTheParse() throws {
    let items = (0..<20_000).map { "<item id=\"i\($0)\"/>" }.joined(separator: "\n")
    let large = Array("<list>\n\(items)\n</list>".utf8)
    let cancelled = PendingIndexRequests()
    cancelled.cancel()
    #expect(cancelled.wait() == [])  // nothing left waiting
    do {
      _ = try Document(bytes: large, sourceName: "large.xml", pendingIndexing: cancelled)
      Issue.record("a cancelled parse returned a document")
    } catch let error as XMLError {
      #expect(error.kind == .cancelled)
      #expect(error.location.file == "large.xml")
      // Noticed at the 4 096th element: <list> on line 1, then one item per line.
      #expect(error.location.line == 4096)
    }
    let named = PendingIndexRequests()
    named.fulfil([])
    let whole = try Document(bytes: large, sourceName: "large.xml", pendingIndexing: named)
    #expect(whole.elementCount == 20_001)
    let small = PendingIndexRequests()
    small.cancel()
    let few = try Document(bytes: Array("<list><item/></list>".utf8), pendingIndexing: small)
    #expect(few.elementCount == 2)
  }

  /// A document that is not well-formed fails the same way with an indexing thread as without.
  ///
  /// That thread must be done before libxml2 frees the partial tree, which it does before the
  /// parse returns: under ASan, in CI, a late read is an error. A value larger than the arena's
  /// largest block comes from `malloc` even with an arena.
  @Test(arguments: [ParsePolicy.Arena.never, .automatic])
  func malformedInputWithAnIndexingThread(arena: ParsePolicy.Arena) throws {
    var xml = "<r xmlns=\"urn:a\"><list>"
    for index in 0..<30_000 { xml += "<f id=\"id-\(index % 700)\"/>" }
    xml += "<f id=\"\(String(repeating: "v", count: 300_000))\"/><f id=\"last\">"  // no end tags
    let bytes = Array(xml.utf8)
    func failure(_ thread: ParsePolicy.IndexingThread) -> XMLError? {
      do {
        _ = try Document(
          bytes: bytes, sourceName: "bad.xml", indexing: Self.requests, arena: arena, indexingThread: thread)
        return nil
      } catch {
        return error as? XMLError
      }
    }
    let inline = try #require(failure(.never))
    let threaded = try #require(failure(.always))
    #expect(threaded.location == inline.location)
    #expect(threaded.message == inline.message)
    #expect(inline.location.line == 1)
  }

  /// Requests named while the parse runs give the answers of indexes built on first use.
  ///
  /// Named (``PendingIndexRequests``) before it starts, from another thread while it goes on,
  /// or never; on an indexing thread or without one. Whatever the timing, the answers are the
  /// same, and a parse whose requests are never named still returns.
  @Test(arguments: [ParsePolicy.IndexingThread.always, .never])
  func pendingRequestsAnswerTheSameWhenTheyAreNamed(thread: ParsePolicy.IndexingThread) throws {
    let xml = Self.declaration(entities: false)
    let later = try Document(string: xml)
    func parse(_ name: (PendingIndexRequests) -> Void) throws -> Document {
      let pending = PendingIndexRequests()
      name(pending)
      return try Document(
        bytes: Array(xml.utf8), sourceName: "<memory>", indexing: .pending(pending), arena: .never,
        indexingThread: thread)
    }
    let before = try parse { $0.fulfil(Self.requests) }
    let never = try parse { _ in }
    let meanwhile = try parse { pending in
      Thread.detachNewThread {
        usleep(2_000)
        pending.fulfil(Self.requests)
        pending.fulfil([])  // ignored
      }
    }
    let emptied = try parse { $0.fulfil([]) }
    // Collected while parsing only on an indexing thread, and only once named.
    #expect(before.attributeIndexes.count == (thread == .always ? Self.requests.count : 0))
    #expect(never.attributeIndexes.isEmpty)
    #expect(emptied.attributeIndexes.isEmpty)
    #expect([0, Self.requests.count].contains(meanwhile.attributeIndexes.count))
    for document in [before, never, meanwhile, emptied] {
      for request in Self.requests {
        let answers = document.attributeIndex(of: request.paths, attribute: request.attribute)
        let expected = later.attributeIndex(of: request.paths, attribute: request.attribute)
        #expect(Self.firsts(answers) == Self.firsts(expected), "\(request)")
        for value in ["", "last", "none"] + (0..<150).map({ "id-\($0)" }) {
          #expect(answers[value].map(\.path) == expected[value].map(\.path), "\(request) \(value)")
        }
      }
    }
  }

  /// The file initializer passes the requests on too.
  @Test func fileInputsCollectToo() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("parse-time-index-\(UUID()).xml")
    try Self.declaration(entities: false).write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    let document = try Document(contentsOfFile: url.path, indexing: Self.requests)
    #expect(document.attributeIndexes.count == Self.requests.count)
  }
}
