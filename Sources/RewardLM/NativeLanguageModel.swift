import Foundation
import RewardCore

/// A decoder LM with the tokenizer and chat template it was trained with: what the native LM
/// rewards (log-probabilities, sequence classification, features) run on.
public struct NativeLanguageModel: Sendable {
  /// The model file or directory, for reports and errors.
  public let name: String
  public let model: DecoderModel
  public let tokenizer: any TextTokenizer
  /// The model's chat template; nil when it has none.
  public let renderer: (any ConversationRenderer)?

  public init(name: String, model: DecoderModel, tokenizer: any TextTokenizer, renderer: (any ConversationRenderer)?) {
    self.name = name
    self.model = model
    self.tokenizer = tokenizer
    self.renderer = renderer
  }

  /// Tokens one forward pass takes at most: sequences are packed into passes of this many tokens
  /// so memory stays bounded (activations are a few floats × hidden size per token).
  public static let tokensPerPass = 2048

  /// The longest input the model takes (its position limit, at most 8192 to bound attention memory).
  public var maxTokens: Int { min(model.config.maxPositions, 8192) }

  /// Runs `work` over consecutive groups of sequences of at most `tokensPerPass` tokens in all
  /// (a longer sequence runs alone) and concatenates the results in order.
  static func inPasses<T>(_ sequences: [[TokenID]], _ work: ([[TokenID]]) throws -> [T]) rethrows -> [T] {
    var results: [T] = []
    results.reserveCapacity(sequences.count)
    var start = 0
    while start < sequences.count {
      var end = start
      var tokens = 0
      while end < sequences.count, end == start || tokens + sequences[end].count <= tokensPerPass {
        tokens += sequences[end].count
        end += 1
      }
      results += try work(Array(sequences[start..<end]))
      start = end
    }
    return results
  }

  /// The conversation with `response` as the assistant's last turn, as the model's chat template
  /// renders it; with no template, the turns' contents joined by blank lines.
  public func conversationText(_ prompt: Conversation, response: String) throws -> String {
    let messages = prompt + [.assistant(response)]
    guard let renderer else { return messages.map(\.content).joined(separator: "\n\n") }
    return try renderer.render(messages, addGenerationPrompt: false)
  }

  /// The prompt as the model sees it before the assistant answers (the generation prompt included).
  public func promptText(_ prompt: Conversation) throws -> String {
    guard let renderer else { return prompt.map(\.content).joined(separator: "\n\n") + (prompt.isEmpty ? "" : "\n\n") }
    return try renderer.render(prompt, addGenerationPrompt: true)
  }
}

/// Σ log p(response token | everything before it) on a native model: the contract's
/// `ResponseLogProbabilityScorer`. Tokenisation is reward-bench's (`ResponseTokenization.split`);
/// an input longer than `maxTokens` keeps the response's head and the prompt's end. With an
/// empty prompt, the tokenizer's BOS (when it has one) is the context for the first response
/// token; without one, the first response token cannot be scored and is left out of the count.
public struct NativeResponseScorer: ResponseLogProbabilityScorer {
  public let language: NativeLanguageModel
  public var maxTokens: Int

  public init(_ language: NativeLanguageModel, maxTokens: Int? = nil) {
    self.language = language
    self.maxTokens = max(2, maxTokens ?? language.maxTokens)
  }

  public var name: String { language.name }

  /// The tokens scored for one pair, after truncation.
  public func tokens(prompt: String, response: String) throws -> ResponseTokens {
    var split = try ResponseTokenization.split(prompt: prompt, response: response, tokenizer: language.tokenizer)
    if split.prompt.isEmpty, let bos = language.tokenizer.bosTokenID { split.prompt = [bos] }
    return ResponseTokenization.fit(split, maxTokens: maxTokens).tokens
  }

  public func responseLogProbabilities(_ pairs: [(prompt: String, response: String)]) async throws
    -> [ResponseLogProbability]
  {
    try responseLogProbabilities(tokens: try pairs.map { try tokens(prompt: $0.prompt, response: $0.response) })
  }

  /// Σ log p over each item's response tokens given its prompt tokens, for rules that choose the
  /// token ids themselves (reward-bench's adds BOS and EOS). A sequence longer than the model
  /// takes is an error naming the item, never cut here.
  public func responseLogProbabilities(tokens split: [ResponseTokens]) throws -> [ResponseLogProbability] {
    if let long = split.firstIndex(where: { $0.all.count > language.maxTokens }) {
      throw ConfigurationError(
        "\(name): item \(long) has \(split[long].all.count) tokens, more than the model takes (\(language.maxTokens))")
    }
    // Pairs with no response token need no forward pass.
    let scored = split.indices.filter { !split[$0].response.isEmpty && split[$0].all.count >= 2 }
    let sequences = scored.map { split[$0].all }
    let starts = scored.map { max(1, split[$0].prompt.count) }
    let model = language.model
    var offset = 0
    let values = try NativeLanguageModel.inPasses(sequences) { batch in
      defer { offset += batch.count }
      return try model.tokenLogProbabilities(batch, from: Array(starts[offset..<offset + batch.count]))
    }
    var results = [ResponseLogProbability](
      repeating: ResponseLogProbability(sum: 0, tokenCount: 0, sumOfSquares: 0), count: split.count)
    for (index, tokenValues) in zip(scored, values) {
      results[index] = ResponseLogProbability(
        sum: tokenValues.reduce(0, +), tokenCount: tokenValues.count,
        sumOfSquares: tokenValues.reduce(0) { $0 + $1 * $1 })
    }
    return results
  }
}

/// A `*ForSequenceClassification` checkpoint as a reward model: the conversation (prompt turns
/// and the response as the assistant's turn) rendered by the model's chat template and encoded
/// without added special tokens (as `apply_chat_template(..., tokenize=True)` does); the score
/// head read at the last token that is not the pad id (transformers' rule). A multi-output head
/// gives every output as a component (named by the config's `id2label`) and the first as the reward.
/// An input longer than the model takes keeps its end, where the head reads.
public struct SequenceClassifierRewardModel: RewardModel {
  public let language: NativeLanguageModel
  public let labels: [String]

  public init(_ language: NativeLanguageModel) throws {
    guard let count = language.model.scoreLabelCount else {
      throw ConfigurationError("\(language.name): not a sequence-classification model (no score head)")
    }
    self.language = language
    let names = language.model.config.labelNames
    labels = (0..<count).map { $0 < names.count ? names[$0] : "LABEL_\($0)" }
  }

  public var name: String { language.name }

  public func tokens(for candidate: Candidate) throws -> [TokenID] {
    let text = try language.conversationText(candidate.prompt, response: candidate.response)
    let ids = try language.tokenizer.encode(text, addSpecialTokens: false)
    guard !ids.isEmpty else { throw ConfigurationError("\(name): the rendered conversation has no tokens") }
    return Array(ids.suffix(language.maxTokens))
  }

  public func score(_ candidates: [Candidate]) async throws -> [Reward] {
    let sequences = try candidates.map(tokens(for:))
    let model = language.model
    let outputs = try NativeLanguageModel.inPasses(sequences) { try model.sequenceScores($0) }
    return outputs.map { values in
      let components = labels.count > 1 ? zip(labels, values).map { (name: $0, value: Double($1)) } : []
      return Reward(Double(values[0]), components: components)
    }
  }
}
