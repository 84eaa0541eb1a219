import Foundation
import Synchronization

/// The process-wide budget of a large parse's helper threads: the arena's page populator
/// (``ParseArena``), the indexing thread (``IndexingPipeline``) and the attribute pre-scan
/// (``AttributeScanAhead``, which runs for the parse's first tenth or so).
///
/// Each helper is worth having only on a core the parses leave idle. One large document checked
/// alone has one; a batch with `--jobs` equal to the cores, or `normcheck serve` under load,
/// has none, and two more threads for every large parse at once would only compete with the
/// parsers. So at most half the cores' worth of large parses (at least one) get helpers at a
/// time; the others run as before helpers existed: an arena without a populator, indexes built
/// on the parser's thread, the pre-scan before the parse. The two long-lived helpers are then
/// at most as many as the cores.
final class ParseHelpers: Sendable {
  /// The budget every parse draws on.
  static let shared = ParseHelpers(capacity: max(1, ProcessInfo.processInfo.activeProcessorCount / 2))

  /// How many parses may have helpers at once.
  let capacity: Int
  /// Parses that have helpers now.
  private let inUse = Atomic<Int>(0)

  /// A budget for `capacity` parses with helpers at once.
  init(capacity: Int) { self.capacity = capacity }

  /// Runs `body` with whether this parse may start helper threads: `true` when `wanted` and
  /// fewer than ``capacity`` parses have them; the claim is given back when `body` returns.
  func whileGranted<R>(if wanted: Bool, _ body: (Bool) throws -> R) rethrows -> R {
    guard wanted, acquire() else { return try body(false) }
    defer { inUse.subtract(1, ordering: .releasing) }
    return try body(true)
  }

  /// Claims helpers for one parse, when fewer than ``capacity`` parses have them.
  private func acquire() -> Bool {
    var current = inUse.load(ordering: .relaxed)
    while current < capacity {
      let (exchanged, original) = inUse.compareExchange(
        expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
      if exchanged { return true }
      current = original
    }
    return false
  }

  /// How many parses have helpers now.
  var granted: Int { inUse.load(ordering: .relaxed) }
}
