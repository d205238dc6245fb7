import Foundation
import MithaiLanguage
public import MithaiEngine
import MithaiMarketData

/// `twap`, `vwap`, `iceberg`: a parent order worked by an execution algorithm on a dataset,
/// through the exchange simulator; each makes a run (rN) and returns its execution report.
enum ExecutionCommands {
    /// Simulator settings shared with `backtest`.
    static let simulatorParameters: [Parameter] = [
        Parameter("data", .keyword("on"), .object("dataset"), default: "the running live session's manual account",
                  "the dataset, or a simulated market (a fresh span of its flow); without on, inside a running live session (docs/EXECUTION.md)"),
        Parameter("side", .option, .choice(["buy", "sell"]), default: "buy", "side of the parent order"),
        Parameter("limit", .option, .number, "worst price: a buy never pays more, a sell never takes less"),
        Parameter("max_participation", .option, .number, "cap: cumulative quantity ≤ this share of the market volume since the start, e.g. 0.1"),
        Parameter("style", .option, .choice(["passive", "aggressive"]), default: "passive",
                  "passive: rest at the near touch and take the shortfall at each slice's end; aggressive: take at once"),
        Parameter("catch_up", .option, .duration, default: "a fifth of a slice, at most 30s", "how long before a slice ends the shortfall is taken"),
        Parameter("cancel_at", .option, .time, "cancel the parent at this time (what filled stays filled)"),
        Parameter("interval", .option, .duration, default: "100ms", "time between the algorithm's decisions"),
        Parameter("from", .option, .time, default: "the start", "start time (the parent arrives at the first decision after it)"),
        Parameter("to", .option, .time, default: "the end", "last local time of the data used"),
        Parameter("latency", .option, .value, default: "10ms", "order entry and response latency (as backtest)"),
        Parameter("queue", .option, .word, default: "riskaverse", "queue model (as backtest)"),
        Parameter("fill", .option, .choice(["full", "partial"]), default: "full", "full: no partial fills; partial: partial fills"),
        Parameter("maker", .option, .number, default: "0 (or the instrument's)", "maker fee rate"),
        Parameter("taker", .option, .number, default: "0 (or the instrument's)", "taker fee rate"),
        Parameter("bin", .option, .duration, default: "1d", "P&L bin for the run's statistics"),
    ]

    static let specs: [CommandSpec] = [
        CommandSpec("twap", category: "backtests",
                    summary: "works a parent order in equal time slices (TWAP) on a dataset; reports average price vs arrival mid and interval VWAP, slippage, completion",
                    parameters: [Parameter("qty", .positional, .number, required: true, "parent quantity, in the instrument's units"),
                                 Parameter("duration", .keyword("over"), .duration, required: true, "length of the schedule"),
                                 Parameter("slices", .option, .integer, default: "10", "number of slices")] + simulatorParameters,
                    examples: ["twap 2 over 3m on btc slices=6", "twap 1.5 over 2m on btc side=sell limit=61000 max_participation=0.2"],
                    details: "Each slice rests a child at the near touch (re-pegged when the touch moves) and takes the shortfall with an IOC at the far touch in its last catch_up. Ctrl-C cancels the parent and keeps what filled. The run (rN) works with stats, fills(), orders(). docs/EXECUTION.md.",
                    handler: { ctx in try execute(&ctx, kind: "twap") }),
        CommandSpec("vwap", category: "backtests",
                    summary: "works a parent order along the dataset's traded volume: a VWAP schedule, or a share of the volume with participation=",
                    parameters: [Parameter("qty", .positional, .number, required: true, "parent quantity, in the instrument's units"),
                                 Parameter("duration", .keyword("over"), .duration, required: true, "length of the schedule"),
                                 Parameter("slices", .option, .integer, default: "10", "number of slices"),
                                 Parameter("participation", .option, .number,
                                           "follow this share of the market volume traded since the start (POV) instead of the window's volume curve")] + simulatorParameters,
                    examples: ["vwap 2 over 3m on btc", "vwap 5 over 5m on btc participation=0.05 side=sell"],
                    details: "Without participation= the schedule follows the window's own volume curve (what a perfect volume forecast gives: a benchmark, not a causal forecast); with it, the target at each decision is participation × the volume printed since the start (causal). docs/EXECUTION.md.",
                    handler: { ctx in try execute(&ctx, kind: "vwap") }),
        CommandSpec("iceberg", category: "backtests",
                    summary: "works a parent order as a limit order showing only VISIBLE at a time at PRICE; reports like twap",
                    parameters: [Parameter("qty", .positional, .number, required: true, "parent quantity, in the instrument's units"),
                                 Parameter("show", .option, .number, required: true, "visible quantity of each child"),
                                 Parameter("price", .keyword("@"), .number, required: true, "limit price"),
                                 Parameter("duration", .keyword("over"), .duration, default: "until the data ends", "how long the parent works")]
                        + simulatorParameters.filter { !["limit", "style", "catch_up", "max_participation"].contains($0.name) },
                    examples: ["iceberg 2 show=0.2 @ 61000 on btc", "iceberg 1 show=0.1 @ 61500 on btc side=sell over 4m"],
                    details: "One child of `show` rests at the price; when it fills the next is posted at the back of the queue. docs/EXECUTION.md.",
                    handler: { ctx in try execute(&ctx, kind: "iceberg") }),
    ]

    static func execute(_ ctx: inout CommandContext, kind: String) throws(WorkbenchError) -> Value {
        if !ctx.has("data") {
            guard let s = LiveCommands.current(ctx.workspace), s.currentState != .stopped else {
                throw .at(ctx.verbRange, "\(kind) on which dataset or market?",
                          notes: ["\(kind) ... on DATA, or start a live session (live STRATEGY on MARKET) to work a parent beside the bot"])
            }
            return try LiveExecution.start(&ctx, kind: kind, session: s)
        }
        try marketFeed(&ctx)
        let setup = try BacktestCommands.setup(&ctx)
        let d = setup.data
        let inst = d.instrument
        func lots(_ name: String) throws(WorkbenchError) -> Lots { try ParentArguments.lots(name, &ctx, inst) }
        func ticks(_ name: String) throws(WorkbenchError) -> Ticks? { try ParentArguments.ticks(name, &ctx, inst) }
        func duration(_ name: String) throws(WorkbenchError) -> Nanos? { try ParentArguments.duration(name, &ctx) }
        let qty = try lots("qty")
        let side: Side = try ctx.choice("side") == "sell" ? .sell : .buy
        let total = try duration("duration")
        let interval = try duration("interval") ?? 100 * Time.millisecond
        let participationCap = try ParentArguments.participationCap(&ctx)
        let cancelAt = try ctx.value("cancel_at").map { (v: Value) throws(WorkbenchError) -> Nanos in
            try DataCommands.instant(v, for: d, range: ctx.range("cancel_at"))
        }
        let (style, limit, slices) = try ParentArguments.style(kind, &ctx, inst)
        let parent = ParentOrder(side: side, quantity: qty, duration: total, limitPrice: limit, maxParticipation: participationCap,
                                 cancelAt: cancelAt)
        let exchange: ExchangeBehaviour = setup.fifo ? .l3FIFO : setup.fill == "partial" ? .partialFill : .noPartialFill
        var config = BacktestConfiguration(instrument: inst, exchange: exchange, queue: setup.queue, latency: setup.latency,
                                           fees: TradingValueFees(makerRate: setup.maker, takerRate: setup.taker))
        let costText = setup.apply(to: &config)
        config.settings.decisionInterval = interval
        let catchUp = try duration("catch_up")
        let aggressive = try ctx.choice("style") == "aggressive"
        let session = ctx.session
        let cancellation = session.cancellation
        let label = "\(kind) on \(d.name)"
        let start = ContinuousClock.now
        var first: Nanos = 0, last: Nanos = 1
        let (result, _) = d.dataset.withEvents { all in
            let local = UnsafeBufferPointer(rebasing: all[setup.window])
            first = local.first?.localTime ?? 0
            last = max(first + 1, local.last?.localTime ?? 1)
            let f = first, l = last
            return ExecutionRun.run(config, parent: parent, style: style, base: d.dataset.baseTick, events: local, catchUp: catchUp,
                                    aggressive: aggressive, checkEvery: 100) { t in
                session.progress?.update(label, fraction: Double(t - f) / Double(l - f))
                return !cancellation.isCancelled
            }
        }
        let elapsed = ContinuousClock.now - start
        var r = result
        if r.stoppedEarly { r.execution?.cancelled = true; cancellation.reset() }
        let values: [(name: String, value: Value)] = [
            ("qty", .number(Number.decimal(qty &* inst.lotSize.mantissa, scale: Int(inst.lotSize.scale)))),
            ("side", .string(side == .buy ? "buy" : "sell")),
            ("duration", total.map { .duration($0) } ?? .none), ("slices", .number(Number(slices))),
            ("limit", limit.map { .number(Number.decimal($0 &* inst.tickSize.mantissa, scale: Int(inst.tickSize.scale))) } ?? .none),
            ("max_participation", participationCap.map { .number(.real($0)) } ?? .none),
            ("style", .string(aggressive ? "aggressive" : "passive")), ("interval", .duration(interval)),
        ]
        let strategy = StrategyObject(name: kind, strategyKind: StrategyKind(name: kind, summary: "execution algorithm", reference: "docs/EXECUTION.md", parameters: []),
                                      values: values)
        let statistics = RunStatistics(r, options: .init(binLength: setup.bin, inventoryLimit: nil))
        let configText: [(String, String)] = [("latency", setup.latencyText), ("queue", setup.fifo ? "l3_fifo" : setup.queue.description),
                                              ("fill", setup.fill), ("maker", setup.maker.description), ("taker", setup.taker.description),
                                              ("bin", Format.duration(setup.bin)), ("from", String(first)), ("to", String(last))]
            + (cancelAt.map { [("cancel_at", String($0))] } ?? []) + costText
        let seconds = Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds)
        let object = RunObject(name: BacktestCommands.nextRunName(ctx.workspace), strategy: strategy, data: d, configuration: config,
                               configurationText: configText, result: r, statistics: statistics,
                               status: r.stoppedEarly ? "cancelled" : "complete", seconds: seconds)
        try BacktestCommands.store(object, session: session)
        ctx.workspace.define(object.name, .object(ObjectRef(object)))
        return .table(report(object))
    }

    /// `on MARKET`: the algorithm trades in a fresh span of the market's simulated flow, from
    /// the market's seed and start (a replay market: its dataset). The span is the parent's
    /// duration (1 h when none) plus 5 minutes. This is what a live session at speed=max would
    /// give: the simulated crowd's flow is exogenous (docs/LIVE.md), and the venue runs the
    /// backtest's machine over it. The feed stays in the workspace as dataset MARKET_feed, with
    /// the preset's default fee table (change it with `instrument MARKET_feed fees=...`).
    static func marketFeed(_ ctx: inout CommandContext) throws(WorkbenchError) {
        guard let e = ctx.exprs("data").first, case .name(let n, let range) = e,
              case .object(let o)? = ctx.workspace[n], let market = o.as(MarketObject.self) else { return }
        if let replay = market.replay { ctx.datasetOverride = replay; return }
        let leg = market.legs[0]
        var span: Nanos = Time.hour
        if let v = try ctx.value("duration") {
            guard case .duration(let d) = v, d > 0 else { throw .at(ctx.range("duration"), "duration must be a positive duration") }
            span = d
        }
        span += 5 * Time.minute
        let name = "\(market.name)_feed"
        // The same span of the same market makes the same feed: reuse it (and the user's fee choice).
        if case .object(let x)? = ctx.workspace[name], let d = x.as(DatasetObject.self),
           d.dataset.sources == [feedSource(market, span)] {
            ctx.datasetOverride = d
            return
        }
        if market.legs.count > 1 {
            ctx.session.print("note: \(market.name) has \(market.legs.count) instruments; the algorithm trades the first, \(leg.instrument.symbol)\n", to: .err)
        }
        let events = market.freshFlow(span)
        guard !events.isEmpty else { throw .at(range, "\(market.name) produced no events in \(Format.duration(span))") }
        let dataset = Dataset.simulated(events, instrument: leg.instrument, baseTick: leg.reference, source: feedSource(market, span))
        let costs = InstrumentCommands.presetCosts(for: leg.instrument)
        let d = DatasetObject(name: name, dataset: dataset, costs: costs)
        ctx.workspace.define(name, .object(ObjectRef(d)))
        ctx.datasetOverride = d
    }

    static func feedSource(_ market: MarketObject, _ span: Nanos) -> String {
        "market \(market.name) (\(market.model), seed \(market.legs[0].seed)) for \(Format.duration(span))"
    }

    /// The execution report of a run as a table (measure, value).
    static func report(_ r: RunObject) -> Table {
        guard let e = r.result.execution else { return Table([Column("measure", .text([])), Column("value", .text([]))]) }
        let inst = r.data.instrument
        func price(_ t: Double?) -> String { t.map { Format.real($0 * inst.tickSize.doubleValue) } ?? "" }
        func opt(_ x: Double?) -> String { x.map { Format.real($0) } ?? "" }
        let rows: [(String, String)] = [
            ("run", r.name), ("algorithm", e.algorithm), ("side", e.side == .buy ? "buy" : "sell"),
            ("quantity", r.quantity(e.quantity)), ("filled", r.quantity(e.filled)), ("completion_pct", Format.real(e.completion * 100)),
            ("avg_price", price(e.averagePriceTicks)), ("arrival_mid", price(e.arrivalMidTicks)),
            ("interval_vwap", price(e.intervalVWAPTicks)),
            ("slippage_vs_arrival_bps", opt(e.slippageVsArrivalBps)), ("slippage_vs_vwap_bps", opt(e.slippageVsVWAPBps)),
            ("shortfall", opt(e.shortfall)), ("fees", r.money(e.fees)),
            ("market_volume", r.quantity(e.marketVolume)), ("participation_pct", e.participation.map { Format.real($0 * 100) } ?? ""),
            ("child_orders", String(e.childOrders)), ("passive_children", String(e.passiveChildren)),
            ("aggressive_children", String(e.aggressiveChildren)), ("fills", String(e.fills)), ("maker_fills", String(e.makerFills)),
            ("start", Format.timestamp(e.start, zone: r.data.zone)), ("end", Format.timestamp(e.end, zone: r.data.zone)),
            ("status", e.cancelled ? "cancelled" : e.completion >= 1 ? "complete" : "incomplete"),
        ]
        return Table([Column("measure", .text(rows.map(\.0))), Column("value", .text(rows.map(\.1)))])
    }
}

/// Arguments every parent order takes (`twap`, `vwap`, `iceberg`, on a dataset, a market or
/// inside a live session), checked against the instrument's lot and tick grids.
enum ParentArguments {
    /// A positive whole number of lots.
    static func lots(_ name: String, _ ctx: inout CommandContext, _ inst: Instrument) throws(WorkbenchError) -> Lots {
        guard case .number(let n)? = try ctx.value(name), case .decimal(let m, let s) = n, m > 0,
              let l = ExactDecimal(mantissa: m, scale: Int8(s)).multiple(of: inst.lotSize), l > 0 else {
            throw .at(ctx.range(name), "\(name) must be a positive whole number of lots (lot \(inst.lotSize))")
        }
        return l
    }

    /// A positive price on the tick grid, or nil when not given.
    static func ticks(_ name: String, _ ctx: inout CommandContext, _ inst: Instrument) throws(WorkbenchError) -> Ticks? {
        guard let v = try ctx.value(name) else { return nil }
        guard case .number(let n) = v, case .decimal(let m, let s) = n, m > 0,
              let t = ExactDecimal(mantissa: m, scale: Int8(s)).multiple(of: inst.tickSize) else {
            throw .at(ctx.range(name), "\(name) must be a positive price on the tick grid (tick \(inst.tickSize))")
        }
        return t
    }

    /// A positive duration, or nil when not given.
    static func duration(_ name: String, _ ctx: inout CommandContext) throws(WorkbenchError) -> Nanos? {
        guard let v = try ctx.value(name) else { return nil }
        guard case .duration(let x) = v, x > 0 else { throw .at(ctx.range(name), "\(name) must be a positive duration") }
        return x
    }

    /// `max_participation=` in (0, 1], or nil.
    static func participationCap(_ ctx: inout CommandContext) throws(WorkbenchError) -> Double? {
        guard let v = try ctx.value("max_participation") else { return nil }
        guard case .number(let n) = v, n.double > 0, n.double <= 1 else { throw .at(ctx.range("max_participation"), "max_participation is in (0, 1]") }
        return n.double
    }

    /// The schedule of `kind` (twap, vwap with or without `participation=`, iceberg) from
    /// `slices=`, `participation=`, `price=` and `show=`, and the parent's price limit
    /// (`limit=`; an iceberg's is its price), and `slices=` (default 10, recorded with the run).
    static func style(_ kind: String, _ ctx: inout CommandContext, _ inst: Instrument) throws(WorkbenchError) -> (ExecutionStyle, Ticks?, slices: Int) {
        let slices = try ctx.integer("slices") ?? 10
        guard slices >= 1 && slices <= 100_000 else { throw .at(ctx.range("slices"), "slices is 1 to 100,000") }
        switch kind {
        case "twap": return (.twap(slices: slices), try ticks("limit", &ctx, inst), slices)
        case "vwap":
            let limit = try ticks("limit", &ctx, inst)
            if let v = try ctx.value("participation") {
                guard case .number(let n) = v, n.double > 0, n.double <= 1 else { throw .at(ctx.range("participation"), "participation is in (0, 1]") }
                return (.participation(rate: n.double, slices: slices), limit, slices)
            }
            return (.vwap(slices: slices), limit, slices)
        default:
            _ = try ticks("limit", &ctx, inst)
            guard let price = try ticks("price", &ctx, inst) else { throw .at(ctx.verbRange, "iceberg needs a price: iceberg QTY show=VISIBLE @ PRICE") }
            return (.iceberg(visible: try lots("show", &ctx, inst), price: price), price, slices)
        }
    }
}
