import Foundation
import Schematron
import XMLCore

/// ISO SVRL: one report per input, holding the results of every pack that ran.
///
/// Requires the run to be made with ``CheckConfiguration/wantSVRL``. An input that could not
/// be parsed gets a report with no active pattern and its error as text: SVRL has no place for
/// it otherwise (the SVRL 2016 grammar requires at least one active pattern).
public struct SVRLReporter: Reporter {
  /// `svrl`.
  public static let identifier = "svrl"
  /// One line.
  public static let summary = "ISO SVRL, one document per input (several inputs: one file each in --output DIR)"

  /// Creates the reporter.
  public init() {}

  /// All inputs' reports concatenated (for a single input: exactly its SVRL document).
  public func render(_ run: RunSummary) -> String {
    run.reports.map { render($0, run: run) }.joined()
  }

  /// The SVRL document of one input.
  public func render(_ report: DocumentReport, run: RunSummary) -> String {
    let sections = run.packs.compactMap { pack in
      report.schematronResults[pack.id].map { (result: $0, schema: pack.schema) }
    }
    let title = run.packs.count == 1 ? run.packs[0].title : "normcheck: " + run.packs.map(\.id).joined(separator: ", ")
    guard report.parsed else {
      let problems = report.findings.map { "\($0.file):\($0.line):\($0.column): [\($0.ruleID)] \($0.message)" }
      return
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svrl:schematron-output xmlns:svrl=\"\(SVRLWriter.namespace)\""
        + " title=\"\(XMLEscaping.escape(title))\">\n"
        + problems.map { "  <svrl:text>\(XMLEscaping.escape($0))</svrl:text>\n" }.joined()
        + "</svrl:schematron-output>\n"
    }
    return SVRLWriter.render(sections, title: title, document: report.input)
  }

  /// The file name for an input's SVRL inside an output directory: its path flattened.
  public static func fileName(for input: String) -> String {
    let base = input == "<stdin>" ? "stdin" : input
    let flattened = base.replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "..", with: "_")
    let stem = flattened.hasSuffix(".xml") ? String(flattened.dropLast(4)) : flattened
    return stem.trimmingCharacters(in: CharacterSet(charactersIn: "_")) + ".svrl.xml"
  }
}
