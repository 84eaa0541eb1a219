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
  @Test func rendersFindingsAndIsNotBlank() async throws {
    let run = try await ReporterTests.fixedRun()
    let html = HTMLReporter().render(run)
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let page = directory.appendingPathComponent("report.html")
    try html.write(to: page, atomically: true, encoding: .utf8)
    let screenshot = directory.appendingPathComponent("report.png")
    _ = try await Chromium.run(["--window-size=1000,1400", "--screenshot=\(screenshot.path)", page.absoluteString])
    #expect(FileManager.default.fileExists(atPath: screenshot.path), "no screenshot")
    let parts = try Chromium.analyse(screenshot)
    if parts.count == 3 {
      #expect(parts[0] > 5, "the screenshot is a single flat colour")
      #expect(parts[1] > 0.01, "the screenshot is nearly blank")
      #expect(parts[2] > 100, "the red verdict 'Needs work' is not visible")
    }
    let dom = try await Chromium.run(["--dump-dom", page.absoluteString]).output
    #expect(dom.contains("Needs work"))
    #expect(dom.contains("Facility bad-dam-1 has a bad id."))
    #expect(dom.contains("A/70/174 para. 13(f)"))
    #expect(dom.contains("How to fix:"))
    #expect(dom.contains("Opening and ending tag mismatch"))
  }

  @Test func hostileTextStaysText() async throws {
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
    let dom = try await Chromium.run(["--dump-dom", page.absoluteString]).output
    #expect(dom.contains("<title>normcheck report — Needs work</title>"))
    #expect(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"))
  }
}
