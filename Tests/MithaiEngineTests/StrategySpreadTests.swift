import MithaiEngine
import Testing

@Suite("Strategy: spread quoter")
struct StrategySpreadTests {
    @Test func halfSpreadFixedAndDynamic() {
        var p = SpreadParameters(halfSpreadTicks: 2)
        #expect(SpreadQuoter.halfSpread(p, sigma: 10) == 2)
        p.volatilityMultiplier = 0.5
        #expect(SpreadQuoter.halfSpread(p, sigma: 10) == 5)
        #expect(SpreadQuoter.halfSpread(p, sigma: 2) == 2)
    }

    @Test(arguments: [Lots(100), 300])
    func postOnlyNeverCrossesAndStaysWithinLimits(maxPosition: Lots) {
        let p = SpreadParameters(reference: .microprice, halfSpreadTicks: 1, orderQuantity: 100,
                                 inventory: InventoryParameters(maxPosition: maxPosition))
        var s = Checked(inner: SpreadQuoter(parameters: p, tickSize: StrategyFixture.tick, lotSize: StrategyFixture.lot),
                        limit: maxPosition)
        var c = BacktestConfiguration.benchGrid
        c.settings = BacktestSettings(decisionInterval: p.decisionInterval, checkInvariants: true)
        let feed = StrategyFixture.tiny
        let r = feed.withFeeds { ex, lo in BacktestRunner.run(c, strategy: &s, base: feed.base, exchangeFeed: ex, localFeed: lo) }
        #expect(r.fills.count > 0)
        #expect(s.crossed == 0)
        #expect(s.nonPostOnly == 0)
        // The limit is reached (so the test means something) and never passed.
        #expect(s.maxAbsPosition == maxPosition)
        #expect(r.fills.allSatisfy { $0.isMaker })
        #expect(r.fills.allSatisfy { abs($0.positionAfter) <= maxPosition })
        // Reduce-only at the limit: nothing new on the adding side.
        #expect(s.atLimit > 0)
        #expect(s.addedAtLimit == 0)
    }

    @Test func notionalLimitCapsThePosition() {
        // 5000 USDT at ~60000: at most 83 lots (0.083 BTC) of position.
        let p = SpreadParameters(halfSpreadTicks: 1, orderQuantity: 100,
                                 inventory: InventoryParameters(maxPosition: 1000, maxNotional: 5000))
        var s = Checked(inner: SpreadQuoter(parameters: p, tickSize: StrategyFixture.tick, lotSize: StrategyFixture.lot))
        let r = StrategyFixture.run(&s)
        #expect(r.fills.count > 0)
        #expect(s.maxAbsPosition <= 83)
    }

    @Test func deterministic() {
        let p = SpreadParameters(halfSpreadTicks: 1, volatilityMultiplier: 0.5, orderQuantity: 50,
                                 adverseSelection: AdverseSelectionParameters(),
                                 sizing: VolatilitySizingParameters(model: .garch(omega: 0.05, alpha: 0.1, beta: 0.85)))
        var a = SpreadQuoter(parameters: p, tickSize: StrategyFixture.tick, lotSize: StrategyFixture.lot,
                             trades: StrategyFixture.tape())
        var b = a
        let ra = StrategyFixture.run(&a)
        let rb = StrategyFixture.run(&b)
        #expect(ra.fills.count > 0)
        #expect(ra.fills == rb.fills)
        #expect(ra.netPnL == rb.netPnL)
    }

    @Test func reduceOnlyWhenOverLimit() {
        let inv = InventoryControl(InventoryParameters(maxPosition: 100), tickSize: StrategyFixture.tick,
                                   lotSize: StrategyFixture.lot)
        #expect(inv.allowed(.buy, quantity: 100, position: 100, resting: 0, price: 600_000) == 0)
        #expect(inv.allowed(.sell, quantity: 100, position: 150, resting: 0, price: 600_000) == 100)
        #expect(inv.allowed(.sell, quantity: 100, position: 150, resting: 100, price: 600_000) == 50)
        #expect(inv.allowed(.buy, quantity: 100, position: 50, resting: 0, price: 600_000) == 50)
        #expect(inv.allowed(.sell, quantity: 100, position: 50, resting: 0, price: 600_000) == 100)
        // Notional: 0.2 BTC at 60000 = 12000 ≥ 10000.
        let n = InventoryControl(InventoryParameters(maxPosition: 1000, maxNotional: 10000), tickSize: StrategyFixture.tick,
                                 lotSize: StrategyFixture.lot)
        #expect(n.isOverLimit(position: 200, price: 600_000))
        #expect(n.allowed(.buy, quantity: 100, position: 200, resting: 0, price: 600_000) == 0)
        #expect(n.allowed(.buy, quantity: 200, position: 100, resting: 0, price: 600_000) == 66)
    }
}

@Suite("Strategy: guard in a backtest")
struct StrategyGuardRunTests {
    @Test func guardWidensOrPullsAndCostsFills() {
        func run(_ guardParameters: AdverseSelectionParameters?) -> (fills: Int, submitted: Int) {
            let p = SpreadParameters(halfSpreadTicks: 1, orderQuantity: 100, adverseSelection: guardParameters)
            var s = SpreadQuoter(parameters: p, tickSize: StrategyFixture.tick, lotSize: StrategyFixture.lot,
                                 trades: StrategyFixture.tape())
            let r = StrategyFixture.run(&s)
            return (r.fills.count, r.counters.submitted)
        }
        let plain = run(nil)
        let pulled = run(AdverseSelectionParameters(imbalanceThreshold: 0.3, burstTrades: 3, pull: true))
        let widened = run(AdverseSelectionParameters(imbalanceThreshold: 0.3, burstTrades: 3, widenTicks: 5))
        #expect(plain.fills > 0)
        #expect(pulled.fills < plain.fills)
        #expect(widened.fills < plain.fills)
    }
}
