internal import CLibXML2
import Foundation
import Synchronization

/// A location path of child steps, anchored anywhere (`//a/b`, `a/b`) or at the root (`/a/b`),
/// optionally ending in an attribute (`a/@c`): the shape of almost every Schematron rule context.
///
/// ``Document/select(_:where:)`` answers it from an index of the document's elements by name,
/// built once per document, and a walk up the parents, instead of libxml2's descent through the
/// whole tree for every rule (about 0.1 s per rule on a declaration of 100 000 facilities).
public struct ElementPath: Hashable, Sendable {
  /// A name test.
  public struct Test: Hashable, Sendable {
    /// The namespace URI; `nil` for no namespace.
    public var namespace: String?
    /// The local name; `nil` for any (`*` or `prefix:*`).
    public var localName: String?
    /// Whether any namespace matches (`*`).
    public var anyNamespace: Bool

    /// A test for a name in a namespace (`nil`: none), or any local name (`localName` nil).
    public init(namespace: String?, localName: String?) {
      self.namespace = namespace
      self.localName = localName
      self.anyNamespace = false
    }

    /// `*`: any element.
    public static let any = Test(anyNamespace: ())

    private init(anyNamespace: Void) {
      namespace = nil
      localName = nil
      self.anyNamespace = true
    }
  }

  /// Whether the first step must be a child of the document node (`/a/b`); otherwise it may be
  /// anywhere.
  public var absolute: Bool
  /// The element steps, outermost first; at least one.
  public var steps: [Test]
  /// Which steps carry predicates: the caller's filter is asked about the nodes of these steps.
  public var filtered: Set<Int>
  /// An attribute at the end (`@c`), selected from the elements of the last step.
  public var attribute: Test?

  /// Creates a path.
  public init(absolute: Bool, steps: [Test], filtered: Set<Int> = [], attribute: Test? = nil) {
    self.absolute = absolute
    self.steps = steps
    self.filtered = filtered
    self.attribute = attribute
  }
}

/// The document's elements grouped by name, in document order; collected while parsing, or built
/// on first use when the document declares entities.
final class ElementIndex {
  struct PointerKey: Hashable {
    var name: UnsafePointer<xmlChar>?
    var href: UnsafePointer<xmlChar>?
  }
  /// Elements by interned name pointer and namespace URI pointer.
  var byKey: [PointerKey: [xmlNodePtr]] = [:]
  /// Every element, in document order.
  var all: [xmlNodePtr] = []
  /// The document-order numbers of ``byKey``'s elements, list for list; empty unless the
  /// parser recorded them with each element's parent (``ElementInfo/parent``), which it does
  /// in documents without entities.
  var ordersByKey: [PointerKey: [UInt32]] = [:]
  /// The strings of each key: local name and namespace URI.
  var names: [PointerKey: (local: String, namespace: String?)] = [:]
  /// Answers per test, cached; guarded by ``answersLock``.
  var answers: [ElementPath.Test: [xmlNodePtr]] = [:]
  private let answersLock = NSLock()

  /// Collects elements in document order, grouped by name.
  ///
  /// Names are interned, so runs of same-named elements (a list of facilities) share a key:
  /// the list is looked up only when the name changes.
  struct Builder {
    var slots: [PointerKey: Int] = [:]
    var lists: [[xmlNodePtr]] = []
    var orders: [[UInt32]] = []
    var all: [xmlNodePtr] = []
    var lastKey: PointerKey?
    var slot = 0

    /// Adds `node`; returns the number of its name's list (numbered as first met).
    @discardableResult
    mutating func add(_ node: xmlNodePtr) -> Int {
      all.append(node)
      let key = PointerKey(name: node.pointee.name, href: node.pointee.ns.flatMap { UnsafePointer($0.pointee.href) })
      if key != lastKey {
        if let existing = slots[key] {
          slot = existing
        } else {
          slot = lists.count
          slots[key] = slot
          lists.append([])
          orders.append([])
        }
        lastKey = key
      }
      lists[slot].append(node)
      orders[slot].append(UInt32(truncatingIfNeeded: all.count))
      return slot
    }

    /// The index; `ordersRecorded` when the elements were added in the order the parser
    /// numbered them (see ``ElementIndex/orders(_:)``).
    func build(ordersRecorded: Bool) -> ElementIndex { ElementIndex(self, ordersRecorded: ordersRecorded) }
  }

  init(_ builder: Builder, ordersRecorded: Bool) {
    all = builder.all
    for (key, slot) in builder.slots {
      byKey[key] = builder.lists[slot]
      if ordersRecorded { ordersByKey[key] = builder.orders[slot] }
      names[key] = (key.name.map { String(cString: $0) } ?? "", key.href.map { String(cString: $0) })
    }
  }

  /// Walks the tree below `root` in document order (pre-order, with the parent pointers
  /// instead of a stack).
  convenience init(root: xmlNodePtr) {
    var builder = Builder()
    var next = root.pointee.children
    while let node = next {
      if node.pointee.type == XML_ELEMENT_NODE {
        builder.add(node)
        if let first = node.pointee.children {
          next = first
          continue
        }
      }
      var current = node
      while current.pointee.next == nil {
        guard let parent = current.pointee.parent, parent != root else { break }
        current = parent
      }
      next = current.pointee.next
    }
    self.init(builder, ordersRecorded: false)
  }

  /// The elements that pass `test`, in document order.
  func elements(_ test: ElementPath.Test) -> [xmlNodePtr] {
    if test.anyNamespace { return all }
    answersLock.lock()
    defer { answersLock.unlock() }
    if let cached = answers[test] { return cached }
    let keys = names.filter { _, name in
      name.namespace == test.namespace && (test.localName == nil || name.local == test.localName)
    }.map(\.key)
    var result: [xmlNodePtr]
    if keys.count == 1 {
      result = byKey[keys[0]]!
    } else {
      result = keys.flatMap { byKey[$0]! }
      if keys.count > 1 { result.sort { ElementIndex.order($0) < ElementIndex.order($1) } }
    }
    answers[test] = result
    return result
  }

  /// The document-order numbers of ``elements(_:)``, when the parser recorded them and the
  /// test names a single name: what selections read instead of each element's memory.
  func orders(_ test: ElementPath.Test) -> [UInt32]? {
    guard !ordersByKey.isEmpty, !test.anyNamespace, test.localName != nil else { return nil }
    var found: [UInt32]?
    for (key, name) in names where name.namespace == test.namespace && name.local == test.localName {
      guard found == nil else { return nil }
      found = ordersByKey[key]
    }
    return found
  }

  /// The document-order number the parser's SAX hook stored in `_private`.
  static func order(_ node: xmlNodePtr) -> Int { Int(bitPattern: node.pointee._private) }

  static func matches(_ node: xmlNodePtr, _ test: ElementPath.Test) -> Bool {
    guard node.pointee.type == XML_ELEMENT_NODE else { return false }
    return test.matches(name: node.pointee.name, namespace: node.pointee.ns)
  }
}

/// A name test that remembers its verdicts by the name's and namespace URI's pointers
/// (``NameVerdicts``), for walks that ask it at many nodes of one tree.
///
/// Copies share what they remember.
struct NameMatcher {
  let test: ElementPath.Test
  private let verdicts = NameVerdicts(slots: 64)

  init(_ test: ElementPath.Test) { self.test = test }

  /// Whether a node named `name` in `namespace` (`nil`: none) passes the test.
  @inline(__always)
  func matches(name: UnsafePointer<xmlChar>?, namespace ns: xmlNsPtr?) -> Bool {
    if test.anyNamespace { return true }
    return verdicts.verdict(name, ns.flatMap { UnsafePointer($0.pointee.href) }) { name, href in
      test.matches(name: name, href: href)
    }
  }

  /// Whether `node` is an element that passes the test.
  @inline(__always)
  func matches(element node: xmlNodePtr) -> Bool {
    node.pointee.type == XML_ELEMENT_NODE && matches(name: node.pointee.name, namespace: node.pointee.ns)
  }

  /// The first attribute of `node` (an element) that passes the test.
  @inline(__always)
  func firstAttribute(of node: xmlNodePtr) -> xmlAttrPtr? {
    var property = node.pointee.properties
    while let attribute = property {
      if matches(name: attribute.pointee.name, namespace: attribute.pointee.ns) { return attribute }
      property = attribute.pointee.next
    }
    return nil
  }
}

extension ElementPath.Test {
  /// Whether an element or attribute named `name` in `namespace` (`nil`: none) passes the test.
  func matches(name: UnsafePointer<xmlChar>?, namespace ns: xmlNsPtr?) -> Bool {
    matches(name: name, href: ns.flatMap { UnsafePointer($0.pointee.href) })
  }

  /// Whether an element or attribute named `name` in the namespace whose URI is `href`
  /// (`nil`: none) passes the test.
  func matches(name: UnsafePointer<xmlChar>?, href: UnsafePointer<xmlChar>?) -> Bool {
    if anyNamespace { return true }
    if let namespace {
      guard let href, cStringEquals(href, namespace) else { return false }
    } else if href != nil {
      return false
    }
    if let localName { return name != nil && cStringEquals(name, localName) }
    return true
  }
}

extension Document {
  /// The nodes that `path` selects, in document order.
  ///
  /// `filter(step, node)` is asked, for each step listed in ``ElementPath/filtered``, whether
  /// a node that passes the step's name test also passes its predicates; it is never asked
  /// about a node whose other steps already fail. Evaluation order: the last step's candidates
  /// from the index, then their ancestors, innermost first.
  public func select(_ path: ElementPath, where filter: (Int, Node) throws -> Bool) rethrows -> [Node] {
    try selectPointers(path) { step, pointer in try filter(step, Node(document: self, pointer: pointer)) }
      .map { Node(document: self, pointer: $0) }
  }

  /// ``select(_:where:)`` without wrapping each node: for the indexes built from its answer.
  func selectPointers(_ path: ElementPath, where filter: (Int, xmlNodePtr) throws -> Bool) rethrows -> [xmlNodePtr] {
    guard let last = path.steps.last else { return [] }
    let index = elementIndex()
    let candidates = index.elements(last)
    // Per step, read once: its test and whether it has predicates (no set lookup per node).
    let steps = path.steps.map(NameMatcher.init)
    let attributeTest = path.attribute.map(NameMatcher.init)
    let filtered = steps.indices.map { path.filtered.contains($0) }
    let lastStep = steps.count - 1
    var result: [xmlNodePtr] = []
    result.reserveCapacity(path.attribute == nil && path.filtered.isEmpty ? candidates.count : 0)
    func addAttributes(of candidate: xmlNodePtr) {
      var property = candidate.pointee.properties
      while let current = property {
        let pointer = UnsafeMutableRawPointer(current).assumingMemoryBound(to: xmlNode.self)
        if attributeTest!.matches(name: current.pointee.name, namespace: current.pointee.ns) {
          result.append(pointer)
        }
        property = current.pointee.next
      }
    }
    // Where the parser recorded each element's number and its parent's, the ancestors are found
    // in those arrays, read in order, instead of in each candidate's memory: 100 000
    // facilities scattered over the tree cost a cache miss each.
    let numbered = index.orders(last).flatMap { orders in
      orders.count == candidates.count && elementInfo.count == index.all.count ? orders : nil
    }
    try elementInfo.withUnsafeBufferPointer { info in
      try index.all.withUnsafeBufferPointer { all in
        candidates: for (position, candidate) in candidates.enumerated() {
          var node = candidate
          var order = numbered.map { Int($0[position]) } ?? 0
          var step = lastStep
          while true {
            if step != lastStep {
              guard steps[step].matches(element: node) else { continue candidates }
            }
            if filtered[step], try !filter(step, node) {
              continue candidates
            }
            // The parent element; `nil` when the parent is the document node.
            let parent: xmlNodePtr?
            if numbered != nil {
              order = Int(info[order - 1].parent)
              parent = order == 0 ? nil : all[order - 1]
            } else {
              guard let treeParent = node.pointee.parent else { continue candidates }
              parent = treeParent.pointee.type == XML_DOCUMENT_NODE ? nil : treeParent
            }
            if step == 0 {
              if path.absolute, parent != nil { continue candidates }
              break
            }
            guard let parent else { continue candidates }
            node = parent
            step -= 1
          }
          if attributeTest == nil { result.append(candidate) } else { addAttributes(of: candidate) }
        }
      }
    }
    return result
  }

  /// An attribute's value: read from its single text child when it has one, else through libxml2.
  static func value(of attribute: xmlAttrPtr) -> String? {
    if let text = singleTextChild(of: attribute) {
      return text.pointee.content.map { String(cString: $0) } ?? ""
    }
    let node = UnsafeMutableRawPointer(attribute).assumingMemoryBound(to: xmlNode.self)
    guard let value = xmlNodeGetContent(node) else { return nil }
    defer { LibXML2.free(value) }
    return String(cString: value)
  }
}

extension Document {
  /// The nodes `path` selects (it must have no filtered steps), computed once per document
  /// from the element index and kept: for absolute paths, whose answer is the same wherever
  /// they are evaluated.
  func nodesSelected(by path: ElementPath) -> [xmlNodePtr] {
    if let owner { return owner.nodesSelected(by: path) }
    return pathAnswersLock.withLock {
      if let known = pathAnswers[path] { return known }
      let nodes = selectPointers(path) { _, _ in true }
      pathAnswers[path] = nodes
      return nodes
    }
  }
}

extension Document {
  /// Calls `body` with each node the relative `path` (no filtered steps) selects from the
  /// element `context` of this document, in document order, until it returns `false`; answers
  /// how many nodes were examined, or `nil` (without calling `body`) when the parser did not
  /// record the context's subtree (documents that declare entities) or the path does not suit.
  ///
  /// Two ways, whichever examines fewer nodes (near enough): the elements of the last step's
  /// name that lie in the context's subtree (a range of the element index, found by binary
  /// search on document order), each checked by a walk up its parents; or a walk down the
  /// children, step by step, as libxml2 would.
  func forEachNode(
    selectedBy path: ElementPath, from context: xmlNodePtr, _ body: (xmlNodePtr) -> Bool
  ) -> Int? {
    guard !path.absolute, path.filtered.isEmpty, let last = path.steps.last, context.pointee.type == XML_ELEMENT_NODE,
      context.pointee.doc == pointer
    else { return nil }
    let order = ElementIndex.order(context)
    guard order >= 1, order <= elementInfo.count else { return nil }
    let info = elementInfo[order - 1]
    guard info.subtreeEnd != 0 else { return nil }
    let steps = path.steps.map(NameMatcher.init)
    let attributeTest = path.attribute.map(NameMatcher.init)
    var examined = 0
    /// Calls `body` with `element`, or with each of its attributes that passes the test;
    /// `false` once `body` has asked to stop.
    func answer(_ element: xmlNodePtr) -> Bool {
      guard let attributeTest else { return body(element) }
      var property = element.pointee.properties
      while let current = property {
        examined += 1
        if attributeTest.matches(name: current.pointee.name, namespace: current.pointee.ns),
          !body(UnsafeMutableRawPointer(current).assumingMemoryBound(to: xmlNode.self))
        {
          return false
        }
        property = current.pointee.next
      }
      return true
    }
    let candidates = elementIndex().elements(last)
    // The first candidate after the context, and the first after its subtree.
    func firstAfter(_ bound: Int) -> Int {
      var (low, high) = (0, candidates.count)
      while low < high {
        let middle = (low + high) / 2
        if ElementIndex.order(candidates[middle]) > bound { high = middle } else { low = middle + 1 }
      }
      return low
    }
    let start = firstAfter(order)
    let end = max(start, firstAfter(Int(info.subtreeEnd)))
    let inRange = end - start
    // A walk examines every child of the context at least: when the range is no larger, it
    // wins. Otherwise one step is walked; more steps are walked with the range's size as the
    // budget, and the range is read when the walk runs past it.
    if inRange > Int(info.children) {
      let budget = steps.count == 1 ? Int.max : inRange
      var found: [xmlNodePtr] = []
      var walked = 0
      func walk(_ parent: xmlNodePtr, step: Int) -> Bool {
        var next = parent.pointee.children
        while let child = next {
          walked += 1
          if walked > budget { return false }
          if steps[step].matches(element: child) {
            if step == steps.count - 1 {
              found.append(child)
            } else if !walk(child, step: step + 1) {
              return false
            }
          }
          next = child.pointee.next
        }
        return true
      }
      let complete = walk(context, step: 0)
      examined += walked
      if complete {
        for element in found where !answer(element) { break }
        return examined
      }
    }
    candidates: for candidate in candidates[start..<end] {
      examined += 1
      var node = candidate
      for step in stride(from: steps.count - 2, through: 0, by: -1) {
        guard let parent = node.pointee.parent, steps[step].matches(element: parent) else { continue candidates }
        node = parent
      }
      if node.pointee.parent == context, !answer(candidate) { break }
    }
    return examined
  }
}

/// The elements a path selects, by the value of one of their attributes: built once per
/// document and shared by every caller that asks for the same path and attribute.
public struct AttributeIndex {
  /// The document the nodes belong to.
  public let document: Document
  let table: AttributeTable
  /// Which of the matching elements an indexed lookup answers with (see
  /// ``XPathContext/register(indexedLookup:_:)``); the subscript ignores it.
  public private(set) var selection = Selection.all

  /// The matching elements a lookup keeps, relative to the context node of the call.
  public enum Selection: Sendable {
    /// Every matching element.
    case all
    /// The matching elements that are siblings of the context node and come before it.
    case precedingSiblings
    /// The matching elements that are siblings of the context node and come after it.
    case followingSiblings
  }

  init(document: Document, table: AttributeTable) {
    self.document = document
    self.table = table
  }

  /// The same index, answering lookups with `selection` of the matching elements.
  public func selecting(_ selection: Selection) -> AttributeIndex {
    var copy = self
    copy.selection = selection
    return copy
  }

  /// The elements whose attribute has `value`, in document order.
  public subscript(value: String) -> [Node] {
    table.elements(value).map { Node(document: document, pointer: $0) }
  }
}

/// What identifies a shared ``AttributeIndex``: the elements that any of `paths` selects (none
/// with predicates or an attribute step), indexed by the value of their attribute `attribute`.
///
/// Requested before parsing (``Document/init(contentsOfFile:limits:indexing:keeping:)``), an index is
/// collected while the parser builds the tree, with each element's attributes still in cache,
/// instead of by a walk over the finished tree on first use.
public struct AttributeIndexRequest: Hashable, Sendable {
  /// The element paths, a union; none has filtered steps or an attribute.
  public let paths: [ElementPath]
  /// The attribute whose value indexes the elements.
  public let attribute: ElementPath.Test

  /// Creates a request.
  public init(paths: [ElementPath], attribute: ElementPath.Test) {
    precondition(
      paths.allSatisfy { $0.filtered.isEmpty && $0.attribute == nil },
      "an attribute index needs paths without predicates")
    self.paths = paths
    self.attribute = attribute
  }

  /// Whether `element` (its parents in place) is selected by one of the paths.
  func selects(_ element: xmlNodePtr) -> Bool {
    paths.contains { path in
      guard let last = path.steps.last, ElementIndex.matches(element, last) else { return false }
      return Self.ancestors(of: element, match: path)
    }
  }

  /// Whether the parents of `element` (which passes the last step's test) pass the steps above.
  static func ancestors(of element: xmlNodePtr, match path: ElementPath) -> Bool {
    var node = element
    for step in path.steps.dropLast().reversed() {
      guard let parent = node.pointee.parent, ElementIndex.matches(parent, step) else { return false }
      node = parent
    }
    return !path.absolute || node.pointee.parent?.pointee.type == XML_DOCUMENT_NODE
  }
}

/// The attribute indexes one parse is to collect, named once they are known.
///
/// A host may start parsing an input before it has compiled the packs that say which indexes
/// they read (normcheck reads a single input while the built-in packs load). The parser's
/// indexing thread (``ParsePolicy/IndexingThread``) waits for the requests, then catches up
/// with the elements handed over meanwhile. Where there is no indexing thread (a small input,
/// no helper thread granted), or when the parse ends before the requests are named, the
/// requests are not waited for and the indexes are built on first use, as for a document that
/// declares entities. The answers are the same either way.
///
/// One object serves one parse. Name the requests once (later calls are ignored); a host that
/// fails before it knows them names none (``fulfil(_:keeping:)`` with `[]`), so that nothing waits.
public final class PendingIndexRequests: @unchecked Sendable {
  private let condition = NSCondition()
  /// Guarded by ``condition``.
  private var requests: [AttributeIndexRequest]?
  /// The attributes to keep from the first element started after the requests are named;
  /// guarded by ``condition``.
  private var projection = AttributeProjection.all
  /// Set when the parse no longer waits; guarded by ``condition``.
  private var abandoned = false
  /// Set, after ``requests`` and ``projection``, when the requests are named: what the parser
  /// asks at each element without taking the lock.
  private let namedFlag = Atomic<Bool>(false)
  /// Set by ``cancel()``.
  private let cancelledFlag = Atomic<Bool>(false)

  /// Requests not yet named.
  public init() {}

  /// Names the requests and the attributes the document's readers need; only the first call
  /// counts.
  ///
  /// From the first element that starts after this call, the parse leaves out the attributes
  /// `projection` drops (see ``AttributeProjection``; those the requests index are kept). The
  /// elements parsed before keep all theirs: what reads the document must read only attributes
  /// that `projection` keeps, and then finds the same answers either way.
  public func fulfil(_ requests: [AttributeIndexRequest], keeping projection: AttributeProjection = .all) {
    condition.withLock {
      guard self.requests == nil else { return }
      self.requests = requests
      self.projection = projection
      namedFlag.store(true, ordering: .releasing)
      condition.broadcast()
    }
  }

  /// Stops the parse waiting for these requests, whose document nothing will read: the caller
  /// found a problem (an unknown pack, say) that ends its work.
  ///
  /// The parse stops within a few thousand elements and fails with an error of kind
  /// ``XMLError/Kind/cancelled``; its indexing thread, if waiting, goes on without requests.
  public func cancel() {
    cancelledFlag.store(true, ordering: .releasing)
    fulfil([])
  }

  /// Whether ``cancel()`` was called.
  var isCancelled: Bool { cancelledFlag.load(ordering: .acquiring) }

  /// Whether the requests are named; cheap enough to ask at every element.
  @inline(__always)
  var isNamed: Bool { namedFlag.load(ordering: .acquiring) }

  /// The requests and the projection, once named (``isNamed``).
  func namedRequests() -> (requests: [AttributeIndexRequest], projection: AttributeProjection)? {
    condition.withLock { requests.map { ($0, projection) } }
  }

  /// The requests, once named; `nil` when the parse has ended first (``abandon()``).
  func wait() -> [AttributeIndexRequest]? {
    condition.withLock {
      while requests == nil && !abandoned { condition.wait() }
      return requests
    }
  }

  /// Stops any ``wait()`` for requests not yet named: the parse has ended.
  func abandon() {
    condition.withLock {
      abandoned = true
      condition.broadcast()
    }
  }
}

/// The attribute indexes a parse collects: known before it starts, or named while it runs.
enum IndexRequests {
  case known([AttributeIndexRequest])
  case pending(PendingIndexRequests)
}

extension Document {
  /// The elements selected by `path` (which must have no filtered steps), indexed by the
  /// value of their attribute `attribute`; built on first use and kept with the document.
  public func attributeIndex(of path: ElementPath, attribute: ElementPath.Test) -> AttributeIndex {
    attributeIndex(of: [path], attribute: attribute)
  }

  /// The elements selected by any of `paths` (a union; none may have filtered steps), indexed
  /// by the value of their attribute `attribute`, in document order; built on first use and
  /// kept with the document.
  public func attributeIndex(of paths: [ElementPath], attribute: ElementPath.Test) -> AttributeIndex {
    if let owner {
      return AttributeIndex(document: self, table: owner.attributeIndex(of: paths, attribute: attribute).table)
    }
    let key = AttributeIndexRequest(paths: paths, attribute: attribute)
    attributeIndexLock.lock()
    defer { attributeIndexLock.unlock() }
    if let table = attributeIndexes[key] { return AttributeIndex(document: self, table: table) }
    let index = elementIndex()
    var elements: [xmlNodePtr] = []
    for path in paths {
      if path.steps.count == 1 {
        elements += index.elements(path.steps[0]).filter { node in
          !path.absolute || node.pointee.parent?.pointee.type == XML_DOCUMENT_NODE
        }
      } else {
        elements += selectPointers(path) { _, _ in true }
      }
    }
    if paths.count > 1 {
      // Document order, each element once.
      elements.sort { ElementIndex.order($0) < ElementIndex.order($1) }
      var previous: xmlNodePtr?
      elements.removeAll { node in
        defer { previous = node }
        return node == previous
      }
    }
    let table = AttributeTable(capacity: elements.count)
    let attributeTest = NameMatcher(attribute)
    for element in elements {
      var property = element.pointee.properties
      while let current = property {
        if attributeTest.matches(name: current.pointee.name, namespace: current.pointee.ns) {
          table.add(element, valueOf: current)
        }
        property = current.pointee.next
      }
    }
    table.seal()
    attributeIndexes[key] = table
    return AttributeIndex(document: self, table: table)
  }
}
