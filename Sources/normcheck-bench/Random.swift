/// Counter-based pseudo-random numbers: every value is a pure function of the seed, a stream
/// number and an index, so any facility can be recomputed without remembering it.
///
/// This is what lets the generator write a million facilities in bounded memory and still plant
/// a duplicate of an *earlier* facility's id, or a doctrine clause that names a facility written
/// later in the file.
struct Hash {
  /// The seed every value derives from.
  let seed: UInt64

  /// SplitMix64's finalizer: a bijective, well-mixed 64-bit function.
  static func mix(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// The value of `stream` at `index`.
  func value(_ stream: Stream, _ index: Int) -> UInt64 {
    Self.mix(Self.mix(seed ^ (stream.rawValue &* 0xD6E8_FEB8_6659_FD93)) ^ UInt64(truncatingIfNeeded: index))
  }

  /// A number in `0..<bound` for `stream` at `index`.
  func below(_ bound: Int, _ stream: Stream, _ index: Int) -> Int {
    precondition(bound > 0)
    return Int(value(stream, index) % UInt64(bound))
  }

  /// A number in `0..<1` for `stream` at `index`.
  func unit(_ stream: Stream, _ index: Int) -> Double {
    Double(value(stream, index) >> 11) / Double(UInt64(1) << 53)
  }

  /// One element of `choices`, picked by `stream` at `index`.
  func pick<T>(_ choices: [T], _ stream: Stream, _ index: Int) -> T {
    choices[below(choices.count, stream, index)]
  }

  /// Independent streams of values.
  enum Stream: UInt64 {
    case category = 1, place, namePattern, operatorPattern, region, crossBorder, ownership
    case offLimitsListed, dependencyListed, duplicateTarget, selection, contact, batch, batchSize
  }
}

/// Picks exactly `count` of `total` items, spread evenly, at positions shifted by a seeded
/// offset: a planted violation rate that is exact and needs no memory.
struct EvenSelection {
  /// The number of items.
  let total: Int
  /// How many of them are selected.
  let count: Int
  /// The rotation of the selected positions.
  let offset: Int

  /// Selects `count` of `total` items (at most `total`), rotated by `offset`.
  init(total: Int, count: Int, offset: Int) {
    self.total = total
    self.count = min(max(count, 0), total)
    self.offset = total > 0 ? offset % total : 0
  }

  /// Whether item `index` (in `0..<total`) is selected.
  func contains(_ index: Int) -> Bool {
    guard count > 0, index >= 0, index < total else { return false }
    let shifted = UInt64((index + offset) % total)
    let k = UInt64(count)
    let n = UInt64(total)
    return (shifted * k) / n != ((shifted + 1) * k) / n
  }
}

/// Proleptic Gregorian dates as day numbers (days since 1970-01-01), for date arithmetic
/// without Foundation's calendars.
enum CivilDate {
  /// The day number of a date.
  static func days(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  /// The `YYYY-MM-DD` form of a day number.
  static func string(_ days: Int) -> String {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    return "\(year)-\(twoDigits(month))-\(twoDigits(day))"
  }

  /// `n` with a leading zero below 10.
  static func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
