/// JSON values as dictionary keys and in `Hashable` requests (the engine contract's sampling
/// parameters and tool schemas hold JSON). Consistent with `==`: objects hash their entries in
/// order, and `1` (int) and `1.0` (double) stay different values.
extension JSONValue: Hashable {
  public func hash(into hasher: inout Hasher) {
    switch self {
    case .null: hasher.combine(0)
    case .bool(let value):
      hasher.combine(1)
      hasher.combine(value)
    case .int(let value):
      hasher.combine(2)
      hasher.combine(value)
    case .double(let value):
      hasher.combine(3)
      hasher.combine(value)
    case .string(let value):
      hasher.combine(4)
      hasher.combine(value)
    case .array(let items):
      hasher.combine(5)
      hasher.combine(items)
    case .object(let object):
      hasher.combine(6)
      hasher.combine(object)
    }
  }
}

extension JSONObject: Hashable {
  public func hash(into hasher: inout Hasher) {
    hasher.combine(entries.count)
    for (key, value) in entries {
      hasher.combine(key)
      hasher.combine(value)
    }
  }
}
