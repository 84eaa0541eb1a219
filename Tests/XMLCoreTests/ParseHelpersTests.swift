import Foundation
import Synchronization
import Testing

@testable import XMLCore

/// Large parses start helper threads only while the process-wide budget allows, and a parse
/// without helpers reads the same document.
@Suite("Helper threads of large parses")
struct ParseHelpersTests {
  /// A budget never grants more parses at once than its capacity, and every claim is given back.
  @Test(arguments: [1, 2])
  func aBudgetGrantsAtMostItsCapacity(capacity: Int) {
    let budget = ParseHelpers(capacity: capacity)
    let holding = Atomic<Int>(0)
    let most = Atomic<Int>(0)
    let grants = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: 8) { _ in
      for _ in 0..<200 {
        budget.whileGranted(if: true) { granted in
          guard granted else { return }
          grants.add(1, ordering: .relaxed)
          let now = holding.add(1, ordering: .relaxed).newValue
          _ = most.max(now, ordering: .relaxed)
          usleep(10)
          holding.subtract(1, ordering: .relaxed)
        }
      }
    }
    #expect(most.load(ordering: .relaxed) <= capacity)
    #expect(grants.load(ordering: .relaxed) > 0)
    #expect(budget.granted == 0)
    // Not wanted: never granted, nothing claimed.
    #expect(budget.whileGranted(if: false) { $0 } == false)
    // Nested claims: the one past the capacity is refused.
    let nested = budget.whileGranted(if: true) { first in
      budget.whileGranted(if: true) { second in [first, second, budget.granted == capacity] }
    }
    #expect(nested == [true, capacity >= 2, capacity <= 2])
    #expect(budget.granted == 0)
  }

  /// A claim is given back when the parse throws.
  @Test func aFailedParseGivesItsClaimBack() throws {
    let budget = ParseHelpers(capacity: 1)
    var xml = Array(ParseArenaTests.document(facilities: 6_000).utf8)
    xml.removeLast(20)  // no end tag for the root
    #expect(xml.count >= ParseArena.minimumInput)
    #expect(throws: XMLError.self) {
      try Document(bytes: xml, sourceName: "bad.xml", arena: .automatic, helpers: budget)
    }
    #expect(budget.granted == 0)
  }

  /// Without a grant, a large input is parsed into an arena that nobody populates ahead, with
  /// its indexes built on the parser's thread, and reads as with helpers.
  @Test func aParseWithoutHelpersReadsTheSame() throws {
    let bytes = Array(ParseArenaTests.document(facilities: 6_000).utf8)
    #expect(bytes.count >= ParseArena.minimumInput)
    let requests = [
      AttributeIndexRequest(
        paths: [
          ElementPath(
            absolute: false, steps: [ElementPath.Test(namespace: "urn:normcheck:declaration:1", localName: "facility")])
        ],
        attribute: ElementPath.Test(namespace: nil, localName: "id"))
    ]
    let with = try Document(
      bytes: bytes, sourceName: "t.xml", indexing: requests, arena: .automatic, helpers: ParseHelpers(capacity: 1))
    let without = try Document(
      bytes: bytes, sourceName: "t.xml", indexing: requests, arena: .automatic, helpers: ParseHelpers(capacity: 0))
    if ParseArenaTests.arenasOn {
      #expect(with.arena?.prefault == ParseArena.Region.canPopulate)
      #expect(without.arena?.prefault == false)
    }
    #expect(ParseArenaTests.dump(without) == ParseArenaTests.dump(with))
    #expect(without.attributeIndexes.count == 1)
    let index = without.attributeIndex(of: requests[0].paths, attribute: requests[0].attribute)
    let expected = with.attributeIndex(of: requests[0].paths, attribute: requests[0].attribute)
    for value in ["f-0", "f-5999", "f-6000", ""] {
      #expect(index[value].map { $0.path } == expected[value].map { $0.path }, "\(value)")
    }
    #expect(index["f-42"].count == 1)
  }
}
