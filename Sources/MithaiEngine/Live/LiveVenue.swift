/// A live venue: the backtest's exchange simulator, latency model, trader and strategy driven
/// incrementally over a feed that is produced as simulated time advances (an order-flow
/// generator) or replayed from a dataset. It is the same machine as `Backtest` (same event
/// interleaving, same tie rules; see docs/BACKTEST.md, *Two timelines*), run in slices
/// (`run(to:)`) so a shell can pace it against the wall clock, look at it between slices, and
/// send manual orders.
///
/// Manual orders go through a second `Trader` with ids in `LiveVenue.manualIDBase...`: the
/// exchange matches them like the bot's; their fills, position and money are kept apart.
///
/// Determinism: the result depends only on the feed, the models, the strategy and the times
/// at which manual requests were made, never on how `run(to:)` slices time.

/// Where a live venue's market events come from.
public enum LiveFeed: Sendable {
    /// A recorded dataset: the exchange's events in exchange-time order and the strategy's in
    /// local-time order (the same events; see `Backtest.exchangeOrder`).
    case replay(exchange: ContiguousArray<Event>, local: ContiguousArray<Event>)
    /// Simulated order flow, exogenous: the crowd trades on its own book and the exchange
    /// simulator matches our orders against its feed (our orders never change the crowd's book).
    case flow(OrderFlowGenerator)
    /// Simulated order flow with market impact: the crowd and our orders share one L3 book in
    /// an `ImpactExchange` (which `LiveRunner` builds around this generator; the venue then
    /// takes its market from the exchange). docs/LIVE.md, *Market impact*.
    case impact(OrderFlowGenerator)
}

/// What the live venue's bot and manual account look like at the current simulated time.
public struct LiveAccount: Sendable {
    public var position: Lots
    public var cash: Money
    public var fees: Money
    public var fills: Int
    /// Cash + position marked at the mid − fees.
    public var equity: Money
}

/// A strategy that can run live: it learns of market trades as they reach it (a backtest
/// gives market makers the whole trade tape up front; a live feed is not written yet).
public protocol LiveStrategy: Strategy {
    /// A trade print reaching the strategy at its local time.
    mutating func observe(_ print: TradePrint)
}

extension GridMarketMaker: LiveStrategy {
    public mutating func observe(_ print: TradePrint) {}
}
extension SpreadQuoter: LiveStrategy {
    public mutating func observe(_ print: TradePrint) { core.tape.prints.append(print) }
}
extension AvellanedaStoikov: LiveStrategy {
    public mutating func observe(_ print: TradePrint) { core.tape.prints.append(print) }
}
extension GLFTMarketMaker: LiveStrategy {
    public mutating func observe(_ print: TradePrint) { core.tape.prints.append(print) }
}

public struct LiveVenue<Exchange: ExchangeModel, Latency: LatencyModel, S: LiveStrategy> {
    /// First id of manual orders (ids of strategies are below it).
    public static var manualIDBase: OrderID { 1 << 62 }

    public private(set) var exchange: Exchange
    /// The bot's side (its book view, orders, ledger).
    public private(set) var trader: Trader
    /// The manual account (no book of its own; it reads the bot's view).
    public private(set) var manual: Trader
    public private(set) var latency: Latency
    public private(set) var strategy: S
    public let settings: BacktestSettings
    /// The generator, for flow feeds.
    public private(set) var generator: OrderFlowGenerator?
    /// Every market event produced so far, in feed order, when `recording` (for `save market`
    /// and for the stored run's dataset).
    public private(set) var recorded = ContiguousArray<Event>()
    public let recording: Bool

    private var toExchange = MessageQueue()
    private var toLocal = MessageQueue()
    private var exchangeFeed: ContiguousArray<Event>
    private var localFeed: ContiguousArray<Event>
    private var exchangeCursor = 0
    private var localCursor = 0
    private let replay: Bool
    public private(set) var tickToOrder = LatencyHistogram()
    public private(set) var roundTrip = LatencyHistogram()
    public private(set) var equity = ContiguousArray<EquityPoint>()
    /// t0: the first event's time.
    public private(set) var startTime: Nanos = 0
    /// The simulated time processed so far (every event and message stamped at or before it).
    public private(set) var now: Nanos = 0
    /// The last decision time.
    public private(set) var lastDecision: Nanos = 0
    public private(set) var steps = 0
    /// True when the feed ended and nothing is in flight.
    public private(set) var finished = false
    /// While true the strategy is not asked to decide (after `flatten`).
    public var botHalted = false
    /// Market events processed by the exchange and by the strategy's side.
    public private(set) var exchangeEvents = 0
    public private(set) var localEvents = 0
    private var nextDecision: Nanos = 0
    private var lastMark: Int64 = 0
    private var nextManualID: OrderID = 0
    private var started = false
    private var flattenID: OrderID = 1 << 61
    /// Manual stop and stop-limit orders held by the venue until triggered (a platform-side
    /// stop: it sees every trade print at the print's local time, and the first print that
    /// reaches its stop price sends it, at that time, as a market (IOC) or limit order with the
    /// same id; entry latency applies from there). A stop whose price the last trade already
    /// reached when it is placed is sent at once.
    public private(set) var pendingStops: [LocalOrder] = []
    private var lastTrade: Ticks? = nil
    /// Set when a print triggered a stop inside `advance`'s batch loop (its limits must be
    /// recomputed: a request is now on its way to the exchange).
    private var stopsSent = false
    /// Execution algorithms working parents on the manual account (LiveAlgorithms.swift).
    public internal(set) var algorithms = LiveAlgorithms()

    public init(exchange: Exchange, trader: Trader, latency: Latency, strategy: S, settings: BacktestSettings,
                feed: LiveFeed, recording: Bool = true)
    {
        self.exchange = exchange
        self.trader = trader
        // The bot's pre-trade limits, kill switch, margin and funding, as in `Backtest.init`
        // (the manual account has none: a trader's own clicks are not vetted).
        if let r = settings.risk, self.trader.risk == nil { self.trader.setRiskLimits(r) }
        if let f = settings.funding, self.trader.funding == nil { self.trader.setFunding(f) }
        self.manual = Trader(base: trader.base, valuation: trader.ledger.valuation)
        self.latency = latency
        self.strategy = strategy
        self.settings = settings
        self.recording = recording
        nextManualID = LiveVenue.manualIDBase
        switch feed {
        case .replay(let ex, let lo):
            exchangeFeed = ex
            localFeed = lo
            replay = true
            generator = nil
        case .flow(let g):
            exchangeFeed = []
            localFeed = []
            replay = false
            generator = g
            generator!.open { e in
                exchangeFeed.append(e)
                localFeed.append(e)
                if recording { recorded.append(e) }
            }
        case .impact:
            precondition(Exchange.generatesMarket, "an impact feed needs an exchange that generates its market (ImpactExchange)")
            exchangeFeed = []
            localFeed = []
            replay = false
            generator = nil
            generatedStart = self.exchange.published.first?.exchTime ?? Nanos.max
            publish()
        }
    }

    /// Exchange time of the opening book of a generating exchange.
    private var generatedStart: Nanos = Nanos.max

    /// Starts the run: t0 is the first event's time (the same as a backtest's).
    private mutating func begin() {
        started = true
        let firstExchange = exchangeFeed.first?.exchTime ?? Nanos.max
        let firstLocal = localFeed.first?.localTime ?? Nanos.max
        let t0 = min(firstExchange, firstLocal, generator?.nextTime ?? Nanos.max, generatedStart, exchange.nextArrival)
        if t0 == Nanos.max { finished = true; return }
        startTime = t0
        now = t0
        lastDecision = t0
        nextDecision = t0 + settings.decisionInterval
        if !advance(to: t0) { finished = true }
    }

    /// The time at which the strategy decides next.
    public var nextDecisionTime: Nanos {
        mutating get {
            if !started { begin() }
            return nextDecision
        }
    }

    /// Processes everything stamped at or before `target` (and the strategy's decisions at its
    /// decision times up to it). Returns false when the venue has finished (the feed ended and
    /// nothing is in flight; a flow feed ends only at the venue's close).
    @discardableResult
    public mutating func run(to target: Nanos) -> Bool {
        if !started { begin() }
        while !finished {
            let d = nextDecision
            if d > target {
                if target > now {
                    if !advance(to: target) { finished = true; break }
                    now = target
                }
                return true
            }
            if !advance(to: d) { finished = true; break }
            now = d
            lastDecision = d
            nextDecision = d + settings.decisionInterval
            trader.time = d
            if trader.risk != nil || trader.funding != nil { trader.beforeDecision() }
            if !botHalted { strategy.decide(&trader) }
            sendRequests()
            if !algorithms.isIdle {
                algorithms.decide(at: d, manual: &manual, bot: &trader, nextID: &nextManualID)
                sendManual()
            }
            steps += 1
            if let m = trader.midHalfTicks { lastMark = m }
            if settings.equityEvery > 0 && steps % settings.equityEvery == 0 {
                let l = trader.ledger
                equity.append(EquityPoint(time: d, markHalfTicks: trader.midHalfTicks ?? 0, position: l.position,
                                          cash: l.cash, fees: l.fees, equity: l.equity(markHalfTicks: lastMark),
                                          fills: Int32(l.fillCount)))
            }
            compact()
        }
        return false
    }

    // MARK: - Manual orders

    /// Sends a manual order at the current simulated time. Returns its id and, when it was
    /// refused locally, why.
    public mutating func submitManual(side: Side, type: OrderType, timeInForce: TimeInForce, price: Ticks, stopPrice: Ticks,
                                      quantity: Lots) -> (id: OrderID, refused: RejectReason?)
    {
        if !started { begin() }
        nextManualID += 1
        let id = nextManualID
        manual.time = now
        if type == .stop || type == .stopLimit {
            if quantity <= 0 { return (id, .invalidQuantity) }
            if side == .none { return (id, .invalidOrder) }
            pendingStops.append(LocalOrder(id: id, side: side, type: type, timeInForce: timeInForce, price: price, stopPrice: stopPrice,
                                           quantity: quantity, leaves: quantity, executed: 0, status: .new, pending: .none,
                                           submitTime: now, requestTime: now, record: -1))
            if let last = lastTrade { triggerStops(price: last, at: now) }
            stopsSent = false
            return (id, nil)
        }
        if let r = manual.submit(OrderRequest(id: id, side: side, type: type, timeInForce: timeInForce, price: price,
                                              stopPrice: stopPrice, quantity: quantity)) {
            return (id, r)
        }
        sendManual()
        return (id, nil)
    }

    /// Cancels a manual order (nil when sent).
    public mutating func cancelManual(_ id: OrderID) -> RejectReason? {
        if let k = pendingStops.firstIndex(where: { $0.id == id }) {
            pendingStops.remove(at: k)
            return nil
        }
        manual.time = now
        let r = manual.cancel(id)
        sendManual()
        return r
    }

    /// Ids of the manual orders that can be cancelled now.
    public var cancellableManualOrders: [OrderID] { manual.orders.filter(\.isCancellable).map(\.id) + pendingStops.map(\.id) }

    /// Stops the bot (no more decisions until `botHalted = false`), cancels its resting orders
    /// and the manual ones, and sends market orders that bring both positions back to zero.
    public mutating func flatten() {
        if !started { begin() }
        botHalted = true
        trader.time = now
        for o in trader.orders where o.isCancellable { trader.cancel(o.id) }
        let p = trader.position
        if p != 0 {
            flattenID += 1
            trader.submit(.market(id: flattenID, side: p > 0 ? .sell : .buy, quantity: abs(p)))
        }
        sendRequests()
        _ = algorithms.cancelAll(at: now)
        for id in cancellableManualOrders { _ = cancelManual(id) }
        let m = manual.position
        if m != 0 {
            _ = submitManual(side: m > 0 ? .sell : .buy, type: .market, timeInForce: .ioc, price: 0, stopPrice: 0, quantity: abs(m))
        }
    }

    // MARK: - State

    /// Best bid + best ask (half ticks) of the bot's view, or the last valid one.
    public var markHalfTicks: Int64 { trader.midHalfTicks ?? lastMark }

    public var bot: LiveAccount { account(trader) }
    public var manualAccount: LiveAccount { account(manual) }

    private func account(_ t: Trader) -> LiveAccount {
        let l = t.ledger
        return LiveAccount(position: l.position, cash: l.cash, fees: l.fees, fills: l.fillCount,
                           equity: l.equity(markHalfTicks: markHalfTicks))
    }

    /// The bot's run so far, as a backtest result.
    public func result(stoppedEarly: Bool) -> BacktestResult {
        let l = trader.ledger
        var r = BacktestResult(valuation: l.valuation, settings: settings, startTime: startTime, endTime: lastDecision, steps: steps,
                              exchangeEvents: exchangeEvents, localEvents: localEvents, fills: trader.fills,
                              orders: trader.orderRecords, equity: equity, counters: trader.counters,
                              position: l.position, cash: l.cash, fees: l.fees, realized: l.realized,
                              tradedValue: l.tradedValue, tradedQuantity: l.tradedQuantity,
                              finalMarkHalfTicks: trader.midHalfTicks ?? 0, exchangeTotals: exchange.totals,
                              tickToOrder: tickToOrder, orderRoundTrip: roundTrip, stoppedEarly: stoppedEarly, sharedBook: false)
        r.risk = trader.risk
        r.funding = l.funding
        r.fundingPaid = l.fundingPaid
        r.fundingReceived = l.fundingReceived
        r.fundingEvents = l.fundingEvents
        return r
    }

    // MARK: - Driver (Backtest.advance, non-shared mode, over growing feeds)

    private mutating func produce(through target: Nanos) {
        guard generator != nil else { return }
        let rec = recording
        withUnsafeMutablePointer(to: &exchangeFeed) { ex in
            withUnsafeMutablePointer(to: &localFeed) { lo in
                withUnsafeMutablePointer(to: &recorded) { r in
                    generator!.run(through: target) { e in
                        ex.pointee.append(e)
                        lo.pointee.append(e)
                        if rec { r.pointee.append(e) }
                    }
                }
            }
        }
    }

    /// Drops the consumed prefix of the feeds (keeps memory bounded for flow feeds).
    private mutating func compact() {
        guard !replay else { return }
        if exchangeCursor >= 4096 && exchangeCursor * 2 >= exchangeFeed.count {
            exchangeFeed.removeSubrange(0..<exchangeCursor)
            exchangeCursor = 0
        }
        if localCursor >= 4096 && localCursor * 2 >= localFeed.count {
            localFeed.removeSubrange(0..<localCursor)
            localCursor = 0
        }
    }

    private mutating func advance(to target: Nanos) -> Bool {
        if Exchange.generatesMarket { return advanceGenerated(to: target) }
        produce(through: target)
        let more = exchangeFeed.withUnsafeBufferPointer { ex in
            localFeed.withUnsafeBufferPointer { lo in advance(to: target, ex, lo) }
        }
        // A flow feed goes on until the close.
        if !more, let g = generator, g.nextTime != Nanos.max { return true }
        return more
    }

    private mutating func advance(to target: Nanos, _ exchangeFeed: UnsafeBufferPointer<Event>,
                                  _ localFeed: UnsafeBufferPointer<Event>) -> Bool
    {
        let exchangeCount = exchangeFeed.count
        let localCount = localFeed.count
        while true {
            var tLocalOrder = toLocal.nextTime
            let tExchangeOrder = toExchange.nextTime
            let localLimit = min(min(tLocalOrder, tExchangeOrder), target)
            var exchangeLimit = min(min(tLocalOrder &- 1, tExchangeOrder), target)
            var li = localCursor
            var ei = exchangeCursor
            var triggered = false
            while true {
                let lt = li < localCount ? localFeed[li].localTime : Nanos.max
                let et = ei < exchangeCount ? exchangeFeed[ei].exchTime : Nanos.max
                if lt <= et {
                    if lt > localLimit { break }
                    applyLocal(localFeed[li])
                    li &+= 1
                    if stopsSent { stopsSent = false; triggered = true; break }
                } else {
                    if et > exchangeLimit { break }
                    let produced = exchange.process(exchangeFeed[ei])
                    ei &+= 1
                    if produced {
                        sendResponses()
                        tLocalOrder = toLocal.nextTime
                        if tLocalOrder <= localLimit { break }
                        exchangeLimit = min(exchangeLimit, tLocalOrder &- 1)
                    }
                }
            }
            localEvents &+= li - localCursor
            exchangeEvents &+= ei - exchangeCursor
            localCursor = li
            exchangeCursor = ei
            // A stop sent by a print: its request is in `toExchange`, recompute the limits.
            if triggered { continue }
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
                applyLocal(localFeed[localCursor])
                localCursor &+= 1
                localEvents &+= 1
                stopsSent = false
            case 1:
                deliver(toLocal.pop(), at: t)
            case 2:
                let produced = exchange.process(exchangeFeed[exchangeCursor])
                exchangeCursor &+= 1
                exchangeEvents &+= 1
                if produced { sendResponses() }
            default:
                let m = toExchange.pop()
                exchange.receive(m, at: t)
                if !exchange.outbox.isEmpty { sendResponses() }
            }
        }
    }

    /// A response reaching its account at local time `t`.
    private mutating func deliver(_ m: OrderMessage, at t: Nanos) {
        if m.id >= LiveVenue.manualIDBase {
            manual.time = t
            if let f = manual.receive(m, at: t), !algorithms.isIdle { algorithms.didFill(f) }
        } else {
            trader.time = t
            if m.requestTime > 0 && m.answers != .update && m.answers != .fill {
                roundTrip.record(t - m.requestTime)
            }
            if let f = trader.receive(m, at: t) { strategy.didFill(f) }
        }
    }

    /// `advance` for an exchange that generates its market (the impact engine): crowd arrivals
    /// are produced one at a time, when they are the next thing to happen, so each sees every
    /// order message that reached the exchange before it. The same four streams and tie rules
    /// as above and as `Backtest`: at equal times local data, then responses, then exchange
    /// data (a crowd arrival), then requests reaching the exchange. The public events an
    /// arrival or a request produces join the local feed (exchange time + feed latency).
    private mutating func advanceGenerated(to target: Nanos) -> Bool {
        while true {
            let tLocalData = localCursor < localFeed.count ? localFeed[localCursor].localTime : Nanos.max
            let tLocalOrder = toLocal.nextTime
            let tExchangeData = exchange.nextArrival
            let tExchangeOrder = toExchange.nextTime
            var t = tLocalData
            var which = 0
            if tLocalOrder < t { t = tLocalOrder; which = 1 }
            if tExchangeData < t { t = tExchangeData; which = 2 }
            if tExchangeOrder < t { t = tExchangeOrder; which = 3 }
            if t == Nanos.max { return false }
            if t > target { return true }
            switch which {
            case 0:
                applyLocal(localFeed[localCursor])
                localCursor &+= 1
                localEvents &+= 1
            case 1:
                deliver(toLocal.pop(), at: t)
            case 2:
                exchange.arrive()
                publish()
                if !exchange.outbox.isEmpty { sendResponses() }
            default:
                let m = toExchange.pop()
                exchange.receive(m, at: t)
                publish()
                if !exchange.outbox.isEmpty { sendResponses() }
            }
        }
    }

    /// Moves a generating exchange's new public events to the local feed (and the recording).
    private mutating func publish() {
        let n = exchange.published.count
        if n == 0 { return }
        exchangeEvents &+= n
        localFeed.append(contentsOf: exchange.published)
        if recording { recorded.append(contentsOf: exchange.published) }
        exchange.published.removeAll(keepingCapacity: true)
    }

    /// Sends, at time `t`, the held stops whose trigger a trade at `last` reaches (buy: at or
    /// above the stop price; sell: at or below), in the order they were placed. Sets
    /// `stopsSent` when it sent any.
    private mutating func triggerStops(price last: Ticks, at t: Nanos) {
        var keep: [LocalOrder] = []
        var sent = false
        for s in pendingStops {
            let hit = s.side == .buy ? last >= s.stopPrice : last <= s.stopPrice
            if !hit { keep.append(s); continue }
            manual.time = t
            let market = s.type == .stop
            _ = manual.submit(OrderRequest(id: s.id, side: s.side, type: market ? .market : .limit,
                                           timeInForce: market ? .ioc : s.timeInForce, price: s.price, stopPrice: s.stopPrice,
                                           quantity: s.quantity))
            sent = true
        }
        guard sent else { return }
        pendingStops = keep
        sendManual(at: t)
        stopsSent = true
    }

    @inline(__always)
    private mutating func applyLocal(_ e: Event) {
        trader.apply(e)
        if e.kind == .trade {
            let p = e.ticks(base: trader.base)
            lastTrade = p
            // Platform-side stops see the print now, not at the next decision.
            if !pendingStops.isEmpty { triggerStops(price: p, at: e.localTime) }
            if !algorithms.isIdle { algorithms.observe(time: e.localTime, price: p, quantity: Lots(e.quantity)) }
        }
        if e.kind == .trade && e.side != .none {
            strategy.observe(TradePrint(time: e.localTime, price: e.ticks(base: trader.base), quantity: Lots(e.quantity), side: e.side))
        }
    }

    private mutating func sendResponses() {
        for m in exchange.outbox {
            let lat = latency.response(at: m.exchangeTime)
            toLocal.push(m, at: m.exchangeTime + lat)
        }
        exchange.outbox.removeAll(keepingCapacity: true)
    }

    private mutating func sendRequests() {
        let now = trader.time
        let sinceTick = now - trader.lastEventTime
        for m in trader.outbox {
            tickToOrder.record(sinceTick)
            route(m, at: now)
        }
        trader.outbox.removeAll(keepingCapacity: true)
    }

    private mutating func sendManual() { sendManual(at: now) }

    private mutating func sendManual(at t: Nanos) {
        for m in manual.outbox { route(m, at: t) }
        manual.outbox.removeAll(keepingCapacity: true)
    }

    private mutating func route(_ m: OrderMessage, at now: Nanos) {
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
}
