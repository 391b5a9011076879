import Testing

@testable import RewardJudge

@Suite struct MetricTests {
  @Test func judgeBenchCounterRule() {
    // Right in both trials, right then tie, right then wrong, wrong then none.
    #expect(JudgeBenchScoring.pairScore(label: .aBetter, trials: [.aBetter, .aMuchBetter]) == 2)
    #expect(JudgeBenchScoring.pairScore(label: .aBetter, trials: [.aBetter, .tie]) == 1)
    #expect(JudgeBenchScoring.pairScore(label: .aBetter, trials: [.aBetter, .bBetter]) == 0)
    #expect(JudgeBenchScoring.pairScore(label: .bBetter, trials: [.aBetter, nil]) == -1)
  }

  @Test func rewardBenchGenerativeRules() {
    let v1 = JudgeMetrics.rewardBenchV1([.aBetter, .bBetter, .tie, nil])
    #expect(v1 == 0.5)  // (1 + 0 + ½ + ½) / 4
    let v2 = JudgeMetrics.rewardBenchV2(choices: [0, 2, nil, 1], correct: [0, 0, 0, 1])
    #expect(v2 == 0.5625)  // (1 + 0 + ¼ + 1) / 4
  }

  @Test func mtBenchAgreementWithAndWithoutTies() {
    let judge: [PairVerdict.Winner?] = [.a, .b, .tie, .a, nil]
    let human: [PairVerdict.Winner] = [.a, .a, .tie, .tie, .b]
    let withTies = JudgeMetrics.agreement(judge: judge, human: human, includeTies: true)
    #expect(withTies.pairs == 5 && withTies.rate == 2.0 / 5)
    let withoutTies = JudgeMetrics.agreement(judge: judge, human: human, includeTies: false)
    #expect(withoutTies.pairs == 3 && withoutTies.rate == 1.0 / 3)
  }

  @Test func calculatorToolUsesTheMathEvaluator() {
    let tools = JudgeTools()
    func call(_ name: String, _ arguments: String) -> String {
      tools.run(.init(id: "1", name: name, arguments: arguments), for: candidate("Q", "A", reference: "\\frac{1}{2}"))
    }
    #expect(call("calculator", "{\"expression\": \"2^10 - 24\"}") == "1000")
    #expect(call("calculator", "{\"expression\": \"sqrt(2)/2\"}").hasPrefix("0.7071"))
    #expect(call("calculator", "{\"expression\": \"x + 1\"}") == "error: unknown variable 'x'")
    #expect(call("calculator", "{\"expr\": 1}") == "error: missing \"expression\"")
    #expect(call("calculator", "not json").hasPrefix("error: arguments are not valid JSON"))
    #expect(call("check_answer", "{\"answer\": \"0.5\"}") == "correct: equivalent to the reference")
    #expect(call("check_answer", "{\"answer\": \"0.6\"}") == "incorrect: not equivalent to the reference")
    #expect(call("search", "{}").hasPrefix("error: no tool named 'search'"))
  }
}
