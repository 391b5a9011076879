import Foundation
import RewardCore
import RewardData
import RewardFeatures
import RewardTensor
import Testing

@testable import RewardHeads

/// Checkpoints are written atomically, carry their weights' checksum, and are validated on load
/// with errors naming the file and the key (issue 16, points 5, 15 and 17).
@Suite struct CheckpointSafetyTests {
  func directory() -> String { NSTemporaryDirectory() + "rewardkit-safety-" + UUID().uuidString }

  /// 16 weights (the smallest hashed featurizer) counting up from `first`.
  func weights(_ first: Float) -> [Float] { (0..<16).map { first + Float($0) } }

  func linearCheckpoint(_ weights: [Float], temperature: Double = 1) throws -> Checkpoint {
    var features = HashedNGramFeaturizer.Configuration()
    features.buckets = weights.count
    features.lengthFeatures = false
    let featurizer = try HashedNGramFeaturizer(features)
    return Checkpoint(
      head: LinearHead(weights: weights), featurizer: featurizer.descriptor, training: [:], metrics: [:],
      temperature: temperature)
  }

  func configObject(_ directory: String) throws -> JSONObject {
    let text = try String(contentsOfFile: directory + "/config.json", encoding: .utf8)
    return try #require(try JSONParser.parse(text).objectValue)
  }

  func writeConfig(_ object: JSONObject, _ directory: String) throws {
    try Data(PrettyJSON.format(.object(object)).utf8).write(to: URL(fileURLWithPath: directory + "/config.json"))
  }

  func loadError(_ directory: String) -> String {
    do {
      _ = try Checkpoint.load(from: directory)
      return "loaded without error"
    } catch {
      return "\(error)"
    }
  }

  @Test func configRecordsTheWeightsChecksumAndAFlippedBitIsCaught() throws {
    let path = directory()
    defer { try? FileManager.default.removeItem(atPath: path) }
    try linearCheckpoint((0..<64).map { Float($0) / 64 }).save(to: path)
    let weights = try #require(try configObject(path)["weights"]?.objectValue)
    #expect(weights["checksum"]?.stringValue?.hasPrefix("fnv1a-64:") == true)
    #expect(try configObject(path)["format_version"] == .int(2))
    _ = try Checkpoint.load(from: path)

    var bytes = try Data(contentsOf: URL(fileURLWithPath: path + "/model.safetensors"))
    bytes[bytes.count - 3] ^= 0x10
    try bytes.write(to: URL(fileURLWithPath: path + "/model.safetensors"))
    let message = loadError(path)
    #expect(message.contains(path + "/model.safetensors: checksum mismatch"), "\(message)")
  }

  @Test func overwritingReplacesTheWholeDirectoryAndLeavesNoStagingBehind() async throws {
    let parent = directory()
    let path = parent + "/ckpt"
    defer { try? FileManager.default.removeItem(atPath: parent) }
    try linearCheckpoint(weights(1)).save(to: path)
    try "stale".write(toFile: path + "/stale.txt", atomically: true, encoding: .utf8)
    try linearCheckpoint(weights(5)).save(to: path)
    let loaded = try #require(try Checkpoint.load(from: path).head as? LinearHead)
    #expect(loaded.weights == weights(5))
    #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["ckpt"])
    #expect(!FileManager.default.fileExists(atPath: path + "/stale.txt"))
  }

  /// A failure while the new checkpoint is being written (the moment a kill would hit) leaves the
  /// old checkpoint as it was: the new files only ever go into the staging sibling.
  @Test func aFailedWriteLeavesTheOldCheckpointIntact() throws {
    let parent = directory()
    let path = parent + "/ckpt"
    defer { try? FileManager.default.removeItem(atPath: parent) }
    try linearCheckpoint(weights(1)).save(to: path)
    struct Interrupted: Error {}
    #expect(throws: Interrupted.self) {
      try AtomicDirectory.replace(path) { staging in
        try Data("{}".utf8).write(to: URL(fileURLWithPath: staging + "/config.json"))
        throw Interrupted()
      }
    }
    let loaded = try #require(try Checkpoint.load(from: path).head as? LinearHead)
    #expect(loaded.weights == weights(1))
    #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["ckpt"])
  }

  /// What a kill leaves beside the checkpoint is cleaned up by the next save, and a kill between
  /// the fallback's two renames (old moved aside, new not yet in place) is named on load.
  @Test func leftoversOfAKilledSaveAreCleanedOrNamed() throws {
    let parent = directory()
    let path = parent + "/ckpt"
    defer { try? FileManager.default.removeItem(atPath: parent) }
    try linearCheckpoint(weights(1)).save(to: path)
    try FileManager.default.copyItem(atPath: path, toPath: parent + "/.ckpt.new-dead0001")
    try FileManager.default.moveItem(atPath: path, toPath: parent + "/.ckpt.old-dead0002")
    let message = loadError(path)
    #expect(message.contains("a save was interrupted and left the previous checkpoint in"), "\(message)")
    #expect(message.contains(".ckpt.old-dead0002: rename it back to ckpt"), "\(message)")
    try linearCheckpoint(weights(5)).save(to: path)
    #expect(try FileManager.default.contentsOfDirectory(atPath: parent).sorted() == [".ckpt.old-dead0002", "ckpt"])
    try linearCheckpoint(weights(7)).save(to: path)
    #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["ckpt"])
  }

  @Test func aPathThatIsAFileIsNotOverwritten() throws {
    let path = directory()
    defer { try? FileManager.default.removeItem(atPath: path) }
    try "not a checkpoint".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(throws: ConfigurationError.self) { try linearCheckpoint(weights(1)).save(to: path) }
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "not a checkpoint")
  }

  /// A checkpoint written by RewardKit before checksums (format_version 1, `reward train` on
  /// LLMBar Natural with 256 buckets) still loads and scores as it did then.
  @Test func checkpointFromThePreviousVersionStillLoads() async throws {
    let fixture = SharedData.fixture("checkpoint-v1-bt")
    let config = try configObject(fixture)
    #expect(config["format_version"] == .int(1) && config["weights"] == nil)
    let model = try Checkpoint.load(from: fixture).rewardModel(name: "v1")
    let expected = try String(contentsOfFile: SharedData.fixture("checkpoint-v1-bt-scores.jsonl"), encoding: .utf8)
      .split(separator: "\n").map { try #require(JSONParser.parse(String($0)).objectValue) }
    let candidates = expected.map {
      Candidate(prompt: [.user($0["prompt"]?.stringValue ?? "")], response: $0["response"]?.stringValue ?? "")
    }
    let rewards = try await model.score(candidates)
    for (reward, record) in zip(rewards, expected) {
      let old = try #require(record["reward"]?.doubleValue)
      #expect(abs(reward.value - old) <= 1e-6 * max(1, abs(old)))
    }
  }

  /// Issue 15.1: config.json is read by the one typed record reader, so every bad field is named
  /// by its full path, and a list element of the wrong type is an error instead of being dropped.
  @Test(arguments: [
    ("members", JSONValue.string("three"), "field 'head.members': expected an integer, found string"),
    ("members", .int(0), "field 'head.members': expected an integer ≥ 1, found 0"),
    ("aggregation", .int(1), "field 'head.aggregation': expected a string, found number"),
    ("dimension", .int(1 << 40), "field 'head.dimension': expected an integer in 1...4294967296, found 1099511627776"),
    ("k", .string("x"), "field 'head.k': expected a finite number, found the string \"x\""),
  ])
  func headSettingsErrorsNameTheFieldPath(_ key: String, _ value: JSONValue, _ expected: String) throws {
    let path = directory()
    defer { try? FileManager.default.removeItem(atPath: path) }
    var features = HashedNGramFeaturizer.Configuration()
    features.buckets = 16
    features.lengthFeatures = false
    let featurizer = try HashedNGramFeaturizer(features)
    try Checkpoint(
      head: EnsembleHead(members: [weights(1), weights(2)], aggregation: .mean), featurizer: featurizer.descriptor,
      training: [:], metrics: [:]
    ).save(to: path)
    #expect(loadError(path) == "loaded without error")
    var config = try configObject(path)
    var head = try #require(config["head"]?.objectValue)
    head[key] = value
    config["head"] = .object(head)
    try writeConfig(config, path)
    let message = loadError(path)
    #expect(message == path + "/config.json: " + expected, "\(message)")
  }

  @Test func aNonStringInAListIsAnErrorNotDropped() throws {
    let path = directory()
    defer { try? FileManager.default.removeItem(atPath: path) }
    try linearCheckpoint(weights(1)).save(to: path)
    var config = try configObject(path)
    var head = try #require(config["head"]?.objectValue)
    head["kind"] = .string(RegressionHead.kind)
    head["attributes"] = ["helpfulness", 7]
    head["coefficients"] = [1.0, 0.5]
    config["head"] = .object(head)
    try writeConfig(config, path)
    #expect(
      loadError(path)
        == path + "/config.json: field 'head.attributes[1]': expected a string, found number")
  }

  @Test func aNewerFormatVersionIsRejectedByName() throws {
    let path = directory()
    defer { try? FileManager.default.removeItem(atPath: path) }
    try linearCheckpoint(weights(1)).save(to: path)
    var config = try configObject(path)
    config["format_version"] = .int(99)
    try writeConfig(config, path)
    let message = loadError(path)
    #expect(message.contains(path + "/config.json: field 'format_version': 99 was written by a newer RewardKit"))
  }

  @Test(arguments: [
    (JSONValue.string("hot"), "found \"hot\""), (.double(1e-300), "found 1e-300"), (.double(-2), "found -2"),
    (.null, "found null"),
  ])
  func badCalibrationTemperaturesAreErrors(_ value: JSONValue, _ found: String) throws {
    let path = directory()
    defer { try? FileManager.default.removeItem(atPath: path) }
    try linearCheckpoint(weights(1)).save(to: path)
    var config = try configObject(path)
    config["calibration"] = ["temperature": value]
    try writeConfig(config, path)
    let message = loadError(path)
    #expect(
      message.contains(path + "/config.json: field 'calibration.temperature': expected a number in"), "\(message)")
    #expect(message.contains(found), "\(message)")
  }

  /// Weights replaced by hand (checksum removed, as a version-1 checkpoint has none).
  func checkpointWithWeights(_ data: Data) throws -> String {
    let path = directory()
    try linearCheckpoint(weights(1)).save(to: path)
    var config = try configObject(path)
    config["weights"] = nil
    config["format_version"] = .int(1)
    try writeConfig(config, path)
    try data.write(to: URL(fileURLWithPath: path + "/model.safetensors"))
    return path
  }

  @Test func anIntegerTensorIsAnErrorNamingIt() throws {
    // An I32 tensor of the right size: the reader would convert it to floats silently.
    let header = #"{"head.weight":{"dtype":"I32","shape":[4],"data_offsets":[0,16]}}"#
    var bytes = Data()
    var length = UInt64(header.utf8.count).littleEndian
    withUnsafeBytes(of: &length) { bytes.append(contentsOf: $0) }
    bytes.append(contentsOf: Array(header.utf8))
    for value: Int32 in [1, 2, 3, 4] { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    let path = try checkpointWithWeights(bytes)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let message = loadError(path)
    #expect(message.contains("model.safetensors: tensor 'head.weight' has dtype I32; checkpoint weights must be F32"))
  }

  @Test func nonFiniteWeightsAndWrongShapesAreErrors() throws {
    let nan = try checkpointWithWeights(
      SafeTensorsWriter.encode([
        NamedTensor(name: "head.weight", shape: [16], values: [1, .nan] + weights(3).dropLast(2))
      ]))
    defer { try? FileManager.default.removeItem(atPath: nan) }
    #expect(loadError(nan).contains("tensor 'head.weight' holds nan at index 1; weights must be finite"))

    let shaped = try checkpointWithWeights(
      SafeTensorsWriter.encode([NamedTensor(name: "head.weight", shape: [4, 4], values: weights(1))]))
    defer { try? FileManager.default.removeItem(atPath: shaped) }
    #expect(loadError(shaped).contains("tensor 'head.weight' has shape [4, 4]; config.json's head expects [16]"))

    let extra = try checkpointWithWeights(
      SafeTensorsWriter.encode([
        NamedTensor(name: "head.weight", shape: [16], values: weights(1)),
        NamedTensor(name: "head.bias", shape: [1], values: [0]),
      ]))
    defer { try? FileManager.default.removeItem(atPath: extra) }
    #expect(loadError(extra).contains("unexpected tensor 'head.bias'"))
  }

  /// 16.17: invalid UTF-8 gave `NSCocoaErrorDomain Code=259` with no path.
  @Test func invalidUTF8InConfigIsALocatedError() throws {
    let path = directory()
    defer { try? FileManager.default.removeItem(atPath: path) }
    try linearCheckpoint(weights(1)).save(to: path)
    var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path + "/config.json")))
    let quote = try #require(bytes.firstIndex(of: UInt8(ascii: "r")))  // inside the key "format", line 2
    bytes[quote] = 0xFF
    try Data(bytes).write(to: URL(fileURLWithPath: path + "/config.json"))
    let message = loadError(path)
    #expect(message.hasPrefix(path + "/config.json:2:"), "\(message)")
    #expect(message.contains("UTF-8"), "\(message)")
    #expect(!message.contains("NSCocoaErrorDomain"))
  }

  @Test func headSettingErrorsNameTheConfigFile() throws {
    let path = directory()
    defer { try? FileManager.default.removeItem(atPath: path) }
    try linearCheckpoint(weights(1)).save(to: path)
    var config = try configObject(path)
    var head = try #require(config["head"]?.objectValue)
    head["kind"] = "ensemble"
    config["head"] = .object(head)
    try writeConfig(config, path)
    let message = loadError(path)
    #expect(
      message == path
        + "/config.json: field 'head.members': missing required field (the record has 'kind', 'dimension')",
      "\(message)")
  }

  /// The featurizer is rebuilt after loading (when the model is made); its errors still name the
  /// config file (issue 16.17).
  @Test func unknownFeaturizerNamesTheConfigFile() throws {
    let path = directory()
    defer { try? FileManager.default.removeItem(atPath: path) }
    try linearCheckpoint(weights(1)).save(to: path)
    var config = try configObject(path)
    var featurizer = try #require(config["featurizer"]?.objectValue)
    featurizer["kind"] = "bogus"
    config["featurizer"] = .object(featurizer)
    try writeConfig(config, path)
    let checkpoint = try Checkpoint.load(from: path)
    #expect {
      _ = try checkpoint.rewardModel(name: path)
    } throws: { error in
      "\(error)".hasPrefix(path + "/config.json: featurizer.kind: unknown featurizer 'bogus'")
    }
  }
}
