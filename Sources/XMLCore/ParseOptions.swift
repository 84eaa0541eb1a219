/// Limits applied while reading untrusted XML.
///
/// Every limit has a safe default.
///
/// | limit | default | why |
/// |---|---|---|
/// | ``maxInputBytes`` | 256 MiB | a declaration of a million facilities is about 200 MB |
/// | ``maxDepth`` | 256 | libxml2's own ceiling outside its unsafe "huge" mode |
/// | ``maxEntityExpansion`` | 1 MiB | what all entity references of a document may stand for |
/// | ``maxAttributes`` | 256 | attributes on one element; libxml2's duplicate check is quadratic |
///
/// Entity expansion is bounded by libxml2's amplification guard (an entity whose expansion
/// grows out of proportion to the input is an error, which stops "billion laughs" and
/// quadratic blow-up at once), and external entities and DTDs are never loaded.
public struct ParseLimits: Hashable, Sendable {
  /// The largest input accepted, in bytes.
  ///
  /// Default 256 MiB.
  public var maxInputBytes: Int
  /// The deepest element nesting accepted, from 1 to 256.
  ///
  /// Default 256.
  public var maxDepth: Int

  /// The most characters that the entity references of one document may expand to, in total.
  ///
  /// Default 1 MiB; declarations have no use for more.
  public var maxEntityExpansion: Int

  /// The most attributes one element may carry.
  ///
  /// Default 256. libxml2 2.9.14 checks attribute names for duplicates, and its XSD validator
  /// checks attributes, in time quadratic in their number per element (100 000 attributes,
  /// 1 MB: about 24 s), so the input is scanned for such start tags before it is parsed.
  /// Namespace declarations count as attributes here.
  public var maxAttributes: Int

  /// The hard ceiling for ``maxDepth`` imposed by libxml2 without its unsafe huge mode.
  public static let depthCeiling = 256

  /// The defaults: 256 MiB, 256 levels, 1 MiB of entity expansion, 256 attributes per element.
  public static let `default` = ParseLimits()

  /// Creates limits; `maxDepth` is clamped to 1...``depthCeiling``.
  public init(
    maxInputBytes: Int = 256 << 20, maxDepth: Int = 256, maxEntityExpansion: Int = 1 << 20, maxAttributes: Int = 256
  ) {
    self.maxInputBytes = max(0, maxInputBytes)
    self.maxDepth = min(max(1, maxDepth), Self.depthCeiling)
    self.maxEntityExpansion = max(0, maxEntityExpansion)
    self.maxAttributes = max(0, maxAttributes)
  }
}
