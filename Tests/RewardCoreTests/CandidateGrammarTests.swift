import RewardCore
import Testing

/// The one grammar by which a record becomes a candidate (file lines, request items, eval records).
struct CandidateGrammarTests {
  func record(_ json: String, line: Int = 7) throws -> RecordFields {
    RecordFields(try #require(JSONParser.parse(json).objectValue), at: SourceLocation(file: "data.jsonl", line: line))
  }

  func candidate(_ json: String) throws -> Candidate { try Candidate(record: record(json)) }

  func error(_ json: String) -> InputError? {
    do {
      _ = try candidate(json)
      return nil
    } catch let error as InputError {
      return error
    } catch {
      return nil
    }
  }

  @Test(arguments: ["reference", "answer", "ground_truth", "label"])
  func everyReferenceAliasIsRead(key: String) throws {
    let read = try candidate(#"{"prompt": "What is 2+2?", "response": "\\boxed{4}", "\#(key)": "4"}"#)
    #expect(read.reference == "4")
    #expect(read.prompt == [.user("What is 2+2?")])
  }

  @Test func referencePrecedenceAndNumbers() throws {
    #expect(try candidate(#"{"response": "x", "label": "l", "answer": "a"}"#).reference == "a")
    #expect(try candidate(#"{"response": "x", "reference": 4}"#).reference == "4")
    #expect(try candidate(#"{"response": "x", "reference": 2.5}"#).reference == "2.5")
    #expect(try candidate(#"{"response": "x", "reference": null, "answer": "7"}"#).reference == "7")
  }

  /// Issue 16.13: these scored math 0.0 from a file while the server answered 400.
  @Test(arguments: [#"{}"#, #"[1,2]"#, #"["4"]"#, "true"])
  func nonTextReferencesAreLocatedErrors(value: String) throws {
    let found = try #require(error(#"{"prompt": "p", "response": "4", "reference": \#(value)}"#))
    #expect(found.description.hasPrefix("data.jsonl:7: field 'reference': wrong type: expected the reference answer"))
  }

  @Test func structuredGroundTruthIsMetadataNotReference() throws {
    let read = try candidate(#"{"response": "[f(a=1)]", "ground_truth": [{"f": {"a": [1]}}]}"#)
    #expect(read.reference == nil)
    #expect(read.metadata["ground_truth"]?.arrayValue?.count == 1)
  }

  @Test func emptyPromptIsNoTurnAndBothPromptAndMessagesIsAnError() throws {
    #expect(try candidate(#"{"prompt": "", "response": "r"}"#).prompt == [])
    #expect(Candidate.prompt(text: "") == [])
    let both = try #require(error(#"{"prompt": "p", "messages": [{"role": "user", "content": "q"}], "response": "r"}"#))
    #expect(both.location.field == "messages")
    #expect(both.message.contains("not both"))
  }

  @Test func messagesEndingWithTheAssistantTurnGiveTheResponse() throws {
    let read = try candidate(
      #"{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], "group": 3}"#)
    #expect(read.prompt == [.user("q")] && read.response == "a" && read.group == "3")
    let missing = try #require(error(#"{"messages": [{"role": "user", "content": "q"}]}"#))
    #expect(missing.location.field == "response" && missing.kind == .missingField)
  }

  @Test func metadataIsTheOtherFieldsWithAnExplicitObjectOnTop() throws {
    let read = try candidate(#"{"prompt": "p", "response": "r", "id": 1, "tools": "t", "metadata": {"tools": "u"}}"#)
    #expect(read.metadata == JSONObject([("id", 1), ("tools", "u")]))
    #expect(error(#"{"response": "r", "metadata": "x"}"#)?.location.field == "metadata")
  }

  /// Paths inside a request: the item's own path prefixes every field.
  @Test func nestedPathsNameTheItem() throws {
    let item = RecordFields(
      try #require(JSONParser.parse(#"{"messages": [{"role": "bot", "content": "x"}], "response": "r"}"#).objectValue),
      at: SourceLocation(file: "request", field: "items[2]"))
    do {
      _ = try Candidate(record: item)
      Issue.record("expected an error")
    } catch {
      #expect(error.location.field == "items[2].messages[0].role")
    }
  }

  @Test func typedReadsSayWhatWasExpected() throws {
    let fields = try record(#"{"n": "x", "s": 3, "l": ["a", 2]}"#)
    #expect(throws: InputError.self) { try fields.number("n") }
    do {
      _ = try fields.strings("l")
    } catch {
      #expect(error.description == "data.jsonl:7: field 'l[1]': wrong type: expected a string, found number")
    }
    do {
      _ = try fields.string("missing")
    } catch {
      #expect(error.kind == .missingField && error.message.contains("'n', 's', 'l'"))
    }
    #expect(try record(#"{"n": " 2.5 "}"#).number("n", acceptingNumericStrings: true) == 2.5)
  }
}
