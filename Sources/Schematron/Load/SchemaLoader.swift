import Foundation
import XMLCore

/// Reads a Schematron schema file into a ``Schema``, resolving `include` and `extends href`.
///
/// The schema is parsed with XMLCore's hardened parser. Included files are resolved against
/// the including file and must lie inside ``SchemaLoader/Options/root`` (by default the main
/// schema's directory); include cycles are reported with the chain of files.
public struct SchemaLoader {
  /// How to load.
  public struct Options: Sendable {
    /// The directory that included files and `document()` targets must lie in; `nil`: the
    /// directory of the main schema.
    public var root: URL?
    /// Parse limits for the schema and included files.
    public var limits: ParseLimits
    /// Creates options.
    public init(root: URL? = nil, limits: ParseLimits = .default) {
      self.root = root
      self.limits = limits
    }
  }

  let options: Options
  private var problems: [SchematronProblem] = []
  private var includeStack: [String] = []
  private var rootPath: String = "/"
  private var schema: Schema
  private var abstractRules: [Rule] = []

  /// Loads the schema at `path`.
  /// - Throws: ``SchematronLoadError`` listing every problem found.
  public static func load(contentsOfFile path: String, options: Options = Options()) throws -> Schema {
    let url = URL(fileURLWithPath: path).standardizedFileURL
    var loader = SchemaLoader(options: options, sourceName: path)
    loader.rootPath =
      (options.root ?? url.deletingLastPathComponent()).standardizedFileURL
      .resolvingSymlinksInPath().path
    let document: Document
    do {
      document = try Document(contentsOfFile: path, limits: options.limits)
    } catch let error as XMLError {
      throw SchematronLoadError([SchematronProblem(.unreadable, error.message, at: error.location)])
    }
    return try loader.run(document, file: url)
  }

  /// Loads a schema from memory; `baseURL` is where relative includes are resolved.
  public static func load(
    bytes: some Collection<UInt8>, sourceName: String, baseURL: URL? = nil, options: Options = Options()
  ) throws -> Schema {
    var loader = SchemaLoader(options: options, sourceName: sourceName)
    let base =
      baseURL
      ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(
        sourceName)
    loader.rootPath =
      (options.root ?? base.deletingLastPathComponent()).standardizedFileURL
      .resolvingSymlinksInPath().path
    let document: Document
    do {
      document = try Document(bytes: bytes, sourceName: sourceName, baseURL: base, limits: options.limits)
    } catch let error as XMLError {
      throw SchematronLoadError([SchematronProblem(.unreadable, error.message, at: error.location)])
    }
    return try loader.run(document, file: base)
  }

  private init(options: Options, sourceName: String) {
    self.options = options
    self.schema = Schema(
      id: nil, title: nil, queryBinding: nil, defaultPhase: nil, schemaVersion: nil, namespaces: [], lets: [],
      phases: [], patterns: [], diagnostics: [:], properties: [:], keys: [], paragraphs: [],
      location: SourceLocation(file: sourceName, line: 0, column: 0))
  }

  private mutating func run(_ document: Document, file: URL) throws -> Schema {
    guard let root = document.rootElement, isSchematron(root), root.localName == "schema" else {
      throw SchematronLoadError([
        SchematronProblem(
          .malformed, "not an ISO Schematron schema: the root element must be <schema> in \(isoSchematronNamespace)",
          at: document.rootElement?.location ?? SourceLocation(file: document.sourceName, line: 1, column: 1))
      ])
    }
    includeStack = [file.resolvingSymlinksInPath().path]
    readSchema(root, file: file)
    // Abstract rules are kept with the patterns' rules, so that `extends` can find them.
    if !abstractRules.isEmpty {
      schema.patterns.append(
        Pattern(
          id: nil, isAbstract: true, isA: nil, parameters: [:], documents: nil, title: nil, lets: [],
          rules: abstractRules, role: nil, paragraphs: [], location: schema.location))
    }
    if !problems.isEmpty { throw SchematronLoadError(problems) }
    return schema
  }

  private func isSchematron(_ node: Node) -> Bool {
    node.namespaceURI == isoSchematronNamespace || node.namespaceURI == schematron15Namespace
  }

  private mutating func problem(
    _ kind: SchematronProblem.Kind, _ message: String, _ node: Node, expression: String? = nil
  ) {
    problems.append(SchematronProblem(kind, message, at: node.location, expression: expression))
  }

  // MARK: Elements

  private mutating func readSchema(_ element: Node, file: URL) {
    schema.location = element.location
    schema.id = element.attribute("id")
    schema.queryBinding = element.attribute("queryBinding")?.lowercased()
    schema.defaultPhase = element.attribute("defaultPhase")
    schema.schemaVersion = element.attribute("schemaVersion")
    if let binding = schema.queryBinding, !["xslt", "xpath", "exslt", "xslt1", "xpath1"].contains(binding) {
      problem(
        .unsupportedQueryBinding,
        "queryBinding '\(binding)' is not supported: normcheck evaluates XPath 1.0 (queryBinding 'xslt', 'xpath', 'exslt' or none)",
        element)
    }
    for child in expandIncludes(element.childElements, file: file) {
      let (node, childFile) = child
      if node.namespaceURI == xsltNamespace {
        if node.localName == "key" {
          readKey(node)
        } else {
          problem(.unsupported, "xsl:\(node.localName) is not supported in a schema; only xsl:key is", node)
        }
        continue
      }
      guard isSchematron(node) else { continue }  // foreign elements are allowed and ignored
      switch node.localName {
      case "title": schema.title = normalizedText(node)
      case "p": schema.paragraphs.append(normalizedText(node))
      case "ns":
        if let prefix = node.attribute("prefix"), let uri = node.attribute("uri") {
          schema.namespaces.append(NamespaceDeclaration(prefix: prefix, uri: uri, location: node.location))
        } else {
          problem(.malformed, "<ns> needs both prefix and uri", node)
        }
      case "let": if let item = readLet(node) { schema.lets.append(item) }
      case "phase": readPhase(node)
      case "pattern": readPattern(node, file: childFile)
      case "diagnostics":
        for diagnostic in expandIncludes(node.childElements, file: childFile)
        where diagnostic.0.localName == "diagnostic" {
          readDiagnostic(diagnostic.0)
        }
      case "properties":
        for property in expandIncludes(node.childElements, file: childFile) where property.0.localName == "property" {
          readProperty(property.0)
        }
      case "rule" where node.attribute("abstract") == "true":
        // ISO 2016 allows abstract rules in a `rules` container; accept them at top level too.
        if let rule = readRule(node, file: childFile) { abstractRules.append(rule) }
      case "rules":
        for rule in expandIncludes(node.childElements, file: childFile) where rule.0.localName == "rule" {
          if let item = readRule(rule.0, file: rule.1) { abstractRules.append(item) }
        }
      case "extends", "include": break  // handled by expandIncludes
      default:
        problem(.malformed, "<\(node.localName)> is not allowed in <schema>", node)
      }
    }
  }

  private mutating func readKey(_ node: Node) {
    guard let name = node.attribute("name"), let match = node.attribute("match"), let use = node.attribute("use") else {
      problem(.malformed, "xsl:key needs name, match and use", node)
      return
    }
    schema.keys.append(KeyDeclaration(name: name, match: match, use: use, location: node.location))
  }

  private mutating func readLet(_ node: Node) -> Let? {
    guard let name = node.attribute("name") else {
      problem(.malformed, "<let> needs a name", node)
      return nil
    }
    if let value = node.attribute("value") {
      return Let(name: name, value: .expression(value), location: node.location)
    }
    let content = node.children.map { serialize($0) }.joined()
    if content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
      problem(.malformed, "<let name=\"\(name)\"> has neither a value attribute nor content", node)
      return nil
    }
    return Let(name: name, value: .content(content), location: node.location)
  }

  private mutating func readPhase(_ node: Node) {
    guard let id = node.attribute("id") else {
      problem(.malformed, "<phase> needs an id", node)
      return
    }
    var phase = Phase(id: id, activePatterns: [], lets: [], location: node.location)
    for child in node.childElements where isSchematron(child) {
      switch child.localName {
      case "active":
        if let pattern = child.attribute("pattern") {
          phase.activePatterns.append(pattern)
        } else {
          problem(.malformed, "<active> needs a pattern attribute", child)
        }
      case "let": if let item = readLet(child) { phase.lets.append(item) }
      case "p", "title": break
      default: problem(.malformed, "<\(child.localName)> is not allowed in <phase>", child)
      }
    }
    schema.phases.append(phase)
  }

  private mutating func readPattern(_ node: Node, file: URL) {
    var pattern = Pattern(
      id: node.attribute("id"), isAbstract: node.attribute("abstract") == "true", isA: node.attribute("is-a"),
      parameters: [:], documents: node.attribute("documents"), title: nil, lets: [], rules: [],
      role: node.attribute("role"), paragraphs: [], location: node.location)
    for (child, childFile) in expandIncludes(node.childElements, file: file) where isSchematron(child) {
      switch child.localName {
      case "title": pattern.title = normalizedText(child)
      case "p": pattern.paragraphs.append(normalizedText(child))
      case "let": if let item = readLet(child) { pattern.lets.append(item) }
      case "param":
        if let name = child.attribute("name"), let value = child.attribute("value") {
          pattern.parameters[name] = value
        } else {
          problem(.malformed, "<param> needs name and value", child)
        }
      case "rule":
        // Abstract rules stay in their pattern: `extends` looks there first.
        if let rule = readRule(child, file: childFile) { pattern.rules.append(rule) }
      default: problem(.malformed, "<\(child.localName)> is not allowed in <pattern>", child)
      }
    }
    if pattern.isA != nil && !pattern.rules.isEmpty && !pattern.isAbstract {
      problem(
        .malformed, "a pattern with is-a takes its rules from the abstract pattern and may not have its own", node)
    }
    schema.patterns.append(pattern)
  }

  private mutating func readRule(_ node: Node, file: URL) -> Rule? {
    let isAbstract = node.attribute("abstract") == "true"
    let context = node.attribute("context") ?? ""
    if !isAbstract && context.isEmpty {
      problem(.malformed, "a rule that is not abstract needs a context", node)
      return nil
    }
    if isAbstract && node.attribute("id") == nil {
      problem(.malformed, "an abstract rule needs an id", node)
    }
    var rule = Rule(
      id: node.attribute("id"), context: context, isAbstract: isAbstract, subject: node.attribute("subject"),
      role: node.attribute("role"), flag: node.attribute("flag"), lets: [], items: [], location: node.location)
    for (child, childFile) in expandIncludes(node.childElements, file: file) where isSchematron(child) {
      switch child.localName {
      case "let":
        if let item = readLet(child) {
          if rule.items.isEmpty { rule.lets.append(item) } else { rule.items.append(.letBinding(item)) }
        }
      case "assert", "report":
        if let assertion = readAssertion(child) { rule.items.append(.assertion(assertion)) }
      case "extends":
        if let id = child.attribute("rule") {
          rule.items.append(.extends(rule: id, location: child.location))
        } else if let href = child.attribute("href") {
          // ISO 2016: extends href points at an abstract rule in another file.
          var loaded: Rule? = nil
          if let (external, externalFile) = loadExternal(href, from: childFile, at: child),
            external.localName == "rule"
          {
            // On the include stack while it is read, so that a rule extending itself is a cycle.
            includeStack.append(includeKey(href, externalFile))
            loaded = readRule(external, file: externalFile)
            includeStack.removeLast()
          }
          if let loaded {
            let id = loaded.id ?? "extends:\(href)"
            var abstract = loaded
            abstract.id = id
            abstract.isAbstract = true
            abstractRules.append(abstract)
            rule.items.append(.extends(rule: id, location: child.location))
          } else {
            problem(.malformed, "extends href='\(href)' does not lead to a rule", child)
          }
        } else {
          problem(.malformed, "<extends> needs rule or href", child)
        }
      case "p", "title": break
      default: problem(.malformed, "<\(child.localName)> is not allowed in <rule>", child)
      }
    }
    return rule
  }

  private mutating func readAssertion(_ node: Node) -> Assertion? {
    guard let test = node.attribute("test") else {
      problem(.malformed, "<\(node.localName)> needs a test", node)
      return nil
    }
    return Assertion(
      kind: node.localName == "assert" ? .assert : .report, id: node.attribute("id"), test: test,
      role: node.attribute("role"), flag: node.attribute("flag"), see: node.attribute("see"),
      diagnostics: idList(node.attribute("diagnostics")), properties: idList(node.attribute("properties")),
      subject: node.attribute("subject"), icon: node.attribute("icon"), fpi: node.attribute("fpi"),
      message: readMessage(node), location: node.location)
  }

  private mutating func readDiagnostic(_ node: Node) {
    guard let id = node.attribute("id") else {
      problem(.malformed, "<diagnostic> needs an id", node)
      return
    }
    if schema.diagnostics[id] != nil { problem(.duplicateID, "diagnostic id '\(id)' is used twice", node) }
    schema.diagnostics[id] = Diagnostic(
      id: id, role: node.attribute("role"), see: node.attribute("see"),
      language: node.attribute("lang", namespace: "http://www.w3.org/XML/1998/namespace"), message: readMessage(node),
      location: node.location)
  }

  private mutating func readProperty(_ node: Node) {
    guard let id = node.attribute("id") else {
      problem(.malformed, "<property> needs an id", node)
      return
    }
    if schema.properties[id] != nil { problem(.duplicateID, "property id '\(id)' is used twice", node) }
    schema.properties[id] = Property(
      id: id, role: node.attribute("role"), scheme: node.attribute("scheme"), message: readMessage(node),
      location: node.location)
  }

  private mutating func readMessage(_ node: Node) -> [MessagePart] {
    var parts: [MessagePart] = []
    for child in node.children {
      switch child.kind {
      case .text: parts.append(.text(child.stringValue))
      case .element where isSchematron(child):
        switch child.localName {
        case "value-of":
          if let select = child.attribute("select") {
            parts.append(.valueOf(select))
          } else {
            problem(.malformed, "<value-of> needs a select", child)
          }
        case "name": parts.append(.name(child.attribute("path")))
        case "emph": parts.append(.emph(readMessage(child)))
        case "dir": parts.append(.dir(child.attribute("value"), readMessage(child)))
        case "span": parts.append(.span(child.attribute("class"), readMessage(child)))
        default: problem(.malformed, "<\(child.localName)> is not allowed in a message", child)
        }
      case .element:
        // Foreign markup in messages keeps its text.
        parts.append(.text(child.stringValue))
      default: break
      }
    }
    return parts
  }

  // MARK: Includes

  /// Replaces each `include` among `elements` by the element it refers to (recursively).
  private mutating func expandIncludes(_ elements: [Node], file: URL) -> [(Node, URL)] {
    var result: [(Node, URL)] = []
    for element in elements {
      guard isSchematron(element), element.localName == "include" else {
        result.append((element, file))
        continue
      }
      guard let href = element.attribute("href") else {
        problem(.malformed, "<include> needs an href", element)
        continue
      }
      guard let (included, includedFile) = loadExternal(href, from: file, at: element) else { continue }
      includeStack.append(includeKey(href, includedFile))
      if isSchematron(included) && included.localName == "schema" {
        // Including a whole schema contributes its children.
        result += expandIncludes(included.childElements, file: includedFile)
      } else {
        result += expandIncludes([included], file: includedFile)
      }
      includeStack.removeLast()
    }
    return result
  }

  /// Loads the element `href` refers to (a file, optionally with `#id`), relative to `file`.
  private mutating func loadExternal(_ href: String, from file: URL, at node: Node) -> (Node, URL)? {
    let parts = href.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
    let path = String(parts[0])
    let fragment = parts.count > 1 ? String(parts[1]) : nil
    if let scheme = URL(string: path)?.scheme, scheme.count > 1, scheme != "file" {
      problem(.includeOutsideRoot, "'\(href)' is not a local file; normcheck never fetches from the network", node)
      return nil
    }
    let target =
      (path.hasPrefix("/")
      ? URL(fileURLWithPath: path) : file.deletingLastPathComponent().appendingPathComponent(path))
      .standardizedFileURL.resolvingSymlinksInPath()
    let rootPrefix = rootPath.hasSuffix("/") ? rootPath : rootPath + "/"
    guard target.path.hasPrefix(rootPrefix) else {
      problem(.includeOutsideRoot, "'\(href)' lies outside the pack directory \(rootPath) and is not read", node)
      return nil
    }
    // A fragment counts as itself: `a.sch#x` may be read while `a.sch` is, but not inside itself.
    let key = includeKey(href, target)
    if includeStack.contains(key) {
      let chain = (includeStack + [key]).map { $0.split(separator: "/").last.map(String.init) ?? $0 }
      problem(.includeCycle, "include cycle: \(chain.joined(separator: " → "))", node)
      return nil
    }
    let document: Document
    do {
      document = try Document(contentsOfFile: target.path, limits: options.limits)
    } catch {
      problem(.unreadable, "cannot include '\(href)': \(error)", node)
      return nil
    }
    guard var element = document.rootElement else { return nil }
    if let fragment, !fragment.isEmpty {
      guard let found = findElement(withID: fragment, in: element) else {
        problem(.unknownReference, "no element with id '\(fragment)' in '\(path)'", node)
        return nil
      }
      element = found
    }
    return (element, target)
  }

  /// The include-stack entry for `href` read from `target`: the file's path, plus `#id` for a fragment.
  private func includeKey(_ href: String, _ target: URL) -> String {
    guard let hash = href.firstIndex(of: "#"), href.index(after: hash) < href.endIndex else { return target.path }
    return target.path + href[hash...]
  }

  private func findElement(withID id: String, in element: Node) -> Node? {
    if element.attribute("id") == id || element.attribute("id", namespace: "http://www.w3.org/XML/1998/namespace") == id
    {
      return element
    }
    for child in element.childElements {
      if let found = findElement(withID: id, in: child) { return found }
    }
    return nil
  }

  // MARK: Helpers

  private func idList(_ value: String?) -> [String] {
    value?.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init) ?? []
  }

  private func normalizedText(_ node: Node) -> String {
    node.stringValue.split(whereSeparator: \.isWhitespace).joined(separator: " ")
  }

  /// Serializes a node of `let` content as XML text.
  private func serialize(_ node: Node) -> String {
    switch node.kind {
    case .text: return XMLEscaping.escape(node.stringValue, inAttribute: false)
    case .element:
      var text = "<\(node.name)"
      if let uri = node.namespaceURI {
        text +=
          node.prefix.map { " xmlns:\($0)=\"\(XMLEscaping.escape(uri, inAttribute: true))\"" }
          ?? " xmlns=\"\(XMLEscaping.escape(uri, inAttribute: true))\""
      }
      for attribute in node.attributes {
        text += " \(attribute.name)=\"\(XMLEscaping.escape(attribute.stringValue, inAttribute: true))\""
      }
      let children = node.children
      if children.isEmpty { return text + "/>" }
      return text + ">" + children.map { serialize($0) }.joined() + "</\(node.name)>"
    default: return ""
    }
  }
}
