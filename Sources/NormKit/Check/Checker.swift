import Foundation
import Schematron
import XMLCore

/// An input to check: a file, standard input, or bytes already in memory.
public enum CheckInput: Hashable, Sendable {
  /// A file path.
  case file(String)
  /// Standard input, read to its end.
  case standardInput
  /// A document held in memory (an upload), reported under `name`; never written to disk.
  ///
  /// The same parse limits apply as to files and standard input: bytes beyond
  /// ``CheckConfiguration/limits``' `maxInputBytes` are an `NC-LIMIT` finding and are not parsed.
  case bytes(name: String, Data)

  /// The name reports use.
  public var name: String {
    switch self {
    case .file(let path): path
    case .standardInput: "<stdin>"
    case .bytes(let name, _): name
    }
  }

  /// Expands paths: files as given, directories recursively to their `*.xml` files in sorted order, `-` to standard input.
  ///
  /// A path that does not exist stays, to be reported.
  public static func expand(_ paths: [String]) -> [CheckInput] {
    var inputs: [CheckInput] = []
    let fm = FileManager.default
    for path in paths {
      if path == "-" {
        inputs.append(.standardInput)
        continue
      }
      var isDirectory: ObjCBool = false
      guard fm.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
        inputs.append(.file(path))
        continue
      }
      let base = URL(fileURLWithPath: path)
      var found: [String] = []
      if let walker = fm.enumerator(
        at: base, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
      {
        for case let url as URL in walker where url.pathExtension.lowercased() == "xml" {
          let relative = url.path.dropFirst(base.standardizedFileURL.path.count).drop { $0 == "/" }
          found.append(path.hasSuffix("/") ? path + relative : path + "/" + relative)
        }
      }
      inputs += found.sorted().map { .file($0) }
    }
    return inputs
  }
}

/// What to check and how.
public struct CheckConfiguration: Sendable {
  /// The packs to run, in order.
  public var packs: [RulePack]
  /// The declaration XSD, or `nil` to skip schema validation.
  public var schema: XMLSchema?
  /// The as-of date for freshness rules (YYYY-MM-DD); `nil`: each declaration's submission date.
  public var asOf: String?
  /// Parse limits for inputs.
  public var limits: ParseLimits
  /// Findings per document and pack at most.
  public var maxFindings: Int
  /// XPath operations per document and pack at most (0: unlimited); `nil`: the automatic
  /// budget, see ``operationBudget(elements:)``.
  public var operationLimit: UInt?
  /// The least automatic budget of XPath operations per document and pack: 50 million.
  ///
  /// libxml2 counts about 160–200 million operations a second on this project's machines,
  /// so this stops a pathological expression on a small document in about a quarter of a
  /// second.
  public static let minimumOperationBudget: UInt = 50_000_000
  /// The automatic budget per element of the document: 1 000 operations.
  ///
  /// Rules that cost linear time fit many times over (the built-in packs used 10.6 million
  /// operations, about 10 per element, on a declaration of 100 000 facilities, measured
  /// 2026-11-23); a rule that costs quadratic time exhausts it at about a thousand elements.
  public static let operationsPerElement: UInt = 1_000

  /// The budget of XPath operations per pack for a document of `elements` elements.
  ///
  /// The fixed ``operationLimit`` if one is set, else the larger of
  /// ``minimumOperationBudget`` and ``operationsPerElement`` per element.
  public func operationBudget(elements: Int) -> UInt {
    if let operationLimit { return operationLimit }
    let (scaled, overflow) = Self.operationsPerElement.multipliedReportingOverflow(by: UInt(max(0, elements)))
    return overflow ? UInt.max : max(Self.minimumOperationBudget, scaled)
  }
  /// Produce SVRL per pack.
  public var wantSVRL: Bool
  /// Measure the time of every expression of every pack (``DocumentReport/profile``).
  public var profile: Bool = false
  /// Documents with at least this many elements, checked on several threads, have their packs
  /// run one after the other with each pattern's nodes split across the threads; smaller ones
  /// run several packs at once, one per thread. (Measured with the built-in packs: one pack per
  /// thread is ahead at 11 000 elements, where the packs cost alike; at 111 000 the largest
  /// pack, left running alone at the end, costs more than splitting every pattern.)
  public var slicedPacksFromElements: Int = 50_000
  /// Whether each document is freed once checked (the default).
  ///
  /// A process that exits as soon as it has reported on a single input sets this to `false`:
  /// the system reclaims the memory at exit at once, where freeing the tree and indexes of a
  /// declaration of 100 000 facilities node by node takes a tenth of the time spent reading it
  /// (as compilers skip freeing their syntax trees). Never set it where documents keep coming
  /// (a batch, the service).
  public var freesDocuments: Bool = true
  /// Whether inputs are parsed without the attributes that no pack can read (the default).
  ///
  /// Without the XSD, and when every pack names the attributes it reads (see
  /// ``Checker/attributeProjection``), the parser leaves the others out of the tree: the
  /// findings are the same, and a large declaration is read faster and in less memory. Set it
  /// to `false` to keep every attribute (differential tests do, to compare).
  public var projectsAttributes: Bool = true

  /// Creates a configuration.
  public init(
    packs: [RulePack], schema: XMLSchema?, asOf: String? = nil, limits: ParseLimits = .default,
    maxFindings: Int = 10_000, operationLimit: UInt? = nil, wantSVRL: Bool = false
  ) {
    self.packs = packs
    self.schema = schema
    self.asOf = asOf
    self.limits = limits
    self.maxFindings = maxFindings
    self.operationLimit = operationLimit
    self.wantSVRL = wantSVRL
  }
}

/// An input read and parsed, or the error that stopped it (``Checker/parse(_:limits:indexing:)``).
///
/// Handed from the task that parsed it to the one that checks it, never read by both at once
/// (a ``XMLCore/Document`` is parsed within one task).
public struct ParsedInput: @unchecked Sendable {
  /// The input.
  public let input: CheckInput
  let outcome: Result<Document, Error>
}

/// Checks declarations: reads, validates against the XSD, runs the packs.
public struct Checker: Sendable {
  /// The configuration.
  public let configuration: CheckConfiguration
  /// The attribute indexes the packs' keys and lookups read, collected while each input is
  /// parsed instead of by a walk over its tree when a rule first asks.
  let indexing: [AttributeIndexRequest]
  /// The attributes of an input that anything can read: what the packs' expressions name
  /// (``Schematron/CompiledSchema/attributesRead``) and what normcheck reads itself
  /// (``Declaration/attributesRead``); every attribute when the configuration validates
  /// against the XSD (which reads them all) or does not project (``CheckConfiguration/projectsAttributes``).
  ///
  /// Name it with the indexes to an input parsed ahead (``parse(_:limits:indexing:)``).
  public let attributeProjection: AttributeProjection

  /// Creates a checker.
  public init(_ configuration: CheckConfiguration) {
    self.configuration = configuration
    var seen = Set<AttributeIndexRequest>()
    indexing = configuration.packs.flatMap(\.schema.attributeIndexRequests).filter { seen.insert($0).inserted }
    attributeProjection = Self.projection(for: configuration)
  }

  private static func projection(for configuration: CheckConfiguration) -> AttributeProjection {
    guard configuration.projectsAttributes, configuration.schema == nil else { return .all }
    var projection = AttributeProjection(keeping: Declaration.attributesRead)
    for pack in configuration.packs {
      projection = projection.union(pack.schema.attributesRead)
      if projection.keepsAll { break }
    }
    return projection
  }

  /// Checks `inputs` with up to `jobs` running at once.
  ///
  /// Reports come back in input order, whatever order they finish in; a bad input never stops the others.
  /// With fewer inputs than jobs, each input's rules are fired on the spare threads too (see
  /// ``check(_:threads:)``).
  public func check(
    _ inputs: [CheckInput], jobs: Int, progress: (@Sendable (Int, Int) -> Void)? = nil
  ) async
    -> [DocumentReport]
  {
    let total = inputs.count
    let width = max(1, min(jobs, total))
    let threads = max(1, jobs / width)
    return await withTaskGroup(of: (Int, DocumentReport).self) { group in
      var reports = [DocumentReport?](repeating: nil, count: total)
      var next = 0
      var done = 0
      func launch() {
        guard next < total else { return }
        let index = next
        let input = inputs[index]
        next += 1
        group.addTask { (index, self.check(input, threads: threads)) }
      }
      for _ in 0..<width { launch() }
      for await (index, report) in group {
        reports[index] = report
        done += 1
        progress?(done, total)
        launch()
      }
      return reports.map { $0! }
    }
  }

  /// Checks one input, firing each pattern's rules on up to `threads` threads at once.
  ///
  /// The report is the same whatever `threads` is (see ``Evaluator/Options/threads``); the
  /// document is parsed and validated against the XSD on the calling thread first.
  public func check(_ input: CheckInput, threads: Int = 1) -> DocumentReport {
    let outcome = Result {
      switch input {
      case .file(let path):
        try Document(
          contentsOfFile: path, limits: configuration.limits, indexing: indexing, keeping: attributeProjection)
      case .standardInput:
        try Document.fromStandardInput(limits: configuration.limits, indexing: indexing, keeping: attributeProjection)
      case .bytes(let name, let data):
        try Document(
          bytes: data, sourceName: name, limits: configuration.limits, indexing: indexing, keeping: attributeProjection)
      }
    }
    return check(ParsedInput(input: input, outcome: outcome), threads: threads)
  }

  /// The attribute indexes this checker's packs read: what to name to an input parsed ahead
  /// (``parse(_:limits:indexing:)``).
  public var indexRequests: [AttributeIndexRequest] { indexing }

  /// Reads and parses `input` before the packs are known, so that a host can load them meanwhile.
  ///
  /// The attribute indexes the packs read are collected as soon as `indexing` names them
  /// (``Checker/indexRequests``), and from then on only the attributes they can read are kept
  /// (``Checker/attributeProjection``). Check the result with `check(_:threads:)`.
  ///
  /// `limits` must be the configuration's. The report is the same as for the input checked at once.
  public static func parse(_ input: CheckInput, limits: ParseLimits, indexing: PendingIndexRequests) -> ParsedInput {
    let outcome = Result {
      switch input {
      case .file(let path): try Document(contentsOfFile: path, limits: limits, pendingIndexing: indexing)
      case .standardInput: try Document.fromStandardInput(limits: limits, pendingIndexing: indexing)
      case .bytes(let name, let data):
        try Document(bytes: data, sourceName: name, limits: limits, pendingIndexing: indexing)
      }
    }
    return ParsedInput(input: input, outcome: outcome)
  }

  /// Checks an input parsed ahead (``parse(_:limits:indexing:)``), as `check(_:threads:)` checks
  /// an input it reads.
  public func check(_ parsed: ParsedInput, threads: Int = 1) -> DocumentReport {
    let input = parsed.input
    var report = DocumentReport(
      input: input.name, state: nil, cycle: nil, findings: [], rulesApplied: configuration.packs.flatMap(\.rules),
      schematronResults: [:], parsed: false)
    let document: Document
    switch parsed.outcome {
    case .success(let parsedDocument): document = parsedDocument
    case .failure(let error as XMLError):
      report.findings.append(Self.finding(for: error, input: input.name))
      return report
    case .failure(let error):
      report.findings.append(
        Finding(
          ruleID: "NC-INPUT", origin: .input, severity: .error, message: "\(error)", file: input.name, line: 0,
          column: 0))
      return report
    }
    report.parsed = true
    if !configuration.freesDocuments {
      // Kept for the rest of the process (see CheckConfiguration.freesDocuments).
      _ = Unmanaged.passRetained(document)
    }
    (report.state, report.cycle) = Declaration.identity(of: document)
    for refusal in document.warnings where refusal.kind == .forbiddenAccess {
      report.findings.append(
        Finding(
          ruleID: "NC-XML", origin: .wellFormedness, severity: .error, message: refusal.message,
          fix:
            "Replace the external entity by the text it should stand for; normcheck never reads files or URLs named by an input.",
          file: input.name, line: refusal.location.line, column: refusal.location.column))
    }
    let budget = configuration.operationBudget(elements: document.elementCount)
    let (schemaErrors, results) = validateAndEvaluate(document, budget: budget, threads: threads)
    if let errors = schemaErrors {
      for error in errors.prefix(configuration.maxFindings) {
        report.findings.append(
          Finding(
            ruleID: "NC-XSD", origin: .schema, severity: .error,
            message: "does not conform to the declaration schema: \(error.message)",
            fix: "Correct the element so that it matches Rules/schema/declaration.xsd (see SPEC.md).",
            file: input.name, line: error.location.line, column: error.location.column, xpath: error.nodePath))
      }
      if errors.count > configuration.maxFindings {
        report.findings.append(
          Finding(
            ruleID: "NC-LIMIT", origin: .schema, severity: .error,
            message:
              "\(errors.count) schema errors, more than \(configuration.maxFindings) (--max-findings); the rest are not listed",
            fix: "Fix the errors listed first; they often cause the rest.", file: input.name, line: 0, column: 0))
      }
    }
    for (pack, result) in zip(configuration.packs, results) {
      report.operationCount += result.operationCount
      report.profile += result.profile.map { PackProfileEntry(pack: pack.id, entry: $0) }
      for applied in result.appliedRules {
        for assertion in pack.schema.resolved.patterns[applied.pattern].rules[applied.rule].assertions {
          if let id = assertion.id { report.applicableRules.insert(id) }
        }
      }
      let rules = Dictionary(pack.rules.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
      for finding in result.findings {
        let info = finding.assertionID.flatMap { rules[$0] }
        let fixes = finding.diagnostics.filter { $0.role == "fix" }.map(\.text)
        report.findings.append(
          Finding(
            ruleID: finding.assertionID ?? "\(pack.id):\(finding.schemaLocation.line)", pack: pack.id, origin: .rule,
            severity: finding.severity, message: finding.text,
            norms: finding.properties.filter { ($0.role ?? "citation") == "citation" }.map(\.id),
            fix: fixes.isEmpty ? info?.fix : fixes.joined(separator: " "), see: finding.see, file: input.name,
            line: finding.location.line, column: finding.location.column, xpath: finding.location.path,
            anchor: finding.location.anchoredPath))
      }
      for failure in result.failures {
        report.findings.append(
          Finding(
            ruleID: "NC-EVAL", pack: pack.id, origin: .evaluation, severity: .error,
            message:
              "rule \(failure.assertionID ?? failure.ruleID ?? "?") of pack \(pack.id) could not be evaluated: \(failure.message) (expression '\(failure.expression)' at \(failure.schemaLocation))",
            fix: "Report this to the pack's maintainers; the rest of the document was still checked.",
            file: input.name, line: failure.location?.line ?? 0, column: failure.location?.column ?? 0,
            xpath: failure.location?.path, anchor: failure.location?.anchoredPath))
      }
      if result.stoppedByBudget {
        report.findings.append(
          Finding(
            ruleID: "NC-LIMIT", pack: pack.id, origin: .evaluation, severity: .error,
            message:
              "pack \(pack.id) stopped on this input after \(budget) XPath operations (--max-eval-ops); the rules after that point were not checked",
            fix:
              "Report the expensive rule named above to the pack's maintainers, or raise --max-eval-ops if the rule is sound.",
            file: input.name, line: 0, column: 0))
      } else if result.truncated {
        report.findings.append(
          Finding(
            ruleID: "NC-LIMIT", pack: pack.id, origin: .evaluation, severity: .error,
            message:
              "more than \(configuration.maxFindings) findings from pack \(pack.id); the rest were not collected",
            file: input.name, line: 0, column: 0))
      }
      if configuration.wantSVRL {
        report.schematronResults[pack.id] = result
      }
    }
    return report
  }

  /// Validates `document` against the XSD (`nil` errors without one) and runs every pack.
  ///
  /// With several threads and a schema whose validation only reads the tree
  /// (``XMLSchema/validationOnlyReads``), the validation runs on a thread of its own while the
  /// packs are evaluated on the other `threads - 1`; otherwise it comes first. The report is the
  /// same either way.
  ///
  /// The validation is one thread's work that cannot be split, and the longest part of a large
  /// document's check: evaluating on all `threads` beside it would leave it a share of a core
  /// and make the check end later (about 5 % at 100 000 facilities on 2 cores, BENCHMARKS.md).
  private func validateAndEvaluate(
    _ document: Document, budget: UInt, threads: Int
  ) -> (schemaErrors: [XMLError]?, results: [ValidationResult]) {
    guard let schema = configuration.schema else { return (nil, evaluate(document, budget: budget, threads: threads)) }
    guard threads > 1, schema.validationOnlyReads, !configuration.packs.isEmpty else {
      let errors = schema.validate(document)
      return (errors, evaluate(document, budget: budget, threads: threads))
    }
    let validation = BackgroundValidation(schema: schema, document: document.view())
    let results = evaluate(document, budget: budget, threads: threads - 1)
    return (validation.wait(), results)
  }

  /// Runs every pack on `document`, returning their results in pack order.
  ///
  /// One pack after the other, each pattern's rules fired on up to `threads` threads; or, with
  /// several packs and threads and a document of fewer than
  /// ``CheckConfiguration/slicedPacksFromElements`` elements,
  /// the packs themselves at once, each on its own view of the document.
  private func evaluate(_ document: Document, budget: UInt, threads: Int) -> [ValidationResult] {
    let packs = configuration.packs
    func options(threads: Int) -> Evaluator.Options {
      Evaluator.Options(
        parameters: ["as-of": .string(configuration.asOf ?? "")], maxFindings: configuration.maxFindings,
        operationLimit: budget, recordFiredRules: configuration.wantSVRL, parseLimits: configuration.limits,
        profile: configuration.profile, threads: threads)
    }
    // A large document's packs run one after the other, each pattern's nodes split across the
    // threads: one pack per thread leaves the largest pack running alone at the end.
    guard threads > 1, packs.count > 1, document.elementCount < configuration.slicedPacksFromElements else {
      return packs.map { Evaluator($0.schema).validate(document, options: options(threads: threads)) }
    }
    let work = PackQueue(document: document, count: packs.count)
    let single = options(threads: 1)
    DispatchQueue.concurrentPerform(iterations: min(threads, packs.count)) { _ in
      let view = work.view()
      while let index = work.next() {
        work.store(Evaluator(packs[index].schema).validate(view, options: single), at: index)
      }
    }
    return work.results()
  }

  static func finding(for error: XMLError, input: String) -> Finding {
    let (ruleID, origin, fix): (String, Finding.Origin, String) =
      switch error.kind {
      case .io: ("NC-INPUT", .input, "Check that the path names a readable XML file.")
      case .limit:
        ("NC-LIMIT", .input, "The input exceeds a safety limit; see the README's Limits section for the flags.")
      default: ("NC-XML", .wellFormedness, "Fix the XML at this position; nothing else could be checked.")
      }
    return Finding(
      ruleID: ruleID, origin: origin, severity: .error, message: error.message, fix: fix, file: input,
      line: error.location.line, column: error.location.column)
  }
}

/// Facts about a declaration that reports and matrices need.
public enum Declaration {
  /// The declaration namespace.
  public static let namespace = "urn:normcheck:declaration:1"

  /// The attributes ``identity(of:)`` reads.
  public static let attributesRead = ["alpha2", "alpha3", "cycle"].map {
    ElementPath.Test(namespace: nil, localName: $0)
  }

  /// The state code (alpha-2, else alpha-3) and cycle, when the document is a declaration.
  public static func identity(of document: Document) -> (state: String?, cycle: String?) {
    guard let root = document.rootElement, root.namespaceURI == namespace, root.localName == "declaration" else {
      return (nil, nil)
    }
    var state: String?
    var cycle: String?
    for child in root.childElements where child.namespaceURI == namespace {
      if child.localName == "state" { state = child.attribute("alpha2") ?? child.attribute("alpha3") }
      if child.localName == "submission" { cycle = child.attribute("cycle") }
    }
    return (state, cycle)
  }
}

/// Hands out pack indexes and views of the document to threads, and collects their results.
private final class PackQueue: @unchecked Sendable {
  private let lock = NSLock()
  private let document: Document
  private var nextIndex = 0
  private var collected: [ValidationResult?]

  init(document: Document, count: Int) {
    self.document = document
    collected = Array(repeating: nil, count: count)
  }

  /// A view of the document for the calling thread (see `Document.view()`).
  func view() -> Document { lock.withLock { document.view() } }

  func next() -> Int? {
    lock.withLock {
      guard nextIndex < collected.count else { return nil }
      defer { nextIndex += 1 }
      return nextIndex
    }
  }

  func store(_ result: ValidationResult, at index: Int) { lock.withLock { collected[index] = result } }

  func results() -> [ValidationResult] { lock.withLock { collected.map { $0! } } }
}

/// An XSD validation running on a thread of its own (not one of Dispatch's, whose few workers
/// the packs' `concurrentPerform` needs).
private final class BackgroundValidation: @unchecked Sendable {
  private let done = DispatchSemaphore(value: 0)
  private let schema: XMLSchema
  /// Read on the validation thread only, until ``wait()`` returns.
  private let document: Document
  private var errors: [XMLError] = []

  init(schema: XMLSchema, document: Document) {
    self.schema = schema
    self.document = document
    let thread = Thread { [self] in
      errors = self.schema.validate(self.document)
      done.signal()
    }
    thread.stackSize = 8 << 20
    thread.start()
  }

  /// The validation's errors, once it has finished.
  func wait() -> [XMLError] {
    done.wait()
    return errors
  }
}
