import Foundation

#if canImport(Glibc)
import Glibc
import Synchronization
#endif

/// The bytes of one input, held for its parse: an array, or a read-only mapping of a large
/// regular file.
///
/// A file read into an array costs a copy and, before it, the kernel's work to hand out and
/// zero a fresh page for every 4 KB of the array: about 10 ms for 17 MB, on the parse's path.
/// A mapping (`MAP_PRIVATE`, read-only) shows the page cache's pages as they are. Inputs are
/// never written through it.
///
/// A mapping has one hazard that a copy has not: another process truncating the file while it
/// is parsed leaves pages past the new end that fault with `SIGBUS`. ``MappedInputGuard``
/// turns such a fault into a page of zeros and a flag (``changedWhileRead``), which the parser
/// reports as an I/O error naming the file, instead of the process dying.
final class InputBytes: @unchecked Sendable {
  private enum Storage {
    case array([UInt8])
    case mapping(UnsafeRawPointer, slot: Int)
  }

  private let storage: Storage
  /// The number of bytes.
  let count: Int

  /// Bytes held in memory.
  init(_ bytes: [UInt8]) {
    storage = .array(bytes)
    count = bytes.count
  }

  #if canImport(Glibc)
  /// A mapping of `count` bytes at `base`, guarded in `slot` (see ``MappedInputGuard``).
  fileprivate init(mapping base: UnsafeRawPointer, count: Int, slot: Int) {
    storage = .mapping(base, slot: slot)
    self.count = count
  }
  #endif

  deinit {
    #if canImport(Glibc)
    if case .mapping(let base, let slot) = storage {
      MappedInputGuard.release(slot)
      munmap(UnsafeMutableRawPointer(mutating: base), count)
    }
    #endif
  }

  /// Whether the bytes are a mapping of the file (for tests).
  var isMapped: Bool {
    if case .mapping = storage { return true }
    return false
  }

  /// Whether the file shrank while it was mapped: some of the bytes read were zeros standing in
  /// for pages that no longer existed.
  var changedWhileRead: Bool {
    #if canImport(Glibc)
    if case .mapping(_, let slot) = storage { return MappedInputGuard.wasHit(slot) }
    #endif
    return false
  }

  /// Calls `body` with the bytes; they stay valid while it runs.
  func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    switch storage {
    case .array(let bytes):
      return try bytes.withUnsafeBufferPointer(body)
    case .mapping(let base, _):
      return try withExtendedLifetime(self) {
        try body(UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: count))
      }
    }
  }

  #if canImport(Glibc)
  /// Maps `count` bytes of the regular file open as `fd` read-only, or returns `nil` (the
  /// caller then reads it), when the mapping or its guard is not available.
  static func map(fileDescriptor fd: Int32, count: Int) -> InputBytes? {
    guard count > 0, MappedInputGuard.install(), let slot = MappedInputGuard.reserve() else { return nil }
    // MAP_POPULATE: the page cache's pages are mapped at once rather than a fault at a time.
    let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0)
    guard let mapped, mapped != MAP_FAILED else {
      MappedInputGuard.release(slot)
      return nil
    }
    MappedInputGuard.guardRange(slot, start: UInt(bitPattern: mapped), count: count)
    return InputBytes(mapping: mapped, count: count, slot: slot)
  }
  #endif
}

#if canImport(Glibc)
/// Guards mapped inputs against truncation by other processes (see ``InputBytes``).
///
/// A `SIGBUS` handler, installed once when the first file is mapped, looks the faulting
/// address up among the guarded ranges. Inside one, it maps a page of zeros over the faulting
/// page, marks the range as hit and returns: the parser reads zeros, which libxml2 refuses, and
/// the parse is then reported as an I/O error. Any other `SIGBUS` gets the action that was in
/// place before (restored, so that the fault, repeated on return, meets it).
///
/// The handler reads only atomics and calls only `mmap` and `sigaction`.
enum MappedInputGuard {
  /// Guarded ranges at once, at most; a mapping beyond them falls back to reading.
  static let capacity = 64

  private final class Slot: Sendable {
    let start = Atomic<UInt>(0)
    let end = Atomic<UInt>(0)
    let hit = Atomic<Bool>(false)
    let taken = Atomic<Bool>(false)
  }

  private static let slots: [Slot] = (0..<capacity).map { _ in Slot() }
  nonisolated(unsafe) private static var previous = sigaction()
  nonisolated(unsafe) private static var pageSize: UInt = 4096
  private static let installed: Bool = {
    _ = slots.count  // built before the handler can read them
    pageSize = UInt(sysconf(Int32(_SC_PAGESIZE)))
    var action = sigaction()
    action.sa_flags = SA_SIGINFO | SA_NODEFER
    action.__sigaction_handler.sa_sigaction = busHandler
    sigemptyset(&action.sa_mask)
    return sigaction(SIGBUS, &action, &previous) == 0
  }()

  /// Installs the handler (once); whether it is in place.
  static func install() -> Bool { installed }

  /// A free slot, taken; `nil` when all are.
  static func reserve() -> Int? {
    for index in slots.indices
    where slots[index].taken.compareExchange(
      expected: false, desired: true, ordering: .acquiringAndReleasing
    ).exchanged {
      slots[index].hit.store(false, ordering: .relaxed)
      return index
    }
    return nil
  }

  /// Guards `count` bytes from `start` in `slot`.
  static func guardRange(_ slot: Int, start: UInt, count: Int) {
    slots[slot].end.store(start + UInt(count), ordering: .relaxed)
    slots[slot].start.store(start, ordering: .releasing)
  }

  /// Whether a fault in `slot`'s range was answered with zeros.
  static func wasHit(_ slot: Int) -> Bool { slots[slot].hit.load(ordering: .acquiring) }

  /// Stops guarding `slot` and frees it.
  static func release(_ slot: Int) {
    slots[slot].start.store(0, ordering: .releasing)
    slots[slot].end.store(0, ordering: .relaxed)
    slots[slot].taken.store(false, ordering: .releasing)
  }

  /// The slot whose range holds `address`, if any.
  fileprivate static func slot(holding address: UInt) -> Int? {
    for index in 0..<capacity {
      let slot = slots[index]
      let start = slot.start.load(ordering: .acquiring)
      if start != 0, address >= start, address < slot.end.load(ordering: .relaxed) { return index }
    }
    return nil
  }

  fileprivate static func answer(_ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?) {
    let address = info.map { UInt(bitPattern: $0.pointee._sifields._sigfault.si_addr) } ?? 0
    guard address != 0, let index = slot(holding: address) else {
      sigaction(SIGBUS, &previous, nil)
      return
    }
    let page = pageSize
    let start = address & ~(page - 1)
    let zeros = mmap(
      UnsafeMutableRawPointer(bitPattern: start), Int(page), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
    if zeros == MAP_FAILED {
      sigaction(SIGBUS, &previous, nil)
      return
    }
    slots[index].hit.store(true, ordering: .releasing)
  }
}

private func busHandler(_ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?)
{
  MappedInputGuard.answer(signal, info)
}
#endif
