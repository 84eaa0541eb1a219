import Foundation
import Schematron
import TestSupport
import Testing
import XMLCore

/// XSLT, EXSLT and normcheck functions evaluated through a schema, as rules use them.
@Suite("Functions")
struct FunctionTests {
  static let packDirectory = URL(fileURLWithPath: Fixture.path("functions/pack"))
  static let canaryContent = "CANARY-5c1d-outside-the-pack"

  // MARK: XSLT

  @Test func currentIsTheRuleContextNode() throws {
    let xml = "<doc><item id='a'/><item id='b'/><ref to='a'/><ref to='a'/><ref to='b'/></doc>"
    #expect(try values(of: "count(//ref[@to = current()/@id])", context: "item", in: xml) == ["2", "1"])
    // Outside a predicate current() is the context node itself.
    #expect(try values(of: "name(current())", context: "ref[1]", in: xml) == ["ref"])
  }

  @Test func keyWithStringAndNodeSetArguments() throws {
    let extra = "<xsl:key name='byId' match='item' use='@id'/>"
    let xml = """
      <doc><item id="a" label="Alpha"/><item id="b" label="Bravo"/><item id="c" label="Charlie"/>
      <ref to="a"/><ref to="c"/><ref to="z"/><extra to="a"/></doc>
      """
    #expect(try value(of: "key('byId', 'b')/@label", in: xml, extra: extra) == "Bravo")
    #expect(try value(of: "count(key('byId', 'z'))", in: xml, extra: extra) == "0")
    // A node-set argument looks up every node's value; the result has no duplicates, in document order.
    #expect(try value(of: "count(key('byId', //ref/@to))", in: xml, extra: extra) == "2")
    #expect(try value(of: "count(key('byId', //ref/@to | //extra/@to))", in: xml, extra: extra) == "2")
    #expect(try value(of: "key('byId', //ref/@to)[2]/@label", in: xml, extra: extra) == "Charlie")
    // In a rule: each ref checked against the key.
    #expect(
      try values(of: "count(key('byId', @to))", context: "ref", in: xml, extra: extra) == ["1", "1", "0"])
  }

  @Test func documentReadsInsideThePackDirectory() throws {
    let options = CompiledSchema.Options(packDirectory: Self.packDirectory)
    #expect(try value(of: "document('tables/codes.xml')//code[@id='B']", options: options) == "Bravo")
    #expect(try value(of: "count(document('tables/codes.xml')//code)", options: options) == "2")
    let xml = "<doc><src>tables/codes.xml</src></doc>"
    #expect(try value(of: "document(src)//code[1]", in: xml, options: options) == "Alpha")
    #expect(try value(of: "document('./tables/../tables/codes.xml')//code[2]", options: options) == "Bravo")
  }

  @Test(arguments: [
    "../canary.xml", "tables/../../canary.xml", "/etc/passwd", "file:///etc/passwd", "http://example.org/codes.xml",
    "https://example.org/codes.xml", Fixture.path("functions/canary.xml"),
  ])
  func documentOutsideThePackIsAFailureAndNeverRead(uri: String) throws {
    let options = CompiledSchema.Options(packDirectory: Self.packDirectory)
    let result = try evaluateInline("string(document('\(uri)'))", options: options)
    #expect(result.failures.count == 1, "\(result.failures)")
    let failure = try #require(result.failures.first)
    #expect(failure.expression == "string(document('\(uri)'))")
    #expect(failure.assertionID == "value")
    #expect(failure.message.contains("document('\(uri)')"), "\(failure.message)")
    #expect(!allText(result).contains(Self.canaryContent))
    #expect(!allText(result).contains("root:x:0:0"))
  }

  @Test func documentFromASchemaFileReadsBesideTheSchema() throws {
    // CompiledSchema.load makes the schema's directory the pack directory.
    let schema = try Fixture.compile("functions/pack/lookup.sch")
    let document = try Document(string: "<doc><use code='A'/><use code='Q'/></doc>", sourceName: "uses.xml")
    let result = Evaluator(schema).validate(document)
    #expect(
      result.findings.map { "\($0.assertionID ?? "-"): \($0.text)" } == [
        "code-name: Alpha", "known-code: unknown code Q",
      ])
    // The escaping document() fails for each node; the other assertions of the rule still ran.
    #expect(result.failures.map(\.assertionID) == ["escape", "escape"])
    #expect(result.failures.allSatisfy { $0.expression == "count(document('../canary.xml')) = 0" })
    #expect(!allText(result).contains(Self.canaryContent))
  }

  @Test func documentThroughASymlinkOutOfThePackIsRefused() throws {
    let directory = try Fixtures.makeTemporaryDirectory()
    defer { Fixtures.removeTemporaryDirectory(directory) }
    let pack = directory.appendingPathComponent("pack")
    try FileManager.default.createDirectory(at: pack, withIntermediateDirectories: true)
    let secret = directory.appendingPathComponent("secret.xml")
    try "<s>\(Self.canaryContent)</s>".write(to: secret, atomically: true, encoding: .utf8)
    try FileManager.default.createSymbolicLink(
      at: pack.appendingPathComponent("link.xml"), withDestinationURL: secret)
    try "<ok>inside</ok>".write(to: pack.appendingPathComponent("ok.xml"), atomically: true, encoding: .utf8)
    let options = CompiledSchema.Options(packDirectory: pack)
    #expect(try value(of: "string(document('ok.xml'))", options: options) == "inside")
    let result = try evaluateInline("string(document('link.xml'))", options: options)
    #expect(result.failures.count == 1)
    #expect(result.failures.first?.message.contains("outside the pack directory") == true)
    #expect(!allText(result).contains(Self.canaryContent))
  }

  @Test func documentOfAMissingFileIsAFailure() throws {
    let options = CompiledSchema.Options(packDirectory: Self.packDirectory)
    let result = try evaluateInline("count(document('tables/none.xml'))", options: options)
    #expect(result.failures.count == 1)
    #expect(result.failures.first?.message.contains("tables/none.xml") == true)
    // Without a pack directory nothing can be read.
    let unrooted = try evaluateInline("count(document('tables/codes.xml'))")
    #expect(unrooted.failures.count == 1)
  }

  @Test func generateIDIsStableAcrossRuns() throws {
    let xml = "<doc><item/><item><sub/></item></doc>"
    let expression =
      "concat(generate-id(), ' ', generate-id(/*), ' ', generate-id(item[2]/sub), ' ', generate-id(item[1]))"
    let first = try value(of: expression, in: xml)
    let second = try value(of: expression, in: xml)
    #expect(first == second)
    let ids = first.split(separator: " ").map(String.init)
    #expect(ids.count == 4)
    #expect(ids[0] == ids[1])
    #expect(Set(ids).count == 3)
    // Usable as XML names.
    #expect(ids.allSatisfy { $0.first?.isLetter == true && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } })
  }

  @Test func functionAvailable() throws {
    #expect(try value(of: "function-available('nc:is-date')") == "true")
    #expect(try value(of: "function-available('regexp:test')") == "true")
    #expect(try value(of: "function-available('concat')") == "true")
    #expect(try value(of: "function-available('nc:no-such')") == "false")
    #expect(try value(of: "function-available('undeclared:is-date')") == "false")
  }

  // MARK: EXSLT

  static let exsltCases: [(String, String)] = [
    ("regexp:test('abc123', '[0-9]+')", "true"),
    ("regexp:test('ABC', '^abc$')", "false"),
    ("regexp:test('ABC', '^abc$', 'i')", "true"),
    ("regexp:replace('a-b-c', '-', 'g', '+')", "a+b+c"),
    ("regexp:replace('a-b-c', '-', '', '+')", "a+b-c"),
    ("regexp:replace('Hello World', 'o', 'gi', '0')", "Hell0 W0rld"),
    ("count(regexp:match('2024-05-06', '(\\d+)-(\\d+)-(\\d+)'))", "4"),
    ("regexp:match('on 2024-05-06', '(\\d+)-(\\d+)-(\\d+)')[1]", "2024-05-06"),
    ("regexp:match('2024-05-06', '(\\d+)-(\\d+)-(\\d+)')[3]", "05"),
    ("count(regexp:match('a1b22c333', '\\d+', 'g'))", "3"),
    ("regexp:match('a1b22c333', '\\d+', 'g')[3]", "333"),
    ("count(regexp:match('abc', '\\d'))", "0"),
    ("count(str:tokenize('a,b;;c', ',;'))", "3"),
    ("str:tokenize('a,b;;c', ',;')[3]", "c"),
    ("count(str:tokenize('  x \n y '))", "2"),
    ("count(str:tokenize('abc', ''))", "3"),
    ("count(str:split('a, b, c', ', '))", "3"),
    ("str:split('a, b, c', ', ')[2]", "b"),
    ("count(str:split('abc', ''))", "3"),
    ("str:concat(str:split('a b c'))", "abc"),
    ("count(set:distinct(//v))", "3"),
    ("str:concat(set:distinct(//v))", "123"),
    ("math:min(//v)", "1"),
    ("math:max(//v)", "3"),
    ("math:max(//none)", "NaN"),
    ("math:min(//v | //w)", "NaN"),
  ]

  @Test(arguments: exsltCases)
  func exslt(expression: String, expected: String) throws {
    let xml = "<doc><v>1</v><v>2</v><v>1</v><v>3</v><v>2</v><w>x</w></doc>"
    #expect(try value(of: expression, in: xml) == expected)
  }

  @Test func invalidRegularExpressionIsAFailure() throws {
    let result = try evaluateInline("regexp:test('a', '(')")
    #expect(result.failures.count == 1)
    #expect(result.failures.first?.message.contains("invalid regular expression") == true)
    let flags = try evaluateInline("regexp:test('a', 'a', 'q')")
    #expect(flags.failures.first?.message.contains("unknown regular expression flag 'q'") == true)
  }

  // MARK: normcheck functions

  static let normcheckCases: [(String, String)] = [
    // is-date
    ("nc:is-date('2024-05-06')", "true"),
    ("nc:is-date('2024-13-01')", "false"),
    ("nc:is-date('2024-00-10')", "false"),
    ("nc:is-date('2024-04-31')", "false"),
    ("nc:is-date('2024-04-30')", "true"),
    ("nc:is-date('2024-01-00')", "false"),
    ("nc:is-date('2024-02-29')", "true"),
    ("nc:is-date('2023-02-29')", "false"),
    ("nc:is-date('1900-02-29')", "false"),
    ("nc:is-date('2000-02-29')", "true"),
    ("nc:is-date('2024-05-06Z')", "true"),
    ("nc:is-date('2024-05-06+02:00')", "true"),
    ("nc:is-date('2024-05-06-05:00')", "true"),
    ("nc:is-date('2024-05-06+2:00')", "false"),
    ("nc:is-date('2024-05-06T10:20:30')", "true"),
    ("nc:is-date('2024-05-06T10:20:30.125Z')", "true"),
    ("nc:is-date('2024-05-06T23:59:59-05:00')", "true"),
    ("nc:is-date('2024-05-06T10:20')", "false"),
    ("nc:is-date('2024-05-06T25:00:00')", "false"),
    ("nc:is-date('2024-05-06T10:60:00')", "false"),
    ("nc:is-date('2024-05-06T10:20:61')", "false"),
    ("nc:is-date('2024-05-06+15:00')", "false"),
    ("nc:is-date('2024-05-06T10:20:30+01:75')", "false"),
    ("nc:is-date('2024-5-6')", "false"),
    ("nc:is-date('06.05.2024')", "false"),
    ("nc:is-date('')", "false"),
    ("nc:is-date(' 2024-05-06 ')", "true"),
    // days-between
    ("nc:days-between('2024-01-01', '2024-01-31')", "30"),
    ("nc:days-between('2024-01-31', '2024-01-01')", "-30"),
    ("nc:days-between('2023-12-31', '2024-01-01')", "1"),
    ("nc:days-between('2023-03-01', '2024-03-01')", "366"),
    ("nc:days-between('2022-03-01', '2023-03-01')", "365"),
    ("nc:days-between('2024-01-01T23:00:00Z', '2024-01-02')", "1"),
    ("nc:days-between('2024-01-01', 'soon')", "NaN"),
    // add-days
    ("nc:add-days('2024-02-28', 1)", "2024-02-29"),
    ("nc:add-days('2023-02-28', 1)", "2023-03-01"),
    ("nc:add-days('2023-12-31', 1)", "2024-01-01"),
    ("nc:add-days('2024-03-01', -1)", "2024-02-29"),
    ("nc:add-days('2024-01-01', 366)", "2025-01-01"),
    ("nc:add-days('2024-01-01', 'x')", ""),
    ("nc:add-days('later', 1)", ""),
    ("nc:add-days('2024-01-01', 1 div 0)", ""),
    ("nc:add-days('2024-01-01', 99999999999999999999999)", ""),
    ("nc:add-days('2024-01-01', -99999999999999999999999)", ""),
    ("nc:add-days('9999-12-31', 1)", ""),
    // first-non-empty
    ("nc:first-non-empty('', @missing, 'x', 'y')", "x"),
    ("nc:first-non-empty(@missing, '')", ""),
    ("nc:first-non-empty('only')", "only"),
    // matches: the whole string
    ("nc:matches('abc123', '[a-z]+\\d+')", "true"),
    ("nc:matches('abc123x', '[a-z]+\\d+')", "false"),
    ("nc:matches('xabc123', '[a-z]{3}\\d+')", "false"),
    ("nc:matches('ab', 'a|ab')", "true"),
    ("nc:matches('ABC', 'abc', 'i')", "true"),
    ("nc:matches('ABC', 'abc')", "false"),
    // is-email
    ("nc:is-email('a.b@example.org')", "true"),
    ("nc:is-email(\"o'brien+tag@mail.example.co.uk\")", "true"),
    ("nc:is-email('x@xn--bcher-kva.ch')", "true"),
    ("nc:is-email('a@b')", "false"),
    ("nc:is-email('a..b@example.org')", "false"),
    ("nc:is-email('.a@example.org')", "false"),
    ("nc:is-email('a@example')", "false"),
    ("nc:is-email('a b@example.org')", "false"),
    ("nc:is-email('@example.org')", "false"),
    ("nc:is-email('a@-example.org')", "false"),
    ("nc:is-email('a@example.c')", "false"),
    ("nc:is-email('a@@example.org')", "false"),
    ("nc:is-email(' a@example.org')", "false"),
    // is-e164
    ("nc:is-e164('+41 22 917 12 34')", "true"),
    ("nc:is-e164('+41229171234')", "true"),
    ("nc:is-e164('+41-22.917-12-34')", "true"),
    ("nc:is-e164('0041 22 917 12 34')", "false"),
    ("nc:is-e164('+041 22 917 12 34')", "false"),
    ("nc:is-e164('+0 22 917 12 34')", "false"),
    ("nc:is-e164('+123456789012345')", "true"),
    ("nc:is-e164('+1234567890123456')", "false"),
    ("nc:is-e164('+41  22 917')", "false"),
    ("nc:is-e164('+ 41 22')", "false"),
    ("nc:is-e164('+41 22 ')", "true"),
    ("nc:is-e164('+41 22-')", "false"),
    ("nc:is-e164('+4')", "false"),
    ("nc:is-e164('+41 (22) 917')", "false"),
    // is-country-code
    ("nc:is-country-code('CH')", "true"),
    ("nc:is-country-code('CHE')", "true"),
    ("nc:is-country-code('XA')", "false"),
    ("nc:is-country-code('ch')", "false"),
    ("nc:is-country-code('C')", "false"),
    ("nc:is-country-code('XK')", "false"),
    // country-code-status
    ("nc:country-code-status('CH')", "assigned"),
    ("nc:country-code-status('CHE')", "assigned"),
    ("nc:country-code-status('QA')", "assigned"),
    ("nc:country-code-status('XA')", "user-assigned"),
    ("nc:country-code-status('XZ')", "user-assigned"),
    ("nc:country-code-status('QM')", "user-assigned"),
    ("nc:country-code-status('QZ')", "user-assigned"),
    ("nc:country-code-status('AA')", "user-assigned"),
    ("nc:country-code-status('ZZ')", "user-assigned"),
    ("nc:country-code-status('AAA')", "user-assigned"),
    ("nc:country-code-status('AAZ')", "user-assigned"),
    ("nc:country-code-status('QMA')", "user-assigned"),
    ("nc:country-code-status('XXX')", "user-assigned"),
    ("nc:country-code-status('ZZZ')", "user-assigned"),
    ("nc:country-code-status('QL')", "invalid"),
    ("nc:country-code-status('QB')", "invalid"),
    ("nc:country-code-status('AB')", "invalid"),
    ("nc:country-code-status('ZY')", "invalid"),
    ("nc:country-code-status('ABA')", "invalid"),
    ("nc:country-code-status('zz')", "invalid"),
    ("nc:country-code-status('CHEX')", "invalid"),
    ("nc:country-code-status('')", "invalid"),
    // is-url
    ("nc:is-url('https://example.org/path?q=1')", "true"),
    ("nc:is-url('http://localhost:8080/')", "true"),
    ("nc:is-url('http://192.168.0.1/')", "true"),
    ("nc:is-url('HTTPS://EXAMPLE.ORG')", "true"),
    ("nc:is-url('ftp://example.org/')", "false"),
    ("nc:is-url('example.org')", "false"),
    ("nc:is-url('http://')", "false"),
    ("nc:is-url('https://exa mple.org')", "false"),
    ("nc:is-url('mailto:a@example.org')", "false"),
    ("nc:is-url('https://-bad-.example.org')", "false"),
    // is-pgp-fingerprint
    ("nc:is-pgp-fingerprint('0123456789ABCDEF0123456789abcdef01234567')", "true"),
    ("nc:is-pgp-fingerprint('0123 4567 89AB CDEF 0123  4567 89ab cdef 0123 4567')", "true"),
    ("nc:is-pgp-fingerprint('0123456789ABCDEF0123456789abcdef0123456')", "false"),
    ("nc:is-pgp-fingerprint('0123456789ABCDEF0123456789abcdef0123456G')", "false"),
    ("nc:is-pgp-fingerprint('0123456789ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef')", "true"),
    ("nc:is-pgp-fingerprint('')", "false"),
    // lower-case
    ("nc:lower-case('ÄBC')", "äbc"),
  ]

  @Test(arguments: normcheckCases)
  func normcheck(expression: String, expected: String) throws {
    #expect(try value(of: expression) == expected)
  }

  @Test func matchesIsAnchoredAgainstALineBreakAtTheEnd() throws {
    // Element content may end in a line break; `$` alone would still match before it.
    let xml = "<doc><v>123\n</v><v>123</v><v>12\n34</v></doc>"
    #expect(try values(of: "string(nc:matches(., '\\d+'))", context: "v", in: xml) == ["false", "true", "false"])
    #expect(try values(of: "string(nc:matches(., '\\d+', 'm'))", context: "v", in: xml) == ["false", "true", "false"])
  }

  @Test func addDaysOnHostileDocumentValues() throws {
    let xml = "<doc><d n='1e400'/><d n='-9223372036854775808'/><d n='12345678901234567890'/><d n='2'/></doc>"
    #expect(try values(of: "nc:add-days('2024-01-01', @n)", context: "d", in: xml) == ["", "", "", "2024-01-03"])
  }

  // MARK: Vocabularies and parameters

  static let categories = Vocabulary(parents: [
    "infrastructure": String?.none, "energy": "infrastructure", "power-plant": "energy", "water": "infrastructure",
  ])

  @Test func vocabularies() throws {
    let options = CompiledSchema.Options(vocabularies: ["categories": Self.categories])
    let xml = "<doc><c>water</c><c>power-plant</c></doc>"
    let cases: [(String, String)] = [
      ("nc:in-vocabulary('energy', 'categories')", "true"),
      ("nc:in-vocabulary('infrastructure', 'categories')", "true"),
      ("nc:in-vocabulary('coal', 'categories')", "false"),
      ("nc:in-vocabulary('Energy', 'categories')", "false"),
      ("nc:is-within('power-plant', 'infrastructure', 'categories')", "true"),
      ("nc:is-within('power-plant', 'energy', 'categories')", "true"),
      ("nc:is-within('energy', 'energy', 'categories')", "true"),
      ("nc:is-within('power-plant', 'water', 'categories')", "false"),
      ("nc:is-within('energy', 'power-plant', 'categories')", "false"),
      ("nc:is-within('coal', 'infrastructure', 'categories')", "false"),
      ("nc:is-within(//c, 'energy', 'categories')", "true"),
      ("nc:is-within(//c[1], 'energy', 'categories')", "false"),
      ("nc:is-within('water', //c, 'categories')", "true"),
    ]
    for (expression, expected) in cases {
      #expect(try value(of: expression, in: xml, options: options) == expected, "\(expression)")
    }
  }

  @Test func parametersFromCompileAndEvaluateOptions() throws {
    let schema = try compileInline(
      """
      <pattern>
        <rule context="/doc">
          <report id="p" test="true()"><value-of select="concat($asOf, '|', $limit, '|', $strict)"/></report>
          <assert id="fresh" test="nc:days-between(@date, $asOf) &lt;= $limit">stale by <value-of select="nc:days-between(@date, $asOf) - $limit"/></assert>
        </rule>
      </pattern>
      """,
      options: .init(parameters: ["asOf": .string("2024-01-01"), "limit": .number(3), "strict": .boolean(true)]))
    #expect(schema.parameters["limit"] == .number(3))
    let document = try Document(string: "<doc date='2023-12-30'/>")
    let defaults = Evaluator(schema).validate(document)
    #expect(defaults.findings.map(\.text) == ["2024-01-01|3|true"])
    let overridden = Evaluator(schema).validate(
      document, options: .init(parameters: ["asOf": .string("2024-01-10"), "strict": .boolean(false)]))
    #expect(overridden.findings.map(\.text) == ["2024-01-10|3|false", "stale by 8"])
    // A parameter the schema was not compiled with is an undefined variable.
    let error = try #require(throws: SchematronLoadError.self) {
      _ = try compileInline("<pattern><rule context='/*'><assert test='$asOf'>x</assert></rule></pattern>")
    }
    #expect(error.problems.map(\.kind) == [.unknownVariable])
  }
}
