/// The session boundary: a backtest described by plain values (what the shell parses and the
/// store saves), turned into fully specialised generic code once per run. Nothing here is on
/// the hot path; the switch over models happens before the first event.

/// Which exchange behaviour.
public enum ExchangeBehaviour: String, Sendable, Equatable, CaseIterable {
    /// `NoPartialFillExchange` (hftbacktest's default; bench_grid.py).
    case noPartialFill = "no_partial_fill"
    /// `PartialFillExchange`.
    case partialFill = "partial_fill"
    /// `L3Exchange`: order-by-order data, exact FIFO queue positions, no partial fills (the
    /// queue model setting is ignored).
    case l3FIFO = "l3_fifo"
}

/// Which queue model (see `QueueModel`). The probabilistic ones take hftbacktest's parameters.
public enum QueueModelKind: Sendable, Equatable, CustomStringConvertible {
    case riskAverse
    /// `f(x) = x^n`, prob = f(back) / (f(back) + f(front)).
    case power(Double)
    /// `f(x) = x^n`, prob = f(back) / f(back + front).
    case power2(Double)
    /// prob = 1 - (front / (front + back))^n.
    case power3(Double)
    /// `f(x) = ln(1 + x)`, prob = f(back) / (f(back) + f(front)).
    case log
    /// `f(x) = ln(1 + x)`, prob = f(back) / f(back + front).
    case log2

    public var description: String {
        switch self {
        case .riskAverse: return "risk_averse"
        case .power(let n): return "power_prob_\(n)"
        case .power2(let n): return "power_prob2_\(n)"
        case .power3(let n): return "power_prob3_\(n)"
        case .log: return "log_prob"
        case .log2: return "log_prob2"
        }
    }
}

/// Any of the engine's latency models, as one concrete type (latency is asked once per order
/// message, never per market event, so a switch costs nothing measurable).
public enum AnyLatency: LatencyModel {
    case constant(ConstantLatency)
    case interpolated(InterpolatedLatency)
    case jittered(JitteredLatency)

    public mutating func entry(at time: Nanos) -> Nanos {
        switch self {
        case .constant(var m): let r = m.entry(at: time); self = .constant(m); return r
        case .interpolated(var m): let r = m.entry(at: time); self = .interpolated(m); return r
        case .jittered(var m): let r = m.entry(at: time); self = .jittered(m); return r
        }
    }

    public mutating func response(at time: Nanos) -> Nanos {
        switch self {
        case .constant(var m): let r = m.response(at: time); self = .constant(m); return r
        case .interpolated(var m): let r = m.response(at: time); self = .interpolated(m); return r
        case .jittered(var m): let r = m.response(at: time); self = .jittered(m); return r
        }
    }
}

/// A backtest's models and settings, as values.
public struct BacktestConfiguration: Sendable {
    public var contract: ContractKind
    public var tickSize: ExactDecimal
    public var lotSize: ExactDecimal
    public var multiplier: ExactDecimal
    public var exchange: ExchangeBehaviour
    public var queue: QueueModelKind
    public var latency: AnyLatency
    public var fees: TradingValueFees
    /// A full charge table (statutory charges, per-contract fees); when set it replaces `fees`.
    public var charges: ChargeSchedule? = nil
    public var settings: BacktestSettings

    /// The fee model the exchange charges.
    public var runFees: RunFees { charges.map { .schedule($0) } ?? .rates(fees) }

    public init(contract: ContractKind = .linear, tickSize: ExactDecimal, lotSize: ExactDecimal,
                multiplier: ExactDecimal = .one, exchange: ExchangeBehaviour = .noPartialFill,
                queue: QueueModelKind = .riskAverse,
                latency: AnyLatency = .constant(ConstantLatency(entry: 10 * Time.millisecond, response: 10 * Time.millisecond)),
                fees: TradingValueFees = .zero, settings: BacktestSettings = BacktestSettings())
    {
        self.contract = contract
        self.tickSize = tickSize
        self.lotSize = lotSize
        self.multiplier = multiplier
        self.exchange = exchange
        self.queue = queue
        self.latency = latency
        self.fees = fees
        self.settings = settings
    }

    /// A configuration for `instrument` (tick, lot, multiplier, linear or inverse).
    public init(instrument: Instrument, exchange: ExchangeBehaviour = .noPartialFill, queue: QueueModelKind = .riskAverse,
                latency: AnyLatency = .constant(ConstantLatency(entry: 10 * Time.millisecond, response: 10 * Time.millisecond)),
                fees: TradingValueFees = .zero, settings: BacktestSettings = BacktestSettings())
    {
        self.init(contract: instrument.isInverse ? .inverse : .linear, tickSize: instrument.tickSize,
                  lotSize: instrument.lotSize, multiplier: instrument.contractMultiplier, exchange: exchange,
                  queue: queue, latency: latency, fees: fees, settings: settings)
    }

    /// bench_grid.py's setup (README "Parity targets"): tick 0.1, lot 0.001, linear, no partial
    /// fills, risk-averse queue, 10 ms / 10 ms, maker -0.5 bp, taker 7 bp, decisions every 100 ms.
    public static var benchGrid: BacktestConfiguration {
        BacktestConfiguration(tickSize: ExactDecimal(mantissa: 1, scale: 1), lotSize: ExactDecimal(mantissa: 1, scale: 3),
                              fees: TradingValueFees(makerRate: ExactDecimal(mantissa: -5, scale: 5),
                                                     takerRate: ExactDecimal(mantissa: 7, scale: 4)))
    }

    /// The money unit and contract valuation of runs with this configuration.
    public var valuation: Valuation {
        if let c = charges, contract == .linear {
            return Valuation(contract: contract, tickSize: tickSize, lotSize: lotSize, multiplier: multiplier,
                             digits: c.digits(contract: contract, tickSize: tickSize, lotSize: lotSize, multiplier: multiplier))
        }
        return Valuation(contract: contract, tickSize: tickSize, lotSize: lotSize, multiplier: multiplier,
                  digits: Valuation.requiredDigits(contract: contract, tickSize: tickSize, lotSize: lotSize,
                                                   multiplier: multiplier, rateScale: runFees.rateScale,
                                                   fixedFees: runFees.fixedFees))
    }
}

/// What a grid run produced: the backtest result and the grid's own counters.
public struct GridRun: Sendable {
    public var result: BacktestResult
    public var parameters: GridParameters
    public var submittedBuys: Int
    public var submittedSells: Int
    public var cancels: Int
}

/// Runs backtests from values. Every combination of exchange behaviour and queue model is a
/// separate specialisation compiled in this module, so the per-event path has no dynamic
/// dispatch and no generic metadata lookups.
public enum BacktestRunner {
    /// Runs the grid market maker.
    /// - Parameters:
    ///   - base: the dataset's base tick (absolute ticks = base + event.price).
    ///   - exchangeFeed: events in exchange-time order (those the exchange sees).
    ///   - localFeed: events in local-time order (those the strategy sees); the same buffer for
    ///     an ordinary dataset.
    ///   - shouldContinue: asked after every `checkEvery` decisions with the current local time;
    ///     returning false stops the run (the result covers what ran).
    public static func runGrid(_ configuration: BacktestConfiguration, grid parameters: GridParameters, base: Ticks,
                               exchangeFeed: UnsafeBufferPointer<Event>, localFeed: UnsafeBufferPointer<Event>,
                               checkEvery: Int = 10_000, shouldContinue: ((Nanos) -> Bool)? = nil,
                               unwind: UnwindParameters? = nil) -> GridRun
    {
        var c = configuration
        c.settings.decisionInterval = parameters.decisionInterval
        // The guard's burst detector reads the trade tape (built only when the guard is on).
        let tape = parameters.adverseSelection != nil ? TradeTape(events: localFeed, base: base) : .empty
        var grid = GridMarketMaker(parameters: parameters, tickSize: c.tickSize, lotSize: c.lotSize, trades: tape)
        if let u = unwind {
            var w = InventoryUnwind(inner: grid, parameters: u, decisionInterval: c.settings.decisionInterval)
            var r = run(c, strategy: &w, base: base, exchangeFeed: exchangeFeed, localFeed: localFeed,
                        checkEvery: checkEvery, shouldContinue: shouldContinue)
            r.unwinds = w.reports
            return GridRun(result: r, parameters: parameters, submittedBuys: w.inner.submittedBuys,
                           submittedSells: w.inner.submittedSells, cancels: w.inner.cancels)
        }
        let r = run(c, strategy: &grid, base: base, exchangeFeed: exchangeFeed, localFeed: localFeed,
                    checkEvery: checkEvery, shouldContinue: shouldContinue)
        return GridRun(result: r, parameters: parameters, submittedBuys: grid.submittedBuys,
                       submittedSells: grid.submittedSells, cancels: grid.cancels)
    }

    /// Runs the grid over one dataset in feed order (local times non-decreasing, every event
    /// seen by both sides). When its exchange times are out of order, the exchange gets a
    /// copy sorted by exchange time (stable); otherwise both sides read the same buffer.
    public static func runGrid(_ configuration: BacktestConfiguration, grid parameters: GridParameters, base: Ticks,
                               events: UnsafeBufferPointer<Event>, checkEvery: Int = 10_000,
                               shouldContinue: ((Nanos) -> Bool)? = nil, unwind: UnwindParameters? = nil) -> GridRun
    {
        withExchangeFeed(events) { ex in
            runGrid(configuration, grid: parameters, base: base, exchangeFeed: ex, localFeed: events,
                    checkEvery: checkEvery, shouldContinue: shouldContinue, unwind: unwind)
        }
    }

    /// Calls `body` with the exchange's view of `events`: the buffer itself when its exchange
    /// times never decrease, else a copy sorted by exchange time (stable). O(n) / O(n log n).
    public static func withExchangeFeed<R>(_ events: UnsafeBufferPointer<Event>,
                                           _ body: (UnsafeBufferPointer<Event>) -> R) -> R
    {
        guard let order = Backtest<NoPartialFillExchange<RiskAverseQueue, TradingValueFees>, ConstantLatency>
            .exchangeOrder(events) else { return body(events) }
        let sorted = order.map { events[$0] }
        return sorted.withUnsafeBufferPointer(body)
    }

    /// Runs any strategy. Specialised for strategies of this module (the grid); a strategy from
    /// another module runs through generic code (correct, slower).
    public static func run<S: Strategy>(_ c: BacktestConfiguration, strategy: inout S, base: Ticks,
                                        exchangeFeed: UnsafeBufferPointer<Event>, localFeed: UnsafeBufferPointer<Event>,
                                        checkEvery: Int = 10_000, shouldContinue: ((Nanos) -> Bool)? = nil) -> BacktestResult
    {
        let v = c.valuation
        let lot = c.lotSize.doubleValue
        if c.exchange == .l3FIFO {
            return withExchange(c, v, RiskAverseQueue(), &strategy, base, exchangeFeed, localFeed, checkEvery, shouldContinue)
        }
        switch c.queue {
        case .riskAverse:
            return withExchange(c, v, RiskAverseQueue(), &strategy, base, exchangeFeed, localFeed, checkEvery, shouldContinue)
        case .power(let n):
            return withExchange(c, v, ProbabilisticQueue(PowerProbability(n), lotSize: lot), &strategy, base, exchangeFeed,
                                localFeed, checkEvery, shouldContinue)
        case .power2(let n):
            return withExchange(c, v, ProbabilisticQueue(PowerProbability2(n), lotSize: lot), &strategy, base, exchangeFeed,
                                localFeed, checkEvery, shouldContinue)
        case .power3(let n):
            return withExchange(c, v, ProbabilisticQueue(PowerProbability3(n), lotSize: lot), &strategy, base, exchangeFeed,
                                localFeed, checkEvery, shouldContinue)
        case .log:
            return withExchange(c, v, ProbabilisticQueue(LogProbability(), lotSize: lot), &strategy, base, exchangeFeed,
                                localFeed, checkEvery, shouldContinue)
        case .log2:
            return withExchange(c, v, ProbabilisticQueue(LogProbability2(), lotSize: lot), &strategy, base, exchangeFeed,
                                localFeed, checkEvery, shouldContinue)
        }
    }

    private static func withExchange<Q: QueueModel, S: Strategy>(
        _ c: BacktestConfiguration, _ v: Valuation, _ q: Q, _ strategy: inout S, _ base: Ticks,
        _ ex: UnsafeBufferPointer<Event>, _ lo: UnsafeBufferPointer<Event>, _ checkEvery: Int,
        _ shouldContinue: ((Nanos) -> Bool)?
    ) -> BacktestResult {
        let trader = Trader(base: base, valuation: v, orderByOrder: c.exchange == .l3FIFO)
        switch c.exchange {
        case .noPartialFill:
            var bt = Backtest(exchange: NoPartialFillExchange(base: base, queue: q, fees: c.runFees, valuation: v),
                              trader: trader, latency: c.latency, settings: c.settings)
            return bt.run(&strategy, exchangeFeed: ex, localFeed: lo, checkEvery: checkEvery, shouldContinue: shouldContinue)
        case .partialFill:
            var bt = Backtest(exchange: PartialFillExchange(base: base, queue: q, fees: c.runFees, valuation: v),
                              trader: trader, latency: c.latency, settings: c.settings)
            return bt.run(&strategy, exchangeFeed: ex, localFeed: lo, checkEvery: checkEvery, shouldContinue: shouldContinue)
        case .l3FIFO:
            var bt = Backtest(exchange: L3Exchange(base: base, fees: c.runFees, valuation: v),
                              trader: trader, latency: c.latency, settings: c.settings)
            return bt.run(&strategy, exchangeFeed: ex, localFeed: lo, checkEvery: checkEvery, shouldContinue: shouldContinue)
        }
    }
}
