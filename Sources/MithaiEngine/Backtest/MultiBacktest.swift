/// Several instruments in one run: one strategy instance per instrument (its own book, queue,
/// latency, ledger and limits), all on one simulated decision clock.
///
/// ## Ordering invariant
///
/// One clock: the grid t0 + k × `decisionInterval`, t0 the earliest first timestamp of all
/// instruments' data. Each instrument's lane starts at the last grid point at or before its
/// own first event and decides at every later grid point while it has anything left to happen
/// (as a single run does from its own start). Before the decision at T every running lane
/// processes everything stamped at or before T (its market events, order messages and
/// responses, in its own timeline order, see `Backtest`); then the lanes decide at T in
/// instrument order. Between two decisions nothing observes more than one instrument, so this
/// is the same as processing the events of all datasets merged in (time, instrument,
/// sequence) order: deterministic, and independent of how the lanes are interleaved in
/// memory. The run ends when no lane has anything left; when no lane is running the clock
/// jumps to the next lane's start (datasets of different days do not cost empty decisions).
///
/// ## Relation to single runs
///
/// A lane makes exactly the decisions, fills and equity points of a single `Backtest.run` of
/// that instrument with `BacktestSettings.clockOrigin = t0` (tested bit for bit). Alone, an
/// instrument's clock starts at its own first timestamp; so when its start differs from t0 by
/// a multiple of the interval (in particular when all datasets start together) the lane *is*
/// its single run, and the multi-instrument run is the union of the single runs. Otherwise
/// its decisions are shifted by (its start − t0) mod interval, and its fills differ.
///
/// ## Performance
///
/// The driver dispatches through `any BacktestLane` once per lane per decision, never per
/// event: each lane's `advance` is the fully specialised loop of the single-instrument path
/// (reached through closures made in specialised code, see `ErasedLane`).

/// One instrument of a multi-instrument run: a backtest, its strategy and its feeds.
public protocol BacktestLane {
    /// The earliest timestamp of the lane's data (`Nanos.max` when it has none).
    var dataStart: Nanos { get }
    /// Processes everything stamped at or before `origin`.
    mutating func begin(origin: Nanos)
    /// Processes everything stamped at or before `target`; false when nothing is left.
    mutating func advance(to target: Nanos) -> Bool
    /// The strategy decides at `now`.
    mutating func decide(at now: Nanos)
    /// The lane's result (`start`: the clock's origin; `now`: its last decision time).
    mutating func finish(start: Nanos, now: Nanos, stopped: Bool) -> BacktestResult
}

/// A lane over a concrete exchange, latency model and strategy (specialised code).
struct SteppedLane<Exchange: ExchangeModel, Latency: LatencyModel, S: Strategy>: BacktestLane {
    var backtest: Backtest<Exchange, Latency>
    var strategy: S
    let exchangeFeed: UnsafeBufferPointer<Event>
    let localFeed: UnsafeBufferPointer<Event>
    var steps = 0
    var lastMark: Int64 = 0
    var equity = ContiguousArray<EquityPoint>()

    var dataStart: Nanos { Backtest<Exchange, Latency>.dataStart(exchangeFeed, localFeed) }

    mutating func begin(origin: Nanos) {
        _ = backtest.beginSteps(&strategy, exchangeFeed: exchangeFeed, localFeed: localFeed, origin: origin)
    }

    mutating func advance(to target: Nanos) -> Bool {
        backtest.advanceSteps(to: target, &strategy, exchangeFeed: exchangeFeed, localFeed: localFeed)
    }

    mutating func decide(at now: Nanos) {
        backtest.decideStep(at: now, &strategy, exchangeFeed: exchangeFeed, steps: &steps, lastMark: &lastMark, equity: &equity)
    }

    mutating func finish(start: Nanos, now: Nanos, stopped: Bool) -> BacktestResult {
        backtest.finishSteps(start: start, now: now, stopped: stopped, steps: steps, equity: equity, localFeed: localFeed)
    }
}

/// A lane behind closures made where its concrete types are known. A generic type's protocol
/// conformance is one unspecialised witness for all its instantiations, so calling a
/// `SteppedLane` through `any BacktestLane` would run the event loop as generic code (measured
/// 1.75× slower per event); these closures are created inside the specialised `lane(...)`
/// functions and call the specialised loop.
struct ErasedLane: BacktestLane {
    final class Box<Exchange: ExchangeModel, Latency: LatencyModel, S: Strategy> {
        var lane: SteppedLane<Exchange, Latency, S>
        init(_ lane: SteppedLane<Exchange, Latency, S>) { self.lane = lane }
    }

    let dataStart: Nanos
    let beginBody: (Nanos) -> Void
    let advanceBody: (Nanos) -> Bool
    let decideBody: (Nanos) -> Void
    let finishBody: (Nanos, Nanos, Bool) -> BacktestResult

    @inline(__always)
    init<Exchange: ExchangeModel, Latency: LatencyModel, S: Strategy>(_ lane: SteppedLane<Exchange, Latency, S>) {
        let box = Box(lane)
        dataStart = lane.dataStart
        beginBody = { box.lane.begin(origin: $0) }
        advanceBody = { box.lane.advance(to: $0) }
        decideBody = { box.lane.decide(at: $0) }
        finishBody = { box.lane.finish(start: $0, now: $1, stopped: $2) }
    }

    func begin(origin: Nanos) { beginBody(origin) }
    func advance(to target: Nanos) -> Bool { advanceBody(target) }
    func decide(at now: Nanos) { decideBody(now) }
    func finish(start: Nanos, now: Nanos, stopped: Bool) -> BacktestResult { finishBody(start, now, stopped) }
}

/// The driver of multi-instrument runs (see the file's documentation).
public enum MultiBacktest {
    /// What a multi-instrument run produced.
    public struct Result: Sendable {
        /// One result per lane, in lane order; each in its own instrument's money.
        public var results: [BacktestResult]
        /// The clock's origin (t0) and the last decision time of any lane.
        public var startTime: Nanos
        public var endTime: Nanos
        /// Decision times of the common clock.
        public var steps: Int
        /// True when `shouldContinue` stopped the run.
        public var stoppedEarly: Bool
    }

    /// Runs the lanes on one clock ticking every `decisionInterval` from the earliest data.
    /// `shouldContinue` is asked every `checkEvery` clock steps with the current time.
    public static func run(_ lanes: inout [any BacktestLane], decisionInterval: Nanos, checkEvery: Int = 10_000,
                           shouldContinue: ((Nanos) -> Bool)? = nil) -> Result
    {
        precondition(decisionInterval > 0, "decision interval must be positive")
        let starts = lanes.map(\.dataStart)
        let t0 = starts.min() ?? Nanos.max
        // Each lane starts at the last point of the common grid at or before its first event.
        let origins = starts.map { $0 == Nanos.max ? Nanos.max : t0 + ($0 - t0) / decisionInterval * decisionInterval }
        var results = [BacktestResult?](repeating: nil, count: lanes.count)
        var lastDecision = origins
        var waiting = lanes.indices.filter { origins[$0] != Nanos.max }.sorted { (origins[$0], $0) < (origins[$1], $1) }
        var active: [Int] = []
        var steps = 0
        var now = t0
        var stopped = false
        while !waiting.isEmpty || !active.isEmpty {
            // Lanes whose clock starts now join (in lane order); with none running, jump to the next.
            if active.isEmpty, let next = waiting.first { now = max(now, origins[next]) }
            var joined = false
            while let next = waiting.first, origins[next] == now {
                lanes[next].begin(origin: now)
                active.append(next)
                waiting.removeFirst()
                joined = true
            }
            if joined { active.sort() }
            let target = now + decisionInterval
            var still: [Int] = []
            still.reserveCapacity(active.count)
            for i in active {
                if lanes[i].advance(to: target) {
                    still.append(i)
                } else {
                    results[i] = lanes[i].finish(start: origins[i], now: lastDecision[i], stopped: false)
                }
            }
            active = still
            now = target
            if active.isEmpty { continue }
            for i in active {
                lanes[i].decide(at: now)
                lastDecision[i] = now
            }
            steps += 1
            if let ask = shouldContinue, checkEvery > 0, steps % checkEvery == 0, !ask(now) {
                stopped = true
                for i in active { results[i] = lanes[i].finish(start: origins[i], now: now, stopped: true) }
                break
            }
        }
        for i in lanes.indices where results[i] == nil {
            results[i] = lanes[i].finish(start: origins[i] == Nanos.max ? 0 : origins[i], now: lastDecision[i], stopped: stopped)
        }
        let all = results.map { $0! }
        return Result(results: all, startTime: t0 == Nanos.max ? 0 : t0,
                      endTime: all.map(\.endTime).max() ?? 0, steps: steps, stoppedEarly: stopped)
    }
}

extension BacktestRunner {
    /// What a lane runs: the grid or a market-making model.
    public enum LaneStrategy: Sendable, Equatable {
        case grid(GridParameters)
        case marketMaker(MarketMakingModel)

        public var decisionInterval: Nanos {
            switch self {
            case .grid(let p): return p.decisionInterval
            case .marketMaker(let m): return m.decisionInterval
            }
        }
    }

    /// A lane of a multi-instrument run: the same models as `run` (one specialisation per
    /// exchange behaviour × queue model), stepped by `MultiBacktest`. The feeds must stay
    /// valid while the lane runs. The decision interval comes from the strategy.
    public static func lane(_ configuration: BacktestConfiguration, strategy: LaneStrategy, base: Ticks,
                            exchangeFeed: UnsafeBufferPointer<Event>, localFeed: UnsafeBufferPointer<Event>) -> any BacktestLane
    {
        var c = configuration
        c.settings.decisionInterval = strategy.decisionInterval
        switch strategy {
        case .grid(let p):
            let tape = p.adverseSelection != nil ? TradeTape(events: localFeed, base: base) : .empty
            return lane(c, GridMarketMaker(parameters: p, tickSize: c.tickSize, lotSize: c.lotSize, trades: tape), base, exchangeFeed, localFeed)
        case .marketMaker(let model):
            let tape = TradeTape(events: localFeed, base: base)
            switch model {
            case .spread(let p):
                return lane(c, SpreadQuoter(parameters: p, tickSize: c.tickSize, lotSize: c.lotSize, trades: tape), base, exchangeFeed, localFeed)
            case .avellanedaStoikov(let p):
                return lane(c, AvellanedaStoikov(parameters: p, tickSize: c.tickSize, lotSize: c.lotSize, trades: tape), base, exchangeFeed, localFeed)
            case .glft(let p):
                return lane(c, GLFTMarketMaker(parameters: p, tickSize: c.tickSize, lotSize: c.lotSize, trades: tape), base, exchangeFeed, localFeed)
            }
        }
    }

    private static func lane<S: Strategy>(_ c: BacktestConfiguration, _ strategy: S, _ base: Ticks,
                                          _ ex: UnsafeBufferPointer<Event>, _ lo: UnsafeBufferPointer<Event>) -> any BacktestLane
    {
        let lot = c.lotSize.doubleValue
        if c.exchange == .l3FIFO { return lane(c, RiskAverseQueue(), strategy, base, ex, lo) }
        switch c.queue {
        case .riskAverse: return lane(c, RiskAverseQueue(), strategy, base, ex, lo)
        case .power(let n): return lane(c, ProbabilisticQueue(PowerProbability(n), lotSize: lot), strategy, base, ex, lo)
        case .power2(let n): return lane(c, ProbabilisticQueue(PowerProbability2(n), lotSize: lot), strategy, base, ex, lo)
        case .power3(let n): return lane(c, ProbabilisticQueue(PowerProbability3(n), lotSize: lot), strategy, base, ex, lo)
        case .log: return lane(c, ProbabilisticQueue(LogProbability(), lotSize: lot), strategy, base, ex, lo)
        case .log2: return lane(c, ProbabilisticQueue(LogProbability2(), lotSize: lot), strategy, base, ex, lo)
        }
    }

    private static func lane<Q: QueueModel, S: Strategy>(_ c: BacktestConfiguration, _ q: Q, _ strategy: S, _ base: Ticks,
                                                         _ ex: UnsafeBufferPointer<Event>, _ lo: UnsafeBufferPointer<Event>) -> any BacktestLane
    {
        let v = c.valuation
        let trader = Trader(base: base, valuation: v, orderByOrder: c.exchange == .l3FIFO)
        switch c.exchange {
        case .noPartialFill:
            return ErasedLane(SteppedLane(backtest: Backtest(exchange: NoPartialFillExchange(base: base, queue: q, fees: c.fees, valuation: v),
                                                             trader: trader, latency: c.latency, settings: c.settings),
                                          strategy: strategy, exchangeFeed: ex, localFeed: lo))
        case .partialFill:
            return ErasedLane(SteppedLane(backtest: Backtest(exchange: PartialFillExchange(base: base, queue: q, fees: c.fees, valuation: v),
                                                             trader: trader, latency: c.latency, settings: c.settings),
                                          strategy: strategy, exchangeFeed: ex, localFeed: lo))
        case .l3FIFO:
            return ErasedLane(SteppedLane(backtest: Backtest(exchange: L3Exchange(base: base, fees: c.fees, valuation: v),
                                                             trader: trader, latency: c.latency, settings: c.settings),
                                          strategy: strategy, exchangeFeed: ex, localFeed: lo))
        }
    }
}
