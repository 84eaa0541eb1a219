import Foundation
import Testing

@testable import XMLCore

/// A large UTF-8 input parsed with a helper thread takes its elements' positions from the scan
/// running ahead of the parser (``StartTagTable``): they must be where the start tags are, and
/// what the parser finds by itself without the helper.
@Suite("Start-tag positions from the scan ahead of the parser")
struct StartTagTableTests {
  /// A document of more than 1 MB (parsed into an arena, scanned ahead) and where each start tag
  /// begins, as (name, line, column) in document order, counted while it is written.
  ///
  /// Its lines mix what the scan must step over or count: tags in comments, CDATA sections and
  /// processing instructions, `>` in attribute values, several tags on one line, multi-byte
  /// characters before a tag, tabs, carriage returns, start tags that span lines, prefixed names.
  static func input(bom: Bool, doctype: String?) -> (bytes: [UInt8], tags: [(String, Int, Int)]) {
    var document = PositionedText()
    var tags: [(String, Int, Int)] = []
    func write(_ piece: String) { document.append(piece) }
    func tag(_ name: String, _ rest: String) {
      tags.append((name, document.line, document.column))
      write("<" + name + rest)
    }
    write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
    if let doctype { write(doctype + "\n") }
    tag("r", " xmlns:p=\"urn:p\">\n")
    var index = 0
    while document.text.utf8.count < 1_200_000 {
      switch index % 6 {
      case 0:
        write("  ")
        tag("e", " a=\"x>y\" b='--&gt;'>")
        write("é€ text ")
        tag("p:f", "/>")
        write("\t")
        tag("g", ">")
        write("</g></e>\n")
      case 1:
        write("  <!-- <e a=\"1\"> --><![CDATA[ <e/> ]]><?pi <e/> ?>")
        tag("e", "\n     a=\"1\"\n     b=\"2\"/>\r\n")
      case 2:
        write("  ")
        tag("h", ">")
        write("日本語")
        tag("e", "/>")
        tag("e", "/>")
        write("</h>\n")
      case 3:
        write("\r\n  \t")
        tag("p:g", " p:a=\"v\"\t/>\n")
      case 4:
        write("  ")
        tag("e", "><![CDATA[<x>]]>")
        tag("k", "/></e>\n")
      default:
        write("  ")
        tag("e", " a='&lt;&#x3C;'/> <!---->")
        tag("e", "/>\n")
      }
      index += 1
    }
    write("</r>\n")
    return ((bom ? [0xEF, 0xBB, 0xBF] : []) + Array(document.text.utf8), tags)
  }

  static func positions(_ document: Document) -> [(String, Int, Int)] {
    var found: [(String, Int, Int)] = []
    func walk(_ node: Node) {
      for child in node.children where child.kind == .element {
        found.append((child.name, child.line, child.column))
        walk(child)
      }
    }
    walk(document.documentNode)
    return found
  }

  static func parse(_ bytes: [UInt8], helpers: Int) throws -> Document {
    try Document(bytes: bytes, sourceName: "t.xml", arena: .automatic, helpers: ParseHelpers(capacity: helpers))
  }

  static func mismatches(_ found: [(String, Int, Int)], _ expected: [(String, Int, Int)]) -> [String] {
    var differences: [String] = []
    if found.count != expected.count { differences.append("\(found.count) elements, \(expected.count) expected") }
    for (a, b) in zip(found, expected) where a != b {
      differences.append("\(a) against \(b)")
      if differences.count > 5 { break }
    }
    return differences
  }

  @Test(arguments: [false, true])
  func positionsAreWhereTheTagsBegin(bom: Bool) throws {
    let (bytes, tags) = Self.input(bom: bom, doctype: nil)
    #expect(bytes.count >= ParseArena.minimumInput)
    let ahead = Self.positions(try Self.parse(bytes, helpers: 1))
    let alone = Self.positions(try Self.parse(bytes, helpers: 0))
    #expect(Self.mismatches(ahead, tags) == [])
    #expect(Self.mismatches(alone, tags) == [])
  }

  /// A document whose DTD declares entities has the parser report the elements of entity
  /// content where they are referenced: the scan's table no longer lines up with the elements
  /// reported, and the parser finds every position itself; an internal subset without entities
  /// changes nothing.
  @Test(arguments: [
    "<!DOCTYPE r [<!ENTITY ent \"<q/>\"> <!ATTLIST e c CDATA '>'>]>",
    "<!DOCTYPE r [<!ATTLIST e c CDATA 'x>y'> <!-- <e> --> <?pi <e> ?>]>",
  ])
  func internalSubsets(doctype: String) throws {
    var (bytes, tags) = Self.input(bom: false, doctype: doctype)
    if doctype.contains("ENTITY") {
      // A reference to the entity at the start of the root element's content: the element it
      // stands for is reported there (and kept under the entity's node, outside this walk); the
      // tags after it on that line move five columns.
      let marker = Array("xmlns:p=\"urn:p\">\n".utf8)
      bytes.insert(contentsOf: Array("&ent;".utf8), at: bytes.firstRange(of: marker)!.upperBound)
      let line = tags[0].1 + 1
      for index in tags.indices where tags[index].1 == line { tags[index].2 += 5 }
    }
    let ahead = Self.positions(try Self.parse(bytes, helpers: 1))
    let alone = Self.positions(try Self.parse(bytes, helpers: 0))
    #expect(Self.mismatches(ahead, tags) == [])
    #expect(Self.mismatches(alone, tags) == [])
  }

  /// The table itself: offsets, lines and columns of start tags after multi-byte characters,
  /// line feeds and tabs, published only when asked.
  @Test func tableCountsCharacters() {
    let text = Array("<a>\n\té<b/>€€€€€€€€€€<c>\n\n  x<d\n/>".utf8)
    let table = StartTagTable(byteCount: text.count, start: 0)
    text.withUnsafeBufferPointer { buffer in
      for offset in buffer.indices
      where buffer[offset] == UInt8(ascii: "<") && buffer[offset + 1] != UInt8(ascii: "/") {
        table.append(startTagAt: offset, in: buffer)
      }
    }
    #expect(table.entry(0) == nil)
    table.publish()
    let entries = (0..<4).compactMap { table.entry($0) }.map { [Int($0.offset), Int($0.line), Int($0.column)] }
    #expect(entries == [[0, 1, 1], [7, 2, 3], [41, 2, 17], [49, 4, 4]])
    #expect(table.entry(4) == nil)
  }
}
