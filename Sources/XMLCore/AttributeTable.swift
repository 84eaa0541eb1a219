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
/// stored inline, the rare others in one array apart.
///
/// Built by one thread (``add(_:valueOf:)``, then ``seal()``), then read by any number through
/// its ``Reader``, which holds plain pointers: threads that look up the same table count no
/// references on it, whose cache line would otherwise bounce between their cores. Its keys point
/// into the tree of the document that owns it, which must outlive it.
final class AttributeTable {
  struct Entry {
    /// `nil` only for the empty value.
    var key: UnsafePointer<UInt8>?
    var count: Int
    var hash: Int
    var first: xmlNodePtr
    /// The other elements with this value: a range of ``Reader/others``.
    var othersStart: Int32 = 0
    var othersCount: Int32 = 0
  }

  /// Lookups in a sealed table, without reference counting.
  struct Reader {
    fileprivate let entries: UnsafeMutablePointer<Entry>
    fileprivate let buckets: UnsafeMutablePointer<Int32>
    fileprivate let mask: Int
    fileprivate let others: UnsafeMutablePointer<xmlNodePtr>
    /// How many distinct values the table holds: its entries, in the order of their first element.
    fileprivate let entryCount: Int

    /// Calls `body` with each element whose value is the `count` bytes at `key` (`nil` only
    /// when empty), in document order.
    @inline(__always)
    func forEach(_ key: UnsafePointer<UInt8>?, count: Int, _ body: (xmlNodePtr) -> Void) {
      let hash = AttributeTable.hash(key, count)
      let (_, slot) = AttributeTable.probe(buckets, mask: mask, entries, hash: hash, key: key, count: count)
      guard slot >= 0 else { return }
      let entry = entries[slot]
      body(entry.first)
      for index in 0..<Int(entry.othersCount) { body(others[Int(entry.othersStart) + index]) }
    }

    /// Calls `body` with the first element of each value, in the order of those elements
    /// (document order: elements are added in it).
    func forEachFirst(_ body: (xmlNodePtr) -> Void) {
      for slot in 0..<entryCount { body(entries[slot].first) }
    }

    /// How many elements have the value spelt by the `count` bytes at `key` (`nil` only when empty).
    @inline(__always)
    func count(_ key: UnsafePointer<UInt8>?, count: Int) -> Int {
      let hash = AttributeTable.hash(key, count)
      let (_, slot) = AttributeTable.probe(buckets, mask: mask, entries, hash: hash, key: key, count: count)
      return slot < 0 ? 0 : 1 + Int(entries[slot].othersCount)
    }
  }

  /// Where the `count` bytes at `key` (hashed to `hash`) are in a table: the bucket holding
  /// their entry and its slot, or the empty bucket where they would go and slot -1 (linear
  /// probing; the table has at least one empty bucket, and `entries` is read only for a
  /// bucket that is not).
  @inline(__always)
  static func probe(
    _ buckets: UnsafePointer<Int32>, mask: Int, _ entries: UnsafePointer<Entry>?, hash: Int,
    key: UnsafePointer<UInt8>?, count: Int
  ) -> (bucket: Int, slot: Int) {
    var bucket = hash & mask
    while true {
      let slot = Int(buckets[bucket])
      if slot < 0 { return (bucket, -1) }
      let entry = entries![slot]
      if entry.hash == hash, entry.count == count, count == 0 || memcmp(entry.key!, key!, count) == 0 {
        return (bucket, slot)
      }
      bucket = (bucket + 1) & mask
    }
  }

  // While building, by one thread, one access at a time: not checked dynamically (the checks
  // were about a seventh of `add`'s time with the built-in packs at 100 000 facilities).
  @exclusivity(unchecked) private var building: [Entry] = []
  @exclusivity(unchecked) private var slots: [Int32]
  /// The elements after the first of each value, in the order added, with the slot of their
  /// value: grouped by slot when sealed (a value shared by thousands of elements, a facility's
  /// category, costs one append each).
  @exclusivity(unchecked) private var duplicateSlots: [Int32] = []
  @exclusivity(unchecked) private var duplicateElements: [xmlNodePtr] = []
  private var owned: [UnsafeMutablePointer<xmlChar>] = []
  /// Set by ``seal()``.
  private(set) var reader: Reader?

  /// An empty table sized for about `capacity` values.
  init(capacity: Int = 0) {
    var size = 16
    while size < capacity * 2 { size <<= 1 }
    slots = Array(repeating: -1, count: size)
    building.reserveCapacity(capacity)
  }

  deinit {
    for copy in owned { LibXML2.free(copy) }
    if let reader {
      reader.entries.deallocate()
      reader.buckets.deallocate()
      reader.others.deallocate()
    }
  }

  @inline(__always)
  static func hash(_ key: UnsafePointer<UInt8>?, _ count: Int) -> Int {
    var hasher = Hasher()
    hasher.combine(bytes: UnsafeRawBufferPointer(start: key, count: count))
    return hasher.finalize()
  }

  /// Records `element` under the value of its attribute `attribute` (elements must come in
  /// document order).
  func add(_ element: xmlNodePtr, valueOf attribute: xmlAttrPtr) {
    precondition(reader == nil, "a sealed attribute table is not changed")
    if let text = singleTextChild(of: attribute) {
      let content = text.pointee.content.map { UnsafePointer($0) }
      add(element, key: content, count: content.map(cStringLength) ?? 0)
      return
    }
    let node = UnsafeMutableRawPointer(attribute).assumingMemoryBound(to: xmlNode.self)
    guard let copy = xmlNodeGetContent(node) else { return }
    owned.append(copy)
    add(element, key: UnsafePointer(copy), count: cStringLength(copy))
  }

  /// Records `element` under the `count` bytes at `key`; returns whether the value is new.
  @discardableResult
  private func add(_ element: xmlNodePtr, key: UnsafePointer<UInt8>?, count: Int) -> Bool {
    let hash = Self.hash(key, count)
    let (bucket, slot) = slots.withUnsafeBufferPointer { buckets in
      building.withUnsafeBufferPointer { entries in
        Self.probe(
          buckets.baseAddress!, mask: buckets.count - 1, entries.baseAddress, hash: hash, key: key, count: count)
      }
    }
    if slot >= 0 {
      duplicateSlots.append(Int32(slot))
      duplicateElements.append(element)
      return false
    }
    if (building.count + 1) * 2 > slots.count {
      grow()
      return add(element, key: key, count: count)
    }
    slots[bucket] = Int32(building.count)
    building.append(Entry(key: key, count: count, hash: hash, first: element))
    return true
  }

  /// Records `node` under its XPath string value; returns whether that value is new.
  ///
  /// The value is read in place for a text node and for an attribute the tree holds in one
  /// piece, else copied and kept with the table. Not for namespace nodes.
  func addStringValue(of node: xmlNodePtr) -> Bool {
    precondition(reader == nil, "a sealed attribute table is not changed")
    switch node.pointee.type {
    case XML_ATTRIBUTE_NODE:
      if let text = singleTextChild(of: node) {
        let content = text.pointee.content.map { UnsafePointer($0) }
        return add(node, key: content, count: content.map(cStringLength) ?? 0)
      }
    case XML_TEXT_NODE, XML_CDATA_SECTION_NODE, XML_COMMENT_NODE, XML_PI_NODE:
      let content = node.pointee.content.map { UnsafePointer($0) }
      return add(node, key: content, count: content.map(cStringLength) ?? 0)
    default:
      break
    }
    guard let copy = xmlXPathCastNodeToString(node) else { return add(node, key: nil, count: 0) }
    owned.append(copy)
    return add(node, key: UnsafePointer(copy), count: cStringLength(copy))
  }

  private func grow() {
    slots = Array(repeating: -1, count: slots.count * 2)
    let mask = slots.count - 1
    for (index, entry) in building.enumerated() {
      var bucket = entry.hash & mask
      while slots[bucket] >= 0 { bucket = (bucket + 1) & mask }
      slots[bucket] = Int32(index)
    }
  }

  /// Ends building: copies the table into the buffers its ``reader`` reads.
  func seal() {
    guard reader == nil else { return }
    // The others of each value together, in slot order, each value's in the order added.
    let others = UnsafeMutablePointer<xmlNodePtr>.allocate(capacity: max(duplicateElements.count, 1))
    for slot in duplicateSlots { building[Int(slot)].othersCount += 1 }
    var next: Int32 = 0
    for slot in building.indices {
      building[slot].othersStart = next
      next += building[slot].othersCount
    }
    var cursors = building.map(\.othersStart)
    for (slot, element) in zip(duplicateSlots, duplicateElements) {
      others[Int(cursors[Int(slot)])] = element
      cursors[Int(slot)] += 1
    }
    let entries = UnsafeMutablePointer<Entry>.allocate(capacity: max(building.count, 1))
    entries.initialize(from: building, count: building.count)
    let buckets = UnsafeMutablePointer<Int32>.allocate(capacity: slots.count)
    buckets.initialize(from: slots, count: slots.count)
    reader = Reader(
      entries: entries, buckets: buckets, mask: slots.count - 1, others: others, entryCount: building.count)
    building = []
    slots = []
    duplicateSlots = []
    duplicateElements = []
  }

  /// Calls `body` with the first element of each value, in document order (the table must be sealed).
  func forEachFirst(_ body: (xmlNodePtr) -> Void) {
    guard let reader else { preconditionFailure("attribute table read before it was sealed") }
    reader.forEachFirst(body)
  }

  /// The elements whose value is `value`, in document order (the table must be sealed).
  func elements(_ value: String) -> [xmlNodePtr] {
    guard let reader else { preconditionFailure("attribute table read before it was sealed") }
    return value.withUTF8Bytes { bytes in
      var result: [xmlNodePtr] = []
      reader.forEach(bytes.baseAddress, count: bytes.count) { result.append($0) }
      return result
    }
  }
}
