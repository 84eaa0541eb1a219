import ArgumentParser
import Foundation
import NormKit

/// The `normcheck` command: checks states' cyber-norm declarations against rule packs.
@main
struct Normcheck: AsyncParsableCommand {
  static let version = "0.1.0"

  static let configuration = CommandConfiguration(
    commandName: "normcheck",
    abstract: "Check states' cyber-norm declarations (XML) against rule packs encoding the norms.",
    discussion: """
      Exit codes:
        0  nothing at or above the --fail-on threshold
        1  findings at or above the threshold (a malformed or schema-invalid input is a finding)
        2  usage or configuration error (bad option, broken pack), with a message on stderr
      """,
    version: version,
    subcommands: [
      Check.self, Matrix.self, Diff.self, Rules.self, Explain.self, Norms.self, TestPack.self, Serve.self,
    ],
    defaultSubcommand: Check.self)

  /// Runs the command, mapping argument-parser's usage exit code (64) to normcheck's 2.
  static func main() async {
    tuneAllocator()
    do {
      var command = try parseAsRoot()
      if var asyncCommand = command as? AsyncParsableCommand {
        try await asyncCommand.run()
      } else {
        try command.run()
      }
    } catch {
      let code = exitCode(for: error)
      if code == .success {
        exit(withError: error)
      }
      if let exit = error as? ExitCode { Foundation.exit(exit.rawValue) }
      // One line on stderr: the message without argument-parser's usage block.
      let message: String
      if let configuration = error as? ConfigurationError {
        message = configuration.message
      } else {
        let full = fullMessage(for: error)
        let first = full.split(separator: "\n").first.map(String.init) ?? full
        message = first.replacingOccurrences(of: "Error: ", with: "") + " (see 'normcheck --help')"
      }
      // Lines joined by "; ", except after a line that ends in a colon (a heading).
      let oneLine = message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        .reduce(into: "") { line, part in
          if !line.isEmpty { line += line.hasSuffix(":") ? " " : "; " }
          line += part
        }
      FileHandle.standardError.write(Data("normcheck: \(oneLine)\n".utf8))
      Foundation.exit(2)
    }
  }
}

/// Tunes glibc's allocator for building and freeing large libxml2 trees.
///
/// Measured on a declaration of 100 000 facilities (17 MB; BENCHMARKS.md): without fast bins,
/// freeing the tree no longer spends a tenth of the run in `malloc_consolidate`, and a 64 MiB
/// top pad grows the heap in few large steps instead of many small ones. Together with a
/// single input checked on the main thread (its heap grows by `sbrk`, where a worker thread's
/// arena grows by one `mprotect` call per page), parsing alone went from 541 ms to 389 ms;
/// batches over several threads are unchanged.
func tuneAllocator() {
  #if os(Linux)
  // <malloc.h>: M_MXFAST 1, M_TOP_PAD -2 (glibc's module map does not export malloc.h).
  _ = glibcMallopt(1, 0)
  _ = glibcMallopt(-2, 64 << 20)
  #endif
}

#if os(Linux)
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// A configuration problem found while running (unknown or broken pack, unwritable output):
/// exit code 2 and the message on one line.
struct ConfigurationError: Error {
  var message: String
  init(_ message: String) { self.message = message }
}
