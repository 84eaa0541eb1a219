import ArgumentParser
import Foundation
import NormKit

extension Normcheck {
  /// `normcheck matrix`: states × norms (or rules) compliance matrix.
  struct Matrix: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "matrix",
      abstract: "A compliance matrix: states × norms (or × rules), each cell pass, fail, waived or n/a, with totals.")

    enum Format: String, CaseIterable, ExpressibleByArgument {
      case text, csv, json, html
    }

    @Argument(help: "Declarations: files or directories (recursive, *.xml).")
    var paths: [String]

    @OptionGroup var run: RunOptions

    @Option(name: .long, help: "Columns: norms (default) or rules.")
    var by: ComplianceMatrix.Axis = .norms

    @Option(name: .long, help: "Output format: text, csv, json, html.")
    var format: Format = .text

    @Option(name: .long, help: "Write to this file (atomically) instead of standard output.")
    var output: String?

    func run() async throws {
      let (environment, packs, reports) = try await run.run(paths)
      let matrix = ComplianceMatrix(reports: reports, packs: packs, catalog: environment.catalog, axis: by)
      let text =
        switch format {
        case .text: matrix.text
        case .csv: matrix.csv
        case .json: matrix.json
        case .html: matrix.html()
        }
      try emit(text, to: output)
    }
  }
}

extension ComplianceMatrix.Axis: ExpressibleByArgument {}
