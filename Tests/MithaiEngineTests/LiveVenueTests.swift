import MithaiEngine
import Testing

/// Live venues: order-flow generators (rates, book invariants) and the live driver
/// (determinism, equality with a backtest over the same feed, manual orders kept apart).
@Suite struct LiveVenueTests {
    static let start: Nanos = 1_767_584_700 * Time.second   // 2026-01-05 03:45 UTC (09:15 IST)
    static let flow = FlowParameters(limitRate: 60, marketRate: 6, cancelRate: 0.1, meanSize: 20, priceRange: 20)
    static let tick = ExactDecimal("0.05")!
    static let lot = ExactDecimal("1")!

    static func generate(_ model: FlowModel, seconds: Int64, seed: UInt64, parameters: FlowParameters = flow,
                         check: Bool = false) -> (events: [Event], generator: OrderFlowGenerator)
    {
        var g = OrderFlowGenerator(parameters: parameters, model: model, reference: 30_000, start: start, seed: seed)
        var events: [Event] = []
        g.open { events.append($0) }
        let end = start + seconds * Time.second
        var k = 0
        while g.nextTime <= end {
            g.step { events.append($0) }
            k += 1
            // Every 50th arrival: the full check is O(orders + the L2 window).
            if check && k % 50 == 0 {
                g.book.checkInvariants(allowCrossed: false)
                #expect(g.book.liveOrders == g.restingOrders)
            }
        }
        return (events, g)
    }

    @Test func zeroIntelligenceRatesMatchParameters() {
        let seconds: Int64 = 2_000
        let (events, g) = Self.generate(.zeroIntelligence, seconds: seconds, seed: 7)
        let c = g.counts
        // Poisson counts: mean rate × T, sd √(rate × T); allow 4 sd.
        let limits = Double(c.limitOrders), markets = Double(c.marketOrders)
        let expectLimits = Self.flow.limitRate * Double(seconds), expectMarkets = Self.flow.marketRate * Double(seconds)
        #expect(abs(limits - expectLimits) < 4 * expectLimits.squareRoot(), "limit orders \(limits) vs \(expectLimits)")
        #expect(abs(markets - expectMarkets) < 4 * expectMarkets.squareRoot(), "market orders \(markets) vs \(expectMarkets)")
        // Cancels balance arrivals in steady state: the book stays near limitRate / δ orders.
        let n = Double(g.restingOrders)
        #expect(n > 0.5 * Double(Self.flow.equilibriumOrders) && n < 1.5 * Double(Self.flow.equilibriumOrders), "resting \(n)")
        // Mean size of adds ≈ meanSize.
        let adds = events.filter { $0.kind == .add }
        let meanSize = Double(adds.reduce(0) { $0 + Int($1.quantity) }) / Double(adds.count)
        #expect(abs(meanSize - Self.flow.meanSize) < 0.05 * Self.flow.meanSize, "mean size \(meanSize)")
        // Times never decrease; local = exchange + feed latency.
        for i in 1..<events.count { #expect(events[i].exchTime >= events[i - 1].exchTime); if events[i].exchTime < events[i - 1].exchTime { break } }
        #expect(events.allSatisfy { $0.localTime == $0.exchTime + Self.flow.feedLatency })
    }

    @Test func bookInvariantsHoldAfterEveryEvent() {
        for seed: UInt64 in [1, 2, 3] {
            let (events, g) = Self.generate(.zeroIntelligence, seconds: 30, seed: seed, check: true)
            // Replaying the feed into a fresh book gives the generator's book.
            var book = L3Book()
            for e in events { book.apply(e, base: 30_000) }
            #expect(book.l2.digest() == g.book.l2.digest())
            #expect(book.discrepancies == 0 && book.unknownOrderEvents == 0)
            #expect(g.book.bestBid < g.book.bestAsk)
        }
    }

    @Test func hawkesRatesMatchStationaryMean() {
        let h = HawkesParameters(selfExcitation: 0.6, crossExcitation: 0.01, decay: 5)
        let seconds: Int64 = 2_000
        let (_, g) = Self.generate(.hawkes(h), seconds: seconds, seed: 11)
        let c = g.counts
        // Λ = (I − α)⁻¹ μ = the configured rates; clustered counts vary more than Poisson:
        // Var ≈ Λ T / (1 − ρ)², so allow 4 of those sd.
        let rho = h.branchingRatio
        for (got, rate) in [(c.limitOrders, Self.flow.limitRate), (c.marketOrders, Self.flow.marketRate)] {
            let expect = rate * Double(seconds)
            let sd = expect.squareRoot() / (1 - rho)
            #expect(abs(Double(got) - expect) < 4 * sd, "\(got) vs \(expect)")
        }
        // Clustering: the variance of counts in 1 s windows exceeds the mean (Poisson: equal).
        let (events, _) = Self.generate(.hawkes(h), seconds: 600, seed: 12)
        let (poissonEvents, _) = Self.generate(.zeroIntelligence, seconds: 600, seed: 12)
        func dispersion(_ ev: [Event]) -> Double {
            var bins = [Double](repeating: 0, count: 600)
            for e in ev where e.kind == .add && e.exchTime > Self.start {
                let b = Int((e.exchTime - Self.start) / Time.second)
                if b < 600 { bins[b] += 1 }
            }
            let m = bins.reduce(0, +) / 600
            let v = bins.reduce(0) { $0 + ($1 - m) * ($1 - m) } / 599
            return v / m
        }
        #expect(dispersion(events) > 2 * dispersion(poissonEvents), "Hawkes counts should be overdispersed")
    }

    @Test func hawkesRejectsExplosiveParameters() {
        #expect(HawkesParameters(selfExcitation: 0.8, crossExcitation: 0.1, decay: 1).problem != nil)
        #expect(HawkesParameters(selfExcitation: 0.5, crossExcitation: 0.1, decay: 1).problem == nil)
        #expect(HawkesParameters(selfExcitation: 0.5, crossExcitation: 0.1, decay: 1).problem(for: Self.flow) != nil)
        #expect(HawkesParameters(selfExcitation: 0.6, crossExcitation: 0.01, decay: 1).problem(for: Self.flow) == nil)
    }

    static func configuration() -> BacktestConfiguration {
        BacktestConfiguration(tickSize: tick, lotSize: lot, exchange: .l3FIFO,
                              latency: .constant(ConstantLatency(entry: 2 * Time.millisecond, response: 2 * Time.millisecond)),
                              fees: TradingValueFees(makerRate: ExactDecimal("-0.00002")!, takerRate: ExactDecimal("0.0003")!))
    }

    static let grid = GridParameters(levels: 3, gridIntervalTicks: 1, halfSpreadTicks: 1, orderQuantity: 10, maxPosition: 200,
                                     decisionInterval: 100 * Time.millisecond)

    static func liveRun(seed: UInt64, slices: [Nanos], manual: Bool = false) -> (BacktestResult, any LiveVenueHandle) {
        let g = OrderFlowGenerator(parameters: flow, model: .zeroIntelligence, reference: 30_000, start: start, seed: seed)
        let v = LiveRunner.make(configuration(), strategy: .grid(grid), base: 30_000, feed: .flow(g))
        var t = start
        for (k, s) in slices.enumerated() {
            t += s
            v.run(to: t)
            if manual && k == 1 {
                let bid = v.book.bestBid
                _ = v.submitManual(side: .buy, type: .limit, timeInForce: .gtc, price: bid, stopPrice: 0, quantity: 5)
            }
        }
        return (v.result(stoppedEarly: true), v)
    }

    @Test func sameSeedSameEventsAndFillsWhateverTheSlicing() {
        let minute = 60 * Time.second
        let (a, va) = Self.liveRun(seed: 42, slices: [minute, minute, minute])
        let (b, vb) = Self.liveRun(seed: 42, slices: Array(repeating: 3 * Time.second, count: 60))
        #expect(a.fills.count > 10)
        #expect(a.fills == b.fills)
        #expect(a.orders == b.orders)
        #expect(va.recorded.elementsEqual(vb.recorded))
        #expect(a.netPnL == b.netPnL)
        let (c, _) = Self.liveRun(seed: 43, slices: [minute, minute, minute])
        #expect(c.fills != a.fills)
    }

    @Test func replayOfTheFeedGivesTheBacktestsFills() {
        // A generated feed, recorded, then run twice: by `Backtest` and by a live replay.
        let (events, _) = Self.generate(.zeroIntelligence, seconds: 120, seed: 5)
        let c = Self.configuration()
        for model in [LiveStrategyModel.grid(Self.grid),
                      .marketMaking(.glft(GLFTParameters(gamma: 0.05, delta: 1, adj1: 1, adj2: 0.05, recalibrateEvery: Time.second,
                                                         orderQuantity: 10, inventory: InventoryParameters(maxPosition: 100))))]
        {
            let backtest: BacktestResult = events.withUnsafeBufferPointer { buf in
                switch model {
                case .grid(let p): return BacktestRunner.runGrid(c, grid: p, base: 30_000, events: buf).result
                case .marketMaking(let m): return BacktestRunner.runMarketMaker(c, model: m, base: 30_000, events: buf)
                }
            }
            let live = LiveRunner.make(c, strategy: model, base: 30_000,
                                       feed: .replay(exchange: ContiguousArray(events), local: ContiguousArray(events)))
            var t = events[0].exchTime
            while live.run(to: t) { t += 7 * Time.second + 3 }
            let r = live.result(stoppedEarly: false)
            #expect(backtest.fills.count > 0)
            #expect(r.fills == backtest.fills)
            #expect(r.orders == backtest.orders)
            #expect(r.steps == backtest.steps)
            #expect(r.netPnL == backtest.netPnL)
        }
    }

    @Test func manualOrdersAreKeptApartFromTheBot() {
        let minute = 60 * Time.second
        let (plain, _) = Self.liveRun(seed: 9, slices: [minute, minute, minute])
        let (withManual, v) = Self.liveRun(seed: 9, slices: [minute, minute, minute], manual: true)
        #expect(v.manualOrders.count + v.manualFills.count > 0)
        #expect(v.manualFills.count > 0, "a bid at the touch for 2 minutes fills")
        #expect(v.manualAccount.position == v.manualFills.reduce(0) { $0 + ($1.side == .buy ? $1.quantity : -$1.quantity) })
        // The bot's fills do not include the manual ones (L3 exchange: our orders never change
        // the crowd's book, so the bot's fills are unchanged too).
        #expect(withManual.fills == plain.fills)
        #expect(!withManual.fills.contains { $0.orderID >= (1 << 62) })
    }
}

@Suite struct LiveStopOrderTests {
    @Test func manualStopsWaitForTheirTriggerThenExecute() {
        let g = OrderFlowGenerator(parameters: LiveVenueTests.flow, model: .zeroIntelligence, reference: 30_000,
                                   start: LiveVenueTests.start, seed: 42)
        let v = LiveRunner.make(LiveVenueTests.configuration(), strategy: .grid(LiveVenueTests.grid), base: 30_000, feed: .flow(g))
        var t = LiveVenueTests.start + 10 * Time.second
        v.run(to: t)
        let mid = v.markHalfTicks / 2
        // A sell stop far below and one just below the market; a buy stop-limit just above.
        let far = v.submitManual(side: .sell, type: .stop, timeInForce: .gtc, price: 0, stopPrice: mid - 10_000, quantity: 5)
        let near = v.submitManual(side: .sell, type: .stop, timeInForce: .gtc, price: 0, stopPrice: mid - 1, quantity: 5)
        let up = v.submitManual(side: .buy, type: .stopLimit, timeInForce: .gtc, price: mid + 5, stopPrice: mid + 1, quantity: 5)
        #expect(far.refused == nil && near.refused == nil && up.refused == nil)
        #expect(v.manualOrders.count == 3)
        #expect(v.manualFills.isEmpty)
        for _ in 0..<60 { t += 5 * Time.second; v.run(to: t) }
        let filled = Set(v.manualFills.map(\.orderID))
        #expect(!filled.contains(far.id), "a stop 10,000 ticks away never triggers")
        #expect(filled.contains(near.id) || filled.contains(up.id), "a stop a tick away triggers within 5 minutes")
        #expect(v.manualOrders.contains { $0.id == far.id })
        #expect(v.cancelManual(far.id) == nil)
        #expect(!v.manualOrders.contains { $0.id == far.id })
    }
}

/// Platform-side stops trigger on the print that reaches them, at its local time, not at the
/// next decision time; the result does not depend on how time is sliced.
@Suite struct LiveStopTriggerTests {
    static let entry = 2 * Time.millisecond

    /// Runs a venue for 10 s, places `place(v, lastTrade)` stops, then runs 5 more minutes in
    /// slices of `slice`.
    static func run(slice: Nanos, place: (any LiveVenueHandle, Ticks) -> [OrderID]) -> (any LiveVenueHandle, [OrderID], Nanos) {
        let g = OrderFlowGenerator(parameters: LiveVenueTests.flow, model: .zeroIntelligence, reference: 30_000,
                                   start: LiveVenueTests.start, seed: 42)
        let v = LiveRunner.make(LiveVenueTests.configuration(), strategy: .grid(LiveVenueTests.grid), base: 30_000, feed: .flow(g))
        var t = LiveVenueTests.start + 10 * Time.second + 37 * Time.millisecond   // between two decision times
        v.run(to: t)
        let placed = t
        let last = v.recentTrades(1)[0].ticks(base: v.base)
        let ids = place(v, last)
        let end = t + 300 * Time.second
        while t < end { t = min(end, t + slice); v.run(to: t) }
        return (v, ids, placed)
    }

    /// The first trade print after `after` (local time) at or beyond `stop` on the trigger side.
    static func triggerPrint(_ v: any LiveVenueHandle, after: Nanos, stop: Ticks, buy: Bool) -> Event? {
        v.recorded.first { e in
            e.kind == .trade && e.localTime > after && (buy ? e.ticks(base: v.base) >= stop : e.ticks(base: v.base) <= stop)
        }
    }

    @Test func aStopIsSentAtThePrintsLocalTime() {
        var sellStop: Ticks = 0, buyStop: Ticks = 0
        let place: (any LiveVenueHandle, Ticks) -> [OrderID] = { v, last in
            sellStop = last - 2
            buyStop = last + 2
            let a = v.submitManual(side: .sell, type: .stop, timeInForce: .gtc, price: 0, stopPrice: sellStop, quantity: 3)
            let b = v.submitManual(side: .buy, type: .stopLimit, timeInForce: .ioc, price: last + 12, stopPrice: buyStop, quantity: 3)
            return [a.id, b.id]
        }
        let (v, ids, placed) = Self.run(slice: 250 * Time.millisecond, place: place)
        let sellPrint = Self.triggerPrint(v, after: placed, stop: sellStop, buy: false)
        let buyPrint = Self.triggerPrint(v, after: placed, stop: buyStop, buy: true)
        #expect(sellPrint != nil && buyPrint != nil, "both stops are 2 ticks from the last trade: prints reach them in 5 minutes")
        var offGrid = 0
        for (id, print) in zip(ids, [sellPrint, buyPrint]) {
            guard let print else { continue }
            let fills = v.manualFills.filter { $0.orderID == id }
            #expect(!fills.isEmpty, "the triggered order executes")
            // Sent at the print's local time, at the exchange one entry latency later.
            for f in fills { #expect(f.exchangeTime == print.localTime + Self.entry) }
            if (print.localTime - LiveVenueTests.start) % (100 * Time.millisecond) != 0 { offGrid += 1 }
        }
        #expect(offGrid > 0, "at least one trigger print falls between two decision times")
        #expect(!v.manualOrders.contains { $0.type == .stop || $0.type == .stopLimit }, "no stop is held any more")
        #expect(v.manualOrders.allSatisfy { $0.status == .filled })

        // Any slicing gives the same manual fills.
        for slice in [Time.second * 7, 3 * Time.millisecond + 1] {
            let (w, _, _) = Self.run(slice: slice, place: place)
            #expect(w.manualFills == v.manualFills)
            #expect(w.botFills == v.botFills)
        }
    }

    @Test func aStopAlreadyReachedIsSentAtOnce() {
        let (v, ids, placed) = Self.run(slice: Time.second) { v, last in
            [v.submitManual(side: .sell, type: .stop, timeInForce: .gtc, price: 0, stopPrice: last + 1, quantity: 2).id]
        }
        let fills = v.manualFills.filter { $0.orderID == ids[0] }
        #expect(!fills.isEmpty)
        for f in fills { #expect(f.exchangeTime == placed + Self.entry) }
    }
}
