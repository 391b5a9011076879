/// Why an answer could not be read as an expression. Callers fall back to comparing text.
struct MathParseFailure: Error, Sendable {
  var reason: String
}

/// A token of LaTeX-flavoured math text.
enum MathToken: Sendable, Equatable {
  case number(String)
  case letter(String)
  /// `\name` commands, without the backslash.
  case command(String)
  case symbol(Character)
}

/// Splits normalised LaTeX into tokens. Linear time; refuses inputs over `maximumTokens`.
struct MathTokenizer {
  static func tokenize(_ text: String, maximumTokens: Int) throws(MathParseFailure) -> [MathToken] {
    let scalars = Array(text.unicodeScalars)
    var tokens: [MathToken] = []
    var i = 0
    while i < scalars.count {
      if tokens.count > maximumTokens { throw MathParseFailure(reason: "more than \(maximumTokens) tokens") }
      let c = scalars[i]
      if c == " " || c == "\t" || c == "\n" {
        i += 1
      } else if c.properties.numericType != nil && c.isASCII || c == "." {
        var j = i
        var seenPoint = false
        while j < scalars.count, scalars[j].isASCII,
          scalars[j].properties.numericType != nil || (scalars[j] == "." && !seenPoint)
        {
          if scalars[j] == "." { seenPoint = true }
          j += 1
        }
        // Scientific notation written the programmer's way: 3.83e35, 1e-5.
        if j < scalars.count, scalars[j] == "e" || scalars[j] == "E" {
          var k = j + 1
          if k < scalars.count, scalars[k] == "-" || scalars[k] == "+" { k += 1 }
          if k < scalars.count, ("0"..."9").contains(scalars[k]) {
            while k < scalars.count, ("0"..."9").contains(scalars[k]) { k += 1 }
            j = k
          }
        }
        let literal = String(String.UnicodeScalarView(scalars[i..<j]))
        if literal == "." { throw MathParseFailure(reason: "lone decimal point") }
        tokens.append(.number(literal))
        i = j
      } else if c == "\\" {
        var j = i + 1
        while j < scalars.count, scalars[j].properties.isAlphabetic, scalars[j].isASCII { j += 1 }
        if j == i + 1 {
          // `\{`, `\}`, `\,` and friends: one-character commands.
          guard j < scalars.count else { throw MathParseFailure(reason: "trailing backslash") }
          tokens.append(.command(String(Character(scalars[j]))))
          i = j + 1
        } else {
          tokens.append(.command(String(String.UnicodeScalarView(scalars[(i + 1)..<j]))))
          i = j
        }
      } else if c.isASCII, c.properties.isAlphabetic {
        tokens.append(.letter(String(Character(c))))
        i += 1
      } else if c == "π" {
        tokens.append(.command("pi"))
        i += 1
      } else if c == "√" {
        tokens.append(.command("sqrt"))
        i += 1
      } else if c == "·" || c == "×" {
        tokens.append(.symbol("*"))
        i += 1
      } else if c == "−" {
        tokens.append(.symbol("-"))
        i += 1
      } else if "+-*/^()[]{}!_=,|".unicodeScalars.contains(c) {
        tokens.append(.symbol(Character(c)))
        i += 1
      } else {
        throw MathParseFailure(reason: "unexpected character '\(c)'")
      }
    }
    return tokens
  }
}

/// A recursive-descent parser for the arithmetic found in final answers: numbers, variables,
/// `+ - * / ^ !`, implicit multiplication, `\frac`, `\sqrt[n]{}`, `\pi`, `\infty`, functions,
/// `\binom`, mixed numbers (`1\frac{4}{5}`). Nesting is capped at `maximumDepth`, so adversarial
/// input (10k nested braces, towers of exponents) fails fast instead of overflowing the stack.
struct MathExpressionParser {
  private var tokens: [MathToken]
  private var position = 0
  private var depth = 0
  private let maximumDepth: Int

  static let constants: [String: Double] = ["pi": Double.pi, "infty": Double.infinity, "infinity": Double.infinity]
  private static let multiplyCommands: Set<String> = ["cdot", "times", "ast"]
  private static let greekLetters: Set<String> = [
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota",
    "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "varphi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega",
  ]

  static func parse(_ text: String, maximumTokens: Int = 2_000, maximumDepth: Int = 64) throws(MathParseFailure)
    -> MathExpression
  {
    let tokens = try MathTokenizer.tokenize(text, maximumTokens: maximumTokens)
    guard !tokens.isEmpty else { throw MathParseFailure(reason: "empty expression") }
    var parser = MathExpressionParser(tokens: tokens, maximumDepth: maximumDepth)
    let expression = try parser.parseSum()
    guard parser.position == parser.tokens.count else {
      throw MathParseFailure(reason: "unexpected \(parser.tokens[parser.position]) after expression")
    }
    return expression
  }

  private init(tokens: [MathToken], maximumDepth: Int) {
    self.tokens = tokens
    self.maximumDepth = maximumDepth
  }

  private var current: MathToken? { position < tokens.count ? tokens[position] : nil }

  private mutating func enter() throws(MathParseFailure) {
    depth += 1
    if depth > maximumDepth { throw MathParseFailure(reason: "nesting deeper than \(maximumDepth)") }
  }

  private mutating func expect(_ symbol: Character) throws(MathParseFailure) {
    guard current == .symbol(symbol) else { throw MathParseFailure(reason: "expected '\(symbol)'") }
    position += 1
  }

  mutating func parseSum() throws(MathParseFailure) -> MathExpression {
    try enter()
    defer { depth -= 1 }
    var terms = [try parseTerm()]
    while let token = current {
      if token == .symbol("+") {
        position += 1
        terms.append(try parseTerm())
      } else if token == .symbol("-") {
        position += 1
        terms.append(.negate(try parseTerm()))
      } else {
        break
      }
    }
    return terms.count == 1 ? terms[0] : .sum(terms)
  }

  private mutating func parseTerm() throws(MathParseFailure) -> MathExpression {
    var factors = [try parseUnary()]
    while let token = current {
      if token == .symbol("*") || token == .command("cdot") || token == .command("times") {
        position += 1
        factors.append(try parseUnary())
      } else if token == .symbol("/") || token == .command("div") {
        position += 1
        factors.append(.reciprocal(try parseUnary()))
      } else if startsPrimary(token) {
        let next = try parsePower()
        // `1\frac{4}{5}` is a mixed number (1 + 4/5), not a product.
        if factors.count == 1, case .number(let whole) = factors[0], whole == whole.rounded(),
          token == .command("frac") || token == .command("dfrac"), case .product(let parts) = next,
          parts.allSatisfy(\.isNumericLiteral)
        {
          factors[0] = .number(whole + next.evaluate([:]))
        } else {
          factors.append(next)
        }
      } else {
        break
      }
    }
    return factors.count == 1 ? factors[0] : .product(factors)
  }

  private func startsPrimary(_ token: MathToken) -> Bool {
    switch token {
    case .number, .letter: true
    case .symbol(let s): s == "(" || s == "{"
    case .command(let name):
      ["frac", "dfrac", "sqrt", "binom"].contains(name) || Self.constants[name] != nil
        || MathExpression.functionNames.contains(name) || Self.greekLetters.contains(name)
    }
  }

  private mutating func parseUnary() throws(MathParseFailure) -> MathExpression {
    if current == .symbol("-") {
      position += 1
      try enter()
      defer { depth -= 1 }
      return .negate(try parseUnary())
    }
    if current == .symbol("+") {
      position += 1
      try enter()
      defer { depth -= 1 }
      return try parseUnary()
    }
    return try parsePower()
  }

  private mutating func parsePower() throws(MathParseFailure) -> MathExpression {
    var base = try parsePrimary()
    while current == .symbol("!") {
      position += 1
      base = .factorial(base)
    }
    if current == .symbol("^") {
      position += 1
      try enter()
      defer { depth -= 1 }
      let exponent = try parseExponent()
      return .power(base, exponent)
    }
    return base
  }

  /// `x^2`, `x^{n+1}`, `x^-1`, `2^3^4` (right-associative).
  private mutating func parseExponent() throws(MathParseFailure) -> MathExpression {
    if case .number(let literal) = current, literal.count > 1, !literal.contains(".") {
      // LaTeX binds only the first digit: `x^23` is x²·3. Split the literal like TeX does.
      tokens[position] = .number(String(literal.dropFirst()))
      return .number(Double(String(literal.first!))!)
    }
    if current == .symbol("-") {
      position += 1
      return .negate(try parsePower())
    }
    return try parsePower()
  }

  /// A TeX argument: `{…}`, or a single token (`\frac12`, `\sqrt2`).
  private mutating func parseArgument() throws(MathParseFailure) -> MathExpression {
    guard let token = current else { throw MathParseFailure(reason: "missing argument") }
    if token == .symbol("{") { return try parsePrimary() }
    if case .number(let literal) = token, literal.count > 1 {
      tokens[position] = .number(String(literal.dropFirst()))
      guard let digit = Double(String(literal.first!)) else { throw MathParseFailure(reason: "bad digit") }
      return .number(digit)
    }
    return try parsePrimary()
  }

  private mutating func parsePrimary() throws(MathParseFailure) -> MathExpression {
    guard let token = current else { throw MathParseFailure(reason: "expression ends early") }
    try enter()
    defer { depth -= 1 }
    position += 1
    switch token {
    case .number(let literal):
      guard let value = Double(literal) else { throw MathParseFailure(reason: "bad number \(literal)") }
      if current == .symbol("_") { throw MathParseFailure(reason: "number with a base subscript") }
      return .number(value)
    case .letter(let name):
      return .variable(try subscripted(name))
    case .symbol("("):
      let inner = try parseSum()
      try expect(")")
      return inner
    case .symbol("{"):
      let inner = try parseSum()
      try expect("}")
      return inner
    case .symbol("|"):
      let inner = try parseSum()
      try expect("|")
      return .function("abs", inner)
    case .command(let name):
      return try parseCommand(name)
    default:
      throw MathParseFailure(reason: "unexpected \(token)")
    }
  }

  private mutating func subscripted(_ name: String) throws(MathParseFailure) -> String {
    guard current == .symbol("_") else { return name }
    position += 1
    switch current {
    case .number(let s), .letter(let s):
      position += 1
      return "\(name)_\(s)"
    case .symbol("{"):
      var text = ""
      position += 1
      while let token = current, token != .symbol("}") {
        text += "\(token)"
        position += 1
      }
      try expect("}")
      return "\(name)_{\(text)}"
    default: throw MathParseFailure(reason: "bad subscript")
    }
  }

  private mutating func parseCommand(_ name: String) throws(MathParseFailure) -> MathExpression {
    if let value = Self.constants[name] { return .number(value) }
    if Self.greekLetters.contains(name) { return .variable(try subscripted(name)) }
    switch name {
    case "frac", "dfrac":
      let numerator = try parseArgument()
      let denominator = try parseArgument()
      return .product([numerator, .reciprocal(denominator)])
    case "binom":
      let n = try parseArgument()
      let k = try parseArgument()
      // C(n, k) = n! / (k! (n-k)!)
      return .product([
        .factorial(n), .reciprocal(.product([.factorial(k), .factorial(.sum([n, .negate(k)]))])),
      ])
    case "sqrt":
      if current == .symbol("[") {
        position += 1
        let index = try parseSum()
        try expect("]")
        return .power(try parseArgument(), .reciprocal(index))
      }
      return .function("sqrt", try parseArgument())
    case "{":
      let inner = try parseSum()
      guard current == .command("}") else { throw MathParseFailure(reason: "expected '\\}'") }
      position += 1
      return inner
    default:
      guard MathExpression.functionNames.contains(name) else {
        throw MathParseFailure(reason: "unknown command \\\(name)")
      }
      return try parseFunction(name)
    }
  }

  /// `\sin x`, `\sin^2 x`, `\log_2 8`, `\ln(x+1)`.
  private mutating func parseFunction(_ name: String) throws(MathParseFailure) -> MathExpression {
    var logBase: MathExpression?
    if name == "log", current == .symbol("_") {
      position += 1
      logBase = try parseArgument()
    }
    var power: MathExpression?
    if current == .symbol("^") {
      position += 1
      power = try parseArgument()
    }
    let argument = try parsePower()
    var result: MathExpression
    if let logBase {
      result = .product([.function("ln", argument), .reciprocal(.function("ln", logBase))])
    } else {
      result = .function(name, argument)
    }
    if let power { result = .power(result, power) }
    return result
  }
}

extension MathExpression {
  /// A plain number, or a product of numbers and reciprocals of numbers (a numeric fraction).
  var isNumericLiteral: Bool {
    switch self {
    case .number: true
    case .reciprocal(let inner), .negate(let inner): inner.isNumericLiteral
    case .product(let parts): parts.allSatisfy(\.isNumericLiteral)
    default: false
    }
  }
}
