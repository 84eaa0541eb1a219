/// Escaping of text written into XML or HTML.
public enum XMLEscaping {
  /// `text` with `& < > " '` as entities and characters XML 1.0 forbids dropped; in attribute
  /// values also tabs, line feeds and carriage returns as character references, so that
  /// attribute-value normalization keeps them.
  public static func escape(_ text: String, inAttribute: Bool = false) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      case "\n": out += inAttribute ? "&#10;" : "\n"
      case "\t": out += inAttribute ? "&#9;" : "\t"
      case "\r": out += "&#13;"
      default:
        if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }
}
