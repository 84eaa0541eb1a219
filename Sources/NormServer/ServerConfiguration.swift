import Foundation
import NormKit

/// How `normcheck serve` listens, which packs it runs and the limits it enforces.
public struct ServerConfiguration: Sendable {
  /// The address to bind; loopback by default, so that nothing is exposed unless asked for.
  public var host: String
  /// The TCP port; 0 lets the system choose (the log line `listening` says which).
  public var port: Int
  /// Packs to load at start: built-in names, `.sch` files or directories; empty means all built-in packs.
  public var packs: [String]
  /// The largest request body accepted, in bytes; larger bodies get 413 and are not read further.
  public var maxBodyBytes: Int
  /// Checks evaluated at once.
  public var jobs: Int
  /// Requests admitted beyond `jobs` (reading their body or waiting for a free job); more get 503.
  public var queueLimit: Int
  /// XPath operations per document and pack at most (0: unlimited): the evaluation-time budget of a
  /// request; `nil`, the default, is the command line's automatic budget (see
  /// ``CheckConfiguration/operationBudget(elements:)``: 1 000 per element, at least 50 million).
  public var operationLimit: UInt?
  /// Findings per document and pack at most.
  public var maxFindings: Int
  /// The `Retry-After` seconds sent with 503.
  public var retryAfterSeconds: Int
  /// The tool version reports and `/healthz` name.
  public var toolVersion: String
  /// Validate documents against the declaration XSD (off for arbitrary XML with custom packs).
  public var validateSchema: Bool

  /// The default body limit: 32 MiB.
  public static let defaultMaxBodyBytes = 32 << 20

  /// Creates a configuration; the defaults are those of `normcheck serve`.
  public init(
    host: String = "127.0.0.1", port: Int = 8080, packs: [String] = [], maxBodyBytes: Int = defaultMaxBodyBytes,
    jobs: Int = ProcessInfo.processInfo.activeProcessorCount, queueLimit: Int = 64,
    operationLimit: UInt? = nil, maxFindings: Int = 10_000, retryAfterSeconds: Int = 2,
    toolVersion: String = "dev", validateSchema: Bool = true
  ) {
    self.host = host
    self.port = port
    self.packs = packs
    self.maxBodyBytes = maxBodyBytes
    self.jobs = jobs
    self.queueLimit = queueLimit
    self.operationLimit = operationLimit
    self.maxFindings = maxFindings
    self.retryAfterSeconds = retryAfterSeconds
    self.toolVersion = toolVersion
    self.validateSchema = validateSchema
  }
}

/// Sizes written as people write them: `32MiB`, `512KiB`, `1MB`, `1000000`.
public enum ByteCount {
  /// The number of bytes `text` stands for, or `nil` when it is not a size.
  ///
  /// Units: none or `B`; `K`/`KiB`, `M`/`MiB`, `G`/`GiB` (powers of 1024); `KB`, `MB`, `GB` (powers of 1000).
  public static func parse(_ text: String) -> Int? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
    guard !digits.isEmpty, let value = Int(digits) else { return nil }
    let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
    let multiplier: Int
    switch unit {
    case "", "b": multiplier = 1
    case "k", "kib": multiplier = 1 << 10
    case "m", "mib": multiplier = 1 << 20
    case "g", "gib": multiplier = 1 << 30
    case "kb": multiplier = 1_000
    case "mb": multiplier = 1_000_000
    case "gb": multiplier = 1_000_000_000
    default: return nil
    }
    let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
    return overflow ? nil : product
  }

  /// `bytes` for people: `32 MiB`, `512 KiB`, `1000 bytes`.
  public static func describe(_ bytes: Int) -> String {
    for (unit, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes >= size && bytes % size == 0
    {
      return "\(bytes / size) \(unit)"
    }
    return bytes == 1 ? "1 byte" : "\(bytes) bytes"
  }
}
