import Foundation
import XMLCore

/// A parameter value a host passes into a schema's evaluation (for example an as-of date).
public enum ParameterValue: Hashable, Sendable {
  /// A string.
  case string(String)
  /// A number.
  case number(Double)
  /// A boolean.
  case boolean(Bool)

  var xpathValue: XPathValue {
    switch self {
    case .string(let value): .string(value)
    case .number(let value): .number(value)
    case .boolean(let value): .boolean(value)
    }
  }
}

/// A schema ready to check documents: every expression parsed and checked, nothing left to resolve.
///
/// Immutable and `Sendable`: one compiled schema checks many documents at once.
public struct CompiledSchema: Sendable {
  /// Options for compiling.
  public struct Options: Sendable {
    /// The phase to run (`nil`: the default phase).
    public var phase: String?
    /// Parameters the host supplies, with default values; rules refer to them as `$name`.
    public var parameters: [String: ParameterValue]
    /// The functions available besides XPath 1.0's own.
    public var functions: FunctionLibrary
    /// Vocabularies for `nc:in-vocabulary` / `nc:is-within`.
    public var vocabularies: [String: Vocabulary]
    /// Where `document()` may read (`nil`: the schema's directory).
    public var packDirectory: URL?
    /// Answer uniqueness and reference lookups from per-document indexes (see `LookupOptimizer`),
    /// and a few common shapes of expression in Swift (``XMLCore/XPathContext/answersNatively``).
    ///
    /// Default true; false evaluates every expression as written, by libxml2.
    public var optimizeLookups: Bool
    /// Compute document-wide parts of expressions once per document (`InvariantHoister`).
    ///
    /// Default true; false evaluates them wherever they occur.
    public var hoistInvariants: Bool

    /// Creates options.
    public init(
      phase: String? = nil, parameters: [String: ParameterValue] = [:], functions: FunctionLibrary = .standard,
      vocabularies: [String: Vocabulary] = [:], packDirectory: URL? = nil, optimizeLookups: Bool = true,
      hoistInvariants: Bool = true
    ) {
      self.phase = phase
      self.parameters = parameters
      self.functions = functions
      self.vocabularies = vocabularies
      self.packDirectory = packDirectory
      self.optimizeLookups = optimizeLookups
      self.hoistInvariants = hoistInvariants
    }
  }

  /// The resolved schema.
  public let resolved: ResolvedSchema
  /// The prefix → URI bindings of the schema's `ns` elements (plus `xml`).
  public let namespaces: [String: String]
  /// The parameters and their defaults.
  public let parameters: [String: ParameterValue]
  let functions: FunctionLibrary
  let vocabularies: [String: Vocabulary]
  let packDirectory: URL?
  /// Per pattern, per rule: the context pattern rewritten as an expression.
  let contextExpressions: [[String]]
  /// Per pattern, per rule: the branches of the context's top-level union, evaluated one by one.
  ///
  /// libxml2 2.9 merges the operands of `|` with a pairwise duplicate check, in time
  /// proportional to the product of their sizes (`d:facility | d:crossBorderDependency` on a
  /// declaration of 100 000 facilities: seconds); the evaluator merges branches with a hash set
  /// and one sort into document order instead.
  let contextBranches: [[[String]]]
  /// Per pattern, per rule, per branch: the branch as an ``ElementPath`` answered from the
  /// document's element index, or `nil` when it has another shape (evaluated by libxml2).
  let contextPlans: [[[ContextPlan?]]]
  /// How a key is built: its match pattern's branches, its use expression and, when `use` is a
  /// plain attribute (`@id`), that attribute, read directly instead of through XPath.
  struct KeyPlan {
    var match: [String]
    var matchPlans: [ContextPlan?]
    var use: String
    var attribute: (local: String, namespace: String?)?
  }
  /// Key name → how to build it.
  let keys: [String: KeyPlan]
  /// A rule's step as the evaluator's inner loop needs it: no strings to copy but a let's name,
  /// the expression as a slot number (see ``expressionSources``).
  enum StepPlan {
    /// A `let` with an XPath value: its name as a ``variableNames`` number.
    case bind(variable: Int, slot: Int)
    /// A `let` with XML content (rare; evaluated from the step itself).
    case content
    /// An `assert` (fires when false) or `report` (fires when true).
    case check(firesWhen: Bool, slot: Int)
  }
  /// Per pattern, per rule: its steps as ``StepPlan``s, index for index.
  let stepPlans: [[[StepPlan]]]
  /// The source of each expression slot; every distinct source has one.
  let expressionSources: [String]
  /// The names of the rules' `let`s, each once (``StepPlan/bind(variable:slot:)``).
  let variableNames: [String]
  /// Expressions rewritten to use indexed lookups: original source → source evaluated.
  let rewritten: [String: String]
  /// The indexed lookups the rewritten expressions call, by number.
  let lookups: [LookupOptimizer.Lookup]
  /// Expressions with parts computed once per document: original source → plan (over the
  /// rewritten expression when there is one).
  let invariants: [String: InvariantHoister.Plan]
  /// Plain absolute paths answered from the element index (``PathOptimizer``), by number: as
  /// written (what the fallback evaluates) and as an element path.
  let paths: [(source: String, path: ElementPath)]
  /// Relative paths of child steps answered natively at elements with many children
  /// (``ChildPathOptimizer``), by number: as written (what the fallback evaluates) and as an
  /// element path.
  let childPaths: [(source: String, path: ElementPath)]
  /// Distinct values of an attribute of plain absolute paths, answered from a shared attribute
  /// index (``DistinctOptimizer``), by number: the call as written (what the fallback
  /// evaluates) and the index it reads.
  let distinctIndexes: [(source: String, request: AttributeIndexRequest)]
  /// The wide forms of expressions (``ChildPathOptimizer``): original source → source
  /// evaluated at an element with many children.
  let wide: [String: String]
  /// The same for expressions with invariant parts: original source → plan whose template is
  /// the wide form.
  let wideInvariants: [String: InvariantHoister.Plan]
  /// Per expression slot, whether its source has a wide form.
  let wideSlots: [Bool]
  /// Whether evaluations answer common shapes in Swift (``Options/optimizeLookups``).
  let answersNatively: Bool

  /// The shared attribute index that key `name` reads: for a plain key (`match="a/b | c/d"
  /// use="@id"`); `nil` for any other, which each evaluation indexes itself.
  func indexRequest(forKey name: String) -> AttributeIndexRequest? {
    guard let key = keys[name], let attribute = key.attribute else { return nil }
    let paths = key.matchPlans.compactMap { plan in
      plan.flatMap { $0.path.filtered.isEmpty && $0.path.attribute == nil ? $0.path : nil }
    }
    guard paths.count == key.matchPlans.count else { return nil }
    return AttributeIndexRequest(
      paths: paths, attribute: ElementPath.Test(namespace: attribute.namespace, localName: attribute.local))
  }

  /// The shared attribute index that lookup `number` reads: when its path is plain child
  /// steps; `nil` otherwise, as for ``indexRequest(forKey:)``.
  func indexRequest(forLookup number: Int) -> AttributeIndexRequest? {
    let lookup = lookups[number]
    let namespace = lookup.attribute.prefix.flatMap { namespaces[$0] }
    guard let plan = ContextPlan(lookup.path, namespaces: namespaces),
      plan.path.filtered.isEmpty, plan.path.attribute == nil,
      lookup.attribute.prefix == nil || namespace != nil
    else { return nil }
    return AttributeIndexRequest(
      paths: [plan.path], attribute: ElementPath.Test(namespace: namespace, localName: lookup.attribute.local))
  }

  /// Every shared attribute index the schema's keys and lookups read, each once: what a host
  /// may ask the parser to collect (``XMLCore/Document/init(contentsOfFile:limits:indexing:keeping:)``).
  public var attributeIndexRequests: [AttributeIndexRequest] {
    var seen = Set<AttributeIndexRequest>()
    let requests =
      keys.keys.sorted().compactMap(indexRequest(forKey:)) + lookups.indices.compactMap(indexRequest(forLookup:))
      + distinctIndexes.map(\.request)
    return requests.filter { seen.insert($0).inserted }
  }

  /// The attributes of a checked document this schema can read (see ``AttributeUse``): what a
  /// host may ask the parser to keep, leaving out the rest (``XMLCore/AttributeProjection``).
  ///
  /// Extension functions the host registers (``Options/functions``) must read no attribute of
  /// the nodes they are given that an expression does not name.
  public private(set) var attributesRead: AttributeProjection

  /// How many expressions have parts computed once per document.
  public var hoistedExpressionCount: Int { invariants.count }

  /// How many expressions are answered from per-document indexes.
  public var indexedExpressionCount: Int { rewritten.count }

  /// The schema as loaded.
  public var schema: Schema { resolved.schema }

  /// The operands of a top-level union, or the expression itself.
  static func unionBranches(_ source: String) -> [String] {
    guard let syntax = try? XPathSyntax.parse(source), case .union(let parts) = syntax, parts.count > 1 else {
      return [source]
    }
    return parts.map(\.description)
  }

  /// Loads, resolves and compiles the schema at `path`.
  public static func load(
    contentsOfFile path: String, options: Options = Options(), loaderOptions: SchemaLoader.Options = .init()
  ) throws -> CompiledSchema {
    let schema = try SchemaLoader.load(contentsOfFile: path, options: loaderOptions)
    var options = options
    if options.packDirectory == nil {
      options.packDirectory = loaderOptions.root ?? URL(fileURLWithPath: path).deletingLastPathComponent()
    }
    return try CompiledSchema(schema, options: options)
  }

  /// Resolves and compiles `schema`.
  /// - Throws: ``SchematronLoadError`` with every problem: unknown prefixes, functions,
  ///   variables, diagnostics and properties, XPath syntax errors, invalid rule contexts.
  public init(_ schema: Schema, options: Options = Options()) throws {
    let resolved = try Resolver.resolve(schema, phase: options.phase)
    var checker = StaticChecker(schema: schema, options: options)
    var contexts: [[String]] = []
    var scope = Set(options.parameters.keys)
    checker.checkLets(resolved.lets, scope: &scope)
    for key in schema.keys {
      _ = checker.pattern(key.match, at: key.location)
      checker.expression(key.use, at: key.location, scope: scope)
    }
    for pattern in resolved.patterns {
      var patternScope = scope
      if let documents = pattern.documents { checker.expression(documents, at: pattern.location, scope: patternScope) }
      checker.checkLets(pattern.lets, scope: &patternScope)
      var ruleContexts: [String] = []
      for rule in pattern.rules {
        ruleContexts.append(checker.pattern(rule.context, at: rule.location) ?? rule.context)
        var ruleScope = patternScope
        if let subject = rule.subject { checker.expression(subject, at: rule.location, scope: ruleScope) }
        for step in rule.steps {
          switch step {
          case .bind(let binding): checker.checkLets([binding], scope: &ruleScope)
          case .check(let assertion): checker.check(assertion, scope: ruleScope)
          }
        }
      }
      contexts.append(ruleContexts)
    }
    if !checker.problems.isEmpty { throw SchematronLoadError(checker.problems) }
    self.resolved = resolved
    self.namespaces = checker.namespaces
    self.parameters = options.parameters
    self.functions = options.functions
    self.vocabularies = options.vocabularies
    self.packDirectory = options.packDirectory
    self.contextExpressions = contexts
    var slots: [String: Int] = [:]
    var sources: [String] = []
    func slot(_ source: String) -> Int {
      if let existing = slots[source] { return existing }
      sources.append(source)
      slots[source] = sources.count - 1
      return sources.count - 1
    }
    var variableNames: [String] = []
    var variableNumbers: [String: Int] = [:]
    func variable(_ name: String) -> Int {
      if let existing = variableNumbers[name] { return existing }
      variableNames.append(name)
      variableNumbers[name] = variableNames.count - 1
      return variableNames.count - 1
    }
    self.stepPlans = resolved.patterns.map { pattern in
      pattern.rules.map { rule in
        rule.steps.map { step -> StepPlan in
          switch step {
          case .bind(let binding):
            guard case .expression(let source) = binding.value else { return .content }
            return .bind(variable: variable(binding.name), slot: slot(source))
          case .check(let assertion):
            return .check(firesWhen: assertion.kind == .report, slot: slot(assertion.test))
          }
        }
      }
    }
    self.expressionSources = sources
    self.variableNames = variableNames
    self.contextBranches = contexts.map { $0.map(Self.unionBranches) }
    let namespaces = checker.namespaces
    let optimize = options.optimizeLookups
    self.contextPlans = contextBranches.map { rules in
      rules.map { branches in branches.map { optimize ? ContextPlan($0, namespaces: namespaces) : nil } }
    }
    self.keys = Dictionary(
      schema.keys.map { key in
        var attribute: (local: String, namespace: String?)?
        if let syntax = try? XPathSyntax.parse(key.use), case .path(false, let steps) = syntax, steps.count == 1,
          steps[0].axis == "attribute", steps[0].predicates.isEmpty, case .name(let name) = steps[0].test
        {
          if let prefix = name.prefix {
            if let uri = namespaces[prefix] { attribute = (name.local, uri) }
          } else {
            attribute = (name.local, nil)
          }
        }
        let match = Self.unionBranches(checker.patternExpression(key.match) ?? key.match)
        let plans = match.map { optimize ? ContextPlan($0, namespaces: namespaces) : nil }
        return (key.name, KeyPlan(match: match, matchPlans: plans, use: key.use, attribute: attribute))
      },
      uniquingKeysWith: { first, _ in first })
    var lookups: [LookupOptimizer.Lookup] = []
    var rewritten: [String: String] = [:]
    // A rewritten expression is compiled from its printed form: only where that is exact.
    let faithful = checker.parsed.filter { $0.value.printsFaithfully }.sorted(by: { $0.key < $1.key })
    if options.optimizeLookups {
      for (source, syntax) in faithful {
        if let optimized = LookupOptimizer.rewrite(syntax, lookups: &lookups) {
          rewritten[source] = optimized.description
        }
      }
    }
    // How the function a call names may be answered natively (prefixed names only).
    let functions = options.functions.definitions
    func nativeAnswer(_ name: XPathSyntax.Name) -> FunctionDefinition.NativeAnswer? {
      guard let prefix = name.prefix, let uri = namespaces[prefix] else { return nil }
      return functions[QualifiedName(name.local, namespace: uri)]?.native
    }
    // Distinct values of plain attribute paths, on what the lookups left.
    var distinctIndexes: [(source: String, request: AttributeIndexRequest)] = []
    if options.optimizeLookups {
      func isDistinct(_ name: XPathSyntax.Name) -> Bool {
        if case .firstOfEachStringValue = nativeAnswer(name) { return true }
        return false
      }
      for (source, syntax) in faithful {
        let current = rewritten[source].flatMap { try? XPathSyntax.parse($0) } ?? syntax
        if let optimized = DistinctOptimizer.rewrite(
          current, namespaces: namespaces, isDistinct: isDistinct, indexes: &distinctIndexes)
        {
          rewritten[source] = optimized.description
        }
      }
    }
    var invariants: [String: InvariantHoister.Plan] = [:]
    if options.hoistInvariants {
      for (source, syntax) in faithful {
        let evaluated = rewritten[source].flatMap { try? XPathSyntax.parse($0) } ?? syntax
        invariants[source] = InvariantHoister.plan(evaluated)
      }
    }
    // Plain absolute paths last, on what the other rewrites left (the hoister takes them as
    // document-wide parts first): in the rewritten sources, the hoisted templates and parts.
    var paths: [(source: String, path: ElementPath)] = []
    // Membership tests answer whether: they return booleans.
    func isBoolean(_ name: XPathSyntax.Name) -> Bool {
      if case .membership = nativeAnswer(name) { return true }
      return false
    }
    if options.optimizeLookups {
      func optimized(_ syntax: XPathSyntax) -> XPathSyntax? {
        PathOptimizer.rewrite(syntax, namespaces: namespaces, isBoolean: isBoolean, paths: &paths)
      }
      for (source, syntax) in faithful {
        let current = rewritten[source].flatMap { try? XPathSyntax.parse($0) } ?? syntax
        if let rewrittenPaths = optimized(current) { rewritten[source] = rewrittenPaths.description }
        if var plan = invariants[source] {
          plan.template = optimized(plan.template) ?? plan.template
          plan.parts = plan.parts.map { optimized($0) ?? $0 }
          invariants[source] = plan
        }
      }
      // The sources the fallback evaluates are the paths as written: never rewritten again.
    }
    // Wide forms last, on the forms evaluated otherwise.
    var childPaths: [(source: String, path: ElementPath)] = []
    var wide: [String: String] = [:]
    var wideInvariants: [String: InvariantHoister.Plan] = [:]
    if options.optimizeLookups {
      func widened(_ syntax: XPathSyntax) -> XPathSyntax? {
        ChildPathOptimizer.rewrite(syntax, namespaces: namespaces, isBoolean: isBoolean, paths: &childPaths)
      }
      for (source, syntax) in faithful {
        if var plan = invariants[source] {
          if let template = widened(plan.template) {
            plan.template = template
            wideInvariants[source] = plan
          }
        } else if let form = widened(rewritten[source].flatMap { try? XPathSyntax.parse($0) } ?? syntax) {
          wide[source] = form.description
        }
      }
      // The predicates of rule contexts, evaluated at each candidate node (``ContextPlan``).
      let predicates = Set(contextPlans.joined().joined().compactMap { $0 }.flatMap { $0.predicates.values })
      for source in predicates.sorted() where wide[source] == nil && invariants[source] == nil {
        if let syntax = try? XPathSyntax.parse(source), syntax.printsFaithfully,
          let form = widened(rewritten[source].flatMap { try? XPathSyntax.parse($0) } ?? syntax)
        {
          wide[source] = form.description
        }
      }
    }
    self.rewritten = rewritten
    self.lookups = lookups
    self.invariants = invariants
    self.paths = paths
    self.childPaths = childPaths
    self.distinctIndexes = distinctIndexes
    self.answersNatively = options.optimizeLookups
    self.wide = wide
    self.wideInvariants = wideInvariants
    self.wideSlots = sources.map { wide[$0] != nil || wideInvariants[$0] != nil }
    self.attributesRead = .all
    // Once per compiled schema: a service builds a checker per request.
    self.attributesRead = AttributeUse.projection(of: expressionsReadingTheDocument, namespaces: self.namespaces)
  }
}

/// Checks every expression of a schema before any document is seen.
struct StaticChecker {
  let schema: Schema
  let options: CompiledSchema.Options
  var namespaces: [String: String] = ["xml": "http://www.w3.org/XML/1998/namespace"]
  var problems: [SchematronProblem] = []
  /// Every expression that parsed and passed the checks, by source.
  var parsed: [String: XPathSyntax] = [:]

  init(schema: Schema, options: CompiledSchema.Options) {
    self.schema = schema
    self.options = options
    for declaration in schema.namespaces {
      if let existing = namespaces[declaration.prefix], existing != declaration.uri, declaration.prefix != "xml" {
        problems.append(
          SchematronProblem(
            .duplicateID, "prefix '\(declaration.prefix)' is bound to two URIs ('\(existing)', '\(declaration.uri)')",
            at: declaration.location))
      }
      namespaces[declaration.prefix] = declaration.uri
    }
  }

  mutating func checkLets(_ lets: [Let], scope: inout Set<String>) {
    for binding in lets {
      if case .expression(let value) = binding.value {
        expression(value, at: binding.location, scope: scope)
      }
      scope.insert(binding.name)
    }
  }

  mutating func check(_ assertion: Assertion, scope: Set<String>) {
    expression(assertion.test, at: assertion.location, scope: scope)
    if let subject = assertion.subject { expression(subject, at: assertion.location, scope: scope) }
    message(assertion.message, at: assertion.location, scope: scope)
    for id in assertion.diagnostics {
      if let diagnostic = schema.diagnostics[id] {
        message(diagnostic.message, at: diagnostic.location, scope: scope)
      } else {
        problems.append(
          SchematronProblem(.unknownReference, "unknown diagnostic '\(id)'", at: assertion.location))
      }
    }
    for id in assertion.properties {
      if let property = schema.properties[id] {
        message(property.message, at: property.location, scope: scope)
      } else {
        problems.append(SchematronProblem(.unknownReference, "unknown property '\(id)'", at: assertion.location))
      }
    }
  }

  mutating func message(_ parts: [MessagePart], at location: SchemaLocation, scope: Set<String>) {
    for part in parts {
      switch part {
      case .valueOf(let select): expression(select, at: location, scope: scope)
      case .name(let path?): expression(path, at: location, scope: scope)
      case .emph(let inner), .dir(_, let inner), .span(_, let inner): message(inner, at: location, scope: scope)
      case .text, .name(nil): break
      }
    }
  }

  /// Parses and checks an expression; records problems against `location`.
  @discardableResult
  mutating func expression(_ source: String, at location: SchemaLocation, scope: Set<String>) -> XPathSyntax? {
    let syntax: XPathSyntax
    do {
      syntax = try XPathSyntax.parse(source)
      _ = try XPathExpression(source)
    } catch let error as XMLError {
      problems.append(
        SchematronProblem(.xpathSyntax, "XPath syntax error: \(error.message)", at: location, expression: source))
      return nil
    } catch {
      problems.append(SchematronProblem(.xpathSyntax, "XPath syntax error", at: location, expression: source))
      return nil
    }
    for prefix in syntax.prefixes.sorted() where namespaces[prefix] == nil {
      problems.append(
        SchematronProblem(
          .unknownPrefix, "prefix '\(prefix)' is not declared by an <ns> element", at: location, expression: source))
    }
    for (name, arity) in syntax.functionCalls {
      if name.prefix == nil, let range = FunctionLibrary.core[name.local] {
        if !range.contains(arity) {
          problems.append(
            SchematronProblem(
              .unknownFunction, "\(name.local)() takes \(describe(range)) argument(s), not \(arity)", at: location,
              expression: source))
        }
        continue
      }
      let uri = name.prefix.flatMap { namespaces[$0] } ?? ""
      if name.prefix != nil && namespaces[name.prefix!] == nil { continue }  // reported as a prefix
      guard let definition = options.functions.definitions[QualifiedName(name.local, namespace: uri)] else {
        problems.append(
          SchematronProblem(
            .unknownFunction, "unknown function \(name)()\(uri.isEmpty ? "" : " in namespace \(uri)")", at: location,
            expression: source))
        continue
      }
      if !definition.arity.contains(arity) {
        problems.append(
          SchematronProblem(
            .unknownFunction, "\(name)() takes \(describe(definition.arity)) argument(s), not \(arity)", at: location,
            expression: source))
      }
      if name.prefix == nil && name.local == "key" {
        checkKeyName(syntax, at: location, source: source)
      }
    }
    var clean = true
    for variable in syntax.variableReferences {
      let key = variable.prefix == nil ? variable.local : variable.description
      if !scope.contains(key) {
        clean = false
        problems.append(
          SchematronProblem(
            .unknownVariable, "variable $\(variable) is not defined by a let or parameter in scope", at: location,
            expression: source))
      }
    }
    if clean { parsed[source] = syntax }
    return syntax
  }

  private mutating func checkKeyName(_ syntax: XPathSyntax, at location: SchemaLocation, source: String) {
    let declared = Set(schema.keys.map(\.name))
    syntax.visit { node in
      if case .function(let name, let arguments) = node, name.prefix == nil, name.local == "key",
        case .literal(let keyName)? = arguments.first, !declared.contains(keyName)
      {
        problems.append(
          SchematronProblem(
            .unknownReference, "key('\(keyName)', …) names no xsl:key of the schema", at: location, expression: source))
      }
    }
  }

  private func describe(_ range: ClosedRange<Int>) -> String {
    if range.upperBound == Int.max { return "\(range.lowerBound) or more" }
    return range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
  }

  /// Checks that `source` is an XSLT 1.0 match pattern and returns it as an expression
  /// selecting every node the pattern matches (relative branches become `//branch`).
  mutating func pattern(_ source: String, at location: SchemaLocation) -> String? {
    guard let syntax = expression(source, at: location, scope: Set(options.parameters.keys).union(allLetNames)) else {
      return nil
    }
    let branches: [XPathSyntax] = if case .union(let parts) = syntax { parts } else { [syntax] }
    for branch in branches where !Self.isPatternBranch(branch) {
      problems.append(
        SchematronProblem(
          .malformed, "a rule context must be an XSLT pattern (location paths joined by '|'), not '\(branch)'",
          at: location, expression: source))
      return nil
    }
    return patternExpression(source)
  }

  private var allLetNames: Set<String> {
    var names = Set(schema.lets.map(\.name))
    for phase in schema.phases { names.formUnion(phase.lets.map(\.name)) }
    for pattern in schema.patterns { names.formUnion(pattern.lets.map(\.name)) }
    return names
  }

  func patternExpression(_ source: String) -> String? {
    guard let syntax = try? XPathSyntax.parse(source) else { return nil }
    let branches: [XPathSyntax] = if case .union(let parts) = syntax { parts } else { [syntax] }
    let rewritten = branches.map { branch -> XPathSyntax in
      if case .path(false, let steps) = branch {
        let descendant = XPathSyntax.Step(axis: "descendant-or-self", test: .type("node", nil), predicates: [])
        return .path(absolute: true, steps: [descendant] + steps)
      }
      return branch
    }
    return rewritten.count == 1 ? rewritten[0].description : XPathSyntax.union(rewritten).description
  }

  static func isPatternBranch(_ branch: XPathSyntax) -> Bool {
    switch branch {
    case .path(_, let steps):
      return steps.allSatisfy { ["child", "attribute", "descendant-or-self"].contains($0.axis) || $0.axis == "self" }
    case .filtered(.function(let name, _), _, _):
      return name.prefix == nil && (name.local == "id" || name.local == "key")
    case .function(let name, _):
      return name.prefix == nil && (name.local == "id" || name.local == "key")
    default:
      return false
    }
  }
}

/// A rule context (or key match) branch of the shape ``ElementPath`` answers: child steps with
/// name tests, anchored anywhere or at the root, an optional final attribute, and predicates
/// that can only filter (never select by position), evaluated by XPath on the candidates.
extension ElementPath.Test {
  /// The test of a step's node test (`*`, `p:*`, `p:name`, `name`), its prefix resolved in
  /// `namespaces`; `nil` for a node-type test or an undeclared prefix.
  init?(_ nodeTest: XPathSyntax.NodeTest, namespaces: [String: String]) {
    switch nodeTest {
    case .any: self = .any
    case .anyInNamespace(let prefix):
      guard let uri = namespaces[prefix] else { return nil }
      self.init(namespace: uri, localName: nil)
    case .name(let name):
      guard let prefix = name.prefix else {
        self.init(namespace: nil, localName: name.local)
        return
      }
      guard let uri = namespaces[prefix] else { return nil }
      self.init(namespace: uri, localName: name.local)
    case .type: return nil
    }
  }
}

struct ContextPlan: Sendable {
  /// The path without its predicates.
  var path: ElementPath
  /// Per step with predicates: one boolean expression that is their conjunction.
  var predicates: [Int: String]

  /// The plan of `source` (an expression from ``StaticChecker/patternExpression(_:)``), or `nil`.
  init?(_ source: String, namespaces: [String: String]) {
    guard let syntax = try? XPathSyntax.parse(source), case .path(true, var steps) = syntax else { return nil }
    var absolute = true
    if let first = steps.first, first.axis == "descendant-or-self", first.test == .type("node", nil),
      first.predicates.isEmpty
    {
      absolute = false
      steps.removeFirst()
    }
    func test(_ nodeTest: XPathSyntax.NodeTest) -> ElementPath.Test? {
      ElementPath.Test(nodeTest, namespaces: namespaces)
    }
    var attribute: ElementPath.Test?
    if let last = steps.last, last.axis == "attribute" {
      guard last.predicates.isEmpty, let attributeTest = test(last.test) else { return nil }
      attribute = attributeTest
      steps.removeLast()
    }
    guard !steps.isEmpty else { return nil }
    var tests: [ElementPath.Test] = []
    var predicates: [Int: String] = [:]
    for (index, step) in steps.enumerated() {
      guard step.axis == "child", let elementTest = test(step.test),
        step.predicates.allSatisfy({ LookupOptimizer.isNonPositional($0) })
      else { return nil }
      tests.append(elementTest)
      if !step.predicates.isEmpty {
        predicates[index] = step.predicates.map { "boolean(\($0.description))" }.joined(separator: " and ")
      }
    }
    path = ElementPath(absolute: absolute, steps: tests, filtered: Set(predicates.keys), attribute: attribute)
    self.predicates = predicates
  }
}
