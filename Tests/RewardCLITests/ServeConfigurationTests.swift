import Foundation
import RewardCore
import Testing

@testable import RewardCLI

/// `reward serve`'s settings: defaults, then the config file, then the environment (API key),
/// then the flags; every combination validated before a model is loaded.
@Suite struct ServeConfigurationTests {
  func configFile(_ text: String) throws -> (directory: String, file: String) {
    let directory = try Paths.temporaryDirectory()
    let file = directory + "/serve.yaml"
    try text.write(toFile: file, atomically: true, encoding: .utf8)
    return (directory, file)
  }

  @Test func flagsAloneOverTheDefaults() throws {
    let command = try ServeCommand.parse(["--spec", "math.yaml", "--port", "9001", "--log-format", "json"])
    let settings = try command.resolvedConfiguration(environment: [:])
    #expect(settings.spec == "math.yaml" && settings.model == nil)
    #expect(settings.port == 9001)
    #expect(settings.host == "127.0.0.1")
    #expect(settings.apiKey == nil)
    #expect(settings.logFormat == .json)
  }

  @Test func flagsOverrideTheConfigFileAndPathsAreRelativeToIt() throws {
    let (directory, file) = try configFile("model: ckpt\nport: 7000\nhost: 0.0.0.0\napi_key: from-file\n")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let fromFile = try ServeCommand.parse(["--config", file]).resolvedConfiguration(environment: [:])
    #expect(fromFile.model == directory + "/ckpt")
    #expect(fromFile.port == 7000 && fromFile.host == "0.0.0.0")
    #expect(fromFile.apiKey == "from-file")
    let overridden = try ServeCommand.parse(["--config", file, "--spec", "s.yaml", "--port", "7001"])
      .resolvedConfiguration(environment: [:])
    // A --spec on the command line replaces the file's model rather than clashing with it.
    #expect(overridden.spec == "s.yaml" && overridden.model == nil)
    #expect(overridden.port == 7001 && overridden.host == "0.0.0.0")
  }

  @Test func apiKeyPrecedenceIsFlagThenEnvironmentThenFile() throws {
    let (directory, file) = try configFile("spec: s.yaml\napi_key: from-file\n")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let environment = ["REWARDKIT_API_KEY": "from-env"]
    #expect(try ServeCommand.parse(["--config", file]).resolvedConfiguration(environment: [:]).apiKey == "from-file")
    #expect(
      try ServeCommand.parse(["--config", file]).resolvedConfiguration(environment: environment).apiKey == "from-env")
    #expect(
      try ServeCommand.parse(["--config", file, "--api-key", "from-flag"]).resolvedConfiguration(
        environment: environment
      ).apiKey == "from-flag")
  }

  @Test func badSettingsAreClearErrors() throws {
    func message(_ arguments: [String]) -> String? {
      do {
        _ = try ServeCommand.parse(arguments).resolvedConfiguration(environment: [:])
        return nil
      } catch {
        return ServeCommand.message(for: error)
      }
    }
    #expect(message([])?.contains("nothing to serve") == true)
    #expect(message(["--spec", "a.yaml", "--model", "b"])?.contains("not both") == true)
    #expect(message(["--spec", "a.yaml", "--port", "70000"])?.contains("port: expected 0…65535") == true)
    #expect(
      message(["--spec", "a.yaml", "--log-format", "xml"])?.contains("'xml' is invalid for '--log-format") == true)
    #expect(message(["--spec", "a.yaml", "--log-level", "loud"])?.contains("log_level") == true)
    #expect(message(["--spec", "a.yaml", "--max-batch-size", "0"])?.contains("max_batch_size") == true)
    #expect(message(["--config", "/nonexistent/serve.yaml"])?.contains("/nonexistent/serve.yaml") == true)
  }
}
