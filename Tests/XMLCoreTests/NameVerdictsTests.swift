import Testing

@testable import XMLCore

/// The one cache of name verdicts behind path steps, native attribute tests and the parse's
/// attribute projection: it must give the verdict the strings give, whatever it remembers.
@Suite("Name verdicts")
struct NameVerdictsTests {
  /// C strings that live for the test, each at an address of its own.
  final class Strings {
    private var storage: [UnsafeMutablePointer<UInt8>] = []
    func make(_ text: String) -> UnsafePointer<UInt8> {
      let bytes = Array(text.utf8) + [0]
      let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: bytes.count)
      pointer.initialize(from: bytes, count: bytes.count)
      storage.append(pointer)
      return UnsafePointer(pointer)
    }
    deinit { for pointer in storage { pointer.deallocate() } }
  }

  static func text(_ pointer: UnsafePointer<UInt8>?) -> String? { pointer.map { String(cString: $0) } }

  @Test func aPairIsDecidedOnceAndThenAnsweredFromMemory() {
    let strings = Strings()
    let verdicts = NameVerdicts(slots: 16)
    let name = strings.make("facility")
    let uri = strings.make("urn:normcheck:declaration:1")
    var decisions = 0
    func ask(_ name: UnsafePointer<UInt8>?, _ uri: UnsafePointer<UInt8>?) -> Bool {
      verdicts.verdict(name, uri) { name, uri in
        decisions += 1
        return Self.text(name) == "facility" && Self.text(uri) == "urn:normcheck:declaration:1"
      }
    }
    #expect(ask(name, uri))
    #expect(ask(name, uri))
    #expect(decisions == 1)
    // The same name in no namespace is another pair, with its own verdict.
    #expect(!ask(name, nil))
    #expect(!ask(name, nil))
    #expect(decisions == 2)
    // The same strings at other addresses are other pairs: decided again, alike.
    #expect(ask(strings.make("facility"), strings.make("urn:normcheck:declaration:1")))
    #expect(decisions == 3)
  }

  @Test func pastHalfTheSlotsPairsAreDecidedEveryTimeAndStillRight() {
    let strings = Strings()
    let verdicts = NameVerdicts(slots: 8)
    let names = (0..<40).map { strings.make("n\($0)") }
    var decisions = 0
    func ask(_ index: Int) -> Bool {
      verdicts.verdict(names[index], nil) { name, _ in
        decisions += 1
        return Self.text(name)!.dropFirst().utf8.last! % 2 == 0
      }
    }
    for index in names.indices { #expect(ask(index) == (index % 10 % 2 == 0)) }
    #expect(decisions == 40)
    // Four remembered (half of eight slots); the other 36 are decided again.
    for index in names.indices { #expect(ask(index) == (index % 10 % 2 == 0)) }
    #expect(decisions == 40 + 36)
  }

  @Test func manyPairsAgreeWithTheStringsWhateverTheProbes() {
    let strings = Strings()
    let verdicts = NameVerdicts(slots: 1024)
    let names = (0..<300).map { strings.make("name\($0)") }
    let uris: [UnsafePointer<UInt8>?] = [nil, strings.make("urn:a"), strings.make("urn:b")]
    func truth(_ name: String?, _ uri: String?) -> Bool { (name!.count + (uri?.count ?? 0)) % 3 == 0 }
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20_000 {
      let name = names.randomElement(using: &generator)!
      let uri = uris.randomElement(using: &generator)!
      let verdict = verdicts.verdict(name, uri) { truth(Self.text($0), Self.text($1)) }
      #expect(verdict == truth(Self.text(name), Self.text(uri)))
    }
  }

  @Test func aPathStepMatchesByNameAndNamespaceInARealTree() throws {
    // Two declarations of the same namespace give two URI pointers; the verdicts must agree.
    let xml = """
      <r xmlns="urn:x"><a/><b xmlns="urn:x"><a/></b><c xmlns="urn:y"><a/></c><a xmlns=""/></r>
      """
    let document = try Document(bytes: Array(xml.utf8), sourceName: "<memory>")
    let anywhere = ElementPath(absolute: false, steps: [.init(namespace: "urn:x", localName: "a")])
    let selected = document.select(anywhere) { _, _ in true }
    #expect(selected.count == 2)
    #expect(selected.allSatisfy { $0.localName == "a" && $0.namespaceURI == "urn:x" })
    let inNoNamespace = ElementPath(absolute: false, steps: [.init(namespace: nil, localName: "a")])
    #expect(document.select(inNoNamespace) { _, _ in true }.count == 1)
    let underB = ElementPath(
      absolute: true,
      steps: [
        .init(namespace: "urn:x", localName: "r"), .init(namespace: "urn:x", localName: "b"),
        .init(namespace: "urn:x", localName: "a"),
      ])
    #expect(document.select(underB) { _, _ in true }.count == 1)
  }
}
