import Foundation

/// Paths into `../shared` (beside the repository), where the real data sets live.
enum SharedData {
  static let root: String = {
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    return repo.deletingLastPathComponent().appendingPathComponent("shared").path
  }()

  static func path(_ relative: String) -> String { root + "/" + relative }

  static func fixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
  }
}
