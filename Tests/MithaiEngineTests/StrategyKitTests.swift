import MithaiEngine
import Testing

@Suite("Strategy: shared pieces")
struct StrategyKitTests {
    @Test func ewmaVolatilityByHand() {
        // halfLife 1 → λ = 0.5. Δ = 1 over 1 s: v = 0.5·0 + 0.5·1 = 0.5; Δ = 2 over 0.5 s: v = 0.25 + 0.5·8 = 4.25.
        var v = EWMAVolatility(halfLife: 1, initialSigma: 0)
        v.update(mid: 100, time: 0)
        v.update(mid: 101, time: Time.second)
        #expect(abs(v.variance - 0.5) < 1e-12)
        v.update(mid: 103, time: Time.second + 500 * Time.millisecond)
        #expect(abs(v.variance - 4.25) < 1e-12)
        #expect(abs(v.sigma - 4.25.squareRoot()) < 1e-12)
    }

    @Test func garchByHand() {
        // ω 0.1, α 0.2, β 0.7: h₀ = ω/(1−α−β) = 1; Δ = 2: h = 0.1 + 0.8 + 0.7 = 1.6; σ = √(1.6 / 0.1 s) = 4.
        var g = GARCHVolatility(omega: 0.1, alpha: 0.2, beta: 0.7)
        #expect(abs(g.h - 1) < 1e-12)
        g.update(mid: 100, time: 0)
        g.update(mid: 102, time: 100 * Time.millisecond)
        #expect(abs(g.h - 1.6) < 1e-12)
        #expect(abs(g.sigma - 4) < 1e-12)
    }

    @Test func rollingVolatilityByHand() {
        // Changes 1, −1, 2, 0 with window 3 → −1, 2, 0: population variance 14/9, dt 1 s.
        var r = RollingVolatility(window: 3, initialSigma: 7)
        #expect(r.sigma == 7)
        for (i, m) in [100.0, 101, 100, 102, 102].enumerated() { r.update(mid: m, time: Nanos(i) * Time.second) }
        #expect(abs(r.sigma - (14.0 / 9).squareRoot()) < 1e-12)
    }

    @Test func volatilitySizing() {
        var s = VolatilitySizing(VolatilitySizingParameters(model: .ewma(halfLife: 1), referenceSigma: 1, minSizeScale: 0.25,
                                                            maxSpreadScale: 4))
        #expect(s.sizeScale == 1 && s.spreadScale == 1)
        // Variance → 0.5·1 + 0.5·(3²/1) = 5 → σ = √5.
        s.update(mid: 100, time: 0)
        s.update(mid: 103, time: Time.second)
        #expect(abs(s.sizeScale - 1 / 5.0.squareRoot()) < 1e-12)
        #expect(abs(s.spreadScale - 5.0.squareRoot()) < 1e-12)
        #expect(s.scaled(100) == 45)
    }

    @Test func adverseSelectionSignals() {
        var g = AdverseSelectionGuard(AdverseSelectionParameters(imbalanceThreshold: 0.5, burstTrades: 3,
                                                                 burstWindow: Time.second, markoutHorizon: Time.second,
                                                                 markoutThresholdTicks: 2, markoutWeight: 1, widenTicks: 2))
        #expect(g.evaluate(time: 0, mid: 100, bidQuantity: 10, askQuantity: 10) == GuardAction())
        // Bid-heavy book: the ask is about to be run over.
        #expect(g.evaluate(time: 0, mid: 100, bidQuantity: 900, askQuantity: 100) == GuardAction(widenAsk: 2))
        #expect(g.evaluate(time: 0, mid: 100, bidQuantity: 100, askQuantity: 900) == GuardAction(widenBid: 2))
        // Three aggressive sells within a second.
        for i in 0..<3 { g.observe(TradePrint(time: Nanos(i) * 100 * Time.millisecond, price: 99, quantity: 1, side: .sell)) }
        #expect(g.evaluate(time: 500 * Time.millisecond, mid: 100, bidQuantity: 1, askQuantity: 1) == GuardAction(widenBid: 2))
        #expect(g.evaluate(time: 3 * Time.second, mid: 100, bidQuantity: 1, askQuantity: 1) == GuardAction())
        // We bought at 100 and the mid is 95 a second later: markout −5 < −2.
        g.observe(Fill(orderID: 1, side: .buy, isMaker: true, price: 100, quantity: 1, leaves: 0, exchangeTime: 0,
                       localTime: 3 * Time.second, markHalfTicks: 200, value: .zero, fee: .zero, positionAfter: 1))
        #expect(g.evaluate(time: 3 * Time.second + 500 * Time.millisecond, mid: 95, bidQuantity: 1, askQuantity: 1) == GuardAction())
        #expect(g.evaluate(time: 4 * Time.second, mid: 95, bidQuantity: 1, askQuantity: 1) == GuardAction(widenBid: 2, widenAsk: 2))
        #expect(g.markout == -5)
        var pull = AdverseSelectionGuard(AdverseSelectionParameters(imbalanceThreshold: 0.5, pull: true))
        #expect(pull.evaluate(time: 0, mid: 100, bidQuantity: 900, askQuantity: 100) == GuardAction(pullAsk: true))
    }

    @Test func requoteThresholdReducesChurn() {
        func submissions(_ threshold: Int64) -> Int {
            let p = SpreadParameters(halfSpreadTicks: 3, orderQuantity: 100, requoteThresholdTicks: threshold)
            var s = SpreadQuoter(parameters: p, tickSize: StrategyFixture.tick, lotSize: StrategyFixture.lot)
            return StrategyFixture.run(&s).counters.submitted
        }
        let tight = submissions(1), loose = submissions(5)
        #expect(tight > 0 && loose > 0)
        #expect(loose < tight)
    }

    @Test func tradeTapeReadsInTimeOrder() {
        var tape = TradeTape([TradePrint(time: 1, price: 10, quantity: 1, side: .buy),
                              TradePrint(time: 5, price: 11, quantity: 2, side: .sell)])
        #expect(tape.next(upTo: 0) == nil)
        #expect(tape.next(upTo: 3)?.price == 10)
        #expect(tape.next(upTo: 3) == nil)
        #expect(tape.next(upTo: 5)?.side == .sell)
        #expect(StrategyFixture.tape().prints.count == 1005)
    }
}

@Suite("Strategy: runner")
struct StrategyRunnerTests {
    @Test(arguments: [MarketMakingModel.spread(SpreadParameters()), .avellanedaStoikov(ASParameters(initialSigma: 3)),
                      .glft(GLFTParameters(initialSigma: 3))])
    func runsEachModelDeterministically(model: MarketMakingModel) {
        let feed = StrategyFixture.tiny
        let runs = (0..<2).map { _ in
            feed.exchange.withUnsafeBufferPointer {
                BacktestRunner.runMarketMaker(.benchGrid, model: model, base: feed.base, events: $0)
            }
        }
        #expect(runs[0].steps > 100)
        #expect(runs[0].counters.submitted > 0)
        #expect(runs[0].fills == runs[1].fills)
        #expect(runs[0].netPnL == runs[1].netPnL)
    }
}
