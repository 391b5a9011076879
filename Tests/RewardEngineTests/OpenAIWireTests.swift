import RewardCore
import Testing

@testable import RewardEngine

@Suite struct OpenAIWireTests {
  let endpoint = "http://127.0.0.1:1/v1/chat/completions"

  func parse(_ text: String) throws -> ChatResponse {
    try OpenAIWire.chatResponse(try JSONParser.parse(text), endpoint: endpoint)
  }

  func malformedReason(_ text: String) -> String? {
    do {
      _ = try parse(text)
      return nil
    } catch EngineError.malformedResponse(let place, let reason) {
      #expect(place == endpoint)
      return reason
    } catch {
      Issue.record("unexpected \(error)")
      return nil
    }
  }

  @Test func chatBodyPassesEverySamplingParameterUnderItsAPIName() {
    let request = ChatRequest(
      messages: [
        .system("Judge."), .user("Q"),
        ChatMessage(
          role: "assistant", content: "", toolCalls: [ToolCall(id: "c1", name: "calc", arguments: "{\"x\":1}")]),
        ChatMessage(role: "tool", content: "2", toolCallID: "c1"),
      ],
      sampling: SamplingParameters(
        temperature: 0.7, topP: 0.9, maxTokens: 16, seed: 42, stop: ["</s>"], topLogprobs: 5,
        responseFormat: ["type": "json_object"], grammar: "root ::= \"[[\" [1-9] \"]]\""),
      tools: [ToolDefinition(name: "calc", description: "Adds.", parameters: ["type": "object"])],
      toolChoice: "required",
      sampleIndex: 3)
    let body = OpenAIWire.chatBody(request, model: "m").objectValue!
    #expect(body["model"] == "m")
    #expect(body["temperature"] == .double(0.7))
    #expect(body["top_p"] == .double(0.9))
    #expect(body["max_tokens"] == 16)
    #expect(body["seed"] == 42)
    #expect(body["stop"] == ["</s>"])
    #expect(body["logprobs"] == true)
    #expect(body["top_logprobs"] == 5)
    #expect(body["response_format"] == ["type": "json_object"])
    #expect(body["grammar"] == "root ::= \"[[\" [1-9] \"]]\"")
    #expect(body["tool_choice"] == "required")
    #expect(body["n"] == nil)
    #expect(body["sample_index"] == nil)  // a cache-key field, never sent
    let tools = body["tools"]?.arrayValue ?? []
    #expect(tools.first?.objectValue?["type"] == "function")
    #expect(tools.first?.objectValue?["function"]?.objectValue?["name"] == "calc")
    let messages = body["messages"]?.arrayValue ?? []
    #expect(messages.count == 4)
    let call = messages[2].objectValue?["tool_calls"]?.arrayValue?.first?.objectValue
    #expect(call?["id"] == "c1")
    #expect(call?["function"]?.objectValue?["arguments"] == "{\"x\":1}")
    #expect(messages[3].objectValue?["tool_call_id"] == "c1")
  }

  @Test func unsetParametersAreLeftToTheEngine() {
    let body = OpenAIWire.chatBody(ChatRequest(messages: [.user("hi")]), model: "m").objectValue!
    #expect(body.keys == ["model", "messages"])
    let completion = OpenAIWire.completionBody(
      CompletionRequest(prompt: "p", sampling: SamplingParameters(maxTokens: 0, topLogprobs: 2), echo: true), model: "m"
    ).objectValue!
    #expect(completion["logprobs"] == 2)  // the legacy API's integer
    #expect(completion["echo"] == true)
    #expect(completion["max_tokens"] == 0)
  }

  @Test func readsTextUsageToolCallsAndLogprobs() throws {
    let response = try parse(
      """
      {"choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":null,
        "tool_calls":[{"id":"call_1","type":"function","function":{"name":"calculator","arguments":"{\\"expression\\":\\"2+2\\"}"}}]},
        "logprobs":{"content":[{"token":"[[","logprob":-0.1,"top_logprobs":[{"token":"[[","logprob":-0.1},{"token":"[","logprob":-2.5}]}]}}],
       "usage":{"prompt_tokens":12,"completion_tokens":4,"total_tokens":16}}
      """)
    #expect(response.text == "")
    #expect(response.finishReason == "tool_calls")
    #expect(response.toolCalls == [ToolCall(id: "call_1", name: "calculator", arguments: "{\"expression\":\"2+2\"}")])
    #expect(response.usage == TokenUsage(promptTokens: 12, completionTokens: 4))
    #expect(
      response.logprobs == [
        TokenLogprob(
          token: "[[", logprob: -0.1, top: [.init(token: "[[", logprob: -0.1), .init(token: "[", logprob: -2.5)])
      ])
    #expect(response.cached == false)
  }

  @Test func malformedAnswersNameTheEndpointAndWhatWasWrong() {
    #expect(malformedReason(#"{"choices":[]}"#) == "choices: empty list")
    #expect(malformedReason(#"{"object":"chat.completion"}"#) == "choices: expected an array, found nothing")
    #expect(malformedReason(#"[1,2]"#) == "response: expected an object, found array")
    #expect(
      malformedReason(#"{"choices":[{"message":{"content":7}}]}"#)
        == "choices[0].message.content: expected a string or null, found number")
    #expect(malformedReason(#"{"choices":[{"text":"hi"}]}"#) == "choices[0].message: expected an object, found nothing")
    #expect(
      malformedReason(#"{"choices":[{"message":{"content":"x","tool_calls":[{"function":{}}]}}]}"#)
        == "choices[0].message.tool_calls[0].function.name: expected a string, found nothing")
    #expect(
      malformedReason(#"{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":"many"}}"#)
        == "usage.prompt_tokens: expected an integer, found string")
    #expect(
      malformedReason(#"{"choices":[{"message":{"content":"x"},"logprobs":{"content":[{"token":"a"}]}}]}"#)
        == "choices[0].logprobs.content[0].logprob: expected a number, found nothing")
    #expect(
      malformedReason(#"{"error":{"message":"context too long"}}"#)
        == "an error instead of a completion: context too long")
  }

  @Test func completionsReadBothLogprobShapes() throws {
    let legacy = try OpenAIWire.completionResponse(
      try JSONParser.parse(
        """
        {"choices":[{"text":" Paris","finish_reason":"length","logprobs":{"tokens":["The"," Paris"],
         "token_logprobs":[null,-0.5],"top_logprobs":[null,{" Paris":-0.5," Lyon":-3.0}]}}],"usage":{"prompt_tokens":3,"completion_tokens":1}}
        """), endpoint: endpoint)
    #expect(legacy.text == " Paris")
    #expect(legacy.logprobs?.map(\.logprob) == [0, -0.5])
    #expect(legacy.logprobs?[1].top.map(\.token) == [" Paris", " Lyon"])
    let llama = try OpenAIWire.completionResponse(
      try JSONParser.parse(
        #"{"choices":[{"text":"a","logprobs":{"content":[{"token":"a","logprob":-1.5,"top_logprobs":[]}]}}]}"#),
      endpoint: endpoint)
    #expect(llama.logprobs == [TokenLogprob(token: "a", logprob: -1.5)])
    #expect(throws: EngineError.self) {
      try OpenAIWire.completionResponse(try JSONParser.parse(#"{"choices":[{"message":{}}]}"#), endpoint: endpoint)
    }
  }

  @Test func embeddingsComeBackInInputOrder() throws {
    let json = try JSONParser.parse(
      #"{"data":[{"index":1,"embedding":[0.5,1]},{"index":0,"embedding":[2,-1]}],"usage":{"prompt_tokens":4}}"#)
    #expect(try OpenAIWire.embeddingResponse(json, count: 2, endpoint: endpoint) == [[2, -1], [0.5, 1]])
    #expect(throws: EngineError.self) { try OpenAIWire.embeddingResponse(json, count: 3, endpoint: endpoint) }
    let repeated = try JSONParser.parse(#"{"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[2]}]}"#)
    #expect(throws: EngineError.self) { try OpenAIWire.embeddingResponse(repeated, count: 2, endpoint: endpoint) }
  }
}
