import MithaiEngine
import Testing

/// The grid with the shared adverse-selection guard and volatility sizing of MarketMakingKit.
@Suite struct GridSharedPiecesTests {
    static let base = GridParameters(levels: 5, gridIntervalTicks: 2, halfSpreadTicks: 3, orderQuantity: 100, maxPosition: 1000)

    static func run(_ p: GridParameters) -> BacktestResult {
        let feed = StrategyFixture.tiny
        return feed.withFeeds { ex, lo in
            BacktestRunner.runGrid(.benchGrid, grid: p, base: feed.base, exchangeFeed: ex, localFeed: lo).result
        }
    }

    @Test("a guard whose signals never fire and off give the same run, bit for bit")
    func silentGuardChangesNothing() {
        var p = Self.base
        p.adverseSelection = AdverseSelectionParameters(imbalanceThreshold: 2, burstTrades: 0, markoutThresholdTicks: 0)
        let a = Self.run(Self.base), b = Self.run(p)
        #expect(!a.fills.isEmpty)
        #expect(a.fills == b.fills && a.equity == b.equity && a.counters == b.counters)
    }

    @Test("a guard that always fires pulls both sides: no new orders after the first decision")
    func pullingGuardStopsQuoting() {
        var p = Self.base
        // |imbalance| ≤ 1 is always > -1 and < 1: both sides guarded at every decision.
        p.adverseSelection = AdverseSelectionParameters(imbalanceThreshold: -1, burstTrades: 0, markoutThresholdTicks: 0, pull: true)
        let r = Self.run(p)
        #expect(r.orders.isEmpty && r.fills.isEmpty)
        // Widening instead moves every quote 2 ticks out: fewer or equal fills, never nearer the mid.
        p.adverseSelection!.pull = false
        let w = Self.run(p), off = Self.run(Self.base)
        #expect(w.fills.count < off.fills.count)
    }

    @Test("volatility sizing scales order sizes within [minSizeScale, 1] and widens the grid")
    func sizing() {
        var p = Self.base
        // A reference σ far below the data's: sizes at the floor, spread at the cap.
        p.sizing = VolatilitySizingParameters(model: .ewma(halfLife: 10), referenceSigma: 0.01, minSizeScale: 0.25, maxSpreadScale: 3)
        let r = Self.run(p)
        #expect(!r.orders.isEmpty)
        #expect(r.orders.allSatisfy { $0.quantity >= 25 && $0.quantity <= 100 })
        #expect(r.orders.contains { $0.quantity == 25 })
        #expect(r.fills.count < Self.run(Self.base).fills.count)
    }
}
