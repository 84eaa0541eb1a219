import Foundation
import Schematron
import XMLCore

/// Lints a pack for what makes rules unreportable or dead: asserts without ids, rules without
/// a citation, unbound prefixes (the compiler already rejects those), and rules that can
/// never fire because an earlier rule of their pattern has the same context.
public enum PackLinter {
  /// One lint message, with the pack file and line.
  public struct Message: Hashable, Sendable, CustomStringConvertible {
    /// The file.
    public var file: String
    /// The line.
    public var line: Int
    /// What is wrong.
    public var text: String
    /// `file:line: text`.
    public var description: String { "\(file):\(line): \(text)" }
  }

  /// Lints `pack`.
  public static func lint(_ pack: RulePack) -> [Message] {
    var messages: [Message] = []
    let schema = pack.schema
    for pattern in schema.resolved.patterns {
      var contexts: [String: ResolvedRule] = [:]
      for rule in pattern.rules {
        let key = rule.context.split(whereSeparator: \.isWhitespace).joined()
        if let earlier = contexts[key] {
          messages.append(
            Message(
              file: rule.location.file, line: rule.location.line,
              text:
                "rule '\(rule.context)' can never fire: the rule at line \(earlier.location.line) of pattern \(pattern.id ?? "(no id)") has the same context and handles every node first"
            ))
        } else {
          contexts[key] = rule
        }
        for assertion in rule.assertions {
          if assertion.id == nil {
            messages.append(
              Message(
                file: assertion.location.file, line: assertion.location.line,
                text:
                  "\(assertion.kind.rawValue) without an id: its findings cannot be referred to, waived or baselined"))
          }
          let citations = assertion.properties.compactMap { schema.schema.properties[$0] }
            .filter { ($0.role ?? "citation") == "citation" }
          if assertion.id != nil && citations.isEmpty {
            messages.append(
              Message(
                file: assertion.location.file, line: assertion.location.line,
                text: "\(assertion.id!) cites no norm (a property with role 'citation' in @properties)"))
          }
        }
      }
    }
    return messages
  }
}
