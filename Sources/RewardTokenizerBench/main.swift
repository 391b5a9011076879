import Foundation
import RewardCore
import RewardLM

// Benchmark and parity tool for the BPE tokenizer (scripts/bench_tokenizer.sh):
//   reward-tokenizer-bench TOKENIZER (tokenizer.json | model.gguf) TEXTS.jsonl [IDS_OUT.jsonl]
// TEXTS.jsonl has one {"text": …} per line. Encodes every text (no special tokens) on one thread,
// three passes, and prints tokens/s of the fastest; with IDS_OUT it writes each text's ids as a
// JSON array per line, for comparison with Hugging Face `tokenizers`.

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("error: \(message)\n".utf8))
  exit(1)
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: reward-tokenizer-bench TOKENIZER TEXTS.jsonl [IDS_OUT.jsonl]") }
let loadStart = Date()
let tokenizer: BPETokenizer
do {
  tokenizer =
    arguments[1].hasSuffix(".gguf")
    ? try BPETokenizer(ggufFile: arguments[1]) : try BPETokenizer(contentsOf: arguments[1])
} catch {
  fail("\(error)")
}
let loadSeconds = Date().timeIntervalSince(loadStart)
guard let data = FileManager.default.contents(atPath: arguments[2]) else { fail("cannot read \(arguments[2])") }
var texts: [String] = []
for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
  guard let text = (try? JSONParser.parse(String(line)))?.objectValue?["text"]?.stringValue else {
    fail("\(arguments[2]):\(number + 1): expected {\"text\": …}")
  }
  texts.append(text)
}
let bytes = texts.reduce(0) { $0 + $1.utf8.count }
var best = Double.infinity
var ids: [[TokenID]] = []
for _ in 0..<3 {
  let start = Date()
  var pass: [[TokenID]] = []
  pass.reserveCapacity(texts.count)
  for text in texts {
    do { pass.append(try tokenizer.encode(text, addSpecialTokens: false)) } catch { fail("\(error)") }
  }
  best = min(best, Date().timeIntervalSince(start))
  ids = pass
}
let tokens = ids.reduce(0) { $0 + $1.count }
print(
  String(
    format:
      "RewardKit BPETokenizer: %d texts, %d tokens, %.1f MB in %.3f s: %.0f tokens/s, %.2f MB/s (1 thread, best of 3; load %.2f s)",
    texts.count, tokens, Double(bytes) / 1e6, best, Double(tokens) / best, Double(bytes) / 1e6 / best, loadSeconds))
if arguments.count > 3 {
  var out = ""
  for row in ids { out += "[" + row.map(String.init).joined(separator: ",") + "]\n" }
  do { try out.write(toFile: arguments[3], atomically: true, encoding: .utf8) } catch { fail("\(error)") }
}
