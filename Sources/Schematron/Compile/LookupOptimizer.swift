import XMLCore

/// Rewrites the natural XPath 1.0 forms of uniqueness and reference checks so that they are
/// answered from a hash index built once per document, instead of scanning the document for
/// every node checked (quadratic time, as in every other Schematron engine).
///
/// Recognised: an absolute path whose last step has a single predicate comparing one of its
/// attributes with `=` to a value that does not depend on the predicate's own context node:
///
/// ```
/// //d:facility[@id = current()/@id]        count(//d:facility[@id = current()/@id]) = 1
/// //d:facility[@id = $ref]                 /d:declaration/d:contact[@id = $r]
/// preceding-sibling::d:ref[@facility = $x] following-sibling::d:ref[@to = current()/@to]
/// ```
///
/// Sibling lookups index every element of that name by value; the answer keeps those that share
/// the context element's parent and come before (or after) it.
///
/// Such a path becomes `nci:lookup(N, value)`: the nodes the path selects without its
/// predicate, indexed by that attribute's value. The answer is the same node-set in document
/// order. When the value turns out not to be a node-set or a string (XPath then compares
/// numbers or booleans), the original expression is evaluated instead, so results never change.
enum LookupOptimizer {
  /// The namespace of the engine's internal functions, bound to prefix `nci` while evaluating.
  static let namespace = "urn:normcheck:internal"
  static let prefix = "nci"

  /// One indexed lookup.
  struct Lookup: Sendable, Hashable {
    /// The nodes to index: the path without the predicate.
    var path: String
    /// The attribute compared, as written (`id`, `p:id`).
    var attribute: XPathSyntax.Name
    /// The whole original path, evaluated instead when the value is a number or boolean.
    var original: String
    /// For sibling lookups, the axis (`preceding-sibling`, `following-sibling`); `nil` for
    /// absolute paths.
    var siblingAxis: String? = nil
  }

  /// Rewrites `syntax`, registering each lookup in `lookups`; returns nil when nothing changed.
  static func rewrite(_ syntax: XPathSyntax, lookups: inout [Lookup]) -> XPathSyntax? {
    var changed = false
    let result = transform(syntax, lookups: &lookups, changed: &changed)
    return changed ? result : nil
  }

  private static func transform(_ node: XPathSyntax, lookups: inout [Lookup], changed: inout Bool) -> XPathSyntax {
    node.rewritten { candidate in
      guard let (lookup, value, others) = match(candidate) else { return nil }
      let index: Int
      if let existing = lookups.firstIndex(of: lookup) {
        index = existing
      } else {
        index = lookups.count
        lookups.append(lookup)
      }
      changed = true
      let rewrittenValue = transform(value, lookups: &lookups, changed: &changed)
      // The lookup's number is passed as a string: libxml2 then answers the call natively from
      // the shared attribute index (see XPathContext.register(indexedLookup:_:)).
      let call = XPathSyntax.function(
        .init(prefix: prefix, local: "lookup"), [.literal(String(index)), rewrittenValue])
      if others.isEmpty { return call }
      // The other predicates are filters (never positional), so they may run on the lookup's answer.
      return .filtered(
        primary: call, predicates: others.map { transform($0, lookups: &lookups, changed: &changed) }, steps: [])
    }
  }

  /// `/…/step[@a = value]` or `preceding-sibling::x[@a = value]` (also `following-sibling::`)
  /// with a context-free value → the lookup and the value.
  private static func match(_ node: XPathSyntax) -> (Lookup, XPathSyntax, [XPathSyntax])? {
    if case .path(false, let steps) = node, steps.count == 1,
      steps[0].axis == "preceding-sibling" || steps[0].axis == "following-sibling",
      case .name = steps[0].test, let (pair, others) = indexablePredicate(steps[0].predicates)
    {
      let step = steps[0]
      // Index every element of that name; the answer keeps the context's siblings.
      let all = XPathSyntax.path(
        absolute: true,
        steps: [
          .init(axis: "descendant-or-self", test: .type("node", nil), predicates: []),
          .init(axis: "child", test: step.test, predicates: []),
        ])
      return (
        Lookup(path: all.description, attribute: pair.0, original: node.description, siblingAxis: step.axis),
        pair.1, others
      )
    }
    guard case .path(true, let steps) = node, let last = steps.last, last.axis == "child",
      case .name = last.test, let (pair, others) = indexablePredicate(last.predicates)
    else { return nil }
    // Earlier steps must be plain (no predicates) so that the indexed set is cheap and exact.
    guard steps.dropLast().allSatisfy({ $0.predicates.isEmpty }) else { return nil }
    let bare = XPathSyntax.path(
      absolute: true, steps: steps.dropLast() + [.init(axis: last.axis, test: last.test, predicates: [])])
    return (Lookup(path: bare.description, attribute: pair.0, original: node.description), pair.1, others)
  }

  /// Among a step's predicates, one `@a = value` with a context-free value, provided that every
  /// other predicate is a filter that cannot be positional; returns it and the others in order.
  private static func indexablePredicate(
    _ predicates: [XPathSyntax]
  ) -> (
    (XPathSyntax.Name, XPathSyntax), [XPathSyntax]
  )? {
    guard !predicates.isEmpty else { return nil }
    // Prefer an equality with a computed value (a variable, current()/…): it is selective,
    // where a literal such as @category = 'dam' may match half the document.
    let order = predicates.indices.sorted { a, b in
      func literal(_ p: XPathSyntax) -> Bool {
        if case .binary("=", let l, let r) = p {
          if case .literal = l { return true }
          if case .literal = r { return true }
        }
        return false
      }
      return (literal(predicates[a]) ? 1 : 0, a) < (literal(predicates[b]) ? 1 : 0, b)
    }
    for index in order {
      let predicate = predicates[index]
      guard case .binary("=", let lhs, let rhs) = predicate else { continue }
      let pair: (XPathSyntax.Name, XPathSyntax)
      if let attribute = attributeName(lhs), isContextFree(rhs) {
        pair = (attribute, rhs)
      } else if let attribute = attributeName(rhs), isContextFree(lhs) {
        pair = (attribute, lhs)
      } else {
        continue
      }
      var others = predicates
      others.remove(at: index)
      guard others.allSatisfy({ isNonPositional($0) }) else { return nil }
      return (pair, others)
    }
    return nil
  }

  /// Whether a predicate certainly evaluates to a boolean, string or node-set (never a number,
  /// which would select by position) and never asks for position() or last().
  ///
  /// `isBoolean` tells of a prefixed (extension) function whether it returns a boolean.
  static func isNonPositional(
    _ predicate: XPathSyntax, isBoolean: (XPathSyntax.Name) -> Bool = { _ in false }
  ) -> Bool {
    var usesPosition = false
    predicate.visit { node in
      if case .function(let name, _) = node, name.prefix == nil, name.local == "position" || name.local == "last" {
        usesPosition = true
      }
    }
    if usesPosition { return false }
    switch predicate {
    case .binary(let op, _, _): return ["=", "!=", "<", "<=", ">", ">=", "and", "or"].contains(op)
    case .path, .union: return true
    case .filtered(let primary, _, let steps):
      return !steps.isEmpty || { if case .path = primary { true } else { false } }()
    case .function(let name, _):
      return name.prefix == nil ? Self.booleanOrString.contains(name.local) : isBoolean(name)
    case .literal: return true
    case .number, .negate, .variable: return false
    }
  }

  /// XPath 1.0's functions that return a boolean or a string.
  private static let booleanOrString: Set<String> = [
    "not", "boolean", "true", "false", "contains", "starts-with", "lang", "string", "concat", "substring",
    "substring-before", "substring-after", "normalize-space", "translate", "local-name", "name", "namespace-uri",
  ]

  /// `@name` (attribute axis, a name test, no predicates).
  private static func attributeName(_ node: XPathSyntax) -> XPathSyntax.Name? {
    guard case .path(false, let steps) = node, steps.count == 1, steps[0].axis == "attribute",
      steps[0].predicates.isEmpty, case .name(let name) = steps[0].test
    else { return nil }
    return name
  }

  /// Functions whose value depends on the context node, size or position when called with no
  /// arguments (or always).
  private static let contextual: Set<String> = [
    "position", "last", "string", "name", "local-name", "namespace-uri", "normalize-space", "string-length", "number",
    "lang", "generate-id",
  ]

  /// Whether `node` has the same value for every context node of the predicate it stands in:
  /// no relative path, no context-dependent function; `current()` and variables are fine.
  static func isContextFree(_ node: XPathSyntax) -> Bool {
    switch node {
    case .literal, .number, .variable: return true
    case .negate(let operand): return isContextFree(operand)
    case .binary(_, let lhs, let rhs): return isContextFree(lhs) && isContextFree(rhs)
    case .union(let parts): return parts.allSatisfy(isContextFree)
    case .path(let absolute, _): return absolute
    case .filtered(let primary, _, _): return isContextFree(primary)
    case .function(let name, let arguments):
      // Another library's function called without arguments may read the context node.
      if name.prefix != nil && arguments.isEmpty { return false }
      if name.prefix == nil {
        if name.local == "lang" { return false }
        if contextual.contains(name.local) && arguments.isEmpty { return false }
        if name.local == "position" || name.local == "last" { return false }
      }
      return arguments.allSatisfy(isContextFree)
    }
  }
}
