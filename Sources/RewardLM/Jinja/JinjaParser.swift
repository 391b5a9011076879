/// An expression of the Jinja subset.
indirect enum JinjaExpression: Sendable {
  case literal(JinjaValue)
  case name(String)
  case list([JinjaExpression])
  case dict([(JinjaExpression, JinjaExpression)])
  case attribute(JinjaExpression, String)
  case item(JinjaExpression, JinjaExpression)
  case slice(JinjaExpression, start: JinjaExpression?, stop: JinjaExpression?, step: JinjaExpression?)
  case call(JinjaExpression, [JinjaExpression], [(String, JinjaExpression)])
  case filter(JinjaExpression, String, [JinjaExpression], [(String, JinjaExpression)])
  case test(JinjaExpression, String, [JinjaExpression], negated: Bool)
  case unary(String, JinjaExpression)
  case binary(String, JinjaExpression, JinjaExpression)
  case and(JinjaExpression, JinjaExpression)
  case or(JinjaExpression, JinjaExpression)
  case conditional(then: JinjaExpression, condition: JinjaExpression, otherwise: JinjaExpression?)
}

/// A statement node; `line` is for errors.
indirect enum JinjaNode: Sendable {
  case text(String)
  case output(JinjaExpression, line: Int)
  case ifChain([(JinjaExpression, [JinjaNode])], otherwise: [JinjaNode])
  case forLoop(
    targets: [String], iterable: JinjaExpression, filter: JinjaExpression?, body: [JinjaNode], otherwise: [JinjaNode],
    line: Int)
  case set(targets: [String], attribute: String?, JinjaExpression, line: Int)
  case setBlock(String, [JinjaNode])
  case macro(name: String, parameters: [(String, JinjaExpression?)], body: [JinjaNode])
  case breakLoop
  case continueLoop
  /// `{% generation %}`: transformers' marker of assistant text; renders its body.
  case generation([JinjaNode])
}

/// Parses the lexer's segments into nodes; anything outside the subset is an error naming it.
struct JinjaParser {
  private let segments: [JinjaSegment]
  private var index = 0
  /// Blocks open around the current statement, bounded like expression nesting.
  private var blockDepth = 0

  static func parse(_ source: String) throws(ChatTemplateError) -> [JinjaNode] {
    var parser = JinjaParser(segments: try JinjaLexer.segments(source))
    let (nodes, end) = try parser.parseBlock(until: [])
    if let (name, line) = end { throw ChatTemplateError("unexpected '\(name)'", line: line) }
    return nodes
  }

  private init(segments: [JinjaSegment]) {
    self.segments = segments
  }

  /// Nodes up to one of the `until` statements (returned with its tokens), or the end.
  private mutating func parseBlock(until: Set<String>) throws(ChatTemplateError) -> (
    [JinjaNode], (String, Int)?
  ) {
    var nodes: [JinjaNode] = []
    while index < segments.count {
      let segment = segments[index]
      index += 1
      switch segment {
      case .text(let text): nodes.append(.text(text))
      case .output(let tokens, let line):
        var stream = TokenStream(tokens: tokens, line: line)
        let expression = try stream.parseExpression()
        try stream.expectEnd()
        nodes.append(.output(expression, line: line))
      case .statement(let tokens, let line):
        guard case .name(let keyword) = tokens.first else { throw ChatTemplateError("empty statement", line: line) }
        if until.contains(keyword) {
          index -= 1
          return (nodes, (keyword, line))
        }
        nodes.append(try parseStatement(keyword, tokens, line: line))
      }
    }
    return (nodes, nil)
  }

  /// The tokens of the statement `parseBlock` stopped at, consuming it.
  private mutating func takeStatement() -> [JinjaToken] {
    guard case .statement(let tokens, _) = segments[index] else { return [] }
    index += 1
    return tokens
  }

  private mutating func parseStatement(_ keyword: String, _ tokens: [JinjaToken], line: Int) throws(ChatTemplateError)
    -> JinjaNode
  {
    var stream = TokenStream(tokens: Array(tokens.dropFirst()), line: line)
    blockDepth += 1
    defer { blockDepth -= 1 }
    guard blockDepth <= TokenStream.maximumDepth else {
      throw ChatTemplateError("statements nested deeper than \(TokenStream.maximumDepth)", line: line)
    }
    switch keyword {
    case "if":
      var branches: [(JinjaExpression, [JinjaNode])] = []
      var condition = try stream.parseExpression()
      try stream.expectEnd()
      while true {
        let (body, end) = try parseBlock(until: ["elif", "else", "endif"])
        branches.append((condition, body))
        guard let (name, endLine) = end else {
          throw ChatTemplateError("'if' is never closed with 'endif'", line: line)
        }
        let endTokens = takeStatement()
        switch name {
        case "elif":
          var elifStream = TokenStream(tokens: Array(endTokens.dropFirst()), line: endLine)
          condition = try elifStream.parseExpression()
          try elifStream.expectEnd()
        case "else":
          let (otherwise, close) = try parseBlock(until: ["endif"])
          guard close != nil else { throw ChatTemplateError("'if' is never closed with 'endif'", line: line) }
          _ = takeStatement()
          return .ifChain(branches, otherwise: otherwise)
        default:
          return .ifChain(branches, otherwise: [])
        }
      }
    case "for":
      var targets = [try stream.expectName()]
      while stream.accept(.op(",")) { targets.append(try stream.expectName()) }
      try stream.expect(.name("in"))
      let iterable = try stream.parseExpression(allowConditional: false)
      var filter: JinjaExpression? = nil
      if stream.accept(.name("if")) { filter = try stream.parseExpression(allowConditional: false) }
      if stream.accept(.name("recursive")) { throw ChatTemplateError.unsupported("for … recursive", line: line) }
      try stream.expectEnd()
      let (body, end) = try parseBlock(until: ["else", "endfor"])
      guard let (name, _) = end else { throw ChatTemplateError("'for' is never closed with 'endfor'", line: line) }
      _ = takeStatement()
      var otherwise: [JinjaNode] = []
      if name == "else" {
        let (elseBody, close) = try parseBlock(until: ["endfor"])
        guard close != nil else { throw ChatTemplateError("'for' is never closed with 'endfor'", line: line) }
        _ = takeStatement()
        otherwise = elseBody
      }
      return .forLoop(
        targets: targets, iterable: iterable, filter: filter, body: body, otherwise: otherwise, line: line)
    case "set":
      let name = try stream.expectName()
      if stream.atEnd {
        let (body, end) = try parseBlock(until: ["endset"])
        guard end != nil else { throw ChatTemplateError("'set' block is never closed with 'endset'", line: line) }
        _ = takeStatement()
        return .setBlock(name, body)
      }
      var attribute: String? = nil
      var targets = [name]
      if stream.accept(.op(".")) {
        attribute = try stream.expectName()
      } else {
        while stream.accept(.op(",")) { targets.append(try stream.expectName()) }
      }
      try stream.expect(.op("="))
      let value = try stream.parseExpression()
      try stream.expectEnd()
      return .set(targets: targets, attribute: attribute, value, line: line)
    case "macro":
      let name = try stream.expectName()
      try stream.expect(.op("("))
      var parameters: [(String, JinjaExpression?)] = []
      while !stream.accept(.op(")")) {
        if !parameters.isEmpty { try stream.expect(.op(",")) }
        let parameter = try stream.expectName()
        var fallback: JinjaExpression? = nil
        if stream.accept(.op("=")) { fallback = try stream.parseExpression() }
        parameters.append((parameter, fallback))
      }
      try stream.expectEnd()
      let (body, end) = try parseBlock(until: ["endmacro"])
      guard end != nil else { throw ChatTemplateError("'macro' is never closed with 'endmacro'", line: line) }
      _ = takeStatement()
      return .macro(name: name, parameters: parameters, body: body)
    case "break":
      try stream.expectEnd()
      return .breakLoop
    case "continue":
      try stream.expectEnd()
      return .continueLoop
    case "generation":
      try stream.expectEnd()
      let (body, end) = try parseBlock(until: ["endgeneration"])
      guard end != nil else { throw ChatTemplateError("'generation' is never closed", line: line) }
      _ = takeStatement()
      return .generation(body)
    case "endif", "endfor", "endset", "endmacro", "elif", "else", "endgeneration":
      throw ChatTemplateError("'\(keyword)' without its opening statement", line: line)
    default:
      throw ChatTemplateError.unsupported(keyword, line: line)
    }
  }
}

/// Expression parsing with Jinja's precedence: conditional < or < and < not < comparisons (`in`,
/// `==` …) < `+ -` < `~` < `* / // %` < `**` < unary minus < postfix (`.x`, `[i]`, `(…)`, `|filter`,
/// `is test`).
struct TokenStream {
  let tokens: [JinjaToken]
  let line: Int
  var position = 0
  /// Brackets open around the current position; bounded so that a pathological template is an
  /// error rather than a stack overflow.
  private var depth = 0
  static let maximumDepth = 100

  init(tokens: [JinjaToken], line: Int) {
    self.tokens = tokens
    self.line = line
  }

  var atEnd: Bool { position >= tokens.count }
  var current: JinjaToken? { atEnd ? nil : tokens[position] }

  mutating func accept(_ token: JinjaToken) -> Bool {
    guard current == token else { return false }
    position += 1
    return true
  }

  mutating func expect(_ token: JinjaToken) throws(ChatTemplateError) {
    guard accept(token) else { throw error("expected \(Self.describe(token)), found \(describeCurrent)") }
  }

  mutating func expectName() throws(ChatTemplateError) -> String {
    guard case .name(let name)? = current else { throw error("expected a name, found \(describeCurrent)") }
    position += 1
    return name
  }

  func expectEnd() throws(ChatTemplateError) {
    guard atEnd else { throw error("unexpected \(describeCurrent)") }
  }

  func error(_ message: String) -> ChatTemplateError { ChatTemplateError(message, line: line) }

  var describeCurrent: String { current.map(Self.describe) ?? "the end of the tag" }

  static func describe(_ token: JinjaToken) -> String {
    switch token {
    case .name(let n): "'\(n)'"
    case .string(let s): "string \(JinjaValue.pythonQuote(s))"
    case .int(let i): "\(i)"
    case .double(let d): "\(d)"
    case .op(let o): "'\(o)'"
    }
  }

  mutating func parseExpression(allowConditional: Bool = true) throws(ChatTemplateError) -> JinjaExpression {
    let value = try parseOr()
    guard allowConditional, accept(.name("if")) else { return value }
    let condition = try parseOr()
    var otherwise: JinjaExpression? = nil
    if accept(.name("else")) { otherwise = try parseExpression() }
    return .conditional(then: value, condition: condition, otherwise: otherwise)
  }

  private mutating func parseOr() throws(ChatTemplateError) -> JinjaExpression {
    var left = try parseAnd()
    while accept(.name("or")) { left = .or(left, try parseAnd()) }
    return left
  }

  private mutating func parseAnd() throws(ChatTemplateError) -> JinjaExpression {
    var left = try parseNot()
    while accept(.name("and")) { left = .and(left, try parseNot()) }
    return left
  }

  private mutating func parseNot() throws(ChatTemplateError) -> JinjaExpression {
    if accept(.name("not")) { return .unary("not", try parseNot()) }
    return try parseComparison()
  }

  private mutating func parseComparison() throws(ChatTemplateError) -> JinjaExpression {
    var left = try parseAdditive()
    while true {
      if case .op(let op)? = current, ["==", "!=", "<", ">", "<=", ">="].contains(op) {
        position += 1
        left = .binary(op, left, try parseAdditive())
      } else if accept(.name("in")) {
        left = .binary("in", left, try parseAdditive())
      } else if current == .name("not"), position + 1 < tokens.count, tokens[position + 1] == .name("in") {
        position += 2
        left = .unary("not", .binary("in", left, try parseAdditive()))
      } else {
        return left
      }
    }
  }

  private mutating func parseAdditive() throws(ChatTemplateError) -> JinjaExpression {
    var left = try parseConcat()
    while case .op(let op)? = current, op == "+" || op == "-" {
      position += 1
      left = .binary(op, left, try parseConcat())
    }
    return left
  }

  private mutating func parseConcat() throws(ChatTemplateError) -> JinjaExpression {
    var left = try parseMultiplicative()
    while accept(.op("~")) { left = .binary("~", left, try parseMultiplicative()) }
    return left
  }

  private mutating func parseMultiplicative() throws(ChatTemplateError) -> JinjaExpression {
    var left = try parsePower()
    while case .op(let op)? = current, ["*", "/", "//", "%"].contains(op) {
      position += 1
      left = .binary(op, left, try parsePower())
    }
    return left
  }

  private mutating func parsePower() throws(ChatTemplateError) -> JinjaExpression {
    var left = try parseUnary()
    while accept(.op("**")) { left = .binary("**", left, try parseUnary()) }
    return left
  }

  private mutating func parseUnary() throws(ChatTemplateError) -> JinjaExpression {
    if accept(.op("-")) { return try parsePostfixChain(.unary("-", try parseUnary(withFilters: false))) }
    if accept(.op("+")) { return try parseUnary() }
    return try parseUnary(withFilters: true)
  }

  private mutating func parseUnary(withFilters: Bool) throws(ChatTemplateError) -> JinjaExpression {
    let primary = try parsePostfix(try parsePrimary())
    return withFilters ? try parsePostfixChain(primary) : primary
  }

  /// `|filter`, `is test` and calls after a primary.
  private mutating func parsePostfixChain(_ start: JinjaExpression) throws(ChatTemplateError) -> JinjaExpression {
    var node = start
    while true {
      if accept(.op("|")) {
        let name = try expectName()
        var (args, kwargs): ([JinjaExpression], [(String, JinjaExpression)]) = ([], [])
        if accept(.op("(")) { (args, kwargs) = try parseArguments() }
        node = .filter(node, name, args, kwargs)
        node = try parsePostfix(node)
      } else if accept(.name("is")) {
        let negated = accept(.name("not"))
        var name = try expectName()
        // `is none`, `is true`… are names the tokenizer sees as words.
        if name == "None" { name = "none" }
        var args: [JinjaExpression] = []
        if accept(.op("(")) {
          let (positional, keywords) = try parseArguments()
          guard keywords.isEmpty else { throw error("a test takes no keyword arguments") }
          args = positional
        } else if let token = current, startsTestArgument(token) {
          args = [try parsePostfix(try parsePrimary())]
        }
        node = .test(node, name, args, negated: negated)
      } else {
        return node
      }
    }
  }

  private func startsTestArgument(_ token: JinjaToken) -> Bool {
    switch token {
    case .string, .int, .double: return true
    case .name(let n): return !["and", "or", "else", "if", "in", "not", "is"].contains(n)
    case .op(let o): return o == "[" || o == "{"
    }
  }

  /// `.name`, `[index]`, `[a:b:c]` and `(arguments)`.
  private mutating func parsePostfix(_ start: JinjaExpression) throws(ChatTemplateError) -> JinjaExpression {
    var node = start
    while true {
      if accept(.op(".")) {
        if case .int(let i)? = current {
          position += 1
          node = .item(node, .literal(.int(i)))
        } else {
          node = .attribute(node, try expectName())
        }
      } else if accept(.op("[")) {
        var parts: [JinjaExpression?] = [nil]
        var isSlice = false
        while !accept(.op("]")) {
          if accept(.op(":")) {
            isSlice = true
            parts.append(nil)
          } else {
            guard parts[parts.count - 1] == nil else { throw error("expected ']' or ':', found \(describeCurrent)") }
            parts[parts.count - 1] = try parseExpression()
          }
        }
        if isSlice {
          guard parts.count <= 3 else { throw error("a slice has at most three parts") }
          node = .slice(
            node, start: parts[0], stop: parts.count > 1 ? parts[1] : nil, step: parts.count > 2 ? parts[2] : nil)
        } else {
          guard let index = parts[0] else { throw error("empty subscript") }
          node = .item(node, index)
        }
      } else if accept(.op("(")) {
        let (args, kwargs) = try parseArguments()
        node = .call(node, args, kwargs)
      } else {
        return node
      }
    }
  }

  /// Arguments after an opening parenthesis, through the closing one.
  private mutating func parseArguments() throws(ChatTemplateError) -> ([JinjaExpression], [(String, JinjaExpression)]) {
    var args: [JinjaExpression] = []
    var kwargs: [(String, JinjaExpression)] = []
    while !accept(.op(")")) {
      if !args.isEmpty || !kwargs.isEmpty { try expect(.op(",")) }
      if accept(.op(")")) { break }
      if case .name(let name)? = current, position + 1 < tokens.count, tokens[position + 1] == .op("=") {
        position += 2
        kwargs.append((name, try parseExpression()))
      } else {
        guard kwargs.isEmpty else { throw error("a positional argument follows a keyword argument") }
        if accept(.op("*")) { throw ChatTemplateError.unsupported("*args", line: line) }
        args.append(try parseExpression())
      }
    }
    return (args, kwargs)
  }

  private mutating func parsePrimary() throws(ChatTemplateError) -> JinjaExpression {
    guard let token = current else { throw error("expected a value, found the end of the tag") }
    position += 1
    if token == .op("(") || token == .op("[") || token == .op("{") {
      depth += 1
      guard depth <= Self.maximumDepth else { throw error("brackets nested deeper than \(Self.maximumDepth)") }
    }
    defer { if token == .op("(") || token == .op("[") || token == .op("{") { depth -= 1 } }
    switch token {
    case .string(var s):
      // Adjacent literals concatenate, as in Python.
      while case .string(let more)? = current {
        s += more
        position += 1
      }
      return .literal(.string(s))
    case .int(let i): return .literal(.int(i))
    case .double(let d): return .literal(.double(d))
    case .name(let name):
      switch name {
      case "true", "True": return .literal(.bool(true))
      case "false", "False": return .literal(.bool(false))
      case "none", "None": return .literal(.none)
      default: return .name(name)
      }
    case .op("("):
      if accept(.op(")")) { return .list([]) }
      let first = try parseExpression()
      if accept(.op(")")) { return first }
      var items = [first]
      while accept(.op(",")) {
        if current == .op(")") { break }
        items.append(try parseExpression())
      }
      try expect(.op(")"))
      return .list(items)
    case .op("["):
      var items: [JinjaExpression] = []
      while !accept(.op("]")) {
        if !items.isEmpty { try expect(.op(",")) }
        if accept(.op("]")) { break }
        items.append(try parseExpression())
      }
      return .list(items)
    case .op("{"):
      var pairs: [(JinjaExpression, JinjaExpression)] = []
      while !accept(.op("}")) {
        if !pairs.isEmpty { try expect(.op(",")) }
        if accept(.op("}")) { break }
        let key = try parseExpression()
        try expect(.op(":"))
        pairs.append((key, try parseExpression()))
      }
      return .dict(pairs)
    default:
      throw error("unexpected \(Self.describe(token))")
    }
  }
}
