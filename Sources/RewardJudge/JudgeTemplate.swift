import Foundation
import Mustache
import RewardCore
import RewardEngine

/// A judge prompt as data: an optional system message and a user message with named variables.
/// Two syntaxes: Mustache (`{{question}}`, sections such as `{{#reference}}…{{/reference}}` and
/// `{{#responses}}{{name}}{{/responses}}`) and Python `str.format` (`{question}`, `{{` for a
/// brace), which is how FastChat's and Arena-Hard's published prompts are written.
public struct JudgeTemplate: Sendable {
  public enum Syntax: String, Sendable, CaseIterable { case mustache, python }

  public let name: String
  public let system: String?
  public let user: String
  public let syntax: Syntax
  /// Top-level variables the template reads (names inside list sections are the items' fields).
  public let variables: Set<String>
  private let compiled: [MustacheTemplate]

  public init(name: String, system: String?, user: String, syntax: Syntax = .mustache) throws(JudgeConfigurationError) {
    self.name = name
    self.system = system
    self.user = user
    self.syntax = syntax
    switch syntax {
    case .mustache:
      var compiled: [MustacheTemplate] = []
      for text in [system, user].compactMap({ $0 }) {
        do {
          // Judge prompts are plain text: nothing may be HTML-escaped.
          compiled.append(try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + text))
        } catch {
          throw JudgeConfigurationError(field: "template", "template \(name) is not valid Mustache: \(error)")
        }
      }
      self.compiled = compiled
      variables = Self.mustacheVariables(system ?? "").union(Self.mustacheVariables(user))
    case .python:
      compiled = []
      variables = Self.pythonVariables(system ?? "").union(Self.pythonVariables(user))
    }
  }

  /// The chat messages for one item. `values` holds strings, and lists of objects for sections.
  public func render(_ values: [String: any Sendable]) throws(JudgeItemError) -> [ChatMessage] {
    var messages: [ChatMessage] = []
    switch syntax {
    case .mustache:
      var context: [String: Any] = [:]
      for (key, value) in values { context[key] = value }
      var index = 0
      if system != nil {
        messages.append(.system(compiled[0].render(context)))
        index = 1
      }
      messages.append(.user(compiled[index].render(context)))
    case .python:
      if let system { messages.append(.system(try Self.formatPython(system, values))) }
      messages.append(.user(try Self.formatPython(user, values)))
    }
    return messages
  }

  /// Checks at load time that the template reads only variables the mode supplies and every one
  /// the mode cannot do without.
  public func validate(provided: Set<String>, required: Set<String>, field: String) throws(JudgeConfigurationError) {
    if let unknown = variables.subtracting(provided).sorted().first {
      throw JudgeConfigurationError(
        field: field,
        "template \(name) uses the variable '\(unknown)', which this mode does not provide (it provides: "
          + "\(provided.sorted().joined(separator: ", ")))")
    }
    if let missing = required.subtracting(variables).sorted().first {
      throw JudgeConfigurationError(
        field: field, "template \(name) never uses the variable '\(missing)', which this mode needs")
    }
  }

  // MARK: Variables

  static func mustacheVariables(_ text: String) -> Set<String> {
    var names = Set<String>()
    var openSections: [String] = []
    for match in text.matches(of: #/\{\{(\{?)\s*([#^\/&]?)\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}?\}\}/#) {
      let sigil = match.output.2
      let name = String(match.output.3)
      if sigil == "/" {
        if let last = openSections.lastIndex(of: name) { openSections.removeSubrange(last...) }
        continue
      }
      // A name inside a section may be the item's own field; only top-level names are required.
      if openSections.isEmpty { names.insert(name) }
      if sigil == "#" || sigil == "^" { openSections.append(name) }
    }
    return names
  }

  static func pythonVariables(_ text: String) -> Set<String> {
    let unescaped = text.replacingOccurrences(of: "{{", with: "").replacingOccurrences(of: "}}", with: "")
    return Set(unescaped.matches(of: #/\{([A-Za-z_][A-Za-z0-9_]*)\}/#).map { String($0.output.1) })
  }

  static func formatPython(_ text: String, _ values: [String: any Sendable]) throws(JudgeItemError) -> String {
    var out = ""
    var index = text.startIndex
    while index < text.endIndex {
      let character = text[index]
      let next = text.index(after: index)
      if character == "{" || character == "}", next < text.endIndex, text[next] == character {
        out.append(character)
        index = text.index(after: next)
        continue
      }
      if character == "{", let close = text[next...].firstIndex(of: "}") {
        let name = String(text[next..<close])
        guard let value = values[name] as? String else {
          throw JudgeItemError("the template needs '\(name)', which this item does not have")
        }
        out += value
        index = text.index(after: close)
        continue
      }
      out.append(character)
      index = next
    }
    return out
  }
}

/// A judge file, judge spec component or template that cannot be used, naming the field.
public struct JudgeConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
  public var file: String?
  public var field: String
  public var message: String

  public init(file: String? = nil, field: String, _ message: String) {
    self.file = file
    self.field = field
    self.message = message
  }

  public var description: String { "\(file.map { "\($0): " } ?? "")\(field): \(message)" }

  func inFile(_ file: String?) -> JudgeConfigurationError {
    var copy = self
    if copy.file == nil { copy.file = file }
    return copy
  }
}

/// One item the judge could not be asked about (a template variable the item lacks, an engine error).
public struct JudgeItemError: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
