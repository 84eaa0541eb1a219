import CFuzzerDriver
import Foundation
import NormKit
import Schematron
import XMLCore

/// What both fuzz targets share: the built-in material, loaded once, a private scratch
/// directory, and a pass over every reporter so that hostile text reaches the renderers too.
public enum FuzzSupport {
  /// The built-in XSD, catalog, vocabularies and packs; loading them must not fail.
  public static let environment: NormEnvironment = {
    do {
      return try NormEnvironment.builtin()
    } catch {
      fatalError("fuzz set-up: cannot load the built-in rules: \(error)")
    }
  }()

  /// The declaration XSD, compiled once (the environment compiles it on first use).
  public static let declarationSchema: XMLSchema = {
    do {
      return try environment.declarationSchema
    } catch {
      fatalError("fuzz set-up: cannot load the declaration schema: \(error)")
    }
  }()

  /// The built-in packs, compiled once.
  public static let builtinPacks: [RulePack] = {
    do {
      return try environment.packs([])
    } catch {
      fatalError("fuzz set-up: cannot load the built-in packs: \(error)")
    }
  }()

  /// A directory of this process's own under the temporary directory.
  public static let scratch: URL = {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "normcheck-fuzz-\(getpid())-\(UUID().uuidString)", isDirectory: true)
    do {
      try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    } catch {
      fatalError("fuzz set-up: cannot create \(url.path): \(error)")
    }
    return url
  }()

  /// The model declaration the pack target checks, found from this file's path.
  public static let modelPath: String = {
    let root = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let path = root.appendingPathComponent("Samples/xa-arvenia-2026-model.xml").path
    guard FileManager.default.fileExists(atPath: path) else {
      fatalError("fuzz set-up: the model declaration is missing at \(path)")
    }
    return path
  }()

  /// Writes `bytes` to `url`, replacing what was there.
  public static func write(_ bytes: UnsafeRawBufferPointer, to url: URL) {
    do {
      try Data(bytes).write(to: url)
    } catch {
      fatalError("fuzz: cannot write \(url.path): \(error)")
    }
  }

  /// Renders `reports` in every format, as `normcheck check` would.
  public static func renderAll(_ reports: [DocumentReport], packs: [RulePack]) {
    let run = RunSummary(
      reports: reports, packs: packs, catalog: environment.catalog, asOf: nil, failOn: .error, toolVersion: "fuzz")
    let reporters: [any Reporter] = [
      TextReporter(colour: true, quiet: false), JSONReporter(), SARIFReporter(), JUnitReporter(), SVRLReporter(),
      GitHubReporter(), HTMLReporter(),
    ]
    for reporter in reporters {
      _ = reporter.render(run)
    }
    _ = Baseline(reports: reports).text
  }
}

extension FuzzSupport {
  /// Loads everything kept for the whole run (rules, packs, scratch directory, the model's
  /// path) before the first input, so that LeakSanitizer does not count it against an input.
  public static func warmUp() {
    _ = environment
    _ = declarationSchema
    _ = builtinPacks
    _ = scratch
    _ = modelPath
  }

  /// The entry point of a fuzz target: hands the command line to libFuzzer's driver.
  ///
  /// SwiftPM links an executable target with `--defsym main=<Target>_main`, which under
  /// `-parse-as-library` nobody defines; each target therefore exports `<Target>_main` with
  /// `@_cdecl` and calls this, so that libFuzzer runs whichever `main` the linker keeps.
  public static func runDriver(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
  ) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, callback)
  }
}
