import Foundation
import XMLCore

/// Writes a ``ValidationResult`` as ISO SVRL (Schematron Validation Report Language, 2016).
///
/// Conformance notes, checked in the tests against the SVRL 2016 RELAX NG grammar:
/// - The grammar requires each `active-pattern` to be followed by at least one `fired-rule`,
///   so an active pattern that handled no node is written as an XML comment in its place.
/// - `phase`, `role` and `flag` must be NMTOKENs: `#ALL`, and a role or flag with other
///   characters, are left out.
/// - `id` attributes are of type ID: unique in the report and NCNames. An assertion or rule that
///   fires more than once has its `id` on the first element only; an assertion's id that cannot be
///   written there travels as `id` of `normcheck:location`.
/// - `location` is the canonical path of ``XMLCore/Node/path``. The grammar allows foreign
///   markup only inside text, so line, column and severity travel as an empty
///   `<normcheck:location line="…" column="…" severity="…"/>` at the end of `svrl:text`
///   (the text's string value is unchanged).
public enum SVRLWriter {
  /// The SVRL namespace.
  public static let namespace = "http://purl.oclc.org/dsdl/svrl"
  /// The namespace of normcheck's extra attributes in SVRL.
  public static let extensionNamespace = "urn:normcheck:svrl:1"

  /// Renders `result`; requires it to have been produced with `recordFiredRules`.
  public static func render(_ result: ValidationResult, schema: CompiledSchema) -> String {
    render([(result, schema)], title: schema.schema.title, document: result.document)
  }

  /// Renders the results of several schemas on one document as one SVRL report: their
  /// namespace declarations merged, their active patterns in order.
  public static func render(
    _ sections: [(result: ValidationResult, schema: CompiledSchema)], title: String?, document: String
  ) -> String {
    var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    out += "<svrl:schematron-output xmlns:svrl=\"\(namespace)\" xmlns:normcheck=\"\(extensionNamespace)\""
    if let title { out += attribute("title", title) }
    if sections.count == 1 {
      let (result, schema) = sections[0]
      if result.phase != Resolver.allPhases, isNMTOKEN(result.phase) { out += attribute("phase", result.phase) }
      if let version = schema.schema.schemaVersion { out += attribute("schemaVersion", version) }
    }
    out += ">\n"
    var declared = Set<String>()
    for (_, schema) in sections {
      for declaration in schema.schema.namespaces
      where declared.insert(declaration.prefix + " " + declaration.uri).inserted {
        out +=
          "  <svrl:ns-prefix-in-attribute-values\(attribute("prefix", declaration.prefix))\(attribute("uri", declaration.uri))/>\n"
      }
    }
    var usedIDs = Set<String>()
    for (result, schema) in sections {
      out += patterns(result, schema: schema, usedIDs: &usedIDs)
    }
    out += "</svrl:schematron-output>\n"
    return out
  }

  private static func patterns(_ result: ValidationResult, schema: CompiledSchema, usedIDs: inout Set<String>) -> String
  {
    var out = ""
    var firingsByPattern: [Int: [FiredRule]] = [:]
    for firing in result.firedRules { firingsByPattern[firing.patternIndex, default: []].append(firing) }
    for (patternIndex, pattern) in schema.resolved.patterns.enumerated() {
      let firings = firingsByPattern[patternIndex] ?? []
      var header = "<svrl:active-pattern"
      if let id = pattern.id, isNCName(id), usedIDs.insert(id).inserted { header += attribute("id", id) }
      if let title = pattern.title { header += attribute("name", title) }
      if let documents = pattern.documents { header += attribute("documents", documents) }
      header += "/>"
      guard !firings.isEmpty else {
        out += "  <!-- \(header.replacingOccurrences(of: "--", with: "- -")) handled no node -->\n"
        continue
      }
      out += "  \(header)\n"
      for (offset, firing) in firings.enumerated() {
        let rule = pattern.rules[firing.ruleIndex]
        out += "  <svrl:fired-rule"
        if let id = rule.id, isNCName(id), usedIDs.insert(id).inserted { out += attribute("id", id) }
        out += attribute("context", rule.context)
        out += roleAndFlag(rule.role, rule.flag)
        out += "/>\n"
        if firing.document != result.document {
          out += "  <!-- in \(firing.document.replacingOccurrences(of: "--", with: "- -")) -->\n"
        }
        let end = offset + 1 < firings.count ? firings[offset + 1].firstFinding : nextFinding(after: firing, in: result)
        for finding in result.findings[firing.firstFinding..<min(end, result.findings.count)] {
          out += render(finding, usedIDs: &usedIDs)
        }
      }
    }
    return out
  }

  /// The index of the first finding after all findings of `firing`'s pattern.
  private static func nextFinding(after firing: FiredRule, in result: ValidationResult) -> Int {
    result.firedRules.first { $0.patternIndex > firing.patternIndex }?.firstFinding ?? result.findings.count
  }

  private static func render(_ finding: SchematronFinding, usedIDs: inout Set<String>) -> String {
    let element = finding.kind == .assert ? "svrl:failed-assert" : "svrl:successful-report"
    var out = "    <\(element)"
    var extensionID = ""
    if let id = finding.assertionID {
      if isNCName(id) && usedIDs.insert(id).inserted {
        out += attribute("id", id)
      } else {
        extensionID = attribute("id", id)
      }
    }
    out += attribute("location", finding.location.path)
    out += attribute("test", finding.test)
    out += roleAndFlag(finding.role, finding.flag)
    out += ">\n"
    for diagnostic in finding.diagnostics where isNMTOKEN(diagnostic.id) {
      out += "      <svrl:diagnostic-reference\(attribute("diagnostic", diagnostic.id))>"
      out +=
        "<svrl:text>\(XMLEscaping.escape(diagnostic.text, inAttribute: false))</svrl:text></svrl:diagnostic-reference>\n"
    }
    for property in finding.properties where isNMTOKEN(property.id) {
      out += "      <svrl:property-reference\(attribute("property", property.id))"
      if let role = property.role { out += attribute("role", role) }
      out +=
        "><svrl:text>\(XMLEscaping.escape(property.text, inAttribute: false))</svrl:text></svrl:property-reference>\n"
    }
    out += "      <svrl:text"
    if let see = finding.see { out += attribute("see", see) }
    if let icon = finding.icon { out += attribute("icon", icon) }
    if let fpi = finding.fpi { out += attribute("fpi", fpi) }
    out +=
      ">\(XMLEscaping.escape(finding.text, inAttribute: false))<normcheck:location\(attribute("line", String(finding.location.line)))\(attribute("column", String(finding.location.column)))\(attribute("severity", finding.severity.rawValue))\(extensionID)/></svrl:text>\n"
    out += "    </\(element)>\n"
    return out
  }

  private static func roleAndFlag(_ role: String?, _ flag: String?) -> String {
    var out = ""
    if let role, isNMTOKEN(role) { out += attribute("role", role) }
    if let flag, isNMTOKEN(flag) { out += attribute("flag", flag) }
    return out
  }

  private static func attribute(_ name: String, _ value: String) -> String {
    " \(name)=\"\(XMLEscaping.escape(value, inAttribute: true))\""
  }

  /// Whether `value` is an XML NCName (a name without a colon), as an attribute of type ID must be.
  static func isNCName(_ value: String) -> Bool {
    guard let first = value.first, first.isLetter || first == "_" else { return false }
    return value.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" }
  }

  /// Whether `value` is an XML NMTOKEN (name characters only, at least one).
  static func isNMTOKEN(_ value: String) -> Bool {
    !value.isEmpty
      && value.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" || $0 == ":" }
  }
}
