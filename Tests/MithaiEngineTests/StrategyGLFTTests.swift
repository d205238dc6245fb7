import MithaiEngine
import Testing

extension SeededRandom {
    /// Uniform in (0, 1].
    mutating func unit() -> Double { (Double(next() >> 11) + 1) / Double(UInt64(1) << 53) }
}

@Suite("Strategy: GLFT")
struct StrategyGLFTTests {
    /// Python:
    ///   def coeff(g,xi,d,A,k): xd=xi*d; c1=log(1+xd/k)/xd; c2=sqrt(g/(2*A*d*k)*(1+xd/k)**(k/xd+1))
    ///   σ = 4: half = c1 + d/2*σ*c2, skew = σ*c2
    static let fixtures: [(g: Double, xi: Double, d: Double, a: Double, k: Double, c1: Double, c2: Double, half: Double, skew: Double)] = [
        (0.05, 0.05, 1, 2.0, 0.5, 1.9062035960864987, 0.26707286955576387, 2.4403493351980265, 1.0682914782230555),
        (0.1, 0.1, 1, 0.8, 1.2, 0.8004270767353636, 0.3839751125206508, 1.5683773017766653, 1.5359004500826032),
        (0.05, 0.02, 2, 5.0, 0.3, 3.12907857385015, 0.15539228104047187, 3.7506476980120373, 0.6215691241618875),
    ]

    @Test func coefficientsMatchPython() {
        for f in Self.fixtures {
            let c = GLFTMarketMaker.coefficients(gamma: f.g, xi: f.xi, delta: f.d, a: f.a, k: f.k)
            #expect(abs(c.c1 - f.c1) < 1e-12)
            #expect(abs(c.c2 - f.c2) < 1e-12)
            let h = GLFTMarketMaker.halfSpreadAndSkew(gamma: f.g, xi: f.xi, delta: f.d, a: f.a, k: f.k, sigma: 4)
            #expect(abs(h.halfSpread - f.half) < 1e-12)
            #expect(abs(h.skew - f.skew) < 1e-12)
        }
        // Hand check: ξΔ/k = 1 → c1 = ln 2 / (ξΔ); c2 = sqrt(γ/(2AΔk) · 2^2) = sqrt(0.5 · 4) = √2.
        let c = GLFTMarketMaker.coefficients(gamma: 0.5, xi: 0.5, delta: 1, a: 1, k: 0.5)
        #expect(abs(c.c1 - 2 * 0.6931471805599453) < 1e-12)
        #expect(abs(c.c2 - 1.4142135623730951) < 1e-12)
    }

    /// Trades arrive as a Poisson process of rate A (per s) with depths exponential of rate k
    /// (per tick): trades reaching depth ≥ δ arrive at rate A·exp(−kδ). The fit recovers both.
    @Test(arguments: [(2.0, 0.4), (5.0, 1.0), (0.5, 0.25)])
    func calibrationRecoversAandK(a: Double, k: Double) {
        var rng = SeededRandom(seed: 42)
        let window = 3600 * Time.second
        var cal = IntensityCalibrator(IntensityCalibrationParameters(window: window, bucketTicks: 0.5, buckets: 80,
                                                                     minCount: 20))
        var t: Nanos = 0
        while true {
            t += Nanos(-MMMath.log(rng.unit()) / a * Double(Time.second))
            if t > window { break }
            cal.record(depthTicks: -MMMath.log(rng.unit()) / k, time: t)
        }
        cal.advance(to: window)
        let f = cal.fit()!
        #expect(abs(f.a / a - 1) < 0.1, "A \(f.a) vs \(a)")
        #expect(abs(f.k / k - 1) < 0.1, "k \(f.k) vs \(k)")
    }

    /// Python, same algorithm (w = 0.5, 70 buckets, minCount 10): depths (i % 20)·0.37 at
    /// i·0.25 s, i < 400; cumulative counts per bucket / 99.75 s, OLS of log λ on depth →
    /// A = 6.186864108133323, k = 0.3874070466432464 (14 buckets).
    @Test func calibrationRegressionMatchesPython() {
        var cal = IntensityCalibrator(IntensityCalibrationParameters(window: 1000 * Time.second))
        for i in 0..<400 { cal.record(depthTicks: Double(i % 20) * 0.37, time: Nanos(i) * 250 * Time.millisecond) }
        let f = cal.fit()!
        #expect(abs(f.a - 6.186864108133323) < 1e-9)
        #expect(abs(f.k - 0.3874070466432464) < 1e-12)
    }

    @Test func calibrationWindowForgetsOldTrades() {
        var cal = IntensityCalibrator(IntensityCalibrationParameters(window: 10 * Time.second, minCount: 1))
        for i in 0..<100 { cal.record(depthTicks: Double(i % 5), time: Nanos(i) * Time.millisecond) }
        #expect(cal.count == 100)
        cal.advance(to: 20 * Time.second)
        #expect(cal.count == 0)
        #expect(cal.fit() == nil)
    }

    @Test(arguments: [1, 5])
    func backtestOnTinyFeed(levels: Int) {
        let p = GLFTParameters(gamma: 0.05, initialA: 1, initialK: 0.5,
                               calibration: IntensityCalibrationParameters(minCount: 5),
                               recalibrateEvery: Time.second, volatilityWindow: 600, initialSigma: 3, orderQuantity: 100,
                               levels: levels, inventory: InventoryParameters(maxPosition: 400),
                               adverseSelection: AdverseSelectionParameters())
        var s = Checked(inner: GLFTMarketMaker(parameters: p, tickSize: StrategyFixture.tick, lotSize: StrategyFixture.lot,
                                               trades: StrategyFixture.tape()))
        var twin = s
        let r = StrategyFixture.run(&s)
        #expect(r.fills.count > 0)
        #expect(s.crossed == 0 && s.nonPostOnly == 0)
        #expect(s.maxAbsPosition <= 400)
        #expect(s.inner.calibrations > 0)
        #expect(s.inner.a.isFinite && s.inner.a > 0 && s.inner.k.isFinite && s.inner.k > 0)
        let r2 = StrategyFixture.run(&twin)
        #expect(r.fills == r2.fills)
        #expect(r.counters == r2.counters)
    }

    @Test func gridOnTopIsAlignedAndStepped() {
        let p = GLFTParameters(gamma: 0.05, initialSigma: 3, orderQuantity: 100, levels: 4, gridIntervalTicks: 3,
                               inventory: InventoryParameters(maxPosition: 2000))
        var s = GLFTMarketMaker(parameters: p, tickSize: StrategyFixture.tick, lotSize: StrategyFixture.lot,
                                trades: StrategyFixture.tape())
        let r = StrategyFixture.run(&s)
        #expect(r.orders.count >= 8)
        #expect(r.orders.allSatisfy { $0.price % 3 == 0 })
        #expect(r.orders.allSatisfy { $0.timeInForce == .gtx })
        // Both sides carry four orders stepped by the interval at the first decision.
        let first = r.orders.prefix(8)
        let bids = first.filter { $0.side == .buy }.map(\.price).sorted()
        let asks = first.filter { $0.side == .sell }.map(\.price).sorted()
        #expect(bids.count == 4 && asks.count == 4)
        #expect(zip(bids, bids.dropFirst()).allSatisfy { $1 - $0 == 3 })
        #expect(zip(asks, asks.dropFirst()).allSatisfy { $1 - $0 == 3 })
        #expect(bids.last! < asks.first!)
    }

    @Test func skewMovesQuotesAgainstInventory() {
        // bid depth = half + skew q, ask depth = half − skew q: long → both quotes lower.
        let h = GLFTMarketMaker.halfSpreadAndSkew(gamma: 0.05, xi: 0.05, delta: 1, a: 2, k: 0.5, sigma: 4)
        let mid = 1000.0
        let long = (mid - (h.halfSpread + h.skew * 2), mid + (h.halfSpread - h.skew * 2))
        let flat = (mid - h.halfSpread, mid + h.halfSpread)
        #expect(long.0 < flat.0 && long.1 < flat.1)
    }
}
