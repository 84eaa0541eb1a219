import ArgumentParser
import NormKit

/// Options shared by the subcommands that load packs.
struct PackOptions: ParsableArguments {
  @Option(
    name: .long,
    help: "A built-in pack by name, or a Schematron file or directory (repeatable). Default: all built-in packs.")
  var pack: [String] = []

  /// Loads the environment and the chosen packs; errors become configuration errors.
  func load() throws -> (NormEnvironment, [RulePack]) {
    do {
      let environment = try NormEnvironment.builtin()
      return (environment, try environment.packs(pack))
    } catch let error as NormKitError {
      throw ConfigurationError(error.description)
    }
  }
}
