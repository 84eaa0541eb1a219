import Foundation
import XMLCore

/// The EXSLT functions normcheck implements (strings, regular expressions, math, sets).
enum EXSLTFunctions {
  static let strings = "http://exslt.org/strings"
  static let regexp = "http://exslt.org/regular-expressions"
  static let math = "http://exslt.org/math"
  static let sets = "http://exslt.org/sets"

  static let all: [FunctionDefinition] = [
    FunctionDefinition(
      QualifiedName("test", namespace: regexp), arity: 2...3,
      summary: "regexp:test(string, regex, flags?): whether the regex (ICU syntax) matches."
    ) { call, environment in
      let text = call.arguments[0].stringValue
      let regex = try environment.regex(
        call.arguments[1].stringValue, flags: call.arguments.count > 2 ? call.arguments[2].stringValue : "")
      return .boolean(regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil)
    },
    FunctionDefinition(
      QualifiedName("replace", namespace: regexp), arity: 4...4,
      summary: "regexp:replace(string, regex, flags, replacement); flag g replaces all matches."
    ) { call, environment in
      let text = call.arguments[0].stringValue
      let flags = call.arguments[2].stringValue
      let regex = try environment.regex(call.arguments[1].stringValue, flags: flags)
      let replacement = NSRegularExpression.escapedTemplate(for: call.arguments[3].stringValue)
      var range = NSRange(text.startIndex..., in: text)
      if !flags.contains("g"), let first = regex.firstMatch(in: text, range: range) { range = first.range }
      return .string(regex.stringByReplacingMatches(in: text, range: range, withTemplate: replacement))
    },
    FunctionDefinition(
      QualifiedName("match", namespace: regexp), arity: 2...3,
      summary: "regexp:match(string, regex, flags?): the whole match, then each group, as nodes."
    ) { call, environment in
      let text = call.arguments[0].stringValue
      let flags = call.arguments.count > 2 ? call.arguments[2].stringValue : ""
      let regex = try environment.regex(call.arguments[1].stringValue, flags: flags)
      let range = NSRange(text.startIndex..., in: text)
      var values: [String] = []
      let matches =
        flags.contains("g")
        ? regex.matches(in: text, range: range) : regex.firstMatch(in: text, range: range).map { [$0] } ?? []
      for match in matches {
        for group in 0..<match.numberOfRanges {
          let groupRange = match.range(at: group)
          values.append(Range(groupRange, in: text).map { String(text[$0]) } ?? "")
          if flags.contains("g") { break }
        }
      }
      return try makeTextNodes(values, elementName: "match", in: environment)
    },
    FunctionDefinition(
      QualifiedName("tokenize", namespace: strings), arity: 1...2,
      summary: "str:tokenize(string, delimiters?): token nodes split at any delimiter character."
    ) { call, environment in
      let delimiters = call.arguments.count > 1 ? call.arguments[1].stringValue : " \t\n\r"
      let text = call.arguments[0].stringValue
      let tokens: [String] =
        delimiters.isEmpty
        ? text.map { String($0) } : text.split(whereSeparator: { delimiters.contains($0) }).map(String.init)
      return try makeTextNodes(tokens, elementName: "token", in: environment)
    },
    FunctionDefinition(
      QualifiedName("split", namespace: strings), arity: 1...2,
      summary: "str:split(string, separator?): token nodes split at a separator string (default a space)."
    ) { call, environment in
      let separator = call.arguments.count > 1 ? call.arguments[1].stringValue : " "
      let text = call.arguments[0].stringValue
      let tokens: [String] =
        separator.isEmpty
        ? text.map { String($0) }
        : text.components(separatedBy: separator).filter { !$0.isEmpty }
      return try makeTextNodes(tokens, elementName: "token", in: environment)
    },
    FunctionDefinition(
      QualifiedName("concat", namespace: strings), arity: 1...1,
      summary: "str:concat(node-set): the string values of the nodes joined."
    ) { call, _ in .string(call.arguments[0].strings.joined()) },
    FunctionDefinition(
      QualifiedName("padding", namespace: strings), arity: 1...2,
      summary: "str:padding(length, string?): the string repeated to the length."
    ) { call, _ in
      let length = Int(max(0, min(call.arguments[0].numberValue.isNaN ? 0 : call.arguments[0].numberValue, 1_000_000)))
      let unit = call.arguments.count > 1 ? call.arguments[1].stringValue : " "
      guard !unit.isEmpty else { return .string("") }
      return .string(String(String(repeating: unit, count: length / unit.count + 1).prefix(length)))
    },
    FunctionDefinition(
      QualifiedName("min", namespace: math), arity: 1...1,
      summary: "math:min(node-set): the smallest number, NaN if any is not one."
    ) { call, _ in .number(extreme(call.arguments[0], by: <)) },
    FunctionDefinition(
      QualifiedName("max", namespace: math), arity: 1...1,
      summary: "math:max(node-set): the largest number, NaN if any is not one."
    ) { call, _ in .number(extreme(call.arguments[0], by: >)) },
    FunctionDefinition(
      QualifiedName("distinct", namespace: sets), arity: 1...1,
      summary: "set:distinct(node-set): the first node of each distinct string value.",
      native: .firstOfEachStringValue
    ) { call, _ in
      // Distinct by code points, as XPath compares strings (and as the native answer does).
      var seen = Set<[UInt8]>()
      return .nodeSet(call.arguments[0].nodes.filter { seen.insert(Array($0.stringValue.utf8)).inserted })
    },
    FunctionDefinition(
      QualifiedName("intersection", namespace: sets), arity: 2...2, summary: "set:intersection(a, b): nodes in both."
    ) { call, _ in
      let other = Set(call.arguments[1].nodes)
      return .nodeSet(call.arguments[0].nodes.filter(other.contains))
    },
    FunctionDefinition(
      QualifiedName("difference", namespace: sets), arity: 2...2, summary: "set:difference(a, b): nodes of a not in b."
    ) { call, _ in
      let other = Set(call.arguments[1].nodes)
      return .nodeSet(call.arguments[0].nodes.filter { !other.contains($0) })
    },
  ]
}

/// The smallest (with `<`) or largest (with `>`) number of a node-set's string values; NaN
/// when the set is empty or a value is not a number (EXSLT math:min/max).
private func extreme(_ value: XPathValue, by better: (Double, Double) -> Bool) -> Double {
  let numbers = value.nodes.map { XPathValue.parseNumber($0.stringValue) }
  guard let first = numbers.first, !numbers.contains(where: \.isNaN) else { return .nan }
  return numbers.dropFirst().reduce(first) { better($1, $0) ? $1 : $0 }
}
