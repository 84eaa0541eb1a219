import Foundation

/// One part of a `multipart/form-data` body (RFC 7578).
struct MultipartPart: Sendable {
  /// The form field's name (`Content-Disposition: form-data; name="…"`).
  var name: String
  /// The file name, for a file upload; `""` when the browser sent a file field with no file chosen.
  var filename: String?
  /// The part's `Content-Type`, if given.
  var contentType: String?
  /// The part's content, as sent.
  var body: Data
}

/// Why a multipart body was refused.
struct MultipartError: Error, Sendable {
  var message: String
}

/// A strict, bounded reader of `multipart/form-data` bodies: it finds the parts and their
/// `Content-Disposition` and never decodes content, so an upload reaches the checker byte for byte.
enum Multipart {
  /// At most this many parts (the upload form sends fewer than a dozen).
  static let maxParts = 64
  /// At most this many bytes of headers per part.
  static let maxHeaderBytes = 8 << 10

  /// The `boundary` parameter of a `multipart/form-data` content type, if it is one.
  static func boundary(contentType: String) -> String? {
    let (type, parameters) = MediaType.parse(contentType)
    guard type == "multipart/form-data", let boundary = parameters["boundary"], !boundary.isEmpty,
      boundary.utf8.count <= 70
    else { return nil }
    return boundary
  }

  /// Splits `body` into its parts.
  static func parse(_ body: Data, boundary: String) throws(MultipartError) -> [MultipartPart] {
    let bytes = [UInt8](body)
    let dashBoundary = Array("--\(boundary)".utf8)
    let delimiter = Array("\r\n--\(boundary)".utf8)
    // The first delimiter may start the body (no preamble) or follow a preamble and CRLF.
    var position: Int
    if bytes.starts(with: dashBoundary) {
      position = dashBoundary.count
    } else if let found = find(delimiter, in: bytes, from: 0) {
      position = found + delimiter.count
    } else {
      throw MultipartError(message: "the multipart body does not contain its boundary")
    }
    var parts: [MultipartPart] = []
    while true {
      if bytes[position...].starts(with: Array("--".utf8)) { return parts }  // the close delimiter
      while position < bytes.count, bytes[position] == UInt8(ascii: " ") || bytes[position] == UInt8(ascii: "\t") {
        position += 1
      }
      guard bytes[position...].starts(with: Array("\r\n".utf8)) else {
        throw MultipartError(message: "the multipart body is malformed after a boundary")
      }
      position += 2
      guard let end = find(delimiter, in: bytes, from: position) else {
        throw MultipartError(message: "the multipart body ends without its closing boundary")
      }
      parts.append(try part(bytes, position..<end))
      if parts.count > maxParts {
        throw MultipartError(message: "the multipart body has more than \(maxParts) parts")
      }
      position = end + delimiter.count
    }
  }

  /// One part: headers, an empty line, the content.
  private static func part(_ bytes: [UInt8], _ range: Range<Int>) throws(MultipartError) -> MultipartPart {
    let headerEnd: Int
    let contentStart: Int
    if bytes[range].starts(with: Array("\r\n".utf8)) {
      headerEnd = range.lowerBound
      contentStart = range.lowerBound + 2
    } else if let found = find(
      Array("\r\n\r\n".utf8), in: bytes, from: range.lowerBound,
      to: min(range.upperBound, range.lowerBound + maxHeaderBytes + 4))
    {
      headerEnd = found
      contentStart = found + 4
    } else {
      throw MultipartError(
        message: "a part of the multipart body has no end of headers within \(maxHeaderBytes) bytes")
    }
    let headerText = String(decoding: bytes[range.lowerBound..<headerEnd], as: UTF8.self)
    var disposition: String?
    var contentType: String?
    for line in headerText.components(separatedBy: "\r\n") where !line.isEmpty {
      guard let colon = line.firstIndex(of: ":") else {
        throw MultipartError(message: "a part of the multipart body has a malformed header line")
      }
      let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
      let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      if name == "content-disposition" { disposition = value }
      if name == "content-type" { contentType = value }
    }
    guard let disposition else {
      throw MultipartError(message: "a part of the multipart body has no Content-Disposition")
    }
    let (kind, parameters) = MediaType.parse(disposition)
    guard kind == "form-data", let name = parameters["name"] else {
      throw MultipartError(message: "a part of the multipart body is not form-data with a name")
    }
    return MultipartPart(
      name: name, filename: parameters["filename"], contentType: contentType,
      body: Data(bytes[contentStart..<range.upperBound]))
  }

  /// The first index at which `needle` occurs in `haystack[start..<end]`.
  static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int, to end: Int? = nil) -> Int? {
    let end = end ?? haystack.count
    guard let first = needle.first, end - start >= needle.count else { return nil }
    return haystack.withUnsafeBufferPointer { buffer -> Int? in
      let last = end - needle.count
      var index = start
      while index <= last {
        guard let hit = buffer[index...last].firstIndex(of: first) else { return nil }
        if memcmp(buffer.baseAddress! + hit, needle, needle.count) == 0 { return hit }
        index = hit + 1
      }
      return nil
    }
  }
}

/// Media types and their parameters, as in `Content-Type` and `Content-Disposition`.
enum MediaType {
  /// The lowercased value before the first `;`, and the parameters (names lowercased, quoted values unquoted).
  static func parse(_ header: String) -> (String, [String: String]) {
    var scanner = Substring(header)
    let type = take(&scanner) { $0 != ";" }.trimmingCharacters(in: .whitespaces).lowercased()
    var parameters: [String: String] = [:]
    while !scanner.isEmpty {
      scanner = scanner.drop { $0 == ";" || $0 == " " || $0 == "\t" }
      let name = take(&scanner) { $0 != "=" && $0 != ";" }.trimmingCharacters(in: .whitespaces).lowercased()
      guard scanner.first == "=" else {
        _ = take(&scanner) { $0 != ";" }
        continue
      }
      scanner = scanner.dropFirst().drop { $0 == " " || $0 == "\t" }
      var value = ""
      if scanner.first == "\"" {
        scanner = scanner.dropFirst()
        while let character = scanner.first, character != "\"" {
          scanner = scanner.dropFirst()
          // A backslash escapes only a quote or a backslash: old browsers send Windows paths unescaped.
          if character == "\\", let escaped = scanner.first, escaped == "\"" || escaped == "\\" {
            value.append(escaped)
            scanner = scanner.dropFirst()
          } else {
            value.append(character)
          }
        }
        scanner = scanner.dropFirst()
        _ = take(&scanner) { $0 != ";" }
      } else {
        value = take(&scanner) { $0 != ";" }.trimmingCharacters(in: .whitespaces)
      }
      if !name.isEmpty, parameters[name] == nil { parameters[name] = value }
    }
    return (type, parameters)
  }

  /// Takes the longest prefix of `scanner` whose characters satisfy `accept`.
  private static func take(_ scanner: inout Substring, while accept: (Character) -> Bool) -> Substring {
    let taken = scanner.prefix(while: accept)
    scanner = scanner.dropFirst(taken.count)
    return taken
  }
}
