import RewardCore

/// How to reach a remote reward model, and how hard to try.
public struct RemoteSettings: Sendable, Equatable {
  public var url: String
  public var wireProtocol: RemoteProtocol
  /// Candidates per HTTP request.
  public var batchSize = 64
  /// Requests in flight at once for one `score` call.
  public var maxConcurrentBatches = 4
  /// Retries of transient failures: how many, the backoff, the cap on `Retry-After`.
  public var retry = RetryPolicy()
  /// Per HTTP request: connecting, sending, and reading the whole response (`CallDeadline`).
  public var timeout = Duration.seconds(60)
  public var apiKey: String?
  /// vLLM's `model` field (the served model name).
  public var model: String?
  /// vLLM `/classify`: which entry of `probs` is the reward.
  public var labelIndex = 0
  /// Between the prompt text and the response when they are joined into one text.
  public var separator = "\n"
  public var maxResponseBytes = 64 * 1024 * 1024

  public init(url: String, wireProtocol: RemoteProtocol) {
    self.url = url
    self.wireProtocol = wireProtocol
  }
}

/// The JSON a remote reward model speaks.
public enum RemoteProtocol: String, Sendable, CaseIterable {
  /// OpenRLHF's remote reward model: `{"query", "prompts", "labels"}` → `{"rewards", "extra_logs"?}`.
  case openrlhf
  /// vLLM's classification endpoint: `{"model", "input": [str]}` → `{"data": [{"index", "probs"}]}`.
  case vllmClassify = "vllm-classify"

  /// The prompt as plain text: the turns' contents, one per line. (A remote model with a chat
  /// template expects the text the trainer would send; RewardKit cannot know that template.)
  static func promptText(_ candidate: Candidate) -> String {
    candidate.prompt.map(\.content).joined(separator: "\n")
  }

  func requestBody(_ batch: [Candidate], settings: RemoteSettings) -> JSONValue {
    let texts: [String] = batch.map { candidate in
      let prompt = Self.promptText(candidate)
      return prompt.isEmpty ? candidate.response : prompt + settings.separator + candidate.response
    }
    switch self {
    case .openrlhf:
      let prompts = batch.map { candidate in
        let prompt = Self.promptText(candidate)
        return JSONValue.string(prompt.isEmpty ? prompt : prompt + settings.separator)
      }
      let labels = batch.map { $0.reference.map(JSONValue.string) ?? .null }
      return .object(
        JSONObject([
          ("query", .array(texts.map { .string($0) })), ("prompts", .array(prompts)), ("labels", .array(labels)),
        ])
      )
    case .vllmClassify:
      var object = JSONObject()
      if let model = settings.model { object["model"] = .string(model) }
      object["input"] = .array(texts.map { .string($0) })
      return .object(object)
    }
  }

  func rewards(from response: JSONValue, count: Int, settings: RemoteSettings) throws -> [Reward] {
    func fail(_ message: String) -> RemoteRewardError { RemoteRewardError(settings.url, message) }
    guard let object = response.objectValue else { throw fail("expected a JSON object, found \(response.typeName)") }
    switch self {
    case .openrlhf:
      guard let values = object["rewards"]?.arrayValue else { throw fail("response has no 'rewards' list") }
      guard values.count == count else { throw fail("'rewards' has \(values.count) entries for \(count) queries") }
      let extra = object["extra_logs"]?.objectValue ?? JSONObject()
      return try values.enumerated().map { index, value in
        guard let reward = value.doubleValue else { throw fail("rewards[\(index)]: expected a number") }
        let components: [(name: String, value: Double)] = extra.entries.compactMap { entry in
          guard let list = entry.value.arrayValue, list.count == count, let number = list[index].doubleValue else {
            return nil
          }
          return (entry.key, number)
        }
        return Reward(reward, components: components)
      }
    case .vllmClassify:
      guard let data = object["data"]?.arrayValue else { throw fail("response has no 'data' list") }
      guard data.count == count else { throw fail("'data' has \(data.count) entries for \(count) inputs") }
      var rewards = [Reward?](repeating: nil, count: count)
      for (position, entry) in data.enumerated() {
        guard let item = entry.objectValue, case .int(let index)? = item["index"], (0..<Int64(count)).contains(index),
          let probs = item["probs"]?.arrayValue, settings.labelIndex < probs.count,
          let value = probs[settings.labelIndex].doubleValue
        else {
          throw fail("data[\(position)]: expected {index, probs} with probs[\(settings.labelIndex)] a number")
        }
        rewards[Int(index)] = Reward(value)
      }
      return try rewards.enumerated().map { index, reward in
        guard let reward else { throw fail("no result for input \(index)") }
        return reward
      }
    }
  }
}
