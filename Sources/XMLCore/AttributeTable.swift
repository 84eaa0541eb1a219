internal import CLibXML2
import Foundation

/// Attribute value → elements, in document order: the table behind an ``AttributeIndex``.
///
/// Keys are the values' bytes where the tree holds them (an attribute's single text node), so
/// that building the table copies no value and builds no Swift string, and a lookup with a
/// libxml2 string (an XPath string or a node's value) builds none either. Values the tree does
/// not hold in one piece (an attribute with an entity reference) are copied and freed with the
/// table. Hashes are Swift's seeded `Hasher` over the bytes, so that a document cannot choose
/// colliding values. Open addressing with linear probing; the first element of each value is
/// stored inline, the rare others apart.
///
/// Built by one thread; read by any number once built (it is not changed afterwards). Its keys
/// point into the tree of the document that owns it, which must outlive it.
final class AttributeTable {
  private struct Entry {
    /// `nil` only for the empty value.
    var key: UnsafePointer<UInt8>?
    var count: Int
    var hash: Int
    var first: xmlNodePtr
    /// Index into ``more``, or -1.
    var more: Int
  }
  private var entries: [Entry] = []
  /// Indexes into ``entries`` (-1: empty); a power of two long, at most half full.
  private var buckets: [Int32]
  private var more: [[xmlNodePtr]] = []
  private var owned: [UnsafeMutablePointer<xmlChar>] = []

  /// An empty table sized for about `capacity` values.
  init(capacity: Int = 0) {
    var size = 16
    while size < capacity * 2 { size <<= 1 }
    buckets = Array(repeating: -1, count: size)
    entries.reserveCapacity(capacity)
  }

  deinit {
    for copy in owned { LibXML2.free(copy) }
  }

  /// The number of distinct values.
  var count: Int { entries.count }

  @inline(__always)
  private static func hash(_ key: UnsafePointer<UInt8>?, _ count: Int) -> Int {
    var hasher = Hasher()
    hasher.combine(bytes: UnsafeRawBufferPointer(start: key, count: count))
    return hasher.finalize()
  }

  /// The entry for the `count` bytes at `key`, or `nil`.
  @inline(__always)
  private func find(_ key: UnsafePointer<UInt8>?, _ count: Int, hash: Int) -> Int? {
    let mask = buckets.count - 1
    var bucket = hash & mask
    while true {
      let slot = Int(buckets[bucket])
      if slot < 0 { return nil }
      let entry = entries[slot]
      if entry.hash == hash, entry.count == count, count == 0 || memcmp(entry.key!, key!, count) == 0 {
        return slot
      }
      bucket = (bucket + 1) & mask
    }
  }

  /// Records `element` under the value of its attribute `attribute` (elements must come in
  /// document order).
  func add(_ element: xmlNodePtr, valueOf attribute: xmlAttrPtr) {
    if let text = attribute.pointee.children, text.pointee.next == nil, text.pointee.type == XML_TEXT_NODE {
      let content = text.pointee.content.map { UnsafePointer($0) }
      add(element, key: content, count: content.map(cStringLength) ?? 0)
      return
    }
    let node = UnsafeMutableRawPointer(attribute).assumingMemoryBound(to: xmlNode.self)
    guard let copy = xmlNodeGetContent(node) else { return }
    owned.append(copy)
    add(element, key: UnsafePointer(copy), count: cStringLength(copy))
  }

  private func add(_ element: xmlNodePtr, key: UnsafePointer<UInt8>?, count: Int) {
    let hash = Self.hash(key, count)
    if let slot = find(key, count, hash: hash) {
      if entries[slot].more < 0 {
        entries[slot].more = more.count
        more.append([])
      }
      more[entries[slot].more].append(element)
      return
    }
    if (entries.count + 1) * 2 > buckets.count { grow() }
    let mask = buckets.count - 1
    var bucket = hash & mask
    while buckets[bucket] >= 0 { bucket = (bucket + 1) & mask }
    buckets[bucket] = Int32(entries.count)
    entries.append(Entry(key: key, count: count, hash: hash, first: element, more: -1))
  }

  private func grow() {
    buckets = Array(repeating: -1, count: buckets.count * 2)
    let mask = buckets.count - 1
    for (slot, entry) in entries.enumerated() {
      var bucket = entry.hash & mask
      while buckets[bucket] >= 0 { bucket = (bucket + 1) & mask }
      buckets[bucket] = Int32(slot)
    }
  }

  /// Calls `body` with each element whose value is the `count` bytes at `key`, in document order.
  @inline(__always)
  func forEach(_ key: UnsafePointer<UInt8>?, count: Int, _ body: (xmlNodePtr) -> Void) {
    guard let slot = find(key, count, hash: Self.hash(key, count)) else { return }
    let entry = entries[slot]
    body(entry.first)
    if entry.more >= 0 { for element in more[entry.more] { body(element) } }
  }

  /// The elements whose value is `value`, in document order.
  func elements(_ value: String) -> [xmlNodePtr] {
    value.withUTF8Bytes { bytes in
      var result: [xmlNodePtr] = []
      forEach(bytes.baseAddress, count: bytes.count) { result.append($0) }
      return result
    }
  }
}
