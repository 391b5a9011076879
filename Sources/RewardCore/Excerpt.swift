extension String {
  /// The text to quote in a message: whole when short, else its first `limit` characters and how
  /// long it was, so a 100,000-digit number or a megabyte pattern does not flood the terminal.
  public func excerpt(limit: Int = 40) -> String {
    guard let end = index(startIndex, offsetBy: limit, limitedBy: endIndex), end < endIndex else { return self }
    return "\(self[..<end])… (\(count) characters)"
  }
}
