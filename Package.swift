// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "normcheck",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "normcheck", targets: ["normcheck"]),
    .library(name: "XMLCore", targets: ["XMLCore"]),
    .library(name: "Schematron", targets: ["Schematron"]),
    .library(name: "NormKit", targets: ["NormKit"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
  ],
  targets: [
    .systemLibrary(
      name: "CLibXML2",
      pkgConfig: "libxml-2.0",
      providers: [.apt(["libxml2-dev"]), .brew(["libxml2"])]
    ),
    .target(name: "XMLCore", dependencies: ["CLibXML2"]),
    .target(name: "Schematron", dependencies: ["XMLCore"]),
    .target(name: "NormKit", dependencies: ["Schematron", "XMLCore"]),
    .executableTarget(
      name: "normcheck",
      dependencies: [
        "NormKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(
      name: "normcheck-bench",
      dependencies: [
        "NormKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .target(name: "TestSupport", dependencies: ["XMLCore"], path: "Tests/TestSupport"),
    .testTarget(
      name: "SchematronTests",
      dependencies: ["Schematron", "XMLCore", "TestSupport"],
      exclude: ["Fixtures"]
    ),
    .testTarget(
      name: "NormKitTests",
      dependencies: ["NormKit", "Schematron", "XMLCore", "TestSupport"],
      exclude: ["Fixtures"]
    ),
    .testTarget(
      name: "CLITests",
      dependencies: ["normcheck", "TestSupport"]
    ),
    .testTarget(
      name: "XMLCoreTests",
      dependencies: ["XMLCore", "TestSupport"],
      exclude: ["Fixtures"]
    ),
  ]
)
