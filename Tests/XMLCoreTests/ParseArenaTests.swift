import Foundation
import Testing

@testable import XMLCore

/// Documents parsed into an arena are the documents parsed with `malloc`, and the arena's
/// memory goes when the document goes.
///
/// The arena is off under the sanitizers (the ASan and TSan runs of CI); these tests then only
/// check that the policy falls back to `malloc`.
@Suite("Parse arena")
struct ParseArenaTests {
  /// Whether arenas are on in this process.
  static var arenasOn: Bool { ParseArena.forInput(of: ParseArena.minimumInput) != nil }

  /// A document of every kind of node, about `facilities` × 260 bytes: short and long
  /// attribute values, character references, namespaces, comments, processing instructions,
  /// CDATA, multi-byte text, and one text node larger than the arena's largest block.
  static func document(facilities: Int, encoding: String = "UTF-8") -> String {
    let apostrophe = encoding == "UTF-8" ? "’" : "'"
    var xml = "<?xml version=\"1.0\" encoding=\"\(encoding)\"?>\n<!-- synthetic -->\n"
    xml += "<d:declaration xmlns:d=\"urn:normcheck:declaration:1\" xmlns:x=\"urn:example:x\" version=\"1\">\n"
    for n in 0..<facilities {
      xml +=
        "  <d:facility id=\"f-\(n)\" name=\"Facility number \(n) of the northern grid &amp; co\" x:tag=\"t\(n % 7)\">"
      xml += "<d:note lang=\"fr\">Centrale de l\(apostrophe)Étang \(n)</d:note>"
      if n % 50 == 0 { xml += "<?audit checked=\"\(n)\"?><![CDATA[raw <text> \(n)]]><!-- c\(n) -->" }
      xml += "<d:contact email=\"cert-\(n)@example.org\"/></d:facility>\n"
    }
    xml += "  <d:annex>" + String(repeating: "long text ", count: 40_000) + "</d:annex>\n"
    xml += "</d:declaration>\n"
    return xml
  }

  /// Every node in document order, with what XPath and reports read of it.
  static func dump(_ document: Document) -> [String] {
    var lines: [String] = []
    func visit(_ node: Node) {
      lines.append(
        "\(node.kind) \(node.namespaceURI ?? "-") \(node.name) \(node.line):\(node.column) \(node.stringValue.count) \(node.stringValue.prefix(80))"
      )
      for attribute in node.attributes {
        lines.append("@\(attribute.namespaceURI ?? "-") \(attribute.name)=\(attribute.stringValue)")
      }
      for child in node.children { visit(child) }
    }
    visit(document.documentNode)
    return lines
  }

  @Test func hugePagesAreNotAskedForWhereABalloonReportsFreeMemory() throws {
    // A fake /sys/bus/virtio/drivers/virtio_balloon: devices with their feature bits.
    let fm = FileManager.default
    let root = fm.temporaryDirectory.appendingPathComponent("balloon-\(UUID().uuidString)")
    defer { try? fm.removeItem(at: root) }
    func device(_ name: String, features: String) throws {
      let directory = root.appendingPathComponent(name)
      try fm.createDirectory(at: directory, withIntermediateDirectories: true)
      try Data(features.utf8).write(to: directory.appendingPathComponent("features"))
    }
    #expect(!ParseArena.Region.freeMemoryReported(devices: root.path))  // no such directory
    try fm.createDirectory(at: root, withIntermediateDirectories: true)
    try Data().write(to: root.appendingPathComponent("bind"))
    #expect(!ParseArena.Region.freeMemoryReported(devices: root.path))  // no device bound
    // As this machine's balloon shows it: bits 1, 2, 5 (reporting) and 7.
    try device("virtio0", features: "0110010100000000000000000000000010000000\n")
    #expect(ParseArena.Region.freeMemoryReported(devices: root.path))
    try device("virtio0", features: "0110000100000000000000000000000010000000\n")
    #expect(!ParseArena.Region.freeMemoryReported(devices: root.path))
    try device("virtio3", features: "00000")  // too short to say
    #expect(!ParseArena.Region.freeMemoryReported(devices: root.path))
    try device("virtio7", features: "000001")
    #expect(ParseArena.Region.freeMemoryReported(devices: root.path))
  }

  @Test func largeInputsAreParsedIntoAnArena() throws {
    let bytes = Array(Self.document(facilities: 6_000).utf8)
    #expect(bytes.count >= ParseArena.minimumInput)
    let document = try Document(bytes: bytes, sourceName: "large.xml", arena: .automatic)
    let small = try Document(
      bytes: Array(Self.document(facilities: 10).utf8), sourceName: "small.xml", arena: .automatic)
    #expect((document.arena != nil) == Self.arenasOn)
    #expect(small.arena == nil)
    if let arena = document.arena {
      // Most of the tree is in the arena: more than the input's size.
      #expect(arena.bytesUsed > bytes.count)
    }
  }

  @Test(arguments: [
    ParsePolicy.Arena.always(capacity: 256 << 20, prefault: true),
    .always(capacity: 256 << 20, prefault: false),
    // Full after a few hundred facilities: the rest of the tree comes from malloc.
    .always(capacity: 64 << 10, prefault: true),
  ])
  func theTreeIsTheSame(policy: ParsePolicy.Arena) throws {
    for encoding in ["UTF-8", "ISO-8859-1"] {
      let text = Self.document(facilities: 2_000, encoding: encoding)
      let note = encoding == "UTF-8" ? "Centrale de l’Étang 1999" : "Centrale de l'Étang 1999"
      let bytes = encoding == "UTF-8" ? Array(text.utf8) : Array(text.data(using: .isoLatin1)!)
      let expected = try Document(bytes: bytes, sourceName: "t.xml", arena: .never)
      let document = try Document(bytes: bytes, sourceName: "t.xml", arena: policy)
      #expect(expected.arena == nil)
      #expect((document.arena != nil) == Self.arenasOn)
      if let arena = document.arena {
        // Spans start on a huge page's boundary, and large ones populated ahead ask for huge
        // pages where the kernel offers them (the small one does not: it would fit in one).
        #expect(Int(bitPattern: arena.base) % ParseArena.Region.hugePageSize == 0)
        #expect(
          arena.hugePages == (arena.prefault && ParseArena.Region.hugePagesOnRequest && arena.capacity >= 4 << 20))
      }
      #expect(Self.dump(document) == Self.dump(expected), "\(encoding)")
      #expect(document.elementCount == expected.elementCount)
      let context = XPathContext(document: document, namespaces: ["d": "urn:normcheck:declaration:1"])
      #expect(try context.evaluate(XPathExpression("count(//d:facility[contains(@name, '&')])")).numberValue == 2_000)
      #expect(
        try context.evaluate(XPathExpression("string(//d:facility[last()]/d:note)")).stringValue
          == note)
    }
  }

  @Test func theSpanIsGivenBackWithTheDocument() throws {
    guard Self.arenasOn else { return }
    let bytes = Array(Self.document(facilities: 1_000).utf8)
    weak var released: ParseArena?
    var span: UInt = 0
    do {
      let document = try Document(bytes: bytes, sourceName: "t.xml", arena: .always(capacity: 64 << 20, prefault: true))
      let view = document.view()
      released = document.arena
      span = UInt(bitPattern: try #require(document.arena).base)
      #expect(try Self.protection(at: span) == "rw-p")
      _ = view
    }
    #expect(released == nil)
    // Inaccessible: a pointer kept into a freed tree fails at once.
    #expect(try Self.protection(at: span) == "---p")
  }

  @Test func malformedInputFailsTheSameWay() throws {
    var text = Self.document(facilities: 3_000)
    let position = text.range(of: "<d:facility id=\"f-2500\"")!.lowerBound
    text.insert(contentsOf: "<a b=\"1\" b=\"2\"/>", at: position)
    let bytes = Array(text.utf8)
    let plain = xmlError { _ = try Document(bytes: bytes, sourceName: "bad.xml", arena: .never) }
    let arena = xmlError { _ = try Document(bytes: bytes, sourceName: "bad.xml", arena: .automatic) }
    #expect(plain != nil)
    #expect(arena?.location == plain?.location)
    #expect(arena?.message == plain?.message)
    #expect(plain?.location.line == 2_504)
    // The thread parses on normally afterwards.
    #expect(try Document(bytes: Array(Self.document(facilities: 6_000).utf8), sourceName: "t.xml").elementCount > 0)
  }

  @Test func threadsParseIntoArenasAtOnce() throws {
    let bytes = Array(Self.document(facilities: 1_500).utf8)
    let expected = Self.dump(try Document(bytes: bytes, sourceName: "t.xml", arena: .never))
    let results = ThreadResults<[String]>(count: 6, initial: [])
    DispatchQueue.concurrentPerform(iterations: 6) { index in
      let policy: ParsePolicy.Arena = index % 3 == 0 ? .never : .always(capacity: 128 << 20, prefault: index % 2 == 0)
      // Each thread also frees documents parsed by the others' arenas (through `results`).
      let document = try? Document(bytes: bytes, sourceName: "t.xml", arena: policy)
      results.store(document.map(Self.dump) ?? [], at: index)
    }
    for index in 0..<6 { #expect(results.value(at: index) == expected, "\(index)") }
  }

  /// The permissions of the mapping that holds `address`, from `/proc/self/maps`.
  static func protection(at address: UInt) throws -> String? {
    let maps = try String(contentsOfFile: "/proc/self/maps", encoding: .utf8)
    for line in maps.split(separator: "\n") {
      let fields = line.split(separator: " ")
      let bounds = fields[0].split(separator: "-").compactMap { UInt($0, radix: 16) }
      if bounds.count == 2, address >= bounds[0], address < bounds[1] { return String(fields[1]) }
    }
    return nil
  }
}
