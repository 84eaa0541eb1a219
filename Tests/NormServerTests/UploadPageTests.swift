import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NormKit
import TestSupport
import Testing

@testable import NormServer

/// The upload page, as HTML and in headless Chromium (Debian's `chromium`) against a live server:
/// the page itself, and the report a sample upload gets through the route the form posts to.
@Suite("normcheck serve: upload page in a browser")
struct UploadPageTests {
  static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
    FileManager.default.isExecutableFile(atPath: $0)
  }

  /// Runs Chromium off Swift's cooperative threads (the live server needs them to answer it).
  func chromium(_ arguments: [String]) async throws -> ProcessOutcome {
    let binary = try #require(
      Self.chromium, "Chromium is not installed (apt-get install chromium); .ci/run installs it")
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
  func analyse(_ screenshot: URL) async throws -> [Double] {
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
    return parts
  }

  @Test func pageIsAPlainAccessibleForm() async throws {
    let html = try await TestServer.shared.application().test(.router) { client in
      let response = try await client.execute(uri: "/", method: .get)
      #expect(response.status == .ok)
      #expect(response.headers[.contentType] == "text/html; charset=utf-8")
      return response.text
    }
    #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
    #expect(!html.lowercased().contains("<script"))
    #expect(html.firstMatch(of: /\son[a-z]+\s*=/) == nil)  // no event handler attributes
    #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("<link"))
    #expect(
      html.contains(
        "<form method=\"post\" action=\"/v1/check?format=html\" enctype=\"multipart/form-data\" accept-charset=\"UTF-8\">"
      ))
    // Every control has a label naming it.
    let ids = html.matches(of: /<(?:input|textarea|select)[^>]* id="([^"]+)"/).map { String($0.output.1) }
    #expect(ids.count == 3 + TestServer.shared.service.packs.count, "\(ids)")
    for id in ids { #expect(html.contains("<label for=\"\(id)\">"), "no label for \(id)") }
    #expect(html.contains("<button type=\"submit\">Check the declaration</button>"))
    #expect(html.contains(":focus-visible { outline: 3px solid #1b1b1b"))
  }

  @Test func pageAndReportRenderInChromium() async throws {
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let sample = try TestServer.sample("xd-dravonia-2025-doctrine-conflict.xml")
    let expected = Set(try TestServer.expectedRuleIDs("xd-dravonia-2025-doctrine-conflict.xml"))
    try await TestServer.shared.application().test(.live) { client in
      let port = try #require(client.port)
      let base = "http://localhost:\(port)"

      // The upload page, as a browser gets it from the server.
      let pageShot = directory.appendingPathComponent("page.png")
      _ = try await chromium(["--window-size=1000,1000", "--screenshot=\(pageShot.path)", base + "/"])
      let page = try await analyse(pageShot)
      if page.count == 3 {
        #expect(page[0] > 5, "the page screenshot is a single flat colour")
        #expect(page[1] > 0.005, "the page screenshot is nearly blank")
      }
      let pageDOM = try await chromium(["--dump-dom", base + "/"]).output
      #expect(pageDOM.contains("<h1>Check a cyber-norm declaration</h1>"))
      #expect(pageDOM.contains("Declaration file (XML)"))
      #expect(pageDOM.contains("Paste the XML text"))

      // A sample posted the way the form posts it; the report Chromium renders.
      let (body, headers) = TestServer.multipart([("file", "xd-dravonia.xml", sample), ("xml", nil, Data())])
      let response = try await client.execute(
        uri: "/v1/check?format=html", method: .post, headers: headers, body: body)
      #expect(response.status == .ok)
      let report = directory.appendingPathComponent("report.html")
      try response.text.write(to: report, atomically: true, encoding: .utf8)
      let reportShot = directory.appendingPathComponent("report.png")
      _ = try await chromium([
        "--window-size=1000,1400", "--screenshot=\(reportShot.path)", report.absoluteString,
      ])
      let shot = try await analyse(reportShot)
      if shot.count == 3 {
        #expect(shot[0] > 5, "the report screenshot is a single flat colour")
        #expect(shot[1] > 0.01, "the report screenshot is nearly blank")
        #expect(shot[2] > 100, "the red verdict 'Needs work' is not visible")
      }
      let dom = try await chromium(["--dump-dom", report.absoluteString]).output
      #expect(dom.contains("Needs work"))
      #expect(dom.contains("xd-dravonia.xml"))
      for id in expected { #expect(dom.contains(id), "\(id) is not in the rendered report") }
    }
  }
}
