import Foundation

/// A fixed set of strings that native function calls test membership in without building a
/// Swift string (see ``XPathContext/register(membership:_:)``).
///
/// The strings' UTF-8 bytes are kept in one buffer; open addressing with linear probing and
/// Swift's seeded `Hasher` over the bytes. Immutable once made.
public final class StringSet: Sendable {
  private struct Entry {
    var offset: Int
    var count: Int
    var hash: Int
  }
  private let bytes: [UInt8]
  private let entries: [Entry]
  /// Indexes into ``entries`` (-1: empty); a power of two long, at most half full.
  private let buckets: [Int32]

  /// A set of `strings` (duplicates count once).
  public init(_ strings: some Sequence<String>) {
    var bytes: [UInt8] = []
    var entries: [Entry] = []
    // Distinct by bytes (XPath compares strings by code points; Swift's `==` by canonical
    // equivalence, which would merge a precomposed and a decomposed spelling).
    var seen = Set<[UInt8]>()
    for string in strings where seen.insert(Array(string.utf8)).inserted {
      let offset = bytes.count
      bytes += string.utf8
      let hash = bytes.withUnsafeBufferPointer { Self.hash($0.baseAddress.map { $0 + offset }, bytes.count - offset) }
      entries.append(Entry(offset: offset, count: bytes.count - offset, hash: hash))
    }
    var size = 16
    while size < entries.count * 2 { size <<= 1 }
    var buckets = [Int32](repeating: -1, count: size)
    for (index, entry) in entries.enumerated() {
      var bucket = entry.hash & (size - 1)
      while buckets[bucket] >= 0 { bucket = (bucket + 1) & (size - 1) }
      buckets[bucket] = Int32(index)
    }
    self.bytes = bytes
    self.entries = entries
    self.buckets = buckets
  }

  /// The number of strings.
  public var count: Int { entries.count }

  @inline(__always)
  private static func hash(_ key: UnsafePointer<UInt8>?, _ count: Int) -> Int {
    var hasher = Hasher()
    hasher.combine(bytes: UnsafeRawBufferPointer(start: key, count: count))
    return hasher.finalize()
  }

  /// Whether the set holds `string`.
  public func contains(_ string: String) -> Bool {
    string.withUTF8Bytes { contains(bytes: $0.baseAddress, count: $0.count) }
  }

  /// Whether the set holds the string spelt by the `count` bytes at `key` (`nil` only when empty).
  func contains(bytes key: UnsafePointer<UInt8>?, count: Int) -> Bool {
    let hash = Self.hash(key, count)
    let mask = buckets.count - 1
    var bucket = hash & mask
    return bytes.withUnsafeBufferPointer { storage in
      while true {
        let slot = Int(buckets[bucket])
        if slot < 0 { return false }
        let entry = entries[slot]
        if entry.hash == hash, entry.count == count,
          count == 0 || memcmp(storage.baseAddress! + entry.offset, key!, count) == 0
        {
          return true
        }
        bucket = (bucket + 1) & mask
      }
    }
  }
}
