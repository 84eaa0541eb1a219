import Foundation

/// The one way normcheck writes JSON: pretty-printed, keys sorted, slashes unescaped, a final
/// newline — so that every JSON output is deterministic and diffable.
public enum JSONOutput {
  /// `value` as JSON text.
  public static func string(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { return "{}\n" }
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}
