internal import CLibXML2
import Foundation

#if canImport(Glibc)
import Glibc
import Synchronization

/// The memory of one large document's tree: libxml2's allocations during its parse, taken from
/// one span of address space, whose pages a helper thread faults in ahead of the parser.
///
/// Reading a large document costs libxml2 little besides memory: at 100 000 facilities (17 MB),
/// its tree takes about 190 MB, and the kernel's work to hand out those pages (page faults,
/// zeroing) is almost half of the parse's wall time. A span whose pages are populated on the
/// spare core by `madvise(MADV_POPULATE_WRITE)` while the parser fills it moves that work off the
/// parse's thread; allocating by bumping a cursor also skips `malloc`'s bookkeeping.
///
/// How it works:
/// - At start-up ``install()`` reserves one large region of address space (nothing is committed)
///   and sets libxml2's allocation functions (`xmlMemSetup`) to the hooks below.
/// - A parse of a large input creates an arena (``init(expectedInput:)``) on a span of the region
///   and makes it the calling thread's current arena (``withCurrent(_:)``). While it is current,
///   libxml2's allocations on that thread come from it; on every other thread, and for blocks
///   larger than ``largestBlock``, from `malloc` as before.
/// - Freeing a block of an arena does nothing, except that the last block allocated is taken
///   back; the whole span is returned when the arena is released, which the ``Document``
///   owning the tree does after `xmlFreeDoc`. A full arena passes allocations on to `malloc`.
/// - The span is made inaccessible when it is released, so anything that kept a pointer into a
///   freed tree fails at once instead of reading someone else's data.
///
/// Nothing else may outlive the tree in an arena: the parser context is freed before, libxml2's
/// per-thread state is set up before the arena becomes current, the thread's last-error record
/// is reset before it stops being current, and catalog processing instructions, which would
/// set up libxml2's global catalog, are ignored (`xmlCatalogSetDefaults`, in ``LibXML2``).
///
/// The helper thread runs only while ``ParseHelpers`` grants one (a core left idle by the parses
/// in progress); otherwise the parser faults the pages in itself, as without an arena.
///
/// The arena is off when a sanitizer is loaded (ASan and TSan then see libxml2's allocations as
/// before), when `NORMCHECK_PARSE_ARENA=0` is set, and when the region cannot be reserved.
final class ParseArena: @unchecked Sendable {
  /// Inputs of at least this many bytes are parsed into an arena.
  static let minimumInput = 1 << 20
  /// Blocks larger than this come from `malloc` (libxml2's large buffers are few and grow by
  /// `realloc`).
  static let largestBlock = 256 << 10
  /// How far ahead of the cursor the helper thread populates pages, at most.
  static let longestLead = 32 << 20
  /// How far ahead with huge pages, at most: populating is then fast enough that a short lead
  /// keeps ahead of the parser, and less is zeroed only to be given back.
  static let longestHugeLead = 8 << 20
  /// How much the helper thread populates at once.
  static let step = 2 << 20

  /// The span's first byte.
  let base: UnsafeMutableRawPointer
  /// The span's size in bytes.
  let capacity: Int
  /// The first slot of the span in the region, and how many it has.
  private let firstSlot: Int
  private let slotCount: Int
  /// The offset of the next block's header; only the parsing thread moves it.
  private let cursor: UnsafeMutablePointer<Int>
  /// The offset of the last block's header, or -1.
  private let lastBlock: UnsafeMutablePointer<Int>
  /// The cursor, published to the helper thread.
  private let published = Atomic<Int>(0)
  /// Set when the parse is over: the helper thread stops.
  private let finished = Atomic<Bool>(false)
  /// How far the helper thread populated the span; read after it has stopped.
  private var populated = 0
  /// Signalled when the helper thread has stopped reading the arena.
  private let helperDone = DispatchSemaphore(value: 0)
  private var helperRunning = false
  /// Whether ``withCurrent(_:)`` starts the helper thread.
  let prefault: Bool
  /// Whether the span asked for transparent huge pages (`MADV_HUGEPAGE`; the kernel gives them
  /// where it has them).
  let hugePages: Bool
  /// How far ahead of the cursor the helper thread populates pages: a sixteenth of the span
  /// (twice the input), between ``step`` and ``longestLead`` (``longestHugeLead`` with huge
  /// pages), so that what is populated and never used stays small beside the tree.
  private let lead: Int

  /// An arena for the parse of an input of `expectedInput` bytes, or `nil` when arenas are off,
  /// the input is small or no span is free; under the automatic policy, its pages are populated
  /// ahead only if `helpers` (see ``ParseHelpers``).
  static func forInput(
    of expectedInput: Int, policy: ParsePolicy.Arena = .automatic, helpers: Bool = true
  ) -> ParseArena? {
    LibXML2.ensureReady()  // installs the hooks
    guard regionSize != 0 else { return nil }
    switch policy {
    case .never: return nil
    case .automatic:
      guard expectedInput >= minimumInput else { return nil }
      return ParseArena(bytes: expectedInput * 32, prefault: helpers)
    case .always(let capacity, let prefault):
      return ParseArena(bytes: capacity, prefault: prefault)
    }
  }

  private init?(bytes: Int, prefault: Bool) {
    guard let region = Region.shared, let (slot, count) = region.acquire(bytes: bytes) else { return nil }
    firstSlot = slot
    slotCount = count
    base = region.base + slot * Region.slotSize
    // A span smaller than a slot is for tests, whose documents must overflow it.
    capacity = min(count * Region.slotSize, (max(1, bytes) + Region.pageSize - 1) & ~(Region.pageSize - 1))
    guard mprotect(base, capacity, PROT_READ | PROT_WRITE) == 0 else {
      region.release(slot: slot, count: count)
      return nil
    }
    // Transparent huge pages where the kernel offers them for the asking: a 2 MB page costs the
    // kernel one fault and one zeroing instead of 512 of each, and is returned as quickly. Only
    // with the helper thread populating ahead: a huge page may make the kernel compact memory
    // first, which the parser should not wait for.
    let populates = prefault && Region.canPopulate
    hugePages =
      populates && Region.hugePagesOnRequest && capacity >= 2 * Region.hugePageSize
      && madvise(base, capacity, Region.adviseHugePage) == 0
    cursor = .allocate(capacity: 1)
    cursor.initialize(to: 8)
    lastBlock = .allocate(capacity: 1)
    lastBlock.initialize(to: -1)
    self.prefault = populates
    lead = min(hugePages ? Self.longestHugeLead : Self.longestLead, max(Self.step, bytes / 16))
  }

  deinit {
    stopHelper()
    // The whole span: the cursor may have moved back below blocks that were written.
    madvise(base, capacity, MADV_DONTNEED)
    // The next span on these slots asks for huge pages or not as it decides.
    if hugePages { madvise(base, capacity, Region.adviseNoHugePage) }
    mprotect(base, capacity, PROT_NONE)
    Region.shared?.release(slot: firstSlot, count: slotCount)
    cursor.deallocate()
    lastBlock.deallocate()
  }

  /// The bytes handed out so far, headers included.
  var bytesUsed: Int { cursor.pointee }

  /// Runs `body` with this arena as the calling thread's current one, with the helper thread
  /// populating pages ahead; then stops the helper and gives back the pages it populated beyond
  /// the cursor.
  func withCurrent<R>(_ body: () throws -> R) rethrows -> R {
    if prefault, !helperRunning {
      helperRunning = true
      finished.store(false, ordering: .relaxed)
      // Unretained, and signalled only once the thread no longer reads the arena: the helper is
      // stopped before this returns (below), and a reference that the thread kept a moment
      // longer would delay the span's release past its document's.
      let arena = Unmanaged.passUnretained(self)
      let done = helperDone
      let thread = Thread {
        arena._withUnsafeGuaranteedRef { $0.populateAhead() }
        done.signal()
      }
      thread.stackSize = 64 << 10
      thread.start()
    }
    let previous = pthread_getspecific(ParseArena.currentKey)
    pthread_setspecific(ParseArena.currentKey, Unmanaged.passUnretained(self).toOpaque())
    defer {
      // libxml2 keeps a copy of the thread's last error, with strings allocated here.
      xmlResetLastError()
      pthread_setspecific(ParseArena.currentKey, previous)
      stopHelper()
      let end = roundUp(cursor.pointee)
      if populated > end { madvise(base + end, populated - end, MADV_DONTNEED) }
      populated = min(populated, end)
    }
    return try body()
  }

  private func stopHelper() {
    guard helperRunning else { return }
    finished.store(true, ordering: .releasing)
    helperDone.wait()
    helperRunning = false
  }

  /// The helper thread: populates pages up to `lead` bytes past the cursor until the parse is over.
  private func populateAhead() {
    var done = populated
    while !finished.load(ordering: .acquiring) {
      let used = published.load(ordering: .relaxed)
      done = max(done, used & ~(Region.pageSize - 1))
      let target = min(capacity, used + lead)
      guard done < target else {
        usleep(200)
        continue
      }
      let length = min(Self.step, capacity - done)
      guard madvise(base + done, length, Region.populateWrite) == 0 else { break }
      done += length
    }
    populated = done
  }

  private func roundUp(_ bytes: Int) -> Int { (bytes + Region.pageSize - 1) & ~(Region.pageSize - 1) }

  // MARK: allocation (the parsing thread only)

  /// A block of at least `size` bytes, 16-byte aligned, or `nil` when it does not fit.
  ///
  /// A block is an 8-byte header holding its usable size, then the bytes; headers sit at
  /// offsets of 8 modulo 16, so the bytes are aligned as `malloc`'s are.
  @inline(__always)
  func allocate(_ size: Int) -> UnsafeMutableRawPointer? {
    guard size <= Self.largestBlock else { return nil }
    let offset = cursor.pointee
    let total = (size + 8 + 15) & ~15
    guard offset + total <= capacity else { return nil }
    cursor.pointee = offset + total
    lastBlock.pointee = offset
    published.store(offset + total, ordering: .relaxed)
    (base + offset).storeBytes(of: total - 8, as: Int.self)
    return base + offset + 8
  }

  /// Takes `block` back if it is the last one allocated.
  @inline(__always)
  func free(_ block: UnsafeMutableRawPointer) {
    let offset = lastBlock.pointee
    guard offset >= 0, block == base + offset + 8 else { return }
    cursor.pointee = offset
    lastBlock.pointee = -1
  }

  /// Grows the last block in place, if `block` is that block and the span has room.
  @inline(__always)
  func growInPlace(_ block: UnsafeMutableRawPointer, to size: Int) -> Bool {
    let offset = lastBlock.pointee
    guard offset >= 0, block == base + offset + 8, size <= Self.largestBlock else { return false }
    let total = (size + 8 + 15) & ~15
    guard offset + total <= capacity else { return false }
    cursor.pointee = offset + total
    published.store(offset + total, ordering: .relaxed)
    (base + offset).storeBytes(of: total - 8, as: Int.self)
    return true
  }

  /// Whether `block` lies in this arena's span.
  @inline(__always)
  func contains(_ block: UnsafeMutableRawPointer) -> Bool {
    block >= base && block < base + capacity
  }

  /// The usable size of a block of any arena.
  @inline(__always)
  static func usableSize(of block: UnsafeMutableRawPointer) -> Int {
    (block - 8).load(as: Int.self)
  }

  /// The calling thread's current arena, if any.
  @inline(__always)
  static func withCurrentArena<R>(_ body: (ParseArena?) -> R) -> R {
    guard let raw = pthread_getspecific(ParseArena.currentKey) else { return body(nil) }
    return Unmanaged<ParseArena>.fromOpaque(raw)._withUnsafeGuaranteedRef { body($0) }
  }

  /// Whether `pointer` lies in the region that arenas are carved from.
  @inline(__always)
  static func owns(_ pointer: UnsafeMutableRawPointer) -> Bool {
    let address = UInt(bitPattern: pointer)
    return address &- regionStart < regionSize
  }

  /// The region's bounds, fixed before the hooks are installed (0 and 0 without a region).
  nonisolated(unsafe) fileprivate static var regionStart: UInt = 0
  nonisolated(unsafe) fileprivate static var regionSize: UInt = 0
  /// The key of the calling thread's current arena, set before the hooks are installed.
  ///
  /// A plain variable rather than a lazy `static let`: the hooks run on every allocation
  /// libxml2 makes, and a lazy global costs a `swift_once` call on each access.
  nonisolated(unsafe) fileprivate static var currentKey: pthread_key_t = 0

  /// Reserves the region and installs libxml2's allocation hooks, unless arenas are off.
  ///
  /// Called once, before libxml2 is initialised.
  static func install() {
    guard let region = Region.shared else { return }
    var key = pthread_key_t()
    guard pthread_key_create(&key, nil) == 0 else { return }
    currentKey = key
    Region.canPopulate = region.probePopulate()
    regionStart = UInt(bitPattern: region.base)
    regionSize = UInt(region.size)
    xmlMemSetup(arenaFree, arenaMalloc, arenaRealloc, arenaStrdup)
  }

  /// The address space arenas are carved from, in slots of ``slotSize``.
  final class Region: @unchecked Sendable {
    static let slotSize = 64 << 20
    static let slotCount = 1024
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    /// `MADV_POPULATE_WRITE` (Linux 5.14), which glibc's headers may lack.
    static let populateWrite: Int32 = 23
    /// `MADV_HUGEPAGE` and `MADV_NOHUGEPAGE`.
    static let adviseHugePage: Int32 = 14
    static let adviseNoHugePage: Int32 = 15
    /// The size of a transparent huge page that spans ask for, and of the region's alignment.
    static let hugePageSize = 2 << 20

    /// Whether spans ask for transparent huge pages.
    ///
    /// Only where the kernel backs a mapping with them when asked to
    /// (`/sys/kernel/mm/transparent_hugepage/enabled` is `always` or `madvise`), they are
    /// ``hugePageSize`` large (`hpage_pmd_size`), and free memory is not reported to a
    /// hypervisor (``freeMemoryReported(devices:)``). `NORMCHECK_HUGE_PAGES=0` declines them;
    /// `=1` asks for them even where free memory is reported (for measurements).
    static let hugePagesOnRequest: Bool = {
      let setting = ProcessInfo.processInfo.environment["NORMCHECK_HUGE_PAGES"]
      if setting == "0" { return false }
      let directory = "/sys/kernel/mm/transparent_hugepage/"
      guard let enabled = try? String(contentsOfFile: directory + "enabled", encoding: .utf8),
        enabled.contains("[always]") || enabled.contains("[madvise]"),
        let size = try? String(contentsOfFile: directory + "hpage_pmd_size", encoding: .utf8),
        Int(size.trimmingCharacters(in: .whitespacesAndNewlines)) == hugePageSize
      else { return false }
      return setting == "1" || !freeMemoryReported(devices: "/sys/bus/virtio/drivers/virtio_balloon")
    }()

    /// Whether a virtio balloon bound under `devices` reports free memory to the hypervisor
    /// (feature bit 5, `VIRTIO_BALLOON_F_REPORTING`).
    ///
    /// The guest then hands free blocks of 2 MB and more back to the host, which discards
    /// them; a transparent huge page is most likely carved from such a block, which the host
    /// must supply again while the guest zeroes it. Measured in such a VM (BENCHMARKS.md): a check of
    /// 1 000 000 facilities with huge pages took 2.9 s with the linear rules and 13.6 s with the
    /// built-in packs, mostly system time, against 1.3 s and 5.3 s without; at 100 000
    /// facilities the two were equal in wall time.
    static func freeMemoryReported(devices: String) -> Bool {
      guard let entries = try? FileManager.default.contentsOfDirectory(atPath: devices) else { return false }
      for entry in entries where entry.hasPrefix("virtio") {
        // One character per feature bit, `0` or `1`, lowest first.
        guard let features = try? String(contentsOfFile: "\(devices)/\(entry)/features", encoding: .utf8)
        else { continue }
        let bits = Array(features.utf8)
        if bits.count > 5, bits[5] == UInt8(ascii: "1") { return true }
      }
      return false
    }

    /// Whether the kernel populates pages on request.
    ///
    /// Probed by ``ParseArena/install()`` on a page of the region, before any arena takes a slot.
    nonisolated(unsafe) fileprivate(set) static var canPopulate = false

    /// The region, or `nil` when arenas are off.
    static let shared: Region? = {
      if let setting = ProcessInfo.processInfo.environment["NORMCHECK_PARSE_ARENA"], setting == "0" { return nil }
      for sanitizer in ["__asan_init", "__tsan_init", "__msan_init"]
      where dlsym(UnsafeMutableRawPointer(bitPattern: 0), sanitizer) != nil {
        return nil
      }
      let size = slotSize * slotCount
      // One huge page more, so that the region, and every slot, starts on a huge page's boundary.
      let mapped = mmap(nil, size + hugePageSize, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
      guard let mapped, mapped != MAP_FAILED else { return nil }
      let aligned = (UInt(bitPattern: mapped) + UInt(hugePageSize - 1)) & ~UInt(hugePageSize - 1)
      return Region(base: UnsafeMutableRawPointer(bitPattern: aligned)!, size: size)
    }()

    let base: UnsafeMutableRawPointer
    let size: Int
    private let lock = NSLock()
    private var free: [Bool]

    private init(base: UnsafeMutableRawPointer, size: Int) {
      self.base = base
      self.size = size
      free = Array(repeating: true, count: Self.slotCount)
    }

    /// Claims consecutive slots for `bytes` (at least one slot), first fit.
    func acquire(bytes: Int) -> (slot: Int, count: Int)? {
      let count = min(Self.slotCount, max(1, (bytes + Self.slotSize - 1) / Self.slotSize))
      return lock.withLock {
        var run = 0
        for slot in 0..<Self.slotCount {
          run = free[slot] ? run + 1 : 0
          if run == count {
            let first = slot - count + 1
            for taken in first...slot { free[taken] = false }
            return (first, count)
          }
        }
        return nil
      }
    }

    func release(slot: Int, count: Int) {
      lock.withLock {
        for index in slot..<(slot + count) { free[index] = true }
      }
    }

    fileprivate func probePopulate() -> Bool {
      guard let (slot, count) = acquire(bytes: 1) else { return false }
      defer { release(slot: slot, count: count) }
      let page = base + slot * Self.slotSize
      guard mprotect(page, Self.pageSize, PROT_READ | PROT_WRITE) == 0 else { return false }
      defer {
        madvise(page, Self.pageSize, MADV_DONTNEED)
        mprotect(page, Self.pageSize, PROT_NONE)
      }
      return madvise(page, Self.pageSize, Self.populateWrite) == 0
    }
  }
}

// MARK: the hooks given to xmlMemSetup

private func arenaMalloc(_ size: Int) -> UnsafeMutableRawPointer? {
  ParseArena.withCurrentArena { $0?.allocate(size) } ?? malloc(size)
}

/// Frees a block libxml2 allocated, whether or not the hooks are installed.
func freeLibXML2Block(_ pointer: UnsafeMutableRawPointer?) { arenaFree(pointer) }

private func arenaFree(_ pointer: UnsafeMutableRawPointer?) {
  guard let pointer else { return }
  guard ParseArena.owns(pointer) else { return Glibc.free(pointer) }
  ParseArena.withCurrentArena { $0?.free(pointer) }
}

private func arenaRealloc(_ pointer: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
  guard let pointer else { return arenaMalloc(size) }
  guard ParseArena.owns(pointer) else { return realloc(pointer, size) }
  let old = ParseArena.usableSize(of: pointer)
  if size <= old { return pointer }
  // A block of the current arena grows in place or moves within it; a block of another arena
  // (another document's tree, reallocated on this thread) moves to `malloc`, never into an
  // arena that may be released before that document.
  let inCurrent = ParseArena.withCurrentArena { $0?.contains(pointer) ?? false }
  if inCurrent, ParseArena.withCurrentArena({ $0?.growInPlace(pointer, to: size) ?? false }) { return pointer }
  guard let moved = inCurrent ? arenaMalloc(size) : malloc(size) else { return nil }
  moved.copyMemory(from: pointer, byteCount: old)
  return moved
}

private func arenaStrdup(_ string: UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>? {
  guard let string else { return nil }
  let length = strlen(string) + 1
  guard let copy = arenaMalloc(length) else { return nil }
  copy.copyMemory(from: string, byteCount: length)
  return copy.assumingMemoryBound(to: CChar.self)
}
#else
/// Arenas are only built on Linux; elsewhere libxml2 allocates with `malloc`.
final class ParseArena {
  static func forInput(
    of expectedInput: Int, policy: ParsePolicy.Arena = .automatic, helpers: Bool = true
  ) -> ParseArena? { nil }
  static func install() {}
  func withCurrent<R>(_ body: () throws -> R) rethrows -> R { try body() }
}

/// Frees a block libxml2 allocated.
func freeLibXML2Block(_ pointer: UnsafeMutableRawPointer?) { free(pointer) }
#endif

extension ParseArena {
  /// Runs `body` with `arena`, if any, as the calling thread's current arena.
  static func run<R>(in arena: ParseArena?, _ body: () throws -> R) rethrows -> R {
    guard let arena else { return try body() }
    return try arena.withCurrent(body)
  }
}

/// How XMLCore parses, beyond the limits: for tests and benchmarks.
enum ParsePolicy {
  /// Whether a parse uses a ``ParseArena``.
  enum Arena: Sendable {
    /// For inputs of at least ``ParseArena/minimumInput`` bytes, when arenas are on.
    case automatic
    /// Never.
    case never
    /// Always, with a span of at least `capacity` bytes, populated ahead or not.
    case always(capacity: Int, prefault: Bool)
  }

  /// Whether a parse builds its attribute indexes on a thread of its own (see ``IndexingPipeline``).
  enum IndexingThread: Sendable {
    /// For inputs of at least ``ParseArena/minimumInput`` bytes, when ``ParseHelpers`` allows.
    case automatic
    /// Never: on the parser's thread.
    case never
    /// Always.
    case always

    /// Whether an input of `bytes` bytes gets an indexing thread, when `helpers` says whether
    /// the parse may start helper threads (see ``ParseHelpers``).
    func applies(toInputOf bytes: Int, helpers: Bool) -> Bool {
      switch self {
      case .automatic: bytes >= ParseArena.minimumInput && helpers
      case .never: false
      case .always: true
      }
    }
  }
}

/// Fetches into this core's cache the arena bytes of a node, from `start` up to `next`.
///
/// A node's attributes follow it in the parse's arena, up to the next node (see ``ParseArena``):
/// fetched some nodes before their turn, they are in the cache when read. Spans of `maxLines`
/// cache lines or more, and nodes out of order (not from one arena), fetch 4 lines.
@inline(__always)
func prefetchArenaSpan(from start: UnsafeRawPointer, to next: UnsafeRawPointer, maxLines: Int = 32) {
  let span = next - start
  let lines = span > 0 && span < 64 * maxLines ? span / 64 + 1 : 4
  for line in 0..<lines { normcheck_prefetch(start + line * 64) }
}
