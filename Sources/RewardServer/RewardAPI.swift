import Foundation
import RewardCore

/// The endpoints' logic, from a parsed request body to a response body, independent of HTTP. Every
/// scoring endpoint goes through the same `ScoringQueue`, so requests of every shape share batches.
struct RewardAPI: Sendable {
  let served: ServedModel
  let queue: ScoringQueue
  let metrics: ServerMetrics

  var modelName: String { served.model.name }

  // MARK: OpenRLHF

  /// `POST /get_reward`, as OpenRLHF's remote reward model server and its trainer
  /// (`remote_rm_fn`) speak it: `{"query": [str], "prompts": [str]|null, "labels": [str]|null}` →
  /// `{"rewards": [float], "scores": [float], "extra_logs": {component: [float]}}`. With
  /// `"step_rewards": true` (an extension) also `"step_rewards": [[{index, start, end, reward}] | null]`,
  /// offsets into each query.
  func getReward(_ body: FieldReader) async throws -> JSONValue {
    let queries = try body.strings("query")
    let prompts = try body.value("prompts") == nil ? nil : body.strings("prompts")
    let labels = try references(body, "labels")
    for (key, list) in [("prompts", prompts?.count), ("labels", labels?.count)] {
      if let count = list, count != queries.count {
        throw APIError.badRequest(key, "has \(count) entries but 'query' has \(queries.count); they must match")
      }
    }
    let stepRequest = try StepRewardRequest(body, includeByDefault: false)
    // Where each response starts in its query (Unicode scalars), so step offsets point into the
    // query the trainer tokenised.
    var responseOffsets = [Int](repeating: 0, count: queries.count)
    let candidates = queries.indices.map { index in
      let query = queries[index]
      var candidate = Candidate(prompt: [], response: query, reference: labels?[index] ?? nil)
      // The same empty-prompt rule as every other path: "" is no turn at all.
      // The response is the query after its prompt, compared byte for byte as Python's
      // `startswith` does; a query that does not start with its prompt (a tokenizer round trip
      // changed it) is scored whole rather than guessed at.
      if let prompt = prompts?[index] {
        candidate.prompt = Candidate.prompt(text: prompt)
        if Self.hasBytePrefix(query, prompt) {
          candidate.response = String(Substring(query.utf8.dropFirst(prompt.utf8.count)))
          if stepRequest.include { responseOffsets[index] = prompt.unicodeScalars.count }
        }
      }
      return candidate
    }
    let rewards = try await queue.score(candidates)
    metrics.itemsScored(endpoint: "/get_reward", count: rewards.count)
    let values = JSONValue.array(rewards.map { .double($0.value) })
    var response = JSONObject([
      ("rewards", values), ("scores", values), ("extra_logs", .object(Self.extraLogs(rewards))),
    ])
    if stepRequest.include {
      response["step_rewards"] = .array(
        rewards.indices.map { index in stepRequest.json(rewards[index], offset: responseOffsets[index]) ?? .null })
    }
    return .object(response)
  }

  /// Whether `text` starts with `prefix` byte for byte (memcmp: the generic `starts(with:)` on
  /// UTF-8 views was a visible cost at tens of thousands of items per second).
  static func hasBytePrefix(_ text: String, _ prefix: String) -> Bool {
    var text = text
    var prefix = prefix
    return text.withUTF8 { whole in
      prefix.withUTF8 { head in
        head.count <= whole.count && (head.isEmpty || memcmp(whole.baseAddress!, head.baseAddress!, head.count) == 0)
      }
    }
  }

  /// One list per component name, one value per item. OpenRLHF turns each list into a tensor, so
  /// every entry must be a number: a component that did not apply to an item logs 0 there.
  static func extraLogs(_ rewards: [Reward]) -> JSONObject {
    var names: [String] = []
    for reward in rewards {
      for component in reward.components where !names.contains(component.name) { names.append(component.name) }
    }
    return JSONObject(
      names.map { name in
        let values = rewards.map { reward in reward.components.first(where: { $0.name == name })?.value ?? 0 }
        return (name, JSONValue.array(values.map { .double($0) }))
      })
  }

  /// OpenRLHF's `labels`: one reference per query (or null), read by the candidate grammar's
  /// reference rule, so a label means here what `reference` means in a file or a `/v1/rewards` item.
  private func references(_ body: FieldReader, _ key: String) throws(APIError) -> [String?]? {
    guard body.value(key) != nil else { return nil }
    return try body.array(key).enumerated().map { (index, item) throws(APIError) in
      if item.isNull { return nil }
      return try FieldReader.api { () throws(InputError) in
        try Candidate.reference(item, at: SourceLocation(file: "request", field: "\(key)[\(index)]"))
      }
    }
  }

  // MARK: RewardKit

  /// `POST /v1/rewards`: `{"items": [...], "step_rewards"?, "step_shaping"?}` →
  /// `{"model", "results": [{reward, components, step_rewards?, error?}]}`. An invalid item gets its
  /// own `error` (and `reward: null`); the others are still scored, together. `step_rewards` is
  /// there for models that score steps (unless the request says `"step_rewards": false`).
  func rewards(_ body: FieldReader) async throws -> JSONValue {
    let items = try body.array("items")
    let stepRequest = try StepRewardRequest(body, includeByDefault: true)
    var parsed: [Result<Candidate, APIError>] = []
    for (index, item) in items.enumerated() {
      let path = "items[\(index)]"
      guard let object = item.objectValue else {
        parsed.append(.failure(.badRequest(path, "expected an object, found \(item.typeName)")))
        continue
      }
      parsed.append(Result { () throws(APIError) in try FieldReader(object, path: path).candidate() })
    }
    let valid = parsed.compactMap { try? $0.get() }
    let rewards = try await queue.score(valid)
    metrics.itemsScored(endpoint: "/v1/rewards", count: rewards.count)
    var next = rewards.makeIterator()
    let results: [JSONValue] = parsed.map { item in
      switch item {
      case .success:
        let reward = next.next()!
        guard let steps = stepRequest.json(reward), case .object(var object) = Self.json(reward) else {
          return Self.json(reward)
        }
        object["step_rewards"] = steps
        return .object(object)
      case .failure(let error):
        metrics.error("invalid_item")
        return .object(JSONObject([("reward", .null), ("components", .object(JSONObject())), ("error", error.json)]))
      }
    }
    return .object(JSONObject([("model", .string(modelName)), ("results", .array(results))]))
  }

  static func json(_ reward: Reward) -> JSONValue {
    var object = JSONObject([
      ("reward", .double(reward.value)),
      ("components", .object(JSONObject(reward.components.map { ($0.name, JSONValue.double($0.value)) }))),
    ])
    if let uncertainty = reward.uncertainty { object["uncertainty"] = .double(uncertainty) }
    if let rationale = reward.rationale { object["rationale"] = .string(rationale) }
    return .object(object)
  }

  /// `POST /v1/compare`: `{"pairs": [{prompt|messages, a, b, reference?}]}` → per pair
  /// `{probability, reward_a, reward_b}`, P(a ≻ b) = σ(r_a − r_b) (Bradley–Terry).
  func compare(_ body: FieldReader) async throws -> JSONValue {
    let pairs = try FieldReader.objects(body.array("pairs"), path: "pairs")
    var candidates: [Candidate] = []
    for pair in pairs {
      let prompt = try pair.promptOrMessages()
      let reference = try pair.reference()
      for side in ["a", "b"] {
        candidates.append(Candidate(prompt: prompt, response: try pair.string(side), reference: reference))
      }
    }
    let rewards = try await queue.score(candidates)
    metrics.itemsScored(endpoint: "/v1/compare", count: rewards.count)
    let results: [JSONValue] = pairs.indices.map { index in
      let (a, b) = (rewards[2 * index].value, rewards[2 * index + 1].value)
      return .object(
        JSONObject([("probability", .double(sigmoid(a - b))), ("reward_a", .double(a)), ("reward_b", .double(b))]))
    }
    return .object(JSONObject([("model", .string(modelName)), ("results", .array(results))]))
  }

  // MARK: vLLM

  /// vLLM's `POST /classify`: `{"model"?, "input": str | [str]}` → vLLM's classification response.
  /// Each input is scored as a response with no prompt; `probs` holds the one raw reward (no
  /// sigmoid), as vLLM returns for a single-label reward head served without activation.
  func classify(_ body: FieldReader) async throws -> JSONValue {
    let inputs = try body.stringOrStrings("input").values
    let rewards = try await queue.score(inputs.map { Candidate(prompt: [], response: $0) })
    metrics.itemsScored(endpoint: "/classify", count: rewards.count)
    let data: [JSONValue] = rewards.enumerated().map { index, reward in
      .object(
        JSONObject([
          ("index", .int(Int64(index))), ("label", "reward"), ("probs", [.double(reward.value)]), ("num_classes", 1),
        ]))
    }
    return vllmEnvelope(prefix: "classify", data: data)
  }

  /// vLLM's `POST /score`: `{"model"?, "text_1": str | [str], "text_2": str | [str]}` → one score per
  /// pair. `text_1` is the prompt and `text_2` the response; a single `text_1` pairs with every
  /// `text_2` (1:N), lists pair element-wise (N:N).
  func score(_ body: FieldReader) async throws -> JSONValue {
    let first = try body.stringOrStrings("text_1")
    let second = try body.stringOrStrings("text_2").values
    let prompts: [String]
    if first.single {
      prompts = Array(repeating: first.values[0], count: second.count)
    } else if first.values.count == second.count {
      prompts = first.values
    } else {
      throw APIError.badRequest(
        "text_2", "has \(second.count) entries but 'text_1' has \(first.values.count); give one text_1 or as many")
    }
    let candidates = zip(prompts, second).map { Candidate(prompt: Candidate.prompt(text: $0), response: $1) }
    let rewards = try await queue.score(candidates)
    metrics.itemsScored(endpoint: "/score", count: rewards.count)
    let data: [JSONValue] = rewards.enumerated().map { index, reward in
      .object(JSONObject([("index", .int(Int64(index))), ("object", "score"), ("score", .double(reward.value))]))
    }
    return vllmEnvelope(prefix: "score", data: data)
  }

  private func vllmEnvelope(prefix: String, data: [JSONValue]) -> JSONValue {
    let id = "\(prefix)-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    return .object(
      JSONObject([
        ("id", .string(id)), ("object", "list"), ("created", .int(Int64(Date().timeIntervalSince1970))),
        ("model", .string(modelName)), ("data", .array(data)),
        (
          "usage",
          .object(
            JSONObject([
              ("prompt_tokens", 0), ("total_tokens", 0), ("completion_tokens", 0), ("prompt_tokens_details", .null),
            ]))
        ),
      ]))
  }
}
