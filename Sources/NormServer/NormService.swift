import Foundation
import NormKit
import XMLCore

/// What the HTTP routes stand on: the built-in material, the packs loaded at start, the limiter.
///
/// One per server, shared by every request; everything in it is immutable or an actor.
public final class NormService: Sendable {
  /// The configuration the server was started with.
  public let configuration: ServerConfiguration
  /// The built-in material (catalog, declaration XSD).
  public let environment: NormEnvironment
  /// The packs loaded at start, in their default phase.
  public let packs: [RulePack]
  /// The declaration XSD when the service validates against it, compiled once at start.
  let declarationSchema: XMLSchema?
  /// Bounds concurrent checks and admitted requests.
  public let limiter: CheckLimiter
  /// The phases a request may ask for: `#ALL`, `#DEFAULT` and those the packs declare.
  public let phases: [String]
  private let phased: PhasedPacks

  /// Loads the built-in material and the configured packs.
  ///
  /// - Throws: ``ServeError`` when the built-in material or a pack cannot be loaded.
  public init(configuration: ServerConfiguration) throws(ServeError) {
    self.configuration = configuration
    do {
      environment = try NormEnvironment.builtin()
      packs = try environment.packs(configuration.packs)
      declarationSchema = configuration.validateSchema ? try environment.declarationSchema : nil
    } catch let error as NormKitError {
      throw ServeError(error.description)
    } catch {
      throw ServeError("cannot load the packs: \(error)")
    }
    var declared = Set<String>()
    for pack in packs { declared.formUnion(pack.schema.schema.phases.map(\.id)) }
    phases = ["#ALL", "#DEFAULT"] + declared.sorted()
    limiter = CheckLimiter(jobs: configuration.jobs, queue: configuration.queueLimit)
    phased = PhasedPacks(environment: environment, sources: configuration.packs, loaded: packs)
  }

  /// The packs a request selected (`ids`, or all when empty) in `phase` (the default when `nil`).
  func packs(ids: [String], phase: String?) async throws(APIError) -> [RulePack] {
    let known = packs.map(\.id)
    let unknown = ids.filter { !known.contains($0) }
    if !unknown.isEmpty {
      throw APIError(
        .badRequest,
        "unknown pack \(unknown.map { "'\($0)'" }.joined(separator: ", ")); this server runs \(known.joined(separator: ", "))"
      )
    }
    var all = packs
    if let phase, phase != "#DEFAULT" {
      guard phases.contains(phase) else {
        throw APIError(
          .badRequest, "unknown phase '\(phase)'; the packs define \(phases.joined(separator: ", "))")
      }
      all = try await phased.packs(phase: phase)
    }
    return ids.isEmpty ? all : all.filter { ids.contains($0.id) }
  }

  /// Checks one document held in memory and renders the report; `fails` is the verdict at the `error` threshold.
  ///
  /// Runs on one of the limiter's jobs, waiting for one if all are busy.
  func check(
    document: Data, name: String, format: ReportFormat, asOf: String?, packs selected: [RulePack]
  ) async
    -> (text: String, fails: Bool, findings: Int)
  {
    var checkConfiguration = CheckConfiguration(
      packs: selected, schema: declarationSchema, asOf: asOf,
      maxFindings: configuration.maxFindings, operationLimit: configuration.operationLimit,
      wantSVRL: format == .svrl)
    checkConfiguration.limits.maxInputBytes = configuration.maxBodyBytes
    let checker = Checker(checkConfiguration)
    let report = await limiter.run { checker.check(.bytes(name: name, document)) }
    let run = RunSummary(
      reports: [report], packs: selected, catalog: environment.catalog, asOf: asOf, failOn: .error,
      toolVersion: configuration.toolVersion)
    return (format.reporter.render(run), run.fails, report.findings.count)
  }

  /// The rule `id` (exactly as its pack spells it) and its pack.
  func rule(_ id: String) -> (RulePack, RuleInfo)? {
    for pack in packs {
      if let rule = pack.rules.first(where: { $0.id == id }) {
        return (pack, rule)
      }
    }
    return nil
  }
}

/// A problem that stops the server from starting (a broken pack, an unusable option).
public struct ServeError: Error, CustomStringConvertible, Sendable {
  /// What went wrong, on one line.
  public var description: String
  /// Creates an error.
  public init(_ description: String) { self.description = description }
}

/// The packs in phases other than the default, loaded on first use and kept.
actor PhasedPacks {
  let environment: NormEnvironment
  let sources: [String]
  let loaded: [RulePack]
  private var cache: [String: Result<[RulePack], APIError>] = [:]

  init(environment: NormEnvironment, sources: [String], loaded: [RulePack]) {
    self.environment = environment
    self.sources = sources
    self.loaded = loaded
  }

  /// The packs in `phase`; a pack without that phase is an error, as on the command line.
  func packs(phase: String) throws(APIError) -> [RulePack] {
    if let cached = cache[phase] { return try cached.get() }
    let result: Result<[RulePack], APIError>
    do {
      result = .success(try environment.packs(sources, phase: phase))
    } catch {
      result = .failure(APIError(.badRequest, "the packs cannot run in phase '\(phase)': \(error)"))
    }
    cache[phase] = result
    return try result.get()
  }
}
