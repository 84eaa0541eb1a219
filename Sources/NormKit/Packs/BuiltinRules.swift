import Foundation

/// The `Rules/` directory compiled into the binary, written out once per content version.
///
/// The engine reads packs from files (includes and `document()` are resolved relative to
/// them), so the embedded files are materialized into a private directory under the
/// temporary directory, named after a hash of their content, and written atomically.
/// `NORMCHECK_RULES_DIR` points normcheck at a `Rules/` tree instead (for pack authors).
public enum BuiltinRules {
  /// The directory holding `schema/`, `catalog/`, `vocabularies/` and `packs/`.
  public static func directory() throws -> URL {
    if let override = ProcessInfo.processInfo.environment["NORMCHECK_RULES_DIR"], !override.isEmpty {
      return URL(fileURLWithPath: override, isDirectory: true)
    }
    return try materialized.get()
  }

  /// A hash of the embedded content, which names the materialized directory.
  ///
  /// Computed when the files are embedded (`Scripts/embed-rules.py`), not at every start;
  /// `computedContentHash` recomputes it, and a test holds the two equal.
  static var contentHash: String { EmbeddedRules.contentHash }

  /// FNV-1a of every embedded name and text, in name order.
  static func computedContentHash() -> String {
    var hasher = FNV1a()
    for (name, text) in EmbeddedRules.files.sorted(by: { $0.key < $1.key }) {
      hasher.combine(name)
      hasher.combine(text)
    }
    return hasher.hex
  }

  private static let materialized: Result<URL, Error> = Result {
    let fm = FileManager.default
    let base = fm.temporaryDirectory.appendingPathComponent("normcheck-rules-\(getuid())", isDirectory: true)
    let target = base.appendingPathComponent(contentHash, isDirectory: true)
    if fm.fileExists(atPath: target.appendingPathComponent(".complete").path) { return target }
    try fm.createDirectory(at: base, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    let staging = base.appendingPathComponent(".staging-\(UUID().uuidString)", isDirectory: true)
    for (name, text) in EmbeddedRules.files {
      let file = staging.appendingPathComponent(name)
      try fm.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(text.utf8).write(to: file)
    }
    try Data().write(to: staging.appendingPathComponent(".complete"))
    if rename(staging.path, target.path) != 0 {
      // Another process won the race; its copy is identical.
      try? fm.removeItem(at: staging)
      guard fm.fileExists(atPath: target.appendingPathComponent(".complete").path) else {
        throw NormKitError.builtinRules("cannot write the built-in rules to \(target.path)")
      }
    }
    return target
  }
}

/// FNV-1a, 64 bits: a small, stable, non-cryptographic hash for fingerprints and cache names.
struct FNV1a {
  private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

  mutating func combine(_ text: String) {
    for byte in text.utf8 {
      value ^= UInt64(byte)
      value = value &* 0x0000_0100_0000_01b3
    }
    value ^= 0xff
    value = value &* 0x0000_0100_0000_01b3
  }

  var hex: String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }
}

/// Errors of the domain layer that stop a run before any document is checked.
public enum NormKitError: Error, CustomStringConvertible, Equatable {
  /// The built-in rules could not be written out.
  case builtinRules(String)
  /// A pack named on the command line is neither built in nor a readable path.
  case unknownPack(String, known: [String])
  /// A pack failed to load or compile; the message lists every problem.
  case brokenPack(String, String)
  /// A date option is not YYYY-MM-DD.
  case invalidDate(String)
  /// Any other configuration problem.
  case configuration(String)

  /// A one-paragraph message.
  public var description: String {
    switch self {
    case .builtinRules(let message): message
    case .unknownPack(let name, let known):
      "unknown pack '\(name)': not a built-in pack (\(known.joined(separator: ", "))) nor a .sch file or directory"
    case .brokenPack(let name, let problems): "pack \(name) cannot be loaded:\n\(problems)"
    case .invalidDate(let value): "'\(value)' is not a date of the form YYYY-MM-DD"
    case .configuration(let message): message
    }
  }
}
