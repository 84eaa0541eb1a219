import Foundation
import Schematron

/// Everything a reporter may show about a run.
public struct RunSummary: Sendable {
  /// The reports, in input order.
  public var reports: [DocumentReport]
  /// The packs that ran.
  public var packs: [RulePack]
  /// The catalog, for citations.
  public var catalog: NormCatalog
  /// The as-of date given on the command line, if any.
  public var asOf: String?
  /// The severity at or above which findings fail the run.
  public var failOn: Severity?
  /// normcheck's version.
  public var toolVersion: String

  /// Creates a summary.
  public init(
    reports: [DocumentReport], packs: [RulePack], catalog: NormCatalog, asOf: String?, failOn: Severity?,
    toolVersion: String
  ) {
    self.reports = reports
    self.packs = packs
    self.catalog = catalog
    self.asOf = asOf
    self.failOn = failOn
    self.toolVersion = toolVersion
  }

  /// Unwaived findings of every report.
  public var activeFindings: [Finding] { reports.flatMap(\.findings).filter { !$0.isWaived } }

  /// Counts of unwaived findings by severity.
  public var counts: [Severity: Int] {
    Dictionary(grouping: activeFindings, by: \.severity).mapValues(\.count)
  }

  /// Whether a finding that counts (not waived, not baselined) is at or above the threshold.
  public var fails: Bool {
    guard let failOn else { return false }
    return reports.flatMap(\.findings).contains { $0.counts && $0.severity >= failOn }
  }

  /// The human citation of a norm id (`A/70/174 para. 13(f) (2015)`), or the id itself.
  public func citation(_ norm: String) -> String {
    catalog[norm].map { "\(norm): \($0.citation)" } ?? norm
  }
}

/// Turns a run into text in one format.
///
/// One reporter per format, one file each.
public protocol Reporter: Sendable {
  /// The format's name on the command line (`text`, `json`, …).
  static var identifier: String { get }
  /// A one-line description.
  static var summary: String { get }
  /// Renders the run.
  func render(_ run: RunSummary) -> String
}
