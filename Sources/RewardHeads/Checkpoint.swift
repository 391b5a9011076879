import Foundation
import RewardBackbones
import RewardCore
import RewardFeatures
import RewardTensor

/// A trained model on disk: a directory with `config.json` (what it is, how it was trained, its
/// metrics) and `model.safetensors` (the weights). Loading rebuilds the same pipeline, so scores
/// are identical to those right after training.
public struct Checkpoint: Sendable {
  public static let formatName = "rewardkit-checkpoint"
  public static let formatVersion: Int64 = 1
  public static let configFile = "config.json"
  public static let weightsFile = "model.safetensors"

  public var head: any CheckpointHead
  public var featurizer: JSONValue
  public var training: JSONValue
  public var metrics: JSONValue
  /// Temperature fitted on the validation split (`--calibrate`); rewards are divided by it.
  public var temperature: Double

  public init(
    head: any CheckpointHead, featurizer: JSONValue, training: JSONValue, metrics: JSONValue, temperature: Double = 1
  ) {
    self.head = head
    self.featurizer = featurizer
    self.training = training
    self.metrics = metrics
    self.temperature = temperature
  }

  public var config: JSONValue {
    var headObject = JSONObject([("kind", .string(type(of: head).kind)), ("dimension", .int(Int64(head.dimension)))])
    for (key, value) in head.settings.entries { headObject[key] = value }
    return [
      "format": .string(Self.formatName), "format_version": .int(Self.formatVersion),
      "rewardkit_version": .string(RewardKitVersion.current), "head": .object(headObject),
      "calibration": ["temperature": .double(temperature)], "featurizer": featurizer, "training": training,
      "metrics": metrics,
    ]
  }

  public func save(to directory: String) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let configText = PrettyJSON.format(config) + "\n"
    try configText.write(toFile: directory + "/" + Self.configFile, atomically: true, encoding: .utf8)
    try SafeTensorsWriter.write(
      head.tensors, metadata: ["format": "pt", "rewardkit_head": type(of: head).kind],
      to: directory + "/" + Self.weightsFile)
  }

  public static func load(from directory: String) throws -> Checkpoint {
    let configPath = directory + "/" + configFile
    guard FileManager.default.fileExists(atPath: configPath) else {
      throw ConfigurationError("\(directory): not a RewardKit checkpoint (no \(configFile))")
    }
    let text = try String(contentsOfFile: configPath, encoding: .utf8)
    let config: JSONValue
    do {
      config = try JSONParser.parse(text)
    } catch {
      throw ConfigurationError("\(configPath):\(error.line): malformed JSON: \(error.message)")
    }
    guard let object = config.objectValue, object["format"]?.stringValue == formatName else {
      throw ConfigurationError("\(configPath): field 'format': expected \"\(formatName)\"")
    }
    guard let headObject = object["head"]?.objectValue, let kind = headObject["kind"]?.stringValue,
      case .int(let dimension) = headObject["dimension"], dimension > 0
    else {
      throw ConfigurationError("\(configPath): field 'head': expected {\"kind\": string, \"dimension\": integer}")
    }
    guard let featurizer = object["featurizer"], featurizer.objectValue != nil else {
      throw ConfigurationError("\(configPath): field 'featurizer': expected an object")
    }
    let temperature = object["calibration"]?.objectValue?["temperature"]?.doubleValue ?? 1
    guard temperature > 0 else {
      throw ConfigurationError("\(configPath): field 'calibration.temperature': expected a number > 0")
    }
    let weights = try SafeTensorsFile(path: directory + "/" + weightsFile)
    let head = try HeadRegistry.load(kind: kind, settings: headObject, dimension: Int(dimension), weights: weights)
    return Checkpoint(
      head: head, featurizer: featurizer, training: object["training"] ?? .null, metrics: object["metrics"] ?? .null,
      temperature: temperature)
  }

  /// The checkpoint as a `RewardModel` (an error for pairwise-only heads).
  public func rewardModel(name: String) throws -> HeadRewardModel {
    guard let rewardHead = head as? any RewardHead else {
      throw ConfigurationError(
        "\(name): a '\(type(of: head).kind)' model only compares pairs (P(a ≻ b)); it gives no scalar reward")
    }
    return try HeadRewardModel(
      name: name, featurizer: FeaturizerFactory.make(descriptor: featurizer), head: rewardHead, temperature: temperature
    )
  }

  /// The checkpoint as a `PreferenceModel`: every head can compare pairs.
  public func preferenceModel(name: String) throws -> any PreferenceModel {
    if let pairwise = head as? any PairwiseHead {
      return try HeadPreferenceModel(
        name: name, featurizer: FeaturizerFactory.make(descriptor: featurizer), head: pairwise)
    }
    return try rewardModel(name: name)
  }
}

/// Rebuilds a featurizer from the descriptor a checkpoint stored: one place that knows every kind.
public enum FeaturizerFactory {
  public static func make(descriptor: JSONValue) throws -> any Featurizer {
    let kind = descriptor.objectValue?["kind"]?.stringValue ?? "<missing>"
    switch kind {
    case HashedNGramFeaturizer.kind: return try HashedNGramFeaturizer.make(descriptor: descriptor)
    case EncoderFeaturizer.kind: return try EncoderFeaturizer.make(descriptor: descriptor)
    default:
      throw ConfigurationError(
        "featurizer.kind: unknown featurizer '\(kind)'; expected '\(HashedNGramFeaturizer.kind)' or '\(EncoderFeaturizer.kind)'"
      )
    }
  }
}

public enum RewardKitVersion {
  public static let current = "0.1.0"
}

/// Indented JSON for files people open (config.json); data files stay compact.
public enum PrettyJSON {
  public static func format(_ value: JSONValue, indent: String = "") -> String {
    let inner = indent + "  "
    switch value {
    case .array(let items)
    where !items.isEmpty && items.contains(where: { $0.arrayValue != nil || $0.objectValue != nil }):
      return "[\n" + items.map { inner + format($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
    case .object(let object) where !object.isEmpty:
      let lines = object.entries.map { entry -> String in
        var key = ""
        JSONValue.string(entry.key).write(into: &key)
        return inner + key + ": " + format(entry.value, indent: inner)
      }
      return "{\n" + lines.joined(separator: ",\n") + "\n" + indent + "}"
    default:
      return value.jsonText
    }
  }
}
