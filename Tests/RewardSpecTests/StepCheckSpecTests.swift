import RewardCore
import Testing

@testable import RewardSpec

struct StepCheckSpecTests {
  @Test func stepCheckComponentScoresArithmeticInSteps() async throws {
    let model = try RewardSpecLoader.load(
      text: """
        name: arithmetic
        components:
          - kind: step_check
            splitter: lines
        """)
    let rewards = try await model.score([
      Candidate(prompt: [.user("q")], response: "3 + 4 = 7\n7 * 2 = 14"),
      Candidate(prompt: [.user("q")], response: "3 + 4 = 7\n7 * 2 = 15"),
    ])
    #expect(rewards.map(\.value) == [1, 0])
  }

  @Test func badSplitterIsReportedWithItsKey() throws {
    #expect {
      _ = try RewardSpecLoader.load(
        text: """
          components:
            - kind: step_check
              splitter: sentences
          """)
    } throws: { error in
      "\(error)".contains("splitter") && "\(error)".contains("sentences")
    }
  }
}
