import Foundation
import FuzzSupport
import NormKit

/// Untrusted rule-pack bytes: written as `pack.sch` into a directory of their own, loaded
/// and compiled as `--pack FILE` would, then run on the model declaration (without the XSD,
/// as `--no-xsd`), and rendered in every format.
///
/// A pack that does not load is an answer (a configuration error), not a failure.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPackLoading(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
  let directory = FuzzSupport.scratch.appendingPathComponent("pack", isDirectory: true)
  try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  let file = directory.appendingPathComponent("pack.sch")
  FuzzSupport.write(bytes, to: file)
  let packs: [RulePack]
  do {
    packs = try FuzzSupport.environment.packs([file.path])
  } catch {
    _ = "\(error)"
    return 0
  }
  // A small budget: the fuzzer looks for crashes, and a slow expression would only stall it.
  let configuration = CheckConfiguration(
    packs: packs, schema: nil, maxFindings: 1_000, operationLimit: 5_000_000, wantSVRL: true)
  let report = Checker(configuration).check(.file(FuzzSupport.modelPath))
  FuzzSupport.renderAll([report], packs: packs)
  return 0
}

/// The entry point SwiftPM's linker flags ask for (see `FuzzSupport.runDriver`).
@_cdecl("FuzzPackLoading_main")
public func fuzzPackLoadingMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  FuzzSupport.runDriver(argc, argv, fuzzPackLoading)
}

/// Called by libFuzzer once, before the first input.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzPackLoadingInitialize(
  _ argc: UnsafeMutablePointer<CInt>?,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
  FuzzSupport.warmUp()
  return 0
}
