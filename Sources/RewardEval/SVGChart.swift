import Foundation

/// Minimal inline-SVG charts for the HTML report: no scripts, no fonts to fetch, no network.
/// Every data mark carries `class="mark"` so a test can check that each chart drew its data.
enum SVGChart {
  static let palette = ["#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5"]
  static let width = 760.0
  static let height = 300.0
  static let margin = (left: 56.0, right: 16.0, top: 16.0, bottom: 64.0)

  struct Bar {
    var series: Int
    var value: Double
    var lower: Double?
    var upper: Double?
  }

  struct Line {
    var name: String
    var points: [(x: Double, y: Double)]
    var color: String
    var dashed: Bool
  }

  static func color(_ series: Int) -> String { palette[series % palette.count] }

  /// Grouped bars on a [0, 1] axis with optional interval whiskers.
  static func bars(groups: [(label: String, bars: [Bar])], seriesNames: [String], yLabel: String) -> String {
    let plotWidth = width - margin.left - margin.right
    let plotHeight = height - margin.top - margin.bottom
    func y(_ value: Double) -> Double { margin.top + plotHeight * (1 - min(1, max(0, value))) }
    var svg = header(legend: seriesNames.enumerated().map { ($0.element, color($0.offset), false) })
    svg += axes(yLabel: yLabel, yTicks: stride(from: 0.0, through: 1.0, by: 0.25).map { ($0, format($0)) })
    let slot = plotWidth / Double(max(1, groups.count))
    let series = max(1, seriesNames.count)
    let barWidth = min(36, slot * 0.8 / Double(series))
    for (g, group) in groups.enumerated() {
      let center = margin.left + slot * (Double(g) + 0.5)
      for bar in group.bars {
        let x = center - barWidth * Double(series) / 2 + barWidth * Double(bar.series)
        svg += "<rect class=\"mark\" x=\"\(f(x))\" y=\"\(f(y(bar.value)))\" width=\"\(f(barWidth * 0.9))\" "
        svg += "height=\"\(f(y(0) - y(bar.value)))\" fill=\"\(color(bar.series))\">"
        svg += "<title>\(escape(seriesNames[bar.series])) · \(escape(group.label)): \(format(bar.value))"
        if let lower = bar.lower, let upper = bar.upper { svg += " (95% CI \(format(lower))–\(format(upper)))" }
        svg += "</title></rect>"
        if let lower = bar.lower, let upper = bar.upper {
          let mid = x + barWidth * 0.45
          svg += "<path class=\"ci\" d=\"M\(f(mid)) \(f(y(lower)))V\(f(y(upper)))M\(f(mid - 4)) \(f(y(lower)))"
          svg += "h8M\(f(mid - 4)) \(f(y(upper)))h8\" stroke=\"#222\" fill=\"none\"/>"
        }
      }
      let label = escape(String(group.label.prefix(24)))
      svg += "<text x=\"\(f(center))\" y=\"\(f(y(0) + 12))\" font-size=\"10\" text-anchor=\"end\" "
      svg += "transform=\"rotate(-30 \(f(center)) \(f(y(0) + 12)))\">\(label)</text>"
    }
    return svg + "</svg>"
  }

  /// Lines on given axes ranges; points drawn as small circles.
  static func lines(
    _ lines: [Line], xRange: ClosedRange<Double>, yRange: ClosedRange<Double>, xLabel: String, yLabel: String,
    xTicks: [Double], diagonal: Bool = false
  ) -> String {
    let plotWidth = width - margin.left - margin.right
    let plotHeight = height - margin.top - margin.bottom
    let xSpan = max(1e-12, xRange.upperBound - xRange.lowerBound)
    let ySpan = max(1e-12, yRange.upperBound - yRange.lowerBound)
    func x(_ v: Double) -> Double { margin.left + plotWidth * (v - xRange.lowerBound) / xSpan }
    func y(_ v: Double) -> Double { margin.top + plotHeight * (1 - (v - yRange.lowerBound) / ySpan) }
    var svg = header(legend: lines.map { ($0.name, $0.color, $0.dashed) })
    let yTicks = (0...4).map { yRange.lowerBound + ySpan * Double($0) / 4 }
    svg += axes(yLabel: yLabel, yTicks: yTicks.map { ((($0 - yRange.lowerBound) / ySpan), format($0)) })
    for tick in xTicks {
      svg += "<text x=\"\(f(x(tick)))\" y=\"\(f(y(yRange.lowerBound) + 14))\" font-size=\"10\" "
      svg += "text-anchor=\"middle\">\(format(tick))</text>"
    }
    svg += "<text x=\"\(f(margin.left + plotWidth / 2))\" y=\"\(f(height - 8))\" font-size=\"11\" "
    svg += "text-anchor=\"middle\">\(escape(xLabel))</text>"
    if diagonal {
      svg += "<path d=\"M\(f(x(xRange.lowerBound))) \(f(y(yRange.lowerBound)))L\(f(x(xRange.upperBound))) "
      svg += "\(f(y(yRange.upperBound)))\" stroke=\"#999\" stroke-dasharray=\"2 3\" fill=\"none\"/>"
    }
    for line in lines where !line.points.isEmpty {
      let path = line.points.enumerated().map {
        ($0.offset == 0 ? "M" : "L") + "\(f(x($0.element.x))) \(f(y($0.element.y)))"
      }
      svg += "<path class=\"mark\" d=\"\(path.joined())\" stroke=\"\(line.color)\" stroke-width=\"2\" fill=\"none\""
      svg += line.dashed ? " stroke-dasharray=\"6 4\"/>" : "/>"
      for point in line.points {
        svg += "<circle cx=\"\(f(x(point.x)))\" cy=\"\(f(y(point.y)))\" r=\"3\" fill=\"\(line.color)\">"
        svg += "<title>\(escape(line.name)): (\(format(point.x)), \(format(point.y)))</title></circle>"
      }
    }
    return svg + "</svg>"
  }

  private static func header(legend: [(String, String, Bool)]) -> String {
    var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height + 20))\" "
    svg += "width=\"\(f(width))\" height=\"\(f(height + 20))\" font-family=\"sans-serif\">"
    var x = margin.left
    for (name, color, dashed) in legend {
      svg += "<path d=\"M\(f(x)) \(f(height + 10))h18\" stroke=\"\(color)\" stroke-width=\"6\""
      svg += dashed ? " stroke-dasharray=\"4 3\"/>" : "/>"
      let label = escape(String(name.prefix(40)))
      svg += "<text x=\"\(f(x + 22))\" y=\"\(f(height + 14))\" font-size=\"11\">\(label)</text>"
      x += 40 + Double(min(40, name.count)) * 6.2
    }
    return svg
  }

  /// Frame, horizontal grid and y tick labels; `yTicks` positions are fractions of the plot height.
  private static func axes(yLabel: String, yTicks: [(Double, String)]) -> String {
    let plotWidth = width - margin.left - margin.right
    let plotHeight = height - margin.top - margin.bottom
    var svg = ""
    for (fraction, label) in yTicks {
      let y = margin.top + plotHeight * (1 - fraction)
      svg += "<path d=\"M\(f(margin.left)) \(f(y))h\(f(plotWidth))\" stroke=\"#e3e3e3\"/>"
      svg += "<text x=\"\(f(margin.left - 6))\" y=\"\(f(y + 3))\" font-size=\"10\" text-anchor=\"end\">\(label)</text>"
    }
    svg += "<path d=\"M\(f(margin.left)) \(f(margin.top))V\(f(margin.top + plotHeight))h\(f(plotWidth))\" "
    svg += "stroke=\"#444\" fill=\"none\"/>"
    svg += "<text x=\"14\" y=\"\(f(margin.top + plotHeight / 2))\" font-size=\"11\" text-anchor=\"middle\" "
    svg += "transform=\"rotate(-90 14 \(f(margin.top + plotHeight / 2)))\">\(escape(yLabel))</text>"
    return svg
  }

  static func f(_ value: Double) -> String { String(format: "%.1f", value) }

  static func format(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e6 { return String(Int(value)) }
    return abs(value) >= 100 ? String(format: "%.0f", value) : String(format: "%.3g", value)
  }

  static func escape(_ text: String) -> String {
    var out = ""
    for character in text {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(character)
      }
    }
    return out
  }
}
