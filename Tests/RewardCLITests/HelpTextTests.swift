import ArgumentParser
import Testing

@testable import RewardCLI

/// Help must read cleanly at 80 columns (issue 15.7): discussion strings used to carry hard line
/// breaks at ~100 columns, which argument-parser rewrapped at 80, leaving one-word lines.
@Suite struct HelpTextTests {
  /// Every command and subcommand, with its path of names (`["data", "inspect"]`).
  static func commands(
    _ command: any ParsableCommand.Type = RewardCommand.self, path: [String] = []
  ) -> [(path: [String], type: any ParsableCommand.Type)] {
    let here = (path: path, type: command)
    return [here]
      + command.configuration.subcommands.flatMap { sub in
        commands(sub, path: path + [sub.configuration.commandName ?? "\(sub)"])
      }
  }

  /// Lines that end a paragraph early: a line of one or two words, between lines of the same
  /// indentation, while the next line's first word would still have fitted on it. That is the
  /// trace of a hard break inside a paragraph (intentional short lines — list items, examples —
  /// are indented differently or followed by a blank line).
  static func raggedLines(_ text: String, columns: Int = 80) -> [String] {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    func indent(_ line: String) -> Int { line.prefix { $0 == " " }.count }
    var ragged: [String] = []
    for index in lines.indices.dropFirst().dropLast() {
      let (previous, line, next) = (lines[index - 1], lines[index], lines[index + 1])
      let words = line.split(separator: " ")
      guard (1...2).contains(words.count), !previous.trimmingCharacters(in: .whitespaces).isEmpty,
        let nextWord = next.split(separator: " ").first,
        indent(previous) == indent(line), indent(line) == indent(next)
      else { continue }
      if line.count + 1 + nextWord.count <= columns { ragged.append(previous + "⏎" + line + "⏎" + next) }
    }
    return ragged
  }

  @Test func theDetectorFindsTheOldRaggedWrap() {
    // `reward --help` on the old main: "…then" / "point" / "`reward data inspect` at …".
    let old = """
        Start with `reward demo` (trains, evaluates and scores on bundled data), then
        point
        `reward data inspect` at your own preference file.
      """
    #expect(Self.raggedLines(old).count == 1)
    let clean = """
        Start with `reward demo` (trains, evaluates and scores on bundled data), then
        point `reward data inspect` at your own preference file.
      """
    #expect(Self.raggedLines(clean).isEmpty)
  }

  @Test func everyCommandsHelpReadsCleanlyAt80Columns() {
    let all = Self.commands()
    #expect(all.count >= 10)
    for (path, command) in all {
      let help = RewardCommand.helpMessage(for: command, columns: 80)
      #expect(help.contains("USAGE:"), "\(path)")
      let ragged = Self.raggedLines(help)
      let name = "reward " + path.joined(separator: " ")
      #expect(ragged.isEmpty, "\(name) --help has ragged lines:\n\(ragged.joined(separator: "\n"))")
      // No line longer than the screen (argument-parser wraps all but the USAGE synopsis; a long
      // unbreakable token is fine).
      for line in help.split(separator: "\n") where line.count > 80 && !line.hasPrefix("USAGE:") {
        #expect(line.split(separator: " ").count <= 2, "\(name): \(line)")
      }
    }
  }
}
