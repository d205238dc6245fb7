import Foundation
import MithaiLanguage
public import MithaiEngine
import MithaiMarketData

/// A simulated venue's definition: `market NAME = zi|hawkes|replay ...`. Immutable; each
/// `live` session builds fresh venues from it (same seed, same flow).
public final class MarketObject: WorkspaceObject {
    public struct Leg: Sendable {
        public var instrument: Instrument
        public var flow: FlowParameters
        /// Absolute ticks of the starting price.
        public var reference: Ticks
        public var start: Nanos
        public var end: Nanos
        public var seed: UInt64
    }
    public let kind = "market"
    public let name: String
    /// `zi`, `hawkes` or `replay`.
    public let model: String
    public let flowModel: FlowModel
    public let legs: [Leg]
    public let replay: DatasetObject?
    public let seed: Int
    /// True (the default for zi/hawkes): our orders and the crowd's share one L3 book in one
    /// matching engine (`ImpactExchange`). False (`impact=off`): the crowd trades on its own
    /// book and our orders are matched against its feed (no impact), for comparison studies.
    /// A replay never has impact (a recording cannot react).
    public let impact: Bool

    init(name: String, model: String, flowModel: FlowModel, legs: [Leg], replay: DatasetObject?, seed: Int, impact: Bool = true) {
        self.impact = replay == nil && impact
        self.name = name
        self.model = model
        self.flowModel = flowModel
        self.legs = legs
        self.replay = replay
        self.seed = seed
    }

    /// `span` of fresh flow of the first instrument from its seed and start, with no bot: what
    /// `save market` writes and what an execution algorithm `on MARKET` trades. Deterministic.
    func freshFlow(_ span: Nanos) -> ContiguousArray<Event> {
        let l = legs[0]
        var events = ContiguousArray<Event>()
        var g = OrderFlowGenerator(parameters: l.flow, model: flowModel, reference: l.reference, start: l.start, end: l.end, seed: l.seed)
        g.open { events.append($0) }
        g.run(through: l.start + span) { events.append($0) }
        return events
    }

    public var summary: String {
        if let d = replay { return "market \(name): replay of \(d.name)" }
        return "market \(name): \(model) " + legs.map(\.instrument.symbol).joined(separator: ",") + " seed=\(seed)" + (impact ? "" : " impact=off")
    }
    public var display: String {
        if let d = replay { return "\(name): replay of \(d.name) (\(Renderer.grouped(d.dataset.eventCount)) events)" }
        let l = legs.map { l in
            "\(l.instrument.venue):\(l.instrument.symbol) limit \(Format.real(l.flow.limitRate))/s market \(Format.real(l.flow.marketRate))/s cancel \(Format.real(l.flow.cancelRate))/s/order size \(Format.real(l.flow.meanSize)) range \(l.flow.priceRange)"
        }
        return "\(name): \(model) market, seed \(seed)\(impact ? "" : ", no impact"): " + l.joined(separator: "; ")
    }
    public var canonical: String {
        // `|noimpact` only when off: markets defined before impact existed keep their digests.
        "market|\(model)|\(flowModel)|\(seed)\(impact || replay != nil ? "" : "|noimpact")|\(replay?.canonical ?? "")|" + legs.map {
            "\($0.instrument.symbol),\($0.flow),\($0.reference),\($0.start),\($0.end),\($0.seed)"
        }.joined(separator: ";")
    }
}

public enum LiveCommands {
    static let flowOptions: [Parameter] = [
        Parameter("preset", .option, .value, default: "nse:RELIANCE", "instrument presets, comma-separated: " + InstrumentPresets.keys.joined(separator: " ")),
        Parameter("seed", .option, .integer, default: "1", "random seed: the same seed gives the same flow"),
        Parameter("date", .option, .value, default: "2026-01-05", "trading day simulated (the session opens at the preset's open)"),
        Parameter("feed", .option, .duration, default: "1ms", "feed latency: events reach the bot this much after the exchange"),
        Parameter("limit_rate", .option, .number, default: "the preset's", "limit orders per second, both sides"),
        Parameter("market_rate", .option, .number, default: "the preset's", "market orders per second, both sides"),
        Parameter("cancel_rate", .option, .number, default: "the preset's", "cancellations per resting order per second (δ)"),
        Parameter("size", .option, .number, default: "the preset's", "mean order size in lots"),
        Parameter("range", .option, .integer, default: "the preset's", "K: limit orders land on the K ticks off the opposite best"),
        Parameter("self", .option, .number, default: "0.6", "hawkes: self-excitation αᵢᵢ"),
        Parameter("cross", .option, .number, default: "0.01", "hawkes: cross-excitation αᵢⱼ"),
        Parameter("decay", .option, .number, default: "5", "hawkes: kernel decay β per second"),
        Parameter("impact", .option, .bool, default: "on",
                  "zi/hawkes: on = one L3 book and matching engine for the crowd and our orders (real queue positions and market impact); off = our orders matched against the crowd's feed without touching its book"),
    ]

    static let specs: [CommandSpec] = [
        CommandSpec("market", category: "live",
                    summary: "defines a simulated venue: zero-intelligence (zi) or Hawkes order flow on a full L3 book, or a dataset replayed live",
                    parameters: [Parameter("name", .positional, .value, "`market NAME = zi|hawkes [preset=...]` or `market NAME = replay DATA`")] + flowOptions,
                    examples: ["market sim = zi preset=nse:RELIANCE seed=7", "market pair = hawkes preset=nse:RELIANCE,nse:INFY seed=3 self=0.5",
                               "market exo = zi preset=nse:RELIANCE seed=7 impact=off"],
                    details: "zi and hawkes markets have market impact: the crowd's orders and ours share one L3 book and one matching engine (our aggressive orders take the crowd's liquidity, crowd market orders fill our resting orders in price-time priority, the crowd prices off the book with our quotes); impact=off matches our orders against the crowd's feed instead, for comparison. Formulas and references: docs/LIVE.md. Presets set tick, lot, hours (NSE 09:15-15:30 IST; crypto 24/7), price level and typical rates.",
                    acceptsExtraOptions: true,
                    handler: { ctx in try market(&ctx) }),
        CommandSpec("live", category: "live",
                    summary: "starts a strategy on a market in the background, in simulated time paced against the wall clock; returns at once",
                    parameters: [
                        Parameter("strategy", .positional, .object("strategy"), required: true, "the strategy"),
                        Parameter("market", .keyword("on"), .object("market"), required: true, "the market"),
                        Parameter("speed", .option, .value, default: "1x", "1x, 10x, 100x (simulated seconds per wall second) or max"),
                        Parameter("for", .option, .duration, default: "until the close or stop", "simulated duration, then stop"),
                        Parameter("paused", .option, .bool, default: "off", "start paused (then `step` or `resume`)"),
                        Parameter("latency", .option, .value, default: "10ms", "order entry and response latency (as backtest)"),
                        Parameter("queue", .option, .word, default: "riskaverse", "queue model for replayed L2 data (as backtest)"),
                        Parameter("fill", .option, .choice(["full", "partial"]), default: "full", "as backtest"),
                        Parameter("maker", .option, .number, default: "the preset's fee table, else 0", "maker fee rate (replaces the fee table)"),
                        Parameter("taker", .option, .number, default: "the preset's fee table, else 0", "taker fee rate (replaces the fee table)"),
                    ],
                    examples: ["strategy mm = grid half_spread=1 step=1 levels=3 qty=10 max_position=200\nlive mm on sim speed=max for=10m",
                               "live mm on sim speed=10x"],
                    details: "status, pnl, orders, buy, sell, cancel, pause, resume, step, flatten, stop and wait act on the session. When it stops it becomes a run (r1, r2, ...) like a backtest's. Scripts and piped input wait for running sessions before exiting.",
                    handler: { ctx in try live(&ctx) }),
        CommandSpec("status", category: "live", summary: "the live session now: simulated time, state, mid, bot and manual positions and P&L, latency",
                    examples: ["status", "status | select symbol, mid, bot_pnl from _"], handler: { ctx in try status(&ctx) }),
        CommandSpec("pnl", category: "live", summary: "P&L of the live session: bot and manual accounts apart",
                    examples: ["pnl", "pnl | where account = \"manual\""], handler: { ctx in try pnl(&ctx) }),
        CommandSpec("orders", category: "live", summary: "resting orders of the live session, bot and manual, with their prices and quantities",
                    examples: ["orders", "orders | where account = \"manual\""], handler: { ctx in try orders(&ctx) }),
        CommandSpec("buy", category: "live", summary: "sends a manual buy order to the live venue (kept apart from the bot's P&L)",
                    parameters: orderParameters, examples: ["buy 10 @ 1500.05", "buy 5 type=market"],
                    handler: { ctx in try manualOrder(&ctx, side: .buy) }),
        CommandSpec("sell", category: "live", summary: "sends a manual sell order to the live venue",
                    parameters: orderParameters, examples: ["sell 10 @ 1500.10", "sell 5 @ 1499 tif=ioc"],
                    handler: { ctx in try manualOrder(&ctx, side: .sell) }),
        CommandSpec("cancel", category: "live", summary: "cancels a manual order by id, or all of them",
                    parameters: [Parameter("id", .positional, .value, required: true, "order id (from buy/sell/orders), A1 for an execution parent (algos), or all")],
                    examples: ["cancel all", "cancel 1"], handler: { ctx in try cancel(&ctx) }),
        CommandSpec("pause", category: "live", summary: "pauses the live session (simulated time stops)",
                    examples: ["pause", "pause\nstatus"], handler: { ctx in try control(&ctx) { $0.pause() } }),
        CommandSpec("resume", category: "live", summary: "resumes a paused live session (and a bot halted by flatten)",
                    examples: ["resume", "pause\nresume"], handler: { ctx in try control(&ctx) { $0.resume() } }),
        CommandSpec("step", category: "live", summary: "advances a paused live session by a simulated duration, then returns",
                    parameters: [Parameter("span", .positional, .duration, required: true, "simulated time to run")],
                    examples: ["step 1m", "step 500ms"], handler: { ctx in try step(&ctx) }),
        CommandSpec("flatten", category: "live", summary: "halts the bot, cancels every order and sends market orders to bring both positions to zero",
                    examples: ["flatten", "flatten\nstep 1s"], handler: { ctx in try control(&ctx) { s in s.lock.withLock { for l in s.legs { l.venue.flatten() } } } }),
        CommandSpec("stop", category: "live", summary: "stops the live session; it becomes a run (r1, ...) like a backtest's",
                    examples: ["stop", "stop\nstats r1"], handler: { ctx in try finish(&ctx, stop: true) }),
        CommandSpec("wait", category: "live", summary: "blocks until the live session ends (its for= duration, the close, or the end of the replayed data)",
                    examples: ["wait", "live mm on sim speed=max for=1m\nwait"], handler: { ctx in try finish(&ctx, stop: false) }),
        LivePanel.spec,
        SaveMarket.spec,
        CommandSpec("fills", category: "live", summary: "fills of the live session so far, bot and manual, oldest first",
                    examples: ["fills", "fills | where account = \"manual\""], handler: { ctx in try fills(&ctx) }),
    ]

    static let orderParameters: [Parameter] = [
        Parameter("quantity", .positional, .number, required: true, "quantity in the instrument's units"),
        Parameter("price", .keyword("@"), .number, default: "market order", "limit price"),
        Parameter("type", .option, .choice(["limit", "market", "stop", "stop-limit"]), default: "limit (market without a price)", "order type"),
        Parameter("stop", .option, .number, default: "", "stop trigger price (stop and stop-limit)"),
        Parameter("tif", .option, .choice(["gtc", "ioc", "fok", "gtx"]), default: "gtc", "time in force"),
        Parameter("symbol", .option, .word, default: "the first instrument", "which instrument of the market"),
    ]

    // MARK: - market

    static func market(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        guard let first = ctx.arguments.extra.first else {
            throw .at(ctx.verbRange, "write: market NAME = zi|hawkes [preset=...] or market NAME = replay DATA")
        }
        let name = first.label
        let model = try CommandContext.word(of: first.value)
        let seed = try ctx.integer("seed") ?? 1
        let impact = try ctx.bool("impact")
        switch model {
        case "replay":
            if impact == true {
                throw .at(ctx.range("impact"), "a replayed dataset cannot react to our orders: impact is for zi and hawkes markets")
            }
            guard let de = ctx.exprs("name").first else { throw .at(first.value.range, "replay which dataset? market \(name) = replay DATA") }
            guard case .object(let o) = try ctx.session.evaluate(de, in: &ctx.workspace), let d = o.as(DatasetObject.self) else {
                throw .at(de.range, "expected a dataset (load one first)")
            }
            guard d.dataset.eventCount > 0 else { throw .at(de.range, "\(d.name) has no events") }
            let m = MarketObject(name: name, model: "replay", flowModel: .zeroIntelligence, legs: [], replay: d, seed: seed)
            ctx.workspace.define(name, .object(ObjectRef(m)))
            return .object(ObjectRef(m))
        case "zi", "hawkes":
            break
        default:
            throw .at(first.value.range, "unknown market kind '\(model)'", suggestions: Suggest.names(for: model, among: ["zi", "hawkes", "replay"]),
                      notes: ["kinds: zi (zero intelligence), hawkes (clustered), replay DATA"])
        }
        var keys = ["nse:RELIANCE"]
        if let e = ctx.exprs("preset").first {
            let text = ctx.session.currentSource?.slice(e.range) ?? ""
            keys = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        var flowModel = FlowModel.zeroIntelligence
        if model == "hawkes" {
            let h = HawkesParameters(selfExcitation: try real(&ctx, "self") ?? 0.6, crossExcitation: try real(&ctx, "cross") ?? 0.01,
                                     decay: try real(&ctx, "decay") ?? 5)
            if let p = h.problem { throw .at(ctx.commandRange, "hawkes: \(p)") }
            flowModel = .hawkes(h)
        }
        let date = try ctx.path("date") ?? "2026-01-05"
        let dayParts = date.split(separator: "-").compactMap { Int($0) }
        guard dayParts.count == 3 else { throw .at(ctx.range("date"), "date is YYYY-MM-DD") }
        var legs: [MarketObject.Leg] = []
        for (k, key) in keys.enumerated() {
            guard let p = InstrumentPresets.named(key) else {
                throw .at(ctx.range("preset"), "unknown preset '\(key)'", suggestions: Suggest.names(for: key, among: InstrumentPresets.keys),
                          notes: ["presets: " + InstrumentPresets.keys.joined(separator: " ")])
            }
            var flow = p.activity
            if let v = try real(&ctx, "limit_rate") { flow.limitRate = v }
            if let v = try real(&ctx, "market_rate") { flow.marketRate = v }
            if let v = try real(&ctx, "cancel_rate") { flow.cancelRate = v }
            if let v = try real(&ctx, "size") { flow.meanSize = v }
            if let v = try ctx.integer("range") { flow.priceRange = v }
            if let v = try ctx.value("feed") {
                guard case .duration(let d) = v, d >= 0 else { throw .at(ctx.range("feed"), "feed is a duration, e.g. 1ms") }
                flow.feedLatency = d
            }
            if let problem = flow.problem { throw .at(ctx.commandRange, "\(key): \(problem)") }
            if case .hawkes(let h) = flowModel, let problem = h.problem(for: flow) { throw .at(ctx.commandRange, "\(key): \(problem)") }
            guard let reference = p.referencePrice.multiple(of: p.instrument.tickSize) else {
                throw .failed("\(key): reference price is not a whole number of ticks")
            }
            // The session opens at the preset's open on `date`, in its time zone.
            var cal = Calendar(identifier: .gregorian)
            cal.timeZone = TimeZone(identifier: p.instrument.timeZone.isEmpty ? "UTC" : p.instrument.timeZone) ?? TimeZone(identifier: "UTC")!
            let open = p.hours?.open ?? 0
            guard let day = cal.date(from: DateComponents(year: dayParts[0], month: dayParts[1], day: dayParts[2],
                                                          hour: open / 60, minute: open % 60)) else {
                throw .at(ctx.range("date"), "no such date \(date)")
            }
            let start = Nanos(day.timeIntervalSince1970.rounded()) * Time.second
            let end = p.hours.map { start + $0.lengthNanos } ?? Nanos.max
            // Each instrument its own stream: the seed mixed with the leg's index.
            let legSeed = UInt64(bitPattern: Int64(seed)) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(k + 1)
            legs.append(MarketObject.Leg(instrument: p.instrument, flow: flow, reference: reference, start: start, end: end, seed: legSeed))
        }
        let m = MarketObject(name: name, model: model, flowModel: flowModel, legs: legs, replay: nil, seed: seed, impact: impact ?? true)
        ctx.workspace.define(name, .object(ObjectRef(m)))
        return .object(ObjectRef(m))
    }

    static func real(_ ctx: inout CommandContext, _ name: String) throws(WorkbenchError) -> Double? {
        guard let v = try ctx.value(name) else { return nil }
        guard case .number(let n) = v else { throw .at(ctx.range(name), "\(name) must be a number") }
        return n.double
    }

    // MARK: - live

    static func live(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let strategy = try BacktestCommands.strategyObject(&ctx)
        guard let me = ctx.exprs("market").first else { throw .at(ctx.verbRange, "on which market?") }
        if case .name(let n, let r) = me, ctx.workspace[n] == nil {
            throw .at(r, "no market named '\(n)'", notes: ["define one: market \(n) = zi preset=nse:RELIANCE seed=1"])
        }
        guard case .object(let mo) = try ctx.session.evaluate(me, in: &ctx.workspace), let market = mo.as(MarketObject.self) else {
            throw .at(me.range, "expected a market", notes: ["define one: market sim = zi preset=nse:RELIANCE"])
        }
        if let running = current(ctx.workspace), running.currentState != .stopped {
            throw .at(ctx.verbRange, "live session \(running.name) is still \(running.currentState.rawValue)", notes: ["stop it first: stop"])
        }
        var speed: Double? = 1
        if let e = ctx.exprs("speed").first {
            let text = (ctx.session.currentSource?.slice(e.range) ?? "").lowercased()
            if text == "max" { speed = nil } else {
                let digits = text.hasSuffix("x") ? String(text.dropLast()) : text
                guard let s = Double(digits), s > 0 else { throw .at(e.range, "speed is 1x, 10x, 100x or max") }
                speed = s
            }
        }
        var duration: Nanos?
        if let v = try ctx.value("for") {
            guard case .duration(let d) = v, d > 0 else { throw .at(ctx.range("for"), "for is a positive duration, e.g. 10m") }
            duration = d
        }
        let paused = try ctx.bool("paused") ?? false
        let (lat, _) = try BacktestCommands.latency(&ctx)
        let queue = try BacktestCommands.queue(&ctx)
        let fill = try ctx.choice("fill") ?? "full"
        let maker = try BacktestCommands.rate(&ctx, "maker")
        let taker = try BacktestCommands.rate(&ctx, "taker")
        var legs: [LiveLeg] = []
        let unwindLot = market.replay?.instrument.lotSize ?? market.legs.first?.instrument.lotSize ?? ExactDecimal(mantissa: 1, scale: 0)
        let unwind = try UnwindBinding.parameters(strategy, lot: unwindLot, range: ctx.range("strategy"))
        func model(_ lot: ExactDecimal) throws(WorkbenchError) -> (LiveStrategyModel, Lots) {
            if strategy.strategyKind.name == "grid" {
                let g = try BacktestCommands.gridParameters(strategy, lot: lot, range: ctx.range("strategy"))
                return (.grid(g), g.maxPosition)
            }
            let (m, limit) = try BacktestCommands.marketMakingModel(strategy, lot: lot, range: ctx.range("strategy"))
            return (.marketMaking(m), limit)
        }
        if let d = market.replay {
            let (m, limit) = try model(d.instrument.lotSize)
            let exchange: ExchangeBehaviour = fill == "partial" ? .partialFill : .noPartialFill
            var c = BacktestConfiguration(instrument: d.instrument, exchange: d.dataset.isOrderByOrder && (try? ctx.word("queue")) == "fifo" ? .l3FIFO : exchange,
                                          queue: queue, latency: lat,
                                          fees: TradingValueFees(makerRate: maker ?? d.makerFee ?? .zero, takerRate: taker ?? d.takerFee ?? .zero))
            // The dataset's fee table (instrument DATA preset=/fees=) unless maker=/taker= are given, as in a backtest.
            if maker == nil && taker == nil, let ch = d.costs?.charges { c.charges = ch }
            if let f = d.costs?.funding { c.settings.funding = f }
            if let r = ctx.workspace.risk { c.settings.risk = RiskCommands.limits(r, lot: c.lotSize, presetKey: d.costs?.presetKey) }
            let (ex, lo): (ContiguousArray<Event>, ContiguousArray<Event>) = d.dataset.withEvents { all in
                let local = ContiguousArray(all)
                if let order = BacktestCommands.exchangeOrder(all) { return (ContiguousArray(order.map { all[$0] }), local) }
                return (local, local)
            }
            let v = LiveRunner.make(c, strategy: m, base: d.dataset.baseTick, feed: .replay(exchange: ex, local: lo), unwind: unwind)
            legs.append(LiveLeg(instrument: d.instrument, venue: v, configuration: c, inventoryLimit: limit, base: d.dataset.baseTick))
        } else {
            for l in market.legs {
                let (m, limit) = try model(l.instrument.lotSize)
                var c = BacktestConfiguration(instrument: l.instrument, exchange: .l3FIFO, latency: lat,
                                              fees: TradingValueFees(makerRate: maker ?? .zero, takerRate: taker ?? .zero))
                // A preset's market charges the preset's fee table (statutory charges, maker/taker
                // tier) unless maker=/taker= are given.
                if maker == nil && taker == nil, let ch = InstrumentCommands.presetCosts(for: l.instrument)?.charges { c.charges = ch }
                // The session's risk limits (`risk ...`) guard the bot as in a backtest.
                if let r = ctx.workspace.risk {
                    c.settings.risk = RiskCommands.limits(r, lot: c.lotSize, presetKey: InstrumentCommands.presetCosts(for: l.instrument)?.presetKey)
                }
                let g = OrderFlowGenerator(parameters: l.flow, model: market.flowModel, reference: l.reference, start: l.start,
                                           end: l.end, seed: l.seed)
                let v = LiveRunner.make(c, strategy: m, base: l.reference, feed: market.impact ? .impact(g) : .flow(g), unwind: unwind)
                legs.append(LiveLeg(instrument: l.instrument, venue: v, configuration: c, inventoryLimit: limit, base: l.reference))
            }
        }
        var k = 1
        while ctx.workspace["live\(k)"] != nil { k += 1 }
        let s = LiveSessionObject(name: "live\(k)", market: market, strategy: strategy, speed: speed, duration: duration, legs: legs,
                                  paused: paused, alerts: ctx.workspace.alerts, alertInbox: ctx.session.alertInbox)
        ctx.workspace.define(s.name, .object(ObjectRef(s)))
        s.start()
        ctx.session.live.attach(s)
        // Wall-clock dependent from here on: not digested.
        return .message("\(s.name): \(strategy.name) on \(market.name) " + (paused ? "paused" : "running") +
                        " at \(speed.map { "\(Format.real($0))x" } ?? "max speed")" + (duration.map { " for \(Format.duration($0))" } ?? ""))
    }

    /// The most recent live session of the workspace.
    static func current(_ ws: Workspace) -> LiveSessionObject? {
        for n in ws.names.reversed() {
            if case .object(let o) = ws[n], let s = o.as(LiveSessionObject.self) { return s }
        }
        return nil
    }

    static func session(_ ctx: CommandContext) throws(WorkbenchError) -> LiveSessionObject {
        guard let s = current(ctx.workspace) else {
            throw .at(ctx.verbRange, "no live session", notes: ["start one: live STRATEGY on MARKET speed=10x"])
        }
        return s
    }

    /// Volatile unless the session is paused or stopped (then the state is a pure function of
    /// the script: same seed, same steps).
    static func markVolatileIfRunning(_ s: LiveSessionObject, _ ctx: CommandContext) {
        if s.currentState == .running { ctx.session.markResultVolatile() }
    }

    static func control(_ ctx: inout CommandContext, _ body: (LiveSessionObject) -> Void) throws(WorkbenchError) -> Value {
        let s = try session(ctx)
        guard s.currentState != .stopped else { throw .at(ctx.verbRange, "\(s.name) has stopped", notes: ["its run: runs"]) }
        body(s)
        return .message("\(s.name): \(s.currentState.rawValue)")
    }

    static func step(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let s = try session(ctx)
        guard case .duration(let d)? = try ctx.value("span"), d > 0 else { throw .at(ctx.range("span"), "step takes a positive duration, e.g. 1m") }
        guard s.currentState == .paused else {
            throw .at(ctx.verbRange, "\(s.name) is \(s.currentState.rawValue); step needs a paused session", notes: ["pause it first: pause"])
        }
        s.step(d)
        return .message("\(s.name): \(s.currentState == .stopped ? "stopped" : "paused") at \(clock(s.now, s))")
    }

    static func clock(_ t: Nanos, _ s: LiveSessionObject) -> String {
        let zone = s.legs.first?.instrument.timeZone ?? "UTC"
        return Format.timestamp(t - t % Time.millisecond, zone: zone.isEmpty ? "UTC" : zone)
    }

    // MARK: - views

    static func status(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let s = try session(ctx)
        markVolatileIfRunning(s, ctx)
        let (tick, books, orders) = s.lock.withLock { () -> (LiveTick, [(Ticks, Ticks)], [Int]) in
            (s.snapshotTick(), s.legs.map { ($0.venue.book.bestBid, $0.venue.book.bestAsk) },
             s.legs.map { $0.venue.botOrders.count + $0.venue.manualOrders.count })
        }
        func px(_ t: Ticks, _ k: Int) -> String {
            t == Ticks.min || t == Ticks.max ? "" : LiveCommands.priceText(s.legs[k].instrument.tickSize, t)
        }
        let n = tick.instruments.count
        return .table(Table([
            Column("session", .text(Array(repeating: s.name, count: n))),
            Column("state", .text(Array(repeating: tick.state.rawValue, count: n))),
            Column("time", .text(Array(repeating: clock(tick.time, s), count: n))),
            Column("symbol", .text(tick.instruments.map(\.symbol))),
            Column("bid", .text((0..<n).map { px(books[$0].0, $0) })),
            Column("ask", .text((0..<n).map { px(books[$0].1, $0) })),
            Column("bot_position", .real(tick.instruments.map(\.botPosition))),
            Column("bot_pnl", .real(tick.instruments.map(\.botPnL))),
            Column("manual_position", .real(tick.instruments.map(\.manualPosition))),
            Column("manual_pnl", .real(tick.instruments.map(\.manualPnL))),
            Column("open_orders", .int(orders.map { Int64($0) })),
            Column("rtt_p50", .text(tick.instruments.map { $0.roundTripP50.map { Format.duration($0) } ?? "" })),
            Column("events", .int(Array(repeating: Int64(tick.events), count: n))),
        ]))
    }

    static func pnl(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let s = try session(ctx)
        markVolatileIfRunning(s, ctx)
        var account: [String] = [], symbol: [String] = [], position: [Double] = [], fills: [Int64] = []
        var cash: [Double] = [], fees: [Double] = [], net: [Double] = []
        s.lock.withLock {
            for l in s.legs {
                let v = l.venue
                for (name, a) in [("bot", v.bot), ("manual", v.manualAccount)] {
                    account.append(name); symbol.append(l.instrument.symbol)
                    position.append(Double(a.position) * l.instrument.lotSize.doubleValue)
                    fills.append(Int64(a.fills)); cash.append(v.valuation.scale.double(a.cash))
                    fees.append(v.valuation.scale.double(a.fees)); net.append(v.valuation.scale.double(a.equity))
                }
            }
        }
        return .table(Table([Column("account", .text(account)), Column("symbol", .text(symbol)), Column("position", .real(position)),
                             Column("fills", .int(fills)), Column("cash", .real(cash)), Column("fees", .real(fees)), Column("net", .real(net))]))
    }

    static func orders(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let s = try session(ctx)
        markVolatileIfRunning(s, ctx)
        var account: [String] = [], symbol: [String] = [], id: [Int64] = [], side: [String] = [], price: [String] = []
        var qty: [Double] = [], filled: [Double] = [], status: [String] = []
        s.lock.withLock {
            for l in s.legs {
                for (name, list) in [("bot", l.venue.botOrders), ("manual", l.venue.manualOrders)] {
                    for o in list where !o.status.isFinal {
                        account.append(name); symbol.append(l.instrument.symbol)
                        id.append(name == "manual" ? Int64(o.id - LiveVenue<L3Exchange<TradingValueFees>, ConstantLatency, GridMarketMaker>.manualIDBase) : Int64(bitPattern: o.id))
                        side.append(o.side.description)
                        let tick = l.instrument.tickSize
                        price.append(o.type == .market ? "market" : o.type == .stop ? "stop \(LiveCommands.priceText(tick, o.stopPrice))"
                                     : o.type == .stopLimit ? "\(LiveCommands.priceText(tick, o.price)) stop \(LiveCommands.priceText(tick, o.stopPrice))"
                                     : LiveCommands.priceText(tick, o.price))
                        qty.append(Double(o.quantity) * l.instrument.lotSize.doubleValue)
                        filled.append(Double(o.executed) * l.instrument.lotSize.doubleValue)
                        status.append(o.record < 0 ? "waiting_trigger" : o.status.description)
                    }
                }
            }
        }
        for r in LiveExecution.orderRows(s) {
            account.append("algo"); symbol.append(s.legs[0].instrument.symbol); id.append(r.id); side.append(r.side)
            price.append(r.what); qty.append(r.quantity); filled.append(r.filled); status.append(r.status)
        }
        return .table(Table([Column("account", .text(account)), Column("symbol", .text(symbol)), Column("id", .int(id)),
                             Column("side", .text(side)), Column("price", .text(price)), Column("quantity", .real(qty)),
                             Column("filled", .real(filled)), Column("status", .text(status))]))
    }

    /// `book` without a dataset: the live session's book (first instrument, or symbol=) as the
    /// bot sees it, with our resting orders (bot and manual quantities) beside each level.
    static func book(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let s = try session(ctx)
        markVolatileIfRunning(s, ctx)
        let depth = try ctx.integer("depth") ?? 10
        guard (1...1000).contains(depth) else { throw .at(ctx.range("depth"), "depth must be 1...1000") }
        let l = s.legs[0]
        let (bids, asks, mine) = s.lock.withLock { () -> ([BookLevel], [BookLevel], [LocalOrder]) in
            (l.venue.book.levels(.buy, maxLevels: depth), l.venue.book.levels(.sell, maxLevels: depth),
             (l.venue.botOrders + l.venue.manualOrders).filter { !$0.status.isFinal && $0.type != .market })
        }
        let lot = l.instrument.lotSize
        func ours(_ side: Side, _ p: Ticks) -> String {
            let q = mine.filter { $0.side == side && $0.price == p }.reduce(Lots(0)) { $0 + $1.quantity - $1.executed }
            return q == 0 ? "" : (ExactDecimal.multiple(q, of: lot)?.description ?? String(q))
        }
        let n = max(bids.count, asks.count)
        func col(_ f: (Int) -> String) -> [String] { (0..<n).map(f) }
        return .table(Table([
            Column("level", .int((0..<n).map { Int64($0 + 1) })),
            Column("our_bid", .text(col { $0 < bids.count ? ours(.buy, bids[$0].price) : "" })),
            Column("bid_qty", .text(col { $0 < bids.count ? (ExactDecimal.multiple(bids[$0].quantity, of: lot)?.description ?? "") : "" })),
            Column("bid", .text(col { $0 < bids.count ? priceText(l.instrument.tickSize, bids[$0].price) : "" })),
            Column("ask", .text(col { $0 < asks.count ? priceText(l.instrument.tickSize, asks[$0].price) : "" })),
            Column("ask_qty", .text(col { $0 < asks.count ? (ExactDecimal.multiple(asks[$0].quantity, of: lot)?.description ?? "") : "" })),
            Column("our_ask", .text(col { $0 < asks.count ? ours(.sell, asks[$0].price) : "" })),
        ]))
    }

    /// `stats` without runs: the live session's bot so far (not stored).
    /// `stats` without runs: the latest live session's bot so far until `stop` or `wait` stores
    /// its run; after that the latest run (that stored run, or a later backtest).
    static func runsSoFar(_ ctx: inout CommandContext) throws(WorkbenchError) -> [RunObject] {
        if let s = current(ctx.workspace), !s.hasStoredRuns {
            markVolatileIfRunning(s, ctx)
            return s.runsSoFar()
        }
        if let last = BacktestCommands.allRuns(ctx.workspace).last { return [last] }
        throw .at(ctx.verbRange, "which runs?", notes: ["stats r1, or start a live session: live STRATEGY on MARKET"])
    }

    static func fills(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let s = try session(ctx)
        markVolatileIfRunning(s, ctx)
        var account: [String] = [], symbol: [String] = [], time: [String] = [], side: [String] = [], price: [String] = []
        var qty: [Double] = [], maker: [String] = [], fee: [Double] = []
        s.lock.withLock {
            for l in s.legs {
                for (isManual, f) in l.venue.recentFills(Int.max) {
                    account.append(isManual ? "manual" : "bot"); symbol.append(l.instrument.symbol)
                    time.append(clock(f.localTime, s)); side.append(f.side.description)
                    price.append(priceText(l.instrument.tickSize, f.price))
                    qty.append(Double(f.quantity) * l.instrument.lotSize.doubleValue)
                    maker.append(f.isMaker ? "maker" : "taker"); fee.append(l.venue.valuation.scale.double(f.fee))
                }
            }
        }
        return .table(Table([Column("account", .text(account)), Column("symbol", .text(symbol)), Column("time", .text(time)),
                             Column("side", .text(side)), Column("price", .text(price)), Column("quantity", .real(qty)),
                             Column("liquidity", .text(maker)), Column("fee", .real(fee))]))
    }

    // MARK: - manual orders

    /// `ticks` × `tick` as an exact decimal text.
    static func priceText(_ tick: ExactDecimal, _ ticks: Ticks) -> String {
        ExactDecimal.multiple(ticks, of: tick)?.description ?? "\(Double(ticks) * tick.doubleValue)"
    }

    static var manualBase: OrderID { LiveVenue<L3Exchange<TradingValueFees>, ConstantLatency, GridMarketMaker>.manualIDBase }

    static func leg(_ s: LiveSessionObject, _ ctx: inout CommandContext) throws(WorkbenchError) -> LiveLeg {
        guard let sym = try ctx.word("symbol") else { return s.legs[0] }
        guard let l = s.legs.first(where: { $0.instrument.symbol.lowercased() == sym.lowercased() }) else {
            throw .at(ctx.range("symbol"), "no instrument \(sym) in \(s.market.name)",
                      suggestions: Suggest.names(for: sym, among: s.legs.map(\.instrument.symbol)))
        }
        return l
    }

    static func decimal(_ ctx: inout CommandContext, _ name: String) throws(WorkbenchError) -> ExactDecimal? {
        guard let v = try ctx.value(name) else { return nil }
        guard case .number(let n) = v, case .decimal(let m, let sc) = n else { throw .at(ctx.range(name), "\(name) must be a number") }
        return ExactDecimal(mantissa: m, scale: Int8(sc))
    }

    static func manualOrder(_ ctx: inout CommandContext, side: Side) throws(WorkbenchError) -> Value {
        let s = try session(ctx)
        guard s.currentState != .stopped else { throw .at(ctx.verbRange, "\(s.name) has stopped") }
        let l = try leg(s, &ctx)
        let inst = l.instrument
        guard let q = try decimal(&ctx, "quantity"), let lots = q.multiple(of: inst.lotSize), lots > 0 else {
            throw .at(ctx.range("quantity"), "quantity must be a positive multiple of the lot (\(inst.lotSize))")
        }
        var price: Ticks = 0, stopPrice: Ticks = 0
        if let p = try decimal(&ctx, "price") {
            guard let t = p.multiple(of: inst.tickSize) else { throw .at(ctx.range("price"), "price must be a multiple of the tick (\(inst.tickSize))") }
            price = t
        }
        if let p = try decimal(&ctx, "stop") {
            guard let t = p.multiple(of: inst.tickSize) else { throw .at(ctx.range("stop"), "stop must be a multiple of the tick (\(inst.tickSize))") }
            stopPrice = t
        }
        let typeText = try ctx.choice("type") ?? (ctx.has("price") ? "limit" : "market")
        let type: OrderType
        switch typeText {
        case "market": type = .market
        case "stop": type = .stop
        case "stop-limit": type = .stopLimit
        default: type = .limit
        }
        if (type == .limit || type == .stopLimit) && !ctx.has("price") { throw .at(ctx.verbRange, "a \(typeText) order needs a price: @ PRICE") }
        if (type == .stop || type == .stopLimit) && !ctx.has("stop") { throw .at(ctx.verbRange, "a \(typeText) order needs stop=PRICE") }
        let tif: TimeInForce
        switch try ctx.choice("tif") ?? (type == .market ? "ioc" : "gtc") {
        case "ioc": tif = .ioc
        case "fok": tif = .fok
        case "gtx": tif = .gtx
        default: tif = .gtc
        }
        markVolatileIfRunning(s, ctx)
        let (id, refused, at) = s.lock.withLock { () -> (OrderID, RejectReason?, Nanos) in
            let r = l.venue.submitManual(side: side, type: type, timeInForce: tif, price: price, stopPrice: stopPrice, quantity: lots)
            return (r.id, r.refused, l.venue.now)
        }
        if let refused { throw .at(ctx.verbRange, "order refused: \(refused)") }
        let limitText = LiveCommands.priceText(inst.tickSize, price), stopText = LiveCommands.priceText(inst.tickSize, stopPrice)
        let what: String
        switch type {
        case .market: what = "market"
        case .stop: what = "stop at \(stopText) (then market)"
        case .stopLimit: what = "stop at \(stopText) (then limit @ \(limitText))"
        default: what = "limit @ \(limitText)"
        }
        return .message("order \(id - manualBase): \(side) \(q) \(inst.symbol) \(what) sent at \(clock(at, s))")
    }

    static func cancel(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        let s = try session(ctx)
        guard s.currentState != .stopped else { throw .at(ctx.verbRange, "\(s.name) has stopped") }
        let text = ctx.exprs("id").first.map { ctx.session.currentSource?.slice($0.range) ?? "" } ?? ""
        markVolatileIfRunning(s, ctx)
        if let r = try LiveExecution.cancel(text, s, range: ctx.range("id")) { return r }
        if text == "all" {
            let parents = LiveExecution.cancelAll(s)
            let n = parents + s.lock.withLock { () -> Int in
                var n = 0
                for l in s.legs { for id in l.venue.cancellableManualOrders where l.venue.cancelManual(id) == nil { n += 1 } }
                return n
            }
            return .message("\(n) cancel request\(n == 1 ? "" : "s") sent")
        }
        guard let k = UInt64(text), k > 0 else { throw .at(ctx.range("id"), "cancel takes an order id or all") }
        let r = s.lock.withLock { () -> RejectReason? in
            var last: RejectReason? = .unknownOrder
            for l in s.legs {
                last = l.venue.cancelManual(manualBase + k)
                if last == nil { break }
            }
            return last
        }
        if let r { throw .at(ctx.range("id"), "cannot cancel order \(k): \(r)") }
        return .message("cancel of order \(k) sent")
    }

    // MARK: - stop / wait

    static func finish(_ ctx: inout CommandContext, stop: Bool) throws(WorkbenchError) -> Value {
        let s = try session(ctx)
        if stop { s.stop() } else {
            if s.currentState == .paused && s.duration == nil {
                throw .at(ctx.verbRange, "\(s.name) is paused with no end: wait would block forever", notes: ["resume or stop it"])
            }
            if s.currentState == .paused { s.resume() }
            // Ctrl-C stops the session instead of waiting for ever.
            let cancellation = ctx.session.cancellation
            while !s.isFinished {
                if cancellation.isCancelled { s.stop(); cancellation.reset(); break }
                // Alerts print as they fire, before wait's own result.
                ctx.session.deliverPendingAlerts(into: &ctx.workspace)
                Thread.sleep(forTimeInterval: 0.002)
            }
            s.waitUntilDone()
        }
        ctx.session.deliverPendingAlerts(into: &ctx.workspace)
        let runs = try collect(s, &ctx)
        if runs.count == 1 { return .object(ObjectRef(runs[0])) }
        return .message(runs.map(\.display).joined(separator: "\n"))
    }

    /// The runs of a finished session, stored and named in the workspace the first time (the
    /// next free run names); the same runs afterwards.
    static func collect(_ s: LiveSessionObject, _ ctx: inout CommandContext) throws(WorkbenchError) -> [RunObject] {
        // Runs get the next free names.
        var names: [String] = []
        var ws = ctx.workspace
        for _ in s.legs {
            let n = BacktestCommands.nextRunName(ws)
            names.append(n)
            ws.define(n, .none)
        }
        let (runs, fresh) = s.collectRuns(names: names)
        if fresh {
            for r in runs {
                try BacktestCommands.store(r, session: ctx.session)
                ctx.workspace.define(r.name, .object(ObjectRef(r)))
            }
            if let r = runs.first { _ = try LiveExecution.storeParents(s, data: r.data, configuration: s.legs[0].configuration, ctx: &ctx) }
        }
        return runs
    }
}
