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
    guard let object = config.objectValue else {
      throw ConfigurationError("\(configPath): expected a JSON object, found \(config.typeName)")
    }
    let fields = RecordFields(object, at: SourceLocation(file: configPath))
    let dimension: Int
    let includeStep: Bool
    let featurizer: JSONObject
    let threshold: Double?
    do throws(InputError) {
      guard try fields.optionalString("format") == formatName else {
        throw fields.invalid("format", "expected \"\(formatName)\" (a PRM checkpoint)")
      }
      let head = try fields.record("head")
      dimension = try head.integer("featurizer_dimension")
      guard (1...Checkpoint.maximumDimension).contains(dimension) else {
        throw head.invalid(
          "featurizer_dimension", "expected an integer in 1...\(Checkpoint.maximumDimension), found \(dimension)")
      }
      includeStep = try head.bool("include_step_features")
      featurizer = try fields.object("featurizer")
      threshold = try fields.optionalNumber("threshold")
    } catch {
      throw ConfigurationError("\(error.location): \(error.message)")
    }
    let weightsPath = directory + "/" + Checkpoint.weightsFile
    let weights = try SafeTensorsFile(path: weightsPath)
    let w = try weights.floats("weight")
    let b = try weights.floats("bias")
    let expected = dimension * (includeStep ? 2 : 1)
    guard w.count == expected, b.count == 1 else {
      throw ConfigurationError(
        "\(weightsPath): expected 'weight' of \(expected) values and 'bias' of 1, found \(w.count) and \(b.count)")
    }
    return PRMCheckpoint(
      head: PRMHead(featurizerDimension: dimension, includeStepFeatures: includeStep, weights: w, bias: b[0]),
      featurizer: .object(featurizer), training: object["training"] ?? .null, threshold: threshold)
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
