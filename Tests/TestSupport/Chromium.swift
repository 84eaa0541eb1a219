import Foundation
import Testing

/// Headless Chromium (Debian's `chromium`), for the tests that render HTML in a browser.
public enum Chromium {
  /// The browser's path; `nil` when it is not installed.
  public static let path = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
    FileManager.default.isExecutableFile(atPath: $0)
  }

  /// Runs headless Chromium with `arguments` (`--screenshot=…`, `--dump-dom`, a URL).
  ///
  /// It runs off Swift's cooperative threads, so that a live server in the same process can answer it.
  /// A test that calls it fails when Chromium is not installed.
  public static func run(
    _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation
  ) async throws -> ProcessOutcome {
    let binary = try #require(
      path, "Chromium is not installed (apt-get install chromium); .ci/run installs it", sourceLocation: sourceLocation)
    let all =
      ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-extensions"]
      + arguments
    return try await withCheckedThrowingContinuation { continuation in
      DispatchQueue.global().async {
        continuation.resume(with: Result { try runProcess(binary, all) })
      }
    }
  }

  /// Distinct colours, the share of dark pixels, and red pixels (the "Needs work" verdict) of a screenshot.
  ///
  /// Three numbers; fewer, and a failed expectation, when the screenshot cannot be analysed (PIL missing).
  public static func analyse(_ screenshot: URL, sourceLocation: SourceLocation = #_sourceLocation) throws -> [Double] {
    let analysis = try runProcess(
      "/usr/bin/env",
      [
        "python3", "-c",
        """
        import sys
        from PIL import Image
        im = Image.open(sys.argv[1]).convert("RGB")
        pixels = list(im.getdata())
        dark = sum(1 for p in pixels if sum(p) < 600) / len(pixels)
        red = sum(1 for (r, g, b) in pixels if r > 140 and g < 60 and b < 60)
        print(f"{len(set(pixels))} {dark:.4f} {red}")
        """,
        screenshot.path,
      ])
    let parts = analysis.output.split(separator: " ").compactMap {
      Double($0.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    #expect(
      parts.count == 3, "cannot analyse the screenshot (pip install pillow): \(analysis.output)",
      sourceLocation: sourceLocation)
    return parts
  }
}
