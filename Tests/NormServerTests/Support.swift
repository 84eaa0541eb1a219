import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NormKit
import NormServer
import TestSupport
import Testing

/// Servers, samples and request bodies for the server tests.
enum TestServer {
  /// A logger that drops everything (the CLI tests read the real log lines).
  static let quiet = Logger(label: "normcheck.test", factory: { _ in SwiftLogNoOpLogHandler() })

  /// A server with the built-in packs and the defaults of `normcheck serve`, changed by `configure`.
  static func make(_ configure: (inout ServerConfiguration) -> Void = { _ in }) throws -> NormServer {
    var configuration = ServerConfiguration(port: 0, jobs: 2, toolVersion: "test")
    configure(&configuration)
    return try NormServer(configuration: configuration, logger: quiet)
  }

  /// The built-in server, loaded once for the suites that do not change its configuration.
  static let shared: NormServer = {
    do { return try make() } catch { fatalError("the built-in packs do not load: \(error)") }
  }()

  /// A file of the repository, as bytes.
  static func file(_ relative: String) throws -> Data {
    try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(relative)))
  }

  /// A sample declaration, as bytes.
  static func sample(_ name: String) throws -> Data { try file("Samples/\(name)") }

  /// The findings' rule ids that NormKit itself reports for a sample with the built-in packs: what the API must return.
  static func expectedRuleIDs(_ name: String) throws -> [String] {
    let environment = try NormEnvironment.builtin()
    let checker = Checker(
      CheckConfiguration(packs: try environment.packs([]), schema: try environment.declarationSchema))
    return checker.check(.file(Fixtures.path("Samples/\(name)"))).findings.map(\.ruleID)
  }

  /// A `multipart/form-data` body as a browser sends it, and its headers.
  static func multipart(_ parts: [(name: String, filename: String?, data: Data)]) -> (ByteBuffer, HTTPFields) {
    let boundary = "----normcheckTestBoundary\(UUID().uuidString.prefix(8))"
    var body = Data()
    for part in parts {
      body.append(Data("--\(boundary)\r\n".utf8))
      var disposition = "Content-Disposition: form-data; name=\"\(part.name)\""
      if let filename = part.filename { disposition += "; filename=\"\(filename)\"" }
      body.append(Data("\(disposition)\r\n".utf8))
      if part.filename != nil { body.append(Data("Content-Type: application/xml\r\n".utf8)) }
      body.append(Data("\r\n".utf8))
      body.append(part.data)
      body.append(Data("\r\n".utf8))
    }
    body.append(Data("--\(boundary)--\r\n".utf8))
    return (ByteBuffer(bytes: body), [.contentType: "multipart/form-data; boundary=\(boundary)"])
  }

  /// XML headers.
  static let xml: HTTPFields = [.contentType: "application/xml"]
}

extension TestResponse {
  /// The body as text.
  var text: String { String(buffer: body) }

  /// The body as a JSON object (an empty one when it is not).
  var json: [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
  }

  /// The rule ids of the findings of a JSON report.
  var ruleIDs: [String] {
    let files = json["files"] as? [[String: Any]] ?? []
    return files.flatMap { ($0["findings"] as? [[String: Any]] ?? []).compactMap { $0["ruleId"] as? String } }
  }

  /// A response header by name.
  func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }
}

extension ByteBuffer {
  /// A buffer holding `data`.
  init(data: Data) { self.init(bytes: data) }
}
