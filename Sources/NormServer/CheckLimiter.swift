import Foundation

/// Bounds the work of the server: at most `jobs` checks run at once, and at most `jobs + queue`
/// requests are admitted (reading their body, waiting for a job, or running); the rest are refused
/// at once, so that a flood is answered with 503 instead of memory growing without bound.
public actor CheckLimiter {
  /// Checks that may run at once.
  public let jobs: Int
  /// Admitted requests beyond `jobs`.
  public let queue: Int
  private var admitted = 0
  private var running = 0
  private var waiters: [CheckedContinuation<Void, Never>] = []

  /// Creates a limiter; `jobs` is at least 1, `queue` at least 0.
  public init(jobs: Int, queue: Int) {
    self.jobs = max(1, jobs)
    self.queue = max(0, queue)
  }

  /// What the limiter holds now.
  public struct Snapshot: Sendable, Codable, Equatable {
    /// Requests admitted (reading, waiting or running).
    public var admitted: Int
    /// Checks running.
    public var running: Int
    /// Checks waiting for a job.
    public var waiting: Int
  }

  /// The current counts.
  public var snapshot: Snapshot { Snapshot(admitted: admitted, running: running, waiting: waiters.count) }

  /// Admits a request if there is room; every `true` must be followed by one ``leave()``.
  public func admit() -> Bool {
    guard admitted < jobs + queue else { return false }
    admitted += 1
    return true
  }

  /// Ends an admitted request.
  public func leave() {
    admitted -= 1
  }

  /// Waits for a free job (in arrival order); every call must be followed by one ``release()``.
  public func acquire() async {
    if running < jobs {
      running += 1
      return
    }
    await withCheckedContinuation { waiters.append($0) }
  }

  /// Frees a job, handing it to the longest waiter if any.
  public func release() {
    if waiters.isEmpty {
      running -= 1
    } else {
      waiters.removeFirst().resume()
    }
  }

  /// Runs `work` on a job, off the server's threads, and returns its result.
  ///
  /// Checks are CPU-bound and synchronous (libxml2), so they run on a dispatch queue of their own:
  /// the event loops and Swift's cooperative threads stay free to accept, read and answer
  /// other requests (`/healthz`, 503s) while `jobs` checks run.
  public nonisolated func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await acquire()
    let result = await withCheckedContinuation { continuation in
      Self.workQueue.async { continuation.resume(returning: work()) }
    }
    await release()
    return result
  }

  private static let workQueue = DispatchQueue(
    label: "normcheck.serve.checks", qos: .userInitiated, attributes: .concurrent)
}
