internal import CLibXML2

/// Yes-or-no verdicts about names, remembered by the pointers of the local name and of the
/// namespace URI: the one cache behind every name test that runs per node.
///
/// libxml2 interns a parsed document's names in its dictionary and shares a namespace URI
/// among every node in scope of its declaration, so that a walk over many nodes decides each
/// distinct pair once, by comparing strings, and compares two pointers after that. The same
/// pointers spell the same strings while the tree stands (or while the parse that owns the
/// dictionary runs), so a remembered verdict is the verdict the strings would give.
///
/// Open addressing over `slots` entries (a power of two), in memory of its own: no exclusivity
/// check or reference count in the loops that ask. Once half the slots are used, further
/// pairs are decided without being remembered; names that are not interned would otherwise
/// fill the table and lengthen every probe.
///
/// Used by ``NameMatcher`` (element and attribute steps of paths, native attribute tests) and
/// by ``AttributeFilter`` (the parse's attribute projection). One thread at a time.
final class NameVerdicts {
  private struct Entry {
    var name: UnsafePointer<xmlChar>?
    var uri: UnsafePointer<xmlChar>?
    var used: Bool
    var verdict: Bool
  }

  private let entries: UnsafeMutablePointer<Entry>
  private let mask: Int
  private var remembered = 0

  /// A table of `slots` entries (rounded up to a power of two), of which half are filled.
  init(slots: Int) {
    var size = 8
    while size < slots { size <<= 1 }
    mask = size - 1
    entries = .allocate(capacity: size)
    entries.initialize(repeating: Entry(name: nil, uri: nil, used: false, verdict: false), count: size)
  }

  deinit {
    entries.deinitialize(count: mask + 1)
    entries.deallocate()
  }

  /// The verdict for `name` in the namespace `uri` (`nil`: none), from memory or from `decide`.
  @inline(__always)
  func verdict(
    _ name: UnsafePointer<xmlChar>?, _ uri: UnsafePointer<xmlChar>?,
    _ decide: (UnsafePointer<xmlChar>?, UnsafePointer<xmlChar>?) -> Bool
  ) -> Bool {
    let hash = (UInt(bitPattern: name) >> 4) &+ (UInt(bitPattern: uri) >> 3) &* 31
    var slot = Int(truncatingIfNeeded: hash) & mask
    while entries[slot].used {
      if entries[slot].name == name && entries[slot].uri == uri { return entries[slot].verdict }
      slot = (slot + 1) & mask
    }
    let verdict = decide(name, uri)
    if remembered < (mask + 1) / 2 {
      entries[slot] = Entry(name: name, uri: uri, used: true, verdict: verdict)
      remembered += 1
    }
    return verdict
  }
}
