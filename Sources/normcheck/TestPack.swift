import ArgumentParser
import Foundation
import NormKit
import XMLCore

extension Normcheck {
  /// `normcheck test-pack PATH`: run a pack's examples and lint it.
  struct TestPack: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "test-pack",
      abstract: "Run a pack's examples (examples/<RULE-ID>/pass-*.xml, fail-*.xml + .expected.json) and lint it.",
      discussion: "Exit codes: 0 the pack passes; 1 an example or lint check fails; 2 the pack cannot be loaded.")

    @Argument(help: "Pack directories or .sch files, or built-in pack names.")
    var packs: [String]

    @Flag(name: .customLong("no-xsd"), help: "Do not require examples to be valid declarations.")
    var noXsd = false

    func run() async throws {
      var options = PackOptions()
      options.pack = packs
      let (environment, loaded) = try options.load()
      let schema: XMLSchema?
      do {
        schema = noXsd ? nil : try environment.declarationSchema
      } catch let error as NormKitError {
        throw ConfigurationError(error.description)
      }
      let runner = PackExampleRunner(schema: schema, catalog: environment.catalog)
      var failed = false
      for pack in loaded {
        var examples: URL? = nil
        if pack.isBuiltin, let source = ProcessInfo.processInfo.environment["NORMCHECK_RULES_DIR"] {
          examples = URL(fileURLWithPath: source).appendingPathComponent("packs/\(pack.id)/examples")
        }
        let report = runner.run(pack, examples: examples)
        let lint = PackLinter.lint(pack)
        let problems = report.problems + lint.map(\.description)
        if problems.isEmpty {
          print("\(pack.id): ok — \(pack.rules.count) rules, \(report.examplesRun) examples")
        } else {
          failed = true
          print(
            "\(pack.id): \(problems.count) problem\(problems.count == 1 ? "" : "s") (\(report.examplesRun) examples run)"
          )
          for problem in problems { print("  \(problem)") }
        }
      }
      if failed { throw ExitCode(1) }
    }
  }
}
