import Foundation
import FuzzSupport
import NormKit
import XMLCore

/// Untrusted declaration bytes: the hardened parse, then the full check (XSD and every
/// built-in pack) through NormKit's `Checker`, then every report format.
///
/// Errors are answers, not failures; only a crash, a sanitizer report, a leak or a timeout
/// is a finding of the fuzzer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIntake(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
  // 1. The parser on its own, as XMLCore's callers use it.
  if let document = try? Document(bytes: bytes, sourceName: "fuzz.xml") {
    _ = Declaration.identity(of: document)
  }
  // 2. The whole check of a file, as `normcheck check FILE` runs it.
  let file = FuzzSupport.scratch.appendingPathComponent("input.xml")
  FuzzSupport.write(bytes, to: file)
  let configuration = CheckConfiguration(
    packs: FuzzSupport.builtinPacks, schema: FuzzSupport.declarationSchema,
    operationLimit: 50_000_000, wantSVRL: true)
  let report = Checker(configuration).check(.file(file.path))
  FuzzSupport.renderAll([report], packs: FuzzSupport.builtinPacks)
  return 0
}

/// The entry point SwiftPM's linker flags ask for (see `FuzzSupport.runDriver`).
@_cdecl("FuzzIntake_main")
public func fuzzIntakeMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  FuzzSupport.runDriver(argc, argv, fuzzIntake)
}

/// Called by libFuzzer once, before the first input.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzIntakeInitialize(
  _ argc: UnsafeMutablePointer<CInt>?,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
  FuzzSupport.warmUp()
  return 0
}
