/// `JSONValue` is hashable so that requests carrying one (an engine's `response_format`, a tool's
/// parameter schema) can be `Hashable` too. Hashing follows `==`: key order matters, and an
/// integer and a double are different values, as they are in the file.
extension JSONValue: Hashable {
  public func hash(into hasher: inout Hasher) {
    switch self {
    case .null: hasher.combine(0)
    case .bool(let value): hasher.combine(1); hasher.combine(value)
    case .int(let value): hasher.combine(2); hasher.combine(value)
    case .double(let value): hasher.combine(3); hasher.combine(value)
    case .string(let value): hasher.combine(4); hasher.combine(value)
    case .array(let items): hasher.combine(5); hasher.combine(items)
    case .object(let object): hasher.combine(6); hasher.combine(object)
    }
  }
}

extension JSONObject: Hashable {
  public func hash(into hasher: inout Hasher) {
    hasher.combine(entries.count)
    for entry in entries {
      hasher.combine(entry.key)
      hasher.combine(entry.value)
    }
  }
}
