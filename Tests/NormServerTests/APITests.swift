import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NormKit
import TestSupport
import Testing

@testable import NormServer

/// The HTTP API on the real router, with the built-in packs and the samples.
@Suite("normcheck serve: API")
struct APITests {
  let app = TestServer.shared.application()

  @Test func healthzReportsPacksLimitsAndLoad() async throws {
    // A server of its own: the shared one is busy with the other tests.
    try await TestServer.make().application().test(.router) { client in
      let response = try await client.execute(uri: "/healthz", method: .get)
      #expect(response.status == .ok)
      #expect(response.headers[.contentType] == "application/json; charset=utf-8")
      let json = response.json
      #expect(json["status"] as? String == "ok")
      #expect(json["version"] as? String == "test")
      let environment = try NormEnvironment.builtin()
      #expect(json["packs"] as? [String] == environment.builtinPackNames)
      let limits = try #require(json["limits"] as? [String: Any])
      #expect(limits["maxBodyBytes"] as? Int == 32 << 20)
      #expect(limits["jobs"] as? Int == 2)
      #expect(limits["maxEvalOps"] == nil)  // the automatic budget, as for check
      let load = try #require(json["load"] as? [String: Int])
      #expect(load == ["admitted": 0, "running": 0, "waiting": 0])
    }
  }

  @Test func everyResponseCarriesARequestIDAndSecurityHeaders() async throws {
    try await app.test(.router) { client in
      var ids = Set<String>()
      for (uri, method) in [
        ("/", HTTPRequest.Method.get), ("/healthz", .get), ("/nowhere", .get), ("/v1/check", .post),
      ] {
        let response = try await client.execute(uri: uri, method: method)
        let id = try #require(response.header("X-Request-Id"), "\(uri)")
        #expect(id.count >= 16)
        ids.insert(id)
        #expect(response.header("X-Content-Type-Options") == "nosniff")
        #expect(response.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
      }
      #expect(ids.count == 4, "request ids must differ")
    }
  }

  @Test func checkRawXMLReturnsTheFindingsNormKitFinds() async throws {
    for name in ["xb-belmora-2025-no-cert.xml", "xd-dravonia-2025-doctrine-conflict.xml", "xa-arvenia-2026-model.xml"] {
      let expected = try TestServer.expectedRuleIDs(name)
      let body = ByteBuffer(data: try TestServer.sample(name))
      try await app.test(.router) { client in
        let response = try await client.execute(uri: "/v1/check", method: .post, headers: TestServer.xml, body: body)
        #expect(response.status == .ok, "\(name): \(response.text)")
        #expect(response.headers[.contentType] == "application/json; charset=utf-8")
        #expect(response.ruleIDs == expected, "\(name)")
        let summary = try #require(response.json["summary"] as? [String: Any])
        let fails = summary["failed"] as? Bool ?? false
        #expect(response.header("X-Normcheck-Verdict") == (fails ? "fail" : "pass"))
        #expect(response.header("X-Normcheck-Findings") == "\(expected.count)")
        #expect(response.headers[.cacheControl] == "no-store")
      }
    }
  }

  @Test func formatsByParameterAndByAcceptHeader() async throws {
    let body = ByteBuffer(data: try TestServer.sample("xd-dravonia-2025-doctrine-conflict.xml"))
    try await app.test(.router) { client in
      let sarif = try await client.execute(
        uri: "/v1/check?format=sarif", method: .post, headers: TestServer.xml, body: body)
      #expect(sarif.headers[.contentType] == "application/sarif+json; charset=utf-8")
      #expect(sarif.json["version"] as? String == "2.1.0")
      var headers = TestServer.xml
      headers[.accept] = "application/xml"
      let svrl = try await client.execute(uri: "/v1/check", method: .post, headers: headers, body: body)
      #expect(svrl.headers[.contentType] == "application/xml; charset=utf-8")
      #expect(svrl.text.contains("<svrl:schematron-output"))
      #expect(svrl.text.contains("svrl:failed-assert"))
      headers[.accept] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  // a browser's
      let html = try await client.execute(uri: "/v1/check", method: .post, headers: headers, body: body)
      #expect(html.headers[.contentType] == "text/html; charset=utf-8")
      #expect(html.text.contains("Needs work"))
      headers[.accept] = "application/sarif+json;q=0.5, application/json"
      let json = try await client.execute(uri: "/v1/check", method: .post, headers: headers, body: body)
      #expect(json.json["schemaVersion"] as? String == "1.0")
      // The parameter wins over Accept.
      let forced = try await client.execute(uri: "/v1/check?format=json", method: .post, headers: headers, body: body)
      #expect(forced.headers[.contentType] == "application/json; charset=utf-8")
      headers[.accept] = "image/png"
      let refused = try await client.execute(uri: "/v1/check", method: .post, headers: headers, body: body)
      #expect(refused.status == .notAcceptable)
      #expect((refused.json["message"] as? String)?.contains("text/html") == true)
      let unknown = try await client.execute(
        uri: "/v1/check?format=yaml", method: .post, headers: TestServer.xml, body: body)
      #expect(unknown.status == .badRequest)
      #expect(unknown.json["message"] as? String == "Unknown format 'yaml': use json, sarif, svrl or html.")
    }
  }

  @Test func multipartUploadOfAFileOrPastedXML() async throws {
    let sample = try TestServer.sample("xd-dravonia-2025-doctrine-conflict.xml")
    let expected = try TestServer.expectedRuleIDs("xd-dravonia-2025-doctrine-conflict.xml")
    try await app.test(.router) { client in
      // A file, as the upload form sends it with nothing pasted.
      let (fileBody, fileHeaders) = TestServer.multipart([
        ("file", "C:\\Users\\desk\\xd-dravonia.xml", sample), ("xml", nil, Data()),
      ])
      let file = try await client.execute(uri: "/v1/check", method: .post, headers: fileHeaders, body: fileBody)
      #expect(file.status == .ok, "\(file.text)")
      #expect(file.ruleIDs == expected)
      #expect((file.json["files"] as? [[String: Any]])?.first?["path"] as? String == "xd-dravonia.xml")
      // Pasted text, as the form sends it with no file chosen (an empty file part), parameters as form fields.
      let (pastedBody, pastedHeaders) = TestServer.multipart([
        ("file", "", Data()), ("xml", nil, sample), ("format", nil, Data("html".utf8)),
        ("as-of", nil, Data("2025-09-30".utf8)),
      ])
      let pasted = try await client.execute(
        uri: "/v1/check", method: .post, headers: pastedHeaders, body: pastedBody)
      #expect(pasted.status == .ok)
      #expect(pasted.headers[.contentType] == "text/html; charset=utf-8")
      #expect(pasted.text.contains("pasted.xml"))
      #expect(pasted.text.contains("freshness measured on 2025-09-30"))
      for id in Set(expected) { #expect(pasted.text.contains(id), "\(id) missing from the HTML report") }
      // A chosen file that is empty is checked (NC-XML), like an empty file on the command line.
      let (emptyBody, emptyHeaders) = TestServer.multipart([("file", "empty.xml", Data()), ("xml", nil, Data())])
      let emptyFile = try await client.execute(uri: "/v1/check", method: .post, headers: emptyHeaders, body: emptyBody)
      #expect(emptyFile.status == .ok)
      #expect(emptyFile.ruleIDs == ["NC-XML"])
      // Both, or neither: 400 with a message that says what to do (HTML for the form).
      let cases: [([(name: String, filename: String?, data: Data)], String)] = [
        ([("file", "a.xml", sample), ("xml", nil, sample)], "Choose a file or paste the XML, not both"),
        ([("file", "", Data()), ("xml", nil, Data("  \r\n".utf8))], "No declaration was sent"),
        ([("packs", nil, Data("ihl".utf8))], "No declaration was sent"),
      ]
      for (parts, message) in cases {
        let (body, headers) = TestServer.multipart(parts)
        let response = try await client.execute(
          uri: "/v1/check?format=html", method: .post, headers: headers, body: body)
        #expect(response.status == .badRequest)
        #expect(response.headers[.contentType] == "text/html; charset=utf-8")
        #expect(response.text.contains(message), "\(response.text)")
        #expect(response.text.contains("<a href=\"/\">Back to the upload page</a>"))
      }
      // A broken multipart body.
      let broken = try await client.execute(
        uri: "/v1/check", method: .post, headers: [.contentType: "multipart/form-data; boundary=xyz"],
        body: ByteBuffer(string: "--xyz\r\nno headers end"))
      #expect(broken.status == .badRequest)
      #expect(broken.json["message"] as? String == "the multipart body ends without its closing boundary")
    }
  }

  @Test func packsPhaseAndAsOfParameters() async throws {
    let body = ByteBuffer(data: try TestServer.sample("xe-estmark-2025-stale.xml"))
    try await app.test(.router) { client in
      let ihl = try await client.execute(
        uri: "/v1/check?packs=ihl,cert-rfc2350", method: .post, headers: TestServer.xml, body: body)
      #expect(ihl.status == .ok)
      let packs = Set(
        (ihl.json["files"] as? [[String: Any]] ?? []).flatMap { $0["findings"] as? [[String: Any]] ?? [] }
          .compactMap { $0["pack"] as? String })
      #expect(packs.isSubset(of: ["ihl", "cert-rfc2350"]) && !packs.isEmpty, "\(packs)")
      let repeated = try await client.execute(
        uri: "/v1/check?packs=ihl&packs=cert-rfc2350", method: .post, headers: TestServer.xml, body: body)
      #expect(repeated.ruleIDs == ihl.ruleIDs)

      let unknownPack = try await client.execute(
        uri: "/v1/check?packs=ihl,nope", method: .post, headers: TestServer.xml, body: body)
      #expect(unknownPack.status == .badRequest)
      #expect((unknownPack.json["message"] as? String)?.hasPrefix("unknown pack 'nope'; this server runs ") == true)

      let all = try await client.execute(
        uri: "/v1/check?phase=%23ALL", method: .post, headers: TestServer.xml, body: body)
      #expect(all.status == .ok)
      let unknownPhase = try await client.execute(
        uri: "/v1/check?phase=nightly", method: .post, headers: TestServer.xml, body: body)
      #expect(unknownPhase.status == .badRequest)
      #expect(unknownPhase.json["message"] as? String == "unknown phase 'nightly'; the packs define #ALL, #DEFAULT")

      // Freshness against the submission date (stale contacts) and against a date just after it.
      let own = try await client.execute(uri: "/v1/check", method: .post, headers: TestServer.xml, body: body)
      let early = try await client.execute(
        uri: "/v1/check?as-of=2024-01-01", method: .post, headers: TestServer.xml, body: body)
      #expect(early.status == .ok)
      #expect(early.json["asOf"] as? String == "2024-01-01")
      #expect(early.ruleIDs != own.ruleIDs, "as-of must change the freshness findings")
      for bad in ["2025-13-01", "yesterday", "2025-1-1"] {
        let response = try await client.execute(
          uri: "/v1/check?as-of=\(bad)", method: .post, headers: TestServer.xml, body: body)
        #expect(response.status == .badRequest, "\(bad)")
      }
    }
  }

  @Test func mediaTypesAndEmptyBodies() async throws {
    try await app.test(.router) { client in
      let json = try await client.execute(
        uri: "/v1/check", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{}"))
      #expect(json.status == .unsupportedMediaType)
      #expect((json.json["message"] as? String)?.contains("Content-Type application/xml") == true)
      // An empty document is checked like an empty file on the command line: an NC-XML finding.
      let empty = try await client.execute(uri: "/v1/check", method: .post, headers: TestServer.xml)
      #expect(empty.status == .ok)
      #expect(empty.ruleIDs == ["NC-XML"])
      #expect(empty.text.contains("the input is empty"))
      // No body at all (no Content-Type either) is a mistake, not a document.
      let missing = try await client.execute(uri: "/v1/check", method: .post)
      #expect(missing.status == .badRequest)
      #expect((missing.json["message"] as? String)?.hasPrefix("The request has no body") == true)
      // No Content-Type and text/xml are XML too; not well-formed XML is a finding, not an error.
      for headers: HTTPFields in [[:], [.contentType: "text/xml; charset=utf-8"]] {
        let response = try await client.execute(
          uri: "/v1/check", method: .post, headers: headers, body: ByteBuffer(string: "<declaration>"))
        #expect(response.status == .ok)
        #expect(response.ruleIDs == ["NC-XML"])
        #expect(response.header("X-Normcheck-Verdict") == "fail")
      }
    }
  }

  @Test func rulesAndExplanations() async throws {
    let server = TestServer.shared
    try await app.test(.router) { client in
      let rules = try await client.execute(uri: "/v1/rules", method: .get)
      #expect(rules.status == .ok)
      let list = try #require(try JSONSerialization.jsonObject(with: Data(rules.text.utf8)) as? [[String: Any]])
      #expect(list.compactMap { $0["id"] as? String } == server.service.packs.flatMap(\.rules).map(\.id))
      #expect(list.count > 50)

      let explained = try await client.execute(uri: "/v1/rules/UN-001", method: .get)
      #expect(explained.status == .ok)
      let (pack, rule) = try #require(server.service.rule("UN-001"))
      let expected = Explanation(rule: rule, pack: pack, catalog: server.service.environment.catalog).text
      #expect(explained.json["explanation"] as? String == expected)
      #expect(explained.json["pack"] as? String == pack.id)
      #expect((explained.json["rule"] as? [String: Any])?["id"] as? String == "UN-001")

      let unknown = try await client.execute(uri: "/v1/rules/un-001", method: .get)
      #expect(unknown.status == .notFound)
      #expect((unknown.json["message"] as? String)?.contains("did you mean UN-001") == true)
    }
  }

  @Test func normsCatalog() async throws {
    let catalog = TestServer.shared.service.environment.catalog
    try await app.test(.router) { client in
      let norms = try await client.execute(uri: "/v1/norms", method: .get)
      let list = try #require(try JSONSerialization.jsonObject(with: Data(norms.text.utf8)) as? [[String: Any]])
      #expect(list.compactMap { $0["id"] as? String } == catalog.all.map(\.id))
      let one = try await client.execute(uri: "/v1/norms/GGE2015-13f", method: .get)
      #expect(one.status == .ok)
      #expect(one.json["citation"] == nil)  // the JSON of Norm, as `normcheck norms --json` writes it
      #expect(one.json["title"] as? String == catalog["GGE2015-13f"]?.title)
      let missing = try await client.execute(uri: "/v1/norms/GGE2099-1", method: .get)
      #expect(missing.status == .notFound)
    }
  }

  @Test func unknownPathsAre404AndWrongMethods405() async throws {
    try await app.test(.router) { client in
      let missing = try await client.execute(uri: "/v2/check", method: .get)
      #expect(missing.status == .notFound)
      #expect((missing.json["message"] as? String)?.contains("/openapi.json") == true)
      let browser = try await client.execute(uri: "/v2/check", method: .get, headers: [.accept: "text/html"])
      #expect(browser.headers[.contentType] == "text/html; charset=utf-8")
      for (uri, method, allow) in [
        ("/v1/check", HTTPRequest.Method.get, "POST"), ("/v1/check", .delete, "POST"), ("/healthz", .post, "GET, HEAD"),
        ("/v1/rules/UN-001", .put, "GET, HEAD"),
      ] {
        let response = try await client.execute(uri: uri, method: method)
        #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
        #expect(response.headers[.allow] == allow)
      }
      let head = try await client.execute(uri: "/healthz", method: .head)
      #expect(head.status == .ok)
    }
  }

  @Test func openAPIDocumentIsValidAndListsEveryRoute() async throws {
    let server = TestServer.shared
    let text = try await app.test(.router) { client in
      let response = try await client.execute(uri: "/openapi.json", method: .get)
      #expect(response.status == .ok)
      return response.text
    }
    let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    #expect((document["openapi"] as? String)?.hasPrefix("3.") == true)
    let paths = try #require(document["paths"] as? [String: [String: Any]])
    #expect(Set(paths.keys) == Set(NormServer.routes.map(\.path)))
    for route in NormServer.routes {
      let documented = Set(paths[route.path]?.keys.map { $0.uppercased() } ?? [])
      #expect(documented == Set(route.methods.map(\.rawValue).filter { $0 != "HEAD" }), "\(route.path)")
    }
    let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
    #expect(schemas["PackId"]?["enum"] as? [String] == server.service.packs.map(\.id))
    #expect(schemas["Phase"]?["enum"] as? [String] == ["#ALL", "#DEFAULT"])
    #expect(schemas["RuleId"]?["enum"] as? [String] == server.service.packs.flatMap(\.rules).map(\.id))
    #expect(!text.contains("@PACKS@") && !text.contains("@RULES@"))
    // Valid OpenAPI 3 by the reference validator (pip install openapi-spec-validator; .ci/run does).
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let file = directory.appendingPathComponent("openapi.json")
    try text.write(to: file, atomically: true, encoding: .utf8)
    let validation = try runProcess(
      "/usr/bin/env",
      [
        "python3", "-c",
        "import json,sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1]))); print('valid')",
        file.path,
      ])
    #expect(validation.output.hasSuffix("valid\n"), "\(validation.output)")
  }
}
