import MithaiEngine
import Testing

@Suite("Strategy: Avellaneda–Stoikov")
struct StrategyASTests {
    /// Python: g,s,q,sig,k,rem = 0.01,600000,2,5,0.5,30; risk = g*sig**2*rem;
    /// s - q*risk, risk + 2/g*log(1+g/k) -> 599985.0 11.460525459235946
    @Test func finiteHorizonFormula() {
        let x = AvellanedaStoikov.finite(s: 600_000, q: 2, gamma: 0.01, sigma: 5, k: 0.5, remaining: 30)
        #expect(abs(x.reservation - 599_985.0) < 1e-9)
        #expect(abs(x.spread - 11.460525459235946) < 1e-9)
        // Hand check: q = 0, remaining 0 → spread = (2/γ) ln(1 + γ/k) = 200 ln 1.02.
        let y = AvellanedaStoikov.finite(s: 100, q: 0, gamma: 0.01, sigma: 5, k: 0.5, remaining: 0)
        #expect(y.reservation == 100)
        #expect(abs(y.spread - 3.960525459235946) < 1e-9)
    }

    /// Python (AS 2008 §2.3), ω = ½γ²σ²(q_max+1)² with q_max = 10 (0.15125):
    /// q=0: 599997.189856989 600002.8033126432; q=2: 599993.6522309202 599999.3827140892;
    /// q=10: bid undefined, ask 599766.8427370132.
    @Test func infiniteHorizonFormula() {
        let w = AvellanedaStoikov.defaultOmega(gamma: 0.01, sigma: 5, qMax: 10)
        #expect(abs(w - 0.15125) < 1e-12)
        let a = AvellanedaStoikov.infinite(s: 600_000, q: 0, gamma: 0.01, sigma: 5, k: 0.5, omega: w)
        #expect(abs(a.bid! - 599_997.189856989) < 1e-6)
        #expect(abs(a.ask! - 600_002.8033126432) < 1e-6)
        let b = AvellanedaStoikov.infinite(s: 600_000, q: 2, gamma: 0.01, sigma: 5, k: 0.5, omega: w)
        #expect(abs(b.bid! - 599_993.6522309202) < 1e-6)
        #expect(abs(b.ask! - 599_999.3827140892) < 1e-6)
        let c = AvellanedaStoikov.infinite(s: 600_000, q: 10, gamma: 0.01, sigma: 5, k: 0.5, omega: w)
        #expect(c.bid == nil)
        #expect(abs(c.ask! - 599_766.8427370132) < 1e-6)
    }

    @Test func reservationMovesAgainstInventory() {
        var last = Double.infinity
        for q in stride(from: -5.0, through: 5.0, by: 1) {
            let r = AvellanedaStoikov.finite(s: 1000, q: q, gamma: 0.05, sigma: 2, k: 1, remaining: 10).reservation
            #expect(r < last)
            last = r
        }
        for q in [-3.0, 0, 3] {
            let x = AvellanedaStoikov.infinite(s: 1000, q: q, gamma: 0.05, sigma: 2, k: 1, omega: 10)
            let mid = (x.reservationBid! + x.reservationAsk!) / 2
            #expect(q > 0 ? mid < 1000 : (q < 0 ? mid > 1000 : abs(mid - 1000) < 0.01))
        }
    }

    @Test(arguments: [ASHorizon.finite(seconds: 30), .infinite(omega: nil)])
    func backtestOnTinyFeed(horizon: ASHorizon) {
        let p = ASParameters(gamma: 0.05, k: 0.5, horizon: horizon, initialSigma: 3, orderQuantity: 100,
                             inventory: InventoryParameters(maxPosition: 500))
        var s = Checked(inner: AvellanedaStoikov(parameters: p, tickSize: StrategyFixture.tick,
                                                 lotSize: StrategyFixture.lot))
        var twin = s
        let r = StrategyFixture.run(&s)
        #expect(r.fills.count > 0)
        #expect(s.crossed == 0 && s.nonPostOnly == 0)
        #expect(s.maxAbsPosition <= 500)
        #expect(r.fills.allSatisfy { abs($0.positionAfter) <= 500 })
        let r2 = StrategyFixture.run(&twin)
        #expect(r.fills == r2.fills)
        // The live reservation price sits below the mid when long and above when short.
        let st = s.inner
        #expect(!st.lastReservation.isNaN)
    }

    @Test func liveReservationAgainstInventory() {
        // At every decision of a run, r − mid has the opposite sign of the position.
        struct Probe: Strategy {
            var inner: AvellanedaStoikov
            var long = 0, short = 0, wrong = 0
            mutating func decide(_ trader: inout Trader) {
                inner.decide(&trader)
                guard let mid = trader.midTicks, !inner.lastReservation.isNaN else { return }
                let d = inner.lastReservation - mid
                if trader.position > 0 { long += 1; if !(d < 0) { wrong += 1 } }
                if trader.position < 0 { short += 1; if !(d > 0) { wrong += 1 } }
            }
            mutating func didFill(_ fill: Fill) { inner.didFill(fill) }
        }
        let p = ASParameters(gamma: 0.05, k: 0.5, horizon: .finite(seconds: 60), initialSigma: 3, orderQuantity: 100,
                             inventory: InventoryParameters(maxPosition: 500))
        var probe = Probe(inner: AvellanedaStoikov(parameters: p, tickSize: StrategyFixture.tick, lotSize: StrategyFixture.lot))
        _ = StrategyFixture.run(&probe)
        #expect(probe.long + probe.short > 0)
        #expect(probe.wrong == 0)
    }
}
