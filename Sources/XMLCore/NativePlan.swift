internal import CLibXML2
import Foundation
import Synchronization

/// A few shapes of expression answered in Swift, without libxml2's evaluation, where they are
/// evaluated on every element of a large document.
///
/// A rule's test or `let` evaluated at 100 000 facilities costs libxml2 about a microsecond each
/// time even when it only reads an attribute: every evaluation sets up a parser context and a
/// value stack, every step and literal becomes an object, every node-set is merged and sorted.
/// The shapes below are read from the expression's syntax once (``NativeShape``), resolved
/// against a context's functions, indexes and variables once per context (``NativePlan``), and
/// then answered by reading the tree and the indexes directly:
///
/// - `string(@a)`, `string(@a | @b | …)`: the value of the first of those attributes, in
///   document order, or the empty string (a value).
/// - `key('k', @a)` and `key('k', @a)[n]` in a boolean context, for a key answered from a shared
///   index (``XPathContext/register(indexedLookup:_:)``) that keeps every match: whether the
///   index holds at least 1 (or `n`) elements with that value.
/// - `p:f(v, 's')` for a membership test (``XPathContext/register(membership:_:)``): whether the
///   string `v` is in the set; `v` an attribute step, a variable holding a string, or a literal.
/// - `a = b` and `a != b`, `starts-with(a, b)` and `contains(a, b)`, where `a` and `b` are each
///   an attribute step (`@a`, a node-set of at most one attribute: a comparison with none is
///   false), `string(@a)`, `normalize-space(@a)`, a variable holding a string, or a literal
///   (document-wide parts computed once are literals by then: `starts-with(@id, 'xg-')`).
/// - `p = b` and `p != b`, where `p` is a relative path of child steps ending in an attribute
///   (`d:facility/@crossBorder`, or the call that answers it at an element with a large subtree,
///   ``XPathContext/register(childPaths:_:)``) and `b` any operand above but such a path: as
///   XPath says, whether some attribute `p` selects compares so. The walk stops at the first
///   that does, and is charged one operation per node examined.
/// - `not(x)`, `boolean(x)`, `x and y`, `x or y` over any of these.
/// - `count(f('n'))`, where `f` answers absolute path `n` (``XPathContext/register(paths:_:)``)
///   or child path `n` (``XPathContext/register(childPaths:_:)``): a number, counted without
///   handing libxml2 a node-set to count (100 000 facilities, for a message that names their
///   number).
///
/// Any other part of a boolean expression is *opaque*. An answer is given only when it does not
/// depend on an opaque part (`key('k', @id)[2] and generate-id(…) != generate-id(.)` is false
/// without the right side whenever the left is false, as XPath's `and` says); otherwise, and
/// whenever a value is not what the shape expects (a variable that holds no string, an element
/// without the key's attribute, a value not held in one piece, a context node in another
/// document), the expression is evaluated by libxml2 as written. Built-in functions count only
/// where nothing the context registered shadows them.
indirect enum NativeShape: Sendable {
  case and(NativeShape, NativeShape)
  case or(NativeShape, NativeShape)
  case not(NativeShape)
  /// `boolean(x)`.
  case boolean(NativeShape)
  /// `key(index, value)[count]` (`count` 1 without a predicate), in a boolean context.
  case keyHasAtLeast(index: String, value: StringShape, count: Int)
  /// `function(value, set)`.
  case membership(function: XPathSyntax.Name, value: StringShape, set: String)
  /// `left = right` (`equal`) or `left != right`.
  case compare(equal: Bool, StringShape, StringShape)
  /// `starts-with(left, right)` (`prefix`) or `contains(left, right)`.
  case find(prefix: Bool, StringShape, StringShape)
  /// `string(@a | …)`: a value, never part of a boolean shape.
  case attributeString([XPathSyntax.NodeTest])
  /// `count(f('n'))`: a value, never part of a boolean shape.
  case countOfCall(XPathSyntax.Name, Int)
  case opaque

  /// A string operand.
  enum StringShape: Sendable {
    /// One attribute step with a name test (`@a`, `@p:a`).
    case attribute(XPathSyntax.NodeTest)
    /// `string(@a)` or `normalize-space(@a)` (`normalized`).
    case function(XPathSyntax.NodeTest, normalized: Bool)
    case variable(XPathSyntax.Name)
    case literal(String)
    /// A relative path of child steps with name tests and no predicates, ending in an attribute
    /// step with a name test (`d:facility/@crossBorder`): a node-set of any size. Only in
    /// comparisons, and never on both sides.
    case attributes(elements: [XPathSyntax.NodeTest], attribute: XPathSyntax.NodeTest)
    /// `f('n')`: a call that the context may answer with child path `n`
    /// (``XPathContext/register(childPaths:_:)``); like ``attributes(elements:attribute:)``
    /// when that path ends in an attribute step.
    case childPathCall(XPathSyntax.Name, Int)

    /// Whether the operand may select more than one node.
    var isNodeSet: Bool {
      switch self {
      case .attributes, .childPathCall: true
      case .attribute, .function, .variable, .literal: false
      }
    }
  }

  /// The shape of `syntax` evaluated for its value (``attributeString(_:)``), else as a boolean;
  /// `nil` when nothing of it could be answered natively.
  static func of(_ syntax: XPathSyntax) -> NativeShape? {
    if case .function(let name, let arguments) = syntax, name.prefix == nil, name.local == "string",
      arguments.count == 1, let tests = attributeTests(arguments[0])
    {
      return .attributeString(tests)
    }
    if case .function(let name, let arguments) = syntax, name.prefix == nil, name.local == "count",
      arguments.count == 1, case .function(let callee, let calleeArguments) = arguments[0], callee.prefix != nil,
      calleeArguments.count == 1, case .literal(let text) = calleeArguments[0], let number = Int(text), number >= 0
    {
      return .countOfCall(callee, number)
    }
    let shape = boolean(syntax)
    return shape.hasNativePart ? shape : nil
  }

  /// Whether answering this shape may spare libxml2 an evaluation.
  private var hasNativePart: Bool {
    switch self {
    case .and(let left, let right), .or(let left, let right): left.hasNativePart || right.hasNativePart
    case .not(let operand), .boolean(let operand): operand.hasNativePart
    case .keyHasAtLeast, .membership, .attributeString, .countOfCall, .compare, .find: true
    case .opaque: false
    }
  }

  private static func boolean(_ syntax: XPathSyntax) -> NativeShape {
    switch syntax {
    case .binary("and", let left, let right): return .and(boolean(left), boolean(right))
    case .binary("or", let left, let right): return .or(boolean(left), boolean(right))
    case .binary(let op, let left, let right) where op == "=" || op == "!=":
      guard let left = operand(left), let right = operand(right), !(left.isNodeSet && right.isNodeSet) else {
        return .opaque
      }
      return .compare(equal: op == "=", left, right)
    case .function(let name, let arguments)
    where name.prefix == nil && (name.local == "starts-with" || name.local == "contains") && arguments.count == 2:
      guard let left = string(arguments[0]), let right = string(arguments[1]) else { return .opaque }
      return .find(prefix: name.local == "starts-with", left, right)
    case .function(let name, let arguments) where name.prefix == nil && name.local == "not" && arguments.count == 1:
      return .not(boolean(arguments[0]))
    case .function(let name, let arguments) where name.prefix == nil && name.local == "boolean" && arguments.count == 1:
      return .boolean(boolean(arguments[0]))
    case .function(let name, let arguments):
      if let key = key(name, arguments, count: 1) { return key }
      if name.prefix != nil, arguments.count == 2, let value = string(arguments[0]),
        case .literal(let set) = arguments[1]
      {
        return .membership(function: name, value: value, set: set)
      }
      return .opaque
    case .filtered(.function(let name, let arguments), let predicates, let steps)
    where steps.isEmpty && predicates.count == 1:
      guard case .number(let position) = predicates[0], position >= 1, position <= 1_000_000,
        position == position.rounded()
      else { return .opaque }
      return key(name, arguments, count: Int(position)) ?? .opaque
    default:
      return .opaque
    }
  }

  private static func key(_ name: XPathSyntax.Name, _ arguments: [XPathSyntax], count: Int) -> NativeShape? {
    guard name.prefix == nil, name.local == "key", arguments.count == 2, case .literal(let index) = arguments[0],
      let value = string(arguments[1])
    else { return nil }
    return .keyHasAtLeast(index: index, value: value, count: count)
  }

  /// A comparison's operand: a string operand, or a node-set of attributes reached by child
  /// steps.
  private static func operand(_ syntax: XPathSyntax) -> StringShape? {
    if let single = string(syntax) { return single }
    switch syntax {
    case .path(false, let steps) where steps.count >= 2:
      let last = steps[steps.count - 1]
      func named(_ step: XPathSyntax.Step) -> Bool {
        if case .type = step.test { return false }
        return step.predicates.isEmpty
      }
      guard last.axis == "attribute", named(last) else { return nil }
      var elements: [XPathSyntax.NodeTest] = []
      for step in steps.dropLast() {
        guard step.axis == "child", named(step) else { return nil }
        elements.append(step.test)
      }
      return .attributes(elements: elements, attribute: last.test)
    case .function(let name, let arguments) where name.prefix != nil && arguments.count == 1:
      guard case .literal(let text) = arguments[0], let number = Int(text), number >= 0 else { return nil }
      return .childPathCall(name, number)
    default:
      return nil
    }
  }

  /// A string operand: never a node-set of more than one node.
  private static func string(_ syntax: XPathSyntax) -> StringShape? {
    switch syntax {
    case .literal(let text): return .literal(text)
    case .variable(let name): return .variable(name)
    case .function(let name, let arguments)
    where name.prefix == nil && (name.local == "string" || name.local == "normalize-space") && arguments.count == 1:
      guard let tests = attributeTests(arguments[0]), tests.count == 1 else { return nil }
      return .function(tests[0], normalized: name.local == "normalize-space")
    default:
      guard let tests = attributeTests(syntax), tests.count == 1 else { return nil }
      return .attribute(tests[0])
    }
  }

  /// The name tests of `@a` or `@a | @b | …` (no wildcard, no predicate), in the order written.
  private static func attributeTests(_ syntax: XPathSyntax) -> [XPathSyntax.NodeTest]? {
    switch syntax {
    case .path(false, let steps):
      guard steps.count == 1, steps[0].axis == "attribute", steps[0].predicates.isEmpty,
        case .name = steps[0].test
      else { return nil }
      return [steps[0].test]
    case .union(let members):
      var tests: [XPathSyntax.NodeTest] = []
      for member in members {
        guard let inner = attributeTests(member) else { return nil }
        tests += inner
      }
      return tests
    default:
      return nil
    }
  }
}

/// A ``NativeShape`` resolved in one ``XPathContext``: its names bound to the context's
/// namespaces, functions, indexes and variables.
indirect enum NativePlan {
  case and(NativePlan, NativePlan)
  case or(NativePlan, NativePlan)
  case not(NativePlan)
  case keyHasAtLeast(AttributeTable.Reader, StringSource, Int)
  case membership(StringSet, StringSource)
  case compare(equal: Bool, StringSource, StringSource)
  /// `normalize-space(@a) = ''` (`equal`) or `!= ''`, the usual test for a value that is not
  /// blank: read in place.
  case blank(NameMatcher, equal: Bool)
  /// A comparison of the attributes a child path selects with `other`, true when some
  /// attribute compares so (see ``XPathContext/someAttribute(selectedBy:from:compares:with:)``).
  case someAttribute(ElementPath, equal: Bool, other: StringSource)
  case find(prefix: Bool, StringSource, StringSource)
  case attributeString([ElementPath.Test])
  /// The number of nodes `path` selects: in the document (`documentWide`), or from the
  /// context element.
  case count(ElementPath, documentWide: Bool)
  case opaque

  /// A resolved string operand.
  enum StringSource {
    /// The node-set of that attribute, of at most one node.
    case attribute(NameMatcher)
    /// `string(@a)`, or `normalize-space(@a)` when `normalized`.
    case function(NameMatcher, normalized: Bool)
    /// A variable's slot in the context.
    case variable(Int)
    case literal(ContiguousArray<UInt8>)
    /// The attributes a relative path of child steps selects (``ElementPath/attribute`` set).
    case attributes(ElementPath)

    /// The path, for a node-set of attributes.
    var path: ElementPath? {
      guard case .attributes(let path) = self else { return nil }
      return path
    }
  }

  /// A boolean answer, or none (libxml2 evaluates the expression).
  enum Answer {
    case yes, no, unknown
  }
}

/// A rule's boolean tests with their native plans in one context, resolved once for the many
/// nodes the rule fires on (see ``XPathContext/nativeTests(_:)``).
public struct NativeTests {
  /// The plans, boxed: a plan read through an unretained box (``handles``) is borrowed, where
  /// one read from an array would be retained and released at every node.
  let boxes: [Box]
  let handles: [Unmanaged<Box>]
  /// Per test: the answer with which it fires.
  let firesWhen: [Bool]

  init(plans: [NativePlan], firesWhen: [Bool]) {
    boxes = plans.map(Box.init)
    handles = boxes.map { Unmanaged.passUnretained($0) }
    self.firesWhen = firesWhen
  }

  final class Box {
    let plan: NativePlan
    init(_ plan: NativePlan) { self.plan = plan }
  }
}

extension XPathContext {
  /// Numbers the contexts, so that an expression's cached plan is never taken for another
  /// context's (see ``XPathExpression/nativePlan``).
  static let serials = Atomic<Int>(0)

  /// The plan of `expression` in this context, resolved on first use; `nil` when it has none.
  func nativePlan(for expression: XPathExpression) -> NativePlan? {
    guard let shape = expression.nativeShape else { return nil }
    if let cached = expression.nativePlan, cached.context == serial { return cached.plan }
    let plan = resolve(shape)
    expression.nativePlan = (serial, plan)
    return plan
  }

  private func resolve(_ shape: NativeShape) -> NativePlan {
    switch shape {
    case .and(let left, let right): return .and(resolve(left), resolve(right))
    case .or(let left, let right): return .or(resolve(left), resolve(right))
    case .not(let operand):
      return callsBuiltIn(QualifiedName("not")) ? .not(resolve(operand)) : .opaque
    case .boolean(let operand):
      return callsBuiltIn(QualifiedName("boolean")) ? resolve(operand) : .opaque
    case .keyHasAtLeast(let index, let value, let count):
      let key = QualifiedName("key")
      // A key whose calls libxml2 hands to the indexed lookup, answered from a sealed table
      // that keeps every match.
      guard let value = resolve(value), case .attribute = value,
        let (table, selection) = indexedTable(function: key, index: index), selection == .all,
        let reader = table.reader
      else { return .opaque }
      return .keyHasAtLeast(reader, value, count)
    case .membership(let name, let value, let set):
      guard let prefix = name.prefix, let uri = namespaceURI(prefix: prefix),
        let strings = membershipSet(function: QualifiedName(name.local, namespace: uri), set: set),
        let value = resolve(value)
      else { return .opaque }
      return .membership(strings, value)
    case .compare(let equal, let left, let right):
      guard let left = resolve(left), let right = resolve(right) else { return .opaque }
      // The special cases are told apart here, once, rather than at every node.
      if case .function(let name, true) = left, case .literal(let text) = right, text.isEmpty {
        return .blank(name, equal: equal)
      }
      if let path = left.path ?? right.path {
        return .someAttribute(path, equal: equal, other: left.path == nil ? left : right)
      }
      return .compare(equal: equal, left, right)
    case .find(let prefix, let left, let right):
      guard callsBuiltIn(QualifiedName(prefix ? "starts-with" : "contains")), let left = resolve(left),
        let right = resolve(right)
      else { return .opaque }
      return .find(prefix: prefix, left, right)
    case .attributeString(let tests):
      guard callsBuiltIn(QualifiedName("string")) else { return .opaque }
      var resolved: [ElementPath.Test] = []
      for test in tests {
        guard let test = attributeTest(test) else { return .opaque }
        resolved.append(test)
      }
      return .attributeString(resolved)
    case .countOfCall(let name, let number):
      guard callsBuiltIn(QualifiedName("count")), let prefix = name.prefix, let uri = namespaceURI(prefix: prefix)
      else { return .opaque }
      let function = QualifiedName(name.local, namespace: uri)
      if let path = pathFunctions[function]?(number) {
        return path.filtered.isEmpty ? .count(path, documentWide: true) : .opaque
      }
      if let path = childPathFunctions[function]?(number), !path.absolute, path.filtered.isEmpty {
        return .count(path, documentWide: false)
      }
      return .opaque
    case .opaque:
      return .opaque
    }
  }

  /// The number a `count(f('n'))` plan gives at `node` (the document node when `nil`), charged
  /// to the budget (one operation for the call unless `charged`, and one per node counted, as
  /// the call's native answer is charged); `nil` when libxml2 must evaluate: a node of another
  /// document, a child path at a node that is not an element or in a document whose subtrees
  /// were not recorded, or a budget that cannot hold it.
  func nativeCount(_ plan: NativePlan, at node: xmlNodePtr?, charged: Bool) -> Int? {
    guard case .count(let path, let documentWide) = plan else { return nil }
    let count: Int
    if documentWide {
      guard (node?.pointee.doc ?? document.pointer) == document.pointer else { return nil }
      count = document.nodesSelected(by: path).count
    } else {
      guard let node, node.pointee.type == XML_ELEMENT_NODE, node.pointee.doc == document.pointer else { return nil }
      var selected = 0
      guard
        document.forEachNode(
          selectedBy: path, from: node,
          { _ in
            selected += 1
            return true
          }) != nil
      else { return nil }
      count = selected
    }
    guard chargeNative(count + (charged ? 0 : 1)) else { return nil }
    return count
  }

  private func resolve(_ value: NativeShape.StringShape) -> NativePlan.StringSource? {
    switch value {
    case .attribute(let test): return attributeTest(test).map { .attribute(NameMatcher($0)) }
    case .function(let test, let normalized):
      guard callsBuiltIn(QualifiedName(normalized ? "normalize-space" : "string")) else { return nil }
      return attributeTest(test).map { .function(NameMatcher($0), normalized: normalized) }
    case .literal(let text): return .literal(ContiguousArray(text.utf8))
    case .variable(let name):
      guard name.prefix == nil, let slot = variableSlot(QualifiedName(name.local)) else { return nil }
      return .variable(slot)
    case .attributes(let elements, let attribute):
      var tests: [ElementPath.Test] = []
      for element in elements {
        guard let test = nameTest(element) else { return nil }
        tests.append(test)
      }
      guard let attribute = nameTest(attribute) else { return nil }
      return .attributes(ElementPath(absolute: false, steps: tests, attribute: attribute))
    case .childPathCall(let name, let number):
      guard let prefix = name.prefix, let uri = namespaceURI(prefix: prefix),
        let path = childPathFunctions[QualifiedName(name.local, namespace: uri)]?(number), !path.absolute,
        path.filtered.isEmpty, path.attribute != nil, !path.steps.isEmpty
      else { return nil }
      return .attributes(path)
    }
  }

  private func attributeTest(_ test: XPathSyntax.NodeTest) -> ElementPath.Test? {
    guard case .name(let name) = test else { return nil }
    guard let prefix = name.prefix else { return ElementPath.Test(namespace: nil, localName: name.local) }
    return namespaceURI(prefix: prefix).map { ElementPath.Test(namespace: $0, localName: name.local) }
  }

  /// The test of a step with a name test or a wildcard (`*`, `p:*`).
  private func nameTest(_ test: XPathSyntax.NodeTest) -> ElementPath.Test? {
    switch test {
    case .any: return .any
    case .anyInNamespace(let prefix):
      return namespaceURI(prefix: prefix).map { ElementPath.Test(namespace: $0, localName: nil) }
    case .name: return attributeTest(test)
    case .type: return nil
    }
  }

  private func namespaceURI(prefix: String) -> String? {
    xmlXPathNsLookup(context, prefix).map { String(cString: $0) }
  }

  /// The answer of a boolean `plan` at `node`, an element of this context's document.
  func answer(_ plan: NativePlan, at node: xmlNodePtr) -> NativePlan.Answer {
    switch plan {
    case .and(let left, let right):
      switch answer(left, at: node) {
      case .no: return .no
      case .yes: return answer(right, at: node)
      case .unknown: return .unknown
      }
    case .or(let left, let right):
      switch answer(left, at: node) {
      case .yes: return .yes
      case .no: return answer(right, at: node)
      case .unknown: return .unknown
      }
    case .not(let operand):
      switch answer(operand, at: node) {
      case .yes: return .no
      case .no: return .yes
      case .unknown: return .unknown
      }
    case .keyHasAtLeast(let table, let source, let count):
      // An element without the attribute: left to libxml2 (and to the key's Swift function).
      guard let found = withBytes(of: source, at: node, missing: false, { table.count($0, count: $1) }) else {
        return .unknown
      }
      return found >= count ? .yes : .no
    case .membership(let strings, let source):
      guard let found = withBytes(of: source, at: node, missing: true, { strings.contains(bytes: $0, count: $1) })
      else { return .unknown }
      return found ? .yes : .no
    case .compare(let equal, let left, let right):
      // A comparison with an empty node-set is false, whichever the operator.
      if isMissing(left, at: node) || isMissing(right, at: node) { return .no }
      let result = withBytes(of: left, at: node, missing: true) { leftBytes, leftCount in
        withBytes(of: right, at: node, missing: true) { rightBytes, rightCount in
          Self.equal(leftBytes, leftCount, rightBytes, rightCount) == equal
        }
      }
      guard let result, let result else { return .unknown }
      return result ? .yes : .no
    case .blank(let name, let equal):
      guard let blank = isBlank(name, at: node) else { return .unknown }
      return blank == equal ? .yes : .no
    case .someAttribute(let path, let equal, let other):
      if isMissing(other, at: node) { return .no }
      return someAttribute(selectedBy: path, from: node, compares: equal, with: other)
    case .find(let prefix, let left, let right):
      guard
        let result = withBytes(
          of: left, at: node, missing: true,
          { text, count in
            withBytes(of: right, at: node, missing: true) { pattern, length in
              prefix ? Self.hasPrefix(text, count, pattern, length) : Self.contains(text, count, pattern, length)
            }
          }), let result
      else { return .unknown }
      return result ? .yes : .no
    case .attributeString, .count, .opaque:
      return .unknown
    }
  }

  /// Whether some attribute that `path` selects from `node` compares so with `other`.
  ///
  /// XPath's comparison of a node-set with a string: a value equal (`equal`) or unequal to
  /// `other`'s. Stops at the first that does; charges one operation per node examined.
  private func someAttribute(
    selectedBy path: ElementPath, from node: xmlNodePtr, compares equal: Bool, with other: NativePlan.StringSource
  ) -> NativePlan.Answer {
    let answer = withBytes(of: other, at: node, missing: true) { otherBytes, otherCount -> NativePlan.Answer in
      var answer = NativePlan.Answer.no
      let examined = document.forEachNode(selectedBy: path, from: node) { attribute in
        let attribute = UnsafeMutableRawPointer(attribute).assumingMemoryBound(to: xmlAttr.self)
        guard let text = Self.valueInOnePiece(attribute) else {
          answer = .unknown
          return false
        }
        guard Self.equal(text, cStringLength(text), otherBytes, otherCount) == equal else { return true }
        answer = .yes
        return false
      }
      guard let examined, chargeNative(examined) else { return .unknown }
      return answer
    }
    return answer ?? .unknown
  }

  /// Charges `operations` more to the budget of a native answer (which has been charged one);
  /// `false` when the budget cannot hold them (libxml2 then evaluates, and reports it).
  private func chargeNative(_ operations: Int) -> Bool {
    guard context.pointee.opLimit != 0 else { return true }
    let (count, overflow) = context.pointee.opCount.addingReportingOverflow(UInt(operations))
    guard !overflow, count <= context.pointee.opLimit else { return false }
    context.pointee.opCount = count
    return true
  }

  /// Whether `source` is an attribute step that selects nothing at `node` (a comparison with it
  /// is then false).
  @inline(__always)
  private func isMissing(_ source: NativePlan.StringSource, at node: xmlNodePtr) -> Bool {
    guard case .attribute(let name) = source else { return false }
    return name.firstAttribute(of: node) == nil
  }

  /// Whether `normalize-space(@a)` is empty at `node`: the attribute is missing or holds only
  /// whitespace; `nil` when its value is not held in one piece.
  @inline(__always)
  private func isBlank(_ name: NameMatcher, at node: xmlNodePtr) -> Bool? {
    guard let attribute = name.firstAttribute(of: node) else { return true }
    guard var byte = Self.valueInOnePiece(attribute) else { return nil }
    while true {
      switch byte.pointee {
      case 0: return true
      case 0x20, 0x09, 0x0A, 0x0D: byte += 1
      default: return false
      }
    }
  }

  @inline(__always)
  private static func equal(
    _ a: UnsafePointer<UInt8>?, _ aCount: Int, _ b: UnsafePointer<UInt8>?, _ bCount: Int
  ) -> Bool {
    aCount == bCount && (aCount == 0 || memcmp(a!, b!, aCount) == 0)
  }

  @inline(__always)
  private static func hasPrefix(
    _ text: UnsafePointer<UInt8>?, _ count: Int, _ prefix: UnsafePointer<UInt8>?, _ length: Int
  ) -> Bool {
    length <= count && (length == 0 || memcmp(text!, prefix!, length) == 0)
  }

  private static func contains(
    _ text: UnsafePointer<UInt8>?, _ count: Int, _ pattern: UnsafePointer<UInt8>?, _ length: Int
  ) -> Bool {
    guard length > 0 else { return true }
    guard length <= count, let text, let pattern else { return false }
    for start in 0...(count - length) where text[start] == pattern[0] {
      if memcmp(text + start, pattern, length) == 0 { return true }
    }
    return false
  }

  /// Calls `body` with the bytes of `source` at `node`; `nil` (without calling it) when they are
  /// not at hand.
  ///
  /// A missing attribute is the empty string when `missing` allows it.
  @inline(__always)
  private func withBytes<R>(
    of source: NativePlan.StringSource, at node: xmlNodePtr, missing: Bool,
    _ body: (UnsafePointer<UInt8>?, Int) -> R
  ) -> R? {
    switch source {
    case .attribute(let name):
      guard let attribute = name.firstAttribute(of: node) else {
        return missing ? body(nil, 0) : nil
      }
      guard let text = Self.valueInOnePiece(attribute) else { return nil }
      return body(text, cStringLength(text))
    case .function(let name, let normalized):
      // `string()` and `normalize-space()` of no attribute are the empty string.
      guard let attribute = name.firstAttribute(of: node) else {
        return body(nil, 0)
      }
      guard let text = Self.valueInOnePiece(attribute) else { return nil }
      let count = cStringLength(text)
      guard normalized else { return body(text, count) }
      return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(count, 1)) { buffer in
        let length = Self.normalizeSpace(text, count, into: buffer.baseAddress!)
        return body(buffer.baseAddress, length)
      }
    case .variable(let slot):
      guard let object = variableObject(slot: slot), object.pointee.type == XPATH_STRING else { return nil }
      let text = object.pointee.stringval.map { UnsafePointer($0) }
      return body(text, text.map(cStringLength) ?? 0)
    case .literal(let bytes):
      return bytes.withUnsafeBufferPointer { body($0.baseAddress, $0.count) }
    case .attributes:
      return nil
    }
  }

  /// Writes XPath's `normalize-space()` of the `count` bytes at `text` into `output` (at least
  /// `count` bytes); returns the length written.
  ///
  /// Leading and trailing whitespace (space, tab, carriage return, line feed) is removed, and
  /// every inner run is replaced by one space.
  static func normalizeSpace(
    _ text: UnsafePointer<UInt8>, _ count: Int, into output: UnsafeMutablePointer<UInt8>
  ) -> Int {
    var length = 0
    var pendingSpace = false
    for index in 0..<count {
      let byte = text[index]
      if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
        pendingSpace = length > 0
        continue
      }
      if pendingSpace {
        output[length] = 0x20
        length += 1
        pendingSpace = false
      }
      output[length] = byte
      length += 1
    }
    return length
  }

  /// The first attribute of `node` (an element) that passes any of `tests`, in document order.
  @inline(__always)
  static func firstAttribute(of node: xmlNodePtr, passingAny tests: some Collection<ElementPath.Test>) -> xmlAttrPtr? {
    var property = node.pointee.properties
    while let attribute = property {
      for test in tests where test.matches(name: attribute.pointee.name, namespace: attribute.pointee.ns) {
        return attribute
      }
      property = attribute.pointee.next
    }
    return nil
  }

  /// The value of `attribute` where the tree holds it in one piece (a single text child, or
  /// none: empty), else `nil`.
  @inline(__always)
  static func valueInOnePiece(_ attribute: xmlAttrPtr) -> UnsafePointer<UInt8>? {
    guard attribute.pointee.children != nil else { return emptyString }
    return singleTextChild(of: attribute).map { $0.pointee.content.map { UnsafePointer($0) } ?? emptyString }
  }

  /// The value object of a `string(@a | …)` plan at `node` (an element of this context's
  /// document), or `nil` when libxml2 must evaluate it.
  func valueObject(_ plan: NativePlan, at node: xmlNodePtr) -> xmlXPathObjectPtr? {
    if case .count = plan {
      return nativeCount(plan, at: node, charged: true).map { xmlXPathNewFloat(Double($0)) }
    }
    guard case .attributeString(let tests) = plan else { return nil }
    guard let attribute = Self.firstAttribute(of: node, passingAny: tests) else { return xmlXPathNewCString("") }
    guard let text = Self.valueInOnePiece(attribute) else { return nil }
    return xmlXPathNewString(text)
  }
}

/// An empty C string in static memory.
private var emptyString: UnsafePointer<UInt8> { ("" as StaticString).utf8Start }
