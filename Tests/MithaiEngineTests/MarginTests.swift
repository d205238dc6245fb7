import MithaiEngine
import Testing

/// Margin enforcement: initial margin before trading, maintenance margin at each decision.
@Suite struct MarginTests {
    /// Buys `qty` once at the ask, then holds.
    struct BuyOnce: Strategy {
        var qty: Lots = 10
        var sent = false
        var refusal: RejectReason? = nil
        var fillsSeen = 0
        mutating func decide(_ trader: inout Trader) {
            guard !sent, trader.midHalfTicks != nil else { return }
            sent = true
            refusal = trader.submit(.limit(id: 1, side: .buy, price: trader.bestAsk, quantity: qty, timeInForce: .ioc))
        }
        mutating func didFill(_ fill: Fill) { fillsSeen += 1 }
    }

    // Price 110.00 falling 1.00 a second (tick 0.01, base 10,000 ticks).
    static let events = PathScene.events((0..<40).map { 1_000 - Int32($0) * 100 })

    static func run(capital: String?, initial: String = "0.5", maintenance: String? = "0.4") -> (BacktestResult, BuyOnce) {
        var c = PathScene.config()
        var l = RiskLimits()
        l.capital = capital.map { ExactDecimal($0)! }
        l.initialMargin = ExactDecimal(initial)
        l.maintenanceMargin = maintenance.map { ExactDecimal($0)! }
        c.settings.risk = l.isEmpty ? nil : l
        var s = BuyOnce()
        return (PathScene.run(events, &s, c), s)
    }

    @Test func leveragedLosingPositionIsLiquidatedWhenEquityFallsUnderMaintenance() throws {
        // 10 bought at 110.01 with capital 600 (initial margin 550). Equity 600 + 10 (P − 110.01)
        // falls under 0.4 × 10 × P when P < 83.35: the first mid under it is 83.00, at 28 s.
        let (r, s) = Self.run(capital: "600")
        #expect(s.refusal == nil)
        let g = try #require(r.risk)
        #expect(g.marginCalls == 1)
        let call = try #require(g.breaches.first { $0.limit == .maintenanceMargin })
        #expect(call.action == .liquidated)
        #expect(call.time >= 28 * Time.second && call.time <= 28 * Time.second + 100 * Time.millisecond, "margin call at \(call.time)")
        #expect(abs(call.value - 332) < 1e-6 && abs(call.threshold - 329.9) < 1e-6, "\(call.value) \(call.threshold)")
        // The liquidation sold the whole position (a market order past the checks), then flat.
        #expect(r.position == 0)
        let sell = try #require(r.fills.first { $0.side == .sell })
        #expect(sell.quantity == 10 && sell.localTime > call.time && sell.localTime < call.time + 10 * Time.millisecond)
        #expect(r.orders.contains { $0.id == (1 << 59) + 1 && $0.type == .market })
        // No margin call one step earlier: at 84.00 equity 339.9 ≥ 336.
        #expect(!g.breaches.contains { $0.limit == .maintenanceMargin && $0.time < 28 * Time.second })
    }

    @Test func initialMarginRefusesAnOrderTheCapitalCannotCarry() throws {
        let (r, s) = Self.run(capital: "500")
        #expect(s.refusal == .riskLimit)
        let g = try #require(r.risk)
        #expect(g.rejections(.initialMargin) == 1)
        let b = try #require(g.breaches.first)
        #expect(b.limit == .initialMargin && abs(b.value - 550.05) < 1e-6 && abs(b.threshold - 500) < 1e-6)
        #expect(r.fills.isEmpty)
    }

    @Test func withoutCapitalNothingIsEnforced() {
        let (r, s) = Self.run(capital: nil)
        #expect(r.risk == nil && s.refusal == nil)
        #expect(r.position == 10)
    }

    @Test func withoutMaintenanceRateThereIsNoLiquidation() throws {
        let (r, _) = Self.run(capital: "600", maintenance: nil)
        #expect(try #require(r.risk).marginCalls == 0)
        #expect(r.position == 10)
    }
}
