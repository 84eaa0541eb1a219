import Foundation
import NormKit
import Schematron
import TestSupport
import Testing
import XMLCore

@testable import NormKit

@Suite("Catalog, vocabulary and embedded rules")
struct CatalogTests {
  let rules = RepositoryRules.shared

  @Test func catalogHasTheCoreNormsWithSources() throws {
    let norm = try #require(rules.catalog["GGE2015-13f"])
    #expect(norm.symbol == "A/70/174")
    #expect(norm.location == "para. 13(f)")
    #expect(norm.status == "verified")
    #expect(norm.citation == "A/70/174 para. 13(f) (2015)")
    for id in ["GGE2015-13g", "GGE2015-13h", "GGE2015-13k", "IHL-API-56", "IHL-API-54", "IHL-API-53", "TA2019-1"] {
      #expect(rules.catalog[id] != nil, "\(id) missing from the catalog")
    }
    #expect(rules.catalog.all.count >= 100)
  }

  @Test func everyNormHasAParaphraseAndAStatus() {
    for norm in rules.catalog.all {
      #expect(!norm.paraphrase.isEmpty, "\(norm.id) has no paraphrase")
      #expect(["verified", "recalled", "unverified"].contains(norm.status), "\(norm.id) status '\(norm.status)'")
      #expect(!norm.title.isEmpty, "\(norm.id) has no title")
    }
  }

  @Test func unverifiedStatusIsShownInCitations() throws {
    let unverified = try #require(rules.catalog.all.first { $0.status == "unverified" })
    #expect(unverified.citation.hasSuffix("[unverified]"))
  }

  @Test func catalogAndVocabularyReferencesResolve() throws {
    // Every source a vocabulary category names, and every norm's source, exists.
    for category in rules.categories.categories.values {
      for source in category.sources {
        #expect(rules.catalog[source] != nil || rules.catalog.sourceTitles[source] != nil, "\(category.id) → \(source)")
      }
      if let parent = category.parent { #expect(rules.categories.categories[parent] != nil) }
    }
    for norm in rules.catalog.all where !norm.source.isEmpty {
      #expect(rules.catalog.sourceTitles[norm.source] != nil, "\(norm.id) → source \(norm.source)")
    }
  }

  @Test func vocabularyHierarchyAndRegimes() throws {
    let vocabularies = rules.categories.engineVocabularies
    let all = try #require(vocabularies[CategoryVocabulary.allCategories])
    #expect(all.isWithin("hospital", "healthcare"))
    #expect(!all.isWithin("healthcare", "hospital"))
    #expect(all.isWithin("internet-routing-ixp", "internet-public-core"))
    let special = try #require(vocabularies["regime:ihl-special"])
    for id in ["dam", "dyke", "nuclear-power-plant", "hospital", "drinking-water", "place-of-worship"] {
      #expect(special.contains(id), "\(id) should carry ihl-special")
    }
    #expect(!special.contains("energy"))
  }

  @Test func catalogAndVocabularyAreValidAgainstTheirSchemas() throws {
    let pairs = [
      ("catalog/norms.xml", "catalog/catalog.xsd"),
      ("vocabularies/facility-categories.xml", "vocabularies/vocabulary.xsd"),
    ]
    for (document, schema) in pairs {
      let xsd = try XMLSchema(contentsOfFile: rulesDirectory.appendingPathComponent(schema).path)
      let errors = xsd.validate(try Document(contentsOfFile: rulesDirectory.appendingPathComponent(document).path))
      #expect(errors.isEmpty, "\(document): \(errors)")
    }
  }

  /// The binary embeds Rules/; a stale copy would ship rules that differ from the repository.
  @Test func embeddedRulesAreFresh() throws {
    let fm = FileManager.default
    var onDisk: [String: String] = [:]
    let walker = try #require(fm.enumerator(at: rulesDirectory, includingPropertiesForKeys: nil))
    for case let url as URL in walker {
      let relative = String(url.standardizedFileURL.path.dropFirst(rulesDirectory.standardizedFileURL.path.count + 1))
      guard ["sch", "xsd", "xml", "md", "json"].contains(url.pathExtension),
        !relative.split(separator: "/").contains("examples")
      else { continue }
      onDisk[relative] = try String(contentsOf: url, encoding: .utf8)
    }
    #expect(
      Set(EmbeddedRules.files.keys) == Set(onDisk.keys), "run python3 Scripts/embed-rules.py")
    for (name, text) in onDisk {
      #expect(EmbeddedRules.files[name] == text, "\(name) differs: run python3 Scripts/embed-rules.py")
    }
  }

  @Test func embeddedContentHashMatchesTheFiles() {
    // The generator computes the hash that names the materialized directory; a hand edit of
    // the generated file, or a generator whose hash drifts from FNV1a, would reuse a stale copy.
    #expect(BuiltinRules.computedContentHash() == EmbeddedRules.contentHash)
  }

  @Test func builtinRulesMaterializeAndLoad() throws {
    let environment = try NormEnvironment.builtin()
    #expect(
      FileManager.default.fileExists(
        atPath: environment.rulesDirectory.appendingPathComponent("schema/declaration.xsd").path))
    #expect(environment.catalog.all.count == rules.catalog.all.count)
    #expect(Set(environment.builtinPackNames) == Set(RepositoryRules.packNames))
  }

  /// Messages and fixes are collapsed scalar by scalar; on every built-in message, and on
  /// white space of every kind, the result is what splitting on characters gives.
  @Test func messagesCollapseWhiteSpaceAsCharactersDo() throws {
    func byCharacters(_ text: String) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
    // The text of a message as written, its white space not yet collapsed.
    func raw(_ parts: [MessagePart]) -> String {
      parts.map { part in
        switch part {
        case .text(let value): value
        case .emph(let inner), .dir(_, let inner), .span(_, let inner): raw(inner)
        default: "{}"
        }
      }.joined()
    }
    var texts = [
      "", " ", "a", "  a  b\t\tc\n", "\r\nline\r\nbreaks\r\n", "tab\u{0B}and\u{0C}feed",
      "no\u{00A0}break\u{2003}em\u{3000}wide\u{0085}next", "caf\u{00E9} \u{1F310} \u{05D0}\u{05D1}",
    ]
    for name in RepositoryRules.packNames {
      let pack = try rules.pack(name)
      for pattern in pack.schema.resolved.patterns {
        for rule in pattern.rules {
          for assertion in rule.assertions { texts.append(raw(assertion.message)) }
        }
      }
      for diagnostic in pack.schema.schema.diagnostics.values { texts.append(raw(diagnostic.message)) }
    }
    #expect(texts.count > 100)
    for text in texts {
      // Padded with white space of every kind, to exercise the ends.
      let padded = " \t\(text)\n\u{00A0}"
      #expect(RulePack.collapsingWhitespace(padded) == byCharacters(padded))
    }
    // Where a space and a mark make one character, the mark is kept (splitting by characters
    // dropped it with the space).
    #expect(RulePack.collapsingWhitespace("a \u{301}b ") == "a \u{301}b")
    #expect(byCharacters("a \u{301}b ") == "a b")
  }
}
