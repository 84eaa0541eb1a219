import Foundation
import Logging
import Testing

@testable import NormServer

/// The pieces under the routes: multipart reading, sizes, content negotiation, the limiter, the log lines.
@Suite("normcheck serve: parts")
struct PartsTests {
  @Test func multipartAsBrowsersAndCurlSendIt() throws {
    let body = Data(
      ("preamble to ignore\r\n--AaB03x\r\n"
        + "Content-Disposition: form-data; name=\"file\"; filename=\"decl \\\"v2\\\".xml\"\r\n"
        + "Content-Type: application/xml\r\n\r\n<a>\r\n--not-the-boundary\r\n</a>\r\n"
        + "--AaB03x\r\ncontent-disposition: form-data; name=xml\r\n\r\n\r\n"
        + "--AaB03x  \r\nContent-Disposition: form-data; name=\"packs\"\r\n\r\nihl\r\n--AaB03x--\r\nepilogue").utf8)
    let boundary = try #require(Multipart.boundary(contentType: "multipart/form-data; boundary=\"AaB03x\""))
    let parts = try Multipart.parse(body, boundary: boundary)
    #expect(parts.map(\.name) == ["file", "xml", "packs"])
    #expect(parts[0].filename == "decl \"v2\".xml")
    #expect(parts[0].contentType == "application/xml")
    #expect(String(decoding: parts[0].body, as: UTF8.self) == "<a>\r\n--not-the-boundary\r\n</a>")
    #expect(parts[1].body.isEmpty)
    #expect(String(decoding: parts[2].body, as: UTF8.self) == "ihl")
  }

  @Test func malformedMultipartIsRefusedWithAReason() throws {
    func error(_ text: String) -> String? {
      do {
        _ = try Multipart.parse(Data(text.utf8), boundary: "b")
        return nil
      } catch { return error.message }
    }
    #expect(error("no boundary at all") == "the multipart body does not contain its boundary")
    #expect(error("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nvalue") != nil)
    #expect(error("--b\r\nX-Other: 1\r\n\r\nv\r\n--b--") == "a part of the multipart body has no Content-Disposition")
    #expect(error("--b\r\nContent-Disposition: attachment\r\n\r\nv\r\n--b--") != nil)
    #expect(error("--bjunk") == "the multipart body is malformed after a boundary")
    let many = String(repeating: "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nv\r\n", count: 70) + "--b--"
    #expect(error(many) == "the multipart body has more than 64 parts")
    #expect(Multipart.boundary(contentType: "multipart/form-data") == nil)
    #expect(
      Multipart.boundary(contentType: "multipart/form-data; boundary=" + String(repeating: "x", count: 71)) == nil)
    #expect(Multipart.boundary(contentType: "multipart/mixed; boundary=x") == nil)
  }

  @Test func byteCounts() {
    #expect(ByteCount.parse("32MiB") == 32 << 20)
    #expect(ByteCount.parse("512 KiB") == 512 << 10)
    #expect(ByteCount.parse("1MB") == 1_000_000)
    #expect(ByteCount.parse("1000") == 1000)
    #expect(ByteCount.parse("2g") == 2 << 30)
    #expect(ByteCount.parse("lots") == nil)
    #expect(ByteCount.parse("12 parsecs") == nil)
    #expect(ByteCount.parse("99999999999999999999") == nil)
    #expect(ByteCount.parse("9223372036854775807GiB") == nil)
    #expect(ByteCount.describe(32 << 20) == "32 MiB")
    #expect(ByteCount.describe(1500) == "1500 bytes")
  }

  @Test func acceptNegotiation() {
    #expect(ReportFormat.negotiate(accept: nil) == .json)
    #expect(ReportFormat.negotiate(accept: "*/*") == .json)
    #expect(ReportFormat.negotiate(accept: "application/sarif+json") == .sarif)
    #expect(ReportFormat.negotiate(accept: "application/xml") == .svrl)
    #expect(ReportFormat.negotiate(accept: "text/html;q=0.4, application/json;q=0.9") == .json)
    #expect(ReportFormat.negotiate(accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8") == .html)
    #expect(ReportFormat.negotiate(accept: "application/json;q=0") == nil)
    #expect(ReportFormat.negotiate(accept: "image/png") == nil)
  }

  @Test func limiterBoundsRunningAndAdmitted() async {
    let limiter = CheckLimiter(jobs: 2, queue: 1)
    #expect(await limiter.admit())
    #expect(await limiter.admit())
    #expect(await limiter.admit())
    #expect(await !limiter.admit())  // jobs + queue admitted
    let peak = Peak()
    await withTaskGroup(of: Void.self) { group in
      for _ in 0..<8 {
        group.addTask {
          _ = await limiter.run {
            peak.enter()
            usleep(20_000)
            peak.leave()
          }
        }
      }
    }
    #expect((1...2).contains(peak.maximum))  // never more than the jobs
    await limiter.leave()
    #expect(await limiter.admit())
    #expect(await limiter.snapshot == .init(admitted: 3, running: 0, waiting: 0))
  }

  @Test func logLinesAreJSONWithTheRequestID() throws {
    var descriptors: [Int32] = [0, 0]
    #expect(pipe(&descriptors) == 0)
    defer { close(descriptors[0]) }
    var handler = JSONLogHandler(label: "normcheck.serve", fileDescriptor: descriptors[1])
    handler.logLevel = .info
    var logger = Logger(label: "normcheck.serve", factory: { _ in handler })
    logger[metadataKey: "hb.request.id"] = "abc123"
    logger.info("checked", metadata: ["status": "200", "nested": ["a": "b"]])
    logger.debug("not written")
    close(descriptors[1])
    let output = FileHandle(fileDescriptor: descriptors[0]).readDataToEndOfFile()
    let lines = String(decoding: output, as: UTF8.self).split(separator: "\n")
    #expect(lines.count == 1)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
    #expect(object["message"] as? String == "checked")
    #expect(object["level"] as? String == "info")
    #expect(object["request_id"] as? String == "abc123")
    #expect(object["status"] as? String == "200")
    #expect(object["nested"] as? [String: String] == ["a": "b"])
    #expect(
      (object["time"] as? String)?.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression)
        != nil)
  }

  @Test func reportNamesAreSafe() {
    #expect(NormServer.reportName("C:\\Users\\x\\decl.xml") == "decl.xml")
    #expect(NormServer.reportName("../../etc/passwd") == "passwd")
    #expect(NormServer.reportName("a\u{1B}[31mb.xml\n") == "a[31mb.xml")
    #expect(NormServer.reportName(nil) == "upload.xml")
    #expect(NormServer.reportName(String(repeating: "x", count: 500)).count == 128)
  }
}

/// Counts how many closures run at once.
final class Peak: @unchecked Sendable {
  private let lock = NSLock()
  private var current = 0
  private(set) var maximum = 0

  func enter() {
    lock.withLock {
      current += 1
      maximum = max(maximum, current)
    }
  }

  func leave() { lock.withLock { current -= 1 } }
}
