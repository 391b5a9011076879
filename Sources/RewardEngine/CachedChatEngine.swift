import Foundation
import RewardCore

/// What a request cache may do.
public enum CacheMode: String, Sendable, CaseIterable {
  /// Answer from the cache when it can, otherwise call the engine and store the answer.
  case readWrite = "read-write"
  /// Answer from the cache when it can, otherwise call the engine; never write (a shared cache).
  case readOnly = "read-only"
  /// Always call the engine.
  case off
}

/// A chat engine with a disk cache in front: a rerun of an evaluation, or the rest of an
/// interrupted one, costs no engine calls for the requests already answered.
///
/// The key is the canonical request — the wrapped engine's model name, the messages, tools,
/// every sampling parameter (seed included) and the caller's sample index — exactly as the body
/// that would be sent, so any change to what the engine would see is a different entry. The API
/// key and the endpoint are not part of it (replicas of one model share a cache).
public struct CachedChatEngine: ChatEngine {
  public let engine: any ChatEngine
  public let cache: RequestCache
  public let mode: CacheMode
  /// Hits and misses are counted here (the wrapped client's counter when it has one).
  public let usage: EngineUsage

  public var modelName: String { engine.modelName }

  public init(
    wrapping engine: any ChatEngine, cache: RequestCache, mode: CacheMode = .readWrite, usage: EngineUsage? = nil
  ) {
    self.engine = engine
    self.cache = cache
    self.mode = mode
    self.usage = usage ?? (engine as? OpenAIEngine)?.usage ?? EngineUsage()
  }

  public func chat(_ request: ChatRequest) async throws -> ChatResponse {
    guard mode != .off else { return try await engine.chat(request) }
    let canonical = Self.canonicalRequest(request, model: engine.modelName)
    if let stored = cache.lookup(canonical), var response = try? Self.response(from: stored) {
      response.cached = true
      usage.update { $0.cacheHits += 1 }
      return response
    }
    usage.update { $0.cacheMisses += 1 }
    let response = try await engine.chat(request)
    if mode == .readWrite { try cache.store(canonical, answer: Self.json(response)) }
    return response
  }

  /// The request as the engine would receive it, plus the sample index: the cache key's text.
  public static func canonicalRequest(_ request: ChatRequest, model: String) -> JSONValue {
    guard case .object(var body) = OpenAIWire.chatBody(request, model: model) else { return .null }
    if let index = request.sampleIndex { body["sample_index"] = .int(Int64(index)) }
    return .object(body)
  }

  static func json(_ response: ChatResponse) -> JSONValue {
    var object = JSONObject()
    object["text"] = .string(response.text)
    object["tool_calls"] = .array(
      response.toolCalls.map { ["id": .string($0.id), "name": .string($0.name), "arguments": .string($0.arguments)] })
    object["finish_reason"] = response.finishReason.map(JSONValue.string) ?? .null
    object["logprobs"] =
      response.logprobs.map { tokens in
        .array(
          tokens.map { token in
            [
              "token": .string(token.token), "logprob": .double(token.logprob),
              "top": .array(token.top.map { ["token": .string($0.token), "logprob": .double($0.logprob)] }),
            ]
          })
      } ?? .null
    object["usage"] = [
      "prompt_tokens": .int(Int64(response.usage.promptTokens)),
      "completion_tokens": .int(Int64(response.usage.completionTokens)),
    ]
    return .object(object)
  }

  struct DecodingError: Error {}

  static func response(from json: JSONValue) throws -> ChatResponse {
    guard let object = json.objectValue, let text = object["text"]?.stringValue,
      let calls = object["tool_calls"]?.arrayValue, let usage = object["usage"]?.objectValue
    else { throw DecodingError() }
    let toolCalls = try calls.map { value in
      guard let call = value.objectValue, let id = call["id"]?.stringValue, let name = call["name"]?.stringValue,
        let arguments = call["arguments"]?.stringValue
      else { throw DecodingError() }
      return ToolCall(id: id, name: name, arguments: arguments)
    }
    var logprobs: [TokenLogprob]?
    if let tokens = object["logprobs"]?.arrayValue {
      logprobs = try tokens.map { value in
        guard let entry = value.objectValue, let token = entry["token"]?.stringValue,
          let logprob = entry["logprob"]?.doubleValue, let top = entry["top"]?.arrayValue
        else { throw DecodingError() }
        let alternatives = try top.map { alternative in
          guard let item = alternative.objectValue, let token = item["token"]?.stringValue,
            let logprob = item["logprob"]?.doubleValue
          else { throw DecodingError() }
          return TokenLogprob.Alternative(token: token, logprob: logprob)
        }
        return TokenLogprob(token: token, logprob: logprob, top: alternatives)
      }
    }
    guard case .int(let prompt)? = usage["prompt_tokens"], case .int(let completion)? = usage["completion_tokens"]
    else { throw DecodingError() }
    return ChatResponse(
      text: text, toolCalls: toolCalls, finishReason: object["finish_reason"]?.stringValue, logprobs: logprobs,
      usage: TokenUsage(promptTokens: Int(prompt), completionTokens: Int(completion)))
  }
}

/// A directory of cached answers, one file per key: `ab/abcdef….json` holding the canonical
/// request and the answer. Writes go to a temporary file renamed into place, so a reader never
/// sees half an entry and an interrupted run leaves at worst a stray `.tmp` file; concurrent
/// writers of one key each rename a complete file (the last wins; both are valid). An entry whose
/// stored request differs from the one asked for (a hash collision) or that does not parse is a
/// miss, never a wrong answer.
public struct RequestCache: Sendable {
  public let directory: String
  static let format = "rewardkit-engine-cache/1"

  /// Creates the directory if needed.
  public init(directory: String) throws {
    self.directory = directory
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw ConfigurationError(
        "engine cache '\(directory)': cannot create the directory (\(error.localizedDescription))")
    }
  }

  /// 128 bits from two differently seeded stable hashes of the canonical request text.
  public static func key(_ canonical: JSONValue) -> String {
    let text = canonical.jsonText
    var first = StableHasher(seed: 1)
    var second = StableHasher(seed: 2)
    first.combine(text)
    second.combine(text)
    return first.hexDigest + second.hexDigest
  }

  func path(forKey key: String) -> String {
    "\(directory)/\(key.prefix(2))/\(key).json"
  }

  public func lookup(_ canonical: JSONValue) -> JSONValue? {
    let path = path(forKey: Self.key(canonical))
    guard let data = FileManager.default.contents(atPath: path),
      let entry = try? JSONParser.parse(bytes: Array(data)).objectValue,
      entry["format"]?.stringValue == Self.format, entry["request"] == canonical
    else { return nil }
    return entry["response"]
  }

  public func store(_ canonical: JSONValue, answer: JSONValue) throws {
    let path = path(forKey: Self.key(canonical))
    let folder = (path as NSString).deletingLastPathComponent
    let entry: JSONValue = ["format": .string(Self.format), "request": canonical, "response": answer]
    let temporary = "\(path).tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt64.random(in: 0...UInt64.max))"
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      try Data((entry.jsonText + "\n").utf8).write(to: URL(fileURLWithPath: temporary))
      guard rename(temporary, path) == 0 else {
        throw ConfigurationError("rename failed: \(String(cString: strerror(errno)))")
      }
    } catch {
      try? FileManager.default.removeItem(atPath: temporary)
      throw ConfigurationError("engine cache '\(directory)': cannot write an entry (\(error))")
    }
  }
}
