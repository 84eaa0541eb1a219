import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads inputs read-only, refusing what is not a regular file and what is too large,
/// before a single byte is parsed.
enum InputReader {
  /// Regular files of at least this many bytes are mapped rather than read (see ``InputBytes``).
  static let mappingThreshold = 1 << 20

  /// Reads the regular file at `path` whole: a large one mapped (see ``InputBytes``), a small
  /// one straight into an array (no copy through a chunk buffer).
  static func readFile(_ path: String, limit: Int, mapping: Bool = true) throws -> InputBytes {
    let location = SourceLocation(file: path, line: 0, column: 0)
    // O_NONBLOCK so that opening a FIFO with no writer cannot hang; refused below anyway.
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else {
      throw XMLError(kind: .io, message: "cannot open: \(String(cString: strerror(errno)))", location: location)
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw XMLError(kind: .io, message: "cannot stat: \(String(cString: strerror(errno)))", location: location)
    }
    let type = info.st_mode & S_IFMT
    guard type == S_IFREG else {
      let what =
        switch type {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        case S_IFCHR, S_IFBLK: "a device"
        default: "not a regular file"
        }
      throw XMLError(kind: .io, message: "is \(what), not an XML file", location: location)
    }
    if Int(info.st_size) > limit {
      throw XMLError(
        kind: .limit,
        message: "input is \(info.st_size) bytes, more than the limit of \(limit) bytes",
        location: location)
    }
    let size = Int(info.st_size)
    #if canImport(Glibc)
    if mapping, size >= mappingThreshold, let mapped = InputBytes.map(fileDescriptor: fd, info: info) {
      return mapped
    }
    #endif
    var bytes = try [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
      count = 0
      while count < size {
        let got = read(fd, buffer.baseAddress! + count, size - count)
        if got == 0 { break }
        if got < 0 {
          if errno == EINTR { continue }
          throw XMLError(kind: .io, message: "read failed: \(String(cString: strerror(errno)))", location: location)
        }
        count += got
      }
    }
    if bytes.count == size {
      // The file may have grown since fstat: whatever follows is read as a stream.
      let rest = try readAll(fileDescriptor: fd, name: path, limit: limit, sizeHint: 0)
      if size + rest.count > limit {
        throw XMLError(kind: .limit, message: "input is larger than the limit of \(limit) bytes", location: location)
      }
      if !rest.isEmpty { bytes += rest }
    }
    return InputBytes(bytes)
  }

  static func readAll(fileDescriptor fd: Int32, name: String, limit: Int, sizeHint: Int = 64 << 10) throws -> [UInt8] {
    var bytes = [UInt8]()
    bytes.reserveCapacity(min(sizeHint, limit) + 1)
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count == 0 { break }
      if count < 0 {
        if errno == EINTR { continue }
        if errno == EAGAIN {
          // Standard input opened non-blocking by someone else: wait for data.
          var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
          _ = poll(&pfd, 1, -1)
          continue
        }
        throw XMLError(
          kind: .io, message: "read failed: \(String(cString: strerror(errno)))",
          location: SourceLocation(file: name, line: 0, column: 0))
      }
      bytes.append(contentsOf: chunk[0..<count])
      if bytes.count > limit {
        throw XMLError(
          kind: .limit, message: "input is larger than the limit of \(limit) bytes",
          location: SourceLocation(file: name, line: 0, column: 0))
      }
    }
    return bytes
  }
}
