import Foundation
import Schematron
import XMLCore

/// A self-contained HTML report a non-technical official can read: verdict first, findings
/// grouped by norm with citations, the offending lines with their numbers, and the fix.
///
/// No JavaScript, no external assets, no network; prints on A4; every interpolated value is
/// escaped.
public struct HTMLReporter: Reporter {
  /// `html`.
  public static let identifier = "html"
  /// One line.
  public static let summary = "a self-contained HTML report (verdict, findings by norm, source lines, fixes)"

  /// Lines of context shown around an offending line.
  public var context: Int

  /// Creates the reporter.
  public init(context: Int = 2) { self.context = context }

  /// Renders the run.
  public func render(_ run: RunSummary) -> String {
    let counts = run.counts
    let verdict = run.fails ? "Needs work" : "Accepted"
    var body = "<header><p class=\"tool\">normcheck \(h(run.toolVersion)) — declaration check report</p>"
    body += "<h1 class=\"verdict \(run.fails ? "bad" : "good")\">\(verdict)</h1>"
    body += "<p class=\"counts\">"
    body += Severity.allCases.reversed().map {
      "<span class=\"sev \($0.rawValue)\">\(counts[$0] ?? 0) \($0.rawValue)</span>"
    }
    .joined(separator: " ")
    let waived = run.reports.flatMap(\.findings).filter(\.isWaived).count
    if waived > 0 { body += " <span class=\"sev waived\">\(waived) waived</span>" }
    body += "</p><p>\(run.reports.count) declaration\(run.reports.count == 1 ? "" : "s") checked"
    if let asOf = run.asOf { body += ", freshness measured on \(h(asOf))" }
    body += ". A declaration is accepted when nothing at or above “\(h(run.failOn?.rawValue ?? "never"))” remains.</p>"
    if run.reports.count > 1 {
      body +=
        "<table class=\"overview\"><caption>Declarations</caption><thead><tr><th scope=\"col\">Declaration</th><th scope=\"col\">State</th>"
      body +=
        "<th scope=\"col\">Errors</th><th scope=\"col\">Warnings</th><th scope=\"col\">Info</th></tr></thead><tbody>"
      for (index, report) in run.reports.enumerated() {
        let active = report.findings.filter(\.counts)
        body += "<tr><td><a href=\"#doc\(index)\">\(h(report.input))</a></td><td>\(h(report.state ?? "—"))</td>"
        body +=
          "<td>\(active.filter { $0.severity >= .error }.count)</td><td>\(active.filter { $0.severity == .warning }.count)</td>"
        body += "<td>\(active.filter { $0.severity == .info }.count)</td></tr>"
      }
      body += "</tbody></table>"
    }
    body += "</header><main>"
    for (index, report) in run.reports.enumerated() {
      body += section(report, index: index, run: run)
    }
    body += "</main><footer><p>Rule texts are normcheck's own paraphrases; citations point to the official documents. "
    body +=
      "Sources marked “recalled” or “unverified” in the catalog should be checked against the official text.</p></footer>"
    return Self.page(title: "normcheck report — \(verdict)", body: body)
  }

  private func section(_ report: DocumentReport, index: Int, run: RunSummary) -> String {
    var out = "<section id=\"doc\(index)\" class=\"document\"><h2>\(h(report.input))"
    if let state = report.state {
      out += " <span class=\"state\">\(h(state))\(report.cycle.map { " · cycle \(h($0))" } ?? "")</span>"
    }
    out += "</h2>"
    if report.findings.isEmpty {
      out += "<p class=\"clean\">No findings: this declaration meets every rule that was checked.</p></section>"
      return out
    }
    let lines = report.parsed ? sourceLines(report.input) : nil
    // Group by the first norm cited; findings without a norm (input, XML, schema) first.
    var groups: [(key: String, findings: [Finding])] = []
    for finding in report.findings.sorted(by: { ($0.severity, $1.line) > ($1.severity, $0.line) }) {
      let key = finding.norms.first ?? ""
      if let position = groups.firstIndex(where: { $0.key == key }) {
        groups[position].findings.append(finding)
      } else {
        groups.append((key, [finding]))
      }
    }
    groups.sort { ($0.key.isEmpty ? "" : $0.key) < ($1.key.isEmpty ? "" : $1.key) }
    for group in groups {
      out += "<div class=\"norm\">"
      if group.key.isEmpty {
        out += "<h3>Form and structure</h3>"
      } else if let norm = run.catalog[group.key] {
        out += "<h3>\(h(norm.title)) <span class=\"cite\">\(h(group.key)) · \(h(norm.citation))</span></h3>"
        out += "<p class=\"paraphrase\">\(h(norm.paraphrase))"
        if let url = norm.url { out += " <a href=\"\(h(url))\">Source</a>" }
        out += "</p>"
      } else {
        out += "<h3>\(h(group.key))</h3>"
      }
      for finding in group.findings { out += item(finding, lines: lines, run: run) }
      out += "</div>"
    }
    return out + "</section>"
  }

  private func item(_ finding: Finding, lines: [Substring]?, run: RunSummary) -> String {
    var out = "<article class=\"finding \(finding.severity.rawValue)\(finding.isWaived ? " waived" : "")\">"
    out += "<p class=\"head\"><span class=\"sev \(finding.severity.rawValue)\">\(finding.severity.rawValue)</span> "
    out += "<code>\(h(finding.ruleID))</code> \(h(finding.message))</p>"
    out += "<p class=\"where\">Line \(finding.line)\(finding.column > 0 ? ", column \(finding.column)" : "")"
    if let xpath = finding.xpath { out += " · <code>\(h(xpath))</code>" }
    out += "</p>"
    if finding.norms.count > 1 {
      out +=
        "<p class=\"also\">Also: " + finding.norms.dropFirst().map { h(run.citation($0)) }.joined(separator: "; ")
        + "</p>"
    }
    if let lines, finding.line > 0, finding.line <= lines.count {
      let from = max(1, finding.line - context)
      let to = min(lines.count, finding.line + context)
      out += "<pre class=\"source\">"
      for number in from...to {
        let text = String(lines[number - 1].prefix(200))
        let mark = number == finding.line ? " class=\"hit\"" : ""
        out += "<span\(mark)><span class=\"ln\">\(number)</span>\(h(text))</span>\n"
      }
      out += "</pre>"
    }
    if let fix = finding.fix { out += "<p class=\"fix\"><strong>How to fix:</strong> \(h(fix))</p>" }
    if let waiver = finding.waiver {
      out +=
        "<p class=\"waiver\">Waived until \(h(waiver.expires)) by \(h(waiver.owner)): \(h(waiver.justification))</p>"
    }
    if finding.baselined { out += "<p class=\"waiver\">Accepted in the baseline.</p>" }
    return out + "</article>"
  }

  /// The lines of a checked input, to quote; nothing for standard input, anything that is not
  /// a regular file, or a file over 64 MiB (checked before reading a byte).
  private func sourceLines(_ path: String) -> [Substring]? {
    guard path != "<stdin>", let attributes = try? FileManager.default.attributesOfItem(atPath: path),
      attributes[.type] as? FileAttributeType == .typeRegular,
      let size = attributes[.size] as? NSNumber, size.intValue <= 64 << 20,
      let data = FileManager.default.contents(atPath: path)
    else { return nil }
    return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
  }

  private func h(_ text: String) -> String { htmlEscaped(text) }

  /// A complete page around `body`, with the report's style sheet.
  static func page(title: String, body: String) -> String {
    page(title: title, body: body, styleSheet: reportStyleSheet)
  }

  /// A complete self-contained HTML page: `body` under `title`, with `styleSheet` inline.
  ///
  /// `title` is escaped, `body` is not. The page's Content-Security-Policy allows nothing but
  /// inline styles: no scripts, no images, no external assets.
  public static func page(title: String, body: String, styleSheet: String) -> String {
    """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
    <title>\(htmlEscaped(title))</title>
    <style>\(styleSheet)</style>
    </head>
    <body>
    \(body)
    </body>
    </html>

    """
  }

  /// The style sheet normcheck's HTML pages share, around a page's own `rules`.
  ///
  /// First the colours (the custom properties `--fg`, `--muted`, `--bad`, `--warn`, `--info`,
  /// `--good` and `--line`) and the type, then `rules`, then the print layout (A4, 11 pt text,
  /// links as plain text), which therefore wins over `rules` on paper.
  public static func styleSheet(around rules: String) -> String {
    """
    :root{color-scheme:light;--fg:#1b1b1b;--muted:#555;--bad:#a50e0e;--warn:#7a4b00;--info:#0b4f8a;--good:#16622e;--line:#d6d6d6}
    body{color:var(--fg);font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans",sans-serif}
    \(rules)
    @media print{@page{size:A4;margin:15mm}body{max-width:none;margin:0;font-size:11pt}a{color:inherit;text-decoration:none}}
    """
  }

  /// The report's style sheet: the shared one around the report's own rules.
  static let reportStyleSheet = styleSheet(
    around: """
      body{font-size:16px;line-height:1.5;max-width:60rem;margin:2rem auto;padding:0 1rem}
      h1.verdict{font-size:2.2rem;margin:.2rem 0}.verdict.bad{color:var(--bad)}.verdict.good{color:var(--good)}
      .tool{color:var(--muted);margin:0}.sev{display:inline-block;padding:0 .45rem;border-radius:.3rem;font-weight:600;border:1px solid currentColor}
      .sev.fatal,.sev.error{color:var(--bad)}.sev.warning{color:var(--warn)}.sev.info{color:var(--info)}.sev.waived{color:var(--muted)}
      table{border-collapse:collapse;margin:1rem 0;width:100%}th,td{border:1px solid var(--line);padding:.25rem .5rem;text-align:left}
      caption{text-align:left;font-weight:600}section.document{border-top:3px solid var(--fg);margin-top:2rem}
      .state{color:var(--muted);font-weight:400}.norm{margin:1rem 0 1.5rem}.cite{font-size:.85rem;color:var(--muted);font-weight:400}
      .paraphrase{color:var(--muted);margin:.2rem 0 .6rem}article.finding{border-left:4px solid var(--line);padding:.3rem .8rem;margin:.6rem 0}
      article.error,article.fatal{border-color:var(--bad)}article.warning{border-color:var(--warn)}article.info{border-color:var(--info)}
      article.waived{opacity:.75}.head{margin:.2rem 0}.where,.also,.waiver{color:var(--muted);font-size:.9rem;margin:.2rem 0}
      pre.source{background:#f6f6f6;border:1px solid var(--line);padding:.4rem;overflow-x:auto;font-size:.85rem;white-space:pre-wrap;word-break:break-all}
      pre.source .ln{display:inline-block;width:3.5em;color:var(--muted);user-select:none}pre.source .hit{background:#fff1c2;display:block}
      .fix{margin:.3rem 0}.clean{color:var(--good);font-weight:600}a{color:var(--info)}
      td.pass{color:var(--good)}td.fail{color:var(--bad);font-weight:700}td.waived,td.n-a{color:var(--muted)}
      footer{margin-top:2rem;color:var(--muted);font-size:.85rem;border-top:1px solid var(--line)}
      @media print{article.finding,pre.source,tr{break-inside:avoid}section.document{break-before:page}section.document:first-of-type{break-before:auto}}
      """)
}

/// Escapes text for HTML content and attribute values.
func htmlEscaped(_ text: String) -> String { XMLEscaping.escape(text) }

extension ComplianceMatrix {
  /// The matrix as a self-contained HTML page.
  public func html(title: String = "Compliance matrix") -> String {
    var body = "<header><h1>\(htmlEscaped(title))</h1><p>States down, \(axis == .norms ? "norms" : "rules") across. "
    body +=
      "pass = rules applied and none failed; fail = a finding of warning or above; waived = only waived findings; n/a = no rule applied.</p></header>"
    body += "<table><thead><tr><th scope=\"col\">State</th>"
    for (column, title) in zip(columns, titles) {
      body += "<th scope=\"col\" title=\"\(htmlEscaped(title))\">\(htmlEscaped(column))</th>"
    }
    body += "<th scope=\"col\">pass</th><th scope=\"col\">fail</th></tr></thead><tbody>"
    for row in rows {
      body += "<tr><th scope=\"row\">\(htmlEscaped(row.state))\(row.cycle.map { " " + htmlEscaped($0) } ?? "")</th>"
      for cell in row.cells {
        body += "<td class=\"\(cell == .notApplicable ? "n-a" : cell.rawValue)\">\(htmlEscaped(cell.rawValue))</td>"
      }
      body += "<td>\(row.totals["pass"] ?? 0)</td><td>\(row.totals["fail"] ?? 0)</td></tr>"
    }
    body += "</tbody><tfoot><tr><th scope=\"row\">fails</th>"
    for totals in columnTotals { body += "<td>\(totals["fail"] ?? 0)</td>" }
    body += "<td></td><td></td></tr></tfoot></table><h2>Columns</h2><dl>"
    for (column, title) in zip(columns, titles) {
      body += "<dt>\(htmlEscaped(column))</dt><dd>\(htmlEscaped(title))</dd>"
    }
    body += "</dl>"
    return HTMLReporter.page(title: title, body: body)
  }
}

extension CycleDiff {
  /// The diff as a self-contained HTML page.
  public func html(catalog: NormCatalog, title: String = "Changes between cycles") -> String {
    var body = "<header><h1>\(htmlEscaped(title))</h1></header><table><thead><tr><th scope=\"col\">State</th>"
    body +=
      "<th scope=\"col\">Introduced</th><th scope=\"col\">Resolved</th><th scope=\"col\">Persisting</th></tr></thead><tbody>"
    for state in states {
      body += "<tr><th scope=\"row\"><a href=\"#s-\(htmlEscaped(state.state))\">\(htmlEscaped(state.state))</a></th>"
      body +=
        "<td class=\"fail\">\(state.introduced.count)</td><td class=\"pass\">\(state.resolved.count)</td><td>\(state.persisting.count)</td></tr>"
    }
    body +=
      "</tbody></table><h2>By norm</h2><table><thead><tr><th scope=\"col\">Norm</th><th scope=\"col\">Introduced</th>"
    body += "<th scope=\"col\">Resolved</th><th scope=\"col\">Persisting</th></tr></thead><tbody>"
    for entry in byNorm {
      let name = catalog[entry.norm].map { "\(entry.norm) — \($0.title)" } ?? entry.norm
      body +=
        "<tr><th scope=\"row\">\(htmlEscaped(name))</th><td>\(entry.introduced)</td><td>\(entry.resolved)</td><td>\(entry.persisting)</td></tr>"
    }
    body += "</tbody></table>"
    for state in states {
      body += "<section class=\"document\" id=\"s-\(htmlEscaped(state.state))\"><h2>\(htmlEscaped(state.state))</h2>"
      for (label, findings) in [
        ("Introduced", state.introduced), ("Resolved", state.resolved), ("Persisting", state.persisting),
      ]
      where !findings.isEmpty {
        body += "<h3>\(label)</h3><ul>"
        for finding in findings {
          body +=
            "<li><span class=\"sev \(finding.severity.rawValue)\">\(finding.severity.rawValue)</span> <code>\(htmlEscaped(finding.ruleID))</code> "
          body +=
            "\(htmlEscaped(finding.message)) <span class=\"where\">(\(htmlEscaped(finding.file)), line \(finding.line))</span></li>"
        }
        body += "</ul>"
      }
      body += "</section>"
    }
    return HTMLReporter.page(title: title, body: body)
  }
}
