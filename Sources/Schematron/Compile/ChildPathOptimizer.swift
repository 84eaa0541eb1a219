import XMLCore

/// Answers relative paths of child steps from a context element with a large subtree without
/// walking all of its children: `d:criticalInfrastructure/d:sector[@category = 'x']` at the
/// declaration, `d:authority` at a list of 100 000 facilities.
///
/// libxml2 answers a child step by walking every child of the context node: at an element
/// with 100 000 children, a few sectors cost a walk over all of them each time. This rewrite
/// gives an expression a second form, its *wide* form, in which such paths, where they are
/// evaluated at the expression's own context node, are calls answered natively (see
/// ``XMLCore/XPathContext/register(childPaths:_:)``): from the element index, the elements of
/// the last step's name within the context's subtree, or by a walk down the children when
/// that examines fewer nodes. The evaluator uses the wide form only at elements with large
/// subtrees (``XMLCore/Node/descendantElementCount`` of at least
/// ``DocumentRun/Session/wideSubtree``); elsewhere libxml2's own walk costs less than a
/// function call.
///
/// Rewritten: the longest leading part of a relative path made of child steps with a name
/// test (or `*`), ending in an attribute step when the whole path is plain, or at the first
/// step with predicates, which is taken in when none of them is positional (they then filter
/// the call's answer: without `position()` or `last()`, a predicate keeps the same nodes from
/// the whole answer as from each parent's children). What follows stays as written. Only the
/// paths evaluated at the expression's context node: operands, function arguments, union
/// members and filter primaries, never inside predicates or later steps, whose context nodes
/// are others.
enum ChildPathOptimizer {
  /// The name of the internal function that answers rewritten paths.
  static let function = XPathSyntax.Name(prefix: LookupOptimizer.prefix, local: "children")

  /// The wide form of `syntax`; `nil` when nothing changed.
  ///
  /// Its paths are numbered in `paths` (each distinct path once, as source text, what the
  /// fallback evaluates, and as ``ElementPath``). `isBoolean` tells of an extension function whether it returns a boolean (see
  /// ``LookupOptimizer/isNonPositional(_:isBoolean:)``).
  static func rewrite(
    _ syntax: XPathSyntax, namespaces: [String: String], isBoolean: (XPathSyntax.Name) -> Bool = { _ in false },
    paths: inout [(source: String, path: ElementPath)]
  ) -> XPathSyntax? {
    var changed = false
    func transform(_ syntax: XPathSyntax) -> XPathSyntax {
      syntax.rewritten(in: .operands) { candidate in
        switch candidate {
        case .path(false, let steps): return replace(steps)
        case .union(let members): return .union(members.map(transform))
        case .filtered(let primary, let predicates, let steps):
          return .filtered(primary: transform(primary), predicates: predicates, steps: steps)
        default: return nil
        }
      }
    }
    func replace(_ steps: [XPathSyntax.Step]) -> XPathSyntax? {
      var tests: [ElementPath.Test] = []
      var attribute: ElementPath.Test?
      var filters: [XPathSyntax] = []
      for (index, step) in steps.enumerated() {
        guard let nameTest = ElementPath.Test(step.test, namespaces: namespaces) else { break }
        if step.axis == "attribute" {
          if index == steps.count - 1, step.predicates.isEmpty, !tests.isEmpty { attribute = nameTest }
          break
        }
        guard step.axis == "child" else { break }
        if !step.predicates.isEmpty {
          guard step.predicates.allSatisfy({ LookupOptimizer.isNonPositional($0, isBoolean: isBoolean) }) else { break }
          filters = step.predicates
        }
        tests.append(nameTest)
        if !filters.isEmpty { break }
      }
      guard !tests.isEmpty else { return nil }
      let taken = tests.count + (attribute == nil ? 0 : 1)
      let plain = steps[..<taken].map { XPathSyntax.Step(axis: $0.axis, test: $0.test, predicates: []) }
      let source = XPathSyntax.path(absolute: false, steps: plain).description
      let number: Int
      if let existing = paths.firstIndex(where: { $0.source == source }) {
        number = existing
      } else {
        number = paths.count
        paths.append((source, ElementPath(absolute: false, steps: tests, attribute: attribute)))
      }
      changed = true
      let call = XPathSyntax.function(function, [.literal(String(number))])
      if filters.isEmpty, taken == steps.count { return call }
      return .filtered(primary: call, predicates: filters, steps: Array(steps[taken...]))
    }
    let result = transform(syntax)
    return changed ? result : nil
  }
}
