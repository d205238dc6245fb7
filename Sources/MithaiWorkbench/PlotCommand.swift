import Foundation
import MithaiLanguage
import MithaiPlotting
import MithaiEngine
import Crypto

/// A chart the session drew: shows where it went; its digest covers the chart's data, kind
/// and theme (so `--verify` compares figures by their data, not their bytes).
final class ChartObject: WorkspaceObject {
    let kind = "chart"
    let path: String?
    let description: String
    let fingerprint: String
    let text: String?

    init(path: String?, description: String, fingerprint: String, text: String?) {
        self.path = path
        self.description = description
        self.fingerprint = fingerprint
        self.text = text
    }

    var summary: String { path.map { "chart \($0): \(description)" } ?? "chart: \(description)" }
    var display: String { text ?? "wrote \(path ?? "")" }
    var canonical: String { fingerprint }
}

/// `plot`: draws tables (and, as they arrive, runs and datasets) through gnuplot.
enum PlotCommand {
    static let kinds = ["line", "step", "scatter", "candles", "histogram", "heatmap", "area"]

    static let spec = CommandSpec(
        "plot", aliases: ["chart"], category: "charts",
        summary: "draws a table as a chart: in the terminal, or to a PNG, SVG or PDF file",
        parameters: [
            Parameter("table", .positional, .value, variadic: true,
                      "the table to draw (or pipe one in), or a named chart and its objects: " + namedCharts.keys.sorted().joined(separator: ", ")),
            Parameter("time", .keyword("at"), .time, "the instant of a depth chart"),
            Parameter("kind", .keyword("as"), .choice(kinds), default: "line", "chart kind"),
            Parameter("overlays", .keyword("with"), .value, variadic: true,
                      "indicators or expressions over the table's columns: moving averages, bands and vwap on the price panel, oscillators (rsi, macd, ...) each in a panel below; a trailing word 'panel' puts the one before it in its own panel"),
            Parameter("file", .keyword("to"), .path, "write to FILE.png, .svg or .pdf instead of the terminal"),
            Parameter("x", .option, .word, default: "the time column, else the first", "column for the x axis"),
            Parameter("y", .option, .word, default: "every other numeric column", "column(s) to draw, e.g. y=bid,ask"),
            Parameter("by", .option, .word, "one series per distinct value of this column"),
            Parameter("z", .option, .word, "value column of a heatmap"),
            Parameter("bins", .option, .integer, default: "50", "histogram bins"),
            Parameter("theme", .option, .choice(Theme.allCases.map(\.rawValue)), default: "the theme setting", "terminal or paper"),
            Parameter("title", .option, .value, "chart title"),
            Parameter("size", .option, .word, default: "1200x700 (files)", "WIDTHxHEIGHT in pixels (characters in the terminal)"),
            Parameter("dpi", .option, .integer, default: "96", "resolution of PNG files (fonts and lines scale with it)"),
            Parameter("layout", .option, .word, "panels as ROWSxCOLUMNS, one y column per panel, e.g. layout=2x1"),
            Parameter("term", .option, .choice(["text", "sixel", "mono"]), default: "text", "terminal output: coloured text, sixel graphics, or plain text"),
        ],
        examples: ["t = select px: avg(x) by 1m from trades(btc)\nplot t as line", "plot bars as candles to figs/bars.png theme=paper size=1600x900",
                   "set | select n: count() by value | plot as histogram",
                   "plot bars as candles with sma(close,20), bbands(close,20,2), vwap",
                   "plot bars as candles with ema(close,9), rsi(close,14), macd(close) to figs/ta.png"],
        details: "Times are shown in their column's zone. Long series are reduced per pixel column keeping each column's min and max. Overlays (with ...) are the query language's indicators (see docs/INDICATORS.md) or any expression over the table's columns; `vwap` alone is the session VWAP of the bars' typical price (high+low+close)/3.",
        takesInput: true, handler: { ctx in try run(&ctx) })

    /// Charts a quant asks for by name, with what they draw.
    static let namedCharts: [String: String] = [
        "depth": "bid and ask cumulative depth at an instant: plot depth DATA at TIME",
        "spread": "bid-ask spread in ticks through time: plot spread DATA",
        "orderflow": "signed trade flow (buy minus sell volume) per bucket and cumulated: plot orderflow DATA [bucket=10s]",
        "volume-profile": "traded volume by price: plot volume-profile DATA",
        "ladder": "the book's levels at an instant as bars of size by price, bids and asks: plot ladder DATA at TIME",
        "pnl": "equity (P&L net of fees) through time, drawdown shaded for one run: plot pnl RUN [RUN...]",
        "inventory": "position through time: plot inventory RUN [RUN...]",
        "fills": "fills on the mid price, buys and sells marked: plot fills RUN",
        "markouts": "mean mid move after fills by horizon (bps), by side: plot markouts RUN",
        "latency": "tick-to-order and order round-trip percentiles: plot latency RUN",
    ]
    static let runCharts: Set<String> = ["pnl", "inventory", "fills", "markouts", "latency"]

    static func run(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let table: Table
        let tableRange = ctx.range("table")
        // `with rsi(close,14) panel`: the word 'panel' lands among the positional arguments.
        let panelMarks = ctx.has("overlays") ? ctx.exprs("table").filter { $0.word == "panel" && ctx.workspace["panel"] == nil } : []
        let targets = ctx.exprs("table").filter { e in !panelMarks.contains { $0.range == e.range } }
        if let first = targets.first, case .name(let chart, let r) = first, namedCharts[chart] != nil, ctx.workspace[chart] == nil {
            if ctx.has("overlays") { throw .at(ctx.range("overlays"), "overlays go on a table's chart: plot TABLE as candles with ...") }
            return try named(chart, range: r, objects: Array(targets.dropFirst()), ctx: &ctx)
        }
        if targets.count > 1 { throw .at(ctx.range("table"), "plot draws one table; for several series use y=a,b or by=COLUMN") }
        if let input = ctx.input {
            if !targets.isEmpty { throw .at(tableRange, "plot takes either a piped table or a TABLE argument, not both") }
            guard case .table(let t) = input else { throw .at(ctx.verbRange, "plot needs a table, got \(input.kindName)") }
            table = t
        } else if let e = targets.first {
            let v = try ctx.session.evaluate(e, in: &ctx.workspace)
            guard case .table(let t) = v else { throw .at(tableRange, "plot needs a table, got \(v.kindName)") }
            table = t
        } else {
            throw .at(ctx.verbRange, "plot what? give a table or pipe one in", notes: ["usage: \(spec.synopsis)"])
        }
        guard table.rowCount > 0 else { throw .at(tableRange, "the table is empty: nothing to plot") }
        let kind = try ctx.choice("kind") ?? "line"
        var panels = try panelsFor(table, kind: kind, ctx: &ctx)
        if ctx.has("overlays") { panels = try addOverlays(to: panels, table: table, kind: kind, panelMarks: panelMarks, ctx: &ctx) }
        return try draw(panels, kind: kind, title: nil, ctx: &ctx)
    }

    /// Lays out, reduces, draws and records panels.
    /// A chart drawn for another command (`report`): its output and theme, and whether to run
    /// gnuplot at all (without it only the data fingerprint is computed).
    struct ChartRequest {
        var output: Output
        var theme: Theme
        var drawImage: Bool
    }

    static func draw(_ drawn: [Panel], kind: String, title defaultTitle: String?, ctx: inout CommandContext,
                     request: ChartRequest? = nil) throws(WorkbenchError) -> Value {
        var panels = drawn
        let theme: Theme
        var output: Output
        if let request {
            theme = request.theme
            output = request.output
        } else {
            theme = Theme(rawValue: try ctx.choice("theme") ?? ctx.workspace.settings.theme) ?? .terminal
            output = try outputFor(&ctx)
        }
        // Oscillator panels under candles and volume get room of their own, not a squeeze.
        if request == nil, case .file(let path, let format, let w, let h, let dpi) = output, !ctx.has("size"), panels.count > 2, ctx.has("overlays") {
            output = .file(path: path, format: format, width: w, height: h + (panels.count - 2) * 170, dpi: dpi)
        }
        var title = defaultTitle
        if request == nil, let t = try ctx.value("title") { title = t.display }
        var layout: PlotSpec.Layout?
        if request == nil, let l = try ctx.word("layout") {
            let parts = l.lowercased().split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, parts[0] >= 1, parts[1] >= 1, parts[0] * parts[1] <= 16 else {
                throw .at(ctx.range("layout"), "layout is ROWSxCOLUMNS, e.g. 2x1")
            }
            // One series per panel.
            if panels.count == 1 && panels[0].series.count > 1 {
                panels = panels[0].series.map { s in Panel(title: s.name, xIsTime: panels[0].xIsTime, series: [s]) }
            }
            layout = PlotSpec.Layout(rows: parts[0], columns: parts[1])
        }
        // Reduce long series to the output's width, keeping min and max per column.
        let width = max(200, output.pixelWidth)
        for p in panels.indices {
            for s in panels[p].series.indices where panels[p].series[s].columns.count == 2 && panels[p].series[s].style != .boxes {
                let c = panels[p].series[s].columns
                let (rx, ry) = Reduction.m4(x: c[0], y: c[1], width: width)
                panels[p].series[s].columns = [rx, ry]
            }
        }
        var plot = PlotSpec(title: title, panels: panels, theme: theme, output: output)
        plot.layout = layout
        if let request, !request.drawImage {
            let points = panels.flatMap(\.series).map(\.count).reduce(0, +)
            return .object(ObjectRef(ChartObject(path: nil, description: "\(kind), \(points) points (not drawn)",
                                                 fingerprint: fingerprintOf(plot, kind: kind), text: nil)))
        }
        guard Gnuplot.executable != nil else { throw .failed(Gnuplot.installHint) }
        let text: String?
        do {
            text = try ctx.session.gnuplot.draw(plot)
        } catch {
            if ctx.session.cancellation.isCancelled { throw .cancelled }
            throw .failed((error as? PlotError)?.description ?? "\(error)")
        }
        let points = panels.flatMap(\.series).map(\.count).reduce(0, +)
        let description = "\(kind), \(panels.flatMap(\.series).count) series, \(points) points, \(theme.rawValue)"
        let fingerprint = fingerprintOf(plot, kind: kind)
        if case .file(let path, _, _, _, _) = output {
            ctx.session.recordArtifact(kind: "chart", path: path)
            return .object(ObjectRef(ChartObject(path: path, description: description, fingerprint: fingerprint, text: nil)))
        }
        return .object(ObjectRef(ChartObject(path: nil, description: description, fingerprint: fingerprint, text: text)))
    }

    static func seconds(_ ns: Int64, _ zone: String) -> Double { Double(ns) / 1e9 + Double(Format.utcOffset(ns, zone: zone)) }

    static func runChart(_ chart: String, range: SourceRange, objects: [Expr], ctx: inout CommandContext,
                         request: ChartRequest? = nil) throws(WorkbenchError) -> Value {
        var runs: [RunObject] = []
        for e in objects {
            if case .list(let items, _) = e { for i in items { runs.append(try BacktestCommands.run(i, &ctx)) } } else {
                runs.append(try BacktestCommands.run(e, &ctx))
            }
        }
        guard let first = runs.first else { throw .at(range, "usage: " + (namedCharts[chart]!.components(separatedBy: ": ").last ?? "")) }
        if runs.count > 1 && ["fills", "markouts", "latency"].contains(chart) {
            throw .at(objects[1].range, "plot \(chart) draws one run")
        }
        let zone = first.data.zone
        switch chart {
        case "pnl":
            var series: [Series] = []
            for (i, r) in runs.enumerated() {
                if let p = r.portfolio?.portfolio {
                    // Several instruments: each in the base currency, then the total.
                    for (k, leg) in r.legs.enumerated() {
                        let e = leg.result.equity
                        series.append(Series(name: "\(runs.count > 1 ? r.name + ":" : "")\(leg.data.name)", style: .line,
                                             columns: [e.map { seconds($0.time, zone) }, e.map { p.scale.double(p.toBase($0.equity, leg: k)) }],
                                             colorIndex: series.count))
                    }
                    series.append(Series(name: runs.count > 1 ? r.name : "total", style: .line,
                                         columns: [p.equity.map { seconds($0.time, zone) }, p.equity.map { p.scale.double($0.equity) }], colorIndex: series.count))
                    continue
                }
                let e = r.result.equity
                series.append(Series(name: runs.count > 1 ? r.name : "equity", style: .line,
                                     columns: [e.map { seconds($0.time, zone) }, e.map { r.valuation.scale.double($0.equity) }], colorIndex: i))
            }
            let currency = first.portfolio?.portfolio.base ?? first.data.instrument.currency
            var panels = [Panel(yLabel: "P&L (\(currency))", xIsTime: true, series: series, weight: 3)]
            if runs.count == 1 {
                let base = first.portfolio?.portfolio
                let e = base?.equity ?? first.result.equity
                var peak = -Double.infinity
                let dd = e.map { p -> Double in
                    let v = base?.scale.double(p.equity) ?? first.valuation.scale.double(p.equity)
                    peak = max(peak, v)
                    return v - peak
                }
                panels.append(Panel(yLabel: "drawdown", xIsTime: true,
                                    series: [Series(name: "", style: .area, columns: [e.map { seconds($0.time, zone) }, dd], colorIndex: 4)], weight: 1))
            }
            return try draw(panels, kind: "pnl", title: "P&L " + runs.map(\.name).joined(separator: " "), ctx: &ctx, request: request)
        case "inventory":
            var series: [Series] = []
            for r in runs {
                // A multi-instrument run: one step line per instrument, each in its own units.
                let legs = r.isMulti ? r.legs.map { ($0.data, $0.result) } : [(r.data, r.result)]
                for (d, result) in legs {
                    series.append(Series(name: r.isMulti ? "\(runs.count > 1 ? r.name + ":" : "")\(d.name)" : runs.count > 1 ? r.name : "position",
                                         style: .step,
                                         columns: [result.equity.map { seconds($0.time, zone) },
                                                   result.equity.map { Double($0.position) * d.instrument.lotSize.doubleValue }],
                                         colorIndex: series.count))
                }
            }
            return try draw([Panel(yLabel: first.isMulti ? "position" : "position (\(first.data.instrument.symbol))", xIsTime: true, series: series)],
                            kind: "inventory", title: "inventory " + runs.map(\.name).joined(separator: " "), ctx: &ctx, request: request)
        case "fills":
            let e = first.result.equity, tick = first.data.instrument.tickSize.doubleValue
            let mid = Series(name: "mid", style: .line, columns: [e.map { seconds($0.time, zone) }, e.map { $0.markHalfTicks == 0 ? .nan : Double($0.markHalfTicks) / 2 * tick }], colorIndex: 5)
            let f = first.result.fills
            let buys = f.filter { $0.side == .buy }, sells = f.filter { $0.side == .sell }
            return try draw([Panel(yLabel: "price", xIsTime: true, series: [
                mid,
                Series(name: "buys", style: .scatter, columns: [buys.map { seconds($0.exchangeTime, zone) }, buys.map { Double($0.price) * tick }], colorIndex: 2),
                Series(name: "sells", style: .scatter, columns: [sells.map { seconds($0.exchangeTime, zone) }, sells.map { Double($0.price) * tick }], colorIndex: 4),
            ])], kind: "fills", title: "fills of \(first.name)\(first.isMulti ? " (\(first.data.name), its first instrument)" : "") on the mid", ctx: &ctx, request: request)
        case "markouts":
            // A multi-instrument run: its first instrument (markouts are in that instrument's ticks).
            guard case .table(let table) = BacktestCommands.markoutsTable(
                first.data, first.result.fills, horizons: [100 * Time.millisecond, Time.second, 10 * Time.second, 60 * Time.second]) else {
                throw .internal("markouts")
            }
            guard case .text(let groups) = table.column(named: "group")!.data, case .real(let h) = table.column(named: "horizon_s")!.data,
                  case .real(let bps) = table.column(named: "move_bps")!.data else { throw .internal("markouts columns") }
            var series: [Series] = []
            for (i, g) in ["all", "all buy", "all sell"].enumerated() {
                let rows = groups.indices.filter { groups[$0] == g && bps[$0].isFinite }
                if rows.isEmpty { continue }
                series.append(Series(name: g == "all" ? "all fills" : g.replacingOccurrences(of: "all ", with: "") + "s", style: .line,
                                     columns: [rows.map { h[$0] }, rows.map { bps[$0] }], colorIndex: i))
            }
            guard !series.isEmpty else { throw .at(objects[0].range, "\(first.name) has no fills to mark out") }
            return try draw([Panel(xLabel: "horizon (s)", yLabel: "mean mid move after the fill (bps, + = in our favour)", series: series)],
                            kind: "markouts", title: "markouts of \(first.name)", ctx: &ctx, request: request)
        default: // latency
            let s = first.statistics
            guard let t = s.tickToOrder, let o = s.orderRoundTrip else { throw .at(objects[0].range, "\(first.name) sent no orders") }
            let labels = [1.0, 2, 3]
            return try draw([Panel(xLabel: "percentile: 1 = p50, 2 = p99, 3 = p99.9", yLabel: "latency (ms)", series: [
                Series(name: "tick to order", style: .boxes, columns: [labels.map { $0 - 0.2 }, [t.p50, t.p99, t.p999].map { Double($0) / 1e6 }, [0.35, 0.35, 0.35]], colorIndex: 0),
                Series(name: "order round trip", style: .boxes, columns: [labels.map { $0 + 0.2 }, [o.p50, o.p99, o.p999].map { Double($0) / 1e6 }, [0.35, 0.35, 0.35]], colorIndex: 1),
            ])], kind: "latency", title: "latency of \(first.name) (simulated time)", ctx: &ctx, request: request)
        }
    }

    static func named(_ chart: String, range: SourceRange, objects: [Expr], ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        if runCharts.contains(chart) { return try runChart(chart, range: range, objects: objects, ctx: &ctx) }
        guard objects.count == 1, let target = objects.first else {
            throw .at(range, "usage: \(namedCharts[chart]!.split(separator: ":").last!.trimmingCharacters(in: .whitespaces))")
        }
        if case .name(let n, let r) = target, ctx.workspace[n] == nil {
            let known = DataCommands.allDatasets(ctx.workspace).map(\.name)
            throw .at(r, "no dataset named '\(n)'", suggestions: Suggest.names(for: n, among: known))
        }
        let d = try DataCommands.datasetObject(try ctx.session.evaluate(target, in: &ctx.workspace), range: target.range)
        let tick = d.instrument.tickSize.doubleValue
        switch chart {
        case "ladder":
            var options: [Argument] = [Argument(value: target, range: target.range)]
            if let t = ctx.exprs("time").first { options.append(Argument(label: "at", value: t, range: t.range)) }
            let levels = try ctx.integer("bins") ?? 20
            options.append(Argument(label: "levels", value: .literal(.number(DecimalLiteral(mantissa: Int64(levels), scale: 0)), range), range: range))
            guard case .table(let ladder) = try TableFunctions.call("depth", nameRange: range, args: options, session: ctx.session, ws: &ctx.workspace),
                  let bid = numbers(ladder.column(named: "bid")!)?.values, let bidQty = numbers(ladder.column(named: "bid_qty")!)?.values,
                  let ask = numbers(ladder.column(named: "ask")!)?.values, let askQty = numbers(ladder.column(named: "ask_qty")!)?.values
            else { throw .internal("ladder") }
            let prices = (bid + ask).filter(\.isFinite)
            let span = (prices.max() ?? 0) - (prices.min() ?? 0)
            let width = Array(repeating: max(tick, span / Double(max(1, prices.count) * 2)) * 0.8, count: bid.count)
            let at = ctx.has("time") ? " at " + (ctx.session.currentSource?.slice(ctx.exprs("time")[0].range) ?? "") : ""
            return try draw([Panel(xLabel: "price (\(d.instrument.currency))", yLabel: "size at the level", series: [
                Series(name: "bids", style: .boxes, columns: [bid, bidQty, width], colorIndex: 2),
                Series(name: "asks", style: .boxes, columns: [ask, askQty, width], colorIndex: 4),
            ])], kind: "ladder", title: "\(d.instrument.symbol) ladder\(at)", ctx: &ctx)
        case "depth":
            var levels = 50
            if let l = try ctx.integer("bins") { levels = l }
            var options: [Argument] = [Argument(value: target, range: target.range)]
            if let t = ctx.exprs("time").first { options.append(Argument(label: "at", value: t, range: t.range)) }
            options.append(Argument(label: "levels", value: .literal(.number(DecimalLiteral(mantissa: Int64(levels), scale: 0)), range), range: range))
            guard case .table(let ladder) = try TableFunctions.call("depth", nameRange: range, args: options, session: ctx.session, ws: &ctx.workspace),
                  let bid = numbers(ladder.column(named: "bid")!)?.values, let bidQty = numbers(ladder.column(named: "bid_qty")!)?.values,
                  let ask = numbers(ladder.column(named: "ask")!)?.values, let askQty = numbers(ladder.column(named: "ask_qty")!)?.values
            else { throw .internal("depth ladder") }
            func cumulative(_ px: [Double], _ q: [Double]) -> ([Double], [Double]) {
                var xs: [Double] = [], ys: [Double] = [], total = 0.0
                for (p, v) in zip(px, q) where p.isFinite && v.isFinite { total += v; xs.append(p); ys.append(total) }
                return (xs, ys)
            }
            let (bx, by) = cumulative(bid, bidQty), (ax, ay) = cumulative(ask, askQty)
            guard !bx.isEmpty || !ax.isEmpty else { throw .at(range, "the book of \(d.name) is empty at that time") }
            let at = ctx.has("time") ? " at " + (ctx.session.currentSource?.slice(ctx.exprs("time")[0].range) ?? "") : ""
            return try draw([Panel(xLabel: "price (\(d.instrument.currency))", yLabel: "cumulative size",
                                   series: [Series(name: "bids", style: .step, columns: [bx.reversed(), by.reversed()], colorIndex: 2),
                                            Series(name: "asks", style: .step, columns: [ax, ay], colorIndex: 4)])],
                            kind: "depth", title: "\(d.instrument.symbol) depth\(at)", ctx: &ctx)
        case "spread":
            let q = try TableFunctions.quotes(d, session: ctx.session)
            guard let (ts, _) = numbers(q.column(named: "ts")!), let (b, _) = numbers(q.column(named: "bid")!),
                  let (a, _) = numbers(q.column(named: "ask")!), !ts.isEmpty else { throw .at(range, "\(d.name) has no quotes") }
            let spread = zip(a, b).map { ($0 - $1) / tick }
            return try draw([Panel(yLabel: "spread (ticks)", xIsTime: true, series: [Series(name: "spread", style: .step, columns: [ts, spread])])],
                            kind: "spread", title: "\(d.instrument.symbol) bid-ask spread", ctx: &ctx)
        case "orderflow":
            let t = TableFunctions.trades(d, session: ctx.session)
            guard t.rowCount > 0, case .timestamp(let ts, _) = t.column(named: "ts")!.data, case .text(let side) = t.column(named: "side")!.data,
                  let (qty, _) = numbers(t.column(named: "qty")!) else { throw .at(range, "\(d.name) has no trades") }
            // About 120 buckets, on a round duration.
            let span = d.span.map { $0.upperBound - $0.lowerBound } ?? Time.second
            let rounds: [Int64] = [1, 10, 100, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 300_000, 900_000, 3_600_000]
            let bucket = (rounds.first { span / ($0 * Time.millisecond) <= 120 } ?? 3_600_000) * Time.millisecond
            var keys: [Int64] = [], flow: [Double] = []
            for i in 0..<t.rowCount {
                let k = ts[i] / bucket * bucket
                let signed = side[i] == "buy" ? qty[i] : side[i] == "sell" ? -qty[i] : 0
                if keys.last == k { flow[flow.count - 1] += signed } else { keys.append(k); flow.append(signed) }
            }
            let offset = { (ns: Int64) in Double(ns) / 1e9 + Double(Format.utcOffset(ns, zone: d.zone)) }
            let xs = keys.map(offset)
            var cumulative: [Double] = []
            var total = 0.0
            for f in flow { total += f; cumulative.append(total) }
            let width = Array(repeating: Double(bucket) / 1e9 * 0.8, count: xs.count)
            return try draw([Panel(yLabel: "buy - sell (\(Format.duration(bucket)))", xIsTime: true,
                                   series: [Series(name: "", style: .boxes, columns: [xs, flow, width], colorIndex: 1)], weight: 2),
                             Panel(yLabel: "cumulative", xIsTime: true, series: [Series(name: "", style: .line, columns: [xs, cumulative])], weight: 1)],
                            kind: "orderflow", title: "\(d.instrument.symbol) order flow", ctx: &ctx)
        default: // volume-profile
            let t = TableFunctions.trades(d, session: ctx.session)
            guard let (px, _) = numbers(t.column(named: "px")!), let (qty, _) = numbers(t.column(named: "qty")!), !px.isEmpty else {
                throw .at(range, "\(d.name) has no trades")
            }
            let bins = try ctx.integer("bins") ?? 60
            let lo = px.min()!, hi = px.max()!
            let width = max(tick, ((hi - lo) / Double(bins) / tick).rounded(.up) * tick)
            var volume: [Double: Double] = [:]
            for (p, q) in zip(px, qty) { volume[lo + ((p - lo) / width).rounded(.down) * width, default: 0] += q }
            let keys = volume.keys.sorted()
            return try draw([Panel(xLabel: "price (\(d.instrument.currency))", yLabel: "volume",
                                   series: [Series(name: "", style: .boxes, columns: [keys.map { $0 + width / 2 }, keys.map { volume[$0]! },
                                                                                      Array(repeating: width * 0.9, count: keys.count)])])],
                            kind: "volume-profile", title: "\(d.instrument.symbol) volume by price", ctx: &ctx)
        }
    }

    /// SHA-256 of the chart's kind, theme, title and every series' data (raw doubles).
    static func fingerprintOf(_ plot: PlotSpec, kind: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Data("\(kind)|\(plot.theme.rawValue)|\(plot.title ?? "")".utf8))
        for panel in plot.panels {
            for series in panel.series {
                hasher.update(data: Data("|\(series.name):\(series.style.rawValue):".utf8))
                for c in series.columns { c.withUnsafeBytes { hasher.update(bufferPointer: $0) } }
            }
        }
        return hasher.finalize().prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    static func outputFor(_ ctx: inout CommandContext) throws(WorkbenchError) -> Output {
        var size: (Int, Int)?
        if let s = try ctx.word("size") {
            let parts = s.lowercased().split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, (10...10_000).contains(parts[0]), (5...10_000).contains(parts[1]) else {
                throw .at(ctx.range("size"), "size is WIDTHxHEIGHT, e.g. 1200x700")
            }
            size = (parts[0], parts[1])
        }
        if let file = try ctx.path("file") {
            let ext = (file as NSString).pathExtension.lowercased()
            guard let format = Output.FileFormat(rawValue: ext) else {
                throw .at(ctx.range("file"), "charts are written as .png, .svg or .pdf, not '.\(ext)'")
            }
            let dpi = try ctx.integer("dpi") ?? 96
            guard (50...600).contains(dpi) else { throw .at(ctx.range("dpi"), "dpi must be 50...600") }
            let (w, h) = size ?? (1200, 700)
            return .file(path: (file as NSString).expandingTildeInPath, format: format, width: w, height: h, dpi: dpi)
        }
        let style = ctx.session.style
        let term = try ctx.choice("term") ?? (ctx.session.options.sixel ? "sixel" : "text")
        if term == "sixel" {
            let (w, h) = size ?? (960, 540)
            return .sixel(width: w, height: h)
        }
        let columns = size?.0 ?? (style.width > 0 ? min(style.width, 160) : 100)
        let rows = size?.1 ?? max(15, min(40, columns * 3 / 10))
        return .text(columns: columns, rows: rows, color: term == "text" && style.color)
    }

    /// Seconds in the column's zone (so gnuplot prints wall-clock time), or the plain numbers.
    static func numbers(_ c: Column) -> (values: [Double], isTime: Bool)? {
        switch c.data {
        case .timestamp(let v, let zone):
            return (v.map { $0 == Column.null ? .nan : Double($0) / 1e9 + Double(Format.utcOffset($0, zone: zone)) }, true)
        case .int(let v): return (v.map { $0 == Column.null ? .nan : Double($0) }, false)
        case .decimal(let v, let s):
            let scale = pow(10.0, Double(s))
            return (v.map { $0 == Column.null ? .nan : Double($0) / scale }, false)
        case .duration(let v): return (v.map { $0 == Column.null ? .nan : Double($0) / 1e9 }, false)
        case .real(let v): return (v, false)
        case .bool(let v): return (v.map { $0 ? 1 : 0 }, false)
        case .text: return nil
        }
    }

    static func column(_ name: String, in t: Table, ctx: CommandContext, parameter: String) throws(WorkbenchError) -> Column {
        guard let c = t.column(named: name) else {
            throw .at(ctx.range(parameter), "no column '\(name)'", suggestions: Suggest.names(for: name, among: t.columnNames),
                      notes: ["columns: " + t.columnNames.joined(separator: " ")])
        }
        return c
    }

    static func words(_ ctx: CommandContext, _ name: String) throws(WorkbenchError) -> [String] {
        var out: [String] = []
        for e in ctx.exprs(name) {
            if case .list(let items, _) = e { for i in items { out.append(try CommandContext.word(of: i)) } } else {
                out.append(try CommandContext.word(of: e))
            }
        }
        return out
    }

    static func panelsFor(_ t: Table, kind: String, ctx: inout CommandContext) throws(WorkbenchError) -> [Panel] {
        let xColumn: Column
        if let x = try ctx.word("x") { xColumn = try column(x, in: t, ctx: ctx, parameter: "x") } else {
            xColumn = QueryEngine.timeColumn(t) ?? t.columns[0]
        }
        guard let (xs, xIsTime) = numbers(xColumn) else {
            throw .at(ctx.has("x") ? ctx.range("x") : ctx.verbRange, "the x column '\(xColumn.name)' is text; choose a numeric or time column with x=")
        }
        switch kind {
        case "candles":
            func find(_ names: [String]) -> Column? { names.lazy.compactMap { t.column(named: $0) }.first }
            guard let o = find(["open", "o"]), let h = find(["high", "h"]), let l = find(["low", "l"]), let c = find(["close", "c"]) else {
                throw .at(ctx.range("kind"), "candles need open, high, low and close columns",
                          notes: ["columns: " + t.columnNames.joined(separator: " "), "make them with: select ohlc(px), vol: sum qty by 1m from trades(DATA)"])
            }
            let columns = [xs] + [o, l, h, c].map { numbers($0)?.values ?? [] }
            let width = candleWidth(xs)
            var panels = [Panel(yLabel: "price", xIsTime: xIsTime, series: [Series(name: "", style: .candles, columns: columns)], weight: 3)]
            if let v = find(["volume", "vol", "qty", "v"]), let (vs, _) = numbers(v) {
                panels.append(Panel(yLabel: v.name, xIsTime: xIsTime,
                                    series: [Series(name: "", style: .boxes, columns: [xs, vs, Array(repeating: width, count: xs.count)], colorIndex: 1)],
                                    weight: 1))
            }
            return panels
        case "histogram":
            let ys = try yColumns(t, excluding: xColumn, ctx: ctx)
            let bins = try ctx.integer("bins") ?? 50
            guard (1...10_000).contains(bins) else { throw .at(ctx.range("bins"), "bins must be 1...10000") }
            let target = ys.first ?? xColumn
            guard let (values, _) = numbers(target) else { throw .at(ctx.verbRange, "histogram needs a numeric column") }
            let finite = values.filter(\.isFinite)
            guard let lo = finite.min(), let hi = finite.max() else { throw .at(ctx.verbRange, "no numeric values to count") }
            let width = hi > lo ? (hi - lo) / Double(bins) : 1
            var counts = Array(repeating: 0.0, count: bins)
            for v in finite { counts[min(bins - 1, Int((v - lo) / width))] += 1 }
            let centres = (0..<bins).map { lo + (Double($0) + 0.5) * width }
            return [Panel(xLabel: target.name, yLabel: "count",
                          series: [Series(name: target.name, style: .boxes, columns: [centres, counts, Array(repeating: width * 0.9, count: bins)])])]
        case "heatmap":
            let ys = try yColumns(t, excluding: xColumn, ctx: ctx)
            let zName = try ctx.word("z")
            guard ys.count >= 1, let yc = ys.first else { throw .at(ctx.verbRange, "heatmap needs x, y and z columns") }
            let zc = try zName.map { (n: String) throws(WorkbenchError) -> Column in try column(n, in: t, ctx: ctx, parameter: "z") } ?? (ys.count >= 2 ? ys[1] : nil)
            guard let zc, let (yv, _) = numbers(yc), let (zv, _) = numbers(zc) else {
                throw .at(ctx.verbRange, "heatmap needs x, y and z columns (z=COLUMN)")
            }
            return [Panel(xLabel: xColumn.name, yLabel: yc.name, series: [Series(name: zc.name, style: .image, columns: [xs, yv, zv])])]
        default:
            let style: Series.Style = kind == "step" ? .step : kind == "scatter" ? .scatter : kind == "area" ? .area : .line
            if let by = try ctx.word("by") {
                let key = try column(by, in: t, ctx: ctx, parameter: "by")
                let ys = try yColumns(t, excluding: xColumn, ctx: ctx).filter { $0.name != by }
                guard let yc = ys.first, let (yv, _) = numbers(yc) else { throw .at(ctx.verbRange, "nothing numeric to draw") }
                var groups: [String: [Int]] = [:]
                var order: [String] = []
                for r in 0..<t.rowCount {
                    let k = key.cell(r)
                    if groups[k] == nil { order.append(k) }
                    groups[k, default: []].append(r)
                }
                let series = order.sorted().map { k in
                    Series(name: "\(by)=\(k)", style: style, columns: [groups[k]!.map { xs[$0] }, groups[k]!.map { yv[$0] }])
                }
                return [Panel(xLabel: xIsTime ? nil : xColumn.name, yLabel: yc.name, xIsTime: xIsTime, series: series)]
            }
            let ys = try yColumns(t, excluding: xColumn, ctx: ctx)
            guard !ys.isEmpty else {
                throw .at(ctx.verbRange, "nothing numeric to draw besides '\(xColumn.name)'", notes: ["columns: " + t.columnNames.joined(separator: " ")])
            }
            let series = ys.compactMap { c in numbers(c).map { Series(name: c.name, style: style, columns: [xs, $0.values]) } }
            return [Panel(xLabel: xIsTime ? nil : xColumn.name, yLabel: ys.count == 1 ? ys[0].name : nil, xIsTime: xIsTime, series: series)]
        }
    }

    static func yColumns(_ t: Table, excluding x: Column, ctx: CommandContext) throws(WorkbenchError) -> [Column] {
        let names = try words(ctx, "y")
        if !names.isEmpty {
            var out: [Column] = []
            for n in names {
                let c = try column(n, in: t, ctx: ctx, parameter: "y")
                guard numbers(c) != nil else { throw .at(ctx.range("y"), "column '\(n)' is text, not numbers") }
                out.append(c)
            }
            return out
        }
        return t.columns.filter { $0.name != x.name && numbers($0) != nil }
    }

    static func candleWidth(_ xs: [Double]) -> Double {
        guard xs.count > 1 else { return 1 }
        var gaps = zip(xs.dropFirst(), xs).map { $0 - $1 }.filter { $0 > 0 }
        gaps.sort()
        return (gaps.isEmpty ? 1 : gaps[gaps.count / 2]) * 0.7
    }
}
