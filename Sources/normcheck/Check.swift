import ArgumentParser
import Foundation
import NormKit
import Schematron
import XMLCore

/// The output formats of `check`.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
  case text, json, sarif, junit, svrl, github, html

  /// The reporter behind each format (svrl is written per input, see `Check.writeSVRL`).
  func reporter(colour: Bool, quiet: Bool) -> any Reporter {
    switch self {
    case .text: TextReporter(colour: colour, quiet: quiet)
    case .json: JSONReporter()
    case .sarif: SARIFReporter()
    case .junit: JUnitReporter()
    case .svrl: SVRLReporter()
    case .github: GitHubReporter()
    case .html: HTMLReporter()
    }
  }
}

/// The threshold for a failing exit code.
enum FailOn: String, CaseIterable, ExpressibleByArgument {
  case error, warning, info, never

  var severity: Severity? {
    switch self {
    case .error: .error
    case .warning: .warning
    case .info: .info
    case .never: nil
    }
  }
}

extension Normcheck {
  /// `normcheck check`: validate declarations against the XSD and the rule packs.
  struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "check",
      abstract: "Check declarations: XSD validation, then the rule packs.",
      discussion: """
        PATH may be a file, a directory (searched recursively for *.xml) or - for standard input.
        Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage or configuration error.
        """)

    @Argument(help: "Files, directories (recursive, *.xml) or - for standard input.")
    var paths: [String] = []

    @Option(
      name: .long,
      help: "A built-in pack by name, or a Schematron file or directory (repeatable). Default: all built-in packs.")
    var pack: [String] = []

    @Option(name: .long, help: "The Schematron phase to run (default: each pack's default phase).")
    var phase: String?

    @Option(
      name: .customLong("as-of"),
      help: "Measure freshness against this date (YYYY-MM-DD) instead of each submission date.")
    var asOf: String?

    @Option(
      name: .long,
      help:
        "Threads (default: the number of cores): files checked in parallel; with fewer files than threads, each file's packs and its XSD validation run at once and large patterns are split over the spare ones. Output is the same for any value."
    )
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: "Output format: \(OutputFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: OutputFormat = .text

    @Option(
      name: .long,
      help:
        "Write the report to this file (atomically) instead of standard output; for svrl with several inputs, a directory."
    )
    var output: String?

    @Option(name: .long, help: "Findings whose fingerprints this baseline holds do not count towards the exit code.")
    var baseline: String?

    @Option(name: .customLong("write-baseline"), help: "Write a baseline of this run's findings to this file.")
    var writeBaseline: String?

    @Option(name: .long, help: "A waivers file (see README): waived findings are reported as waived.")
    var waivers: String?

    @Flag(name: .customLong("strict-waivers"), help: "Fail the run on an expired waiver or one that matches nothing.")
    var strictWaivers = false

    @Option(name: .customLong("fail-on"), help: "Exit 1 when a finding is at or above: error, warning, info, never.")
    var failOn: FailOn = .error

    @Flag(name: .long, help: "Skip validation against the declaration XSD (for arbitrary XML with --pack).")
    var noXsd = false

    @Flag(name: .shortAndLong, help: "Print only findings and the summary.")
    var quiet = false

    @Flag(name: .long, help: "Print per-file statistics (findings, XPath operations) on standard error.")
    var stats = false

    @Flag(
      name: .long,
      help: "Print the slowest expressions of the packs (time, evaluations, where) on standard error, for pack authors."
    )
    var profile = false

    @Option(name: .customLong("max-input-size"), help: "Largest input accepted, in bytes (default 268435456).")
    var maxInputSize: Int = ParseLimits.default.maxInputBytes

    @Option(name: .customLong("max-findings"), help: "Findings collected per file and pack at most (default 10000).")
    var maxFindings: Int = 10_000

    @Option(
      name: .customLong("max-eval-ops"),
      help: """
        XPath operations per file and pack at most, 0 for no limit (default: \(CheckConfiguration.operationsPerElement) \
        per element of the file, at least \(CheckConfiguration.minimumOperationBudget)).
        """)
    var maxEvalOps: UInt?

    func validate() throws {
      if paths.isEmpty { throw ValidationError("give at least one file, directory or - for standard input") }
      if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
      if let asOf, !Self.isDate(asOf) {
        throw ValidationError("--as-of '\(asOf)' is not a date of the form YYYY-MM-DD")
      }
      if maxInputSize < 1 || maxFindings < 1 { throw ValidationError("limits must be positive") }
    }

    /// SVRL for several inputs: one file per input in the `--output` directory.
    func writeSVRL(_ run: RunSummary) throws {
      guard let output else {
        throw ConfigurationError("--format svrl with several inputs needs --output DIRECTORY (one SVRL file per input)")
      }
      try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
      let reporter = SVRLReporter()
      for report in run.reports where run.packs.isEmpty == false || !report.parsed {
        guard report.rulesApplied.count > 0 || !report.parsed else { continue }
        let path = URL(fileURLWithPath: output).appendingPathComponent(SVRLReporter.fileName(for: report.input)).path
        try AtomicFile.write(reporter.render(report, run: run), to: path)
      }
    }

    /// Whether `path` names a regular file (following symbolic links): not a pipe or a device.
    static func isRegularFile(_ path: String) -> Bool {
      var status = stat()
      return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
    }

    static func isDirectory(_ path: String) -> Bool {
      var isDirectory: ObjCBool = false
      return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Today's date, YYYY-MM-DD, in UTC (waiver expiry).
    static func today() -> String {
      let formatter = DateFormatter()
      formatter.locale = Locale(identifier: "en_US_POSIX")
      formatter.timeZone = TimeZone(identifier: "UTC")
      formatter.dateFormat = "yyyy-MM-dd"
      return formatter.string(from: Date())
    }

    static func isDate(_ text: String) -> Bool {
      text.range(of: #"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"#, options: .regularExpression) != nil
    }

    func run() async throws {
      let inputs = CheckInput.expand(paths)
      let limits = ParseLimits(maxInputBytes: maxInputSize)
      // A single regular file is read and parsed on the main actor, where it is then checked,
      // while the built-in material and the packs load here; the parser's indexing thread
      // collects the packs' attribute indexes once they are named. Standard input, pipes and
      // devices wait: a broken pack is reported before anything is read from them (an error
      // found here cancels the file's parse, which stops within a few thousand elements).
      let pendingIndexes = PendingIndexRequests()
      // Never leave the indexing thread waiting; on an error, stop the early parse (on success
      // it has ended by then).
      defer { pendingIndexes.cancel() }
      var early: Task<ParsedInput, Never>?
      if inputs.count == 1, case .file(let path) = inputs[0], Self.isRegularFile(path) {
        early = Task { @MainActor [input = inputs[0]] in
          Checker.parse(input, limits: limits, indexing: pendingIndexes)
        }
      }
      let environment: NormEnvironment
      let packs: [RulePack]
      let schema: XMLSchema?
      do {
        environment = try NormEnvironment.builtin()
        packs = try environment.packs(pack, phase: phase)
        schema = noXsd ? nil : try environment.declarationSchema
      } catch let error as NormKitError {
        throw ConfigurationError(error.description)
      }
      // Read gating files before any work, so that a typo costs nothing.
      let baselineFile: Baseline?
      let waiverSet: WaiverSet?
      do {
        baselineFile = try baseline.map { try Baseline(contentsOfFile: $0) }
        waiverSet = try waivers.map { try WaiverSet(contentsOfFile: $0, schema: environment.waiversSchema()) }
      } catch let error as NormKitError {
        throw ConfigurationError(error.description)
      }
      var configuration = CheckConfiguration(
        packs: packs, schema: schema, asOf: asOf, limits: limits,
        maxFindings: maxFindings, operationLimit: maxEvalOps, wantSVRL: format == .svrl)
      configuration.profile = profile
      if inputs.isEmpty { throw ConfigurationError("no *.xml files found in \(paths.joined(separator: ", "))") }
      // One input: the process ends after reporting it, so its tree is never freed.
      configuration.freesDocuments = inputs.count > 1
      let checker = Checker(configuration)
      pendingIndexes.fulfil(checker.indexRequests, keeping: checker.attributeProjection)
      var reports: [DocumentReport]
      let threads = jobs
      if let early {
        // The rules of large patterns are fired on --jobs threads.
        let parsed = await early.value
        reports = await MainActor.run { [checker.check(parsed, threads: threads)] }
      } else if inputs.count == 1 {
        let input = inputs[0]
        reports = await MainActor.run { [checker.check(input, threads: threads)] }
      } else {
        reports = await checker.check(inputs, jobs: jobs)
      }
      if stats {
        for report in reports {
          FileHandle.standardError.write(
            Data("\(report.input): \(report.findings.count) findings, \(report.operationCount) XPath operations\n".utf8)
          )
        }
      }
      if profile { FileHandle.standardError.write(Data(ProfileReport.render(reports).utf8)) }
      if let waiverSet {
        let problems = waiverSet.apply(to: &reports, today: Self.today(), strict: strictWaivers)
        reports.append(problems)
      }
      baselineFile?.apply(to: &reports)
      let run = RunSummary(
        reports: reports, packs: packs, catalog: environment.catalog, asOf: asOf, failOn: failOn.severity,
        toolVersion: Normcheck.version)
      do {
        if let writeBaseline { try AtomicFile.write(Baseline(reports: reports).text, to: writeBaseline) }
        if format == .svrl, reports.count > 1 || (output.map(Self.isDirectory) ?? false) {
          try writeSVRL(run)
        } else {
          let colour = output == nil && isatty(1) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
          let text = format.reporter(colour: colour, quiet: quiet).render(run)
          if let output {
            try AtomicFile.write(text, to: output)
          } else {
            FileHandle.standardOutput.write(Data(text.utf8))
          }
        }
      } catch let error as ConfigurationError {
        throw error
      } catch {
        throw ConfigurationError("cannot write the report: \(error)")
      }
      if run.fails { throw ExitCode(1) }
    }
  }
}
