import Foundation
import Logging

/// A swift-log handler that writes one JSON object per line: `time`, `level`, `label`,
/// `message` and the metadata (Hummingbird's `hb.request.id` as `request_id`).
///
/// Each line is written with a single `write(2)`, so lines from concurrent requests never interleave.
public struct JSONLogHandler: LogHandler {
  /// The logger's label.
  public let label: String
  /// The level at or above which events are written.
  public var logLevel: Logger.Level = .info
  /// Metadata added to every event.
  public var metadata: Logger.Metadata = [:]
  /// A provider of contextual metadata.
  public var metadataProvider: Logger.MetadataProvider?
  private let fileDescriptor: Int32

  /// Creates a handler writing to `fileDescriptor` (standard error by default).
  public init(label: String, fileDescriptor: Int32 = 2, metadataProvider: Logger.MetadataProvider? = nil) {
    self.label = label
    self.fileDescriptor = fileDescriptor
    self.metadataProvider = metadataProvider
  }

  /// Gets or sets one metadata value.
  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  /// Writes the event as one line of JSON.
  public func log(event: LogEvent) {
    var merged = metadata
    if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
    if let own = event.metadata { merged.merge(own) { _, new in new } }
    var object: [String: Any] = [
      "time": Self.timestamp(), "level": event.level.rawValue, "label": label, "message": "\(event.message)",
    ]
    for (key, value) in merged {
      object[key == "hb.request.id" ? "request_id" : key] = Self.json(value)
    }
    if let error = event.error { object["error"] = "\(error)" }
    guard
      var data = try? JSONSerialization.data(
        withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    else { return }
    data.append(UInt8(ascii: "\n"))
    data.withUnsafeBytes { buffer in
      var offset = 0
      while offset < buffer.count {
        let written = write(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
        if written <= 0 { break }
        offset += written
      }
    }
  }

  private static func json(_ value: Logger.Metadata.Value) -> Any {
    switch value {
    case .string(let text): text
    case .stringConvertible(let convertible): convertible.description
    case .array(let values): values.map(json)
    case .dictionary(let values): values.mapValues(json)
    }
  }

  private static func timestamp() -> String {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    var seconds = time_t(time.tv_sec)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    return String(
      format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(time.tv_nsec / 1_000_000))
  }
}
