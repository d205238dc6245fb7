import Foundation
import MithaiLanguage
public import MithaiEngine
import MithaiMarketData

/// One instrument of a multi-instrument run (`backtest mm on btc, eth`).
public struct RunLeg: @unchecked Sendable {
    // @unchecked: immutable; the dataset object is Sendable and read-only.
    public let data: DatasetObject
    public let configuration: BacktestConfiguration
    public let result: BacktestResult
    public let statistics: RunStatistics
}

/// The totals of a multi-instrument run in its base currency: the converted money and the
/// statistics of the total equity curve.
public struct PortfolioView: Sendable {
    public let portfolio: Portfolio
    public let rates: FXRates
    public let binned: BinnedPnL
    public let drawdown: Drawdown
    public let returns: RiskAdjustedReturns
    public let var95: ValueAtRisk?
    public let var99: ValueAtRisk?
    public let tickToOrder: LatencyHistogram
    public let orderRoundTrip: LatencyHistogram

    init(_ p: Portfolio, rates: FXRates, binLength: Nanos) {
        portfolio = p
        self.rates = rates
        binned = ReturnStatistics.binned(equity: p.equity, valuation: p.valuation, binLength: binLength)
        drawdown = ReturnStatistics.drawdown(equity: p.equity, valuation: p.valuation)
        returns = ReturnStatistics.riskAdjusted(binned, drawdown: drawdown)
        var95 = ReturnStatistics.valueAtRisk(binned.pnl, confidence: 0.95)
        var99 = ReturnStatistics.valueAtRisk(binned.pnl, confidence: 0.99)
        var t = LatencyHistogram(), o = LatencyHistogram()
        for l in p.legs { t.merge(l.result.tickToOrder); o.merge(l.result.orderRoundTrip) }
        tickToOrder = t
        orderRoundTrip = o
    }
}

/// Several instruments in one run, and the `fx` command (docs/BACKTEST.md, *Several instruments*).
enum MultiInstrument {
    // MARK: - fx

    static let fxSpec = CommandSpec(
        "fx", category: "backtests",
        summary: "sets the base currency and the exchange rates multi-instrument runs report in, or shows them",
        parameters: [Parameter("base", .positional, .word, "the base currency, e.g. USD; then CURRENCY=RATE: one unit of CURRENCY in base units")],
        examples: ["fx USD USDT=1 INR=0.012", "fx USD USDT=0.9998\nfx"],
        details: "Rates are exact decimals. A run of instruments in one currency needs no rates (its base is that currency). The rates in force when a run starts are recorded with it (parameters base= and fx=); `fx` with no arguments shows them. Conversion happens after the run: each instrument's money stays exact in its own currency, the converted totals are exact too.",
        acceptsExtraOptions: true,
        handler: { ctx in try fx(&ctx) })

    static func fx(_ ctx: inout CommandContext) throws(WorkbenchError) -> Value {
        if let base = try ctx.word("base") {
            guard base.allSatisfy({ $0.isLetter || $0.isNumber }) else { throw .at(ctx.range("base"), "a currency is a code such as USD") }
            var rates: [FXRates.Rate] = []
            for extra in ctx.arguments.extra {
                let v = try ctx.session.evaluate(extra.value, in: &ctx.workspace)
                guard case .number(let n) = v, case .decimal(let m, let sc) = n, m > 0, sc <= 18 else {
                    throw .at(extra.value.range, "\(extra.label)'s rate is a positive number: \(extra.label)=0.012 (one \(extra.label) in \(base.uppercased()))")
                }
                rates.append(.init(currency: extra.label.uppercased(), rate: ExactDecimal(mantissa: m, scale: Int8(sc))))
            }
            ctx.workspace.settings.set("fx", .string(FXRates(base: base.uppercased(), rates: rates).description))
        } else if let extra = ctx.arguments.extra.first {
            throw .at(extra.labelRange, "give the base currency first: fx USD \(extra.label)=...")
        }
        guard let rates = current(ctx.workspace) else {
            ctx.session.print("no FX rates: multi-instrument runs need instruments in one currency, or: fx USD USDT=1 INR=0.012\n", to: .err)
            return .table(Table([Column("currency", .text([])), Column("rate", .decimal([], scale: 0)), Column("base", .text([]))]))
        }
        let all = [FXRates.Rate(currency: rates.base, rate: .one)] + rates.rates
        let scale = all.map { Int($0.rate.scale) }.max() ?? 0
        return .table(Table([
            Column("currency", .text(all.map(\.currency))),
            Column("rate", .decimal(all.map { $0.rate.mantissa * pow10(scale - Int($0.rate.scale)) }, scale: scale)),
            Column("base", .text(all.map { _ in rates.base })),
        ]))
    }

    static func pow10(_ k: Int) -> Int64 { var r: Int64 = 1; for _ in 0..<k { r *= 10 }; return r }

    /// The session's rates (set by `fx`), if any.
    static func current(_ ws: Workspace) -> FXRates? {
        guard case .string(let text) = ws.settings["fx"] else { return nil }
        return parse(text)
    }

    /// Reads `FXRates.description` back (`USD INR=0.012 USDT=1`).
    static func parse(_ text: String) -> FXRates? {
        let words = text.split(separator: " ").map(String.init)
        guard let base = words.first else { return nil }
        var rates: [FXRates.Rate] = []
        for w in words.dropFirst() {
            let kv = w.split(separator: "=").map(String.init)
            guard kv.count == 2, let r = ExactDecimal(kv[1]) else { return nil }
            rates.append(.init(currency: kv[0], rate: r))
        }
        return FXRates(base: base, rates: rates)
    }

    /// The currency an instrument's money is counted in: the quote currency, or for an inverse
    /// contract the base asset (the symbol without its quote currency: BTCUSD → BTC).
    static func currency(_ i: Instrument) -> String {
        guard i.isInverse else { return i.currency }
        let s = i.symbol.uppercased()
        if !i.currency.isEmpty, s.hasSuffix(i.currency.uppercased()), s.count > i.currency.count {
            return String(s.dropLast(i.currency.count))
        }
        return s.isEmpty ? i.currency : s
    }

    /// The rates for a run of `datasets`: the session's (`fx`), or none when all are in one currency.
    static func rates(for datasets: [DatasetObject], _ ws: Workspace, range: SourceRange) throws(WorkbenchError) -> FXRates {
        let currencies = datasets.map { currency($0.instrument) }
        if let rates = current(ws) {
            for (d, c) in zip(datasets, currencies) where rates.rate(c) == nil {
                throw .at(range, "no FX rate for \(c.isEmpty ? "the currency of \(d.name) (none given)" : c) (\(d.name)) into \(rates.base)",
                          notes: ["set it: fx \(rates.base) \(rates.rates.map { "\($0.currency)=\($0.rate) " }.joined())\(c.isEmpty ? "CUR" : c)=RATE"])
            }
            return rates
        }
        let distinct = currencies.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        guard distinct.count == 1 else {
            let list = zip(datasets, currencies).map { "\($0.name) in \($1.isEmpty ? "no currency" : $1)" }.joined(separator: ", ")
            throw .at(range, "the instruments are in several currencies (\(list)): give rates into a base currency first",
                      notes: ["e.g. fx USD " + distinct.filter { $0 != "USD" && !$0.isEmpty }.map { "\($0)=RATE" }.joined(separator: " ")])
        }
        return FXRates(base: distinct[0])
    }

    /// The datasets of `on a, b, ...`.
    static func datasets(_ items: [Expr], _ ctx: inout CommandContext) throws(WorkbenchError) -> [DatasetObject] {
        var out: [DatasetObject] = []
        for item in items {
            if case .name(let n, let r) = item, ctx.workspace[n] == nil {
                let known = DataCommands.allDatasets(ctx.workspace).map(\.name)
                throw .at(r, "no dataset named '\(n)'", suggestions: Suggest.names(for: n, among: known),
                          notes: known.isEmpty ? ["load one with: load PATH as NAME"] : ["datasets: " + known.joined(separator: " ")])
            }
            let d = try DataCommands.datasetObject(try ctx.session.evaluate(item, in: &ctx.workspace), range: item.range)
            if out.contains(where: { $0 === d || $0.name == d.name }) { throw .at(item.range, "\(d.name) is given twice") }
            out.append(d)
        }
        return out
    }

    // MARK: - Running

    /// Runs the strategy on every instrument of `setup` on one clock (`MultiBacktest`). Pure
    /// apart from `progress`, like `BacktestCommands.simulate`.
    static func simulate(_ setup: BacktestCommands.RunSetup, _ strategy: StrategyObject, name: String, sweep: (key: String, index: Int)?,
                         progress: @escaping (Double) -> Bool) throws(WorkbenchError) -> RunObject {
        let legs = [BacktestCommands.LegSetup(data: setup.data, window: setup.window, maker: setup.maker, taker: setup.taker)] + setup.others
        if case .string(let w) = strategy.value("unwind"), w != "off" {
            throw .at(setup.strategyRange, "unwind= works on one instrument (a backtest on one dataset, or a live session)")
        }
        let exchange: ExchangeBehaviour = setup.fifo ? .l3FIFO : setup.fill == "partial" ? .partialFill : .noPartialFill
        var configs: [BacktestConfiguration] = []
        var lanes: [BacktestRunner.LaneStrategy] = []
        var limits: [Lots] = []
        for leg in legs {
            var config = BacktestConfiguration(instrument: leg.data.instrument, exchange: exchange, queue: setup.queue, latency: setup.latency,
                                               fees: TradingValueFees(makerRate: leg.maker, takerRate: leg.taker))
            // Each instrument's own fee table and funding; the session's risk limits per instrument.
            var own = setup
            own.costs = leg.data.costs
            _ = own.apply(to: &config)
            // The same parameters on every instrument, in its own units (lots of its lot size).
            let lane: BacktestRunner.LaneStrategy
            if strategy.strategyKind.name == "grid" {
                let g = try BacktestCommands.gridParameters(strategy, lot: leg.data.instrument.lotSize, range: setup.strategyRange)
                lane = .grid(g)
                limits.append(g.maxPosition)
            } else {
                let (m, limit) = try BacktestCommands.marketMakingModel(strategy, lot: leg.data.instrument.lotSize, range: setup.strategyRange)
                lane = .marketMaker(m)
                limits.append(limit)
            }
            config.settings.decisionInterval = lane.decisionInterval
            configs.append(config)
            lanes.append(lane)
        }
        let rates = setup.fx ?? FXRates(base: currency(legs[0].data.instrument))
        let start = ContinuousClock.now
        var timing = LatencyHistogram()
        var first: Nanos = .max, last: Nanos = .min
        let run: MultiBacktest.Result = withFeeds(legs, 0, []) { feeds in
            for (_, local) in feeds {
                if let f = local.first { first = min(first, f.localTime) }
                if let l = local.last { last = max(last, l.localTime) }
            }
            let f = first, l = max(first + 1, last)
            var lastWall = ContinuousClock.now
            var cursors = [Int](repeating: 0, count: feeds.count)
            // After every decision: time the interval's events of all instruments (the engine has no clock).
            let shouldContinue = { (t: Nanos) -> Bool in
                let now = ContinuousClock.now
                var events = 0
                for (k, (_, local)) in feeds.enumerated() {
                    var lo = cursors[k], hi = local.count
                    while lo < hi { let mid = (lo + hi) / 2; if local[mid].localTime <= t { lo = mid + 1 } else { hi = mid } }
                    events += lo - cursors[k]
                    cursors[k] = lo
                }
                if events > 0 {
                    let c = (now - lastWall).components
                    let ns = c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
                    timing.record(ns / Int64(events), times: UInt64(events))
                }
                lastWall = now
                return progress(Double(t - f) / Double(l - f))
            }
            var built: [any BacktestLane] = feeds.enumerated().map { k, feed in
                BacktestRunner.lane(configs[k], strategy: lanes[k], base: legs[k].data.dataset.baseTick, exchangeFeed: feed.0, localFeed: feed.1)
            }
            return MultiBacktest.run(&built, decisionInterval: lanes[0].decisionInterval, checkEvery: 1, shouldContinue: shouldContinue)
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds)
        let out = legs.indices.map { k in
            RunLeg(data: legs[k].data, configuration: configs[k], result: run.results[k],
                   statistics: RunStatistics(run.results[k], options: .init(binLength: setup.bin, inventoryLimit: limits[k])))
        }
        let portfolio: Portfolio
        do {
            portfolio = try Portfolio(base: rates.base, rates: rates,
                                      legs: out.map { (name: $0.data.name, currency: currency($0.data.instrument), result: $0.result) })
        } catch { throw .failed("\(error)") }
        func each(_ f: (BacktestCommands.LegSetup) -> String) -> String {
            let all = legs.map(f)
            return Set(all).count == 1 ? all[0] : all.joined(separator: ",")
        }
        let configText: [(String, String)] = [("latency", setup.latencyText), ("queue", setup.fifo ? "l3_fifo" : setup.queue.description),
                                              ("fill", setup.fill), ("maker", each { $0.maker.description }), ("taker", each { $0.taker.description }),
                                              ("bin", Format.duration(setup.bin)), ("seed", String(setup.seed)),
                                              ("from", String(first == .max ? 0 : first)), ("to", String(max(first + 1, last))),
                                              ("instruments", legs.map(\.data.name).joined(separator: ",")),
                                              ("base", rates.base), ("fx", rates.description)]
        return RunObject(name: name, strategy: strategy, data: out[0].data, configuration: configs[0], configurationText: configText,
                         result: out[0].result, statistics: out[0].statistics, status: run.stoppedEarly ? "cancelled" : "complete",
                         seconds: seconds, engineTiming: timing, sweep: sweep, legs: out,
                         portfolio: PortfolioView(portfolio, rates: rates, binLength: setup.bin))
    }

    /// Calls `body` with every leg's (exchange feed, local feed) inside the datasets' lifetimes.
    static func withFeeds<R>(_ legs: [BacktestCommands.LegSetup], _ i: Int,
                             _ acc: [(UnsafeBufferPointer<Event>, UnsafeBufferPointer<Event>)],
                             _ body: ([(UnsafeBufferPointer<Event>, UnsafeBufferPointer<Event>)]) -> R) -> R {
        if i == legs.count { return body(acc) }
        return legs[i].data.dataset.withEvents { all in
            let local = UnsafeBufferPointer(rebasing: all[legs[i].window])
            // The exchange reads a copy sorted by exchange time only when the data needs it.
            return BacktestRunner.withExchangeFeed(local) { ex in withFeeds(legs, i + 1, acc + [(ex, local)], body) }
        }
    }

    // MARK: - Text

    static func money(_ p: PortfolioView, _ m: Money) -> String { "\(p.portfolio.scale.format(m)) \(p.portfolio.base)".trimmingCharacters(in: .whitespaces) }

    static func summary(_ r: RunObject, _ p: PortfolioView) -> String {
        let fills = r.legs.reduce(0) { $0 + $1.result.fills.count }
        let parts = r.legs.indices.map { k in
            let leg = r.legs[k]
            return "\(leg.data.name) \(leg.result.valuation.scale.format(leg.result.netPnL)) \(p.portfolio.legs[k].currency)".trimmingCharacters(in: .whitespaces)
        }.joined(separator: ", ")
        return "run \(r.name): \(r.strategy.strategyKind.name) \(r.strategy.name) on \(r.legs.map(\.data.name).joined(separator: ", ")), \(Renderer.grouped(fills)) fills, net \(money(p, p.portfolio.total(\.netPnL))) (\(parts))\(r.status == "complete" ? "" : " (\(r.status))")"
    }

    static func display(_ r: RunObject, _ p: PortfolioView) -> String {
        var s = "\(r.name): \(r.strategy.strategyKind.name) \(r.strategy.name) on \(r.legs.count) instruments, \(Renderer.grouped(r.legs.reduce(0) { $0 + $1.result.fills.count })) fills"
        s += ", P&L gross \(money(p, p.portfolio.total(\.grossPnL))), fees \(money(p, p.portfolio.total(\.fees))), net \(money(p, p.portfolio.total(\.netPnL)))"
        for (k, leg) in r.legs.enumerated() {
            let v = leg.result.valuation, c = p.portfolio.legs[k].currency
            s += "\n  \(leg.data.name): \(Renderer.grouped(leg.result.fills.count)) fills, position \(quantity(leg, leg.result.position)), net \(v.scale.format(leg.result.netPnL)) \(c)"
        }
        if r.status != "complete" { s += "\n  [\(r.status): partial results]" }
        return s
    }

    static func canonical(_ r: RunObject, _ p: PortfolioView) -> String {
        var s = "\(r.strategy.summary)|" + r.legs.map(\.data.canonical).joined(separator: "+") + "|"
        s += r.configurationText.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "|\(r.status)"
        for leg in r.legs {
            let x = leg.result
            s += "|\(x.fills.count)|\(x.position)|\(x.grossPnL.units)|\(x.fees.units)|\(x.exchangeEvents)"
            for f in x.fills { s += ";\(f.orderID),\(f.side.rawValue),\(f.price),\(f.quantity),\(f.exchangeTime),\(f.isMaker ? 1 : 0)" }
        }
        s += "|\(p.portfolio.total(\.netPnL).units)"
        return s
    }

    static func quantity(_ leg: RunLeg, _ lots: Lots) -> String {
        DecimalLiteral.format(mantissa: lots &* leg.data.instrument.lotSize.mantissa, scale: Int(leg.data.instrument.lotSize.scale))
    }

    // MARK: - Statistics

    /// Leg `k`'s statistics in its own currency, then its accounting rows.
    static func legRows(_ r: RunObject, _ k: Int) -> [(String, String, Double)] {
        let leg = r.legs[k], p = r.portfolio!.portfolio
        let own = leg.result.valuation.scale
        let exposure = p.exposure(leg: k)
        func base(_ m: Money) -> (String, String, Double) { ("", p.scale.format(m), p.scale.double(m)) }
        let rate = p.legs[k].rate
        return BacktestCommands.statisticsRows(leg.statistics, leg.result, leg.data) + [
            ("currency", p.legs[k].currency, .nan), ("fx_rate", rate.description, rate.doubleValue),
            ("exposure", own.format(exposure), own.double(exposure)),
            ("exposure_base", base(p.toBase(exposure, leg: k)).1, base(p.toBase(exposure, leg: k)).2),
            ("pnl_net_base", base(p.toBase(leg.result.netPnL, leg: k)).1, base(p.toBase(leg.result.netPnL, leg: k)).2),
        ]
    }

    /// The run's totals in the base currency, with the row names of a single run's statistics
    /// (ratios that do not add across instruments are left empty).
    static func totalRows(_ r: RunObject, _ v: PortfolioView) -> [(String, String, Double)] {
        let p = v.portfolio
        func m(_ x: Money) -> (String, Double) { (p.scale.format(x), p.scale.double(x)) }
        func d(_ x: Double?) -> (String, Double) { x.map { (Format.real($0), $0) } ?? ("", .nan) }
        func ns(_ x: Int64?) -> (String, Double) { x.map { (Format.duration($0), Double($0)) } ?? ("", .nan) }
        func sum(_ f: (RunLeg) -> Int) -> (String, Double) { d(Double(r.legs.reduce(0) { $0 + f($1) })) }
        var spread = Money.zero, inventory = Money.zero
        for (k, leg) in r.legs.enumerated() {
            spread += p.toBase(leg.statistics.pnl.spreadCapture, leg: k)
            inventory += p.toBase(leg.statistics.pnl.inventory, leg: k)
        }
        let none: (String, Double) = ("", .nan)
        let t = v.tickToOrder.summary, o = v.orderRoundTrip.summary
        var rows: [(String, (String, Double))] = [
            ("pnl_net", m(p.total(\.netPnL))), ("pnl_gross", m(p.total(\.grossPnL))), ("fees", m(p.total(\.fees))),
            ("spread_capture", m(spread)), ("inventory_pnl", m(inventory)), ("final_position", none),
            ("fills", sum { $0.statistics.trades.fills }), ("maker_fills", sum { $0.statistics.trades.makerFills }),
            ("taker_fills", sum { $0.statistics.trades.takerFills }), ("round_trips", sum { $0.statistics.trades.roundTrips }),
            ("win_rate", none), ("win_rate_after_fees", none), ("profit_factor", none), ("turnover", none),
            ("return_over_trade_bps", none), ("fill_ratio", none), ("order_to_trade", none),
            ("sharpe", d(v.returns.sharpe)), ("sortino", d(v.returns.sortino)), ("calmar", d(v.returns.calmar)),
            ("annualization_factor", d(v.returns.annualizationFactor)), ("bins", d(Double(v.returns.bins))),
            ("max_drawdown", d(v.drawdown.maxValue)), ("max_drawdown_duration", ns(v.drawdown.maxDuration)),
        ]
        for (label, x) in [("95", v.var95), ("99", v.var99)] {
            rows.append(("var\(label)_hist", d(x?.historicalVaR))); rows.append(("cvar\(label)_hist", d(x?.historicalCVaR)))
            rows.append(("var\(label)_param", d(x?.parametricVaR))); rows.append(("cvar\(label)_param", d(x?.parametricCVaR)))
        }
        let (net, gross) = p.exposure
        rows += [("inventory_mean_abs", none), ("inventory_max_abs", none), ("time_at_limit", none),
                 ("tick_to_order_p50", ns(t?.p50)), ("tick_to_order_p99", ns(t?.p99)), ("tick_to_order_p999", ns(t?.p999)),
                 ("order_rtt_p50", ns(o?.p50)), ("order_rtt_p99", ns(o?.p99)), ("order_rtt_p999", ns(o?.p999)),
                 ("events", sum { $0.result.exchangeEvents }),
                 ("currency", (p.base, .nan)), ("fx_rate", ("1", 1)), ("exposure", m(net)), ("exposure_base", m(net)),
                 ("pnl_net_base", m(p.total(\.netPnL))), ("gross_exposure_base", m(gross))]
        return rows.map { ($0.0, $0.1.0, $0.1.1) }
    }

    // MARK: - Tables

    /// fills / orders / equity of a multi-instrument run with an `instrument` column (and, for
    /// equity, the currency, the equity in the base currency, and the total's rows), in time
    /// order (instrument order at equal times). `only` keeps one instrument (or `total`).
    static func table(_ kind: String, _ r: RunObject, only: String?) -> Table {
        let p = r.portfolio!.portfolio
        var tables: [Table] = []
        for (k, leg) in r.legs.enumerated() where only == nil || only == leg.data.name {
            var t: Table
            switch kind {
            case "fills": t = BacktestCommands.fills(leg.result, leg.data)
            case "orders": t = BacktestCommands.orders(leg.result, leg.data)
            default:
                t = BacktestCommands.equity(leg.result, leg.data)
                t.columns.append(Column("currency", .text(leg.result.equity.map { _ in p.legs[k].currency })))
                t.columns.append(Column("equity_base", .real(leg.result.equity.map { p.scale.double(p.toBase($0.equity, leg: k)) })))
            }
            t.columns.insert(Column("instrument", .text(Array(repeating: leg.data.name, count: t.rowCount))), at: 0)
            tables.append(t)
        }
        if kind == "equity" && (only == nil || only == "total") {
            let e = p.equity
            let zone = r.data.zone
            tables.append(Table([
                Column("instrument", .text(e.map { _ in "total" })), Column("ts", .timestamp(e.map(\.time), zone: zone)),
                Column("position", .decimal(e.map { _ in Column.null }, scale: 0)), Column("mid", .real(e.map { _ in .nan })),
                Column("equity", .real(e.map { p.scale.double($0.equity) })), Column("fees", .real(e.map { p.scale.double($0.fees) })),
                Column("currency", .text(e.map { _ in p.base })), Column("equity_base", .real(e.map { p.scale.double($0.equity) })),
            ]))
        }
        let all = concatenate(tables)
        // Time order, stable (instrument order, then the total, at equal times).
        guard let ts = all.columns.first(where: { if case .timestamp = $0.data { true } else { false } }),
              case .timestamp(let times, _) = ts.data else { return all }
        return all.gather(times.indices.sorted { times[$0] != times[$1] ? times[$0] < times[$1] : $0 < $1 })
    }

    /// Tables with the same columns one after the other; decimal columns are brought to the
    /// largest scale (exact), times keep the first table's zone.
    static func concatenate(_ tables: [Table]) -> Table {
        guard let first = tables.first else { return Table([]) }
        var columns: [Column] = []
        for (j, c) in first.columns.enumerated() {
            let parts = tables.map { $0.columns[j].data }
            switch c.data {
            case .decimal:
                let scale = parts.map { if case .decimal(_, let s) = $0 { s } else { 0 } }.max() ?? 0
                var out: [Int64] = []
                for case .decimal(let v, let s) in parts {
                    let f = pow10(scale - s)
                    out += v.map { $0 == Column.null ? $0 : $0 * f }
                }
                columns.append(Column(c.name, .decimal(out, scale: scale)))
            case .timestamp(_, let zone):
                var out: [Int64] = []
                for case .timestamp(let v, _) in parts { out += v }
                columns.append(Column(c.name, .timestamp(out, zone: zone)))
            case .int:
                var out: [Int64] = []
                for case .int(let v) in parts { out += v }
                columns.append(Column(c.name, .int(out)))
            case .duration:
                var out: [Int64] = []
                for case .duration(let v) in parts { out += v }
                columns.append(Column(c.name, .duration(out)))
            case .real:
                var out: [Double] = []
                for case .real(let v) in parts { out += v }
                columns.append(Column(c.name, .real(out)))
            case .text:
                var out: [String] = []
                for case .text(let v) in parts { out += v }
                columns.append(Column(c.name, .text(out)))
            case .bool:
                var out: [Bool] = []
                for case .bool(let v) in parts { out += v }
                columns.append(Column(c.name, .bool(out)))
            }
        }
        return Table(columns)
    }
}
