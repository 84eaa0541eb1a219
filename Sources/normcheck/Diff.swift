import ArgumentParser
import Foundation
import NormKit

extension Normcheck {
  /// `normcheck diff OLD NEW`: what changed between two cycles.
  struct Diff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "diff",
      abstract: "Compare two cycles: findings introduced, resolved and persisting, per state and per norm.",
      discussion: """
        OLD and NEW are files or directories; declarations are paired by state code (or file name).
        Exit codes: 0 nothing introduced at or above --fail-on; 1 something was; 2 usage error.
        """)

    enum Format: String, CaseIterable, ExpressibleByArgument {
      case text, json, html, sarif
    }

    @Argument(help: "The earlier cycle: a declaration or a directory of them.")
    var old: String

    @Argument(help: "The later cycle: a declaration or a directory of them.")
    var new: String

    @OptionGroup var run: RunOptions

    @Option(name: .long, help: "Output format: text, json, html, sarif (with baselineState).")
    var format: Format = .text

    @Option(name: .long, help: "Write to this file (atomically) instead of standard output.")
    var output: String?

    @Option(
      name: .customLong("fail-on"),
      help: "Exit 1 when an introduced finding is at or above: error, warning, info, never.")
    var failOn: FailOn = .never

    func run() async throws {
      let (environment, packs, before) = try await run.run([old])
      let (_, _, after) = try await run.run([new])
      let diff = CycleDiff(old: before, new: after)
      let summary = RunSummary(
        reports: after, packs: packs, catalog: environment.catalog, asOf: run.asOf, failOn: failOn.severity,
        toolVersion: Normcheck.version)
      let text =
        switch format {
        case .text: diff.text(catalog: environment.catalog)
        case .json: diff.json
        case .html: diff.html(catalog: environment.catalog)
        case .sarif: diff.sarif(summary)
        }
      try emit(text, to: output)
      if let threshold = failOn.severity,
        diff.states.flatMap(\.introduced).contains(where: { $0.severity >= threshold })
      {
        throw ExitCode(1)
      }
    }
  }
}
