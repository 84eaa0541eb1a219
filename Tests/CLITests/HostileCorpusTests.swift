import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `Tests/HostileCorpus/manifest.json` through the real `normcheck` binary: every hostile
/// input next to the model declaration, every hostile pack on it.
///
/// Each case is checked for its exit code, the finding that names the cause, what must never
/// appear (the canary, `/etc/passwd`) in any output, files that must never be opened and
/// connections that must never be made (with strace, when it works here), and that the model
/// declaration of the same batch was still checked. A run is stopped after
/// ``HostileCorpusTests/timeLimit`` seconds, so that a hang fails instead of blocking the suite.
/// Timings are recorded, never asserted: with `NORMCHECK_HOSTILE_RESULTS=FILE` the suite
/// writes the table of wall times and peak RSS (Tests/HostileCorpus/RESULTS.md is one).
@Suite("Hostile corpus through the CLI", .serialized)
struct HostileCorpusTests {
  static let corpus = Fixtures.root.appendingPathComponent("Tests/HostileCorpus")
  static let model = "Samples/xa-arvenia-2026-model.xml"
  /// Seconds after which a run counts as hung (generous: the slowest case takes ~15 s).
  static let timeLimit = 60
  static let formats = ["text", "json", "sarif", "junit", "svrl", "html", "github"]

  // MARK: The manifest

  struct Manifest: Decodable {
    var canary: String
    var cases: [Case]
  }

  struct Case: Decodable, Sendable {
    var id: String
    var title: String
    var input: String?
    var generate: String?
    var pack: String?
    var stdin: String?
    var arguments: [String]
    var exitCode: Int32
    var findings: [ExpectedFinding]?
    var cleanFiles: [String]?
    var stderrContains: [String]?
    var stderrOneLine: Bool?
    var mustNotContain: [String]?
    var stdoutLinesMustNotStartWith: [String]?
    var allFormats: Bool?
    var neverOpens: [String]?
    var noNetwork: Bool?
    var modelChecked: Bool?
    var knownIssue: String?
    /// Peak RSS the run must stay below (a resource bound, not a timing; needs /usr/bin/time).
    var maxPeakMiB: Int?
    var note: String?
  }

  struct ExpectedFinding: Decodable, Sendable {
    var file: String
    var ruleId: String
    var messageContains: [String]?
    var line: Int?
    var knownIssue: String?
  }

  static func loadManifest() throws -> Manifest {
    let data = try Data(contentsOf: corpus.appendingPathComponent("manifest.json"))
    return try JSONDecoder().decode(Manifest.self, from: data)
  }

  // MARK: Running the binary

  struct Run {
    var arguments: [String]
    var status: Int32
    var stdout: String
    var stderr: String
    /// Wall seconds and peak RSS in KiB, from /usr/bin/time (nil where it is missing).
    var seconds: Double?
    var peakKiB: Int?
    /// `timeout` stopped the run.
    var hung: Bool
  }

  /// Runs `normcheck arguments` under `timeout` (and `/usr/bin/time` when present), from the
  /// repository root, as ``CLITests/run(_:stdin:environment:)`` does (same binary, same
  /// environment), with standard output and error going to files so that nothing can block.
  static func execute(
    _ arguments: [String], stdinFile: String? = nil, scratch: URL, tracer: [String] = []
  ) throws -> Run {
    let tag = UUID().uuidString
    let outURL = scratch.appendingPathComponent("stdout-\(tag)")
    let errURL = scratch.appendingPathComponent("stderr-\(tag)")
    let timeURL = scratch.appendingPathComponent("time-\(tag)")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let timer = FileManager.default.isExecutableFile(atPath: "/usr/bin/time") && tracer.isEmpty
    var command: [String] = []
    if timer { command += ["/usr/bin/time", "-f", "%e %M", "-o", timeURL.path] }
    command += ["timeout", "-k", "5", "\(timeLimit)"] + tracer + [CLITests.binary.path] + arguments
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = command
    process.currentDirectoryURL = Fixtures.root
    var environment = ProcessInfo.processInfo.environment
    environment["NO_COLOR"] = "1"
    environment.removeValue(forKey: "NORMCHECK_RULES_DIR")
    process.environment = environment
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    defer {
      try? out.close()
      try? err.close()
    }
    process.standardOutput = out
    process.standardError = err
    let input = FileHandle(forReadingAtPath: stdinFile ?? "/dev/null")
    process.standardInput = input
    try process.run()
    process.waitUntilExit()
    try? input?.close()
    let read = { (url: URL) in String(decoding: (try? Data(contentsOf: url)) ?? Data(), as: UTF8.self) }
    var run = Run(
      arguments: arguments, status: process.terminationStatus, stdout: read(outURL), stderr: read(errURL),
      hung: process.terminationStatus == 124 || process.terminationStatus == 137)
    if timer, let last = read(timeURL).split(separator: "\n").last {
      let fields = last.split(separator: " ")
      if fields.count == 2 {
        run.seconds = Double(fields[0])
        run.peakKiB = Int(fields[1])
      }
    }
    for url in [outURL, errURL, timeURL] { try? FileManager.default.removeItem(at: url) }
    return run
  }

  // MARK: Generated inputs

  /// Writes `count` copies of `chunk` (plus `prefix` and `suffix`) without holding the file in memory.
  static func writeRepeated(
    _ path: String, prefix: String = "", chunk: String, count: Int, suffix: String = ""
  )
    throws
  {
    FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.write(contentsOf: Data(prefix.utf8))
    let block = Data(String(repeating: chunk, count: max(1, min(count, 1 << 20 / max(1, chunk.utf8.count)))).utf8)
    let perBlock = block.count / chunk.utf8.count
    var written = 0
    while written < count {
      let n = min(perBlock, count - written)
      try handle.write(contentsOf: n == perBlock ? block : Data(String(repeating: chunk, count: n).utf8))
      written += n
    }
    try handle.write(contentsOf: Data(suffix.utf8))
  }

  /// Makes the input a generator names, in `scratch`; returns its path.
  static func generate(_ name: String, in scratch: URL) throws -> String {
    let fm = FileManager.default
    switch name {
    case "quadratic-blowup":
      let path = scratch.appendingPathComponent("quadratic.xml").path
      let value = String(repeating: "x", count: 100_000)
      try writeRepeated(
        path, prefix: "<!DOCTYPE declaration [<!ENTITY big \"\(value)\">]><declaration>", chunk: "&big;",
        count: 50_000, suffix: "</declaration>")
      return path
    case "deep-nesting":
      let path = scratch.appendingPathComponent("deep.xml").path
      let depth = 1_000_000
      try writeRepeated(path, chunk: "<a>", count: depth)
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
      try handle.seekToEnd()
      try handle.write(contentsOf: Data(String(repeating: "</a>", count: depth).utf8))
      try handle.close()
      return path
    case "huge-attribute":
      let path = scratch.appendingPathComponent("huge-attribute.xml").path
      try writeRepeated(path, prefix: "<declaration note=\"", chunk: "x", count: 100_000_000, suffix: "\"/>")
      return path
    case "sparse-2g", "sparse-300m":
      let path = scratch.appendingPathComponent("sparse.xml").path
      let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
      guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
      defer { close(fd) }
      guard ftruncate(fd, name == "sparse-2g" ? 2 << 30 : 300 << 20) == 0 else { throw CocoaError(.fileWriteUnknown) }
      return path
    case "fifo":
      let path = scratch.appendingPathComponent("fifo.xml").path
      guard mkfifo(path, 0o600) == 0 else { throw CocoaError(.fileWriteUnknown) }
      return path
    case "directory-with-traps":
      let directory = scratch.appendingPathComponent("traps")
      try fm.createDirectory(
        at: directory.appendingPathComponent("trap.xml"), withIntermediateDirectories: true)
      guard mkfifo(directory.appendingPathComponent("fifo.xml").path, 0o600) == 0 else {
        throw CocoaError(.fileWriteUnknown)
      }
      try fm.createSymbolicLink(
        atPath: directory.appendingPathComponent("device.xml").path, withDestinationPath: "/dev/zero")
      try fm.createSymbolicLink(atPath: directory.appendingPathComponent("loop").path, withDestinationPath: ".")
      try fm.createSymbolicLink(
        atPath: directory.appendingPathComponent("trap.xml/up").path, withDestinationPath: "..")
      return directory.path
    case "empty-directory":
      let directory = scratch.appendingPathComponent("empty")
      try fm.createDirectory(at: directory, withIntermediateDirectories: true)
      return directory.path
    case "missing":
      return scratch.appendingPathComponent("does-not-exist.xml").path
    case "hostile-file-name":
      let directory = scratch.appendingPathComponent("names")
      try fm.createDirectory(at: directory, withIntermediateDirectories: true)
      let name = "evil\n::error file=x::injected,title=\u{1b}[31mred.xml"
      try Data("<a>".utf8).write(to: directory.appendingPathComponent(name))
      return directory.path
    case let name where name.hasPrefix("attributes-"):
      // One element with N distinct attributes (no limit exists; libxml2's checks are quadratic).
      let count = Int(name.dropFirst("attributes-".count)) ?? 1_000
      let path = scratch.appendingPathComponent("\(name).xml").path
      let attributes = (0..<count).map { "a\($0)=\"x\"" }.joined(separator: " ")
      try "<declaration xmlns=\"urn:normcheck:declaration:1\" \(attributes)/>"
        .write(toFile: path, atomically: true, encoding: .utf8)
      return path
    case "mid-size-document":
      let path = scratch.appendingPathComponent("mid.xml").path
      try writeRepeated(path, prefix: "<r>", chunk: "<e/>", count: 5_000, suffix: "</r>")
      return path
    default:
      throw CocoaError(.featureUnsupported, userInfo: [NSDebugDescriptionErrorKey: "unknown generator \(name)"])
    }
  }

  /// Copies a corpus pack directory to `scratch/packs/NAME`, with `@CANARY_XML@` replaced and a
  /// `link.xml` symbolic link to the canary (outside the pack directory); returns `pack.sch`.
  static func materializePack(_ relative: String, in scratch: URL, canaryXML: String) throws -> String {
    let fm = FileManager.default
    let source = corpus.appendingPathComponent(relative)
    let target = scratch.appendingPathComponent("packs").appendingPathComponent(source.lastPathComponent)
    try fm.createDirectory(at: target, withIntermediateDirectories: true)
    for name in try fm.contentsOfDirectory(atPath: source.path) {
      let text = try String(contentsOf: source.appendingPathComponent(name), encoding: .utf8)
      try text.replacingOccurrences(of: "@CANARY_XML@", with: canaryXML)
        .write(to: target.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    try fm.createSymbolicLink(atPath: target.appendingPathComponent("link.xml").path, withDestinationPath: canaryXML)
    return target.appendingPathComponent("pack.sch").path
  }

  // MARK: Checks

  /// Whether strace can trace here (it needs ptrace); checked once.
  static let straceWorks: Bool = {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else { return false }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/strace")
    process.arguments = ["-f", "-qq", "-o", "/dev/null", "/bin/true"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
  }()

  struct Context {
    var manifest: Manifest
    var scratch: URL
    var input: String?
    var pack: String?
    var canaryXML: String

    func expand(_ text: String) -> String {
      var result = text
      let values: [(String, String?)] = [
        ("{input}", input), ("{model}", HostileCorpusTests.model), ("{pack}", pack), ("{tmp}", scratch.path),
        ("{canary}", manifest.canary), ("{canaryXML}", canaryXML), ("{corpus}", HostileCorpusTests.corpus.path),
      ]
      for (key, value) in values {
        if let value { result = result.replacingOccurrences(of: key, with: value) }
      }
      return result
    }
  }

  /// Whether a run died of a signal or a sanitizer report (a sanitizer exits with status 1, like a finding).
  static func crashed(_ run: Run) -> Bool {
    ![0, 1, 2, 124, 137].contains(run.status) || run.stderr.contains("Sanitizer:")
      || run.stderr.contains("Fatal error:")
  }

  /// The JSON report's file entries by path.
  static func files(inJSON text: String) -> [String: [String: Any]] {
    guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
      let files = object["files"] as? [[String: Any]]
    else { return [:] }
    var result: [String: [String: Any]] = [:]
    for file in files {
      if let path = file["path"] as? String { result[path] = file }
    }
    return result
  }

  /// Checks one expectation, inside `withKnownIssue` when it carries one.
  static func check(_ knownIssue: String?, _ body: () -> Void) {
    if let knownIssue {
      withKnownIssue(Comment(rawValue: knownIssue), isIntermittent: false) { body() }
    } else {
      body()
    }
  }

  static func runCase(_ item: Case, manifest: Manifest) throws -> Run {
    let scratch = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(scratch) }
    let canaryXML = scratch.appendingPathComponent("canary.xml").path
    try "<?xml version=\"1.0\"?>\n<canary>\(manifest.canary)</canary>\n"
      .write(toFile: canaryXML, atomically: true, encoding: .utf8)
    var context = Context(manifest: manifest, scratch: scratch, canaryXML: canaryXML)
    if let input = item.input { context.input = corpus.appendingPathComponent(input).path }
    if let generator = item.generate { context.input = try generate(generator, in: scratch) }
    if let pack = item.pack { context.pack = try materializePack(pack, in: scratch, canaryXML: canaryXML) }
    let arguments = item.arguments.map(context.expand)
    let stdinFile = item.stdin.map { corpus.appendingPathComponent($0).path }
    let label = "case \(item.id): normcheck \(arguments.joined(separator: " "))"

    let run = try execute(arguments, stdinFile: stdinFile, scratch: scratch)
    #expect(!run.hung, "\(label) did not finish within \(timeLimit) s")
    #expect(!crashed(run), "\(label) crashed: \(run.stderr.suffix(2000))")
    #expect(run.status == item.exitCode, "\(label): exit \(run.status), stderr: \(run.stderr.prefix(500))")
    if let bound = item.maxPeakMiB, let peak = run.peakKiB {
      check(item.knownIssue) {
        #expect(peak / 1024 < bound, "\(label): peak RSS \(peak / 1024) MiB, bound \(bound) MiB")
      }
    }
    // Findings, from the JSON report.
    let json = arguments.contains("json") ? files(inJSON: run.stdout) : [:]
    for expected in item.findings ?? [] {
      let path = context.expand(expected.file)
      let findings = (json[path]?["findings"] as? [[String: Any]]) ?? []
      let fragments = (expected.messageContains ?? []).map(context.expand)
      let match = findings.contains { finding in
        finding["ruleId"] as? String == expected.ruleId
          && fragments.allSatisfy { (finding["message"] as? String ?? "").contains($0) }
          && (expected.line == nil || finding["line"] as? Int == expected.line)
      }
      check(expected.knownIssue) {
        #expect(
          match,
          "\(label): no \(expected.ruleId) finding on \(path) containing \(fragments) (line \(expected.line.map(String.init) ?? "any")); found \(findings.count), first: \(findings.prefix(8).map { "\($0["ruleId"] ?? "?"): \($0["message"] ?? "")" })"
        )
      }
    }
    for clean in (item.cleanFiles ?? []).map(context.expand) {
      let file = json[clean]
      #expect(file?["parsed"] as? Bool == true, "\(label): \(clean) was not parsed")
      #expect((file?["findings"] as? [Any])?.isEmpty == true, "\(label): \(clean) has findings")
    }
    if item.modelChecked == true {
      let model = json[model]
      #expect(model?["parsed"] as? Bool == true, "\(label): the model of the same batch was not checked")
      #expect(model?["state"] as? String == "XA", "\(label): the model's state was not read")
      #expect(
        (model?["findings"] as? [Any])?.isEmpty == true,
        "\(label): the model gained findings: \(String(describing: model?["findings"]))")
    }
    for fragment in (item.stderrContains ?? []).map(context.expand) {
      #expect(run.stderr.contains(fragment), "\(label): stderr lacks '\(fragment)': \(run.stderr.prefix(2000))")
    }
    if item.stderrOneLine == true {
      #expect(run.stderr.hasPrefix("normcheck: "), "\(label): \(run.stderr.prefix(300))")
      #expect(run.stderr.split(separator: "\n").count == 1, "\(label): stderr has several lines")
      #expect(run.stdout.isEmpty, "\(label): a configuration error printed a report")
    }
    if item.exitCode != 2 && item.stderrContains == nil && item.knownIssue == nil {
      #expect(run.stderr.isEmpty, "\(label): unexpected stderr: \(run.stderr.prefix(500))")
    }
    // What must never appear, in this run and, for allFormats, in every format and output file.
    let forbidden = (item.mustNotContain ?? []).map(context.expand)
    var outputs = [("stdout", run.stdout), ("stderr", run.stderr)]
    if item.allFormats == true {
      outputs += try everyFormat(arguments, scratch: scratch, stdinFile: stdinFile, label: label)
    }
    let prefixes = item.stdoutLinesMustNotStartWith ?? []
    if !forbidden.isEmpty || !prefixes.isEmpty {
      check(item.knownIssue) {
        for (name, text) in outputs {
          for needle in forbidden {
            let leaked = text.contains(needle)
            #expect(!leaked, "\(label): \(name) contains \(needle.debugDescription)")
          }
        }
        for prefix in prefixes {
          let injected = run.stdout.split(separator: "\n").contains { $0.hasPrefix(prefix) }
          #expect(!injected, "\(label): a line of stdout starts with \(prefix.debugDescription)")
        }
      }
    }
    // Files that must never be opened and connections never made.
    if (item.neverOpens != nil || item.noNetwork == true) && straceWorks {
      let trace = scratch.appendingPathComponent("strace.txt").path
      let traced = try execute(
        arguments, stdinFile: stdinFile, scratch: scratch,
        tracer: ["/usr/bin/strace", "-f", "-qq", "-e", "trace=open,openat,openat2,connect", "-o", trace])
      #expect(!traced.hung, "\(label) (under strace) did not finish")
      let calls = (try? String(contentsOfFile: trace, encoding: .utf8)) ?? ""
      #expect(!calls.isEmpty, "\(label): strace recorded nothing")
      for fragment in (item.neverOpens ?? []).map(context.expand) {
        let opened = calls.split(separator: "\n").filter { $0.contains("open") && $0.contains(fragment) }
        #expect(opened.isEmpty, "\(label): opened \(fragment): \(opened.prefix(3))")
      }
      if item.noNetwork == true {
        let connects = calls.split(separator: "\n").filter { $0.contains("connect(") && !$0.contains("AF_UNIX") }
        #expect(connects.isEmpty, "\(label): network connection attempted: \(connects.prefix(3))")
      }
    }
    return run
  }

  /// Runs `arguments` again in every format, to standard output and with `--output` and
  /// `--write-baseline`; returns every output (streams and files) by name.
  ///
  /// SVRL always goes to an existing `--output` directory (one file per input).
  static func everyFormat(
    _ arguments: [String], scratch: URL, stdinFile: String?, label: String
  ) throws
    -> [(String, String)]
  {
    var base = arguments
    if let index = base.firstIndex(of: "--format") { base.removeSubrange(index...(index + 1)) }
    var outputs: [(String, String)] = []
    for format in formats {
      let directory = scratch.appendingPathComponent("formats-\(format)")
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      var output = directory.appendingPathComponent("report.\(format)").path
      var variants: [[String]] = []
      if format == "svrl" {
        output = directory.appendingPathComponent("svrl").path
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
      } else {
        var toStdout = base
        toStdout.insert(contentsOf: ["--format", format], at: 1)
        variants.append(toStdout)
      }
      var toFile = base
      toFile.insert(
        contentsOf: [
          "--format", format, "--output", output, "--write-baseline", directory.appendingPathComponent("baseline").path,
        ], at: 1)
      variants.append(toFile)
      for variant in variants {
        let run = try execute(variant, stdinFile: stdinFile, scratch: scratch)
        #expect(!run.hung, "\(label) --format \(format) did not finish")
        #expect(!crashed(run), "\(label) --format \(format) crashed: \(run.stderr.suffix(2000))")
        #expect(run.status == 1 || run.status == 0, "\(label) --format \(format): exit \(run.status) \(run.stderr)")
        outputs += [("\(format) stdout", run.stdout), ("\(format) stderr", run.stderr)]
      }
      var files = 0
      if let walker = FileManager.default.enumerator(atPath: directory.path) {
        for case let name as String in walker {
          let path = directory.appendingPathComponent(name).path
          var isDirectory: ObjCBool = false
          if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            let text = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data(), as: UTF8.self)
            outputs.append(("\(format) file \(name)", text))
            files += 1
          }
        }
      }
      #expect(files >= 2, "\(label) --format \(format): no report or baseline was written")
    }
    return outputs
  }

  // MARK: Tests

  @Test("Every hostile case: the documented exit code, a finding naming the cause, nothing leaked, no hang")
  func corpus() throws {
    let manifest = try Self.loadManifest()
    #expect(manifest.cases.count >= 30)
    var rows: [String] = []
    for item in manifest.cases {
      let run = try Self.runCase(item, manifest: manifest)
      let seconds = run.seconds.map { String(format: "%.2f", $0) } ?? "–"
      let rss = run.peakKiB.map { String(format: "%.0f", Double($0) / 1024) } ?? "–"
      let cause =
        item.findings?.first { $0.knownIssue == nil }.map { $0.ruleId }
        ?? (item.exitCode == 2 ? "stderr" : item.exitCode == 0 ? "none" : "–")
      rows.append("| `\(item.id)` | \(item.title) | \(run.status) | \(cause) | \(seconds) | \(rss) |")
    }
    if let path = ProcessInfo.processInfo.environment["NORMCHECK_HOSTILE_RESULTS"], !path.isEmpty {
      try Self.writeResults(rows, to: path)
    }
  }

  /// Writes the table of `rows` to `path`, between the `<!-- results -->` and
  /// `<!-- /results -->` markers when the file has them (RESULTS.md), else as the whole file.
  static func writeResults(_ rows: [String], to path: String) throws {
    let table =
      "| case | input | exit | finding | wall s | peak RSS MiB |\n|---|---|---|---|---|---|\n"
      + rows.joined(separator: "\n") + "\n"
    var text = table
    if let existing = try? String(contentsOfFile: path, encoding: .utf8),
      let start = existing.range(of: "<!-- results -->\n"), let end = existing.range(of: "<!-- /results -->"),
      start.upperBound <= end.lowerBound
    {
      text = existing.replacingCharacters(in: start.upperBound..<end.lowerBound, with: table)
    }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
  }

  @Test("Every corpus input is used by a case")
  func everyInputIsUsed() throws {
    let manifest = try Self.loadManifest()
    let used = Set(manifest.cases.flatMap { [$0.input, $0.stdin] }.compactMap { $0 })
    let inputs = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.appendingPathComponent("inputs").path)
    for name in inputs {
      #expect(used.contains("inputs/\(name)"), "inputs/\(name) is in no case of manifest.json")
    }
    let packs = Set(manifest.cases.compactMap(\.pack))
    for name in try FileManager.default.contentsOfDirectory(atPath: Self.corpus.appendingPathComponent("packs").path) {
      #expect(packs.contains("packs/\(name)"), "packs/\(name) is in no case of manifest.json")
    }
    #expect(Set(manifest.cases.map(\.id)).count == manifest.cases.count, "case ids repeat")
  }

  /// Every input that once crashed a fuzz target (or a targeted hostile test), replayed.
  ///
  /// `intake-*` runs as a declaration next to the model, `pack-*` as a pack on the model;
  /// `*.gz` files are decompressed first. Any exit code but a crash or a hang is accepted. Files
  /// listed in `known-issues.json` still crash: they are replayed inside `withKnownIssue`.
  @Test("Fuzz regressions never crash")
  func fuzzRegressions() throws {
    let directory = Self.corpus.appendingPathComponent("fuzz-regressions")
    let known = try JSONDecoder().decode(
      KnownIssues.self, from: Data(contentsOf: directory.appendingPathComponent("known-issues.json")))
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    let scratch = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(scratch) }
    var replayed = 0
    for name in names where name.hasPrefix("intake-") || name.hasPrefix("pack-") {
      var path = directory.appendingPathComponent(name).path
      if name.hasSuffix(".gz") {
        let plain = scratch.appendingPathComponent(String(name.dropLast(3))).path
        try Self.gunzip(path, to: plain)
        path = plain
      }
      let arguments: [String]
      if name.hasPrefix("intake-") {
        arguments = ["check", "--format", "json", path, Self.model]
      } else {
        let packDirectory = scratch.appendingPathComponent("pack-\(replayed)")
        try FileManager.default.createDirectory(at: packDirectory, withIntermediateDirectories: true)
        let pack = packDirectory.appendingPathComponent("pack.sch")
        try FileManager.default.copyItem(atPath: path, toPath: pack.path)
        arguments = ["check", "--format", "json", "--no-xsd", "--pack", pack.path, Self.model]
      }
      replayed += 1
      let run = try Self.execute(arguments, scratch: scratch)
      Self.check(known.knownIssues[name]) {
        #expect(!run.hung, "\(name) hung")
        #expect([0, 1, 2].contains(run.status), "\(name): exit \(run.status): \(run.stderr.suffix(2000))")
        #expect(!Self.crashed(run), "\(name): \(run.stderr.suffix(2000))")
      }
      if name.hasPrefix("intake-") {
        let model = Self.files(inJSON: run.stdout)[Self.model]
        #expect(model?["parsed"] as? Bool == true, "\(name): model not checked")
      }
    }
    for name in known.knownIssues.keys {
      #expect(names.contains(name), "known-issues.json names \(name), which is not in fuzz-regressions/")
    }
  }

  struct KnownIssues: Decodable {
    var knownIssues: [String: String]
  }

  /// Decompresses `source` (gzip) into `target` with the system's gzip.
  static func gunzip(_ source: String, to target: String) throws {
    FileManager.default.createFile(atPath: target, contents: nil)
    let output = try FileHandle(forWritingTo: URL(fileURLWithPath: target))
    defer { try? output.close() }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["gzip", "-dc", source]
    process.standardOutput = output
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "gzip -dc \(source) failed")
  }
}
