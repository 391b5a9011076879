import ArgumentParser

/// `reward`: train, evaluate and serve reward models from the command line.
public struct RewardCommand: AsyncParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "reward",
    abstract: "Train, evaluate and score reward models (RLHF, best-of-N, data filtering) on a CPU.",
    discussion: """
      Start with `reward demo` (trains, evaluates and scores on bundled data), then point \
      `reward data inspect` at your own preference file.
      """,
    version: "0.1.0",
    subcommands: [
      DemoCommand.self, DataCommand.self, TrainCommand.self, EvalCommand.self, ScoreCommand.self, ServeCommand.self,
      EmbedCommand.self, BackboneCommand.self, PRMCommand.self, EngineCommand.self, LMBenchCommand.self,
    ]
  )

  public init() {}
}
