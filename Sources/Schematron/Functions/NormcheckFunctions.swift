import Foundation
import XMLCore

/// normcheck's own functions, in ``normcheckFunctionsNamespace`` (conventional prefix `nc`).
///
/// They answer questions XPath 1.0 cannot answer well: calendar arithmetic, regular
/// expressions, and the validity of e-mail addresses, E.164 numbers and ISO 3166 codes.
/// Each returns NaN or `false` for input it cannot read, never an error, so a bad value in a
/// declaration becomes a finding rather than a failed evaluation.
enum NormcheckFunctions {
  static let ns = normcheckFunctionsNamespace

  static let all: [FunctionDefinition] = [
    FunctionDefinition(
      QualifiedName("is-date", namespace: ns), arity: 1...1,
      summary: "Whether the value is a valid xs:date (YYYY-MM-DD, optional time zone) or xs:dateTime."
    ) { call, _ in .boolean(CalendarDate(call.arguments[0].stringValue) != nil) },
    FunctionDefinition(
      QualifiedName("days-between", namespace: ns), arity: 2...2,
      summary: "Days from the first date to the second (negative if earlier); NaN if either is not a date."
    ) { call, _ in
      guard let from = CalendarDate(call.arguments[0].stringValue), let to = CalendarDate(call.arguments[1].stringValue)
      else { return .number(.nan) }
      return .number(Double(to.dayNumber - from.dayNumber))
    },
    FunctionDefinition(
      QualifiedName("add-days", namespace: ns), arity: 2...2,
      summary: "The date a number of days after a date, as YYYY-MM-DD; empty if not a date or beyond year 9999."
    ) { call, _ in
      let days = call.arguments[1].numberValue
      // Beyond ±4 million days (about 11 000 years) the result has no YYYY-MM-DD form; the bound
      // also keeps Int(days) and the arithmetic from trapping on values such as 1e30.
      guard let date = CalendarDate(call.arguments[0].stringValue), days.isFinite, abs(days) <= 4_000_000 else {
        return .string("")
      }
      let result = CalendarDate(dayNumber: date.dayNumber + Int(days))
      return .string((1...9999).contains(result.year) ? result.description : "")
    },
    FunctionDefinition(
      QualifiedName("first-non-empty", namespace: ns), arity: 1...Int.max,
      summary: "The first argument whose string value is not empty (for defaults such as an as-of date)."
    ) { call, _ in
      .string(call.arguments.lazy.map(\.stringValue).first { !$0.isEmpty } ?? "")
    },
    FunctionDefinition(
      QualifiedName("matches", namespace: ns), arity: 2...3,
      summary: "Whether the regular expression (ICU syntax; flags i, m, s, x) matches the whole string."
    ) { call, environment in
      let text = call.arguments[0].stringValue
      let regex = try environment.regex(
        // \A and \z: `$` would also match before a final line break, and with flag m at any line end.
        "\\A(?:" + call.arguments[1].stringValue + ")\\z",
        flags: call.arguments.count > 2 ? call.arguments[2].stringValue : "")
      return .boolean(regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil)
    },
    FunctionDefinition(
      QualifiedName("is-email", namespace: ns), arity: 1...1,
      summary: "Whether the value is a plausible e-mail address (RFC 5322 dot-atom local part, DNS domain)."
    ) { call, _ in .boolean(Validators.isEmail(call.arguments[0].stringValue)) },
    FunctionDefinition(
      QualifiedName("is-e164", namespace: ns), arity: 1...1,
      summary:
        "Whether the value is an E.164 number: '+', a country code not starting with 0, 15 digits at most; spaces, dots and hyphens between digits are ignored."
    ) { call, _ in .boolean(Validators.isE164(call.arguments[0].stringValue)) },
    FunctionDefinition(
      QualifiedName("is-country-code", namespace: ns), arity: 1...1,
      summary: "Whether the value is an officially assigned ISO 3166-1 alpha-2 or alpha-3 code."
    ) { call, _ in
      let value = call.arguments[0].stringValue
      return .boolean(CountryCodes.alpha2.contains(value) || CountryCodes.alpha3.contains(value))
    },
    FunctionDefinition(
      QualifiedName("country-code-status", namespace: ns), arity: 1...1,
      summary: "'assigned', 'user-assigned' (AA, QM-QZ, XA-XZ, ZZ and their alpha-3 forms) or 'invalid'."
    ) { call, _ in .string(Validators.countryCodeStatus(call.arguments[0].stringValue)) },
    FunctionDefinition(
      QualifiedName("is-url", namespace: ns), arity: 1...1,
      summary: "Whether the value is an absolute http or https URL with a host."
    ) { call, _ in .boolean(Validators.isWebURL(call.arguments[0].stringValue)) },
    FunctionDefinition(
      QualifiedName("is-pgp-fingerprint", namespace: ns), arity: 1...1,
      summary: "Whether the value is a PGP key fingerprint: 40 (v4) or 64 (v5) hex digits, spaces allowed."
    ) { call, _ in
      let hex = call.arguments[0].stringValue.filter { $0 != " " }
      return .boolean((hex.count == 40 || hex.count == 64) && hex.allSatisfy(\.isHexDigit))
    },
    FunctionDefinition(
      QualifiedName("lower-case", namespace: ns), arity: 1...1, summary: "The value in lower case."
    ) { call, _ in .string(call.arguments[0].stringValue.lowercased()) },
    FunctionDefinition(
      QualifiedName("in-vocabulary", namespace: ns), arity: 2...2,
      summary: "nc:in-vocabulary(value, vocabulary): whether the term is in the named vocabulary.",
      native: .membership { name, environment in environment.terms(of: name) }
    ) { call, environment in
      let name = call.arguments[1].stringValue
      guard let terms = environment.terms(of: name) else {
        throw XPathFunctionError("nc:in-vocabulary: no vocabulary named '\(name)' is loaded")
      }
      // Compared by code points, as XPath compares strings (and as the native answer does).
      return .boolean(terms.contains(call.arguments[0].stringValue))
    },
    FunctionDefinition(
      QualifiedName("is-within", namespace: ns), arity: 3...3,
      summary:
        "nc:is-within(term, ancestor, vocabulary): whether the term is the ancestor or lies below it. Node-sets: any pair."
    ) { call, environment in
      let name = call.arguments[2].stringValue
      guard let vocabulary = environment.vocabularies[name] else {
        throw XPathFunctionError("nc:is-within: no vocabulary named '\(name)' is loaded")
      }
      let ancestors = call.arguments[1].strings
      return .boolean(
        call.arguments[0].strings.contains { term in ancestors.contains { vocabulary.isWithin(term, $0) } })
    },
  ]
}

/// A proleptic Gregorian calendar date, read from xs:date or xs:dateTime text.
struct CalendarDate: CustomStringConvertible {
  var year: Int
  var month: Int
  var day: Int

  init?(_ text: String) {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    let scalars = Array(trimmed.utf8)
    guard scalars.count >= 10, scalars[4] == UInt8(ascii: "-"), scalars[7] == UInt8(ascii: "-") else { return nil }
    func number(_ range: Range<Int>) -> Int? {
      var value = 0
      for index in range {
        let byte = scalars[index]
        guard byte >= 48 && byte <= 57 else { return nil }
        value = value * 10 + Int(byte - 48)
      }
      return value
    }
    guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
    // What follows may be a time zone (Z, +hh:mm) or a time (Thh:mm:ss…).
    if scalars.count > 10 {
      let rest = String(decoding: scalars[10...], as: UTF8.self)
      let zone = #"^(Z|[+-]\d{2}:\d{2})?$"#
      let time = #"^T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$"#
      guard
        rest.range(of: zone, options: .regularExpression) != nil
          || rest.range(of: time, options: .regularExpression) != nil
      else { return nil }
      // The shape is right; the fields must be in range too (24:00:00 is end of day; zones ±14:00).
      let tail = Array(scalars[10...])
      func field(_ index: Int) -> Int { Int(tail[index] - 48) * 10 + Int(tail[index + 1] - 48) }
      if tail.first == UInt8(ascii: "T") {
        let (hour, minute, second) = (field(1), field(4), field(7))
        guard minute <= 59, second <= 59, hour <= 23 || (hour == 24 && minute == 0 && second == 0) else { return nil }
      }
      if tail.count >= 6, tail[tail.count - 6] == UInt8(ascii: "+") || tail[tail.count - 6] == UInt8(ascii: "-") {
        let (hours, minutes) = (field(tail.count - 5), field(tail.count - 2))
        guard minutes <= 59, hours * 60 + minutes <= 14 * 60 else { return nil }
      }
    }
    guard year >= 1, (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year) else {
      return nil
    }
    self.year = year
    self.month = month
    self.day = day
  }

  init(dayNumber: Int) {
    // Inverse of dayNumber (Howard Hinnant's civil_from_days).
    let z = dayNumber + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    day = doy - (153 * mp + 2) / 5 + 1
    month = mp < 10 ? mp + 3 : mp - 9
    year = yoe + era * 400 + (month <= 2 ? 1 : 0)
  }

  static func daysIn(month: Int, year: Int) -> Int {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
  }

  /// Days since 1970-01-01, by Howard Hinnant's days_from_civil algorithm.
  var dayNumber: Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  var description: String {
    String(format: "%04d-%02d-%02d", year, month, day)
  }
}

/// Syntax checks for contact data.
enum Validators {
  static func isEmail(_ value: String) -> Bool {
    guard value.utf8.count <= 254, value == value.trimmingCharacters(in: .whitespaces) else { return false }
    let parts = value.split(separator: "@", omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64 else { return false }
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-")
    let atoms = parts[0].split(separator: ".", omittingEmptySubsequences: false)
    guard atoms.allSatisfy({ !$0.isEmpty && $0.allSatisfy(allowed.contains) }) else { return false }
    return isHostName(String(parts[1]), requireDot: true)
  }

  static func isHostName(_ host: String, requireDot: Bool) -> Bool {
    let labels = host.split(separator: ".", omittingEmptySubsequences: false)
    guard !requireDot || labels.count >= 2, host.utf8.count <= 253 else { return false }
    for label in labels {
      guard (1...63).contains(label.count), label.first != "-", label.last != "-",
        label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
      else { return false }
    }
    guard let top = labels.last, top.count >= 2, top.allSatisfy(\.isLetter) || top.hasPrefix("xn--") else {
      return labels.count == 1 && !requireDot
    }
    return true
  }

  static func isE164(_ value: String) -> Bool {
    let trimmed = value.trimmingCharacters(in: .whitespaces)
    guard trimmed.first == "+" else { return false }
    var digits = ""
    var previousWasSeparator = true  // no separator straight after '+'
    for character in trimmed.dropFirst() {
      if character.isASCII && character.isNumber {
        digits.append(character)
        previousWasSeparator = false
      } else if character == " " || character == "-" || character == "." {
        if previousWasSeparator { return false }
        previousWasSeparator = true
      } else {
        return false
      }
    }
    guard !previousWasSeparator, (2...15).contains(digits.count), digits.first != "0" else { return false }
    return true
  }

  static func countryCodeStatus(_ value: String) -> String {
    if CountryCodes.alpha2.contains(value) || CountryCodes.alpha3.contains(value) { return "assigned" }
    let letters = Array(value)
    guard (2...3).contains(letters.count), letters.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
      return "invalid"
    }
    // ISO 3166-1 user-assigned: AA, QM–QZ, XA–XZ, ZZ; alpha-3 AAA–AAZ, QMA–QZZ, XAA–XZZ, ZZA–ZZZ.
    let first = letters[0]
    let second = letters[1]
    let userAssigned =
      (first == "A" && second == "A") || (first == "Q" && second >= "M") || first == "X"
      || (first == "Z" && second == "Z")
    return userAssigned ? "user-assigned" : "invalid"
  }

  static func isWebURL(_ value: String) -> Bool {
    guard let components = URLComponents(string: value), let scheme = components.scheme?.lowercased(),
      scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
    else { return false }
    return isHostName(host, requireDot: false) || host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" }
  }
}
