import RewardCore

/// The JSON form of a report: every number the terminal and HTML reports show, and more.
/// One shape whatever the number of models or files (docs/JSON.md, `schema_version` 1):
/// `{"schema_version", "command": "eval", "title", "files", "models": [...], "agreement": [...]}`,
/// each model with its pooled results (`overall`, `subsets`, …) and `data_sets`, one per file.
public enum ReportJSON {
  /// Bumped when a field changes meaning or goes away (adding fields does not bump it).
  public static let schemaVersion = 1

  public static func encode(_ suite: SuiteReport) -> JSONValue {
    [
      "schema_version": int(schemaVersion), "command": "eval", "title": .string(suite.title),
      "files": .array(suite.dataFiles.map(JSONValue.string)),
      "models": .array(suite.models.map(encode)), "agreement": .array(suite.agreements.map(encode)),
    ]
  }

  public static func encode(_ model: ModelEvaluation) -> JSONValue {
    var entries: [(key: String, value: JSONValue)] = [("model", .string(model.model))]
    if let pairwise = model.pairwise {
      entries += [
        ("overall", encode(pairwise.overall)),
        ("subsets", .object(JSONObject(pairwise.subsets.map { ($0.name, encode($0.summary)) }))),
        ("skipped", skipped(pairwise.skipped)),
        ("data_sets", .array(pairwise.dataSets.map(encode))),
      ]
      if let mean = pairwise.dataSetMean { entries.append(("data_set_mean", .double(mean))) }
      entries.append(("non_finite_pairs", int(pairwise.nonFinitePairs)))
      if let bias = pairwise.lengthBias { entries.append(("length_bias", encode(bias))) }
      if let calibration = pairwise.calibration { entries.append(("calibration", encode(calibration))) }
      if let detection = pairwise.detection {
        entries.append(
          (
            "auroc_chosen_vs_rejected",
            [
              "auroc": number(detection.auroc), "positives": int(detection.positives),
              "negatives": int(detection.negatives),
            ]
          ))
      }
    }
    if let rb = model.rewardBench { entries.append(("rewardbench", encode(rb))) }
    if let rb2 = model.rewardBench2 { entries.append(("rewardbench2", encode(rb2))) }
    if let rm = model.rmBench { entries.append(("rm_bench", encode(rm))) }
    if let curve = model.bestOfN { entries.append(("best_of_n", encode(curve))) }
    if let detection = model.detection {
      entries.append(
        (
          "detection",
          [
            "auroc": number(detection.auroc), "positives": int(detection.positives),
            "negatives": int(detection.negatives),
          ]
        ))
    }
    if let check = model.positionCheck {
      entries.append(
        (
          "position_check",
          [
            "pairs": int(check.pairs), "consistency": .double(check.consistency),
            "first_preferred": .double(check.firstPreferred),
            "accuracy_chosen_first": .double(check.accuracyChosenFirst),
            "accuracy_chosen_second": .double(check.accuracyChosenSecond),
            "mean_asymmetry": .double(check.meanAsymmetry),
          ]
        ))
    }
    if let generative = model.generative { entries.append(("generative", encode(generative))) }
    if let count = model.nonFiniteRewards { entries.append(("non_finite_rewards", int(count))) }
    if let seconds = model.seconds {
      var timing: [(key: String, value: JSONValue)] = [("seconds", .double(seconds))]
      if let scoring = model.scoringSeconds { timing.append(("scoring_seconds", .double(scoring))) }
      if let scored = model.candidatesScored { timing.append(("candidates_scored", int(scored))) }
      if let raw = model.rawScoringSeconds {
        timing.append(("raw_scoring_seconds", .double(raw)))
        timing.append(("overhead_vs_raw", .double(seconds / raw - 1)))
      }
      if let pairs = model.pairwise?.overall.pairs, seconds > 0 {
        timing.append(("pairs_per_second", .double(Double(pairs) / seconds)))
      }
      entries.append(("timing", .object(JSONObject(timing))))
    }
    return .object(JSONObject(entries))
  }

  static func encode(_ g: GenerativeEvaluation) -> JSONValue {
    var entries: [(key: String, value: JSONValue)] = [
      ("rule", .string(g.rule)), ("score", number(g.score)), ("items", int(g.items)),
      (
        "outcomes",
        .object(JSONObject(GenerativeScoring.Outcome.allCases.map { ($0.rawValue, int(g.outcomes[$0] ?? 0)) }))
      ),
      (
        "subsets",
        .object(JSONObject(g.subsets.map { ($0.name, ["score": number($0.score), "items": int($0.items)]) }))
      ),
    ]
    if let judge = g.judge {
      entries.append(
        (
          "judge",
          [
            "items": int(judge.items), "unparseable": int(judge.unparseable),
            "parse_failure_rate": .double(judge.parseFailureRate), "engine_errors": int(judge.engineErrors),
            "retries": int(judge.retries), "calls": int(judge.calls), "prompt_tokens": int(judge.promptTokens),
            "completion_tokens": int(judge.completionTokens), "judge_seconds": .double(judge.judgeSeconds),
            "consistency_rate": number(judge.consistencyRate), "both_order_pairs": int(judge.bothOrderPairs),
            "first_position_win_rate": number(judge.firstPositionWinRate),
            "decisive_trials": int(judge.decisiveTrials),
          ]
        ))
    }
    return .object(JSONObject(entries))
  }

  static func int(_ value: Int) -> JSONValue { .int(Int64(value)) }
  /// NaN and infinities are not JSON: they become null.
  static func number(_ value: Double?) -> JSONValue {
    guard let value, value.isFinite else { return .null }
    return .double(value)
  }

  static func encode(_ s: AccuracySummary) -> JSONValue {
    var entries: [(key: String, value: JSONValue)] = [
      ("pairs", int(s.pairs)), ("correct", int(s.correct)), ("accuracy", .double(s.accuracy)),
      ("mean_margin", number(s.meanMargin)),
    ]
    if let interval = s.interval {
      entries.append(("ci95", [number(interval.lower), number(interval.upper)]))
    }
    return .object(JSONObject(entries))
  }

  static func encode(_ dataSet: DataSetSummary) -> JSONValue {
    [
      "name": .string(dataSet.name), "file": .string(dataSet.file), "overall": encode(dataSet.overall),
      "subsets": .object(JSONObject(dataSet.subsets.map { ($0.name, encode($0.summary)) })),
    ]
  }

  static func skipped(_ errors: [InputError]) -> JSONValue {
    var counts: [String: Int] = [:]
    for error in errors { counts[error.kind.rawValue, default: 0] += 1 }
    return .object(JSONObject(counts.sorted { $0.key < $1.key }.map { ($0.key, int($0.value)) }))
  }

  static func encode(_ bias: LengthBias) -> JSONValue {
    [
      "chosen_longer": encode(bias.chosenLonger), "chosen_shorter": encode(bias.chosenShorter),
      "same_length": int(bias.sameLength), "reward_length_pearson": number(bias.rewardLengthPearson),
      "reward_length_spearman": number(bias.rewardLengthSpearman),
      "bins": .array(
        bias.bins.map {
          ["mean_length": number($0.meanLength), "mean_reward": number($0.meanReward), "count": int($0.count)]
        }
      ),
    ]
  }

  static func encode(_ calibration: Calibration) -> JSONValue {
    [
      "ece": .double(calibration.expectedCalibrationError), "brier": .double(calibration.brierScore),
      "bins": .array(
        calibration.bins.map {
          [
            "lower": .double($0.lower), "upper": .double($0.upper), "count": int($0.count),
            "mean_predicted": .double($0.meanPredicted), "observed": .double($0.observed),
          ]
        }),
    ]
  }

  static func encode(_ scores: RewardBench.Scores) -> JSONValue {
    [
      "sections": .object(JSONObject(scores.sections.map { ($0.name, .double($0.score)) })),
      "prior_sets": number(scores.priorSets), "overall": number(scores.overall),
    ]
  }

  static func encode(_ report: RewardBench2.Report) -> JSONValue {
    var entries: [(key: String, value: JSONValue)] = [
      (
        "subsets",
        .object(
          JSONObject(report.subsets.map { ($0.name, ["score": number($0.score), "prompts": int($0.prompts)]) }))
      ),
      ("overall", number(report.overall)),
    ]
    if let ties = report.ties {
      entries.append(
        (
          "ties",
          [
            "ref_accuracy": .double(ties.referenceAccuracy), "tied_accuracy": .double(ties.tiedAccuracy),
            "correctness_preferred": .double(ties.correctnessPreferred),
            "correctness_preferred_hard": .double(ties.correctnessPreferredHard),
            "margin_score": .double(ties.marginScore), "overall": .double(ties.overall),
          ]
        ))
    }
    return .object(JSONObject(entries))
  }

  static func encode(_ matrix: RMBench.Matrix) -> JSONValue {
    [
      "matrix": .array(matrix.cells.map { .array($0.map(JSONValue.double)) }), "prompts": int(matrix.prompts),
      "hard": .double(matrix.hard), "normal": .double(matrix.normal), "easy": .double(matrix.easy),
      "average": .double(matrix.average),
    ]
  }

  static func encode(_ report: RMBench.Report) -> JSONValue {
    [
      "overall": encode(report.overall),
      "domains": .object(JSONObject(report.domains.map { ($0.name, encode($0.matrix)) })),
      "hard": .double(report.hard), "normal": .double(report.normal), "easy": .double(report.easy),
      "total": .double(report.total),
    ]
  }

  static func encode(_ curve: BestOfN.Curve) -> JSONValue {
    [
      "groups": int(curve.groups), "subsets_per_size": int(curve.subsetsPerSize),
      "points": .array(
        curve.points.map {
          [
            "n": int($0.n), "model": .double($0.model), "oracle": .double($0.oracle), "random": .double($0.random),
            "majority": .double($0.majority),
          ]
        }),
    ]
  }

  static func encode(_ agreement: Agreement) -> JSONValue {
    [
      "first": .string(agreement.first), "second": .string(agreement.second), "pairs": int(agreement.pairs),
      "rate": .double(agreement.rate), "cohens_kappa": number(agreement.cohensKappa),
    ]
  }
}
