import Foundation
import Schematron
import TestSupport
import Testing
import XMLCore

/// Paths and helpers shared by the unit tests of the Schematron engine.
enum Fixture {
  /// `Tests/SchematronTests/Fixtures`.
  static let directory = Fixtures.root.appendingPathComponent("Tests/SchematronTests/Fixtures")

  /// The absolute path of a fixture.
  static func path(_ relative: String) -> String {
    Fixtures.path("Tests/SchematronTests/Fixtures/" + relative)
  }

  /// The 1-based number of the first line of the fixture containing `marker`.
  static func line(of marker: String, in relative: String) throws -> Int {
    let text = try String(contentsOfFile: path(relative), encoding: .utf8)
    let lines = text.components(separatedBy: "\n")
    let index = try #require(lines.firstIndex { $0.contains(marker) }, "'\(marker)' is not in \(relative)")
    return index + 1
  }

  /// Loads, resolves and compiles a fixture schema.
  static func compile(_ relative: String, options: CompiledSchema.Options = .init()) throws -> CompiledSchema {
    try CompiledSchema.load(contentsOfFile: path(relative), options: options)
  }

  /// Parses a fixture document.
  static func document(_ relative: String) throws -> Document {
    try Document(contentsOfFile: path(relative))
  }

  /// Compiles the schema and checks the document, both fixtures.
  static func validate(
    _ schema: String, _ document: String, compile options: CompiledSchema.Options = .init(),
    evaluate evaluatorOptions: Evaluator.Options = .init()
  ) throws -> ValidationResult {
    let compiled = try compile(schema, options: options)
    return Evaluator(compiled).validate(try self.document(document), options: evaluatorOptions)
  }
}

/// The problems of a schema that must not load; records an issue when it loads after all.
func loadProblems(
  _ relative: String, options: CompiledSchema.Options = .init(),
  sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> [SchematronProblem] {
  do {
    _ = try Fixture.compile(relative, options: options)
    Issue.record("\(relative) loaded without error", sourceLocation: sourceLocation)
    return []
  } catch let error as SchematronLoadError {
    return error.problems
  } catch {
    Issue.record("\(relative): expected SchematronLoadError, got \(error)", sourceLocation: sourceLocation)
    return []
  }
}

/// Namespace declarations for the extension functions, for inline schemas.
let functionNamespaces = """
  <ns prefix="nc" uri="urn:normcheck:functions:1"/>
  <ns prefix="regexp" uri="http://exslt.org/regular-expressions"/>
  <ns prefix="str" uri="http://exslt.org/strings"/>
  <ns prefix="set" uri="http://exslt.org/sets"/>
  <ns prefix="math" uri="http://exslt.org/math"/>
  """

/// Escapes text for an XML attribute value.
func attributeEscaped(_ text: String) -> String {
  text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    .replacingOccurrences(of: "\"", with: "&quot;")
}

/// Compiles a schema given as text (rules, keys and so on inside `<schema>`).
func compileInline(
  _ body: String, attributes: String = "", options: CompiledSchema.Options = .init()
) throws -> CompiledSchema {
  let text = """
    <schema xmlns="http://purl.oclc.org/dsdl/schematron" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" \(attributes)>
    \(functionNamespaces)
    \(body)
    </schema>
    """
  let schema = try SchemaLoader.load(bytes: Array(text.utf8), sourceName: "inline.sch")
  return try CompiledSchema(schema, options: options)
}

/// The value of `expression` (as `value-of` renders it) at each node matched by `context`.
///
/// Records an issue for any evaluation failure.
func values(
  of expression: String, context: String = "/*", in xml: String = "<doc/>", extra: String = "",
  options: CompiledSchema.Options = .init(), evaluate evaluatorOptions: Evaluator.Options = .init(),
  sourceLocation: Testing.SourceLocation = #_sourceLocation
) throws -> [String] {
  let result = try evaluateInline(
    expression, context: context, in: xml, extra: extra, options: options, evaluate: evaluatorOptions)
  #expect(result.failures.isEmpty, "failures: \(result.failures)", sourceLocation: sourceLocation)
  return result.findings.map(\.text)
}

/// The single value of `expression` at the document element.
func value(
  of expression: String, in xml: String = "<doc/>", extra: String = "", options: CompiledSchema.Options = .init(),
  sourceLocation: Testing.SourceLocation = #_sourceLocation
) throws -> String {
  let all = try values(of: expression, in: xml, extra: extra, options: options, sourceLocation: sourceLocation)
  return try #require(all.count == 1 ? all[0] : nil, "expected one value, got \(all)", sourceLocation: sourceLocation)
}

/// Runs a one-rule schema reporting `expression` at each `context` node.
func evaluateInline(
  _ expression: String, context: String = "/*", in xml: String = "<doc/>", extra: String = "",
  options: CompiledSchema.Options = .init(), evaluate evaluatorOptions: Evaluator.Options = .init()
) throws -> ValidationResult {
  let schema = try compileInline(
    """
    \(extra)
    <pattern id="probe">
      <rule context="\(attributeEscaped(context))">
        <report id="value" test="true()"><value-of select="\(attributeEscaped(expression))"/></report>
      </rule>
    </pattern>
    """, options: options)
  let document = try Document(string: xml, sourceName: "probe.xml")
  return Evaluator(schema).validate(document, options: evaluatorOptions)
}

/// Every piece of text a result carries: finding texts, diagnostics, properties, failure messages.
func allText(_ result: ValidationResult) -> String {
  var parts: [String] = []
  for finding in result.findings {
    parts.append(finding.text)
    parts += finding.diagnostics.map(\.text)
    parts += finding.properties.map(\.text)
  }
  parts += result.failures.map(\.description)
  return parts.joined(separator: "\n")
}
