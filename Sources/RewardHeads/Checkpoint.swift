import Foundation
import RewardBackbones
import RewardCore
import RewardFeatures
import RewardLM
import RewardTensor

/// A trained model on disk: a directory with `config.json` (what it is, how it was trained, its
/// metrics) and `model.safetensors` (the weights). Loading rebuilds the same pipeline, so scores
/// are identical to those right after training.
public struct Checkpoint: Sendable {
  public static let formatName = "rewardkit-checkpoint"
  /// 2 added the weights checksum; 1 (no checksum) still loads.
  public static let formatVersion: Int64 = 2
  public static let readableVersions: ClosedRange<Int64> = 1...2
  public static let configFile = "config.json"
  public static let weightsFile = "model.safetensors"
  /// Calibration temperatures outside this range are corrupt: 1e-300 would multiply rewards by
  /// 1e300. The top is what `TemperatureCalibration.fit` can return (T = 1e11 and more for a
  /// model with no signal on its validation split: rewards near 0, which is honest).
  public static let temperatureRange: ClosedRange<Double> = 1e-6...1e100
  /// A feature dimension beyond this is corrupt (no weights file holds 2^32 floats), and would
  /// overflow the heads' parameter counts.
  public static let maximumDimension = 1 << 32

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

  public var config: JSONValue { config(weightsChecksum: nil) }

  func config(weightsChecksum: WeightsChecksum?) -> JSONValue {
    var headObject = JSONObject([("kind", .string(type(of: head).kind)), ("dimension", .int(Int64(head.dimension)))])
    for (key, value) in head.settings.entries { headObject[key] = value }
    var object = JSONObject([
      ("format", .string(Self.formatName)), ("format_version", .int(Self.formatVersion)),
      ("rewardkit_version", .string(RewardKitVersion.current)), ("head", .object(headObject)),
      ("calibration", ["temperature": .double(temperature)]), ("featurizer", featurizer), ("training", training),
      ("metrics", metrics),
    ])
    if let weightsChecksum { object["weights"] = weightsChecksum.json }
    return .object(object)
  }

  /// Writes the checkpoint so that a crash or kill at any moment leaves `directory` holding
  /// either the previous checkpoint or the new one, never a mix: both files go into a fresh
  /// sibling directory, which is then renamed into place.
  public func save(to directory: String) throws {
    let weights = SafeTensorsWriter.encode(
      head.tensors, metadata: ["format": "pt", "rewardkit_head": type(of: head).kind])
    let configText = PrettyJSON.format(config(weightsChecksum: WeightsChecksum(of: weights))) + "\n"
    try AtomicDirectory.replace(directory) { staging in
      try weights.write(to: URL(fileURLWithPath: staging + "/" + Self.weightsFile))
      try Data(configText.utf8).write(to: URL(fileURLWithPath: staging + "/" + Self.configFile))
    }
  }

  public static func load(from directory: String) throws -> Checkpoint {
    let configPath = directory + "/" + configFile
    let weightsPath = directory + "/" + weightsFile
    func fail(_ message: String) -> ConfigurationError { ConfigurationError("\(configPath): \(message)") }
    guard let bytes = FileManager.default.contents(atPath: configPath) else {
      if FileManager.default.fileExists(atPath: configPath) { throw fail("cannot read the file") }
      let target = URL(fileURLWithPath: directory).standardizedFileURL
      let parent = target.deletingLastPathComponent().path
      if !FileManager.default.fileExists(atPath: directory),
        let previous = AtomicDirectory.leftovers(of: target.lastPathComponent, in: parent).first(where: {
          $0.contains(".old-")
        })
      {
        throw ConfigurationError(
          "\(directory): missing; a save was interrupted and left the previous checkpoint in "
            + "\(parent)/\(previous): rename it back to \(target.lastPathComponent)")
      }
      throw ConfigurationError("\(directory): not a RewardKit checkpoint (no \(configFile))")
    }
    let config: JSONValue
    do {
      config = try JSONParser.parse(bytes: Array(bytes))
    } catch {
      throw ConfigurationError("\(configPath):\(error.line):\(error.column): malformed JSON: \(error.message)")
    }
    guard let object = config.objectValue else {
      throw fail("expected a JSON object, found \(config.typeName)")
    }
    let fields = RecordFields(object, at: SourceLocation(file: configPath))
    let version: Int64
    let headFields: RecordFields
    let kind: String
    let dimension: Int
    let featurizer: JSONObject
    let temperature: Double
    do throws(InputError) {
      guard try fields.optionalString("format") == formatName else {
        throw fields.invalid("format", "expected \"\(formatName)\" (this is not a RewardKit checkpoint)")
      }
      version = try formatVersion(of: fields)
      headFields = try fields.record("head")
      kind = try headFields.string("kind")
      dimension = try headFields.integer("dimension")
      guard (1...Checkpoint.maximumDimension).contains(dimension) else {
        throw headFields.invalid(
          "dimension", "expected an integer in 1...\(Checkpoint.maximumDimension), found \(dimension)")
      }
      featurizer = try fields.object("featurizer")
      temperature = try calibrationTemperature(of: fields)
    } catch {
      throw ConfigurationError("\(error.location): \(error.message)")
    }
    let weightBytes: Data
    do {
      weightBytes = try Data(contentsOf: URL(fileURLWithPath: weightsPath), options: .alwaysMapped)
    } catch {
      throw ConfigurationError("\(weightsPath): cannot read the weights (\(error.localizedDescription))")
    }
    if let recorded = try WeightsChecksum(configValue: object["weights"], fail: fail) {
      let actual = WeightsChecksum(of: weightBytes)
      guard actual == recorded else {
        throw ConfigurationError(
          "\(weightsPath): checksum mismatch: config.json field 'weights' records \(recorded.summary), "
            + "the file has \(actual.summary); the weights are corrupt or belong to another checkpoint")
      }
    } else if version >= 2 {
      throw fail("field 'weights': missing; format_version \(version) records the weights' checksum")
    }
    let weights = try SafeTensorsFile(data: weightBytes, path: weightsPath)
    try CheckpointWeights.validate(weights)
    let head: any CheckpointHead
    do {
      head = try HeadRegistry.load(kind: kind, settings: headFields, dimension: dimension, weights: weights)
    } catch let error as InputError {
      throw ConfigurationError("\(error.location): \(error.message)")
    } catch let error as ConfigurationError where !error.message.hasPrefix(directory) {
      throw fail(error.message)
    }
    try CheckpointWeights.validateShapes(of: head, against: weights)
    return Checkpoint(
      head: head, featurizer: .object(featurizer), training: object["training"] ?? .null,
      metrics: object["metrics"] ?? .null,
      temperature: temperature)
  }

  /// `format_version`, which must be one this RewardKit reads (absent means 1).
  private static func formatVersion(of fields: RecordFields) throws(InputError) -> Int64 {
    guard fields.has("format_version") else { return 1 }
    let version = Int64(try fields.integer("format_version"))
    guard version >= 1 else { throw fields.invalid("format_version", "expected a positive integer, found \(version)") }
    guard version <= readableVersions.upperBound else {
      throw fields.invalid(
        "format_version",
        "\(version) was written by a newer RewardKit; this one (\(RewardKitVersion.current)) "
          + "reads versions \(readableVersions.lowerBound)–\(readableVersions.upperBound)")
    }
    return version
  }

  /// `calibration.temperature`: absent means 1; otherwise a finite number in `temperatureRange`.
  private static func calibrationTemperature(of fields: RecordFields) throws(InputError) -> Double {
    guard fields.has("calibration") else { return 1 }
    let calibration = try fields.record("calibration")
    // An explicit null is an error here, not "absent": a checkpoint writer never writes one.
    guard let value = calibration.fields["temperature"] else { return 1 }
    guard let temperature = value.doubleValue, temperature.isFinite, temperatureRange.contains(temperature) else {
      throw calibration.invalid(
        "temperature",
        "expected a number in [\(temperatureRange.lowerBound), \(temperatureRange.upperBound)], "
          + "found \(value.jsonText.prefix(40))")
    }
    return temperature
  }

  /// The checkpoint as a `RewardModel` (an error for pairwise-only heads). `store` is where its
  /// backbone and embedding cache live (the default: `$REWARDKIT_CACHE` or ~/.cache/rewardkit).
  public func rewardModel(name: String, store: BackboneStore = BackboneStore()) throws -> HeadRewardModel {
    guard let rewardHead = head as? any RewardHead else {
      throw ConfigurationError(
        "\(name): a '\(type(of: head).kind)' model only compares pairs (P(a ≻ b)); it gives no scalar reward")
    }
    return try HeadRewardModel(
      name: name, featurizer: makeFeaturizer(directory: name, store: store), head: rewardHead, temperature: temperature)
  }

  /// The stored featurizer, rebuilt; an error in its descriptor names the config file it came from
  /// (callers name a checkpoint by its directory).
  private func makeFeaturizer(directory: String, store: BackboneStore = BackboneStore()) throws -> any Featurizer {
    do {
      return try FeaturizerFactory.make(descriptor: featurizer, store: store)
    } catch let error as ConfigurationError {
      throw ConfigurationError("\(directory)/\(Self.configFile): \(error.message)")
    }
  }

  /// The checkpoint as a `PreferenceModel`: every head can compare pairs.
  public func preferenceModel(name: String) throws -> any PreferenceModel {
    if let pairwise = head as? any PairwiseHead {
      return try HeadPreferenceModel(name: name, featurizer: makeFeaturizer(directory: name), head: pairwise)
    }
    return try rewardModel(name: name)
  }
}

/// Rebuilds a featurizer from the descriptor a checkpoint stored: one place that knows every kind.
/// Backbone featurizers come from the process's shared ones (`EncoderFeaturizer.shared`,
/// `LanguageModelLoader.featurizer`), so checkpoints on one backbone encode each text once.
public enum FeaturizerFactory {
  public static func make(descriptor: JSONValue, store: BackboneStore = BackboneStore()) throws -> any Featurizer {
    let kind = descriptor.objectValue?["kind"]?.stringValue ?? "<missing>"
    switch kind {
    case HashedNGramFeaturizer.kind: return try HashedNGramFeaturizer.make(descriptor: descriptor)
    case EncoderFeaturizer.kind: return try EncoderFeaturizer.make(descriptor: descriptor, store: store)
    case EngineEmbeddingFeaturizer.kind: return try EngineEmbeddingFeaturizer.make(descriptor: descriptor)
    case DecoderFeaturizer.kind: return try LanguageModelLoader.featurizer(descriptor: descriptor, store: store)
    default:
      let known = [
        HashedNGramFeaturizer.kind, EncoderFeaturizer.kind, DecoderFeaturizer.kind, EngineEmbeddingFeaturizer.kind,
      ]
      throw ConfigurationError(
        "featurizer.kind: unknown featurizer '\(kind)'; expected \(known.map { "'\($0)'" }.joined(separator: ", "))")
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
