/// The session boundary of live venues: a venue described by values (configuration, strategy
/// model, feed) turned once into fully specialised generic code behind one class reference.
/// Per call (one slice of simulated time, one manual order) there is one dynamic dispatch;
/// nothing per event.

/// The strategy of a live run, as values.
public enum LiveStrategyModel: Sendable, Equatable {
    case grid(GridParameters)
    case marketMaking(MarketMakingModel)

    public var decisionInterval: Nanos {
        switch self {
        case .grid(let p): return p.decisionInterval
        case .marketMaking(let m): return m.decisionInterval
        }
    }
}

/// A running venue, type-erased. Not thread-safe: its owner serialises calls (the shell's live
/// session holds it under a lock).
public protocol LiveVenueHandle: AnyObject {
    /// Processes everything up to simulated time `target`; false once the venue has finished.
    @discardableResult func run(to target: Nanos) -> Bool
    /// First event time (t0), valid after the first `run`.
    var startTime: Nanos { get }
    /// Simulated time processed so far.
    var now: Nanos { get }
    var finished: Bool { get }
    var botHalted: Bool { get set }
    var markHalfTicks: Int64 { get }
    var bot: LiveAccount { get }
    var manualAccount: LiveAccount { get }
    /// The bot's view of the book.
    var book: L2Book { get }
    var botOrders: [LocalOrder] { get }
    var manualOrders: [LocalOrder] { get }
    var botFills: ContiguousArray<Fill> { get }
    var manualFills: ContiguousArray<Fill> { get }
    var recorded: ContiguousArray<Event> { get }
    var exchangeEvents: Int { get }
    var roundTrip: LatencyHistogram { get }
    var tickToOrder: LatencyHistogram { get }
    var flowCounts: FlowCounts? { get }
    var valuation: Valuation { get }
    /// The last `n` trade prints of the feed (oldest first), without copying the feed.
    func recentTrades(_ n: Int) -> [Event]
    /// The last `n` fills of the bot and of the manual account, merged by local time.
    func recentFills(_ n: Int) -> [(manual: Bool, fill: Fill)]
    /// Absolute tick of relative price 0 of the feed's events.
    var base: Ticks { get }
    func submitManual(side: Side, type: OrderType, timeInForce: TimeInForce, price: Ticks, stopPrice: Ticks,
                      quantity: Lots) -> (id: OrderID, refused: RejectReason?)
    func cancelManual(_ id: OrderID) -> RejectReason?
    var cancellableManualOrders: [OrderID] { get }
    func flatten()
    func result(stoppedEarly: Bool) -> BacktestResult
}

final class LiveVenueBox<E: ExchangeModel, L: LatencyModel, S: LiveStrategy>: LiveVenueHandle {
    var venue: LiveVenue<E, L, S>
    init(_ v: LiveVenue<E, L, S>) { venue = v }

    func run(to target: Nanos) -> Bool { venue.run(to: target) }
    var startTime: Nanos { venue.startTime }
    var now: Nanos { venue.now }
    var finished: Bool { venue.finished }
    var botHalted: Bool {
        get { venue.botHalted }
        set { venue.botHalted = newValue }
    }
    var markHalfTicks: Int64 { venue.markHalfTicks }
    var bot: LiveAccount { venue.bot }
    var manualAccount: LiveAccount { venue.manualAccount }
    var book: L2Book { venue.trader.book }
    var botOrders: [LocalOrder] { Array(venue.trader.orders) }
    var manualOrders: [LocalOrder] { Array(venue.manual.orders) + venue.pendingStops }
    var botFills: ContiguousArray<Fill> { venue.trader.fills }
    var manualFills: ContiguousArray<Fill> { venue.manual.fills }
    var recorded: ContiguousArray<Event> { venue.recorded }
    var exchangeEvents: Int { venue.exchangeEvents }
    var roundTrip: LatencyHistogram { venue.roundTrip }
    var tickToOrder: LatencyHistogram { venue.tickToOrder }
    var flowCounts: FlowCounts? { venue.generator?.counts ?? venue.exchange.generatedCounts }
    var valuation: Valuation { venue.trader.ledger.valuation }
    var base: Ticks { venue.trader.base }
    func recentTrades(_ n: Int) -> [Event] {
        var out: [Event] = []
        var i = venue.recorded.count - 1
        while i >= 0 && out.count < n {
            let e = venue.recorded[i]
            if e.kind == .trade { out.append(e) }
            i -= 1
        }
        return out.reversed()
    }
    func recentFills(_ n: Int) -> [(manual: Bool, fill: Fill)] {
        let b = venue.trader.fills.suffix(n).map { (manual: false, fill: $0) }
        let m = venue.manual.fills.suffix(n).map { (manual: true, fill: $0) }
        return Array((b + m).sorted { $0.fill.localTime < $1.fill.localTime }.suffix(n))
    }
    func submitManual(side: Side, type: OrderType, timeInForce: TimeInForce, price: Ticks, stopPrice: Ticks,
                      quantity: Lots) -> (id: OrderID, refused: RejectReason?)
    {
        venue.submitManual(side: side, type: type, timeInForce: timeInForce, price: price, stopPrice: stopPrice, quantity: quantity)
    }
    func cancelManual(_ id: OrderID) -> RejectReason? { venue.cancelManual(id) }
    var cancellableManualOrders: [OrderID] { venue.cancellableManualOrders }
    func flatten() { venue.flatten() }
    func result(stoppedEarly: Bool) -> BacktestResult {
        var r = venue.result(stoppedEarly: stoppedEarly)
        if let w = venue.strategy as? any UnwindReporting { r.unwinds = w.reports }
        return r
    }
}

public enum LiveRunner {
    /// Builds a venue: the exchange, queue, latency and fee models of `configuration` (as
    /// `BacktestRunner.run` chooses them), the strategy, and the feed. A flow feed produces L3
    /// events: use `exchange: .l3FIFO`. An impact feed gets the impact engine (`ImpactExchange`,
    /// whatever `exchange` says: there is one matching engine and one book).
    public static func make(_ configuration: BacktestConfiguration, strategy model: LiveStrategyModel, base: Ticks,
                            feed: LiveFeed, recording: Bool = true, unwind: UnwindParameters? = nil) -> any LiveVenueHandle
    {
        var c = configuration
        c.settings.decisionInterval = model.decisionInterval
        switch model {
        case .grid(let p):
            return withUnwind(c, GridMarketMaker(parameters: p, tickSize: c.tickSize, lotSize: c.lotSize), unwind, base, feed, recording)
        case .marketMaking(.spread(let p)):
            return withUnwind(c, SpreadQuoter(parameters: p, tickSize: c.tickSize, lotSize: c.lotSize), unwind, base, feed, recording)
        case .marketMaking(.avellanedaStoikov(let p)):
            return withUnwind(c, AvellanedaStoikov(parameters: p, tickSize: c.tickSize, lotSize: c.lotSize), unwind, base, feed, recording)
        case .marketMaking(.glft(let p)):
            return withUnwind(c, GLFTMarketMaker(parameters: p, tickSize: c.tickSize, lotSize: c.lotSize), unwind, base, feed, recording)
        }
    }

    /// The strategy, wrapped in an `InventoryUnwind` when `unwind` is given.
    private static func withUnwind<S: LiveStrategy>(_ c: BacktestConfiguration, _ s: S, _ unwind: UnwindParameters?, _ base: Ticks,
                                                    _ feed: LiveFeed, _ recording: Bool) -> any LiveVenueHandle
    {
        guard let u = unwind else { return withStrategy(c, s, base, feed, recording) }
        return withStrategy(c, InventoryUnwind(inner: s, parameters: u, decisionInterval: c.settings.decisionInterval), base, feed, recording)
    }

    private static func withStrategy<S: LiveStrategy>(_ c: BacktestConfiguration, _ s: S, _ base: Ticks, _ feed: LiveFeed,
                                                      _ recording: Bool) -> any LiveVenueHandle
    {
        if case .impact(let g) = feed {
            let v = c.valuation
            let trader = Trader(base: base, valuation: v, orderByOrder: true)
            return LiveVenueBox(LiveVenue(exchange: ImpactExchange(flow: g, fees: c.runFees, valuation: v), trader: trader,
                                          latency: c.latency, strategy: s, settings: c.settings, feed: feed, recording: recording))
        }
        let lot = c.lotSize.doubleValue
        if c.exchange == .l3FIFO { return withQueue(c, RiskAverseQueue(), s, base, feed, recording) }
        switch c.queue {
        case .riskAverse: return withQueue(c, RiskAverseQueue(), s, base, feed, recording)
        case .power(let n): return withQueue(c, ProbabilisticQueue(PowerProbability(n), lotSize: lot), s, base, feed, recording)
        case .power2(let n): return withQueue(c, ProbabilisticQueue(PowerProbability2(n), lotSize: lot), s, base, feed, recording)
        case .power3(let n): return withQueue(c, ProbabilisticQueue(PowerProbability3(n), lotSize: lot), s, base, feed, recording)
        case .log: return withQueue(c, ProbabilisticQueue(LogProbability(), lotSize: lot), s, base, feed, recording)
        case .log2: return withQueue(c, ProbabilisticQueue(LogProbability2(), lotSize: lot), s, base, feed, recording)
        }
    }

    private static func withQueue<Q: QueueModel, S: LiveStrategy>(_ c: BacktestConfiguration, _ q: Q, _ s: S, _ base: Ticks,
                                                                  _ feed: LiveFeed, _ recording: Bool) -> any LiveVenueHandle
    {
        let v = c.valuation
        let trader = Trader(base: base, valuation: v, orderByOrder: c.exchange == .l3FIFO)
        switch c.exchange {
        case .noPartialFill:
            return LiveVenueBox(LiveVenue(exchange: NoPartialFillExchange(base: base, queue: q, fees: c.runFees, valuation: v),
                                          trader: trader, latency: c.latency, strategy: s, settings: c.settings, feed: feed,
                                          recording: recording))
        case .partialFill:
            return LiveVenueBox(LiveVenue(exchange: PartialFillExchange(base: base, queue: q, fees: c.runFees, valuation: v),
                                          trader: trader, latency: c.latency, strategy: s, settings: c.settings, feed: feed,
                                          recording: recording))
        case .l3FIFO:
            return LiveVenueBox(LiveVenue(exchange: L3Exchange(base: base, fees: c.runFees, valuation: v),
                                          trader: trader, latency: c.latency, strategy: s, settings: c.settings, feed: feed,
                                          recording: recording))
        }
    }
}
