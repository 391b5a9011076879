import RewardEngine
import RewardJudge

/// The served model's judges on `GET /metrics`: what each asked its engine and what came back,
/// labelled by judge (the judge's name, or its spec component's) and the engine's model, in the
/// Prometheus text format `ServerMetrics` writes. Counts come from the judges' run ledgers and their
/// engine clients' counters, so they cover every request the server has scored since it started.
enum JudgeMetricsText {
  static func render(_ judges: [JudgeEntry]) -> String {
    guard !judges.isEmpty else { return "" }
    typealias Series = (name: String, help: String, value: (JudgeEntry) -> Int?)
    let series: [Series] = [
      ("items_total", "Items the judge was asked about.", { $0.ledger.summary.items }),
      (
        "unparseable_total", "Items with no readable verdict after the reminder retries (parse failures).",
        { $0.ledger.summary.unparseable }
      ),
      ("reminder_retries_total", "Reminder turns sent after an unparseable reply.", { $0.ledger.summary.retries }),
      ("engine_errors_total", "Items the engine failed on (after its retries).", { $0.ledger.summary.engineErrors }),
      (
        "over_context_total", "Of the engine errors, prompts longer than the engine's context.",
        { $0.ledger.summary.overContext }
      ),
      ("calls_total", "Engine calls the judge made (tool rounds and reminders included).", { $0.ledger.summary.calls }),
      ("prompt_tokens_total", "Prompt tokens the engine reported.", { $0.ledger.summary.promptTokens }),
      ("completion_tokens_total", "Completion tokens the engine reported.", { $0.ledger.summary.completionTokens }),
      (
        "engine_requests_total", "HTTP requests sent to the engine, retries included.",
        { $0.engineUsage?.snapshot.requests }
      ),
      (
        "engine_retries_total", "Engine attempts that failed (429, 5xx, timeouts) and were retried.",
        { $0.engineUsage?.snapshot.retries }
      ),
      (
        "engine_cache_hits_total", "Engine calls answered from the request cache.",
        { $0.engineUsage?.snapshot.cacheHits }
      ),
    ]
    var out = ""
    for item in series {
      let name = "rewardkit_judge_\(item.name)"
      out += "# HELP \(name) \(item.help)\n# TYPE \(name) counter\n"
      for judge in judges {
        guard let value = item.value(judge) else { continue }
        out += "\(name){judge=\"\(escape(judge.name))\",engine_model=\"\(escape(judge.engineModel))\"} \(value)\n"
      }
    }
    return out
  }

  /// Prometheus label values escape backslash, double quote and newline.
  static func escape(_ value: String) -> String {
    value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
      .replacingOccurrences(of: "\n", with: "\\n")
  }
}
