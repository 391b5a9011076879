import Foundation
import Logging
import RewardCore
import Testing

@testable import RewardServer

@Suite struct ConfigurationTests {
  @Test func yamlConfigSetsEverySettingWithPathsRelativeToTheFile() throws {
    let path = try specFile(
      """
      spec: specs/math.yaml
      host: 0.0.0.0
      port: 9000
      api_key: k
      max_body_bytes: 1024
      max_batch_size: 32
      max_wait_ms: 5
      max_queued_items: 100
      request_timeout_s: 2.5
      scoring_threads: 3
      log_format: json
      log_level: debug
      """, name: "serve.yaml")
    let configuration = try ServerConfiguration.load(file: path)
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    #expect(configuration.spec == directory + "/specs/math.yaml")
    #expect(configuration.host == "0.0.0.0" && configuration.port == 9000 && configuration.apiKey == "k")
    #expect(configuration.maxBodyBytes == 1024 && configuration.maxBatchSize == 32)
    #expect(configuration.maxWaitMilliseconds == 5 && configuration.maxQueuedItems == 100)
    #expect(configuration.requestTimeoutSeconds == 2.5 && configuration.scoringThreads == 3)
    #expect(configuration.logFormat == .json && configuration.logLevel == "debug")
    try configuration.validate()
  }

  @Test func jsonConfigAndItsErrors() throws {
    let json = try ServerConfiguration.load(file: specFile(#"{"model": "/ckpt", "port": 0}"#, name: "c.json"))
    #expect(json.model == "/ckpt" && json.port == 0)
    let cases: [(text: String, words: String)] = [
      ("prot: 1", "unknown setting 'prot'"),
      ("port: eighty", "'port': expected an integer, found string"),
      ("max_wait_ms: soon", "'max_wait_ms': expected a number"),
      ("log_format: xml", "expected text or json"),
      (#"{"port": }"#, "invalid JSON"),
      ("- a list", "expected a mapping"),
    ]
    for item in cases {
      #expect {
        try ServerConfiguration.load(file: specFile(item.text, name: "bad.yaml"))
      } throws: { error in
        "\(error)".contains(item.words) && "\(error)".contains("bad.yaml")
      }
    }
  }

  @Test func aConfigFileIsBoundedLikeASpec() throws {
    // The same reader as specs and judge files: an alias bomb stops at the value limit, located.
    var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in 1...9 {
      lines.append("a\(level): &a\(level) [\(Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", "))]")
    }
    #expect {
      try ServerConfiguration.load(file: specFile(lines.joined(separator: "\n"), name: "bomb.yaml"))
    } throws: { error in
      "\(error)".contains("bomb.yaml: a")
        && "\(error)".contains("more than 100000 values once YAML aliases are expanded")
    }
    #expect(try ServerConfiguration.load(file: specFile("", name: "empty.yaml")) == ServerConfiguration())
  }

  @Test func validationNamesTheSetting() throws {
    var configuration = ServerConfiguration()
    #expect(throws: ConfigurationError("nothing to serve: give --spec FILE or --model DIR (or spec/model)")) {
      try configuration.validate()
    }
    configuration.spec = "s.yaml"
    configuration.maxBatchSize = 0
    #expect(throws: ConfigurationError("max_batch_size: expected at least 1, found 0")) { try configuration.validate() }
    configuration.maxBatchSize = 1
    configuration.logLevel = "loud"
    #expect { try configuration.validate() } throws: { "\($0)".hasPrefix("log_level:") }
    configuration.logLevel = "info"
    configuration.maxInFlightBodyBytes = configuration.maxBodyBytes - 1
    #expect { try configuration.validate() } throws: { "\($0)".hasPrefix("max_inflight_body_bytes: expected at least") }
    configuration.maxInFlightBodyBytes = configuration.maxBodyBytes
    configuration.bodyTimeoutSeconds = 0
    #expect { try configuration.validate() } throws: { "\($0)".hasPrefix("body_timeout_s: expected a number > 0") }
  }

  /// The connection and memory limits of issue 16, from a config file.
  @Test func connectionLimitsFromAConfigFile() throws {
    let configuration = try ServerConfiguration.load(
      file: specFile(
        """
        spec: s.yaml
        max_inflight_body_bytes: 1000000
        header_timeout_s: 2.5
        body_timeout_s: 7
        max_connections: 64
        shutdown_timeout_s: 3
        """, name: "limits.yaml"))
    #expect(configuration.maxInFlightBodyBytes == 1_000_000 && configuration.maxConnections == 64)
    #expect(configuration.headerTimeoutSeconds == 2.5 && configuration.bodyTimeoutSeconds == 7)
    #expect(configuration.shutdownTimeoutSeconds == 3)
    #expect { try ServerConfiguration.load(file: specFile("header_timeout_s: soon", name: "bad.yaml")) } throws: {
      "\($0)".contains("'header_timeout_s': expected a number")
    }
    let defaults = ServerConfiguration()
    #expect(defaults.headerTimeoutSeconds == 10 && defaults.bodyTimeoutSeconds == 60)
    #expect(defaults.maxInFlightBodyBytes == 64 * 1024 * 1024 && defaults.shutdownTimeoutSeconds == 30)
  }

  @Test func jsonLogLinesAreJSONObjects() throws {
    let line = JSONLogHandler.line(
      level: .warning, label: "reward.serve", message: "said \"hi\"\n", metadata: ["ms": "3", "path": "/x"])
    let object = try #require(try JSONParser.parse(line).objectValue)
    #expect(object.keys == ["ts", "level", "logger", "message", "ms", "path"])
    #expect(object["level"] == "warning" && object["message"] == "said \"hi\"\n" && object["ms"] == "3")
    #expect(!line.contains("\n"))
  }
}
