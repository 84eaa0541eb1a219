import Foundation
import XMLCore

/// Checks documents against a ``CompiledSchema``.
///
/// ISO semantics: within a pattern each node is handled by the first rule whose context
/// matches it; an assert fires when its test is false, a report when it is true. Each rule
/// context is evaluated once per pattern and document. An expression that fails to evaluate
/// becomes an ``EvaluationFailure`` and the rest of the document is still checked.
public struct Evaluator: Sendable {
  /// Limits and switches for one evaluation.
  public struct Options: Sendable {
    /// Parameter values for this document (override the schema's defaults).
    public var parameters: [String: ParameterValue]
    /// Stop collecting findings after this many (the result is marked truncated).
    ///
    /// Default 10 000.
    public var maxFindings: Int
    /// The XPath operation budget per document (0: none).
    ///
    /// Default 0.
    public var operationLimit: UInt
    /// Record every rule firing (needed for SVRL).
    ///
    /// Default false.
    public var recordFiredRules: Bool
    /// Limits for documents read by `document()` and `@documents`.
    public var parseLimits: ParseLimits
    /// Measure the time of every expression (``ValidationResult/profile``).
    ///
    /// Default false; costs two clock readings per evaluation.
    public var profile: Bool
    /// Threads that may fire a pattern's rules at once, each on a slice of its nodes.
    ///
    /// Default 1. With more, a pattern whose contexts select at least twice
    /// ``minimumNodesPerThread`` nodes is checked in contiguous slices on up to this many
    /// threads, each with its own XPath context, and the slices' results are joined in
    /// document order: the result is the sequential one, finding for finding. When a slice
    /// reaches ``maxFindings`` or the operation budget, the pattern is checked again on one
    /// thread, so that what was checked never depends on scheduling. Keys that are not
    /// shared through the document's indexes are built once per thread.
    public var threads: Int
    /// The fewest nodes worth a thread of their own (default 512).
    public var minimumNodesPerThread: Int

    /// Creates options.
    public init(
      parameters: [String: ParameterValue] = [:], maxFindings: Int = 10_000, operationLimit: UInt = 0,
      recordFiredRules: Bool = false, parseLimits: ParseLimits = .default, profile: Bool = false,
      threads: Int = 1, minimumNodesPerThread: Int = 512
    ) {
      self.parameters = parameters
      self.maxFindings = maxFindings
      self.operationLimit = operationLimit
      self.recordFiredRules = recordFiredRules
      self.parseLimits = parseLimits
      self.profile = profile
      self.threads = threads
      self.minimumNodesPerThread = minimumNodesPerThread
    }
  }

  /// The schema.
  public let schema: CompiledSchema

  /// Creates an evaluator for `schema`.
  public init(_ schema: CompiledSchema) { self.schema = schema }

  /// Checks `document`.
  public func validate(_ document: Document, options: Options = Options()) -> ValidationResult {
    let run = DocumentRun(schema: schema, document: document, options: options)
    return run.execute()
  }
}

/// A value handed to other threads that touch only their own part of it.
struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

/// The state of checking one document: its XPath context, compiled expressions, key indexes.
final class DocumentRun {
  let schema: CompiledSchema
  let document: Document
  let options: Evaluator.Options
  var findings: [SchematronFinding] = []
  var failures: [EvaluationFailure] = []
  var firedRules: [FiredRule] = []
  var truncated = false
  /// Set when the XPath operation budget ran out: the rest of the document is not checked.
  var budgetExhausted = false
  /// libxml2's code for an exceeded operation budget (XML_XPATH_EXPRESSION_OK + XPATH_OP_LIMIT_EXCEEDED).
  static let operationLimitCode = 1225
  var appliedRules = Set<ValidationResult.RuleReference>()
  /// Time per expression, by where it is written and what it is (only with `options.profile`).
  var profile: [ProfileEntry.Key: ProfileEntry] = [:]

  /// Runs `body`, adding its time to the entry for `key` when profiling.
  @inline(__always)
  func timed<T>(_ key: @autoclosure () -> ProfileEntry.Key, _ body: () throws -> T) rethrows -> T {
    guard options.profile else { return try body() }
    let start = DispatchTime.now().uptimeNanoseconds
    defer {
      let elapsed = DispatchTime.now().uptimeNanoseconds &- start
      let key = key()
      profile[key, default: ProfileEntry(key: key)].record(elapsed)
    }
    return try body()
  }
  /// Values of schema and phase lets, set again on every context created.
  var globals: [(String, XPathValue)] = []
  private var contexts: [ObjectIdentifier: Session] = [:]

  /// An XPath context for one document plus its compiled expressions.
  final class Session {
    let context: XPathContext
    let environment: FunctionEnvironment
    var expressions: [String: XPathExpression] = [:]

    /// A binding to undo: the variable and the value it had.
    typealias Saved = (XPathContext.Variable, XPathContext.PreviousValue)

    /// Sets `name` for good (a parameter, a schema `let`).
    func set(_ name: String, _ value: XPathValue) {
      context.setVariable(name, value)
    }

    /// Sets `name`; returns what to restore afterwards (with ``unbind(_:)``).
    func bind(_ name: String, _ value: XPathValue) -> Saved {
      let variable = context.variable(QualifiedName(name))
      return (variable, context.bind(variable, to: value))
    }

    /// Undoes bindings, most recent first.
    func unbind(_ saved: [Saved]) {
      for (variable, previous) in saved.reversed() { context.restore(variable, previous) }
    }

    /// The handles of the schema's rule `let`s, by ``CompiledSchema/variableNames`` number.
    private var variables: [XPathContext.Variable?] = []

    /// The handle of rule `let` number `number`.
    func variable(_ number: Int, of schema: CompiledSchema) -> XPathContext.Variable {
      if variables.isEmpty { variables = Array(repeating: nil, count: schema.variableNames.count) }
      if let variable = variables[number] { return variable }
      let variable = context.variable(QualifiedName(schema.variableNames[number]))
      variables[number] = variable
      return variable
    }

    init(context: XPathContext, environment: FunctionEnvironment) {
      self.context = context
      self.environment = environment
    }

    /// Expressions rewritten by the lookup optimizer: original → evaluated source.
    var rewritten: [String: String] = [:]
    /// Per-document indexes of the lookups, built on first use.
    var lookupIndexes: [Int: KeyIndex] = [:]

    /// Compiled expressions by slot (``CompiledSchema/expressionSources``).
    var slots: [XPathExpression?] = []

    func compiled(slot: Int, of schema: CompiledSchema) throws -> XPathExpression {
      if let expression = slots[slot] { return expression }
      let expression = try compiled(schema.expressionSources[slot])
      slots[slot] = expression
      return expression
    }

    /// The paths of ``CompiledSchema/paths`` and ``CompiledSchema/childPaths`` compiled as
    /// written, by source, for the fallbacks of `nci:path` and `nci:children`.
    var pathsAsWritten: [String: XPathExpression] = [:]

    /// How many elements an element must contain to be evaluated at in wide forms.
    ///
    /// See ``ChildPathOptimizer``. In a smaller subtree, libxml2's walk over the children
    /// costs less than the call that replaces it.
    static let wideSubtree = 64
    /// The wide forms (``CompiledSchema/wide`` and ``CompiledSchema/wideInvariants``).
    var wide: [String: String] = [:]
    var wideInvariants: [String: InvariantHoister.Plan] = [:]
    /// Wide forms compiled, by original source.
    private var wideExpressions: [String: XPathExpression] = [:]

    /// The expression of `slot` to evaluate at `node`: its wide form at an element with a large
    /// subtree, when it has one.
    func compiled(slot: Int, of schema: CompiledSchema, at node: Node) throws -> XPathExpression {
      if schema.wideSlots[slot], let size = node.descendantElementCount, size >= Self.wideSubtree {
        return try compiledWide(schema.expressionSources[slot])
      }
      return try compiled(slot: slot, of: schema)
    }

    /// The expression of `source` to evaluate at `node`, as ``compiled(slot:of:at:)``.
    func compiled(_ source: String, at node: Node) throws -> XPathExpression {
      if let size = node.descendantElementCount, size >= Self.wideSubtree,
        wide[source] != nil || wideInvariants[source] != nil
      {
        return try compiledWide(source)
      }
      return try compiled(source)
    }

    private func compiledWide(_ source: String) throws -> XPathExpression {
      if let cached = wideExpressions[source] { return cached }
      let expression: XPathExpression
      if let plan = wideInvariants[source] {
        expression = try XPathExpression(instantiate(plan).description)
      } else {
        expression = try XPathExpression(wide[source] ?? rewritten[source] ?? source)
      }
      wideExpressions[source] = expression
      return expression
    }

    /// Expressions with parts computed once per document (``CompiledSchema/invariants``).
    var invariants: [String: InvariantHoister.Plan] = [:]

    func compiled(_ source: String) throws -> XPathExpression {
      if let cached = expressions[source] { return cached }
      let expression: XPathExpression
      if let plan = invariants[source] {
        expression = try XPathExpression(instantiate(plan).description)
      } else {
        expression = try XPathExpression(rewritten[source] ?? source)
      }
      expressions[source] = expression
      return expression
    }

    /// `plan` with its invariant parts evaluated on this document, at its document node; a
    /// part that fails or has no exact literal stays as written (and fails, if it does, where
    /// it is evaluated, as it would have).
    ///
    /// The parts are computed under a budget of their own (a tenth of the document's), not
    /// charged to the document's: whichever thread computes them, and however often, the
    /// budget runs out at the same place as when every expression is evaluated as written.
    private func instantiate(_ plan: InvariantHoister.Plan) -> XPathSyntax {
      let root = context.document.documentNode
      let budget = operationLimit == 0 ? 0 : max(1, operationLimit / 10)
      let literals = plan.parts.map { part -> XPathSyntax? in
        guard let expression = try? XPathExpression(part.description),
          let value = try? context.evaluate(expression, at: root, separateBudget: budget)
        else { return nil }
        return InvariantHoister.literal(for: value)
      }
      return InvariantHoister.instantiate(plan, literals: literals)
    }

    /// The document's operation budget (``Evaluator/Options/operationLimit``).
    var operationLimit: UInt = 0
  }

  init(schema: CompiledSchema, document: Document, options: Evaluator.Options) {
    self.schema = schema
    self.document = document
    self.options = options
  }

  func session(for document: Document) -> Session {
    if let existing = contexts[ObjectIdentifier(document)] { return existing }
    // A helper reads the document through a view of its own (see Document.view()).
    let context = XPathContext(document: isHelper ? document.view() : document, namespaces: schema.namespaces)
    context.operationLimit = options.operationLimit
    context.answersNatively = schema.answersNatively
    let environment = FunctionEnvironment(
      context: context, packDirectory: schema.packDirectory, vocabularies: schema.vocabularies,
      parseLimits: options.parseLimits)
    environment.availableFunctions = availableFunctionNames()
    let session = Session(context: context, environment: environment)
    session.slots = Array(repeating: nil, count: schema.expressionSources.count)
    environment.keyBuilder = { [unowned self, unowned session] name in try self.buildKey(name, in: session) }
    for definition in schema.functions.definitions.values {
      let body = definition.body
      if case .membership = definition.native {
        // A membership test returns a boolean (see FunctionDefinition.NativeAnswer.membership).
        context.register(function: definition.name) { [unowned environment] call in
          .boolean(try body(call, environment).booleanValue)
        }
      } else {
        context.register(function: definition.name) { [unowned environment] call in
          try body(call, environment)
        }
      }
      switch definition.native {
      case .membership(let sets):
        context.register(membership: definition.name) { [unowned environment] name in sets(name, environment) }
      case .firstOfEachStringValue:
        context.register(firstOfEachStringValue: definition.name)
      case nil:
        break
      }
    }
    let current = QualifiedName("current")
    if context.hasFunction(current) { context.register(currentNode: current) }
    let key = QualifiedName("key")
    if context.hasFunction(key) {
      // Plain keys (shared attribute indexes) are answered without leaving libxml2's evaluation.
      context.register(indexedLookup: key) { [unowned environment] name in try environment.keyIndex(name)?.shared }
    }
    for (name, value) in globals { session.set(name, value) }
    session.rewritten = schema.rewritten
    session.invariants = schema.invariants
    session.wide = schema.wide
    session.wideInvariants = schema.wideInvariants
    session.operationLimit = options.operationLimit
    if !schema.paths.isEmpty || !schema.lookups.isEmpty || !schema.childPaths.isEmpty
      || !schema.distinctIndexes.isEmpty
    {
      // Bound once: binding a prefix again frees the URI that compiled expressions point to.
      context.bind(prefix: LookupOptimizer.prefix, to: LookupOptimizer.namespace)
    }
    if !schema.paths.isEmpty {
      let paths = schema.paths
      let name = registerAsWritten(PathOptimizer.function, paths.map(\.source), relative: false, in: session)
      context.register(paths: name) { number in paths.indices.contains(number) ? paths[number].path : nil }
    }
    if !schema.childPaths.isEmpty {
      let paths = schema.childPaths
      let name = registerAsWritten(ChildPathOptimizer.function, paths.map(\.source), relative: true, in: session)
      context.register(childPaths: name) { number in paths.indices.contains(number) ? paths[number].path : nil }
    }
    if !schema.distinctIndexes.isEmpty {
      let indexes = schema.distinctIndexes
      let name = registerAsWritten(DistinctOptimizer.function, indexes.map(\.source), relative: false, in: session)
      context.register(distinctValues: name) { number in
        indexes.indices.contains(number) ? indexes[number].request : nil
      }
    }
    if !schema.lookups.isEmpty {
      context.register(function: QualifiedName("lookup", namespace: LookupOptimizer.namespace)) {
        [unowned self, unowned session] call in
        try self.lookup(call, in: session)
      }
      // Lookups on plain paths are answered inside libxml2's evaluation from the shared index.
      context.register(indexedLookup: QualifiedName("lookup", namespace: LookupOptimizer.namespace)) {
        [unowned self, unowned session] name in
        guard let number = Int(name), schema.lookups.indices.contains(number) else { return nil }
        return self.sharedLookupIndex(number, in: session)
      }
    }
    contexts[ObjectIdentifier(document)] = session
    return session
  }

  /// Registers the internal function `function` as the expressions of `sources` as written;
  /// returns its name.
  ///
  /// Expression number N is evaluated at the call's context node, in the session's context: what
  /// a native answer falls back on (another document, a context it does not answer). Relative
  /// paths need the context node; absolute ones read only its document.
  private func registerAsWritten(
    _ function: XPathSyntax.Name, _ sources: [String], relative: Bool, in session: Session
  ) -> QualifiedName {
    let name = QualifiedName(function.local, namespace: LookupOptimizer.namespace)
    session.context.register(function: name) { [unowned session] call in
      guard let number = Int(call.arguments.first?.stringValue ?? ""), sources.indices.contains(number) else {
        throw XPathFunctionError("\(function): no path numbered '\(call.arguments.first?.stringValue ?? "")'")
      }
      if relative, call.contextNode == nil {
        throw XPathFunctionError("\(function): the context node of '\(sources[number])' cannot be read")
      }
      // Compiled as written (the session's own compiled form of that source may be this call).
      let source = sources[number]
      let expression = try session.pathsAsWritten[source] ?? XPathExpression(source)
      session.pathsAsWritten[source] = expression
      return try session.context.evaluate(expression, at: call.contextNode)
    }
    return name
  }

  private func availableFunctionNames() -> Set<String> {
    var names = Set<String>()
    let prefixes = Dictionary(grouping: schema.namespaces, by: \.value).mapValues { $0.map(\.key) }
    for name in schema.functions.definitions.keys {
      if name.namespace.isEmpty {
        names.insert(name.localName)
      } else {
        for prefix in prefixes[name.namespace] ?? [] { names.insert("\(prefix):\(name.localName)") }
      }
    }
    return names
  }

  func execute() -> ValidationResult {
    let main = session(for: document)
    // Parameters first (defaults, then this document's values), then schema and phase lets.
    var parameterValues = schema.parameters
    for (name, value) in options.parameters { parameterValues[name] = value }
    for (name, value) in parameterValues.sorted(by: { $0.key < $1.key }) {
      globals.append((name, value.xpathValue))
      main.set(name, value.xpathValue)
    }
    for binding in schema.resolved.lets {
      let value = timed(.init(binding, pattern: nil)) {
        evaluateLet(binding, at: document.documentNode, in: main, pattern: nil, rule: nil)
      }
      if let value {
        globals.append((binding.name, value))
        for other in contexts.values { other.set(binding.name, value) }
      }
    }
    for (patternIndex, pattern) in schema.resolved.patterns.enumerated() {
      // `current()` is empty outside a rule, whichever node was fired last (and whether
      // it was passed natively, see `countPassing`).
      main.environment.currentNode = nil
      if let documentsExpression = pattern.documents {
        for target in otherDocuments(documentsExpression, pattern: pattern, session: main) {
          run(patternIndex, on: target)
        }
      } else {
        run(patternIndex, on: document)
      }
      if truncated { break }
    }
    var result = ValidationResult(
      document: document.sourceName, phase: schema.resolved.phase, findings: findings, failures: failures,
      firedRules: firedRules, truncated: truncated)
    result.appliedRules = appliedRules
    result.stoppedByBudget = budgetExhausted
    result.parallelSlices = parallelSlices
    result.operationCount = contexts.values.reduce(0) { $0 + $1.context.operationCount }
    result.profile = profile.values.sorted { $0.nanoseconds > $1.nanoseconds }
    return result
  }

  /// The documents a pattern's `@documents` names, read relative to the checked document and
  /// only from its own directory.
  private func otherDocuments(_ expression: String, pattern: ResolvedPattern, session: Session) -> [Document] {
    let value: XPathValue
    do {
      value = try session.context.evaluate(session.compiled(expression), at: document.documentNode)
    } catch {
      fail(
        expression, error, node: document.documentNode, at: pattern.location, pattern: pattern, rule: nil,
        assertion: nil)
      return []
    }
    let base = URL(fileURLWithPath: document.sourceName).deletingLastPathComponent().standardizedFileURL
      .resolvingSymlinksInPath()
    var result: [Document] = []
    for uri in value.strings {
      let target = base.appendingPathComponent(uri).standardizedFileURL.resolvingSymlinksInPath()
      guard target.path.hasPrefix(base.path + "/"), URL(string: uri)?.scheme == nil || uri.hasPrefix("file:") else {
        let message = "'\(uri)' lies outside the checked document's directory and is not read"
        fail(
          expression, XPathFunctionError(message), node: document.documentNode, at: pattern.location, pattern: pattern,
          rule: nil, assertion: nil)
        continue
      }
      do {
        let other = try Document(contentsOfFile: target.path, limits: options.parseLimits)
        session.environment.documents[target.path] = other
        result.append(other)
      } catch {
        fail(
          expression, error, node: document.documentNode, at: pattern.location, pattern: pattern, rule: nil,
          assertion: nil)
      }
    }
    return result
  }

  private func run(_ patternIndex: Int, on target: Document) {
    let pattern = schema.resolved.patterns[patternIndex]
    let session = session(for: target)
    let context = session.context
    // Pattern lets, evaluated at the root (`current()` empty there, as for `@documents`).
    session.environment.currentNode = nil
    var patternVariables: [Session.Saved] = []
    var patternValues: [(String, XPathValue)] = []
    for binding in pattern.lets {
      let value = timed(.init(binding, pattern: pattern)) {
        evaluateLet(binding, at: target.documentNode, in: session, pattern: pattern, rule: nil)
      }
      if let value {
        patternVariables.append(session.bind(binding.name, value))
        patternValues.append((binding.name, value))
      }
    }
    defer { session.unbind(patternVariables) }

    // Each rule context once; the first rule to claim a node handles it. A pattern of one rule
    // fires on its context's nodes as selected (`only`), without a copy of that array.
    var claimed = Set<Node>()
    var firings: [(node: Node, rule: Int)] = []
    var only: (nodes: [Node], rule: Int)?
    for (ruleIndex, rule) in pattern.rules.enumerated() where !budgetExhausted {
      let branches = schema.contextBranches[patternIndex][ruleIndex]
      let plans = schema.contextPlans[patternIndex][ruleIndex]
      session.environment.currentNode = nil
      let nodes: [Node]
      do {
        nodes = try timed(.init(context: rule, pattern: pattern)) {
          try select(branches, plans: plans, in: session)
        }
      } catch {
        fail(
          rule.context, error, node: target.documentNode, at: rule.location, pattern: pattern, rule: rule,
          assertion: nil)
        continue
      }
      if pattern.rules.count == 1 {
        // One rule: its context's nodes are distinct already, no set needed.
        only = (nodes, ruleIndex)
      } else {
        for node in nodes where claimed.insert(node).inserted {
          firings.append((node, ruleIndex))
        }
      }
    }
    let all: Firings
    if let only {
      all = Firings(nodes: only.nodes, rules: nil, rule: only.rule)
    } else {
      let order = context.documentOrder(firings.map(\.node))
      let ruleOf = Dictionary(firings.map { ($0.node, $0.rule) }, uniquingKeysWith: { first, _ in first })
      all = Firings(nodes: order, rules: order.map { ruleOf[$0]! }, rule: 0)
    }
    fire(all, patternIndex: patternIndex, target: target, session: session, patternValues: patternValues)
  }

  /// The nodes a pattern's rules fire on, in document order, and the rule of each: a range of
  /// them (a slice fired on another thread is a range of the pattern's firings).
  struct Firings {
    let nodes: [Node]
    /// The rule of each node, or `nil` when every node's is ``rule``.
    let rules: [Int]?
    let rule: Int
    var range: Range<Int>

    init(nodes: [Node], rules: [Int]?, rule: Int) {
      self.nodes = nodes
      self.rules = rules
      self.rule = rule
      range = nodes.indices
    }

    var count: Int { range.count }

    /// The rule fired on `nodes[index]`.
    @inline(__always)
    func rule(at index: Int) -> Int { rules?[index] ?? rule }

    /// The end of the run of nodes from `index` on (within ``range``) that fire the same rule.
    func endOfRun(from index: Int) -> Int {
      guard let rules else { return range.upperBound }
      var end = index + 1
      while end < range.upperBound && rules[end] == rules[index] { end += 1 }
      return end
    }

    /// The firings of `nodes[slice]`.
    func slice(_ slice: Range<Int>) -> Firings {
      var copy = self
      copy.range = slice
      return copy
    }
  }

  /// Fires `firings`, in slices on other threads when there are enough of them.
  private func fire(
    _ firings: Firings, patternIndex: Int, target: Document, session: Session, patternValues: [(String, XPathValue)]
  ) {
    let slices = min(options.threads, firings.count / max(1, options.minimumNodesPerThread))
    if slices > 1, !budgetExhausted,
      fireInParallel(firings, slices: slices, patternIndex: patternIndex, target: target, patternValues: patternValues)
    {
      return
    }
    fire(firings, through: nil, patternIndex: patternIndex, target: target, session: session)
  }

  /// Runs that fire slices of a pattern's nodes on other threads (``Evaluator/Options/threads``),
  /// created on first use and kept for the rest of the document.
  private var helpers: [DocumentRun] = []
  /// Whether this run fires slices for another run, on another thread.
  private var isHelper = false

  /// Fires `firings` in `slices` contiguous slices at once and joins the results in order.
  ///
  /// Returns false, having changed nothing, when a slice was cut short by the findings limit
  /// or the operation budget, or when the slices together exceed either: the caller then
  /// fires the pattern sequentially, so that the result never depends on scheduling.
  private func fireInParallel(
    _ firings: Firings, slices: Int, patternIndex: Int, target: Document, patternValues: [(String, XPathValue)]
  ) -> Bool {
    let context = session(for: target).context
    var remainingOperations: UInt = 0
    if options.operationLimit > 0 {
      guard context.operationCount < options.operationLimit else { return false }
      remainingOperations = options.operationLimit - context.operationCount
    }
    let room = options.maxFindings - findings.count
    guard room > 0 else { return false }
    var helperOptions = options
    helperOptions.threads = 1
    helperOptions.maxFindings = room
    while helpers.count < slices {
      let helper = DocumentRun(schema: schema, document: document, options: helperOptions)
      helper.isHelper = true
      helper.globals = globals
      helpers.append(helper)
    }
    let documents = contexts.values.flatMap { $0.environment.documents.values }
    let bounds = (0...slices).map { firings.range.lowerBound + $0 * firings.count / slices }
    let limit = remainingOperations
    let work = UncheckedSendable(
      (helpers: helpers, firings: firings, documents: documents, values: patternValues, target: target))
    DispatchQueue.concurrentPerform(iterations: slices) { slice in
      let helper = work.value.helpers[slice]
      helper.fireSlice(
        work.value.firings.slice(bounds[slice]..<bounds[slice + 1]), patternIndex: patternIndex,
        target: work.value.target,
        patternValues: work.value.values, operationLimit: limit, documents: work.value.documents)
    }
    let used = helpers.prefix(slices)
    var operations: UInt = 0
    var produced = 0
    for helper in used {
      if helper.truncated || helper.budgetExhausted { return false }
      operations &+= helper.sliceOperations
      produced += helper.findings.count
    }
    if produced > room || (remainingOperations > 0 && operations > remainingOperations) { return false }
    for helper in used {
      let base = findings.count
      firedRules += helper.firedRules.map { fired in
        var fired = fired
        fired.firstFinding += base
        return fired
      }
      findings += helper.findings
      failures += helper.failures
      appliedRules.formUnion(helper.appliedRules)
      for (key, entry) in helper.profile { profile[key, default: ProfileEntry(key: key)].absorb(entry) }
    }
    context.charge(operations)
    parallelSlices += slices
    return true
  }

  /// Slices fired on other threads and kept.
  private var parallelSlices = 0
  /// Operations the last ``fireSlice`` used.
  private var sliceOperations: UInt = 0

  /// On a helper: fires one slice of a pattern with the pattern's lets bound as in the main run.
  private func fireSlice(
    _ firings: Firings, patternIndex: Int, target: Document,
    patternValues: [(String, XPathValue)], operationLimit: UInt, documents: [Document]
  ) {
    findings = []
    failures = []
    firedRules = []
    appliedRules = []
    profile = [:]
    truncated = false
    budgetExhausted = false
    let session = session(for: target)
    for other in documents { session.context.adopt(other) }
    session.context.operationLimit = operationLimit
    let bound = patternValues.map { session.bind($0.0, $0.1) }
    defer { session.unbind(bound) }
    fire(firings, through: session.context.document, patternIndex: patternIndex, target: target, session: session)
    sliceOperations = session.context.operationCount
  }

  /// Fires the rules of pattern `patternIndex` on `firings`, in order, reaching the nodes
  /// through `view` (a helper's view of the document) when given.
  private func fire(
    _ firings: Firings, through view: Document?, patternIndex: Int, target: Document, session: Session
  ) {
    let pattern = schema.resolved.patterns[patternIndex]
    let plansByRule = schema.stepPlans[patternIndex]
    let context = session.context
    // Rules made only of tests, none with a wide form: the nodes that pass every test with
    // answers given in Swift are skipped in one loop (`countPassing`), with the tests resolved
    // here once. Most nodes pass: this spares them the rule's general machinery (the current
    // node, variable bindings, compiled forms for wide subtrees, profiling). A test that does
    // not compile leaves its rule to the general way, which reports the error.
    let natively: [NativeTests?] = plansByRule.map { plans in
      guard !options.profile else { return nil }
      var checks: [(firesWhen: Bool, expression: XPathExpression)] = []
      for plan in plans {
        guard case .check(let firesWhen, let slot) = plan, !schema.wideSlots[slot],
          let expression = try? session.compiled(slot: slot, of: schema)
        else { return nil }
        checks.append((firesWhen, expression))
      }
      return context.nativeTests(checks)
    }
    var index = firings.range.lowerBound
    while index < firings.range.upperBound {
      let ruleIndex = firings.rule(at: index)
      let end = firings.endOfRun(from: index)
      appliedRules.insert(ValidationResult.RuleReference(pattern: patternIndex, rule: ruleIndex))
      let tests = natively[ruleIndex]
      while index < end {
        if let tests {
          let passed = context.countPassing(tests, of: firings.nodes, in: index..<end)
          if options.recordFiredRules {
            for _ in 0..<passed { recordFiring(patternIndex, ruleIndex, target: target) }
          }
          index += passed
          guard index < end else { break }
        }
        if options.recordFiredRules { recordFiring(patternIndex, ruleIndex, target: target) }
        let node = view.map { firings.nodes[index].through($0) } ?? firings.nodes[index]
        fire(ruleIndex, plans: plansByRule[ruleIndex], on: node, pattern: pattern, session: session)
        if truncated { return }
        index += 1
      }
    }
  }

  /// Records that rule `ruleIndex` of pattern `patternIndex` fired on a node, before its findings.
  private func recordFiring(_ patternIndex: Int, _ ruleIndex: Int, target: Document) {
    firedRules.append(
      FiredRule(
        patternIndex: patternIndex, ruleIndex: ruleIndex, firstFinding: findings.count, document: target.sourceName))
  }

  /// Fires rule `ruleIndex` of `pattern` on `node`.
  ///
  /// The rule is read from the pattern only where a step needs more than its plan (a failure,
  /// a finding, a profile, a `let` with content), so that the common case copies nothing.
  private func fire(
    _ ruleIndex: Int, plans: [CompiledSchema.StepPlan], on node: Node, pattern: ResolvedPattern, session: Session
  ) {
    var rule: ResolvedRule { pattern.rules[ruleIndex] }
    let context = session.context
    session.environment.currentNode = node
    var bound: [Session.Saved] = []
    defer { if !bound.isEmpty { session.unbind(bound) } }
    // The plans carry what every node needs; the step itself is read only to report.
    for index in plans.indices where !budgetExhausted {
      switch plans[index] {
      case .bind(let number, let slot):
        // Bound to libxml2's result as it is: no conversion to a Swift value and back.
        let variable = session.variable(number, of: schema)
        do {
          let previous: XPathContext.PreviousValue
          if options.profile, case .bind(let binding) = rule.steps[index] {
            previous = try timed(.init(binding, pattern: pattern)) {
              try context.bind(variable, toResultOf: session.compiled(slot: slot, of: schema, at: node), at: node)
            }
          } else {
            previous = try context.bind(
              variable, toResultOf: session.compiled(slot: slot, of: schema, at: node), at: node)
          }
          bound.append((variable, previous))
        } catch {
          if case .bind(let binding) = rule.steps[index] {
            fail(
              schema.expressionSources[slot], error, node: node, at: binding.location, pattern: pattern, rule: rule,
              assertion: nil)
          }
        }
      case .content:
        guard case .bind(let binding) = rule.steps[index] else { continue }
        if let value = evaluateLet(binding, at: node, in: session, pattern: pattern, rule: rule) {
          bound.append(session.bind(binding.name, value))
        }
      case .check(let firesWhen, let slot):
        let fired: Bool
        do {
          let holds: Bool
          if options.profile, case .check(let assertion) = rule.steps[index] {
            holds = try timed(.init(assertion, pattern: pattern)) {
              try context.evaluateBoolean(session.compiled(slot: slot, of: schema, at: node), at: node)
            }
          } else {
            holds = try context.evaluateBoolean(session.compiled(slot: slot, of: schema, at: node), at: node)
          }
          fired = holds == firesWhen
        } catch {
          guard case .check(let assertion) = rule.steps[index] else { continue }
          fail(
            assertion.test, error, node: node, at: assertion.location, pattern: pattern, rule: rule,
            assertion: assertion)
          continue
        }
        guard fired, case .check(let assertion) = rule.steps[index] else { continue }
        if findings.count >= options.maxFindings {
          truncated = true
          return
        }
        let finding = timed(.init(assertion, pattern: pattern, message: true)) {
          makeFinding(assertion, rule: rule, pattern: pattern, node: node, session: session)
        }
        findings.append(finding)
      }
    }
  }

  private func makeFinding(
    _ assertion: Assertion, rule: ResolvedRule, pattern: ResolvedPattern, node: Node, session: Session
  ) -> SchematronFinding {
    var subjectNode = node
    if let subject = assertion.subject ?? rule.subject {
      do {
        if let first = try session.context.evaluate(session.compiled(subject), at: node).nodes.first {
          subjectNode = first
        }
      } catch {
        fail(subject, error, node: node, at: assertion.location, pattern: pattern, rule: rule, assertion: assertion)
      }
    }
    let diagnostics = assertion.diagnostics.compactMap { id -> SchematronFinding.Reference? in
      guard let diagnostic = schema.schema.diagnostics[id] else { return nil }
      return .init(
        id: id, role: diagnostic.role,
        text: render(diagnostic.message, at: node, session: session, pattern: pattern, rule: rule, assertion: assertion)
      )
    }
    let properties = assertion.properties.compactMap { id -> SchematronFinding.Reference? in
      guard let property = schema.schema.properties[id] else { return nil }
      return .init(
        id: id, role: property.role,
        text: render(property.message, at: node, session: session, pattern: pattern, rule: rule, assertion: assertion))
    }
    return SchematronFinding(
      kind: assertion.kind, assertionID: assertion.id, ruleID: rule.id, patternID: pattern.id, role: assertion.role,
      flag: assertion.flag ?? rule.flag, severity: Severity(assertion: assertion, rule: rule), test: assertion.test,
      text: render(assertion.message, at: node, session: session, pattern: pattern, rule: rule, assertion: assertion),
      diagnostics: diagnostics, properties: properties, see: assertion.see, icon: assertion.icon, fpi: assertion.fpi,
      location: NodeLocation(subjectNode), ruleContext: rule.context, schemaLocation: assertion.location)
  }

  /// Renders message parts against the context node; whitespace is normalized.
  func render(
    _ parts: [MessagePart], at node: Node, session: Session, pattern: ResolvedPattern, rule: ResolvedRule?,
    assertion: Assertion?
  ) -> String {
    var text = ""
    func append(_ parts: [MessagePart]) {
      for part in parts {
        switch part {
        case .text(let value): text += value
        case .valueOf(let select):
          do {
            text += try session.context.evaluate(session.compiled(select), at: node).stringValue
          } catch {
            fail(
              select, error, node: node, at: assertion?.location ?? pattern.location, pattern: pattern, rule: rule,
              assertion: assertion)
          }
        case .name(let path):
          if let path {
            do {
              text += try session.context.evaluate(session.compiled(path), at: node).nodes.first?.name ?? ""
            } catch {
              fail(
                path, error, node: node, at: assertion?.location ?? pattern.location, pattern: pattern, rule: rule,
                assertion: assertion)
            }
          } else {
            text += node.name
          }
        case .emph(let inner), .dir(_, let inner), .span(_, let inner): append(inner)
        }
      }
    }
    append(parts)
    return text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
  }

  private func evaluateLet(
    _ binding: Let, at node: Node, in session: Session, pattern: ResolvedPattern?, rule: ResolvedRule?
  ) -> XPathValue? {
    switch binding.value {
    case .expression(let source):
      do {
        return try session.context.evaluate(session.compiled(source), at: node)
      } catch {
        fail(source, error, node: node, at: binding.location, pattern: pattern, rule: rule, assertion: nil)
        return nil
      }
    case .content(let xml):
      do {
        let fragment = try Document(string: "<normcheck-let>\(xml)</normcheck-let>", sourceName: binding.location.file)
        session.context.adopt(fragment)
        session.environment.documents["let:\(binding.name):\(session.environment.documents.count)"] = fragment
        return .nodeSet(fragment.rootElement?.children ?? [])
      } catch {
        fail(binding.name, error, node: node, at: binding.location, pattern: pattern, rule: rule, assertion: nil)
        return nil
      }
    }
  }

  private func fail(
    _ expression: String, _ error: Error, node: Node?, at location: SchemaLocation, pattern: ResolvedPattern?,
    rule: ResolvedRule?, assertion: Assertion?
  ) {
    if budgetExhausted { return }
    if let error = error as? XMLError, error.code == Self.operationLimitCode {
      // Every later expression would fail the same way: stop checking this document.
      budgetExhausted = true
      truncated = true
    }
    let message = (error as? XMLError)?.message ?? "\(error)"
    failures.append(
      EvaluationFailure(
        patternID: pattern?.id, ruleID: rule?.id, assertionID: assertion?.id, expression: expression, message: message,
        location: node.map(NodeLocation.init), schemaLocation: location))
  }

  /// Answers `nci:lookup(n, value)`: the nodes of lookup n whose attribute equals a string
  /// value of `value`, from an index built once per document.
  func lookup(_ call: XPathFunctionCall, in session: Session) throws -> XPathValue {
    let number = Int(call.arguments[0].numberValue)
    let lookup = schema.lookups[number]
    if let node = call.contextNode, !node.belongs(to: session.context.document) {
      // The indexes are of the session's document; elsewhere (a `let` fragment, a `document()`)
      // the expression is evaluated as written.
      return try session.context.evaluate(XPathExpression(lookup.original), at: node)
    }
    if lookup.siblingAxis != nil, let kind = call.contextNode?.kind, kind == .attribute || kind == .namespace {
      // Attributes and namespace nodes have no siblings (and a namespace node cannot be a
      // context node of the evaluation as written: its Node stands for its element).
      return .nodeSet([])
    }
    let strings: [String]
    switch call.arguments[1] {
    case .nodeSet(let nodes): strings = nodes.map(\.stringValue)
    case .string(let value): strings = [value]
    case .number, .boolean:
      // XPath compares numbers or booleans here, not strings: evaluate as written.
      return try session.context.evaluate(XPathExpression(lookup.original), at: call.contextNode)
    }
    let index = try lookupIndex(number, in: session)
    if let axis = lookup.siblingAxis {
      // Every element of that name is indexed; keep the context's earlier or later siblings,
      // as the native lookup does (XPathContext's sibling filter).
      guard let context = call.contextNode, context.kind == .element, let position = context.documentPosition,
        let parent = context.parent
      else {
        return try session.context.evaluate(XPathExpression(lookup.original), at: call.contextNode)
      }
      let before = axis == "preceding-sibling"
      let nodes = strings.flatMap { index[$0] }.filter { node in
        guard node.parent == parent, let other = node.documentPosition else { return false }
        return before ? other < position : other > position
      }
      return .nodeSet(strings.count == 1 ? nodes : session.context.documentOrder(nodes))
    }
    if strings.count == 1 { return .nodeSet(index[strings[0]]) }
    return .nodeSet(session.context.documentOrder(strings.flatMap { index[$0] }))
  }

  /// The document's shared attribute index for lookup `number`, selecting the context's
  /// siblings for a sibling lookup; `nil` when its path cannot be answered from the element
  /// index (the lookup then builds an index of its own).
  private func sharedLookupIndex(_ number: Int, in session: Session) -> AttributeIndex? {
    guard let request = schema.indexRequest(forLookup: number) else { return nil }
    // The same index serves every lookup, key and pack that asks for this path and attribute.
    let index = session.context.document.attributeIndex(of: request.paths, attribute: request.attribute)
    switch schema.lookups[number].siblingAxis {
    case nil: return index
    case "preceding-sibling": return index.selecting(.precedingSiblings)
    default: return index.selecting(.followingSiblings)
    }
  }

  private func lookupIndex(_ number: Int, in session: Session) throws -> KeyIndex {
    if let index = session.lookupIndexes[number] { return index }
    let lookup = schema.lookups[number]
    let namespace = lookup.attribute.prefix.flatMap { schema.namespaces[$0] }
    if let shared = sharedLookupIndex(number, in: session) {
      let index = KeyIndex(shared: shared)
      session.lookupIndexes[number] = index
      return index
    }
    let nodes = try session.context.evaluate(XPathExpression(lookup.path), at: session.context.document.documentNode)
      .nodes
    var index = KeyIndex()
    for node in nodes {
      if let value = node.attribute(lookup.attribute.local, namespace: namespace) {
        index.add(node, under: value)
      }
    }
    session.lookupIndexes[number] = index
    return index
  }

  /// The nodes of the union of `branches`, in document order, without duplicates.
  ///
  /// See ``CompiledSchema/contextBranches`` for why the union is not left to libxml2.
  /// Branches with a plan are answered from the document's element index (see ``ContextPlan``),
  /// the others by libxml2 from the document node.
  func select(_ branches: [String], plans: [ContextPlan?], in session: Session) throws -> [Node] {
    let document = session.context.document
    func nodes(_ index: Int) throws -> [Node] {
      guard let plan = plans[index] else {
        return try session.context.evaluate(session.compiled(branches[index]), at: document.documentNode).nodes
      }
      return try document.select(plan.path) { step, node in
        try session.context.evaluateBoolean(session.compiled(plan.predicates[step]!, at: node), at: node)
      }
    }
    if branches.count == 1 { return try nodes(0) }
    // The element index answers each planned branch in document order, without duplicates.
    if plans.allSatisfy({ $0 != nil }) {
      return session.context.documentOrder(mergingRuns: try branches.indices.map(nodes))
    }
    var all: [Node] = []
    for index in branches.indices { all += try nodes(index) }
    return session.context.documentOrder(all)
  }

  /// Builds the hash index of `xsl:key name`: every string value of `use` → matching nodes.
  func buildKey(_ name: String, in session: Session) throws -> KeyIndex? {
    guard let key = schema.keys[name] else { return nil }
    if let request = schema.indexRequest(forKey: name) {
      // A plain key (`match="a/b | c/d" use="@id"`): the document keeps it for every pack and
      // thread that asks.
      return KeyIndex(shared: session.context.document.attributeIndex(of: request.paths, attribute: request.attribute))
    }
    let saved = session.environment.currentNode
    defer { session.environment.currentNode = saved }
    let matched = try select(key.match, plans: key.matchPlans, in: session)
    var index = KeyIndex()
    if let attribute = key.attribute {
      for node in matched {
        if let value = node.attribute(attribute.local, namespace: attribute.namespace) {
          index.add(node, under: value)
        }
      }
      return index
    }
    let use = try session.compiled(key.use)
    for node in matched {
      session.environment.currentNode = node
      for value in try session.context.evaluate(use, at: node).strings {
        index.add(node, under: value)
      }
    }
    return index
  }
}
