import Foundation
import Schematron
import XMLCore

/// What normcheck knows about one rule (one `assert` or `report` with an id) of a pack.
public struct RuleInfo: Hashable, Sendable, Codable {
  /// The stable rule id (the assertion's `@id`).
  public var id: String
  /// The pack the rule belongs to.
  public var pack: String
  /// The severity from its role and flag.
  public var severity: Severity
  /// `assert` or `report`.
  public var kind: Assertion.Kind
  /// The message as written, with `{…}` where the schema inserts values.
  public var message: String
  /// The pattern's title.
  public var topic: String?
  /// The rule context.
  public var context: String
  /// The test.
  public var test: String
  /// Norm ids the rule cites (properties with role `citation`).
  public var norms: [String]
  /// How to fix a finding (diagnostics with role `fix`).
  public var fix: String?
  /// `@see`.
  public var see: String?
  /// Where the assertion is written.
  public var file: String
  /// Its line.
  public var line: Int
}

/// A compiled rule pack: a Schematron schema plus the rule metadata normcheck reports.
public struct RulePack: Sendable {
  /// The pack id (the schema's `@id`, else the directory or file name).
  public var id: String
  /// The title.
  public var title: String
  /// Where the schema file is.
  public var path: String
  /// Whether it ships with normcheck.
  public var isBuiltin: Bool
  /// The compiled schema.
  public var schema: CompiledSchema
  /// The rules, in schema order.
  public var rules: [RuleInfo]

  /// Loads and compiles the schema at `path` (a `.sch` file, or a directory with `pack.sch`).
  public static func load(
    path: String, builtin: Bool = false, phase: String? = nil, vocabularies: [String: Vocabulary] = [:],
    root: URL? = nil
  ) throws -> RulePack {
    var file = URL(fileURLWithPath: path)
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory), isDirectory.boolValue {
      file = file.appendingPathComponent("pack.sch")
    }
    let schema: CompiledSchema
    do {
      schema = try CompiledSchema.load(
        contentsOfFile: file.path,
        options: .init(phase: phase, parameters: ["as-of": .string("")], vocabularies: vocabularies),
        loaderOptions: .init(root: root))
    } catch let error as SchematronLoadError {
      throw NormKitError.brokenPack(file.path, error.description)
    }
    let id = schema.schema.id ?? file.deletingLastPathComponent().lastPathComponent
    return RulePack(
      id: id, title: schema.schema.title ?? id, path: file.path, isBuiltin: builtin, schema: schema,
      rules: Self.rules(of: schema, pack: id))
  }

  static func rules(of schema: CompiledSchema, pack: String) -> [RuleInfo] {
    var seen = Set<String>()
    var rules: [RuleInfo] = []
    for pattern in schema.resolved.patterns {
      for rule in pattern.rules {
        for assertion in rule.assertions {
          guard let id = assertion.id, seen.insert(id).inserted else { continue }
          let citations = assertion.properties.compactMap { schema.schema.properties[$0] }
            .filter { ($0.role ?? "citation") == "citation" }.map(\.id)
          let fixes = assertion.diagnostics.compactMap { schema.schema.diagnostics[$0] }
            .filter { $0.role == "fix" }.map { Self.template($0.message) }
          rules.append(
            RuleInfo(
              id: id, pack: pack, severity: Severity(assertion: assertion, rule: rule), kind: assertion.kind,
              message: template(assertion.message), topic: pattern.title, context: rule.context, test: assertion.test,
              norms: citations, fix: fixes.isEmpty ? nil : fixes.joined(separator: " "), see: assertion.see,
              file: assertion.location.file, line: assertion.location.line))
        }
      }
    }
    return rules
  }

  /// Message parts as text, with `{expression}` for inserted values.
  static func template(_ parts: [MessagePart]) -> String {
    var text = ""
    for part in parts {
      switch part {
      case .text(let value): text += value
      case .valueOf(let select): text += "{\(select)}"
      case .name(let path): text += "{name(\(path ?? "."))}"
      case .emph(let inner), .dir(_, let inner), .span(_, let inner): text += template(inner)
      }
    }
    return collapsingWhitespace(text)
  }

  /// `text` with each run of white space made one space, and none at either end.
  ///
  /// White space is told scalar by scalar (`Unicode.Scalar.Properties.isWhitespace`), not
  /// character by character: a pack's messages are read at every start, and grapheme breaking
  /// made this a tenth of loading the packs. The two differ only where a white-space scalar
  /// shares a character with another scalar (a combining mark, joiner or modifier after a
  /// space, or a prepended mark such as U+0600 before one): splitting by characters dropped or
  /// kept the pair whole; this keeps the mark and collapses the space.
  static func collapsingWhitespace(_ text: String) -> String {
    var result: [UInt8] = []
    result.reserveCapacity(text.utf8.count)
    var pendingSpace = false
    for scalar in text.unicodeScalars {
      let isSpace =
        scalar.isASCII
        ? (scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar.value == 0x0B
          || scalar.value == 0x0C)
        : scalar.properties.isWhitespace
      if isSpace {
        pendingSpace = !result.isEmpty
      } else {
        if pendingSpace { result.append(0x20) }
        pendingSpace = false
        result.append(contentsOf: UTF8.encode(scalar)!)
      }
    }
    return String(decoding: result, as: UTF8.self)
  }
}
