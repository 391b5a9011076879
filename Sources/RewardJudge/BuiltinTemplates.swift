import Foundation
import RewardCore

/// RewardKit's own judge prompts, one per protocol (written for RewardKit; the published MT-Bench
/// and Arena-Hard prompts are loaded from the files users have, see `PublishedTemplates`).
public enum BuiltinTemplates {
  public static let names = [
    "pointwise", "pairwise", "arena-hard", "prometheus-absolute", "prometheus-relative", "listwise",
    "principle", "spct-principles", "spct-critique", "rm-r1", "tools", "processbench-critique", "prm-step",
  ]

  public static func named(_ name: String) throws(JudgeConfigurationError) -> JudgeTemplate {
    if let process = ProcessJudgeTemplates.byName[name] { return process }
    guard let (system, user) = texts[name] else {
      throw JudgeConfigurationError(
        field: "template", "no built-in template '\(name)' (built-in: \(names.joined(separator: ", ")))")
    }
    return try JudgeTemplate(name: "builtin:\(name)", system: system, user: user)
  }

  static let impartial =
    "You are a careful, impartial evaluator. Judge correctness first, then helpfulness and clarity. "
    + "Ignore the length of the answers and the order in which they are shown."

  static let question = "[Question]\n{{question}}\n"
  static let reference = "{{#reference}}\n[Reference answer]\n{{reference}}\n{{/reference}}"
  static let rubric = "{{#rubric}}\n[Rubric]\n{{rubric}}\n{{/rubric}}"
  static let principle = "{{#principle}}\n[Principle to follow]\n{{principle}}\n{{/principle}}"
  static let pair =
    "\n[Answer A]\n{{answer_a}}\n[End of answer A]\n\n[Answer B]\n{{answer_b}}\n[End of answer B]\n"
  static let list = "{{#responses}}\n[Response {{name}}]\n{{text}}\n[End of response {{name}}]\n{{/responses}}"

  static let texts: [String: (String?, String)] = [
    "pointwise": (
      impartial
        + " Explain your assessment briefly, then rate the answer from 1 to 10 on the last line, "
        + "exactly in the form: Rating: [[5]]",
      question + reference + rubric + principle + "\n[Answer]\n{{answer}}\n[End of answer]"
    ),
    "pairwise": (
      impartial
        + " Compare the two answers and explain briefly. End with your verdict on its own line: "
        + "[[A]] if answer A is better, [[B]] if answer B is better, [[C]] for a tie.",
      question + reference + rubric + principle + pair
    ),
    "arena-hard": (
      impartial
        + " Compare the two answers and explain briefly. End with exactly one verdict label on its own line:\n"
        + "A much better: [[A>>B]]\nA better: [[A>B]]\nabout equal: [[A=B]]\nB better: [[B>A]]\nB much better: [[B>>A]]",
      question + reference + rubric + principle + pair
    ),
    "prometheus-absolute": (
      "You assess an answer strictly against the rubric. Write feedback, then a score from 1 to 5 "
        + "in the form: [RESULT] 3",
      question + reference + rubric + "\n[Answer]\n{{answer}}\n[End of answer]"
    ),
    "prometheus-relative": (
      "You compare two answers strictly against the rubric. Write feedback, then the better answer "
        + "in the form: [RESULT] A  or  [RESULT] B",
      question + reference + rubric + pair
    ),
    "listwise": (
      impartial
        + " Several responses follow, named by letters. Explain briefly, then name the single best "
        + "response on the last line in the form [[A]].",
      question + reference + rubric + principle + list
    ),
    "principle": (
      "You judge responses by how well they follow the given principle. Answer with one JSON object "
        + "and nothing else: {\"scores\": {\"<name>\": <1-5>, …}, \"best-to-worst\": [\"<name>\", …]} "
        + "using the response names given.",
      question + principle + list
    ),
    "spct-principles": (
      "Before judging, write the principles (3 to 5 short, weighted criteria) that a good response "
        + "to this question must satisfy. Write only the principles.",
      question + list
    ),
    "spct-critique": (
      "Judge each response against the principles. Critique each one, then give every response a "
        + "score from 1 to 10, in the order shown, on the last line in the form: Final Scores: [[6, 8]]",
      question + "\n[Principles]\n{{principles}}\n" + reference + list
    ),
    "rm-r1": (
      "First write a rubric for this question inside <rubric>…</rubric>; if the question has a "
        + "checkable answer, solve it yourself inside <solution>…</solution>. Then evaluate both "
        + "answers against it inside <eval>…</eval>, and give the better one as <answer>[[A]]</answer> "
        + "or <answer>[[B]]</answer>. Give exactly one answer tag.",
      question + pair
    ),
    "tools": (
      impartial
        + " You may call tools: `calculator` evaluates an arithmetic expression, `check_answer` tells "
        + "whether a final answer matches the reference. Check claims you can verify, then rate the "
        + "answer from 1 to 10 on the last line in the form: Rating: [[5]]",
      question + rubric + "\n[Answer]\n{{answer}}\n[End of answer]"
    ),
  ]
}

/// Published prompts read from the files users have.
public enum PublishedTemplates {
  /// One prompt of FastChat's MT-Bench `judge_prompts.jsonl` (`name`, `system_prompt`,
  /// `prompt_template` in Python `str.format` syntax). Its `{answer}`, `{answer_a}`… variables
  /// match RewardKit's names; `{ref_answer_1}` is RewardKit's `reference`.
  public static func mtBench(file: String, name: String) throws(JudgeConfigurationError) -> JudgeTemplate {
    let text: String
    do {
      text = try String(contentsOfFile: file, encoding: .utf8)
    } catch {
      throw JudgeConfigurationError(field: "template_file", "cannot read \(file): \(error.localizedDescription)")
    }
    var available: [String] = []
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
    where !line.trimmingCharacters(in: .whitespaces).isEmpty {
      let object: JSONObject?
      do {
        object = try JSONParser.parse(String(line)).objectValue
      } catch {
        throw JudgeConfigurationError(
          file: file, field: "line \(number + 1)", "invalid JSON (column \(error.column)): \(error.message)")
      }
      guard let object, let promptName = object["name"]?.stringValue else {
        throw JudgeConfigurationError(file: file, field: "line \(number + 1)", "expected an object with a \"name\"")
      }
      available.append(promptName)
      guard promptName == name else { continue }
      guard let user = object["prompt_template"]?.stringValue else {
        throw JudgeConfigurationError(file: file, field: "line \(number + 1).prompt_template", "missing string")
      }
      let renamed = user.replacingOccurrences(of: "{ref_answer_1}", with: "{reference}")
      return try JudgeTemplate(
        name: "mt-bench:\(name)", system: object["system_prompt"]?.stringValue, user: renamed, syntax: .python)
    }
    throw JudgeConfigurationError(
      field: "template_name", "\(file) has no prompt '\(name)' (it has: \(available.joined(separator: ", ")))")
  }

  /// The user prompt a judged JudgeBench record was sent, turned back into a template: the
  /// record's question and two responses are replaced by `{question}`, `{answer_a}`, `{answer_b}`.
  /// Rendering the template with the record reproduces the stored prompt exactly (checked here).
  public static func recovered(
    prompt: String, question: String, answerA: String, answerB: String, system: String? = nil, name: String
  ) throws(JudgeConfigurationError) -> JudgeTemplate {
    func escaped(_ text: String) -> String {
      text.replacingOccurrences(of: "{", with: "{{").replacingOccurrences(of: "}", with: "}}")
    }
    guard let q = prompt.range(of: question),
      let a = prompt.range(of: answerA, range: q.upperBound..<prompt.endIndex),
      let b = prompt.range(of: answerB, range: a.upperBound..<prompt.endIndex)
    else {
      throw JudgeConfigurationError(
        field: "prompt", "the stored prompt does not contain the question and both responses in order")
    }
    let user =
      escaped(String(prompt[..<q.lowerBound])) + "{question}" + escaped(String(prompt[q.upperBound..<a.lowerBound]))
      + "{answer_a}" + escaped(String(prompt[a.upperBound..<b.lowerBound])) + "{answer_b}"
      + escaped(String(prompt[b.upperBound...]))
    let template = try JudgeTemplate(name: name, system: system, user: user, syntax: .python)
    let values: [String: any Sendable] = ["question": question, "answer_a": answerA, "answer_b": answerB]
    guard (try? template.render(values).last?.content) == prompt else {
      throw JudgeConfigurationError(field: "prompt", "the recovered template does not reproduce the stored prompt")
    }
    return template
  }
}
