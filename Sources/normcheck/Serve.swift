import ArgumentParser
import Foundation
import Logging
import NormKit
import NormServer

extension Normcheck {
  /// `normcheck serve`: the HTTP API and the upload page (see the README's section on it).
  struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "serve",
      abstract: "Serve the checks over HTTP: a JSON/SARIF/SVRL/HTML API and an upload page for officials.",
      discussion: """
        Binds 127.0.0.1 unless --host says otherwise. Logs one JSON object per line on stderr.
        SIGINT or SIGTERM stops accepting connections, lets the requests in flight finish and exits 0.
        Exit codes: 0 stopped by a signal; 2 usage or configuration error (bad option, broken pack, port in use).
        """)

    @Option(name: .long, help: "The address to bind (default 127.0.0.1: this machine only).")
    var host = "127.0.0.1"

    @Option(name: .long, help: "The TCP port (0: any free port; the 'listening' log line says which).")
    var port = 8080

    @Option(
      name: .long,
      help: "A built-in pack by name, or a Schematron file or directory (repeatable). Default: all built-in packs.")
    var pack: [String] = []

    @Option(name: .customLong("max-body"), help: "Largest request body, e.g. 32MiB, 512KiB, 1000000 (default 32MiB).")
    var maxBody = "32MiB"

    @Option(name: .long, help: "Checks run at once (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: "Requests admitted beyond --jobs before answering 503 (default 64).")
    var queue = 64

    @Option(
      name: .customLong("max-eval-ops"),
      help: """
        XPath operations per document and pack at most, 0 for no limit (default, as for check: \
        \(CheckConfiguration.operationsPerElement) per element, at least \(CheckConfiguration.minimumOperationBudget)).
        """)
    var maxEvalOps: UInt?

    @Option(
      name: .customLong("max-findings"), help: "Findings collected per document and pack at most (default 10000).")
    var maxFindings = 10_000

    @Flag(name: .long, help: "Skip validation against the declaration XSD (for arbitrary XML with --pack).")
    var noXsd = false

    @Option(name: .customLong("log-format"), help: "json (one object per line, default) or text.")
    var logFormat = "json"

    @Option(name: .customLong("log-level"), help: "trace, debug, info (default), notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
      if ByteCount.parse(maxBody) == nil || ByteCount.parse(maxBody)! < 1 {
        throw ValidationError("--max-body '\(maxBody)' is not a size such as 32MiB, 512KiB or 1000000")
      }
      if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
      if queue < 0 { throw ValidationError("--queue must be 0 or more") }
      if !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
      if maxFindings < 1 { throw ValidationError("limits must be positive") }
      if !["json", "text"].contains(logFormat) { throw ValidationError("--log-format must be json or text") }
      if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level '\(logLevel)' is not a level") }
    }

    func run() async throws {
      let level = Logger.Level(rawValue: logLevel) ?? .info
      let json = logFormat == "json"
      LoggingSystem.bootstrap { label in
        var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
      }
      let logger = Logger(label: "normcheck.serve")
      let configuration = ServerConfiguration(
        host: host, port: port, packs: pack, maxBodyBytes: ByteCount.parse(maxBody)!, jobs: jobs, queueLimit: queue,
        operationLimit: maxEvalOps, maxFindings: maxFindings, toolVersion: Normcheck.version, validateSchema: !noXsd)
      let server: NormServer
      do {
        server = try NormServer(configuration: configuration, logger: logger)
      } catch {
        throw ConfigurationError(error.description)
      }
      do {
        try await server.run()
      } catch {
        logger.critical("cannot serve", metadata: ["error": "\(error)"])
        throw ConfigurationError("cannot serve on \(host):\(port): \(error)")
      }
    }
  }
}
