import Foundation
import Testing

@testable import XMLCore

/// A large UTF-8 input parsed with a helper thread is scanned for start tags with too many
/// attributes while it is parsed (``AttributeScanAhead``): the answers are those of the scan
/// before the parse, wherever the offending tag lies, and libxml2 never reads it.
@Suite("Attributes per element, scanned ahead of the parser")
struct AttributeScanAheadTests {
  /// About 1.3 MB of elements within the limit, with a start tag of `attributes` attributes
  /// (named `big`) after `before` of them, and a byte-order mark when `bom`.
  static func input(before: Int, attributes: Int, bom: Bool = false) -> [UInt8] {
    var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r>\n"
    let line = "  <e a=\"1\" b='x=y' c=\"é\"><!-- d=\"1\" e=\"2\" --><![CDATA[ f=1 g=2 ]]></e>\n"
    let total = 16_000
    for index in 0..<total {
      if index == before {
        text += "  <big " + (0..<attributes).map { "a\($0)=\"v\"" }.joined(separator: " ") + "/>\n"
      }
      text += line
    }
    if before >= total {
      text += "  <big " + (0..<attributes).map { "a\($0)=\"v\"" }.joined(separator: " ") + "/>\n"
    }
    text += "</r>\n"
    return (bom ? [0xEF, 0xBB, 0xBF] : []) + Array(text.utf8)
  }

  static func parse(_ bytes: [UInt8], helpers: Int) -> Result<Int, XMLError> {
    do {
      let document = try Document(
        bytes: bytes, sourceName: "t.xml", limits: ParseLimits(maxAttributes: 8), arena: .automatic,
        helpers: ParseHelpers(capacity: helpers))
      return .success(document.elementCount)
    } catch {
      return .failure(error as! XMLError)
    }
  }

  @Test(arguments: [0, 1, 7_000, 15_999, 16_000])
  func sameAnswerAsTheScanBeforeTheParse(before: Int) throws {
    for bom in [false, true] {
      for attributes in [8, 9, 300] {
        let bytes = Self.input(before: before, attributes: attributes, bom: bom)
        #expect(bytes.count >= ParseArena.minimumInput)
        let ahead = Self.parse(bytes, helpers: 1)
        let first = Self.parse(bytes, helpers: 0)
        switch (ahead, first) {
        case (.success(let count), .success(let expected)):
          #expect(attributes <= 8)
          #expect(count == expected)
          #expect(count == 16_002)
        case (.failure(let error), .failure(let expected)):
          #expect(attributes > 8)
          #expect(error.kind == .limit)
          #expect(error.message == expected.message)
          #expect(error.location == expected.location)
          #expect(error.location.line == 2 + before + 1 && error.location.column == 3)
        default:
          Issue.record("\(before) \(attributes) \(bom): \(ahead) against \(first)")
        }
      }
    }
  }

  /// A malformed input fails with the parser's error, scanned ahead or not.
  @Test func malformedInputFailsTheSame() throws {
    var bytes = Self.input(before: 100, attributes: 2)
    bytes.removeLast(6)  // "</r>\n" and the last '>'
    guard case .failure(let ahead) = Self.parse(bytes, helpers: 1),
      case .failure(let first) = Self.parse(bytes, helpers: 0)
    else {
      Issue.record("a truncated input parsed")
      return
    }
    #expect(ahead.kind == .syntax && ahead.message == first.message && ahead.location == first.location)
  }
}
