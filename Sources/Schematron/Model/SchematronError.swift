import XMLCore

/// A problem that stops a schema from loading, with the file, line and expression at fault.
public struct SchematronProblem: Hashable, Sendable, CustomStringConvertible {
  /// What kind of problem.
  public enum Kind: String, Hashable, Sendable {
    /// The schema file is not readable or not well-formed XML.
    case unreadable
    /// The document is not a Schematron schema, or an element lacks what it needs.
    case malformed
    /// `queryBinding` names a language other than XPath 1.0.
    case unsupportedQueryBinding
    /// An include refers back to a file being included.
    case includeCycle
    /// An include or `extends href` names a file outside the allowed directory.
    case includeOutsideRoot
    /// An XPath expression does not parse.
    case xpathSyntax
    /// An expression uses a prefix no `ns` declares.
    case unknownPrefix
    /// An expression calls a function that does not exist, or with the wrong arity.
    case unknownFunction
    /// An expression refers to a variable no `let` or parameter defines.
    case unknownVariable
    /// A phase, pattern, rule, diagnostic or property id that is referred to does not exist.
    case unknownReference
    /// An id is used twice where it must be unique.
    case duplicateID
    /// A construct normcheck does not implement.
    case unsupported
  }

  /// The kind.
  public var kind: Kind
  /// The message.
  public var message: String
  /// Where.
  public var location: SchemaLocation
  /// The expression involved, if any.
  public var expression: String?

  /// Creates a problem.
  public init(_ kind: Kind, _ message: String, at location: SchemaLocation, expression: String? = nil) {
    self.kind = kind
    self.message = message
    self.location = location
    self.expression = expression
  }

  /// `file:line:column: message: 'expression'`.
  public var description: String {
    var text = "\(location): \(message)"
    if let expression { text += ": '\(expression)'" }
    return text
  }
}

/// The error thrown when a schema cannot be loaded or compiled: every problem found.
public struct SchematronLoadError: Error, CustomStringConvertible, Sendable {
  /// The problems, in the order found.
  public var problems: [SchematronProblem]

  /// Creates an error.
  public init(_ problems: [SchematronProblem]) { self.problems = problems }

  /// One problem per line.
  public var description: String { problems.map(\.description).joined(separator: "\n") }
}
