import Foundation

/// A linear pre-scan that refuses start tags with too many attributes before libxml2 sees them.
///
/// libxml2 2.9.14 checks attribute names for duplicates with a nested loop, and its XSD
/// validator does the same per attribute, so one element with 100 000 attributes (1 MB) costs
/// about 24 s and the input size limit would allow hours. libxml2 offers no hook before that
/// loop, so the bytes are scanned first: markup is tracked just far enough (comments, CDATA
/// sections, processing instructions, the DOCTYPE with its internal subset, quoted values) to
/// count the `=` signs of each start tag. The scan reads every byte once, with a lookup table
/// in the inner loops.
///
/// Inputs in UTF-8 or any ASCII-compatible encoding are scanned byte by byte, UTF-16 (with or
/// without a byte-order mark, recognised by its `<?` or `<` pattern) unit by unit. Other
/// encodings (UTF-32, EBCDIC) are not scanned.
enum AttributeScan {
  /// An element with too many attributes: where its start tag begins.
  struct Excess {
    var name: String
    var line: Int
    var column: Int
  }

  /// Returns the first start tag with more than `limit` attributes in `buffer`, if any.
  static func firstExcess(in buffer: UnsafeBufferPointer<UInt8>, limit: Int) -> Excess? {
    guard limit >= 0 else { return nil }
    switch Layout(of: buffer) {
    case .bytes(let start):
      return scan(UnsafeBufferPointer(rebasing: buffer[start...]), limit: limit).map {
        excess(at: $0, in: UnsafeBufferPointer(rebasing: buffer[start...]))
      }
    case .utf16(let bigEndian, let start):
      let count = (buffer.count - start) / 2
      var units = [UInt16](repeating: 0, count: count)
      for i in 0..<count {
        let a = UInt16(buffer[start + 2 * i])
        let b = UInt16(buffer[start + 2 * i + 1])
        units[i] = bigEndian ? a << 8 | b : b << 8 | a
      }
      return units.withUnsafeBufferPointer { units in
        scan(units, limit: limit).map { excess(at: $0, in: units) }
      }
    case .unsupported:
      return nil
    }
  }

  enum Layout {
    case bytes(start: Int)
    case utf16(bigEndian: Bool, start: Int)
    case unsupported

    init(of b: UnsafeBufferPointer<UInt8>) {
      let n = b.count
      if n >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF {
        self = .bytes(start: 3)
      } else if n >= 4, (b[0] == 0 && b[1] == 0) || (b[2] == 0 && b[3] == 0 && b[0] != 0x3C) {
        self = .unsupported  // UTF-32 in either order
      } else if n >= 2, b[0] == 0xFE, b[1] == 0xFF {
        self = .utf16(bigEndian: true, start: 2)
      } else if n >= 2, b[0] == 0xFF, b[1] == 0xFE {
        self = .utf16(bigEndian: false, start: 2)
      } else if n >= 2, b[0] == 0, b[1] == 0x3C {
        self = .utf16(bigEndian: true, start: 0)
      } else if n >= 2, b[0] == 0x3C, b[1] == 0 {
        self = .utf16(bigEndian: false, start: 0)
      } else if n >= 4, b[0] == 0x4C, b[1] == 0x6F, b[2] == 0xA7, b[3] == 0x94 {
        self = .unsupported  // EBCDIC "<?xm"
      } else {
        self = .bytes(start: 0)
      }
    }
  }

  // Character classes for the inner loops (ASCII; every other unit is class 0).
  private static let quote: UInt8 = 1
  private static let equals: UInt8 = 2
  private static let close: UInt8 = 3
  private static let tagClasses: [UInt8] = {
    var table = [UInt8](repeating: 0, count: 256)
    table[Int(UInt8(ascii: "\""))] = quote
    table[Int(UInt8(ascii: "'"))] = quote
    table[Int(UInt8(ascii: "="))] = equals
    table[Int(UInt8(ascii: ">"))] = close
    return table
  }()

  /// The offset of the `<` of the first start tag with more than `limit` `=` signs outside quotes.
  ///
  /// `progress` is told, about every `progressStride` units, an offset before which every tag
  /// has been scanned (and found within the limit): a reader may take the units before it.
  /// `startTag` is told the offset of each start tag's `<` within the limit, in order, before
  /// `progress` passes it.
  static func scan<Unit: FixedWidthInteger>(
    _ u: UnsafeBufferPointer<Unit>, limit: Int, progressStride: Int = .max, progress: (Int) -> Void = { _ in },
    startTag: (Int) -> Void = { _ in }
  ) -> Int? {
    let n = u.count
    let lt = Unit(UInt8(ascii: "<"))
    let gt = Unit(UInt8(ascii: ">"))
    let bang = Unit(UInt8(ascii: "!"))
    let question = Unit(UInt8(ascii: "?"))
    let slash = Unit(UInt8(ascii: "/"))
    let dash = Unit(UInt8(ascii: "-"))
    let openBracket = Unit(UInt8(ascii: "["))
    let closeBracket = Unit(UInt8(ascii: "]"))
    let dquote = Unit(UInt8(ascii: "\""))
    let squote = Unit(UInt8(ascii: "'"))
    let classes = tagClasses

    @inline(__always) func cls(_ c: Unit) -> UInt8 { c < 256 ? classes[Int(c)] : 0 }
    @inline(__always) func has(_ text: StaticString, at i: Int) -> Bool {
      let count = text.utf8CodeUnitCount
      guard i + count <= n else { return false }
      for k in 0..<count where u[i + k] != Unit(text.utf8Start[k]) { return false }
      return true
    }
    /// The index just past the next occurrence of `text` at or after `i`, or `n`.
    @inline(__always) func skip(past text: StaticString, from i: Int) -> Int {
      let first = Unit(text.utf8Start[0])
      var j = i
      while j < n {
        if u[j] == first, has(text, at: j) { return j + text.utf8CodeUnitCount }
        j += 1
      }
      return n
    }
    /// The index of the next `c` at or after `i`, or `n`; `memchr` for bytes.
    @inline(__always) func seek(_ c: Unit, from i: Int) -> Int {
      guard i < n else { return n }
      if Unit.bitWidth == 8, let base = u.baseAddress {
        let start = UnsafeRawPointer(base) + i
        guard let found = memchr(start, Int32(truncatingIfNeeded: c), n - i) else { return n }
        return i + start.distance(to: UnsafeRawPointer(found))
      }
      var j = i
      while j < n, u[j] != c { j += 1 }
      return j
    }
    @inline(__always) func skipQuoted(from i: Int) -> Int {  // i at the opening quote
      seek(u[i], from: i + 1) + 1
    }

    var i = 0
    var reported = 0
    while i < n {
      if i - reported >= progressStride {
        progress(i)
        reported = i
      }
      // Character data: find the next '<'.
      i = seek(lt, from: i)
      guard i + 1 < n else { return nil }
      let tagStart = i
      let next = u[i + 1]
      if next == bang {
        if has("<!--", at: i) {
          i = skip(past: "-->", from: i + 4)
        } else if has("<![CDATA[", at: i) {
          i = skip(past: "]]>", from: i + 9)
        } else {
          // <!DOCTYPE …> with an optional internal subset, or a declaration inside one.
          var depth = 0
          i += 2
          while i < n {
            let c = u[i]
            if c == dquote || c == squote {
              i = skipQuoted(from: i)
              continue
            }
            if c == lt, i + 3 < n, u[i + 1] == bang, u[i + 2] == dash, u[i + 3] == dash {
              i = skip(past: "-->", from: i + 4)
              continue
            }
            if c == lt, i + 1 < n, u[i + 1] == question {
              i = skip(past: "?>", from: i + 2)
              continue
            }
            if c == openBracket { depth += 1 }
            if c == closeBracket { depth -= 1 }
            i += 1
            if c == gt, depth <= 0 { break }
          }
        }
      } else if next == question {
        i = skip(past: "?>", from: i + 2)
      } else if next == slash {
        i += 2
        i = seek(gt, from: i)
        i += 1
      } else {
        // A start tag: count '=' outside quoted values up to its '>'.
        var count = 0
        i += 1
        while i < n {
          var c = u[i]
          var k = cls(c)
          while k == 0 {
            i += 1
            guard i < n else { return nil }
            c = u[i]
            k = cls(c)
          }
          if k == quote {
            i = skipQuoted(from: i)
          } else if k == equals {
            count += 1
            if count > limit { return tagStart }
            i += 1
          } else {
            i += 1
            break
          }
        }
        startTag(tagStart)
      }
    }
    return nil
  }

  /// The element name, line and column (in characters, from 1) of the tag at `offset`.
  static func excess<Unit: FixedWidthInteger>(at offset: Int, in u: UnsafeBufferPointer<Unit>) -> Excess {
    var line = 1
    var lineStart = 0
    for i in 0..<offset where u[i] == Unit(UInt8(ascii: "\n")) {
      line += 1
      lineStart = i + 1
    }
    var column = 1
    for i in lineStart..<offset where Unit.bitWidth == 16 || (u[i] & 0xC0) != 0x80 { column += 1 }
    var nameEnd = offset + 1
    while nameEnd < u.count, nameEnd - offset < 200 {
      let c = u[nameEnd]
      if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == Unit(UInt8(ascii: ">"))
        || c == Unit(UInt8(ascii: "/"))
      {
        break
      }
      nameEnd += 1
    }
    let name: String
    if Unit.bitWidth == 8 {
      name = String(decoding: (offset + 1..<nameEnd).map { UInt8(truncatingIfNeeded: u[$0]) }, as: UTF8.self)
    } else {
      name = String(decoding: (offset + 1..<nameEnd).map { UInt16(truncatingIfNeeded: u[$0]) }, as: UTF16.self)
    }
    return Excess(name: name, line: line, column: column)
  }
}
