import Foundation
import XMLCore

/// XSLT 1.0 functions that Schematron rules rely on under `queryBinding="xslt"`.
enum XSLTFunctions {
  static let all: [FunctionDefinition] = [
    FunctionDefinition(
      QualifiedName("current"), arity: 0...0, summary: "The node the rule is handling (XSLT current())."
    ) { _, environment in
      .nodeSet(environment.currentNode.map { [$0] } ?? [])
    },
    FunctionDefinition(
      QualifiedName("key"), arity: 2...2,
      summary: "Nodes indexed under a value by an xsl:key of the schema; answered from a hash index."
    ) { call, environment in
      let name = call.arguments[0].stringValue
      guard let index = try environment.keyIndex(name) else {
        throw XPathFunctionError("key('\(name)', …): no xsl:key named '\(name)' in the schema")
      }
      // One value (the common `key('k', @id)`): its nodes are in document order already.
      switch call.arguments[1] {
      case .nodeSet(let values) where values.count == 1: return .nodeSet(index[values[0].stringValue])
      case .nodeSet: break
      default: return .nodeSet(index[call.arguments[1].stringValue])
      }
      var nodes: [Node] = []
      for value in call.arguments[1].strings { nodes += index[value] }
      return .nodeSet(nodes.count > 1 ? environment.context.documentOrder(nodes) : nodes)
    },
    FunctionDefinition(
      QualifiedName("document"), arity: 1...2,
      summary: "Reads an XML file inside the pack's own directory; anything else is an error."
    ) { call, environment in
      var nodes: [Node] = []
      for uri in call.arguments[0].strings {
        let document = try environment.loadDocument(uri)
        nodes.append(document.documentNode)
      }
      return .nodeSet(nodes)
    },
    FunctionDefinition(
      QualifiedName("generate-id"), arity: 0...1,
      summary: "A stable identifier of a node (the context node by default)."
    ) { call, _ in
      let node = call.arguments.isEmpty ? call.contextNode : call.arguments[0].nodes.first
      return .string(node.map { "id-" + $0.stableID } ?? "")
    },
    FunctionDefinition(
      QualifiedName("system-property"), arity: 1...1, summary: "xsl:version, xsl:vendor and xsl:vendor-url."
    ) { call, _ in
      switch call.arguments[0].stringValue {
      case "xsl:version": .number(1.0)
      case "xsl:vendor": .string("normcheck")
      case "xsl:vendor-url": .string("")
      default: .string("")
      }
    },
    FunctionDefinition(
      QualifiedName("function-available"), arity: 1...1,
      summary: "Whether a function (core, XSLT or registered) exists; prefixed names use the schema's ns."
    ) { call, environment in
      let name = call.arguments[0].stringValue
      if FunctionLibrary.core[name] != nil { return .boolean(true) }
      return .boolean(environment.functionAvailable(name))
    },
    FunctionDefinition(
      QualifiedName("element-available"), arity: 1...1, summary: "Always false: no XSLT instructions run here."
    ) { _, _ in .boolean(false) },
  ]
}

extension FunctionEnvironment {
  func keyIndex(_ name: String) throws -> KeyIndex? {
    if let index = keyIndexes[name] { return index }
    guard let index = try keyBuilder?(name) else { return nil }
    keyIndexes[name] = index
    return index
  }

  func functionAvailable(_ qname: String) -> Bool {
    availableFunctions.contains(qname)
  }

  /// Reads `uri` relative to the pack directory; refuses anything outside it.
  func loadDocument(_ uri: String) throws -> Document {
    guard let packDirectory else {
      throw XPathFunctionError("document('\(uri)'): this schema has no directory to read from")
    }
    if let scheme = URL(string: uri)?.scheme, scheme.count > 1, scheme.lowercased() != "file" {
      throw XPathFunctionError("document('\(uri)'): only files inside the pack directory may be read")
    }
    let path = uri.hasPrefix("file:") ? (URL(string: uri)?.path ?? uri) : uri
    let root = packDirectory.standardizedFileURL.resolvingSymlinksInPath()
    let target =
      (path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appendingPathComponent(path))
      .standardizedFileURL.resolvingSymlinksInPath()
    guard target.path.hasPrefix(root.path + "/") else {
      throw XPathFunctionError("document('\(uri)'): '\(target.path)' lies outside the pack directory and is not read")
    }
    if let cached = documents[target.path] { return cached }
    let document: Document
    do {
      document = try Document(contentsOfFile: target.path, limits: parseLimits)
    } catch {
      throw XPathFunctionError("document('\(uri)'): \(error)")
    }
    documents[target.path] = document
    context.adopt(document)
    return document
  }
}

/// The index of one `xsl:key` on one document: built for this evaluation, or shared through
/// the document by every pack that declares the same plain key (see ``Document/attributeIndex(of:attribute:)``).
struct KeyIndex {
  /// Nodes by value, for an index built by this evaluation.
  var local: [CodeUnits: [Node]] = [:]
  var shared: AttributeIndex?

  subscript(value: String) -> [Node] {
    if let shared { return shared[value] }
    return local[CodeUnits(value)] ?? []
  }

  /// Adds `node` under `value`.
  mutating func add(_ node: Node, under value: String) {
    local[CodeUnits(value), default: []].append(node)
  }
}

/// A string compared and hashed by its UTF-8 code units, as XPath compares strings and as the
/// shared indexes do: Swift's `==` compares by canonical equivalence, which would find a
/// precomposed `é` under a decomposed one.
struct CodeUnits: Hashable {
  let string: String

  init(_ string: String) { self.string = string }

  static func == (lhs: CodeUnits, rhs: CodeUnits) -> Bool { lhs.string.utf8.elementsEqual(rhs.string.utf8) }

  func hash(into hasher: inout Hasher) {
    var copy = string
    copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
  }
}
