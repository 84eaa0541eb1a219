internal import CLibXML2
import Foundation

/// Whether the C string `text` (`nil`: empty) spells exactly `bytes`, without allocating.
///
/// Passing a Swift `String` where libxml2 wants a `const xmlChar *` copies it into a new C string
/// on every call; hot paths compare with this instead. A NUL in `text` ends it: it is never read
/// past its terminator.
@inline(__always)
func cStringEquals(_ text: UnsafePointer<xmlChar>?, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
  guard let text else { return bytes.isEmpty }
  for index in 0..<bytes.count where text[index] != bytes[index] || text[index] == 0 { return false }
  return text[bytes.count] == 0
}

/// The single text child of an attribute (`node` may be an `xmlAttr` seen as a node), which
/// holds its whole value in place; `nil` when it has no child, or several (entity references):
/// its value must then be put together by libxml2.
@inline(__always)
func singleTextChild(of node: UnsafeMutableRawPointer) -> xmlNodePtr? {
  let attribute = node.assumingMemoryBound(to: xmlAttr.self)
  guard let text = attribute.pointee.children, text.pointee.next == nil, text.pointee.type == XML_TEXT_NODE else {
    return nil
  }
  return text
}

/// The number of bytes before the terminating NUL of `text`.
@inline(__always)
func cStringLength(_ text: UnsafePointer<xmlChar>) -> Int {
  strlen(UnsafeRawPointer(text).assumingMemoryBound(to: CChar.self))
}

/// Whether the C string `text` spells exactly `string` (see the other overload).
@inline(__always)
func cStringEquals(_ text: UnsafePointer<xmlChar>?, _ string: String) -> Bool {
  string.withUTF8Bytes { cStringEquals(text, $0) }
}

extension String {
  /// Calls `body` with the string's UTF-8 bytes, contiguous and without copying a native string.
  @inline(__always)
  func withUTF8Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    var copy = self
    return try copy.withUTF8(body)
  }
}

/// Process-wide libxml2 set-up.
///
/// The only place that touches libxml2's global state.
///
/// - `xmlInitParser()` runs exactly once, before any concurrent use.
/// - The external entity loader is replaced by ``refusingEntityLoader``, which never opens a
/// URL and only opens a local file while the calling thread holds an explicit grant
/// (an XML Schema loading its own `xs:include`s, see ``LibXML2/withLocalFileGrant(root:_:)``).
/// - Every thread that uses XMLCore gets a silent generic error handler, so that libxml2
/// never prints to standard error on its own.
enum LibXML2 {
  private static let initialized: Bool = {
    ParseArena.install()
    xmlInitParser()
    // `<?oasis-xml-catalog?>` processing instructions are ignored: they would have libxml2 set
    // up its global catalog (in a parse's arena), and nothing is ever looked up in one.
    xmlCatalogSetDefaults(XML_CATA_ALLOW_NONE)
    xmlSetExternalEntityLoader(refusingEntityLoader)
    return true
  }()

  /// Makes sure libxml2 is initialised and the calling thread is silenced.
  @inline(__always)
  static func ensureReady() {
    _ = initialized
    ThreadState.current.silenceIfNeeded()
  }

  /// Runs `body` while the calling thread may read local files below `root` through libxml2's entity loader.
  ///
  /// Used only for XML Schema includes and imports.
  static func withLocalFileGrant<R>(root: URL, _ body: () throws -> R) rethrows -> R {
    let state = ThreadState.current
    let previous = state.fileGrantRoot
    state.fileGrantRoot = root.standardizedFileURL.resolvingSymlinksInPath().path
    defer { state.fileGrantRoot = previous }
    return try body()
  }

  /// The last refusal made by the entity loader on this thread, for error messages.
  static func takeLastRefusal() -> String? {
    let state = ThreadState.current
    defer { state.lastRefusal = nil }
    return state.lastRefusal
  }

  static func noteRefusal(_ message: String) {
    ThreadState.current.lastRefusal = message
  }

  static func grantedRoot() -> String? { ThreadState.current.fileGrantRoot }

  nonisolated(unsafe) static let devNull: UnsafeMutableRawPointer? = fopen("/dev/null", "w").map {
    UnsafeMutableRawPointer($0)
  }
  nonisolated(unsafe) static let fprintfSymbol: OpaquePointer? = dlsym(
    UnsafeMutableRawPointer(bitPattern: 0), "fprintf"
  ).map { OpaquePointer($0) }

  /// Frees memory that libxml2 allocated and handed to us, through libxml2's `xmlFree`
  /// (``ParseArena`` replaces `free`).
  static func free(_ pointer: UnsafeMutableRawPointer?) {
    freeLibXML2Block(pointer)
  }
}

/// Per-thread state kept in thread-local storage (libxml2's own globals are per thread too).
final class ThreadState {
  var silenced = false
  var fileGrantRoot: String?
  var lastRefusal: String?

  private static let key: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { raw in
      if let raw { Unmanaged<ThreadState>.fromOpaque(raw).release() }
    }
    return key
  }()

  static var current: ThreadState {
    if let raw = pthread_getspecific(key) {
      return Unmanaged<ThreadState>.fromOpaque(raw).takeUnretainedValue()
    }
    let state = ThreadState()
    pthread_setspecific(key, Unmanaged.passRetained(state).toOpaque())
    return state
  }

  func silenceIfNeeded() {
    guard !silenced else { return }
    silenced = true
    // Anything libxml2 reports outside a context we capture is dropped rather than printed.
    // The generic handler is variadic, which Swift cannot implement; fprintf into /dev/null
    // has the right shape and discards the text.
    if let devNull = LibXML2.devNull, let fprintf = LibXML2.fprintfSymbol {
      xmlSetGenericErrorFunc(devNull, fprintf)
    }
    xmlSetStructuredErrorFunc(nil, silentStructuredError)
  }
}

private func silentStructuredError(_ context: UnsafeMutableRawPointer?, _ error: xmlErrorPtr?) {}

/// The replacement for libxml2's external entity loader.
///
/// Network URLs are always refused. A local file is opened only while the calling thread
/// holds a grant and the file's resolved path lies inside the granted directory; anything
/// else is refused and the refusal recorded, so the caller can name it in its error.
private func refusingEntityLoader(
  _ url: UnsafePointer<CChar>?, _ id: UnsafePointer<CChar>?, _ context: xmlParserCtxtPtr?
) -> xmlParserInputPtr? {
  let requested = url.map { String(cString: $0) } ?? (id.map { String(cString: $0) } ?? "")
  guard let root = LibXML2.grantedRoot() else {
    LibXML2.noteRefusal("loading of external resource '\(requested)' is disabled")
    return nil
  }
  let path: String
  if let parsed = URL(string: requested), let scheme = parsed.scheme?.lowercased(), scheme.count > 1 {
    guard scheme == "file" else {
      LibXML2.noteRefusal("network access to '\(requested)' is disabled")
      return nil
    }
    path = parsed.path
  } else {
    path = requested
  }
  let resolved = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
  guard resolved == root || resolved.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
    LibXML2.noteRefusal("'\(requested)' lies outside '\(root)' and is not read")
    return nil
  }
  return resolved.withCString { xmlNewInputFromFile(context, $0) }
}
