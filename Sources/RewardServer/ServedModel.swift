import Foundation
import RewardCore
import RewardSpec

/// What the server serves: a `RewardModel` and a description of it for `GET /v1/spec`.
public struct ServedModel: Sendable {
  public var model: any RewardModel
  public var description: JSONObject

  public init(model: any RewardModel, description: JSONObject) {
    self.model = model
    self.description = description
  }

  /// A reward spec file (YAML or JSON). Its components may include trained checkpoints
  /// (`kind: checkpoint`, `path: DIR`, relative to the spec file).
  public static func spec(path: String, registry: ComponentRegistry = .standard) throws -> ServedModel {
    ServedModel(spec: try RewardSpecLoader.load(path: path, registry: registry), source: path)
  }

  init(spec model: SpecRewardModel, source: String) {
    let spec = model.spec
    let components: [JSONValue] = spec.components.map { component in
      .object(
        JSONObject([
          ("name", .string(component.name)), ("kind", .string(component.kind)), ("weight", .double(component.weight)),
        ]))
    }
    var description = JSONObject([
      ("name", .string(spec.name)), ("type", "spec"), ("source", .string(source)), ("components", .array(components)),
      ("gates", .array(spec.gates.map { .string($0.component) })),
      ("not_applicable", .string(spec.notApplicable.rawValue)),
    ])
    if let clip = spec.clip { description["clip"] = [.double(clip.lowerBound), .double(clip.upperBound)] }
    if let normalization = spec.groupNormalization {
      description["normalize"] = .object(
        JSONObject([
          ("method", "group"), ("epsilon", .double(normalization.epsilon)), ("scale", .bool(normalization.scale)),
        ]))
    }
    self.init(model: model, description: description)
  }

  /// Any model, described by its name and where it came from; a reward spec is described in full.
  public static func model(_ model: any RewardModel, source: String) -> ServedModel {
    if let spec = model as? SpecRewardModel { return ServedModel(spec: spec, source: source) }
    return ServedModel(
      model: model,
      description: JSONObject([("name", .string(model.name)), ("type", "model"), ("source", .string(source))]))
  }
}
