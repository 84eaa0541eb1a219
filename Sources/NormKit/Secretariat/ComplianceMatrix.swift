import Foundation
import Schematron

/// States × norms (or × rules): for each cell, whether the declaration passes, fails, is
/// waived or the norm does not apply to it.
public struct ComplianceMatrix: Sendable {
  /// The state of one cell.
  public enum Status: String, Sendable, Codable, Comparable {
    /// Rules of the column applied and none fired (or only info findings).
    case pass
    /// A finding of warning or above that counts.
    case fail
    /// Findings, all waived or in the baseline.
    case waived
    /// No rule of the column applied to the declaration.
    case notApplicable = "n/a"
    /// The declaration could not be checked (unreadable or not well-formed).
    case unchecked

    private var rank: Int {
      switch self {
      case .notApplicable: 0
      case .pass: 1
      case .waived: 2
      case .fail: 3
      case .unchecked: 4
      }
    }

    /// Orders by seriousness.
    public static func < (lhs: Status, rhs: Status) -> Bool { lhs.rank < rhs.rank }
  }

  /// One row: a declaration.
  public struct Row: Sendable, Codable {
    /// The state code (or the file name when unknown).
    public var state: String
    /// The cycle.
    public var cycle: String?
    /// The input.
    public var file: String
    /// One status per column.
    public var cells: [Status]
    /// Count of each status in the row.
    public var totals: [String: Int]
  }

  /// What the columns are.
  public enum Axis: String, Sendable, Codable {
    case norms, rules
  }

  /// The id of the first column: readable, well-formed and schema-valid.
  public static let formColumn = "form"

  /// The axis.
  public var axis: Axis
  /// Column ids (norm ids or rule ids).
  public var columns: [String]
  /// Column titles.
  public var titles: [String]
  /// The rows, in input order.
  public var rows: [Row]
  /// Per column: count of each status.
  public var columnTotals: [[String: Int]]

  /// Builds the matrix of `reports` checked with `packs`.
  public init(reports: [DocumentReport], packs: [RulePack], catalog: NormCatalog, axis: Axis = .norms) {
    self.axis = axis
    let rules = packs.flatMap(\.rules)
    switch axis {
    case .rules:
      columns = rules.map(\.id)
      titles = rules.map { $0.topic ?? $0.message }
    case .norms:
      var seen = Set<String>()
      columns = rules.flatMap(\.norms).filter { seen.insert($0).inserted }.sorted()
      titles = columns.map { catalog[$0]?.title ?? $0 }
    }
    // The first column is the declaration's form: readable, well-formed, schema-valid.
    columns.insert(Self.formColumn, at: 0)
    titles.insert("Readable, well-formed and valid against the declaration schema", at: 0)
    var rulesOfColumn: [String: [String]] =
      axis == .rules
      ? Dictionary(uniqueKeysWithValues: rules.map { ($0.id, [$0.id]) })
      : Dictionary(grouping: rules.flatMap { rule in rule.norms.map { ($0, rule.id) } }, by: \.0).mapValues {
        $0.map(\.1)
      }
    rulesOfColumn[Self.formColumn] = ["NC-INPUT", "NC-XML", "NC-XSD"]
    let columns = self.columns
    let rows: [Row] = reports.filter { $0.parsed || $0.state == nil }.map { report in
      let findingsByRule = Dictionary(grouping: report.findings, by: \.ruleID)
      let cells: [Status] = columns.map { column in
        if column == Self.formColumn {
          let findings = report.findings.filter { ["NC-INPUT", "NC-XML", "NC-XSD"].contains($0.ruleID) }
          if findings.contains(where: \.counts) { return .fail }
          return findings.isEmpty ? .pass : .waived
        }
        guard report.parsed else { return .unchecked }
        let columnRules = rulesOfColumn[column] ?? []
        let findings = columnRules.flatMap { findingsByRule[$0] ?? [] }.filter { $0.severity >= .warning }
        if findings.contains(where: \.counts) { return .fail }
        if !findings.isEmpty { return .waived }
        return columnRules.contains(where: report.applicableRules.contains) ? .pass : .notApplicable
      }
      let name = report.state ?? URL(fileURLWithPath: report.input).lastPathComponent
      return Row(
        state: name, cycle: report.cycle, file: report.input, cells: cells,
        totals: Dictionary(grouping: cells, by: \.rawValue).mapValues(\.count))
    }
    self.rows = rows
    columnTotals = columns.indices.map { index in
      Dictionary(grouping: rows.map { $0.cells[index] }, by: \.rawValue).mapValues(\.count)
    }
  }

  // MARK: Renderings

  /// A plain-text table (states down, columns across), with totals.
  public var text: String {
    let first = max(6, rows.map { label($0).count }.max() ?? 0)
    let widths = columns.map { max($0.count, 4) }
    var out = "state".padding(toLength: first, withPad: " ", startingAt: 0)
    for (column, width) in zip(columns, widths) {
      out += "  " + column.padding(toLength: width, withPad: " ", startingAt: 0)
    }
    out += "  pass fail waived n/a\n"
    for row in rows {
      out += label(row).padding(toLength: first, withPad: " ", startingAt: 0)
      for (cell, width) in zip(row.cells, widths) {
        out += "  " + symbol(cell).padding(toLength: width, withPad: " ", startingAt: 0)
      }
      out +=
        "  "
        + [Status.pass, .fail, .waived, .notApplicable].map {
          String(row.totals[$0.rawValue] ?? 0).padding(toLength: $0 == .waived ? 6 : 4, withPad: " ", startingAt: 0)
        }.joined(separator: " ") + "\n"
    }
    out += "fails".padding(toLength: first, withPad: " ", startingAt: 0)
    for (totals, width) in zip(columnTotals, widths) {
      out += "  " + String(totals[Status.fail.rawValue] ?? 0).padding(toLength: width, withPad: " ", startingAt: 0)
    }
    out += "\n\nlegend: ok = pass, FAIL = fail, wv = waived, - = not applicable, ?? = not checked\n"
    for (column, title) in zip(columns, titles) { out += "  \(column): \(title)\n" }
    return out
  }

  private func label(_ row: Row) -> String { row.cycle.map { "\(row.state) \($0)" } ?? row.state }

  private func symbol(_ status: Status) -> String {
    switch status {
    case .pass: "ok"
    case .fail: "FAIL"
    case .waived: "wv"
    case .notApplicable: "-"
    case .unchecked: "??"
    }
  }

  /// CSV (RFC 4180): `state,cycle,file,<columns…>,pass,fail,waived,n/a`.
  public var csv: String {
    func field(_ text: String) -> String {
      text.contains(where: { ",\"\n\r".contains($0) })
        ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
    var lines = [
      (["state", "cycle", "file"] + columns + ["pass", "fail", "waived", "n/a"]).map(field).joined(separator: ",")
    ]
    for row in rows {
      let totals = [Status.pass, .fail, .waived, .notApplicable].map { String(row.totals[$0.rawValue] ?? 0) }
      lines.append(
        ([row.state, row.cycle ?? "", row.file] + row.cells.map(\.rawValue) + totals).map(field).joined(separator: ","))
    }
    return lines.joined(separator: "\r\n") + "\r\n"
  }

  /// JSON with the columns, titles, rows and totals (keys sorted).
  public var json: String {
    struct Output: Encodable {
      var schemaVersion = "1.0"
      var axis: String
      var columns: [Column]
      var rows: [Row]
    }
    struct Column: Encodable {
      var id: String
      var title: String
      var totals: [String: Int]
    }
    let output = Output(
      axis: axis.rawValue,
      columns: columns.indices.map { Column(id: columns[$0], title: titles[$0], totals: columnTotals[$0]) }, rows: rows)
    return JSONOutput.string(output)
  }
}
