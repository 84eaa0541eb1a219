import Foundation
import Synchronization

/// Where each start tag of a UTF-8 input begins, in document order: found by the attribute scan
/// running ahead of the parser (``AttributeScanAhead``), read by the parser at each element.
///
/// libxml2 reports an element once its whole start tag is read, so the parser's thread would
/// otherwise scan back over the tag to find where it began (`TreeBuilder.startTagPosition`):
/// about 5 % of that thread's time on a declaration of 100 000 facilities, and that thread is
/// the check's critical path. The scan reads every byte anyway, on the spare core; it counts
/// lines and characters as it goes and records each start tag's offset, line and column here.
///
/// The scan recognises start tags as XML does (outside comments, CDATA sections, processing
/// instructions and the DOCTYPE), so its n-th start tag is the parser's n-th element in a
/// document whose elements all come from its own text, that is, one that declares no entities
/// (the parser stops reading the table at the first element of any other). The parser still
/// checks each entry against the element it reports (a `<` at the offset, followed by the
/// element's first name character) and finds the position itself from the first mismatch on.
///
/// One thread appends (the scan's), one reads (the parser's): entries are published in batches,
/// with the scan's progress, and read only once published. Storage is in chunks that never
/// move, allocated as the scan needs them.
final class StartTagTable: @unchecked Sendable {
  /// One start tag: the offset of its `<` in the input as given, and its line and column (in
  /// characters, from 1, as libxml2 counts them: lines end at line feeds).
  struct Entry {
    var offset: UInt32
    var line: UInt32
    var column: UInt32
  }

  /// Entries per chunk, as a power of two.
  private static let chunkShift = 14
  private static let chunkSize = 1 << chunkShift

  /// The chunks, as many as the input could need (a start tag takes at least three bytes).
  private let chunks: UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>
  private let chunkSlots: Int
  /// Entries the reader may read.
  private let published = Atomic<Int>(0)

  // The writer's state.
  /// Entries appended.
  private var count = 0
  /// The offset up to which lines and characters are counted, and the line and column there.
  private var countedTo: Int
  private var line = 1
  private var column = 1

  /// Whether an input of `byteCount` bytes can have a table (offsets are 32 bits).
  static func fits(_ byteCount: Int) -> Bool { byteCount <= Int(UInt32.max) }

  /// An empty table for an input of `byteCount` bytes whose first character (after a
  /// byte-order mark, which is not counted) is at `start`.
  init(byteCount: Int, start: Int) {
    precondition(Self.fits(byteCount))
    chunkSlots = byteCount / 3 / Self.chunkSize + 1
    chunks = .allocate(capacity: chunkSlots)
    chunks.initialize(repeating: nil, count: chunkSlots)
    countedTo = start
  }

  deinit {
    for slot in 0..<chunkSlots { chunks[slot]?.deallocate() }
    chunks.deallocate()
  }

  // MARK: Writer (the scan's thread)

  /// Records the start tag whose `<` is at `offset` in `bytes` (the whole input), after the
  /// last one recorded.
  @inline(__always)
  func append(startTagAt offset: Int, in bytes: UnsafeBufferPointer<UInt8>) {
    advance(to: offset, in: bytes)
    let slot = count >> Self.chunkShift
    guard slot < chunkSlots else { return }  // cannot happen: at most one tag per three bytes
    let chunk: UnsafeMutablePointer<Entry>
    if let existing = chunks[slot] {
      chunk = existing
    } else {
      chunk = .allocate(capacity: Self.chunkSize)
      chunks[slot] = chunk
    }
    chunk[count & (Self.chunkSize - 1)] = Entry(
      offset: UInt32(truncatingIfNeeded: offset), line: UInt32(clamping: line), column: UInt32(clamping: column))
    count += 1
  }

  /// Makes every entry appended so far readable.
  func publish() { published.store(count, ordering: .releasing) }

  /// Counts lines and characters from ``countedTo`` to `offset`.
  ///
  /// Line feeds are found with `memchr`; characters are counted only after the last one (on
  /// most lines, the indentation before a tag), eight bytes at a time: the characters among
  /// them are the bytes that do not continue a UTF-8 sequence (`10xxxxxx`).
  @inline(__always)
  private func advance(to offset: Int, in bytes: UnsafeBufferPointer<UInt8>) {
    guard let base = bytes.baseAddress, offset > countedTo else { return }
    var i = countedTo
    while let found = memchr(base + i, Int32(UInt8(ascii: "\n")), offset - i) {
      line += 1
      column = 1
      i = base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
    }
    while offset - i >= 8 {
      let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
      column += 8 - (word & ~(word << 1) & 0x8080_8080_8080_8080).nonzeroBitCount
      i += 8
    }
    while i < offset {
      if base[i] & 0xC0 != 0x80 { column += 1 }
      i += 1
    }
    countedTo = offset
  }

  // MARK: Reader (the parser's thread)

  /// The `index`-th start tag (from 0), once published; `nil` before.
  @inline(__always)
  func entry(_ index: Int) -> Entry? {
    guard index < published.load(ordering: .acquiring) else { return nil }
    return chunks[index >> Self.chunkShift]?[index & (Self.chunkSize - 1)]
  }
}
