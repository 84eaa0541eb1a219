import Foundation
import TestSupport
import Testing
import XMLCore

/// A file is read straight into one buffer of its size (no chunk copies) and must give exactly
/// what the same bytes give from memory: the tree, every element's line and column, and the same
/// errors, in every encoding.
@Suite("Reading files")
struct FileReadingTests {
  static let body = "<r>\n  <a id=\"é\">x</a><b\n    k=\"v\"/>\n<c>ü &amp; <![CDATA[<d>]]></c></r>\n"

  /// Inputs in several encodings and shapes, well-formed or not.
  static let inputs: [(name: String, bytes: [UInt8])] = {
    var inputs: [(String, [UInt8])] = [
      ("plain", Array(body.utf8)),
      ("declared", Array(("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + body).utf8)),
      ("declared-lower-single", Array(("<?xml version='1.0' encoding = 'utf-8' ?>" + body).utf8)),
      ("no-encoding", Array(("<?xml version=\"1.0\"?>" + body).utf8)),
      ("bom", [0xEF, 0xBB, 0xBF] + Array(body.utf8)),
      ("leading-space", Array(("\n  " + body).utf8)),
      ("latin1", Array("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r a=\"".utf8) + [0xE9] + Array("\"/>".utf8)),
      ("utf16le", [0xFF, 0xFE] + body.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }),
      ("utf16be", [0xFE, 0xFF] + body.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }),
      ("truncated", Array(body.utf8.dropLast(9))),
      ("mismatched", Array("<r>\n<a></b></r>".utf8)),
      ("invalid-utf8", Array("<r>".utf8) + [0xC3, 0x28] + Array("</r>".utf8)),
      ("one-byte", Array("<".utf8)),
      ("garbage-first", Array("x<r/>".utf8)),
      ("entity", Array("<!DOCTYPE r [<!ENTITY e \"<i>in</i>\">]><r>&e;<j/></r>".utf8)),
    ]
    // Larger than the reader's and libxml2's chunks.
    let many = (0..<3_000).map { "<f id=\"f\($0)\" n=\"\($0 % 7)\">t\($0)</f>\n" }.joined()
    inputs.append(("large", Array("<r>\n\(many)</r>".utf8)))
    return inputs
  }()

  /// What a parse gives, for comparison: every element's path, line and column and the
  /// document's string value, or the error's kind, position and message.
  static func outcome(_ parse: () throws -> Document) -> String {
    do {
      let document = try parse()
      let context = XPathContext(document: document)
      let elements = try context.evaluate("//*").nodes
      return elements.map { "\($0.path) \($0.line):\($0.column) \($0.attributes.map(\.stringValue))" }
        .joined(separator: "\n") + "\n" + (try context.evaluate("string(/)").stringValue)
    } catch let error as XMLError {
      return "error \(error.kind) \(error.location.line):\(error.location.column) \(error.message)"
    } catch {
      return "error \(error)"
    }
  }

  @Test func aFileGivesWhatItsBytesGive() throws {
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    var parsed = 0
    for (name, bytes) in Self.inputs {
      let file = directory.appendingPathComponent("\(name).xml")
      try Data(bytes).write(to: file)
      let fromFile = Self.outcome { try Document(contentsOfFile: file.path) }
      let fromMemory = Self.outcome { try Document(bytes: bytes, sourceName: file.path) }
      #expect(fromFile == fromMemory, "\(name)")
      if !fromFile.hasPrefix("error") { parsed += 1 }
      // The file is left as it was.
      #expect(try Data(contentsOf: file) == Data(bytes))
    }
    #expect(parsed == 11)
  }

  /// Every element's line and column is where its `<` is, counted in characters: tags of every
  /// length, on one line or across several, with multi-byte characters before and inside them.
  @Test(arguments: 1...5)
  func startTagPositionsAreTheLessThanSigns(seed: Int) throws {
    var state = UInt64(seed)
    func next(_ bound: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((state >> 33) % UInt64(bound))
    }
    let values = ["", "a", "é", "日本", "x y z", "долгое значение", String(repeating: "v", count: 40)]
    let spaces = [" ", "  ", "\n", "\n    ", " \n\t"]
    var text = "<r>"
    for index in 0..<400 {
      text += next(3) == 0 ? values[next(values.count)] : ""
      text += next(4) == 0 ? "\n" : ""
      text += "<e\(index)"
      for attribute in 0..<next(5) {
        text += spaces[next(spaces.count)] + "a\(attribute)=\"\(values[next(values.count)])\""
      }
      text += next(4) == 0 ? spaces[next(spaces.count)] : ""
      text += next(2) == 0 ? "/>" : "></e\(index)>"
    }
    text += "</r>"
    // The expected positions: each '<' not followed by '/', line and column in characters.
    var expected: [String] = []
    var line = 1
    var column = 1
    var previous: Character = " "
    for character in text {
      if previous == "<" && character != "/" { expected.append("\(line):\(column - 1)") }
      if character == "\n" {
        line += 1
        column = 1
      } else {
        column += 1
      }
      previous = character
    }
    let encodings: [(String, [UInt8])] = [
      ("UTF-8", Array(text.utf8)), ("UTF-8 with a byte-order mark", [0xEF, 0xBB, 0xBF] + Array(text.utf8)),
      ("UTF-16", [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }),
    ]
    for (encoding, bytes) in encodings {
      let document = try Document(bytes: bytes)
      let elements = try XPathContext(document: document).evaluate("//*").nodes
      var found = elements.map { "\($0.line):\($0.column)" }
      if encoding == "UTF-16" {
        // libxml2 reads UTF-16 through its own converted buffer, whose front it drops near the end
        // of the document: a tag that began before what is left has its line but column 0
        // ("unknown"), never a wrong column.
        found = zip(found, expected).map { $0.hasSuffix(":0") && $1.hasPrefix($0.dropLast()) ? $1 : $0 }
      }
      #expect(found == expected, "\(encoding)")
    }
  }

  /// After a declared encoding libxml2 reads a converted buffer: a tag spanning lines on line 1
  /// gets its line and either its column or 0 ("unknown"), never a wrong column.
  @Test func declaredEncodingNeverGivesAWrongColumn() throws {
    let bytes = Array("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r\n a=\"1\"><e\n/></r>".utf8)
    let document = try Document(bytes: bytes)
    let elements = try XPathContext(document: document).evaluate("//*").nodes
    #expect(elements.map(\.line) == [1, 2])
    #expect([0, 44].contains(elements[0].column))
    #expect([0, 8].contains(elements[1].column))
  }
}
