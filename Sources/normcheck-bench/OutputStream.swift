#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A buffered byte sink on a C stream: text is appended to a 1 MiB buffer that is written out
/// whenever it fills, so a document of any size is written in constant memory.
final class OutputStream {
  private let file: UnsafeMutablePointer<FILE>
  private let ownsFile: Bool
  private var buffer: [UInt8] = []
  private let capacity = 1 << 20
  /// Bytes written so far (including those still buffered).
  private(set) var byteCount = 0
  /// Newlines written so far, so that a finding's line can be predicted.
  private(set) var lineCount = 0

  /// Opens `path` for writing (truncating it), or standard output for `-`.
  init(path: String) throws {
    if path == "-" {
      guard let standardOutput = fdopen(1, "w") else { throw GeneratorError("cannot write to standard output") }
      file = standardOutput
      ownsFile = false
    } else {
      guard let opened = fopen(path, "w") else {
        throw GeneratorError("cannot open \(path) for writing: \(String(cString: strerror(errno)))")
      }
      file = opened
      ownsFile = true
    }
    buffer.reserveCapacity(capacity)
  }

  /// Appends `text` as UTF-8.
  func write(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
      buffer.append(contentsOf: bytes)
      byteCount += bytes.count
      for byte in bytes where byte == 0x0A { lineCount += 1 }
    }
    if buffer.count >= capacity { flush() }
  }

  /// Writes out what is buffered.
  func flush() {
    guard !buffer.isEmpty else { return }
    let written = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    precondition(written == buffer.count, "short write: \(written) of \(buffer.count) bytes")
    buffer.removeAll(keepingCapacity: true)
  }

  /// Flushes and closes the stream; reports a failed write.
  func close() throws {
    flush()
    if ownsFile {
      if fclose(file) != 0 { throw GeneratorError("cannot write the output: \(String(cString: strerror(errno)))") }
    } else if fflush(file) != 0 {
      throw GeneratorError("cannot write the output: \(String(cString: strerror(errno)))")
    }
  }
}

/// A failure of the generator, with a message for the command line.
struct GeneratorError: Error, CustomStringConvertible {
  /// What went wrong.
  let description: String

  /// Creates an error with `description`.
  init(_ description: String) { self.description = description }
}

extension String {
  /// The text escaped for an XML attribute value in double quotes, or for character data.
  var xmlEscaped: String {
    guard contains(where: { $0 == "&" || $0 == "<" || $0 == ">" || $0 == "\"" }) else { return self }
    var result = ""
    result.reserveCapacity(count + 16)
    for character in self {
      switch character {
      case "&": result += "&amp;"
      case "<": result += "&lt;"
      case ">": result += "&gt;"
      case "\"": result += "&quot;"
      default: result.append(character)
      }
    }
    return result
  }
}
