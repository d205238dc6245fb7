import MithaiEngine
import Testing

/// A market moving by a price path: each step (1 s apart) sets bid = p - 1, ask = p + 1 (5 lots
/// each, old levels removed) and prints `tradeQty` lots at p by alternating aggressors.
enum PathScene {
    static func events(_ path: [Int32], tradeQty: Int32 = 10, step: Nanos = Time.second) -> [Event] {
        var out: [Event] = []
        var prev: Int32? = nil
        for (i, p) in path.enumerated() {
            let t = Nanos(i + 1) * step
            if let q = prev {
                out.append(Event(kind: .depth, side: .buy, price: q - 1, quantity: 0, exchTime: t, localTime: t))
                out.append(Event(kind: .depth, side: .sell, price: q + 1, quantity: 0, exchTime: t, localTime: t))
            }
            out.append(Event(kind: .depth, side: .buy, price: p - 1, quantity: 5, exchTime: t, localTime: t))
            out.append(Event(kind: .depth, side: .sell, price: p + 1, quantity: 5, exchTime: t, localTime: t))
            out.append(Event(kind: .trade, side: i % 2 == 0 ? .buy : .sell, price: p, quantity: tradeQty, exchTime: t + 1, localTime: t + 1))
            prev = p
        }
        return out
    }

    static func config(settings: BacktestSettings = BacktestSettings(decisionInterval: 100 * Time.millisecond)) -> BacktestConfiguration {
        BacktestConfiguration(tickSize: ExactDecimal("0.01")!, lotSize: .one,
                              latency: .constant(ConstantLatency(entry: Time.millisecond, response: Time.millisecond)),
                              settings: settings)
    }

    static func run<S: Strategy>(_ events: [Event], _ strategy: inout S, _ c: BacktestConfiguration) -> BacktestResult {
        events.withUnsafeBufferPointer { BacktestRunner.run(c, strategy: &strategy, base: 10_000, exchangeFeed: $0, localFeed: $0) }
    }
}

/// Buys `qty` at the ask at every decision (a strategy that keeps adding to a position).
struct Accumulator: Strategy {
    var qty: Lots = 1
    var side: Side = .buy
    var next: OrderID = 1
    var refusals: [RejectReason] = []
    mutating func decide(_ trader: inout Trader) {
        guard trader.midHalfTicks != nil else { return }
        trader.clearInactiveOrders()
        let price = side == .buy ? trader.bestAsk : trader.bestBid
        if let r = trader.submit(.limit(id: next, side: side, price: price, quantity: qty, timeInForce: .ioc)) { refusals.append(r) }
        next += 1
    }
}

@Suite("Risk controls: pre-trade checks, kill switch, VaR, order rate")
struct RiskTests {
    @Test func maxPositionRejectsOrdersThatWouldBreakIt() {
        let events = PathScene.events(Array(repeating: 100, count: 5))
        var c = PathScene.config()
        c.settings.risk = RiskLimits(maxPosition: 3)
        var s = Accumulator()
        let r = PathScene.run(events, &s, c)
        #expect(r.position == 3)
        #expect(s.refusals.allSatisfy { $0 == .riskLimit } && !s.refusals.isEmpty)
        let g = try! #require(r.risk)
        #expect(g.rejections(.maxPosition) == s.refusals.count)
        #expect(g.breaches.first?.limit == .maxPosition && g.breaches.first?.threshold == 3 && g.breaches.first?.value == 4)
        #expect(g.peakPosition == 3)
    }

    @Test func noLimitsMeansNoGuard() {
        var c = PathScene.config()
        c.settings.risk = RiskLimits()
        var s = Accumulator()
        let r = PathScene.run(PathScene.events([100, 100, 100]), &s, c)
        #expect(r.risk == nil && s.refusals.isEmpty)
    }

    @Test func drawdownKillSwitchHaltsALosingStrategy() {
        // The strategy keeps buying while the price falls 1.00 a second: equity falls; the
        // kill switch halts it when the drawdown passes 5.00.
        let path: [Int32] = (0..<20).map { 1_000 - Int32($0) * 100 }
        let events = PathScene.events(path)
        var c = PathScene.config()
        c.settings.risk = RiskLimits(maxDrawdown: ExactDecimal(5), onDrawdown: .halt)
        var s = Accumulator()
        let r = PathScene.run(events, &s, c)
        let g = try! #require(r.risk)
        #expect(g.mode == .halted)
        let kill = try! #require(g.breaches.first { $0.limit == .maxDrawdown })
        #expect(kill.action == .halted && kill.value > 5 && kill.threshold == 5)
        // Nothing was bought after the kill (plus the orders already in flight).
        #expect(r.fills.allSatisfy { $0.localTime <= kill.time + 2 * Time.millisecond })
        #expect(g.rejections(.halted) > 0)
        // Without the limit the same strategy keeps buying to the end.
        var c2 = PathScene.config()
        c2.settings.risk = nil
        var s2 = Accumulator()
        let r2 = PathScene.run(events, &s2, c2)
        #expect(r2.position > r.position)
    }

    @Test func reduceOnlyAcceptsOnlyOrdersThatShrinkThePosition() {
        let path: [Int32] = (0..<12).map { 1_000 - Int32($0) * 100 }
        var c = PathScene.config()
        c.settings.risk = RiskLimits(maxDrawdown: ExactDecimal(3), onDrawdown: .reduceOnly)
        // Buys every decision; after the kill, alternate sells of 1 (accepted while long).
        struct Flip: Strategy {
            var next: OrderID = 1
            var afterKill: [RejectReason?] = []
            mutating func decide(_ trader: inout Trader) {
                guard trader.midHalfTicks != nil else { return }
                trader.clearInactiveOrders()
                let halted = trader.risk?.mode == .reduceOnly
                let side: Side = halted && next % 2 == 0 ? .sell : .buy
                let r = trader.submit(.limit(id: next, side: side, price: side == .buy ? trader.bestAsk : trader.bestBid,
                                             quantity: 1, timeInForce: .ioc))
                if halted { afterKill.append(r) }
                next += 1
            }
        }
        var s = Flip()
        let r = PathScene.run(PathScene.events(path), &s, c)
        #expect(r.risk?.mode == .reduceOnly)
        #expect(s.afterKill.contains { $0 == nil })          // sells accepted
        #expect(s.afterKill.contains { $0 == .riskLimit })   // buys refused
        #expect(r.risk!.rejections(.reduceOnly) > 0)
    }

    @Test func orderRateLimitCountsRequestsInASlidingWindow() {
        var c = PathScene.config()
        c.settings.risk = RiskLimits(maxOrderRate: 3)   // per 1 s; decisions every 100 ms
        var s = Accumulator()
        let r = PathScene.run(PathScene.events(Array(repeating: 100, count: 4)), &s, c)
        let g = try! #require(r.risk)
        #expect(g.rejections(.maxOrderRate) > 0)
        #expect(g.peakOrderRate == 3)
        // Never more than 3 accepted submissions in any 1 s window.
        let times = r.orders.map(\.submitTime).sorted()
        for (i, t) in times.enumerated() { #expect(times[i...].prefix { $0 < t + Time.second }.count <= 3) }
    }

    @Test func varLimitRefusesExposureOverTheLimit() {
        // A volatile path: the EWMA variance of mid returns makes even one lot's VaR large.
        let path: [Int32] = (0..<30).map { $0 % 2 == 0 ? 1_000 : 1_200 }
        var c = PathScene.config()
        c.settings.risk = RiskLimits(varLimit: ExactDecimal("0.5"))
        var s = Accumulator()
        let r = PathScene.run(PathScene.events(path), &s, c)
        let g = try! #require(r.risk)
        #expect(g.rejections(.varLimit) > 0)
        #expect(g.valueAtRisk(position: 1, halfTicks: 2 * 11_100) > 0)
    }

    @Test func normalQuantileMatchesKnownValues() {
        #expect(abs(RiskGuard.normalQuantile(0.99) - 2.326347874040841) < 1e-12)
        #expect(abs(RiskGuard.normalQuantile(0.95) - 1.6448536269514722) < 1e-12)
        #expect(abs(RiskGuard.normalQuantile(0.5)) < 1e-14)
    }
}

@Suite("Costs: statutory charge tables, per-contract fees, tiers, funding")
struct CostTests {
    static func money(_ s: ChargeSchedule, tick: String, lot: String, multiplier: String = "1", price: String, qty: Int64,
                      side: Side, maker: Bool = false) -> (total: String, parts: [String: String])
    {
        let t = ExactDecimal(tick)!, l = ExactDecimal(lot)!, m = ExactDecimal(multiplier)!
        let v = Valuation(contract: .linear, tickSize: t, lotSize: l, multiplier: m,
                          digits: s.digits(contract: .linear, tickSize: t, lotSize: l, multiplier: m))
        var bound = s
        bound.bind(to: v)
        let value = v.value(price: ExactDecimal(price)!.multiple(of: t)!, quantity: qty)
        let parts = bound.breakdown(value: value, quantity: qty, isMaker: maker, side: side)
        var named: [String: String] = [:]
        // Contract notes show paise; 8 decimals keep every hand-worked digit and hide the
        // rounding of amounts the money unit cannot hold exactly (below 1e-12 INR).
        func text(_ m: Money) -> String {
            var t = v.scale.format(m, fractionDigits: 8)
            if t.contains(".") { while t.hasSuffix("0") { t.removeLast() }; if t.hasSuffix(".") { t.removeLast() } }
            return t
        }
        for (c, p) in zip(s.charges, parts) { named[c.name] = text(p) }
        let total = bound.fee(value: value, quantity: qty, isMaker: maker, side: side)
        #expect(parts.reduce(Money.zero, +) == total)
        return (text(total), named)
    }

    @Test func nseIntradayRoundTripByHand() {
        // Buy 100 RELIANCE at 1500.00: value 150,000. Brokerage min(45, 20) = 20; STT 0 (sell
        // only); exchange 150000 × 0.0000297 = 4.455; SEBI 0.15; stamp 150000 × 0.00003 = 4.5;
        // GST 0.18 × (20 + 4.455 + 0.15) = 4.4289. Total 33.5339.
        let buy = Self.money(InstrumentCatalog.nseEquityIntraday, tick: "0.05", lot: "1", price: "1500.00", qty: 100, side: .buy)
        #expect(buy.parts == ["brokerage": "20", "stt": "0", "exchange": "4.455", "sebi": "0.15", "stamp": "4.5", "gst": "4.4289"])
        #expect(buy.total == "33.5339")
        // Sell 100 at 1510.00: value 151,000. Brokerage 20; STT 0.025% = 37.75; exchange
        // 4.4847; SEBI 0.151; stamp 0; GST 0.18 × 24.6357 = 4.434426. Total 66.820126.
        let sell = Self.money(InstrumentCatalog.nseEquityIntraday, tick: "0.05", lot: "1", price: "1510.00", qty: 100, side: .sell)
        #expect(sell.parts == ["brokerage": "20", "stt": "37.75", "exchange": "4.4847", "sebi": "0.151", "stamp": "0", "gst": "4.434426"])
        #expect(sell.total == "66.820126")
        // A small order pays brokerage below the cap: 10 shares at 1500 = 15,000 → 4.5.
        #expect(Self.money(InstrumentCatalog.nseEquityIntraday, tick: "0.05", lot: "1", price: "1500.00", qty: 10, side: .buy).parts["brokerage"] == "4.5")
    }

    @Test func nseDeliveryByHand() {
        // Buy 10 at 2500.00 = 25,000: STT 0.1% = 25; exchange 0.7425; SEBI 0.025; stamp 0.015%
        // = 3.75; brokerage 0; GST 0.18 × 0.7675 = 0.13815. Total 29.65565.
        let b = Self.money(InstrumentCatalog.nseEquityDelivery, tick: "0.05", lot: "1", price: "2500.00", qty: 10, side: .buy)
        #expect(b.total == "29.65565")
        #expect(b.parts["stt"] == "25" && b.parts["stamp"] == "3.75" && b.parts["gst"] == "0.13815")
    }

    @Test func nseIndexFutureByHand() {
        // Sell 1 lot (65) of NIFTY at 26000.00 = 1,690,000: brokerage 20 (cap); STT 0.02% = 338;
        // exchange 0.00173% = 29.237; SEBI 1.69; stamp 0 (buy only); GST 0.18 × 50.927 = 9.16686.
        let s = Self.money(InstrumentCatalog.nseFutures, tick: "0.05", lot: "65", price: "26000.00", qty: 1, side: .sell)
        #expect(s.parts == ["brokerage": "20", "stt": "338", "exchange": "29.237", "sebi": "1.69", "stamp": "0", "gst": "9.16686"])
        #expect(s.total == "398.09386")
        let b = Self.money(InstrumentCatalog.nseFutures, tick: "0.05", lot: "65", price: "26000.00", qty: 1, side: .buy)
        #expect(b.parts["stamp"] == "33.8" && b.parts["stt"] == "0")
    }

    @Test func cmePerContractFees() {
        // 3 ES contracts: (0.85 + 1.38 + 0.02) × 3 = 6.75 USD whatever the price.
        let f = Self.money(InstrumentCatalog.cmeEquityIndexFutures, tick: "0.25", lot: "1", multiplier: "50", price: "6000.00", qty: 3, side: .buy)
        #expect(f.total == "6.75" && f.parts["exchange"] == "4.14")
    }

    @Test func binanceTiersChargeMakerOrTaker() {
        let vip0 = InstrumentCatalog.binanceUSDM[0].fees
        // 1 BTC at 60000: maker 0.02% = 12, taker 0.05% = 30.
        #expect(Self.money(vip0, tick: "0.1", lot: "0.001", price: "60000.0", qty: 1000, side: .buy, maker: true).total == "12")
        #expect(Self.money(vip0, tick: "0.1", lot: "0.001", price: "60000.0", qty: 1000, side: .sell).total == "30")
        #expect(InstrumentCatalog.binanceTier(volume30d: 120_000_000) == "vip3")
        #expect(InstrumentCatalog.binanceTier(volume30d: 0) == "vip0")
    }

    @Test func binanceCoinMarginedMakersPayLessThanUSDM() {
        // COIN-M VIP0: maker 0.01%, taker 0.05% (USD-M: 0.02% / 0.05%); only checked tiers are built in.
        let vip0 = InstrumentCatalog.binanceCOINM[0].fees
        #expect(Self.money(vip0, tick: "0.1", lot: "0.001", price: "60000.0", qty: 1000, side: .buy, maker: true).total == "6")
        #expect(Self.money(vip0, tick: "0.1", lot: "0.001", price: "60000.0", qty: 1000, side: .sell).total == "30")
        #expect(InstrumentCatalog.binanceCOINM.map(\.name) == ["vip0", "vip1", "vip2"])
        #expect(InstrumentPresets.named("binance:BTCUSD_PERP")!.terms!.table("vip5") == nil)
        #expect(vip0.source.contains("deliveryFee"))
    }

    @Test func feeTableTextRoundTripsAndReportsBadLines() throws {
        for s in [InstrumentCatalog.nseEquityIntraday, InstrumentCatalog.nseOptions, InstrumentCatalog.cmeEquityIndexFutures] {
            #expect(try ChargeSchedule(parsing: s.text) == s)
        }
        #expect(throws: ChargeSchedule.ParseError.self) { try ChargeSchedule(parsing: "charge gst basis=tax rate=0.18 on=brokerage\n") }
        do {
            _ = try ChargeSchedule(parsing: "name = x\ncharge a basis=value rate=oops\n")
            Issue.record("expected an error")
        } catch { #expect(error.line == 2) }
        #expect(ChargeSchedule.decimal("0.03%") == ExactDecimal("0.0003"))
        #expect(ChargeSchedule.decimal("2.5bp") == ExactDecimal("0.00025"))
    }

    @Test func chargeScheduleRunsInTheExchange() {
        // Two taker fills through the exchange: the run's fees equal the table's by hand.
        var c = PathScene.config()
        c.tickSize = ExactDecimal("0.05")!
        c.charges = InstrumentCatalog.nseEquityIntraday
        var s = Accumulator(qty: 100)
        let events = PathScene.events([30_000, 30_000])   // 2000.00 in ticks of 0.05
        let r = PathScene.run(events, &s, c)
        #expect(!r.fills.isEmpty)
        var bound = InstrumentCatalog.nseEquityIntraday
        bound.bind(to: r.valuation)
        let expected = r.fills.reduce(Money.zero) { $0 + bound.fee(value: $1.value, quantity: $1.quantity, isMaker: $1.isMaker, side: $1.side) }
        #expect(r.fees == expected && r.fees > .zero)
    }

    @Test func fundingIsPaidLongAndReceivedShort() {
        // Long 2 lots for the first half (funding at 5 s: paid), short 2 after (at 15 s: received).
        struct LongThenShort: Strategy {
            var next: OrderID = 1
            mutating func decide(_ trader: inout Trader) {
                guard trader.midHalfTicks != nil else { return }
                trader.clearInactiveOrders()
                let want: Lots = trader.time < 10 * Time.second ? 2 : -2
                let gap = want - trader.position
                if gap != 0 && trader.orders.isEmpty {
                    trader.submit(.limit(id: next, side: gap > 0 ? .buy : .sell, price: gap > 0 ? trader.bestAsk : trader.bestBid,
                                         quantity: abs(gap), timeInForce: .ioc))
                    next += 1
                }
            }
        }
        var c = PathScene.config()
        c.settings.funding = FundingSchedule(rate: ExactDecimal("0.001")!, interval: 10 * Time.second, offset: 5 * Time.second)
        var s = LongThenShort()
        let r = PathScene.run(PathScene.events(Array(repeating: 100, count: 20)), &s, c)
        // Mark 10,100 ticks × 0.01 = 101.00; value of 2 lots = 202; 0.1% = 0.202 each time.
        #expect(r.fundingEvents == 2)
        #expect(r.valuation.scale.format(r.fundingPaid) == "0.202")
        #expect(r.valuation.scale.format(r.fundingReceived) == "0.202")
        #expect(r.funding == .zero)
        #expect(r.netPnL == r.grossPnL - r.fees + r.funding)
    }

    @Test func fundingSeriesAndInverseContracts() {
        let f = FundingSchedule(times: [100, 200], rates: [ExactDecimal("0.0001")!, ExactDecimal("-0.0002")!], source: "test")
        #expect(f.next(after: 0)?.time == 100 && f.next(after: 100)?.time == 200 && f.next(after: 200) == nil)
        // Inverse: 10 contracts × 100 USD at 50,000 = 0.02 BTC; long pays 0.01% = 0.000002 BTC.
        let v = Valuation(contract: .inverse, tickSize: ExactDecimal("0.1")!, lotSize: .one, multiplier: ExactDecimal(100), digits: 12)
        let p = FundingSchedule.payment(position: 10, markHalfTicks: 1_000_000, rate: ExactDecimal("0.0001")!, valuation: v)
        #expect(v.scale.format(p) == "-0.000002")
        #expect(FundingSchedule.payment(position: -10, markHalfTicks: 1_000_000, rate: ExactDecimal("0.0001")!, valuation: v) == -p)
    }
}

@Suite("Black-Scholes: Hull's examples, greeks, implied volatility")
struct BlackScholesTests {
    @Test func hullExamplePrices() {
        // Hull, Options, Futures and Other Derivatives: S=42, K=40, r=10%, σ=20%, T=0.5:
        // c = 4.76, p = 0.81.
        let c = BlackScholes.price(.call, spot: 42, strike: 40, years: 0.5, rate: 0.1, volatility: 0.2)
        let p = BlackScholes.price(.put, spot: 42, strike: 40, years: 0.5, rate: 0.1, volatility: 0.2)
        #expect(abs(c - 4.7594) < 1e-4 && abs(p - 0.8086) < 1e-4)
        // Put-call parity: c - p = S - K e^{-rT}.
        #expect(abs((c - p) - (42 - 40 * Foundation_exp(-0.05))) < 1e-12)
    }

    @Test func hullGreeksExample() {
        // Hull's greeks example: S=49, K=50, r=5%, σ=20%, T=20 weeks (0.3846): call 2.40,
        // delta 0.522, gamma 0.066, vega 12.1, theta -4.31 per year, rho 8.91.
        let g = BlackScholes.evaluate(.call, spot: 49, strike: 50, years: 0.3846, rate: 0.05, volatility: 0.2)
        #expect(abs(g.price - 2.40) < 0.005)
        #expect(abs(g.delta - 0.522) < 0.0005)
        #expect(abs(g.gamma - 0.066) < 0.0005)
        #expect(abs(g.vega - 12.1) < 0.05)
        #expect(abs(g.theta - (-4.31)) < 0.005)
        #expect(abs(g.rho - 8.91) < 0.005)
    }

    @Test func greeksMatchFiniteDifferences() {
        for kind in BlackScholes.Kind.allCases {
            let f = { (s: Double, sig: Double) in BlackScholes.price(kind, spot: s, strike: 100, years: 0.7, rate: 0.03, volatility: sig, yield: 0.01) }
            let g = BlackScholes.evaluate(kind, spot: 95, strike: 100, years: 0.7, rate: 0.03, volatility: 0.25, yield: 0.01)
            let h = 1e-3
            #expect(abs(g.delta - (f(95 + h, 0.25) - f(95 - h, 0.25)) / (2 * h)) < 1e-6)
            #expect(abs(g.gamma - (f(95 + h, 0.25) - 2 * f(95, 0.25) + f(95 - h, 0.25)) / (h * h)) < 1e-4)
            #expect(abs(g.vega - (f(95, 0.25 + h) - f(95, 0.25 - h)) / (2 * h)) < 1e-5)
        }
    }

    @Test func impliedVolatilityRoundTrips() throws {
        for kind in BlackScholes.Kind.allCases {
            for k in stride(from: 60.0, through: 160.0, by: 20) {
                for sigma in [0.05, 0.2, 0.6, 1.5] {
                    for t in [0.02, 0.5, 3.0] {
                        let p = BlackScholes.price(kind, spot: 100, strike: k, years: t, rate: 0.04, volatility: sigma)
                        // Skip prices indistinguishable from the bound (no information about σ).
                        let e = BlackScholes.evaluate(kind, spot: 100, strike: k, years: t, rate: 0.04, volatility: sigma)
                        if e.vega < 1e-6 { continue }
                        let iv = try BlackScholes.impliedVolatility(kind, price: p, spot: 100, strike: k, years: t, rate: 0.04)
                        // The price is always recovered; the volatility as far as vega lets it be.
                        let back = BlackScholes.price(kind, spot: 100, strike: k, years: t, rate: 0.04, volatility: iv)
                        #expect(abs(back - p) < 1e-9, "kind \(kind) K \(k) σ \(sigma) t \(t): price \(back) vs \(p)")
                        if e.vega > 1e-2 { #expect(abs(iv - sigma) < 1e-7, "kind \(kind) K \(k) σ \(sigma) t \(t): \(iv)") }
                    }
                }
            }
        }
        #expect(throws: BlackScholes.ImpliedVolatilityError.self) {
            try BlackScholes.impliedVolatility(.call, price: 1, spot: 100, strike: 50, years: 1, rate: 0)
        }
        #expect(throws: BlackScholes.ImpliedVolatilityError.self) {
            try BlackScholes.impliedVolatility(.call, price: 101, spot: 100, strike: 50, years: 1, rate: 0)
        }
    }
}

@Suite("Execution algorithms and trailing stops")
struct ExecutionTests {
    static func runAlgo(_ parent: ParentOrder, _ style: ExecutionStyle, path: [Int32], qty: Int32 = 10,
                        c: BacktestConfiguration = PathScene.config()) -> (BacktestResult, ExecutionAlgorithm)
    {
        let events = PathScene.events(path, tradeQty: qty)
        return events.withUnsafeBufferPointer { ExecutionRun.run(c, parent: parent, style: style, base: 10_000, events: $0) }
    }

    @Test func twapCompletesOnScheduleAndReports() throws {
        let parent = ParentOrder(side: .buy, quantity: 20, duration: 10 * Time.second)
        let (r, algo) = Self.runAlgo(parent, .twap(slices: 5), path: Array(repeating: 100, count: 15))
        let rep = try #require(r.execution)
        #expect(rep.filled == 20 && rep.completion == 1)
        #expect(rep.childOrders >= 5 && rep.fills >= 5)
        // Cumulative fills never run ahead of the schedule.
        var cum: Lots = 0
        for f in r.fills {
            cum += f.quantity
            #expect(cum <= algo.target(at: f.exchangeTime))
        }
        // The book is 99 / 101 around 100 (+ base): the arrival mid is 10,100 ticks; prints at the
        // mid make the interval VWAP 10,100; buys at 10,099 (maker) or 10,101 (taker).
        #expect(rep.arrivalMidTicks == 10_100 && rep.intervalVWAPTicks == 10_100)
        let avg = try #require(rep.averagePriceTicks)
        #expect(abs(rep.slippageVsArrivalBps! - (avg - 10_100) / 10_100 * 10_000) < 1e-9)
        #expect(rep.slippageVsVWAPBps == rep.slippageVsArrivalBps)
    }

    @Test func twapRespectsTheLimitPrice() throws {
        // Price rises through the limit: nothing is bought above it, completion < 100%.
        let path: [Int32] = (0..<15).map { 100 + Int32($0) * 10 }
        let parent = ParentOrder(side: .buy, quantity: 20, duration: 10 * Time.second, limitPrice: 10_150)
        let (r, _) = Self.runAlgo(parent, .twap(slices: 5), path: path)
        #expect(r.fills.allSatisfy { $0.price <= 10_150 })
        #expect(r.execution!.completion < 1)
    }

    @Test func participationCapBoundsTheQuantity() throws {
        // Market prints 10 lots a second; a 10% cap allows about 1 lot per second.
        let parent = ParentOrder(side: .sell, quantity: 100, duration: 10 * Time.second, maxParticipation: 0.1)
        let (r, algo) = Self.runAlgo(parent, .twap(slices: 10), path: Array(repeating: 100, count: 15))
        let rep = try #require(r.execution)
        #expect(rep.filled <= 11 && rep.filled > 0)
        #expect(rep.participation! <= 0.11)
        _ = algo
    }

    @Test func vwapFollowsTheVolumeCurveAndPovFollowsPrints() throws {
        // Volume is 10/s for 5 s then 40/s: the VWAP profile puts 1/5 of the quantity in the first half.
        let events = PathScene.events(Array(repeating: 100, count: 5), tradeQty: 10) + PathScene.events(Array(repeating: 100, count: 5), tradeQty: 40).map {
            var e = $0; e.exchTime += 5 * Time.second; e.localTime += 5 * Time.second; return e
        }
        let curve = events.withUnsafeBufferPointer { VolumeCurve(localFeed: $0) }
        #expect(curve.volume(upTo: 20 * Time.second) == 250)
        let prof = curve.profile(start: Time.second, duration: 10 * Time.second, slices: 2)
        #expect(prof == [0.2, 1])
        let (r, _) = events.withUnsafeBufferPointer {
            ExecutionRun.run(PathScene.config(), parent: ParentOrder(side: .buy, quantity: 10, duration: 8 * Time.second),
                             style: .participation(rate: 0.05, slices: 4), base: 10_000, events: $0)
        }
        // 5% of what traded after the start (≤ 210 lots) is at most 10.
        #expect(r.execution!.filled <= 10 && r.execution!.filled > 0)
    }

    @Test func icebergShowsOneTrancheAtATime() throws {
        // A resting buy at the bid; sellers print through it every second.
        let parent = ParentOrder(side: .buy, quantity: 12, duration: nil)
        let (r, _) = Self.runAlgo(parent, .iceberg(visible: 5, price: 10_099), path: Array(repeating: 99, count: 20))
        // path 99: bid 98, ask 100; prints at 99 ≥ our price 10,099 → sellers print at 99 fill us.
        let rep = try #require(r.execution)
        #expect(rep.filled == 12)
        #expect(rep.childOrders == 3)                       // 5 + 5 + 2
        #expect(r.orders.allSatisfy { $0.quantity <= 5 && $0.price == 10_099 })
    }

    @Test func cancelAtStopsTheParent() throws {
        let parent = ParentOrder(side: .buy, quantity: 100, duration: 10 * Time.second, cancelAt: 4 * Time.second)
        let (r, algo) = Self.runAlgo(parent, .twap(slices: 10), path: Array(repeating: 100, count: 15))
        #expect(algo.cancelled && r.execution!.cancelled && r.execution!.completion < 0.5)
        #expect(r.fills.allSatisfy { $0.localTime <= 4 * Time.second + 10 * Time.millisecond })
    }

    @Test func nseTwapOfTenThousandSharesOverAnHourWithStatutoryCharges() throws {
        // A RELIANCE-like market (tick 0.05, 1 share): a seeded random walk around 1500.00 (base
        // 10,000 + 20,000 ticks), 50 shares printed a second for 62 minutes.
        var rng = SplitMix64(seed: 8)
        var p: Int32 = 20_000
        let path: [Int32] = (0..<3_720).map { _ in p += Int32(rng.next() % 3) - 1; return p }
        var c = PathScene.config()
        c.tickSize = ExactDecimal("0.05")!
        c.charges = InstrumentCatalog.nseEquityIntraday
        let parent = ParentOrder(side: .buy, quantity: 10_000, duration: Time.hour)
        let (r, _) = Self.runAlgo(parent, .twap(slices: 12), path: path, qty: 50, c: c)
        let rep = try #require(r.execution)
        #expect(rep.filled == 10_000 && rep.completion == 1)
        #expect(rep.slippageVsVWAPBps != nil && rep.intervalVWAPTicks != nil)
        // Every fill pays brokerage (capped at ₹20), exchange, SEBI, stamp and GST; no STT on buys.
        var table = InstrumentCatalog.nseEquityIntraday
        table.bind(to: r.valuation)
        var totals = [Money](repeating: .zero, count: table.charges.count)
        for f in r.fills {
            for (i, x) in table.breakdown(value: f.value, quantity: f.quantity, isMaker: f.isMaker, side: f.side).enumerated() { totals[i] += x }
        }
        let named = Dictionary(uniqueKeysWithValues: zip(table.chargeNames, totals))
        #expect(named["stt"] == .zero && named["stamp"]! > .zero && named["gst"]! > .zero)
        #expect(totals.reduce(Money.zero, +) == r.fees)
        // Stamp duty is exactly 0.003% of the bought value.
        let bought = r.fills.reduce(Money.zero) { $0 + $1.value }
        #expect(named["stamp"]!.units * 100_000 == bought.units * 3)
    }

    @Test func trailingStopFollowsPricesUpAndSellsOnTheTurn() {
        // Long 1 lot, protect with a sell trailing stop 20 ticks behind the best print.
        struct Protect: Strategy {
            var step = 0
            mutating func decide(_ trader: inout Trader) {
                guard trader.midHalfTicks != nil else { return }
                step += 1
                if step == 1 { trader.submit(.limit(id: 1, side: .buy, price: trader.bestAsk, quantity: 1, timeInForce: .ioc)) }
                if step == 3 { trader.submit(.trailingStop(id: 2, side: .sell, distance: 20, quantity: 1)) }
            }
        }
        // Up 10 a second to 150, then down: the stop trails to 150 - 20 = 130 and fires at the
        // first print at or below 130 (at 130), selling at the bid (129).
        let path: [Int32] = [100, 110, 120, 130, 140, 150, 145, 140, 135, 130, 125, 120]
        var s = Protect()
        let r = PathScene.run(PathScene.events(path), &s, PathScene.config())
        let sells = r.fills.filter { $0.side == .sell }
        #expect(sells.count == 1)
        #expect(sells.first?.price == 10_129)
        #expect(sells.first!.exchangeTime == 10 * Time.second + 1)
        #expect(r.position == 0)
        #expect(r.orders.first { $0.id == 2 }?.status == .filled)   // triggered into a market order, filled
    }

    @Test func trailingStopIsRejectedWithoutADistance() {
        struct Bad: Strategy {
            var done = false
            mutating func decide(_ trader: inout Trader) {
                if !done { trader.submit(.trailingStop(id: 1, side: .sell, distance: 0, quantity: 1)); done = true }
            }
        }
        var s = Bad()
        let r = PathScene.run(PathScene.events([100, 100]), &s, PathScene.config())
        #expect(r.orders.first?.status == .rejected && r.orders.first?.reason == .invalidOrder)
    }
}

@Suite("Instrument presets: terms for every cost preset")
struct InstrumentTermsTests {
    @Test func presetsHaveTermsAndExtendedKinds() {
        for key in ["nse:RELIANCE", "nse:NIFTY-FUT", "binance:BTCUSDT", "cme:ES-FUT", "binance:BTCUSD_PERP", "nse:NIFTY-26000-CE"] {
            let p = InstrumentPresets.named(key)
            #expect(p != nil, "\(key)")
            #expect(p?.terms != nil, "\(key)")
        }
        #expect(InstrumentPresets.named("binance:BTCUSD_PERP")!.instrument.isInverse)
        #expect(InstrumentPresets.named("nse:NIFTY-26000-PE")!.terms!.option!.kind == .put)
        #expect(InstrumentPresets.named("binance:btcusdt")!.terms!.fundingInterval == 8 * Time.hour)
    }
}

private func Foundation_exp(_ x: Double) -> Double {
    var r = 1.0, term = 1.0
    for n in 1..<40 { term *= x / Double(n); r += term }
    return r
}
