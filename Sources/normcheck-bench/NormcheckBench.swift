import ArgumentParser
import Foundation

/// `normcheck-bench`: synthetic declarations for the benchmarks in `Benchmarks/`.
@main
struct NormcheckBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "normcheck-bench",
    abstract: "Generate synthetic declarations for benchmarking normcheck (see Benchmarks/ and BENCHMARKS.md).",
    subcommands: [Generate.self, Batch.self])
}

extension NormcheckBench {
  /// `generate`: one declaration of N facilities, written as it is produced.
  struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write one synthetic declaration, valid against the declaration XSD, with planted violations.",
      discussion: """
        The same --facilities, --seed and --violations always give the same bytes. Memory does not grow with
        --facilities. With a positive --violations RATE, each kind of violation (duplicate facility ids, dangling
        facilityRef and contactRef, a repeated off-limits entry, stale contacts, a doctrine whose permitted targets
        contradict the off-limits list) is planted in about RATE of its candidates, and at least once.
        """)

    @Option(name: .long, help: "Number of facilities.")
    var facilities: Int

    @Option(name: .long, help: "Seed of the pseudo-random choices.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Fraction of candidates that carry a planted violation (0 for none).")
    var violations: Double = 0.001

    @Option(name: .long, help: "Output file, or - for standard output.")
    var output: String

    func validate() throws {
      if facilities < 0 || facilities > 100_000_000 { throw ValidationError("--facilities must be 0…100000000") }
      if !(0...0.5).contains(violations) { throw ValidationError("--violations must be between 0 and 0.5") }
    }

    func run() throws {
      let profile = DeclarationProfile(facilities: facilities, seed: seed, violationRate: violations)
      let out = try OutputStream(path: output)
      let summary = DeclarationGenerator(profile).write(to: out)
      try out.close()
      let report = "\(output): \(summary.description)\n"
      FileHandle.standardError.write(Data(report.utf8))
    }
  }

  /// `batch`: a directory of typical declarations of varied sizes, one per state.
  struct Batch: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write a batch of typical declarations (varied sizes, memberships and problems) into a directory.",
      discussion: """
        Sizes: 70% small (5-50 facilities), 25% medium (50-500), 5% large (500-3000). Each declaration belongs to
        the UN and, at random, to the OSCE, the OAS or the AU; 15% have no doctrine and 15% no national CERT; each
        kind of violation is present in a declaration with probability 0.2.
        """)

    @Option(name: .long, help: "Number of declarations.")
    var count: Int = 193

    @Option(name: .long, help: "Seed of the pseudo-random choices.")
    var seed: UInt64 = 193

    @Option(name: .long, help: "Output directory (created if missing).")
    var output: String

    func validate() throws {
      if count < 1 || count > 10_000 { throw ValidationError("--count must be 1…10000") }
    }

    func run() throws {
      try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
      var totalFacilities = 0
      var totalBytes = 0
      for index in 0..<count {
        let profile = Self.profile(index, seed: seed)
        let name = String(format: "%03d-%@-%@.xml", index + 1, profile.alpha3.lowercased(), profile.cycle)
        let path = URL(fileURLWithPath: output).appendingPathComponent(name).path
        let out = try OutputStream(path: path)
        let summary = DeclarationGenerator(profile).write(to: out)
        try out.close()
        totalFacilities += summary.facilities
        totalBytes += summary.bytes
      }
      let report = "\(output): \(count) declarations, \(totalFacilities) facilities, \(totalBytes) bytes\n"
      FileHandle.standardError.write(Data(report.utf8))
    }

    /// The profile of declaration `index` of a batch.
    static func profile(_ index: Int, seed: UInt64) -> DeclarationProfile {
      let hash = Hash(seed: seed)
      let u = hash.unit(.batchSize, index)
      let facilities =
        u < 0.70
        ? 5 + hash.below(46, .batch, index * 8)
        : u < 0.95 ? 50 + hash.below(451, .batch, index * 8) : 500 + hash.below(2501, .batch, index * 8)
      var profile = DeclarationProfile(
        facilities: facilities, seed: hash.value(.batch, index * 8 + 1), violationRate: 0.01)
      profile.violations = Set(Violation.allCases.filter { hash.unit(.batch, index * 8 + 2 + $0.ordinal) < 0.2 })
      let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
      profile.alpha2 = Catalogue.userAssignedAlpha2[index % Catalogue.userAssignedAlpha2.count]
      profile.alpha3 = "X\(letters[(index / 26) % 26])\(letters[index % 26])"
      let a = Catalogue.syllablesA[index % Catalogue.syllablesA.count]
      let b = Catalogue.syllablesB[(index / Catalogue.syllablesA.count + index) % Catalogue.syllablesB.count]
      profile.shortName = a + b + "ia"
      profile.stateName =
        hash.pick(["Republic of ", "Kingdom of ", "Federation of ", "Union of "], .batch, index) + profile.shortName
      var memberships = ["UN"]
      if hash.unit(.batch, index * 8 + 100_000) < 0.3 { memberships.append("OSCE") }
      if hash.unit(.batch, index * 8 + 200_000) < 0.18 { memberships.append("OAS") }
      if hash.unit(.batch, index * 8 + 300_000) < 0.28 { memberships.append("AU") }
      profile.memberships = memberships
      profile.submitted = CivilDate.days(year: 2026, month: 1, day: 15) + hash.below(330, .batch, index * 8 + 400_000)
      profile.hasDoctrine = hash.unit(.batch, index * 8 + 500_000) >= 0.15
      profile.hasCert = hash.unit(.batch, index * 8 + 600_000) >= 0.15
      return profile
    }
  }
}

extension Violation {
  /// The position of the kind in ``allCases``.
  var ordinal: Int { Self.allCases.firstIndex(of: self)! }
}
