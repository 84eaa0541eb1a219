import Foundation
import Testing
import XMLCore

@Suite("Document and node access")
struct DocumentTests {
  @Test func rootElementNameAndNamespace() throws {
    let document = try parseFixture("sample.xml")
    let root = try #require(document.rootElement)
    #expect(root.localName == "declaration")
    #expect(root.prefix == "d")
    #expect(root.name == "d:declaration")
    #expect(root.namespaceURI == testNamespace)
    #expect(root.kind == .element)
    #expect(root.attribute("state") == "XA")
    #expect(root.attribute("missing") == nil)
    #expect(root.attributes.map(\.localName) == ["state", "cycle"])
    #expect(document.sourceName.hasSuffix("sample.xml"))
  }

  @Test func childrenAndText() throws {
    let document = try parseFixture("sample.xml")
    let root = try #require(document.rootElement)
    let elements = root.childElements
    #expect(elements.map(\.localName) == ["facility", "facility", "facility", "facility", "plain"])
    #expect(elements[0].childElements.first?.stringValue == "North Dam")
    #expect(elements[2].namespaceURI == "urn:other")
    let plain = elements[4]
    #expect(plain.children.map(\.kind) == [.text, .comment, .text, .processingInstruction])
    #expect(plain.stringValue == "text onetext two")
    #expect(plain.parent == root)
    #expect(root.parent?.kind == .document)
    #expect(document.documentNode.parent == nil)
  }

  @Test func namespacedAttribute() throws {
    let document = try parseFixture("sample.xml")
    let second = try #require(document.rootElement?.childElements[1])
    #expect(second.attribute("critical", namespace: testNamespace) == "true")
    #expect(second.attribute("critical") == nil)
    let critical = try #require(second.attributes.first { $0.localName == "critical" })
    #expect(critical.namespaceURI == testNamespace)
    #expect(critical.path == "/*:declaration[1]/*:facility[2]/@*:critical")
  }

  @Test func linesAndColumnsOfStartTags() throws {
    let document = try parseFixture("sample.xml")
    let root = try #require(document.rootElement)
    #expect(root.line == 3)
    #expect(root.column == 1)
    let facilities = root.childElements
    #expect((facilities[0].line, facilities[0].column) == (4, 3))
    // A start tag spread over two lines reports the line and column of its '<'.
    #expect((facilities[1].line, facilities[1].column) == (5, 3))
    // An element after other content on the same line.
    let southName = try #require(facilities[3].childElements.first)
    #expect((southName.line, southName.column) == (10, 41))
    // Attributes report their element's position.
    let id = try #require(facilities[3].attributes.first)
    #expect((id.line, id.column) == (10, 3))
    #expect(facilities[3].location.description.hasSuffix("sample.xml:10:3"))
  }

  @Test func canonicalPaths() throws {
    let document = try parseFixture("sample.xml")
    let root = try #require(document.rootElement)
    let children = root.childElements
    #expect(root.path == "/*:declaration[1]")
    #expect(children[0].path == "/*:declaration[1]/*:facility[1]")
    #expect(children[1].path == "/*:declaration[1]/*:facility[2]")
    // `*:facility[n]` counts facilities of every namespace, as XPath 2.0 reads it.
    #expect(children[2].path == "/*:declaration[1]/*:facility[3]")
    #expect(children[3].path == "/*:declaration[1]/*:facility[4]")
    #expect(children[4].path == "/*:declaration[1]/plain[1]")
    #expect(children[0].attributes[0].path == "/*:declaration[1]/*:facility[1]/@id")
    let plainChildren = children[4].children
    #expect(
      plainChildren.map(\.path) == [
        "/*:declaration[1]/plain[1]/text()[1]",
        "/*:declaration[1]/plain[1]/comment()[1]",
        "/*:declaration[1]/plain[1]/text()[2]",
        "/*:declaration[1]/plain[1]/processing-instruction('pi')[1]",
      ])
    #expect(document.documentNode.path == "/")
  }

  @Test func pathsResolveBackToTheSameNode() throws {
    let document = try parseFixture("sample.xml")
    let context = XPathContext(document: document)
    let all = try context.evaluate("//* | //@* | //text() | //comment()").nodes
    #expect(all.count > 15)
    for node in all {
      // The canonical form uses '*:name', which XPath 1.0 lacks; rewrite it for libxml2.
      let xpath1 = node.path.replacingOccurrences(
        of: #"\*:([A-Za-z_][\w.-]*)"#, with: "*[local-name()='$1']", options: .regularExpression)
      let found = try context.evaluate(xpath1).nodes
      #expect(found.contains(node), "\(node.path) did not resolve to itself")
    }
  }

  @Test func linesBeyond65535() throws {
    var text = "<?xml version=\"1.0\"?>\n<root>\n"
    for index in 0..<70_000 { text += "  <item n=\"\(index)\"/>\n" }
    text += "  <last>end</last>\n</root>\n"
    let document = try Document(string: text, sourceName: "many-lines.xml")
    let root = try #require(document.rootElement)
    let last = try #require(root.childElements.last)
    #expect(last.localName == "last")
    #expect(last.line == 70_003)
    #expect(last.column == 3)
    #expect(try XPathContext(document: document).evaluate("/root/last/text()").nodes.first?.line == 70_003)
    #expect(document.elementCount == 70_002)
  }

  @Test func errorInLateLineReportsTrueLine() throws {
    var text = "<root>\n"
    for _ in 0..<70_000 { text += "<a/>\n" }
    text += "<broken attr=>\n</root>\n"
    let error = try #require(xmlError { _ = try Document(string: text, sourceName: "late.xml") })
    #expect(error.location.line == 70_002)
    #expect(error.location.file == "late.xml")
  }

  @Test func parsesFromBytesAndString() throws {
    let bytes = Array("<a><b/></a>".utf8)
    let document = try Document(bytes: bytes, sourceName: "bytes.xml")
    #expect(document.rootElement?.childElements.first?.localName == "b")
    #expect(try Document(string: "<x/>").rootElement?.name == "x")
  }

  @Test func parsesFromStandardInput() throws {
    // Swap fd 0 for a pipe holding a document (no other test reads standard input).
    let pipe = Pipe()
    let saved = dup(0)
    defer {
      dup2(saved, 0)
      close(saved)
    }
    dup2(pipe.fileHandleForReading.fileDescriptor, 0)
    pipe.fileHandleForWriting.write(Data("<from-stdin><x/></from-stdin>".utf8))
    try pipe.fileHandleForWriting.close()
    let document = try Document.fromStandardInput()
    #expect(document.sourceName == "<stdin>")
    #expect(document.rootElement?.localName == "from-stdin")
  }

  @Test func nodesKeepTheirDocumentAlive() throws {
    weak var weakDocument: Document?
    let node: Node = try {
      let document = try parseFixture("sample.xml")
      weakDocument = document
      return try #require(document.rootElement?.childElements.first)
    }()
    #expect(weakDocument != nil)
    #expect(node.attribute("id") == "f1")
    #expect(node.document.rootElement?.localName == "declaration")
  }

  @Test func documentIsFreedWithItsLastReference() throws {
    weak var weakDocument: Document?
    do {
      let document = try parseFixture("sample.xml")
      weakDocument = document
      _ = document.rootElement
    }
    #expect(weakDocument == nil)
  }
}

@Suite("Element paths: name tests compare whole names")
struct ElementPathNameTests {
  /// Names and namespace URIs that are prefixes or extensions of each other must not match.
  static let xml = """
    <r xmlns="urn:a" xmlns:ab="urn:ab" xmlns:x="urn:a">
      <facility id="1"/><facilityRef id="2"/><facilit id="3"/>
      <ab:facility id="4"/><x:facility id="5" x:id="6"/>
      <n xmlns=""><facility id="7"/></n>
    </r>
    """

  @Test func exactNamesAndNamespaces() throws {
    let document = try Document(string: Self.xml)
    func ids(_ namespace: String?, _ local: String?) -> [String] {
      let path = ElementPath(absolute: false, steps: [.init(namespace: namespace, localName: local)])
      return document.select(path) { _, _ in true }.compactMap { $0.attribute("id") }
    }
    #expect(ids("urn:a", "facility") == ["1", "5"])
    #expect(ids("urn:ab", "facility") == ["4"])
    #expect(ids(nil, "facility") == ["7"])
    #expect(ids("urn:", "facility") == [])
    #expect(ids("urn:a", "facilityRe") == [])
    #expect(ids("urn:a", nil) == ["1", "2", "3", "5"])
    // An attribute test in a namespace against unprefixed attributes of the same local name.
    let attributePath = ElementPath(
      absolute: false, steps: [.init(namespace: "urn:a", localName: "facility")],
      attribute: .init(namespace: "urn:a", localName: "id"))
    #expect(document.select(attributePath) { _, _ in true }.map(\.stringValue) == ["6"])
    let index = document.attributeIndex(
      of: ElementPath(absolute: false, steps: [.init(namespace: "urn:a", localName: "facility")]),
      attribute: .init(namespace: nil, localName: "id"))
    #expect(index["5"].count == 1)
    #expect(index["6"].isEmpty)
    #expect(index["4"].isEmpty)
  }

  /// The steps above the last, and attribute names, are compared by `ElementPath.Test.matches`.
  @Test func exactNamesInEarlierStepsAndAttributes() throws {
    let document = try Document(
      string: """
        <r xmlns="urn:a" xmlns:ab="urn:ab" xmlns:u="urn:">
          <r><f i="1" idx="x"/></r>
          <ab:r><f i="2"/></ab:r>
          <u:r><f i="3"/></u:r>
          <rr><f i="4"/></rr>
          <n xmlns=""><r><f i="5"/></r></n>
        </r>
        """)
    func values(_ parent: (String?, String), _ attribute: (String?, String)) -> [String] {
      let path = ElementPath(
        absolute: false,
        steps: [.init(namespace: parent.0, localName: parent.1), .init(namespace: "urn:a", localName: "f")],
        attribute: .init(namespace: attribute.0, localName: attribute.1))
      return document.select(path) { _, _ in true }.map(\.stringValue)
    }
    #expect(values(("urn:a", "r"), (nil, "i")) == ["1"])
    #expect(values(("urn:ab", "r"), (nil, "i")) == ["2"])
    #expect(values(("urn:", "r"), (nil, "i")) == ["3"])
    #expect(values(("urn:a", "rr"), (nil, "i")) == ["4"])
    #expect(values((nil, "r"), (nil, "i")) == [])  // the f there is in no namespace
    #expect(values(("urn:a", "r"), (nil, "id")) == [])
    #expect(values(("urn:a", "r"), (nil, "idx")) == ["x"])
    #expect(values(("urn:a", "r"), ("urn:a", "i")) == [])
  }
}
