import Foundation
import TestSupport
import Testing

@testable import XMLCore

#if canImport(Glibc)
import Glibc

/// Large files are mapped rather than read, and give what their bytes give.
///
/// A file cut short by another process while it is mapped is an I/O error, not a crash.
/// Serialized: one test takes every slot of the guard for a moment.
@Suite("Mapped inputs", .serialized)
struct MappedInputTests {
  /// A declaration-like document of about `facilities` × 80 bytes.
  static func document(facilities: Int, tail: String = "</r>\n") -> [UInt8] {
    var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r xmlns=\"urn:x\">\n"
    for index in 0..<facilities {
      text +=
        "  <facility id=\"f-\(index)\" name=\"Station \(index) é\" category=\"c\(index % 9)\">t\(index)</facility>\n"
    }
    return Array((text + tail).utf8)
  }

  @Test func largeFilesAreMappedAndSmallOnesRead() throws {
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let large = directory.appendingPathComponent("large.xml")
    let small = directory.appendingPathComponent("small.xml")
    try Data(Self.document(facilities: 20_000)).write(to: large)
    try Data(Self.document(facilities: 10)).write(to: small)
    let mapped = try InputReader.readFile(large.path, limit: 1 << 30)
    #expect(mapped.count >= InputReader.mappingThreshold)
    #expect(mapped.isMapped)
    #expect(!mapped.changedWhileRead)
    #expect(try !InputReader.readFile(small.path, limit: 1 << 30).isMapped)
    #expect(try !InputReader.readFile(large.path, limit: 1 << 30, mapping: false).isMapped)
    // The limit is checked before anything is mapped.
    #expect(throws: XMLError.self) { try InputReader.readFile(large.path, limit: 1 << 20) }
  }

  /// Well-formed or not, a mapped file gives what the same bytes give from memory: the tree,
  /// positions and attribute values, or the same error at the same place.
  @Test(arguments: ["</r>\n", "</s>\n", "<unclosed a=\"1\">\n", "</r>\n<!-- after -->\n"])
  func aMappedFileGivesWhatItsBytesGive(tail: String) throws {
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let bytes = Self.document(facilities: 20_000, tail: tail)
    let file = directory.appendingPathComponent("d.xml")
    try Data(bytes).write(to: file)
    #expect(try InputReader.readFile(file.path, limit: 1 << 30).isMapped)
    let fromFile = FileReadingTests.outcome { try Document(contentsOfFile: file.path) }
    let fromMemory = FileReadingTests.outcome { try Document(bytes: bytes, sourceName: file.path) }
    #expect(fromFile == fromMemory)
    #expect(fromFile.hasPrefix("error") == (tail != "</r>\n" && tail != "</r>\n<!-- after -->\n"))
    #expect(try Data(contentsOf: file) == Data(bytes))
  }

  /// A declaration written to `name` in `directory` and mapped, unchanged so far.
  static func mapped(_ name: String, in directory: URL) throws -> (file: URL, bytes: [UInt8], input: InputBytes) {
    let file = directory.appendingPathComponent(name)
    let bytes = document(facilities: 20_000)
    try Data(bytes).write(to: file)
    let input = try InputReader.readFile(file.path, limit: 1 << 30)
    #expect(input.isMapped)
    #expect(!input.changedWhileRead)
    return (file, bytes, input)
  }

  /// Another process truncating a mapped file makes the pages past its new end fault: the guard
  /// answers with zeros and marks the input, and the parse is reported as an I/O error naming
  /// the file.
  @Test func aFileCutShortWhileMappedIsAnIOError() throws {
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let (file, bytes, input) = try Self.mapped("cut.xml", in: directory)
    #expect(truncate(file.path, 100_000) == 0)
    // Past the new end (and its page): zeros instead of SIGBUS.
    let tail = input.withUnsafeBufferPointer { Array($0[200_000..<200_016]) }
    #expect(tail == Array(repeating: 0, count: 16))
    #expect(input.changedWhileRead)
    // Before it: the file's bytes.
    #expect(input.withUnsafeBufferPointer { Array($0[0..<5]) } == Array("<?xml".utf8))

    // The same through a parse.
    try Data(bytes).write(to: file)
    let second = try InputReader.readFile(file.path, limit: 1 << 30)
    #expect(second.isMapped)
    #expect(truncate(file.path, 100_000) == 0)
    do {
      _ = try Document(input: second, sourceName: file.path, indexing: .known([]), arena: .automatic)
      Issue.record("a file cut short while mapped was parsed")
    } catch let error as XMLError {
      #expect(error.kind == .io)
      #expect(error.location.file == file.path)
      #expect(error.message.contains("changed"))
    }
  }

  /// A file rewritten in place while it is mapped (same size, so no fault) is changed: its
  /// modification time tells.
  @Test func aFileRewrittenWhileMappedIsChanged() throws {
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let (file, bytes, input) = try Self.mapped("rewritten.xml", in: directory)
    usleep(20_000)  // a later modification time, whatever the file system's resolution
    let handle = try FileHandle(forWritingTo: file)
    try handle.write(contentsOf: Data("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<s".utf8))
    try handle.close()
    #expect(input.changedWhileRead)
    #expect(try Data(contentsOf: file).count == bytes.count)
  }

  /// More mappings at once than the guard has room for are read instead.
  @Test func mappingsBeyondTheGuardsRoomAreRead() throws {
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let file = directory.appendingPathComponent("d.xml")
    try Data(Self.document(facilities: 20_000)).write(to: file)
    var held: [InputBytes] = []
    for _ in 0..<(MappedInputGuard.capacity + 4) { held.append(try InputReader.readFile(file.path, limit: 1 << 30)) }
    // Other tests may hold slots for a moment: at most the guard's capacity is mapped.
    #expect(held.filter(\.isMapped).count <= MappedInputGuard.capacity)
    #expect(held.contains { !$0.isMapped })
    let first = held[0].withUnsafeBufferPointer { Array($0) }
    #expect(held.allSatisfy { $0.withUnsafeBufferPointer { Array($0) } == first })
    held.removeAll()
    #expect(try InputReader.readFile(file.path, limit: 1 << 30).isMapped)
  }
}
#endif
