import Foundation

/// Locates files of the repository (fixtures, `Rules/`, `Samples/`) from test code.
public enum Fixtures {
  /// The repository root, found from this file's compile-time path.
  public static let root: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// A path below the repository root.
  public static func path(_ relative: String) -> String {
    root.appendingPathComponent(relative).path
  }

  /// A fresh temporary directory, removed by the caller with ``removeTemporaryDirectory(_:)``.
  public static func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("normcheck-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// Removes a directory made by ``makeTemporaryDirectory()``.
  public static func removeTemporaryDirectory(_ url: URL) {
    try? FileManager.default.removeItem(at: url)
  }
}
