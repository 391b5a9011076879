import RewardCore

/// A file record read through RewardCore's one typed reader (`RecordFields`): this module adds only
/// the bridge from a `SourceRecord` (its fields and where it starts).
extension RecordFields {
  init(record: SourceRecord) {
    self.init(record.fields, at: record.location)
  }
}
