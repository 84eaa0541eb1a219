import XMLCore

/// Where a Schematron element was written: file, line and column.
public typealias SchemaLocation = SourceLocation

/// The ISO Schematron namespace (ISO/IEC 19757-3).
public let isoSchematronNamespace = "http://purl.oclc.org/dsdl/schematron"
/// The namespace of Schematron 1.5, read as ISO Schematron.
public let schematron15Namespace = "http://www.ascc.net/xml/schematron"
/// The XSLT namespace, for `xsl:key` declarations in a schema.
public let xsltNamespace = "http://www.w3.org/1999/XSL/Transform"

/// A Schematron schema as written, before includes, abstract patterns and phases are resolved.
public struct Schema: Sendable {
  /// `@id`.
  public var id: String?
  /// The `title` text.
  public var title: String?
  /// `@queryBinding`, lower-cased; `nil` when absent (XPath 1.0 through XSLT 1.0).
  public var queryBinding: String?
  /// `@defaultPhase`.
  public var defaultPhase: String?
  /// `@schemaVersion`.
  public var schemaVersion: String?
  /// The `ns` declarations in order.
  public var namespaces: [NamespaceDeclaration]
  /// Schema-level `let`s.
  public var lets: [Let]
  /// The phases.
  public var phases: [Phase]
  /// The patterns, concrete and abstract.
  public var patterns: [Pattern]
  /// The diagnostics by id.
  public var diagnostics: [String: Diagnostic]
  /// The properties by id.
  public var properties: [String: Property]
  /// `xsl:key` declarations for `key()`.
  public var keys: [KeyDeclaration]
  /// Paragraphs (`p`) of the schema.
  public var paragraphs: [String]
  /// Where the schema element is.
  public var location: SchemaLocation
}

/// `<ns prefix uri/>`.
public struct NamespaceDeclaration: Hashable, Sendable {
  /// The prefix.
  public var prefix: String
  /// The namespace URI.
  public var uri: String
  /// Where it is declared.
  public var location: SchemaLocation
}

/// `<let name value/>` or `<let name>content</let>`.
public struct Let: Hashable, Sendable {
  /// The variable name (without `$`).
  public var name: String
  /// The value: an XPath expression, or literal XML content.
  public var value: Value
  /// Where it is declared.
  public var location: SchemaLocation

  /// How a `let` gives its value.
  public enum Value: Hashable, Sendable {
    /// `@value`, an XPath expression.
    case expression(String)
    /// Element content, kept as serialized XML; bound as the node-set of its nodes.
    case content(String)
  }
}

/// `<phase id><active pattern/>…</phase>`.
public struct Phase: Hashable, Sendable {
  /// The phase id.
  public var id: String
  /// The ids of the active patterns.
  public var activePatterns: [String]
  /// Phase-level `let`s.
  public var lets: [Let]
  /// Where it is declared.
  public var location: SchemaLocation
}

/// A pattern: a group of rules in which each node is handled by the first matching rule.
public struct Pattern: Hashable, Sendable {
  /// `@id`.
  public var id: String?
  /// `@abstract="true"`.
  public var isAbstract: Bool
  /// `@is-a`: the abstract pattern this one instantiates.
  public var isA: String?
  /// `param` values for an instance of an abstract pattern.
  public var parameters: [String: String]
  /// `@documents`: an expression giving the URIs of the documents the pattern applies to.
  public var documents: String?
  /// The `title` text.
  public var title: String?
  /// Pattern-level `let`s.
  public var lets: [Let]
  /// The rules in order.
  public var rules: [Rule]
  /// `@role` and `@flag`, inherited by nothing but reported in SVRL.
  public var role: String?
  /// Paragraphs (`p`).
  public var paragraphs: [String]
  /// Where it is declared.
  public var location: SchemaLocation
}

/// A rule: a context and the assertions checked on each node it handles.
public struct Rule: Hashable, Sendable {
  /// `@id`.
  public var id: String?
  /// `@context`, an XSLT match pattern (empty for abstract rules).
  public var context: String
  /// `@abstract="true"`.
  public var isAbstract: Bool
  /// `@subject`: an expression for the node findings should point at.
  public var subject: String?
  /// `@role`.
  public var role: String?
  /// `@flag`.
  public var flag: String?
  /// Rule-level `let`s.
  public var lets: [Let]
  /// Assertions and `extends` in document order.
  public var items: [RuleItem]
  /// Where it is declared.
  public var location: SchemaLocation
}

/// What a rule contains.
public enum RuleItem: Hashable, Sendable {
  /// An `assert` or `report`.
  case assertion(Assertion)
  /// `<extends rule="id"/>` (or `href=`, already resolved into `rule` by the loader).
  case extends(rule: String, location: SchemaLocation)
  /// A `let` among the assertions (evaluated in order).
  case letBinding(Let)
}

/// An `assert` (fires when its test is false) or a `report` (fires when it is true).
public struct Assertion: Hashable, Sendable {
  /// Which of the two.
  public enum Kind: String, Hashable, Sendable, Codable {
    case assert, report
  }
  /// `assert` or `report`.
  public var kind: Kind
  /// `@id`.
  public var id: String?
  /// `@test`, an XPath expression.
  public var test: String
  /// `@role`.
  public var role: String?
  /// `@flag`.
  public var flag: String?
  /// `@see`.
  public var see: String?
  /// `@diagnostics`: ids of diagnostics.
  public var diagnostics: [String]
  /// `@properties`: ids of properties.
  public var properties: [String]
  /// `@subject`.
  public var subject: String?
  /// `@icon`.
  public var icon: String?
  /// `@fpi`.
  public var fpi: String?
  /// The message.
  public var message: [MessagePart]
  /// Where it is declared.
  public var location: SchemaLocation
}

/// A piece of a message, diagnostic or property.
public indirect enum MessagePart: Hashable, Sendable {
  /// Literal text.
  case text(String)
  /// `<value-of select/>`.
  case valueOf(String)
  /// `<name/>` or `<name path/>`.
  case name(String?)
  /// `<emph>`.
  case emph([MessagePart])
  /// `<dir value>`.
  case dir(String?, [MessagePart])
  /// `<span class>`.
  case span(String?, [MessagePart])
}

/// `<diagnostic id>`: extra text a finding can refer to.
public struct Diagnostic: Hashable, Sendable {
  /// The id.
  public var id: String
  /// `@role`.
  public var role: String?
  /// `@see`.
  public var see: String?
  /// `xml:lang`.
  public var language: String?
  /// The text.
  public var message: [MessagePart]
  /// Where it is declared.
  public var location: SchemaLocation
}

/// `<property id role>`: structured data a finding can refer to.
public struct Property: Hashable, Sendable {
  /// The id.
  public var id: String
  /// `@role`.
  public var role: String?
  /// `@scheme`.
  public var scheme: String?
  /// The content.
  public var message: [MessagePart]
  /// Where it is declared.
  public var location: SchemaLocation
}

/// `<xsl:key name match use/>`.
public struct KeyDeclaration: Hashable, Sendable {
  /// The key name.
  public var name: String
  /// The match pattern.
  public var match: String
  /// The `use` expression.
  public var use: String
  /// Where it is declared.
  public var location: SchemaLocation
}
