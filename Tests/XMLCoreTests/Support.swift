import Foundation
import TestSupport
import XMLCore

/// The path of a fixture of this test target.
func fixture(_ name: String) -> String {
  Fixtures.path("Tests/XMLCoreTests/Fixtures/\(name)")
}

/// Parses a fixture file.
func parseFixture(_ name: String, limits: ParseLimits = .default) throws -> Document {
  try Document(contentsOfFile: fixture(name), limits: limits)
}

/// Runs `body` and returns the XMLError it throws, or nil.
func xmlError(_ body: () throws -> Void) -> XMLError? {
  do {
    try body()
    return nil
  } catch let error as XMLError {
    return error
  } catch {
    return nil
  }
}

let testNamespace = "urn:normcheck:test"

/// A document written piece by piece that knows where the next piece begins: the line and the
/// column (in characters, from 1; a line feed ends a line), so that a test knows its start tags'
/// positions by construction.
struct PositionedText {
  private(set) var text = ""
  private(set) var line = 1
  private(set) var column = 1

  mutating func append(_ piece: String) {
    for scalar in piece.unicodeScalars {
      if scalar == "\n" {
        line += 1
        column = 1
      } else {
        column += 1
      }
    }
    text += piece
  }
}

/// Values stored by several threads at once, one slot each.
final class ThreadResults<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var values: [Value]
  init(count: Int, initial: Value) { values = Array(repeating: initial, count: count) }
  func store(_ value: Value, at index: Int) { lock.withLock { values[index] = value } }
  func value(at index: Int) -> Value { lock.withLock { values[index] } }
  var all: [Value] { lock.withLock { values } }
}
