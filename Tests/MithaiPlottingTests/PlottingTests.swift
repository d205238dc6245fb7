import Foundation
import MithaiPlotting
import Testing

/// Deterministic sample data: a random walk from a fixed seed.
func walk(_ n: Int, seed: UInt64 = 42) -> (x: [Double], y: [Double]) {
    var state = seed
    var x: [Double] = [], y: [Double] = []
    var v = 100.0
    for i in 0..<n {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        v += Double(Int64(bitPattern: state >> 11) % 1000) / 10_000.0
        x.append(1_723_161_600 + Double(i))
        y.append(v)
    }
    return (x, y)
}

func candles(_ n: Int) -> Series {
    let (x, y) = walk(n * 10)
    var t: [Double] = [], o: [Double] = [], l: [Double] = [], h: [Double] = [], c: [Double] = []
    for k in 0..<n {
        let slice = y[(k * 10)..<(k * 10 + 10)]
        t.append(x[k * 10]); o.append(slice.first!); c.append(slice.last!); l.append(slice.min()!); h.append(slice.max()!)
    }
    return Series(name: "BTCUSDT", style: .candles, columns: [t, o, l, h, c])
}

@Suite struct ScriptSnapshotTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    static func spec(_ kind: String, theme: Theme) -> PlotSpec {
        let (x, y) = walk(50)
        let output = Output.file(path: "/tmp/chart.png", format: .png, width: 800, height: 500, dpi: 96)
        switch kind {
        case "line":
            return PlotSpec(title: "mid", panels: [Panel(xLabel: "time", yLabel: "price (USDT)", xIsTime: true,
                                                         series: [Series(name: "mid", style: .line, columns: [x, y]),
                                                                  Series(name: "microprice", style: .step, columns: [x, y.map { $0 + 1 }])])],
                            theme: theme, output: output)
        case "candles":
            let c = candles(5)
            let volume = Series(name: "volume", style: .boxes, columns: [c.columns[0], [1, 2, 3, 2, 1], [5, 5, 5, 5, 5]], colorIndex: 1)
            return PlotSpec(title: "BTCUSDT 10s", panels: [Panel(yLabel: "price", xIsTime: true, series: [c], weight: 3),
                                                           Panel(yLabel: "volume", xIsTime: true, series: [volume], weight: 1)],
                            theme: theme, output: output)
        case "overlays":
            // Candles with an SMA, Bollinger bands (a band and a dashed middle) and an RSI panel.
            let c = candles(5)
            let xs = c.columns[0]
            var price = Panel(yLabel: "price", xIsTime: true, series: [c,
                Series(name: "sma(close,3)", style: .line, columns: [xs, [.nan, .nan, 101, 102, 103]], colorIndex: 0),
                Series(name: "bbands(close,3,2)", style: .band, columns: [xs, [.nan, .nan, 99, 100, 101], [.nan, .nan, 103, 104, 105]], colorIndex: 6)], weight: 3)
            var middle = Series(name: "", style: .line, columns: [xs, [.nan, .nan, 101, 102, 103]], colorIndex: 6)
            middle.dashType = 2
            middle.lineWidth = 1
            price.series.append(middle)
            price.keyHeadroom = 0.14
            var rsi = Panel(yLabel: "RSI(close,3)", xIsTime: true, series: [Series(name: "", style: .line, columns: [xs, [.nan, .nan, .nan, 60, 40]])], weight: 1.1)
            rsi.yRange = 0...100
            rsi.referenceLines = [30, 70]
            let range = (xs[0] - 5)...(xs[4] + 5)
            price.xRange = range
            rsi.xRange = range
            return PlotSpec(title: "BTCUSDT 10s", panels: [price, rsi], theme: theme, output: output)
        case "histogram":
            return PlotSpec(panels: [Panel(xLabel: "px", yLabel: "count",
                                           series: [Series(name: "px", style: .boxes, columns: [[1, 2, 3], [5, 9, 2], [0.9, 0.9, 0.9]])])],
                            theme: theme, output: .file(path: "/tmp/h.svg", format: .svg, width: 640, height: 400, dpi: 96))
        case "drawdown":
            return PlotSpec(panels: [Panel(yLabel: "P&L", xIsTime: true, series: [Series(name: "equity", style: .line, columns: [x, y])], weight: 3),
                                     Panel(yLabel: "drawdown", xIsTime: true, series: [Series(name: "", style: .area, columns: [x, y.map { -$0 }], colorIndex: 4)])],
                            theme: theme, output: output)
        case "scatter":
            return PlotSpec(panels: [Panel(series: [Series(name: "fills", style: .scatter, columns: [x, y])])], theme: theme,
                            output: .text(columns: 80, rows: 24, color: false))
        default:
            return PlotSpec(panels: [Panel(series: [Series(name: "sharpe", style: .image, columns: [[1, 2, 1, 2], [1, 1, 2, 2], [0.5, 1, 1.5, 2]])])],
                            theme: theme, output: .file(path: "/tmp/h.pdf", format: .pdf, width: 960, height: 600, dpi: 96))
        }
    }

    @Test("gnuplot script snapshot", arguments: ["line", "candles", "scatter", "heatmap", "histogram", "drawdown", "overlays"], Theme.allCases)
    func snapshot(_ kind: String, _ theme: Theme) throws {
        let spec = ScriptSnapshotTests.spec(kind, theme: theme)
        let files = spec.panels.enumerated().map { p, panel in panel.series.indices.map { "$DATA\(p)_\($0)" } }
        let script = GnuplotScript.render(spec, files: files)
        let url = ScriptSnapshotTests.folder.appendingPathComponent("\(kind)-\(theme.rawValue).gp")
        if ProcessInfo.processInfo.environment["MITHAI_RECORD"] == "1" || !FileManager.default.fileExists(atPath: url.path) {
            try script.write(to: url, atomically: true, encoding: .utf8)
        }
        #expect(script == (try String(contentsOf: url, encoding: .utf8)))
    }
}

@Suite(.serialized) struct RenderTests {
    let gnuplot = Gnuplot()

    func temporary(_ ext: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("mithai-\(UUID().uuidString).\(ext)").path
    }

    @Test("PNG, SVG and PDF files are valid, non-empty and of the requested size", arguments: Output.FileFormat.allCases, Theme.allCases)
    func files(_ format: Output.FileFormat, _ theme: Theme) throws {
        try #require(Gnuplot.executable != nil, "gnuplot is not installed")
        var spec = ScriptSnapshotTests.spec("candles", theme: theme)
        let path = temporary(format.rawValue)
        defer { try? FileManager.default.removeItem(atPath: path) }
        spec.output = .file(path: path, format: format, width: 640, height: 400, dpi: 96)
        #expect(try gnuplot.draw(spec) == nil)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.count > 1000)
        switch format {
        case .png:
            #expect(Array(data.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            let width = data[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = data[20..<24].reduce(0) { $0 << 8 | Int($1) }
            #expect(width == 640 && height == 400)
        case .svg:
            let text = String(decoding: data, as: UTF8.self)
            #expect(text.contains("<svg") && text.contains("width=\"640\"") && text.contains("height=\"400\""))
        case .pdf:
            #expect(String(decoding: data.prefix(5), as: UTF8.self) == "%PDF-")
            // 640 × 400 px at 96 per inch = 480 × 300 pt.
            #expect(String(decoding: data, as: UTF8.self).contains("/MediaBox [ 0 0 480 300 ]"))
        }
    }

    @Test("overlays (bands, dashed lines, fixed ranges, reference lines) draw without gnuplot errors", arguments: Theme.allCases)
    func overlaysDraw(_ theme: Theme) throws {
        try #require(Gnuplot.executable != nil, "gnuplot is not installed")
        var spec = ScriptSnapshotTests.spec("overlays", theme: theme)
        let path = temporary("png")
        defer { try? FileManager.default.removeItem(atPath: path) }
        spec.output = .file(path: path, format: .png, width: 640, height: 400, dpi: 96)
        #expect(try gnuplot.draw(spec) == nil)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count > 5000)
        // In the terminal the band is its two edges (characters cannot be translucent).
        spec.output = .text(columns: 80, rows: 30, color: false)
        let text = try gnuplot.draw(spec) ?? ""
        #expect(text.contains("sma(close,3)"))
        // Two panels, the oscillator's fixed 0...100 axis below the price.
        #expect(text.components(separatedBy: "\n").filter { $0.hasPrefix("     100 +") }.count == 1)
        #expect(text.contains("       0 +"))
    }

    @Test func textChartInTheTerminalHasNoEscapesWhenMono() throws {
        try #require(Gnuplot.executable != nil, "gnuplot is not installed")
        let (x, y) = walk(200)
        let spec = PlotSpec(panels: [Panel(xIsTime: true, series: [Series(name: "mid", style: .line, columns: [x, y])])],
                            theme: .terminal, output: .text(columns: 70, rows: 20, color: false))
        let text = try #require(try gnuplot.draw(spec))
        #expect(text.contains("mid"))
        #expect(!text.contains("\u{1B}"))
        #expect(text.split(separator: "\n").count >= 19)
    }

    @Test func gnuplotErrorsAreMessagesNotStreamPositionsAndTheProcessGoesOn() throws {
        try #require(Gnuplot.executable != nil, "gnuplot is not installed")
        var spec = ScriptSnapshotTests.spec("line", theme: .paper)
        spec.panels[0].logY = true
        spec.panels[0].series[0].columns[1] = spec.panels[0].series[0].columns[1].map { _ in -1 }
        spec.panels[0].series.removeLast()
        let path = temporary("png")
        defer { try? FileManager.default.removeItem(atPath: path) }
        spec.output = .file(path: path, format: .png, width: 300, height: 200, dpi: 96)
        do {
            try gnuplot.draw(spec)
            Issue.record("a log scale over negative values should fail")
        } catch let e as PlotError {
            #expect(e.description.hasPrefix("gnuplot could not draw the chart"))
            #expect(!e.description.contains("line "))
        }
        // The same process draws the next chart.
        spec.panels[0].logY = false
        try gnuplot.draw(spec)
        #expect(FileManager.default.fileExists(atPath: path))
    }
}

@Suite struct ReductionTests {
    @Test func m4KeepsEveryColumnsMinAndMaxAndTheEnds() {
        let (x, y) = walk(1_000_000)
        let (rx, ry) = Reduction.m4(x: x, y: y, width: 1000)
        #expect(rx.count <= 4000 && rx.count >= 1000)
        #expect(ry.min() == y.min() && ry.max() == y.max())
        #expect(rx.first == x.first && rx.last == x.last)
        #expect(zip(rx, rx.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test func shortSeriesAreUnchangedAndUnsortedOnesAreSortedFirst() {
        let (x, y) = walk(100)
        #expect(Reduction.m4(x: x, y: y, width: 1000).x == x)
        let (bx, by) = walk(100_000)
        var rx = bx, ry = by
        rx.swapAt(10, 50_000); ry.swapAt(10, 50_000)
        let (mx, my) = Reduction.m4(x: rx, y: ry, width: 100)
        #expect(zip(mx, mx.dropFirst()).allSatisfy { $0 < $1 })
        #expect(my.min() == by.min() && my.max() == by.max())
    }
}
