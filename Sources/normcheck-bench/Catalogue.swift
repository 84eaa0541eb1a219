/// The fixed material of synthetic declarations.
///
/// Facility categories with their weights and name patterns (after
/// `Samples/tools/generate_large.py`), sectors, off-limits entries and place-name syllables.
/// Every name is invented.
enum Catalogue {
  /// A facility category of `Rules/vocabularies/facility-categories.xml`.
  struct Category {
    /// The category id.
    let id: String
    /// The short code in facility ids (`dam` in `xf-dam-0001`).
    let prefix: String
    /// The relative frequency, in tenths.
    let weight: Int
    /// Name patterns; `{p}` is a place name.
    let names: [String]
    /// Operator patterns; `{p}` is a place name.
    let operators: [String]
    /// Whether facilities of this category are often listed one by one in the off-limits list.
    let listedOffLimits: Bool
  }

  /// The categories, in a fixed order (the cumulative weights depend on it).
  static let categories: [Category] = [
    .init(
      id: "energy", prefix: "en", weight: 140,
      names: ["{p} Substation", "{p} Power Station", "{p} Gas Compressor Station"],
      operators: ["{n} Grid", "{p} Municipal Utilities", "{n} Power"], listedOffLimits: false),
    .init(
      id: "dam", prefix: "dam", weight: 30, names: ["{p} Dam"], operators: ["{n} Hydro", "{p} Water Authority"],
      listedOffLimits: true),
    .init(
      id: "dyke", prefix: "dyk", weight: 20, names: ["{p} Flood Barrier", "{p} River Dyke"],
      operators: ["{n} Flood Defence Board"], listedOffLimits: true),
    .init(
      id: "nuclear-power-plant", prefix: "npp", weight: 2, names: ["{p} Nuclear Generating Station"],
      operators: ["{n} Nuclear Generation"], listedOffLimits: true),
    .init(
      id: "hospital", prefix: "hos", weight: 100,
      names: ["{p} General Hospital", "{p} Children's Hospital", "{p} Regional Hospital"],
      operators: ["{p} Health District", "{n} Health Service"], listedOffLimits: true),
    .init(
      id: "medical-unit", prefix: "med", weight: 40,
      names: ["{p} Blood Transfusion Centre", "{p} Emergency Medical Unit"],
      operators: ["{n} Health Service"], listedOffLimits: true),
    .init(
      id: "drinking-water", prefix: "wat", weight: 100,
      names: ["{p} Water Treatment Works", "{p} Pumping Station", "{p} Reservoir Intake"],
      operators: ["{p} Water", "{n} Water Company"], listedOffLimits: true),
    .init(
      id: "water-sanitation", prefix: "san", weight: 60, names: ["{p} Wastewater Plant"],
      operators: ["{p} Water", "{n} Water Company"], listedOffLimits: false),
    .init(
      id: "irrigation-works", prefix: "irr", weight: 20, names: ["{p} Irrigation Canal Control"],
      operators: ["{p} Irrigation Cooperative"], listedOffLimits: true),
    .init(
      id: "food-agriculture", prefix: "agr", weight: 30, names: ["{p} Grain Terminal", "{p} Cold Storage Hub"],
      operators: ["{n} Food Reserve Agency"], listedOffLimits: false),
    .init(
      id: "banking-payment-system", prefix: "pay", weight: 30, names: ["{p} Clearing House", "{p} Card Switch"],
      operators: ["National Bank of {n}", "{n} Payments"], listedOffLimits: false),
    .init(
      id: "financial-services", prefix: "fin", weight: 40,
      names: ["{p} Securities Depository", "{p} Savings Bank Data Centre"], operators: ["{p} Savings Bank"],
      listedOffLimits: false),
    .init(
      id: "transportation", prefix: "trn", weight: 100,
      names: ["{p} Rail Control Centre", "{p} Port Authority Systems", "{p} Traffic Management Centre"],
      operators: ["{n} Railways", "{p} Port Authority"], listedOffLimits: false),
    .init(
      id: "air-traffic-control", prefix: "atc", weight: 20, names: ["{p} Approach Control", "{p} Area Control Centre"],
      operators: ["{n} Air Navigation"], listedOffLimits: false),
    .init(
      id: "telecommunications", prefix: "tel", weight: 90, names: ["{p} Switching Centre", "{p} Mobile Core Site"],
      operators: ["{n} Telecom", "{n} Mobile"], listedOffLimits: false),
    .init(
      id: "internet-routing-ixp", prefix: "ixp", weight: 20, names: ["{p} Internet Exchange"],
      operators: ["{p} IX Association"], listedOffLimits: false),
    .init(
      id: "internet-naming-numbering", prefix: "dns", weight: 10, names: ["{p} DNS Anycast Node"],
      operators: ["{n} Domain Registry"], listedOffLimits: false),
    .init(
      id: "internet-transmission-media", prefix: "cab", weight: 20, names: ["{p} Cable Landing Station"],
      operators: ["{n} Submarine Cables"], listedOffLimits: false),
    .init(
      id: "education", prefix: "edu", weight: 50, names: ["University of {p} Data Centre", "{p} Schools Network Hub"],
      operators: ["University of {p}", "{p} Education Board"], listedOffLimits: false),
    .init(
      id: "electoral-infrastructure", prefix: "ele", weight: 20, names: ["{p} Electoral District Tabulation System"],
      operators: ["{n} Electoral Commission"], listedOffLimits: false),
    .init(
      id: "emergency-services", prefix: "ems", weight: 40, names: ["{p} Emergency Call Centre"],
      operators: ["{p} Emergency Services"], listedOffLimits: false),
    .init(
      id: "government-services", prefix: "gov", weight: 50, names: ["{p} Regional Administration Data Centre"],
      operators: ["Region of {p}"], listedOffLimits: false),
  ]

  /// The sum of the weights.
  static let totalWeight = categories.reduce(0) { $0 + $1.weight }

  /// For each weight unit, the index of its category (a table for constant-time picks).
  static let categoryByWeight: [Int] = {
    var table: [Int] = []
    for (index, category) in categories.enumerated() {
      table += Array(repeating: index, count: category.weight)
    }
    return table
  }()

  /// The designated critical-infrastructure sectors.
  static let sectors = [
    "energy", "healthcare", "drinking-water", "water-sanitation", "food-agriculture", "financial-services",
    "transportation", "telecommunications", "internet-public-core", "education", "electoral-infrastructure",
    "emergency-services", "government-services", "cert-infrastructure",
  ]

  /// The off-limits categories and the norms each rests on.
  static let offLimits: [(category: String, basis: String)] = [
    ("dam", "IHL-API-56"), ("dyke", "IHL-API-56"), ("nuclear-power-plant", "IHL-API-56 TA2019-1"),
    ("healthcare", "IHL-GCIV-18"), ("drinking-water", "IHL-API-54"), ("irrigation-works", "IHL-API-54"),
    ("food-agriculture", "IHL-API-54"), ("place-of-worship", "IHL-API-53"), ("cultural-property", "IHL-API-53"),
    ("civil-defence", "IHL-API-62"), ("humanitarian-relief", "IHL-API-62"), ("cert-infrastructure", "GGE2015-13k"),
    ("internet-public-core", "GCSC-N1"), ("financial-services", "TA2019-1"), ("air-traffic-control", "TA2019-1"),
    ("electoral-infrastructure", "GCSC-N2"),
  ]

  /// The norm an individually listed facility of `category` is off-limits under.
  static func basis(for category: String) -> String {
    switch category {
    case "dam", "dyke", "nuclear-power-plant": "IHL-API-56"
    case "hospital", "medical-unit": "IHL-GCIV-18"
    default: "IHL-API-54"
    }
  }

  /// First syllables of place names.
  static let syllablesA = [
    "Al", "Bar", "Cor", "Dal", "Ems", "Fal", "Gor", "Hal", "Ist", "Jor", "Kel", "Lun", "Mar", "Nor", "Ost", "Per",
    "Quel", "Ros", "Sel", "Tor", "Ul", "Ver", "Wes", "Yar", "Zel",
  ]
  /// Second syllables of place names.
  static let syllablesB = [
    "ba", "den", "dorf", "feld", "gard", "heim", "holm", "ingen", "lund", "mar", "mont", "ona", "stad", "tal", "vik",
    "wick",
  ]

  /// ISO 3166-1 alpha-2 codes reserved for user assignment (AA, QM–QZ, XA–XZ, ZZ).
  static let userAssignedAlpha2: [String] = {
    let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    var codes = ["AA"]
    codes += letters[letters.firstIndex(of: "M")!...].map { "Q\($0)" }
    codes += letters.map { "X\($0)" }
    codes.append("ZZ")
    return codes
  }()
}
