import Foundation

/// A position in a source file: path, 1-based line and 1-based column (0 when unknown).
public struct SourceLocation: Hashable, Sendable, Codable, CustomStringConvertible {
  /// The file the position is in, as given by the caller (`<stdin>` for standard input).
  public var file: String
  /// The 1-based line, or 0 when unknown.
  public var line: Int
  /// The 1-based column in characters, or 0 when unknown.
  public var column: Int

  /// Creates a location.
  public init(file: String, line: Int, column: Int) {
    self.file = file
    self.line = line
    self.column = column
  }

  /// `file:line:column`, leaving out what is unknown.
  public var description: String {
    var text = file
    if line > 0 {
      text += ":\(line)"
      if column > 0 { text += ":\(column)" }
    }
    return text
  }
}

/// An error from XMLCore: unreadable input, malformed XML, an exceeded limit, an XPath or XML Schema problem.
///
/// Carries the location and, where libxml2 produced it, its domain and code.
public struct XMLError: Error, Hashable, Sendable, CustomStringConvertible {
  /// What went wrong, broadly; callers branch on this.
  public enum Kind: String, Hashable, Sendable, Codable {
    /// The input could not be read: missing, a directory, a FIFO, permissions.
    case io
    /// The input is not well-formed XML (or is empty, binary or truncated).
    case syntax
    /// The input's bytes are not valid in its encoding.
    case encoding
    /// A configured limit (size, depth, entity expansion) was exceeded.
    case limit
    /// Access to an external resource (DTD, entity, network) was refused.
    case forbiddenAccess
    /// An XPath expression did not compile.
    case xpathSyntax
    /// An XPath expression failed while being evaluated.
    case xpathEvaluation
    /// An extension function reported an error.
    case extensionFunction
    /// An XML Schema could not be loaded.
    case schema
    /// A document does not conform to an XML Schema.
    case validation
    /// The parse was stopped by its caller (``PendingIndexRequests/cancel()``): nothing will
    /// read the document.
    case cancelled
  }

  /// The severity libxml2 gave the message.
  public enum Level: String, Hashable, Sendable, Codable {
    case warning, error, fatal
  }

  /// The broad category.
  public var kind: Kind
  /// The severity.
  public var level: Level
  /// The message, without trailing newline.
  public var message: String
  /// Where it happened.
  public var location: SourceLocation
  /// The libxml2 error domain (`XML_FROM_*`), or 0 when not from libxml2.
  public var domain: Int
  /// The libxml2 error code (`XML_ERR_*`, `XML_SCHEMAV_*`, …), or 0 when not from libxml2.
  public var code: Int
  /// The XPath expression involved, for XPath errors.
  public var expression: String?
  /// The canonical path of the node involved, for validation errors.
  public var nodePath: String?

  /// Creates an error.
  public init(
    kind: Kind, level: Level = .error, message: String, location: SourceLocation, domain: Int = 0, code: Int = 0,
    expression: String? = nil, nodePath: String? = nil
  ) {
    self.kind = kind
    self.level = level
    self.message = message
    self.location = location
    self.domain = domain
    self.code = code
    self.expression = expression
    self.nodePath = nodePath
  }

  /// `file:line:column: message`, as compilers print it.
  public var description: String {
    var text = "\(location): \(message)"
    if let expression { text += " in '\(expression)'" }
    return text
  }
}
