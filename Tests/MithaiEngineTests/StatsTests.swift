import MithaiEngine
import Testing

/// Hand-computed cases for every statistic (expected values worked out by hand or with numpy,
/// see the comments), plus identities that must hold on a real run.
@Suite("Statistics")
struct StatsTests {
    /// tick 0.1, lot 0.001, no fees: one money unit is 0.1 × 0.001 / 10 = 0.00001.
    static let v = Valuation(contract: .linear, tickSize: ExactDecimal("0.1")!, lotSize: ExactDecimal("0.001")!, digits: 1)

    static func fill(_ side: Side, _ price: Ticks, _ qty: Lots, mid2: Int64 = 0, t: Nanos = 0, position: Lots = 0,
                     maker: Bool = true, fee: Money = .zero) -> Fill
    {
        Fill(orderID: 1, side: side, isMaker: maker, price: price, quantity: qty, leaves: 0, exchangeTime: t, localTime: t,
             markHalfTicks: mid2, value: v.value(price: price, quantity: qty), fee: fee, positionAfter: position)
    }

    static func point(_ t: Nanos, _ equityTickLots: Int64) -> EquityPoint {
        EquityPoint(time: t, markHalfTicks: 0, position: 0, cash: .zero, fees: .zero,
                    equity: Money(units: Int128(equityTickLots) * 10), fills: 0)
    }

    @Test func pnlBreakdownSplitsSpreadInventoryAndFees() {
        // buy 10 @ 1000 with mid 1001, sell 10 @ 1003 with mid 1002, final mid 1002:
        // spread = 10×(1001-1000) + 10×(1003-1002) = 20 tick-lots; gross = 30; inventory = 10.
        let fills = [Self.fill(.buy, 1000, 10, mid2: 2002), Self.fill(.sell, 1003, 10, mid2: 2004)]
        let b = PnLStatistics.breakdown(fills: fills, valuation: Self.v, finalMarkHalfTicks: 2004)
        #expect(Self.v.scale.format(b.spreadCapture) == "0.002")
        #expect(Self.v.scale.format(b.inventory) == "0.001")
        #expect(Self.v.scale.format(b.gross) == "0.003")
        #expect(b.net == b.gross - b.fees)
        #expect(b.spreadCapture + b.inventory == b.gross)
    }

    @Test func pnlBreakdownWithOpenPositionAndFees() {
        // buy 5 @ 100 (mid 100.5), fee 3 units; final mid 99: spread = 5×0.5 = 2.5 tick-lots,
        // gross = 5×(99-100) = -5, inventory = -7.5, net = -5 tick-lots - 3 units.
        let fills = [Self.fill(.buy, 100, 5, mid2: 201, fee: Money(units: 3))]
        let b = PnLStatistics.breakdown(fills: fills, valuation: Self.v, finalMarkHalfTicks: 198)
        #expect(b.spreadCapture == Money(units: 25))
        #expect(b.inventory == Money(units: -75))
        #expect(b.fees == Money(units: 3))
        #expect(b.net == Money(units: -53))
    }

    @Test func fifoRoundTripsWinRateAndProfitFactor() {
        // buys 5@100 and 5@102; sell 7@105 closes 5 from 100 (+25) and 2 from 102 (+6);
        // sell 3@101 closes 3 from 102 (-3). Win rate 2/3, profit factor 31/3.
        let fills = [Self.fill(.buy, 100, 5), Self.fill(.buy, 102, 5), Self.fill(.sell, 105, 7), Self.fill(.sell, 101, 3)]
        let trips = PnLStatistics.roundTrips(fills: fills, valuation: Self.v)
        #expect(trips.map(\.quantity) == [5, 2, 3])
        #expect(trips.map(\.gross) == [Money(units: 250), Money(units: 60), Money(units: -30)])
        #expect(trips.map(\.entryPrice) == [100, 102, 102])
        let s = PnLStatistics.trades(fills: fills, orders: [OrderRecord](), counters: RequestCounters(), valuation: Self.v,
                                     netPnL: Money(units: 280), span: Time.day)
        #expect(s.roundTrips == 3)
        #expect(s.winRate == 2.0 / 3.0)
        #expect(abs(s.profitFactor! - 31.0 / 3.0) < 1e-12)
    }

    @Test func roundTripsAcrossAPositionFlip() {
        // buy 4@10, sell 10@12 (closes 4: +8, opens short 6 @12), buy 6@11 (closes 6: +6).
        let fills = [Self.fill(.buy, 10, 4), Self.fill(.sell, 12, 10), Self.fill(.buy, 11, 6)]
        let trips = PnLStatistics.roundTrips(fills: fills, valuation: Self.v)
        #expect(trips.map(\.quantity) == [4, 6])
        #expect(trips.map(\.side) == [.buy, .sell])
        #expect(trips.map(\.gross) == [Money(units: 80), Money(units: 60)])
    }

    @Test func drawdownValueAndDuration() {
        // equity 0, 10, 5, 12, 3, 8, 13 at t = 0...6: max drawdown 12 -> 3 = 9 (t 3 -> 4);
        // underwater 1 -> 3 (2 ns) and 3 -> 6 (3 ns): max duration 3.
        let e = [0, 10, 5, 12, 3, 8, 13].enumerated().map { Self.point(Nanos($0.offset), Int64($0.element)) }
        let d = ReturnStatistics.drawdown(equity: e, valuation: Self.v)
        #expect(abs(d.maxValue - 9 * 0.0001) < 1e-15)
        #expect(d.peakTime == 3 && d.troughTime == 4)
        #expect(d.maxDuration == 3)
        // never recovers: duration runs to the last sample
        let e2 = [5, 1, 2].enumerated().map { Self.point(Nanos($0.offset * 10), Int64($0.element)) }
        #expect(ReturnStatistics.drawdown(equity: e2, valuation: Self.v).maxDuration == 20)
    }

    @Test func dailyBinsUseTheLastEquityOfEachUTCDay() {
        let d = Time.day
        // day 0 ends at 10, day 1 (no sample on day 2) ends at 4, day 3 ends at 7.
        let e = [Self.point(100, 3), Self.point(d - 1, 10), Self.point(d + 5, 2), Self.point(2 * d - 1, 4),
                 Self.point(3 * d, 7)]
        let b = ReturnStatistics.binned(equity: e, valuation: Self.v)
        #expect(b.starts == [0, d, 3 * d])
        #expect(b.pnl.count == 3)
        #expect(abs(b.pnl[0] - 10e-4) < 1e-15 && abs(b.pnl[1] - -6e-4) < 1e-15 && abs(b.pnl[2] - 3e-4) < 1e-15)
    }

    @Test func sharpeAndSortinoWithTheirAnnualisation() {
        // numpy: b = [1, 2, 3, -1]; mean/std(ddof=1)×√365 = 13.983408536037066;
        // mean / √(mean(min(b,0)²)) × √365 = 47.762432936357
        let b = BinnedPnL(binLength: Time.day, origin: 0, starts: [0, 1, 2, 3], pnl: [1, 2, 3, -1])
        let dd = Drawdown(maxValue: 2, peakTime: 0, troughTime: 0, maxDuration: 0)
        let r = ReturnStatistics.riskAdjusted(b, drawdown: dd)
        #expect(r.periodsPerYear == 365)
        #expect(abs(r.annualizationFactor - 365.0.squareRoot()) < 1e-12)
        #expect(abs(r.sharpe! - 13.983408536037066) < 1e-9)
        #expect(abs(r.sortino! - 47.762432936357) < 1e-9)
        #expect(abs(r.calmar! - 1.25 * 365 / 2) < 1e-9)
        // hourly bins annualise by 365 × 24
        let h = BinnedPnL(binLength: Time.hour, origin: 0, starts: [0, 1], pnl: [1, 2])
        #expect(ReturnStatistics.riskAdjusted(h, drawdown: dd).periodsPerYear == 365 * 24)
        // 252-day convention when asked
        #expect(ReturnStatistics.riskAdjusted(b, drawdown: dd, periodsPerYear: 252).annualizationFactor == 252.0.squareRoot())
        // one bin: no Sharpe
        let one = BinnedPnL(binLength: Time.day, origin: 0, starts: [0], pnl: [1])
        #expect(ReturnStatistics.riskAdjusted(one, drawdown: dd).sharpe == nil)
    }

    @Test func valueAtRiskHistoricalAndParametric() {
        // numpy.quantile (linear) and NormalDist for x below.
        let x: [Double] = [3, -2, 5, -7, 1, 0, -4, 8, 2, -1, 6, -3]
        let v95 = ReturnStatistics.valueAtRisk(x, confidence: 0.95)!
        #expect(abs(v95.historicalVaR - 5.35) < 1e-12)
        #expect(abs(v95.historicalCVaR - 7.0) < 1e-12)
        #expect(abs(v95.parametricVaR - 6.565703169413663) < 1e-9)
        #expect(abs(v95.parametricCVaR - 8.403016887585203) < 1e-9)
        let v99 = ReturnStatistics.valueAtRisk(x, confidence: 0.99)!
        #expect(abs(v99.historicalVaR - 6.67) < 1e-12)
        #expect(abs(v99.historicalCVaR - 7.0) < 1e-12)
        #expect(abs(v99.parametricVaR - 9.56221201090029) < 1e-9)
        #expect(abs(v99.parametricCVaR - 11.052196713077736) < 1e-9)
        #expect(ReturnStatistics.valueAtRisk([1], confidence: 0.95) == nil)
    }

    @Test func inverseNormalMatchesKnownQuantiles() {
        #expect(abs(ReturnStatistics.inverseNormal(0.05) - -1.6448536269514726) < 1e-13)
        #expect(abs(ReturnStatistics.inverseNormal(0.01) - -2.3263478740408408) < 1e-13)
        #expect(abs(ReturnStatistics.inverseNormal(0.975) - 1.9599639845400536) < 1e-13)
        #expect(abs(ReturnStatistics.inverseNormal(1e-9) - -5.9978070150076865) < 1e-10)
        #expect(abs(ReturnStatistics.inverseNormal(0.5)) < 1e-15)
    }

    @Test func inventoryIsTimeWeighted() {
        // start 0, end 100: q = 0 on [0,10), 5 on [10,40), -10 on [40,90), 0 on [90,100).
        // ∫|q| = 5×30 + 10×50 = 650 → mean 6.5; |q| >= 10 for 50 ns → 0.5.
        let fills = [Self.fill(.buy, 1, 5, t: 10, position: 5), Self.fill(.sell, 1, 15, t: 40, position: -10),
                     Self.fill(.buy, 1, 10, t: 90, position: 0)]
        let s = PnLStatistics.inventory(fills: fills, start: 0, end: 100, limit: 10)
        #expect(abs(s.timeWeightedMeanAbs - 6.5) < 1e-12)
        #expect(s.maxAbs == 10)
        #expect(s.timeAtLimit == 0.5)
    }

    @Test func orderRatios() {
        var counters = RequestCounters()
        counters.submitted = 4
        counters.cancels = 3
        counters.modifies = 1
        func rec(_ q: Lots, _ x: Lots) -> OrderRecord {
            OrderRecord(id: 1, side: .buy, type: .limit, timeInForce: .gtc, price: 1, stopPrice: 0, quantity: q, executed: x,
                        executedTickLots: 0, status: .new, reason: .none, submitTime: 0, lastUpdateTime: 0, acceptTime: 0,
                        fills: 0, modifies: 0, cancelRequested: false)
        }
        let orders = [rec(10, 10), rec(10, 5), rec(10, 0), rec(10, 0)]
        let fills = [Self.fill(.buy, 100, 10), Self.fill(.buy, 100, 5)]
        let s = PnLStatistics.trades(fills: fills, orders: orders, counters: counters, valuation: Self.v,
                                     netPnL: Money(units: 15), span: 2 * Time.day)
        #expect(s.fillRatio == 0.5)
        #expect(s.quantityFillRatio == 15.0 / 40.0)
        #expect(s.orderToTradeRatio == 4.0)
        // turnover 15 lots × 100 ticks = 1500 tick-lots = 0.15; per day 0.075;
        // return 15 units = 0.00015 over 0.15 = 10 bp
        #expect(abs(s.turnover - 0.15) < 1e-15)
        #expect(abs(s.turnoverPerDay! - 0.075) < 1e-15)
        #expect(abs(s.returnOverTradeBps! - 10.0) < 1e-9)
    }

    @Test func markoutsSignedMidMovesByGroup() {
        // Book: bid 100 / ask 102 (mid 101) until t=50, then bid 104 / ask 106 (mid 105).
        let events = [
            Event(kind: .depth, side: .buy, price: 100, quantity: 5, exchTime: 0, localTime: 0),
            Event(kind: .depth, side: .sell, price: 102, quantity: 5, exchTime: 0, localTime: 0),
            Event(kind: .depth, side: .sell, price: 106, quantity: 5, exchTime: 50, localTime: 50),
            Event(kind: .depth, side: .buy, price: 104, quantity: 5, exchTime: 50, localTime: 50),
        ]
        // A maker buy at 100 and a taker sell at 100 at t=10 (mid 101), horizons 5 and 100 ns.
        let fills = [Self.fill(.buy, 100, 1, mid2: 202, t: 10, maker: true),
                     Self.fill(.sell, 100, 1, mid2: 202, t: 10, maker: false)]
        let m = events.withUnsafeBufferPointer { Markouts.compute(fills: fills, exchangeFeed: $0, base: 0, horizons: [5, 100]) }
        #expect(m.move[0] == [0, 4])
        #expect(m.move[1] == [0, -4])
        #expect(m.pnl[0] == [1, 5])
        #expect(m.pnl[1] == [-1, -5])
        #expect(abs(m.bps[0][1]! - 4.0 / 101.0 * 10_000) < 1e-9)
        let makerLong = m.groups.first { $0.isMaker == true && $0.side == .buy && $0.horizon == 100 }!
        #expect(makerLong.count == 1 && makerLong.meanMoveTicks == 4)
        let all = m.groups.first { $0.isMaker == nil && $0.side == .none && $0.horizon == 100 }!
        #expect(all.count == 2 && all.meanMoveTicks == 0 && all.meanPnLTicks == 0)
        #expect(m.fillWinRate(horizonIndex: 1) == 0.5)
    }

    @Test func latencyHistogramPercentiles() {
        var h = LatencyHistogram()
        for v in 0..<256 { h.record(Int64(v)) }
        #expect(h.percentile(50) == 127)   // exact below 256
        #expect(h.percentile(100) == 255)
        #expect(h.percentile(0) == 0)
        var g = LatencyHistogram()
        for v in 1...1_000_000 { g.record(Int64(v)) }
        for (p, exact) in [(50.0, 500_000.0), (99.0, 990_000.0), (99.9, 999_000.0)] {
            let got = Double(g.percentile(p)!)
            #expect(got >= exact && got <= exact * (1 + 1.0 / 128), "p\(p) = \(got)")
        }
        #expect(g.count == 1_000_000)
        #expect(g.mean == 500_000.5)
        #expect(g.max == 1_000_000 && g.min == 1)
        var m = LatencyHistogram()
        m.merge(h)
        m.merge(g)
        #expect(m.count == 1_000_256)
        #expect(LatencyHistogram().summary == nil)
    }

    @Test func runStatisticsOnTheTinyFixtureAreConsistent() throws {
        let feed = try BenchData.loadCSV(BenchData.fixtures.appendingPathComponent("tiny.csv").path)
        let o = BenchGrid.run(feed)
        let r = o.result
        let s = RunStatistics(r, options: .init(binLength: Time.second, inventoryLimit: 5000))
        // P&L split adds up, exactly, and equals the run's own figures.
        #expect(s.pnl.gross == r.grossPnL)
        #expect(s.pnl.net == r.netPnL)
        #expect(s.pnl.spreadCapture + s.pnl.inventory - s.pnl.fees == r.netPnL)
        // Every fill here is a maker fill of a post-only order: spread capture is positive.
        #expect(s.trades.makerFills == r.fills.count)
        #expect(s.pnl.spreadCapture > .zero)
        // The equity binned by second sums to the last equity point.
        let total = s.binned.pnl.reduce(0, +)
        #expect(abs(total - r.valuation.scale.double(r.equity.last!.equity)) < 1e-9)
        #expect(s.returns.periodsPerYear == 365 * 86_400)
        #expect(s.inventory.maxAbs <= 5000 + 100)
        #expect(s.tickToOrder != nil)
        // round trip of every answered request is the 20 ms of latency
        #expect(s.orderRoundTrip!.p50 == 20 * Time.millisecond && s.orderRoundTrip!.p999 == 20 * Time.millisecond)
    }
}
