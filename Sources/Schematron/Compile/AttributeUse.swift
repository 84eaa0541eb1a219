import XMLCore

/// Which attributes of a checked document a schema can ever read: the projection a host may
/// ask the parser for (``XMLCore/AttributeProjection``).
///
/// Every expression the schema evaluates on the checked document is read: lets (schema, phase,
/// pattern, rule), keys' `match` and `use`, patterns' `documents`, rule contexts and subjects,
/// assertions' tests and subjects, and the `value-of` and `name` of every message, diagnostic
/// and property. An attribute is reached in XPath 1.0 only through the attribute axis, so the
/// name tests of attribute steps (`@id`, `attribute::p:a`, `@p:*`) are what it reads. Every
/// attribute is read, and no projection is possible, when an expression:
/// - has an attribute step with `*` or a node-type test (`@*`, `attribute::node()`);
/// - names a prefix the schema does not declare (the expression then fails anyway);
/// - calls `id()`, which finds elements by attributes a DTD declares as IDs;
/// - does not parse.
///
/// The evaluator itself reads each finding's nearest `id` (``Location/anchoredPath``), which is
/// always kept, as are attributes in the XML namespace (`lang()` reads `xml:lang`). The
/// optimizers' rewritten forms read only attributes that the expressions they rewrite name.
enum AttributeUse {
  /// The attributes the engine reads whatever the schema: an element's `id`, for anchored paths.
  static let engineReads = [ElementPath.Test(namespace: nil, localName: "id")]

  /// The projection that keeps what `sources` (XPath expressions and patterns, prefixes
  /// resolved in `namespaces`) can read, and what the engine reads.
  static func projection(of sources: some Sequence<String>, namespaces: [String: String]) -> AttributeProjection {
    var namespaces = namespaces
    namespaces["xml"] = "http://www.w3.org/XML/1998/namespace"
    var tests = Set(engineReads)
    var seen = Set<String>()
    for source in sources where seen.insert(source).inserted {
      guard let syntax = try? XPathSyntax.parse(source), collect(syntax, namespaces: namespaces, into: &tests) else {
        return .all
      }
    }
    return AttributeProjection(keeping: tests)
  }

  /// Adds the attributes `syntax` reads to `tests`; false when it may read any.
  private static func collect(
    _ syntax: XPathSyntax, namespaces: [String: String], into tests: inout Set<ElementPath.Test>
  ) -> Bool {
    var bounded = true
    syntax.visit { node in
      switch node {
      case .path(_, let steps), .filtered(_, _, let steps):
        for step in steps where step.axis == "attribute" {
          switch step.test {
          case .type(let type, _) where type != "node":
            continue  // text(), comment(), processing-instruction(): never an attribute
          case .any, .type:
            bounded = false
          case .anyInNamespace, .name:
            guard let test = ElementPath.Test(step.test, namespaces: namespaces) else {
              bounded = false
              continue
            }
            tests.insert(test)
          }
        }
      case .function(let name, _) where name.prefix == nil && name.local == "id":
        bounded = false
      default:
        break
      }
    }
    return bounded
  }
}

extension CompiledSchema {
  /// Every XPath expression and pattern this schema evaluates on a checked document, as written.
  var expressionsReadingTheDocument: [String] {
    var sources: [String] = []
    func add(_ lets: [Let]) {
      for binding in lets { if case .expression(let source) = binding.value { sources.append(source) } }
    }
    func add(_ parts: [MessagePart]) {
      for part in parts {
        switch part {
        case .valueOf(let source): sources.append(source)
        case .name(let path): if let path { sources.append(path) }
        case .emph(let inner), .dir(_, let inner), .span(_, let inner): add(inner)
        case .text: break
        }
      }
    }
    add(resolved.lets)
    for phase in schema.phases { add(phase.lets) }
    for key in schema.keys { sources += [key.match, key.use] }
    for diagnostic in schema.diagnostics.values { add(diagnostic.message) }
    for property in schema.properties.values { add(property.message) }
    for (patternIndex, pattern) in resolved.patterns.enumerated() {
      if let documents = pattern.documents { sources.append(documents) }
      add(pattern.lets)
      for (ruleIndex, rule) in pattern.rules.enumerated() {
        sources.append(rule.context)
        sources += contextBranches[patternIndex][ruleIndex]
        if let subject = rule.subject { sources.append(subject) }
        for step in rule.steps {
          switch step {
          case .bind(let binding): add([binding])
          case .check(let assertion):
            sources.append(assertion.test)
            if let subject = assertion.subject { sources.append(subject) }
            add(assertion.message)
          }
        }
      }
    }
    return sources
  }
}
