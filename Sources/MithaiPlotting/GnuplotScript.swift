/// Turns a `PlotSpec` into gnuplot script text. Pure: the same spec and file names give the
/// same bytes (snapshot-tested). Data never goes through the script: each series is a binary
/// file of float64 records (see `columnsOf`), named by the caller.
public enum GnuplotScript {
    /// Palettes, first colour first.
    static func palette(_ theme: Theme) -> [String] {
        switch theme {
        case .terminal: ["#FFB000", "#00D7FF", "#5FD75F", "#FF5FD7", "#FF5F5F", "#D7D7D7", "#AF87FF", "#FFD75F"]
        case .paper: ["#000000", "#555555", "#000000", "#888888", "#333333", "#AAAAAA", "#000000", "#666666"]
        }
    }

    /// Dash types for paper (series stay distinguishable in black and white).
    static func dash(_ theme: Theme, _ i: Int) -> Int { theme == .paper ? (i % 5) + 1 : 1 }

    /// A string literal for gnuplot. Outputs with enhanced text (PNG, SVG, PDF) need `& _ ^ @`
    /// escaped; the text and sixel terminals print strings as they are.
    static func quote(_ spec: PlotSpec, _ s: String) -> String {
        switch spec.output {
        case .text, .sixel: return "\"" + s.replacingOccurrences("\\", "\\\\").replacingOccurrences("\"", "\\\"") + "\""
        case .file: return quote(s)
        }
    }

    static func quote(_ s: String) -> String {
        "\"" + s.replacingOccurrences("\\", "\\\\").replacingOccurrences("\"", "\\\"")
            .replacingOccurrences("@", "\\\\@").replacingOccurrences("&", "\\\\&").replacingOccurrences("_", "\\\\_").replacingOccurrences("^", "\\\\^") + "\""
    }

    static func path(_ s: String) -> String { "'" + s.replacingOccurrences("'", "''") + "'" }

    static func terminal(_ spec: PlotSpec) -> [String] {
        let paper = spec.theme == .paper
        let font = paper ? "DejaVu Serif" : "DejaVu Sans Mono"
        let background = paper ? "#FFFFFF" : "#000000"
        switch spec.output {
        case .text(let columns, let rows, let color):
            return ["set terminal dumb size \(columns),\(rows) \(color ? "ansi256" : "mono")", "set output"]
        case .sixel(let w, let h):
            return ["set terminal sixelgd size \(w),\(h) truecolor font \"\(font),9\" background rgb \"\(background)\"", "set output"]
        case .file(let p, let format, let w, let h, let dpi):
            switch format {
            case .png:
                let scale = Double(dpi) / 96
                return ["set terminal pngcairo size \(w),\(h) enhanced font \"\(font),\(fmt(9 * scale))\" background rgb \"\(background)\" linewidth \(fmt(scale))",
                        "set output \(path(p))"]
            case .svg:
                return ["set terminal svg size \(w),\(h) dynamic enhanced font \"\(font),10\" background rgb \"\(background)\"",
                        "set output \(path(p))"]
            case .pdf:
                // Sizes are given in pixels at 96 per inch.
                return ["set terminal pdfcairo size \(fmt(Double(w) / 96))in,\(fmt(Double(h) / 96))in enhanced font \"\(font),9\" background rgb \"\(background)\"",
                        "set output \(path(p))"]
            }
        }
    }

    static func fmt(_ d: Double) -> String {
        let r = (d * 1000).rounded() / 1000
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    /// Theme settings: borders, tics, grid, key. The `dumb` terminal gets no grid (it would be
    /// drawn with data characters).
    static func theme(_ spec: PlotSpec) -> [String] {
        let isText: Bool = { if case .text = spec.output { true } else { false } }()
        switch spec.theme {
        case .terminal:
            var lines = [
                "set border 3 lc rgb \"#5F5F5F\"",
                "set tics textcolor rgb \"#BCBCBC\" nomirror",
                "set key textcolor rgb \"#BCBCBC\" top left opaque box lc rgb \"#3A3A3A\"",
                "set title textcolor rgb \"#FFB000\"",
                "set xlabel textcolor rgb \"#BCBCBC\"",
                "set ylabel textcolor rgb \"#BCBCBC\"",
                "set y2label textcolor rgb \"#BCBCBC\"",
            ]
            if !isText {
                lines += ["set border 9 lc rgb \"#5F5F5F\"", "unset ytics", "set y2tics textcolor rgb \"#BCBCBC\" nomirror", "set link y2",
                          "set grid xtics y2tics lc rgb \"#303030\" lw 1 dt 1"]
            }
            return lines
        case .paper:
            var lines = ["set border 3 lc rgb \"#000000\"", "set tics nomirror textcolor rgb \"#000000\"",
                         "set key top left box lc rgb \"#000000\"", "set title textcolor rgb \"#000000\""]
            if !isText { lines.append("set grid xtics ytics lc rgb \"#D0D0D0\" lw 1 dt 3") }
            return lines
        }
    }

    /// Number of float64 columns each series' data file holds.
    public static func columnsOf(_ series: Series) -> Int { series.columns.count }

    /// The whole script. `files[p][s]` is the data file of series `s` of panel `p`.
    public static func render(_ spec: PlotSpec, files: [[String]]) -> String {
        var lines: [String] = ["reset"]
        lines += terminal(spec)
        lines += ["set encoding utf8", "set datafile missing NaN"]
        lines += theme(spec)
        let panels = spec.panels
        let stacked = panels.count > 1
        if stacked {
            let title = spec.title.map { " title \(quote(spec, $0))" } ?? ""
            let isText: Bool = { if case .text = spec.output { true } else { false } }()
            if let layout = spec.layout {
                lines.append("set multiplot layout \(layout.rows),\(layout.columns)\(title)")
            } else if isText {
                // Characters are coarse: weighted heights would leave a small panel a few rows.
                lines.append("set multiplot layout \(panels.count),1\(title)")
            } else {
                lines.append("set multiplot\(title)")
            }
        } else if let t = spec.title ?? panels.first?.title {
            lines.append("set title \(quote(spec, t))")
        }
        let weights = panels.map(\.weight)
        let total = weights.reduce(0, +)
        var top = 0.96
        // Settings a panel makes that the next one must undo (only emitted when used, so
        // charts without them keep their scripts).
        var fixedY = false, fixedX = false, arrows = false, headroom = false
        for (p, panel) in panels.enumerated() {
            let textStack: Bool = { if case .text = spec.output { stacked } else { false } }()
            if stacked && spec.layout == nil && !textStack {
                // Stack panels by weight, sharing the x axis: only the bottom one shows x tics.
                let height = 0.92 * panel.weight / total
                lines.append("set origin 0,\(fmt(top - height))")
                lines.append("set size 1,\(fmt(height))")
                lines.append("set tmargin 0.5")
                lines.append("set bmargin \(p == panels.count - 1 ? "3" : "0.5")")
                let isText: Bool = { if case .text = spec.output { true } else { false } }()
                lines.append("set lmargin \(isText ? 10 : spec.theme == .paper ? 11 : 8)")
                lines.append("set rmargin \(isText ? 2 : 10)")
                if p < panels.count - 1 { lines.append("set format x \"\"") } else { lines.append("unset format") }
                top -= height
                if let t = panel.title { lines.append("set title \(quote(spec, t))") } else { lines.append("unset title") }
            } else if stacked {
                if let t = panel.title { lines.append("set title \(quote(spec, t))") } else { lines.append("unset title") }
            }
            // Before the axes: 'set key horizontal' turns the key on, axes() may turn it off.
            if panel.keyHeadroom > 0 {
                lines.append("set key horizontal maxrows 1")
                lines.append("set offsets 0, 0, graph \(fmt(panel.keyHeadroom)), 0")
                headroom = true
            } else if headroom {
                lines.append("set key vertical maxrows auto")
                lines.append("set offsets 0, 0, 0, 0")
                headroom = false
            }
            lines += axes(panel, spec: spec, isLast: p == panels.count - 1 || spec.layout != nil || textStack)
            if let r = panel.yRange {
                lines.append("set yrange [\(fmt(r.lowerBound)):\(fmt(r.upperBound))]")
                fixedY = true
            } else if fixedY {
                lines.append("set autoscale y")
                fixedY = false
            }
            if let r = panel.xRange {
                // Under `set xdata time` the bounds are strings in the time format (%s).
                let q = panel.xIsTime ? "\"" : ""
                lines.append("set xrange [\(q)\(fmt(r.lowerBound))\(q):\(q)\(fmt(r.upperBound))\(q)]")
                fixedX = true
            } else if fixedX {
                lines.append("set autoscale x")
                fixedX = false
            }
            if arrows { lines.append("unset arrow"); arrows = false }

            let isText: Bool = { if case .text = spec.output { true } else { false } }()
            for level in panel.referenceLines where !isText {
                let grey = spec.theme == .paper ? "#777777" : "#8A8A8A"
                lines.append("set arrow from graph 0, first \(fmt(level)) to graph 1, first \(fmt(level)) nohead dt 2 lw 1 lc rgb \"\(grey)\" back")
                arrows = true
            }
            lines.append(plotCommand(panel, files: p < files.count ? files[p] : [], theme: spec.theme, spec: spec))
        }
        if stacked { lines.append("unset multiplot") }
        if case .file = spec.output { lines.append("unset output") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func axes(_ panel: Panel, spec: PlotSpec, isLast: Bool) -> [String] {
        var lines: [String] = []
        let xs = panel.series.flatMap { $0.columns.first ?? [] }.filter(\.isFinite)
        let span = (xs.max() ?? 0) - (xs.min() ?? 0)
        if panel.xIsTime {
            lines.append("set xdata time")
            lines.append("set timefmt \"%s\"")
            // About one tic per 12 characters or 110 pixels, on a round interval.
            let isText: Bool = { if case .text = spec.output { true } else { false } }()
            let target = max(2.0, Double(spec.output.pixelWidth) / (isText ? 12 : 110))
            let nice: [Double] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
                                  86400, 172_800, 604_800, 2_592_000, 7_776_000, 31_536_000]
            let interval = nice.first { span / $0 <= target } ?? nice.last!
            lines.append("set xtics \(fmt(interval))")
            let format = interval >= 86400 ? "%Y-%m-%d" : interval >= 60 ? "%H:%M" : "%H:%M:%S"
            if isLast || spec.layout != nil { lines.append("set format x \"\(format)\" timedate") }
        } else {
            lines.append("set xdata")
            lines.append("set xtics autofreq")
        }
        if panel.series.allSatisfy({ $0.name.isEmpty || $0.style == .image }) { lines.append("unset key") } else { lines.append("set key") }
        if let candles = panel.series.first(where: { $0.style == .candles }), let x = candles.columns.first, x.count > 1 {
            var gaps = zip(x.dropFirst(), x).map { $0 - $1 }.filter { $0 > 0 }
            gaps.sort()
            if !gaps.isEmpty { lines.append("set boxwidth \(fmt(gaps[gaps.count / 2] * 0.7)) absolute") }
        }
        lines.append(panel.xLabel.map { "set xlabel \(quote(spec, $0))" } ?? "unset xlabel")
        if spec.theme == .terminal, case .text = spec.output {
            lines.append(panel.yLabel.map { "set ylabel \(quote(spec, $0))" } ?? "unset ylabel")
        } else if spec.theme == .terminal {
            lines.append(panel.yLabel.map { "set y2label \(quote(spec, $0))" } ?? "unset y2label")
            lines.append("unset ylabel")
        } else {
            lines.append(panel.yLabel.map { "set ylabel \(quote(spec, $0))" } ?? "unset ylabel")
        }
        lines.append(panel.logY ? "set logscale y" : "unset logscale y")
        if panel.series.contains(where: { $0.style == .image }) {
            lines.append("set palette defined (0 \"#0000AF\", 0.5 \"#FFB000\", 1 \"#FF5F5F\")")
            lines.append("set cbtics textcolor rgb \"\(spec.theme == .paper ? "#000000" : "#BCBCBC")\"")
            if let z = panel.series.first(where: { $0.style == .image })?.name, !z.isEmpty { lines.append("set cblabel \(quote(spec, z))") }
        }
        return lines
    }

    static func plotCommand(_ panel: Panel, files: [String], theme: Theme, spec: PlotSpec) -> String {
        let colors = palette(theme)
        var parts: [String] = []
        for (s, series) in panel.series.enumerated() {
            guard s < files.count else { continue }
            let color = colors[(series.colorIndex ?? s) % colors.count]
            let dt = dash(theme, series.colorIndex ?? s)
            let format = String(repeating: "%float64", count: columnsOf(series))
            let source = "\(path(files[s])) binary format=\"\(format)\""
            let title = series.name.isEmpty ? "notitle" : "title \(quote(spec, series.name))"
            if series.fillToZero {
                parts.append("\(source) using 1:2 with filledcurves y1=0 fs transparent solid 0.25 noborder lc rgb \"\(color)\" notitle")
            }
            switch series.style {
            case .line:
                parts.append("\(source) using 1:2 with lines lw \(fmt(series.lineWidth ?? 1.5)) dt \(series.dashType ?? dt) lc rgb \"\(color)\" \(title)")
            case .band:
                // The fill first (translucent, no key entry), then the two edges.
                // Characters cannot be translucent: text charts draw the edges only.
                let isText: Bool = { if case .text = spec.output { true } else { false } }()
                let opacity = theme == .paper ? "0.12" : "0.14"
                if !isText {
                    parts.append("\(source) using 1:2:3 with filledcurves fs transparent solid \(opacity) noborder lc rgb \"\(color)\" notitle")
                }
                parts.append("\(source) using 1:2 with lines lw 1 dt \(series.dashType ?? dt) lc rgb \"\(color)\" \(title)")
                parts.append("\(source) using 1:3 with lines lw 1 dt \(series.dashType ?? dt) lc rgb \"\(color)\" notitle")
            case .step:
                parts.append("\(source) using 1:2 with steps lw 1.5 dt \(dt) lc rgb \"\(color)\" \(title)")
            case .scatter:
                parts.append("\(source) using 1:2 with points pt 7 ps 0.5 lc rgb \"\(color)\" \(title)")
            case .impulses:
                parts.append("\(source) using 1:2 with impulses lw 2 lc rgb \"\(color)\" \(title)")
            case .area:
                parts.append("\(source) using 1:2 with filledcurves y1=0 fs solid 0.35 lc rgb \"\(color)\" \(title)")
            case .boxes:
                parts.append("\(source) using 1:2:3 with boxes fs solid 0.6 lc rgb \"\(color)\" \(title)")
            case .image:
                // The colour box names the values; a key entry would sit on the image.
                parts.append("\(source) using 1:2:3 with image notitle")
            case .candles:
                // Rising candles hollow in the first colour, falling ones filled in the fifth.
                let up = theme == .paper ? "#000000" : "#5FD75F"
                let down = theme == .paper ? "#777777" : "#FF5F5F"
                parts.append("\(source) using 1:($5>=$2?$2:1/0):3:4:($5>=$2?$5:1/0) with candlesticks fs empty lc rgb \"\(up)\" \(title)")
                parts.append("\(source) using 1:($5<$2?$2:1/0):3:4:($5<$2?$5:1/0) with candlesticks fs solid 1 lc rgb \"\(down)\" notitle")
            }
        }
        return "plot " + parts.joined(separator: ", \\\n     ")
    }
}

extension String {
    fileprivate func replacingOccurrences(_ a: String, _ b: String) -> String {
        split(separator: Substring(a), omittingEmptySubsequences: false).joined(separator: b)
    }
}
