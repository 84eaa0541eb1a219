import Foundation
import Testing

@testable import XMLCore

/// Element positions are exact whether libxml2 reads the input through a window or whole.
///
/// UTF-8 input is handed to libxml2 a chunk at a time (it keeps a window, not a copy of the
/// whole input); other encodings are read whole. Either way every element keeps its exact line
/// and column, with tags longer than a chunk and tags that cross chunk boundaries.
@Suite("Input read through a window")
struct InputWindowTests {
  @Test func whichInputsAreReadAsUTF8() {
    let cases: [(String, [UInt8], Bool)] = [
      ("no declaration", Array("<r/>".utf8), true),
      ("declaration without encoding", Array("<?xml version=\"1.0\"?><r/>".utf8), true),
      ("UTF-8 declared", Array("<?xml version='1.0' encoding='UTF-8'?><r/>".utf8), true),
      ("utf8 declared, spaces", Array("<?xml version=\"1.0\" encoding = \"utf8\" ?><r/>".utf8), true),
      (
        "US-ASCII declared (libxml2 converts it)", Array("<?xml version=\"1.0\" encoding=\"US-ASCII\"?><r/>".utf8),
        false
      ),
      ("byte-order mark", [0xEF, 0xBB, 0xBF] + Array("<r/>".utf8), true),
      ("ISO-8859-1 declared", Array("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r/>".utf8), false),
      ("UTF-16 declared", Array("<?xml version=\"1.0\" encoding=\"UTF-16\"?><r/>".utf8), false),
      ("UTF-16 with a mark", [0xFF, 0xFE] + "<r/>".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, false),
      ("UTF-16 without a mark", "<r/>".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, false),
      ("UTF-16BE without a mark", "<r/>".utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }, false),
      ("leading space", Array(" <r/>".utf8), false),
      ("empty", [], false),
    ]
    for (name, bytes, expected) in cases {
      #expect(bytes.withUnsafeBufferPointer(Parser.isUTF8) == expected, "\(name)")
    }
  }

  /// Tags of every length up to several chunks keep their positions.
  ///
  /// Some tags span lines and have multi-byte characters before them on their line: the positions from a file read through the window
  /// are the ones counted in the text. In ISO-8859-1 and declared US-ASCII (read whole, through
  /// libxml2's converted buffer, whose front it drops near the end) a few tags may get their
  /// line and column 0 ("unknown"), never a wrong column.
  @Test func positionsSurviveTheWindow() throws {
    let (text, expected) = Self.tags(ascii: false)
    let (ascii, expectedASCII) = Self.tags(ascii: true)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "normcheck-window-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let latin1 =
      Array("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>".utf8) + Array(text.unicodeScalars.map { UInt8($0.value) })
    // Declared US-ASCII is read whole too: libxml2 installs an encoder for it.
    let usASCII = Array("<?xml version=\"1.0\" encoding=\"US-ASCII\"?>".utf8) + Array(ascii.utf8)
    let inputs: [(String, [UInt8], [(Int, Int)], Int, Bool)] = [
      ("UTF-8", Array(text.utf8), expected, 0, false),
      ("ISO-8859-1", latin1, expected, 43, true),
      ("US-ASCII", usASCII, expectedASCII, 41, true),
    ]
    for (name, bytes, expected, offset, unknownAllowed) in inputs {
      let file = directory.appendingPathComponent("\(name).xml")
      try Data(bytes).write(to: file)
      let document = try Document(contentsOfFile: file.path)
      let found = try XPathContext(document: document).evaluate("//*").nodes.map { ($0.line, $0.column) }
      let shifted = expected.map { $0.0 == 1 ? ($0.0, $0.1 + offset) : $0 }
      #expect(found.count == shifted.count, "\(name)")
      let wrong = zip(found, shifted).enumerated().filter { _, pair in
        pair.0 != pair.1 && !(unknownAllowed && pair.0.0 == pair.1.0 && pair.0.1 == 0)
      }
      #expect(
        wrong.isEmpty,
        "\(name): \(wrong.prefix(3).map { "element \($0.offset): \($0.element.0) instead of \($0.element.1)" })")
      // Most tags get their position; `unknownAllowed` is for a few near the converted buffer's end.
      #expect(found.filter { $0.1 == 0 }.count * 10 < found.count, "\(name)")
    }
  }

  /// 600 tags of every length up to several chunks, some spanning lines, with multi-byte
  /// characters before them on their line unless `ascii`; the text and each element's line and
  /// column, counted in characters.
  static func tags(ascii: Bool) -> (text: String, positions: [(Int, Int)]) {
    var seed: UInt64 = 0x5EED_0F_1417
    func next(_ bound: Int) -> Int {
      seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((seed >> 33) % UInt64(bound))
    }
    var document = PositionedText()
    document.append("<r>")
    var expected: [(Int, Int)] = [(1, 1)]
    func append(_ piece: String) { document.append(piece) }
    for index in 0..<600 {
      append((ascii ? ["", "e", "u ", "\n", "\n  ", "x"] : ["", "é", "ü ", "\n", "\n  ", "x"])[next(6)])
      expected.append((document.line, document.column))
      append("<e\(index)")
      let length = [0, 10, 80, 300, 4_100, 9_000][next(6)]
      append(next(3) == 0 ? "\n   " : " ")
      append("a=\"\(String(repeating: next(2) == 0 || ascii ? "v" : "é", count: length))\"")
      append(next(2) == 0 ? "/>" : "></e\(index)>")
    }
    append("</r>")
    return (document.text, expected)
  }
}
