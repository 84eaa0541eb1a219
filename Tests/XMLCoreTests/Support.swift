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
