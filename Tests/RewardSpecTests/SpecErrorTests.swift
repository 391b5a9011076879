import Foundation
import RewardCore
import Testing

@testable import RewardSpec

/// Bad specs fail at load, with the key path of the problem.
struct SpecErrorTests {
  func loadError(_ text: String) -> SpecError? {
    do {
      _ = try RewardSpecLoader.load(text: text, file: "spec.yaml")
      return nil
    } catch {
      return error
    }
  }

  @Test(arguments: [
    ("components:\n  - kind: math\n  - kind: mathz\n", "components[1].kind", "unknown kind 'mathz'"),
    ("components:\n  - kind: format\n", "components[0].pattern", "missing required parameter"),
    ("components:\n  - kind: format\n    pattern: \"([a-z\"\n", "components[0].pattern", "invalid regular expression"),
    (
      "components:\n  - kind: math\n    weight: heavy\n", "components[0].weight",
      "expected a finite number, found the string \"heavy\""
    ),
    (
      "components:\n  - kind: math\n    fallback_to_last_number: 3\n", "components[0].fallback_to_last_number",
      "expected true or false"
    ),
    ("components:\n  - kind: math\n    tolerance: 0.1\n", "components[0].tolerance", "unknown parameter"),
    ("components:\n  - kind: tags\n    tags: think\n", "components[0].tags", "expected a list of strings"),
    ("components:\n  - kind: tags\n    tags: [think, 3]\n", "components[0].tags[1]", "expected a string"),
    (
      "components:\n  - kind: overlong_penalty\n    max_length: 10\n    cache_length: 20\n",
      "components[0].cache_length", "must be in 1...max_length"
    ),
    (
      "components:\n  - kind: overlong_penalty\n    cache_length: 2\n", "components[0].max_length",
      "missing required parameter"
    ),
    ("components:\n  - kind: json\n    schema: {type: strnig}\n", "components[0].schema.type", "expected one of"),
    (
      "components:\n  - kind: json\n    schema: {properties: {a: {patternz: x}}}\n",
      "components[0].schema.properties.a.patternz", "unsupported schema keyword"
    ),
    (
      "components:\n  - kind: toolrl\n    part: everything\n", "components[0].part",
      "expected one of total, format, correctness"
    ),
    ("components:\n  - kind: math\n  - kind: math\n", "components[1].name", "duplicate component name"),
    (
      "components:\n  - kind: math\ngates:\n  - component: format\n", "gates[0].component", "unknown component 'format'"
    ),
    ("components:\n  - kind: math\nclip: [2, 1]\n", "clip", "greater than max"),
    ("components:\n  - kind: math\nnormalize: batch\n", "normalize", "expected none or group"),
    ("components:\n  - kind: math\nnot_applicable: skip\n", "not_applicable", "expected one of renormalize, zero"),
    ("components:\n  - kind: math\nweights: 2\n", "weights", "unknown key"),
    ("components: []\n", "components", "non-empty list"),
    ("name: x\n", "components", "missing"),
    ("components:\n  - math\n", "components[0]", "expected a mapping"),
    ("components:\n  - kind: checkpoint\n    path: /no/rm\n", "components[0].path", "cannot load the checkpoint"),
    ("components:\n  - kind: mth\n", "components[0].kind", "unknown kind 'mth'; known kinds: bfcl, bleu, checkpoint"),
  ])
  func badSpecsNameTheKeyPath(text: String, path: String, message: String) {
    let error = loadError(text)
    #expect(error?.path == path, "\(String(describing: error))")
    #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    #expect(error?.description.hasPrefix("spec.yaml: \(path): ") == true)
  }

  @Test func malformedFilesReportTheirSyntaxError() {
    #expect(loadError("components: [\n")?.message.hasPrefix("invalid YAML") == true)
    #expect(loadError("{\"components\": [}")?.message.hasPrefix("invalid JSON") == true)
    #expect(loadError("{\"components\": [}")?.message.hasSuffix("(line 1, column 17)") == true)
    #expect(loadError("")?.message == "the spec is empty")
  }

  @Test func missingFileIsReported() {
    #expect(throws: SpecError.self) { try RewardSpecLoader.load(path: "/nonexistent/spec.yaml") }
  }
}
