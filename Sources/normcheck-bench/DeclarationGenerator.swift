/// The kinds of realistic problems the generator plants.
enum Violation: String, CaseIterable, Sendable {
  /// A facility reuses the id of an earlier facility.
  case duplicateFacilityID = "duplicate-facility-id"
  /// An off-limits `facilityRef` or a `crossBorderDependency/@facilityRef` names no facility.
  case danglingFacilityRef = "dangling-facility-ref"
  /// The off-limits list names the same facility twice.
  case repeatedOffLimitsRef = "repeated-off-limits-ref"
  /// An assistance-request channel's `contactRef` names no contact.
  case danglingContactRef = "dangling-contact-ref"
  /// A contact last updated and verified more than two years before submission.
  case staleContact = "stale-contact"
  /// The doctrine's permitted targets name an off-limits category and off-limits facilities.
  case doctrineContradiction = "doctrine-contradiction"
}

/// Everything that shapes one synthetic declaration.
struct DeclarationProfile: Sendable {
  /// The number of facilities.
  var facilities: Int
  /// The seed; the same profile always gives the same bytes.
  var seed: UInt64
  /// The fraction of candidate items that carry a planted violation (each kind planted at least
  /// once when the rate is positive).
  var violationRate: Double
  /// The kinds of violations planted (all by default).
  var violations: Set<Violation> = Set(Violation.allCases)
  /// ISO 3166-1 alpha-2 code (user-assigned).
  var alpha2 = "XS"
  /// ISO 3166-1 alpha-3 code (user-assigned).
  var alpha3 = "XSY"
  /// The short name used in operators and domains (`Synthia`).
  var shortName = "Synthia"
  /// The formal name of the state.
  var stateName = "Federal Republic of Synthia"
  /// Organizations the state belongs to.
  var memberships = ["UN", "OSCE"]
  /// The submission date, as a day number (see ``CivilDate``).
  var submitted = CivilDate.days(year: 2026, month: 8, day: 31)
  /// Whether a doctrine is published.
  var hasDoctrine = true
  /// Whether a national CERT is designated.
  var hasCert = true

  /// The number of contacts: five for a small declaration, one more per 500 facilities beyond.
  var contacts: Int { max(5, facilities / 500) }
  /// The number of assistance-request channels.
  var channels: Int { max(1, contacts / 10) }
  /// The id prefix (`xs`).
  var slug: String { alpha2.lowercased() }
  /// The cycle label: the submission year.
  var cycle: String { String(CivilDate.string(submitted).prefix(4)) }
}

/// What a generator run planted, for the command's summary.
struct GenerationSummary: Sendable {
  /// Facilities written.
  var facilities = 0
  /// Bytes written.
  var bytes = 0
  /// Lines written.
  var lines = 0
  /// Planted violations by kind.
  var planted: [Violation: Int] = [:]

  /// One line: sizes and the planted violations.
  var description: String {
    let kinds = Violation.allCases.map { "\($0.rawValue) \(planted[$0, default: 0])" }.joined(separator: ", ")
    return "\(facilities) facilities, \(bytes) bytes, \(lines) lines; planted: \(kinds)"
  }
}

/// Writes a synthetic declaration valid against `Rules/schema/declaration.xsd`, modelled on
/// `Samples/xa-arvenia-2026-model.xml` (structure) and `Samples/xf-ferrovia-2026-large.xml`
/// (facilities), streaming: memory does not grow with the number of facilities.
///
/// Every facility is a pure function of the seed and its index (see ``Hash``), so references
/// written before or after a facility (doctrine clauses, the off-limits list, cross-border
/// dependencies) are computed again instead of remembered.
struct DeclarationGenerator {
  /// The profile.
  let profile: DeclarationProfile
  private let hash: Hash
  private let idWidth: Int
  private let duplicates: EvenSelection

  /// Prepares a generator for `profile`.
  init(_ profile: DeclarationProfile) {
    self.profile = profile
    self.hash = Hash(seed: profile.seed)
    self.idWidth = max(4, String(profile.facilities).count)
    let count = profile.facilities >= 2 ? Self.plantedCount(.duplicateFacilityID, of: profile.facilities, profile) : 0
    self.duplicates = EvenSelection(
      total: profile.facilities, count: count, offset: hash.below(max(1, profile.facilities), .selection, 1))
  }

  /// How many of `candidates` items carry violation `kind`.
  static func plantedCount(_ kind: Violation, of candidates: Int, _ profile: DeclarationProfile) -> Int {
    guard profile.violations.contains(kind), profile.violationRate > 0, candidates > 0 else { return 0 }
    return min(candidates, max(1, Int((profile.violationRate * Double(candidates)).rounded())))
  }

  // MARK: Facilities as functions of their index

  private func category(_ index: Int) -> Catalogue.Category {
    Catalogue.categories[Catalogue.categoryByWeight[hash.below(Catalogue.totalWeight, .category, index)]]
  }

  private func place(_ index: Int, _ stream: Hash.Stream = .place) -> String {
    let value = hash.value(stream, index)
    let a = Catalogue.syllablesA[Int(value % UInt64(Catalogue.syllablesA.count))]
    let b = Catalogue.syllablesB[Int((value >> 20) % UInt64(Catalogue.syllablesB.count))]
    return a + b
  }

  private func padded(_ number: Int) -> String {
    let digits = String(number)
    return digits.count >= idWidth ? digits : String(repeating: "0", count: idWidth - digits.count) + digits
  }

  /// The id facility `index` has unless it is a planted duplicate.
  private func canonicalID(_ index: Int) -> String {
    "\(profile.slug)-\(category(index).prefix)-\(padded(index + 1))"
  }

  /// An id no facility has: the number lies beyond the last facility.
  private func missingFacilityID(_ index: Int) -> String {
    "\(profile.slug)-\(category(index).prefix)-\(padded(profile.facilities + 1 + index))"
  }

  private func isDuplicate(_ index: Int) -> Bool { index > 0 && duplicates.contains(index) }

  /// The earlier facility a planted duplicate copies the id of (never itself a duplicate).
  private func duplicateTarget(_ index: Int) -> Int {
    var target = index - 1 - hash.below(min(index, 5000), .duplicateTarget, index)
    while target > 0 && isDuplicate(target) { target -= 1 }
    return target
  }

  private func crossBorder(_ index: Int) -> Bool { hash.below(100, .crossBorder, index) < 4 }

  /// Whether the off-limits list names facility `index` individually.
  private func listedOffLimits(_ index: Int) -> Bool {
    category(index).listedOffLimits && !isDuplicate(index) && hash.below(4, .offLimitsListed, index) == 0
  }

  /// Whether a cross-border dependency names facility `index`.
  private func listedDependency(_ index: Int) -> Bool {
    crossBorder(index) && !isDuplicate(index) && hash.below(2, .dependencyListed, index) == 0
  }

  // MARK: Writing

  /// Writes the declaration to `out`; returns what was planted.
  func write(to out: OutputStream) -> GenerationSummary {
    var summary = GenerationSummary()
    var offLimitsCount = 0
    var dependencyCount = 0
    for index in 0..<profile.facilities {
      if listedOffLimits(index) { offLimitsCount += 1 }
      if listedDependency(index) { dependencyCount += 1 }
    }
    writeHead(out)
    writeDoctrine(out, offLimitsCount: offLimitsCount, summary: &summary)
    writeCriticalInfrastructure(out, dependencyCount: dependencyCount, summary: &summary)
    writeOffLimits(out, offLimitsCount: offLimitsCount, summary: &summary)
    if profile.hasCert { writeCert(out) }
    writeContacts(out, summary: &summary)
    out.write("</declaration>\n")
    summary.facilities = profile.facilities
    summary.bytes = out.byteCount
    summary.lines = out.lineCount
    return summary
  }

  private func date(_ daysBefore: Int) -> String { CivilDate.string(profile.submitted - daysBefore) }

  private func writeHead(_ out: OutputStream) {
    let p = profile
    let percent = p.violationRate * 100
    out.write(
      """
      <!-- FICTIONAL, SYNTHETIC declaration generated by normcheck-bench (seed \(p.seed), \(p.facilities) \
      facilities, violation rate \(percent)%). The \(p.stateName) (user-assigned code \(p.alpha2)/\(p.alpha3)), \
      its operators, people, e-mail domains (.example) and +999 phone numbers are invented. -->
      <declaration xmlns="urn:normcheck:declaration:1" schemaVersion="1.0">
        <state alpha2="\(p.alpha2)" alpha3="\(p.alpha3)">
          <name>\(p.stateName.xmlEscaped)</name>

      """)
    for organization in p.memberships {
      out.write("    <memberOf organization=\"\(organization)\"/>\n")
    }
    out.write(
      """
        </state>
        <submission cycle="\(p.cycle)" submitted="\(date(0))" version="1.0" language="en" validUntil="\(date(-365))"/>
        <endorsements>
          <endorsement norm="GGE2015" since="2015-12-23"/>
          <endorsement norm="GGE2021" since="2021-12-06"/>
          <endorsement norm="OEWG2021" since="2021-03-12"/>
          <endorsement norm="PARIS2018" since="2019-02-14"/>
        </endorsements>
        <commitments>
          <commitment norm="GGE2015-13f" date="\(date(400))">\(p.shortName) does not conduct or support ICT \
      activity that damages critical infrastructure.</commitment>
          <commitment norm="GGE2015-13k" date="\(date(400))">\(p.shortName) does not harm other states' emergency \
      response teams and keeps its own team free of offensive tasks.</commitment>
          <commitment norm="TA2019-8" date="\(date(120))">Annual national exercise, last held \(date(120)).</commitment>
        </commitments>

      """)
  }

  private func writeDoctrine(_ out: OutputStream, offLimitsCount: Int, summary: inout GenerationSummary) {
    guard profile.hasDoctrine else { return }
    let p = profile
    out.write(
      """
        <doctrines>
          <doctrine id="\(p.slug)-doctrine" adopted="\(date(400))" url="https://defence.\(p.shortName.lowercased()).example/doctrine">
            <title>Doctrine for Military Operations in Cyberspace</title>
            <issuer>Ministry of Defence of \(p.shortName)</issuer>
            <clause id="c-1" kind="ihl-applicability" applies="true" norm="IHL-API-52">
              <text>International humanitarian law governs every cyber operation conducted in armed conflict.</text>
            </clause>
            <clause id="c-2" kind="commitment" norm="GGE2015-13f">
              <text>Cyber operations shall not target critical infrastructure serving the public.</text>
            </clause>
            <clause id="c-3" kind="red-line" norm="GGE2015-13f">
              <text>A cyber operation that disrupts health services or drinking water is a grave threat to security.</text>
              <categoryRef ref="healthcare"/>
              <categoryRef ref="drinking-water"/>
            </clause>

      """)
    // The contradiction: permitted targets that the off-limits list excludes.
    let count = Self.plantedCount(.doctrineContradiction, of: max(offLimitsCount, 1), p)
    if count > 0 {
      out.write(
        """
              <clause id="c-4" kind="permitted-targets">
                <text>In armed conflict, cyber effects may be directed against hydroelectric installations.</text>
                <categoryRef ref="dam"/>

        """)
      var named = 0
      var index = 0
      while named < count - 1 && index < p.facilities {
        if listedOffLimits(index) && !isDuplicate(index) {
          out.write("        <facilityRef ref=\"\(canonicalID(index))\"/>\n")
          named += 1
        }
        index += 1
      }
      out.write("      </clause>\n")
      summary.planted[.doctrineContradiction] = named + 1
    }
    out.write("    </doctrine>\n  </doctrines>\n")
  }

  private func writeCriticalInfrastructure(
    _ out: OutputStream, dependencyCount: Int, summary: inout GenerationSummary
  ) {
    let p = profile
    out.write(
      """
        <criticalInfrastructure>
          <definition>
            <text>Facilities and systems whose failure would endanger the supply of essential goods and services.</text>
            <criterion>Population served of 50 000 or more, or a whole region.</criterion>
            <legalBasis reference="Act No. 17/2020" date="2020-07-01" type="law">Critical Infrastructure Protection Act</legalBasis>
          </definition>
          <authority>Office for Civil Protection of \(p.shortName)</authority>

      """)
    for sector in Catalogue.sectors {
      out.write(
        """
            <sector category="\(sector)" designated="2020-07-01">
              <legalBasis reference="Act No. 17/2020" date="2020-07-01" type="law">Critical Infrastructure Protection Act</legalBasis>
            </sector>

        """)
    }
    var planted = 0
    for index in 0..<p.facilities {
      let category = category(index)
      let place = place(index)
      let name = hash.pick(category.names, .namePattern, index).replacing("{p}", with: place)
      let op = hash.pick(category.operators, .operatorPattern, index).replacing("{p}", with: place)
        .replacing("{n}", with: p.shortName)
      let id: String
      if isDuplicate(index) {
        id = canonicalID(duplicateTarget(index))
        planted += 1
      } else {
        id = canonicalID(index)
      }
      let region = CivilDate.twoDigits(1 + hash.below(26, .region, index))
      let ownership = hash.pick(["public", "public", "private", "mixed"], .ownership, index)
      out.write(
        "    <facility id=\"\(id)\" category=\"\(category.id)\" name=\"\(name.xmlEscaped)\" operator=\"\(op.xmlEscaped)\" region=\"\(p.alpha2)-\(region)\"\(crossBorder(index) ? " crossBorder=\"true\"" : "") ownership=\"\(ownership)\"/>\n"
      )
    }
    if planted > 0 { summary.planted[.duplicateFacilityID] = planted }
    out.write(
      """
          <protectionMeasure id="\(p.slug)-pm-1" norm="GGE2015-13g">
            <title>Inventory of critical facilities with mandatory protection plans</title>
            <legalBasis reference="Act No. 17/2020" date="2020-07-01" type="law">Critical Infrastructure Protection Act</legalBasis>
          </protectionMeasure>
          <crossBorderDependency withState="XA" category="energy">Electricity imports over two interconnectors.</crossBorderDependency>

      """)
    let dangling = EvenSelection(
      total: dependencyCount, count: Self.plantedCount(.danglingFacilityRef, of: dependencyCount, p),
      offset: hash.below(max(1, dependencyCount), .selection, 2))
    var position = 0
    for index in 0..<p.facilities where listedDependency(index) {
      let category = category(index)
      let neighbour = hash.pick(Catalogue.userAssignedAlpha2.filter { $0 != p.alpha2 }, .region, -index - 1)
      let ref = dangling.contains(position) ? missingFacilityID(index) : canonicalID(index)
      out.write(
        "    <crossBorderDependency withState=\"\(neighbour)\" category=\"\(category.id)\" facilityRef=\"\(ref)\">Serves communities across the border with \(neighbour).</crossBorderDependency>\n"
      )
      position += 1
    }
    summary.planted[.danglingFacilityRef, default: 0] += dangling.count
    out.write("  </criticalInfrastructure>\n")
  }

  private func writeOffLimits(_ out: OutputStream, offLimitsCount: Int, summary: inout GenerationSummary) {
    let p = profile
    let doctrineRef = p.hasDoctrine ? " doctrineRef=\"\(p.slug)-doctrine\"" : ""
    out.write(
      """
        <offLimits adopted="\(date(400))"\(doctrineRef)>
          <statement>\(p.shortName) excludes the following categories and facilities from cyber operations; a \
      category includes its sub-categories.</statement>

      """)
    for (category, basis) in Catalogue.offLimits {
      out.write("    <categoryRef ref=\"\(category)\" basis=\"\(basis)\"/>\n")
    }
    let dangling = EvenSelection(
      total: offLimitsCount, count: Self.plantedCount(.danglingFacilityRef, of: offLimitsCount, p),
      offset: hash.below(max(1, offLimitsCount), .selection, 3))
    let repeated = EvenSelection(
      total: offLimitsCount, count: Self.plantedCount(.repeatedOffLimitsRef, of: offLimitsCount, p),
      offset: hash.below(max(1, offLimitsCount), .selection, 4))
    var position = 0
    var previous: String?
    var repeatedCount = 0
    for index in 0..<p.facilities where listedOffLimits(index) {
      let basis = Catalogue.basis(for: category(index).id)
      let ref = dangling.contains(position) ? missingFacilityID(index) : canonicalID(index)
      out.write("    <facilityRef ref=\"\(ref)\" basis=\"\(basis)\"/>\n")
      // A copy-and-paste slip: the previous facility named again a few entries later.
      if repeated.contains(position), let previous {
        out.write("    <facilityRef ref=\"\(previous)\" basis=\"\(basis)\"/>\n")
        repeatedCount += 1
      }
      if !dangling.contains(position) { previous = ref }
      position += 1
    }
    summary.planted[.danglingFacilityRef, default: 0] += dangling.count
    if repeatedCount > 0 { summary.planted[.repeatedOffLimitsRef] = repeatedCount }
    out.write("  </offLimits>\n")
  }

  private func fingerprint(_ salt: Int) -> String {
    var groups: [String] = []
    for group in 0..<10 {
      let value = hash.value(.contact, 1_000_000 + salt * 16 + group) & 0xFFFF
      let hex = String(value, radix: 16, uppercase: true)
      groups.append(String(repeating: "0", count: 4 - hex.count) + hex)
    }
    return groups[0..<5].joined(separator: " ") + "  " + groups[5...].joined(separator: " ")
  }

  private var domain: String { "\(profile.shortName.lowercased()).example" }

  private func writeCert(_ out: OutputStream) {
    let p = profile
    out.write(
      """
        <nationalCert id="\(p.slug)-ncert">
          <designatingAct reference="Act No. 17/2020, art. 21" date="2020-07-01" type="law" url="https://laws.\(domain)/17-2020">Critical Infrastructure Protection Act</designatingAct>
          <profile>
            <documentInfo lastUpdated="\(date(60))" url="https://cert.\(domain)/rfc2350.txt" signed="true"/>
            <name>National Computer Emergency Response Team of \(p.shortName)</name>
            <shortName>\(p.alpha3)-CERT</shortName>
            <address>1 Harbour Street, \(place(0, .contact)), \(p.shortName)</address>
            <timeZone>Europe/Vienna</timeZone>
            <phone type="main">+9996\(phoneDigits(100))</phone>
            <phone type="emergency">+9996\(phoneDigits(199))</phone>
            <email>cert@cert.\(domain)</email>
            <publicKey fingerprint="\(fingerprint(0))" expires="\(date(-700))" url="https://cert.\(domain)/key.asc"/>
            <website>https://cert.\(domain)/</website>
            <availability mode="24x7"/>
            <charter>
              <mission>Coordinate the national response to cyber incidents and support operators of critical infrastructure.</mission>
              <constituency>Government bodies and the operators in the national inventory of critical facilities.</constituency>
              <affiliation>Office for Civil Protection of \(p.shortName)</affiliation>
              <authority>Article 21 of the Critical Infrastructure Protection Act.</authority>
            </charter>
            <policies>
              <incidentTypes>All incidents affecting the constituency.</incidentTypes>
              <disclosure>TLP 2.0.</disclosure>
              <communication>PGP-encrypted e-mail; phone for emergencies.</communication>
              <vulnerabilityDisclosure url="https://cert.\(domain)/cvd" securityTxt="https://cert.\(domain)/.well-known/security.txt"/>
            </policies>
            <memberships>
              <membership organization="FIRST" scope="global" since="2021-05-01"/>
            </memberships>
          </profile>
        </nationalCert>

      """)
  }

  /// Seven digits after the country code and the state's digit, from the state's seed.
  private func phoneDigits(_ local: Int) -> String {
    let state = hash.below(100, .contact, 0)
    let digits = String(state * 100_000 + local)
    return String(repeating: "0", count: max(0, 7 - digits.count)) + digits
  }

  private static let contactShapes:
    [(level: String, role: String?, organization: String, function: String, mailbox: String)] = [
      (
        "diplomatic", "cyber-ambassador", "Ministry of Foreign Affairs", "Ambassador for Cyber Affairs",
        "cyber.envoy@mfa"
      ),
      ("policy", "cyber-policy-contact", "National Security Council Secretariat", "Head of Cyber Policy", "policy@nsc"),
      ("technical", "cert-duty-officer", "National CERT", "Duty Officer", "duty@cert"),
      ("legal", nil, "Ministry of Justice", "International Legal Cooperation Unit", "legal@justice"),
      ("law-enforcement", nil, "National Police, Cybercrime Bureau", "24/7 cybercrime contact", "cybercrime@police"),
    ]

  /// The id of contact `index` (0-based): `xs-poc-001`.
  private func contactID(_ index: Int) -> String {
    let digits = String(index + 1)
    return "\(profile.slug)-poc-\(String(repeating: "0", count: max(0, 3 - digits.count)))\(digits)"
  }

  private func writeContacts(_ out: OutputStream, summary: inout GenerationSummary) {
    let p = profile
    let stale = EvenSelection(
      total: p.contacts, count: Self.plantedCount(.staleContact, of: p.contacts, p),
      offset: hash.below(p.contacts, .selection, 5))
    out.write("  <pointsOfContact>\n")
    for index in 0..<p.contacts {
      let shape = Self.contactShapes[index % Self.contactShapes.count]
      let regional = index >= Self.contactShapes.count
      let id = contactID(index)
      let age = stale.contains(index) ? 700 + hash.below(300, .contact, index) : 20 + hash.below(40, .contact, index)
      var attributes = "id=\"\(id)\" level=\"\(shape.level)\""
      if let role = shape.role, !regional { attributes += " role=\"\(role)\"" }
      if regional { attributes += " role=\"regional-contact\"" }
      if shape.level == "technical" && p.hasCert { attributes += " certRef=\"\(p.slug)-ncert\"" }
      attributes += " publicOfficial=\"true\" lastUpdated=\"\(date(age + 10))\" lastVerified=\"\(date(age))\""
      if !stale.contains(index) { attributes += " lastPingAnswered=\"\(date(age + 5))\"" }
      let region = regional ? ", \(place(index, .contact)) regional office" : ""
      out.write(
        """
            <contact \(attributes)>
              <organization>\(shape.organization) of \(p.shortName)\(region)</organization>
              <function>\(shape.function)</function>
              <email>\(shape.mailbox).\(domain)</email>
              <phone\(shape.level == "technical" ? " type=\"emergency\"" : "")>+9996\(phoneDigits(200 + index))</phone>

        """)
      if shape.level == "technical" || shape.level == "diplomatic" {
        out.write(
          "      <publicKey fingerprint=\"\(fingerprint(index + 1))\" expires=\"\(date(-500))\" url=\"https://keys.\(domain)/\(id).asc\"/>\n"
        )
      }
      out.write(
        """
              <languages>en fr</languages>
              <timeZone>Europe/Vienna</timeZone>

        """)
      if shape.level == "technical" || shape.level == "law-enforcement" {
        out.write("      <availability mode=\"24x7\"/>\n")
      } else {
        out.write(
          "      <availability mode=\"office-hours\" schedule=\"Mon-Fri 08:00-17:00\" outOfHours=\"+9996\(phoneDigits(299))\"/>\n"
        )
      }
      if shape.level == "diplomatic" || shape.level == "technical" {
        out.write("      <directory name=\"UN-POC\" registered=\"\(date(800))\"/>\n")
      }
      for organization in p.memberships where shape.level != "legal" && shape.level != "law-enforcement" {
        switch organization {
        case "OSCE": out.write("      <directory name=\"OSCE\" registered=\"\(date(900))\"/>\n")
        case "AU": out.write("      <directory name=\"AU\" registered=\"\(date(500))\"/>\n")
        case "OAS":
          out.write(
            "      <directory name=\"OAS\" registered=\"\(date(600))\" nominatedBy=\"Permanent Mission to the OAS\"/>\n"
          )
        default: break
        }
      }
      out.write("    </contact>\n")
    }
    summary.planted[.staleContact] = stale.count
    let dangling = EvenSelection(
      total: p.channels, count: Self.plantedCount(.danglingContactRef, of: p.channels, p),
      offset: hash.below(p.channels, .selection, 6))
    for channel in 0..<p.channels {
      // Channels are handled by technical contacts (index 2, 7, 12, …).
      let target = (2 + 5 * channel) % p.contacts
      let ref = dangling.contains(channel) ? contactID(p.contacts + channel) : contactID(target)
      out.write(
        """
            <assistanceRequestChannel norm="GGE2015-13h" contactRef="\(ref)" ackTargetHours="24" template="UN-standard">
              <description>Requests are received by the duty officer around the clock and acknowledged within 24 hours.</description>
              <email>assist\(channel == 0 ? "" : String(channel + 1))@cert.\(domain)</email>
            </assistanceRequestChannel>

        """)
    }
    summary.planted[.danglingContactRef] = dangling.count
    out.write("  </pointsOfContact>\n")
  }
}
