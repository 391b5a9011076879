// swift-tools-version: 6.1
import PackageDescription

// Layers, lowest first: Core → Data → Tensor → Features → Heads → Eval → CLI.
// See docs/ARCHITECTURE.md for what each target holds and why.
let package = Package(
  name: "RewardKit",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "reward", targets: ["reward"]),
    .library(name: "RewardCore", targets: ["RewardCore"]),
    .library(name: "RewardData", targets: ["RewardData"]),
    .library(name: "RewardHeads", targets: ["RewardHeads"]),
    .library(name: "RewardEval", targets: ["RewardEval"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
    .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
  ],
  targets: [
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .target(name: "RewardCore"),
    .target(name: "RewardData", dependencies: ["RewardCore", "CZlib"]),
    .target(name: "RewardTensor", dependencies: ["RewardCore", "COpenBLAS"]),
    .target(name: "RewardFeatures", dependencies: ["RewardCore", "RewardData", "RewardTensor"]),
    .target(name: "RewardBackbones", dependencies: ["RewardCore", "RewardData", "RewardTensor", "RewardFeatures"]),
    // Decoder language models natively (issue 13): GGUF/safetensors, BPE, chat templates, Llama family.
    .target(
      name: "RewardLM",
      dependencies: ["RewardCore", "RewardData", "RewardTensor", "RewardFeatures", "RewardBackbones", "RewardEngine"]),
    // Heads train on any featurizer, decoder-LM hidden states included (RewardLM's featurizer).
    .target(
      name: "RewardHeads",
      dependencies: ["RewardCore", "RewardData", "RewardTensor", "RewardFeatures", "RewardBackbones", "RewardLM"]),
    // Format rules match user patterns with ICU's C API (step budgets); Foundation ships the library.
    .target(
      name: "RewardRules", dependencies: ["RewardCore"],
      linkerSettings: [.linkedLibrary("_FoundationICU", .when(platforms: [.linux]))]),
    .target(
      name: "RewardSpec",
      dependencies: [
        "RewardCore", "RewardData", "RewardRules", "RewardHeads", "RewardRemote", "RewardJudge", "RewardEngine",
        "RewardLM", "RewardYAML",
      ]),
    .target(name: "RewardEval", dependencies: ["RewardCore", "RewardData", "RewardRules"]),
    // The one bounded YAML/JSON reader for configuration documents (specs, judge files, server configs).
    .target(name: "RewardYAML", dependencies: ["RewardCore", .product(name: "Yams", package: "Yams")]),
    // The engine client and its contract (OpenAI-compatible chat/completions/embeddings).
    .target(
      name: "RewardEngine",
      dependencies: ["RewardCore", "RewardRemote", .product(name: "AsyncHTTPClient", package: "async-http-client")]),
    // LLM judges (pointwise, pairwise, listwise, SPCT, RM-R1, tools) on any `ChatEngine`.
    .target(
      name: "RewardJudge",
      dependencies: [
        "RewardCore", "RewardEngine", "RewardRules", "RewardYAML",
        .product(name: "Mustache", package: "swift-mustache"),
      ]),
    // Preference-data pipelines: sample, score, select, pair, relabel (issue 14).
    .target(name: "RewardPipelines", dependencies: ["RewardCore", "RewardData", "RewardEngine"]),
    .target(
      name: "RewardRemote",
      dependencies: ["RewardCore", .product(name: "AsyncHTTPClient", package: "async-http-client")]),
    .target(
      name: "RewardServer",
      dependencies: [
        "RewardCore", "RewardSpec", "RewardYAML", "RewardJudge", "RewardEngine",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
      ]),
    .target(
      name: "RewardCLI",
      dependencies: [
        "RewardCore", "RewardData", "RewardFeatures", "RewardBackbones", "RewardHeads", "RewardEval", "RewardServer",
        "RewardRemote", "RewardSpec", "RewardJudge", "RewardEngine", "RewardPipelines", "RewardLM",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      resources: [.copy("DemoData")]
    ),
    // Throughput and parity tool for the BPE tokenizer (scripts/bench_tokenizer.sh); not installed.
    .executableTarget(
      name: "reward-tokenizer-bench", dependencies: ["RewardLM", "RewardCore"], path: "Sources/RewardTokenizerBench"),
    .executableTarget(
      name: "reward",
      dependencies: ["RewardCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
    // Helpers shared by the test targets (paths into ../shared, fixtures); not a product.
    .target(name: "RewardTestSupport", dependencies: ["RewardCore"], path: "Tests/RewardTestSupport"),
    .testTarget(name: "RewardCoreTests", dependencies: ["RewardCore"]),
    .testTarget(
      name: "RewardDataTests", dependencies: ["RewardData", "RewardTestSupport"], resources: [.copy("Fixtures")]),
    .testTarget(name: "RewardTensorTests", dependencies: ["RewardTensor"]),
    .testTarget(
      name: "RewardHeadsTests",
      dependencies: ["RewardHeads", "RewardFeatures", "RewardData", "RewardTensor", "RewardTestSupport"],
      exclude: ["Fixtures"]),
    // The CLI tests run the `reward` executable: depending on it builds it before them.
    .testTarget(name: "RewardCLITests", dependencies: ["RewardCLI", "reward", "RewardTestSupport"]),
    .testTarget(
      name: "RewardEvalTests", dependencies: ["RewardEval", "RewardData", "RewardRules", "RewardTestSupport"],
      exclude: ["Fixtures"]),
    .testTarget(
      name: "RewardBackbonesTests", dependencies: ["RewardBackbones", "RewardTestSupport"], exclude: ["Fixtures"]),
    .testTarget(
      name: "RewardLMTests",
      dependencies: [
        "RewardLM", "RewardData", "RewardTestSupport", .product(name: "AsyncHTTPClient", package: "async-http-client"),
      ],
      exclude: ["Fixtures"]),
    .testTarget(name: "RewardRulesTests", dependencies: ["RewardRules", "RewardTestSupport"]),
    .testTarget(
      name: "RewardSpecTests",
      dependencies: [
        "RewardSpec", "RewardRemote", "RewardYAML", "RewardLM", "RewardHeads", "RewardEval", "RewardData",
        "RewardBackbones", "RewardTestSupport",
      ]),
    .testTarget(
      name: "RewardJudgeTests",
      dependencies: ["RewardJudge", "RewardSpec", "RewardYAML", "RewardEval", "RewardData", "RewardTestSupport"]),
    // Seeded mutation fuzzing of the record reader, spec loader and math/format rules (issue 16).
    .testTarget(
      name: "RewardFuzzTests",
      dependencies: ["RewardCore", "RewardData", "RewardRules", "RewardSpec", "RewardTestSupport"]),
    .testTarget(
      name: "RewardEngineTests",
      dependencies: [
        "RewardEngine", "RewardLM", "RewardHeads", "RewardData", "RewardBackbones", "RewardTestSupport",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
      ]),
    .testTarget(
      name: "RewardPipelinesTests",
      dependencies: ["RewardPipelines", "RewardCore", "RewardData", "RewardEngine", "RewardRules", "RewardTestSupport"]),
    .testTarget(
      name: "RewardServerTests",
      dependencies: [
        "RewardServer", "RewardRemote", "RewardData", "RewardEval", "RewardJudge", "RewardEngine", "RewardTestSupport",
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "Hummingbird", package: "hummingbird"),
      ]),
  ],
  swiftLanguageModes: [.v6]
)
