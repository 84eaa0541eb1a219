import Foundation
import Testing
import XMLCore

/// Untrusted input must never reach the file system or network, blow up memory or time, or be silently "repaired".
///
/// Each case asserts the error kind and where it points.
@Suite("Hardened intake")
struct HostileInputTests {
  static let canary = "NORMCHECK-CANARY-7f3a9c"

  /// Everything a test can see of a parse: the error text and any text in the tree.
  private func everythingVisible(_ name: String) -> String {
    do {
      let document = try parseFixture(name)
      let context = XPathContext(document: document)
      return try context.evaluate("string(/)").stringValue
        + (try context.evaluate("//text()").nodes.map(\.stringValue).joined())
    } catch {
      return "\(error)"
    }
  }

  @Test(
    "XXE and external DTDs never reveal local files",
    arguments: ["xxe-local-file.xml", "xxe-absolute-file.xml", "external-dtd.xml", "parameter-entity.xml"])
  func externalEntitiesAreNotLoaded(name: String) throws {
    let visible = everythingVisible(name)
    #expect(!visible.contains(Self.canary))
    let hostname = (try? String(contentsOfFile: "/etc/hostname", encoding: .utf8))?
      .trimmingCharacters(in: .whitespacesAndNewlines)
    if let hostname, hostname.count > 3 { #expect(!visible.contains(hostname)) }
  }

  @Test func externalEntityStaysUnexpanded() throws {
    // Well-formed: the reference simply has no replacement text.
    let document = try parseFixture("xxe-local-file.xml")
    let note = try XPathContext(document: document).evaluate("string(//note)").stringValue
    #expect(note.isEmpty)
    // …and the reference is reported, naming the entity and what it points to.
    let refusal = try #require(document.warnings.first { $0.kind == .forbiddenAccess })
    #expect(refusal.message.contains("&secret;"))
    #expect(refusal.message.contains("never loaded"))
    #expect(refusal.location.line > 0)
  }

  @Test func undefinedEntityFromExternalDTDIsAnError() throws {
    // The external DTD is not read, so &leak; is undeclared: an error with its position.
    let error = try #require(xmlError { _ = try parseFixture("external-dtd.xml") })
    #expect(error.kind == .syntax)
    #expect(error.location.line == 3)
    #expect(error.message.contains("leak"))
  }

  @Test func httpEntityIsNeverFetched() throws {
    // Port 9 on loopback: if libxml2 tried, the parse would fail with an I/O error or hang.
    let clock = ContinuousClock()
    let started = clock.now
    let document = try parseFixture("xxe-http.xml")
    #expect(clock.now - started < .seconds(5))
    #expect(try XPathContext(document: document).evaluate("string(//note)").stringValue.isEmpty)
  }

  @Test func billionLaughsIsStoppedAsALimit() throws {
    let error = try #require(xmlError { _ = try parseFixture("billion-laughs.xml") })
    #expect(error.kind == .limit)
    #expect(error.message.contains("entity"))
    #expect(error.location.line > 0)
  }

  @Test func quadraticBlowupIsStopped() throws {
    let value = String(repeating: "x", count: 100_000)
    let references = String(repeating: "&big;", count: 50_000)
    let text = "<!DOCTYPE r [<!ENTITY big \"\(value)\">]><r>\(references)</r>"
    let clock = ContinuousClock()
    let started = clock.now
    let error = try #require(xmlError { _ = try Document(string: text, sourceName: "quadratic.xml") })
    #expect(error.kind == .limit)
    #expect(error.message.contains("expand"))
    #expect(clock.now - started < .seconds(5))
  }

  @Test func internalEntitiesStillWork() throws {
    let document = try parseFixture("internal-entity.xml")
    let name = try XPathContext(document: document).evaluate("string(//name)").stringValue
    #expect(name == "Republic of Examplia")
  }

  @Test func deepNestingIsALimit() throws {
    let depth = 100_000
    let text = String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth)
    let error = try #require(xmlError { _ = try Document(string: text, sourceName: "deep.xml") })
    #expect(error.kind == .limit)
    #expect(error.message.contains("256"))
  }

  @Test func depthLimitCanBeLowered() throws {
    let text = String(repeating: "<a>", count: 20) + String(repeating: "</a>", count: 20)
    let limits = ParseLimits(maxDepth: 10)
    let error = try #require(xmlError { _ = try Document(string: text, sourceName: "d.xml", limits: limits) })
    #expect(error.kind == .limit)
    #expect(error.message.contains("10 levels"))
    #expect(throws: Never.self) { try Document(string: text, sourceName: "d.xml") }
  }

  @Test func inputSizeLimit() throws {
    let limits = ParseLimits(maxInputBytes: 100)
    let error = try #require(xmlError { _ = try parseFixture("sample.xml", limits: limits) })
    #expect(error.kind == .limit)
    #expect(error.message.contains("100 bytes"))
    let memoryError = try #require(
      xmlError { _ = try Document(bytes: [UInt8](repeating: 32, count: 200), limits: limits) })
    #expect(memoryError.kind == .limit)
  }

  @Test func hugeAttributeValueIsALimit() throws {
    let text = "<a v=\"" + String(repeating: "x", count: 11_000_000) + "\"/>"
    let error = try #require(xmlError { _ = try Document(string: text, sourceName: "huge.xml") })
    #expect(error.kind == .limit)
  }

  @Test func invalidUTF8() throws {
    let error = try #require(xmlError { _ = try parseFixture("invalid-utf8.xml") })
    #expect(error.kind == .encoding)
    #expect(error.location.line == 3)
    #expect(error.location.file.hasSuffix("invalid-utf8.xml"))
  }

  @Test func truncatedDocument() throws {
    let error = try #require(xmlError { _ = try parseFixture("truncated.xml") })
    #expect(error.kind == .syntax)
    #expect(error.location.line == 4)
    #expect(error.level == .fatal)
    #expect(error.domain == 1)  // XML_FROM_PARSER
    #expect(error.code != 0)
  }

  @Test func mismatchedTagPointsAtIt() throws {
    let error = try #require(xmlError { _ = try parseFixture("mismatched-tag.xml") })
    #expect(error.kind == .syntax)
    #expect(error.location.line == 4)
    #expect(error.location.column > 0)
    #expect(error.description.contains("mismatched-tag.xml:4:"))
  }

  @Test func unboundPrefixIsNotSilentlyAccepted() throws {
    let error = try #require(xmlError { _ = try parseFixture("unbound-prefix.xml") })
    #expect(error.location.line == 3)
    #expect(error.message.contains("x"))
  }

  @Test func emptyInput() throws {
    let error = try #require(xmlError { _ = try parseFixture("empty.xml") })
    #expect(error.kind == .syntax)
    #expect(error.message.contains("empty"))
  }

  @Test func binaryGarbage() throws {
    let error = try #require(xmlError { _ = try parseFixture("binary.bin") })
    #expect([.syntax, .encoding].contains(error.kind))
    #expect(error.location.line >= 1)
  }

  @Test(
    "Encodings are detected from BOM and declaration",
    arguments: [
      ("utf16-bom.xml", "Ünïcødé Ŝtate"), ("utf16be-bom.xml", "Ünïcødé Ŝtate"), ("latin1.xml", "Côte Fictive"),
      ("utf8-bom.xml", "Ελλάδα Fictive"),
    ])
  func encodings(name: String, expected: String) throws {
    let document = try parseFixture(name)
    let value = try XPathContext(document: document).evaluate("string(//name)").stringValue
    #expect(value == expected)
  }

  @Test func utf16WithoutBOMOrDeclarationIsRejected() throws {
    let bytes = Array("<declaration><name>x</name></declaration>".utf16).flatMap {
      [UInt8($0 & 0xff), UInt8($0 >> 8)]
    }
    let error = try #require(xmlError { _ = try Document(bytes: bytes, sourceName: "utf16-nobom.xml") })
    #expect([.syntax, .encoding].contains(error.kind))
  }

  @Test func missingFileDirectoryAndFIFO() throws {
    let missing = try #require(xmlError { _ = try Document(contentsOfFile: "/nonexistent/normcheck.xml") })
    #expect(missing.kind == .io)
    #expect(missing.location.file == "/nonexistent/normcheck.xml")
    let directory = try #require(xmlError { _ = try Document(contentsOfFile: fixture("")) })
    #expect(directory.kind == .io)
    #expect(directory.message.contains("directory"))
    let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("normcheck-fifo-\(UUID())").path
    #expect(mkfifo(fifo, 0o600) == 0)
    defer { unlink(fifo) }
    let fifoError = try #require(xmlError { _ = try Document(contentsOfFile: fifo) })
    #expect(fifoError.kind == .io)
    #expect(fifoError.message.contains("FIFO"))
  }

  @Test func sparseHugeFileIsRefusedBeforeReading() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("normcheck-sparse-\(UUID()).xml").path
    let fd = open(path, O_CREAT | O_WRONLY, 0o600)
    #expect(fd >= 0)
    #expect(ftruncate(fd, 2 << 30) == 0)
    close(fd)
    defer { unlink(path) }
    let error = try #require(xmlError { _ = try Document(contentsOfFile: path) })
    #expect(error.kind == .limit)
  }

  @Test func inputFilesAreNotModified() throws {
    let path = fixture("sample.xml")
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    let attributesBefore = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
    _ = try Document(contentsOfFile: path)
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    #expect(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date == attributesBefore)
  }
}
