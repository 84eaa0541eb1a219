extension XPathSyntax: CustomStringConvertible {
  /// The expression written back as XPath 1.0 (fully parenthesised, abbreviations expanded).
  public var description: String {
    switch self {
    case .binary(let op, let lhs, let rhs): return "(\(lhs) \(op) \(rhs))"
    case .negate(let operand): return "-(\(operand))"
    case .union(let parts): return parts.map(\.description).joined(separator: " | ")
    case .path(let absolute, let steps):
      if steps.isEmpty { return absolute ? "/" : "." }
      return (absolute ? "/" : "") + steps.map(\.description).joined(separator: "/")
    case .filtered(let primary, let predicates, let steps):
      var text = "(\(primary))" + predicates.map { "[\($0)]" }.joined()
      if !steps.isEmpty { text += "/" + steps.map(\.description).joined(separator: "/") }
      return text
    case .literal(let value):
      return value.contains("'") ? "\"\(value)\"" : "'\(value)'"
    case .number(let value): return XPathValue.format(value)
    case .variable(let name): return "$\(name)"
    case .function(let name, let arguments): return "\(name)(\(arguments.map(\.description).joined(separator: ", ")))"
    }
  }
}

extension XPathSyntax.Step: CustomStringConvertible {
  /// The step as `axis::test[predicate]…`.
  public var description: String {
    "\(axis)::\(test)" + predicates.map { "[\($0)]" }.joined()
  }
}

extension XPathSyntax.NodeTest: CustomStringConvertible {
  /// The node test as written in XPath.
  public var description: String {
    switch self {
    case .any: return "*"
    case .anyInNamespace(let prefix): return "\(prefix):*"
    case .name(let name): return name.description
    case .type(let type, let argument):
      return argument.map { $0.contains("'") ? "\(type)(\"\($0)\")" : "\(type)('\($0)')" } ?? "\(type)()"
    }
  }
}

extension XPathSyntax {
  /// Whether ``description`` states the expression exactly, so that it may be compiled in its
  /// place: every number prints as a decimal that reads back as the same value, and no string
  /// holds both kinds of quote.
  public var printsFaithfully: Bool {
    var faithful = true
    func check(_ string: String) {
      if string.contains("'") && string.contains("\"") { faithful = false }
    }
    visit { node in
      switch node {
      case .number(let value):
        if value.isNaN || value.isInfinite || Double(XPathValue.format(value)) != value { faithful = false }
      case .literal(let string): check(string)
      case .path(_, let steps), .filtered(_, _, let steps):
        for step in steps { if case .type(_, let argument?) = step.test { check(argument) } }
      default: break
      }
    }
    return faithful
  }
}
