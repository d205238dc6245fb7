/// A trading strategy driven by a backtest. It acts at decision times through the `Trader`
/// (its local view: book, orders, position) and learns of fills when they reach it.
public protocol Strategy {
    /// Called at each decision time `t0 + k × interval` (k = 1, 2, ...), after every event and
    /// response stamped at or before it has been processed.
    mutating func decide(_ trader: inout Trader)
    /// Called when a fill reaches the strategy (local time), before any later decision.
    mutating func didFill(_ fill: Fill)
}

extension Strategy {
    public mutating func didFill(_ fill: Fill) {}
}

/// Settings of a backtest run that are not models.
public struct BacktestSettings: Sendable, Equatable {
    /// Time between decisions (ns). hftbacktest's `elapse(interval)`.
    public var decisionInterval: Nanos
    /// Record an equity point every this many decisions (1 = every decision; 0 = never).
    public var equityEvery: Int
    /// Check the exchange's and the ledger's invariants after every step (slow; for tests).
    public var checkInvariants: Bool
    /// Let one book serve both sides when the feed allows it (see `Backtest`, shared-book
    /// mode); false keeps a second replica for the strategy. Results are identical.
    public var shareBook: Bool
    /// Phase of the decision clock (ns): with an origin O at or before the data's first
    /// timestamp d, the clock starts at t0 = O + ⌊(d − O) / interval⌋ × interval (the last
    /// point of O's grid at or before d) and decisions are at t0 + k × interval, k ≥ 1. nil (or
    /// O > d): t0 = d. A multi-instrument run (`MultiBacktest`) puts every instrument on the
    /// grid of the earliest first timestamp of all; a single run given that origin makes the
    /// same decisions as that instrument's lane.
    public var clockOrigin: Nanos?
    /// Pre-trade risk limits and the kill switch (nil or empty: no checks at all).
    public var risk: RiskLimits? = nil
    /// Funding of a perpetual swap (nil: none).
    public var funding: FundingSchedule? = nil

    public init(decisionInterval: Nanos = 100 * Time.millisecond, equityEvery: Int = 1, checkInvariants: Bool = false,
                shareBook: Bool = true, clockOrigin: Nanos? = nil)
    {
        precondition(decisionInterval > 0, "decision interval must be positive")
        self.decisionInterval = decisionInterval
        self.equityEvery = equityEvery
        self.checkInvariants = checkInvariants
        self.shareBook = shareBook
        self.clockOrigin = clockOrigin
    }
}

/// One point of the equity curve, recorded at a decision time from the strategy's view.
public struct EquityPoint: Sendable, BitwiseCopyable, Equatable {
    /// Local time (ns).
    public var time: Nanos
    /// Best bid + best ask (half ticks) of the strategy's book; 0 when a side is empty (then the
    /// last valid mark is used for the money figures).
    public var markHalfTicks: Int64
    public var position: Lots
    public var cash: Money
    public var fees: Money
    /// cash + mark(position) - fees.
    public var equity: Money
    /// Number of fills so far.
    public var fills: Int32

    public init(time: Nanos, markHalfTicks: Int64, position: Lots, cash: Money, fees: Money, equity: Money, fills: Int32) {
        self.time = time
        self.markHalfTicks = markHalfTicks
        self.position = position
        self.cash = cash
        self.fees = fees
        self.equity = equity
        self.fills = fills
    }
}

/// Everything a run produced. Money is in `valuation.scale` units.
public struct BacktestResult: Sendable {
    public var valuation: Valuation
    public var settings: BacktestSettings
    /// First timestamp (hftbacktest's t0: the earliest of the first exchange and local events)
    /// and the last decision time.
    public var startTime: Nanos
    public var endTime: Nanos
    /// Decisions the strategy made.
    public var steps: Int
    /// Market events processed by the exchange side and by the local side.
    public var exchangeEvents: Int
    public var localEvents: Int
    public var fills: ContiguousArray<Fill>
    public var orders: ContiguousArray<OrderRecord>
    public var equity: ContiguousArray<EquityPoint>
    public var counters: RequestCounters
    /// Final state as the strategy sees it.
    public var position: Lots
    public var cash: Money
    public var fees: Money
    public var realized: Money
    public var tradedValue: Money
    public var tradedQuantity: Lots
    /// Best bid + best ask (half ticks) of the strategy's book at the end; 0 if a side is empty.
    public var finalMarkHalfTicks: Int64
    /// What the exchange produced (equal to the strategy's totals once every response arrived).
    public var exchangeTotals: ExchangeTotals
    /// Tick-to-order times in simulated time: for each request, its local send time minus the
    /// local time of the last market event the strategy had seen (ns).
    public var tickToOrder: LatencyHistogram
    /// Order round trips in simulated time: local time of each response minus the local send
    /// time of the request it answers (ns).
    public var orderRoundTrip: LatencyHistogram
    /// True when `shouldContinue` stopped the run before the data ended.
    public var stoppedEarly: Bool
    /// True when one book served both sides (shared-book mode).
    public var sharedBook: Bool
    /// The risk guard at the end (limits, mode, usage, breach log); nil without limits.
    public var risk: RiskGuard? = nil
    /// Funding received (positive) net, paid and received (both >= 0), and events settled.
    public var funding = Money.zero
    public var fundingPaid = Money.zero
    public var fundingReceived = Money.zero
    public var fundingEvents = 0
    /// The execution report when the strategy was an execution algorithm.
    public var execution: ExecutionReport? = nil
    /// Inventory unwinds a strategy ran (`InventoryUnwind`), in order.
    public var unwinds: [ExecutionReport] = []

    /// P&L before fees marked at the final mid: cash + mark(position).
    public var grossPnL: Money { cash + valuation.mark(position: position, halfTicks: finalMarkHalfTicks) }
    /// P&L after fees and funding.
    public var netPnL: Money { grossPnL - fees + funding }

    public init(valuation: Valuation,
                settings: BacktestSettings,
                startTime: Nanos,
                endTime: Nanos,
                steps: Int,
                exchangeEvents: Int,
                localEvents: Int,
                fills: ContiguousArray<Fill>,
                orders: ContiguousArray<OrderRecord>,
                equity: ContiguousArray<EquityPoint>,
                counters: RequestCounters,
                position: Lots,
                cash: Money,
                fees: Money,
                realized: Money,
                tradedValue: Money,
                tradedQuantity: Lots,
                finalMarkHalfTicks: Int64,
                exchangeTotals: ExchangeTotals,
                tickToOrder: LatencyHistogram,
                orderRoundTrip: LatencyHistogram,
                stoppedEarly: Bool,
                sharedBook: Bool) {
        self.valuation = valuation
        self.settings = settings
        self.startTime = startTime
        self.endTime = endTime
        self.steps = steps
        self.exchangeEvents = exchangeEvents
        self.localEvents = localEvents
        self.fills = fills
        self.orders = orders
        self.equity = equity
        self.counters = counters
        self.position = position
        self.cash = cash
        self.fees = fees
        self.realized = realized
        self.tradedValue = tradedValue
        self.tradedQuantity = tradedQuantity
        self.finalMarkHalfTicks = finalMarkHalfTicks
        self.exchangeTotals = exchangeTotals
        self.tickToOrder = tickToOrder
        self.orderRoundTrip = orderRoundTrip
        self.stoppedEarly = stoppedEarly
        self.sharedBook = sharedBook
    }
}

/// A backtest: an exchange processor at exchange time, a trader (the strategy's side) at local
/// time, and two latency-delayed order buses between them, interleaved exactly as hftbacktest
/// does (see docs/BACKTEST.md, *Two timelines*).
///
/// Each step, the earliest of four things happens; at equal times the order is: a market event
/// reaching the strategy, a response reaching the strategy, a market event at the exchange, a
/// request reaching the exchange. The strategy decides at `t0 + k × interval` once everything
/// stamped at or before that time has happened; the run ends when nothing is left to happen.
public struct Backtest<Exchange: ExchangeModel, Latency: LatencyModel>: Sendable {
    public private(set) var exchange: Exchange
    public private(set) var trader: Trader
    public private(set) var latency: Latency
    public let settings: BacktestSettings
    var toExchange = MessageQueue()
    var toLocal = MessageQueue()
    var exchangeCursor = 0
    var localCursor = 0
    var tickToOrder = LatencyHistogram()
    var roundTrip = LatencyHistogram()
    /// Shared-book mode: one book (the exchange's) serves both sides; see `run`.
    var shared = false
    var undo = BookUndoLog()

    public init(exchange: Exchange, trader: Trader, latency: Latency, settings: BacktestSettings) {
        self.exchange = exchange
        var trader = trader
        if let r = settings.risk, trader.risk == nil { trader.setRiskLimits(r) }
        if let f = settings.funding, trader.funding == nil { trader.setFunding(f) }
        self.trader = trader
        self.latency = latency
        self.settings = settings
    }

    /// Runs `strategy` over the feeds. `exchangeFeed` is the events the exchange sees, in
    /// exchange-time order; `localFeed` the events the strategy sees, in local-time order. For
    /// an ordinary dataset both are the same array (its exchange times must then not decrease;
    /// see `Backtest.exchangeOrder`). `shouldContinue` is asked every `checkEvery` decisions
    /// with the current local time; false stops the run early (`BacktestResult.stoppedEarly`).
    public mutating func run<S: Strategy>(_ strategy: inout S, exchangeFeed: UnsafeBufferPointer<Event>,
                                          localFeed: UnsafeBufferPointer<Event>, checkEvery: Int = 10_000,
                                          shouldContinue: ((Nanos) -> Bool)? = nil) -> BacktestResult
    {
        var stopped = false
        exchangeCursor = 0
        localCursor = 0
        shared = settings.shareBook && Exchange.supportsSharedBook && Backtest.canShareBook(exchangeFeed, localFeed)
        undo = BookUndoLog()
        let firstExchange = exchangeFeed.isEmpty ? Nanos.max : exchangeFeed[0].exchTime
        let firstLocal = localFeed.isEmpty ? Nanos.max : localFeed[0].localTime
        let dataStart = min(firstExchange, firstLocal)
        let t0 = Backtest.clockStart(dataStart: dataStart, origin: settings.clockOrigin, interval: settings.decisionInterval)
        var equity = ContiguousArray<EquityPoint>()
        var steps = 0
        var now = t0
        var lastMark: Int64 = 0
        if let f = trader.funding, t0 != Nanos.max { trader.nextFunding = f.next(after: t0 - 1)?.time ?? Nanos.max }
        let hooks = trader.risk != nil || trader.funding != nil
        if t0 != Nanos.max {
            _ = advance(to: t0, &strategy, exchangeFeed, localFeed)
            while true {
                let target = now + settings.decisionInterval
                if !advance(to: target, &strategy, exchangeFeed, localFeed) { break }
                now = target
                trader.time = now
                if shared { showLocalView(exchangeFeed) }
                if hooks { trader.beforeDecision() }
                strategy.decide(&trader)
                sendRequests()
                steps += 1
                if let m = trader.midHalfTicks { lastMark = m }
                if settings.equityEvery > 0 && steps % settings.equityEvery == 0 {
                    let l = trader.ledger
                    equity.append(EquityPoint(time: now, markHalfTicks: trader.midHalfTicks ?? 0, position: l.position,
                                              cash: l.cash, fees: l.fees,
                                              equity: l.equity(markHalfTicks: lastMark), fills: Int32(l.fillCount)))
                }
                if shared { hideLocalView(exchangeFeed) }
                if settings.checkInvariants {
                    exchange.checkInvariants()
                    trader.ledger.checkInvariants()
                }
                if let ask = shouldContinue, checkEvery > 0, steps % checkEvery == 0, !ask(now) {
                    stopped = true
                    break
                }
            }
            // Leave the trader with its final view of the book (a copy: the exchange keeps its own).
            if shared {
                let now = stopped ? now : Nanos.max
                var li = localCursor
                while li < localFeed.count && li < exchangeCursor && localFeed[li].localTime <= now { li &+= 1 }
                localCursor = li
                if li > 0 { trader.saw(localFeed[li - 1]) }
                undo.forget(before: li)
                var view = exchange.book
                undo.rewind(&view)
                trader.swapBook(&view)
            }
        }
        let l = trader.ledger
        var result = BacktestResult(valuation: l.valuation, settings: settings, startTime: t0 == Nanos.max ? 0 : t0,
                              endTime: now == Nanos.max ? 0 : now, steps: steps,
                              exchangeEvents: exchangeCursor, localEvents: localCursor, fills: trader.fills,
                              orders: trader.orderRecords, equity: equity, counters: trader.counters,
                              position: l.position, cash: l.cash, fees: l.fees, realized: l.realized,
                              tradedValue: l.tradedValue, tradedQuantity: l.tradedQuantity,
                              finalMarkHalfTicks: trader.midHalfTicks ?? 0, exchangeTotals: exchange.totals,
                              tickToOrder: tickToOrder, orderRoundTrip: roundTrip, stoppedEarly: stopped, sharedBook: shared)
        result.risk = trader.risk
        result.funding = l.funding
        result.fundingPaid = l.fundingPaid
        result.fundingReceived = l.fundingReceived
        result.fundingEvents = l.fundingEvents
        return result
    }

    /// Processes everything stamped at or before `target`. Returns false when nothing is left
    /// (no events, no message in flight): hftbacktest's `EndOfData`.
    ///
    /// Between order messages the two data streams are merged directly: a local event at time
    /// `lt` runs when `lt <= ` every other pending time (local data wins ties); an exchange event
    /// at `et` runs when it is earlier than the next response to the strategy and no later than
    /// the next local event, the next request to the exchange and `target`.
    @inline(__always)
    mutating func advance<S: Strategy>(to target: Nanos, _ strategy: inout S, _ exchangeFeed: UnsafeBufferPointer<Event>,
                                       _ localFeed: UnsafeBufferPointer<Event>) -> Bool
    {
        if shared { return advanceShared(to: target, &strategy, exchangeFeed) }
        let exchangeCount = exchangeFeed.count
        let localCount = localFeed.count
        while true {
            var tLocalOrder = toLocal.nextTime
            let tExchangeOrder = toExchange.nextTime
            // Data runs until the next message (or the target).
            let localLimit = min(min(tLocalOrder, tExchangeOrder), target)
            var exchangeLimit = min(min(tLocalOrder &- 1, tExchangeOrder), target)
            var li = localCursor
            var ei = exchangeCursor
            while true {
                let lt = li < localCount ? localFeed[li].localTime : Nanos.max
                let et = ei < exchangeCount ? exchangeFeed[ei].exchTime : Nanos.max
                if lt <= et {
                    if lt > localLimit { break }
                    trader.apply(localFeed[li])
                    li &+= 1
                } else {
                    if et > exchangeLimit { break }
                    let produced = exchange.process(exchangeFeed[ei])
                    ei &+= 1
                    if produced {
                        sendResponses()
                        // A response may now be the next thing to happen.
                        tLocalOrder = toLocal.nextTime
                        if tLocalOrder <= localLimit { break }
                        exchangeLimit = min(exchangeLimit, tLocalOrder &- 1)
                    }
                }
            }
            localCursor = li
            exchangeCursor = ei
            // The earliest of the four, with ties in hftbacktest's order.
            let tLocalData = li < localCount ? localFeed[li].localTime : Nanos.max
            let tExchangeData = ei < exchangeCount ? exchangeFeed[ei].exchTime : Nanos.max
            var t = tLocalData
            var which = 0
            if tLocalOrder < t { t = tLocalOrder; which = 1 }
            if tExchangeData < t { t = tExchangeData; which = 2 }
            if tExchangeOrder < t { t = tExchangeOrder; which = 3 }
            if t == Nanos.max { return false }
            if t > target { return true }
            switch which {
            case 0:
                trader.apply(localFeed[localCursor])
                localCursor &+= 1
            case 1:
                trader.time = t
                let m = toLocal.pop()
                if m.requestTime > 0 && m.answers != .update && m.answers != .fill {
                    roundTrip.record(t - m.requestTime)
                }
                if let f = trader.receive(m, at: t) { strategy.didFill(f) }
            case 2:
                let produced = exchange.process(exchangeFeed[exchangeCursor])
                exchangeCursor &+= 1
                if produced { sendResponses() }
            default:
                let m = toExchange.pop()
                exchange.receive(m, at: t)
                if !exchange.outbox.isEmpty { sendResponses() }
            }
        }
    }

    // MARK: - Shared-book mode
    //
    // When both sides read the same feed and every event reaches the strategy no earlier than
    // the exchange (local time >= exchange time, both non-decreasing), the strategy's book at
    // local time T is the exchange's book minus the events it has applied whose local time is
    // after T ("in flight"). One book then serves both sides: the exchange keeps it current;
    // before each decision the in-flight events are undone (their previous levels were saved
    // when the exchange applied them), the book is lent to the trader, and afterwards the
    // events are applied again. Local events then cost nothing but a cursor move. The
    // strategy sees exactly what a second replica would show.

    /// True when one book can serve both sides (see above). O(events), once per run.
    static func canShareBook(_ ex: UnsafeBufferPointer<Event>, _ lo: UnsafeBufferPointer<Event>) -> Bool {
        guard ex.baseAddress == lo.baseAddress, ex.count == lo.count else { return false }
        var lastExchange = Nanos.min, lastLocal = Nanos.min
        for e in ex {
            if e.localTime < e.exchTime || e.exchTime < lastExchange || e.localTime < lastLocal { return false }
            lastExchange = e.exchTime
            lastLocal = e.localTime
        }
        return true
    }

    /// `advance` in shared-book mode: exchange events and order messages only; local events
    /// are the same array, consumed when the strategy looks (`showLocalView`).
    @inline(__always)
    mutating func advanceShared<S: Strategy>(to target: Nanos, _ strategy: inout S,
                                             _ feed: UnsafeBufferPointer<Event>) -> Bool
    {
        let count = feed.count
        while true {
            var tLocalOrder = toLocal.nextTime
            let tExchangeOrder = toExchange.nextTime
            var exchangeLimit = min(min(tLocalOrder &- 1, tExchangeOrder), target)
            var ei = exchangeCursor
            while ei < count {
                let e = feed[ei]
                if e.exchTime > exchangeLimit { break }
                if e.localTime > target { undo.record(e, index: ei, book: exchange.book, base: trader.base) }
                let produced = exchange.process(e)
                ei &+= 1
                if produced {
                    sendResponses()
                    tLocalOrder = toLocal.nextTime
                    exchangeLimit = min(exchangeLimit, tLocalOrder &- 1)
                }
            }
            exchangeCursor = ei
            let tExchangeData = ei < count ? feed[ei].exchTime : Nanos.max
            var t = tLocalOrder
            var which = 1
            if tExchangeData < t { t = tExchangeData; which = 2 }
            if tExchangeOrder < t { t = tExchangeOrder; which = 3 }
            if t > target {
                // Done up to the target. Something left: a message, an exchange event, or a local
                // event not seen yet (local times are >= exchange times, so the last event's).
                return t != Nanos.max || (count > 0 && feed[count - 1].localTime > target)
            }
            switch which {
            case 1:
                trader.time = t
                let m = toLocal.pop()
                if m.requestTime > 0 && m.answers != .update && m.answers != .fill {
                    roundTrip.record(t - m.requestTime)
                }
                if let f = trader.receive(m, at: t) { strategy.didFill(f) }
            case 2:
                let e = feed[ei]
                if e.localTime > target { undo.record(e, index: ei, book: exchange.book, base: trader.base) }
                let produced = exchange.process(e)
                exchangeCursor &+= 1
                if produced { sendResponses() }
            default:
                let m = toExchange.pop()
                exchange.receive(m, at: t)
                if !exchange.outbox.isEmpty { sendResponses() }
            }
        }
    }

    /// Moves the local cursor to the trader's time, undoes the in-flight events and lends the
    /// book to the trader.
    mutating func showLocalView(_ feed: UnsafeBufferPointer<Event>) {
        let now = trader.time
        var li = localCursor
        while li < feed.count && li < exchangeCursor && feed[li].localTime <= now { li &+= 1 }
        localCursor = li
        if li > 0 { trader.saw(feed[li - 1]) }
        undo.forget(before: li)
        let log = undo
        exchange.withBook { book in
            log.rewind(&book)
            trader.swapBook(&book)
        }
    }

    /// Takes the book back from the trader and applies the in-flight events again.
    mutating func hideLocalView(_ feed: UnsafeBufferPointer<Event>) {
        let log = undo
        let base = trader.base
        exchange.withBook { book in
            trader.swapBook(&book)
            log.replay(&book, feed: feed, base: base)
        }
    }

    /// Moves the exchange's responses onto the bus to the strategy, after the response latency.
    private mutating func sendResponses() {
        for m in exchange.outbox {
            let lat = latency.response(at: m.exchangeTime)
            toLocal.push(m, at: m.exchangeTime + lat)
        }
        exchange.outbox.removeAll(keepingCapacity: true)
    }

    /// Moves the strategy's requests onto the bus to the exchange, after the entry latency (or
    /// back to the strategy, rejected, when the latency model says the venue drops them).
    private mutating func sendRequests() {
        let now = trader.time
        let sinceTick = now - trader.lastEventTime
        for m in trader.outbox {
            tickToOrder.record(sinceTick)
            let lat = latency.entry(at: now)
            if lat < 0 {
                var r = m
                r.answers = m.kind
                r.kind = .reject
                r.reason = .venueRejected
                toLocal.push(r, at: now - lat)
            } else {
                toExchange.push(m, at: now + lat)
            }
        }
        trader.outbox.removeAll(keepingCapacity: true)
    }

    /// Indices of `events` in exchange-time order (stable), or nil when the exchange times never
    /// decrease (then the array can serve both sides as is). Build the exchange feed from it
    /// when a dataset's exchange times are out of order.
    public static func exchangeOrder(_ events: UnsafeBufferPointer<Event>) -> [Int]? {
        var sorted = true
        var i = 1
        while i < events.count {
            if events[i].exchTime < events[i - 1].exchTime { sorted = false; break }
            i += 1
        }
        if sorted { return nil }
        return Array(events.indices).sorted { a, b in
            let x = events[a].exchTime, y = events[b].exchTime
            return x != y ? x < y : a < b
        }
    }
}

// MARK: - Stepping: several instruments on one clock
//
// `MultiBacktest` drives one `Backtest` per instrument on a common decision clock. These are
// the pieces of `run` taken apart (its loop is kept whole for the single-instrument hot path);
// a lane stepped with them makes exactly the decisions, fills and equity points of `run` with
// `settings.clockOrigin` set to the common origin (tested: MultiInstrumentTests).

extension Backtest {
    /// Where the clock starts for data starting at `dataStart` on the grid of `origin` (see
    /// `BacktestSettings.clockOrigin`).
    static func clockStart(dataStart: Nanos, origin: Nanos?, interval: Nanos) -> Nanos {
        guard let o = origin, o < dataStart, dataStart != Nanos.max else { return dataStart }
        return o + (dataStart - o) / interval * interval
    }

    /// The earliest timestamp of the feeds (the data's t0), or `Nanos.max` when both are empty.
    static func dataStart(_ exchangeFeed: UnsafeBufferPointer<Event>, _ localFeed: UnsafeBufferPointer<Event>) -> Nanos {
        min(exchangeFeed.isEmpty ? Nanos.max : exchangeFeed[0].exchTime, localFeed.isEmpty ? Nanos.max : localFeed[0].localTime)
    }

    /// Resets the cursors and processes everything stamped at or before `origin` (`run`'s
    /// first `advance`). Returns false when nothing is left to happen.
    mutating func beginSteps<S: Strategy>(_ strategy: inout S, exchangeFeed: UnsafeBufferPointer<Event>,
                                          localFeed: UnsafeBufferPointer<Event>, origin: Nanos) -> Bool
    {
        exchangeCursor = 0
        localCursor = 0
        shared = settings.shareBook && Exchange.supportsSharedBook && Backtest.canShareBook(exchangeFeed, localFeed)
        undo = BookUndoLog()
        return advance(to: origin, &strategy, exchangeFeed, localFeed)
    }

    /// Processes everything stamped at or before `target`; false when nothing is left.
    mutating func advanceSteps<S: Strategy>(to target: Nanos, _ strategy: inout S, exchangeFeed: UnsafeBufferPointer<Event>,
                                            localFeed: UnsafeBufferPointer<Event>) -> Bool
    {
        advance(to: target, &strategy, exchangeFeed, localFeed)
    }

    /// One decision at `now`, exactly as in `run`: the strategy decides, its requests leave,
    /// an equity point is recorded every `equityEvery` decisions.
    mutating func decideStep<S: Strategy>(at now: Nanos, _ strategy: inout S, exchangeFeed: UnsafeBufferPointer<Event>,
                                          steps: inout Int, lastMark: inout Int64, equity: inout ContiguousArray<EquityPoint>)
    {
        trader.time = now
        if shared { showLocalView(exchangeFeed) }
        strategy.decide(&trader)
        sendRequests()
        steps += 1
        if let m = trader.midHalfTicks { lastMark = m }
        if settings.equityEvery > 0 && steps % settings.equityEvery == 0 {
            let l = trader.ledger
            equity.append(EquityPoint(time: now, markHalfTicks: trader.midHalfTicks ?? 0, position: l.position,
                                      cash: l.cash, fees: l.fees,
                                      equity: l.equity(markHalfTicks: lastMark), fills: Int32(l.fillCount)))
        }
        if shared { hideLocalView(exchangeFeed) }
        if settings.checkInvariants {
            exchange.checkInvariants()
            trader.ledger.checkInvariants()
        }
    }

    /// The result after the last decision at `now` (`start` is the clock's origin).
    mutating func finishSteps(start: Nanos, now: Nanos, stopped: Bool, steps: Int, equity: ContiguousArray<EquityPoint>,
                              localFeed: UnsafeBufferPointer<Event>) -> BacktestResult
    {
        if shared {
            let limit = stopped ? now : Nanos.max
            var li = localCursor
            while li < localFeed.count && li < exchangeCursor && localFeed[li].localTime <= limit { li &+= 1 }
            localCursor = li
            if li > 0 { trader.saw(localFeed[li - 1]) }
            undo.forget(before: li)
            var view = exchange.book
            undo.rewind(&view)
            trader.swapBook(&view)
        }
        let l = trader.ledger
        return BacktestResult(valuation: l.valuation, settings: settings, startTime: start == Nanos.max ? 0 : start,
                              endTime: now == Nanos.max ? 0 : now, steps: steps,
                              exchangeEvents: exchangeCursor, localEvents: localCursor, fills: trader.fills,
                              orders: trader.orderRecords, equity: equity, counters: trader.counters,
                              position: l.position, cash: l.cash, fees: l.fees, realized: l.realized,
                              tradedValue: l.tradedValue, tradedQuantity: l.tradedQuantity,
                              finalMarkHalfTicks: trader.midHalfTicks ?? 0, exchangeTotals: exchange.totals,
                              tickToOrder: tickToOrder, orderRoundTrip: roundTrip, stoppedEarly: stopped, sharedBook: shared)
    }
}
