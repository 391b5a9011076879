import Foundation
import RewardCore
import Testing

/// `reward train --head ensemble` and `reward data strength` report the ensemble's pair-level
/// confidence (|mean|/std of the members' margins) and the accuracy on its confident thirds.
@Suite struct EnsembleConfidenceCLITests {
  @Test func strengthWritesConfidenceAndReportsThirds() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let data = Paths.shared("data/preference/llmbar-adversarial-neighbor.json")
    let train = try RewardBinary.run([
      "train", data, "--head", "ensemble", "--members", "3", "--buckets", "4096", "--epochs", "3", "--out",
      directory + "/ensemble", "--quiet",
    ])
    #expect(train.status == 0, "\(train.stderr)")
    #expect(train.stdout.contains("validation accuracy on the ensemble's most / least confident third"))

    let strength = try RewardBinary.run([
      "data", "strength", "--model", directory + "/ensemble", data, "--out", directory + "/strength.jsonl",
    ])
    #expect(strength.status == 0, "\(strength.stderr)")
    // 134 pairs: thirds of 44, by each measure.
    #expect(strength.stderr.contains("accuracy on the most / least confident third (44 pairs each): by mean/std "))
    #expect(strength.stderr.contains("; by std ") && strength.stderr.contains("; by |mean| "))
    let lines = try String(contentsOfFile: directory + "/strength.jsonl", encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 134)
    for line in lines {
      let record = try #require(try JSONParser.parse(String(line)).objectValue)
      let mean = try #require(record["strength_mean"]?.doubleValue)
      let std = try #require(record["strength_std"]?.doubleValue)
      let agreement = try #require(record["strength_agreement"]?.doubleValue)
      #expect((0...1).contains(agreement))
      if std > 0 {
        let confidence = try #require(record["strength_confidence"]?.doubleValue)
        #expect(abs(confidence - abs(mean) / std) < 1e-9 * max(1, confidence))
      }
    }
  }
}
