import Foundation

/// Renders parsed nodes with Jinja's scoping: each iteration of a `for` loop (and each macro call)
/// gets its own scope, so a `set` inside it is gone after it (templates use `namespace()` to carry values out), while `if`
/// shares the enclosing one.
struct JinjaInterpreter {
  private var scopes: [[String: JinjaValue]]
  private var output = ""
  /// Macro calls in progress; bounded so that runaway recursion is an error, not a crash.
  private var callDepth = 0
  static let maximumCallDepth = 64

  init(globals: [String: JinjaValue]) {
    scopes = [globals, [:]]
  }

  private enum Flow { case normal, breakLoop, continueLoop }

  mutating func render(_ nodes: [JinjaNode]) throws -> String {
    output = ""
    _ = try run(nodes)
    return output
  }

  private mutating func run(_ nodes: [JinjaNode]) throws -> Flow {
    for node in nodes {
      let flow = try execute(node)
      if flow != .normal { return flow }
    }
    return .normal
  }

  private mutating func execute(_ node: JinjaNode) throws -> Flow {
    switch node {
    case .text(let text):
      output += text
    case .output(let expression, let line):
      let value = try evaluate(expression, line: line)
      output += value.pythonString
    case .ifChain(let branches, let otherwise):
      for (condition, body) in branches where try evaluate(condition, line: nil).isTruthy {
        return try run(body)
      }
      return try run(otherwise)
    case .forLoop(let targets, let iterable, let filter, let body, let otherwise, let line):
      return try runLoop(targets, iterable, filter, body, otherwise, line: line)
    case .set(let targets, let attribute, let expression, let line):
      let value = try evaluate(expression, line: line)
      if let attribute {
        guard case .namespace(let namespace) = lookup(targets[0]) else {
          throw ChatTemplateError("'\(targets[0])' is not a namespace: cannot set '\(attribute)' on it", line: line)
        }
        namespace.values[attribute] = value
      } else if targets.count == 1 {
        scopes[scopes.count - 1][targets[0]] = value
      } else {
        let items = try iterate(value, line: line)
        guard items.count == targets.count else {
          throw ChatTemplateError("cannot unpack \(items.count) values into \(targets.count) names", line: line)
        }
        for (name, item) in zip(targets, items) { scopes[scopes.count - 1][name] = item }
      }
    case .setBlock(let name, let body):
      let saved = output
      output = ""
      _ = try run(body)
      let captured = output
      output = saved
      scopes[scopes.count - 1][name] = .string(captured)
    case .macro(let name, let parameters, let body):
      scopes[scopes.count - 1][name] = .function(makeMacro(name, parameters, body))
    case .breakLoop: return .breakLoop
    case .continueLoop: return .continueLoop
    case .generation(let body): return try run(body)
    }
    return .normal
  }

  private mutating func runLoop(
    _ targets: [String], _ iterableExpression: JinjaExpression, _ filter: JinjaExpression?, _ body: [JinjaNode],
    _ otherwise: [JinjaNode], line: Int
  ) throws -> Flow {
    var items = try iterate(try evaluate(iterableExpression, line: line), line: line)
    scopes.append([:])
    defer { scopes.removeLast() }
    if let filter {
      items = try items.filter { item in
        try bind(targets, item, line: line)
        return try evaluate(filter, line: line).isTruthy
      }
    }
    if items.isEmpty {
      _ = try run(otherwise)
      return .normal
    }
    for (i, item) in items.enumerated() {
      // Each iteration starts afresh: a `set` in one is not seen by the next (as in Jinja).
      scopes[scopes.count - 1] = [:]
      try bind(targets, item, line: line)
      var loop = JinjaObject()
      loop["index"] = .int(i + 1)
      loop["index0"] = .int(i)
      loop["revindex"] = .int(items.count - i)
      loop["revindex0"] = .int(items.count - i - 1)
      loop["first"] = .bool(i == 0)
      loop["last"] = .bool(i == items.count - 1)
      loop["length"] = .int(items.count)
      loop["previtem"] = i > 0 ? items[i - 1] : .undefined("loop.previtem")
      loop["nextitem"] = i + 1 < items.count ? items[i + 1] : .undefined("loop.nextitem")
      loop["cycle"] = .function(
        JinjaFunction(name: "loop.cycle") { args, _, _ in
          args.isEmpty ? .undefined("loop.cycle") : args[i % args.count]
        })
      scopes[scopes.count - 1]["loop"] = .object(loop)
      if try run(body) == .breakLoop { break }
    }
    return .normal
  }

  private mutating func bind(_ targets: [String], _ item: JinjaValue, line: Int) throws {
    if targets.count == 1 {
      scopes[scopes.count - 1][targets[0]] = item
      return
    }
    let parts = try iterate(item, line: line)
    guard parts.count == targets.count else {
      throw ChatTemplateError("cannot unpack \(parts.count) values into \(targets.count) loop variables", line: line)
    }
    for (name, part) in zip(targets, parts) { scopes[scopes.count - 1][name] = part }
  }

  private func makeMacro(_ name: String, _ parameters: [(String, JinjaExpression?)], _ body: [JinjaNode])
    -> JinjaFunction
  {
    JinjaFunction(name: name) { args, kwargs, context in
      guard args.count <= parameters.count else {
        throw ChatTemplateError("macro '\(name)' takes \(parameters.count) arguments, got \(args.count)")
      }
      var frame: [String: JinjaValue] = [:]
      for (i, (parameter, fallback)) in parameters.enumerated() {
        if i < args.count {
          frame[parameter] = args[i]
        } else if let given = kwargs.first(where: { $0.0 == parameter }) {
          frame[parameter] = given.1
        } else if let fallback {
          frame[parameter] = try context.interpreter.evaluate(fallback, line: nil)
        } else {
          frame[parameter] = .undefined(parameter)
        }
      }
      for (key, _) in kwargs where !parameters.contains(where: { $0.0 == key }) {
        throw ChatTemplateError("macro '\(name)' has no argument '\(key)'")
      }
      var inner = context.interpreter
      inner.callDepth += 1
      guard inner.callDepth <= Self.maximumCallDepth else {
        throw ChatTemplateError("macro '\(name)' calls nest deeper than \(Self.maximumCallDepth)")
      }
      inner.scopes.append(frame)
      inner.output = ""
      _ = try inner.run(body)
      return .string(inner.output)
    }
  }

  func lookup(_ name: String) -> JinjaValue {
    for scope in scopes.reversed() {
      if let value = scope[name] { return value }
    }
    return .undefined(name)
  }

  // MARK: Expressions

  mutating func evaluate(_ expression: JinjaExpression, line: Int?) throws -> JinjaValue {
    do {
      return try evaluateUnlocated(expression)
    } catch var error as ChatTemplateError {
      if error.line == nil { error.line = line }
      throw error
    }
  }

  private mutating func evaluateUnlocated(_ expression: JinjaExpression) throws -> JinjaValue {
    switch expression {
    case .literal(let value): return value
    case .name(let name): return lookup(name)
    case .list(let items): return .array(try items.map { try evaluateUnlocated($0) })
    case .dict(let pairs):
      var object = JinjaObject()
      for (keyExpression, valueExpression) in pairs {
        guard case .string(let key) = try evaluateUnlocated(keyExpression) else {
          throw ChatTemplateError("dict keys must be strings in this Jinja subset")
        }
        object[key] = try evaluateUnlocated(valueExpression)
      }
      return .object(object)
    case .attribute(let base, let name):
      return JinjaBuiltins.attribute(try evaluateUnlocated(base), name)
    case .item(let base, let indexExpression):
      return try JinjaBuiltins.item(try evaluateUnlocated(base), try evaluateUnlocated(indexExpression))
    case .slice(let base, let start, let stop, let step):
      return try JinjaBuiltins.slice(
        try evaluateUnlocated(base), try start.map { try evaluateUnlocated($0) },
        try stop.map { try evaluateUnlocated($0) }, try step.map { try evaluateUnlocated($0) })
    case .call(let callee, let argExpressions, let kwargExpressions):
      let args = try argExpressions.map { try evaluateUnlocated($0) }
      let kwargs = try kwargExpressions.map { ($0.0, try evaluateUnlocated($0.1)) }
      if case .attribute(let receiverExpression, let method) = callee {
        let receiver = try evaluateUnlocated(receiverExpression)
        if case .namespace = receiver {
        } else if case .object(let object) = receiver, case .function(let f)? = object[method] {
          var context = JinjaRenderContext(interpreter: self)
          return try f.call(args, kwargs, &context)
        } else {
          return try JinjaBuiltins.callMethod(receiver, method, args, kwargs)
        }
      }
      let function = try evaluateUnlocated(callee)
      guard case .function(let f) = function else {
        if case .undefined(let name) = function { throw ChatTemplateError("'\(name)' is undefined") }
        throw ChatTemplateError("a \(function.typeName) is not callable")
      }
      var context = JinjaRenderContext(interpreter: self)
      return try f.call(args, kwargs, &context)
    case .filter(let base, let name, let argExpressions, let kwargExpressions):
      let value = try evaluateUnlocated(base)
      let args = try argExpressions.map { try evaluateUnlocated($0) }
      let kwargs = try kwargExpressions.map { ($0.0, try evaluateUnlocated($0.1)) }
      return try JinjaBuiltins.filter(name, value, args, kwargs)
    case .test(let base, let name, let argExpressions, let negated):
      let value = try evaluateUnlocated(base)
      let args = try argExpressions.map { try evaluateUnlocated($0) }
      return .bool(try JinjaBuiltins.test(name, value, args) != negated)
    case .unary(let op, let operand):
      let value = try evaluateUnlocated(operand)
      switch op {
      case "not": return .bool(!value.isTruthy)
      default:
        switch value {
        case .int(let i): return .int(-i)
        case .double(let d): return .double(-d)
        default: throw ChatTemplateError("cannot negate a \(value.typeName)")
        }
      }
    case .and(let left, let right):
      let l = try evaluateUnlocated(left)
      return l.isTruthy ? try evaluateUnlocated(right) : l
    case .or(let left, let right):
      let l = try evaluateUnlocated(left)
      return l.isTruthy ? l : try evaluateUnlocated(right)
    case .conditional(let then, let condition, let otherwise):
      if try evaluateUnlocated(condition).isTruthy { return try evaluateUnlocated(then) }
      return try otherwise.map { try evaluateUnlocated($0) } ?? .undefined("conditional")
    case .binary(let op, let left, let right):
      return try JinjaBuiltins.binary(op, try evaluateUnlocated(left), try evaluateUnlocated(right))
    }
  }

  func iterate(_ value: JinjaValue, line: Int?) throws -> [JinjaValue] {
    do {
      return try JinjaBuiltins.iterate(value)
    } catch var error as ChatTemplateError {
      if error.line == nil { error.line = line }
      throw error
    }
  }
}
