import Foundation

/// The result of a program run.
public struct ProcessOutcome: Sendable {
  /// The exit status.
  public var status: Int32
  /// Standard output and standard error, interleaved.
  public var output: String
}

/// Runs a program and returns its exit status and combined output.
public func runProcess(_ executable: String, _ arguments: [String]) throws -> ProcessOutcome {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = pipe
  try process.run()
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return ProcessOutcome(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
}
