import Foundation
import TestSupport
import Testing

/// `normcheck serve` as an operator runs it: the real binary on a free port, spoken to with curl,
/// its JSON log lines read from stderr, stopped with SIGTERM or SIGINT.
@Suite("normcheck serve end to end")
struct ServeCLITests {
  /// A running `normcheck serve`, its port, and everything it has logged so far.
  final class Server: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var stderr = Data()
    private(set) var port = 0

    init(_ arguments: [String]) throws {
      process.executableURL = CLITests.binary
      process.arguments = ["serve", "--port", "0"] + arguments
      process.currentDirectoryURL = Fixtures.root
      var environment = ProcessInfo.processInfo.environment
      environment.removeValue(forKey: "NORMCHECK_RULES_DIR")
      process.environment = environment
      let errors = Pipe()
      process.standardError = errors
      process.standardOutput = FileHandle.nullDevice
      errors.fileHandleForReading.readabilityHandler = { [weak self] handle in
        let data = handle.availableData
        guard let self, !data.isEmpty else { return }
        self.lock.withLock { self.stderr.append(data) }
      }
      try process.run()
      let deadline = Date().addingTimeInterval(30)
      while Date() < deadline, process.isRunning {
        if let line = logLines.first(where: { $0["message"] as? String == "listening" }),
          let port = (line["port"] as? String).flatMap(Int.init)
        {
          self.port = port
          return
        }
        usleep(50_000)
      }
      throw ServeFailure("the server did not log 'listening' within 30 s: \(log)")
    }

    /// Everything logged on stderr.
    var log: String { lock.withLock { String(decoding: stderr, as: UTF8.self) } }

    /// The log lines, each a JSON object.
    var logLines: [[String: Any]] {
      log.split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
      }
    }

    /// Sends `signal` and waits for the exit status.
    func stop(_ signal: Int32 = SIGTERM) -> Int32 {
      kill(process.processIdentifier, signal)
      process.waitUntilExit()
      usleep(100_000)  // the last log lines
      return process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate() } }
  }

  struct ServeFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
  }

  /// The result of a curl call: status, headers (lowercased names), body.
  struct HTTPResult {
    var status: Int
    var headers: [String: String]
    var body: String
  }

  func curl(_ arguments: [String], port: Int, path: String) throws -> HTTPResult {
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let headerFile = directory.appendingPathComponent("headers").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    process.arguments =
      ["-s", "--max-time", "60", "-D", headerFile, "-o", "-", "-w", "\n%{http_code}"] + arguments
      + ["http://127.0.0.1:\(port)\(path)"]
    process.currentDirectoryURL = Fixtures.root
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    var text = String(decoding: data, as: UTF8.self)
    let statusLine = text.split(separator: "\n").last.map(String.init) ?? ""
    text = String(text.dropLast(statusLine.count + 1))
    var headers: [String: String] = [:]
    for line in ((try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? "").split(separator: "\r\n") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return HTTPResult(status: Int(statusLine) ?? 0, headers: headers, body: text)
  }

  @Test func servesChecksUploadsAndLimitsThenStopsOnSIGTERM() throws {
    let server = try Server(["--max-body", "64KiB", "--jobs", "2"])
    let port = server.port
    #expect(port > 0)
    let listening = try #require(server.logLines.first { $0["message"] as? String == "listening" })
    #expect(listening["url"] as? String == "http://127.0.0.1:\(port)/")
    #expect(listening["max_body"] as? String == "65536")

    let health = try curl([], port: port, path: "/healthz")
    #expect(health.status == 200)
    #expect(health.body.contains("\"status\" : \"ok\""))

    // The upload form's route, as curl posts a file to it.
    let upload = try curl(
      ["-F", "file=@Samples/xd-dravonia-2025-doctrine-conflict.xml", "-F", "xml="], port: port,
      path: "/v1/check?format=html")
    #expect(upload.status == 200)
    #expect(upload.headers["content-type"] == "text/html; charset=utf-8")
    #expect(upload.body.contains("Needs work"))
    #expect(upload.headers["x-normcheck-verdict"] == "fail")
    let requestID = try #require(upload.headers["x-request-id"])
    // The same request id in the log lines about the request.
    let lines = server.logLines.filter { $0["request_id"] as? String == requestID }
    #expect(lines.contains { $0["message"] as? String == "checked" && $0["verdict"] as? String == "fail" })
    #expect(
      lines.contains {
        $0["message"] as? String == "request" && $0["status"] as? String == "200"
          && $0["path"] as? String == "/v1/check"
      })

    // Raw XML with JSON back.
    let raw = try curl(
      ["-H", "Content-Type: application/xml", "--data-binary", "@Samples/xa-arvenia-2026-model.xml"], port: port,
      path: "/v1/check")
    #expect(raw.status == 200)
    #expect(raw.headers["x-normcheck-verdict"] == "pass")

    // Over --max-body: 413 with the message, and the server carries on.
    let large = try curl(
      ["-H", "Content-Type: application/xml", "--data-binary", "@Samples/xf-ferrovia-2026-large.xml"], port: port,
      path: "/v1/check")
    #expect(large.status == 413)
    #expect(large.body.contains("larger than this server's limit of 64 KiB"))
    // A hostile document: 200 with the finding.
    let bomb = try curl(
      ["-H", "Content-Type: application/xml", "--data-binary", "@Tests/HostileCorpus/inputs/billion-laughs.xml"],
      port: port, path: "/v1/check")
    #expect(bomb.status == 200)
    #expect(bomb.body.contains("entity expansion exceeds the safety limit"))
    #expect(try curl([], port: port, path: "/healthz").status == 200)

    #expect(server.stop(SIGTERM) == 0, "\(server.log)")
    #expect(server.logLines.last?["message"] as? String == "stopped", "\(server.log)")
    #expect(!server.log.contains("\"level\":\"error\""), "\(server.log)")
  }

  /// SIGINT (Ctrl-C) stops it the same way, after the request in flight has been answered.
  @Test func finishesTheRequestInFlightOnSIGINT() throws {
    let server = try Server([
      "--pack", "Tests/HostileCorpus/packs/expensive-xpath", "--no-xsd", "--max-eval-ops", "400000000",
    ])
    let document = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(document) }
    let file = document.appendingPathComponent("slow.xml")
    try ("<r>" + String(repeating: "<e/>", count: 2_000) + "</r>").write(to: file, atomically: true, encoding: .utf8)
    let port = server.port
    let result = Result<HTTPResult, any Error>.Box()
    let request = Thread {
      result.value = Result {
        try curl(
          ["-H", "Content-Type: application/xml", "--data-binary", "@\(file.path)"], port: port, path: "/v1/check")
      }
    }
    request.start()
    // Wait until the check runs, then interrupt.
    var running = false
    for _ in 0..<200 where !running {
      running = (try? curl([], port: port, path: "/healthz").body.contains("\"running\" : 1")) ?? false
      if !running { usleep(25_000) }
    }
    #expect(running)
    #expect(server.stop(SIGINT) == 0, "\(server.log)")
    while result.value == nil { usleep(20_000) }
    let answer = try #require(try result.value?.get())
    #expect(answer.status == 200)
    #expect(answer.body.contains("operation budget"))
    #expect(server.logLines.last?["message"] as? String == "stopped")
  }

  @Test func configurationErrorsExitTwoWithOneLine() throws {
    for arguments in [
      ["serve", "--pack", "no-such-pack"], ["serve", "--max-body", "lots"], ["serve", "--port", "70000"],
      ["serve", "--jobs", "0"],
    ] {
      let outcome = try CLITests().run(arguments)
      #expect(outcome.status == 2, "\(arguments): \(outcome.stderr)")
      #expect(outcome.stderr.hasPrefix("normcheck: "), "\(arguments): \(outcome.stderr)")
      #expect(outcome.stderr.split(separator: "\n").count == 1, "\(arguments): \(outcome.stderr)")
    }
    // A port in use.
    let server = try Server([])
    let busy = try CLITests().run(["serve", "--port", "\(server.port)"])
    #expect(busy.status == 2)
    #expect(busy.stderr.contains("cannot serve on 127.0.0.1:\(server.port)"), "\(busy.stderr)")
    #expect(server.stop() == 0)
  }
}

extension Result {
  /// A slot another thread fills.
  final class Box: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Result?
    var value: Result? {
      get { lock.withLock { stored } }
      set { lock.withLock { stored = newValue } }
    }
  }
}
