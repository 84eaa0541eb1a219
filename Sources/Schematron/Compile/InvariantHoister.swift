import XMLCore

/// Finds the parts of an expression whose value is the same wherever in the document the
/// expression is evaluated, so that they are computed once per document instead of once per
/// node checked (loop-invariant code motion, as XSLT compilers do).
///
/// A rule such as `starts-with(@id, concat(translate(/d:declaration/d:state/@alpha2, …), '-'))`
/// runs on every facility; its `concat(…)` depends only on the document. Such a part is
/// evaluated once per document, at the document node, and written into the expression as a
/// literal (`'xs-'`) before libxml2 compiles it.
///
/// Only parts at the expression's own level are taken (operands and function arguments, never
/// inside a predicate or after a path step, where `/` could be another document's root); only
/// parts built from absolute paths, literals, numbers and the context-free functions of XPath
/// 1.0; only parts whose value is a string, a boolean or a number that a literal states
/// exactly. Anything else is left as written, so results never change.
enum InvariantHoister {
  /// An expression with its invariant parts replaced by placeholders.
  struct Plan: Sendable, Hashable {
    /// The expression, with `$nci:invariant-N` where invariant part N was.
    var template: XPathSyntax
    /// The invariant parts, by number.
    var parts: [XPathSyntax]
  }

  /// The placeholder of part `number`.
  static func placeholder(_ number: Int) -> XPathSyntax.Name {
    .init(prefix: LookupOptimizer.prefix, local: "invariant-\(number)")
  }

  /// The plan for `syntax`, or `nil` when it has no invariant part worth computing once.
  static func plan(_ syntax: XPathSyntax) -> Plan? {
    // The placeholders must not stand for a variable of the schema's own.
    var ownInternalVariable = false
    syntax.visit {
      if case .variable(let name) = $0, name.prefix == LookupOptimizer.prefix { ownInternalVariable = true }
    }
    if ownInternalVariable { return nil }
    var parts: [XPathSyntax] = []
    let template = hoist(syntax, parts: &parts)
    return parts.isEmpty ? nil : Plan(template: template, parts: parts)
  }

  /// The expression with each part whose value has a literal replaced by it; `nil` values keep
  /// their part as written.
  static func instantiate(_ plan: Plan, literals: [XPathSyntax?]) -> XPathSyntax {
    substitute(plan.template) { name in
      guard name.prefix == LookupOptimizer.prefix, name.local.hasPrefix("invariant-"),
        let number = Int(name.local.dropFirst("invariant-".count)), plan.parts.indices.contains(number)
      else { return nil }
      return literals[number] ?? plan.parts[number]
    }
  }

  /// The syntax that states `value` exactly, or `nil` (node-sets; numbers a literal cannot
  /// state exactly; strings with both kinds of quote).
  static func literal(for value: XPathValue) -> XPathSyntax? {
    switch value {
    case .string(let string):
      return string.contains("'") && string.contains("\"") ? nil : .literal(string)
    case .boolean(let boolean):
      return .function(.init(prefix: nil, local: boolean ? "true" : "false"), [])
    case .number(let number):
      if number.isNaN { return .binary("div", .number(0), .number(0)) }
      if number.isInfinite { return .binary("div", .number(number < 0 ? -1 : 1), .number(0)) }
      guard number == number.rounded(), abs(number) < 1e15, !(number == 0 && number.sign == .minus) else { return nil }
      return number < 0 ? .negate(.number(-number)) : .number(number)
    case .nodeSet:
      return nil
    }
  }

  // MARK: - Finding the parts

  /// Replaces the maximal invariant parts of `node` found at the expression's own level
  /// (predicates and steps are evaluated at other context nodes, possibly of other documents).
  private static func hoist(_ node: XPathSyntax, parts: inout [XPathSyntax]) -> XPathSyntax {
    node.rewritten(in: .operands) { candidate in
      guard isInvariant(candidate), isAtomic(candidate), containsAbsolutePath(candidate) else { return nil }
      parts.append(candidate)
      return .variable(placeholder(parts.count - 1))
    }
  }

  /// XPath 1.0 functions whose value depends only on their arguments (and the document).
  private static let pureFunctions: Set<String> = [
    "concat", "translate", "substring", "substring-before", "substring-after", "contains", "starts-with",
    "count", "sum", "floor", "ceiling", "round", "not", "true", "false", "boolean", "id",
  ]
  /// XPath 1.0 functions that read the context node when called without an argument.
  private static let contextDefaulting: Set<String> = [
    "string", "normalize-space", "string-length", "number", "name", "local-name", "namespace-uri",
  ]

  /// Whether `node` has the same value at every context node of one document.
  private static func isInvariant(_ node: XPathSyntax) -> Bool {
    switch node {
    case .literal, .number: return true
    case .variable: return false
    case .binary(_, let lhs, let rhs): return isInvariant(lhs) && isInvariant(rhs)
    case .negate(let operand): return isInvariant(operand)
    case .union(let parts): return parts.allSatisfy(isInvariant)
    case .path(let absolute, let steps): return absolute && steps.allSatisfy { $0.predicates.allSatisfy(isClosed) }
    case .filtered(let primary, let predicates, let steps):
      return isInvariant(primary) && predicates.allSatisfy(isClosed)
        && steps.allSatisfy { $0.predicates.allSatisfy(isClosed) }
    case .function(let name, let arguments):
      guard name.prefix == nil else { return false }
      if pureFunctions.contains(name.local) || (contextDefaulting.contains(name.local) && !arguments.isEmpty) {
        return arguments.allSatisfy(isInvariant)
      }
      return false
    }
  }

  /// Whether a predicate depends on nothing outside the nodes it filters: no variables, no
  /// `current()` and no function other than XPath 1.0's own.
  private static func isClosed(_ predicate: XPathSyntax) -> Bool {
    var closed = true
    predicate.visit { node in
      switch node {
      case .variable: closed = false
      case .function(let name, _):
        if name.prefix != nil || FunctionLibrary.core[name.local] == nil { closed = false }
      default: break
      }
    }
    return closed
  }

  /// Whether `node` certainly evaluates to a string, number or boolean.
  private static func isAtomic(_ node: XPathSyntax) -> Bool {
    switch node {
    case .literal, .number, .binary, .negate: return true
    case .function(let name, _): return name.prefix == nil && name.local != "id"
    case .union, .path, .filtered, .variable: return false
    }
  }

  private static func containsAbsolutePath(_ node: XPathSyntax) -> Bool {
    var found = false
    node.visit { if case .path(true, _) = $0 { found = true } }
    return found
  }

  /// `node` with every variable at its own level that `replacement` answers replaced.
  private static func substitute(
    _ node: XPathSyntax, _ replacement: (XPathSyntax.Name) -> XPathSyntax?
  ) -> XPathSyntax {
    node.rewritten(in: .operands) { candidate in
      guard case .variable(let name) = candidate else { return nil }
      return replacement(name)
    }
  }
}
