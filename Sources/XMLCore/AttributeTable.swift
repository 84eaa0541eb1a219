internal import CLibXML2
import Foundation

/// Attribute value → elements, in document order: the table behind an ``AttributeIndex``.
///
/// Keys are the values' bytes where the tree holds them (an attribute's single text node), so
/// that building the table copies no value and builds no Swift string, and a lookup with a
/// libxml2 string (an XPath string or a node's value) builds none either. Values the tree does
/// not hold in one piece (an attribute with an entity reference) are copied and freed with the
/// table. Hashes are Swift's seeded `Hasher` over the bytes, so that a document cannot choose
/// colliding values. Open addressing with linear probing; each bucket holds its entry's slot
/// and the high half of its hash, so that a probe past other values reads only the buckets,
/// not their entries (a cache miss each in a table of 100 000 ids). The first element of each
/// value is stored inline, the rare others in one array apart.
///
/// Values added are hashed at once and their buckets prefetched, and are inserted a few values
/// later, in the order added: at 100 000 ids the bucket's cache miss was nine tenths of an
/// insertion.
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
    fileprivate let buckets: UnsafeMutablePointer<UInt64>
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

  /// A bucket: 0 when empty, else the high half of the entry's hash above its slot plus one.
  @inline(__always)
  static func bucket(slot: Int, hash: Int) -> UInt64 {
    UInt64(UInt(bitPattern: hash) >> 32) << 32 | UInt64(slot + 1)
  }

  /// Where the `count` bytes at `key` (hashed to `hash`) are in a table: the bucket holding
  /// their entry and its slot, or the empty bucket where they would go and slot -1 (linear
  /// probing; the table has at least one empty bucket, and `entries` is read only for a
  /// bucket whose hash half matches).
  @inline(__always)
  static func probe(
    _ buckets: UnsafePointer<UInt64>, mask: Int, _ entries: UnsafePointer<Entry>?, hash: Int,
    key: UnsafePointer<UInt8>?, count: Int
  ) -> (bucket: Int, slot: Int) {
    let tag = UInt64(UInt(bitPattern: hash) >> 32)
    var bucket = hash & mask
    while true {
      let word = buckets[bucket]
      if word == 0 { return (bucket, -1) }
      if word >> 32 == tag {
        let slot = Int(word & 0xFFFF_FFFF) - 1
        let entry = entries![slot]
        if entry.hash == hash, entry.count == count, count == 0 || memcmp(entry.key!, key!, count) == 0 {
          return (bucket, slot)
        }
      }
      bucket = (bucket + 1) & mask
    }
  }

  // While building, by one thread, one access at a time: not checked dynamically (the checks
  // were about a seventh of `add`'s time with the built-in packs at 100 000 facilities).
  @exclusivity(unchecked) private var building: [Entry] = []
  @exclusivity(unchecked) private var slots: [UInt64]
  /// The elements after the first of each value, in the order added, with the slot of their
  /// value: grouped by slot when sealed (a value shared by thousands of elements, a facility's
  /// category, costs one append each).
  @exclusivity(unchecked) private var duplicateSlots: [Int32] = []
  @exclusivity(unchecked) private var duplicateElements: [xmlNodePtr] = []
  /// Values added and not yet inserted, oldest at ``queueHead`` once full.
  @exclusivity(unchecked) private var queue:
    [(element: xmlNodePtr, key: UnsafePointer<UInt8>?, count: Int, hash: Int)] =
      []
  @exclusivity(unchecked) private var queueHead = 0
  /// How many values are hashed and prefetched ahead of their insertion.
  private static let queueLength = 8
  private var owned: [UnsafeMutablePointer<xmlChar>] = []
  /// Set by ``seal()``.
  private(set) var reader: Reader?

  /// An empty table sized for about `capacity` values.
  init(capacity: Int = 0) {
    var size = 16
    while size < capacity * 2 { size <<= 1 }
    slots = Array(repeating: 0, count: size)
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
      enqueue(element, key: content, count: content.map(cStringLength) ?? 0)
      return
    }
    let node = UnsafeMutableRawPointer(attribute).assumingMemoryBound(to: xmlNode.self)
    guard let copy = xmlNodeGetContent(node) else { return }
    owned.append(copy)
    enqueue(element, key: UnsafePointer(copy), count: cStringLength(copy))
  }

  /// Hashes the `count` bytes at `key`, prefetches their bucket, and inserts the value added
  /// ``queueLength`` values before.
  @inline(__always)
  private func enqueue(_ element: xmlNodePtr, key: UnsafePointer<UInt8>?, count: Int) {
    let hash = Self.hash(key, count)
    slots.withUnsafeBufferPointer { normcheck_prefetch($0.baseAddress! + (hash & ($0.count - 1))) }
    let value = (element: element, key: key, count: count, hash: hash)
    guard queue.count == Self.queueLength else {
      queue.append(value)
      return
    }
    let oldest = queue[queueHead]
    queue[queueHead] = value
    queueHead = (queueHead + 1) % Self.queueLength
    insert(oldest.element, key: oldest.key, count: oldest.count, hash: oldest.hash)
  }

  /// Inserts the values still queued, oldest first.
  private func drain() {
    let waiting = queue[queueHead...] + queue[..<queueHead]
    queue.removeAll(keepingCapacity: true)
    queueHead = 0
    for value in waiting { insert(value.element, key: value.key, count: value.count, hash: value.hash) }
  }

  /// Records `element` under the `count` bytes at `key` (hashed to `hash`).
  ///
  /// Returns whether the value is new. Values queued before must have been inserted.
  @discardableResult
  private func insert(_ element: xmlNodePtr, key: UnsafePointer<UInt8>?, count: Int, hash: Int) -> Bool {
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
      return insert(element, key: key, count: count, hash: hash)
    }
    slots[bucket] = Self.bucket(slot: building.count, hash: hash)
    building.append(Entry(key: key, count: count, hash: hash, first: element))
    return true
  }

  /// Records `node` under its XPath string value; returns whether that value is new.
  ///
  /// The value is read in place for a text node and for an attribute the tree holds in one
  /// piece, else copied and kept with the table. Not for namespace nodes.
  func addStringValue(of node: xmlNodePtr) -> Bool {
    precondition(reader == nil, "a sealed attribute table is not changed")
    if !queue.isEmpty { drain() }
    switch node.pointee.type {
    case XML_ATTRIBUTE_NODE:
      if let text = singleTextChild(of: node) {
        let content = text.pointee.content.map { UnsafePointer($0) }
        return insert(node, key: content)
      }
    case XML_TEXT_NODE, XML_CDATA_SECTION_NODE, XML_COMMENT_NODE, XML_PI_NODE:
      return insert(node, key: node.pointee.content.map { UnsafePointer($0) })
    default:
      break
    }
    guard let copy = xmlXPathCastNodeToString(node) else { return insert(node, key: nil) }
    owned.append(copy)
    return insert(node, key: UnsafePointer(copy))
  }

  /// Inserts `node` under the C string `key` (`nil`: empty) at once.
  private func insert(_ node: xmlNodePtr, key: UnsafePointer<UInt8>?) -> Bool {
    let count = key.map(cStringLength) ?? 0
    return insert(node, key: key, count: count, hash: Self.hash(key, count))
  }

  private func grow() {
    slots = Array(repeating: 0, count: slots.count * 2)
    let mask = slots.count - 1
    for (index, entry) in building.enumerated() {
      var bucket = entry.hash & mask
      while slots[bucket] != 0 { bucket = (bucket + 1) & mask }
      slots[bucket] = Self.bucket(slot: index, hash: entry.hash)
    }
  }

  /// Ends building: copies the table into the buffers its ``reader`` reads.
  func seal() {
    guard reader == nil else { return }
    drain()
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
    let buckets = UnsafeMutablePointer<UInt64>.allocate(capacity: slots.count)
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
