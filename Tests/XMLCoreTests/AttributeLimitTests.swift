import Foundation
import Testing
import XMLCore

/// The attribute pre-scan: a start tag with more attributes than the limit is refused before
/// libxml2's quadratic duplicate check, with the element's name and position; markup where
/// `=` is not an attribute never counts.
@Suite("Attributes per element")
struct AttributeLimitTests {
  /// A start tag `<e …>` with `count` attributes.
  func tag(_ count: Int, name: String = "e") -> String {
    "<\(name) " + (0..<count).map { "a\($0)=\"v\"" }.joined(separator: " ") + "/>"
  }

  func limitError(_ text: String, limits: ParseLimits = ParseLimits(maxAttributes: 8)) -> XMLError? {
    xmlError { _ = try Document(string: text, sourceName: "t.xml", limits: limits) }
  }

  @Test func atTheLimitParses() throws {
    let document = try Document(string: "<r>\(tag(8))</r>", limits: ParseLimits(maxAttributes: 8))
    #expect(document.elementCount == 2)
  }

  @Test func overTheLimitIsRefusedWithItsPosition() throws {
    let error = try #require(limitError("<?xml version=\"1.0\"?>\n<r>\n  <ok a='1'/>\n   \(tag(9, name: "big"))</r>"))
    #expect(error.kind == .limit)
    #expect(error.message.contains("<big>"))
    #expect(error.message.contains("more than 8 attributes"))
    #expect(error.location.file == "t.xml")
    #expect(error.location.line == 4)
    #expect(error.location.column == 4)
  }

  @Test func columnsCountCharactersNotBytes() throws {
    let error = try #require(limitError("<r>ééé\(tag(9))</r>"))
    #expect(error.location.line == 1)
    #expect(error.location.column == 7)
  }

  @Test func namespaceDeclarationsCount() throws {
    let namespaces = (0..<9).map { "xmlns:p\($0)=\"urn:x:\($0)\"" }.joined(separator: " ")
    #expect(limitError("<r \(namespaces)/>")?.kind == .limit)
  }

  @Test(
    "Equals signs outside start tags never count",
    arguments: [
      "<r>\(String(repeating: "a=b ", count: 20))</r>",
      "<r><!-- \(String(repeating: "a='b' ", count: 20)) --></r>",
      "<r><![CDATA[ \(String(repeating: "<x a=\"b\" ", count: 20)) ]]></r>",
      "<?pi \(String(repeating: "a=\"b\" ", count: 20))?><r/>",
      "<r a=\"\(String(repeating: "x=y ", count: 20))\" b='\(String(repeating: "=", count: 20))'/>",
      "<!DOCTYPE r [<!ENTITY e \"\(String(repeating: "a=b ", count: 20))\"> <!-- it's = = = = = = = = = = --> <!ATTLIST r \(String(repeating: "a CDATA 'x=y' ", count: 3))>]><r/>",
    ])
  func markupThatIsNotAttributes(text: String) throws {
    #expect(limitError(text)?.kind != .limit)
  }

  @Test func utf16InputIsScannedToo() throws {
    let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<r>\(tag(9))</r>"
    for (bom, encoding): ([UInt8], String.Encoding) in [
      ([0xFF, 0xFE], .utf16LittleEndian), ([0xFE, 0xFF], .utf16BigEndian), ([], .utf16LittleEndian),
    ] {
      let bytes = bom + Array(text.data(using: encoding)!)
      let error = xmlError { _ = try Document(bytes: bytes, limits: ParseLimits(maxAttributes: 8)) }
      #expect(error?.kind == .limit)
      #expect(error?.location.line == 2)
    }
  }

  @Test func theDefaultRefusesOneHundredThousandAttributes() throws {
    // 1.1 MB; libxml2's own duplicate check would take about 12 s, the XSD as long again.
    let text = "<r>\(tag(100_000))</r>"
    let error = try #require(xmlError { _ = try Document(string: text) })
    #expect(error.kind == .limit)
    #expect(error.message.contains("more than 256 attributes"))
    #expect(error.location.column == 4)
  }
}
