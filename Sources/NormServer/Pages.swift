import Foundation
import NormKit
import XMLCore

/// The HTML the server writes itself: the upload page and error pages.
///
/// No JavaScript, no external assets (inline CSS only), `lang`, a label for every control,
/// contrast above WCAG AA, a focus ring that is always visible, and the whole form usable with
/// the keyboard alone. The report itself is ``HTMLReporter``'s.
enum Pages {
  /// Whether an `Accept` header prefers HTML over JSON (a browser's does).
  static func prefersHTML(accept: String?) -> Bool {
    ReportFormat.negotiate(accept: accept) == .html
  }

  /// Text for HTML, escaped as XMLCore escapes XML text (entities for `& < > " '`, forbidden characters dropped).
  static func escape(_ text: String) -> String { XMLEscaping.escape(text) }

  /// The pages' style sheet: NormKit's shared one (the report's colours, type and print layout) around the form's rules.
  static let styleSheet = HTMLReporter.styleSheet(
    around: """
      body { margin: 0; background: #ffffff; font-size: 1.0625rem; line-height: 1.55; }
      main, footer { max-width: 46rem; margin: 0 auto; padding: 0 1rem; }
      main { padding-top: 1.5rem; padding-bottom: 1.5rem; }
      h1 { font-size: 1.8rem; line-height: 1.25; margin: 0 0 .75rem; }
      p { margin: .5rem 0; }
      a { color: #0b4f9c; text-decoration: underline; }
      fieldset { border: 2px solid #5c5c5c; border-radius: 6px; margin: 1.25rem 0; padding: .75rem 1.25rem 1rem; }
      legend { font-weight: 700; font-size: 1.15rem; padding: 0 .35rem; }
      .field { margin: .75rem 0; }
      .field > label { display: block; font-weight: 700; margin-bottom: .3rem; }
      .hint { color: #3d3d3d; font-size: .95rem; margin: .3rem 0 0; }
      .or { font-weight: 700; margin: 1rem 0; }
      input[type=file], input[type=date], textarea { font: inherit; color: #1b1b1b; background: #ffffff;
        border: 2px solid #5c5c5c; border-radius: 4px; padding: .4rem; max-width: 100%; box-sizing: border-box; }
      textarea { display: block; width: 100%; min-height: 10rem;
        font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: .9rem; }
      details { margin: 1rem 0; }
      summary { font-weight: 700; cursor: pointer; padding: .25rem 0; }
      ul.checks { list-style: none; padding: 0; margin: .5rem 0 0; }
      ul.checks li { margin: .35rem 0; }
      ul.checks input { width: 1.2rem; height: 1.2rem; vertical-align: -.2rem; margin-right: .4rem; }
      button { font: inherit; font-weight: 700; color: #ffffff; background: #0b4f9c; border: 2px solid #0b4f9c;
        border-radius: 6px; padding: .65rem 1.5rem; cursor: pointer; }
      button:hover { background: #083b75; border-color: #083b75; }
      :focus-visible { outline: 3px solid #1b1b1b; outline-offset: 2px; box-shadow: 0 0 0 6px #ffdd00; }
      .problem { border-left: 6px solid #b3261e; padding: .25rem 0 .25rem 1rem; margin: 1rem 0; }
      footer { color: #3d3d3d; font-size: .95rem; border-top: 1px solid #b5b5b5; padding-top: .75rem; padding-bottom: 2rem; }
      """)

  /// A complete page around `body`, as the report's, with the pages' style sheet.
  static func page(title: String, body: String) -> String {
    HTMLReporter.page(title: title, body: body, styleSheet: styleSheet)
  }

  /// `GET /`: choose a file or paste XML, then get the HTML report — a plain form, no JavaScript.
  static func uploadPage(packs: [RulePack], maxBody: Int, version: String) -> String {
    let packItems = packs.map { pack in
      let id = "pack-\(escape(pack.id))"
      return
        "<li><input type=\"checkbox\" id=\"\(id)\" name=\"packs\" value=\"\(escape(pack.id))\">"
        + " <label for=\"\(id)\">\(escape(pack.title)) <span class=\"hint\">(\(escape(pack.id)))</span></label></li>"
    }.joined(separator: "\n")
    let body = """
      <main>
      <h1>Check a cyber-norm declaration</h1>
      <p>Choose your declaration file, or paste its XML text, then press <strong>Check the declaration</strong>.
      You get a report that says whether the declaration is accepted and, if not, what to change and which
      norm asks for it.</p>
      <form method="post" action="/v1/check?format=html" enctype="multipart/form-data" accept-charset="UTF-8">
      <fieldset>
      <legend>Your declaration</legend>
      <div class="field">
      <label for="file">Declaration file (XML)</label>
      <input type="file" id="file" name="file" accept=".xml,application/xml,text/xml" aria-describedby="file-hint">
      <p class="hint" id="file-hint">An XML file of at most \(escape(ByteCount.describe(maxBody))).</p>
      </div>
      <p class="or">or</p>
      <div class="field">
      <label for="xml">Paste the XML text</label>
      <textarea id="xml" name="xml" rows="10" cols="60" spellcheck="false" autocomplete="off" aria-describedby="xml-hint"></textarea>
      <p class="hint" id="xml-hint">Use a file or pasted text, not both.</p>
      </div>
      </fieldset>
      <details>
      <summary>More options</summary>
      <div class="field">
      <label for="as-of">Measure freshness on this date (optional)</label>
      <input type="date" id="as-of" name="as-of" aria-describedby="as-of-hint">
      <p class="hint" id="as-of-hint">Leave it empty to use the declaration's own submission date.</p>
      </div>
      <fieldset>
      <legend>Rule packs to apply</legend>
      <p class="hint">Tick some to apply only those; when none is ticked, all are applied.</p>
      <ul class="checks">
      \(packItems)
      </ul>
      </fieldset>
      </details>
      <p><button type="submit">Check the declaration</button></p>
      </form>
      <p>Nothing you send is kept: the declaration is checked in memory and then discarded.</p>
      </main>
      <footer>
      <p>normcheck \(escape(version)) · <a href="/v1/rules">the rules (JSON)</a> · <a href="/v1/norms">the norms (JSON)</a> ·
      <a href="/openapi.json">the API for programs (OpenAPI)</a></p>
      </footer>
      """
    return page(title: "Check a declaration — normcheck", body: body)
  }

  /// An error as a page: what went wrong, what to do, the request id, and the way back to the form.
  static func errorPage(status: Int, title: String, message: String, requestID: String) -> String {
    let body = """
      <main>
      <h1>The declaration could not be checked</h1>
      <div class="problem" role="alert">
      <p><strong>\(escape(title)) (\(status))</strong></p>
      <p>\(escape(message))</p>
      </div>
      <p><a href="/">Back to the upload page</a></p>
      <p class="hint">If you contact the secretariat about this, quote the request id <code>\(escape(requestID))</code>.</p>
      </main>
      """
    return page(title: "Error \(status): \(title) — normcheck", body: body)
  }
}
