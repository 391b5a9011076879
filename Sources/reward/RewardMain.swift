import ArgumentParser
import RewardCLI

/// Entry point: parses `reward …` and runs the (async) subcommand.
@main
struct RewardMain {
  static func main() async {
    do {
      var command = try RewardCommand.parseAsRoot()
      if var asyncCommand = command as? any AsyncParsableCommand {
        try await asyncCommand.run()
      } else {
        try command.run()
      }
    } catch {
      RewardCommand.exit(withError: error)
    }
  }
}
