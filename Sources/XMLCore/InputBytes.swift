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
/// A mapping has hazards that a copy has not, while the file is parsed: another process
/// truncating it leaves pages past the new end that fault with `SIGBUS`, and one rewriting it in
/// place changes what the parser reads. ``MappedInputGuard`` turns such a fault into zeros and a
/// mark, and the file's size, times and inode are compared after the parse
/// (``changedWhileRead``): either way the parser reports an I/O error naming the file, instead of
/// the process dying or a mix of two versions being checked.
final class InputBytes: @unchecked Sendable {
  private enum Storage {
    case array([UInt8])
    /// The mapping, its guard's slot, a descriptor of the file and what `fstat` said of it.
    case mapping(UnsafeRawPointer, slot: Int, file: Int32, identity: FileIdentity)
  }

  /// What tells one version of a file from another.
  struct FileIdentity: Equatable {
    var device: UInt
    var inode: UInt
    var size: Int
    var modified: Int
    var modifiedNanoseconds: Int
    var changed: Int
    var changedNanoseconds: Int

    #if canImport(Glibc)
    init(_ info: stat) {
      device = UInt(info.st_dev)
      inode = UInt(info.st_ino)
      size = Int(info.st_size)
      modified = Int(info.st_mtim.tv_sec)
      modifiedNanoseconds = Int(info.st_mtim.tv_nsec)
      changed = Int(info.st_ctim.tv_sec)
      changedNanoseconds = Int(info.st_ctim.tv_nsec)
    }
    #endif
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
  /// A mapping of `count` bytes at `base`, guarded in `slot` (see ``MappedInputGuard``), of the
  /// file open as `file` (owned), as `identity` describes it.
  fileprivate init(mapping base: UnsafeRawPointer, count: Int, slot: Int, file: Int32, identity: FileIdentity) {
    storage = .mapping(base, slot: slot, file: file, identity: identity)
    self.count = count
  }
  #endif

  deinit {
    #if canImport(Glibc)
    if case .mapping(let base, let slot, let file, _) = storage {
      MappedInputGuard.release(slot)
      munmap(UnsafeMutableRawPointer(mutating: base), count)
      close(file)
    }
    #endif
  }

  /// Whether the bytes are a mapping of the file (for tests).
  var isMapped: Bool {
    if case .mapping = storage { return true }
    return false
  }

  /// Whether the mapped file changed since it was mapped.
  ///
  /// Cut short (some bytes read were zeros standing in for pages it no longer had), or its size,
  /// times or inode are no longer those it had. Always `false` for bytes in memory.
  var changedWhileRead: Bool {
    #if canImport(Glibc)
    if case .mapping(_, let slot, let file, let identity) = storage {
      if MappedInputGuard.wasHit(slot) { return true }
      var info = stat()
      return fstat(file, &info) != 0 || FileIdentity(info) != identity
    }
    #endif
    return false
  }

  /// Calls `body` with the bytes; they stay valid while it runs.
  func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    switch storage {
    case .array(let bytes):
      return try bytes.withUnsafeBufferPointer(body)
    case .mapping(let base, _, _, _):
      return try withExtendedLifetime(self) {
        try body(UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: count))
      }
    }
  }

  #if canImport(Glibc)
  /// Maps the regular file open as `fd`, of which `fstat` said `info`, read-only; `nil` (the
  /// caller then reads it) when the mapping or its guard is not available, or the file has
  /// grown since.
  static func map(fileDescriptor fd: Int32, info: stat) -> InputBytes? {
    let count = Int(info.st_size)
    guard count > 0, MappedInputGuard.install() else { return nil }
    // A file that grew since fstat is left to be read as a stream.
    var next: UInt8 = 0
    guard pread(fd, &next, 1, off_t(count)) == 0 else { return nil }
    let file = dup(fd)
    guard file >= 0 else { return nil }
    guard let slot = MappedInputGuard.reserve() else {
      close(file)
      return nil
    }
    // MAP_POPULATE: the page cache's pages are mapped at once rather than a fault at a time.
    let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0)
    guard let mapped, mapped != MAP_FAILED else {
      MappedInputGuard.release(slot)
      close(file)
      return nil
    }
    MappedInputGuard.guardRange(slot, start: UInt(bitPattern: mapped), count: count)
    return InputBytes(mapping: mapped, count: count, slot: slot, file: file, identity: FileIdentity(info))
  }
  #endif
}

#if canImport(Glibc)
/// Guards mapped inputs against truncation by other processes (see ``InputBytes``).
///
/// A `SIGBUS` handler, installed once when the first file is mapped, looks the address of a
/// fault the kernel raised up among the guarded ranges. Inside one, it maps zeros over the rest
/// of the range, from the faulting page on, marks the range as hit and returns: the parser reads
/// zeros, and whatever the parse gives, the file is reported as changed while it was read. Any
/// other `SIGBUS` goes to the action that was in place before: a handler is called; the default
/// action (or ignoring) is put back, for good (the guard is then disarmed: later files are read,
/// not mapped), and meets the fault again on return, or a signal sent with `kill` is raised
/// again.
///
/// The handler allocates nothing and runs no lazy initialisation (everything it reads is set up
/// before it is installed); it calls only `mmap`, `sigaction` and `raise`.
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
  /// The action in place before the guard's.
  nonisolated(unsafe) private static let previous: UnsafeMutablePointer<sigaction> = {
    let action = UnsafeMutablePointer<sigaction>.allocate(capacity: 1)
    action.initialize(to: sigaction())
    return action
  }()
  private static let pageSize = UInt(sysconf(Int32(_SC_PAGESIZE)))
  /// Set when the previous action was put back: nothing is mapped any more.
  private static let disarmed = Atomic<Bool>(false)
  private static let installed: Bool = {
    // Built before the handler can read them.
    _ = (slots.count, previous, pageSize, disarmed.load(ordering: .relaxed))
    var action = sigaction()
    action.sa_flags = SA_SIGINFO | SA_NODEFER
    action.__sigaction_handler.sa_sigaction = busHandler
    sigemptyset(&action.sa_mask)
    return sigaction(SIGBUS, &action, previous) == 0
  }()

  /// Installs the handler (once); whether files may be mapped under its guard.
  static func install() -> Bool { installed && !disarmed.load(ordering: .acquiring) }

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
    slots[slot].end.store(start + UInt(count), ordering: .releasing)
    slots[slot].start.store(start, ordering: .releasing)
  }

  /// Whether a fault in `slot`'s range was answered with zeros.
  static func wasHit(_ slot: Int) -> Bool { slots[slot].hit.load(ordering: .acquiring) }

  /// Stops guarding `slot` and frees it.
  static func release(_ slot: Int) {
    slots[slot].start.store(0, ordering: .releasing)
    slots[slot].end.store(0, ordering: .releasing)
    slots[slot].taken.store(false, ordering: .releasing)
  }

  /// The slot whose range holds `address`, and the range's end, if any; a slot whose start
  /// changed while it was read (being released or reused) is passed over.
  fileprivate static func slot(holding address: UInt) -> (index: Int, end: UInt)? {
    for index in 0..<capacity {
      let slot = slots[index]
      let start = slot.start.load(ordering: .acquiring)
      guard start != 0, address >= start else { continue }
      let end = slot.end.load(ordering: .acquiring)
      guard slot.start.load(ordering: .acquiring) == start, address < end else { continue }
      return (index, end)
    }
    return nil
  }

  fileprivate static func answer(
    _ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?
  ) {
    // A positive code: the kernel raised it for a fault; otherwise someone sent it.
    let fault = (info?.pointee.si_code ?? 0) > 0
    if fault, let info {
      let address = UInt(bitPattern: info.pointee._sifields._sigfault.si_addr)
      if let (index, end) = slot(holding: address) {
        // Zeros over the rest of the range at once: one signal, not one per page.
        let first = address & ~(pageSize - 1)
        let length = Int((end - first + pageSize - 1) & ~(pageSize - 1))
        let zeros = mmap(
          UnsafeMutableRawPointer(bitPattern: first), length, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
        if zeros != MAP_FAILED {
          slots[index].hit.store(true, ordering: .releasing)
          return
        }
      }
    }
    passOn(signal, info, context, fault: fault)
  }

  /// Hands a `SIGBUS` that is not the guard's to the action in place before it.
  private static func passOn(
    _ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?, fault: Bool
  ) {
    let action = previous.pointee
    if action.sa_flags & SA_SIGINFO != 0, let handler = action.__sigaction_handler.sa_sigaction {
      return handler(signal, info, context)
    }
    // SIG_DFL is 0 and SIG_IGN is 1; anything else is a plain handler.
    let raw = unsafeBitCast(action.__sigaction_handler.sa_handler, to: UInt.self)
    if raw > 1, let handler = action.__sigaction_handler.sa_handler { return handler(signal) }
    if raw == 1, !fault { return }  // ignored (a fault cannot be: the kernel would kill anyway)
    disarmed.store(true, ordering: .releasing)
    sigaction(SIGBUS, previous, nil)
    // A fault meets the default action when the instruction runs again; a sent signal is raised.
    if !fault { raise(SIGBUS) }
  }
}

private func busHandler(_ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?)
{
  MappedInputGuard.answer(signal, info, context)
}
#endif
