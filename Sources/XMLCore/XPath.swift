internal import CLibXML2
import Foundation

/// A compiled XPath 1.0 expression: compile once, evaluate many times with an ``XPathContext``.
///
/// Not `Sendable`: libxml2 caches function look-ups inside the compiled form while
/// evaluating, so one expression must be used by one thread at a time.
public final class XPathExpression {
  /// The expression's source text.
  public let source: String
  /// The parsed form, for static checks (prefixes, functions, variables) by callers.
  public let syntax: XPathSyntax
  let compiled: xmlXPathCompExprPtr
  /// What of the expression is answered without libxml2 (see ``NativePlan``); `nil`: nothing.
  let nativeShape: NativeShape?
  /// The shape resolved in the context that last evaluated the expression (by its serial).
  ///
  /// Read at every native answer; an expression is used by one thread at a time and this is
  /// never accessed while another access is in progress, so it is not checked dynamically.
  @exclusivity(unchecked) var nativePlan: (context: Int, plan: NativePlan)?

  /// Compiles `source`.
  ///
  /// Function names, variables and prefixes are resolved when the expression is evaluated.
  /// - Throws: ``XMLError`` of kind `.xpathSyntax`, with the offset of the error in the message.
  public init(_ source: String) throws {
    LibXML2.ensureReady()
    self.source = source
    // Our own parser first: libxml2 accepts some malformed expressions (such as `count(`).
    self.syntax = try XPathSyntax.parse(source)
    self.nativeShape = NativeShape.of(syntax)
    guard let context = xmlXPathNewContext(nil) else {
      throw XMLError(
        kind: .xpathSyntax, message: "out of memory", location: SourceLocation(file: "", line: 0, column: 0),
        expression: source)
    }
    defer { xmlXPathFreeContext(context) }
    let collector = ErrorCollector()
    context.pointee.userData = Unmanaged.passUnretained(collector).toOpaque()
    context.pointee.error = xpathErrorHook
    let compiled = withExtendedLifetime(collector) { xmlXPathCtxtCompile(context, source) }
    guard let compiled else {
      throw collector.errors.first.map { error in
        var error = error
        error.kind = .xpathSyntax
        return error
      }
        ?? XMLError(
          kind: .xpathSyntax, message: "invalid XPath expression",
          location: SourceLocation(file: "", line: 0, column: 0),
          expression: source)
    }
    self.compiled = compiled
  }

  deinit {
    xmlXPathFreeCompExpr(compiled)
  }
}

/// What an extension function receives: its arguments and the context of the call.
public struct XPathFunctionCall {
  /// The evaluated arguments, in order.
  public var arguments: [XPathValue]
  /// The context node at the call (`.` inside the function call's step).
  public var contextNode: Node?
  /// The context in which the expression is being evaluated.
  public unowned let context: XPathContext
}

/// The body of an extension function.
///
/// A thrown error stops the evaluation and surfaces from ``XPathContext/evaluate(_:at:)`` as an ``XMLError`` of
/// kind `.extensionFunction`.
public typealias XPathFunction = (XPathFunctionCall) throws -> XPathValue

/// An error an extension function throws to report a problem in its own words.
public struct XPathFunctionError: Error, CustomStringConvertible, Sendable {
  /// The message.
  public var message: String
  /// Creates an error with `message`.
  public init(_ message: String) { self.message = message }
  /// The message.
  public var description: String { message }
}

/// A qualified name: namespace URI (empty: none) and local name.
public struct QualifiedName: Hashable, Sendable, CustomStringConvertible {
  /// The namespace URI, empty for none.
  public var namespace: String
  /// The local name.
  public var localName: String
  /// Creates a name.
  public init(_ localName: String, namespace: String = "") {
    self.namespace = namespace
    self.localName = localName
  }
  /// `{uri}local` or `local`.
  public var description: String { namespace.isEmpty ? localName : "{\(namespace)}\(localName)" }
}

/// Evaluates XPath 1.0 against one document, with caller-supplied namespace prefixes, variables and extension functions.
///
/// Use one context per document and thread.
public final class XPathContext {
  /// The document evaluated against.
  public let document: Document
  let context: xmlXPathContextPtr
  /// This context's number among all contexts ever made (see ``nativePlan(for:)``).
  let serial = XPathContext.serials.add(1, ordering: .relaxed).newValue
  /// Whether a few common shapes of expression (an attribute's value, a key's matches, a
  /// membership test) are answered without libxml2's evaluation, with the same results.
  ///
  /// Default true; false has libxml2 evaluate every expression, for comparisons.
  @exclusivity(unchecked) public var answersNatively = true
  private var functions: [QualifiedName: XPathFunction] = [:]
  /// Lookups answered from attribute indexes (``register(indexedLookup:_:)``).
  fileprivate var indexedLookups: [QualifiedName: (String) throws -> AttributeIndex?] = [:]
  /// Function and index name → its table, or `nil` when the lookup falls back to Swift for it.
  ///
  /// The tables are kept here, alive for the readers the lookups use.
  fileprivate var resolvedTables: [IndexedTableKey: (table: AttributeTable, selection: AttributeIndex.Selection)?] =
    [:]
  fileprivate struct IndexedTableKey: Hashable {
    var function: QualifiedName
    var index: String
  }
  /// The names of indexed lookups by the C strings of their calls.
  fileprivate var indexedLookupNames = CStringNameCache<QualifiedName>()
  /// An answer of ``indexedTable(name:uri:index:)`` with the addresses of the function's C
  /// strings it was asked with (a class: reading it copies no strings).
  fileprivate final class IndexedTableHit {
    let name: UnsafeRawPointer
    let uri: UnsafeRawPointer?
    let key: IndexedTableKey
    let resolved: (table: AttributeTable.Reader, selection: AttributeIndex.Selection)?
    init(
      name: UnsafeRawPointer, uri: UnsafeRawPointer?, key: IndexedTableKey,
      resolved: (table: AttributeTable.Reader, selection: AttributeIndex.Selection)?
    ) {
      self.name = name
      self.uri = uri
      self.key = key
      self.resolved = resolved
    }
  }
  /// The last table ``indexedTable(name:uri:index:)`` answered.
  fileprivate var lastIndexedTable: IndexedTableHit?
  /// Extension functions by the C strings of their calls: a call builds no Swift string.
  fileprivate var resolvedCalls = CStringNameCache<XPathFunction>()
  /// Variable values by ``Variable/slot``; `nil`: unset.
  ///
  /// Read and written at every rule that binds a variable, each access instantaneous (no
  /// evaluation runs inside one), on the context's one thread: not checked dynamically.
  @exclusivity(unchecked) private var variableValues: [xmlXPathObjectPtr?] = []
  /// Variable slots by name.
  private var variableSlots: [QualifiedName: Int] = [:]
  /// Variable slots by the C strings of compiled references: a reference builds no Swift
  /// string and hashes no name.
  fileprivate var resolvedVariableNames = CStringNameCache<Int>()
  /// Documents other than ``document`` whose nodes may appear in values (from `document()`).
  private var otherDocuments: [UnsafeMutableRawPointer: Document] = [:]
  fileprivate let collector = ErrorCollector()
  fileprivate var functionError: Error?
  /// Evaluations in progress on this context: more than one while an extension function
  /// evaluates expressions of its own (see `run`).
  private var evaluationDepth = 0

  /// Creates a context for `document`.
  ///
  /// `namespaces` maps prefixes to URIs; prefixes in the document itself are never used.
  public init(document: Document, namespaces: [String: String] = [:]) {
    LibXML2.ensureReady()
    self.document = document
    context = xmlXPathNewContext(document.pointer)!
    context.pointee.userData = Unmanaged.passUnretained(collector).toOpaque()
    context.pointee.error = xpathErrorHook
    let me = Unmanaged.passUnretained(self).toOpaque()
    xmlXPathRegisterFuncLookup(context, functionLookupHook, me)
    xmlXPathRegisterVariableLookup(context, variableLookupHook, me)
    for (prefix, uri) in namespaces { bind(prefix: prefix, to: uri) }
  }

  deinit {
    for case let object? in variableValues { xmlXPathFreeObject(object) }
    xmlXPathFreeContext(context)
  }

  /// Binds `prefix` to `uri` for the expressions evaluated in this context.
  public func bind(prefix: String, to uri: String) {
    xmlXPathRegisterNs(context, prefix, uri)
  }

  /// Sets the variable `name` (or removes it when `value` is `nil`).
  public func setVariable(_ name: QualifiedName, _ value: XPathValue?) {
    let slot = variable(name).slot
    if let old = variableValues[slot] { xmlXPathFreeObject(old) }
    variableValues[slot] = value.map(makeObject)
  }

  /// A variable of this context, found by name once: binding it through the handle hashes no
  /// name (see ``bind(_:toResultOf:at:)``).
  public struct Variable: Hashable, Sendable {
    let slot: Int
  }

  /// The value a variable had before it was bound, to give back with ``restore(_:_:)``.
  ///
  /// Owns that value until then: every one must be restored exactly once, most recent first,
  /// in the context that made it (as must the ``Variable`` handles). A value never restored
  /// is leaked; one restored twice is freed twice.
  public struct PreviousValue {
    fileprivate let object: xmlXPathObjectPtr?
  }

  /// The handle of the variable `name` (unset until bound or set).
  public func variable(_ name: QualifiedName) -> Variable {
    if let slot = variableSlots[name] { return Variable(slot: slot) }
    variableValues.append(nil)
    variableSlots[name] = variableValues.count - 1
    return Variable(slot: variableValues.count - 1)
  }

  /// Evaluates `expression` at `node` and binds `variable` to the result as libxml2 gave it,
  /// without converting it to an ``XPathValue`` and back (a rule's `let`, evaluated on every
  /// node the rule handles); returns the value it replaces.
  ///
  /// - Throws: as ``evaluate(_:at:)``; the variable is then left as it was.
  public func bind(
    _ variable: Variable, toResultOf expression: XPathExpression, at node: Node? = nil
  ) throws
    -> PreviousValue
  {
    let object =
      try nativeElement(node, for: expression).flatMap { valueObject($0.plan, at: $0.element) }
      ?? run(expression, at: node, discard: xmlXPathFreeObject) { xmlXPathCompiledEval($0, context) }
    defer { variableValues[variable.slot] = object }
    return PreviousValue(object: variableValues[variable.slot])
  }

  /// Binds `variable` to `value` (`nil`: unset); returns the value it replaces.
  public func bind(_ variable: Variable, to value: XPathValue?) -> PreviousValue {
    defer { variableValues[variable.slot] = value.map(makeObject) }
    return PreviousValue(object: variableValues[variable.slot])
  }

  /// Gives `variable` back the value it had before the binding that returned `previous`.
  public func restore(_ variable: Variable, _ previous: PreviousValue) {
    if let current = variableValues[variable.slot] { xmlXPathFreeObject(current) }
    variableValues[variable.slot] = previous.object
  }

  /// Sets the variable `$name` in no namespace.
  public func setVariable(_ name: String, _ value: XPathValue?) {
    setVariable(QualifiedName(name), value)
  }

  /// Registers an extension function under `name`; it shadows a built-in of the same name.
  public func register(function name: QualifiedName, _ body: @escaping XPathFunction) {
    functions[name] = body
    resolvedCalls = CStringNameCache()
  }

  /// The node that calls of the function registered with ``register(currentNode:)`` return:
  /// XSLT's `current()`, the node a rule is handling.
  public var currentNode: Node? {
    didSet {
      // A namespace node is its owner element plus a binding: only the Swift function has it.
      currentPointer = currentNode.flatMap { $0.namespaceBinding == nil ? $0.pointer : nil }
    }
  }
  @exclusivity(unchecked) fileprivate var currentPointer: xmlNodePtr?
  fileprivate var currentNodeFunction: QualifiedName?

  /// Answers calls `name()` with ``currentNode`` inside libxml2's evaluation, without a Swift
  /// function call per evaluation (XSLT's `current()`, called once per checked node and more).
  ///
  /// Calls with arguments, and a current node that libxml2 hands out as a copy (a namespace
  /// node), go to the function registered under the same `name`, which must exist and give the
  /// same answers.
  public func register(currentNode name: QualifiedName) {
    precondition(functions[name] != nil, "the current-node function needs a function of the same name to fall back on")
    currentNodeFunction = name
  }

  /// Whether a function of that name is registered here (built-ins are not listed).
  public func hasFunction(_ name: QualifiedName) -> Bool { functions[name] != nil }

  /// Answers calls `name(index, value)` from shared attribute indexes without converting
  /// their arguments and result to Swift values.
  ///
  /// `resolve(index)` names the index a call's first argument (a string) stands for; when it
  /// gives one and the second argument is a string or a single node, the call is answered
  /// from the index directly: the nodes whose attribute equals that string, in document order
  /// (XSLT's `key()` on a plain key), keeping only the context element's earlier or later
  /// siblings when the index is ``AttributeIndex/selecting(_:)`` them. Any other call (also
  /// a sibling selection whose context node is not a parsed element), and any call `resolve`
  /// answers with `nil` or an error, goes to the function registered under the same `name`,
  /// which must exist and give the same answers.
  public func register(
    indexedLookup name: QualifiedName, _ resolve: @escaping (String) throws -> AttributeIndex?
  ) {
    precondition(functions[name] != nil, "an indexed lookup needs a function of the same name to fall back on")
    indexedLookups[name] = resolve
  }

  /// The table of the indexed lookup `name` (a function's C strings) for the index named
  /// `index`; `nil` when the function is not an indexed lookup or the call falls back to Swift.
  ///
  /// The last answer is kept by the C strings' addresses and checked by content, so that the
  /// calls of one rule, which ask for the same index, build no Swift string and hash nothing.
  fileprivate func indexedTable(
    name: UnsafePointer<xmlChar>, uri: UnsafePointer<xmlChar>?, index: UnsafePointer<xmlChar>
  ) -> (table: AttributeTable.Reader, selection: AttributeIndex.Selection)? {
    if let last = lastIndexedTable, last.name == UnsafeRawPointer(name), last.uri == uri.map(UnsafeRawPointer.init),
      last.key.function.localName.withUTF8Bytes({ cStringEquals(name, $0) }),
      last.key.function.namespace.withUTF8Bytes({ cStringEquals(uri, $0) }),
      last.key.index.withUTF8Bytes({ cStringEquals(index, $0) })
    {
      return last.resolved
    }
    guard let function = indexedLookupNames.value(name: name, uri: uri, { indexedLookups[$0] == nil ? nil : $0 })
    else { return nil }
    let key = IndexedTableKey(function: function, index: String(cString: index))
    let resolved = indexedTable(function: function, index: key.index)
    let reader = resolved.flatMap { resolved in resolved.table.reader.map { ($0, resolved.selection) } }
    lastIndexedTable = IndexedTableHit(
      name: UnsafeRawPointer(name), uri: uri.map(UnsafeRawPointer.init), key: key, resolved: reader)
    return reader
  }

  /// The table and selection of the indexed lookup `function` for the index named `index`, as
  /// its calls resolve them; `nil` when such calls go to the Swift function (see
  /// ``NativePlan``).
  func indexedTable(
    function: QualifiedName, index: String
  ) -> (table: AttributeTable, selection: AttributeIndex.Selection)? {
    guard let resolve = indexedLookups[function] else { return nil }
    // Two functions may use the same index names (`key('0', …)` and the optimizer's lookups).
    let key = IndexedTableKey(function: function, index: index)
    if let known = resolvedTables[key] { return known }
    let resolved = (try? resolve(index)).flatMap { $0 }.map { ($0.table, $0.selection) }
    resolvedTables[key] = resolved
    return resolved
  }

  /// The set of the membership function `function` named `set`, as its calls resolve it; `nil`
  /// when the function is not a membership test or the Swift function answers (see
  /// ``NativePlan``).
  func membershipSet(function: QualifiedName, set: String) -> StringSet? {
    // An indexed lookup of the same name takes its calls (see `trampoline(for:)`).
    guard indexedLookups[function] == nil, let sets = memberships[function] else { return nil }
    let key = "\(function)\u{0}\(set)"
    if let known = membershipSets[key] { return known }
    let resolved = sets(set)
    membershipSets[key] = resolved
    return resolved
  }

  /// The slot of the variable `name`, if it was ever bound or set.
  func variableSlot(_ name: QualifiedName) -> Int? { variableSlots[name] }

  /// The current value of the variable in `slot`, as libxml2 holds it; `nil` when unset.
  func variableObject(slot: Int) -> xmlXPathObjectPtr? { variableValues[slot] }

  /// Whether libxml2 evaluates a call of `name` with its own built-in function: nothing this
  /// context registered takes it.
  func callsBuiltIn(_ name: QualifiedName) -> Bool { trampoline(for: name) == nil }

  /// What answers calls of `name` in this context: a native answer's trampoline, the Swift
  /// functions' trampoline, or `nil` for libxml2's built-in (what its function lookup is told).
  fileprivate func trampoline(for name: QualifiedName) -> xmlXPathFunction? {
    if indexedLookups[name] != nil { return indexedLookupTrampoline }
    if memberships[name] != nil { return membershipTrampoline }
    if distinctFunctions.contains(name) { return distinctTrampoline }
    if pathFunctions[name] != nil { return pathTrampoline }
    if distinctValueFunctions[name] != nil { return distinctValuesTrampoline }
    if childPathFunctions[name] != nil { return childPathTrampoline }
    if name == currentNodeFunction { return currentNodeTrampoline }
    return functions[name] == nil ? nil : functionTrampoline
  }

  /// Answers calls `name(value, set)` natively: whether the string value of `value` is in the
  /// ``StringSet`` that `sets` gives for the string `set`, without converting the arguments
  /// to Swift values (a vocabulary test on every node of a large document).
  ///
  /// A call whose second argument is not a string, or whose set `sets` does not give, goes to
  /// the function registered under the same `name`, which must exist and give the same answers
  /// (and report what is wrong).
  public func register(membership name: QualifiedName, _ sets: @escaping (String) -> StringSet?) {
    precondition(functions[name] != nil, "a membership test needs a function of the same name to fall back on")
    memberships[name] = sets
  }

  /// The set of the membership function named by libxml2's C strings for the set named `set`;
  /// the last answer kept by the strings' addresses and checked by content.
  fileprivate func membershipSet(
    name: UnsafePointer<xmlChar>, uri: UnsafePointer<xmlChar>?, set: UnsafePointer<xmlChar>
  ) -> StringSet? {
    if let last = lastMembership, last.name == UnsafeRawPointer(name), last.uri == uri.map(UnsafeRawPointer.init),
      cStringEquals(name, last.function.localName), cStringEquals(uri, last.function.namespace),
      cStringEquals(set, last.set)
    {
      return last.resolved
    }
    guard let function = membershipNames.value(name: name, uri: uri, { memberships[$0] == nil ? nil : $0 })
    else { return nil }
    let setName = String(cString: set)
    let resolved = membershipSet(function: function, set: setName)
    lastMembership = MembershipHit(
      name: UnsafeRawPointer(name), uri: uri.map(UnsafeRawPointer.init), function: function, set: setName,
      resolved: resolved)
    return resolved
  }

  /// Answers calls `name(node-set)` natively with the first node, in document order, of each
  /// distinct string value among the set's nodes (EXSLT's `set:distinct`), without converting
  /// the set to Swift values.
  ///
  /// Any other call (an argument that is not a node-set, a set with namespace nodes) goes to
  /// the function registered under the same `name`, which must exist and give the same answers.
  public func register(firstOfEachStringValue name: QualifiedName) {
    precondition(functions[name] != nil, "a native set:distinct needs a function of the same name to fall back on")
    distinctFunctions.insert(name)
  }

  /// Answers calls `name(n)` (`n` a string) natively with the nodes that `path(n)`, an
  /// absolute path without predicates (``ElementPath``), selects in the context node's
  /// document: from the document's element index, computed once per document.
  ///
  /// Any other call (a context node in another document, `n` not a number, `path` giving
  /// `nil` or a path with filtered steps) goes to the function registered under the same
  /// `name`, which must exist and give the same answers: the path as XPath evaluates it.
  public func register(paths name: QualifiedName, _ path: @escaping (Int) -> ElementPath?) {
    precondition(functions[name] != nil, "native paths need a function of the same name to fall back on")
    pathFunctions[name] = path
  }

  /// Answers calls `name(n)` (`n` a string) natively with the nodes that `path(n)`, a relative
  /// path of child steps without predicates (``ElementPath``, not absolute), selects from the
  /// context node: from the element index and the subtree the parser recorded for the context
  /// element, or by a walk over its children, whichever examines fewer nodes.
  ///
  /// Meant for context elements with many children, where libxml2 walks all of them for each
  /// step (a few sectors among 100 000 facilities). Any other call (a context node that is not
  /// an element of this context's document, a document that declares entities, `path` giving
  /// `nil` or an unsuitable path) goes to the function registered under the same `name`, which
  /// must exist and give the same answers: the path as XPath evaluates it.
  public func register(childPaths name: QualifiedName, _ path: @escaping (Int) -> ElementPath?) {
    precondition(functions[name] != nil, "native child paths need a function of the same name to fall back on")
    childPathFunctions[name] = path
  }

  /// Child paths by function (``register(childPaths:_:)``).
  var childPathFunctions: [QualifiedName: (Int) -> ElementPath?] = [:]
  /// The child paths of each function by the C strings of their calls, resolved.
  fileprivate var childPathNames = CStringNameCache<QualifiedName>()
  fileprivate var childPathCache: [QualifiedName: [Int: ElementPath?]] = [:]

  /// Path `number` of the child-path function named by libxml2's C strings; `nil` when there
  /// is none or it is not a relative path without predicates.
  fileprivate func childPath(
    name: UnsafePointer<xmlChar>, uri: UnsafePointer<xmlChar>?, number: UnsafePointer<xmlChar>
  ) -> ElementPath? {
    guard let function = childPathNames.value(name: name, uri: uri, { childPathFunctions[$0] == nil ? nil : $0 }),
      let index = Int(String(cString: number))
    else { return nil }
    if let known = childPathCache[function]?[index] { return known }
    let path = childPathFunctions[function]?(index).flatMap { $0.absolute || !$0.filtered.isEmpty ? nil : $0 }
    childPathCache[function, default: [:]][index] = path
    return path
  }

  /// Paths by function (``register(paths:_:)``).
  var pathFunctions: [QualifiedName: (Int) -> ElementPath?] = [:]
  /// Their names by the C strings of their calls.
  fileprivate var pathFunctionNames = CStringNameCache<QualifiedName>()
  /// Answers already given in this context, by function and number, as node pointers.
  fileprivate var pathAnswerCache: [QualifiedName: [Int: [xmlNodePtr]]] = [:]

  /// The answer of path `number` of the path function named by libxml2's C strings.
  fileprivate func pathAnswer(
    name: UnsafePointer<xmlChar>, uri: UnsafePointer<xmlChar>?, number: UnsafePointer<xmlChar>
  ) -> [xmlNodePtr]? {
    guard let function = pathFunctionNames.value(name: name, uri: uri, { pathFunctions[$0] == nil ? nil : $0 }),
      let index = Int(String(cString: number))
    else { return nil }
    if let known = pathAnswerCache[function]?[index] { return known }
    guard let path = pathFunctions[function]?(index), path.filtered.isEmpty else { return nil }
    let nodes = document.nodesSelected(by: path)
    pathAnswerCache[function, default: [:]][index] = nodes
    return nodes
  }

  /// Answers calls `name(n)` (`n` a string) natively with what `set:distinct(P1/@a | P2/@a …)` selects.
  ///
  /// `P1`, `P2` … are the paths of the index `index(n)` and `@a` its attribute; the answer is
  /// the attribute of the first element, in document order, of each distinct value of the
  /// attribute in the context node's document. Read from the document's shared ``AttributeIndex``, whose
  /// entries are the values in the order of their first element (collected while parsing when
  /// requested), so that a call costs one operation per distinct value, not a walk over every
  /// element's attributes.
  ///
  /// Any other call (a context node in another document, `index` giving `nil` or an attribute
  /// test that is not a name) goes to the function registered under the same `name`, which must
  /// exist and give the same answers: the `set:distinct` call as written.
  public func register(distinctValues name: QualifiedName, _ index: @escaping (Int) -> AttributeIndexRequest?) {
    precondition(functions[name] != nil, "native distinct values need a function of the same name to fall back on")
    distinctValueFunctions[name] = index
  }

  /// Indexes by function (``register(distinctValues:_:)``).
  fileprivate var distinctValueFunctions: [QualifiedName: (Int) -> AttributeIndexRequest?] = [:]
  /// Their names by the C strings of their calls.
  fileprivate var distinctValueNames = CStringNameCache<QualifiedName>()
  /// Answers already given in this context, by function and number, as attribute pointers.
  fileprivate var distinctValueCache: [QualifiedName: [Int: [xmlNodePtr]]] = [:]

  /// The answer of index `number` of the distinct-values function named by libxml2's C strings.
  fileprivate func distinctValues(
    name: UnsafePointer<xmlChar>, uri: UnsafePointer<xmlChar>?, number: UnsafePointer<xmlChar>
  ) -> [xmlNodePtr]? {
    guard
      let function = distinctValueNames.value(
        name: name, uri: uri, { distinctValueFunctions[$0] == nil ? nil : $0 }),
      let index = Int(String(cString: number))
    else { return nil }
    if let known = distinctValueCache[function]?[index] { return known }
    guard let request = distinctValueFunctions[function]?(index), request.attribute.localName != nil,
      !request.attribute.anyNamespace, request.paths.allSatisfy({ $0.filtered.isEmpty && $0.attribute == nil })
    else { return nil }
    let table = document.attributeIndex(of: request.paths, attribute: request.attribute).table
    let attributeTest = NameMatcher(request.attribute)
    var nodes: [xmlNodePtr] = []
    table.forEachFirst { element in
      var property = element.pointee.properties
      while let current = property {
        if attributeTest.matches(name: current.pointee.name, namespace: current.pointee.ns) {
          nodes.append(UnsafeMutableRawPointer(current).assumingMemoryBound(to: xmlNode.self))
          break
        }
        property = current.pointee.next
      }
    }
    distinctValueCache[function, default: [:]][index] = nodes
    return nodes
  }

  /// Functions registered with ``register(firstOfEachStringValue:)``.
  fileprivate var distinctFunctions: Set<QualifiedName> = []
  /// Their names by the C strings of their calls.
  fileprivate var distinctNames = CStringNameCache<Bool>()

  /// Membership functions (``register(membership:_:)``) by name.
  fileprivate var memberships: [QualifiedName: (String) -> StringSet?] = [:]
  /// Their names by the C strings of their calls.
  fileprivate var membershipNames = CStringNameCache<QualifiedName>()
  /// Sets by function and set name, as resolved (`nil`: the Swift function answers).
  fileprivate var membershipSets: [String: StringSet?] = [:]
  /// An answer of ``membershipSet(name:uri:set:)`` with the addresses of the C strings it was
  /// asked with.
  fileprivate final class MembershipHit {
    let name: UnsafeRawPointer
    let uri: UnsafeRawPointer?
    let function: QualifiedName
    let set: String
    let resolved: StringSet?
    init(name: UnsafeRawPointer, uri: UnsafeRawPointer?, function: QualifiedName, set: String, resolved: StringSet?) {
      self.name = name
      self.uri = uri
      self.function = function
      self.set = set
      self.resolved = resolved
    }
  }
  /// The last set ``membershipSet(name:uri:set:)`` answered.
  fileprivate var lastMembership: MembershipHit?

  /// Makes the nodes of `other` usable in values of this context (for `document()`).
  public func adopt(_ other: Document) {
    otherDocuments[UnsafeMutableRawPointer(other.pointer)] = other
  }

  /// A budget of XPath operations for all evaluations in this context (0: unlimited).
  ///
  /// Exceeding it fails the evaluation with an `.xpathEvaluation` error.
  public var operationLimit: UInt {
    get { UInt(context.pointee.opLimit) }
    set {
      context.pointee.opLimit = UInt(newValue)
      context.pointee.opCount = 0
    }
  }

  /// Operations counted against ``operationLimit`` so far.
  public var operationCount: UInt { UInt(context.pointee.opCount) }

  /// Counts `operations` done elsewhere (by other contexts on the same document's behalf)
  /// against this context's ``operationLimit``.
  public func charge(_ operations: UInt) {
    let (sum, overflow) = UInt(context.pointee.opCount).addingReportingOverflow(operations)
    context.pointee.opCount = overflow ? .max : numericCast(sum)
  }

  /// Evaluates `expression` under a budget of its own, `operationLimit` operations (0: no
  /// limit), leaving ``operationCount`` and ``operationLimit`` as they were: work done on the
  /// side (such as computing a value once for many evaluations) that must not change when the
  /// main budget runs out.
  public func evaluate(
    _ expression: XPathExpression, at node: Node? = nil, separateBudget operationLimit: UInt
  ) throws
    -> XPathValue
  {
    let (savedLimit, savedCount) = (context.pointee.opLimit, context.pointee.opCount)
    defer { (context.pointee.opLimit, context.pointee.opCount) = (savedLimit, savedCount) }
    context.pointee.opLimit = numericCast(operationLimit)
    context.pointee.opCount = 0
    return try evaluate(expression, at: node)
  }

  /// Evaluates `expression` with `node` as context node (default: the document node).
  ///
  /// - Throws: ``XMLError`` of kind `.xpathEvaluation` (unknown function, variable or prefix,
  ///   type error, budget exceeded) or `.extensionFunction` (a registered function threw).
  public func evaluate(_ expression: XPathExpression, at node: Node? = nil) throws -> XPathValue {
    if answersNatively, case .countOfCall = expression.nativeShape, let plan = nativePlan(for: expression),
      let count = nativeCount(plan, at: node?.pointer, charged: false)
    {
      return .number(Double(count))
    }
    let object = try run(expression, at: node, discard: xmlXPathFreeObject) { xmlXPathCompiledEval($0, context) }
    defer { xmlXPathFreeObject(object) }
    return value(of: object)
  }

  /// Evaluates `expression` and converts the result to a boolean, which can stop early.
  public func evaluateBoolean(_ expression: XPathExpression, at node: Node? = nil) throws -> Bool {
    if let (plan, element) = nativeElement(node, for: expression) {
      switch answer(plan, at: element) {
      case .yes: return true
      case .no: return false
      case .unknown: break
      }
    }
    return try run(expression, at: node, discard: { _ in }) { compiled -> Bool? in
      let result = xmlXPathCompiledEvalToBoolean(compiled, context)
      return result < 0 ? nil : result == 1
    }
  }

  /// The tests of a rule resolved for answers in Swift (see ``NativePlan``), once for all
  /// the nodes the rule fires on; `nil` when one of them has no native plan in this context.
  ///
  /// A test passes where its answer differs from its `firesWhen` (an assertion fires when its
  /// test is false, a report when it is true).
  public func nativeTests(_ tests: [(firesWhen: Bool, expression: XPathExpression)]) -> NativeTests? {
    guard answersNatively else { return nil }
    var plans: [NativePlan] = []
    var firesWhen: [Bool] = []
    for test in tests {
      guard let plan = nativePlan(for: test.expression) else { return nil }
      if case .opaque = plan { return nil }
      plans.append(plan)
      firesWhen.append(test.firesWhen)
    }
    return NativeTests(plans: plans, firesWhen: firesWhen)
  }

  /// How many nodes ahead ``countPassing(_:of:in:)`` fetches (``prefetchArenaSpan(from:to:maxLines:)``).
  private static let prefetchDistance = 16

  /// How many of `nodes[range]`, from its start, pass every one of `tests` with answers given
  /// in Swift: the nodes an evaluator need not fire its rule on.
  ///
  /// Stops at the first node where a test fires, where one must be left to libxml2, or where
  /// the operation budget has no room for the tests; each node passed is charged one operation
  /// per test, as ``evaluateBoolean(_:at:)`` would have charged them. The nodes' pointers only
  /// are read, in one loop: no reference counting per node or per test.
  public func countPassing(_ tests: NativeTests, of nodes: [Node], in range: Range<Int>) -> Int {
    guard answersNatively, !range.isEmpty else { return 0 }
    let documentPointer = document.pointer
    let perNode = UInt(tests.handles.count)
    return withExtendedLifetime(tests.boxes) {
      nodes.withUnsafeBufferPointer { nodes in
        tests.handles.withUnsafeBufferPointer { plans in
          tests.firesWhen.withUnsafeBufferPointer { firesWhen in
            var index = range.lowerBound
            nodes: while index < range.upperBound {
              let element = nodes[index].pointer
              // The tests read each element's attributes, which the parse laid out after it, up
              // to the next element selected (in the parse's arena, see ``ParseArena``): fetched
              // that far some nodes ahead, they are in the cache when their turn comes. At 100 000
              // facilities this halved the time of the loop (BENCHMARKS.md).
              if index + Self.prefetchDistance + 1 < range.upperBound {
                prefetchArenaSpan(
                  from: nodes[index + Self.prefetchDistance].pointer,
                  to: nodes[index + Self.prefetchDistance + 1].pointer)
              }
              guard element.pointee.type == XML_ELEMENT_NODE, element.pointee.doc == documentPointer else { break }
              let limit = context.pointee.opLimit
              if limit != 0 && context.pointee.opCount &+ perNode > limit { break }
              for test in 0..<plans.count {
                switch plans[test]._withUnsafeGuaranteedRef({ answer($0.plan, at: element) }) {
                case .yes: if firesWhen[test] { break nodes }
                case .no: if !firesWhen[test] { break nodes }
                case .unknown: break nodes
                }
              }
              if limit != 0 { charge(perNode) }
              index += 1
            }
            return index - range.lowerBound
          }
        }
      }
    }
  }

  /// The native plan of `expression` and the element `node` points to, when the plan may
  /// answer there: `node` is an element of this context's document, the expression has a plan
  /// here, and the operation budget has room for the one operation an answer is charged (else
  /// libxml2 evaluates, and reports the budget run out).
  @inline(__always)
  private func nativeElement(_ node: Node?, for expression: XPathExpression) -> (plan: NativePlan, element: xmlNodePtr)?
  {
    guard answersNatively, expression.nativeShape != nil, let element = node?.pointer,
      element.pointee.type == XML_ELEMENT_NODE,
      element.pointee.doc == document.pointer, let plan = nativePlan(for: expression)
    else { return nil }
    if context.pointee.opLimit != 0 {
      guard context.pointee.opCount < context.pointee.opLimit else { return nil }
      context.pointee.opCount += 1
    }
    return (plan, element)
  }

  /// Compiles and evaluates `source`; for one-off use.
  public func evaluate(_ source: String, at node: Node? = nil) throws -> XPathValue {
    try evaluate(XPathExpression(source), at: node)
  }

  /// Evaluates `expression` at `node` through `body`, which returns `nil` when libxml2 failed.
  ///
  /// Errors reported meanwhile (libxml2's, or an extension function's) are thrown, after
  /// `discard` has released what `body` returned. An extension function may evaluate
  /// expressions on this same context while an outer evaluation is in progress: the outer
  /// evaluation's state is then saved and restored around the inner one. The outermost
  /// evaluation, by far the most common, saves only the context node's fields.
  private func run<Result>(
    _ expression: XPathExpression, at node: Node?, discard: (Result) -> Void,
    _ body: (xmlXPathCompExprPtr) -> Result?
  ) throws -> Result {
    let outer = (
      node: context.pointee.node, doc: context.pointee.doc, size: context.pointee.contextSize,
      position: context.pointee.proximityPosition
    )
    let nested: (errors: [XMLError], functionError: Error?)? =
      evaluationDepth == 0 ? nil : (collector.errors, functionError)
    evaluationDepth += 1
    defer {
      evaluationDepth -= 1
      context.pointee.node = outer.node
      context.pointee.doc = outer.doc
      context.pointee.contextSize = outer.size
      context.pointee.proximityPosition = outer.position
      if let nested {
        collector.errors = nested.errors
        functionError = nested.functionError
      } else {
        if !collector.errors.isEmpty { collector.errors.removeAll() }
        functionError = nil
      }
    }
    if nested != nil {
      collector.errors.removeAll()
      functionError = nil
    }
    let contextPointer =
      node?.pointer ?? UnsafeMutableRawPointer(document.pointer).assumingMemoryBound(to: xmlNode.self)
    context.pointee.node = contextPointer
    context.pointee.doc = contextPointer.pointee.doc
    context.pointee.contextSize = 1
    context.pointee.proximityPosition = 1
    let result = withExtendedLifetime(self) { body(expression.compiled) }
    if functionError != nil || !collector.errors.isEmpty || result == nil {
      if let result { discard(result) }
      throw failure(of: expression, at: node ?? document.documentNode)
    }
    return result!
  }

  /// The error to throw for a failed evaluation of `expression` at `contextNode`.
  private func failure(of expression: XPathExpression, at contextNode: Node) -> Error {
    if let error = functionError {
      if let xmlError = error as? XMLError { return xmlError }
      return XMLError(
        kind: .extensionFunction, message: "\(error)", location: contextNode.location,
        expression: expression.source)
    }
    if var first = collector.errors.first {
      first.kind = .xpathEvaluation
      first.location = contextNode.location
      first.expression = expression.source
      return first
    }
    return XMLError(
      kind: .xpathEvaluation, message: "the expression could not be evaluated", location: contextNode.location,
      expression: expression.source)
  }

  // MARK: Conversions between libxml2 objects and XPathValue

  func value(of object: xmlXPathObjectPtr) -> XPathValue {
    switch object.pointee.type {
    case XPATH_NODESET, XPATH_XSLT_TREE:
      guard let set = object.pointee.nodesetval, set.pointee.nodeNr > 0, let table = set.pointee.nodeTab else {
        return .nodeSet([])
      }
      var nodes: [Node] = []
      nodes.reserveCapacity(Int(set.pointee.nodeNr))
      for index in 0..<Int(set.pointee.nodeNr) {
        if let node = table[index], let wrapped = wrap(node) { nodes.append(wrapped) }
      }
      return .nodeSet(nodes)
    case XPATH_BOOLEAN: return .boolean(object.pointee.boolval != 0)
    case XPATH_NUMBER: return .number(object.pointee.floatval)
    case XPATH_STRING: return .string(object.pointee.stringval.map { String(cString: $0) } ?? "")
    default: return .string("")
    }
  }

  private func wrap(_ node: xmlNodePtr) -> Node? {
    if node.pointee.type == XML_NAMESPACE_DECL {
      // libxml2 hands out copies of namespace nodes whose `next` is the owner element.
      let ns = UnsafeMutableRawPointer(node).assumingMemoryBound(to: xmlNs.self)
      guard let owner = ns.pointee.next else { return nil }
      let element = UnsafeMutableRawPointer(owner).assumingMemoryBound(to: xmlNode.self)
      guard let document = owningDocument(element) else { return nil }
      let binding = Node.NamespaceBinding(
        prefix: ns.pointee.prefix.map { String(cString: $0) } ?? "",
        uri: ns.pointee.href.map { String(cString: $0) } ?? "")
      return Node(document: document, pointer: element, namespaceBinding: binding)
    }
    guard let document = owningDocument(node) else { return nil }
    return Node(document: document, pointer: node)
  }

  private func owningDocument(_ node: xmlNodePtr) -> Document? {
    let doc =
      node.pointee.type == XML_DOCUMENT_NODE
      ? UnsafeMutableRawPointer(node) : node.pointee.doc.map(UnsafeMutableRawPointer.init)
    guard let doc else { return nil }
    if doc == UnsafeMutableRawPointer(document.pointer) { return document }
    return otherDocuments[doc]
  }

  func makeObject(_ value: XPathValue) -> xmlXPathObjectPtr {
    switch value {
    case .boolean(let boolean): return xmlXPathNewBoolean(boolean ? 1 : 0)
    case .number(let number): return xmlXPathNewFloat(number)
    case .string(let string): return xmlXPathNewString(string)
    case .nodeSet(let nodes):
      let object = xmlXPathNewNodeSet(nil)!
      let set = object.pointee.nodesetval!
      for node in nodes {
        if node.document !== document { adopt(node.document) }
        if let binding = node.namespaceBinding {
          if let ns = xmlSearchNs(node.pointer.pointee.doc, node.pointer, binding.prefix.isEmpty ? nil : binding.prefix)
          {
            xmlXPathNodeSetAddNs(set, node.pointer, ns)
          }
        } else {
          xmlXPathNodeSetAddUnique(set, node.pointer)
        }
      }
      if nodes.count > 1 { xmlXPathNodeSetSort(set) }
      return object
    }
  }

  // MARK: Callbacks

  /// The function named by libxml2's C strings for the call in progress.
  fileprivate func resolveCall(name: UnsafePointer<xmlChar>, uri: UnsafePointer<xmlChar>?) -> XPathFunction? {
    resolvedCalls.value(name: name, uri: uri) { functions[$0] }
  }

  fileprivate func lookupVariable(name: UnsafePointer<xmlChar>, uri: UnsafePointer<xmlChar>?) -> xmlXPathObjectPtr? {
    guard let slot = resolvedVariableNames.value(name: name, uri: uri, { variableSlots[$0] }) else { return nil }
    return variableValues[slot].map { xmlXPathObjectCopy($0) }
  }

  fileprivate func call(_ function: XPathFunction, parser: xmlXPathParserContextPtr, arity: Int) {
    var arguments: [XPathValue] = []
    arguments.reserveCapacity(arity)
    for _ in 0..<arity {
      guard let object = valuePop(parser) else {
        xmlXPathErr(parser, Int32(XPATH_STACK_ERROR.rawValue))
        return
      }
      arguments.append(value(of: object))
      xmlXPathFreeObject(object)
    }
    arguments.reverse()
    let contextNode = parser.pointee.context.pointee.node.flatMap { wrap($0) }
    do {
      let result = try function(XPathFunctionCall(arguments: arguments, contextNode: contextNode, context: self))
      valuePush(parser, makeObject(result))
    } catch {
      if functionError == nil { functionError = error }
      xmlXPathErr(parser, Int32(XPATH_EXPR_ERROR.rawValue))
    }
  }
}

/// Collects errors reported through a libxml2 structured error callback.
final class ErrorCollector {
  var errors: [XMLError] = []
}

private let xpathErrorHook: xmlStructuredErrorFunc = { userData, error in
  guard let userData, let error else { return }
  let collector = Unmanaged<ErrorCollector>.fromOpaque(userData).takeUnretainedValue()
  var record = XMLError(libxml: error.pointee, fallbackFile: "", kind: .xpathEvaluation)
  if error.pointee.message == nil { record.message = xpathMessage(code: Int(error.pointee.code)) }
  let expression = error.pointee.str1.map { String(cString: $0) }
  if let expression {
    record.expression = expression
    record.message += " at offset \(error.pointee.int1)"
  }
  collector.errors.append(record)
}

private let functionLookupHook: xmlXPathFuncLookupFunc = { data, name, uri in
  guard let data, let name else { return nil }
  let context = Unmanaged<XPathContext>.fromOpaque(data).takeUnretainedValue()
  return context.trampoline(
    for: QualifiedName(String(cString: name), namespace: uri.map { String(cString: $0) } ?? ""))
}

/// Runs a native answer of the extension function being called (`answer` gives whether it
/// answered), and otherwise calls the Swift function registered under its name.
///
/// `answer` receives the parser, its XPath context, the ``XPathContext`` that owns it and the
/// function's name; it must leave the stack as libxml2 expects when it answers (or report an
/// error), and untouched when it does not.
@inline(__always)
private func answerNatively(
  _ parser: xmlXPathParserContextPtr?, _ arity: Int32,
  _ answer: (xmlXPathParserContextPtr, xmlXPathContextPtr, XPathContext, UnsafePointer<xmlChar>) -> Bool
) {
  guard let parser, let context = parser.pointee.context, let data = context.pointee.funcLookupData,
    let name = context.pointee.function
  else { return }
  let owner = Unmanaged<XPathContext>.fromOpaque(data).takeUnretainedValue()
  if answer(parser, context, owner, name) { return }
  guard let function = owner.resolveCall(name: name, uri: context.pointee.functionURI) else {
    xmlXPathErr(parser, Int32(XPATH_UNKNOWN_FUNC_ERROR.rawValue))
    return
  }
  owner.call(function, parser: parser, arity: Int(arity))
}

/// The `k`th argument from the top of the parser's value stack (0 is the last argument), or
/// `nil` when the stack holds fewer.
@inline(__always)
private func argument(_ parser: xmlXPathParserContextPtr, fromTop k: Int) -> xmlXPathObjectPtr? {
  let count = Int(parser.pointee.valueNr)
  guard count > k, let stack = parser.pointee.valueTab else { return nil }
  return stack[count - 1 - k]
}

/// Frees the call's `count` arguments and pushes `result` in their place: what libxml2
/// expects of a function that answered.
@inline(__always)
private func replaceArguments(_ parser: xmlXPathParserContextPtr, count: Int, with result: xmlXPathObjectPtr?) -> Bool {
  for _ in 0..<count { xmlXPathFreeObject(valuePop(parser)) }
  valuePush(parser, result)
  return true
}

/// `current()` answered with the context's current node (see `register(currentNode:)`), or by
/// the Swift function of the same name.
private let currentNodeTrampoline: xmlXPathFunction = { parser, arity in
  answerNatively(parser, arity) { parser, context, owner, name in
    // libxml2 caches the function in the compiled expression: check that this context answers.
    if arity == 0, owner.currentNodeFunction != nil, owner.currentNode == nil || owner.currentPointer != nil {
      valuePush(parser, xmlXPathNewNodeSet(owner.currentPointer))
      return true
    }
    return false
  }
}

/// `name(index, value)` answered from an attribute index (see `register(indexedLookup:_:)`),
/// or by the Swift function of the same name.
private let indexedLookupTrampoline: xmlXPathFunction = { parser, arity in
  answerNatively(parser, arity) { parser, context, owner, name in
    if arity == 2, let value = argument(parser, fromTop: 0), let index = argument(parser, fromTop: 1),
      index.pointee.type == XPATH_STRING, let indexName = index.pointee.stringval,
      // The index is of this context's document: a context node elsewhere (in a `let` fragment,
      // a `document()`) is left to the Swift function.
      // (A namespace node is libxml2's smaller xmlNs: its `doc` is not read.)
      context.pointee.node.map({ $0.pointee.type != XML_NAMESPACE_DECL && $0.pointee.doc == owner.document.pointer })
        ?? true,
      let (table, selection) = owner.indexedTable(name: name, uri: context.pointee.functionURI, index: indexName),
      let keep = siblingFilter(selection, context: context.pointee.node),
      let result = withLookupBytes(
        value,
        { key, count in
          let result = xmlXPathNewNodeSet(nil)!
          table.forEach(key, count: count) { element in
            if keep(element) { xmlXPathNodeSetAddUnique(result.pointee.nodesetval, element) }
          }
          return result
        })
    {
      return replaceArguments(parser, count: 2, with: result)
    }
    return false
  }
}

/// `name(value, set)` answered by a ``StringSet`` (see `register(membership:_:)`), or by the
/// Swift function of the same name.
private let membershipTrampoline: xmlXPathFunction = { parser, arity in
  answerNatively(parser, arity) { parser, context, owner, name in
    if arity == 2, let setName = argument(parser, fromTop: 0), let value = argument(parser, fromTop: 1),
      setName.pointee.type == XPATH_STRING, let setNameText = setName.pointee.stringval,
      let set = owner.membershipSet(name: name, uri: context.pointee.functionURI, set: setNameText),
      let found = withStringValueBytes(value, { set.contains(bytes: $0, count: $1) })
    {
      return replaceArguments(parser, count: 2, with: xmlXPathNewBoolean(found ? 1 : 0))
    }
    return false
  }
}

/// `name(n)` answered with the nodes of an absolute path (see `register(paths:_:)`), or by the
/// Swift function of the same name.
private let pathTrampoline: xmlXPathFunction = { parser, arity in
  answerWithDocumentNodes(parser, arity) { owner, name, uri, number in
    owner.pathAnswer(name: name, uri: uri, number: number)
  }
}

/// `name(n)` answered with the first attribute of each distinct value (see
/// `register(distinctValues:_:)`), or by the Swift function of the same name.
private let distinctValuesTrampoline: xmlXPathFunction = { parser, arity in
  answerWithDocumentNodes(parser, arity) { owner, name, uri, number in
    owner.distinctValues(name: name, uri: uri, number: number)
  }
}

/// Answers `name(n)` (`n` a string) with the nodes `nodes` gives for the call's name, namespace
/// URI and `n`, in the evaluation's own document; any other call goes to the Swift function.
///
/// The nodes are read from the context's document: `/` is the root of the evaluation's
/// document (libxml2's `xmlXPathRoot` reads the context's `doc`), so another document's is left
/// to Swift. One operation is charged per node answered (libxml2 would have charged at least
/// that, and more for the nodes it walked past).
@inline(__always)
private func answerWithDocumentNodes(
  _ parser: xmlXPathParserContextPtr?, _ arity: Int32,
  _ nodes: (XPathContext, UnsafePointer<xmlChar>, UnsafePointer<xmlChar>?, UnsafePointer<xmlChar>) -> [xmlNodePtr]?
) {
  answerNatively(parser, arity) { parser, context, owner, name in
    guard arity == 1, let given = argument(parser, fromTop: 0), given.pointee.type == XPATH_STRING,
      let number = given.pointee.stringval, context.pointee.doc == owner.document.pointer,
      let answer = nodes(owner, name, context.pointee.functionURI, number)
    else { return false }
    guard charge(parser, context, answer.count) else { return true }
    let result = xmlXPathNewNodeSet(nil)!
    for node in answer { xmlXPathNodeSetAddUnique(result.pointee.nodesetval, node) }
    return replaceArguments(parser, count: 1, with: result)
  }
}

/// Charges `operations` to the evaluation's operation budget, as libxml2 charges its own
/// steps, so that an expression that calls a native answer over and over still runs out of
/// budget (if later than as written); `false`, with libxml2's error raised, when it has run out.
private func charge(_ parser: xmlXPathParserContextPtr, _ context: xmlXPathContextPtr, _ operations: Int) -> Bool {
  guard context.pointee.opLimit != 0 else { return true }
  let (count, overflow) = context.pointee.opCount.addingReportingOverflow(UInt(operations))
  context.pointee.opCount = overflow ? .max : count
  guard context.pointee.opCount <= context.pointee.opLimit else {
    xmlXPathErr(parser, Int32(XPATH_OP_LIMIT_EXCEEDED.rawValue))
    return false
  }
  return true
}

/// `name(n)` answered with the nodes a relative path of child steps selects from the context
/// element (see `register(childPaths:_:)`), or by the Swift function of the same name.
private let childPathTrampoline: xmlXPathFunction = { parser, arity in
  answerNatively(parser, arity) { parser, context, owner, name in
    guard arity == 1, let pathNumber = argument(parser, fromTop: 0), pathNumber.pointee.type == XPATH_STRING,
      let number = pathNumber.pointee.stringval, let node = context.pointee.node,
      node.pointee.type == XML_ELEMENT_NODE, node.pointee.doc == owner.document.pointer,
      let path = owner.childPath(name: name, uri: context.pointee.functionURI, number: number)
    else { return false }
    let result = xmlXPathNewNodeSet(nil)!
    guard
      let examined = owner.document.forEachNode(
        selectedBy: path, from: node,
        {
          xmlXPathNodeSetAddUnique(result.pointee.nodesetval, $0)
          return true
        })
    else {
      xmlXPathFreeObject(result)
      return false
    }
    // One operation per node examined: what libxml2 charges for the walk, or fewer.
    guard charge(parser, context, examined) else {
      xmlXPathFreeObject(result)
      return true
    }
    return replaceArguments(parser, count: 1, with: result)
  }
}

/// `name(node-set)` answered with the first node of each distinct string value (see
/// `register(firstOfEachStringValue:)`), or by the Swift function of the same name.
private let distinctTrampoline: xmlXPathFunction = { parser, arity in
  answerNatively(parser, arity) { parser, context, owner, name in
    // libxml2 caches the function in the compiled expression: check that this context answers.
    if arity == 1, let given = argument(parser, fromTop: 0), given.pointee.type == XPATH_NODESET,
      owner.distinctNames.value(
        name: name, uri: context.pointee.functionURI,
        {
          owner.distinctFunctions.contains($0) ? true : nil
        }) == true
    {
      let set = given.pointee.nodesetval
      let count = Int(set?.pointee.nodeNr ?? 0)
      let nodes = set?.pointee.nodeTab
      if (0..<count).allSatisfy({ nodes?[$0]?.pointee.type != XML_NAMESPACE_DECL }) {
        let result = xmlXPathNewNodeSet(nil)!
        if let set, let nodes, count > 0 {
          xmlXPathNodeSetSort(set)
          let seen = AttributeTable(capacity: 16)
          for index in 0..<count {
            if let node = nodes[index], seen.addStringValue(of: node) {
              xmlXPathNodeSetAddUnique(result.pointee.nodesetval, node)
            }
          }
        }
        return replaceArguments(parser, count: 1, with: result)
      }
    }
    return false
  }
}

/// Calls `body` with the bytes of XPath's `string()` of `object`: in place for a string and for
/// a single attribute the tree holds in one piece, else converted by libxml2; `nil` (without
/// calling `body`) when libxml2 cannot convert it.
@inline(__always)
private func withStringValueBytes<R>(
  _ object: xmlXPathObjectPtr, _ body: (UnsafePointer<UInt8>?, Int) -> R
) -> R? {
  if let result = withLookupBytes(object, body) { return result }
  if object.pointee.type == XPATH_NODESET, (object.pointee.nodesetval?.pointee.nodeNr ?? 0) == 0 {
    return body(nil, 0)
  }
  // libxml2 writes some numbers otherwise than XPath's string() (`1e+10`): Swift answers.
  if object.pointee.type == XPATH_NUMBER { return nil }
  guard let text = xmlXPathCastToString(object) else { return nil }
  defer { LibXML2.free(text) }
  return body(text, cStringLength(text))
}

/// Which indexed elements a lookup keeps for `selection` at the context node `node`; `nil`
/// when a sibling selection cannot be answered natively (the context is not a parsed element).
private func siblingFilter(
  _ selection: AttributeIndex.Selection, context node: xmlNodePtr?
) -> ((xmlNodePtr) -> Bool)? {
  if selection == .all { return { _ in true } }
  guard let node, node.pointee.type == XML_ELEMENT_NODE, let parent = node.pointee.parent else { return nil }
  let position = ElementIndex.order(node)
  guard position > 0 else { return nil }
  if selection == .precedingSiblings {
    return { $0.pointee.parent == parent && ElementIndex.order($0) < position }
  }
  return { $0.pointee.parent == parent && ElementIndex.order($0) > position }
}

/// Calls `body` with the bytes an indexed lookup looks up: a string's, or the string value of a
/// single node, read in place where the tree holds it in one piece; `nil` (without calling
/// `body`) for anything else, which the Swift function answers.
@inline(__always)
private func withLookupBytes<R>(
  _ object: xmlXPathObjectPtr, _ body: (UnsafePointer<UInt8>?, Int) -> R
) -> R? {
  func inPlace(_ text: UnsafePointer<xmlChar>?) -> R {
    body(text, text.map(cStringLength) ?? 0)
  }
  switch object.pointee.type {
  case XPATH_STRING:
    return inPlace(object.pointee.stringval)
  case XPATH_NODESET:
    guard let set = object.pointee.nodesetval, set.pointee.nodeNr == 1, let node = set.pointee.nodeTab?[0],
      node.pointee.type != XML_NAMESPACE_DECL
    else { return nil }
    if node.pointee.type == XML_ATTRIBUTE_NODE, let text = singleTextChild(of: node) {
      return inPlace(text.pointee.content)
    }
    guard let value = xmlXPathCastNodeToString(node) else { return nil }
    defer { LibXML2.free(value) }
    return inPlace(value)
  default:
    return nil
  }
}

private let functionTrampoline: xmlXPathFunction = { parser, arity in
  answerNatively(parser, arity) { _, _, _, _ in false }
}

private let variableLookupHook: xmlXPathVariableLookupFunc = { data, name, uri in
  guard let data, let name else { return nil }
  let context = Unmanaged<XPathContext>.fromOpaque(data).takeUnretainedValue()
  return context.lookupVariable(name: name, uri: uri)
}

/// Messages for libxml2's XPath error codes, which 2.9 reports without text.
private func xpathMessage(code: Int) -> String {
  let offset = code - Int(XML_XPATH_EXPRESSION_OK.rawValue)
  let messages = [
    "ok", "number encoding error", "unfinished string literal", "string literal expected",
    "variable reference expected", "undefined variable", "invalid predicate", "invalid expression",
    "missing closing bracket", "unknown function or wrong namespace for it", "invalid operand",
    "wrong argument type", "wrong number of arguments", "invalid context size", "invalid context position",
    "out of memory", "XPointer syntax error", "XPointer resource error", "XPointer sub-resource error",
    "undefined namespace prefix", "encoding error", "invalid character", "invalid context",
    "stack usage error", "variables are forbidden here",
    "the evaluation exceeded its operation budget (an expression too expensive for this document)",
    "the evaluation exceeded the recursion limit",
  ]
  return offset >= 0 && offset < messages.count ? messages[offset] : "XPath error \(code)"
}

extension XPathContext {
  /// The union of `runs`, each already in document order without duplicates, in document
  /// order without duplicates: what ``documentOrder(_:)`` gives for them all.
  ///
  /// The runs are taken in by size, largest first. A run that lies wholly before or after
  /// what has been taken in (the facilities of a declaration, then its contacts, then its
  /// doctrines, in whatever order the union names them) is joined by its first and last nodes
  /// alone; a small run that overlaps (a few category references before and after 100 000
  /// facilities) is merged node by node, each found by a binary search. Nothing in between is
  /// read or sorted. Runs too large to merge so are sorted together.
  public func documentOrder(mergingRuns runs: consuming [[Node]]) -> [Node] {
    // Owned, so that the largest run is extended in place rather than copied node by node.
    var pending = runs
    pending.removeAll { $0.isEmpty }
    guard pending.count > 1 else { return pending.popLast() ?? [] }
    func sortedTogether() -> [Node] { documentOrder(Array(pending.joined())) }
    let document = pending[0][0].document
    for run in pending where run[0].document !== document || run[run.count - 1].document !== document {
      return sortedTogether()
    }
    pending.sort { $0.count < $1.count }
    var result = pending.removeLast()
    // What is taken in so far (duplicates of it in `pending` are dropped by the sort).
    func sortedTogether(with result: [Node]) -> [Node] { documentOrder(result + Array(pending.joined())) }
    for run in pending.reversed() {
      guard let first = run[0].orderKey, let last = run[run.count - 1].orderKey,
        let resultFirst = result[0].orderKey, let resultLast = result[result.count - 1].orderKey
      else { return sortedTogether(with: result) }
      if resultLast < first {
        result += run
      } else if last < resultFirst {
        result.insert(contentsOf: run, at: 0)
      } else {
        // A binary search per node of the run: worth it while that reads fewer nodes than a sort.
        guard run.count * (Int.bitWidth - result.count.leadingZeroBitCount) <= result.count + run.count,
          let merged = Self.merge(run, into: result)
        else { return sortedTogether(with: result) }
        result = merged
      }
    }
    return result
  }

  /// `small` merged into `large` (both in document order, without duplicates, of one
  /// document), each of its nodes placed by a binary search; `nil` when a node has no order key.
  private static func merge(_ small: [Node], into large: [Node]) -> [Node]? {
    var result: [Node] = []
    result.reserveCapacity(large.count + small.count)
    var start = 0
    for node in small {
      guard let key = node.orderKey else { return nil }
      var (low, high) = (start, large.count)
      while low < high {
        let middle = (low + high) / 2
        guard let middleKey = large[middle].orderKey else { return nil }
        if middleKey < key { low = middle + 1 } else { high = middle }
      }
      result += large[start..<low]
      start = low
      // The same node in both runs: once.
      if low < large.count, let found = large[low].orderKey, found == key { continue }
      result.append(node)
    }
    result += large[start...]
    return result
  }

  /// `nodes` without duplicates, in document order (nodes of one document before another's).
  public func documentOrder(_ nodes: [Node]) -> [Node] {
    guard nodes.count > 1 else { return nodes }
    // Elements and attributes of parsed documents carry their document-order number (set by the
    // parser's SAX hook): sort by it in Swift and drop neighbours with equal keys.
    var keyed: [(order: Int, attribute: Int, node: Node)] = []
    keyed.reserveCapacity(nodes.count)
    let first = nodes[0].document
    for node in nodes {
      guard node.document === first, let key = node.orderKey else { break }
      keyed.append((key.0, key.1, node))
    }
    if keyed.count == nodes.count {
      keyed.sort { ($0.order, $0.attribute) < ($1.order, $1.attribute) }
      var result: [Node] = []
      result.reserveCapacity(keyed.count)
      var previous: (Int, Int) = (-1, -1)
      for item in keyed where (item.order, item.attribute) != previous {
        result.append(item.node)
        previous = (item.order, item.attribute)
      }
      return result
    }
    var seen = Set<Node>()
    let unique = nodes.filter { seen.insert($0).inserted }
    guard unique.count > 1 else { return unique }
    let object = makeObject(.nodeSet(unique))
    defer { xmlXPathFreeObject(object) }
    return value(of: object).nodes
  }
}

/// Values found by a qualified name that libxml2 hands over as C strings (a function call's,
/// a variable reference's), kept by the strings' addresses and checked by content on every hit:
/// a hit builds no Swift string and hashes no text, and a string freed and its address reused
/// for another name is never mistaken for the old one.
struct CStringNameCache<Value> {
  private struct Key: Hashable {
    var name: UnsafeRawPointer
    var uri: UnsafeRawPointer?
  }
  private var entries: [Key: (name: QualifiedName, value: Value)] = [:]

  /// The value for the name spelt by `name` and `uri` (`nil`: no namespace): cached, or
  /// `resolve`d (and cached unless `nil`).
  mutating func value(
    name: UnsafePointer<xmlChar>, uri: UnsafePointer<xmlChar>?, _ resolve: (QualifiedName) -> Value?
  ) -> Value? {
    let key = Key(name: UnsafeRawPointer(name), uri: uri.map(UnsafeRawPointer.init))
    if let cached = entries[key], cStringEquals(name, cached.name.localName),
      cStringEquals(uri, cached.name.namespace)
    {
      return cached.value
    }
    let qualified = QualifiedName(String(cString: name), namespace: uri.map { String(cString: $0) } ?? "")
    guard let value = resolve(qualified) else { return nil }
    entries[key] = (qualified, value)
    return value
  }
}
