import Foundation

/// The value of an XPath 1.0 expression.
public enum XPathValue: Hashable {
  /// A node-set, in document order.
  case nodeSet([Node])
  /// A string.
  case string(String)
  /// A number (IEEE 754 double).
  case number(Double)
  /// A boolean.
  case boolean(Bool)

  /// The value converted as XPath's `boolean()` does.
  public var booleanValue: Bool {
    switch self {
    case .nodeSet(let nodes): !nodes.isEmpty
    case .string(let string): !string.isEmpty
    case .number(let number): number != 0 && !number.isNaN
    case .boolean(let boolean): boolean
    }
  }

  /// The value converted as XPath's `string()` does (a node-set gives its first node's value).
  public var stringValue: String {
    switch self {
    case .nodeSet(let nodes): nodes.first?.stringValue ?? ""
    case .string(let string): string
    case .number(let number): Self.format(number)
    case .boolean(let boolean): boolean ? "true" : "false"
    }
  }

  /// The value converted as XPath's `number()` does.
  public var numberValue: Double {
    switch self {
    case .nodeSet: Self.parseNumber(stringValue)
    case .string(let string): Self.parseNumber(string)
    case .number(let number): number
    case .boolean(let boolean): boolean ? 1 : 0
    }
  }

  /// The nodes of a node-set; empty for other values.
  public var nodes: [Node] {
    if case .nodeSet(let nodes) = self { return nodes }
    return []
  }

  /// XPath 1.0 number-to-string: integers without a decimal point, no exponent notation.
  public static func format(_ number: Double) -> String {
    if number.isNaN { return "NaN" }
    if number.isInfinite { return number < 0 ? "-Infinity" : "Infinity" }
    if number == 0 { return "0" }
    if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
    var text = String(format: "%.15f", number)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
  }

  /// XPath 1.0 string-to-number: optional whitespace, optional minus, digits with an optional
  /// decimal point; anything else is NaN.
  public static func parseNumber(_ string: String) -> Double {
    let trimmed = string.trimmingCharacters(in: .whitespacesAndNewlines)
    var sawDigit = false
    var sawPoint = false
    for (offset, character) in trimmed.enumerated() {
      if character == "-" && offset == 0 { continue }
      if character == "." && !sawPoint {
        sawPoint = true
        continue
      }
      guard character.isASCII, character.isNumber else { return .nan }
      sawDigit = true
    }
    return sawDigit ? (Double(trimmed) ?? .nan) : .nan
  }
}
