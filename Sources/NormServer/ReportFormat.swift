import Foundation
import NormKit

/// The report formats `POST /v1/check` answers in.
public enum ReportFormat: String, CaseIterable, Sendable {
  /// normcheck's JSON report (`application/json`).
  case json
  /// SARIF 2.1.0 (`application/sarif+json`).
  case sarif
  /// ISO Schematron SVRL (`application/xml`).
  case svrl
  /// The HTML report for people (`text/html`).
  case html

  /// The `Content-Type` of a report in this format.
  public var contentType: String {
    switch self {
    case .json: "application/json; charset=utf-8"
    case .sarif: "application/sarif+json; charset=utf-8"
    case .svrl: "application/xml; charset=utf-8"
    case .html: "text/html; charset=utf-8"
    }
  }

  /// The reporter that renders it.
  var reporter: any Reporter {
    switch self {
    case .json: JSONReporter()
    case .sarif: SARIFReporter()
    case .svrl: SVRLReporter()
    case .html: HTMLReporter()
    }
  }

  /// The media types an `Accept` header may name for each format (`*/*` and `application/*` mean JSON).
  static let acceptable: [String: ReportFormat] = [
    "application/json": .json, "application/sarif+json": .sarif, "application/svrl+xml": .svrl,
    "application/xml": .svrl, "text/xml": .svrl, "text/html": .html, "application/xhtml+xml": .html,
    "*/*": .json, "application/*": .json, "text/*": .html,
  ]

  /// The format an `Accept` header asks for: the acceptable media type with the highest `q`
  /// (the first listed among equals); JSON when there is no header; `nil` when it accepts none.
  public static func negotiate(accept: String?) -> ReportFormat? {
    guard let accept, !accept.trimmingCharacters(in: .whitespaces).isEmpty else { return .json }
    var best: (format: ReportFormat, quality: Double)?
    for item in accept.split(separator: ",") {
      let (type, parameters) = MediaType.parse(String(item))
      let quality = parameters["q"].flatMap { Double($0) } ?? 1
      guard quality > 0, let format = acceptable[type] else { continue }
      if best == nil || quality > best!.quality { best = (format, quality) }
    }
    return best?.format
  }
}
