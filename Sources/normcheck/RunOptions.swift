import ArgumentParser
import Foundation
import NormKit
import XMLCore

/// Options that choose what a batch run checks (shared by matrix and diff).
struct RunOptions: ParsableArguments {
  @OptionGroup var packs: PackOptions

  @Option(name: .long, help: "The Schematron phase to run.")
  var phase: String?

  @Option(name: .customLong("as-of"), help: "Measure freshness against this date (YYYY-MM-DD).")
  var asOf: String?

  @Option(
    name: .long,
    help: "Threads (default: the number of cores): files checked in parallel, spare ones split large patterns.")
  var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

  @Flag(name: .long, help: "Skip validation against the declaration XSD.")
  var noXsd = false

  @Option(name: .long, help: "A waivers file: waived findings show as waived.")
  var waivers: String?

  func validate() throws {
    if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    if let asOf, !Normcheck.Check.isDate(asOf) {
      throw ValidationError("--as-of '\(asOf)' is not a date of the form YYYY-MM-DD")
    }
  }

  /// Loads everything and checks `paths`, with a progress line on a terminal.
  func run(_ paths: [String]) async throws -> (NormEnvironment, [RulePack], [DocumentReport]) {
    let environment: NormEnvironment
    let loaded: [RulePack]
    let waiverSet: WaiverSet?
    let schema: XMLSchema?
    do {
      environment = try NormEnvironment.builtin()
      loaded = try environment.packs(packs.pack, phase: phase)
      schema = noXsd ? nil : try environment.declarationSchema
      waiverSet = try waivers.map { try WaiverSet(contentsOfFile: $0, schema: environment.waiversSchema()) }
    } catch let error as NormKitError {
      throw ConfigurationError(error.description)
    }
    let inputs = CheckInput.expand(paths)
    if inputs.isEmpty { throw ConfigurationError("no *.xml files found in \(paths.joined(separator: ", "))") }
    let configuration = CheckConfiguration(
      packs: loaded, schema: schema, asOf: asOf)
    let showProgress = isatty(2) == 1 && inputs.count > 1
    var reports = await Checker(configuration).check(inputs, jobs: jobs) { done, total in
      if showProgress {
        FileHandle.standardError.write(Data("\r\u{1B}[Kchecked \(done)/\(total)".utf8))
        if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
      }
    }
    if let waiverSet { _ = waiverSet.apply(to: &reports, today: Normcheck.Check.today(), strict: false) }
    return (environment, loaded, reports)
  }
}

/// Writes `text` to `output` atomically, or to standard output.
func emit(_ text: String, to output: String?) throws {
  if let output {
    do { try AtomicFile.write(text, to: output) } catch { throw ConfigurationError("cannot write \(output): \(error)") }
  } else {
    FileHandle.standardOutput.write(Data(text.utf8))
  }
}
