import Foundation
import NormKit
import Schematron
import TestSupport
import Testing
import XMLCore

/// Renders the HTML report in headless Chromium (Debian's `chromium`): the screenshot must not be blank and the findings' text must be in the rendered page.
///
/// Hostile text must stay text.
@Suite("HTML report in a browser")
struct HTMLRenderingTests {
  static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
    FileManager.default.isExecutableFile(atPath: $0)
  }

  func chromium(_ arguments: [String]) throws -> ProcessOutcome {
    let binary = try #require(
      Self.chromium, "Chromium is not installed (apt-get install chromium); .ci/run installs it")
    return try runProcess(
      binary,
      ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-extensions"]
        + arguments)
  }

  @Test func rendersFindingsAndIsNotBlank() async throws {
    let run = try await ReporterTests.fixedRun()
    let html = HTMLReporter().render(run)
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let page = directory.appendingPathComponent("report.html")
    try html.write(to: page, atomically: true, encoding: .utf8)
    let screenshot = directory.appendingPathComponent("report.png")
    _ = try chromium(["--window-size=1000,1400", "--screenshot=\(screenshot.path)", page.absoluteString])
    #expect(FileManager.default.fileExists(atPath: screenshot.path), "no screenshot")
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
    #expect(parts.count == 3, "cannot analyse the screenshot (pip install pillow): \(analysis.output)")
    if parts.count == 3 {
      #expect(parts[0] > 5, "the screenshot is a single flat colour")
      #expect(parts[1] > 0.01, "the screenshot is nearly blank")
      #expect(parts[2] > 100, "the red verdict 'Needs work' is not visible")
    }
    let dom = try chromium(["--dump-dom", page.absoluteString]).output
    #expect(dom.contains("Needs work"))
    #expect(dom.contains("Facility bad-dam-1 has a bad id."))
    #expect(dom.contains("A/70/174 para. 13(f)"))
    #expect(dom.contains("How to fix:"))
    #expect(dom.contains("Opening and ending tag mismatch"))
  }

  @Test func hostileTextStaysText() throws {
    let hostile = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>\"'&"
    var finding = Finding(
      ruleID: "X-1", origin: .rule, severity: .error, message: hostile, fix: hostile, file: hostile, line: 1, column: 1,
      xpath: hostile)
    finding.norms = [hostile]
    let report = DocumentReport(
      input: hostile, state: hostile, cycle: nil, findings: [finding], rulesApplied: [], schematronResults: [:],
      parsed: true)
    let html = HTMLReporter().render(
      RunSummary(
        reports: [report], packs: [], catalog: NormCatalog(), asOf: nil, failOn: .error, toolVersion: hostile))
    #expect(!html.contains("<script"))
    #expect(!html.contains("<img"))
    #expect(!html.lowercased().contains("http://") && !html.lowercased().contains("https://"))
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let page = directory.appendingPathComponent("hostile.html")
    try html.write(to: page, atomically: true, encoding: .utf8)
    let dom = try chromium(["--dump-dom", page.absoluteString]).output
    #expect(dom.contains("<title>normcheck report — Needs work</title>"))
    #expect(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"))
  }
}
