internal import CLibXML2
import Foundation

/// A parse's attribute indexing on a thread of its own: the parser hands over the elements
/// in chunks, in document order, and goes on while they are indexed.
///
/// At 100 000 facilities the built-in packs' parse-time indexes (``AttributeIndexRequest``)
/// cost the parse's thread about as much as a third of the parse; on the spare core they
/// overlap with it. The indexing thread reads only what libxml2 never changes once an
/// element's start tag is parsed (its name, namespace, parent and attributes), while the
/// parser goes on writing other fields (children, siblings). Handing over a chunk orders the
/// parser's writes before the indexing thread's reads. Started only while ``ParseHelpers``
/// grants helper threads.
final class IndexingPipeline: @unchecked Sendable {
  /// Elements per chunk handed over.
  static let chunkSize = 4096

  /// How many elements ahead the indexing thread fetches (see ``run()``).
  private static let prefetchDistance = 8

  /// An element and its element-index list.
  typealias Entry = (element: xmlNodePtr, list: Int)

  private let condition = NSCondition()
  /// Chunks handed over and not yet taken, guarded by ``condition``.
  private var chunks: [[Entry]] = []
  /// Set by ``finish()``, guarded by ``condition``.
  private var closed = false
  private let finished = DispatchSemaphore(value: 0)
  /// The chunk being filled; the parser's thread only.
  @exclusivity(unchecked) private var pending: [Entry] = []
  /// What indexes one element; the indexing thread only.
  private let index: (xmlNodePtr, Int) -> Void

  /// What the indexing thread does before indexing the first element; the indexing thread only.
  private let before: () -> Void

  /// Starts the indexing thread, which calls `before`, then `index` with every element handed
  /// over, in order.
  init(before: @escaping () -> Void = {}, _ index: @escaping (xmlNodePtr, Int) -> Void) {
    self.before = before
    self.index = index
    pending.reserveCapacity(Self.chunkSize)
    let thread = Thread { [self] in run() }
    thread.stackSize = 1 << 20
    thread.start()
  }

  /// Hands `element` (of element-index list `list`) over, with the next full chunk.
  @inline(__always)
  func add(_ element: xmlNodePtr, list: Int) {
    pending.append((element, list))
    if pending.count == Self.chunkSize { handOver() }
  }

  /// Hands over what is left and returns when every element has been indexed.
  ///
  /// Must be called once, before the tree is read or freed and before the tables are sealed.
  func finish() {
    if !pending.isEmpty { handOver() }
    condition.withLock {
      closed = true
      condition.signal()
    }
    finished.wait()
  }

  private func handOver() {
    let chunk = pending
    pending = []
    pending.reserveCapacity(Self.chunkSize)
    condition.withLock {
      chunks.append(chunk)
      condition.signal()
    }
  }

  private func run() {
    before()
    while true {
      let chunk: [Entry]? = condition.withLock {
        while chunks.isEmpty && !closed { condition.wait() }
        return chunks.isEmpty ? nil : chunks.removeFirst()
      }
      guard let chunk else { break }
      chunk.withUnsafeBufferPointer { chunk in
        for position in chunk.indices {
          // The attributes of an element follow it in the parse's arena, up to the next
          // element: fetched some elements ahead, they are in this core's cache when indexed.
          let ahead = position + Self.prefetchDistance
          if ahead + 1 < chunk.count {
            prefetchArenaSpan(from: chunk[ahead].element, to: chunk[ahead + 1].element)
          }
          index(chunk[position].element, chunk[position].list)
        }
      }
    }
    finished.signal()
  }
}
