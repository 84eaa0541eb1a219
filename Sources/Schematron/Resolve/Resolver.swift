import XMLCore

/// A schema with includes, abstract patterns, `extends` and the phase resolved: just the
/// patterns to run, each with concrete rules whose assertions and lets are in order.
public struct ResolvedSchema: Sendable {
  /// The schema as loaded (titles, diagnostics, properties, keys, namespaces).
  public var schema: Schema
  /// The phase in force: a phase id, or `#ALL`.
  public var phase: String
  /// Schema lets followed by the phase's lets.
  public var lets: [Let]
  /// The active patterns in schema order.
  public var patterns: [ResolvedPattern]
}

/// A pattern ready to compile.
public struct ResolvedPattern: Sendable {
  /// `@id` (of the instance, for abstract pattern instances).
  public var id: String?
  /// The title.
  public var title: String?
  /// `@documents`.
  public var documents: String?
  /// The pattern's lets.
  public var lets: [Let]
  /// The concrete rules in order.
  public var rules: [ResolvedRule]
  /// Where the pattern (or its instance) is declared.
  public var location: SchemaLocation
}

/// A concrete rule with `extends` expanded.
public struct ResolvedRule: Sendable {
  /// `@id`.
  public var id: String?
  /// The context pattern.
  public var context: String
  /// `@subject`.
  public var subject: String?
  /// `@role`.
  public var role: String?
  /// `@flag`.
  public var flag: String?
  /// Lets and assertions in evaluation order.
  public var steps: [Step]
  /// Where the rule is declared.
  public var location: SchemaLocation

  /// One step of a rule.
  public enum Step: Sendable {
    /// Bind a variable.
    case bind(Let)
    /// Check an assertion.
    case check(Assertion)
  }

  /// The assertions of the rule, in order.
  public var assertions: [Assertion] {
    steps.compactMap { if case .check(let assertion) = $0 { assertion } else { nil } }
  }
}

/// Resolves abstract patterns, `extends` and the phase of a loaded schema.
public enum Resolver {
  /// The pseudo-phase that activates every pattern.
  public static let allPhases = "#ALL"
  /// The pseudo-phase that means the schema's `defaultPhase`.
  public static let defaultPhase = "#DEFAULT"
  /// The longest chain of abstract rules extending each other that is resolved.
  public static let maxExtendsDepth = 64

  /// Resolves `schema` for `phase` (`nil` or `#DEFAULT`: the schema's default phase, or all
  /// patterns when it names none).
  /// - Throws: ``SchematronLoadError`` for unknown phases, patterns and rules.
  public static func resolve(_ schema: Schema, phase requested: String? = nil) throws -> ResolvedSchema {
    var problems: [SchematronProblem] = []
    var phaseID = requested ?? defaultPhase
    if phaseID == defaultPhase { phaseID = schema.defaultPhase ?? allPhases }

    let patternsByID = Dictionary(
      schema.patterns.compactMap { pattern in pattern.id.map { ($0, pattern) } },
      uniquingKeysWith: { first, _ in first })
    var seenPatternIDs = Set<String>()
    for pattern in schema.patterns {
      guard let id = pattern.id else { continue }
      if !seenPatternIDs.insert(id).inserted {
        problems.append(SchematronProblem(.duplicateID, "pattern id '\(id)' is used twice", at: pattern.location))
      }
    }
    var phaseLets: [Let] = []
    var active: Set<String>? = nil
    if phaseID != allPhases {
      if let phase = schema.phases.first(where: { $0.id == phaseID }) {
        phaseLets = phase.lets
        active = Set(phase.activePatterns)
        for id in phase.activePatterns where patternsByID[id] == nil {
          problems.append(
            SchematronProblem(
              .unknownReference, "phase '\(phase.id)' activates unknown pattern '\(id)'", at: phase.location))
        }
      } else {
        let known = schema.phases.map(\.id).joined(separator: ", ")
        problems.append(
          SchematronProblem(
            .unknownReference,
            "unknown phase '\(phaseID)'; the schema defines \(known.isEmpty ? "no phases" : known) (and #ALL)",
            at: schema.location))
      }
    }
    for phase in schema.phases {
      for id in phase.activePatterns where patternsByID[id] == nil && phase.id != phaseID {
        problems.append(
          SchematronProblem(
            .unknownReference, "phase '\(phase.id)' activates unknown pattern '\(id)'", at: phase.location))
      }
    }

    // Abstract rules anywhere, for extends; a pattern's own take precedence.
    var globalAbstractRules: [String: Rule] = [:]
    for pattern in schema.patterns {
      for rule in pattern.rules where rule.isAbstract {
        if let id = rule.id, globalAbstractRules[id] == nil { globalAbstractRules[id] = rule }
      }
    }

    var resolved: [ResolvedPattern] = []
    for pattern in schema.patterns where !pattern.isAbstract {
      if let active, !(pattern.id.map(active.contains) ?? false) { continue }
      var concrete = pattern
      if let isA = pattern.isA {
        guard let abstract = patternsByID[isA], abstract.isAbstract else {
          problems.append(
            SchematronProblem(
              .unknownReference, "pattern is-a='\(isA)' names no abstract pattern", at: pattern.location))
          continue
        }
        concrete = instantiate(abstract, with: pattern)
      }
      var localAbstract = globalAbstractRules
      for rule in concrete.rules where rule.isAbstract {
        if let id = rule.id { localAbstract[id] = rule }
      }
      var rules: [ResolvedRule] = []
      for rule in concrete.rules where !rule.isAbstract {
        var steps = rule.lets.map { ResolvedRule.Step.bind($0) }
        var chain: [String] = []
        expand(rule.items, into: &steps, abstractRules: localAbstract, chain: &chain, problems: &problems)
        rules.append(
          ResolvedRule(
            id: rule.id, context: rule.context, subject: rule.subject, role: rule.role, flag: rule.flag, steps: steps,
            location: rule.location))
      }
      resolved.append(
        ResolvedPattern(
          id: concrete.id, title: concrete.title, documents: concrete.documents, lets: concrete.lets, rules: rules,
          location: concrete.location))
    }
    if !problems.isEmpty { throw SchematronLoadError(problems) }
    return ResolvedSchema(schema: schema, phase: phaseID, lets: schema.lets + phaseLets, patterns: resolved)
  }

  private static func expand(
    _ items: [RuleItem], into steps: inout [ResolvedRule.Step], abstractRules: [String: Rule], chain: inout [String],
    problems: inout [SchematronProblem]
  ) {
    for item in items {
      switch item {
      case .assertion(let assertion): steps.append(.check(assertion))
      case .letBinding(let binding): steps.append(.bind(binding))
      case .extends(let id, let location):
        guard let base = abstractRules[id] else {
          problems.append(SchematronProblem(.unknownReference, "extends names no abstract rule '\(id)'", at: location))
          continue
        }
        guard chain.count < Self.maxExtendsDepth else {
          problems.append(
            SchematronProblem(
              .malformed, "extends chains deeper than \(Self.maxExtendsDepth) rules are not supported", at: location))
          continue
        }
        guard !chain.contains(id) else {
          problems.append(
            SchematronProblem(.includeCycle, "extends cycle: \((chain + [id]).joined(separator: " → "))", at: location))
          continue
        }
        chain.append(id)
        steps += base.lets.map { .bind($0) }
        expand(base.items, into: &steps, abstractRules: abstractRules, chain: &chain, problems: &problems)
        chain.removeLast()
      }
    }
  }

  /// Copies `abstract`'s lets and rules into `instance`, replacing each `$param` by its value
  /// in every expression (context, test, subject, select, path, let values).
  static func instantiate(_ abstract: Pattern, with instance: Pattern) -> Pattern {
    let substitute = ParameterSubstitution(instance.parameters)
    var result = instance
    result.isA = nil
    result.title = instance.title ?? abstract.title
    result.documents = (instance.documents ?? abstract.documents).map(substitute.apply)
    result.lets = abstract.lets.map(substitute.apply) + instance.lets
    result.rules = abstract.rules.map { rule in
      var rule = rule
      rule.context = substitute.apply(rule.context)
      rule.subject = rule.subject.map(substitute.apply)
      rule.lets = rule.lets.map(substitute.apply)
      rule.items = rule.items.map { item in
        switch item {
        case .assertion(let assertion): .assertion(substitute.apply(assertion))
        case .letBinding(let binding): .letBinding(substitute.apply(binding))
        case .extends: item
        }
      }
      return rule
    }
    return result
  }
}

/// Replaces `$name` by a parameter's value, matching whole names only (`$a` never touches `$ab`).
struct ParameterSubstitution {
  let parameters: [String: String]

  init(_ parameters: [String: String]) { self.parameters = parameters }

  func apply(_ text: String) -> String {
    guard !parameters.isEmpty, text.contains("$") else { return text }
    var result = ""
    var index = text.startIndex
    while index < text.endIndex {
      let character = text[index]
      guard character == "$" else {
        result.append(character)
        index = text.index(after: index)
        continue
      }
      var end = text.index(after: index)
      while end < text.endIndex, Self.isNameCharacter(text[end]) { end = text.index(after: end) }
      let name = String(text[text.index(after: index)..<end])
      if let value = parameters[name] {
        result += value
      } else {
        result += "$" + name
      }
      index = end
    }
    return result
  }

  static func isNameCharacter(_ character: Character) -> Bool {
    character.isLetter || character.isNumber || character == "_" || character == "-" || character == "."
      || character == ":"
  }

  func apply(_ binding: Let) -> Let {
    var binding = binding
    if case .expression(let value) = binding.value { binding.value = .expression(apply(value)) }
    return binding
  }

  func apply(_ assertion: Assertion) -> Assertion {
    var assertion = assertion
    assertion.test = apply(assertion.test)
    assertion.subject = assertion.subject.map(apply)
    assertion.message = apply(assertion.message)
    return assertion
  }

  func apply(_ parts: [MessagePart]) -> [MessagePart] {
    parts.map { part in
      switch part {
      case .text: part
      case .valueOf(let select): .valueOf(apply(select))
      case .name(let path): .name(path.map(apply))
      case .emph(let inner): .emph(apply(inner))
      case .dir(let value, let inner): .dir(value, apply(inner))
      case .span(let value, let inner): .span(value, apply(inner))
      }
    }
  }
}
