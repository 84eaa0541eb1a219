import XMLCore

/// Answers `set:distinct` over one attribute of plain absolute paths from a shared attribute
/// index: `set:distinct(/d:declaration/d:criticalInfrastructure/d:sector/@category |
/// /d:declaration/d:criticalInfrastructure/d:facility/@category)`.
///
/// As written, libxml2 walks the attributes of every element of each path (600 000 attributes
/// for 100 000 facilities), merges and sorts the sets, and the distinct values are then sought
/// among all of them. The index of that attribute over those paths (``XMLCore/AttributeIndex``,
/// collected while parsing) holds its values in the order of their first element: the first
/// element of each value is the answer, read in one operation per distinct value (see
/// ``XMLCore/XPathContext/register(distinctValues:_:)``).
///
/// Rewritten: a call of a function whose native answer is the first node of each distinct
/// string value (`NativeAnswer.firstOfEachStringValue`), with one argument that is a path from
/// the root (`/a/b/@c`) or from anywhere (`//b/@c`) of child steps with name tests and no
/// predicates, ending in an attribute step with a name test, or a union of such paths ending in
/// the same attribute (paths that select the same elements count them once). The call falls
/// back to the `set:distinct` call as written when the context node is in another document.
enum DistinctOptimizer {
  /// The name of the internal function that answers rewritten calls.
  static let function = XPathSyntax.Name(prefix: LookupOptimizer.prefix, local: "distinct")

  /// `syntax` with its distinct-value calls over plain attribute paths replaced; `nil` when unchanged.
  ///
  /// The replacing calls are numbered in `indexes` (each distinct call once, as source text and
  /// as the index it reads). `isDistinct` tells whether a function name answers natively with
  /// the first node of each distinct string value.
  static func rewrite(
    _ syntax: XPathSyntax, namespaces: [String: String], isDistinct: (XPathSyntax.Name) -> Bool,
    indexes: inout [(source: String, request: AttributeIndexRequest)]
  ) -> XPathSyntax? {
    var changed = false
    let result = syntax.rewritten(in: .everywhere) { candidate in
      guard case .function(let name, let arguments) = candidate, arguments.count == 1, isDistinct(name),
        let request = request(for: arguments[0], namespaces: namespaces)
      else { return nil }
      let source = candidate.description
      let number: Int
      if let existing = indexes.firstIndex(where: { $0.source == source }) {
        number = existing
      } else {
        number = indexes.count
        indexes.append((source, request))
      }
      changed = true
      return .function(function, [.literal(String(number))])
    }
    return changed ? result : nil
  }

  /// The index whose first element of each value answers `set:distinct(argument)`, or `nil`.
  static func request(for argument: XPathSyntax, namespaces: [String: String]) -> AttributeIndexRequest? {
    func operands(_ syntax: XPathSyntax) -> [XPathSyntax] {
      if case .union(let parts) = syntax { return parts.flatMap(operands) }
      return [syntax]
    }
    var paths: [ElementPath] = []
    var attribute: ElementPath.Test?
    for operand in operands(argument) {
      guard case .path(true, let steps) = operand, steps.last?.axis == "attribute",
        let plan = ContextPlan(operand.description, namespaces: namespaces), plan.predicates.isEmpty,
        plan.path.filtered.isEmpty, let test = plan.path.attribute, test.localName != nil, !test.anyNamespace,
        attribute == nil || attribute == test
      else { return nil }
      attribute = test
      var elements = plan.path
      elements.attribute = nil
      if !paths.contains(elements) { paths.append(elements) }
    }
    guard let attribute, !paths.isEmpty else { return nil }
    return AttributeIndexRequest(paths: paths, attribute: attribute)
  }
}
