import Foundation
import RewardCore

#if canImport(_FoundationICU)
  import _FoundationICU
#endif

/// A user-supplied regular expression matched under a step budget, so a catastrophic pattern
/// (`(a+)+$` on "aaaa…b") gives up instead of holding a scoring thread for minutes.
///
/// On Linux the pattern runs on the ICU engine that `NSRegularExpression` wraps, through its C API,
/// with `uregex_setTimeLimit`: ICU counts its own backtracking steps (one unit is 10,000 state
/// saves, of the order of a millisecond), so the budget is deterministic — the same text always
/// gets the same outcome, whatever the machine's load. Elsewhere `NSRegularExpression`'s progress
/// callback stops the match after the same number of milliseconds of wall-clock time.
public final class BoundedRegex: @unchecked Sendable {
  public enum Outcome: Sendable, Equatable {
    case match, noMatch, budgetExceeded
  }

  /// The default budget in ICU time-limit units: about 50 ms of matching. An ordinary pattern
  /// on a response of a few kilobytes uses well under one unit.
  public static let defaultBudget = 50

  public let pattern: String
  public let budget: Int
  /// Compiled once; never matched directly (an ICU matcher holds its text and position, so it
  /// is not thread-safe): each match works on a clone, which shares the compiled pattern.
  /// Immutable after `init`, hence `@unchecked Sendable`.
  #if canImport(_FoundationICU)
    private let compiled: OpaquePointer
  #else
    private let regex: NSRegularExpression
  #endif

  /// Throws the regex compiler's message for an invalid pattern.
  public init(pattern: String, budget: Int = BoundedRegex.defaultBudget) throws {
    self.pattern = pattern
    self.budget = max(1, min(budget, Int(Int32.max)))
    // NSRegularExpression validates and words the error exactly as before this type existed.
    let regex: NSRegularExpression
    do {
      regex = try NSRegularExpression(pattern: pattern, options: [])
    } catch {
      throw ConfigurationError(error.localizedDescription)
    }
    #if canImport(_FoundationICU)
      _ = regex
      let utf16 = Array(pattern.utf16)
      var status = U_ZERO_ERROR
      var parseError = UParseError()
      guard let compiled = swift_uregex_open(utf16, Int32(utf16.count), 0, &parseError, &status),
        status.rawValue <= U_ZERO_ERROR.rawValue
      else {
        throw ConfigurationError("ICU error \(status.rawValue)")
      }
      self.compiled = compiled
    #else
      self.regex = regex
    #endif
  }

  deinit {
    #if canImport(_FoundationICU)
      swift_uregex_close(compiled)
    #endif
  }

  /// Whether the pattern matches somewhere in `text`, or that the budget ran out first.
  public func firstMatch(in text: String) -> Outcome {
    #if canImport(_FoundationICU)
      var status = U_ZERO_ERROR
      guard let matcher = swift_uregex_clone(compiled, &status), status.rawValue <= U_ZERO_ERROR.rawValue else {
        return .budgetExceeded  // out of memory for a matcher: nothing was decided
      }
      defer { swift_uregex_close(matcher) }
      swift_uregex_setTimeLimit(matcher, Int32(budget), &status)
      let utf16 = Array(text.utf16)
      guard utf16.count < Int32.max else { return .budgetExceeded }
      return utf16.withUnsafeBufferPointer { buffer in
        // ICU needs a non-null pointer even for empty text.
        let empty: [UInt16] = [0]
        return empty.withUnsafeBufferPointer { fallback in
          swift_uregex_setText(matcher, buffer.baseAddress ?? fallback.baseAddress, Int32(buffer.count), &status)
          let found = swift_uregex_find(matcher, 0, &status)
          // U_REGEX_TIME_OUT is the step budget; U_REGEX_STACK_OVERFLOW is ICU's own 8 MB backtracking
          // stack limit. Either way the match was not decided.
          if status.rawValue > U_ZERO_ERROR.rawValue { return .budgetExceeded }
          return found != 0 ? .match : .noMatch
        }
      }
    #else
      let deadline = ContinuousClock.now + .milliseconds(budget)
      var outcome = Outcome.noMatch
      regex.enumerateMatches(in: text, options: [.reportProgress], range: NSRange(text.startIndex..., in: text)) {
        result, _, stop in
        if result != nil {
          outcome = .match
          stop.pointee = true
        } else if ContinuousClock.now > deadline {
          outcome = .budgetExceeded
          stop.pointee = true
        }
      }
      return outcome
    #endif
  }
}
