internal import CLibXML2
import Foundation

/// A compiled W3C XML Schema (XSD 1.0) that validates documents.
///
/// Loading is hardened like document parsing; `xs:include` and `xs:import` may read files
/// only inside the schema's own directory. A compiled schema is immutable and may validate
/// documents on several threads at once.
public final class XMLSchema: @unchecked Sendable {
  private let schema: xmlSchemaPtr
  /// Kept alive because the compiled schema refers into it.
  private let source: Document
  /// Where the schema was loaded from.
  public let sourceName: String
  /// Whether validating a document only reads it, so that other threads may read the same
  /// document (through their own ``XPathContext``) while it is validated.
  ///
  /// libxml2 writes into the document it validates in a few cases: it records attributes of
  /// type `ID`, `IDREF` and `IDREFS` in the document's tables and marks their type, marks
  /// `ENTITY` attributes, and may add the `xml` namespace to the document while resolving a
  /// `QName`. This is `true` when the schema document names none of these types (nor
  /// `ENTITIES` or `NOTATION`), under any prefix, and includes or imports no other schema
  /// document that could: a conservative reading of the schema's own text. (The `xml`
  /// namespace, which a document's `xsi:type="xml:…"` would make libxml2 declare, is declared
  /// when the document is parsed.)
  public let validationOnlyReads: Bool

  /// Loads the schema in the file at `path`.
  public convenience init(contentsOfFile path: String, limits: ParseLimits = .default) throws {
    let document = try Document(contentsOfFile: path, limits: limits)
    try self.init(document: document, directory: URL(fileURLWithPath: path).deletingLastPathComponent())
  }

  /// Loads a schema from memory; includes are resolved against `baseURL` (a file URL), and
  /// only files inside its directory may be read.
  public convenience init(
    bytes: some Collection<UInt8>, sourceName: String, baseURL: URL?, limits: ParseLimits = .default
  )
    throws
  {
    let document = try Document(bytes: bytes, sourceName: sourceName, baseURL: baseURL, limits: limits)
    try self.init(
      document: document,
      directory: baseURL?.deletingLastPathComponent() ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
  }

  private init(document: Document, directory: URL) throws {
    LibXML2.ensureReady()
    self.source = document
    self.sourceName = document.sourceName
    guard let parser = xmlSchemaNewDocParserCtxt(document.pointer) else {
      throw XMLError(
        kind: .schema, message: "cannot create a schema parser",
        location: SourceLocation(file: sourceName, line: 0, column: 0))
    }
    defer { xmlSchemaFreeParserCtxt(parser) }
    let collector = ErrorCollector()
    let name = sourceName
    let compiled: xmlSchemaPtr? = withExtendedLifetime(collector) {
      xmlSchemaSetParserStructuredErrors(parser, schemaParseErrorHook, Unmanaged.passUnretained(collector).toOpaque())
      return LibXML2.withLocalFileGrant(root: directory) { xmlSchemaParse(parser) }
    }
    let refusal = LibXML2.takeLastRefusal()
    guard let compiled, !collector.errors.contains(where: { $0.level != .warning }) else {
      if let compiled { xmlSchemaFree(compiled) }
      var first =
        collector.errors.first(where: { $0.level != .warning })
        ?? XMLError(
          kind: .schema, message: "the schema is invalid", location: SourceLocation(file: name, line: 0, column: 0))
      if let refusal { first.message += " (\(refusal))" }
      throw first
    }
    self.schema = compiled
    self.validationOnlyReads = Self.onlyReads(document)
  }

  /// See ``validationOnlyReads``.
  private static func onlyReads(_ source: Document) -> Bool {
    let context = XPathContext(document: source, namespaces: ["xs": "http://www.w3.org/2001/XMLSchema"])
    guard
      let other = try? context.evaluate("boolean(//xs:include | //xs:import | //xs:redefine | //xs:override)"),
      !other.booleanValue,
      let references = try? context.evaluate("//xs:*/@type | //xs:*/@base | //xs:*/@itemType | //xs:*/@memberTypes")
    else { return false }
    let writing: Set<Substring> = ["ID", "IDREF", "IDREFS", "ENTITY", "ENTITIES", "NOTATION", "QName"]
    for reference in references.nodes {
      for name in reference.stringValue.split(whereSeparator: \.isWhitespace) {
        if writing.contains(name.split(separator: ":").last ?? name) { return false }
      }
    }
    return true
  }

  deinit {
    xmlSchemaFree(schema)
  }

  /// Validates `document`; returns every violation with its line, column and node path, in document order.
  ///
  /// An empty result means the document is valid.
  public func validate(_ document: Document) -> [XMLError] {
    LibXML2.ensureReady()
    guard let context = xmlSchemaNewValidCtxt(schema) else {
      return [
        XMLError(
          kind: .validation, message: "cannot create a validation context",
          location: SourceLocation(file: document.sourceName, line: 0, column: 0))
      ]
    }
    defer { xmlSchemaFreeValidCtxt(context) }
    let collector = ValidationCollector(document: document)
    let result = withExtendedLifetime(collector) {
      xmlSchemaSetValidStructuredErrors(context, validationErrorHook, Unmanaged.passUnretained(collector).toOpaque())
      return xmlSchemaValidateDoc(context, document.pointer)
    }
    if result != 0 && collector.errors.isEmpty {
      collector.errors.append(
        XMLError(
          kind: .validation, message: "the document is not valid against \(sourceName)",
          location: SourceLocation(file: document.sourceName, line: 0, column: 0)))
    }
    return collector.errors
  }
}

private final class ValidationCollector {
  let document: Document
  var errors: [XMLError] = []
  init(document: Document) { self.document = document }
}

private let schemaParseErrorHook: xmlStructuredErrorFunc = { userData, error in
  guard let userData, let error else { return }
  let collector = Unmanaged<ErrorCollector>.fromOpaque(userData).takeUnretainedValue()
  collector.errors.append(XMLError(libxml: error.pointee, fallbackFile: "", kind: .schema))
}

private let validationErrorHook: xmlStructuredErrorFunc = { userData, error in
  guard let userData, let error else { return }
  let collector = Unmanaged<ValidationCollector>.fromOpaque(userData).takeUnretainedValue()
  var record = XMLError(libxml: error.pointee, fallbackFile: collector.document.sourceName, kind: .validation)
  if let raw = error.pointee.node {
    let node = Node(document: collector.document, pointer: raw.assumingMemoryBound(to: xmlNode.self))
    record.location = node.location
    record.nodePath = node.path
    // libxml2 prefixes messages with "Element '{uri}name': "; the path says where already,
    // but the element name helps a reader, so keep it.
  }
  collector.errors.append(record)
}
