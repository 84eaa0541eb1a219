import Foundation
import Testing

@testable import XMLCore

/// A parse with an ``AttributeProjection`` keeps exactly the attributes it names (and those in
/// the XML namespace, and those an index reads), and the rest of the tree is the whole parse's.
@Suite("Attributes left out while parsing")
struct AttributeProjectionTests {
  static func test(_ local: String?, _ namespace: String? = nil) -> ElementPath.Test {
    ElementPath.Test(namespace: namespace, localName: local)
  }

  /// Elements with attributes in no namespace, in two namespaces and in the XML namespace, text,
  /// and more distinct attribute names than the filter remembers (its uncached path).
  static func document(elements: Int = 3_000) -> String {
    var body = ""
    for index in 0..<elements {
      body += "<f id=\"f\(index)\" name=\"N\(index)\" op=\"o\" b:ref=\"r\(index % 7)\" c:x=\"c\" xml:lang=\"en\""
      body += " extra\(index % 400)=\"e\">text \(index)</f>\n"
    }
    return """
      <!DOCTYPE r>
      <r xmlns="urn:a" xmlns:b="urn:b" xmlns:c="urn:c" kind="root">
      \(body)</r>
      """
  }

  /// Every element's attributes as `{namespace}local=value`, and the text and position facts
  /// that must not change.
  static func summary(_ document: Document) -> [String] {
    var lines: [String] = []
    func walk(_ node: Node) {
      for child in node.children where child.kind == .element {
        let attributes = child.attributes.map { "{\($0.namespaceURI ?? "")}\($0.localName)=\($0.stringValue)" }
        lines.append(
          "\(child.localName) \(child.line):\(child.column) \(child.path)\t\(attributes.joined(separator: " "))")
        lines.append("text: \(child.stringValue)")
        walk(child)
      }
    }
    walk(document.documentNode)
    return lines
  }

  /// The summary of a whole parse with the attributes `projection` drops removed.
  static func expected(from whole: Document, keeping projection: AttributeProjection) -> [String] {
    summary(whole).map { line in
      guard let tab = line.firstIndex(of: "\t") else { return line }
      let kept = line[line.index(after: tab)...].split(separator: " ").filter {
        let name = $0.prefix { $0 != "=" }
        let namespaceEnd = name.firstIndex(of: "}")!
        let namespace = String(name[name.index(after: name.startIndex)..<namespaceEnd])
        return projection.keeps(
          localName: String(name[name.index(after: namespaceEnd)...]), namespace: namespace.isEmpty ? nil : namespace)
      }
      return line[...tab] + kept.joined(separator: " ")
    }
  }

  static let projection = AttributeProjection(keeping: [test("id"), test("ref", "urn:b"), test(nil, "urn:c")])

  @Test(arguments: [ParsePolicy.Arena.never, .always(capacity: 64 << 20, prefault: false)])
  func keepsWhatTheProjectionNames(arena: ParsePolicy.Arena) throws {
    let xml = Self.document()
    let whole = try Document(string: xml)
    let projected = try Document(
      input: InputBytes(Array(xml.utf8)), sourceName: "<memory>", indexing: .known([]), keeping: Self.projection,
      arena: arena)
    let lines = Self.summary(projected)
    #expect(lines == Self.expected(from: whole, keeping: Self.projection))
    // Left out: op, name, extra*, kind; kept: id, b:ref, every c:*, xml:lang.
    #expect(lines[0].hasSuffix("\t"))
    #expect(lines[2].contains("{}id=f0 {urn:b}ref=r0 {urn:c}x=c {http://www.w3.org/XML/1998/namespace}lang=en"))
    #expect(!lines.joined().contains("op=") && !lines.joined().contains("extra"))
    // Generated ids of kept attributes do not depend on the attributes left out.
    let context = XPathContext(document: whole, namespaces: ["a": "urn:a", "b": "urn:b"])
    let projectedContext = XPathContext(document: projected, namespaces: ["a": "urn:a", "b": "urn:b"])
    let wholeRefs = try context.evaluate("//a:f/@b:ref").nodes.map(\.stableID)
    #expect(wholeRefs.count == 3_000)
    #expect(try projectedContext.evaluate("//a:f/@b:ref").nodes.map(\.stableID) == wholeRefs)
    // `id()` still finds elements by `xml:id`, which is always kept.
    let withID = try Document(
      input: InputBytes(Array("<r><e xml:id=\"k\" a=\"1\"/></r>".utf8)), sourceName: "<memory>", indexing: .known([]),
      keeping: AttributeProjection(keeping: [Self.test("b")]), arena: .never)
    #expect(try XPathContext(document: withID).evaluate("count(id('k'))").numberValue == 1)
    #expect(try XPathContext(document: withID).evaluate("count(//@a)").numberValue == 0)
  }

  @Test func keepsWhatAnIndexReads() throws {
    let xml = Self.document(elements: 200)
    let request = AttributeIndexRequest(
      paths: [ElementPath(absolute: false, steps: [Self.test("f", "urn:a")])], attribute: Self.test("name"))
    let projected = try Document(
      bytes: Array(xml.utf8), sourceName: "<memory>", indexing: [request],
      keeping: AttributeProjection(keeping: [Self.test("id")]))
    let lines = Self.summary(projected)
    #expect(lines[2].contains("{}id=f0 {}name=N0 {http://www.w3.org/XML/1998/namespace}lang=en"))
    #expect(projected.attributeIndex(of: request.paths, attribute: request.attribute)["N7"].count == 1)
  }

  /// Named before the parse, while it runs or never: the elements after the naming lose what the
  /// projection drops, those before keep everything, and nothing else differs.
  @Test(arguments: [ParsePolicy.IndexingThread.always, .never])
  func pendingProjectionAppliesFromTheNextElement(thread: ParsePolicy.IndexingThread) throws {
    let xml = Self.document(elements: 20_000)
    let whole = try Document(string: xml)
    let full = Self.summary(whole)
    let expected = Self.expected(from: whole, keeping: Self.projection)
    func parse(_ name: (PendingIndexRequests) -> Void) throws -> [String] {
      let pending = PendingIndexRequests()
      name(pending)
      let document = try Document(
        bytes: Array(xml.utf8), sourceName: "<memory>", indexing: .pending(pending), arena: .never,
        indexingThread: thread)
      return Self.summary(document)
    }
    #expect(try parse { $0.fulfil([], keeping: Self.projection) } == expected)
    #expect(try parse { _ in } == full)
    #expect(try parse { $0.fulfil([]) } == full)
    let meanwhile = try parse { pending in
      Thread.detachNewThread {
        usleep(1_000)
        pending.fulfil([], keeping: Self.projection)
      }
    }
    // Each element is either whole or projected, and once projected, every later one is.
    #expect(meanwhile.count == full.count)
    var projecting = false
    for (index, line) in meanwhile.enumerated() {
      if line == expected[index] && line != full[index] { projecting = true }
      #expect(line == (projecting ? expected[index] : full[index]), "\(index)")
    }
  }

  /// A document whose DTD declares entities or attribute lists keeps every attribute: building
  /// an attribute fills in the text of the entities its value refers to, and registers a
  /// DTD-declared ID (a duplicate is an error), whether or not a reader wants the attribute.
  @Test func aDocumentTypeWithEntitiesOrAttributeListsKeepsEveryAttribute() throws {
    let onlyID = AttributeProjection(keeping: [Self.test("id")])
    func parse(_ xml: String, pending: Bool) throws -> Document {
      guard pending else {
        return try Document(bytes: Array(xml.utf8), sourceName: "t.xml", keeping: onlyID)
      }
      let requests = PendingIndexRequests()
      requests.fulfil([], keeping: onlyID)
      return try Document(bytes: Array(xml.utf8), sourceName: "t.xml", pendingIndexing: requests)
    }
    let entity = "<!DOCTYPE r [<!ENTITY org \"ACME\">]><r><c note=\"&org;\" id=\"1\"/><n>&org;</n></r>"
    let ids = "<!DOCTYPE r [<!ATTLIST f ref ID #IMPLIED>]><r><f ref=\"a\"/><f ref=\"a\"/></r>"
    #expect(throws: XMLError.self) { try Document(string: ids) }
    for pending in [false, true] {
      let document = try parse(entity, pending: pending)
      let context = XPathContext(document: document)
      #expect(try context.evaluate("string(/r/n)").stringValue == "ACME")
      #expect(try context.evaluate("string(/r/c/@note)").stringValue == "ACME")
      #expect(throws: XMLError.self) { try parse(ids, pending: pending) }
      // Without such declarations, the same document is projected.
      let plain = try parse("<!DOCTYPE r><r><c note=\"x\" id=\"1\"/></r>", pending: pending)
      #expect(try XPathContext(document: plain).evaluate("count(//@note)").numberValue == 0)
    }
  }

  @Test func projectionSemantics() {
    let some = AttributeProjection(keeping: [Self.test("id"), Self.test(nil, "urn:c")])
    #expect(some.keeps(localName: "id", namespace: nil))
    #expect(!some.keeps(localName: "id", namespace: "urn:b"))
    #expect(some.keeps(localName: "anything", namespace: "urn:c"))
    #expect(some.keeps(localName: "lang", namespace: "http://www.w3.org/XML/1998/namespace"))
    #expect(!some.keeps(localName: "name", namespace: nil))
    #expect(AttributeProjection(keeping: [ElementPath.Test.any]).keepsAll)
    #expect(some.union(.all).keepsAll && AttributeProjection.all.union(some).keepsAll)
    #expect(some.union(AttributeProjection(keeping: [Self.test("name")])).keeps(localName: "name", namespace: nil))
    #expect(some.description == "{urn:c}* {}id")
  }
}
