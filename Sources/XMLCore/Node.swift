internal import CLibXML2
import Foundation

/// The kind of a node, as XPath 1.0 sees it.
public enum NodeKind: Hashable, Sendable {
  case document, element, attribute, text, comment, processingInstruction, namespace
  /// An unexpanded entity reference or a DTD node; XPath does not return these.
  case other
}

/// A node of a ``Document``.
///
/// Holds its document alive; cheap to copy (no allocation).
///
/// Two `Node`s are equal when they denote the same node of the same document.
public struct Node: Hashable {
  /// The document the node belongs to.
  public let document: Document
  let pointer: xmlNodePtr
  /// For namespace nodes (which libxml2 does not keep in the tree): prefix and URI.
  let namespaceBinding: NamespaceBinding?

  /// A namespace node's prefix and URI, boxed: a `Node` stays three words (24 bytes) in the
  /// arrays of many thousand nodes that rule contexts select, where namespace nodes are rare.
  final class NamespaceBinding: Hashable, Sendable {
    let prefix: String
    let uri: String

    init(prefix: String, uri: String) {
      self.prefix = prefix
      self.uri = uri
    }

    static func == (lhs: NamespaceBinding, rhs: NamespaceBinding) -> Bool {
      lhs.prefix == rhs.prefix && lhs.uri == rhs.uri
    }

    func hash(into hasher: inout Hasher) {
      hasher.combine(prefix)
      hasher.combine(uri)
    }
  }

  init(document: Document, pointer: xmlNodePtr, namespaceBinding: NamespaceBinding? = nil) {
    self.document = document
    self.pointer = pointer
    self.namespaceBinding = namespaceBinding
  }

  /// The same node, reached through `view`, a ``Document/view()`` of its document.
  public func through(_ view: Document) -> Node {
    precondition(view.pointer == document.pointer, "a node can only be reached through a view of its own document")
    return Node(document: view, pointer: pointer, namespaceBinding: namespaceBinding)
  }

  /// Whether the node is in `document`'s tree (reached through it or through another view of
  /// the same tree).
  public func belongs(to document: Document) -> Bool { self.document.pointer == document.pointer }

  /// Whether both denote the same node.
  public static func == (lhs: Node, rhs: Node) -> Bool {
    lhs.pointer == rhs.pointer && lhs.namespaceBinding == rhs.namespaceBinding
  }

  /// Hashes the node's identity.
  public func hash(into hasher: inout Hasher) {
    hasher.combine(UInt(bitPattern: pointer))
    hasher.combine(namespaceBinding)
  }

  /// The node's kind.
  public var kind: NodeKind {
    if namespaceBinding != nil { return .namespace }
    switch pointer.pointee.type {
    case XML_DOCUMENT_NODE, XML_HTML_DOCUMENT_NODE: return .document
    case XML_ELEMENT_NODE: return .element
    case XML_ATTRIBUTE_NODE: return .attribute
    case XML_TEXT_NODE, XML_CDATA_SECTION_NODE: return .text
    case XML_COMMENT_NODE: return .comment
    case XML_PI_NODE: return .processingInstruction
    default: return .other
    }
  }

  /// The local name (without prefix); the target of a processing instruction; the prefix of a
  /// namespace node; empty for other nodes.
  public var localName: String {
    if let namespaceBinding { return namespaceBinding.prefix }
    switch kind {
    case .element, .attribute, .processingInstruction: return pointer.pointee.name.map { String(cString: $0) } ?? ""
    default: return ""
    }
  }

  /// The namespace URI of an element or attribute, or `nil` when it has none.
  public var namespaceURI: String? {
    guard kind == .element || kind == .attribute, let ns = pointer.pointee.ns, let href = ns.pointee.href else {
      return nil
    }
    return String(cString: href)
  }

  /// The prefix used in the document for an element or attribute, or `nil`.
  public var prefix: String? {
    guard kind == .element || kind == .attribute, let ns = pointer.pointee.ns, let prefix = ns.pointee.prefix else {
      return nil
    }
    return String(cString: prefix)
  }

  /// The qualified name as written in the document (`prefix:local` or `local`).
  public var name: String {
    if let prefix { return "\(prefix):\(localName)" }
    return localName
  }

  /// The XPath string-value: all descendant text for elements and the document, the value of
  /// attributes, text, comments and processing instructions, the URI of namespace nodes.
  public var stringValue: String {
    if let namespaceBinding { return namespaceBinding.uri }
    switch pointer.pointee.type {
    case XML_ATTRIBUTE_NODE:
      // Almost every attribute holds one text node: read it without libxml2's copy.
      let attribute = UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: xmlAttr.self)
      if let value = Document.value(of: attribute) { return value }
      return ""
    case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
      return pointer.pointee.content.map { String(cString: $0) } ?? ""
    default:
      break
    }
    guard let content = xmlNodeGetContent(pointer) else { return "" }
    defer { LibXML2.free(content) }
    return String(cString: content)
  }

  /// The parent node (the owner element for attributes and namespace nodes); `nil` for the document.
  public var parent: Node? {
    if namespaceBinding != nil { return Node(document: document, pointer: pointer) }
    guard kind != .document, let parent = pointer.pointee.parent else { return nil }
    return Node(document: document, pointer: parent)
  }

  /// The child nodes in document order (elements, text, comments, processing instructions).
  public var children: [Node] {
    guard kind == .element || kind == .document else { return [] }
    var result: [Node] = []
    var child = pointer.pointee.children
    while let current = child {
      result.append(Node(document: document, pointer: current))
      child = current.pointee.next
    }
    return result
  }

  /// The child elements in document order.
  public var childElements: [Node] { children.filter { $0.kind == .element } }

  /// The attributes of an element, in document order (namespace declarations are not attributes).
  public var attributes: [Node] {
    guard kind == .element else { return [] }
    var result: [Node] = []
    var attribute = pointer.pointee.properties
    while let current = attribute {
      let node = UnsafeMutableRawPointer(current).assumingMemoryBound(to: xmlNode.self)
      result.append(Node(document: document, pointer: node))
      attribute = current.pointee.next
    }
    return result
  }

  /// The value of the attribute `localName` in `namespace` (`nil`: no namespace), if present.
  ///
  /// As XPath's `@` sees it: attributes in the tree only, never a default declared in a DTD
  /// (documents are parsed without applying them).
  public func attribute(_ localName: String, namespace: String? = nil) -> String? {
    guard kind == .element else { return nil }
    let test = ElementPath.Test(namespace: namespace, localName: localName)
    var property = pointer.pointee.properties
    while let current = property {
      if test.matches(name: current.pointee.name, namespace: current.pointee.ns) { return Document.value(of: current) }
      property = current.pointee.next
    }
    return nil
  }

  private var elementInfo: ElementInfo? {
    guard pointer.pointee.type == XML_ELEMENT_NODE, let raw = pointer.pointee._private else { return nil }
    let index = Int(bitPattern: raw) - 1
    guard index >= 0, index < document.elementInfo.count else { return nil }
    return document.elementInfo[index]
  }

  /// The 1-based line of the node: for an element, the line of its start tag's `<`; for an attribute or namespace node, its element's; 0 when unknown.
  ///
  /// Correct past line 65 535.
  public var line: Int {
    if let info = elementInfo { return Int(info.line) }
    switch kind {
    case .attribute, .namespace: return parent?.line ?? 0
    case .document: return 0
    default: return Int(xmlGetLineNo(pointer))
    }
  }

  /// The 1-based column (in characters) of an element's start tag `<`, or of the element
  /// owning an attribute; 0 when unknown (text, comments, processing instructions).
  public var column: Int {
    if let info = elementInfo { return Int(info.column) }
    switch kind {
    case .attribute, .namespace: return parent?.column ?? 0
    default: return 0
    }
  }

  /// How many elements an element contains (its descendants), as counted while parsing; `nil`
  /// for other nodes and where not counted (documents that declare entities).
  ///
  /// Read from the parse's record, without walking the subtree.
  public var descendantElementCount: Int? {
    guard pointer.pointee.type == XML_ELEMENT_NODE, let raw = pointer.pointee._private else { return nil }
    let order = Int(bitPattern: raw)
    guard order >= 1, order <= document.elementInfo.count else { return nil }
    let end = Int(document.elementInfo[order - 1].subtreeEnd)
    return end == 0 ? nil : end - order
  }

  /// The element's position in document order (1 for the document element), or `nil` for other nodes.
  ///
  /// Comparing two elements' positions compares their document order.
  public var documentPosition: Int? {
    guard pointer.pointee.type == XML_ELEMENT_NODE, let raw = pointer.pointee._private else { return nil }
    return Int(bitPattern: raw)
  }

  /// A document-order key for elements (their number, 0) and attributes (their element's
  /// number, 1 + their index), or `nil` for other nodes.
  var orderKey: (Int, Int)? {
    if namespaceBinding != nil { return nil }
    switch pointer.pointee.type {
    case XML_ELEMENT_NODE:
      guard let raw = pointer.pointee._private else { return nil }
      return (Int(bitPattern: raw), 0)
    case XML_ATTRIBUTE_NODE:
      guard let owner = pointer.pointee.parent, owner.pointee.type == XML_ELEMENT_NODE,
        let raw = owner.pointee._private
      else { return nil }
      var index = 1
      var property = owner.pointee.properties
      while let current = property {
        if OpaquePointer(current) == OpaquePointer(pointer) { return (Int(bitPattern: raw), index) }
        index += 1
        property = current.pointee.next
      }
      return nil
    default:
      return nil
    }
  }

  /// The node's position in its document: file, line and column.
  public var location: SourceLocation {
    SourceLocation(file: document.sourceName, line: line, column: column)
  }

  /// The canonical XPath of the node: one step per ancestor, each with its 1-based position
  /// among siblings of the same kind and expanded name.
  ///
  /// Elements in a namespace are written `*:local[n]`, others `local[n]`; attributes `@name`
  /// or `@*:name`; then `text()[n]`, `comment()[n]`, `processing-instruction('t')[n]`,
  /// `namespace::prefix`. The document is `/`. Example: `/*:declaration[1]/*:facility[3]/@id`.
  /// The form matches SchXslt's and is unambiguous; it is meant for reports and SVRL.
  public var path: String {
    if kind == .document { return "/" }
    var steps: [String] = []
    var current: Node? = self
    while let node = current, node.kind != .document {
      steps.append(node.pathStep)
      current = node.parent
    }
    return "/" + steps.reversed().joined(separator: "/")
  }

  private var pathStep: String {
    switch kind {
    case .element:
      let index =
        elementInfo.map { Int($0.siblingIndex) }
        ?? countSiblings { other in
          other.pointee.type == XML_ELEMENT_NODE && xmlStrEqual(other.pointee.name, pointer.pointee.name) != 0
            && Self.sameNamespace(other, pointer)
        }
      return namespaceURI == nil ? "\(localName)[\(index)]" : "*:\(localName)[\(index)]"
    case .attribute:
      return namespaceURI == nil ? "@\(localName)" : "@*:\(localName)"
    case .text:
      // Adjacent text and CDATA nodes form one XPath text node: count runs, not nodes.
      var index = 0
      var sibling: xmlNodePtr? = pointer
      var previousWasText = false
      var runs: [xmlNodePtr] = []
      while let node = sibling?.pointee.prev { sibling = node }
      while let node = sibling {
        let isText = node.pointee.type == XML_TEXT_NODE || node.pointee.type == XML_CDATA_SECTION_NODE
        if isText && !previousWasText { runs.append(node) }
        previousWasText = isText
        if node == pointer { index = runs.count; break }
        sibling = node.pointee.next
      }
      return "text()[\(index)]"
    case .comment:
      return "comment()[\(countSiblings { $0.pointee.type == XML_COMMENT_NODE })]"
    case .processingInstruction:
      let index = countSiblings {
        $0.pointee.type == XML_PI_NODE && xmlStrEqual($0.pointee.name, pointer.pointee.name) != 0
      }
      return "processing-instruction('\(localName)')[\(index)]"
    case .namespace:
      return "namespace::\(localName)"
    case .document, .other:
      return "node()"
    }
  }

  private static func sameNamespace(_ a: xmlNodePtr, _ b: xmlNodePtr) -> Bool {
    switch (a.pointee.ns?.pointee.href, b.pointee.ns?.pointee.href) {
    case (nil, nil): return true
    case let (x?, y?): return xmlStrEqual(x, y) != 0
    default: return false
    }
  }

  /// 1 + the number of preceding siblings satisfying `matches`.
  private func countSiblings(_ matches: (xmlNodePtr) -> Bool) -> Int {
    var count = 1
    var sibling = pointer.pointee.prev
    while let node = sibling {
      if matches(node) { count += 1 }
      sibling = node.pointee.prev
    }
    return count
  }
}

extension Node {
  /// An identifier unique to this node within its document and stable across runs, usable as
  /// an XML name: `d` for the document, `e12` for the 12th element, `e12a206964` for its
  /// attribute `id` (`a`, then the namespace URI, a space and the local name in hexadecimal
  /// UTF-8), `e12n3` for its third child node of another kind.
  public var stableID: String {
    switch kind {
    case .document: return "d"
    case .element:
      if let raw = pointer.pointee._private { return "e\(Int(bitPattern: raw))" }
      return "e0x\(String(UInt(bitPattern: pointer), radix: 16))"
    case .attribute:
      // By name, not by position among the element's attributes: the same whichever of them
      // the parse kept (``AttributeProjection``). An element has one attribute of each name.
      let owner = parent?.stableID ?? "d"
      let name = (namespaceURI ?? "") + " " + localName
      let digits = Array("0123456789abcdef".utf8)
      var hex: [UInt8] = []
      for byte in name.utf8 { hex += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
      return "\(owner)a" + String(decoding: hex, as: UTF8.self)
    case .namespace:
      return "\(parent?.stableID ?? "d")ns\(localName.isEmpty ? "default" : localName)"
    default:
      let owner = parent?.stableID ?? "d"
      var index = 1
      var sibling = pointer.pointee.prev
      while let current = sibling {
        index += 1
        sibling = current.pointee.prev
      }
      return "\(owner)n\(index)"
    }
  }
}

extension Node {
  /// A path that survives edits elsewhere in the document: from the nearest ancestor-or-self
  /// element with an `id` (or `xml:id`) attribute, written `//*:facility[@id='f1']`, then the
  /// canonical steps below it; the canonical ``path`` when no ancestor has an id.
  public var anchoredPath: String {
    var suffix: [String] = []
    var current: Node? = self
    while let node = current, node.kind != .document {
      if node.kind == .element,
        let id = node.attribute("id") ?? node.attribute("id", namespace: "http://www.w3.org/XML/1998/namespace")
      {
        let name = node.namespaceURI == nil ? node.localName : "*:\(node.localName)"
        let quoted = id.contains("'") ? "\"\(id)\"" : "'\(id)'"
        return "//\(name)[@id=\(quoted)]" + suffix.reversed().map { "/" + $0 }.joined()
      }
      suffix.append(String(node.path.split(separator: "/").last ?? ""))
      current = node.parent
    }
    return path
  }
}

extension Node: CustomStringConvertible {
  /// The node's canonical path and location, for debugging.
  public var description: String { "\(path) (\(location))" }
}
