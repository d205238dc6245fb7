import MithaiEngine
import Testing

@Suite("Backtest models: money, fees, latency, queue")
struct BacktestModelTests {
    // MARK: Money

    @Test func linearValuationIsExactAndMarksHalfTicks() {
        let v = Valuation(contract: .linear, tickSize: ExactDecimal("0.1")!, lotSize: ExactDecimal("0.001")!, digits: 1)
        #expect(v.scale.unitMantissa == 1 && v.scale.unitScale == 5)     // 0.1 × 0.001 / 10
        #expect(v.scale.format(v.value(price: 616_597, quantity: 1_486)) == "91626.3142")
        // position 3 lots at a mid of 100.05 (half ticks 2001): 3 × 0.001 × 100.05
        #expect(v.scale.format(v.mark(position: 3, halfTicks: 2001)) == "0.30015")
        #expect(v.cashFlow(side: .buy, value: Money(units: 5)) == Money(units: -5))
        #expect(v.cashFlow(side: .sell, value: Money(units: 5)) == Money(units: 5))
        #expect(v.scale.format(Money(units: -123_456_789), fractionDigits: 3) == "-1234.568")
        #expect(v.scale.format(Money(units: 150_000), fractionDigits: 0) == "2")     // 1.5 -> half to even
        #expect(v.scale.format(Money(units: 250_000), fractionDigits: 0) == "2")     // 2.5 -> 2
    }

    @Test func roundingIsHalfToEven() {
        let v = MoneyScale(unitMantissa: 1, unitScale: 3)
        #expect(v.format(Money(units: 2_500), fractionDigits: 0) == "2")
        #expect(v.format(Money(units: 3_500), fractionDigits: 0) == "4")
        #expect(v.format(Money(units: -2_500), fractionDigits: 0) == "-2")
        #expect(v.format(Money(units: 2_501), fractionDigits: 0) == "3")
        #expect(v.format(Money(units: 1_250), fractionDigits: 2) == "1.25")
        #expect(v.format(Money(units: 1_250)) == "1.25")
        #expect(v.format(Money(units: 0)) == "0")
        #expect(v.money(ExactDecimal("1.2345")!) == nil)
        #expect(v.money(ExactDecimal("1.234")!) == Money(units: 1_234))
    }

    @Test func requiredDigitsMakeFeesExact() {
        let t = ExactDecimal("0.1")!, l = ExactDecimal("0.001")!
        #expect(Valuation.requiredDigits(contract: .linear, tickSize: t, lotSize: l, multiplier: .one, rateScale: 0, fixedFees: []) == 1)
        #expect(Valuation.requiredDigits(contract: .linear, tickSize: t, lotSize: l, multiplier: .one, rateScale: 5, fixedFees: []) == 5)
        // a fixed fee of 0.000001 needs the unit 0.0001 × 10^-2
        #expect(Valuation.requiredDigits(contract: .linear, tickSize: t, lotSize: l, multiplier: .one, rateScale: 0,
                                         fixedFees: [ExactDecimal("0.000001")!]) == 2)
        // a quarter tick (0.25) and a fee of 0.01: 0.01 / 0.25 = 0.04 = 4 × 10^-2
        #expect(Valuation.requiredDigits(contract: .linear, tickSize: ExactDecimal("0.25")!, lotSize: .one, multiplier: .one,
                                         rateScale: 0, fixedFees: [ExactDecimal("0.01")!]) == 2)
    }

    @Test func fixedFeePerFill() {
        let fees = TradingValueFees(makerRate: .zero, takerRate: ExactDecimal("0.001")!, makerFixed: ExactDecimal("0.01")!,
                                    takerFixed: ExactDecimal("0.02")!)
        let t = ExactDecimal("0.01")!
        let v = Valuation(contract: .linear, tickSize: t, lotSize: .one, multiplier: .one, digits: Valuation.requiredDigits(
            contract: .linear, tickSize: t, lotSize: .one, multiplier: .one, rateScale: fees.rateScale, fixedFees: fees.fixedFees))
        var f = fees
        f.bind(to: v)
        let value = v.value(price: 12_345, quantity: 100)      // 123.45 × 100 = 12345
        #expect(v.scale.format(f.fee(value: value, quantity: 100, isMaker: true, side: .buy)) == "0.01")
        #expect(v.scale.format(f.fee(value: value, quantity: 100, isMaker: false, side: .buy)) == "12.365")
    }

    @Test func inverseContractsValueInBaseCurrency() {
        // XBTUSD-like: tick 0.5, lot 1 USD contract. Buy 1000 contracts at 50000, mark 55000:
        // P&L = 1000 × (1/50000 - 1/55000) = 0.0018181818... BTC.
        let v = Valuation(contract: .inverse, tickSize: ExactDecimal("0.5")!, lotSize: .one, digits: 12)
        let value = v.value(price: 100_000, quantity: 1_000)
        #expect(v.scale.format(value) == "0.02")
        var ledger = Ledger(valuation: v)
        ledger.apply(side: .buy, price: 100_000, quantity: 1_000, value: value, fee: .zero)
        let pnl = ledger.grossPnL(markHalfTicks: 2 * 110_000)
        #expect(v.scale.format(pnl) == "0.001818181818")
        // a short loses when the price rises
        var short = Ledger(valuation: v)
        short.apply(side: .sell, price: 100_000, quantity: 1_000, value: value, fee: .zero)
        #expect(short.grossPnL(markHalfTicks: 2 * 110_000) == -pnl)
        // round trip: buy at 50000, sell at 55000
        ledger.apply(side: .sell, price: 110_000, quantity: 1_000, value: v.value(price: 110_000, quantity: 1_000), fee: .zero)
        #expect(ledger.position == 0)
        #expect(ledger.realized == pnl)
    }

    @Test func ledgerRealisesFIFOAndKeepsEquityIdentity() {
        let v = Valuation(contract: .linear, tickSize: .one, lotSize: .one, digits: 1)
        var l = Ledger(valuation: v)
        func fill(_ s: Side, _ p: Ticks, _ q: Lots, fee: Int128 = 0) {
            l.apply(side: s, price: p, quantity: q, value: v.value(price: p, quantity: q), fee: Money(units: fee))
            l.checkInvariants()
        }
        fill(.buy, 100, 5)
        fill(.buy, 110, 5)
        #expect(l.averageEntryTicks == 105)
        fill(.sell, 120, 7, fee: 3)         // closes 5 @100 (+100) and 2 @110 (+20)
        #expect(l.realized == Money(units: 1_200))
        #expect(l.openLots.map { $0.price } == [110] && l.openLots.map { $0.quantity } == [3])
        fill(.sell, 90, 5)                  // closes 3 @110 (-60), opens short 2 @90
        #expect(l.realized == Money(units: 600))
        #expect(l.position == -2)
        #expect(l.openLots.map { $0.price } == [90])
        // equity = cash + mark - fees; unrealised = gross - realised
        let mark: Int64 = 2 * 95
        #expect(l.equity(markHalfTicks: mark) == l.cash + v.mark(position: -2, halfTicks: mark) - l.fees)
        #expect(l.unrealized(markHalfTicks: mark) == Money(units: -100))   // short 2 from 90 at 95
        #expect(l.fillCount == 4 && l.tradedQuantity == 22)
    }

    // MARK: Latency

    @Test func constantLatency() {
        var m = ConstantLatency(entry: 5, response: 7)
        #expect(m.entry(at: 123) == 5 && m.response(at: 999) == 7)
    }

    @Test func interpolatedLatencyFollowsTheTable() {
        // two samples: at request 1000 entry 100 (exch 1100) response 50 (resp 1150);
        // at request 2000 entry 300 (exch 2300) response 150 (resp 2450).
        var m = InterpolatedLatency(samples: [LatencySample(request: 1_000, exchange: 1_100, response: 1_150),
                                              LatencySample(request: 2_000, exchange: 2_300, response: 2_450)])
        #expect(m.entry(at: 500) == 100)            // before the first sample
        #expect(m.entry(at: 1_000) == 100)
        #expect(m.entry(at: 1_500) == 200)          // halfway
        #expect(m.entry(at: 1_750) == 250)
        #expect(m.entry(at: 5_000) == 300)          // after the last
        #expect(m.response(at: 1_000) == 50)        // before the first exchange time
        #expect(m.response(at: 1_700) == 100)       // halfway between 1100 and 2300
        #expect(m.response(at: 9_000) == 150)
    }

    @Test func interpolatedLatencyRejectionsAreNegative() {
        // the venue dropped the second request (exchange time 0): entries between the two samples
        // come back negative, the magnitude being the response latency interpolated.
        var m = InterpolatedLatency(samples: [LatencySample(request: 0, exchange: 100, response: 200),
                                              LatencySample(request: 1_000, exchange: 0, response: 1_400),
                                              LatencySample(request: 2_000, exchange: 2_100, response: 2_200)])
        #expect(m.entry(at: 500) == -300)           // -(200 + (400 - 200) × 0.5)
        #expect(m.entry(at: 1_500) == -300)         // -(400 + (200 - 400) × 0.5)
    }

    @Test func jitteredLatencyIsSeededAndBounded() {
        var a = JitteredLatency(base: ConstantLatency(entry: 100, response: 50), entryJitter: 10, responseJitter: 0, seed: 42)
        var b = JitteredLatency(base: ConstantLatency(entry: 100, response: 50), entryJitter: 10, responseJitter: 0, seed: 42)
        var c = JitteredLatency(base: ConstantLatency(entry: 100, response: 50), entryJitter: 10, responseJitter: 0, seed: 43)
        let xa = (0..<100).map { _ in a.entry(at: 0) }
        let xb = (0..<100).map { _ in b.entry(at: 0) }
        let xc = (0..<100).map { _ in c.entry(at: 0) }
        #expect(xa == xb)
        #expect(xa != xc)
        #expect(xa.allSatisfy { $0 >= 100 && $0 <= 110 })
        #expect(Set(xa).count > 5)
        #expect(a.response(at: 0) == 50)
    }

    // MARK: Queue

    @Test func riskAverseQueue() {
        let q = RiskAverseQueue()
        var p = q.join(levelQuantity: 10)
        q.trade(&p, quantity: 3)
        #expect(p == 7)
        q.depthChanged(&p, previous: 10, current: 20)
        #expect(p == 7)
        q.depthChanged(&p, previous: 20, current: 4)
        #expect(p == 4)
        q.trade(&p, quantity: 4)
        #expect(q.filled(&p) == 0 && p == 0)
        q.trade(&p, quantity: 3)
        #expect(q.filled(&p) == 3 && p == 0)
    }

    @Test func probabilisticQueueMatchesTheFormula() {
        // power n = 1, front 10, level 30 -> 20 (change 10): back = 20, prob = 20/30;
        // front' = 10 - (1/3) × 10 + min(20 - 20/3, 0) = 6.666...
        let q = ProbabilisticQueue(PowerProbability(1), lotSize: 0.001)
        var p = q.join(levelQuantity: 10)
        q.depthChanged(&p, previous: 30, current: 20)
        #expect(abs(p.front - 20.0 / 3.0) < 1e-12)
        // a trade of 4 then the depth update it caused (20 -> 16) must not count twice
        q.trade(&p, quantity: 4)
        let afterTrade = p.front
        q.depthChanged(&p, previous: 20, current: 16)
        #expect(p.front == afterTrade)
        // an increase of the level leaves the front alone
        q.depthChanged(&p, previous: 16, current: 30)
        #expect(p.front == afterTrade)
        // filled once the front is at least half a lot past zero (front is 8/3 - 3 = -1/3 here)
        q.trade(&p, quantity: 3)
        #expect(q.filled(&p) == 0)
        q.trade(&p, quantity: 1)
        #expect(q.filled(&p) == 1 && p.front == 0)
    }

    @Test func probabilityFunctions() {
        #expect(PowerProbability(2).probability(front: 1, back: 2) == 4.0 / 5.0)
        #expect(PowerProbability2(2).probability(front: 1, back: 2) == 4.0 / 9.0)
        #expect(abs(PowerProbability3(2).probability(front: 1, back: 3) - (1 - 1.0 / 16.0)) < 1e-15)
        let l = LogProbability().probability(front: 1, back: 2)
        #expect(abs(l - 1.0986122886681098 / (1.0986122886681098 + 0.6931471805599453)) < 1e-15)
        let l2 = LogProbability2().probability(front: 1, back: 2)
        #expect(abs(l2 - 1.0986122886681098 / 1.3862943611198906) < 1e-15)
        // the log models see sizes, not lots: 1000 lots of 0.001 is 1.0
        let q = ProbabilisticQueue(LogProbability(), lotSize: 0.001)
        var p = q.join(levelQuantity: 1000)
        q.depthChanged(&p, previous: 3000, current: 2000)
        let prob = log1pRef(2.0) / (log1pRef(2.0) + log1pRef(1.0))
        #expect(abs(p.front - (1000 - (1 - prob) * 1000 + min(2000 - prob * 1000, 0))) < 1e-9)
    }
}

/// ln(1 + x) for the two values the test needs (avoids importing libm in the test).
func log1pRef(_ x: Double) -> Double {
    x == 2 ? 1.0986122886681098 : (x == 1 ? 0.6931471805599453 : .nan)
}
