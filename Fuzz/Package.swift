// swift-tools-version: 6.0
import PackageDescription

// libFuzzer targets for normcheck, kept out of the main package so that `swift build` and
// `swift test` never need the fuzzer runtime. Build with
//   swift build --package-path Fuzz -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// and run with Scripts/fuzz.sh TARGET SECONDS (see FUZZING.md).
let package = Package(
  name: "NormcheckFuzz",
  platforms: [.macOS(.v13)],
  dependencies: [
    .package(name: "normcheck", path: "..")
  ],
  targets: [
    .target(name: "CFuzzerDriver"),
    .target(
      name: "FuzzSupport",
      dependencies: [
        "CFuzzerDriver",
        .product(name: "NormKit", package: "normcheck"),
        .product(name: "Schematron", package: "normcheck"),
        .product(name: "XMLCore", package: "normcheck"),
      ]
    ),
    .executableTarget(
      name: "FuzzIntake",
      dependencies: [
        "FuzzSupport",
        .product(name: "NormKit", package: "normcheck"),
        .product(name: "XMLCore", package: "normcheck"),
      ]
    ),
    .executableTarget(
      name: "FuzzPackLoading",
      dependencies: [
        "FuzzSupport",
        .product(name: "NormKit", package: "normcheck"),
      ]
    ),
  ]
)
