import Foundation
import XMLCore

/// What a function implementation can reach while a document is being checked.
public final class FunctionEnvironment {
  /// The node the current rule is handling: what XSLT's `current()` returns.
  public internal(set) var currentNode: Node? {
    didSet { context.currentNode = currentNode }
  }
  /// The directory `document()` may read from.
  public let packDirectory: URL?
  /// Vocabularies for `nc:in-vocabulary` and `nc:is-within`, by name.
  public let vocabularies: [String: Vocabulary]
  /// The XPath context of the document being checked.
  public unowned let context: XPathContext
  var keyIndexes: [String: KeyIndex] = [:]
  var keyBuilder: ((String) throws -> KeyIndex?)?
  var documents: [String: Document] = [:]
  var regexCache: [String: NSRegularExpression] = [:]
  var termSets: [String: StringSet] = [:]
  /// Names (`local` or `prefix:local` with the schema's prefixes) that `function-available` knows.
  var availableFunctions: Set<String> = []
  var parseLimits: ParseLimits

  init(context: XPathContext, packDirectory: URL?, vocabularies: [String: Vocabulary], parseLimits: ParseLimits) {
    self.context = context
    self.packDirectory = packDirectory
    self.vocabularies = vocabularies
    self.parseLimits = parseLimits
  }

  /// The terms of the vocabulary `name` as a ``StringSet``, made on first use; `nil` when no
  /// vocabulary has that name.
  public func terms(of name: String) -> StringSet? {
    if let known = termSets[name] { return known }
    guard let vocabulary = vocabularies[name] else { return nil }
    let terms = StringSet(vocabulary.parents.keys)
    termSets[name] = terms
    return terms
  }

  /// A compiled regular expression (ICU syntax), cached for the document.
  public func regex(_ pattern: String, flags: String = "") throws -> NSRegularExpression {
    let key = flags + "\u{0}" + pattern
    if let cached = regexCache[key] { return cached }
    var options: NSRegularExpression.Options = []
    for flag in flags {
      switch flag {
      case "i": options.insert(.caseInsensitive)
      case "m": options.insert(.anchorsMatchLines)
      case "s": options.insert(.dotMatchesLineSeparators)
      case "x": options.insert(.allowCommentsAndWhitespace)
      case "g": break
      default: throw XPathFunctionError("unknown regular expression flag '\(flag)'")
      }
    }
    do {
      let compiled = try NSRegularExpression(pattern: pattern, options: options)
      regexCache[key] = compiled
      return compiled
    } catch {
      throw XPathFunctionError("invalid regular expression '\(pattern)'")
    }
  }
}

/// A controlled vocabulary: terms with an optional parent each (a hierarchy).
public struct Vocabulary: Sendable, Hashable {
  /// Each term's parent, or `nil` for a top-level term.
  public var parents: [String: String?]

  /// Creates a vocabulary from term → parent.
  public init(parents: [String: String?]) { self.parents = parents }

  /// Whether `term` is in the vocabulary.
  public func contains(_ term: String) -> Bool { parents[term] != nil }

  /// Whether `term` is `ancestor` or lies below it.
  public func isWithin(_ term: String, _ ancestor: String) -> Bool {
    var current: String? = term
    var steps = 0
    while let value = current, steps <= parents.count {
      if value == ancestor { return true }
      current = parents[value] ?? nil
      steps += 1
    }
    return false
  }
}

/// A function offered to rule expressions beyond XPath 1.0's core library.
public struct FunctionDefinition: Sendable {
  /// The function's expanded name.
  public var name: QualifiedName
  /// How many arguments it takes.
  public var arity: ClosedRange<Int>
  /// A one-line description, for documentation and `normcheck` listings.
  public var summary: String
  /// The implementation.
  public var body: @Sendable (XPathFunctionCall, FunctionEnvironment) throws -> XPathValue
  /// How calls may be answered inside libxml2's evaluation, without converting arguments and
  /// result to Swift values; ``body`` answers the rest and must give the same answers.
  public var native: NativeAnswer?

  /// Answers that XMLCore computes natively (see ``native``).
  public enum NativeAnswer: Sendable {
    /// `name(value, set)`: whether the string value of `value` is in the set named `set`, as
    /// the closure gives it (`nil`: a set ``FunctionDefinition/body`` answers or rejects); see
    /// ``XMLCore/XPathContext/register(membership:_:)``.
    ///
    /// Such a function returns a boolean, whoever answers: the evaluator converts what
    /// ``FunctionDefinition/body`` returns to one, and the optimizers rely on it (a boolean
    /// predicate selects no position).
    case membership(@Sendable (String, FunctionEnvironment) -> StringSet?)
    /// `name(node-set)`: the first node of each distinct string value (EXSLT `set:distinct`);
    /// see ``XMLCore/XPathContext/register(firstOfEachStringValue:)``.
    case firstOfEachStringValue
  }

  /// Creates a definition.
  public init(
    _ name: QualifiedName, arity: ClosedRange<Int>, summary: String,
    native: NativeAnswer? = nil,
    body: @escaping @Sendable (XPathFunctionCall, FunctionEnvironment) throws -> XPathValue
  ) {
    self.name = name
    self.arity = arity
    self.summary = summary
    self.native = native
    self.body = body
  }
}

/// The functions available to a schema: XSLT's, an EXSLT subset, normcheck's own, and any a
/// host adds.
public struct FunctionLibrary: Sendable {
  /// The definitions by name.
  public private(set) var definitions: [QualifiedName: FunctionDefinition] = [:]

  /// Creates an empty library.
  public init() {}

  /// Adds (or replaces) a definition.
  public mutating func add(_ definition: FunctionDefinition) {
    definitions[definition.name] = definition
  }

  /// XSLT + EXSLT subset + normcheck functions.
  public static let standard: FunctionLibrary = {
    var library = FunctionLibrary()
    for definition in XSLTFunctions.all + EXSLTFunctions.all + NormcheckFunctions.all { library.add(definition) }
    return library
  }()

  /// XPath 1.0's core functions with their arities (§4 of the recommendation).
  public static let core: [String: ClosedRange<Int>] = [
    "last": 0...0, "position": 0...0, "count": 1...1, "id": 1...1, "local-name": 0...1, "namespace-uri": 0...1,
    "name": 0...1, "string": 0...1, "concat": 2...Int.max, "starts-with": 2...2, "contains": 2...2,
    "substring-before": 2...2, "substring-after": 2...2, "substring": 2...3, "string-length": 0...1,
    "normalize-space": 0...1, "translate": 3...3, "boolean": 1...1, "not": 1...1, "true": 0...0, "false": 0...0,
    "lang": 1...1, "number": 0...1, "sum": 1...1, "floor": 1...1, "ceiling": 1...1, "round": 1...1,
  ]
}

/// The namespace of normcheck's own functions (conventional prefix `nc`).
public let normcheckFunctionsNamespace = "urn:normcheck:functions:1"

extension XPathValue {
  /// The string values of a node-set's nodes, or the value's string as a one-item list.
  var strings: [String] {
    if case .nodeSet(let nodes) = self { return nodes.map(\.stringValue) }
    return [stringValue]
  }
}

/// Builds a node-set of new elements, one per string, in a scratch document.
func makeTextNodes(_ values: [String], elementName: String, in environment: FunctionEnvironment) throws -> XPathValue {
  var text = "<r>"
  for value in values {
    text += "<\(elementName)>\(XMLEscaping.escape(value, inAttribute: false))</\(elementName)>"
  }
  text += "</r>"
  let document = try Document(string: text, sourceName: "<generated>")
  environment.context.adopt(document)
  environment.documents["<generated:\(environment.documents.count)>"] = document
  return .nodeSet(document.rootElement?.childElements ?? [])
}
