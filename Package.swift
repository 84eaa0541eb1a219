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
    .library(name: "NormServer", targets: ["NormServer"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
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
    .target(
      name: "NormServer",
      dependencies: [
        "NormKit",
        "XMLCore",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
      ]
    ),
    .executableTarget(
      name: "normcheck",
      dependencies: [
        "NormKit",
        "NormServer",
        .product(name: "Logging", package: "swift-log"),
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
      name: "NormServerTests",
      dependencies: [
        "NormServer", "NormKit", "TestSupport",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdTesting", package: "hummingbird"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
      ]
    ),
    .testTarget(
      name: "XMLCoreTests",
      dependencies: ["XMLCore", "TestSupport"],
      exclude: ["Fixtures"]
    ),
  ]
)
