import Foundation

/// The syntax tree of an XPath 1.0 expression, from XMLCore's own parser.
///
/// libxml2 accepts some malformed expressions (for example `count(`) and resolves names only
/// while evaluating. This parser follows the XPath 1.0 grammar and its lexical
/// disambiguation rules (§3.7) exactly, so that callers can reject bad expressions and check
/// prefixes, functions and variables before evaluating anything.
public indirect enum XPathSyntax: Hashable, Sendable {
  /// A binary operator: `or and = != < <= > >= + - * div mod`.
  case binary(String, XPathSyntax, XPathSyntax)
  /// Unary minus.
  case negate(XPathSyntax)
  /// `a | b | …`.
  case union([XPathSyntax])
  /// A location path; `absolute` paths start at the root.
  case path(absolute: Bool, steps: [Step])
  /// A filter expression followed by location steps (`$x/a`, `f()//b`); `steps` may be empty.
  case filtered(primary: XPathSyntax, predicates: [XPathSyntax], steps: [Step])
  /// A string literal.
  case literal(String)
  /// A number.
  case number(Double)
  /// `$prefix:name`.
  case variable(Name)
  /// `prefix:name(args)`.
  case function(Name, [XPathSyntax])

  /// A name as written: optional prefix and local part.
  public struct Name: Hashable, Sendable, CustomStringConvertible {
    /// The prefix, or `nil`.
    public var prefix: String?
    /// The local part.
    public var local: String
    /// Creates a name.
    public init(prefix: String?, local: String) {
      self.prefix = prefix
      self.local = local
    }
    /// `prefix:local` or `local`.
    public var description: String { prefix.map { "\($0):\(local)" } ?? local }
  }

  /// A location step: axis, node test and predicates.
  ///
  /// `//` is expanded to `descendant-or-self::node()`, `.` to `self::node()`, `..` to `parent::node()`.
  public struct Step: Hashable, Sendable {
    /// The axis name (`child`, `attribute`, `descendant-or-self`, …).
    public var axis: String
    /// The node test.
    public var test: NodeTest
    /// The predicates.
    public var predicates: [XPathSyntax]
    /// Creates a step.
    public init(axis: String, test: NodeTest, predicates: [XPathSyntax]) {
      self.axis = axis
      self.test = test
      self.predicates = predicates
    }
  }

  /// A node test.
  public enum NodeTest: Hashable, Sendable {
    /// `*`.
    case any
    /// `prefix:*`.
    case anyInNamespace(String)
    /// A QName.
    case name(Name)
    /// `node()`, `text()`, `comment()`, `processing-instruction('x'?)`.
    case type(String, String?)
  }

  /// Parses `source`, or returns the tree parsed from the same text before in this process.
  ///
  /// Compiling a pack reads each expression several times (static checks, optimizers, the
  /// compiled expression), and every document checked in a batch or by the service compiles
  /// its packs again; parsing was a fifth of a batch of small declarations.
  /// - Throws: ``XMLError`` of kind `.xpathSyntax`, with the character offset in the message.
  public static func parse(_ source: String) throws -> XPathSyntax {
    if let known = ParsedExpressions.shared.syntax(of: source) { return known }
    var parser = try SyntaxParser(source)
    let syntax = try parser.parseAll()
    ParsedExpressions.shared.remember(syntax, for: source)
    return syntax
  }

  /// Every function called, with its argument count, in order of appearance.
  public var functionCalls: [(name: Name, arity: Int)] {
    var calls: [(Name, Int)] = []
    visit { if case .function(let name, let arguments) = $0 { calls.append((name, arguments.count)) } }
    return calls
  }

  /// Every variable referenced.
  public var variableReferences: [Name] {
    var names: [Name] = []
    visit { if case .variable(let name) = $0 { names.append(name) } }
    return names
  }

  /// Every namespace prefix used: in name tests, function names and variable names.
  public var prefixes: Set<String> {
    var result = Set<String>()
    visit { node in
      switch node {
      case .variable(let name), .function(let name, _):
        if let prefix = name.prefix { result.insert(prefix) }
      case .path(_, let steps), .filtered(_, _, let steps):
        for step in steps {
          switch step.test {
          case .anyInNamespace(let prefix): result.insert(prefix)
          case .name(let name): if let prefix = name.prefix { result.insert(prefix) }
          default: break
          }
        }
      default: break
      }
    }
    return result
  }

  /// Calls `body` for this node and every sub-expression, predicates included, depth first.
  public func visit(_ body: (XPathSyntax) -> Void) {
    body(self)
    switch self {
    case .binary(_, let lhs, let rhs):
      lhs.visit(body)
      rhs.visit(body)
    case .negate(let operand): operand.visit(body)
    case .union(let parts): parts.forEach { $0.visit(body) }
    case .path(_, let steps): steps.forEach { $0.predicates.forEach { $0.visit(body) } }
    case .filtered(let primary, let predicates, let steps):
      primary.visit(body)
      predicates.forEach { $0.visit(body) }
      steps.forEach { $0.predicates.forEach { $0.visit(body) } }
    case .function(_, let arguments): arguments.forEach { $0.visit(body) }
    case .literal, .number, .variable: break
    }
  }

  /// How far ``rewritten(in:_:)`` descends into an expression.
  public enum RewriteScope: Sendable {
    /// Into every sub-expression: operands, arguments, union members, filter primaries and the
    /// predicates of every step.
    case everywhere
    /// Into the operands of operators and the arguments of function calls only: the parts
    /// evaluated at the expression's own context node, never into unions, paths, filter
    /// expressions or predicates.
    case operands
  }

  /// The expression with sub-expressions replaced, top down.
  ///
  /// `replacement` is asked about this node first. When it answers, its answer takes the
  /// node's place as it is (to rewrite inside it, the closure calls `rewritten` itself);
  /// otherwise the node's children within `scope` are rewritten the same way, left to right,
  /// and the node is rebuilt around them. Literals, numbers and variables have no children.
  public func rewritten(
    in scope: RewriteScope = .everywhere, _ replacement: (XPathSyntax) throws -> XPathSyntax?
  ) rethrows -> XPathSyntax {
    if let replaced = try replacement(self) { return replaced }
    func recurse(_ child: XPathSyntax) throws -> XPathSyntax { try child.rewritten(in: scope, replacement) }
    func recurse(_ steps: [Step]) throws -> [Step] {
      try steps.map { Step(axis: $0.axis, test: $0.test, predicates: try $0.predicates.map(recurse)) }
    }
    switch self {
    case .binary(let op, let lhs, let rhs):
      let left = try recurse(lhs)
      return .binary(op, left, try recurse(rhs))
    case .negate(let operand): return .negate(try recurse(operand))
    case .function(let name, let arguments): return .function(name, try arguments.map(recurse))
    case .union, .path, .filtered, .literal, .number, .variable: break
    }
    guard scope == .everywhere else { return self }
    switch self {
    case .union(let parts): return .union(try parts.map(recurse))
    case .path(let absolute, let steps): return .path(absolute: absolute, steps: try recurse(steps))
    case .filtered(let primary, let predicates, let steps):
      let newPrimary = try recurse(primary)
      let newPredicates = try predicates.map(recurse)
      return .filtered(primary: newPrimary, predicates: newPredicates, steps: try recurse(steps))
    case .binary, .negate, .function, .literal, .number, .variable: return self
    }
  }
}

// MARK: - Lexer

private enum Token: Equatable {
  case name(String)  // NCName (may be an operator name, axis, node type or function by context)
  case qname(String, String)  // prefix:local
  case prefixWildcard(String)  // prefix:*
  case star
  case literal(String)
  case number(Double)
  case variable(String?, String)
  case symbol(String)  // / // ( ) [ ] . .. @ , :: | + - = != < <= > >=
  case end
}

private struct Lexeme {
  var token: Token
  var offset: Int
}

private struct SyntaxParser {
  let source: String
  var lexemes: [Lexeme] = []
  var position = 0
  /// How deeply sub-expressions are nested right now; see ``maxDepth``.
  var depth = 0
  /// The deepest nesting of parentheses, predicates, arguments and unary minus accepted.
  ///
  /// Real rules stay far below it; without a bound a hostile pack overflows the stack.
  static let maxDepth = 256

  init(_ source: String) throws {
    self.source = source
    lexemes = try Self.tokenize(source)
  }

  static func error(_ message: String, _ offset: Int, _ source: String) -> XMLError {
    XMLError(
      kind: .xpathSyntax, message: "\(message) at offset \(offset)",
      location: SourceLocation(file: "", line: 0, column: 0), expression: source)
  }

  static func isNameStart(_ c: Unicode.Scalar) -> Bool {
    if c.isASCII { return isASCIILetter(c) || c == "_" }
    switch c.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
    default: return false
    }
  }
  static func isNameChar(_ c: Unicode.Scalar) -> Bool {
    if c.isASCII { return isASCIILetter(c) || isDigit(c) || c == "_" || c == "-" || c == "." }
    switch c.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber,
      .letterNumber, .otherNumber, .nonspacingMark:
      return true
    default: return c == "\u{B7}"
    }
  }
  static func isASCIILetter(_ c: Unicode.Scalar) -> Bool { (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") }
  static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
  static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
    var utf8: [UInt8] = []
    utf8.reserveCapacity(scalars.count)
    for scalar in scalars { utf8.append(contentsOf: UTF8.encode(scalar)!) }
    return String(decoding: utf8, as: UTF8.self)
  }

  /// Splits `source` into lexemes; offsets count Unicode scalars.
  static func tokenize(_ source: String) throws -> [Lexeme] {
    let chars = Array(source.unicodeScalars)
    var result: [Lexeme] = []
    var i = 0
    while i < chars.count {
      let c = chars[i]
      if c == " " || c == "\t" || c == "\n" || c == "\r" {
        i += 1
        continue
      }
      let start = i
      switch c {
      case "(", ")", "[", "]", ",", "@", "|", "+", "-", "=":
        result.append(Lexeme(token: .symbol(String(c)), offset: start))
        i += 1
      case "/":
        if i + 1 < chars.count, chars[i + 1] == "/" {
          result.append(Lexeme(token: .symbol("//"), offset: start))
          i += 2
        } else {
          result.append(Lexeme(token: .symbol("/"), offset: start))
          i += 1
        }
      case "!":
        guard i + 1 < chars.count, chars[i + 1] == "=" else { throw error("'!' must be followed by '='", i, source) }
        result.append(Lexeme(token: .symbol("!="), offset: start))
        i += 2
      case "<", ">":
        if i + 1 < chars.count, chars[i + 1] == "=" {
          result.append(Lexeme(token: .symbol("\(c)="), offset: start))
          i += 2
        } else {
          result.append(Lexeme(token: .symbol(String(c)), offset: start))
          i += 1
        }
      case ":":
        guard i + 1 < chars.count, chars[i + 1] == ":" else { throw error("unexpected ':'", i, source) }
        result.append(Lexeme(token: .symbol("::"), offset: start))
        i += 2
      case "*":
        // Multiplication or wildcard, decided by the parser from the preceding token.
        result.append(Lexeme(token: .star, offset: start))
        i += 1
      case "\"", "'":
        guard let close = chars[(i + 1)...].firstIndex(of: c) else {
          throw error("unterminated string literal", i, source)
        }
        result.append(Lexeme(token: .literal(string(chars[(i + 1)..<close])), offset: start))
        i = close + 1
      case "$":
        i += 1
        guard i < chars.count, isNameStart(chars[i]) else { throw error("a variable name must follow '$'", i, source) }
        let (prefix, local, next) = try readQName(chars, i, source, allowWildcard: false)
        result.append(Lexeme(token: .variable(prefix, local), offset: start))
        i = next
      case ".":
        if i + 1 < chars.count, chars[i + 1] == "." {
          result.append(Lexeme(token: .symbol(".."), offset: start))
          i += 2
        } else if i + 1 < chars.count, isDigit(chars[i + 1]) {
          var j = i + 1
          while j < chars.count, isDigit(chars[j]) { j += 1 }
          result.append(Lexeme(token: .number(Double("0" + string(chars[i..<j]))!), offset: start))
          i = j
        } else {
          result.append(Lexeme(token: .symbol("."), offset: start))
          i += 1
        }
      default:
        if isDigit(c) {
          var j = i
          while j < chars.count, isDigit(chars[j]) { j += 1 }
          if j < chars.count, chars[j] == "." {
            j += 1
            while j < chars.count, isDigit(chars[j]) { j += 1 }
          }
          result.append(Lexeme(token: .number(Double(string(chars[i..<j]))!), offset: start))
          i = j
        } else if isNameStart(c) {
          let (prefix, local, next) = try readQName(chars, i, source, allowWildcard: true)
          if let prefix {
            result.append(Lexeme(token: local == "*" ? .prefixWildcard(prefix) : .qname(prefix, local), offset: start))
          } else {
            result.append(Lexeme(token: .name(local), offset: start))
          }
          i = next
        } else {
          throw error("unexpected character '\(c)'", i, source)
        }
      }
    }
    result.append(Lexeme(token: .end, offset: chars.count))
    return result
  }

  static func readQName(
    _ chars: [Unicode.Scalar], _ start: Int, _ source: String, allowWildcard: Bool
  ) throws -> (
    String?, String, Int
  ) {
    var i = start
    while i < chars.count, isNameChar(chars[i]) { i += 1 }
    let first = string(chars[start..<i])
    // A single ':' (not '::') followed by a name or '*' makes a QName.
    if i + 1 < chars.count, chars[i] == ":", chars[i + 1] != ":" {
      if allowWildcard, chars[i + 1] == "*" { return (first, "*", i + 2) }
      guard isNameStart(chars[i + 1]) else { throw error("a local name must follow '\(first):'", i + 1, source) }
      var j = i + 1
      while j < chars.count, isNameChar(chars[j]) { j += 1 }
      return (first, string(chars[(i + 1)..<j]), j)
    }
    return (nil, first, i)
  }

  // MARK: Parser

  var current: Lexeme { lexemes[position] }
  func peek(_ ahead: Int = 1) -> Token { lexemes[min(position + ahead, lexemes.count - 1)].token }

  /// §3.7: whether the current token must be read as an operator.
  var operatorContext: Bool {
    guard position > 0 else { return false }
    switch lexemes[position - 1].token {
    case .symbol(let s): return [")", "]", ".", ".."].contains(s)
    case .star: return operatorStarBefore(position - 1)
    case .name(let n): return !(isOperatorName(position - 1) && ["and", "or", "mod", "div"].contains(n))
    case .end: return false
    default: return true
    }
  }

  /// Whether the `*` at `index` was read as a name test (then a following token is an operator).
  func operatorStarBefore(_ index: Int) -> Bool {
    // A '*' is a name test unless it was itself in operator context.
    var copy = self
    copy.position = index
    return !copy.operatorContext
  }

  func isOperatorName(_ index: Int) -> Bool {
    var copy = self
    copy.position = index
    return copy.operatorContext
  }

  mutating func advance() { position += 1 }

  func fail(_ message: String) -> XMLError {
    let description: String
    switch current.token {
    case .end: description = "end of expression"
    case .name(let n): description = "'\(n)'"
    case .qname(let p, let l): description = "'\(p):\(l)'"
    case .symbol(let s): description = "'\(s)'"
    case .star: description = "'*'"
    case .literal(let l): description = "string '\(l)'"
    case .number(let n): description = "number \(n)"
    case .variable(let p, let l): description = "$\(p.map { "\($0):" } ?? "")\(l)"
    case .prefixWildcard(let p): description = "'\(p):*'"
    }
    return Self.error("\(message), found \(description)", current.offset, source)
  }

  mutating func expect(_ symbol: String) throws {
    guard current.token == .symbol(symbol) else { throw fail("expected '\(symbol)'") }
    advance()
  }

  mutating func parseAll() throws -> XPathSyntax {
    let expression = try parseExpr()
    guard current.token == .end else { throw fail("unexpected token") }
    return expression
  }

  mutating func parseExpr() throws -> XPathSyntax {
    try descend()
    defer { depth -= 1 }
    return try parseBinary(level: 0)
  }

  /// Counts one more level of nesting, failing beyond ``maxDepth``.
  mutating func descend() throws {
    depth += 1
    if depth > Self.maxDepth {
      throw Self.error("the expression is nested more than \(Self.maxDepth) levels deep", current.offset, source)
    }
  }

  static let levels: [[String]] = [
    ["or"], ["and"], ["=", "!="], ["<", "<=", ">", ">="], ["+", "-"], ["*", "div", "mod"],
  ]

  mutating func operatorAtCurrent() -> String? {
    switch current.token {
    case .symbol(let s) where ["=", "!=", "<", "<=", ">", ">=", "+", "-"].contains(s): return s
    case .star where operatorContext: return "*"
    case .name(let n) where ["and", "or", "div", "mod"].contains(n) && operatorContext: return n
    default: return nil
    }
  }

  mutating func parseBinary(level: Int) throws -> XPathSyntax {
    if level == Self.levels.count { return try parseUnary() }
    var lhs = try parseBinary(level: level + 1)
    while let op = operatorAtCurrent(), Self.levels[level].contains(op) {
      advance()
      let rhs = try parseBinary(level: level + 1)
      lhs = .binary(op, lhs, rhs)
    }
    return lhs
  }

  mutating func parseUnary() throws -> XPathSyntax {
    if current.token == .symbol("-") {
      advance()
      try descend()
      defer { depth -= 1 }
      return .negate(try parseUnary())
    }
    var parts = [try parsePathExpr()]
    while current.token == .symbol("|") {
      advance()
      parts.append(try parsePathExpr())
    }
    return parts.count == 1 ? parts[0] : .union(parts)
  }

  static let nodeTypes: Set<String> = ["node", "text", "comment", "processing-instruction"]
  static let axes: Set<String> = [
    "ancestor", "ancestor-or-self", "attribute", "child", "descendant", "descendant-or-self", "following",
    "following-sibling", "namespace", "parent", "preceding", "preceding-sibling", "self",
  ]

  var startsPrimary: Bool {
    switch current.token {
    case .variable, .literal, .number: return true
    case .symbol("("): return true
    case .name(let n): return peek() == .symbol("(") && !Self.nodeTypes.contains(n)
    case .qname: return peek() == .symbol("(")
    default: return false
    }
  }

  mutating func parsePathExpr() throws -> XPathSyntax {
    if startsPrimary {
      let primary = try parsePrimary()
      var predicates: [XPathSyntax] = []
      while current.token == .symbol("[") { predicates.append(try parsePredicate()) }
      var steps: [XPathSyntax.Step] = []
      if current.token == .symbol("/") || current.token == .symbol("//") {
        steps = try parseRelativePath(afterSlash: true)
      }
      if predicates.isEmpty && steps.isEmpty { return primary }
      return .filtered(primary: primary, predicates: predicates, steps: steps)
    }
    if current.token == .symbol("/") {
      advance()
      if startsStep { return .path(absolute: true, steps: try parseRelativePath(afterSlash: false)) }
      return .path(absolute: true, steps: [])
    }
    if current.token == .symbol("//") {
      advance()
      let steps = try parseRelativePath(afterSlash: false)
      return .path(absolute: true, steps: [Self.descendantOrSelf] + steps)
    }
    guard startsStep else { throw fail("expected an expression") }
    return .path(absolute: false, steps: try parseRelativePath(afterSlash: false))
  }

  static let descendantOrSelf = XPathSyntax.Step(axis: "descendant-or-self", test: .type("node", nil), predicates: [])

  var startsStep: Bool {
    switch current.token {
    case .name, .qname, .prefixWildcard, .star: return true
    case .symbol(let s): return ["@", ".", ".."].contains(s)
    default: return false
    }
  }

  /// Steps separated by `/` or `//`; with `afterSlash`, the first separator is still to come.
  mutating func parseRelativePath(afterSlash: Bool) throws -> [XPathSyntax.Step] {
    var steps: [XPathSyntax.Step] = []
    var needSeparator = afterSlash
    while true {
      if needSeparator {
        if current.token == .symbol("/") {
          advance()
        } else if current.token == .symbol("//") {
          advance()
          steps.append(Self.descendantOrSelf)
        } else {
          return steps
        }
      }
      steps.append(try parseStep())
      needSeparator = true
    }
  }

  mutating func parseStep() throws -> XPathSyntax.Step {
    if current.token == .symbol(".") {
      advance()
      return .init(axis: "self", test: .type("node", nil), predicates: [])
    }
    if current.token == .symbol("..") {
      advance()
      return .init(axis: "parent", test: .type("node", nil), predicates: [])
    }
    var axis = "child"
    if current.token == .symbol("@") {
      axis = "attribute"
      advance()
    } else if case .name(let n) = current.token, peek() == .symbol("::") {
      guard Self.axes.contains(n) else { throw fail("unknown axis") }
      axis = n
      advance()
      advance()
    }
    let test = try parseNodeTest()
    var predicates: [XPathSyntax] = []
    while current.token == .symbol("[") { predicates.append(try parsePredicate()) }
    return .init(axis: axis, test: test, predicates: predicates)
  }

  mutating func parseNodeTest() throws -> XPathSyntax.NodeTest {
    switch current.token {
    case .star:
      advance()
      return .any
    case .prefixWildcard(let prefix):
      advance()
      return .anyInNamespace(prefix)
    case .qname(let prefix, let local):
      advance()
      return .name(.init(prefix: prefix, local: local))
    case .name(let n):
      if Self.nodeTypes.contains(n) && peek() == .symbol("(") {
        advance()
        advance()
        var argument: String?
        if n == "processing-instruction", case .literal(let target) = current.token {
          argument = target
          advance()
        }
        try expect(")")
        return .type(n, argument)
      }
      advance()
      return .name(.init(prefix: nil, local: n))
    default:
      throw fail("expected a node test")
    }
  }

  mutating func parsePredicate() throws -> XPathSyntax {
    try expect("[")
    let expression = try parseExpr()
    try expect("]")
    return expression
  }

  mutating func parsePrimary() throws -> XPathSyntax {
    switch current.token {
    case .variable(let prefix, let local):
      advance()
      return .variable(.init(prefix: prefix, local: local))
    case .literal(let value):
      advance()
      return .literal(value)
    case .number(let value):
      advance()
      return .number(value)
    case .symbol("("):
      advance()
      let inner = try parseExpr()
      try expect(")")
      return inner
    case .name(let local):
      advance()
      return try parseArguments(.init(prefix: nil, local: local))
    case .qname(let prefix, let local):
      advance()
      return try parseArguments(.init(prefix: prefix, local: local))
    default:
      throw fail("expected an expression")
    }
  }

  mutating func parseArguments(_ name: XPathSyntax.Name) throws -> XPathSyntax {
    try expect("(")
    var arguments: [XPathSyntax] = []
    if current.token != .symbol(")") {
      arguments.append(try parseExpr())
      while current.token == .symbol(",") {
        advance()
        arguments.append(try parseExpr())
      }
    }
    try expect(")")
    return .function(name, arguments)
  }
}

/// Expressions parsed so far in this process, by source (up to ``limit``; packs have hundreds).
private final class ParsedExpressions: @unchecked Sendable {
  static let shared = ParsedExpressions()
  static let limit = 50_000
  private let lock = NSLock()
  private var known: [String: XPathSyntax] = [:]

  func syntax(of source: String) -> XPathSyntax? { lock.withLock { known[source] } }

  func remember(_ syntax: XPathSyntax, for source: String) {
    lock.withLock {
      if known.count < Self.limit { known[source] = syntax }
    }
  }
}
