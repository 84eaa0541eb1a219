import XMLCore

/// Answers absolute location paths of plain child steps from the document's element index:
/// `/d:declaration/d:criticalInfrastructure/d:facility/@category`, `//d:list/d:item`.
///
/// libxml2 answers such a path by walking every child of every element on the way: a few
/// sectors under a list of 100 000 facilities cost a walk over all of them, each time the path
/// is evaluated. Their answer does not depend on where they are evaluated (only on the
/// document), so it is computed once per document from the element index instead (see
/// ``XMLCore/XPathContext/register(paths:_:)``).
///
/// Rewritten: the longest leading part of an absolute path made of child steps with a name
/// test (or `*`) and no predicates, at least two such steps (after `/` or `//`), ending in an
/// attribute step when the whole path is plain. (`//x` alone is left to libxml2, which walks
/// the document once for it as fast as the answer could be copied: under an operation budget,
/// as written, it stops pathological expressions at the same place.) A child step whose
/// predicates are none of them positional is taken in too, and ends the part: its predicates
/// filter the call's answer (`nci:path('0')[nc:is-within(@category, $c, 'v')]` for
/// `/d:declaration/d:criticalInfrastructure/d:sector[…]`), which keeps the same nodes as
/// filtering each parent's children, without walking the 100 000 facilities beside the
/// sectors at every evaluation. What follows it stays as written, evaluated
/// from each node of that part (`nci:path('0')/d:commitment[…]`), so that positional
/// predicates keep their meaning. The call falls back to the path as written when the
/// context node is in another document.
enum PathOptimizer {
  /// The name of the internal function that answers rewritten paths.
  static let function = XPathSyntax.Name(prefix: LookupOptimizer.prefix, local: "path")

  /// `syntax` with its plain absolute paths replaced by calls numbered in `paths` (each
  /// distinct path once, as source text and as ``ElementPath``); `nil` when nothing changed.
  ///
  /// `isBoolean` tells of an extension function whether it returns a boolean (see
  /// ``LookupOptimizer/isNonPositional(_:isBoolean:)``).
  static func rewrite(
    _ syntax: XPathSyntax, namespaces: [String: String], isBoolean: (XPathSyntax.Name) -> Bool = { _ in false },
    paths: inout [(source: String, path: ElementPath)]
  ) -> XPathSyntax? {
    var changed = false
    func transform(_ syntax: XPathSyntax) -> XPathSyntax {
      syntax.rewritten(in: .everywhere) { candidate in replace(candidate) }
    }
    func replace(_ candidate: XPathSyntax) -> XPathSyntax? {
      guard case .path(true, let steps) = candidate else { return nil }
      var plain = 0
      var elementSteps = 0
      var filters: [XPathSyntax] = []
      for (index, step) in steps.enumerated() {
        if index == 0, step.axis == "descendant-or-self", step.test == .type("node", nil), step.predicates.isEmpty {
          plain = 1
          continue
        }
        let nameTest: Bool
        switch step.test {
        case .any, .anyInNamespace, .name: nameTest = true
        case .type: nameTest = false
        }
        guard nameTest else { break }
        if step.axis == "child", !step.predicates.isEmpty {
          guard elementSteps >= 1,
            step.predicates.allSatisfy({ LookupOptimizer.isNonPositional($0, isBoolean: isBoolean) })
          else { break }
          plain = index + 1
          elementSteps += 1
          filters = step.predicates
          break
        }
        guard step.predicates.isEmpty else { break }
        if step.axis == "child" {
          plain = index + 1
          elementSteps += 1
        } else if step.axis == "attribute", index == steps.count - 1 {
          plain = index + 1
        } else {
          break
        }
      }
      guard elementSteps >= 2 else { return nil }
      let prefix = steps[..<plain].map { XPathSyntax.Step(axis: $0.axis, test: $0.test, predicates: []) }
      let source = XPathSyntax.path(absolute: true, steps: prefix).description
      guard let plan = ContextPlan(source, namespaces: namespaces), plan.path.filtered.isEmpty else { return nil }
      let number: Int
      if let existing = paths.firstIndex(where: { $0.source == source }) {
        number = existing
      } else {
        number = paths.count
        paths.append((source, plan.path))
      }
      changed = true
      let call = XPathSyntax.function(function, [.literal(String(number))])
      if plain == steps.count, filters.isEmpty { return call }
      // The rest as written, its predicates rewritten in turn.
      let rest = steps[plain...].map { step in
        XPathSyntax.Step(axis: step.axis, test: step.test, predicates: step.predicates.map(transform))
      }
      return .filtered(primary: call, predicates: filters.map(transform), steps: rest)
    }
    let result = transform(syntax)
    return changed ? result : nil
  }
}
