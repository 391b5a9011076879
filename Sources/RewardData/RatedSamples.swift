import RewardCore

/// A response with ratings on several attributes (HelpSteer2: helpfulness, correctness,
/// coherence, complexity, verbosity on 0–4). A missing rating is nil and is masked in training.
public struct RatedSample: Sendable, Equatable {
  public var prompt: Conversation
  public var response: String
  /// One entry per attribute of the data set, in `RatedDataset.attributes` order.
  public var ratings: [Double?]
  public var source: SourceLocation

  public init(prompt: Conversation, response: String, ratings: [Double?], source: SourceLocation) {
    self.prompt = prompt
    self.response = response
    self.ratings = ratings
    self.source = source
  }

  public var candidate: Candidate { Candidate(prompt: prompt, response: response) }
}

public struct RatedDataset: Sendable {
  public var attributes: [String]
  public var samples: [RatedSample]
  public var skipped: [InputError]

  public init(attributes: [String], samples: [RatedSample], skipped: [InputError] = []) {
    self.attributes = attributes
    self.samples = samples
    self.skipped = skipped
  }
}

/// Where an attribute's rating comes from: a numeric field, or a field of labels mapped to
/// numbers (XSTest's `final_label`: `1_full_compliance=1,2_full_refusal=0,3_partial_refusal=0.5`).
///
/// Written on the command line as `NAME`, `NAME=FIELD` or `NAME=FIELD:LABEL=VALUE,LABEL=VALUE`.
public struct RatingColumn: Sendable, Equatable {
  public var attribute: String
  public var field: String
  public var labels: [String: Double]?

  public init(attribute: String, field: String? = nil, labels: [String: Double]? = nil) {
    self.attribute = attribute
    self.field = field ?? attribute
    self.labels = labels
  }

  public init(parsing text: String) throws(ConfigurationError) {
    let (head, mapping) = text.split(separator: ":", maxSplits: 1).map(String.init).splitFirst
    let parts = head.split(separator: "=", maxSplits: 1).map(String.init)
    guard let name = parts.first, !name.isEmpty else {
      throw ConfigurationError("rating '\(text)': expected NAME, NAME=FIELD or NAME=FIELD:LABEL=VALUE,…")
    }
    var labels: [String: Double]?
    if let mapping {
      labels = [:]
      for entry in mapping.split(separator: ",") {
        let pair = entry.split(separator: "=", maxSplits: 1).map(String.init)
        guard pair.count == 2, let value = Double(pair[1]) else {
          throw ConfigurationError("rating '\(text)': label mapping '\(entry)' should be LABEL=NUMBER")
        }
        labels?[pair[0]] = value
      }
    }
    self.init(attribute: name, field: parts.count > 1 ? parts[1] : nil, labels: labels)
  }

  /// HelpSteer2's attributes.
  public static let helpSteer2 = ["helpfulness", "correctness", "coherence", "complexity", "verbosity"].map {
    RatingColumn(attribute: $0)
  }
}

extension Array where Element == String {
  fileprivate var splitFirst: (String, String?) { (self.first ?? "", count > 1 ? self[1] : nil) }
}

/// Reads rated responses from JSON Lines, JSON or CSV files (optionally gzipped).
public enum RatedReader {
  public static func read(
    _ paths: [String], columns: [RatingColumn], promptField: String = "prompt", responseField: String = "response",
    skipInvalid: Bool = false, allowEmptyResponses: Bool = false
  ) throws(InputError) -> RatedDataset {
    var dataset = RatedDataset(attributes: columns.map(\.attribute), samples: [], skipped: [])
    for path in paths {
      let (records, problems) = try RecordReader.records(in: InputFile.read(path))
      for problem in problems {
        guard skipInvalid else { throw problem }
        dataset.skipped.append(problem)
      }
      for record in records {
        do throws(InputError) {
          dataset.samples.append(
            try sample(
              RecordFields(record: record), columns: columns, promptField: promptField, responseField: responseField,
              allowEmpty: allowEmptyResponses))
        } catch {
          guard skipInvalid else { throw error }
          dataset.skipped.append(error)
        }
      }
    }
    return dataset
  }

  static func sample(
    _ record: RecordFields, columns: [RatingColumn], promptField: String, responseField: String, allowEmpty: Bool
  ) throws(InputError) -> RatedSample {
    let prompt = try record.string(promptField)
    let response = try record.string(responseField)
    guard allowEmpty || !response.isBlank else {
      throw InputError(
        .emptyResponse, at: record.location.field(responseField),
        "the response is empty; expected text (use --allow-empty or --skip-invalid)")
    }
    var ratings: [Double?] = []
    for column in columns {
      guard record.has(column.field) else {
        ratings.append(nil)
        continue
      }
      if let labels = column.labels {
        let label = try record.string(column.field)
        guard let value = labels[label] else {
          throw InputError(
            .invalidValue, at: record.location.field(column.field),
            "label '\(label)' has no value; expected one of \(labels.keys.sorted().joined(separator: ", "))")
        }
        ratings.append(value)
      } else {
        ratings.append(try record.optionalNumber(column.field, acceptingNumericStrings: true))
      }
    }
    guard ratings.contains(where: { $0 != nil }) else {
      throw InputError(
        .missingField, at: record.location.field(columns.first?.field ?? "ratings"),
        "no rating found; expected at least one of \(columns.map { "'\($0.field)'" }.joined(separator: ", "))")
    }
    return RatedSample(
      prompt: prompt.isEmpty ? [] : [.user(prompt)], response: response, ratings: ratings, source: record.location)
  }
}
