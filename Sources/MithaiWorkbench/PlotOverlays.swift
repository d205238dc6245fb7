import Foundation
import MithaiLanguage
import MithaiPlotting
import MithaiEngine

/// `plot TABLE as candles with sma(close,20), bbands(close,20,2), vwap, rsi(close,14)`:
/// indicators drawn over the price panel (moving averages, bands, VWAP, microprice) or each in
/// a panel of its own below it (oscillators: rsi, macd, stddev, zscore, rvol, atr, tfi,
/// imbalance; or anything followed by the word `panel`). Panels share the x range, so candles,
/// volume and oscillators line up.
extension PlotCommand {
    /// Colours (palette indices) of price-panel overlays in order: amber, cyan, violet, magenta, yellow.
    static let overlayColors = [0, 1, 6, 3, 7]

    static func addOverlays(to base: [Panel], table: Table, kind: String, panelMarks: [Expr],
                            ctx: inout CommandContext) throws(WorkbenchError) -> [Panel] {
        var panels = base
        guard !panels.isEmpty else { return panels }
        let xColumn: Column
        if let x = try ctx.word("x") { xColumn = try column(x, in: table, ctx: ctx, parameter: "x") } else {
            xColumn = QueryEngine.timeColumn(table) ?? table.columns[0]
        }
        guard let (xs, xIsTime) = numbers(xColumn) else { return panels }
        var items: [Expr] = []
        for e in ctx.exprs("overlays") {
            if case .list(let l, _) = e { items += l } else { items.append(e) }
        }
        // A 'panel' word belongs to the overlay just before it.
        var own = Set<Int>()
        for mark in panelMarks {
            if let i = items.indices.filter({ items[$0].range.upper <= mark.range.lower }).max(by: { items[$0].range.upper < items[$1].range.upper }) {
                own.insert(i)
            }
        }
        var lower: [Panel] = []
        var colorCursor = 0
        func nextColor() -> Int { defer { colorCursor += 1 }; return overlayColors[colorCursor % overlayColors.count] }
        let width = candleWidth(xs)
        let paper = (try ctx.choice("theme") ?? ctx.workspace.settings.theme) == "paper"
        for (i, e) in items.enumerated() {
            let label = ctx.session.currentSource?.slice(e.range).replacingOccurrences(of: " ", with: "") ?? "overlay"
            var name = ""
            if case .call(let n, _, _, _) = e { name = n }
            let outputs: [[Double]]
            if case .name("vwap", _) = e, table.column(named: "vwap") == nil, ctx.workspace["vwap"] == nil {
                outputs = [try sessionVWAP(table, range: e.range)]
                name = "vwap"
            } else if IndicatorFunctions.isIndicator(e) {
                outputs = try IndicatorFunctions.compute(e, over: table, session: ctx.session, ws: &ctx.workspace)
            } else {
                outputs = [try IndicatorFunctions.doubles(e, table, session: ctx.session, ws: &ctx.workspace, function: "plot")]
            }
            let separate = own.contains(i) || IndicatorFunctions.isOscillator(name)
            if !separate {
                if outputs.count == 3 {
                    // Bands: a translucent fill between lower and upper, the middle dashed.
                    let c = nextColor()
                    panels[0].series.append(Series(name: label, style: .band, columns: [xs, outputs[2], outputs[0]], colorIndex: c))
                    var middle = Series(name: "", style: .line, columns: [xs, outputs[1]], colorIndex: c)
                    middle.dashType = 2
                    middle.lineWidth = 1
                    panels[0].series.append(middle)
                } else {
                    for o in outputs { panels[0].series.append(Series(name: label, style: .line, columns: [xs, o], colorIndex: nextColor())) }
                }
                continue
            }
            var panel = Panel(yLabel: label, xIsTime: xIsTime, series: [], weight: 1.1)
            switch name {
            case "macd", "macd_line", "macd_signal", "macd_hist" where outputs.count == 3:
                // The histogram in two colours: rising momentum green, falling red (greys on paper).
                let widths = Array(repeating: width, count: xs.count)
                let up = outputs[2].map { $0 >= 0 ? $0 : .nan }, down = outputs[2].map { $0 < 0 ? $0 : .nan }
                panel.series = [Series(name: "histogram", style: .boxes, columns: [xs, up, widths], colorIndex: 2),
                                Series(name: "", style: .boxes, columns: [xs, down, widths], colorIndex: paper ? 5 : 4),
                                Series(name: "macd", style: .line, columns: [xs, outputs[0]], colorIndex: 1),
                                Series(name: "signal", style: .line, columns: [xs, outputs[1]], colorIndex: 0)]
                panel.referenceLines = [0]
                panel.keyHeadroom = 0.25
                panel.weight = 1.4
                panel.yLabel = "MACD" + label.dropFirst(4)
            default:
                panel.series = outputs.enumerated().map { k, o in Series(name: "", style: .line, columns: [xs, o], colorIndex: k == 0 ? 0 : 1) }
                switch name {
                case "rsi": panel.yRange = 0...100; panel.referenceLines = [30, 70]; panel.yLabel = "RSI" + label.dropFirst(3)
                case "zscore": panel.referenceLines = [-2, 0, 2]
                case "tfi", "imbalance": panel.yRange = -1...1; panel.referenceLines = [0]
                default: break
                }
            }
            lower.append(panel)
        }
        if panels[0].series.count > 1 { panels[0].keyHeadroom = 0.14 }
        panels += lower
        // Stacked panels share the x range (candles keep half a candle of room at each end).
        if panels.count > 1, let lo = xs.filter(\.isFinite).min(), let hi = xs.filter(\.isFinite).max(), hi > lo {
            let pad = kind == "candles" ? width : 0
            for p in panels.indices { panels[p].xRange = (lo - pad)...(hi + pad) }
        }
        return panels
    }

    /// Session VWAP of a table: bars use the typical price (high + low + close) / 3 and their
    /// volume; trades their price and quantity. Sessions are local calendar days.
    static func sessionVWAP(_ t: Table, range: SourceRange) throws(WorkbenchError) -> [Double] {
        func col(_ names: [String]) -> [Double]? {
            names.lazy.compactMap { t.column(named: $0) }.first.flatMap { numbers($0)?.values }
        }
        let price: [Double]
        if let h = col(["high", "h"]), let l = col(["low", "l"]), let c = col(["close", "c"]) {
            price = h.indices.map { (h[$0] + l[$0] + c[$0]) / 3 }
        } else if let p = col(["px", "price", "close"]) {
            price = p
        } else {
            throw .at(range, "vwap needs high, low, close (bars) or px (trades) columns", notes: ["columns: " + t.columnNames.joined(separator: " ")])
        }
        guard let v = col(["volume", "vol", "qty", "v"]) else {
            throw .at(range, "vwap needs a volume column (volume, vol or qty)", notes: ["columns: " + t.columnNames.joined(separator: " ")])
        }
        guard let tc = QueryEngine.timeColumn(t), case .timestamp(let ts, let zone) = tc.data else {
            throw .at(range, "a session vwap needs a timestamp column")
        }
        let day = ts.map { Double(IndicatorFunctions.localDay($0, zone)) }
        return Indicators.skippingMissing([price, v, day]) { c in
            [Indicators.vwap(price: c[0], volume: c[1], session: c[2].map { Int64($0) })]
        }[0]
    }
}
