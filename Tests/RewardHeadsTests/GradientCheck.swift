import RewardHeads
import Testing

/// Central finite differences of an objective's loss against its analytic gradient, for every
/// parameter: the check each head family's loss must pass.
func expectGradientMatchesFiniteDifferences<Objective: TrainingObjective>(
  _ objective: Objective, samples: [Objective.Sample], parameters: [Float], step: Float = 1e-2,
  tolerance: Double = 3e-3, sourceLocation: SourceLocation = #_sourceLocation
) {
  var gradient = [Float](repeating: 0, count: parameters.count)
  _ = objective.lossAndGradient(parameters, batch: samples[...], gradient: &gradient)
  for i in parameters.indices {
    var plus = parameters
    var minus = parameters
    plus[i] += step
    minus[i] -= step
    var scratch = [Float](repeating: 0, count: parameters.count)
    let numeric =
      (objective.lossAndGradient(plus, batch: samples[...], gradient: &scratch)
        - objective.lossAndGradient(minus, batch: samples[...], gradient: &scratch)) / Double(2 * step)
    #expect(
      abs(numeric - Double(gradient[i])) < tolerance, "parameter \(i): numeric \(numeric), analytic \(gradient[i])",
      sourceLocation: sourceLocation)
  }
}
