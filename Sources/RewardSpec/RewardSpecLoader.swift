import Foundation
import RewardCore

/// Loads reward specs (YAML or JSON) into a `SpecRewardModel`, validating everything up front: an
/// unknown kind, a missing or misspelt parameter, a value of the wrong type or a bad regex fails
/// here with the key path of the problem (`components[1].pattern: invalid regular expression …`).
public enum RewardSpecLoader {
  public static func load(path: String, registry: ComponentRegistry = .standard) throws(SpecError) -> SpecRewardModel {
    try SpecRewardModel(spec: parse(SpecDocument.read(path: path), file: path, registry: registry))
  }

  public static func load(text: String, file: String? = nil, registry: ComponentRegistry = .standard) throws(SpecError)
    -> SpecRewardModel
  {
    try SpecRewardModel(spec: parse(SpecDocument.read(text: text, file: file), file: file, registry: registry))
  }

  static let topLevelKeys = ["name", "components", "gates", "not_applicable", "clip", "normalize"]

  public static func parse(_ document: JSONValue, file: String? = nil, registry: ComponentRegistry = .standard)
    throws(SpecError) -> RewardSpec
  {
    guard let root = document.objectValue else {
      throw SpecError(file: file, path: "", "a spec is a mapping with a 'components' list, found \(document.typeName)")
    }
    var top = Parameters(root, path: "", file: file)
    let name = try top.string(
      "name", default: file.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? "spec")
    guard let componentList = top.value("components") else {
      throw SpecError(file: file, path: "components", "missing: a spec needs at least one component")
    }
    guard let items = componentList.arrayValue, !items.isEmpty else {
      throw SpecError(
        file: file, path: "components", "expected a non-empty list of components, found \(componentList.typeName)")
    }
    guard items.count <= SpecLimits.maximumComponents else {
      throw SpecError(
        file: file, path: "components",
        "\(items.count) components, over the limit of \(SpecLimits.maximumComponents)")
    }
    var components: [RewardSpec.Component] = []
    var names: Set<String> = []
    for (index, item) in items.enumerated() {
      let component = try parseComponent(
        item, path: "components[\(index)]", file: file, registry: registry, names: names)
      names.insert(component.name)
      components.append(component)
    }
    let gates = try parseGates(top.value("gates"), components: components, file: file)
    let policyName = try top.choice(
      "not_applicable", among: RewardSpec.NotApplicablePolicy.allCases.map(\.rawValue), default: "renormalize")
    let clip = try parseClip(top.value("clip"), file: file)
    let normalization = try parseNormalization(top.value("normalize"), file: file)
    for key in root.keys where !topLevelKeys.contains(key) {
      throw SpecError(file: file, path: key.excerpt(), "unknown key (known: \(topLevelKeys.joined(separator: ", ")))")
    }
    return RewardSpec(
      name: name, components: components, gates: gates,
      notApplicable: RewardSpec.NotApplicablePolicy(rawValue: policyName)!, clip: clip,
      groupNormalization: normalization)
  }

  private static func parseComponent(
    _ item: JSONValue, path: String, file: String?, registry: ComponentRegistry, names: Set<String>
  ) throws(SpecError) -> RewardSpec.Component {
    guard let object = item.objectValue else {
      throw SpecError(file: file, path: path, "expected a mapping with 'kind', found \(item.typeName)")
    }
    var p = Parameters(object, path: path, file: file)
    let kind = try p.string("kind")
    guard let constructor = registry.constructors[kind] else {
      throw p.error("kind", "unknown kind '\(kind.excerpt())'; known kinds: \(registry.kinds.joined(separator: ", "))")
    }
    let name = try p.string("name", default: kind)
    if names.contains(name) {
      throw p.error("name", "duplicate component name '\(name.excerpt())': give each component a distinct 'name'")
    }
    let weight = try p.double("weight", default: 1)
    let scorer = try constructor(&p)
    try p.finish()
    return RewardSpec.Component(name: name, kind: kind, weight: weight, scorer: scorer)
  }

  private static func parseGates(_ value: JSONValue?, components: [RewardSpec.Component], file: String?)
    throws(SpecError) -> [RewardSpec.Gate]
  {
    guard let value else { return [] }
    guard let items = value.arrayValue else {
      throw SpecError(file: file, path: "gates", "expected a list of gates, found \(value.typeName)")
    }
    var gates: [RewardSpec.Gate] = []
    for (index, item) in items.enumerated() {
      guard let object = item.objectValue else {
        throw SpecError(
          file: file, path: "gates[\(index)]", "expected a mapping with 'component', found \(item.typeName)")
      }
      var p = Parameters(object, path: "gates[\(index)]", file: file)
      let component = try p.string("component")
      guard components.contains(where: { $0.name == component }) else {
        throw p.error(
          "component",
          "unknown component '\(component.excerpt())' (known: \(components.map(\.name).joined(separator: ", ")))")
      }
      let gate = RewardSpec.Gate(
        component: component, minimum: try p.double("min", default: 1), otherwise: try p.double("otherwise", default: 0)
      )
      try p.finish()
      gates.append(gate)
    }
    return gates
  }

  private static func parseClip(_ value: JSONValue?, file: String?) throws(SpecError) -> ClosedRange<Double>? {
    guard let value else { return nil }
    var low: Double?
    var high: Double?
    if let pair = value.arrayValue, pair.count == 2 {
      low = pair[0].doubleValue
      high = pair[1].doubleValue
    } else if let object = value.objectValue {
      var p = Parameters(object, path: "clip", file: file)
      low = try p.double("min", default: -.infinity)
      high = try p.double("max", default: .infinity)
      try p.finish()
    }
    guard let low, let high, !low.isNaN, !high.isNaN else {
      throw SpecError(file: file, path: "clip", "expected [min, max] or {min: …, max: …} with numbers")
    }
    guard low <= high else { throw SpecError(file: file, path: "clip", "min \(low) is greater than max \(high)") }
    return low...high
  }

  private static func parseNormalization(_ value: JSONValue?, file: String?) throws(SpecError)
    -> RewardSpec.GroupNormalization?
  {
    guard let value else { return nil }
    if let word = value.stringValue {
      switch word {
      case "none": return nil
      case "group": return RewardSpec.GroupNormalization(epsilon: 1e-6, scale: true)
      default: throw SpecError(file: file, path: "normalize", "expected none or group, found '\(word.excerpt())'")
      }
    }
    guard let object = value.objectValue else {
      throw SpecError(file: file, path: "normalize", "expected none, group or a mapping, found \(value.typeName)")
    }
    var p = Parameters(object, path: "normalize", file: file)
    let method = try p.choice("method", among: ["group", "none"], default: "group")
    let epsilon = try p.double("epsilon", default: 1e-6)
    // ε keeps a group whose rewards are all equal (std 0) finite: with ε = 0 it would be 0/0.
    guard epsilon > 0 else { throw p.error("epsilon", "must be greater than 0, found \(epsilon)") }
    let scale = try p.bool("scale", default: true)
    try p.finish()
    return method == "none" ? nil : RewardSpec.GroupNormalization(epsilon: epsilon, scale: scale)
  }
}
