import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NormKit

/// `normcheck serve`: the HTTP API and the upload page on Hummingbird.
///
/// ```swift
/// let server = try NormServer(configuration: ServerConfiguration(port: 8080), logger: logger)
/// try await server.run()  // until SIGINT or SIGTERM
/// ```
public struct NormServer: Sendable {
  /// The packs, catalog and limits behind the routes.
  public let service: NormService
  /// The logger; each request logs with its own `request_id`.
  public let logger: Logger
  let openAPI: String
  let uploadPage: String

  /// The routes, with their methods (for 405 answers) — the OpenAPI document lists the same.
  static let routes: [(path: String, methods: [HTTPRequest.Method])] = [
    ("/", [.get, .head]), ("/healthz", [.get, .head]), ("/openapi.json", [.get, .head]), ("/v1/check", [.post]),
    ("/v1/rules", [.get, .head]), ("/v1/rules/{id}", [.get, .head]), ("/v1/norms", [.get, .head]),
    ("/v1/norms/{id}", [.get, .head]),
  ]

  /// Loads the packs and prepares the routes.
  ///
  /// - Throws: ``ServeError`` when a pack cannot be loaded.
  public init(configuration: ServerConfiguration, logger: Logger) throws(ServeError) {
    service = try NormService(configuration: configuration)
    self.logger = logger
    openAPI = OpenAPIDocument.render(
      packs: service.packs.map(\.id), phases: service.phases, rules: service.packs.flatMap(\.rules).map(\.id),
      norms: service.environment.catalog.all.map(\.id))
    uploadPage = Pages.uploadPage(
      packs: service.packs, maxBody: configuration.maxBodyBytes, version: configuration.toolVersion)
  }

  /// The router: every route, behind the middleware that adds request ids, security headers and logs.
  public func router() -> Router<BasicRequestContext> {
    let router = Router(options: .autoGenerateHeadEndpoints)
    router.add(middleware: RequestMiddleware(logger: logger))
    router.get("/") { _, _ in Self.text(uploadPage, contentType: "text/html; charset=utf-8") }
    router.get("/openapi.json") { _, _ in Self.text(openAPI, contentType: "application/json; charset=utf-8") }
    router.get("/healthz") { _, _ in try await health() }
    router.get("/v1/rules") { _, _ in Self.json(service.packs.flatMap(\.rules)) }
    router.get("/v1/rules/{id}") { _, context in try explanation(context.parameters.require("id")) }
    router.get("/v1/norms") { _, _ in Self.json(service.environment.catalog.all) }
    router.get("/v1/norms/{id}") { _, context in
      let id = try context.parameters.require("id")
      guard let norm = service.environment.catalog[id] else {
        throw APIError(.notFound, "no norm '\(id)' in the catalog; GET /v1/norms lists them", html: false)
      }
      return Self.json(norm)
    }
    router.post("/v1/check") { request, context in try await check(request, context: context) }
    return router
  }

  /// The application: the router on `host:port`; `onRunning` learns the port actually bound.
  public func application(
    onRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
  ) -> Application<RouterResponder<BasicRequestContext>> {
    let configuration = service.configuration
    let logger = logger
    let maxBody = configuration.maxBodyBytes
    return Application(
      router: router(),
      server: .http1(
        configuration: .init(
          additionalChannelHandlers: [ExpectContinueHandler(maxBody: maxBody)], idleTimeout: .seconds(60))),
      configuration: .init(
        address: .hostname(configuration.host, port: configuration.port), serverName: "normcheck"),
      onServerRunning: { channel in
        let port = channel.localAddress?.port ?? configuration.port
        logger.info(
          "listening",
          metadata: [
            "url": "http://\(configuration.host):\(port)/", "host": "\(configuration.host)", "port": "\(port)",
            "packs": "\(service.packs.map(\.id).joined(separator: ","))", "jobs": "\(service.limiter.jobs)",
            "queue": "\(service.limiter.queue)", "max_body": "\(configuration.maxBodyBytes)",
          ])
        await onRunning(port)
      },
      logger: logger)
  }

  /// Serves until SIGINT or SIGTERM, then stops accepting, finishes the requests in flight and returns.
  public func run() async throws {
    try await application().runService(gracefulShutdownSignals: [.sigterm, .sigint])
    logger.info("stopped", metadata: ["reason": "shutdown signal; requests in flight were completed"])
  }

  // MARK: Routes

  func health() async throws -> Response {
    struct Health: Encodable {
      var status: String
      var version: String
      var packs: [String]
      var rules: Int
      var limits: Limits
      var load: CheckLimiter.Snapshot
    }
    struct Limits: Encodable {
      var maxBodyBytes: Int
      var jobs: Int
      var queue: Int
      var maxEvalOps: UInt?
      var maxFindings: Int
    }
    let configuration = service.configuration
    return Self.json(
      Health(
        status: "ok", version: configuration.toolVersion, packs: service.packs.map(\.id),
        rules: service.packs.reduce(0) { $0 + $1.rules.count },
        limits: Limits(
          maxBodyBytes: configuration.maxBodyBytes, jobs: service.limiter.jobs, queue: service.limiter.queue,
          maxEvalOps: configuration.operationLimit, maxFindings: configuration.maxFindings),
        load: await service.limiter.snapshot))
  }

  func explanation(_ id: String) throws -> Response {
    struct Explained: Encodable {
      var rule: RuleInfo
      var pack: String
      var packTitle: String
      var explanation: String
    }
    guard let (pack, rule) = service.rule(id) else {
      let known = service.packs.flatMap(\.rules).map(\.id)
      let close = known.filter { $0.lowercased().hasPrefix(String(id.lowercased().prefix(3))) }.prefix(8)
      throw APIError(
        .notFound,
        "no rule '\(id)' in the packs loaded\(close.isEmpty ? "" : "; did you mean \(close.joined(separator: ", "))?")"
          + " GET /v1/rules lists them",
        html: false)
    }
    let text = Explanation(rule: rule, pack: pack, catalog: service.environment.catalog).text
    return Self.json(Explained(rule: rule, pack: pack.id, packTitle: pack.title, explanation: text))
  }

  /// `POST /v1/check`: admission, the body (raw XML or multipart), the parameters, the check, the report.
  func check(_ request: Request, context: some RequestContext) async throws -> Response {
    let query = request.uri.queryParameters
    // Errors answer as the requested report would: HTML for the upload form, JSON otherwise.
    var html = Pages.prefersHTML(accept: request.headers[.accept])
    if let format = query["format"] { html = format.lowercased() == "html" }
    let limiter = service.limiter
    guard await limiter.admit() else {
      let configuration = service.configuration
      context.logger.warning("overloaded", metadata: ["jobs": "\(limiter.jobs)", "queue": "\(limiter.queue)"])
      throw APIError(
        .serviceUnavailable,
        "The server is busy checking other declarations. "
          + "Please try again in \(configuration.retryAfterSeconds) seconds.",
        headers: [.retryAfter: "\(configuration.retryAfterSeconds)"], html: html)
    }
    do {
      let response = try await admittedCheck(request, context: context, html: html)
      await limiter.leave()
      return response
    } catch {
      await limiter.leave()
      throw error
    }
  }

  private func admittedCheck(_ request: Request, context: some RequestContext, html: Bool) async throws -> Response {
    var request = request
    let configuration = service.configuration
    let limit = configuration.maxBodyBytes
    func fail(_ status: HTTPResponse.Status, _ message: String) -> APIError {
      APIError(status, message, html: html)
    }
    let tooLarge = fail(
      .contentTooLarge,
      "The upload is larger than this server's limit of \(ByteCount.describe(limit)); nothing was checked. "
        + "Split the declaration or ask the operator to raise --max-body.")
    if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit { throw tooLarge }
    let body: ByteBuffer
    do {
      body = try await request.collectBody(upTo: limit)
    } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
      throw tooLarge
    }
    let bytes = Data(body.readableBytesView)

    // The document and the form's fields.
    var document: Data
    var name: String
    var fields: [String: [String]] = [:]
    let contentType = request.headers[.contentType] ?? ""
    let (mediaType, _) = MediaType.parse(contentType)
    if mediaType == "multipart/form-data" {
      guard let boundary = Multipart.boundary(contentType: contentType) else {
        throw fail(.badRequest, "The multipart/form-data body has no usable boundary parameter.")
      }
      let parts: [MultipartPart]
      do { parts = try Multipart.parse(bytes, boundary: boundary) } catch { throw fail(.badRequest, error.message) }
      var file: (name: String, data: Data)?
      var pasted: Data?
      for part in parts {
        switch part.name {
        case "file":
          // A browser sends `filename=""` and no content when no file was chosen; a chosen file,
          // even an empty one, is checked (an empty document is an NC-XML finding, as on the command line).
          if part.filename != "" || !part.body.isEmpty {
            file = (Self.reportName(part.filename), part.body)
          }
        case "xml":
          if !Self.isBlank(part.body) {
            pasted = part.body
          }
        case "format", "as-of", "phase", "packs":
          guard part.body.count <= 1024 else {
            throw fail(.badRequest, "The form field '\(part.name)' is longer than 1024 bytes.")
          }
          fields[part.name, default: []].append(String(decoding: part.body, as: UTF8.self))
        default:
          throw fail(
            .badRequest,
            "Unknown form field '\(part.name)': the form takes file, xml, format, as-of, phase and packs.")
        }
      }
      switch (file, pasted) {
      case (let file?, nil): (name, document) = file
      case (nil, let pasted?): (name, document) = ("pasted.xml", pasted)
      case (.some, .some):
        throw fail(.badRequest, "Choose a file or paste the XML, not both: clear one of them and submit again.")
      case (nil, nil):
        throw fail(
          .badRequest,
          "No declaration was sent: choose a file (form field 'file') or paste the XML (form field 'xml').")
      }
    } else if mediaType.isEmpty && bytes.isEmpty {
      throw fail(
        .badRequest,
        "The request has no body: send the declaration as the body with Content-Type application/xml, "
          + "or as multipart/form-data (field 'file' or 'xml').")
    } else if mediaType.isEmpty || mediaType == "application/xml" || mediaType == "text/xml"
      || mediaType.hasSuffix("+xml") || mediaType == "application/octet-stream"
    {
      document = bytes
      name = "upload.xml"
    } else {
      throw fail(
        .unsupportedMediaType,
        "Send the declaration as the body with Content-Type application/xml, or as multipart/form-data "
          + "(field 'file' or 'xml'); '\(mediaType)' is not accepted.")
    }

    // Parameters, in the query or the form: every value given is validated, and the query's wins.
    let query = request.uri.queryParameters
    func values(_ key: String) throws(APIError) -> [String] {
      let fromQuery = query[values: key[...]].map(String.init)
      if fromQuery.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
        throw fail(.badRequest, "The \(key) parameter is empty: give a value or leave it out.")
      }
      // The upload form's untouched date field arrives empty: no value.
      let fromForm = (fields[key] ?? []).filter { !(key == "as-of" && $0.isEmpty) }
      return fromQuery.isEmpty ? fromForm : fromQuery + fromForm
    }
    let formats = try values("format")
    let format: ReportFormat
    for value in formats where ReportFormat(rawValue: value.lowercased()) == nil {
      throw fail(.badRequest, "Unknown format '\(value)': use json, sarif, svrl or html.")
    }
    if let value = formats.first, let chosen = ReportFormat(rawValue: value.lowercased()) {
      format = chosen
    } else if let negotiated = ReportFormat.negotiate(accept: request.headers[.accept]) {
      format = negotiated
    } else {
      throw fail(
        .notAcceptable,
        "The Accept header names no format this server writes: application/json, application/sarif+json, "
          + "application/xml (SVRL) or text/html; or use the format parameter.")
    }
    let dates = try values("as-of")
    for value in dates where !Self.isDate(value) {
      throw fail(.badRequest, "as-of '\(value)' is not a date of the form YYYY-MM-DD.")
    }
    let phases = try values("phase")
    for value in phases where !service.phases.contains(value) {
      throw fail(
        .badRequest, "unknown phase '\(value)'; the packs define \(service.phases.joined(separator: ", "))")
    }
    // packs: the query's comma-separated list, else the form's checkboxes; each list without repeats.
    func ids(_ values: [String]) -> [String] {
      values.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
    }
    _ = try values("packs")  // refuses an empty query value
    let queryPacks = ids(query[values: "packs"].map(String.init))
    let formPacks = ids(fields["packs"] ?? [])
    let known = service.packs.map(\.id)
    for list in [queryPacks, formPacks] {
      let unknown = list.filter { !known.contains($0) }
      if !unknown.isEmpty {
        throw fail(
          .badRequest,
          "unknown pack \(unknown.map { "'\($0)'" }.joined(separator: ", ")); this server runs \(known.joined(separator: ", "))"
        )
      }
      if let twice = list.first(where: { id in list.filter { $0 == id }.count > 1 }) {
        throw fail(.badRequest, "The pack '\(twice)' is named more than once in packs.")
      }
    }
    let packIDs = queryPacks.isEmpty ? formPacks : queryPacks
    let asOf = dates.first
    let packs: [RulePack]
    do { packs = try await service.packs(ids: packIDs, phase: phases.first) } catch {
      var error = error
      error.html = html
      throw error
    }

    let started = ContinuousClock.now
    let result = await service.check(document: document, name: name, format: format, asOf: asOf, packs: packs)
    let elapsed = ContinuousClock.now - started
    context.logger.info(
      "checked",
      metadata: [
        "bytes": "\(document.count)", "format": "\(format.rawValue)",
        "packs": "\(packs.map(\.id).joined(separator: ","))",
        "verdict": "\(result.fails ? "fail" : "pass")", "findings": "\(result.findings)",
        "check_ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
      ])
    var headers: HTTPFields = [.contentType: format.contentType, .cacheControl: "no-store"]
    headers[Self.verdictHeader] = result.fails ? "fail" : "pass"
    headers[Self.findingsHeader] = "\(result.findings)"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: result.text)))
  }

  // MARK: Helpers

  static let requestIDHeader = HTTPField.Name("X-Request-Id")!
  static let verdictHeader = HTTPField.Name("X-Normcheck-Verdict")!
  static let findingsHeader = HTTPField.Name("X-Normcheck-Findings")!
  static let referrerPolicyHeader = HTTPField.Name("Referrer-Policy")!

  /// Whether `data` is empty or only white space, as ECMAScript's `\s` (which the OpenAPI document's patterns use) defines it.
  static func isBlank(_ data: Data) -> Bool {
    String(decoding: data, as: UTF8.self).unicodeScalars.allSatisfy {
      switch $0.value {
      case 0x09...0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF: true
      default: false
      }
    }
  }

  static func text(_ text: String, contentType: String) -> Response {
    Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
  }

  static func json(_ value: some Encodable) -> Response {
    text(JSONOutput.string(value), contentType: "application/json; charset=utf-8")
  }

  /// A safe name for the report: the upload's last path component, printable, at most 128 characters.
  static func reportName(_ filename: String?) -> String {
    let last = (filename ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
    let printable = String(last.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) }.prefix(128))
    return printable.trimmingCharacters(in: .whitespaces).isEmpty ? "upload.xml" : printable
  }

  /// Whether `text` is a calendar date written YYYY-MM-DD, as RFC 3339's full-date (2026-02-30 is not).
  static func isDate(_ text: String) -> Bool {
    guard text.range(of: #"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"#, options: .regularExpression) != nil
    else { return false }
    let parts = text.split(separator: "-").compactMap { Int($0) }
    let (year, month, day) = (parts[0], parts[1], parts[2])
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return day <= days
  }
}

/// Gives every request its id (`X-Request-Id`), turns errors into clear answers (JSON, or HTML for
/// the upload form), adds security headers, and logs one line per request.
struct RequestMiddleware<Context: RequestContext>: RouterMiddleware {
  let logger: Logger

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws
    -> Response
  {
    let started = ContinuousClock.now
    let accept = request.headers[.accept]
    // Hummingbird puts a request id in the logger's metadata; a log handler that keeps no metadata loses it.
    var context = context
    let requestID = context.logger[metadataKey: "hb.request.id"].map { "\($0)" } ?? RequestID().description
    context.logger[metadataKey: "hb.request.id"] = .string(requestID)
    var response: Response
    do {
      response = try await next(request, context)
    } catch let error as APIError {
      response = error.response(requestID: requestID, accept: accept)
    } catch let error as any HTTPResponseError {
      response = Self.translate(error.status, request: request).response(requestID: requestID, accept: accept)
    } catch {
      context.logger.error("request failed", metadata: ["error": "\(error)"])
      response = APIError(.internalServerError, "The server failed on this request; the log has the details.")
        .response(requestID: requestID, accept: accept)
    }
    response.headers[NormServer.requestIDHeader] = requestID
    response.headers[.xContentTypeOptions] = "nosniff"
    response.headers[.contentSecurityPolicy] =
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    response.headers[NormServer.referrerPolicyHeader] = "no-referrer"
    let elapsed = ContinuousClock.now - started
    let level: Logger.Level = response.status.code >= 500 ? .error : .info
    context.logger.log(
      level: level, "request",
      metadata: [
        "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "status": "\(response.status.code)",
        "duration_ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
      ])
    return response
  }

  /// Hummingbird's own errors as clear answers: an unknown path is 404, a known path with another method 405.
  static func translate(_ status: HTTPResponse.Status, request: Request) -> APIError {
    switch status {
    case .notFound:
      let path = request.uri.path
      if let route = NormServer.routes.first(where: { Self.matches(path, $0.path) }) {
        return APIError(
          .methodNotAllowed, "\(route.path) does not accept \(request.method.rawValue).",
          headers: [.allow: route.methods.map(\.rawValue).joined(separator: ", ")])
      }
      return APIError(
        .notFound, "There is nothing at \(path). GET /openapi.json describes the API; / is the upload page.")
    case .contentTooLarge:
      return APIError(status, "The request body is too large.")
    default:
      return APIError(status, status.reasonPhrase)
    }
  }

  static func matches(_ path: String, _ pattern: String) -> Bool {
    let have = path.split(separator: "/", omittingEmptySubsequences: false)
    let want = pattern.split(separator: "/", omittingEmptySubsequences: false)
    guard have.count == want.count else { return false }
    return zip(have, want).allSatisfy { $1.hasPrefix("{") ? !$0.isEmpty : $0 == $1 }
  }
}
