internal import CLibXML2
import Foundation

/// A parsed XML document.
///
/// Owns the libxml2 tree and frees it when the last reference goes.
///
/// Parsing is hardened for untrusted input (see ``ParseLimits``): no network, no DTD or
/// external entity loading, no entity substitution, no recovery from malformed XML.
/// A `Document` is not `Sendable`: parse it within one task. Once parsed it may be read by
/// several threads at once, each through its own ``XPathContext`` (the indexes built on first
/// use are guarded by locks), as long as nothing modifies it meanwhile: XSD validation, which
/// records ID attributes in the tree, must finish before such readers start unless the
/// schema's ``XMLSchema/validationOnlyReads``. Many documents may be parsed and evaluated at
/// once on different threads.
public final class Document {
  let pointer: xmlDocPtr
  /// Start-tag positions and sibling indexes of the elements, indexed by `_private - 1`.
  let elementInfo: [ElementInfo]
  /// The name the document was read under: a path, or `<stdin>`, or a caller-chosen name.
  public let sourceName: String
  /// Problems that did not stop the parse.
  ///
  /// libxml2's warnings (for example a non-absolute namespace URI), and one error of kind
  /// ``XMLError/Kind/forbiddenAccess`` for each reference to an external entity: such
  /// entities are never loaded, so the reference stands for nothing in the tree.
  public let warnings: [XMLError]

  /// The document whose tree this one reads (see ``view()``), or `nil` when it owns its tree.
  let owner: Document?
  /// The memory of the tree, when it was parsed into an arena; released after the tree is freed.
  let arena: ParseArena?

  init(
    pointer: xmlDocPtr, elementInfo: [ElementInfo], sourceName: String, warnings: [XMLError],
    elementIndex: ElementIndex? = nil, attributeIndexes: [AttributeIndexRequest: AttributeTable] = [:],
    arena: ParseArena? = nil
  ) {
    self.pointer = pointer
    self.arena = arena
    self.elementInfo = elementInfo
    self.sourceName = sourceName
    self.warnings = warnings
    self.owner = nil
    self.elementIndexStorage = elementIndex
    self.attributeIndexes = attributeIndexes
    // libxml2 declares the `xml` namespace on the document the first time something looks it
    // up (xmlSearchNs: XPath's namespace nodes, an XSD `xsi:type="xml:…"`), a write into the
    // tree; done here, on the thread that owns the document, so later readers only read.
    if let root = xmlDocGetRootElement(pointer) { _ = xmlSearchNs(pointer, root, "xml") }
  }

  private init(viewOf owner: Document) {
    pointer = owner.pointer
    elementInfo = owner.elementInfo
    sourceName = owner.sourceName
    warnings = owner.warnings
    self.owner = owner
    arena = nil
  }

  deinit {
    if owner == nil { xmlFreeDoc(pointer) }
    // `arena` is released after this, with the other stored properties.
  }

  /// Another handle on the same tree, for another thread.
  ///
  /// Every ``Node`` holds its document, so threads that evaluate one document through one
  /// object all count references on that object, and the counter's cache line bounces
  /// between their cores. Nodes reached through a view count on the view instead. A view
  /// keeps its document alive, shares its indexes, and its nodes equal the document's.
  public func view() -> Document {
    Document(viewOf: owner ?? self)
  }

  /// The elements by name: collected by the parser, else built by the first ``select(_:where:)``.
  private var elementIndexStorage: ElementIndex?
  /// Guards ``elementIndexStorage``.
  private let elementIndexLock = NSLock()
  /// Shared attribute indexes (``attributeIndex(of:attribute:)``), guarded by ``attributeIndexLock``.
  var attributeIndexes: [AttributeIndexRequest: AttributeTable] = [:]
  /// Guards ``attributeIndexes``; held while one is built, so that it is built once.
  let attributeIndexLock = NSLock()
  /// Answers of absolute paths (``nodesSelected(by:)``), guarded by ``pathAnswersLock``.
  var pathAnswers: [ElementPath: [xmlNodePtr]] = [:]
  let pathAnswersLock = NSLock()

  func elementIndex() -> ElementIndex {
    if let owner { return owner.elementIndex() }
    return elementIndexLock.withLock {
      if let elementIndexStorage { return elementIndexStorage }
      let index = ElementIndex(root: UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: xmlNode.self))
      elementIndexStorage = index
      return index
    }
  }

  /// Reads and parses the file at `path`.
  ///
  /// `indexing` names attribute indexes to collect while parsing (see
  /// ``AttributeIndexRequest``); ``attributeIndex(of:attribute:)`` then finds them built.
  /// `projection` says which attributes the tree keeps (see ``AttributeProjection``; those
  /// `indexing` reads are kept).
  ///
  /// - Throws: ``XMLError`` of kind `.io` when the path is missing, not a regular file or
  ///   unreadable; `.limit` when it is larger than `limits.maxInputBytes`; otherwise the
  ///   first parse error, with file, line and column.
  public convenience init(
    contentsOfFile path: String, limits: ParseLimits = .default, indexing: [AttributeIndexRequest] = [],
    keeping projection: AttributeProjection = .all
  ) throws {
    let bytes = try InputReader.readFile(path, limit: limits.maxInputBytes)
    try self.init(
      input: bytes, sourceName: path, baseURL: URL(fileURLWithPath: path), limits: limits, indexing: .known(indexing),
      keeping: projection, arena: .automatic)
  }

  /// Reads and parses the file at `path`, collecting the attribute indexes `indexing` names
  /// while the parse runs (see ``PendingIndexRequests``).
  ///
  /// - Throws: as ``init(contentsOfFile:limits:indexing:keeping:)``.
  public convenience init(
    contentsOfFile path: String, limits: ParseLimits = .default, pendingIndexing indexing: PendingIndexRequests
  ) throws {
    let bytes = try InputReader.readFile(path, limit: limits.maxInputBytes)
    try self.init(
      input: bytes, sourceName: path, baseURL: URL(fileURLWithPath: path), limits: limits,
      indexing: .pending(indexing), arena: .automatic)
  }

  /// Parses XML from memory.
  ///
  /// `sourceName` is used in error locations; `indexing` and `projection` as for
  /// ``init(contentsOfFile:limits:indexing:keeping:)``.
  public convenience init(
    bytes: some Collection<UInt8>, sourceName: String = "<memory>", baseURL: URL? = nil,
    limits: ParseLimits = .default, indexing: [AttributeIndexRequest] = [],
    keeping projection: AttributeProjection = .all
  ) throws {
    try self.init(
      input: InputBytes(Array(bytes)), sourceName: sourceName, baseURL: baseURL, limits: limits,
      indexing: .known(indexing), keeping: projection, arena: .automatic)
  }

  /// Parses XML from memory, collecting the attribute indexes `indexing` names while the parse
  /// runs (see ``PendingIndexRequests``); otherwise as ``init(bytes:sourceName:baseURL:limits:indexing:keeping:)``.
  public convenience init(
    bytes: some Collection<UInt8>, sourceName: String = "<memory>", baseURL: URL? = nil,
    limits: ParseLimits = .default, pendingIndexing indexing: PendingIndexRequests
  ) throws {
    try self.init(
      bytes: Array(bytes), sourceName: sourceName, baseURL: baseURL, limits: limits, indexing: .pending(indexing),
      arena: .automatic)
  }

  /// Parses XML from memory, into an arena or not as `arena` says (see ``ParseArena``), and
  /// with its attribute indexes built on a thread of their own or not as `indexingThread` says;
  /// helper threads, where those are automatic, as `helpers` allows.
  convenience init(
    bytes: [UInt8], sourceName: String, baseURL: URL? = nil, limits: ParseLimits = .default,
    indexing: [AttributeIndexRequest] = [], arena: ParsePolicy.Arena,
    indexingThread: ParsePolicy.IndexingThread = .automatic, helpers: ParseHelpers = .shared
  ) throws {
    try self.init(
      bytes: bytes, sourceName: sourceName, baseURL: baseURL, limits: limits, indexing: .known(indexing), arena: arena,
      indexingThread: indexingThread, helpers: helpers)
  }

  /// ``init(bytes:sourceName:baseURL:limits:indexing:arena:indexingThread:helpers:)``, with the
  /// indexes known or pending.
  convenience init(
    bytes: [UInt8], sourceName: String, baseURL: URL? = nil, limits: ParseLimits = .default,
    indexing: IndexRequests, arena: ParsePolicy.Arena,
    indexingThread: ParsePolicy.IndexingThread = .automatic, helpers: ParseHelpers = .shared
  ) throws {
    try self.init(
      input: InputBytes(bytes), sourceName: sourceName, baseURL: baseURL, limits: limits, indexing: indexing,
      arena: arena, indexingThread: indexingThread, helpers: helpers)
  }

  /// Parses `input` (an array, or a mapped file; see ``InputBytes``), as
  /// ``init(bytes:sourceName:baseURL:limits:indexing:arena:indexingThread:helpers:)``.
  convenience init(
    input bytes: InputBytes, sourceName: String, baseURL: URL? = nil, limits: ParseLimits = .default,
    indexing: IndexRequests, keeping projection: AttributeProjection = .all, arena: ParsePolicy.Arena,
    indexingThread: ParsePolicy.IndexingThread = .automatic, helpers: ParseHelpers = .shared
  ) throws {
    let parsed = try Parser.parse(
      bytes: bytes, sourceName: sourceName, baseURL: baseURL, limits: limits, indexing: indexing, keeping: projection,
      arena: arena, indexingThread: indexingThread, helpers: helpers)
    self.init(
      pointer: parsed.document, elementInfo: parsed.elementInfo, sourceName: sourceName,
      warnings: parsed.warnings, elementIndex: parsed.elementIndex, attributeIndexes: parsed.attributeIndexes,
      arena: parsed.arena)
  }

  /// Parses XML from a string (encoded as UTF-8; an encoding declaration must agree).
  ///
  /// `indexing` as for ``init(contentsOfFile:limits:indexing:keeping:)``.
  public convenience init(
    string: String, sourceName: String = "<memory>", limits: ParseLimits = .default,
    indexing: [AttributeIndexRequest] = []
  ) throws {
    try self.init(bytes: Array(string.utf8), sourceName: sourceName, limits: limits, indexing: indexing)
  }

  /// Reads standard input to its end and parses it, under the name `<stdin>`.
  ///
  /// `indexing` and `projection` as for ``init(contentsOfFile:limits:indexing:keeping:)``.
  public static func fromStandardInput(
    limits: ParseLimits = .default, indexing: [AttributeIndexRequest] = [],
    keeping projection: AttributeProjection = .all
  ) throws -> Document {
    let bytes = try InputReader.readAll(fileDescriptor: 0, name: "<stdin>", limit: limits.maxInputBytes)
    return try Document(bytes: bytes, sourceName: "<stdin>", limits: limits, indexing: indexing, keeping: projection)
  }

  /// Reads standard input to its end and parses it, under the name `<stdin>`, collecting the
  /// attribute indexes `indexing` names while the parse runs (see ``PendingIndexRequests``).
  public static func fromStandardInput(
    limits: ParseLimits = .default, pendingIndexing indexing: PendingIndexRequests
  ) throws -> Document {
    let bytes = try InputReader.readAll(fileDescriptor: 0, name: "<stdin>", limit: limits.maxInputBytes)
    return try Document(bytes: bytes, sourceName: "<stdin>", limits: limits, pendingIndexing: indexing)
  }

  /// The document node (XPath's root node, `/`).
  public var documentNode: Node {
    Node(document: self, pointer: UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: xmlNode.self))
  }

  /// The document element, if any.
  public var rootElement: Node? {
    xmlDocGetRootElement(pointer).map { Node(document: self, pointer: $0) }
  }

  /// The number of elements in the document (outside entity declarations).
  public var elementCount: Int { elementInfo.count }
}

/// Where an element's start tag begins, its position among same-named siblings, how many
/// element children it has, where its subtree ends in document order, and its parent's number.
struct ElementInfo {
  var line: UInt32
  var column: UInt32
  var siblingIndex: UInt32
  /// Element children; 0 when unknown (in a document that declares entities).
  var children: UInt32 = 0
  /// The document-order number (see ``ElementIndex/order(_:)``) of the last element in its
  /// subtree, its own when it has none; 0 when unknown, as for ``children``.
  var subtreeEnd: UInt32 = 0
  /// The document-order number of its parent element; 0 for the root element.
  ///
  /// Read only where the element index says the parser recorded it
  /// (``ElementIndex/orders(_:)``).
  var parent: UInt32 = 0
}
