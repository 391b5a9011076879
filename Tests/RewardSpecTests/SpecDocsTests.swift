import Foundation
import Testing

@testable import RewardSpec

/// The examples in docs/REWARD_SPEC.md load: documentation that a user copies must be valid.
struct SpecDocsTests {
  static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("docs/REWARD_SPEC.md")

  static func yamlBlocks() throws -> [String] {
    let text = try String(contentsOf: document, encoding: .utf8)
    return text.components(separatedBy: "```yaml\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
  }

  @Test func everyYAMLExampleLoads() throws {
    let blocks = try Self.yamlBlocks()
    #expect(blocks.count >= 5)
    for block in blocks {
      #expect(throws: Never.self, "\(block)") { _ = try RewardSpecLoader.load(text: block) }
    }
  }
}
