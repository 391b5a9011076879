import Foundation
import RewardCore
import RewardFeatures
import RewardTensor

/// A trained PRM on disk, laid out like other checkpoints: `config.json` (what it is, the
/// featurizer, how it was trained, its calibrated threshold) and `model.safetensors` (`weight`,
/// `bias`). Its own format name, so a preference-head loader refuses it with a clear message.
public struct PRMCheckpoint: Sendable {
  public static let formatName = "rewardkit-prm-checkpoint"
  public static let formatVersion: Int64 = 1

  public var head: PRMHead
  public var featurizer: JSONValue
  public var training: JSONValue
  /// The step threshold τ chosen on a calibration file (`reward prm eval --calibration`), if any.
  public var threshold: Double?

  public init(head: PRMHead, featurizer: JSONValue, training: JSONValue, threshold: Double? = nil) {
    self.head = head
    self.featurizer = featurizer
    self.training = training
    self.threshold = threshold
  }

  public var config: JSONValue {
    [
      "format": .string(Self.formatName), "format_version": .int(Self.formatVersion),
      "rewardkit_version": .string(RewardKitVersion.current),
      "head": [
        "kind": .string(PRMHead.kind), "featurizer_dimension": .int(Int64(head.featurizerDimension)),
        "include_step_features": .bool(head.includeStepFeatures),
      ],
      "featurizer": featurizer, "training": training, "threshold": threshold.map { .double($0) } ?? .null,
    ]
  }

  public func save(to directory: String) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try SafeTensorsWriter.write(
      [
        NamedTensor(name: "weight", shape: [head.weights.count], values: head.weights),
        NamedTensor(name: "bias", shape: [1], values: [head.bias]),
      ], metadata: ["format": "pt", "rewardkit_head": PRMHead.kind], to: directory + "/" + Checkpoint.weightsFile)
    // The config last: a directory with a config.json is a complete checkpoint.
    try (PrettyJSON.format(config) + "\n").write(
      toFile: directory + "/" + Checkpoint.configFile, atomically: true, encoding: .utf8)
  }

  /// Whether `directory` holds a PRM checkpoint (rather than another kind).
  public static func isPRMCheckpoint(_ directory: String) -> Bool {
    guard let text = try? String(contentsOfFile: directory + "/" + Checkpoint.configFile, encoding: .utf8),
      let config = try? JSONParser.parse(text)
    else { return false }
    return config.objectValue?["format"]?.stringValue == formatName
  }

  public static func load(from directory: String) throws -> PRMCheckpoint {
    let configPath = directory + "/" + Checkpoint.configFile
    guard FileManager.default.fileExists(atPath: configPath) else {
      throw ConfigurationError("\(directory): not a checkpoint (no \(Checkpoint.configFile))")
    }
    let config: JSONValue
    do {
      config = try JSONParser.parse(try String(contentsOfFile: configPath, encoding: .utf8))
    } catch let error as JSONSyntaxError {
      throw ConfigurationError("\(configPath):\(error.line): malformed JSON: \(error.message)")
    }
    guard let object = config.objectValue, object["format"]?.stringValue == formatName else {
      throw ConfigurationError("\(configPath): field 'format': expected \"\(formatName)\" (a PRM checkpoint)")
    }
    guard let headObject = object["head"]?.objectValue, case .int(let dimension) = headObject["featurizer_dimension"],
      dimension > 0, case .bool(let includeStep) = headObject["include_step_features"]
    else {
      throw ConfigurationError(
        "\(configPath): field 'head': expected {\"featurizer_dimension\": integer > 0, \"include_step_features\": boolean}"
      )
    }
    guard let featurizer = object["featurizer"], featurizer.objectValue != nil else {
      throw ConfigurationError("\(configPath): field 'featurizer': expected an object")
    }
    let weightsPath = directory + "/" + Checkpoint.weightsFile
    let weights = try SafeTensorsFile(path: weightsPath)
    let w = try weights.floats("weight")
    let b = try weights.floats("bias")
    let expected = Int(dimension) * (includeStep ? 2 : 1)
    guard w.count == expected, b.count == 1 else {
      throw ConfigurationError(
        "\(weightsPath): expected 'weight' of \(expected) values and 'bias' of 1, found \(w.count) and \(b.count)")
    }
    let threshold = object["threshold"]?.doubleValue
    return PRMCheckpoint(
      head: PRMHead(featurizerDimension: Int(dimension), includeStepFeatures: includeStep, weights: w, bias: b[0]),
      featurizer: featurizer, training: object["training"] ?? .null, threshold: threshold)
  }

  /// The checkpoint as a `RewardModel` with step scores.
  public func rewardModel(
    name: String, splitter: StepSplitter = .blankLines, aggregation: StepAggregation = .min
  ) throws -> PRMRewardModel {
    let featurizer = try FeaturizerFactory.make(descriptor: featurizer)
    guard featurizer.dimension == head.featurizerDimension else {
      throw ConfigurationError(
        "\(name): the featurizer makes \(featurizer.dimension)-dimensional vectors, the head reads \(head.featurizerDimension)"
      )
    }
    return PRMRewardModel(name: name, featurizer: featurizer, head: head, splitter: splitter, aggregation: aggregation)
  }
}
