internal import CLibXML2
import Foundation

/// Which attributes a parse keeps in the tree: every one, or only those that what will read the
/// document can ever reach.
///
/// A document projection (after Marian and Siméon, "Projecting XML Documents", VLDB 2003)
/// restricted to attributes: when every expression that will be evaluated on a document names
/// the attributes it reads (`@id`, `attribute::p:a`, `@p:*`, never `@*` or `attribute::node()`),
/// an attribute no test passes can never be selected, compared or printed, and the parser need
/// not build it. At 100 000 facilities, a pack that reads three of a facility's seven attributes
/// spares more than half of the tree's attribute nodes, each two nodes and a copy of its value.
///
/// Elements, text, comments and processing instructions are always kept, so positions, string
/// values, line numbers and paths are those of the whole document. Attributes in the XML
/// namespace (`xml:id`, `xml:lang`, `xml:space`, `xml:base`) are always kept: libxml2 and XPath
/// read them by themselves (`id()`, `lang()`).
public struct AttributeProjection: Hashable, Sendable, CustomStringConvertible {
  /// The tests an attribute kept passes; `nil` keeps every attribute.
  public private(set) var tests: Set<ElementPath.Test>?

  /// Every attribute is kept: no projection.
  public static let all = AttributeProjection(tests: nil)

  /// Keeps the attributes that pass any of `tests` (``ElementPath/Test``: a name in a namespace,
  /// or any name in one; ``ElementPath/Test/any`` keeps every attribute), and those in the XML
  /// namespace.
  public init(keeping tests: some Sequence<ElementPath.Test>) {
    let tests = Set(tests)
    self.tests = tests.contains(where: \.anyNamespace) ? nil : tests
  }

  private init(tests: Set<ElementPath.Test>?) { self.tests = tests }

  /// Whether every attribute is kept.
  public var keepsAll: Bool { tests == nil }

  /// The attributes either projection keeps.
  public func union(_ other: AttributeProjection) -> AttributeProjection {
    guard let tests, let others = other.tests else { return .all }
    return AttributeProjection(tests: tests.union(others))
  }

  /// Whether an attribute named `localName` in `namespace` (`nil`: none) is kept.
  public func keeps(localName: String, namespace: String?) -> Bool {
    guard let tests else { return true }
    if namespace == xmlNamespace { return true }
    return tests.contains { test in
      test.namespace == namespace && (test.localName == nil || test.localName == localName)
    }
  }

  /// `all`, or the tests as `{namespace}local` (`{namespace}*` for any name), sorted.
  public var description: String {
    guard let tests else { return "all" }
    return tests.map { "{\($0.namespace ?? "")}\($0.localName ?? "*")" }.sorted().joined(separator: " ")
  }
}

private let xmlNamespace = "http://www.w3.org/XML/1998/namespace"

/// A parse's attribute projection applied to libxml2's SAX2 start-element callback: the
/// attributes a ``AttributeProjection`` drops are left out of the array handed on to
/// `xmlSAX2StartElementNs`, which then never builds them.
///
/// The parser's attribute names and namespace URIs are interned in its dictionary, so the answer
/// for a name is remembered by its pointers; the strings are compared once per distinct name.
final class AttributeFilter {
  let projection: AttributeProjection
  /// Remembered answers, by the pointers of the name and of the namespace URI.
  private let verdicts = NameVerdicts(slots: 1024)
  /// The attributes handed on: five pointers each, as libxml2 lays them out.
  private var kept: UnsafeMutablePointer<UnsafePointer<xmlChar>?>
  private var keptCapacity = 0

  init(_ projection: AttributeProjection) {
    self.projection = projection
    keptCapacity = 16 * 5
    kept = .allocate(capacity: keptCapacity)
  }

  deinit { kept.deallocate() }

  /// Whether the attribute named `name` in namespace `uri` is kept.
  @inline(__always)
  private func keeps(_ name: UnsafePointer<xmlChar>, _ uri: UnsafePointer<xmlChar>?) -> Bool {
    verdicts.verdict(name, uri) { name, uri in
      projection.keeps(localName: name.map { String(cString: $0) } ?? "", namespace: uri.map { String(cString: $0) })
    }
  }

  /// Calls `body` with the attributes kept of the `count` (the last `defaulted` of them
  /// defaulted from a DTD) at `attributes`: their number, how many of them were defaulted, and
  /// the array, laid out as libxml2's (local name, prefix, URI, value, value end).
  @inline(__always)
  func withKept(
    _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>, count: Int, defaulted: Int,
    _ body: (Int32, Int32, UnsafeMutablePointer<UnsafePointer<xmlChar>?>) -> Void
  ) {
    if count * 5 > keptCapacity {
      kept.deallocate()
      keptCapacity = count * 5
      kept = .allocate(capacity: keptCapacity)
    }
    var keptCount = 0
    var keptDefaulted = 0
    for index in 0..<count {
      let entry = attributes + index * 5
      guard let name = entry[0], keeps(name, entry[2]) else { continue }
      (kept + keptCount * 5).initialize(from: entry, count: 5)
      keptCount += 1
      // Defaulted attributes come last, and keep their order.
      if index >= count - defaulted { keptDefaulted += 1 }
    }
    body(Int32(keptCount), Int32(keptDefaulted), kept)
  }
}
