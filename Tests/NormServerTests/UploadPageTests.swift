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
      _ = try await Chromium.run(["--window-size=1000,1000", "--screenshot=\(pageShot.path)", base + "/"])
      let page = try Chromium.analyse(pageShot)
      if page.count == 3 {
        #expect(page[0] > 5, "the page screenshot is a single flat colour")
        #expect(page[1] > 0.005, "the page screenshot is nearly blank")
      }
      let pageDOM = try await Chromium.run(["--dump-dom", base + "/"]).output
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
      _ = try await Chromium.run([
        "--window-size=1000,1400", "--screenshot=\(reportShot.path)", report.absoluteString,
      ])
      let shot = try Chromium.analyse(reportShot)
      if shot.count == 3 {
        #expect(shot[0] > 5, "the report screenshot is a single flat colour")
        #expect(shot[1] > 0.01, "the report screenshot is nearly blank")
        #expect(shot[2] > 100, "the red verdict 'Needs work' is not visible")
      }
      let dom = try await Chromium.run(["--dump-dom", report.absoluteString]).output
      #expect(dom.contains("Needs work"))
      #expect(dom.contains("xd-dravonia.xml"))
      for id in expected { #expect(dom.contains(id), "\(id) is not in the rendered report") }
    }
  }
}
