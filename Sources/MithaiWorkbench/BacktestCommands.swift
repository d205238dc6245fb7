import Foundation
import MithaiLanguage
public import MithaiEngine
import MithaiMarketData
import MithaiStore

/// A finished (or cancelled) backtest under its name, `r1`, `r2`, ...
public final class RunObject: WorkspaceObject {
    public let kind = "run"
    public let name: String
    public let strategy: StrategyObject
    public let data: DatasetObject
    public let configuration: BacktestConfiguration
    public let configurationText: [(String, String)]
    public let result: BacktestResult
    public let statistics: RunStatistics
    public let status: String
    /// Wall time of the run loop (not part of the digest).
    public let seconds: Double
    /// Engine processing time per event (ns), measured over each decision interval: wall
    /// time of the interval divided by the events it processed, counted once per event.
    public let engineTiming: LatencyHistogram
    /// The sweep this run belongs to and its grid position (nil for a lone backtest).
    let sweepKey: String?
    let sweepIndex: Int?
    /// The instruments of a multi-instrument run, in the order given (empty for a single one;
    /// then `data`, `result` and `statistics` are the run's). For a multi-instrument run those
    /// three are the first instrument's and `portfolio` holds the totals in the base currency.
    public let legs: [RunLeg]
    public let portfolio: PortfolioView?

    init(name: String, strategy: StrategyObject, data: DatasetObject, configuration: BacktestConfiguration,
         configurationText: [(String, String)], result: BacktestResult, statistics: RunStatistics, status: String, seconds: Double,
         engineTiming: LatencyHistogram = LatencyHistogram(), sweep: (key: String, index: Int)? = nil,
         legs: [RunLeg] = [], portfolio: PortfolioView? = nil) {
        self.legs = legs
        self.portfolio = portfolio
        self.engineTiming = engineTiming
        self.sweepKey = sweep?.key
        self.sweepIndex = sweep?.index
        self.name = name
        self.strategy = strategy
        self.data = data
        self.configuration = configuration
        self.configurationText = configurationText
        self.result = result
        self.statistics = statistics
        self.status = status
        self.seconds = seconds
    }

    var valuation: Valuation { result.valuation }
    func money(_ m: Money) -> String { valuation.scale.format(m) }
    func quantity(_ lots: Lots) -> String { DecimalLiteral.format(mantissa: lots &* data.instrument.lotSize.mantissa, scale: Int(data.instrument.lotSize.scale)) }

    /// Several instruments?
    var isMulti: Bool { portfolio != nil }

    public var summary: String {
        if let p = portfolio { return MultiInstrument.summary(self, p) }
        return "run \(name): \(strategy.strategyKind.name) \(strategy.name) on \(data.name), \(Renderer.grouped(result.fills.count)) fills, position \(quantity(result.position)), net \(money(result.netPnL))\(status == "complete" ? "" : " (\(status))")"
    }

    public var display: String {
        if let p = portfolio { return MultiInstrument.display(self, p) }
        var s = "\(name): \(strategy.strategyKind.name) \(strategy.name) on \(data.name): \(Renderer.grouped(result.fills.count)) fills"
        s += ", position \(quantity(result.position)), P&L gross \(money(result.grossPnL)), fees \(money(result.fees)), net \(money(result.netPnL))"
        if status != "complete" { s += " [\(status): partial results]" }
        return s
    }

    public var canonical: String {
        if let p = portfolio { return MultiInstrument.canonical(self, p) }
        var s = "\(strategy.summary)|\(data.canonical)|" + configurationText.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
        s += "|\(status)|\(result.fills.count)|\(result.position)|\(result.grossPnL.units)|\(result.fees.units)|\(result.exchangeEvents)"
        for f in result.fills { s += ";\(f.orderID),\(f.side.rawValue),\(f.price),\(f.quantity),\(f.exchangeTime),\(f.isMaker ? 1 : 0)" }
        return s
    }
}

public enum BacktestCommands {
    static let queueNames = ["riskaverse", "risk_averse", "power", "power2", "power3", "log", "log2"]

    static let specs: [CommandSpec] = [
        CommandSpec("backtest", category: "backtests",
                    summary: "runs a strategy on a dataset through the exchange simulator; makes a run r1, r2, ...",
                    parameters: [
                        Parameter("strategy", .positional, .object("strategy"), required: true, "the strategy (see `strategy`)"),
                        Parameter("data", .keyword("on"), .object("dataset"), required: true,
                                  "the dataset, or several (on perp, spot): one strategy instance per instrument on one clock"),
                        Parameter("from", .option, .time, default: "the start", "first local time to trade"),
                        Parameter("to", .option, .time, default: "the end", "last local time"),
                        Parameter("latency", .option, .value, default: "10ms",
                                  "order entry and response latency: 10ms, entry,response (5ms,8ms), feed+5ms, or a file of measured round trips (req_ts,exch_ts,resp_ts ns per line, interpolated); feed latency always comes from the data's receive times"),
                        Parameter("queue", .option, .word, default: "riskaverse",
                                  "queue model: riskaverse, power:N, power2:N, power3:N, log, log2 (hftbacktest's probabilistic models), fifo (exact, on L3 data)"),
                        Parameter("fill", .option, .choice(["full", "partial"]), default: "full", "full: no partial fills; partial: partial fills"),
                        Parameter("maker", .option, .number, default: "0 (or the instrument's)", "maker fee rate, e.g. -0.5bp (negative is a rebate)"),
                        Parameter("taker", .option, .number, default: "0 (or the instrument's)", "taker fee rate, e.g. 7bp"),
                        Parameter("bin", .option, .duration, default: "1d", "P&L bin for Sharpe, Sortino and VaR"),
                        Parameter("seed", .option, .integer, default: "0", "seed for random models (recorded with the run)"),
                    ],
                    examples: ["strategy mm = grid\nbacktest mm on btc maker=-0.5bp taker=7bp", "backtest mm on btc latency=5ms,8ms queue=power:3 fill=partial"],
                    details: "Ctrl-C stops the run and keeps what ran (status cancelled). Each run is stored in the session database with its parameters, the dataset's hash, fills, orders, equity and statistics, in one transaction. With several datasets (on perp, spot) the strategy runs on each instrument with the same parameters (in that instrument's ticks and lots), its own book, queue, latency, fees and limits, all on one decision clock; the run keeps every instrument's fills, orders and equity, `stats` shows each instrument in its own currency and the total in the base currency set with `fx` (docs/BACKTEST.md).",
                    handler: { ctx in try backtest(&ctx) }),
        CommandSpec("runs", category: "backtests", summary: "lists the runs of this session",
                    examples: ["runs", "runs | sort net desc"], handler: { ctx in runsTable(ctx.workspace) }),
        CommandSpec("stats", category: "backtests", summary: "statistics of runs: P&L split, Sharpe, drawdown, VaR, win rate, inventory, latency",
                    parameters: [Parameter("runs", .positional, .object("run"), default: "the running live session so far, else the latest run", variadic: true, "one or more runs")],
                    examples: ["stats r1", "stats r1 r2"], details: "Formulas: docs/STATISTICS.md.",
                    handler: { ctx in try stats(&ctx) }),
        CommandSpec("compare", category: "backtests", summary: "two runs side by side with the difference",
                    parameters: [Parameter("a", .positional, .object("run"), required: true, "first run"),
                                 Parameter("b", .positional, .object("run"), required: true, "second run")],
                    examples: ["compare r1 r2", "compare r2 r1 | where stat = \"sharpe\""],
                    handler: { ctx in try compare(&ctx) }),
        CommandSpec("perf", category: "backtests",
                    summary: "how fast the engine ran a run: events/s and processing time per event (p50, p99, p99.9); wall-clock, so not replayed by --verify",
                    parameters: [Parameter("run", .positional, .object("run"), required: true, "the run")],
                    examples: ["perf r1", "backtest mm on btc\nperf r2"],
                    handler: { ctx in
                        let r = try run(ctx.exprs("run")[0], &ctx)
                        ctx.session.markResultVolatile()
                        let h = r.engineTiming
                        func ns(_ p: Double) -> String { h.percentile(p).map { Format.duration($0) } ?? "" }
                        let events = r.isMulti ? r.legs.reduce(0) { $0 + $1.result.exchangeEvents } : r.result.exchangeEvents
                        return .table(Table([
                            Column("measure", .text(["events", "seconds", "events_per_s", "ns_per_event_p50", "ns_per_event_p99", "ns_per_event_p999"])),
                            Column(r.name, .text([String(events), Format.real(r.seconds),
                                                  Format.real(Double(events) / max(r.seconds, 1e-9)),
                                                  ns(50), ns(99), ns(99.9)])),
                        ]))
                    }),
        CommandSpec("markouts", category: "backtests",
                    summary: "mean signed mid move after each fill at horizons, in ticks and bps, by maker/taker and side",
                    parameters: [Parameter("run", .positional, .object("run"), required: true, "the run"),
                                 Parameter("horizons", .keyword("at"), .value, default: "100ms,1s,10s", "horizons (durations)")],
                    examples: ["markouts r1", "markouts r1 at 100ms,1s,10s,1m | plot as line x=horizon_s y=move_ticks by=group"],
                    handler: { ctx in try markouts(&ctx) }),
    ]

    static func runObject(_ v: Value, range: SourceRange, ws: Workspace) throws(WorkbenchError) -> RunObject {
        guard case .object(let o) = v, let r = o.as(RunObject.self) else {
            throw .at(range, "expected a run, got \(v.kindName)", notes: ["runs: " + allRuns(ws).map(\.name).joined(separator: " ")])
        }
        return r
    }

    static func run(_ e: Expr, _ ctx: inout CommandContext) throws(WorkbenchError) -> RunObject {
        if case .name(let n, let r) = e, ctx.workspace[n] == nil {
            let known = allRuns(ctx.workspace).map(\.name)
            throw .at(r, "no run named '\(n)'", suggestions: Suggest.names(for: n, among: known),
                      notes: known.isEmpty ? ["make one with: backtest STRATEGY on DATA"] : ["runs: " + known.joined(separator: " ")])
        }
        return try runObject(try ctx.session.evaluate(e, in: &ctx.workspace), range: e.range, ws: ctx.workspace)
    }

    static func allRuns(_ ws: Workspace) -> [RunObject] {
        ws.names.compactMap { if case .object(let o) = ws[$0], let r = o.as(RunObject.self), r.name == $0 { r } else { nil } }
    }

    static func rate(_ ctx: inout CommandContext, _ name: String) throws(WorkbenchError) -> ExactDecimal? {
        guard let v = try ctx.value(name) else { return nil }
        guard case .number(let n) = v, case .decimal(let m, let s) = n, s <= 12 else {
            throw .at(ctx.range(name), "\(name) is a fee rate such as 2.5bp or -0.5bp")
        }
        guard abs(n.double) < 0.1 else { throw .at(ctx.range(name), "\(name) of \(n) is over 10%: write basis points, e.g. 7bp") }
        return ExactDecimal(mantissa: m, scale: Int8(s))
    }

    static func latency(_ ctx: inout CommandContext) throws(WorkbenchError) -> (AnyLatency, String) {
        guard let e = ctx.exprs("latency").first else {
            return (.constant(ConstantLatency(entry: 10 * Time.millisecond, response: 10 * Time.millisecond)), "10ms")
        }
        // A file of measured round trips: `req_ts,exch_ts,resp_ts` in nanoseconds per line.
        if case .path(let p, _) = e { return (.interpolated(try latencyFile(p, range: ctx.range("latency"))), p) }
        if case .literal(.string(let p), _) = e { return (.interpolated(try latencyFile(p, range: ctx.range("latency"))), p) }
        var expr = e
        // `feed+5ms`: feed latency comes from the data in any case; the rest is order latency.
        if case .binary(.add, .name("feed", _), let rest, _) = e { expr = rest }
        let v = try ctx.session.evaluate(expr, in: &ctx.workspace)
        switch v {
        case .duration(let d) where d >= 0:
            return (.constant(ConstantLatency(entry: d, response: d)), Format.duration(d))
        case .list(let items) where items.count == 2:
            guard case .duration(let a) = items[0], case .duration(let b) = items[1], a >= 0, b >= 0 else { break }
            return (.constant(ConstantLatency(entry: a, response: b)), "\(Format.duration(a)),\(Format.duration(b))")
        default: break
        }
        throw .at(ctx.range("latency"), "latency is a duration (10ms), entry,response (5ms,8ms) or feed+DURATION")
    }

    /// Reads `req_ts,exch_ts,resp_ts` rows (ns; a header line is allowed; exch_ts <= 0 marks a
    /// rejected order) for the interpolated latency model. Errors name the file and line.
    static func latencyFile(_ path: String, range: SourceRange) throws(WorkbenchError) -> InterpolatedLatency {
        let expanded = (path as NSString).expandingTildeInPath
        guard let text = try? String(contentsOfFile: expanded, encoding: .utf8) else {
            throw .at(range, "cannot read the latency file '\(path)'")
        }
        var samples: [LatencySample] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if fields.isEmpty || fields == [""] { continue }
            guard fields.count >= 3, let a = Int64(fields[0]), let b = Int64(fields[1]), let c = Int64(fields[2]) else {
                if i == 0 { continue } // header
                throw .failed("\(path):\(i + 1): expected req_ts,exch_ts,resp_ts in nanoseconds, got '\(line)'")
            }
            if let last = samples.last, a < last.request {
                throw .failed("\(path):\(i + 1): request times must not decrease")
            }
            samples.append(LatencySample(request: a, exchange: b, response: c))
        }
        guard !samples.isEmpty else { throw .failed("\(path): no latency samples") }
        return InterpolatedLatency(samples: samples)
    }

    static func queue(_ ctx: inout CommandContext) throws(WorkbenchError) -> QueueModelKind {
        guard let text = try ctx.word("queue") else { return .riskAverse }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let n = parts.count == 2 ? Double(parts[1]) : nil
        switch parts[0] {
        case "riskaverse", "risk_averse", "risk-averse", "fifo": return .riskAverse
        case "log": return .log
        case "log2": return .log2
        case "power", "power2", "power3":
            guard let n, n > 0 else { throw .at(ctx.range("queue"), "\(parts[0]) takes its exponent: \(parts[0]):3") }
            return parts[0] == "power" ? .power(n) : parts[0] == "power2" ? .power2(n) : .power3(n)
        default:
            throw .at(ctx.range("queue"), "unknown queue model '\(text)'", suggestions: Suggest.names(for: parts[0], among: queueNames),
                      notes: ["models: riskaverse power:N power2:N power3:N log log2"])
        }
    }

    static func gridParameters(_ s: StrategyObject, lot: ExactDecimal, range: SourceRange) throws(WorkbenchError) -> GridParameters {
        func number(_ n: String) -> Number { if case .number(let x) = s.value(n) { x } else { Number(0) } }
        func lots(_ n: String) throws(WorkbenchError) -> Lots {
            let q = number(n)
            guard case .decimal(let m, let sc) = q, let exact = ExactDecimal(mantissa: m, scale: Int8(sc)).multiple(of: lot) else {
                throw .at(range, "\(s.name).\(n) = \(q) is not a whole number of lots (lot \(lot))")
            }
            return exact
        }
        func ticks(_ n: String) throws(WorkbenchError) -> Int64 {
            guard let t = number(n).integer else { throw .at(range, "\(s.name).\(n) must be a whole number of ticks") }
            return t
        }
        let interval: Nanos = { if case .duration(let d) = s.value("interval") { d } else { 100 * Time.millisecond } }()
        let skew = number("skew")
        let skewExact: ExactDecimal = { if case .decimal(let m, let sc) = skew { ExactDecimal(mantissa: m, scale: Int8(sc)) } else { .zero } }()
        let step = try ticks("step")
        guard step > 0 else { throw .at(range, "\(s.name).step must be at least 1 tick") }
        let qty = try lots("qty")
        guard qty > 0 else { throw .at(range, "\(s.name).qty must be positive") }
        let (adverse, sizing) = sharedPieces(s)
        return GridParameters(levels: Int(number("levels").integer ?? 20), gridIntervalTicks: step, halfSpreadTicks: try ticks("half_spread"),
                              orderQuantity: qty, maxPosition: try lots("max_position"), skew: skewExact, decisionInterval: interval,
                              adverseSelection: adverse, sizing: sizing)
    }

    /// The adverse-selection guard (`guard=off|widen|pull`) and volatility sizing
    /// (`sizing=off|ewma|garch`) every strategy kind accepts, with the same parameters.
    static func sharedPieces(_ s: StrategyObject) -> (AdverseSelectionParameters?, VolatilitySizingParameters?) {
        func word(_ n: String) -> String { if case .string(let w) = s.value(n) { w } else { "off" } }
        let guardMode = word("guard")
        let adverse: AdverseSelectionParameters? = guardMode == "off" ? nil : AdverseSelectionParameters(pull: guardMode == "pull")
        let sizingMode = word("sizing")
        let sizing: VolatilitySizingParameters? = sizingMode == "off" ? nil
            : VolatilitySizingParameters(model: sizingMode == "garch" ? .garch(omega: 0.000001, alpha: 0.1, beta: 0.85) : .ewma(halfLife: 100))
        return (adverse, sizing)
    }

    /// Everything a run needs besides the strategy's parameters, parsed once (a sweep shares it).
    struct RunSetup: @unchecked Sendable {
        // @unchecked: immutable after parsing; the dataset is Sendable and read-only.
        var data: DatasetObject
        var latency: AnyLatency
        var latencyText: String
        var queue: QueueModelKind
        var fifo: Bool
        var fill: String
        var maker: ExactDecimal
        var taker: ExactDecimal
        var bin: Nanos
        var seed: Int
        var window: Range<Int>
        var strategyRange: SourceRange
        /// Fee table and funding of the dataset, and the session's risk limits.
        var costs: InstrumentCosts? = nil
        var risk: RiskSettings? = nil

        /// Applies the costs and limits to a configuration; returns their `key=value` lines.
        func apply(to config: inout BacktestConfiguration) -> [(String, String)] {
            var text: [(String, String)] = []
            if let c = costs?.charges { config.charges = c; text.append(("fees", costs!.chargesLabel.isEmpty ? c.name : costs!.chargesLabel)) }
            if let f = costs?.funding { config.settings.funding = f; text.append(("funding", InstrumentCommands.fundingText(f))) }
            if let r = risk {
                config.settings.risk = RiskCommands.limits(r, lot: config.lotSize, presetKey: costs?.presetKey)
                text.append(("risk", r.text))
            }
            return text
        }
        /// The other instruments of a multi-instrument run (`on btc, eth`), each with its own
        /// fees and trading window; empty for a single one.
        var others: [LegSetup] = []
        /// Rates into the base currency for a multi-instrument run (see `fx`).
        var fx: FXRates? = nil
    }

    struct LegSetup: @unchecked Sendable {
        var data: DatasetObject
        var window: Range<Int>
        var maker: ExactDecimal
        var taker: ExactDecimal
    }

    static func strategyObject(_ ctx: inout CommandContext) throws(WorkbenchError) -> StrategyObject {
        guard let se = ctx.exprs("strategy").first else { throw .at(ctx.verbRange, "which strategy?") }
        if case .name(let n, let r) = se, ctx.workspace[n] == nil {
            throw .at(r, "no strategy named '\(n)'", notes: ["define one: strategy \(n) = grid"])
        }
        guard case .object(let so) = try ctx.session.evaluate(se, in: &ctx.workspace), let strategy = so.as(StrategyObject.self) else {
            throw .at(se.range, "expected a strategy", notes: ["define one: strategy mm = grid"])
        }
        return strategy
    }

    static func setup(_ ctx: inout CommandContext) throws(WorkbenchError) -> RunSetup {
        // `on btc, eth`: several instruments in one run, each with its own book and limits.
        let all: [DatasetObject]
        if let e = ctx.exprs("data").first, case .list(let items, _) = e {
            all = try MultiInstrument.datasets(items, &ctx)
        } else {
            all = [try DataCommands.dataset(&ctx)]
        }
        for d in all where d.dataset.eventCount == 0 {
            throw .at(ctx.range("data"), "\(d.name) has no events to trade on (bars only?)")
        }
        let (lat, latText) = try latency(&ctx)
        let q = try queue(&ctx)
        let fill = try ctx.choice("fill") ?? "full"
        let givenMaker = try rate(&ctx, "maker")
        let givenTaker = try rate(&ctx, "taker")
        let bin = try ctx.value("bin").map { (v: Value) throws(WorkbenchError) -> Nanos in
            guard case .duration(let b) = v, b > 0 else { throw .at(ctx.range("bin"), "bin is a positive duration, e.g. 1h") }
            return b
        } ?? Time.day
        let seed = try ctx.integer("seed") ?? 0
        // queue=fifo: exact queue positions from order-by-order data.
        // A simulated market's order-by-order flow is traded as the live venue trades it: FIFO.
        let fifo = try ctx.word("queue") == "fifo" || ctx.datasetOverride?.dataset.isOrderByOrder == true
        var legs: [LegSetup] = []
        for d in all {
            if fifo && !d.dataset.isOrderByOrder {
                throw .at(ctx.range("queue"), "queue=fifo needs order-by-order (L3) data; \(d.name) is L2", notes: ["use riskaverse or a probabilistic model"])
            }
            // The trading window, by local time.
            var lo = 0, hi = d.dataset.eventCount
            if let v = try ctx.value("from") { lo = DataCommands.eventsUpTo(try DataCommands.instant(v, for: d, range: ctx.range("from")) - 1, in: d.dataset) }
            if let v = try ctx.value("to") { hi = DataCommands.eventsUpTo(try DataCommands.instant(v, for: d, range: ctx.range("to")), in: d.dataset) }
            guard hi > lo else { throw .at(ctx.range("from"), "no events \(all.count > 1 ? "of \(d.name) " : "")between from= and to=") }
            legs.append(LegSetup(data: d, window: lo..<hi, maker: givenMaker ?? d.makerFee ?? .zero, taker: givenTaker ?? d.takerFee ?? .zero))
        }
        var setup = RunSetup(data: legs[0].data, latency: lat, latencyText: latText, queue: q, fifo: fifo, fill: fill,
                             maker: legs[0].maker, taker: legs[0].taker, bin: bin, seed: seed, window: legs[0].window,
                             strategyRange: ctx.range("strategy"), costs: legs[0].data.costs, risk: ctx.workspace.risk)
        if legs.count > 1 {
            setup.others = Array(legs.dropFirst())
            setup.fx = try MultiInstrument.rates(for: all, ctx.workspace, range: ctx.range("data"))
        }
        return setup
    }

    /// Runs one backtest. Pure apart from `progress` (may be called from any thread): the same
    /// setup and strategy give the same result bit for bit, alone or inside a sweep.
    static func simulate(_ setup: RunSetup, _ strategy: StrategyObject, name: String, sweep: (key: String, index: Int)? = nil,
                         progress: @escaping (Double) -> Bool) throws(WorkbenchError) -> RunObject {
        if !setup.others.isEmpty { return try MultiInstrument.simulate(setup, strategy, name: name, sweep: sweep, progress: progress) }
        let d = setup.data
        let exchange: ExchangeBehaviour = setup.fifo ? .l3FIFO : setup.fill == "partial" ? .partialFill : .noPartialFill
        var config = BacktestConfiguration(instrument: d.instrument, exchange: exchange, queue: setup.queue, latency: setup.latency,
                                           fees: TradingValueFees(makerRate: setup.maker, takerRate: setup.taker))
        let costText = setup.apply(to: &config)
        let isGrid = strategy.strategyKind.name == "grid"
        var grid = GridParameters()
        var model: MarketMakingModel?
        var inventoryLimit: Lots
        if isGrid {
            grid = try gridParameters(strategy, lot: d.instrument.lotSize, range: setup.strategyRange)
            config.settings.decisionInterval = grid.decisionInterval
            inventoryLimit = grid.maxPosition
        } else {
            let (m, limit) = try marketMakingModel(strategy, lot: d.instrument.lotSize, range: setup.strategyRange)
            model = m
            inventoryLimit = limit
            config.settings.decisionInterval = m.decisionInterval
        }
        let unwind = try UnwindBinding.parameters(strategy, lot: d.instrument.lotSize, range: setup.strategyRange)
        let start = ContinuousClock.now
        var first: Nanos = 0, last: Nanos = 1
        var timing = LatencyHistogram()
        let result: BacktestResult = d.dataset.withEvents { all in
            let local = UnsafeBufferPointer(rebasing: all[setup.window])
            first = local.first?.localTime ?? 0
            last = max(first + 1, local.last?.localTime ?? 1)
            let f = first, l = last
            var lastWall = ContinuousClock.now
            var lastIndex = 0
            // Called after every decision: time the interval's events (the engine has no clock).
            let shouldContinue = { (t: Nanos) -> Bool in
                let now = ContinuousClock.now
                var lo = lastIndex, hi = local.count
                while lo < hi { let mid = (lo + hi) / 2; if local[mid].localTime <= t { lo = mid + 1 } else { hi = mid } }
                let events = lo - lastIndex
                if events > 0 {
                    let c = (now - lastWall).components
                    let ns = c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
                    timing.record(ns / Int64(events), times: UInt64(events))
                }
                lastWall = now
                lastIndex = lo
                return progress(Double(t - f) / Double(l - f))
            }
            // The runner sorts a copy for the exchange only when exchange times are out of order.
            if let model {
                return BacktestRunner.runMarketMaker(config, model: model, base: d.dataset.baseTick, events: local,
                                                     checkEvery: 1, shouldContinue: shouldContinue, unwind: unwind)
            }
            return BacktestRunner.runGrid(config, grid: grid, base: d.dataset.baseTick, events: local,
                                          checkEvery: 1, shouldContinue: shouldContinue, unwind: unwind).result
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds)
        let status = result.stoppedEarly ? "cancelled" : "complete"
        let statistics = RunStatistics(result, options: .init(binLength: setup.bin, inventoryLimit: inventoryLimit))
        let configText: [(String, String)] = [("latency", setup.latencyText), ("queue", setup.fifo ? "l3_fifo" : setup.queue.description),
                                              ("fill", setup.fill), ("maker", setup.maker.description), ("taker", setup.taker.description),
                                              ("bin", Format.duration(setup.bin)), ("seed", String(setup.seed)),
                                              ("from", String(first)), ("to", String(last))] + costText
        return RunObject(name: name, strategy: strategy, data: d, configuration: config, configurationText: configText,
                         result: result, statistics: statistics, status: status, seconds: seconds, engineTiming: timing,
                         sweep: sweep)
    }

    /// The engine model of a spread, as or glft strategy, with its limits in lots.
    static func marketMakingModel(_ s: StrategyObject, lot: ExactDecimal, range: SourceRange) throws(WorkbenchError) -> (MarketMakingModel, Lots) {
        func number(_ n: String) -> Double { if case .number(let x) = s.value(n) { x.double } else { 0 } }
        func word(_ n: String) -> String { if case .string(let w) = s.value(n) { w } else { "" } }
        func duration(_ n: String) -> Nanos { if case .duration(let d) = s.value(n) { d } else { 0 } }
        func lots(_ n: String) throws(WorkbenchError) -> Lots {
            guard case .number(let q) = s.value(n), case .decimal(let m, let sc) = q,
                  let exact = ExactDecimal(mantissa: m, scale: Int8(sc)).multiple(of: lot) else {
                throw .at(range, "\(s.name).\(n) is not a whole number of lots (lot \(lot))")
            }
            return exact
        }
        let qty = try lots("qty")
        guard qty > 0 else { throw .at(range, "\(s.name).qty must be positive") }
        let maxPosition = try lots("max_position")
        let inventory = InventoryParameters(maxPosition: maxPosition, maxNotional: number("max_notional"),
                                            skewTicksPerLot: number("skew") * lot.doubleValue, reduceOnlyOverLimit: true)
        let (adverse, sizing) = sharedPieces(s)
        let reference: ReferencePrice = word("reference") == "microprice" ? .microprice : .mid
        let requote = Int64(number("requote"))
        let interval = duration("interval")
        switch s.strategyKind.name {
        case "spread":
            return (.spread(SpreadParameters(reference: reference, halfSpreadTicks: number("half_spread"), volatilityMultiplier: number("vol_mult"),
                                             orderQuantity: qty, requoteThresholdTicks: requote, inventory: inventory, adverseSelection: adverse,
                                             sizing: sizing, decisionInterval: interval)), maxPosition)
        case "as":
            guard number("gamma") > 0, number("k") > 0 else { throw .at(range, "\(s.name): gamma and k must be positive") }
            let horizon: ASHorizon = duration("horizon") > 0 ? .finite(seconds: Double(duration("horizon")) / 1e9) : .infinite(omega: nil)
            return (.avellanedaStoikov(ASParameters(gamma: number("gamma"), k: number("k"), horizon: horizon, reference: reference,
                                                    orderQuantity: qty, requoteThresholdTicks: requote, inventory: inventory,
                                                    adverseSelection: adverse, sizing: sizing, decisionInterval: interval)), maxPosition)
        default:
            guard number("gamma") > 0, number("delta") > 0 else { throw .at(range, "\(s.name): gamma and delta must be positive") }
            return (.glft(GLFTParameters(gamma: number("gamma"), delta: number("delta"), adj1: number("adj1"), adj2: number("adj2"),
                                         recalibrateEvery: max(1, duration("recalibrate")), reference: reference, orderQuantity: qty,
                                         levels: max(1, Int(number("levels"))), gridIntervalTicks: Int64(number("step")),
                                         requoteThresholdTicks: requote, inventory: inventory, adverseSelection: adverse, sizing: sizing,
                                         decisionInterval: interval)), maxPosition)
        }
    }

    static func backtest(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let strategy = try strategyObject(&ctx)
        let setup = try setup(&ctx)
        let session = ctx.session
        let cancellation = session.cancellation
        let label = "backtest \(strategy.name) on \(setup.data.name)"
        let object = try simulate(setup, strategy, name: nextRunName(ctx.workspace)) { fraction in
            session.progress?.update(label, fraction: fraction)
            return !cancellation.isCancelled
        }
        if object.status == "cancelled" { cancellation.reset() }
        try store(object, session: session)
        ctx.workspace.define(object.name, .object(ObjectRef(object)))
        // Alerts are checked over the run and its data, in simulated time.
        if !ctx.workspace.alerts.rules.isEmpty {
            session.announce(try AlertReplay.run(book: &ctx.workspace.alerts, data: setup.data, run: object, session: session), zone: setup.data.zone)
        }
        return .object(ObjectRef(object))
    }

    /// The permutation that sorts events by exchange time (stable), or nil when they already are.
    public static func exchangeOrder(_ events: UnsafeBufferPointer<Event>) -> [Int]? {
        var i = 1
        while i < events.count && events[i].exchTime >= events[i - 1].exchTime { i += 1 }
        if i >= events.count { return nil }
        return events.indices.sorted { a, b in
            events[a].exchTime != events[b].exchTime ? events[a].exchTime < events[b].exchTime : a < b
        }
    }

    static func nextRunName(_ ws: Workspace) -> String {
        var k = 1
        while ws[("r\(k)")] != nil { k += 1 }
        return "r\(k)"
    }

    /// Writes the run to the session database (one transaction); no-op without a journal.
    static func store(_ r: RunObject, session: Session) throws(WorkbenchError) {
        guard let store = session.runStore else { return }
        var fills = RunRecord.Fills()
        var orders = RunRecord.Orders()
        var equity = RunRecord.Equity()
        // One part per instrument (leg 0 alone for a single-instrument run).
        let parts: [(data: DatasetObject, result: BacktestResult)] = r.isMulti ? r.legs.map { ($0.data, $0.result) } : [(r.data, r.result)]
        for (k, part) in parts.enumerated() {
            let v = part.result.valuation, leg = Int64(k)
            for f in part.result.fills {
                fills.exchTime.append(f.exchangeTime); fills.localTime.append(f.localTime); fills.orderID.append(Int64(f.orderID))
                fills.side.append(f.side.rawValue); fills.priceTicks.append(f.price); fills.quantityLots.append(f.quantity)
                fills.isMaker.append(f.isMaker); fills.fee.append(v.scale.double(f.fee)); fills.leg.append(leg)
            }
            for o in part.result.orders {
                orders.orderID.append(Int64(o.id)); orders.submitTime.append(o.submitTime); orders.side.append(o.side.rawValue)
                orders.type.append(o.type.description); orders.timeInForce.append(o.timeInForce.description)
                orders.priceTicks.append(o.price); orders.quantityLots.append(o.quantity); orders.filledLots.append(o.executed)
                orders.status.append(o.status.description); orders.reason.append(o.reason == .none ? "" : o.reason.description)
                orders.leg.append(leg)
            }
            for e in part.result.equity {
                equity.time.append(e.time); equity.positionLots.append(e.position); equity.midTicks.append(e.markHalfTicks / 2)
                equity.equity.append(v.scale.double(e.equity)); equity.leg.append(leg)
            }
        }
        if let p = r.portfolio {
            for e in p.portfolio.equity {
                equity.time.append(e.time); equity.positionLots.append(0); equity.midTicks.append(0)
                equity.equity.append(p.portfolio.scale.double(e.equity)); equity.leg.append(-1)
            }
        }
        let events = parts.reduce(0) { $0 + $1.result.exchangeEvents }
        var record = RunRecord(name: r.name, kind: r.configurationText.contains { $0.0 == "live" } ? "live" : "backtest", strategy: r.strategy.name, strategyKind: r.strategy.strategyKind.name,
                               parameters: r.strategy.values.map { ($0.name, $0.value.display) } + r.configurationText,
                               dataset: parts.map(\.data.name).joined(separator: ","), datasetHash: r.data.dataset.contentHash,
                               datasetPath: r.data.dataset.sources.first ?? "", symbol: parts.map(\.data.instrument.symbol).joined(separator: ","),
                               tickSize: r.data.instrument.tickSize.description, lotSize: r.data.instrument.lotSize.description,
                               engineVersion: Session.engineVersion, status: r.status, events: Int64(events),
                               seed: 0, fills: fills, orders: orders, equity: equity,
                               stats: statisticsRows(r).map { ($0.0, $0.2) })
        record.instruments = parts.enumerated().map { k, part in
            let d = part.data
            return RunRecord.Instrument(name: d.name, dataset: d.name, datasetHash: d.dataset.contentHash, datasetPath: d.dataset.sources.first ?? "",
                                        symbol: d.instrument.symbol, tickSize: d.instrument.tickSize.description,
                                        lotSize: d.instrument.lotSize.description,
                                        currency: r.portfolio?.portfolio.legs[k].currency ?? MultiInstrument.currency(d.instrument),
                                        fxRate: r.portfolio?.portfolio.legs[k].rate.description ?? "1")
        }
        if r.isMulti {
            for k in r.legs.indices {
                for row in MultiInstrument.legRows(r, k) { record.legStats.append((Int64(k), row.0, row.2)) }
            }
        }
        var stored = record
        stored.breaches = breachRecords(r)
        stored.sweepKey = r.sweepKey
        stored.sweepIndex = r.sweepIndex.map(Int64.init)
        do { try store.save(stored, sessionID: session.journal?.sessionID) } catch {
            throw .failed("the run could not be stored: \(error)")
        }
    }

    /// (name, text, value) for every statistic, in the order `stats` shows them.
    static func statisticsRows(_ r: RunObject) -> [(String, String, Double)] {
        if let p = r.portfolio { return MultiInstrument.totalRows(r, p) }
        return statisticsRows(r.statistics, r.result, r.data,
                              extra: costRows(r) + riskRows(r) + executionRows(r))
    }

    /// The statistics of one instrument's result.
    /// `extra` rows (fee table, funding, risk, execution) go before the inventory rows.
    static func statisticsRows(_ s: RunStatistics, _ result: BacktestResult, _ data: DatasetObject,
                               extra: [(String, (String, Double))] = []) -> [(String, String, Double)] {
        let v = result.valuation
        func quantity(_ lots: Lots) -> String { DecimalLiteral.format(mantissa: lots &* data.instrument.lotSize.mantissa, scale: Int(data.instrument.lotSize.scale)) }
        func m(_ x: Money) -> (String, Double) { (v.scale.format(x), v.scale.double(x)) }
        func d(_ x: Double?, _ digits: Int = 4) -> (String, Double) { x.map { (Format.real($0), $0) } ?? ("", .nan) }
        func ns(_ x: Int64?) -> (String, Double) { x.map { (Format.duration($0), Double($0)) } ?? ("", .nan) }
        var rows: [(String, (String, Double))] = [
            ("pnl_net", m(s.pnl.net + result.funding)), ("pnl_gross", m(s.pnl.gross)), ("fees", m(s.pnl.fees)),
            ("spread_capture", m(s.pnl.spreadCapture)), ("inventory_pnl", m(s.pnl.inventory)),
            ("final_position", (quantity(result.position), v.lotSize.doubleValue * Double(result.position))),
            ("fills", d(Double(s.trades.fills))), ("maker_fills", d(Double(s.trades.makerFills))), ("taker_fills", d(Double(s.trades.takerFills))),
            ("round_trips", d(Double(s.trades.roundTrips))), ("win_rate", d(s.trades.winRate)), ("win_rate_after_fees", d(s.trades.winRateAfterFees)),
            ("profit_factor", d(s.trades.profitFactor)), ("turnover", d(s.trades.turnover)),
            ("return_over_trade_bps", d(s.trades.returnOverTradeBps)), ("fill_ratio", d(s.trades.fillRatio)),
            ("order_to_trade", d(s.trades.orderToTradeRatio)),
            ("sharpe", d(s.returns.sharpe)), ("sortino", d(s.returns.sortino)), ("calmar", d(s.returns.calmar)),
            ("annualization_factor", d(s.returns.annualizationFactor)), ("bins", d(Double(s.returns.bins))),
            ("max_drawdown", d(s.drawdown.maxValue)), ("max_drawdown_duration", ns(s.drawdown.maxDuration)),
        ]
        for (label, v) in [("95", s.var95), ("99", s.var99)] {
            rows.append(("var\(label)_hist", d(v?.historicalVaR))); rows.append(("cvar\(label)_hist", d(v?.historicalCVaR)))
            rows.append(("var\(label)_param", d(v?.parametricVaR))); rows.append(("cvar\(label)_param", d(v?.parametricCVaR)))
        }
        rows += extra
        rows += [("inventory_mean_abs", d(s.inventory.timeWeightedMeanAbs * v.lotSize.doubleValue)),
                 ("inventory_max_abs", (quantity(s.inventory.maxAbs), Double(s.inventory.maxAbs) * v.lotSize.doubleValue)),
                 ("time_at_limit", d(s.inventory.timeAtLimit)),
                 ("tick_to_order_p50", ns(s.tickToOrder?.p50)), ("tick_to_order_p99", ns(s.tickToOrder?.p99)),
                 ("tick_to_order_p999", ns(s.tickToOrder?.p999)), ("order_rtt_p50", ns(s.orderRoundTrip?.p50)),
                 ("order_rtt_p99", ns(s.orderRoundTrip?.p99)), ("order_rtt_p999", ns(s.orderRoundTrip?.p999)),
                 ("events", d(Double(result.exchangeEvents)))]
        return rows.map { ($0.0, $0.1.0, $0.1.1) }
    }

    static func stats(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        var runs: [RunObject] = []
        for e in ctx.exprs("runs") {
            if case .list(let items, _) = e { for i in items { runs.append(try run(i, &ctx)) } } else { runs.append(try run(e, &ctx)) }
        }
        if runs.isEmpty { runs = try LiveCommands.runsSoFar(&ctx) }
        for r in runs {
            let bins = (r.portfolio?.returns ?? r.statistics.returns).bins
            guard bins < 10 else { continue }
            ctx.session.print("note: \(r.name)'s Sharpe, Sortino and VaR rest on \(bins) P&L bin\(bins == 1 ? "" : "s") of \(Format.duration(r.statistics.binned.binLength)); for short data run the backtest with a smaller bin=, e.g. bin=1m\n", to: .err)
        }
        // A column per run; a multi-instrument run adds a column per instrument (its own
        // currency) before its total in the base currency. Runs may have different rows (fee
        // table, funding, risk, execution, instrument legs): rows are the union, aligned by name.
        var parts: [(String, [(String, String, Double)])] = []
        for r in runs {
            if r.isMulti {
                for k in r.legs.indices { parts.append(("\(r.name):\(r.legs[k].data.name)", MultiInstrument.legRows(r, k))) }
                parts.append((r.name, statisticsRows(r)))
            } else {
                parts.append((r.name, statisticsRows(r)))
            }
        }
        var names: [String] = []
        for (_, rows) in parts { for row in rows where !names.contains(row.0) { names.append(row.0) } }
        var columns = [Column("stat", .text(names))]
        for (label, rows) in parts {
            columns.append(Column(label, .text(names.map { n in rows.first { $0.0 == n }?.1 ?? "" })))
        }
        return .table(Table(columns))
    }

    static func compare(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let a = try run(ctx.exprs("a")[0], &ctx), b = try run(ctx.exprs("b")[0], &ctx)
        // Runs may have different rows (fee table, funding, risk, execution): align by name.
        let ra = statisticsRows(a), rb = statisticsRows(b)
        var names = ra.map(\.0)
        for r in rb where !names.contains(r.0) { names.append(r.0) }
        let xa = Dictionary(ra.map { ($0.0, $0) }, uniquingKeysWith: { x, _ in x })
        let xb = Dictionary(rb.map { ($0.0, $0) }, uniquingKeysWith: { x, _ in x })
        let diff = names.map { n -> Double in
            guard let x = xa[n]?.2, let y = xb[n]?.2, x.isFinite, y.isFinite else { return .nan }
            return y - x
        }
        return .table(Table([Column("stat", .text(names)), Column(a.name, .text(names.map { xa[$0]?.1 ?? "" })),
                             Column(b.name, .text(names.map { xb[$0]?.1 ?? "" })), Column("\(b.name)-\(a.name)", .real(diff))]))
    }

    static func runsTable(_ ws: Workspace) -> Value {
        let runs = allRuns(ws)
        return .table(Table([
            Column("run", .text(runs.map(\.name))), Column("strategy", .text(runs.map { "\($0.strategy.strategyKind.name) \($0.strategy.name)" })),
            Column("data", .text(runs.map { $0.isMulti ? $0.legs.map(\.data.name).joined(separator: ",") : $0.data.name })),
            Column("status", .text(runs.map(\.status))),
            Column("fills", .int(runs.map { r in Int64(r.isMulti ? r.legs.reduce(0) { $0 + $1.result.fills.count } : r.result.fills.count) })),
            // A multi-instrument run has no single position; its money is the base currency's.
            Column("position", .real(runs.map { $0.isMulti ? .nan : Double($0.result.position) * $0.valuation.lotSize.doubleValue })),
            Column("net", .real(runs.map { r in r.portfolio.map { $0.portfolio.scale.double($0.portfolio.total(\.netPnL)) } ?? r.valuation.scale.double(r.result.netPnL) })),
            Column("sharpe", .real(runs.map { r in (r.portfolio?.returns ?? r.statistics.returns).sharpe ?? .nan })),
            Column("max_dd", .real(runs.map { r in (r.portfolio?.drawdown ?? r.statistics.drawdown).maxValue })),
        ]))
    }

    static func markouts(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let r = try run(ctx.exprs("run")[0], &ctx)
        var horizons: [Nanos] = [100 * Time.millisecond, Time.second, 10 * Time.second]
        if let v = try ctx.value("horizons") {
            let items: [Value] = { if case .list(let l) = v { l } else { [v] } }()
            horizons = []
            for i in items {
                guard case .duration(let h) = i, h > 0 else { throw .at(ctx.range("horizons"), "horizons are positive durations: at 100ms,1s,10s") }
                horizons.append(h)
            }
        }
        return try markoutsTable(r, horizons: horizons)
    }

    static func markoutsTable(_ r: RunObject, horizons: [Nanos]) throws(WorkbenchError) -> Value {
        if r.isMulti {
            // One block of groups per instrument, with an instrument column first.
            var tables: [Table] = []
            for leg in r.legs {
                guard case .table(let t) = markoutsTable(leg.data, leg.result.fills, horizons: horizons) else { continue }
                tables.append(Table([Column("instrument", .text(Array(repeating: leg.data.name, count: t.rowCount)))] + t.columns))
            }
            return .table(MultiInstrument.concatenate(tables))
        }
        return markoutsTable(r.data, r.result.fills, horizons: horizons)
    }

    static func markoutsTable(_ d: DatasetObject, _ fills: ContiguousArray<Fill>, horizons: [Nanos]) -> Value {
        let m: Markouts = d.dataset.withEvents { all in
            if let order = exchangeOrder(all) {
                let sorted = order.map { all[$0] }
                return sorted.withUnsafeBufferPointer { Markouts.compute(fills: fills, exchangeFeed: $0, base: d.dataset.baseTick, horizons: horizons) }
            }
            return Markouts.compute(fills: fills, exchangeFeed: all, base: d.dataset.baseTick, horizons: horizons)
        }
        let g = m.groups
        func group(_ x: Markouts.Group) -> String {
            (x.isMaker.map { $0 ? "maker" : "taker" } ?? "all") + (x.side == .none ? "" : x.side == .buy ? " buy" : " sell")
        }
        return .table(Table([
            Column("group", .text(g.map(group))), Column("horizon", .duration(g.map(\.horizon))),
            Column("horizon_s", .real(g.map { Double($0.horizon) / 1e9 })),
            Column("fills", .int(g.map { Int64($0.count) })),
            Column("move_ticks", .real(g.map { $0.meanMoveTicks ?? .nan })), Column("move_bps", .real(g.map { $0.meanMoveBps ?? .nan })),
            Column("pnl_ticks", .real(g.map { $0.meanPnLTicks ?? .nan })),
        ]))
    }

    // MARK: - Table views of runs: fills(r1), orders(r1), equity(r1)

    static func fills(_ r: RunObject) -> Table {
        if r.isMulti { return MultiInstrument.table("fills", r, only: nil) }
        return fills(r.result, r.data)
    }

    /// One instrument's fills.
    static func fills(_ result: BacktestResult, _ d: DatasetObject) -> Table {
        let f = result.fills
        return Table([
            Column("ts", .timestamp(f.map(\.exchangeTime), zone: d.zone)), Column("local_ts", .timestamp(f.map(\.localTime), zone: d.zone)),
            Column("order_id", .int(f.map { Int64($0.orderID) })), Column("side", .text(f.map { $0.side == .buy ? "buy" : "sell" })),
            Column("px", .decimal(f.map { d.priceMantissa($0.price) }, scale: d.priceScale)),
            Column("qty", .decimal(f.map { d.quantityMantissa($0.quantity) }, scale: d.quantityScale)),
            Column("maker", .bool(f.map(\.isMaker))), Column("fee", .real(f.map { result.valuation.scale.double($0.fee) })),
            Column("position", .decimal(f.map { d.quantityMantissa($0.positionAfter) }, scale: d.quantityScale)),
        ])
    }

    static func orders(_ r: RunObject) -> Table {
        if r.isMulti { return MultiInstrument.table("orders", r, only: nil) }
        return orders(r.result, r.data)
    }

    /// One instrument's orders.
    static func orders(_ result: BacktestResult, _ d: DatasetObject) -> Table {
        let o = result.orders
        return Table([
            Column("submitted", .timestamp(o.map(\.submitTime), zone: d.zone)), Column("order_id", .int(o.map { Int64($0.id) })),
            Column("side", .text(o.map { $0.side == .buy ? "buy" : "sell" })), Column("type", .text(o.map(\.type.description))),
            Column("tif", .text(o.map(\.timeInForce.description))),
            Column("px", .decimal(o.map { d.priceMantissa($0.price) }, scale: d.priceScale)),
            Column("qty", .decimal(o.map { d.quantityMantissa($0.quantity) }, scale: d.quantityScale)),
            Column("filled", .decimal(o.map { d.quantityMantissa($0.executed) }, scale: d.quantityScale)),
            Column("status", .text(o.map(\.status.description))), Column("reason", .text(o.map { $0.reason == .none ? "" : $0.reason.description })),
        ])
    }

    static func equity(_ r: RunObject) -> Table {
        if r.isMulti { return MultiInstrument.table("equity", r, only: nil) }
        return equity(r.result, r.data)
    }

    /// One instrument's equity.
    static func equity(_ result: BacktestResult, _ d: DatasetObject) -> Table {
        let e = result.equity
        return Table([
            Column("ts", .timestamp(e.map(\.time), zone: d.zone)),
            Column("position", .decimal(e.map { d.quantityMantissa($0.position) }, scale: d.quantityScale)),
            // No mid before the book has both sides.
            Column("mid", .real(e.map { $0.markHalfTicks == 0 ? .nan : Double($0.markHalfTicks) / 2 * d.instrument.tickSize.doubleValue })),
            Column("equity", .real(e.map { result.valuation.scale.double($0.equity) })),
            Column("fees", .real(e.map { result.valuation.scale.double($0.fees) })),
        ])
    }
}
