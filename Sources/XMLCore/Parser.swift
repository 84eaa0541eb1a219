internal import CLibXML2
import Foundation

/// The hardened libxml2 parse: one parser context per document, errors captured through the
/// context's structured error callback, element start positions recorded by a SAX hook.
enum Parser {
  /// `NONET`: no network.
  ///
  /// `BIG_LINES`: line numbers past 65 535. `NONET` is belt and braces: the entity loader refuses every URL anyway.
  /// `COMPACT`: text shorter than 16 bytes (most attribute values) is kept inside its text
  /// node instead of a block of its own, one allocation less each. libxml2 then forbids
  /// changing the text of such nodes in place, which normcheck never does; what libxml2 itself
  /// does to a parsed tree (an XSD's blank nodes unlinked and freed when it is compiled,
  /// attributes marked as IDs when validated) goes through functions that know compact nodes.
  ///
  /// Never `NOENT`, `DTDLOAD`, `DTDATTR`, `RECOVER`, `XINCLUDE` or `HUGE`.
  static let options = Int32(
    XML_PARSE_NONET.rawValue | XML_PARSE_BIG_LINES.rawValue | XML_PARSE_NOCDATA.rawValue
      | XML_PARSE_COMPACT.rawValue)

  struct Result {
    var document: xmlDocPtr
    var elementInfo: [ElementInfo]
    var warnings: [XMLError]
    /// The element index, collected while parsing (`nil` when the document declares entities,
    /// whose elements the parser reports too but the tree keeps apart).
    var elementIndex: ElementIndex?
    /// The attribute indexes requested, collected while parsing (none when the document
    /// declares entities, as for ``elementIndex``).
    var attributeIndexes: [AttributeIndexRequest: AttributeTable]
    /// The arena holding the tree, which must outlive it (see ``ParseArena``).
    var arena: ParseArena?
  }

  static func parse(
    bytes: InputBytes, sourceName: String, baseURL: URL?, limits: ParseLimits, indexing: IndexRequests = .known([]),
    keeping projection: AttributeProjection = .all, arena arenaPolicy: ParsePolicy.Arena = .automatic,
    indexingThread: ParsePolicy.IndexingThread = .automatic,
    helpers budget: ParseHelpers = .shared
  ) throws -> Result {
    try budget.whileGranted(if: bytes.count >= ParseArena.minimumInput) { helpers in
      try parse(
        bytes: bytes, sourceName: sourceName, baseURL: baseURL, limits: limits, indexing: indexing,
        keeping: projection, arena: arenaPolicy, indexingThread: indexingThread, helpers: helpers)
    }
  }

  /// ``parse(bytes:sourceName:baseURL:limits:indexing:keeping:arena:indexingThread:helpers:)``, with helper
  /// threads where the policies are automatic only if `helpers` (see ``ParseHelpers``).
  private static func parse(
    bytes: InputBytes, sourceName: String, baseURL: URL?, limits: ParseLimits, indexing: IndexRequests,
    keeping projection: AttributeProjection, arena arenaPolicy: ParsePolicy.Arena,
    indexingThread: ParsePolicy.IndexingThread, helpers: Bool
  ) throws -> Result {
    LibXML2.ensureReady()
    let start = SourceLocation(file: sourceName, line: 0, column: 0)
    if bytes.count > limits.maxInputBytes {
      throw XMLError(
        kind: .limit, message: "input is \(bytes.count) bytes, more than the limit of \(limits.maxInputBytes) bytes",
        location: start)
    }
    if bytes.count == 0 {
      throw XMLError(kind: .syntax, message: "the input is empty; an XML document was expected", location: start)
    }
    // A large UTF-8 input with a helper thread is scanned while it is parsed, ahead of the parser
    // (see `AttributeScanAhead`); any other input before.
    let scansAhead =
      helpers && bytes.count >= ParseArena.minimumInput && bytes.withUnsafeBufferPointer { Self.isUTF8($0) }
    if !scansAhead,
      let excess = bytes.withUnsafeBufferPointer({ AttributeScan.firstExcess(in: $0, limit: limits.maxAttributes) })
    {
      throw Self.tooManyAttributes(excess, limit: limits.maxAttributes, sourceName: sourceName)
    }
    guard let ctxt = xmlNewParserCtxt() else {
      throw XMLError(kind: .io, message: "out of memory creating a parser", location: start)
    }
    // The context's inputs and buffers may lie in the arena: it is freed first.
    let arena = ParseArena.forInput(of: bytes.count, policy: arenaPolicy, helpers: helpers)
    defer {
      xmlFreeParserCtxt(ctxt)
      withExtendedLifetime(arena) {}
    }
    let builder = TreeBuilder(
      sourceName: sourceName, maxDepth: limits.maxDepth, maxEntityExpansion: limits.maxEntityExpansion,
      indexing: indexing, keeping: projection,
      indexingThread: indexingThread.applies(toInputOf: bytes.count, helpers: helpers))
    builder.scanAheadLimit = scansAhead ? limits.maxAttributes : nil
    let sax = ctxt.pointee.sax!
    sax.pointee.serror = parserErrorHook
    sax.pointee.startElementNs = startElementHook
    sax.pointee.endElementNs = endElementHook
    sax.pointee.reference = referenceHook
    sax.pointee.endDocument = endDocumentHook
    let url = baseURL?.absoluteURL.path ?? sourceName
    let document: xmlDocPtr? = withExtendedLifetime(builder) {
      ctxt.pointee._private = Unmanaged.passUnretained(builder).toOpaque()
      let document = ParseArena.run(in: arena) { read(bytes, into: ctxt, builder: builder, url: url) }
      // Normally done at the end of the document (`endDocumentHook`); here for a parse that
      // stopped before its first element.
      builder.finishIndexing()
      return document
    }
    let refusal = LibXML2.takeLastRefusal()
    if bytes.changedWhileRead {
      // What was parsed may mix two versions of the file, or zeros for pages it no longer had.
      if let document { xmlFreeDoc(document) }
      throw XMLError(
        kind: .io,
        message:
          "the file changed, or could not be read, while it was parsed (is another process writing it?); check it again",
        location: start)
    }
    if let excess = builder.scanExcess {
      // The parser's input ended before that start tag: what it reported is beside the point.
      if let document { xmlFreeDoc(document) }
      throw Self.tooManyAttributes(excess, limit: limits.maxAttributes, sourceName: sourceName)
    }
    let failed = builder.errors.contains { $0.level != .warning } || builder.limitError != nil
    guard let document, !failed, ctxt.pointee.wellFormed != 0 else {
      if let document { xmlFreeDoc(document) }
      if let limit = builder.limitError { throw limit }
      if var first = builder.errors.first(where: { $0.level != .warning }) {
        if let refusal, first.kind == .io || first.kind == .forbiddenAccess {
          first.kind = .forbiddenAccess
          first.message += " (\(refusal))"
        }
        throw first
      }
      throw XMLError(kind: .syntax, message: "the input is not well-formed XML", location: start)
    }
    let hasEntities = document.pointee.intSubset.map { $0.pointee.entities != nil } ?? false
    var attributeIndexes: [AttributeIndexRequest: AttributeTable] = [:]
    if !hasEntities {
      for (request, table) in zip(builder.indexing, builder.attributeTables) {
        table.seal()
        attributeIndexes[request] = table
      }
    }
    if hasEntities {
      // Elements the parser reported from entity content are not in the tree where it reported
      // them: children and subtree ends are left unknown.
      for index in builder.info.indices { (builder.info[index].children, builder.info[index].subtreeEnd) = (0, 0) }
    }
    return Result(
      document: document, elementInfo: builder.info, warnings: builder.errors + builder.refusals,
      elementIndex: hasEntities ? nil : builder.indexBuilder.build(ordersRecorded: true),
      attributeIndexes: attributeIndexes,
      arena: arena)
  }
}

extension Parser {
  /// The error for a start tag with more than `limit` attributes.
  static func tooManyAttributes(_ excess: AttributeScan.Excess, limit: Int, sourceName: String) -> XMLError {
    XMLError(
      kind: .limit,
      message:
        "element <\(excess.name)> has more than \(limit) attributes, the limit per element; the input was not parsed",
      location: SourceLocation(file: sourceName, line: excess.line, column: excess.column))
  }

  /// Reads `bytes` into a tree through `ctxt`, whose SAX hooks report to `builder`.
  private static func read(
    _ bytes: InputBytes, into ctxt: xmlParserCtxtPtr, builder: TreeBuilder, url: String
  ) -> xmlDocPtr? {
    return bytes.withUnsafeBufferPointer { buffer in
      builder.original = buffer
      builder.mainContext = ctxt
      defer { (builder.original, builder.mainContext, builder.startTags) = (nil, nil, nil) }
      // UTF-8 is read through a callback rather than `xmlCtxtReadMemory`, which copies the
      // whole input into a buffer of libxml2's first: the callback hands over a chunk at a time,
      // so libxml2 keeps a window of a few kilobytes, and `startTagPosition` reads positions
      // from the input as given. Other encodings are read whole, as before: positions come
      // from libxml2's converted buffer (see `startTagPosition`).
      let utf8 = Self.isUTF8(buffer)
      var scan: AttributeScanAhead?
      if let limit = builder.scanAheadLimit {
        if utf8, case .bytes(let start) = AttributeScan.Layout(of: buffer) {
          scan = AttributeScanAhead(buffer, start: start, limit: limit)
          builder.startTags = scan?.startTags.map { Unmanaged.passUnretained($0) }
        } else if let excess = AttributeScan.firstExcess(in: buffer, limit: limit) {
          // The bytes are no longer what `parse` looked at (a mapped file rewritten meanwhile,
          // which is reported after the parse): scanned here, as any other input, first.
          builder.scanExcess = excess
          return nil
        }
      }
      guard utf8 else {
        return buffer.withMemoryRebound(to: CChar.self) { chars in
          xmlCtxtReadMemory(ctxt, chars.baseAddress, Int32(chars.count), url, nil, options)
        }
      }
      var cursor = InputCursor(next: buffer.baseAddress, remaining: buffer.count, scan: scan)
      let document = withUnsafeMutablePointer(to: &cursor) { cursor in
        xmlCtxtReadIO(ctxt, inputReadHook, nil, cursor, url, nil, options)
      }
      // The scan reads `buffer`: it ends before the buffer may go.
      if let scan { builder.scanExcess = scan.finish() }
      return document
    }
  }

  /// Whether libxml2 surely reads `bytes` as UTF-8, without converting them.
  ///
  /// They begin with `<` in one byte (after a UTF-8 byte-order mark, if any), not followed by a zero
  /// byte (UTF-16), and an XML declaration, if any, declares no other encoding. Anything else
  /// answers `false` (and is read whole).
  static func isUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    var start = 0
    if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
    guard bytes.count >= start + 2, bytes[start] == UInt8(ascii: "<"), bytes[start + 1] != 0 else { return false }
    guard bytes.count >= start + 5, bytes[start + 1] == UInt8(ascii: "?") else { return true }
    // The XML declaration, lower-cased, up to `?>` (at most 256 bytes are looked at).
    var declaration = ""
    var index = start
    while index + 1 < min(bytes.count, start + 256) {
      if bytes[index] == UInt8(ascii: "?"), bytes[index + 1] == UInt8(ascii: ">") { break }
      guard bytes[index] < 0x80 else { return false }
      declaration.append(Character(Unicode.Scalar(bytes[index])).lowercased())
      index += 1
    }
    guard declaration.hasPrefix("<?xml"), let range = declaration.range(of: "encoding") else {
      return declaration.hasPrefix("<?xml")
    }
    let name = declaration[range.upperBound...]
      .drop { " \t\r\n=\"'".contains($0) }
      .prefix { !" \t\r\n\"'".contains($0) }
    // libxml2 converts declared ASCII through an encoder of its own: not here.
    return name == "utf-8" || name == "utf8"
  }
}

/// State of one parse, reached from the C callbacks through the parser context's `_private`.
///
/// The properties the callbacks touch at every element are `@exclusivity(unchecked)`. Each
/// callback reads and writes them one at a time, on the thread that owns them (the parser's,
/// or the indexing thread's for the attribute tables), never while another access is in
/// progress, so the dynamic checks could only ever pass. They were 7.5% of all user time on
/// the shared linear pack at 100 000 facilities, 1.2% without them (BENCHMARKS.md). The
/// compiler still checks every access it can see statically.
final class TreeBuilder {
  let sourceName: String
  let maxDepth: Int
  @exclusivity(unchecked) var info: [ElementInfo] = []
  var errors: [XMLError] = []
  @exclusivity(unchecked) var limitError: XMLError?
  /// External entity references left unexpanded (never loaded), one per reference.
  var refusals: [XMLError] = []
  /// One frame per open element: how many children of each local name were seen, in any
  /// namespace and in none (see ``Node/path`` for why both).
  @exclusivity(unchecked) var siblingCounts: [SiblingCounter] = [SiblingCounter()]
  /// The document-order numbers of the open elements, innermost last.
  @exclusivity(unchecked) var openElements: [Int] = []
  /// The input being parsed, as given, and the parser context reading it (entities are parsed
  /// by contexts of their own); see `startTagPosition`.
  @exclusivity(unchecked) var original: UnsafeBufferPointer<UInt8>?
  @exclusivity(unchecked) var mainContext: xmlParserCtxtPtr?
  /// Where the start tags begin, found by the scan ahead of the parser, while its entries are
  /// those of the elements reported (see ``StartTagTable``); unretained: the scan keeps it.
  @exclusivity(unchecked) var startTags: Unmanaged<StartTagTable>?
  /// The element index, filled as elements start (in document order).
  @exclusivity(unchecked) var indexBuilder = ElementIndex.Builder()
  /// The attribute indexes requested before the parse, one table each, filled as elements
  /// start; emptied at the first element of a document that declares entities.
  ///
  /// With pending requests, empty until the indexing thread has them (only that thread sets it).
  @exclusivity(unchecked) var indexing: [AttributeIndexRequest]
  @exclusivity(unchecked) var attributeTables: [AttributeTable] {
    didSet { makeIndexTargets() }
  }
  /// Per request, what the indexing reads at each element: its attribute test and table (see
  /// ``IndexTarget``), reached through unretained handles (the targets keep them alive).
  @exclusivity(unchecked) private var indexTargets: [IndexTarget] = []
  @exclusivity(unchecked) private var indexTargetHandles: [Unmanaged<IndexTarget>] = []

  /// A request's attribute test, which remembers its verdicts by name pointers (an element's
  /// attributes are otherwise compared by their strings), and its table; one class, so that
  /// the indexing loop borrows both without reference counting.
  final class IndexTarget {
    let attribute: NameMatcher
    let table: AttributeTable

    init(attribute: ElementPath.Test, table: AttributeTable) {
      self.attribute = NameMatcher(attribute)
      self.table = table
    }
  }

  private func makeIndexTargets() {
    indexTargets = zip(indexing, attributeTables).map { IndexTarget(attribute: $0.attribute, table: $1) }
    indexTargetHandles = indexTargets.map { Unmanaged.passUnretained($0) }
  }
  /// Requests named while the parse runs (``PendingIndexRequests``), or `nil`.
  let pendingRequests: PendingIndexRequests?
  /// Whether elements are handed to the attribute indexes: the parser's thread only.
  @exclusivity(unchecked) var collectsIndexes: Bool
  /// The requests (by number) whose paths may select elements of each element-index list.
  ///
  /// One entry per list of the element index (one list per element name, see
  /// ``ElementIndex/Builder/add(_:)``). Most lists have none, so that most elements cost one
  /// comparison here.
  ///
  /// Flat: the requests of list `n` are `candidateRequests[candidateStarts[n]..<candidateStarts[n + 1]]`.
  @exclusivity(unchecked) var candidateStarts: [Int] = [0]
  @exclusivity(unchecked) var candidateRequests: [Int] = []
  /// Per request: whether it selected the last element checked, of which list and parent.
  ///
  /// Whether a request selects an element depends only on the element's name (its list) and
  /// its parents, so that the siblings of a long list (100 000 facilities) are checked once.
  @exclusivity(unchecked) var lastSelection: [(list: Int, parent: xmlNodePtr?, selected: Bool)] = []
  /// Characters that entity references in content stand for, in total.
  var entityExpansion = 0
  var maxEntityExpansion: Int
  /// Expanded size of each internal entity, by name.
  var entitySizes: [String: Int] = [:]

  struct SiblingKey: Hashable {
    var localName: UInt
    var inNoNamespace: Bool
  }

  /// The same-named siblings seen so far under one element.
  ///
  /// The counts of the last name seen are kept apart, so that a run of same-named siblings (a
  /// list of facilities) costs no hashing.
  struct SiblingCounter {
    /// Children seen so far, of any name.
    var total: UInt32 = 0
    var lastName: UInt = 0
    var lastAny: UInt32 = 0
    var lastNone: UInt32 = 0
    /// The counts of the other names, once there are several: `nil` (no dictionary to create
    /// and release) under most elements.
    var others: [SiblingKey: UInt32]? = nil

    /// The position of the next sibling named `localName` (an interned pointer): among
    /// same-named siblings in any namespace, or among those in no namespace when it has none.
    mutating func next(localName: UInt, inNoNamespace: Bool) -> UInt32 {
      if localName != lastName {
        if lastName != 0 {
          if others == nil { others = [:] }
          others![SiblingKey(localName: lastName, inNoNamespace: false)] = lastAny
          others![SiblingKey(localName: lastName, inNoNamespace: true)] = lastNone
        }
        lastName = localName
        lastAny = others?[SiblingKey(localName: localName, inNoNamespace: false)] ?? 0
        lastNone = others?[SiblingKey(localName: localName, inNoNamespace: true)] ?? 0
      }
      total += 1
      lastAny += 1
      if inNoNamespace {
        lastNone += 1
        return lastNone
      }
      return lastAny
    }
  }

  /// Whether the attribute indexes are built on a thread of their own (see ``IndexingPipeline``).
  let indexingThread: Bool
  /// The indexing thread's pipeline, started at the first element.
  @exclusivity(unchecked) private var pipeline: IndexingPipeline? {
    didSet { pipelineHandle = pipeline.map { Unmanaged.passUnretained($0) } }
  }
  /// ``pipeline``, which keeps it alive, as every element reads it (see ``filterHandle``).
  @exclusivity(unchecked) private var pipelineHandle: Unmanaged<IndexingPipeline>?

  /// The attribute limit, when the input is scanned while it is parsed (``AttributeScanAhead``).
  var scanAheadLimit: Int?
  /// What that scan found: a start tag with too many attributes, before which the input ended.
  var scanExcess: AttributeScan.Excess?
  /// What leaves out the attributes nothing will read (see ``AttributeProjection``), or `nil`
  /// while every attribute is kept: the parser's thread only.
  @exclusivity(unchecked) var attributeFilter: AttributeFilter? {
    didSet { filterHandle = attributeFilter.map { Unmanaged.passUnretained($0) } }
  }
  /// ``attributeFilter``, which keeps it alive, as the start of every element reads it: without a
  /// retain and release each time.
  @exclusivity(unchecked) private(set) var filterHandle: Unmanaged<AttributeFilter>?
  /// Requests still to be named, whose projection applies from the element after: polled at
  /// each element until then; the parser's thread only.
  @exclusivity(unchecked) private var projectionPending: PendingIndexRequests?

  init(
    sourceName: String, maxDepth: Int, maxEntityExpansion: Int, indexing requests: IndexRequests = .known([]),
    keeping projection: AttributeProjection = .all, indexingThread: Bool = false
  ) {
    self.indexingThread = indexingThread
    self.sourceName = sourceName
    self.maxDepth = maxDepth
    self.maxEntityExpansion = maxEntityExpansion
    switch requests {
    case .known(let known):
      indexing = known
      pendingRequests = nil
      collectsIndexes = !known.isEmpty
      attributeFilter = Self.filter(projection, indexing: known)
    case .pending(let pending):
      indexing = []
      pendingRequests = pending
      collectsIndexes = true
      projectionPending = pending
    }
    self.attributeTables = indexing.map { _ in AttributeTable() }
    info.reserveCapacity(1024)
    makeIndexTargets()
    // Observers are not called in an initializer.
    filterHandle = attributeFilter.map { Unmanaged.passUnretained($0) }
  }

  /// The filter that applies `projection`, keeping the attributes `indexing` reads; `nil` when
  /// every attribute is kept.
  private static func filter(_ projection: AttributeProjection, indexing: [AttributeIndexRequest]) -> AttributeFilter? {
    guard !projection.keepsAll else { return nil }
    let kept = projection.union(AttributeProjection(keeping: indexing.map(\.attribute)))
    return kept.keepsAll ? nil : AttributeFilter(kept)
  }

  /// Takes the projection of the pending requests once they are named: from the element about
  /// to start on.
  @inline(__always)
  func takeNamedProjection() {
    guard let pending = projectionPending, pending.isNamed else { return }
    projectionPending = nil
    if !projectionRefused, let (requests, projection) = pending.namedRequests() {
      attributeFilter = Self.filter(projection, indexing: requests)
    }
  }

  /// Set at the first element when the document's internal subset declares entities or
  /// attribute lists: every attribute is then kept.
  ///
  /// Building an attribute node is where libxml2 fills in the text of an entity its value
  /// refers to (a later reference in content would stand for nothing if that attribute were
  /// left out) and registers a DTD-declared ID (a duplicate is an error); the internal subset
  /// is complete before the first start tag.
  @exclusivity(unchecked) private(set) var projectionRefused = false
  @exclusivity(unchecked) private var elementSeen = false

  /// Refuses the projection at the first element of a document whose DTD could make leaving
  /// out an attribute change the tree or the errors (see ``projectionRefused``).
  @inline(__always)
  func checkSubsetBeforeFirstElement(_ ctxt: xmlParserCtxtPtr) {
    guard !elementSeen else { return }
    elementSeen = true
    if let subset = ctxt.pointee.myDoc?.pointee.intSubset,
      subset.pointee.entities != nil || subset.pointee.attributes != nil
    {
      projectionRefused = true
      attributeFilter = nil
      // Elements in entity content are reported where they are referenced.
      if subset.pointee.entities != nil { startTags = nil }
    }
  }

  /// Adds `element` (of element-index list `list`) to the attribute indexes that select it.
  @inline(__always)
  func addToAttributeIndexes(_ element: xmlNodePtr, list: Int) {
    if list == candidateStarts.count - 1 {
      candidateRequests += indexing.indices.filter { request in
        indexing[request].paths.contains { $0.steps.last.map { ElementIndex.matches(element, $0) } ?? false }
      }
      candidateStarts.append(candidateRequests.count)
    }
    if lastSelection.count != indexing.count { lastSelection = indexing.map { _ in (-1, nil, false) } }
    let parent = element.pointee.parent
    for candidate in candidateStarts[list]..<candidateStarts[list + 1] {
      let request = candidateRequests[candidate]
      let last = lastSelection[request]
      let selected: Bool
      if last.list == list, last.parent == parent {
        selected = last.selected
      } else {
        selected = indexing[request].selects(element)
        lastSelection[request] = (list, parent, selected)
      }
      guard selected else { continue }
      indexTargetHandles[request]._withUnsafeGuaranteedRef { target in
        var property = element.pointee.properties
        while let attribute = property {
          if target.attribute.matches(name: attribute.pointee.name, namespace: attribute.pointee.ns) {
            target.table.add(element, valueOf: attribute)
          }
          property = attribute.pointee.next
        }
      }
    }
  }

  /// Calls `body` with the parser context and its builder, borrowed for the call: no retain
  /// and release of the builder at every element; `false` when `context` has no builder.
  @inline(__always)
  static func with(_ context: UnsafeMutableRawPointer?, _ body: (xmlParserCtxtPtr, TreeBuilder) -> Void) -> Bool {
    guard let context else { return false }
    let ctxt = context.assumingMemoryBound(to: xmlParserCtxt.self)
    guard let raw = ctxt.pointee._private else { return false }
    Unmanaged<TreeBuilder>.fromOpaque(raw)._withUnsafeGuaranteedRef { body(ctxt, $0) }
    return true
  }

  static func from(_ context: UnsafeMutableRawPointer?) -> (xmlParserCtxtPtr, TreeBuilder)? {
    guard let context else { return nil }
    let ctxt = context.assumingMemoryBound(to: xmlParserCtxt.self)
    guard let raw = ctxt.pointee._private else { return nil }
    return (ctxt, Unmanaged<TreeBuilder>.fromOpaque(raw).takeUnretainedValue())
  }

  func record(error: xmlError) {
    errors.append(XMLError(libxml: error, fallbackFile: sourceName))
  }

  /// Records where the start tag of the element just created began.
  func elementStarted(
    _ ctxt: xmlParserCtxtPtr, localName: UnsafePointer<xmlChar>?, prefix: UnsafePointer<xmlChar>?,
    namespace: UnsafePointer<xmlChar>?
  ) {
    guard let node = ctxt.pointee.node else { return }
    if siblingCounts.count > maxDepth {
      if limitError == nil {
        let line = Int(ctxt.pointee.input?.pointee.line ?? 0)
        limitError = XMLError(
          kind: .limit, message: "elements are nested deeper than the limit of \(maxDepth) levels",
          location: SourceLocation(file: sourceName, line: line, column: 0))
      }
      xmlStopParser(ctxt)
      return
    }
    // `*:name[n]` counts same-named siblings in every namespace; `name[n]` only those in none.
    let index = siblingCounts[siblingCounts.count - 1].next(
      localName: UInt(bitPattern: localName), inNoNamespace: namespace == nil)
    siblingCounts.append(SiblingCounter())
    let (line, column) = startPosition(ctxt, localName: localName, prefix: prefix)
    info.append(
      ElementInfo(
        line: UInt32(clamping: line), column: UInt32(clamping: column), siblingIndex: index,
        parent: UInt32(truncatingIfNeeded: openElements.last ?? 0)))
    openElements.append(info.count)
    node.pointee._private = UnsafeMutableRawPointer(bitPattern: info.count)
    // What xmlXPathOrderDocElems would store, without its walk over the tree: libxml2 sorts
    // node-sets by this negated document order (elements never use `content` otherwise).
    node.pointee.content = UnsafeMutablePointer(bitPattern: -info.count)
    let list = indexBuilder.add(node)
    if collectsIndexes {
      // A document that declares entities is indexed after the parse (its tables would be
      // dropped, and libxml2 may free entity content it has reported meanwhile).
      if info.count == 1 {
        if ctxt.pointee.myDoc?.pointee.intSubset?.pointee.entities != nil {
          indexing = []
          attributeTables = []
          collectsIndexes = false
        } else if indexingThread {
          // From here on only the pipeline's thread reads `indexing` and writes the tables, until
          // `finishIndexing()`, which the end of the document calls (and `parse` after it).
          // Pending requests are waited for there, before the first element is indexed.
          let pending = pendingRequests
          pipeline = IndexingPipeline(
            before: { [unowned self] in
              guard let pending else { return }
              indexing = pending.wait() ?? []
              attributeTables = indexing.map { _ in AttributeTable() }
            },
            // Unowned and unsafe: no reference counting per element; the builder waits for
            // the pipeline (`finishIndexing`) before it goes.
            { [unowned(unsafe) self] element, list in addToAttributeIndexes(element, list: list) })
        } else if pendingRequests != nil {
          // Nothing to wait for them on: the indexes are built on first use.
          collectsIndexes = false
        }
      }
      if let pipelineHandle {
        pipelineHandle._withUnsafeGuaranteedRef { $0.add(node, list: list) }
      } else if collectsIndexes {
        addToAttributeIndexes(node, list: list)
      }
    }
    // A caller that has given up on the document (``PendingIndexRequests/cancel()``) is
    // noticed every 4 096 elements.
    if info.count & 4095 == 0, let pendingRequests, pendingRequests.isCancelled, limitError == nil {
      limitError = XMLError(
        kind: .cancelled, message: "the parse was cancelled: nothing will check this document",
        location: SourceLocation(file: sourceName, line: Int(line), column: 0))
      xmlStopParser(ctxt)
    }
  }

  deinit { assert(pipeline == nil, "the indexing thread was not waited for") }

  /// Waits for the indexing thread, if any, to index every element handed over.
  func finishIndexing() {
    // Requests not named by now are not waited for (the indexes are built on first use).
    pendingRequests?.abandon()
    pipeline?.finish()
    pipeline = nil
  }

  /// Adds a referenced entity's expanded size to the total; stops the parse past the limit.
  ///
  /// libxml2 keeps such references unexpanded in the
  /// tree, but XPath string values expand them, so a small file could otherwise stand for
  /// gigabytes of text (the "quadratic blow-up").
  func entityReferenced(_ ctxt: xmlParserCtxtPtr, name: String) {
    if let entity = xmlGetDocEntity(ctxt.pointee.myDoc, name),
      entity.pointee.etype == XML_EXTERNAL_GENERAL_PARSED_ENTITY
        || entity.pointee.etype == XML_EXTERNAL_GENERAL_UNPARSED_ENTITY
    {
      let system = entity.pointee.SystemID.map { String(cString: $0) } ?? ""
      let line = Int(ctxt.pointee.input?.pointee.line ?? 0)
      refusals.append(
        XMLError(
          kind: .forbiddenAccess, level: .warning,
          message:
            "the entity &\(name); stands for the external resource '\(system)', which is never loaded: the reference is empty in the checked document",
          location: SourceLocation(file: sourceName, line: line, column: Int(ctxt.pointee.input?.pointee.col ?? 0))))
      return
    }
    var visiting = Set<String>()
    entityExpansion += expandedSize(of: name, document: ctxt.pointee.myDoc, visiting: &visiting)
    guard entityExpansion > maxEntityExpansion, limitError == nil else { return }
    limitError = XMLError(
      kind: .limit,
      message: "entity references expand to more than the limit of \(maxEntityExpansion) characters",
      location: SourceLocation(file: sourceName, line: Int(ctxt.pointee.input?.pointee.line ?? 0), column: 0))
    xmlStopParser(ctxt)
  }

  private func expandedSize(of name: String, document: xmlDocPtr?, visiting: inout Set<String>) -> Int {
    if let known = entitySizes[name] { return known }
    guard let entity = xmlGetDocEntity(document, name), let content = entity.pointee.content,
      visiting.insert(name).inserted
    else { return 0 }
    // Count the replacement text, replacing nested references by their own sizes.
    var size = 0
    var p = content
    while p.pointee != 0 {
      if p.pointee == UInt8(ascii: "&"), p[1] != UInt8(ascii: "#") {
        var q = p + 1
        while q.pointee != 0 && q.pointee != UInt8(ascii: ";") { q += 1 }
        let nested = String(decoding: UnsafeBufferPointer(start: p + 1, count: q - p - 1), as: UTF8.self)
        size += expandedSize(of: nested, document: document, visiting: &visiting)
        if size > maxEntityExpansion { break }
        p = q.pointee == 0 ? q : q + 1
      } else {
        size += 1
        p += 1
      }
    }
    entitySizes[name] = size
    return size
  }

  func elementEnded() {
    guard siblingCounts.count > 1 else { return }
    let counter = siblingCounts.removeLast()
    // The element ending is the innermost open one: its number is on the stack of open
    // elements' numbers.
    if let order = openElements.popLast() {
      info[order - 1].children = counter.total
      info[order - 1].subtreeEnd = UInt32(clamping: info.count)
    }
  }

  /// Whether any byte of `word` equals `byte`.
  @inline(__always)
  static func contains(_ word: UInt64, _ byte: UInt8) -> Bool {
    let v = word ^ (0x0101_0101_0101_0101 &* UInt64(byte))
    return (v &- 0x0101_0101_0101_0101) & ~v & 0x8080_8080_8080_8080 != 0
  }

  /// The line and column of the `<` that opened the current start tag: from ``startTags`` while
  /// its entry is that of the element (at its offset, a `<` and the element's first name
  /// character), else (and from then on) by ``startTagPosition(_:)``.
  @inline(__always)
  private func startPosition(
    _ ctxt: xmlParserCtxtPtr, localName: UnsafePointer<xmlChar>?, prefix: UnsafePointer<xmlChar>?
  ) -> (Int, Int) {
    if let startTags {
      let index = info.count
      if let entry = startTags._withUnsafeGuaranteedRef({ $0.entry(index) }), ctxt == mainContext,
        let original, Int(entry.offset) + 1 < original.count, original[Int(entry.offset)] == UInt8(ascii: "<"),
        let first = prefix ?? localName, original[Int(entry.offset) + 1] == first.pointee
      {
        return (Int(entry.line), Int(entry.column))
      }
      self.startTags = nil
    }
    return startTagPosition(ctxt)
  }

  /// The line and column of the `<` that opened the current start tag.
  ///
  /// libxml2 calls the start-element callback once the whole tag is read, so its cursor is
  /// past the `>`. A `<` cannot occur inside a start tag, so scanning back to the nearest one
  /// finds the tag's beginning; lines and characters crossed are subtracted.
  ///
  /// The scan reads the input as it was given when libxml2 reads it unconverted (no encoder)
  /// from the document itself (not an entity): libxml2 keeps a window of the input in its own
  /// buffer (it is handed the input a chunk at a time, and drops what it has read), so the line
  /// of a tag there could begin before the window does.
  private func startTagPosition(_ ctxt: xmlParserCtxtPtr) -> (Int, Int) {
    guard let input = ctxt.pointee.input, let base = input.pointee.base, let cur = input.pointee.cur else {
      return (0, 0)
    }
    let endLine = Int(input.pointee.line)
    let endColumn = Int(input.pointee.col)
    var start = base
    var p = cur
    // Whether `start` is the beginning of the document (so that reaching it ends line 1): only
    // for the input as given; libxml2's converted buffer may start where an encoding was declared.
    var complete = false
    let offset = Int(input.pointee.consumed) + (cur - base)
    if let original, let first = original.baseAddress, ctxt == mainContext, ctxt.pointee.inputNr == 1,
      input.pointee.buf?.pointee.encoder == nil, offset <= original.count
    {
      start = first
      p = first + offset
      complete = true
      // libxml2 skips a UTF-8 byte-order mark without counting it as a column.
      if original.count >= 3, first[0] == 0xEF, first[1] == 0xBB, first[2] == 0xBF, offset >= 3 { start += 3 }
    }
    var newlines = 0
    var characters = 0
    // Eight bytes at a time while they are ASCII and hold neither '<' nor a newline (most of a
    // tag), then byte by byte.
    while p - start >= 8 {
      let word = UnsafeRawPointer(p - 8).loadUnaligned(as: UInt64.self)
      if word & 0x8080_8080_8080_8080 != 0 || Self.contains(word, UInt8(ascii: "<"))
        || Self.contains(word, UInt8(ascii: "\n"))
      {
        break
      }
      p -= 8
      characters += 8
    }
    while p > start {
      p -= 1
      let byte = p.pointee
      if byte == UInt8(ascii: "<") { break }
      if byte == UInt8(ascii: "\n") { newlines += 1 }
      if byte & 0xC0 != 0x80 { characters += 1 }
    }
    guard p.pointee == UInt8(ascii: "<") else { return (endLine, 0) }
    characters += 1  // the '<' itself
    if newlines == 0 {
      return (endLine, max(1, endColumn - characters))
    }
    // The tag spans lines: count the characters before '<' on its own line.
    var q = p
    var before = 0
    while q > start {
      q -= 1
      if q.pointee == UInt8(ascii: "\n") { return (endLine - newlines, before + 1) }
      if q.pointee & 0xC0 != 0x80 { before += 1 }
    }
    // Reached the document's first byte: the tag starts on line 1.
    return (endLine - newlines, complete ? before + 1 : 0)
  }
}

/// What is left of an input handed to libxml2 by `inputReadHook`.
private struct InputCursor {
  var next: UnsafePointer<UInt8>?
  var remaining: Int
  /// The attribute scan running ahead, whose cleared bytes only are handed over; `nil` when
  /// the input was scanned before the parse.
  var scan: AttributeScanAhead?
  /// Bytes handed over so far.
  var offset = 0
}

/// libxml2's read callback over an ``InputCursor``: copies up to `length` bytes into `buffer`.
private let inputReadHook: xmlInputReadCallback = { context, buffer, length in
  guard let context, let buffer, length > 0 else { return 0 }
  let cursor = context.assumingMemoryBound(to: InputCursor.self)
  var count = min(Int(length), cursor.pointee.remaining)
  if let scan = cursor.pointee.scan, count > 0 {
    // Nothing past what the scan has passed; the input ends before a tag it refused.
    let offset = cursor.pointee.offset
    count = min(count, scan.clearedBytes(beyond: offset) - offset)
  }
  guard count > 0, let next = cursor.pointee.next else { return 0 }
  UnsafeMutableRawPointer(buffer).copyMemory(from: next, byteCount: count)
  cursor.pointee.next = next + count
  cursor.pointee.remaining -= count
  cursor.pointee.offset += count
  return Int32(count)
}

private let parserErrorHook: xmlStructuredErrorFunc = { context, error in
  guard let error, let (_, builder) = TreeBuilder.from(context) else { return }
  builder.record(error: error.pointee)
}

private let startElementHook: startElementNsSAX2Func = {
  context, localName, prefix, uri, nbNamespaces, namespaces, nbAttributes, nbDefaulted, attributes in
  let handled = TreeBuilder.with(context) { ctxt, builder in
    builder.checkSubsetBeforeFirstElement(ctxt)
    builder.takeNamedProjection()
    if nbAttributes > 0, let attributes, let filter = builder.filterHandle {
      filter._withUnsafeGuaranteedRef {
        $0.withKept(attributes, count: Int(nbAttributes), defaulted: Int(nbDefaulted)) { count, defaulted, kept in
          xmlSAX2StartElementNs(
            context, localName, prefix, uri, nbNamespaces, namespaces, count, defaulted, kept)
        }
      }
    } else {
      xmlSAX2StartElementNs(
        context, localName, prefix, uri, nbNamespaces, namespaces, nbAttributes, nbDefaulted, attributes)
    }
    builder.elementStarted(ctxt, localName: localName, prefix: prefix, namespace: uri)
  }
  if !handled {
    xmlSAX2StartElementNs(
      context, localName, prefix, uri, nbNamespaces, namespaces, nbAttributes, nbDefaulted, attributes)
  }
}

private let referenceHook: referenceSAXFunc = { context, name in
  xmlSAX2Reference(context, name)
  guard let name, let (ctxt, builder) = TreeBuilder.from(context) else { return }
  builder.entityReferenced(ctxt, name: String(cString: name))
}

/// The end of the document, reached whether or not it is well-formed: the indexing thread must be
/// done before libxml2 frees the tree of a document that is not (which `xmlCtxtReadIO` does
/// before returning).
private let endDocumentHook: endDocumentSAXFunc = { context in
  if let (_, builder) = TreeBuilder.from(context) { builder.finishIndexing() }
  xmlSAX2EndDocument(context)
}

private let endElementHook: endElementNsSAX2Func = { context, localName, prefix, uri in
  xmlSAX2EndElementNs(context, localName, prefix, uri)
  _ = TreeBuilder.with(context) { _, builder in builder.elementEnded() }
}

extension XMLError {
  /// Translates a libxml2 error record, choosing the kind and a message without libxml2 jargon.
  init(libxml error: xmlError, fallbackFile: String, kind explicitKind: Kind? = nil) {
    var message = error.message.map { String(cString: $0) } ?? "unknown libxml2 error"
    while message.last?.isNewline == true || message.last == " " { message.removeLast() }
    let domain = Int(error.domain)
    let code = Int(error.code)
    var kind: Kind = explicitKind ?? .syntax
    if explicitKind == nil {
      switch UInt32(error.code) {
      case XML_ERR_INVALID_CHAR.rawValue, XML_ERR_INVALID_ENCODING.rawValue,
        XML_ERR_UNSUPPORTED_ENCODING.rawValue, XML_ERR_UNKNOWN_ENCODING.rawValue,
        XML_ERR_ENCODING_NAME.rawValue, XML_I18N_CONV_FAILED.rawValue:
        kind = .encoding
      case XML_ERR_ENTITY_LOOP.rawValue:
        kind = .limit
        message = "entity expansion exceeds the safety limit (entity loop or exponential expansion): \(message)"
      case XML_IO_NETWORK_ATTEMPT.rawValue, XML_ERR_EXT_ENTITY_STANDALONE.rawValue:
        kind = .forbiddenAccess
      default:
        if error.domain == Int32(XML_FROM_IO.rawValue) { kind = .forbiddenAccess }
      }
      if message.contains("Excessive depth in document") {
        kind = .limit
        message = "elements are nested deeper than the limit of \(ParseLimits.depthCeiling) levels"
      } else if message.contains("too long") || message.contains("Huge input lookup")
        || message.contains("Maximum entity amplification")
      {
        kind = .limit
        message = message.replacingOccurrences(of: " use XML_PARSE_HUGE option", with: "")
        message += " (the value exceeds the parser's size limit)"
      } else if message.hasPrefix("Input is not proper UTF-8") || message.contains("encoding error") {
        kind = .encoding
      }
    }
    let level: Level =
      switch error.level {
      case XML_ERR_WARNING: .warning
      case XML_ERR_FATAL: .fatal
      default: .error
      }
    let file = error.file.map { String(cString: $0) }
    self.init(
      kind: kind, level: level, message: message,
      location: SourceLocation(
        file: explicitKind == .schema && file?.isEmpty == false ? file! : fallbackFile,
        line: Int(error.line), column: Int(error.int2)),
      domain: domain, code: code)
  }
}
