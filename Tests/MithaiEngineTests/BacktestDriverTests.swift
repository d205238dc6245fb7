import MithaiEngine
import Testing

/// A strategy that runs a script: at decision k (1-based) it calls `actions[k]`; it records what
/// it saw at every decision.
struct ScriptedStrategy: Strategy {
    var actions: [Int: (inout Trader) -> Void]
    var step = 0
    var seen: [(time: Nanos, bid: Ticks, ask: Ticks, position: Lots, orders: [LocalOrder])] = []
    var fillsSeen: [Fill] = []

    init(_ actions: [Int: (inout Trader) -> Void]) { self.actions = actions }

    mutating func decide(_ trader: inout Trader) {
        step += 1
        seen.append((trader.time, trader.bestBid, trader.bestAsk, trader.position, Array(trader.orders)))
        actions[step]?(&trader)
    }

    mutating func didFill(_ fill: Fill) { fillsSeen.append(fill) }
}

enum DriverScene {
    static let valuation = Valuation(contract: .linear, tickSize: .one, lotSize: .one, digits: 1)

    static func run(_ events: [Event], local: [Event]? = nil, strategy: inout ScriptedStrategy, entry: Nanos = 10,
                    response: Nanos = 5, interval: Nanos = 100) -> BacktestResult
    {
        run(events, local: local, strategy: &strategy, latency: ConstantLatency(entry: entry, response: response),
            interval: interval)
    }

    static func run<L: LatencyModel>(_ events: [Event], local: [Event]? = nil, strategy: inout ScriptedStrategy,
                                     latency: L, interval: Nanos = 100) -> BacktestResult
    {
        let x = NoPartialFillExchange(base: 0, queue: RiskAverseQueue(), fees: TradingValueFees.zero, valuation: valuation)
        var bt = Backtest(exchange: x, trader: Trader(base: 0, valuation: valuation), latency: latency,
                          settings: BacktestSettings(decisionInterval: interval, checkInvariants: true))
        return events.withUnsafeBufferPointer { ex in
            (local ?? events).withUnsafeBufferPointer { lo in bt.run(&strategy, exchangeFeed: ex, localFeed: lo) }
        }
    }

    static func depth(_ side: Side, _ p: Int32, _ q: Int32, _ ex: Nanos, _ lo: Nanos) -> Event {
        Event(kind: .depth, side: side, price: p, quantity: q, exchTime: ex, localTime: lo)
    }

    static func trade(_ side: Side, _ p: Int32, _ q: Int32, _ ex: Nanos, _ lo: Nanos) -> Event {
        Event(kind: .trade, side: side, price: p, quantity: q, exchTime: ex, localTime: lo)
    }
}

@Suite("Backtest driver: two timelines, latency, elapse semantics")
struct BacktestDriverTests {
    @Test func decisionsAtT0PlusKIntervalsUntilTheDataEnds() {
        // t0 is the earliest timestamp of either side: the first exchange time (1000) here.
        let events = [DriverScene.depth(.buy, 100, 5, 1_000, 1_003), DriverScene.depth(.sell, 102, 5, 1_000, 1_003),
                      DriverScene.depth(.buy, 101, 5, 1_250, 1_260), DriverScene.depth(.buy, 99, 5, 1_390, 1_401)]
        var s = ScriptedStrategy([:])
        let r = DriverScene.run(events, strategy: &s)
        #expect(r.startTime == 1_000)
        // at 1400 the local event at 1401 is still ahead: a decision; at 1500 nothing is left.
        #expect(s.seen.map(\.time) == [1_100, 1_200, 1_300, 1_400])
        #expect(r.steps == 4 && r.endTime == 1_400)
        // the strategy sees events at their local times
        #expect(s.seen.map(\.bid) == [100, 100, 101, 101])
    }

    @Test func ordersArriveAfterEntryLatencyAndSeeTheBookOfThatTime() {
        // Decision at 100 submits a post-only buy at 101; it reaches the exchange at 110, where an
        // ask at 101 (exchange time 110, same instant) has already been applied: exchange events
        // come before requests at equal times, so the post-only order crosses and expires.
        let events = [DriverScene.depth(.buy, 100, 5, 0, 1), DriverScene.depth(.sell, 103, 5, 0, 1),
                      DriverScene.depth(.sell, 101, 5, 110, 150), DriverScene.depth(.buy, 90, 1, 400, 401)]
        var s = ScriptedStrategy([1: { t in t.submit(.limit(id: 1, side: .buy, price: 101, quantity: 1, timeInForce: .gtx)) }])
        let r = DriverScene.run(events, strategy: &s)
        #expect(r.orders[0].status == .expired)
        #expect(r.orders[0].reason == .postOnlyWouldCross)
        #expect(r.orders[0].lastUpdateTime == 115)              // 110 + response latency 5
        #expect(s.seen[1].orders.first?.status == .expired)     // seen at the decision at 200
        #expect(r.orderRoundTrip.max == 15)
    }

    @Test func fillsHappenAtExchangeTimeAndReachTheStrategyAfterTheResponseLatency() {
        let events = [DriverScene.depth(.buy, 100, 5, 0, 2), DriverScene.depth(.sell, 103, 5, 0, 2),
                      // sell print at 99 (exchange 150) fills our bid at 100 (resting since 110)
                      DriverScene.trade(.sell, 99, 1, 150, 170), DriverScene.depth(.buy, 90, 1, 400, 401)]
        var s = ScriptedStrategy([1: { t in t.submit(.limit(id: 1, side: .buy, price: 100, quantity: 2)) }])
        let r = DriverScene.run(events, strategy: &s)
        #expect(r.fills.count == 1)
        #expect(r.fills[0].exchangeTime == 150 && r.fills[0].localTime == 155)
        #expect(r.fills[0].price == 100 && r.fills[0].isMaker)
        #expect(r.orders[0].acceptTime == 110)
        #expect(s.fillsSeen.count == 1)
        #expect(s.seen[0].position == 0 && s.seen[1].position == 2)
        #expect(r.position == 2)
    }

    @Test func aPrintBeforeTheOrderArrivesDoesNotFillIt() {
        // the print happens at exchange time 105, the order arrives at 110
        let events = [DriverScene.depth(.buy, 100, 5, 0, 2), DriverScene.depth(.sell, 103, 5, 0, 2),
                      DriverScene.trade(.sell, 99, 1, 105, 106), DriverScene.depth(.buy, 90, 1, 400, 401)]
        var s = ScriptedStrategy([1: { t in t.submit(.limit(id: 1, side: .buy, price: 100, quantity: 2)) }])
        let r = DriverScene.run(events, strategy: &s)
        #expect(r.fills.isEmpty)
    }

    @Test func exchangeOnlyAndLocalOnlyFeeds() {
        // The exchange sees the ask move at 120, the strategy only at 290 (its own feed order).
        let exchange = [DriverScene.depth(.buy, 100, 5, 0, 0), DriverScene.depth(.sell, 103, 5, 0, 0),
                        DriverScene.depth(.sell, 101, 5, 120, 290), DriverScene.depth(.buy, 90, 1, 350, 350)]
        let local = [exchange[0], exchange[1], DriverScene.depth(.buy, 90, 1, 350, 280), exchange[2]]
        var s = ScriptedStrategy([:])
        let r = DriverScene.run(exchange, local: local, strategy: &s)
        #expect(s.seen.map(\.ask) == [103, 103, 101])          // at 100, 200, 300
        #expect(r.exchangeEvents == 4 && r.localEvents == 4)
    }

    @Test func venueRejectionsComeBackWithoutReachingTheExchange() {
        // the latency table says the venue drops requests around t = 100 (exchange time 0),
        // answering after 30 ns
        let table = InterpolatedLatency(samples: [LatencySample(request: 0, exchange: 0, response: 30),
                                                  LatencySample(request: 1_000, exchange: 0, response: 1_030)])
        let events = [DriverScene.depth(.buy, 100, 5, 0, 0), DriverScene.depth(.sell, 103, 5, 0, 0),
                      DriverScene.depth(.buy, 90, 1, 400, 400)]
        var s = ScriptedStrategy([1: { t in t.submit(.limit(id: 1, side: .buy, price: 100, quantity: 1)) }])
        let r = DriverScene.run(events, strategy: &s, latency: table)
        #expect(r.orders[0].status == .rejected)
        #expect(r.orders[0].reason == .venueRejected)
        #expect(r.orders[0].lastUpdateTime == 130)
        #expect(r.exchangeTotals.fills == 0)
        #expect(r.counters.exchangeRejects == 1)
    }

    @Test func requestsInFlightAndLateCancels() {
        // submit at 100 (arrives 110); cancel at 100 is refused locally (submission in flight);
        // the order fills at 150; a cancel sent at 200 arrives too late and is rejected.
        let events = [DriverScene.depth(.buy, 100, 5, 0, 0), DriverScene.depth(.sell, 103, 5, 0, 0),
                      DriverScene.trade(.sell, 99, 1, 150, 150), DriverScene.depth(.buy, 90, 1, 500, 500)]
        var cancelled: RejectReason? = .none
        var s = ScriptedStrategy([
            1: { t in
                t.submit(.limit(id: 1, side: .buy, price: 100, quantity: 1))
                cancelled = t.cancel(1)
                #expect(t.submit(.limit(id: 1, side: .buy, price: 99, quantity: 1)) == .duplicateOrderID)
                #expect(t.submit(.limit(id: 2, side: .buy, price: 99, quantity: 0)) == .invalidQuantity)
            },
            2: { t in
                #expect(t.orders[1]?.status == .filled)
                #expect(t.cancel(1) == .unknownOrder)          // filled: nothing to cancel
                t.clearInactiveOrders()
                #expect(t.orders.isEmpty)
                #expect(t.cancel(1) == .unknownOrder)
            },
        ])
        let r = DriverScene.run(events, strategy: &s)
        #expect(cancelled == .requestInFlight)
        #expect(r.fills.count == 1)
        #expect(r.counters.localRejects == 5)
    }

    @Test func stopsTriggerAtTheExchangeAfterTheOrderArrived() {
        let events = [DriverScene.depth(.buy, 100, 5, 0, 0), DriverScene.depth(.sell, 103, 5, 0, 0),
                      DriverScene.trade(.buy, 103, 1, 105, 105),    // before the stop arrives: ignored
                      DriverScene.trade(.sell, 101, 1, 108, 108),   // last price 101 when it arrives
                      DriverScene.trade(.buy, 103, 1, 160, 160),    // triggers the stop at 103
                      DriverScene.depth(.buy, 90, 1, 500, 500)]
        var s = ScriptedStrategy([1: { t in t.submit(OrderRequest(id: 9, side: .buy, type: .stop, stopPrice: 103, quantity: 2)) }])
        let r = DriverScene.run(events, strategy: &s)
        #expect(r.fills.count == 1)
        #expect(r.fills[0].exchangeTime == 160 && r.fills[0].price == 103 && !r.fills[0].isMaker)
    }

    @Test func stoppingEarly() {
        var events: [Event] = []
        for i in 0..<100 {
            let t = Nanos(i) * 50
            events.append(DriverScene.depth(.buy, 100, Int32(i + 1), t, t))
        }
        var s = ScriptedStrategy([:])
        let x = NoPartialFillExchange(base: 0, queue: RiskAverseQueue(), fees: TradingValueFees.zero, valuation: DriverScene.valuation)
        var bt = Backtest(exchange: x, trader: Trader(base: 0, valuation: DriverScene.valuation),
                          latency: ConstantLatency(entry: 1, response: 1), settings: BacktestSettings(decisionInterval: 100))
        let r = events.withUnsafeBufferPointer { bt.run(&s, exchangeFeed: $0, localFeed: $0, checkEvery: 5) { $0 < 1_000 } }
        #expect(r.stoppedEarly)
        #expect(r.steps == 10)
    }

    @Test func singleFeedWithExchangeTimesOutOfOrder() {
        // Feed order (local times increase); the ask at 101 happened first at the exchange.
        let events = [DriverScene.depth(.buy, 100, 5, 0, 0), DriverScene.depth(.sell, 105, 5, 0, 0),
                      DriverScene.depth(.buy, 99, 5, 130, 140), DriverScene.depth(.sell, 101, 5, 120, 150),
                      DriverScene.depth(.buy, 90, 1, 500, 500)]
        var c = BacktestConfiguration(tickSize: .one, lotSize: .one, latency: .constant(ConstantLatency(entry: 1, response: 1)))
        c.settings.checkInvariants = true
        let run = events.withUnsafeBufferPointer {
            BacktestRunner.runGrid(c, grid: GridParameters(levels: 1, gridIntervalTicks: 1, halfSpreadTicks: 1,
                                                          orderQuantity: 1, maxPosition: 10, decisionInterval: 100),
                                   base: 0, events: $0)
        }
        #expect(!run.result.sharedBook)
        #expect(run.result.exchangeEvents == 5 && run.result.localEvents == 5)
    }

    @Test func exchangeOrderOfAnUnsortedFeed() {
        let events = [DriverScene.depth(.buy, 1, 1, 10, 20), DriverScene.depth(.buy, 2, 1, 5, 21),
                      DriverScene.depth(.buy, 3, 1, 5, 22)]
        let order = events.withUnsafeBufferPointer { Backtest<NoPartialFillExchange<RiskAverseQueue, TradingValueFees>, ConstantLatency>.exchangeOrder($0) }
        #expect(order == [1, 2, 0])
        let sorted = [events[1], events[2]].withUnsafeBufferPointer {
            Backtest<NoPartialFillExchange<RiskAverseQueue, TradingValueFees>, ConstantLatency>.exchangeOrder($0)
        }
        #expect(sorted == nil)
    }
}
