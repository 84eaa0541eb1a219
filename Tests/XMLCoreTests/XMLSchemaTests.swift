import Foundation
import Testing
import XMLCore

@Suite("XML Schema validation")
struct XMLSchemaTests {
  @Test func validDocumentHasNoErrors() throws {
    let schema = try XMLSchema(contentsOfFile: fixture("schema.xsd"))
    #expect(schema.validate(try parseFixture("valid.xml")).isEmpty)
  }

  @Test func everyViolationWithLineColumnAndPath() throws {
    let schema = try XMLSchema(contentsOfFile: fixture("schema.xsd"))
    let errors = schema.validate(try parseFixture("invalid.xml"))
    #expect(errors.count >= 4)
    #expect(errors.allSatisfy { $0.kind == .validation })
    #expect(errors.allSatisfy { $0.location.file.hasSuffix("invalid.xml") })
    let lines = errors.map(\.location.line)
    #expect(lines.contains(4))
    #expect(lines.contains(5))
    let fourth = errors.filter { $0.location.line == 4 }
    #expect(fourth.allSatisfy { $0.location.column == 3 })
    #expect(fourth.contains { $0.message.contains("volcano") })
    #expect(fourth.contains { $0.message.contains("2021-13-45") })
    #expect(fourth.contains { $0.message.contains("id") })
    #expect(fourth.first?.nodePath == "/*:declaration[1]/*:facility[2]")
    #expect(errors.first { $0.location.line == 5 }?.message.contains("surprise") == true)
  }

  @Test func schemaCanBeSharedAcrossThreads() async throws {
    let schema = try XMLSchema(contentsOfFile: fixture("schema.xsd"))
    let counts = try await withThrowingTaskGroup(of: Int.self) { group in
      for _ in 0..<16 {
        group.addTask { schema.validate(try parseFixture("invalid.xml")).count }
      }
      return try await group.reduce(into: [Int]()) { $0.append($1) }
    }
    #expect(Set(counts).count == 1)
  }

  @Test func includeOutsideTheSchemaDirectoryIsRefused() throws {
    let error = try #require(xmlError { _ = try XMLSchema(contentsOfFile: fixture("schema-escaping.xsd")) })
    #expect(error.kind == .schema)
    #expect(!error.message.contains("root:"))
  }

  @Test func brokenSchemaIsAClearError() throws {
    let text = """
      <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
        <xs:element name="a" type="nosuch"/>
      </xs:schema>
      """
    let error = try #require(
      xmlError { _ = try XMLSchema(bytes: Array(text.utf8), sourceName: "broken.xsd", baseURL: nil) })
    #expect(error.kind == .schema)
    #expect(error.location.line == 2)
    #expect(error.message.contains("nosuch"))
  }
}

@Suite("XSD validation that only reads")
struct ValidationOnlyReadsTests {
  static func schema(_ body: String, prefix: String = "xs") throws -> XMLSchema {
    let text = """
      <\(prefix):schema xmlns:\(prefix)="http://www.w3.org/2001/XMLSchema">\(body)</\(prefix):schema>
      """
    return try XMLSchema(bytes: Array(text.utf8), sourceName: "t.xsd", baseURL: nil)
  }

  @Test func schemasThatNameNoWritingTypeOnlyRead() throws {
    #expect(try Self.schema(#"<xs:element name="a" type="xs:string"/>"#).validationOnlyReads)
    // The declaration schema (checked alongside the packs) is in CheckerTests; this fixture
    // includes another file, whose types are not read: conservatively, no.
    #expect(try !XMLSchema(contentsOfFile: fixture("schema.xsd")).validationOnlyReads)
  }

  @Test(arguments: [
    #"<xs:element name="a"><xs:complexType><xs:attribute name="id" type="xs:ID"/></xs:complexType></xs:element>"#,
    #"<xs:simpleType name="ref"><xs:restriction base="xs:IDREF"/></xs:simpleType>"#,
    #"<xs:simpleType name="refs"><xs:list itemType="xs:IDREF"/></xs:simpleType>"#,
    #"<xs:simpleType name="u"><xs:union memberTypes="xs:string xs:ENTITY"/></xs:simpleType>"#,
    #"<xs:element name="q" type="xs:QName"/>"#,
    #"<xs:element name="n" type="xs:NOTATION"/>"#,
    #"<xs:simpleType name="e"><xs:restriction base="xs:ENTITIES"/></xs:simpleType>"#,
    #"<xs:attribute name="r" type="xs:IDREFS"/>"#,
    #"<xs:import namespace="urn:other"/>"#,
  ])
  func schemasThatMayWriteIntoTheDocumentDoNot(body: String) throws {
    #expect(try !Self.schema(body).validationOnlyReads)
  }

  @Test func theTypeIsRecognisedWithTheSchemaNamespaceAsDefault() throws {
    let text = #"<schema xmlns="http://www.w3.org/2001/XMLSchema"><attribute name="id" type="ID"/></schema>"#
    #expect(try !XMLSchema(bytes: Array(text.utf8), sourceName: "d.xsd", baseURL: nil).validationOnlyReads)
  }

  @Test func theTypeIsRecognisedUnderAnyPrefix() throws {
    let body =
      #"<xsd:element name="a"><xsd:complexType><xsd:attribute name="id" type="xsd:ID"/></xsd:complexType></xsd:element>"#
    #expect(try !Self.schema(body, prefix: "xsd").validationOnlyReads)
  }
}
